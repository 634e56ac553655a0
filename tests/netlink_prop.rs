//! Property tests: build → parse gives back what was built, and any byte
//! string parses to values or to errors inside the input, never a panic.

use proptest::prelude::*;

use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::{
    AttrKind, AttrPolicy, AttrTable, Attrs, Builder, GenlMsgHdr, Message, MessageBuilder,
    MessageType, Messages, NLA_F_NESTED, NLA_MAX_PAYLOAD, Policy, flags::Flags,
};
use procslink::{Error, ErrorKind};

#[derive(Clone, Debug, PartialEq)]
enum Tree {
    Leaf(u16, Vec<u8>),
    Nest(u16, Vec<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = (0u16..0x3fff, prop::collection::vec(any::<u8>(), 0..40))
        .prop_map(|(t, p)| Tree::Leaf(t, p));
    leaf.prop_recursive(4, 48, 6, |inner| {
        (0u16..0x3fff, prop::collection::vec(inner, 0..6)).prop_map(|(t, c)| Tree::Nest(t, c))
    })
}

fn emit(m: &mut MessageBuilder<'_, '_>, trees: &[Tree]) -> Result<(), Error> {
    for t in trees {
        match t {
            Tree::Leaf(ty, payload) => m.put(*ty, payload)?,
            Tree::Nest(ty, children) => {
                let mut nest = m.nest(*ty | NLA_F_NESTED)?;
                emit(&mut nest, children)?;
                nest.end()?;
            }
        }
    }
    Ok(())
}

fn read(run: Attrs<'_>) -> Vec<Tree> {
    run.map(|a| {
        let a = a.expect("built attributes parse");
        if a.is_nested() {
            Tree::Nest(a.kind(), read(a.nested()))
        } else {
            Tree::Leaf(a.kind(), a.payload().to_vec())
        }
    })
    .collect()
}

#[derive(Clone, Debug)]
struct Msg {
    ty: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    family: Vec<u8>,
    attrs: Vec<Tree>,
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        (0usize..5).prop_map(|n| vec![0xa5u8; n * 4]),
        prop::collection::vec(tree(), 0..6),
    )
        .prop_map(|(ty, flags, seq, pid, family, attrs)| Msg {
            ty,
            flags,
            seq,
            pid,
            family,
            attrs,
        })
}

fn build(buf: &mut [u8], msgs: &[Msg]) -> Result<usize, Error> {
    let mut b = Builder::new(buf);
    for m in msgs {
        let mut mb = b.message(m.ty, Flags::from_bits_retain(m.flags), m.seq, m.pid)?;
        mb.put_bytes_raw(&m.family)?;
        emit(&mut mb, &m.attrs)?;
        mb.finish()?;
    }
    Ok(b.len())
}

fn walk_any(run: Attrs<'_>, len: usize, depth: usize) {
    for a in run {
        match a {
            Ok(a) => {
                assert!(a.offset() < len);
                let _ = (
                    a.u8(),
                    a.u16(),
                    a.u32_be(),
                    a.u64(),
                    a.i32(),
                    a.str(),
                    a.bytes_str(),
                    a.cstr(),
                    a.flag(),
                );
                if depth < 8 {
                    walk_any(a.nested(), len, depth + 1);
                }
            }
            Err(e) => assert!(e.offset() < len, "{e} outside {len}"),
        }
    }
}

