//! Resolving generic netlink families by name (`netlink::genl::Family`):
//! the kernel's own answers in `tests/data`, built answers under proptest,
//! malformed ones, and (with `std`) the live controller.

mod common;

use proptest::prelude::*;

use procslink::netlink::genl::{
    self, CTRL_ATTR_MCAST_GRP_ID, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OP_FLAGS, CTRL_ATTR_OP_ID,
    Family, GenlMsgHdr, Group, Op, families_request, family_request,
};
use procslink::netlink::{Builder, Message, MessageType, Messages, flags::Flags};
use procslink::{ErrorKind, PolicyViolation};

/// A family as a test describes it.
#[derive(Clone, Debug, PartialEq)]
struct Described {
    id: u16,
    name: String,
    version: u32,
    max_attr: u32,
    ops: Vec<Op>,
    groups: Vec<(String, u32)>,
}

impl Described {
    fn of(family: &Family<'_>) -> Described {
        Described {
            id: family.id(),
            name: family.name().to_string(),
            version: family.version(),
            max_attr: family.max_attr(),
            ops: family.ops().map(Result::unwrap).collect(),
            groups: family
                .groups()
                .map(|g| g.map(|Group { name, id }| (name.to_string(), id)).unwrap())
                .collect(),
        }
    }

    /// The controller's `CTRL_CMD_NEWFAMILY` message for it.
    fn answer(&self) -> Vec<u8> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut b = Builder::new(&mut buf);
        let mut m = b.message(genl::GENL_ID_CTRL, Flags::empty(), 7, 0).unwrap();
        m.family_header(&GenlMsgHdr::new(genl::CTRL_CMD_NEWFAMILY, 2))
            .unwrap();
        m.put_str(genl::CTRL_ATTR_FAMILY_NAME, &self.name).unwrap();
        m.put_u16(genl::CTRL_ATTR_FAMILY_ID, self.id).unwrap();
        m.put_u32(genl::CTRL_ATTR_VERSION, self.version).unwrap();
        m.put_u32(genl::CTRL_ATTR_MAXATTR, self.max_attr).unwrap();
        m.put_u32(99, 1).unwrap(); // unknown: skipped
        let mut ops = m.nest(genl::CTRL_ATTR_OPS).unwrap();
        for (i, op) in self.ops.iter().enumerate() {
            let mut nest = ops.nest(i as u16 + 1).unwrap();
            nest.put_u32(CTRL_ATTR_OP_ID, op.id).unwrap();
            nest.put_u32(CTRL_ATTR_OP_FLAGS, op.flags).unwrap();
            nest.end().unwrap();
        }
        ops.end().unwrap();
        let mut groups = m.nest(genl::CTRL_ATTR_MCAST_GROUPS).unwrap();
        for (i, (name, id)) in self.groups.iter().enumerate() {
            let mut nest = groups.nest(i as u16 + 1).unwrap();
            nest.put_u32(CTRL_ATTR_MCAST_GRP_ID, *id).unwrap();
            nest.put_str(CTRL_ATTR_MCAST_GRP_NAME, name).unwrap();
            nest.end().unwrap();
        }
        groups.end().unwrap();
        let len = m.finish().unwrap();
        buf.truncate(len);
        buf
    }
}

fn described() -> impl Strategy<Value = Described> {
    (
        any::<u16>(),
        "[a-z0-9_]{1,15}",
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec((any::<u32>(), any::<u32>()), 0..12),
        prop::collection::vec(("[a-z_]{1,15}", any::<u32>()), 0..6),
    )
        .prop_map(|(id, name, version, max_attr, ops, groups)| Described {
            id,
            name,
            version,
            max_attr,
            ops: ops
                .into_iter()
                .map(|(id, flags)| Op { id, flags })
                .collect(),
            groups,
        })
}

