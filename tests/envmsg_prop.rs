//! Properties of the pyroute2 transport: build → parse round trips,
//! split → reassemble round trips, and that no mangled fragment sequence
//! ever yields a wrong message.

use procslink::envmsg::{
    ControlAttr, ControlCommand, ControlMessage, ControlRepr, EnvHeader, EnvMsgHdr, EnvMsgHdrId,
    EnvMsgHdrPorts, Envelope, EnvelopeFormat, EnvelopeRepr, FragmentHdr, Reassembler, Splitter,
    TransportFlags,
};
use procslink::netlink::{Attr, NLA_MAX_PAYLOAD};
use procslink::{Error, ErrorKind, FragmentViolation};
use proptest::prelude::*;

fn header() -> impl Strategy<Value = EnvHeader> {
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(d, s)| EnvHeader::Basic(EnvMsgHdr::new(d, s))),
        (any::<[u32; 4]>(), any::<u16>(), any::<u16>()).prop_map(|(a, ttl, r)| {
            let mut h = EnvMsgHdrPorts::new(a[0], a[1], a[2], a[3], ttl);
            h.reserved.set(r);
            EnvHeader::Ports(h)
        }),
        (
            any::<[u32; 4]>(),
            any::<u16>(),
            any::<u16>(),
            any::<[u8; 16]>()
        )
            .prop_map(|(a, ttl, r, id)| {
                let mut h = EnvMsgHdrId::new(a[0], a[1], a[2], a[3], ttl, id);
                h.reserved.set(r);
                EnvHeader::PortsId(h)
            }),
    ]
}

