//! The netlink contenders: the walks, the nested walk, the policy table and
//! the builder, each written the way its library's users write it.
//!
//! Every walk folds each attribute's type, `nla_len` and first payload byte
//! into a checksum ([`fold`], the same in `c/common.h`), and counts messages
//! and attributes; the bench asserts that every contender reproduces
//! MANIFEST.md's counts and the same checksum before it times anything.

use netlink_packet_core::{
    NLMSG_DONE, NetlinkBuffer, NetlinkMessage, NetlinkPayload, Nla, NlasIterator,
};
use netlink_packet_route::RouteNetlinkMessage;
use procslink::Error;
use procslink::families::rt_link;
use procslink::netlink::{
    AttrKind, AttrPolicy, AttrTable, Attrs, Builder, Messages, NLA_F_NESTED, Policy, flags::Flags,
};

/// What a walk saw: messages, attributes and the checksum (C layout, as the
/// C contenders return it).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkResult {
    /// Messages read (`NLMSG_DONE` included).
    pub messages: u64,
    /// Attributes read.
    pub attrs: u64,
    /// The fold of every attribute read.
    pub sum: u64,
}

/// Folds one attribute into the checksum (the same as `fold` in
/// `c/common.h`).
#[inline(always)]
pub fn fold(sum: u64, ty: u16, len: usize, first: u8) -> u64 {
    sum.wrapping_mul(31)
        .wrapping_add(ty as u64 ^ ((len as u64) << 16) ^ ((first as u64) << 40))
}

#[inline(always)]
const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// procslink: [`Messages`], `split_family_header` and [`Attrs`].
pub fn procslink_walk(buf: &[u8], hdr: usize) -> WalkResult {
    // Locals, not `WalkResult` fields: the result lives behind the return
    // pointer, and stores through it would stay in the loop.
    let (mut messages, mut attrs_seen, mut sum) = (0, 0, 0);
    for msg in Messages::new(buf) {
        let Ok(msg) = msg else { break };
        messages += 1;
        if msg.message_type().is_done() {
            continue;
        }
        let Ok((_, attrs)) = msg.split_family_header(hdr) else {
            break;
        };
        for attr in attrs {
            let Ok(attr) = attr else { break };
            attrs_seen += 1;
            let first = attr.payload().first().copied().unwrap_or(0);
            sum = fold(sum, attr.kind(), attr.len(), first);
        }
    }
    WalkResult {
        messages,
        attrs: attrs_seen,
        sum,
    }
}

/// procslink's walk as the docs write it: `?` on every item, the first
/// error handed to the caller (a diagnostic beside [`procslink_walk`],
/// which stops at an error as the C loop does).
pub fn procslink_walk_try(buf: &[u8], hdr: usize) -> Result<WalkResult, Error> {
    let (mut messages, mut attrs_seen, mut sum) = (0, 0, 0);
    for msg in Messages::new(buf) {
        let msg = msg?;
        messages += 1;
        if msg.message_type().is_done() {
            continue;
        }
        let (_, attrs) = msg.split_family_header(hdr)?;
        for attr in attrs {
            let attr = attr?;
            attrs_seen += 1;
            let first = attr.payload().first().copied().unwrap_or(0);
            sum = fold(sum, attr.kind(), attr.len(), first);
        }
    }
    Ok(WalkResult {
        messages,
        attrs: attrs_seen,
        sum,
    })
}

/// procslink's walk folding types and lengths only (first byte 0): the
/// checksum `netlink-packet-route`'s owned messages can reproduce.
pub fn procslink_walk_shape(buf: &[u8], hdr: usize) -> WalkResult {
    let mut w = WalkResult::default();
    for msg in Messages::new(buf).flatten() {
        w.messages += 1;
        if msg.message_type().is_done() {
            continue;
        }
        if let Ok((_, attrs)) = msg.split_family_header(hdr) {
            for attr in attrs.flatten() {
                w.attrs += 1;
                w.sum = fold(w.sum, attr.kind(), attr.len(), 0);
            }
        }
    }
    w
}

/// `netlink-packet-core`'s buffer views: [`NetlinkBuffer`] and
/// [`NlasIterator`] of `NlaBuffer`s.
pub fn npc_walk(buf: &[u8], hdr: usize) -> WalkResult {
    let (mut messages, mut attrs, mut sum) = (0, 0, 0);
    let mut off = 0;
    while let Some(rest) = buf.get(off..).filter(|r| !r.is_empty()) {
        let Ok(msg) = NetlinkBuffer::new_checked(rest) else {
            break;
        };
        messages += 1;
        if msg.message_type() != NLMSG_DONE {
            let Some(run) = msg.payload().get(align4(hdr)..) else {
                break;
            };
            for nla in NlasIterator::new(run) {
                let Ok(nla) = nla else { break };
                attrs += 1;
                let first = nla.value().first().copied().unwrap_or(0);
                sum = fold(sum, nla.kind(), nla.length() as usize, first);
            }
        }
        off += align4(msg.length() as usize);
    }
    WalkResult {
        messages,
        attrs,
        sum,
    }
}

