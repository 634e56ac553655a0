//! Attribute names and value shapes for the families the printer knows.
//!
//! Whether an attribute nests is a property of the family's schema, not of
//! the bytes (the kernel sets `NLA_F_NESTED` only in newer code), so the
//! tables below say which attributes to descend into.

/// How to show an attribute's payload.
#[derive(Copy, Clone, Debug)]
pub enum Shape {
    /// A NUL-terminated string.
    Str,
    /// Host-order integers.
    U8,
    U16,
    U32,
    I32,
    /// Big-endian integers (ports, VNIs, flow labels).
    Be16,
    Be32,
    /// A link-layer address: colon-separated hex.
    Mac,
    /// An IP address of the message's family.
    Ip,
    /// Opaque bytes: hex when short, the size when long.
    Hex,
    /// A run of attributes described by a schema.
    Nest(&'static Schema),
    /// A nest of numbered entries, each a nest described by the schema
    /// (generic netlink's arrays).
    Array(&'static Schema),
    /// Attributes whose meaning depends on something else (a link kind, an
    /// address family): descended into when the payload is a clean run of
    /// attributes, else shown as bytes.
    Guess,
}

/// A family's attribute table.
#[derive(Debug)]
pub struct Schema {
    /// Prepended to every name (`IFLA_`).
    pub prefix: &'static str,
    /// `(type, name, shape)`.
    pub attrs: &'static [(u16, &'static str, Shape)],
}

impl Schema {
    /// The name and shape of attribute type `kind`.
    pub fn lookup(&self, kind: u16) -> Option<(&'static str, Shape)> {
        self.attrs
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|&(_, name, shape)| (name, shape))
    }
}

use Shape::*;

/// No names known: every attribute is shown by its type number.
pub static UNKNOWN: Schema = Schema {
    prefix: "",
    attrs: &[],
};

/// `IFLA_*` (`linux/if_link.h`), after `ifinfomsg`.
pub static LINK: Schema = Schema {
    prefix: "IFLA_",
    attrs: &[
        (1, "ADDRESS", Mac),
        (2, "BROADCAST", Mac),
        (3, "IFNAME", Str),
        (4, "MTU", U32),
        (5, "LINK", U32),
        (6, "QDISC", Str),
        (7, "STATS", Hex),
        (8, "COST", Hex),
        (9, "PRIORITY", Hex),
        (10, "MASTER", U32),
        (11, "WIRELESS", Hex),
        (12, "PROTINFO", Guess),
        (13, "TXQLEN", U32),
        (14, "MAP", Hex),
        (15, "WEIGHT", U32),
        (16, "OPERSTATE", U8),
        (17, "LINKMODE", U8),
        (18, "LINKINFO", Nest(&LINKINFO)),
        (19, "NET_NS_PID", U32),
        (20, "IFALIAS", Str),
        (21, "NUM_VF", U32),
        (22, "VFINFO_LIST", Guess),
        (23, "STATS64", Hex),
        (24, "VF_PORTS", Guess),
        (25, "PORT_SELF", Guess),
        (26, "AF_SPEC", Nest(&AF_SPEC)),
        (27, "GROUP", U32),
        (28, "NET_NS_FD", U32),
        (29, "EXT_MASK", U32),
        (30, "PROMISCUITY", U32),
        (31, "NUM_TX_QUEUES", U32),
        (32, "NUM_RX_QUEUES", U32),
        (33, "CARRIER", U8),
        (34, "PHYS_PORT_ID", Hex),
        (35, "CARRIER_CHANGES", U32),
        (36, "PHYS_SWITCH_ID", Hex),
        (37, "LINK_NETNSID", I32),
        (38, "PHYS_PORT_NAME", Str),
        (39, "PROTO_DOWN", U8),
        (40, "GSO_MAX_SEGS", U32),
        (41, "GSO_MAX_SIZE", U32),
        (42, "PAD", Hex),
        (43, "XDP", Guess),
        (44, "EVENT", U32),
        (45, "NEW_NETNSID", I32),
        (46, "IF_NETNSID", I32),
        (47, "CARRIER_UP_COUNT", U32),
        (48, "CARRIER_DOWN_COUNT", U32),
        (49, "NEW_IFINDEX", I32),
        (50, "MIN_MTU", U32),
        (51, "MAX_MTU", U32),
        (52, "PROP_LIST", Nest(&PROP_LIST)),
        (53, "ALT_IFNAME", Str),
        (54, "PERM_ADDRESS", Mac),
        (55, "PROTO_DOWN_REASON", Guess),
        (56, "PARENT_DEV_NAME", Str),
        (57, "PARENT_DEV_BUS_NAME", Str),
        (58, "GRO_MAX_SIZE", U32),
        (59, "TSO_MAX_SIZE", U32),
        (60, "TSO_MAX_SEGS", U32),
        (61, "ALLMULTI", U32),
        (62, "DEVLINK_PORT", Guess),
        (63, "GSO_IPV4_MAX_SIZE", U32),
        (64, "GRO_IPV4_MAX_SIZE", U32),
        (65, "DPLL_PIN", Guess),
        (66, "MAX_PACING_OFFLOAD_HORIZON", U32),
        (67, "NETNS_IMMUTABLE", U8),
    ],
};

