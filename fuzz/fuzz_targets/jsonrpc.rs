//! Decodes arbitrary bytes as JSON-RPC; every message decoded re-encodes
//! (compact) and decodes again to equal fields, and the decoder's fast path
//! for ProcsLink's spelling agrees with its general walk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::fuzzing::decode_general;
use procslink::jsonrpc::{Incoming, Message, Style};

fn round_trip(m: &Message<'_>) {
    let mut buf = [0u8; 8192];
    let Ok(n) = m.encode(&mut buf, Style::Compact) else {
        assert!(m.encoded_len(Style::Compact) > buf.len());
        return;
    };
    assert_eq!(n, m.encoded_len(Style::Compact));
    let again = match Message::parse(&buf[..n]) {
        Ok(Incoming::Single(again)) => again,
        other => panic!("re-encoded message does not decode: {other:?}"),
    };
    assert_eq!(&again, m);
    match (m, again) {
        (Message::Request(a), Message::Request(b)) => {
            assert_eq!(a.id, b.id);
            assert!(a.method.chars().eq(b.method.chars()));
            assert_eq!(a.params.map(|p| p.as_str()), b.params.map(|p| p.as_str()));
        }
        (Message::Response(a), Message::Response(b)) => {
            assert_eq!(a.id, b.id);
            match (a.outcome, b.outcome) {
                (Ok(x), Ok(y)) => assert_eq!(x.as_str(), y.as_str()),
                (Err(x), Err(y)) => {
                    assert_eq!(x.code, y.code);
                    assert!(x.message.chars().eq(y.message.chars()));
                    assert_eq!(x.data.map(|d| d.as_str()), y.data.map(|d| d.as_str()));
                }
                _ => panic!("outcome changed"),
            }
        }
        _ => panic!("message kind changed"),
    }
    let mut text = [0u8; 4096];
    if let Message::Request(r) = m
        && let Ok(s) = r.method.unescape_into(&mut text)
    {
        assert!(r.method.eq_str(s));
    }
}

fuzz_target!(|data: &[u8]| {
    let decoded = Message::parse(data);
    assert_eq!(
        format!("{decoded:?}"),
        format!("{:?}", decode_general(data))
    );
    match decoded {
        Ok(Incoming::Single(m)) => round_trip(&m),
        Ok(Incoming::Batch(batch)) => {
            for element in batch.elements() {
                let _ = element.recover_id();
                if let Ok(m) = element.message() {
                    round_trip(&m);
                }
            }
        }
        Err(e) => assert!(e.offset() <= data.len()),
    }
});
