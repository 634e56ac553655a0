//! Hand-computed wire vectors for the stream framings (WIRE.md sections 1,
//! 2, 4 and 5), each decoded whole, in chunks and byte by byte.

mod framing_support;

use framing_support::agree;
use procslink::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, SETUP_LEN, ServerFrame, ServerFraming, ServerKind,
    SetupId,
};
use procslink::framing::ezipc::{self, EzIpcFraming};
use procslink::framing::netlink::{NetlinkFields, NetlinkFraming, Padding};
use procslink::framing::{Framing, StreamDecoder, uvarint};
use procslink::{Error, ErrorKind};

fn err(kind: ErrorKind, offset: usize) -> Error {
    Error::new(kind, offset)
}

type Nl = (NetlinkFields, Vec<u8>);
fn nl(frame: procslink::framing::netlink::NetlinkFrame<'_>) -> Nl {
    (frame.fields(), frame.payload().to_vec())
}

type Client = (u64, ClientKind, Vec<u8>, Vec<u8>);
fn client(f: ClientFrame<'_>) -> Client {
    (f.id, f.kind, f.handler.to_vec(), f.data.to_vec())
}

type Server = (u64, ServerKind, Vec<u8>);
fn server(f: ServerFrame<'_>) -> Server {
    (f.id, f.kind, f.data.to_vec())
}

fn text(t: &[u8]) -> Vec<u8> {
    t.to_vec()
}

// ---------------------------------------------------------------- uvarint

#[test]
fn uvarint_vectors() {
    let cases: &[(u64, &[u8])] = &[
        (0, &[0x00]),
        (1, &[0x01]),
        (127, &[0x7f]),                // 7 bits fit one byte
        (128, &[0x80, 0x01]),          // 128 = 0 + 1·128
        (300, &[0xac, 0x02]),          // 300 = 44 + 2·128, 44 = 0x2c, 0x2c|0x80 = 0xac
        (16_383, &[0xff, 0x7f]),       // 127 + 127·128
        (16_384, &[0x80, 0x80, 0x01]), // 1·128²
        // 2^63 = 1·128^9: nine 0x80 bytes then 0x01
        (
            1 << 63,
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        ),
        // 2^64-1: nine groups of 127 (63 bits), then bit 63 = 1
        (
            u64::MAX,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    ];
    for &(value, bytes) in cases {
        let mut out = [0u8; 10];
        let n = uvarint::encode(value, &mut out).unwrap();
        assert_eq!(&out[..n], bytes, "{value}");
        assert_eq!(uvarint::encoded_len(value), bytes.len());
        assert_eq!(uvarint::decode(bytes), Ok((value, bytes.len())));
    }
}

#[test]
fn uvarint_rejects_overflow_and_accepts_go_non_minimal() {
    let overflow = err(ErrorKind::Varint, 0);
    // tenth byte 0x02 would set bit 64
    let ten = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
    assert_eq!(uvarint::decode(&ten), Err(overflow));
    // tenth byte still has its continuation bit
    assert_eq!(uvarint::decode(&[0x80; 11]), Err(overflow));
    assert_eq!(uvarint::decode(&[0x80; 10]), Err(overflow));
    // Go's Uvarint accepts these padded forms of 0 and 1
    assert_eq!(uvarint::decode(&[0x80, 0x00]), Ok((0, 2)));
    assert_eq!(uvarint::decode(&[0x81, 0x80, 0x00]), Ok((1, 3)));
    let truncated = ErrorKind::Truncated {
        needed: 3,
        available: 2,
    };
    assert_eq!(uvarint::decode(&[0x80, 0x80]), Err(err(truncated, 0)));
    let mut small = [0u8; 1];
    assert_eq!(
        uvarint::encode(300, &mut small),
        Err(err(ErrorKind::BufferTooSmall { needed: 2 }, 0))
    );
    assert_eq!(small, [0]);
}

// ---------------------------------------------------------------- netlink

fn ne_header(len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&pid.to_ne_bytes());
    v
}