static INNER: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U32),
    AttrPolicy::new(AttrKind::String).max_len(8),
]);
static OUTER: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8),
    AttrPolicy::new(AttrKind::Nested).nested(&INNER),
    AttrPolicy::new(AttrKind::Flag),
    AttrPolicy::new(AttrKind::Binary).min_len(2).max_len(6),
    AttrPolicy::new(AttrKind::Nested),
]);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn batches_round_trip(msgs in prop::collection::vec(msg(), 1..5)) {
        let mut buf = vec![0u8; 1 << 16];
        let len = build(&mut buf, &msgs).unwrap();
        let parsed: Vec<_> = Messages::new(&buf[..len]).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(parsed.len(), msgs.len());
        for (p, m) in parsed.iter().zip(&msgs) {
            let h = p.header();
            prop_assert_eq!((h.message_type().0, h.flags().bits(), h.seq(), h.pid()), (m.ty, m.flags, m.seq, m.pid));
            let (family, run) = p.split_family_header(m.family.len()).unwrap();
            prop_assert_eq!(family, &m.family[..]);
            prop_assert_eq!(read(run), m.attrs.clone());
        }
    }

    #[test]
    fn builder_never_writes_past_the_buffer(msgs in prop::collection::vec(msg(), 1..3), room in 0usize..600) {
        let mut big = vec![0u8; 1 << 16];
        let full = build(&mut big, &msgs).unwrap();
        let mut buf = vec![0x77u8; room + 64];
        match build(&mut buf[..room], &msgs) {
            Ok(len) => {
                prop_assert_eq!(len, full);
                prop_assert_eq!(&buf[..len], &big[..len]);
            }
            Err(e) => {
                let ErrorKind::BufferTooSmall { needed } = e.kind() else { panic!("{e}") };
                prop_assert!(needed > room && needed <= full);
                prop_assert!(full > room);
            }
        }
        prop_assert!(buf[room..].iter().all(|&b| b == 0x77));
    }

    #[test]
    fn integers_round_trip(a in any::<u8>(), b in any::<u16>(), c in any::<u32>(), d in any::<u64>(), e in any::<i64>(), s in "[^\0]{0,30}") {
        let mut buf = [0u8; 256];
        let mut bl = Builder::new(&mut buf);
        let mut m = bl.message(MessageType(20), Flags::REQUEST, 0, 0).unwrap();
        m.put_u8(1, a).unwrap();
        m.put_u16(2, b).unwrap();
        m.put_u32_be(3, c).unwrap();
        m.put_u64(4, d).unwrap();
        m.put_i64_be(5, e).unwrap();
        m.put_str(6, &s).unwrap();
        m.put_flag(7).unwrap();
        m.finish().unwrap();
        let msg = Message::parse(&buf).unwrap();
        let tb = AttrTable::<8>::index(msg.split_family_header(0).unwrap().1).unwrap();
        prop_assert_eq!(tb.get(1).unwrap().u8().unwrap(), a);
        prop_assert_eq!(tb.get(2).unwrap().u16().unwrap(), b);
        prop_assert_eq!(tb.get(3).unwrap().u32().unwrap(), c);
        prop_assert_eq!(tb.get(3).unwrap().u32_be().unwrap(), c);
        prop_assert_eq!(tb.get(4).unwrap().u64().unwrap(), d);
        prop_assert_eq!(tb.get(5).unwrap().i64().unwrap(), e);
        prop_assert_eq!(tb.get(6).unwrap().str().unwrap(), s.as_str());
        prop_assert!(tb.get(7).unwrap().flag().is_ok());
        prop_assert!(tb.get(2).unwrap().u32().is_err());
    }

    #[test]
    fn any_bytes_parse_or_fail_inside_the_input(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let len = bytes.len();
        let mut count = 0;
        for m in Messages::new(&bytes) {
            count += 1;
            prop_assert!(count <= len / 16 + 1);
            match m {
                Ok(m) => {
                    prop_assert!(m.offset() < len);
                    for protocol in [Protocol::Route, Protocol::Generic, Protocol::Other] {
                        let _ = format!("{:#}", protocol.display(&m));
                    }
                    match m.error() {
                        Ok(e) => {
                            if let Some(bad) = e.ext_ack().malformed() { prop_assert!(bad.offset() < len, "{}", bad); }
                            if let Some(Err(bad)) = e.ext_ack().message() { prop_assert!(bad.offset() < len, "{}", bad); }
                        }
                        Err(e) => prop_assert!(e.offset() < len, "{}", e),
                    }
                    match m.done() {
                        Ok(d) => {
                            if let Some(bad) = d.ext_ack().malformed() { prop_assert!(bad.offset() < len, "{}", bad); }
                        }
                        Err(e) => prop_assert!(e.offset() < len, "{}", e),
                    }
                    if let Ok((_, run)) = m.family_header::<GenlMsgHdr>() {
                        walk_any(run.clone(), len, 0);
                        if let Err(e) = AttrTable::<8>::parse(run.clone(), &OUTER) { prop_assert!(e.offset() < len, "{}", e); }
                        if let Err(e) = OUTER.validate(run) { prop_assert!(e.offset() < len, "{}", e); }
                    }
                }
                Err(e) => prop_assert!(e.offset() < len, "{}", e),
            }
        }
        walk_any(Attrs::new(&bytes), len, 0);
    }

    #[test]
    fn mutated_messages_fail_inside_the_input(msgs in prop::collection::vec(msg(), 1..3), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut buf = vec![0u8; 1 << 16];
        let len = build(&mut buf, &msgs).unwrap();
        buf.truncate(len);
        let i = at.index(len);
        buf[i] = byte;
        buf.truncate(cut.index(len + 1).max(1));
        let len = buf.len();
        for m in Messages::new(&buf) {
            match m {
                Ok(m) => walk_any(m.split_family_header(0).unwrap().1, len, 0),
                Err(e) => prop_assert!(e.offset() < len, "{}", e),
            }
        }
    }
}

