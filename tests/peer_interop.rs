//! Interop with the reference ProcsLink (the `procslink` 0.1.2 Python
//! package) in both directions. The interpreter is `PROCSLINK_PYTHON`, else
//! `target/interop-venv/bin/python`; without it the tests fail under
//! `CI=true` and are skipped with a notice otherwise.
#![cfg(feature = "std")]

mod peer_common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{Client, ClientOptions, Params, RpcError, Server, ServerOptions, demo};
use serde_json::{Value, json};

fn script(name: &str) -> PathBuf {
    root().join("tests/interop").join(name)
}

/// The reference server, killed when dropped.
struct PyServer {
    child: Child,
    port: u32,
}

impl PyServer {
    fn start(python: &PathBuf, log: &PathBuf) -> PyServer {
        let mut child = Command::new(python)
            .arg(script("py_server.py"))
            .arg(log)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start py_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("py_server.py printed {line:?}"));
        PyServer { child, port }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("procslink-interop-{}-{name}", std::process::id()))
}

#[test]
fn rust_client_against_python_server() {
    let Some(python) = python() else { return };
    if !netlink_available() {
        return;
    }
    let log = temp_path("notify.log");
    let _ = std::fs::remove_file(&log);
    let server = PyServer::start(&python, &log);
    let port = server.port;
    let client =
        Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(10))).unwrap();

    assert_eq!(
        client.call(port, "hello", json!(["Rust"])).unwrap(),
        json!("Hello, Rust!")
    );
    assert_eq!(
        client
            .call(port, "hello", json!({"name": "\u{e9}t\u{e9} \u{1F980}"}))
            .unwrap(),
        json!("Hello, \u{e9}t\u{e9} \u{1F980}!")
    );
    assert_eq!(client.call(port, "add", json!([2, 40])).unwrap(), json!(42));
    assert_eq!(
        client.call(port, "add", json!({"a": 0.5, "b": 2})).unwrap(),
        json!(2.5)
    );
    assert_eq!(
        client.call(port, "ping", Value::Null).unwrap(),
        json!("pong")
    );
    let nested = json!({"a": [1, -2, 3.25, 1e16, null, true, false], "b": {"c": "\u{e9}\"\\\n\t", "d": [[[]]], "e": {}}});
    assert_eq!(
        client.call(port, "echo", json!([nested.clone()])).unwrap(),
        nested
    );
    assert_eq!(
        client
            .call(port, "echo", json!({"value": nested.clone()}))
            .unwrap(),
        nested
    );
    let typed: i64 = client.call_typed(port, "add", &(40, 2)).unwrap();
    assert_eq!(typed, 42);

    let e = client.call(port, "nope", json!([])).unwrap_err();
    let e = e.rpc().expect("an error response");
    assert_eq!(
        (e.code.0, e.message.as_str(), &e.data),
        (-32601, "Method not found", &None)
    );
    let e = client.call(port, "fail", json!([1])).unwrap_err();
    let e = e.rpc().expect("an error response");
    assert_eq!((e.code.0, e.message.as_str()), (-32603, "Internal error"));
    assert_eq!(e.data, Some(json!("boom: \u{e9}t\u{e9}")));
    let e = client.call(port, "add", json!([1, "x"])).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32603);
    assert_eq!(
        e.rpc().unwrap().data,
        Some(json!("unsupported operand type(s) for +: 'int' and 'str'"))
    );

    client
        .notify(port, "notify_me", json!([1, "\u{e9}"]))
        .unwrap();
    client
        .notify(port, "notify_me", json!({"k": [null]}))
        .unwrap();
    client.notify(port, "notify_me", Value::Null).unwrap();
    // The reference serves one datagram at a time, in order: once this
    // call is answered, the notifications have been handled.
    assert_eq!(
        client.call(port, "ping", Value::Null).unwrap(),
        json!("pong")
    );
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .expect("notification log")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            json!({"args": [1, "\u{e9}"], "kwargs": {}}),
            json!({"args": [], "kwargs": {"k": [null]}}),
            json!({"args": [], "kwargs": {}}),
        ]
    );
    let stats = client.stats();
    assert_eq!(stats.delivered, 12);
    assert_eq!(
        stats.unknown_id + stats.spoofed + stats.malformed,
        0,
        "{stats:?}"
    );
    // Nothing else came back: no responses to the notifications.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(client.stats().unknown_id, 0);
    let _ = std::fs::remove_file(&log);
}