#[test]
fn netlink_kernel_profile_aligned() {
    let fields = NetlinkFields {
        message_type: 0x10,
        flags: 0x0301,
        seq: 1,
        pid: 0,
    };
    // nlmsg_len = 16 header + 5 payload = 21; NLMSG_ALIGN(21) = 24: 3 pad bytes
    let mut expected = ne_header(21, 0x10, 0x0301, 1, 0);
    expected.extend_from_slice(&[1, 2, 3, 4, 5, 0, 0, 0]);
    // second message: empty payload, nlmsg_len = 16, no padding
    expected.extend_from_slice(&ne_header(16, 3, 2, 2, 0));

    let framing = NetlinkFraming::kernel();
    let mut out = [0xeeu8; 40];
    let n = framing.encode(&mut out, &fields, &[1, 2, 3, 4, 5]).unwrap();
    assert_eq!(n, 24);
    let done = NetlinkFields {
        message_type: 3,
        flags: 2,
        seq: 2,
        pid: 0,
    };
    let m = framing.encode(&mut out[n..], &done, &[]).unwrap();
    assert_eq!(m, 16);
    assert_eq!(&out[..40], &expected[..]);

    let items = agree(framing, &expected, &[3, 7], 64, 0, nl);
    assert_eq!(
        items,
        vec![Ok((fields, vec![1, 2, 3, 4, 5])), Ok((done, vec![]))]
    );

    // the same stream without its last 3 bytes: 16-byte message needs 16, 13 there,
    // at offset 24
    let cut = &expected[..37];
    let items = agree(framing, cut, &[5], 64, 0, nl);
    let truncated = ErrorKind::Truncated {
        needed: 16,
        available: 13,
    };
    assert_eq!(items.last(), Some(&Err(err(truncated, 24))));
    // a stream may end inside padding: 21 bytes + 2 of the 3 pad bytes
    let items = agree(framing, &expected[..23], &[2], 64, 0, nl);
    assert_eq!(items, vec![Ok((fields, vec![1, 2, 3, 4, 5]))]);
}

#[test]
fn netlink_kernel_profile_unpadded() {
    // two 17-byte messages back to back: 17 + 17 = 34 bytes
    let mut stream = ne_header(17, 1, 0, 9, 4);
    stream.push(0xaa);
    stream.extend_from_slice(&ne_header(17, 1, 0, 10, 4));
    stream.push(0xbb);
    let framing = NetlinkFraming::kernel().with_padding(Padding::None);
    assert_eq!(framing.padding(), Padding::None);
    let items = agree(framing, &stream, &[4], 17, 0, nl);
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_ref().unwrap().1, vec![0xbb]);
    assert_eq!(items[1].as_ref().unwrap().0.seq, 10);
    // with Align4 the second message would start at 20: bytes 17..20 are
    // skipped as padding and the "header" at 20 reads garbage, so frames differ
    let aligned = agree(NetlinkFraming::kernel(), &stream, &[4], 17, 0, nl);
    assert_ne!(aligned, items);
}

#[test]
fn netlink_procslink_profile() {
    // big-endian, nlmsg_len counts only the payload: "hi" → 2
    let expected: &[u8] = &[
        0, 0, 0, 2, // nlmsg_len = 2 (BE)
        0, 0, // type 0
        0, 0, // flags 0
        0, 0, 0, 0, // seq 0
        0x12, 0x34, 0x56, 0x78, // pid 0x12345678 (BE)
        b'h', b'i',
    ];
    let fields = NetlinkFields {
        pid: 0x1234_5678,
        ..Default::default()
    };
    let framing = NetlinkFraming::procslink();
    let mut out = [0u8; 18];
    assert_eq!(framing.encode(&mut out, &fields, b"hi"), Ok(18));
    assert_eq!(out, expected);
    let frame = framing.frames(expected, 18).next().unwrap().unwrap();
    assert_eq!(frame.len_field(), 2);
    assert_eq!(frame.bytes(), expected);
    assert_eq!(
        agree(framing, expected, &[1], 18, 0, nl),
        vec![Ok((fields, b"hi".to_vec()))]
    );
    // frame = 16 + 2 = 18 > 17
    let too_large = err(ErrorKind::TooLarge { size: 18, max: 17 }, 0);
    assert_eq!(
        agree(framing, expected, &[2], 17, 0, nl),
        vec![Err(too_large)]
    );
}

