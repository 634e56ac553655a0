//! One request's conversation with the kernel, without a socket: sequence
//! numbers, matching replies to the request, a dump's progress until
//! `NLMSG_DONE`, acknowledgements and errors with their extended acks.
//!
//! A [`Conversation`] is fed the datagrams its caller received, by whatever
//! transport, and says of every message in them what it is
//! ([`Event`]): a reply to the request, the end of a dump, an
//! acknowledgement, an error, or a message that was skipped because it is
//! not for this request or is malformed. Skipped messages are counted
//! ([`Skips`]) and never handed over as replies.
//!
//! It owns no buffer, allocates nothing and never panics: every event
//! borrows from the datagram it came from.
//!
//! # Matching
//!
//! A message belongs to the request when its `nlmsg_seq` is the request's
//! sequence number and its `nlmsg_pid` is the requesting socket's port id
//! (the kernel addresses every reply, acknowledgement and dump part to the
//! requester's port). A conversation made with port 0 does not check the
//! port. Everything else (kernel notifications, replies to earlier
//! requests, other senders' traffic) is [`Skip::Foreign`].
//!
//! # How a conversation ends
//!
//! | expecting | ends with |
//! |---|---|
//! | [`Expect::Ack`] (the request has `NLM_F_ACK`) | an `NLMSG_ERROR`: [`Event::Ack`] or [`Event::Error`] |
//! | [`Expect::Dump`] | `NLMSG_DONE` ([`Event::Done`], or [`Event::Error`] when its status is an error) or an `NLMSG_ERROR` |
//! | [`Expect::Reply`] (no ack asked for) | the first reply without `NLM_F_MULTI`, `NLMSG_DONE` or an `NLMSG_ERROR` |
//!
//! A `NLMSG_DONE` with an empty payload (older families send one) has status
//! 0. A dump any part of which carries `NLM_F_DUMP_INTR` was changed while it
//! was taken: [`Done::is_interrupted`] and [`Conversation::is_interrupted`]
//! say so, and the caller should dump again for a consistent picture.
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::netlink::conversation::{Conversation, Event, Expect};
//! # let dump = procslink::netlink::doc_example_dump();
//!
//! // A socket bound to port 0 in the example's dump; a real socket has the
//! // port id the kernel gave it.
//! let mut conv = Conversation::new(0);
//! let seq = conv.begin_with_seq(1, Expect::Dump);
//! assert_eq!(seq, 1);
//! // ... send a dump request with sequence number 1, then feed what comes back:
//! let mut links = 0;
//! for event in conv.feed(&dump) {
//!     match event {
//!         Event::Reply(_message) => links += 1,
//!         Event::Done(done) => assert!(!done.is_interrupted()),
//!         Event::Error(e) => panic!("the kernel said {}", e.errno()),
//!         Event::Ack(_) | Event::Skipped(_) => {}
//!     }
//! }
//! assert_eq!(links, 2);
//! assert!(conv.is_finished());
//! # }
//! ```

use core::fmt;

use super::ack::{ErrorMessage, ExtAck};
use super::flags::Flags;
use super::header::{NlMsgHdr, align};
use super::message::Message;
use super::types::MessageType;
use crate::Error;

/// What ends the conversation (see the [module documentation](self)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// The request has `NLM_F_ACK`: replies may come first, an
    /// acknowledgement or an error ends it.
    Ack,
    /// A dump: replies until `NLMSG_DONE` (or an error).
    Dump,
    /// No acknowledgement was asked for: the first reply that is not part
    /// of a multipart message ends it (or `NLMSG_DONE`, or an error).
    Reply,
}

