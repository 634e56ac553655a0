//! Stream framings: cutting messages out of a byte stream, and writing them
//! into one.
//!
//! Three framings are implemented, each as a [`Framing`]:
//!
//! | framing | frames | length from |
//! |---|---|---|
//! | [`netlink::NetlinkFraming`] | netlink messages over a stream | `nlmsg_len` |
//! | [`domainsockets::ClientFraming`], [`domainsockets::ServerFraming`] | Go domainsockets calls and replies | a leading uvarint |
//! | [`ezipc::EzIpcFraming`] | EZ-IPC JSON texts | a five-`\n` separator |
//!
//! Each module documents its wire format with a byte diagram and has a
//! builder that writes one frame into the caller's buffer. [`base85`] is
//! the text encoding EZ-IPC puts inside its frames (Python's `b85encode`).
//!
//! # Two ways to decode, one answer
//!
//! - [`Frames`] walks one contiguous slice and yields frames borrowed from
//!   it: no copying at all. If the slice stops inside a frame, the last item
//!   is a [`Truncated`](ErrorKind::Truncated) error whose `needed` is the
//!   number of bytes the frame needs, as far as the bytes present tell
//!   (a netlink frame cut inside its length field needs 4 to say more), and
//!   `available` the bytes that were there. [`StreamDecoder::finish`]
//!   reports the same error when the stream ends.
//! - [`StreamDecoder`] is fed chunks of any size (one byte at a time
//!   included) and keeps partial frames in a buffer the caller lends it; its
//!   frames borrow from that buffer.
//!
//! Both drive the same [`Framing`], so for the same bytes they yield the same
//! frames and the same errors, however the stream is cut into chunks.
//!
//! # Frame size limit
//!
//! Every decoder takes a `max_frame`: the most **wire bytes** one frame may
//! span (length prefix, headers and separator included; netlink alignment
//! padding excluded). A frame over the limit is rejected with
//! [`TooLarge`](ErrorKind::TooLarge) as soon as its size is known, before
//! its body arrives: a [`StreamDecoder`] never needs a buffer larger than
//! `max_frame`. The error's `size` is the frame's size where a length field
//! gives it, else a lower bound (EZ-IPC reports `max + 1`).
//!
//! # Errors and what follows them
//!
//! Error offsets count bytes from the start of the stream (the first byte
//! given to the decoder).
//!
//! A length-prefixed stream cannot be resynchronised once a length is bad,
//! so every error of the netlink and domainsockets framings is **fatal**: the
//! decoder reports it once and then yields nothing more
//! ([`StreamDecoder::feed`] keeps returning it). EZ-IPC frames end at a
//! delimiter, so an over-long EZ-IPC text is reported once and skipped up to
//! and including its separator; decoding then goes on.
//!
//! # Panics
//!
//! Nothing in this module panics, on any input, in any chunking: every
//! length read from the wire is checked against the bytes present and the
//! frame limit before it is used, and all arithmetic on wire values is
//! checked or saturating. Nothing allocates.
//!
//! # Example
//!
//! ```
//! use procslink::framing::{Framing, ezipc::{self, EzIpcFraming}};
//!
//! // Build two frames into one buffer…
//! let mut wire = [0u8; 64];
//! let mut len = ezipc::encode(br#"{"id":1}"#, &mut wire)?;
//! len += ezipc::encode(br#"{"id":2}"#, &mut wire[len..])?;
//!
//! // …and read them back three bytes at a time.
//! let mut buf = [0u8; 32];
//! let mut decoder = EzIpcFraming::new().decoder(&mut buf, 32)?;
//! let mut texts = 0;
//! for chunk in wire[..len].chunks(3) {
//!     decoder.feed(chunk)?;
//!     while let Some(text) = decoder.next_frame() {
//!         assert!(text?.starts_with(b"{\"id\":"));
//!         texts += 1;
//!     }
//! }
//! decoder.finish()?;
//! assert_eq!(texts, 2);
//! # Ok::<(), procslink::Error>(())
//! ```

pub mod base85;
mod buffer;
pub mod domainsockets;
pub mod ezipc;
pub mod netlink;
pub mod uvarint;

use core::iter::FusedIterator;

use crate::{Error, ErrorKind};

pub use buffer::StreamDecoder;

