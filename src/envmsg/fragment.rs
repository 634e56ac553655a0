//! Fragmentation: a [`Splitter`] that writes a large message as a run of
//! transport messages, and a [`Reassembler`] that puts it back together.

use core::fmt;

use super::envelope::{Envelope, EnvelopeRepr, envelope_len};
use super::header::{Crc32, EnvelopeIds, FragmentHdr, crc32};
use crate::netlink::NLA_MAX_PAYLOAD;
use crate::{Error, ErrorKind, FragmentViolation};

/// Writes one message as transport messages, one fragment at a time, into
/// the caller's buffers.
///
/// A message no longer than `max_fragment_payload` is one plain transport
/// message without a fragment header (byte-compatible with pyroute2); a
/// longer one is cut into `ceil(len / max_fragment_payload)` fragments,
/// each carrying `max_fragment_payload` bytes except the last, and each
/// followed by its [`FragmentHdr`].
///
/// Each fragment is an envelope of its own, and a pyroute2 broker drops an
/// envelope whose 16-byte id it has seen: in the
/// [`EnvelopeFormat::PortsId`](super::EnvelopeFormat::PortsId) layout
/// fragment `i` carries the id of `repr` plus `i`
/// ([`EnvelopeIds::offset`]). [`Splitter::take_ids`] reserves that block
/// from the caller's [`EnvelopeIds`], so no later envelope repeats one.
///
/// ```
/// use procslink::envmsg::{Envelope, EnvelopeFormat, EnvelopeIds, EnvelopeRepr, Reassembler, Splitter};
///
/// let message = [7u8; 2500];
/// let mut ids = EnvelopeIds::new(*b"example!");
/// let mut split = Splitter::new(&message, EnvelopeRepr::default(), 42, 1000)?;
/// split.take_ids(&mut ids);
/// assert_eq!(split.count(), 3);
///
/// let mut storage = [0u8; 4096];
/// let mut reasm = Reassembler::new(&mut storage);
/// let mut datagram = [0u8; 1100];
/// let mut whole = None;
/// let mut seen = Vec::new();
/// while let Some(len) = split.next_into(&mut datagram) {
///     let env = Envelope::parse(&datagram[..len?], EnvelopeFormat::PortsId)?;
///     seen.push(*env.id().unwrap());
///     if let Some(msg) = reasm.push(&env)? {
///         whole = Some(msg.len());
///     }
/// }
/// assert_eq!(whole, Some(2500));
/// seen.dedup();
/// assert_eq!(seen.len(), 3); // one id per envelope
/// assert_ne!(ids.next_id(), seen[2]);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a splitter writes nothing until its fragments are asked for"]
pub struct Splitter<'m> {
    message: &'m [u8],
    repr: EnvelopeRepr,
    message_id: u32,
    checksum: u32,
    max_payload: usize,
    count: usize,
    next: usize,
}

