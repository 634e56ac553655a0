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
use std::io::Write as _;

use procslink::Error;
use procslink::families::rt_addr::IFA_BROADCAST;
use procslink::families::rt_link::{IFLA_BROADCAST, IFLA_LINK_NETNSID};
use procslink::families::rt_route::{
    RTA_MULTIPATH, RTA_PREF, RTA_PREFSRC, RTA_PRIORITY, RTA_SRC, RTA_VIA,
};
use procslink::families::rt_rule::{
    FRA_DST, FRA_FWMARK, FRA_FWMASK, FRA_GOTO, FRA_IIFNAME, FRA_OIFNAME, FRA_PRIORITY, FRA_SRC,
    FRA_TABLE,
};
use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
    rt_neigh::{self, Ndmsg},
    rt_route::{self, Rtmsg},
};
use procslink::netlink::genl::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MAXATTR, CTRL_ATTR_MCAST_GROUPS,
    CTRL_ATTR_OPS, CTRL_ATTR_VERSION,
};
use procslink::netlink::route;
use procslink::netlink::{Attr, Attrs, Message, MessageType};

use crate::emit::{self, Obj};
use crate::names;

/// `RTM_NEWRULE`, `RTM_DELRULE` and `RTM_GETRULE`.
pub const RTM_NEWRULE: MessageType = MessageType(32);
pub const RTM_DELRULE: MessageType = MessageType(33);
pub const RTM_GETRULE: MessageType = MessageType(34);

const NTF_PROXY: u8 = 0x08;
const NTF_ROUTER: u8 = 0x80;
const NTF_EXT_LEARNED: u8 = 0x10;
const NUD_NOARP: u16 = 0x40;
const FIB_RULE_INVERT: u32 = 0x2;

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
    fn member(&self, o: &mut Obj<'_>, key: &str, index: u32) {
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
            RTM_NEWRULE | RTM_DELRULE => Object::Rule(Rule::parse(msg)?),
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

/// A network interface (`RTM_NEWLINK`).
pub struct Link<'a> {
    pub index: u32,
    pub name: &'a [u8],
    pub flags: u32,
    pub link_type: u16,
    pub mtu: Option<u32>,
    pub operstate: Option<u8>,
    pub address: Option<&'a [u8]>,
    pub broadcast: Option<&'a [u8]>,
    pub master: Option<u32>,
    /// `IFLA_LINK` (a veth's peer, a vlan's parent), and whether it is in
    /// another namespace (`IFLA_LINK_NETNSID`).
    pub link: Option<u32>,
    pub link_netnsid: Option<i32>,
    pub kind: Option<&'a [u8]>,
}

