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
//! Each view has a writer (`rt_link::LinkAttrsWriter`) with a setter per
//! attribute, writing through [`MessageBuilder`](crate::netlink::MessageBuilder).
//! The generated code is one-line calls of the generic accessors in
//! [`view`], which also reads and writes any attribute by its [`AttrSpec`]
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
//! link.ifname(b"br0")?.mtu(1500)?.address(&[2, 0, 0, 0, 0, 1])?;
//! let mut info = link.linkinfo()?; // a nest: closed by `end`, dropped it is discarded
//! info.kind(b"bridge")?;
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

use crate::netlink::{Attr, AttrKind, AttrPolicy, Attrs};

mod list;
pub use list::*;
pub mod view;

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

/// The type of an attribute (or of a `struct` member).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// A reserved number (`unused`): no attribute carries it.
    Unused,
    /// Padding for 64-bit alignment (`pad`).
    Pad,
    /// No payload: presence is the value.
    Flag,
    /// 1 byte.
    U8,
    /// 2 bytes.
    U16,
    /// 4 bytes.
    U32,
    /// 8 bytes.
    U64,
    /// 1 byte, signed.
    S8,
    /// 2 bytes, signed.
    S16,
    /// 4 bytes, signed.
    S32,
    /// 8 bytes, signed.
    S64,
    /// An unsigned integer of 4 or 8 bytes (`uint`).
    Uint,
    /// A signed integer of 4 or 8 bytes (`sint`).
    Sint,
    /// A NUL-terminated string.
    String,
    /// Opaque bytes, possibly a `struct`.
    Binary,
    /// A run of attributes of a nested set.
    Nest,
    /// A nest whose entries are numbered by index, each holding a value of
    /// the [`sub_type`](AttrSpec::sub_type) (often a nest of the nested set).
    IndexedArray,
    /// A nest whose entries' types are values, each a nest of the nested set.
    NestTypeValue,
    /// A run of attributes (after an optional fixed header) whose set another
    /// attribute selects ([`AttrSpec::sub_message`]).
    SubMessage,
    /// `struct nla_bitfield32`: a value and a selector, 8 bytes.
    Bitfield32,
}

impl AttrType {
    /// The specification's name of the type (`u32`, `indexed-array`, …).
    pub const fn name(self) -> &'static str {
        match self {
            AttrType::Unused => "unused",
            AttrType::Pad => "pad",
            AttrType::Flag => "flag",
            AttrType::U8 => "u8",
            AttrType::U16 => "u16",
            AttrType::U32 => "u32",
            AttrType::U64 => "u64",
            AttrType::S8 => "s8",
            AttrType::S16 => "s16",
            AttrType::S32 => "s32",
            AttrType::S64 => "s64",
            AttrType::Uint => "uint",
            AttrType::Sint => "sint",
            AttrType::String => "string",
            AttrType::Binary => "binary",
            AttrType::Nest => "nest",
            AttrType::IndexedArray => "indexed-array",
            AttrType::NestTypeValue => "nest-type-value",
            AttrType::SubMessage => "sub-message",
            AttrType::Bitfield32 => "bitfield32",
        }
    }

    /// The payload size of a fixed-size type.
    pub const fn fixed_size(self) -> Option<usize> {
        match self {
            AttrType::Flag => Some(0),
            AttrType::U8 | AttrType::S8 => Some(1),
            AttrType::U16 | AttrType::S16 => Some(2),
            AttrType::U32 | AttrType::S32 => Some(4),
            AttrType::U64 | AttrType::S64 | AttrType::Bitfield32 => Some(8),
            _ => None,
        }
    }

    /// Is the payload a run of attributes (a nest or an array of them)?
    pub const fn is_nested(self) -> bool {
        matches!(
            self,
            AttrType::Nest | AttrType::IndexedArray | AttrType::NestTypeValue
        )
    }
}

impl fmt::Display for AttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The byte order of an integer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    /// Host order, as netlink itself.
    #[default]
    Host,
    /// Network order (`byte-order: big-endian`): ports, addresses.
    Big,
}

