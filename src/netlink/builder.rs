//! Builders: messages, attributes and nests written into the caller's buffer.
//!
//! A [`Builder`] appends messages to a `&mut [u8]` (one message, or a batch
//! of several to send in one datagram). Each message is written through a
//! [`MessageBuilder`]; its `nlmsg_len`, and the `nla_len` of every nest, are
//! patched in when it is finished. Nothing is ever written past the buffer:
//! an item that does not fit is refused with
//! [`ErrorKind::BufferTooSmall`], which says how large the buffer would have
//! to be, and the builder stays as it was before the call. A message that is
//! dropped without [`MessageBuilder::finish`] is not part of the batch.
//!
//! A nest is a [`Nest`] guard that borrows its message mutably: attributes
//! are written into it through the guard, and it is closed by
//! [`Nest::end`]. The borrow checker rules out what would leave a message
//! unparsable: closing nests out of order, closing a nest in another
//! message, or finishing a message with a nest still open.

use zerocopy::{Immutable, IntoBytes};

use super::attr::{NLA_HDRLEN, NLA_MAX_PAYLOAD};
use super::flags::Flags;
use super::header::{NLMSG_HDRLEN, NlMsgHdr, align};
use super::route::RtNexthop;
use super::types::MessageType;
use crate::{Error, ErrorKind};

/// Writes a batch of messages into a caller's buffer.
///
/// ```
/// use procslink::netlink::{Builder, Messages, MessageType, flags::Flags};
///
/// let mut buf = [0u8; 128];
/// let mut batch = Builder::new(&mut buf);
/// for seq in 1..=3 {
///     let mut m = batch.message(MessageType(16), Flags::REQUEST | Flags::ACK, seq, 0)?;
///     m.put_u32(4, 1500)?;
///     m.finish()?;
/// }
/// let len = batch.len();
/// assert_eq!(len, 3 * 24);
/// assert_eq!(Messages::new(&buf[..len]).count(), 3);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until messages are written with it"]
pub struct Builder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Builder<'b> {
    /// A builder that writes from the start of `buf`.
    #[inline]
    pub fn new(buf: &'b mut [u8]) -> Self {
        Builder { buf, len: 0 }
    }

    /// Bytes of finished messages so far.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The finished messages.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Consumes the builder, returning the finished messages.
    #[inline]
    pub fn into_bytes(self) -> &'b [u8] {
        let Builder { buf, len } = self;
        let buf: &'b [u8] = buf;
        buf.get(..len).unwrap_or(&[])
    }

    /// Starts a message with the given header fields; `nlmsg_len` is filled
    /// in by [`MessageBuilder::finish`].
    #[inline(always)]
    pub fn message(
        &mut self,
        ty: impl Into<MessageType>,
        flags: Flags,
        seq: u32,
        pid: u32,
    ) -> Result<MessageBuilder<'_, 'b>, Error> {
        let start = self.len;
        let header = NlMsgHdr::new(NLMSG_HDRLEN as u32, ty.into().0, flags.bits(), seq, pid);
        match write_padded_at(self.buf, start, header.as_bytes()) {
            Ok(pos) => Ok(MessageBuilder {
                batch: self,
                start,
                pos,
            }),
            Err(why) => refused(why, start),
        }
    }
}

/// Writes one message; made by [`Builder::message`].
///
/// The message joins the batch only when [`MessageBuilder::finish`] writes
/// its length; dropped before that, it is discarded.
#[derive(Debug)]
#[must_use = "a message is only added to the batch by finish"]
pub struct MessageBuilder<'a, 'b> {
    batch: &'a mut Builder<'b>,
    start: usize,
    pos: usize,
}