/// `IFLA_INFO_*`, inside `IFLA_LINKINFO`.
pub static LINKINFO: Schema = Schema {
    prefix: "IFLA_INFO_",
    attrs: &[
        (1, "KIND", Str),
        (2, "DATA", Guess),
        (3, "XSTATS", Hex),
        (4, "SLAVE_KIND", Str),
        (5, "SLAVE_DATA", Guess),
    ],
};

/// `IFLA_ALT_IFNAME` entries of `IFLA_PROP_LIST`.
pub static PROP_LIST: Schema = Schema {
    prefix: "IFLA_",
    attrs: &[(53, "ALT_IFNAME", Str)],
};

/// `IFLA_AF_SPEC`: one nest per address family.
pub static AF_SPEC: Schema = Schema {
    prefix: "",
    attrs: &[
        (2, "AF_INET", Nest(&AF_INET)),
        (7, "AF_BRIDGE", Guess),
        (10, "AF_INET6", Nest(&AF_INET6)),
        (28, "AF_MPLS", Guess),
    ],
};

/// `IFLA_INET_*`.
pub static AF_INET: Schema = Schema {
    prefix: "IFLA_INET_",
    attrs: &[(1, "CONF", Hex)],
};

/// `IFLA_INET6_*`.
pub static AF_INET6: Schema = Schema {
    prefix: "IFLA_INET6_",
    attrs: &[
        (1, "FLAGS", U32),
        (2, "CONF", Hex),
        (3, "STATS", Hex),
        (4, "MCAST", Hex),
        (5, "CACHEINFO", Hex),
        (6, "ICMP6STATS", Hex),
        (7, "TOKEN", Ip),
        (8, "ADDR_GEN_MODE", U8),
        (9, "RA_MTU", U32),
    ],
};

/// `IFA_*` (`linux/if_addr.h`), after `ifaddrmsg`.
pub static ADDR: Schema = Schema {
    prefix: "IFA_",
    attrs: &[
        (1, "ADDRESS", Ip),
        (2, "LOCAL", Ip),
        (3, "LABEL", Str),
        (4, "BROADCAST", Ip),
        (5, "ANYCAST", Ip),
        (6, "CACHEINFO", Hex),
        (7, "MULTICAST", Ip),
        (8, "FLAGS", U32),
        (9, "RT_PRIORITY", U32),
        (10, "TARGET_NETNSID", I32),
        (11, "PROTO", U8),
    ],
};

/// `RTA_*` (`linux/rtnetlink.h`), after `rtmsg`.
pub static ROUTE: Schema = Schema {
    prefix: "RTA_",
    attrs: &[
        (1, "DST", Ip),
        (2, "SRC", Ip),
        (3, "IIF", U32),
        (4, "OIF", U32),
        (5, "GATEWAY", Ip),
        (6, "PRIORITY", U32),
        (7, "PREFSRC", Ip),
        (8, "METRICS", Nest(&METRICS)),
        (9, "MULTIPATH", Hex),
        (10, "PROTOINFO", Hex),
        (11, "FLOW", U32),
        (12, "CACHEINFO", Hex),
        (13, "SESSION", Hex),
        (14, "MP_ALGO", U32),
        (15, "TABLE", U32),
        (16, "MARK", U32),
        (17, "MFC_STATS", Hex),
        (18, "VIA", Hex),
        (19, "NEWDST", Hex),
        (20, "PREF", U8),
        (21, "ENCAP_TYPE", U16),
        (22, "ENCAP", Guess),
        (23, "EXPIRES", U32),
        (24, "PAD", Hex),
        (25, "UID", U32),
        (26, "TTL_PROPAGATE", U8),
        (27, "IP_PROTO", U8),
        (28, "SPORT", Be16),
        (29, "DPORT", Be16),
        (30, "NH_ID", U32),
        (31, "FLOWLABEL", Be32),
    ],
};

/// `RTAX_*`, inside `RTA_METRICS`.
pub static METRICS: Schema = Schema {
    prefix: "RTAX_",
    attrs: &[
        (1, "LOCK", U32),
        (2, "MTU", U32),
        (3, "WINDOW", U32),
        (4, "RTT", U32),
        (5, "RTTVAR", U32),
        (6, "SSTHRESH", U32),
        (7, "CWND", U32),
        (8, "ADVMSS", U32),
        (9, "REORDERING", U32),
        (10, "HOPLIMIT", U32),
        (11, "INITCWND", U32),
        (12, "FEATURES", U32),
        (13, "RTO_MIN", U32),
        (14, "INITRWND", U32),
        (15, "QUICKACK", U32),
        (16, "CC_ALGO", Str),
        (17, "FASTOPEN_NO_COOKIE", U32),
    ],
};

