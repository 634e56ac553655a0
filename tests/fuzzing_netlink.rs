//! The fuzzing toolkit's netlink generators and malformations, checked
//! against the crate's own parsers.
#![cfg(all(
    feature = "arbitrary",
    feature = "proptest",
    feature = "family-rt-link"
))]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

use procslink::families::rt_link::Ifinfomsg;
use procslink::fuzzing::{
    AttrValue, Detector, Expected, Malformation, MessageDesc, Mutation, MutationKind, NetlinkDesc,
    strategy,
};
use procslink::netlink::{AttrTable, Message, Messages};
use procslink::{Error, ErrorKind};

const BUF: usize = 1 << 16;

/// Checks one malformation against its detector, plus the extra
/// predictions of the benign ones.
fn check_malformation(desc: &NetlinkDesc<'_>, bytes: &[u8], m: &Malformation) {
    let family = |i: usize, _: &Message<'_>| desc.family_len(i);
    let expected = m.expected();
    let result = expected.detector().run(bytes, family);
    assert!(
        expected.matches(result),
        "{m}: expected {expected:?}, got {result:?}"
    );
    match *m {
        Malformation::MessageLenTooLarge { at, .. } => {
            assert_eq!(Messages::new(bytes).count(), at.message + 1, "{m}");
        }
        Malformation::DuplicateType {
            at,
            attr_type,
            first,
        } => {
            // The table over the run holding both keeps the later one.
            let run = run_holding(desc, bytes, at.offset).expect("run found");
            let table = AttrTable::<{ procslink::fuzzing::MAX_ATTR_TYPE as usize + 1 }>::index(run)
                .expect("run parses");
            let kept = table.get(attr_type).expect("type present");
            assert_eq!(kept.offset(), at.offset, "{m}");
            assert!(first < at.offset);
        }
        _ => {}
    }
}

/// The attribute run (top level or nested) that holds the attribute at
/// `offset`.
fn run_holding<'a>(
    desc: &NetlinkDesc<'_>,
    bytes: &'a [u8],
    offset: usize,
) -> Option<procslink::netlink::Attrs<'a>> {
    fn search<'a>(
        run: procslink::netlink::Attrs<'a>,
        offset: usize,
    ) -> Option<procslink::netlink::Attrs<'a>> {
        for a in run.clone() {
            let a = a.ok()?;
            if a.offset() == offset {
                return Some(run);
            }
            if a.is_nested()
                && let Some(r) = search(a.nested(), offset)
            {
                return Some(r);
            }
        }
        None
    }
    for (i, m) in Messages::new(bytes).enumerate() {
        let (_, run) = m.ok()?.split_family_header(desc.family_len(i)).ok()?;
        if let Some(r) = search(run, offset) {
            return Some(r);
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn strategy_descriptions_parse_back(desc in strategy::netlink()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let len = view.write(&mut buf).expect("fits");
        prop_assert_eq!(view.verify(&buf[..len]), Ok(()));
        // A byte less is refused with the exact size, not written past.
        let err = view.write(&mut buf[..len - 1]).unwrap_err();
        let ErrorKind::BufferTooSmall { needed } = err.kind() else { panic!("{err}") };
        prop_assert!(needed > len - 1 && needed <= len);
    }

    #[test]
    fn arbitrary_descriptions_parse_back(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&data);
        let Ok(desc) = NetlinkDesc::arbitrary(&mut u) else { return Ok(()) };
        let mut buf = vec![0u8; BUF];
        let len = desc.write(&mut buf).expect("fits");
        prop_assert_eq!(desc.verify(&buf[..len]), Ok(()));
    }

    #[test]
    fn strategy_malformations_are_detected(desc in strategy::netlink(), plan in strategy::mutation()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let len = view.write(&mut buf).expect("fits");
        let applied = plan.apply(&mut buf, len, |i, _| view.family_len(i)).expect("some kind applies");
        check_malformation(&view, &buf[..applied.len], &applied.malformation);
    }

    #[test]
    fn arbitrary_malformations_are_detected(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&data);
        let Ok(desc) = NetlinkDesc::arbitrary(&mut u) else { return Ok(()) };
        let Ok(plan) = Mutation::arbitrary(&mut u) else { return Ok(()) };
        let mut buf = vec![0u8; BUF];
        let len = desc.write(&mut buf).expect("fits");
        let applied = plan.apply(&mut buf, len, |i, _| desc.family_len(i)).expect("some kind applies");
        check_malformation(&desc, &buf[..applied.len], &applied.malformation);
    }
}

