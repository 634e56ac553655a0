//! Bad input to the domainsockets server and client: setup datagrams that
//! are not ids, frames that are cut short, too long or malformed, datagrams
//! from strangers, floods of partial frames, panicking handlers, and
//! servers that answer nonsense. Each is a clear error or a count; nothing
//! panics and the server goes on serving.
#![cfg(feature = "std")]

mod peer_common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use peer_common::socket_dir::SocketDir;
use procslink::framing::Framing;
use procslink::framing::domainsockets::{ClientFrame, ClientKind, ServerFraming, ServerKind};
use procslink::peer::domainsockets::{
    Client, ClientOptions, Server, ServerHandle, ServerOptions, demo_methods,
};
use procslink::peer::{CallError, Params, RpcError};
use serde_json::{Value, json};

fn serve(dir: &Path, name: &str, options: ServerOptions) -> ServerHandle {
    let mut methods = demo_methods();
    methods.add("boom", |_: Params| -> Result<Value, RpcError> {
        panic!("boom")
    });
    methods.add("verbose", |_: Params| -> Result<Value, RpcError> {
        Err(RpcError::invalid_params("\u{e9}".repeat(3000)))
    });
    Server::bind(name, methods, options.dir(dir))
        .unwrap()
        .spawn()
        .unwrap()
}

/// A version-4 UUID text unique in this process.
fn fresh_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}-0000-4000-8000-{n:012x}", std::process::id())
}

/// A hand-driven client: its own socket and the server's for it.
struct Raw {
    socket: UnixDatagram,
    server: PathBuf,
}

impl Raw {
    fn connect(dir: &Path, name: &str) -> Raw {
        let id = fresh_id();
        let socket = UnixDatagram::bind(dir.join(&id)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        socket.send_to(id.as_bytes(), dir.join(name)).unwrap();
        let mut answer = [0u8; 64];
        let n = socket.recv(&mut answer).expect("a setup answer");
        let server = dir.join(std::str::from_utf8(&answer[..n]).unwrap());
        Raw { socket, server }
    }

    fn send(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, &self.server).unwrap();
    }

    /// The next reply: id, kind, data as text; `None` after `wait`.
    fn reply(&self, wait: Duration) -> Option<(u64, ServerKind, String)> {
        self.socket.set_read_timeout(Some(wait)).unwrap();
        let mut buf = vec![0u8; 8192];
        let n = self.socket.recv(&mut buf).ok()?;
        let frame = ServerFraming.frames(&buf[..n], 8192).next()?.unwrap();
        Some((frame.id, frame.kind, frame.data_str().unwrap().to_owned()))
    }

    fn expect(&self) -> (u64, ServerKind, String) {
        self.reply(Duration::from_secs(5)).expect("a reply")
    }
}

fn call(id: u64, handler: &str, data: &[u8]) -> Vec<u8> {
    frame(id, ClientKind::Data, handler.as_bytes(), data)
}

fn frame(id: u64, kind: ClientKind, handler: &[u8], data: &[u8]) -> Vec<u8> {
    let frame = ClientFrame {
        id,
        kind,
        handler,
        data,
    };
    let mut out = vec![0u8; frame.encoded_len()];
    frame.encode(&mut out).unwrap();
    out
}

#[test]
fn setup_datagrams_that_are_not_ids_are_counted_and_serving_goes_on() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "setup", ServerOptions::new());
    let stranger = UnixDatagram::unbound().unwrap();
    let setup = dir.path().join("setup");
    for bad in [
        &b"short"[..],
        &[b'a'; 37][..],
        b"zzzzzzzz-zzzz-4zzz-zzzz-zzzzzzzzzzzz",
        b"0f8fad5b-d9cb-169f-a165-70867728950e", // version 1
        b"",
    ] {
        stranger.send_to(bad, &setup).unwrap();
    }
    // A valid id whose socket does not exist cannot be answered.
    stranger.send_to(fresh_id().as_bytes(), &setup).unwrap();
    let client = Client::connect("setup", ClientOptions::new().dir(dir.path())).unwrap();
    assert_eq!(client.call("echo", json!("still")).unwrap(), json!("STILL"));
    drop(client);
    let stats = server.stop();
    assert_eq!((stats.bad_setups, stats.refused, stats.sessions), (5, 1, 1));
}