impl<'m> Splitter<'m> {
    /// Prepares to split `message`, each fragment sent with the envelope
    /// fields of `repr`, the fragment headers naming `message_id`, and at
    /// most `max_fragment_payload` bytes of the message per fragment.
    ///
    /// Computes the message's checksum (one pass over it) if it needs
    /// fragmenting. Errors (at offset 0): `max_fragment_payload` of 0 is
    /// [`ErrorKind::Misuse`]; over 65531 ([`NLA_MAX_PAYLOAD`]) is
    /// [`ErrorKind::TooLarge`]; a message needing more than 65535
    /// fragments, or longer than `u32::MAX`, is [`ErrorKind::TooLarge`].
    pub fn new(
        message: &'m [u8],
        repr: EnvelopeRepr,
        message_id: u32,
        max_fragment_payload: usize,
    ) -> Result<Self, Error> {
        if max_fragment_payload == 0 {
            return Err(Error::new(ErrorKind::Misuse, 0));
        }
        if max_fragment_payload > NLA_MAX_PAYLOAD {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: max_fragment_payload,
                    max: NLA_MAX_PAYLOAD,
                },
                0,
            ));
        }
        let len = message.len();
        let count = len.div_ceil(max_fragment_payload).max(1);
        let max_len = max_fragment_payload
            .saturating_mul(u16::MAX as usize)
            .min(u32::MAX as usize);
        if count > u16::MAX as usize || len > u32::MAX as usize {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: len,
                    max: max_len,
                },
                0,
            ));
        }
        let checksum = if count > 1 { crc32(message) } else { 0 };
        Ok(Splitter {
            message,
            repr,
            message_id,
            checksum,
            max_payload: max_fragment_payload,
            count,
            next: 0,
        })
    }

    /// Gives the fragments ids from `ids`: reserves one per fragment
    /// ([`EnvelopeIds::reserve`]) and sets the first as the envelope id of
    /// fragment 0 (fragment `i` carries it plus `i`). Without it the
    /// fragments number from the id `repr` was made with.
    pub fn take_ids(&mut self, ids: &mut EnvelopeIds) {
        let first = ids.reserve(self.count as u64);
        self.repr.header.set_id(first);
    }

    /// The envelope fields fragment `index` is written with: `repr`'s,
    /// with its id plus `index`.
    pub fn fragment_repr(&self, index: usize) -> EnvelopeRepr {
        let mut repr = self.repr;
        if let Some(id) = repr.header.id() {
            repr.header.set_id(EnvelopeIds::offset(id, index as u64));
        }
        repr
    }

    /// How many transport messages the message takes (1 if it is not
    /// fragmented).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Does the message need fragmenting (more than one fragment, each with
    /// a fragment header)?
    pub fn is_fragmented(&self) -> bool {
        self.count > 1
    }

    /// Fragments not yet written by [`Splitter::next_into`].
    pub fn remaining(&self) -> usize {
        self.count.saturating_sub(self.next)
    }

    /// The message's CRC-32 as the fragment headers carry it (0 when the
    /// message is not fragmented, as there is no header to carry it).
    pub fn checksum(&self) -> u32 {
        self.checksum
    }

    /// The slice of the message fragment `index` carries.
    pub fn fragment_data(&self, index: usize) -> Option<&'m [u8]> {
        if index >= self.count {
            return None;
        }
        let start = index.saturating_mul(self.max_payload);
        let end = start
            .saturating_add(self.max_payload)
            .min(self.message.len());
        self.message.get(start..end)
    }

    /// The fragment header of fragment `index` (`None` if out of range or
    /// if the message is not fragmented).
    pub fn fragment_header(&self, index: usize) -> Option<FragmentHdr> {
        if !self.is_fragmented() || index >= self.count {
            return None;
        }
        let offset = index.saturating_mul(self.max_payload);
        Some(FragmentHdr::new(
            self.message_id,
            u32::try_from(self.message.len()).ok()?,
            u32::try_from(offset).ok()?,
            u16::try_from(index).ok()?,
            u16::try_from(self.count).ok()?,
            self.checksum,
        ))
    }

    /// The exact size of the transport message carrying fragment `index`.
    pub fn fragment_buffer_len(&self, index: usize) -> Option<usize> {
        let data = self.fragment_data(index)?;
        Some(envelope_len(
            self.repr.header.format(),
            data.len(),
            self.is_fragmented(),
        ))
    }

    /// The size of the largest fragment's transport message: a buffer this
    /// large holds any of them.
    pub fn max_buffer_len(&self) -> usize {
        self.fragment_buffer_len(0).unwrap_or(0)
    }

    /// Writes fragment `index` into `buf`, returning its length; any order,
    /// any number of times.
    ///
    /// An index out of range is [`ErrorKind::Misuse`]; a buffer shorter than
    /// [`Splitter::fragment_buffer_len`] is [`ErrorKind::BufferTooSmall`]
    /// with that length as `needed`, and nothing is written.
    pub fn write_fragment(&self, index: usize, buf: &mut [u8]) -> Result<usize, Error> {
        let Some(data) = self.fragment_data(index) else {
            return Err(Error::new(ErrorKind::Misuse, 0));
        };
        let repr = self.fragment_repr(index);
        match self.fragment_header(index) {
            Some(header) => repr.emit_fragment(data, &header, buf),
            None => repr.emit(data, buf),
        }
    }

    /// Writes the next fragment into `buf`, returning its length, or `None`
    /// once every fragment has been written. On an error (a short buffer)
    /// the splitter does not advance, so the call can be repeated with a
    /// larger buffer.
    pub fn next_into(&mut self, buf: &mut [u8]) -> Option<Result<usize, Error>> {
        if self.next >= self.count {
            return None;
        }
        let result = self.write_fragment(self.next, buf);
        if result.is_ok() {
            self.next += 1;
        }
        Some(result)
    }
}

