//! JSON-RPC 2.0 messages as decoded: requests, responses, error objects
//! and params, borrowed from the text they were read from.

use super::batch::Batch;
use super::code::ErrorCode;
use super::decode::{Decoder, read_error_object, rpc};
use super::id::Id;
use super::string::JsonStr;
use super::validate::{Cursor, MAX_DEPTH_LIMIT};
use super::value::{Elements, Kind, Members, RawValue};
use crate::{Error, RpcViolation};

/// What one datagram or text holds: a single message or a batch.
#[derive(Clone, Copy, Debug)]
pub enum Incoming<'a> {
    /// One message.
    Single(Message<'a>),
    /// A non-empty batch, already validated as JSON; its elements are
    /// classified one by one as they are iterated.
    Batch(Batch<'a>),
}

impl<'a> Incoming<'a> {
    /// The message, if this is not a batch.
    #[inline]
    pub fn single(self) -> Option<Message<'a>> {
        match self {
            Incoming::Single(m) => Some(m),
            Incoming::Batch(_) => None,
        }
    }

    /// The batch, if this is one.
    #[inline]
    pub fn batch(self) -> Option<Batch<'a>> {
        match self {
            Incoming::Batch(b) => Some(b),
            Incoming::Single(_) => None,
        }
    }
}

/// A JSON-RPC 2.0 message: a request (or notification) or a response.
///
/// ```
/// use procslink::jsonrpc::{Incoming, Message};
///
/// let text = br#"{"jsonrpc": "2.0", "method": "add", "id": 2, "params": {"a": 2, "b": 40}}"#;
/// let Incoming::Single(Message::Request(req)) = Message::parse(text)? else { panic!() };
/// assert_eq!(req.method, "add");
/// assert_eq!(req.id.unwrap().as_i64(), Some(2));
/// assert_eq!(req.params.unwrap().get("b").unwrap().as_str(), "40");
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A request or a notification.
    Request(Request<'a>),
    /// A response carrying a result or an error.
    Response(Response<'a>),
}

impl<'a> Message<'a> {
    /// Decodes one message or a batch from `bytes` (UTF-8 JSON text),
    /// classifying bad input as a JSON-RPC 2.0 server must answer it:
    ///
    /// - not UTF-8 or not JSON: an [`ErrorKind::Json`](crate::ErrorKind::Json) error
    ///   (answer -32700 "Parse error", id null);
    /// - JSON but not a valid message (not an object, `"jsonrpc"` missing
    ///   or not `"2.0"`, `"method"` not a string, an id that is not a
    ///   number, string or null, `"params"` neither array nor object, an
    ///   empty batch, a duplicated member…): an [`ErrorKind::Rpc`](crate::ErrorKind::Rpc) error
    ///   (answer -32600 "Invalid Request", id null or the one
    ///   [`Id::recover`] finds).
    ///
    /// A batch is validated as JSON as a whole here; each element is then
    /// classified on its own by [`Batch::iter`].
    ///
    /// ```
    /// use procslink::{jsonrpc::Message, ErrorKind, JsonSyntax, RpcViolation};
    ///
    /// let err = Message::parse(br#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
    ///     .unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Json(_)));
    ///
    /// let err = Message::parse(br#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Rpc(RpcViolation::MethodNotString));
    /// assert_eq!(err.offset(), 29);
    /// ```
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Incoming<'a>, Error> {
        Decoder::new().parse(bytes)
    }

    /// The request, if this is one.
    #[inline]
    pub fn into_request(self) -> Option<Request<'a>> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if this is one.
    #[inline]
    pub fn into_response(self) -> Option<Response<'a>> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }

    /// The id: `None` for a notification.
    #[inline]
    pub fn id(&self) -> Option<Id<'a>> {
        match self {
            Message::Request(r) => r.id,
            Message::Response(r) => Some(r.id),
        }
    }
}

