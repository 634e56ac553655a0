//! The conversation core over fuzzer-chosen datagrams: a request of any
//! kind with small sequence numbers and ports (so that messages often
//! match), fed arbitrary bytes. Never a panic; a reply always carries the
//! request's numbers and a family type, and nothing is handed over after
//! the conversation ended; every event is counted as a reply, an end or a
//! skip.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use procslink::netlink::conversation::{Conversation, Event, Expect};

#[derive(Arbitrary, Debug)]
struct Input {
    port: u8,
    seq: u8,
    mode: u8,
    datagrams: Vec<Vec<u8>>,
}

fuzz_target!(|input: Input| {
    let expect = match input.mode % 3 {
        0 => Expect::Ack,
        1 => Expect::Dump,
        _ => Expect::Reply,
    };
    let (port, seq) = (u32::from(input.port % 4), u32::from(input.seq % 4));
    let mut conv = Conversation::new(port);
    conv.begin_with_seq(seq, expect);
    let (mut replies, mut ends, mut skips) = (0u32, 0u32, 0u32);
    for datagram in &input.datagrams {
        for event in conv.feed(datagram) {
            match event {
                Event::Reply(m) => {
                    assert_eq!(ends, 0);
                    assert_eq!(m.seq(), seq);
                    assert!(port == 0 || m.pid() == port);
                    assert!(m.message_type().is_family());
                    assert!(m.offset() + m.header().len() as usize <= datagram.len());
                    replies += 1;
                }
                Event::Done(d) if expect == Expect::Ack => {
                    assert_eq!(ends, 0);
                    let _ = format!("{}", d.ext_ack());
                }
                Event::Done(_) | Event::Ack(_) => ends += 1,
                Event::Error(f) => {
                    assert!(f.errno() < 0);
                    let _ = format!("{f}");
                    ends += 1;
                }
                Event::Skipped(s) => {
                    let _ = format!("{s}");
                    skips += 1;
                }
            }
            assert!(ends <= 1);
        }
    }
    assert_eq!(conv.replies(), replies);
    assert_eq!(conv.skips().total(), skips);
    assert_eq!(
        ends == 1,
        conv.is_finished() && !(expect == Expect::Reply && ends == 0)
    );
});
