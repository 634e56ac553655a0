//! EZ-IPC interop: the crate's server called by the real EZ-IPC client,
//! and the crate's client calling the real EZ-IPC server, in the Base85
//! profile (HEAD), the raw-JSON profile (31bfe9e) and, with the
//! `ezipc-nacl` feature and PyNaCl, the encrypted mode. The references run
//! as subprocesses from `../shared/references/ez-ipc/` with the venvs
//! `scripts/references/ezipc.sh` makes; absent, the tests skip with a
//! notice (fail under `CI=true`).
#![cfg(feature = "std")]

mod peer_common;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use peer_common::references::{reference, tool};
use procslink::peer::ezipc::{EzIpcClient, EzIpcOptions, EzIpcServer, EzIpcServerHandle, Profile};
use procslink::peer::{CallError, Methods, Params, RpcError, demo};
use serde_json::{Value, json};

const HOW: &str = "run scripts/references/ezipc.sh";

/// The interpreter of the venv (with PyNaCl or without) and the tree.
fn reference_setup(nacl: bool, tree: &str) -> Option<(PathBuf, PathBuf)> {
    let venv = if nacl {
        "ezipc/venv-nacl/bin/python"
    } else {
        "ezipc/venv/bin/python"
    };
    let python = tool(venv, HOW)?;
    let tree = reference(&format!("ez-ipc/{tree}"))?;
    Some((python, tree))
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A subprocess killed when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real server (`ref_server.py`: `ADD` and `ECHO`) on a port of its
/// own, once it accepts connections.
fn reference_server(python: &Path, tree: &Path) -> (Reaped, u16) {
    let port = free_port();
    let script = tree.parent().expect("ez-ipc folder").join("ref_server.py");
    let child = Command::new(python)
        .arg(&script)
        .arg(port.to_string())
        .env("EZSRC", tree)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ref_server.py");
    let child = Reaped(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "ref_server.py did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// What the real client printed for each step, and whether it ended with
/// the connection encrypted.
fn reference_client(python: &Path, tree: &Path, port: u16, steps: &Value) -> (Vec<Value>, bool) {
    let script = peer_common::root().join("tests/interop/ezipc_client.py");
    let child = Command::new(python)
        .arg(&script)
        .arg(port.to_string())
        .arg(steps.to_string())
        .env("EZSRC", tree)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ezipc_client.py");
    let mut child = Reaped(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut results, mut secure) = (Vec::new(), None);
    while secure.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            panic!("the reference client stopped after {results:?}");
        };
        if let Some(step) = line.strip_prefix("STEP ") {
            results.push(serde_json::from_str(step).expect("step JSON"));
        } else if let Some(end) = line.strip_prefix("END ") {
            let end: Value = serde_json::from_str(end).expect("end JSON");
            secure = end["secure"].as_bool();
        }
    }
    // The client sends TERM after its steps: let it finish.
    while child.0.try_wait().expect("wait").is_none() {
        assert!(
            Instant::now() < deadline,
            "the reference client did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (results, secure.unwrap_or(false))
}

/// The crate's methods for the reference client: the demo methods, plus
/// `ADD` (the sum of its params, a number) and `ECHO` (its params back).
fn methods() -> Methods {
    let mut m = demo::methods();
    m.add("ADD", |p: Params| -> Result<Value, RpcError> {
        let terms: Vec<i64> = p.parse()?;
        Ok(json!(terms.iter().sum::<i64>()))
    });
    m.add("ECHO", |p: Params| -> Result<Value, RpcError> {
        Ok(p.into_value())
    });
    m
}

fn our_server(options: EzIpcOptions) -> EzIpcServerHandle {
    EzIpcServer::bind_tcp("127.0.0.1:0", methods(), options)
        .expect("bind")
        .spawn()
        .expect("spawn")
}

/// The steps the reference client runs against our server, and what each
/// must give.
fn client_steps() -> (Value, Vec<Value>) {
    let nested = json!({"a": [1, 2.5, {"b": null, "c": [true, "x"]}], "d": {}});
    let steps = json!([
        ["call", "ADD", [2, 40]],
        ["call", "ECHO", {"k": "\u{e9}t\u{e9} \u{1F600}"}],
        ["call", "echo", [nested]],
        ["call", "hello", ["Rust"]],
        ["call", "NOPE", []],
        ["notify", "ECHO", ["notif"]],
    ]);
    let expected = vec![
        json!({"result": 42}),
        json!({"result": {"k": "\u{e9}t\u{e9} \u{1F600}"}}),
        json!({"result": nested}),
        json!({"result": "Hello, Rust!"}),
        json!({"error": [-32601, "Method not found"]}),
        json!({"sent": true}),
    ];
    (steps, expected)
}

fn reference_client_calls_our_server(nacl: bool, tree: &str, options: EzIpcOptions) {
    let Some((python, tree)) = reference_setup(nacl, tree) else {
        return;
    };
    let encrypt = options.get_encrypt();
    let server = our_server(options);
    let port = server.tcp_addr().expect("tcp").port();
    let (steps, expected) = client_steps();
    let (results, secure) = reference_client(&python, &tree, port, &steps);
    assert_eq!(results, expected);
    assert_eq!(secure, encrypt);
    // The setup, six steps and TERM, and the key exchange (a client with
    // PyNaCl asks for it whether the server encrypts or not; `RSA.CONF`
    // only follows an exchange that gave keys).
    let served = match (nacl, encrypt) {
        (true, true) => 10,
        (true, false) => 9,
        (false, _) => 8,
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stats().served < served && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = server.stop();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.bad_frames, 0, "{stats:?}");
    assert_eq!(stats.served, served, "{stats:?}");
}

fn our_client_calls_reference_server(nacl: bool, tree: &str, options: EzIpcOptions) {
    let Some((python, tree)) = reference_setup(nacl, tree) else {
        return;
    };
    let (_server, port) = reference_server(&python, &tree);
    let raw = options.get_profile() == Profile::Raw;
    let encrypt = options.get_encrypt();
    let client = EzIpcClient::connect_tcp(("127.0.0.1", port), options).expect("connect");
    assert_eq!(client.is_encrypted(), encrypt);
    let alias = client.alias();
    assert!(
        alias.len() == 3 && alias.bytes().all(|b| b.is_ascii_hexdigit()),
        "the server names the session with three hex digits: {alias:?}"
    );
    // The reference's handlers wrap what they return in a list.
    assert_eq!(client.call("ADD", json!([2, 40])).unwrap(), json!([42]));
    let text = json!({"k": "\u{e9}t\u{e9} \u{1F600}"});
    let echoed = client.call("ECHO", text.clone()).unwrap();
    // 31bfe9e's handler gets the params; HEAD's too (as a dict).
    assert_eq!(echoed, json!([text]));
    let nested = json!([{"a": [1, 2.5, {"b": null}]}, [[], {}]]);
    assert_eq!(
        client.call("ECHO", nested.clone()).unwrap(),
        json!([nested])
    );
    let typed: Vec<i64> = client.call_typed("ADD", &(20, 22)).unwrap();
    assert_eq!(typed, [42]);
    match client.call("NOPE", json!([])) {
        Err(CallError::Rpc(e)) => {
            assert_eq!((e.code.0, e.message.as_str()), (-32601, "Method not found"));
            assert_eq!(e.data, Some(json!("NOPE")));
        }
        other => panic!("an unknown method must fail with -32601: {other:?}"),
    }
    client.notify("ECHO", json!(["notif"])).unwrap();
    // Still serving after the notification.
    assert_eq!(client.call("ADD", json!([1, 1])).unwrap(), json!([2]));
    if raw {
        assert!(
            client
                .call("TIME", json!([]))
                .unwrap()
                .get("startup")
                .is_some()
        );
    }
    client.close("Program Completed").unwrap();
}

#[test]
fn reference_client_calls_our_server_base85() {
    reference_client_calls_our_server(false, "head", EzIpcOptions::new());
}

#[test]
fn our_client_calls_reference_server_base85() {
    our_client_calls_reference_server(false, "head", EzIpcOptions::new());
}

#[test]
fn reference_client_calls_our_server_raw_json() {
    reference_client_calls_our_server(false, "31bfe9e", EzIpcOptions::new().profile(Profile::Raw));
}

#[test]
fn our_client_calls_reference_server_raw_json() {
    our_client_calls_reference_server(false, "31bfe9e", EzIpcOptions::new().profile(Profile::Raw));
}

/// A reference client with PyNaCl and our server without encryption: the
/// server declines the key exchange and the session goes on unencrypted.
#[test]
fn reference_client_with_pynacl_calls_our_plain_server() {
    reference_client_calls_our_server(true, "head", EzIpcOptions::new());
}

#[cfg(feature = "ezipc-nacl")]
#[test]
fn reference_client_calls_our_server_encrypted() {
    reference_client_calls_our_server(true, "head", EzIpcOptions::new().encrypt(true));
}

#[cfg(feature = "ezipc-nacl")]
#[test]
fn our_client_calls_reference_server_encrypted() {
    our_client_calls_reference_server(true, "head", EzIpcOptions::new().encrypt(true));
}
