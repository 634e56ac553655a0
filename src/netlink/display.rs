//! Human-readable output that knows a netlink protocol's names.
//!
//! Message types and the meaning of the high flag bits depend on the
//! protocol (`NETLINK_ROUTE`'s 16 is `RTM_NEWLINK`, `NETLINK_GENERIC`'s 16 is
//! the controller), so naming needs a [`Protocol`].
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! # let dump = procslink::netlink::doc_example_dump();
//! use procslink::netlink::{Messages, display::Protocol};
//!
//! let msg = Messages::new(&dump).next().unwrap()?;
//! let shown = Protocol::Route.display(&msg).to_string();
//! assert_eq!(shown, "RTM_NEWLINK len 56 flags MULTI seq 1 pid 0");
//! let tree = format!("{:#}", Protocol::Route.display(&msg));
//! assert!(tree.contains("\n  ifinfomsg (16 bytes)\n  type 3 len 7"));
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```

use core::fmt;

use super::attr::Attrs;
use super::flags::RequestKind;
use super::message::Message;
use super::types::MessageType;

/// How deep the `{:#}` tree follows nests.
const MAX_SHOWN_DEPTH: usize = 8;

/// A netlink protocol, for naming message types.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `NETLINK_ROUTE` (rtnetlink).
    Route,
    /// `NETLINK_GENERIC`.
    Generic,
    /// Any other protocol: only control types are named.
    Other,
}

const ROUTE_NAMES: &[&str] = &[
    "LINK",
    "ADDR",
    "ROUTE",
    "NEIGH",
    "RULE",
    "QDISC",
    "TCLASS",
    "TFILTER",
    "ACTION",
    "PREFIX",
    "MULTICAST",
    "ANYCAST",
    "NEIGHTBL",
    "",
    "NDUSEROPT",
    "ADDRLABEL",
    "DCB",
    "NETCONF",
    "",
    "MDB",
    "NSID",
    "STATS",
    "CACHEREPORT",
    "CHAIN",
    "NEXTHOP",
    "LINKPROP",
    "VLAN",
    "NEXTHOPBUCKET",
    "TUNNEL",
];
const ROUTE_VERBS: [&str; 4] = ["NEW", "DEL", "GET", "SET"];

impl Protocol {
    /// The name of a message type: a control name, or the family's own, as
    /// pieces to be written one after another (`["RTM_", "NEW", "LINK"]`).
    pub fn type_name(self, ty: MessageType) -> Option<[&'static str; 3]> {
        if let Some(name) = ty.control_name() {
            return Some(["NLMSG_", name, ""]);
        }
        match self {
            Protocol::Route if ty.is_family() => {
                let i = (ty.0 - MessageType::MIN_FAMILY.0) as usize;
                let object = ROUTE_NAMES.get(i / 4).filter(|n| !n.is_empty())?;
                Some(["RTM_", ROUTE_VERBS[i % 4], object])
            }
            Protocol::Generic if ty == super::genl::GENL_ID_CTRL => Some(["GENL_ID_", "CTRL", ""]),
            _ => None,
        }
    }

    /// The request kind a message type implies, which decides what the flag
    /// bits from 0x100 up mean.
    pub fn request_kind(self, ty: MessageType) -> Option<RequestKind> {
        if let Some(kind) = ty.ack_kind() {
            return Some(kind);
        }
        match self {
            Protocol::Route if ty.is_family() => match (ty.0 - MessageType::MIN_FAMILY.0) % 4 {
                0 => Some(RequestKind::New),
                1 => Some(RequestKind::Delete),
                2 => Some(RequestKind::Get),
                _ => None,
            },
            _ => None,
        }
    }

    /// The family header that starts the payload of a message type, with
    /// its name and size, where the protocol defines one.
    pub fn family_header(self, ty: MessageType) -> Option<(&'static str, usize)> {
        if ty.is_control() {
            return None;
        }
        match self {
            Protocol::Route => match (ty.0 - MessageType::MIN_FAMILY.0) / 4 {
                0 => Some(("ifinfomsg", 16)),
                1 => Some(("ifaddrmsg", 8)),
                2 | 4 => Some(("rtmsg", 12)),
                3 => Some(("ndmsg", 12)),
                _ => None,
            },
            Protocol::Generic => Some(("genlmsghdr", 4)),
            Protocol::Other => None,
        }
    }

