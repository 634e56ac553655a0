//! [`RawValue`], a validated JSON text slice, and its element and member
//! iterators.

use core::fmt;

use super::id::Number;
use super::string::JsonStr;
use super::validate::{Cursor, MAX_DEPTH, scan_plain, utf8, validate};
use crate::Error;

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// A validated JSON value: the exact text of the value as it appears in its
/// source, without surrounding whitespace.
///
/// Equality is equality of the text (`[1,2]` and `[1, 2]` differ).
///
/// ```
/// use procslink::jsonrpc::{Kind, RawValue};
///
/// let v = RawValue::parse(r#" {"a": [1, 2], "b\u00e9": null} "#)?;
/// assert_eq!(v.as_str(), r#"{"a": [1, 2], "b\u00e9": null}"#);
/// assert_eq!(v.kind(), Kind::Object);
/// let a = v.get("a").unwrap();
/// assert_eq!(a.elements().unwrap().map(|e| e.as_str()).collect::<Vec<_>>(), ["1", "2"]);
/// assert!(v.get("bé").unwrap().is_null());
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawValue<'a>(&'a str);

impl<'a> RawValue<'a> {
    /// `null`.
    pub const NULL: RawValue<'static> = RawValue("null");

    /// Validates `text` as one JSON value, with the default depth limit
    /// [`MAX_DEPTH`]. Error offsets count from the start of `text`.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// assert!(RawValue::parse("[1, 2,]").is_err());
    /// assert!(RawValue::parse("01").is_err());
    /// assert_eq!(RawValue::parse("\t-0.5e+3\n")?.as_str(), "-0.5e+3");
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        validate(text, MAX_DEPTH)
    }

    /// Like [`parse`](Self::parse), for bytes that must also be UTF-8.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// assert_eq!(RawValue::from_slice(b"true")?.as_bool(), Some(true));
    /// assert!(RawValue::from_slice(b"\"\xff\"").is_err());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn from_slice(bytes: &'a [u8]) -> Result<Self, Error> {
        validate(utf8(bytes)?, MAX_DEPTH)
    }

    /// The JSON text.
    #[inline]
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// The kind of value.
    ///
    /// ```
    /// use procslink::jsonrpc::{Kind, RawValue};
    /// assert_eq!(RawValue::parse("\"x\"")?.kind(), Kind::String);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn kind(&self) -> Kind {
        match self.0.as_bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// Whether the value is `null`.
    #[inline]
    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    /// The value of a boolean.
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// A number's text, with integer and float accessors.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// assert_eq!(RawValue::parse("-7")?.as_number().unwrap().as_i64(), Some(-7));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn as_number(&self) -> Option<Number<'a>> {
        (self.kind() == Kind::Number).then(|| Number::from_validated(self.0))
    }

    /// A string's contents.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// assert_eq!(RawValue::parse(r#""\u00e9""#)?.as_json_str().unwrap(), "é");
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn as_json_str(&self) -> Option<JsonStr<'a>> {
        // A validated string is its quotes around its contents, whose
        // first quote or control, if any, follows a backslash.
        let contents = self.0.strip_prefix('"')?.strip_suffix('"')?;
        let escaped = scan_plain(contents.as_bytes(), 0) < contents.len();
        Some(JsonStr::from_validated(contents, escaped))
    }

    /// The elements of an array, or `None` if this is not an array.
    #[inline]
    pub fn elements(&self) -> Option<Elements<'a>> {
        (self.kind() == Kind::Array).then(|| Elements::starting_at(self.0, 0))
    }

    /// The members of an object, in order, or `None` if this is not an
    /// object. Duplicate names are all yielded.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// let v = RawValue::parse(r#"{"a": 1, "b": [true]}"#)?;
    /// let mut m = v.members().unwrap();
    /// let (k, v) = m.next().unwrap();
    /// assert_eq!((k, v.as_str()), (procslink::jsonrpc::JsonStr::from_text("a"), "1"));
    /// assert_eq!(m.next().unwrap().1.as_str(), "[true]");
    /// assert!(m.next().is_none());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn members(&self) -> Option<Members<'a>> {
        (self.kind() == Kind::Object).then(|| Members {
            cur: Cursor::new(self.0, 1),
            done: false,
        })
    }

    /// The value of the first member named `name` (compared unescaped), if
    /// this is an object that has one.
    #[inline]
    pub fn get(&self, name: &str) -> Option<RawValue<'a>> {
        self.members()?
            .find(|(k, _)| k.eq_str(name))
            .map(|(_, v)| v)
    }

    /// The element at `index`, if this is an array that long.
    ///
    /// ```
    /// use procslink::jsonrpc::RawValue;
    /// assert_eq!(RawValue::parse("[1, [2]]")?.nth(1).unwrap().as_str(), "[2]");
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn nth(&self, index: usize) -> Option<RawValue<'a>> {
        self.elements()?.nth(index)
    }
}

