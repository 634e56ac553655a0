//! Go domainsockets frames: uvarint-prefixed calls and replies.
//!
//! Every integer is a [uvarint] (1 to 10 bytes). `total`
//! counts the bytes after the `total` field itself.
//!
//! Client → server ([`ClientFrame`], decoded by [`ClientFraming`]):
//!
//! ```text
//! +-------+----+------+-------------+---------+----------+------+
//! | total | id | type | handler_len | handler | data_len | data |
//! +-------+----+------+-------------+---------+----------+------+
//!          \________________ total bytes _______________________/
//! type: 0 keep-alive, 1 data
//! ```
//!
//! Server → client ([`ServerFrame`], decoded by [`ServerFraming`]):
//!
//! ```text
//! +-------+----+------+----------+------+
//! | total | id | type | data_len | data |
//! +-------+----+------+----------+------+
//!          \_______ total bytes _______/
//! type: 0 error (data is the error text), 1 data
//! ```
//!
//! Decoding checks, in order: `total` is a valid uvarint; `total` is at
//! least the smallest possible body (4 bytes for a client frame, 3 for a
//! server frame; else [`LengthTooSmall`](ErrorKind::LengthTooSmall)); the
//! frame (`total` field plus `total`) is within the frame size limit (else
//! [`TooLarge`](ErrorKind::TooLarge), before the body is awaited). Inside
//! the body: a varint cut off by the body's end is
//! [`Truncated`](ErrorKind::Truncated); a `handler_len` past the body's end is
//! [`LengthOverrun`](ErrorKind::LengthOverrun); `data_len` must exactly fill
//! the rest of the body, else [`LengthMismatch`](ErrorKind::LengthMismatch).
//! All of these are fatal to the stream. Unknown `type` values are not
//! errors: they decode as `Unknown`.
//!
//! Differences from the Go reference, all on the liberal side: its decoder
//! rejects type values above 1, and its encoder writes varints through
//! 8-byte scratch buffers, so it cannot write a value of 2<sup>56</sup> or
//! more; this module reads and writes the whole `u64` range.
//!
//! Before any frame, a client announces itself with a 36-byte UUIDv4 text
//! ([`SetupId`]).
//!
//! ```
//! use procslink::framing::{Framing, domainsockets::{ClientFraming, ClientFrame, ClientKind}};
//!
//! let call = ClientFrame { id: 300, kind: ClientKind::Data, handler: b"echo", data: b"hi" };
//! let mut wire = [0u8; 32];
//! let len = call.encode(&mut wire)?;
//! // total=11 | id=300 | type=1 | 4 "echo" | 2 "hi"
//! assert_eq!(&wire[..len], b"\x0b\xac\x02\x01\x04echo\x02hi");
//!
//! let decoded = ClientFraming.frames(&wire[..len], 64).next().unwrap()?;
//! assert_eq!(decoded, call);
//! assert_eq!(decoded.handler_str()?, "echo");
//! # Ok::<(), procslink::Error>(())
//! ```

use core::fmt;

use super::{Framing, Step, Writer, len_u64, len_usize, unexpected_byte, uvarint};
use crate::{Error, ErrorKind};

/// What a client frame asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientKind {
    /// 0: the client is still there.
    KeepAlive,
    /// 1: a call.
    Data,
    /// Any other value.
    Unknown(u64),
}

impl ClientKind {
    /// The kind a wire value stands for.
    pub const fn from_u64(value: u64) -> Self {
        match value {
            0 => ClientKind::KeepAlive,
            1 => ClientKind::Data,
            other => ClientKind::Unknown(other),
        }
    }

    /// The wire value.
    pub const fn to_u64(self) -> u64 {
        match self {
            ClientKind::KeepAlive => 0,
            ClientKind::Data => 1,
            ClientKind::Unknown(other) => other,
        }
    }
}

/// What a server frame carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerKind {
    /// 0: the call failed; the data is the error text.
    Error,
    /// 1: the call's result.
    Data,
    /// Any other value.
    Unknown(u64),
}

impl ServerKind {
    /// The kind a wire value stands for.
    pub const fn from_u64(value: u64) -> Self {
        match value {
            0 => ServerKind::Error,
            1 => ServerKind::Data,
            other => ServerKind::Unknown(other),
        }
    }

    /// The wire value.
    pub const fn to_u64(self) -> u64 {
        match self {
            ServerKind::Error => 0,
            ServerKind::Data => 1,
            ServerKind::Unknown(other) => other,
        }
    }
}

/// A client → server frame: decoded by [`ClientFraming`], or filled in by
/// the caller and written with [`encode`](Self::encode).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientFrame<'a> {
    /// The call id, echoed by the server's reply.
    pub id: u64,
    /// Keep-alive or call.
    pub kind: ClientKind,
    /// The name of the handler to call.
    pub handler: &'a [u8],
    /// The call's argument bytes.
    pub data: &'a [u8],
}

