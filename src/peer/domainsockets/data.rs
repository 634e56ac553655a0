//! How a call's `data` bytes stand for JSON-RPC params and results, and
//! how an error frame's text stands for an [`RpcError`]: see the
//! [module docs](crate::peer::domainsockets#data).

use std::prelude::rust_2024::*;

use serde::de::IgnoredAny;
use serde_json::Value;

use crate::jsonrpc::{ErrorCode, Style};
use crate::peer::error::RpcError;
use crate::peer::json::to_json_text;
use crate::peer::params::Params;

/// The code of an error frame whose text names none: -32000, the first of
/// JSON-RPC's implementation-defined server errors.
pub const SERVER_ERROR: ErrorCode = ErrorCode(-32000);

/// Whether `text` is JSON (surrounding whitespace allowed).
fn is_json(text: &str) -> bool {
    serde_json::from_str::<IgnoredAny>(text).is_ok()
}

/// Appends the data bytes standing for `value` to `out`.
///
/// ```
/// use procslink::peer::domainsockets::{decode_value, encode_value};
/// use serde_json::json;
///
/// for (value, wire) in [
///     (json!("h\u{e9}llo"), "h\u{e9}llo"),
///     (json!("42"), "\"42\""),
///     (json!(""), ""),
///     (json!(42), "42"),
///     (json!({"k": [1, "\u{e9}"]}), "{\"k\":[1,\"\u{e9}\"]}"),
/// ] {
///     let mut out = Vec::new();
///     encode_value(&value, &mut out);
///     assert_eq!(out, wire.as_bytes());
///     assert_eq!(decode_value(&out)?, value);
/// }
/// # Ok::<(), procslink::peer::RpcError>(())
/// ```
pub fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) if !is_json(s) => out.extend_from_slice(s.as_bytes()),
        other => out.extend_from_slice(to_json_text(other, Style::Compact).as_bytes()),
    }
}

/// The value data bytes stand for: JSON as JSON, other text as a string
/// (empty data is the empty string).
///
/// # Errors
///
/// -32602 "Invalid params" when the bytes are not UTF-8.
pub fn decode_value(data: &[u8]) -> Result<Value, RpcError> {
    let text = utf8(data)?;
    Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// The params a call's data stands for (see the [module docs](crate::peer::domainsockets#data)):
/// borrowed from `data` when it is a JSON array or object.
///
/// ```
/// use procslink::peer::domainsockets::params_from_data;
/// use serde_json::json;
///
/// assert!(params_from_data(b"")?.is_absent());
/// assert_eq!(params_from_data(b"[2, 40]")?.json(), Some("[2, 40]"));
/// assert_eq!(params_from_data(b"h\xc3\xa9llo")?.value(), Some(&json!(["h\u{e9}llo"])));
/// assert_eq!(params_from_data(b"42")?.value(), Some(&json!([42])));
/// assert_eq!(params_from_data(b"\xff").unwrap_err().code.0, -32602);
/// # Ok::<(), procslink::peer::RpcError>(())
/// ```
///
/// # Errors
///
/// -32602 "Invalid params" when the bytes are not UTF-8, or are a JSON
/// array or object that [`Params::from_json`] refuses (too deep, numbers
/// out of range).
pub fn params_from_data(data: &[u8]) -> Result<Params<'_>, RpcError> {
    if data.is_empty() {
        return Ok(Params::from_value(None));
    }
    let text = utf8(data)?;
    let opens = text.trim_start().as_bytes().first();
    if matches!(opens, Some(b'[' | b'{')) {
        match Params::from_json(text) {
            Ok(params) => return Ok(params),
            Err(e) if is_json(text) => return Err(e),
            Err(_) => {} // text that only looks like JSON
        }
    }
    let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    Ok(Params::from_value(Some(Value::Array(vec![value]))))
}

/// Appends the data bytes a client sends for `params`: nothing for
/// [`Value::Null`] (no params), `""` for the empty string (one argument),
/// else [`encode_value`].
pub fn encode_params(params: &Value, out: &mut Vec<u8>) {
    match params {
        Value::Null => {}
        Value::String(s) if s.is_empty() => out.extend_from_slice(b"\"\""),
        other => encode_value(other, out),
    }
}

/// The data text that stands for `params`, the inverse of
/// [`params_from_data`]: the JSON text that arrived, or the one positional
/// argument as [`encode_params`] writes it (an argument of `null` as
/// `null`), or the params' JSON.
pub fn params_text(params: &Params<'_>) -> String {
    if let Some(text) = params.json() {
        return text.to_owned();
    }
    let mut out = Vec::new();
    match params.value() {
        None => {}
        Some(Value::Array(args)) if args.len() == 1 => match args.first() {
            Some(Value::Null) => out.extend_from_slice(b"null"),
            Some(arg) => encode_params(arg, &mut out),
            None => {}
        },
        Some(other) => encode_value(other, &mut out),
    }
    // encode_value writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// The text of an error frame for `error`: its `Display`.
pub fn error_text(error: &RpcError) -> String {
    error.to_string()
}

/// The [`RpcError`] an error frame's text stands for (see the
/// [module docs](crate::peer::domainsockets#data)).
///
/// ```
/// use procslink::peer::RpcError;
/// use procslink::peer::domainsockets::{error_from_text, error_text, SERVER_ERROR};
///
/// let e = RpcError::invalid_params("expected two numbers");
/// assert_eq!(error_from_text(&error_text(&e)), e);
/// let go = error_from_text("handler(echo) error: boom");
/// assert_eq!((go.code, go.message.as_str()), (SERVER_ERROR, "handler(echo) error: boom"));
/// ```
pub fn error_from_text(text: &str) -> RpcError {
    let coded = text.split_once(' ').and_then(|(code, rest)| {
        let code: i32 = code.starts_with('-').then(|| code.parse().ok())??;
        Some((code, rest))
    });
    let Some((code, rest)) = coded else {
        return RpcError::new(SERVER_ERROR, text);
    };
    if let Some((message, data)) = rest.split_once(": ")
        && let Ok(data) = serde_json::from_str::<Value>(data)
    {
        return RpcError::new(code, message).with_data(data);
    }
    RpcError::new(code, rest)
}

fn utf8(data: &[u8]) -> Result<&str, RpcError> {
    std::str::from_utf8(data).map_err(|e| {
        RpcError::invalid_params(format_args!(
            "the data is neither JSON nor UTF-8 text (byte {} is not UTF-8)",
            e.valid_up_to()
        ))
    })
}
