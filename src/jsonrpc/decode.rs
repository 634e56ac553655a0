//! Decoding JSON-RPC 2.0 messages and batches: the [`Decoder`], the
//! general walk of a message's members and the fast path for the spelling
//! ProcsLink writes.

use super::batch::Batch;
use super::canonical::python_message;
use super::code::ErrorCode;
use super::id::Id;
use super::message::{ErrorObject, Incoming, Message, Params, Request, Response};
use super::string::{JsonStr, syntax};
use super::validate::{Cursor, MAX_DEPTH, MAX_DEPTH_LIMIT, Notes, le_word, utf8};
use super::value::RawValue;
use crate::{Error, ErrorKind, JsonSyntax, RpcViolation};

#[inline]
pub(super) const fn rpc(violation: RpcViolation, at: usize) -> Error {
    Error::new(ErrorKind::Rpc(violation), at)
}

/// A decoder with a configurable nesting limit. [`Message::parse`] and the
/// other `parse` functions use [`Decoder::new`], whose limit is
/// [`MAX_DEPTH`].
///
/// Any valid JSON is accepted, members in any order and any spacing. A
/// request or result spelled exactly as ProcsLink writes it
/// (`{"jsonrpc": "2.0", "method": …, "id": …, "params": …}` or
/// `{"jsonrpc": "2.0", "id": …, "result": …}`, Python's separators, the
/// members in that order) is read member by member without the general
/// walk; it gives the same message the walk gives, and anything else is
/// left to the walk.
///
/// ```
/// use procslink::{jsonrpc::Decoder, ErrorKind, JsonSyntax};
///
/// let shallow = Decoder::new().with_max_depth(2);
/// assert!(shallow.parse(br#"{"jsonrpc": "2.0", "method": "m", "params": [1]}"#).is_ok());
/// let err = shallow.parse(br#"{"jsonrpc": "2.0", "method": "m", "params": [[1]]}"#).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Json(JsonSyntax::TooDeep));
/// assert_eq!(err.offset(), 45);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoder {
    max_depth: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the nesting limit [`MAX_DEPTH`].
    #[inline]
    pub const fn new() -> Self {
        Decoder {
            max_depth: MAX_DEPTH,
        }
    }

    /// The same decoder allowing `max_depth` nested arrays and objects,
    /// counting the message object (or batch array) itself; at most
    /// [`MAX_DEPTH_LIMIT`].
    #[inline]
    #[must_use]
    pub const fn with_max_depth(self, max_depth: usize) -> Self {
        Decoder {
            max_depth: if max_depth > MAX_DEPTH_LIMIT {
                MAX_DEPTH_LIMIT
            } else {
                max_depth
            },
        }
    }

    /// The nesting limit.
    #[inline]
    pub const fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Decodes one message or a batch; see [`Message::parse`].
    pub fn parse<'a>(&self, bytes: &'a [u8]) -> Result<Incoming<'a>, Error> {
        self.parse_noting(bytes, &mut Notes::default())
    }

    /// [`parse`](Self::parse), noting into `params` what validating a
    /// single request's params found.
    #[inline]
    pub(crate) fn parse_noting<'a>(
        &self,
        bytes: &'a [u8],
        params: &mut Notes,
    ) -> Result<Incoming<'a>, Error> {
        self.parse_with::<true>(bytes, params)
    }

    /// [`parse`](Self::parse) by the general walk alone, never the fast
    /// path of [`canonical`](super::canonical): what the fast path must
    /// agree with.
    #[cfg(any(feature = "arbitrary", feature = "proptest"))]
    pub(crate) fn parse_general<'a>(&self, bytes: &'a [u8]) -> Result<Incoming<'a>, Error> {
        self.parse_with::<false>(bytes, &mut Notes::default())
    }

    /// [`parse_noting`](Self::parse_noting), trying the fast path for a
    /// single message first when `FAST`.
    #[inline(always)]
    pub(super) fn parse_with<'a, const FAST: bool>(
        &self,
        bytes: &'a [u8],
        params: &mut Notes,
    ) -> Result<Incoming<'a>, Error> {
        let text = utf8(bytes)?;
        let mut cur = Cursor::new(text, 0);
        cur.skip_ws();
        let start = cur.pos;
        let outcome = match cur.peek() {
            Some(b'{') => {
                if FAST && let Some(message) = python_message(&mut cur, self.max_depth, params) {
                    Ok(Incoming::Single(message))
                } else {
                    cur.pos = start;
                    walk::<true>(&mut cur, self.max_depth, params)?.map(Incoming::Single)
                }
            }
            Some(b'[') => {
                cur.value(0, self.max_depth)?;
                let mut inside = Cursor::new(text, start.saturating_add(1));
                inside.skip_ws();
                if inside.peek() == Some(b']') {
                    Err(rpc(RpcViolation::EmptyBatch, start))
                } else {
                    Ok(Incoming::Batch(Batch::new(text, start)))
                }
            }
            _ => {
                cur.value(0, self.max_depth)?;
                Err(rpc(RpcViolation::NotAnObject, start))
            }
        };
        cur.skip_ws();
        if !cur.at_end() {
            return Err(syntax(JsonSyntax::TrailingCharacters, cur.pos));
        }
        outcome
    }

    /// Decodes a single message that must be a request or notification.
    ///
    /// # Errors
    ///
    /// Those of [`parse`](Self::parse); a batch gives
    /// [`RpcViolation::NotAnObject`], a response
    /// [`RpcViolation::MissingMethod`].
    #[inline]
    pub fn parse_request<'a>(&self, bytes: &'a [u8]) -> Result<Request<'a>, Error> {
        match self.parse(bytes)? {
            Incoming::Single(Message::Request(r)) => Ok(r),
            Incoming::Single(Message::Response(_)) => {
                Err(rpc(RpcViolation::MissingMethod, leading_ws(bytes)))
            }
            Incoming::Batch(_) => Err(rpc(RpcViolation::NotAnObject, leading_ws(bytes))),
        }
    }

    /// Decodes a single message that must be a response.
    ///
    /// # Errors
    ///
    /// Those of [`parse`](Self::parse); a batch gives
    /// [`RpcViolation::NotAnObject`], a request
    /// [`RpcViolation::NoResultOrError`].
    #[inline]
    pub fn parse_response<'a>(&self, bytes: &'a [u8]) -> Result<Response<'a>, Error> {
        match self.parse(bytes)? {
            Incoming::Single(Message::Response(r)) => Ok(r),
            Incoming::Single(Message::Request(_)) => {
                Err(rpc(RpcViolation::NoResultOrError, leading_ws(bytes)))
            }
            Incoming::Batch(_) => Err(rpc(RpcViolation::NotAnObject, leading_ws(bytes))),
        }
    }

    /// Validates `bytes` as one JSON value under this decoder's limit.
    ///
    /// ```
    /// use procslink::jsonrpc::Decoder;
    /// assert!(Decoder::new().with_max_depth(1).value(b"[[]]").is_err());
    /// assert_eq!(Decoder::new().value(b" [[]] ")?.as_str(), "[[]]");
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn value<'a>(&self, bytes: &'a [u8]) -> Result<RawValue<'a>, Error> {
        super::validate::validate(utf8(bytes)?, self.max_depth)
    }
}

