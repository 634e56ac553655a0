//! EZ-IPC frames: JSON texts, each followed by five `\n` bytes.
//!
//! ```text
//! +------------------------+----+----+----+----+----+
//! | text (n bytes)         | \n | \n | \n | \n | \n |
//! +------------------------+----+----+----+----+----+
//! frame = n + 5 bytes
//! ```
//!
//! **Where a frame ends.** A frame's text is everything before the first
//! occurrence of five consecutive `\n` bytes, counted from the frame's
//! start; those five bytes are the separator and the next frame starts right
//! after them. So `"a\n"` followed by the separator (six `\n` in a row)
//! decodes as the text `"a"` and leaves one `\n` at the start of the next
//! frame. This is what Python's `StreamReader.readuntil` does. A text can
//! therefore be framed only if it contains no run of five `\n` and does not
//! end with `\n`; [`encode`] refuses any other text. The texts are not
//! checked to be JSON here.
//!
//! **Size limit.** The frame size limit counts the text plus the
//! separator. A frame is rejected with [`TooLarge`](ErrorKind::TooLarge)
//! `{ size: max + 1, max }` (at least `max + 1` bytes) as soon as the bytes
//! seen show its separator cannot end within `max` bytes of its start. That
//! error is **not** fatal: the decoder then drops the rest of the text up to
//! and including its separator, and goes on with the next frame.
//!
//! ```
//! use procslink::framing::{Framing, ezipc::EzIpcFraming};
//! use procslink::ErrorKind;
//!
//! let wire = b"{\"a\":1}\n\n\n\n\n{\"too\":\"long\"}\n\n\n\n\n[]\n\n\n\n\n";
//! let mut frames = EzIpcFraming::new().frames(wire, 12);
//! assert_eq!(frames.next(), Some(Ok(&b"{\"a\":1}"[..])));
//! let err = frames.next().unwrap().unwrap_err();
//! assert_eq!((err.kind(), err.offset()), (ErrorKind::TooLarge { size: 13, max: 12 }, 12));
//! assert_eq!(frames.next(), Some(Ok(&b"[]"[..])));
//! assert_eq!(frames.next(), None);
//! ```

use super::{Framing, Step, Writer, unexpected_byte};
use crate::{Error, ErrorKind};

/// The separator that ends every frame.
pub const SEPARATOR: &[u8; 5] = b"\n\n\n\n\n";

const SEP_LEN: usize = SEPARATOR.len();

/// Checks that `text` can be framed: no run of five `\n`, no `\n` at the
/// end.
///
/// # Errors
///
/// [`UnexpectedByte`](ErrorKind::UnexpectedByte)`(b'\n')`
/// at the start of the first run of five `\n`, or of the trailing `\n`s.
///
/// ```
/// use procslink::framing::ezipc::check_text;
///
/// assert!(check_text(b"[1,\n\n\n\n2]").is_ok());
/// assert_eq!(check_text(b"[1,\n\n\n\n\n2]").unwrap_err().offset(), 3);
/// assert_eq!(check_text(b"{}\n\n").unwrap_err().offset(), 2);
/// ```
pub fn check_text(text: &[u8]) -> Result<(), Error> {
    let mut run = 0usize;
    for (i, &b) in text.iter().enumerate() {
        run = if b == b'\n' { run + 1 } else { 0 };
        if run == SEP_LEN {
            return Err(unexpected_byte(b'\n', i + 1 - SEP_LEN));
        }
    }
    if run > 0 {
        return Err(unexpected_byte(b'\n', text.len() - run));
    }
    Ok(())
}

/// Writes `text` and the separator into the start of `out`; returns the
/// bytes written (`text.len() + 5`).
///
/// # Errors
///
/// - the [`check_text`] error if `text` cannot be framed;
/// - [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the bytes needed,
///   writing nothing, if `out` is too short.
///
/// ```
/// let mut out = [0u8; 16];
/// let n = procslink::framing::ezipc::encode(b"[]", &mut out)?;
/// assert_eq!(&out[..n], b"[]\n\n\n\n\n");
/// # Ok::<(), procslink::Error>(())
/// ```
pub fn encode(text: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    check_text(text)?;
    let mut w = Writer::new(out, text.len().saturating_add(SEP_LEN))?;
    w.put(text)?;
    w.put(SEPARATOR)?;
    Ok(w.finish())
}

/// Cuts EZ-IPC frames at their separators; frames are the texts, separator
/// excluded. See the [module docs](self).
///
/// It remembers how far it has searched the frame being assembled, so
/// feeding a frame in small chunks costs time linear in its size.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct EzIpcFraming {
    /// Bytes of the current frame already searched.
    scanned: usize,
    /// `\n` bytes in a row at the end of what was searched.
    run: usize,
    /// Dropping the rest of an over-long frame.
    skipping: bool,
}

impl EzIpcFraming {
    /// A framing at the start of a stream.
    pub const fn new() -> Self {
        EzIpcFraming {
            scanned: 0,
            run: 0,
            skipping: false,
        }
    }

    /// Advances the search over `bytes`; returns the index just past the
    /// separator if it completes there.
    fn search(&mut self, bytes: &[u8], from: usize) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            self.run = if b == b'\n' { self.run + 1 } else { 0 };
            if self.run == SEP_LEN {
                *self = EzIpcFraming::new();
                return Some(i + 1);
            }
        }
        None
    }
}

impl Framing for EzIpcFraming {
    type Frame<'a> = &'a [u8];

    fn step<'a>(&mut self, input: &'a [u8], max_frame: usize) -> Step<&'a [u8]> {
        if self.skipping {
            return Step::Skip(self.search(input, 0).unwrap_or(input.len()));
        }
        let limit = input.len().min(max_frame);
        if let Some(end) = self.search(input.get(..limit).unwrap_or_default(), self.scanned) {
            let text = input.get(..end.saturating_sub(SEP_LEN)).unwrap_or_default();
            return Step::Frame {
                frame: text,
                len: end,
            };
        }
        self.scanned = limit;
        let at_least = limit.saturating_add(SEP_LEN - self.run);
        if at_least > max_frame {
            *self = EzIpcFraming {
                skipping: true,
                ..EzIpcFraming::new()
            };
            let kind = ErrorKind::TooLarge {
                size: max_frame.saturating_add(1),
                max: max_frame,
            };
            return Step::Invalid {
                error: Error::new(kind, 0),
                fatal: false,
            };
        }
        Step::NeedMore(at_least)
    }
}
