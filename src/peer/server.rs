//! The serving side: [`Methods`], [`ServerOptions`], [`Server`] and
//! [`ServerHandle`].

use std::prelude::rust_2024::*;

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{HANDLER_TIMEOUT, RpcError, SERVER_BUSY};
use super::hash::FastMap;
use super::json::write_raw;
use super::limits::{InHandler, PerSender, QueueAges, SenderKey, Watch};
use super::params::{Params, Reply, RequestContext};
use super::result::ResultText;
use super::socket::{
    Address, NetlinkSocket, RecvInfo, SocketOptions, UnixAddr, UnixDatagram, is_overrun,
};
use super::transport::{Socket, is_timeout};
use super::{bump, bump_exclusive};
use crate::ErrorKind;
use crate::jsonrpc::{
    Batch, Decoder, ErrorCode, ErrorObject, Id, Incoming, MAX_DEPTH_LIMIT, Message, Notes,
    RawValue, Request, Response, Style,
};
use crate::procslink::{Datagram, DatagramRepr, MAX_DATAGRAM, PROCSLINK_OVERHEAD, PayloadType};

/// A handler as the server runs it: a [`Reply`], or `None` when it wrote
/// its result into the [`ResultText`].
type Handler =
    dyn Fn(Params<'_>, &mut ResultText<'_>) -> Result<Option<Reply>, RpcError> + Send + Sync;

/// The methods a server offers: names bound to handlers.
///
/// A handler is a closure from [`Params`] to `Result<R, RpcError>` where `R`
/// is a [`serde_json::Value`] or a [`Reply`] (a value plus file descriptors
/// to send back); [`add_typed`](Self::add_typed) registers a closure over
/// serde types instead, and [`add_raw`](Self::add_raw) one that writes its
/// result as JSON text (no `Value`, no allocation). Handlers run on the
/// server's threads, one request at a time per thread; a handler that
/// panics is answered -32603 "Internal error" and the server goes on.
///
/// ```
/// use procslink::peer::{Methods, Params, RpcError};
/// use serde_json::{json, Value};
///
/// let mut methods = Methods::new();
/// methods.add("hello", |p: Params| -> Result<Value, RpcError> {
///     let name: String = p.arg(0, "name")?;
///     Ok(json!(format!("Hello, {name}!")))
/// });
/// methods.add_typed("add", |(a, b): (i64, i64)| Ok(a + b));
/// assert!(methods.contains("add"));
/// let sum = methods.call("add", Params::from_value(Some(json!([2, 40])))).unwrap();
/// assert_eq!(sum.value, json!(42));
/// let err = methods.call("add", Params::from_value(Some(json!(["2", 40])))).unwrap_err();
/// assert_eq!(err.code.0, -32602);
/// assert_eq!(methods.call("nope", Params::from_value(None)).unwrap_err().code.0, -32601);
/// ```
#[derive(Clone, Default)]
pub struct Methods {
    /// The bindings, in the order they were first made.
    entries: Vec<(String, Arc<Handler>)>,
    /// Where each name is in `entries`, once there are more than
    /// [`FEW_METHODS`]: fewer are found sooner by comparing lengths.
    index: Option<FastMap<String, usize>>,
}

/// How many methods a lookup compares one by one.
const FEW_METHODS: usize = 8;

impl Methods {
    /// No methods.
    pub fn new() -> Self {
        Methods::default()
    }

    /// Binds `name` to `handler`, replacing any handler of that name.
    pub fn add<R, F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        R: Into<Reply>,
        F: Fn(Params<'_>) -> Result<R, RpcError> + Send + Sync + 'static,
    {
        let handler =
            move |p: Params<'_>, _: &mut ResultText<'_>| handler(p).map(|r| Some(r.into()));
        self.bind(name.into(), Arc::new(handler));
        self
    }

    /// Binds `name` to a handler that writes its result into a
    /// [`ResultText`] (see there), replacing any handler of that name: the
    /// result goes into the response with no [`serde_json::Value`] built.
    /// Such a handler sends no file descriptors back.
    pub fn add_raw<F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(Params<'_>, &mut ResultText<'_>) -> Result<(), RpcError> + Send + Sync + 'static,
    {
        let handler = move |p: Params<'_>, out: &mut ResultText<'_>| handler(p, out).map(|()| None);
        self.bind(name.into(), Arc::new(handler));
        self
    }

    /// Binds `name` to a handler over serde types: the params decode into
    /// `P` as [`Params::parse`] does (a tuple for positional params, a
    /// struct for named ones, `()` for none; a mismatch is -32602), the
    /// result is serialised from `R`.
    pub fn add_typed<P, R, F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        P: DeserializeOwned,
        R: Serialize,
        F: Fn(P) -> Result<R, RpcError> + Send + Sync + 'static,
    {
        self.add(name, move |params: Params<'_>| {
            let args: P = params.parse()?;
            let result = handler(args)?;
            serde_json::to_value(result)
                .map_err(|e| RpcError::internal(format_args!("cannot serialise the result: {e}")))
        })
    }

    /// Whether `name` is bound.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The names bound, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    /// Calls the handler bound to `name` directly (no socket, no panic
    /// catching); -32601 when there is none.
    ///
    /// # Errors
    ///
    /// The handler's error, or -32601 "Method not found".
    pub fn call(&self, name: &str, params: Params<'_>) -> Result<Reply, RpcError> {
        let handler = self.get(name).ok_or_else(RpcError::method_not_found)?;
        let mut text = String::new();
        if let Some(reply) = handler(params, &mut ResultText::new(&mut text, Style::Compact))? {
            return Ok(reply);
        }
        serde_json::from_str::<Value>(ResultText::json(&text).as_str())
            .map(Reply::from)
            .map_err(|e| RpcError::internal(format_args!("result not representable: {e}")))
    }

