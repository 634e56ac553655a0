//! `procslink::peer::pyroute2` under bad input: a broker of the test's own
//! sending broken, truncated, oversized or out-of-turn envelopes to the
//! client, and raw streams sending the same to the crate's broker, which
//! must answer clearly or disconnect that client and keep serving. Also
//! messages over 64 KiB, fragmented and reassembled both ways.
#![cfg(all(feature = "std", feature = "family-rt-link"))]

mod peer_common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use procslink::envmsg::{
    ControlAttr, ControlCommand, ControlRepr, EnvHeader, EnvMsgHdrId, Envelope, EnvelopeFormat,
    EnvelopeIds, EnvelopeRepr, Splitter, TransportFlags,
};
use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::{Builder, MessageType, NLA_MAX_PAYLOAD, flags::Flags};
use procslink::peer::pyroute2::{
    ClientOptions, RemoteClient, RemoteError, RemoteServer, RemoteServerHandle,
};
use procslink::{ErrorKind, FragmentViolation};

const BROKER: u32 = 0x1234_5678;

fn ids() -> EnvelopeIds {
    EnvelopeIds::new(*b"hostile!")
}

/// A control envelope (`flags` on the transport header).
fn control(
    ids: &mut EnvelopeIds,
    flags: TransportFlags,
    dst: u32,
    seq: u32,
    command: ControlCommand,
    attrs: &[ControlAttr<'_>],
) -> Vec<u8> {
    let repr = EnvelopeRepr {
        header: EnvHeader::PortsId(EnvMsgHdrId::new(dst, 0, 0, 0, 16, ids.next_id())),
        flags,
        seq,
        pid: 1,
    };
    let mut buf = vec![0u8; 1024];
    let n = ControlRepr::new(command)
        .emit_in_envelope(&repr, &mut buf, |w| {
            attrs.iter().try_for_each(|a| w.attr(a))
        })
        .unwrap();
    buf.truncate(n);
    buf
}

fn hello(ids: &mut EnvelopeIds) -> Vec<u8> {
    control(
        ids,
        TransportFlags::CONTROL | TransportFlags::RESPONSE,
        u32::MAX,
        0,
        ControlCommand::ACK,
        &[ControlAttr::Addr(BROKER)],
    )
}

/// Reads one envelope (a netlink frame) off a stream.
fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let n = u32::from_ne_bytes(len) as usize;
    let mut frame = len.to_vec();
    frame.resize(n, 0);
    stream.read_exact(&mut frame[4..])?;
    Ok(frame)
}

/// A broker of the test's own: `script` gets the accepted stream.
fn fake_broker(script: impl FnOnce(TcpStream) + Send + 'static) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        script(stream);
    });
    (url, handle)
}

fn quick() -> ClientOptions {
    ClientOptions::new().timeout(Some(Duration::from_millis(500)))
}

/// Answers the hello and the DISCOVER as pyroute2 does; returns the
/// DISCOVER's envelope seq.
fn greet(stream: &mut TcpStream, ids: &mut EnvelopeIds) {
    stream.write_all(&hello(ids)).unwrap();
    let discover = read_frame(stream).unwrap();
    let env = Envelope::parse(&discover, EnvelopeFormat::PortsId).unwrap();
    assert_eq!(env.dst(), BROKER);
    let ctrl = env.control().unwrap();
    assert_eq!(ctrl.command(), ControlCommand::DISCOVER);
    let answer = control(
        ids,
        TransportFlags::CONTROL | TransportFlags::RESPONSE,
        0,
        env.seq(),
        ControlCommand::ACK,
        &[ControlAttr::Addr(255), ControlAttr::Source(15)],
    );
    stream.write_all(&answer).unwrap();
}

fn link_request() -> Vec<u8> {
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    let n = m.finish().unwrap();
    buf[..n].to_vec()
}

