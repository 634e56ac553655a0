//! Property tests: encode then decode gives back what was encoded, any
//! input decodes or fails cleanly, and the validator agrees with
//! `serde_json` on what is JSON.

use proptest::prelude::*;
use serde_json::Value;

use procslink::jsonrpc::{
    BatchEncoder, ErrorCode, ErrorObject, Id, Incoming, JsonStr, Message, Params, RawValue,
    Request, Response, Style, encode_string,
};
use procslink::{ErrorKind, JsonSyntax};

const STYLES: [Style; 4] = [
    Style::Compact,
    Style::CompactAscii,
    Style::Python,
    Style::PythonUnicode,
];

/// Strings weighted towards what needs escaping.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\"\\\\/\u{0}-\u{1f}\u{7f}a\u{e9}\u{2028}\u{ffff}\u{10000}\u{1f600}]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(10, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Params: an array or object, sometimes nested deep.
fn params_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(json_value(), 0..5).prop_map(|v| serde_json::to_string(&v).unwrap()),
        prop::collection::btree_map(text(), json_value(), 0..5)
            .prop_map(|m| serde_json::to_string(&m).unwrap()),
        (1usize..120, json_value()).prop_map(|(depth, v)| {
            let mut v = v;
            for i in 0..depth {
                v = if i % 2 == 0 {
                    Value::Array(vec![v])
                } else {
                    serde_json::json!({ "k": v })
                };
            }
            serde_json::to_string(&Value::Array(vec![v])).unwrap()
        }),
    ]
}

#[derive(Clone, Debug)]
enum IdSpec {
    I64(i64),
    U64(u64),
    Str(String),
    Null,
}

fn id_spec() -> impl Strategy<Value = IdSpec> {
    prop_oneof![
        any::<i64>().prop_map(IdSpec::I64),
        any::<u64>().prop_map(IdSpec::U64),
        text().prop_map(IdSpec::Str),
        Just(IdSpec::Null),
    ]
}

fn id(spec: &IdSpec) -> Id<'_> {
    match spec {
        IdSpec::I64(v) => Id::from(*v),
        IdSpec::U64(v) => Id::from(*v),
        IdSpec::Str(s) => Id::from(s.as_str()),
        IdSpec::Null => Id::Null,
    }
}

fn encode(m: &Message<'_>, style: Style) -> Vec<u8> {
    let len = m.encoded_len(style);
    let mut buf = vec![0u8; len];
    assert_eq!(m.encode(&mut buf, style).unwrap(), len);
    if len > 0 {
        let err = m.encode(&mut buf[..len - 1], style).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: len });
    }
    buf
}

fn single(bytes: &[u8]) -> Message<'_> {
    match Message::parse(bytes) {
        Ok(Incoming::Single(m)) => m,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bytes)),
    }
}

/// Touches every view of a decoded message, as a user would.
fn exercise(m: &Message<'_>) {
    fn value(v: RawValue<'_>, depth: usize) {
        let _ = (v.kind(), v.as_bool(), v.is_null());
        if let Some(n) = v.as_number() {
            let _ = (n.as_i64(), n.as_u64(), n.as_f64());
        }
        if let Some(s) = v.as_json_str() {
            string(s);
        }
        if depth < 8 {
            v.elements()
                .into_iter()
                .flatten()
                .for_each(|e| value(e, depth + 1));
            for (k, e) in v.members().into_iter().flatten() {
                string(k);
                value(e, depth + 1);
            }
        }
    }
    fn string(s: JsonStr<'_>) {
        let mut buf = vec![0u8; s.unescaped_len()];
        let text = s.unescape_into(&mut buf).unwrap();
        assert!(s.chars().eq(text.chars()));
        assert!(s.eq_str(text));
    }
    match m {
        Message::Request(r) => {
            string(r.method);
            if let Some(Id::Str(s)) = r.id {
                string(s);
            }
            if let Some(p) = r.params {
                value(p.raw(), 0);
            }
        }
        Message::Response(r) => {
            if let Id::Str(s) = r.id {
                string(s);
            }
            match r.outcome {
                Ok(v) => value(v, 0),
                Err(e) => {
                    string(e.message);
                    e.data.into_iter().for_each(|d| value(d, 0));
                }
            }
        }
    }
}

fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"[]{},:\"\\ 0123456789-+.eEtrufalsn/ubx\t\n\x01\x7f\xff";
    let mut bytes = text.as_bytes().to_vec();
    for &(at, op, pick) in edits {
        let b = ALPHABET[pick as usize % ALPHABET.len()];
        let at = if bytes.is_empty() {
            0
        } else {
            at % (bytes.len() + 1)
        };
        match op % 3 {
            0 => bytes.insert(at, b),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = b,
            _ => bytes.push(b),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn request_round_trip(ids in id_spec(), notify in any::<bool>(), method in text(), params in proptest::option::of(params_text())) {
        let raw = params.as_deref().map(|p| Params::new(RawValue::parse(p).unwrap()).unwrap());
        let req = if notify {
            Request::notification(method.as_str(), raw)
        } else {
            Request::new(id(&ids), method.as_str(), raw)
        };
        for style in STYLES {
            let bytes = encode(&Message::Request(req), style);
            if style.ensure_ascii() && params.as_ref().is_none_or(|p| p.is_ascii()) {
                prop_assert!(bytes.is_ascii());
            }
            let m = single(&bytes);
            exercise(&m);
            let back = m.into_request().unwrap();
            prop_assert_eq!(back, req);
            prop_assert_eq!(back.method.to_string(), method.clone());
            if let Some(p) = &params {
                let decoded: Value = serde_json::from_str(back.params.unwrap().as_str()).unwrap();
                let original: Value = serde_json::from_str(p).unwrap();
                prop_assert_eq!(decoded, original);
            }
            let via_serde: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(via_serde["method"].as_str().unwrap(), method.as_str());
            match &ids {
                IdSpec::I64(v) if !notify => {
                    prop_assert_eq!(back.id.unwrap().as_i64(), Some(*v));
                }
                IdSpec::U64(v) if !notify => {
                    prop_assert_eq!(back.id.unwrap().as_u64(), Some(*v));
                }
                IdSpec::Str(s) if !notify => {
                    prop_assert_eq!(via_serde["id"].as_str().unwrap(), s.as_str());
                }
                _ => {}
            }
        }
    }

    #[test]
    fn response_round_trip(ids in id_spec(), result in json_value(), code in any::<i32>(), message in text(), data in proptest::option::of(json_value()), is_error in any::<bool>()) {
        let result_text = serde_json::to_string(&result).unwrap();
        let data_text = data.map(|d| serde_json::to_string(&d).unwrap());
        let resp = if is_error {
            let mut e = ErrorObject::new(code, message.as_str());
            if let Some(d) = &data_text {
                e = e.with_data(RawValue::parse(d).unwrap());
            }
            Response::error(id(&ids), e)
        } else {
            Response::result(id(&ids), RawValue::parse(&result_text).unwrap())
        };
        for style in STYLES {
            let bytes = encode(&Message::Response(resp), style);
            let m = single(&bytes);
            exercise(&m);
            let back = m.into_response().unwrap();
            prop_assert_eq!(back, resp);
            if let Err(e) = back.outcome {
                prop_assert_eq!(e.code, ErrorCode(code));
                prop_assert_eq!(e.message.to_string(), message.clone());
            }
        }
    }

    #[test]
    fn batch_round_trip(methods in prop::collection::vec(text(), 1..8), style_pick in 0usize..4) {
        let style = STYLES[style_pick];
        let messages: Vec<Message<'_>> = methods
            .iter()
            .enumerate()
            .map(|(i, m)| {
                if i % 3 == 2 {
                    Message::Response(Response::result(i as u64, RawValue::NULL))
                } else {
                    Message::Request(Request::new(i as u64, m.as_str(), None))
                }
            })
            .collect();
        let mut buf = vec![0u8; 64 * 1024];
        let mut enc = BatchEncoder::new(&mut buf, style);
        for m in &messages {
            enc.push(*m).unwrap();
        }
        let n = enc.finish().unwrap();
        let serde_value: Value = serde_json::from_slice(&buf[..n]).unwrap();
        prop_assert_eq!(serde_value.as_array().unwrap().len(), messages.len());
        let batch = Message::parse(&buf[..n]).unwrap().batch().unwrap();
        let decoded: Vec<_> = batch.iter().map(Result::unwrap).collect();
        prop_assert_eq!(decoded, messages);
    }

    #[test]
    fn batch_encoder_reports_exact_size(methods in prop::collection::vec(text(), 1..6), cut in any::<prop::sample::Index>()) {
        let mut full = vec![0u8; 64 * 1024];
        let mut enc = BatchEncoder::new(&mut full, Style::Python);
        for m in &methods {
            enc.push(Request::notification(m.as_str(), None)).unwrap();
        }
        let total = enc.finish().unwrap();
        let size = cut.index(total);
        let mut small = vec![0u8; size];
        let mut enc = BatchEncoder::new(&mut small, Style::Python);
        let mut failed = None;
        for m in &methods {
            if let Err(e) = enc.push(Request::notification(m.as_str(), None)) {
                failed = Some(e);
                break;
            }
        }
        let err = failed.expect("a smaller buffer must fail");
        match err.kind() {
            ErrorKind::BufferTooSmall { needed } => prop_assert!(needed > size && needed <= total),
            other => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn unescape_inverts_encode(s in text(), style_pick in 0usize..4) {
        let style = STYLES[style_pick];
        let mut buf = vec![0u8; s.len() * 12 + 2];
        let n = encode_string(&s, &mut buf, style).unwrap();
        let encoded = &buf[..n];
        prop_assert_eq!(serde_json::from_slice::<String>(encoded).unwrap(), s.clone());
        let value = RawValue::from_slice(encoded).unwrap();
        let js = value.as_json_str().unwrap();
        let mut out = vec![0u8; s.len()];
        prop_assert_eq!(js.unescape_into(&mut out).unwrap(), s.as_str());
        prop_assert_eq!(js.chars().collect::<String>(), s.clone());
        prop_assert_eq!(js.unescaped_len(), s.len());
        prop_assert!(js == s.as_str());
        if !s.is_empty() {
            let err = js.unescape_into(&mut out[..s.len() - 1]).unwrap_err();
            prop_assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: s.len() });
        }
    }

    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_any(&bytes);
    }

    #[test]
    fn mutated_messages_decode_or_fail_cleanly(
        ids in id_spec(),
        params in params_text(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let req = Request::new(id(&ids), "m", Some(Params::new(RawValue::parse(&params).unwrap()).unwrap()));
        let text = String::from_utf8(encode(&Message::Request(req), Style::Python)).unwrap();
        check_any(&mutate(&text, &edits));
        let batch = format!("[{text}, {text}]");
        check_any(&mutate(&batch, &edits));
        let resp = Response::result(id(&ids), RawValue::parse(&params).unwrap());
        let text = String::from_utf8(encode(&Message::Response(resp), Style::Python)).unwrap();
        check_any(&mutate(&text, &edits));
    }

    #[test]
    fn agrees_with_serde_json(value in json_value(), edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..4)) {
        let text = serde_json::to_string(&value).unwrap();
        let bytes = mutate(&text, &edits);
        let theirs = serde_json::from_slice::<Value>(&bytes);
        if let Err(e) = &theirs {
            prop_assume!(!e.to_string().contains("out of range"));
        }
        let ours = RawValue::from_slice(&bytes);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} vs {:?}", String::from_utf8_lossy(&bytes), ours, theirs);
        if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
            let reparsed: Value = serde_json::from_str(ours.as_str()).unwrap();
            prop_assert_eq!(reparsed, theirs);
        }
    }
}