fn leading_ws(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(bytes.len())
}

const NAMES: [&str; 6] = ["jsonrpc", "method", "id", "params", "result", "error"];

/// A member name matched in one compare: its bytes and closing quote, as
/// they read little-endian from the 8 bytes after the opening quote.
#[derive(Clone, Copy)]
struct KnownName {
    pattern: u64,
    mask: u64,
    /// Bytes from the opening quote to past the closing one (kept, not
    /// counted from `mask`: baseline x86-64 has no `popcnt`).
    quoted_len: usize,
}

impl KnownName {
    /// `name` must be plain ASCII of at most 7 bytes.
    const fn new(name: &str) -> Self {
        let name = name.as_bytes();
        let mut pattern = 0u64;
        let mut i = 0;
        while i < name.len() {
            pattern |= (name[i] as u64) << (8 * i);
            i += 1;
        }
        pattern |= (b'"' as u64) << (8 * i);
        let bits = 8 * (name.len() + 1);
        KnownName {
            pattern,
            mask: if bits >= 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            },
            quoted_len: name.len() + 2,
        }
    }
}

const fn known_names<const N: usize>(names: [&str; N]) -> [KnownName; N] {
    let mut known = [KnownName {
        pattern: 0,
        mask: 0,
        quoted_len: 0,
    }; N];
    let mut i = 0;
    while i < N {
        known[i] = KnownName::new(names[i]);
        i += 1;
    }
    known
}