proptest! {
    #[test]
    fn a_built_answer_parses_to_what_was_built(d in described()) {
        let answer = d.answer();
        let family = Family::parse(&Message::parse(&answer).unwrap()).unwrap();
        prop_assert_eq!(Described::of(&family), d.clone());
        for (name, id) in &d.groups {
            // The first group of that name, as `group` reads them.
            let first = d.groups.iter().find(|(n, _)| n == name).map(|(_, id)| *id);
            prop_assert_eq!(family.group(name).unwrap(), first);
            let _ = id;
        }
        prop_assert_eq!(family.group("NO SUCH GROUP").unwrap(), None);
    }

    #[test]
    fn a_request_carries_the_name_and_sequence(name in "[a-z0-9_]{1,40}", seq in any::<u32>()) {
        let mut buf = [0u8; 128];
        let len = family_request(&mut buf, seq, &name).unwrap();
        let message = Message::parse(&buf[..len]).unwrap();
        prop_assert_eq!(message.message_type(), genl::GENL_ID_CTRL);
        prop_assert_eq!(message.seq(), seq);
        prop_assert_eq!(message.flags(), Flags::REQUEST);
        let (header, attrs) = message.genl().unwrap();
        prop_assert_eq!(header.cmd, genl::CTRL_CMD_GETFAMILY);
        let attrs: Vec<_> = attrs.map(Result::unwrap).collect();
        prop_assert_eq!(attrs.len(), 1);
        prop_assert_eq!(attrs[0].kind(), genl::CTRL_ATTR_FAMILY_NAME);
        prop_assert_eq!(attrs[0].str().unwrap(), name.as_str());
        // Too small a buffer is an error, never a panic.
        for short in 0..len {
            let mut small = vec![0u8; short];
            let kind = family_request(&mut small, seq, &name).unwrap_err().kind();
            prop_assert!(matches!(kind, ErrorKind::BufferTooSmall { .. }), "{:?}", kind);
        }
    }

    #[test]
    fn any_bytes_parse_or_fail_inside_the_input(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for message in Messages::new(&bytes).flatten() {
            let end = message.offset() + message.header().len() as usize;
            match Family::parse(&message) {
                Ok(family) => {
                    for item in family.ops() {
                        if let Err(e) = item { prop_assert!(e.offset() <= end); }
                    }
                    for item in family.groups() {
                        if let Err(e) = item { prop_assert!(e.offset() <= end); }
                    }
                }
                Err(e) => prop_assert!(e.offset() <= end, "{e} past {end}"),
            }
        }
    }
}

#[test]
fn the_kernels_dump_describes_every_family() {
    let dump = common::read_corpus("genl-ctrl-family-dump.bin");
    let mut families = Vec::new();
    for message in Messages::new(&dump) {
        let message = message.unwrap();
        if message.message_type() == MessageType::DONE {
            continue;
        }
        families.push(Described::of(&Family::parse(&message).unwrap()));
    }
    // MANIFEST.md: 8 CTRL_CMD_NEWFAMILY messages.
    assert_eq!(families.len(), 8);
    let nlctrl = families
        .iter()
        .find(|f| f.name == "nlctrl")
        .expect("nlctrl");
    assert_eq!(nlctrl.id, genl::GENL_ID_CTRL.0);
    assert!(
        nlctrl
            .groups
            .iter()
            .any(|(name, id)| name == "notify" && *id == 0x10)
    );
    assert!(
        nlctrl
            .ops
            .iter()
            .any(|op| op.id == u32::from(genl::CTRL_CMD_GETFAMILY))
    );
    let mut names: Vec<_> = families.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), families.len(), "names are unique");
    assert!(families.iter().all(|f| f.id >= genl::GENL_ID_CTRL.0));
}

#[test]
fn malformed_answers_are_errors_at_their_bytes() {
    let good = Described {
        id: 0x20,
        name: "fam".into(),
        version: 1,
        max_attr: 3,
        ops: vec![Op { id: 1, flags: 2 }],
        groups: vec![("events".into(), 5)],
    }
    .answer();
    // Not the controller's message type.
    let mut other = good.clone();
    other[4..6].copy_from_slice(&0x21u16.to_ne_bytes());
    let e = Family::parse(&Message::parse(&other).unwrap()).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::UnexpectedType {
            expected: 0x10,
            found: 0x21
        }
    );
    assert_eq!(e.offset(), 0);
    // Not CTRL_CMD_NEWFAMILY.
    let mut getfamily = good.clone();
    getfamily[16] = genl::CTRL_CMD_GETFAMILY;
    let e = Family::parse(&Message::parse(&getfamily).unwrap()).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::UnexpectedType {
            expected: 1,
            found: 3
        }
    );
    assert_eq!(e.offset(), 16);
    // No id: the name comes first in `answer`, so renaming the id's type
    // (bytes 30..32: after nlmsghdr, genlmsghdr and the 12-byte name)
    // hides it.
    let mut no_id = good.clone();
    assert_eq!(
        u16::from_ne_bytes([no_id[30], no_id[31]]),
        genl::CTRL_ATTR_FAMILY_ID
    );
    no_id[30..32].copy_from_slice(&200u16.to_ne_bytes());
    let e = Family::parse(&Message::parse(&no_id).unwrap()).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Policy {
            attr_type: genl::CTRL_ATTR_FAMILY_ID,
            violation: PolicyViolation::Missing
        }
    );
    assert_eq!(e.offset(), good.len());
    // A name without its NUL.
    let mut unterminated = good.clone();
    unterminated[20 + 4 + 3] = b'x';
    let e = Family::parse(&Message::parse(&unterminated).unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotNulTerminated);
    assert_eq!(e.offset(), 20);
    // Every prefix of a good answer with its length fixed up: an error or a
    // family, never a panic.
    for cut in 20..good.len() {
        let mut short = good[..cut].to_vec();
        short[0..4].copy_from_slice(&(cut as u32).to_ne_bytes());
        if let Ok(message) = Message::parse(&short)
            && let Ok(family) = Family::parse(&message)
        {
            let _ = family.ops().count() + family.groups().count();
        }
    }
}

