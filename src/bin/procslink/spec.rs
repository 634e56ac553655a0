//! What the kernel's specifications say a message holds, from the
//! generated tables of [`procslink::families`]: which family and operation
//! a message belongs to, its fixed header, its attribute set, and how each
//! value reads (integer size and byte order, enum names, display hints).
//! The tree (`tree.rs`) and the ynl-style JSON (`ynl.rs`) both print from
//! here.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use procslink::families::{
    self, AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, EnumSpec, Family, Member, Operation,
    Protocol as FamilyProtocol, StructSpec,
};
use procslink::netlink::display::Protocol;
use procslink::netlink::genl::GENL_ID_CTRL;
use procslink::netlink::{Attrs, GenlMsgHdr, Message};

/// Where a message's attributes start and what names them.
#[derive(Copy, Clone, Debug)]
pub struct Layout {
    /// The operation whose reply (or request) the message is.
    pub op: Option<&'static Operation>,
    /// The set of the message's attributes.
    pub set: Option<&'static AttrSet>,
    /// The fixed header after `nlmsghdr` (after `genlmsghdr` for generic
    /// netlink).
    pub fixed: Option<&'static StructSpec>,
    /// The offset of the fixed header in the payload (4 after `genlmsghdr`).
    pub fixed_at: usize,
    /// The bytes of the payload before the attributes.
    pub header_len: usize,
}

/// The generic netlink family a capture's dynamic ids belong to (all but
/// the controller's), chosen by name.
pub fn genl_family(name: &str) -> Result<&'static Family, String> {
    match families::family(name) {
        Some(f) if matches!(f.protocol(), FamilyProtocol::Genetlink { .. }) => Ok(f),
        Some(_) => Err(format!(
            "family {name:?} is not a generic netlink family (it has a protocol number)"
        )),
        None => {
            let known: Vec<&str> = families::FAMILIES
                .iter()
                .filter(|f| matches!(f.protocol(), FamilyProtocol::Genetlink { .. }))
                .map(|f| f.name())
                .collect();
            Err(format!(
                "no specification of a generic netlink family named {name:?} (known: {})",
                known.join(", ")
            ))
        }
    }
}

/// The operation of `family` whose reply (else request) is `value`.
fn operation(family: &'static Family, value: u16) -> Option<&'static Operation> {
    family
        .operation_by_reply(value)
        .or_else(|| family.operation_by_request(value))
}

/// The layout of a message of a family (not a control message), if the
/// protocol gives it a family header. `family` names the family the
/// messages belong to where the protocol alone does not say: the generic
/// netlink family of ids other than the controller's, or the netlink-raw
/// family of a protocol other than rtnetlink (`conntrack`, `nftables`).
pub fn layout(
    msg: &Message<'_>,
    protocol: Protocol,
    family: Option<&'static Family>,
) -> Option<Layout> {
    let ty = msg.message_type();
    if ty.is_error() || ty.is_done() {
        return None;
    }
    // The crate's own header sizes cover the types no specification
    // describes (and generic netlink's `genlmsghdr`).
    let crate_len = protocol.family_header(ty).map(|(_, len)| len);
    let mut layout = Layout {
        op: None,
        set: None,
        fixed: None,
        fixed_at: 0,
        header_len: crate_len.unwrap_or(0),
    };
    let (family, value) = match protocol {
        Protocol::Generic => {
            let genl = if ty == GENL_ID_CTRL {
                families::family("nlctrl")
            } else {
                family
            };
            let cmd = msg.genl().ok().map(|(h, _): (&GenlMsgHdr, _)| h.cmd);
            layout.fixed_at = size_of::<GenlMsgHdr>();
            (genl, cmd.map(u16::from))
        }
        Protocol::Route => {
            let raw = families::FAMILIES.iter().copied().find(|f| {
                f.protocol() == (FamilyProtocol::NetlinkRaw { protonum: 0 })
                    && operation(f, ty.0).is_some()
            });
            (raw, Some(ty.0))
        }
        _ => match family {
            Some(f) if matches!(f.protocol(), FamilyProtocol::NetlinkRaw { .. }) => {
                (Some(f), Some(ty.0))
            }
            _ => (None, None),
        },
    };
    if let (Some(family), Some(value)) = (family, value) {
        layout.op = operation(family, value);
        layout.set = layout.op.and_then(Operation::attr_set);
        layout.fixed = layout.op.and_then(Operation::fixed_header);
        if let Some(fixed) = layout.fixed {
            layout.header_len = layout.fixed_at + fixed.size();
        }
    }
    (crate_len.is_some() || layout.fixed.is_some()).then_some(layout)
}

/// The value of the selector of the sub-message attribute `spec` of `set`
/// among `siblings`, as text (`vxlan`), whether or not a format has it.
pub fn selector_value(set: &AttrSet, spec: &AttrSpec, siblings: Attrs<'_>) -> Option<String> {
    let selector = set.by_name(spec.selector()?)?;
    let attr = siblings
        .flatten()
        .filter(|a| a.kind() == selector.number())
        .last()?;
    if selector.attr_type() == AttrType::String {
        let text = attr.payload().split(|&b| b == 0).next().unwrap_or(&[]);
        return Some(String::from_utf8_lossy(text).into_owned());
    }
    int(attr.payload(), selector.attr_type(), selector.byte_order()).map(|v| v.to_string())
}

/// An integer read as its type says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Int {
    /// An unsigned value.
    U(u64),
    /// A signed value.
    S(i64),
}