/// Why a message was skipped.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Skip {
    /// Its sequence number or port id is not the request's.
    Foreign {
        /// Its `nlmsg_seq`.
        seq: u32,
        /// Its `nlmsg_pid`.
        pid: u32,
    },
    /// It does not parse, or a message that should end the conversation
    /// (`NLMSG_ERROR`, `NLMSG_DONE`) is malformed. After a datagram-level
    /// error nothing more of that datagram is read.
    Malformed(Error),
    /// `NLMSG_NOOP`, `NLMSG_OVERRUN` or another control type without a
    /// meaning here.
    Control(MessageType),
    /// It matches the request but came after the conversation ended (or
    /// before one began).
    NotExpected,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Skip::Foreign { seq, pid } => {
                write!(f, "not for this request (seq {seq}, port {pid})")
            }
            Skip::Malformed(e) => write!(f, "malformed: {e}"),
            Skip::Control(t) => write!(f, "control message {t}"),
            Skip::NotExpected => f.write_str("no reply is expected now"),
        }
    }
}

/// How many messages a conversation skipped, by reason. Counts saturate.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Skips {
    /// [`Skip::Foreign`].
    pub foreign: u32,
    /// [`Skip::Malformed`].
    pub malformed: u32,
    /// [`Skip::Control`].
    pub control: u32,
    /// [`Skip::NotExpected`].
    pub not_expected: u32,
}

impl Skips {
    /// All skipped messages.
    pub fn total(&self) -> u32 {
        self.foreign
            .saturating_add(self.malformed)
            .saturating_add(self.control)
            .saturating_add(self.not_expected)
    }

    fn count(&mut self, skip: &Skip) {
        let n = match skip {
            Skip::Foreign { .. } => &mut self.foreign,
            Skip::Malformed(_) => &mut self.malformed,
            Skip::Control(_) => &mut self.control,
            Skip::NotExpected => &mut self.not_expected,
        };
        *n = n.saturating_add(1);
    }
}

/// The end of a dump: `NLMSG_DONE` with status 0.
#[derive(Copy, Clone, Debug)]
pub struct Done<'a> {
    message: Message<'a>,
    ext_ack: ExtAck<'a>,
    interrupted: bool,
}

impl<'a> Done<'a> {
    /// The `NLMSG_DONE` message.
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }

    /// Its extended-ack attributes (a warning, if any).
    pub fn ext_ack(&self) -> &ExtAck<'a> {
        &self.ext_ack
    }

    /// Did any part of the dump carry `NLM_F_DUMP_INTR`? The data changed
    /// while the dump was taken; dump again for a consistent picture.
    pub fn is_interrupted(&self) -> bool {
        self.interrupted
    }
}

/// The kernel's refusal: an `NLMSG_ERROR` with a negative errno, or an
/// `NLMSG_DONE` whose status is one.
#[derive(Copy, Clone, Debug)]
pub struct Failure<'a> {
    message: Message<'a>,
    errno: i32,
    ext_ack: ExtAck<'a>,
    request: Option<&'a NlMsgHdr>,
}

impl<'a> Failure<'a> {
    /// The negative errno, as the kernel sent it (`-19` is `ENODEV`).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The extended-ack attributes: the kernel's explanation and the offset
    /// of the attribute it objects to, when it gives them.
    pub fn ext_ack(&self) -> &ExtAck<'a> {
        &self.ext_ack
    }

    /// The echoed header of the refused request (`None` for a failed
    /// dump's `NLMSG_DONE`, which echoes nothing).
    pub fn request(&self) -> Option<&'a NlMsgHdr> {
        self.request
    }

    /// Did the failure end a dump (`NLMSG_DONE` with an error status)?
    pub fn is_done(&self) -> bool {
        self.message.message_type().is_done()
    }

    /// The message that carried it.
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }
}

impl fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}", self.errno)?;
        if !self.ext_ack.is_empty() {
            write!(f, ": {}", self.ext_ack)?;
        }
        Ok(())
    }
}

