//! The socket layer: `AF_NETLINK`/`NETLINK_USERSOCK` and `AF_UNIX`
//! datagram sockets through rustix's safe API (the Unix one in `unix`),
//! addresses, what comes with a received datagram, and errors.

use std::prelude::rust_2024::*;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketAddrAny, SocketAddrUnix, SocketFlags, SocketType,
};

use super::credentials::recv_netlink;

mod unix;

pub use unix::UnixDatagram;
pub(crate) use unix::{recv_unix, send_unix};

/// The most file descriptors one `SCM_RIGHTS` message can carry on Linux
/// (`SCM_MAX_FD`).
pub const MAX_FDS: usize = 253;

/// The sender's credentials, as the kernel reports them (`SCM_CREDENTIALS`,
/// translated into the receiver's namespaces). A sender cannot forge them
/// without privilege (`CAP_SETUID`/`CAP_SETGID`/`CAP_SYS_ADMIN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The sender's process id in the receiver's PID namespace; **0** when
    /// the sender's process is not visible there (it runs in a PID
    /// namespace that is not the receiver's or a descendant of it: a
    /// client outside a server started with `unshare --pid`; a Unix
    /// socket then refuses the descriptors that sender passes, see
    /// [`RecvInfo::control_truncated`]). A pid says
    /// which process sent the datagram at that moment only; pids are
    /// reused, so it is no ground for access control.
    pub pid: i32,
    /// The sender's user id in the receiver's user namespace; the overflow
    /// uid (`/proc/sys/kernel/overflowuid`, 65534 by default) when it has
    /// no mapping there (see [`ServerOptions::allow_uid`](super::ServerOptions::allow_uid)).
    pub uid: u32,
    /// The sender's group id, likewise (the overflow gid when unmapped).
    pub gid: u32,
}

/// A Unix-domain socket address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixAddr {
    /// A path in the file system.
    Path(PathBuf),
    /// A Linux abstract name (without the leading NUL).
    Abstract(Vec<u8>),
    /// No name (an unbound socket; binding it autobinds a unique abstract
    /// name).
    Unnamed,
}

impl UnixAddr {
    /// An abstract name.
    pub fn abstract_name(name: impl AsRef<[u8]>) -> Self {
        UnixAddr::Abstract(name.as_ref().to_vec())
    }

    pub(crate) fn to_rustix(&self) -> io::Result<SocketAddrUnix> {
        match self {
            UnixAddr::Path(p) => SocketAddrUnix::new(p.as_path()),
            UnixAddr::Abstract(name) => SocketAddrUnix::new_abstract_name(name),
            UnixAddr::Unnamed => Ok(SocketAddrUnix::new_unnamed()),
        }
        .map_err(|e| with_context(e, &format!("unix address {self}")))
    }

    /// Whether `self` and `other` are spelled the same, byte for byte: a
    /// cheaper test than `==`, which compares paths component by
    /// component.
    #[inline]
    pub(crate) fn is_spelled_as(&self, other: &UnixAddr) -> bool {
        match (self, other) {
            (UnixAddr::Path(a), UnixAddr::Path(b)) => {
                a.as_os_str().as_bytes() == b.as_os_str().as_bytes()
            }
            (UnixAddr::Abstract(a), UnixAddr::Abstract(b)) => a == b,
            (UnixAddr::Unnamed, UnixAddr::Unnamed) => true,
            _ => false,
        }
    }

    pub(crate) fn from_rustix(addr: &SocketAddrUnix) -> Self {
        if let Some(p) = addr.path_bytes() {
            UnixAddr::Path(PathBuf::from(OsStr::from_bytes(p)))
        } else if let Some(name) = addr.abstract_name() {
            UnixAddr::Abstract(name.to_vec())
        } else {
            UnixAddr::Unnamed
        }
    }
}

impl From<&Path> for UnixAddr {
    fn from(p: &Path) -> Self {
        UnixAddr::Path(p.to_path_buf())
    }
}

impl From<PathBuf> for UnixAddr {
    fn from(p: PathBuf) -> Self {
        UnixAddr::Path(p)
    }
}