/// A link dump with everything every malformation needs: several
/// messages, family headers, nests, strings, unaligned leaves, siblings.
fn rich() -> NetlinkDesc<'static> {
    let mut desc = NetlinkDesc::default();
    for (index, name) in [(1u8, "lo"), (2, "eth0")] {
        let mut m = MessageDesc {
            ty: 16,
            flags: 2,
            seq: 1,
            family: if index == 1 {
                &[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            } else {
                &[0; 16]
            },
            ..Default::default()
        };
        m.attrs.push(0, 3, AttrValue::Str(name)).unwrap();
        m.attrs.push(0, 4, AttrValue::U32(1500)).unwrap();
        m.attrs.push(0, 16, AttrValue::U8(6)).unwrap();
        m.attrs.push(0, 18, AttrValue::Nest).unwrap();
        m.attrs.push(1, 1, AttrValue::Str("vxlan")).unwrap();
        m.attrs.push(1, 2, AttrValue::Nest).unwrap();
        m.attrs.push(2, 1, AttrValue::U32(42)).unwrap();
        m.attrs.push(2, 2, AttrValue::Bytes(b"abc")).unwrap();
        m.attrs.push(1, 3, AttrValue::U16(7)).unwrap();
        m.attrs.push(0, 4, AttrValue::U32(9000)).unwrap();
        desc.messages.push(m).unwrap();
    }
    desc.messages
        .push(MessageDesc {
            ty: 3,
            flags: 2,
            seq: 1,
            family: &[0; 4],
            ..Default::default()
        })
        .unwrap();
    desc
}

#[test]
fn every_kind_applies_as_asked_and_is_detected() {
    let desc = rich();
    let mut fresh = vec![0u8; BUF];
    let len = desc.write(&mut fresh).unwrap();
    for kind in MutationKind::ALL {
        let mut applied_as_asked = 0;
        for target in 0..40u16 {
            for value in [0u16, 1, 2, 3, 7, 100, u16::MAX] {
                let mut buf = fresh.clone();
                let plan = Mutation {
                    kind,
                    target,
                    value,
                };
                let applied = plan
                    .apply(&mut buf, len, |i, _| desc.family_len(i))
                    .unwrap();
                let name = format!("{:?}", applied.malformation);
                if name.starts_with(&format!("{kind:?} ")) {
                    applied_as_asked += 1;
                }
                check_malformation(&desc, &buf[..applied.len], &applied.malformation);
            }
        }
        assert!(
            applied_as_asked > 0,
            "{kind:?} never applied to the rich dump"
        );
    }
}

#[test]
fn short_family_header_is_what_family_header_reports() {
    let desc = rich();
    let mut buf = vec![0u8; BUF];
    let len = desc.write(&mut buf).unwrap();
    let plan = Mutation {
        kind: MutationKind::FamilyHeaderShort,
        target: 1,
        value: 5,
    };
    let applied = plan
        .apply(&mut buf, len, |i, _| desc.family_len(i))
        .unwrap();
    let Malformation::FamilyHeaderShort {
        at,
        expected,
        found,
    } = applied.malformation
    else {
        panic!("{:?}", applied.malformation)
    };
    assert_eq!((at.message, expected, found), (1, 16, 5));
    let msg = Messages::new(&buf[..applied.len]).nth(1).unwrap().unwrap();
    let err = msg.family_header::<Ifinfomsg>().unwrap_err();
    let Expected::Error { error, detector } = applied.malformation.expected() else {
        panic!()
    };
    assert_eq!(detector, Detector::FamilyHeaders);
    assert_eq!(err, error);
    assert_eq!(
        err,
        Error::new(
            ErrorKind::Truncated {
                needed: 16,
                available: 5
            },
            at.offset
        )
    );
}

#[test]
fn malformations_say_where_they_are() {
    let desc = rich();
    let mut buf = vec![0u8; BUF];
    let len = desc.write(&mut buf).unwrap();
    let plan = Mutation {
        kind: MutationKind::UnknownType,
        target: 4,
        value: 0,
    };
    let applied = plan
        .apply(&mut buf, len, |i, _| desc.family_len(i))
        .unwrap();
    let Malformation::UnknownType { at, attr_type } = applied.malformation else {
        panic!()
    };
    // Attribute 4 in preorder: the "vxlan" inside the first message's nest.
    assert_eq!((at.message, at.attr, at.depth, attr_type), (0, 4, 1, 64));
    assert_eq!(at.offset, 16 + 16 + 8 + 8 + 8 + 4);
    assert_eq!(
        applied.malformation.to_string(),
        format!(
            "unknown type 64 in attribute 4 (depth 1) of message 0 at byte {}",
            at.offset
        )
    );
}

#[test]
fn a_buffer_that_does_not_parse_is_left_alone() {
    let mut buf = [0u8; 32];
    buf[..4].copy_from_slice(&64u32.to_ne_bytes());
    let plan = Mutation {
        kind: MutationKind::AttrLenZero,
        target: 0,
        value: 0,
    };
    assert_eq!(plan.apply(&mut buf, 32, |_, _| 0), None);
    assert_eq!(plan.apply(&mut buf, 0, |_, _| 0), None);
    assert_eq!(plan.apply(&mut buf, 64, |_, _| 0), None);
}