/// What one received message is to the conversation.
#[derive(Copy, Clone, Debug)]
pub enum Event<'a> {
    /// A reply to the request: a part of a dump, or a reply to a request.
    Reply(Message<'a>),
    /// The dump ended well. The conversation is finished.
    Done(Done<'a>),
    /// The request was acknowledged (an `NLMSG_ERROR` with errno 0). The
    /// conversation is finished.
    Ack(ErrorMessage<'a>),
    /// The kernel refused the request or the dump failed. The conversation
    /// is finished.
    Error(Failure<'a>),
    /// Not for this request, or malformed: skipped and counted.
    Skipped(Skip),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum State {
    Idle,
    Open(Expect),
    Finished,
}

/// The state of one request at a time: see the [module
/// documentation](self).
#[derive(Clone, Debug)]
pub struct Conversation {
    port: u32,
    next_seq: u32,
    seq: u32,
    state: State,
    interrupted: bool,
    replies: u32,
    skips: Skips,
}

impl Conversation {
    /// A conversation for the socket whose port id is `port` (0: do not
    /// check the port of replies). Sequence numbers start at 1.
    pub const fn new(port: u32) -> Self {
        Conversation {
            port,
            next_seq: 1,
            seq: 0,
            state: State::Idle,
            interrupted: false,
            replies: 0,
            skips: Skips {
                foreign: 0,
                malformed: 0,
                control: 0,
                not_expected: 0,
            },
        }
    }

    /// The port id replies must be addressed to (0: any).
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Changes the port id replies must be addressed to (0: any).
    pub fn set_port(&mut self, port: u32) {
        self.port = port;
    }

    /// Starts a request with the next sequence number, which it returns:
    /// write it into the request's `nlmsg_seq`. Numbers count up from 1
    /// and wrap, skipping 0 (the sequence number of kernel notifications).
    /// The counters of skipped messages and replies start again.
    ///
    /// ```
    /// use procslink::netlink::conversation::{Conversation, Expect};
    ///
    /// let mut conv = Conversation::new(4242);
    /// assert_eq!(conv.begin(Expect::Ack), 1);
    /// assert_eq!(conv.begin(Expect::Dump), 2);
    /// assert_eq!(conv.seq(), 2);
    /// ```
    pub fn begin(&mut self, expect: Expect) -> u32 {
        let seq = self.next_seq;
        self.begin_with_seq(seq, expect)
    }

    /// Starts a request whose sequence number the caller chose; the next
    /// [`Conversation::begin`] continues after it.
    pub fn begin_with_seq(&mut self, seq: u32, expect: Expect) -> u32 {
        self.seq = seq;
        self.next_seq = match seq.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        self.state = State::Open(expect);
        self.interrupted = false;
        self.replies = 0;
        self.skips = Skips::default();
        seq
    }

    /// Starts the conversation of a request numbered earlier by
    /// [`begin`](Self::begin): a later message of a batch sent in one
    /// datagram, whose acknowledgements come one after another. Unlike
    /// [`begin_with_seq`](Self::begin_with_seq), the next `begin` still
    /// continues after the batch's last number.
    ///
    /// ```
    /// use procslink::netlink::conversation::{Conversation, Expect};
    ///
    /// let mut conv = Conversation::new(4242);
    /// let batch = [conv.begin(Expect::Ack), conv.begin(Expect::Ack)];
    /// conv.begin_numbered(batch[0], Expect::Ack);
    /// assert_eq!(conv.seq(), 1);
    /// assert_eq!(conv.begin(Expect::Ack), 3);
    /// ```
    pub fn begin_numbered(&mut self, seq: u32, expect: Expect) {
        let next = self.next_seq;
        self.begin_with_seq(seq, expect);
        self.next_seq = next;
    }

    /// The current (or last) request's sequence number (0 before the
    /// first).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// What the current request expects, while it is open.
    pub fn expecting(&self) -> Option<Expect> {
        match self.state {
            State::Open(e) => Some(e),
            _ => None,
        }
    }

    /// Has the current request been answered in full?
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Did a reply of the current dump carry `NLM_F_DUMP_INTR`?
    pub fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Replies handed over for the current request.
    pub fn replies(&self) -> u32 {
        self.replies
    }

    /// Messages skipped since the current request began.
    pub fn skips(&self) -> Skips {
        self.skips
    }

    /// Abandons the current request (after a timeout, say): what arrives
    /// for it from now on is [`Skip::NotExpected`].
    pub fn abandon(&mut self) {
        if let State::Open(_) = self.state {
            self.state = State::Finished;
        }
    }

    /// Iterates over the events of one received datagram (exactly the bytes
    /// received). A datagram-level error (a bad `nlmsg_len`) is one
    /// [`Skip::Malformed`] event, after which nothing more of that datagram
    /// is read.
    pub fn feed<'a, 'c>(&'c mut self, datagram: &'a [u8]) -> Feed<'a, 'c> {
        Feed {
            conv: self,
            rest: datagram,
            offset: 0,
        }
    }

    /// Records a datagram that could not be read as messages (the
    /// [`Messages`](super::Messages) iterator's error) and returns its event.
    pub fn malformed<'a>(&mut self, error: Error) -> Event<'a> {
        self.skip(Skip::Malformed(error))
    }

    /// Says what one message is to the conversation and advances its state.
    ///
    /// ```
    /// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
    /// use procslink::netlink::conversation::{Conversation, Event, Expect, Skip};
    ///
    /// let mut conv = Conversation::new(77);
    /// let seq = conv.begin(Expect::Dump);
    /// let mut buf = [0u8; 20];
    /// let mut b = Builder::new(&mut buf);
    /// let m = b.message(MessageType::DONE, Flags::MULTI, seq + 1, 77)?;
    /// m.finish()?;
    /// let msg = Message::parse(&buf)?;
    /// // Another request's DONE: skipped, and the dump goes on.
    /// assert!(matches!(conv.classify(&msg), Event::Skipped(Skip::Foreign { .. })));
    /// assert!(!conv.is_finished());
    /// assert_eq!(conv.skips().foreign, 1);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn classify<'a>(&mut self, msg: &Message<'a>) -> Event<'a> {
        let hdr = msg.header();
        if hdr.seq() != self.seq || (self.port != 0 && hdr.pid() != self.port) {
            return self.skip(Skip::Foreign {
                seq: hdr.seq(),
                pid: hdr.pid(),
            });
        }
        let State::Open(expect) = self.state else {
            return self.skip(Skip::NotExpected);
        };
        let ty = msg.message_type();
        if ty.is_error() {
            return match ErrorMessage::parse(msg) {
                Ok(e) if e.is_ack() => self.finish(Event::Ack(e)),
                Ok(e) => self.finish(Event::Error(Failure {
                    message: *msg,
                    errno: e.errno(),
                    ext_ack: *e.ext_ack(),
                    request: Some(e.request()),
                })),
                Err(e) => self.skip(Skip::Malformed(e)),
            };
        }
        if msg.flags().contains(Flags::DUMP_INTR) {
            self.interrupted = true;
        }
        if ty.is_done() {
            return match parse_done(msg) {
                Ok((status, ext_ack)) if status < 0 => {
                    let failure = Failure {
                        message: *msg,
                        errno: status,
                        ext_ack,
                        request: None,
                    };
                    self.finish(Event::Error(failure))
                }
                Ok((_, ext_ack)) => {
                    let done = Done {
                        message: *msg,
                        ext_ack,
                        interrupted: self.interrupted,
                    };
                    if expect == Expect::Ack {
                        // A multipart reply ended; the acknowledgement is
                        // still to come.
                        Event::Done(done)
                    } else {
                        self.finish(Event::Done(done))
                    }
                }
                Err(e) => self.skip(Skip::Malformed(e)),
            };
        }
        if ty.is_control() {
            return self.skip(Skip::Control(ty));
        }
        self.replies = self.replies.saturating_add(1);
        if expect == Expect::Reply && !msg.flags().contains(Flags::MULTI) {
            self.state = State::Finished;
        }
        Event::Reply(*msg)
    }

    fn skip<'a>(&mut self, skip: Skip) -> Event<'a> {
        self.skips.count(&skip);
        Event::Skipped(skip)
    }

    fn finish<'a>(&mut self, event: Event<'a>) -> Event<'a> {
        self.state = State::Finished;
        event
    }
}

impl Default for Conversation {
    fn default() -> Self {
        Conversation::new(0)
    }
}

/// Reads an `NLMSG_DONE` ([`Message::done`]: an empty payload is status 0).
fn parse_done<'a>(msg: &Message<'a>) -> Result<(i32, ExtAck<'a>), Error> {
    let done = msg.done()?;
    Ok((done.status(), *done.ext_ack()))
}

