//! The decoded tree of kernel netlink messages, and their summary.
//!
//! The header line of each message is the crate's
//! [`Protocol::display`](procslink::netlink::display::Protocol::display);
//! beneath it come the family header's fields and the attributes with names
//! and values, descending into the nests each family's schema declares
//! (rtnetlink's `IFLA_LINKINFO`, `IFLA_AF_SPEC`, the controller's ops and
//! multicast groups…) whether or not `NLA_F_NESTED` is set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use procslink::Error;
use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::genl::GENL_ID_CTRL;
use procslink::netlink::route::{IfAddrMsg, IfInfoMsg, NdMsg, RtMsg};
use procslink::netlink::{Attr, Attrs, GenlMsgHdr, Message, MessageType, NlMsgHdr};

use crate::schema::{self, Schema, Shape};

/// How deep the tree follows nests.
const MAX_DEPTH: usize = 8;
/// Binary payloads up to this size are shown whole, in hex.
const SHORT_HEX: usize = 32;
/// How much of a longer binary payload is shown.
const HEX_PREVIEW: usize = 16;

/// Writes `msg` as a tree. Returns the first error that breaks the
/// message's structure (a bad family header, a malformed top-level
/// attribute, an undecodable error or done message); it is also shown in
/// the tree. Nests that do not parse are shown as bytes, with the reason.
pub fn message(out: &mut String, msg: &Message<'_>, protocol: Protocol) -> Option<Error> {
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
    let Some((name, len)) = protocol.family_header(ty) else {
        if !msg.payload().is_empty() {
            let _ = writeln!(out, "  payload: {}", hex_short(msg.payload()));
        }
        return None;
    };
    let attrs = match msg.split_family_header(len) {
        Ok((_, attrs)) => attrs,
        Err(e) => return malformed(out, 1, e),
    };
    family_header(out, msg, protocol, name, len);
    let ctx = Ctx {
        family: msg.payload().first().copied().unwrap_or(0),
    };
    run(out, attrs, schema_for(protocol, ty), ctx, 1, true)
}

/// Per-message facts the values depend on.
#[derive(Copy, Clone)]
struct Ctx {
    /// The address family (first byte of every rtnetlink family header).
    family: u8,
}

/// The attribute schema of the messages of type `ty`.
fn schema_for(protocol: Protocol, ty: MessageType) -> &'static Schema {
    match protocol {
        Protocol::Route if ty.is_family() => match (ty.0 - MessageType::MIN_FAMILY.0) / 4 {
            0 => &schema::LINK,
            1 => &schema::ADDR,
            2 => &schema::ROUTE,
            3 => &schema::NEIGH,
            4 => &schema::RULE,
            _ => &schema::UNKNOWN,
        },
        Protocol::Generic if ty == GENL_ID_CTRL => &schema::CTRL,
        _ => &schema::UNKNOWN,
    }
}

