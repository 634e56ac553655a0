//! The generated typed views and writers: named getters on the project's
//! kernel dumps (`tests/data/*.bin`) against the plain attribute walk, every
//! set of the dumps' families parsed through the views (lazily and
//! strictly, the two agreeing), typed build → view parse for every
//! attribute set of six families, and any bytes → `Ok` or `Err`, never a
//! panic, with a malformed attribute reading as `None` from the lazy view
//! and refused by the strict one.
#![cfg(all(
    feature = "family-rt-link",
    feature = "family-rt-addr",
    feature = "family-rt-route",
    feature = "family-rt-neigh",
    feature = "family-nlctrl",
    feature = "family-ethtool"
))]

use std::net::{IpAddr, Ipv4Addr};

use procslink::families::rt_link::{LinkAttrs, LinkinfoAttrs, LinkinfoVlanAttrs as VlanAttrs};
use procslink::families::view::{RawView, ReadStruct, SetView, Value, put_value, read_value};
use procslink::families::{
    AttrSet, AttrSpec, AttrType, DisplayHint, Family, Protocol, ethtool, nlctrl, rt_addr, rt_link,
    rt_neigh, rt_route,
};
use procslink::netlink::{
    Attrs, Builder, GenlMsgHdr, Message, MessageType, Messages, NLA_F_NESTED, flags::Flags,
};
use procslink::{ErrorKind, PolicyViolation};
use proptest::prelude::*;

/// Slots enough for the largest set of the families tested here.
const SLOTS: usize = 512;

fn dump(file: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The attribute runs of a dump's messages, each with its operation's set.
fn runs<'d>(dump: &'d [u8], family: &Family) -> Vec<(Attrs<'d>, &'static AttrSet)> {
    let genl = matches!(family.protocol(), Protocol::Genetlink { .. });
    let mut out = Vec::new();
    for message in Messages::new(dump) {
        let message = message.expect("well-formed message");
        if message.header().message_type().is_done() {
            break;
        }
        let (value, offset) = if genl {
            let (hdr, _) = message.family_header::<GenlMsgHdr>().expect("genlmsghdr");
            (u16::from(hdr.cmd), 4)
        } else {
            (message.header().message_type().0, 0)
        };
        let op = family.operation_by_reply(value).expect("an operation");
        let header = offset + op.fixed_header().map_or(0, |h| h.size());
        let (_, attrs) = message.split_family_header(header).expect("header");
        out.push((attrs, op.attr_set().expect("a set")));
    }
    out
}

/// Indexes `attrs` as `set` lazily and strictly, and checks that the two
/// agree: the strict parse fails where the lazy view's `check` does (with
/// the same error), or no later than the lazy parse's framing error; a
/// strict view holds what the lazy one holds; and an attribute the lazy
/// view holds but cannot read is one `check` refuses. Returns the lazy
/// view and its `check`.
fn parse_both<'a>(
    set: &'static AttrSet,
    attrs: Attrs<'a>,
) -> Result<(RawView<'a, SLOTS>, Result<(), procslink::Error>), procslink::Error> {
    let checked = RawView::<SLOTS>::parse_checked(set, attrs.clone());
    let lazy = match RawView::<SLOTS>::parse(set, attrs) {
        Ok(lazy) => lazy,
        Err(framing) => {
            let Err(strict) = checked else {
                panic!(
                    "{}: the strict parse passed a framing error: {framing}",
                    set.name()
                )
            };
            assert!(
                strict.offset() <= framing.offset(),
                "{strict} after {framing}"
            );
            return Err(framing);
        }
    };
    let verdict = lazy.check();
    assert_eq!(verdict, checked.map(|_| ()), "{}", set.name());
    if let Ok(checked) = checked {
        for i in 0..set.attrs().len() {
            assert_eq!(lazy.attr(i), checked.attr(i), "{} #{i}", set.name());
        }
    }
    for (i, spec) in set.attrs().iter().enumerate() {
        let Some(attr) = lazy.attr(i) else { continue };
        let value = lazy.value(i);
        assert_eq!(value, read_value(spec, &attr));
        assert!(
            value.is_some() || verdict.is_err(),
            "{}: {attr:?} does not read, yet the run passes its check",
            spec.name()
        );
    }
    Ok((lazy, verdict))
}

