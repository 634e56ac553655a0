//! [`Client`]: calls a Go domainsockets server (or this module's
//! [`Server`](super::Server)).

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::framing::Framing;
use crate::framing::domainsockets::{
    ClientFrame, ClientKind, SETUP_LEN, ServerFraming, ServerKind, SetupId,
};
use crate::peer::bump;
use crate::peer::error::CallError;

use super::data::{decode_value, encode_params, error_from_text};
use super::server::{REFERENCE_MAX_DATAGRAM, is_timeout};
use super::socket_names::{default_dir, new_id, setup_path};

/// How a [`Client`] behaves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The directory of the sockets; `None`: `$TMPDIR`, else `/tmp`, as
    /// the reference.
    pub dir: Option<PathBuf>,
    /// How long a call waits for its reply (default 5 s).
    pub timeout: Duration,
    /// How long [`Client::connect`] waits for the setup answer (default
    /// 5 s).
    pub setup_timeout: Duration,
    /// The largest datagram sent or received (default
    /// [`REFERENCE_MAX_DATAGRAM`], what the Go server reads): a call whose
    /// frame is bigger is refused before it is sent.
    pub max_datagram: usize,
    /// How often a keep-alive frame is sent (default 10 s; the Go server
    /// forgets a client silent for 30 s); `None`: never.
    pub keep_alive: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            dir: None,
            timeout: Duration::from_secs(5),
            setup_timeout: Duration::from_secs(5),
            max_datagram: REFERENCE_MAX_DATAGRAM,
            keep_alive: Some(Duration::from_secs(10)),
        }
    }
}

impl ClientOptions {
    /// The defaults.
    pub fn new() -> Self {
        ClientOptions::default()
    }

    /// Sets [`dir`](Self::dir).
    #[must_use]
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Sets [`timeout`](Self::timeout) (at least 1 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`setup_timeout`](Self::setup_timeout) (at least 1 ms).
    #[must_use]
    pub fn setup_timeout(mut self, timeout: Duration) -> Self {
        self.setup_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`max_datagram`](Self::max_datagram) (at least 64).
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(64);
        self
    }

    /// Sets [`keep_alive`](Self::keep_alive).
    #[must_use]
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }
}

/// What a [`Client`] has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Calls sent.
    pub calls: u64,
    /// Keep-alive frames sent.
    pub keep_alives: u64,
    /// Replies whose id was not the waiting call's (a late reply to a call
    /// that timed out): dropped.
    pub stale: u64,
    /// Datagrams from another named socket than the server's: dropped.
    pub strangers: u64,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    keep_alives: AtomicU64,
    stale: AtomicU64,
    strangers: AtomicU64,
}

/// What the caller and the keep-alive thread share.
struct Link {
    socket: UnixDatagram,
    own_path: PathBuf,
    server_path: PathBuf,
    counters: Counters,
}

impl Link {
    fn send_keep_alive(&self) -> io::Result<()> {
        let frame = ClientFrame {
            id: 0,
            kind: ClientKind::KeepAlive,
            handler: b"",
            data: b"",
        };
        let mut wire = [0u8; 8];
        let len = frame
            .encode(&mut wire)
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.socket
            .send_to(wire.get(..len).unwrap_or_default(), &self.server_path)?;
        bump(&self.counters.keep_alives);
        Ok(())
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.own_path);
    }
}

/// A call's buffers and the next id.
struct Calls {
    next_id: u64,
    send: Vec<u8>,
    recv: Vec<u8>,
}

