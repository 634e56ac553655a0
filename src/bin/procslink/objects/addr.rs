//! Interface addresses (`RTM_NEWADDR`), as `ip addr` shows them.

use procslink::Error;
use procslink::families::rt_addr::{self, IFA_BROADCAST, Ifaddrmsg};
use procslink::netlink::Message;

use super::{Names, family_name, scope_name};
use crate::emit::{self, Obj};

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
