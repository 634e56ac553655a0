//! `NLMSG_ERROR` (errors and acknowledgements) and `NLMSG_DONE`, with their
//! extended-ack attributes.

use core::fmt;

use zerocopy::FromBytes;

use super::attr::{Attr, Attrs};
use super::display::Escaped;
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
/// Decoding never fails: an error or done message must always yield its
/// errno, whatever its extended ack holds. Unknown attribute types are
/// ignored. A known type whose payload has the wrong size is left out and
/// reported by [`ExtAck::malformed`], as is a malformed attribute header
/// (which ends the walk: nothing after it can be trusted). The text of
/// `NLMSGERR_ATTR_MSG` is kept as bytes: [`ExtAck::message_bytes`] reads
/// it whatever it holds, [`ExtAck::message`] checks that it is
/// NUL-terminated UTF-8.
///
/// ```
/// use procslink::netlink::{Attrs, ExtAck, NLMSGERR_ATTR_MSG};
/// use procslink::ErrorKind;
///
/// // NLMSGERR_ATTR_MSG "bad\xff" (no UTF-8), then NLMSGERR_ATTR_OFFS of 2
/// // bytes instead of 4.
/// let run = [8u8, 0, 1, 0, b'b', b'a', b'd', 0xff, 6, 0, 2, 0, 1, 0, 0, 0];
/// let ack = ExtAck::parse(Attrs::new(&run));
/// assert_eq!(ack.message_bytes(), Some(&b"bad\xff"[..]));
/// assert_eq!(ack.message().unwrap().unwrap_err().kind(), ErrorKind::NotNulTerminated);
/// assert_eq!(ack.bad_attr_offset(), None);
/// assert_eq!(ack.malformed().unwrap().offset(), 8);
/// assert_eq!(ack.to_string(), r#""bad\xff", malformed: expected 4 bytes, found 2 at byte 8"#);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtAck<'a> {
    message: Option<Attr<'a>>,
    bad_attr_offset: Option<u32>,
    cookie: Option<&'a [u8]>,
    policy: Option<Attr<'a>>,
    missing_type: Option<u32>,
    missing_nest: Option<u32>,
    malformed: Option<Error>,
}

impl<'a> ExtAck<'a> {
    /// Decodes a run of extended-ack attributes. Never fails: problems are
    /// kept for [`ExtAck::malformed`].
    pub fn parse(attrs: Attrs<'a>) -> Self {
        let mut ack = ExtAck::default();
        for attr in attrs {
            let attr = match attr {
                Ok(attr) => attr,
                Err(e) => {
                    ack.malformed.get_or_insert(e);
                    break;
                }
            };
            let number = |ack: &mut ExtAck<'a>| match attr.u32() {
                Ok(v) => Some(v),
                Err(e) => {
                    ack.malformed.get_or_insert(e);
                    None
                }
            };
            match attr.kind() {
                NLMSGERR_ATTR_MSG => ack.message = Some(attr),
                NLMSGERR_ATTR_OFFS => ack.bad_attr_offset = number(&mut ack),
                NLMSGERR_ATTR_COOKIE => ack.cookie = Some(attr.payload()),
                NLMSGERR_ATTR_POLICY => ack.policy = Some(attr),
                NLMSGERR_ATTR_MISS_TYPE => ack.missing_type = number(&mut ack),
                NLMSGERR_ATTR_MISS_NEST => ack.missing_nest = number(&mut ack),
                _ => {}
            }
        }
        ack
    }

    /// `NLMSGERR_ATTR_MSG`, the kernel's explanation, as NUL-terminated
    /// UTF-8: `None` if absent, `Some(Err)` if the text lacks its NUL
    /// ([`ErrorKind::NotNulTerminated`]) or is not UTF-8
    /// ([`ErrorKind::InvalidUtf8`]), at the attribute's offset. The bytes
    /// are still readable with [`ExtAck::message_bytes`].
    pub fn message(&self) -> Option<Result<&'a str, Error>> {
        self.message.map(|a| a.str())
    }

    /// `NLMSGERR_ATTR_MSG` as bytes: up to its first NUL, or all of it if
    /// it has none. Show it with [`Escaped`](super::display::Escaped).
    pub fn message_bytes(&self) -> Option<&'a [u8]> {
        self.message.map(|a| a.bytes_str())
    }

    /// `NLMSGERR_ATTR_OFFS`: offset of the bad attribute, counted from the
    /// start of the request's `nlmsghdr`.
    pub fn bad_attr_offset(&self) -> Option<u32> {
        self.bad_attr_offset
    }

    /// `NLMSGERR_ATTR_COOKIE`.
    pub fn cookie(&self) -> Option<&'a [u8]> {
        self.cookie
    }

    /// `NLMSGERR_ATTR_POLICY`: the raw nested policy description.
    pub fn policy(&self) -> Option<Attr<'a>> {
        self.policy
    }

    /// `NLMSGERR_ATTR_MISS_TYPE`: the type of a missing required attribute.
    pub fn missing_type(&self) -> Option<u32> {
        self.missing_type
    }

    /// `NLMSGERR_ATTR_MISS_NEST`: the offset of the nest that lacks it.
    pub fn missing_nest(&self) -> Option<u32> {
        self.missing_nest
    }

    /// The first problem met while decoding: a malformed attribute header
    /// (the walk stopped there) or a known attribute whose payload has the
    /// wrong size (it was left out). A message text that is not UTF-8 is
    /// not counted here; see [`ExtAck::message`].
    pub fn malformed(&self) -> Option<Error> {
        self.malformed
    }

    /// Is there nothing in it (no attribute decoded, nothing malformed)?
    pub fn is_empty(&self) -> bool {
        *self == ExtAck::default()
    }
}

