//! A typed summary of a link dump (`benches/typed_summary.rs`): for every
//! link, the name, MTU, MAC address, operational state, master, link kind
//! and the 64-bit receive and transmit byte counters, the way a monitoring
//! tool reads them.
//!
//! Contenders:
//!
//! - [`procslink_typed`]: the generated `rt_link::LinkAttrs` view (one pass
//!   over each message's attributes into its slots, then a getter per value,
//!   each checking what it reads; the linkinfo nest through its own view);
//!   [`procslink_typed_checked`] is the same through the strict parse
//!   (every attribute of both sets checked against its policy first);
//! - [`procslink_by_hand`]: the same summary from the plain attribute walk,
//!   a `match` on each attribute's type with the generated constants (what
//!   a user writes without the views);
//! - [`npr_typed`]: `netlink-packet-route`'s parse of each message into its
//!   owned `LinkMessage`, then a match over its attributes;
//! - the plain walk of the same dump ([`procslink_walk`](crate::netlink::procslink_walk)),
//!   every top-level attribute visited once with nothing decoded.
//!
//! The summaries fold what they read into the same checksum ([`LinkFold`]),
//! which the bench compares before it times anything.

use netlink_packet_core::{NetlinkBuffer, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkInfo};
use procslink::Error;
use procslink::families::rt_link::{self, Ifinfomsg, LinkAttrs};
use procslink::families::view::SetView;
use procslink::netlink::Messages;

/// What a summary read: links seen and a checksum of every value.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkFold {
    /// `RTM_NEWLINK` messages summarised.
    pub links: u64,
    /// Links that carried a `linkinfo` kind.
    pub kinds: u64,
    /// The checksum of every value read, in the order of [`LinkFold::link`].
    pub sum: u64,
}

impl LinkFold {
    fn mix(&mut self, value: u64) {
        self.sum = (self.sum ^ value)
            .wrapping_mul(0x0100_0000_01b3)
            .rotate_left(5);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.mix(bytes.len() as u64);
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    /// Folds one link's summary; absent values count as empty or 0.
    #[allow(clippy::too_many_arguments)]
    pub fn link(
        &mut self,
        name: &[u8],
        mtu: u32,
        address: &[u8],
        operstate: u8,
        master: u32,
        kind: Option<&[u8]>,
        rx_bytes: u64,
        tx_bytes: u64,
    ) {
        self.links += 1;
        self.bytes(name);
        self.mix(u64::from(mtu));
        self.bytes(address);
        self.mix(u64::from(operstate));
        self.mix(u64::from(master));
        if let Some(kind) = kind {
            self.kinds += 1;
            self.bytes(kind);
        }
        self.mix(rx_bytes);
        self.mix(tx_bytes);
    }
}

/// The summary through the generated typed view of `link-attrs`, indexed
/// lazily (the getters check what they read).
pub fn procslink_typed(buf: &[u8]) -> Result<LinkFold, Error> {
    typed_summary::<false>(buf)
}

/// The summary through the strict parse: every attribute of `link-attrs`
/// and of `linkinfo` checked against its spec's policy before it is read.
pub fn procslink_typed_checked(buf: &[u8]) -> Result<LinkFold, Error> {
    typed_summary::<true>(buf)
}

#[inline(always)]
fn typed_summary<const STRICT: bool>(buf: &[u8]) -> Result<LinkFold, Error> {
    let mut fold = LinkFold::default();
    for message in Messages::new(buf) {
        let message = message?;
        if message.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let (_, attrs) = message.family_header::<Ifinfomsg>()?;
        let link = if STRICT {
            LinkAttrs::from_attrs_checked(attrs)?
        } else {
            LinkAttrs::from_attrs(attrs)?
        };
        let kind = match link.linkinfo()? {
            Some(info) if STRICT => info.raw().check().map(|()| info.kind())?,
            Some(info) => info.kind(),
            None => None,
        };
        let stats = link.stats64();
        fold.link(
            link.ifname().unwrap_or_default(),
            link.mtu().unwrap_or_default(),
            link.address().unwrap_or_default(),
            link.operstate().unwrap_or_default(),
            link.master().unwrap_or_default(),
            kind,
            stats.map_or(0, |s| s.rx_bytes.get()),
            stats.map_or(0, |s| s.tx_bytes.get()),
        );
    }
    Ok(fold)
}

/// The summary from the plain walk: each attribute matched by type, the
/// values read with `Attr`'s getters, `stats64` by its offsets.
pub fn procslink_by_hand(buf: &[u8]) -> Result<LinkFold, Error> {
    let mut fold = LinkFold::default();
    for message in Messages::new(buf) {
        let message = message?;
        if message.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let (_, attrs) = message.family_header::<Ifinfomsg>()?;
        let (mut name, mut mtu, mut address, mut operstate, mut master) =
            (&[][..], 0, &[][..], 0, 0);
        let (mut kind, mut rx, mut tx) = (None, 0, 0);
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_link::IFLA_IFNAME => name = attr.bytes_str(),
                rt_link::IFLA_MTU => mtu = attr.u32()?,
                rt_link::IFLA_ADDRESS => address = attr.payload(),
                rt_link::IFLA_OPERSTATE => operstate = attr.u8()?,
                rt_link::IFLA_MASTER => master = attr.u32()?,
                rt_link::IFLA_LINKINFO => {
                    kind = attr
                        .nested()
                        .lookup(rt_link::IFLA_INFO_KIND)?
                        .map(|k| k.bytes_str());
                }
                rt_link::IFLA_STATS64 => {
                    let counter = |i: usize| {
                        attr.payload()
                            .get(i * 8..i * 8 + 8)
                            .and_then(|w| w.try_into().ok())
                            .map_or(0, u64::from_ne_bytes)
                    };
                    (rx, tx) = (counter(2), counter(3));
                }
                _ => {}
            }
        }
        fold.link(name, mtu, address, operstate, master, kind, rx, tx);
    }
    Ok(fold)
}

/// The summary through `netlink-packet-route`'s owned messages.
pub fn npr_typed(buf: &[u8]) -> LinkFold {
    let mut fold = LinkFold::default();
    let mut off = 0;
    while let Some(rest) = buf.get(off..).filter(|r| !r.is_empty()) {
        let Ok(header) = NetlinkBuffer::new_checked(rest) else {
            break;
        };
        let len = header.length() as usize;
        let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rest[..len]) else {
            break;
        };
        off += (len + 3) & !3;
        let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) = &msg.payload else {
            continue;
        };
        let (mut name, mut mtu, mut address, mut operstate, mut master) =
            (&[][..], 0, &[][..], 0, 0);
        let (mut kind, mut rx, mut tx) = (None, 0, 0);
        for attr in &link.attributes {
            match attr {
                LinkAttribute::IfName(n) => name = n.as_bytes(),
                LinkAttribute::Mtu(m) => mtu = *m,
                LinkAttribute::Address(a) => address = a,
                LinkAttribute::OperState(s) => operstate = u8::from(*s),
                LinkAttribute::Controller(m) => master = *m,
                LinkAttribute::LinkInfo(infos) => {
                    for info in infos {
                        if let LinkInfo::Kind(k) = info {
                            kind = Some(k.to_string());
                        }
                    }
                }
                LinkAttribute::Stats64(s) => (rx, tx) = (s.rx_bytes, s.tx_bytes),
                _ => {}
            }
        }
        fold.link(
            name,
            mtu,
            address,
            operstate,
            master,
            kind.as_deref().map(str::as_bytes),
            rx,
            tx,
        );
    }
    fold
}
