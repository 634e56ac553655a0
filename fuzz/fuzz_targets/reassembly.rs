//! Reassembly under a fuzzer-driven stream: genuine fragments of a split
//! of fuzzer data, in any order and number, mixed with mangled fragments,
//! foreign fragments and plain envelopes. Never a panic; a completed
//! message with the original's id is the original (barring a CRC-32
//! collision, the checksum's documented limit); and after the noise, the
//! original sent cleanly under a fresh id always comes back.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use procslink::envmsg::{
    EnvHeader, EnvMsgHdr, Envelope, EnvelopeFormat, EnvelopeRepr, FragmentHdr, Reassembler,
    Splitter, crc32,
};

#[derive(Arbitrary, Debug)]
enum Step {
    /// Fragment `index % count`, as sent.
    Genuine(u16),
    /// A genuine fragment with positional fields changed (id and checksum
    /// kept, so only a CRC collision could sneak a wrong message through)
    /// and its data possibly cut short.
    Shifted {
        index: u16,
        field: u8,
        value: u32,
        cut: u16,
    },
    /// A fragment header of another message (never the original's id).
    Foreign {
        id: u32,
        total: u32,
        offset: u32,
        index: u16,
        count: u16,
        checksum: u32,
        data: Vec<u8>,
    },
    /// A plain (unfragmented) envelope.
    Plain(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    message: Vec<u8>,
    max_payload: u16,
    id: u32,
    room: u16,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let Input {
        message,
        max_payload,
        id,
        room,
        steps,
    } = input;
    let max_payload = usize::from(max_payload % 512) + 1;
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(1, 2)));
    let Ok(split) = Splitter::new(&message, repr, id, max_payload) else {
        return;
    };
    let count = split.count();
    let mut storage = vec![0u8; message.len() + usize::from(room % 64)];
    let mut reasm = Reassembler::new(&mut storage);
    let mut frame = vec![0u8; 1024];

    for step in steps.iter().take(256) {
        let n = match step {
            Step::Genuine(i) => split.write_fragment(usize::from(*i) % count, &mut frame),
            Step::Shifted {
                index,
                field,
                value,
                cut,
            } => {
                let i = usize::from(*index) % count;
                let Some(mut h) = split.fragment_header(i) else {
                    continue;
                };
                let data = split.fragment_data(i).unwrap_or(&[]);
                let data = &data[..data.len().saturating_sub(usize::from(*cut % 4))];
                match field % 4 {
                    0 => h.total_len.set(*value),
                    1 => h.offset.set(*value),
                    2 => h.index.set(*value as u16),
                    _ => h.count.set(*value as u16),
                }
                repr.emit_fragment(data, &h, &mut frame)
            }
            Step::Foreign {
                id: fid,
                total,
                offset,
                index,
                count,
                checksum,
                data,
            } => {
                let fid = if *fid == id { fid ^ 1 } else { *fid };
                let h = FragmentHdr::new(fid, *total, *offset, *index, *count, *checksum);
                let data = &data[..data.len().min(512)];
                repr.emit_fragment(data, &h, &mut frame)
            }
            Step::Plain(data) => repr.emit(&data[..data.len().min(512)], &mut frame),
        };
        let n = n.expect("every frame fits 1024 bytes");
        let env = Envelope::parse(&frame[..n], EnvelopeFormat::Basic).expect("frames parse");
        let whole = env.fragment().is_none_or(|h| h.count.get() == 1);
        let carried = env.data().to_vec();
        let got = match reasm.push(&env) {
            Ok(Some(m)) => m.to_vec(),
            _ => continue,
        };
        assert!(got.len() <= reasm.max());
        if whole {
            assert_eq!(got, carried);
        } else if reasm.last_message_id() == Some(id) {
            assert!(
                got == message || crc32(&got) == crc32(&message),
                "a wrong message was returned"
            );
        }
    }

    // Recovery: the message sent cleanly under a fresh id comes back.
    let fresh = reasm
        .last_message_id()
        .map_or(id.wrapping_add(1), |l| l.wrapping_add(1));
    let fresh = if fresh == id {
        fresh.wrapping_add(1)
    } else {
        fresh
    };
    let split = Splitter::new(&message, repr, fresh, max_payload).expect("same sizes");
    let mut got = None;
    for i in 0..split.count() {
        let n = split.write_fragment(i, &mut frame).expect("fits");
        let env = Envelope::parse(&frame[..n], EnvelopeFormat::Basic).expect("parses");
        match reasm.push(&env) {
            Ok(Some(m)) => got = Some(m.to_vec()),
            Ok(None) => {}
            Err(e) => assert_eq!(i, 0, "only the first fragment may report the noise: {e}"),
        }
    }
    assert_eq!(got.as_deref(), Some(&message[..]));
    // A fragmented message replaces whatever the noise left in progress; a
    // whole one passes by it.
    if split.count() > 1 {
        assert!(reasm.finish().is_ok());
    }
});
