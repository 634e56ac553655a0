//! Generic netlink: `genlmsghdr`, the controller family's numbers, and
//! resolving a family by name ([`family_request`], [`Family`]).

use core::fmt;

mod family;

pub use family::{
    CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OP_FLAGS, CTRL_ATTR_OP_ID, Family,
    Group, Groups, Op, Ops, families_request, family_request,
};

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

/// The controller's answer about itself, for the documentation's examples:
/// `nlctrl` (id 0x10, version 2), two operations and the `notify` group.
#[doc(hidden)]
pub fn doc_example_family() -> [u8; 136] {
    use super::{Builder, flags::Flags};
    let mut buf = [0u8; 136];
    let mut b = Builder::new(&mut buf);
    let Ok(mut m) = b.message(GENL_ID_CTRL, Flags::empty(), 1, 0) else {
        return [0; 136];
    };
    let _ = m.family_header(&GenlMsgHdr::new(CTRL_CMD_NEWFAMILY, 2));
    let _ = m.put_u16(CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL.0);
    let _ = m.put_str(CTRL_ATTR_FAMILY_NAME, "nlctrl");
    let _ = m.put_u32(CTRL_ATTR_VERSION, 2);
    let _ = m.put_u32(CTRL_ATTR_HDRSIZE, 0);
    let _ = m.put_u32(CTRL_ATTR_MAXATTR, 10);
    if let Ok(mut ops) = m.nest(CTRL_ATTR_OPS) {
        for (index, (id, flags)) in [(3u32, 0xeu32), (10, 0xc)].into_iter().enumerate() {
            if let Ok(mut op) = ops.nest(index as u16 + 1) {
                let _ = op.put_u32(CTRL_ATTR_OP_ID, id);
                let _ = op.put_u32(CTRL_ATTR_OP_FLAGS, flags);
                let _ = op.end();
            }
        }
        let _ = ops.end();
    }
    if let Ok(mut groups) = m.nest(CTRL_ATTR_MCAST_GROUPS) {
        if let Ok(mut group) = groups.nest(1) {
            let _ = group.put_str(CTRL_ATTR_MCAST_GRP_NAME, "notify");
            let _ = group.put_u32(CTRL_ATTR_MCAST_GRP_ID, 0x10);
            let _ = group.end();
        }
        let _ = groups.end();
    }
    let _ = m.finish();
    buf
}
