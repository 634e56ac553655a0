//! Messages: a checked view of one message and an iterator over a datagram.

use core::fmt;
use core::marker::PhantomData;

use zerocopy::byteorder::{ByteOrder, NativeEndian};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::ack::{DoneMessage, ErrorMessage};
use super::attr::Attrs;
use super::flags::Flags;
use super::genl::GenlMsgHdr;
use super::header::{NLMSG_HDRLEN, NlMsgHdrOf, align};
use super::types::MessageType;
use crate::{Error, ErrorKind};

/// A checked view of one netlink message: a header whose `nlmsg_len` is at
/// least 16 and fits the buffer, and the payload it announces.
///
/// Made by [`Messages`] or [`Message::parse`]; every accessor is then
/// infallible. Methods that interpret the payload ([`Message::family_header`],
/// [`Message::error`], …) check what they need and return a [`Result`].
// `repr(C)` with the offset first, as `Error` and `Attr`: in a
// `Result<Message, Error>` the offset shares its word with the error's, so
// no field of an `Ok` sits where an `Err` leaves padding, which `?` would
// otherwise copy (keeping the last `Ok`'s value alive through the loop).
#[derive(Copy, Clone)]
#[repr(C)]
pub struct Message<'a, O: ByteOrder = NativeEndian> {
    offset: usize,
    header: &'a NlMsgHdrOf<O>,
    payload: &'a [u8],
}

/// An error of a check that well-formed input passes: out of line and
/// cold, so that a loop over messages allocates its registers for the path
/// it takes (the error's offset, say, is then kept in memory, not in a
/// register the attribute loop needs).
#[cold]
#[inline(never)]
fn rare(kind: ErrorKind, offset: usize) -> Error {
    Error::new(kind, offset)
}

impl<'a, O: ByteOrder> Message<'a, O> {
    /// Views a message whose header is in byte order `O` at the start of
    /// `buf` (see [`Message::parse`] for host order).
    #[inline]
    pub fn parse_with_order(buf: &'a [u8]) -> Result<Self, Error> {
        Self::parse_at(buf, 0)
    }

    #[inline(always)]
    pub(crate) fn parse_at(rest: &'a [u8], offset: usize) -> Result<Self, Error> {
        let Ok((header, _)) = NlMsgHdrOf::<O>::ref_from_prefix(rest) else {
            return Err(rare(
                ErrorKind::Truncated {
                    needed: NLMSG_HDRLEN,
                    available: rest.len(),
                },
                offset,
            ));
        };
        let len = header.len() as usize;
        if len < NLMSG_HDRLEN {
            return Err(rare(
                ErrorKind::LengthTooSmall {
                    length: len,
                    min: NLMSG_HDRLEN,
                },
                offset,
            ));
        }
        match rest.get(NLMSG_HDRLEN..len) {
            Some(payload) => Ok(Message {
                header,
                payload,
                offset,
            }),
            None => Err(rare(
                ErrorKind::LengthOverrun {
                    length: len,
                    available: rest.len(),
                },
                offset,
            )),
        }
    }

    /// The header.
    #[inline(always)]
    pub fn header(&self) -> &'a NlMsgHdrOf<O> {
        self.header
    }

    /// `nlmsg_type`.
    #[inline(always)]
    pub fn message_type(&self) -> MessageType {
        self.header.message_type()
    }

    /// `nlmsg_flags`.
    #[inline(always)]
    pub fn flags(&self) -> Flags {
        self.header.flags()
    }

    /// `nlmsg_seq`.
    #[inline(always)]
    pub fn seq(&self) -> u32 {
        self.header.seq()
    }

    /// `nlmsg_pid`.
    #[inline(always)]
    pub fn pid(&self) -> u32 {
        self.header.pid()
    }

    /// The bytes after the header, up to `nlmsg_len`.
    #[inline(always)]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The offset of this message's header in the buffer it was read from.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The offset of the payload in the buffer the message was read from.
    #[inline(always)]
    pub fn payload_offset(&self) -> usize {
        // A message's offset is an index into the buffer it was read from,
        // so this sum and the attribute run's below cannot overflow:
        // `saturating_add` would only cost instructions.
        self.offset.wrapping_add(NLMSG_HDRLEN)
    }

    /// Splits the payload into a family header of `len` bytes and the run of
    /// attributes that starts at the next 4-byte boundary after it.
    ///
    /// ```
    /// # #[cfg(feature = "family-rt-link")] {
    /// # let dump = procslink::netlink::doc_example_dump();
    /// use procslink::netlink::Messages;
    ///
    /// let msg = Messages::new(&dump).next().unwrap()?;
    /// let (ifinfomsg, attrs) = msg.split_family_header(16)?;
    /// assert_eq!(ifinfomsg.len(), 16);
    /// assert!(attrs.count() > 0);
    /// # }
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn split_family_header(&self, len: usize) -> Result<(&'a [u8], Attrs<'a>), Error> {
        match self.payload.split_at_checked(len) {
            Some((head, _)) => {
                // `len` fits the payload, so `align(len)` is exact; past
                // the payload's end (its last padding missing) the run is
                // empty, which `min` gives without a second bounds check.
                let start = align(len);
                let run = self
                    .payload
                    .get(start.min(self.payload.len())..)
                    .unwrap_or(&[]);
                Ok((
                    head,
                    Attrs::with_offset(run, self.payload_offset().wrapping_add(start)),
                ))
            }
            None => Err(rare(
                ErrorKind::Truncated {
                    needed: len,
                    available: self.payload.len(),
                },
                self.offset,
            )),
        }
    }

    /// Views the payload as a family header `T` (for example
    /// `families::rt_link::Ifinfomsg` or [`GenlMsgHdr`]) followed by
    /// a run of attributes.
    #[inline]
    pub fn family_header<T>(&self) -> Result<(&'a T, Attrs<'a>), Error>
    where
        T: FromBytes + KnownLayout + Immutable + Unaligned,
    {
        let (head, attrs) = self.split_family_header(core::mem::size_of::<T>())?;
        match T::ref_from_bytes(head) {
            Ok(t) => Ok((t, attrs)),
            Err(_) => Err(Error::new(
                ErrorKind::WrongSize {
                    expected: core::mem::size_of::<T>(),
                    found: head.len(),
                },
                self.payload_offset(),
            )),
        }
    }

    /// Views the payload as a generic netlink message: `genlmsghdr` and its
    /// attributes.
    #[inline]
    pub fn genl(&self) -> Result<(&'a GenlMsgHdr, Attrs<'a>), Error> {
        self.family_header::<GenlMsgHdr>()
    }
}

