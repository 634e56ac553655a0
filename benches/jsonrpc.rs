//! Decoding and encoding the ProcsLink corpus messages: this crate against
//! `serde_json` with borrowed types.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::jsonrpc::{Id, Incoming, Message, Request, Response, Style};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue as SerdeRaw;

const JSON_OFFSET: usize = 40;

macro_rules! corpus {
    ($name:literal) => {
        &include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/procslink/",
            $name
        ))
        .split_at(JSON_OFFSET)
        .1
    };
}

const REQUESTS: [&[u8]; 3] = [
    corpus!("request-named.bin"),
    corpus!("request-no-params.bin"),
    corpus!("request-positional.bin"),
];

const RESPONSES: [&[u8]; 5] = [
    corpus!("response-internal-error.bin"),
    corpus!("response-invalid-request.bin"),
    corpus!("response-method-not-found.bin"),
    corpus!("response-result.bin"),
    corpus!("response-string-id.bin"),
];

#[derive(Deserialize, Serialize)]
struct SerdeReq<'a> {
    jsonrpc: &'a str,
    method: &'a str,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    id: Option<&'a SerdeRaw>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    params: Option<&'a SerdeRaw>,
}

#[derive(Deserialize, Serialize)]
struct SerdeErr<'a> {
    code: i32,
    message: &'a str,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    data: Option<&'a SerdeRaw>,
}

#[derive(Deserialize, Serialize)]
struct SerdeResp<'a> {
    jsonrpc: &'a str,
    #[serde(borrow)]
    id: &'a SerdeRaw,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    result: Option<&'a SerdeRaw>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    error: Option<SerdeErr<'a>>,
}

fn ours_request(text: &[u8]) -> Request<'_> {
    match Message::parse(text) {
        Ok(Incoming::Single(Message::Request(r))) => r,
        _ => panic!("not a request"),
    }
}

fn ours_response(text: &[u8]) -> Response<'_> {
    match Message::parse(text) {
        Ok(Incoming::Single(Message::Response(r))) => r,
        _ => panic!("not a response"),
    }
}

fn id_text(id: &Id<'_>) -> String {
    match id {
        Id::Null => "null".into(),
        Id::Number(n) => n.to_string(),
        Id::Str(s) => format!("\"{}\"", s.raw_json().unwrap()),
    }
}

/// Both decoders read the same fields, and both encoders write the same
/// bytes, before anything is timed.
fn check_agreement() {
    for text in REQUESTS {
        let ours = ours_request(text);
        let theirs: SerdeReq = serde_json::from_slice(text).unwrap();
        assert_eq!(theirs.jsonrpc, "2.0");
        assert_eq!(ours.method, theirs.method);
        assert_eq!(
            ours.id.map(|i| id_text(&i)),
            theirs.id.map(|i| i.get().to_owned())
        );
        assert_eq!(
            ours.params.map(|p| p.as_str()),
            theirs.params.map(SerdeRaw::get)
        );
        let mut a = [0u8; 256];
        let n = ours.encode(&mut a, Style::Compact).unwrap();
        let b = serde_json::to_vec(&theirs).unwrap();
        assert_eq!(&a[..n], &b[..]);
    }
    for text in RESPONSES {
        let ours = ours_response(text);
        let theirs: SerdeResp = serde_json::from_slice(text).unwrap();
        assert_eq!(id_text(&ours.id), theirs.id.get());
        match (ours.outcome, &theirs.result, &theirs.error) {
            (Ok(r), Some(t), None) => assert_eq!(r.as_str(), t.get()),
            (Err(e), None, Some(t)) => {
                assert_eq!(e.code.0, t.code);
                assert_eq!(e.message, t.message);
                assert_eq!(e.data.map(|d| d.as_str()), t.data.map(SerdeRaw::get));
            }
            _ => panic!("decoders disagree"),
        }
        let mut a = [0u8; 256];
        let n = ours.encode(&mut a, Style::Compact).unwrap();
        let b = serde_json::to_vec(&theirs).unwrap();
        assert_eq!(&a[..n], &b[..]);
    }
}

fn decode(c: &mut Criterion) {
    check_agreement();
    let mut g = c.benchmark_group("decode");
    g.bench_function("requests/procslink", |b| {
        b.iter(|| {
            for text in REQUESTS {
                black_box(ours_request(black_box(text)));
            }
        })
    });
    g.bench_function("requests/serde_json", |b| {
        b.iter(|| {
            for text in REQUESTS {
                black_box(serde_json::from_slice::<SerdeReq>(black_box(text)).unwrap());
            }
        })
    });
    g.bench_function("responses/procslink", |b| {
        b.iter(|| {
            for text in RESPONSES {
                black_box(ours_response(black_box(text)));
            }
        })
    });
    g.bench_function("responses/serde_json", |b| {
        b.iter(|| {
            for text in RESPONSES {
                black_box(serde_json::from_slice::<SerdeResp>(black_box(text)).unwrap());
            }
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let ours_req: Vec<_> = REQUESTS.iter().map(|t| ours_request(t)).collect();
    let ours_resp: Vec<_> = RESPONSES.iter().map(|t| ours_response(t)).collect();
    let serde_req: Vec<SerdeReq> = REQUESTS
        .iter()
        .map(|t| serde_json::from_slice(t).unwrap())
        .collect();
    let serde_resp: Vec<SerdeResp> = RESPONSES
        .iter()
        .map(|t| serde_json::from_slice(t).unwrap())
        .collect();
    let mut buf = [0u8; 256];
    let mut g = c.benchmark_group("encode");
    g.bench_function("requests/procslink", |b| {
        b.iter(|| {
            for m in &ours_req {
                black_box(black_box(m).encode(&mut buf, Style::Compact).unwrap());
            }
        })
    });
    g.bench_function("requests/serde_json", |b| {
        b.iter(|| {
            for m in &serde_req {
                let mut out = &mut buf[..];
                serde_json::to_writer(&mut out, black_box(m)).unwrap();
                black_box(out.len());
            }
        })
    });
    g.bench_function("responses/procslink", |b| {
        b.iter(|| {
            for m in &ours_resp {
                black_box(black_box(m).encode(&mut buf, Style::Compact).unwrap());
            }
        })
    });
    g.bench_function("responses/serde_json", |b| {
        b.iter(|| {
            for m in &serde_resp {
                let mut out = &mut buf[..];
                serde_json::to_writer(&mut out, black_box(m)).unwrap();
                black_box(out.len());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
