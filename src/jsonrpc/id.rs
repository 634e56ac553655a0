//! Request ids and JSON numbers.

use core::fmt;

use super::string::{JsonStr, syntax};
use super::validate::Cursor;
use super::value::{Kind, RawValue};
use crate::{Error, JsonSyntax};

#[derive(Clone, Copy, Debug)]
enum Repr<'a> {
    Raw(&'a str),
    I64(i64),
    U64(u64),
}

/// A JSON number: either the exact text it was decoded from, or an integer
/// to encode.
///
/// Two numbers are equal when both are integers of the same value, or else
/// when their texts are identical (`1.0` and `1` differ; `5` and `5` from an
/// `i64` are equal).
///
/// ```
/// use procslink::jsonrpc::Number;
///
/// let n = Number::from_json("-12")?;
/// assert_eq!(n.as_i64(), Some(-12));
/// assert_eq!(n.as_u64(), None);
/// assert_eq!(n, Number::from(-12i64));
/// assert_eq!(Number::from_json("1e3")?.as_f64(), Some(1000.0));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Number<'a>(Repr<'a>);

impl<'a> Number<'a> {
    /// Validates `text` as a JSON number (RFC 8259 grammar, nothing around it).
    pub fn from_json(text: &'a str) -> Result<Self, Error> {
        let mut cur = Cursor::new(text, 0);
        cur.number()?;
        if cur.at_end() {
            Ok(Number(Repr::Raw(text)))
        } else {
            Err(syntax(JsonSyntax::InvalidNumber, cur.pos))
        }
    }

    #[inline]
    pub(crate) const fn from_validated(text: &'a str) -> Self {
        Number(Repr::Raw(text))
    }

    /// The text this number was decoded from, if it was decoded.
    #[inline]
    pub const fn raw(&self) -> Option<&'a str> {
        match self.0 {
            Repr::Raw(text) => Some(text),
            Repr::I64(_) | Repr::U64(_) => None,
        }
    }

    /// Whether the text is an integer (no fraction, no exponent).
    #[inline]
    pub fn is_integer(&self) -> bool {
        match self.0 {
            Repr::Raw(text) => !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')),
            Repr::I64(_) | Repr::U64(_) => true,
        }
    }

    /// The value, if the number is an integer that fits an `i64`.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Raw(text) => match text.as_bytes() {
                [b'-', digits @ ..] if digits.len() < 19 => few_digits(digits).map(|v| -(v as i64)),
                digits if digits.len() < 19 => few_digits(digits).map(|v| v as i64),
                _ => None,
            }
            .or_else(|| text.parse().ok()),
            Repr::I64(v) => Some(v),
            Repr::U64(v) => i64::try_from(v).ok(),
        }
    }

    /// The value, if the number is an integer that fits a `u64`.
    #[inline]
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Raw(text) => few_digits(text.as_bytes()).or_else(|| text.parse().ok()),
            Repr::I64(v) => u64::try_from(v).ok(),
            Repr::U64(v) => Some(v),
        }
    }

    /// The nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self.0 {
            Repr::Raw(text) => text.parse().ok(),
            #[allow(clippy::cast_precision_loss)]
            Repr::I64(v) => Some(v as f64),
            #[allow(clippy::cast_precision_loss)]
            Repr::U64(v) => Some(v as f64),
        }
    }

    /// The number's JSON text: the decoded text, or the integer's digits
    /// written into `out`.
    pub(crate) fn write<'b>(&self, out: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match self.0 {
            Repr::Raw(text) => text.as_bytes(),
            Repr::I64(v) => out.format(v).as_bytes(),
            Repr::U64(v) => out.format(v).as_bytes(),
        }
    }
}

impl PartialEq for Number<'_> {
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (self.as_i64(), other.as_i64()) {
            return a == b;
        }
        if let (Some(a), Some(b)) = (self.as_u64(), other.as_u64()) {
            return a == b;
        }
        match (self.raw(), other.raw()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Number<'_> {}

impl fmt::Debug for Number<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl fmt::Display for Number<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Raw(text) => f.write_str(text),
            Repr::I64(v) => write!(f, "{v}"),
            Repr::U64(v) => write!(f, "{v}"),
        }
    }
}

macro_rules! number_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for Number<'_> {
            #[inline]
            fn from(v: $t) -> Self {
                Number(Repr::$variant(v.into()))
            }
        }
        impl From<$t> for Id<'_> {
            #[inline]
            fn from(v: $t) -> Self {
                Id::Number(Number::from(v))
            }
        }
    )*};
}

number_from!(i64 => I64, i32 => I64, i16 => I64, i8 => I64, u64 => U64, u32 => U64, u16 => U64, u8 => U64);

