//! An attribute run over arbitrary bytes: the walk with nesting, the policy
//! validation and the index table must agree and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::netlink::{AttrIndex, AttrKind, AttrPolicy, AttrTable, Attrs, Policy};

static INNER: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::new(AttrKind::String).max_len(16),
    AttrPolicy::new(AttrKind::Nested).nested(&INNER),
    AttrPolicy::new(AttrKind::NulString).max_len(8).utf8(),
    AttrPolicy::new(AttrKind::String).min_len(2).utf8(),
]);
static OUTER: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8),
    AttrPolicy::new(AttrKind::Nested).nested(&INNER),
    AttrPolicy::new(AttrKind::Flag),
    AttrPolicy::new(AttrKind::Binary).min_len(2).max_len(6),
    AttrPolicy::new(AttrKind::Nested),
    AttrPolicy::new(AttrKind::U64).required(),
]);
static STRICT: Policy = OUTER.reject_unknown();

fn walk(run: Attrs<'_>, len: usize, depth: usize) -> bool {
    let mut ok = true;
    for attr in run {
        match attr {
            Ok(a) => {
                if depth < 40 {
                    walk(a.nested(), len, depth + 1);
                }
            }
            Err(e) => {
                assert!(e.offset() < len);
                ok = false;
            }
        }
    }
    ok
}

fuzz_target!(|data: &[u8]| {
    let len = data.len();
    let framing_ok = walk(Attrs::new(data), len, 0);
    let table = AttrTable::<8>::parse(Attrs::new(data), &OUTER);
    let valid = OUTER.validate(Attrs::new(data));
    assert_eq!(table.is_ok(), valid.is_ok());
    if let Err(e) = valid {
        assert!(e.offset() <= len);
    }
    if let Ok(tb) = table {
        assert!(framing_ok);
        for a in tb.iter() {
            assert!(a.kind() < 8);
        }
        if let Some(a) = tb.get(1) {
            a.u8().unwrap();
        }
        if let Some(a) = tb.get(6) {
            a.u64().unwrap();
        }
    }
    if let Ok(tb) = AttrTable::<8>::parse(Attrs::new(data), &STRICT) {
        assert!(tb.iter().all(|a| a.kind() <= 6));
    }
    if let Ok(tb) = AttrTable::<4>::index(Attrs::new(data)) {
        assert!(framing_ok);
        let _ = tb.get(3);
        if let Some(a) = tb.unstored() {
            assert!(a.kind() >= 4);
        }
    }
    // Slots from the caller agree with the fixed table of the same size,
    // and a slot for every type leaves nothing unstored.
    let mut slots = [None; 8];
    let index = AttrIndex::parse(&mut slots, Attrs::new(data), &OUTER);
    assert_eq!(index.is_ok(), valid.is_ok());
    if let (Ok(index), Ok(tb)) = (&index, AttrTable::<8>::parse(Attrs::new(data), &OUTER)) {
        assert!(index.iter().eq(tb.iter()));
        assert_eq!(index.unstored(), tb.unstored());
    }
    let mut every = vec![None; 0x4000];
    if let Ok(index) = AttrIndex::index(&mut every, Attrs::new(data)) {
        assert!(index.unstored().is_none());
        for a in index.iter() {
            assert_eq!(index.get(a.kind()), Some(a));
        }
        // Strings under both kernel kinds: what passes reads back.
        for a in index.iter() {
            let name = a.bytes_str();
            if a.cstr().is_ok() {
                assert_eq!(a.cstr().unwrap().to_bytes(), name);
            }
        }
    }
});
