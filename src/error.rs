//! The crate's one error type: a [`ErrorKind`] plus the byte offset where it
//! happened.
//!
//! Errors are `Copy`, a few words in size, and never allocate. Parsers report
//! the offset of the item that went wrong, counted from the start of the
//! buffer the caller handed in; builders report the offset at which they
//! would have written.

use core::fmt;

/// What went wrong, and where.
///
/// ```
/// use procslink::netlink::Messages;
/// use procslink::ErrorKind;
///
/// // 20 bytes claiming to be a 64-byte message.
/// let mut buf = [0u8; 20];
/// buf[..4].copy_from_slice(&64u32.to_ne_bytes());
/// let err = Messages::new(&buf).next().unwrap().unwrap_err();
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err.kind(), ErrorKind::LengthOverrun { length: 64, available: 20 });
/// ```
// `repr(C)` with the offset first: see `netlink::Message`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Error {
    offset: usize,
    kind: ErrorKind,
}

impl Error {
    /// An error of `kind` at byte `offset`.
    #[inline]
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Error { kind, offset }
    }

    /// What went wrong.
    #[inline]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset, from the start of the caller's buffer, of the item
    /// that went wrong (for builders: where the write would have started).
    #[inline]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The same error moved `by` bytes further into an enclosing buffer.
    #[inline]
    #[must_use]
    pub const fn shifted(self, by: usize) -> Self {
        Error {
            kind: self.kind,
            offset: self.offset.saturating_add(by),
        }
    }
}

/// The kinds of [`Error`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends before a fixed-size header or field does.
    Truncated {
        /// Bytes the header or field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length field is smaller than the header it must include.
    LengthTooSmall {
        /// The value of the length field.
        length: usize,
        /// The smallest valid value.
        min: usize,
    },
    /// A length field points past the end of the bytes available.
    LengthOverrun {
        /// The value of the length field.
        length: usize,
        /// The bytes that were left, counted from the same start.
        available: usize,
    },
    /// A length field disagrees with the number of bytes actually present.
    LengthMismatch {
        /// The value of the length field.
        length: usize,
        /// The length the bytes imply.
        actual: usize,
    },
    /// A fixed-size value has the wrong size.
    WrongSize {
        /// The size the value must have.
        expected: usize,
        /// The size it has.
        found: usize,
    },
    /// A string attribute has no terminating NUL.
    NotNulTerminated,
    /// Text that must be UTF-8 is not.
    InvalidUtf8,
    /// An attribute breaks its [policy](crate::netlink::Policy).
    Policy {
        /// The attribute's type (flags masked off).
        attr_type: u16,
        /// What about it is wrong.
        violation: PolicyViolation,
    },
    /// Nested attributes go deeper than the parser's limit.
    NestingTooDeep {
        /// The limit.
        max_depth: usize,
    },
    /// A message or attribute has a type this view cannot stand for (for
    /// example an error view over a message that is not `NLMSG_ERROR`).
    UnexpectedType {
        /// The type that was expected.
        expected: u16,
        /// The type found.
        found: u16,
    },
    /// A builder's buffer is too small.
    BufferTooSmall {
        /// The total size the buffer would need to hold what was written so
        /// far plus the item that did not fit.
        needed: usize,
    },
    /// A value is too large for the length field that must describe it
    /// (for example an attribute payload over 65531 bytes).
    TooLarge {
        /// The size asked for.
        size: usize,
        /// The largest size the format allows.
        max: usize,
    },
    /// A builder was used out of order (for example a family header written
    /// after an attribute, or a nest closed twice).
    Misuse,
    /// The input is not well-formed JSON (a JSON-RPC server answers
    /// -32700 "Parse error").
    Json(JsonSyntax),
    /// The input is JSON but not a valid JSON-RPC 2.0 message (a server
    /// answers -32600 "Invalid Request").
    Rpc(RpcViolation),
    /// A JSON value could not be decoded into the caller's type.
    TypedDecode,
    /// A fragment does not continue the message being reassembled.
    Fragment(FragmentViolation),
    /// A variable-length integer is longer than its type allows, or
    /// overflows it.
    Varint,
    /// A byte that the format does not allow here.
    UnexpectedByte(u8),
    /// A group of five Base85 digits stands for a number above 32 bits
    /// (Python's "base85 overflow in hunk"); the offset is the group's.
    Base85Overflow,
}

