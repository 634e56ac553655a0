//! Live generic netlink, decoded with the generated tables (library level):
//! netdev, ethtool, tcp_metrics and mptcp_pm.
//!
//! Each test makes a network namespace with a veth pair, resolves its
//! family by name through nlctrl (`netlink::genl`), builds the request
//! from the family's tables (command, version, attribute numbers), sends
//! it with [`KernelSocket`](procslink::kernel::KernelSocket), and decodes
//! every reply with the tables alone (`tests/common/spec_tree.rs`): no
//! attribute may go unnamed, no value may break its specification, and the
//! values that matter must be what the namespace holds (the veth's name and
//! index, the endpoint added, what `ip tcp_metrics` shows, …).
//!
//! A family or operation this kernel lacks is a notice (the kernel is not
//! ours to change); a namespace that cannot be made fails under `CI=true`.
//! nlctrl itself: `tests/families_nlctrl_live.rs`.
#![cfg(all(
    feature = "std",
    feature = "family-netdev",
    feature = "family-ethtool",
    feature = "family-tcp-metrics",
    feature = "family-mptcp-pm"
))]

mod peer_common;

#[path = "common/genl_tables.rs"]
mod genl_tables;
#[path = "common/netns.rs"]
mod netns;
#[path = "common/pyroute2_compare.rs"]
mod pyroute2_compare;
#[path = "common/spec_tree.rs"]
mod spec_tree;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use procslink::families::{AttrSet, ethtool, mptcp_pm, netdev, tcp_metrics};
use procslink::kernel::KernelError;
use procslink::netlink::{MessageBuilder, NLA_F_NESTED};

use genl_tables::{Genl, Reply, assert_fully_described, ifindex, int, namespace, string};
use netns::Netns;
use spec_tree::{find, nested};

#[test]
fn netdev_dev_get_dump_lists_the_namespace_links() {
    let Some(ns) = namespace("netdev") else {
        return;
    };
    let expected: BTreeSet<i128> = ["lo", "veth0", "veth1"]
        .iter()
        .map(|l| ifindex(&ns, l))
        .collect();
    let replies = ns.run(|| {
        let mut genl = Genl::open(&netdev::FAMILY)?;
        genl.call("dev-get", true, |_, _| {})
    });
    let Some(replies) = replies else { return };
    let attributes = assert_fully_described(&netdev::FAMILY, &replies);
    let seen: BTreeSet<i128> = replies
        .iter()
        .map(|r| int(&r.nodes, "ifindex").expect("every device has an ifindex"))
        .collect();
    assert_eq!(seen, expected);
    for reply in &replies {
        assert!(
            find(&reply.nodes, "xdp-features").is_some(),
            "xdp-features in every device"
        );
    }
    println!(
        "netdev dev-get: {} devices, {attributes} attributes, all named",
        replies.len()
    );
}

/// An ethtool `*-get` of `veth0`: the header asks by name, and the reply's
/// header names the device and its index.
fn ethtool_get(ns: &Netns, op: &'static str) -> Option<Vec<Reply>> {
    let replies = ns.run(|| {
        let mut genl = Genl::open(&ethtool::FAMILY)?;
        genl.call(op, false, |set, m| ethtool_header(set, m, "veth0"))
    })?;
    assert_eq!(replies.len(), 1, "one reply to a do");
    let header = find(&replies[0].nodes, "header").expect("the reply's header");
    assert_eq!(string(nested(header), "dev-name"), Some("veth0"));
    assert_eq!(int(nested(header), "dev-index"), Some(ifindex(ns, "veth0")));
    let attributes = assert_fully_described(&ethtool::FAMILY, &replies);
    println!("ethtool {op}: {attributes} attributes, all named");
    Some(replies)
}

/// The `header` nest of an ethtool request, naming the device `dev`.
fn ethtool_header(set: &AttrSet, m: &mut MessageBuilder<'_, '_>, dev: &str) {
    let header = set.by_name("header").expect("a header attribute");
    let dev_name = header
        .nested()
        .and_then(|h| h.by_name("dev-name"))
        .expect("the header's dev-name");
    let mut nest = m.nest(header.number() | NLA_F_NESTED).expect("room");
    nest.put_str(dev_name.number(), dev).expect("room");
    nest.end().expect("nest");
}

