//! Property tests of a multipath route's next hops (`RTA_MULTIPATH`):
//! hops written with `MessageBuilder::nexthop` read back by `NextHops`,
//! and any bytes read as hops or as one error inside them, never a panic.

use proptest::prelude::*;

use procslink::ErrorKind;
use procslink::netlink::route::{NextHops, RTNH_HDRLEN, RtNexthop, rtvia};
use procslink::netlink::{Builder, Message, MessageType, NLA_HDRLEN, flags::Flags};

const RTM_NEWROUTE: MessageType = MessageType(24);
const RTA_MULTIPATH: u16 = 9;

/// One hop as written: header fields and attributes (type, payload).
#[derive(Clone, Debug, PartialEq)]
struct Hop {
    ifindex: i32,
    weight: u16,
    flags: u8,
    attrs: Vec<(u16, Vec<u8>)>,
}

fn hop() -> impl Strategy<Value = Hop> {
    let attr = (0u16..0x3fff, prop::collection::vec(any::<u8>(), 0..24));
    (
        any::<i32>(),
        1u16..=256,
        any::<u8>(),
        prop::collection::vec(attr, 0..4),
    )
        .prop_map(|(ifindex, weight, flags, attrs)| Hop {
            ifindex,
            weight,
            flags,
            attrs,
        })
}

/// An `RTM_NEWROUTE` with a 12-byte family header and one `RTA_MULTIPATH`
/// holding `hops`; returns the message's length.
fn build(buf: &mut [u8], hops: &[Hop]) -> usize {
    let mut b = Builder::new(buf);
    let mut m = b.message(RTM_NEWROUTE, Flags::REQUEST, 1, 0).unwrap();
    m.put_bytes_raw(&[0; 12]).unwrap();
    let mut multipath = m.nest(RTA_MULTIPATH).unwrap();
    for h in hops {
        let mut nh = multipath
            .nexthop(&RtNexthop::new(h.ifindex, h.weight, h.flags))
            .unwrap();
        for (ty, payload) in &h.attrs {
            nh.put(*ty, payload).unwrap();
        }
        nh.end().unwrap();
    }
    multipath.end().unwrap();
    m.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Build → parse gives back every hop: header, weight, attributes, and
    /// offsets that point at each hop in the message.
    #[test]
    fn built_hops_read_back(hops in prop::collection::vec(hop(), 0..6)) {
        let mut buf = vec![0u8; 4096];
        let len = build(&mut buf, &hops);
        let msg = Message::parse(&buf[..len]).unwrap();
        let (_, mut attrs) = msg.split_family_header(12).unwrap();
        let multipath = attrs.next().unwrap().unwrap();
        let mut read = Vec::new();
        for nh in NextHops::of(&multipath) {
            let nh = nh.unwrap();
            let header = nh.header();
            let at = nh.offset();
            prop_assert_eq!(&buf[at..at + RTNH_HDRLEN], zerocopy::IntoBytes::as_bytes(header));
            prop_assert_eq!(
                usize::from(header.rtnh_len.get()),
                RTNH_HDRLEN + nh.attrs().map(|a| NLA_HDRLEN + a.unwrap().bytes().len())
                    .map(|l| l.next_multiple_of(4)).sum::<usize>()
            );
            read.push(Hop {
                ifindex: header.rtnh_ifindex.get(),
                weight: header.weight(),
                flags: header.rtnh_flags,
                attrs: nh
                    .attrs()
                    .map(|a| {
                        let a = a.unwrap();
                        assert_eq!(&buf[a.offset() + NLA_HDRLEN..][..a.bytes().len()], a.bytes());
                        (a.kind(), a.bytes().to_vec())
                    })
                    .collect(),
            });
        }
        prop_assert_eq!(read, hops);
    }

    /// Any bytes: hops in order inside the input, then at most one error,
    /// at an offset inside the input, after which the iterator stops.
    #[test]
    fn any_bytes_read_as_hops_or_one_error(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        base in 0usize..1 << 40,
    ) {
        let mut hops = NextHops::with_offset(&bytes, base);
        let mut last = None;
        let mut failed = false;
        for nh in hops.by_ref() {
            prop_assert!(!failed, "an item after an error");
            match nh {
                Ok(nh) => {
                    let at = nh.offset().wrapping_sub(base);
                    prop_assert!(last.is_none_or(|l| at > l));
                    prop_assert!(at + usize::from(nh.header().rtnh_len.get()) <= bytes.len());
                    prop_assert!(nh.header().rtnh_len.get() as usize >= RTNH_HDRLEN);
                    let _ = nh.attrs().count();
                    last = Some(at);
                }
                Err(e) => {
                    let at = e.offset().wrapping_sub(base);
                    prop_assert!(at < bytes.len());
                    let framing = matches!(
                        e.kind(),
                        ErrorKind::Truncated { .. }
                            | ErrorKind::LengthTooSmall { .. }
                            | ErrorKind::LengthOverrun { .. }
                    );
                    prop_assert!(framing, "{:?}", e);
                    failed = true;
                }
            }
        }
        prop_assert!(hops.next().is_none());
    }

    /// `rtvia` splits any payload of two bytes or more into its family and
    /// the rest, and refuses a shorter one at the payload's offset.
    #[test]
    fn rtvia_splits_its_family(payload in prop::collection::vec(any::<u8>(), 0..24)) {
        let mut buf = vec![0u8; 64];
        let mut b = Builder::new(&mut buf);
        let mut m = b.message(RTM_NEWROUTE, Flags::REQUEST, 1, 0).unwrap();
        m.put(18, &payload).unwrap();
        let len = m.finish().unwrap();
        let msg = Message::parse(&buf[..len]).unwrap();
        let (_, mut attrs) = msg.split_family_header(0).unwrap();
        let via = attrs.next().unwrap().unwrap();
        match rtvia(&via) {
            Ok((family, addr)) => {
                prop_assert_eq!(family.to_ne_bytes(), [payload[0], payload[1]]);
                prop_assert_eq!(addr, &payload[2..]);
            }
            Err(e) => {
                prop_assert!(payload.len() < 2);
                prop_assert_eq!(e.offset(), via.offset() + NLA_HDRLEN);
            }
        }
    }
}

