//! `procslink nl --json ATTRS`: a request's attributes (and fixed-header
//! members) given as a JSON object by specification name, written into the
//! request with the crate's [`MessageBuilder`] as the family's tables say.
//!
//! What each type takes is what `decode --json` prints for it, so that a
//! printed object can be sent back: integers as numbers (or `0x…` text),
//! enums by entry name, flag sets as arrays of names, strings as strings,
//! flags as `true`, binary as hex (separators `:`, `-` and spaces allowed),
//! MAC addresses and IPv4/IPv6 addresses as text where the specification
//! hints them, a binary carrying a struct as an object of its members,
//! nests as objects, multi-attributes as arrays, indexed arrays as arrays
//! (`{"INDEX": {…}}` or values), `bitfield32` as `{"value", "selector"}`
//! and sub-messages as the object of the format their selector names.

use std::net::{IpAddr, Ipv4Addr};

use procslink::families::{
    AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, EnumSpec, Member, StructSpec,
};
use procslink::netlink::{MessageBuilder, NLA_F_NESTED};
use serde_json::{Map, Value};

use crate::spec::Naming;

/// How deep nests of the JSON are followed.
const MAX_DEPTH: usize = 16;

/// Why a JSON object cannot be encoded: said in words, naming the
/// attribute and its set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(text: impl Into<String>) -> Result<T, EncodeError> {
    Err(EncodeError(text.into()))
}

fn built(e: procslink::Error) -> EncodeError {
    EncodeError(format!("the request cannot be written: {e}"))
}

/// Splits the top-level object into the fixed header's members (by
/// member name, when the attribute set has no attribute of that name) and
/// the attributes; returns the header's bytes (zeros where not given).
pub fn fixed_header(
    set: Option<&'static AttrSet>,
    header: Option<&'static StructSpec>,
    object: &Map<String, Value>,
) -> Result<(Vec<u8>, Map<String, Value>), EncodeError> {
    let mut members = Map::new();
    let mut attrs = Map::new();
    for (key, value) in object {
        let is_attr = set.is_some_and(|s| s.by_name(key).is_some());
        let is_member = header.is_some_and(|h| member(h, key).is_some());
        if is_member && !is_attr {
            members.insert(key.clone(), value.clone());
        } else {
            attrs.insert(key.clone(), value.clone());
        }
    }
    let bytes = match header {
        Some(h) => structure(h, &members)?,
        None => Vec::new(),
    };
    Ok((bytes, attrs))
}

fn member(s: &'static StructSpec, name: &str) -> Option<&'static Member> {
    s.members()
        .iter()
        .find(|m| m.name() == name && m.member_type() != AttrType::Pad)
}

/// A struct's bytes from an object of its members (zeros where absent).
pub fn structure(
    s: &'static StructSpec,
    object: &Map<String, Value>,
) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = vec![0u8; s.size()];
    for (key, value) in object {
        let Some(m) = member(s, key) else {
            let known: Vec<&str> = s
                .members()
                .iter()
                .filter(|m| m.member_type() != AttrType::Pad)
                .map(Member::name)
                .collect();
            return fail(format!(
                "struct {} has no member {key:?} (its members: {})",
                s.name(),
                known.join(", ")
            ));
        };
        let what = format!("member {key:?} of struct {}", s.name());
        let encoded = if is_int(m.member_type()) {
            int(
                m.member_type(),
                m.byte_order(),
                Naming::of_member(m),
                &Checks::none(),
                value,
                &what,
            )?
        } else {
            bytes_of(value, m.display_hint(), &what)?
        };
        if encoded.len() != m.len() {
            return fail(format!(
                "{what} takes {} bytes, {} were given",
                m.len(),
                encoded.len()
            ));
        }
        let Some(dst) = bytes.get_mut(m.offset()..m.offset() + m.len()) else {
            return fail(format!("{what} lies outside the struct"));
        };
        dst.copy_from_slice(&encoded);
    }
    Ok(bytes)
}