/// Every ethtool `*-get` the specification has, asked of `veth0` with only
/// its header: what the veth supports decodes with every attribute named;
/// what it does not is refused (listed, not failed).
#[test]
fn ethtool_every_get_of_a_veth() {
    let Some(ns) = namespace("ethtool-all") else {
        return;
    };
    let veth0 = ifindex(&ns, "veth0");
    let outcome = ns.run(|| {
        let mut genl = Genl::open(&ethtool::FAMILY)?;
        let mut answered = Vec::new();
        let mut refused = Vec::new();
        for op in ethtool::FAMILY.operations() {
            let takes_header = op.attr_set().is_some_and(|s| s.by_name("header").is_some());
            if !op.name().ends_with("-get") || !op.modes().do_ || !takes_header {
                continue;
            }
            match genl.try_call(op.name(), false, |set, m| ethtool_header(set, m, "veth0")) {
                Ok(replies) => answered.push((op.name(), replies)),
                Err(KernelError::Refused(r)) => refused.push((op.name(), r.errno())),
                Err(e) => panic!("ethtool {}: {e}", op.name()),
            }
        }
        Some((answered, refused))
    });
    let Some((answered, refused)) = outcome else {
        return;
    };
    let mut attributes = 0;
    for (op, replies) in &answered {
        attributes += assert_fully_described(&ethtool::FAMILY, replies);
        for reply in replies {
            let header = find(&reply.nodes, "header")
                .unwrap_or_else(|| panic!("{op}: the reply has no header"));
            assert_eq!(string(nested(header), "dev-name"), Some("veth0"), "{op}");
            assert_eq!(int(nested(header), "dev-index"), Some(veth0), "{op}");
        }
    }
    let names: Vec<_> = answered.iter().map(|(op, _)| *op).collect();
    println!(
        "ethtool on a veth: {} operations answered ({names:?}), {attributes} attributes, all named; refused (op, errno): {refused:?}",
        answered.len()
    );
    for op in [
        "linkinfo-get",
        "linkmodes-get",
        "linkstate-get",
        "features-get",
    ] {
        assert!(
            names.contains(&op),
            "{op} answered: {names:?}, refused {refused:?}"
        );
    }
}

#[test]
fn ethtool_linkinfo_get_of_a_veth() {
    let Some(ns) = namespace("ethtool-info") else {
        return;
    };
    let Some(replies) = ethtool_get(&ns, "linkinfo-get") else {
        return;
    };
    // veth reports a twisted-pair port (PORT_TP, 0) without a transceiver.
    assert_eq!(int(&replies[0].nodes, "port"), Some(0));
}

#[test]
fn ethtool_linkmodes_get_of_a_veth() {
    let Some(ns) = namespace("ethtool-modes") else {
        return;
    };
    let Some(replies) = ethtool_get(&ns, "linkmodes-get") else {
        return;
    };
    // veth's fixed settings: 10 Gb/s, full duplex, no autonegotiation.
    assert_eq!(int(&replies[0].nodes, "speed"), Some(10_000));
    assert_eq!(int(&replies[0].nodes, "duplex"), Some(1));
    assert_eq!(int(&replies[0].nodes, "autoneg"), Some(0));
}

#[test]
fn ethtool_linkstate_get_of_a_veth() {
    let Some(ns) = namespace("ethtool-state") else {
        return;
    };
    let Some(replies) = ethtool_get(&ns, "linkstate-get") else {
        return;
    };
    // Both ends are up: the link is.
    assert_eq!(int(&replies[0].nodes, "link"), Some(1));
}