impl<'a> From<Request<'a>> for Message<'a> {
    fn from(r: Request<'a>) -> Self {
        Message::Request(r)
    }
}

impl<'a> From<Response<'a>> for Message<'a> {
    fn from(r: Response<'a>) -> Self {
        Message::Response(r)
    }
}

/// A request, or a notification when it has no id.
///
/// ```
/// use procslink::jsonrpc::{Request, RawValue};
///
/// let req = Request::parse(br#"{"jsonrpc": "2.0", "method": "hello", "params": ["Rust"]}"#)?;
/// assert!(req.is_notification());
/// let mut args = req.params.unwrap().positional().unwrap();
/// assert_eq!(args.next().unwrap().as_json_str().unwrap(), "Rust");
///
/// let built = Request::new(1, "hello", None);
/// assert_eq!(built.id.unwrap().as_i64(), Some(1));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The id; `None` makes this a notification.
    pub id: Option<Id<'a>>,
    /// The method name.
    pub method: JsonStr<'a>,
    /// The parameters, if present.
    pub params: Option<Params<'a>>,
}

impl<'a> Request<'a> {
    /// Decodes a single request or notification; see
    /// [`Decoder::parse_request`].
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Decoder::new().parse_request(bytes)
    }

    /// A request with an id.
    #[inline]
    pub fn new(
        id: impl Into<Id<'a>>,
        method: impl Into<JsonStr<'a>>,
        params: Option<Params<'a>>,
    ) -> Self {
        Request {
            id: Some(id.into()),
            method: method.into(),
            params,
        }
    }

    /// A notification (no id, no response expected).
    #[inline]
    pub fn notification(method: impl Into<JsonStr<'a>>, params: Option<Params<'a>>) -> Self {
        Request {
            id: None,
            method: method.into(),
            params,
        }
    }

    /// Whether this is a notification.
    #[inline]
    pub const fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

/// A response: a result or an error object, for the request with `id`.
///
/// ```
/// use procslink::jsonrpc::{ErrorCode, Response};
///
/// let resp = Response::parse(br#"{"jsonrpc": "2.0", "id": 8, "error": {"code": -32601, "message": "Method not found"}}"#)?;
/// let err = resp.outcome.unwrap_err();
/// assert_eq!(err.code, ErrorCode::METHOD_NOT_FOUND);
/// assert_eq!(err.message, "Method not found");
/// assert!(err.data.is_none());
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// The id of the request answered (null when it could not be read).
    pub id: Id<'a>,
    /// The result, or the error.
    pub outcome: Result<RawValue<'a>, ErrorObject<'a>>,
}

impl<'a> Response<'a> {
    /// Decodes a single response; see [`Decoder::parse_response`].
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Decoder::new().parse_response(bytes)
    }

    /// A successful response.
    #[inline]
    pub fn result(id: impl Into<Id<'a>>, result: RawValue<'a>) -> Self {
        Response {
            id: id.into(),
            outcome: Ok(result),
        }
    }

    /// An error response.
    #[inline]
    pub fn error(id: impl Into<Id<'a>>, error: ErrorObject<'a>) -> Self {
        Response {
            id: id.into(),
            outcome: Err(error),
        }
    }

    /// Whether this is an error response.
    #[inline]
    pub const fn is_error(&self) -> bool {
        self.outcome.is_err()
    }
}

/// The error object of an error response.
///
/// ```
/// use procslink::jsonrpc::{ErrorCode, ErrorObject, Message};
///
/// let err = Message::parse(b"[1").unwrap_err();
/// let obj = ErrorObject::from_error(&err);
/// assert_eq!(obj.code, ErrorCode::PARSE_ERROR);
/// assert_eq!(obj.message, "Parse error");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorObject<'a> {
    /// The error code.
    pub code: ErrorCode,
    /// A short description.
    pub message: JsonStr<'a>,
    /// Additional information, if any.
    pub data: Option<RawValue<'a>>,
}

