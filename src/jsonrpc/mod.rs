//! A JSON-RPC 2.0 codec: borrowed, allocation-free, panic-free.
//!
//! Decoding validates the whole text as JSON (RFC 8259: UTF-8, number
//! grammar, escapes including surrogate pairs, no control characters in
//! strings, no trailing commas, a nesting limit) in one pass, and hands out
//! views into the caller's bytes: the method and string ids as [`JsonStr`]
//! (still escaped, with correct unescaping on demand), ids as [`Id`],
//! params, results and error data as [`RawValue`] (the exact JSON text of
//! the value, with array and object iterators). With the `serde` feature,
//! `RawValue::decode` decodes a value into the caller's types.
//!
//! A `\uXXXX` escape of a UTF-16 surrogate without its partner is refused
//! ([`JsonSyntax::LoneSurrogate`](crate::JsonSyntax::LoneSurrogate)), as by
//! `serde_json`: it names no Unicode character, so it has no UTF-8 text.
//! Python's `json.dumps` writes such escapes for strings that carry
//! surrogate-escaped bytes (undecodable file names, for instance); a peer
//! sending those is not speaking UTF-8 JSON.
//!
//! Errors are classified as a JSON-RPC 2.0 server must answer them: text
//! that is not JSON gives [`ErrorKind::Json`](crate::ErrorKind::Json)
//! (-32700), JSON that is not a valid message gives
//! [`ErrorKind::Rpc`](crate::ErrorKind::Rpc) (-32600); see [`ErrorCode`].
//! Batches are validated as a whole, then each element is classified on
//! its own.
//!
//! Encoding writes compact JSON, or Python's `json.dumps` spelling
//! ([`Style::Python`]), into the caller's buffer, and reports the exact size
//! needed when the buffer is too small.
//!
//! # Panics
//!
//! Nothing in this module panics, whatever the input: no indexing that can
//! go out of bounds, no overflowing arithmetic, no recursion (the
//! validator is iterative; the nesting limit bounds a fixed-size stack of
//! bits), no allocation.
//!
//! # Answering a request
//!
//! ```
//! use procslink::jsonrpc::{ErrorCode, ErrorObject, Id, Incoming, Message, RawValue, Response, Style};
//!
//! fn answer<'a>(text: &'a [u8], out: &mut [u8]) -> Result<Option<usize>, procslink::Error> {
//!     let response = match Message::parse(text) {
//!         Ok(Incoming::Single(Message::Request(req))) => {
//!             let Some(id) = req.id else { return Ok(None) }; // notification
//!             if req.method == "ping" {
//!                 Response::result(id, RawValue::parse("\"pong\"")?)
//!             } else {
//!                 Response::error(id, ErrorObject::new(ErrorCode::METHOD_NOT_FOUND, "Method not found"))
//!             }
//!         }
//!         Ok(_) => return Ok(None), // responses and batches: not handled here
//!         Err(e) => Response::error(
//!             Id::recover(text).filter(|_| ErrorCode::from_error(&e) != ErrorCode::PARSE_ERROR)
//!                 .unwrap_or(Id::Null),
//!             ErrorObject::from_error(&e),
//!         ),
//!     };
//!     response.encode(out, Style::Python).map(Some)
//! }
//!
//! let mut out = [0u8; 128];
//! let n = answer(br#"{"jsonrpc": "2.0", "method": "ping", "id": 3}"#, &mut out)?.unwrap();
//! assert_eq!(&out[..n], br#"{"jsonrpc": "2.0", "id": 3, "result": "pong"}"#);
//! let n = answer(br#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#, &mut out)?.unwrap();
//! assert_eq!(
//!     &out[..n],
//!     br#"{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}}"#
//! );
//! # Ok::<(), procslink::Error>(())
//! ```
//!
//! # Strings
//!
//! ```
//! use procslink::jsonrpc::Response;
//!
//! let resp = Response::parse(br#"{"jsonrpc": "2.0", "id": "abc", "result": "Hello, \u00e9t\u00e9!"}"#)?;
//! let text = resp.outcome.unwrap().as_json_str().unwrap();
//! assert_eq!(text.raw_json(), Some(r"Hello, \u00e9t\u00e9!"));
//! let mut buf = [0u8; 32];
//! assert_eq!(text.unescape_into(&mut buf)?, "Hello, été!");
//! # Ok::<(), procslink::Error>(())
//! ```

mod batch;
mod canonical;
mod code;
mod decode;
mod encode;
mod id;
mod message;
#[cfg(feature = "serde")]
mod serde;
mod string;
mod validate;
mod value;

pub use batch::{Batch, BatchElement, BatchElements, BatchIter};
pub use code::{ErrorCode, error_code};
pub use decode::Decoder;
pub use encode::{BatchEncoder, Style, encode_string};
pub use id::{Id, Number};
pub use message::{ErrorObject, Incoming, Message, Params, Request, Response};
pub use string::{Chars, JsonStr};
pub use validate::{MAX_DEPTH, MAX_DEPTH_LIMIT};
#[cfg(feature = "std")]
pub(crate) use validate::{Notes, scan_ascii_plain, scan_plain, validate_noting};
pub use value::{Elements, Kind, Members, RawValue};