/// Parses `attrs` as `set` and every nest, array entry and sub-message
/// below it through the generic view both ways ([`parse_both`]), reading
/// every value; counts the values read. The first framing error or policy
/// violation is returned (after the walk of everything that frames),
/// never a panic.
fn visit(
    set: &'static AttrSet,
    attrs: Attrs<'_>,
    depth: usize,
    read: &mut usize,
) -> Result<(), procslink::Error> {
    if depth > 16 {
        return Ok(());
    }
    let (view, mut first) = parse_both(set, attrs.clone())?;
    let mut keep = |result: Result<(), procslink::Error>| first = first.and(result);
    for (i, spec) in set.attrs().iter().enumerate() {
        let Some(attr) = view.attr(i) else { continue };
        if view.value(i).is_some() {
            *read += 1;
        }
        match (spec.attr_type(), spec.nested()) {
            (AttrType::Nest, Some(nested)) => keep(visit(nested, attr.nested(), depth + 1, read)),
            (AttrType::IndexedArray | AttrType::NestTypeValue, Some(nested))
                if spec.sub_type().is_none_or(|t| t == AttrType::Nest) =>
            {
                for entry in attr.nested() {
                    keep(entry.and_then(|e| visit(nested, e.nested(), depth + 1, read)));
                }
            }
            (AttrType::SubMessage, _) => {
                if let Some(format) = set.sub_message_format(spec, attrs.clone())
                    && let Some(nested) = format.attr_set()
                {
                    let skip = format.fixed_header().map_or(0, |h| h.size());
                    let run = attr
                        .payload()
                        .get(skip.next_multiple_of(4)..)
                        .unwrap_or(&[]);
                    keep(visit(nested, Attrs::new(run), depth + 1, read));
                }
            }
            _ => {}
        }
    }
    first
}

#[test]
fn every_set_of_the_dumps_parses_through_the_views() {
    let cases: [(&str, &Family); 5] = [
        ("rtnl-link-dump.bin", &rt_link::FAMILY),
        ("rtnl-addr-dump.bin", &rt_addr::FAMILY),
        ("rtnl-route-dump.bin", &rt_route::FAMILY),
        ("rtnl-neigh-dump.bin", &rt_neigh::FAMILY),
        ("genl-ctrl-family-dump.bin", &nlctrl::FAMILY),
    ];
    for (file, family) in cases {
        let bytes = dump(file);
        let mut read = 0;
        for (attrs, set) in runs(&bytes, family) {
            visit(set, attrs, 0, &mut read)
                .unwrap_or_else(|e| panic!("{file}: {e} in {}", set.name()));
        }
        println!("{file}: {read} values read through the views");
        assert!(read > 20, "{file}: only {read} values");
    }
}

/// What the plain walk finds of a link (the reference the view is checked
/// against).
#[derive(Debug, PartialEq)]
struct LinkSummary<'a> {
    ifname: Option<&'a [u8]>,
    mtu: Option<u32>,
    address: Option<&'a [u8]>,
    operstate: Option<u8>,
    master: Option<u32>,
    kind: Option<&'a [u8]>,
    rx_bytes: Option<u64>,
    tx_bytes: Option<u64>,
}

fn plain(attrs: Attrs<'_>) -> LinkSummary<'_> {
    let mut s = LinkSummary {
        ifname: None,
        mtu: None,
        address: None,
        operstate: None,
        master: None,
        kind: None,
        rx_bytes: None,
        tx_bytes: None,
    };
    for attr in attrs {
        let attr = attr.unwrap();
        match attr.kind() {
            rt_link::IFLA_IFNAME => s.ifname = Some(attr.bytes_str()),
            rt_link::IFLA_MTU => s.mtu = Some(attr.u32().unwrap()),
            rt_link::IFLA_ADDRESS => s.address = Some(attr.payload()),
            rt_link::IFLA_OPERSTATE => s.operstate = Some(attr.u8().unwrap()),
            rt_link::IFLA_MASTER => s.master = Some(attr.u32().unwrap()),
            rt_link::IFLA_LINKINFO => {
                let kind = attr.nested().lookup(rt_link::IFLA_INFO_KIND).unwrap();
                s.kind = kind.map(|k| k.bytes_str());
            }
            rt_link::IFLA_STATS64 => {
                let p = attr.payload();
                let word = |i: usize| u64::from_ne_bytes(p[i * 8..i * 8 + 8].try_into().unwrap());
                s.rx_bytes = Some(word(2));
                s.tx_bytes = Some(word(3));
            }
            _ => {}
        }
    }
    s
}

fn typed<'a>(link: &rt_link::LinkAttrs<'a>) -> LinkSummary<'a> {
    let info = link.linkinfo().unwrap();
    LinkSummary {
        ifname: link.ifname(),
        mtu: link.mtu(),
        address: link.address(),
        operstate: link.operstate(),
        master: link.master(),
        kind: info.and_then(|i| i.kind()),
        rx_bytes: link.stats64().map(|s| s.rx_bytes.get()),
        tx_bytes: link.stats64().map(|s| s.tx_bytes.get()),
    }
}

#[test]
fn every_link_reads_the_same_through_the_named_getters() {
    let bytes = dump("rtnl-link-dump.bin");
    let mut links = 0;
    let mut kinds = Vec::new();
    for (attrs, _) in runs(&bytes, &rt_link::FAMILY) {
        let link = rt_link::LinkAttrs::from_attrs(attrs.clone()).unwrap();
        let summary = typed(&link);
        assert_eq!(summary, plain(attrs));
        assert!(summary.ifname.is_some() && summary.mtu.is_some());
        assert!(summary.rx_bytes.is_some());
        if let Some(kind) = summary.kind {
            kinds.push(String::from_utf8_lossy(kind).into_owned());
        }
        // The raw view's generic accessor agrees with the named getter.
        let mtu_index = rt_link::SET_LINK_ATTRS
            .attrs()
            .iter()
            .position(|a| a.name() == "mtu")
            .unwrap();
        assert_eq!(
            link.raw().value(mtu_index),
            Some(Value::Unsigned(u64::from(summary.mtu.unwrap())))
        );
        // Unknown attributes are the ones the set does not name.
        for attr in link.unknown() {
            assert!(rt_link::SET_LINK_ATTRS.by_number(attr.kind()).is_none());
        }
        links += 1;
    }
    println!("{links} links, kinds {kinds:?}");
    assert!(links >= 2, "only {links} links");
}