/// An open nest: a guard made by [`MessageBuilder::nest`] (or, for a next
/// hop of a multipath route, [`MessageBuilder::nexthop`]) that borrows its
/// message until [`Nest::end`] closes it.
///
/// Attributes (and nests within this one) are written through the guard,
/// which dereferences to the [`MessageBuilder`]. Because it holds the
/// message's mutable borrow, the compiler rejects closing nests out of
/// order, using a nest with another message, and finishing a message while
/// a nest is open.
///
/// A nest dropped without [`Nest::end`] is discarded with everything
/// written inside it (as [`Nest::cancel`] does), so the message stays
/// well-formed. A guard whose message was swapped for another one behind
/// it (`core::mem::swap` through the dereference) is refused by `end` with
/// [`ErrorKind::Misuse`] and changes nothing.
///
/// ```
/// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
///
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0)?;
/// let mut info = m.nest(18)?;
/// info.put_str(1, "vxlan")?;
/// let mut data = info.nest(2)?;
/// data.put_u32(1, 42)?;
/// data.end()?;
/// info.end()?;
/// let len = m.finish()?;
///
/// let msg = Message::parse(&buf[..len])?;
/// let (_, mut attrs) = msg.split_family_header(0)?;
/// let info = attrs.next().unwrap()?;
/// assert_eq!(info.len(), 4 + 12 + 12);
/// # Ok::<(), procslink::Error>(())
/// ```
///
/// Closing the outer nest first does not compile:
///
/// ```compile_fail
/// use procslink::netlink::{Builder, MessageType, flags::Flags};
///
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0)?;
/// let mut info = m.nest(18)?;
/// let data = info.nest(2)?;
/// info.end()?;
/// data.end()?;
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a nest is discarded unless closed with end"]
pub struct Nest<'m, 'a, 'b> {
    msg: &'m mut MessageBuilder<'a, 'b>,
    /// The offset of the nest's header in the batch's buffer.
    start: usize,
    /// The address of the batch's buffer: tells this message from one
    /// swapped in behind the guard.
    buf: usize,
    open: bool,
}

