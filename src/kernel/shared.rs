//! What the blocking and the async socket share: opening and setting up
//! the socket, and the receive state (one buffer, the conversation, the
//! counters) with the steps of the request, dump and notification loops.
//!
//! Each step works on the datagram already in the buffer and says when it
//! needs the next one ([`Step::NeedDatagram`]); the sockets differ only in
//! how they wait for it (a blocking `recvfrom` with `SO_RCVTIMEO`, or
//! readiness from tokio's reactor and `tokio::time`).

use std::prelude::rust_2024::*;

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{RecvFlags, SendFlags};
use zerocopy::FromBytes;
use zerocopy::byteorder::NativeEndian;

use super::Protocol;
use super::error::{Ack, KernelError, Refusal};
use super::socket::{SocketOptions, Stats};
use crate::ErrorKind;
use crate::netlink::conversation::{Conversation, Event, Expect, Skips};
use crate::netlink::flags::Flags;
use crate::netlink::{Message, NLMSG_HDRLEN, NlMsgHdr, align};

/// A datagram received, or why not.
pub(crate) enum Recv {
    /// A datagram from the kernel of this many bytes is in the buffer.
    Datagram(usize),
    /// `ENOBUFS`: the queue overflowed.
    Overrun,
    /// `EAGAIN`: nothing to read (the receive timeout of a blocking socket
    /// ran out, or a non-blocking socket's queue is empty).
    WouldBlock,
}

/// A loop step's outcome.
pub(crate) enum Step<T> {
    /// The step is done.
    Ready(T),
    /// The buffer is used up: receive a datagram, hand it over, step again.
    NeedDatagram,
}

/// Opens a netlink socket of `protocol`, binds it to a port the kernel
/// chooses and sets the netlink options `options` ask for. Returns the
/// socket and its port id.
pub(crate) fn open_socket(
    protocol: Protocol,
    options: &SocketOptions,
) -> Result<(netlink_sys::Socket, u32), KernelError> {
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
    if let Some(bytes) = options.recv_buffer_size {
        set_recv_buffer_size(socket.as_fd(), bytes)?;
    }
    Ok((socket, port))
}

/// `SO_RCVTIMEO` (`None`: for ever).
pub(crate) fn set_recv_timeout(
    fd: BorrowedFd<'_>,
    timeout: Option<Duration>,
) -> Result<(), KernelError> {
    // A zero timeout means "for ever" to the kernel: make it the shortest
    // one instead.
    let timeout = timeout.map(|t| t.max(Duration::from_micros(1)));
    sockopt::set_socket_timeout(fd, Timeout::Recv, timeout)
        .map_err(|e| KernelError::io("setsockopt SO_RCVTIMEO", e))
}

/// `SO_RCVBUFFORCE` if the process may, else `SO_RCVBUF`.
pub(crate) fn set_recv_buffer_size(fd: BorrowedFd<'_>, bytes: usize) -> Result<(), KernelError> {
    sockopt::set_socket_recv_buffer_size_force(fd, bytes)
        .or_else(|_| sockopt::set_socket_recv_buffer_size(fd, bytes))
        .map_err(|e| KernelError::io("setsockopt SO_RCVBUF", e))
}

/// `NETLINK_ADD_MEMBERSHIP` (`join`) or `NETLINK_DROP_MEMBERSHIP`.
pub(crate) fn membership(
    socket: &netlink_sys::Socket,
    group: u32,
    join: bool,
) -> Result<(), KernelError> {
    if join {
        socket
            .add_membership(group)
            .map_err(|source| KernelError::Io {
                op: "setsockopt NETLINK_ADD_MEMBERSHIP",
                source,
            })
    } else {
        socket
            .drop_membership(group)
            .map_err(|source| KernelError::Io {
                op: "setsockopt NETLINK_DROP_MEMBERSHIP",
                source,
            })
    }
}

/// Sends `bytes` to the kernel in one datagram; `Ok(false)` when a
/// non-blocking socket would block.
pub(crate) fn send_to_kernel(fd: BorrowedFd<'_>, bytes: &[u8]) -> Result<bool, KernelError> {
    let kernel = SocketAddrNetlink::new(0, 0);
    loop {
        match rustix::net::sendto(fd, bytes, SendFlags::empty(), &kernel) {
            Ok(n) if n == bytes.len() => return Ok(true),
            Ok(_) => return Err(KernelError::io("sendto", Errno::MSGSIZE)),
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN) => return Ok(false),
            Err(e) => return Err(KernelError::io("sendto", e)),
        }
    }
}

