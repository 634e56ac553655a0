//! The jsoncomm profile (osbuild 13c0dec8, WIRE.md section 6) against the
//! real `jsoncomm.py` from the references folder, run by `python3` (or
//! `PROCSLINK_JSONCOMM_PYTHON`): its client calls the crate's JSON-RPC
//! server, the crate's [`JsoncommSocket`] talks to the reference server
//! (`ref_server.py`), and the corpus datagram decodes as MANIFEST.md says.
//! Without the references or Python the tests are skipped with a notice
//! (failures under `CI=true`).
#![cfg(feature = "std")]

mod peer_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use peer_common::references::reference;
use peer_common::{missing, root};
use procslink::jsonrpc::{Decoder, Incoming, Message};
use procslink::peer::{
    Client, JsoncommSocket, Methods, Params, Reply, RpcError, Server, ServerOptions, SocketOptions,
    UnixAddr,
};
use procslink::procslink::Datagram;
use serde_json::{Value, json};

/// The corpus capture: one datagram as the seed's jsoncomm client sends it.
const CORPUS: &str = "tests/data/seed-systems/jsoncomm-13c0dec8.datagram.bin";

/// A socket path of its own for each test.
fn socket_path(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "procslink-jsoncomm-{}-{n}-{tag}.sock",
        std::process::id()
    ))
}

