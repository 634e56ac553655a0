//! The tables of attribute sets: each attribute's name, number, type,
//! byte order, display hint and checks, as the specifications give them.

use core::fmt;

use crate::netlink::{Attr, AttrKind, AttrPolicy, Attrs};

use super::{EnumSpec, Format, StructSpec, SubMessage};

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
    pub(super) min_len: Option<u32>,
    pub(super) max_len: Option<u32>,
    pub(super) exact_len: Option<u32>,
    pub(super) min: Option<i64>,
    pub(super) max: Option<i64>,
    pub(super) unterminated_ok: bool,
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
    pub(super) name: &'static str,
    pub(super) c_name: &'static str,
    pub(super) number: u16,
    pub(super) attr_type: AttrType,
    pub(super) sub_type: Option<AttrType>,
    pub(super) byte_order: ByteOrder,
    pub(super) display: DisplayHint,
    pub(super) nested: Option<&'static AttrSet>,
    pub(super) sub_message: Option<&'static SubMessage>,
    pub(super) selector: Option<&'static str>,
    pub(super) enumeration: Option<&'static EnumSpec>,
    pub(super) structure: Option<&'static StructSpec>,
    pub(super) checks: Checks,
    pub(super) multi: bool,
    pub(super) enum_as_flags: bool,
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
    pub(super) name: &'static str,
    pub(super) family: &'static str,
    pub(super) subset_of: Option<&'static str>,
    pub(super) attrs: &'static [AttrSpec],
    pub(super) by_name: &'static [u16],
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