impl Int {
    /// The value's bits as unsigned (for enum and flag lookups).
    pub fn bits(self) -> u64 {
        match self {
            Int::U(v) => v,
            Int::S(v) => v as u64,
        }
    }
}

impl std::fmt::Display for Int {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Int::U(v) => write!(f, "{v}"),
            Int::S(v) => write!(f, "{v}"),
        }
    }
}

/// `bytes` as an integer of type `ty` in byte order `order`; `None` when
/// `ty` is no integer or the length does not fit it (`uint`/`sint` take
/// 4 or 8 bytes).
pub fn int(bytes: &[u8], ty: AttrType, order: ByteOrder) -> Option<Int> {
    let signed = matches!(
        ty,
        AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
    );
    let fits = match ty {
        AttrType::Uint | AttrType::Sint => matches!(bytes.len(), 4 | 8),
        _ => {
            ty.fixed_size().is_some_and(|n| n == bytes.len() && n > 0) && ty != AttrType::Bitfield32
        }
    };
    if !fits {
        return None;
    }
    let mut buf = [0u8; 8];
    let n = bytes.len();
    let value = match order {
        ByteOrder::Big => {
            buf.get_mut(8 - n..)?.copy_from_slice(bytes);
            u64::from_be_bytes(buf)
        }
        ByteOrder::Host => {
            buf.get_mut(..n)?.copy_from_slice(bytes);
            u64::from_ne_bytes(buf)
        }
    };
    if !signed {
        return Some(Int::U(value));
    }
    let shift = 64 - 8 * n as u32;
    Some(Int::S(((value << shift) as i64) >> shift))
}

/// A value's name in an enum, or `Unknown(N)` as ynl names a value the
/// enum lacks.
pub fn enum_name(e: &EnumSpec, value: u64) -> String {
    match e.name_of(value) {
        Some(name) => name.to_string(),
        None => format!("Unknown({value})"),
    }
}

/// How an integer is named: by an enum (as one value, or bit by bit) and
/// its display hint.
#[derive(Copy, Clone, Debug)]
pub struct Naming {
    /// The enum or flag set.
    pub enumeration: Option<&'static EnumSpec>,
    /// Each bit is an entry (a flag set, or `enum-as-flags`).
    pub as_flags: bool,
    /// The display hint.
    pub hint: DisplayHint,
}