fn check_any(bytes: &[u8]) {
    // The decoder's fast path for ProcsLink's spelling agrees with its
    // general walk (which only the fuzzing features expose).
    #[cfg(any(feature = "arbitrary", feature = "proptest"))]
    assert_eq!(
        format!("{:?}", Message::parse(bytes)),
        format!("{:?}", procslink::fuzzing::decode_general(bytes)),
        "{:?}",
        String::from_utf8_lossy(bytes)
    );
    match Message::parse(bytes) {
        Ok(Incoming::Single(m)) => {
            exercise(&m);
            for style in STYLES {
                let again = encode(&m, style);
                assert_eq!(single(&again), m);
            }
        }
        Ok(Incoming::Batch(b)) => {
            for el in b.elements() {
                let _ = el.recover_id();
                match el.message() {
                    Ok(m) => exercise(&m),
                    Err(e) => assert!(matches!(e.kind(), ErrorKind::Rpc(_))),
                }
            }
            assert_eq!(b.iter().count(), b.len());
        }
        Err(e) => {
            assert!(e.offset() <= bytes.len());
            assert!(matches!(e.kind(), ErrorKind::Json(_) | ErrorKind::Rpc(_)));
            let _ = Id::recover(bytes);
        }
    }
    if let Ok(v) = RawValue::from_slice(bytes) {
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(v.as_str()).is_ok());
    }
}

#[test]
fn depth_limit_is_not_a_stack_overflow() {
    let text = "[".repeat(1 << 20);
    let e = RawValue::parse(&text).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Json(JsonSyntax::TooDeep));
    assert_eq!(e.offset(), procslink::jsonrpc::MAX_DEPTH);
}
