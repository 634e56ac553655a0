//! The JSON-RPC text of every captured ProcsLink datagram decodes to the
//! expected fields, and re-encodes byte for byte in the reference's style.

use procslink::jsonrpc::{ErrorCode, Id, Incoming, Message, Style};

const JSON_OFFSET: usize = 40;

macro_rules! corpus {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/procslink/",
            $name
        ))
    };
}

const FILES: [(&str, &[u8]); 8] = [
    ("request-named.bin", corpus!("request-named.bin")),
    ("request-no-params.bin", corpus!("request-no-params.bin")),
    ("request-positional.bin", corpus!("request-positional.bin")),
    (
        "response-internal-error.bin",
        corpus!("response-internal-error.bin"),
    ),
    (
        "response-invalid-request.bin",
        corpus!("response-invalid-request.bin"),
    ),
    (
        "response-method-not-found.bin",
        corpus!("response-method-not-found.bin"),
    ),
    ("response-result.bin", corpus!("response-result.bin")),
    ("response-string-id.bin", corpus!("response-string-id.bin")),
];

fn json(name: &str) -> &'static [u8] {
    let (_, bytes) = FILES.iter().find(|(n, _)| *n == name).unwrap();
    &bytes[JSON_OFFSET..]
}

fn message(name: &str) -> Message<'static> {
    match Message::parse(json(name)).unwrap() {
        Incoming::Single(m) => m,
        Incoming::Batch(_) => panic!("{name} is a batch"),
    }
}

#[test]
fn datagram_lengths_match_headers() {
    for (name, bytes) in FILES {
        let length = u32::from_be_bytes(bytes[20..24].try_into().unwrap()) as usize;
        assert_eq!(bytes.len() - JSON_OFFSET, length, "{name}");
    }
}

#[test]
fn requests() {
    let r = message("request-named.bin").into_request().unwrap();
    assert_eq!(r.method, "add");
    assert_eq!(r.id.unwrap().as_i64(), Some(2));
    let p = r.params.unwrap();
    assert_eq!(p.as_str(), r#"{"a": 2, "b": 40}"#);
    assert_eq!(p.get("a").unwrap().as_str(), "2");
    assert_eq!(p.get("b").unwrap().as_str(), "40");

    let r = message("request-no-params.bin").into_request().unwrap();
    assert_eq!(r.method, "ping");
    assert_eq!(r.id, Some(Id::from(3)));
    assert!(r.params.is_none());

    let r = message("request-positional.bin").into_request().unwrap();
    assert_eq!(r.method, "hello");
    assert_eq!(r.id, Some(Id::from(1)));
    let args: Vec<_> = r.params.unwrap().positional().unwrap().collect();
    assert_eq!(args.len(), 1);
    assert_eq!(args[0].as_json_str().unwrap(), "Rust");
}

#[test]
fn responses() {
    let r = message("response-internal-error.bin")
        .into_response()
        .unwrap();
    assert_eq!(r.id.as_u64(), Some(9));
    let e = r.outcome.unwrap_err();
    assert_eq!(e.code, ErrorCode::INTERNAL_ERROR);
    assert_eq!(e.message, "Internal error");
    assert_eq!(
        e.data.unwrap().as_json_str().unwrap(),
        "unsupported operand type(s) for +: 'int' and 'str'"
    );

    let r = message("response-invalid-request.bin")
        .into_response()
        .unwrap();
    assert_eq!(r.id, Id::Null);
    let e = r.outcome.unwrap_err();
    assert_eq!(
        (e.code, e.message.to_string()),
        (ErrorCode::INVALID_REQUEST, "Invalid Request".into())
    );
    assert!(e.data.is_none());

    let r = message("response-method-not-found.bin")
        .into_response()
        .unwrap();
    assert_eq!(r.id, Id::from(8));
    assert_eq!(r.outcome.unwrap_err().code.0, -32601);

    let r = message("response-result.bin").into_response().unwrap();
    assert_eq!(r.id, Id::from(7));
    assert_eq!(r.outcome.unwrap().as_json_str().unwrap(), "Hello, Rust!");
}

#[test]
fn string_id_response_unescapes() {
    let r = message("response-string-id.bin").into_response().unwrap();
    assert_eq!(r.id, Id::from("abc"));
    let text = r.outcome.unwrap().as_json_str().unwrap();
    assert!(text.is_escaped());
    assert_eq!(text.raw_json(), Some(r"Hello, \u00e9t\u00e9!"));
    let mut buf = [0u8; 64];
    assert_eq!(text.unescape_into(&mut buf).unwrap(), "Hello, été!");
    assert_eq!(text.to_heapless::<16>().unwrap().as_str(), "Hello, été!");
    assert_eq!(text.chars().collect::<String>(), "Hello, été!");
    assert_eq!(text, "Hello, été!");
    assert_ne!(text, r"Hello, \u00e9t\u00e9!");
}

#[test]
fn python_style_reencodes_byte_for_byte() {
    for (name, _) in FILES {
        let json = json(name);
        let m = message(name);
        let mut buf = [0u8; 256];
        let n = m.encode(&mut buf, Style::Python).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            std::str::from_utf8(json).unwrap(),
            "{name}"
        );
        assert_eq!(m.encoded_len(Style::Python), json.len());
    }
}

#[test]
fn rebuilt_from_plain_fields_reencodes_byte_for_byte() {
    use procslink::jsonrpc::{RawValue, Response};
    let result = RawValue::parse(r#""Hello, \u00e9t\u00e9!""#).unwrap();
    let r = Response::result("abc", result);
    let mut buf = [0u8; 128];
    let n = r.encode(&mut buf, Style::Python).unwrap();
    assert_eq!(&buf[..n], json("response-string-id.bin"));

    let mut s = [0u8; 32];
    let n = procslink::jsonrpc::encode_string("Hello, été!", &mut s, Style::Python).unwrap();
    assert_eq!(&s[..n], br#""Hello, \u00e9t\u00e9!""#);
}

#[test]
fn compact_style_round_trips() {
    for (name, _) in FILES {
        let m = message(name);
        let mut buf = [0u8; 256];
        let n = m.encode(&mut buf, Style::Compact).unwrap();
        let again = Message::parse(&buf[..n]).unwrap().single().unwrap();
        match (m, again) {
            (Message::Request(a), Message::Request(b)) => {
                assert_eq!((a.id, a.method), (b.id, b.method), "{name}");
                assert_eq!(a.params, b.params, "{name}");
            }
            (Message::Response(a), Message::Response(b)) => assert_eq!(a, b, "{name}"),
            _ => panic!("{name}: kind changed"),
        }
    }
}
