//! pyroute2 transport messages: envelopes, control messages, and the
//! netlink messages they carry.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::ValueEnum;
use procslink::Error;
use procslink::envmsg::{
    ControlAttr, ControlMessage, Envelope, EnvelopeFormat, NLMSG_CONTROL, NLMSG_TRANSPORT,
};
use procslink::netlink::display::Protocol;
use procslink::netlink::{Message, Messages};

use crate::tree::{self, hex_short};
use crate::{Failure, Out};

/// The `envmsghdr` layouts (the bytes do not say which one the peers use).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    /// `{ u32 dst, src }`, 8 bytes (the seed's).
    Basic,
    /// `{ u32 dst, dport, src, sport; u16 ttl, reserved }`, 20 bytes
    /// (pyroute2 0.2.2).
    Ports,
    /// `ports` plus a 16-byte id, 36 bytes (pyroute2 0.2.10 and later; the
    /// default).
    PortsId,
}

impl Layout {
    fn format(self) -> EnvelopeFormat {
        match self {
            Layout::Basic => EnvelopeFormat::Basic,
            Layout::Ports => EnvelopeFormat::Ports,
            Layout::PortsId => EnvelopeFormat::PortsId,
        }
    }
}

/// Prints the messages in `buf`: transport messages as envelopes (the
/// data decoded as a control message or as netlink messages of
/// `protocol`), bare control messages, and anything else as netlink.
pub fn decode(
    buf: &[u8],
    layout: Layout,
    protocol: Protocol,
    summary: bool,
    out: &mut Out,
) -> Result<(), Failure> {
    let mut text = String::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut messages = 0usize;
    let mut first: Option<Error> = None;
    for msg in Messages::new(buf) {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                first.get_or_insert(e);
                break;
            }
        };
        messages += 1;
        let (class, error) = message(&mut text, &msg, layout.format(), protocol);
        *counts.entry(class).or_default() += 1;
        if let Some(e) = error {
            first.get_or_insert(e);
        }
        if summary {
            text.clear();
        } else {
            out.drain(&mut text)?;
        }
    }
    if summary {
        let _ = writeln!(text, "{messages} messages");
        for (class, n) in &counts {
            let _ = writeln!(text, "  {class}: {n}");
        }
        out.drain(&mut text)?;
    }
    match first {
        None => Ok(()),
        Some(e) => Err(Failure::msg(format!("malformed envelope input: {e}"))),
    }
}

/// Writes one message; returns its kind and the first structural error.
fn message(
    out: &mut String,
    msg: &Message<'_>,
    format: EnvelopeFormat,
    protocol: Protocol,
) -> (&'static str, Option<Error>) {
    let ty = msg.message_type();
    if ty == NLMSG_CONTROL {
        let _ = write!(
            out,
            "@{} NLMSG_CONTROL len {}",
            msg.offset(),
            msg.header().len()
        );
        return match ControlMessage::from_message(*msg) {
            Ok(c) => ("control", control(out, &c, 1)),
            Err(e) => {
                let _ = writeln!(out, "\n  malformed: {e}");
                ("control", Some(e))
            }
        };
    }
    if ty != NLMSG_TRANSPORT {
        return ("netlink", tree::message(out, msg, protocol));
    }
    let _ = writeln!(
        out,
        "@{} NLMSG_TRANSPORT len {} flags {} seq {} pid {}",
        msg.offset(),
        msg.header().len(),
        transport_flags(msg.header().flags().bits()),
        msg.seq(),
        msg.pid()
    );
    let env = match Envelope::from_message(*msg, format) {
        Ok(env) => env,
        Err(e) => {
            let _ = writeln!(out, "  malformed: {e}");
            return ("transport", Some(e));
        }
    };
    let _ = write!(out, "  envmsghdr: dst {} src {}", env.dst(), env.src());
    if let (Some(dport), Some(sport), Some(ttl)) = (env.dport(), env.sport(), env.ttl()) {
        let _ = write!(out, " dport {dport} sport {sport} ttl {ttl}");
    }
    if let Some(id) = env.id() {
        let _ = write!(out, " id {}", hex_short(id));
    }
    out.push('\n');
    if let Some(frag) = env.fragment() {
        let _ = writeln!(out, "  fragment: {frag}");
        let _ = writeln!(out, "  data: {}", hex_short(env.data()));
        return ("fragment", None);
    }
    if env.is_control() {
        return match env.control() {
            Ok(c) => {
                out.push_str("  data:");
                ("transport", control(out, &c, 2))
            }
            Err(e) => {
                let _ = writeln!(out, "  data: {}", hex_short(env.data()));
                let _ = writeln!(out, "  malformed control message: {e}");
                ("transport", Some(e))
            }
        };
    }
    let data = env.data();
    let inner: Vec<_> = Messages::new(data).collect();
    if data.is_empty() || inner.iter().any(Result::is_err) {
        let _ = writeln!(out, "  data: {}", hex_short(data));
        return ("transport", None);
    }
    let _ = writeln!(
        out,
        "  data: {} bytes of netlink (offsets from the data's start)",
        data.len()
    );
    let mut nested = String::new();
    for m in inner.into_iter().flatten() {
        tree::message(&mut nested, &m, protocol);
    }
    for line in nested.lines() {
        let _ = writeln!(out, "    {line}");
    }
    ("transport", None)
}

/// Writes a control message's header (on the current line) and its
/// attributes beneath it.
fn control(out: &mut String, c: &ControlMessage<'_>, depth: usize) -> Option<Error> {
    let _ = writeln!(out, " {c}");
    for attr in c.attrs() {
        for _ in 0..depth {
            out.push_str("  ");
        }
        match attr {
            Ok(ControlAttr::Unknown(a)) => {
                let _ = writeln!(out, "type {}: {}", a.kind(), hex_short(a.payload()));
            }
            Ok(a) => {
                let _ = writeln!(out, "{a:?}");
            }
            Err(e) => {
                let _ = writeln!(out, "malformed: {e}");
                return Some(e);
            }
        }
    }
    None
}

fn transport_flags(bits: u16) -> String {
    const NAMES: [(u16, &str); 5] = [
        (0x1, "CONTROL"),
        (0x2, "DGRAM"),
        (0x4, "RESPONSE"),
        (0x8, "NOOP"),
        (0x10, "EXCEPTION"),
    ];
    let mut parts: Vec<String> = NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| (*name).to_string())
        .collect();
    let rest = bits & !0x1f;
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join("|")
    }
}