/// Writes the attributes of `object` (each a name of `set`) into `m`.
pub fn attrs(
    m: &mut MessageBuilder<'_, '_>,
    set: &'static AttrSet,
    object: &Map<String, Value>,
    depth: usize,
) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return fail(format!("nests deeper than {MAX_DEPTH} levels"));
    }
    for (key, value) in object {
        let Some(spec) = set.by_name(key) else {
            let known: Vec<&str> = set
                .attrs()
                .iter()
                .filter(|a| !matches!(a.attr_type(), AttrType::Unused | AttrType::Pad))
                .map(AttrSpec::name)
                .collect();
            return fail(format!(
                "attribute set {} has no attribute {key:?} (its attributes: {})",
                set.name(),
                known.join(", ")
            ));
        };
        match (spec.multi_attr(), value) {
            (true, Value::Array(items)) => {
                for item in items {
                    attr(m, set, spec, item, object, depth)?;
                }
            }
            _ => attr(m, set, spec, value, object, depth)?,
        }
    }
    Ok(())
}

/// Writes one attribute; `siblings` is the object it is in (where a
/// sub-message finds its selector).
fn attr(
    m: &mut MessageBuilder<'_, '_>,
    set: &'static AttrSet,
    spec: &'static AttrSpec,
    value: &Value,
    siblings: &Map<String, Value>,
    depth: usize,
) -> Result<(), EncodeError> {
    let what = format!("attribute {:?} of set {}", spec.name(), set.name());
    let ty = spec.number();
    match spec.attr_type() {
        AttrType::Unused | AttrType::Pad => fail(format!(
            "{what} is {} and carries no value",
            spec.attr_type()
        )),
        AttrType::Flag => match value {
            Value::Bool(true) => m.put_flag(ty).map_err(built),
            Value::Bool(false) => Ok(()),
            _ => fail(format!(
                "{what} is a flag: give true (or false to leave it out)"
            )),
        },
        AttrType::String => match value {
            Value::String(s) => {
                if let Some(max) = spec.checks().max_len()
                    && s.len() > max as usize
                {
                    return fail(format!(
                        "{what} is at most {max} bytes long, {:?} is {}",
                        s,
                        s.len()
                    ));
                }
                if s.contains('\0') {
                    return fail(format!("{what} cannot hold a NUL character"));
                }
                m.put_str(ty, s).map_err(built)
            }
            _ => fail(format!("{what} is a string, not {value}")),
        },
        AttrType::Binary => {
            let bytes = binary(spec, value, &what)?;
            m.put(ty, &bytes).map_err(built)
        }
        AttrType::Nest => {
            let Some(nested) = spec.nested() else {
                return fail(format!("{what} is a nest of no known set"));
            };
            let object = as_object(value, &what)?;
            let mut n = m.nest(ty | NLA_F_NESTED).map_err(built)?;
            attrs(&mut n, nested, object, depth + 1)?;
            n.end().map_err(built)
        }
        AttrType::IndexedArray => indexed_array(m, spec, value, &what, depth),
        AttrType::NestTypeValue => {
            let Some(nested) = spec.nested() else {
                return fail(format!("{what} is a nest of no known set"));
            };
            let mut n = m.nest(ty | NLA_F_NESTED).map_err(built)?;
            for (index, entry) in as_object(value, &what)? {
                let Ok(index) = index.parse::<u16>() else {
                    return fail(format!("{what}: entry {index:?} is not a type number"));
                };
                let mut e = n.nest(index | NLA_F_NESTED).map_err(built)?;
                attrs(&mut e, nested, as_object(entry, &what)?, depth + 1)?;
                e.end().map_err(built)?;
            }
            n.end().map_err(built)
        }
        AttrType::SubMessage => sub_message(m, set, spec, value, siblings, &what, depth),
        AttrType::Bitfield32 => {
            let object = as_object(value, &what)?;
            let naming = Naming {
                hint: DisplayHint::None,
                ..Naming::of_attr(spec)
            };
            let mut bytes = Vec::with_capacity(8);
            for part in ["value", "selector"] {
                let Some(v) = object.get(part) else {
                    return fail(format!(
                        "{what} is a bitfield32: give {{\"value\": …, \"selector\": …}}"
                    ));
                };
                bytes.extend(int(
                    AttrType::U32,
                    ByteOrder::Host,
                    naming,
                    &Checks::none(),
                    v,
                    &what,
                )?);
            }
            m.put(ty, &bytes).map_err(built)
        }
        t => {
            let checks = Checks(*spec.checks());
            let bytes = int(
                t,
                spec.byte_order(),
                Naming::of_attr(spec),
                &checks,
                value,
                &what,
            )?;
            m.put(ty, &bytes).map_err(built)
        }
    }
}

