//! Bad input and abuse: spoofed port ids, malformed datagrams, panicking
//! handlers, batches, and the uid allow-list enforced with kernel-supplied
//! credentials (a child process running as another uid).
#![cfg(feature = "std")]

mod peer_common;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use peer_common::*;
use procslink::peer::{
    Client, ClientOptions, Methods, Params, ResultText, RpcError, Server, ServerHandle,
    ServerOptions, demo,
};
use procslink::procslink::{DatagramRepr, PayloadType};
use serde_json::{Value, json};

fn methods() -> Methods {
    let mut m = demo::methods();
    m.add("panic", |_p: Params| -> Result<Value, RpcError> {
        panic!("handler exploded")
    });
    m.add("whoami", |p: Params| -> Result<Value, RpcError> {
        Ok(json!(p.credentials().map(|c| c.uid)))
    });
    m.add_raw("raw-panic", |_p: Params, out: &mut ResultText| {
        out.string("half written");
        panic!("raw handler exploded")
    });
    m.add_raw("raw-big", |p: Params, out: &mut ResultText| {
        let size: usize = p.arg(0, "size")?;
        out.string(&"x".repeat(size));
        Ok(())
    });
    m
}

/// The test methods served on a new netlink port.
fn serve(options: ServerOptions) -> ServerHandle {
    Server::bind_netlink(methods(), options)
        .unwrap()
        .spawn()
        .unwrap()
}

fn invalid_request(detail: bool) -> impl Fn(&Value) {
    move |v: &Value| {
        assert_eq!(v["id"], Value::Null, "{v}");
        assert_eq!(v["error"]["code"], json!(-32600), "{v}");
        assert_eq!(v["error"]["message"], json!("Invalid Request"), "{v}");
        assert_eq!(v["error"].get("data").is_some(), detail, "{v}");
    }
}

#[test]
fn spoofed_port_ids_are_not_served() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let raw = Raw::new();
    let text = br#"{"jsonrpc": "2.0", "method": "hello", "id": 1, "params": ["x"]}"#;
    for claimed in [0, raw.port().wrapping_add(1), port] {
        assert!(
            raw.exchange(port, &request_datagram(claimed, text))
                .is_none(),
            "claimed {claimed}"
        );
    }
    // Not even a malformed one with a forged pid gets an answer.
    let mut bad = request_datagram(raw.port() ^ 1, b"{");
    bad.truncate(20);
    assert!(raw.exchange(port, &bad).is_none());
    assert_eq!(
        raw.call_text(port, text).unwrap()["result"],
        json!("Hello, x!")
    );
    // The check can be turned off.
    let lax = serve(ServerOptions::new().check_pid(false));
    let (reply, from) = raw
        .exchange(lax.port().unwrap(), &request_datagram(0, text))
        .unwrap();
    assert_eq!(response_json(&reply, from)["result"], json!("Hello, x!"));
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.spoofed, stats.served, stats.malformed),
        (4, 1, 0),
        "{stats:?}"
    );
}