/// How a fragment fails to continue the message being reassembled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FragmentViolation {
    /// A fragment was skipped: `got` arrived where `expected` was due.
    Missing {
        /// The index that was due.
        expected: u32,
        /// The index that arrived.
        got: u32,
    },
    /// A fragment arrived again.
    Duplicate {
        /// Its index.
        index: u32,
    },
    /// A fragment arrived before its predecessors (a later index than due
    /// while the message's first fragment has not been seen).
    OutOfOrder {
        /// The index that was due.
        expected: u32,
        /// The index that arrived.
        got: u32,
    },
    /// A fragment's header disagrees with the message's earlier fragments
    /// or with itself (total length, count, offset, index past the count).
    Inconsistent,
    /// The message is larger than the reassembly buffer or the configured
    /// maximum.
    Oversized {
        /// The message's announced total length.
        total: usize,
        /// The largest message that can be reassembled.
        max: usize,
    },
    /// The reassembled bytes do not match the checksum every fragment
    /// carries: fragments of different messages were mixed.
    ChecksumMismatch,
    /// A new message started before the previous one was complete.
    Incomplete {
        /// The id of the message that was abandoned.
        message_id: u32,
    },
}

/// How a text fails to be JSON.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonSyntax {
    /// The text ends inside a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte(u8),
    /// A backslash escape that JSON does not define.
    InvalidEscape,
    /// A `\u` escape without four hex digits.
    InvalidUnicodeEscape,
    /// A UTF-16 surrogate escape without its partner.
    LoneSurrogate,
    /// An unescaped control character (below 0x20) inside a string.
    ControlCharacter,
    /// A malformed number.
    InvalidNumber,
    /// Bytes after the end of the top-level value.
    TrailingCharacters,
    /// Arrays and objects nest deeper than the decoder's limit.
    TooDeep,
    /// The text is not UTF-8.
    InvalidUtf8,
}

/// How a JSON text fails to be a valid JSON-RPC 2.0 message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RpcViolation {
    /// The message (or a batch element) is not a JSON object.
    NotAnObject,
    /// `"jsonrpc"` is missing.
    MissingVersion,
    /// `"jsonrpc"` is not the string `"2.0"`.
    WrongVersion,
    /// `"method"` is missing.
    MissingMethod,
    /// `"method"` is not a string.
    MethodNotString,
    /// `"id"` is not a number, a string or null.
    BadId,
    /// `"params"` is neither an array nor an object.
    BadParams,
    /// A batch array is empty.
    EmptyBatch,
    /// A response has both `"result"` and `"error"`.
    ResultAndError,
    /// A response has neither `"result"` nor `"error"`.
    NoResultOrError,
    /// A response has no `"id"`.
    MissingId,
    /// An error object lacks an integer `"code"` or a string `"message"`.
    BadErrorObject,
    /// A member appears twice in one object.
    DuplicateMember,
}

