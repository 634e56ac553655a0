//! Properties of the stream framings: chunking never changes the result,
//! builds decode back to what was built, any input gives frames or typed
//! errors (never a panic), and the frame size limit holds.

mod framing_support;

use framing_support::{agree, chunked};
use procslink::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, ServerFrame, ServerFraming, ServerKind,
};
use procslink::framing::ezipc::{self, EzIpcFraming};
use procslink::framing::netlink::{NetlinkFields, NetlinkFrame, NetlinkFraming, Padding};
use procslink::framing::{StreamDecoder, uvarint};
use procslink::{Error, ErrorKind};
use proptest::collection::vec;
use proptest::prelude::*;

type Nl = (NetlinkFields, Vec<u8>);
fn nl(frame: NetlinkFrame<'_>) -> Nl {
    (frame.fields(), frame.payload().to_vec())
}

type Client = (u64, u64, Vec<u8>, Vec<u8>);
fn client(f: ClientFrame<'_>) -> Client {
    (f.id, f.kind.to_u64(), f.handler.to_vec(), f.data.to_vec())
}

type Server = (u64, u64, Vec<u8>);
fn server(f: ServerFrame<'_>) -> Server {
    (f.id, f.kind.to_u64(), f.data.to_vec())
}

fn text(t: &[u8]) -> Vec<u8> {
    t.to_vec()
}

fn netlink_framing(choice: u8) -> NetlinkFraming {
    match choice % 4 {
        0 => NetlinkFraming::kernel(),
        1 => NetlinkFraming::kernel().with_padding(Padding::None),
        2 => NetlinkFraming::procslink(),
        _ => NetlinkFraming::procslink().with_padding(Padding::Align4),
    }
}

fn fields() -> impl Strategy<Value = NetlinkFields> {
    (any::<u16>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
        |(message_type, flags, seq, pid)| NetlinkFields {
            message_type,
            flags,
            seq,
            pid,
        },
    )
}

/// Ids and kinds that exercise every varint length.
fn wide_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(1), 0..300u64, any::<u64>()]
}

fn client_frames() -> impl Strategy<Value = Vec<Client>> {
    vec(
        (
            wide_u64(),
            wide_u64(),
            vec(any::<u8>(), 0..12),
            vec(any::<u8>(), 0..150),
        ),
        0..6,
    )
}

fn server_frames() -> impl Strategy<Value = Vec<Server>> {
    vec((wide_u64(), wide_u64(), vec(any::<u8>(), 0..150)), 0..6)
}

/// Texts over a small alphabet heavy in `\n`, framable or not.
fn texts() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let byte = prop_oneof![
        Just(b'\n'),
        Just(b'\n'),
        Just(b'{'),
        Just(b'"'),
        any::<u8>()
    ];
    vec(vec(byte, 0..24), 0..8)
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(1..40usize, 1..6)
}

fn build_netlink(framing: NetlinkFraming, msgs: &[(NetlinkFields, Vec<u8>)]) -> Vec<u8> {
    let mut stream = Vec::new();
    for (fields, payload) in msgs {
        let mut out = vec![0u8; framing.encoded_len(payload.len())];
        let n = framing.encode(&mut out, fields, payload).unwrap();
        assert_eq!(n, out.len());
        stream.extend_from_slice(&out);
    }
    stream
}

fn build_client(frames: &[Client]) -> Vec<u8> {
    let mut stream = Vec::new();
    for (id, kind, handler, data) in frames {
        let frame = ClientFrame {
            id: *id,
            kind: ClientKind::from_u64(*kind),
            handler,
            data,
        };
        let mut out = vec![0u8; frame.encoded_len()];
        assert_eq!(frame.encode(&mut out), Ok(out.len()));
        stream.extend_from_slice(&out);
    }
    stream
}

fn build_server(frames: &[Server]) -> Vec<u8> {
    let mut stream = Vec::new();
    for (id, kind, data) in frames {
        let frame = ServerFrame {
            id: *id,
            kind: ServerKind::from_u64(*kind),
            data,
        };
        let mut out = vec![0u8; frame.encoded_len()];
        assert_eq!(frame.encode(&mut out), Ok(out.len()));
        stream.extend_from_slice(&out);
    }
    stream
}

/// The framable texts, and the stream they make.
fn build_ezipc(texts: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut kept = Vec::new();
    let mut stream = Vec::new();
    for t in texts {
        let mut out = vec![0u8; t.len() + 5];
        match ezipc::encode(t, &mut out) {
            Ok(n) => {
                assert_eq!(n, out.len());
                stream.extend_from_slice(&out);
                kept.push(t.clone());
            }
            Err(_) => assert!(t.ends_with(b"\n") || t.windows(5).any(|w| w == b"\n\n\n\n\n")),
        }
    }
    (kept, stream)
}

