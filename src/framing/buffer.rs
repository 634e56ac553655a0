//! The incremental decoder: chunks in, frames out, over a caller's buffer.

use super::{Framing, Step, step};
use crate::{Error, ErrorKind};

/// An incremental decoder over a buffer the caller lends it.
///
/// Feed it the stream in chunks of any size with [`feed`](Self::feed); take
/// the frames out with [`next_frame`](Self::next_frame), which borrows them
/// from the buffer. A frame stays valid until the next call that takes
/// `&mut self`; then its bytes are released, and the buffer is compacted
/// (unread bytes moved to its front) when a chunk would not fit behind them.
///
/// **States.** After a fatal error, `next_frame` has returned the error once
/// and returns `None` from then on, and `feed` and
/// [`finish`](Self::finish) return the error: the stream cannot be
/// resynchronised. A resumable error (an over-long EZ-IPC text) is reported
/// once and decoding goes on after it.
///
/// **Progress.** Whenever `next_frame` has returned `None` and no error is
/// pending, the next `feed` of a non-empty chunk accepts at least one byte:
/// the buffer is at least `max_frame` long, so the frame being assembled
/// always fits.
///
/// ```
/// use procslink::framing::{Framing, netlink::{NetlinkFraming, NetlinkFields}};
///
/// let mut wire = [0u8; 64];
/// let fields = NetlinkFields { message_type: 3, ..Default::default() };
/// let len = NetlinkFraming::procslink().encode(&mut wire, &fields, b"hello")?;
/// assert_eq!(len, 21);
///
/// let mut buf = [0u8; 32];
/// let mut decoder = NetlinkFraming::procslink().decoder(&mut buf, 32)?;
/// for byte in wire[..len].chunks(1) {
///     assert_eq!(decoder.feed(byte)?, 1);
/// }
/// let frame = decoder.next_frame().unwrap()?;
/// assert_eq!(frame.payload(), b"hello");
/// assert_eq!(frame.fields(), fields);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Debug)]
pub struct StreamDecoder<'b, F> {
    buf: &'b mut [u8],
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: usize,
    /// Bytes of the frame last returned, released on the next call.
    pending: usize,
    framing: F,
    max_frame: usize,
    failed: Option<Error>,
}

impl<'b, F: Framing> StreamDecoder<'b, F> {
    /// A decoder for frames of at most `max_frame` bytes, buffering into
    /// `buf`.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) if `buf` is shorter
    /// than `max_frame` (or empty).
    pub fn new(buf: &'b mut [u8], framing: F, max_frame: usize) -> Result<Self, Error> {
        let needed = max_frame.max(1);
        if buf.len() < needed {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
        }
        Ok(StreamDecoder {
            buf,
            start: 0,
            end: 0,
            offset: 0,
            pending: 0,
            framing,
            max_frame,
            failed: None,
        })
    }

    /// Appends as much of `chunk` as fits and returns how many bytes that
    /// was; the caller feeds the rest again after taking frames out.
    ///
    /// # Errors
    ///
    /// The fatal error the decoder stopped at, if any.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<usize, Error> {
        self.release();
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.buf.len().saturating_sub(self.end) < chunk.len() {
            self.compact();
        }
        let spare = self.buf.get_mut(self.end..).unwrap_or_default();
        let n = spare.len().min(chunk.len());
        if let (Some(dst), Some(src)) = (spare.get_mut(..n), chunk.get(..n)) {
            dst.copy_from_slice(src);
            self.end = self.end.saturating_add(n);
            Ok(n)
        } else {
            Ok(0)
        }
    }

    /// The next whole frame, an error, or `None` if more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<F::Frame<'_>, Error>> {
        self.release();
        if self.failed.is_some() {
            return None;
        }
        loop {
            let input = self.buf.get(self.start..self.end).unwrap_or_default();
            if input.is_empty() {
                return None;
            }
            match step(&mut self.framing, input, self.max_frame, self.offset) {
                Step::Frame { frame, len } => {
                    self.pending = len;
                    return Some(Ok(frame));
                }
                Step::Skip(n) => {
                    self.start = self.start.saturating_add(n);
                    self.offset = self.offset.saturating_add(n);
                }
                Step::NeedMore(_) => return None,
                Step::Invalid { error, fatal } => {
                    if fatal {
                        self.failed = Some(error);
                    }
                    return Some(Err(error));
                }
            }
        }
    }

    /// Ends the stream: `Ok` if it ended between frames (or in padding or
    /// skipped bytes), else the error [`Frames`](super::Frames) reports for
    /// the same bytes ([`Truncated`](ErrorKind::Truncated) with what the
    /// unfinished frame needs, or the fatal error met earlier).
    ///
    /// Take the frames out with [`next_frame`](Self::next_frame) first: a
    /// whole frame still buffered is not an error, but it is dropped.
    pub fn finish(mut self) -> Result<(), Error> {
        loop {
            match self.next_frame() {
                Some(Err(error)) => return Err(error),
                Some(Ok(_)) => {}
                None => break,
            }
        }
        if let Some(error) = self.failed {
            return Err(error);
        }
        match self.buf.get(self.start..self.end) {
            Some(rest) if !rest.is_empty() => {
                match step(&mut self.framing, rest, self.max_frame, self.offset) {
                    Step::Invalid { error, .. } => Err(error),
                    Step::NeedMore(needed) => Err(Error::new(
                        ErrorKind::Truncated {
                            needed,
                            available: rest.len(),
                        },
                        self.offset,
                    )),
                    Step::Frame { .. } | Step::Skip(_) => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// The stream offset of the next byte to decode: bytes consumed by
    /// frames returned so far, padding and skipped bytes.
    pub fn offset(&self) -> usize {
        self.offset.saturating_add(self.pending)
    }

    /// Bytes fed but not yet returned as part of a frame.
    pub fn buffered(&self) -> usize {
        self.end
            .saturating_sub(self.start)
            .saturating_sub(self.pending)
    }

    /// The fatal error the decoder stopped at, if any.
    pub fn error(&self) -> Option<Error> {
        self.failed
    }

    /// The frame size limit.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// The framing, with whatever state it carries.
    pub fn framing(&self) -> &F {
        &self.framing
    }

    fn release(&mut self) {
        let n = core::mem::take(&mut self.pending);
        self.start = self.start.saturating_add(n).min(self.end);
        self.offset = self.offset.saturating_add(n);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn compact(&mut self) {
        if self.start > 0 && self.start <= self.end && self.end <= self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }
}
