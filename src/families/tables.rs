//! The tables of a family beyond its attribute sets: sub-messages, enums
//! and flag sets, `struct` layouts, operations, multicast groups, and the
//! family itself.

use core::fmt;

use super::{AttrSet, AttrType, ByteOrder, DisplayHint, Protocol};

/// One format of a [`SubMessage`].
#[derive(Copy, Clone, Debug)]
pub struct Format {
    pub(super) value: &'static str,
    pub(super) attr_set: Option<&'static AttrSet>,
    pub(super) fixed_header: Option<&'static StructSpec>,
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
    pub(super) name: &'static str,
    pub(super) formats: &'static [Format],
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
    pub(super) name: &'static str,
    pub(super) c_name: &'static str,
    pub(super) value: u64,
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
    pub(super) name: &'static str,
    pub(super) flags: bool,
    pub(super) entries: &'static [EnumEntry],
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
    pub(super) name: &'static str,
    pub(super) member_type: AttrType,
    pub(super) byte_order: ByteOrder,
    pub(super) offset: u16,
    pub(super) len: u16,
    pub(super) enumeration: Option<&'static EnumSpec>,
    pub(super) display: DisplayHint,
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
    pub(super) name: &'static str,
    pub(super) size: u16,
    pub(super) members: &'static [Member],
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
    pub(super) name: &'static str,
    pub(super) c_name: &'static str,
    pub(super) request: Option<u16>,
    pub(super) reply: Option<u16>,
    pub(super) modes: Modes,
    pub(super) attr_set: Option<&'static AttrSet>,
    pub(super) fixed_header: Option<&'static StructSpec>,
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
    pub(super) name: &'static str,
    pub(super) value: Option<u32>,
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
    pub(super) name: &'static str,
    pub(super) protocol: Protocol,
    pub(super) attr_sets: &'static [&'static AttrSet],
    pub(super) operations: &'static [Operation],
    pub(super) mcast_groups: &'static [McastGroup],
    pub(super) enums: &'static [&'static EnumSpec],
    pub(super) structs: &'static [&'static StructSpec],
    pub(super) sub_messages: &'static [&'static SubMessage],
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
