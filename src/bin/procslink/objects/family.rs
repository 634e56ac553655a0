//! Generic netlink families (`CTRL_CMD_NEWFAMILY`), as `procslink dump
//! families` shows them.

use std::io::Write as _;

use procslink::Error;
use procslink::netlink::genl::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MAXATTR, CTRL_ATTR_MCAST_GROUPS,
    CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OPS, CTRL_ATTR_VERSION,
};
use procslink::netlink::{Attr, Message};

use super::u32_of;
use crate::emit::{self, Obj};

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
                    CTRL_ATTR_MCAST_GRP_NAME => name = a.bytes_str(),
                    CTRL_ATTR_MCAST_GRP_ID => id = u32_of(&a).unwrap_or(0),
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
