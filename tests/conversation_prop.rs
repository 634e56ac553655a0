//! Property tests of the conversation core: whatever the kernel (or anyone
//! else) sends, a conversation hands over exactly the replies to its own
//! request, in order, ends once, and counts what it skipped.

use proptest::prelude::*;

use procslink::netlink::conversation::{Conversation, Event, Expect, Skip};
use procslink::netlink::flags::{AckFlags, Flags};
use procslink::netlink::{Builder, MessageType, NlMsgHdr};
use zerocopy::IntoBytes;

/// One message of a scripted answer.
#[derive(Clone, Debug)]
enum Item {
    /// A reply to our request, tagged so that its order can be checked;
    /// `intr` sets `NLM_F_DUMP_INTR`.
    Ours { tag: u32, intr: bool },
    /// A reply with someone else's sequence number.
    OtherSeq { delta: u32 },
    /// A reply to our sequence number addressed to another port.
    OtherPort { delta: u32 },
    /// `NLMSG_NOOP` with our numbers.
    Noop,
}

#[derive(Clone, Debug)]
enum End {
    /// `NLMSG_DONE`: status, whether its payload is left out entirely
    /// (status 0 only), whether it carries `NLM_F_DUMP_INTR`.
    Done {
        status: i32,
        empty: bool,
        intr: bool,
    },
    /// `NLMSG_ERROR` with this errno (0 is an ack), and an extended-ack
    /// message.
    Error { errno: i32, text: bool },
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (any::<u32>(), any::<bool>()).prop_map(|(tag, i)| Item::Ours { tag, intr: i && tag % 7 == 0 }),
        1 => (1u32..).prop_map(|delta| Item::OtherSeq { delta }),
        1 => (1u32..).prop_map(|delta| Item::OtherPort { delta }),
        1 => Just(Item::Noop),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![
        (-200i32..=0, any::<bool>(), any::<bool>()).prop_map(|(status, empty, intr)| End::Done {
            status,
            empty: empty && status == 0,
            intr
        }),
        (-200i32..=0, any::<bool>()).prop_map(|(errno, text)| End::Error { errno, text }),
    ]
}

fn put(out: &mut Vec<u8>, build: impl FnOnce(&mut Builder<'_>)) -> usize {
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf);
    build(&mut b);
    let n = b.len();
    out.extend_from_slice(&buf[..n]);
    n
}

fn family(out: &mut Vec<u8>, seq: u32, pid: u32, tag: u32, flags: Flags) -> usize {
    put(out, |b| {
        let mut m = b.message(MessageType(16), flags, seq, pid).unwrap();
        m.put_u32(1, tag).unwrap();
        m.finish().unwrap();
    })
}

fn end_message(out: &mut Vec<u8>, seq: u32, pid: u32, end: &End) -> usize {
    put(out, |b| match *end {
        End::Done {
            status,
            empty,
            intr,
        } => {
            let flags = if intr {
                Flags::MULTI | Flags::DUMP_INTR
            } else {
                Flags::MULTI
            };
            let mut m = b.message(MessageType::DONE, flags, seq, pid).unwrap();
            if !empty {
                m.put_bytes_raw(&status.to_ne_bytes()).unwrap();
            }
            m.finish().unwrap();
        }
        End::Error { errno, text } => {
            let mut flags = AckFlags::CAPPED;
            if text {
                flags |= AckFlags::ACK_TLVS;
            }
            let mut m = b
                .message(MessageType::ERROR, flags.into(), seq, pid)
                .unwrap();
            m.put_bytes_raw(&errno.to_ne_bytes()).unwrap();
            let request = NlMsgHdr::new(20, 18, 0x301, seq, pid);
            m.put_bytes_raw(request.as_bytes()).unwrap();
            if text {
                m.put_str(1, "scripted refusal").unwrap();
            }
            m.finish().unwrap();
        }
    })
}

