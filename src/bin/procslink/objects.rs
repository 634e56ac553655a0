//! rtnetlink and generic-netlink objects read out of messages, and printed
//! as `ip` prints them: one line each (`ip -br link`, `ip route`,
//! `ip neigh`, `ip rule`, `ip monitor`) or as JSON whose common fields are
//! the ones `ip -j` uses.
//!
//! Names are bytes (the kernel accepts an interface named `p\xe9`): they
//! are kept as bytes and shown with `Escaped`, never refused.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use procslink::Error;
use procslink::netlink::display::Escaped;
use procslink::netlink::route::{self, IfAddrMsg, IfInfoMsg, NdMsg, RtMsg};
use procslink::netlink::{Attrs, Message, MessageType};
use serde_json::{Map, Value, json};

use crate::schema;

/// `RTM_NEWRULE`, `RTM_DELRULE` and `RTM_GETRULE`.
pub const RTM_NEWRULE: MessageType = MessageType(32);
pub const RTM_DELRULE: MessageType = MessageType(33);
pub const RTM_GETRULE: MessageType = MessageType(34);

const IFLA_BROADCAST: u16 = 2;
const IFLA_LINK_NETNSID: u16 = 37;
const IFA_BROADCAST: u16 = 4;
const RTA_SRC: u16 = 2;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_MULTIPATH: u16 = 9;
const RTA_VIA: u16 = 18;
const RTA_PREF: u16 = 20;
const NTF_PROXY: u8 = 0x08;
const NTF_ROUTER: u8 = 0x80;
const NTF_EXT_LEARNED: u8 = 0x10;
const NUD_NOARP: u16 = 0x40;
const FRA_DST: u16 = 1;
const FRA_SRC: u16 = 2;
const FRA_IIFNAME: u16 = 3;
const FRA_GOTO: u16 = 4;
const FRA_PRIORITY: u16 = 6;
const FRA_FWMARK: u16 = 10;
const FRA_TABLE: u16 = 15;
const FRA_FWMASK: u16 = 16;
const FRA_OIFNAME: u16 = 17;
const FIB_RULE_INVERT: u32 = 0x2;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_MAXATTR: u16 = 5;
const CTRL_ATTR_OPS: u16 = 6;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;

/// Interface names by index, for the `dev` of addresses, routes and
/// neighbours and the `master` of links.
#[derive(Default)]
pub struct Names {
    by_index: HashMap<u32, Vec<u8>>,
}

impl Names {
    /// Remembers (or, for a deleted link, forgets) `link`'s name.
    pub fn learn(&mut self, link: &Link, deleted: bool) {
        if deleted {
            self.by_index.remove(&link.index);
        } else {
            self.by_index.insert(link.index, link.name.clone());
        }
    }

    /// Is `index` known?
    pub fn knows(&self, index: u32) -> bool {
        self.by_index.contains_key(&index)
    }

    /// The name of link `index`, escaped; `if<N>` when unknown (as `ip`).
    pub fn name(&self, index: u32) -> String {
        match self.by_index.get(&index) {
            Some(n) => Escaped(n).to_string(),
            None => format!("if{index}"),
        }
    }
}

/// One object of a dump or a notification.
pub enum Object {
    Link(Link),
    Addr(Addr),
    Route(Route),
    Neigh(Neigh),
    Rule(Rule),
    Family(Family),
}

