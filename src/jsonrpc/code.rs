//! JSON-RPC 2.0 error codes.

use core::fmt;

use crate::{Error, ErrorKind};

/// A JSON-RPC error code, with the codes the specification reserves.
///
/// ```
/// use procslink::jsonrpc::{ErrorCode, Message};
///
/// let err = Message::parse(b"{\"jsonrpc\": \"2.0\", \"method\": 1}").unwrap_err();
/// let code = ErrorCode::from_error(&err);
/// assert_eq!(code, ErrorCode::INVALID_REQUEST);
/// assert_eq!(code.0, -32600);
/// assert_eq!(code.standard_message(), Some("Invalid Request"));
/// assert!(ErrorCode(-32050).is_server_error());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// -32700: the text is not JSON.
    pub const PARSE_ERROR: ErrorCode = ErrorCode(-32700);
    /// -32600: the JSON is not a valid request object.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(-32600);
    /// -32601: the method does not exist or is not available.
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode(-32601);
    /// -32602: invalid method parameters.
    pub const INVALID_PARAMS: ErrorCode = ErrorCode(-32602);
    /// -32603: internal JSON-RPC error.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(-32603);
    /// -32099: the lowest code of the implementation-defined server errors.
    pub const SERVER_ERROR_MIN: ErrorCode = ErrorCode(-32099);
    /// -32000: the highest code of the implementation-defined server errors.
    pub const SERVER_ERROR_MAX: ErrorCode = ErrorCode(-32000);

    /// Whether the code is in the server-error range -32099..=-32000.
    #[inline]
    pub const fn is_server_error(self) -> bool {
        self.0 >= Self::SERVER_ERROR_MIN.0 && self.0 <= Self::SERVER_ERROR_MAX.0
    }

    /// Whether the specification reserves the code (-32768..=-32000).
    #[inline]
    pub const fn is_reserved(self) -> bool {
        self.0 >= -32768 && self.0 <= -32000
    }

    /// The specification's message for the five predefined codes
    /// ("Parse error", "Invalid Request", "Method not found",
    /// "Invalid params", "Internal error"), and "Server error" for the
    /// server range.
    pub const fn standard_message(self) -> Option<&'static str> {
        match self.0 {
            -32700 => Some("Parse error"),
            -32600 => Some("Invalid Request"),
            -32601 => Some("Method not found"),
            -32602 => Some("Invalid params"),
            -32603 => Some("Internal error"),
            _ if self.is_server_error() => Some("Server error"),
            _ => None,
        }
    }

    /// The code a server answers for a decoding error: [`PARSE_ERROR`]
    /// for text that is not JSON (or not UTF-8), [`INVALID_REQUEST`] for
    /// JSON that is not a valid message, [`INVALID_PARAMS`] for params that
    /// do not fit the caller's type, [`INTERNAL_ERROR`] for anything else.
    ///
    /// [`PARSE_ERROR`]: Self::PARSE_ERROR
    /// [`INVALID_REQUEST`]: Self::INVALID_REQUEST
    /// [`INVALID_PARAMS`]: Self::INVALID_PARAMS
    /// [`INTERNAL_ERROR`]: Self::INTERNAL_ERROR
    pub const fn from_error(error: &Error) -> ErrorCode {
        match error.kind() {
            ErrorKind::Json(_) | ErrorKind::InvalidUtf8 => Self::PARSE_ERROR,
            ErrorKind::Rpc(_) => Self::INVALID_REQUEST,
            ErrorKind::TypedDecode => Self::INVALID_PARAMS,
            _ => Self::INTERNAL_ERROR,
        }
    }
}

impl From<&Error> for ErrorCode {
    #[inline]
    fn from(error: &Error) -> Self {
        ErrorCode::from_error(error)
    }
}

impl From<Error> for ErrorCode {
    #[inline]
    fn from(error: Error) -> Self {
        ErrorCode::from_error(&error)
    }
}

impl From<i32> for ErrorCode {
    #[inline]
    fn from(code: i32) -> Self {
        ErrorCode(code)
    }
}

impl From<ErrorCode> for i32 {
    #[inline]
    fn from(code: ErrorCode) -> Self {
        code.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.standard_message() {
            Some(m) => write!(f, "{} ({m})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The JSON-RPC error code for `error`; see [`ErrorCode::from_error`].
///
/// ```
/// use procslink::jsonrpc::{error_code, Message};
/// assert_eq!(error_code(&Message::parse(b"{").unwrap_err()), -32700);
/// assert_eq!(error_code(&Message::parse(b"[]").unwrap_err()), -32600);
/// ```
#[inline]
pub const fn error_code(error: &Error) -> i32 {
    ErrorCode::from_error(error).0
}
