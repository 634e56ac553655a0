//! The socket: open, options, send, receive, and the request, dump and
//! notification loops over the conversation core.

use std::prelude::rust_2024::*;

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use super::Protocol;
use super::error::{Ack, KernelError};
use super::shared::{self, Core, Recv, Step};
use crate::netlink::conversation::Expect;
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::{Message, NLMSG_HDRLEN};

/// The receive buffer's first size: a kernel dump datagram is at most
/// 32 KiB; larger datagrams grow it.
const DEFAULT_BUFFER: usize = 32 * 1024;

/// How a [`KernelSocket`] is set up; [`SocketOptions::new`] is the
/// default.
///
/// ```
/// use std::time::Duration;
/// use procslink::kernel::SocketOptions;
///
/// let options = SocketOptions::new()
///     .strict_check(false)
///     .recv_timeout(Some(Duration::from_secs(1)))
///     .recv_buffer_size(Some(1 << 20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketOptions {
    pub(crate) ext_ack: bool,
    pub(crate) cap_ack: bool,
    pub(crate) strict_check: bool,
    pub(crate) recv_timeout: Option<Duration>,
    pub(crate) recv_buffer_size: Option<usize>,
    pub(crate) initial_buffer: usize,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions::new()
    }
}

impl SocketOptions {
    /// Extended acks, capped acks and strict checking on; a 5-second
    /// receive timeout; the system's socket receive buffer; a 32 KiB
    /// buffer to receive into, grown as needed.
    pub fn new() -> Self {
        SocketOptions {
            ext_ack: true,
            cap_ack: true,
            strict_check: true,
            recv_timeout: Some(Duration::from_secs(5)),
            recv_buffer_size: None,
            initial_buffer: DEFAULT_BUFFER,
        }
    }

    /// `NETLINK_EXT_ACK`: errors (and some acks) carry the kernel's
    /// explanation and the offset of the attribute it objects to.
    pub fn ext_ack(mut self, on: bool) -> Self {
        self.ext_ack = on;
        self
    }

    /// `NETLINK_CAP_ACK`: errors echo only the request's header, not its
    /// whole payload.
    pub fn cap_ack(mut self, on: bool) -> Self {
        self.cap_ack = on;
        self
    }

    /// `NETLINK_GET_STRICT_CHK`: the kernel checks dump requests' headers
    /// and attributes strictly (and honours their filters) instead of
    /// ignoring what it does not understand.
    pub fn strict_check(mut self, on: bool) -> Self {
        self.strict_check = on;
        self
    }

    /// `SO_RCVTIMEO`: how long a receive waits before
    /// [`KernelError::Timeout`] (`None`: for ever).
    pub fn recv_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.recv_timeout = timeout;
        self
    }

    /// `SO_RCVBUF` (`SO_RCVBUFFORCE` where allowed): the kernel's queue for
    /// this socket. A small one loses notifications under a burst of
    /// changes ([`KernelError::EventsLost`]); a large one rides them out.
    pub fn recv_buffer_size(mut self, bytes: Option<usize>) -> Self {
        self.recv_buffer_size = bytes;
        self
    }

    /// The first size of the buffer datagrams are received into (at least
    /// 16 bytes); it grows to fit any datagram.
    pub fn initial_buffer(mut self, bytes: usize) -> Self {
        self.initial_buffer = bytes.max(NLMSG_HDRLEN);
        self
    }
}

/// What a socket skipped and survived, counted since it was opened.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Datagrams received from the kernel.
    pub datagrams: u64,
    /// Datagrams from a sender other than the kernel, ignored.
    pub foreign_senders: u64,
    /// Messages skipped: not for the request being answered, control
    /// messages, or malformed.
    pub skipped: u64,
    /// Malformed messages or datagrams (counted in `skipped` too).
    pub malformed: u64,
    /// Times the receive queue overflowed (`ENOBUFS`).
    pub overruns: u64,
    /// Times the receive buffer grew to fit a datagram.
    pub buffer_grown: u64,
    /// Unread notifications dropped because a request or dump reused the
    /// buffer they were in.
    pub notifications_dropped: u64,
}