impl Object {
    /// Reads an rtnetlink message of a kind this module knows; `None` for
    /// other types.
    pub fn route(msg: &Message<'_>) -> Result<Option<Object>, Error> {
        let ty = msg.message_type();
        Ok(Some(match ty {
            route::RTM_NEWLINK | route::RTM_DELLINK => Object::Link(Link::parse(msg)?),
            route::RTM_NEWADDR | route::RTM_DELADDR => Object::Addr(Addr::parse(msg)?),
            route::RTM_NEWROUTE | route::RTM_DELROUTE => Object::Route(Route::parse(msg)?),
            route::RTM_NEWNEIGH | route::RTM_DELNEIGH => Object::Neigh(Neigh::parse(msg)?),
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

    /// The object on one line, as `ip monitor` shows it.
    pub fn line(&self, names: &Names) -> String {
        match self {
            Object::Link(l) => l.line(names),
            Object::Addr(a) => a.line(names),
            Object::Route(r) => r.line(names),
            Object::Neigh(n) => n.line(names),
            Object::Rule(r) => r.line(),
            Object::Family(f) => f.line(),
        }
    }
}

/// An address in the notation of its length: IPv4, IPv6, or hex bytes
/// joined by colons (a link-layer address).
pub fn addr_text(bytes: &[u8]) -> String {
    if let Ok(a) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(a).to_string()
    } else if let Ok(a) = <[u8; 16]>::try_from(bytes) {
        Ipv6Addr::from(a).to_string()
    } else {
        mac(bytes)
    }
}

/// Link-layer bytes as `aa:bb:cc`.
pub fn mac(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn family_name(family: u8) -> String {
    schema::family(family).map_or_else(|| family.to_string(), str::to_string)
}

/// `ip`'s name of a scope (`global` for `RT_SCOPE_UNIVERSE`).
fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        s => schema::scope(s).map_or_else(|| s.to_string(), str::to_string),
    }
}

fn table_name(table: u32) -> String {
    schema::route_table(table).map_or_else(|| table.to_string(), str::to_string)
}

fn protocol_name(proto: u8) -> String {
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
    extra
        .or_else(|| schema::route_protocol(proto))
        .map_or_else(|| proto.to_string(), str::to_string)
}

fn u32_of(attr: &procslink::netlink::Attr<'_>) -> Option<u32> {
    attr.u32().ok()
}

/// A network interface (`RTM_NEWLINK`).
pub struct Link {
    pub index: u32,
    pub name: Vec<u8>,
    pub flags: u32,
    pub link_type: u16,
    pub mtu: Option<u32>,
    pub operstate: Option<u8>,
    pub address: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    pub master: Option<u32>,
    /// `IFLA_LINK` (a veth's peer, a vlan's parent), and whether it is in
    /// another namespace (`IFLA_LINK_NETNSID`).
    pub link: Option<u32>,
    pub link_netnsid: Option<i32>,
    pub kind: Option<Vec<u8>>,
}

impl Link {
    pub fn parse(msg: &Message<'_>) -> Result<Link, Error> {
        let (ifi, attrs) = msg.family_header::<IfInfoMsg>()?;
        let mut link = Link {
            index: ifi.index.get(),
            name: Vec::new(),
            flags: ifi.flags(),
            link_type: ifi.link_type(),
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
                route::IFLA_IFNAME => link.name = attr.bytes_str().to_vec(),
                route::IFLA_MTU => link.mtu = u32_of(&attr),
                route::IFLA_OPERSTATE => link.operstate = attr.u8().ok(),
                route::IFLA_ADDRESS => link.address = Some(attr.bytes().to_vec()),
                IFLA_BROADCAST => link.broadcast = Some(attr.bytes().to_vec()),
                route::IFLA_MASTER => link.master = u32_of(&attr),
                route::IFLA_LINK => link.link = u32_of(&attr),
                IFLA_LINK_NETNSID => link.link_netnsid = attr.i32().ok(),
                route::IFLA_LINKINFO => {
                    if let Ok(Some(k)) = attr.nested().lookup(route::IFLA_INFO_KIND) {
                        link.kind = Some(k.bytes_str().to_vec());
                    }
                }
                _ => {}
            }
        }
        Ok(link)
    }

    /// `ip`'s flag names, in `ip`'s order (`NO-CARRIER` for a link that is
    /// up without a carrier).
    pub fn flag_names(&self) -> Vec<&'static str> {
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
        let mut names = Vec::new();
        if self.flags & route::IFF_UP != 0 && self.flags & route::IFF_RUNNING == 0 {
            names.push("NO-CARRIER");
        }
        names.extend(
            ORDER
                .iter()
                .filter(|(bit, _)| self.flags & bit != 0)
                .map(|&(_, n)| n),
        );
        names
    }