#[test]
fn a_group_without_its_id_is_an_error_at_its_nest() {
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(genl::GENL_ID_CTRL, Flags::empty(), 1, 0).unwrap();
    m.family_header(&GenlMsgHdr::new(genl::CTRL_CMD_NEWFAMILY, 2))
        .unwrap();
    m.put_u16(genl::CTRL_ATTR_FAMILY_ID, 0x30).unwrap();
    m.put_str(genl::CTRL_ATTR_FAMILY_NAME, "f").unwrap();
    let mut groups = m.nest(genl::CTRL_ATTR_MCAST_GROUPS).unwrap();
    let mut nest = groups.nest(1).unwrap();
    let nest_at = nest.offset();
    nest.put_str(CTRL_ATTR_MCAST_GRP_NAME, "g").unwrap();
    nest.end().unwrap();
    groups.end().unwrap();
    let len = m.finish().unwrap();
    let message = Message::parse(&buf[..len]).unwrap();
    let family = Family::parse(&message).unwrap();
    let e = family.group("g").unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Policy {
            attr_type: CTRL_ATTR_MCAST_GRP_ID,
            violation: PolicyViolation::Missing
        }
    );
    assert_eq!(e.offset(), nest_at);
    assert_eq!(family.ops().count(), 0);
}

#[test]
fn a_dump_request_asks_for_every_family() {
    let mut buf = [0u8; 20];
    assert_eq!(families_request(&mut buf, 9), Ok(20));
    let message = Message::parse(&buf).unwrap();
    assert!(message.flags().contains(Flags::REQUEST));
    assert_eq!(message.genl().unwrap().0.cmd, genl::CTRL_CMD_GETFAMILY);
    assert!(families_request(&mut [0u8; 19], 9).is_err());
}

/// Every family the running kernel has, resolved by name, answers with the
/// id and groups its dump gave.
#[cfg(feature = "std")]
#[test]
fn every_family_of_this_kernel_resolves_by_name() {
    use procslink::kernel::{KernelSocket, Protocol};

    let mut socket = match KernelSocket::open(Protocol::GENERIC) {
        Ok(s) => s,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("NOTICE: skipping: no NETLINK_GENERIC socket: {e}");
            return;
        }
        Err(e) => panic!("no NETLINK_GENERIC socket (CI=true: it must be available): {e}"),
    };
    let mut request = [0u8; 64];
    let len = families_request(&mut request, 0).unwrap();
    let mut dumped = Vec::new();
    {
        let mut dump = socket.dump(&request[..len]).unwrap();
        while let Some(message) = dump.next() {
            dumped.push(Described::of(&Family::parse(&message.unwrap()).unwrap()));
        }
    }
    assert!(dumped.iter().any(|f| f.name == "nlctrl"), "{dumped:?}");
    for family in &dumped {
        let len = family_request(&mut request, 0, &family.name).unwrap();
        let mut resolved = None;
        socket
            .request_with(&request[..len], |reply| {
                resolved = Some(Described::of(&Family::parse(reply).unwrap()));
            })
            .unwrap();
        let resolved = resolved.expect("the controller answers");
        assert_eq!(
            (resolved.id, &resolved.groups),
            (family.id, &family.groups),
            "{}",
            family.name
        );
    }
    let len = family_request(&mut request, 0, "no-such-family").unwrap();
    let e = socket.request(&request[..len]).unwrap_err();
    assert_eq!(e.errno(), Some(2), "{e}");
}