fn repr() -> impl Strategy<Value = EnvelopeRepr> {
    (header(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(|(header, f, seq, pid)| {
        EnvelopeRepr {
            header,
            flags: TransportFlags::from_bits_retain(f),
            seq,
            pid,
        }
    })
}

/// An owned control attribute, to generate and compare.
#[derive(Clone, Debug, PartialEq)]
enum Owned {
    Str(u16, String),
    Int(u16, u32),
    Key(u32, u32, u32),
    Unknown(u16, Vec<u8>),
}

fn owned_attr() -> impl Strategy<Value = Owned> {
    let text = "[^\u{0}]{0,40}";
    prop_oneof![
        (prop::sample::select(vec![0u16, 1, 2, 3, 4, 6, 9]), text)
            .prop_map(|(t, s)| Owned::Str(t, s)),
        (prop::sample::select(vec![5u16, 7, 10, 11]), any::<u32>())
            .prop_map(|(t, v)| Owned::Int(t, v)),
        any::<(u32, u32, u32)>().prop_map(|(a, b, c)| Owned::Key(a, b, c)),
        (12u16..0x3fff, prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(t, p)| Owned::Unknown(t, p)),
    ]
}

fn to_attr(o: &Owned) -> ControlAttr<'_> {
    match o {
        Owned::Str(t, s) => match t {
            0 => ControlAttr::Secret(s),
            1 => ControlAttr::Host(s),
            2 => ControlAttr::SslKey(s),
            3 => ControlAttr::SslCert(s),
            4 => ControlAttr::SslCa(s),
            6 => ControlAttr::Error(s),
            _ => ControlAttr::Uuid(s),
        },
        Owned::Int(t, v) => match t {
            5 => ControlAttr::Addr(*v),
            7 => ControlAttr::Cid(*v),
            10 => ControlAttr::Source(*v),
            _ => ControlAttr::Pid(*v),
        },
        Owned::Key(offset, key, mask) => ControlAttr::Key {
            offset: *offset,
            key: *key,
            mask: *mask,
        },
        Owned::Unknown(t, p) => ControlAttr::Unknown(Attr::from_parts(*t, p, 0)),
    }
}

/// Compares ignoring the offsets an `Unknown` carries.
fn same(a: &ControlAttr<'_>, b: &ControlAttr<'_>) -> bool {
    match (a, b) {
        (ControlAttr::Unknown(x), ControlAttr::Unknown(y)) => {
            x.raw_type() == y.raw_type() && x.payload() == y.payload()
        }
        _ => a == b,
    }
}

/// How to derive a sequence of fragment indices from the original order.
#[derive(Clone, Debug)]
enum Mangle {
    /// Indices picked at random.
    Picks(Vec<prop::sample::Index>),
    /// The original order edited: swap, drop, duplicate (`a` at `b`).
    Edits(Vec<(u8, prop::sample::Index, prop::sample::Index)>),
    /// The whole message twice, the second time edited.
    Replay(Vec<(u8, prop::sample::Index, prop::sample::Index)>),
}

impl Mangle {
    fn apply(&self, count: usize) -> Vec<usize> {
        let edit = |order: &mut Vec<usize>,
                    edits: &[(u8, prop::sample::Index, prop::sample::Index)]| {
            for (op, a, b) in edits {
                if order.is_empty() {
                    break;
                }
                let (i, j) = (a.index(order.len()), b.index(order.len()));
                match op % 3 {
                    0 => order.swap(i, j),
                    1 => {
                        order.remove(i);
                    }
                    _ => order.insert(j, order[i]),
                }
            }
        };
        match self {
            Mangle::Picks(p) => p.iter().map(|i| i.index(count)).collect(),
            Mangle::Edits(e) => {
                let mut order: Vec<usize> = (0..count).collect();
                edit(&mut order, e);
                order
            }
            Mangle::Replay(e) => {
                let mut again: Vec<usize> = (0..count).collect();
                edit(&mut again, e);
                (0..count).chain(again).collect()
            }
        }
    }
}

fn mangling() -> impl Strategy<Value = Mangle> {
    let edits = prop::collection::vec(
        any::<(u8, prop::sample::Index, prop::sample::Index)>(),
        0..4,
    );
    prop_oneof![
        prop::collection::vec(any::<prop::sample::Index>(), 1..30).prop_map(Mangle::Picks),
        edits.clone().prop_map(Mangle::Edits),
        edits.prop_map(Mangle::Replay),
    ]
}

/// Deterministic message bytes, cheaper than generating them one by one.
fn message(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Every fragment of `msg`, each as the bytes of one transport message.
fn fragments(msg: &[u8], repr: EnvelopeRepr, id: u32, max: usize) -> Vec<Vec<u8>> {
    let mut split = Splitter::new(msg, repr, id, max).unwrap();
    let mut out = Vec::with_capacity(split.count());
    let mut buf = vec![0u8; split.max_buffer_len()];
    while let Some(n) = split.next_into(&mut buf) {
        let n = n.unwrap();
        out.push(buf[..n].to_vec());
    }
    out
}

/// Pushes every frame; returns the messages completed and the errors.
fn feed(
    reasm: &mut Reassembler<'_>,
    frames: &[Vec<u8>],
    format: EnvelopeFormat,
) -> (Vec<Vec<u8>>, Vec<Error>) {
    let mut done = Vec::new();
    let mut errors = Vec::new();
    for frame in frames {
        let env = Envelope::parse(frame, format).unwrap();
        match reasm.push(&env) {
            Ok(Some(m)) => done.push(m.to_vec()),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (done, errors)
}

proptest! {
    #[test]
    fn envelope_round_trip(repr in repr(), data in prop::collection::vec(any::<u8>(), 0..300), extra in 0usize..8) {
        let len = repr.buffer_len(data.len());
        let mut buf = vec![0u8; len + extra];
        prop_assert_eq!(repr.emit(&data, &mut buf), Ok(len));
        let env = Envelope::parse(&buf, repr.header.format()).unwrap();
        prop_assert_eq!(env.repr(), repr);
        prop_assert_eq!(env.data(), &data[..]);
        prop_assert_eq!(env.message().header().len() as usize, len);
        prop_assert!(env.fragment().is_none());

        // Too small by any amount: refused, untouched.
        let short = len - 1 - extra % len.min(8);
        let mut small = vec![0xa5u8; short];
        prop_assert_eq!(
            repr.emit(&data, &mut small).unwrap_err().kind(),
            ErrorKind::BufferTooSmall { needed: len }
        );
        prop_assert!(small.iter().all(|&b| b == 0xa5));
    }

    #[test]
    fn fragment_envelope_round_trip(repr in repr(), data in prop::collection::vec(any::<u8>(), 0..100), f in any::<(u32, u32, u32, u16, u16, u32)>()) {
        let frag = FragmentHdr::new(f.0, f.1, f.2, f.3, f.4, f.5);
        let len = repr.fragment_buffer_len(data.len());
        let mut buf = vec![0u8; len];
        prop_assert_eq!(repr.emit_fragment(&data, &frag, &mut buf), Ok(len));
        let env = Envelope::parse(&buf, repr.header.format()).unwrap();
        prop_assert_eq!(env.repr(), repr);
        prop_assert_eq!(env.data(), &data[..]);
        prop_assert_eq!(env.fragment(), Some(&frag));
    }

    #[test]
    fn control_round_trip(
        envelope in repr(),
        command in any::<u8>(),
        version in any::<u8>(),
        flags in any::<u16>(),
        seq in any::<u32>(),
        pid in any::<u32>(),
        attrs in prop::collection::vec(owned_attr(), 0..12),
    ) {
        let control = ControlRepr { command: ControlCommand(command), version, flags, seq, pid };
        let put = |w: &mut procslink::envmsg::ControlWriter<'_, '_, '_>| {
            attrs.iter().try_for_each(|a| w.attr(&to_attr(a)))
        };
        let mut alone = vec![0u8; 4096];
        let n = control.emit(&mut alone, put).unwrap();
        let msg = ControlMessage::parse(&alone[..n]).unwrap();
        prop_assert_eq!(msg.repr(), control);
        let decoded: Vec<ControlAttr<'_>> = msg.attrs().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(decoded.len(), attrs.len());
        for (d, o) in decoded.iter().zip(&attrs) {
            prop_assert!(same(d, &to_attr(o)), "{:?} vs {:?}", d, o);
        }

        let mut wrapped = vec![0u8; 4096];
        let m = control.emit_in_envelope(&envelope, &mut wrapped, put).unwrap();
        let env = Envelope::parse(&wrapped[..m], envelope.header.format()).unwrap();
        prop_assert!(env.is_control());
        prop_assert_eq!(env.flags(), envelope.flags | TransportFlags::CONTROL);
        prop_assert_eq!(env.data(), &alone[..n]);
        let inner = env.control().unwrap();
        prop_assert_eq!(inner.repr(), control);
        prop_assert_eq!(inner.attrs().count(), attrs.len());

        // The same bytes as wrapping the standalone message.
        let mut flagged = envelope;
        flagged.flags |= TransportFlags::CONTROL;
        let mut again = vec![0u8; 4096];
        let k = flagged.emit(&alone[..n], &mut again).unwrap();
        prop_assert_eq!(&again[..k], &wrapped[..m]);
    }

    #[test]
    fn split_and_reassemble(
        len in prop_oneof![
            0usize..3000,
            NLA_MAX_PAYLOAD - 8..NLA_MAX_PAYLOAD + 8,
            2 * NLA_MAX_PAYLOAD - 4..2 * NLA_MAX_PAYLOAD + 4,
        ],
        max in prop_oneof![Just(NLA_MAX_PAYLOAD), 1usize..100, 100usize..5000],
        seed in any::<u64>(),
        repr in repr(),
        id in any::<u32>(),
    ) {
        // At most 65535 fragments per message.
        let max = max.max(len.div_ceil(65_535));
        let msg = message(len, seed);
        let frames = fragments(&msg, repr, id, max);
        prop_assert_eq!(frames.len(), len.div_ceil(max).max(1));
        let mut storage = vec![0u8; len + 3];
        let mut reasm = Reassembler::with_max(&mut storage, len);
        let (done, errors) = feed(&mut reasm, &frames, repr.header.format());
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(done.len(), 1);
        prop_assert!(done[0] == msg);
        prop_assert_eq!(reasm.finish(), Ok(()));
    }

    /// Fragments written with the fragment header at the old type 1 (as
    /// this crate wrote them before it moved to 0x3f00) still reassemble,
    /// in every layout, and each envelope of a PortsId split has its own
    /// id.
    #[test]
    fn legacy_type_1_fragments_reassemble(
        len in 2usize..4000,
        max in 1usize..500,
        seed in any::<u64>(),
        repr in repr(),
        id in any::<u32>(),
    ) {
        let msg = message(len, seed);
        let max = max.min(len - 1);
        let mut frames = fragments(&msg, repr, id, max);
        let mut ids = std::collections::HashSet::new();
        for frame in &mut frames {
            // The fragment attribute is the last 24 bytes: its type at +2.
            let at = frame.len() - 24 + 2;
            prop_assert_eq!(&frame[at..at + 2], &0x3f00u16.to_ne_bytes()[..]);
            frame[at..at + 2].copy_from_slice(&1u16.to_ne_bytes());
            let env = Envelope::parse(frame, repr.header.format()).unwrap();
            prop_assert!(env.fragment().is_some());
            prop_assert!(env.cname().is_none());
            if let Some(id) = env.id() {
                prop_assert!(ids.insert(*id), "a repeated envelope id");
            }
        }
        let mut storage = vec![0u8; len];
        let mut reasm = Reassembler::new(&mut storage);
        let (done, errors) = feed(&mut reasm, &frames, repr.header.format());
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert!(done.len() == 1 && done[0] == msg);
    }

    #[test]
    fn large_messages_with_small_fragments(len in 100_000usize..600_000, seed in any::<u64>(), id in any::<u32>()) {
        let msg = message(len, seed);
        let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(1, 2)));
        let frames = fragments(&msg, repr, id, 1000);
        let mut storage = vec![0u8; 600_000];
        let mut reasm = Reassembler::new(&mut storage);
        let (done, errors) = feed(&mut reasm, &frames, EnvelopeFormat::Basic);
        prop_assert!(errors.is_empty());
        prop_assert_eq!(done.len(), 1);
        prop_assert!(done[0] == msg);
    }

    #[test]
    fn oversized_is_refused_on_the_first_fragment(len in 2usize..5000, max in 1usize..100, seed in any::<u64>()) {
        let msg = message(len, seed);
        let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(1, 2)));
        let frames = fragments(&msg, repr, 3, max);
        let mut storage = vec![0u8; len - 1];
        let mut reasm = Reassembler::new(&mut storage);
        let env = Envelope::parse(&frames[0], EnvelopeFormat::Basic).unwrap();
        let kind = reasm.push(&env).unwrap_err().kind();
        // Whole (one plain envelope) or fragmented, the first push refuses it.
        prop_assert_eq!(kind, ErrorKind::Fragment(FragmentViolation::Oversized { total: len, max: len - 1 }));
        prop_assert_eq!(reasm.in_progress(), None);
    }

    /// Any sequence of the message's fragments — reordered, with some
    /// dropped, some repeated — gives the right message or an error, never
    /// a wrong message; and unless it is exactly the original order, at
    /// least one error (counting the end-of-stream check).
    #[test]
    fn mangled_sequences_never_give_a_wrong_message(
        len in 2usize..3000,
        pieces in 2usize..12,
        mangle in mangling(),
        seed in any::<u64>(),
        repr in repr(),
        id in any::<u32>(),
    ) {
        let max = len.div_ceil(pieces).max(1);
        let msg = message(len, seed);
        let frames = fragments(&msg, repr, id, max);
        let count = frames.len();
        prop_assume!(count >= 2);
        let order = mangle.apply(count);
        let seq: Vec<Vec<u8>> = order.iter().map(|&i| frames[i].clone()).collect();

        let mut storage = vec![0u8; len];
        let mut reasm = Reassembler::new(&mut storage);
        let (done, mut errors) = feed(&mut reasm, &seq, repr.header.format());
        if let Err(e) = reasm.finish() {
            errors.push(e);
        }
        for m in &done {
            prop_assert!(*m == msg, "a wrong message was returned");
        }
        let original: Vec<usize> = (0..count).collect();
        if order.is_empty() {
            // Everything dropped: nothing to deliver, nothing to report.
            prop_assert!(done.is_empty() && errors.is_empty());
        } else if order == original {
            prop_assert!(errors.is_empty());
            prop_assert_eq!(done.len(), 1);
        } else {
            prop_assert!(!errors.is_empty(), "order {:?} gave no error", order);
        }
        for e in &errors {
            prop_assert!(matches!(e.kind(), ErrorKind::Fragment(_)), "{:?}", e);
        }
    }

    /// Whatever came before — mangled fragments of another message, foreign
    /// fragment headers — the next well-formed message reassembles.
    #[test]
    fn recovers_after_errors(
        len in 2usize..2000,
        max in 1usize..400,
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        junk in prop::collection::vec((any::<u32>(), any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>(), any::<u32>(), 0usize..50), 0..5),
        seed in any::<u64>(),
    ) {
        let repr = EnvelopeRepr::new(EnvHeader::Ports(EnvMsgHdrPorts::new(1, 2, 3, 4, 5)));
        let format = EnvelopeFormat::Ports;
        let first = message(len, seed);
        let second = message(len + 17, seed ^ 0x55);
        let a = fragments(&first, repr, 1, max);
        let b = fragments(&second, repr, 2, max);

        let mut noise: Vec<Vec<u8>> = picks.iter().map(|i| a[i.index(a.len())].clone()).collect();
        for &(id, total, offset, index, count, crc, n) in &junk {
            let id = if id == 2 { 3 } else { id };
            let hdr = FragmentHdr::new(id, total, offset, index, count, crc);
            let data = message(n, u64::from(id));
            let mut buf = vec![0u8; repr.fragment_buffer_len(n)];
            repr.emit_fragment(&data, &hdr, &mut buf).unwrap();
            noise.push(buf);
        }

        let mut storage = vec![0u8; 4096];
        let mut reasm = Reassembler::new(&mut storage);
        let _ = feed(&mut reasm, &noise, format);
        let (done, _) = feed(&mut reasm, &b, format);
        prop_assert!(done.last().is_some_and(|m| *m == second), "second message lost");
        prop_assert_eq!(reasm.in_progress(), None);
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut storage = [0u8; 256];
        let mut reasm = Reassembler::new(&mut storage);
        for format in [EnvelopeFormat::Basic, EnvelopeFormat::Ports, EnvelopeFormat::PortsId] {
            if let Ok(env) = Envelope::parse(&bytes, format) {
                prop_assert!(env.data_offset() + env.data().len() <= bytes.len());
                if let Ok(ctrl) = env.control() {
                    for attr in ctrl.attrs() {
                        if let Err(e) = attr {
                            prop_assert!(e.offset() < bytes.len());
                        }
                    }
                }
                if let Ok(Some(m)) = reasm.push(&env) {
                    prop_assert!(m.len() <= 256);
                }
            }
            if let Err(e) = Envelope::parse(&bytes, format) {
                prop_assert!(e.offset() <= bytes.len());
            }
        }
        if let Ok(ctrl) = ControlMessage::parse(&bytes) {
            let _ = ctrl.attrs().count();
        }
    }
}

