//! Writing `serde_json` values in the codec's [`Style`]s, Python's
//! `json.dumps` spelling included (separators `", "` and `": "`, non-ASCII
//! as `\uXXXX`, floats as Python's `repr`).

use std::prelude::rust_2024::*;

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{Number, Value};

use crate::jsonrpc::{RawValue, Style, encode_string, scan_ascii_plain, scan_plain};

/// Writes `value` as JSON text in `style`.
///
/// With [`Style::Python`] the text is what Python's `json.dumps(value)`
/// writes for the same value (object members in the order the value holds
/// them), so a peer answers with the reference implementation's bytes.
///
/// ```
/// use procslink::jsonrpc::Style;
/// use procslink::peer::to_json_text;
/// use serde_json::json;
///
/// let v = json!({"a": [1, 2.5, 1e16, 0.00001], "b": "\u{e9}t\u{e9}\u{1F600}", "c": null});
/// assert_eq!(
///     to_json_text(&v, Style::Python),
///     r#"{"a": [1, 2.5, 1e+16, 1e-05], "b": "\u00e9t\u00e9\ud83d\ude00", "c": null}"#
/// );
/// assert_eq!(to_json_text(&v, Style::Compact), "{\"a\":[1,2.5,1e+16,0.00001],\"b\":\"\u{e9}t\u{e9}\u{1F600}\",\"c\":null}");
/// ```
pub fn to_json_text(value: &Value, style: Style) -> String {
    let mut out = String::with_capacity(64);
    write_value(value, style, &mut out);
    out
}

/// Appends `value` to `out` as JSON text in `style` (what
/// [`to_json_text`] returns, for any serde type, through `serde_json`), so
/// that buffers can be reused from call to call.
pub(crate) fn write_json<T: Serialize + ?Sized>(
    value: &T,
    style: Style,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    if style == Style::Compact {
        serde_json::to_writer(out, value)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(out, StyledFormatter { style });
        value.serialize(&mut ser)
    }
}

/// `value`'s JSON text in `out` (cleared first), spelled in `style`, as a
/// [`RawValue`] without validating it again: [`write_value`] writes JSON.
/// `None` when it nests deeper than `max_depth` arrays and objects, which
/// a decoder with that limit would refuse.
pub(crate) fn write_raw<'t>(
    value: &Value,
    style: Style,
    max_depth: usize,
    out: &'t mut String,
) -> Option<RawValue<'t>> {
    out.clear();
    if !write_within(value, style, max_depth, out) {
        out.clear();
        return None;
    }
    Some(RawValue::from_validated(out))
}

/// Appends `value` to `out` exactly as [`write_json`] writes it (checked
/// by a property test), without serde's machinery.
pub(crate) fn write_value(value: &Value, style: Style, out: &mut String) {
    write_within(value, style, usize::MAX, out);
}

/// [`write_value`] while `value` nests at most `room` arrays and objects,
/// itself included; whether it did (else `out` holds part of it).
fn write_within(value: &Value, style: Style, room: usize, out: &mut String) -> bool {
    let inner = match value {
        Value::Array(_) | Value::Object(_) => match room.checked_sub(1) {
            Some(inner) => inner,
            None => return false,
        },
        _ => room,
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, style, out),
        Value::String(s) => write_str(s, style, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(style.separator());
                }
                if !write_within(item, style, inner, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(style.separator());
                }
                write_str(key, style, out);
                out.push_str(style.name_separator());
                if !write_within(item, style, inner, out) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

/// A string in quotes, escaped as the codec's encoder spells it in
/// `style` (which is how `serde_json` escapes, plus non-ASCII characters
/// and DEL as `\uXXXX` in the styles that ensure ASCII).
fn write_str(s: &str, style: Style, out: &mut String) {
    write_str_parts(&[s], style, out);
}

/// [`write_str`] of the concatenation of `parts`, without building it when
/// no part needs an escape: the parts are copied first, then scanned once.
pub(crate) fn write_str_parts(parts: &[&str], style: Style, out: &mut String) {
    let start = out.len();
    out.push('"');
    parts.iter().for_each(|p| out.push_str(p));
    let written = out.as_bytes();
    let plain = if style.ensure_ascii() {
        scan_ascii_plain(written, start + 1)
    } else {
        scan_plain(written, start + 1)
    };
    if plain == written.len() {
        out.push('"');
        return;
    }
    out.truncate(start);
    let joined;
    let s = match parts {
        [one] => *one,
        _ => {
            joined = parts.concat();
            joined.as_str()
        }
    };
    // An escape takes at most 6 bytes per byte of UTF-8 (`\u001f` for a
    // control character; a 4-byte character becomes two 6-byte escapes).
    let mut short = [0u8; 256];
    let mut long = Vec::new();
    let buf = if s.len() * 6 + 2 <= short.len() {
        &mut short[..]
    } else {
        long.resize(s.len() * 6 + 2, 0);
        &mut long[..]
    };
    // The buffer is large enough, and the encoder writes UTF-8.
    if let Ok(n) = encode_string(s, buf, style) {
        out.push_str(std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default());
    }
}

/// Text that `serde_json` wrote, as a [`RawValue`] without validating it
/// again (its serializer writes only JSON); `None` when it nests deeper
/// than `max_depth` arrays and objects.
pub(crate) fn serde_text(text: &[u8], max_depth: usize) -> Option<RawValue<'_>> {
    // Each level opens and closes a container: shorter text cannot nest
    // deeper.
    let may_be_deeper = text.len() / 2 > max_depth;
    if may_be_deeper && TextShape::of(text).depth > max_depth {
        return None;
    }
    // Valid JSON text has no ASCII whitespace at its ends but JSON's.
    let text = std::str::from_utf8(text).ok()?.trim_ascii();
    Some(RawValue::from_validated(text))
}

