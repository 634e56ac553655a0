//! Encoding messages and batches into the caller's buffer.

use super::id::Id;
use super::message::{ErrorObject, Message, Request, Response};
use super::string::JsonStr;
use super::validate::{ascii_stops, le_word, scan_ascii_plain, scan_plain, splat, string_stops};
use crate::{Error, ErrorKind, RpcViolation};

/// How the encoder spells JSON. Raw values (params, results, error data)
/// are always copied as they are.
///
/// | style | separators | non-ASCII |
/// |---|---|---|
/// | `Compact` | `,` `:` | raw UTF-8 |
/// | `CompactAscii` | `,` `:` | `\uXXXX` (surrogate pairs above U+FFFF) |
/// | `Python` | `, ` `: ` | `\uXXXX`, as Python's `json.dumps` defaults |
/// | `PythonUnicode` | `, ` `: ` | raw UTF-8 (`ensure_ascii=False`) |
///
/// Every style escapes `"`, `\` and control characters (`\b` `\f` `\n`
/// `\r` `\t` or `\u00XX`); the ASCII styles also escape DEL (U+007F).
///
/// ```
/// use procslink::jsonrpc::{Request, Style};
///
/// let req = Request::new(1, "h\u{e9}", None);
/// let mut buf = [0u8; 64];
/// let n = req.encode(&mut buf, Style::Compact)?;
/// assert_eq!(&buf[..n], "{\"jsonrpc\":\"2.0\",\"method\":\"h\u{e9}\",\"id\":1}".as_bytes());
/// let n = req.encode(&mut buf, Style::Python)?;
/// assert_eq!(&buf[..n], br#"{"jsonrpc": "2.0", "method": "h\u00e9", "id": 1}"#);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Style {
    /// No spaces; non-ASCII as UTF-8.
    #[default]
    Compact,
    /// No spaces; non-ASCII escaped.
    CompactAscii,
    /// Python `json.dumps` defaults: `", "` and `": "`; non-ASCII escaped.
    Python,
    /// Python separators; non-ASCII as UTF-8.
    PythonUnicode,
}

impl Style {
    /// Whether non-ASCII characters are written as `\u` escapes.
    #[inline]
    pub const fn ensure_ascii(self) -> bool {
        matches!(self, Style::CompactAscii | Style::Python)
    }

    /// Whether separators carry a space.
    #[inline]
    pub const fn spaced(self) -> bool {
        matches!(self, Style::Python | Style::PythonUnicode)
    }

    /// What goes between two elements or members.
    ///
    /// ```
    /// use procslink::jsonrpc::Style;
    /// assert_eq!(Style::Python.separator(), ", ");
    /// assert_eq!(Style::Compact.separator(), ",");
    /// ```
    #[inline]
    pub const fn separator(self) -> &'static str {
        if self.spaced() { ", " } else { "," }
    }

    /// What goes between a member's name and its value.
    ///
    /// ```
    /// use procslink::jsonrpc::Style;
    /// assert_eq!(Style::PythonUnicode.name_separator(), ": ");
    /// assert_eq!(Style::CompactAscii.name_separator(), ":");
    /// ```
    #[inline]
    pub const fn name_separator(self) -> &'static str {
        if self.spaced() { ": " } else { ":" }
    }
}

/// Writes into a buffer, counting every byte even past its end.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: Option<usize>,
}

