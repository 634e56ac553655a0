//! The EZ-IPC captures of `tests/data/seed-systems/ezipc-*.bin` (real
//! traffic between the reference client and server, described in
//! `tests/data/MANIFEST.md`) through the crate's codecs: the five-`\n`
//! framing, Base85 and JSON-RPC decoding; and back to the same bytes.
#![cfg(feature = "std")]

use procslink::framing::{Framing, base85, ezipc};
use procslink::jsonrpc::{Decoder, Id, Incoming, Message, Request, Response};
use procslink::peer::ezipc::SEAL_OVERHEAD;
use serde_json::{Value, json};

fn capture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/seed-systems/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The frame texts of a capture, checking that building each again gives
/// the capture's bytes.
fn frames(wire: &[u8]) -> Vec<Vec<u8>> {
    let texts: Vec<Vec<u8>> = ezipc::EzIpcFraming::new()
        .frames(wire, wire.len())
        .map(|f| f.expect("a whole frame").to_vec())
        .collect();
    let mut rebuilt = Vec::new();
    for text in &texts {
        let mut out = vec![0u8; text.len() + ezipc::SEPARATOR.len()];
        let n = ezipc::encode(text, &mut out).expect("frameable");
        rebuilt.extend_from_slice(&out[..n]);
    }
    assert_eq!(rebuilt, wire, "frames rebuild the capture");
    texts
}

/// Base85 text to bytes, checking that encoding them gives the text back.
fn unarmor(text: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; base85::decoded_len(text.len())];
    let n = base85::decode(text, &mut bytes).expect("Base85");
    bytes.truncate(n);
    let mut again = vec![0u8; base85::encoded_len(n)];
    let m = base85::encode(&bytes, &mut again).expect("encode");
    assert_eq!(&again[..m], text, "Base85 round trip");
    bytes
}

fn request(json: &[u8]) -> (String, Option<String>, Value) {
    let Incoming::Single(Message::Request(Request { id, method, params })) =
        Decoder::new().parse(json).expect("JSON-RPC")
    else {
        panic!("not a request: {}", String::from_utf8_lossy(json));
    };
    let id = id.map(|id| match id {
        Id::Str(s) => s.chars().collect(),
        other => panic!("ids are strings: {other:?}"),
    });
    let params = params.map_or(Value::Null, |p| serde_json::from_str(p.as_str()).unwrap());
    (method.chars().collect(), id, params)
}

/// The responses of a batch array: (id, result).
fn batch(json: &[u8]) -> Vec<(String, Value)> {
    let Incoming::Batch(batch) = Decoder::new().parse(json).expect("JSON-RPC") else {
        panic!(
            "the HEAD server answers with arrays: {}",
            String::from_utf8_lossy(json)
        );
    };
    batch
        .iter()
        .map(|m| {
            let Ok(Message::Response(Response {
                id: Id::Str(id),
                outcome: Ok(result),
            })) = m
            else {
                panic!("a result response: {m:?}");
            };
            (
                id.chars().collect(),
                serde_json::from_str(result.as_str()).unwrap(),
            )
        })
        .collect()
}

fn is_alias_id(id: &str, alias: &str) -> bool {
    id.len() == alias.len() + 7
        && id.starts_with(&format!("{alias}/"))
        && id[alias.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
}

#[test]
fn head_base85_session() {
    let c2s = frames(&capture("ezipc-head-base85.client-to-server.bin"));
    let s2c = frames(&capture("ezipc-head-base85.server-to-client.bin"));
    let requests: Vec<_> = c2s.iter().map(|t| request(&unarmor(t))).collect();
    let answers: Vec<_> = s2c.iter().map(|t| batch(&unarmor(t))).collect();
    let methods: Vec<&str> = requests.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(methods, ["ETC.INIT", "ADD", "ECHO", "ECHO", "TERM"]);
    assert_eq!(requests[0].2, json!([]));
    assert_eq!(requests[1].2, json!([2, 40]));
    assert_eq!(requests[2].2, json!({"k": "\u{e9}t\u{e9}"}));
    assert_eq!(
        (requests[3].1.as_ref(), &requests[3].2),
        (None, &json!(["notif"]))
    );
    assert_eq!(
        (requests[4].1.as_ref(), &requests[4].2),
        (None, &json!({"reason": "Program Completed"}))
    );
    // The setup names the session; later ids carry the name.
    assert!(is_alias_id(requests[0].1.as_deref().unwrap(), "000"));
    let [init] = &answers[0][..] else {
        panic!("one answer")
    };
    assert_eq!(Some(&init.0), requests[0].1.as_ref());
    let alias = init.1["id"].as_str().unwrap();
    assert!(init.1["startup"].is_f64());
    for (i, expected) in [(1, json!([42])), (2, json!([{"k": "\u{e9}t\u{e9}"}]))] {
        let id = requests[i].1.clone().unwrap();
        assert!(is_alias_id(&id, alias), "{id}");
        assert_eq!(answers[i], [(id, expected)]);
    }
}

#[test]
fn raw_json_session_at_31bfe9e() {
    let c2s = frames(&capture("ezipc-31bfe9e-raw.client-to-server.bin"));
    let s2c = frames(&capture("ezipc-31bfe9e-raw.server-to-client.bin"));
    let [req] = &c2s[..] else {
        panic!("one request")
    };
    let (method, id, params) = request(req);
    assert_eq!((method.as_str(), params), ("TIME", Value::Null));
    let id = id.unwrap();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let [resp] = &s2c[..] else {
        panic!("one response")
    };
    let Incoming::Single(Message::Response(resp)) = Decoder::new().parse(resp).unwrap() else {
        panic!("the older server answers with single objects");
    };
    assert_eq!(resp.id, Id::from(id.as_str()));
    let result: Value = serde_json::from_str(resp.outcome.unwrap().as_str()).unwrap();
    assert!(result["startup"].is_f64() && result["id"].is_string());
}

#[test]
fn head_nacl_session_has_the_sealed_shape() {
    let c2s = frames(&capture("ezipc-head-nacl.client-to-server.bin"));
    let s2c = frames(&capture("ezipc-head-nacl.server-to-client.bin"));
    assert_eq!((c2s.len(), s2c.len()), (7, 5));
    let requests: Vec<_> = c2s[..3].iter().map(|t| request(&unarmor(t))).collect();
    let methods: Vec<&str> = requests.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(methods, ["ETC.INIT", "RSA.EXCH", "RSA.CONF"]);
    let hex_keys = |v: &Value| {
        let keys: Vec<String> = serde_json::from_value(v.clone()).unwrap();
        keys.len() == 2
            && keys
                .iter()
                .all(|k| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    assert!(hex_keys(&requests[1].2), "{:?}", requests[1].2);
    assert_eq!(requests[2].2, json!([true]));
    let answers: Vec<_> = s2c[..3].iter().map(|t| batch(&unarmor(t))).collect();
    assert!(hex_keys(&answers[1][0].1));
    assert_eq!(answers[2][0].1, json!([true]));
    // Then the calls and answers, sealed: Base85 of more than the seal's
    // overhead, and no longer JSON.
    for sealed in c2s[3..].iter().chain(&s2c[3..]) {
        let bytes = unarmor(sealed);
        assert!(bytes.len() > SEAL_OVERHEAD, "{} bytes", bytes.len());
        assert!(Decoder::new().parse(&bytes).is_err());
    }
}
