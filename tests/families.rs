//! The generated family tables against real kernel dumps, and their lookups.
//!
//! Every attribute of the project's kernel dumps (`tests/data/*.bin`) is
//! looked up in the tables, nests by their nested set, arrays entry by
//! entry, sub-messages by their selector: none may be missing where the
//! specification describes the set, and every message passes the deep
//! policy check.
#![cfg(all(
    feature = "family-rt-link",
    feature = "family-rt-addr",
    feature = "family-rt-route",
    feature = "family-rt-neigh",
    feature = "family-nlctrl"
))]

use procslink::families::{
    self, AttrSet, AttrType, ByteOrder, DisplayHint, Family, Protocol, nlctrl, rt_addr, rt_link,
    rt_neigh, rt_route,
};
use procslink::netlink::{
    AttrKind, AttrTable, Attrs, Builder, GenlMsgHdr, Message, MessageType, Messages, Policy,
    flags::Flags, genl,
};
use proptest::prelude::*;

#[derive(Default, Debug)]
struct Walk {
    named: usize,
    unnamed: Vec<String>,
    sub_messages: usize,
    unresolved_sub_messages: Vec<String>,
    /// Selector values the specification has no format for.
    undescribed: Vec<String>,
    /// Messages whose attributes break their specs' policies, nests
    /// included (`check_attrs_deep`).
    violations: Vec<String>,
}

fn walk(attrs: Attrs<'_>, set: &AttrSet, out: &mut Walk, depth: usize) {
    assert!(depth < 16, "nesting too deep in {}", set.name());
    for attr in attrs.clone() {
        let attr = attr.expect("well-formed attributes");
        let Some(spec) = set.by_number(attr.kind()) else {
            out.unnamed
                .push(format!("{}:{} #{}", set.family(), set.name(), attr.kind()));
            continue;
        };
        out.named += 1;
        match (spec.attr_type(), spec.nested()) {
            (AttrType::Nest, Some(nested)) => walk(attr.nested(), nested, out, depth + 1),
            (AttrType::IndexedArray, nested) => {
                for entry in attr.nested() {
                    let entry = entry.expect("well-formed array entry");
                    if let (Some(AttrType::Nest), Some(nested)) = (spec.sub_type(), nested) {
                        walk(entry.nested(), nested, out, depth + 1);
                    }
                }
            }
            (AttrType::NestTypeValue, Some(nested)) => {
                for entry in attr.nested() {
                    walk(entry.expect("entry").nested(), nested, out, depth + 1);
                }
            }
            (AttrType::SubMessage, _) => match set.sub_message_format(spec, attrs.clone()) {
                Some(format) => {
                    out.sub_messages += 1;
                    let skip = format.fixed_header().map_or(0, |h| h.size());
                    if let (Some(nested), Some(run)) =
                        (format.attr_set(), attr.payload().get(skip..))
                    {
                        walk(Attrs::new(run), nested, out, depth + 1);
                    }
                }
                None => {
                    // Only where the specification has no format for the
                    // selector's value (rt-link describes no veth, macvlan
                    // or vxlan data).
                    let selector = set.by_name(spec.selector().unwrap()).unwrap();
                    let value = attrs
                        .clone()
                        .flatten()
                        .find(|a| a.kind() == selector.number())
                        .and_then(|a| a.str().ok())
                        .expect("a string selector");
                    let sub = spec.sub_message().unwrap();
                    if sub.format(value).is_some() {
                        out.unresolved_sub_messages.push(format!(
                            "{}:{} {value}",
                            set.name(),
                            spec.name()
                        ));
                    } else if !out.undescribed.iter().any(|v| v == value) {
                        out.undescribed.push(value.to_string());
                    }
                }
            },
            _ => {}
        }
    }
}