/// How a value is best shown (`display-hint`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum DisplayHint {
    /// No hint.
    #[default]
    None,
    /// A link-layer address, colon-separated hex.
    Mac,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An IPv4 or IPv6 address, by length.
    Ipv4OrV6,
    /// Hex.
    Hex,
    /// A UUID.
    Uuid,
}

/// The checks a specification states for an attribute (`checks:`).
///
/// Lengths and bounds named by constants are resolved; those the
/// specification names by something it does not define (such as the page
/// size) are absent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Checks {
    min_len: Option<u32>,
    max_len: Option<u32>,
    exact_len: Option<u32>,
    min: Option<i64>,
    max: Option<i64>,
    unterminated_ok: bool,
}

impl Checks {
    /// No checks.
    pub const NONE: Checks = Checks {
        min_len: None,
        max_len: None,
        exact_len: None,
        min: None,
        max: None,
        unterminated_ok: false,
    };

    /// The shortest payload (for strings: without the NUL).
    pub const fn min_len(&self) -> Option<u32> {
        self.min_len
    }

    /// The longest payload (for strings: without the NUL).
    pub const fn max_len(&self) -> Option<u32> {
        self.max_len
    }

    /// The only payload length allowed.
    pub const fn exact_len(&self) -> Option<u32> {
        self.exact_len
    }

    /// The smallest value of an integer.
    pub const fn min(&self) -> Option<i64> {
        self.min
    }

    /// The largest value of an integer.
    pub const fn max(&self) -> Option<i64> {
        self.max
    }

    /// May a string come without its NUL?
    pub const fn unterminated_ok(&self) -> bool {
        self.unterminated_ok
    }

    /// Is `value` within [`min`](Self::min) and [`max`](Self::max)?
    pub const fn allows(&self, value: i128) -> bool {
        let above = match self.min {
            Some(min) => value >= min as i128,
            None => true,
        };
        let below = match self.max {
            Some(max) => value <= max as i128,
            None => true,
        };
        above && below
    }
}

/// One attribute of an [`AttrSet`].
#[derive(Copy, Clone, Debug)]
pub struct AttrSpec {
    name: &'static str,
    c_name: &'static str,
    number: u16,
    attr_type: AttrType,
    sub_type: Option<AttrType>,
    byte_order: ByteOrder,
    display: DisplayHint,
    nested: Option<&'static AttrSet>,
    sub_message: Option<&'static SubMessage>,
    selector: Option<&'static str>,
    enumeration: Option<&'static EnumSpec>,
    structure: Option<&'static StructSpec>,
    checks: Checks,
    multi: bool,
    enum_as_flags: bool,
}

impl AttrSpec {
    /// A `u32` named `name` numbered 0 with nothing else: what generated
    /// tables start from (`..AttrSpec::DEFAULT`).
    pub const DEFAULT: AttrSpec = AttrSpec {
        name: "",
        c_name: "",
        number: 0,
        attr_type: AttrType::U32,
        sub_type: None,
        byte_order: ByteOrder::Host,
        display: DisplayHint::None,
        nested: None,
        sub_message: None,
        selector: None,
        enumeration: None,
        structure: None,
        checks: Checks::NONE,
        multi: false,
        enum_as_flags: false,
    };

