//! The socket layer: `AF_NETLINK`/`NETLINK_USERSOCK` and `AF_UNIX`
//! datagram sockets through rustix's safe API.

use std::prelude::rust_2024::*;

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::io::Errno;

use super::credentials::{CredentialReads, recv_netlink};
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrAny, SocketAddrUnix,
    SocketFlags, SocketType,
};

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

impl SocketOptions for UnixDatagram {
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        self.credentials.set(self.fd.as_fd(), on)
    }
}

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
