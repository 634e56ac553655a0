//! The generated rtnetlink tables against an independent decoder: pyroute2
//! (PyPI) decodes the same live dump bytes.
//!
//! The test makes a network namespace with every link kind this kernel can
//! make among veth, bridge (with a veth enslaved), vxlan, ifb, macvlan,
//! dummy, vlan and bond, IPv4 and IPv6 addresses, routes, neighbours and
//! rules (`tests/common/rtnl_namespace.rs`); dumps links, addresses,
//! routes, neighbours and rules once with `KernelSocket`; decodes every
//! message with the tables
//! (`tests/common/spec_tree.rs`); and hands the very same bytes
//! to `tests/interop/pyroute2_decode.py`, which decodes them with
//! pyroute2's own message classes. Every attribute both sides name is
//! compared value by value (nests, sub-messages, `struct` members
//! included), and the counts are printed: values compared, attributes only
//! one side knows, mismatches (which must be none). Two it found were
//! errors of the specifications the kernel contradicts (`NDA_PORT` and
//! `FRA_TUN_ID` are network order): codegen corrects them
//! (`codegen/src/errata.rs`), and the vxlan forwarding entry's port and the
//! rule's tunnel id the namespace is given keep them proven.
//!
//! The interpreter is `PROCSLINK_PYTHON`, else `target/interop-venv/bin/python`
//! (`scripts/test-all.sh` installs pyroute2 there). Without it, or without
//! `ip netns`, the test prints a notice and passes, unless `CI=true`.
#![cfg(all(
    feature = "std",
    feature = "family-rt-link",
    feature = "family-rt-addr",
    feature = "family-rt-route",
    feature = "family-rt-neigh",
    feature = "family-rt-rule"
))]

mod peer_common;

#[path = "common/netns.rs"]
mod netns;
#[path = "common/pyroute2_compare.rs"]
mod pyroute2_compare;
#[path = "common/rtnl_namespace.rs"]
mod rtnl_namespace;
#[path = "common/spec_tree.rs"]
mod spec_tree;

use procslink::families::{Family, rt_addr, rt_link, rt_neigh, rt_route, rt_rule};
use procslink::netlink::{Message, Messages};
use serde_json::Value as Json;

use pyroute2_compare::{Tally, compare_runs, compare_value, pyroute2_decode, pyroute2_python};
use rtnl_namespace::{dump_everything, populated_namespace};
use spec_tree::{Node, Value, decode_run, decode_struct};

/// The family whose reply `message_type` is, with its fixed header and set.
fn family_of(message_type: u16) -> &'static Family {
    match message_type {
        t if t == rt_link::RTM_NEWLINK.0 => &rt_link::FAMILY,
        t if t == rt_addr::RTM_NEWADDR.0 => &rt_addr::FAMILY,
        t if t == rt_route::RTM_NEWROUTE.0 => &rt_route::FAMILY,
        t if t == rt_neigh::RTM_NEWNEIGH.0 => &rt_neigh::FAMILY,
        t if t == rt_rule::RTM_NEWRULE.0 => &rt_rule::FAMILY,
        other => panic!("a dump answered with message type {other}"),
    }
}

/// One message decoded with the tables: its fixed header and attributes.
struct Decoded {
    message_type: u16,
    header: Value,
    attrs: Vec<Node>,
}

fn decode_with_tables(bytes: &[u8]) -> Decoded {
    let message = Message::parse(bytes).expect("a message");
    let message_type = message.header().message_type().0;
    let family = family_of(message_type);
    let op = family.operation_by_reply(message_type).unwrap_or_else(|| {
        panic!(
            "{}: no operation replies with {message_type}",
            family.name()
        )
    });
    let layout = op.fixed_header().expect("an rtnetlink fixed header");
    let (header, attrs) = message
        .split_family_header(layout.size())
        .expect("the fixed header");
    Decoded {
        message_type,
        header: decode_struct(layout, header),
        attrs: decode_run(attrs, op.attr_set()),
    }
}

/// The first top-level value named `c_name`.
fn top<'d>(decoded: &'d Decoded, c_name: &str) -> Option<&'d Value> {
    decoded
        .attrs
        .iter()
        .find(|n| n.c_name() == Some(c_name))
        .map(|n| &n.value)
}