/// A way of cutting frames out of a byte stream.
///
/// A framing looks at the bytes at the start of the stream, where a frame
/// begins, and says what they are: a whole frame, bytes to drop, not enough
/// bytes yet, or an error. [`Frames`] and [`StreamDecoder`] do the rest.
///
/// A framing may keep state between calls (pending padding, how far a
/// delimiter search got); the decoders call [`step`](Framing::step) again
/// with the same bytes plus whatever arrived since, until it answers with
/// something other than [`Step::NeedMore`].
pub trait Framing {
    /// A decoded frame, borrowing from the decoder's input.
    type Frame<'a>;

    /// Examines `input`, which starts where the next frame does. It is
    /// never empty and never longer than `max_frame` (unless that is 0, when
    /// it is one byte).
    ///
    /// Contract, which the three framings here keep and which makes
    /// chunking irrelevant:
    /// - `Frame` and `Skip` lengths are between 1 and `input.len()`;
    ///   `NeedMore(n)` has `n > input.len()`;
    /// - an answer other than `NeedMore` stays the same when more bytes
    ///   follow `input`;
    /// - `NeedMore(n)` with `n > max_frame`, which the decoders turn into a
    ///   fatal [`TooLarge`](ErrorKind::TooLarge) `{ size: n, max: max_frame }`,
    ///   would be the answer for any input of fewer than `n` bytes starting
    ///   with `input`.
    ///
    /// Error offsets count from the start of `input`. The decoders clamp
    /// lengths to the first rule, so a framing that breaks the contract can
    /// give wrong frames but never a panic or an endless loop.
    fn step<'a>(&mut self, input: &'a [u8], max_frame: usize) -> Step<Self::Frame<'a>>;

    /// A zero-copy iterator over the frames in `input`; see [`Frames`].
    fn frames(self, input: &[u8], max_frame: usize) -> Frames<'_, Self>
    where
        Self: Sized,
    {
        Frames::new(input, self, max_frame)
    }

    /// A stream decoder buffering into `buf`; see [`StreamDecoder::new`].
    fn decoder(self, buf: &mut [u8], max_frame: usize) -> Result<StreamDecoder<'_, Self>, Error>
    where
        Self: Sized,
    {
        StreamDecoder::new(buf, self, max_frame)
    }
}

/// What a [`Framing`] makes of the bytes at the start of a stream.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step<T> {
    /// A whole frame.
    Frame {
        /// The decoded frame.
        frame: T,
        /// The bytes it spans from the start of the input.
        len: usize,
    },
    /// The first `n` bytes belong to no frame (padding, the rest of a
    /// rejected frame): drop them and look again.
    Skip(usize),
    /// The frame is incomplete: it needs at least this many bytes, counted
    /// from the start of the input.
    NeedMore(usize),
    /// The bytes are invalid.
    Invalid {
        /// What is wrong, with its offset from the start of the input.
        error: Error,
        /// Whether the stream is lost for good. If not, the framing has
        /// arranged to skip the bad frame on its next steps.
        fatal: bool,
    },
}

/// Asks `framing` about `input`, which starts at stream offset `offset`.
///
/// The framing sees at most `max_frame` bytes (at least one): no frame can
/// be longer, and so whether it sees a whole stream or a buffer's worth
/// cannot change its answer. Its answer is checked against the contract
/// and its error offsets are moved from the frame's start to the stream's.
fn step<'a, F: Framing>(
    framing: &mut F,
    input: &'a [u8],
    max_frame: usize,
    offset: usize,
) -> Step<F::Frame<'a>> {
    let input = input.get(..max_frame.max(1)).unwrap_or(input);
    let available = input.len();
    let bounded = |n: usize| n.min(available).max(1);
    match framing.step(input, max_frame) {
        Step::Frame { frame, len } => Step::Frame {
            frame,
            len: bounded(len),
        },
        Step::Skip(n) => Step::Skip(bounded(n)),
        Step::NeedMore(n) => {
            let needed = n.max(available.saturating_add(1));
            if needed > max_frame {
                Step::Invalid {
                    error: Error::new(
                        ErrorKind::TooLarge {
                            size: needed,
                            max: max_frame,
                        },
                        offset,
                    ),
                    fatal: true,
                }
            } else {
                Step::NeedMore(needed)
            }
        }
        Step::Invalid { error, fatal } => Step::Invalid {
            error: error.shifted(offset),
            fatal,
        },
    }
}