    /// `IFLA_OPERSTATE`'s name.
    pub fn state(&self) -> String {
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
            Some(s) => NAMES
                .get(usize::from(s))
                .map_or_else(|| s.to_string(), |n| (*n).to_string()),
            None => "UNKNOWN".into(),
        }
    }

    /// `ifi_type`'s name, as `ip` shows it after `link/`.
    pub fn type_name(&self) -> String {
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
            t => return format!("[{t}]"),
        };
        name.into()
    }

    fn address_text(&self, bytes: &[u8]) -> String {
        match (self.link_type, bytes.len()) {
            (768 | 776 | 778, 4) | (769 | 823, 16) => addr_text(bytes),
            _ => mac(bytes),
        }
    }

    /// The name, with `@peer` for a link with a parent or peer (`veth0@veth1`).
    pub fn shown_name(&self, names: &Names) -> String {
        let mut s = Escaped(&self.name).to_string();
        match (self.link, self.link_netnsid) {
            (Some(peer), None) if peer != 0 && peer != self.index => {
                let _ = write!(s, "@{}", names.name(peer));
            }
            (Some(peer), Some(_)) if peer != 0 => {
                let _ = write!(s, "@if{peer}");
            }
            _ => {}
        }
        s
    }

    /// `ip -br link`: name, state, MAC, flags, then MTU, master and kind.
    pub fn brief(&self, names: &Names) -> String {
        let mut s = format!("{:<16} {:<14} ", self.shown_name(names), self.state());
        if let Some(a) = &self.address {
            let _ = write!(s, "{:<17} ", self.address_text(a));
        }
        let _ = write!(s, "<{}>", self.flag_names().join(","));
        if let Some(mtu) = self.mtu {
            let _ = write!(s, " mtu {mtu}");
        }
        if let Some(m) = self.master {
            let _ = write!(s, " master {}", names.name(m));
        }
        if let Some(k) = &self.kind {
            let _ = write!(s, " {}", Escaped(k));
        }
        s
    }

    /// `ip -o link` / `ip monitor link`.
    pub fn line(&self, names: &Names) -> String {
        let mut s = format!(
            "{}: {}: <{}>",
            self.index,
            self.shown_name(names),
            self.flag_names().join(",")
        );
        if let Some(mtu) = self.mtu {
            let _ = write!(s, " mtu {mtu}");
        }
        if let Some(m) = self.master {
            let _ = write!(s, " master {}", names.name(m));
        }
        let _ = write!(s, " state {}", self.state());
        let _ = write!(s, " link/{}", self.type_name());
        if let Some(a) = &self.address {
            let _ = write!(s, " {}", self.address_text(a));
        }
        if let Some(b) = &self.broadcast {
            let _ = write!(s, " brd {}", self.address_text(b));
        }
        if let Some(k) = &self.kind {
            let _ = write!(s, " kind {}", Escaped(k));
        }
        s
    }

    /// `ip -d -j link`'s common fields.
    pub fn json(&self, names: &Names) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("ifindex".into(), json!(self.index));
        o.insert("ifname".into(), json!(Escaped(&self.name).to_string()));
        if let (Some(peer), None) = (self.link, self.link_netnsid)
            && peer != 0
            && peer != self.index
        {
            o.insert("link".into(), json!(names.name(peer)));
        }
        o.insert("flags".into(), json!(self.flag_names()));
        if let Some(mtu) = self.mtu {
            o.insert("mtu".into(), json!(mtu));
        }
        if let Some(m) = self.master {
            o.insert("master".into(), json!(names.name(m)));
        }
        if self.operstate.is_some() {
            o.insert("operstate".into(), json!(self.state()));
        }
        o.insert("link_type".into(), json!(self.type_name()));
        if let Some(a) = &self.address {
            o.insert("address".into(), json!(self.address_text(a)));
        }
        if let Some(b) = &self.broadcast {
            o.insert("broadcast".into(), json!(self.address_text(b)));
        }
        if let (Some(peer), Some(nsid)) = (self.link, self.link_netnsid) {
            o.insert("link_index".into(), json!(peer));
            o.insert("link_netnsid".into(), json!(nsid));
        }
        if let Some(k) = &self.kind {
            o.insert(
                "linkinfo".into(),
                json!({ "info_kind": Escaped(k).to_string() }),
            );
        }
        o
    }
}

