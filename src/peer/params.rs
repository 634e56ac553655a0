//! What a handler receives ([`Params`]) and returns ([`Reply`]).

use std::prelude::rust_2024::*;

use std::fmt;
use std::os::fd::OwnedFd;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::RpcError;
use super::socket::{Address, Credentials};

/// The parameters of one request, with the file descriptors that came with
/// it and who sent it.
///
/// `params` is positional (a JSON array), named (an object) or absent;
/// a handler reads it whole with [`parse`](Self::parse) (into a tuple, a
/// struct, a `Vec`…) or argument by argument with [`arg`](Self::arg), which
/// accepts either form. Decoding failures are -32602 "Invalid params"
/// errors, ready to return with `?`.
///
/// ```
/// use procslink::peer::Params;
/// use serde_json::json;
///
/// let positional = Params::from_value(Some(json!([2, 40])));
/// let named = Params::from_value(Some(json!({"a": 2, "b": 40})));
/// for p in [&positional, &named] {
///     let a: i64 = p.arg(0, "a")?;
///     let b: i64 = p.arg(1, "b")?;
///     assert_eq!(a + b, 42);
/// }
/// let (a, b): (i64, i64) = positional.parse()?;
/// assert_eq!((a, b), (2, 40));
/// let err = named.arg::<String>(0, "a").unwrap_err();
/// assert_eq!(err.code.0, -32602);
/// assert!(Params::from_value(None).is_absent());
/// # Ok::<(), procslink::peer::RpcError>(())
/// ```
pub struct Params {
    value: Option<Value>,
    fds: Vec<OwnedFd>,
    sender: Option<Address>,
    credentials: Option<Credentials>,
}

impl Params {
    /// Parameters from a value (`None`: absent). Arrays are positional,
    /// objects named; other values are kept as they are (the server never
    /// passes them: a request whose params are neither is invalid).
    pub fn from_value(value: Option<Value>) -> Self {
        Params {
            value,
            fds: Vec::new(),
            sender: None,
            credentials: None,
        }
    }

    pub(crate) fn with_context(
        mut self,
        fds: Vec<OwnedFd>,
        sender: Option<Address>,
        credentials: Option<Credentials>,
    ) -> Self {
        self.fds = fds;
        self.sender = sender;
        self.credentials = credentials;
        self
    }

    /// The params' value; `None` when absent.
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// The params' value; `Value::Null` when absent.
    pub fn into_value(self) -> Value {
        self.value.unwrap_or(Value::Null)
    }

    /// Whether no params were sent.
    pub fn is_absent(&self) -> bool {
        self.value.is_none()
    }

    /// Whether the params are positional (an array).
    pub fn is_positional(&self) -> bool {
        matches!(self.value, Some(Value::Array(_)))
    }

    /// Whether the params are named (an object).
    pub fn is_named(&self) -> bool {
        matches!(self.value, Some(Value::Object(_)))
    }

    /// The number of arguments (0 when absent).
    pub fn len(&self) -> usize {
        match &self.value {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Object(o)) => o.len(),
            _ => 0,
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes the params as a whole: an array into a tuple or a `Vec`, an
    /// object into a struct or a map, absent params as `null` (into `()` or
    /// an `Option`).
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" with serde's explanation as data.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, RpcError> {
        let value = self.value.clone().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(RpcError::invalid_params)
    }

    /// The raw argument at position `index` (positional params) or named
    /// `name` (named params).
    pub fn raw_arg(&self, index: usize, name: &str) -> Option<&Value> {
        match &self.value {
            Some(Value::Array(a)) => a.get(index),
            Some(Value::Object(o)) => o.get(name),
            _ => None,
        }
    }

    /// Decodes the argument at position `index` or named `name`.
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" when it is missing or has the wrong type.
    pub fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let raw = self.raw_arg(index, name).ok_or_else(|| {
            RpcError::invalid_params(format_args!("missing argument {index} ({name})"))
        })?;
        T::deserialize(raw)
            .map_err(|e| RpcError::invalid_params(format_args!("argument {index} ({name}): {e}")))
    }

    /// Like [`arg`](Self::arg), `None` when the argument is missing or
    /// `null`.
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" when it is present with the wrong type.
    pub fn opt_arg<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        match self.raw_arg(index, name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.arg(index, name).map(Some),
        }
    }

    /// Fails with -32602 unless there are exactly `count` arguments
    /// (absent params count as none).
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" saying how many were expected.
    pub fn expect_len(&self, count: usize) -> Result<(), RpcError> {
        if self.len() == count {
            Ok(())
        } else {
            Err(RpcError::invalid_params(format_args!(
                "expected {count} argument(s), got {}",
                self.len()
            )))
        }
    }

    /// The file descriptors that came with the request (Unix datagrams
    /// only), in the order they were sent.
    pub fn fds(&self) -> &[OwnedFd] {
        &self.fds
    }

    /// Takes the file descriptors that came with the request; those not
    /// taken are closed when the handler returns.
    pub fn take_fds(&mut self) -> Vec<OwnedFd> {
        std::mem::take(&mut self.fds)
    }

    /// The sender's address as the kernel reported it.
    pub fn sender(&self) -> Option<&Address> {
        self.sender.as_ref()
    }

    /// The sender's kernel-supplied credentials, when the server asked for
    /// them (it does when it has a uid allow-list, or
    /// [`ServerOptions::pass_credentials`](super::ServerOptions::pass_credentials)).
    pub fn credentials(&self) -> Option<Credentials> {
        self.credentials
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Params")
            .field("value", &self.value)
            .field("fds", &self.fds.len())
            .field("sender", &self.sender)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// A handler's successful answer: the result value and the file
/// descriptors to send back with it (Unix datagrams only).
///
/// Handlers may return a [`Value`] (or anything `Into<Reply>`) instead.
///
/// ```
/// use procslink::peer::Reply;
/// let r: Reply = serde_json::json!(42).into();
/// assert_eq!(r.value, 42);
/// assert!(r.fds.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Reply {
    /// The result.
    pub value: Value,
    /// Descriptors to pass with the response; closed here once sent.
    pub fds: Vec<OwnedFd>,
}

impl Reply {
    /// A reply carrying `value` and `fds`.
    pub fn with_fds(value: impl Into<Value>, fds: Vec<OwnedFd>) -> Self {
        Reply {
            value: value.into(),
            fds,
        }
    }
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply {
            value,
            fds: Vec::new(),
        }
    }
}
