//! [`UnixDatagram`]: `AF_UNIX`/`SOCK_DGRAM` sockets that pass descriptors,
//! and the send and receive code `SOCK_SEQPACKET` connections share.

use std::prelude::rust_2024::*;

use std::cell::RefCell;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix, SocketFlags, SocketType,
};

use super::{
    Address, MAX_FDS, Received, RecvInfo, SocketOptions, UnixAddr, credentials_of, io_error,
    recv_error, short_send, with_context,
};
use crate::peer::credentials::CredentialReads;

/// An `AF_UNIX`/`SOCK_DGRAM` socket that passes file descriptors
/// (`SCM_RIGHTS`) with its datagrams.
///
/// A socket bound to [`UnixAddr::Unnamed`] is autobound: the kernel gives it
/// a unique abstract name, so it can receive replies.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::fd::AsFd;
/// use procslink::peer::{UnixAddr, UnixDatagram};
///
/// # fn main() -> std::io::Result<()> {
/// let a = UnixDatagram::bind(&UnixAddr::Unnamed)?;
/// let b = UnixDatagram::bind(&UnixAddr::Unnamed)?;
/// let (reader, mut writer) = std::io::pipe()?;
/// a.send_to(b.local_addr(), b"take this", &[reader.as_fd()])?;
/// let got = b.recv(1024)?;
/// assert_eq!(got.data, b"take this");
/// assert_eq!(got.from.as_ref().and_then(|f| if let procslink::peer::Address::Unix(u) = f { Some(u) } else { None }), Some(a.local_addr()));
/// writer.write_all(b"through the pipe")?;
/// drop(writer);
/// let mut text = String::new();
/// std::fs::File::from(got.fds.into_iter().next().unwrap()).read_to_string(&mut text)?;
/// assert_eq!(text, "through the pipe");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    fd: OwnedFd,
    local: UnixAddr,
    credentials: CredentialReads,
}

impl UnixDatagram {
    /// Opens a socket and binds it to `addr` ([`UnixAddr::Unnamed`]:
    /// autobind).
    ///
    /// # Errors
    ///
    /// The `socket`, `bind` or `getsockname` failure (`EADDRINUSE` when the
    /// path or name is taken).
    pub fn bind(addr: &UnixAddr) -> io::Result<Self> {
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .map_err(|e| with_context(e, "socket(AF_UNIX, SOCK_DGRAM)"))?;
        rustix::net::bind(&fd, &addr.to_rustix()?)
            .map_err(|e| with_context(e, &format!("bind unix socket to {addr}")))?;
        let local = rustix::net::getsockname(&fd)
            .map_err(|e| with_context(e, "getsockname on unix socket"))?;
        let local = SocketAddrUnix::try_from(local)
            .map_err(|e| with_context(e, "getsockname on unix socket"))?;
        Ok(UnixDatagram {
            fd,
            local: UnixAddr::from_rustix(&local),
            credentials: CredentialReads::default(),
        })
    }

    /// The address the socket is bound to (for an autobound socket, the
    /// abstract name the kernel chose).
    pub fn local_addr(&self) -> &UnixAddr {
        &self.local
    }

    /// Sends one datagram to `to`, with `fds` (at most [`MAX_FDS`]) as
    /// `SCM_RIGHTS`. The descriptors stay open here; the receiver gets
    /// duplicates.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for more than [`MAX_FDS`] descriptors; else the
    /// `sendmsg` failure (`ENOENT`/`ECONNREFUSED` when nothing listens at
    /// `to`, `EMSGSIZE` when the datagram is larger than the send buffer).
    pub fn send_to(&self, to: &UnixAddr, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        self.send_to_with(to, bytes, fds, false)
    }