const KNOWN_NAMES: [KnownName; 6] = known_names(NAMES);

/// The index in `known` of the plain member name whose opening quote is at
/// `quote`, with the offset past its closing quote; `None` for any other
/// name, or too near the end of the text to tell in one word. (The same
/// answer as scanning the string and then matching its contents, in a few
/// instructions: the names of the envelope are most of a message's keys.)
#[inline(always)]
fn known_name<const N: usize>(
    bytes: &[u8],
    quote: usize,
    known: &[KnownName; N],
) -> Option<(usize, usize)> {
    let word = le_word(bytes, quote.wrapping_add(1))?;
    if bytes.get(quote) != Some(&b'"') {
        return None;
    }
    known
        .iter()
        .position(|k| word & k.mask == k.pattern)
        .and_then(|i| Some((i, quote.wrapping_add(known.get(i)?.quoted_len))))
}

/// The index in [`NAMES`] of a member name. Byte patterns, unlike string
/// ones, compile to inline comparisons.
#[inline]
fn field_index(name: JsonStr<'_>) -> Option<usize> {
    match name.as_unescaped().map(str::as_bytes) {
        Some([b'j', b's', b'o', b'n', b'r', b'p', b'c']) => Some(0),
        Some([b'm', b'e', b't', b'h', b'o', b'd']) => Some(1),
        Some([b'i', b'd']) => Some(2),
        Some([b'p', b'a', b'r', b'a', b'm', b's']) => Some(3),
        Some([b'r', b'e', b's', b'u', b'l', b't']) => Some(4),
        Some([b'e', b'r', b'r', b'o', b'r']) => Some(5),
        Some(_) => None,
        None => NAMES.iter().position(|n| name.eq_str(n)),
    }
}

type Field<'a> = Option<(RawValue<'a>, usize)>;

/// The members of the object at the cursor (`open`: at its `{`; else at
/// the name after a lead `walk` matched), `depth` containers deep
/// (counting itself): for each name that `known` or `index` knows, its
/// value and offset in `fields` (which start empty but for the lead's);
/// returns the offset of the first repeated name. `value` reads each
/// value. (Filling the caller's array spares copies of it.)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn object_fields<'a, const N: usize, const CHECKED: bool>(
    cur: &mut Cursor<'a>,
    open: bool,
    depth: usize,
    max_depth: usize,
    fields: &mut [Field<'a>; N],
    known: &[KnownName; N],
    index: impl Fn(JsonStr<'a>) -> Option<usize>,
    mut value: impl FnMut(&mut Cursor<'a>, Option<usize>) -> Result<RawValue<'a>, Error>,
) -> Result<Option<usize>, Error> {
    if CHECKED && depth > max_depth {
        return Err(syntax(JsonSyntax::TooDeep, cur.pos));
    }
    let mut duplicate = None;
    if open {
        cur.bump();
        cur.skip_ws();
        if cur.peek() == Some(b'}') {
            cur.bump();
            return Ok(duplicate);
        }
    } else {
        cur.skip_ws();
    }
    // At a member's name: the first one, or the next after a lead (see
    // `walk`).
    loop {
        let key_at = cur.pos;
        let i = if let Some((i, end)) = known_name(cur.bytes(), key_at, known) {
            cur.pos = end;
            Some(i)
        } else {
            let key = if CHECKED {
                if cur.peek() != Some(b'"') {
                    return Err(cur.unexpected());
                }
                cur.string()?
            } else {
                cur.skip_string()
            };
            index(key)
        };
        // Python's separator, at once.
        if !cur.eat(b": ") {
            cur.skip_ws();
            if CHECKED {
                cur.expect(b':')?;
            } else {
                cur.bump();
            }
        }
        cur.skip_ws();
        let at = cur.pos;
        let v = value(cur, i)?;
        if let Some(slot) = i.and_then(|i| fields.get_mut(i)) {
            if slot.is_some() {
                duplicate.get_or_insert(key_at);
            } else {
                *slot = Some((v, at));
            }
        }
        if cur.eat(b", ") {
            cur.skip_ws();
            continue;
        }
        cur.skip_ws();
        match cur.peek() {
            Some(b',') => {
                cur.bump();
                cur.skip_ws();
            }
            Some(b'}') => {
                cur.bump();
                return Ok(duplicate);
            }
            _ if CHECKED => return Err(cur.unexpected()),
            _ => return Ok(duplicate),
        }
    }
}

#[inline(always)]
fn plain_value<'a, const CHECKED: bool>(
    cur: &mut Cursor<'a>,
    depth: usize,
    max_depth: usize,
) -> Result<RawValue<'a>, Error> {
    if CHECKED {
        cur.value(depth, max_depth)
    } else {
        Ok(cur.skip_value())
    }
}

