//! The ProcsLink JSON-RPC corpus: procslink's decoder and encoder against
//! `serde_json` with borrowed types (the approach of the in-crate
//! `benches/jsonrpc.rs`).

use procslink::jsonrpc::{Id, Incoming, Message, Request, Response, Style};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Where the JSON text starts in a corpus datagram (nlmsghdr 16, the
/// ProcsLink header 24).
pub const JSON_OFFSET: usize = 40;

/// The request datagrams of the corpus.
pub const REQUESTS: [&str; 3] = [
    "request-named.bin",
    "request-no-params.bin",
    "request-positional.bin",
];

/// The response datagrams of the corpus.
pub const RESPONSES: [&str; 5] = [
    "response-internal-error.bin",
    "response-invalid-request.bin",
    "response-method-not-found.bin",
    "response-result.bin",
    "response-string-id.bin",
];

/// The JSON texts of `names`.
pub fn texts(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|n| {
            let bytes = crate::corpus::read(&format!("procslink/{n}"));
            bytes[JSON_OFFSET..].to_vec()
        })
        .collect()
}

/// A request for `serde_json`, borrowing from the text.
#[derive(Deserialize, Serialize)]
pub struct SerdeReq<'a> {
    /// `"2.0"`.
    pub jsonrpc: &'a str,
    /// The method.
    pub method: &'a str,
    /// The id, as raw JSON.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a RawValue>,
    /// The params, as raw JSON.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub params: Option<&'a RawValue>,
}

/// An error object for `serde_json`.
#[derive(Deserialize, Serialize)]
pub struct SerdeErr<'a> {
    /// The code.
    pub code: i32,
    /// The message.
    pub message: &'a str,
    /// The data, as raw JSON.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub data: Option<&'a RawValue>,
}

/// A response for `serde_json`, borrowing from the text.
#[derive(Deserialize, Serialize)]
pub struct SerdeResp<'a> {
    /// `"2.0"`.
    pub jsonrpc: &'a str,
    /// The id, as raw JSON.
    #[serde(borrow)]
    pub id: &'a RawValue,
    /// The result, as raw JSON.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub result: Option<&'a RawValue>,
    /// The error.
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    pub error: Option<SerdeErr<'a>>,
}

/// procslink's decode of a request (`None` if it is not one).
#[inline]
pub fn ours_request(text: &[u8]) -> Option<Request<'_>> {
    match Message::parse(text) {
        Ok(Incoming::Single(Message::Request(r))) => Some(r),
        _ => None,
    }
}

/// procslink's decode of a response (`None` if it is not one).
#[inline]
pub fn ours_response(text: &[u8]) -> Option<Response<'_>> {
    match Message::parse(text) {
        Ok(Incoming::Single(Message::Response(r))) => Some(r),
        _ => None,
    }
}

/// `serde_json`'s encode into a fixed buffer; the length written.
#[inline]
pub fn serde_encode<T: Serialize>(value: &T, buf: &mut [u8]) -> Option<usize> {
    let cap = buf.len();
    let mut out = &mut buf[..];
    serde_json::to_writer(&mut out, value).ok()?;
    Some(cap - out.len())
}

/// procslink's compact encode into a fixed buffer.
#[inline]
pub fn ours_encode_request(r: &Request<'_>, buf: &mut [u8]) -> Option<usize> {
    r.encode(buf, Style::Compact).ok()
}

/// procslink's compact encode into a fixed buffer.
#[inline]
pub fn ours_encode_response(r: &Response<'_>, buf: &mut [u8]) -> Option<usize> {
    r.encode(buf, Style::Compact).ok()
}

fn id_text(id: &Id<'_>) -> String {
    match id {
        Id::Null => "null".into(),
        Id::Number(n) => n.to_string(),
        Id::Str(s) => format!("\"{}\"", s.raw_json().unwrap_or_default()),
    }
}

