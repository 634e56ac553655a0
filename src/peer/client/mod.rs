//! The calling side: [`Client`].
//!
//! - `options`, `stats`: [`ClientOptions`] and [`ClientStats`];
//! - `call`: building a request and sending it, as the caller reading the
//!   socket or as a registered call;
//! - `turn`: the turn-taking by which one waiting caller at a time reads
//!   the socket for all;
//! - `answer`: checking a received datagram and delivering its response;
//! - `pool`: the extra sockets of callers that find the reading turn taken.

mod answer;
#[cfg(feature = "tokio")]
mod asynchronous;
mod call;
mod options;
mod pool;
mod stats;
mod turn;

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::CallError;
use super::seqpacket::Seqpacket;
use super::socket::{Address, NetlinkSocket, SocketOptions, UnixAddr, UnixDatagram};
use super::transport::{Framing, Socket};
use crate::jsonrpc::{Params as RawParams, RawValue};

use answer::{rpc_error, value_of};
use call::{CallParams, Outgoing};
use pool::Pool;
use stats::Counters;
use turn::{Pending, READ_SLICE, Reader, RequestBuffers, SEND_SLICE};

#[cfg(feature = "tokio")]
pub use asynchronous::AsyncClient;
pub use options::ClientOptions;
pub use stats::ClientStats;

struct Inner {
    socket: Socket,
    options: ClientOptions,
    pending: Pending,
    /// Held by the one caller that reads the socket for everyone, with its
    /// buffers.
    reading: Mutex<Reader>,
    /// Shared with the extra sockets, so that ids are unique across the
    /// client: a caller's slot, reused from call to call and socket to
    /// socket, never takes a late answer meant for an earlier call.
    next_id: Arc<AtomicU64>,
    counters: Counters,
    closed: AtomicBool,
    failure: Mutex<Option<String>>,
    /// The uid every response's sender must have.
    peer_uid: Option<u32>,
    /// Sockets for callers that find the reading turn taken.
    pool: Pool,
}

/// A JSON-RPC client on its own socket, safe to share between threads with
/// any number of calls in flight.
///
/// Requests are numbered 1, 2, 3… There is no receiver thread: while calls
/// are in flight, one waiting caller at a time reads the socket and hands
/// each response to the caller waiting for its id, after checking that it
/// comes from the peer that call went to; anything else is dropped and
/// counted ([`ClientStats`]), never given to the wrong caller. When the
/// reading caller has its answer it passes the turn to another waiting
/// caller. A lone caller thus receives its own response directly, with no
/// thread hand-off. Responses that arrive when no call is waiting are read
/// (and counted) by the next call.
///
/// A caller that finds the reading turn taken calls instead from an extra
/// socket of the client's own, sending and reading there itself (up to
/// [`ClientOptions::max_extra_sockets`], 64 by default, kept open for
/// reuse): a server then sees one client's concurrent calls come from
/// several addresses.
pub struct Client {
    inner: Inner,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("address", &self.inner.socket.local())
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Inner {
    fn open(socket: Socket, options: ClientOptions, next_id: Arc<AtomicU64>) -> io::Result<Inner> {
        socket.set_recv_timeout(Some(READ_SLICE))?;
        socket.set_send_timeout(Some(SEND_SLICE))?;
        if let Some(bytes) = options.recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        Ok(Inner {
            socket,
            pending: Pending::default(),
            reading: Mutex::new(Reader {
                recv: vec![0; options.max_datagram],
                request: RequestBuffers::new(),
            }),
            next_id,
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            peer_uid: None,
            failure: Mutex::new(None),
            pool: Pool::default(),
            options,
        })
    }

    fn expect_peer_uid(&mut self, uid: u32) -> io::Result<()> {
        self.socket.set_passcred(true)?;
        self.peer_uid = Some(uid);
        // Extra sockets opened before did not ask for credentials.
        self.pool = Pool::default();
        Ok(())
    }

    /// Adds this socket's counters to `total`.
    fn add_counters(&self, total: &Counters) {
        let add = |to: &AtomicU64, from: &AtomicU64| {
            to.fetch_add(from.load(Ordering::Relaxed), Ordering::Relaxed);
        };
        let c = &self.counters;
        add(&total.delivered, &c.delivered);
        add(&total.unknown_id, &c.unknown_id);
        add(&total.spoofed, &c.spoofed);
        add(&total.malformed, &c.malformed);
        add(&total.overruns, &c.overruns);
        add(&total.wrong_uid, &c.wrong_uid);
    }
}

impl Client {
    /// A client on a new `NETLINK_USERSOCK` socket, with the default
    /// options.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn netlink() -> io::Result<Client> {
        Client::netlink_with(ClientOptions::default())
    }