impl<'a> Link<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Link<'a>, Error> {
        let (ifi, attrs) = msg.family_header::<Ifinfomsg>()?;
        let mut link = Link {
            index: ifi.ifi_index.get() as u32,
            name: &[],
            flags: ifi.ifi_flags.get(),
            link_type: ifi.ifi_type.get(),
            mtu: None,
            operstate: None,
            address: None,
            broadcast: None,
            master: None,
            link: None,
            link_netnsid: None,
            kind: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_link::IFLA_IFNAME => link.name = attr.bytes_str(),
                rt_link::IFLA_MTU => link.mtu = u32_of(&attr),
                rt_link::IFLA_OPERSTATE => link.operstate = attr.u8().ok(),
                rt_link::IFLA_ADDRESS => link.address = Some(attr.bytes()),
                IFLA_BROADCAST => link.broadcast = Some(attr.bytes()),
                rt_link::IFLA_MASTER => link.master = u32_of(&attr),
                rt_link::IFLA_LINK => link.link = u32_of(&attr),
                IFLA_LINK_NETNSID => link.link_netnsid = attr.i32().ok(),
                rt_link::IFLA_LINKINFO => {
                    if let Ok(Some(k)) = attr.nested().lookup(rt_link::IFLA_INFO_KIND) {
                        link.kind = Some(k.bytes_str());
                    }
                }
                _ => {}
            }
        }
        Ok(link)
    }

    /// `ip`'s flag names, in `ip`'s order (`NO-CARRIER` for a link that is
    /// up without a carrier). Hand-written: `ip`'s spellings (`POINTOPOINT`,
    /// `NOARP`) and order are `ip`'s, not rt-link's `ifinfo-flags`.
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + use<> {
        const ORDER: [(u32, &str); 18] = [
            (0x8, "LOOPBACK"),
            (0x2, "BROADCAST"),
            (0x10, "POINTOPOINT"),
            (0x1000, "MULTICAST"),
            (0x80, "NOARP"),
            (0x200, "ALLMULTI"),
            (0x100, "PROMISC"),
            (0x400, "MASTER"),
            (0x800, "SLAVE"),
            (0x4, "DEBUG"),
            (0x8000, "DYNAMIC"),
            (0x4000, "AUTOMEDIA"),
            (0x2000, "PORTSEL"),
            (0x20, "NOTRAILERS"),
            (0x1, "UP"),
            (0x10000, "LOWER_UP"),
            (0x20000, "DORMANT"),
            (0x40000, "ECHO"),
        ];
        let flags = self.flags;
        let no_carrier = flags & rt_link::IFF_UP != 0 && flags & rt_link::IFF_RUNNING == 0;
        no_carrier.then_some("NO-CARRIER").into_iter().chain(
            ORDER
                .iter()
                .filter(move |(bit, _)| flags & bit != 0)
                .map(|&(_, n)| n),
        )
    }

    /// `<BROADCAST,MULTICAST,UP>`.
    fn write_flags(&self, buf: &mut Vec<u8>) {
        buf.push(b'<');
        for (i, f) in self.flag_names().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(f.as_bytes());
        }
        buf.push(b'>');
    }

    /// `IFLA_OPERSTATE`'s name.
    fn state(&self) -> Named {
        const NAMES: [&str; 7] = [
            "UNKNOWN",
            "NOTPRESENT",
            "DOWN",
            "LOWERLAYERDOWN",
            "TESTING",
            "DORMANT",
            "UP",
        ];
        match self.operstate {
            Some(s) => Named::of(NAMES.get(usize::from(s)).copied(), u32::from(s)),
            None => Named::Name("UNKNOWN"),
        }
    }

    /// `ifi_type`'s name, as `ip` shows it after `link/` (`[N]` when it
    /// has none).
    fn write_type(&self, buf: &mut Vec<u8>) {
        let name = match self.link_type {
            1 => "ether",
            24 => "ieee1394",
            32 => "infiniband",
            512 => "ppp",
            768 => "ipip",
            769 => "tunnel6",
            772 => "loopback",
            776 => "sit",
            778 => "gre",
            801 => "ieee802.11",
            803 => "ieee802.11/radiotap",
            823 => "gre6",
            65534 => "none",
            65535 => "void",
            t => {
                buf.push(b'[');
                emit::num(buf, t);
                buf.push(b']');
                return;
            }
        };
        buf.extend_from_slice(name.as_bytes());
    }

    fn write_address(&self, buf: &mut Vec<u8>, bytes: &[u8]) {
        match (self.link_type, bytes.len()) {
            (768 | 776 | 778, 4) | (769 | 823, 16) => emit::addr(buf, bytes),
            _ => emit::mac(buf, bytes),
        }
    }

    /// The name, with `@peer` for a link with a parent or peer (`veth0@veth1`).
    fn write_shown_name(&self, names: &Names, buf: &mut Vec<u8>) {
        emit::escaped(buf, self.name);
        match (self.link, self.link_netnsid) {
            (Some(peer), None) if peer != 0 && peer != self.index => {
                buf.push(b'@');
                names.write(buf, peer);
            }
            (Some(peer), Some(_)) if peer != 0 => {
                buf.extend_from_slice(b"@if");
                emit::num(buf, peer);
            }
            _ => {}
        }
    }

    /// The start of `ip -br`'s line: the name and the state, padded.
    pub fn brief_head(&self, names: &Names, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.write_shown_name(names, buf);
        pad(buf, start, 16);
        buf.push(b' ');
        let start = buf.len();
        self.state().write(buf);
        pad(buf, start, 14);
    }

    /// `ip -br link`: name, state, MAC, flags, then MTU, master and kind.
    pub fn brief(&self, names: &Names, buf: &mut Vec<u8>) {
        self.brief_head(names, buf);
        buf.push(b' ');
        if let Some(a) = self.address {
            let start = buf.len();
            self.write_address(buf, a);
            pad(buf, start, 17);
            buf.push(b' ');
        }
        self.write_flags(buf);
        if let Some(mtu) = self.mtu {
            buf.extend_from_slice(b" mtu ");
            emit::num(buf, mtu);
        }
        if let Some(m) = self.master {
            buf.extend_from_slice(b" master ");
            names.write(buf, m);
        }
        if let Some(k) = self.kind {
            buf.push(b' ');
            emit::escaped(buf, k);
        }
    }

    /// `ip -o link` / `ip monitor link`.
    pub fn line(&self, names: &Names, buf: &mut Vec<u8>) {
        emit::num(buf, self.index);
        buf.extend_from_slice(b": ");
        self.write_shown_name(names, buf);
        buf.extend_from_slice(b": ");
        self.write_flags(buf);
        if let Some(mtu) = self.mtu {
            buf.extend_from_slice(b" mtu ");
            emit::num(buf, mtu);
        }
        if let Some(m) = self.master {
            buf.extend_from_slice(b" master ");
            names.write(buf, m);
        }
        buf.extend_from_slice(b" state ");
        self.state().write(buf);
        buf.extend_from_slice(b" link/");
        self.write_type(buf);
        if let Some(a) = self.address {
            buf.push(b' ');
            self.write_address(buf, a);
        }
        if let Some(b) = self.broadcast {
            buf.extend_from_slice(b" brd ");
            self.write_address(buf, b);
        }
        if let Some(k) = self.kind {
            buf.extend_from_slice(b" kind ");
            emit::escaped(buf, k);
        }
    }

    /// `ip -d -j link`'s common fields, in `ip`'s order, as members of `o`.
    pub fn json(&self, names: &Names, o: &mut Obj<'_>) {
        o.num("ifindex", self.index);
        match (self.link, self.link_netnsid) {
            (Some(peer), None) if peer != 0 && peer != self.index => {
                names.member(o, "link", peer);
            }
            (Some(peer), Some(_)) => o.num("link_index", peer),
            _ => {}
        }
        o.escaped("ifname", self.name);
        o.words("flags", self.flag_names());
        if let Some(mtu) = self.mtu {
            o.num("mtu", mtu);
        }
        if let Some(m) = self.master {
            names.member(o, "master", m);
        }
        if self.operstate.is_some() {
            self.state().member(o, "operstate");
        }
        o.text("link_type", |buf| self.write_type(buf));
        if let Some(a) = self.address {
            o.text("address", |buf| self.write_address(buf, a));
        }
        if let Some(b) = self.broadcast {
            o.text("broadcast", |buf| self.write_address(buf, b));
        }
        if let (Some(_), Some(nsid)) = (self.link, self.link_netnsid) {
            o.num("link_netnsid", nsid);
        }
        if let Some(k) = self.kind {
            let buf = o.key("linkinfo");
            let mut info = Obj::begin(buf);
            info.escaped("info_kind", k);
            info.end();
        }
    }
}