impl<'a> ClientFrame<'a> {
    /// The handler name as text.
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`](ErrorKind::InvalidUtf8) at the offset, within the
    /// handler, of the first byte that is not UTF-8.
    pub fn handler_str(&self) -> Result<&'a str, Error> {
        utf8(self.handler)
    }

    fn body_len(&self) -> usize {
        [
            uvarint::encoded_len(self.id),
            uvarint::encoded_len(self.kind.to_u64()),
            uvarint::encoded_len(len_u64(self.handler.len())),
            self.handler.len(),
            uvarint::encoded_len(len_u64(self.data.len())),
            self.data.len(),
        ]
        .into_iter()
        .fold(0, usize::saturating_add)
    }

    /// The bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        with_total(self.body_len())
    }

    /// Writes the frame into the start of `out`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the bytes needed,
    /// writing nothing, if `out` is too short.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let body = self.body_len();
        let mut w = Writer::new(out, with_total(body))?;
        w.put_uvarint(len_u64(body))?;
        w.put_uvarint(self.id)?;
        w.put_uvarint(self.kind.to_u64())?;
        w.put_uvarint(len_u64(self.handler.len()))?;
        w.put(self.handler)?;
        w.put_uvarint(len_u64(self.data.len()))?;
        w.put(self.data)?;
        Ok(w.finish())
    }
}

/// A server → client frame: decoded by [`ServerFraming`], or filled in by
/// the caller and written with [`encode`](Self::encode).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerFrame<'a> {
    /// The id of the call answered.
    pub id: u64,
    /// Error or result.
    pub kind: ServerKind,
    /// The result bytes, or the error text.
    pub data: &'a [u8],
}

impl<'a> ServerFrame<'a> {
    /// The data as text (for an error frame, the error message).
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`](ErrorKind::InvalidUtf8) at the offset, within the
    /// data, of the first byte that is not UTF-8.
    pub fn data_str(&self) -> Result<&'a str, Error> {
        utf8(self.data)
    }

    fn body_len(&self) -> usize {
        [
            uvarint::encoded_len(self.id),
            uvarint::encoded_len(self.kind.to_u64()),
            uvarint::encoded_len(len_u64(self.data.len())),
            self.data.len(),
        ]
        .into_iter()
        .fold(0, usize::saturating_add)
    }

    /// The bytes [`encode`](Self::encode) writes.
    pub fn encoded_len(&self) -> usize {
        with_total(self.body_len())
    }

    /// Writes the frame into the start of `out`; returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the bytes needed,
    /// writing nothing, if `out` is too short.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let body = self.body_len();
        let mut w = Writer::new(out, with_total(body))?;
        w.put_uvarint(len_u64(body))?;
        w.put_uvarint(self.id)?;
        w.put_uvarint(self.kind.to_u64())?;
        w.put_uvarint(len_u64(self.data.len()))?;
        w.put(self.data)?;
        Ok(w.finish())
    }
}

/// Decodes client → server frames into [`ClientFrame`]s; see the
/// [module docs](self).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFraming;

/// Decodes server → client frames into [`ServerFrame`]s; see the
/// [module docs](self).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerFraming;

impl Framing for ClientFraming {
    type Frame<'a> = ClientFrame<'a>;

    fn step<'a>(&mut self, input: &'a [u8], max_frame: usize) -> Step<ClientFrame<'a>> {
        frame_step(input, max_frame, 4, |body| {
            let id = body.uvarint()?;
            let kind = ClientKind::from_u64(body.uvarint()?);
            let handler = body.counted_bytes()?;
            let data = body.counted_rest()?;
            Ok(ClientFrame {
                id,
                kind,
                handler,
                data,
            })
        })
    }
}

impl Framing for ServerFraming {
    type Frame<'a> = ServerFrame<'a>;

    fn step<'a>(&mut self, input: &'a [u8], max_frame: usize) -> Step<ServerFrame<'a>> {
        frame_step(input, max_frame, 3, |body| {
            let id = body.uvarint()?;
            let kind = ServerKind::from_u64(body.uvarint()?);
            let data = body.counted_rest()?;
            Ok(ServerFrame { id, kind, data })
        })
    }
}

