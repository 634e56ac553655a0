//! One test per trap a hostile review found in the netlink codec: each
//! failed before its fix.
//!
//! The live test (a link with a non-UTF-8 name in a fresh network
//! namespace) needs `ip`, network namespaces and the `cli` feature; where
//! they are unavailable it prints a notice and passes, unless `CI` is
//! `true`: then it fails, so that CI cannot silently test nothing.
#![cfg(feature = "family-rt-link")]

use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::flags::{AckFlags, Flags};
use procslink::netlink::{
    Attr, AttrIndex, AttrKind, AttrPolicy, AttrTable, Attrs, Builder, ExtAck, Message, MessageType,
    NLA_TYPE_MASK, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NlMsgHdr, Policy, align,
};
use procslink::{ErrorKind, PolicyViolation};
use zerocopy::IntoBytes;

const EINVAL: i32 = 22;

/// Builds one message of type `ty` with `flags` whose payload is written by
/// `body`; returns its bytes.
fn message(
    ty: MessageType,
    flags: Flags,
    body: impl FnOnce(&mut procslink::netlink::MessageBuilder<'_, '_>) -> Result<(), procslink::Error>,
) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(ty, flags, 7, 0).unwrap();
    body(&mut m).unwrap();
    let len = m.finish().unwrap();
    buf.truncate(len);
    buf
}

/// An `NLMSG_ERROR` for a request of `request_len` bytes, echoing
/// `echoed` bytes of its payload, then `tlvs` raw.
fn error_reply(flags: AckFlags, request_len: u32, echoed: usize, tlvs: &[u8]) -> Vec<u8> {
    message(MessageType::ERROR, flags.into(), |m| {
        m.put_bytes_raw(&(-EINVAL).to_ne_bytes())?;
        m.put_bytes_raw(NlMsgHdr::new(request_len, 16, 5, 7, 99).as_bytes())?;
        if echoed > 0 {
            m.put_bytes_raw(&vec![0xab; echoed])?;
        }
        if !tlvs.is_empty() {
            m.put_bytes_raw(tlvs)?;
        }
        Ok(())
    })
}

/// One attribute's bytes, padded.
fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(align(out.len()), 0);
    out
}

#[test]
fn trap1_caller_offsets_near_usize_max_never_overflow() {
    let run = [attr(1, &attr(2, &[1, 2, 3, 4])), vec![9, 0]].concat();
    for offset in [usize::MAX, usize::MAX - 1, usize::MAX - 4, usize::MAX - 17] {
        // Every item, the error at the end included, and every nested run.
        let items: Vec<_> = Attrs::with_offset(&run, offset).collect();
        assert_eq!(items.len(), 2);
        let outer = items[0].unwrap();
        assert_eq!(outer.offset(), offset);
        let inner = outer.nested().next().unwrap().unwrap();
        assert_eq!(inner.offset(), offset.saturating_add(4));
        assert_eq!(items[1].unwrap_err().offset(), offset.saturating_add(12));
        let mut attrs = Attrs::with_offset(&run, offset);
        let _ = attrs.next();
        let _ = attrs.offset();
        let _ = attrs.next();
        let _ = attrs.offset();
        let _ = Attrs::with_offset(&run, offset).lookup(1);

        let from_parts = Attr::from_parts(1, &run, offset);
        let _: Vec<_> = from_parts.nested().collect();
        let _ = (from_parts.u32(), from_parts.str(), from_parts.cstr());

        // Policies, tables and extended acks report offsets from the same
        // start, including for a missing required attribute.
        static INNER: Policy = Policy::new(&[AttrPolicy::UNSPEC, AttrPolicy::UNSPEC]);
        static REQUIRED: Policy = Policy::new(&[
            AttrPolicy::UNSPEC,
            AttrPolicy::new(AttrKind::Nested).nested(&INNER),
            AttrPolicy::new(AttrKind::U8).required(),
        ]);
        let clean = attr(1, &attr(2, &[1, 2, 3, 4]));
        let e = REQUIRED
            .validate(Attrs::with_offset(&clean, offset))
            .unwrap_err();
        assert_eq!(e.offset(), offset);
        let _ = AttrTable::<4>::parse(Attrs::with_offset(&run, offset), &REQUIRED);
        let mut slots = [None; 4];
        let _ = AttrIndex::parse(&mut slots, Attrs::with_offset(&run, offset), &REQUIRED);
        let ack = ExtAck::parse(Attrs::with_offset(&run, offset));
        assert!(ack.malformed().is_some());
    }
    assert_eq!(align(usize::MAX), usize::MAX & !3);
}

