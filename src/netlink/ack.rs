//! `NLMSG_ERROR` (errors and acknowledgements) and `NLMSG_DONE`, with their
//! extended-ack attributes.

use core::fmt;

use zerocopy::FromBytes;

use super::attr::{Attr, Attrs};
use super::flags::AckFlags;
use super::header::{NLMSG_HDRLEN, NlMsgHdr, align};
use super::message::Message;
use super::types::MessageType;
use crate::{Error, ErrorKind};

/// `NLMSGERR_ATTR_MSG`: a NUL-terminated error text.
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// `NLMSGERR_ATTR_OFFS`: `u32` offset of the offending attribute in the
/// request.
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
/// `NLMSGERR_ATTR_COOKIE`: opaque bytes.
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
/// `NLMSGERR_ATTR_POLICY`: a nested policy description.
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
/// `NLMSGERR_ATTR_MISS_TYPE`: `u32` type of a missing required attribute.
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
/// `NLMSGERR_ATTR_MISS_NEST`: `u32` offset of the nest that lacks it.
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// Extended-ack attributes, decoded.
///
/// Unknown attribute types are ignored; a known type with a malformed payload
/// is an error.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtAck<'a> {
    /// `NLMSGERR_ATTR_MSG`: the kernel's explanation.
    pub message: Option<&'a str>,
    /// `NLMSGERR_ATTR_OFFS`: offset of the bad attribute, counted from the
    /// start of the request's `nlmsghdr`.
    pub bad_attr_offset: Option<u32>,
    /// `NLMSGERR_ATTR_COOKIE`.
    pub cookie: Option<&'a [u8]>,
    /// `NLMSGERR_ATTR_POLICY`: the raw nested policy description.
    pub policy: Option<Attr<'a>>,
    /// `NLMSGERR_ATTR_MISS_TYPE`.
    pub missing_type: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_NEST`.
    pub missing_nest: Option<u32>,
}

impl<'a> ExtAck<'a> {
    /// Decodes a run of extended-ack attributes.
    pub fn parse(attrs: Attrs<'a>) -> Result<Self, Error> {
        let mut ack = ExtAck::default();
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                NLMSGERR_ATTR_MSG => ack.message = Some(attr.str()?),
                NLMSGERR_ATTR_OFFS => ack.bad_attr_offset = Some(attr.u32()?),
                NLMSGERR_ATTR_COOKIE => ack.cookie = Some(attr.payload()),
                NLMSGERR_ATTR_POLICY => ack.policy = Some(attr),
                NLMSGERR_ATTR_MISS_TYPE => ack.missing_type = Some(attr.u32()?),
                NLMSGERR_ATTR_MISS_NEST => ack.missing_nest = Some(attr.u32()?),
                _ => {}
            }
        }
        Ok(ack)
    }

    /// Is there nothing in it?
    pub fn is_empty(&self) -> bool {
        *self == ExtAck::default()
    }
}

impl fmt::Display for ExtAck<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(m) = self.message {
            write!(f, "{sep}\"{}\"", m.escape_debug())?;
            sep = ", ";
        }
        if let Some(o) = self.bad_attr_offset {
            write!(f, "{sep}bad attribute at offset {o}")?;
            sep = ", ";
        }
        if let Some(t) = self.missing_type {
            write!(f, "{sep}missing attribute type {t}")?;
            sep = ", ";
        }
        if let Some(n) = self.missing_nest {
            write!(f, "{sep}in nest at offset {n}")?;
            sep = ", ";
        }
        if let Some(c) = self.cookie {
            write!(f, "{sep}cookie of {} bytes", c.len())?;
            sep = ", ";
        }
        if self.policy.is_some() {
            write!(f, "{sep}policy")?;
        }
        Ok(())
    }
}

/// An `NLMSG_ERROR` message: an error (`errno` below 0) or an
/// acknowledgement (`errno` 0).
///
/// Layout: `int error; struct nlmsghdr msg;` then, unless `NLM_F_CAPPED` is
/// set, the rest of the request; then, if `NLM_F_ACK_TLVS` is set,
/// extended-ack attributes. Kernels before 4.12 leave the request's payload
/// out of ACKs (and of every reply with `NETLINK_CAP_ACK`) without setting
/// `NLM_F_CAPPED`; such a reply reads as capped.
///
/// ```
/// use procslink::netlink::{Builder, Message, MessageType, NlMsgHdr, flags::{AckFlags, Flags}};
///
/// // An error as the kernel writes one: -EINVAL, capped, with a message.
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(MessageType::ERROR, (AckFlags::CAPPED | AckFlags::ACK_TLVS).into(), 5, 0)?;
/// m.put_bytes_raw(&(-22i32).to_ne_bytes())?;
/// m.put_bytes_raw(zerocopy::IntoBytes::as_bytes(&NlMsgHdr::new(32, 16, 5, 5, 1234)))?;
/// m.put_str(1, "bad attribute")?;
/// m.finish()?;
///
/// let err = Message::parse(&buf)?.error()?;
/// assert_eq!(err.errno(), -22);
/// assert!(!err.is_ack());
/// assert_eq!(err.request().seq(), 5);
/// assert_eq!(err.ext_ack().message, Some("bad attribute"));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone, Debug)]
pub struct ErrorMessage<'a> {
    errno: i32,
    request: &'a NlMsgHdr,
    request_payload: &'a [u8],
    capped: bool,
    ext_ack: ExtAck<'a>,
}