#[test]
fn netlink_errors() {
    // host profile: nlmsg_len 15 < 16 header bytes, in a second message at 16
    let mut stream = ne_header(16, 3, 0, 0, 0);
    stream.extend_from_slice(&ne_header(15, 3, 0, 0, 0));
    let small = ErrorKind::LengthTooSmall {
        length: 15,
        min: 16,
    };
    let items = agree(NetlinkFraming::kernel(), &stream, &[3], 64, 0, nl);
    assert_eq!(items.len(), 2);
    assert_eq!(items[1], Err(err(small, 16)));

    // nlmsg_len 4096 with max 1024: rejected once the 4 length bytes arrive
    let big = ne_header(4096, 0, 0, 0, 0);
    let too_large = err(
        ErrorKind::TooLarge {
            size: 4096,
            max: 1024,
        },
        0,
    );
    let mut buf = [0u8; 1024];
    let mut dec = StreamDecoder::new(&mut buf, NetlinkFraming::kernel(), 1024).unwrap();
    assert_eq!(dec.feed(&big[..3]), Ok(3));
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.feed(&big[3..4]), Ok(1));
    assert_eq!(dec.next_frame(), Some(Err(too_large)));
    // poisoned: reported once, then nothing; feed and finish keep the error
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.feed(&big[4..]), Err(too_large));
    assert_eq!(dec.error(), Some(too_large));
    assert_eq!(dec.finish(), Err(too_large));

    // a limit below 4 bytes: any frame is too large once 4 bytes are needed
    let tiny = err(ErrorKind::TooLarge { size: 4, max: 3 }, 0);
    assert_eq!(
        agree(NetlinkFraming::kernel(), &big, &[1], 3, 0, nl),
        vec![Err(tiny)]
    );

    // builder out of room: 16 + 5 = 21, padded to 24
    let mut out = [0u8; 23];
    let r = NetlinkFraming::kernel().encode(&mut out, &NetlinkFields::default(), b"12345");
    assert_eq!(r, Err(err(ErrorKind::BufferTooSmall { needed: 24 }, 0)));
    assert_eq!(out, [0u8; 23]);
}

// ---------------------------------------------------------- domainsockets

#[test]
fn domainsockets_client_vectors() {
    // id 300 → ac 02 (2 bytes), type 1 → 01, handler_len 4 → 04, "echo",
    // data_len 2 → 02, "hi": total = 2 + 1 + 1 + 4 + 1 + 2 = 11 → 0b
    let call: &[u8] = b"\x0b\xac\x02\x01\x04echo\x02hi";
    // keep-alive, id 0, no handler, no data: total = 1 + 1 + 1 + 0 + 1 + 0 = 4
    let keep_alive: &[u8] = &[0x04, 0x00, 0x00, 0x00, 0x00];
    // type 7 is not one Go knows: Unknown(7); data 200 bytes → data_len c8 01
    // (200 = 72 + 1·128, 72|0x80 = 0xc8); total = 1 + 1 + 1 + 1 + 2 + 200 = 206
    // → ce 01 (206 = 78 + 1·128, 78|0x80 = 0xce); frame = 2 + 206 = 208 bytes
    let mut big = vec![0xce, 0x01, 0x05, 0x07, 0x01, b'x', 0xc8, 0x01];
    big.extend(std::iter::repeat_n(0x5a, 200));
    assert_eq!(big.len(), 208);

    let frames = [
        ClientFrame {
            id: 300,
            kind: ClientKind::Data,
            handler: b"echo",
            data: b"hi",
        },
        ClientFrame {
            id: 0,
            kind: ClientKind::KeepAlive,
            handler: b"",
            data: b"",
        },
        ClientFrame {
            id: 5,
            kind: ClientKind::Unknown(7),
            handler: b"x",
            data: &[0x5a; 200],
        },
    ];
    let wires = [call, keep_alive, &big];
    let mut stream = Vec::new();
    for (frame, wire) in frames.iter().zip(wires) {
        let mut out = [0u8; 256];
        let n = frame.encode(&mut out).unwrap();
        assert_eq!(&out[..n], wire);
        assert_eq!(frame.encoded_len(), wire.len());
        stream.extend_from_slice(wire);
    }
    let items = agree(ClientFraming, &stream, &[2, 9], 208, 0, client);
    let expected: Vec<_> = frames.iter().map(|f| Ok(client(*f))).collect();
    assert_eq!(items, expected);
    assert_eq!(frames[0].handler_str(), Ok("echo"));
    let bad = ClientFrame {
        handler: b"ab\xff",
        ..frames[0]
    };
    assert_eq!(bad.handler_str(), Err(err(ErrorKind::InvalidUtf8, 2)));

    // 208-byte frame, limit 207: TooLarge as soon as `ce 01` is read
    let too_large = err(
        ErrorKind::TooLarge {
            size: 208,
            max: 207,
        },
        0,
    );
    assert_eq!(
        agree(ClientFraming, &big, &[3], 207, 0, client),
        vec![Err(too_large)]
    );
}

