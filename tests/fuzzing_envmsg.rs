//! The fuzzing toolkit's pyroute2 envelope generators, and netlink
//! malformations applied to envelopes, checked against the crate's parsers.
#![cfg(all(feature = "arbitrary", feature = "proptest"))]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

use procslink::envmsg::{Envelope, EnvelopeFormat};
use procslink::fuzzing::{EnvBody, EnvelopeDesc, Mismatch, Mutation, strategy};

const BUF: usize = 1 << 16;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn strategy_envelopes_parse_back(desc in strategy::envelope()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let len = view.write(&mut buf).expect("fits");
        prop_assert_eq!(view.verify(&buf[..len]), Ok(()));
        prop_assert_eq!(Envelope::parse(&buf[..len], view.repr.header.format())?.flags(), view.wire_flags());
    }

    #[test]
    fn arbitrary_envelopes_parse_back(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut u = Unstructured::new(&data);
        let Ok(desc) = EnvelopeDesc::arbitrary(&mut u) else { return Ok(()) };
        let mut buf = vec![0u8; BUF];
        let len = desc.write(&mut buf).expect("fits");
        prop_assert_eq!(desc.verify(&buf[..len]), Ok(()));
    }

    #[test]
    fn malformed_envelopes_are_detected(desc in strategy::envelope(), plan in strategy::mutation()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let len = view.write(&mut buf).expect("fits");
        let header = view.repr.header.format().header_len();
        let family = |_: usize, _: &procslink::netlink::Message<'_>| header;
        let applied = plan.apply(&mut buf, len, family).expect("some kind applies");
        let expected = applied.malformation.expected();
        let result = expected.detector().run(&buf[..applied.len], family);
        prop_assert!(expected.matches(result), "{}: {:?} vs {:?}", applied.malformation, expected, result);
    }
}

#[test]
fn verify_catches_other_data() {
    let desc = EnvelopeDesc {
        repr: Default::default(),
        body: EnvBody::Data(b"hello"),
    };
    let mut buf = [0u8; 96];
    let len = desc.write(&mut buf).unwrap();
    let other = EnvelopeDesc {
        body: EnvBody::Data(b"hellO"),
        ..desc.clone()
    };
    assert_eq!(
        other.verify(&buf[..len]),
        Err(Mismatch::Field {
            // 16 (nlmsghdr) + 36 (the default PortsId envmsghdr) + 4.
            offset: 56,
            field: "data"
        })
    );
    assert!(Envelope::parse(&buf[..len], EnvelopeFormat::PortsId).is_ok());
}

#[test]
fn a_plan_from_the_same_bytes_breaks_an_envelope() {
    let data = [7u8; 300];
    let mut u = Unstructured::new(&data);
    let desc = EnvelopeDesc::arbitrary(&mut u).unwrap();
    let plan = Mutation::arbitrary(&mut u).unwrap();
    let mut buf = [0u8; 4096];
    let len = desc.write(&mut buf).unwrap();
    let header = desc.repr.header.format().header_len();
    assert!(plan.apply(&mut buf, len, |_, _| header).is_some());
}