impl fmt::Debug for Splitter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Splitter")
            .field("len", &self.message.len())
            .field("message_id", &self.message_id)
            .field("max_payload", &self.max_payload)
            .field("count", &self.count)
            .field("next", &self.next)
            .finish()
    }
}

#[derive(Copy, Clone, Debug)]
struct Partial {
    message_id: u32,
    total: usize,
    count: u16,
    checksum: u32,
    next: u16,
    received: usize,
    crc: Crc32,
}

enum Step {
    /// The envelope's data is a whole message.
    Whole,
    /// A fragment was stored; the message is not complete.
    Stored,
    /// The message of this many bytes is complete in the buffer.
    Complete(usize),
}

/// Reassembles fragmented messages into a caller's buffer.
///
/// Feed it every received envelope with [`Reassembler::push`]:
///
/// - an envelope without a fragment header is a whole message: its data is
///   returned **borrowed from the envelope**, not copied, and a message
///   being reassembled is left as it was (such a message has no id and
///   cannot belong to it);
/// - likewise a fragment header with `count` 1 (a whole message, which
///   this crate's [`Splitter`] never sends but a peer may), after its
///   header is checked;
/// - fragments of a larger message are copied into the buffer; when the
///   last arrives, and the whole message's CRC-32 matches the headers',
///   the message is returned, borrowed from the buffer.
///
/// One message is reassembled at a time, fragments in order: this is the
/// in-order stream of one sender (use one reassembler per sender). Every
/// departure is an error: a fragment after a gap is
/// [`FragmentViolation::Missing`], one already received
/// [`FragmentViolation::Duplicate`], a fragment other than the first when
/// no message is in progress [`FragmentViolation::OutOfOrder`], a header
/// that disagrees with itself or with the message's earlier fragments (id,
/// total length, count or checksum changed, offset not equal to the bytes
/// received so far, index not below count, data past the total length,
/// last fragment short of it) [`FragmentViolation::Inconsistent`],
/// reassembled bytes that do not match the checksum
/// [`FragmentViolation::ChecksumMismatch`], and a message larger than the
/// maximum [`FragmentViolation::Oversized`], reported on its first
/// fragment. The error's offset is that of the envelope's fragment
/// attribute.
///
/// Recovery: after any error the partial message is dropped, and the next
/// message starts afresh with its fragment 0. A fragment 0 always starts a
/// new message; if another message was in progress, the push reports
/// [`FragmentViolation::Incomplete`] naming it (or
/// [`FragmentViolation::Duplicate`] if it has the same id) but **keeps the
/// new fragment** as the start of the next message. A fragment 0 with the
/// id of the message completed last is a replay and is refused as
/// [`FragmentViolation::Duplicate`], so consecutive fragmented messages of
/// one sender must have different ids (a counter will do).
///
/// It never returns a wrong message: every fragment's index and offset
/// must continue the message exactly, and the result must match the
/// checksum every fragment carries.
///
/// ```
/// use procslink::envmsg::{Envelope, EnvelopeFormat, EnvelopeRepr, Reassembler, Splitter};
/// use procslink::{ErrorKind, FragmentViolation};
///
/// let message = [1u8; 300];
/// let split = Splitter::new(&message, EnvelopeRepr::default(), 5, 100)?;
/// let mut frames = [[0u8; 200]; 3];
/// for (i, frame) in frames.iter_mut().enumerate() {
///     split.write_fragment(i, frame)?;
/// }
/// let env = |i: usize| Envelope::parse(&frames[i], EnvelopeFormat::PortsId);
///
/// let mut storage = [0u8; 1000];
/// let mut reasm = Reassembler::new(&mut storage);
/// assert_eq!(reasm.push(&env(0)?)?, None);
/// let err = reasm.push(&env(2)?).unwrap_err(); // fragment 1 was lost
/// assert_eq!(err.kind(), ErrorKind::Fragment(FragmentViolation::Missing { expected: 1, got: 2 }));
/// # Ok::<(), procslink::Error>(())
/// ```
pub struct Reassembler<'b> {
    buf: &'b mut [u8],
    max: usize,
    partial: Option<Partial>,
    last_completed: Option<u32>,
}

