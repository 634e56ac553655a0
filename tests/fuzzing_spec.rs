//! Messages generated from the family specifications, checked against the
//! specifications with the crate's own parsers and policies.
#![cfg(all(feature = "arbitrary", feature = "proptest", feature = "families"))]

use arbitrary::{Arbitrary, Unstructured};
use proptest::test_runner::{Config, TestRunner};

use procslink::families::view::check_attrs_deep;
use procslink::families::{AttrSet, AttrType, ByteOrder, DisplayHint, FAMILIES, Family, Protocol};
use procslink::fuzzing::Mutation;
use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage, attr_tree, strategy};
use procslink::netlink::{AttrIndex, AttrPolicy, Attrs, Messages, Policy};

/// The id every generic netlink family gets here (any will do).
const GENL_ID: u16 = 0x20;
const SEEDS: usize = 24;

/// Deterministic input bytes of varied lengths.
fn seeds(count: usize) -> Vec<Vec<u8>> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            let len = 64 + (i * 257) % 4096;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

/// What a run held.
#[derive(Default, Debug)]
struct Seen {
    attrs: usize,
    sub_messages: usize,
}

/// The policy the specification gives `set`'s attributes.
fn policy_entries(set: &AttrSet) -> Vec<AttrPolicy<'static>> {
    let top = set.attrs().iter().map(|a| a.number()).max().unwrap_or(0);
    let mut entries = vec![AttrPolicy::UNSPEC; top as usize + 1];
    for spec in set.attrs() {
        entries[spec.number() as usize] = spec.policy();
    }
    entries
}

fn int(payload: &[u8], signed: bool, order: ByteOrder) -> Result<i128, String> {
    let mut bytes = [0u8; 8];
    let n = payload.len();
    if !matches!(n, 1 | 2 | 4 | 8) {
        return Err(format!("an integer of {n} bytes"));
    }
    let value = if order == ByteOrder::Big {
        bytes[8 - n..].copy_from_slice(payload);
        u64::from_be_bytes(bytes)
    } else {
        bytes[..n].copy_from_slice(payload);
        u64::from_le_bytes(bytes)
    };
    let bits = n as u32 * 8;
    Ok(if signed && bits < 64 && value >> (bits - 1) & 1 == 1 {
        value as i128 - (1i128 << bits)
    } else if signed {
        value as i64 as i128
    } else {
        value as i128
    })
}

