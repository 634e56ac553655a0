//! The network namespace the rtnetlink comparisons dump
//! (`tests/families_pyroute2.rs`): links of every kind this kernel makes,
//! IPv4/IPv6 addresses, routes in two tables, neighbours, rules (one with a
//! tunnel id), a vxlan forwarding entry; and its dumps, message by message.
//!
//! A test binary takes it with `mod peer_common;`,
//! `#[path = "common/netns.rs"] mod netns;` and
//! `#[path = "common/rtnl_namespace.rs"] mod rtnl_namespace;`.
#![allow(dead_code)]

use std::process::{Command, Stdio};

use procslink::families::{rt_addr, rt_link, rt_neigh, rt_route, rt_rule};
use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::{
    Builder, MessageType,
    flags::{Flags, NewFlags},
};
use procslink::zerocopy::{Immutable, IntoBytes};

use super::netns::Netns;
use super::peer_common::missing;

/// A namespace for the comparison: links of every kind this kernel makes,
/// addresses, routes, neighbours and rules. The kinds it could make are returned.
pub fn populated_namespace() -> Option<(Netns, Vec<&'static str>)> {
    let ns = match Netns::create("pl-fam", "pyroute2") {
        Ok(ns) => ns,
        Err(e) => {
            missing(&format!("cannot make a network namespace: {e}"));
            return None;
        }
    };
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ]);
    ns.ip(&["link", "add", "br0", "type", "bridge"]);
    ns.ip(&["link", "set", "veth1", "master", "br0"]);
    ns.ip(&[
        "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "10.0.0.1",
    ]);
    ns.ip(&["link", "add", "ifb0", "type", "ifb"]);
    let mut kinds = vec!["veth", "bridge", "vxlan", "ifb"];
    // Kinds some kernels have and this one may not: tried, kept if made.
    for (kind, args) in [
        ("dummy", vec!["link", "add", "dum0", "type", "dummy"]),
        (
            "vlan",
            vec![
                "link", "add", "link", "veth0", "name", "vl0", "type", "vlan", "id", "7",
            ],
        ),
        (
            "macvlan",
            vec![
                "link", "add", "link", "veth0", "name", "mv0", "type", "macvlan",
            ],
        ),
        ("bond", vec!["link", "add", "bond0", "type", "bond"]),
    ] {
        let made = Command::new("ip")
            .args(["-n", &ns.name])
            .args(&args)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if made {
            kinds.push(kind);
        } else {
            eprintln!("notice: this kernel makes no {kind} link; compared without it");
        }
    }
    for link in ["veth0", "veth1", "br0", "vx0", "ifb0"] {
        ns.ip(&["link", "set", link, "up"]);
    }
    for (addr, dev) in [
        ("10.0.0.1/24", "veth0"),
        ("2001:db8::1/64", "veth0"),
        ("10.1.0.1/24", "br0"),
        ("2001:db8:1::1/64", "br0"),
    ] {
        let mut args = vec!["addr", "add", addr, "dev", dev];
        if addr.contains(':') {
            args.push("nodad");
        }
        ns.ip(&args);
    }
    ns.ip(&[
        "route",
        "add",
        "192.0.2.0/24",
        "via",
        "10.0.0.2",
        "metric",
        "7",
    ]);
    ns.ip(&[
        "route",
        "add",
        "198.51.100.0/24",
        "dev",
        "br0",
        "table",
        "100",
    ]);
    ns.ip(&[
        "route",
        "add",
        "2001:db8:2::/64",
        "via",
        "2001:db8::2",
        "dev",
        "veth0",
    ]);
    ns.ip(&[
        "neigh",
        "add",
        "10.0.0.2",
        "lladdr",
        "02:00:00:00:00:02",
        "dev",
        "veth0",
        "nud",
        "permanent",
    ]);
    ns.ip(&[
        "neigh",
        "add",
        "2001:db8::2",
        "lladdr",
        "02:00:00:00:00:03",
        "dev",
        "veth0",
        "nud",
        "permanent",
    ]);
    ns.ip(&[
        "rule",
        "add",
        "from",
        "192.0.2.0/24",
        "iif",
        "veth0",
        "table",
        "100",
        "pref",
        "1000",
    ]);
    ns.ip(&[
        "-6",
        "rule",
        "add",
        "to",
        "2001:db8:2::/64",
        "table",
        "100",
        "pref",
        "1001",
    ]);
    add_rule_with_tunnel_id(&ns);
    // A vxlan forwarding entry with a destination port (NDA_PORT), in the
    // AF_BRIDGE neighbour dump.
    let fdb = Command::new("bridge")
        .args([
            "-n",
            &ns.name,
            "fdb",
            "add",
            "00:11:22:33:44:55",
            "dev",
            "vx0",
        ])
        .args(["dst", "10.0.0.9", "port", &VXLAN_FDB_PORT.to_string()])
        .output();
    match fdb {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "bridge fdb add: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => missing(&format!(
            "cannot run `bridge` (iproute2) for a vxlan fdb entry: {e}"
        )),
    }
    Some((ns, kinds))
}

