//! rtnetlink and generic-netlink objects read out of messages, and printed
//! as `ip` prints them: one line each (`ip -br link`, `ip route`,
//! `ip neigh`, `ip rule`, `ip monitor`) or as JSON whose common fields are
//! the ones `ip -j` uses.
//!
//! Each object is a view of its message (addresses and names borrowed from
//! it, nothing copied) and writes itself into a byte buffer: a line, or a
//! JSON object with its keys in `ip -j`'s order.
//!
//! Names are bytes (the kernel accepts an interface named `p\xe9`): they
//! are kept as bytes and shown with `Escaped`, never refused.

use std::collections::HashMap;

use procslink::Error;
use procslink::families::{rt_addr, rt_link, rt_neigh, rt_route, rt_rule};
use procslink::netlink::{Attr, Message};

use crate::emit::{self, Obj};
use crate::names;

mod addr;
mod family;
mod link;
mod neigh;
mod route;
mod rule;

pub use addr::Addr;
pub use family::Family;
pub use link::Link;
pub use neigh::Neigh;
pub use route::Route;
pub use rule::Rule;

/// A link's name as printed: the escaped text and, for JSON, the string
/// literal of it, made once when the name is learnt.
struct Shown {
    text: Box<[u8]>,
    json: Box<[u8]>,
}

/// Interface names by index, for the `dev` of addresses, routes and
/// neighbours and the `master` of links.
#[derive(Default)]
pub struct Names {
    by_index: HashMap<u32, Shown>,
}

impl Names {
    /// Remembers (or, for a deleted link, forgets) `link`'s name.
    pub fn learn(&mut self, link: &Link<'_>, deleted: bool) {
        if deleted {
            self.by_index.remove(&link.index);
            return;
        }
        let mut text = Vec::with_capacity(link.name.len());
        emit::escaped(&mut text, link.name);
        let mut json = Vec::with_capacity(link.name.len() + 2);
        emit::json_escaped(&mut json, link.name);
        let shown = Shown {
            text: text.into_boxed_slice(),
            json: json.into_boxed_slice(),
        };
        self.by_index.insert(link.index, shown);
    }

    /// Is `index` known?
    pub fn knows(&self, index: u32) -> bool {
        self.by_index.contains_key(&index)
    }

    /// Writes the name of link `index`, escaped; `if<N>` when unknown (as
    /// `ip`).
    pub fn write(&self, buf: &mut Vec<u8>, index: u32) {
        match self.by_index.get(&index) {
            Some(n) => buf.extend_from_slice(&n.text),
            None => {
                buf.extend_from_slice(b"if");
                emit::num(buf, index);
            }
        }
    }

    /// Writes the name of link `index` as a JSON string.
    pub fn write_json(&self, buf: &mut Vec<u8>, index: u32) {
        match self.by_index.get(&index) {
            Some(n) => buf.extend_from_slice(&n.json),
            None => {
                buf.extend_from_slice(b"\"if");
                emit::num(buf, index);
                buf.push(b'"');
            }
        }
    }

    /// A member `key` naming link `index`.
    pub(super) fn member(&self, o: &mut Obj<'_>, key: &str, index: u32) {
        self.write_json(o.key(key), index);
    }
}