fn fold_nlas<T: Nla>(w: &mut WalkResult, nlas: &[T]) {
    for nla in nlas {
        w.attrs += 1;
        w.sum = fold(w.sum, nla.kind() & 0x3fff, 4 + nla.value_len(), 0);
    }
}

/// `netlink-packet-route`'s full parse into its owned messages
/// (`NetlinkMessage::<RouteNetlinkMessage>::deserialize` per message),
/// folding each attribute's type and length (first byte 0: the owned
/// values keep no bytes).
pub fn npr_parse(buf: &[u8]) -> WalkResult {
    let mut w = WalkResult::default();
    let mut off = 0;
    while let Some(rest) = buf.get(off..).filter(|r| !r.is_empty()) {
        let Ok(header) = NetlinkBuffer::new_checked(rest) else {
            break;
        };
        let len = header.length() as usize;
        let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rest[..len]) else {
            break;
        };
        w.messages += 1;
        match &msg.payload {
            NetlinkPayload::Done(_) => {}
            NetlinkPayload::InnerMessage(m) => match m {
                RouteNetlinkMessage::NewLink(m) => fold_nlas(&mut w, &m.attributes),
                RouteNetlinkMessage::NewAddress(m) => fold_nlas(&mut w, &m.attributes),
                RouteNetlinkMessage::NewRoute(m) => fold_nlas(&mut w, &m.attributes),
                RouteNetlinkMessage::NewNeighbour(m) => fold_nlas(&mut w, &m.attributes),
                _ => break,
            },
            _ => break,
        }
        off += align4(len);
    }
    w
}

/// Where the nested walk descends: the schema of a link dump, plus any
/// attribute flagged `NLA_F_NESTED` (the same rule as `child_ctx` in
/// `c/common.h`).
#[derive(Copy, Clone, Debug)]
enum Ctx {
    Root,
    LinkInfo,
    AfSpec,
    Other,
}

/// How deep the nested walk goes below the top level.
const MAX_DEPTH: usize = 4;

#[inline(always)]
fn child_ctx(ctx: Ctx, raw_type: u16) -> Option<Ctx> {
    let kind = raw_type & 0x3fff;
    let schema = match ctx {
        Ctx::Root => match kind {
            rt_link::IFLA_LINKINFO => Some(Ctx::LinkInfo),
            rt_link::IFLA_AF_SPEC => Some(Ctx::AfSpec),
            43 | 52 => Some(Ctx::Other), // IFLA_XDP, IFLA_PROP_LIST
            _ => None,
        },
        Ctx::LinkInfo => match kind {
            2 | 5 => Some(Ctx::Other), // IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA
            _ => None,
        },
        Ctx::AfSpec => Some(Ctx::Other), // one nest per address family
        Ctx::Other => None,
    };
    match schema {
        Some(c) => Some(c),
        None if raw_type & NLA_F_NESTED != 0 => Some(Ctx::Other),
        None => None,
    }
}

fn procslink_run(attrs: Attrs<'_>, ctx: Ctx, depth: usize, w: &mut WalkResult) {
    for attr in attrs {
        let Ok(attr) = attr else { break };
        w.attrs += 1;
        let first = attr.payload().first().copied().unwrap_or(0);
        w.sum = fold(w.sum, attr.kind(), attr.len(), first);
        let child = match depth < MAX_DEPTH {
            true => child_ctx(ctx, attr.raw_type()),
            false => None,
        };
        if let Some(child) = child {
            procslink_run(attr.nested(), child, depth + 1, w);
        }
    }
}

/// procslink's walk with descent into nests ([`procslink::netlink::Attr::nested`]).
pub fn procslink_walk_nested(buf: &[u8], hdr: usize) -> WalkResult {
    let mut w = WalkResult::default();
    for msg in Messages::new(buf) {
        let Ok(msg) = msg else { break };
        w.messages += 1;
        if msg.message_type().is_done() {
            continue;
        }
        let Ok((_, attrs)) = msg.split_family_header(hdr) else {
            break;
        };
        procslink_run(attrs, Ctx::Root, 0, &mut w);
    }
    w
}

