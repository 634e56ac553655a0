//! The fast path of the decoder: a message spelled exactly as ProcsLink
//! and [`Style::Python`](super::Style::Python) write one, read member by
//! member in that order without the general walk.
//!
//! A request is `{"jsonrpc": "2.0", "method": M[, "id": I][, "params": P]}`
//! and a response `{"jsonrpc": "2.0", "id": I, "result": R}`. Anything else,
//! and anything invalid, is left to the general walk: the fast path gives
//! either the message the walk would give for the same text or nothing,
//! so errors always come from one place.

use super::id::{Id, Number};
use super::message::{Message, Params, Request, Response};
use super::validate::{Cursor, Notes};
use super::value::RawValue;

/// The message at the cursor, which is at a `{`, if it is spelled as this
/// module reads; the cursor is then past its `}`. When the request has
/// params, `params` holds what validating them noted.
#[inline(always)]
pub(super) fn python_message<'a>(
    cur: &mut Cursor<'a>,
    max_depth: usize,
    params: &mut Notes,
) -> Option<Message<'a>> {
    // The walk refuses the message object itself under a limit of 0.
    if max_depth == 0 {
        return None;
    }
    if cur.eat(b"{\"jsonrpc\": \"2.0\", \"method\": ") {
        request(cur, max_depth, params).map(Message::Request)
    } else if cur.eat(b"{\"jsonrpc\": \"2.0\", \"id\": ") {
        response(cur, max_depth).map(Message::Response)
    } else {
        None
    }
}

#[inline(always)]
fn request<'a>(cur: &mut Cursor<'a>, max_depth: usize, notes: &mut Notes) -> Option<Request<'a>> {
    if cur.peek() != Some(b'"') {
        return None;
    }
    let method = cur.string().ok()?;
    let id = if cur.eat(b", \"id\": ") {
        Some(id(cur)?)
    } else {
        None
    };
    let params = if cur.eat(b", \"params\": ") {
        if !matches!(cur.peek(), Some(b'[' | b'{')) {
            return None;
        }
        cur.notes = Notes::default();
        let value = cur.value(1, max_depth).ok()?;
        *notes = cur.notes;
        Some(Params::new(value)?)
    } else {
        None
    };
    cur.eat(b"}").then_some(Request { id, method, params })
}

#[inline(always)]
fn response<'a>(cur: &mut Cursor<'a>, max_depth: usize) -> Option<Response<'a>> {
    let id = id(cur)?;
    if !cur.eat(b", \"result\": ") {
        return None;
    }
    let at = cur.pos;
    // A string, the usual result, is read here: through the out-of-line
    // `Cursor::value` it cost the client more (callgrind).
    let result = if cur.peek() == Some(b'"') {
        cur.string().ok()?;
        RawValue::from_validated(cur.slice(at, cur.pos))
    } else {
        cur.value(1, max_depth).ok()?
    };
    cur.eat(b"}").then_some(Response {
        id,
        outcome: Ok(result),
    })
}

#[inline(always)]
fn id<'a>(cur: &mut Cursor<'a>) -> Option<Id<'a>> {
    let at = cur.pos;
    match cur.peek()? {
        // A fraction or an exponent after the digits is not the separator
        // or `}` that must follow, so such an id is left to the walk.
        b'1'..=b'9' => {
            cur.bump();
            while let Some(b'0'..=b'9') = cur.peek() {
                cur.bump();
            }
            Some(Id::Number(Number::from_validated(cur.slice(at, cur.pos))))
        }
        b'"' => cur.string().ok().map(Id::Str),
        b'n' => cur.eat(b"null").then_some(Id::Null),
        _ => None,
    }
}

// The tests need `std` (files, `String`), which only that feature links.
#[cfg(all(test, feature = "std"))]
mod tests {
    use super::python_message;
    use crate::jsonrpc::validate::{Cursor, Notes};
    use crate::jsonrpc::{
        Decoder, ErrorCode, ErrorObject, Id, Incoming, MAX_DEPTH, Message, Params, RawValue,
        Request, Response, Style,
    };
    use proptest::prelude::*;
    use std::prelude::rust_2024::*;
    use std::{format, vec};

    /// Decodes `bytes` both ways under `max_depth` and checks that they
    /// agree (values, text slices, errors and params notes); whether the
    /// fast path read the message.
    fn agree(bytes: &[u8], max_depth: usize) -> bool {
        let decoder = Decoder::new().with_max_depth(max_depth);
        let (mut fast_notes, mut walk_notes) = (Notes::default(), Notes::default());
        let fast = decoder.parse_with::<true>(bytes, &mut fast_notes);
        let walk = decoder.parse_with::<false>(bytes, &mut walk_notes);
        let text = String::from_utf8_lossy(bytes);
        assert_eq!(format!("{fast:?}"), format!("{walk:?}"), "{text}");
        if let (Ok(Incoming::Single(a)), Ok(Incoming::Single(b))) = (fast, walk) {
            assert_eq!(a, b, "{text}");
            assert_eq!(fast_notes, walk_notes, "{text}");
        }
        let Ok(text) = core::str::from_utf8(bytes) else {
            return false;
        };
        let mut cur = Cursor::new(text, 0);
        cur.skip_ws();
        python_message(&mut cur, decoder.max_depth(), &mut Notes::default()).is_some()
    }