/// How an attribute breaks its policy.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// The payload is shorter than the policy's minimum.
    TooShort {
        /// The payload length.
        length: usize,
        /// The minimum.
        min: usize,
    },
    /// The payload is longer than the policy's maximum.
    TooLong {
        /// The payload length.
        length: usize,
        /// The maximum.
        max: usize,
    },
    /// A fixed-size kind (`u32`, flag, …) has a payload of another size.
    WrongSize {
        /// The size the kind needs.
        expected: usize,
        /// The payload length.
        found: usize,
    },
    /// A string has no terminating NUL.
    NotNulTerminated,
    /// A string is not valid UTF-8.
    InvalidUtf8,
    /// The type is above the policy's highest known type and the policy
    /// rejects unknown types.
    Unknown,
    /// A required attribute is missing.
    Missing,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needed {needed} bytes, {available} left")
            }
            ErrorKind::LengthTooSmall { length, min } => {
                write!(f, "length {length} is below the minimum {min}")
            }
            ErrorKind::LengthOverrun { length, available } => {
                write!(f, "length {length} runs past the {available} bytes left")
            }
            ErrorKind::LengthMismatch { length, actual } => {
                write!(
                    f,
                    "length field says {length} but {actual} bytes are present"
                )
            }
            ErrorKind::WrongSize { expected, found } => {
                write!(f, "expected {expected} bytes, found {found}")
            }
            ErrorKind::NotNulTerminated => f.write_str("string is not NUL-terminated"),
            ErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
            ErrorKind::Policy {
                attr_type,
                violation,
            } => write!(f, "attribute type {attr_type}: {violation}"),
            ErrorKind::NestingTooDeep { max_depth } => {
                write!(f, "attributes nest deeper than {max_depth} levels")
            }
            ErrorKind::UnexpectedType { expected, found } => {
                write!(f, "expected type {expected}, found {found}")
            }
            ErrorKind::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
            ErrorKind::TooLarge { size, max } => {
                write!(f, "size {size} exceeds the maximum {max}")
            }
            ErrorKind::Misuse => f.write_str("builder used out of order"),
            ErrorKind::Json(e) => write!(f, "invalid JSON: {e}"),
            ErrorKind::Rpc(e) => write!(f, "invalid JSON-RPC message: {e}"),
            ErrorKind::TypedDecode => f.write_str("JSON value does not fit the requested type"),
            ErrorKind::Fragment(v) => write!(f, "bad fragment: {v}"),
            ErrorKind::Varint => f.write_str("overlong or overflowing varint"),
            ErrorKind::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}"),
            ErrorKind::Base85Overflow => f.write_str("Base85 group overflows 32 bits"),
        }
    }
}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PolicyViolation::TooShort { length, min } => {
                write!(f, "payload of {length} bytes is shorter than {min}")
            }
            PolicyViolation::TooLong { length, max } => {
                write!(f, "payload of {length} bytes is longer than {max}")
            }
            PolicyViolation::WrongSize { expected, found } => {
                write!(f, "payload must be {expected} bytes, is {found}")
            }
            PolicyViolation::NotNulTerminated => f.write_str("string is not NUL-terminated"),
            PolicyViolation::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            PolicyViolation::Unknown => f.write_str("unknown attribute type"),
            PolicyViolation::Missing => f.write_str("required attribute is missing"),
        }
    }
}

impl fmt::Display for JsonSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            JsonSyntax::UnexpectedEnd => f.write_str("unexpected end of text"),
            JsonSyntax::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}"),
            JsonSyntax::InvalidEscape => f.write_str("invalid escape"),
            JsonSyntax::InvalidUnicodeEscape => f.write_str("invalid \\u escape"),
            JsonSyntax::LoneSurrogate => f.write_str("unpaired UTF-16 surrogate"),
            JsonSyntax::ControlCharacter => f.write_str("control character in string"),
            JsonSyntax::InvalidNumber => f.write_str("invalid number"),
            JsonSyntax::TrailingCharacters => f.write_str("trailing characters"),
            JsonSyntax::TooDeep => f.write_str("nesting too deep"),
            JsonSyntax::InvalidUtf8 => f.write_str("invalid UTF-8"),
        }
    }
}

impl fmt::Display for RpcViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match *self {
            RpcViolation::NotAnObject => "not an object",
            RpcViolation::MissingVersion => "missing \"jsonrpc\"",
            RpcViolation::WrongVersion => "\"jsonrpc\" is not \"2.0\"",
            RpcViolation::MissingMethod => "missing \"method\"",
            RpcViolation::MethodNotString => "\"method\" is not a string",
            RpcViolation::BadId => "\"id\" is not a number, string or null",
            RpcViolation::BadParams => "\"params\" is not an array or object",
            RpcViolation::EmptyBatch => "empty batch",
            RpcViolation::ResultAndError => "both \"result\" and \"error\"",
            RpcViolation::NoResultOrError => "neither \"result\" nor \"error\"",
            RpcViolation::MissingId => "missing \"id\"",
            RpcViolation::BadErrorObject => "malformed error object",
            RpcViolation::DuplicateMember => "duplicate member",
        })
    }
}

impl fmt::Display for FragmentViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FragmentViolation::Missing { expected, got } => {
                write!(f, "fragment {expected} is missing (got {got})")
            }
            FragmentViolation::Duplicate { index } => write!(f, "fragment {index} arrived twice"),
            FragmentViolation::OutOfOrder { expected, got } => {
                write!(f, "fragment {got} arrived before fragment {expected}")
            }
            FragmentViolation::Inconsistent => {
                f.write_str("fragment header disagrees with the message")
            }
            FragmentViolation::Oversized { total, max } => {
                write!(f, "message of {total} bytes exceeds the maximum {max}")
            }
            FragmentViolation::ChecksumMismatch => {
                f.write_str("reassembled bytes do not match the message checksum")
            }
            FragmentViolation::Incomplete { message_id } => {
                write!(
                    f,
                    "message {message_id} was abandoned before its last fragment"
                )
            }
        }
    }
}

impl core::error::Error for Error {}