/// Cuts `[total][body]` from `input` and hands the body to `parse`.
fn frame_step<'a, T>(
    input: &'a [u8],
    max_frame: usize,
    min_total: usize,
    parse: impl FnOnce(&mut Body<'a>) -> Result<T, Error>,
) -> Step<T> {
    let fatal = |error| Step::Invalid { error, fatal: true };
    let (total, head) = match uvarint::decode(input) {
        Ok((total, head)) => (len_usize(total), head),
        Err(e) => match e.kind() {
            ErrorKind::Truncated { needed, .. } => return Step::NeedMore(needed),
            _ => return fatal(e),
        },
    };
    if total < min_total {
        let kind = ErrorKind::LengthTooSmall {
            length: total,
            min: min_total,
        };
        return fatal(Error::new(kind, 0));
    }
    let size = head.saturating_add(total);
    if size > max_frame {
        let kind = ErrorKind::TooLarge {
            size,
            max: max_frame,
        };
        return fatal(Error::new(kind, 0));
    }
    let Some(bytes) = input.get(head..size) else {
        return Step::NeedMore(size);
    };
    let mut body = Body {
        bytes,
        pos: 0,
        base: head,
    };
    match parse(&mut body) {
        Ok(frame) => Step::Frame { frame, len: size },
        Err(error) => fatal(error),
    }
}

/// A reader over a frame's body; error offsets count from the frame's start.
struct Body<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Body<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn at(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    fn uvarint(&mut self) -> Result<u64, Error> {
        let (value, n) = uvarint::decode(self.rest()).map_err(|e| e.shifted(self.at()))?;
        self.pos = self.pos.saturating_add(n);
        Ok(value)
    }

    /// A length-prefixed field in the middle of the body.
    fn counted_bytes(&mut self) -> Result<&'a [u8], Error> {
        let field_at = self.at();
        let length = len_usize(self.uvarint()?);
        let rest = self.rest();
        let Some(bytes) = rest.get(..length) else {
            let kind = ErrorKind::LengthOverrun {
                length,
                available: rest.len(),
            };
            return Err(Error::new(kind, field_at));
        };
        self.pos = self.pos.saturating_add(length);
        Ok(bytes)
    }

    /// The last, length-prefixed field, which must fill the body exactly.
    fn counted_rest(&mut self) -> Result<&'a [u8], Error> {
        let field_at = self.at();
        let length = len_usize(self.uvarint()?);
        let rest = self.rest();
        if rest.len() != length {
            let kind = ErrorKind::LengthMismatch {
                length,
                actual: rest.len(),
            };
            return Err(Error::new(kind, field_at));
        }
        self.pos = self.bytes.len();
        Ok(rest)
    }
}

fn with_total(body: usize) -> usize {
    uvarint::encoded_len(len_u64(body)).saturating_add(body)
}

fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(bytes).map_err(|e| Error::new(ErrorKind::InvalidUtf8, e.valid_up_to()))
}

/// The length of the setup text: a UUID in its 36-character form.
pub const SETUP_LEN: usize = 36;

/// The setup text a client sends first: a UUIDv4 naming the socket (in the
/// temporary directory) it listens on.
///
/// Validated as `8-4-4-4-12` hex digits (either case) with the version digit
/// (the 15th character) `4`. The variant digit is not checked. Go's
/// reference only accepts lowercase, so send lowercase.
///
/// ```
/// use procslink::framing::domainsockets::SetupId;
///
/// let id = SetupId::parse(b"0f8fad5b-d9cb-469f-a165-70867728950e")?;
/// assert_eq!(id.as_str(), "0f8fad5b-d9cb-469f-a165-70867728950e");
/// assert!(SetupId::parse(b"0f8fad5b-d9cb-169f-a165-70867728950e").is_err()); // version 1
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetupId<'a>(&'a str);

impl<'a> SetupId<'a> {
    /// Validates exactly [`SETUP_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// - [`WrongSize`](ErrorKind::WrongSize) if `bytes` is not 36 bytes long;
    /// - [`UnexpectedByte`](ErrorKind::UnexpectedByte)
    ///   at the first byte out of place.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() != SETUP_LEN {
            let kind = ErrorKind::WrongSize {
                expected: SETUP_LEN,
                found: bytes.len(),
            };
            return Err(Error::new(kind, 0));
        }
        for (i, &b) in bytes.iter().enumerate() {
            let fits = match i {
                8 | 13 | 18 | 23 => b == b'-',
                14 => b == b'4',
                _ => b.is_ascii_hexdigit(),
            };
            if !fits {
                return Err(unexpected_byte(b, i));
            }
        }
        utf8(bytes).map(SetupId)
    }

    /// Validates a string; see [`parse`](Self::parse).
    pub fn new(text: &'a str) -> Result<Self, Error> {
        Self::parse(text.as_bytes())
    }

    /// The text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Writes the 36 bytes into the start of `out`.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) `{ needed: 36 }`,
    /// writing nothing, if `out` is shorter.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(out, SETUP_LEN)?;
        w.put(self.0.as_bytes())?;
        Ok(w.finish())
    }
}

impl fmt::Display for SetupId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