#[test]
fn tcp_metrics_get_dump_after_a_connection() {
    let Some(ns) = namespace("tcp-metrics") else {
        return;
    };
    ns.run(exchange_over_loopback);
    // The connection's last packets may still update the metrics: dump
    // between two readings of `ip` that agree (ages aside).
    let mut settled = None;
    for _ in 0..10 {
        let before = ip_tcp_metrics(&ns);
        let replies = ns.run(|| {
            let mut genl = Genl::open(&tcp_metrics::FAMILY)?;
            genl.call("get", true, |_, _| {})
        });
        let Some(replies) = replies else { return };
        let after = ip_tcp_metrics(&ns);
        if before == after {
            settled = Some((replies, after));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (replies, shown) = settled.expect("the tcp metrics settle");
    let attributes = assert_fully_described(&tcp_metrics::FAMILY, &replies);
    // The kernel keeps metrics of a connection that carried data; where it
    // kept one, it is 127.0.0.1's (the namespace's only peer), in network
    // order.
    let loopback = i128::from(u32::from(Ipv4Addr::LOCALHOST));
    for reply in &replies {
        if let Some(addr) = int(&reply.nodes, "addr-ipv4") {
            assert_eq!(addr, loopback, "addr-ipv4 read in its byte order");
        }
    }
    // iproute2 reads the same metrics: the same entries, the same values.
    assert_eq!(shown.len(), replies.len(), "ip shows {shown:?}");
    let mut compared = 0;
    for entry in &shown {
        let dst: Ipv4Addr = entry["dst"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .expect("a dst");
        let reply = replies
            .iter()
            .find(|r| int(&r.nodes, "addr-ipv4") == Some(i128::from(u32::from(dst))))
            .unwrap_or_else(|| panic!("no entry for {dst}"));
        let source: Option<Ipv4Addr> = entry["source"].as_str().and_then(|d| d.parse().ok());
        let saddr = int(&reply.nodes, "saddr-ipv4").map(|v| Ipv4Addr::from(v as u32));
        assert_eq!(saddr, source, "{dst}: the source");
        let metrics = find(&reply.nodes, "vals").map(nested).unwrap_or(&[]);
        // ip shows times in seconds, the kernel sends microseconds, scaled
        // as TCP keeps them (srtt by 8, rttvar by 4), which ip takes out.
        let micros = |key: &str| entry[key].as_f64().map(|s| (s * 1e6).round() as i128);
        for (key, name, scale) in [("rtt", "rtt-us", 8), ("rttvar", "rttvar-us", 4)] {
            if let Some(value) = micros(key) {
                let ours = int(metrics, name).map(|v| v / scale);
                assert_eq!(ours, Some(value), "{dst}: {name}");
                compared += 1;
            }
        }
        if let Some(cwnd) = entry["cwnd"].as_i64() {
            assert_eq!(int(metrics, "cwnd"), Some(i128::from(cwnd)), "{dst}: cwnd");
            compared += 1;
        }
    }
    assert!(
        compared > 0 || shown.is_empty(),
        "no metric compared with ip's"
    );
    println!(
        "tcp_metrics get: {} entries, {attributes} attributes, all named",
        replies.len()
    );
}

/// `ip -j tcp_metrics show`, without the ages (which grow by themselves).
fn ip_tcp_metrics(ns: &Netns) -> Vec<serde_json::Value> {
    let shown: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "tcp_metrics", "show"])).expect("ip -j tcp_metrics");
    let mut entries = shown.as_array().cloned().unwrap_or_default();
    for entry in &mut entries {
        if let Some(o) = entry.as_object_mut() {
            o.remove("age");
        }
    }
    entries
}

/// A TCP connection over the namespace's loopback that carries data both
/// ways and closes, so that the kernel has metrics to keep.
fn exchange_over_loopback() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let addr = listener.local_addr().expect("address");
    let mut client = std::net::TcpStream::connect(addr).expect("connect");
    let (mut server, _) = listener.accept().expect("accept");
    let mut buf = [0u8; 4096];
    for _ in 0..8 {
        client.write_all(&[7u8; 4096]).expect("write");
        server.read_exact(&mut buf).expect("read");
        server.write_all(&buf).expect("write back");
        client.read_exact(&mut buf).expect("read back");
    }
    drop(client);
    let _ = server.read(&mut buf);
    drop(server);
}

