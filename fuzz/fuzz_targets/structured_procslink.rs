//! Structure-aware ProcsLink: a datagram described by the fuzzer's bytes
//! (headers, a JSON-RPC request or response with JSON params, results or
//! error data) is written with the encoder and `DatagramRepr::emit` and
//! must parse back to itself; then a malformation drawn from the same
//! bytes must be detected exactly as it predicts.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use procslink::fuzzing::{DatagramDesc, DatagramMutation};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(desc) = DatagramDesc::arbitrary(&mut u) else {
        return;
    };
    let mut buf = [0u8; 16384];
    let Ok(len) = desc.write(&mut buf) else {
        return;
    };
    if let Err(m) = desc.verify(&buf[..len]) {
        panic!("{desc:?} does not parse back: {m}");
    }
    let Ok(plan) = DatagramMutation::arbitrary(&mut u) else {
        return;
    };
    let applied = plan
        .apply(&mut buf, len)
        .expect("a written datagram can be broken");
    let expected = applied.malformation.expected();
    let result = expected.detector().run(&buf[..applied.len], |_, _| 0);
    assert!(
        expected.matches(result),
        "{}: expected {expected:?}, got {result:?}",
        applied.malformation
    );
});