#[test]
fn linkinfo_data_resolves_by_kind() {
    let bytes = dump("rtnl-link-dump.bin");
    let mut resolved = 0;
    for (attrs, _) in runs(&bytes, &rt_link::FAMILY) {
        let link = rt_link::LinkAttrs::from_attrs(attrs).unwrap();
        let Some(info) = link.linkinfo().unwrap() else {
            continue;
        };
        let Some(data) = info.data().unwrap() else {
            continue;
        };
        let kind = info.kind().unwrap();
        match (kind, data) {
            (b"bridge", rt_link::LinkinfoDataMsg::Bridge(bridge)) => {
                assert!(bridge.stp_state().is_some());
                resolved += 1;
            }
            (b"vlan", rt_link::LinkinfoDataMsg::Vlan(vlan)) => {
                assert!(vlan.id().is_some());
                resolved += 1;
            }
            (kind, data) => {
                let kind = std::str::from_utf8(kind).unwrap();
                let format = rt_link::SUB_LINKINFO_DATA_MSG.format(kind);
                let other = matches!(data, rt_link::LinkinfoDataMsg::Other(_));
                // `Other` exactly when the specification has no format
                // (veth, macvlan, vxlan here); bridge and vlan matched above.
                assert_eq!(other, format.is_none(), "{kind}: {data:?}");
                assert!(kind != "bridge" && kind != "vlan", "{kind}: {data:?}");
                resolved += usize::from(!other);
            }
        }
    }
    println!("{resolved} linkinfo data resolved by kind");
    assert!(resolved > 0);
}

fn octets(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

#[test]
fn addresses_routes_neighbours_and_families_read_typed() {
    let bytes = dump("rtnl-addr-dump.bin");
    let mut v4 = 0;
    for (attrs, _) in runs(&bytes, &rt_addr::FAMILY) {
        let addr = rt_addr::AddrAttrs::from_attrs(attrs.clone()).unwrap();
        let plain = attrs.lookup(rt_addr::IFA_ADDRESS).unwrap();
        assert_eq!(
            addr.address().map(octets),
            plain.map(|a| a.payload().to_vec())
        );
        assert!(addr.label().is_none() || addr.label().unwrap().len() < 16);
        if let Some(IpAddr::V4(_)) = addr.local() {
            v4 += 1;
        }
    }
    assert!(v4 > 0, "no IPv4 address read typed");

    let bytes = dump("rtnl-route-dump.bin");
    let mut tables = 0;
    for (attrs, _) in runs(&bytes, &rt_route::FAMILY) {
        let route = rt_route::RouteAttrs::from_attrs(attrs.clone()).unwrap();
        let plain = attrs.lookup(rt_route::RTA_TABLE).unwrap();
        assert_eq!(route.table(), plain.map(|a| a.u32().unwrap()));
        tables += usize::from(route.table().is_some());
    }
    assert!(tables > 0);

    let bytes = dump("rtnl-neigh-dump.bin");
    for (attrs, _) in runs(&bytes, &rt_neigh::FAMILY) {
        let neigh = rt_neigh::NeighbourAttrs::from_attrs(attrs.clone()).unwrap();
        let plain = attrs.lookup(rt_neigh::NDA_DST).unwrap();
        assert_eq!(neigh.dst().map(octets), plain.map(|a| a.payload().to_vec()));
    }

    let bytes = dump("genl-ctrl-family-dump.bin");
    let mut names = Vec::new();
    for (attrs, _) in runs(&bytes, &nlctrl::FAMILY) {
        let family = nlctrl::CtrlAttrs::from_attrs(attrs).unwrap();
        let name = String::from_utf8(family.family_name().unwrap().to_vec()).unwrap();
        assert!(family.family_id().is_some());
        for op in family.ops() {
            let (_, op) = op.unwrap();
            assert!(op.id().is_some());
        }
        for group in family.mcast_groups() {
            let (_, group) = group.unwrap();
            assert!(group.name().is_some());
        }
        names.push(name);
    }
    assert!(names.iter().any(|n| n == "nlctrl"), "{names:?}");
}

fn mtu_spec() -> &'static AttrSpec {
    rt_link::SET_LINK_ATTRS
        .by_number(rt_link::IFLA_MTU)
        .unwrap()
}

/// The slot of link-attrs' attribute `number` in its view.
fn link_index(number: u16) -> usize {
    rt_link::SET_LINK_ATTRS
        .attrs()
        .iter()
        .position(|s| s.number() == number)
        .unwrap()
}

