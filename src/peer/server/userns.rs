//! The user namespace a server runs in: whether senders can show up as
//! the overflow uid.

use std::prelude::rust_2024::*;

/// The uid the kernel reports for senders whose uid has no mapping in this
/// process's user namespace, if it runs in one other than the initial
/// namespace (where every uid is mapped); `None` in the initial one. When
/// `/proc` cannot tell, the process is taken to be in a user namespace.
pub(super) fn overflow_uid() -> Option<u32> {
    let map = std::fs::read_to_string("/proc/self/uid_map").ok();
    if map.as_deref().is_some_and(is_initial_map) {
        return None;
    }
    let overflow = std::fs::read_to_string("/proc/sys/kernel/overflowuid").ok();
    Some(parse_overflow(overflow.as_deref()))
}

/// Whether `uid_map` is the initial user namespace's: every uid mapped to
/// itself (`0 0 4294967295`).
fn is_initial_map(uid_map: &str) -> bool {
    let mut lines = uid_map.lines().filter(|l| !l.trim().is_empty());
    let first = lines
        .next()
        .map(|l| l.split_whitespace().collect::<Vec<_>>());
    lines.next().is_none() && first.as_deref() == Some(&["0", "0", "4294967295"][..])
}

/// `/proc/sys/kernel/overflowuid`'s value (65534 when it cannot be read).
fn parse_overflow(text: Option<&str>) -> u32 {
    const DEFAULT: u32 = 65534;
    text.and_then(|t| t.trim().parse().ok()).unwrap_or(DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::{is_initial_map, parse_overflow};

    #[test]
    fn the_initial_namespace_is_told_from_others() {
        assert!(is_initial_map("         0          0 4294967295\n"));
        assert!(!is_initial_map("         0       1000          1\n"));
        assert!(!is_initial_map("0 0 1000\n1000 1000 1\n"));
        assert!(!is_initial_map(""));
        assert_eq!(parse_overflow(Some("65534\n")), 65534);
        assert_eq!(parse_overflow(Some("4242\n")), 4242);
        assert_eq!(parse_overflow(None), 65534);
        // This process runs in the initial user namespace in the tests'
        // usual environment; in any case the call reads /proc without
        // failing.
        let _ = super::overflow_uid();
    }
}
