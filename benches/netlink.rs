//! The netlink codec on the captured kernel dumps (`tests/data`): the walk
//! over every message and top-level attribute, the walk with descent into
//! nests, the policy/index table parse, and building an RTM_NEWLINK-like
//! message.
//!
//! Every walk folds types, lengths and a payload byte into a checksum that
//! is compared with a plain slice-indexing loop before timing.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use procslink::families::rt_link;
use procslink::netlink::{
    AttrKind, AttrPolicy, AttrTable, Attrs, Builder, Messages, NLA_F_NESTED, Policy, flags::Flags,
};

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const DUMPS: &[(&str, usize)] = &[
    ("rtnl-link-dump.bin", 16),
    ("rtnl-addr-dump.bin", 8),
    ("rtnl-route-dump.bin", 12),
    ("rtnl-neigh-dump.bin", 12),
    ("genl-ctrl-family-dump.bin", 4),
];

#[inline]
fn fold(sum: u64, ty: u16, len: usize, first: u8) -> u64 {
    sum.wrapping_mul(31)
        .wrapping_add(ty as u64 ^ ((len as u64) << 16) ^ ((first as u64) << 40))
}

fn walk_procslink(buf: &[u8], hdr: usize) -> u64 {
    let mut sum = 0;
    for msg in Messages::new(buf) {
        let Ok(msg) = msg else { return 0 };
        if msg.message_type().is_done() {
            continue;
        }
        let Ok((_, attrs)) = msg.split_family_header(hdr) else {
            return 0;
        };
        for attr in attrs {
            let Ok(attr) = attr else { return 0 };
            sum = fold(
                sum,
                attr.kind(),
                attr.len(),
                attr.payload().first().copied().unwrap_or(0),
            );
        }
    }
    sum
}

/// The same walk written with plain indexing and explicit bounds checks.
fn walk_by_hand(buf: &[u8], hdr: usize) -> u64 {
    let mut sum = 0;
    let mut off = 0;
    while off + 16 <= buf.len() {
        let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap()) as usize;
        let ty = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().unwrap());
        if len < 16 || off + len > buf.len() {
            return 0;
        }
        if ty != 3 {
            let mut a = off + 16 + ((hdr + 3) & !3);
            let end = off + len;
            while a + 4 <= end {
                let alen = u16::from_ne_bytes(buf[a..a + 2].try_into().unwrap()) as usize;
                let aty = u16::from_ne_bytes(buf[a + 2..a + 4].try_into().unwrap()) & 0x3fff;
                if alen < 4 || a + alen > end {
                    return 0;
                }
                let first = if alen > 4 { buf[a + 4] } else { 0 };
                sum = fold(sum, aty, alen, first);
                a += (alen + 3) & !3;
            }
        }
        off += (len + 3) & !3;
    }
    sum
}

fn walk_nested(attrs: Attrs<'_>, depth: usize) -> u64 {
    let mut sum = 0;
    for attr in attrs.flatten() {
        sum = fold(sum, attr.kind(), attr.len(), 0);
        if depth < 4
            && (attr.is_nested()
                || attr.kind() == rt_link::IFLA_LINKINFO
                || attr.kind() == rt_link::IFLA_AF_SPEC)
        {
            sum ^= walk_nested(attr.nested(), depth + 1);
        }
    }
    sum
}

static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Binary),
    AttrPolicy::new(AttrKind::Binary),
    AttrPolicy::new(AttrKind::String).max_len(16),
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8),
    AttrPolicy::new(AttrKind::U8),
    AttrPolicy::new(AttrKind::Nested),
]);

fn build_newlink(buf: &mut [u8]) -> usize {
    let mut b = Builder::new(buf);
    let mut m = b
        .message(rt_link::RTM_NEWLINK, Flags::REQUEST | Flags::ACK, 1, 0)
        .unwrap();
    m.family_header(&rt_link::Ifinfomsg::default()).unwrap();
    m.put_str(rt_link::IFLA_IFNAME, "vxlan100").unwrap();
    m.put_u32(rt_link::IFLA_MTU, 1450).unwrap();
    m.put(rt_link::IFLA_ADDRESS, &[2, 0, 0, 0, 0, 1]).unwrap();
    m.put_u32(rt_link::IFLA_LINK, 2).unwrap();
    m.put_u32(13, 1000).unwrap();
    m.put_u8(rt_link::IFLA_OPERSTATE, 6).unwrap();
    let mut info = m.nest(rt_link::IFLA_LINKINFO | NLA_F_NESTED).unwrap();
    info.put_str(rt_link::IFLA_INFO_KIND, "vxlan").unwrap();
    let mut data = info.nest(rt_link::IFLA_INFO_DATA | NLA_F_NESTED).unwrap();
    data.put_u32(1, 100).unwrap();
    data.put(2, &[239, 1, 1, 1]).unwrap();
    data.put_u32(3, 2).unwrap();
    data.put_u16_be(15, 4789).unwrap();
    data.put_u8(5, 64).unwrap();
    data.end().unwrap();
    info.end().unwrap();
    m.finish().unwrap()
}

fn benches(c: &mut Criterion) {
    let dumps: Vec<(&str, Vec<u8>, usize)> =
        DUMPS.iter().map(|&(n, h)| (n, corpus(n), h)).collect();
    for (name, bytes, hdr) in &dumps {
        let expected = walk_by_hand(bytes, *hdr);
        assert_ne!(expected, 0, "{name}");
        assert_eq!(
            walk_procslink(bytes, *hdr),
            expected,
            "{name}: checksums agree"
        );
    }

    let mut g = c.benchmark_group("walk");
    for (name, bytes, hdr) in &dumps {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("procslink/{name}"), |b| {
            b.iter(|| walk_procslink(black_box(bytes), *hdr))
        });
        g.bench_function(format!("by-hand/{name}"), |b| {
            b.iter(|| walk_by_hand(black_box(bytes), *hdr))
        });
    }
    g.finish();

    let link = &dumps[0].1;
    c.bench_function("walk-nested/rtnl-link-dump.bin", |b| {
        b.iter(|| {
            let mut sum = 0;
            for msg in Messages::new(black_box(link)).flatten() {
                if let Ok((_, attrs)) = msg.split_family_header(16) {
                    sum ^= walk_nested(attrs, 0);
                }
            }
            sum
        })
    });
    c.bench_function("policy-table/rtnl-link-dump.bin", |b| {
        b.iter(|| {
            let mut present = 0;
            for msg in Messages::new(black_box(link)).flatten() {
                if msg.message_type() != rt_link::RTM_NEWLINK {
                    continue;
                }
                let (_, attrs) = msg.split_family_header(16).unwrap();
                let tb = AttrTable::<64>::parse(attrs, &LINK).unwrap();
                present += tb.iter().count();
            }
            present
        })
    });
    let mut buf = [0u8; 512];
    c.bench_function("build/rtm_newlink", |b| {
        b.iter(|| build_newlink(black_box(&mut buf)))
    });
}

criterion_group!(netlink, benches);
criterion_main!(netlink);