/// An interface address (`RTM_NEWADDR`).
pub struct Addr<'a> {
    pub family: u8,
    pub prefixlen: u8,
    pub scope: u8,
    pub index: u32,
    pub local: Option<&'a [u8]>,
    pub address: Option<&'a [u8]>,
    pub broadcast: Option<&'a [u8]>,
    pub label: Option<&'a [u8]>,
}

impl<'a> Addr<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Addr<'a>, Error> {
        let (ifa, attrs) = msg.family_header::<Ifaddrmsg>()?;
        let mut addr = Addr {
            family: ifa.ifa_family,
            prefixlen: ifa.ifa_prefixlen,
            scope: ifa.ifa_scope,
            index: ifa.ifa_index.get(),
            local: None,
            address: None,
            broadcast: None,
            label: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_addr::IFA_LOCAL => addr.local = Some(attr.bytes()),
                rt_addr::IFA_ADDRESS => addr.address = Some(attr.bytes()),
                IFA_BROADCAST => addr.broadcast = Some(attr.bytes()),
                rt_addr::IFA_LABEL => addr.label = Some(attr.bytes_str()),
                _ => {}
            }
        }
        Ok(addr)
    }

    /// The address itself: `IFA_LOCAL`, else `IFA_ADDRESS` (IPv6 has only
    /// the latter).
    fn local(&self) -> Option<&'a [u8]> {
        self.local.or(self.address)
    }

    /// A peer address, when `IFA_ADDRESS` differs from `IFA_LOCAL`.
    fn peer(&self) -> Option<&'a [u8]> {
        match (self.local, self.address) {
            (Some(l), Some(a)) if l != a => Some(a),
            _ => None,
        }
    }

    /// `10.1.0.1/24`.
    pub fn prefix(&self, buf: &mut Vec<u8>) {
        match self.local() {
            Some(l) => emit::addr(buf, l),
            None => buf.push(b'?'),
        }
        if let Some(p) = self.peer() {
            buf.extend_from_slice(b" peer ");
            emit::addr(buf, p);
        }
        buf.push(b'/');
        emit::num(buf, self.prefixlen);
    }

    /// `ip monitor address`: `5: veth0 inet 10.1.0.1/24 scope global veth0`.
    pub fn line(&self, names: &Names, buf: &mut Vec<u8>) {
        emit::num(buf, self.index);
        buf.extend_from_slice(b": ");
        names.write(buf, self.index);
        buf.push(b' ');
        family_name(self.family).write(buf);
        buf.push(b' ');
        self.prefix(buf);
        if let Some(b) = self.broadcast {
            buf.extend_from_slice(b" brd ");
            emit::addr(buf, b);
        }
        buf.extend_from_slice(b" scope ");
        scope_name(self.scope).write(buf);
        if let Some(l) = self.label {
            buf.push(b' ');
            emit::escaped(buf, l);
        }
    }

    /// One element of `ip -j addr`'s `addr_info`.
    pub fn json(&self, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        family_name(self.family).member(&mut o, "family");
        if let Some(l) = self.local() {
            o.text("local", |buf| emit::addr(buf, l));
        }
        if let Some(p) = self.peer() {
            o.text("address", |buf| emit::addr(buf, p));
        }
        o.num("prefixlen", self.prefixlen);
        if let Some(b) = self.broadcast {
            o.text("broadcast", |buf| emit::addr(buf, b));
        }
        scope_name(self.scope).member(&mut o, "scope");
        if let Some(l) = self.label {
            o.escaped("label", l);
        }
        o.end();
    }
}