impl fmt::Display for ExtAck<'_> {
    /// The text (escaped where it is not UTF-8), then the other fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(m) = self.message_bytes() {
            write!(f, "{sep}{:?}", Escaped(m))?;
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
            sep = ", ";
        }
        if let Some(e) = self.malformed {
            write!(f, "{sep}malformed: {e}")?;
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
/// `NLM_F_CAPPED`; a reply without extended-ack attributes that ends right
/// after the request's header reads as capped. An echo cut anywhere else
/// without `NLM_F_CAPPED` is [`ErrorKind::Truncated`], at the offset where
/// the echoed payload starts: bytes were lost.
///
/// The extended ack never makes the parse fail: whatever it holds, the
/// errno is read (see [`ExtAck`]).
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
/// assert_eq!(err.ext_ack().message(), Some(Ok("bad attribute")));
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
    ///
    /// Fails only when the errno or the echoed request's header is cut
    /// short ([`ErrorKind::Truncated`]), or when the echoed payload is cut
    /// short without `NLM_F_CAPPED` (see the type's docs).
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
        let echo_offset = base.saturating_add(4 + NLMSG_HDRLEN);
        // Kernels before 4.12 never set NLM_F_CAPPED: they echo only the
        // request's header in an ACK, and in every reply on a socket with
        // NETLINK_CAP_ACK (and they send no extended ack). Such a reply ends
        // right after the header; an echo cut anywhere else lost bytes.
        let capped = if flags.contains(AckFlags::CAPPED) {
            true
        } else if after.len() >= full {
            false
        } else if after.is_empty() && !tlvs {
            true
        } else {
            return Err(Error::new(
                ErrorKind::Truncated {
                    needed: full,
                    available: after.len(),
                },
                echo_offset,
            ));
        };
        let echoed = if capped { 0 } else { full };
        let request_payload = after.get(..echoed).unwrap_or(&[]);
        let tlv_start = 4 + NLMSG_HDRLEN + align(echoed);
        let ext_ack = if tlvs {
            let run = payload.get(tlv_start..).unwrap_or(&[]);
            ExtAck::parse(Attrs::with_offset(run, base.saturating_add(tlv_start)))
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
    /// pre-4.12 kernel's reply that ends right after the request's header)?
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
///
/// Older kernels and some families send `NLMSG_DONE` with no payload at
/// all: that reads as status 0. As for errors, the extended ack never makes
/// the parse fail.
///
/// ```
/// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
///
/// let mut buf = [0u8; 16];
/// let mut b = Builder::new(&mut buf);
/// b.message(MessageType::DONE, Flags::MULTI, 1, 0)?.finish()?;
/// assert_eq!(Message::parse(&buf)?.done()?.status(), 0);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone, Debug)]
pub struct DoneMessage<'a> {
    status: i32,
    ext_ack: ExtAck<'a>,
}

impl<'a> DoneMessage<'a> {
    /// Decodes `msg`, which must be an `NLMSG_DONE`: an empty payload is
    /// status 0; a payload of 1 to 3 bytes is [`ErrorKind::Truncated`].
    pub fn parse(msg: &Message<'a>) -> Result<Self, Error> {
        expect_type(msg, MessageType::DONE)?;
        let base = msg.payload_offset();
        if msg.payload().is_empty() {
            return Ok(DoneMessage {
                status: 0,
                ext_ack: ExtAck::default(),
            });
        }
        let (status, rest) = split_errno(msg.payload(), msg.offset())?;
        let ext_ack = if msg.flags().ack_flags().contains(AckFlags::ACK_TLVS) {
            ExtAck::parse(Attrs::with_offset(rest, base.saturating_add(4)))
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