/// Both decoders read the same fields and both encoders write the same
/// bytes, for every corpus message (panics otherwise).
pub fn check_agreement(requests: &[Vec<u8>], responses: &[Vec<u8>]) {
    let mut a = [0u8; 256];
    let mut b = [0u8; 256];
    for text in requests {
        let ours = ours_request(text).expect("procslink decodes the request");
        let theirs: SerdeReq = serde_json::from_slice(text).expect("serde_json decodes it");
        assert_eq!(theirs.jsonrpc, "2.0");
        assert_eq!(ours.method, theirs.method);
        assert_eq!(
            ours.id.map(|i| id_text(&i)),
            theirs.id.map(|i| i.get().to_owned())
        );
        assert_eq!(
            ours.params.map(|p| p.as_str()),
            theirs.params.map(RawValue::get)
        );
        let n = ours_encode_request(&ours, &mut a).expect("procslink encodes");
        let m = serde_encode(&theirs, &mut b).expect("serde_json encodes");
        assert_eq!(&a[..n], &b[..m], "encoders agree");
    }
    for text in responses {
        let ours = ours_response(text).expect("procslink decodes the response");
        let theirs: SerdeResp = serde_json::from_slice(text).expect("serde_json decodes it");
        assert_eq!(id_text(&ours.id), theirs.id.get());
        match (ours.outcome, &theirs.result, &theirs.error) {
            (Ok(r), Some(t), None) => assert_eq!(r.as_str(), t.get()),
            (Err(e), None, Some(t)) => {
                assert_eq!(e.code.0, t.code);
                assert_eq!(e.message, t.message);
                assert_eq!(e.data.map(|d| d.as_str()), t.data.map(RawValue::get));
            }
            _ => panic!("decoders disagree"),
        }
        let n = ours_encode_response(&ours, &mut a).expect("procslink encodes");
        let m = serde_encode(&theirs, &mut b).expect("serde_json encodes");
        assert_eq!(&a[..n], &b[..m], "encoders agree");
    }
}

/// The corpus spelled other ways, and with larger params: each set of
/// texts is decoded by both decoders beside the corpus as captured.
///
/// - `compact`: every corpus message re-encoded without spaces
///   (`{"jsonrpc":"2.0",...}`), as most JSON-RPC peers write it;
/// - `reordered`: every corpus message with its members in another
///   order (`id`, `params`/`result`/`error`, `method`, `jsonrpc` last);
/// - `mixed-1k`, `mixed-10k`, `mixed-60k`: a request whose params are an
///   array of small objects (strings, numbers, booleans, a nested array)
///   of about 1, 10 and 60 KB;
/// - `long-string`: a request whose params are one 60 KB string without
///   escapes;
/// - `numbers`: a request whose params are 60 KB of small integers.
///
/// The large ones are spelled as ProcsLink writes requests.
pub fn variants(requests: &[Vec<u8>], responses: &[Vec<u8>]) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let all = || requests.iter().chain(responses);
    let compact = all()
        .map(|t| {
            let mut out = vec![0u8; t.len()];
            let n = match Message::parse(t) {
                Ok(Incoming::Single(Message::Request(r))) => r.encode(&mut out, Style::Compact),
                Ok(Incoming::Single(Message::Response(r))) => r.encode(&mut out, Style::Compact),
                _ => panic!("a corpus message"),
            }
            .expect("compact is shorter");
            out.truncate(n);
            out
        })
        .collect();
    let reordered = all()
        .map(|t| {
            let any: SerdeAny = serde_json::from_slice(t).expect("a corpus message");
            if any.method.is_some() {
                let r: SerdeReq = serde_json::from_slice(t).expect("a request");
                let mut s = String::from("{");
                if let Some(id) = r.id {
                    s += &format!("\"id\":{},", id.get());
                }
                if let Some(p) = r.params {
                    s += &format!("\"params\":{},", p.get());
                }
                s += &format!("\"method\":\"{}\",\"jsonrpc\":\"2.0\"}}", r.method);
                return s.into_bytes();
            }
            let r: SerdeResp = serde_json::from_slice(t).expect("a response");
            let outcome = match (&r.result, &r.error) {
                (Some(v), _) => format!("\"result\":{}", v.get()),
                (None, Some(e)) => {
                    let data = e.data.map(|d| format!(",\"data\":{}", d.get()));
                    format!(
                        "\"error\":{{\"message\":\"{}\",\"code\":{}{}}}",
                        e.message,
                        e.code,
                        data.unwrap_or_default()
                    )
                }
                (None, None) => panic!("a response has a result or an error"),
            };
            format!("{{{outcome},\"id\":{},\"jsonrpc\":\"2.0\"}}", r.id.get()).into_bytes()
        })
        .collect();
    let request = |params: &str| {
        format!("{{\"jsonrpc\": \"2.0\", \"method\": \"bulk\", \"id\": 42, \"params\": {params}}}")
            .into_bytes()
    };
    let mixed = |size: usize| {
        let mut p = String::from("[");
        let mut i = 0u32;
        while p.len() < size {
            if i > 0 {
                p.push_str(", ");
            }
            p += &format!(
                "{{\"name\": \"item-{i}\", \"value\": {}, \"ok\": {}, \"tags\": [\"a\", \"bc\"]}}",
                i * 7,
                i.is_multiple_of(2)
            );
            i += 1;
        }
        p.push(']');
        request(&p)
    };
    let text: String = "The quick brown fox jumps over the lazy dog. "
        .chars()
        .cycle()
        .take(60 * 1024)
        .collect();
    let mut numbers = String::from("[");
    let mut i = 0u32;
    while numbers.len() < 60 * 1024 {
        if i > 0 {
            numbers.push(',');
        }
        numbers += &(i % 1000).to_string();
        i += 1;
    }
    numbers.push(']');
    vec![
        ("compact", compact),
        ("reordered", reordered),
        ("mixed-1k", vec![mixed(1024)]),
        ("mixed-10k", vec![mixed(10 * 1024)]),
        ("mixed-60k", vec![mixed(60 * 1024)]),
        ("long-string", vec![request(&format!("[\"{text}\"]"))]),
        ("numbers", vec![request(&numbers)]),
    ]
}

