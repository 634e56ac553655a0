//! What can go wrong between an envelope client and a broker.

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;

use crate::envmsg::ControlCommand;
use crate::kernel::{KernelError, Refusal};

/// An error of a [`RemoteClient`](super::RemoteClient) or a
/// [`RemoteServer`](super::RemoteServer).
#[derive(Debug)]
#[non_exhaustive]
pub enum RemoteError {
    /// The address is not `tcp://HOST:PORT` or `unix://PATH`.
    BadUrl(String),
    /// A system call on the stream failed.
    Io {
        /// What was being done.
        doing: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// No answer within the configured time.
    Timeout,
    /// The peer closed the stream (mid-frame when `in_frame`).
    Closed {
        /// Whether the stream ended inside a frame.
        in_frame: bool,
    },
    /// The peer's bytes are not a stream of well-formed envelopes (a bad or
    /// oversized length, a truncated header, garbage). Fatal for the
    /// stream: a length-prefixed stream cannot be resynchronised.
    Malformed(crate::Error),
    /// The peer answered out of turn (`expected` says what this side was
    /// waiting for; `found` what came).
    Protocol {
        /// What this side was waiting for.
        expected: &'static str,
        /// What came instead.
        found: String,
    },
    /// The broker answered a control command with `IPRCMD_ERR`.
    ControlRefused {
        /// The command refused.
        command: ControlCommand,
        /// The broker's `IPR_ATTR_ERROR` text (pyroute2 sends a traceback).
        text: String,
    },
    /// The remote kernel refused the request, or the dump failed.
    Refused(Refusal),
    /// The remote kernel's dump was changed while it was taken.
    DumpInterrupted,
    /// The request given is not a netlink message.
    InvalidRequest(crate::Error),
    /// The broker's own kernel socket failed.
    Kernel(KernelError),
}

impl RemoteError {
    pub(crate) fn io(doing: &'static str, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => RemoteError::Timeout,
            _ => RemoteError::Io { doing, source },
        }
    }

    /// The remote kernel's refusal, if that is what this is.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            RemoteError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::BadUrl(url) => write!(
                f,
                "bad broker address {url:?}: expected tcp://HOST:PORT or unix://PATH"
            ),
            RemoteError::Io { doing, source } => write!(f, "{doing}: {source}"),
            RemoteError::Timeout => f.write_str("no answer from the peer in time"),
            RemoteError::Closed { in_frame: false } => f.write_str("the peer closed the stream"),
            RemoteError::Closed { in_frame: true } => {
                f.write_str("the peer closed the stream in the middle of an envelope")
            }
            RemoteError::Malformed(e) => write!(f, "malformed envelope stream: {e}"),
            RemoteError::Protocol { expected, found } => {
                write!(f, "expected {expected} from the peer, got {found}")
            }
            RemoteError::ControlRefused { command, text } => {
                write!(f, "the broker refused {command}: {}", text.trim_end())
            }
            RemoteError::Refused(r) => write!(f, "the remote kernel refused the request: {r}"),
            RemoteError::DumpInterrupted => {
                f.write_str("the remote dump was changed while it was taken; dump again")
            }
            RemoteError::InvalidRequest(e) => {
                write!(f, "the request is not a netlink message: {e}")
            }
            RemoteError::Kernel(e) => write!(f, "the broker's kernel socket: {e}"),
        }
    }
}

impl std::error::Error for RemoteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RemoteError::Io { source, .. } => Some(source),
            RemoteError::Malformed(e) | RemoteError::InvalidRequest(e) => Some(e),
            RemoteError::Kernel(e) => Some(e),
            _ => None,
        }
    }
}

impl From<KernelError> for RemoteError {
    fn from(e: KernelError) -> Self {
        RemoteError::Kernel(e)
    }
}