/// Reads back what `Escaped`'s `{:?}` wrote: the quoted text, `\xNN` for
/// bytes that are not UTF-8, and the escapes for control characters.
fn unescape(shown: &str) -> Vec<u8> {
    let inner = shown
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("quoted");
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut utf8 = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        match chars.next().expect("an escape") {
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("two hex digits"));
            }
            'u' => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let c = char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap();
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
            other => panic!("unknown escape {other:?} in {shown}"),
        }
    }
    out
}

/// An `NLMSG_ERROR` built from its parts with the generic builder: errno,
/// the request's header, `echo` bytes of its payload, flags, and
/// extended-ack attributes (a message text and a bad-attribute offset).
fn error_reply(
    buf: &mut [u8],
    errno: i32,
    request_len: u32,
    echo: &[u8],
    flags: procslink::netlink::flags::AckFlags,
    text: Option<&[u8]>,
    offs: Option<u32>,
) -> usize {
    let mut b = Builder::new(buf);
    let mut m = b.message(MessageType::ERROR, flags.into(), 3, 0).unwrap();
    m.put_bytes_raw(&errno.to_ne_bytes()).unwrap();
    let request = procslink::netlink::NlMsgHdr::new(request_len, 16, 5, 9, 1);
    m.put_bytes_raw(zerocopy::IntoBytes::as_bytes(&request))
        .unwrap();
    m.put_bytes_raw(echo).unwrap();
    if let Some(text) = text {
        m.put(procslink::netlink::NLMSGERR_ATTR_MSG, text).unwrap();
    }
    if let Some(offs) = offs {
        m.put_u32(procslink::netlink::NLMSGERR_ATTR_OFFS, offs)
            .unwrap();
    }
    m.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes but NUL are a name: written with or without a NUL, read
    /// back whole by `bytes_str`, by `cstr` when terminated, accepted by the
    /// kernel's string policies, and shown escaped so as to read back.
    #[test]
    fn byte_strings_round_trip(name in prop::collection::vec(1u8..=255, 0..40)) {
        let mut buf = [0u8; 256];
        let mut b = Builder::new(&mut buf);
        let mut m = b.message(MessageType(16), Flags::REQUEST, 0, 0).unwrap();
        let terminated = [name.as_slice(), &[0]].concat();
        m.put(1, &terminated).unwrap();
        m.put(2, &name).unwrap();
        let len = m.finish().unwrap();
        let msg = Message::parse(&buf[..len]).unwrap();
        let (_, run) = msg.split_family_header(0).unwrap();
        let tb = AttrTable::<3>::index(run.clone()).unwrap();
        let (with, without) = (tb.get(1).unwrap(), tb.get(2).unwrap());
        prop_assert_eq!(with.bytes_str(), &name[..]);
        prop_assert_eq!(with.cstr().unwrap().to_bytes(), &name[..]);
        prop_assert_eq!(without.bytes_str(), &name[..]);
        prop_assert_eq!(without.cstr().unwrap_err().kind(), ErrorKind::NotNulTerminated);
        prop_assert_eq!(with.str().is_ok(), std::str::from_utf8(&name).is_ok());

        let max = name.len().max(1) as u16;
        let string = [AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::String).max_len(max), AttrPolicy::new(AttrKind::String).max_len(max)];
        let nul_string = [AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::NulString).max_len(max)];
        prop_assert_eq!(Policy::new(&string).validate(run.clone()).is_ok(), !name.is_empty());
        prop_assert!(Policy::new(&nul_string).validate(Attrs::new(&buf[16..16 + with.len()])).is_ok());
        let utf8 = [AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::NulString).utf8()];
        prop_assert_eq!(
            Policy::new(&utf8).validate(Attrs::new(&buf[16..16 + with.len()])).is_ok(),
            std::str::from_utf8(&name).is_ok()
        );

        let shown = format!("{:?}", Escaped(&name));
        prop_assert!(!shown.contains('\n'));
        prop_assert_eq!(unescape(&shown), name.clone());
    }

    /// Error replies built from their parts read back: the errno always,
    /// the echo when complete or capped, the extended ack's text as bytes
    /// whatever they are; a cut echo is truncated, never read as capped.
    #[test]
    fn error_replies_round_trip(
        errno in any::<i32>(),
        payload_len in 0usize..40,
        echoed in 0usize..40,
        capped in any::<bool>(),
        text in prop::option::of(prop::collection::vec(any::<u8>(), 0..30)),
        offs in prop::option::of(any::<u32>()),
    ) {
        use procslink::netlink::flags::AckFlags;
        let tlvs = text.is_some() || offs.is_some();
        // With attributes after it, a cut echo cannot be told from a whole
        // one by its length: only cut it where nothing follows.
        let echoed = match (capped, tlvs) {
            (true, _) => 0,
            (false, true) => payload_len,
            (false, false) => echoed.min(payload_len),
        };
        let mut flags = AckFlags::empty();
        if capped { flags |= AckFlags::CAPPED; }
        if tlvs { flags |= AckFlags::ACK_TLVS; }
        let echo: Vec<u8> = (0..echoed as u8).collect();
        let mut buf = [0u8; 256];
        let len = error_reply(&mut buf, errno, 16 + payload_len as u32, &echo, flags, text.as_deref(), offs);
        let msg = Message::parse(&buf[..len]).unwrap();
        // The builder pads the echo to 4 bytes: padding that covers the
        // request's payload reads as its last bytes.
        let complete = procslink::netlink::align(echoed) >= payload_len;
        let mut expected = echo.clone();
        expected.resize(payload_len.max(echoed), 0);
        let legacy = echoed == 0 && !tlvs;
        match msg.error() {
            Ok(e) => {
                prop_assert!(capped || complete || legacy);
                prop_assert_eq!(e.errno(), errno);
                prop_assert_eq!(e.is_capped(), capped || (legacy && !complete));
                if !e.is_capped() { prop_assert_eq!(e.request_payload(), &expected[..]); }
                let ack = e.ext_ack();
                let until_nul = text.as_deref().map(|t| t.split(|&b| b == 0).next().unwrap_or(&[]));
                prop_assert_eq!(ack.message_bytes(), until_nul);
                prop_assert_eq!(ack.bad_attr_offset(), offs);
                prop_assert_eq!(ack.malformed(), None);
                if let Some(t) = &text {
                    let strict = t.contains(&0) && std::str::from_utf8(until_nul.unwrap()).is_ok();
                    prop_assert_eq!(ack.message().unwrap().is_ok(), strict);
                }
            }
            Err(e) => {
                prop_assert!(!capped && !complete && !legacy);
                prop_assert_eq!(e.offset(), 36);
                let is_truncated = matches!(e.kind(), ErrorKind::Truncated { needed, .. } if needed == payload_len);
                prop_assert!(is_truncated, "{}", e);
            }
        }
    }
}