fn family_header(out: &mut String, msg: &Message<'_>, protocol: Protocol, name: &str, len: usize) {
    let family = |f: u8| match schema::family(f) {
        Some(n) => n.to_string(),
        None => f.to_string(),
    };
    let named = |n: Option<&str>, v: u32| match n {
        Some(n) => n.to_string(),
        None => v.to_string(),
    };
    let line = match name {
        "ifinfomsg" => msg.family_header::<IfInfoMsg>().ok().map(|(h, _)| {
            format!(
                "family {}, type {}, index {}, flags {:#x} <{}>, change {:#x}",
                family(h.family),
                h.link_type(),
                h.index(),
                h.flags(),
                schema::bit_names(schema::IFF, h.flags()),
                h.change.get()
            )
        }),
        "ifaddrmsg" => msg.family_header::<IfAddrMsg>().ok().map(|(h, _)| {
            format!(
                "family {}, prefixlen {}, flags {:#x}, scope {}, index {}",
                family(h.family),
                h.prefixlen,
                h.flags,
                named(schema::scope(h.scope), h.scope.into()),
                h.index.get()
            )
        }),
        "rtmsg" => msg.family_header::<RtMsg>().ok().map(|(h, _)| {
            format!(
                "family {}, dst_len {}, src_len {}, tos {}, table {}, protocol {}, scope {}, type {}, flags {:#x}",
                family(h.family),
                h.dst_len,
                h.src_len,
                h.tos,
                named(schema::route_table(h.table.into()), h.table.into()),
                named(schema::route_protocol(h.protocol), h.protocol.into()),
                named(schema::scope(h.scope), h.scope.into()),
                named(schema::route_type(h.route_type), h.route_type.into()),
                h.flags.get()
            )
        }),
        "ndmsg" => msg.family_header::<NdMsg>().ok().map(|(h, _)| {
            let state = h.state.get();
            let states = schema::bit_names(schema::NUD, state.into());
            format!(
                "family {}, ifindex {}, state {state:#x} <{}>, flags {:#x}, type {}",
                family(h.family),
                h.ifindex.get(),
                if states.is_empty() { "NONE" } else { &states },
                h.flags,
                h.ndm_type
            )
        }),
        "genlmsghdr" => msg.genl().ok().map(|(h, _)| genl_line(h, protocol, msg)),
        _ => None,
    };
    match line {
        Some(line) => {
            let _ = writeln!(out, "  {name}: {line}");
        }
        None => {
            let head = msg.payload().get(..len).unwrap_or(&[]);
            let _ = writeln!(out, "  {name}: {}", hex_short(head));
        }
    }
}

fn genl_line(h: &GenlMsgHdr, protocol: Protocol, msg: &Message<'_>) -> String {
    let cmd = match (protocol, msg.message_type() == GENL_ID_CTRL) {
        (Protocol::Generic, true) => schema::ctrl_command(h.cmd),
        _ => None,
    };
    match cmd {
        Some(name) => format!("cmd {} (CTRL_CMD_{name}), version {}", h.cmd, h.version),
        None => format!("cmd {}, version {}", h.cmd, h.version),
    }
}

/// Writes a run of attributes at `depth`. With `strict`, the first
/// malformed attribute is returned as the message's error; otherwise it is
/// only shown.
fn run(
    out: &mut String,
    attrs: Attrs<'_>,
    schema: &Schema,
    ctx: Ctx,
    depth: usize,
    strict: bool,
) -> Option<Error> {
    for attr in attrs {
        match attr {
            Ok(attr) => attribute(out, &attr, schema.lookup(attr.kind()), schema, ctx, depth),
            Err(e) => {
                let shown = malformed(out, depth, e);
                return if strict { shown } else { None };
            }
        }
    }
    None
}

