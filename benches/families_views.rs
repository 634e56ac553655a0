//! A typed summary of every link of the captured link dump
//! (`tests/data/rtnl-link-dump.bin`: ifname, mtu, address, operstate,
//! master, linkinfo kind, stats64 rx/tx bytes) read through the generated
//! view `rt_link::LinkAttrs`, side by side with the same summary from the
//! plain attribute walk. Both fold into a checksum that must agree before
//! timing.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::families::rt_link::{self, LinkAttrs};
use procslink::families::view::SetView;
use procslink::netlink::{Attrs, Messages};

const IFINFOMSG: usize = 16;

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[inline]
fn fold(sum: u64, value: u64) -> u64 {
    sum.wrapping_mul(31).wrapping_add(value)
}

fn bytes(b: Option<&[u8]>) -> u64 {
    b.map_or(0, |b| {
        b.len() as u64 ^ u64::from(b.first().copied().unwrap_or(0)) << 8
    })
}

fn links(dump: &[u8]) -> impl Iterator<Item = Attrs<'_>> {
    Messages::new(dump)
        .map_while(Result::ok)
        .filter(|m| m.header().message_type() == rt_link::RTM_NEWLINK)
        .filter_map(|m| m.split_family_header(IFINFOMSG).ok().map(|(_, a)| a))
}

fn typed(dump: &[u8]) -> u64 {
    let mut sum = 0;
    for attrs in links(dump) {
        let Ok(link) = LinkAttrs::from_attrs(attrs) else {
            continue;
        };
        sum = fold(sum, bytes(link.ifname()));
        sum = fold(sum, u64::from(link.mtu().unwrap_or(0)));
        sum = fold(sum, bytes(link.address()));
        sum = fold(sum, u64::from(link.operstate().unwrap_or(0)));
        sum = fold(sum, u64::from(link.master().unwrap_or(0)));
        let kind = link.linkinfo().ok().flatten().and_then(|i| i.kind());
        sum = fold(sum, bytes(kind));
        let stats = link.stats64();
        sum = fold(sum, stats.map_or(0, |s| s.rx_bytes.get()));
        sum = fold(sum, stats.map_or(0, |s| s.tx_bytes.get()));
    }
    sum
}

fn plain(dump: &[u8]) -> u64 {
    let mut sum = 0;
    for attrs in links(dump) {
        let (mut name, mut mtu, mut address, mut oper, mut master) = (None, 0, None, 0, 0);
        let (mut kind, mut rx, mut tx) = (None, 0, 0);
        for attr in attrs.map_while(Result::ok) {
            match attr.kind() {
                rt_link::IFLA_IFNAME => name = Some(attr.bytes_str()),
                rt_link::IFLA_MTU => mtu = attr.u32().unwrap_or(0),
                rt_link::IFLA_ADDRESS => address = Some(attr.payload()),
                rt_link::IFLA_OPERSTATE => oper = attr.u8().unwrap_or(0),
                rt_link::IFLA_MASTER => master = attr.u32().unwrap_or(0),
                rt_link::IFLA_LINKINFO => {
                    kind = attr
                        .nested()
                        .lookup(rt_link::IFLA_INFO_KIND)
                        .ok()
                        .flatten()
                        .map(|k| k.bytes_str());
                }
                rt_link::IFLA_STATS64 => {
                    let word = |i: usize| {
                        attr.payload()
                            .get(i * 8..i * 8 + 8)
                            .and_then(|w| w.try_into().ok())
                            .map_or(0, u64::from_ne_bytes)
                    };
                    rx = word(2);
                    tx = word(3);
                }
                _ => {}
            }
        }
        for v in [bytes(name), u64::from(mtu), bytes(address), u64::from(oper)] {
            sum = fold(sum, v);
        }
        for v in [u64::from(master), bytes(kind), rx, tx] {
            sum = fold(sum, v);
        }
    }
    sum
}

fn benches(c: &mut Criterion) {
    let dump = corpus("rtnl-link-dump.bin");
    assert_eq!(
        typed(&dump),
        plain(&dump),
        "the typed and plain summaries differ"
    );
    let mut g = c.benchmark_group("link-summary");
    g.bench_function("typed-view/rtnl-link-dump.bin", |b| {
        b.iter(|| typed(black_box(&dump)))
    });
    g.bench_function("plain-walk/rtnl-link-dump.bin", |b| {
        b.iter(|| plain(black_box(&dump)))
    });
    g.finish();
}

criterion_group!(families_views, benches);
criterion_main!(families_views);