/// An interface address (`RTM_NEWADDR`).
pub struct Addr {
    pub family: u8,
    pub prefixlen: u8,
    pub scope: u8,
    pub index: u32,
    pub local: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    pub label: Option<Vec<u8>>,
}

impl Addr {
    pub fn parse(msg: &Message<'_>) -> Result<Addr, Error> {
        let (ifa, attrs) = msg.family_header::<IfAddrMsg>()?;
        let mut addr = Addr {
            family: ifa.family,
            prefixlen: ifa.prefixlen,
            scope: ifa.scope,
            index: ifa.index.get(),
            local: None,
            address: None,
            broadcast: None,
            label: None,
        };
        for attr in attrs {
            let attr = attr?;
            let bytes = Some(attr.bytes().to_vec());
            match attr.kind() {
                route::IFA_LOCAL => addr.local = bytes,
                route::IFA_ADDRESS => addr.address = bytes,
                IFA_BROADCAST => addr.broadcast = bytes,
                route::IFA_LABEL => addr.label = Some(attr.bytes_str().to_vec()),
                _ => {}
            }
        }
        Ok(addr)
    }

    /// The address itself: `IFA_LOCAL`, else `IFA_ADDRESS` (IPv6 has only
    /// the latter).
    fn local(&self) -> Option<&[u8]> {
        self.local.as_deref().or(self.address.as_deref())
    }

    /// A peer address, when `IFA_ADDRESS` differs from `IFA_LOCAL`.
    fn peer(&self) -> Option<&[u8]> {
        match (&self.local, &self.address) {
            (Some(l), Some(a)) if l != a => Some(a),
            _ => None,
        }
    }

    /// `10.1.0.1/24`.
    pub fn prefix(&self) -> String {
        let local = self.local().map_or_else(|| "?".into(), addr_text);
        match self.peer() {
            Some(p) => format!("{local} peer {}/{}", addr_text(p), self.prefixlen),
            None => format!("{local}/{}", self.prefixlen),
        }
    }

    /// `ip monitor address`: `5: veth0 inet 10.1.0.1/24 scope global veth0`.
    pub fn line(&self, names: &Names) -> String {
        let mut s = format!(
            "{}: {} {} {}",
            self.index,
            names.name(self.index),
            family_name(self.family),
            self.prefix()
        );
        if let Some(b) = &self.broadcast {
            let _ = write!(s, " brd {}", addr_text(b));
        }
        let _ = write!(s, " scope {}", scope_name(self.scope));
        if let Some(l) = &self.label {
            let _ = write!(s, " {}", Escaped(l));
        }
        s
    }

    /// One element of `ip -j addr`'s `addr_info`.
    pub fn json(&self) -> Value {
        let mut o = Map::new();
        o.insert("family".into(), json!(family_name(self.family)));
        if let Some(l) = self.local() {
            o.insert("local".into(), json!(addr_text(l)));
        }
        if let Some(p) = self.peer() {
            o.insert("address".into(), json!(addr_text(p)));
        }
        o.insert("prefixlen".into(), json!(self.prefixlen));
        if let Some(b) = &self.broadcast {
            o.insert("broadcast".into(), json!(addr_text(b)));
        }
        o.insert("scope".into(), json!(scope_name(self.scope)));
        if let Some(l) = &self.label {
            o.insert("label".into(), json!(Escaped(l).to_string()));
        }
        Value::Object(o)
    }
}

/// A next hop of a multipath route.
pub struct NextHop {
    pub gateway: Option<Vec<u8>>,
    pub dev: u32,
    pub weight: u16,
}

/// A route (`RTM_NEWROUTE`).
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub route_type: u8,
    pub flags: u32,
    pub dst: Option<Vec<u8>>,
    pub src: Option<Vec<u8>>,
    pub gateway: Option<Vec<u8>>,
    pub oif: Option<u32>,
    pub prefsrc: Option<Vec<u8>>,
    pub metric: Option<u32>,
    pub pref: Option<u8>,
    pub nexthops: Vec<NextHop>,
}

