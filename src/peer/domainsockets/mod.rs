//! A peer for the Go domainsockets package (golib v1.0.2,
//! `development/network/domainsockets`): a [`Server`] that serves the
//! crate's [`Methods`](crate::peer::Methods) to Go clients, and a
//! [`Client`] that calls Go servers (and this [`Server`]). Needs the `std`
//! feature.
//!
//! # Transport
//!
//! Unix datagram sockets, all in one directory ([`ServerOptions::dir`],
//! [`ClientOptions::dir`]; by default `$TMPDIR`, else `/tmp`, as Go's
//! `os.TempDir`). A server called `NAME` listens on the setup socket
//! `DIR/NAME` ([`setup_path`]). A client binds `DIR/<its UUID>` and sends
//! the 36-byte UUID text to the setup socket; the server binds
//! `DIR/<a UUID of its own>` for that client and sends that id back from
//! it. Calls then go to the server's per-client socket and replies to the
//! client's. Frames are those of [`crate::framing::domainsockets`]:
//! one reply frame per datagram; a call frame may arrive over several
//! datagrams (the Go client sends its header, then its data), which the
//! server reassembles up to [`ServerOptions::max_frame`] bytes.
//!
//! # Data
//!
//! The Go package moves opaque bytes; the crate's handlers take [`Params`](crate::peer::Params)
//! and return JSON values. The mapping, the same in both directions:
//!
//! - **JSON text is JSON**: data that parses as JSON is that value;
//! - **other text is a string**: UTF-8 data that is not JSON is that
//!   string (so `hello`, as the Go client sends it, is `"hello"`);
//! - a string value is written as its bare text when that text is not
//!   itself JSON, else as JSON (`"42"` is written `"42"` with its quotes,
//!   so it does not come back as the number 42); every other value as
//!   compact JSON text (UTF-8, no spaces).
//!
//! So a value survives the round trip, and plain words pass unquoted.
//!
//! Request data becomes params: empty data is no params; a JSON array or
//! object is positional or named params, kept as the text that arrived
//! ([`Params::json`](crate::peer::Params::json)); any other value (a scalar, or text) is one
//! positional argument. Bytes that are not UTF-8 are refused (-32602).
//! The other way, a client writes absent params ([`Value::Null`](serde_json::Value::Null)) as empty
//! data and the empty string as `""` (one argument); a result is the value
//! of the reply's data (empty data is the empty string, as the reference's
//! `echo` answers empty data).
//!
//! An [`RpcError`](crate::peer::RpcError) travels as its [`Display`](std::fmt::Display) text
//! (`-32601 Method not found`, `-32602 Invalid params: "detail"`), and a
//! client reads such text back into the same code, message and data. Text
//! that does not start with a code (what the Go server sends: `handler(x)
//! error: ...`) is [`SERVER_ERROR`] with the text as its message.
//!
//! [`demo_methods`] are the crate's demo methods (`hello`, `add`) with the
//! reference's `echo`, which upper-cases the data ([`echo_upper`]); the
//! crate's own `echo` (the value unchanged) is not served under that name
//! here, so that a Go client sees what the Go server would answer.
//!
//! # Differences from the reference, and limits
//!
//! - **Unknown handler**: the Go server sends nothing (its client waits
//!   until its deadline); this server answers an error frame
//!   `-32601 Method not found`. A handler's [`RpcError`](crate::peer::RpcError)
//!   is an error frame with its text; a frame type other than 0 or 1 gets
//!   an error frame saying so (the Go server drops it).
//! - **4096 bytes**: the reference reads datagrams through a 4096-byte
//!   buffer, so a bigger one is lost ([`REFERENCE_MAX_DATAGRAM`]). The
//!   client refuses to send a frame over its
//!   [`ClientOptions::max_datagram`] (default 4096) with
//!   [`CallError::Protocol`](crate::peer::CallError::Protocol) saying so; the
//!   server drops a datagram over [`ServerOptions::max_datagram`] (default
//!   4096) and answers the call it belongs to with an error frame, and
//!   replaces a reply that would be over it by an error frame. The client
//!   sends each call as one datagram (the Go server reads that as well as
//!   the Go client's two).
//! - **Keep-alives**: the Go server forgets a client that sent nothing for
//!   30 s, so the client sends a keep-alive frame every
//!   [`ClientOptions::keep_alive`] (10 s by default); the server counts
//!   them and forgets a client after [`ServerOptions::idle_timeout`].
//! - **Setup ids**: the reference accepts any 36 characters of `[0-9a-f-]`;
//!   this server accepts UUID-shaped version-4 ids only
//!   ([`SetupId`](crate::framing::domainsockets::SetupId)), which every Go
//!   client sends. A setup datagram that is not one is dropped and counted.
//! - **Strangers**: a client's socket takes datagrams from unnamed sockets
//!   (the Go client sends from one) and from the client's own path; one
//!   from any other named socket is dropped and counted. As with the
//!   reference, the directory's permissions are what keeps other users
//!   out.
//!
//! Nothing a peer sends panics or stops the server: bad frames are counted
//! ([`ServerStats`]) and the client's stream starts again at its next
//! datagram.

mod client;
mod data;
mod demo;
mod server;
mod session;
mod socket_names;

pub use client::{Client, ClientOptions, ClientStats};
pub use data::{
    SERVER_ERROR, decode_value, encode_params, encode_value, error_from_text, error_text,
    params_from_data, params_text,
};
pub use demo::{demo_methods, echo_upper};
pub use server::{REFERENCE_MAX_DATAGRAM, Server, ServerHandle, ServerOptions, ServerStats};
pub use socket_names::{default_dir, setup_path};
