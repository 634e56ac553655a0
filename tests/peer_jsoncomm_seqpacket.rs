//! The jsoncomm profile over `SOCK_SEQPACKET` (later osbuild releases):
//! the crate's server and client, and the bytes on a plain connection.
//! (The references hold only the seed's datagram jsoncomm, so there is no
//! reference to run against here.)
#![cfg(feature = "std")]

mod peer_common;

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use procslink::peer::{
    CallError, Client, ClientOptions, Methods, Params, Reply, RpcError, Server, ServerOptions,
    UnixAddr,
};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};
use serde_json::{Value, json};

fn unique(tag: &str) -> UnixAddr {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    UnixAddr::abstract_name(format!(
        "procslink-seqpacket-{}-{n}-{tag}",
        std::process::id()
    ))
}

fn methods() -> Methods {
    let mut methods = Methods::new();
    methods.add("echo", |p: Params| -> Result<Value, RpcError> {
        p.arg::<Value>(0, "value")
    });
    methods.add("sleep", |p: Params| -> Result<Value, RpcError> {
        let ms: u64 = p.arg(0, "ms")?;
        std::thread::sleep(Duration::from_millis(ms));
        Ok(json!(ms))
    });
    methods.add("slurp", |mut p: Params| -> Result<Reply, RpcError> {
        let mut text = String::new();
        for fd in p.take_fds() {
            std::fs::File::from(fd)
                .read_to_string(&mut text)
                .map_err(RpcError::internal)?;
        }
        let (reader, mut writer) = std::io::pipe().map_err(RpcError::internal)?;
        writer
            .write_all(text.to_uppercase().as_bytes())
            .map_err(RpcError::internal)?;
        Ok(Reply::with_fds(json!(text), vec![reader.into()]))
    });
    methods
}

fn read_fd(fd: OwnedFd) -> String {
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text).unwrap();
    text
}

#[test]
fn calls_with_descriptors_over_a_connection() {
    let addr = unique("calls");
    let server = Server::bind_jsoncomm_seqpacket(addr.clone(), methods(), ServerOptions::new())
        .expect("bind")
        .spawn()
        .expect("spawn");
    let client = Client::jsoncomm_seqpacket(&addr).expect("connect");
    let value = json!({"text": "h\u{e9}llo \u{2713}", "n": [1, -2.5, 12345678901234_i64]});
    assert_eq!(
        client
            .call(addr.clone(), "echo", json!([value.clone()]))
            .unwrap(),
        value
    );
    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"over seqpacket").unwrap();
    drop(writer);
    let (text, fds) = client
        .call_with_fds(addr.clone(), "slurp", json!([]), &[reader.as_fd()])
        .unwrap();
    assert_eq!(text, json!("over seqpacket"));
    let [fd] = <[_; 1]>::try_from(fds).expect("one descriptor");
    assert_eq!(read_fd(fd), "OVER SEQPACKET");
    match client.call(addr.clone(), "nope", json!([])) {
        Err(CallError::Rpc(e)) => assert_eq!(e.code.0, -32601),
        other => panic!("{other:?}"),
    }
    client.notify(addr.clone(), "echo", json!([1])).unwrap();
    assert_eq!(
        client
            .call_typed::<_, i64>(addr.clone(), "echo", &(7,))
            .unwrap(),
        7
    );
    // A connection reaches its own server only.
    match client.call(unique("elsewhere"), "echo", json!([1])) {
        Err(CallError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.connections(), 1);
    drop(client);
    let stats = server.stop().expect("stop");
    assert_eq!(stats.served, 5);
}

/// A plain `SOCK_SEQPACKET` connection to `addr`.
fn plain_connection(addr: &str) -> OwnedFd {
    let fd = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    rustix::net::connect(
        &fd,
        &SocketAddrUnix::new_abstract_name(addr.as_bytes()).unwrap(),
    )
    .unwrap();
    rustix::net::sockopt::set_socket_timeout(
        &fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(Duration::from_secs(5)),
    )
    .unwrap();
    fd
}

