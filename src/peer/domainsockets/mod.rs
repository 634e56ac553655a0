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
//! A frame's data is bytes; how they stand for params, results and errors
//! is described in [`data`](self#functions) (see [`params_from_data`],
//! [`encode_value`], [`error_from_text`]): JSON text is JSON, other text a
//! string, so the Go client's plain words reach a handler as one string
//! argument and a string result goes back as its bare text.
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