/// The link policy the table parse checks (the same as `link_attr_cb` in
/// `c/libmnl_shim.c`).
pub static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Binary),             // 1 IFLA_ADDRESS
    AttrPolicy::new(AttrKind::Binary),             // 2 IFLA_BROADCAST
    AttrPolicy::new(AttrKind::String).max_len(16), // 3 IFLA_IFNAME
    AttrPolicy::new(AttrKind::U32),                // 4 IFLA_MTU
    AttrPolicy::new(AttrKind::U32),                // 5 IFLA_LINK
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32), // 10 IFLA_MASTER
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32), // 13 IFLA_TXQLEN
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8),     // 16 IFLA_OPERSTATE
    AttrPolicy::new(AttrKind::U8),     // 17 IFLA_LINKMODE
    AttrPolicy::new(AttrKind::Nested), // 18 IFLA_LINKINFO
]);

/// The table's slots (libmnl's `tb[64]`).
pub const TB_SLOTS: usize = 64;

/// What a consumer reads from the table after the parse.
const READ: [u16; 4] = [
    rt_link::IFLA_IFNAME,
    rt_link::IFLA_MTU,
    rt_link::IFLA_OPERSTATE,
    rt_link::IFLA_LINKINFO,
];

/// procslink's [`AttrTable::parse`] with [`LINK`] over every `RTM_NEWLINK`
/// of a link dump. `full`: fold every present slot (the check), else only
/// what a consumer reads (the timed path). `messages` counts tables.
pub fn procslink_policy(buf: &[u8], full: bool) -> WalkResult {
    let mut w = WalkResult::default();
    for msg in Messages::new(buf) {
        let Ok(msg) = msg else { break };
        if msg.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let Ok((_, attrs)) = msg.split_family_header(16) else {
            break;
        };
        let Ok(tb) = AttrTable::<TB_SLOTS>::parse(attrs, &LINK) else {
            break;
        };
        w.messages += 1;
        let mut take = |attr: procslink::netlink::Attr<'_>| {
            let first = attr.payload().first().copied().unwrap_or(0);
            w.sum = fold(w.sum, attr.kind(), attr.len(), first);
        };
        if full {
            for attr in tb.iter() {
                w.attrs += 1;
                take(attr);
            }
        } else {
            for ty in READ {
                if let Some(attr) = tb.get(ty) {
                    take(attr);
                }
            }
        }
    }
    w
}

/// The RTM_NEWLINK-like message every builder writes: 14 attributes, two of
/// them nests (a vxlan link: name, MTU, address, lower link, txqlen,
/// operstate, linkinfo { kind, data { id, group, link, port, ttl } }).
pub fn procslink_build_newlink(buf: &mut [u8]) -> Result<usize, Error> {
    let mut b = Builder::new(buf);
    let mut m = b.message(rt_link::RTM_NEWLINK, Flags::REQUEST | Flags::ACK, 1, 0)?;
    m.family_header(&rt_link::Ifinfomsg::default())?;
    m.put_str(rt_link::IFLA_IFNAME, "vxlan100")?;
    m.put_u32(rt_link::IFLA_MTU, 1450)?;
    m.put(rt_link::IFLA_ADDRESS, &[2, 0, 0, 0, 0, 1])?;
    m.put_u32(rt_link::IFLA_LINK, 2)?;
    m.put_u32(13, 1000)?; // IFLA_TXQLEN
    m.put_u8(rt_link::IFLA_OPERSTATE, 6)?;
    let mut info = m.nest(rt_link::IFLA_LINKINFO | NLA_F_NESTED)?;
    info.put_str(rt_link::IFLA_INFO_KIND, "vxlan")?;
    let mut data = info.nest(rt_link::IFLA_INFO_DATA | NLA_F_NESTED)?;
    data.put_u32(1, 100)?; // IFLA_VXLAN_ID
    data.put(2, &[239, 1, 1, 1])?; // IFLA_VXLAN_GROUP
    data.put_u32(3, 2)?; // IFLA_VXLAN_LINK
    data.put_u16_be(15, 4789)?; // IFLA_VXLAN_PORT
    data.put_u8(5, 64)?; // IFLA_VXLAN_TTL
    data.end()?;
    info.end()?;
    m.finish()
}

/// [`procslink_build_newlink`] run `n` times in a loop, the Rust twin of
/// `c_build_newlink_loop`: `black_box` on the buffer before each run, as
/// the C loop's empty asm, so that every run writes it anew. The sum of
/// the lengths (0 for a failed run).
#[inline(never)]
pub fn procslink_build_newlink_loop(buf: &mut [u8], n: usize) -> usize {
    let mut total = 0usize;
    for _ in 0..n {
        let buf = core::hint::black_box(&mut *buf);
        total = total.wrapping_add(procslink_build_newlink(buf).unwrap_or(0));
    }
    total
}

/// Attributes in the built message.
pub const BUILD_ATTRS: u64 = 14;