#[test]
fn a_policy_violation_reads_as_none_and_is_an_error_when_checked() {
    // ifname, then an MTU of 2 bytes at offset 8.
    let run = [
        8, 0, 3, 0, b'l', b'o', 0, 0, //
        6, 0, 4, 0, 0xdc, 0x05, 0, 0,
    ];
    let link = rt_link::LinkAttrs::parse(&run).unwrap();
    assert_eq!(link.ifname(), Some(&b"lo"[..]));
    // Malformed: present, yet no value.
    assert_eq!(link.mtu(), None);
    assert_eq!(link.raw().value_of(mtu_spec()), None);
    assert!(link.raw().has(link_index(rt_link::IFLA_MTU)));
    // The strict ways say what and where, all three alike.
    let err = link.raw().check().unwrap_err();
    assert_eq!(
        rt_link::LinkAttrs::from_attrs_checked(Attrs::new(&run)).unwrap_err(),
        err
    );
    assert_eq!(
        RawView::<SLOTS>::parse_checked(&rt_link::SET_LINK_ATTRS, Attrs::new(&run)).unwrap_err(),
        err
    );
    assert_eq!(err.offset(), 8);
    assert_eq!(
        err.kind(),
        ErrorKind::Policy {
            attr_type: 4,
            violation: PolicyViolation::WrongSize {
                expected: 4,
                found: 2
            }
        }
    );
    // A name without its NUL breaks NLA_NUL_STRING; lazily it reads as
    // its bytes, as the plain walk's `bytes_str` does.
    let run = [6, 0, 3, 0, b'l', b'o', 0, 0];
    assert_eq!(
        rt_link::LinkAttrs::parse(&run).unwrap().ifname(),
        Some(&b"lo"[..])
    );
    let err = rt_link::LinkAttrs::from_attrs_checked(Attrs::new(&run)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Policy { attr_type: 3, .. }));
    // Framing: a length past the end is an error both ways, at the
    // attribute's offset.
    let run = [8, 0, 3, 0, b'l', b'o', 0, 0, 8, 0, 4, 0, 1, 0];
    let err = rt_link::LinkAttrs::parse(&run).unwrap_err();
    assert_eq!(err.offset(), 8);
    assert!(matches!(err.kind(), ErrorKind::LengthOverrun { .. }));
    assert_eq!(
        rt_link::LinkAttrs::from_attrs_checked(Attrs::new(&run)).unwrap_err(),
        err
    );
    // A malformed nest is an error when the nest is read, not before.
    let run = [8, 0, 18, 0, 9, 0, 1, 0];
    let link = rt_link::LinkAttrs::parse(&run).unwrap();
    assert!(link.raw().check().is_ok(), "nests are checked shallowly");
    assert_eq!(link.linkinfo().unwrap_err().offset(), 4);
    // Unknown numbers are kept, never an error.
    let run = [8, 0, 0x7f, 0x7f, 1, 2, 3, 4];
    let link = rt_link::LinkAttrs::parse(&run).unwrap();
    let unknown: Vec<_> = link.unknown().map(|a| a.kind()).collect();
    assert_eq!(unknown, [0x7f7f & 0x3fff]);
}