    /// Where `name` is in `entries`.
    fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.entries.iter().position(|(n, _)| n == name),
        }
    }

    fn get(&self, name: &str) -> Option<&Arc<Handler>> {
        let at = self.position(name)?;
        self.entries.get(at).map(|(_, handler)| handler)
    }

    fn bind(&mut self, name: String, handler: Arc<Handler>) {
        let bound = self.position(&name);
        if let Some(entry) = bound.and_then(|at| self.entries.get_mut(at)) {
            entry.1 = handler;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(name.clone(), self.entries.len());
        }
        self.entries.push((name, handler));
        if self.index.is_none() && self.entries.len() > FEW_METHODS {
            let names = self.entries.iter().enumerate();
            self.index = Some(names.map(|(at, (n, _))| (n.clone(), at)).collect());
        }
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_struct("Methods").field("names", &names).finish()
    }
}

/// How a server behaves. The defaults are the reference's: the
/// `nlmsg_pid` check on, no uid allow-list, 4096-byte datagrams, Python's
/// JSON spelling, one serving thread.
///
/// ```
/// use procslink::peer::ServerOptions;
/// let opts = ServerOptions::new().allow_uid(0).allow_uid(1000).threads(2);
/// assert!(opts.allows_uid(1000));
/// assert!(!opts.allows_uid(1001));
/// assert!(ServerOptions::new().allows_uid(1001));
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    allow_uids: Option<BTreeSet<u32>>,
    check_pid: bool,
    pass_credentials: bool,
    max_datagram: usize,
    style: Style,
    threads: usize,
    recv_buffer: Option<usize>,
    reply_timeout: Duration,
    poll_interval: Duration,
    max_queue_age: Option<Duration>,
    handler_timeout: Option<Duration>,
    stop_timeout: Duration,
    max_per_sender: Option<usize>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            allow_uids: None,
            check_pid: true,
            pass_credentials: false,
            max_datagram: MAX_DATAGRAM,
            style: Style::Python,
            threads: 1,
            recv_buffer: None,
            reply_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(250),
            max_queue_age: None,
            handler_timeout: None,
            stop_timeout: Duration::from_secs(5),
            max_per_sender: None,
        }
    }
}

impl ServerOptions {
    /// The defaults.
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// Serves only senders whose kernel-supplied uid is `uid` or another
    /// uid allowed this way. With an allow-list the server turns on
    /// `SO_PASSCRED`, so the kernel attaches each sender's credentials; a
    /// datagram without credentials, or from another uid, is counted as
    /// [denied](ServerStats::denied): its requests are answered
    /// [`PERMISSION_DENIED`](super::PERMISSION_DENIED) (-32001
    /// "Permission denied") without running any handler, and its
    /// notifications are dropped.
    #[must_use]
    pub fn allow_uid(mut self, uid: u32) -> Self {
        self.allow_uids
            .get_or_insert_with(BTreeSet::new)
            .insert(uid);
        self
    }

    /// Whether a sender with `uid` is served.
    pub fn allows_uid(&self, uid: u32) -> bool {
        self.allow_uids
            .as_ref()
            .is_none_or(|set| set.contains(&uid))
    }

    /// Whether a netlink request must carry the sender's real port id in
    /// `nlmsg_pid` (on by default, as in the reference): a datagram whose
    /// `nlmsg_pid` is 0 or differs from the port the kernel reports is
    /// counted as [spoofed](ServerStats::spoofed) and not answered. Unix
    /// datagrams carry no port id; this does not apply to them.
    #[must_use]
    pub fn check_pid(mut self, on: bool) -> Self {
        self.check_pid = on;
        self
    }

    /// Asks for the senders' credentials even without an allow-list, for
    /// handlers to read ([`Params::credentials`]).
    #[must_use]
    pub fn pass_credentials(mut self, on: bool) -> Self {
        self.pass_credentials = on;
        self
    }