fn env(frame: &[u8]) -> Envelope<'_> {
    Envelope::parse(frame, EnvelopeFormat::Basic).unwrap()
}

/// A plain transport message arriving mid-reassembly is delivered
/// borrowed and leaves the partial message alone.
#[test]
fn plain_message_does_not_disturb_reassembly() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let msg = message(250, 9);
    let frames = fragments(&msg, repr, 4, 100);
    let plain = {
        let mut b = vec![0u8; repr.buffer_len(3)];
        repr.emit(b"abc", &mut b).unwrap();
        b
    };
    let mut storage = [0u8; 300];
    let mut reasm = Reassembler::new(&mut storage);
    let e0 = Envelope::parse(&frames[0], EnvelopeFormat::Basic).unwrap();
    assert_eq!(reasm.push(&e0), Ok(None));
    let p = Envelope::parse(&plain, EnvelopeFormat::Basic).unwrap();
    let got = reasm.push(&p).unwrap().unwrap();
    assert_eq!(got, b"abc");
    assert_eq!(got.as_ptr(), p.data().as_ptr(), "borrowed, not copied");
    assert_eq!(reasm.in_progress(), Some(4));
    for f in &frames[1..] {
        let env = Envelope::parse(f, EnvelopeFormat::Basic).unwrap();
        if let Some(m) = reasm.push(&env).unwrap() {
            assert_eq!(m, &msg[..]);
        }
    }
    assert_eq!(reasm.last_message_id(), Some(4));
}