fn as_object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, EncodeError> {
    match value {
        Value::Object(o) => Ok(o),
        _ => fail(format!("{what} is a nest: give an object, not {value}")),
    }
}

fn indexed_array(
    m: &mut MessageBuilder<'_, '_>,
    spec: &'static AttrSpec,
    value: &Value,
    what: &str,
    depth: usize,
) -> Result<(), EncodeError> {
    let Value::Array(items) = value else {
        return fail(format!(
            "{what} is an indexed array: give an array, not {value}"
        ));
    };
    let mut n = m.nest(spec.number() | NLA_F_NESTED).map_err(built)?;
    for (position, item) in items.iter().enumerate() {
        let position = u16::try_from(position)
            .map_err(|_| EncodeError(format!("{what} has too many entries")))?;
        match spec.sub_type() {
            None | Some(AttrType::Nest) => {
                let Some(nested) = spec.nested() else {
                    return fail(format!("{what} is an array of nests of no known set"));
                };
                let object = as_object(item, what)?;
                // `{"INDEX": {…}}`, as decode prints it, or the nest alone.
                let (index, body) = match object.iter().next() {
                    Some((k, Value::Object(body)))
                        if object.len() == 1 && k.parse::<u16>().is_ok() =>
                    {
                        (k.parse::<u16>().unwrap_or(position), body)
                    }
                    _ => (position, object),
                };
                let mut e = n.nest(index | NLA_F_NESTED).map_err(built)?;
                attrs(&mut e, nested, body, depth + 1)?;
                e.end().map_err(built)?;
            }
            Some(ty) => {
                let bytes = if is_int(ty) {
                    int(
                        ty,
                        spec.byte_order(),
                        Naming::of_attr(spec),
                        &Checks::none(),
                        item,
                        what,
                    )?
                } else {
                    bytes_of(item, spec.display_hint(), what)?
                };
                n.put(position, &bytes).map_err(built)?;
            }
        }
    }
    n.end().map_err(built)
}

fn sub_message(
    m: &mut MessageBuilder<'_, '_>,
    set: &'static AttrSet,
    spec: &'static AttrSpec,
    value: &Value,
    siblings: &Map<String, Value>,
    what: &str,
    depth: usize,
) -> Result<(), EncodeError> {
    let (Some(sub), Some(selector)) = (spec.sub_message(), spec.selector()) else {
        return fail(format!("{what} is a sub-message without a format table"));
    };
    let chosen = match siblings.get(selector) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return fail(format!(
                "{what} is a sub-message chosen by {selector:?}: give {selector:?} beside it in set {}",
                set.name()
            ));
        }
    };
    let Some(format) = sub.format(&chosen) else {
        let known: Vec<&str> = sub.formats().iter().map(|f| f.value()).collect();
        return fail(format!(
            "{what}: sub-message {} has no format {chosen:?} (its formats: {})",
            sub.name(),
            known.join(", ")
        ));
    };
    let object = as_object(value, what)?;
    let (header, rest) = fixed_header(format.attr_set(), format.fixed_header(), object)?;
    let mut n = m.nest(spec.number()).map_err(built)?;
    n.put_bytes_raw(&header).map_err(built)?;
    match format.attr_set() {
        Some(inner) => attrs(&mut n, inner, &rest, depth + 1)?,
        None if !rest.is_empty() => {
            let names: Vec<&String> = rest.keys().collect();
            return fail(format!(
                "{what}: format {chosen:?} has no attributes, but {names:?} were given"
            ));
        }
        None => {}
    }
    n.end().map_err(built)
}