    /// The specification's name (`ifname`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The kernel's C name (`IFLA_IFNAME`).
    pub const fn c_name(&self) -> &'static str {
        self.c_name
    }

    /// The attribute type number.
    pub const fn number(&self) -> u16 {
        self.number
    }

    /// The type of the value.
    pub const fn attr_type(&self) -> AttrType {
        self.attr_type
    }

    /// The type of an [`IndexedArray`](AttrType::IndexedArray)'s entries.
    pub const fn sub_type(&self) -> Option<AttrType> {
        self.sub_type
    }

    /// The byte order of an integer value.
    pub const fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// How the value is best shown.
    pub const fn display_hint(&self) -> DisplayHint {
        self.display
    }

    /// The set of the nested attributes (of a nest, or of each entry of an
    /// array).
    pub const fn nested(&self) -> Option<&'static AttrSet> {
        self.nested
    }

    /// The sub-message whose format the [`selector`](Self::selector)
    /// chooses.
    pub const fn sub_message(&self) -> Option<&'static SubMessage> {
        self.sub_message
    }

    /// The name of the sibling attribute whose value selects the
    /// sub-message format (`kind` for rt-link's `linkinfo` data).
    pub const fn selector(&self) -> Option<&'static str> {
        self.selector
    }

    /// The enum or flag set of the value.
    pub const fn enumeration(&self) -> Option<&'static EnumSpec> {
        self.enumeration
    }

    /// The `struct` a binary value carries.
    pub const fn structure(&self) -> Option<&'static StructSpec> {
        self.structure
    }

    /// The checks on the value.
    pub const fn checks(&self) -> &Checks {
        &self.checks
    }

    /// May the attribute occur more than once (`multi-attr`)?
    pub const fn multi_attr(&self) -> bool {
        self.multi
    }

    /// Is the value a set of bits of the [`enumeration`](Self::enumeration)
    /// (`enum-as-flags`)? For an enum of values (not a flag set), bit `N`
    /// stands for the entry whose value is `N`.
    pub const fn enum_as_flags(&self) -> bool {
        self.enum_as_flags
    }

    /// The crate's [`AttrPolicy`] for the attribute: the kind and the
    /// length checks. A nest's policy checks only the framing of its run;
    /// attach a nested [`Policy`](crate::netlink::Policy) with
    /// [`AttrPolicy::nested`] to check deeper.
    ///
    /// `uint`/`sint` allow 4 to 8 bytes, `bitfield32` exactly 8. A string
    /// is [`AttrKind::NulString`] (the kernel's `NLA_NUL_STRING`), one whose
    /// NUL is optional (`unterminated-ok`) [`AttrKind::String`]
    /// (`NLA_STRING`); both count their limits without the NUL.
    pub const fn policy(&self) -> AttrPolicy<'static> {
        let kind = match self.attr_type {
            AttrType::Flag => AttrKind::Flag,
            AttrType::U8 => AttrKind::U8,
            AttrType::U16 => AttrKind::U16,
            AttrType::U32 => AttrKind::U32,
            AttrType::U64 => AttrKind::U64,
            AttrType::S8 => AttrKind::S8,
            AttrType::S16 => AttrKind::S16,
            AttrType::S32 => AttrKind::S32,
            AttrType::S64 => AttrKind::S64,
            // As the kernel's generated policies: a spec string is
            // NLA_NUL_STRING, an `unterminated-ok` one NLA_STRING. Both
            // kinds count their limits without the NUL, as the spec does.
            AttrType::String if self.checks.unterminated_ok => AttrKind::String,
            AttrType::String => AttrKind::NulString,
            AttrType::Uint | AttrType::Sint | AttrType::Binary | AttrType::Bitfield32 => {
                AttrKind::Binary
            }
            AttrType::Nest | AttrType::IndexedArray | AttrType::NestTypeValue => AttrKind::Nested,
            AttrType::Unused | AttrType::Pad | AttrType::SubMessage => AttrKind::Unspec,
        };
        let (mut min, mut max) = match self.attr_type {
            AttrType::Uint | AttrType::Sint => (4, 8),
            AttrType::Bitfield32 => (8, 8),
            _ => (0, 0),
        };
        // An indexed array's checks are its entries' (as the kernel's
        // policy for the array itself is a plain nest).
        let checks = if matches!(self.attr_type, AttrType::IndexedArray) {
            Checks::NONE
        } else {
            self.checks
        };
        if let Some(len) = checks.min_len {
            min = len;
        }
        if let Some(len) = checks.max_len {
            max = len;
        }
        if let Some(len) = checks.exact_len {
            min = len;
            max = len;
        }
        AttrPolicy::new(kind)
            .min_len(clamp_u16(min))
            .max_len(clamp_u16(max))
    }
}

const fn clamp_u16(value: u32) -> u16 {
    if value > u16::MAX as u32 {
        u16::MAX
    } else {
        value as u16
    }
}

/// An attribute set: the attributes one nest (or message) may carry.
#[derive(Copy, Clone)]
pub struct AttrSet {
    name: &'static str,
    family: &'static str,
    subset_of: Option<&'static str>,
    attrs: &'static [AttrSpec],
    by_name: &'static [u16],
}

