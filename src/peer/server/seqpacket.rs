//! Serving the jsoncomm profile over `SOCK_SEQPACKET`, as later osbuild
//! releases do: a listener whose every accepted connection is served by a
//! [`Server`] of its own (the same dispatch, limits and descriptor
//! handling) on a thread of its own, at most [`ServerOptions::threads`]
//! connections at a time.

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Methods, Server, ServerOptions, ServerStats, lock};
use crate::peer::seqpacket::{Seqpacket, SeqpacketListener};
use crate::peer::socket::{Address, UnixAddr};
use crate::peer::transport::Socket;

/// A jsoncomm server listening on a Unix `SOCK_SEQPACKET` socket
/// ([`Server::bind_jsoncomm_seqpacket`]); [`spawn`](Self::spawn) starts
/// accepting.
pub struct SeqpacketServer {
    shared: Arc<Listening>,
}

struct Listening {
    listener: SeqpacketListener,
    methods: Methods,
    options: ServerOptions,
    stop: AtomicBool,
    connections: Mutex<Connections>,
    /// Signalled when a connection ends or the server stops.
    ended: Condvar,
    unlink: Option<PathBuf>,
}

#[derive(Default)]
struct Connections {
    /// The connections being served, by number.
    live: Vec<(u64, Server)>,
    threads: Vec<JoinHandle<()>>,
    /// The counts of the connections that ended.
    finished: ServerStats,
    next: u64,
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(path) = &self.unlink {
            // Someone may have removed it already.
            let _ = std::fs::remove_file(path);
        }
    }
}

impl fmt::Debug for SeqpacketServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqpacketServer")
            .field("address", &self.shared.listener.local_addr())
            .field("methods", &self.shared.methods)
            .finish()
    }
}

impl Server {
    /// A jsoncomm server on a Unix `SOCK_SEQPACKET` socket listening at
    /// `addr`, as later osbuild releases use: one bare JSON-RPC document
    /// per message, each accepted connection served by its own thread
    /// (at most [`ServerOptions::threads`] at a time; more wait to be
    /// accepted), its replies going back over it. A client closing its
    /// connection ends that thread. A path is removed when the server is
    /// dropped. [`ServerOptions::handler_timeout`] and
    /// [`ServerOptions::max_queue_age`] do not apply to connections.
    ///
    /// ```
    /// use procslink::peer::{Client, Server, ServerOptions, UnixAddr, demo};
    /// use serde_json::json;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let addr = UnixAddr::abstract_name(format!("procslink-doc-seqpacket-{}", std::process::id()));
    /// let options = ServerOptions::new().threads(4);
    /// let server = Server::bind_jsoncomm_seqpacket(addr.clone(), demo::methods(), options)?.spawn()?;
    /// let client = Client::jsoncomm_seqpacket(&addr)?;
    /// assert_eq!(client.call(addr, "add", json!([2, 40]))?, json!(42));
    /// drop(client);
    /// assert_eq!(server.stop()?.served, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Binding or listening failed.
    pub fn bind_jsoncomm_seqpacket(
        addr: impl Into<UnixAddr>,
        methods: Methods,
        options: ServerOptions,
    ) -> io::Result<SeqpacketServer> {
        let addr = addr.into();
        let listener = SeqpacketListener::bind(&addr)?;
        if options.allow_uids.is_some() || options.pass_credentials {
            // Set on the listener, so that every accepted connection has it
            // from the start: set on a connection after its accept, a
            // request sent in between would come without its sender.
            listener.set_passcred(true)?;
        }
        let unlink = match addr {
            UnixAddr::Path(p) => Some(p),
            UnixAddr::Abstract(_) | UnixAddr::Unnamed => None,
        };
        let shared = Arc::new(Listening {
            listener,
            methods,
            options,
            stop: AtomicBool::new(false),
            connections: Mutex::new(Connections::default()),
            ended: Condvar::new(),
            unlink,
        });
        Ok(SeqpacketServer { shared })
    }
}

impl SeqpacketServer {
    /// The address the server listens at.
    pub fn address(&self) -> Address {
        Address::Unix(self.shared.listener.local_addr().clone())
    }

    /// Accepts and serves connections from the calling thread on, until
    /// the process ends (a server that [`spawn`](Self::spawn) starts can
    /// be stopped instead), as a command that serves until killed does.
    ///
    /// # Errors
    ///
    /// Accepting failed for another reason than an interruption or a
    /// client that gave up.
    pub fn serve(&self) -> io::Result<()> {
        self.shared.accept_loop()
    }

