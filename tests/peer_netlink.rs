//! The netlink peer: calls, the reference's exact bytes (both directions),
//! response matching, stopping.
#![cfg(feature = "std")]

mod peer_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::jsonrpc::{Params as JsonParams, RawValue};
use procslink::peer::{
    CallError, Client, ClientOptions, Methods, Params, RpcError, Server, ServerOptions,
    SocketOptions, demo,
};
use procslink::procslink::{Datagram, DatagramRepr};
use serde_json::{Value, json};

fn corpus(name: &str) -> Vec<u8> {
    let path = root().join("tests/data/procslink").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `bytes` with its `nlmsg_pid` replaced.
fn with_pid(bytes: &[u8], pid: u32) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[12..16].copy_from_slice(&pid.to_be_bytes());
    v
}

/// A request's text with the number after `"id": ` replaced by `id`.
fn with_id(text: &str, id: u64) -> String {
    let (head, tail) = text.split_once("\"id\": ").expect("an id");
    let digits = tail
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(tail.len());
    format!("{head}\"id\": {id}{}", &tail[digits..])
}

fn corpus_methods() -> Methods {
    let mut m = demo::methods();
    m.add("pyadd", |p: Params| -> Result<Value, RpcError> {
        match (p.raw_arg(0, "a"), p.raw_arg(1, "b")) {
            (Some(Value::Number(a)), Some(Value::Number(b))) => {
                Ok(json!(a.as_i64().unwrap() + b.as_i64().unwrap()))
            }
            _ => Err(RpcError::internal(
                "unsupported operand type(s) for +: 'int' and 'str'",
            )),
        }
    });
    m.add("ping", |p: Params| -> Result<Value, RpcError> {
        assert!(p.is_absent());
        Ok(json!("pong"))
    });
    m
}

#[test]
fn responses_are_the_reference_bytes() {
    if !netlink_available() {
        return;
    }
    let server = Server::bind_netlink(corpus_methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let raw = Raw::new();
    let cases: [(&[u8], &str); 5] = [
        (
            br#"{"jsonrpc": "2.0", "method": "hello", "id": 7, "params": ["Rust"]}"#,
            "response-result.bin",
        ),
        (
            br#"{"jsonrpc": "2.0", "method": "hello", "id": "abc", "params": ["\u00e9t\u00e9"]}"#,
            "response-string-id.bin",
        ),
        (
            br#"{"jsonrpc": "2.0", "method": "nope", "id": 8}"#,
            "response-method-not-found.bin",
        ),
        (
            br#"{"jsonrpc": "2.0", "method": "pyadd", "id": 9, "params": [1, "x"]}"#,
            "response-internal-error.bin",
        ),
        (
            br#"{"jsonrpc": "1.0", "method": "hello", "id": 10, "params": ["x"]}"#,
            "response-invalid-request.bin",
        ),
    ];
    for (request, expected) in cases {
        let (reply, from) = raw
            .exchange(port, &request_datagram(raw.port(), request))
            .expect("a reply");
        assert_eq!(from, port);
        assert_eq!(
            reply,
            with_pid(&corpus(expected), port),
            "{expected}: got {:?}",
            String::from_utf8_lossy(&reply[40..])
        );
    }
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 4);
    assert_eq!(stats.malformed, 1);
}

