//! Decoding attributes with the generated family tables alone, through the
//! library's public API: the run is walked, each attribute looked up with
//! [`AttrSet::by_number`], and its value read as its [`AttrSpec`] says
//! (type, byte order, display hint, `struct` layout, nested set,
//! sub-message by selector). The result is a tree the live tests compare
//! with what independent decoders (pyroute2) and the kernel say.
//!
//! A test binary takes it with
//! `#[path = "common/spec_tree.rs"] mod spec_tree;`.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use procslink::families::{AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, StructSpec};
use procslink::netlink::{Attr, Attrs};

/// One attribute, as the tables read it.
#[derive(Clone, Debug)]
pub struct Node {
    /// The attribute type (flags masked off).
    pub number: u16,
    /// Its specification, `None` where the set does not describe it (or
    /// no set is known for the run).
    pub spec: Option<&'static AttrSpec>,
    pub value: Value,
}

impl Node {
    /// The kernel's C name, if the tables name the attribute.
    pub fn c_name(&self) -> Option<&'static str> {
        self.spec.map(AttrSpec::c_name)
    }

    /// The specification's name, if the tables name the attribute.
    pub fn name(&self) -> Option<&'static str> {
        self.spec.map(AttrSpec::name)
    }
}

/// A value, read as the attribute's specification says.
#[derive(Clone, Debug)]
pub enum Value {
    /// Any integer type, in its byte order.
    Int(i128),
    /// A string, without its NUL.
    Str(String),
    /// Present (a `flag`).
    Flag,
    /// A link-layer address (`display-hint: mac`).
    Mac(Vec<u8>),
    /// An IPv4 or IPv6 address (`display-hint: ipv4`/`ipv6`).
    Ip(IpAddr),
    /// Binary without a hint or layout, or an attribute the set does not
    /// describe.
    Bytes(Vec<u8>),
    /// A `struct`'s members.
    Struct(Vec<Field>),
    /// A nest, or a sub-message's attributes.
    Nest(Vec<Node>),
    /// An indexed array's entries, in order.
    Array(Vec<Value>),
    /// A nest-type-value's entries: each a value (the entry's type) and
    /// the nested set's attributes.
    Keyed(Vec<(u16, Vec<Node>)>),
    /// Binary of integers (`sub-type: u32` and such): each `size` bytes.
    Ints { size: usize, values: Vec<i128> },
    /// A sub-message whose selector value no format of the specification
    /// describes (its bytes as they are).
    Undescribed { selector: String, payload: Vec<u8> },
    /// The payload does not fit the specification (a wrong size, a string
    /// without NUL, …): a table bug or a kernel surprise.
    Bad(String),
}

/// A member of a decoded `struct`.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: &'static str,
    /// Its offset in the struct, in bytes.
    pub offset: usize,
    pub value: Value,
}

/// Decodes a run of attributes with `set` (`None`: every attribute
/// unnamed, its bytes kept).
pub fn decode_run(attrs: Attrs<'_>, set: Option<&'static AttrSet>) -> Vec<Node> {
    let mut nodes = Vec::new();
    for attr in attrs.clone() {
        let attr = match attr {
            Ok(attr) => attr,
            Err(e) => {
                nodes.push(Node {
                    number: u16::MAX,
                    spec: None,
                    value: Value::Bad(format!("the run does not parse: {e}")),
                });
                break;
            }
        };
        let spec = set.and_then(|s| s.by_number(attr.kind()));
        let value = match (set, spec) {
            (Some(set), Some(spec)) => decode_attr(&attr, spec, set, attrs.clone()),
            _ => Value::Bytes(attr.payload().to_vec()),
        };
        nodes.push(Node {
            number: attr.kind(),
            spec,
            value,
        });
    }
    nodes
}

