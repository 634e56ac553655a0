//! The C contenders (`c/*.c`, compiled at -O3 by build.rs): libmnl and the
//! hand-written floor, behind safe wrappers.

use crate::netlink::WalkResult;

mod sys {
    use crate::netlink::WalkResult;

    unsafe extern "C" {
        pub fn c_walk(buf: *const u8, len: usize, hdr: usize) -> WalkResult;
        pub fn c_walk_nested(buf: *const u8, len: usize, hdr: usize) -> WalkResult;
        pub fn c_build_newlink(buf: *mut u8, cap: usize) -> usize;
        pub fn c_build_newlink_loop(buf: *mut u8, cap: usize, n: usize) -> usize;
        pub fn mnl_walk(buf: *const u8, len: usize, hdr: usize) -> WalkResult;
        pub fn mnl_walk_nested(buf: *const u8, len: usize, hdr: usize) -> WalkResult;
        pub fn mnl_policy_parse(buf: *const u8, len: usize, full: i32) -> WalkResult;
        pub fn mnl_build_newlink(buf: *mut u8) -> usize;
        pub fn mnl_build_newlink_check(buf: *mut u8, cap: usize) -> usize;
    }
}

/// libmnl reads `int` lengths; the corpus is far below that.
fn checked_len(buf: &[u8]) -> usize {
    assert!(
        i32::try_from(buf.len()).is_ok(),
        "buffer too large for libmnl"
    );
    buf.len()
}

/// The hand-written C walk over every message and top-level attribute.
pub fn c_walk(buf: &[u8], hdr: usize) -> WalkResult {
    // SAFETY: the C code reads only `buf[..len]`, checking every length.
    unsafe { sys::c_walk(buf.as_ptr(), buf.len(), hdr) }
}

/// The hand-written C walk with descent into nests.
pub fn c_walk_nested(buf: &[u8], hdr: usize) -> WalkResult {
    // SAFETY: as for `c_walk`.
    unsafe { sys::c_walk_nested(buf.as_ptr(), buf.len(), hdr) }
}

/// The hand-written C builder; 0 if `buf` is too small.
pub fn c_build_newlink(buf: &mut [u8]) -> usize {
    // SAFETY: the C code writes only `buf[..cap]`, checking before each item.
    unsafe { sys::c_build_newlink(buf.as_mut_ptr(), buf.len()) }
}

/// The hand-written C builder run `n` times in a C loop (one FFI call for
/// all of them); the sum of the lengths.
pub fn c_build_newlink_loop(buf: &mut [u8], n: usize) -> usize {
    // SAFETY: as for `c_build_newlink`, `n` times.
    unsafe { sys::c_build_newlink_loop(buf.as_mut_ptr(), buf.len(), n) }
}

/// libmnl: `mnl_nlmsg_ok`/`mnl_nlmsg_next` and `mnl_attr_for_each`.
pub fn mnl_walk(buf: &[u8], hdr: usize) -> WalkResult {
    let len = checked_len(buf);
    // SAFETY: libmnl's `mnl_nlmsg_ok` and `mnl_attr_ok` keep every read
    // inside `buf[..len]`.
    unsafe { sys::mnl_walk(buf.as_ptr(), len, hdr) }
}

/// libmnl with `mnl_attr_for_each_nested` descent.
pub fn mnl_walk_nested(buf: &[u8], hdr: usize) -> WalkResult {
    let len = checked_len(buf);
    // SAFETY: as for `mnl_walk`.
    unsafe { sys::mnl_walk_nested(buf.as_ptr(), len, hdr) }
}

/// libmnl's `mnl_attr_parse` into `tb[64]` with `mnl_attr_validate`, over
/// every `RTM_NEWLINK` of a link dump. `full`: fold every present slot
/// (the check), else only what a consumer reads (the timed path).
pub fn mnl_policy_parse(buf: &[u8], full: bool) -> WalkResult {
    let len = checked_len(buf);
    // SAFETY: as for `mnl_walk`.
    unsafe { sys::mnl_policy_parse(buf.as_ptr(), len, full.into()) }
}

/// The RTM_NEWLINK-like message through libmnl's unchecked `mnl_attr_put*`.
pub fn mnl_build_newlink(buf: &mut [u8; 512]) -> usize {
    // SAFETY: the message is 152 bytes, well inside the 512 the type
    // guarantees (the unchecked API trusts the caller for that).
    unsafe { sys::mnl_build_newlink(buf.as_mut_ptr()) }
}

/// The same through libmnl's `mnl_attr_put*_check` (0 if it does not fit).
pub fn mnl_build_newlink_check(buf: &mut [u8]) -> usize {
    // SAFETY: the checked API writes nothing past `cap`.
    unsafe { sys::mnl_build_newlink_check(buf.as_mut_ptr(), buf.len()) }
}