#[test]
fn client_refuses_garbage_for_a_hello() {
    let (url, broker) = fake_broker(|mut s| {
        let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello there\n");
    });
    let err = RemoteClient::connect_with(&url, quick()).unwrap_err();
    // "HTTP" read as nlmsg_len is about 1.2 GiB: refused at once.
    assert!(
        matches!(&err, RemoteError::Malformed(e) if matches!(e.kind(), ErrorKind::TooLarge { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("malformed envelope stream"),
        "{err}"
    );
    broker.join().unwrap();
}

#[test]
fn client_reports_a_truncated_hello() {
    let (url, broker) = fake_broker(|mut s| {
        let h = hello(&mut ids());
        s.write_all(&h[..h.len() - 7]).unwrap();
    });
    let err = RemoteClient::connect_with(&url, quick()).unwrap_err();
    assert!(
        matches!(err, RemoteError::Closed { in_frame: true }),
        "{err:?}"
    );
    broker.join().unwrap();
}

#[test]
fn client_refuses_a_hello_that_is_not_an_ack() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        let h = control(
            &mut ids,
            TransportFlags::CONTROL,
            u32::MAX,
            0,
            ControlCommand(99),
            &[],
        );
        s.write_all(&h).unwrap();
    });
    let err = RemoteClient::connect_with(&url, quick()).unwrap_err();
    assert!(matches!(err, RemoteError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("hello"), "{err}");
    broker.join().unwrap();
}

#[test]
fn client_reports_a_refused_discover() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        s.write_all(&hello(&mut ids)).unwrap();
        let discover = read_frame(&mut s).unwrap();
        let env = Envelope::parse(&discover, EnvelopeFormat::PortsId).unwrap();
        let err = control(
            &mut ids,
            TransportFlags::CONTROL | TransportFlags::RESPONSE,
            0,
            env.seq(),
            ControlCommand::ERR,
            &[ControlAttr::Error("KeyError: '/0/1373'\n")],
        );
        s.write_all(&err).unwrap();
    });
    let err = RemoteClient::connect_with(&url, quick()).unwrap_err();
    assert!(
        matches!(&err, RemoteError::ControlRefused { command, text }
            if *command == ControlCommand::DISCOVER && text.contains("KeyError")),
        "{err:?}"
    );
    broker.join().unwrap();
}

#[test]
fn client_times_out_on_a_silent_broker() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        greet(&mut s, &mut ids);
        // Read the request, never answer, wait for the client to leave.
        let _ = read_frame(&mut s);
        let _ = s.read(&mut [0u8; 1]);
    });
    let mut client = RemoteClient::connect_with(&url, quick()).unwrap();
    let err = client.dump(&link_request(), |_| {}).unwrap_err();
    assert!(matches!(err, RemoteError::Timeout), "{err:?}");
    drop(client);
    broker.join().unwrap();
}

#[test]
fn client_refuses_an_oversized_length_mid_dump() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        greet(&mut s, &mut ids);
        let _ = read_frame(&mut s);
        let mut bad = vec![0u8; 16];
        bad[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        bad[4..6].copy_from_slice(&0xfu16.to_ne_bytes());
        s.write_all(&bad).unwrap();
    });
    let mut client = RemoteClient::connect_with(&url, quick()).unwrap();
    let err = client.dump(&link_request(), |_| {}).unwrap_err();
    assert!(
        matches!(&err, RemoteError::Malformed(e) if matches!(e.kind(), ErrorKind::TooLarge { .. })),
        "{err:?}"
    );
    broker.join().unwrap();
}

/// The answer to the client's request: a NEWLINK of 100 000 bytes (one
/// attribute of 65 000 and one of 35 000), fragmented, then a DONE.
#[test]
fn client_reassembles_a_message_over_64_kib() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        greet(&mut s, &mut ids);
        let request = read_frame(&mut s).unwrap();
        let env = Envelope::parse(&request, EnvelopeFormat::PortsId).unwrap();
        assert_eq!(env.dport(), Some(255));
        let inner = procslink::netlink::Message::parse(env.data()).unwrap();
        let (seq, pid) = (inner.seq(), inner.pid());

        let mut big = vec![0u8; 101_000];
        let mut b = Builder::new(&mut big);
        let mut m = b
            .message(rt_link::RTM_NEWLINK, Flags::MULTI, seq, pid)
            .unwrap();
        m.family_header(&Ifinfomsg::default()).unwrap();
        m.put(rt_link::IFLA_IFNAME, b"big0\0").unwrap();
        m.put(0x3ff0, &[0xa5; 65_000]).unwrap();
        m.put(0x3ff1, &[0x5a; 35_000]).unwrap();
        let n = m.finish().unwrap();
        big.truncate(n);
        let repr = EnvelopeRepr {
            header: EnvHeader::PortsId(EnvMsgHdrId::new(0, 0, BROKER, 255, 16, [0; 16])),
            flags: TransportFlags::empty(),
            seq: env.seq(),
            pid: env.pid(),
        };
        let mut split = Splitter::new(&big, repr, 1, NLA_MAX_PAYLOAD & !3).unwrap();
        split.take_ids(&mut ids);
        assert_eq!(split.count(), 2);
        let mut frame = vec![0u8; split.max_buffer_len()];
        while let Some(len) = split.next_into(&mut frame) {
            s.write_all(&frame[..len.unwrap()]).unwrap();
        }
        let mut done = [0u8; 20];
        let mut b = Builder::new(&mut done);
        let mut m = b
            .message(MessageType::DONE, Flags::MULTI, seq, pid)
            .unwrap();
        m.put_bytes_raw(&0i32.to_ne_bytes()).unwrap();
        m.finish().unwrap();
        let env = repr.with_id(ids.next_id());
        let mut out = vec![0u8; env.buffer_len(done.len())];
        let n = env.emit(&done, &mut out).unwrap();
        s.write_all(&out[..n]).unwrap();
    });
    let mut client = RemoteClient::connect_with(&url, quick()).unwrap();
    let mut sizes = Vec::new();
    let n = client
        .dump(&link_request(), |m| sizes.push(m.payload().len()))
        .unwrap();
    assert_eq!(n, 1);
    assert!(sizes[0] > 100_000, "{sizes:?}");
    broker.join().unwrap();
}

