//! osbuild's jsoncomm messages without JSON-RPC: [`JsoncommSocket`] sends
//! and receives one JSON document (any JSON value) per Unix datagram, with
//! up to [`MAX_FDS`](super::MAX_FDS) descriptors, as `jsoncomm.Socket` does (osbuild
//! 13c0dec8, WIRE.md section 6).
//!
//! - [`JsoncommSocket::new_server`] binds a path or an abstract name and
//!   removes the path again when dropped; [`JsoncommSocket::new_client`]
//!   autobinds (so it can be answered) and, given an address, connects to
//!   it as its default destination.
//! - [`JsoncommSocket::recv`] sizes its buffer by peeking (`MSG_PEEK |
//!   MSG_TRUNC`), takes every received descriptor into ownership at once
//!   (so none leaks when the text is no JSON), and treats truncated data
//!   or ancillary data (`MSG_TRUNC`, `MSG_CTRUNC`) as an error, as the
//!   reference does.
//!
//! The JSON-RPC peer speaks the same profile:
//! [`Server::bind_jsoncomm`](super::Server::bind_jsoncomm),
//! [`Client::jsoncomm`](super::Client::jsoncomm).
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::fd::AsFd;
//! use procslink::peer::{JsoncommSocket, UnixAddr};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let name = UnixAddr::abstract_name(format!("procslink-doc-raw-jsoncomm-{}", std::process::id()));
//! let server = JsoncommSocket::new_server(name.clone())?;
//! let client = JsoncommSocket::new_client(Some(&name))?;
//!
//! let (reader, mut writer) = std::io::pipe()?;
//! writer.write_all(b"through the pipe")?;
//! drop(writer);
//! client.send(&json!({"op": "open", "n": [1, 2]}), None, &[reader.as_fd()])?;
//!
//! let message = server.recv()?;
//! assert_eq!(message.payload, json!({"op": "open", "n": [1, 2]}));
//! let mut text = String::new();
//! std::fs::File::from(message.fds.into_iter().next().unwrap()).read_to_string(&mut text)?;
//! assert_eq!(text, "through the pipe");
//!
//! // The client autobound, so it can be answered.
//! server.send(&json!("done"), message.from.as_ref(), &[])?;
//! assert_eq!(client.recv()?.payload, json!("done"));
//! # Ok(())
//! # }
//! ```

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::socket::{Address, SocketOptions, UnixAddr, UnixDatagram};

/// A jsoncomm socket: a Unix datagram socket carrying one JSON document
/// per datagram. See the [module documentation](self).
#[derive(Debug)]
pub struct JsoncommSocket {
    socket: UnixDatagram,
    /// The path a server bound, removed when it is dropped.
    unlink: Option<PathBuf>,
}

/// One received message.
#[derive(Debug)]
pub struct JsoncommMessage {
    /// The JSON document.
    pub payload: Value,
    /// The descriptors that came with it, owned.
    pub fds: Vec<OwnedFd>,
    /// The sender (`None` for an unnamed sender, which cannot be answered).
    pub from: Option<UnixAddr>,
}

/// Why a message could not be sent or received. The descriptors that came
/// with a message that could not be received are closed.
#[derive(Debug)]
#[non_exhaustive]
pub enum JsoncommError {
    /// The socket failed (including a receive timeout).
    Io(io::Error),
    /// The kernel truncated the datagram (`MSG_TRUNC`): it grew between
    /// the peek that sized the buffer and the receive (another reader
    /// took the one peeked at).
    Truncated {
        /// The datagram's real length.
        len: usize,
        /// The bytes the buffer held.
        received: usize,
    },
    /// The kernel truncated the ancillary data (`MSG_CTRUNC`): descriptors
    /// were lost (too many, or a security module refused them).
    ControlTruncated,
    /// The datagram is not a JSON document (or not UTF-8).
    NotJson(serde_json::Error),
    /// The payload to send does not serialise to JSON.
    Unserialisable(serde_json::Error),
}

impl fmt::Display for JsoncommError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsoncommError::Io(e) => write!(f, "jsoncomm socket: {e}"),
            JsoncommError::Truncated { len, received } => write!(
                f,
                "jsoncomm datagram truncated (MSG_TRUNC): {len} bytes, {received} received"
            ),
            JsoncommError::ControlTruncated => f.write_str(
                "jsoncomm datagram's ancillary data truncated (MSG_CTRUNC): descriptors were lost",
            ),
            JsoncommError::NotJson(e) => {
                write!(f, "jsoncomm datagram is not a UTF-8 JSON document: {e}")
            }
            JsoncommError::Unserialisable(e) => {
                write!(f, "jsoncomm payload does not serialise to JSON: {e}")
            }
        }
    }
}

