//! Decoding and encoding allocate nothing.

mod common;

use common::alloc::{Counting, allocations_during};
use procslink::jsonrpc::{
    BatchEncoder, ErrorCode, ErrorObject, Id, Incoming, Message, RawValue, Request, Response, Style,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

const BATCH: &[u8] = br#"[
    {"jsonrpc": "2.0", "method": "sum", "params": [1, 2, {"x": ["\ud83d\ude00"]}], "id": "1"},
    {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
    {"foo": "boo"},
    3,
    {"jsonrpc": "2.0", "id": "abc", "result": "Hello, \u00e9t\u00e9!"},
    {"jsonrpc": "2.0", "id": 9, "error": {"code": -32603, "message": "Internal error", "data": "x"}}
]"#;

#[test]
fn decode_and_encode_do_not_allocate() {
    let count = allocations_during(|| {
        let batch = Message::parse(BATCH).unwrap().batch().unwrap();
        let mut scratch = [0u8; 64];
        let mut seen = 0;
        for (item, element) in batch.iter().zip(batch.elements()) {
            let _ = element.recover_id();
            seen += 1;
            let Ok(m) = item else { continue };
            match m {
                Message::Request(r) => {
                    let _ = r.method.unescape_into(&mut scratch).unwrap();
                    for p in r.params.iter().flat_map(|p| p.positional().unwrap()) {
                        for e in p.elements().into_iter().flatten() {
                            let _ = e.kind();
                        }
                        for (k, v) in p.members().into_iter().flatten() {
                            assert!(k.eq_str("x"));
                            let s = v.nth(0).unwrap().as_json_str().unwrap();
                            assert_eq!(s.unescape_into(&mut scratch).unwrap(), "😀");
                            assert_eq!(s.chars().count(), 1);
                        }
                    }
                }
                Message::Response(r) => {
                    if let Ok(v) = r.outcome {
                        let s = v.as_json_str().unwrap();
                        assert_eq!(s.unescape_into(&mut scratch).unwrap(), "Hello, été!");
                        assert_eq!(s.to_heapless::<32>().unwrap().as_str(), "Hello, été!");
                    }
                }
            }
        }
        assert_eq!(seen, 6);

        let e = Message::parse(br#"{"jsonrpc": "2.0", "method": 1, "id": 4}"#).unwrap_err();
        assert_eq!(ErrorCode::from_error(&e), ErrorCode::INVALID_REQUEST);
        assert_eq!(
            Id::recover(br#"{"jsonrpc": "2.0", "method": 1, "id": 4}"#),
            Some(Id::from(4))
        );

        let mut out = [0u8; 512];
        let req = Request::new(
            "\u{e9}",
            "m\n",
            Some(procslink::jsonrpc::Params::new(RawValue::parse("[1]").unwrap()).unwrap()),
        );
        let n = req.encode(&mut out, Style::Python).unwrap();
        assert!(matches!(Message::parse(&out[..n]), Ok(Incoming::Single(_))));
        let resp = Response::error(Id::Null, ErrorObject::from_error(&e));
        let _ = resp.encode(&mut out, Style::Compact).unwrap();
        let _ = resp.encode(&mut out[..3], Style::Compact).unwrap_err();
        let mut batch = BatchEncoder::new(&mut out, Style::Python);
        batch.push(req).unwrap();
        batch.push(resp).unwrap();
        let _ = batch.finish().unwrap();
    });
    assert_eq!(count, 0);
}

#[test]
fn the_counter_counts() {
    let mut v = Vec::new();
    let count = allocations_during(|| v = vec![1u8; 16]);
    assert_eq!(v.len(), 16);
    assert_eq!(count, 1);
}