#[test]
fn keyed_writes_build_what_named_getters_read() {
    let mut buf = [0u8; 512];
    let mut batch = Builder::new(&mut buf);
    let mut m = batch
        .message(MessageType(16), Flags::REQUEST, 1, 0)
        .unwrap();
    {
        let mut link = rt_link::LinkAttrsWriter::new(&mut m);
        link.put(LinkAttrs::IFNAME, b"p\xe9")
            .unwrap()
            .put(LinkAttrs::MTU, 9000)
            .unwrap();
        link.put(LinkAttrs::ADDRESS, &[2, 0, 0, 0, 0, 1]).unwrap();
        let mut info = link.nest(LinkAttrs::LINKINFO).unwrap();
        info.put(LinkinfoAttrs::KIND, b"vlan").unwrap();
        let data = info.open(LinkinfoAttrs::DATA).unwrap();
        let mut vlan = rt_link::LinkinfoVlanAttrsWriter::new(data);
        vlan.put(VlanAttrs::ID, 42)
            .unwrap()
            .put(VlanAttrs::PROTOCOL, 0x8100)
            .unwrap();
        vlan.end().unwrap();
        info.end().unwrap();
    }
    let len = m.finish().unwrap();
    let message = Message::parse(&buf[..len]).unwrap();
    let (_, attrs) = message.split_family_header(0).unwrap();
    let link = rt_link::LinkAttrs::from_attrs(attrs).unwrap();
    assert_eq!(link.ifname(), Some(&b"p\xe9"[..]));
    assert_eq!(link.mtu(), Some(9000));
    assert_eq!(link.address(), Some(&[2, 0, 0, 0, 0, 1][..]));
    let info = link.linkinfo().unwrap().unwrap();
    assert_eq!(info.kind(), Some(&b"vlan"[..]));
    let linkinfo = link
        .raw()
        .attrs()
        .flatten()
        .find(|a| a.kind() == rt_link::IFLA_LINKINFO)
        .unwrap();
    assert_ne!(
        linkinfo.raw_type() & NLA_F_NESTED,
        0,
        "nests carry NLA_F_NESTED"
    );
    match info.data().unwrap() {
        Some(rt_link::LinkinfoDataMsg::Vlan(vlan)) => {
            assert_eq!(vlan.id(), Some(42));
            // `protocol` is big-endian: read and written as such.
            assert_eq!(vlan.protocol(), Some(0x8100));
            let at = rt_link::SET_LINKINFO_VLAN_ATTRS
                .attrs()
                .iter()
                .position(|a| a.name() == "protocol")
                .unwrap();
            let raw = vlan.raw().attr(at).unwrap();
            assert_eq!(raw.payload(), [0x81, 0x00]);
        }
        other => panic!("not a vlan: {other:?}"),
    }

    // IPv4 by display hint, through rt-addr.
    let mut buf = [0u8; 64];
    let mut batch = Builder::new(&mut buf);
    let mut m = batch
        .message(MessageType(20), Flags::REQUEST, 1, 0)
        .unwrap();
    let mut addr = rt_addr::AddrAttrsWriter::new(&mut m);
    addr.put(
        rt_addr::AddrAttrs::LOCAL,
        Ipv4Addr::new(192, 0, 2, 1).into(),
    )
    .unwrap();
    addr.end().unwrap();
    let len = m.finish().unwrap();
    let (_, attrs) = Message::parse(&buf[..len])
        .unwrap()
        .split_family_header(0)
        .unwrap();
    let addr = rt_addr::AddrAttrs::from_attrs(attrs).unwrap();
    assert_eq!(addr.local(), Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))));

    // Too small a buffer is an error, not a panic.
    let mut buf = [0u8; 24];
    let mut batch = Builder::new(&mut buf);
    let mut m = batch
        .message(MessageType(16), Flags::REQUEST, 1, 0)
        .unwrap();
    let mut link = rt_link::LinkAttrsWriter::new(&mut m);
    let err = link.put(LinkAttrs::IFNAME, b"a-long-name").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::BufferTooSmall { .. }));
}

/// A value for `spec` from `seed`, within the spec's policy; `None` for
/// what carries no value (pads, unused numbers).
fn value_for(spec: &AttrSpec, seed: u64, bytes: &[u8]) -> Option<Value<'static>> {
    let checks = spec.checks();
    let len = |default: usize| -> usize {
        let (min, max) = (
            checks.exact_len().or(checks.min_len()).unwrap_or(0) as usize,
            checks
                .exact_len()
                .or(checks.max_len())
                .map_or(default, |m| m as usize),
        );
        if max <= min {
            min
        } else {
            min + (seed as usize % (max - min + 1))
        }
    };
    let leak = |v: Vec<u8>| -> &'static [u8] { Box::leak(v.into_boxed_slice()) };
    Some(match spec.attr_type() {
        AttrType::Unused | AttrType::Pad => return None,
        AttrType::Flag => Value::Flag,
        AttrType::U8 => Value::Unsigned(seed & 0xff),
        AttrType::U16 => Value::Unsigned(seed & 0xffff),
        AttrType::U32 => Value::Unsigned(seed & 0xffff_ffff),
        AttrType::U64 | AttrType::Uint => Value::Unsigned(seed),
        AttrType::S8 => Value::Signed(seed as i8 as i64),
        AttrType::S16 => Value::Signed(seed as i16 as i64),
        AttrType::S32 => Value::Signed(seed as i32 as i64),
        AttrType::S64 | AttrType::Sint => Value::Signed(seed as i64),
        AttrType::Bitfield32 => Value::Bitfield32(procslink::families::view::Bitfield32 {
            value: seed as u32,
            selector: (seed >> 32) as u32,
        }),
        AttrType::String => {
            let n = len(15).max(1);
            let s: Vec<u8> = (0..n)
                .map(|i| 1 + bytes.get(i).copied().unwrap_or(7) % 255)
                .collect();
            Value::String(leak(s))
        }
        AttrType::Binary => {
            let n = match (spec.display_hint(), spec.structure()) {
                (DisplayHint::Ipv4, _) => 4,
                (DisplayHint::Ipv6, _) => 16,
                (DisplayHint::Ipv4OrV6, _) => [4, 16][seed as usize % 2],
                (_, Some(s)) if checks.exact_len().is_none() && checks.min_len().is_none() => {
                    s.size()
                }
                _ => len(24),
            };
            let b: Vec<u8> = (0..n)
                .map(|i| bytes.get(i).copied().unwrap_or(i as u8))
                .collect();
            Value::Bytes(leak(b))
        }
        // A run of one u32 attribute.
        AttrType::Nest
        | AttrType::IndexedArray
        | AttrType::NestTypeValue
        | AttrType::SubMessage => {
            let mut run = vec![8, 0, 1, 0];
            run.extend_from_slice(&(seed as u32).to_ne_bytes());
            Value::Nested(leak(run))
        }
    })
}

