//! The policy check of the strict path ([`RawView::parse_checked`],
//! [`RawView::check`], [`check_attrs`]; into nests, [`check_attrs_deep`]):
//! each attribute a set knows against its spec's [policy](AttrSpec::policy), the common types decided by one
//! byte (their check code) instead of the policy.
//!
//! [`RawView::parse_checked`]: super::RawView::parse_checked
//! [`RawView::check`]: super::RawView::check

use super::super::{AttrSet, AttrSpec, AttrType, DisplayHint, Format};
use super::{SlotIndex, attrs_after_header};
use crate::netlink::{Attr, Attrs, MAX_NESTING};
use crate::{Error, ErrorKind, PolicyViolation};

/// Checks every attribute of `attrs` that `set` describes against its
/// spec's [policy](AttrSpec::policy), in order: sizes and length limits,
/// not the contents of nests; `uint`/`sint` 4 or 8 bytes, addresses by
/// their display hint 4 or 16 (what the typed getters read). The first
/// framing error or violation is the `Err`, at the attribute's offset as
/// `attrs` counts it; attributes the set does not describe are no error.
///
/// What [`RawView::check`](super::RawView::check) runs, and what
/// [`RawView::parse_checked`](super::RawView::parse_checked) and
/// [`SetView::from_attrs_checked`](super::SetView::from_attrs_checked)
/// check in their one pass; every attribute of a run that passes reads by
/// its spec ([`RawView::value`](super::RawView::value)).
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use procslink::families::{rt_link, view::check_attrs};
/// use procslink::netlink::Attrs;
///
/// // IFLA_MTU (4) with 2 bytes instead of 4.
/// let run = [6u8, 0, 4, 0, 0xdc, 5, 0, 0];
/// let err = check_attrs(&rt_link::SET_LINK_ATTRS, Attrs::new(&run)).unwrap_err();
/// assert_eq!(err.offset(), 0);
/// # }
/// ```
pub fn check_attrs(set: &AttrSet, attrs: Attrs<'_>) -> Result<(), Error> {
    let specs = set.attrs();
    let index = SlotIndex::of(specs);
    for attr in attrs {
        let attr = attr?;
        if let Some(spec) = index.get(attr.kind()).and_then(|i| specs.get(i)) {
            check(spec, &attr)?;
        }
    }
    Ok(())
}

/// [`check_attrs`], and the contents of every nest the set describes,
/// recursively: a nest by its nested set, each entry of an indexed array
/// or a nest-type-value (a nest by the nested set, a scalar by its size),
/// and a sub-message by the format its selector names among its siblings
/// (its fixed header's size, then its attributes). What the kernel's
/// strict validation does with a policy's nested policies; nests are
/// followed [`MAX_NESTING`] levels deep, deeper is
/// [`ErrorKind::NestingTooDeep`] (a message can nest thousands of levels,
/// and no specification nests more than a few). The first violation is the
/// `Err`, at its offset as `attrs` counts.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use procslink::families::{rt_link, view::{check_attrs, check_attrs_deep}};
/// use procslink::netlink::Attrs;
///
/// // IFLA_LINKINFO (18, nested) holding IFLA_INFO_KIND (1) "vlan" and
/// // IFLA_INFO_DATA (2, nested) holding IFLA_VLAN_ID (1) with 1 byte
/// // instead of 2.
/// let run = [
///     28u8, 0, 18, 0x80, // linkinfo
///     9, 0, 1, 0, b'v', b'l', b'a', b'n', 0, 0, 0, 0, // kind "vlan"
///     12, 0, 2, 0x80, // data
///     5, 0, 1, 0, 42, 0, 0, 0, // vlan id: 1 byte
/// ];
/// // The shallow check sees a well-formed nest,
/// check_attrs(&rt_link::SET_LINK_ATTRS, Attrs::new(&run))?;
/// // the deep one the vlan id inside it, at its offset.
/// let err = check_attrs_deep(&rt_link::SET_LINK_ATTRS, Attrs::new(&run)).unwrap_err();
/// assert_eq!(err.offset(), 20);
/// # }
/// # Ok::<(), procslink::Error>(())
/// ```
pub fn check_attrs_deep(set: &AttrSet, attrs: Attrs<'_>) -> Result<(), Error> {
    check_run(set, attrs, 0)
}