/// A binary attribute's bytes: a struct's members, a C array of integers,
/// an address as its hint says, or hex.
fn binary(spec: &'static AttrSpec, value: &Value, what: &str) -> Result<Vec<u8>, EncodeError> {
    if let Some(s) = spec.structure() {
        return structure(s, as_object(value, what)?);
    }
    if let (Some(ty), Value::Array(items)) = (spec.sub_type(), value)
        && is_int(ty)
    {
        let mut bytes = Vec::new();
        for item in items {
            bytes.extend(int(
                ty,
                spec.byte_order(),
                Naming::of_attr(spec),
                &Checks::none(),
                item,
                what,
            )?);
        }
        return Ok(bytes);
    }
    let bytes = bytes_of(value, spec.display_hint(), what)?;
    if let Some(exact) = spec.checks().exact_len()
        && bytes.len() != exact as usize
    {
        return fail(format!(
            "{what} takes exactly {exact} bytes, {} were given",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Bytes from text: an address where the hint says so, else hex.
fn bytes_of(value: &Value, hint: DisplayHint, what: &str) -> Result<Vec<u8>, EncodeError> {
    let Value::String(text) = value else {
        return fail(format!("{what} is binary: give hex text, not {value}"));
    };
    match hint {
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => {
            match (text.parse::<IpAddr>(), hint) {
                (Ok(IpAddr::V4(a)), DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6) => Ok(a.octets().to_vec()),
                (Ok(IpAddr::V6(a)), DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6) => Ok(a.octets().to_vec()),
                _ => fail(format!("{what} is an {} address: {text:?} is not one", hint_name(hint))),
            }
        }
        _ => hex(text).ok_or_else(|| {
            EncodeError(format!(
                "{what} is binary: {text:?} is not hex (pairs of digits, optionally separated by ':', '-' or spaces)"
            ))
        }),
    }
}

fn hint_name(hint: DisplayHint) -> &'static str {
    match hint {
        DisplayHint::Ipv4 => "IPv4",
        DisplayHint::Ipv6 => "IPv6",
        _ => "IPv4 or IPv6",
    }
}

/// Hex digits in pairs, optionally after `0x`, optionally separated.
fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b' '))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

fn is_int(ty: AttrType) -> bool {
    matches!(
        ty,
        AttrType::U8
            | AttrType::U16
            | AttrType::U32
            | AttrType::U64
            | AttrType::S8
            | AttrType::S16
            | AttrType::S32
            | AttrType::S64
            | AttrType::Uint
            | AttrType::Sint
    )
}

/// The range checks of an attribute (none for struct members).
struct Checks(procslink::families::Checks);

impl Checks {
    fn none() -> Checks {
        Checks(procslink::families::Checks::NONE)
    }
}

/// An integer's bytes from a number, `0x…` text, an enum entry's name, a
/// list of flag names, or an IPv4 address where the hint says so.
fn int(
    ty: AttrType,
    order: ByteOrder,
    naming: Naming,
    checks: &Checks,
    value: &Value,
    what: &str,
) -> Result<Vec<u8>, EncodeError> {
    let v: i128 = match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => i128::from(u),
            (None, Some(s)) => i128::from(s),
            _ => return fail(format!("{what} is an integer, not {n}")),
        },
        Value::String(s) => text_int(s, naming, what)?,
        Value::Array(names) if naming.as_flags => flags(names, naming, what)?,
        _ => return fail(format!("{what} is {}, not {value}", kind_words(ty, naming))),
    };
    let signed = matches!(
        ty,
        AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
    );
    let size = match ty {
        AttrType::Uint => {
            if u32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        }
        AttrType::Sint => {
            if i32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        }
        t => t.fixed_size().unwrap_or(0),
    };
    let bits = 8 * size as u32;
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if size == 0 || v < lo || v > hi {
        return fail(format!(
            "{what} is {}: {v} is out of its range {lo}..={hi}",
            ty
        ));
    }
    if !checks.0.allows(v) {
        return fail(format!(
            "{what}: {v} is outside what the specification allows ({}..={})",
            checks.0.min().map_or("".into(), |m| m.to_string()),
            checks.0.max().map_or("".into(), |m| m.to_string())
        ));
    }
    let raw = (v as u64).to_le_bytes();
    let mut bytes = raw.get(..size).unwrap_or(&raw).to_vec();
    let native_little = cfg!(target_endian = "little");
    if (order == ByteOrder::Big) == native_little {
        bytes.reverse();
    }
    Ok(bytes)
}

fn kind_words(ty: AttrType, naming: Naming) -> String {
    match naming.enumeration {
        Some(e) if naming.as_flags => format!("a set of flags of {} (a list of names)", e.name()),
        Some(e) => format!("an entry of enum {} (a name or a number)", e.name()),
        None => format!("an integer ({ty})"),
    }
}

