//! A JSON-RPC peer over netlink (`NETLINK_USERSOCK`) and Unix datagram
//! sockets, byte-compatible with the reference ProcsLink (`procslink`
//! 0.1.2 on PyPI). Needs the `std` feature.
//!
//! Each message is one datagram, `nlmsghdr | procslinkhdr | JSON-RPC text`,
//! built and checked by [`crate::procslink`] and [`crate::jsonrpc`]. On
//! netlink every socket binds port 0 and the kernel assigns its port id
//! (`nl_pid`), which is the peer's address; on Unix datagrams a server binds
//! a path or an abstract name and a client autobinds.
//!
//! - [`Server`]: [`Methods`] (names bound to handlers taking [`Params`] and
//!   returning a value or an [`RpcError`]) served on a socket by one or more
//!   threads; [`Server::spawn`] gives a [`ServerHandle`] whose `stop` wakes
//!   and joins them.
//! - [`Client`]: calls from any number of threads at once, over its socket
//!   and, for callers that find another reading it, extra sockets of its
//!   own ([`ClientOptions::max_extra_sockets`]); responses are matched to
//!   their callers by id. [`Client::call`] takes
//!   and returns [`serde_json::Value`]s; [`Client::call_typed`] goes
//!   straight between serde types and JSON text, and [`Client::call_raw`]
//!   hands over the result's text borrowed from the datagram.
//! - `AsyncClient` (feature `tokio`): the same calls as futures, from any
//!   number of tasks at once, on tokio's reactor with no thread of its own.
//!
//! Nothing on the way is allocated per call but what the caller's and the
//! handler's own values need: each serving thread and each calling thread
//! keeps its buffers, and a handler's [`Params`] borrow the request's text
//! (see BENCHMARKS.md for what a round trip costs against a bare netlink
//! ping-pong).
//! - [`NetlinkSocket`], [`UnixDatagram`]: the socket layer underneath.
//! - The jsoncomm profile (osbuild's `jsoncomm`): the same server and
//!   client with bare JSON documents instead of ProcsLink headers, over
//!   Unix datagrams or `SOCK_SEQPACKET` connections, and [`jsoncomm`]'s
//!   [`JsoncommSocket`] for plain JSON messages (see below).
//! - [`demo`]: the `hello`/`add`/`echo` methods of the `procslink` command.
//! - [`ezipc`]: an EZ-IPC peer (JSON-RPC over TCP or Unix streams, the
//!   seed's Python IPC), client and server, interoperating with the
//!   reference.
//!
//! # Example
//!
//! ```
//! use procslink::peer::{Client, Methods, Params, RpcError, Server, ServerOptions};
//! use serde_json::{json, Value};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if procslink::peer::NetlinkSocket::open().is_err() { return Ok(()) } // no netlink here
//! let mut methods = Methods::new();
//! methods.add("hello", |p: Params| -> Result<Value, RpcError> {
//!     let name: String = p.arg(0, "name")?;
//!     Ok(json!(format!("Hello, {name}!")))
//! });
//! methods.add_typed("add", |(a, b): (i64, i64)| Ok(a + b));
//!
//! let server = Server::bind_netlink(methods, ServerOptions::new())?.spawn()?;
//! let port = server.port().unwrap(); // what a client needs to know
//!
//! let client = Client::netlink()?;
//! assert_eq!(client.call(port, "hello", json!(["Rust"]))?, json!("Hello, Rust!"));
//! assert_eq!(client.call(port, "hello", json!({"name": "\u{e9}t\u{e9}"}))?, json!("Hello, \u{e9}t\u{e9}!"));
//! client.notify(port, "hello", json!(["nobody"]))?; // no response
//! assert_eq!(client.call_typed::<_, i64>(port, "add", &(2, 40))?, 42);
//! let err = client.call(port, "nope", Value::Null).unwrap_err();
//! assert_eq!(err.rpc().unwrap().code.0, -32601);
//!
//! // One serving thread handles datagrams in order: the notification was
//! // served before the calls that followed it were answered.
//! let stats = server.stop()?;
//! assert_eq!(stats.served, 5);
//! # Ok(())
//! # }
//! ```
//!
//! The same over a Unix datagram socket, passing a pipe's read end to the
//! server and getting a descriptor back:
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::fd::AsFd;
//! use procslink::peer::{Client, Methods, Params, Reply, RpcError, Server, ServerOptions};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut methods = Methods::new();
//! methods.add("slurp", |mut p: Params| -> Result<Reply, RpcError> {
//!     let fds = p.take_fds();
//!     let [fd] = <[_; 1]>::try_from(fds).map_err(|_| RpcError::invalid_params("one descriptor"))?;
//!     let mut text = String::new();
//!     std::fs::File::from(fd).read_to_string(&mut text).map_err(RpcError::internal)?;
//!     let (reader, mut writer) = std::io::pipe().map_err(RpcError::internal)?;
//!     writer.write_all(text.to_uppercase().as_bytes()).map_err(RpcError::internal)?;
//!     Ok(Reply::with_fds(json!(text.len()), vec![reader.into()]))
//! });
//! let name = format!("procslink-doc-{}", std::process::id());
//! let addr = procslink::peer::UnixAddr::abstract_name(name);
//! let server = Server::bind_unix(addr.clone(), methods, ServerOptions::new())?.spawn()?;
//!
//! let client = Client::unix()?;
//! let (reader, mut writer) = std::io::pipe()?;
//! writer.write_all(b"shout")?;
//! drop(writer);
//! let (len, fds) = client.call_with_fds(addr, "slurp", json!([]), &[reader.as_fd()])?;
//! assert_eq!(len, json!(5));
//! let mut back = String::new();
//! std::fs::File::from(fds.into_iter().next().unwrap()).read_to_string(&mut back)?;
//! assert_eq!(back, "SHOUT");
//! server.stop()?;
//! # Ok(())
//! # }
//! ```
//!
//! # The jsoncomm profile
//!
//! osbuild's `jsoncomm` (WIRE.md section 6) sends one bare JSON document
//! per message, UTF-8 text with no header, with up to [`MAX_FDS`]
//! descriptors as `SCM_RIGHTS`. The peer speaks it as a wire profile: the
//! handlers ([`Methods`]) and the client API are the same, only the
//! framing differs.
//!
//! - [`Server::bind_jsoncomm`] / [`Client::jsoncomm`]: JSON-RPC documents
//!   over Unix datagrams (osbuild 13c0dec8, the seed's version; the client
//!   autobinds). A ProcsLink-framed datagram sent to such a server is
//!   answered -32600 saying so; a bare response document, which no
//!   payload type tells apart, is never answered.
//! - [`Server::bind_jsoncomm_seqpacket`] / [`Client::jsoncomm_seqpacket`]:
//!   the same over `SOCK_SEQPACKET` (later osbuild releases): the server
//!   listens and serves each accepted connection on its own thread.
//! - [`JsoncommSocket`]: any JSON value (not JSON-RPC) with descriptors,
//!   as `jsoncomm.Socket` sends and receives it.
//!
//! # Compatibility with the reference
//!
//! By default the peer writes exactly the bytes procslink 0.1.2 writes:
//! big-endian headers whose lengths exclude the header, `nlmsg_pid` = the
//! sender's port, JSON in Python's `json.dumps` spelling (`", "`, `": "`,
//! non-ASCII as `\uXXXX`, floats as Python's `repr`; object members in the
//! order the [`serde_json::Value`] holds them), requests numbered from 1.
//! It accepts any valid JSON. Where the reference misbehaves, the peer
//! follows the JSON-RPC 2.0 specification instead: invalid JSON is answered
//! -32700 (the reference sends nothing), a request without `method` -32600,
//! batches are served (an array of responses without those of
//! notifications; nothing at all for an all-notification batch; one -32600
//! for `[]`), and responses are matched to calls by id (the reference
//! client takes whatever datagram comes next).
//!
//! # Values arrive as sent
//!
//! With the `exact-values` feature (which the `cli` feature turns on),
//! `serde_json`'s `arbitrary_precision` and `preserve_order` are on, so a
//! [`serde_json::Value`] holds a number as its text and an object's members
//! in the order they came: integers beyond 64 bits, `-0` and numbers beyond
//! `f64` (`1e400`) reach a handler's [`Params`] and a caller's result as
//! they were sent (an exponent is spelled with its sign, `1e+400`), and are
//! written back so. In Python's spelling a fraction or exponent whose `f64`
//! is finite is written as Python's `repr` of it, as the reference writes
//! it; integers and numbers beyond `f64` as they are (the reference would
//! write `1e400` as `Infinity`, which is not JSON, and `-0` as `0`).
//!
//! It costs: every number in a `Value` is then an allocated string, parsed
//! again when read as a Rust number, and every object an index map; a
//! call of `add(2, 40)` through [`Client::call`] and a `Value` handler
//! executes about 1.6 times the instructions it does without the feature
//! (see BENCHMARKS.md). Numbers also compare by their text, so `1e-05` and
//! `0.00001` are different `Value`s. Without the feature, numbers are
//! `u64`, `i64` or `f64` and members are sorted. Either way
//! [`Client::call_raw`] and [`Params::json`] carry the JSON text itself,
//! exactly as sent.
//!
//! # Bad input
//!
//! Nothing a sender does stops the serve loop. A datagram that cannot be
//! framed (shorter than its headers, lengths that disagree with the bytes,
//! larger than [`ServerOptions::max_datagram`], a payload type other than
//! request, truncated ancillary data) is answered -32600 with id null and
//! the reason as `data`; text that is not JSON -32700, JSON that is not a
//! request -32600 (id null, as the reference); a handler that panics
//! -32603 with the panic message as `data`. A datagram whose payload type
//! is *response* is never answered, so two peers cannot bounce errors at
//! each other; neither are datagrams from the kernel (port 0) or from the
//! server itself. Everything is counted in [`ServerStats`].
//!
//! A client drops what is not a response from the peer a call went to,
//! and counts it ([`ClientStats`]). A datagram from that peer that is not
//! a valid response (bad framing, wrong payload type, not JSON-RPC, a
//! result with id null) fails the call it can be attributed to, at once,
//! with [`CallError::InvalidReply`] saying what was wrong: the call whose
//! id it names, or else the only call in flight to that peer. An error
//! response with id null (the server could not read the request) goes to
//! that only call as [`CallError::Rpc`].
//!
//! # Security options
//!
//! - **`nlmsg_pid` check** (on by default, as in the reference): a netlink
//!   request whose `nlmsg_pid` is 0 or differs from the port the kernel
//!   reports as its sender is dropped unanswered and counted as spoofed.
//!   The kernel's report cannot be forged; `nlmsg_pid` can. Replies always
//!   go to the kernel-reported sender.
//! - **uid allow-list** ([`ServerOptions::allow_uid`]): the server turns on
//!   `SO_PASSCRED`, so the kernel attaches each sender's credentials
//!   (`SCM_CREDENTIALS`, which an unprivileged sender cannot forge) to every
//!   datagram. A sender whose uid is not listed, or a datagram without
//!   credentials, runs no handler: each of its requests is answered
//!   [`PERMISSION_DENIED`] (-32001 "Permission denied"), so a denied client
//!   fails at once instead of timing out, and its notifications are
//!   dropped. Handlers can read the credentials ([`Params::credentials`]).
//! - **Namespaces**: netlink ports belong to a network namespace; a call to
//!   a server in another one fails at once with `ConnectionRefused` ("no
//!   peer at netlink port N in this network namespace"). Credentials are
//!   translated into the receiver's namespaces: a sender in a PID
//!   namespace the receiver cannot see has pid 0 ([`Credentials::pid`];
//!   on a Unix socket the descriptors such a sender passes are refused
//!   while credentials are on: closed unread, the request answered -32600
//!   as ancillary data lost, because only a message with a nonzero pid can
//!   be received with its descriptors owned without `unsafe`),
//!   and in a user namespace a sender whose uid has no mapping there shows
//!   up as the overflow uid, which an allow-list admits only if asked
//!   ([`ServerOptions::admit_overflow_uid`]).
//! - Netlink ports are visible to every process in the network namespace
//!   that can open a `NETLINK_USERSOCK` socket; the allow-list is what
//!   restricts who is served. A Unix server bound to a path is additionally
//!   protected by the path's file permissions.
//! - A server never waits for room in a client's queue: replies are sent
//!   with `MSG_DONTWAIT`, and one that does not fit at once is dropped and
//!   counted ([`ServerStats::dropped_replies`]), so a client that never
//!   reads loses only its own replies. A client waiting for room in a
//!   server's queue never holds the turn to read its own socket, so a
//!   client shared by any number of threads keeps taking its answers. On
//!   Unix datagrams a socket's queue holds only `net.unix.max_dgram_qlen`
//!   datagrams (10 by default), so a client with more calls waiting on
//!   one socket than that can lose answers under load (those calls time
//!   out): a shared client's extra sockets take one caller each, up to
//!   [`ClientOptions::max_extra_sockets`]; beyond, give busy threads their
//!   own clients, or use netlink, whose queue is bounded in bytes
//!   ([`ClientOptions::recv_buffer_size`]).
//! - **Fairness** (all off by default, costing nothing then):
//!   [`ServerOptions::max_per_sender`] runs at most so many handlers of one
//!   sender (its uid when credentials are on) at a time and answers the
//!   rest [`SERVER_BUSY`] at once, so a flood of slow requests holds only
//!   that many threads; [`ServerOptions::max_queue_age`] drops requests
//!   that waited in the queue longer than their callers wait;
//!   [`ServerOptions::handler_timeout`] answers the caller of a handler
//!   that runs too long [`HANDLER_TIMEOUT`] and serves on in a new thread.
//!   [`ServerHandle::stop`] waits at most [`ServerOptions::stop_timeout`]
//!   and leaves a thread stuck in a handler detached (counted).
//! - **Knowing who answers**: [`Client::expect_peer_uid`] accepts only
//!   responses whose kernel-supplied credentials show the server's uid, the
//!   defence against another user binding the port of a server that died.
//!
//! # File descriptors (Unix datagrams)
//!
//! - A request or response carries at most [`MAX_FDS`] (253) descriptors as
//!   one `SCM_RIGHTS` message; netlink cannot carry any.
//! - The receiver sizes its buffer by peeking (`MSG_PEEK | MSG_TRUNC`) and
//!   takes every received descriptor into ownership as an
//!   [`OwnedFd`](std::os::fd::OwnedFd) at once (with `MSG_CMSG_CLOEXEC`),
//!   so none leaks: descriptors that come with a malformed, oversized,
//!   denied or unanswerable message, or that a handler does not take, are
//!   closed. A datagram whose data or ancillary data was truncated
//!   (`MSG_TRUNC`, `MSG_CTRUNC`) is an error (-32600 on a server; dropped
//!   and counted on a client).
//! - A handler gets the request's descriptors from [`Params::fds`] /
//!   [`Params::take_fds`]; in a batch they all go to its first request. A
//!   handler returns descriptors with [`Reply::with_fds`]; they are sent
//!   with the response (a batch's response carries them all) and closed
//!   here afterwards. A caller sends descriptors with
//!   [`Client::call_with_fds`] (they stay open on its side) and receives
//!   the response's as owned descriptors.
//! - A Unix server bound to a path removes the socket file when the last
//!   [`Server`] clone is dropped.

