//! The peer over Unix datagram sockets: calls, descriptor passing both
//! ways, limits, and the socket file's removal.
#![cfg(feature = "std")]

mod peer_common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

use peer_common::*;
use procslink::peer::{
    Address, CallError, Client, ClientOptions, MAX_FDS, Methods, Params, Reply, RpcError, Server,
    ServerOptions, SocketOptions, UnixAddr, UnixDatagram, demo,
};
use procslink::procslink::Datagram;
use serde_json::{Value, json};

fn socket_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("procslink-unix-{}-{name}.sock", std::process::id()))
}

fn fd_methods() -> Methods {
    let mut m = demo::methods();
    // Reads everything from each descriptor received; returns the texts.
    m.add("read_all", |mut p: Params| -> Result<Value, RpcError> {
        let mut texts = Vec::new();
        for fd in p.take_fds() {
            let mut file = std::fs::File::from(fd);
            let mut text = String::new();
            file.read_to_string(&mut text).map_err(RpcError::internal)?;
            texts.push(text);
        }
        Ok(json!(texts))
    });
    // Writes the argument into each descriptor received.
    m.add("write_to", |p: Params| -> Result<Value, RpcError> {
        let text: String = p.arg(0, "text")?;
        for fd in p.fds() {
            let mut file = std::fs::File::from(fd.try_clone().map_err(RpcError::internal)?);
            file.write_all(text.as_bytes())
                .map_err(RpcError::internal)?;
        }
        Ok(json!(p.fds().len()))
    });
    // Returns a pipe's read end holding the argument.
    m.add("pipe_with", |p: Params| -> Result<Reply, RpcError> {
        let text: String = p.arg(0, "text")?;
        let (reader, mut writer) = std::io::pipe().map_err(RpcError::internal)?;
        writer
            .write_all(text.as_bytes())
            .map_err(RpcError::internal)?;
        Ok(Reply::with_fds(json!("here"), vec![OwnedFd::from(reader)]))
    });
    m.add("grow", |p: Params| -> Result<Value, RpcError> {
        Ok(json!("z".repeat(p.arg(0, "n")?)))
    });
    m.add("count_fds", |p: Params| -> Result<Value, RpcError> {
        Ok(json!(p.fds().len()))
    });
    m
}

#[test]
fn calls_over_a_path_and_removal_on_drop() {
    let path = socket_path("demo");
    let _ = std::fs::remove_file(&path);
    let server = Server::bind_unix(path.clone(), demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    assert!(path.exists());
    assert_eq!(
        server.address(),
        Address::Unix(UnixAddr::Path(path.clone()))
    );
    // A second server cannot take the same path.
    assert!(Server::bind_unix(path.clone(), Methods::new(), ServerOptions::new()).is_err());
    let client = Client::unix().unwrap();
    assert!(
        matches!(client.address(), Address::Unix(UnixAddr::Abstract(_))),
        "autobound: {:?}",
        client.address()
    );
    assert_eq!(
        client
            .call(path.as_path(), "hello", json!(["Unix"]))
            .unwrap(),
        json!("Hello, Unix!")
    );
    assert_eq!(
        client
            .call(path.as_path(), "add", json!({"a": 2, "b": 40}))
            .unwrap(),
        json!(42)
    );
    assert_eq!(
        client
            .call(path.as_path(), "missing", Value::Null)
            .unwrap_err()
            .rpc()
            .unwrap()
            .code
            .0,
        -32601
    );
    // The same socket spelled differently still matches its replies.
    let dotted = path
        .parent()
        .unwrap()
        .join(".")
        .join(path.file_name().unwrap());
    assert_eq!(
        client.call(dotted.as_path(), "echo", json!([1])).unwrap(),
        json!(1)
    );
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 4);
    assert!(
        !path.exists(),
        "the socket file is removed when the server closes"
    );
    // Nothing listens any more.
    assert!(matches!(
        client.call(path.as_path(), "hello", json!(["x"])),
        Err(CallError::Io(_))
    ));
}