/// The receive side of a socket: see the [module documentation](self).
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) protocol: Protocol,
    pub(crate) port: u32,
    pub(crate) conv: Conversation,
    pub(crate) buf: Vec<u8>,
    /// The last datagram received is `buf[..len]`; messages are read from
    /// `pos` on.
    pub(crate) len: usize,
    pub(crate) pos: usize,
    /// The request being sent.
    pub(crate) out: Vec<u8>,
    /// An overrun not yet reported to the reader of notifications.
    pub(crate) lost: bool,
    pub(crate) stats: Stats,
}

impl Core {
    pub(crate) fn new(protocol: Protocol, port: u32, options: &SocketOptions) -> Self {
        Core {
            protocol,
            port,
            conv: Conversation::new(port),
            buf: vec![0; options.initial_buffer],
            len: 0,
            pos: 0,
            out: Vec::new(),
            lost: false,
            stats: Stats::default(),
        }
    }

    /// Copies `request` into the send buffer with a new sequence number and
    /// `flags` added, and begins its conversation. The caller sends
    /// `self.out` (and abandons the conversation if that fails).
    pub(crate) fn start(
        &mut self,
        request: &[u8],
        flags: Flags,
        expect: Expect,
    ) -> Result<u32, KernelError> {
        let msg = Message::parse(request).map_err(KernelError::InvalidRequest)?;
        let len = msg.header().len() as usize;
        let seq = self.conv.begin(expect);
        self.out.clear();
        self.out
            .extend_from_slice(request.get(..len).unwrap_or(request));
        if let Ok((header, _)) = NlMsgHdr::mut_from_prefix(&mut self.out[..]) {
            header.set_flags(msg.flags() | flags);
            header.set_seq(seq);
        }
        self.drop_unread();
        Ok(seq)
    }

    /// Copies the messages of `batch` into the send buffer, each with the
    /// next sequence number and `NLM_F_REQUEST | NLM_F_ACK` added, and
    /// begins the conversation of the first. Returns the sequence numbers,
    /// in order. The caller sends `self.out` in one datagram.
    pub(crate) fn start_batch(&mut self, batch: &[u8]) -> Result<Vec<u32>, KernelError> {
        if batch.is_empty() {
            let empty = ErrorKind::Truncated {
                needed: NLMSG_HDRLEN,
                available: 0,
            };
            return Err(KernelError::InvalidRequest(crate::Error::new(empty, 0)));
        }
        self.out.clear();
        let mut seqs = Vec::new();
        let mut at = 0;
        while at < batch.len() {
            let rest = batch.get(at..).unwrap_or(&[]);
            let msg =
                Message::<NativeEndian>::parse_at(rest, at).map_err(KernelError::InvalidRequest)?;
            let len = msg.header().len() as usize;
            let seq = self.conv.begin(Expect::Ack);
            let start = self.out.len();
            self.out.extend_from_slice(rest.get(..len).unwrap_or(rest));
            self.out.resize(align(self.out.len()), 0);
            let copied = self.out.get_mut(start..).unwrap_or(&mut []);
            if let Ok((header, _)) = NlMsgHdr::mut_from_prefix(copied) {
                header.set_flags(msg.flags() | Flags::REQUEST | Flags::ACK);
                header.set_seq(seq);
            }
            seqs.push(seq);
            at = at.saturating_add(align(len));
        }
        if let Some(&first) = seqs.first() {
            self.conv.begin_numbered(first, Expect::Ack);
        }
        self.drop_unread();
        Ok(seqs)
    }