impl<'a> Message<'a, NativeEndian> {
    /// Views the message at the start of `buf` (bytes after `nlmsg_len` are
    /// ignored). Errors report offsets from the start of `buf`.
    ///
    /// ```
    /// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
    ///
    /// let mut buf = [0u8; 32];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(MessageType::NOOP, Flags::empty(), 7, 0)?;
    /// m.put_u32(1, 42)?;
    /// m.finish()?;
    /// let msg = Message::parse(&buf)?;
    /// assert_eq!(msg.header().seq(), 7);
    /// assert_eq!(msg.payload().len(), 8);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        Self::parse_at(buf, 0)
    }

    /// Decodes an `NLMSG_ERROR` message (an error or an acknowledgement).
    #[inline]
    pub fn error(&self) -> Result<ErrorMessage<'a>, Error> {
        ErrorMessage::parse(self)
    }

    /// Decodes an `NLMSG_DONE` message (the end of a dump).
    #[inline]
    pub fn done(&self) -> Result<DoneMessage<'a>, Error> {
        DoneMessage::parse(self)
    }
}

impl<O: ByteOrder> fmt::Debug for Message<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("offset", &self.offset)
            .field("header", self.header)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

impl<O: ByteOrder> fmt::Display for Message<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.header, f)
    }
}

/// An iterator over the messages of a buffer of concatenated messages (one
/// received datagram, or a whole dump).
///
/// Each message starts at the 4-byte boundary after the one before. The
/// iterator yields `Err` for the first message that is bad (truncated
/// header, `nlmsg_len` below 16 or past the end, trailing bytes too few for
/// a header) and then stops for good: nothing after a bad length can be
/// trusted. The last message may lack its trailing padding.
///
/// Give it exactly the bytes received (`&buf[..n]`), not the whole receive
/// buffer: zeros after the last message read as a message of length 0,
/// which is an error.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// # let dump = procslink::netlink::doc_example_dump();
/// use procslink::netlink::Messages;
///
/// let mut count = 0;
/// for message in Messages::new(&dump) {
///     let message = message?;
///     count += 1;
///     if message.message_type().is_done() {
///         assert_eq!(message.done()?.status(), 0);
///     }
/// }
/// assert_eq!(count, 3);
/// # }
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone)]
pub struct Messages<'a, O: ByteOrder = NativeEndian> {
    /// The whole buffer.
    buf: &'a [u8],
    /// The offset of the next message in `buf`: at most `buf.len() + 3`
    /// (the last message may lack its padding), or `usize::MAX` after an
    /// error. Being an index into `buf`, it is the message's offset too:
    /// no second counter to keep.
    pos: usize,
    order: PhantomData<O>,
}

impl<'a> Messages<'a, NativeEndian> {
    /// Iterates over the host-byte-order messages in `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Messages::with_order(buf)
    }
}

impl<'a, O: ByteOrder> Messages<'a, O> {
    /// Iterates over messages whose headers are in byte order `O`.
    #[inline]
    pub fn with_order(buf: &'a [u8]) -> Self {
        Messages {
            buf,
            pos: 0,
            order: PhantomData,
        }
    }

    /// The bytes not yet read (empty after an error).
    #[inline]
    pub fn remaining(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }
}

impl<'a, O: ByteOrder + 'a> Iterator for Messages<'a, O> {
    type Item = Result<Message<'a, O>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos;
        // Nothing left (at the end, past it by a missing padding, or
        // stopped by an error): one comparison, and the slice below is
        // then in bounds.
        if pos >= self.buf.len() {
            return None;
        }
        let rest = self.buf.get(pos..).unwrap_or(&[]);
        match Message::parse_at(rest, pos) {
            Ok(msg) => {
                // `nlmsg_len` is at most `rest.len()`, so `pos` stays at
                // most 3 past `buf.len() <= isize::MAX`: the add is exact.
                self.pos = pos.wrapping_add(align(msg.header.len() as usize));
                Some(Ok(msg))
            }
            Err(e) => {
                self.pos = usize::MAX;
                Some(Err(e))
            }
        }
    }
}

impl<'a, O: ByteOrder + 'a> core::iter::FusedIterator for Messages<'a, O> {}
