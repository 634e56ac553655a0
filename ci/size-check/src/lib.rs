//! A `no_std` consumer of procslink, built as a shared library so that the
//! linker keeps only the code its exported function reaches: its `.text`
//! is what one use of the crate costs a user (`measure.sh`).
#![no_std]
#![deny(unsafe_code)]

use core::panic::PanicInfo;

/// Walks every message and top-level attribute of the link dump in the
/// first `len` bytes of `buf` and returns the number of attributes, or -1
/// at the first malformed one: the plain walk, no family needed.
#[cfg(feature = "walk")]
#[allow(unsafe_code)] // `no_mangle` is an unsafe attribute; no unsafe code runs.
#[unsafe(no_mangle)]
pub extern "C" fn procslink_size_walk(buf: &[u8; 65536], len: usize) -> i64 {
    use procslink::netlink::Messages;
    let Some(dump) = buf.get(..len) else {
        return -1;
    };
    let mut attrs = 0i64;
    for message in Messages::new(dump) {
        let Ok(message) = message else { return -1 };
        let Ok((_, run)) = message.split_family_header(16) else {
            return -1;
        };
        for attr in run {
            if attr.is_err() {
                return -1;
            }
            attrs += 1;
        }
    }
    attrs
}

/// Sums the MTUs and the received bytes of every link of the dump in the
/// first `len` bytes of `buf`, through the generated rt-link view (name,
/// MTU, address, state, master, kind and 64-bit counters read as a
/// monitoring tool reads them); -1 at the first malformed message.
#[cfg(feature = "typed")]
#[allow(unsafe_code)] // `no_mangle` is an unsafe attribute; no unsafe code runs.
#[unsafe(no_mangle)]
pub extern "C" fn procslink_size_typed(buf: &[u8; 65536], len: usize) -> i64 {
    use procslink::families::rt_link::{self, Ifinfomsg, LinkAttrs};
    use procslink::families::view::SetView;
    use procslink::netlink::Messages;
    let Some(dump) = buf.get(..len) else {
        return -1;
    };
    let mut sum = 0i64;
    for message in Messages::new(dump) {
        let Ok(message) = message else { return -1 };
        if message.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let Ok((_, run)) = message.family_header::<Ifinfomsg>() else {
            return -1;
        };
        let Ok(link) = LinkAttrs::from_attrs(run) else {
            return -1;
        };
        let kind = match link.linkinfo() {
            Ok(Some(info)) => info.kind().map_or(0, <[u8]>::len),
            Ok(None) => 0,
            Err(_) => return -1,
        };
        let name = link.ifname().map_or(0, <[u8]>::len);
        let address = link.address().map_or(0, <[u8]>::len);
        let state = link.operstate().unwrap_or_default();
        let master = link.master().unwrap_or_default();
        let rx = link.stats64().map_or(0, |s| s.rx_bytes.get());
        sum = sum
            .wrapping_add(i64::from(link.mtu().unwrap_or_default()))
            .wrapping_add((name + address + kind) as i64)
            .wrapping_add(i64::from(state) + i64::from(master))
            .wrapping_add(rx as i64);
    }
    sum
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}