/// A fragment out of place is a clear error.
#[test]
fn client_refuses_a_fragment_out_of_order() {
    let (url, broker) = fake_broker(|mut s| {
        let mut ids = ids();
        greet(&mut s, &mut ids);
        let _ = read_frame(&mut s).unwrap();
        let big = vec![7u8; 70_000];
        let repr = EnvelopeRepr::default().with_id(ids.next_id());
        let mut split = Splitter::new(&big, repr, 1, 60_000).unwrap();
        split.take_ids(&mut ids);
        let mut frame = vec![0u8; split.max_buffer_len()];
        let n = split.write_fragment(1, &mut frame).unwrap();
        s.write_all(&frame[..n]).unwrap();
    });
    let mut client = RemoteClient::connect_with(&url, quick()).unwrap();
    let err = client.dump(&link_request(), |_| {}).unwrap_err();
    assert!(
        matches!(&err, RemoteError::Malformed(e)
            if matches!(e.kind(), ErrorKind::Fragment(FragmentViolation::OutOfOrder { .. }))),
        "{err:?}"
    );
    broker.join().unwrap();
}

fn rtnetlink() -> bool {
    match KernelSocket::open(Protocol::ROUTE) {
        Ok(_) => true,
        Err(e) => {
            peer_common::missing(&format!("cannot open a NETLINK_ROUTE socket: {e}"));
            false
        }
    }
}

