//! [`JsonStr`]: a JSON string value borrowed from its source, and the
//! escape decoding behind it.

use core::fmt::{self, Write as _};
use core::hash::{Hash, Hasher};

use crate::{Error, ErrorKind, JsonSyntax};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// JSON string contents without a backslash: the text itself.
    Plain,
    /// JSON string contents with at least one escape.
    Escaped,
    /// Plain text handed in by the caller; may hold characters JSON must
    /// escape, so it is not JSON source.
    Text,
}

/// A JSON string value, borrowed.
///
/// Decoded messages hand out strings (the method name, string ids, error
/// messages, object keys) as `JsonStr`: the contents between the quotes
/// exactly as they appear in the input, *still escaped*, already validated.
/// The true text is reached through [`unescape_into`](Self::unescape_into),
/// [`to_heapless`](Self::to_heapless), [`chars`](Self::chars) or, when the
/// source holds no escape at all, for free through
/// [`as_unescaped`](Self::as_unescaped). Comparisons (`==` with a `str` or
/// another `JsonStr`) compare the unescaped text.
///
/// For encoding, [`JsonStr::from_text`] wraps plain text, which the encoder
/// escapes as needed.
///
/// ```
/// use procslink::jsonrpc::JsonStr;
///
/// let s = JsonStr::from_json(r"caf\u00e9 \ud83d\ude00")?;
/// assert!(s.is_escaped());
/// assert_eq!(s.as_unescaped(), None);
/// assert_eq!(s, "café 😀");
///
/// let mut buf = [0u8; 16];
/// assert_eq!(s.unescape_into(&mut buf)?, "café 😀");
/// assert_eq!(s.chars().count(), 6);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    raw: &'a str,
    form: Form,
}

impl<'a> JsonStr<'a> {
    /// Wraps plain text (not JSON source): what [`chars`](Self::chars)
    /// yields and what the encoder escapes.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// let s = JsonStr::from_text("say \"hi\"");
    /// assert_eq!(s.as_unescaped(), Some("say \"hi\""));
    /// assert_eq!(s.raw_json(), None);
    /// ```
    #[inline]
    pub const fn from_text(text: &'a str) -> Self {
        JsonStr {
            raw: text,
            form: Form::Text,
        }
    }