/// The run `attrs` of `set`, `depth` nests down.
fn check_run(set: &AttrSet, attrs: Attrs<'_>, depth: usize) -> Result<(), Error> {
    let specs = set.attrs();
    let index = SlotIndex::of(specs);
    for attr in attrs.clone() {
        let attr = attr?;
        if let Some(spec) = index.get(attr.kind()).and_then(|i| specs.get(i)) {
            check(spec, &attr)?;
            check_inside(set, spec, &attr, attrs.clone(), depth)?;
        }
    }
    Ok(())
}

/// What `attr` (of `spec`, in a run of `set` whose attributes are
/// `siblings`) holds, if it is a nest the set describes.
fn check_inside(
    set: &AttrSet,
    spec: &AttrSpec,
    attr: &Attr<'_>,
    siblings: Attrs<'_>,
    depth: usize,
) -> Result<(), Error> {
    let ty = spec.attr_type();
    if !matches!(
        ty,
        AttrType::Nest | AttrType::IndexedArray | AttrType::NestTypeValue | AttrType::SubMessage
    ) {
        return Ok(());
    }
    if depth >= MAX_NESTING {
        return Err(Error::new(
            ErrorKind::NestingTooDeep {
                max_depth: MAX_NESTING,
            },
            attr.offset(),
        ));
    }
    match ty {
        AttrType::Nest => match spec.nested() {
            Some(nested) => check_run(nested, attr.nested(), depth + 1),
            None => Ok(()),
        },
        AttrType::SubMessage => match set.sub_message_format(spec, siblings) {
            Some(format) => check_format(format, attr, depth),
            None => Ok(()),
        },
        _ => check_entries(spec, attr, depth),
    }
}

/// The entries of an indexed array or a nest-type-value.
fn check_entries(spec: &AttrSpec, attr: &Attr<'_>, depth: usize) -> Result<(), Error> {
    let entry_type = spec.sub_type().unwrap_or(AttrType::Nest);
    for entry in attr.nested() {
        let entry = entry?;
        if entry_type == AttrType::Nest {
            if let Some(nested) = spec.nested() {
                check_run(nested, entry.nested(), depth + 1)?;
            }
        } else if let Some(size) = entry_type.fixed_size()
            && entry.payload().len() != size
        {
            return Err(Error::new(
                ErrorKind::Policy {
                    attr_type: entry.kind(),
                    violation: PolicyViolation::WrongSize {
                        expected: size,
                        found: entry.payload().len(),
                    },
                },
                entry.offset(),
            ));
        }
    }
    Ok(())
}

/// A sub-message in the format its selector chose: the fixed header's
/// size, then the attributes after it (padded to 4).
fn check_format(format: &Format, attr: &Attr<'_>, depth: usize) -> Result<(), Error> {
    let payload = attr.payload();
    let header = format.fixed_header().map_or(0, |h| h.size());
    if payload.len() < header {
        return Err(Error::new(
            ErrorKind::Truncated {
                needed: header,
                available: payload.len(),
            },
            attr.offset(),
        ));
    }
    match format.attr_set() {
        Some(set) => check_run(set, attrs_after_header(attr, header), depth + 1),
        None => Ok(()),
    }
}

