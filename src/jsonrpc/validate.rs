//! The JSON validator: a cursor over a text that checks one value at a
//! time (strings, numbers, nesting) and the word-at-a-time scans of plain
//! string bytes it and the encoder share.

use super::string::{JsonStr, check_escape, syntax};
use super::value::RawValue;
use crate::{Error, JsonSyntax};

/// The default nesting limit for arrays and objects, counting the message
/// object itself.
pub const MAX_DEPTH: usize = 128;

/// The highest nesting limit a [`Decoder`](super::Decoder) accepts.
pub const MAX_DEPTH_LIMIT: usize = 256;

/// Bytes that end a run of plain string bytes: `"`, `\` and controls.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// A word with every byte set to `b`.
pub(crate) const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The high bit of each byte of `w` (read little-endian) that is `"`, `\`
/// or below 0x20, SWAR. Bytes above the first such byte may be flagged
/// falsely (a borrow runs up), but the lowest flag is always exact.
#[inline(always)]
pub(crate) fn string_stops(w: u64) -> u64 {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let quote = w ^ splat(b'"');
    let slash = w ^ splat(b'\\');
    let zero_q = quote.wrapping_sub(LO) & !quote;
    let zero_s = slash.wrapping_sub(LO) & !slash;
    let ctrl = w.wrapping_sub(splat(0x20)) & !w;
    (zero_q | zero_s | ctrl) & HI
}

/// The 8 bytes of `bytes` from `at` on as a little-endian word, if there
/// are 8.
#[inline(always)]
pub(crate) fn le_word(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..at.wrapping_add(8))?;
    <[u8; 8]>::try_from(chunk).ok().map(u64::from_le_bytes)
}

/// Index of the first `"`, `\` or control byte at or after `i`, or
/// `bytes.len()`.
#[inline(always)]
pub(crate) fn scan_plain(bytes: &[u8], i: usize) -> usize {
    scan_words(bytes, i, string_stops, |b| STRING_STOP[usize::from(b)])
}

/// Index of the first byte at or after `i` that a style ensuring ASCII
/// must escape (`"`, `\`, a control, DEL or any byte of a non-ASCII
/// character), or `bytes.len()`.
#[inline(always)]
pub(crate) fn scan_ascii_plain(bytes: &[u8], i: usize) -> usize {
    scan_words(bytes, i, ascii_stops, |b| {
        STRING_STOP[usize::from(b)] || b >= 0x7f
    })
}

/// [`string_stops`] and, as well, DEL and every byte of a non-ASCII
/// character: what a style ensuring ASCII escapes.
#[inline(always)]
pub(crate) fn ascii_stops(w: u64) -> u64 {
    const LO: u64 = splat(0x01);
    const HI: u64 = splat(0x80);
    let del = w ^ splat(0x7f);
    string_stops(w) | (w & HI) | (del.wrapping_sub(LO) & !del & HI)
}

/// Index of the first byte at or after `i` that `stops` flags (the high
/// bit of each such byte of a word read little-endian, the lowest flag
/// exact), or `bytes.len()`; `is_stop` is the same test on one byte, for
/// the tail shorter than a word.
///
/// The first word is tested here, inline: most strings of a message
/// (member names, methods, ids) end in it. Longer runs go on in
/// [`scan_long`], out of line.
#[inline(always)]
fn scan_words(
    bytes: &[u8],
    i: usize,
    stops: impl Fn(u64) -> u64 + Copy,
    is_stop: impl Fn(u8) -> bool + Copy,
) -> usize {
    match le_word(bytes, i) {
        Some(word) => {
            let found = stops(word);
            if found != 0 {
                return i.wrapping_add((found.trailing_zeros() / 8) as usize);
            }
            scan_long(bytes, i.wrapping_add(8), stops, is_stop)
        }
        None => scan_bytes(bytes, i, is_stop),
    }
}

