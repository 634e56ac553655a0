//! The example consumer (`examples/link_summary.rs`) on the fuzzer's raw
//! bytes: the baseline the structure-aware target is measured against.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../examples/link_summary.rs"]
#[allow(dead_code)]
mod link_summary;

fuzz_target!(|data: &[u8]| {
    let _ = link_summary::summarise(data);
});