/// The value of `attr`, described by `spec` of `set`; `siblings` is the
/// run holding it (for a sub-message's selector).
fn decode_attr(
    attr: &Attr<'_>,
    spec: &'static AttrSpec,
    set: &AttrSet,
    siblings: Attrs<'_>,
) -> Value {
    let payload = attr.payload();
    match spec.attr_type() {
        AttrType::Nest => Value::Nest(decode_run(attr.nested(), spec.nested())),
        AttrType::IndexedArray => {
            let entry_type = spec.sub_type().unwrap_or(AttrType::Binary);
            let mut entries = Vec::new();
            for entry in attr.nested() {
                match entry {
                    Ok(entry) if entry_type == AttrType::Nest => {
                        entries.push(Value::Nest(decode_run(entry.nested(), spec.nested())))
                    }
                    Ok(entry) => entries.push(scalar(
                        entry_type,
                        spec.byte_order(),
                        spec.display_hint(),
                        spec.structure(),
                        entry.payload(),
                    )),
                    Err(e) => entries.push(Value::Bad(format!("array entry: {e}"))),
                }
            }
            Value::Array(entries)
        }
        AttrType::NestTypeValue => {
            let mut entries = Vec::new();
            for entry in attr.nested() {
                match entry {
                    Ok(entry) => {
                        entries.push((entry.kind(), decode_run(entry.nested(), spec.nested())))
                    }
                    Err(e) => {
                        return Value::Bad(format!("nest-type-value entry: {e}"));
                    }
                }
            }
            Value::Keyed(entries)
        }
        AttrType::SubMessage => match set.sub_message_format(spec, siblings.clone()) {
            Some(format) => {
                let skip = format.fixed_header().map_or(0, StructSpec::size);
                match payload.get(skip..) {
                    Some(run) => Value::Nest(decode_run(Attrs::new(run), format.attr_set())),
                    None => Value::Bad(format!(
                        "sub-message {} shorter than its {skip}-byte header",
                        format.value()
                    )),
                }
            }
            None => Value::Undescribed {
                selector: selector_text(spec, set, siblings),
                payload: payload.to_vec(),
            },
        },
        AttrType::Binary
            if spec
                .sub_type()
                .and_then(AttrType::fixed_size)
                .is_some_and(|n| n > 0) =>
        {
            let ty = spec.sub_type().unwrap_or(AttrType::Binary);
            let size = ty.fixed_size().unwrap_or(1);
            if payload.len() % size != 0 {
                return Value::Bad(format!("{} bytes of {ty}s", payload.len()));
            }
            let values = payload
                .chunks_exact(size)
                .map(|chunk| integer(chunk, spec.byte_order(), is_signed(ty)))
                .collect();
            Value::Ints { size, values }
        }
        other => scalar(
            other,
            spec.byte_order(),
            spec.display_hint(),
            spec.structure(),
            payload,
        ),
    }
}

/// The selector's value of a sub-message no format describes, as text.
fn selector_text(spec: &AttrSpec, set: &AttrSet, siblings: Attrs<'_>) -> String {
    let selector = spec.selector().and_then(|name| set.by_name(name));
    let attr = selector.and_then(|sel| siblings.flatten().find(|a| a.kind() == sel.number()));
    match attr {
        Some(a) => String::from_utf8_lossy(a.bytes_str()).into_owned(),
        None => "(no selector)".to_string(),
    }
}

/// A value that is no run of attributes.
pub fn scalar(
    ty: AttrType,
    order: ByteOrder,
    hint: DisplayHint,
    layout: Option<&'static StructSpec>,
    payload: &[u8],
) -> Value {
    match ty {
        AttrType::Flag if payload.is_empty() => Value::Flag,
        AttrType::Flag => Value::Bad(format!("a flag with {} bytes", payload.len())),
        AttrType::U8
        | AttrType::U16
        | AttrType::U32
        | AttrType::U64
        | AttrType::S8
        | AttrType::S16
        | AttrType::S32
        | AttrType::S64 => {
            let size = ty.fixed_size().unwrap_or(0);
            if payload.len() != size {
                return Value::Bad(format!("a {ty} of {} bytes", payload.len()));
            }
            Value::Int(integer(payload, order, is_signed(ty)))
        }
        AttrType::Uint | AttrType::Sint => match payload.len() {
            4 | 8 => Value::Int(integer(payload, order, ty == AttrType::Sint)),
            n => Value::Bad(format!("a {ty} of {n} bytes")),
        },
        AttrType::String => match payload.split_last() {
            Some((0, text)) => {
                // The kernel pads some names with more NULs.
                let text = text.split(|&b| b == 0).next().unwrap_or(text);
                match std::str::from_utf8(text) {
                    Ok(s) => Value::Str(s.to_string()),
                    Err(_) => Value::Bytes(text.to_vec()),
                }
            }
            _ => Value::Bad("a string without its NUL".to_string()),
        },
        AttrType::Bitfield32 if payload.len() == 8 => Value::Struct(vec![
            Field {
                name: "value",
                offset: 0,
                value: Value::Int(integer(&payload[..4], ByteOrder::Host, false)),
            },
            Field {
                name: "selector",
                offset: 4,
                value: Value::Int(integer(&payload[4..], ByteOrder::Host, false)),
            },
        ]),
        AttrType::Bitfield32 => Value::Bad(format!("a bitfield32 of {} bytes", payload.len())),
        _ => match layout {
            Some(layout) => decode_struct(layout, payload),
            None => hinted(hint, payload),
        },
    }
}

fn is_signed(ty: AttrType) -> bool {
    matches!(
        ty,
        AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
    )
}

