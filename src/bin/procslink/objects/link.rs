//! Links (`RTM_NEWLINK`), as `ip link` shows them.

use procslink::Error;
use procslink::families::rt_link::{self, IFLA_BROADCAST, IFLA_LINK_NETNSID, Ifinfomsg};
use procslink::netlink::Message;

use super::{Named, Names, pad, u32_of};
use crate::emit::{self, Obj};

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
