//! No descriptor leaks on any path: descriptors that come with bad,
//! denied, unanswered or unknown messages, or that handlers ignore, are
//! closed. One test in its own binary, so that no other test opens or
//! closes descriptors while /proc/self/fd is counted.
#![cfg(feature = "std")]

mod peer_common;

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{
    Client, Methods, Params, Reply, RpcError, Server, ServerOptions, SocketOptions, UnixAddr,
    UnixDatagram,
};
use procslink::procslink::{DatagramRepr, PayloadType};
use serde_json::{Value, json};

fn methods() -> Methods {
    let mut m = Methods::new();
    m.add("ignore", |_p: Params| -> Result<Value, RpcError> {
        Ok(json!("ignored"))
    });
    m.add("fail", |_p: Params| -> Result<Value, RpcError> {
        Err(RpcError::internal("no"))
    });
    m.add("panic", |_p: Params| -> Result<Value, RpcError> {
        panic!("with descriptors in hand")
    });
    m.add("give", |_p: Params| -> Result<Reply, RpcError> {
        let (r, w) = std::io::pipe().map_err(RpcError::internal)?;
        Ok(Reply::with_fds(json!("two"), vec![r.into(), w.into()]))
    });
    m
}

/// Waits until the descriptor count settles at `expected` (the server
/// closes descriptors on its own thread).
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

#[test]
fn no_descriptor_leaks_on_any_path() {
    let name = UnixAddr::abstract_name(format!("procslink-fds-{}", std::process::id()));
    let server = Server::bind_unix(name.clone(), methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let denied_name =
        UnixAddr::abstract_name(format!("procslink-fds-denied-{}", std::process::id()));
    let denied = Server::bind_unix(
        denied_name.clone(),
        methods(),
        ServerOptions::new().allow_uid(4_000_000),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let client = Client::unix().unwrap();
    let raw = UnixDatagram::bind(&UnixAddr::Unnamed).unwrap();
    raw.set_recv_timeout(Some(Duration::from_secs(2))).unwrap();
    let file = std::fs::File::open("/proc/self/exe").unwrap();
    let (pr, pw) = std::io::pipe().unwrap();
    let fds = [file.as_fd(), pr.as_fd(), pw.as_fd()];
    // Warm up every path once (lazy allocations, thread-locals).
    let _ = client
        .call_with_fds(name.clone(), "ignore", Value::Null, &fds)
        .unwrap();
    let baseline = fd_count();

    for round in 0..3 {
        // Handlers that ignore, fail with or panic holding descriptors.
        for method in ["ignore", "fail", "panic", "nope"] {
            let _ = client.call_with_fds(name.clone(), method, json!([round]), &fds);
        }
        // Notifications with descriptors.
        client
            .notify_with_fds(name.clone(), "ignore", Value::Null, &fds)
            .unwrap();
        // A batch with descriptors (they go to its first request).
        let batch = br#"[{"jsonrpc": "2.0", "method": "nope", "id": 1}, {"jsonrpc": "2.0", "method": "ignore", "id": 2}]"#;
        raw.send_to(&name, &request_datagram(1, batch), &fds)
            .unwrap();
        drop(raw.recv(4096).unwrap());
        // Malformed: junk, bad JSON, wrong payload type, a response, oversized.
        let junk: [Vec<u8>; 4] = [
            b"junk".to_vec(),
            request_datagram(1, b"{"),
            datagram(DatagramRepr::new(1, PayloadType(7)), b"{}"),
            request_datagram(1, format!("[\"{}\"]", "x".repeat(5000)).as_bytes()),
        ];
        for bytes in &junk {
            raw.send_to(&name, bytes, &fds).unwrap();
            drop(raw.recv(4096).unwrap());
        }
        let response = datagram(
            DatagramRepr::response(1),
            br#"{"jsonrpc": "2.0", "id": 1, "result": 1}"#,
        );
        raw.send_to(&name, &response, &fds).unwrap();
        // Denied by the uid allow-list.
        let e = client
            .call_with_fds(denied_name.clone(), "ignore", Value::Null, &fds)
            .unwrap_err();
        assert_eq!(e.rpc().unwrap().code.0, -32001);
        // Responses with descriptors nobody waits for, at the client.
        let stray = datagram(
            DatagramRepr::response(1),
            br#"{"jsonrpc": "2.0", "id": 999999, "result": 1}"#,
        );
        let procslink::peer::Address::Unix(client_addr) = client.address() else {
            unreachable!()
        };
        raw.send_to(&client_addr, &stray, &fds).unwrap();
        // A response whose descriptors the caller receives and drops.
        let (v, got) = client
            .call_with_fds(name.clone(), "give", Value::Null, &[])
            .unwrap();
        assert_eq!((v, got.len()), (json!("two"), 2));
        drop(got);
        // A request from an unnamed (unbound) sender cannot be answered.
        let unnamed = rustix::net::socket(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::DGRAM,
            None,
        )
        .unwrap();
        let text = request_datagram(1, br#"{"jsonrpc": "2.0", "method": "ignore", "id": 3}"#);
        let addr = match &name {
            UnixAddr::Abstract(n) => rustix::net::SocketAddrUnix::new_abstract_name(n).unwrap(),
            _ => unreachable!(),
        };
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
        let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
        assert!(control.push(rustix::net::SendAncillaryMessage::ScmRights(&fds)));
        rustix::net::sendmsg_addr(
            &unnamed,
            &addr,
            &[std::io::IoSlice::new(&text)],
            &mut control,
            rustix::net::SendFlags::empty(),
        )
        .unwrap();
        drop(unnamed);
    }
    // Everything sent has been handled once this call is answered.
    assert_eq!(
        client.call(name.clone(), "ignore", Value::Null).unwrap(),
        json!("ignored")
    );
    assert_eq!(settle(baseline), baseline, "descriptors leaked");
    let stats = server.stop().unwrap();
    assert_eq!(stats.panics, 3);
    assert_eq!(stats.malformed, 15, "{stats:?}");
    assert_eq!(stats.send_errors, 3, "{stats:?}");
    assert_eq!(client.stats().unknown_id, 3);
    drop(denied);
}