#[test]
fn trap2_names_are_bytes_and_string_policies_match_the_kernel() {
    // A link dump entry named `p\xe9`, as the kernel sends one.
    let msg = message(rt_link::RTM_NEWLINK, Flags::MULTI, |m| {
        m.family_header(&Ifinfomsg::default())?;
        m.put(rt_link::IFLA_IFNAME, b"p\xe9\0")?;
        let mut info = m.nest(rt_link::IFLA_LINKINFO)?;
        info.put(rt_link::IFLA_INFO_KIND, b"v\xffeth\0")?;
        info.end()
    });
    let parsed = Message::parse(&msg).unwrap();
    let (_, attrs) = parsed.family_header::<Ifinfomsg>().unwrap();
    let name = attrs.clone().lookup(rt_link::IFLA_IFNAME).unwrap().unwrap();
    assert_eq!(name.bytes_str(), b"p\xe9");
    assert_eq!(name.cstr().unwrap().to_bytes(), b"p\xe9");
    assert_eq!(name.str().unwrap_err().kind(), ErrorKind::InvalidUtf8);
    assert_eq!(format!("{:?}", Escaped(name.bytes_str())), r#""p\xe9""#);

    // The kernel's IFLA_IFNAME policy is NLA_STRING with len IFNAMSIZ - 1.
    static INFO: Policy = Policy::new(&[AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::String)]);
    static LINK: Policy = Policy::new(&[
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::new(AttrKind::String).max_len(15).required(),
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::UNSPEC,
        AttrPolicy::new(AttrKind::Nested).nested(&INFO),
    ]);
    let tb = AttrTable::<19>::parse(attrs.clone(), &LINK).unwrap();
    assert_eq!(tb.get(rt_link::IFLA_IFNAME).unwrap().bytes_str(), b"p\xe9");

    // The kernel's NLA_STRING and NLA_NUL_STRING, case by case: a payload,
    // max_len, and what String and NulString say about it.
    let long15 = [b'a'; 15];
    let long16 = [b'a'; 16];
    type Case<'a> = (
        &'a [u8],
        u16,
        Option<PolicyViolation>,
        Option<PolicyViolation>,
    );
    let cases: &[Case<'_>] = &[
        (b"eth0\0", 15, None, None),
        (b"eth0", 15, None, Some(PolicyViolation::NotNulTerminated)),
        (b"p\xe9\0", 15, None, None),
        (b"n\xff\xfe\0", 15, None, None),
        (
            b"",
            15,
            Some(PolicyViolation::TooShort { length: 0, min: 1 }),
            Some(PolicyViolation::TooShort { length: 0, min: 1 }),
        ),
        (b"\0", 15, None, None),
        (&[long15.as_slice(), b"\0"].concat(), 15, None, None),
        (&long15, 15, None, Some(PolicyViolation::NotNulTerminated)),
        (
            &[long16.as_slice(), b"\0"].concat(),
            15,
            Some(PolicyViolation::TooLong {
                length: 16,
                max: 15,
            }),
            Some(PolicyViolation::TooLong {
                length: 16,
                max: 15,
            }),
        ),
        // One trailing NUL is not counted, padding NULs are.
        (
            b"abc\0\0\0",
            3,
            Some(PolicyViolation::TooLong { length: 5, max: 3 }),
            Some(PolicyViolation::TooLong { length: 5, max: 3 }),
        ),
        // A NUL inside: the kernel's NLA_NUL_STRING accepts it if within
        // max_len + 1 bytes; both read the string up to it.
        (b"ab\0cd", 5, None, None),
        (b"abcdef\0", 0, None, None),
    ];
    for &(payload, max, string, nul_string) in cases {
        for (kind, expected) in [
            (AttrKind::String, string),
            (AttrKind::NulString, nul_string),
        ] {
            let entries = [AttrPolicy::UNSPEC, AttrPolicy::new(kind).max_len(max)];
            let policy = Policy::new(&entries);
            let run = attr(1, payload);
            let got = policy.validate(Attrs::new(&run)).err().map(|e| e.kind());
            let want = expected.map(|violation| ErrorKind::Policy {
                attr_type: 1,
                violation,
            });
            assert_eq!(got, want, "{kind:?} max_len {max} payload {payload:?}");
        }
    }

    // UTF-8 is the caller's choice, for either kind.
    for kind in [AttrKind::String, AttrKind::NulString] {
        let entries = [AttrPolicy::UNSPEC, AttrPolicy::new(kind).utf8()];
        let policy = Policy::new(&entries);
        let bad = attr(1, b"p\xe9\0");
        assert_eq!(
            policy.validate(Attrs::new(&bad)).unwrap_err().kind(),
            ErrorKind::Policy {
                attr_type: 1,
                violation: PolicyViolation::InvalidUtf8
            }
        );
        // Only the string up to its NUL must be UTF-8.
        let good = attr(1, "café\0\u{ff}".as_bytes());
        policy.validate(Attrs::new(&good)).unwrap();
    }

    // The display module shows an error's non-UTF-8 text escaped.
    let tlvs = attr(NLMSGERR_ATTR_MSG, b"no link p\xe9\0");
    let reply = error_reply(AckFlags::CAPPED | AckFlags::ACK_TLVS, 16, 0, &tlvs);
    let reply = Message::parse(&reply).unwrap();
    let shown = format!("{:#}", Protocol::Route.display(&reply));
    assert!(shown.contains(r#""no link p\xe9""#), "{shown}");
    assert!(!shown.contains("malformed"), "{shown}");
}

#[test]
fn trap3_a_bad_extended_ack_text_never_hides_the_errno() {
    let flags = AckFlags::CAPPED | AckFlags::ACK_TLVS;
    let texts: [&[u8]; 4] = [
        b"bad \xff text\0", // not UTF-8
        b"no terminator",   // no NUL
        b"\xc3",            // neither
        b"fine\0",          // for comparison
    ];
    for text in texts {
        let tlvs = [
            attr(NLMSGERR_ATTR_MSG, text),
            attr(NLMSGERR_ATTR_OFFS, &[32, 0, 0, 0]),
        ]
        .concat();
        let reply = error_reply(flags, 16, 0, &tlvs);
        let reply = Message::parse(&reply).unwrap();
        let err = reply.error().unwrap();
        assert_eq!(err.errno(), -EINVAL);
        let ack = err.ext_ack();
        let until_nul = text.split(|&b| b == 0).next().unwrap();
        assert_eq!(ack.message_bytes(), Some(until_nul));
        assert_eq!(ack.bad_attr_offset(), Some(32));
        assert_eq!(ack.malformed(), None);
        match std::str::from_utf8(until_nul) {
            Ok(s) if text.contains(&0) => assert_eq!(ack.message(), Some(Ok(s))),
            _ => {
                let e = ack.message().unwrap().unwrap_err();
                assert_eq!(e.offset(), 16 + 4 + 16);
            }
        }
        // Shown escaped, with the errno.
        let shown = err.to_string();
        assert!(shown.starts_with("error -22 for seq 7: "), "{shown}");
        let escaped = format!("{:?}", Escaped(until_nul));
        assert!(shown.contains(&escaped), "{shown}");
    }

    // A known attribute of the wrong size, then garbage framing: reported,
    // and the errno and the attributes before them still read.
    let tlvs = [
        attr(NLMSGERR_ATTR_MSG, b"why\0"),
        attr(NLMSGERR_ATTR_OFFS, &[1, 2]),
        vec![0xff, 0xff, 1, 0],
    ]
    .concat();
    let reply = error_reply(flags, 16, 0, &tlvs);
    let err = Message::parse(&reply).unwrap().error().unwrap();
    assert_eq!(err.errno(), -EINVAL);
    assert_eq!(err.ext_ack().message(), Some(Ok("why")));
    assert_eq!(err.ext_ack().bad_attr_offset(), None);
    let bad = err.ext_ack().malformed().unwrap();
    assert_eq!(
        bad.kind(),
        ErrorKind::WrongSize {
            expected: 4,
            found: 2
        }
    );
    assert_eq!(bad.offset(), 36 + 8);

    // The same for NLMSG_DONE.
    let done = message(
        MessageType::DONE,
        Flags::from(AckFlags::ACK_TLVS) | Flags::MULTI,
        |m| {
            m.put_bytes_raw(&(-EINVAL).to_ne_bytes())?;
            m.put_bytes_raw(&attr(NLMSGERR_ATTR_MSG, b"\xfe\xfe"))?;
            m.put_bytes_raw(&[0xff, 0xff, 1, 0])
        },
    );
    let done = Message::parse(&done).unwrap().done().unwrap();
    assert_eq!(done.status(), -EINVAL);
    assert_eq!(done.ext_ack().message_bytes(), Some(&b"\xfe\xfe"[..]));
    assert!(done.ext_ack().message().unwrap().is_err());
    assert!(done.ext_ack().malformed().is_some());
    assert!(done.to_string().contains(r#""\xfe\xfe""#), "{done}");
}

#[test]
fn trap4_an_echo_cut_short_without_capped_is_truncated() {
    // A 40-byte request (24 bytes of payload) with only 10 of them echoed
    // and no NLM_F_CAPPED: bytes were lost, and it says where.
    for tlvs in [AckFlags::empty(), AckFlags::ACK_TLVS] {
        let reply = error_reply(tlvs, 40, 10, &[]);
        let e = Message::parse(&reply).unwrap().error().unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Truncated {
                needed: 24,
                available: 12
            },
            "{tlvs:?}"
        );
        assert_eq!(e.offset(), 16 + 4 + 16);
    }
    // NLM_F_CAPPED says the echo is the header alone.
    let capped = error_reply(AckFlags::CAPPED, 40, 0, &[]);
    let err = Message::parse(&capped).unwrap().error().unwrap();
    assert!(err.is_capped());
    assert!(err.request_payload().is_empty());
    // A pre-4.12 kernel's reply: the header alone, no flag, no extended ack.
    let legacy = error_reply(AckFlags::empty(), 40, 0, &[]);
    let err = Message::parse(&legacy).unwrap().error().unwrap();
    assert!(err.is_capped());
    // With extended-ack attributes expected, a missing echo is truncated.
    let tlv_reply = error_reply(AckFlags::ACK_TLVS, 40, 0, &[]);
    let e = Message::parse(&tlv_reply).unwrap().error().unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Truncated {
            needed: 24,
            available: 0
        }
    );
    // The whole echo reads as it is.
    let full = error_reply(AckFlags::empty(), 40, 24, &[]);
    let err = Message::parse(&full).unwrap().error().unwrap();
    assert!(!err.is_capped());
    assert_eq!(err.request_payload(), &[0xab; 24]);
}

#[test]
fn trap5_nests_are_tied_to_their_message() {
    // Nested nests close in order by construction.
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    let mut outer = m.nest(1).unwrap();
    outer.put_u32(2, 7).unwrap();
    let mut inner = outer.nest(3).unwrap();
    inner.put_u8(4, 1).unwrap();
    inner.end().unwrap();
    outer.end().unwrap();
    // A nest dropped without end is discarded: the message stays
    // well-formed.
    {
        let mut dropped = m.nest(5).unwrap();
        dropped.put_u32(6, 1).unwrap();
    }
    m.nest(8).unwrap().cancel();
    // A forgotten guard leaves an empty nest: still well-formed.
    std::mem::forget(m.nest(9).unwrap());
    m.put_u8(10, 1).unwrap();
    let len = m.finish().unwrap();
    let msg = Message::parse(&buf[..len]).unwrap();
    let (_, attrs) = msg.split_family_header(0).unwrap();
    let top: Vec<_> = attrs.map(Result::unwrap).collect();
    let kinds: Vec<_> = top.iter().map(|a| a.kind()).collect();
    assert_eq!(kinds, [1, 9, 10]);
    let nested: Vec<_> = top[0].nested().map(|a| a.unwrap().kind()).collect();
    assert_eq!(nested, [2, 3]);
    assert_eq!(top[0].nested().nth(1).unwrap().unwrap().len(), 4 + 8);

    // A message swapped in behind a nest's guard: the nest refuses to
    // close into it, and both messages parse.
    let (mut buf_a, mut buf_b) = ([0u8; 64], [0u8; 64]);
    let mut batch_a = Builder::new(&mut buf_a);
    let mut batch_b = Builder::new(&mut buf_b);
    let mut a = batch_a
        .message(MessageType(16), Flags::REQUEST, 1, 0)
        .unwrap();
    let mut b = batch_b
        .message(MessageType(16), Flags::REQUEST, 2, 0)
        .unwrap();
    b.put_u32(1, 1).unwrap();
    b.put_u32(2, 2).unwrap();
    let mut nest = a.nest(7).unwrap();
    nest.put_u32(3, 3).unwrap();
    std::mem::swap(&mut *nest, &mut b);
    let e = nest.end().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Misuse);
    // `a` now writes into buf_b, `b` into buf_a.
    let len_in_b = a.finish().unwrap();
    let len_in_a = b.finish().unwrap();
    assert_eq!(len_in_b, 16 + 16);
    assert_eq!(len_in_a, 16 + 4 + 8);
    for bytes in [&buf_b[..len_in_b], &buf_a[..len_in_a]] {
        let msg = Message::parse(bytes).unwrap();
        let (_, attrs) = msg.split_family_header(0).unwrap();
        for attr in attrs {
            attr.unwrap();
        }
    }
}

