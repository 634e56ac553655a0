//! rtnetlink (`NETLINK_ROUTE`) numbers the kernel's specifications do not
//! hold.
//!
//! The message types, family headers, attributes and flags of links,
//! addresses, routes, neighbours and rules are generated from the kernel's
//! specifications into [`families`](crate::families) (`rt_link`, `rt_addr`,
//! `rt_route`, `rt_neigh`, `rt_rule`; features `family-rt-*`): `RTM_NEWLINK`,
//! `Ifinfomsg`, `IFLA_IFNAME`, `IFF_UP` and the rest are there. What stays
//! here are the address families of `linux/socket.h` and the routing tables
//! of `linux/rtnetlink.h`, which the headers' fields carry and no
//! specification numbers.

/// `AF_UNSPEC`: any address family (links, and dumps of every family).
pub const AF_UNSPEC: u8 = 0;
/// `AF_INET`: IPv4.
pub const AF_INET: u8 = 2;
/// `AF_INET6`: IPv6.
pub const AF_INET6: u8 = 10;

/// `RT_TABLE_MAIN`: the main routing table.
pub const RT_TABLE_MAIN: u8 = 254;
/// `RT_TABLE_LOCAL`: the local routing table (local and broadcast
/// addresses).
pub const RT_TABLE_LOCAL: u8 = 255;