impl Route {
    pub fn parse(msg: &Message<'_>) -> Result<Route, Error> {
        let (rtm, attrs) = msg.family_header::<RtMsg>()?;
        let mut r = Route {
            family: rtm.family,
            dst_len: rtm.dst_len,
            src_len: rtm.src_len,
            table: u32::from(rtm.table),
            protocol: rtm.protocol,
            scope: rtm.scope,
            route_type: rtm.route_type,
            flags: rtm.flags(),
            dst: None,
            src: None,
            gateway: None,
            oif: None,
            prefsrc: None,
            metric: None,
            pref: None,
            nexthops: Vec::new(),
        };
        for attr in attrs {
            let attr = attr?;
            let bytes = Some(attr.bytes().to_vec());
            match attr.kind() {
                route::RTA_DST => r.dst = bytes,
                RTA_SRC => r.src = bytes,
                route::RTA_GATEWAY => r.gateway = bytes,
                // `struct rtvia`: a family (u16), then the address.
                RTA_VIA => r.gateway = attr.bytes().get(2..).map(<[u8]>::to_vec),
                route::RTA_OIF => r.oif = u32_of(&attr),
                RTA_PREFSRC => r.prefsrc = bytes,
                RTA_PRIORITY => r.metric = u32_of(&attr),
                route::RTA_TABLE => r.table = u32_of(&attr).unwrap_or(r.table),
                RTA_PREF => r.pref = attr.u8().ok(),
                RTA_MULTIPATH => r.nexthops = nexthops(attr.bytes()),
                _ => {}
            }
        }
        Ok(r)
    }

    fn host_len(&self) -> u8 {
        match self.family {
            route::AF_INET6 => 128,
            route::AF_INET => 32,
            _ => 0,
        }
    }

    /// `default`, `10.1.0.0/24`, or a host address without its length.
    pub fn dst_text(&self) -> String {
        match &self.dst {
            None if self.dst_len == 0 => "default".into(),
            None => format!("0/{}", self.dst_len),
            Some(d) if self.dst_len == self.host_len() => addr_text(d),
            Some(d) => format!("{}/{}", addr_text(d), self.dst_len),
        }
    }

