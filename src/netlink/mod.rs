//! Netlink messages and attributes (netlink(7), `linux/netlink.h`).
//!
//! # Panic contract
//!
//! Nothing in this module panics, whatever bytes it is given. Views are
//! made by checked constructors ([`Message::parse`], the [`Messages`] and
//! [`Attrs`] iterators) that prove every length they will use; accessors
//! are then infallible, and getters that interpret a payload return a
//! [`Result`](crate::Error). Iterators stop for good after their first
//! error. Builders never write past the caller's buffer.
//!
//! # Byte order
//!
//! Kernel netlink is host byte order: [`NlMsgHdr`], [`Messages::new`]. The
//! same header in big-endian ([`NlMsgHdrBe`]) serves ProcsLink.

mod ack;
mod attr;
mod builder;
pub mod conversation;
pub mod display;
pub mod flags;
pub mod genl;
mod header;
mod message;
mod policy;
pub mod route;
mod types;

pub use ack::{
    DoneMessage, ErrorMessage, ExtAck, NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST,
    NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY,
};
pub use attr::{
    Attr, Attrs, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_MAX_PAYLOAD, NLA_TYPE_MASK,
};
pub use builder::{Builder, MessageBuilder, Nest};
pub use genl::GenlMsgHdr;
pub use header::{NLMSG_ALIGNTO, NLMSG_HDRLEN, NlMsgHdr, NlMsgHdrBe, NlMsgHdrOf, align};
pub use message::{Message, Messages};
pub use policy::{AttrIndex, AttrKind, AttrPolicy, AttrTable, MAX_NESTING, Policy};
pub use types::MessageType;

/// A small link dump for the documentation's examples: two `RTM_NEWLINK`
/// messages (`lo` and `eth0`) and `NLMSG_DONE`.
#[doc(hidden)]
#[cfg(feature = "family-rt-link")]
pub fn doc_example_dump() -> [u8; 136] {
    use crate::families::rt_link;

    let mut buf = [0u8; 136];
    let mut b = Builder::new(&mut buf);
    for (index, name) in [(1i32, "lo"), (2, "eth0")] {
        let Ok(mut m) = b.message(rt_link::RTM_NEWLINK, flags::Flags::MULTI, 1, 0) else {
            break;
        };
        let mut ifi = rt_link::Ifinfomsg::default();
        ifi.ifi_index.set(index);
        let _ = m.family_header(&ifi);
        let _ = m.put_str(rt_link::IFLA_IFNAME, name);
        let _ = m.put_u32(rt_link::IFLA_MTU, 1500);
        let _ = m.put_u8(rt_link::IFLA_OPERSTATE, 6);
        let _ = m.finish();
    }
    if let Ok(mut m) = b.message(MessageType::DONE, flags::Flags::MULTI, 1, 0) {
        let _ = m.put_bytes_raw(&0i32.to_ne_bytes());
        let _ = m.finish();
    }
    buf
}