/// A next hop of a multipath route.
pub struct NextHop<'a> {
    pub gateway: Option<&'a [u8]>,
    pub dev: u32,
    pub weight: u16,
}

/// A route (`RTM_NEWROUTE`).
pub struct Route<'a> {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub route_type: u8,
    pub flags: u32,
    pub dst: Option<&'a [u8]>,
    pub src: Option<&'a [u8]>,
    pub gateway: Option<&'a [u8]>,
    pub oif: Option<u32>,
    pub prefsrc: Option<&'a [u8]>,
    pub metric: Option<u32>,
    pub pref: Option<u8>,
    /// `RTA_MULTIPATH`'s payload, read by [`Route::nexthops`].
    pub multipath: Option<&'a [u8]>,
}

impl<'a> Route<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Route<'a>, Error> {
        let (rtm, attrs) = msg.family_header::<Rtmsg>()?;
        let mut r = Route {
            family: rtm.rtm_family,
            dst_len: rtm.rtm_dst_len,
            src_len: rtm.rtm_src_len,
            table: u32::from(rtm.rtm_table),
            protocol: rtm.rtm_protocol,
            scope: rtm.rtm_scope,
            route_type: rtm.rtm_type,
            flags: rtm.rtm_flags.get(),
            dst: None,
            src: None,
            gateway: None,
            oif: None,
            prefsrc: None,
            metric: None,
            pref: None,
            multipath: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_route::RTA_DST => r.dst = Some(attr.bytes()),
                RTA_SRC => r.src = Some(attr.bytes()),
                rt_route::RTA_GATEWAY => r.gateway = Some(attr.bytes()),
                // `struct rtvia`: a family (u16), then the address.
                RTA_VIA => r.gateway = attr.bytes().get(2..),
                rt_route::RTA_OIF => r.oif = u32_of(&attr),
                RTA_PREFSRC => r.prefsrc = Some(attr.bytes()),
                RTA_PRIORITY => r.metric = u32_of(&attr),
                rt_route::RTA_TABLE => r.table = u32_of(&attr).unwrap_or(r.table),
                RTA_PREF => r.pref = attr.u8().ok(),
                RTA_MULTIPATH => r.multipath = Some(attr.bytes()),
                _ => {}
            }
        }
        Ok(r)
    }

    /// The next hops of a multipath route (none for others).
    pub fn nexthops(&self) -> NextHops<'a> {
        NextHops(self.multipath.unwrap_or(&[]))
    }

    fn host_len(&self) -> u8 {
        match self.family {
            route::AF_INET6 => 128,
            route::AF_INET => 32,
            _ => 0,
        }
    }

    /// `default`, `10.1.0.0/24`, or a host address without its length.
    fn write_dst(&self, buf: &mut Vec<u8>) {
        match self.dst {
            None if self.dst_len == 0 => {
                buf.extend_from_slice(b"default");
                return;
            }
            None => buf.push(b'0'),
            Some(d) => {
                emit::addr(buf, d);
                if self.dst_len == self.host_len() {
                    return;
                }
            }
        }
        buf.push(b'/');
        emit::num(buf, self.dst_len);
    }

    fn type_text(&self) -> Option<&'static str> {
        let name = rt_route::ENUM_RTM_TYPE.name_of(self.route_type.into());
        (self.route_type != 1).then_some(name.unwrap_or("unknown"))
    }

    /// Hand-written: rt-route's specification leaves `rtm-flags` (and the
    /// next hops' `RTNH_F_*`) plain integers.
    fn flag_names(&self) -> impl Iterator<Item = &'static str> + use<> {
        const ORDER: [(u32, &str); 11] = [
            (1, "dead"),
            (4, "onlink"),
            (2, "pervasive"),
            (8, "offload"),
            (64, "trap"),
            (0x100, "notify"),
            (16, "linkdown"),
            (32, "unresolved"),
            (0x4000, "rt_offload"),
            (0x8000, "rt_trap"),
            (0x20000, "rt_offload_failed"),
        ];
        let flags = self.flags;
        ORDER
            .iter()
            .filter(move |(bit, _)| flags & bit != 0)
            .map(|&(_, n)| n)
    }

    fn pref_text(&self) -> Option<&'static str> {
        self.pref.map(|p| match p {
            0 => "medium",
            1 => "high",
            3 => "low",
            _ => "unknown",
        })
    }

    /// `ip route`'s notation.
    pub fn line(&self, names: &Names, buf: &mut Vec<u8>) {
        if let Some(t) = self.type_text() {
            buf.extend_from_slice(t.as_bytes());
            buf.push(b' ');
        }
        self.write_dst(buf);
        if let Some(src) = self.src {
            buf.extend_from_slice(b" from ");
            emit::addr(buf, src);
            buf.push(b'/');
            emit::num(buf, self.src_len);
        }
        if let Some(g) = self.gateway {
            buf.extend_from_slice(b" via ");
            emit::addr(buf, g);
        }
        if let Some(o) = self.oif {
            buf.extend_from_slice(b" dev ");
            names.write(buf, o);
        }
        if self.table != u32::from(route::RT_TABLE_MAIN) {
            buf.extend_from_slice(b" table ");
            table_name(self.table).write(buf);
        }
        if self.protocol != 3 {
            buf.extend_from_slice(b" proto ");
            protocol_name(self.protocol).write(buf);
        }
        if self.scope != 0 {
            buf.extend_from_slice(b" scope ");
            scope_name(self.scope).write(buf);
        }
        if let Some(p) = self.prefsrc {
            buf.extend_from_slice(b" src ");
            emit::addr(buf, p);
        }
        if let Some(m) = self.metric {
            buf.extend_from_slice(b" metric ");
            emit::num(buf, m);
        }
        for f in self.flag_names() {
            buf.push(b' ');
            buf.extend_from_slice(f.as_bytes());
        }
        if let Some(p) = self.pref_text() {
            buf.extend_from_slice(b" pref ");
            buf.extend_from_slice(p.as_bytes());
        }
        for nh in self.nexthops() {
            buf.extend_from_slice(b" nexthop");
            if let Some(g) = nh.gateway {
                buf.extend_from_slice(b" via ");
                emit::addr(buf, g);
            }
            buf.extend_from_slice(b" dev ");
            names.write(buf, nh.dev);
            buf.extend_from_slice(b" weight ");
            emit::num(buf, nh.weight);
        }
    }

    /// `ip -j route`'s fields, in `ip`'s order.
    pub fn json(&self, names: &Names, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        if let Some(t) = self.type_text() {
            o.str("type", t);
        }
        o.text("dst", |buf| self.write_dst(buf));
        if let Some(src) = self.src {
            o.text("src", |buf| {
                emit::addr(buf, src);
                buf.push(b'/');
                emit::num(buf, self.src_len);
            });
        }
        if let Some(g) = self.gateway {
            o.text("gateway", |buf| emit::addr(buf, g));
        }
        if let Some(d) = self.oif {
            names.member(&mut o, "dev", d);
        }
        if self.table != u32::from(route::RT_TABLE_MAIN) {
            table_name(self.table).member(&mut o, "table");
        }
        if self.protocol != 3 {
            protocol_name(self.protocol).member(&mut o, "protocol");
        }
        if self.scope != 0 {
            scope_name(self.scope).member(&mut o, "scope");
        }
        if let Some(p) = self.prefsrc {
            o.text("prefsrc", |buf| emit::addr(buf, p));
        }
        if let Some(m) = self.metric {
            o.num("metric", m);
        }
        o.words("flags", self.flag_names());
        if let Some(p) = self.pref_text() {
            o.str("pref", p);
        }
        if self.multipath.is_some() {
            let buf = o.key("nexthops");
            buf.push(b'[');
            for (i, nh) in self.nexthops().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                let mut h = Obj::begin(buf);
                if let Some(g) = nh.gateway {
                    h.text("gateway", |buf| emit::addr(buf, g));
                }
                names.member(&mut h, "dev", nh.dev);
                h.num("weight", nh.weight);
                h.end();
            }
            buf.push(b']');
        }
        o.end();
    }
}

