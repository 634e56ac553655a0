//! The calling side: [`Client`].

use std::prelude::rust_2024::*;

use std::cell::Cell;
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::bump_exclusive;
use super::error::{CallError, RpcError};
use super::hash::FastMap;
use super::json::{serde_text, write_json, write_raw};
use super::socket::{
    Address, NetlinkSocket, RecvInfo, SocketOptions, UnixAddr, UnixDatagram, is_overrun,
};
use super::transport::{Socket, is_timeout, same_peer};
use crate::ErrorKind;
use crate::jsonrpc::{
    Decoder, ErrorObject, Id, Kind, MAX_DEPTH_LIMIT, Params as RawParams, RawValue, Request, Style,
};
use crate::procslink::{Datagram, DatagramRepr, MAX_DATAGRAM, PROCSLINK_OVERHEAD, PayloadType};

/// How a client behaves.
///
/// ```
/// use std::time::Duration;
/// use procslink::peer::ClientOptions;
/// let opts = ClientOptions::new().timeout(Duration::from_millis(500));
/// assert_eq!(opts.get_timeout(), Duration::from_millis(500));
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    timeout: Duration,
    max_datagram: usize,
    style: Style,
    recv_buffer: Option<usize>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(5),
            max_datagram: MAX_DATAGRAM,
            style: Style::Python,
            recv_buffer: None,
        }
    }
}

impl ClientOptions {
    /// The defaults: 5 s timeout, 4096-byte datagrams, Python's spelling
    /// (byte-identical to the reference client's requests).
    pub fn new() -> Self {
        ClientOptions::default()
    }

    /// How long a call waits, from sending to its response, including the
    /// wait for room in the server's queue when it is full (for
    /// [`Client::call_timeout`], that call's own timeout); how long a
    /// notification waits for room. At least 1 ms.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The call timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest datagram sent or received, headers included (default
    /// 4096, the reference's limit).
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(PROCSLINK_OVERHEAD + 2);
        self
    }

    /// How requests are spelled (default [`Style::Python`]).
    #[must_use]
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// The socket's receive buffer size, for many calls in flight (default:
    /// the system's).
    #[must_use]
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }
}

/// What a client has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Responses delivered to their callers.
    pub delivered: u64,
    /// Responses dropped because no call in flight has their id (late
    /// answers to timed-out calls, duplicates, id null, strangers' ids).
    pub unknown_id: u64,
    /// Responses dropped because they did not come from the peer the call
    /// went to (or, on netlink, their `nlmsg_pid` was not the sender's
    /// port).
    pub spoofed: u64,
    /// Datagrams that were not a valid ProcsLink JSON-RPC response.
    pub malformed: u64,
    /// Times the kernel reported dropped datagrams (receive queue full).
    pub overruns: u64,
    /// Responses dropped because the kernel-supplied credentials of their
    /// sender did not show the uid [`Client::expect_peer_uid`] requires
    /// (or showed none).
    pub wrong_uid: u64,
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    unknown_id: AtomicU64,
    spoofed: AtomicU64,
    malformed: AtomicU64,
    overruns: AtomicU64,
    wrong_uid: AtomicU64,
}

/// A response handed from the reading caller to the one waiting for it:
/// its JSON text (already validated) and descriptors.
struct Answer {
    payload: Vec<u8>,
    fds: Vec<OwnedFd>,
}

/// A response's outcome as it arrived: the raw result or the error object.
type Outcome<'r> = Result<RawValue<'r>, ErrorObject<'r>>;

/// The error a call fails with when the server answers `object`.
fn rpc_error(object: &ErrorObject<'_>) -> CallError {
    CallError::Rpc(RpcError {
        code: object.code,
        message: object.message.chars().collect(),
        data: object
            .data
            .and_then(|d| serde_json::from_str::<Value>(d.as_str()).ok()),
    })
}

/// A result as a [`Value`].
fn value_of(outcome: Outcome<'_>) -> Result<Value, CallError> {
    match outcome {
        Ok(raw) => simple_value(raw).map_or_else(
            || {
                serde_json::from_str(raw.as_str())
                    .map_err(|e| CallError::Protocol(format!("result not representable: {e}")))
            },
            Ok,
        ),
        Err(object) => Err(rpc_error(&object)),
    }
}

