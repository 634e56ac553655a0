//! The captured traffic in the repository's `tests/data` and the counts its
//! MANIFEST.md gives.

use std::path::PathBuf;

/// One kernel dump and what MANIFEST.md says about it.
#[derive(Copy, Clone, Debug)]
pub struct Dump {
    /// The file name in the corpus directory.
    pub name: &'static str,
    /// The family header's size: ifinfomsg 16, ifaddrmsg 8, rtmsg 12, ndmsg
    /// 12, genlmsghdr 4.
    pub family_header: usize,
    /// The file's size.
    pub bytes: usize,
    /// Messages, `NLMSG_DONE` included.
    pub messages: u64,
    /// Top-level attributes (after the family header).
    pub attrs: u64,
    /// Is it rtnetlink (so `netlink-packet-route` can parse it)?
    pub route: bool,
}

/// The five dumps of MANIFEST.md.
pub const DUMPS: [Dump; 5] = [
    Dump {
        name: "rtnl-link-dump.bin",
        family_header: 16,
        bytes: 140604,
        messages: 86,
        attrs: 3395,
        route: true,
    },
    Dump {
        name: "rtnl-addr-dump.bin",
        family_header: 8,
        bytes: 9192,
        messages: 121,
        attrs: 481,
        route: true,
    },
    Dump {
        name: "rtnl-route-dump.bin",
        family_header: 12,
        bytes: 32888,
        messages: 392,
        attrs: 1900,
        route: true,
    },
    Dump {
        name: "rtnl-neigh-dump.bin",
        family_header: 12,
        bytes: 6136,
        messages: 72,
        attrs: 284,
        route: true,
    },
    Dump {
        name: "genl-ctrl-family-dump.bin",
        family_header: 4,
        bytes: 2512,
        messages: 9,
        attrs: 53,
        route: false,
    },
];

/// The corpus directory: the repository's `tests/data` (where the in-crate
/// tests and benches look too).
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// Reads a corpus file (panics with the path if it cannot).
pub fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a dump and checks its size against MANIFEST.md.
pub fn load(dump: &Dump) -> Vec<u8> {
    let bytes = read(dump.name);
    assert_eq!(bytes.len(), dump.bytes, "{}: size", dump.name);
    bytes
}
