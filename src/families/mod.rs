//! Netlink families as the kernel's YAML specifications describe them.
//!
//! The kernel describes its netlink families in YAML
//! (`Documentation/netlink/specs/`). `codegen/` turns each specification
//! into a module of this one (`rt_link`, `nlctrl`, `ethtool`, …), each
//! behind its own cargo feature (`family-rt-link`, `family-nlctrl`, …; the
//! `families` feature turns on all of them). A generated module holds:
//!
//! - constants with the kernel's C names: attribute types (`IFLA_IFNAME`),
//!   message types or generic netlink commands (`RTM_NEWLINK`,
//!   `CTRL_CMD_GETFAMILY`), enum values and flag bits;
//! - enums as Rust enums (`TryFrom<u32>`, [`name`](EnumSpec) for the
//!   specification's name) and flag sets as [`bitflags`] types;
//! - fixed headers (`struct` definitions) as `zerocopy` structs in host
//!   byte order where the kernel uses host order;
//! - tables: one [`Family`] (`FAMILY`) with its [`AttrSet`]s, [`Operation`]s,
//!   [`McastGroup`]s, [`EnumSpec`]s, [`StructSpec`]s and [`SubMessage`]s,
//!   all `static`, referring to one another (cycles included).
//!
//! The types below are those tables. They are plain data with lookups by
//! number (binary search) and by name (binary search over a sorted index):
//! nothing here allocates, and nothing panics, whatever number or name it is
//! asked about.
//!
//! # Walking a message with the tables
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::{AttrType, rt_link};
//! use procslink::netlink::Messages;
//!
//! # let dump = procslink::netlink::doc_example_dump();
//! let family = &rt_link::FAMILY;
//! for message in Messages::new(&dump) {
//!     let message = message?;
//!     let Some(op) = family.operation_by_reply(message.header().message_type().0) else {
//!         continue;
//!     };
//!     let (Some(set), Some(header)) = (op.attr_set(), op.fixed_header()) else {
//!         continue;
//!     };
//!     let (_, attrs) = message.split_family_header(header.size())?;
//!     for attr in attrs {
//!         let attr = attr?;
//!         let spec = set.by_number(attr.kind()).expect("the spec names every attribute");
//!         if spec.attr_type() == AttrType::String {
//!             assert_eq!(spec.c_name(), "IFLA_IFNAME");
//!         }
//!     }
//! }
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```
//!
//! # Typed views
//!
//! Every attribute set also has a typed view named after it
//! (`rt_link::LinkAttrs`, `rt_link::LinkinfoAttrs`, `nlctrl::CtrlAttrs`):
//! `parse` makes one pass over the run into a slot per attribute of the set
//! (the kernel's `tb[]` idiom, lazy as libmnl's `mnl_attr_parse`): a
//! framing error is an `Err` at the attribute's offset, and each getter
//! checks the size of what it reads, so a malformed attribute reads as
//! `None` (absent or malformed: `raw().has(..)` tells which, `raw().check()`
//! says what is wrong and where). The strict parse,
//! [`SetView::from_attrs_checked`](view::SetView::from_attrs_checked), also
//! checks every attribute the set knows against its spec's policy, as the
//! kernel's `nla_parse` does. Attribute numbers the set does not know are
//! no error (`unknown()`). Getters are named after the specification and
//! borrow the caller's bytes:
//!
//! - integers as their type, read in the spec's byte order (`uint`/`sint`
//!   as `u64`/`i64`); an integer of an enum or flag set is the raw value,
//!   whose type (`TryFrom` or `from_bits`) the getter's docs name;
//! - flags as `bool`; strings as `&[u8]` without the NUL (interface names
//!   need not be UTF-8); a `struct` as its zerocopy type; binaries with an
//!   `ipv4`/`ipv6`/`ipv4-or-v6` display hint as `Ipv4Addr`/`Ipv6Addr`/
//!   `IpAddr`; other binaries as `&[u8]`;
//! - a nest as `Result<Option<View>, Error>`, indexed when asked for;
//!   multi-attributes, indexed arrays and nest-type-values as iterators;
//! - a sub-message as an enum of its formats' views, chosen by its
//!   selector (`rt_link::LinkinfoDataMsg::Vlan`), or `Other`.
//!
//! Each view has a writer (`rt_link::LinkAttrsWriter`) that writes through
//! [`MessageBuilder`](crate::netlink::MessageBuilder), an attribute at a
//! time by its key: a constant on the view (`LinkAttrs::MTU`), typed by the
//! set and by how the value is written, so a key of another set or a value
//! of the wrong type does not compile (see [`view::Writer::put`]). The
//! generated code is one-line calls of the generic accessors in [`view`],
//! which also reads and writes any attribute by its [`AttrSpec`]
//! ([`view::RawView::value`], [`view::put_value`]).
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::rt_link::{self, LinkAttrs, LinkAttrsWriter};
//! use procslink::families::view::SetView;
//! use procslink::netlink::{Builder, Messages, flags::Flags};
//!
//! // A dump of one link, as the kernel would send it.
//! let mut buf = [0u8; 128];
//! let mut batch = Builder::new(&mut buf);
//! let mut m = batch.message(rt_link::RTM_NEWLINK, Flags::MULTI, 1, 0)?;
//! m.family_header(&rt_link::Ifinfomsg::default())?;
//! let mut link = LinkAttrsWriter::new(&mut m);
//! link.put(LinkAttrs::IFNAME, b"br0")?
//!     .put(LinkAttrs::MTU, 1500)?
//!     .put(LinkAttrs::ADDRESS, &[2, 0, 0, 0, 0, 1])?;
//! // A nest: closed by `end`, dropped it is discarded.
//! let mut info = link.nest(LinkAttrs::LINKINFO)?;
//! info.put(rt_link::LinkinfoAttrs::KIND, b"bridge")?;
//! info.end()?;
//! link.end()?;
//! m.finish()?;
//!
//! for message in Messages::new(batch.as_bytes()) {
//!     let (_, attrs) = message?.split_family_header(size_of::<rt_link::Ifinfomsg>())?;
//!     let link = LinkAttrs::from_attrs(attrs)?;
//!     assert_eq!(link.ifname(), Some(&b"br0"[..]));
//!     assert_eq!(link.mtu(), Some(1500));
//!     assert_eq!(link.address(), Some(&[2, 0, 0, 0, 0, 1][..]));
//!     let kind = link.linkinfo()?.and_then(|info| info.kind());
//!     assert_eq!(kind, Some(&b"bridge"[..]));
//!     // Every attribute of the set is well-formed.
//!     link.raw().check()?;
//! }
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```