impl<'a> ErrorObject<'a> {
    /// An error object without data.
    #[inline]
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<JsonStr<'a>>) -> Self {
        ErrorObject {
            code: code.into(),
            message: message.into(),
            data: None,
        }
    }

    /// The same error object with `data`.
    #[inline]
    #[must_use]
    pub const fn with_data(mut self, data: RawValue<'a>) -> Self {
        self.data = Some(data);
        self
    }

    /// The error object a server answers for a decoding error: its code
    /// (see [`ErrorCode::from_error`]) and the standard message.
    pub fn from_error(error: &Error) -> ErrorObject<'static> {
        let code = ErrorCode::from_error(error);
        ErrorObject::new(code, code.standard_message().unwrap_or("Internal error"))
    }

    /// Reads an error object: an object with an integer `"code"` (fitting
    /// an `i32`), a string `"message"` and optionally `"data"`; other
    /// members are ignored. Error offsets count from the value's start.
    ///
    /// ```
    /// use procslink::jsonrpc::{ErrorObject, RawValue};
    /// let v = RawValue::parse(r#"{"code": -32000, "message": "busy", "data": [1]}"#)?;
    /// let e = ErrorObject::from_value(v)?;
    /// assert!(e.code.is_server_error());
    /// assert_eq!(e.data.unwrap().as_str(), "[1]");
    /// assert!(ErrorObject::from_value(RawValue::parse(r#"{"code": 1.5, "message": ""}"#)?).is_err());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn from_value(value: RawValue<'a>) -> Result<Self, Error> {
        if value.kind() != Kind::Object {
            return Err(rpc(RpcViolation::BadErrorObject, 0));
        }
        let mut cur = Cursor::new(value.as_str(), 0);
        read_error_object::<false>(&mut cur, MAX_DEPTH_LIMIT).and_then(|e| e)
    }
}

/// Request parameters: a JSON array (positional) or object (named).
///
/// ```
/// use procslink::jsonrpc::{Params, RawValue};
///
/// let p = Params::new(RawValue::parse(r#"{"a": 2, "b": 40}"#)?).unwrap();
/// assert!(p.is_named());
/// assert_eq!(p.get("a").unwrap().as_str(), "2");
/// assert!(Params::new(RawValue::parse("3")?).is_none());
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Params<'a>(RawValue<'a>);

impl<'a> Params<'a> {
    /// Parameters from a value, if it is an array or an object.
    #[inline]
    pub fn new(value: RawValue<'a>) -> Option<Self> {
        matches!(value.kind(), Kind::Array | Kind::Object).then_some(Params(value))
    }

    /// The parameters' JSON text.
    #[inline]
    pub const fn raw(&self) -> RawValue<'a> {
        self.0
    }

    /// The parameters' JSON text.
    #[inline]
    pub const fn as_str(&self) -> &'a str {
        self.0.as_str()
    }

    /// Whether these are positional (an array).
    #[inline]
    pub fn is_positional(&self) -> bool {
        self.0.kind() == Kind::Array
    }

    /// Whether these are named (an object).
    #[inline]
    pub fn is_named(&self) -> bool {
        self.0.kind() == Kind::Object
    }

    /// The positional parameters, if these are positional.
    #[inline]
    pub fn positional(&self) -> Option<Elements<'a>> {
        self.0.elements()
    }

    /// The named parameters, if these are named.
    #[inline]
    pub fn named(&self) -> Option<Members<'a>> {
        self.0.members()
    }

    /// The named parameter `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<RawValue<'a>> {
        self.0.get(name)
    }

    /// The positional parameter at `index`.
    #[inline]
    pub fn nth(&self, index: usize) -> Option<RawValue<'a>> {
        self.0.nth(index)
    }
}

impl<'a> TryFrom<RawValue<'a>> for Params<'a> {
    type Error = Error;

    fn try_from(value: RawValue<'a>) -> Result<Self, Error> {
        Params::new(value).ok_or(rpc(RpcViolation::BadParams, 0))
    }
}