#[test]
fn rtnetlink_dumps_decode_as_pyroute2_decodes_them() {
    let Some(python) = pyroute2_python() else {
        return;
    };
    let Some((ns, kinds)) = populated_namespace() else {
        return;
    };
    let messages = dump_everything(&ns);
    let theirs = pyroute2_decode(&python, None, &messages);
    assert_eq!(
        theirs.len(),
        messages.len(),
        "pyroute2 decoded every message"
    );
    assert!(
        Messages::new(&messages.concat()).all(|m| m.is_ok()),
        "the dumps reframe"
    );

    let mut total = Tally::default();
    let mut unnamed = Vec::new();
    let mut bad = Vec::new();
    let mut per_type = std::collections::BTreeMap::<u16, usize>::new();
    let mut kinds_seen = std::collections::BTreeSet::new();
    let mut missing_required = Vec::new();
    for (bytes, their) in messages.iter().zip(&theirs) {
        let ours = decode_with_tables(bytes);
        assert_eq!(their["type"].as_u64(), Some(u64::from(ours.message_type)));
        *per_type.entry(ours.message_type).or_default() += 1;
        let mut tally = Tally::default();
        compare_value(
            &ours.header,
            &serde_json::json!({ "fields": their["header"] }),
            "header",
            &mut tally,
        );
        let their_attrs = their["attrs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        compare_runs(&ours.attrs, their_attrs, "", &mut tally);
        spec_tree::unnamed(
            &ours.attrs,
            family_of(ours.message_type).name(),
            &mut unnamed,
        );
        spec_tree::bad(&ours.attrs, family_of(ours.message_type).name(), &mut bad);

        // What every message of its kind must have had compared equal.
        let required: &[&str] = match ours.message_type {
            t if t == rt_link::RTM_NEWLINK.0 => &[
                "IFLA_IFNAME",
                "IFLA_MTU",
                "IFLA_OPERSTATE",
                "IFLA_ADDRESS",
                "IFLA_STATS64.rx-bytes",
                "IFLA_STATS64.tx-bytes",
                "header.ifi-index",
                "header.ifi-flags",
            ],
            t if t == rt_addr::RTM_NEWADDR.0 => &[
                "IFA_ADDRESS",
                "IFA_FLAGS",
                "IFA_CACHEINFO.ifa-valid",
                "header.ifa-index",
                "header.ifa-prefixlen",
            ],
            t if t == rt_route::RTM_NEWROUTE.0 => {
                &["RTA_TABLE", "header.rtm-dst-len", "header.rtm-type"]
            }
            t if t == rt_neigh::RTM_NEWNEIGH.0 => &[
                "header.ndm-ifindex",
                "header.ndm-state",
                "header.ndm-family",
            ],
            _ => &["FRA_TABLE", "header.family", "header.action"],
        };
        for path in required {
            if !tally.equal_paths.contains(*path) {
                missing_required.push(format!(
                    "message type {}: {path} not compared equal",
                    ours.message_type
                ));
            }
        }
        // Where present: a link's kind, a route's destination, gateway and
        // output link, a neighbour's link-layer address.
        for path in [
            "IFLA_LINKINFO/IFLA_INFO_KIND",
            "IFLA_MASTER",
            "RTA_DST",
            "RTA_GATEWAY",
            "RTA_OIF",
            "RTA_PRIORITY",
            "NDA_LLADDR",
            "NDA_DST",
            "IFA_LOCAL",
            "IFA_LABEL",
            "FRA_PRIORITY",
            "FRA_SRC",
            "FRA_DST",
            "FRA_IIFNAME",
        ] {
            let first = path.split('/').next().unwrap_or(path);
            if top(&ours, first).is_some() && !tally.equal_paths.contains(path) {
                missing_required.push(format!(
                    "message type {}: {path} present but not compared equal",
                    ours.message_type
                ));
            }
        }
        let kind = match top(&ours, "IFLA_LINKINFO") {
            Some(Value::Nest(info)) => spec_tree::find(info, "kind").map(|n| &n.value),
            _ => None,
        };
        if let Some(Value::Str(kind)) = kind {
            kinds_seen.insert(kind.clone());
        }
        total.merge(tally);
    }

    comparison_catches_a_wrong_value_and_a_wrong_name(&messages, &theirs);

    println!("messages by type: {per_type:?}; link kinds: {kinds_seen:?}");
    println!(
        "attributes paired: {} ({} with the same name); values compared equal: {}; mismatches: {}",
        total.paired,
        total.names_equal,
        total.values_equal,
        total.mismatches.len()
    );
    let distinct = |list: &[String]| {
        list.iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    println!(
        "only pyroute2 names ({}): {:?}",
        total.only_pyroute2.len(),
        distinct(&total.only_pyroute2)
    );
    println!(
        "only the tables name ({}): {:?}",
        total.only_ours.len(),
        distinct(&total.only_ours)
    );
    println!(
        "neither names ({}): {:?}",
        total.neither.len(),
        distinct(&total.neither)
    );
    println!(
        "names differ ({}): {:?}",
        total.names_differ.len(),
        distinct(&total.names_differ)
    );
    println!(
        "incomparable shapes ({}): {:?}",
        total.incomparable.len(),
        distinct(&total.incomparable)
    );

    assert!(
        total.mismatches.is_empty(),
        "values differ: {:#?}",
        total.mismatches
    );
    assert!(bad.is_empty(), "values the tables cannot read: {bad:#?}");
    assert!(
        total.names_differ.is_empty(),
        "names differ: {:#?}",
        total.names_differ
    );
    assert!(
        total.incomparable.is_empty(),
        "values in shapes the comparison cannot pair: {:#?}",
        total.incomparable
    );
    assert!(missing_required.is_empty(), "{missing_required:#?}");
    for kind in kinds {
        assert!(
            kinds_seen.contains(kind),
            "no {kind} link compared: {kinds_seen:?}"
        );
    }
    for t in [
        rt_rule::RTM_NEWRULE.0,
        rt_link::RTM_NEWLINK.0,
        rt_addr::RTM_NEWADDR.0,
        rt_route::RTM_NEWROUTE.0,
        rt_neigh::RTM_NEWNEIGH.0,
    ] {
        assert!(
            per_type.contains_key(&t),
            "no message of type {t}: {per_type:?}"
        );
    }
    // A healthy minimum: the namespace's 6 links, 4 addresses of ours (and
    // lo's), routes of both families in two tables, two neighbours.
    assert!(per_type[&rt_link::RTM_NEWLINK.0] >= 6, "{per_type:?}");
    assert!(per_type[&rt_addr::RTM_NEWADDR.0] >= 6, "{per_type:?}");
    assert!(per_type[&rt_route::RTM_NEWROUTE.0] >= 6, "{per_type:?}");
    assert!(per_type[&rt_neigh::RTM_NEWNEIGH.0] >= 2, "{per_type:?}");
    assert!(
        total.values_equal >= 1000,
        "only {} values compared",
        total.values_equal
    );
    println!(
        "unnamed by the tables ({}): {:?}",
        unnamed.len(),
        distinct(&unnamed)
    );
}

/// The comparison is no rubber stamp: the first link message, with its MTU
/// read one too high or its name attribute given another spec, fails it.
fn comparison_catches_a_wrong_value_and_a_wrong_name(messages: &[Vec<u8>], theirs: &[Json]) {
    let (bytes, their) = messages
        .iter()
        .zip(theirs)
        .find(|(b, _)| decode_with_tables(b).message_type == rt_link::RTM_NEWLINK.0)
        .expect("a link message");
    let their_attrs = their["attrs"].as_array().map(Vec::as_slice).unwrap_or(&[]);

    let mut ours = decode_with_tables(bytes);
    let mtu = ours
        .attrs
        .iter_mut()
        .find(|n| n.c_name() == Some("IFLA_MTU"))
        .expect("IFLA_MTU");
    let Value::Int(value) = &mut mtu.value else {
        panic!("IFLA_MTU is no integer: {:?}", mtu.value)
    };
    *value += 1;
    let mut tally = Tally::default();
    compare_runs(&ours.attrs, their_attrs, "", &mut tally);
    assert_eq!(tally.mismatches.len(), 1, "{:?}", tally.mismatches);
    assert!(
        tally.mismatches[0].starts_with("IFLA_MTU: "),
        "{:?}",
        tally.mismatches
    );

    let mut ours = decode_with_tables(bytes);
    let ifname = ours
        .attrs
        .iter_mut()
        .find(|n| n.c_name() == Some("IFLA_IFNAME"))
        .expect("IFLA_IFNAME");
    ifname.spec = rt_link::SET_LINK_ATTRS.by_name("qdisc");
    let mut tally = Tally::default();
    compare_runs(&ours.attrs, their_attrs, "", &mut tally);
    assert_eq!(
        tally.names_differ,
        ["IFLA_QDISC: ours IFLA_QDISC, pyroute2's IFLA_IFNAME"]
    );
}