impl fmt::Display for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnixAddr::Path(p) => write!(f, "{}", p.display()),
            UnixAddr::Abstract(name) => write!(f, "@{}", name.escape_ascii()),
            UnixAddr::Unnamed => f.write_str("(unnamed)"),
        }
    }
}

/// Where a peer lives: a netlink port id or a Unix datagram socket address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// A `NETLINK_USERSOCK` port id (`nl_pid`).
    Netlink(u32),
    /// A Unix-domain datagram socket.
    Unix(UnixAddr),
}

impl Address {
    /// The netlink port id, if this is one.
    pub fn port(&self) -> Option<u32> {
        match self {
            Address::Netlink(p) => Some(*p),
            Address::Unix(_) => None,
        }
    }
}

impl From<u32> for Address {
    fn from(port: u32) -> Self {
        Address::Netlink(port)
    }
}

impl From<UnixAddr> for Address {
    fn from(a: UnixAddr) -> Self {
        Address::Unix(a)
    }
}

impl From<&Path> for Address {
    fn from(p: &Path) -> Self {
        Address::Unix(UnixAddr::Path(p.to_path_buf()))
    }
}

impl From<PathBuf> for Address {
    fn from(p: PathBuf) -> Self {
        Address::Unix(UnixAddr::Path(p))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Netlink(p) => write!(f, "netlink port {p}"),
            Address::Unix(a) => write!(f, "unix {a}"),
        }
    }
}

/// One received datagram.
#[derive(Debug)]
pub struct Received {
    /// The bytes received (at most the receive limit; see `len`).
    pub data: Vec<u8>,
    /// The datagram's real length; larger than `data.len()` when it was
    /// truncated.
    pub len: usize,
    /// The sender, as the kernel reports it (`None` for an unnamed Unix
    /// sender, which cannot be answered).
    pub from: Option<Address>,
    /// The sender's credentials, when the socket asked for them
    /// (`SO_PASSCRED`).
    pub credentials: Option<Credentials>,
    /// The file descriptors that came with the datagram, owned.
    pub fds: Vec<OwnedFd>,
    /// The kernel truncated the ancillary data (`MSG_CTRUNC`): some
    /// descriptors or credentials were lost.
    pub control_truncated: bool,
}

impl Received {
    /// Whether the datagram was longer than the receive limit.
    pub fn is_truncated(&self) -> bool {
        self.len > self.data.len()
    }

    fn new(mut data: Vec<u8>, info: RecvInfo) -> Self {
        data.truncate(info.len);
        Received {
            data,
            len: info.len,
            from: info.from,
            credentials: info.credentials,
            fds: info.fds,
            control_truncated: info.control_truncated,
        }
    }
}

/// What came with one datagram received into the caller's buffer
/// ([`NetlinkSocket::recv_into`], [`UnixDatagram::recv_into`]).
#[derive(Debug)]
pub struct RecvInfo {
    /// The datagram's real length; larger than the buffer when it was
    /// truncated (the buffer then holds its first bytes).
    pub len: usize,
    /// The sender, as the kernel reports it (`None` for an unnamed Unix
    /// sender, which cannot be answered).
    pub from: Option<Address>,
    /// The sender's credentials, when the socket asked for them
    /// (`SO_PASSCRED`).
    pub credentials: Option<Credentials>,
    /// The file descriptors that came with the datagram, owned.
    pub fds: Vec<OwnedFd>,
    /// The kernel truncated the ancillary data (`MSG_CTRUNC`): some
    /// descriptors or credentials were lost. Also set, with the
    /// descriptors closed unread, for a message to a Unix socket with
    /// credentials on whose sender has pid 0 ([`Credentials::pid`]).
    pub control_truncated: bool,
}

impl RecvInfo {
    /// The bytes of the datagram that `buf`, the buffer it was received
    /// into, holds.
    pub fn data<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(..self.len).unwrap_or(buf)
    }

    /// Whether the datagram was longer than the buffer.
    pub fn is_truncated(&self, buf: &[u8]) -> bool {
        self.len > buf.len()
    }
}

