//! The kernel socket on tokio (feature `tokio`): the same requests, dumps
//! and notifications as [`KernelSocket`](super::KernelSocket), as futures.
//!
//! The socket is non-blocking and registered with tokio's reactor through
//! [`AsyncFd`]: no thread per socket, no blocking call. It shares the
//! blocking socket's receive state and loop steps (the conversation core,
//! the one buffer, the counters); only the waiting differs. Timeouts are
//! `tokio::time` deadlines, one per datagram awaited.

use std::prelude::rust_2024::*;

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

use super::Protocol;
use super::error::{Ack, KernelError};
use super::shared::{self, Core, Recv, Step};
use super::socket::{SocketOptions, Stats};
use crate::netlink::Message;
use crate::netlink::conversation::Expect;
use crate::netlink::flags::{Flags, GetFlags};

/// A netlink socket talking to the kernel from tokio tasks: see the
/// [module documentation](super).
///
/// Its futures borrow the socket mutably, so one task drives it at a time;
/// open one socket per concurrent conversation (a request socket beside a
/// notification socket, say). Every future may be dropped at any await
/// point: a datagram is taken off the queue only once it is whole in the
/// buffer, and a conversation dropped part way is abandoned (what arrives
/// for it later is skipped).
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// # #[cfg(feature = "family-rt-link")] {
/// use procslink::kernel::{AsyncKernelSocket, Protocol};
/// use procslink::netlink::display::Escaped;
/// use procslink::families::rt_link::{self, Ifinfomsg};
/// use procslink::netlink::{Builder, flags::Flags};
///
/// let mut socket = AsyncKernelSocket::open(Protocol::ROUTE)?;
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)?;
/// m.family_header(&Ifinfomsg::default())?;
/// m.finish()?;
///
/// let mut dump = socket.dump(b.as_bytes()).await?;
/// while let Some(link) = dump.next().await {
///     let (ifinfo, attrs) = link?.family_header::<Ifinfomsg>()?;
///     if let Some(name) = attrs.lookup(rt_link::IFLA_IFNAME)? {
///         println!("{}: {}", ifinfo.ifi_index, Escaped(name.bytes_str()));
///     }
/// }
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncKernelSocket {
    fd: AsyncFd<netlink_sys::Socket>,
    core: Core,
    timeout: Option<Duration>,
}

impl AsyncKernelSocket {
    /// Opens a socket of `protocol` with the default [`SocketOptions`] (a
    /// 5-second timeout for each answer awaited).
    ///
    /// Must be called within a tokio runtime: outside one it is an
    /// [`KernelError::Io`] error.
    ///
    /// # Panics
    ///
    /// In a runtime built without I/O (`enable_io`), as tokio's own sockets
    /// do.
    pub fn open(protocol: Protocol) -> Result<Self, KernelError> {
        Self::open_with(protocol, SocketOptions::new())
    }

