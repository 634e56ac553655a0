//! Building and decoding frames allocates nothing: a counting global
//! allocator watches this thread while every builder and decoder runs.

mod common;

use common::alloc::{Counting, allocations};
use procslink::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, ServerFrame, ServerFraming, ServerKind, SetupId,
};
use procslink::framing::ezipc::{self, EzIpcFraming};
use procslink::framing::netlink::{NetlinkFields, NetlinkFraming};
use procslink::framing::{Framing, uvarint};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Builds one frame of each kind into `wire`, then decodes the lot whole and
/// a byte at a time; returns how many frames were seen.
fn build_and_decode(wire: &mut [u8; 512], buf: &mut [u8; 256]) -> usize {
    let mut seen = 0;

    let framing = NetlinkFraming::kernel();
    let fields = NetlinkFields {
        message_type: 16,
        ..Default::default()
    };
    let mut len = framing.encode(wire, &fields, b"payload").unwrap();
    len += framing.encode(&mut wire[len..], &fields, b"").unwrap();
    seen += framing
        .frames(&wire[..len], 256)
        .filter(Result::is_ok)
        .count();
    let mut dec = framing.decoder(buf, 256).unwrap();
    for byte in wire[..len].chunks(1) {
        dec.feed(byte).unwrap();
        while let Some(frame) = dec.next_frame() {
            assert_eq!(frame.unwrap().fields(), fields);
            seen += 1;
        }
    }
    dec.finish().unwrap();

    let call = ClientFrame {
        id: 300,
        kind: ClientKind::Data,
        handler: b"echo",
        data: b"hi",
    };
    let len = call.encode(wire).unwrap();
    seen += ClientFraming
        .frames(&wire[..len], 256)
        .filter(Result::is_ok)
        .count();
    let mut dec = ClientFraming.decoder(buf, 256).unwrap();
    for byte in wire[..len].chunks(1) {
        dec.feed(byte).unwrap();
        while let Some(frame) = dec.next_frame() {
            assert_eq!(frame.unwrap().handler_str(), Ok("echo"));
            seen += 1;
        }
    }

    let reply = ServerFrame {
        id: 300,
        kind: ServerKind::Error,
        data: b"no such handler",
    };
    let len = reply.encode(wire).unwrap();
    seen += ServerFraming
        .frames(&wire[..len], 256)
        .filter(Result::is_ok)
        .count();
    let mut dec = ServerFraming.decoder(buf, 256).unwrap();
    dec.feed(&wire[..len]).unwrap();
    seen += usize::from(dec.next_frame().is_some_and(|f| f.is_ok()));

    let mut len = ezipc::encode(br#"{"jsonrpc":"2.0","method":"a"}"#, wire).unwrap();
    len += ezipc::encode(
        br#"{"too long for the limit":"................"}"#,
        &mut wire[len..],
    )
    .unwrap();
    len += ezipc::encode(b"[]", &mut wire[len..]).unwrap();
    let mut dec = EzIpcFraming::new().decoder(buf, 40).unwrap();
    for chunk in wire[..len].chunks(3) {
        dec.feed(chunk).unwrap();
        while let Some(item) = dec.next_frame() {
            // the over-long text is an error; the two others are frames
            seen += usize::from(item.is_ok());
        }
    }
    seen += EzIpcFraming::new()
        .frames(&wire[..len], 40)
        .filter(Result::is_ok)
        .count();

    let mut varint = [0u8; 10];
    let n = uvarint::encode(u64::MAX, &mut varint).unwrap();
    assert_eq!(uvarint::decode(&varint[..n]), Ok((u64::MAX, 10)));
    let id = SetupId::new("0f8fad5b-d9cb-469f-a165-70867728950e").unwrap();
    assert_eq!(id.encode(wire), Ok(36));
    seen
}

#[test]
fn building_and_decoding_allocate_nothing() {
    let mut wire = [0u8; 512];
    let mut buf = [0u8; 256];
    // warm up anything the test harness or std set up lazily
    let expected = build_and_decode(&mut wire, &mut buf);
    let before = allocations();
    let seen = build_and_decode(&mut wire, &mut buf);
    let after = allocations();
    assert_eq!(seen, expected);
    assert_eq!(seen, 4 + 2 + 2 + 4);
    assert_eq!(after - before, 0, "allocations during build and decode");
    // the counter does count: a Vec allocates
    let v = vec![0u8; 8];
    assert_eq!(allocations() - after, 1);
    drop(v);
}
