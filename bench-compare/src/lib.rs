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
//! - [`alloc`]: the counting allocator that proves "zero allocations".
//!
//! The RPC round trip (over the std peer in `src/peer/`) is still to come:
//! add a `roundtrip` module here and `benches/roundtrip.rs` (a second
//! `[[bench]]` in Cargo.toml); `report.py` already reads a `roundtrip`
//! criterion group if one exists.

pub mod alloc;
pub mod corpus;
pub mod ffi;
pub mod jsonrpc;
pub mod netlink;