#[test]
fn python_client_against_rust_server() {
    let Some(python) = python() else { return };
    if !netlink_available() {
        return;
    }
    let notes = Arc::new(Mutex::new(Vec::new()));
    let mut methods = demo::methods();
    methods.add("ping", |p: Params| -> Result<Value, RpcError> {
        if p.is_absent() {
            Ok(json!("pong"))
        } else {
            Err(RpcError::invalid_params("ping takes nothing"))
        }
    });
    methods.add("fail", |_p: Params| -> Result<Value, RpcError> {
        Err(RpcError::internal("boom: \u{e9}t\u{e9}"))
    });
    let n = Arc::clone(&notes);
    methods.add("notify_me", move |p: Params| -> Result<Value, RpcError> {
        n.lock().unwrap().push(p.into_value());
        Ok(Value::Null)
    });
    let server = Server::bind_netlink(methods, ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    // Numbers compare by their text (serde_json's `arbitrary_precision`):
    // spelled here as Python writes them.
    let nested: Value = serde_json::from_str(
        r#"{"a": [1, -2, 3.25, 1e+16, 1e-05, null, true], "b": {"c": "\u00e9\ud83e\udd80\"\\\n", "d": [[[]]], "e": {}}}"#,
    )
    .unwrap();
    let steps = json!([
        ["call", "hello", ["Rust"]],
        ["call", "hello", {"name": "\u{e9}t\u{e9}"}],
        ["call", "add", [2, 40]],
        ["call", "add", {"a": 2, "b": 40}],
        ["call", "ping", null],
        ["call", "echo", [nested]],
        ["call", "echo", {"value": nested}],
        ["raw", "hello", ["\u{e9}t\u{e9}"]],
        ["raw", "echo", [nested]],
        ["raw", "ping", null],
        ["raw", "nope", [1]],
        ["raw", "fail", []],
        ["raw", "add", [1, "x"]],
        ["notify", "notify_me", [1, "\u{e9}"]],
        ["notify", "notify_me", {"k": [null]}],
        ["raw", "ping", null],
    ]);
    let out = Command::new(&python)
        .arg(script("py_client.py"))
        .arg(port.to_string())
        .arg(steps.to_string())
        .output()
        .expect("run py_client.py");
    assert!(
        out.status.success(),
        "py_client.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 16, "{lines:#?}");
    let results: Vec<&Value> = lines[..7].iter().map(|l| &l["result"]).collect();
    assert_eq!(
        results,
        [
            &json!("Hello, Rust!"),
            &json!("Hello, \u{e9}t\u{e9}!"),
            &json!(42),
            &json!(42),
            &json!("pong"),
            &nested,
            &nested
        ]
    );
    let raw = |i: usize| {
        let l = &lines[i];
        assert_eq!(
            l["same_bytes"],
            json!(true),
            "step {i}: Python would not write these bytes: {l}"
        );
        assert_eq!(l["from_port"], json!(port));
        assert_eq!(l["nlmsg_pid"], json!(port));
        assert_eq!(l["payload_type"], json!(2));
        l["response"].clone()
    };
    assert_eq!(
        raw(7),
        json!({"jsonrpc": "2.0", "id": 1001, "result": "Hello, \u{e9}t\u{e9}!"})
    );
    assert_eq!(
        raw(8),
        json!({"jsonrpc": "2.0", "id": 1002, "result": nested})
    );
    assert_eq!(
        raw(9),
        json!({"jsonrpc": "2.0", "id": 1003, "result": "pong"})
    );
    assert_eq!(
        raw(10),
        json!({"jsonrpc": "2.0", "id": 1004, "error": {"code": -32601, "message": "Method not found"}})
    );
    assert_eq!(
        raw(11),
        json!({"jsonrpc": "2.0", "id": 1005, "error": {"code": -32603, "message": "Internal error", "data": "boom: \u{e9}t\u{e9}"}})
    );
    assert_eq!(raw(12)["error"]["code"], json!(-32602));
    assert_eq!(lines[13], json!({"sent": true}));
    assert_eq!(
        raw(15),
        json!({"jsonrpc": "2.0", "id": 1007, "result": "pong"})
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    while notes.lock().unwrap().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        *notes.lock().unwrap(),
        vec![json!([1, "\u{e9}"]), json!({"k": [null]})]
    );
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 16);
    assert_eq!(
        stats.malformed + stats.spoofed + stats.panics + stats.send_errors,
        0,
        "{stats:?}"
    );
}