fn walk_dump(file: &str, family: &Family) -> (usize, Walk) {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let dump = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let genl = matches!(family.protocol(), Protocol::Genetlink { .. });
    let mut out = Walk::default();
    let mut messages = 0;
    for message in Messages::new(&dump) {
        let message = message.expect("well-formed message");
        let ty = message.header().message_type();
        if ty.is_done() {
            break;
        }
        let (value, offset) = if genl {
            let (hdr, _) = message.family_header::<GenlMsgHdr>().expect("genlmsghdr");
            (u16::from(hdr.cmd), 4)
        } else {
            (ty.0, 0)
        };
        let op = family
            .operation_by_reply(value)
            .unwrap_or_else(|| panic!("{file}: no operation replies with {value}"));
        let set = op.attr_set().expect("the operation's attribute set");
        let header = offset + op.fixed_header().map_or(0, |h| h.size());
        let (_, attrs) = message.split_family_header(header).expect("header");
        if let Err(e) = families::view::check_attrs_deep(set, attrs.clone()) {
            out.violations
                .push(format!("{file} message {messages}: {e}"));
        }
        walk(attrs, set, &mut out, 0);
        messages += 1;
    }
    (messages, out)
}

#[test]
fn dumps_decode_with_every_attribute_named() {
    let cases: [(&str, &Family); 5] = [
        ("rtnl-link-dump.bin", &rt_link::FAMILY),
        ("rtnl-addr-dump.bin", &rt_addr::FAMILY),
        ("rtnl-route-dump.bin", &rt_route::FAMILY),
        ("rtnl-neigh-dump.bin", &rt_neigh::FAMILY),
        ("genl-ctrl-family-dump.bin", &nlctrl::FAMILY),
    ];
    let mut failures = Vec::new();
    for (file, family) in cases {
        let (messages, walk) = walk_dump(file, family);
        println!(
            "{file}: {messages} messages, {} attributes named, {} unnamed, {} sub-messages resolved, kinds without a format: {:?}",
            walk.named,
            walk.unnamed.len(),
            walk.sub_messages,
            walk.undescribed
        );
        assert!(messages > 0 && walk.named > 0, "{file}: nothing walked");
        if !walk.unnamed.is_empty() || !walk.unresolved_sub_messages.is_empty() {
            failures.push(format!(
                "{file}: unnamed {:?}, unresolved sub-messages {:?}",
                walk.unnamed, walk.unresolved_sub_messages
            ));
        }
        // What the kernel sent passes its own specification's policies,
        // every nest and sub-message followed.
        failures.extend(walk.violations);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn link_dump_reaches_linkinfo_data_by_kind() {
    let (_, walk) = walk_dump("rtnl-link-dump.bin", &rt_link::FAMILY);
    // The dump's namespace holds bridge, veth, macvlan and vxlan links.
    assert!(walk.sub_messages > 0);
    let linkinfo = rt_link::SET_LINKINFO_ATTRS.by_name("data").unwrap();
    assert_eq!(linkinfo.selector(), Some("kind"));
    let sub = linkinfo.sub_message().unwrap();
    let bridge = sub.format("bridge").unwrap();
    assert_eq!(bridge.attr_set().unwrap().name(), "linkinfo-bridge-attrs");
    assert!(sub.format("no-such-kind").is_none());
}

#[test]
fn c_names_follow_the_name_prefix_rules() {
    // A set's `name-prefix`.
    assert_eq!(rt_link::IFLA_IFNAME, 3);
    // The kernel's numbers (linux/if_link.h, if_addr.h, rtnetlink.h,
    // neighbour.h), written out as an independent check.
    assert_eq!(rt_link::IFLA_LINKINFO, 18);
    assert_eq!(rt_link::IFLA_INFO_KIND, 1);
    assert_eq!(rt_addr::IFA_LOCAL, 2);
    assert_eq!(rt_route::RTA_TABLE, 15);
    assert_eq!(rt_neigh::NDA_LLADDR, 2);
    assert_eq!(nlctrl::CTRL_ATTR_FAMILY_NAME, genl::CTRL_ATTR_FAMILY_NAME);
    assert_eq!(nlctrl::CTRL_ATTR_MCAST_GROUPS, genl::CTRL_ATTR_MCAST_GROUPS);
    // Operations: raw message types and genl commands.
    assert_eq!(rt_link::RTM_NEWLINK.0, 16);
    assert_eq!(rt_link::RTM_GETLINK.0, 18);
    assert_eq!(rt_route::RTM_GETROUTE.0, 26);
    assert_eq!(nlctrl::CTRL_CMD_GETFAMILY, genl::CTRL_CMD_GETFAMILY);
    // Names are the table's too.
    let set = &rt_link::SET_LINK_ATTRS;
    let ifname = set.by_number(3).unwrap();
    assert_eq!((ifname.name(), ifname.c_name()), ("ifname", "IFLA_IFNAME"));
    assert_eq!(ifname.attr_type(), AttrType::String);
    assert_eq!(set.by_name("mtu").unwrap().number(), 4);
    assert_eq!(set.by_c_name("IFLA_MTU").unwrap().name(), "mtu");
    // Generic netlink: the family's name and version.
    assert_eq!(nlctrl::FAMILY.name(), "nlctrl");
    assert!(matches!(
        nlctrl::FAMILY.protocol(),
        Protocol::Genetlink { name: "nlctrl", .. }
    ));
    assert_eq!(
        rt_link::FAMILY.protocol(),
        Protocol::NetlinkRaw { protonum: 0 }
    );
}

#[test]
fn attributes_carry_types_orders_hints_and_checks() {
    let addr = &rt_addr::SET_ADDR_ATTRS;
    let broadcast = addr.by_name("broadcast").unwrap();
    assert_eq!(broadcast.byte_order(), ByteOrder::Big);
    assert_eq!(broadcast.display_hint(), DisplayHint::Ipv4);
    let cacheinfo = addr.by_name("cacheinfo").unwrap();
    assert_eq!(cacheinfo.structure().unwrap().name(), "ifa-cacheinfo");
    assert_eq!(cacheinfo.structure().unwrap().size(), 16);
    let flags = addr.by_name("flags").unwrap();
    assert!(flags.enumeration().unwrap().is_flags());
    assert_eq!(
        rt_link::SET_LINK_ATTRS
            .by_name("address")
            .unwrap()
            .display_hint(),
        DisplayHint::Mac
    );
    // nlctrl's ops: an indexed array of nests.
    let ops = nlctrl::SET_CTRL_ATTRS.by_name("ops").unwrap();
    assert_eq!(ops.attr_type(), AttrType::IndexedArray);
    assert_eq!(ops.sub_type(), Some(AttrType::Nest));
    assert_eq!(ops.nested().unwrap().name(), "op-attrs");
    // Sets refer to each other, cycles included, through statics.
    let linkinfo = rt_link::SET_LINK_ATTRS.by_name("linkinfo").unwrap();
    assert_eq!(linkinfo.nested().unwrap().name(), "linkinfo-attrs");
}

#[test]
fn fixed_headers_are_generated_with_c_layouts() {
    use procslink::zerocopy::IntoBytes;
    assert_eq!(size_of::<rt_link::Ifinfomsg>(), 16);
    assert_eq!(size_of::<rt_addr::Ifaddrmsg>(), 8);
    assert_eq!(size_of::<rt_route::Rtmsg>(), 12);
    assert_eq!(size_of::<rt_neigh::Ndmsg>(), 12);
    assert_eq!(rt_link::STRUCT_IFINFOMSG.size(), 16);
    // The bytes of `struct ifinfomsg` as the kernel lays it out.
    let mut generated = rt_link::Ifinfomsg::default();
    generated.ifi_index.set(7);
    generated.ifi_flags.set(rt_link::IFF_UP);
    let mut c = [0u8; 16];
    c[4..8].copy_from_slice(&7i32.to_ne_bytes());
    c[8..12].copy_from_slice(&1u32.to_ne_bytes());
    assert_eq!(generated.as_bytes(), c);
    let index = rt_link::STRUCT_IFINFOMSG
        .members()
        .iter()
        .find(|m| m.name() == "ifi-index")
        .unwrap();
    assert_eq!((index.offset(), index.len()), (4, 4));
}

#[test]
fn struct_members_carry_their_enums_and_display_hints() {
    let member = |s: &'static families::StructSpec, name: &str| {
        s.members().iter().find(|m| m.name() == name).unwrap()
    };
    let flags = member(&rt_link::STRUCT_IFINFOMSG, "ifi-flags");
    assert_eq!(flags.enumeration(), Some(&rt_link::ENUM_IFINFO_FLAGS));
    assert!(flags.enumeration().unwrap().is_flags());
    let ty = member(&rt_route::STRUCT_RTMSG, "rtm-type");
    assert_eq!(ty.enumeration().and_then(|e| e.name_of(1)), Some("unicast"));
    assert_eq!(
        member(&rt_route::STRUCT_RTMSG, "rtm-table").enumeration(),
        None
    );
    let state = member(&rt_neigh::STRUCT_NDMSG, "ndm-state");
    assert_eq!(state.enumeration(), Some(&rt_neigh::ENUM_NUD_STATE));
    let addr = member(&rt_link::STRUCT_IFLA_BRIDGE_ID, "addr");
    assert_eq!(addr.display_hint(), DisplayHint::Mac);
    assert_eq!(
        member(&rt_link::STRUCT_IFLA_BRIDGE_ID, "prio").display_hint(),
        DisplayHint::None
    );
}

#[test]
fn enums_convert_and_name_themselves() {
    // `netkit-policy`: `forward`, then `blackhole` with an explicit value 2.
    let blackhole = rt_link::NetkitPolicy::try_from(2).unwrap();
    assert_eq!(blackhole, rt_link::NetkitPolicy::Blackhole);
    assert_eq!(blackhole.name(), "blackhole");
    assert_eq!(blackhole.c_name(), "RT_LINK_NETKIT_POLICY_BLACKHOLE");
    assert_eq!(
        u32::from(blackhole),
        rt_link::RT_LINK_NETKIT_POLICY_BLACKHOLE
    );
    assert_eq!(rt_link::NetkitPolicy::Forward as u32, 0);
    assert_eq!(
        rt_link::NetkitPolicy::try_from(1),
        Err(families::UnknownValue(1))
    );
    let spec = rt_link::FAMILY.enumeration("netkit-policy").unwrap();
    assert_eq!(spec.name_of(2), Some("blackhole"));
    assert_eq!(spec.value_of("forward"), Some(0));
    assert_eq!(spec.name_of(1 << 40), None);
}

#[test]
fn flags_are_bitflags_with_spec_names() {
    let flags = rt_link::IfinfoFlags::UP | rt_link::IfinfoFlags::LOOPBACK;
    assert_eq!(flags.bits(), rt_link::IFF_UP | rt_link::IFF_LOOPBACK);
    assert_eq!(flags.bits(), 0x1 | 0x8);
    assert_eq!(rt_link::IFF_RUNNING, 0x40);
    assert_eq!(rt_link::IfinfoFlags::SPEC.name_of(0x40), Some("running"));
    assert!(rt_link::IfinfoFlags::SPEC.is_flags());
    // Flags counted from bit 0: `secondary` is 0x1.
    assert_eq!(rt_addr::IfaFlags::SECONDARY.bits(), 1);
    assert_eq!(rt_addr::IFA_F_SECONDARY, 1);
}

#[test]
fn policies_come_from_the_specs_checks() {
    // Build a link message and check it against policies from the tables.
    let set = &rt_link::SET_LINK_ATTRS;
    let mut entries = [procslink::netlink::AttrPolicy::UNSPEC; 64];
    for spec in set.attrs() {
        if let Some(slot) = entries.get_mut(spec.number() as usize) {
            *slot = spec.policy();
        }
    }
    assert_eq!(entries[3].kind(), AttrKind::NulString);
    assert_eq!(entries[4].kind(), AttrKind::U32);
    let policy = Policy::new(&entries);
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.family_header(&rt_link::Ifinfomsg::default()).unwrap();
    m.put_str(rt_link::IFLA_IFNAME, "eth0").unwrap();
    m.put_u32(rt_link::IFLA_MTU, 1500).unwrap();
    m.finish().unwrap();
    let (_, attrs) = Message::parse(&buf)
        .unwrap()
        .split_family_header(16)
        .unwrap();
    let table = AttrTable::<64>::parse(attrs, &policy).unwrap();
    assert_eq!(table.get(rt_link::IFLA_MTU).unwrap().u32().unwrap(), 1500);
    // A u32 of two bytes breaks the generated policy.
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.family_header(&rt_link::Ifinfomsg::default()).unwrap();
    m.put_u16(rt_link::IFLA_MTU, 1500).unwrap();
    m.finish().unwrap();
    let (_, attrs) = Message::parse(&buf)
        .unwrap()
        .split_family_header(16)
        .unwrap();
    assert!(AttrTable::<64>::parse(attrs, &policy).is_err());
}

#[test]
fn every_table_is_sorted_and_consistent() {
    assert!(
        families::FAMILIES
            .windows(2)
            .all(|w| w[0].name() < w[1].name())
    );
    for family in families::FAMILIES {
        assert_eq!(
            families::family(family.name()).unwrap().name(),
            family.name()
        );
        let sets = family.attr_sets();
        assert!(sets.windows(2).all(|w| w[0].name() < w[1].name()));
        for set in sets {
            assert_eq!(family.attr_set(set.name()).unwrap().name(), set.name());
            assert_eq!(set.family(), family.name());
            assert!(
                set.attrs()
                    .windows(2)
                    .all(|w| w[0].number() < w[1].number())
            );
            for attr in set.attrs() {
                assert_eq!(set.by_number(attr.number()).unwrap().name(), attr.name());
                let by_name = set.by_name(attr.name()).unwrap();
                assert_eq!(by_name.number(), attr.number(), "{}", attr.name());
                let _ = attr.policy();
                if let Some(sub) = attr.sub_message() {
                    assert!(
                        sub.formats()
                            .windows(2)
                            .all(|w| w[0].value() < w[1].value())
                    );
                    for format in sub.formats() {
                        assert_eq!(sub.format(format.value()).unwrap().value(), format.value());
                    }
                }
            }
        }
        for e in family.enums() {
            assert_eq!(family.enumeration(e.name()).unwrap().name(), e.name());
        }
        for s in family.structs() {
            assert_eq!(family.structure(s.name()).unwrap().name(), s.name());
            let end = s.members().iter().map(|m| m.offset() + m.len()).max();
            assert!(end.unwrap_or(0) <= s.size(), "{}", s.name());
        }
    }
    assert!(families::family("no-such-family").is_none());
}

proptest! {
    #[test]
    fn lookups_never_panic(number in any::<u16>(), value in any::<u64>(), name in ".{0,24}") {
        for family in families::FAMILIES {
            let _ = family.attr_set(&name);
            let _ = family.enumeration(&name);
            let _ = family.structure(&name);
            let _ = family.operation(&name);
            let _ = family.operation_by_request(number);
            let _ = family.operation_by_reply(number);
            for set in family.attr_sets() {
                let _ = set.by_number(number);
                let _ = set.by_name(&name);
                let _ = set.by_c_name(&name);
            }
            for e in family.enums() {
                let _ = e.name_of(value);
                let _ = e.value_of(&name);
            }
            for sub in family.sub_messages() {
                let _ = sub.format(&name);
            }
        }
        let _ = families::family(&name);
        let _ = rt_link::NetkitPolicy::try_from(value as u32);
    }

    #[test]
    fn sub_message_selection_never_panics(run in proptest::collection::vec(any::<u8>(), 0..64)) {
        let set = &rt_link::SET_LINKINFO_ATTRS;
        for spec in set.attrs() {
            let _ = set.sub_message_format(spec, Attrs::new(&run));
        }
    }
}

/// A spec string is the kernel's `NLA_NUL_STRING`; an `unterminated-ok` one
/// its `NLA_STRING`; both limits count the string without its NUL, as the
/// kernel's policies generated from the same specs do.
#[cfg(feature = "family-team")]
#[test]
fn string_policies_follow_the_kernels_generated_ones() {
    use procslink::families::team;
    let name = team::SET_ATTR_OPTION
        .by_number(team::TEAM_ATTR_OPTION_NAME)
        .unwrap();
    assert!(name.checks().unterminated_ok());
    let policy = name.policy();
    assert_eq!(policy.kind(), AttrKind::String);
    let entries = [
        procslink::netlink::AttrPolicy::UNSPEC,
        policy,
        procslink::netlink::AttrPolicy::UNSPEC,
    ];
    let check = |payload: &[u8]| {
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
        m.put(team::TEAM_ATTR_OPTION_NAME, payload).unwrap();
        m.finish().unwrap();
        let len = b.len();
        let message = Message::parse(&buf[..len]).unwrap();
        let (_, attrs) = message.split_family_header(0).unwrap();
        Policy::new(&entries).validate(attrs).is_ok()
    };
    assert!(check(&[b'a'; 32]), "32 bytes without a NUL");
    assert!(
        check(&[[b'a'; 32].as_slice(), b"\0"].concat()),
        "32 and a NUL"
    );
    assert!(!check(&[b'a'; 33]), "33 bytes");

    // ifname carries no `unterminated-ok`: its NUL is required.
    let ifname = rt_link::SET_LINK_ATTRS
        .by_number(rt_link::IFLA_IFNAME)
        .unwrap();
    assert_eq!(ifname.policy().kind(), AttrKind::NulString);
}