#[test]
fn trap6_a_caller_sized_table_holds_the_highest_attribute_type() {
    let run = [
        attr(1, &7u32.to_ne_bytes()),
        attr(300, b"x"),
        attr(NLA_TYPE_MASK, b"high"),
    ]
    .concat();
    static POLICY: Policy = Policy::new(&[AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::U32)]);

    // A fixed table reports what it could not store.
    let tb = AttrTable::<8>::parse(Attrs::new(&run), &POLICY).unwrap();
    assert_eq!(tb.get(1).unwrap().u32().unwrap(), 7);
    assert_eq!(tb.unstored().unwrap().kind(), 300);

    // Slots on the heap hold every type, on a thread whose stack could not
    // hold an AttrTable of that size (512 KiB).
    let run2 = run.clone();
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut slots = vec![None; NLA_TYPE_MASK as usize + 1];
            let tb = AttrIndex::parse(&mut slots, Attrs::new(&run2), &POLICY).unwrap();
            assert_eq!(tb.get(NLA_TYPE_MASK).unwrap().payload(), b"high");
            assert_eq!(tb.get(300).unwrap().payload(), b"x");
            assert!(tb.unstored().is_none());
            assert_eq!(tb.iter().count(), 3);
            // Reused for another run: the slots are cleared first.
            let other = attr(2, b"");
            let tb = AttrIndex::index(&mut slots, Attrs::new(&other)).unwrap();
            assert_eq!(tb.iter().map(|a| a.kind()).collect::<Vec<_>>(), [2]);
        })
        .unwrap();
    handle.join().unwrap();

    // A short slice reports the types beyond it.
    let mut few = [None; 2];
    let tb = AttrIndex::index(&mut few, Attrs::new(&run)).unwrap();
    assert_eq!(tb.unstored().unwrap().kind(), 300);
}

