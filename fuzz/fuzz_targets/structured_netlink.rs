//! Structure-aware netlink: a description drawn from the fuzzer's bytes is
//! written with the builder and must parse back to itself; then a
//! malformation drawn from the same bytes must be detected exactly as it
//! predicts (or accepted, where benign by design). Never a panic.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use procslink::fuzzing::{Mutation, NetlinkDesc};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(desc) = NetlinkDesc::arbitrary(&mut u) else {
        return;
    };
    let mut buf = [0u8; 16384];
    let Ok(len) = desc.write(&mut buf) else {
        return;
    };
    if let Err(m) = desc.verify(&buf[..len]) {
        panic!("{desc:?} does not parse back: {m}");
    }
    let Ok(plan) = Mutation::arbitrary(&mut u) else {
        return;
    };
    let family = |i: usize, _: &procslink::netlink::Message<'_>| desc.family_len(i);
    let applied = plan
        .apply(&mut buf, len, family)
        .expect("a written batch can be broken");
    let expected = applied.malformation.expected();
    let result = expected.detector().run(&buf[..applied.len], family);
    assert!(
        expected.matches(result),
        "{}: expected {expected:?}, got {result:?}",
        applied.malformation
    );
});