impl AttrSet {
    /// The specification's name of the set (`link-attrs`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The name of the family the set belongs to (`rt-link`).
    pub const fn family(&self) -> &'static str {
        self.family
    }

    /// The set this one takes a subset of, with the same numbers.
    pub const fn subset_of(&self) -> Option<&'static str> {
        self.subset_of
    }

    /// The attributes in number order.
    pub const fn attrs(&self) -> &'static [AttrSpec] {
        self.attrs
    }

    /// The attribute numbered `number`.
    pub fn by_number(&self, number: u16) -> Option<&'static AttrSpec> {
        let attrs = self.attrs;
        attrs
            .binary_search_by_key(&number, |a| a.number)
            .ok()
            .and_then(|i| attrs.get(i))
    }

    /// The attribute the specification names `name` (`ifname`).
    pub fn by_name(&self, name: &str) -> Option<&'static AttrSpec> {
        let attrs = self.attrs;
        let i = self
            .by_name
            .binary_search_by(|&i| attrs.get(i as usize).map_or("", |a| a.name).cmp(name))
            .ok()?;
        attrs.get(*self.by_name.get(i)? as usize)
    }

    /// The attribute whose C name is `c_name` (`IFLA_IFNAME`): a linear
    /// search.
    pub fn by_c_name(&self, c_name: &str) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|a| a.c_name == c_name)
    }

    /// The format of the sub-message attribute `spec` of this set, chosen
    /// by the value of its selector among `siblings` (the run that holds
    /// the sub-message attribute): a string selector by its text, an
    /// integer selector (read in its byte order) by the name of its enum
    /// entry. `None` when `spec`
    /// is no sub-message, the selector is absent or unreadable, or no
    /// format has its value.
    pub fn sub_message_format(
        &self,
        spec: &AttrSpec,
        siblings: Attrs<'_>,
    ) -> Option<&'static Format> {
        let sub = spec.sub_message?;
        let selector = self.by_name(spec.selector?)?;
        let attr: Attr<'_> = siblings
            .flatten()
            .filter(|a| a.kind() == selector.number)
            .last()?;
        if selector.attr_type == AttrType::String {
            return sub.format(attr.str().ok()?);
        }
        let big = selector.byte_order == ByteOrder::Big;
        let value = match attr.payload().len() {
            1 => attr.u8().ok()? as u64,
            2 if big => attr.u16_be().ok()? as u64,
            2 => attr.u16().ok()? as u64,
            4 if big => attr.u32_be().ok()? as u64,
            4 => attr.u32().ok()? as u64,
            8 if big => attr.u64_be().ok()?,
            8 => attr.u64().ok()?,
            _ => return None,
        };
        sub.format(selector.enumeration?.name_of(value)?)
    }
}

impl fmt::Debug for AttrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only names: sets refer to one another, cycles included.
        f.debug_struct("AttrSet")
            .field("family", &self.family)
            .field("name", &self.name)
            .field("attrs", &self.attrs.len())
            .finish()
    }
}

/// One format of a [`SubMessage`].
#[derive(Copy, Clone, Debug)]
pub struct Format {
    value: &'static str,
    attr_set: Option<&'static AttrSet>,
    fixed_header: Option<&'static StructSpec>,
}

impl Format {
    /// The selector's value that chooses this format (`bond`).
    pub const fn value(&self) -> &'static str {
        self.value
    }

    /// The set of the attributes, if the format has any.
    pub const fn attr_set(&self) -> Option<&'static AttrSet> {
        self.attr_set
    }

    /// The fixed header before the attributes, if any.
    pub const fn fixed_header(&self) -> Option<&'static StructSpec> {
        self.fixed_header
    }
}

/// A sub-message: attribute sets chosen by another attribute's value.
#[derive(Copy, Clone, Debug)]
pub struct SubMessage {
    name: &'static str,
    formats: &'static [Format],
}