/// One object of a dump or a notification, borrowed from its message.
pub enum Object<'a> {
    Link(Link<'a>),
    Addr(Addr<'a>),
    Route(Route<'a>),
    Neigh(Neigh<'a>),
    Rule(Rule<'a>),
    Family(Family<'a>),
}

impl<'a> Object<'a> {
    /// Reads an rtnetlink message of a kind this module knows; `None` for
    /// other types.
    pub fn route(msg: &Message<'a>) -> Result<Option<Object<'a>>, Error> {
        let ty = msg.message_type();
        Ok(Some(match ty {
            rt_link::RTM_NEWLINK | rt_link::RTM_DELLINK => Object::Link(Link::parse(msg)?),
            rt_addr::RTM_NEWADDR | rt_addr::RTM_DELADDR => Object::Addr(Addr::parse(msg)?),
            rt_route::RTM_NEWROUTE | rt_route::RTM_DELROUTE => Object::Route(Route::parse(msg)?),
            rt_neigh::RTM_NEWNEIGH | rt_neigh::RTM_DELNEIGH => Object::Neigh(Neigh::parse(msg)?),
            rt_rule::RTM_NEWRULE | rt_rule::RTM_DELRULE => Object::Rule(Rule::parse(msg)?),
            _ => return Ok(None),
        }))
    }

    /// `ip monitor`'s label of the object's kind.
    pub fn label(&self) -> &'static str {
        match self {
            Object::Link(_) => "LINK",
            Object::Addr(_) => "ADDR",
            Object::Route(_) => "ROUTE",
            Object::Neigh(_) => "NEIGH",
            Object::Rule(_) => "RULE",
            Object::Family(_) => "FAMILY",
        }
    }

    /// The object on one line (no newline), as `ip monitor` shows it.
    pub fn line(&self, names: &Names, buf: &mut Vec<u8>) {
        match self {
            Object::Link(l) => l.line(names, buf),
            Object::Addr(a) => a.line(names, buf),
            Object::Route(r) => r.line(names, buf),
            Object::Neigh(n) => n.line(names, buf),
            Object::Rule(r) => r.line(buf),
            Object::Family(f) => f.line(buf),
        }
    }

    /// The object as `ip -j` shows it (an address: one element of
    /// `addr_info`).
    pub fn json(&self, names: &Names, buf: &mut Vec<u8>) {
        match self {
            Object::Link(l) => {
                let mut o = Obj::begin(buf);
                l.json(names, &mut o);
                o.end();
            }
            Object::Addr(a) => a.json(buf),
            Object::Route(r) => r.json(names, buf),
            Object::Neigh(n) => n.json(names, buf),
            Object::Rule(r) => r.json(buf),
            Object::Family(f) => f.json(buf),
        }
    }
}

/// A name of a constant, or the number when it has none.
#[derive(Copy, Clone)]
enum Named {
    Name(&'static str),
    Number(u32),
}

impl Named {
    fn of(name: Option<&'static str>, n: u32) -> Named {
        name.map_or(Named::Number(n), Named::Name)
    }

    fn write(self, buf: &mut Vec<u8>) {
        match self {
            Named::Name(s) => buf.extend_from_slice(s.as_bytes()),
            Named::Number(n) => emit::num(buf, n),
        }
    }

    /// As a JSON string member (`"table":"100"`, as `ip -j`).
    fn member(self, o: &mut Obj<'_>, key: &str) {
        o.text(key, |buf| self.write(buf));
    }
}

fn family_name(family: u8) -> Named {
    Named::of(names::family(family), u32::from(family))
}

/// `ip`'s name of a scope (`global` for `RT_SCOPE_UNIVERSE`).
fn scope_name(scope: u8) -> Named {
    match scope {
        0 => Named::Name("global"),
        s => Named::of(names::scope(s), u32::from(s)),
    }
}

fn table_name(table: u32) -> Named {
    Named::of(names::route_table(table), table)
}

fn protocol_name(proto: u8) -> Named {
    let extra = match proto {
        8 => Some("gated"),
        9 => Some("ra"),
        10 => Some("mrt"),
        11 => Some("zebra"),
        12 => Some("bird"),
        13 => Some("dnrouted"),
        14 => Some("xorp"),
        15 => Some("ntk"),
        18 => Some("keepalived"),
        42 => Some("babel"),
        99 => Some("openr"),
        192 => Some("eigrp"),
        _ => None,
    };
    Named::of(
        extra.or_else(|| names::route_protocol(proto)),
        u32::from(proto),
    )
}

fn u32_of(attr: &Attr<'_>) -> Option<u32> {
    attr.u32().ok()
}

/// Pads what was written since `start` with spaces to `width` characters,
/// as `{:<width}` does.
fn pad(buf: &mut Vec<u8>, start: usize, width: usize) {
    let written = buf.get(start..).unwrap_or(&[]);
    let chars = std::str::from_utf8(written).map_or(written.len(), |s| s.chars().count());
    buf.resize(buf.len() + width.saturating_sub(chars), b' ');
}
