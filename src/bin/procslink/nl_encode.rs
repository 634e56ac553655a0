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

use procslink::families::{
    AttrSet, AttrSpec, AttrType, ByteOrder, Checks, DisplayHint, Member, StructSpec,
};
use procslink::netlink::{MessageBuilder, NLA_F_NESTED};
use serde_json::{Map, Value};

use crate::nl_value::{bytes_of, int, is_int};
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

pub fn fail<T>(text: impl Into<String>) -> Result<T, EncodeError> {
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
        } else if let (false, Some(set), Some(h)) = (is_attr, set, header) {
            return fail(format!(
                "attribute set {} has no attribute {key:?}, nor struct {} a member \
                 (its attributes: {}; its members: {})",
                set.name(),
                h.name(),
                attr_names(set),
                member_names(h)
            ));
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

/// The names of a set's attributes, for an error.
fn attr_names(set: &AttrSet) -> String {
    let names: Vec<&str> = set
        .attrs()
        .iter()
        .filter(|a| !matches!(a.attr_type(), AttrType::Unused | AttrType::Pad))
        .map(AttrSpec::name)
        .collect();
    names.join(", ")
}

/// The names of a struct's members (padding left out), for an error.
fn member_names(s: &StructSpec) -> String {
    let names: Vec<&str> = s
        .members()
        .iter()
        .filter(|m| m.member_type() != AttrType::Pad)
        .map(Member::name)
        .collect();
    names.join(", ")
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
            return fail(format!(
                "struct {} has no member {key:?} (its members: {})",
                s.name(),
                member_names(s)
            ));
        };
        let what = format!("member {key:?} of struct {}", s.name());
        let encoded = if is_int(m.member_type()) {
            int(
                m.member_type(),
                m.byte_order(),
                Naming::of_member(m),
                &Checks::NONE,
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
            return fail(format!(
                "attribute set {} has no attribute {key:?} (its attributes: {})",
                set.name(),
                attr_names(set)
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
                    &Checks::NONE,
                    v,
                    &what,
                )?);
            }
            m.put(ty, &bytes).map_err(built)
        }
        t => {
            let checks = *spec.checks();
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
        _ => fail(format!("{what} takes an object, not {value}")),
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
                        &Checks::NONE,
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
    if let (Some(s), Value::Object(members)) = (spec.structure(), value) {
        return structure(s, members);
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
                &Checks::NONE,
                item,
                what,
            )?);
        }
        return Ok(bytes);
    }
    let bytes = bytes_of(value, spec.display_hint(), what)?;
    if let Some(s) = spec.structure()
        && bytes.len() != s.size()
    {
        return fail(format!(
            "{what} carries struct {} of {} bytes, {} were given",
            s.name(),
            s.size(),
            bytes.len()
        ));
    }
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