fn attribute(
    out: &mut String,
    attr: &Attr<'_>,
    known: Option<(&str, Shape)>,
    schema: &Schema,
    ctx: Ctx,
    depth: usize,
) {
    indent(out, depth);
    match known {
        Some((name, _)) => {
            let _ = write!(out, "{}{name} ({})", schema.prefix, attr.kind());
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
    let shape = match known {
        Some((_, shape)) => shape,
        None if attr.is_nested() => Shape::Guess,
        None => {
            let _ = writeln!(out, ": {}", guess_scalar(attr));
            return;
        }
    };
    match shape {
        Shape::Nest(inner) => nest(out, attr, inner, ctx, depth, false),
        Shape::Array(inner) => nest(out, attr, inner, ctx, depth, true),
        Shape::Guess => {
            if is_clean_run(attr) {
                nest(out, attr, &schema::UNKNOWN, ctx, depth, false);
            } else {
                let _ = writeln!(out, ": {}", guess_scalar(attr));
            }
        }
        scalar => {
            let _ = writeln!(out, ": {}", value(attr, scalar, ctx));
        }
    }
}

/// Shows a nest's children, or its bytes and why they are not attributes.
/// In an array, every child is itself a nest described by `inner`.
fn nest(out: &mut String, attr: &Attr<'_>, inner: &Schema, ctx: Ctx, depth: usize, array: bool) {
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
    if !array {
        run(out, attr.nested(), inner, ctx, depth + 1, false);
        return;
    }
    for entry in attr.nested().flatten() {
        indent(out, depth + 1);
        let _ = write!(out, "[{}]", entry.kind());
        if entry.is_nested() {
            out.push_str(" [N]");
        }
        nest(out, &entry, inner, ctx, depth + 1, false);
    }
}

/// Does the payload read as a non-empty run of well-formed attributes?
fn is_clean_run(attr: &Attr<'_>) -> bool {
    !attr.payload().is_empty() && attr.nested().all(|a| a.is_ok())
}

/// A payload of a declared shape; bytes when it does not fit the shape.
fn value(attr: &Attr<'_>, shape: Shape, ctx: Ctx) -> String {
    let shown = match shape {
        // Kernel strings are bytes: a name that is not UTF-8 is shown
        // escaped (`"p\xe9"`), never refused.
        Shape::Str if !attr.payload().is_empty() => {
            Some(format!("{:?}", Escaped(attr.bytes_str())))
        }
        Shape::U8 => attr.u8().ok().map(|v| v.to_string()),
        Shape::U16 => attr.u16().ok().map(|v| v.to_string()),
        Shape::U32 => attr.u32().ok().map(|v| v.to_string()),
        Shape::I32 => attr.i32().ok().map(|v| v.to_string()),
        Shape::Be16 => attr.u16_be().ok().map(|v| v.to_string()),
        Shape::Be32 => attr.u32_be().ok().map(|v| v.to_string()),
        Shape::Mac if !attr.payload().is_empty() => Some(colon_hex(attr.payload())),
        Shape::Ip => ip(ctx.family, attr.payload()),
        _ => None,
    };
    shown.unwrap_or_else(|| hex_short(attr.payload()))
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

fn ip(family: u8, bytes: &[u8]) -> Option<String> {
    match (family, bytes.len()) {
        (2 | 0, 4) => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|a| Ipv4Addr::from(a).to_string()),
        (10 | 0, 16) => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|a| Ipv6Addr::from(a).to_string()),
        (_, 4) if family != 10 => ip(2, bytes),
        (_, 16) if family != 2 => ip(10, bytes),
        _ => None,
    }
}

/// Short bytes in hex; for longer ones, the size and the first bytes.
pub fn hex_short(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    if bytes.len() <= SHORT_HEX {
        return format!("hex {}", plain_hex(bytes));
    }
    let head = bytes.get(..HEX_PREVIEW).unwrap_or(bytes);
    format!("{} bytes: {}…", bytes.len(), plain_hex(head))
}

fn plain_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn colon_hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
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
fn type_name(protocol: Protocol, ty: MessageType) -> Option<String> {
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

/// Counts for `--summary`.
#[derive(Default)]
pub struct Stats {
    messages: usize,
    attributes: usize,
    by_type: BTreeMap<u16, usize>,
}

impl Stats {
    /// Counts `msg` and its top-level attributes (those after the family
    /// header); the first malformed one is an error, after the attributes
    /// before it are counted.
    pub fn add(&mut self, msg: &Message<'_>, protocol: Protocol) -> Result<(), Error> {
        let ty = msg.message_type();
        self.messages += 1;
        *self.by_type.entry(ty.0).or_default() += 1;
        if ty.is_error() {
            return msg.error().map(|_| ());
        }
        if ty.is_done() {
            return msg.done().map(|_| ());
        }
        let Some((_, len)) = protocol.family_header(ty) else {
            return Ok(());
        };
        let (_, attrs) = msg.split_family_header(len)?;
        for attr in attrs {
            attr?;
            self.attributes += 1;
        }
        Ok(())
    }

    /// Writes the counts.
    pub fn write(&self, out: &mut String, protocol: Protocol) {
        let _ = writeln!(
            out,
            "{} messages, {} top-level attributes",
            self.messages, self.attributes
        );
        for (&ty, &count) in &self.by_type {
            let name = type_name(protocol, MessageType(ty)).unwrap_or_else(|| "?".into());
            let _ = writeln!(out, "  type {ty} {name}: {count}");
        }
    }
}