/// The events of one datagram; made by [`Conversation::feed`].
#[derive(Debug)]
pub struct Feed<'a, 'c> {
    conv: &'c mut Conversation,
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Feed<'a, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        match Message::parse_at(self.rest, self.offset) {
            Ok(msg) => {
                let step = align(msg.header().len() as usize);
                match self.rest.get(step..) {
                    Some(rest) => {
                        self.rest = rest;
                        self.offset = self.offset.saturating_add(step);
                    }
                    None => self.rest = &[],
                }
                Some(self.conv.classify(&msg))
            }
            Err(e) => {
                self.rest = &[];
                Some(self.conv.malformed(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Feed<'_, '_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::Builder;

    fn done(buf: &mut [u8], seq: u32, pid: u32, payload: &[u8], flags: Flags) -> usize {
        let mut b = Builder::new(buf);
        let mut m = b.message(MessageType::DONE, flags, seq, pid).unwrap();
        m.put_bytes_raw(payload).unwrap();
        m.finish().unwrap()
    }

    #[test]
    fn empty_done_is_status_zero() {
        let mut conv = Conversation::new(9);
        let seq = conv.begin(Expect::Dump);
        let mut buf = [0u8; 32];
        let n = done(&mut buf, seq, 9, &[], Flags::MULTI);
        let events: heapless::Vec<Event<'_>, 4> = conv.feed(&buf[..n]).collect();
        assert!(matches!(events.as_slice(), [Event::Done(_)]));
        assert!(conv.is_finished());
    }

    #[test]
    fn done_with_error_status_is_an_error() {
        let mut conv = Conversation::new(9);
        let seq = conv.begin(Expect::Dump);
        let mut buf = [0u8; 32];
        let n = done(&mut buf, seq, 9, &(-16i32).to_ne_bytes(), Flags::MULTI);
        match conv.feed(&buf[..n]).next() {
            Some(Event::Error(f)) => {
                assert_eq!(f.errno(), -16);
                assert!(f.is_done());
                assert!(f.request().is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_done_is_malformed_and_the_dump_goes_on() {
        let mut conv = Conversation::new(9);
        let seq = conv.begin(Expect::Dump);
        let mut buf = [0u8; 32];
        let n = done(&mut buf, seq, 9, &[1, 2], Flags::MULTI);
        // The builder pads to 4: shorten nlmsg_len to cover 2 bytes.
        buf[..4].copy_from_slice(&18u32.to_ne_bytes());
        assert!(matches!(
            conv.feed(&buf[..n]).next(),
            Some(Event::Skipped(Skip::Malformed(_)))
        ));
        assert!(!conv.is_finished());
        assert_eq!(conv.skips().malformed, 1);
    }

    #[test]
    fn sequence_numbers_skip_zero() {
        let mut conv = Conversation::new(0);
        conv.begin_with_seq(u32::MAX, Expect::Ack);
        assert_eq!(conv.begin(Expect::Ack), 1);
    }

    #[test]
    fn nothing_is_expected_before_a_request() {
        let mut conv = Conversation::new(0);
        let mut buf = [0u8; 32];
        let n = done(&mut buf, 0, 0, &[], Flags::MULTI);
        assert!(matches!(
            conv.feed(&buf[..n]).next(),
            Some(Event::Skipped(Skip::NotExpected))
        ));
    }
}