/// A client of one domainsockets server. Calls from several threads take
/// turns (the reference's server answers a client's calls in any order;
/// each reply is matched to its call by id).
///
/// See [`Server`](super::Server) for an example.
pub struct Client {
    link: Arc<Link>,
    calls: Mutex<Calls>,
    options: ClientOptions,
    keep_alive: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Client {
    /// Sets up a connection with the server called `name` (its setup
    /// socket is `name` inside [`ClientOptions::dir`], see
    /// [`setup_path`]).
    ///
    /// # Errors
    ///
    /// - the own socket cannot be bound, or no server listens at the setup
    ///   path (`NotFound`, `ConnectionRefused`, with the path);
    /// - `TimedOut` when no answer came within
    ///   [`ClientOptions::setup_timeout`];
    /// - `InvalidData` when the answer is not a 36-byte UUID text.
    pub fn connect(name: &str, options: ClientOptions) -> io::Result<Client> {
        let dir = options.dir.clone().unwrap_or_else(default_dir);
        let setup = setup_path(&dir, name);
        let own_id = new_id()?;
        let own_path = dir.join(&own_id);
        let socket = UnixDatagram::bind(&own_path)?;
        // The link removes the socket file when dropped, on errors too.
        let mut link = Link {
            socket,
            own_path,
            server_path: PathBuf::new(),
            counters: Counters::default(),
        };
        link.socket
            .send_to(own_id.as_bytes(), &setup)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("no domainsockets server at {}: {e}", setup.display()),
                )
            })?;
        link.server_path = dir.join(receive_setup_answer(&link.socket, &options, &setup)?);
        let link = Arc::new(link);
        let keep_alive = match options.keep_alive {
            Some(every) => Some(spawn_keep_alive(Arc::clone(&link), every)?),
            None => None,
        };
        let max = options.max_datagram;
        Ok(Client {
            link,
            calls: Mutex::new(Calls {
                next_id: 0,
                send: Vec::new(),
                recv: vec![0u8; max.saturating_add(1)],
            }),
            options,
            keep_alive,
        })
    }

    /// Calls `handler` with raw `data`; returns the reply's data.
    ///
    /// # Errors
    ///
    /// - [`CallError::Protocol`] when the call's frame is over
    ///   [`ClientOptions::max_datagram`] (nothing is sent);
    /// - [`CallError::Rpc`] when the server answered an error frame (its
    ///   text read by [`error_from_text`](super::error_from_text));
    /// - [`CallError::Timeout`] when no reply came within
    ///   [`ClientOptions::timeout`] (what a Go server's silence for an
    ///   unknown handler ends in);
    /// - [`CallError::InvalidReply`] when the server's datagram is not one
    ///   reply frame, is over the datagram limit, or has an unknown type;
    /// - [`CallError::Io`] when the socket fails.
    pub fn call_bytes(&self, handler: &str, data: &[u8]) -> Result<Vec<u8>, CallError> {
        let mut calls = lock(&self.calls);
        let calls = &mut *calls;
        let id = calls.next_id;
        let frame = ClientFrame {
            id,
            kind: ClientKind::Data,
            handler: handler.as_bytes(),
            data,
        };
        let (size, max) = (frame.encoded_len(), self.options.max_datagram);
        if size > max {
            return Err(CallError::Protocol(format!(
                "the call would be a datagram of {size} bytes, over the limit of {max} (the Go server reads {REFERENCE_MAX_DATAGRAM} bytes of a datagram and drops the rest)"
            )));
        }
        calls.send.resize(size, 0);
        let len = frame
            .encode(&mut calls.send)
            .map_err(|e| CallError::Protocol(e.to_string()))?;
        calls.next_id = id.wrapping_add(1);
        let link = &self.link;
        link.socket
            .send_to(calls.send.get(..len).unwrap_or_default(), &link.server_path)?;
        bump(&link.counters.calls);
        self.await_reply(id, &mut calls.recv)
    }

    fn await_reply(&self, id: u64, buf: &mut [u8]) -> Result<Vec<u8>, CallError> {
        let link = &self.link;
        let max = self.options.max_datagram;
        let deadline = Instant::now() + self.options.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CallError::Timeout);
            }
            link.socket.set_read_timeout(Some(left))?;
            let (n, sender) = match link.socket.recv_from(buf) {
                Ok(got) => got,
                Err(e) if is_timeout(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            if sender.as_pathname().is_some_and(|p| p != link.server_path) {
                bump(&link.counters.strangers);
                continue;
            }
            if n > max {
                return Err(CallError::InvalidReply(format!(
                    "the server sent a datagram of more than {max} bytes"
                )));
            }
            let mut frames = ServerFraming.frames(buf.get(..n).unwrap_or_default(), max);
            let frame = match frames.next() {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => {
                    return Err(CallError::InvalidReply(format!(
                        "the server's datagram is not a reply frame: {e}"
                    )));
                }
                None => {
                    return Err(CallError::InvalidReply(
                        "the server sent an empty datagram".into(),
                    ));
                }
            };
            if frames.next().is_some() {
                return Err(CallError::InvalidReply(
                    "the server's datagram holds more than one reply frame".into(),
                ));
            }
            if frame.id != id {
                bump(&link.counters.stale);
                continue;
            }
            return match frame.kind {
                ServerKind::Data => Ok(frame.data.to_vec()),
                ServerKind::Error => Err(CallError::Rpc(error_from_text(
                    &String::from_utf8_lossy(frame.data),
                ))),
                ServerKind::Unknown(kind) => Err(CallError::InvalidReply(format!(
                    "reply type {kind} is neither 0 (error) nor 1 (data)"
                ))),
            };
        }
    }

    /// Calls `handler` with `params` written as data (see
    /// [`encode_params`](super::encode_params)); returns the value of the
    /// reply's data.
    ///
    /// # Errors
    ///
    /// Those of [`call_bytes`](Self::call_bytes), and
    /// [`CallError::InvalidReply`] when the reply's data is not UTF-8.
    pub fn call(&self, handler: &str, params: Value) -> Result<Value, CallError> {
        let mut data = Vec::new();
        encode_params(&params, &mut data);
        let reply = self.call_bytes(handler, &data)?;
        decode_value(&reply).map_err(|e| {
            CallError::InvalidReply(format!("the reply's data is not text: {}", e.message))
        })
    }

    /// [`call`](Self::call) between serde types.
    ///
    /// # Errors
    ///
    /// Those of [`call`](Self::call), and [`CallError::Protocol`] when
    /// `params` do not serialise or the result does not decode into `R`.
    pub fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        handler: &str,
        params: &P,
    ) -> Result<R, CallError> {
        let params = serde_json::to_value(params)
            .map_err(|e| CallError::Protocol(format!("cannot serialise the params: {e}")))?;
        let result = self.call(handler, params)?;
        serde_json::from_value(result)
            .map_err(|e| CallError::Protocol(format!("unexpected result: {e}")))
    }

    /// Sends a keep-alive frame now.
    ///
    /// # Errors
    ///
    /// The socket fails (the server's socket is gone).
    pub fn keep_alive(&self) -> io::Result<()> {
        self.link.send_keep_alive()
    }

    /// The socket this client receives on.
    pub fn local_path(&self) -> &Path {
        &self.link.own_path
    }

    /// The server's socket for this client.
    pub fn server_path(&self) -> &Path {
        &self.link.server_path
    }

    /// What the client has seen so far.
    pub fn stats(&self) -> ClientStats {
        let c = &self.link.counters;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ClientStats {
            calls: get(&c.calls),
            keep_alives: get(&c.keep_alives),
            stale: get(&c.stale),
            strangers: get(&c.strangers),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.keep_alive.take() {
            drop(stop);
            let _ = thread.join();
        }
    }
}

/// Waits for the server's 36-byte id on `socket`.
fn receive_setup_answer(
    socket: &UnixDatagram,
    options: &ClientOptions,
    setup: &Path,
) -> io::Result<String> {
    socket.set_read_timeout(Some(options.setup_timeout))?;
    let mut answer = [0u8; SETUP_LEN + 1];
    let n = socket.recv(&mut answer).map_err(|e| {
        if is_timeout(&e) {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no setup answer from {} within {:?}",
                    setup.display(),
                    options.setup_timeout
                ),
            )
        } else {
            e
        }
    })?;
    let id = SetupId::parse(answer.get(..n).unwrap_or_default()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the setup answer is not a 36-byte UUID text: {e}"),
        )
    })?;
    Ok(id.as_str().to_owned())
}

fn spawn_keep_alive(link: Arc<Link>, every: Duration) -> io::Result<(Sender<()>, JoinHandle<()>)> {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("domainsockets-keep-alive".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                // A server that is gone shows in the next call.
                let _ = link.send_keep_alive();
            }
        })?;
    Ok((stop, thread))
}