#[test]
fn zero_lengths_stop_instead_of_looping() {
    let zeros = [0u8; 64];
    let mut it = Messages::new(&zeros);
    let e = it.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LengthTooSmall { length: 0, min: 16 });
    assert!(it.next().is_none());
    let mut attrs = Attrs::new(&zeros);
    let e = attrs.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LengthTooSmall { length: 0, min: 4 });
    assert!(attrs.next().is_none());
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut buf = [0u8; 40];
    let mut b = Builder::new(&mut buf);
    b.message(MessageType::NOOP, Flags::empty(), 0, 0)
        .unwrap()
        .finish()
        .unwrap();
    b.message(MessageType::NOOP, Flags::empty(), 0, 0)
        .unwrap()
        .finish()
        .unwrap();
    let items: Vec<_> = Messages::new(&buf[..36]).collect();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[2].unwrap_err(),
        Error::new(
            ErrorKind::Truncated {
                needed: 16,
                available: 4
            },
            32
        )
    );
}

#[test]
fn oversized_payloads_are_refused_not_wrapped() {
    let mut buf = vec![0u8; 1 << 18];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 0, 0).unwrap();
    let big = vec![1u8; NLA_MAX_PAYLOAD + 1];
    let e = m.put(1, &big).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::TooLarge {
            size: 65532,
            max: 65531
        }
    );
    m.put(1, &big[..NLA_MAX_PAYLOAD]).unwrap();
    let mut nest = m.nest(2).unwrap();
    nest.put(1, &big[..40000]).unwrap();
    nest.put(1, &big[..40000]).unwrap();
    let e = nest.end().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }));
    let len = m.finish().unwrap();
    assert_eq!(len, 16 + 4 + NLA_MAX_PAYLOAD + 1);
    let msg = Message::parse(b.as_bytes()).unwrap();
    let attrs: Vec<_> = msg
        .split_family_header(0)
        .unwrap()
        .1
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].payload().len(), NLA_MAX_PAYLOAD);
}

