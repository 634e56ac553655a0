//! One socket of either kind, as the server and the client use it.

use std::prelude::rust_2024::*;

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::OnceLock;

use super::seqpacket::Seqpacket;
use super::socket::{Address, NetlinkSocket, RecvInfo, SocketOptions, UnixAddr, UnixDatagram};
use crate::procslink::PROCSLINK_OVERHEAD;

/// How a message is laid out in a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `nlmsghdr | procslinkhdr | JSON-RPC text` (the ProcsLink reference).
    ProcsLink,
    /// The JSON-RPC text alone, one document per datagram (osbuild's
    /// jsoncomm).
    Bare,
}

impl Framing {
    /// The bytes in front of a message's JSON text.
    #[inline]
    pub(crate) fn overhead(self) -> usize {
        match self {
            Framing::ProcsLink => PROCSLINK_OVERHEAD,
            Framing::Bare => 0,
        }
    }
}

/// A socket and how its datagrams are framed (netlink always carries
/// ProcsLink headers).
#[derive(Debug)]
pub(crate) enum Socket {
    Netlink(NetlinkSocket),
    Unix(UnixDatagram, Framing),
    /// A `SOCK_SEQPACKET` connection (later osbuild's jsoncomm): bare
    /// messages, one peer.
    Seqpacket(Seqpacket),
}

impl Socket {
    pub(crate) fn local(&self) -> Address {
        match self {
            Socket::Netlink(s) => Address::Netlink(s.port()),
            Socket::Unix(s, _) => Address::Unix(s.local_addr().clone()),
            Socket::Seqpacket(s) => Address::Unix(s.local_addr().clone()),
        }
    }

    /// Whether `addr` is this socket's own address.
    #[inline]
    pub(crate) fn is_local(&self, addr: &Address) -> bool {
        match (self, addr) {
            (Socket::Netlink(s), Address::Netlink(port)) => s.port() == *port,
            (Socket::Unix(s, _), Address::Unix(a)) => s.local_addr().is_spelled_as(a),
            _ => false,
        }
    }

    /// `nlmsg_pid` for what this socket sends: the port id on netlink; the
    /// process id on Unix datagrams (informational there).
    #[inline]
    pub(crate) fn nlmsg_pid(&self) -> u32 {
        match self {
            Socket::Netlink(s) => s.port(),
            Socket::Unix(..) | Socket::Seqpacket(_) => process_id(),
        }
    }

    /// How this socket's datagrams are framed.
    #[inline]
    pub(crate) fn framing(&self) -> Framing {
        match self {
            Socket::Netlink(_) => Framing::ProcsLink,
            Socket::Unix(_, framing) => *framing,
            Socket::Seqpacket(_) => Framing::Bare,
        }
    }

    pub(crate) fn is_netlink(&self) -> bool {
        matches!(self, Socket::Netlink(_))
    }

    /// Sends one datagram to `to`, waiting for room in the receiver's
    /// queue at most the socket's send timeout unless `dont_wait`
    /// (`MSG_DONTWAIT`: `WouldBlock` at once).
    #[inline]
    pub(crate) fn send(
        &self,
        to: &Address,
        bytes: &[u8],
        fds: &[BorrowedFd<'_>],
        dont_wait: bool,
    ) -> io::Result<()> {
        match (self, to) {
            (Socket::Netlink(s), Address::Netlink(port)) if fds.is_empty() => {
                s.send_to_with(*port, bytes, dont_wait)
            }
            (Socket::Netlink(_), Address::Netlink(_)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "netlink datagrams cannot carry file descriptors",
            )),
            (Socket::Unix(s, _), Address::Unix(addr)) => {
                s.send_to_with(addr, bytes, fds, dont_wait)
            }
            (Socket::Seqpacket(s), to) if same_peer(s.peer(), to) => s.send(bytes, fds, dont_wait),
            (Socket::Seqpacket(s), to) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot reach {to} on a connection to {}", s.peer()),
            )),
            (_, to) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot reach {to} from a {} socket",
                    if self.is_netlink() {
                        "netlink"
                    } else {
                        "unix datagram"
                    }
                ),
            )),
        }
    }

    /// Receives one datagram into `buf`. On netlink without `credentials`
    /// this is a plain `recvfrom`, as nothing else can come with it.
    #[inline]
    pub(crate) fn recv_into(&self, buf: &mut [u8], credentials: bool) -> io::Result<RecvInfo> {
        match self {
            Socket::Netlink(s) if !credentials => {
                let (len, port) = s.recv_from(buf)?;
                Ok(RecvInfo {
                    len,
                    from: Some(Address::Netlink(port)),
                    credentials: None,
                    fds: Vec::new(),
                    control_truncated: false,
                })
            }
            Socket::Netlink(s) => s.recv_into(buf),
            Socket::Unix(s, _) => s.recv_into(buf),
            Socket::Seqpacket(s) => s.recv_into(buf),
        }
    }

    /// Sends a one-byte datagram to this socket itself, to wake a receiver
    /// (netlink refuses empty datagrams with `ENODATA`), never waiting for
    /// room in its queue.
    /// On a connection, which cannot reach itself, its receiving side is
    /// shut down instead: the receiver finds the connection closed.
    pub(crate) fn wake(&self) -> io::Result<()> {
        match self {
            Socket::Seqpacket(s) => s.shutdown_read(),
            _ => self.send(&self.local(), &[0], &[], true),
        }
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Socket::Netlink(s) => s.as_fd(),
            Socket::Unix(s, _) => s.as_fd(),
            Socket::Seqpacket(s) => s.as_fd(),
        }
    }
}

impl SocketOptions for Socket {
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        match self {
            Socket::Netlink(s) => s.set_passcred(on),
            Socket::Unix(s, _) => s.set_passcred(on),
            Socket::Seqpacket(s) => s.set_passcred(on),
        }
    }
}

/// Whether a reply really comes from `expected`: the same netlink port, or
/// the same Unix name (paths compared as given, then canonicalised, since a
/// server reports the name it bound, which the client may spell
/// differently).
#[inline]
pub(crate) fn same_peer(expected: &Address, actual: &Address) -> bool {
    match (expected, actual) {
        (Address::Netlink(a), Address::Netlink(b)) => a == b,
        _ => same_unix_peer(expected, actual),
    }
}

fn same_unix_peer(expected: &Address, actual: &Address) -> bool {
    if let (Address::Unix(a), Address::Unix(b)) = (expected, actual)
        && a.is_spelled_as(b)
    {
        return true;
    }
    if expected == actual {
        return true;
    }
    match (expected, actual) {
        (Address::Unix(UnixAddr::Path(a)), Address::Unix(UnixAddr::Path(b))) => {
            match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
        _ => false,
    }
}

/// This process's id, read once: `std::process::id()` is a `getpid`
/// system call each time, and `nlmsg_pid` is only informational on Unix
/// sockets (a child forked later sends its parent's).
fn process_id() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Whether an I/O error only means "nothing arrived in time".
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
