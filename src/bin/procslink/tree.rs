//! The decoded tree of kernel netlink messages, and their summary.
//!
//! The header line of each message is the crate's
//! [`Protocol::display`](procslink::netlink::display::Protocol::display);
//! beneath it come the fixed header's members and the attributes with their
//! C names and values, as the kernel's specifications describe them
//! (`procslink::families`, see `spec.rs`): nests followed whether or not
//! `NLA_F_NESTED` is set (rtnetlink's `IFLA_LINKINFO`, `IFLA_AF_SPEC`, the
//! controller's ops and multicast groups…), sub-messages by their selector
//! (a link's `IFLA_INFO_DATA` by its kind), enums and flags by name,
//! display hints honoured. What no specification describes is shown by
//! type number.

use std::fmt::Write as _;

use procslink::Error;
use procslink::families::{
    AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, Family, Format, Member, StructSpec,
};
use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::{Attr, Attrs, Message, MessageType, NLA_HDRLEN, NlMsgHdr};

use crate::names;
use crate::spec::{self, Int, Layout, MemberValue, Naming};

/// How deep the tree follows nests.
const MAX_DEPTH: usize = 8;
/// Binary payloads up to this size are shown whole, in hex.
const SHORT_HEX: usize = 32;
/// How much of a longer binary payload is shown.
const HEX_PREVIEW: usize = 16;

/// Writes `msg` as a tree, naming what the specifications describe (the
/// generic netlink controller's messages by nlctrl's).
pub fn message(out: &mut String, msg: &Message<'_>, protocol: Protocol) -> Option<Error> {
    message_in(out, msg, protocol, None)
}

/// Writes `msg` as a tree. `genl` is the generic netlink family whose
/// specification names messages of ids other than the controller's.
/// Returns the first error that breaks the message's structure (a bad
/// family header, a malformed top-level attribute, an undecodable error or
/// done message); it is also shown in the tree. Nests that do not parse
/// are shown as bytes, with the reason.
pub fn message_in(
    out: &mut String,
    msg: &Message<'_>,
    protocol: Protocol,
    genl: Option<&'static Family>,
) -> Option<Error> {
    let ty = msg.message_type();
    if nameable(ty) {
        let _ = writeln!(out, "@{} {}", msg.offset(), protocol.display(msg));
    } else {
        let _ = writeln!(
            out,
            "@{} {}",
            msg.offset(),
            header_line(msg.header(), protocol)
        );
    }
    if ty.is_error() {
        return match msg.error() {
            Ok(e) => {
                if e.is_ack() {
                    let _ = writeln!(out, "  ACK of seq {}", e.request().seq());
                } else {
                    let _ = writeln!(
                        out,
                        "  error {} ({}) for seq {}",
                        e.errno(),
                        errno_text(e.errno()),
                        e.request().seq()
                    );
                }
                let _ = writeln!(out, "  request: {}", header_line(e.request(), protocol));
                if !e.request_payload().is_empty() {
                    let _ = writeln!(out, "  request payload: {}", hex_short(e.request_payload()));
                }
                ext_ack(out, e.ext_ack());
                None
            }
            Err(e) => malformed(out, 1, e),
        };
    }
    if ty.is_done() {
        return match msg.done() {
            Ok(d) => {
                if d.status() < 0 {
                    let _ = writeln!(out, "  status {} ({})", d.status(), errno_text(d.status()));
                } else {
                    let _ = writeln!(out, "  status {}", d.status());
                }
                ext_ack(out, d.ext_ack());
                None
            }
            Err(e) => malformed(out, 1, e),
        };
    }
    let Some(layout) = spec::layout(msg, protocol, genl) else {
        if !msg.payload().is_empty() {
            let _ = writeln!(out, "  payload: {}", hex_short(msg.payload()));
        }
        return None;
    };
    let attrs = match msg.split_family_header(layout.header_len) {
        Ok((_, attrs)) => attrs,
        Err(e) => return malformed(out, 1, e),
    };
    family_header(out, msg, protocol, &layout);
    run(out, attrs, layout.set, 1, true)
}