/// [`scan_words`] past its first word: 16 bytes a step, as two words
/// from a `[u8; 16]` chunk (no bounds check per step), then a word and
/// the last bytes one at a time. Out of line, so that the loop has the
/// registers for its constants to itself, wherever it is called from.
#[inline(never)]
fn scan_long(
    bytes: &[u8],
    i: usize,
    stops: impl Fn(u64) -> u64,
    is_stop: impl Fn(u8) -> bool,
) -> usize {
    let Some(rest) = bytes.get(i..) else {
        return bytes.len();
    };
    let (chunks, _) = rest.as_chunks::<16>();
    let mut at = i;
    for chunk in chunks {
        let pair = u128::from_le_bytes(*chunk);
        let lo = stops(pair as u64);
        let hi = stops((pair >> 64) as u64);
        if lo | hi != 0 {
            let bit = if lo != 0 {
                lo.trailing_zeros()
            } else {
                64 + hi.trailing_zeros()
            };
            return at.wrapping_add((bit / 8) as usize);
        }
        at = at.wrapping_add(16);
    }
    if let Some(word) = le_word(bytes, at) {
        let found = stops(word);
        if found != 0 {
            return at.wrapping_add((found.trailing_zeros() / 8) as usize);
        }
        at = at.wrapping_add(8);
    }
    scan_bytes(bytes, at, is_stop)
}

/// The first byte at or after `i` that `is_stop` flags, or `bytes.len()`.
#[inline(always)]
fn scan_bytes(bytes: &[u8], mut i: usize, is_stop: impl Fn(u8) -> bool) -> usize {
    while let Some(&b) = bytes.get(i) {
        if is_stop(b) {
            return i;
        }
        i = i.wrapping_add(1);
    }
    bytes.len()
}

/// A fixed stack of bits: for each open container, whether it is an object.
struct Nesting([u64; MAX_DEPTH_LIMIT / 64]);

impl Nesting {
    #[inline]
    fn set(&mut self, level: usize, object: bool) {
        if let Some(word) = self.0.get_mut(level / 64) {
            let bit = 1u64 << (level % 64);
            if object {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    #[inline]
    fn is_object(&self, level: usize) -> bool {
        self.0
            .get(level / 64)
            .is_some_and(|w| w & (1u64 << (level % 64)) != 0)
    }
}

/// What validating a value noted about it, for those who build a
/// `serde_json::Value` from it (the peer's params): whether it holds
/// something that may not fit one (flags set on the slow paths only), and
/// how many elements it has when it is an array of scalars. Noted only
/// when validating, not when skipping validated text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// [`U_ESCAPE`], [`EXPONENT`], [`NESTED`].
    pub(crate) flags: u8,
    /// The elements of the last array of scalars validated.
    pub(crate) elements: usize,
}

/// A `\u` escape, which may be a lone surrogate.
pub(crate) const U_ESCAPE: u8 = 1;
/// A number with an exponent, which may not fit an `f64`. (Nor may one
/// of over 300 digits: that is for the reader to rule out, by length.)
pub(crate) const EXPONENT: u8 = 2;
/// An object, or an array that holds more than scalars.
pub(crate) const NESTED: u8 = 4;

/// A position in a JSON text.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    pub(crate) text: &'a str,
    pub(crate) pos: usize,
    pub(crate) notes: Notes,
}

impl<'a> Cursor<'a> {
    #[inline]
    pub(crate) const fn new(text: &'a str, pos: usize) -> Self {
        Cursor {
            text,
            pos,
            notes: Notes {
                flags: 0,
                elements: 0,
            },
        }
    }

    #[inline(always)]
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Positions stay within a few bytes of the text's length, far from
    /// `usize::MAX`, so the cursor's adds wrap: exact, and one instruction.
    #[inline(always)]
    pub(crate) fn bump(&mut self) {
        self.pos = self.pos.wrapping_add(1);
    }

    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    #[inline(always)]
    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        match self.text.split_at_checked(end) {
            Some((head, _)) => match head.split_at_checked(start) {
                Some((_, slice)) => slice,
                None => "",
            },
            None => "",
        }
    }

