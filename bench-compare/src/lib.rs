//! Side-by-side benchmarks of `procslink` (see `BENCHMARKS.md` at the
//! repository root).
//!
//! The contenders live here so that the bench (`benches/compare.rs`) and
//! the allocation test (`tests/alloc.rs`) run exactly the same code:
//!
//! - [`netlink`]: the walks, the policy table and the builder, for
//!   procslink, libmnl, hand-written C, `netlink-packet-core` and
//!   `netlink-packet-route`;
//! - [`jsonrpc`]: decoding and encoding the ProcsLink corpus against
//!   `serde_json` with borrowed types;
//! - [`alloc`]: the counting allocator that proves "zero allocations";
//! - [`kernel_dump`]: dumping the kernel's route and link tables in a
//!   namespace the bench fills (`benches/kernel_dump.rs`);
//! - [`roundtrip`]: the RPC round trip between two processes (the raw
//!   netlink ping-pong, the std peer over netlink and Unix datagrams, the
//!   Python reference), used by `benches/roundtrip.rs` and the `rt_server`
//!   binary;
//! - [`throughput`]: the same round trip from 1 to 64 threads, against the
//!   raw C ping-pong with as many threads (`benches/throughput.rs`);
//! - [`typed`]: a typed summary of the link dump through the generated
//!   `rt_link` view and through `netlink-packet-route`
//!   (`benches/typed_summary.rs`).

pub mod alloc;
pub mod corpus;
pub mod ffi;
pub mod jsonrpc;
pub mod kernel_dump;
pub mod netlink;
pub mod references;
pub mod roundtrip;
pub mod throughput;
pub mod typed;

/// The machine's load average over 1, 5 and 15 minutes, as `/proc/loadavg`
/// gives it ("0.52 0.61 0.70"; empty where there is none): recorded beside
/// each run, since the other processes on the machine move the timings.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
