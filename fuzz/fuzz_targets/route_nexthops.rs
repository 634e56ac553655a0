//! A multipath route's next hops (`RTA_MULTIPATH`) over arbitrary bytes:
//! hops inside the input and in order, at most one error and nothing after
//! it, each hop's attributes walked, `rtvia` on every attribute; never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::netlink::route::{NextHops, RTNH_HDRLEN, rtvia};

fuzz_target!(|data: &[u8]| {
    let mut hops = NextHops::new(data);
    let mut next_at = 0;
    for hop in hops.by_ref() {
        match hop {
            Ok(hop) => {
                let len = usize::from(hop.header().rtnh_len.get());
                assert!(hop.offset() >= next_at && len >= RTNH_HDRLEN);
                assert!(hop.offset() + len <= data.len());
                next_at = hop.offset() + len;
                for attr in hop.attrs().flatten() {
                    assert!(attr.offset() >= hop.offset() + RTNH_HDRLEN);
                    if let Ok((_, addr)) = rtvia(&attr) {
                        assert_eq!(addr.len() + 2, attr.bytes().len());
                    }
                }
            }
            Err(e) => assert!(e.offset() < data.len()),
        }
    }
    assert!(hops.next().is_none());
});
