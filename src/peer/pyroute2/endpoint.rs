//! Broker addresses (`tcp://HOST:PORT`, `unix://PATH`) and the streams and
//! listeners they name.

use std::prelude::rust_2024::*;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use super::RemoteError;

/// Where a broker listens: the two stream transports pyroute2's
/// `IPRoute.serve` and `IPRoute(host=...)` speak.
///
/// ```
/// use procslink::peer::pyroute2::Endpoint;
///
/// assert_eq!(Endpoint::parse("tcp://127.0.0.1:9824")?, Endpoint::Tcp("127.0.0.1:9824".into()));
/// assert_eq!(Endpoint::parse("unix:///run/ipr")?, Endpoint::Unix("/run/ipr".into()));
/// assert!(Endpoint::parse("udp://127.0.0.1:1").is_err());
/// # Ok::<(), procslink::peer::pyroute2::RemoteError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `tcp://HOST:PORT` (`HOST` a name, an IPv4 address or `[IPv6]`).
    Tcp(String),
    /// `unix://PATH`: a Unix stream socket at `PATH`.
    Unix(PathBuf),
}

impl Endpoint {
    /// Reads a `tcp://HOST:PORT` or `unix://PATH` address.
    pub fn parse(url: &str) -> Result<Self, RemoteError> {
        let bad = || RemoteError::BadUrl(url.to_owned());
        if let Some(rest) = url.strip_prefix("tcp://") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(bad());
            }
            Ok(Endpoint::Tcp(rest.to_owned()))
        } else if let Some(path) = url.strip_prefix("unix://") {
            if path.is_empty() || path.contains('\0') {
                return Err(bad());
            }
            Ok(Endpoint::Unix(PathBuf::from(path)))
        } else {
            Err(bad())
        }
    }

    /// Connects to the broker.
    pub(crate) fn connect(&self) -> Result<Stream, RemoteError> {
        match self {
            Endpoint::Tcp(addr) => TcpStream::connect(addr.as_str())
                .and_then(|s| {
                    s.set_nodelay(true)?;
                    Ok(Stream::Tcp(s))
                })
                .map_err(|e| RemoteError::io("connecting to the broker", e)),
            Endpoint::Unix(path) => UnixStream::connect(path)
                .map(Stream::Unix)
                .map_err(|e| RemoteError::io("connecting to the broker", e)),
        }
    }

    /// Listens here.
    pub(crate) fn listen(&self) -> Result<Listener, RemoteError> {
        match self {
            Endpoint::Tcp(addr) => TcpListener::bind(addr.as_str())
                .map(Listener::Tcp)
                .map_err(|e| RemoteError::io("listening", e)),
            Endpoint::Unix(path) => UnixListener::bind(path)
                .map(|l| Listener::Unix(l, path.clone()))
                .map_err(|e| RemoteError::io("listening", e)),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

/// A byte stream a [`RemoteClient`](super::RemoteClient) can run over
/// besides its own TCP and Unix connections (a tunnel, a socket pair, a
/// test's scripted bytes): anything readable and writable that can move
/// between threads.
pub trait ByteStream: Read + Write + Send {}

impl<T: Read + Write + Send> ByteStream for T {}

/// A connected stream.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Other(Box<dyn ByteStream>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stream::Tcp(s) => s.fmt(f),
            Stream::Unix(s) => s.fmt(f),
            Stream::Other(_) => f.write_str("Stream::Other"),
        }
    }
}

impl Stream {
    /// Sets both timeouts (a stream of another kind keeps its own).
    pub(crate) fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Stream::Unix(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Stream::Other(_) => Ok(()),
        }
    }

    pub(crate) fn try_clone(&self) -> io::Result<Stream> {
        match self {
            Stream::Tcp(s) => s.try_clone().map(Stream::Tcp),
            Stream::Unix(s) => s.try_clone().map(Stream::Unix),
            Stream::Other(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    pub(crate) fn shutdown(&self) {
        // Already shut down or disconnected: nothing left to do.
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
            Stream::Other(_) => Ok(()),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Other(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Other(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            Stream::Other(s) => s.flush(),
        }
    }
}

/// A listening socket of either kind (a Unix one remembers its path, to
/// unlink it when dropped).
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                s.set_nodelay(true)?;
                Ok(Stream::Tcp(s))
            }
            Listener::Unix(l, _) => l.accept().map(|(s, _)| Stream::Unix(s)),
        }
    }

    /// The address clients connect to (a TCP port 0 replaced by the port
    /// the system chose).
    pub(crate) fn endpoint(&self) -> Result<Endpoint, RemoteError> {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| Endpoint::Tcp(a.to_string()))
                .map_err(|e| RemoteError::io("reading the listening address", e)),
            Listener::Unix(_, path) => Ok(Endpoint::Unix(path.clone())),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            // Removed by someone else already: nothing to clean up.
            let _ = std::fs::remove_file(path);
        }
    }
}