/// Checks `attr` against `spec`'s [policy](AttrSpec::policy) and
/// [`wrong_width`]. The common cases (a fixed-size integer or flag, an
/// address of a fixed width, a `uint`/`sint`, a nest or a binary, without
/// length checks) pass by their code (see [`code_of`]) without building
/// the policy; everything else, and every failure, is [`refuse`]'s.
#[inline]
pub(super) fn check(spec: &AttrSpec, attr: &Attr<'_>) -> Result<(), Error> {
    let code = code_of(spec);
    let payload = attr.payload();
    let len = payload.len();
    let passes = if code <= MAX_EXACT {
        usize::from(code) == len
    } else if code == ANY {
        true
    } else if code == WIDTH_4_8 {
        len == 4 || len == 8
    } else if code == WIDTH_4_16 {
        len == 4 || len == 16
    } else {
        code == STRING && payload.last() == Some(&0)
    };
    if passes {
        Ok(())
    } else {
        // The attribute in its parts, by value: nothing of it is stored
        // for the cold call on the way through the common case.
        refuse(spec, code, attr.raw_type(), payload, attr.offset())
    }
}

/// [`check`]'s verdict where the code does not pass the attribute: the
/// size a code stands for, or the policy's (out of line: the loop that
/// calls `check` keeps its registers).
#[cold]
#[inline(never)]
fn refuse(
    spec: &AttrSpec,
    code: u8,
    raw_type: u16,
    payload: &[u8],
    offset: usize,
) -> Result<(), Error> {
    let attr = Attr::from_parts(raw_type, payload, offset);
    let len = payload.len();
    let expected = if code <= MAX_EXACT {
        usize::from(code)
    } else if code == WIDTH_4_8 {
        8
    } else if code == WIDTH_4_16 {
        16
    } else {
        spec.policy().check_shallow(&attr)?;
        match wrong_width(spec, len) {
            Some(expected) => expected,
            None => return Ok(()),
        }
    };
    Err(Error::new(
        ErrorKind::Policy {
            attr_type: attr.kind(),
            violation: PolicyViolation::WrongSize {
                expected,
                found: len,
            },
        },
        attr.offset(),
    ))
}

/// The code [`check`] decides by for `spec` (see [`quick`]): one load
/// from [`QUICK`] when the spec has no length checks.
#[inline]
fn code_of(spec: &AttrSpec) -> u8 {
    let checks = spec.checks();
    if checks.min_len().is_none() && checks.max_len().is_none() && checks.exact_len().is_none() {
        QUICK
            .get(spec.attr_type() as usize)
            .and_then(|by_hint| by_hint.get(spec.display_hint() as usize))
            .copied()
            .unwrap_or(POLICY)
    } else {
        POLICY
    }
}

/// Every attribute type, in declaration order (`TYPES[t as usize] == t`).
const TYPES: [AttrType; 20] = [
    AttrType::Unused,
    AttrType::Pad,
    AttrType::Flag,
    AttrType::U8,
    AttrType::U16,
    AttrType::U32,
    AttrType::U64,
    AttrType::S8,
    AttrType::S16,
    AttrType::S32,
    AttrType::S64,
    AttrType::Uint,
    AttrType::Sint,
    AttrType::String,
    AttrType::Binary,
    AttrType::Nest,
    AttrType::IndexedArray,
    AttrType::NestTypeValue,
    AttrType::SubMessage,
    AttrType::Bitfield32,
];

/// Every display hint, in declaration order (`HINTS[h as usize] == h`).
const HINTS: [DisplayHint; 7] = [
    DisplayHint::None,
    DisplayHint::Mac,
    DisplayHint::Ipv4,
    DisplayHint::Ipv6,
    DisplayHint::Ipv4OrV6,
    DisplayHint::Hex,
    DisplayHint::Uuid,
];

/// [`quick`] of every type and display hint, by their discriminants.
const QUICK: [[u8; HINTS.len()]; TYPES.len()] = {
    let mut table = [[POLICY; HINTS.len()]; TYPES.len()];
    let mut t = 0;
    while t < TYPES.len() {
        let mut h = 0;
        while h < HINTS.len() {
            table[t][h] = quick(TYPES[t], HINTS[h]);
            h += 1;
        }
        t += 1;
    }
    table
};

