//! Build → parse: messages described by the fuzzer's bytes are built into a
//! buffer of fuzzer-chosen size; whatever was built parses back to exactly
//! what was put in, and a buffer too small is an error, never an overrun.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use procslink::netlink::{Attrs, Builder, MessageBuilder, Messages, NLA_F_NESTED, flags::Flags};
use procslink::{Error, ErrorKind};

#[derive(Arbitrary, Debug, Clone, PartialEq)]
enum Node {
    Leaf(u16, Vec<u8>),
    Nest(u16, Vec<Node>),
}

#[derive(Arbitrary, Debug)]
struct Msg {
    ty: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    family_words: u8,
    attrs: Vec<Node>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    room: u16,
    msgs: Vec<Msg>,
}

fn emit(m: &mut MessageBuilder<'_, '_>, nodes: &[Node], depth: usize) -> Result<(), Error> {
    for n in nodes {
        match n {
            Node::Leaf(t, p) => m.put(t & 0x3fff, p)?,
            Node::Nest(t, c) if depth < 8 => {
                let mut nest = m.nest((t & 0x3fff) | NLA_F_NESTED)?;
                emit(&mut nest, c, depth + 1)?;
                nest.end()?;
            }
            Node::Nest(..) => {}
        }
    }
    Ok(())
}

fn normalise(nodes: &[Node], depth: usize) -> Vec<Node> {
    nodes
        .iter()
        .filter_map(|n| match n {
            Node::Leaf(t, p) => Some(Node::Leaf(t & 0x3fff, p.clone())),
            Node::Nest(t, c) if depth < 8 => Some(Node::Nest(t & 0x3fff, normalise(c, depth + 1))),
            Node::Nest(..) => None,
        })
        .collect()
}

fn read(run: Attrs<'_>) -> Vec<Node> {
    run.map(|a| {
        let a = a.unwrap();
        if a.is_nested() {
            Node::Nest(a.kind(), read(a.nested()))
        } else {
            Node::Leaf(a.kind(), a.payload().to_vec())
        }
    })
    .collect()
}

fuzz_target!(|input: Input| {
    let room = input.room as usize;
    let mut buf = vec![0x5au8; room + 16];
    let mut b = Builder::new(&mut buf[..room]);
    let mut built = Vec::new();
    for m in &input.msgs {
        let result = (|| {
            let mut mb = b.message(m.ty, Flags::from_bits_retain(m.flags), m.seq, m.pid)?;
            mb.put_bytes_raw(&vec![7u8; (m.family_words % 5) as usize * 4])?;
            emit(&mut mb, &m.attrs, 0)?;
            mb.finish()
        })();
        match result {
            Ok(_) => built.push(m),
            Err(e) => {
                let ok = matches!(e.kind(), ErrorKind::BufferTooSmall { needed } if needed > room)
                    || matches!(e.kind(), ErrorKind::TooLarge { .. });
                assert!(ok, "{e}");
                break;
            }
        }
    }
    let len = b.len();
    assert!(buf[room..].iter().all(|&x| x == 0x5a));
    let parsed: Vec<_> = Messages::new(&buf[..len])
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(parsed.len(), built.len());
    for (p, m) in parsed.iter().zip(built) {
        let h = p.header();
        assert_eq!(
            (h.message_type().0, h.flags().bits(), h.seq(), h.pid()),
            (m.ty, m.flags, m.seq, m.pid)
        );
        let (_, run) = p
            .split_family_header((m.family_words % 5) as usize * 4)
            .unwrap();
        assert_eq!(read(run), normalise(&m.attrs, 0));
    }
});