impl<'a> RawValue<'a> {
    #[inline]
    pub(crate) const fn from_validated(text: &'a str) -> Self {
        RawValue(text)
    }
}

impl fmt::Debug for RawValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawValue({})", self.0)
    }
}

impl fmt::Display for RawValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<'a> TryFrom<&'a str> for RawValue<'a> {
    type Error = Error;

    fn try_from(text: &'a str) -> Result<Self, Error> {
        RawValue::parse(text)
    }
}

/// The elements of a JSON array, as [`RawValue`]s. See
/// [`RawValue::elements`].
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Elements<'a> {
    cur: Cursor<'a>,
    done: bool,
}

impl<'a> Elements<'a> {
    /// The elements of the array whose `[` is at byte `open` of `text`
    /// (already validated).
    pub(super) fn starting_at(text: &'a str, open: usize) -> Self {
        Elements {
            cur: Cursor::new(text, open.saturating_add(1)),
            done: false,
        }
    }

    /// The first byte of the next element, the cursor there; `None` past
    /// the end.
    #[inline(always)]
    fn at_next(&mut self) -> Option<u8> {
        if self.done {
            return None;
        }
        self.cur.skip_ws();
        if self.cur.peek() == Some(b',') {
            self.cur.bump();
            self.cur.skip_ws();
        }
        match self.cur.peek() {
            Some(b']') | None => {
                self.done = true;
                None
            }
            first => first,
        }
    }

    /// The next element with its byte offset in the whole text.
    pub(super) fn next_with_offset(&mut self) -> Option<(usize, RawValue<'a>)> {
        self.at_next()?;
        Some((self.cur.pos, self.cur.skip_value()))
    }

    /// Skips `n` elements and reads the next: a string's contents (read
    /// in one pass), or `Err` with any other value; `None` past the end.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn nth_str(&mut self, n: usize) -> Option<Result<JsonStr<'a>, RawValue<'a>>> {
        for _ in 0..n {
            self.next_with_offset()?;
        }
        Some(match self.at_next()? {
            b'"' => Ok(self.cur.skip_string()),
            _ => Err(self.cur.skip_value()),
        })
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = RawValue<'a>;

    fn next(&mut self) -> Option<RawValue<'a>> {
        self.next_with_offset().map(|(_, v)| v)
    }
}

impl core::iter::FusedIterator for Elements<'_> {}

/// The members of a JSON object, as (name, value) pairs. See
/// [`RawValue::members`].
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Members<'a> {
    cur: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, RawValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.cur.skip_ws();
        if self.cur.peek() == Some(b',') {
            self.cur.bump();
            self.cur.skip_ws();
        }
        if self.cur.peek() != Some(b'"') {
            self.done = true;
            return None;
        }
        let key = self.cur.skip_string();
        self.cur.skip_ws();
        self.cur.bump();
        self.cur.skip_ws();
        Some((key, self.cur.skip_value()))
    }
}

impl core::iter::FusedIterator for Members<'_> {}
