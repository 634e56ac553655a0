//! Every procslink codec path the benchmarks time makes zero heap
//! allocations (counted by a global allocator; not a timing test).

use procslink_bench::alloc::{Counting, allocations, installed};
use procslink_bench::corpus::{self, DUMPS};
use procslink_bench::jsonrpc as rpc;
use procslink_bench::netlink as nl;

#[global_allocator]
static ALLOC: Counting = Counting;

/// Allocations of `f`'s second call (the first may warm lazy state).
fn allocs<R>(mut f: impl FnMut() -> R) -> u64 {
    std::hint::black_box(f());
    allocations(|| std::hint::black_box(f())).1
}

#[test]
fn procslink_paths_allocate_nothing() {
    assert!(installed(), "the counting allocator is installed");
    for d in &DUMPS {
        let bytes = corpus::load(d);
        let w = nl::procslink_walk(&bytes, d.family_header);
        assert_eq!((w.messages, w.attrs), (d.messages, d.attrs), "{}", d.name);
        assert_eq!(
            allocs(|| nl::procslink_walk(&bytes, d.family_header)),
            0,
            "walk {}",
            d.name
        );
        assert_eq!(
            allocs(|| nl::procslink_walk_nested(&bytes, d.family_header)),
            0,
            "nested walk {}",
            d.name
        );
    }
    let link = corpus::load(&DUMPS[0]);
    assert_eq!(
        allocs(|| nl::procslink_policy(&link, false)),
        0,
        "policy table"
    );
    assert_eq!(
        allocs(|| nl::procslink_policy(&link, true)),
        0,
        "policy table (full)"
    );

    let mut buf = [0u8; 512];
    assert_eq!(
        allocs(|| nl::procslink_build_newlink(&mut buf).is_ok()),
        0,
        "build"
    );

    let requests = rpc::texts(&rpc::REQUESTS);
    let responses = rpc::texts(&rpc::RESPONSES);
    let mut out = [0u8; 256];
    for text in &requests {
        assert_eq!(
            allocs(|| rpc::ours_request(text).is_some()),
            0,
            "decode request"
        );
        let r = rpc::ours_request(text).expect("a request");
        assert_eq!(
            allocs(|| rpc::ours_encode_request(&r, &mut out)),
            0,
            "encode request"
        );
    }
    for text in &responses {
        assert_eq!(
            allocs(|| rpc::ours_response(text).is_some()),
            0,
            "decode response"
        );
        let r = rpc::ours_response(text).expect("a response");
        assert_eq!(
            allocs(|| rpc::ours_encode_response(&r, &mut out)),
            0,
            "encode response"
        );
    }
}

#[test]
fn netlink_packet_route_allocates() {
    // The owned parse allocates per message: the counter sees it, so the
    // zeros above are real.
    let link = corpus::load(&DUMPS[0]);
    assert!(allocs(|| nl::npr_parse(&link)) > 0);
}
