//! Generic netlink: `genlmsghdr` and the controller family's numbers.

use core::fmt;

use zerocopy::byteorder::{NativeEndian, U16};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// `struct genlmsghdr`: 4 bytes after `nlmsghdr` in every generic netlink
/// message.
///
/// ```
/// use procslink::netlink::{Builder, Message, genl::{self, GenlMsgHdr}, flags::{Flags, GetFlags}};
///
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(genl::GENL_ID_CTRL, Flags::REQUEST | GetFlags::DUMP.into(), 1, 0)?;
/// m.family_header(&GenlMsgHdr::new(genl::CTRL_CMD_GETFAMILY, 1))?;
/// m.finish()?;
///
/// let (hdr, attrs) = Message::parse(&buf)?.genl()?;
/// assert_eq!(hdr.cmd, genl::CTRL_CMD_GETFAMILY);
/// assert_eq!(attrs.count(), 0);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
)]
#[repr(C)]
pub struct GenlMsgHdr {
    /// The command.
    pub cmd: u8,
    /// The family's interface version.
    pub version: u8,
    /// Reserved; zero.
    pub reserved: U16<NativeEndian>,
}

impl GenlMsgHdr {
    /// A header for `cmd` at interface `version`.
    pub const fn new(cmd: u8, version: u8) -> Self {
        GenlMsgHdr {
            cmd,
            version,
            reserved: U16::ZERO,
        }
    }
}

impl fmt::Debug for GenlMsgHdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenlMsgHdr")
            .field("cmd", &self.cmd)
            .field("version", &self.version)
            .field("reserved", &self.reserved.get())
            .finish()
    }
}

impl fmt::Display for GenlMsgHdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cmd {} version {}", self.cmd, self.version)
    }
}

/// The generic netlink controller's family id.
pub const GENL_ID_CTRL: super::MessageType = super::MessageType(0x10);

/// `CTRL_CMD_NEWFAMILY`: the controller's answer describing a family.
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_CMD_DELFAMILY`.
pub const CTRL_CMD_DELFAMILY: u8 = 2;
/// `CTRL_CMD_GETFAMILY`: ask for one family or (with `DUMP`) all of them.
pub const CTRL_CMD_GETFAMILY: u8 = 3;

/// `CTRL_ATTR_FAMILY_ID` (u16).
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// `CTRL_ATTR_FAMILY_NAME` (string).
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// `CTRL_ATTR_VERSION` (u32).
pub const CTRL_ATTR_VERSION: u16 = 3;
/// `CTRL_ATTR_HDRSIZE` (u32).
pub const CTRL_ATTR_HDRSIZE: u16 = 4;
/// `CTRL_ATTR_MAXATTR` (u32).
pub const CTRL_ATTR_MAXATTR: u16 = 5;
/// `CTRL_ATTR_OPS` (nested).
pub const CTRL_ATTR_OPS: u16 = 6;
/// `CTRL_ATTR_MCAST_GROUPS` (nested).
pub const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