#[test]
fn a_call_cut_into_pieces_is_reassembled() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "pieces", ServerOptions::new());
    let raw = Raw::connect(dir.path(), "pieces");
    let wire = call(7, "echo", "piece by piece é".as_bytes());
    for piece in wire.chunks(3) {
        raw.send(piece);
    }
    assert_eq!(
        raw.expect(),
        (7, ServerKind::Data, "PIECE BY PIECE É".into())
    );
    // Two calls in one datagram are two calls.
    let mut two = call(8, "echo", b"a");
    two.extend(call(9, "echo", b"b"));
    raw.send(&two);
    assert_eq!(raw.expect(), (8, ServerKind::Data, "A".into()));
    assert_eq!(raw.expect(), (9, ServerKind::Data, "B".into()));
    assert_eq!(server.stop().calls, 3);
}

#[test]
fn malformed_frames_restart_the_stream_at_the_next_datagram() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "bad", ServerOptions::new());
    let raw = Raw::connect(dir.path(), "bad");
    let bad_frames: [&[u8]; 5] = [
        b"\xc0\x84\x3d\x00\x01",     // total 1000000: over max_frame
        b"\x02\x00\x01",             // total 2: too small for a call
        b"\x06\x00\x01\x09ech\x00",  // handler_len past the body
        b"\x07\x00\x01\x04echo\x05", // data_len past the body
        &[0xff; 11],                 // a varint of 11 bytes
    ];
    for (n, bad) in bad_frames.into_iter().enumerate() {
        raw.send(bad);
        let id = 100 + n as u64;
        raw.send(&call(id, "echo", b"next"));
        assert_eq!(
            raw.expect(),
            (id, ServerKind::Data, "NEXT".into()),
            "after {bad:?}"
        );
    }
    let stats = server.stop();
    assert_eq!((stats.bad_frames, stats.panics, stats.calls), (5, 0, 5));
}

#[test]
fn odd_frames_get_error_frames() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "odd", ServerOptions::new());
    let raw = Raw::connect(dir.path(), "odd");
    raw.send(&frame(1, ClientKind::Unknown(7), b"echo", b"x"));
    let (id, kind, text) = raw.expect();
    assert_eq!((id, kind), (1, ServerKind::Error));
    assert!(text.contains("frame type 7"), "{text}");
    raw.send(
        &call(2, "\u{e9}", b"x")
            .into_iter()
            .map(|b| if b == 0xc3 { 0xff } else { b })
            .collect::<Vec<_>>(),
    );
    let (id, kind, text) = raw.expect();
    assert_eq!((id, kind), (2, ServerKind::Error));
    assert!(
        text.starts_with("-32600 Invalid Request: \"the handler name is not UTF-8"),
        "{text}"
    );
    raw.send(&call(3, "boom", b""));
    let (id, kind, text) = raw.expect();
    assert_eq!((id, kind), (3, ServerKind::Error));
    assert!(text.contains("handler panicked: boom"), "{text}");
    // An error text too long for a datagram is cut to fit, at a character.
    raw.send(&call(6, "verbose", b""));
    let (id, kind, text) = raw.expect();
    assert_eq!((id, kind), (6, ServerKind::Error));
    assert!(
        text.starts_with("-32602 Invalid params: \"\u{e9}\u{e9}"),
        "{text}"
    );
    assert!(text.len() > 4000 && text.len() < 4096, "{}", text.len());
    raw.send(&call(4, "echo", b"after the panic"));
    assert_eq!(
        raw.expect(),
        (4, ServerKind::Data, "AFTER THE PANIC".into())
    );
    // A datagram over 4096 bytes starting a call: answered with its id.
    raw.send(&call(5, "echo", &[b'x'; 5000]));
    let (id, kind, text) = raw.expect();
    assert_eq!((id, kind), (5, ServerKind::Error));
    assert!(text.contains("more than 4096 bytes"), "{text}");
    let stats = server.stop();
    assert_eq!((stats.panics, stats.oversized, stats.errors), (1, 1, 5));
}