fn exchange(fd: &OwnedFd, bytes: &[u8]) -> Value {
    rustix::net::send(fd, bytes, SendFlags::empty()).unwrap();
    let mut buf = vec![0u8; 65536];
    let (_, n) = rustix::net::recv(fd, &mut buf, RecvFlags::empty()).unwrap();
    serde_json::from_slice(&buf[..n]).expect("a bare JSON document")
}

#[test]
fn one_bare_document_per_message_on_the_wire() {
    let name = format!("procslink-seqpacket-wire-{}", std::process::id());
    let addr = UnixAddr::abstract_name(&name);
    let server = Server::bind_jsoncomm_seqpacket(addr, methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let fd = plain_connection(&name);
    assert_eq!(
        exchange(
            &fd,
            br#"{"jsonrpc": "2.0", "method": "echo", "params": ["a"], "id": 1}"#
        ),
        json!({"jsonrpc": "2.0", "result": "a", "id": 1})
    );
    // Bad input on a connection is answered on it, and it goes on.
    let garbage = exchange(&fd, b"\xff\xfe not json");
    assert_eq!(garbage["error"]["code"], json!(-32700));
    let framed =
        peer_common::request_datagram(1, br#"{"jsonrpc": "2.0", "method": "echo", "id": 2}"#);
    let framed = exchange(&fd, &framed);
    assert_eq!(framed["error"]["code"], json!(-32600), "{framed}");
    assert_eq!(
        exchange(
            &fd,
            br#"[{"jsonrpc": "2.0", "method": "echo", "params": [1], "id": 3}]"#
        ),
        json!([{"jsonrpc": "2.0", "result": 1, "id": 3}])
    );
    drop(fd);
    let stats = server.stop().unwrap();
    assert_eq!((stats.served, stats.malformed), (2, 2));
}

#[test]
fn connections_are_served_at_once_up_to_the_bound() {
    let addr = unique("bound");
    let options = ServerOptions::new().threads(2);
    let server = Server::bind_jsoncomm_seqpacket(addr.clone(), methods(), options)
        .unwrap()
        .spawn()
        .unwrap();
    let clients: Vec<Client> = (0..3)
        .map(|_| {
            Client::jsoncomm_seqpacket_with(
                &addr,
                ClientOptions::new().timeout(Duration::from_secs(10)),
            )
            .unwrap()
        })
        .collect();
    // Two connections sleep side by side; the third waits to be accepted
    // until one of them has closed.
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in &clients[..2] {
            let addr = addr.clone();
            scope.spawn(move || {
                assert_eq!(
                    client.call(addr, "sleep", json!([300])).unwrap(),
                    json!(300)
                );
            });
        }
    });
    assert!(
        started.elapsed() < Duration::from_millis(580),
        "served side by side"
    );
    assert_eq!(server.connections(), 2);
    let mut clients = clients.into_iter();
    let (first, _second, third) = (
        clients.next().unwrap(),
        clients.next().unwrap(),
        clients.next().unwrap(),
    );
    match third.call_timeout(addr.clone(), "echo", json!([3]), Duration::from_millis(200)) {
        Err(CallError::Timeout) => {}
        other => panic!("the third connection was served: {other:?}"),
    }
    drop(first);
    // Accepted now: its waiting request is served, then this one.
    assert_eq!(
        third.call(addr.clone(), "echo", json!([4])).unwrap(),
        json!(4)
    );
    assert_eq!(third.stats().unknown_id, 1);
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 4);
}