/// A raw connection to the crate's broker, past its hello; returns the
/// broker's address.
fn raw(server: &RemoteServerHandle) -> (TcpStream, u32) {
    let mut s = TcpStream::connect(server.url().strip_prefix("tcp://").unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let hello = read_frame(&mut s).unwrap();
    let env = Envelope::parse(&hello, EnvelopeFormat::PortsId).unwrap();
    assert_eq!(
        env.flags(),
        TransportFlags::CONTROL | TransportFlags::RESPONSE
    );
    let attrs: Vec<_> = env.control().unwrap().attrs().map(Result::unwrap).collect();
    let [ControlAttr::Addr(addr)] = attrs[..] else {
        panic!("{attrs:?}")
    };
    (s, addr)
}

/// The server still serves a well-behaved client.
fn still_serves(server: &RemoteServerHandle) {
    let mut client = RemoteClient::connect_with(&server.url(), quick()).unwrap();
    let n = client.dump(&link_request(), |_| {}).unwrap();
    assert!(n >= 1);
}

/// Waits (bounded) until the broker has closed `s`.
fn closed(mut s: TcpStream) {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[test]
fn server_disconnects_garbage_and_keeps_serving() {
    if !rtnetlink() {
        return;
    }
    let server = RemoteServer::bind("tcp://127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();

    // Garbage: its first four bytes as a length are over the limit.
    let (mut s, _) = raw(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    closed(s);

    // An oversized length in a transport header.
    let (mut s, _) = raw(&server);
    let mut bad = vec![0u8; 16];
    bad[..4].copy_from_slice(&0x00ff_ffffu32.to_ne_bytes());
    bad[4..6].copy_from_slice(&0xfu16.to_ne_bytes());
    s.write_all(&bad).unwrap();
    closed(s);

    // A length below the header's size.
    let (mut s, _) = raw(&server);
    s.write_all(&[8, 0, 0, 0, 15, 0, 0, 0]).unwrap();
    closed(s);

    // A truncated envelope, then the client leaves.
    let (mut s, addr) = raw(&server);
    let d = control(
        &mut ids(),
        TransportFlags::CONTROL,
        addr,
        1,
        ControlCommand::DISCOVER,
        &[ControlAttr::Host("/0/1373")],
    );
    s.write_all(&d[..d.len() - 5]).unwrap();
    drop(s);

    still_serves(&server);
    let stats = server.stop();
    assert!(stats.broken >= 4, "{stats:?}");
}

#[test]
fn server_answers_control_commands_and_drops_repeats() {
    if !rtnetlink() {
        return;
    }
    let server = RemoteServer::bind("tcp://127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let (mut s, addr) = raw(&server);
    let mut ids = ids();
    let mut ask = |s: &mut TcpStream, seq: u32, cmd: ControlCommand, attrs: &[ControlAttr<'_>]| {
        let m = control(&mut ids, TransportFlags::CONTROL, addr, seq, cmd, attrs);
        s.write_all(&m).unwrap();
        m
    };
    let answer = |s: &mut TcpStream| {
        let f = read_frame(s).unwrap();
        let env = Envelope::parse(&f, EnvelopeFormat::PortsId).unwrap();
        let ctrl = env.control().unwrap();
        let attrs: Vec<String> = ctrl.attrs().map(|a| format!("{:?}", a.unwrap())).collect();
        (env.seq(), ctrl.command(), attrs)
    };

    // Unknown and unsupported commands: IPRCMD_ERR with a text.
    ask(&mut s, 1, ControlCommand(99), &[]);
    let (seq, cmd, attrs) = answer(&mut s);
    assert_eq!((seq, cmd), (1, ControlCommand::ERR));
    assert_eq!(attrs, ["Error(\"unknown control command 99\")"]);
    ask(
        &mut s,
        2,
        ControlCommand::CONNECT,
        &[ControlAttr::Host("tcp://evil:1")],
    );
    let (_, cmd, attrs) = answer(&mut s);
    assert_eq!(cmd, ControlCommand::ERR);
    assert!(
        attrs[0].contains("IPRCMD_CONNECT is not supported"),
        "{attrs:?}"
    );

    // DISCOVER of another family, of rtnetlink, and without a host.
    ask(
        &mut s,
        3,
        ControlCommand::DISCOVER,
        &[ControlAttr::Host("/16/0")],
    );
    let (_, cmd, attrs) = answer(&mut s);
    assert_eq!(cmd, ControlCommand::ERR);
    assert!(attrs[0].contains("rtnetlink"), "{attrs:?}");
    let discover = ask(
        &mut s,
        4,
        ControlCommand::DISCOVER,
        &[ControlAttr::Host("/0/1373")],
    );
    let (seq, cmd, attrs) = answer(&mut s);
    assert_eq!((seq, cmd), (4, ControlCommand::ACK));
    assert_eq!(attrs, ["Addr(255)", "Source(15)"]);
    ask(&mut s, 5, ControlCommand::DISCOVER, &[]);
    let (_, cmd, attrs) = answer(&mut s);
    assert_eq!(cmd, ControlCommand::ERR);
    assert!(attrs[0].contains("without IPR_ATTR_HOST"), "{attrs:?}");

    // The same envelope again (same id): dropped without an answer, as
    // pyroute2 drops it; the next one is answered.
    s.write_all(&discover).unwrap();
    // Not for this broker: dropped.
    let mut other = ids_for_other();
    let m = control(
        &mut other,
        TransportFlags::CONTROL,
        addr ^ 1,
        6,
        ControlCommand::DISCOVER,
        &[ControlAttr::Host("/0/1373")],
    );
    s.write_all(&m).unwrap();
    // A netlink message that is not an envelope: dropped.
    s.write_all(&[16, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap();
    ask(
        &mut s,
        7,
        ControlCommand::DISCOVER,
        &[ControlAttr::Host("/0/1")],
    );
    let (seq, cmd, _) = answer(&mut s);
    assert_eq!((seq, cmd), (7, ControlCommand::ACK));
    drop(s);

    still_serves(&server);
    let stats = server.stop();
    assert_eq!(stats.duplicates, 1, "{stats:?}");
    assert!(stats.dropped >= 2, "{stats:?}");
    // Six on the raw stream, one from `still_serves`.
    assert_eq!(stats.control, 7, "{stats:?}");
}

fn ids_for_other() -> EnvelopeIds {
    EnvelopeIds::new(*b"another!")
}

/// A request over 64 KiB goes to the crate's broker in fragments (a
/// GETLINK dump with 70 000 bytes of attributes), and
/// the crate's client also works over `unix://`.
#[test]
fn fragmented_request_over_unix_stream() {
    if !rtnetlink() {
        return;
    }
    let path = std::env::temp_dir().join(format!(
        "procslink-pyroute2-{}-{}",
        std::process::id(),
        line!()
    ));
    let url = format!("unix://{}", path.display());
    let server = RemoteServer::bind(&url).unwrap().spawn().unwrap();
    let mut client = RemoteClient::connect_with(&url, quick()).unwrap();

    let mut buf = vec![0u8; 71_000];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    // IFLA_EXT_MASK 0, 8 750 times over (the last one counts).
    for _ in 0..8_750 {
        m.put_u32(rt_link::IFLA_EXT_MASK, 0).unwrap();
    }
    let n = m.finish().unwrap();
    let mut names = 0;
    let links = client.dump(&buf[..n], |_| names += 1).unwrap();
    assert!(links >= 1 && links == names);
    drop(client);
    let stats = server.stop();
    // Two fragments and the DISCOVER.
    assert_eq!(stats.envelopes, 3, "{stats:?}");
    assert_eq!(stats.requests, 1, "{stats:?}");
    assert!(!path.exists(), "the socket file is removed");
}
