//! `procslink decode --json`: each netlink message as one line of JSON,
//! the way the kernel's ynl (`tools/net/ynl/pyynl`, `--output-json`)
//! prints a message it decoded from the same specification:
//!
//! - the attributes under their specification names, then the fixed
//!   header's members (ynl merges the header into the attributes' dict);
//! - nests as objects; multi-attributes as arrays; an indexed array of
//!   nests as an array of `{"INDEX": {…}}`, of values as an array;
//!   a sub-message as the object of its format (fixed header and
//!   attributes), chosen by its selector;
//! - enums by entry name (`Unknown(N)` for a value the enum lacks), flag
//!   sets as arrays of names (a bit without a name as `Unknown(BIT)`),
//!   flags as `true`, `bitfield32` as `{"value", "selector"}`;
//! - display hints applied (MAC as `aa:bb:…`, IPv4/IPv6 addresses as text,
//!   `hex` as `0x…` for integers and space-separated for bytes), other
//!   binary as hex; a binary carrying a struct as the struct's members;
//! - attributes the specification does not have as `UnknownAttr(N)`
//!   (ynl's `--process-unknown`), their value the nested attributes when
//!   flagged `NLA_F_NESTED`, else hex.
//!
//! ynl prints no control messages; here an ACK or error is
//! `{"error": ERRNO}` (with `"extack"` when the kernel sent one) and the end
//! of a dump `{"done": STATUS}`, so that every message has its line.
//! A message no specification describes has its attributes by number, and
//! a message that does not parse stops at the fault with `"malformed"`.

use procslink::families::{AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, Family};
use procslink::families::{Format, StructSpec};
use procslink::netlink::display::Protocol;
use procslink::netlink::{Attr, Attrs, ExtAck, Message, NLA_HDRLEN};
use serde_json::{Map, Value};

use crate::spec::{self, Int, MemberValue, Naming};

/// How deep nests are followed (deeper ones are shown as hex).
const MAX_DEPTH: usize = 16;

/// `msg` as one line of JSON (no newline), and the first error that
/// breaks its structure.
pub fn message(
    msg: &Message<'_>,
    protocol: Protocol,
    family: Option<&'static Family>,
) -> (String, Option<procslink::Error>) {
    let (object, error) = object(msg, protocol, family);
    // A `Value` always serializes.
    let line = serde_json::to_string(&Value::Object(object)).unwrap_or_default();
    (line, error)
}

fn object(
    msg: &Message<'_>,
    protocol: Protocol,
    family: Option<&'static Family>,
) -> (Map<String, Value>, Option<procslink::Error>) {
    let mut o = Map::new();
    let ty = msg.message_type();
    if ty.is_error() {
        match msg.error() {
            Ok(e) => {
                o.insert("error".into(), e.errno().into());
                ext_ack(&mut o, e.ext_ack());
                return (o, None);
            }
            Err(e) => return malformed(o, e),
        }
    }
    if ty.is_done() {
        match msg.done() {
            Ok(d) => {
                o.insert("done".into(), d.status().into());
                ext_ack(&mut o, d.ext_ack());
                return (o, None);
            }
            Err(e) => return malformed(o, e),
        }
    }
    let Some(layout) = spec::layout(msg, protocol, family) else {
        o.insert("raw".into(), hex(msg.payload()).into());
        return (o, None);
    };
    let attrs = match msg.split_family_header(layout.header_len) {
        Ok((_, attrs)) => attrs,
        Err(e) => return malformed(o, e),
    };
    let error = run(&mut o, attrs, layout.set, 0);
    if let Some(fixed) = layout.fixed {
        let bytes = msg.payload().get(layout.fixed_at..layout.header_len);
        members(&mut o, fixed, bytes.unwrap_or(&[]));
    }
    match error {
        Some(e) => malformed(o, e),
        None => (o, None),
    }
}

fn malformed(
    mut o: Map<String, Value>,
    e: procslink::Error,
) -> (Map<String, Value>, Option<procslink::Error>) {
    o.insert("malformed".into(), e.to_string().into());
    (o, Some(e))
}

