//! How the domainsockets peer reads a call's data and an error frame's
//! text (`peer::domainsockets`): any bytes. Data that gives params must
//! give the same params again from the text `params_text` writes for them;
//! a value read from data must read back the same from the bytes
//! `encode_value` writes for it; no text makes `error_from_text` panic.
//!
//! "The same" lets a float differ in its last bit: serde_json (without
//! its `float_roundtrip` feature) may parse the shortest text of a float
//! one unit in the last place off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::peer::domainsockets::{
    decode_value, encode_value, error_from_text, error_text, params_from_data, params_text,
};
use serde_json::Value;

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = params_from_data(data) {
        let text = params_text(&params);
        let again = params_from_data(text.as_bytes()).expect("params_text is valid data");
        match (params.value(), again.value()) {
            (Some(a), Some(b)) => assert!(same(a, b), "{text:?}: {a} != {b}"),
            (a, b) => assert_eq!(a, b, "{text:?}"),
        }
    }
    if let Ok(value) = decode_value(data) {
        let mut wire = Vec::new();
        encode_value(&value, &mut wire);
        let again = decode_value(&wire).expect("encode_value writes text");
        assert!(same(&value, &again), "{value} != {again}");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let error = error_from_text(text);
        let _ = error_text(&error);
    }
});