/// Go's `Uvarint`, stated differently: the bytes up to the first one below
/// 0x80, at most 10 of them, whose 7-bit groups make a value below 2^64.
fn reference_uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let end = bytes.iter().position(|b| *b < 0x80)?;
    if end >= 10 {
        return None;
    }
    let value = bytes[..=end]
        .iter()
        .enumerate()
        .fold(0u128, |v, (i, b)| v | u128::from(b & 0x7f) << (7 * i));
    u64::try_from(value).ok().map(|v| (v, end + 1))
}

fn all_ok<O: Clone>(items: &[O]) -> Vec<Result<O, Error>> {
    items.iter().cloned().map(Ok).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn netlink_streams_survive_any_chunking(
        choice in any::<u8>(),
        msgs in vec((fields(), vec(any::<u8>(), 0..40)), 0..8),
        sizes in sizes(),
        slack in 0..8usize,
    ) {
        let framing = netlink_framing(choice);
        let stream = build_netlink(framing, &msgs);
        let items = agree(framing, &stream, &sizes, 56, slack, nl);
        prop_assert_eq!(items, all_ok(&msgs));
    }

    #[test]
    fn client_streams_survive_any_chunking(
        frames in client_frames(),
        sizes in sizes(),
        slack in 0..8usize,
    ) {
        let stream = build_client(&frames);
        let max = frames.iter().map(|f| build_client(std::slice::from_ref(f)).len()).max().unwrap_or(1);
        let items = agree(ClientFraming, &stream, &sizes, max, slack, client);
        prop_assert_eq!(items, all_ok(&frames));
    }

    #[test]
    fn server_streams_survive_any_chunking(
        frames in server_frames(),
        sizes in sizes(),
        slack in 0..8usize,
    ) {
        let stream = build_server(&frames);
        let items = agree(ServerFraming, &stream, &sizes, 200, slack, server);
        prop_assert_eq!(items, all_ok(&frames));
    }

    #[test]
    fn ezipc_streams_survive_any_chunking(
        texts in texts(),
        sizes in sizes(),
        slack in 0..8usize,
    ) {
        let (kept, stream) = build_ezipc(&texts);
        let items = agree(EzIpcFraming::new(), &stream, &sizes, 29, slack, text);
        prop_assert_eq!(items, all_ok(&kept));
    }

    /// Any bytes, limit and chunking: whole and chunked decoding agree (the
    /// driver asserts it) and nothing panics.
    #[test]
    fn any_bytes_decode_the_same_whole_or_chunked(
        bytes in vec(any::<u8>(), 0..300),
        choice in any::<u8>(),
        max in 0..80usize,
        sizes in sizes(),
        slack in 0..8usize,
    ) {
        agree(netlink_framing(choice), &bytes, &sizes, max, slack, nl);
        agree(ClientFraming, &bytes, &sizes, max, slack, client);
        agree(ServerFraming, &bytes, &sizes, max, slack, server);
        agree(EzIpcFraming::new(), &bytes, &sizes, max, slack, text);
    }

    /// Valid streams with a few bytes changed and the tail cut: same.
    #[test]
    fn damaged_streams_decode_the_same_whole_or_chunked(
        choice in any::<u8>(),
        msgs in vec((fields(), vec(any::<u8>(), 0..20)), 1..5),
        clients in client_frames(),
        texts in texts(),
        flips in vec((any::<prop::sample::Index>(), 1..=255u8), 0..4),
        cut in any::<prop::sample::Index>(),
        sizes in sizes(),
        max in 0..200usize,
    ) {
        let damage = |mut stream: Vec<u8>| {
            if !stream.is_empty() {
                for (at, xor) in &flips {
                    let i = at.index(stream.len());
                    stream[i] ^= xor;
                }
                stream.truncate(cut.index(stream.len() + 1));
            }
            stream
        };
        let framing = netlink_framing(choice);
        agree(framing, &damage(build_netlink(framing, &msgs)), &sizes, max, 0, nl);
        let clients = damage(build_client(&clients));
        agree(ClientFraming, &clients, &sizes, max, 0, client);
        agree(ServerFraming, &clients, &sizes, max, 0, server);
        agree(EzIpcFraming::new(), &damage(build_ezipc(&texts).1), &sizes, max, 0, text);
    }

    #[test]
    fn frames_over_the_limit_are_rejected_before_their_body(
        choice in any::<u8>(),
        nl_msg in (fields(), vec(any::<u8>(), 0..40)),
        frame in (wide_u64(), wide_u64(), vec(any::<u8>(), 0..12), vec(any::<u8>(), 0..150)),
        text_len in 3..40usize,
    ) {
        // netlink: the limit one below the frame; the 4 length bytes suffice
        let framing = netlink_framing(choice);
        let stream = build_netlink(framing, std::slice::from_ref(&nl_msg));
        let size = 16 + nl_msg.1.len();
        let too_large = Error::new(ErrorKind::TooLarge { size, max: size - 1 }, 0);
        prop_assert_eq!(agree(framing, &stream, &[7], size - 1, 0, nl), vec![Err(too_large)]);
        prop_assert_eq!(agree(framing, &stream, &[7], size, 0, nl).len(), 1);
        let mut buf = vec![0u8; size - 1];
        let mut dec = StreamDecoder::new(&mut buf, framing, size - 1).unwrap();
        dec.feed(&stream[..4]).unwrap();
        prop_assert_eq!(dec.next_frame(), Some(Err(too_large)));

        // domainsockets: the limit one below; the total varint suffices
        let stream = build_client(std::slice::from_ref(&frame));
        let size = stream.len();
        let head = uvarint::decode(&stream).unwrap().1;
        let too_large = Error::new(ErrorKind::TooLarge { size, max: size - 1 }, 0);
        let mut buf = vec![0u8; size - 1];
        let mut dec = StreamDecoder::new(&mut buf, ClientFraming, size - 1).unwrap();
        dec.feed(&stream[..head]).unwrap();
        prop_assert_eq!(dec.next_frame(), Some(Err(too_large)));
        prop_assert_eq!(agree(ClientFraming, &stream, &[3], size, 0, client), vec![Ok(frame)]);

        // EZ-IPC: text + 5 one over the limit, then a frame that fits
        let body = vec![b'x'; text_len];
        let (_, stream) = build_ezipc(&[body.clone(), b"ok".to_vec()]);
        let max = text_len + 4;
        let too_large = Error::new(ErrorKind::TooLarge { size: max + 1, max }, 0);
        let items = agree(EzIpcFraming::new(), &stream, &[5], max, 0, text);
        prop_assert_eq!(items, vec![Err(too_large), Ok(b"ok".to_vec())]);
        let items = agree(EzIpcFraming::new(), &stream, &[5], max + 1, 0, text);
        prop_assert_eq!(items, vec![Ok(body), Ok(b"ok".to_vec())]);
    }

    #[test]
    fn builders_refuse_short_buffers_and_write_nothing(
        choice in any::<u8>(),
        nl_msg in (fields(), vec(any::<u8>(), 0..40)),
        frame in (wide_u64(), wide_u64(), vec(any::<u8>(), 0..12), vec(any::<u8>(), 0..40)),
        text in vec(b'a'..=b'z', 0..40),
        short in any::<prop::sample::Index>(),
    ) {
        let framing = netlink_framing(choice);
        let needed = framing.encoded_len(nl_msg.1.len());
        let mut out = vec![0xa5u8; short.index(needed)];
        let too_small = Error::new(ErrorKind::BufferTooSmall { needed }, 0);
        prop_assert_eq!(framing.encode(&mut out, &nl_msg.0, &nl_msg.1), Err(too_small));
        prop_assert!(out.iter().all(|b| *b == 0xa5));

        let (id, kind, handler, data) = &frame;
        let client = ClientFrame { id: *id, kind: ClientKind::from_u64(*kind), handler, data };
        let needed = client.encoded_len();
        let mut out = vec![0xa5u8; short.index(needed)];
        let too_small = Error::new(ErrorKind::BufferTooSmall { needed }, 0);
        prop_assert_eq!(client.encode(&mut out), Err(too_small));
        prop_assert!(out.iter().all(|b| *b == 0xa5));

        let server = ServerFrame { id: *id, kind: ServerKind::from_u64(*kind), data };
        let needed = server.encoded_len();
        let mut out = vec![0xa5u8; short.index(needed)];
        let too_small = Error::new(ErrorKind::BufferTooSmall { needed }, 0);
        prop_assert_eq!(server.encode(&mut out), Err(too_small));
        prop_assert!(out.iter().all(|b| *b == 0xa5));

        let needed = text.len() + 5;
        let mut out = vec![0xa5u8; short.index(needed)];
        let too_small = Error::new(ErrorKind::BufferTooSmall { needed }, 0);
        prop_assert_eq!(ezipc::encode(&text, &mut out), Err(too_small));
        prop_assert!(out.iter().all(|b| *b == 0xa5));
    }

    #[test]
    fn uvarint_round_trips(value in wide_u64()) {
        let mut out = [0u8; 10];
        let n = uvarint::encode(value, &mut out).unwrap();
        prop_assert_eq!(n, uvarint::encoded_len(value));
        prop_assert_eq!(uvarint::decode(&out[..n]), Ok((value, n)));
        // the shortest form: only a 1-byte zero may end in a zero byte
        prop_assert!(n == 1 || out[n - 1] != 0);
    }

    #[test]
    fn uvarint_decodes_as_go_does(bytes in vec(prop_oneof![0x80..=0xffu8, any::<u8>()], 0..14)) {
        match reference_uvarint(&bytes) {
            Some(expected) => prop_assert_eq!(uvarint::decode(&bytes), Ok(expected)),
            None => prop_assert!(uvarint::decode(&bytes).is_err()),
        }
    }

    /// Chunked decoding straight into the stream decoder, with every chunk
    /// the largest the decoder takes: the same frames as whole decoding.
    #[test]
    fn greedy_feeding_matches(frames in server_frames()) {
        let stream = build_server(&frames);
        let got = chunked(ServerFraming, &stream, &[usize::MAX], 200, 0, server);
        prop_assert_eq!(got, all_ok(&frames));
    }
}