/// Turns a rustix error into an `std::io::Error` of the same kind whose text
/// says what was being done.
pub(crate) fn with_context(errno: Errno, what: &str) -> io::Error {
    let os = io::Error::from(errno);
    io::Error::new(os.kind(), format!("{what}: {os}"))
}

/// Whether `errno` only says "not now" (`EAGAIN`: nothing to read, or no
/// room to send, before the timeout or at once with `MSG_DONTWAIT`;
/// `EINTR`; `ETIMEDOUT`): the callers retry or count it and never show
/// its text.
fn is_transient(errno: Errno) -> bool {
    errno == Errno::AGAIN || errno == Errno::INTR || errno == Errno::TIMEDOUT
}

/// [`with_context`], except for a transient error ([`is_transient`]),
/// which is returned as the bare OS error: it comes whenever a read
/// empties a socket or a reply finds a full queue, and formatting a text
/// for it would cost two allocations each time.
pub(crate) fn io_error(errno: Errno, what: impl FnOnce() -> String) -> io::Error {
    if is_transient(errno) {
        return io::Error::from(errno);
    }
    let os = io::Error::from(errno);
    io::Error::new(os.kind(), format!("{}: {os}", what()))
}

fn set_timeout(fd: BorrowedFd<'_>, id: Timeout, value: Option<Duration>) -> io::Result<()> {
    let value = value.map(|d| d.max(Duration::from_micros(1)));
    sockopt::set_socket_timeout(fd, id, value).map_err(|e| with_context(e, "setsockopt SO_*TIMEO"))
}

fn set_recv_buffer(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    sockopt::set_socket_recv_buffer_size_force(fd, bytes)
        .or_else(|_| sockopt::set_socket_recv_buffer_size(fd, bytes))
        .map_err(|e| with_context(e, "setsockopt SO_RCVBUF"))
}

/// Credentials rustix read, only ever from a message whose pid the
/// kernel reported as not 0 ([`CredentialReads`]).
pub(crate) fn credentials_of(cred: rustix::net::UCred) -> Credentials {
    Credentials {
        pid: cred.pid.as_raw_nonzero().get(),
        uid: cred.uid.as_raw(),
        gid: cred.gid.as_raw(),
    }
}

/// An `AF_NETLINK`/`SOCK_RAW`/`NETLINK_USERSOCK` socket bound to port 0, so
/// that the kernel assigns it a unique port id: the peer's address.
///
/// ```
/// use procslink::peer::NetlinkSocket;
///
/// # fn main() -> std::io::Result<()> {
/// # if NetlinkSocket::open().is_err() { return Ok(()) }
/// let a = NetlinkSocket::open()?;
/// let b = NetlinkSocket::open()?;
/// a.send_to(b.port(), b"hi")?;
/// let mut buf = [0u8; 16];
/// let (len, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..len], from), (&b"hi"[..], a.port()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct NetlinkSocket {
    fd: OwnedFd,
    port: u32,
}