    /// The largest datagram served or sent, headers included (default
    /// [`MAX_DATAGRAM`], the reference's 4096). Larger requests are answered
    /// -32600; a larger response is replaced by -32603.
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(PROCSLINK_OVERHEAD + 2);
        self
    }

    /// How responses are spelled (default [`Style::Python`], the
    /// reference's bytes).
    #[must_use]
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// How many threads [`Server::spawn`] starts, all receiving from the
    /// same socket (default 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The socket's receive buffer size (default: the system's).
    #[must_use]
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }

    /// Has no effect any more: a server never waits for room in a
    /// client's queue; a reply that cannot be delivered at once is dropped
    /// and counted ([`ServerStats::dropped_replies`]).
    #[must_use]
    #[deprecated(note = "replies are sent without waiting; a reply that does not fit is dropped")]
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// How often a stop sends again the wake-ups it could not send at once
    /// (default 250 ms): only when the socket's queue is full, which a stop
    /// normally never meets. Serving threads never wake up on their own.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Drops, unanswered and unrun, a request that waited in the socket's
    /// queue longer than `age` before a serving thread read it (default:
    /// none is dropped), counting it as
    /// [expired](ServerStats::expired). Set it to the callers' timeout
    /// (a [`Client`](super::Client)'s is 5 s by default): a request older
    /// than that has no caller waiting any more, so running it would only
    /// delay the requests behind it, as a flood does.
    ///
    /// ProcsLink's format carries no deadline or send time, and the kernel
    /// stamps datagrams only through ancillary data this crate does not
    /// read; the age is measured instead with numbered marker datagrams
    /// the server sends itself, one per quarter of `age` while requests
    /// keep arriving: a request read before a marker sent at `t` arrived
    /// before `t`. So the age is underestimated by at most a quarter of
    /// `age`, never overestimated, and costs nothing while it is off.
    ///
    /// ```
    /// use std::time::Duration;
    /// use procslink::peer::ServerOptions;
    /// let opts = ServerOptions::new().max_queue_age(Duration::from_secs(5));
    /// assert_eq!(opts.get_max_queue_age(), Some(Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn max_queue_age(mut self, age: Duration) -> Self {
        self.max_queue_age = Some(age.max(Duration::from_millis(4)));
        self
    }

    /// The queue age limit, if any.
    pub fn get_max_queue_age(&self) -> Option<Duration> {
        self.max_queue_age
    }

    /// Limits how long a handler may run, on a server run by
    /// [`Server::spawn`] (default: no limit). When a handler runs longer, a
    /// watchdog answers its caller [`HANDLER_TIMEOUT`](super::HANDLER_TIMEOUT)
    /// (-32002 "Handler timed out", the limit in `data`) and starts a
    /// serving thread in place of the stuck one, so the server goes on
    /// serving with as many threads; the stuck thread leaves when its
    /// handler returns, its result discarded (or is left detached by a
    /// stop, see [`stop_timeout`](Self::stop_timeout)). Counted as
    /// [`ServerStats::handler_timeouts`]. In a batch, the answer is the
    /// error for the request that was running, alone. A handler cannot be
    /// interrupted: one that never returns keeps its thread.
    #[must_use]
    pub fn handler_timeout(mut self, limit: Duration) -> Self {
        self.handler_timeout = Some(limit.max(Duration::from_millis(1)));
        self
    }

    /// Runs at most `n` handlers of one sender at a time (default: no
    /// limit); a request beyond that is answered at once
    /// [`SERVER_BUSY`](super::SERVER_BUSY) (-32003 "Server busy") without
    /// running, counted as [`ServerStats::busy`]. A sender is its uid when
    /// the server receives credentials ([`allow_uid`](Self::allow_uid),
    /// [`pass_credentials`](Self::pass_credentials)), so that all the
    /// sockets of one user count together, else its address. With more
    /// serving threads than `n`, a sender that floods the server with slow
    /// requests holds at most `n` threads, and the others keep serving
    /// everyone else.
    #[must_use]
    pub fn max_per_sender(mut self, n: usize) -> Self {
        self.max_per_sender = Some(n.max(1));
        self
    }

    /// How long [`ServerHandle::stop`] waits for the serving threads
    /// (default 5 s): a thread still running a handler then is left
    /// detached and counted ([`ServerStats::detached`]); it keeps the
    /// socket open until its handler returns.
    #[must_use]
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }
}

#[derive(Default)]
struct Counters {
    served: AtomicU64,
    malformed: AtomicU64,
    spoofed: AtomicU64,
    denied: AtomicU64,
    panics: AtomicU64,
    ignored: AtomicU64,
    send_errors: AtomicU64,
    dropped_replies: AtomicU64,
    overruns: AtomicU64,
    expired: AtomicU64,
    busy: AtomicU64,
    handler_timeouts: AtomicU64,
    detached: AtomicU64,
}

/// What a server has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Requests and notifications dispatched (each batch element counts),
    /// including those answered -32601 or denied.
    pub served: u64,
    /// Datagrams, or batch elements, rejected as malformed: bad framing,
    /// wrong payload type, oversized, not JSON, not a valid request.
    pub malformed: u64,
    /// Netlink datagrams whose `nlmsg_pid` was 0 or not the sender's port.
    pub spoofed: u64,
    /// Datagrams from senders outside the uid allow-list (or without
    /// credentials while there is one).
    pub denied: u64,
    /// Handlers that panicked.
    pub panics: u64,
    /// Datagrams from the kernel (port 0) or from the server itself.
    pub ignored: u64,
    /// Replies that could not be sent for another reason than a full
    /// queue (the client is gone, an unnamed Unix sender).
    pub send_errors: u64,
    /// Replies dropped because the client's receive queue had no room for
    /// them at once: the server never waits for a client to read.
    pub dropped_replies: u64,
    /// Times the kernel reported dropped datagrams (receive queue full).
    pub overruns: u64,
    /// Requests dropped unrun because they waited in the queue longer than
    /// [`ServerOptions::max_queue_age`].
    pub expired: u64,
    /// Requests answered [`SERVER_BUSY`](super::SERVER_BUSY) because their
    /// sender had [`ServerOptions::max_per_sender`] handlers running.
    pub busy: u64,
    /// Handlers that ran longer than [`ServerOptions::handler_timeout`].
    pub handler_timeouts: u64,
    /// Serving threads a stop left running, stuck in a handler.
    pub detached: u64,
}

struct Shared {
    socket: Socket,
    methods: Methods,
    options: ServerOptions,
    counters: Counters,
    stop: AtomicBool,
    /// Threads inside [`Server::serve`]: how many wake-ups a stop sends.
    serving: AtomicUsize,
    /// The requests served by each thread inside [`Server::serve`], which
    /// counts its own without a locked instruction; a thread that leaves
    /// adds its count to `counters.served`.
    served_by: Mutex<Vec<Arc<AtomicU64>>>,
    /// What each thread inside [`Server::serve`] is running.
    watches: Mutex<Vec<Arc<Watch>>>,
    /// Threads the watchdog started in place of stuck ones.
    spares: Mutex<Vec<JoinHandle<io::Result<()>>>>,
    ages: Option<QueueAges>,
    per_sender: Option<PerSender>,
    unlink: Option<PathBuf>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(path) = &self.unlink {
            // The socket file goes with the server; someone may have removed
            // it already.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A bound server: a socket plus the [`Methods`] it serves.
///
/// [`serve`](Self::serve) runs the loop on the calling thread until a
/// [`Stopper`] stops it; [`spawn`](Self::spawn) runs it on
/// [`ServerOptions::threads`] threads and returns a [`ServerHandle`].
/// Dropping the last reference closes the socket and, for a Unix server
/// bound to a path, removes the socket file.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address())
            .field("methods", &self.shared.methods)
            .finish()
    }
}

