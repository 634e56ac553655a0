//! Writing objects' text straight into a byte buffer: JSON objects with
//! their keys in the order they are written, numbers, addresses and
//! strings, with no allocation per field.
//!
//! Writes into a `Vec<u8>` cannot fail; the `io::Result`s of `write!` on
//! one are dropped.

use std::fmt::Display;
use std::io::Write as _;
use std::net::Ipv6Addr;

use procslink::netlink::display::Escaped;

/// An integer, in decimal.
pub fn num(buf: &mut Vec<u8>, n: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `10.1.0.1`.
pub fn ipv4(buf: &mut Vec<u8>, a: [u8; 4]) {
    let mut digits = itoa::Buffer::new();
    for (i, b) in a.into_iter().enumerate() {
        if i > 0 {
            buf.push(b'.');
        }
        buf.extend_from_slice(digits.format(b).as_bytes());
    }
}

/// An address in the notation of its length: IPv4, IPv6, or hex bytes
/// joined by colons (a link-layer address).
pub fn addr(buf: &mut Vec<u8>, bytes: &[u8]) {
    if let Ok(a) = <[u8; 4]>::try_from(bytes) {
        ipv4(buf, a);
    } else if let Ok(a) = <[u8; 16]>::try_from(bytes) {
        let _ = write!(buf, "{}", Ipv6Addr::from(a));
    } else {
        mac(buf, bytes);
    }
}

/// Link-layer bytes as `aa:bb:cc`.
pub fn mac(buf: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            buf.push(b':');
        }
        buf.push(HEX[usize::from(b >> 4)]);
        buf.push(HEX[usize::from(b & 0xf)]);
    }
}

/// Bytes as text, escaped as [`Escaped`] shows them (`p\xe9`).
pub fn escaped(buf: &mut Vec<u8>, bytes: &[u8]) {
    // Printable ASCII but the backslash is shown as itself.
    if bytes
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
    {
        buf.extend_from_slice(bytes);
    } else {
        let _ = write!(buf, "{}", Escaped(bytes));
    }
}

/// A JSON string literal of `s`, escaped as `serde_json` escapes.
pub fn json_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= b' ' && b != b'"' && b != b'\\') {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// A JSON string literal of bytes shown as [`Escaped`] shows them.
pub fn json_escaped(buf: &mut Vec<u8>, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\\') && !s.chars().any(char::is_control) => json_str(buf, s),
        _ => json_str(buf, &Escaped(bytes).to_string()),
    }
}

/// A JSON object being written: `{`, then members, then `}` from
/// [`Obj::end`].
pub struct Obj<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    /// Opens an object at the end of `buf`.
    pub fn begin(buf: &'b mut Vec<u8>) -> Self {
        buf.push(b'{');
        Obj { buf, first: true }
    }

    /// Writes `"key":` (after a comma unless first) and returns the buffer
    /// for the value.
    pub fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.buf
    }

    /// A string member; `value` is escaped as needed.
    pub fn str(&mut self, key: &str, value: &str) {
        let buf = self.key(key);
        json_str(buf, value);
    }

    /// A string member of bytes shown as [`Escaped`] shows them.
    pub fn escaped(&mut self, key: &str, value: &[u8]) {
        let buf = self.key(key);
        json_escaped(buf, value);
    }

    /// A string member whose text `write` writes; it must need no escaping
    /// (addresses, numbers, names of constants).
    pub fn text(&mut self, key: &str, write: impl FnOnce(&mut Vec<u8>)) {
        let buf = self.key(key);
        buf.push(b'"');
        write(buf);
        buf.push(b'"');
    }

    /// A string member shown with `Display`; it must need no escaping.
    pub fn display(&mut self, key: &str, value: impl Display) {
        self.text(key, |buf| {
            let _ = write!(buf, "{value}");
        });
    }

    /// A number member.
    pub fn num(&mut self, key: &str, value: impl itoa::Integer) {
        let buf = self.key(key);
        num(buf, value);
    }

    /// A `null` member.
    pub fn null(&mut self, key: &str) {
        self.key(key).extend_from_slice(b"null");
    }

    /// An array of strings that need no escaping.
    pub fn words<'w>(&mut self, key: &str, words: impl IntoIterator<Item = &'w str>) {
        let buf = self.key(key);
        buf.push(b'[');
        for (i, w) in words.into_iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.push(b'"');
            buf.extend_from_slice(w.as_bytes());
            buf.push(b'"');
        }
        buf.push(b']');
    }

    /// Closes the object.
    pub fn end(self) {
        self.buf.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_strings() {
        let mut b = Vec::new();
        ipv4(&mut b, [10, 0, 255, 1]);
        b.push(b' ');
        addr(&mut b, &[0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.push(b' ');
        mac(&mut b, &[2, 0, 0xab, 0, 0, 0x0f]);
        b.push(b' ');
        escaped(&mut b, b"p\xe9");
        b.push(b' ');
        json_escaped(&mut b, b"p\xe9\"");
        b.push(b' ');
        json_escaped(&mut b, "é\u{1}".as_bytes());
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#"10.0.255.1 fd01::1 02:00:ab:00:00:0f p\xe9 "p\\xe9\"" "é\\u{1}""#
        );
    }

    #[test]
    fn objects_keep_their_order() {
        let mut b = Vec::new();
        let mut o = Obj::begin(&mut b);
        o.num("z", 7u32);
        o.str("a", "x\"y");
        o.null("n");
        o.words("f", ["UP", "LOWER_UP"]);
        o.words("e", []);
        o.text("d", |buf| ipv4(buf, [1, 2, 3, 4]));
        o.end();
        let text = String::from_utf8(b).unwrap();
        assert_eq!(
            text,
            r#"{"z":7,"a":"x\"y","n":null,"f":["UP","LOWER_UP"],"e":[],"d":"1.2.3.4"}"#
        );
        let _: serde_json::Value = serde_json::from_str(&text).unwrap();
    }
}
