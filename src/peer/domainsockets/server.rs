//! [`Server`]: serves [`Methods`] to Go domainsockets clients (and this
//! module's [`Client`](super::Client)).

use std::prelude::rust_2024::*;

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::framing::domainsockets::{SETUP_LEN, SetupId};
use crate::peer::bump;
use crate::peer::server::Methods;

use super::session::Session;
use super::socket_names::{default_dir, new_id, setup_path};

/// The largest datagram the reference reads: bigger ones are cut short
/// there, so a frame over it is lost.
pub const REFERENCE_MAX_DATAGRAM: usize = 4096;

/// How a [`Server`] behaves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The directory of the setup and per-client sockets (the clients'
    /// too); `None`: `$TMPDIR`, else `/tmp`, as the reference.
    pub dir: Option<PathBuf>,
    /// The largest datagram received or sent (default
    /// [`REFERENCE_MAX_DATAGRAM`]). A bigger one that arrives is dropped
    /// with the call it belongs to answered with an error frame; a reply
    /// that would be bigger is replaced by an error frame.
    pub max_datagram: usize,
    /// The largest call frame reassembled from a client's datagrams
    /// (default 64 KiB): the bound on what a client's partial frames hold.
    pub max_frame: usize,
    /// How many clients are served at once (default 64); further setup
    /// requests are dropped (counted).
    pub max_clients: usize,
    /// A client that sends nothing for this long is forgotten and its
    /// socket removed (default 30 s, as the reference).
    pub idle_timeout: Duration,
    /// How often waiting threads look for a stop (default 50 ms).
    pub poll_interval: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            dir: None,
            max_datagram: REFERENCE_MAX_DATAGRAM,
            max_frame: 64 * 1024,
            max_clients: 64,
            idle_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(50),
        }
    }
}

impl ServerOptions {
    /// The defaults.
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// Sets [`dir`](Self::dir).
    #[must_use]
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Sets [`max_datagram`](Self::max_datagram) (at least 64).
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(64);
        self
    }

    /// Sets [`max_frame`](Self::max_frame) (at least 64).
    #[must_use]
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes.max(64);
        self
    }

    /// Sets [`max_clients`](Self::max_clients).
    #[must_use]
    pub fn max_clients(mut self, clients: usize) -> Self {
        self.max_clients = clients;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(default_dir)
    }
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) sessions: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) bad_setups: AtomicU64,
    pub(super) calls: AtomicU64,
    pub(super) keep_alives: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) bad_frames: AtomicU64,
    pub(super) oversized: AtomicU64,
    pub(super) strangers: AtomicU64,
    pub(super) dropped_replies: AtomicU64,
    pub(super) panics: AtomicU64,
}

/// What a [`Server`] has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Clients set up.
    pub sessions: u64,
    /// Valid setup requests not served: too many clients, or the client's
    /// socket could not be answered.
    pub refused: u64,
    /// Setup datagrams that were not a 36-byte UUID text.
    pub bad_setups: u64,
    /// Call frames (type 1) handled, answered or not.
    pub calls: u64,
    /// Keep-alive frames (type 0).
    pub keep_alives: u64,
    /// Error frames (type 0) sent.
    pub errors: u64,
    /// Frames that could not be decoded; the client's partial frame is
    /// dropped and its stream starts again with its next datagram.
    pub bad_frames: u64,
    /// Datagrams over [`ServerOptions::max_datagram`].
    pub oversized: u64,
    /// Datagrams on a client's socket from another named socket than that
    /// client's.
    pub strangers: u64,
    /// Replies that could not be sent at once (the client's queue was full
    /// or its socket gone).
    pub dropped_replies: u64,
    /// Handlers that panicked (answered with an error frame).
    pub panics: u64,
}

impl Counters {
    fn snapshot(&self) -> ServerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ServerStats {
            sessions: get(&self.sessions),
            refused: get(&self.refused),
            bad_setups: get(&self.bad_setups),
            calls: get(&self.calls),
            keep_alives: get(&self.keep_alives),
            errors: get(&self.errors),
            bad_frames: get(&self.bad_frames),
            oversized: get(&self.oversized),
            strangers: get(&self.strangers),
            dropped_replies: get(&self.dropped_replies),
            panics: get(&self.panics),
        }
    }
}

/// What the serving threads share.
pub(super) struct Shared {
    pub(super) methods: Methods,
    pub(super) options: ServerOptions,
    pub(super) dir: PathBuf,
    pub(super) counters: Counters,
    pub(super) stop: AtomicBool,
    pub(super) live: AtomicUsize,
}