    fn type_text(&self) -> Option<&'static str> {
        (self.route_type != 1).then(|| schema::route_type(self.route_type).unwrap_or("unknown"))
    }

    fn flag_names(&self) -> Vec<&'static str> {
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
        ORDER
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|&(_, n)| n)
            .collect()
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
    pub fn line(&self, names: &Names) -> String {
        let mut s = String::new();
        if let Some(t) = self.type_text() {
            let _ = write!(s, "{t} ");
        }
        s.push_str(&self.dst_text());
        if let Some(src) = &self.src {
            let _ = write!(s, " from {}/{}", addr_text(src), self.src_len);
        }
        if let Some(g) = &self.gateway {
            let _ = write!(s, " via {}", addr_text(g));
        }
        if let Some(o) = self.oif {
            let _ = write!(s, " dev {}", names.name(o));
        }
        if self.table != u32::from(route::RT_TABLE_MAIN) {
            let _ = write!(s, " table {}", table_name(self.table));
        }
        if self.protocol != 3 {
            let _ = write!(s, " proto {}", protocol_name(self.protocol));
        }
        if self.scope != 0 {
            let _ = write!(s, " scope {}", scope_name(self.scope));
        }
        if let Some(p) = &self.prefsrc {
            let _ = write!(s, " src {}", addr_text(p));
        }
        if let Some(m) = self.metric {
            let _ = write!(s, " metric {m}");
        }
        for f in self.flag_names() {
            let _ = write!(s, " {f}");
        }
        if let Some(p) = self.pref_text() {
            let _ = write!(s, " pref {p}");
        }
        for nh in &self.nexthops {
            s.push_str(" nexthop");
            if let Some(g) = &nh.gateway {
                let _ = write!(s, " via {}", addr_text(g));
            }
            let _ = write!(s, " dev {} weight {}", names.name(nh.dev), nh.weight);
        }
        s
    }

    /// `ip -j route`'s fields.
    pub fn json(&self, names: &Names) -> Value {
        let mut o = Map::new();
        if let Some(t) = self.type_text() {
            o.insert("type".into(), json!(t));
        }
        o.insert("dst".into(), json!(self.dst_text()));
        if let Some(src) = &self.src {
            o.insert(
                "src".into(),
                json!(format!("{}/{}", addr_text(src), self.src_len)),
            );
        }
        if let Some(g) = &self.gateway {
            o.insert("gateway".into(), json!(addr_text(g)));
        }
        if let Some(d) = self.oif {
            o.insert("dev".into(), json!(names.name(d)));
        }
        if self.table != u32::from(route::RT_TABLE_MAIN) {
            o.insert("table".into(), json!(table_name(self.table)));
        }
        if self.protocol != 3 {
            o.insert("protocol".into(), json!(protocol_name(self.protocol)));
        }
        if self.scope != 0 {
            o.insert("scope".into(), json!(scope_name(self.scope)));
        }
        if let Some(p) = &self.prefsrc {
            o.insert("prefsrc".into(), json!(addr_text(p)));
        }
        if let Some(m) = self.metric {
            o.insert("metric".into(), json!(m));
        }
        o.insert("flags".into(), json!(self.flag_names()));
        if let Some(p) = self.pref_text() {
            o.insert("pref".into(), json!(p));
        }
        if !self.nexthops.is_empty() {
            let hops: Vec<Value> = self
                .nexthops
                .iter()
                .map(|nh| {
                    let mut h = Map::new();
                    if let Some(g) = &nh.gateway {
                        h.insert("gateway".into(), json!(addr_text(g)));
                    }
                    h.insert("dev".into(), json!(names.name(nh.dev)));
                    h.insert("weight".into(), json!(nh.weight));
                    Value::Object(h)
                })
                .collect();
            o.insert("nexthops".into(), Value::Array(hops));
        }
        Value::Object(o)
    }
}

/// `RTA_MULTIPATH`: `struct rtnexthop` (len u16, flags u8, hops u8,
/// ifindex i32) each followed by its attributes.
fn nexthops(mut bytes: &[u8]) -> Vec<NextHop> {
    let mut hops = Vec::new();
    while let Some(head) = bytes.first_chunk::<8>() {
        let len = usize::from(u16::from_ne_bytes([head[0], head[1]]));
        if len < 8 {
            break;
        }
        let dev = u32::from_ne_bytes([head[4], head[5], head[6], head[7]]);
        let mut hop = NextHop {
            gateway: None,
            dev,
            weight: u16::from(head[3]) + 1,
        };
        let inner = bytes.get(8..len).unwrap_or(&[]);
        for attr in Attrs::new(inner).flatten() {
            match attr.kind() {
                route::RTA_GATEWAY => hop.gateway = Some(attr.bytes().to_vec()),
                RTA_VIA => hop.gateway = attr.bytes().get(2..).map(<[u8]>::to_vec),
                _ => {}
            }
        }
        hops.push(hop);
        bytes = bytes.get(len.next_multiple_of(4)..).unwrap_or(&[]);
    }
    hops
}

/// A neighbour (`RTM_NEWNEIGH`): an ARP or NDP entry.
pub struct Neigh {
    pub family: u8,
    pub index: u32,
    pub state: u16,
    pub flags: u8,
    pub dst: Option<Vec<u8>>,
    pub lladdr: Option<Vec<u8>>,
}

