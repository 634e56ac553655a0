//! Values arrive as sent: integers beyond 64 bits, `-0`, numbers beyond
//! `f64` (`1e400`) and the order of object members, through the peer,
//! through `procslink call`, and against the reference (`procslink` 0.1.2).
//! Needs the `exact-values` feature.
#![cfg(feature = "exact-values")]

mod peer_common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use peer_common::*;
use procslink::jsonrpc::{Params as JsonParams, RawValue, Style};
use procslink::peer::{
    CallError, Client, ClientOptions, Server, ServerOptions, SocketOptions, demo, to_json_text,
};
use procslink::procslink::{Datagram, DatagramRepr};
use serde_json::Value;

/// Params exercising every kind of number and member order that a
/// 64-bit or sorted representation would change.
const VALUES: &str = r#"[{"z": 1, "a": [123456789012345678901234567890, -123456789012345678901234567890, -0, 1e400, -0.0, 18446744073709551616], "m": {"y": null, "b": true}}]"#;
/// `VALUES`' one argument, compact, as it must come back: the same digits
/// (`serde_json` spells an exponent with its sign, as Python does).
const ECHOED: &str = r#"{"z":1,"a":[123456789012345678901234567890,-123456789012345678901234567890,-0,1e+400,-0.0,18446744073709551616],"m":{"y":null,"b":true}}"#;

fn client() -> Client {
    Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(10))).unwrap()
}

#[test]
fn values_round_trip_through_the_peer_as_sent() {
    if !netlink_available() {
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let client = client();
    // As values.
    let params: Value = serde_json::from_str(VALUES).unwrap();
    let back = client.call(port, "echo", params).unwrap();
    assert_eq!(to_json_text(&back, Style::Compact), ECHOED);
    // As text: the result's text is the argument's, in Python's spelling.
    let raw = JsonParams::new(RawValue::parse(VALUES).unwrap());
    let text = client
        .call_raw(port, "echo", raw, |r| r.as_str().to_string())
        .unwrap();
    let expected = VALUES.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
    let expected = expected.map(|v| v.replace("1e400", "1e+400"));
    assert_eq!(Some(text), expected);
    // Typed: a big integer fits an f64 only approximately, but it is
    // parsed from the text that was sent.
    let big: f64 = client
        .call_typed(
            port,
            "echo",
            &[serde_json::from_str::<Value>("1e300").unwrap()],
        )
        .unwrap();
    assert_eq!(big, 1e300);
    server.stop().unwrap();
}

#[cfg(feature = "cli")]
fn procslink_call(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_procslink"))
        .arg("call")
        .args(args)
        .output()
        .expect("run procslink")
}

#[cfg(feature = "cli")]
#[test]
fn procslink_call_sends_its_params_as_given_and_prints_the_result_as_received() {
    if !netlink_available() {
        return;
    }
    // A fake server that records the request and answers a result with
    // the same kinds of values.
    let fake = Raw::new();
    fake.socket
        .set_recv_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = fake.port();
    let answering = std::thread::spawn(move || {
        let (bytes, from) = fake.receive().expect("a request");
        let request = Datagram::parse(&bytes).unwrap();
        let text = String::from_utf8(request.payload().to_vec()).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let id = v["id"].to_string();
        let result = VALUES.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
        let reply = format!(
            r#"{{"jsonrpc": "2.0", "result": {}, "id": {id}}}"#,
            result.unwrap()
        );
        let reply = datagram(DatagramRepr::response(port), reply.as_bytes());
        fake.socket.send_to(from, &reply).unwrap();
        text
    });
    let out = procslink_call(&["--timeout", "10000", &port.to_string(), "echo", VALUES]);
    let request = answering.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        request.contains(&format!(r#""params": {VALUES}"#)),
        "{request}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{ECHOED}\n"));

    // And against the peer's own server.
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap().to_string();
    let out = procslink_call(&[&port, "echo", VALUES]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{ECHOED}\n"));
    let out = procslink_call(&[&port, "echo", "[1e400]"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1e+400\n");
    server.stop().unwrap();
}

/// The reference server, killed when dropped.
struct PyServer {
    child: Child,
    port: u32,
}

impl PyServer {
    fn start(python: &PathBuf) -> PyServer {
        let log = std::env::temp_dir().join(format!(
            "procslink-values-{}-notify.log",
            std::process::id()
        ));
        let mut child = Command::new(python)
            .arg(root().join("tests/interop/py_server.py"))
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

#[test]
fn values_round_trip_through_the_reference() {
    let Some(python) = python() else { return };
    if !netlink_available() {
        return;
    }
    let server = PyServer::start(&python);
    let port = server.port;
    let client = client();
    // Python keeps integers of any size and the members' order...
    let params =
        r#"[{"z": 1, "a": [123456789012345678901234567890, -18446744073709551617, -0.0], "m": 2}]"#;
    let back = client
        .call(port, "echo", serde_json::from_str(params).unwrap())
        .unwrap();
    assert_eq!(
        to_json_text(&back, Style::Compact),
        r#"{"z":1,"a":[123456789012345678901234567890,-18446744073709551617,-0.0],"m":2}"#
    );
    // ... but its integer -0 is 0, and 1e400 becomes a float infinity,
    // which it writes as `Infinity`: not JSON, an invalid reply.
    let back = client
        .call(port, "echo", serde_json::from_str("[-0]").unwrap())
        .unwrap();
    assert_eq!(to_json_text(&back, Style::Compact), "0");
    let e = client
        .call(port, "echo", serde_json::from_str("[1e400]").unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, CallError::InvalidReply(why) if why.contains("not a JSON-RPC response")),
        "{e:?}"
    );

    // The reference client against our server: Python re-serialising our
    // response gives the very bytes we sent.
    let ours = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let steps = format!(r#"[["raw", "echo", {params}]]"#);
    let out = Command::new(&python)
        .arg(root().join("tests/interop/py_client.py"))
        .arg(ours.port().unwrap().to_string())
        .arg(steps)
        .output()
        .expect("run py_client.py");
    assert!(
        out.status.success(),
        "py_client.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["same_bytes"], Value::Bool(true), "{line}");
    assert_eq!(
        to_json_text(&line["response"]["result"], Style::Compact),
        r#"{"z":1,"a":[123456789012345678901234567890,-18446744073709551617,-0.0],"m":2}"#
    );
    ours.stop().unwrap();
}

#[test]
fn named_arguments_keep_their_numbers_and_order_too() {
    let named = format!(
        r#"{{"value": {}}}"#,
        VALUES.trim_start_matches('[').trim_end_matches(']')
    );
    let params = procslink::peer::Params::from_json(&named).unwrap();
    let value: Value = params.arg(0, "value").unwrap();
    assert_eq!(value.to_string(), ECHOED);
    let echoed = demo::echo(procslink::peer::Params::from_json(&named).unwrap()).unwrap();
    assert_eq!(echoed.to_string(), ECHOED);
}
