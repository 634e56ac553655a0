//! ProcsLink datagrams over arbitrary bytes: parse, and a datagram that
//! parses rebuilds to the identical bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::procslink::Datagram;

fuzz_target!(|data: &[u8]| {
    match Datagram::parse(data) {
        Ok(d) => {
            let _ = (format!("{d}"), d.text());
            let mut out = vec![0u8; data.len()];
            let n = d.repr().emit(d.payload(), &mut out).unwrap();
            assert_eq!(&out[..n], data);
        }
        Err(e) => assert!(e.offset() < data.len().max(1)),
    }
});