/// A domainsockets server bound to its setup socket, not yet serving.
///
/// ```
/// use procslink::peer::domainsockets::{demo_methods, Client, ClientOptions, Server, ServerOptions};
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir();
/// let name = format!("procslink-ds-doc-{}", std::process::id());
/// let server = Server::bind(&name, demo_methods(), ServerOptions::new().dir(&dir))?.spawn()?;
///
/// let client = Client::connect(&name, ClientOptions::new().dir(&dir))?;
/// assert_eq!(client.call_bytes("echo", "h\u{e9}llo".as_bytes())?, "H\u{c9}LLO".as_bytes());
/// assert_eq!(client.call("add", json!([2, 40]))?, json!(42));
/// assert_eq!(client.call("hello", json!("Rust"))?, json!("Hello, Rust!"));
/// let err = client.call("nope", json!(null)).unwrap_err();
/// assert_eq!(err.rpc().unwrap().code.0, -32601);
/// drop(client);
/// assert_eq!(server.stop().calls, 4);
/// # Ok(())
/// # }
/// ```
pub struct Server {
    setup: UnixDatagram,
    path: PathBuf,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds the setup socket of the server called `name`: `name` inside
    /// [`ServerOptions::dir`] (see [`setup_path`]).
    ///
    /// # Errors
    ///
    /// The socket cannot be bound (a file of that name exists: another
    /// server, or one that did not clean up).
    pub fn bind(name: &str, methods: Methods, options: ServerOptions) -> io::Result<Server> {
        let dir = options.socket_dir();
        let path = setup_path(&dir, name);
        let setup = UnixDatagram::bind(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot bind the setup socket {}: {e}", path.display()),
            )
        })?;
        setup.set_read_timeout(Some(options.poll_interval))?;
        let shared = Arc::new(Shared {
            methods,
            options,
            dir,
            counters: Counters::default(),
            stop: AtomicBool::new(false),
            live: AtomicUsize::new(0),
        });
        Ok(Server {
            setup,
            path,
            shared,
        })
    }

    /// The setup socket's path.
    pub fn setup_path(&self) -> &Path {
        &self.path
    }

    /// Serves on a thread of its own (and one per client) until
    /// [`ServerHandle::stop`].
    ///
    /// # Errors
    ///
    /// The thread cannot be started.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let shared = Arc::clone(&self.shared);
        let path = self.path.clone();
        let thread = std::thread::Builder::new()
            .name("domainsockets-setup".into())
            .spawn(move || self.serve_setup())?;
        Ok(ServerHandle {
            shared,
            path,
            thread: Some(thread),
        })
    }

    /// Takes setup requests until stopped; then waits for the sessions.
    fn serve_setup(self) {
        let mut sessions: Vec<JoinHandle<()>> = Vec::new();
        // One more byte than a setup id, to tell a longer datagram.
        let mut buf = [0u8; SETUP_LEN + 1];
        while !self.shared.stop.load(Ordering::Relaxed) {
            let n = match self.setup.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if is_timeout(&e) => continue,
                Err(_) => {
                    std::thread::sleep(self.shared.options.poll_interval);
                    continue;
                }
            };
            sessions.retain(|s| !s.is_finished());
            let counters = &self.shared.counters;
            let Ok(id) = SetupId::parse(buf.get(..n).unwrap_or_default()) else {
                bump(&counters.bad_setups);
                continue;
            };
            if self.shared.live.load(Ordering::Relaxed) >= self.shared.options.max_clients {
                bump(&counters.refused);
                continue;
            }
            match self.start_session(id.as_str()) {
                Ok(thread) => {
                    bump(&counters.sessions);
                    sessions.push(thread);
                }
                Err(_) => bump(&counters.refused),
            }
        }
        for session in sessions {
            let _ = session.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }

    /// Binds a socket for the client `client_id`, tells the client its
    /// name and serves it on a thread of its own.
    fn start_session(&self, client_id: &str) -> io::Result<JoinHandle<()>> {
        let dir = &self.shared.dir;
        let own_id = new_id()?;
        let own_path = dir.join(&own_id);
        let client_path = dir.join(client_id);
        let socket = UnixDatagram::bind(&own_path)?;
        let session = Session::new(
            socket,
            own_path.clone(),
            client_path,
            Arc::clone(&self.shared),
        );
        let started = session.greet(&own_id).and_then(|()| {
            std::thread::Builder::new()
                .name("domainsockets-client".into())
                .spawn(move || session.serve())
        });
        if started.is_err() {
            let _ = std::fs::remove_file(&own_path);
        }
        started
    }
}

/// A running [`Server`]: its statistics, and the way to stop it.
pub struct ServerHandle {
    shared: Arc<Shared>,
    path: PathBuf,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The setup socket's path.
    pub fn setup_path(&self) -> &Path {
        &self.path
    }

    /// What the server has done so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.counters.snapshot()
    }

    /// Stops serving (within [`ServerOptions::poll_interval`] plus the
    /// handlers running), removes the sockets and returns the statistics.
    pub fn stop(mut self) -> ServerStats {
        self.stop_and_join();
        self.stats()
    }

    fn stop_and_join(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
