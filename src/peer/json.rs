//! Writing `serde_json` values in the codec's [`Style`]s, Python's
//! `json.dumps` spelling included (separators `", "` and `": "`, non-ASCII
//! as `\uXXXX`, floats as Python's `repr`).

use std::prelude::rust_2024::*;

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::Formatter;

use crate::jsonrpc::Style;

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
    let mut out = Vec::with_capacity(64);
    let result = if style == Style::Compact {
        serde_json::to_writer(&mut out, value)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, StyledFormatter { style });
        value.serialize(&mut ser)
    };
    // Writing a `Value` into a `Vec` cannot fail (its map keys are strings),
    // and every byte written is UTF-8.
    match result.ok().and_then(|()| String::from_utf8(out).ok()) {
        Some(text) => text,
        None => String::from("null"),
    }
}

/// A `serde_json` formatter for the non-compact [`Style`]s.
struct StyledFormatter {
    style: Style,
}

impl StyledFormatter {
    fn separator<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(if self.style.spaced() { b", " } else { b"," })
    }
}

impl Formatter for StyledFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            self.separator(writer)
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            self.separator(writer)
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(if self.style.spaced() { b": " } else { b":" })
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.style.ensure_ascii() {
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