/// A JSON-RPC request id: a number, a string or null.
///
/// ```
/// use procslink::jsonrpc::{Id, Message};
///
/// let req = Message::parse(br#"{"jsonrpc": "2.0", "method": "m", "id": "\u0061bc"}"#)?
///     .single()
///     .and_then(|m| m.into_request())
///     .unwrap();
/// assert_eq!(req.id, Some(Id::from("abc")));
/// assert_eq!(req.id.unwrap().as_json_str().unwrap(), "abc");
/// assert_eq!(Id::from(7u32).as_i64(), Some(7));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id<'a> {
    /// A number, kept as its text.
    Number(Number<'a>),
    /// A string.
    Str(JsonStr<'a>),
    /// `null`.
    Null,
}

impl<'a> Id<'a> {
    /// The id a value stands for, if it is a number, a string or null.
    ///
    /// ```
    /// use procslink::jsonrpc::{Id, RawValue};
    /// assert_eq!(Id::from_value(RawValue::parse("null")?), Some(Id::Null));
    /// assert_eq!(Id::from_value(RawValue::parse("[1]")?), None);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn from_value(value: RawValue<'a>) -> Option<Self> {
        match value.kind() {
            Kind::Number => value.as_number().map(Id::Number),
            Kind::String => value.as_json_str().map(Id::Str),
            Kind::Null => Some(Id::Null),
            Kind::Bool | Kind::Array | Kind::Object => None,
        }
    }

    /// The id of a message that may be invalid, for answering it: the value
    /// of the one `"id"` member of a JSON object, if that object is
    /// well-formed JSON and the member is a valid id. `None` otherwise (a
    /// server then answers with id null).
    ///
    /// ```
    /// use procslink::jsonrpc::{Id, Message};
    ///
    /// let text = br#"{"jsonrpc": "1.0", "method": "x", "id": 5}"#;
    /// assert!(Message::parse(text).is_err());
    /// assert_eq!(Id::recover(text), Some(Id::from(5)));
    /// assert_eq!(Id::recover(br#"{"id": 5"#), None);
    /// ```
    pub fn recover(bytes: &'a [u8]) -> Option<Self> {
        Self::recover_from(RawValue::from_slice(bytes).ok()?)
    }

    /// Like [`recover`](Self::recover), for an already validated value
    /// (such as a batch element).
    pub fn recover_from(value: RawValue<'a>) -> Option<Self> {
        let mut found = None;
        for (name, v) in value.members()? {
            if name.eq_str("id") {
                if found.is_some() {
                    return None;
                }
                found = Some(v);
            }
        }
        Self::from_value(found?)
    }

    /// Whether the id is null.
    #[inline]
    pub const fn is_null(&self) -> bool {
        matches!(self, Id::Null)
    }

    /// The number, if the id is an integer that fits an `i64`.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Id::Number(n) => n.as_i64(),
            Id::Str(_) | Id::Null => None,
        }
    }

    /// The number, if the id is an integer that fits a `u64`.
    #[inline]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Id::Number(n) => n.as_u64(),
            Id::Str(_) | Id::Null => None,
        }
    }

    /// The string, if the id is one.
    #[inline]
    pub const fn as_json_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Id::Str(s) => Some(*s),
            Id::Number(_) | Id::Null => None,
        }
    }
}

impl<'a> From<&'a str> for Id<'a> {
    #[inline]
    fn from(text: &'a str) -> Self {
        Id::Str(JsonStr::from_text(text))
    }
}

impl<'a> From<JsonStr<'a>> for Id<'a> {
    #[inline]
    fn from(s: JsonStr<'a>) -> Self {
        Id::Str(s)
    }
}

impl<'a> From<Number<'a>> for Id<'a> {
    #[inline]
    fn from(n: Number<'a>) -> Self {
        Id::Number(n)
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => fmt::Display::fmt(n, f),
            Id::Str(s) => fmt::Debug::fmt(s, f),
            Id::Null => f.write_str("null"),
        }
    }
}

/// The value of 1 to 19 decimal digits (which always fit a `u64`), read
/// without `str::parse`'s generality; `None` for anything else, which
/// then takes the general path.
#[inline]
fn few_digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    text.iter().try_fold(0u64, |v, &b| {
        let digit = b.wrapping_sub(b'0');
        (digit < 10).then(|| v.wrapping_mul(10).wrapping_add(u64::from(digit)))
    })
}

#[cfg(test)]
mod tests {
    use super::Number;

    #[test]
    fn integers_read_as_str_parse_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "1234567890123456789",
            "-123456789012345678",
            "-1234567890123456789",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "1.5",
            "-1.0",
            "1e3",
            "1E-3",
            "0.0",
        ] {
            let n = Number::from_json(text).unwrap();
            assert_eq!(n.as_u64(), text.parse::<u64>().ok(), "{text}");
            assert_eq!(n.as_i64(), text.parse::<i64>().ok(), "{text}");
        }
    }
}