impl<'a> ErrorMessage<'a> {
    /// Decodes `msg`, which must be an `NLMSG_ERROR`.
    pub fn parse(msg: &Message<'a>) -> Result<Self, Error> {
        expect_type(msg, MessageType::ERROR)?;
        let base = msg.payload_offset();
        let payload = msg.payload();
        let (errno, rest) = split_errno(payload, msg.offset())?;
        let Ok((request, after)) = NlMsgHdr::ref_from_prefix(rest) else {
            return Err(Error::new(
                ErrorKind::Truncated {
                    needed: 4 + NLMSG_HDRLEN,
                    available: payload.len(),
                },
                msg.offset(),
            ));
        };
        let flags = msg.flags().ack_flags();
        let tlvs = flags.contains(AckFlags::ACK_TLVS);
        let full = (request.len() as usize).saturating_sub(NLMSG_HDRLEN);
        // Kernels before 4.12 never set NLM_F_CAPPED: they echo only the
        // request's header in an ACK, and in every reply on a socket with
        // NETLINK_CAP_ACK. Without extended-ack attributes to place, a
        // missing echo is such a capped reply, not a malformed one.
        let capped = flags.contains(AckFlags::CAPPED) || (!tlvs && after.len() < full);
        let echoed = if capped { 0 } else { full };
        let Some(request_payload) = after.get(..echoed) else {
            return Err(Error::new(
                ErrorKind::LengthOverrun {
                    length: request.len() as usize,
                    available: NLMSG_HDRLEN + after.len(),
                },
                base + 4,
            ));
        };
        let tlv_start = 4 + NLMSG_HDRLEN + align(echoed);
        let ext_ack = if tlvs {
            let run = payload.get(tlv_start..).unwrap_or(&[]);
            ExtAck::parse(Attrs::with_offset(run, base + tlv_start))?
        } else {
            ExtAck::default()
        };
        Ok(ErrorMessage {
            errno,
            request,
            request_payload,
            capped,
            ext_ack,
        })
    }

    /// The error code: 0 for an acknowledgement, else a negative errno.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// Is this an acknowledgement (errno 0)?
    pub fn is_ack(&self) -> bool {
        self.errno == 0
    }

    /// The header of the request this answers.
    pub fn request(&self) -> &'a NlMsgHdr {
        self.request
    }

    /// The echoed payload of the request: empty when capped.
    pub fn request_payload(&self) -> &'a [u8] {
        self.request_payload
    }

    /// Was the echoed request capped to its header (`NLM_F_CAPPED`, or a
    /// pre-4.12 kernel's reply without the request's payload)?
    pub fn is_capped(&self) -> bool {
        self.capped
    }

    /// The extended-ack attributes (empty without `NLM_F_ACK_TLVS`).
    pub fn ext_ack(&self) -> &ExtAck<'a> {
        &self.ext_ack
    }
}

impl fmt::Display for ErrorMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ack() {
            write!(f, "ACK of seq {}", self.request.seq())?;
        } else {
            write!(f, "error {} for seq {}", self.errno, self.request.seq())?;
        }
        if !self.ext_ack.is_empty() {
            write!(f, ": {}", self.ext_ack)?;
        }
        Ok(())
    }
}

/// An `NLMSG_DONE` message: the status of a dump, with optional
/// extended-ack attributes.
#[derive(Copy, Clone, Debug)]
pub struct DoneMessage<'a> {
    status: i32,
    ext_ack: ExtAck<'a>,
}

impl<'a> DoneMessage<'a> {
    /// Decodes `msg`, which must be an `NLMSG_DONE`.
    pub fn parse(msg: &Message<'a>) -> Result<Self, Error> {
        expect_type(msg, MessageType::DONE)?;
        let base = msg.payload_offset();
        let (status, rest) = split_errno(msg.payload(), msg.offset())?;
        let ext_ack = if msg.flags().ack_flags().contains(AckFlags::ACK_TLVS) {
            ExtAck::parse(Attrs::with_offset(rest, base + 4))?
        } else {
            ExtAck::default()
        };
        Ok(DoneMessage { status, ext_ack })
    }

    /// The dump's status: 0 on success, else a negative errno.
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The extended-ack attributes (empty without `NLM_F_ACK_TLVS`).
    pub fn ext_ack(&self) -> &ExtAck<'a> {
        &self.ext_ack
    }
}

impl fmt::Display for DoneMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DONE status {}", self.status)?;
        if !self.ext_ack.is_empty() {
            write!(f, ": {}", self.ext_ack)?;
        }
        Ok(())
    }
}

fn expect_type(msg: &Message<'_>, expected: MessageType) -> Result<(), Error> {
    if msg.message_type() == expected {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::UnexpectedType {
                expected: expected.0,
                found: msg.message_type().0,
            },
            msg.offset(),
        ))
    }
}

fn split_errno(payload: &[u8], msg_offset: usize) -> Result<(i32, &[u8]), Error> {
    match payload.split_first_chunk::<4>() {
        Some((errno, rest)) => Ok((i32::from_ne_bytes(*errno), rest)),
        None => Err(Error::new(
            ErrorKind::Truncated {
                needed: 4,
                available: payload.len(),
            },
            msg_offset,
        )),
    }
}