/// An integer of 1, 2, 4 or 8 bytes in `order`.
fn integer(bytes: &[u8], order: ByteOrder, signed: bool) -> i128 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    let value = match order {
        ByteOrder::Big => {
            buf[8 - n..].copy_from_slice(&bytes[..n]);
            u64::from_be_bytes(buf)
        }
        ByteOrder::Host => {
            if cfg!(target_endian = "little") {
                buf[..n].copy_from_slice(&bytes[..n]);
                u64::from_le_bytes(buf)
            } else {
                buf[8 - n..].copy_from_slice(&bytes[..n]);
                u64::from_be_bytes(buf)
            }
        }
    };
    if signed && n > 0 && n < 8 {
        let shift = 64 - 8 * n as u32;
        i128::from(((value << shift) as i64) >> shift)
    } else if signed {
        i128::from(value as i64)
    } else {
        i128::from(value)
    }
}

/// Bytes shown as their display hint says.
fn hinted(hint: DisplayHint, payload: &[u8]) -> Value {
    let ip = |bytes: &[u8]| match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        _ => None,
    };
    match hint {
        DisplayHint::Mac => Value::Mac(payload.to_vec()),
        DisplayHint::Ipv4 if payload.len() == 4 => {
            ip(payload).map_or(Value::Bytes(payload.to_vec()), Value::Ip)
        }
        DisplayHint::Ipv6 if payload.len() == 16 => {
            ip(payload).map_or(Value::Bytes(payload.to_vec()), Value::Ip)
        }
        DisplayHint::Ipv4OrV6 => ip(payload).map_or(Value::Bytes(payload.to_vec()), Value::Ip),
        DisplayHint::Ipv4 | DisplayHint::Ipv6 => {
            Value::Bad(format!("an address of {} bytes", payload.len()))
        }
        _ => Value::Bytes(payload.to_vec()),
    }
}

/// A `struct`'s members from `payload` (members past a short payload are
/// left out: the kernel may send an older, shorter layout).
pub fn decode_struct(layout: &'static StructSpec, payload: &[u8]) -> Value {
    let mut fields = Vec::new();
    for member in layout.members() {
        if member.member_type() == AttrType::Pad {
            continue;
        }
        let Some(bytes) = payload.get(member.offset()..member.offset() + member.len()) else {
            continue;
        };
        let value = match member.member_type() {
            AttrType::Binary => hinted(member.display_hint(), bytes),
            ty => Value::Int(integer(bytes, member.byte_order(), is_signed(ty))),
        };
        fields.push(Field {
            name: member.name(),
            offset: member.offset(),
            value,
        });
    }
    Value::Struct(fields)
}

/// Every attribute of `nodes` and below that the tables do not name,
/// where a set is described, as paths (`linkinfo/#7`); attributes under a
/// sub-message no format describes are not counted (see
/// [`Value::Undescribed`]).
pub fn unnamed(nodes: &[Node], path: &str, out: &mut Vec<String>) {
    for node in nodes {
        let here = match node.name() {
            Some(name) => format!("{path}/{name}"),
            None => format!("{path}/#{}", node.number),
        };
        if node.spec.is_none() {
            out.push(here.clone());
        }
        children(&node.value, &here, out);
    }
}

fn children(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Nest(nodes) => unnamed(nodes, path, out),
        Value::Keyed(entries) => {
            for (key, nodes) in entries {
                unnamed(nodes, &format!("{path}[{key}]"), out);
            }
        }
        Value::Array(entries) => {
            for entry in entries {
                children(entry, path, out);
            }
        }
        _ => {}
    }
}

/// Every value that did not fit its specification, as `path: reason`.
pub fn bad(nodes: &[Node], path: &str, out: &mut Vec<String>) {
    for node in nodes {
        let here = format!("{path}/{}", node.name().unwrap_or("?"));
        bad_value(&node.value, &here, out);
    }
}

fn bad_value(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Bad(reason) => out.push(format!("{path}: {reason}")),
        Value::Nest(nodes) => bad(nodes, path, out),
        Value::Keyed(entries) => entries
            .iter()
            .for_each(|(key, nodes)| bad(nodes, &format!("{path}[{key}]"), out)),
        Value::Array(entries) => entries.iter().for_each(|e| bad_value(e, path, out)),
        Value::Struct(fields) => fields
            .iter()
            .for_each(|f| bad_value(&f.value, &format!("{path}.{}", f.name), out)),
        _ => {}
    }
}

/// The first attribute named `name` (the specification's name) in `nodes`.
pub fn find<'n>(nodes: &'n [Node], name: &str) -> Option<&'n Node> {
    nodes.iter().find(|n| n.name() == Some(name))
}

/// The nested nodes of a nest (or sub-message) value.
pub fn nested(node: &Node) -> &[Node] {
    match &node.value {
        Value::Nest(nodes) => nodes,
        _ => &[],
    }
}

/// Counts every node in the tree.
pub fn count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| {
            1 + match &n.value {
                Value::Nest(inner) => count(inner),
                Value::Keyed(entries) => entries.iter().map(|(_, inner)| count(inner)).sum(),
                Value::Array(entries) => entries
                    .iter()
                    .map(|e| match e {
                        Value::Nest(inner) => count(inner),
                        _ => 0,
                    })
                    .sum(),
                _ => 0,
            }
        })
        .sum()
}