impl SubMessage {
    /// The specification's name (`linkinfo-data-msg`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The formats, sorted by value.
    pub const fn formats(&self) -> &'static [Format] {
        self.formats
    }

    /// The format for the selector's value `value`.
    pub fn format(&self, value: &str) -> Option<&'static Format> {
        let formats = self.formats;
        formats
            .binary_search_by(|f| f.value.cmp(value))
            .ok()
            .and_then(|i| formats.get(i))
    }
}

/// An entry of an [`EnumSpec`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EnumEntry {
    name: &'static str,
    c_name: &'static str,
    value: u64,
}

impl EnumEntry {
    /// The specification's name (`up`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The kernel's C name (`IF_OPER_UP`).
    pub const fn c_name(&self) -> &'static str {
        self.c_name
    }

    /// The value; for a flag set, the flag's mask (not its bit number).
    pub const fn value(&self) -> u64 {
        self.value
    }
}

/// An enum or a set of flags (`definitions` of `type: enum` or `flags`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EnumSpec {
    name: &'static str,
    flags: bool,
    entries: &'static [EnumEntry],
}

impl EnumSpec {
    /// The specification's name (`operstate`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Are the entries flag bits rather than values?
    pub const fn is_flags(&self) -> bool {
        self.flags
    }

    /// The entries, in the specification's order.
    pub const fn entries(&self) -> &'static [EnumEntry] {
        self.entries
    }

    /// The name of the entry whose value (for flags: mask) is `value`.
    pub fn name_of(&self, value: u64) -> Option<&'static str> {
        self.entries
            .iter()
            .find(|e| e.value == value)
            .map(|e| e.name)
    }

    /// The value (for flags: mask) of the entry named `name`.
    pub fn value_of(&self, name: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value)
    }
}

/// A member of a [`StructSpec`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Member {
    name: &'static str,
    member_type: AttrType,
    byte_order: ByteOrder,
    offset: u16,
    len: u16,
    enumeration: Option<&'static EnumSpec>,
    display: DisplayHint,
}

impl Member {
    /// The specification's name (`ifi-index`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The type: an integer, [`Binary`](AttrType::Binary) bytes (or a
    /// nested struct) or [`Pad`](AttrType::Pad).
    pub const fn member_type(&self) -> AttrType {
        self.member_type
    }

    /// The byte order of an integer.
    pub const fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// The offset in the struct, in bytes.
    pub const fn offset(&self) -> usize {
        self.offset as usize
    }

    /// The size in bytes.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Is the member zero bytes long?
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The enum or flag set of an integer member (`ifi-flags`' are the
    /// `ifinfo-flags`).
    pub const fn enumeration(&self) -> Option<&'static EnumSpec> {
        self.enumeration
    }

    /// How the value is best shown.
    pub const fn display_hint(&self) -> DisplayHint {
        self.display
    }
}

/// A fixed layout (`definitions` of `type: struct`): a family header or
/// the payload of a binary attribute. Offsets follow C's alignment rules,
/// as the kernel's headers do.
#[derive(Copy, Clone, Debug)]
pub struct StructSpec {
    name: &'static str,
    size: u16,
    members: &'static [Member],
}

impl StructSpec {
    /// The specification's name (`ifinfomsg`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The size in bytes (C's `sizeof`).
    pub const fn size(&self) -> usize {
        self.size as usize
    }

    /// The members, in order.
    pub const fn members(&self) -> &'static [Member] {
        self.members
    }
}

/// What an [`Operation`] does (`do`, `dump`, `notify`, `event`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Modes {
    /// A `do`: one request, one reply.
    pub do_: bool,
    /// A `dump`: one request, many replies.
    pub dump: bool,
    /// A notification with the reply's layout of another operation.
    pub notify: bool,
    /// An event with its own attributes.
    pub event: bool,
}

/// An operation: a message type (netlink-raw) or command (generic netlink).
#[derive(Copy, Clone, Debug)]
pub struct Operation {
    name: &'static str,
    c_name: &'static str,
    request: Option<u16>,
    reply: Option<u16>,
    modes: Modes,
    attr_set: Option<&'static AttrSet>,
    fixed_header: Option<&'static StructSpec>,
}

