//! Round trips of `procslink nl --json`'s encoder: each object is encoded
//! into a request and decoded back by `decode --json`'s printer, which must
//! give the same object; and its mistakes, named.

use procslink::families::{Family, ethtool, rt_addr, rt_link, tc};
use procslink::netlink::display::Protocol;
use procslink::netlink::flags::Flags;
use procslink::netlink::{Builder, GenlMsgHdr, Message};
use serde_json::{Value, json};

use crate::nl_encode::{EncodeError, attrs, fixed_header};
use crate::ynl;

/// A made-up generic netlink id (not the controller's).
const GENL_ID: u16 = 0x20;

/// Encodes `object` as a request of `op`, then decodes it with
/// `decode --json`'s printer.
fn round_trip(family: &'static Family, op: &str, object: &Value) -> Result<Value, EncodeError> {
    let op = family.operation(op).expect("the operation exists");
    let Value::Object(object) = object else {
        panic!("an object")
    };
    let (header, rest) = fixed_header(op.attr_set(), op.fixed_header(), object)?;
    let mut buf = vec![0u8; 4096];
    let mut b = Builder::new(&mut buf);
    let genl = matches!(
        family.protocol(),
        procslink::families::Protocol::Genetlink { .. }
    );
    let request = op.request().expect("a request");
    let ty = if genl { GENL_ID } else { request };
    let mut m = b.message(ty, Flags::REQUEST, 1, 0).expect("room");
    if genl {
        let cmd = u8::try_from(request).expect("a command");
        m.family_header(&GenlMsgHdr::new(cmd, 1)).expect("room");
    }
    m.put_bytes_raw(&header).expect("room");
    attrs(&mut m, op.attr_set().expect("a set"), &rest, 0)?;
    let len = m.finish().expect("room");
    let msg = Message::parse(&buf[..len]).expect("a message");
    let (protocol, family) = if genl {
        (Protocol::Generic, Some(family))
    } else {
        (Protocol::Route, None)
    };
    let (line, error) = ynl::message(&msg, protocol, family);
    assert!(error.is_none(), "{error:?}: {line}");
    Ok(serde_json::from_str(&line).expect("JSON"))
}

fn same(family: &'static Family, op: &str, object: Value) {
    assert_eq!(round_trip(family, op, &object).expect("encodes"), object);
}

fn error(family: &'static Family, op: &str, object: Value) -> String {
    match round_trip(family, op, &object) {
        Err(e) => e.0,
        Ok(v) => panic!("encoded {object} as {v}"),
    }
}

#[test]
fn link_with_header_nests_sub_message_and_multi_attr() {
    same(
        &rt_link::FAMILY,
        "newlink",
        json!({
            "ifname": "vlan9",
            "mtu": 1400,
            "txqlen": 500,
            "address": "02:00:00:00:00:01",
            "operstate": 6,
            "linkinfo": {"kind": "vlan", "data": {"id": 9, "protocol": "8021q"}},
            "prop-list": {"alt-ifname": ["first", "second"]},
            "ifi-family": 0,
            "ifi-type": 1,
            "ifi-index": 7,
            "ifi-flags": ["up", "multicast"],
            "ifi-change": 0
        }),
    );
}

#[test]
fn addresses_by_their_display_hints() {
    same(
        &rt_addr::FAMILY,
        "newaddr",
        json!({
            "address": "fd01::1",
            "local": "10.1.0.1",
            "label": "veth0",
            "flags": ["nodad"],
            "ifa-family": 10,
            "ifa-prefixlen": 64,
            "ifa-flags": ["permanent"],
            "ifa-scope": 0,
            "ifa-index": 3
        }),
    );
}

#[test]
fn generic_netlink_nests_flags_and_multi_nests() {
    same(
        &ethtool::FAMILY,
        "linkinfo-get",
        json!({"header": {"dev-name": "veth0", "flags": ["compact-bitsets"]}}),
    );
    same(
        &ethtool::FAMILY,
        "linkmodes-set",
        json!({
            "header": {"dev-index": 3},
            "autoneg": 1,
            "ours": {
                "nomask": true,
                "size": 2,
                "bits": {"bit": [{"index": 0, "name": "10baseT/Half", "value": true}, {"index": 1}]},
                "value": "0300"
            }
        }),
    );
}

#[test]
fn wide_integers_and_bitfields() {
    same(
        &rt_link::FAMILY,
        "newlink",
        json!({
            "max-pacing-offload-horizon": 5_000_000_000u64,
            "linkinfo": {"kind": "bridge", "data": {"hello-timer": u64::MAX}},
            "ifi-family": 0,
            "ifi-type": 0,
            "ifi-index": -1,
            "ifi-flags": [],
            "ifi-change": 0
        }),
    );
    let out = round_trip(
        &tc::FAMILY,
        "getqdisc",
        &json!({"dump-flags": {"value": 1, "selector": 1}}),
    )
    .expect("encodes");
    assert_eq!(out["dump-flags"], json!({"value": 1, "selector": 1}));
    let e = error(&tc::FAMILY, "getqdisc", json!({"dump-flags": {"value": 1}}));
    assert!(e.contains("is a bitfield32"), "{e}");
}

#[test]
fn text_forms_are_accepted_where_decode_prints_numbers() {
    let out = round_trip(
        &rt_link::FAMILY,
        "newlink",
        &json!({"mtu": "0x578", "ifi-flags": ["Unknown(20)"]}),
    )
    .expect("encodes");
    assert_eq!(out["mtu"], json!(1400));
    assert_eq!(out["ifi-flags"], json!(["Unknown(20)"]));
}

#[test]
fn mistakes_are_named() {
    let e = error(&rt_link::FAMILY, "newlink", json!({"ifnam": "x"}));
    assert!(
        e.contains("attribute set link-attrs has no attribute \"ifnam\""),
        "{e}"
    );
    let e = error(
        &rt_link::FAMILY,
        "newlink",
        json!({"linkinfo": {"kind": "vlan", "dat": {}}}),
    );
    assert!(
        e.contains("attribute set linkinfo-attrs has no attribute \"dat\""),
        "{e}"
    );
    let e = error(&rt_link::FAMILY, "newlink", json!({"operstate": 256}));
    assert!(
        e.contains("\"operstate\"") && e.contains("out of its range 0..=255"),
        "{e}"
    );
    let e = error(&rt_link::FAMILY, "newlink", json!({"address": "02:00:zz"}));
    assert!(e.contains("is not hex"), "{e}");
    let e = error(&rt_addr::FAMILY, "newaddr", json!({"local": "10.1.0"}));
    assert!(e.contains("\"local\"") && e.contains("is not one"), "{e}");
    let e = error(
        &rt_link::FAMILY,
        "newlink",
        json!({"linkinfo": {"data": {"id": 1}}}),
    );
    assert!(e.contains("give \"kind\" beside it"), "{e}");
    let e = error(
        &rt_link::FAMILY,
        "newlink",
        json!({"linkinfo": {"kind": "vlan", "data": {"protocol": "8021x"}}}),
    );
    assert!(e.contains("has no entry \"8021x\""), "{e}");
    let e = error(&rt_link::FAMILY, "newlink", json!({"ifname": 5}));
    assert!(e.contains("is a string, not 5"), "{e}");
    let e = error(&ethtool::FAMILY, "linkinfo-get", json!({"header": "veth0"}));
    assert!(e.contains("takes an object, not \"veth0\""), "{e}");
}
