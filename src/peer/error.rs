//! The errors of the peer: [`RpcError`] (a JSON-RPC error object, what a
//! handler returns and what a call fails with) and [`CallError`].

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;

use serde_json::Value;

use crate::jsonrpc::{ErrorCode, ErrorObject};

/// The code this peer answers a request with when its sender's uid is not
/// in the server's allow-list: -32001, in the implementation-defined
/// server-error range. See [`ServerOptions::allow_uid`](super::ServerOptions::allow_uid).
pub const PERMISSION_DENIED: ErrorCode = ErrorCode(-32001);

/// The code a server answers a request with when its handler ran longer
/// than [`ServerOptions::handler_timeout`](super::ServerOptions::handler_timeout):
/// -32002 "Handler timed out", the limit in `data`.
pub const HANDLER_TIMEOUT: ErrorCode = ErrorCode(-32002);

/// The code a server answers a request with when its sender already has
/// [`ServerOptions::max_per_sender`](super::ServerOptions::max_per_sender)
/// handlers running: -32003 "Server busy".
pub const SERVER_BUSY: ErrorCode = ErrorCode(-32003);

/// A JSON-RPC error object: code, message and optional data.
///
/// Handlers return it to fail a call; [`Client::call`](super::Client::call)
/// fails with it (as [`CallError::Rpc`]) when the server answered an error.
///
/// ```
/// use procslink::jsonrpc::ErrorCode;
/// use procslink::peer::RpcError;
///
/// let e = RpcError::invalid_params("expected two numbers");
/// assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
/// assert_eq!(e.message, "Invalid params");
/// assert_eq!(e.data, Some(serde_json::json!("expected two numbers")));
/// assert_eq!(e.to_string(), "-32602 Invalid params: \"expected two numbers\"");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// The error code.
    pub code: ErrorCode,
    /// A short description.
    pub message: String,
    /// Additional information, if any.
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message` and no data.
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        RpcError {
            code: code.into(),
            message: message.into(),
            data: None,
        }
    }

    /// An error with one of the specification's codes and its standard
    /// message ("Server error" for the server range, "Error" otherwise).
    pub fn standard(code: ErrorCode) -> Self {
        RpcError::new(code, code.standard_message().unwrap_or("Error"))
    }

    /// The same error with `data`.
    #[must_use]
    pub fn with_data(mut self, data: impl Into<Value>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// -32700 "Parse error".
    pub fn parse_error() -> Self {
        RpcError::standard(ErrorCode::PARSE_ERROR)
    }

    /// -32600 "Invalid Request".
    pub fn invalid_request() -> Self {
        RpcError::standard(ErrorCode::INVALID_REQUEST)
    }

    /// -32601 "Method not found".
    pub fn method_not_found() -> Self {
        RpcError::standard(ErrorCode::METHOD_NOT_FOUND)
    }

    /// -32602 "Invalid params", with `detail` as data.
    pub fn invalid_params(detail: impl fmt::Display) -> Self {
        RpcError::standard(ErrorCode::INVALID_PARAMS).with_data(detail.to_string())
    }

    /// -32603 "Internal error", with `detail` as data (what the reference
    /// answers when a handler raises: the exception's text as data).
    pub fn internal(detail: impl fmt::Display) -> Self {
        RpcError::standard(ErrorCode::INTERNAL_ERROR).with_data(detail.to_string())
    }

    /// [`PERMISSION_DENIED`] "Permission denied".
    pub fn permission_denied() -> Self {
        RpcError::new(PERMISSION_DENIED, "Permission denied")
    }

    /// The error object of a received response, owned (data that
    /// `serde_json` cannot represent is dropped).
    pub(crate) fn from_object(object: &ErrorObject<'_>) -> Self {
        RpcError {
            code: object.code,
            message: object.message.chars().collect(),
            data: object
                .data
                .and_then(|d| serde_json::from_str::<Value>(d.as_str()).ok()),
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.0, self.message)?;
        if let Some(data) = &self.data {
            write!(f, ": {data}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError {
    /// The server answered with a JSON-RPC error object.
    Rpc(RpcError),
    /// No response arrived in time.
    Timeout,
    /// The socket failed (sending or receiving).
    Io(io::Error),
    /// The call's peer answered something that is not a valid response:
    /// a datagram that is not ProcsLink, not a response or not JSON-RPC,
    /// or a result with id null. The text says what was wrong. (Invalid
    /// datagrams that cannot be told to answer this call, because they
    /// name no id of it and other calls to the same peer are in flight,
    /// are only counted, and the call waits on.)
    InvalidReply(String),
    /// The call could not be made or its answer not used: params that are
    /// neither an array, an object nor absent, a request larger than the
    /// datagram limit, or a result that does not decode into the caller's
    /// type.
    Protocol(String),
}

impl CallError {
    /// The JSON-RPC error object, if the server answered one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            CallError::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout)
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Rpc(e) => write!(f, "error response: {e}"),
            CallError::Timeout => f.write_str("no response before the timeout"),
            CallError::Io(e) => write!(f, "socket error: {e}"),
            CallError::InvalidReply(m) | CallError::Protocol(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Rpc(e) => Some(e),
            CallError::Io(e) => Some(e),
            CallError::Timeout | CallError::InvalidReply(_) | CallError::Protocol(_) => None,
        }
    }
}

impl From<io::Error> for CallError {
    fn from(e: io::Error) -> Self {
        CallError::Io(e)
    }
}

impl From<RpcError> for CallError {
    fn from(e: RpcError) -> Self {
        CallError::Rpc(e)
    }
}