/// The tunnel id of the rule [`add_rule_with_tunnel_id`] makes: bytes that
/// read differently in either order.
pub const TUNNEL_ID: u64 = 0x1234;
/// The destination port of the vxlan forwarding entry.
pub const VXLAN_FDB_PORT: u16 = 4790;

/// Adds an IPv4 rule with a tunnel id (`FRA_TUN_ID`, which `ip rule`
/// cannot set), built with the tables' constants and sent with
/// [`KernelSocket`].
fn add_rule_with_tunnel_id(ns: &Netns) {
    let header = rt_rule::FibRuleHdr {
        family: 2,
        action: rt_rule::RT_RULE_FR_ACT_TO_TBL as u8,
        ..Default::default()
    };
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(
            rt_rule::RTM_NEWRULE,
            Flags::from(NewFlags::CREATE | NewFlags::EXCL),
            0,
            0,
        )
        .expect("room");
    m.family_header(&header).expect("room");
    m.put(rt_rule::FRA_TABLE, &100u32.to_ne_bytes())
        .expect("room");
    m.put(rt_rule::FRA_PRIORITY, &1002u32.to_ne_bytes())
        .expect("room");
    // The kernel reads a tunnel id in network order (nla_get_be64).
    m.put(rt_rule::FRA_TUN_ID, &TUNNEL_ID.to_be_bytes())
        .expect("room");
    let len = m.finish().expect("the rule");
    let request = buf[..len].to_vec();
    ns.run(|| {
        let mut socket = KernelSocket::open(Protocol::ROUTE).expect("a NETLINK_ROUTE socket");
        socket
            .request(&request)
            .expect("the kernel takes a rule with a tunnel id");
    });
}

/// A dump request of `message_type` with the family header `header`.
fn dump_request(message_type: u16, header: &(impl IntoBytes + Immutable)) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(MessageType(message_type), Flags::REQUEST, 0, 0)
        .expect("room for the request");
    m.family_header(header).expect("room for the header");
    let len = m.finish().expect("request");
    buf[..len].to_vec()
}

/// Every message of the six dumps, each as the bytes the kernel sent.
pub fn dump_everything(ns: &Netns) -> Vec<Vec<u8>> {
    let requests = [
        dump_request(rt_link::RTM_GETLINK.0, &rt_link::Ifinfomsg::default()),
        dump_request(rt_addr::RTM_GETADDR.0, &rt_addr::Ifaddrmsg::default()),
        dump_request(rt_route::RTM_GETROUTE.0, &rt_route::Rtmsg::default()),
        dump_request(rt_neigh::RTM_GETNEIGH.0, &rt_neigh::Ndmsg::default()),
        // The bridge's forwarding database: AF_BRIDGE (7) neighbours.
        dump_request(
            rt_neigh::RTM_GETNEIGH.0,
            &rt_neigh::Ndmsg {
                ndm_family: 7,
                ..Default::default()
            },
        ),
        dump_request(rt_rule::RTM_GETRULE.0, &rt_rule::FibRuleHdr::default()),
    ];
    ns.run(|| {
        let mut socket = KernelSocket::open(Protocol::ROUTE).expect("a NETLINK_ROUTE socket");
        let mut messages = Vec::new();
        for request in &requests {
            let mut dump = socket.dump(request).expect("the dump starts");
            while let Some(message) = dump.next() {
                let message = message.expect("a dump message");
                let mut bytes = message.header().as_bytes().to_vec();
                bytes.extend_from_slice(message.payload());
                messages.push(bytes);
            }
        }
        messages
    })
}
