//! The fuzzing toolkit's ProcsLink generators and malformations, checked
//! against the crate's own parsers.
#![cfg(all(feature = "arbitrary", feature = "proptest"))]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

use procslink::ErrorKind;
use procslink::fuzzing::{
    DatagramDesc, DatagramMutation, DatagramMutationKind, IdDesc, JsonTree, JsonValue,
    Malformation, OutcomeDesc, RequestDesc, ResponseDesc, RpcDesc, strategy,
};
use procslink::jsonrpc::Style;
use procslink::procslink::{DatagramRepr, MAX_DATAGRAM};

const BUF: usize = 1 << 15;

fn write_or_skip(desc: &DatagramDesc<'_>, buf: &mut [u8]) -> Option<usize> {
    match desc.write(buf) {
        Ok(len) => {
            assert!(len <= MAX_DATAGRAM);
            Some(len)
        }
        Err(e) => {
            let ErrorKind::TooLarge { size, max } = e.kind() else {
                panic!("{e}")
            };
            assert!(size > max && max == MAX_DATAGRAM);
            None
        }
    }
}

fn check(bytes: &[u8], m: &Malformation) {
    let expected = m.expected();
    let result = expected.detector().run(bytes, |_, _| 0);
    assert!(
        expected.matches(result),
        "{m}: expected {expected:?}, got {result:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn strategy_datagrams_parse_back(desc in strategy::datagram()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let Some(len) = write_or_skip(&view, &mut buf) else { return Ok(()) };
        prop_assert_eq!(view.verify(&buf[..len]), Ok(()));
        let needed = view.buffer_len().unwrap();
        let err = view.write(&mut buf[..needed - 1]).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed });
        prop_assert!(view.write(&mut buf[..needed]).is_ok());
    }

    #[test]
    fn arbitrary_datagrams_parse_back(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut u = Unstructured::new(&data);
        let Ok(desc) = DatagramDesc::arbitrary(&mut u) else { return Ok(()) };
        let mut buf = vec![0u8; BUF];
        let Some(len) = write_or_skip(&desc, &mut buf) else { return Ok(()) };
        prop_assert_eq!(desc.verify(&buf[..len]), Ok(()));
    }

    #[test]
    fn strategy_malformations_are_detected(desc in strategy::datagram(), plan in strategy::datagram_mutation()) {
        let view = desc.view();
        let mut buf = vec![0u8; BUF];
        let Some(len) = write_or_skip(&view, &mut buf) else { return Ok(()) };
        // Capacity for growth: the datagram and one byte more.
        let applied = plan.apply(&mut buf[..len + 1], len).expect("some kind applies");
        check(&buf[..applied.len], &applied.malformation);
    }

    #[test]
    fn arbitrary_malformations_are_detected(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut u = Unstructured::new(&data);
        let Ok(desc) = DatagramDesc::arbitrary(&mut u) else { return Ok(()) };
        let Ok(plan) = DatagramMutation::arbitrary(&mut u) else { return Ok(()) };
        let mut buf = vec![0u8; BUF];
        let Some(len) = write_or_skip(&desc, &mut buf) else { return Ok(()) };
        let applied = plan.apply(&mut buf, len).expect("some kind applies");
        check(&buf[..applied.len], &applied.malformation);
    }
}

fn sample() -> DatagramDesc<'static> {
    let mut data = JsonTree::new();
    data.push(0, "", JsonValue::Object).unwrap();
    data.push(1, "why", JsonValue::Str("caf\u{e9}\n")).unwrap();
    data.push(1, "n", JsonValue::Int(-3)).unwrap();
    DatagramDesc {
        repr: DatagramRepr::response(77),
        style: Style::Python,
        rpc: RpcDesc::Response(ResponseDesc {
            id: IdDesc::Str("a\"b"),
            outcome: OutcomeDesc::Error {
                code: -32000,
                message: "busy",
                data: Some(data),
            },
        }),
    }
}

#[test]
fn a_response_is_written_as_the_reference_spells_it() {
    let desc = sample();
    let mut buf = [0u8; 512];
    let len = desc.write(&mut buf).unwrap();
    assert_eq!(
        &buf[40..len],
        br#"{"jsonrpc": "2.0", "id": "a\"b", "error": {"code": -32000, "message": "busy", "data": {"why": "caf\u00e9\n", "n": -3}}}"#
    );
    assert_eq!(desc.verify(&buf[..len]), Ok(()));
}

#[test]
fn verify_names_the_field_that_differs() {
    let desc = sample();
    let mut buf = [0u8; 512];
    let len = desc.write(&mut buf).unwrap();
    let mut other = sample();
    other.rpc = RpcDesc::Request(RequestDesc {
        id: None,
        method: "m",
        params: None,
    });
    assert!(other.verify(&buf[..len]).is_err());
    let mut other = sample();
    other.repr.pid = 78;
    assert_eq!(
        other.verify(&buf[..len]),
        Err(procslink::fuzzing::Mismatch::Field {
            offset: 0,
            field: "datagram header"
        })
    );
}

#[test]
fn every_kind_applies_as_asked_and_is_detected() {
    let desc = sample();
    let mut fresh = [0u8; 512];
    let len = desc.write(&mut fresh).unwrap();
    for kind in DatagramMutationKind::ALL {
        let mut as_asked = 0;
        for target in 0..20u16 {
            for value in [0u16, 1, 2, 31, 1000, u16::MAX] {
                let mut buf = fresh;
                let applied = DatagramMutation {
                    kind,
                    target,
                    value,
                }
                .apply(&mut buf, len)
                .unwrap();
                let same = matches!(
                    (kind, applied.malformation),
                    (
                        DatagramMutationKind::NlmsgLen,
                        Malformation::DatagramLenMismatch { .. }
                    ) | (
                        DatagramMutationKind::PayloadLen,
                        Malformation::PayloadLenMismatch { .. }
                    ) | (
                        DatagramMutationKind::Truncate,
                        Malformation::DatagramTruncated { .. }
                    ) | (
                        DatagramMutationKind::InvalidUtf8,
                        Malformation::JsonInvalidUtf8 { .. }
                    ) | (
                        DatagramMutationKind::JsonTruncated,
                        Malformation::JsonTruncated { .. }
                    ) | (
                        DatagramMutationKind::JsonTrailing,
                        Malformation::JsonTrailing { .. }
                    ) | (
                        DatagramMutationKind::JsonControlCharacter,
                        Malformation::JsonControlCharacter { .. }
                    )
                );
                as_asked += usize::from(same);
                check(&buf[..applied.len], &applied.malformation);
            }
        }
        assert!(as_asked > 0, "{kind:?} never applied");
    }
}

#[test]
fn growth_needs_capacity() {
    let desc = sample();
    let mut buf = [0u8; 512];
    let len = desc.write(&mut buf).unwrap();
    let plan = DatagramMutation {
        kind: DatagramMutationKind::JsonTrailing,
        target: 0,
        value: 0,
    };
    let applied = plan.apply(&mut buf[..len], len).unwrap();
    // No room: the next kind (control character) is applied instead.
    assert!(matches!(
        applied.malformation,
        Malformation::JsonControlCharacter { .. }
    ));
    assert_eq!(applied.len, len);
}