#[test]
fn strangers_are_ignored_and_floods_of_partial_frames_are_bounded() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "flood", ServerOptions::new().max_frame(8192));
    let raw = Raw::connect(dir.path(), "flood");
    let stranger = UnixDatagram::bind(dir.path().join("stranger")).unwrap();
    stranger
        .send_to(&call(1, "echo", b"x"), &raw.server)
        .unwrap();
    raw.send(&call(2, "echo", b"mine"));
    assert_eq!(raw.expect(), (2, ServerKind::Data, "MINE".into()));
    // Headers that promise 8000 bytes of data, one after another: each
    // lies inside the data of the first, which stays partial.
    let header = &call(3, "echo", &[b'.'; 8000])[..9];
    for _ in 0..400 {
        raw.send(header);
    }
    // Another client is served all the while.
    let other = Client::connect("flood", ClientOptions::new().dir(dir.path())).unwrap();
    assert_eq!(other.call("add", json!([2, 40])).unwrap(), json!(42));
    // The flood fills the frame at last: it decodes (the data is the other
    // headers) or fails, either way one answer or none, never a stall.
    for _ in 0..600 {
        raw.send(header);
    }
    while raw.reply(Duration::from_millis(200)).is_some() {}
    raw.send(&call(4, "echo", b"recovered"));
    // The partial frame may swallow this call: one more restarts it.
    let got = raw.reply(Duration::from_millis(500));
    if got.is_none() {
        raw.send(&[0u8; 5000]);
        while raw.reply(Duration::from_millis(200)).is_some() {}
        raw.send(&call(5, "echo", b"recovered"));
        assert_eq!(raw.expect(), (5, ServerKind::Data, "RECOVERED".into()));
    }
    drop(other);
    let stats = server.stop();
    assert_eq!(stats.strangers, 1);
    assert_eq!(stats.panics, 0);
}

#[test]
fn an_idle_client_is_forgotten_and_its_socket_removed() {
    let dir = SocketDir::new();
    let options = ServerOptions::new().idle_timeout(Duration::from_millis(200));
    let server = serve(dir.path(), "idle", options);
    let raw = Raw::connect(dir.path(), "idle");
    assert!(raw.server.exists());
    std::thread::sleep(Duration::from_millis(600));
    assert!(!raw.server.exists(), "the per-client socket is removed");
    assert!(raw.socket.send_to(b"x", &raw.server).is_err());
    server.stop();
}

/// A server of our own making that answers the one call it gets with
/// `replies` (from its per-client socket, or from `stranger` first).
fn lying_server(dir: &Path, name: &str, replies: Vec<Vec<u8>>) -> std::thread::JoinHandle<()> {
    let setup = UnixDatagram::bind(dir.join(name)).unwrap();
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4097];
        let n = setup.recv(&mut buf).unwrap();
        let client = dir.join(std::str::from_utf8(&buf[..n]).unwrap());
        let id = fresh_id();
        let own = UnixDatagram::bind(dir.join(&id)).unwrap();
        own.send_to(id.as_bytes(), &client).unwrap();
        let stranger = UnixDatagram::bind(dir.join(fresh_id())).unwrap();
        own.recv(&mut buf).unwrap();
        stranger.send_to(b"\x04\x00\x01\x01X", &client).unwrap();
        for reply in replies {
            own.send_to(&reply, &client).unwrap();
        }
    })
}

#[test]
fn replies_that_are_stale_foreign_or_malformed_are_told_apart() {
    let dir = SocketDir::new();
    let stale = b"\x04\x09\x01\x01S".to_vec(); // id 9: no such call
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("garbage", b"\x05\x00".to_vec(), "not a reply frame"),
        (
            "two",
            b"\x04\x00\x01\x01A\x04\x00\x01\x01B".to_vec(),
            "more than one reply frame",
        ),
        ("kind", b"\x04\x00\x05\x01A".to_vec(), "reply type 5"),
        ("huge", vec![b'h'; 4097], "more than 4096 bytes"),
    ];
    for (name, reply, why) in cases {
        let liar = lying_server(dir.path(), name, vec![stale.clone(), reply]);
        let client = Client::connect(name, ClientOptions::new().dir(dir.path())).unwrap();
        match client.call_bytes("echo", b"x") {
            Err(CallError::InvalidReply(text)) => assert!(text.contains(why), "{name}: {text}"),
            other => panic!("{name}: expected an invalid reply, got {other:?}"),
        }
        let stats = client.stats();
        assert_eq!((stats.stale, stats.strangers), (1, 1), "{name}");
        liar.join().unwrap();
    }
}