impl<'b> Writer<'b> {
    #[inline]
    pub(crate) fn new(buf: &'b mut [u8], at: usize) -> Self {
        Writer {
            buf,
            len: at,
            overflow: None,
        }
    }

    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => {
                self.overflow.get_or_insert(self.len);
            }
        }
        self.len = end;
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(dst) => *dst = b,
            None => {
                self.overflow.get_or_insert(self.len);
            }
        }
        self.len = self.len.saturating_add(1);
    }

    #[inline]
    pub(crate) fn finish(self) -> Result<usize, Error> {
        match self.overflow {
            None => Ok(self.len),
            Some(at) => Err(Error::new(
                ErrorKind::BufferTooSmall { needed: self.len },
                at,
            )),
        }
    }

    #[inline(always)]
    fn comma(&mut self, style: Style) {
        if style.spaced() {
            self.put(b", ");
        } else {
            self.byte(b',');
        }
    }

    /// Writes `"name":` (`name` needs no escaping).
    #[inline(always)]
    fn key(&mut self, name: &[u8], style: Style) {
        self.byte(b'"');
        self.put(name);
        if style.spaced() {
            self.put(b"\": ");
        } else {
            self.put(b"\":");
        }
    }

    fn escape_ascii(&mut self, b: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match b {
            b'"' => self.put(b"\\\""),
            b'\\' => self.put(b"\\\\"),
            b'\n' => self.put(b"\\n"),
            b'\r' => self.put(b"\\r"),
            b'\t' => self.put(b"\\t"),
            0x08 => self.put(b"\\b"),
            0x0c => self.put(b"\\f"),
            _ => {
                let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
                self.put(&[b'\\', b'u', b'0', b'0', hi, lo]);
            }
        }
    }

    fn u_escape(&mut self, c: char) {
        let mut units = [0u16; 2];
        for &unit in c.encode_utf16(&mut units).iter() {
            let mut out = *b"\\u0000";
            for (i, slot) in out.iter_mut().skip(2).enumerate() {
                let shift = 12u32.saturating_sub(4u32.saturating_mul(i as u32));
                let nibble = usize::from((unit >> shift) & 0xf);
                *slot = b"0123456789abcdef".get(nibble).copied().unwrap_or(b'0');
            }
            self.put(&out);
        }
    }

    #[inline]
    fn escaped_char(&mut self, c: char, ascii: bool) {
        if c.is_ascii() {
            let b = c as u8;
            if b < 0x20 || b == b'"' || b == b'\\' || (ascii && b == 0x7f) {
                self.escape_ascii(b);
            } else {
                self.byte(b);
            }
        } else if ascii {
            self.u_escape(c);
        } else {
            let mut utf8 = [0u8; 4];
            self.put(c.encode_utf8(&mut utf8).as_bytes());
        }
    }

    /// Writes the contents of a string (no quotes), escaped.
    #[inline]
    fn text(&mut self, s: &str, ascii: bool) {
        let bytes = s.as_bytes();
        if self.plain_copy(bytes, ascii) {
            return;
        }
        if !ascii {
            let mut start = 0;
            loop {
                let i = scan_plain(bytes, start);
                self.put(bytes.get(start..i).unwrap_or_default());
                match bytes.get(i) {
                    Some(&b) => self.escape_ascii(b),
                    None => return,
                }
                start = i.saturating_add(1);
            }
        }
        let mut start = 0;
        loop {
            let i = scan_ascii_plain(bytes, start);
            self.put(bytes.get(start..i).unwrap_or_default());
            match bytes.get(i) {
                None => return,
                Some(&b) if b < 0x80 => {
                    self.escape_ascii(b);
                    start = i.saturating_add(1);
                }
                Some(_) => {
                    let c = s
                        .get(i..)
                        .and_then(|rest| rest.chars().next())
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    self.u_escape(c);
                    start = i.saturating_add(c.len_utf8());
                }
            }
        }
    }

    /// Copies `bytes` if none needs an escape, testing the copy a word at
    /// a time where it landed (a short string is then one word, not a
    /// byte at a time); whether it did. It does not when the buffer has
    /// no room for the copy and a word read at its end, or when a byte
    /// may need an escape: [`text`](Self::text) then writes it over.
    #[inline(always)]
    fn plain_copy(&mut self, bytes: &[u8], ascii: bool) -> bool {
        let at = self.len;
        let end = at.wrapping_add(bytes.len());
        if end.checked_add(8).is_none_or(|room| room > self.buf.len()) {
            return false;
        }
        if let Some(dst) = self.buf.get_mut(at..end) {
            dst.copy_from_slice(bytes);
        }
        let mut i = at;
        while i < end {
            let Some(word) = le_word(self.buf, i) else {
                return false;
            };
            // Past `end` the buffer holds anything: those bytes are read
            // as `a`, which no test flags. (A flag is only ever false
            // above a true one, and any flag sends the string the slow
            // way.)
            let ours = end.wrapping_sub(i);
            let word = match u32::try_from(ours.saturating_mul(8)) {
                Ok(bits) if bits < 64 => {
                    let keep = (1u64 << bits).wrapping_sub(1);
                    (word & keep) | (splat(b'a') & !keep)
                }
                _ => word,
            };
            let stops = if ascii {
                ascii_stops(word)
            } else {
                string_stops(word)
            };
            if stops != 0 {
                return false;
            }
            i = i.wrapping_add(8);
        }
        self.len = end;
        true
    }

    #[inline]
    fn string(&mut self, s: &JsonStr<'_>, ascii: bool) {
        self.byte(b'"');
        match s.as_unescaped() {
            Some(text) => self.text(text, ascii),
            None => s.chars().for_each(|c| self.escaped_char(c, ascii)),
        }
        self.byte(b'"');
    }

    #[inline]
    fn id(&mut self, id: &Id<'_>, ascii: bool) {
        match id {
            Id::Null => self.put(b"null"),
            Id::Str(s) => self.string(s, ascii),
            Id::Number(n) => {
                let mut digits = itoa::Buffer::new();
                self.put(n.write(&mut digits));
            }
        }
    }

    /// Writes `spaced` or `compact` by style, each a constant, so that the
    /// copy is inlined.
    #[inline(always)]
    fn styled(&mut self, style: Style, spaced: &[u8], compact: &[u8]) {
        if style.spaced() {
            self.put(spaced);
        } else {
            self.put(compact);
        }
    }

    fn request(&mut self, r: &Request<'_>, style: Style) {
        let ascii = style.ensure_ascii();
        self.styled(
            style,
            b"{\"jsonrpc\": \"2.0\", \"method\": ",
            b"{\"jsonrpc\":\"2.0\",\"method\":",
        );
        self.string(&r.method, ascii);
        if let Some(id) = &r.id {
            self.styled(style, b", \"id\": ", b",\"id\":");
            self.id(id, ascii);
        }
        if let Some(params) = &r.params {
            self.styled(style, b", \"params\": ", b",\"params\":");
            self.put(params.as_str().as_bytes());
        }
        self.byte(b'}');
    }

    fn response(&mut self, r: &Response<'_>, style: Style) {
        let ascii = style.ensure_ascii();
        self.styled(
            style,
            b"{\"jsonrpc\": \"2.0\", \"id\": ",
            b"{\"jsonrpc\":\"2.0\",\"id\":",
        );
        self.id(&r.id, ascii);
        match &r.outcome {
            Ok(result) => {
                self.styled(style, b", \"result\": ", b",\"result\":");
                self.put(result.as_str().as_bytes());
            }
            Err(e) => {
                self.styled(style, b", \"error\": ", b",\"error\":");
                self.error_object(e, style);
            }
        }
        self.byte(b'}');
    }

    fn error_object(&mut self, e: &ErrorObject<'_>, style: Style) {
        self.byte(b'{');
        self.key(b"code", style);
        self.put(itoa::Buffer::new().format(e.code.0).as_bytes());
        self.comma(style);
        self.key(b"message", style);
        self.string(&e.message, style.ensure_ascii());
        if let Some(data) = &e.data {
            self.comma(style);
            self.key(b"data", style);
            self.put(data.as_str().as_bytes());
        }
        self.byte(b'}');
    }

    fn message(&mut self, m: &Message<'_>, style: Style) {
        match m {
            Message::Request(r) => self.request(r, style),
            Message::Response(r) => self.response(r, style),
        }
    }
}

