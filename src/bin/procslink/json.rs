//! ProcsLink datagrams: headers, the JSON-RPC classification and the JSON
//! text, pretty-printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use procslink::Error;
use procslink::jsonrpc::{Incoming, JsonStr, Kind, Message, RawValue};
use procslink::procslink::{Datagram, MAX_DATAGRAM, PROCSLINK_OVERHEAD};

use crate::tree::hex_short;
use crate::{Failure, Out};

/// Decodes the datagrams in `buf` (one, or several concatenated: each is
/// `16 + nlmsg_len` bytes) and prints each, or with `summary` only counts.
pub fn datagrams(buf: &[u8], summary: bool, out: &mut Out) -> Result<(), Failure> {
    let mut text = String::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut total = 0usize;
    let mut offset = 0usize;
    let mut failure = None;
    while offset < buf.len() {
        let rest = buf.get(offset..).unwrap_or(&[]);
        let size = match rest.first_chunk::<4>() {
            Some(len) => (u32::from_be_bytes(*len) as usize).saturating_add(16),
            None => rest.len(),
        };
        let one = rest.get(..size).unwrap_or(rest);
        let datagram = match Datagram::parse_with_limit(one, usize::MAX) {
            Ok(d) => d,
            Err(e) => {
                failure = Some(e.shifted(offset));
                break;
            }
        };
        total += 1;
        let class = datagram_text(&mut text, &datagram, offset, summary);
        match class {
            Ok(class) => *counts.entry(class).or_default() += 1,
            Err(e) => failure = Some(e.shifted(offset)),
        }
        if !summary {
            out.drain(&mut text)?;
        }
        if failure.is_some() {
            break;
        }
        offset += one.len();
    }
    if summary {
        let _ = writeln!(text, "{total} datagrams");
        for (class, n) in &counts {
            let _ = writeln!(text, "  {class}: {n}");
        }
        out.drain(&mut text)?;
    }
    match failure {
        Some(e) => Err(Failure::msg(format!("malformed ProcsLink datagram: {e}"))),
        None => Ok(()),
    }
}

/// Writes one datagram (unless `summary`) and returns its classification;
/// a payload that is not a JSON-RPC message is an error (its offset counts
/// from the datagram's start) after what could be shown is shown.
fn datagram_text(
    out: &mut String,
    d: &Datagram<'_>,
    offset: usize,
    summary: bool,
) -> Result<&'static str, Error> {
    let size = PROCSLINK_OVERHEAD + d.payload().len();
    if !summary {
        let _ = writeln!(out, "@{offset} ProcsLink datagram, {size} bytes");
        let _ = writeln!(out, "  nlmsghdr (big-endian): {}", d.netlink_header());
        let _ = writeln!(out, "  procslinkhdr: {}", d.header());
        if size > MAX_DATAGRAM {
            let _ = writeln!(
                out,
                "  note: larger than the reference's {MAX_DATAGRAM}-byte limit"
            );
        }
    }
    let text = match d.text() {
        Ok(t) => t,
        Err(e) => {
            if !summary {
                let _ = writeln!(out, "  payload: {}", hex_short(d.payload()));
            }
            return Err(e);
        }
    };
    let shift = |e: Error| e.shifted(PROCSLINK_OVERHEAD);
    let incoming = match Message::parse(text.as_bytes()) {
        Ok(i) => i,
        Err(e) => {
            if !summary {
                match RawValue::parse(text) {
                    Ok(v) => pretty_block(out, v),
                    Err(_) => {
                        let _ = writeln!(out, "  text: {text:?}");
                    }
                }
            }
            return Err(shift(e));
        }
    };
    let class = match incoming {
        Incoming::Single(m) => {
            let (class, line) = classify(&m);
            if !summary {
                let _ = writeln!(out, "  {line}");
                if let Some(note) = payload_type_note(d, &m) {
                    let _ = writeln!(out, "  note: {note}");
                }
            }
            class
        }
        Incoming::Batch(batch) => {
            if !summary {
                let _ = writeln!(out, "  JSON-RPC batch of {}", batch.len());
                for (i, element) in batch.elements().enumerate() {
                    match element.message() {
                        Ok(m) => {
                            let _ = writeln!(out, "    [{i}] {}", classify(&m).1);
                        }
                        Err(e) => {
                            let _ = writeln!(
                                out,
                                "    [{i}] invalid: {}",
                                e.shifted(PROCSLINK_OVERHEAD)
                            );
                        }
                    }
                }
            }
            "batch"
        }
    };
    if !summary {
        match RawValue::parse(text) {
            Ok(v) => pretty_block(out, v),
            Err(e) => return Err(shift(e)),
        }
    }
    Ok(class)
}

/// The kind of message and a one-line description of it.
fn classify(m: &Message<'_>) -> (&'static str, String) {
    match m {
        Message::Request(r) => {
            let params = match r.params {
                None => "no params".to_string(),
                Some(p) if p.is_positional() => {
                    format!(
                        "params positional ({})",
                        p.positional().map_or(0, Iterator::count)
                    )
                }
                Some(p) => format!("params named ({})", p.named().map_or(0, Iterator::count)),
            };
            match r.id {
                Some(id) => (
                    "request",
                    format!("JSON-RPC request: method {:?}, id {id}, {params}", r.method),
                ),
                None => (
                    "notification",
                    format!("JSON-RPC notification: method {:?}, {params}", r.method),
                ),
            }
        }
        Message::Response(r) => match r.outcome {
            Ok(result) => (
                "response",
                format!(
                    "JSON-RPC response: id {}, result {}",
                    r.id,
                    kind_name(result.kind())
                ),
            ),
            Err(e) => {
                let data = match e.data {
                    Some(d) => format!(", data {}", kind_name(d.kind())),
                    None => String::new(),
                };
                (
                    "error",
                    format!(
                        "JSON-RPC error response: id {}, code {}, message {:?}{data}",
                        r.id, e.code, e.message
                    ),
                )
            }
        },
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool => "boolean",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Array => "array",
        Kind::Object => "object",
    }
}

/// A note when `payload_type` disagrees with the message it carries.
fn payload_type_note(d: &Datagram<'_>, m: &Message<'_>) -> Option<String> {
    let expected = match m {
        Message::Request(_) => 1,
        Message::Response(_) => 2,
    };
    let ty = d.payload_type();
    (ty.0 != expected).then(|| format!("payload_type is {ty} but the payload is not"))
}

/// The JSON text, indented two spaces under the datagram.
fn pretty_block(out: &mut String, v: RawValue<'_>) {
    out.push_str("  ");
    pretty(out, v, 1);
    out.push('\n');
}

/// Pretty-prints a validated JSON value: two-space indents, member order
/// kept, strings unescaped (non-ASCII shown as itself).
fn pretty(out: &mut String, v: RawValue<'_>, depth: usize) {
    match v.kind() {
        Kind::Object => {
            let members: Vec<_> = v.members().into_iter().flatten().collect();
            if members.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (name, value)) in members.into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                quote(out, name);
                out.push_str(": ");
                pretty(out, value, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        Kind::Array => {
            let elements: Vec<_> = v.elements().into_iter().flatten().collect();
            if elements.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, value) in elements.into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                pretty(out, value, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Kind::String => match v.as_json_str() {
            Some(s) => quote(out, s),
            None => out.push_str(v.as_str()),
        },
        _ => out.push_str(v.as_str()),
    }
}

/// A JSON string literal, escaping only what JSON requires.
fn quote(out: &mut String, s: JsonStr<'_>) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}