    #[inline(always)]
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.bump();
        }
    }

    /// The error for the byte at the cursor, which is not what was wanted.
    #[cold]
    pub(crate) fn unexpected(&self) -> Error {
        match self.peek() {
            Some(b) => syntax(JsonSyntax::UnexpectedByte(b), self.pos),
            None => syntax(JsonSyntax::UnexpectedEnd, self.pos),
        }
    }

    /// Steps over `bytes` if the text goes on with them.
    #[inline(always)]
    pub(crate) fn eat(&mut self, bytes: &[u8]) -> bool {
        let end = self.pos.wrapping_add(bytes.len());
        let found = self.bytes().get(self.pos..end) == Some(bytes);
        if found {
            self.pos = end;
        }
        found
    }

    #[inline(always)]
    pub(crate) fn expect(&mut self, b: u8) -> Result<(), Error> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Validates the string whose opening quote is at the cursor; returns
    /// its contents and whether they hold an escape.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, Error> {
        let bytes = self.bytes();
        let start = self.pos.wrapping_add(1);
        let end = scan_plain(bytes, start);
        if bytes.get(end) == Some(&b'"') {
            self.pos = end.wrapping_add(1);
            return Ok(JsonStr::from_validated(self.slice(start, end), false));
        }
        self.escaped_string(start, end)
    }

    /// The rest of [`string`](Self::string) once the plain run from `start`
    /// ends at `i` on something other than the closing quote.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, mut i: usize) -> Result<JsonStr<'a>, Error> {
        let bytes = self.bytes();
        let mut escaped = false;
        loop {
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i.saturating_add(1);
                    return Ok(JsonStr::from_validated(self.slice(start, i), escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    if bytes.get(i.wrapping_add(1)) == Some(&b'u') {
                        self.notes.flags |= U_ESCAPE;
                    }
                    i = check_escape(bytes, i)?;
                }
                Some(_) => return Err(syntax(JsonSyntax::ControlCharacter, i)),
                None => return Err(syntax(JsonSyntax::UnexpectedEnd, i)),
            }
            i = scan_plain(bytes, i);
        }
    }

    /// Skips the (validated) string whose opening quote is at the cursor.
    #[inline]
    pub(crate) fn skip_string(&mut self) -> JsonStr<'a> {
        let bytes = self.bytes();
        let start = self.pos.saturating_add(1);
        let mut i = start;
        let mut escaped = false;
        loop {
            i = scan_plain(bytes, i);
            match bytes.get(i) {
                Some(b'\\') => {
                    escaped = true;
                    i = i.saturating_add(2);
                }
                Some(b'"') | None => {
                    self.pos = i.saturating_add(1);
                    return JsonStr::from_validated(self.slice(start, i), escaped);
                }
                Some(_) => i = i.saturating_add(1),
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        for &want in word {
            if self.peek() != Some(want) {
                return Err(self.unexpected());
            }
            self.bump();
        }
        Ok(())
    }

    fn digits(&mut self) -> Result<(), Error> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(syntax(JsonSyntax::InvalidNumber, self.pos));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
        }
        Ok(())
    }

    /// Validates the number at the cursor (RFC 8259 grammar).
    #[inline]
    pub(crate) fn number(&mut self) -> Result<(), Error> {
        let bytes = self.bytes();
        let digit = |i: usize| matches!(bytes.get(i), Some(b'0'..=b'9'));
        let mut i = self.pos;
        if bytes.get(i) == Some(&b'-') {
            i = i.wrapping_add(1);
        }
        match bytes.get(i) {
            Some(b'0') => {
                i = i.wrapping_add(1);
                if digit(i) {
                    return Err(syntax(JsonSyntax::InvalidNumber, i));
                }
            }
            Some(b'1'..=b'9') => {
                i = i.wrapping_add(1);
                while digit(i) {
                    i = i.wrapping_add(1);
                }
            }
            _ => return Err(syntax(JsonSyntax::InvalidNumber, i)),
        }
        self.pos = i;
        match bytes.get(i) {
            Some(b'.' | b'e' | b'E') => self.fraction_and_exponent(),
            _ => Ok(()),
        }
    }

    /// The rest of [`number`](Self::number) from a `.`, `e` or `E`.
    #[inline(never)]
    fn fraction_and_exponent(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.notes.flags |= EXPONENT;
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            self.digits()?;
        }
        Ok(())
    }

    /// Validates `"key" :` and the whitespace after it; the cursor is at
    /// the opening quote.
    #[inline]
    fn member_key(&mut self) -> Result<(), Error> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected());
        }
        self.string()?;
        self.skip_ws();
        self.expect(b':')?;
        self.skip_ws();
        Ok(())
    }

    /// Validates the value starting at the cursor (no leading whitespace),
    /// nested `depth` containers deep, and returns its text.
    #[inline]
    pub(crate) fn value(&mut self, depth: usize, max_depth: usize) -> Result<RawValue<'a>, Error> {
        let start = self.pos;
        // Scalars, the common case of a member's value, need no nesting
        // stack.
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b'[') if depth < max_depth.min(MAX_DEPTH_LIMIT) => match self.flat_array() {
                Some(done) => done?,
                None => {
                    self.pos = start;
                    return self.nested_value(depth, max_depth);
                }
            },
            _ => return self.nested_value(depth, max_depth),
        }
        Ok(RawValue::from_validated(self.slice(start, self.pos)))
    }

    /// Validates the string, number or literal at the cursor; `None` if
    /// none starts there.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Result<(), Error>> {
        Some(match self.peek()? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => return None,
        })
    }

    /// Validates the array at the cursor if all its elements are scalars
    /// (the usual params), without the nesting stack; `None` at the first
    /// element that is not, the cursor then anywhere, for
    /// [`nested_value`](Self::nested_value) to start over. Errors are the
    /// ones it would report.
    #[inline]
    fn flat_array(&mut self) -> Option<Result<(), Error>> {
        self.bump();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            self.notes.elements = 0;
            return Some(Ok(()));
        }
        let mut elements = 0usize;
        loop {
            // The same test as `scalar`, spelled out: through it, this
            // loop ran 25 more instructions per request (callgrind).
            let scalar = match self.peek() {
                Some(b'"') => self.string().map(drop),
                Some(b'-' | b'0'..=b'9') => self.number(),
                Some(b't') => self.literal(b"true"),
                Some(b'f') => self.literal(b"false"),
                Some(b'n') => self.literal(b"null"),
                _ => return None,
            };
            if let Err(e) = scalar {
                return Some(Err(e));
            }
            elements = elements.wrapping_add(1);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.skip_ws();
                }
                Some(b']') => {
                    self.bump();
                    self.notes.elements = elements;
                    return Some(Ok(()));
                }
                _ => return None,
            }
        }
    }

    /// [`value`](Self::value) for containers and literals.
    fn nested_value(&mut self, depth: usize, max_depth: usize) -> Result<RawValue<'a>, Error> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'[' | b'{')) {
            self.notes.flags |= NESTED;
        }
        let room = max_depth.min(MAX_DEPTH_LIMIT).saturating_sub(depth);
        let mut nesting = Nesting([0; MAX_DEPTH_LIMIT / 64]);
        let mut level = 0usize;
        'value: loop {
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if level >= room {
                        return Err(syntax(JsonSyntax::TooDeep, self.pos));
                    }
                    let object = open == b'{';
                    nesting.set(level, object);
                    level = level.saturating_add(1);
                    self.bump();
                    self.skip_ws();
                    match self.peek() {
                        Some(b'}') if object => {
                            self.bump();
                            level = level.saturating_sub(1);
                        }
                        Some(b']') if !object => {
                            self.bump();
                            level = level.saturating_sub(1);
                        }
                        _ => {
                            if object {
                                self.member_key()?;
                            }
                            continue 'value;
                        }
                    }
                }
                _ => match self.scalar() {
                    Some(done) => done?,
                    None => return Err(self.unexpected()),
                },
            }
            loop {
                let Some(top) = level.checked_sub(1) else {
                    return Ok(RawValue::from_validated(self.slice(start, self.pos)));
                };
                self.skip_ws();
                let object = nesting.is_object(top);
                match self.peek() {
                    Some(b',') => {
                        self.bump();
                        self.skip_ws();
                        if object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !object => {
                        self.bump();
                        level = top;
                    }
                    Some(b'}') if object => {
                        self.bump();
                        level = top;
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
    }

    /// Skips the validated value at the cursor and returns its text.
    pub(crate) fn skip_value(&mut self) -> RawValue<'a> {
        let start = self.pos;
        let bytes = self.bytes();
        match self.peek() {
            Some(b'"') => {
                self.skip_string();
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(b) = self.peek() {
                    match b {
                        b'"' => {
                            self.skip_string();
                            continue;
                        }
                        b'{' | b'[' => depth = depth.saturating_add(1),
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.bump();
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.bump();
                }
            }
            _ => {
                while let Some(b) = bytes.get(self.pos) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.bump();
                }
            }
        }
        RawValue::from_validated(self.slice(start, self.pos.min(self.text.len())))
    }
}

/// Checks that `bytes` is UTF-8.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(bytes).map_err(|e| syntax(JsonSyntax::InvalidUtf8, e.valid_up_to()))
}

