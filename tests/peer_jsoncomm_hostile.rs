//! Bad input on the jsoncomm profile: oversized datagrams, text that is not
//! UTF-8 or not JSON, ProcsLink-framed datagrams, bare responses, the
//! descriptor limit. Each is a clear error, nothing panics, no descriptor
//! leaks, and the server goes on serving.
//!
//! The tests count this process's descriptors, so they run one at a time.
#![cfg(feature = "std")]

mod peer_common;

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use peer_common::{fd_count, request_datagram};
use procslink::peer::{
    Address, CallError, Client, ClientOptions, JsoncommError, JsoncommSocket, MAX_FDS, Methods,
    Params, RpcError, Server, ServerHandle, ServerOptions, SocketOptions, UnixAddr, UnixDatagram,
};
use serde_json::{Value, json};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn unique(tag: &str) -> UnixAddr {
    UnixAddr::abstract_name(format!(
        "procslink-jsoncomm-bad-{}-{tag}",
        std::process::id()
    ))
}

/// The descriptor count once it has come back to `expected` (a server
/// thread may still be closing what it received), or whatever it is after
/// three seconds.
fn settle(expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let n = fd_count();
        if n == expected || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn echo_methods() -> Methods {
    let mut methods = Methods::new();
    methods.add("echo", |p: Params| -> Result<Value, RpcError> {
        p.arg::<Value>(0, "value")
    });
    methods
}

fn server(tag: &str, options: ServerOptions) -> (UnixAddr, ServerHandle) {
    let addr = unique(tag);
    let handle = Server::bind_jsoncomm(addr.clone(), echo_methods(), options)
        .expect("bind")
        .spawn()
        .expect("spawn");
    (addr, handle)
}

/// A raw sender: an autobound Unix datagram socket.
fn raw() -> UnixDatagram {
    let socket = UnixDatagram::bind(&UnixAddr::Unnamed).expect("bind");
    socket
        .set_recv_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    socket
}

/// Sends `bytes` (with `fds`) to `to` and returns the answer's JSON, or
/// `None` when none comes within half a second.
fn exchange(
    socket: &UnixDatagram,
    to: &UnixAddr,
    bytes: &[u8],
    fds: &[BorrowedFd<'_>],
) -> Option<Value> {
    socket.send_to(to, bytes, fds).expect("send");
    match socket.recv(1 << 16) {
        Ok(got) => {
            assert!(got.fds.is_empty(), "no descriptors come back");
            Some(serde_json::from_slice(&got.data).expect("the answer is bare JSON"))
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(e) => panic!("receive: {e}"),
    }
}

/// A good call still works.
fn still_serves(socket: &UnixDatagram, to: &UnixAddr) {
    let answer = exchange(
        socket,
        to,
        br#"{"jsonrpc": "2.0", "method": "echo", "params": ["still here"], "id": 7}"#,
        &[],
    );
    assert_eq!(
        answer,
        Some(json!({"jsonrpc": "2.0", "result": "still here", "id": 7}))
    );
}

fn pipes(n: usize) -> Vec<std::io::PipeReader> {
    (0..n).map(|_| std::io::pipe().expect("pipe").0).collect()
}

fn assert_error(answer: Option<Value>, code: i64, data_says: &str) {
    let answer = answer.expect("an answer");
    assert_eq!(answer["id"], Value::Null, "{answer}");
    assert_eq!(answer["error"]["code"], json!(code), "{answer}");
    if !data_says.is_empty() {
        let data = answer["error"]["data"].as_str().unwrap_or_default();
        assert!(data.contains(data_says), "{answer}");
    }
}

#[test]
fn oversized_datagrams_are_refused_and_their_descriptors_closed() {
    let _serial = serial();
    let (addr, handle) = server("oversized", ServerOptions::new().max_datagram(512));
    let socket = raw();
    still_serves(&socket, &addr);
    let readers = pipes(3);
    let fds: Vec<_> = readers.iter().map(AsFd::as_fd).collect();
    let baseline = fd_count();
    let big = format!(
        r#"{{"jsonrpc": "2.0", "method": "echo", "params": ["{}"], "id": 1}}"#,
        "x".repeat(4000)
    );
    for _ in 0..3 {
        assert_error(
            exchange(&socket, &addr, big.as_bytes(), &fds),
            -32600,
            "exceeds the 512-byte limit",
        );
    }
    assert_eq!(settle(baseline), baseline, "descriptors leaked");
    still_serves(&socket, &addr);
    let stats = handle.stop().expect("stop");
    assert_eq!(stats.malformed, 3);
}

#[test]
fn text_that_is_not_utf8_or_not_json_is_a_parse_error() {
    let _serial = serial();
    let (addr, handle) = server("garbage", ServerOptions::new());
    let socket = raw();
    still_serves(&socket, &addr);
    let readers = pipes(2);
    let fds: Vec<_> = readers.iter().map(AsFd::as_fd).collect();
    let baseline = fd_count();
    let bad: [&[u8]; 5] = [
        b"\xff\xfe{\"jsonrpc\": \"2.0\"}",
        b"{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"params\": [\"\xc3\x28\"], \"id\": 1}",
        b"{\"jsonrpc\": \"2.0\", \"method\":",
        b"not json at all",
        b"",
    ];
    for bytes in bad {
        assert_error(exchange(&socket, &addr, bytes, &fds), -32700, "");
    }
    assert_eq!(settle(baseline), baseline, "descriptors leaked");
    still_serves(&socket, &addr);
    let stats = handle.stop().expect("stop");
    assert_eq!(stats.malformed, 5);
    assert_eq!(stats.panics, 0);
}

#[test]
fn a_procslink_framed_datagram_is_refused_saying_so() {
    let _serial = serial();
    let (addr, handle) = server("framed", ServerOptions::new());
    let socket = raw();
    let framed = request_datagram(
        std::process::id(),
        br#"{"jsonrpc": "2.0", "method": "echo", "params": [1], "id": 1}"#,
    );
    assert_error(
        exchange(&socket, &addr, &framed, &[]),
        -32600,
        "ProcsLink-framed datagram",
    );
    still_serves(&socket, &addr);
    assert_eq!(handle.stop().expect("stop").malformed, 1);
}

#[test]
fn bare_responses_are_never_answered() {
    let _serial = serial();
    let (addr, handle) = server("responses", ServerOptions::new());
    let socket = raw();
    for response in [
        &br#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#[..],
        br#"{"jsonrpc": "2.0", "result": 1, "id": 1}"#,
        br#"[{"jsonrpc": "2.0", "result": 1, "id": 1}, {"jsonrpc": "2.0", "result": 2, "id": 2}]"#,
    ] {
        assert_eq!(exchange(&socket, &addr, response, &[]), None);
    }
    // An empty batch is still answered, as the specification asks.
    assert_error(exchange(&socket, &addr, b"[]", &[]), -32600, "");
    still_serves(&socket, &addr);
    assert_eq!(handle.stop().expect("stop").malformed, 4);
}

#[test]
fn the_descriptor_limit_holds_and_nothing_leaks() {
    let _serial = serial();
    let (addr, handle) = server("fds", ServerOptions::new());
    let socket = raw();
    still_serves(&socket, &addr);
    let client = Client::jsoncomm_with(ClientOptions::new().timeout(Duration::from_secs(5)))
        .expect("client");
    let readers = pipes(MAX_FDS + 1);
    let all: Vec<_> = readers.iter().map(AsFd::as_fd).collect();
    let most = &all[..MAX_FDS];
    let baseline = fd_count();

    // One more than Linux passes in one message: refused before sending.
    match client.call_with_fds(addr.clone(), "echo", json!([1]), &all) {
        Err(CallError::Io(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("at most 253"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let raw_socket = JsoncommSocket::new_client(Some(&addr)).expect("raw client");
    match raw_socket.send(&json!({}), None, &all) {
        Err(JsoncommError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
        other => panic!("{other:?}"),
    }
    drop(raw_socket);

    // The most there can be: a handler that ignores them, a bad text, a
    // notification; every one is closed at the server.
    let (value, back) = client
        .call_with_fds(addr.clone(), "echo", json!(["many"]), most)
        .expect("call with 253 descriptors");
    assert_eq!((value, back.len()), (json!("many"), 0));
    assert_error(
        exchange(&socket, &addr, b"\x00\x01garbage", most),
        -32700,
        "",
    );
    client
        .notify_with_fds(addr.clone(), "echo", json!([1]), most)
        .expect("notify");
    still_serves(&socket, &addr);
    assert_eq!(settle(baseline), baseline, "descriptors leaked");
    let stats = handle.stop().expect("stop");
    assert_eq!(stats.panics, 0);
}

#[test]
fn the_raw_socket_rejects_bad_messages_and_goes_on() {
    let _serial = serial();
    let server = JsoncommSocket::new_server(unique("raw")).expect("server");
    server
        .set_recv_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let to = server.local_addr().clone();
    let socket = raw();
    let readers = pipes(4);
    let fds: Vec<_> = readers.iter().map(AsFd::as_fd).collect();
    let baseline = fd_count();
    let framed = request_datagram(1, br#"{"jsonrpc": "2.0", "method": "x", "id": 1}"#);
    for bytes in [&b"\xff\xfe"[..], b"{\"a\":", b"", &framed] {
        socket.send_to(&to, bytes, &fds).expect("send");
        match server.recv() {
            Err(e @ JsoncommError::NotJson(_)) => {
                assert!(e.to_string().contains("not a UTF-8 JSON document"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(settle(baseline), baseline, "descriptors leaked");

    // A large document is sized by peeking and arrives whole.
    let big = json!({"blob": "y".repeat(100_000)});
    socket
        .send_to(&to, big.to_string().as_bytes(), &fds)
        .expect("send");
    let got = server.recv().expect("a large document");
    assert_eq!((got.payload, got.fds.len()), (big, 4));
    drop(got.fds);
    assert_eq!(settle(baseline), baseline);
}

#[test]
fn the_jsoncomm_client_fails_a_call_at_once_on_a_bad_answer() {
    let _serial = serial();
    let fake = UnixDatagram::bind(&unique("fake-server")).expect("bind");
    let to = fake.local_addr().clone();
    let answers: Vec<Vec<u8>> = vec![
        b"\xff garbage".to_vec(),
        br#"{"echo": "not JSON-RPC"}"#.to_vec(),
        request_datagram(1, br#"{"jsonrpc": "2.0", "result": 1, "id": 1}"#),
    ];
    let answering = std::thread::spawn(move || {
        for answer in answers {
            let got = fake.recv(1 << 16).expect("request");
            let from = match got.from {
                Some(Address::Unix(a)) => a,
                other => panic!("{other:?}"),
            };
            fake.send_to(&from, &answer, &[]).expect("answer");
        }
    });
    let client = Client::jsoncomm_with(ClientOptions::new().timeout(Duration::from_secs(30)))
        .expect("client");
    for _ in 0..3 {
        let started = Instant::now();
        match client.call(to.clone(), "echo", json!([1])) {
            Err(CallError::InvalidReply(why)) => {
                assert!(why.contains("not a JSON-RPC response"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "failed at once"
        );
    }
    answering.join().expect("fake server");
    assert_eq!(client.stats().malformed, 3);
}