    /// Shows `msg` with this protocol's names: one line by default, and with
    /// `{:#}` the family header and attributes beneath it, nests indented.
    pub fn display<'m, 'a>(self, msg: &'m Message<'a>) -> MessageDisplay<'m, 'a> {
        MessageDisplay {
            msg,
            protocol: self,
        }
    }
}

/// Shows a message with a protocol's names; made by [`Protocol::display`].
#[derive(Copy, Clone, Debug)]
pub struct MessageDisplay<'m, 'a> {
    msg: &'m Message<'a>,
    protocol: Protocol,
}

impl fmt::Display for MessageDisplay<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.msg.header();
        let ty = h.message_type();
        match self.protocol.type_name(ty) {
            Some([a, b, c]) => write!(f, "{a}{b}{c}")?,
            None => write!(f, "type {}", ty.0)?,
        }
        write!(
            f,
            " len {} flags {} seq {} pid {}",
            h.len(),
            h.flags().display_for(self.protocol.request_kind(ty)),
            h.seq(),
            h.pid()
        )?;
        if !f.alternate() {
            return Ok(());
        }
        if ty.is_error() {
            return match self.msg.error() {
                Ok(e) => write!(f, "\n  {e}"),
                Err(e) => write!(f, "\n  malformed: {e}"),
            };
        }
        if ty.is_done() {
            return match self.msg.done() {
                Ok(d) => write!(f, "\n  {d}"),
                Err(e) => write!(f, "\n  malformed: {e}"),
            };
        }
        let Some((name, len)) = self.protocol.family_header(ty) else {
            return write!(f, "\n  payload ({} bytes)", self.msg.payload().len());
        };
        match self.msg.split_family_header(len) {
            Ok((_, attrs)) => {
                write!(f, "\n  {name} ({len} bytes)")?;
                write_attrs(f, attrs, 1)
            }
            Err(e) => write!(f, "\n  malformed: {e}"),
        }
    }
}

/// Shows bytes that are meant as text but need not be UTF-8 (interface
/// names, extended-ack messages): valid UTF-8 as it is, every other byte as
/// `\xNN`.
///
/// Control characters and the backslash are escaped too (`\n`, `\u{7f}`,
/// `\\`), so the output is one line and reads back unambiguously. `{}`
/// shows the escaped text; `{:?}` also quotes it and escapes `"`.
/// Nothing is allocated.
///
/// ```
/// use procslink::netlink::display::Escaped;
///
/// assert_eq!(Escaped(b"eth0").to_string(), "eth0");
/// assert_eq!(Escaped(b"n\xff\xfe").to_string(), r"n\xff\xfe");
/// assert_eq!(Escaped("café".as_bytes()).to_string(), "café");
/// assert_eq!(format!("{:?}", Escaped(b"a\"b\n")), r#""a\"b\n""#);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Escaped<'a>(pub &'a [u8]);

impl Escaped<'_> {
    fn write(&self, f: &mut fmt::Formatter<'_>, quote: bool) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' if quote => f.write_str("\\\"")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    '\0' => f.write_str("\\0")?,
                    c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                    c => fmt::Write::write_char(f, c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        self.write(f, true)?;
        f.write_str("\"")
    }
}

fn write_attrs(f: &mut fmt::Formatter<'_>, attrs: Attrs<'_>, depth: usize) -> fmt::Result {
    for attr in attrs {
        f.write_str("\n")?;
        for _ in 0..depth {
            f.write_str("  ")?;
        }
        match attr {
            Ok(attr) => {
                write!(f, "{attr}")?;
                if attr.is_nested() && depth < MAX_SHOWN_DEPTH {
                    write_attrs(f, attr.nested(), depth + 1)?;
                }
            }
            Err(e) => write!(f, "malformed: {e}")?,
        }
    }
    Ok(())
}
