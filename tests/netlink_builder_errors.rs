//! Every refusal of the netlink builder, with its exact kind and offset:
//! the offset is where the refused item would have started (a nest's
//! header for a nest that cannot be closed), and a refused write leaves
//! the message as it was.

use proptest::prelude::*;

use procslink::netlink::{Builder, Message, MessageType, NLA_MAX_PAYLOAD, flags::Flags};
use procslink::{Error, ErrorKind};

fn too_small(needed: usize, offset: usize) -> Error {
    Error::new(ErrorKind::BufferTooSmall { needed }, offset)
}

fn attr_too_large(size: usize, offset: usize) -> Error {
    let max = NLA_MAX_PAYLOAD;
    Error::new(ErrorKind::TooLarge { size, max }, offset)
}

/// The attribute types of a finished message's top-level run, after a
/// family header of `family` bytes.
fn kinds(bytes: &[u8], family: usize) -> Vec<u16> {
    let msg = Message::parse(bytes).unwrap();
    let (_, attrs) = msg.split_family_header(family).unwrap();
    attrs.map(|a| a.unwrap().kind()).collect()
}

#[test]
fn a_message_header_that_does_not_fit_is_refused_where_it_would_start() {
    let mut buf = [0u8; 15];
    let mut b = Builder::new(&mut buf);
    let e = b
        .message(MessageType(16), Flags::REQUEST, 1, 0)
        .unwrap_err();
    assert_eq!(e, too_small(16, 0));
    assert_eq!(b.len(), 0);

    // The second message of a batch: at the end of the first.
    let mut buf = [0u8; 39];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u32(1, 7).unwrap();
    assert_eq!(m.finish(), Ok(24));
    let e = b
        .message(MessageType(16), Flags::REQUEST, 2, 0)
        .unwrap_err();
    assert_eq!(e, too_small(40, 24));
    assert_eq!(b.len(), 24);
}

#[test]
fn attributes_that_do_not_fit_are_refused_at_the_write_position() {
    let mut buf = [0u8; 36];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.family_header(&[0u8; 4]).unwrap();
    assert_eq!(m.family_header(&[0u8; 17]), Err(too_small(40, 20)));
    assert_eq!(m.put_bytes_raw(&[1; 20]), Err(too_small(40, 20)));
    assert_eq!(m.put(1, &[1; 13]), Err(too_small(40, 20)));
    m.put_u64(2, 1).unwrap();
    assert_eq!(m.put_u64(3, 1), Err(too_small(44, 32)));
    assert_eq!(m.put_u64_be(3, 1), Err(too_small(44, 32)));
    assert_eq!(m.put_str(4, "abcd"), Err(too_small(44, 32)));
    // A nest that fits, dropped unclosed: the message is as it was.
    assert_eq!(m.nest(5).map(|n| n.offset()), Ok(32));
    assert_eq!(m.len(), 32);
    m.put_flag(6).unwrap();
    assert_eq!(m.nest(7).map(|n| n.offset()), Err(too_small(40, 36)));
    assert_eq!(m.put_u8(8, 1), Err(too_small(44, 36)));
    assert_eq!(m.len(), 36);
    let len = m.finish().unwrap();
    assert_eq!(len, 36);
    assert_eq!(kinds(&buf[..len], 4), [2, 6]);
}

#[test]
fn payloads_over_the_attribute_limit_are_refused_as_too_large() {
    let mut buf = vec![0u8; 1 << 18];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u32(1, 1).unwrap();
    let big = vec![b'x'; NLA_MAX_PAYLOAD + 1];
    assert_eq!(m.put(2, &big), Err(attr_too_large(65532, 24)));
    // A string's NUL counts: 65530 bytes fit, 65531 do not.
    let text = core::str::from_utf8(&big).unwrap();
    assert_eq!(
        m.put_str(3, &text[..NLA_MAX_PAYLOAD]),
        Err(attr_too_large(65532, 24))
    );
    m.put_str(3, &text[..NLA_MAX_PAYLOAD - 1]).unwrap();
    assert_eq!(m.len(), 24 + 4 + NLA_MAX_PAYLOAD + 1);
    let len = m.finish().unwrap();
    assert_eq!(kinds(&buf[..len], 0), [1, 3]);
}

#[test]
fn a_string_with_a_nul_inside_is_misuse_at_the_write_position() {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u8(1, 1).unwrap();
    assert_eq!(
        m.put_str(2, "eth\0x"),
        Err(Error::new(ErrorKind::Misuse, 24))
    );
    assert_eq!(m.len(), 24);
    let len = m.finish().unwrap();
    assert_eq!(kinds(&buf[..len], 0), [1]);
}

#[test]
fn a_nest_over_the_limit_is_refused_at_its_header_and_dropped() {
    let mut buf = vec![0u8; 1 << 18];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    m.put_u32(1, 1).unwrap();
    let mut nest = m.nest(2).unwrap();
    let chunk = vec![0u8; 40_000];
    nest.put(3, &chunk).unwrap();
    nest.put(3, &chunk).unwrap();
    // Contents: two attributes of 4 + 40000 bytes.
    assert_eq!(nest.end(), Err(attr_too_large(80_008, 24)));
    assert_eq!(m.len(), 24);
    m.put_u8(4, 1).unwrap();
    let len = m.finish().unwrap();
    assert_eq!(kinds(&buf[..len], 0), [1, 4]);
}

#[test]
fn a_nest_whose_message_was_swapped_is_misuse_at_that_message_s_position() {
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
    let mut nest = a.nest(7).unwrap();
    std::mem::swap(&mut *nest, &mut b);
    // Behind the guard now: `b`'s message, 24 bytes written.
    assert_eq!(nest.end(), Err(Error::new(ErrorKind::Misuse, 24)));
}

proptest! {
    /// Whatever the room, a chain of writes stops at its first refusal,
    /// which is a `BufferTooSmall` at the position the refused item would
    /// have started, needing exactly that item's end; everything before it
    /// is intact.
    #[test]
    fn the_first_refusal_names_the_item_that_did_not_fit(
        items in prop::collection::vec((0u8..4, 0usize..24), 1..12),
        room in 0usize..256,
    ) {
        let mut buf = vec![0u8; room];
        let mut b = Builder::new(&mut buf);
        let Ok(mut m) = b.message(MessageType(16), Flags::REQUEST, 1, 0) else {
            prop_assert!(room < 16);
            return Ok(());
        };
        let text = "abcdefghijklmnopqrstuvwx";
        for (i, &(what, size)) in items.iter().enumerate() {
            let before = m.len();
            let ty = i as u16 + 1;
            let (result, end) = match what {
                0 => (m.put(ty, &text.as_bytes()[..size]), before + 4 + size.next_multiple_of(4)),
                1 => (m.put_str(ty, &text[..size]), before + 4 + (size + 1).next_multiple_of(4)),
                2 => (m.put_u64(ty, size as u64), before + 12),
                _ => (m.put_bytes_raw(&text.as_bytes()[..size]), before + size.next_multiple_of(4)),
            };
            match result {
                Ok(()) => prop_assert_eq!(m.len(), end),
                Err(e) => {
                    prop_assert!(end > room);
                    prop_assert_eq!(e, too_small(end, before));
                    prop_assert_eq!(m.len(), before);
                    break;
                }
            }
        }
        let len = m.finish().unwrap();
        prop_assert!(Message::parse(&buf[..len]).is_ok());
    }
}