fn sets_of(families: &[&Family]) -> Vec<&'static AttrSet> {
    families
        .iter()
        .flat_map(|f| f.attr_sets().iter().copied())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every attribute set of six families: attributes written from the
    /// table by `put_value` read back equal through the view.
    #[test]
    fn typed_build_then_view_gives_back_every_attribute(
        seeds in proptest::collection::vec(any::<u64>(), 64),
        bytes in proptest::collection::vec(any::<u8>(), 32),
        present in any::<u64>(),
    ) {
        let families: [&Family; 6] = [
            &rt_link::FAMILY, &rt_addr::FAMILY, &rt_route::FAMILY, &rt_neigh::FAMILY,
            &ethtool::FAMILY, &nlctrl::FAMILY,
        ];
        let mut buf = vec![0u8; 1 << 16];
        let sets = sets_of(&families);
        prop_assert!(sets.len() > 100, "only {} sets", sets.len());
        for set in sets {
            let mut batch = Builder::new(&mut buf);
            let mut m = batch.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
            let mut written = Vec::new();
            for (i, spec) in set.attrs().iter().enumerate() {
                if present.rotate_left(i as u32) & 1 == 0 {
                    continue;
                }
                let seed = seeds[i % seeds.len()].rotate_left(i as u32);
                let Some(value) = value_for(spec, seed, &bytes) else { continue };
                put_value(&mut m, spec, value).unwrap();
                written.push((i, value));
            }
            let len = m.finish().unwrap();
            let message = Message::parse(&buf[..len]).unwrap();
            let (_, attrs) = message.split_family_header(0).unwrap();
            let view = RawView::<SLOTS>::parse_checked(set, attrs.clone())
                .unwrap_or_else(|e| panic!("{}:{}: {e}", set.family(), set.name()));
            let lazy = RawView::<SLOTS>::parse(set, attrs).unwrap();
            for (i, value) in written {
                prop_assert_eq!(view.value(i), Some(value), "{}:{} #{}", set.family(), set.name(), i);
                prop_assert_eq!(lazy.value(i), Some(value), "{}:{} #{}", set.family(), set.name(), i);
            }
            prop_assert_eq!(view.unknown().count(), 0);
        }
    }

    /// The keyed writes of rt-link's link-attrs, linkinfo and vlan data
    /// give back what the named getters read.
    #[test]
    fn keyed_writes_round_trip(
        name in proptest::collection::vec(1u8..=255, 1..=15),
        mtu in any::<u32>(),
        address in proptest::collection::vec(any::<u8>(), 6),
        master in any::<u32>(),
        operstate in any::<u8>(),
        carrier in any::<u8>(),
        id in any::<u16>(),
        protocol in any::<u16>(),
    ) {
        let mut buf = [0u8; 256];
        let mut batch = Builder::new(&mut buf);
        let mut m = batch.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
        let mut link = rt_link::LinkAttrsWriter::new(&mut m);
        link.put(LinkAttrs::IFNAME, &name).unwrap().put(LinkAttrs::MTU, mtu).unwrap();
        link.put(LinkAttrs::ADDRESS, &address).unwrap().put(LinkAttrs::MASTER, master).unwrap();
        link.put(LinkAttrs::OPERSTATE, operstate).unwrap().put(LinkAttrs::CARRIER, carrier).unwrap();
        let mut info = link.nest(LinkAttrs::LINKINFO).unwrap();
        info.put(LinkinfoAttrs::KIND, b"vlan").unwrap();
        let mut vlan = rt_link::LinkinfoVlanAttrsWriter::new(info.open(LinkinfoAttrs::DATA).unwrap());
        vlan.put(VlanAttrs::ID, id).unwrap().put(VlanAttrs::PROTOCOL, protocol).unwrap();
        vlan.end().unwrap();
        info.end().unwrap();
        link.end().unwrap();
        let len = m.finish().unwrap();
        let (_, attrs) = Message::parse(&buf[..len]).unwrap().split_family_header(0).unwrap();
        let link = rt_link::LinkAttrs::from_attrs(attrs).unwrap();
        prop_assert_eq!(link.ifname(), Some(&name[..]));
        prop_assert_eq!(link.mtu(), Some(mtu));
        prop_assert_eq!(link.address(), Some(&address[..]));
        prop_assert_eq!(link.master(), Some(master));
        prop_assert_eq!(link.operstate(), Some(operstate));
        prop_assert_eq!(link.carrier(), Some(carrier));
        prop_assert_eq!(link.unknown().count(), 0);
        let info = link.linkinfo().unwrap().unwrap();
        prop_assert_eq!(info.kind(), Some(&b"vlan"[..]));
        match info.data().unwrap() {
            Some(rt_link::LinkinfoDataMsg::Vlan(vlan)) => {
                prop_assert_eq!(vlan.id(), Some(id));
                prop_assert_eq!(vlan.protocol(), Some(protocol));
            }
            other => prop_assert!(false, "not a vlan: {:?}", other),
        }
    }

    /// Well-framed runs of attributes of any number and payload through
    /// every set of rt-link and ethtool, recursively, both ways
    /// ([`parse_both`]): the lazy view indexes every run and reads a value
    /// or `None`; the strict parse refuses exactly what `check` refuses.
    #[test]
    fn framed_runs_read_lazily_and_are_refused_strictly(
        attrs in proptest::collection::vec(
            (0u16..80, proptest::collection::vec(any::<u8>(), 0..24)),
            0..12,
        ),
    ) {
        let mut run = Vec::new();
        for (ty, payload) in &attrs {
            let len = u16::try_from(4 + payload.len()).unwrap();
            run.extend(len.to_ne_bytes());
            run.extend(ty.to_ne_bytes());
            run.extend(payload);
            run.resize(run.len().next_multiple_of(4), 0);
        }
        for set in sets_of(&[&rt_link::FAMILY, &ethtool::FAMILY]) {
            prop_assert!(RawView::<SLOTS>::parse(set, Attrs::new(&run)).is_ok());
            let _ = visit(set, Attrs::new(&run), 0, &mut 0);
        }
    }

    /// Any bytes through every set of rt-link and ethtool, recursively, and
    /// through the named rt-link getters: `Ok` or `Err`, never a panic.
    #[test]
    fn any_bytes_parse_or_fail_never_panic(run in proptest::collection::vec(any::<u8>(), 0..256)) {
        for set in sets_of(&[&rt_link::FAMILY, &ethtool::FAMILY]) {
            let mut read = 0;
            let _ = visit(set, Attrs::new(&run), 0, &mut read);
        }
        let strict = rt_link::LinkAttrs::from_attrs_checked(Attrs::new(&run));
        if let Ok(link) = rt_link::LinkAttrs::parse(&run) {
            let (mtu, address, stats) = (link.mtu(), link.address(), link.stats64());
            let _ = (link.ifname(), link.operstate(), link.master());
            // What the strict parse passes, every getter reads: `None` is
            // an absent attribute.
            prop_assert_eq!(strict.is_ok(), link.raw().check().is_ok());
            if strict.is_ok() {
                prop_assert_eq!(mtu.is_some(), link.raw().has(link_index(rt_link::IFLA_MTU)));
                prop_assert_eq!(address.is_some(), link.raw().has(link_index(rt_link::IFLA_ADDRESS)));
                prop_assert_eq!(stats.is_some(), link.raw().has(link_index(rt_link::IFLA_STATS64)));
            }
            let _ = link.af_spec();
            let _ = link.prop_list().map(|p| p.map(|p| p.alt_ifname().count()));
            if let Ok(Some(info)) = link.linkinfo() {
                let _ = info.data();
                let _ = info.slave_data();
            }
            let _ = link.vfinfo_list();
        }
    }
}

