//! [`EzIpcServer`]: [`Methods`] served to EZ-IPC clients over TCP or a Unix
//! stream socket, one thread per connection.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::peer::Methods;
use crate::peer::bump;

use super::connection::serve_connection;
use super::options::EzIpcOptions;
use super::session::mix;
use super::wire::Stream;

/// Where a server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EzIpcAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix stream socket's path.
    Unix(PathBuf),
}

impl std::fmt::Display for EzIpcAddr {
    /// `HOST:PORT`, or the socket's path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EzIpcAddr::Tcp(addr) => write!(f, "{addr}"),
            EzIpcAddr::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// What a server has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EzIpcStats {
    /// Connections accepted (those refused for the limit included).
    pub connections: u64,
    /// Connections closed at once because `max_connections` were open.
    pub refused: u64,
    /// Requests and notifications dispatched, the session's own (`ETC.INIT`,
    /// `TERM`, ...) included.
    pub served: u64,
    /// Frames that could not be read (too long, not Base85, not opening
    /// with the session's keys, cut off by the end of the stream) or whose
    /// text is not a JSON-RPC message.
    pub bad_frames: u64,
    /// Handlers that panicked (answered -32603).
    pub panics: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) connections: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) served: AtomicU64,
    pub(super) bad_frames: AtomicU64,
    pub(super) panics: AtomicU64,
}

/// What every connection's thread shares.
pub(super) struct Shared {
    pub(super) methods: Methods,
    pub(super) options: EzIpcOptions,
    pub(super) counters: Counters,
    /// The server's start, in seconds since the epoch (`ETC.INIT`'s
    /// `startup`).
    pub(super) startup: f64,
    stopping: AtomicBool,
    /// Connections being served.
    active: AtomicUsize,
    /// The open connections, to shut down on stop.
    open: Mutex<HashMap<u64, Stream>>,
}

impl Shared {
    fn new(methods: Methods, options: EzIpcOptions) -> Shared {
        let startup = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Shared {
            methods,
            options,
            counters: Counters::default(),
            startup,
            stopping: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn stats(&self) -> EzIpcStats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        EzIpcStats {
            connections: get(&c.connections),
            refused: get(&c.refused),
            served: get(&c.served),
            bad_frames: get(&c.bad_frames),
            panics: get(&c.panics),
        }
    }

    fn open(&self) -> MutexGuard<'_, HashMap<u64, Stream>> {
        lock(&self.open)
    }
}

/// An EZ-IPC server: [`Methods`] offered to EZ-IPC clients (the reference's
/// `ezipc.client.Client` or [`EzIpcClient`](super::EzIpcClient)).
///
/// Besides the methods, it answers the session's own requests: `ETC.INIT`
/// and `TIME` (`{"startup": SECONDS, "id": ALIAS}`, the alias being three
/// hex digits naming the connection), `PING` (its params back) and, with
/// encryption on, `RSA.EXCH` / `RSA.CONF`; a `TERM` notification closes
/// the connection. A result that is null is sent as `[]`, as the reference
/// does.
///
/// ```
/// use procslink::peer::ezipc::{EzIpcClient, EzIpcOptions, EzIpcServer};
/// use procslink::peer::demo;
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = EzIpcServer::bind_tcp("127.0.0.1:0", demo::methods(), EzIpcOptions::new())?.spawn()?;
/// let client = EzIpcClient::connect_tcp(server.tcp_addr().unwrap(), EzIpcOptions::new())?;
/// assert_eq!(client.call("add", json!([2, 40]))?, json!(42));
/// client.close("done")?;
/// let stats = server.stop();
/// assert_eq!(stats.connections, 1);
/// # Ok(())
/// # }
/// ```
pub struct EzIpcServer {
    listener: Listener,
    shared: Arc<Shared>,
}

impl EzIpcServer {
    /// A server on a TCP address (port 0: one the system picks).
    ///
    /// # Errors
    ///
    /// Binding fails.
    pub fn bind_tcp(
        addr: impl ToSocketAddrs,
        methods: Methods,
        options: EzIpcOptions,
    ) -> io::Result<EzIpcServer> {
        let listener = TcpListener::bind(addr)?;
        Ok(EzIpcServer::new(Listener::Tcp(listener), methods, options))
    }

    /// A server on a Unix stream socket at `path` (removed when the server
    /// stops).
    ///
    /// # Errors
    ///
    /// Binding fails (the path exists, for one).
    pub fn bind_unix(
        path: impl AsRef<Path>,
        methods: Methods,
        options: EzIpcOptions,
    ) -> io::Result<EzIpcServer> {
        let path = path.as_ref().to_path_buf();
        let listener = UnixListener::bind(&path)?;
        Ok(EzIpcServer::new(
            Listener::Unix(listener, path),
            methods,
            options,
        ))
    }

    fn new(listener: Listener, methods: Methods, options: EzIpcOptions) -> EzIpcServer {
        EzIpcServer {
            listener,
            shared: Arc::new(Shared::new(methods, options)),
        }
    }