/// Cuts `bytes` (whole messages of the given lengths) into datagrams at the
/// message boundaries picked by `cuts`.
fn datagrams(bytes: &[u8], lens: &[usize], cuts: &[bool]) -> Vec<Vec<u8>> {
    let mut out = vec![];
    let (mut start, mut pos) = (0, 0);
    for (i, len) in lens.iter().enumerate() {
        pos += len;
        if cuts.get(i).copied().unwrap_or(false) || i + 1 == lens.len() {
            out.push(bytes[start..pos].to_vec());
            start = pos;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// A dump interleaved with other traffic, cut into datagrams anywhere,
    /// then more messages after its end: the caller sees exactly its
    /// replies, in order, then one end, and the rest is skipped and counted.
    #[test]
    fn a_dump_yields_exactly_its_replies(
        port in 1u32..,
        seq in any::<u32>(),
        items in prop::collection::vec(item(), 0..24),
        end in end(),
        after in prop::collection::vec(item(), 0..4),
        cuts in prop::collection::vec(any::<bool>(), 0..32),
    ) {
        let mut conv = Conversation::new(port);
        conv.begin_with_seq(seq, Expect::Dump);
        let (mut bytes, mut lens) = (vec![], vec![]);
        let (mut want, mut foreign, mut noops, mut intr) = (vec![], 0u32, 0u32, false);
        for item in &items {
            lens.push(match *item {
                Item::Ours { tag, intr: i } => {
                    want.push(tag);
                    intr |= i;
                    let flags = if i { Flags::MULTI | Flags::DUMP_INTR } else { Flags::MULTI };
                    family(&mut bytes, seq, port, tag, flags)
                }
                Item::OtherSeq { delta } => {
                    foreign += 1;
                    family(&mut bytes, seq.wrapping_add(delta), port, 0, Flags::MULTI)
                }
                Item::OtherPort { delta } => {
                    foreign += 1;
                    family(&mut bytes, seq, port.wrapping_add(delta), 0, Flags::MULTI)
                }
                Item::Noop => {
                    noops += 1;
                    put(&mut bytes, |b| { b.message(MessageType::NOOP, Flags::empty(), seq, port).unwrap().finish().unwrap(); })
                }
            });
        }
        if let End::Done { intr: true, .. } = end {
            intr = true;
        }
        lens.push(end_message(&mut bytes, seq, port, &end));
        let mut late = 0u32;
        for item in &after {
            // Everything after the end is skipped: ours as unexpected, the
            // rest as before.
            lens.push(match *item {
                Item::Ours { tag, .. } => { late += 1; family(&mut bytes, seq, port, tag, Flags::MULTI) }
                Item::Noop => { late += 1; put(&mut bytes, |b| { b.message(MessageType::NOOP, Flags::empty(), seq, port).unwrap().finish().unwrap(); }) }
                Item::OtherSeq { delta } => { foreign += 1; family(&mut bytes, seq.wrapping_add(delta), port, 0, Flags::MULTI) }
                Item::OtherPort { delta } => { foreign += 1; family(&mut bytes, seq, port.wrapping_add(delta), 0, Flags::MULTI) }
            });
        }

        let (mut got, mut ends) = (vec![], vec![]);
        for datagram in datagrams(&bytes, &lens, &cuts) {
            for event in conv.feed(&datagram) {
                match event {
                    Event::Reply(m) => {
                        prop_assert!(ends.is_empty(), "a reply after the end");
                        prop_assert_eq!(m.seq(), seq);
                        prop_assert_eq!(m.pid(), port);
                        let (_, mut attrs) = m.split_family_header(0).unwrap();
                        got.push(attrs.next().unwrap().unwrap().u32().unwrap());
                    }
                    Event::Done(d) => {
                        prop_assert_eq!(d.is_interrupted(), intr);
                        ends.push(0);
                    }
                    Event::Error(f) => ends.push(f.errno()),
                    Event::Ack(_) => ends.push(0),
                    Event::Skipped(Skip::Malformed(e)) => prop_assert!(false, "malformed: {e}"),
                    Event::Skipped(_) => {}
                }
            }
        }
        prop_assert_eq!(got, want);
        let status = match end { End::Done { status, .. } => status, End::Error { errno, .. } => errno };
        prop_assert_eq!(ends, vec![status]);
        prop_assert_eq!(conv.is_interrupted(), intr);
        prop_assert!(conv.is_finished());
        let skips = conv.skips();
        prop_assert_eq!(skips.foreign, foreign);
        prop_assert_eq!(skips.control, noops);
        prop_assert_eq!(skips.not_expected, late);
        prop_assert_eq!(skips.malformed, 0);
    }

    /// A request with `NLM_F_ACK`: replies may precede the answer, which is
    /// an ack for errno 0 and an error with the kernel's text otherwise.
    #[test]
    fn a_request_ends_with_its_ack_or_error(
        port in 1u32..,
        replies in 0usize..4,
        errno in -200i32..=0,
        text in any::<bool>(),
    ) {
        let mut conv = Conversation::new(port);
        let seq = conv.begin(Expect::Ack);
        let mut bytes = vec![];
        for tag in 0..replies {
            family(&mut bytes, seq, port, tag as u32, Flags::empty());
        }
        end_message(&mut bytes, seq, port, &End::Error { errno, text });
        let events: Vec<Event<'_>> = conv.feed(&bytes).collect();
        prop_assert_eq!(events.len(), replies + 1);
        prop_assert!(events[..replies].iter().all(|e| matches!(e, Event::Reply(_))));
        match events[replies] {
            Event::Ack(a) => prop_assert_eq!(errno, 0, "{}", a),
            Event::Error(f) => {
                prop_assert_eq!(f.errno(), errno);
                prop_assert_eq!(f.request().map(|h| h.seq()), Some(seq));
                prop_assert_eq!(!f.ext_ack().is_empty(), text);
            }
            other => prop_assert!(false, "{:?}", other),
        }
        prop_assert!(conv.is_finished());
    }

    /// Any bytes, cut anywhere, in any mode: no panic, replies only with
    /// the request's numbers and never after the end, at most one end.
    #[test]
    fn any_bytes_are_safe(
        port in 0u32..4,
        seq in 0u32..4,
        mode in 0u8..3,
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..96), 0..8),
    ) {
        let expect = [Expect::Ack, Expect::Dump, Expect::Reply][mode as usize];
        let mut conv = Conversation::new(port);
        conv.begin_with_seq(seq, expect);
        let mut ended = 0;
        for chunk in &chunks {
            for event in conv.feed(chunk) {
                match event {
                    Event::Reply(m) => {
                        prop_assert_eq!(ended, 0);
                        prop_assert_eq!(m.seq(), seq);
                        prop_assert!(port == 0 || m.pid() == port);
                        prop_assert!(m.message_type().is_family());
                    }
                    Event::Done(_) if expect == Expect::Ack => prop_assert_eq!(ended, 0),
                    Event::Done(_) | Event::Ack(_) | Event::Error(_) => {
                        prop_assert_eq!(ended, 0);
                        ended += 1;
                    }
                    Event::Skipped(_) => {}
                }
            }
        }
        if ended == 1 {
            prop_assert!(conv.is_finished());
        } else if expect != Expect::Reply {
            prop_assert!(!conv.is_finished());
        }
    }
}