/// A sub-message format with a fixed header and attributes after it: tc's
/// `options` of a netem qdisc, chosen by `kind`.
#[cfg(feature = "family-tc")]
#[test]
fn tc_options_resolve_with_their_fixed_header() {
    use procslink::families::tc;

    let mut buf = [0u8; 256];
    let mut batch = Builder::new(&mut buf);
    let mut m = batch
        .message(MessageType(36), Flags::REQUEST, 1, 0)
        .unwrap();
    let mut attrs = tc::AttrsWriter::new(&mut m);
    attrs.put(tc::Attrs::KIND, b"netem").unwrap();
    let mut options = attrs.open(tc::Attrs::OPTIONS).unwrap();
    let mut qopt = tc::TcNetemQopt::default();
    qopt.limit.set(1000);
    qopt.loss.set(7);
    options.builder().family_header(&qopt).unwrap();
    let mut netem = tc::NetemAttrsWriter::new(options);
    netem
        .put(tc::NetemAttrs::ECN, 1)
        .unwrap()
        .put(tc::NetemAttrs::RATE64, 125_000_000)
        .unwrap();
    netem.end().unwrap();
    attrs.end().unwrap();
    let len = m.finish().unwrap();

    let (_, run) = Message::parse(&buf[..len])
        .unwrap()
        .split_family_header(0)
        .unwrap();
    let attrs = tc::Attrs::from_attrs(run).unwrap();
    assert_eq!(attrs.kind(), Some(&b"netem"[..]));
    match attrs.options().unwrap() {
        Some(tc::OptionsMsg::Netem(qopt, netem)) => {
            assert_eq!((qopt.limit.get(), qopt.loss.get()), (1000, 7));
            assert_eq!(netem.ecn(), Some(1));
            assert_eq!(netem.rate64(), Some(125_000_000));
        }
        other => panic!("not netem: {other:?}"),
    }

    // A kind the specification does not describe: the attribute as it is.
    let mut buf = [0u8; 64];
    let mut batch = Builder::new(&mut buf);
    let mut m = batch
        .message(MessageType(36), Flags::REQUEST, 1, 0)
        .unwrap();
    let mut attrs = tc::AttrsWriter::new(&mut m);
    attrs.put(tc::Attrs::KIND, b"no-such-qdisc").unwrap();
    let mut options = attrs.open(tc::Attrs::OPTIONS).unwrap();
    options.put(1, &5u32).unwrap();
    options.end().unwrap();
    attrs.end().unwrap();
    let len = m.finish().unwrap();
    let (_, run) = Message::parse(&buf[..len])
        .unwrap()
        .split_family_header(0)
        .unwrap();
    let attrs = tc::Attrs::from_attrs(run).unwrap();
    assert!(matches!(
        attrs.options().unwrap(),
        Some(tc::OptionsMsg::Other(_))
    ));
}

