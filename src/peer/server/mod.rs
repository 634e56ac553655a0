//! The serving side: [`Methods`], [`ServerOptions`], [`Server`] and
//! [`ServerHandle`].
//!
//! - `methods`, `options`, `stats`: [`Methods`], [`ServerOptions`] and
//!   [`ServerStats`];
//! - `dispatch`: serving one datagram: its sender and framing checked, its
//!   request or batch run;
//! - `reply`: writing responses and sending them.

mod dater;
mod dispatch;
mod methods;
mod options;
mod reply;
mod seqpacket;
mod stats;
mod userns;

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::bump;
use super::limits::{PerSender, QueueAges, Watch};
use super::socket::{Address, NetlinkSocket, SocketOptions, UnixAddr, UnixDatagram, is_overrun};
use super::transport::{Framing, Socket, is_timeout};

use dispatch::Buffers;
use stats::Counters;

pub use methods::Methods;
pub use options::ServerOptions;
pub use seqpacket::{SeqpacketServer, SeqpacketServerHandle};
pub use stats::ServerStats;

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
    /// Serving threads inside a handler, counted only when `ages` is set.
    in_handlers: AtomicUsize,
    /// The thread that dates the queue while every serving thread is in a
    /// handler, when `ages` is set.
    dater: Mutex<dater::Dater>,
    per_sender: Option<PerSender>,
    unlink: Option<PathBuf>,
    /// The uid the kernel reports for senders whose uid has no mapping in
    /// the server's user namespace, when the server runs in one and the
    /// allow-list must not admit it.
    overflow_uid: Option<u32>,
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
        Server::bind_unix_framed(addr.into(), Framing::ProcsLink, methods, options)
    }

    /// A server of osbuild's jsoncomm profile on a Unix datagram socket
    /// bound to `addr`: each datagram is one bare JSON-RPC document (UTF-8
    /// text, no header), answered the same way, with descriptors passed as
    /// `SCM_RIGHTS` as on [`bind_unix`](Self::bind_unix). Everything else
    /// (dispatch, threads, limits, credentials, removing the path when
    /// dropped) is as there, [`ServerOptions::max_datagram`] (4096 bytes
    /// by default) included: raise it for larger documents. A
    /// ProcsLink-framed datagram is answered -32600 saying so.
    ///
    /// ```
    /// use procslink::peer::{Client, Server, ServerOptions, UnixAddr, demo};
    /// use serde_json::json;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let addr = UnixAddr::abstract_name(format!("procslink-doc-jsoncomm-{}", std::process::id()));
    /// let server = Server::bind_jsoncomm(addr.clone(), demo::methods(), ServerOptions::new())?.spawn()?;
    /// let client = Client::jsoncomm()?;
    /// assert_eq!(client.call(addr, "add", json!([2, 40]))?, json!(42));
    /// server.stop()?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Binding or configuring the socket failed.
    pub fn bind_jsoncomm(
        addr: impl Into<UnixAddr>,
        methods: Methods,
        options: ServerOptions,
    ) -> io::Result<Server> {
        Server::bind_unix_framed(addr.into(), Framing::Bare, methods, options)
    }

    fn bind_unix_framed(
        addr: UnixAddr,
        framing: Framing,
        methods: Methods,
        options: ServerOptions,
    ) -> io::Result<Server> {
        let socket = UnixDatagram::bind(&addr)?;
        let unlink = match &addr {
            UnixAddr::Path(p) => Some(p.clone()),
            _ => None,
        };
        Server::new(Socket::Unix(socket, framing), methods, options, unlink)
    }

    fn new(
        socket: Socket,
        methods: Methods,
        options: ServerOptions,
        unlink: Option<PathBuf>,
    ) -> io::Result<Server> {
        let ages = options.max_queue_age.map(QueueAges::new);
        let per_sender = options.max_per_sender.map(PerSender::new);
        let options_overflow = options.allow_uids.is_some() && !options.admit_overflow_uid;
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
            in_handlers: AtomicUsize::new(0),
            dater: Mutex::default(),
            per_sender,
            unlink,
            overflow_uid: options_overflow.then(userns::overflow_uid).flatten(),
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
        let _dated = self.dated()?;
        let credentials = shared.wants_credentials();
        let Buffers { mut recv, mut out } = Buffers::new(
            shared.options.max_datagram,
            shared.socket.framing(),
            served,
            watch,
        );
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
                // A connection's client left (or a stop shut it down).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
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