#[test]
fn domainsockets_server_vectors() {
    // error reply to id 1: total = 1 (id) + 1 (type 0) + 1 (len 4) + 4 = 7
    let error: &[u8] = b"\x07\x01\x00\x04boom";
    let frame = ServerFrame {
        id: 1,
        kind: ServerKind::Error,
        data: b"boom",
    };
    let mut out = [0u8; 8];
    assert_eq!(frame.encode(&mut out), Ok(8));
    assert_eq!(out, error);
    assert_eq!(frame.data_str(), Ok("boom"));
    let items = agree(ServerFraming, error, &[1], 8, 0, server);
    assert_eq!(items, vec![Ok((1, ServerKind::Error, b"boom".to_vec()))]);
    // one byte short of the buffer: nothing written
    let mut short = [0u8; 7];
    let needed = err(ErrorKind::BufferTooSmall { needed: 8 }, 0);
    assert_eq!(frame.encode(&mut short), Err(needed));
    assert_eq!(short, [0u8; 7]);
}

#[test]
fn domainsockets_malformed_frames() {
    // client body 00 01 05 00: handler_len 5 at offset 3, only 1 byte left
    let overrun = ErrorKind::LengthOverrun {
        length: 5,
        available: 1,
    };
    let items = agree(
        ClientFraming,
        &[0x04, 0x00, 0x01, 0x05, 0x00],
        &[2],
        64,
        0,
        client,
    );
    assert_eq!(items, vec![Err(err(overrun, 3))]);

    // server body 07 01 01 aa bb: data_len 1 at offset 3 but 2 bytes follow
    let mismatch = ErrorKind::LengthMismatch {
        length: 1,
        actual: 2,
    };
    let items = agree(
        ServerFraming,
        &[0x05, 0x07, 0x01, 0x01, 0xaa, 0xbb],
        &[2],
        64,
        0,
        server,
    );
    assert_eq!(items, vec![Err(err(mismatch, 3))]);

    // total 2 < 3 (id, type, data_len take a byte each at least)
    let small = ErrorKind::LengthTooSmall { length: 2, min: 3 };
    let items = agree(ServerFraming, &[0x02, 0x00, 0x00], &[1], 64, 0, server);
    assert_eq!(items, vec![Err(err(small, 0))]);

    // body ff ff ff: the id varint runs past the 3-byte body at offset 1
    let cut = ErrorKind::Truncated {
        needed: 4,
        available: 3,
    };
    let items = agree(
        ServerFraming,
        &[0x03, 0xff, 0xff, 0xff],
        &[1],
        64,
        0,
        server,
    );
    assert_eq!(items, vec![Err(err(cut, 1))]);

    // total varint of 11 bytes
    let overflow = err(ErrorKind::Varint, 0);
    let items = agree(ServerFraming, &[0xff; 12], &[1], 64, 0, server);
    assert_eq!(items, vec![Err(overflow)]);

    // a valid frame, then a bad one at offset 8: the error's offset is 8 + 3,
    // and nothing after it is decoded
    let mut stream = b"\x07\x01\x00\x04boom".to_vec();
    stream.extend_from_slice(&[0x05, 0x07, 0x01, 0x01, 0xaa, 0xbb]);
    stream.extend_from_slice(b"\x07\x01\x00\x04boom");
    let items = agree(ServerFraming, &stream, &[3], 64, 0, server);
    assert_eq!(items.len(), 2);
    assert_eq!(items[1], Err(err(mismatch, 11)));

    // total 1000 → e8 07 (1000 = 104 + 7·128, 104|0x80 = 0xe8): frame 1002 > 100,
    // reported from the two length bytes alone
    let mut buf = [0u8; 100];
    let mut dec = StreamDecoder::new(&mut buf, ServerFraming, 100).unwrap();
    dec.feed(&[0xe8]).unwrap();
    assert!(dec.next_frame().is_none());
    dec.feed(&[0x07]).unwrap();
    let too_large = err(
        ErrorKind::TooLarge {
            size: 1002,
            max: 100,
        },
        0,
    );
    assert_eq!(dec.next_frame(), Some(Err(too_large)));
}