macro_rules! int_putters {
    ($($(#[$doc:meta])* $name:ident $be:ident $t:ty;)*) => {$(
        $(#[$doc])*
        /// In host byte order.
        #[inline(always)]
        pub fn $name(&mut self, ty: u16, value: $t) -> Result<(), Error> {
            self.put(ty, &value.to_ne_bytes())
        }

        #[doc = concat!("Appends a big-endian `", stringify!($t), "` attribute, with")]
        /// `NLA_F_NET_BYTEORDER` set in its type.
        #[inline(always)]
        pub fn $be(&mut self, ty: u16, value: $t) -> Result<(), Error> {
            self.put(ty | super::attr::NLA_F_NET_BYTEORDER, &value.to_be_bytes())
        }
    )*};
}

impl<'a, 'b> MessageBuilder<'a, 'b> {
    /// Bytes written to this message so far, header included.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.pos - self.start
    }

    /// Appends raw bytes to the payload, padded with zeros to 4 bytes.
    #[inline(always)]
    pub fn put_bytes_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let written = write_padded_at(self.batch.buf, self.pos, bytes);
        self.advance(written)
    }

    /// Appends a family header (e.g. `families::rt_link::Ifinfomsg`
    /// or [`GenlMsgHdr`](super::genl::GenlMsgHdr)), padded to 4 bytes.
    #[inline(always)]
    pub fn family_header<T: IntoBytes + Immutable + ?Sized>(
        &mut self,
        header: &T,
    ) -> Result<(), Error> {
        self.put_bytes_raw(header.as_bytes())
    }

    /// Appends an attribute of type `ty` (flag bits included as given) with
    /// `payload`, padded to 4 bytes.
    ///
    /// A payload over 65531 bytes cannot be described by `nla_len` and is
    /// refused with [`ErrorKind::TooLarge`].
    #[inline(always)]
    pub fn put(&mut self, ty: u16, payload: &[u8]) -> Result<(), Error> {
        let written = write_attr(self.batch.buf, self.pos, ty, payload, 0);
        self.advance(written)
    }

    /// Moves the write position to the end of what `written` says was
    /// written, or hands its refusal to the caller as an [`Error`] at the
    /// current position.
    #[inline(always)]
    fn advance(&mut self, written: Result<usize, Refusal>) -> Result<(), Error> {
        match written {
            Ok(end) => {
                self.pos = end;
                Ok(())
            }
            Err(why) => refused(why, self.pos),
        }
    }

    int_putters! {
        /// Appends a `u8` attribute.
        put_u8 put_u8_be u8;
        /// Appends a `u16` attribute.
        put_u16 put_u16_be u16;
        /// Appends a `u32` attribute.
        put_u32 put_u32_be u32;
        /// Appends a `u64` attribute.
        put_u64 put_u64_be u64;
        /// Appends an `i8` attribute.
        put_i8 put_i8_be i8;
        /// Appends an `i16` attribute.
        put_i16 put_i16_be i16;
        /// Appends an `i32` attribute.
        put_i32 put_i32_be i32;
        /// Appends an `i64` attribute.
        put_i64 put_i64_be i64;
    }

    /// Appends a string attribute with its terminating NUL.
    ///
    /// A string with a NUL inside would be read back cut short, so it is
    /// refused ([`ErrorKind::Misuse`]).
    #[inline(always)]
    pub fn put_str(&mut self, ty: u16, value: &str) -> Result<(), Error> {
        self.put_bytes_str(ty, value.as_bytes())
    }

    /// Appends a string attribute of any bytes (interface names need not
    /// be UTF-8) with its terminating NUL; refused as [`put_str`] refuses.
    ///
    /// [`put_str`]: MessageBuilder::put_str
    #[inline(always)]
    pub fn put_bytes_str(&mut self, ty: u16, bytes: &[u8]) -> Result<(), Error> {
        let written = if bytes.contains(&0) {
            Err(Refusal::Misuse)
        } else {
            write_attr(self.batch.buf, self.pos, ty, bytes, 1)
        };
        self.advance(written)
    }

    /// Appends a flag attribute: type only, no payload.
    #[inline(always)]
    pub fn put_flag(&mut self, ty: u16) -> Result<(), Error> {
        self.put(ty, &[])
    }

    /// Opens a nest of type `ty` (flag bits as given: add
    /// [`NLA_F_NESTED`](super::attr::NLA_F_NESTED) if the family expects it).
    /// Attributes written through the returned [`Nest`] go inside it until
    /// [`Nest::end`].
    #[inline(always)]
    pub fn nest(&mut self, ty: u16) -> Result<Nest<'_, 'a, 'b>, Error> {
        let start = self.pos;
        match write_attr(self.batch.buf, start, ty, &[], 0) {
            Ok(end) => {
                self.pos = end;
                Ok(self.open_guard(start))
            }
            Err(why) => refused(why, start),
        }
    }

    /// Opens a next hop of a multipath route, inside an `RTA_MULTIPATH`
    /// nest: writes `hop` (its `rtnh_len` is ignored) and returns the guard
    /// through which the hop's attributes are written. [`Nest::end`] writes
    /// `rtnh_len`, the header and attributes included; a hop over 65535
    /// bytes is refused as a nest is. [`NextHops`](super::route::NextHops)
    /// reads them back.
    #[inline]
    pub fn nexthop(&mut self, hop: &RtNexthop) -> Result<Nest<'_, 'a, 'b>, Error> {
        let start = self.pos;
        let written = write_padded_at(self.batch.buf, start, hop.as_bytes());
        self.advance(written)?;
        Ok(self.open_guard(start))
    }

    /// The guard of a nest (or next hop) whose header, written at `start`,
    /// holds its length in its first two bytes.
    #[inline(always)]
    fn open_guard(&mut self, start: usize) -> Nest<'_, 'a, 'b> {
        Nest {
            buf: self.batch.buf.as_ptr() as usize,
            msg: self,
            start,
            open: true,
        }
    }

    /// Writes `nlmsg_len` and adds the message to the batch, returning the
    /// message's length.
    #[inline(always)]
    pub fn finish(self) -> Result<usize, Error> {
        let len = self.pos - self.start;
        let Ok(len32) = u32::try_from(len) else {
            return refused(Refusal::MessageTooLarge { size: len }, self.start);
        };
        match self.batch.buf.get_mut(self.start..self.start + 4) {
            Some(dst) => dst.copy_from_slice(&len32.to_ne_bytes()),
            None => return refused(Refusal::Misuse, self.start),
        }
        self.batch.len = self.pos;
        Ok(len)
    }
}