use core::fmt;

mod attr;
mod list;
mod tables;
pub mod view;

pub use attr::*;
pub use list::*;
pub use tables::*;

/// How a family is reached.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A classic netlink protocol (`netlink-raw`), opened by number
    /// (`NETLINK_ROUTE` is 0).
    NetlinkRaw {
        /// The `protonum` of `socket(AF_NETLINK, SOCK_RAW, protonum)`.
        protonum: u16,
    },
    /// A generic netlink family, resolved by name through `nlctrl`; its
    /// messages start with `genlmsghdr`.
    Genetlink {
        /// The name `CTRL_CMD_GETFAMILY` resolves.
        name: &'static str,
        /// The `genlmsghdr` version.
        version: u8,
    },
}
/// A value that no entry of an enum has: the error of the generated enums'
/// `TryFrom`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownValue(pub u64);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no enum entry has the value {}", self.0)
    }
}

impl core::error::Error for UnknownValue {}

/// Writes a flag set as `bitflags` writes the sets it declares whole:
/// `Name(A | B | 0x40)`, and `Name(0x0)` when empty. It is the generated
/// flag sets' `Debug`: they use `bitflags!`'s lighter `impl` form (about
/// half the code to compile), which leaves `Debug` to the type.
///
/// ```
/// # #[cfg(feature = "family-wireguard")] {
/// use procslink::families::wireguard::WgpeerFlags;
///
/// let flags = WgpeerFlags::REMOVE_ME | WgpeerFlags::from_bits_retain(0x40);
/// assert_eq!(format!("{flags:?}"), "WgpeerFlags(REMOVE_ME | 0x40)");
/// assert_eq!(format!("{:?}", WgpeerFlags::empty()), "WgpeerFlags(0x0)");
/// # }
/// ```
pub fn debug_flags<B>(name: &str, flags: &B, f: &mut fmt::Formatter<'_>) -> fmt::Result
where
    B: bitflags::Flags,
    B::Bits: bitflags::parser::WriteHex + fmt::LowerHex,
{
    struct Shown<'s, B>(&'s B);

    impl<B> fmt::Debug for Shown<'_, B>
    where
        B: bitflags::Flags,
        B::Bits: bitflags::parser::WriteHex + fmt::LowerHex,
    {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.0.is_empty() {
                write!(f, "{:#x}", self.0.bits())
            } else {
                bitflags::parser::to_writer(self.0, f)
            }
        }
    }

    f.debug_tuple(name).field(&Shown(flags)).finish()
}
