//! Netlink message types.

use core::fmt;

use super::flags::RequestKind;

/// `nlmsg_type`: a control type below 0x10 or a family's own type.
///
/// ```
/// use procslink::netlink::MessageType;
///
/// assert!(MessageType::ERROR.is_error());
/// assert!(MessageType(16).is_family());
/// assert_eq!(MessageType::DONE.to_string(), "DONE");
/// assert_eq!(MessageType(16).to_string(), "16");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MessageType(pub u16);

impl MessageType {
    /// `NLMSG_NOOP`: nothing; to be ignored.
    pub const NOOP: MessageType = MessageType(1);
    /// `NLMSG_ERROR`: an error or, with errno 0, an acknowledgement.
    pub const ERROR: MessageType = MessageType(2);
    /// `NLMSG_DONE`: the end of a multipart message (a dump).
    pub const DONE: MessageType = MessageType(3);
    /// `NLMSG_OVERRUN`: data was lost.
    pub const OVERRUN: MessageType = MessageType(4);
    /// `NLMSG_MIN_TYPE`: types from here on belong to the family.
    pub const MIN_FAMILY: MessageType = MessageType(0x10);

    /// Is this `NLMSG_NOOP`?
    #[inline(always)]
    pub const fn is_noop(self) -> bool {
        self.0 == Self::NOOP.0
    }

    /// Is this `NLMSG_ERROR`?
    #[inline(always)]
    pub const fn is_error(self) -> bool {
        self.0 == Self::ERROR.0
    }

    /// Is this `NLMSG_DONE`?
    #[inline(always)]
    pub const fn is_done(self) -> bool {
        self.0 == Self::DONE.0
    }

    /// Is this `NLMSG_OVERRUN`?
    #[inline(always)]
    pub const fn is_overrun(self) -> bool {
        self.0 == Self::OVERRUN.0
    }

    /// Is this a control type (below 0x10, reserved by netlink itself)?
    #[inline(always)]
    pub const fn is_control(self) -> bool {
        self.0 < Self::MIN_FAMILY.0
    }

    /// Is this a family's own type (0x10 and above)?
    #[inline(always)]
    pub const fn is_family(self) -> bool {
        !self.is_control()
    }

    /// [`RequestKind::Ack`] for `ERROR` and `DONE`, whose high flag bits are
    /// [`AckFlags`](super::flags::AckFlags); `None` for others, whose
    /// meaning depends on the family.
    pub const fn ack_kind(self) -> Option<RequestKind> {
        if self.is_error() || self.is_done() {
            Some(RequestKind::Ack)
        } else {
            None
        }
    }

    /// The name of a control type, if it has one.
    pub const fn control_name(self) -> Option<&'static str> {
        match self.0 {
            1 => Some("NOOP"),
            2 => Some("ERROR"),
            3 => Some("DONE"),
            4 => Some("OVERRUN"),
            _ => None,
        }
    }
}

impl From<u16> for MessageType {
    #[inline]
    fn from(v: u16) -> Self {
        MessageType(v)
    }
}

impl From<MessageType> for u16 {
    #[inline]
    fn from(v: MessageType) -> Self {
        v.0
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.control_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.control_name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "MessageType({})", self.0),
        }
    }
}