    /// Validates `contents`, the JSON source between a string's quotes
    /// (escapes allowed, no unescaped `"`, `\` or control character).
    ///
    /// Error offsets count from the start of `contents`.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert_eq!(JsonStr::from_json(r"a\nb")?, "a\nb");
    /// assert!(JsonStr::from_json(r"\ud800").is_err());
    /// assert!(JsonStr::from_json("a\"b").is_err());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn from_json(contents: &'a str) -> Result<Self, Error> {
        let bytes = contents.as_bytes();
        let mut i = 0;
        let mut escaped = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => {
                    escaped = true;
                    i = check_escape(bytes, i)?;
                }
                b'"' => return Err(syntax(JsonSyntax::UnexpectedByte(b'"'), i)),
                0..=0x1f => return Err(syntax(JsonSyntax::ControlCharacter, i)),
                _ => i += 1,
            }
        }
        Ok(Self::from_validated(contents, escaped))
    }

    #[inline]
    pub(crate) const fn from_validated(contents: &'a str, escaped: bool) -> Self {
        JsonStr {
            raw: contents,
            form: if escaped { Form::Escaped } else { Form::Plain },
        }
    }

    /// The JSON source between the quotes, escapes and all, or `None` for
    /// text made with [`from_text`](Self::from_text).
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert_eq!(JsonStr::from_json(r"\u00e9")?.raw_json(), Some(r"\u00e9"));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub const fn raw_json(&self) -> Option<&'a str> {
        match self.form {
            Form::Text => None,
            Form::Plain | Form::Escaped => Some(self.raw),
        }
    }

    /// Whether the source holds an escape, so that the text must be
    /// unescaped to be read.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert!(JsonStr::from_json(r"\/")?.is_escaped());
    /// assert!(!JsonStr::from_json("plain")?.is_escaped());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub const fn is_escaped(&self) -> bool {
        matches!(self.form, Form::Escaped)
    }

    /// The text itself, without copying, when no unescaping is needed.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert_eq!(JsonStr::from_json("add")?.as_unescaped(), Some("add"));
    /// assert_eq!(JsonStr::from_json(r"a\tb")?.as_unescaped(), None);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub const fn as_unescaped(&self) -> Option<&'a str> {
        match self.form {
            Form::Escaped => None,
            Form::Plain | Form::Text => Some(self.raw),
        }
    }

    /// The characters of the text, escapes decoded.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// let s = JsonStr::from_json(r"\u0041\u00e9")?;
    /// assert!(s.chars().eq(['A', 'é']));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            rest: self.raw,
            escapes: self.is_escaped(),
        }
    }

    /// The length in bytes of the text as UTF-8.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert_eq!(JsonStr::from_json(r"\u00e9!")?.unescaped_len(), 3);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn unescaped_len(&self) -> usize {
        if self.is_escaped() {
            self.chars().map(char::len_utf8).sum()
        } else {
            self.raw.len()
        }
    }

    /// Writes the text into `buf` and returns it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`] with the full length needed, at the
    /// offset of the first byte that did not fit; `buf` may then hold a
    /// prefix of the text.
    ///
    /// ```
    /// use procslink::{jsonrpc::JsonStr, ErrorKind};
    /// let s = JsonStr::from_json(r"Hello, \u00e9t\u00e9!")?;
    /// let mut buf = [0u8; 32];
    /// assert_eq!(s.unescape_into(&mut buf)?, "Hello, été!");
    /// let err = s.unescape_into(&mut [0u8; 4]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: 13 });
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut len = 0usize;
        if !self.is_escaped() {
            len = self.raw.len();
            let dst = buf.get_mut(..len).ok_or_else(|| too_small(len, 0))?;
            dst.copy_from_slice(self.raw.as_bytes());
        } else {
            let mut rest = self.raw;
            while !rest.is_empty() {
                let run = rest.find('\\').unwrap_or(rest.len());
                let (plain, tail) = rest.split_at(run);
                let end = len.saturating_add(plain.len());
                match buf.get_mut(len..end) {
                    Some(dst) => dst.copy_from_slice(plain.as_bytes()),
                    None => return Err(too_small(self.unescaped_len(), len)),
                }
                len = end;
                let mut chars = Chars {
                    rest: tail,
                    escapes: true,
                };
                if let Some(c) = chars.next() {
                    let mut utf8 = [0u8; 4];
                    let enc = c.encode_utf8(&mut utf8).as_bytes();
                    let end = len.saturating_add(enc.len());
                    match buf.get_mut(len..end) {
                        Some(dst) => dst.copy_from_slice(enc),
                        None => return Err(too_small(self.unescaped_len(), len)),
                    }
                    len = end;
                }
                rest = chars.rest;
            }
        }
        let filled = buf.get(..len).unwrap_or_default();
        core::str::from_utf8(filled)
            .map_err(|e| Error::new(ErrorKind::InvalidUtf8, e.valid_up_to()))
    }

    /// The text in a fixed-capacity [`heapless::String`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`] when the text is longer than `N` bytes.
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// let s: heapless::String<8> = JsonStr::from_json(r"\u00e9t\u00e9")?.to_heapless()?;
    /// assert_eq!(s.as_str(), "été");
    /// assert!(JsonStr::from_json("too long")?.to_heapless::<4>().is_err());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, Error> {
        let mut out = heapless::String::new();
        if let Some(text) = self.as_unescaped() {
            out.push_str(text).map_err(|_| too_small(text.len(), 0))?;
            return Ok(out);
        }
        for c in self.chars() {
            let at = out.len();
            out.push(c)
                .map_err(|_| too_small(self.unescaped_len(), at))?;
        }
        Ok(out)
    }

    /// Whether the text equals `other` (escapes decoded; no copy).
    ///
    /// ```
    /// use procslink::jsonrpc::JsonStr;
    /// assert!(JsonStr::from_json(r"2\u002e0")?.eq_str("2.0"));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn eq_str(&self, other: &str) -> bool {
        match self.as_unescaped() {
            Some(text) => text == other,
            None => self.chars().eq(other.chars()),
        }
    }
}

impl PartialEq<str> for JsonStr<'_> {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<JsonStr<'_>> for str {
    #[inline]
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        other.eq_str(self)
    }
}

impl PartialEq<JsonStr<'_>> for &str {
    #[inline]
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        other.eq_str(self)
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        match (self.as_unescaped(), other.as_unescaped()) {
            (Some(a), Some(b)) => a == b,
            _ => self.chars().eq(other.chars()),
        }
    }
}

impl Eq for JsonStr<'_> {}

impl Hash for JsonStr<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for c in self.chars() {
            state.write_u32(c.into());
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_unescaped() {
            Some(text) => f.write_str(text),
            None => self.chars().try_for_each(|c| f.write_char(c)),
        }
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.chars() {
            for e in c.escape_debug() {
                f.write_char(e)?;
            }
        }
        f.write_char('"')
    }
}