impl Server {
    /// A server on a new `NETLINK_USERSOCK` socket (port chosen by the
    /// kernel; see [`port`](Self::port)).
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed.
    pub fn bind_netlink(methods: Methods, options: ServerOptions) -> io::Result<Server> {
        Server::new(
            Socket::Netlink(NetlinkSocket::open()?),
            methods,
            options,
            None,
        )
    }

    /// A server on a Unix datagram socket bound to `addr` (a path or an
    /// abstract name). A path is removed when the server is dropped; a
    /// stale socket file at `addr` makes this fail with `AddrInUse`.
    ///
    /// # Errors
    ///
    /// Binding or configuring the socket failed.
    pub fn bind_unix(
        addr: impl Into<UnixAddr>,
        methods: Methods,
        options: ServerOptions,
    ) -> io::Result<Server> {
        let addr = addr.into();
        let socket = UnixDatagram::bind(&addr)?;
        let unlink = match &addr {
            UnixAddr::Path(p) => Some(p.clone()),
            _ => None,
        };
        Server::new(Socket::Unix(socket), methods, options, unlink)
    }

    fn new(
        socket: Socket,
        methods: Methods,
        options: ServerOptions,
        unlink: Option<PathBuf>,
    ) -> io::Result<Server> {
        let ages = options.max_queue_age.map(QueueAges::new);
        let per_sender = options.max_per_sender.map(PerSender::new);
        let shared = Arc::new(Shared {
            socket,
            methods,
            options,
            counters: Counters::default(),
            stop: AtomicBool::new(false),
            serving: AtomicUsize::new(0),
            served_by: Mutex::new(Vec::new()),
            watches: Mutex::new(Vec::new()),
            spares: Mutex::new(Vec::new()),
            ages,
            per_sender,
            unlink,
        });
        let s = &shared.socket;
        let o = &shared.options;
        if o.allow_uids.is_some() || o.pass_credentials {
            s.set_passcred(true)?;
        }
        if let Some(bytes) = o.recv_buffer {
            s.set_recv_buffer_size(bytes)?;
        }
        Ok(Server { shared })
    }

    /// The server's address.
    pub fn address(&self) -> Address {
        self.shared.socket.local()
    }

    /// The netlink port id, for a netlink server.
    pub fn port(&self) -> Option<u32> {
        self.address().port()
    }

