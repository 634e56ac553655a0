//! The broker: serves this machine's rtnetlink to pyroute2 clients.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::endpoint::{Endpoint, Listener, Stream};
use super::session::Session;
use super::{RemoteError, random_u32};
use crate::envmsg::EnvelopeFormat;

/// How a [`RemoteServer`] serves.
///
/// ```
/// use std::time::Duration;
/// use procslink::peer::pyroute2::ServerOptions;
///
/// let options = ServerOptions::new().max_connections(8).kernel_timeout(Duration::from_secs(2));
/// assert_eq!(options.get_max_connections(), 8);
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub(crate) format: EnvelopeFormat,
    pub(crate) max_connections: usize,
    pub(crate) kernel_timeout: Duration,
    pub(crate) max_message: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions::new()
    }
}

impl ServerOptions {
    /// pyroute2 0.2.10+'s envelopes, 64 clients at once, 5 s for the
    /// kernel to answer, reassembled requests up to 1 MiB.
    pub fn new() -> Self {
        ServerOptions {
            format: EnvelopeFormat::PortsId,
            max_connections: 64,
            kernel_timeout: Duration::from_secs(5),
            max_message: 1 << 20,
        }
    }

    /// The `envmsghdr` layout the clients speak.
    #[must_use]
    pub fn format(mut self, format: EnvelopeFormat) -> Self {
        self.format = format;
        self
    }

    /// How many clients are served at once; more are disconnected at once.
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// The limit set.
    pub fn get_max_connections(&self) -> usize {
        self.max_connections
    }

    /// How long to wait for each of the kernel's answers to a forwarded
    /// request (a request without `NLM_F_ACK` that the kernel does not
    /// answer ends when this runs out).
    #[must_use]
    pub fn kernel_timeout(mut self, timeout: Duration) -> Self {
        self.kernel_timeout = timeout;
        self
    }

    /// The largest fragmented request to reassemble (per client; reserved
    /// when a client connects, its pages committed only as written).
    #[must_use]
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }
}

/// What a server has done so far.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Clients accepted.
    pub connections: u64,
    /// Clients turned away (over [`ServerOptions::max_connections`]).
    pub turned_away: u64,
    /// Envelopes received.
    pub envelopes: u64,
    /// Control commands answered (with `IPRCMD_ACK` or `IPRCMD_ERR`).
    pub control: u64,
    /// Requests forwarded to the kernel.
    pub requests: u64,
    /// Envelopes sent back with the kernel's answers.
    pub replies: u64,
    /// Envelopes dropped for an id already seen (as pyroute2 does).
    pub duplicates: u64,
    /// Envelopes dropped as not for this broker (another `dst`, an unknown
    /// `dport`) or not understood (a malformed envelope or request, a
    /// fragment out of order).
    pub dropped: u64,
    /// Clients disconnected because their stream broke (a bad length,
    /// garbage, a truncated envelope at the end, an I/O error).
    pub broken: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connections: AtomicU64,
    pub(crate) turned_away: AtomicU64,
    pub(crate) envelopes: AtomicU64,
    pub(crate) control: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) replies: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) broken: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ServerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ServerStats {
            connections: get(&self.connections),
            turned_away: get(&self.turned_away),
            envelopes: get(&self.envelopes),
            control: get(&self.control),
            requests: get(&self.requests),
            replies: get(&self.replies),
            duplicates: get(&self.duplicates),
            dropped: get(&self.dropped),
            broken: get(&self.broken),
        }
    }
}

/// A pyroute2 broker serving this machine's rtnetlink (`NETLINK_ROUTE`),
/// as pyroute2 0.2.x's `IPRoute().serve(url)` does: a pyroute2 client
/// (`IPRoute(host=url)`) or a [`RemoteClient`](super::RemoteClient) sends
/// rtnetlink requests, each is forwarded to the kernel through a
/// [`KernelSocket`](crate::kernel::KernelSocket) of the client's session,
/// and the kernel's answers come back in envelopes.
///
/// Each client is served by a thread of its own. A client whose stream
/// breaks (a bad length, garbage) is disconnected; one whose envelope is
/// malformed, repeated or not for this broker has that envelope dropped
/// and goes on. Either way the server keeps serving.
///
/// See the [module docs](super) for an example.
#[derive(Debug)]
pub struct RemoteServer {
    listener: Listener,
    endpoint: Endpoint,
    options: ServerOptions,
    addr: u32,
}