    /// [`send_to`](Self::send_to), not waiting for room in the receiver's
    /// queue when `dont_wait` (`MSG_DONTWAIT`).
    pub(crate) fn send_to_with(
        &self,
        to: &UnixAddr,
        bytes: &[u8],
        fds: &[BorrowedFd<'_>],
        dont_wait: bool,
    ) -> io::Result<()> {
        send_unix(self.fd.as_fd(), Some(to), bytes, fds, dont_wait)
    }

    /// Makes `to` the default destination of [`send`](Self::send) and the
    /// only sender whose datagrams this socket receives (`connect`).
    ///
    /// # Errors
    ///
    /// The `connect` failure (`ENOENT`/`ECONNREFUSED` when nothing is bound
    /// at `to`).
    pub fn connect(&self, to: &UnixAddr) -> io::Result<()> {
        rustix::net::connect(&self.fd, &to.to_rustix()?)
            .map_err(|e| with_context(e, &format!("connect unix socket to {to}")))
    }

    /// Sends one datagram to the address given to [`connect`](Self::connect),
    /// as [`send_to`](Self::send_to) does.
    ///
    /// # Errors
    ///
    /// As [`send_to`](Self::send_to); `ENOTCONN` without a destination.
    pub fn send(&self, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        send_unix(self.fd.as_fd(), None, bytes, fds, false)
    }

    /// The length of the next datagram, without taking it off the queue
    /// (`MSG_PEEK | MSG_TRUNC`), waiting for one at most the receive
    /// timeout.
    ///
    /// # Errors
    ///
    /// The `recvmsg` failure (`WouldBlock`/`TimedOut` after the receive
    /// timeout).
    pub fn peek_len(&self) -> io::Result<usize> {
        let mut control = RecvAncillaryBuffer::default();
        rustix::net::recvmsg(
            &self.fd,
            &mut [],
            &mut control,
            RecvFlags::PEEK | RecvFlags::TRUNC,
        )
        .map(|msg| msg.bytes)
        .map_err(|e| recv_error(e, "peek at unix socket"))
    }

    /// Receives one datagram of at most `limit` bytes, its descriptors and
    /// (with [`SocketOptions::set_passcred`]) the sender's credentials; a
    /// larger one is consumed, truncated to `limit` bytes
    /// ([`Received::is_truncated`]). See [`recv_into`](Self::recv_into).
    ///
    /// # Errors
    ///
    /// As [`recv_into`](Self::recv_into).
    pub fn recv(&self, limit: usize) -> io::Result<Received> {
        let mut data = vec![0u8; limit];
        let info = self.recv_into(&mut data)?;
        Ok(Received::new(data, info))
    }

    /// Receives one datagram into `buf` (a longer one is consumed,
    /// truncated to `buf.len()` bytes, [`RecvInfo::len`] giving its real
    /// length), its descriptors and (with [`SocketOptions::set_passcred`])
    /// the sender's credentials. Every descriptor is taken into ownership
    /// at once, so none leaks whatever the caller does with the datagram.
    /// Ancillary truncation (`MSG_CTRUNC`) is reported in
    /// [`RecvInfo::control_truncated`].
    ///
    /// # Errors
    ///
    /// The `recvmsg` failure (`WouldBlock`/`TimedOut` after the receive
    /// timeout).
    pub fn recv_into(&self, buf: &mut [u8]) -> io::Result<RecvInfo> {
        self.credentials.recv_unix(self.fd.as_fd(), buf)
    }
}

/// Sends one message on the Unix socket `fd`, to `to` (`None`: the
/// connected peer), with `fds` as `SCM_RIGHTS`.
pub(crate) fn send_unix(
    fd: BorrowedFd<'_>,
    to: Option<&UnixAddr>,
    bytes: &[u8],
    fds: &[BorrowedFd<'_>],
    dont_wait: bool,
) -> io::Result<()> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} file descriptors in one message; at most {MAX_FDS}",
                fds.len()
            ),
        ));
    }
    let flags = if dont_wait {
        SendFlags::DONTWAIT
    } else {
        SendFlags::empty()
    };
    let context = |e| {
        io_error(e, || match to {
            Some(to) => format!("send to unix socket {to}"),
            None => "send on unix socket".to_string(),
        })
    };
    if fds.is_empty() {
        // Nothing to carry beside the bytes: a plain `sendto`, without the
        // `msghdr` and control buffer `sendmsg` takes.
        let sent = match to {
            Some(to) => rustix::net::sendto(fd, bytes, flags, &destination(to)?),
            None => rustix::net::send(fd, bytes, flags),
        }
        .map_err(context)?;
        return short_send(sent, bytes.len());
    }
    // Room for the most descriptors a message can carry, on the stack.
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other(
            "ancillary buffer too small for the descriptors",
        ));
    }
    let iov = [io::IoSlice::new(bytes)];
    let sent = match to {
        Some(to) => rustix::net::sendmsg_addr(fd, &destination(to)?, &iov, &mut control, flags),
        None => rustix::net::sendmsg(fd, &iov, &mut control, flags),
    }
    .map_err(context)?;
    short_send(sent, bytes.len())
}

thread_local! {
    /// The path this thread last sent to, as the kernel takes it: a client
    /// calls the same server again and again, and turning a path into a
    /// `sockaddr_un` checks it for NULs and copies it each time.
    static LAST_PATH: RefCell<Option<(UnixAddr, SocketAddrUnix)>> = const { RefCell::new(None) };
}

/// `to` as the kernel takes it, remembered for the next send from this
/// thread when it is a path (an abstract name is cheap to convert, and a
/// server answering many clients would only churn the memory).
fn destination(to: &UnixAddr) -> io::Result<SocketAddrUnix> {
    if !matches!(to, UnixAddr::Path(_)) {
        return to.to_rustix();
    }
    LAST_PATH.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return to.to_rustix();
        };
        if let Some((path, raw)) = &*last
            && path.is_spelled_as(to)
        {
            return Ok(raw.clone());
        }
        let raw = to.to_rustix()?;
        *last = Some((to.clone(), raw.clone()));
        Ok(raw)
    })
}

/// Receives one message from the Unix socket `fd` into `buf`, taking
/// every descriptor that came with it into ownership at once.
///
/// Always `recvmsg` with room for [`MAX_FDS`] descriptors (on the stack,
/// uninitialised: it costs nothing when none come), never a bare
/// `recvfrom`: any sender may attach descriptors unasked, and they must
/// be received (to be handed on or closed) and a truncation reported,
/// not dropped silently with the datagram read as whole.
pub(crate) fn recv_unix(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<RecvInfo> {
    let mut space =
        [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS), ScmCredentials(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let msg = rustix::net::recvmsg(
        fd,
        &mut [io::IoSliceMut::new(buf)],
        &mut control,
        RecvFlags::TRUNC | RecvFlags::CMSG_CLOEXEC,
    )
    .map_err(|e| recv_error(e, "receive from unix socket"))?;
    let mut fds = Vec::new();
    let mut credentials = None;
    for message in control.drain() {
        match message {
            RecvAncillaryMessage::ScmRights(received) => fds.extend(received),
            RecvAncillaryMessage::ScmCredentials(c) => credentials = Some(credentials_of(c)),
            _ => {}
        }
    }
    drop(control);
    let from = msg
        .address
        .and_then(|a| SocketAddrUnix::try_from(a).ok())
        .map(|a| UnixAddr::from_rustix(&a))
        .filter(|a| *a != UnixAddr::Unnamed)
        .map(Address::Unix);
    Ok(RecvInfo {
        len: msg.bytes,
        from,
        credentials,
        fds,
        control_truncated: msg.flags.contains(ReturnFlags::CTRUNC),
    })
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl SocketOptions for UnixDatagram {
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        self.credentials.set(self.fd.as_fd(), on)
    }
}