/// The lines of the headers before the attributes: `genlmsghdr` with the
/// operation's name, then the fixed header member by member.
fn family_header(out: &mut String, msg: &Message<'_>, protocol: Protocol, layout: &Layout) {
    if protocol == Protocol::Generic
        && let Ok((h, _)) = msg.genl()
    {
        let _ = write!(out, "  genlmsghdr: cmd {}", h.cmd);
        if let Some(op) = layout.op {
            let _ = write!(out, " ({})", op.name());
        }
        let _ = writeln!(out, ", version {}", h.version);
    }
    let payload = msg.payload();
    match layout.fixed {
        Some(fixed) => {
            let bytes = payload
                .get(layout.fixed_at..layout.header_len)
                .unwrap_or(&[]);
            let _ = writeln!(out, "  {}: {}", fixed.name(), struct_line(fixed, bytes));
        }
        None if protocol != Protocol::Generic => {
            let name = protocol
                .family_header(msg.message_type())
                .map_or("header", |(name, _)| name);
            let head = payload.get(..layout.header_len).unwrap_or(&[]);
            let _ = writeln!(out, "  {name}: {}", hex_short(head));
        }
        None => {}
    }
}

/// A struct's members on one line: `ifi-family unspec, ifi-type 772, …`.
fn struct_line(fixed: &'static StructSpec, bytes: &[u8]) -> String {
    let parts: Vec<String> = spec::members(fixed, bytes)
        .map(|(m, v)| format!("{} {}", m.name(), member_text(fixed, m, v)))
        .collect();
    parts.join(", ")
}

fn member_text(layout: &'static StructSpec, m: &Member, v: MemberValue<'_>) -> String {
    match v {
        MemberValue::Int(i) => int_text(
            i,
            Naming::of_member(m),
            names::member(layout.name(), m.name(), i),
        ),
        MemberValue::Bytes(b) => bytes_text(b, m.display_hint()),
    }
}

/// An integer with its enum entry's name (`unicast`), its flags'
/// (`0x3 <up,broadcast>`), a name `known` beside the specifications, or
/// as its display hint says.
fn int_text(value: Int, naming: Naming, known: Option<&'static str>) -> String {
    match naming.enumeration {
        Some(e) if naming.as_flags && value.bits() != 0 => {
            let names = spec::flag_names(e, value.bits()).join(",");
            format!("{:#x} <{names}>", value.bits())
        }
        Some(_) if naming.as_flags => "0x0".into(),
        Some(e) => match e.name_of(value.bits()) {
            Some(name) => name.to_string(),
            None => value.to_string(),
        },
        None => known
            .map(str::to_string)
            .or_else(|| spec::hinted_int(naming.hint, value))
            .unwrap_or_else(|| value.to_string()),
    }
}

fn bytes_text(bytes: &[u8], hint: DisplayHint) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    spec::hinted_bytes(hint, bytes).unwrap_or_else(|| hex_short(bytes))
}

/// Writes a run of attributes of `set` at `depth`. With `strict`, the
/// first malformed attribute is returned as the message's error;
/// otherwise it is only shown.
fn run(
    out: &mut String,
    attrs: Attrs<'_>,
    set: Option<&'static AttrSet>,
    depth: usize,
    strict: bool,
) -> Option<Error> {
    for attr in attrs.clone() {
        match attr {
            Ok(attr) => attribute(out, &attr, set, attrs.clone(), depth),
            Err(e) => {
                let shown = malformed(out, depth, e);
                return if strict { shown } else { None };
            }
        }
    }
    None
}