#[test]
fn mptcp_pm_endpoint_added_then_dumped() {
    let Some(ns) = namespace("mptcp") else { return };
    ns.ip(&["addr", "add", "10.0.0.1/24", "dev", "veth0"]);
    let addr = Ipv4Addr::new(10, 0, 0, 1);
    let replies = ns.run(|| {
        let mut genl = Genl::open(&mptcp_pm::FAMILY)?;
        let added = genl.call("add-addr", false, |set, m| {
            let nest_spec = set.by_name("addr").expect("an addr attribute");
            let inner = nest_spec.nested().expect("the address set");
            let number = |name: &str| inner.by_name(name).expect(name).number();
            let mut nest = m.nest(nest_spec.number() | NLA_F_NESTED).expect("room");
            nest.put(number("family"), &2u16.to_ne_bytes())
                .expect("room");
            nest.put(number("id"), &[5]).expect("room");
            nest.put(number("addr4"), &addr.octets()).expect("room");
            // MPTCP_PM_ADDR_FLAG_SIGNAL (this specification has no flag set).
            let signal = 1u32;
            nest.put(number("flags"), &signal.to_ne_bytes())
                .expect("room");
            nest.end().expect("nest");
        });
        added?;
        genl.call("get-addr", true, |_, _| {})
    });
    let Some(replies) = replies else { return };
    let attributes = assert_fully_described(&mptcp_pm::FAMILY, &replies);
    assert_eq!(replies.len(), 1, "the one endpoint added");
    let endpoint = find(&replies[0].nodes, "addr").expect("the endpoint's addr nest");
    let endpoint = nested(endpoint);
    assert_eq!(int(endpoint, "family"), Some(2));
    assert_eq!(int(endpoint, "id"), Some(5));
    assert_eq!(int(endpoint, "addr4"), Some(i128::from(u32::from(addr))));
    assert_eq!(int(endpoint, "flags"), Some(1));
    println!("mptcp_pm get-addr: 1 endpoint, {attributes} attributes, all named");
}

/// Every dump of netdev, without attributes: what this kernel answers
/// decodes with every attribute named, about the namespace's devices only.
#[test]
fn netdev_every_dump() {
    let Some(ns) = namespace("netdev-all") else {
        return;
    };
    let indexes: BTreeSet<i128> = ["lo", "veth0", "veth1"]
        .iter()
        .map(|l| ifindex(&ns, l))
        .collect();
    let outcome = ns.run(|| {
        let mut genl = Genl::open(&netdev::FAMILY)?;
        let mut answered = Vec::new();
        let mut refused = Vec::new();
        for op in netdev::FAMILY.operations() {
            if !op.modes().dump || op.request().is_none() {
                continue;
            }
            match genl.try_call(op.name(), true, |_, _| {}) {
                Ok(replies) => answered.push((op.name(), replies)),
                Err(KernelError::Refused(r)) => refused.push((op.name(), r.errno())),
                Err(e) => panic!("netdev {}: {e}", op.name()),
            }
        }
        Some((answered, refused))
    });
    let Some((answered, refused)) = outcome else {
        return;
    };
    let mut attributes = 0;
    let mut summary = Vec::new();
    for (op, replies) in &answered {
        attributes += assert_fully_described(&netdev::FAMILY, replies);
        for reply in replies {
            if let Some(index) = int(&reply.nodes, "ifindex") {
                assert!(
                    indexes.contains(&index),
                    "{op}: ifindex {index} is no device of the namespace"
                );
            }
        }
        summary.push((*op, replies.len()));
    }
    println!(
        "netdev dumps (op, replies): {summary:?}, {attributes} attributes, all named; refused (op, errno): {refused:?}"
    );
    assert!(
        summary.iter().any(|(op, n)| *op == "dev-get" && *n == 3),
        "{summary:?}"
    );
}