#[test]
fn malformed_datagrams_are_answered_and_counted() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let raw = Raw::new();
    let me = raw.port();
    let good = br#"{"jsonrpc": "2.0", "method": "hello", "id": 1, "params": ["x"]}"#;
    let framing = invalid_request(true);
    let mut expected_malformed = 0;
    let mut check = |bytes: Vec<u8>, what: &str, check_reply: &dyn Fn(&Value)| {
        let (reply, from) = raw
            .exchange(port, &bytes)
            .unwrap_or_else(|| panic!("{what}: no reply"));
        check_reply(&response_json(&reply, from));
        expected_malformed += 1;
        // The loop goes on serving.
        assert_eq!(
            raw.call_text(port, good).unwrap()["result"],
            json!("Hello, x!"),
            "after {what}"
        );
    };
    // Truncated: shorter than the nlmsghdr, and inside the procslinkhdr.
    check(vec![0, 0, 0, 1, 0], "5 bytes", &framing);
    check(
        request_datagram(me, good)[..30].to_vec(),
        "30 bytes",
        &framing,
    );
    // nlmsg_len disagreeing with the bytes.
    let mut d = request_datagram(me, good);
    d[3] ^= 1;
    check(d, "nlmsg_len", &framing);
    // procslinkhdr length disagreeing.
    let mut d = request_datagram(me, good);
    d[16 + 7] = d[16 + 7].wrapping_add(1);
    check(d, "procslink length", &framing);
    // A datagram carrying a single nlmsghdr whose length is little-endian.
    let mut d = request_datagram(me, good);
    let len = (d.len() - 16) as u32;
    d[..4].copy_from_slice(&len.to_le_bytes());
    check(d, "host-order nlmsg_len", &framing);
    // Unknown payload types.
    for ty in [0u16, 3, 0xffff] {
        let d = datagram(DatagramRepr::new(me, PayloadType(ty)), good);
        check(d, "payload type", &framing);
    }
    // Oversized (the reference's limit is 4096).
    let big = format!(
        r#"{{"jsonrpc": "2.0", "method": "echo", "id": 1, "params": ["{}"]}}"#,
        "x".repeat(5000)
    );
    check(request_datagram(me, big.as_bytes()), "oversized", &framing);
    // Not JSON, not UTF-8: -32700, id null, no data.
    let parse_error = |v: &Value| {
        assert_eq!(
            v,
            &json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}})
        );
    };
    check(
        request_datagram(me, br#"{"jsonrpc": "2.0", "method": "hello", "id": 1"#),
        "unterminated",
        &parse_error,
    );
    check(request_datagram(me, b""), "empty", &parse_error);
    check(
        request_datagram(
            me,
            b"{\"jsonrpc\": \"2.0\", \"method\": \"\xff\", \"id\": 1}",
        ),
        "not UTF-8",
        &parse_error,
    );
    // JSON but not a request: -32600, id null, no data (as the reference).
    let bare = invalid_request(false);
    for text in [
        &br#"{"jsonrpc": "2.0", "id": 4}"#[..],
        br#"{"jsonrpc": "2.0", "method": 4, "id": 4}"#,
        br#"{"jsonrpc": "2.0", "method": "hello", "params": 3, "id": 4}"#,
        br#"{"method": "hello", "id": 4}"#,
        br#"{"jsonrpc": "2.0", "method": "hello", "id": [4]}"#,
        br#"{"jsonrpc": "2.0", "id": 4, "result": 1}"#,
        br#""hello""#,
        br#"[]"#,
    ] {
        check(
            request_datagram(me, text),
            std::str::from_utf8(text).unwrap(),
            &bare,
        );
    }
    // A response datagram is never answered (no error ping-pong).
    let d = datagram(
        DatagramRepr::response(me),
        br#"{"jsonrpc": "2.0", "id": 1, "result": 1}"#,
    );
    assert!(raw.exchange(port, &d).is_none());
    expected_malformed += 1;
    let stats = server.stop().unwrap();
    assert_eq!(stats.malformed, expected_malformed, "{stats:?}");
    assert_eq!(stats.served, expected_malformed - 1);
    assert_eq!(stats.spoofed + stats.panics + stats.send_errors, 0);
}

#[test]
fn a_panicking_handler_is_answered_and_serving_goes_on() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let client = Client::netlink().unwrap();
    for _ in 0..3 {
        let e = client.call(port, "panic", Value::Null).unwrap_err();
        let e = e.rpc().unwrap();
        assert_eq!((e.code.0, e.message.as_str()), (-32603, "Internal error"));
        assert_eq!(e.data, Some(json!("handler panicked: handler exploded")));
        assert_eq!(client.call(port, "add", json!([1, 2])).unwrap(), json!(3));
    }
    client.notify(port, "panic", Value::Null).unwrap();
    assert_eq!(client.call(port, "add", json!([1, 2])).unwrap(), json!(3));
    let stats = server.stop().unwrap();
    assert_eq!((stats.panics, stats.served), (4, 8));
}

#[test]
fn raw_handlers_fail_like_the_others() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let client = Client::netlink().unwrap();
    // A panic after a partial write is answered with the panic, not the
    // partial result.
    let e = client.call(port, "raw-panic", Value::Null).unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code.0, -32603);
    assert_eq!(
        e.data,
        Some(json!("handler panicked: raw handler exploded"))
    );
    // A result that fits is sent; one that does not is -32603.
    let fits = client.call(port, "raw-big", json!([1000])).unwrap();
    assert_eq!(fits.as_str().map(str::len), Some(1000));
    let e = client.call(port, "raw-big", json!([5000])).unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code.0, -32603, "{e:?}");
    assert!(
        e.data
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains("exceeds"))
    );
    // Wrong params are the handler's -32602; notifications get nothing.
    let e = client.call(port, "raw-big", json!(["many"])).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32602);
    client.notify(port, "raw-big", json!([10])).unwrap();
    assert_eq!(
        client.call(port, "hello", json!(["raw"])).unwrap(),
        json!("Hello, raw!")
    );
    let stats = server.stop().unwrap();
    assert_eq!((stats.panics, stats.served), (1, 6));
}

