//! Zero allocation: walking the whole corpus (messages, attributes, nests,
//! acks, the policy table) and building messages allocate nothing.
#![cfg(feature = "family-rt-link")]

mod common;

use common::alloc::{Counting, allocations_during};
use procslink::families::rt_link;
use procslink::netlink::{
    AttrKind, AttrPolicy, AttrTable, Builder, MessageType, Messages, NLA_F_NESTED, Policy,
    flags::Flags,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Binary),
    AttrPolicy::new(AttrKind::Binary),
    AttrPolicy::new(AttrKind::String).max_len(16),
    AttrPolicy::new(AttrKind::U32),
]);

#[test]
fn parsing_and_building_allocate_nothing() {
    let dumps: Vec<(String, Vec<u8>, usize)> = common::manifest_dumps()
        .into_iter()
        .map(|row| {
            let bytes = common::read_corpus(&row.file);
            let hdr = common::family_header_len(&row.file);
            (row.file, bytes, hdr)
        })
        .collect();
    let mut out = vec![0u8; 4096];
    let mut checksum = 0usize;

    let n = allocations_during(|| {
        for (file, bytes, hdr) in &dumps {
            for msg in Messages::new(bytes) {
                let msg = msg.unwrap();
                if msg.message_type().is_done() {
                    checksum += msg.done().unwrap().status() as usize;
                    continue;
                }
                let (_, run) = msg.split_family_header(*hdr).unwrap();
                let tb = if file == "rtnl-link-dump.bin" {
                    AttrTable::<64>::parse(run.clone(), &LINK).unwrap()
                } else {
                    AttrTable::<64>::index(run.clone()).unwrap()
                };
                checksum += tb.iter().count();
                for attr in run {
                    let attr = attr.unwrap();
                    checksum += attr.len() + attr.kind() as usize;
                    for inner in attr.nested().flatten() {
                        checksum += inner.len();
                    }
                }
            }
        }
        let mut b = Builder::new(&mut out);
        let mut m = b
            .message(rt_link::RTM_NEWLINK, Flags::REQUEST | Flags::ACK, 1, 0)
            .unwrap();
        m.family_header(&rt_link::Ifinfomsg::default()).unwrap();
        m.put_str(rt_link::IFLA_IFNAME, "vx0").unwrap();
        m.put_u32(rt_link::IFLA_MTU, 1450).unwrap();
        let mut info = m.nest(rt_link::IFLA_LINKINFO | NLA_F_NESTED).unwrap();
        info.put_str(rt_link::IFLA_INFO_KIND, "vxlan").unwrap();
        info.end().unwrap();
        m.finish().unwrap();
        let mut m = b.message(MessageType::ERROR, Flags::empty(), 1, 0).unwrap();
        m.put_bytes_raw(&[0u8; 20]).unwrap();
        m.finish().unwrap();
        checksum += b.len();
        for msg in Messages::new(b.as_bytes()) {
            let msg = msg.unwrap();
            if msg.message_type().is_error() {
                let err = msg.error().unwrap();
                checksum += err.is_ack() as usize;
            }
        }
    });
    assert!(checksum > 0);
    assert_eq!(n, 0, "the codec allocated {n} times");
}
