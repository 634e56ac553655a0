//! The socket: open, options, send, receive, and the request, dump and
//! notification loops over the conversation core.

use std::prelude::rust_2024::*;

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{RecvFlags, SendFlags};
use zerocopy::byteorder::NativeEndian;

use super::Protocol;
use super::error::{Ack, KernelError, Refusal};
use crate::netlink::conversation::{Conversation, Event, Expect};
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::{Message, NLMSG_HDRLEN, align};

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
    ext_ack: bool,
    cap_ack: bool,
    strict_check: bool,
    recv_timeout: Option<Duration>,
    recv_buffer_size: Option<usize>,
    initial_buffer: usize,
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
    protocol: Protocol,
    port: u32,
    conv: Conversation,
    buf: Vec<u8>,
    /// The last datagram received is `buf[..len]`; notifications are read
    /// from `pos` on.
    len: usize,
    pos: usize,
    out: Vec<u8>,
    lost: bool,
    stats: Stats,
}

/// Receive outcomes that callers handle differently.
enum Recv {
    /// A datagram from the kernel of this many bytes is in the buffer.
    Datagram(usize),
    /// `ENOBUFS`: the queue overflowed.
    Overrun,
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
        let number = isize::try_from(protocol.0)
            .map_err(|_| KernelError::io("socket(AF_NETLINK)", Errno::PROTONOSUPPORT))?;
        let socket = netlink_sys::Socket::new(number).map_err(|e| KernelError::Io {
            op: "socket(AF_NETLINK)",
            source: e,
        })?;
        rustix::net::bind(&socket, &SocketAddrNetlink::new(0, 0))
            .map_err(|e| KernelError::io("bind", e))?;
        let port = match rustix::net::getsockname(&socket).map(SocketAddrNetlink::try_from) {
            Ok(Ok(addr)) => addr.pid(),
            Ok(Err(e)) | Err(e) => return Err(KernelError::io("getsockname", e)),
        };
        let wanted = [
            (options.ext_ack, "setsockopt NETLINK_EXT_ACK", 0),
            (options.cap_ack, "setsockopt NETLINK_CAP_ACK", 1),
            (options.strict_check, "setsockopt NETLINK_GET_STRICT_CHK", 2),
        ];
        for (on, op, which) in wanted {
            if !on {
                continue;
            }
            let set = match which {
                0 => socket.set_ext_ack(true),
                1 => socket.set_cap_ack(true),
                _ => socket.set_netlink_get_strict_chk(true),
            };
            match set {
                Err(e) if e.raw_os_error() != Some(Errno::NOPROTOOPT.raw_os_error()) => {
                    return Err(KernelError::Io { op, source: e });
                }
                _ => {}
            }
        }
        let mut this = KernelSocket {
            socket,
            protocol,
            port,
            conv: Conversation::new(port),
            buf: vec![0; options.initial_buffer],
            len: 0,
            pos: 0,
            out: Vec::new(),
            lost: false,
            stats: Stats::default(),
        };
        this.set_recv_timeout(options.recv_timeout)?;
        if let Some(bytes) = options.recv_buffer_size {
            this.set_recv_buffer_size(bytes)?;
        }
        Ok(this)
    }

    /// The protocol the socket speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The port id the kernel gave the socket (`nl_pid`).
    pub fn port(&self) -> u32 {
        self.port
    }

    /// What the socket skipped and survived.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The size of the buffer datagrams are received into now.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.len()
    }

    /// Sets `SO_RCVTIMEO` (`None`: wait for ever).
    pub fn set_recv_timeout(&mut self, timeout: Option<Duration>) -> Result<(), KernelError> {
        // A zero timeout means "for ever" to the kernel: make it the
        // shortest one instead.
        let timeout = timeout.map(|t| t.max(Duration::from_micros(1)));
        sockopt::set_socket_timeout(&self.socket, Timeout::Recv, timeout)
            .map_err(|e| KernelError::io("setsockopt SO_RCVTIMEO", e))
    }

    /// Sets the kernel's receive queue size (`SO_RCVBUFFORCE` if the
    /// process may, else `SO_RCVBUF`, which the system caps).
    pub fn set_recv_buffer_size(&mut self, bytes: usize) -> Result<(), KernelError> {
        sockopt::set_socket_recv_buffer_size_force(&self.socket, bytes)
            .or_else(|_| sockopt::set_socket_recv_buffer_size(&self.socket, bytes))
            .map_err(|e| KernelError::io("setsockopt SO_RCVBUF", e))
    }

    /// Joins multicast group `group` (`NETLINK_ADD_MEMBERSHIP`), for
    /// example [`groups::RTNLGRP_LINK`](super::groups::RTNLGRP_LINK).
    pub fn join(&mut self, group: u32) -> Result<(), KernelError> {
        self.socket
            .add_membership(group)
            .map_err(|source| KernelError::Io {
                op: "setsockopt NETLINK_ADD_MEMBERSHIP",
                source,
            })
    }

    /// Leaves multicast group `group` (`NETLINK_DROP_MEMBERSHIP`).
    pub fn leave(&mut self, group: u32) -> Result<(), KernelError> {
        self.socket
            .drop_membership(group)
            .map_err(|source| KernelError::Io {
                op: "setsockopt NETLINK_DROP_MEMBERSHIP",
                source,
            })
    }

    /// Sends `bytes` to the kernel as they are.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), KernelError> {
        send_to_kernel(self.socket.as_fd(), bytes)
    }

    /// Receives one datagram from the kernel, whole, into the socket's
    /// buffer, and returns it. Datagrams from other senders are ignored
    /// (and counted); an overflowed queue is [`KernelError::EventsLost`].
    pub fn recv(&mut self) -> Result<&[u8], KernelError> {
        self.drop_unread();
        match self.recv_datagram()? {
            Recv::Datagram(n) => Ok(self.buf.get(..n).unwrap_or(&[])),
            Recv::Overrun => Err(KernelError::EventsLost),
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
            let n = match self.recv_datagram() {
                Ok(Recv::Datagram(n)) => n,
                // The answer may still come; a lost one ends in a timeout.
                Ok(Recv::Overrun) => continue,
                Err(e) => {
                    self.conv.abandon();
                    return Err(e);
                }
            };
            let mut outcome = None;
            let datagram = self.buf.get(..n).unwrap_or(&[]);
            let before = self.conv.skips();
            for event in self.conv.feed(datagram) {
                match event {
                    Event::Reply(m) => on_reply(&m),
                    Event::Ack(a) => outcome = Some(Ok(Ack::new(seq, 0, a.ext_ack()))),
                    Event::Error(f) => {
                        outcome = Some(Err(KernelError::Refused(Refusal::new(seq, &f))));
                    }
                    Event::Done(_) | Event::Skipped(_) => {}
                }
            }
            self.count_skips(before);
            if let Some(outcome) = outcome {
                let replies = self.conv.replies();
                return outcome.map(|ack| ack.with_replies(replies));
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

    /// Copies `request` into the send buffer with a new sequence number
    /// and `flags` added, begins its conversation and sends it.
    fn start(&mut self, request: &[u8], flags: Flags, expect: Expect) -> Result<u32, KernelError> {
        let msg = Message::parse(request).map_err(KernelError::InvalidRequest)?;
        let len = msg.header().len() as usize;
        let seq = self.conv.begin(expect);
        self.out.clear();
        self.out
            .extend_from_slice(request.get(..len).unwrap_or(request));
        let flags = (msg.flags() | flags).bits();
        if let Some(f) = self.out.get_mut(6..8) {
            f.copy_from_slice(&flags.to_ne_bytes());
        }
        if let Some(s) = self.out.get_mut(8..12) {
            s.copy_from_slice(&seq.to_ne_bytes());
        }
        self.drop_unread();
        if let Err(e) = send_to_kernel(self.socket.as_fd(), &self.out) {
            self.conv.abandon();
            return Err(e);
        }
        Ok(seq)
    }

    /// Forgets the notifications left in the buffer.
    fn drop_unread(&mut self) {
        if self.pos < self.len {
            let left = self.buf.get(self.pos..self.len).unwrap_or(&[]);
            let n = crate::netlink::Messages::new(left).count() as u64;
            self.stats.notifications_dropped += n;
        }
        self.pos = 0;
        self.len = 0;
    }

    fn count_skips(&mut self, before: crate::netlink::conversation::Skips) {
        let after = self.conv.skips();
        self.stats.skipped += u64::from(after.total().saturating_sub(before.total()));
        self.stats.malformed += u64::from(after.malformed.saturating_sub(before.malformed));
    }

    /// Receives the next datagram from the kernel into `buf`, whole: peeks
    /// at its size first and grows the buffer to fit.
    fn recv_datagram(&mut self) -> Result<Recv, KernelError> {
        loop {
            let peeked = rustix::net::recvfrom(
                &self.socket,
                &mut self.buf[..],
                RecvFlags::PEEK | RecvFlags::TRUNC,
            );
            let (full, from) = match peeked {
                Ok((_, full, from)) => (full, from),
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return Err(KernelError::Timeout),
                Err(Errno::NOBUFS) => {
                    self.stats.overruns += 1;
                    self.lost = true;
                    return Ok(Recv::Overrun);
                }
                Err(e) => return Err(KernelError::io("recvfrom", e)),
            };
            if full > self.buf.len() {
                self.buf.resize(align(full), 0);
                self.stats.buffer_grown += 1;
                continue;
            }
            // The datagram is in the buffer: take it off the queue.
            while let Err(Errno::INTR) =
                rustix::net::recv(&self.socket, &mut [0u8; 0][..], RecvFlags::DONTWAIT)
            {
            }
            let sender = from.and_then(|a| SocketAddrNetlink::try_from(a).ok());
            if sender.is_some_and(|a| a.pid() != 0) {
                self.stats.foreign_senders += 1;
                continue;
            }
            self.stats.datagrams += 1;
            return Ok(Recv::Datagram(full));
        }
    }
}

impl AsFd for KernelSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

fn send_to_kernel(fd: BorrowedFd<'_>, bytes: &[u8]) -> Result<(), KernelError> {
    let kernel = SocketAddrNetlink::new(0, 0);
    loop {
        match rustix::net::sendto(fd, bytes, SendFlags::empty(), &kernel) {
            Ok(n) if n == bytes.len() => return Ok(()),
            Ok(_) => return Err(KernelError::io("sendto", Errno::MSGSIZE)),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(KernelError::io("sendto", e)),
        }
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
        let s = &*self.socket;
        let rest = s.buf.get(start..s.len).unwrap_or(&[]);
        Some(Message::<NativeEndian>::parse_at(rest, start).map_err(KernelError::InvalidRequest))
    }

    /// Reads until the next reply and returns its offset in the buffer, or
    /// `None` at the dump's end.
    fn advance(&mut self) -> Result<Option<usize>, KernelError> {
        let s = &mut *self.socket;
        loop {
            if s.pos >= s.len {
                match s.recv_datagram() {
                    Ok(Recv::Datagram(n)) => (s.pos, s.len) = (0, n),
                    Ok(Recv::Overrun) => continue,
                    Err(e) => {
                        s.conv.abandon();
                        return Err(e);
                    }
                }
            }
            let start = s.pos;
            let rest = s.buf.get(start..s.len).unwrap_or(&[]);
            let before = s.conv.skips();
            let event = match Message::<NativeEndian>::parse_at(rest, start) {
                Ok(msg) => {
                    let step = align(msg.header().len() as usize);
                    s.pos = start.saturating_add(step).min(s.len);
                    s.conv.classify(&msg)
                }
                Err(e) => {
                    s.pos = s.len;
                    s.conv.malformed(e)
                }
            };
            let outcome = match event {
                Event::Reply(_) => Some(Ok(Some(start))),
                Event::Skipped(_) => None,
                Event::Done(d) if d.is_interrupted() => Some(Err(KernelError::DumpInterrupted)),
                Event::Done(_) | Event::Ack(_) => Some(Ok(None)),
                Event::Error(f) => Some(Err(KernelError::Refused(Refusal::new(s.conv.seq(), &f)))),
            };
            let after = s.conv.skips();
            s.stats.skipped += u64::from(after.total().saturating_sub(before.total()));
            s.stats.malformed += u64::from(after.malformed.saturating_sub(before.malformed));
            if let Some(outcome) = outcome {
                if !matches!(outcome, Ok(Some(_))) {
                    // The rest of the datagram is not this dump's.
                    s.pos = s.len;
                }
                return outcome;
            }
        }
    }

    /// Replies yielded so far.
    pub fn replies(&self) -> u32 {
        self.socket.conv.replies()
    }
}

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        // A dump abandoned part way: its remaining parts are skipped as
        // they arrive.
        if !self.ended {
            self.socket.conv.abandon();
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
        let start = self.advance()?;
        let s = &*self.socket;
        let rest = s.buf.get(start..s.len).unwrap_or(&[]);
        Message::<NativeEndian>::parse_at(rest, start).map_err(KernelError::InvalidRequest)
    }

    fn advance(&mut self) -> Result<usize, KernelError> {
        let s = &mut *self.socket;
        loop {
            if s.lost {
                s.lost = false;
                return Err(KernelError::EventsLost);
            }
            if s.pos >= s.len {
                match s.recv_datagram()? {
                    Recv::Datagram(n) => (s.pos, s.len) = (0, n),
                    Recv::Overrun => continue,
                }
            }
            let start = s.pos;
            let rest = s.buf.get(start..s.len).unwrap_or(&[]);
            match Message::<NativeEndian>::parse_at(rest, start) {
                Ok(msg) => {
                    let step = align(msg.header().len() as usize);
                    s.pos = start.saturating_add(step).min(s.len);
                    if msg.message_type().is_family() {
                        return Ok(start);
                    }
                    s.stats.skipped += 1;
                }
                Err(_) => {
                    s.pos = s.len;
                    s.stats.skipped += 1;
                    s.stats.malformed += 1;
                }
            }
        }
    }
}