#[test]
fn batches_follow_the_specification() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let raw = Raw::new();
    let batch = br#"[
        {"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": "1"},
        {"jsonrpc": "2.0", "method": "hello", "params": ["n"]},
        {"jsonrpc": "2.0", "method": "nope", "id": 2},
        {"foo": "boo"},
        3,
        {"jsonrpc": "2.0", "method": "echo", "params": {"value": "\u00e9"}, "id": null}
    ]"#;
    let (reply, from) = raw
        .exchange(port, &request_datagram(raw.port(), batch))
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&reply[40..]).unwrap(),
        concat!(
            r#"[{"jsonrpc": "2.0", "id": "1", "result": 3}, "#,
            r#"{"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "Method not found"}}, "#,
            r#"{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid Request"}}, "#,
            r#"{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid Request"}}, "#,
            r#"{"jsonrpc": "2.0", "id": null, "result": "\u00e9"}]"#
        )
    );
    assert_eq!(from, port);
    // All notifications: nothing at all.
    let notes = br#"[{"jsonrpc": "2.0", "method": "hello", "params": ["a"]}, {"jsonrpc": "2.0", "method": "nope"}]"#;
    assert!(
        raw.exchange(port, &request_datagram(raw.port(), notes))
            .is_none()
    );
    // Empty: one -32600.
    let v = raw.call_text(port, b"[]").unwrap();
    invalid_request(false)(&v);
    assert!(v.is_object());
    // Invalid JSON inside a batch: one -32700.
    let v = raw.call_text(port, br#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#).unwrap();
    assert_eq!(v["error"]["code"], json!(-32700));
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 6);
    assert_eq!(stats.malformed, 4);
}

/// Env var that turns a re-executed test binary into the uid-test client.
const CHILD_PORT: &str = "PROCSLINK_PEER_TEST_CHILD_PORT";

#[test]
fn uid_allow_list_uses_kernel_credentials() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        // Child mode: running as another uid; call and report.
        let port: u32 = port.parse().unwrap();
        let client =
            Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(5))).unwrap();
        let outcome = match client.call(port, "whoami", Value::Null) {
            Ok(v) => json!({"result": v}),
            Err(e) => {
                json!({"error": e.rpc().map(|e| json!({"code": e.code.0, "message": e.message})), "text": e.to_string()})
            }
        };
        client.notify(port, "hello", json!(["from child"])).unwrap();
        println!("CHILD-OUTCOME {outcome}");
        return;
    }
    if !netlink_available() {
        return;
    }
    if !rustix::process::geteuid().is_root() {
        missing("the uid allow-list test must run as root to start a client as uid 65534");
        return;
    }
    let (dir, exe) = world_executable_self();
    let run_child = |port: u32| -> Value {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "uid_allow_list_uses_kernel_credentials",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_PORT, port.to_string())
            .uid(65534)
            .gid(65534)
            .current_dir(&dir)
            .output()
            .expect("run the child as uid 65534");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| {
                l.split_once("CHILD-OUTCOME ")
                    .map(|(_, rest)| rest.to_string())
            })
            .unwrap_or_else(|| panic!("no outcome in {stdout}"));
        serde_json::from_str(&line).unwrap()
    };

    // Only root allowed: the child is denied, root is served.
    let server = serve(ServerOptions::new().allow_uid(0));
    let port = server.port().unwrap();
    let outcome = run_child(port);
    assert_eq!(
        outcome["error"],
        json!({"code": -32001, "message": "Permission denied"}),
        "{outcome}"
    );
    let client = Client::netlink().unwrap();
    assert_eq!(client.call(port, "whoami", Value::Null).unwrap(), json!(0));
    let stats = server.stop().unwrap();
    // The child's call and notification were denied (2 datagrams); the
    // notification ran no handler and got no answer.
    assert_eq!(stats.denied, 2, "{stats:?}");
    assert_eq!(stats.served, 3);

    // 65534 allowed: the child is served and its uid is what the kernel says.
    let server = serve(ServerOptions::new().allow_uid(65534));
    let port = server.port().unwrap();
    assert_eq!(run_child(port), json!({"result": 65534}));
    let e = client.call(port, "whoami", Value::Null).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32001);
    let stats = server.stop().unwrap();
    assert_eq!(stats.denied, 1, "{stats:?}");

    // Without an allow-list, credentials can still be asked for.
    let server = serve(ServerOptions::new().pass_credentials(true));
    let port = server.port().unwrap();
    assert_eq!(run_child(port), json!({"result": 65534}));
    assert_eq!(client.call(port, "whoami", Value::Null).unwrap(), json!(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn framing_errors_say_what_was_wrong_in_words() {
    if !netlink_available() {
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let raw = Raw::new();
    let good = br#"{"jsonrpc": "2.0", "method": "hello", "id": 1, "params": ["x"]}"#;
    let (reply, from) = raw
        .exchange(port, &request_datagram(raw.port(), good)[..30])
        .expect("an answer");
    let reply = response_json(&reply, from);
    let data = reply["error"]["data"]
        .as_str()
        .expect("data is text")
        .to_string();
    eprintln!("{data}");
    assert!(data.starts_with("bad ProcsLink datagram: "), "{data}");
    for debug in ["{", "kind", "Error", "::"] {
        assert!(!data.contains(debug), "Debug text in {data:?}");
    }
}