/// The folder of the real `jsoncomm.py` and an interpreter that imports
/// it.
fn jsoncomm() -> Option<(PathBuf, PathBuf)> {
    let module = reference("jsoncomm/jsoncomm.py")?;
    let dir = module.parent()?.to_path_buf();
    let python = std::env::var_os("PROCSLINK_JSONCOMM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let check = Command::new(&python)
        .arg("-c")
        .arg("import sys; sys.path.insert(0, sys.argv[1]); import jsoncomm")
        .arg(&dir)
        .output();
    match check {
        Ok(out) if out.status.success() => Some((dir, python)),
        Ok(out) => {
            missing(&format!(
                "{} cannot import jsoncomm from {}: {}",
                python.display(),
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            None
        }
        Err(e) => {
            missing(&format!(
                "no Python at {} ({e}); set PROCSLINK_JSONCOMM_PYTHON",
                python.display()
            ));
            None
        }
    }
}

/// A subprocess, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `command` to its end, at most `limit`; its stdout.
fn output_within(command: &mut Command, limit: Duration) -> String {
    let mut child = Killed(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python"),
    );
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            let mut out = String::new();
            let mut err = String::new();
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            assert!(status.success(), "python failed: {status}\n{out}\n{err}");
            return out;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "python did not finish within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn pipe_with(text: &str) -> std::io::PipeReader {
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    writer.write_all(text.as_bytes()).expect("write pipe");
    reader
}

fn read_fd(fd: std::os::fd::OwnedFd) -> String {
    let mut text = String::new();
    std::fs::File::from(fd)
        .read_to_string(&mut text)
        .expect("read descriptor");
    text
}

/// `echo` returns its one param; `slurp` reads the descriptor it got and
/// answers its text with a pipe holding it upper-cased.
fn methods() -> Methods {
    let mut methods = Methods::new();
    methods.add("echo", |p: Params| -> Result<Value, RpcError> {
        p.arg::<Value>(0, "value")
    });
    methods.add("slurp", |mut p: Params| -> Result<Reply, RpcError> {
        let fds = p.take_fds();
        let [fd] = <[_; 1]>::try_from(fds)
            .map_err(|fds| RpcError::invalid_params(format!("{} descriptors", fds.len())))?;
        let text = read_fd(fd);
        let back = pipe_with(&text.to_uppercase());
        Ok(Reply::with_fds(json!(text), vec![back.into()]))
    });
    methods
}

#[test]
fn the_reference_client_calls_the_crate_server() {
    let Some((dir, python)) = jsoncomm() else {
        return;
    };
    let path = socket_path("rpc-server");
    let server = Server::bind_jsoncomm(path.as_path(), methods(), ServerOptions::new())
        .expect("bind")
        .spawn()
        .expect("spawn");
    let nested = json!({"a": [1, {"b": null, "c": [true, false]}], "d": "x\ny"});
    let requests = json!([
        {"jsonrpc": "2.0", "method": "echo", "params": ["h\u{e9}llo \u{2713} \u{1F600}"], "id": 1},
        {"jsonrpc": "2.0", "method": "echo", "params": [12345678901234_i64], "id": 2},
        {"jsonrpc": "2.0", "method": "echo", "params": [-0.5], "id": 3},
        {"jsonrpc": "2.0", "method": "echo", "params": [nested], "id": 4},
        {"jsonrpc": "2.0", "method": "nope", "params": [], "id": 5},
        {"jsonrpc": "2.0", "method": "echo", "params": ["a notification"]},
        {"jsonrpc": "2.0", "method": "slurp", "params": [], "id": "six"},
    ]);
    let out = output_within(
        Command::new(&python)
            .arg(root().join("tests/interop/jsoncomm_rpc_client.py"))
            .arg(&dir)
            .arg(&path)
            .arg(requests.to_string()),
        Duration::from_secs(20),
    );
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 6, "{out}");
    let reply = |i: usize| &lines[i]["reply"];
    assert_eq!(
        reply(0),
        &json!({"jsonrpc": "2.0", "result": "h\u{e9}llo \u{2713} \u{1F600}", "id": 1})
    );
    assert_eq!(reply(1)["result"], json!(12345678901234_i64));
    assert_eq!(reply(2)["result"], json!(-0.5));
    assert_eq!(reply(3)["result"], nested);
    assert_eq!(reply(4)["error"]["code"], json!(-32601), "{}", reply(4));
    assert_eq!(reply(4)["id"], json!(5));
    // Every reply without descriptors but slurp's, which carries one.
    for line in &lines[..5] {
        assert_eq!(line["fd_texts"], json!([]), "{line}");
    }
    assert_eq!(
        reply(5),
        &json!({"jsonrpc": "2.0", "result": "pipe for slurp", "id": "six"})
    );
    assert_eq!(lines[5]["fd_texts"], json!(["PIPE FOR SLURP"]));
    let stats = server.stop().expect("stop");
    assert_eq!(stats.served, 7);
    assert_eq!(stats.malformed, 0);
    assert!(!path.exists(), "the socket file goes with the server");
}

/// The reference server, `ref_server.py PATH N`, once it is ready.
fn reference_server(dir: &Path, python: &Path, path: &Path, n: usize) -> Killed {
    let mut child = Killed(
        Command::new(python)
            .arg(dir.join("ref_server.py"))
            .arg(path)
            .arg(n.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start ref_server.py"),
    );
    let mut line = String::new();
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    stdout.read_line(&mut line).expect("read ready");
    assert_eq!(line.trim(), "ready");
    // Its log of each datagram is drained, so it never blocks on a full
    // pipe; the thread ends when the server does.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    child
}

#[test]
fn the_crate_raw_socket_talks_to_the_reference_server() {
    let Some((dir, python)) = jsoncomm() else {
        return;
    };
    let path = socket_path("ref-server");
    let _server = reference_server(&dir, &python, &path, 2);
    let client = JsoncommSocket::new_client(Some(&UnixAddr::Path(path.clone()))).expect("client");
    client
        .set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    let payload =
        json!({"hello": "w\u{f6}rld \u{2713}", "n": [1, 2.5, -3], "deep": {"x": [null, true]}});
    let pipe = pipe_with("hello from rust");
    client.send(&payload, None, &[pipe.as_fd()]).expect("send");
    let answer = client.recv().expect("answer");
    assert_eq!(
        answer.payload,
        json!({"echo": payload, "nfds": 1, "text": "hello from rust"})
    );
    assert_eq!(answer.from, Some(UnixAddr::Path(path.clone())));
    let [fd] = <[_; 1]>::try_from(answer.fds).expect("one descriptor");
    assert_eq!(read_fd(fd), "from-python");

    // Any JSON value, without descriptors, sent to an explicit destination.
    client
        .send(&json!([1, "two"]), Some(&UnixAddr::Path(path.clone())), &[])
        .expect("send");
    let answer = client.recv().expect("answer");
    assert_eq!(
        answer.payload,
        json!({"echo": [1, "two"], "nfds": 0, "text": null})
    );
    assert_eq!(answer.fds.len(), 1);
}

#[test]
fn the_reference_client_talks_to_the_crate_raw_socket() {
    let Some((dir, python)) = jsoncomm() else {
        return;
    };
    let path = socket_path("raw-server");
    let server = JsoncommSocket::new_server(path.as_path()).expect("server");
    server
        .set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut client = Killed(
        Command::new(&python)
            .arg(dir.join("ref_client.py"))
            .arg(&path)
            .arg(r#"{"op": "h\u00e9llo", "n": [1, 2.5]}"#)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start ref_client.py"),
    );
    let message = server.recv().expect("the reference's document");
    assert_eq!(message.payload, json!({"op": "h\u{e9}llo", "n": [1, 2.5]}));
    let [fd] = <[_; 1]>::try_from(message.fds).expect("one descriptor");
    assert_eq!(read_fd(fd), "hello from jsoncomm");
    let back = pipe_with("from rust");
    server
        .send(
            &json!({"answer": "\u{2713}", "seen": 1}),
            message.from.as_ref(),
            &[back.as_fd()],
        )
        .expect("answer");
    let mut out = String::new();
    client
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(client.0.wait().unwrap().success(), "{out}");
    assert!(
        out.contains("jsoncomm.recv -> {'answer': '\u{2713}', 'seen': 1} nfds 1"),
        "{out}"
    );
    drop(server);
    assert!(!path.exists(), "the server's path goes with it");
}

#[test]
fn the_crate_jsonrpc_client_reads_bare_documents_from_the_reference() {
    // The reference has no JSON-RPC server; its echo server answers any
    // document with {"echo": ...}, which the crate's JSON-RPC client must
    // reject as not a response, at once and saying why.
    let Some((dir, python)) = jsoncomm() else {
        return;
    };
    let path = socket_path("ref-server-rpc");
    let _server = reference_server(&dir, &python, &path, 1);
    let client = Client::jsoncomm().expect("client");
    let err = client
        .call(path.as_path(), "echo", json!(["x"]))
        .expect_err("not a JSON-RPC response");
    let text = err.to_string();
    assert!(text.contains("not a JSON-RPC response"), "{text}");
    assert_eq!(client.stats().malformed, 1);
}

#[test]
fn the_corpus_datagram_is_bare_json_rpc() {
    let bytes = std::fs::read(root().join(CORPUS)).expect("corpus datagram");
    assert!(
        Datagram::parse(&bytes).is_err(),
        "no ProcsLink header in front"
    );
    let text = std::str::from_utf8(&bytes).expect("UTF-8 text");
    let value: Value = serde_json::from_str(text).expect("one JSON document");
    assert_eq!(
        value,
        json!({"jsonrpc": "2.0", "method": "slurp", "params": [], "id": 1})
    );
    match Decoder::new().parse(&bytes).expect("a JSON-RPC message") {
        Incoming::Single(Message::Request(req)) => {
            assert_eq!(req.method.as_unescaped(), Some("slurp"));
            assert_eq!(req.id.and_then(|id| id.as_u64()), Some(1));
        }
        other => panic!("not a request: {other:?}"),
    }
}

#[test]
fn the_crate_server_serves_the_corpus_datagram_as_it_was_captured() {
    let bytes = std::fs::read(root().join(CORPUS)).expect("corpus datagram");
    let addr = UnixAddr::abstract_name(format!("procslink-jsoncomm-corpus-{}", std::process::id()));
    let server = Server::bind_jsoncomm(addr.clone(), methods(), ServerOptions::new())
        .expect("bind")
        .spawn()
        .expect("spawn");
    let sender = JsoncommSocket::new_client(Some(&addr)).expect("client");
    sender
        .set_recv_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let pipe = pipe_with("captured");
    sender
        .send_bytes(&bytes, None, &[pipe.as_fd()])
        .expect("send");
    let answer = sender.recv().expect("answer");
    assert_eq!(
        answer.payload,
        json!({"jsonrpc": "2.0", "result": "captured", "id": 1})
    );
    let [fd] = <[_; 1]>::try_from(answer.fds).expect("one descriptor");
    assert_eq!(read_fd(fd), "CAPTURED");
    server.stop().expect("stop");
}
