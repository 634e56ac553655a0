//! rtnetlink (`NETLINK_ROUTE`): family headers and message types.
//!
//! Only what the crate's examples, tests and CLI need; the attributes of each
//! object are numbered in `linux/if_link.h`, `linux/if_addr.h`,
//! `linux/rtnetlink.h` and `linux/neighbour.h`.

use zerocopy::byteorder::{NativeEndian, U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::MessageType;

/// `RTM_NEWLINK`.
pub const RTM_NEWLINK: MessageType = MessageType(16);
/// `RTM_DELLINK`.
pub const RTM_DELLINK: MessageType = MessageType(17);
/// `RTM_GETLINK`.
pub const RTM_GETLINK: MessageType = MessageType(18);
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: MessageType = MessageType(20);
/// `RTM_DELADDR`.
pub const RTM_DELADDR: MessageType = MessageType(21);
/// `RTM_GETADDR`.
pub const RTM_GETADDR: MessageType = MessageType(22);
/// `RTM_NEWROUTE`.
pub const RTM_NEWROUTE: MessageType = MessageType(24);
/// `RTM_DELROUTE`.
pub const RTM_DELROUTE: MessageType = MessageType(25);
/// `RTM_GETROUTE`.
pub const RTM_GETROUTE: MessageType = MessageType(26);
/// `RTM_NEWNEIGH`.
pub const RTM_NEWNEIGH: MessageType = MessageType(28);
/// `RTM_DELNEIGH`.
pub const RTM_DELNEIGH: MessageType = MessageType(29);
/// `RTM_GETNEIGH`.
pub const RTM_GETNEIGH: MessageType = MessageType(30);

/// `AF_UNSPEC`.
pub const AF_UNSPEC: u8 = 0;
/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_INET6`.
pub const AF_INET6: u8 = 10;

/// `IFF_UP`.
pub const IFF_UP: u32 = 0x1;
/// `IFF_BROADCAST`.
pub const IFF_BROADCAST: u32 = 0x2;
/// `IFF_LOOPBACK`.
pub const IFF_LOOPBACK: u32 = 0x8;
/// `IFF_POINTOPOINT`.
pub const IFF_POINTOPOINT: u32 = 0x10;
/// `IFF_RUNNING`.
pub const IFF_RUNNING: u32 = 0x40;
/// `IFF_NOARP`.
pub const IFF_NOARP: u32 = 0x80;
/// `IFF_PROMISC`.
pub const IFF_PROMISC: u32 = 0x100;
/// `IFF_MULTICAST`.
pub const IFF_MULTICAST: u32 = 0x1000;
/// `IFF_LOWER_UP`.
pub const IFF_LOWER_UP: u32 = 0x10000;

/// `RTEXT_FILTER_VF`, for `IFLA_EXT_MASK`.
pub const RTEXT_FILTER_VF: u32 = 1;
/// `RT_TABLE_MAIN`.
pub const RT_TABLE_MAIN: u8 = 254;
/// `RT_TABLE_LOCAL`.
pub const RT_TABLE_LOCAL: u8 = 255;

/// `IFLA_ADDRESS`: link-layer address.
pub const IFLA_ADDRESS: u16 = 1;
/// `IFLA_IFNAME`: interface name (string).
pub const IFLA_IFNAME: u16 = 3;
/// `IFLA_MTU` (u32).
pub const IFLA_MTU: u16 = 4;
/// `IFLA_LINK` (u32).
pub const IFLA_LINK: u16 = 5;
/// `IFLA_MASTER` (u32).
pub const IFLA_MASTER: u16 = 10;
/// `IFLA_OPERSTATE` (u8).
pub const IFLA_OPERSTATE: u16 = 16;
/// `IFLA_LINKINFO` (nested).
pub const IFLA_LINKINFO: u16 = 18;
/// `IFLA_INFO_KIND`, inside `IFLA_LINKINFO` (string).
pub const IFLA_INFO_KIND: u16 = 1;
/// `IFLA_INFO_DATA`, inside `IFLA_LINKINFO` (nested, per kind).
pub const IFLA_INFO_DATA: u16 = 2;
/// `IFLA_AF_SPEC` (nested).
pub const IFLA_AF_SPEC: u16 = 26;
/// `IFLA_EXT_MASK` (u32), in requests.
pub const IFLA_EXT_MASK: u16 = 29;

/// `IFA_ADDRESS`.
pub const IFA_ADDRESS: u16 = 1;
/// `IFA_LOCAL`.
pub const IFA_LOCAL: u16 = 2;
/// `IFA_LABEL` (string).
pub const IFA_LABEL: u16 = 3;

/// `RTA_DST`.
pub const RTA_DST: u16 = 1;
/// `RTA_OIF` (u32).
pub const RTA_OIF: u16 = 4;
/// `RTA_GATEWAY`.
pub const RTA_GATEWAY: u16 = 5;
/// `RTA_TABLE` (u32).
pub const RTA_TABLE: u16 = 15;

/// `NDA_DST`.
pub const NDA_DST: u16 = 1;
/// `NDA_LLADDR`.
pub const NDA_LLADDR: u16 = 2;

/// `struct ifinfomsg` (16 bytes): the family header of link messages.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
)]
#[repr(C)]
pub struct IfInfoMsg {
    /// `ifi_family` (`AF_UNSPEC` for links).
    pub family: u8,
    /// Padding.
    pub pad: u8,
    /// `ifi_type`: `ARPHRD_*`.
    pub link_type: U16<NativeEndian>,
    /// `ifi_index`.
    pub index: U32<NativeEndian>,
    /// `ifi_flags`: `IFF_*`.
    pub flags: U32<NativeEndian>,
    /// `ifi_change`: the mask of flags to change.
    pub change: U32<NativeEndian>,
}

impl IfInfoMsg {
    /// `ifi_index`, the interface index.
    pub fn index(&self) -> i32 {
        self.index.get() as i32
    }

    /// `ifi_flags`: `IFF_*` bits.
    pub fn flags(&self) -> u32 {
        self.flags.get()
    }

    /// `ifi_type`: `ARPHRD_*`.
    pub fn link_type(&self) -> u16 {
        self.link_type.get()
    }
}

impl IfAddrMsg {
    /// `ifa_index`, the interface index.
    pub fn index(&self) -> i32 {
        self.index.get() as i32
    }
}

impl RtMsg {
    /// `rtm_flags`.
    pub fn flags(&self) -> u32 {
        self.flags.get()
    }
}

impl NdMsg {
    /// `ndm_ifindex`, the interface index.
    pub fn index(&self) -> i32 {
        self.ifindex.get() as i32
    }

    /// `ndm_state`: `NUD_*` bits.
    pub fn state(&self) -> u16 {
        self.state.get()
    }
}

/// `struct ifaddrmsg` (8 bytes): the family header of address messages.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
)]
#[repr(C)]
pub struct IfAddrMsg {
    /// `ifa_family`.
    pub family: u8,
    /// `ifa_prefixlen`.
    pub prefixlen: u8,
    /// `ifa_flags`.
    pub flags: u8,
    /// `ifa_scope`.
    pub scope: u8,
    /// `ifa_index`.
    pub index: U32<NativeEndian>,
}

/// `struct rtmsg` (12 bytes): the family header of route messages.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
)]
#[repr(C)]
pub struct RtMsg {
    /// `rtm_family`.
    pub family: u8,
    /// `rtm_dst_len`.
    pub dst_len: u8,
    /// `rtm_src_len`.
    pub src_len: u8,
    /// `rtm_tos`.
    pub tos: u8,
    /// `rtm_table`.
    pub table: u8,
    /// `rtm_protocol`.
    pub protocol: u8,
    /// `rtm_scope`.
    pub scope: u8,
    /// `rtm_type`.
    pub route_type: u8,
    /// `rtm_flags`.
    pub flags: U32<NativeEndian>,
}

/// `struct ndmsg` (12 bytes): the family header of neighbour messages.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
)]
#[repr(C)]
pub struct NdMsg {
    /// `ndm_family`.
    pub family: u8,
    /// Padding.
    pub pad1: u8,
    /// Padding.
    pub pad2: U16<NativeEndian>,
    /// `ndm_ifindex`.
    pub ifindex: U32<NativeEndian>,
    /// `ndm_state`.
    pub state: U16<NativeEndian>,
    /// `ndm_flags`.
    pub flags: u8,
    /// `ndm_type`.
    pub ndm_type: u8,
}