mod client;
mod credentials;
pub mod demo;
pub mod domainsockets;
mod error;
pub mod ezipc;
mod hash;
mod json;
pub mod jsoncomm;
mod limits;
mod params;
pub mod pyroute2;
mod result;
mod seqpacket;
mod server;
mod socket;
mod sync;
mod transport;

use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "tokio")]
pub use client::AsyncClient;
pub use client::{Client, ClientOptions, ClientStats};
pub use error::{CallError, HANDLER_TIMEOUT, PERMISSION_DENIED, RpcError, SERVER_BUSY};
pub use json::to_json_text;
pub use jsoncomm::{JsoncommError, JsoncommMessage, JsoncommSocket};
pub use params::{Params, Reply};
pub use result::ResultText;
pub use server::{
    Methods, SeqpacketServer, SeqpacketServerHandle, Server, ServerHandle, ServerOptions,
    ServerStats, Stopper,
};
pub use socket::{
    Address, Credentials, MAX_FDS, NetlinkSocket, Received, RecvInfo, SocketOptions, UnixAddr,
    UnixDatagram,
};

/// Counts one more of something in the client's or server's statistics.
fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// [`bump`] for a counter that one thread at a time changes (the client's
/// reader, holding the reading turn, whose lock orders the changes; a
/// serving thread's own count): a load and a store, sparing the locked
/// add.
#[inline]
fn bump_exclusive(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}