macro_rules! encode_methods {
    ($ty:ident, $emit:ident, $example:literal) => {
        impl $ty<'_> {
            /// Encodes this into `buf` and returns the number of bytes
            /// written.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::BufferTooSmall`] with the exact size the whole
            /// encoding needs; nothing is written past `buf`.
            ///
            /// ```
            /// use procslink::jsonrpc::*;
            #[doc = $example]
            /// let mut buf = [0u8; 128];
            /// let n = msg.encode(&mut buf, Style::Python)?;
            /// assert_eq!(n, msg.encoded_len(Style::Python));
            /// let err = msg.encode(&mut buf[..n - 1], Style::Python).unwrap_err();
            /// assert_eq!(err.kind(), procslink::ErrorKind::BufferTooSmall { needed: n });
            /// # Ok::<(), procslink::Error>(())
            /// ```
            pub fn encode(&self, buf: &mut [u8], style: Style) -> Result<usize, Error> {
                let mut w = Writer::new(buf, 0);
                w.$emit(self, style);
                w.finish()
            }

            /// The number of bytes [`encode`](Self::encode) writes.
            pub fn encoded_len(&self, style: Style) -> usize {
                let mut w = Writer::new(&mut [], 0);
                w.$emit(self, style);
                w.len
            }
        }
    };
}

encode_methods!(
    Message,
    message,
    "let msg = Message::Request(Request::notification(\"tick\", None));"
);
encode_methods!(
    Request,
    request,
    "let msg = Request::new(\"a\u{e9}\", \"m\", Params::new(RawValue::parse(\"[1]\")?));"
);
encode_methods!(
    Response,
    response,
    "let msg = Response::error(Id::Null, ErrorObject::new(ErrorCode::INVALID_REQUEST, \"Invalid Request\"));"
);

/// Encodes `text` as a quoted JSON string into `buf` (for building a
/// result or an error's data) and returns the number of bytes written.
///
/// # Errors
///
/// [`ErrorKind::BufferTooSmall`] with the exact size needed.
///
/// ```
/// use procslink::jsonrpc::{encode_string, RawValue, Style};
///
/// let mut buf = [0u8; 32];
/// let n = encode_string("\u{e9}t\u{e9}\n", &mut buf, Style::Python)?;
/// assert_eq!(&buf[..n], br#""\u00e9t\u00e9\n""#);
/// let value = RawValue::from_slice(&buf[..n])?;
/// assert_eq!(value.as_json_str().unwrap(), "\u{e9}t\u{e9}\n");
/// # Ok::<(), procslink::Error>(())
/// ```
pub fn encode_string(text: &str, buf: &mut [u8], style: Style) -> Result<usize, Error> {
    let mut w = Writer::new(buf, 0);
    w.string(&JsonStr::from_text(text), style.ensure_ascii());
    w.finish()
}

