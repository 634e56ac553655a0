//! Routes (`RTM_NEWROUTE`), as `ip route` shows them.

use procslink::Error;
use procslink::families::rt_route::{
    self, RTA_MULTIPATH, RTA_PREF, RTA_PREFSRC, RTA_PRIORITY, RTA_SRC, RTA_VIA, Rtmsg,
};
use procslink::netlink::route::{self, NextHops, rtvia};
use procslink::netlink::{Attr, Message};

use super::{Named, Names, family_name, protocol_name, scope_name, table_name, u32_of};
use crate::emit::{self, Obj};

/// Where a route or a next hop goes: `RTA_GATEWAY`, an address of the
/// route's family, or `RTA_VIA`, one of another family (`struct rtvia`).
#[derive(Copy, Clone)]
pub enum Gateway<'a> {
    Same(&'a [u8]),
    Via(u16, &'a [u8]),
}

impl<'a> Gateway<'a> {
    /// The gateway of `attr`, if it is `RTA_GATEWAY` or a well-formed
    /// `RTA_VIA`.
    fn of(attr: &Attr<'a>) -> Option<Gateway<'a>> {
        match attr.kind() {
            rt_route::RTA_GATEWAY => Some(Gateway::Same(attr.bytes())),
            RTA_VIA => rtvia(attr).ok().map(|(f, a)| Gateway::Via(f, a)),
            _ => None,
        }
    }

    /// ` via 10.1.0.2`, or ` via inet6 fd01::2` (as `ip route`).
    fn write(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b" via ");
        match self {
            Gateway::Same(a) => emit::addr(buf, a),
            Gateway::Via(family, a) => {
                via_family(family).write(buf);
                buf.push(b' ');
                emit::addr(buf, a);
            }
        }
    }

    /// `"gateway":"10.1.0.2"`, or `"via":{"family":"inet6","host":"fd01::2"}`
    /// (as `ip -j route`).
    fn member(self, o: &mut Obj<'_>) {
        match self {
            Gateway::Same(a) => o.text("gateway", |buf| emit::addr(buf, a)),
            Gateway::Via(family, a) => {
                let mut via = Obj::begin(o.key("via"));
                via_family(family).member(&mut via, "family");
                via.text("host", |buf| emit::addr(buf, a));
                via.end();
            }
        }
    }
}

/// The name of `rtvia`'s (16-bit) address family.
fn via_family(family: u16) -> Named {
    match u8::try_from(family) {
        Ok(f) => family_name(f),
        Err(_) => Named::Number(u32::from(family)),
    }
}

/// The names of `rtm_flags` (or a next hop's `rtnh_flags`, the same
/// `RTNH_F_*` bits), in `ip route`'s order. Hand-written: rt-route's
/// specification leaves both plain integers.
fn flag_names(flags: u32) -> impl Iterator<Item = &'static str> {
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
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|&(_, n)| n)
}

/// A next hop of a multipath route.
pub struct NextHop<'a> {
    pub gateway: Option<Gateway<'a>>,
    pub dev: u32,
    pub weight: u16,
    /// `rtnh_flags`: `RTNH_F_*`, the low bits of `rtm_flags`.
    pub flags: u8,
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
    pub gateway: Option<Gateway<'a>>,
    pub oif: Option<u32>,
    pub prefsrc: Option<&'a [u8]>,
    pub metric: Option<u32>,
    pub pref: Option<u8>,
    /// `RTA_MULTIPATH`, read by [`Route::nexthops`].
    pub multipath: Option<Attr<'a>>,
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
                rt_route::RTA_GATEWAY | RTA_VIA => r.gateway = Gateway::of(&attr),
                rt_route::RTA_OIF => r.oif = u32_of(&attr),
                RTA_PREFSRC => r.prefsrc = Some(attr.bytes()),
                RTA_PRIORITY => r.metric = u32_of(&attr),
                rt_route::RTA_TABLE => r.table = u32_of(&attr).unwrap_or(r.table),
                RTA_PREF => r.pref = attr.u8().ok(),
                RTA_MULTIPATH => r.multipath = Some(attr),
                _ => {}
            }
        }
        Ok(r)
    }

    /// The next hops of a multipath route (none for others), up to the
    /// first malformed one.
    pub fn nexthops(&self) -> impl Iterator<Item = NextHop<'a>> + use<'a> {
        let hops = self.multipath.as_ref().map(NextHops::of);
        hops.into_iter().flatten().map_while(Result::ok).map(|hop| {
            let header = hop.header();
            NextHop {
                gateway: hop.attrs().flatten().filter_map(|a| Gateway::of(&a)).last(),
                dev: header.rtnh_ifindex.get() as u32,
                weight: header.weight(),
                flags: header.rtnh_flags,
            }
        })
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
            g.write(buf);
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
        for f in flag_names(self.flags) {
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
                g.write(buf);
            }
            buf.extend_from_slice(b" dev ");
            names.write(buf, nh.dev);
            buf.extend_from_slice(b" weight ");
            emit::num(buf, nh.weight);
            for f in flag_names(u32::from(nh.flags)) {
                buf.push(b' ');
                buf.extend_from_slice(f.as_bytes());
            }
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
            g.member(&mut o);
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
        o.words("flags", flag_names(self.flags));
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
                    g.member(&mut h);
                }
                names.member(&mut h, "dev", nh.dev);
                h.num("weight", nh.weight);
                h.words("flags", flag_names(u32::from(nh.flags)));
                h.end();
            }
            buf.push(b']');
        }
        o.end();
    }
}