/// `RTA_MULTIPATH`'s next hops: `struct rtnexthop` (len u16, flags u8,
/// hops u8, ifindex i32) each followed by its attributes.
pub struct NextHops<'a>(&'a [u8]);

impl<'a> Iterator for NextHops<'a> {
    type Item = NextHop<'a>;

    fn next(&mut self) -> Option<NextHop<'a>> {
        let head = self.0.first_chunk::<8>()?;
        let len = usize::from(u16::from_ne_bytes([head[0], head[1]]));
        if len < 8 {
            self.0 = &[];
            return None;
        }
        let mut hop = NextHop {
            gateway: None,
            dev: u32::from_ne_bytes([head[4], head[5], head[6], head[7]]),
            weight: u16::from(head[3]) + 1,
        };
        let inner = self.0.get(8..len).unwrap_or(&[]);
        for attr in Attrs::new(inner).flatten() {
            match attr.kind() {
                rt_route::RTA_GATEWAY => hop.gateway = Some(attr.bytes()),
                RTA_VIA => hop.gateway = attr.bytes().get(2..),
                _ => {}
            }
        }
        self.0 = self.0.get(len.next_multiple_of(4)..).unwrap_or(&[]);
        Some(hop)
    }
}

/// One word of a neighbour's state.
enum NudState {
    Name(&'static str),
    /// Bits without a name.
    Unknown(u32),
}

impl NudState {
    fn write(&self, buf: &mut Vec<u8>) {
        match self {
            // `ip neigh` writes the specification's names in capitals.
            NudState::Name(n) => buf.extend(n.bytes().map(|b| b.to_ascii_uppercase())),
            NudState::Unknown(bits) => {
                let _ = write!(buf, "{bits:#x}");
            }
        }
    }
}

/// A neighbour (`RTM_NEWNEIGH`): an ARP or NDP entry.
pub struct Neigh<'a> {
    pub family: u8,
    pub index: u32,
    pub state: u16,
    pub flags: u8,
    pub dst: Option<&'a [u8]>,
    pub lladdr: Option<&'a [u8]>,
}