#[test]
fn a_stop_ends_live_connections_and_their_clients_learn_it() {
    let addr = unique("stop");
    let server = Server::bind_jsoncomm_seqpacket(addr.clone(), methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let client = Client::jsoncomm_seqpacket(&addr).unwrap();
    assert_eq!(
        client.call(addr.clone(), "echo", json!([1])).unwrap(),
        json!(1)
    );
    let started = Instant::now();
    let stats = server.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((stats.served, stats.detached), (1, 0));
    match client.call(addr.clone(), "echo", json!([2])) {
        Err(CallError::Io(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_path_is_removed_with_the_server() {
    let path = std::env::temp_dir().join(format!(
        "procslink-seqpacket-{}-path.sock",
        std::process::id()
    ));
    let server = Server::bind_jsoncomm_seqpacket(path.as_path(), methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let addr = UnixAddr::Path(path.clone());
    let client = Client::jsoncomm_seqpacket(&addr).unwrap();
    assert_eq!(
        client.call(path.as_path(), "echo", json!(["p"])).unwrap(),
        json!("p")
    );
    server.stop().unwrap();
    assert!(!path.exists());
}

#[test]
fn the_uid_allow_list_holds_on_connections() {
    let me = rustix::process::geteuid().as_raw();
    for (allowed, served) in [(me, true), (me.wrapping_add(1), false)] {
        let addr = unique("uid");
        let options = ServerOptions::new().allow_uid(allowed);
        let server = Server::bind_jsoncomm_seqpacket(addr.clone(), methods(), options)
            .unwrap()
            .spawn()
            .unwrap();
        // The request is sent at once, before the server may have
        // accepted the connection.
        let client = Client::jsoncomm_seqpacket(&addr).unwrap();
        match client.call(addr.clone(), "echo", json!(["who"])) {
            Ok(v) => assert!(served && v == json!("who"), "{v}"),
            Err(CallError::Rpc(e)) => assert!(!served && e.code.0 == -32001, "{e:?}"),
            Err(e) => panic!("{e:?}"),
        }
        drop(client);
        let stats = server.stop().unwrap();
        assert_eq!(stats.denied, u64::from(!served));
    }
}

#[test]
fn serve_accepts_on_the_calling_thread() {
    let addr = unique("serve");
    let server =
        Server::bind_jsoncomm_seqpacket(addr.clone(), methods(), ServerOptions::new()).unwrap();
    // Serves until the test process ends.
    std::thread::spawn(move || server.serve());
    for round in 0..2 {
        let client = Client::jsoncomm_seqpacket(&addr).unwrap();
        assert_eq!(
            client.call(addr.clone(), "echo", json!([round])).unwrap(),
            json!(round)
        );
    }
}

/// With a uid allow list (credentials on), a request sent on a connection
/// the server has not accepted yet is served once it is: the kernel gave
/// it its sender's credentials. (The listener asks for credentials, so an
/// accepted connection has them from its first message; set after the
/// accept, a request sent in between arrived without its sender and was
/// refused, or read through nix without an address, which panicked.)
#[test]
fn a_request_sent_before_the_accept_is_served_with_credentials_on() {
    let me = rustix::process::geteuid().as_raw();
    let name = format!("procslink-seqpacket-early-{}", std::process::id());
    let addr = UnixAddr::abstract_name(&name);
    let server = Server::bind_jsoncomm_seqpacket(
        addr.clone(),
        methods(),
        ServerOptions::new().allow_uid(me),
    )
    .unwrap();
    let fd = plain_connection(&name);
    let request = br#"{"jsonrpc":"2.0","method":"echo","params":["early"],"id":1}"#;
    rustix::net::send(&fd, request, SendFlags::empty()).unwrap();
    // Only now does the server accept, read and answer.
    let running = server.spawn().unwrap();
    let mut buf = vec![0u8; 65536];
    let (_, n) = rustix::net::recv(&fd, &mut buf, RecvFlags::empty()).unwrap();
    let answer: Value = serde_json::from_slice(&buf[..n]).expect("a bare JSON document");
    assert_eq!(answer["id"], 1, "{answer}");
    assert_eq!(answer["result"], "early", "{answer}");
    drop(fd);
    running.stop().unwrap();
}