impl<'b> Reassembler<'b> {
    /// A reassembler that can rebuild messages up to `buf.len()` bytes.
    pub fn new(buf: &'b mut [u8]) -> Self {
        let max = buf.len();
        Reassembler {
            buf,
            max,
            partial: None,
            last_completed: None,
        }
    }

    /// A reassembler that refuses messages over `max` bytes (clamped to
    /// `buf.len()`), whole or fragmented.
    pub fn with_max(buf: &'b mut [u8], max: usize) -> Self {
        let max = max.min(buf.len());
        Reassembler {
            buf,
            max,
            partial: None,
            last_completed: None,
        }
    }

    /// The largest message this reassembler returns.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The id of the message being reassembled, if any.
    pub fn in_progress(&self) -> Option<u32> {
        self.partial.map(|p| p.message_id)
    }

    /// Bytes received so far of the message being reassembled.
    pub fn received(&self) -> usize {
        self.partial.map_or(0, |p| p.received)
    }

    /// The id of the last fragmented message returned.
    pub fn last_message_id(&self) -> Option<u32> {
        self.last_completed
    }

    /// Forgets everything: the partial message and the last id.
    pub fn reset(&mut self) {
        self.partial = None;
        self.last_completed = None;
    }

    /// Ends the stream: a message still in progress is dropped and reported
    /// as [`FragmentViolation::Incomplete`] (at offset 0).
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.partial.take() {
            Some(p) => Err(violation(
                FragmentViolation::Incomplete {
                    message_id: p.message_id,
                },
                0,
            )),
            None => Ok(()),
        }
    }

    /// Takes one received envelope; returns the whole message when one is
    /// complete (see the type's docs for what is borrowed from where, and
    /// for the errors).
    pub fn push<'s>(&'s mut self, envelope: &Envelope<'s>) -> Result<Option<&'s [u8]>, Error> {
        let data = envelope.data();
        // Take the partial message: every path that keeps it puts it back.
        let previous = self.partial.take();
        let step = match envelope.fragment() {
            None => {
                // A whole message, even a refused one, leaves the message
                // being reassembled alone.
                self.partial = previous;
                self.whole(data.len(), envelope.data_offset())
            }
            Some(header) => {
                let at = envelope.fragment_offset().unwrap_or(envelope.data_offset());
                self.fragment(previous, header, data, at)
            }
        };
        match step? {
            Step::Whole => {
                self.partial = previous;
                Ok(Some(data))
            }
            Step::Stored => Ok(None),
            Step::Complete(total) => Ok(Some(self.buf.get(..total).unwrap_or(&[]))),
        }
    }

    fn whole(&self, len: usize, at: usize) -> Result<Step, Error> {
        if len > self.max {
            return Err(violation(
                FragmentViolation::Oversized {
                    total: len,
                    max: self.max,
                },
                at,
            ));
        }
        Ok(Step::Whole)
    }

    /// Takes a fragment; `previous` is the partial message, already taken
    /// out of `self.partial`, which this puts back (or replaces) only on
    /// the paths that keep it.
    fn fragment(
        &mut self,
        previous: Option<Partial>,
        h: &FragmentHdr,
        data: &[u8],
        at: usize,
    ) -> Result<Step, Error> {
        use FragmentViolation::*;
        let id = h.message_id.get();
        let total = h.total_len.get() as usize;
        let offset = h.offset.get() as usize;
        let index = h.index.get();
        let count = h.count.get();
        let checksum = h.checksum.get();
        let inconsistent = violation(Inconsistent, at);

        if count == 1 {
            // A whole message in one fragment: it cannot belong to the
            // message being reassembled, which it leaves alone.
            self.partial = previous;
            if index != 0 || offset != 0 || data.len() != total {
                return Err(inconsistent);
            }
            if crc32(data) != checksum {
                return Err(violation(ChecksumMismatch, at));
            }
            return self.whole(total, at);
        }

        let end = match offset.checked_add(data.len()) {
            Some(end) if end <= total => end,
            _ => return Err(inconsistent),
        };
        if index >= count {
            return Err(inconsistent);
        }
        if index == 0 {
            if offset != 0 {
                return Err(inconsistent);
            }
            if self.last_completed == Some(id) {
                return Err(violation(Duplicate { index: 0 }, at));
            }
            if total > self.max {
                return Err(violation(
                    Oversized {
                        total,
                        max: self.max,
                    },
                    at,
                ));
            }
            let Some(dst) = self.buf.get_mut(..end) else {
                return Err(inconsistent);
            };
            dst.copy_from_slice(data);
            let mut crc = Crc32::new();
            crc.update(data);
            self.partial = Some(Partial {
                message_id: id,
                total,
                count,
                checksum,
                next: 1,
                received: end,
                crc,
            });
            return match previous {
                Some(p) if p.message_id == id => Err(violation(Duplicate { index: 0 }, at)),
                Some(p) => Err(violation(
                    Incomplete {
                        message_id: p.message_id,
                    },
                    at,
                )),
                None => Ok(Step::Stored),
            };
        }

        let Some(mut p) = previous else {
            return Err(violation(
                OutOfOrder {
                    expected: 0,
                    got: index.into(),
                },
                at,
            ));
        };
        if p.message_id != id || p.total != total || p.count != count || p.checksum != checksum {
            return Err(inconsistent);
        }
        if index < p.next {
            return Err(violation(
                Duplicate {
                    index: index.into(),
                },
                at,
            ));
        }
        if index > p.next {
            return Err(violation(
                Missing {
                    expected: p.next.into(),
                    got: index.into(),
                },
                at,
            ));
        }
        if offset != p.received {
            return Err(inconsistent);
        }
        let Some(dst) = self.buf.get_mut(offset..end) else {
            return Err(inconsistent);
        };
        dst.copy_from_slice(data);
        p.crc.update(data);
        p.received = end;
        p.next = index.saturating_add(1);
        if p.next < count {
            self.partial = Some(p);
            return Ok(Step::Stored);
        }
        if end != total {
            return Err(inconsistent);
        }
        if p.crc.finish() != checksum {
            return Err(violation(ChecksumMismatch, at));
        }
        self.last_completed = Some(id);
        Ok(Step::Complete(total))
    }
}

impl fmt::Debug for Reassembler<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reassembler")
            .field("capacity", &self.buf.len())
            .field("max", &self.max)
            .field("in_progress", &self.in_progress())
            .field("received", &self.received())
            .field("last_message_id", &self.last_completed)
            .finish()
    }
}

#[cold]
fn violation(v: FragmentViolation, at: usize) -> Error {
    Error::new(ErrorKind::Fragment(v), at)
}