impl NetlinkSocket {
    /// Opens a `NETLINK_USERSOCK` socket and binds it to port 0.
    ///
    /// # Errors
    ///
    /// The `socket`, `bind` or `getsockname` failure, with what failed in
    /// its text (for example when netlink is not available in a sandbox).
    pub fn open() -> io::Result<Self> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            Some(netlink::USERSOCK),
        )
        .map_err(|e| with_context(e, "socket(AF_NETLINK, SOCK_RAW, NETLINK_USERSOCK)"))?;
        rustix::net::bind(&fd, &SocketAddrNetlink::new(0, 0))
            .map_err(|e| with_context(e, "bind NETLINK_USERSOCK socket to port 0"))?;
        let addr = rustix::net::getsockname(&fd)
            .map_err(|e| with_context(e, "getsockname on netlink socket"))?;
        let port = SocketAddrNetlink::try_from(addr)
            .map_err(|e| with_context(e, "getsockname on netlink socket"))?
            .pid();
        Ok(NetlinkSocket { fd, port })
    }

    /// The port id the kernel assigned.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Sends one datagram to `port`.
    ///
    /// # Errors
    ///
    /// The `sendto` failure (`ECONNREFUSED` when nothing is bound to
    /// `port`, `EAGAIN`/`WouldBlock` after the send timeout when the
    /// receiver's queue stays full).
    #[inline]
    pub fn send_to(&self, port: u32, bytes: &[u8]) -> io::Result<()> {
        self.send_to_with(port, bytes, false)
    }

    /// [`send_to`](Self::send_to), not waiting for room in the receiver's
    /// queue when `dont_wait` (`MSG_DONTWAIT`: `WouldBlock` at once
    /// instead).
    #[inline]
    pub(crate) fn send_to_with(&self, port: u32, bytes: &[u8], dont_wait: bool) -> io::Result<()> {
        let flags = if dont_wait {
            SendFlags::DONTWAIT
        } else {
            SendFlags::empty()
        };
        let sent = rustix::net::sendto(&self.fd, bytes, flags, &SocketAddrNetlink::new(port, 0))
            .map_err(|e| send_error(e, port))?;
        short_send(sent, bytes.len())
    }

    /// Receives one datagram into `buf`: its real length (larger than
    /// `buf.len()` if it was truncated) and the sender's port id as the
    /// kernel reports it.
    ///
    /// # Errors
    ///
    /// The `recvfrom` failure (`WouldBlock`/`TimedOut` after the receive
    /// timeout; `ENOBUFS` when the kernel dropped datagrams because the
    /// receive queue overflowed).
    #[inline]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, u32)> {
        let (_, len, addr) = rustix::net::recvfrom(&self.fd, &mut *buf, RecvFlags::TRUNC)
            .map_err(|e| recv_error(e, "receive from netlink socket"))?;
        Ok((len, netlink_sender(addr)?))
    }

    /// Receives one datagram of at most `limit` bytes, with the sender's
    /// credentials when [`SocketOptions::set_passcred`] is on.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](Self::recv_from); the error keeps the kernel's
    /// error code (see [`io::Error::raw_os_error`]) only in its kind.
    pub fn recv(&self, limit: usize) -> io::Result<Received> {
        let mut data = vec![0u8; limit];
        let info = self.recv_into(&mut data)?;
        Ok(Received::new(data, info))
    }

    /// Receives one datagram into `buf` (a longer one is truncated to
    /// `buf.len()` bytes, [`RecvInfo::len`] giving its real length), with
    /// the sender's credentials when [`SocketOptions::set_passcred`] is on.
    /// Nothing is allocated: a server receives every request into one
    /// buffer.
    ///
    /// ```
    /// use procslink::peer::{Address, NetlinkSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # if NetlinkSocket::open().is_err() { return Ok(()) }
    /// let (a, b) = (NetlinkSocket::open()?, NetlinkSocket::open()?);
    /// a.send_to(b.port(), b"a longer datagram")?;
    /// let mut buf = [0u8; 8];
    /// let info = b.recv_into(&mut buf)?;
    /// assert_eq!((info.len, info.is_truncated(&buf)), (17, true));
    /// assert_eq!(info.data(&buf), b"a longer");
    /// assert_eq!(info.from, Some(Address::Netlink(a.port())));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub fn recv_into(&self, buf: &mut [u8]) -> io::Result<RecvInfo> {
        recv_netlink(self.fd.as_fd(), buf)
    }
}

impl AsFd for NetlinkSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[inline(always)]
fn netlink_sender(addr: Option<SocketAddrAny>) -> io::Result<u32> {
    let addr = addr.ok_or_else(|| io::Error::other("netlink datagram without a sender address"))?;
    SocketAddrNetlink::try_from(addr)
        .map(|a| a.pid())
        .map_err(|e| with_context(e, "netlink datagram sender address"))
}