/// A new fragment 0 abandons the message in progress (reported) and is
/// kept as the start of the next one.
#[test]
fn new_first_fragment_is_kept_after_incomplete() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let a = fragments(&message(300, 1), repr, 10, 100);
    let second = message(300, 2);
    let b = fragments(&second, repr, 11, 100);
    let mut storage = [0u8; 300];
    let mut reasm = Reassembler::new(&mut storage);
    assert_eq!(reasm.push(&env(&a[0])), Ok(None));
    assert_eq!(reasm.push(&env(&a[1])), Ok(None));
    let err = reasm.push(&env(&b[0])).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::Incomplete { message_id: 10 })
    );
    assert_eq!(reasm.in_progress(), Some(11));
    assert_eq!(reasm.push(&env(&b[1])), Ok(None));
    assert_eq!(reasm.push(&env(&b[2])), Ok(Some(&second[..])));
}

/// Fragments of two senders that reuse one id and size interleave into a
/// sequence every header check accepts; the checksum refuses the mix.
#[test]
fn checksum_catches_same_id_interleaving() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let a = fragments(&message(200, 1), repr, 7, 100);
    let b = fragments(&message(200, 2), repr, 7, 100);
    let mut storage = [0u8; 300];
    let mut reasm = Reassembler::new(&mut storage);
    assert_eq!(reasm.push(&env(&a[0])), Ok(None));
    let err = reasm.push(&env(&b[1])).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::Inconsistent)
    );

    // Even with the checksum field forged to match, the data do not.
    let mut forged = b[1].clone();
    let crc_at = forged.len() - 4;
    forged[crc_at..].copy_from_slice(&a[0][a[0].len() - 4..]);
    assert_eq!(reasm.push(&env(&a[0])), Ok(None));
    let err = reasm.push(&env(&forged)).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::ChecksumMismatch)
    );
    assert_eq!(reasm.in_progress(), None);
}