/// The replies of ethtool and mptcp_pm, decoded by the tables and, from
/// the same bytes, by pyroute2's own message classes for those families:
/// every attribute both name has the same name and value.
#[test]
fn ethtool_and_mptcp_replies_decode_as_pyroute2_decodes_them() {
    let Some(python) = pyroute2_compare::pyroute2_python() else {
        return;
    };
    let Some(ns) = namespace("genl-pyroute2") else {
        return;
    };
    ns.ip(&["addr", "add", "10.0.0.1/24", "dev", "veth0"]);
    const ETHTOOL: &str = "pyroute2.netlink.generic.ethtool";
    let asked = ns.run(|| {
        let mut asked = Vec::new();
        if let Some(mut genl) = Genl::open(&ethtool::FAMILY) {
            for (op, class) in [
                ("strset-get", "ethtool_strset_msg"),
                ("linkinfo-get", "ethtool_linkinfo_msg"),
                ("linkmodes-get", "ethtool_linkmode_msg"),
                ("linkstate-get", "ethtool_linkstate_msg"),
            ] {
                if let Some(replies) =
                    genl.call(op, false, |set, m| ethtool_header(set, m, "veth0"))
                {
                    asked.push((
                        format!("ethtool {op}"),
                        format!("{ETHTOOL}.{class}"),
                        replies,
                    ));
                }
            }
        }
        if let Some(mut genl) = Genl::open(&mptcp_pm::FAMILY) {
            let added = genl.call("add-addr", false, |set, m| {
                let nest_spec = set.by_name("addr").expect("an addr attribute");
                let inner = nest_spec.nested().expect("the address set");
                let number = |name: &str| inner.by_name(name).expect(name).number();
                let mut nest = m.nest(nest_spec.number() | NLA_F_NESTED).expect("room");
                nest.put(number("family"), &2u16.to_ne_bytes())
                    .expect("room");
                nest.put(number("id"), &[3]).expect("room");
                nest.put(number("addr4"), &[10, 0, 0, 1]).expect("room");
                nest.end().expect("nest");
            });
            if added.is_some()
                && let Some(replies) = genl.call("get-addr", true, |_, _| {})
            {
                let class = "pyroute2.netlink.generic.mptcp.mptcp_msg".to_string();
                asked.push(("mptcp_pm get-addr".to_string(), class, replies));
            }
        }
        asked
    });
    let mut total = pyroute2_compare::Tally::default();
    for (what, class, replies) in &asked {
        let before = total.values_equal;
        let messages: Vec<Vec<u8>> = replies.iter().map(|r| r.message.clone()).collect();
        let theirs = pyroute2_compare::pyroute2_decode(&python, Some(class), &messages);
        assert_eq!(
            theirs.len(),
            replies.len(),
            "{what}: pyroute2 decoded every reply"
        );
        for (reply, their) in replies.iter().zip(&theirs) {
            let their_attrs = their["attrs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            pyroute2_compare::compare_runs(&reply.nodes, their_attrs, what, &mut total);
        }
        println!("{what}: {} values equal", total.values_equal - before);
    }
    println!(
        "ethtool and mptcp_pm against pyroute2: {} replies, {} attributes paired ({} with the same name), {} values equal, {} mismatches",
        asked.iter().map(|(_, _, r)| r.len()).sum::<usize>(),
        total.paired,
        total.names_equal,
        total.values_equal,
        total.mismatches.len()
    );
    println!("only pyroute2 names: {:?}", total.only_pyroute2);
    println!("only the tables name: {:?}", total.only_ours);
    println!("names differ: {:?}", total.names_differ);
    println!("pyroute2 misspells: {:?}", total.pyroute2_misspelled);
    println!("incomparable: {:?}", total.incomparable);
    assert!(total.mismatches.is_empty(), "{:#?}", total.mismatches);
    assert!(total.names_differ.is_empty(), "{:#?}", total.names_differ);
    assert!(total.incomparable.is_empty(), "{:#?}", total.incomparable);
    if !asked.is_empty() {
        assert!(total.values_equal > 0, "nothing compared");
    }
}
