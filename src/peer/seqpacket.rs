//! `AF_UNIX`/`SOCK_SEQPACKET` sockets, as later osbuild's jsoncomm uses
//! them: a listener that accepts connections, and connections that carry
//! one message per send, with descriptors, through the same send and
//! receive code as [`UnixDatagram`](super::UnixDatagram).

use std::prelude::rust_2024::*;

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{AddressFamily, Shutdown, SocketAddrUnix, SocketFlags, SocketType};

use super::credentials::{CredentialReads, credentials_from};
use super::socket::{
    Address, Credentials, RecvInfo, SocketOptions, UnixAddr, send_unix, with_context,
};

/// How many connections wait to be accepted before `connect` fails.
const BACKLOG: i32 = 64;

fn seqpacket_socket() -> io::Result<OwnedFd> {
    rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| with_context(e, "socket(AF_UNIX, SOCK_SEQPACKET)"))
}

fn local_addr(fd: BorrowedFd<'_>) -> io::Result<UnixAddr> {
    let local =
        rustix::net::getsockname(fd).map_err(|e| with_context(e, "getsockname on unix socket"))?;
    let local = SocketAddrUnix::try_from(local)
        .map_err(|e| with_context(e, "getsockname on unix socket"))?;
    Ok(UnixAddr::from_rustix(&local))
}

/// A listening `SOCK_SEQPACKET` socket.
#[derive(Debug)]
pub(crate) struct SeqpacketListener {
    fd: OwnedFd,
    local: UnixAddr,
}

impl SeqpacketListener {
    /// Binds `addr` and listens.
    pub(crate) fn bind(addr: &UnixAddr) -> io::Result<Self> {
        let fd = seqpacket_socket()?;
        rustix::net::bind(&fd, &addr.to_rustix()?)
            .map_err(|e| with_context(e, &format!("bind unix socket to {addr}")))?;
        rustix::net::listen(&fd, BACKLOG)
            .map_err(|e| with_context(e, &format!("listen on unix socket {addr}")))?;
        let local = local_addr(fd.as_fd())?;
        Ok(SeqpacketListener { fd, local })
    }

    pub(crate) fn local_addr(&self) -> &UnixAddr {
        &self.local
    }

    /// Asks for the senders' credentials (`SO_PASSCRED`) on every
    /// connection accepted from now on: the kernel copies the option from
    /// the listener to each accepted socket.
    pub(crate) fn set_passcred(&self, on: bool) -> io::Result<()> {
        rustix::net::sockopt::set_socket_passcred(&self.fd, on)
            .map_err(|e| with_context(e, "setsockopt SO_PASSCRED"))
    }

    /// The next connection, waiting for one.
    pub(crate) fn accept(&self) -> io::Result<Seqpacket> {
        let fd = rustix::net::accept_with(&self.fd, SocketFlags::CLOEXEC)
            .map_err(|e| with_context(e, &format!("accept on unix socket {}", self.local)))?;
        let peer = rustix::net::getpeername(&fd)
            .ok()
            .flatten()
            .and_then(|a| SocketAddrUnix::try_from(a).ok())
            .map(|a| UnixAddr::from_rustix(&a))
            // An unbound client's name is empty.
            .filter(|a| *a != UnixAddr::Abstract(Vec::new()))
            .unwrap_or(UnixAddr::Unnamed);
        let peer_credentials = peer_credentials(&fd);
        Ok(Seqpacket {
            fd,
            local: self.local.clone(),
            peer: Address::Unix(peer),
            peer_credentials,
            credentials: CredentialReads::default(),
        })
    }
}

/// One end of a `SOCK_SEQPACKET` connection.
#[derive(Debug)]
pub(crate) struct Seqpacket {
    fd: OwnedFd,
    local: UnixAddr,
    /// The other end: where every message comes from and goes to.
    peer: Address,
    /// The other end's credentials as the kernel recorded them when it
    /// connected (`SO_PEERCRED`): those of every message that carries
    /// none of its own, so that a message sent before the server turned
    /// on `SO_PASSCRED` is not taken for one without credentials.
    peer_credentials: Option<Credentials>,
    credentials: CredentialReads,
}

impl Seqpacket {
    /// A connection to the listener at `addr`.
    pub(crate) fn connect(addr: &UnixAddr) -> io::Result<Self> {
        let fd = seqpacket_socket()?;
        rustix::net::connect(&fd, &addr.to_rustix()?)
            .map_err(|e| with_context(e, &format!("connect to unix socket {addr}")))?;
        let local = local_addr(fd.as_fd())?;
        let peer_credentials = peer_credentials(&fd);
        Ok(Seqpacket {
            fd,
            local,
            peer: Address::Unix(addr.clone()),
            peer_credentials,
            credentials: CredentialReads::default(),
        })
    }

    pub(crate) fn local_addr(&self) -> &UnixAddr {
        &self.local
    }

    pub(crate) fn peer(&self) -> &Address {
        &self.peer
    }

    pub(crate) fn send(
        &self,
        bytes: &[u8],
        fds: &[BorrowedFd<'_>],
        dont_wait: bool,
    ) -> io::Result<()> {
        send_unix(self.fd.as_fd(), None, bytes, fds, dont_wait)
    }

    /// Receives one message; the peer closing the connection (a message
    /// of no bytes and no descriptors) is `UnexpectedEof`.
    pub(crate) fn recv_into(&self, buf: &mut [u8]) -> io::Result<RecvInfo> {
        let mut info = self.credentials.recv_unix(self.fd.as_fd(), buf)?;
        if info.len == 0 && info.fds.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} closed the connection", self.peer),
            ));
        }
        info.from = Some(self.peer.clone());
        info.credentials = info.credentials.or(self.peer_credentials);
        Ok(info)
    }

    /// Ends the receiving side: a receive waiting now or later returns at
    /// once with `UnexpectedEof`.
    pub(crate) fn shutdown_read(&self) -> io::Result<()> {
        rustix::net::shutdown(&self.fd, Shutdown::Read)
            .map_err(|e| with_context(e, "shutdown unix connection"))
    }
}

impl AsFd for Seqpacket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl SocketOptions for Seqpacket {
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        self.credentials.set(self.fd.as_fd(), on)
    }
}

/// The credentials the kernel recorded for the other end of `fd` when it
/// connected (`SO_PEERCRED`), read with nix: its pid is 0 when that process
/// is not visible in this PID namespace, which rustix's `UCred` cannot
/// hold.
fn peer_credentials(fd: &OwnedFd) -> Option<Credentials> {
    nix::sys::socket::getsockopt(fd, nix::sys::socket::sockopt::PeerCredentials)
        .ok()
        .map(|c| credentials_from(&c))
}