#[test]
fn every_message_type_displays_without_panicking() {
    for ty in 0..=u16::MAX {
        let mut buf = [0u8; 20];
        let mut b = Builder::new(&mut buf);
        let mut m = b.message(MessageType(ty), Flags::all(), 1, 2).unwrap();
        m.put_bytes_raw(&[0, 0, 0, 0]).unwrap();
        m.finish().unwrap();
        let msg = Message::parse(&buf).unwrap();
        for protocol in [Protocol::Route, Protocol::Generic, Protocol::Other] {
            let shown = format!("{:#}", protocol.display(&msg));
            assert!(!shown.is_empty());
            let _ = protocol.type_name(MessageType(ty));
            let _ = protocol.request_kind(MessageType(ty));
            let _ = protocol.family_header(MessageType(ty));
        }
    }
}

#[test]
fn acks_of_kernels_before_4_12_read_as_capped() {
    // errno 0, flags 0 (no NLM_F_CAPPED), the echoed header of a 40-byte
    // request and none of its payload: what kernels before 4.12 send.
    let request = procslink::netlink::NlMsgHdr::new(40, 16, 5, 77, 1234);
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(MessageType::ERROR, Flags::empty(), 77, 0)
        .unwrap();
    m.put_bytes_raw(&0i32.to_ne_bytes()).unwrap();
    m.put_bytes_raw(zerocopy::IntoBytes::as_bytes(&request))
        .unwrap();
    m.finish().unwrap();
    let ack = Message::parse(b.as_bytes()).unwrap().error().unwrap();
    assert!(ack.is_ack());
    assert!(ack.is_capped());
    assert!(ack.request_payload().is_empty());
    assert_eq!(ack.request().seq(), 77);

    // With NLM_F_ACK_TLVS the layout is the modern one: a missing echo is
    // truncated, since the attributes could not be placed.
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let flags = Flags::from(procslink::netlink::flags::AckFlags::ACK_TLVS);
    let mut m = b.message(MessageType::ERROR, flags, 77, 0).unwrap();
    m.put_bytes_raw(&(-22i32).to_ne_bytes()).unwrap();
    m.put_bytes_raw(zerocopy::IntoBytes::as_bytes(&request))
        .unwrap();
    m.finish().unwrap();
    let err = Message::parse(b.as_bytes()).unwrap().error().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Truncated {
            needed: 24,
            available: 0
        }
    );
    assert_eq!(err.offset(), 16 + 4 + 16);
}

#[test]
fn required_attributes_above_type_63_are_enforced() {
    static ENTRIES: [AttrPolicy<'static>; 71] = {
        let mut e = [AttrPolicy::UNSPEC; 71];
        e[70] = AttrPolicy::new(AttrKind::U32).required();
        e
    };
    static WIDE: Policy = Policy::new(&ENTRIES);
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u32(1, 7).unwrap();
    m.finish().unwrap();
    let msg = Message::parse(b.as_bytes()).unwrap();
    let (_, run) = msg.split_family_header(0).unwrap();
    let missing = ErrorKind::Policy {
        attr_type: 70,
        violation: procslink::PolicyViolation::Missing,
    };
    assert_eq!(WIDE.validate(run.clone()).unwrap_err().kind(), missing);
    assert_eq!(
        AttrTable::<8>::parse(run.clone(), &WIDE)
            .unwrap_err()
            .kind(),
        missing
    );

    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u32(70, 7).unwrap();
    m.finish().unwrap();
    let msg = Message::parse(b.as_bytes()).unwrap();
    let (_, run) = msg.split_family_header(0).unwrap();
    assert!(WIDE.validate(run.clone()).is_ok());
    let tb = AttrTable::<8>::parse(run, &WIDE).unwrap();
    assert!(
        tb.get(70).is_none(),
        "type 70 is checked but not stored in 8 slots"
    );
}