/// A hop whose length is below its header, or past the run, is one error
/// at the hop; a run cut inside a header is one error too.
#[test]
fn malformed_hops_are_one_error_at_the_hop() {
    let mut good = [0u8; 8];
    good[..2].copy_from_slice(&8u16.to_ne_bytes());
    for (bad_len, kind) in [(4u16, "LengthTooSmall"), (40, "LengthOverrun")] {
        let mut run = good.to_vec();
        run.extend_from_slice(&bad_len.to_ne_bytes());
        run.extend_from_slice(&[0; 6]);
        let items: Vec<_> = NextHops::with_offset(&run, 100).collect();
        assert_eq!(items.len(), 2, "{kind}");
        assert!(items[0].is_ok());
        let e = items[1].unwrap_err();
        assert_eq!(e.offset(), 108, "{kind}");
        assert!(format!("{:?}", e.kind()).starts_with(kind), "{e:?}");
    }
    let cut: Vec<_> = NextHops::new(&good[..5]).collect();
    assert!(matches!(
        cut[..],
        [Err(e)] if e.kind() == ErrorKind::Truncated { needed: 8, available: 5 }
    ));
}

/// A hop too large for `rtnh_len` is refused when it is closed, and the
/// message is left as it was before the hop was opened.
#[test]
fn a_hop_over_65535_bytes_is_refused_and_discarded() {
    let mut buf = vec![0u8; 100_000];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(RTM_NEWROUTE, Flags::REQUEST, 1, 0).unwrap();
    let before = m.len();
    let mut hop = m.nexthop(&RtNexthop::new(1, 1, 0)).unwrap();
    for _ in 0..3 {
        hop.put(1, &[0; 30_000]).unwrap();
    }
    let e = hop.end().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e:?}");
    assert_eq!(m.len(), before);
}