/// Writes one attribute of `set`; `siblings` is its run (where a
/// sub-message's selector is).
fn attribute(
    out: &mut String,
    attr: &Attr<'_>,
    set: Option<&'static AttrSet>,
    siblings: Attrs<'_>,
    depth: usize,
) {
    indent(out, depth);
    let spec = set.and_then(|s| s.by_number(attr.kind()));
    match spec {
        Some(spec) => {
            let _ = write!(out, "{} ({})", spec.c_name(), attr.kind());
        }
        None => {
            let _ = write!(out, "type {}", attr.kind());
        }
    }
    if attr.is_nested() {
        out.push_str(" [N]");
    }
    if attr.is_net_byteorder() {
        out.push_str(" [B]");
    }
    let Some(spec) = spec else {
        guess(out, attr, depth, false);
        return;
    };
    match spec.attr_type() {
        AttrType::Nest => match spec.nested() {
            Some(inner) => nest(out, attr, Some(inner), depth, Entries::Attrs),
            None => guess(out, attr, depth, true),
        },
        AttrType::IndexedArray if spec.sub_type().is_none_or(AttrType::is_nested) => {
            nest(out, attr, spec.nested(), depth, Entries::Nests)
        }
        AttrType::IndexedArray => nest(out, attr, None, depth, Entries::Values(spec)),
        AttrType::NestTypeValue => nest(out, attr, spec.nested(), depth, Entries::Nests),
        AttrType::SubMessage => {
            let format = set.and_then(|s| s.sub_message_format(spec, siblings.clone()));
            match format {
                Some(format) => sub_message(out, attr, format, depth),
                None => {
                    // A selector value (a link kind) no format describes:
                    // what follows is named by number.
                    let value = set.and_then(|s| spec::selector_value(s, spec, siblings));
                    let _ = write!(out, " ({}: undescribed)", value.as_deref().unwrap_or("?"));
                    guess(out, attr, depth, true);
                }
            }
        }
        AttrType::Binary if !attr.payload().is_empty() => match spec.structure() {
            Some(layout) => structure(out, attr.payload(), layout, depth),
            None => {
                let _ = writeln!(out, ": {}", value(attr.payload(), spec));
            }
        },
        _ => {
            let _ = writeln!(out, ": {}", value(attr.payload(), spec));
        }
    }
}

/// A binary attribute carrying a struct: its members, on the line when
/// they are few, else one a line beneath it.
fn structure(out: &mut String, bytes: &[u8], layout: &'static StructSpec, depth: usize) {
    const INLINE: usize = 4;
    if layout.members().len() <= INLINE {
        let _ = writeln!(out, ": {}", struct_line(layout, bytes));
        return;
    }
    out.push_str(":\n");
    for (m, v) in spec::members(layout, bytes) {
        indent(out, depth + 1);
        let _ = writeln!(out, "{}: {}", m.name(), member_text(layout, m, v));
    }
}

/// A sub-message: its fixed header (if any), then its attributes.
fn sub_message(out: &mut String, attr: &Attr<'_>, format: &'static Format, depth: usize) {
    let header = format.fixed_header();
    let skip = header.map_or(0, StructSpec::size);
    let (head, rest) = attr.payload().split_at(skip.min(attr.payload().len()));
    let _ = writeln!(out, " ({}):", format.value());
    if let Some(header) = header {
        indent(out, depth + 1);
        let _ = writeln!(out, "{}: {}", header.name(), struct_line(header, head));
    }
    if depth >= MAX_DEPTH {
        indent(out, depth + 1);
        let _ = writeln!(out, "{} (nested too deep to show)", hex_short(rest));
        return;
    }
    // Offsets stay the message's, for the errors shown.
    let at = attr.offset().saturating_add(NLA_HDRLEN + skip);
    run(
        out,
        Attrs::with_offset(rest, at),
        format.attr_set(),
        depth + 1,
        false,
    );
}