    /// Feeds the datagram of `n` bytes in the buffer to a batch's
    /// conversation: the messages' acknowledgements come in their order,
    /// `acks` holds those received so far. `Some` when the last message
    /// is acknowledged or one is refused.
    pub(crate) fn batch_datagram(
        &mut self,
        n: usize,
        seqs: &[u32],
        acks: &mut Vec<Ack>,
        on_reply: &mut impl FnMut(usize, &Message<'_>),
    ) -> Option<Result<(), KernelError>> {
        let datagram = self.buf.get(..n).unwrap_or(&[]);
        let mut before = self.conv.skips();
        let mut outcome = None;
        for msg in crate::netlink::Messages::new(datagram) {
            let index = acks.len();
            let Some(&seq) = seqs.get(index) else {
                break;
            };
            let event = match msg {
                Ok(msg) => self.conv.classify(&msg),
                Err(e) => self.conv.malformed(e),
            };
            match event {
                Event::Reply(m) => on_reply(index, &m),
                Event::Ack(a) => {
                    acks.push(Ack::new(seq, self.conv.replies(), a.ext_ack()));
                    let Some(&next) = seqs.get(index + 1) else {
                        outcome = Some(Ok(()));
                        break;
                    };
                    // The next message's conversation: its counters start
                    // again, so count this one's skips first.
                    add_skips(&mut self.stats, before, self.conv.skips());
                    self.conv.begin_numbered(next, Expect::Ack);
                    before = self.conv.skips();
                }
                Event::Error(f) => {
                    let refusal = Refusal::new(seq, &f).at_index(index);
                    outcome = Some(Err(KernelError::Refused(refusal)));
                    break;
                }
                Event::Done(_) | Event::Skipped(_) => {}
            }
        }
        add_skips(&mut self.stats, before, self.conv.skips());
        outcome
    }

    /// Forgets the notifications left in the buffer.
    pub(crate) fn drop_unread(&mut self) {
        if self.pos < self.len {
            let left = self.buf.get(self.pos..self.len).unwrap_or(&[]);
            let n = crate::netlink::Messages::new(left).count() as u64;
            self.stats.notifications_dropped += n;
        }
        self.pos = 0;
        self.len = 0;
    }

    fn count_skips(&mut self, before: Skips) {
        add_skips(&mut self.stats, before, self.conv.skips());
    }

    /// Receives the next datagram from the kernel on `fd` into the buffer,
    /// whole: peeks at its size first and grows the buffer to fit.
    /// Datagrams from other senders are dropped and counted.
    pub(crate) fn recv_datagram(&mut self, fd: BorrowedFd<'_>) -> Result<Recv, KernelError> {
        loop {
            let peeked =
                rustix::net::recvfrom(fd, &mut self.buf[..], RecvFlags::PEEK | RecvFlags::TRUNC);
            let (full, from) = match peeked {
                Ok((_, full, from)) => (full, from),
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return Ok(Recv::WouldBlock),
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
                rustix::net::recv(fd, &mut [0u8; 0][..], RecvFlags::DONTWAIT)
            {}
            let sender = from.and_then(|a| SocketAddrNetlink::try_from(a).ok());
            if sender.is_some_and(|a| a.pid() != 0) {
                self.stats.foreign_senders += 1;
                continue;
            }
            self.stats.datagrams += 1;
            return Ok(Recv::Datagram(full));
        }
    }

    /// The datagram last received, for [`recv`](super::KernelSocket::recv).
    pub(crate) fn datagram(&self, n: usize) -> &[u8] {
        self.buf.get(..n).unwrap_or(&[])
    }

    /// Feeds the datagram of `n` bytes in the buffer to the request's
    /// conversation; `Some` when it ended the request.
    pub(crate) fn request_datagram(
        &mut self,
        n: usize,
        seq: u32,
        on_reply: &mut impl FnMut(&Message<'_>),
    ) -> Option<Result<Ack, KernelError>> {
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
        let replies = self.conv.replies();
        outcome.map(|o| o.map(|ack| ack.with_replies(replies)))
    }

    /// What a receive during a request or dump means: the datagram's size,
    /// nothing (an overrun: the answer may still come; a lost one ends in a
    /// timeout), or an error that abandons the conversation.
    pub(crate) fn conversation_recv(
        &mut self,
        r: Result<Recv, KernelError>,
    ) -> Result<Option<usize>, KernelError> {
        match r {
            Ok(Recv::Datagram(n)) => Ok(Some(n)),
            Ok(Recv::Overrun) => Ok(None),
            Ok(Recv::WouldBlock) => {
                self.conv.abandon();
                Err(KernelError::Timeout)
            }
            Err(e) => {
                self.conv.abandon();
                Err(e)
            }
        }
    }

    /// Makes the datagram of `n` bytes the one messages are read from.
    pub(crate) fn load(&mut self, n: usize) {
        (self.pos, self.len) = (0, n);
    }

    /// Reads the dump's messages in the buffer until the next reply (its
    /// offset in the buffer), the dump's end (`None`) or its failure.
    pub(crate) fn dump_step(&mut self) -> Step<Result<Option<usize>, KernelError>> {
        loop {
            let Some((start, parsed)) = next_message(&self.buf, self.len, &mut self.pos) else {
                return Step::NeedDatagram;
            };
            let before = self.conv.skips();
            let event = match parsed {
                Ok(msg) => self.conv.classify(&msg),
                Err(e) => self.conv.malformed(e),
            };
            let outcome = match event {
                Event::Reply(_) => Some(Ok(Some(start))),
                Event::Skipped(_) => None,
                Event::Done(d) if d.is_interrupted() => Some(Err(KernelError::DumpInterrupted)),
                Event::Done(_) | Event::Ack(_) => Some(Ok(None)),
                Event::Error(f) => {
                    Some(Err(KernelError::Refused(Refusal::new(self.conv.seq(), &f))))
                }
            };
            self.count_skips(before);
            if let Some(outcome) = outcome {
                if !matches!(outcome, Ok(Some(_))) {
                    // The rest of the datagram is not this dump's.
                    self.pos = self.len;
                }
                return Step::Ready(outcome);
            }
        }
    }

    /// Reads the notifications in the buffer until the next one (its
    /// offset), reporting a queue overrun first, once.
    pub(crate) fn notification_step(&mut self) -> Step<Result<usize, KernelError>> {
        loop {
            if self.lost {
                self.lost = false;
                return Step::Ready(Err(KernelError::EventsLost));
            }
            let Some((start, parsed)) = next_message(&self.buf, self.len, &mut self.pos) else {
                return Step::NeedDatagram;
            };
            match parsed {
                Ok(msg) if msg.message_type().is_family() => return Step::Ready(Ok(start)),
                Ok(_) => self.stats.skipped += 1,
                Err(_) => {
                    self.stats.skipped += 1;
                    self.stats.malformed += 1;
                }
            }
        }
    }

    /// What a receive while reading notifications means: a datagram to
    /// read (loaded), nothing yet (an overrun, reported by the next step),
    /// or an error.
    pub(crate) fn notification_recv(
        &mut self,
        r: Result<Recv, KernelError>,
    ) -> Result<(), KernelError> {
        match r? {
            Recv::Datagram(n) => {
                self.load(n);
                Ok(())
            }
            Recv::Overrun => Ok(()),
            Recv::WouldBlock => Err(KernelError::Timeout),
        }
    }

    /// The message at `start` of the buffer.
    pub(crate) fn message_at(&self, start: usize) -> Result<Message<'_>, KernelError> {
        let rest = self.buf.get(start..self.len).unwrap_or(&[]);
        Message::<NativeEndian>::parse_at(rest, start).map_err(KernelError::InvalidRequest)
    }
}

/// The message at `*pos` of `buf[..len]` with its offset, moving `*pos`
/// past it (to `len` when it does not parse: the rest of the datagram is
/// unreadable); `None` when the datagram is used up.
fn next_message<'b>(
    buf: &'b [u8],
    len: usize,
    pos: &mut usize,
) -> Option<(usize, Result<Message<'b>, crate::Error>)> {
    let start = *pos;
    if start >= len {
        return None;
    }
    let rest = buf.get(start..len).unwrap_or(&[]);
    let parsed = Message::<NativeEndian>::parse_at(rest, start);
    *pos = match &parsed {
        Ok(msg) => start
            .saturating_add(align(msg.header().len() as usize))
            .min(len),
        Err(_) => len,
    };
    Some((start, parsed))
}

/// Counts in `stats` what a conversation skipped between two readings of
/// its counters.
fn add_skips(stats: &mut Stats, before: Skips, after: Skips) {
    stats.skipped += u64::from(after.total().saturating_sub(before.total()));
    stats.malformed += u64::from(after.malformed.saturating_sub(before.malformed));
}