impl std::error::Error for JsoncommError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JsoncommError::Io(e) => Some(e),
            JsoncommError::NotJson(e) | JsoncommError::Unserialisable(e) => Some(e),
            JsoncommError::Truncated { .. } | JsoncommError::ControlTruncated => None,
        }
    }
}

impl From<io::Error> for JsoncommError {
    fn from(e: io::Error) -> Self {
        JsoncommError::Io(e)
    }
}

impl JsoncommSocket {
    /// A server socket bound to `bind_to` (a path, removed again when the
    /// socket is dropped, or an abstract name).
    ///
    /// # Errors
    ///
    /// The `socket` or `bind` failure (`AddrInUse` when the path exists).
    pub fn new_server(bind_to: impl Into<UnixAddr>) -> io::Result<Self> {
        let addr = bind_to.into();
        let socket = UnixDatagram::bind(&addr)?;
        let unlink = match addr {
            UnixAddr::Path(p) => Some(p),
            UnixAddr::Abstract(_) | UnixAddr::Unnamed => None,
        };
        Ok(JsoncommSocket { socket, unlink })
    }

    /// A client socket, autobound so that it can receive answers; with
    /// `connect_to`, that address is its default destination (and the
    /// only sender it receives from).
    ///
    /// # Errors
    ///
    /// The `socket`, `bind` or `connect` failure.
    pub fn new_client(connect_to: Option<&UnixAddr>) -> io::Result<Self> {
        let socket = UnixDatagram::bind(&UnixAddr::Unnamed)?;
        if let Some(to) = connect_to {
            socket.connect(to)?;
        }
        Ok(JsoncommSocket {
            socket,
            unlink: None,
        })
    }

    /// The socket's own address (for a client, the abstract name the
    /// kernel chose).
    pub fn local_addr(&self) -> &UnixAddr {
        self.socket.local_addr()
    }

    /// Sends `payload` as one JSON document to `destination` (`None`: the
    /// address the client connected to), with `fds` (at most [`MAX_FDS`](super::MAX_FDS);
    /// they stay open here).
    ///
    /// # Errors
    ///
    /// [`JsoncommError::Unserialisable`]; else [`JsoncommError::Io`] with
    /// the send's failure (`EMSGSIZE` when the document exceeds the send
    /// buffer, `ENOTCONN` with no destination at all).
    pub fn send<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        destination: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), JsoncommError> {
        let text = serde_json::to_vec(payload).map_err(JsoncommError::Unserialisable)?;
        self.send_bytes(&text, destination, fds)?;
        Ok(())
    }

    /// Sends `bytes` as they are (they should be one JSON document), as
    /// [`send`](Self::send) does.
    ///
    /// # Errors
    ///
    /// The send's failure.
    pub fn send_bytes(
        &self,
        bytes: &[u8],
        destination: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        match destination {
            Some(to) => self.socket.send_to(to, bytes, fds),
            None => self.socket.send(bytes, fds),
        }
    }

    /// Receives the next message, waiting at most the receive timeout
    /// ([`SocketOptions::set_recv_timeout`]; none by default).
    ///
    /// # Errors
    ///
    /// [`JsoncommError::Io`] when the socket fails or times out;
    /// [`JsoncommError::Truncated`], [`JsoncommError::ControlTruncated`]
    /// or [`JsoncommError::NotJson`] for a datagram that is consumed but
    /// cannot be read (its descriptors are closed).
    pub fn recv(&self) -> Result<JsoncommMessage, JsoncommError> {
        let len = self.socket.peek_len()?;
        let mut data = vec![0u8; len];
        let info = self.socket.recv_into(&mut data)?;
        // Owned from here on: dropped (closed) on every error below.
        let fds = info.fds;
        if info.len > data.len() {
            drop(fds);
            return Err(JsoncommError::Truncated {
                len: info.len,
                received: data.len(),
            });
        }
        if info.control_truncated {
            drop(fds);
            return Err(JsoncommError::ControlTruncated);
        }
        let text = data.get(..info.len).unwrap_or_default();
        let payload = serde_json::from_slice(text).map_err(JsoncommError::NotJson)?;
        let from = match info.from {
            Some(Address::Unix(addr)) => Some(addr),
            _ => None,
        };
        Ok(JsoncommMessage { payload, fds, from })
    }
}

impl AsFd for JsoncommSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl SocketOptions for JsoncommSocket {
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        self.socket.set_passcred(on)
    }
}

impl Drop for JsoncommSocket {
    fn drop(&mut self) {
        if let Some(path) = &self.unlink {
            // Someone may have removed it already.
            let _ = std::fs::remove_file(path);
        }
    }
}