#[test]
fn splitter_limits() {
    let repr = EnvelopeRepr::default();
    assert_eq!(
        Splitter::new(b"x", repr, 0, 0).unwrap_err().kind(),
        ErrorKind::Misuse
    );
    assert_eq!(
        Splitter::new(b"x", repr, 0, NLA_MAX_PAYLOAD + 1)
            .unwrap_err()
            .kind(),
        ErrorKind::TooLarge {
            size: NLA_MAX_PAYLOAD + 1,
            max: NLA_MAX_PAYLOAD
        }
    );
    let big = vec![0u8; 70_000];
    assert_eq!(
        Splitter::new(&big, repr, 0, 1).unwrap_err().kind(),
        ErrorKind::TooLarge {
            size: 70_000,
            max: 65_535
        }
    );
    let s = Splitter::new(&big, repr, 0, 2).unwrap();
    assert_eq!(s.count(), 35_000);
    assert_eq!(s.remaining(), 35_000);
    assert_eq!(
        s.write_fragment(35_000, &mut [0u8; 64]).unwrap_err().kind(),
        ErrorKind::Misuse
    );
}

/// Each way a forged header can disagree is reported as `Inconsistent`
/// (or, for data that do not match the checksum, `ChecksumMismatch`) and
/// drops the message in progress.
#[test]
fn every_inconsistency_is_reported() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let msg = message(30, 3);
    let crc = procslink::envmsg::crc32(&msg);
    let frame = |h: FragmentHdr, data: &[u8]| {
        let mut b = vec![0u8; repr.fragment_buffer_len(data.len())];
        repr.emit_fragment(data, &h, &mut b).unwrap();
        b
    };
    let first = frame(FragmentHdr::new(1, 30, 0, 0, 3, crc), &msg[..10]);
    // (header of the second fragment, its data, whether the first is pushed first)
    let cases: Vec<(FragmentHdr, &[u8], bool)> = vec![
        (FragmentHdr::new(1, 30, 11, 1, 3, crc), &msg[10..20], true), // offset skips a byte
        (FragmentHdr::new(1, 31, 10, 1, 3, crc), &msg[10..20], true), // total changed
        (FragmentHdr::new(1, 30, 10, 1, 4, crc), &msg[10..20], true), // count changed
        (FragmentHdr::new(2, 30, 10, 1, 3, crc), &msg[10..20], true), // id changed
        (FragmentHdr::new(1, 30, 10, 1, 3, !crc), &msg[10..20], true), // checksum changed
        (FragmentHdr::new(1, 30, 10, 3, 3, crc), &msg[10..20], true), // index >= count
        (FragmentHdr::new(1, 30, 25, 1, 3, crc), &msg[10..20], true), // data past total
        (FragmentHdr::new(1, 30, 10, 1, 2, crc), &msg[10..20], false), // last short of total
        (FragmentHdr::new(1, 30, 5, 0, 2, crc), &msg[..10], false),   // first at offset 5
        (FragmentHdr::new(1, 10, 0, 0, 1, crc), &msg[..10], false),   // whole, bad checksum
    ];
    for (i, (h, data, push_first)) in cases.into_iter().enumerate() {
        let mut storage = [0u8; 64];
        let mut reasm = Reassembler::new(&mut storage);
        if push_first {
            assert_eq!(reasm.push(&env(&first)), Ok(None), "case {i}");
        } else if h.count.get() == 2 {
            let f0 = frame(FragmentHdr::new(1, 30, 0, 0, 2, crc), &msg[..10]);
            assert_eq!(reasm.push(&env(&f0)), Ok(None), "case {i}");
        }
        let bad = frame(h, data);
        let err = reasm.push(&env(&bad)).unwrap_err();
        let expected = if i == 9 {
            FragmentViolation::ChecksumMismatch
        } else {
            FragmentViolation::Inconsistent
        };
        assert_eq!(err.kind(), ErrorKind::Fragment(expected), "case {i}");
        // The fragment attribute follows the data attribute.
        assert_eq!(
            err.offset(),
            24 + 4 + data.len().next_multiple_of(4),
            "case {i}"
        );
        assert_eq!(reasm.in_progress(), None, "case {i}");
    }
}