/// The frames in one contiguous slice, borrowed from it.
///
/// Yields `Ok(frame)` for each frame, then ends. If the slice ends inside a
/// frame, the last item is a [`Truncated`](ErrorKind::Truncated) error at
/// the frame's offset. After a fatal error the iterator ends; after a
/// resumable one (an over-long EZ-IPC text) it goes on with the next frame.
///
/// ```
/// use procslink::framing::{Framing, domainsockets::{ServerFraming, ServerFrame, ServerKind}};
/// use procslink::ErrorKind;
///
/// let frame = ServerFrame { id: 7, kind: ServerKind::Data, data: b"ok" };
/// let mut wire = [0u8; 16];
/// let len = frame.encode(&mut wire)?;
/// assert_eq!(&wire[..len], [5, 7, 1, 2, b'o', b'k']);
///
/// // The whole frame, then the same frame cut one byte short.
/// let mut frames = ServerFraming.frames(&wire[..len], 1024);
/// assert_eq!(frames.next(), Some(Ok(frame)));
/// assert_eq!(frames.next(), None);
///
/// let err = ServerFraming.frames(&wire[..len - 1], 1024).next().unwrap().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 6, available: 5 });
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Frames<'a, F> {
    input: &'a [u8],
    pos: usize,
    framing: F,
    max_frame: usize,
    done: bool,
}

impl<'a, F: Framing> Frames<'a, F> {
    /// Frames in `input`, each at most `max_frame` bytes (`usize::MAX` for
    /// no limit).
    pub fn new(input: &'a [u8], framing: F, max_frame: usize) -> Self {
        Frames {
            input,
            pos: 0,
            framing,
            max_frame,
            done: false,
        }
    }

    /// Bytes consumed so far: the offset of the next frame.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The bytes not consumed yet.
    pub fn remainder(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }
}

impl<'a, F: Framing> Iterator for Frames<'a, F> {
    type Item = Result<F::Frame<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.remainder();
            if self.done || rest.is_empty() {
                self.done = true;
                return None;
            }
            match step(&mut self.framing, rest, self.max_frame, self.pos) {
                Step::Frame { frame, len } => {
                    self.pos = self.pos.saturating_add(len);
                    return Some(Ok(frame));
                }
                Step::Skip(n) => self.pos = self.pos.saturating_add(n),
                Step::NeedMore(needed) => {
                    self.done = true;
                    let kind = ErrorKind::Truncated {
                        needed,
                        available: rest.len(),
                    };
                    return Some(Err(Error::new(kind, self.pos)));
                }
                Step::Invalid { error, fatal } => {
                    self.done = fatal;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl<'a, F: Framing> FusedIterator for Frames<'a, F> {}

/// The error for a byte a format does not allow where it stands.
const fn unexpected_byte(byte: u8, offset: usize) -> Error {
    Error::new(ErrorKind::UnexpectedByte(byte), offset)
}

/// Writes a frame of known size into a caller's buffer, or nothing at all
/// if the buffer is too small.
struct Writer<'o> {
    out: &'o mut [u8],
    pos: usize,
    needed: usize,
}

impl<'o> Writer<'o> {
    /// A writer for a frame of `needed` bytes.
    fn new(out: &'o mut [u8], needed: usize) -> Result<Self, Error> {
        if out.len() < needed {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
        }
        Ok(Writer {
            out,
            pos: 0,
            needed,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.pos.saturating_add(bytes.len());
        let Some(dst) = self.out.get_mut(self.pos..end) else {
            return Err(Error::new(
                ErrorKind::BufferTooSmall {
                    needed: self.needed.max(end),
                },
                self.pos,
            ));
        };
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn put_uvarint(&mut self, value: u64) -> Result<(), Error> {
        let mut scratch = [0u8; uvarint::MAX_LEN];
        let n = uvarint::encode(value, &mut scratch)?;
        self.put(scratch.get(..n).unwrap_or_default())
    }

    /// The bytes written.
    fn finish(self) -> usize {
        self.pos
    }
}

/// A slice length as the `u64` the wire formats carry.
fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A wire length as a `usize`, saturating where `usize` is narrower.
fn len_usize(len: u64) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}