#[test]
fn domainsockets_setup_id() {
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let parsed = SetupId::new(id).unwrap();
    assert_eq!(parsed.as_str(), id);
    assert_eq!(parsed.to_string(), id);
    assert!(SetupId::parse(b"0F8FAD5B-D9CB-469F-A165-70867728950E").is_ok());
    let mut out = [0u8; SETUP_LEN];
    assert_eq!(parsed.encode(&mut out), Ok(36));
    assert_eq!(&out, id.as_bytes());
    let mut short = [0u8; 35];
    let needed = err(ErrorKind::BufferTooSmall { needed: 36 }, 0);
    assert_eq!(parsed.encode(&mut short), Err(needed));

    let wrong_size = ErrorKind::WrongSize {
        expected: 36,
        found: 35,
    };
    assert_eq!(
        SetupId::parse(&id.as_bytes()[..35]),
        Err(err(wrong_size, 0))
    );
    let bad = |s: &str, byte: u8, at: usize| {
        let kind = ErrorKind::UnexpectedByte(byte);
        assert_eq!(SetupId::new(s), Err(err(kind, at)), "{s}");
    };
    bad("0f8fad5b-d9cb-169f-a165-70867728950e", b'1', 14); // version 1
    bad("0f8fad5b_d9cb-469f-a165-70867728950e", b'_', 8); // dash
    bad("0f8fad5g-d9cb-469f-a165-70867728950e", b'g', 7); // not hex
    bad("0f8fad5b-d9cb-469f-a165-70867728950-", b'-', 35);
}

// ----------------------------------------------------------------- EZ-IPC

#[test]
fn ezipc_vectors() {
    let request =
        br#"{"jsonrpc": "2.0", "method": "ping", "id": "0f8fad5bd9cb469fa16570867728950e"}"#;
    let mut out = [0u8; 128];
    let n = ezipc::encode(request, &mut out).unwrap();
    // text + 5 separator bytes
    assert_eq!(n, request.len() + 5);
    assert_eq!(&out[..request.len()], request);
    assert_eq!(&out[request.len()..n], b"\n\n\n\n\n");

    // "a\n" + separator = "a" + six \n: the frame ends at the first run of five,
    // so the text is "a" and the sixth \n starts the next frame, "\nb".
    // An empty text is a bare separator.
    let stream = b"a\n\n\n\n\n\nb\n\n\n\n\n\n\n\n\n\n[1,\n\n\n\n2]\n\n\n\n\n";
    let items = agree(EzIpcFraming::new(), stream, &[2, 5], 16, 0, text);
    let expected: Vec<Result<Vec<u8>, Error>> = vec![
        Ok(b"a".to_vec()),
        Ok(b"\nb".to_vec()),
        Ok(b"".to_vec()),
        Ok(b"[1,\n\n\n\n2]".to_vec()),
    ];
    assert_eq!(items, expected);

    // a tail "abc\n\n": needs 3 more \n, so 8 bytes, 5 there
    let cut = ErrorKind::Truncated {
        needed: 8,
        available: 5,
    };
    let items = agree(EzIpcFraming::new(), b"abc\n\n", &[1], 16, 0, text);
    assert_eq!(items, vec![Err(err(cut, 0))]);
}