const METHOD_FIELD: usize = 1;
const PARAMS_FIELD: usize = 3;
const ERROR_FIELD: usize = 5;

/// `"2.0"`, the version member's value.
const VERSION: &str = "\"2.0\"";

/// The length and the version's offset of the opening at `start` of
/// `bytes` up to the second name, `{"jsonrpc": "2.0", ` (Python's
/// spelling) or `{"jsonrpc":"2.0",` (compact), if it is one: two words
/// and a few bytes compared, no call to `memcmp`.
#[inline(always)]
fn usual_lead(bytes: &[u8], start: usize) -> Option<(usize, usize)> {
    const fn word(b: &[u8; 8]) -> u64 {
        u64::from_le_bytes(*b)
    }
    const HEAD: u64 = word(b"{\"jsonrp");
    const PYTHON: u64 = word(b"c\": \"2.0");
    const COMPACT: u64 = word(b"c\":\"2.0\"");
    let at = |i: usize| le_word(bytes, start.wrapping_add(i));
    if at(0)? != HEAD {
        return None;
    }
    let tail = |i: usize, want: &[u8]| {
        bytes.get(start.wrapping_add(i)..start.wrapping_add(i + want.len())) == Some(want)
    };
    match at(8)? {
        PYTHON if tail(16, b"\", ") => Some((19, 12)),
        COMPACT if tail(16, b",") => Some((17, 11)),
        _ => None,
    }
}

/// Reads the object at the cursor as a message. The outer error is a JSON
/// syntax error (only when `CHECKED`); the inner one a JSON-RPC violation,
/// reported only once the whole object is known to be JSON.
#[inline]
pub(super) fn walk<'a, const CHECKED: bool>(
    cur: &mut Cursor<'a>,
    max_depth: usize,
    params: &mut Notes,
) -> Result<Result<Message<'a>, Error>, Error> {
    let start = cur.pos;
    let mut error_object = None;
    let mut method = None;
    let mut fields = [None; 6];
    // The envelope's first member as ProcsLink and this crate write it,
    // matched whole; the walk goes on from the next name.
    let open = match usual_lead(cur.bytes(), start) {
        Some((len, version_at)) => {
            fields[0] = Some((
                RawValue::from_validated(VERSION),
                start.wrapping_add(version_at),
            ));
            cur.pos = start.wrapping_add(len);
            false
        }
        None => true,
    };
    let duplicate = object_fields::<6, CHECKED>(
        cur,
        open,
        1,
        max_depth,
        &mut fields,
        &KNOWN_NAMES,
        field_index,
        |cur, i| {
            let at = cur.pos;
            match cur.peek() {
                Some(b'{') if i == Some(ERROR_FIELD) => {
                    error_object = Some(read_error_object::<CHECKED>(cur, max_depth)?);
                }
                // Strings are read here rather than through `Cursor::value`,
                // keeping what the read learnt: the method needs no second
                // pass to tell whether it holds an escape.
                Some(b'"') => {
                    let text = if CHECKED {
                        cur.string()?
                    } else {
                        cur.skip_string()
                    };
                    if i == Some(METHOD_FIELD) {
                        method = Some(text);
                    }
                }
                // So are numbers, the usual id.
                Some(b'-' | b'0'..=b'9') if CHECKED => cur.number()?,
                _ if i == Some(PARAMS_FIELD) => {
                    cur.notes = Notes::default();
                    let value = plain_value::<CHECKED>(cur, 1, max_depth);
                    *params = cur.notes;
                    return value;
                }
                _ => return plain_value::<CHECKED>(cur, 1, max_depth),
            }
            Ok(RawValue::from_validated(cur.slice(at, cur.pos)))
        },
    )?;
    Ok(classify(start, &fields, duplicate, method, error_object))
}