impl Operation {
    /// The specification's name (`getlink`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The kernel's C name of the request (`RTM_GETLINK`), or of the
    /// notification or event.
    pub const fn c_name(&self) -> &'static str {
        self.c_name
    }

    /// The message type or command of the request.
    pub const fn request(&self) -> Option<u16> {
        self.request
    }

    /// The message type or command of the reply, notification or event.
    pub const fn reply(&self) -> Option<u16> {
        self.reply
    }

    /// What the operation does.
    pub const fn modes(&self) -> Modes {
        self.modes
    }

    /// The set of the message's attributes.
    pub const fn attr_set(&self) -> Option<&'static AttrSet> {
        self.attr_set
    }

    /// The fixed header after `nlmsghdr` (netlink-raw) or after
    /// `genlmsghdr` (generic netlink), if any.
    pub const fn fixed_header(&self) -> Option<&'static StructSpec> {
        self.fixed_header
    }
}

/// A multicast group.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct McastGroup {
    name: &'static str,
    value: Option<u32>,
}

impl McastGroup {
    /// The name (for generic netlink: the name `nlctrl` resolves).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The group number of a netlink-raw family (`RTNLGRP_LINK`); generic
    /// netlink numbers its groups at run time.
    pub const fn value(&self) -> Option<u32> {
        self.value
    }
}

/// A netlink family as its specification describes it.
#[derive(Copy, Clone)]
pub struct Family {
    name: &'static str,
    protocol: Protocol,
    attr_sets: &'static [&'static AttrSet],
    operations: &'static [Operation],
    mcast_groups: &'static [McastGroup],
    enums: &'static [&'static EnumSpec],
    structs: &'static [&'static StructSpec],
    sub_messages: &'static [&'static SubMessage],
}

impl Family {
    /// The specification's name (`rt-link`, `nlctrl`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How the family is reached.
    pub const fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The attribute sets, sorted by name.
    pub const fn attr_sets(&self) -> &'static [&'static AttrSet] {
        self.attr_sets
    }

    /// The operations, in the specification's order.
    pub const fn operations(&self) -> &'static [Operation] {
        self.operations
    }

    /// The multicast groups.
    pub const fn mcast_groups(&self) -> &'static [McastGroup] {
        self.mcast_groups
    }

    /// The enums and flag sets, sorted by name.
    pub const fn enums(&self) -> &'static [&'static EnumSpec] {
        self.enums
    }

    /// The fixed layouts, sorted by name.
    pub const fn structs(&self) -> &'static [&'static StructSpec] {
        self.structs
    }

    /// The sub-messages, sorted by name.
    pub const fn sub_messages(&self) -> &'static [&'static SubMessage] {
        self.sub_messages
    }

    /// The attribute set named `name`.
    pub fn attr_set(&self, name: &str) -> Option<&'static AttrSet> {
        let sets = self.attr_sets;
        sets.binary_search_by(|s| s.name.cmp(name))
            .ok()
            .and_then(|i| sets.get(i).copied())
    }

    /// The enum or flag set named `name`.
    pub fn enumeration(&self, name: &str) -> Option<&'static EnumSpec> {
        let enums = self.enums;
        enums
            .binary_search_by(|e| e.name.cmp(name))
            .ok()
            .and_then(|i| enums.get(i).copied())
    }

    /// The fixed layout named `name`.
    pub fn structure(&self, name: &str) -> Option<&'static StructSpec> {
        let structs = self.structs;
        structs
            .binary_search_by(|s| s.name.cmp(name))
            .ok()
            .and_then(|i| structs.get(i).copied())
    }

    /// The operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|o| o.name == name)
    }

    /// The operation whose request has message type (or command) `value`.
    pub fn operation_by_request(&self, value: u16) -> Option<&'static Operation> {
        self.operations.iter().find(|o| o.request == Some(value))
    }

    /// The operation whose reply, notification or event has message type
    /// (or command) `value`, preferring one that names its attributes.
    pub fn operation_by_reply(&self, value: u16) -> Option<&'static Operation> {
        let mut matching = self.operations.iter().filter(|o| o.reply == Some(value));
        let first = matching.clone().next();
        matching.find(|o| o.attr_set.is_some()).or(first)
    }
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("attr_sets", &self.attr_sets.len())
            .field("operations", &self.operations.len())
            .finish()
    }
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