/// The extended ack under ynl's names for its fields.
fn ext_ack(o: &mut Map<String, Value>, ack: &ExtAck<'_>) {
    let mut x = Map::new();
    if let Some(m) = ack.message_bytes() {
        x.insert("msg".into(), text(m).into());
    }
    if let Some(off) = ack.bad_attr_offset() {
        x.insert("bad-attr-offs".into(), off.into());
    }
    if let Some(t) = ack.missing_type() {
        x.insert("miss-type".into(), t.into());
    }
    if let Some(n) = ack.missing_nest() {
        x.insert("miss-nest".into(), n.into());
    }
    if let Some(c) = ack.cookie() {
        x.insert("cookie".into(), hex(c).into());
    }
    if !x.is_empty() {
        o.insert("extack".into(), Value::Object(x));
    }
}

/// Adds the attributes of a run to `o`; returns the first malformed one
/// (what came before it is kept).
fn run(
    o: &mut Map<String, Value>,
    attrs: Attrs<'_>,
    set: Option<&'static AttrSet>,
    depth: usize,
) -> Option<procslink::Error> {
    for attr in attrs.clone() {
        let attr = match attr {
            Ok(a) => a,
            Err(e) => return Some(e),
        };
        match set.and_then(|s| s.by_number(attr.kind())) {
            Some(spec) => {
                let value = value(&attr, spec, set, attrs.clone(), depth);
                let key = spec.name().to_string();
                if spec.multi_attr() {
                    push(o, key, value);
                } else {
                    o.insert(key, value);
                }
            }
            None => {
                // ynl's `_rsp_add` for unknown attributes: a repeated
                // one becomes an array.
                let key = format!("UnknownAttr({})", attr.kind());
                let value = unknown(&attr, depth);
                match o.get_mut(&key) {
                    Some(Value::Array(a)) => a.push(value),
                    Some(first) => *first = Value::Array(vec![first.take(), value]),
                    None => {
                        o.insert(key, value);
                    }
                }
            }
        }
    }
    None
}

fn push(o: &mut Map<String, Value>, key: String, value: Value) {
    match o.get_mut(&key) {
        Some(Value::Array(a)) => a.push(value),
        _ => {
            o.insert(key, Value::Array(vec![value]));
        }
    }
}

/// An attribute no specification describes.
fn unknown(attr: &Attr<'_>, depth: usize) -> Value {
    if attr.is_nested() && depth < MAX_DEPTH && attr.nested().all(|a| a.is_ok()) {
        let mut o = Map::new();
        run(&mut o, attr.nested(), None, depth + 1);
        return Value::Object(o);
    }
    hex(attr.payload()).into()
}

/// A nest's attributes as an object (hex when they do not parse or are
/// too deep).
fn nest(attr: &Attr<'_>, set: Option<&'static AttrSet>, depth: usize) -> Value {
    if depth >= MAX_DEPTH || attr.nested().any(|a| a.is_err()) {
        return hex(attr.payload()).into();
    }
    let mut o = Map::new();
    run(&mut o, attr.nested(), set, depth + 1);
    Value::Object(o)
}

fn value(
    attr: &Attr<'_>,
    spec: &'static AttrSpec,
    set: Option<&'static AttrSet>,
    siblings: Attrs<'_>,
    depth: usize,
) -> Value {
    let payload = attr.payload();
    match spec.attr_type() {
        AttrType::Nest => nest(attr, spec.nested(), depth),
        AttrType::String => text(payload.split(|&b| b == 0).next().unwrap_or(payload)).into(),
        AttrType::Flag => true.into(),
        AttrType::Binary => binary(payload, spec),
        AttrType::IndexedArray => indexed_array(attr, spec, depth),
        AttrType::NestTypeValue => {
            // Each entry's type is a value: `{"TYPE": {…}}`.
            let mut o = Map::new();
            for entry in attr.nested().flatten() {
                o.insert(
                    entry.kind().to_string(),
                    nest(&entry, spec.nested(), depth + 1),
                );
            }
            Value::Object(o)
        }
        AttrType::SubMessage => match set.and_then(|s| s.sub_message_format(spec, siblings)) {
            Some(format) => sub_message(attr, format, depth),
            None => unknown_run(attr, depth),
        },
        AttrType::Bitfield32 => {
            let word = |r: std::ops::Range<usize>| {
                payload
                    .get(r)
                    .and_then(|b| spec::int(b, AttrType::U32, ByteOrder::Host))
            };
            match (word(0..4), word(4..8), payload.len()) {
                (Some(v), Some(s), 8) => {
                    let mut o = Map::new();
                    o.insert(
                        "value".into(),
                        int(
                            v,
                            Naming {
                                hint: DisplayHint::None,
                                ..Naming::of_attr(spec)
                            },
                        ),
                    );
                    o.insert(
                        "selector".into(),
                        int(
                            s,
                            Naming {
                                hint: DisplayHint::None,
                                ..Naming::of_attr(spec)
                            },
                        ),
                    );
                    Value::Object(o)
                }
                _ => hex(payload).into(),
            }
        }
        ty => match spec::int(payload, ty, spec.byte_order()) {
            Some(v) => int(v, Naming::of_attr(spec)),
            None => hex(payload).into(),
        },
    }
}