impl<'a> Neigh<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Neigh<'a>, Error> {
        let (nd, attrs) = msg.family_header::<Ndmsg>()?;
        let mut n = Neigh {
            family: nd.ndm_family,
            index: nd.ndm_ifindex.get() as u32,
            state: nd.ndm_state.get(),
            flags: nd.ndm_flags,
            dst: None,
            lladdr: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_neigh::NDA_DST => n.dst = Some(attr.bytes()),
                rt_neigh::NDA_LLADDR => n.lladdr = Some(attr.bytes()),
                _ => {}
            }
        }
        Ok(n)
    }

    /// Does `ip neigh` show it? It hides `NOARP` entries (and entries
    /// without a state) unless they are proxies or externally learned.
    pub fn shown_by_ip(&self) -> bool {
        self.state & 0xff & !NUD_NOARP != 0 || self.flags & (NTF_PROXY | NTF_EXT_LEARNED) != 0
    }

    /// The state's words: `NONE` for none, the names of the bits set, then
    /// the bits without a name in hex.
    fn states(&self) -> impl Iterator<Item = NudState> + use<> {
        let state = u64::from(self.state);
        let spec = &rt_neigh::ENUM_NUD_STATE;
        let known = spec.entries().iter().fold(0, |bits, e| bits | e.value());
        let none = (state == 0).then_some(NudState::Name("NONE"));
        let set = spec
            .entries()
            .iter()
            .filter(move |e| state & e.value() != 0);
        let named = set.map(|e| NudState::Name(e.name()));
        let unknown = u32::try_from(state & !known).unwrap_or(0);
        let unknown = (unknown != 0).then_some(NudState::Unknown(unknown));
        none.into_iter().chain(named).chain(unknown)
    }

    /// `ip neigh`: `10.1.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT`.
    pub fn line(&self, names: &Names, buf: &mut Vec<u8>) {
        match self.dst {
            Some(d) => emit::addr(buf, d),
            None => buf.push(b'?'),
        }
        buf.extend_from_slice(b" dev ");
        names.write(buf, self.index);
        if let Some(l) = self.lladdr {
            buf.extend_from_slice(b" lladdr ");
            emit::mac(buf, l);
        }
        if self.flags & NTF_ROUTER != 0 {
            buf.extend_from_slice(b" router");
        }
        if self.flags & NTF_PROXY != 0 {
            buf.extend_from_slice(b" proxy");
        }
        for st in self.states() {
            buf.push(b' ');
            st.write(buf);
        }
    }

    /// `ip -j neigh`'s fields.
    pub fn json(&self, names: &Names, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        if let Some(d) = self.dst {
            o.text("dst", |buf| emit::addr(buf, d));
        }
        names.member(&mut o, "dev", self.index);
        if let Some(l) = self.lladdr {
            o.text("lladdr", |buf| emit::mac(buf, l));
        }
        if self.flags & NTF_ROUTER != 0 {
            o.null("router");
        }
        if self.flags & NTF_PROXY != 0 {
            o.null("proxy");
        }
        let buf = o.key("state");
        buf.push(b'[');
        for (i, st) in self.states().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.push(b'"');
            st.write(buf);
            buf.push(b'"');
        }
        buf.push(b']');
        let _ = self.family;
        o.end();
    }
}