impl RemoteServer {
    /// Listens at `url` (`tcp://HOST:PORT`, port 0 for any;
    /// `unix://PATH`) with [`ServerOptions::new`].
    pub fn bind(url: &str) -> Result<Self, RemoteError> {
        Self::bind_with(url, ServerOptions::new())
    }

    /// Listens at `url` with `options`.
    pub fn bind_with(url: &str, options: ServerOptions) -> Result<Self, RemoteError> {
        let listener = Endpoint::parse(url)?.listen()?;
        let endpoint = listener.endpoint()?;
        Ok(RemoteServer {
            listener,
            endpoint,
            options,
            addr: random_u32(),
        })
    }

    /// Where clients connect (a TCP port 0 replaced by the real one).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The broker's address, announced in its hello.
    pub fn addr(&self) -> u32 {
        self.addr
    }

    /// Starts serving on a thread of its own.
    pub fn spawn(self) -> Result<RemoteServerHandle, RemoteError> {
        let shared = Arc::new(Shared::default());
        let endpoint = self.endpoint.clone();
        let addr = self.addr;
        let thread = std::thread::Builder::new()
            .name("pyroute2-broker".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(self, &shared)
            })
            .map_err(|e| RemoteError::io("starting the server thread", e))?;
        Ok(RemoteServerHandle {
            endpoint,
            addr,
            shared,
            thread: Some(thread),
        })
    }
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    counters: Counters,
    streams: Mutex<HashMap<u64, Stream>>,
}

fn accept_loop(server: RemoteServer, shared: &Arc<Shared>) {
    let mut sessions: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id = 0u64;
    loop {
        let accepted = server.listener.accept();
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let Ok(stream) = accepted else {
            // A failed accept (a client gone before it was taken, a limit
            // on descriptors): wait a moment instead of spinning.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        sessions.retain(|s| !s.is_finished());
        if sessions.len() >= server.options.max_connections {
            Counters::bump(&shared.counters.turned_away);
            stream.shutdown();
            continue;
        }
        Counters::bump(&shared.counters.connections);
        next_id += 1;
        let id = next_id;
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.streams).insert(id, clone);
        }
        let options = server.options.clone();
        let addr = server.addr;
        let spawned = std::thread::Builder::new()
            .name("pyroute2-session".into())
            .spawn({
                let shared = Arc::clone(shared);
                move || {
                    let mut session = Session::new(stream, addr, &options, &shared.counters);
                    if session.run().is_err() {
                        Counters::bump(&shared.counters.broken);
                    }
                    lock(&shared.streams).remove(&id);
                }
            });
        match spawned {
            Ok(handle) => sessions.push(handle),
            Err(_) => {
                if let Some(s) = lock(&shared.streams).remove(&id) {
                    s.shutdown();
                }
            }
        }
    }
    for stream in lock(&shared.streams).values() {
        stream.shutdown();
    }
    for session in sessions {
        // A session that panicked has nothing more to give back.
        let _ = session.join();
    }
}

/// A running [`RemoteServer`]; stops it when dropped.
#[derive(Debug)]
pub struct RemoteServerHandle {
    endpoint: Endpoint,
    addr: u32,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl RemoteServerHandle {
    /// Where clients connect.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The address clients connect to, as a URL (`tcp://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.endpoint.to_string()
    }

    /// The broker's address, announced in its hello.
    pub fn addr(&self) -> u32 {
        self.addr
    }

    /// What the server has done so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.counters.snapshot()
    }

    /// Stops accepting, disconnects every client, waits for the threads
    /// and returns the final counts.
    pub fn stop(mut self) -> ServerStats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::Release);
        // Wake the accepting thread with a connection of our own.
        let _ = self.endpoint.connect();
        // A panicked server thread has nothing more to give back.
        let _ = thread.join();
    }
}

impl Drop for RemoteServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The ids of the last envelopes seen, to drop repeats as pyroute2's broker
/// does (it keeps them 60 s; this keeps the last 4096 per client).
#[derive(Debug, Default)]
pub(crate) struct SeenIds {
    set: HashSet<[u8; 16]>,
    order: VecDeque<[u8; 16]>,
}

impl SeenIds {
    const KEEP: usize = 4096;

    /// Records `id`; false if it was seen already.
    pub(crate) fn insert(&mut self, id: [u8; 16]) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::KEEP
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}