/// Builds a message with a message type and flags of our choosing, for the
/// fixed cases below.
fn one(ty: MessageType, flags: Flags, seq: u32, pid: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    put(&mut out, |b| {
        let mut m = b.message(ty, flags, seq, pid).unwrap();
        m.put_bytes_raw(payload).unwrap();
        m.finish().unwrap();
    });
    out
}

#[test]
fn a_reply_without_ack_ends_at_the_first_single_reply() {
    let mut conv = Conversation::new(5);
    let seq = conv.begin(Expect::Reply);
    let mut bytes = one(MessageType(16), Flags::MULTI, seq, 5, &[]);
    assert!(matches!(conv.feed(&bytes).next(), Some(Event::Reply(_))));
    assert!(!conv.is_finished());
    bytes = one(MessageType(16), Flags::empty(), seq, 5, &[]);
    assert!(matches!(conv.feed(&bytes).next(), Some(Event::Reply(_))));
    assert!(conv.is_finished());
    assert!(matches!(
        conv.feed(&bytes).next(),
        Some(Event::Skipped(Skip::NotExpected))
    ));
}

#[test]
fn a_done_before_the_ack_does_not_end_an_acked_request() {
    let mut conv = Conversation::new(5);
    let seq = conv.begin(Expect::Ack);
    let bytes = one(MessageType::DONE, Flags::MULTI, seq, 5, &0i32.to_ne_bytes());
    assert!(matches!(conv.feed(&bytes).next(), Some(Event::Done(_))));
    assert!(!conv.is_finished());
}

#[test]
fn a_malformed_datagram_is_skipped_and_the_rest_of_it_unread() {
    let mut conv = Conversation::new(5);
    let seq = conv.begin(Expect::Dump);
    let mut bytes = one(MessageType(16), Flags::MULTI, seq, 5, &[]);
    bytes[..4].copy_from_slice(&400u32.to_ne_bytes());
    bytes.extend(one(MessageType::DONE, Flags::MULTI, seq, 5, &[]));
    let events: Vec<_> = conv.feed(&bytes).collect();
    assert!(matches!(
        events.as_slice(),
        [Event::Skipped(Skip::Malformed(_))]
    ));
    assert_eq!(conv.skips().malformed, 1);
    assert!(!conv.is_finished());
}

#[test]
fn a_port_of_zero_accepts_any_port() {
    let mut conv = Conversation::new(0);
    let seq = conv.begin(Expect::Dump);
    let bytes = one(MessageType(16), Flags::MULTI, seq, 1234, &[]);
    assert!(matches!(conv.feed(&bytes).next(), Some(Event::Reply(_))));
}