/// `NDA_*` (`linux/neighbour.h`), after `ndmsg`.
pub static NEIGH: Schema = Schema {
    prefix: "NDA_",
    attrs: &[
        (1, "DST", Ip),
        (2, "LLADDR", Mac),
        (3, "CACHEINFO", Hex),
        (4, "PROBES", U32),
        (5, "VLAN", U16),
        (6, "PORT", Be16),
        (7, "VNI", U32),
        (8, "IFINDEX", U32),
        (9, "MASTER", U32),
        (10, "LINK_NETNSID", I32),
        (11, "SRC_VNI", U32),
        (12, "PROTOCOL", U8),
        (13, "NH_ID", U32),
        (14, "FDB_EXT_ATTRS", Guess),
        (15, "FLAGS_EXT", U32),
        (16, "NDM_STATE_MASK", U16),
        (17, "NDM_FLAGS_MASK", U8),
    ],
};

/// `CTRL_ATTR_*` (`linux/genetlink.h`), after `genlmsghdr` in messages of
/// the generic netlink controller.
pub static CTRL: Schema = Schema {
    prefix: "CTRL_ATTR_",
    attrs: &[
        (1, "FAMILY_ID", U16),
        (2, "FAMILY_NAME", Str),
        (3, "VERSION", U32),
        (4, "HDRSIZE", U32),
        (5, "MAXATTR", U32),
        (6, "OPS", Array(&CTRL_OP)),
        (7, "MCAST_GROUPS", Array(&CTRL_MCAST_GRP)),
        (8, "POLICY", Guess),
        (9, "OP_POLICY", Guess),
        (10, "OP", U32),
    ],
};

/// `CTRL_ATTR_OP_*`, inside each entry of `CTRL_ATTR_OPS`.
pub static CTRL_OP: Schema = Schema {
    prefix: "CTRL_ATTR_OP_",
    attrs: &[(1, "ID", U32), (2, "FLAGS", U32)],
};

/// `CTRL_ATTR_MCAST_GRP_*`, inside each entry of `CTRL_ATTR_MCAST_GROUPS`.
pub static CTRL_MCAST_GRP: Schema = Schema {
    prefix: "CTRL_ATTR_MCAST_GRP_",
    attrs: &[(1, "NAME", Str), (2, "ID", U32)],
};

/// `FRA_*` (`linux/fib_rules.h`), after `fib_rule_hdr`.
pub static RULE: Schema = Schema {
    prefix: "FRA_",
    attrs: &[
        (1, "DST", Ip),
        (2, "SRC", Ip),
        (3, "IIFNAME", Str),
        (4, "GOTO", U32),
        (6, "PRIORITY", U32),
        (10, "FWMARK", U32),
        (11, "FLOW", U32),
        (12, "TUN_ID", Hex),
        (13, "SUPPRESS_IFGROUP", U32),
        (14, "SUPPRESS_PREFIXLEN", U32),
        (15, "TABLE", U32),
        (16, "FWMASK", U32),
        (17, "OIFNAME", Str),
        (18, "PAD", Hex),
        (19, "L3MDEV", U8),
        (20, "UID_RANGE", Hex),
        (21, "PROTOCOL", U8),
        (22, "IP_PROTO", U8),
        (23, "SPORT_RANGE", Hex),
        (24, "DPORT_RANGE", Hex),
        (25, "DSCP", U8),
    ],
};

/// `CTRL_CMD_*` names.
pub fn ctrl_command(cmd: u8) -> Option<&'static str> {
    const NAMES: [&str; 11] = [
        "UNSPEC",
        "NEWFAMILY",
        "DELFAMILY",
        "GETFAMILY",
        "NEWOPS",
        "DELOPS",
        "GETOPS",
        "NEWMCAST_GRP",
        "DELMCAST_GRP",
        "GETMCAST_GRP",
        "GETPOLICY",
    ];
    NAMES.get(usize::from(cmd)).copied()
}

/// An address family's short name.
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

/// The names of the bits set in `value`, bit 0 named by the first word.
pub fn bit_names(words: &str, value: u32) -> String {
    let mut names: Vec<String> = words
        .split_whitespace()
        .enumerate()
        .filter(|&(bit, _)| bit < 32 && value >> bit & 1 == 1)
        .map(|(_, name)| name.to_string())
        .collect();
    let known = words.split_whitespace().count().min(32);
    let unknown = if known >= 32 {
        0
    } else {
        value & !((1u32 << known) - 1)
    };
    if unknown != 0 {
        names.push(format!("{unknown:#x}"));
    }
    names.join(",")
}

/// `IFF_*` bit names, bit 0 first.
pub const IFF: &str = "UP BROADCAST DEBUG LOOPBACK POINTOPOINT NOTRAILERS RUNNING NOARP PROMISC \
                       ALLMULTI MASTER SLAVE MULTICAST PORTSEL AUTOMEDIA DYNAMIC LOWER_UP \
                       DORMANT ECHO";

/// `NUD_*` bit names, bit 0 first.
pub const NUD: &str = "INCOMPLETE REACHABLE STALE DELAY PROBE FAILED NOARP PERMANENT";

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

/// An `RTN_*` route type name.
pub fn route_type(ty: u8) -> Option<&'static str> {
    const NAMES: [&str; 12] = [
        "unspec",
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    ];
    NAMES.get(usize::from(ty)).copied()
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