#[test]
fn abstract_names_and_raw_unix_sockets() {
    let name = UnixAddr::abstract_name(format!("procslink-unix-test-{}", std::process::id()));
    let server = Server::bind_unix(name.clone(), fd_methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let raw = UnixDatagram::bind(&UnixAddr::Unnamed).unwrap();
    raw.set_recv_timeout(Some(Duration::from_secs(2))).unwrap();
    raw.send_to(
        &name,
        &request_datagram(
            1,
            br#"{"jsonrpc": "2.0", "method": "hello", "id": 5, "params": ["\u00e9"]}"#,
        ),
        &[],
    )
    .unwrap();
    let got = raw.recv(4096).unwrap();
    assert_eq!(got.from, Some(Address::Unix(name.clone())));
    let d = Datagram::parse(&got.data).unwrap();
    assert_eq!(d.pid(), std::process::id());
    assert_eq!(
        d.payload(),
        br#"{"jsonrpc": "2.0", "id": 5, "result": "Hello, \u00e9!"}"#
    );
    // Malformed datagrams are answered -32600 / -32700 here too.
    raw.send_to(&name, b"junk", &[]).unwrap();
    let got = raw.recv(4096).unwrap();
    let v: Value = serde_json::from_slice(Datagram::parse(&got.data).unwrap().payload()).unwrap();
    assert_eq!(v["error"]["code"], json!(-32600));
    raw.send_to(&name, &request_datagram(1, b"{nope"), &[])
        .unwrap();
    let got = raw.recv(4096).unwrap();
    let v: Value = serde_json::from_slice(Datagram::parse(&got.data).unwrap().payload()).unwrap();
    assert_eq!(v["error"]["code"], json!(-32700));
    let stats = server.stop().unwrap();
    assert_eq!((stats.served, stats.malformed), (1, 2));
}

#[test]
fn descriptors_travel_both_ways_and_work() {
    let name = UnixAddr::abstract_name(format!("procslink-unix-fds-{}", std::process::id()));
    let server = Server::bind_unix(name.clone(), fd_methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let client = Client::unix().unwrap();

    // A pipe's read end and a file: the server reads both.
    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"through a pipe").unwrap();
    drop(writer);
    let file_path = socket_path("file.txt");
    std::fs::write(&file_path, "from a file \u{e9}").unwrap();
    let file = std::fs::File::open(&file_path).unwrap();
    let (v, fds) = client
        .call_with_fds(
            name.clone(),
            "read_all",
            json!([]),
            &[reader.as_fd(), file.as_fd()],
        )
        .unwrap();
    assert_eq!(v, json!(["through a pipe", "from a file \u{e9}"]));
    assert!(fds.is_empty());

    // A pipe's write end and a writable file: the server writes into both.
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&file_path)
        .unwrap();
    let (v, _) = client
        .call_with_fds(
            name.clone(),
            "write_to",
            json!(["written"]),
            &[writer.as_fd(), out.as_fd()],
        )
        .unwrap();
    assert_eq!(v, json!(2));
    drop(writer);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "written");
    out.seek(SeekFrom::Start(0)).unwrap();
    let mut text = String::new();
    out.read_to_string(&mut text).unwrap();
    assert_eq!(text, "written");

    // A descriptor coming back with the response.
    let (v, fds) = client
        .call_with_fds(name.clone(), "pipe_with", json!(["back \u{e9}"]), &[])
        .unwrap();
    assert_eq!(v, json!("here"));
    assert_eq!(fds.len(), 1);
    let mut text = String::new();
    std::fs::File::from(fds.into_iter().next().unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "back \u{e9}");

    // The limit: 253 descriptors pass, 254 are refused before sending.
    let many: Vec<_> = (0..MAX_FDS).map(|_| file.as_fd()).collect();
    let (v, _) = client
        .call_with_fds(name.clone(), "count_fds", Value::Null, &many)
        .unwrap();
    assert_eq!(v, json!(253));
    let too_many: Vec<_> = (0..=MAX_FDS).map(|_| file.as_fd()).collect();
    match client.call_with_fds(name.clone(), "count_fds", Value::Null, &too_many) {
        Err(CallError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
        other => panic!("{other:?}"),
    }
    // Netlink cannot carry descriptors.
    if let Ok(nl) = Client::netlink() {
        match nl.call_with_fds(1, "x", Value::Null, &[file.as_fd()]) {
            Err(CallError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
            other => panic!("{other:?}"),
        }
    }
    let _ = std::fs::remove_file(&file_path);
    server.stop().unwrap();
}

#[test]
fn oversized_unix_datagrams_are_consumed_and_answered() {
    let name = UnixAddr::abstract_name(format!("procslink-unix-big-{}", std::process::id()));
    let server = Server::bind_unix(
        name.clone(),
        fd_methods(),
        ServerOptions::new().max_datagram(8192),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let client = Client::unix_with(ClientOptions::new().max_datagram(1 << 20)).unwrap();
    let fits = "x".repeat(8000);
    assert_eq!(
        client
            .call(name.clone(), "echo", json!([fits.clone()]))
            .unwrap(),
        json!(fits)
    );
    // Too large: consumed whole and answered -32600 with id null, which
    // the client gives its only call in flight to that server.
    let big = "x".repeat(9000);
    let e = client
        .call_timeout(
            name.clone(),
            "echo",
            json!([big.clone()]),
            Duration::from_secs(5),
        )
        .unwrap_err();
    let rpc = e.rpc().unwrap_or_else(|| panic!("{e}"));
    assert_eq!(rpc.code.0, -32600, "{e}");
    assert!(e.to_string().contains("exceeds the 8192-byte limit"), "{e}");
    let raw = UnixDatagram::bind(&UnixAddr::Unnamed).unwrap();
    raw.set_recv_timeout(Some(Duration::from_secs(2))).unwrap();
    let text = format!(r#"{{"jsonrpc": "2.0", "method": "echo", "id": 1, "params": ["{big}"]}}"#);
    raw.send_to(&name, &request_datagram(1, text.as_bytes()), &[])
        .unwrap();
    let got = raw.recv(4096).unwrap();
    let v: Value = serde_json::from_slice(Datagram::parse(&got.data).unwrap().payload()).unwrap();
    assert_eq!(v["id"], Value::Null);
    assert_eq!(v["error"]["code"], json!(-32600));
    assert!(
        v["error"]["data"]
            .as_str()
            .unwrap()
            .contains("exceeds the 8192-byte limit"),
        "{v}"
    );
    // The answer would not fit: -32603 instead.
    assert_eq!(
        client.call(name.clone(), "grow", json!([8000])).unwrap(),
        json!("z".repeat(8000))
    );
    let e = client
        .call(name.clone(), "grow", json!([8200]))
        .unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32603);
    assert_eq!(
        client.call(name.clone(), "add", json!([1, 1])).unwrap(),
        json!(2)
    );
    server.stop().unwrap();
}
