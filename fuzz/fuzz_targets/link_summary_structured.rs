//! The example consumer (`examples/link_summary.rs`) on structure-aware
//! input: a netlink batch described by the fuzzer's bytes
//! (`procslink::fuzzing::NetlinkDesc`), written with the crate's builder,
//! then the same buffer broken by a `procslink::fuzzing::Mutation`.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use procslink::fuzzing::{Mutation, NetlinkDesc};

#[path = "../../examples/link_summary.rs"]
#[allow(dead_code)]
mod link_summary;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(desc) = NetlinkDesc::arbitrary(&mut u) else {
        return;
    };
    let mut buf = [0u8; 16384];
    let Ok(len) = desc.write(&mut buf) else {
        return;
    };
    let _ = link_summary::summarise(&buf[..len]);
    let Ok(plan) = Mutation::arbitrary(&mut u) else {
        return;
    };
    if let Some(applied) = plan.apply(&mut buf, len, |i, _| desc.family_len(i)) {
        let _ = link_summary::summarise(&buf[..applied.len]);
    }
});