/// A sub-message whose selector names no format: its attributes by number
/// when it is a clean run of them, else hex.
fn unknown_run(attr: &Attr<'_>, depth: usize) -> Value {
    if !attr.payload().is_empty() && attr.nested().all(|a| a.is_ok()) {
        return nest(attr, None, depth);
    }
    hex(attr.payload()).into()
}

fn sub_message(attr: &Attr<'_>, format: &'static Format, depth: usize) -> Value {
    let payload = attr.payload();
    let mut o = Map::new();
    let skip = format.fixed_header().map_or(0, StructSpec::size);
    if let Some(header) = format.fixed_header() {
        members(&mut o, header, payload.get(..skip).unwrap_or(payload));
    }
    let rest = payload.get(skip..).unwrap_or(&[]);
    if depth < MAX_DEPTH {
        let at = attr.offset().saturating_add(NLA_HDRLEN + skip);
        run(
            &mut o,
            Attrs::with_offset(rest, at),
            format.attr_set(),
            depth + 1,
        );
    }
    Value::Object(o)
}

fn binary(payload: &[u8], spec: &'static AttrSpec) -> Value {
    if let Some(s) = spec.structure() {
        let mut o = Map::new();
        members(&mut o, s, payload);
        return Value::Object(o);
    }
    if let Some(ty) = spec.sub_type()
        && let Some(size) = ty.fixed_size().filter(|&n| n > 0)
        && payload.len().is_multiple_of(size)
    {
        // A C array of the sub-type.
        let items = payload
            .chunks(size)
            .filter_map(|c| spec::int(c, ty, spec.byte_order()))
            .map(|v| int(v, Naming::of_attr(spec)));
        return Value::Array(items.collect());
    }
    bytes(payload, spec.display_hint())
}

fn indexed_array(attr: &Attr<'_>, spec: &'static AttrSpec, depth: usize) -> Value {
    let mut items = Vec::new();
    for entry in attr.nested().flatten() {
        let item = match spec.sub_type() {
            None | Some(AttrType::Nest) => {
                let mut o = Map::new();
                o.insert(
                    entry.kind().to_string(),
                    nest(&entry, spec.nested(), depth + 1),
                );
                Value::Object(o)
            }
            Some(ty) => match spec::int(entry.payload(), ty, spec.byte_order()) {
                Some(v) => int(v, Naming::of_attr(spec)),
                None => bytes(entry.payload(), spec.display_hint()),
            },
        };
        items.push(item);
    }
    Value::Array(items)
}

/// A struct's members into `o` (padding left out).
fn members(o: &mut Map<String, Value>, s: &'static StructSpec, payload: &[u8]) {
    for (m, v) in spec::members(s, payload) {
        let value = match v {
            MemberValue::Int(i) => int(i, Naming::of_member(m)),
            MemberValue::Bytes(b) => bytes(b, m.display_hint()),
        };
        o.insert(m.name().to_string(), value);
    }
}

/// An integer: its enum name(s), else as its display hint says, else the
/// number.
fn int(v: Int, naming: Naming) -> Value {
    match naming.enumeration {
        Some(e) if naming.as_flags => {
            let names = spec::flag_names(e, v.bits());
            Value::Array(names.into_iter().map(Value::from).collect())
        }
        Some(e) => spec::enum_name(e, v.bits()).into(),
        None => match spec::hinted_int(naming.hint, v) {
            Some(text) => text.into(),
            None => match v {
                Int::U(u) => u.into(),
                Int::S(s) => s.into(),
            },
        },
    }
}

/// Bytes as their display hint says, else hex.
fn bytes(b: &[u8], hint: DisplayHint) -> Value {
    spec::hinted_bytes(hint, b).unwrap_or_else(|| hex(b)).into()
}

fn hex(b: &[u8]) -> String {
    spec::plain_hex(b)
}

/// Kernel text: bytes that are not UTF-8 are replaced (JSON strings are
/// Unicode).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