    /// The counters so far.
    pub fn stats(&self) -> ServerStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let served = {
            let by_thread = self.shared.served_by();
            get(&c.served) + by_thread.iter().map(|n| get(n)).sum::<u64>()
        };
        ServerStats {
            served,
            malformed: get(&c.malformed),
            spoofed: get(&c.spoofed),
            denied: get(&c.denied),
            panics: get(&c.panics),
            ignored: get(&c.ignored),
            send_errors: get(&c.send_errors),
            dropped_replies: get(&c.dropped_replies),
            overruns: get(&c.overruns),
            expired: get(&c.expired),
            busy: get(&c.busy),
            handler_timeouts: get(&c.handler_timeouts),
            detached: get(&c.detached),
        }
    }

    /// A handle that stops this server's loops from any thread.
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        Stopper {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves on the calling thread until stopped. Bad input never ends the
    /// loop; it is answered where possible and counted.
    ///
    /// # Errors
    ///
    /// A receive failure that is not a timeout or an overrun (the socket is
    /// unusable).
    pub fn serve(&self) -> io::Result<()> {
        let shared = &*self.shared;
        // Counted before the stop flag is read, and the flag set before a
        // stop reads the count (both sequentially consistent), so a thread
        // a stop does not count sees the flag and never blocks.
        shared.serving.fetch_add(1, Ordering::SeqCst);
        let served = Arc::new(AtomicU64::new(0));
        shared.served_by().push(Arc::clone(&served));
        let watch = Arc::new(Watch::default());
        lock(&shared.watches).push(Arc::clone(&watch));
        let _counted = Serving {
            shared,
            served: Arc::clone(&served),
            watch: Arc::clone(&watch),
        };
        let credentials = shared.wants_credentials();
        let Buffers { mut recv, mut out } =
            Buffers::new(shared.options.max_datagram, served, watch);
        while !shared.stop.load(Ordering::SeqCst) {
            // No receive timeout (a timer per receive costs the round trip
            // about 40 ns): a stop wakes this thread with a datagram.
            match shared.socket.recv_into(&mut recv, credentials) {
                Ok(info) => {
                    if shared.stop.load(Ordering::Acquire) {
                        break;
                    }
                    let data = info.data(&recv);
                    shared.handle(data, info, &mut out);
                    if out.abandoned {
                        // The watchdog answered for this thread and started
                        // another in its place.
                        break;
                    }
                }
                Err(e) if is_timeout(&e) => {}
                Err(e) if is_overrun(&e) => bump(&shared.counters.overruns),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Serves on [`ServerOptions::threads`] new threads.
    ///
    /// # Errors
    ///
    /// A thread could not be started (those started are stopped again).
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let mut handle = ServerHandle {
            server: self.clone(),
            threads: Vec::new(),
            watchdog: None,
        };
        for i in 0..self.shared.options.threads {
            let server = self.clone();
            let thread = std::thread::Builder::new()
                .name(format!("procslink-serve-{i}"))
                .spawn(move || server.serve())?;
            handle.threads.push(thread);
        }
        if let Some(limit) = self.shared.options.handler_timeout {
            let server = self.clone();
            let thread = std::thread::Builder::new()
                .name("procslink-watchdog".into())
                .spawn(move || server.watchdog(limit))?;
            handle.watchdog = Some(thread);
        }
        Ok(handle)
    }

    /// Until the server stops, answers the callers of handlers that run
    /// longer than `limit` and starts a serving thread in place of each.
    fn watchdog(&self, limit: Duration) {
        let shared = &*self.shared;
        let tick = (limit / 4).clamp(Duration::from_millis(1), Duration::from_millis(50));
        while !shared.stop.load(Ordering::SeqCst) {
            std::thread::sleep(tick);
            let watches = lock(&shared.watches).clone();
            for watch in watches {
                let Some(overdue) = watch.overdue(limit) else {
                    continue;
                };
                bump(&shared.counters.handler_timeouts);
                shared.answer_overdue(&overdue, limit);
                if shared.stop.load(Ordering::SeqCst) {
                    continue;
                }
                let server = self.clone();
                let spare = std::thread::Builder::new()
                    .name("procslink-serve".into())
                    .spawn(move || server.serve());
                // Without a new thread the others go on serving.
                if let Ok(spare) = spare {
                    lock(&shared.spares).push(spare);
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops a [`Server`]'s loops: sets the stop flag and wakes every serving
/// thread at once, with one one-byte datagram to the server's own socket
/// per thread in [`Server::serve`]. A wake-up that cannot be sent (the
/// socket's queue is full, so the threads are busy reading it) is sent
/// again every [`ServerOptions::poll_interval`] until no thread serves.
#[derive(Clone)]
pub struct Stopper {
    shared: Arc<Shared>,
}

impl fmt::Debug for Stopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stopper")
            .field("address", &self.shared.socket.local())
            .finish()
    }
}

impl Stopper {
    /// Asks the loops to stop; returns at once.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if !self.shared.wake_serving() {
            let shared = Arc::clone(&self.shared);
            let retry = move || {
                while shared.serving.load(Ordering::SeqCst) > 0 {
                    std::thread::sleep(shared.options.poll_interval);
                    shared.wake_serving();
                }
            };
            let spawned = std::thread::Builder::new()
                .name("procslink-stop".into())
                .spawn(retry.clone());
            if spawned.is_err() {
                retry();
            }
        }
    }
}

/// Serving threads started by [`Server::spawn`]. Dropping it stops and
/// joins them.
#[derive(Debug)]
#[must_use = "dropping the handle stops the server and joins its threads"]
pub struct ServerHandle {
    server: Server,
    threads: Vec<JoinHandle<io::Result<()>>>,
    watchdog: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The server's address.
    pub fn address(&self) -> Address {
        self.server.address()
    }

    /// The netlink port id, for a netlink server.
    pub fn port(&self) -> Option<u32> {
        self.server.port()
    }

    /// The counters so far.
    pub fn stats(&self) -> ServerStats {
        self.server.stats()
    }

    /// Stops the threads, waits for them at most
    /// [`ServerOptions::stop_timeout`] and returns the final counters: a
    /// thread stuck in a handler then is left detached and counted
    /// ([`ServerStats::detached`]).
    ///
    /// # Errors
    ///
    /// The first error a serving thread ended with (or a panic in the loop,
    /// which would be a bug).
    pub fn stop(mut self) -> io::Result<ServerStats> {
        self.shutdown()?;
        Ok(self.server.stats())
    }

    fn shutdown(&mut self) -> io::Result<()> {
        self.server.stopper().stop();
        let shared = &*self.server.shared;
        let deadline = Instant::now() + shared.options.stop_timeout;
        if let Some(watchdog) = self.watchdog.take() {
            // It looks at the stop flag every few milliseconds.
            let _ = watchdog.join();
        }
        let mut threads: Vec<_> = self.threads.drain(..).collect();
        threads.append(&mut lock(&shared.spares));
        let mut result = Ok(());
        for t in threads {
            let mut pause = Duration::from_micros(100);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            if !t.is_finished() {
                // Stuck in a handler: dropping the handle detaches it.
                bump(&shared.counters.detached);
                continue;
            }
            let r = t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a serving thread panicked")));
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// What a request brings besides its text.
struct Context {
    request: RequestContext,
    denied: bool,
}

/// A serving thread's buffers, allocated once and reused for every
/// datagram.
struct Buffers {
    /// Where datagrams are received.
    recv: Vec<u8>,
    /// Where the response is built.
    out: Out,
}

impl Buffers {
    fn new(max_datagram: usize, served: Arc<AtomicU64>, watch: Arc<Watch>) -> Self {
        Buffers {
            recv: vec![0; max_datagram],
            out: Out {
                datagram: vec![0; max_datagram],
                text: String::with_capacity(256),
                result: String::with_capacity(256),
                fds: Vec::new(),
                served,
                watch,
                abandoned: false,
            },
        }
    }
}

/// The response being built: its JSON text goes straight into `datagram`
/// after the headers.
struct Out {
    datagram: Vec<u8>,
    /// Scratch for a result's or error data's JSON text.
    text: String,
    /// What a raw handler wrote.
    result: String,
    /// The requests this thread served (only it changes the count).
    served: Arc<AtomicU64>,
    /// Descriptors to send with the response.
    fds: Vec<OwnedFd>,
    /// What this thread runs, for the watchdog.
    watch: Arc<Watch>,
    /// The watchdog gave up on this thread: nothing more is run or sent.
    abandoned: bool,
}

impl Out {
    /// Writes the response to `id` as the datagram's payload; its length.
    fn response(&mut self, id: &Id<'_>, outcome: Result<&Value, RpcError>, style: Style) -> usize {
        encode_response_at(
            id,
            outcome,
            style,
            &mut self.text,
            &mut self.datagram,
            PROCSLINK_OVERHEAD,
        )
    }

    /// Writes the response to `id` whose result a raw handler wrote into
    /// `self.result`; its length.
    fn written_response(&mut self, id: &Id<'_>, style: Style) -> usize {
        let response = Response::result(*id, ResultText::json(&self.result));
        encode_at(&response, style, &mut self.datagram, PROCSLINK_OVERHEAD)
    }

    fn payload(&self, len: usize) -> &[u8] {
        self.datagram
            .get(PROCSLINK_OVERHEAD..PROCSLINK_OVERHEAD + len)
            .unwrap_or_default()
    }
}

/// Counts a thread out of [`Server::serve`] however it leaves, adding the
/// requests it served to the server's count.
struct Serving<'a> {
    shared: &'a Shared,
    served: Arc<AtomicU64>,
    watch: Arc<Watch>,
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        let mut by_thread = self.shared.served_by();
        let n = self.served.load(Ordering::Relaxed);
        self.shared.counters.served.fetch_add(n, Ordering::Relaxed);
        by_thread.retain(|c| !Arc::ptr_eq(c, &self.served));
        drop(by_thread);
        lock(&self.shared.watches).retain(|w| !Arc::ptr_eq(w, &self.watch));
        self.shared.serving.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    fn served_by(&self) -> MutexGuard<'_, Vec<Arc<AtomicU64>>> {
        self.served_by.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends one wake-up per serving thread; whether all could be sent.
    fn wake_serving(&self) -> bool {
        let threads = self.serving.load(Ordering::SeqCst);
        (0..threads).all(|_| self.socket.wake().is_ok())
    }

    fn wants_credentials(&self) -> bool {
        self.options.allow_uids.is_some() || self.options.pass_credentials
    }

    fn handle(&self, data: &[u8], info: RecvInfo, out: &mut Out) {
        let RecvInfo {
            len,
            from,
            credentials,
            fds,
            control_truncated,
        } = info;
        out.fds.clear();
        if from.as_ref().is_some_and(|f| self.socket.is_local(f)) {
            if !self.ages.as_ref().is_some_and(|a| a.marker_read(data)) {
                bump(&self.counters.ignored);
            }
            return;
        }
        if from == Some(Address::Netlink(0)) {
            bump(&self.counters.ignored);
            return;
        }
        if self.ages.as_ref().is_some_and(|a| a.expired(&self.socket)) {
            // Its caller has given up: running it would only delay others.
            bump(&self.counters.expired);
            return;
        }
        if self.socket.is_netlink() && self.options.check_pid && data.len() >= 16 {
            let claimed = data
                .get(12..16)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_be_bytes);
            if claimed == 0 || from.as_ref().and_then(Address::port) != Some(claimed) {
                bump(&self.counters.spoofed);
                return;
            }
        }
        let denied = self
            .options
            .allow_uids
            .as_ref()
            .is_some_and(|set| !credentials.is_some_and(|c| set.contains(&c.uid)));
        if denied {
            bump(&self.counters.denied);
        }
        let max = self.options.max_datagram;
        if len > data.len() {
            return self.framing_error(
                from,
                format!("datagram of {len} bytes exceeds the {max}-byte limit"),
                out,
            );
        }
        if control_truncated {
            return self.framing_error(
                from,
                "ancillary data truncated (MSG_CTRUNC)".to_string(),
                out,
            );
        }
        let datagram = match Datagram::parse_with_limit(data, max) {
            Ok(d) => d,
            Err(e) => {
                return self.framing_error(from, format!("bad ProcsLink datagram: {e}"), out);
            }
        };
        match datagram.payload_type() {
            PayloadType::JSONRPC_REQUEST => {}
            PayloadType::JSONRPC_RESPONSE => {
                // Never answer a response: two peers would bounce errors
                // forever.
                bump(&self.counters.malformed);
                return;
            }
            other => {
                return self.framing_error(
                    from,
                    format!("payload type {} is not a JSON-RPC request", other.0),
                    out,
                );
            }
        }
        let mut ctx = Context {
            request: RequestContext {
                sender: from,
                credentials,
                fds,
            },
            denied,
        };
        if let Some(n) = self.dispatch(datagram.payload(), &mut ctx, out) {
            self.send(ctx.request.sender, n, out);
        }
    }

    fn framing_error(&self, to: Option<Address>, detail: String, out: &mut Out) {
        bump(&self.counters.malformed);
        let error = RpcError::invalid_request().with_data(detail);
        let n = out.response(&Id::Null, Err(error), self.options.style);
        self.send(to, n, out);
    }

    /// Serves one request text; the length of the response written into
    /// `out`, unless there is none to send.
    fn dispatch(&self, payload: &[u8], ctx: &mut Context, out: &mut Out) -> Option<usize> {
        let mut notes = Notes::default();
        match Decoder::new().parse_noting(payload, &mut notes) {
            Err(e) => {
                bump(&self.counters.malformed);
                let error = RpcError::standard(ErrorCode::from_error(&e));
                Some(self.single(&Id::Null, Err(error), out))
            }
            Ok(Incoming::Single(Message::Request(req))) => self.run(&req, Some(notes), ctx, out),
            Ok(Incoming::Single(Message::Response(_))) => {
                bump(&self.counters.malformed);
                Some(self.single(&Id::Null, Err(RpcError::invalid_request()), out))
            }
            Ok(Incoming::Batch(batch)) => self.batch(&batch, ctx, out),
        }
    }

    fn batch(&self, batch: &Batch<'_>, ctx: &mut Context, out: &mut Out) -> Option<usize> {
        let separator = self.options.style.separator().as_bytes();
        // Each response is written into the datagram, then appended here.
        let mut text = vec![b'['];
        for element in batch.iter() {
            let n = match element {
                Ok(Message::Request(req)) => self.run(&req, None, ctx, out),
                Ok(Message::Response(_)) | Err(_) => {
                    bump(&self.counters.malformed);
                    Some(self.single(&Id::Null, Err(RpcError::invalid_request()), out))
                }
            };
            if let Some(n) = n {
                if text.len() > 1 {
                    text.extend_from_slice(separator);
                }
                text.extend_from_slice(out.payload(n));
            }
        }
        if text.len() == 1 {
            return None;
        }
        text.push(b']');
        if PROCSLINK_OVERHEAD + text.len() > self.options.max_datagram {
            out.fds.clear();
            return Some(self.single(&Id::Null, Err(self.too_large(text.len())), out));
        }
        let end = PROCSLINK_OVERHEAD + text.len();
        if out.datagram.len() < end {
            out.datagram.resize(end, 0);
        }
        if let Some(dst) = out.datagram.get_mut(PROCSLINK_OVERHEAD..end) {
            dst.copy_from_slice(&text);
        }
        Some(text.len())
    }

    /// Runs one request, with what decoding it noted about its params
    /// (`None` in a batch); the length of its response written into `out`
    /// (with the handler's descriptors added to `out.fds`), unless it is a
    /// notification.
    fn run(
        &self,
        req: &Request<'_>,
        notes: Option<Notes>,
        ctx: &mut Context,
        out: &mut Out,
    ) -> Option<usize> {
        if out.abandoned {
            return None;
        }
        bump_exclusive(&out.served);
        let outcome = if ctx.denied {
            Err(RpcError::permission_denied())
        } else {
            let method: std::borrow::Cow<'_, str> = match req.method.as_unescaped() {
                Some(m) => m.into(),
                None => req.method.chars().collect::<String>().into(),
            };
            let running = match (&self.per_sender, self.methods.get(&method)) {
                (Some(limits), Some(_)) => {
                    let key = match (&ctx.request.credentials, &ctx.request.sender) {
                        (Some(c), _) => Some(SenderKey::Uid(c.uid)),
                        (None, Some(a)) => Some(SenderKey::Address(a.clone())),
                        (None, None) => None,
                    };
                    key.map(|key| limits.enter(key))
                }
                _ => None,
            };
            match self.methods.get(&method) {
                _ if matches!(running, Some(None)) => {
                    bump(&self.counters.busy);
                    Err(RpcError::new(SERVER_BUSY, "Server busy"))
                }
                None => Err(RpcError::method_not_found()),
                Some(handler) if self.options.handler_timeout.is_some() => {
                    out.watch.start(ctx.request.sender.clone(), req.id.as_ref());
                    let outcome = self.invoke(handler, req, notes, ctx, &mut out.result);
                    if out.watch.finish() {
                        out.abandoned = true;
                        return None;
                    }
                    outcome
                }
                Some(handler) => self.invoke(handler, req, notes, ctx, &mut out.result),
            }
        };
        let id = req.id?;
        Some(match outcome {
            Ok(Some(reply)) => {
                let n = self.single(&id, Ok(&reply.value), out);
                out.fds.extend(reply.fds);
                n
            }
            Ok(None) => {
                let n = out.written_response(&id, self.options.style);
                self.fitting(&id, n, out)
            }
            Err(e) => self.single(&id, Err(e), out),
        })
    }

    fn invoke(
        &self,
        handler: &Arc<Handler>,
        req: &Request<'_>,
        notes: Option<Notes>,
        ctx: &mut Context,
        result: &mut String,
    ) -> Result<Option<Reply>, RpcError> {
        let params = match (req.params, notes) {
            (None, _) => Params::from_value(None),
            (Some(p), Some(notes)) => Params::from_noted(p.raw(), notes)?,
            (Some(p), None) => Params::from_raw(p.raw())?,
        };
        let params = params.with_context(&mut ctx.request);
        let mut out = ResultText::new(result, self.options.style);
        let outcome = catch_unwind(AssertUnwindSafe(|| handler(params, &mut out)));
        // The descriptors the handler left are closed now; later requests
        // of a batch get none.
        ctx.request.fds.clear();
        match outcome {
            Ok(r) => r,
            Err(panic) => {
                bump(&self.counters.panics);
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                Err(RpcError::internal(format_args!("handler panicked: {text}")))
            }
        }
    }

    fn too_large(&self, len: usize) -> RpcError {
        RpcError::internal(format_args!(
            "response of {} bytes exceeds the {}-byte datagram limit",
            PROCSLINK_OVERHEAD + len,
            self.options.max_datagram
        ))
    }

    /// One response written into `out`, replaced by -32603 if it would not
    /// fit a datagram; its length.
    fn single(&self, id: &Id<'_>, outcome: Result<&Value, RpcError>, out: &mut Out) -> usize {
        let n = out.response(id, outcome, self.options.style);
        self.fitting(id, n, out)
    }

    /// `n`, the length of the response to `id` written into `out`, unless
    /// it would not fit a datagram: then that of -32603 written instead.
    fn fitting(&self, id: &Id<'_>, n: usize, out: &mut Out) -> usize {
        if PROCSLINK_OVERHEAD + n <= self.options.max_datagram {
            return n;
        }
        out.response(id, Err(self.too_large(n)), self.options.style)
    }

    /// Sends the response of `len` bytes in `out` (and `out.fds`) to `to`.
    fn send(&self, to: Option<Address>, len: usize, out: &mut Out) {
        if out.abandoned {
            out.fds.clear();
            return;
        }
        let Some(to) = to else {
            // An unnamed Unix sender cannot be answered.
            bump(&self.counters.send_errors);
            out.fds.clear();
            return;
        };
        let sent = DatagramRepr::response(self.socket.nlmsg_pid())
            .emit_header(len, &mut out.datagram)
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|n| {
                let datagram = out.datagram.get(..n).unwrap_or_default();
                // Never waits for room in the client's queue: a client that
                // does not read loses its own replies and delays no one.
                if out.fds.is_empty() {
                    return self.socket.send(&to, datagram, &[], true);
                }
                let fds: Vec<_> = out.fds.iter().map(AsFd::as_fd).collect();
                self.socket.send(&to, datagram, &fds, true)
            });
        // Sent or not, the descriptors are closed here.
        out.fds.clear();
        match sent {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                bump(&self.counters.dropped_replies);
            }
            Err(_) => bump(&self.counters.send_errors),
        }
    }
}

impl Shared {
    /// Answers the caller of a handler that ran longer than `limit`
    /// [`HANDLER_TIMEOUT`], without waiting for room in its queue.
    fn answer_overdue(&self, overdue: &InHandler, limit: Duration) {
        let Some(to) = &overdue.to else {
            return;
        };
        let error = RpcError::new(HANDLER_TIMEOUT, "Handler timed out").with_data(format!(
            "the handler ran longer than the server's limit of {} ms",
            limit.as_millis()
        ));
        let (mut text, mut datagram) = (String::new(), vec![0; 256]);
        let style = self.options.style;
        let Some(n) = overdue.with_id(|id| {
            encode_response_at(
                id,
                Err(error),
                style,
                &mut text,
                &mut datagram,
                PROCSLINK_OVERHEAD,
            )
        }) else {
            return; // a notification: no one waits
        };
        let Ok(len) = DatagramRepr::response(self.socket.nlmsg_pid()).emit_header(n, &mut datagram)
        else {
            return;
        };
        let bytes = datagram.get(..len).unwrap_or_default();
        match self.socket.send(to, bytes, &[], true) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => bump(&self.counters.dropped_replies),
            Err(_) => bump(&self.counters.send_errors),
        }
    }
}