    fn corpus(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/data/procslink/{name}.bin",
            env!("CARGO_MANIFEST_DIR")
        );
        let datagram = std::fs::read(&path).unwrap_or_else(|e| std::panic!("{path}: {e}"));
        datagram[40..].to_vec()
    }

    #[test]
    fn procslink_requests_and_results_take_the_fast_path() {
        for name in [
            "request-positional",
            "request-named",
            "request-no-params",
            "response-result",
            "response-string-id",
        ] {
            assert!(agree(&corpus(name), MAX_DEPTH), "{name}");
        }
        for name in [
            "response-internal-error",
            "response-invalid-request",
            "response-method-not-found",
        ] {
            assert!(!agree(&corpus(name), MAX_DEPTH), "{name}");
        }
    }

    #[test]
    fn near_misses_are_left_to_the_walk() {
        for text in [
            r#"{"jsonrpc": "2.0", "method": "m", "id": 1, "params": [1]}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": 01, "params": [1]}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": 1.5}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": 1e3}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": -1}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": 0}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": nul}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "params": 3}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "params": [1], "id": 2}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "params": [1], "params": [2]}"#,
            r#"{"jsonrpc": "2.0", "method": "m", "id": 1, "id": 2}"#,
            r#"{"jsonrpc": "2.0", "method": "m"} "#,
            r#"{"jsonrpc": "2.0", "method": "m"}x"#,
            r#"{"jsonrpc": "2.0", "method": "m\u00e9\n"}"#,
            r#"{"jsonrpc": "2.0", "method": "m\x"}"#,
            r#"{"jsonrpc": "2.0", "method": 7}"#,
            r#"{"jsonrpc": "2.0", "id": 7, "result": "a", "error": {}}"#,
            r#"{"jsonrpc": "2.0", "id": 7, "result": [1, {"a": [2]}]}"#,
            r#"{"jsonrpc": "2.0", "id": 7, "result": "unterminated}"#,
            r#"{"jsonrpc": "2.0", "id": "s\"", "result": null}"#,
            r#"{"jsonrpc": "2.0", "id": null, "result": 1}"#,
            r#"{"jsonrpc": "2.0", "id": 7}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":1}"#,
            r#" {"jsonrpc": "2.0", "method": "m", "id": 1}"#,
        ] {
            for max_depth in [0, 1, 2, MAX_DEPTH] {
                agree(text.as_bytes(), max_depth);
            }
        }
    }

    fn id_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "0|[1-9][0-9]{0,23}",
            Just("null".to_string()),
            "[a-z\"\\\\\u{e9}]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ]
    }

    fn value_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e9f64..1e9).prop_map(serde_json::Value::from),
            "[a-z \"\\\\\u{1}\u{e9}\u{1f600}]{0,10}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-z]{0,4}", inner), 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
        .prop_map(|v| serde_json::to_string(&v).unwrap())
    }

    fn encode(m: &Message<'_>, style: Style) -> Vec<u8> {
        let mut buf = vec![0u8; m.encoded_len(style)];
        let n = m.encode(&mut buf, style).unwrap();
        buf.truncate(n);
        buf
    }

    /// `bytes` with the bytes at `edits` replaced, cut at `cut` if short
    /// enough: near misses of the fast path's spelling.
    fn near_miss(bytes: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"[]{},:\" \\0123456789-.eEnul\t\x01\x7f\xff";
        let mut bytes = bytes.to_vec();
        let len = bytes.len();
        for &(at, pick) in edits {
            if let Some(b) = bytes.get_mut(at % (len + 1)) {
                *b = ALPHABET[usize::from(pick) % ALPHABET.len()];
            }
        }
        bytes.truncate(cut);
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 1024,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn the_fast_path_reads_what_the_walk_reads(
            id in proptest::option::of(id_text()),
            method in "[a-z\"\\\\\u{e9}\u{1f600}]{0,8}",
            params in proptest::option::of(value_text()),
            result in value_text(),
            error in any::<bool>(),
            max_depth in prop_oneof![0usize..5, Just(MAX_DEPTH)],
            edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
            cut in prop_oneof![Just(usize::MAX), 0usize..96],
        ) {
            let id = id.as_deref().map(|t| Id::from_value(RawValue::parse(t).unwrap()).unwrap());
            let params = params.as_deref().map(|t| RawValue::parse(t).unwrap()).and_then(Params::new);
            let request = Message::Request(Request { id, method: method.as_str().into(), params });
            let response = Message::Response(match error {
                true => Response::error(id.unwrap_or(Id::Null), ErrorObject::new(ErrorCode::INTERNAL_ERROR, "m")),
                false => Response::result(id.unwrap_or(Id::Null), RawValue::parse(&result).unwrap()),
            });
            for message in [request, response] {
                for style in [Style::Python, Style::PythonUnicode, Style::Compact] {
                    let bytes = encode(&message, style);
                    // What this crate and ProcsLink write, the fast path reads
                    // (a number id only as plain digits, a response only with
                    // a result); the rest, the walk.
                    let plain_id = match message.id() {
                        Some(Id::Number(n)) => n.raw().is_some_and(|t| matches!(t.as_bytes(), [b'1'..=b'9', ..])),
                        _ => true,
                    };
                    let result_response = !matches!(message, Message::Response(Response { outcome: Err(_), .. }));
                    let taken = agree(&bytes, max_depth);
                    if max_depth == MAX_DEPTH {
                        let expected = style != Style::Compact && plain_id && result_response;
                        prop_assert_eq!(taken, expected, "{}", String::from_utf8_lossy(&bytes));
                    }
                    agree(&near_miss(&bytes, &edits, cut), max_depth);
                }
            }
        }
    }
}