/// A routing policy rule (`RTM_NEWRULE`).
pub struct Rule<'a> {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub action: u8,
    pub flags: u32,
    pub table: u32,
    pub priority: u32,
    pub src: Option<&'a [u8]>,
    pub dst: Option<&'a [u8]>,
    pub iif: Option<&'a [u8]>,
    pub oif: Option<&'a [u8]>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    pub goto: Option<u32>,
}

impl<'a> Rule<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Rule<'a>, Error> {
        // `struct fib_rule_hdr`: family, dst_len, src_len, tos, table,
        // res1, res2, action (u8 each), flags (u32).
        let (hdr, attrs) = msg.split_family_header(12)?;
        let b = |i: usize| hdr.get(i).copied().unwrap_or(0);
        let mut r = Rule {
            family: b(0),
            dst_len: b(1),
            src_len: b(2),
            table: u32::from(b(4)),
            action: b(7),
            flags: hdr
                .get(8..12)
                .and_then(|f| <[u8; 4]>::try_from(f).ok())
                .map_or(0, u32::from_ne_bytes),
            priority: 0,
            src: None,
            dst: None,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            goto: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                FRA_SRC => r.src = Some(attr.bytes()),
                FRA_DST => r.dst = Some(attr.bytes()),
                FRA_IIFNAME => r.iif = Some(attr.bytes_str()),
                FRA_OIFNAME => r.oif = Some(attr.bytes_str()),
                FRA_PRIORITY => r.priority = u32_of(&attr).unwrap_or(0),
                FRA_FWMARK => r.fwmark = u32_of(&attr),
                FRA_FWMASK => r.fwmask = u32_of(&attr),
                FRA_TABLE => r.table = u32_of(&attr).unwrap_or(r.table),
                FRA_GOTO => r.goto = u32_of(&attr),
                _ => {}
            }
        }
        Ok(r)
    }

    /// `all`, a host address, or a prefix.
    fn prefix(buf: &mut Vec<u8>, bytes: Option<&[u8]>, len: u8) {
        match bytes {
            None => buf.extend_from_slice(b"all"),
            Some(a) => {
                emit::addr(buf, a);
                if len != 32 && len != 128 {
                    buf.push(b'/');
                    emit::num(buf, len);
                }
            }
        }
    }

    fn write_action(&self, buf: &mut Vec<u8>) {
        let word = match self.action {
            1 => {
                buf.extend_from_slice(b"lookup ");
                table_name(self.table).write(buf);
                return;
            }
            2 => {
                buf.extend_from_slice(b"goto ");
                emit::num(buf, self.goto.unwrap_or(0));
                return;
            }
            3 => "nop",
            6 => "blackhole",
            7 => "unreachable",
            8 => "prohibit",
            a => {
                buf.extend_from_slice(b"action ");
                emit::num(buf, a);
                return;
            }
        };
        buf.extend_from_slice(word.as_bytes());
    }

    /// `ip rule`: `32766:` and a tab, then `from all lookup main`.
    pub fn line(&self, buf: &mut Vec<u8>) {
        emit::num(buf, self.priority);
        buf.extend_from_slice(b":\t");
        if self.flags & FIB_RULE_INVERT != 0 {
            buf.extend_from_slice(b"not ");
        }
        buf.extend_from_slice(b"from ");
        Self::prefix(buf, self.src, self.src_len);
        if let Some(d) = self.dst {
            buf.extend_from_slice(b" to ");
            Self::prefix(buf, Some(d), self.dst_len);
        }
        if let Some(m) = self.fwmark {
            let _ = write!(buf, " fwmark {m:#x}");
            if let Some(mask) = self.fwmask.filter(|&m| m != u32::MAX) {
                let _ = write!(buf, "/{mask:#x}");
            }
        }
        if let Some(i) = self.iif {
            buf.extend_from_slice(b" iif ");
            emit::escaped(buf, i);
        }
        if let Some(o) = self.oif {
            buf.extend_from_slice(b" oif ");
            emit::escaped(buf, o);
        }
        buf.push(b' ');
        self.write_action(buf);
    }

    /// `ip -j rule`'s fields, in `ip`'s order, then the family.
    pub fn json(&self, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        o.num("priority", self.priority);
        if self.flags & FIB_RULE_INVERT != 0 {
            o.null("not");
        }
        match self.src {
            Some(s) => {
                o.text("src", |buf| emit::addr(buf, s));
                o.num("srclen", self.src_len);
            }
            None => o.str("src", "all"),
        }
        if let Some(d) = self.dst {
            o.text("dst", |buf| emit::addr(buf, d));
            o.num("dstlen", self.dst_len);
        }
        if let Some(m) = self.fwmark {
            o.display("fwmark", format_args!("{m:#x}"));
        }
        if let Some(i) = self.iif {
            o.escaped("iif", i);
        }
        if let Some(i) = self.oif {
            o.escaped("oif", i);
        }
        match self.action {
            1 => table_name(self.table).member(&mut o, "table"),
            2 => o.num("goto", self.goto.unwrap_or(0)),
            _ => o.text("action", |buf| self.write_action(buf)),
        }
        family_name(self.family).member(&mut o, "family");
        o.end();
    }
}