impl Neigh {
    pub fn parse(msg: &Message<'_>) -> Result<Neigh, Error> {
        let (nd, attrs) = msg.family_header::<NdMsg>()?;
        let mut n = Neigh {
            family: nd.family,
            index: nd.ifindex.get(),
            state: nd.state(),
            flags: nd.flags,
            dst: None,
            lladdr: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                route::NDA_DST => n.dst = Some(attr.bytes().to_vec()),
                route::NDA_LLADDR => n.lladdr = Some(attr.bytes().to_vec()),
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

    fn states(&self) -> Vec<String> {
        if self.state == 0 {
            return vec!["NONE".into()];
        }
        schema::bit_names(schema::NUD, u32::from(self.state))
            .split(',')
            .map(str::to_string)
            .collect()
    }

    /// `ip neigh`: `10.1.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT`.
    pub fn line(&self, names: &Names) -> String {
        let mut s = self.dst.as_deref().map_or_else(|| "?".into(), addr_text);
        let _ = write!(s, " dev {}", names.name(self.index));
        if let Some(l) = &self.lladdr {
            let _ = write!(s, " lladdr {}", mac(l));
        }
        if self.flags & NTF_ROUTER != 0 {
            s.push_str(" router");
        }
        if self.flags & NTF_PROXY != 0 {
            s.push_str(" proxy");
        }
        for st in self.states() {
            let _ = write!(s, " {st}");
        }
        s
    }

    /// `ip -j neigh`'s fields.
    pub fn json(&self, names: &Names) -> Value {
        let mut o = Map::new();
        if let Some(d) = &self.dst {
            o.insert("dst".into(), json!(addr_text(d)));
        }
        o.insert("dev".into(), json!(names.name(self.index)));
        if let Some(l) = &self.lladdr {
            o.insert("lladdr".into(), json!(mac(l)));
        }
        if self.flags & NTF_ROUTER != 0 {
            o.insert("router".into(), Value::Null);
        }
        if self.flags & NTF_PROXY != 0 {
            o.insert("proxy".into(), Value::Null);
        }
        o.insert("state".into(), json!(self.states()));
        let _ = self.family;
        Value::Object(o)
    }
}

/// A routing policy rule (`RTM_NEWRULE`).
pub struct Rule {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub action: u8,
    pub flags: u32,
    pub table: u32,
    pub priority: u32,
    pub src: Option<Vec<u8>>,
    pub dst: Option<Vec<u8>>,
    pub iif: Option<Vec<u8>>,
    pub oif: Option<Vec<u8>>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    pub goto: Option<u32>,
}

impl Rule {
    pub fn parse(msg: &Message<'_>) -> Result<Rule, Error> {
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
                FRA_SRC => r.src = Some(attr.bytes().to_vec()),
                FRA_DST => r.dst = Some(attr.bytes().to_vec()),
                FRA_IIFNAME => r.iif = Some(attr.bytes_str().to_vec()),
                FRA_OIFNAME => r.oif = Some(attr.bytes_str().to_vec()),
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

    fn prefix(bytes: Option<&[u8]>, len: u8) -> String {
        match bytes {
            None => "all".into(),
            Some(a) if len == 32 || len == 128 => addr_text(a),
            Some(a) => format!("{}/{len}", addr_text(a)),
        }
    }

    fn action_text(&self) -> String {
        match self.action {
            1 => format!("lookup {}", table_name(self.table)),
            2 => format!("goto {}", self.goto.unwrap_or(0)),
            3 => "nop".into(),
            6 => "blackhole".into(),
            7 => "unreachable".into(),
            8 => "prohibit".into(),
            a => format!("action {a}"),
        }
    }

    /// `ip rule`: `32766:` and a tab, then `from all lookup main`.
    pub fn line(&self) -> String {
        let mut s = format!("{}:\t", self.priority);
        if self.flags & FIB_RULE_INVERT != 0 {
            s.push_str("not ");
        }
        let _ = write!(
            s,
            "from {}",
            Self::prefix(self.src.as_deref(), self.src_len)
        );
        if let Some(d) = &self.dst {
            let _ = write!(s, " to {}", Self::prefix(Some(d), self.dst_len));
        }
        if let Some(m) = self.fwmark {
            let _ = write!(s, " fwmark {m:#x}");
            if let Some(mask) = self.fwmask.filter(|&m| m != u32::MAX) {
                let _ = write!(s, "/{mask:#x}");
            }
        }
        if let Some(i) = &self.iif {
            let _ = write!(s, " iif {}", Escaped(i));
        }
        if let Some(o) = &self.oif {
            let _ = write!(s, " oif {}", Escaped(o));
        }
        let _ = write!(s, " {}", self.action_text());
        s
    }

    /// `ip -j rule`'s fields.
    pub fn json(&self) -> Value {
        let mut o = Map::new();
        o.insert("priority".into(), json!(self.priority));
        if self.flags & FIB_RULE_INVERT != 0 {
            o.insert("not".into(), Value::Null);
        }
        o.insert(
            "src".into(),
            json!(match &self.src {
                Some(s) => addr_text(s),
                None => "all".into(),
            }),
        );
        if self.src.is_some() {
            o.insert("srclen".into(), json!(self.src_len));
        }
        if let Some(d) = &self.dst {
            o.insert("dst".into(), json!(addr_text(d)));
            o.insert("dstlen".into(), json!(self.dst_len));
        }
        if let Some(m) = self.fwmark {
            o.insert("fwmark".into(), json!(format!("{m:#x}")));
        }
        if let Some(i) = &self.iif {
            o.insert("iif".into(), json!(Escaped(i).to_string()));
        }
        if let Some(i) = &self.oif {
            o.insert("oif".into(), json!(Escaped(i).to_string()));
        }
        match self.action {
            1 => {
                o.insert("table".into(), json!(table_name(self.table)));
            }
            2 => {
                o.insert("goto".into(), json!(self.goto.unwrap_or(0)));
            }
            _ => {
                let text = self.action_text();
                o.insert("action".into(), json!(text));
            }
        }
        o.insert("family".into(), json!(family_name(self.family)));
        Value::Object(o)
    }
}

/// A generic netlink family (`CTRL_CMD_NEWFAMILY`).
pub struct Family {
    pub id: u16,
    pub name: Vec<u8>,
    pub version: u32,
    pub maxattr: u32,
    pub ops: usize,
    pub groups: Vec<(Vec<u8>, u32)>,
}

impl Family {
    pub fn parse(msg: &Message<'_>) -> Result<Family, Error> {
        let (_, attrs) = msg.genl()?;
        let mut f = Family {
            id: 0,
            name: Vec::new(),
            version: 0,
            maxattr: 0,
            ops: 0,
            groups: Vec::new(),
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                CTRL_ATTR_FAMILY_ID => f.id = attr.u16().unwrap_or(0),
                CTRL_ATTR_FAMILY_NAME => f.name = attr.bytes_str().to_vec(),
                CTRL_ATTR_VERSION => f.version = u32_of(&attr).unwrap_or(0),
                CTRL_ATTR_MAXATTR => f.maxattr = u32_of(&attr).unwrap_or(0),
                CTRL_ATTR_OPS => f.ops = attr.nested().flatten().count(),
                CTRL_ATTR_MCAST_GROUPS => {
                    for group in attr.nested().flatten() {
                        let (mut name, mut id) = (Vec::new(), 0);
                        for a in group.nested().flatten() {
                            match a.kind() {
                                1 => name = a.bytes_str().to_vec(),
                                2 => id = u32_of(&a).unwrap_or(0),
                                _ => {}
                            }
                        }
                        f.groups.push((name, id));
                    }
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// `nlctrl id 16 version 2 maxattr 10 ops 3 groups notify(16)`.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} id {} version {} maxattr {} ops {}",
            Escaped(&self.name),
            self.id,
            self.version,
            self.maxattr,
            self.ops
        );
        if !self.groups.is_empty() {
            s.push_str(" groups");
            for (name, id) in &self.groups {
                let _ = write!(s, " {}({id})", Escaped(name));
            }
        }
        s
    }

    pub fn json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|(name, id)| json!({ "name": Escaped(name).to_string(), "id": id }))
            .collect();
        json!({
            "id": self.id,
            "name": Escaped(&self.name).to_string(),
            "version": self.version,
            "maxattr": self.maxattr,
            "ops": self.ops,
            "mcast_groups": groups,
        })
    }
}