/// A netlink socket talking to the kernel: see the [module
/// documentation](super).
#[derive(Debug)]
pub struct KernelSocket {
    socket: netlink_sys::Socket,
    core: Core,
}

impl KernelSocket {
    /// Opens a socket of `protocol` with the default [`SocketOptions`].
    pub fn open(protocol: Protocol) -> Result<Self, KernelError> {
        Self::open_with(protocol, SocketOptions::new())
    }

    /// Opens a socket of `protocol`, binds it to a port the kernel chooses
    /// and sets it up as `options` say.
    ///
    /// The netlink options (`NETLINK_EXT_ACK`, …) are set through the
    /// `netlink-sys` crate, as rustix has no call for them; a kernel too
    /// old to know one (`ENOPROTOOPT`) simply goes without it.
    pub fn open_with(protocol: Protocol, options: SocketOptions) -> Result<Self, KernelError> {
        let (socket, port) = shared::open_socket(protocol, &options)?;
        shared::set_recv_timeout(socket.as_fd(), options.recv_timeout)?;
        Ok(KernelSocket {
            socket,
            core: Core::new(protocol, port, &options),
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

    /// The size of the buffer datagrams are received into now.
    pub fn buffer_capacity(&self) -> usize {
        self.core.buf.len()
    }

    /// Sets `SO_RCVTIMEO` (`None`: wait for ever).
    pub fn set_recv_timeout(&mut self, timeout: Option<Duration>) -> Result<(), KernelError> {
        shared::set_recv_timeout(self.socket.as_fd(), timeout)
    }

    /// Sets the kernel's receive queue size (`SO_RCVBUFFORCE` if the
    /// process may, else `SO_RCVBUF`, which the system caps).
    pub fn set_recv_buffer_size(&mut self, bytes: usize) -> Result<(), KernelError> {
        shared::set_recv_buffer_size(self.socket.as_fd(), bytes)
    }

    /// Joins multicast group `group` (`NETLINK_ADD_MEMBERSHIP`), for
    /// example [`groups::RTNLGRP_LINK`](super::groups::RTNLGRP_LINK).
    pub fn join(&mut self, group: u32) -> Result<(), KernelError> {
        shared::membership(&self.socket, group, true)
    }

    /// Leaves multicast group `group` (`NETLINK_DROP_MEMBERSHIP`).
    pub fn leave(&mut self, group: u32) -> Result<(), KernelError> {
        shared::membership(&self.socket, group, false)
    }

    /// Sends `bytes` to the kernel as they are.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), KernelError> {
        send_blocking(self.socket.as_fd(), bytes)
    }

    /// Receives one datagram from the kernel, whole, into the socket's
    /// buffer, and returns it. Datagrams from other senders are ignored
    /// (and counted); an overflowed queue is [`KernelError::EventsLost`].
    pub fn recv(&mut self) -> Result<&[u8], KernelError> {
        self.core.drop_unread();
        match self.recv_datagram()? {
            Recv::Datagram(n) => Ok(self.core.datagram(n)),
            Recv::Overrun => Err(KernelError::EventsLost),
            Recv::WouldBlock => Err(KernelError::Timeout),
        }
    }

    /// Sends one request and waits for its acknowledgement: `Ok` if the
    /// kernel accepted it, [`KernelError::Refused`] with its errno and
    /// extended ack if not.
    ///
    /// `request` is one netlink message (built with
    /// [`Builder`](crate::netlink::Builder)); the socket copies it, gives it
    /// the next sequence number and sets `NLM_F_REQUEST | NLM_F_ACK`.
    /// Replies that come before the acknowledgement are dropped: see
    /// [`KernelSocket::request_with`].
    pub fn request(&mut self, request: &[u8]) -> Result<Ack, KernelError> {
        self.request_with(request, |_| {})
    }

    /// [`KernelSocket::request`], handing each reply that comes before the
    /// acknowledgement to `on_reply` (a GET of one object, or `NLM_F_ECHO`).
    pub fn request_with(
        &mut self,
        request: &[u8],
        mut on_reply: impl FnMut(&Message<'_>),
    ) -> Result<Ack, KernelError> {
        let seq = self.start(request, Flags::REQUEST | Flags::ACK, Expect::Ack)?;
        loop {
            let r = self.recv_datagram();
            let Some(n) = self.core.conversation_recv(r)? else {
                continue;
            };
            if let Some(outcome) = self.core.request_datagram(n, seq, &mut on_reply) {
                return outcome;
            }
        }
    }

    /// Sends several requests in one datagram and waits for the
    /// acknowledgement of each, in order: what a batch of nftables changes
    /// needs (`batch-begin`, the changes, `batch-end`: the kernel takes
    /// them as one transaction only when they arrive together).
    ///
    /// `batch` is one or more netlink messages one after another (built
    /// with one [`Builder`](crate::netlink::Builder)); the socket copies
    /// them, numbers them with consecutive sequence numbers and sets
    /// `NLM_F_REQUEST | NLM_F_ACK` on each. Replies before a message's
    /// acknowledgement go to `on_reply` with that message's position.
    /// Returns the acknowledgements, one per message; the first refusal
    /// ends the call as [`KernelError::Refused`], whose
    /// [`Refusal::index`](super::Refusal::index) says which message.
    ///
    /// ```no_run
    /// # #[cfg(feature = "family-nftables")] {
    /// use procslink::families::nftables;
    /// use procslink::kernel::{KernelSocket, Protocol};
    /// use procslink::netlink::Builder;
    /// use procslink::netlink::flags::Flags;
    ///
    /// // The batch's messages name the nftables subsystem in `res-id`.
    /// const NFNL_SUBSYS_NFTABLES: u16 = 10;
    /// const NFPROTO_IPV4: u8 = 2;
    /// let header = |family: u8, res_id: u16| nftables::Nfgenmsg {
    ///     nfgen_family: family,
    ///     version: 0,
    ///     res_id: res_id.into(),
    /// };
    /// let mut buf = [0u8; 256];
    /// let mut batch = Builder::new(&mut buf);
    /// let mut m = batch.message(nftables::NFTABLES_CMD_BATCH_BEGIN, Flags::REQUEST, 0, 0)?;
    /// m.family_header(&header(0, NFNL_SUBSYS_NFTABLES))?;
    /// m.finish()?;
    /// let mut m = batch.message(nftables::NFTABLES_CMD_NEWTABLE, Flags::REQUEST, 0, 0)?;
    /// m.family_header(&header(NFPROTO_IPV4, 0))?;
    /// m.put_str(nftables::NFTABLES_A_TABLE_ATTRS_NAME, "example")?;
    /// m.finish()?;
    /// let mut m = batch.message(nftables::NFTABLES_CMD_BATCH_END, Flags::REQUEST, 0, 0)?;
    /// m.family_header(&header(0, NFNL_SUBSYS_NFTABLES))?;
    /// m.finish()?;
    ///
    /// let mut socket = KernelSocket::open(Protocol::NETFILTER)?;
    /// let acks = socket.request_batch(batch.as_bytes(), |_, _| {})?;
    /// assert_eq!(acks.len(), 3);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_batch(
        &mut self,
        batch: &[u8],
        mut on_reply: impl FnMut(usize, &Message<'_>),
    ) -> Result<Vec<Ack>, KernelError> {
        let seqs = self.core.start_batch(batch)?;
        if let Err(e) = send_blocking(self.socket.as_fd(), &self.core.out) {
            self.core.conv.abandon();
            return Err(e);
        }
        let mut acks = Vec::with_capacity(seqs.len());
        loop {
            let r = self.recv_datagram();
            let Some(n) = self.core.conversation_recv(r)? else {
                continue;
            };
            if let Some(outcome) = self.core.batch_datagram(n, &seqs, &mut acks, &mut on_reply) {
                return outcome.map(|()| acks);
            }
        }
    }

    /// Sends a dump request and returns the dump, to be read message by
    /// message with [`Dump::next`].
    ///
    /// `request` is one netlink message; the socket copies it, gives it the
    /// next sequence number and sets `NLM_F_REQUEST | NLM_F_DUMP`.
    pub fn dump(&mut self, request: &[u8]) -> Result<Dump<'_>, KernelError> {
        let flags = Flags::REQUEST | Flags::from(GetFlags::DUMP);
        self.start(request, flags, Expect::Dump)?;
        Ok(Dump {
            socket: self,
            ended: false,
        })
    }

    /// Reads the notifications of the groups the socket joined.
    pub fn notifications(&mut self) -> Notifications<'_> {
        Notifications { socket: self }
    }

    /// Begins a conversation and sends its request.
    fn start(&mut self, request: &[u8], flags: Flags, expect: Expect) -> Result<u32, KernelError> {
        let seq = self.core.start(request, flags, expect)?;
        if let Err(e) = send_blocking(self.socket.as_fd(), &self.core.out) {
            self.core.conv.abandon();
            return Err(e);
        }
        Ok(seq)
    }

    /// Waits (up to `SO_RCVTIMEO`) for the next datagram from the kernel.
    fn recv_datagram(&mut self) -> Result<Recv, KernelError> {
        self.core.recv_datagram(self.socket.as_fd())
    }
}

impl AsFd for KernelSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// Sends on a blocking socket, where `EAGAIN` means the send timed out.
fn send_blocking(fd: BorrowedFd<'_>, bytes: &[u8]) -> Result<(), KernelError> {
    match shared::send_to_kernel(fd, bytes)? {
        true => Ok(()),
        false => Err(KernelError::Timeout),
    }
}

/// A dump in progress; made by [`KernelSocket::dump`].
///
/// [`Dump::next`] yields the dump's messages one by one, each borrowed from
/// the socket's one receive buffer (so each must be dropped before the
/// next is read), and `None` when the dump is complete. It ends with an
/// error when the kernel refuses the dump or it fails part way
/// ([`KernelError::Refused`]), and with [`KernelError::DumpInterrupted`]
/// when the data changed while it was taken (the messages yielded are then
/// not a consistent picture).
#[derive(Debug)]
pub struct Dump<'s> {
    socket: &'s mut KernelSocket,
    ended: bool,
}