    /// Accepts connections on a new thread.
    ///
    /// # Errors
    ///
    /// The thread could not be started.
    pub fn spawn(self) -> io::Result<SeqpacketServerHandle> {
        let shared = Arc::clone(&self.shared);
        let accept = std::thread::Builder::new()
            .name("procslink-accept".into())
            .spawn(move || shared.accept_loop())?;
        Ok(SeqpacketServerHandle {
            shared: self.shared,
            accept: Some(accept),
        })
    }
}

impl Listening {
    fn accept_loop(self: &Arc<Self>) -> io::Result<()> {
        loop {
            {
                let mut connections = lock(&self.connections);
                while connections.live.len() >= self.options.threads
                    && !self.stop.load(Ordering::SeqCst)
                {
                    connections = self
                        .ended
                        .wait(connections)
                        .unwrap_or_else(|p| p.into_inner());
                }
            }
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let connection = match self.listener.accept() {
                Ok(c) => c,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            };
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            // A connection whose socket cannot be set up is dropped
            // (closed): its client finds it closed.
            let _ = self.serve_connection(connection);
        }
    }

    /// Serves `connection` on a new thread.
    fn serve_connection(self: &Arc<Self>, connection: Seqpacket) -> io::Result<()> {
        let server = Server::new(
            Socket::Seqpacket(connection),
            self.methods.clone(),
            self.options.clone(),
            None,
        )?;
        let mut connections = lock(&self.connections);
        let number = connections.next;
        connections.next += 1;
        connections.live.push((number, server.clone()));
        let shared = Arc::clone(self);
        let thread = std::thread::Builder::new()
            .name(format!("procslink-conn-{number}"))
            .spawn(move || {
                // A connection that fails ends; the others go on.
                let _ = server.serve();
                let mut connections = lock(&shared.connections);
                connections.live.retain(|(n, _)| *n != number);
                connections.finished.add(&server.stats());
                drop(connections);
                shared.ended.notify_all();
            });
        match thread {
            Ok(thread) => {
                connections.threads.retain(|t| !t.is_finished());
                connections.threads.push(thread);
                Ok(())
            }
            Err(e) => {
                connections.live.retain(|(n, _)| *n != number);
                Err(e)
            }
        }
    }

    fn stats(&self) -> ServerStats {
        let connections = lock(&self.connections);
        let mut stats = connections.finished;
        for (_, server) in &connections.live {
            stats.add(&server.stats());
        }
        stats
    }
}

/// The accepting thread of a [`SeqpacketServer`] and the threads serving
/// its connections. Dropping it stops and joins them.
#[must_use = "dropping the handle stops the server and joins its threads"]
pub struct SeqpacketServerHandle {
    shared: Arc<Listening>,
    accept: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for SeqpacketServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqpacketServerHandle")
            .field("address", &self.shared.listener.local_addr())
            .finish()
    }
}

impl SeqpacketServerHandle {
    /// The address the server listens at.
    pub fn address(&self) -> Address {
        Address::Unix(self.shared.listener.local_addr().clone())
    }

    /// The connections being served now.
    pub fn connections(&self) -> usize {
        lock(&self.shared.connections).live.len()
    }

    /// The counts of every connection so far, added up.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Stops accepting, closes the connections' receiving sides, waits for
    /// their threads at most [`ServerOptions::stop_timeout`] (a thread stuck
    /// in a handler is left detached and counted) and returns the final
    /// counts.
    ///
    /// # Errors
    ///
    /// The error the accepting thread ended with (or a panic in it, which
    /// would be a bug).
    pub fn stop(mut self) -> io::Result<ServerStats> {
        let detached = self.shutdown()?;
        let mut stats = self.shared.stats();
        stats.detached += detached;
        Ok(stats)
    }

    /// Stops everything; the number of connection threads left detached.
    fn shutdown(&mut self) -> io::Result<u64> {
        let shared = &*self.shared;
        shared.stop.store(true, Ordering::SeqCst);
        shared.ended.notify_all();
        let deadline = Instant::now() + shared.options.stop_timeout;
        let (live, threads) = {
            let mut connections = lock(&shared.connections);
            let live: Vec<Server> = connections.live.iter().map(|(_, s)| s.clone()).collect();
            (live, std::mem::take(&mut connections.threads))
        };
        for server in &live {
            server.stopper().stop();
        }
        let mut result = Ok(());
        if let Some(accept) = self.accept.take() {
            // A connection of its own wakes the accepting thread, which
            // sees the stop and closes it.
            let _ = Seqpacket::connect(shared.listener.local_addr());
            result = accept
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the accepting thread panicked")));
        }
        let mut detached = 0;
        for thread in threads {
            let mut pause = Duration::from_micros(100);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                detached += 1;
            }
        }
        result.map(|()| detached)
    }
}

impl Drop for SeqpacketServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