/// The [`Value`] of a literal or an escape-free string, made without
/// serde's machinery; `None` for anything else.
fn simple_value(raw: RawValue<'_>) -> Option<Value> {
    match raw.kind() {
        Kind::Null => Some(Value::Null),
        Kind::Bool => Some(Value::Bool(raw.as_str() == "true")),
        Kind::String => raw
            .as_json_str()
            .and_then(|s| s.as_unescaped())
            .map(|s| Value::String(s.to_owned())),
        Kind::Number | Kind::Array | Kind::Object => None,
    }
}

/// Where a waiting caller is handed its answer, or the turn to read the
/// socket for everyone.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    wake: Condvar,
    /// Whether `state` holds an answer, so that looking for one needs no
    /// lock.
    ready: AtomicBool,
}

#[derive(Default)]
struct SlotState {
    /// The call this slot waits for; anything for another id is stale and
    /// dropped.
    id: u64,
    answer: Option<Answer>,
    turn: bool,
}

impl Slot {
    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn arm(&self, id: u64) {
        *self.state() = SlotState {
            id,
            answer: None,
            turn: false,
        };
        self.ready.store(false, Ordering::Relaxed);
    }

    fn take_answer(&self) -> Option<Answer> {
        if !self.ready.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.state();
        self.ready.store(false, Ordering::Relaxed);
        state.answer.take()
    }

    fn give_answer(&self, id: u64, answer: Answer) {
        let mut state = self.state();
        if state.id == id {
            state.answer = Some(answer);
            self.ready.store(true, Ordering::Release);
            drop(state);
            self.wake.notify_one();
        }
    }

    fn give_turn(&self, id: u64) {
        let mut state = self.state();
        if state.id == id {
            state.turn = true;
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Waits at most `timeout` for an answer or a turn (returning at once
    /// if one is there).
    fn wait(&self, timeout: Duration) {
        let mut state = self.state();
        if state.answer.is_none() && !state.turn {
            state = self
                .wake
                .wait_timeout(state, timeout)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.turn = false;
    }
}

/// When a reading caller gives up on its call.
#[derive(Clone, Copy)]
enum Deadline {
    At(Instant),
    /// This long after the call was sent, the clock not read yet: a lone
    /// reader reads it only once its first receive brings no answer.
    After(Duration),
}

impl Deadline {
    /// The deadline as an instant, `now` being the first clock reading
    /// after a receive that `timed_out` (and so took [`READ_SLICE`]) or
    /// brought something else (and took at most that).
    fn at(self, now: Instant, timed_out: bool) -> Instant {
        match self {
            Deadline::At(at) => at,
            Deadline::After(timeout) => {
                let spent = if timed_out {
                    READ_SLICE
                } else {
                    Duration::ZERO
                };
                deadline_after(now, timeout.saturating_sub(spent))
            }
        }
    }
}

/// `now + timeout`, for any timeout (a century stands in for longer ones).
fn deadline_after(now: Instant, timeout: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(timeout)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// The call of the caller reading the socket: in the table of pending
/// calls (so the table checks its sender), or not (a lone reader's call,
/// to the address given).
#[derive(Clone, Copy, PartialEq)]
enum Own<'a> {
    Registered(u64),
    Unregistered(u64, &'a Address),
}

/// The calls waiting for their answers, by id, and how many there are
/// (which a reader checks without the lock before passing its turn on).
#[derive(Default)]
struct Pending {
    calls: Mutex<FastMap<u64, Waiter>>,
    count: AtomicUsize,
}

/// The locked table of pending calls; updates the count as it unlocks.
struct PendingGuard<'a> {
    calls: MutexGuard<'a, FastMap<u64, Waiter>>,
    count: &'a AtomicUsize,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.count.store(self.calls.len(), Ordering::SeqCst);
    }
}

impl Deref for PendingGuard<'_> {
    type Target = FastMap<u64, Waiter>;

    fn deref(&self) -> &Self::Target {
        &self.calls
    }
}

impl DerefMut for PendingGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.calls
    }
}

struct Waiter {
    to: Address,
    slot: Arc<Slot>,
}