impl<'a> From<&'a str> for JsonStr<'a> {
    #[inline]
    fn from(text: &'a str) -> Self {
        JsonStr::from_text(text)
    }
}

/// The characters of a [`JsonStr`], escapes decoded. See [`JsonStr::chars`].
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Chars<'a> {
    rest: &'a str,
    escapes: bool,
}

impl Iterator for Chars<'_> {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        let mut it = self.rest.chars();
        let c = it.next()?;
        if c != '\\' || !self.escapes {
            self.rest = it.as_str();
            return Some(c);
        }
        let bytes = self.rest.as_bytes();
        let (c, used) = match bytes.get(1) {
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => decode_u_escape(bytes),
            Some(&other) => (char::from(other), 2),
            None => ('\\', 1),
        };
        self.rest = self.rest.get(used..).unwrap_or_default();
        Some(c)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len();
        (n.div_ceil(12), Some(n))
    }
}

impl core::iter::FusedIterator for Chars<'_> {}

/// Decodes `\uXXXX` (and a following low surrogate) at the start of
/// `bytes`, returning the char and the bytes used; validated input is
/// assumed, anything else gives U+FFFD.
fn decode_u_escape(bytes: &[u8]) -> (char, usize) {
    let Some(hi) = bytes.get(2..6).and_then(hex4) else {
        return (char::REPLACEMENT_CHARACTER, 2);
    };
    if (0xd800..0xdc00).contains(&hi) {
        if let (Some(b"\\u"), Some(lo)) = (bytes.get(6..8), bytes.get(8..12).and_then(hex4))
            && (0xdc00..0xe000).contains(&lo)
        {
            let code = 0x10000 + ((u32::from(hi) - 0xd800) << 10) + (u32::from(lo) - 0xdc00);
            return (
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                12,
            );
        }
        return (char::REPLACEMENT_CHARACTER, 6);
    }
    (
        char::from_u32(u32::from(hi)).unwrap_or(char::REPLACEMENT_CHARACTER),
        6,
    )
}

/// The value of four hex digits.
#[inline]
pub(crate) fn hex4(digits: &[u8]) -> Option<u16> {
    let mut v: u16 = 0;
    if digits.len() != 4 {
        return None;
    }
    for &d in digits {
        let n = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u16::from(n);
    }
    Some(v)
}

/// Checks the escape starting with the backslash at `bytes[at]` and returns
/// the index just after it.
#[inline]
pub(crate) fn check_escape(bytes: &[u8], at: usize) -> Result<usize, Error> {
    let next = at.saturating_add(1);
    match bytes.get(next) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at.saturating_add(2)),
        Some(b'u') => {
            let hi = u_digits(bytes, at.saturating_add(2))?;
            if (0xdc00..0xe000).contains(&hi) {
                return Err(syntax(JsonSyntax::LoneSurrogate, at));
            }
            if !(0xd800..0xdc00).contains(&hi) {
                return Ok(at.saturating_add(6));
            }
            let pair = at.saturating_add(6);
            if bytes.get(pair..pair.saturating_add(2)) != Some(b"\\u") {
                return Err(syntax(JsonSyntax::LoneSurrogate, at));
            }
            let lo = u_digits(bytes, pair.saturating_add(2))?;
            if (0xdc00..0xe000).contains(&lo) {
                Ok(at.saturating_add(12))
            } else {
                Err(syntax(JsonSyntax::LoneSurrogate, at))
            }
        }
        Some(_) => Err(syntax(JsonSyntax::InvalidEscape, at)),
        None => Err(syntax(JsonSyntax::UnexpectedEnd, next)),
    }
}

fn u_digits(bytes: &[u8], at: usize) -> Result<u16, Error> {
    match bytes.get(at..at.saturating_add(4)) {
        Some(d) => hex4(d).ok_or_else(|| syntax(JsonSyntax::InvalidUnicodeEscape, at)),
        None => {
            let rest = bytes.get(at..).unwrap_or_default();
            match rest.iter().position(|b| !b.is_ascii_hexdigit()) {
                Some(bad) => Err(syntax(
                    JsonSyntax::InvalidUnicodeEscape,
                    at.saturating_add(bad),
                )),
                None => Err(syntax(JsonSyntax::UnexpectedEnd, bytes.len())),
            }
        }
    }
}

#[inline]
pub(crate) const fn syntax(kind: JsonSyntax, at: usize) -> Error {
    Error::new(ErrorKind::Json(kind), at)
}

#[inline]
fn too_small(needed: usize, at: usize) -> Error {
    Error::new(ErrorKind::BufferTooSmall { needed }, at)
}