/// procslink's decode of any message; the number of bytes of its
/// params, result or error message (what both decoders must agree on).
#[inline]
pub fn ours_any(text: &[u8]) -> Option<usize> {
    match Message::parse(text) {
        Ok(Incoming::Single(Message::Request(r))) => {
            Some(r.method.raw_json()?.len() + r.params.map_or(0, |p| p.as_str().len()))
        }
        Ok(Incoming::Single(Message::Response(r))) => Some(match r.outcome {
            Ok(v) => v.as_str().len(),
            Err(e) => e.message.raw_json()?.len(),
        }),
        _ => None,
    }
}

/// Any message for `serde_json`, borrowing from the text: one pass, as
/// procslink's decoder makes, whatever the kind.
#[derive(Deserialize)]
pub struct SerdeAny<'a> {
    /// `"2.0"`.
    pub jsonrpc: &'a str,
    /// A request's method.
    pub method: Option<&'a str>,
    /// The id, as raw JSON.
    #[serde(borrow)]
    pub id: Option<&'a RawValue>,
    /// A request's params, as raw JSON.
    #[serde(borrow)]
    pub params: Option<&'a RawValue>,
    /// A response's result, as raw JSON.
    #[serde(borrow)]
    pub result: Option<&'a RawValue>,
    /// A response's error.
    #[serde(borrow)]
    pub error: Option<SerdeErr<'a>>,
}

/// `serde_json`'s decode of the same, in one pass.
#[inline]
pub fn serde_any(text: &[u8]) -> Option<usize> {
    let m: SerdeAny = serde_json::from_slice(text).ok()?;
    Some(match (m.method, m.result, m.error) {
        (Some(method), None, None) => method.len() + m.params.map_or(0, |p| p.get().len()),
        (None, Some(v), None) => v.get().len(),
        (None, None, Some(e)) => e.message.len(),
        _ => return None,
    })
}