/// Validates a whole text as one JSON value (surrounding whitespace allowed).
pub(crate) fn validate(text: &str, max_depth: usize) -> Result<RawValue<'_>, Error> {
    validate_noting(text, max_depth).map(|(value, _)| value)
}

/// [`validate`], with what validating the value noted.
#[inline]
pub(crate) fn validate_noting(
    text: &str,
    max_depth: usize,
) -> Result<(RawValue<'_>, Notes), Error> {
    let mut cur = Cursor::new(text, 0);
    cur.skip_ws();
    let value = cur.value(0, max_depth)?;
    cur.skip_ws();
    if cur.at_end() {
        Ok((value, cur.notes))
    } else {
        Err(syntax(JsonSyntax::TrailingCharacters, cur.pos))
    }
}

#[cfg(test)]
mod tests {
    use super::{STRING_STOP, scan_ascii_plain, scan_plain};

    /// Runs past the first word go 16 bytes a step, then a word, then
    /// bytes: a stop at every position of 48 bytes, alone or with a second
    /// one 9 bytes on (in the other word of a step), from every start to
    /// every end.
    #[test]
    fn the_long_scan_finds_the_first_stop_at_every_position() {
        type Scan = fn(&[u8], usize) -> usize;
        type Stop = fn(u8) -> bool;
        let scans: [(Scan, Stop); 2] = [
            (scan_plain, |b| STRING_STOP[usize::from(b)]),
            (scan_ascii_plain, |b| {
                STRING_STOP[usize::from(b)] || b >= 0x7f
            }),
        ];
        for (scan, stop) in scans {
            for value in [0x00u8, 0x1f, b'"', b'\\', 0x7f, 0x80, 0xff, b' '] {
                for at in 0..48 {
                    for second in [None, Some((at + 9) % 48)] {
                        let mut bytes = [b'a'; 48];
                        bytes[at] = value;
                        if let Some(i) = second {
                            bytes[i] = b'"';
                        }
                        for end in 0..=bytes.len() {
                            let bytes = &bytes[..end];
                            for start in 0..=end {
                                let want = (start..end).find(|&i| stop(bytes[i])).unwrap_or(end);
                                assert_eq!(scan(bytes, start), want, "{value:#x} at {at}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Checks `scan` against `stop`, byte by byte: every byte value at
    /// every position of a 16-byte run, after plain bytes and before bytes
    /// that could fool the SWAR tests.
    fn finds_the_first_stop(scan: fn(&[u8], usize) -> usize, stop: fn(u8) -> bool) {
        for value in 0..=255u8 {
            for at in 0..16 {
                for after in [
                    0x00u8, 0x01, b'"', b'\\', 0x1f, 0x21, 0x7e, 0x7f, 0x80, 0xff,
                ] {
                    let mut bytes = [b'a'; 20];
                    bytes[at] = value;
                    if let Some(b) = bytes.get_mut(at + 1) {
                        *b = after;
                    }
                    // Every start, on every length: tails shorter than a
                    // word take another path.
                    for end in at + 1..=bytes.len() {
                        let bytes = &bytes[..end];
                        for start in 0..=end {
                            let want = (start..end).find(|&i| stop(bytes[i])).unwrap_or(end);
                            assert_eq!(
                                scan(bytes, start),
                                want,
                                "{value:#x} at {at} from {start} to {end}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn scan_plain_finds_the_first_stop_byte() {
        finds_the_first_stop(scan_plain, |b| STRING_STOP[usize::from(b)]);
    }

    #[test]
    fn scan_ascii_plain_finds_the_first_byte_to_escape() {
        finds_the_first_stop(scan_ascii_plain, |b| {
            b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f
        });
    }
}