#[test]
fn trap7_an_empty_done_is_done_with_status_zero() {
    let done = message(MessageType::DONE, Flags::MULTI, |_| Ok(()));
    assert_eq!(done.len(), 16);
    let msg = Message::parse(&done).unwrap();
    let d = msg.done().unwrap();
    assert_eq!(d.status(), 0);
    assert!(d.ext_ack().is_empty());
    let shown = format!("{:#}", Protocol::Route.display(&msg));
    assert!(shown.contains("DONE status 0"), "{shown}");
    // Even with NLM_F_ACK_TLVS set.
    let done = message(MessageType::DONE, AckFlags::ACK_TLVS.into(), |_| Ok(()));
    assert_eq!(Message::parse(&done).unwrap().done().unwrap().status(), 0);
    // One to three bytes are still truncated.
    let short = message(MessageType::DONE, Flags::MULTI, |m| m.put_bytes_raw(&[0]));
    let mut short = short;
    short[..4].copy_from_slice(&17u32.to_ne_bytes());
    short.truncate(17);
    let e = Message::parse(&short).unwrap().done().unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Truncated {
            needed: 4,
            available: 1
        }
    );
}

/// The live test's verdict when something it needs is missing.
#[cfg(feature = "cli")]
fn unavailable(what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {what}; the non-UTF-8 link name test cannot run");
    }
    eprintln!("notice: skipping the non-UTF-8 link name test: {what}");
}

