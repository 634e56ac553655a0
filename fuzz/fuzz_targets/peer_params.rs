//! A handler's `Params` from arbitrary JSON text, against `serde_json`:
//! text that `Params::from_json` accepts must be what `serde_json` reads,
//! and every accessor (argument by argument, borrowed strings, the whole)
//! must agree with the `serde_json::Value` of it. Values are also written
//! back in every style by the peer's writer: JSON each time, and byte for
//! byte what `serde_json` writes in the compact style.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::jsonrpc::{Decoder, MAX_DEPTH_LIMIT, Style};
use procslink::peer::{Params, to_json_text};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reference = serde_json::from_str::<Value>(text);
    let params = match Params::from_json(text) {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.code.0, -32602);
            // Refused: it is no array or object, or not JSON to the codec,
            // or serde_json cannot hold it.
            if let Ok(v @ (Value::Array(_) | Value::Object(_))) = &reference {
                let nested = Decoder::new().with_max_depth(MAX_DEPTH_LIMIT).value(data);
                assert!(nested.is_err() || e.data.is_some(), "{v} refused: {e:?}");
            }
            return;
        }
    };
    let value = reference.expect("accepted params that serde_json refuses");
    assert_eq!(params.value(), Some(&value));
    assert_eq!(params.parse::<Value>().ok(), Some(value.clone()));
    match &value {
        Value::Array(items) => {
            assert!(params.is_positional());
            assert_eq!(params.len(), items.len());
            for (i, item) in items.iter().enumerate().take(8) {
                assert_eq!(params.arg::<Value>(i, "").ok().as_ref(), Some(item));
                match (item, params.str_arg(i, "")) {
                    (Value::String(s), Ok(got)) => assert_eq!(&*got, s),
                    (Value::String(_), Err(e)) => panic!("string argument refused: {e:?}"),
                    (_, got) => assert!(got.is_err()),
                }
            }
            assert!(params.arg::<Value>(items.len(), "").is_err());
        }
        Value::Object(members) => {
            assert!(params.is_named());
            assert_eq!(params.len(), members.len());
            for (name, item) in members.iter().take(8) {
                assert_eq!(
                    params.arg::<Value>(usize::MAX, name).ok().as_ref(),
                    Some(item)
                );
            }
        }
        other => panic!("params accepted as {other}"),
    }
    for style in [
        Style::Compact,
        Style::CompactAscii,
        Style::Python,
        Style::PythonUnicode,
    ] {
        let mut serde = Vec::new();
        let written = if style == Style::Compact {
            serde_json::to_writer(&mut serde, &value).map(|()| String::from_utf8(serde).ok())
        } else {
            Ok(None)
        };
        let ours = to_json_text(&value, style);
        if let Ok(Some(serde)) = written {
            assert_eq!(ours, serde);
        }
        // What is written is JSON. (Not always the same value read back:
        // serde_json's default float parsing is not correctly rounded for
        // long literals, so `7000…0001648…e0` and its shortest spelling
        // `7e+39` may read as neighbouring doubles.)
        assert!(serde_json::from_str::<Value>(&ours).is_ok(), "{ours}");
    }
});