/// What a calling thread keeps from one call to the next, so that a call
/// allocates nothing of its own: its slot and the buffers its request is
/// built in.
struct CallerState {
    slot: Arc<Slot>,
    request: RequestBuffers,
}

/// Where a request is built.
struct RequestBuffers {
    /// The params' JSON text, from a value.
    text: String,
    /// The params' JSON text, from a serde type.
    bytes: Vec<u8>,
    /// The request datagram.
    datagram: Vec<u8>,
}

impl RequestBuffers {
    fn new() -> Self {
        RequestBuffers {
            text: String::with_capacity(256),
            bytes: Vec::with_capacity(256),
            datagram: vec![0; 512],
        }
    }

    /// Gives back what an unusually large request grew.
    fn trim(&mut self) {
        if self.text.capacity() > KEEP_BUFFER {
            self.text = String::with_capacity(256);
        }
        if self.bytes.capacity() > KEEP_BUFFER {
            self.bytes = Vec::with_capacity(256);
        }
        if self.datagram.len() > KEEP_BUFFER {
            self.datagram = vec![0; 512];
        }
    }
}

/// What the caller reading the socket holds: where it receives, and where
/// it builds its request when it took the turn before sending.
struct Reader {
    recv: Vec<u8>,
    request: RequestBuffers,
}

/// Buffers larger than this are not kept for the next call.
const KEEP_BUFFER: usize = 64 * 1024;

thread_local! {
    static CALLER: Cell<Option<Box<CallerState>>> = const { Cell::new(None) };
}

impl CallerState {
    /// This thread's state (a new one if a call on this thread is already
    /// using it).
    fn take() -> Box<CallerState> {
        CALLER.with(Cell::take).unwrap_or_else(|| {
            Box::new(CallerState {
                slot: Arc::new(Slot::default()),
                request: RequestBuffers::new(),
            })
        })
    }

    fn put_back(mut self: Box<Self>) {
        self.request.trim();
        CALLER.with(|c| c.set(Some(self)));
    }
}

/// What a request or notification sends: to whom, the method, its params
/// and the descriptors that go with it.
struct Outgoing<'c, P: ?Sized> {
    to: &'c Address,
    method: &'c str,
    params: CallParams<'c, P>,
    fds: &'c [BorrowedFd<'c>],
}

