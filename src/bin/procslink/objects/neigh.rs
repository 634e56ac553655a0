//! Neighbours (`RTM_NEWNEIGH`), as `ip neigh` shows them.

use std::io::Write as _;

use procslink::Error;
use procslink::families::rt_neigh::{self, Ndmsg, NtfFlags, NudState};
use procslink::netlink::Message;

use super::Names;
use crate::emit::{self, Obj};

/// One word of a neighbour's state.
enum StateWord {
    Name(&'static str),
    /// Bits without a name.
    Unknown(u32),
}

impl StateWord {
    fn write(&self, buf: &mut Vec<u8>) {
        match self {
            // `ip neigh` writes the specification's names in capitals.
            StateWord::Name(n) => buf.extend(n.bytes().map(|b| b.to_ascii_uppercase())),
            StateWord::Unknown(bits) => {
                let _ = write!(buf, "{bits:#x}");
            }
        }
    }
}

/// A neighbour (`RTM_NEWNEIGH`): an ARP or NDP entry.
pub struct Neigh<'a> {
    pub index: u32,
    pub state: NudState,
    pub flags: NtfFlags,
    pub dst: Option<&'a [u8]>,
    pub lladdr: Option<&'a [u8]>,
}

impl<'a> Neigh<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Neigh<'a>, Error> {
        let (nd, attrs) = msg.family_header::<Ndmsg>()?;
        let mut n = Neigh {
            index: nd.ndm_ifindex.get() as u32,
            state: NudState::from_bits_retain(u32::from(nd.ndm_state.get())),
            flags: NtfFlags::from_bits_retain(u32::from(nd.ndm_flags)),
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
        let state = NudState::from_bits_retain(self.state.bits() & 0xff);
        !state.difference(NudState::NOARP).is_empty()
            || self
                .flags
                .intersects(NtfFlags::PROXY | NtfFlags::EXT_LEARNED)
    }

    /// The state's words: `NONE` for none, the names of the bits set, then
    /// the bits without a name in hex.
    fn states(&self) -> impl Iterator<Item = StateWord> + use<> {
        let state = u64::from(self.state.bits());
        let spec = &rt_neigh::ENUM_NUD_STATE;
        let known = spec.entries().iter().fold(0, |bits, e| bits | e.value());
        let none = (state == 0).then_some(StateWord::Name("NONE"));
        let set = spec
            .entries()
            .iter()
            .filter(move |e| state & e.value() != 0);
        let named = set.map(|e| StateWord::Name(e.name()));
        let unknown = u32::try_from(state & !known).unwrap_or(0);
        let unknown = (unknown != 0).then_some(StateWord::Unknown(unknown));
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
        if self.flags.contains(NtfFlags::ROUTER) {
            buf.extend_from_slice(b" router");
        }
        if self.flags.contains(NtfFlags::PROXY) {
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
        if self.flags.contains(NtfFlags::ROUTER) {
            o.null("router");
        }
        if self.flags.contains(NtfFlags::PROXY) {
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
        o.end();
    }
}
