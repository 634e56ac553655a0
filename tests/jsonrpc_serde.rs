//! Typed decoding through serde-json-core never hands back escaped text.
#![cfg(feature = "serde")]

use procslink::ErrorKind;
use procslink::jsonrpc::{JsonStr, RawValue, Request};
use serde::Deserialize;

#[derive(Deserialize)]
struct Greeting<'a> {
    #[serde(borrow)]
    name: JsonStr<'a>,
    times: u8,
}

#[derive(Deserialize, Debug)]
struct Borrowed<'a> {
    name: &'a str,
}

const TEXT: &str = r#"{"name": "\u00e9t\u00e9 \ud83d\ude00 \"q\"", "times": 3}"#;

#[test]
fn json_str_fields_unescape_correctly() {
    let v = RawValue::parse(TEXT).unwrap();
    let g: Greeting = v.decode(&mut []).unwrap();
    assert_eq!(g.times, 3);
    assert!(g.name.is_escaped());
    assert_eq!(g.name, "été 😀 \"q\"");
    assert_eq!(
        g.name.raw_json(),
        Some(r#"\u00e9t\u00e9 \ud83d\ude00 \"q\""#)
    );
}

#[test]
fn borrowed_str_fields_fail_instead_of_staying_escaped() {
    let v = RawValue::parse(TEXT).unwrap();
    let err = v.decode::<Borrowed>(&mut [0u8; 64]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypedDecode);
    // Without escapes a borrowed &str is exact.
    let v = RawValue::parse(r#"{"name": "plain"}"#).unwrap();
    assert_eq!(v.decode::<Borrowed>(&mut []).unwrap().name, "plain");
}

#[test]
fn params_decode_positional_and_named() {
    let req = Request::parse(
        br#"{"jsonrpc": "2.0", "method": "greet", "params": {"name": "R\u00fcst", "times": 2}, "id": 1}"#,
    )
    .unwrap();
    let g: Greeting = req.params.unwrap().decode(&mut []).unwrap();
    assert_eq!(g.name.to_string(), "Rüst");
    let req = Request::parse(br#"{"jsonrpc": "2.0", "method": "add", "params": [2, 40]}"#).unwrap();
    let (a, b): (i32, i32) = req.params.unwrap().decode(&mut []).unwrap();
    assert_eq!(a + b, 42);
    assert_eq!(
        req.params
            .unwrap()
            .decode::<(i32, i32, i32)>(&mut [])
            .unwrap_err()
            .kind(),
        ErrorKind::TypedDecode
    );
}

#[test]
fn json_str_with_serde_json() {
    let g: Greeting = serde_json::from_str(r#"{"name": "plain", "times": 1}"#).unwrap();
    assert_eq!(g.name, "plain");
    // serde_json unescapes into its own buffer, which a JsonStr cannot borrow.
    assert!(serde_json::from_str::<Greeting>(TEXT).is_err());
}

#[test]
fn json_str_serializes_unescaped_text() {
    let s = JsonStr::from_json(r#"\u00e9\n\ud83d\ude00"#).unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"é\\n😀\"");
    let mut buf = [0u8; 32];
    let n = serde_json_core::to_slice(&s, &mut buf).unwrap();
    assert_eq!(
        serde_json::from_slice::<String>(&buf[..n]).unwrap(),
        "é\n😀"
    );
}