/// Encodes a response with the codec into `out` from byte `at` on (growing
/// `out` if needed), the result and error data written into `text` first;
/// returns the response's length.
fn encode_response_at(
    id: &Id<'_>,
    outcome: Result<&Value, RpcError>,
    style: Style,
    text: &mut String,
    out: &mut Vec<u8>,
    at: usize,
) -> usize {
    let (value, error) = match &outcome {
        Ok(v) => (Some(*v), None),
        Err(e) => (e.data.as_ref(), Some(e)),
    };
    let raw = value.map(|v| write_raw(v, style, MAX_DEPTH_LIMIT, text));
    let response = match (error, raw) {
        (None, Some(Some(raw))) => Response::result(*id, raw),
        (Some(e), raw) => {
            let mut object = ErrorObject::new(e.code, e.message.as_str());
            if let Some(Some(raw)) = raw {
                object = object.with_data(raw);
            }
            Response::error(*id, object)
        }
        (None, _) => Response::error(
            *id,
            ErrorObject::new(ErrorCode::INTERNAL_ERROR, "Internal error").with_data(
                RawValue::parse("\"result nested too deeply\"").unwrap_or(RawValue::NULL),
            ),
        ),
    };
    encode_at(&response, style, out, at)
}

/// Encodes `response` into `out` from byte `at` on, growing `out` if
/// needed; its length.
fn encode_at(response: &Response<'_>, style: Style, out: &mut Vec<u8>, at: usize) -> usize {
    let encode = |out: &mut Vec<u8>| response.encode(out.get_mut(at..).unwrap_or_default(), style);
    match encode(out) {
        Ok(n) => n,
        Err(e) => match e.kind() {
            ErrorKind::BufferTooSmall { needed } => {
                out.resize(at + needed, 0);
                encode(out).unwrap_or(0)
            }
            _ => 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{FEW_METHODS, Methods};
    use crate::peer::Params;
    use serde_json::json;
    use std::prelude::rust_2024::*;

    #[test]
    fn methods_are_found_by_name_however_many_there_are() {
        let mut methods = Methods::new();
        for n in 0..3 * FEW_METHODS {
            // Names of one length, and a prefix of another.
            let name = format!("m{n:03}");
            methods.add(name.clone(), move |_: Params| Ok(json!(n)));
            methods.add(format!("{name}x"), move |_: Params| Ok(json!(-1)));
            for m in 0..=n {
                let got = methods.call(&format!("m{m:03}"), Params::from_value(None));
                assert_eq!(got.unwrap().value, json!(m), "{m} of {n}");
            }
            assert!(!methods.contains(&format!("m{:03}", n + 1)));
            assert!(!methods.contains("m"));
        }
        // Binding a name again replaces its handler (with the index here,
        // without it in `few` below).
        for n in [1, 2 * FEW_METHODS] {
            methods.add(format!("m{n:03}"), |_: Params| Ok(json!("again")));
            let got = methods.call(&format!("m{n:03}"), Params::from_value(None));
            assert_eq!(got.unwrap().value, json!("again"));
        }
        assert_eq!(methods.names().count(), 6 * FEW_METHODS);
        let mut few = Methods::new();
        few.add("a", |_: Params| Ok(json!(1)));
        few.add("a", |_: Params| Ok(json!(2)));
        assert_eq!(few.names().collect::<Vec<_>>(), ["a"]);
        assert_eq!(
            few.call("a", Params::from_value(None)).unwrap().value,
            json!(2)
        );
        assert_eq!(
            few.call("b", Params::from_value(None)).unwrap_err().code.0,
            -32601
        );
    }
}