    /// A client on a new `NETLINK_USERSOCK` socket.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn netlink_with(options: ClientOptions) -> io::Result<Client> {
        Client::new(Socket::Netlink(NetlinkSocket::open()?), options)
    }

    /// A client on a new autobound Unix datagram socket, with the default
    /// options.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn unix() -> io::Result<Client> {
        Client::unix_with(ClientOptions::default())
    }

    /// A client on a new autobound Unix datagram socket.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn unix_with(options: ClientOptions) -> io::Result<Client> {
        let socket = UnixDatagram::bind(&UnixAddr::Unnamed)?;
        Client::new(Socket::Unix(socket, Framing::ProcsLink), options)
    }

    /// A client of osbuild's jsoncomm profile on a new autobound Unix
    /// datagram socket, with the default options: each request is one bare
    /// JSON-RPC document per datagram (no header), and so is each response
    /// it accepts (see [`Server::bind_jsoncomm`](super::Server::bind_jsoncomm)),
    /// each at most [`ClientOptions::max_datagram`] bytes.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn jsoncomm() -> io::Result<Client> {
        Client::jsoncomm_with(ClientOptions::default())
    }

    /// [`jsoncomm`](Self::jsoncomm) with `options`.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn jsoncomm_with(options: ClientOptions) -> io::Result<Client> {
        let socket = UnixDatagram::bind(&UnixAddr::Unnamed)?;
        Client::new(Socket::Unix(socket, Framing::Bare), options)
    }

    /// A client of the jsoncomm profile over a Unix `SOCK_SEQPACKET`
    /// connection to `server` (later osbuild releases; see
    /// [`Server::bind_jsoncomm_seqpacket`](super::Server::bind_jsoncomm_seqpacket)),
    /// with the default options. Calls go to `server` only; the server
    /// closing the connection fails the calls waiting and every later
    /// one.
    ///
    /// # Errors
    ///
    /// Connecting or configuring the socket failed.
    pub fn jsoncomm_seqpacket(server: &UnixAddr) -> io::Result<Client> {
        Client::jsoncomm_seqpacket_with(server, ClientOptions::default())
    }

    /// [`jsoncomm_seqpacket`](Self::jsoncomm_seqpacket) with `options`.
    ///
    /// # Errors
    ///
    /// Connecting or configuring the socket failed.
    pub fn jsoncomm_seqpacket_with(
        server: &UnixAddr,
        options: ClientOptions,
    ) -> io::Result<Client> {
        Client::new(Socket::Seqpacket(Seqpacket::connect(server)?), options)
    }

    fn new(socket: Socket, options: ClientOptions) -> io::Result<Client> {
        Ok(Client {
            inner: Inner::open(socket, options, Arc::new(AtomicU64::new(1)))?,
        })
    }

    /// Accepts responses only from a server running as `uid`, as the kernel
    /// reports it: the client turns on `SO_PASSCRED`, so every datagram it
    /// receives carries its sender's credentials (`SCM_CREDENTIALS`, which
    /// an unprivileged sender cannot forge), and a response from any other
    /// uid, or without credentials, is dropped and counted
    /// ([`ClientStats::wrong_uid`]); the call it claimed to answer goes on
    /// waiting for the real answer, and times out if none comes.
    ///
    /// This is the defence against port takeover: a netlink port id is not
    /// authenticated, so when a server dies another local user can bind
    /// its port and answer its callers. Requiring the server's uid makes
    /// such answers count for nothing. (A Unix server bound to a path is
    /// protected by the path's permissions as well.)
    ///
    /// ```
    /// use procslink::peer::{Client, Server, ServerOptions, demo};
    /// use serde_json::json;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if procslink::peer::NetlinkSocket::open().is_err() { return Ok(()) }
    /// let server = Server::bind_netlink(demo::methods(), ServerOptions::new())?.spawn()?;
    /// let my_uid = rustix::process::geteuid().as_raw();
    /// let client = Client::netlink()?.expect_peer_uid(my_uid)?;
    /// assert_eq!(client.call(server.port().unwrap(), "add", json!([1, 2]))?, json!(3));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Turning on `SO_PASSCRED` failed.
    pub fn expect_peer_uid(mut self, uid: u32) -> io::Result<Client> {
        self.inner.expect_peer_uid(uid)?;
        Ok(self)
    }

    /// The uid responses must come from, if [`expect_peer_uid`](Self::expect_peer_uid)
    /// set one.
    pub fn peer_uid(&self) -> Option<u32> {
        self.inner.peer_uid
    }

    /// The client's own address (where responses come to).
    pub fn address(&self) -> Address {
        self.inner.socket.local()
    }

    /// The netlink port id, for a netlink client.
    pub fn port(&self) -> Option<u32> {
        self.address().port()
    }

    /// The counters so far.
    pub fn stats(&self) -> ClientStats {
        let c = Counters::default();
        self.inner.add_counters(&c);
        self.inner.pool.add_counters(&c);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClientStats {
            delivered: get(&c.delivered),
            unknown_id: get(&c.unknown_id),
            spoofed: get(&c.spoofed),
            malformed: get(&c.malformed),
            overruns: get(&c.overruns),
            wrong_uid: get(&c.wrong_uid),
        }
    }

    /// Calls `method` at `to` with `params` (an array, an object, or
    /// `Value::Null` for none) and waits for the result, at most the
    /// client's timeout.
    ///
    /// # Errors
    ///
    /// [`CallError::Rpc`] when the server answers an error (an error with
    /// id null, too, when this is the only call in flight to that server),
    /// [`CallError::InvalidReply`] when it answers something that is not a
    /// valid response (see there), [`CallError::Timeout`],
    /// [`CallError::Io`] when sending fails, [`CallError::Protocol`] for
    /// params that are neither array, object nor null, or a request too
    /// large for a datagram.
    pub fn call(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
    ) -> Result<Value, CallError> {
        self.call_timeout(to, method, params, self.inner.options.timeout)
    }

    /// [`call`](Self::call) with its own timeout.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub fn call_timeout(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let to = to.into();
        let params = CallParams::<()>::Value(&params);
        let out = Outgoing {
            to: &to,
            method,
            params,
            fds: &[],
        };
        self.inner
            .call(out, timeout, |outcome, _| value_of(outcome))
    }

    /// [`call`](Self::call) passing `fds` with the request and returning
    /// the descriptors that came back with the response (Unix datagrams
    /// only; at most [`MAX_FDS`](super::MAX_FDS)).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); `Io` with `InvalidInput` for descriptors on
    /// netlink.
    pub fn call_with_fds(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(Value, Vec<OwnedFd>), CallError> {
        let to = to.into();
        let params = CallParams::<()>::Value(&params);
        let out = Outgoing {
            to: &to,
            method,
            params,
            fds,
        };
        self.inner
            .call(out, self.inner.options.timeout, |outcome, fds| {
                value_of(outcome).map(|v| (v, fds))
            })
    }

    /// Calls with params serialised from `params` (a tuple or `Vec` for
    /// positional params, a struct or map for named ones, `()` for none)
    /// and decodes the result into `R`, both straight from and to the JSON
    /// text, with no [`Value`] in between.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); `Protocol` when `params` does not serialise
    /// or the result does not decode into `R`.
    pub fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: &P,
    ) -> Result<R, CallError> {
        let to = to.into();
        let params = CallParams::Typed(params);
        let out = Outgoing {
            to: &to,
            method,
            params,
            fds: &[],
        };
        self.inner.call(
            out,
            self.inner.options.timeout,
            |outcome, _| match outcome {
                Ok(raw) => serde_json::from_str(raw.as_str())
                    .map_err(|e| CallError::Protocol(format!("unexpected result: {e}"))),
                Err(object) => Err(rpc_error(&object)),
            },
        )
    }

    /// Calls with params given as JSON text (`None`: absent) and hands the
    /// result's JSON text to `f`, borrowed from the datagram it came in:
    /// the call copies nothing and builds no value of its own.
    ///
    /// ```
    /// use procslink::jsonrpc::{Params, RawValue};
    /// use procslink::peer::{Client, Server, ServerOptions, demo};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if procslink::peer::NetlinkSocket::open().is_err() { return Ok(()) }
    /// let server = Server::bind_netlink(demo::methods(), ServerOptions::new())?.spawn()?;
    /// let client = Client::netlink()?;
    /// let params = Params::new(RawValue::parse(r#"["Rust"]"#)?);
    /// let len = client.call_raw(server.port().unwrap(), "hello", params, |result| {
    ///     assert_eq!(result.as_json_str().unwrap(), "Hello, Rust!");
    ///     result.as_str().len()
    /// })?;
    /// assert_eq!(len, 14);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub fn call_raw<T>(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Option<RawParams<'_>>,
        f: impl FnOnce(RawValue<'_>) -> T,
    ) -> Result<T, CallError> {
        let to = to.into();
        let params = CallParams::<()>::Raw(params);
        let out = Outgoing {
            to: &to,
            method,
            params,
            fds: &[],
        };
        self.inner.call(
            out,
            self.inner.options.timeout,
            |outcome, _| match outcome {
                Ok(raw) => Ok(f(raw)),
                Err(object) => Err(rpc_error(&object)),
            },
        )
    }

    /// Sends a notification: no id, no response.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), except that nothing is awaited.
    pub fn notify(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
    ) -> Result<(), CallError> {
        self.inner.notify(&to.into(), method, &params, &[])
    }

    /// [`notify`](Self::notify) passing `fds` (Unix datagrams only).
    ///
    /// # Errors
    ///
    /// As [`notify`](Self::notify).
    pub fn notify_with_fds(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), CallError> {
        self.inner.notify(&to.into(), method, &params, fds)
    }
}