/// [`check`]'s verdict for a type without length checks: the payload size
/// a fixed-size type or a fixed-width address must have (at most
/// [`MAX_EXACT`]), any payload ([`ANY`]), 4 or 8 bytes for `uint`/`sint`
/// ([`WIDTH_4_8`]) and 4 or 16 for an IPv4-or-IPv6 address
/// ([`WIDTH_4_16`]), a string that ends in its NUL or else the policy
/// ([`STRING`]), or ask the policy ([`POLICY`]). The widths are
/// [`wrong_width`]'s. A `match` of constants: the compiler makes it a table.
const fn quick(ty: AttrType, hint: DisplayHint) -> u8 {
    match (ty, hint) {
        (AttrType::Flag, _) => 0,
        (AttrType::U8 | AttrType::S8, _) => 1,
        (AttrType::U16 | AttrType::S16, _) => 2,
        (AttrType::U32 | AttrType::S32, _) => 4,
        (AttrType::U64 | AttrType::S64, _) => 8,
        (AttrType::Uint | AttrType::Sint, _) => WIDTH_4_8,
        (AttrType::Binary, DisplayHint::Ipv4) => 4,
        (AttrType::Binary, DisplayHint::Ipv6) => 16,
        (AttrType::Binary, DisplayHint::Ipv4OrV6) => WIDTH_4_16,
        (AttrType::Binary, _) => ANY,
        (AttrType::String, _) => STRING,
        (
            AttrType::Unused
            | AttrType::Pad
            | AttrType::Nest
            | AttrType::IndexedArray
            | AttrType::NestTypeValue
            | AttrType::SubMessage,
            _,
        ) => ANY,
        (AttrType::Bitfield32, _) => POLICY,
    }
}
/// The largest exact payload size a code stands for (an IPv6 address).
const MAX_EXACT: u8 = 16;
const WIDTH_4_8: u8 = 0xfa;
const WIDTH_4_16: u8 = 0xfb;
const STRING: u8 = 0xfc;
const ANY: u8 = 0xfd;
const POLICY: u8 = 0xff;

/// The widths the typed getters read beyond the length policy: `uint` and
/// `sint` are 4 or 8 bytes (as the kernel checks `NLA_UINT`), addresses by
/// their display hint 4 or 16. Returns the width expected if `len` is not
/// one.
fn wrong_width(spec: &AttrSpec, len: usize) -> Option<usize> {
    let (a, b) = match (spec.attr_type(), spec.display_hint()) {
        (AttrType::Uint | AttrType::Sint, _) => (4, 8),
        (AttrType::Binary, DisplayHint::Ipv4) => (4, 4),
        (AttrType::Binary, DisplayHint::Ipv6) => (16, 16),
        (AttrType::Binary, DisplayHint::Ipv4OrV6) => (4, 16),
        _ => return None,
    };
    (len != a && len != b).then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables are indexed by discriminant: each entry is its own.
    #[test]
    fn the_tables_are_in_declaration_order() {
        for (i, ty) in TYPES.iter().enumerate() {
            assert_eq!(*ty as usize, i, "{ty}");
        }
        for (i, hint) in HINTS.iter().enumerate() {
            assert_eq!(*hint as usize, i, "{hint:?}");
        }
    }

    /// The quick verdict is the policy's, for every type, every display
    /// hint, and payload length up to 20 (NULs, no NUL, a NUL first),
    /// without length checks.
    #[test]
    fn the_quick_check_agrees_with_the_policy() {
        let mut nul_first = [b'a'; 20];
        nul_first[0] = 0;
        for payload in [[0u8; 20], [b'a'; 20], nul_first] {
            for ty in TYPES {
                for display in HINTS {
                    let spec = AttrSpec {
                        attr_type: ty,
                        display,
                        ..AttrSpec::DEFAULT
                    };
                    for len in 0..=payload.len() {
                        let attr = Attr::from_parts(1, &payload[..len], 0);
                        let quick = check(&spec, &attr).is_ok();
                        let policy = spec.policy().check_shallow(&attr).is_ok()
                            && wrong_width(&spec, len).is_none();
                        assert_eq!(quick, policy, "{ty} {display:?} with {:?}", &payload[..len]);
                    }
                }
            }
        }
    }
}
