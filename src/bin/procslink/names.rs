//! Names the kernel's netlink specifications do not give: address
//! families, route scopes, tables and protocols (`rtmsg`'s `rtm-scope`,
//! `rtm-table`, `rtm-protocol` are plain integers in rt-route's
//! specification, and no specification lists the address families). These
//! tables are the only hand-written names the command keeps; every
//! attribute, enum and flag name comes from `procslink::families`.

use crate::spec::Int;

/// An address family's short name (`linux/socket.h`'s `AF_*`).
pub fn family(family: u8) -> Option<&'static str> {
    Some(match family {
        0 => "unspec",
        1 => "unix",
        2 => "inet",
        7 => "bridge",
        10 => "inet6",
        16 => "netlink",
        17 => "packet",
        28 => "mpls",
        _ => return None,
    })
}

/// An `RT_SCOPE_*` name.
pub fn scope(scope: u8) -> Option<&'static str> {
    Some(match scope {
        0 => "universe",
        200 => "site",
        253 => "link",
        254 => "host",
        255 => "nowhere",
        _ => return None,
    })
}

/// An `RTPROT_*` name.
pub fn route_protocol(proto: u8) -> Option<&'static str> {
    Some(match proto {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        16 => "dhcp",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        _ => return None,
    })
}

/// An `RT_TABLE_*` name.
pub fn route_table(table: u32) -> Option<&'static str> {
    Some(match table {
        0 => "unspec",
        252 => "compat",
        253 => "default",
        254 => "main",
        255 => "local",
        _ => return None,
    })
}

/// The name of an rtnetlink fixed-header member's value where the
/// specification leaves the member a plain integer: the address family,
/// `rtm-scope`/`ifa-scope`, `rtm-table` (and `fib-rule-hdr`'s `table`),
/// `rtm-protocol`.
pub fn member(structure: &str, member: &str, value: Int) -> Option<&'static str> {
    let small = u8::try_from(value.bits()).ok();
    match (structure, member) {
        ("ifinfomsg", "ifi-family")
        | ("ifaddrmsg", "ifa-family")
        | ("rtmsg", "rtm-family")
        | ("ndmsg", "ndm-family")
        | ("ndtmsg" | "rtgenmsg" | "fib-rule-hdr", "family") => family(small?),
        ("rtmsg", "rtm-scope") | ("ifaddrmsg", "ifa-scope") => scope(small?),
        ("rtmsg", "rtm-table") | ("fib-rule-hdr", "table") => route_table(value.bits() as u32),
        ("rtmsg", "rtm-protocol") => route_protocol(small?),
        _ => None,
    }
}
