//! Where a specification contradicts the kernel it describes, the kernel
//! wins: each erratum names the attribute, what the kernel does instead,
//! and the kernel code that shows it. The generator applies them after
//! reading a specification and warns when one no longer matches (the
//! specification was fixed, or the attribute renamed), so an erratum
//! cannot outlive its reason silently.
//!
//! Each was found by decoding live kernel traffic beside pyroute2
//! (`tests/families_pyroute2.rs`) or by reading the kernel's code for
//! attributes that test cannot make here.

/// What an erratum corrects.
#[derive(Copy, Clone, Debug)]
pub enum Fix {
    /// The kernel writes and reads the integer in network byte order
    /// (`nla_put_be16`/`nla_get_be64`, …) where the specification says
    /// host order.
    BigEndian,
}

/// One correction to one attribute of one set (and of the sets that are
/// subsets of it).
#[derive(Copy, Clone, Debug)]
pub struct Erratum {
    pub family: &'static str,
    pub set: &'static str,
    pub attr: &'static str,
    pub fix: Fix,
}

pub const ERRATA: &[Erratum] = &[
    // drivers/net/vxlan/vxlan_core.c: nla_put_be16(skb, NDA_PORT,
    // rdst->remote_port); read with nla_get_be16 (live: a vxlan fdb entry's
    // port 4790 read as 46610 in host order)
    Erratum {
        family: "rt-neigh",
        set: "neighbour-attrs",
        attr: "port",
        fix: Fix::BigEndian,
    },
    // net/core/fib_rules.c: nla_put_be64(skb, FRA_TUN_ID, rule->tun_id,
    // FRA_PAD), nla_get_be64(tb[FRA_TUN_ID]) (live: tun_id 0x1234 read as
    // 0x3412000000000000)
    Erratum {
        family: "rt-rule",
        set: "fib-rule-attrs",
        attr: "tun-id",
        fix: Fix::BigEndian,
    },
    // net/bridge/br_netlink.c: nla_put_be16(skb, IFLA_BR_VLAN_PROTOCOL,
    // br->vlan_proto), nla_get_be16(data[IFLA_BR_VLAN_PROTOCOL]) (as
    // IFLA_VLAN_PROTOCOL, which the spec has big-endian)
    Erratum {
        family: "rt-link",
        set: "linkinfo-bridge-attrs",
        attr: "vlan-protocol",
        fix: Fix::BigEndian,
    },
];