/// Checks a run against `set`: the policy from the specification accepts
/// it, the `tb[]` index holds it, every attribute is named, every value
/// has its type's size and satisfies the checks, nests and sub-messages
/// recursively. An error says what broke; nothing panics on any bytes.
fn conform(set: &AttrSet, run: Attrs<'_>, seen: &mut Seen) -> Result<(), String> {
    let entries = policy_entries(set);
    let policy = Policy::new(&entries);
    policy
        .validate(run.clone())
        .map_err(|e| format!("{}: {e}", set.name()))?;
    let mut slots = vec![None; entries.len()];
    AttrIndex::parse(&mut slots, run.clone(), &policy).map_err(|e| e.to_string())?;
    for attr in run.clone() {
        let attr = attr.map_err(|e| e.to_string())?;
        let spec = set
            .by_number(attr.kind())
            .ok_or_else(|| format!("{}: type {} unnamed", set.name(), attr.kind()))?;
        let name = format!("{}.{}", set.name(), spec.name());
        let payload = attr.payload();
        let checks = spec.checks();
        seen.attrs += 1;
        match spec.attr_type() {
            AttrType::U8
            | AttrType::U16
            | AttrType::U32
            | AttrType::U64
            | AttrType::S8
            | AttrType::S16
            | AttrType::S32
            | AttrType::S64
            | AttrType::Uint
            | AttrType::Sint => {
                let signed = matches!(
                    spec.attr_type(),
                    AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
                );
                let value = int(payload, signed, spec.byte_order())?;
                if !checks.allows(value) {
                    return Err(format!("{name}: {value} outside {checks:?}"));
                }
            }
            AttrType::String => {
                let text = attr.str().map_err(|e| format!("{name}: {e}"))?;
                let exact = checks.exact_len().map(|l| l as usize);
                if exact.is_some_and(|l| l != text.len())
                    || checks.min_len().is_some_and(|l| text.len() < l as usize)
                    || checks.max_len().is_some_and(|l| text.len() > l as usize)
                {
                    return Err(format!("{name}: {text:?} against {checks:?}"));
                }
            }
            AttrType::Binary => {
                let len = payload.len();
                let wanted = match (checks.exact_len(), spec.structure(), spec.display_hint()) {
                    (Some(l), _, _) => Some(l as usize == len),
                    (None, Some(s), _) if checks.min_len().is_none() => Some(s.size() == len),
                    (None, None, DisplayHint::Mac) => Some(len == 6),
                    (None, None, DisplayHint::Ipv4) => Some(len == 4),
                    (None, None, DisplayHint::Ipv6) => Some(len == 16),
                    (None, None, DisplayHint::Ipv4OrV6) => Some(len == 4 || len == 16),
                    _ => None,
                };
                if wanted == Some(false) {
                    return Err(format!("{name}: {len} bytes"));
                }
            }
            AttrType::Bitfield32 if payload.len() != 8 => {
                return Err(format!("{name}: bitfield32 of {} bytes", payload.len()));
            }
            AttrType::Flag if !payload.is_empty() => return Err(format!("{name}: flag payload")),
            AttrType::Nest => {
                if let Some(inner) = spec.nested() {
                    conform(inner, attr.nested(), seen)?;
                }
            }
            AttrType::IndexedArray | AttrType::NestTypeValue => {
                let scalar = spec
                    .sub_type()
                    .filter(|t| spec.attr_type() == AttrType::IndexedArray && !t.is_nested());
                for entry in attr.nested() {
                    let entry = entry.map_err(|e| format!("{name}: {e}"))?;
                    match (scalar, spec.nested()) {
                        (Some(sub), _) => {
                            let len = entry.payload().len();
                            let exact = checks.exact_len().map(|l| l as usize);
                            if sub.fixed_size().is_some_and(|n| n != len)
                                || (sub == AttrType::Binary && exact.is_some_and(|n| n != len))
                            {
                                return Err(format!("{name}: entry of {sub}"));
                            }
                        }
                        (None, Some(inner)) => conform(inner, entry.nested(), seen)?,
                        (None, None) => {}
                    }
                }
            }
            AttrType::SubMessage => {
                let format = set
                    .sub_message_format(spec, run.clone())
                    .ok_or_else(|| format!("{name}: no format selected"))?;
                seen.sub_messages += 1;
                match format.attr_set() {
                    Some(inner) => conform(inner, attr.nested(), seen)?,
                    None => {
                        let size = format.fixed_header().map_or(0, |h| h.size());
                        if payload.len() != size {
                            return Err(format!("{name}: {} bytes of header", payload.len()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks one written message of `family`'s operation `op_name`.
fn conform_message(
    family: &Family,
    op_name: &str,
    header_len: usize,
    bytes: &[u8],
    seen: &mut Seen,
) -> Result<(), String> {
    let op = family.operation(op_name).ok_or("no such operation")?;
    let mut messages = Messages::new(bytes);
    let message = messages
        .next()
        .ok_or("no message")?
        .map_err(|e| e.to_string())?;
    let (header, attrs) = message
        .split_family_header(header_len)
        .map_err(|e| e.to_string())?;
    let command = match family.protocol() {
        Protocol::Genetlink { .. } => {
            if message.header().message_type().0 != GENL_ID {
                return Err("not the family id".into());
            }
            header.first().map(|&c| u16::from(c))
        }
        Protocol::NetlinkRaw { .. } => Some(message.header().message_type().0),
    };
    if command != op.request() && command != op.reply() {
        return Err(format!("{op_name}: message type or command {command:?}"));
    }
    match op.attr_set() {
        Some(set) => {
            // The crate's own deep check (every nest, array and
            // sub-message followed) agrees with this file's checker on
            // what conforms.
            let deep = check_attrs_deep(set, attrs.clone());
            conform(set, attrs, seen)?;
            deep.map_err(|e| format!("conforms, yet the deep check refuses it: {e}"))
        }
        None => Ok(()),
    }
}

fn family_id(family: &Family) -> u16 {
    match family.protocol() {
        Protocol::Genetlink { .. } => GENL_ID,
        Protocol::NetlinkRaw { .. } => 0,
    }
}

#[test]
fn all_33_families_are_compiled_in() {
    assert_eq!(FAMILIES.len(), 33);
}

#[test]
fn every_operation_generates_messages_the_specification_accepts() {
    let seeds = seeds(SEEDS);
    let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
    let (mut operations, mut messages, mut attrs) = (0, 0, 0);
    for family in FAMILIES {
        for op in family.operations() {
            let Some(set) = op.attr_set() else { continue };
            operations += 1;
            let mut seen = Seen::default();
            for seed in &seeds {
                let mut u = Unstructured::new(seed);
                let msg = SpecMessage::generate(&mut u, family, op, family_id(family))
                    .unwrap_or_else(|e| panic!("{} {}: {e}", family.name(), op.name()));
                let len = msg.write(&mut buf).expect("a spec message fits its bound");
                assert_eq!(msg.verify(&buf[..len]), Ok(()));
                conform_message(family, op.name(), msg.header_len(), &buf[..len], &mut seen)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", family.name(), op.name()));
                messages += 1;
            }
            let describable = set
                .attrs()
                .iter()
                .any(|a| !matches!(a.attr_type(), AttrType::Unused | AttrType::Pad));
            assert!(
                seen.attrs > 0 || !describable,
                "{} {}: no attribute in {SEEDS} messages",
                family.name(),
                op.name()
            );
            attrs += seen.attrs;
        }
    }
    eprintln!("{operations} operations, {messages} messages, {attrs} attributes");
    assert!(operations > 300, "{operations}");
}

#[test]
fn rt_link_sub_messages_are_chosen_by_their_selector() {
    let family = procslink::families::family("rt-link").unwrap();
    let linkinfo = family.attr_set("linkinfo-attrs").unwrap();
    let mut seen = Seen::default();
    let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
    for seed in seeds(256) {
        let tree = attr_tree(&mut Unstructured::new(&seed), linkinfo).unwrap();
        let mut desc = procslink::fuzzing::MessageDesc {
            ty: 16,
            ..Default::default()
        };
        desc.attrs = tree;
        let mut batch = procslink::netlink::Builder::new(&mut buf);
        let len = desc.write_into(&mut batch).unwrap();
        let message = procslink::netlink::Message::parse(&buf[..len]).unwrap();
        let (_, attrs) = message.split_family_header(0).unwrap();
        conform(linkinfo, attrs, &mut seen).unwrap();
    }
    assert!(seen.sub_messages >= 20, "{seen:?}");
}

#[test]
fn strategies_round_trip_through_the_parser_for_every_operation() {
    for family in FAMILIES {
        for op in family
            .operations()
            .iter()
            .filter(|o| o.attr_set().is_some())
        {
            let strategy = strategy(family, op, family_id(family)).unwrap();
            let mut runner = TestRunner::new(Config {
                cases: 8,
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&strategy, |msg| {
                    let view = msg.view();
                    let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
                    let mut batch = procslink::netlink::Builder::new(&mut buf);
                    let len = view.write_into(&mut batch).expect("fits");
                    let mut desc = procslink::fuzzing::NetlinkDesc::default();
                    desc.messages.push(view.clone()).unwrap();
                    proptest::prop_assert_eq!(desc.verify(&buf[..len]), Ok(()));
                    let header_len = view.family.len();
                    let checked = conform_message(
                        family,
                        op.name(),
                        header_len,
                        &buf[..len],
                        &mut Seen::default(),
                    );
                    proptest::prop_assert_eq!(checked, Ok(()));
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{} {}: {e}", family.name(), op.name()));
        }
    }
}

#[test]
fn malformed_variants_are_detected_as_predicted_and_never_panic_the_decoders() {
    let seeds = seeds(16);
    let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
    let (mut applied_count, mut rejected) = (0, 0);
    for family in FAMILIES {
        for op in family
            .operations()
            .iter()
            .filter(|o| o.attr_set().is_some())
        {
            for seed in &seeds {
                let mut u = Unstructured::new(seed);
                let msg = SpecMessage::generate(&mut u, family, op, family_id(family)).unwrap();
                let len = msg.write(&mut buf).unwrap();
                let Ok(plan) = Mutation::arbitrary(&mut u) else {
                    continue;
                };
                let Some(applied) = plan.apply(&mut buf, len, |_, _| msg.header_len()) else {
                    continue;
                };
                applied_count += 1;
                let bytes = &buf[..applied.len];
                let expected = applied.malformation.expected();
                let detected = expected.detector().run(bytes, |_, _| msg.header_len());
                assert!(
                    expected.matches(detected),
                    "{} {}: {}: expected {expected:?}, got {detected:?}",
                    family.name(),
                    op.name(),
                    applied.malformation
                );
                for m in Messages::new(bytes) {
                    let _ = m.map(|m| m.split_family_header(msg.header_len()));
                }
                let checked = conform_message(
                    family,
                    op.name(),
                    msg.header_len(),
                    bytes,
                    &mut Seen::default(),
                );
                rejected += usize::from(checked.is_err());
            }
        }
    }
    eprintln!(
        "{applied_count} malformed messages, {rejected} rejected by the specification's checks"
    );
    assert!(
        applied_count > 1000 && rejected > 0,
        "{applied_count} {rejected}"
    );
}