impl Naming {
    /// As an attribute's specification names its value.
    pub fn of_attr(spec: &AttrSpec) -> Naming {
        let enumeration = spec.enumeration();
        Naming {
            enumeration,
            as_flags: spec.enum_as_flags() || enumeration.is_some_and(EnumSpec::is_flags),
            hint: spec.display_hint(),
        }
    }

    /// As a struct member's specification names its value.
    pub fn of_member(m: &Member) -> Naming {
        let enumeration = m.enumeration();
        Naming {
            enumeration,
            as_flags: enumeration.is_some_and(EnumSpec::is_flags),
            hint: m.display_hint(),
        }
    }
}

/// The names of the bits set in `value`, lowest bit first; a bit without
/// a name is `Unknown(BIT)` (its bit number), as ynl shows it. A flag
/// set's entries are masks; in an enum read as flags (`enum-as-flags`),
/// bit `N` is the entry whose value is `N`.
pub fn flag_names(e: &EnumSpec, value: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| value >> bit & 1 == 1)
        .map(|bit| {
            let entry = if e.is_flags() { 1u64 << bit } else { bit };
            match e.name_of(entry) {
                Some(name) => name.to_string(),
                None => format!("Unknown({bit})"),
            }
        })
        .collect()
}

/// Bytes shown as a display hint says; `None` when the hint does not
/// apply to them.
pub fn hinted_bytes(hint: DisplayHint, bytes: &[u8]) -> Option<String> {
    match hint {
        DisplayHint::Mac => Some(colon_hex(bytes)),
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => ip(bytes),
        DisplayHint::Hex => Some(spaced_hex(bytes)),
        DisplayHint::Uuid => uuid(bytes),
        DisplayHint::None => None,
    }
}

/// An integer shown as a display hint says (an IPv4 address from its
/// value, hex as `0x…`); `None` when the hint does not apply.
pub fn hinted_int(hint: DisplayHint, value: Int) -> Option<String> {
    match hint {
        DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6 => u32::try_from(value.bits())
            .ok()
            .map(|v| Ipv4Addr::from(v).to_string()),
        DisplayHint::Hex => Some(format!("{:#x}", value.bits())),
        _ => None,
    }
}

/// An IPv4 or IPv6 address, by length.
pub fn ip(bytes: &[u8]) -> Option<String> {
    if let Ok(a) = <[u8; 4]>::try_from(bytes) {
        return Some(Ipv4Addr::from(a).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|a| Ipv6Addr::from(a).to_string())
}

fn uuid(bytes: &[u8]) -> Option<String> {
    if bytes.len() != 16 {
        return None;
    }
    let hex = plain_hex(bytes);
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or("");
    Some(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

/// Lower-case hex without separators (`01ff`).
pub fn plain_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Colon-separated hex, as link-layer addresses are written.
pub fn colon_hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

/// Space-separated hex (Python's `bytes.hex(' ')`, ynl's `hex` hint).
fn spaced_hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

/// A struct member's value.
#[derive(Copy, Clone, Debug)]
pub enum MemberValue<'a> {
    /// An integer member.
    Int(Int),
    /// Bytes (a binary member, or a nested struct).
    Bytes(&'a [u8]),
}

/// The members of `spec` read from `bytes` (padding left out), as far as
/// `bytes` holds them.
pub fn members<'a>(
    spec: &'static StructSpec,
    bytes: &'a [u8],
) -> impl Iterator<Item = (&'static Member, MemberValue<'a>)> + 'a {
    spec.members().iter().filter_map(move |m| {
        if m.member_type() == AttrType::Pad {
            return None;
        }
        let raw = bytes.get(m.offset()..m.offset().checked_add(m.len())?)?;
        Some(match int(raw, m.member_type(), m.byte_order()) {
            Some(v) => (m, MemberValue::Int(v)),
            None => (m, MemberValue::Bytes(raw)),
        })
    })
}