impl<'a, 'b> Nest<'_, 'a, 'b> {
    /// Closes the nest, writing its length. A nest whose contents exceed
    /// 65531 bytes is refused with [`ErrorKind::TooLarge`]; the message is
    /// then left as it was before the nest was opened.
    #[inline(always)]
    pub fn end(mut self) -> Result<(), Error> {
        self.open = false;
        if !self.owned() {
            return refused(Refusal::Misuse, self.msg.pos);
        }
        let msg = &mut *self.msg;
        let len = msg.pos - self.start;
        if len - NLA_HDRLEN > NLA_MAX_PAYLOAD {
            msg.pos = self.start;
            let size = len - NLA_HDRLEN;
            return refused(Refusal::AttrTooLarge { size }, self.start);
        }
        match msg.batch.buf.get_mut(self.start..self.start + 2) {
            Some(dst) => dst.copy_from_slice(&(len as u16).to_ne_bytes()),
            None => return refused(Refusal::Misuse, msg.pos),
        }
        Ok(())
    }

    /// Drops the nest and everything written inside it (dropping the guard
    /// without [`Nest::end`] does the same).
    #[inline]
    pub fn cancel(self) {}

    /// The offset of the nest's header in the batch's buffer.
    #[inline]
    pub fn offset(&self) -> usize {
        self.start
    }

    /// Is the message behind the guard still the one the nest was opened
    /// in, with the nest's header inside what was written?
    #[inline(always)]
    fn owned(&self) -> bool {
        let msg = &*self.msg;
        msg.batch.buf.as_ptr() as usize == self.buf
            && self.start >= msg.start + NLMSG_HDRLEN
            && self.start + NLA_HDRLEN <= msg.pos
    }

    fn discard(&mut self) {
        if self.open && self.owned() {
            self.msg.pos = self.start;
        }
        self.open = false;
    }
}

impl Drop for Nest<'_, '_, '_> {
    #[inline]
    fn drop(&mut self) {
        if self.open {
            self.discard();
        }
    }
}

impl<'a, 'b> core::ops::Deref for Nest<'_, 'a, 'b> {
    type Target = MessageBuilder<'a, 'b>;

    #[inline(always)]
    fn deref(&self) -> &Self::Target {
        self.msg
    }
}

impl core::ops::DerefMut for Nest<'_, '_, '_> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.msg
    }
}

/// Why a write was refused: what the builder's internal writers return
/// instead of an [`Error`], turned into one by [`refuse`] only in the public
/// methods.
///
/// Two words, so that `Result<usize, Refusal>` stays in registers. Were the
/// writers to return `Result<_, Error>` (five words, in memory), LLVM would
/// merge the success path's store of the result's tag with the error path's
/// last field store into one store through a pointer selecting between two
/// stack slots, which keeps the result in memory once inlined: every `?`
/// of a caller's build chain then went through the stack (244 instructions
/// per message in the `build-loop` benchmark, 92 with this). The public
/// methods are `#[inline(always)]` for the same reason: a call left in a
/// chain takes the message's address, and the message then lives in memory.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    /// [`ErrorKind::BufferTooSmall`].
    BufferTooSmall { needed: usize },
    /// [`ErrorKind::TooLarge`] for an attribute's payload.
    AttrTooLarge { size: usize },
    /// [`ErrorKind::TooLarge`] for a message.
    MessageTooLarge { size: usize },
    /// [`ErrorKind::Misuse`].
    Misuse,
}

/// The refusal of a write at byte `offset`, on a path marked cold.
///
/// [`refuse`] is inlined (a call to it would take the address of the
/// result slot, which holds the builder's borrow, and keep the builder in
/// memory), and being inlined it no longer tells LLVM that the path is
/// rare: every check of a build chain was then laid out as a *taken* jump
/// over its inline error return (16 taken branches a message in the
/// `build-loop` benchmark, 7.05 ns a message against 6.0 ns with this).
/// The call to the empty, out-of-line [`cold_path`] is what marks the
/// block cold, so that the writes fall through from check to check.
#[inline(always)]
fn refused<T>(why: Refusal, offset: usize) -> Result<T, Error> {
    cold_path();
    Err(refuse(why, offset))
}