/// An integer given as text: an enum entry, `Unknown(N)`, an IPv4 address
/// (hint), or a decimal or `0x…` number.
fn text_int(s: &str, naming: Naming, what: &str) -> Result<i128, EncodeError> {
    if let Some(e) = naming.enumeration
        && !naming.as_flags
    {
        if let Some(v) = e.value_of(s).or_else(|| unknown(s)) {
            return Ok(i128::from(v));
        }
        if let Some(v) = number(s) {
            return Ok(v);
        }
        return fail(format!(
            "{what}: enum {} has no entry {s:?} (its entries: {})",
            e.name(),
            entries(e)
        ));
    }
    if matches!(naming.hint, DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6)
        && let Ok(a) = s.parse::<Ipv4Addr>()
    {
        return Ok(i128::from(u32::from(a)));
    }
    number(s).ok_or_else(|| EncodeError(format!("{what} is an integer: {s:?} is not a number")))
}

fn number(s: &str) -> Option<i128> {
    match s.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `Unknown(N)`, as decode names a value an enum lacks.
fn unknown(s: &str) -> Option<u64> {
    s.strip_prefix("Unknown(")?.strip_suffix(')')?.parse().ok()
}

fn entries(e: &EnumSpec) -> String {
    let names: Vec<&str> = e.entries().iter().map(|x| x.name()).collect();
    names.join(", ")
}

/// A list of flag names as the value with their bits set: a flag set's
/// entries are masks; in an enum read as flags, entry `N` is bit `N`.
fn flags(names: &[Value], naming: Naming, what: &str) -> Result<i128, EncodeError> {
    let Some(e) = naming.enumeration else {
        return fail(format!("{what} is no set of flags"));
    };
    let mut v = 0u64;
    for name in names {
        let Value::String(name) = name else {
            return fail(format!("{what}: flags are names, not {name}"));
        };
        let bit = match (e.value_of(name), unknown(name)) {
            (Some(entry), _) if e.is_flags() => entry,
            (Some(entry), _) => 1u64
                .checked_shl(u32::try_from(entry).unwrap_or(64))
                .unwrap_or(0),
            (None, Some(n)) => 1u64
                .checked_shl(u32::try_from(n).unwrap_or(64))
                .unwrap_or(0),
            (None, None) => {
                return fail(format!(
                    "{what}: {} has no flag {name:?} (its flags: {})",
                    e.name(),
                    entries(e)
                ));
            }
        };
        v |= bit;
    }
    Ok(i128::from(v))
}

#[cfg(test)]
mod tests {
    use procslink::families::{Family, ethtool, rt_addr, rt_link};
    use procslink::netlink::display::Protocol;
    use procslink::netlink::flags::Flags;
    use procslink::netlink::{Builder, GenlMsgHdr, Message};
    use serde_json::{Value, json};

    use super::{EncodeError, attrs, fixed_header};
    use crate::ynl;

    /// A made-up generic netlink id (not the controller's).
    const GENL_ID: u16 = 0x20;

    /// Encodes `object` as a request of `op`, then decodes it with
    /// `decode --json`'s printer.
    fn round_trip(family: &'static Family, op: &str, object: &Value) -> Result<Value, EncodeError> {
        let op = family.operation(op).expect("the operation exists");
        let Value::Object(object) = object else {
            panic!("an object")
        };
        let (header, rest) = fixed_header(op.attr_set(), op.fixed_header(), object)?;
        let mut buf = vec![0u8; 4096];
        let mut b = Builder::new(&mut buf);
        let genl = matches!(
            family.protocol(),
            procslink::families::Protocol::Genetlink { .. }
        );
        let request = op.request().expect("a request");
        let ty = if genl { GENL_ID } else { request };
        let mut m = b.message(ty, Flags::REQUEST, 1, 0).expect("room");
        if genl {
            let cmd = u8::try_from(request).expect("a command");
            m.family_header(&GenlMsgHdr::new(cmd, 1)).expect("room");
        }
        m.put_bytes_raw(&header).expect("room");
        attrs(&mut m, op.attr_set().expect("a set"), &rest, 0)?;
        let len = m.finish().expect("room");
        let msg = Message::parse(&buf[..len]).expect("a message");
        let (protocol, family) = if genl {
            (Protocol::Generic, Some(family))
        } else {
            (Protocol::Route, None)
        };
        let (line, error) = ynl::message(&msg, protocol, family);
        assert!(error.is_none(), "{error:?}: {line}");
        Ok(serde_json::from_str(&line).expect("JSON"))
    }

    fn same(family: &'static Family, op: &str, object: Value) {
        assert_eq!(round_trip(family, op, &object).expect("encodes"), object);
    }

    fn error(family: &'static Family, op: &str, object: Value) -> String {
        match round_trip(family, op, &object) {
            Err(e) => e.0,
            Ok(v) => panic!("encoded {object} as {v}"),
        }
    }

    #[test]
    fn link_with_header_nests_sub_message_and_multi_attr() {
        same(
            &rt_link::FAMILY,
            "newlink",
            json!({
                "ifname": "vlan9",
                "mtu": 1400,
                "txqlen": 500,
                "address": "02:00:00:00:00:01",
                "operstate": 6,
                "linkinfo": {"kind": "vlan", "data": {"id": 9, "protocol": "8021q"}},
                "prop-list": {"alt-ifname": ["first", "second"]},
                "ifi-family": 0,
                "ifi-type": 1,
                "ifi-index": 7,
                "ifi-flags": ["up", "multicast"],
                "ifi-change": 0
            }),
        );
    }

    #[test]
    fn addresses_by_their_display_hints() {
        same(
            &rt_addr::FAMILY,
            "newaddr",
            json!({
                "address": "fd01::1",
                "local": "10.1.0.1",
                "label": "veth0",
                "flags": ["nodad"],
                "ifa-family": 10,
                "ifa-prefixlen": 64,
                "ifa-flags": ["permanent"],
                "ifa-scope": 0,
                "ifa-index": 3
            }),
        );
    }

    #[test]
    fn generic_netlink_nests_flags_and_multi_nests() {
        same(
            &ethtool::FAMILY,
            "linkinfo-get",
            json!({"header": {"dev-name": "veth0", "flags": ["compact-bitsets"]}}),
        );
        same(
            &ethtool::FAMILY,
            "linkmodes-set",
            json!({
                "header": {"dev-index": 3},
                "autoneg": 1,
                "ours": {
                    "nomask": true,
                    "size": 2,
                    "bits": {"bit": [{"index": 0, "name": "10baseT/Half", "value": true}, {"index": 1}]},
                    "value": "0300"
                }
            }),
        );
    }

    #[test]
    fn text_forms_are_accepted_where_decode_prints_numbers() {
        let out = round_trip(
            &rt_link::FAMILY,
            "newlink",
            &json!({"mtu": "0x578", "ifi-flags": ["Unknown(20)"]}),
        )
        .expect("encodes");
        assert_eq!(out["mtu"], json!(1400));
        assert_eq!(out["ifi-flags"], json!(["Unknown(20)"]));
    }

    #[test]
    fn mistakes_are_named() {
        let e = error(&rt_link::FAMILY, "newlink", json!({"ifnam": "x"}));
        assert!(
            e.contains("attribute set link-attrs has no attribute \"ifnam\""),
            "{e}"
        );
        let e = error(
            &rt_link::FAMILY,
            "newlink",
            json!({"linkinfo": {"kind": "vlan", "dat": {}}}),
        );
        assert!(
            e.contains("attribute set linkinfo-attrs has no attribute \"dat\""),
            "{e}"
        );
        let e = error(&rt_link::FAMILY, "newlink", json!({"operstate": 256}));
        assert!(
            e.contains("\"operstate\"") && e.contains("out of its range 0..=255"),
            "{e}"
        );
        let e = error(&rt_link::FAMILY, "newlink", json!({"address": "02:00:zz"}));
        assert!(e.contains("is not hex"), "{e}");
        let e = error(&rt_addr::FAMILY, "newaddr", json!({"local": "10.1.0"}));
        assert!(e.contains("\"local\"") && e.contains("is not one"), "{e}");
        let e = error(
            &rt_link::FAMILY,
            "newlink",
            json!({"linkinfo": {"data": {"id": 1}}}),
        );
        assert!(e.contains("give \"kind\" beside it"), "{e}");
        let e = error(
            &rt_link::FAMILY,
            "newlink",
            json!({"linkinfo": {"kind": "vlan", "data": {"protocol": "8021x"}}}),
        );
        assert!(e.contains("has no entry \"8021x\""), "{e}");
        let e = error(&rt_link::FAMILY, "newlink", json!({"ifname": 5}));
        assert!(e.contains("is a string, not 5"), "{e}");
        let e = error(&ethtool::FAMILY, "linkinfo-get", json!({"header": "veth0"}));
        assert!(e.contains("is a nest: give an object"), "{e}");
    }
}