const ERROR_NAMES: [&str; 3] = ["code", "message", "data"];
const KNOWN_ERROR_NAMES: [KnownName; 3] = known_names(ERROR_NAMES);

#[inline]
fn error_index(name: JsonStr<'_>) -> Option<usize> {
    match name.as_unescaped().map(str::as_bytes) {
        Some([b'c', b'o', b'd', b'e']) => Some(0),
        Some([b'm', b'e', b's', b's', b'a', b'g', b'e']) => Some(1),
        Some([b'd', b'a', b't', b'a']) => Some(2),
        Some(_) => None,
        None => ERROR_NAMES.iter().position(|n| name.eq_str(n)),
    }
}

/// Reads the error object at the cursor (inside a message object); offsets
/// are those of the cursor's text.
#[inline]
pub(super) fn read_error_object<'a, const CHECKED: bool>(
    cur: &mut Cursor<'a>,
    max_depth: usize,
) -> Result<Result<ErrorObject<'a>, Error>, Error> {
    let start = cur.pos;
    let mut fields = [None; 3];
    let duplicate = object_fields::<3, CHECKED>(
        cur,
        true,
        2,
        max_depth,
        &mut fields,
        &KNOWN_ERROR_NAMES,
        error_index,
        |cur, _| plain_value::<CHECKED>(cur, 2, max_depth),
    )?;
    let [code, message, data] = fields;
    if let Some(at) = duplicate {
        return Ok(Err(rpc(RpcViolation::DuplicateMember, at)));
    }
    let bad = rpc(RpcViolation::BadErrorObject, start);
    let Some(code) = code
        .and_then(|(c, _)| c.as_number())
        .and_then(|n| n.as_i64())
        .and_then(|n| i32::try_from(n).ok())
    else {
        return Ok(Err(bad));
    };
    let Some(message) = message.and_then(|(m, _)| m.as_json_str()) else {
        return Ok(Err(bad));
    };
    Ok(Ok(ErrorObject {
        code: ErrorCode(code),
        message,
        data: data.map(|(d, _)| d),
    }))
}

#[inline(always)]
fn classify<'a>(
    start: usize,
    fields: &[Field<'a>; 6],
    duplicate: Option<usize>,
    method_text: Option<JsonStr<'a>>,
    error_object: Option<Result<ErrorObject<'a>, Error>>,
) -> Result<Message<'a>, Error> {
    if let Some(at) = duplicate {
        return Err(rpc(RpcViolation::DuplicateMember, at));
    }
    let [version, method, id, params, result, error] = *fields;
    let (version, at) = version.ok_or(rpc(RpcViolation::MissingVersion, start))?;
    if version.as_str() != "\"2.0\"" && !version.as_json_str().is_some_and(|v| v.eq_str("2.0")) {
        return Err(rpc(RpcViolation::WrongVersion, at));
    }
    let id = match id {
        Some((v, at)) => Some(Id::from_value(v).ok_or(rpc(RpcViolation::BadId, at))?),
        None => None,
    };
    if let Some((m, at)) = method {
        let method = method_text
            .or_else(|| m.as_json_str())
            .ok_or(rpc(RpcViolation::MethodNotString, at))?;
        let params = match params {
            Some((p, at)) => Some(Params::new(p).ok_or(rpc(RpcViolation::BadParams, at))?),
            None => None,
        };
        return Ok(Message::Request(Request { id, method, params }));
    }
    let outcome = match (result, error) {
        (None, None) => return Err(rpc(RpcViolation::MissingMethod, start)),
        (Some(_), Some((_, at))) => return Err(rpc(RpcViolation::ResultAndError, at)),
        (Some((r, _)), None) => Ok(r),
        (None, Some((_, at))) => {
            Err(error_object.unwrap_or(Err(rpc(RpcViolation::BadErrorObject, at)))?)
        }
    };
    let id = id.ok_or(rpc(RpcViolation::MissingId, start))?;
    Ok(Message::Response(Response { id, outcome }))
}