/// Whole messages that are refused (too large for the reassembler, or a
/// one-fragment message with a bad checksum) leave the partial message
/// alone too, as the docs say.
#[test]
fn refused_whole_messages_do_not_disturb_reassembly() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let msg = message(250, 9);
    let frames = fragments(&msg, repr, 4, 100);
    let big = {
        let mut b = vec![0u8; repr.buffer_len(400)];
        repr.emit(&[7u8; 400], &mut b).unwrap();
        b
    };
    let bad_single = {
        let data = b"abc";
        let h = FragmentHdr::new(5, 3, 0, 0, 1, !procslink::envmsg::crc32(data));
        let mut b = vec![0u8; repr.fragment_buffer_len(data.len())];
        repr.emit_fragment(data, &h, &mut b).unwrap();
        b
    };
    let mut storage = [0u8; 300];
    let mut reasm = Reassembler::new(&mut storage);
    assert_eq!(reasm.push(&env(&frames[0])), Ok(None));
    let err = reasm.push(&env(&big)).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::Oversized { .. })
    ));
    let err = reasm.push(&env(&bad_single)).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::ChecksumMismatch)
    );
    assert_eq!(reasm.in_progress(), Some(4));
    let mut done = None;
    for f in &frames[1..] {
        if let Some(m) = reasm.push(&env(f)).unwrap() {
            done = Some(m.to_vec());
        }
    }
    assert_eq!(done.as_deref(), Some(&msg[..]));
}