impl Dump<'_> {
    /// The next message of the dump, `None` at its end.
    #[allow(clippy::should_implement_trait)] // a lending iterator
    pub fn next(&mut self) -> Option<Result<Message<'_>, KernelError>> {
        if self.ended {
            return None;
        }
        let start = match self.advance() {
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

    /// Reads until the next reply and returns its offset in the buffer, or
    /// `None` at the dump's end.
    fn advance(&mut self) -> Result<Option<usize>, KernelError> {
        let s = &mut *self.socket;
        loop {
            match s.core.dump_step() {
                Step::Ready(outcome) => return outcome,
                Step::NeedDatagram => {
                    let r = s.recv_datagram();
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

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        // A dump abandoned part way: its remaining parts are skipped as
        // they arrive.
        if !self.ended {
            self.socket.core.conv.abandon();
        }
    }
}

/// The notifications of the groups a socket joined; made by
/// [`KernelSocket::notifications`].
#[derive(Debug)]
pub struct Notifications<'s> {
    socket: &'s mut KernelSocket,
}

impl Notifications<'_> {
    /// Waits for the next notification (up to the receive timeout:
    /// [`KernelError::Timeout`]). Each is borrowed from the socket's buffer.
    ///
    /// When the socket's queue overflowed, notifications were lost: this
    /// returns [`KernelError::EventsLost`] once, and the socket stays
    /// usable. Dump what the caller tracks to resynchronise, then read on.
    #[allow(clippy::should_implement_trait)] // a lending iterator
    pub fn next(&mut self) -> Result<Message<'_>, KernelError> {
        let s = &mut *self.socket;
        let start = loop {
            match s.core.notification_step() {
                Step::Ready(outcome) => break outcome?,
                Step::NeedDatagram => {
                    let r = s.recv_datagram();
                    s.core.notification_recv(r)?;
                }
            }
        };
        s.core.message_at(start)
    }
}