/// What one pass over JSON text (assumed valid) tells without parsing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TextShape {
    /// The deepest nesting of arrays and objects.
    pub(crate) depth: usize,
    /// A number with an exponent or over 300 digits: one that could
    /// overflow an `f64`.
    pub(crate) wide_number: bool,
    /// A `\u` escape in a string: one that could be a lone surrogate.
    pub(crate) u_escape: bool,
    /// The elements (or members) of the outermost array (or object).
    pub(crate) top_level: usize,
}

impl TextShape {
    pub(crate) fn of(text: &[u8]) -> TextShape {
        let mut shape = TextShape::default();
        let mut depth = 0usize;
        // Where the outermost container's first element would start.
        let mut first = None;
        let mut i = 0usize;
        while let Some(&b) = text.get(i) {
            i = i.wrapping_add(1);
            match b {
                b'"' => i = shape.skip_string(text, i),
                b',' if depth == 1 => shape.top_level += 1,
                b'[' | b'{' => {
                    depth += 1;
                    shape.depth = shape.depth.max(depth);
                    first.get_or_insert(i);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'-' | b'0'..=b'9' => i = shape.skip_number(text, i),
                _ => {}
            }
        }
        // Commas separate; an empty container has none and no element.
        let inner = first.and_then(|at| {
            text.get(at..)?
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        });
        if !matches!(inner, Some(b']' | b'}') | None) {
            shape.top_level += 1;
        }
        shape
    }

    /// Past the string whose contents start at `i`, noting `\u` escapes.
    #[inline(always)]
    fn skip_string(&mut self, text: &[u8], mut i: usize) -> usize {
        loop {
            i = scan_plain(text, i);
            match text.get(i) {
                Some(b'\\') => {
                    self.u_escape |= text.get(i.wrapping_add(1)) == Some(&b'u');
                    i = i.wrapping_add(2);
                }
                Some(b'"') => return i.wrapping_add(1),
                Some(_) => i = i.wrapping_add(1),
                None => return i,
            }
        }
    }

    /// Past the rest of the number whose first byte is before `i`, noting
    /// an exponent or over 300 digits.
    #[inline(always)]
    fn skip_number(&mut self, text: &[u8], i: usize) -> usize {
        let rest = text.get(i..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
            .unwrap_or(rest.len());
        let number = rest.get(..len).unwrap_or_default();
        self.wide_number |= len >= 300 || number.iter().any(|b| matches!(b, b'e' | b'E'));
        i.wrapping_add(len)
    }
}

/// A `serde_json` formatter for the non-compact [`Style`]s.
struct StyledFormatter {
    style: Style,
}

impl StyledFormatter {
    /// The separator before an array element or object member, unless it
    /// is the first.
    fn separator<W: ?Sized + Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        if first {
            return Ok(());
        }
        writer.write_all(self.style.separator().as_bytes())
    }
}

impl Formatter for StyledFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(self.style.name_separator().as_bytes())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.style.ensure_ascii() || fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\u{7f}' {
                continue;
            }
            writer.write_all(fragment.as_bytes().get(start..i).unwrap_or_default())?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units).iter() {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(fragment.as_bytes().get(start..).unwrap_or_default())
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        if self.style.spaced() {
            writer.write_all(python_float_repr(value).as_bytes())
        } else {
            serde_json::ser::CompactFormatter.write_f64(writer, value)
        }
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_number_str<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        value: &str,
    ) -> io::Result<()> {
        let mut text = String::from(value);
        if self.style.spaced() {
            pythonize_number(&mut text, 0);
        }
        writer.write_all(text.as_bytes())
    }
}