/// Writes a batch of messages into a buffer.
///
/// ```
/// use procslink::jsonrpc::{BatchEncoder, Request, Response, RawValue, Style};
///
/// let mut buf = [0u8; 128];
/// let mut batch = BatchEncoder::new(&mut buf, Style::Compact);
/// batch.push(Request::new(1, "a", None))?;
/// batch.push(Response::result(2, RawValue::parse("true")?))?;
/// let n = batch.finish()?;
/// assert_eq!(
///     &buf[..n],
///     br#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","id":2,"result":true}]"#
/// );
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "only `finish` says the batch's length"]
pub struct BatchEncoder<'b> {
    buf: &'b mut [u8],
    len: usize,
    count: usize,
    style: Style,
}

impl<'b> BatchEncoder<'b> {
    /// A batch writer over `buf`.
    #[inline]
    pub fn new(buf: &'b mut [u8], style: Style) -> Self {
        BatchEncoder {
            buf,
            len: 0,
            count: 0,
            style,
        }
    }

    /// Appends a message.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`] when the batch so far, this message
    /// and the closing `]` do not fit; `needed` is their total size. The
    /// message is then not added and the batch stays usable.
    pub fn push<'m>(&mut self, message: impl Into<Message<'m>>) -> Result<(), Error> {
        let message = message.into();
        let mut w = Writer::new(self.buf, self.len);
        if self.count == 0 {
            w.byte(b'[');
        } else {
            w.comma(self.style);
        }
        w.message(&message, self.style);
        w.byte(b']');
        let end = w.len.saturating_sub(1);
        w.finish().map_err(|e| Error::new(e.kind(), self.len))?;
        self.len = end;
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// The number of messages pushed.
    #[inline]
    pub const fn count(&self) -> usize {
        self.count
    }

    /// Closes the batch and returns its length in bytes.
    ///
    /// # Errors
    ///
    /// [`RpcViolation::EmptyBatch`] if nothing was pushed (an empty batch is
    /// not valid JSON-RPC).
    pub fn finish(self) -> Result<usize, Error> {
        if self.count == 0 {
            return Err(Error::new(ErrorKind::Rpc(RpcViolation::EmptyBatch), 0));
        }
        let mut w = Writer::new(self.buf, self.len);
        w.byte(b']');
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{Style, encode_string};

    /// The string written into a buffer of exactly its size (where the
    /// word-at-a-time copy has no room to run) and into larger ones
    /// holding stale bytes that would need escapes: the same text, for
    /// plain runs of every length up to 25 with a byte to escape (or none)
    /// at every place.
    #[test]
    fn a_plain_copy_writes_what_the_slow_path_writes() {
        let stops = ["", "\"", "\\", "\u{1}", "\n", "\u{7f}", "é", "😀"];
        let styles = [
            Style::Compact,
            Style::CompactAscii,
            Style::Python,
            Style::PythonUnicode,
        ];
        let mut text = [0u8; 64];
        for len in 0..=25usize {
            for at in 0..=len {
                for stop in stops {
                    let mut n = 0;
                    for i in 0..=len {
                        if i == at {
                            text[n..n + stop.len()].copy_from_slice(stop.as_bytes());
                            n += stop.len();
                        }
                        if i < len {
                            text[n] = b'a' + (i % 26) as u8;
                            n += 1;
                        }
                    }
                    let text = core::str::from_utf8(&text[..n]).expect("UTF-8");
                    for style in styles {
                        let mut exact = [0u8; 256];
                        let n = encode_string(text, &mut exact, style).expect("fits");
                        let mut tight = [0u8; 256];
                        assert_eq!(encode_string(text, &mut tight[..n], style), Ok(n));
                        assert_eq!(tight[..n], exact[..n], "{text:?} {style:?}");
                        for room in [1, 7, 8, 9, 40] {
                            for stale in [b'"', b'\\', 0x01, 0xc3, b'a'] {
                                let mut roomy = [stale; 256];
                                let roomy = &mut roomy[..n + room];
                                assert_eq!(encode_string(text, roomy, style), Ok(n));
                                assert_eq!(roomy[..n], exact[..n], "{text:?} {style:?} +{room}");
                            }
                        }
                    }
                }
            }
        }
    }
}
