//! [`ResultText`]: where a raw handler writes its result.

use std::prelude::rust_2024::*;

use serde_json::Value;

use super::error::RpcError;
use super::json::{write_raw, write_str_parts};
use crate::jsonrpc::{MAX_DEPTH_LIMIT, RawValue, Style};

/// Where a raw handler ([`Methods::add_raw`](super::Methods::add_raw))
/// writes its result: JSON text that goes into the response as it is,
/// spelled in the server's [`Style`], with no [`serde_json::Value`] and no
/// allocation in between. Each write replaces the one before; a handler
/// that writes nothing answers `null`.
///
/// ```
/// use procslink::peer::{Methods, Params, ResultText, RpcError};
/// use serde_json::json;
///
/// let mut methods = Methods::new();
/// methods.add_raw("greet", |p: Params, out: &mut ResultText| -> Result<(), RpcError> {
///     let name = p.str_arg(0, "name")?;
///     out.concat(&["Hi, ", &name, "!"]);
///     Ok(())
/// });
/// let reply = methods.call("greet", Params::from_value(Some(json!(["Zo\u{eb}"]))))?;
/// assert_eq!(reply.value, json!("Hi, Zo\u{eb}!"));
/// # Ok::<(), RpcError>(())
/// ```
#[derive(Debug)]
pub struct ResultText<'t> {
    text: &'t mut String,
    style: Style,
}

impl<'t> ResultText<'t> {
    pub(crate) fn new(text: &'t mut String, style: Style) -> Self {
        text.clear();
        ResultText { text, style }
    }

    /// A string result.
    #[inline]
    pub fn string(&mut self, s: &str) {
        self.concat(&[s]);
    }

    /// A string result made of `parts`, one after the other.
    #[inline]
    pub fn concat(&mut self, parts: &[&str]) {
        self.text.clear();
        write_str_parts(parts, self.style, self.text);
    }

    /// A result of any JSON value.
    ///
    /// # Errors
    ///
    /// -32603 "Internal error" when it nests deeper than
    /// [`MAX_DEPTH_LIMIT`] arrays and objects.
    pub fn value(&mut self, value: &Value) -> Result<(), RpcError> {
        write_raw(value, self.style, MAX_DEPTH_LIMIT, self.text)
            .map(drop)
            .ok_or_else(|| RpcError::internal("the result nests too deeply"))
    }

    /// A result already in JSON text, as it is.
    pub fn raw(&mut self, json: RawValue<'_>) {
        self.text.clear();
        self.text.push_str(json.as_str());
    }

    /// The text written, `null` if none.
    pub(crate) fn json(text: &str) -> RawValue<'_> {
        if text.is_empty() {
            RawValue::NULL
        } else {
            RawValue::from_validated(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ResultText;
    use crate::jsonrpc::{RawValue, Style};
    use serde_json::json;
    use std::prelude::rust_2024::*;

    fn written(style: Style, write: impl FnOnce(&mut ResultText<'_>)) -> String {
        let mut text = String::from("stale");
        write(&mut ResultText::new(&mut text, style));
        ResultText::json(&text).as_str().to_string()
    }

    #[test]
    fn strings_are_escaped_as_the_style_spells_them() {
        let parts = ["Hello, ", "Zo\u{eb} \"\\\u{1}", "!"];
        let joined = parts.concat();
        for style in [
            Style::Compact,
            Style::CompactAscii,
            Style::Python,
            Style::PythonUnicode,
        ] {
            let mut value = String::new();
            crate::peer::json::write_value(&json!(joined), style, &mut value);
            assert_eq!(written(style, |out| out.concat(&parts)), value, "{style:?}");
            assert_eq!(
                written(style, |out| out.string(&joined)),
                value,
                "{style:?}"
            );
        }
        assert_eq!(
            written(Style::Python, |out| out.concat(&parts)),
            r#""Hello, Zo\u00eb \"\\\u0001!""#
        );
    }

    #[test]
    fn each_write_replaces_the_last_and_none_is_null() {
        assert_eq!(written(Style::Python, |_| {}), "null");
        assert_eq!(
            written(Style::Python, |out| {
                out.string("first");
                out.value(&json!({"a": [1, 2.5]})).unwrap();
            }),
            r#"{"a": [1, 2.5]}"#
        );
        let raw = RawValue::parse("[true,null]").unwrap();
        assert_eq!(written(Style::Python, |out| out.raw(raw)), "[true,null]");
        let mut deep = json!(0);
        for _ in 0..300 {
            deep = json!([deep]);
        }
        let mut text = String::new();
        let err = ResultText::new(&mut text, Style::Python)
            .value(&deep)
            .unwrap_err();
        assert_eq!(err.code.0, -32603);
    }
}