/// Appends the number `n` in `style`.
fn write_number(n: &Number, style: Style, out: &mut String) {
    if !cfg!(feature = "exact-values") {
        // The number is a `u64`, an `i64` or an `f64`.
        if let Some(u) = n.as_u64() {
            out.push_str(itoa::Buffer::new().format(u));
            return;
        }
        if let Some(i) = n.as_i64() {
            out.push_str(itoa::Buffer::new().format(i));
            return;
        }
        if let (Some(f), true) = (n.as_f64(), style.spaced()) {
            out.push_str(&python_float_repr(f));
            return;
        }
    }
    // The number's text as the value holds it: as it arrived (with
    // `exact-values`), or serde_json's spelling of a float.
    let start = out.len();
    let _ = write!(out, "{n}");
    if style.spaced() {
        pythonize_number(out, start);
    }
}

/// Respells the number text at `out[start..]` as Python's `json.dumps`
/// writes the number it parses to: an integer stays as it is (Python's
/// integers have no limit), a fraction or exponent whose `f64` is finite
/// becomes that float's `repr`; one whose `f64` is not (`1e400`, which
/// Python would write as `Infinity`, not JSON) stays as it is too.
fn pythonize_number(out: &mut String, start: usize) {
    let text = out.get(start..).unwrap_or_default();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        out.truncate(start);
        out.push_str(&python_float_repr(f));
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in
/// positional notation when the decimal exponent is in -4..16, otherwise
/// as `d.ddde±XX`; integral values keep a `.0`.
pub(crate) fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        // Python writes these as `NaN`/`Infinity`; `serde_json` values
        // cannot hold them.
        return String::from("null");
    }
    if value == 0.0 {
        return String::from(if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        });
    }
    let sci = format!("{value:e}");
    let (negative, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci.as_str()),
    };
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let ndigits = digits.len() as i32;
    let decpt = exponent + 1;
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if decpt > -4 && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-decpt) as usize));
            out.push_str(&digits);
        } else if decpt >= ndigits {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (decpt - ndigits) as usize));
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python_float_repr as r;
    use super::{serde_text, write_json, write_raw, write_value};
    use crate::jsonrpc::{Decoder, Style};
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::prelude::rust_2024::*;

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
            "[ -~]{0,12}".prop_map(Value::String),
            "[\\x00-\\x7f\u{80}-\u{7ff}\u{e000}-\u{e0ff}\u{10000}-\u{10100}]{0,8}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((".{0,6}", inner), 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_fast_writer_writes_what_serde_json_writes(value in any_value()) {
            for style in [Style::Compact, Style::CompactAscii, Style::Python, Style::PythonUnicode] {
                let (mut fast, mut serde) = (String::new(), Vec::new());
                write_value(&value, style, &mut fast);
                write_json(&value, style, &mut serde).unwrap();
                prop_assert_eq!(fast, String::from_utf8(serde).unwrap());
            }
        }
    }

    proptest! {
        #[test]
        fn serde_text_matches_the_decoder(value in any_value(), max in 0usize..6) {
            let mut text = Vec::new();
            write_json(&value, Style::Python, &mut text).unwrap();
            let decoded = Decoder::new().with_max_depth(max).value(&text).ok().map(|r| r.as_str());
            prop_assert_eq!(serde_text(&text, max).map(|r| r.as_str()), decoded);
        }
    }

    #[test]
    fn raw_text_is_what_the_decoder_accepts() {
        let mut nested = json!(1);
        for i in 0..300 {
            nested = if i % 2 == 0 {
                json!([nested])
            } else {
                json!({"k": nested})
            };
        }
        let mut buf = String::new();
        for value in [
            json!(null),
            json!("\u{e9}\"x"),
            json!([1.5, {"a": []}]),
            nested,
        ] {
            for max in [1, 2, 3, 128, 256] {
                let decoded = Decoder::new()
                    .with_max_depth(max)
                    .value(super::super::to_json_text(&value, Style::Python).as_bytes())
                    .map(|raw| raw.as_str().to_string());
                let raw = write_raw(&value, Style::Python, max, &mut buf);
                assert_eq!(raw.map(|r| r.as_str().to_string()), decoded.ok(), "{max}");
            }
        }
        assert_eq!(
            write_raw(&Value::Null, Style::Compact, 0, &mut buf).map(|r| r.as_str()),
            Some("null")
        );
    }

    #[test]
    fn floats_like_python_repr() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-1.25e-7, "-1.25e-07"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (std::f64::consts::PI, "3.141592653589793"),
            (12.0, "12.0"),
            (0.5, "0.5"),
        ];
        for &(v, want) in cases {
            assert_eq!(r(v), want, "{v:e}");
        }
    }
}