/// A netlink send's error; when nothing is bound at the port in this
/// network namespace (the kernel's `ECONNREFUSED`) it says so, keeping
/// the error's kind: a server in another network namespace is as
/// unreachable as one that is gone.
fn send_error(e: Errno, port: u32) -> io::Error {
    if e == Errno::CONNREFUSED {
        return io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!(
                "no peer at netlink port {port} in this network namespace \
                 (the server is gone, or runs in another network namespace)"
            ),
        );
    }
    io_error(e, || format!("send to netlink port {port}"))
}

fn short_send(sent: usize, len: usize) -> io::Result<()> {
    if sent == len {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("sent {sent} of {len} bytes of a datagram"),
        ))
    }
}

/// The error a receive gives when the kernel dropped datagrams because the
/// receive queue overflowed (`ENOBUFS` on netlink).
#[derive(Debug)]
struct Overrun(String);

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: receive queue overflowed, datagrams were dropped (ENOBUFS)",
            self.0
        )
    }
}

impl std::error::Error for Overrun {}

/// Whether `e` reports datagrams the kernel dropped (the socket is still
/// usable).
pub(crate) fn is_overrun(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Overrun>())
}

pub(crate) fn recv_error(e: Errno, what: &str) -> io::Error {
    if e == Errno::NOBUFS {
        io::Error::other(Overrun(what.to_string()))
    } else {
        io_error(e, || what.to_string())
    }
}

/// Socket options shared by [`NetlinkSocket`] and [`UnixDatagram`].
pub trait SocketOptions: AsFd {
    /// Asks the kernel to attach the sender's credentials to every datagram
    /// received (`SO_PASSCRED`). Turn it on through this method only: a
    /// Unix socket then reads each message's credentials in a way that
    /// holds a pid of 0 (a sender in a PID namespace not visible here),
    /// at the cost of one more system call per message.
    ///
    /// # Errors
    ///
    /// The `setsockopt` failure.
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        sockopt::set_socket_passcred(self.as_fd(), on)
            .map_err(|e| with_context(e, "setsockopt SO_PASSCRED"))
    }

    /// Sets (or clears, with `None`) the receive timeout.
    ///
    /// # Errors
    ///
    /// The `setsockopt` failure.
    fn set_recv_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        set_timeout(self.as_fd(), Timeout::Recv, timeout)
    }

    /// Sets (or clears, with `None`) the send timeout: how long a send
    /// waits while the receiver's queue is full.
    ///
    /// # Errors
    ///
    /// The `setsockopt` failure.
    fn set_send_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        set_timeout(self.as_fd(), Timeout::Send, timeout)
    }

    /// Sets the receive buffer size (`SO_RCVBUFFORCE` when privileged, else
    /// `SO_RCVBUF`, which the kernel caps at `net.core.rmem_max`).
    ///
    /// # Errors
    ///
    /// The `setsockopt` failure.
    fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        set_recv_buffer(self.as_fd(), bytes)
    }
}

impl SocketOptions for NetlinkSocket {}

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::{Errno, is_overrun, recv_error};

    #[test]
    fn enobufs_is_an_overrun_and_other_errors_are_not() {
        assert!(is_overrun(&recv_error(Errno::NOBUFS, "receive")));
        assert!(!is_overrun(&recv_error(Errno::AGAIN, "receive")));
        assert!(!is_overrun(&recv_error(Errno::BADF, "receive")));
    }

    #[test]
    fn a_transient_error_is_the_bare_os_error_and_others_say_what_failed() {
        for errno in [Errno::AGAIN, Errno::INTR, Errno::TIMEDOUT] {
            let e = recv_error(errno, "receive from unix socket");
            // No custom payload: nothing was allocated for it.
            assert!(e.get_ref().is_none(), "{e:?}");
            assert_eq!(e.raw_os_error(), Some(errno.raw_os_error()));
        }
        let e = recv_error(Errno::AGAIN, "receive");
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        let e = recv_error(Errno::BADF, "receive from unix socket");
        assert!(
            e.to_string().starts_with("receive from unix socket: "),
            "{e}"
        );
        let e = super::send_error(Errno::AGAIN, 7);
        assert!(e.get_ref().is_none() && e.kind() == std::io::ErrorKind::WouldBlock);
    }
}