/// Params as a call passes them.
enum CallParams<'p, P: ?Sized> {
    /// A `serde_json` value: array, object or null (absent).
    Value(&'p Value),
    /// A serde type: absent if it serialises to `null`.
    Typed(&'p P),
    /// JSON text.
    Raw(Option<RawParams<'p>>),
}

// By hand: a derive would ask for `P: Copy`, and only references are kept.
impl<P: ?Sized> Clone for CallParams<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ?Sized> Copy for CallParams<'_, P> {}

/// A call whose request the server's queue had no room for: the length
/// of its datagram and what its answer goes through.
struct Busy<F> {
    len: usize,
    convert: F,
}

/// How long one attempt to send waits for room in the receiver's queue
/// (the socket's send timeout): between attempts a waiting sender reads
/// the socket for the others.
const SEND_SLICE: Duration = Duration::from_millis(20);

/// How long a caller that is not reading the socket waits for its answer
/// or its turn before trying to read the socket itself again: a bound on
/// what a lost hand-off can cost.
const FOLLOWER_SLICE: Duration = Duration::from_millis(5);
/// The socket's receive timeout: how long past its deadline a reading
/// caller may be held up.
const READ_SLICE: Duration = Duration::from_millis(20);

struct Inner {
    socket: Socket,
    options: ClientOptions,
    pending: Pending,
    /// Held by the one caller that reads the socket for everyone, with its
    /// buffers.
    reading: Mutex<Reader>,
    next_id: AtomicU64,
    counters: Counters,
    closed: AtomicBool,
    failure: Mutex<Option<String>>,
    /// The uid every response's sender must have.
    peer_uid: Option<u32>,
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
        Client::new(
            Socket::Unix(UnixDatagram::bind(&UnixAddr::Unnamed)?),
            options,
        )
    }

    fn new(socket: Socket, options: ClientOptions) -> io::Result<Client> {
        socket.set_recv_timeout(Some(READ_SLICE))?;
        socket.set_send_timeout(Some(SEND_SLICE))?;
        if let Some(bytes) = options.recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        Ok(Client {
            inner: Inner {
                socket,
                pending: Pending::default(),
                reading: Mutex::new(Reader {
                    recv: vec![0; options.max_datagram],
                    request: RequestBuffers::new(),
                }),

                next_id: AtomicU64::new(1),
                counters: Counters::default(),
                closed: AtomicBool::new(false),
                peer_uid: None,
                failure: Mutex::new(None),
                options,
            },
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
        self.inner.socket.set_passcred(true)?;
        self.inner.peer_uid = Some(uid);
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
        let c = &self.inner.counters;
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
    /// [`CallError::Rpc`] when the server answers an error,
    /// [`CallError::Timeout`], [`CallError::Io`] when sending fails,
    /// [`CallError::Protocol`] for params that are neither array, object
    /// nor null, or a request too large for a datagram.
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

impl Inner {
    fn pending(&self) -> PendingGuard<'_> {
        PendingGuard {
            calls: self.pending.calls.lock().unwrap_or_else(|p| p.into_inner()),
            count: &self.pending.count,
        }
    }

    /// A call: the answer through `convert`, or [`CallError::Timeout`].
    fn call<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<T, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        self.request(out, Some(timeout), convert)?
            .ok_or(CallError::Timeout)
    }

    /// A notification of `params` (a value): sent, nothing awaited.
    fn notify(
        &self,
        to: &Address,
        method: &str,
        params: &Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), CallError> {
        let params = CallParams::<()>::Value(params);
        let out = Outgoing {
            to,
            method,
            params,
            fds,
        };
        self.request(out, None, |_, _| Ok(())).map(drop)
    }

    /// Sends a request (`timeout` given) or a notification (`None`); for a
    /// request, waits for the answer and turns it into `T` with `convert`:
    /// `Ok(None)` on timeout.
    ///
    /// No caller ever waits for room in the server's queue while it holds
    /// the reading turn: holding it, a caller only tries to send
    /// (`MSG_DONTWAIT`); when the server's queue is full it lets go of the
    /// turn and sends as any other caller, so that someone always reads the
    /// answers (a server whose replies cannot be delivered drops them,
    /// which a full client queue would otherwise cause).
    fn request<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Option<Duration>,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let Some(timeout) = timeout else {
            let mut caller = CallerState::take();
            let sent = self.build(&mut caller.request, &out, None).and_then(|len| {
                let datagram = caller.request.datagram.get(..len).unwrap_or_default();
                let deadline = deadline_after(Instant::now(), self.options.timeout);
                self.send_patiently(out.to, datagram, out.fds, deadline)
            });
            caller.put_back();
            return sent.map(|()| None);
        };
        if let Some(mut turn) = self.reading_turn() {
            // No one else reads the socket, so no one else can take this
            // call's answer: it need not be registered (nor a slot armed),
            // and it is built in the reader's buffers.
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let Reader { recv, request } = &mut *turn;
            let busy = match self.lone_call(request, recv, id, &out, timeout, convert) {
                Ok(answer) => {
                    request.trim();
                    drop(turn);
                    self.pass_turn(id);
                    return answer;
                }
                Err(busy) => busy,
            };
            // The server's queue is full: the request waits for room as a
            // registered call, without the turn.
            let mut caller = CallerState::take();
            let datagram = &mut caller.request.datagram;
            datagram.clear();
            datagram.extend_from_slice(request.datagram.get(..busy.len).unwrap_or_default());
            request.trim();
            drop(turn);
            self.pass_turn(id);
            let datagram = caller.request.datagram.get(..busy.len).unwrap_or_default();
            let answer =
                self.registered_call(&caller.slot, id, &out, datagram, timeout, busy.convert);
            caller.put_back();
            return answer;
        }
        let mut caller = CallerState::take();
        let result = self.request_with(&mut caller, out, timeout, convert);
        caller.put_back();
        result
    }

    /// A call by the caller that holds the reading turn: built in
    /// `request`, its answer read into `recv`; [`Busy`] when the server's
    /// queue had no room for it.
    fn lone_call<P, T, F>(
        &self,
        request: &mut RequestBuffers,
        recv: &mut [u8],
        id: u64,
        out: &Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<Result<Option<T>, CallError>, Busy<F>>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let len = match self.build(request, out, Some(id)) {
            Ok(len) => len,
            Err(e) => return Ok(Err(e)),
        };
        if self.closed.load(Ordering::Acquire) {
            return Ok(Err(self.stopped()));
        }
        let datagram = request.datagram.get(..len).unwrap_or_default();
        self.send_and_read_own(recv, id, out, datagram, timeout, convert)
            .map_err(|convert| Busy { len, convert })
    }

    /// Sends `datagram`, the request `id`, without waiting for room in the
    /// server's queue, and reads its answer into `recv` as the caller
    /// holding the reading turn, unregistered. `Err(convert)` when the
    /// queue was full and nothing was sent.
    fn send_and_read_own<P, T, F>(
        &self,
        recv: &mut [u8],
        id: u64,
        out: &Outgoing<'_, P>,
        datagram: &[u8],
        timeout: Duration,
        convert: F,
    ) -> Result<Result<Option<T>, CallError>, F>
    where
        P: ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        match self.socket.send(out.to, datagram, out.fds, true) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(convert),
            Err(e) => return Ok(Err(CallError::Io(e))),
        }
        let own = Own::Unregistered(id, out.to);
        let deadline = Deadline::After(timeout);
        Ok(self
            .read_until_answered(own, None, recv, deadline, &mut Some(convert))
            .and_then(Option::transpose))
    }

    /// A call by a caller that does not hold the reading turn (it may take
    /// it after sending), built in `caller`.
    fn request_with<P, T, F>(
        &self,
        caller: &mut CallerState,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let len = self.build(&mut caller.request, &out, Some(id))?;
        let datagram = caller.request.datagram.get(..len).unwrap_or_default();
        if self.closed.load(Ordering::Acquire) {
            return Err(self.stopped());
        }
        let convert = match self.reading_turn() {
            Some(mut turn) => {
                // The reader finished after this caller looked: as in
                // `request`, the answer need not be registered.
                let sent =
                    self.send_and_read_own(&mut turn.recv, id, &out, datagram, timeout, convert);
                drop(turn);
                self.pass_turn(id);
                match sent {
                    Ok(answer) => return answer,
                    Err(convert) => convert,
                }
            }
            None => convert,
        };
        self.registered_call(&caller.slot, id, &out, datagram, timeout, convert)
    }

    /// Registers the call `id`, sends its `datagram` (waiting for room in
    /// the server's queue, without the reading turn) and waits for its
    /// answer.
    fn registered_call<P, T, F>(
        &self,
        slot: &Arc<Slot>,
        id: u64,
        out: &Outgoing<'_, P>,
        datagram: &[u8],
        timeout: Duration,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let now = Instant::now();
        let deadline = deadline_after(now, timeout);
        slot.arm(id);
        self.pending().insert(
            id,
            Waiter {
                to: out.to.clone(),
                slot: Arc::clone(slot),
            },
        );
        if let Err(e) = self.send_patiently(out.to, datagram, out.fds, deadline) {
            self.pending().remove(&id);
            return Err(e);
        }
        let mut convert = Some(convert);
        let answer = match self.wait(id, slot, now, deadline, &mut convert) {
            Ok(None) if self.pending().remove(&id).is_none() => {
                // Gone from the table without an answer yet: a reader took
                // it just now and is putting it into the slot.
                Ok(self
                    .late_answer(slot, deadline)
                    .and_then(|answer| convert.take().and_then(|f| finish(answer, f))))
            }
            Err(e) => {
                self.pending().remove(&id);
                Err(e)
            }
            Ok(answer) => Ok(answer),
        };
        answer?.transpose()
    }

    /// Sends `datagram` to `to`, waiting for room in the receiver's queue
    /// until `deadline` ([`CallError::Timeout`] then) in slices of
    /// [`SEND_SLICE`]; between slices, reads the socket for the other
    /// callers if no one else does, so that answers keep being taken
    /// however many callers wait to send. Never called holding the turn.
    fn send_patiently(
        &self,
        to: &Address,
        datagram: &[u8],
        fds: &[BorrowedFd<'_>],
        deadline: Instant,
    ) -> Result<(), CallError> {
        loop {
            match self.socket.send(to, datagram, fds, false) {
                Ok(()) => return Ok(()),
                Err(e) if is_timeout(&e) => {
                    if self.closed.load(Ordering::Acquire) {
                        return Err(self.stopped());
                    }
                    if Instant::now() >= deadline {
                        return Err(CallError::Timeout);
                    }
                    self.help_read();
                }
                Err(e) => return Err(CallError::Io(e)),
            }
        }
    }

    /// Reads the socket once for the waiting callers, if no one else does.
    fn help_read(&self) {
        // Id 0 is never a call's: every answer read goes to its caller.
        const NO_CALL: u64 = 0;
        if let Some(mut turn) = self.reading_turn() {
            let mut none = None::<fn(Outcome<'_>, Vec<OwnedFd>) -> Result<(), CallError>>;
            let now = Deadline::At(Instant::now());
            let own = Own::Registered(NO_CALL);
            // A failure closes the client; the sender learns it next.
            let _ = self.read_until_answered(own, None, &mut turn.recv, now, &mut none);
            drop(turn);
            self.pass_turn(NO_CALL);
        }
    }

    /// The answer a reader is handing over right now, waiting for it at
    /// most a moment past `deadline`.
    fn late_answer(&self, slot: &Slot, deadline: Instant) -> Option<Answer> {
        let until = deadline.max(Instant::now()) + FOLLOWER_SLICE;
        loop {
            if let Some(answer) = slot.take_answer() {
                return Some(answer);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            slot.wait(until - now);
        }
    }

    /// Builds the request datagram in `buffers.datagram`; its length.
    fn build<P: Serialize + ?Sized>(
        &self,
        buffers: &mut RequestBuffers,
        out: &Outgoing<'_, P>,
        id: Option<u64>,
    ) -> Result<usize, CallError> {
        let Outgoing { method, params, .. } = *out;
        let style = self.options.style;
        let text = &mut buffers.text;
        let not_params = |raw: &dyn fmt::Display| {
            CallError::Protocol(format!(
                "params must be an array, an object or null, not {raw}"
            ))
        };
        let too_deep = || CallError::Protocol("params nest too deeply".into());
        let raw = match params {
            CallParams::Value(Value::Null) => None,
            CallParams::Value(v @ (Value::Array(_) | Value::Object(_))) => {
                Some(write_raw(v, style, MAX_DEPTH_LIMIT, text).ok_or_else(too_deep)?)
            }
            CallParams::Value(other) => return Err(not_params(other)),
            CallParams::Typed(p) => {
                let bytes = &mut buffers.bytes;
                bytes.clear();
                write_json(p, style, bytes)
                    .map_err(|e| CallError::Protocol(format!("params do not serialise: {e}")))?;
                let raw = serde_text(bytes, MAX_DEPTH_LIMIT).ok_or_else(too_deep)?;
                (!raw.is_null()).then_some(raw)
            }
            CallParams::Raw(p) => p.map(|p| p.raw()),
        };
        let raw_params = match raw {
            None => None,
            Some(raw) => Some(RawParams::new(raw).ok_or_else(|| not_params(&raw))?),
        };
        let request = match id {
            Some(id) => Request::new(Id::from(id), method, raw_params),
            None => Request::notification(method, raw_params),
        };
        let datagram = &mut buffers.datagram;
        let encode = |d: &mut Vec<u8>| {
            request.encode(d.get_mut(PROCSLINK_OVERHEAD..).unwrap_or_default(), style)
        };
        let cannot =
            |e: crate::Error| CallError::Protocol(format!("cannot encode the request: {e}"));
        let n = match encode(datagram) {
            Ok(n) => n,
            Err(e) => {
                let ErrorKind::BufferTooSmall { needed } = e.kind() else {
                    return Err(cannot(e));
                };
                datagram.resize(PROCSLINK_OVERHEAD + needed, 0);
                encode(datagram).map_err(cannot)?
            }
        };
        let total = PROCSLINK_OVERHEAD + n;
        if total > self.options.max_datagram {
            return Err(CallError::Protocol(format!(
                "request of {total} bytes exceeds the {}-byte datagram limit",
                self.options.max_datagram
            )));
        }
        DatagramRepr::request(self.socket.nlmsg_pid())
            .emit_header(n, datagram)
            .map_err(|e| CallError::Protocol(format!("cannot build the datagram: {e}")))
    }

    /// Waits for this caller's answer until `deadline` (`Ok(None)` then),
    /// reading the socket for every caller whenever no one else is; the
    /// answer goes through `convert`.
    fn wait<T, F>(
        &self,
        id: u64,
        slot: &Slot,
        mut now: Instant,
        deadline: Instant,
        convert: &mut Option<F>,
    ) -> Result<Option<Result<T, CallError>>, CallError>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        // `now` is fresh on the first pass: the call just read the clock.
        let mut fresh = true;
        loop {
            if let Some(answer) = slot.take_answer() {
                return Ok(convert.take().and_then(|f| finish(answer, f)));
            }
            if self.closed.load(Ordering::Acquire) {
                return Err(self.stopped());
            }
            if !fresh {
                now = Instant::now();
            }
            fresh = false;
            if now >= deadline {
                return Ok(None);
            }
            if let Some(mut turn) = self.reading_turn() {
                let own = Own::Registered(id);
                let until = Deadline::At(deadline);
                let recv = &mut turn.recv;
                let answer = self.read_until_answered(own, Some(slot), recv, until, convert);
                drop(turn);
                self.pass_turn(id);
                return answer;
            }
            slot.wait((deadline - now).min(FOLLOWER_SLICE));
        }
    }

    /// Reads and delivers datagrams until this caller's answer has arrived
    /// or `deadline` has passed.
    fn read_until_answered<T, F>(
        &self,
        own: Own<'_>,
        slot: Option<&Slot>,
        buf: &mut [u8],
        mut deadline: Deadline,
        convert: &mut Option<F>,
    ) -> Result<Option<Result<T, CallError>>, CallError>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        // The first receive needs no clock: the caller just read it, or
        // has not needed it yet.
        let mut check_clock = false;
        let mut timed_out = false;
        loop {
            if let Some(answer) = slot.and_then(Slot::take_answer) {
                return Ok(convert.take().and_then(|f| finish(answer, f)));
            }
            if check_clock {
                let now = Instant::now();
                let at = deadline.at(now, timed_out);
                deadline = Deadline::At(at);
                if now >= at {
                    return Ok(None);
                }
            }
            check_clock = true;
            timed_out = false;
            match self.socket.recv_into(buf, self.peer_uid.is_some()) {
                Ok(info) => {
                    if let Some(answer) = self.deliver(info.data(buf), info, own, convert) {
                        return Ok(Some(answer));
                    }
                }
                Err(e) if is_timeout(&e) => timed_out = true,
                Err(e) if is_overrun(&e) => bump_exclusive(&self.counters.overruns),
                Err(e) => {
                    *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    self.closed.store(true, Ordering::Release);
                    // Every waiting caller learns it when woken.
                    for (id, w) in self.pending().drain() {
                        w.slot.give_turn(id);
                    }
                    return Err(self.stopped());
                }
            }
        }
    }

    /// The turn to read the socket for everyone, if no one has it.
    #[inline]
    fn reading_turn(&self) -> Option<MutexGuard<'_, Reader>> {
        match self.reading.try_lock() {
            Ok(turn) => Some(turn),
            // A reader that panicked left nothing half-done: reading goes
            // on.
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Hands the socket to one other waiting caller (not the caller `own`,
    /// which is done waiting), if any.
    #[inline]
    fn pass_turn(&self, own: u64) {
        // A caller that registers after this look finds the turn free (it
        // registers before trying to take the turn, which this caller gave
        // up before looking), or takes it within a follower's slice.
        if self.pending.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let pending = self.pending();
        if let Some((id, w)) = pending.iter().find(|(id, _)| **id != own) {
            w.slot.give_turn(*id);
        }
    }

    fn stopped(&self) -> CallError {
        let why = self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "the client is closed".into());
        CallError::Io(io::Error::new(
            io::ErrorKind::NotConnected,
            format!("client socket failed: {why}"),
        ))
    }

    /// Delivers one received datagram to the caller waiting for it: through
    /// `convert` when that caller is `own`, the one reading (the answer is
    /// returned), else as a copy into its slot.
    fn deliver<T, F>(
        &self,
        data: &[u8],
        info: RecvInfo,
        own: Own<'_>,
        convert: &mut Option<F>,
    ) -> Option<Result<T, CallError>>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let RecvInfo {
            len,
            from,
            fds,
            credentials,
            ..
        } = info;
        let Some(from) = from else {
            bump_exclusive(&self.counters.malformed);
            return None;
        };
        if self.socket.is_local(&from) {
            return None; // a wake-up
        }
        if let Some(uid) = self.peer_uid
            && credentials.is_none_or(|c| c.uid != uid)
        {
            bump_exclusive(&self.counters.wrong_uid);
            return None;
        }
        if len > data.len() {
            bump_exclusive(&self.counters.malformed);
            return None;
        }
        let Ok(datagram) = Datagram::parse_with_limit(data, self.options.max_datagram) else {
            bump_exclusive(&self.counters.malformed);
            return None;
        };
        if datagram.payload_type() != PayloadType::JSONRPC_RESPONSE {
            bump_exclusive(&self.counters.malformed);
            return None;
        }
        if from.port().is_some_and(|port| datagram.pid() != port) {
            bump_exclusive(&self.counters.spoofed);
            return None;
        }
        let decoder = Decoder::new().with_max_depth(MAX_DEPTH_LIMIT);
        let Ok(response) = decoder.parse_response(datagram.payload()) else {
            bump_exclusive(&self.counters.malformed);
            return None;
        };
        let Some(id) = response.id.as_u64() else {
            bump_exclusive(&self.counters.unknown_id);
            return None;
        };
        if let Own::Unregistered(own, to) = own
            && id == own
        {
            if !same_peer(to, &from) {
                bump_exclusive(&self.counters.spoofed);
                return None;
            }
            bump_exclusive(&self.counters.delivered);
            return convert.take().map(|f| f(response.outcome, fds));
        }
        let waiter = {
            let mut pending = self.pending();
            match pending.get(&id) {
                None => {
                    bump_exclusive(&self.counters.unknown_id);
                    return None;
                }
                Some(w) if !same_peer(&w.to, &from) => {
                    bump_exclusive(&self.counters.spoofed);
                    return None;
                }
                Some(_) => pending.remove(&id)?,
            }
        };
        bump_exclusive(&self.counters.delivered);
        if own == Own::Registered(id) {
            return convert.take().map(|f| f(response.outcome, fds));
        }
        let answer = Answer {
            payload: datagram.payload().to_vec(),
            fds,
        };
        waiter.slot.give_answer(id, answer);
        None
    }
}

/// Turns a handed-over answer into the caller's `T`.
fn finish<T, F>(answer: Answer, convert: F) -> Option<Result<T, CallError>>
where
    F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
{
    let decoder = Decoder::new().with_max_depth(MAX_DEPTH_LIMIT);
    // The reader validated this text before handing it over.
    let response = decoder.parse_response(&answer.payload).ok()?;
    Some(convert(response.outcome, answer.fds))
}

#[cfg(test)]
mod tests {
    use super::simple_value;
    use crate::jsonrpc::RawValue;
    use serde_json::Value;

    #[test]
    fn simple_values_are_what_serde_json_reads() {
        for text in [
            "null",
            "true",
            "false",
            r#""""#,
            r#""plain""#,
            r#""caf\u00e9""#,
            r#""a\"b""#,
            "\"\u{e9}\u{1F600}\"",
            "0",
            "-1.5e3",
            "[1]",
            "{}",
        ] {
            let raw = RawValue::parse(text).unwrap();
            let serde: Value = serde_json::from_str(text).unwrap();
            if let Some(v) = simple_value(raw) {
                assert_eq!(v, serde, "{text}");
            }
        }
        for text in ["null", "true", "false", r#""plain""#, "\"\u{e9}\""] {
            assert!(
                simple_value(RawValue::parse(text).unwrap()).is_some(),
                "{text}"
            );
        }
    }
}