    /// Opens a socket of `protocol`, binds it to a port the kernel chooses,
    /// sets it up as `options` say, makes it non-blocking and registers it
    /// with the runtime's reactor. `options`' receive timeout is the time
    /// each future waits for a datagram before [`KernelError::Timeout`].
    ///
    /// Outside a tokio runtime it is an [`KernelError::Io`] error.
    ///
    /// # Panics
    ///
    /// In a runtime built without I/O (`enable_io`), as tokio's own sockets
    /// do.
    pub fn open_with(protocol: Protocol, options: SocketOptions) -> Result<Self, KernelError> {
        // tokio panics when a descriptor is registered outside a runtime;
        // that case, the common mistake, is an error here instead.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(KernelError::Io {
                op: "opening an async netlink socket",
                source: std::io::Error::other("no tokio runtime is running on this thread"),
            });
        }
        let (socket, port) = shared::open_socket(protocol, &options)?;
        rustix::io::ioctl_fionbio(&socket, true)
            .map_err(|e| KernelError::io("ioctl FIONBIO", e))?;
        // tokio 1.54 deprecates its safe constructors for an `unsafe fn`
        // whose contract is that `as_raw_fd` returns the same open
        // descriptor while the `AsyncFd` lives. `netlink_sys::Socket` owns
        // its descriptor, closes it only when dropped and always returns
        // it: the contract holds, and the crate forbids `unsafe`, so the
        // safe (deprecated) constructor is the one to call.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(socket, Interest::READABLE | Interest::WRITABLE);
        let fd = fd.map_err(|source| KernelError::Io {
            op: "registering the socket with tokio",
            source,
        })?;
        Ok(AsyncKernelSocket {
            fd,
            core: Core::new(protocol, port, &options),
            timeout: options.recv_timeout,
        })
    }

    /// The protocol the socket speaks.
    pub fn protocol(&self) -> Protocol {
        self.core.protocol
    }

    /// The port id the kernel gave the socket (`nl_pid`).
    pub fn port(&self) -> u32 {
        self.core.port
    }

    /// What the socket skipped and survived.
    pub fn stats(&self) -> Stats {
        self.core.stats
    }

    /// How long each future waits for a datagram (`None`: for ever).
    pub fn set_recv_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Sets the kernel's receive queue size (`SO_RCVBUFFORCE` if the
    /// process may, else `SO_RCVBUF`, which the system caps).
    pub fn set_recv_buffer_size(&mut self, bytes: usize) -> Result<(), KernelError> {
        shared::set_recv_buffer_size(self.fd.get_ref().as_fd(), bytes)
    }

    /// Joins multicast group `group` (`NETLINK_ADD_MEMBERSHIP`).
    pub fn join(&mut self, group: u32) -> Result<(), KernelError> {
        shared::membership(self.fd.get_ref(), group, true)
    }

    /// Leaves multicast group `group` (`NETLINK_DROP_MEMBERSHIP`).
    pub fn leave(&mut self, group: u32) -> Result<(), KernelError> {
        shared::membership(self.fd.get_ref(), group, false)
    }

    /// Sends `bytes` to the kernel as they are.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), KernelError> {
        send(&self.fd, bytes, self.timeout).await
    }

    /// Receives one datagram from the kernel, whole, and returns it; an
    /// overflowed queue is [`KernelError::EventsLost`].
    pub async fn recv(&mut self) -> Result<&[u8], KernelError> {
        self.core.drop_unread();
        match self.recv_datagram().await? {
            Recv::Datagram(n) => Ok(self.core.datagram(n)),
            Recv::Overrun => Err(KernelError::EventsLost),
            Recv::WouldBlock => Err(KernelError::Timeout),
        }
    }

    /// Sends one request and awaits its acknowledgement, as
    /// [`KernelSocket::request`](super::KernelSocket::request).
    pub async fn request(&mut self, request: &[u8]) -> Result<Ack, KernelError> {
        self.request_with(request, |_| {}).await
    }

    /// [`AsyncKernelSocket::request`], handing each reply that comes before
    /// the acknowledgement to `on_reply`.
    pub async fn request_with(
        &mut self,
        request: &[u8],
        mut on_reply: impl FnMut(&Message<'_>),
    ) -> Result<Ack, KernelError> {
        let seq = self
            .start(request, Flags::REQUEST | Flags::ACK, Expect::Ack)
            .await?;
        loop {
            let r = self.recv_datagram().await;
            let Some(n) = self.core.conversation_recv(r)? else {
                continue;
            };
            if let Some(outcome) = self.core.request_datagram(n, seq, &mut on_reply) {
                return outcome;
            }
        }
    }

    /// Sends several requests in one datagram and awaits the
    /// acknowledgement of each, as
    /// [`KernelSocket::request_batch`](super::KernelSocket::request_batch).
    pub async fn request_batch(
        &mut self,
        batch: &[u8],
        mut on_reply: impl FnMut(usize, &Message<'_>),
    ) -> Result<Vec<Ack>, KernelError> {
        let seqs = self.core.start_batch(batch)?;
        if let Err(e) = send(&self.fd, &self.core.out, self.timeout).await {
            self.core.conv.abandon();
            return Err(e);
        }
        let mut acks = Vec::with_capacity(seqs.len());
        loop {
            let r = self.recv_datagram().await;
            let Some(n) = self.core.conversation_recv(r)? else {
                continue;
            };
            if let Some(outcome) = self.core.batch_datagram(n, &seqs, &mut acks, &mut on_reply) {
                return outcome.map(|()| acks);
            }
        }
    }

    /// Sends a dump request and returns the dump, to be read message by
    /// message with [`AsyncDump::next`].
    pub async fn dump(&mut self, request: &[u8]) -> Result<AsyncDump<'_>, KernelError> {
        let flags = Flags::REQUEST | Flags::from(GetFlags::DUMP);
        self.start(request, flags, Expect::Dump).await?;
        Ok(AsyncDump {
            socket: self,
            ended: false,
        })
    }

    /// Reads the notifications of the groups the socket joined.
    pub fn notifications(&mut self) -> AsyncNotifications<'_> {
        AsyncNotifications { socket: self }
    }

    async fn start(
        &mut self,
        request: &[u8],
        flags: Flags,
        expect: Expect,
    ) -> Result<u32, KernelError> {
        let seq = self.core.start(request, flags, expect)?;
        if let Err(e) = send(&self.fd, &self.core.out, self.timeout).await {
            self.core.conv.abandon();
            return Err(e);
        }
        Ok(seq)
    }

    /// Awaits the next datagram from the kernel (up to the timeout:
    /// [`Recv::WouldBlock`]).
    async fn recv_datagram(&mut self) -> Result<Recv, KernelError> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            let ready = self.fd.readable();
            let waited = match deadline {
                Some(d) => match tokio::time::timeout_at(d, ready).await {
                    Ok(r) => r,
                    Err(_) => return Ok(Recv::WouldBlock),
                },
                None => ready.await,
            };
            let mut guard = waited.map_err(|source| KernelError::Io {
                op: "waiting for the socket",
                source,
            })?;
            match self.core.recv_datagram(guard.get_inner().as_fd())? {
                Recv::WouldBlock => guard.clear_ready(),
                received => return Ok(received),
            }
        }
    }
}