#[test]
fn requests_are_the_reference_bytes() {
    if !netlink_available() {
        return;
    }
    let raw = Raw::new();
    let port = raw.port();
    let client = Arc::new(
        Client::netlink_with(ClientOptions::new().timeout(Duration::from_millis(300))).unwrap(),
    );
    let calls: [(&str, Value, &str); 3] = [
        ("hello", json!(["Rust"]), "request-positional.bin"),
        ("add", json!({"a": 2, "b": 40}), "request-named.bin"),
        ("ping", Value::Null, "request-no-params.bin"),
    ];
    for (method, params, expected) in calls {
        let c = Arc::clone(&client);
        let caller = std::thread::spawn(move || c.call(port, method, params));
        let (got, from) = raw.receive().expect("the request arrives");
        assert_eq!(from, client.port().unwrap());
        assert_eq!(got, with_pid(&corpus(expected), from), "{expected}");
        assert!(caller.join().unwrap().unwrap_err().is_timeout());
    }

    // The typed and raw calls write the same bytes.
    #[derive(serde::Serialize)]
    struct Add {
        a: i64,
        b: i64,
    }
    type Call = Box<dyn FnOnce(&Client, u32) -> Result<(), CallError> + Send>;
    let calls: [(Call, &str); 4] = [
        (
            Box::new(|c, port| {
                c.call_typed::<_, Value>(port, "hello", &("Rust",))
                    .map(drop)
            }),
            "request-positional.bin",
        ),
        (
            Box::new(|c, port| {
                c.call_typed::<_, Value>(port, "add", &Add { a: 2, b: 40 })
                    .map(drop)
            }),
            "request-named.bin",
        ),
        (
            Box::new(|c, port| c.call_typed::<_, Value>(port, "ping", &()).map(drop)),
            "request-no-params.bin",
        ),
        (
            Box::new(|c, port| {
                let params = RawValue::parse(r#"["Rust"]"#).unwrap();
                c.call_raw(port, "hello", JsonParams::new(params), |_| ())
            }),
            "request-positional.bin",
        ),
    ];
    // Ids go on from where the calls above left them.
    for (id, (call, expected)) in (4..).zip(calls) {
        let c = Arc::clone(&client);
        let caller = std::thread::spawn(move || call(&c, port));
        let (got, from) = raw.receive().expect("the request arrives");
        let want = with_pid(&corpus(expected), from);
        let want = with_id(&String::from_utf8_lossy(&want[40..]), id);
        assert_eq!(String::from_utf8_lossy(&got[40..]), want, "{expected}");
        assert_eq!(got[..40], with_pid(&corpus(expected), from)[..40]);
        assert!(caller.join().unwrap().unwrap_err().is_timeout());
    }
}

#[test]
fn every_call_api_from_many_threads_at_once() {
    if !netlink_available() {
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new().threads(2))
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let client = Arc::new(Client::netlink().unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                for i in 0..300 {
                    let name = format!("t{t}-{i}-\u{e9}");
                    let want = format!("Hello, {name}!");
                    match i % 4 {
                        0 => {
                            let v = client.call(port, "hello", json!([name])).unwrap();
                            assert_eq!(v, json!(want));
                        }
                        1 => {
                            let v: String = client.call_typed(port, "hello", &(&name,)).unwrap();
                            assert_eq!(v, want);
                        }
                        2 => {
                            let text = serde_json::to_string(&[&name]).unwrap();
                            let params = JsonParams::new(RawValue::parse(&text).unwrap());
                            let got = client
                                .call_raw(port, "hello", params, |r| {
                                    r.as_json_str().unwrap().chars().collect::<String>()
                                })
                                .unwrap();
                            assert_eq!(got, want);
                        }
                        _ => {
                            let e = client
                                .call_raw(port, "add", None, |_| unreachable!())
                                .unwrap_err();
                            assert_eq!(e.rpc().unwrap().code.0, -32602, "{e}");
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = client.stats();
    assert_eq!(stats.delivered, 8 * 300);
    assert_eq!(stats.unknown_id + stats.spoofed + stats.malformed, 0);
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 8 * 300);
}

#[test]
fn demo_methods_over_netlink() {
    if !netlink_available() {
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let client = Client::netlink().unwrap();
    assert_ne!(client.port(), Some(port));
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
        client.call(port, "add", json!({"a": 1.5, "b": 2})).unwrap(),
        json!(3.5)
    );
    let nested = json!({"list": [1, -2, 3.25, null, true, "x\u{e9}\"\\\n"], "obj": {"deep": [[[]]], "empty": {}}});
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
    let e = client.call(port, "add", json!([1, "x"])).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32602, "{e}");
    let e = client.call(port, "add", json!([1])).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32602);
    let e = client.call(port, "hello", Value::Null).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32602);
    let e = client.call(port, "missing", json!([])).unwrap_err();
    assert_eq!(e.rpc().unwrap().code.0, -32601);
    assert_eq!(e.rpc().unwrap().message, "Method not found");
    let typed: String = client.call_typed(port, "hello", &("typed",)).unwrap();
    assert_eq!(typed, "Hello, typed!");
    assert!(matches!(
        client.call_typed::<_, i64>(port, "hello", &("x",)),
        Err(CallError::Protocol(_))
    ));
    assert!(matches!(
        client.call(port, "echo", json!(5)),
        Err(CallError::Protocol(_))
    ));
    let big = "x".repeat(5000);
    assert!(matches!(
        client.call(port, "echo", json!([big])),
        Err(CallError::Protocol(_))
    ));
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, 12);
    assert_eq!(
        stats.malformed + stats.spoofed + stats.panics + stats.send_errors,
        0
    );
    assert_eq!(client.stats().delivered, 12);
}