/// What the entries of a nest are.
#[derive(Copy, Clone)]
enum Entries {
    /// Attributes of the nested set.
    Attrs,
    /// Numbered entries, each a nest of the nested set.
    Nests,
    /// Numbered entries, each a value of the attribute's sub-type.
    Values(&'static AttrSpec),
}

/// Shows a nest's children, or its bytes and why they are not attributes.
fn nest(
    out: &mut String,
    attr: &Attr<'_>,
    inner: Option<&'static AttrSet>,
    depth: usize,
    entries: Entries,
) {
    if attr.payload().is_empty() {
        out.push_str(": (empty)\n");
        return;
    }
    if depth >= MAX_DEPTH {
        let _ = writeln!(
            out,
            ": {} (nested too deep to show)",
            hex_short(attr.payload())
        );
        return;
    }
    if let Some(Err(e)) = attr.nested().find(Result::is_err) {
        let _ = writeln!(out, ": {} (not attributes: {e})", hex_short(attr.payload()));
        return;
    }
    out.push_str(":\n");
    if let Entries::Attrs = entries {
        run(out, attr.nested(), inner, depth + 1, false);
        return;
    }
    for entry in attr.nested().flatten() {
        indent(out, depth + 1);
        let _ = write!(out, "[{}]", entry.kind());
        if entry.is_nested() {
            out.push_str(" [N]");
        }
        match entries {
            Entries::Values(spec) => {
                let _ = writeln!(out, ": {}", entry_value(entry.payload(), spec));
            }
            _ => nest(out, &entry, inner, depth + 1, Entries::Attrs),
        }
    }
}

/// An attribute the specifications do not describe, or describe without
/// saying what it holds: its children when it is a clean run of attributes
/// (and flagged `NLA_F_NESTED`, or `nest` says it is one), else its value
/// guessed from its size.
fn guess(out: &mut String, attr: &Attr<'_>, depth: usize, nest_like: bool) {
    if (nest_like || attr.is_nested()) && is_clean_run(attr) {
        nest(out, attr, None, depth, Entries::Attrs);
    } else {
        let _ = writeln!(out, ": {}", guess_scalar(attr));
    }
}

/// Does the payload read as a non-empty run of well-formed attributes?
fn is_clean_run(attr: &Attr<'_>) -> bool {
    !attr.payload().is_empty() && attr.nested().all(|a| a.is_ok())
}

/// A payload of the type its spec declares; bytes when it does not fit.
fn value(payload: &[u8], spec: &'static AttrSpec) -> String {
    let ty = spec.attr_type();
    match ty {
        // Kernel strings are bytes: a name that is not UTF-8 is shown
        // escaped (`"p\xe9"`), never refused.
        AttrType::String if !payload.is_empty() => {
            let text = payload.split(|&b| b == 0).next().unwrap_or(payload);
            return format!("{:?}", Escaped(text));
        }
        AttrType::Flag if payload.is_empty() => return "true".into(),
        AttrType::Bitfield32 => {
            if let (Some(v), Some(s)) = (
                payload
                    .get(..4)
                    .and_then(|b| spec::int(b, AttrType::U32, ByteOrder::Host)),
                payload
                    .get(4..)
                    .and_then(|b| spec::int(b, AttrType::U32, ByteOrder::Host)),
            ) {
                return format!("value {:#x}, selector {:#x}", v.bits(), s.bits());
            }
        }
        _ => {}
    }
    if let Some(i) = spec::int(payload, ty, spec.byte_order()) {
        return int_text(i, Naming::of_attr(spec), None);
    }
    bytes_text(payload, spec.display_hint())
}

/// An entry of an indexed array of values.
fn entry_value(payload: &[u8], spec: &'static AttrSpec) -> String {
    let ty = spec.sub_type().unwrap_or(AttrType::Binary);
    match spec::int(payload, ty, spec.byte_order()) {
        Some(i) => int_text(i, Naming::of_attr(spec), None),
        None => bytes_text(payload, spec.display_hint()),
    }
}

/// A payload without a schema: a number when its size is one, a string
/// when it reads as one, else bytes.
fn guess_scalar(attr: &Attr<'_>) -> String {
    let p = attr.payload();
    let number = match p.len() {
        1 => attr.u8().ok().map(u64::from),
        2 => attr.u16().ok().map(u64::from),
        4 => attr.u32().ok().map(u64::from),
        8 => attr.u64().ok(),
        _ => None,
    };
    if let Some(n) = number {
        return n.to_string();
    }
    if let Some(s) = as_text(p) {
        return format!("{s:?}");
    }
    hex_short(p)
}

/// The payload as a string: printable text, a NUL, and only NULs after it.
fn as_text(p: &[u8]) -> Option<&str> {
    let end = p.iter().position(|&b| b == 0)?;
    let (text, rest) = p.split_at(end);
    if text.is_empty() || rest.iter().any(|&b| b != 0) {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

/// Short bytes in hex; for longer ones, the size and the first bytes.
pub fn hex_short(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    if bytes.len() <= SHORT_HEX {
        return format!("hex {}", spec::plain_hex(bytes));
    }
    let head = bytes.get(..HEX_PREVIEW).unwrap_or(bytes);
    format!("{} bytes: {}…", bytes.len(), spec::plain_hex(head))
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn malformed(out: &mut String, depth: usize, e: Error) -> Option<Error> {
    indent(out, depth);
    let _ = writeln!(out, "malformed: {e}");
    Some(e)
}

/// The extended ack's fields, one a line; a text that is not UTF-8 is shown
/// escaped, and what is malformed is shown without failing the message.
fn ext_ack(out: &mut String, ack: &procslink::netlink::ExtAck<'_>) {
    if let Some(m) = ack.message_bytes() {
        let _ = writeln!(out, "  extended ack: {:?}", Escaped(m));
    }
    if let Some(o) = ack.bad_attr_offset() {
        let _ = writeln!(out, "  bad attribute at offset {o} of the request");
    }
    if let Some(t) = ack.missing_type() {
        let _ = writeln!(out, "  missing attribute type {t}");
    }
    if let Some(n) = ack.missing_nest() {
        let _ = writeln!(out, "  in the nest at offset {n}");
    }
    if let Some(c) = ack.cookie() {
        let _ = writeln!(out, "  cookie: {}", hex_short(c));
    }
    if let Some(p) = ack.policy() {
        let _ = writeln!(out, "  policy: {}", hex_short(p.payload()));
    }
    if let Some(e) = ack.malformed() {
        let _ = writeln!(out, "  extended ack malformed: {e}");
    }
}

/// Can `Protocol::type_name` be asked about `ty`? (It underflows on the
/// reserved types below 0x10 that have no control name.)
fn nameable(ty: MessageType) -> bool {
    ty.is_family() || ty.control_name().is_some()
}

/// The name `protocol` gives `ty`, if any.
pub fn type_name(protocol: Protocol, ty: MessageType) -> Option<String> {
    if !nameable(ty) {
        return None;
    }
    protocol.type_name(ty).map(|[a, b, c]| format!("{a}{b}{c}"))
}

/// A header, named as `protocol` names it (the echoed request of an
/// error, or a message `Protocol::display` cannot show).
fn header_line(h: &NlMsgHdr, protocol: Protocol) -> String {
    let ty = h.message_type();
    let name = type_name(protocol, ty).unwrap_or_else(|| format!("type {}", ty.0));
    format!(
        "{name} len {} flags {} seq {} pid {}",
        h.len(),
        h.flags().display_for(protocol.request_kind(ty)),
        h.seq(),
        h.pid()
    )
}

/// A negative errno as text: `-19` is `No such device`.
pub fn errno_text(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno.saturating_neg()).to_string();
    match text.find(" (os error") {
        Some(end) => text.get(..end).unwrap_or(&text).to_string(),
        None => text,
    }
}
