//! rt-link messages generated from the family's specification
//! (`procslink::fuzzing::spec`), decoded with the crate's decoders: the
//! walk by the family tables (every attribute read as its type says, nests
//! and sub-messages followed), the specification's policies, and the
//! `tb[]` index. Well-formed messages must parse back to what was
//! generated and pass the policies; then the same buffer, broken by a
//! `procslink::fuzzing::Mutation`, goes through the same decoders, which
//! must not panic.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use procslink::Error;
use procslink::families::{AttrSet, AttrType, ByteOrder, Operation, rt_link};
use procslink::fuzzing::Mutation;
use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage};
use procslink::netlink::{AttrPolicy, AttrTable, Attrs, Messages, Policy};

/// How deep the walk follows nests (the generator writes at most 5 levels).
const MAX_WALK_DEPTH: usize = 16;

/// The specification's policy of every rt-link attribute set, by name.
fn policies() -> &'static HashMap<&'static str, Vec<AttrPolicy<'static>>> {
    static POLICIES: OnceLock<HashMap<&'static str, Vec<AttrPolicy<'static>>>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        rt_link::FAMILY
            .attr_sets()
            .iter()
            .map(|set| {
                let top = set.attrs().iter().map(|a| a.number()).max().unwrap_or(0);
                let mut entries = vec![AttrPolicy::UNSPEC; top as usize + 1];
                for spec in set.attrs() {
                    entries[spec.number() as usize] = spec.policy();
                }
                (set.name(), entries)
            })
            .collect()
    })
}

/// Reads every attribute of `run` as `set` types it, following nests,
/// arrays and sub-messages; returns how many attributes the set does not
/// name.
fn walk(set: &AttrSet, run: Attrs<'_>, depth: usize) -> Result<usize, Error> {
    if depth > MAX_WALK_DEPTH {
        return Ok(0);
    }
    if let Some(entries) = policies().get(set.name()) {
        Policy::new(entries).validate(run.clone())?;
    }
    let mut unnamed = 0;
    for attr in run.clone() {
        let attr = attr?;
        let Some(spec) = set.by_number(attr.kind()) else {
            unnamed += 1;
            continue;
        };
        let big = spec.byte_order() == ByteOrder::Big;
        match spec.attr_type() {
            AttrType::U8 | AttrType::S8 => {
                attr.u8()?;
            }
            AttrType::U16 | AttrType::S16 if big => {
                attr.u16_be()?;
            }
            AttrType::U16 | AttrType::S16 => {
                attr.u16()?;
            }
            AttrType::U32 | AttrType::S32 if big => {
                attr.u32_be()?;
            }
            AttrType::U32 | AttrType::S32 => {
                attr.u32()?;
            }
            AttrType::U64 | AttrType::S64 if big => {
                attr.u64_be()?;
            }
            AttrType::U64 | AttrType::S64 => {
                attr.u64()?;
            }
            AttrType::Uint | AttrType::Sint if attr.payload().len() == 4 => {
                attr.u32()?;
            }
            AttrType::Uint | AttrType::Sint => {
                attr.u64()?;
            }
            AttrType::String => {
                attr.str()?;
            }
            AttrType::Flag => attr.flag()?,
            AttrType::Nest => {
                if let Some(inner) = spec.nested() {
                    unnamed += walk(inner, attr.nested(), depth + 1)?;
                }
            }
            AttrType::IndexedArray | AttrType::NestTypeValue => {
                for entry in attr.nested() {
                    let entry = entry?;
                    if let (Some(inner), true) = (spec.nested(), entry.is_nested()) {
                        unnamed += walk(inner, entry.nested(), depth + 2)?;
                    }
                }
            }
            AttrType::SubMessage => {
                if let Some(inner) = set
                    .sub_message_format(spec, run.clone())
                    .and_then(|f| f.attr_set())
                {
                    unnamed += walk(inner, attr.nested(), depth + 1)?;
                }
            }
            _ => {}
        }
    }
    Ok(unnamed)
}

/// Decodes every message of `bytes` as messages of `op` with the family
/// tables; returns the number of attributes the specification does not
/// name.
fn decode(bytes: &[u8], op: &Operation) -> Result<usize, Error> {
    let Some(set) = op.attr_set() else {
        return Ok(0);
    };
    let header = op.fixed_header().map_or(0, |h| h.size());
    let mut unnamed = 0;
    for message in Messages::new(bytes) {
        let (_, attrs) = message?.split_family_header(header)?;
        let table = AttrTable::<128>::index(attrs.clone())?;
        for attr in table.iter() {
            if set.by_number(attr.kind()).map(|s| s.attr_type()) == Some(AttrType::String) {
                attr.str()?;
            }
        }
        unnamed += walk(set, attrs, 0)?;
    }
    Ok(unnamed)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let ops: Vec<_> = rt_link::FAMILY
        .operations()
        .iter()
        .filter(|o| o.attr_set().is_some())
        .collect();
    let Ok(op) = u.choose(&ops) else { return };
    let Ok(msg) = SpecMessage::generate(&mut u, &rt_link::FAMILY, op, 0) else {
        return;
    };
    let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
    let len = msg
        .write(&mut buf)
        .expect("a spec message fits MAX_SPEC_MESSAGE_LEN");
    assert_eq!(msg.verify(&buf[..len]), Ok(()));
    // Generated from the specification: its own decoders accept it whole.
    assert_eq!(decode(&buf[..len], op), Ok(0));
    let Ok(plan) = Mutation::arbitrary(&mut u) else {
        return;
    };
    if let Some(applied) = plan.apply(&mut buf, len, |_, _| msg.header_len()) {
        let _ = decode(&buf[..applied.len], op);
    }
});