/// `levels` of tc's `ets-attrs` `quanta` (3), which nests `ets-attrs`
/// again, one inside the other.
#[cfg(feature = "family-tc")]
fn ets_nested(levels: usize) -> Vec<u8> {
    let mut run = Vec::new();
    for _ in 0..levels {
        let len = u16::try_from(4 + run.len()).expect("a nest fits its length");
        let mut outer = len.to_ne_bytes().to_vec();
        outer.extend_from_slice(&(3 | NLA_F_NESTED).to_ne_bytes());
        outer.extend_from_slice(&run);
        run = outer;
    }
    run
}

#[cfg(feature = "family-tc")]
#[test]
fn the_deep_check_follows_nests_as_deep_as_max_nesting_and_no_deeper() {
    use procslink::families::{tc, view::check_attrs_deep};
    use procslink::netlink::MAX_NESTING;

    let set = &tc::SET_ETS_ATTRS;
    assert_eq!(
        check_attrs_deep(set, Attrs::new(&ets_nested(MAX_NESTING))),
        Ok(())
    );
    let err = check_attrs_deep(set, Attrs::new(&ets_nested(MAX_NESTING + 1))).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::NestingTooDeep {
            max_depth: MAX_NESTING
        }
    );
    // The attribute that would have been followed one level too deep.
    assert_eq!(err.offset(), 4 * MAX_NESTING);
    // As deep as a message can nest: an error, not a stack overflow.
    let deepest = ets_nested(16_000);
    assert!(check_attrs_deep(set, Attrs::new(&deepest)).is_err());
    // The shallow check sees one well-formed nest.
    assert_eq!(
        procslink::families::view::check_attrs(set, Attrs::new(&deepest)),
        Ok(())
    );
}

/// `T` read from `bytes` gives back exactly its bytes (`IntoBytes`), a
/// payload shorter than the struct reads as `None`, and a longer one is
/// read from its head.
fn reads_back<T: ReadStruct + zerocopy::IntoBytes + zerocopy::Immutable>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    let size = size_of::<T>();
    let bytes = &bytes[..size + bytes.len() % 8];
    let Some(value) = T::read(bytes) else {
        return Err(TestCaseError::fail(std::any::type_name::<T>()));
    };
    prop_assert_eq!(value.as_bytes(), &bytes[..size]);
    prop_assert!(T::read(&bytes[..size - 1]).is_none());
    Ok(())
}

proptest! {
    /// The generated readers of attributes' structs, one of each kind of
    /// field: integers in both byte orders, `i8`, byte arrays, the padding
    /// C's alignment inserts, structs inside structs, and the largest.
    #[test]
    fn structs_read_by_value_hold_exactly_their_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 208..216),
    ) {
        reads_back::<rt_link::RtnlLinkStats64>(&bytes)?;
        reads_back::<rt_link::RtnlLinkStats>(&bytes)?;
        reads_back::<rt_link::RtnlLinkIfmap>(&bytes)?;
        reads_back::<rt_link::IflaGenevePortRange>(&bytes)?;
        reads_back::<rt_link::IflaVfGuid>(&bytes)?;
        reads_back::<rt_addr::IfaCacheinfo>(&bytes)?;
        reads_back::<rt_neigh::NdtStats>(&bytes)?;
        #[cfg(feature = "family-tc")]
        {
            use procslink::families::tc;
            reads_back::<tc::TcPolice>(&bytes)?;
            reads_back::<tc::TcU32Sel>(&bytes)?;
            reads_back::<tc::TcPeditSel>(&bytes)?;
            reads_back::<tc::GnetEstimator>(&bytes)?;
            reads_back::<tc::TcHtbOpt>(&bytes)?;
            // A header, viewed in place too: both reads agree.
            reads_back::<tc::TcSfqQoptV1>(&bytes)?;
            use zerocopy::FromBytes;
            let (in_place, _) = tc::TcSfqQoptV1::ref_from_prefix(&bytes).unwrap();
            let by_value = tc::TcSfqQoptV1::read(&bytes);
            prop_assert_eq!(Some(in_place), by_value.as_ref());
        }
        #[cfg(feature = "family-ovs-flow")]
        {
            use procslink::families::ovs_flow;
            reads_back::<ovs_flow::OvsKeyIpv6>(&bytes)?;
            reads_back::<ovs_flow::OvsKeyArp>(&bytes)?;
            reads_back::<ovs_flow::OvsActionAddMpls>(&bytes)?;
        }
    }
}