#[test]
fn ezipc_over_long_text_is_skipped() {
    // limit 10: "0123456789abc" + separator is 18 bytes. Known too large at
    // 6 bytes ("012345" + 5 > 10), reported as size 11 at its offset 7,
    // skipped through its separator, then decoding goes on.
    let stream = b"ok\n\n\n\n\n0123456789abc\n\n\n\n\nyes\n\n\n\n\n";
    let too_large = err(ErrorKind::TooLarge { size: 11, max: 10 }, 7);
    let items = agree(EzIpcFraming::new(), stream, &[4], 10, 3, text);
    assert_eq!(
        items,
        vec![Ok(b"ok".to_vec()), Err(too_large), Ok(b"yes".to_vec())]
    );

    let mut buf = [0u8; 10];
    let mut dec = EzIpcFraming::new().decoder(&mut buf, 10).unwrap();
    assert_eq!(dec.feed(b"0123"), Ok(4));
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.feed(b"45"), Ok(2));
    let too_large = err(ErrorKind::TooLarge { size: 11, max: 10 }, 0);
    assert_eq!(dec.next_frame(), Some(Err(too_large)));
    assert_eq!(dec.error(), None);
    // the buffer holds 6 bytes: 4 more fit, and are dropped on the next call
    assert_eq!(dec.feed(b"6789abcdef\n\n\n"), Ok(4));
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.offset(), 10);
    assert_eq!(dec.feed(b"abcdef\n\n\n"), Ok(9));
    assert!(dec.next_frame().is_none());
    // the separator's last two bytes end the skipped text at 21
    assert_eq!(dec.feed(b"\n\nhi\n\n\n\n\n"), Ok(9));
    assert_eq!(dec.next_frame(), Some(Ok(&b"hi"[..])));
    assert_eq!(dec.offset(), 28);
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn ezipc_encode_refuses_unframeable_text() {
    let newline = ErrorKind::UnexpectedByte(b'\n');
    let mut out = [0u8; 32];
    // five \n from offset 3
    assert_eq!(
        ezipc::encode(b"[1,\n\n\n\n\n2]", &mut out),
        Err(err(newline, 3))
    );
    // trailing \n from offset 2 would merge into the separator
    assert_eq!(ezipc::encode(b"{}\n", &mut out), Err(err(newline, 2)));
    assert_eq!(out, [0u8; 32]);
    // 2 + 5 = 7 bytes needed
    let needed = err(ErrorKind::BufferTooSmall { needed: 7 }, 0);
    assert_eq!(ezipc::encode(b"{}", &mut out[..6]), Err(needed));
    assert_eq!(out, [0u8; 32]);
}

// --------------------------------------------------------- stream decoder

#[test]
fn decoder_needs_a_buffer_of_max_frame() {
    let mut buf = [0u8; 15];
    let r = StreamDecoder::new(&mut buf, EzIpcFraming::new(), 16);
    assert_eq!(
        r.err(),
        Some(err(ErrorKind::BufferTooSmall { needed: 16 }, 0))
    );
    // a limit of 0 still needs one byte to report that every frame is too large
    let r = StreamDecoder::new(&mut [], EzIpcFraming::new(), 0);
    assert_eq!(
        r.err(),
        Some(err(ErrorKind::BufferTooSmall { needed: 1 }, 0))
    );
    let mut one = [0u8; 1];
    let mut dec = StreamDecoder::new(&mut one, ServerFraming, 0).unwrap();
    assert_eq!(dec.feed(&[0x03]), Ok(1));
    let too_large = err(ErrorKind::TooLarge { size: 4, max: 0 }, 0);
    assert_eq!(dec.next_frame(), Some(Err(too_large)));
}

#[test]
fn decoder_feeds_what_fits_and_compacts() {
    // three 7-byte frames ("ab" + 5) through a 10-byte buffer
    let stream = b"ab\n\n\n\n\ncd\n\n\n\n\nef\n\n\n\n\n";
    let mut buf = [0u8; 10];
    let mut dec = StreamDecoder::new(&mut buf, EzIpcFraming::new(), 10).unwrap();
    assert_eq!(dec.feed(stream), Ok(10));
    assert_eq!(dec.buffered(), 10);
    assert_eq!(dec.next_frame(), Some(Ok(&b"ab"[..])));
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.offset(), 7);
    // 3 bytes kept, moved to the front: 7 more fit
    assert_eq!(dec.feed(&stream[10..]), Ok(7));
    assert_eq!(dec.next_frame(), Some(Ok(&b"cd"[..])));
    assert!(dec.next_frame().is_none());
    assert_eq!(dec.buffered(), 3);
    assert_eq!(dec.feed(&stream[17..]), Ok(4));
    assert_eq!(dec.next_frame(), Some(Ok(&b"ef"[..])));
    assert_eq!(dec.offset(), 21);
    assert_eq!(dec.buffered(), 0);
    assert_eq!(dec.max_frame(), 10);
    assert_eq!(*dec.framing(), EzIpcFraming::new());
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn finish_reports_a_truncated_frame() {
    // server frame total 5 → 6 bytes; stream stops after 4 at offset 0
    let mut buf = [0u8; 16];
    let mut dec = ServerFraming.decoder(&mut buf, 16).unwrap();
    dec.feed(&[0x05, 0x07, 0x01, 0x02]).unwrap();
    assert!(dec.next_frame().is_none());
    let cut = ErrorKind::Truncated {
        needed: 6,
        available: 4,
    };
    assert_eq!(dec.finish(), Err(err(cut, 0)));
}