/// Marks the path that calls it as rare (`core::hint::cold_path` is newer
/// than the crate's MSRV). Takes and returns nothing, so that the call
/// keeps nothing of the caller's in memory.
#[cold]
#[inline(never)]
fn cold_path() {}

/// The error for a write refused at byte `offset`.
#[cold]
fn refuse(why: Refusal, offset: usize) -> Error {
    let kind = match why {
        Refusal::BufferTooSmall { needed } => ErrorKind::BufferTooSmall { needed },
        Refusal::AttrTooLarge { size } => ErrorKind::TooLarge {
            size,
            max: NLA_MAX_PAYLOAD,
        },
        Refusal::MessageTooLarge { size } => ErrorKind::TooLarge {
            size,
            max: u32::MAX as usize,
        },
        Refusal::Misuse => ErrorKind::Misuse,
    };
    Error::new(kind, offset)
}

/// Writes `bytes` at `pos`, padded with zeros to 4 bytes; returns the end.
#[inline]
fn write_padded_at(buf: &mut [u8], pos: usize, bytes: &[u8]) -> Result<usize, Refusal> {
    let end = pos.saturating_add(align(bytes.len()));
    let Some(dst) = buf.get_mut(pos..end) else {
        return Err(Refusal::BufferTooSmall { needed: end });
    };
    fill_padded(dst, bytes)?;
    Ok(end)
}

/// Writes an attribute at `pos`: its header, `payload`, `nul` (0 or 1)
/// zero bytes that count in `nla_len` (1 for a string's NUL), and zeros to
/// the next 4-byte boundary; returns the end.
#[inline(always)]
fn write_attr(
    buf: &mut [u8],
    pos: usize,
    ty: u16,
    payload: &[u8],
    nul: usize,
) -> Result<usize, Refusal> {
    let size = payload.len() + nul;
    if size > NLA_MAX_PAYLOAD {
        return Err(Refusal::AttrTooLarge { size });
    }
    let len = NLA_HDRLEN + size;
    let end = pos + align(len);
    let Some(dst) = buf.get_mut(pos..end) else {
        return Err(Refusal::BufferTooSmall { needed: end });
    };
    let (head, rest) = dst.split_at_mut(NLA_HDRLEN);
    head[..2].copy_from_slice(&(len as u16).to_ne_bytes());
    head[2..].copy_from_slice(&ty.to_ne_bytes());
    fill_padded(rest, payload)?;
    Ok(end)
}

/// Fills `dst` with `bytes` and zeros after them: `dst` is `bytes` rounded
/// up to 4 bytes (or, for a string whose NUL starts a word, one word more).
///
/// The whole 4-byte words of `bytes` are copied; its last bytes and the
/// zeros go in as one more word, built as a number so that it is one store
/// (copied and zero-filled apart, the 1-byte payload of a `u8` attribute
/// and its padding took three stores). A `dst` shorter than `bytes`, or
/// more than a word longer than their whole words (which the writers never
/// pass), is refused as misuse.
#[inline(always)]
fn fill_padded(dst: &mut [u8], bytes: &[u8]) -> Result<(), Refusal> {
    let whole = bytes.len() & !3;
    let (Some((words, tail)), Some((body, last))) = (
        bytes.split_at_checked(whole),
        dst.split_at_mut_checked(whole),
    ) else {
        return Err(Refusal::Misuse);
    };
    body.copy_from_slice(words);
    let last_word = padded_word(tail).to_ne_bytes();
    let Some(last_word) = last_word
        .get(..last.len())
        .filter(|_| tail.len() <= last.len())
    else {
        return Err(Refusal::Misuse);
    };
    last.copy_from_slice(last_word);
    Ok(())
}

/// The first (at most) 4 bytes of `bytes` followed by zeros, as the `u32`
/// whose bytes in memory they are.
#[inline(always)]
fn padded_word(bytes: &[u8]) -> u32 {
    let mut word = 0u32;
    for (i, &b) in bytes.iter().take(4).enumerate() {
        let shift = if cfg!(target_endian = "little") {
            i
        } else {
            3 - i
        };
        word |= u32::from(b) << (8 * shift);
    }
    word
}