impl AsFd for AsyncKernelSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get_ref().as_fd()
    }
}

/// Sends `bytes` to the kernel, awaiting writability if the socket's send
/// buffer is full.
async fn send(
    fd: &AsyncFd<netlink_sys::Socket>,
    bytes: &[u8],
    timeout: Option<Duration>,
) -> Result<(), KernelError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        if shared::send_to_kernel(fd.get_ref().as_fd(), bytes)? {
            return Ok(());
        }
        let ready = fd.writable();
        let waited = match deadline {
            Some(d) => tokio::time::timeout_at(d, ready)
                .await
                .map_err(|_| KernelError::Timeout)?,
            None => ready.await,
        };
        let mut guard = waited.map_err(|source| KernelError::Io {
            op: "waiting for the socket",
            source,
        })?;
        guard.clear_ready();
    }
}

/// A dump in progress; made by [`AsyncKernelSocket::dump`]. Read it with
/// [`AsyncDump::next`], as [`Dump`](super::Dump).
#[derive(Debug)]
pub struct AsyncDump<'s> {
    socket: &'s mut AsyncKernelSocket,
    ended: bool,
}

impl AsyncDump<'_> {
    /// The next message of the dump, `None` at its end. Each borrows the
    /// socket's one buffer.
    pub async fn next(&mut self) -> Option<Result<Message<'_>, KernelError>> {
        if self.ended {
            return None;
        }
        let start = match self.advance().await {
            Ok(Some(start)) => start,
            Ok(None) => {
                self.ended = true;
                return None;
            }
            Err(e) => {
                self.ended = true;
                return Some(Err(e));
            }
        };
        Some(self.socket.core.message_at(start))
    }

    async fn advance(&mut self) -> Result<Option<usize>, KernelError> {
        let s = &mut *self.socket;
        loop {
            match s.core.dump_step() {
                Step::Ready(outcome) => return outcome,
                Step::NeedDatagram => {
                    let r = s.recv_datagram().await;
                    if let Some(n) = s.core.conversation_recv(r)? {
                        s.core.load(n);
                    }
                }
            }
        }
    }

    /// Replies yielded so far.
    pub fn replies(&self) -> u32 {
        self.socket.core.conv.replies()
    }
}

impl Drop for AsyncDump<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.socket.core.conv.abandon();
        }
    }
}

/// The notifications of the groups a socket joined; made by
/// [`AsyncKernelSocket::notifications`].
#[derive(Debug)]
pub struct AsyncNotifications<'s> {
    socket: &'s mut AsyncKernelSocket,
}

impl AsyncNotifications<'_> {
    /// Awaits the next notification (up to the timeout:
    /// [`KernelError::Timeout`]); [`KernelError::EventsLost`] once after
    /// the queue overflowed, as
    /// [`Notifications::next`](super::Notifications::next).
    pub async fn next(&mut self) -> Result<Message<'_>, KernelError> {
        let s = &mut *self.socket;
        let start = loop {
            match s.core.notification_step() {
                Step::Ready(outcome) => break outcome?,
                Step::NeedDatagram => {
                    let r = s.recv_datagram().await;
                    s.core.notification_recv(r)?;
                }
            }
        };
        s.core.message_at(start)
    }
}