    /// Serves one stream that is already connected (a socket handed over
    /// by a service manager, one end of a `socketpair`) on this thread,
    /// until the client closes it or sends `TERM`; what was done on it.
    /// The session's alias is `000`.
    pub fn serve_unix_stream(
        stream: UnixStream,
        methods: Methods,
        options: EzIpcOptions,
    ) -> EzIpcStats {
        let shared = Shared::new(methods, options);
        bump(&shared.counters.connections);
        serve_connection(&shared, Stream::Unix(stream), "000".to_string());
        shared.stats()
    }

    /// Where the server listens.
    ///
    /// # Errors
    ///
    /// The socket cannot say (TCP only).
    pub fn local_addr(&self) -> io::Result<EzIpcAddr> {
        Ok(match &self.listener {
            Listener::Tcp(l) => EzIpcAddr::Tcp(l.local_addr()?),
            Listener::Unix(_, path) => EzIpcAddr::Unix(path.clone()),
        })
    }

    /// Serves on this thread, one more thread per connection, until
    /// accepting fails for good (for a server that can be stopped, use
    /// [`spawn`](Self::spawn)).
    ///
    /// # Errors
    ///
    /// Accepting fails for a reason other than a signal, a connection
    /// gone before it was taken, or running out of descriptors.
    pub fn run(self) -> io::Result<()> {
        let mut next = 0u64;
        let mut threads: Vec<JoinHandle<()>> = Vec::new();
        loop {
            let stream = match &self.listener {
                Listener::Tcp(l) => l.accept().map(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    Stream::Tcp(s)
                }),
                Listener::Unix(l, _) => l.accept().map(|(s, _)| Stream::Unix(s)),
            };
            if self.shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let stream = match stream {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if is_transient(&e) => {
                    // Out of descriptors or a connection gone before it was
                    // taken: the next accept may work.
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                Err(e) => return Err(e),
            };
            bump(&self.shared.counters.connections);
            threads.retain(|t| !t.is_finished());
            if self.shared.active.load(Ordering::SeqCst) >= self.shared.options.max_connections {
                bump(&self.shared.counters.refused);
                stream.shutdown();
                continue;
            }
            next += 1;
            let id = next;
            let alias = format!("{:03X}", mix(id ^ self.shared.startup.to_bits()) & 0xFFF);
            if let Ok(clone) = stream.try_clone() {
                self.shared.open().insert(id, clone);
            }
            let shared = Arc::clone(&self.shared);
            self.shared.active.fetch_add(1, Ordering::SeqCst);
            let spawned = thread::Builder::new()
                .name(format!("ezipc-conn-{alias}"))
                .spawn(move || {
                    serve_connection(&shared, stream, alias);
                    // The slot is free before the client sees the end.
                    shared.active.fetch_sub(1, Ordering::SeqCst);
                    shared.open().remove(&id);
                });
            match spawned {
                Ok(t) => threads.push(t),
                Err(_) => {
                    self.shared.active.fetch_sub(1, Ordering::SeqCst);
                    bump(&self.shared.counters.refused);
                    if let Some(s) = self.shared.open().remove(&id) {
                        s.shutdown();
                    }
                }
            }
        }
        for stream in self.shared.open().values() {
            stream.shutdown();
        }
        for t in threads {
            let _ = t.join();
        }
        Ok(())
    }

    /// Serves on a thread of its own.
    ///
    /// # Errors
    ///
    /// The thread cannot be started.
    pub fn spawn(self) -> io::Result<EzIpcServerHandle> {
        let addr = self.local_addr()?;
        let shared = Arc::clone(&self.shared);
        let thread = thread::Builder::new()
            .name("ezipc-accept".to_string())
            .spawn(move || self.run())?;
        Ok(EzIpcServerHandle {
            addr,
            shared,
            thread: Some(thread),
        })
    }
}

/// Whether accepting failed for a reason that concerns only the one
/// connection, or that passes (out of descriptors for a moment: `EMFILE`,
/// `ENFILE`).
fn is_transient(e: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) || matches!(e.raw_os_error(), Some(ENFILE | EMFILE))
}

/// A running server; [`stop`](Self::stop) it to close every connection and
/// join its threads (dropping it does the same).
pub struct EzIpcServerHandle {
    addr: EzIpcAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl EzIpcServerHandle {
    /// Where the server listens.
    pub fn addr(&self) -> &EzIpcAddr {
        &self.addr
    }

    /// The TCP address, if the server listens on TCP.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        match &self.addr {
            EzIpcAddr::Tcp(a) => Some(*a),
            EzIpcAddr::Unix(_) => None,
        }
    }

    /// What the server has done so far.
    pub fn stats(&self) -> EzIpcStats {
        self.shared.stats()
    }

    /// Stops accepting, closes every connection, joins the threads and
    /// returns the final statistics.
    pub fn stop(mut self) -> EzIpcStats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accepting thread with a connection of our own.
        match &self.addr {
            EzIpcAddr::Tcp(a) => {
                let _ = TcpStream::connect(a);
            }
            EzIpcAddr::Unix(path) => {
                let _ = UnixStream::connect(path);
            }
        }
        let _ = thread.join();
        if let EzIpcAddr::Unix(path) = &self.addr {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for EzIpcServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