#[test]
fn errors_carry_code_message_and_data() {
    if !netlink_available() {
        return;
    }
    let mut methods = Methods::new();
    methods.add("fail", |_p: Params| -> Result<Value, RpcError> {
        Err(RpcError::new(-32050, "Busy \u{e9}")
            .with_data(json!({"retry_ms": 10, "why": ["a", "\u{e9}"]})))
    });
    let server = Server::bind_netlink(methods, ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let raw = Raw::new();
    let (reply, _) = raw
        .exchange(
            port,
            &request_datagram(raw.port(), br#"{"jsonrpc":"2.0","method":"fail","id":1}"#),
        )
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&reply[40..]).unwrap(),
        r#"{"jsonrpc": "2.0", "id": 1, "error": {"code": -32050, "message": "Busy \u00e9", "data": {"retry_ms": 10, "why": ["a", "\u00e9"]}}}"#
    );
    let client = Client::netlink().unwrap();
    let e = client.call(port, "fail", Value::Null).unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code.0, -32050);
    assert_eq!(e.message, "Busy \u{e9}");
    assert_eq!(
        e.data,
        Some(json!({"retry_ms": 10, "why": ["a", "\u{e9}"]}))
    );
}

#[test]
fn a_lone_caller_checks_its_own_answer() {
    if !netlink_available() {
        return;
    }
    // One caller, so it reads the socket itself: a stray id, then its own
    // id from another port (with that port in nlmsg_pid), then the answer.
    let fake = Raw::new();
    let impostor = Raw::new();
    fake.socket
        .set_recv_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = fake.port();
    let client = Arc::new(Client::netlink().unwrap());
    let caller = {
        let c = Arc::clone(&client);
        // No deadline this long fits an `Instant`: a century stands in.
        std::thread::spawn(move || c.call_timeout(port, "who", json!([7]), Duration::MAX))
    };
    let (bytes, to) = fake.receive().expect("request");
    let v: Value = serde_json::from_slice(Datagram::parse(&bytes).unwrap().payload()).unwrap();
    let id = v["id"].as_u64().unwrap();
    let answer = |pid: u32, id: u64, result: &str| {
        let text = format!(r#"{{"jsonrpc": "2.0", "id": {id}, "result": {result}}}"#);
        datagram(DatagramRepr::response(pid), text.as_bytes())
    };
    fake.socket.send_to(to, &answer(port, id + 1, "0")).unwrap();
    impostor
        .socket
        .send_to(to, &answer(impostor.port(), id, "\"forged\""))
        .unwrap();
    fake.socket.send_to(to, &answer(port, id, "7")).unwrap();
    assert_eq!(caller.join().unwrap().unwrap(), json!(7));
    let stats = client.stats();
    assert_eq!(
        (stats.delivered, stats.unknown_id, stats.spoofed),
        (1, 1, 1),
        "{stats:?}"
    );

    // Something else arrives, then nothing: the call still times out,
    // about when it should.
    let start = Instant::now();
    let caller = {
        let c = Arc::clone(&client);
        std::thread::spawn(move || {
            c.call_timeout(port, "who", json!([8]), Duration::from_millis(300))
        })
    };
    let (bytes, to) = fake.receive().expect("request");
    let v: Value = serde_json::from_slice(Datagram::parse(&bytes).unwrap().payload()).unwrap();
    let id = v["id"].as_u64().unwrap();
    fake.socket.send_to(to, &answer(port, id + 1, "0")).unwrap();
    let late = caller.join().unwrap();
    assert!(matches!(late, Err(CallError::Timeout)), "{late:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn responses_never_reach_the_wrong_caller() {
    if !netlink_available() {
        return;
    }
    // A fake server that answers every request with the wrong id first
    // (an id nobody waits for, then the id of another caller's call, from
    // the right port), then a spoofed nlmsg_pid, then the right answer.
    let fake = Raw::new();
    fake.socket
        .set_recv_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = fake.port();
    // Both calls on the one socket (no extra sockets), where one caller
    // reads for both and hands answers over.
    let options = ClientOptions::new()
        .timeout(Duration::from_secs(5))
        .max_extra_sockets(0);
    let client = Arc::new(Client::netlink_with(options).unwrap());
    let callers: Vec<_> = (0..2)
        .map(|i| {
            let c = Arc::clone(&client);
            std::thread::spawn(move || c.call(port, "who", json!([i])))
        })
        .collect();
    let mut requests = Vec::new();
    for _ in 0..2 {
        let (bytes, from) = fake.receive().expect("request");
        let d = Datagram::parse(&bytes).unwrap();
        let v: Value = serde_json::from_slice(d.payload()).unwrap();
        requests.push((
            v["id"].as_u64().unwrap(),
            v["params"][0].as_u64().unwrap(),
            from,
        ));
    }
    let reply = |pid: u32, text: String| datagram(DatagramRepr::response(pid), text.as_bytes());
    let (id0, arg0, to) = requests[0];
    let (id1, arg1, _) = requests[1];
    // Unknown id.
    fake.socket
        .send_to(
            to,
            &reply(
                port,
                r#"{"jsonrpc": "2.0", "id": 999999, "result": "stray"}"#.into(),
            ),
        )
        .unwrap();
    // Id null.
    fake.socket
        .send_to(
            to,
            &reply(
                port,
                r#"{"jsonrpc": "2.0", "id": null, "result": "stray"}"#.into(),
            ),
        )
        .unwrap();
    // Right id, forged nlmsg_pid.
    fake.socket
        .send_to(
            to,
            &reply(
                port + 1,
                format!(r#"{{"jsonrpc": "2.0", "id": {id0}, "result": "forged"}}"#),
            ),
        )
        .unwrap();
    // A request instead of a response.
    fake.socket
        .send_to(
            to,
            &request_datagram(
                port,
                format!(r#"{{"jsonrpc": "2.0", "method": "x", "id": {id0}}}"#).as_bytes(),
            ),
        )
        .unwrap();
    // The right answers, second caller first, then a duplicate.
    for (id, arg) in [(id1, arg1), (id0, arg0), (id0, arg0)] {
        fake.socket
            .send_to(
                to,
                &reply(
                    port,
                    format!(r#"{{"jsonrpc": "2.0", "id": {id}, "result": {arg}}}"#),
                ),
            )
            .unwrap();
    }
    let results: Vec<u64> = callers
        .into_iter()
        .map(|c| c.join().unwrap().unwrap().as_u64().unwrap())
        .collect();
    assert_eq!(results, vec![0, 1]);
    // The duplicate is read, and dropped, by whichever call waits next.
    let late = client.call_timeout(port, "x", Value::Null, Duration::from_millis(100));
    assert!(matches!(late, Err(CallError::Timeout)), "{late:?}");
    let stats = client.stats();
    assert_eq!(stats.delivered, 2);
    assert_eq!(stats.unknown_id, 3, "{stats:?}");
    assert_eq!(stats.spoofed, 1);
    assert_eq!(stats.malformed, 1);
}

#[test]
fn stop_wakes_every_thread_in_serve() {
    if !netlink_available() {
        return;
    }
    // Four threads of the caller's serve one server configured for one
    // thread; a stop wakes them all (a wake-up each, counted as they
    // entered serve), long before the poll interval.
    let server = Server::bind_netlink(
        demo::methods(),
        ServerOptions::new().poll_interval(Duration::from_secs(30)),
    )
    .unwrap();
    let port = server.port().unwrap();
    let stopper = server.stopper();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = server.clone();
            std::thread::spawn(move || s.serve())
        })
        .collect();
    let client = Client::netlink().unwrap();
    for i in 0..20 {
        let v = client.call(port, "add", json!([i, 1])).unwrap();
        assert_eq!(v, json!(i + 1));
    }
    // Each thread counts what it serves; the server's count adds them up,
    // while they serve and after they leave.
    assert_eq!(server.stats().served, 20);
    // Every thread is in serve (and blocked) once all have answered
    // something or have had the time to start.
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    stopper.stop();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert_eq!(server.stats().served, 20);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A thread that enters serve after the stop returns at once.
    server.serve().unwrap();
}

#[test]
fn stop_is_prompt_and_serve_runs_on_the_callers_thread() {
    if !netlink_available() {
        return;
    }
    let count = Arc::new(AtomicUsize::new(0));
    let mut methods = Methods::new();
    let c = Arc::clone(&count);
    methods.add("tick", move |_p: Params| -> Result<Value, RpcError> {
        Ok(json!(c.fetch_add(1, Ordering::SeqCst) + 1))
    });
    let server = Server::bind_netlink(
        methods,
        ServerOptions::new().poll_interval(Duration::from_secs(30)),
    )
    .unwrap();
    let port = server.port().unwrap();
    let stopper = server.stopper();
    let serving = std::thread::spawn(move || server.serve());
    let client = Client::netlink().unwrap();
    assert_eq!(client.call(port, "tick", Value::Null).unwrap(), json!(1));
    client.notify(port, "tick", Value::Null).unwrap();
    assert_eq!(client.call(port, "tick", Value::Null).unwrap(), json!(3));
    let started = Instant::now();
    stopper.stop();
    serving.join().unwrap().unwrap();
    // Woken by the datagram, not by the 30 s poll interval.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // The socket is closed: nothing listens on the port any more.
    let e = client
        .call_timeout(port, "tick", Value::Null, Duration::from_millis(200))
        .unwrap_err();
    assert!(matches!(e, CallError::Io(_) | CallError::Timeout), "{e}");
}
