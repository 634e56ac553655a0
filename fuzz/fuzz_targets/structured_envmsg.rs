//! Structure-aware pyroute2 transport: an envelope (data or a control
//! message) described by the fuzzer's bytes is written with the envmsg
//! builders and must parse back to itself; then a netlink malformation
//! drawn from the same bytes (the `envmsghdr` as the family header) must be
//! detected exactly as it predicts.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use procslink::fuzzing::{EnvelopeDesc, Mutation};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(desc) = EnvelopeDesc::arbitrary(&mut u) else {
        return;
    };
    let mut buf = [0u8; 1 << 17];
    let Ok(len) = desc.write(&mut buf) else {
        return;
    };
    if let Err(m) = desc.verify(&buf[..len]) {
        panic!("{desc:?} does not parse back: {m}");
    }
    let Ok(plan) = Mutation::arbitrary(&mut u) else {
        return;
    };
    let header = desc.repr.header.format().header_len();
    let family = |_: usize, _: &procslink::netlink::Message<'_>| header;
    let applied = plan
        .apply(&mut buf, len, family)
        .expect("a written envelope can be broken");
    let expected = applied.malformation.expected();
    let result = expected.detector().run(&buf[..applied.len], family);
    assert!(
        expected.matches(result),
        "{}: expected {expected:?}, got {result:?}",
        applied.malformation
    );
});