/// A generic netlink family (`CTRL_CMD_NEWFAMILY`).
pub struct Family<'a> {
    pub id: u16,
    pub name: &'a [u8],
    pub version: u32,
    pub maxattr: u32,
    pub ops: usize,
    /// `CTRL_ATTR_MCAST_GROUPS`, read by [`Family::groups`].
    pub mcast_groups: Option<Attr<'a>>,
}

impl<'a> Family<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Family<'a>, Error> {
        let (_, attrs) = msg.genl()?;
        let mut f = Family {
            id: 0,
            name: &[],
            version: 0,
            maxattr: 0,
            ops: 0,
            mcast_groups: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                CTRL_ATTR_FAMILY_ID => f.id = attr.u16().unwrap_or(0),
                CTRL_ATTR_FAMILY_NAME => f.name = attr.bytes_str(),
                CTRL_ATTR_VERSION => f.version = u32_of(&attr).unwrap_or(0),
                CTRL_ATTR_MAXATTR => f.maxattr = u32_of(&attr).unwrap_or(0),
                CTRL_ATTR_OPS => f.ops = attr.nested().flatten().count(),
                CTRL_ATTR_MCAST_GROUPS => f.mcast_groups = Some(attr),
                _ => {}
            }
        }
        Ok(f)
    }

    /// The multicast groups: name and id.
    pub fn groups(&self) -> impl Iterator<Item = (&'a [u8], u32)> + use<'a> {
        let groups = self.mcast_groups.map(|a| a.nested().flatten());
        groups.into_iter().flatten().map(|group| {
            let (mut name, mut id) = (&[][..], 0);
            for a in group.nested().flatten() {
                match a.kind() {
                    1 => name = a.bytes_str(),
                    2 => id = u32_of(&a).unwrap_or(0),
                    _ => {}
                }
            }
            (name, id)
        })
    }

    /// `nlctrl id 16 version 2 maxattr 10 ops 3 groups notify(16)`.
    pub fn line(&self, buf: &mut Vec<u8>) {
        emit::escaped(buf, self.name);
        let _ = write!(
            buf,
            " id {} version {} maxattr {} ops {}",
            self.id, self.version, self.maxattr, self.ops
        );
        for (i, (name, id)) in self.groups().enumerate() {
            if i == 0 {
                buf.extend_from_slice(b" groups");
            }
            buf.push(b' ');
            emit::escaped(buf, name);
            let _ = write!(buf, "({id})");
        }
    }

    pub fn json(&self, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        o.num("id", self.id);
        o.escaped("name", self.name);
        o.num("version", self.version);
        o.num("maxattr", self.maxattr);
        o.num("ops", self.ops);
        let buf = o.key("mcast_groups");
        buf.push(b'[');
        for (i, (name, id)) in self.groups().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            let mut g = Obj::begin(buf);
            g.escaped("name", name);
            g.num("id", id);
            g.end();
        }
        buf.push(b']');
        o.end();
    }
}