/// A network namespace that is deleted when dropped.
#[cfg(feature = "cli")]
struct Netns(String);

#[cfg(feature = "cli")]
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[cfg(feature = "cli")]
#[test]
fn trap2_live_a_link_with_a_non_utf8_name_is_dumped_and_read() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::process::Command;

    let ns = format!("procslink-traps-{}", std::process::id());
    match Command::new("ip").args(["netns", "add", &ns]).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return unavailable(&format!(
                "`ip netns add` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Err(e) => return unavailable(&format!("`ip` cannot be run: {e}")),
    }
    let ns = Netns(ns);
    let (name, peer): (&[u8], &[u8]) = (b"p\xe9", b"n\xff\xfe");
    let added = Command::new("ip")
        .args(["-n", &ns.0, "link", "add"])
        .arg(OsStr::from_bytes(name))
        .args(["type", "veth", "peer", "name"])
        .arg(OsStr::from_bytes(peer))
        .output()
        .expect("ip runs");
    if !added.status.success() {
        return unavailable(&format!(
            "cannot add a veth pair: {}",
            String::from_utf8_lossy(&added.stderr).trim()
        ));
    }

    let raw = std::env::temp_dir().join(format!("{}.bin", ns.0));
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(env!("CARGO_BIN_EXE_procslink"))
        .args(["dump", "link", "-d", "--raw"])
        .arg(&raw)
        .output()
        .expect("ip netns exec runs");
    let stdout = String::from_utf8(out.stdout).expect("the output is UTF-8");
    assert!(
        out.status.success(),
        "procslink dump link: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#"IFLA_IFNAME (3): "p\xe9""#), "{stdout}");
    assert!(
        stdout.contains(r#"IFLA_IFNAME (3): "n\xff\xfe""#),
        "{stdout}"
    );

    // The library reads the same bytes the kernel sent.
    let bytes = std::fs::read(&raw).expect("the raw dump was saved");
    let _ = std::fs::remove_file(&raw);
    let mut names = Vec::new();
    for msg in procslink::netlink::Messages::new(&bytes) {
        let msg = msg.unwrap();
        if msg.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let (_, attrs) = msg.family_header::<Ifinfomsg>().unwrap();
        let ifname = attrs.lookup(rt_link::IFLA_IFNAME).unwrap().unwrap();
        names.push(ifname.cstr().unwrap().to_bytes().to_vec());
    }
    assert!(names.iter().any(|n| n == name), "{names:?}");
    assert!(names.iter().any(|n| n == peer), "{names:?}");
}

#[cfg(feature = "cli")]
#[test]
fn trap2_cli_decode_prints_non_utf8_names_escaped() {
    let msg = message(rt_link::RTM_NEWLINK, Flags::MULTI, |m| {
        m.family_header(&Ifinfomsg::default())?;
        m.put(rt_link::IFLA_IFNAME, b"n\xff\xfe\0")
    });
    let tlvs = attr(NLMSGERR_ATTR_MSG, b"bad \xe9\0");
    let err = error_reply(AckFlags::CAPPED | AckFlags::ACK_TLVS, 16, 0, &tlvs);
    let input = [msg, err].concat();
    let file = std::env::temp_dir().join(format!("procslink-traps-{}.bin", std::process::id()));
    std::fs::write(&file, &input).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procslink"))
        .arg("decode")
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8(out.stdout).expect("the output is UTF-8");
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(r#"IFLA_IFNAME (3): "n\xff\xfe""#),
        "{stdout}"
    );
    assert!(stdout.contains(r#"extended ack: "bad \xe9""#), "{stdout}");
    assert!(stdout.contains("error -22"), "{stdout}");
}
