//! Frames on a stream: the five-`\n` framing of [`crate::framing::ezipc`],
//! the frame text's spelling ([`Profile`]: Base85 or raw JSON) and, once
//! keys are exchanged, the NaCl box around it.

use std::prelude::rust_2024::*;

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::ControlFlow;
use std::os::unix::net::UnixStream;
#[cfg(feature = "ezipc-nacl")]
use std::sync::Arc;

use crate::framing::ezipc::{EzIpcFraming, SEPARATOR, check_text};
use crate::framing::{Framing, base85};
use crate::{Error, ErrorKind};

use super::options::Profile;

#[cfg(feature = "ezipc-nacl")]
use super::nacl::Sealer;

/// Why a received frame could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame spans more wire bytes than the limit allows; the rest of
    /// it up to its separator is skipped.
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// The stream ended inside a frame.
    Truncated {
        /// The bytes of the unfinished frame that arrived.
        available: usize,
    },
    /// The frame text is not Base85 (offset and byte within the frame).
    Base85(Error),
    /// The ciphertext does not open with the session's keys (too short,
    /// altered, or sealed with other keys).
    Decrypt,
    /// The opened text's Ed25519 signature is not the peer's.
    Signature,
    /// A frame to send cannot be framed (it contains five `\n` in a row or
    /// ends with `\n`: raw JSON only).
    Unframeable(Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { max } => write!(f, "frame longer than the {max}-byte limit"),
            FrameError::Truncated { available } => {
                write!(
                    f,
                    "stream ended inside a frame ({available} bytes without a separator)"
                )
            }
            FrameError::Base85(e) => match e.kind() {
                ErrorKind::UnexpectedByte(b) => {
                    write!(
                        f,
                        "bad base85 character 0x{b:02x} at position {}",
                        e.offset()
                    )
                }
                ErrorKind::Base85Overflow => {
                    write!(f, "base85 overflow in hunk starting at byte {}", e.offset())
                }
                _ => write!(f, "bad base85 text: {e}"),
            },
            FrameError::Decrypt => f.write_str("ciphertext does not open with the session's keys"),
            FrameError::Signature => f.write_str("signature does not match the peer's verify key"),
            FrameError::Unframeable(e) => write!(f, "text cannot be framed: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// A connected stream socket, TCP or Unix.
#[derive(Debug)]
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub(super) fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    pub(super) fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    pub(super) fn shutdown(&self) {
        // Already closed by the peer is fine: the aim is that it is closed.
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// The box frames are sealed with once the key exchange is confirmed.
#[cfg(feature = "ezipc-nacl")]
pub(super) type Seal = Arc<Sealer>;
/// Without the `ezipc-nacl` feature there is never a box to switch to.
#[cfg(not(feature = "ezipc-nacl"))]
pub(super) type Seal = std::convert::Infallible;

/// Turns JSON texts into frames and back, for one direction's state.
#[derive(Clone, Default)]
pub(super) struct Codec {
    pub(super) profile: Profile,
    #[cfg(feature = "ezipc-nacl")]
    pub(super) sealer: Option<Arc<Sealer>>,
}

impl Codec {
    pub(super) fn new(profile: Profile) -> Self {
        Codec {
            profile,
            #[cfg(feature = "ezipc-nacl")]
            sealer: None,
        }
    }

    /// Seals every frame from now on.
    pub(super) fn seal_with(&mut self, sealer: &Seal) {
        #[cfg(feature = "ezipc-nacl")]
        {
            self.sealer = Some(Arc::clone(sealer));
        }
        #[cfg(not(feature = "ezipc-nacl"))]
        match *sealer {}
    }

    /// Appends the whole frame for `json` (text and separator) to `out`.
    pub(super) fn encode(&self, json: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        match self.profile {
            Profile::Raw => {
                check_text(json).map_err(FrameError::Unframeable)?;
                out.extend_from_slice(json);
            }
            Profile::Base85 => {
                #[cfg(feature = "ezipc-nacl")]
                if let Some(sealer) = &self.sealer {
                    let sealed = sealer.seal(json);
                    armor(&sealed, out);
                    out.extend_from_slice(SEPARATOR);
                    return Ok(());
                }
                armor(json, out);
            }
        }
        out.extend_from_slice(SEPARATOR);
        Ok(())
    }

    /// Writes the JSON text of `frame` (its text, separator excluded) into
    /// `out` (cleared first).
    pub(super) fn decode(&self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        out.clear();
        match self.profile {
            Profile::Raw => out.extend_from_slice(frame),
            Profile::Base85 => {
                out.resize(base85::decoded_len(frame.len()), 0);
                let n = base85::decode(frame, out).map_err(FrameError::Base85)?;
                out.truncate(n);
                #[cfg(feature = "ezipc-nacl")]
                if let Some(sealer) = &self.sealer {
                    let opened = sealer.open(out)?;
                    *out = opened;
                }
            }
        }
        Ok(())
    }
}

/// Appends the Base85 text of `bytes` to `out`.
fn armor(bytes: &[u8], out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + base85::encoded_len(bytes.len()), 0);
    let written = out
        .get_mut(at..)
        .map_or(0, |dst| base85::encode(bytes, dst).unwrap_or(0));
    out.truncate(at + written);
}

/// Reads frames from `stream` until it ends, fails, or `on_frame` breaks;
/// frames are handed over borrowed, errors as [`FrameError`]s (an
/// over-long frame is reported and skipped; a stream that ends inside a
/// frame is reported last).
pub(super) fn read_frames(
    stream: &mut impl Read,
    max_frame: usize,
    mut on_frame: impl FnMut(Result<&[u8], FrameError>) -> ControlFlow<()>,
) -> io::Result<()> {
    let mut buf = vec![0u8; max_frame];
    let mut chunk = vec![0u8; max_frame.clamp(1, 64 * 1024)];
    let mut decoder = EzIpcFraming::new()
        .decoder(&mut buf, max_frame)
        .map_err(io::Error::other)?;
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut fed = chunk.get(..n).unwrap_or_default();
        while !fed.is_empty() {
            let took = decoder.feed(fed).map_err(io::Error::other)?;
            fed = fed.get(took..).unwrap_or_default();
            while let Some(frame) = decoder.next_frame() {
                let item = frame.map_err(|e| match e.kind() {
                    ErrorKind::TooLarge { max, .. } => FrameError::TooLarge { max },
                    _ => FrameError::TooLarge { max: max_frame },
                });
                if on_frame(item).is_break() {
                    return Ok(());
                }
            }
        }
    }
    match decoder.finish() {
        Err(e) => {
            let available = match e.kind() {
                ErrorKind::Truncated { available, .. } => available,
                _ => 0,
            };
            let _ = on_frame(Err(FrameError::Truncated { available }));
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}
