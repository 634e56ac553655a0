//! What a kernel conversation ends with: [`Ack`], or a [`KernelError`]
//! (the kernel's [`Refusal`] with its extended ack, lost events, a timeout,
//! an interrupted dump, a system call's failure).

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;

use crate::netlink::ExtAck;
use crate::netlink::conversation::Failure;

/// The owned parts of an extended ack: the text and the numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Explanation {
    message: Option<String>,
    bad_attr_offset: Option<u32>,
    missing_type: Option<u32>,
    missing_nest: Option<u32>,
}

impl Explanation {
    /// Copies what the caller needs out of the kernel's bytes. Only an ack
    /// with a text allocates (for that text).
    fn of(ack: &ExtAck<'_>) -> Self {
        Explanation {
            // The text is bytes (any, in a hostile or buggy reply): shown
            // escaped where it is not UTF-8, never refused.
            message: ack
                .message_bytes()
                .map(|m| crate::netlink::display::Escaped(m).to_string()),
            bad_attr_offset: ack.bad_attr_offset(),
            missing_type: ack.missing_type(),
            missing_nest: ack.missing_nest(),
        }
    }
}

/// The kernel's acknowledgement of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    seq: u32,
    replies: u32,
    warning: Option<String>,
}

impl Ack {
    pub(crate) fn new(seq: u32, replies: u32, ext_ack: &ExtAck<'_>) -> Self {
        Ack {
            seq,
            replies,
            warning: Explanation::of(ext_ack).message,
        }
    }

    pub(crate) fn with_replies(mut self, replies: u32) -> Self {
        self.replies = replies;
        self
    }

    /// The request's sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// How many replies came before the acknowledgement (handed to
    /// [`KernelSocket::request_with`](super::KernelSocket::request_with)'s
    /// callback).
    pub fn replies(&self) -> u32 {
        self.replies
    }

    /// A text the kernel attached to its acknowledgement (a warning), if
    /// any.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
}

impl fmt::Display for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request {} acknowledged", self.seq)?;
        if let Some(w) = &self.warning {
            write!(f, " with a warning: {w}")?;
        }
        Ok(())
    }
}

/// The kernel refused a request, or a dump failed: the errno and the
/// kernel's extended ack.
///
/// ```
/// # fn check(err: procslink::kernel::KernelError) {
/// if let Some(refusal) = err.refusal() {
///     eprintln!("errno {}: {:?}", refusal.errno(), refusal.message());
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    errno: i32,
    seq: u32,
    index: usize,
    in_dump: bool,
    explanation: Explanation,
}

impl Refusal {
    pub(crate) fn new(seq: u32, failure: &Failure<'_>) -> Self {
        Refusal {
            errno: failure.errno().saturating_neg(),
            seq,
            index: 0,
            in_dump: failure.is_done(),
            explanation: Explanation::of(failure.ext_ack()),
        }
    }

    /// The errno, positive (`19` is `ENODEV`).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The errno as an [`io::Error`], for its name and text.
    pub fn os_error(&self) -> io::Error {
        io::Error::from_raw_os_error(self.errno)
    }

    /// The refused request's sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Which message of a [batch](super::KernelSocket::request_batch) the
    /// kernel refused, counted from 0 (0 for a single request).
    pub fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn at_index(mut self, index: usize) -> Self {
        self.index = index;
        self
    }

    /// Did a dump fail part way (`NLMSG_DONE` with an error status) rather
    /// than the request being refused outright?
    pub fn in_dump(&self) -> bool {
        self.in_dump
    }

    /// The kernel's explanation (`NLMSGERR_ATTR_MSG`), if it gave one. Bytes
    /// that are not UTF-8 are shown escaped (`\xNN`,
    /// [`Escaped`](crate::netlink::display::Escaped)).
    pub fn message(&self) -> Option<&str> {
        self.explanation.message.as_deref()
    }

    /// The offset in the request of the attribute the kernel objects to
    /// (`NLMSGERR_ATTR_OFFS`), counted from the start of its `nlmsghdr`.
    pub fn bad_attr_offset(&self) -> Option<u32> {
        self.explanation.bad_attr_offset
    }

    /// The type of a required attribute the request lacks
    /// (`NLMSGERR_ATTR_MISS_TYPE`).
    pub fn missing_type(&self) -> Option<u32> {
        self.explanation.missing_type
    }

    /// The offset of the nest that lacks it (`NLMSGERR_ATTR_MISS_NEST`).
    pub fn missing_nest(&self) -> Option<u32> {
        self.explanation.missing_nest
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.in_dump {
            f.write_str("the dump failed: ")?;
        } else {
            f.write_str("the kernel refused the request: ")?;
        }
        write!(f, "{}", self.os_error())?;
        let e = &self.explanation;
        if let Some(m) = &e.message {
            write!(f, ": {m}")?;
        }
        if let Some(o) = e.bad_attr_offset {
            write!(f, " (the attribute at byte {o} of the request)")?;
        }
        if let Some(t) = e.missing_type {
            write!(f, " (attribute type {t} is missing")?;
            match e.missing_nest {
                Some(n) => write!(f, " from the nest at byte {n})")?,
                None => f.write_str(")")?,
            }
        }
        Ok(())
    }
}

/// Why a kernel conversation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum KernelError {
    /// The kernel refused the request or a dump failed.
    Refused(Refusal),
    /// The dump completed, but the data changed while it was taken
    /// (`NLM_F_DUMP_INTR`): what it yielded may be inconsistent. Dump again.
    DumpInterrupted,
    /// The socket's receive queue overflowed (`ENOBUFS`): notifications were
    /// lost. The socket stays usable; dump to learn the current state.
    EventsLost,
    /// Nothing arrived within the receive timeout.
    Timeout,
    /// The request handed in is not one netlink message.
    InvalidRequest(crate::Error),
    /// A system call failed.
    Io {
        /// What was being done.
        op: &'static str,
        /// The failure.
        source: io::Error,
    },
}

impl KernelError {
    pub(crate) fn io(op: &'static str, errno: rustix::io::Errno) -> Self {
        KernelError::Io {
            op,
            source: errno.into(),
        }
    }

    /// The kernel's refusal, if that is what this is.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            KernelError::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// The errno the kernel refused with, or the system call's errno.
    pub fn errno(&self) -> Option<i32> {
        match self {
            KernelError::Refused(r) => Some(r.errno()),
            KernelError::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Refused(r) => fmt::Display::fmt(r, f),
            KernelError::DumpInterrupted => f.write_str(
                "the dump was interrupted: the data changed while it was taken; dump again",
            ),
            KernelError::EventsLost => f.write_str(
                "notifications were lost: the socket's receive buffer overflowed; dump to resynchronise",
            ),
            KernelError::Timeout => f.write_str("no answer from the kernel within the timeout"),
            KernelError::InvalidRequest(e) => write!(f, "the request is not a netlink message: {e}"),
            KernelError::Io { op, source } => write!(f, "{op}: {source}"),
        }
    }
}

impl std::error::Error for KernelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KernelError::InvalidRequest(e) => Some(e),
            KernelError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<KernelError> for io::Error {
    fn from(e: KernelError) -> io::Error {
        match e {
            KernelError::Io { source, .. } => source,
            KernelError::Timeout => io::Error::new(io::ErrorKind::TimedOut, e),
            KernelError::Refused(ref r) => io::Error::new(r.os_error().kind(), e),
            e => io::Error::other(e),
        }
    }
}
