//! What a caller is told when its answer is wrong: invalid replies end the
//! call they can be attributed to at once (not after the timeout), and a
//! batch too large for one datagram is answered call by call.
#![cfg(feature = "std")]

mod peer_common;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{
    CallError, Client, ClientOptions, Methods, Params, Server, ServerOptions, SocketOptions,
};
use procslink::procslink::{Datagram, DatagramRepr, PayloadType};
use serde_json::{Value, json};

/// A client whose calls wait 5 s: an answer well before that is not a
/// timeout.
/// A client whose calls all go out on its one socket (no extra sockets),
/// where one caller reads for all and replies are told apart by id.
fn patient_client() -> Arc<Client> {
    let options = ClientOptions::new()
        .timeout(Duration::from_secs(5))
        .max_extra_sockets(0);
    Arc::new(Client::netlink_with(options).unwrap())
}

/// A call from another thread to `port`, timed.
fn call_in_thread(
    client: &Arc<Client>,
    port: u32,
    arg: u64,
) -> JoinHandle<(Result<Value, CallError>, Duration)> {
    let client = Arc::clone(client);
    std::thread::spawn(move || {
        let start = Instant::now();
        let got = client.call(port, "who", json!([arg]));
        (got, start.elapsed())
    })
}

/// The next request the fake server receives: its id, first param and
/// sender.
fn next_request(fake: &Raw) -> (u64, u64, u32) {
    let (bytes, from) = fake.receive().expect("a request");
    let d = Datagram::parse(&bytes).unwrap();
    let v: Value = serde_json::from_slice(d.payload()).unwrap();
    (
        v["id"].as_u64().unwrap(),
        v["params"][0].as_u64().unwrap(),
        from,
    )
}

fn fake_server() -> Raw {
    let fake = Raw::new();
    fake.socket
        .set_recv_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    fake
}

#[test]
fn an_invalid_reply_to_the_only_call_fails_it_at_once_saying_why() {
    if !netlink_available() {
        return;
    }
    let fake = fake_server();
    let port = fake.port();
    let response = |text: &str| datagram(DatagramRepr::response(port), text.as_bytes());
    let mut bad_length = response(r#"{"jsonrpc": "2.0", "id": 1, "result": 1}"#);
    bad_length.pop();
    let typed = datagram(
        DatagramRepr {
            payload_type: PayloadType(7),
            ..DatagramRepr::response(port)
        },
        b"{}",
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (response("this is not JSON"), "not a JSON-RPC response"),
        (
            response(r#"{"jsonrpc": "2.0", "id": null, "result": 1}"#),
            "a result with id null",
        ),
        (bad_length, "bad ProcsLink datagram"),
        (typed, "payload type 7 is not a JSON-RPC response"),
        (
            request_datagram(port, br#"{"jsonrpc": "2.0", "method": "x"}"#),
            "payload type 1 is not a JSON-RPC response",
        ),
    ];
    let client = patient_client();
    for (reply, why) in cases {
        let caller = call_in_thread(&client, port, 0);
        let (_, _, to) = next_request(&fake);
        fake.socket.send_to(to, &reply).unwrap();
        let (got, took) = caller.join().unwrap();
        let Err(CallError::InvalidReply(text)) = &got else {
            panic!("{why}: {got:?}");
        };
        assert!(text.contains(why), "{text}");
        assert!(text.contains(&format!("netlink port {port}")), "{text}");
        assert!(took < Duration::from_secs(2), "{why}: took {took:?}");
    }
    // An error with id null (the server could not read the request's id)
    // is that call's error.
    let caller = call_in_thread(&client, port, 0);
    let (_, _, to) = next_request(&fake);
    let text = r#"{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid Request", "data": "too big"}}"#;
    fake.socket.send_to(to, &response(text)).unwrap();
    let (got, took) = caller.join().unwrap();
    let rpc = got.unwrap_err();
    let rpc = rpc.rpc().expect("an error response");
    assert_eq!(
        (rpc.code.0, rpc.data.clone()),
        (-32600, Some(json!("too big")))
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let stats = client.stats();
    // Id null is valid JSON-RPC, so delivered; the rest were malformed.
    assert_eq!((stats.malformed, stats.delivered), (4, 2), "{stats:?}");
}

#[test]
fn an_invalid_reply_with_a_calls_id_fails_that_call_only() {
    if !netlink_available() {
        return;
    }
    let fake = fake_server();
    let port = fake.port();
    let client = patient_client();
    let callers: Vec<_> = (0..2).map(|i| call_in_thread(&client, port, i)).collect();
    let requests = [next_request(&fake), next_request(&fake)];
    let response = |text: String| datagram(DatagramRepr::response(port), text.as_bytes());
    // Invalid without an id, two calls in flight: no one's (counted).
    let to = requests[0].2;
    fake.socket.send_to(to, &response("[1, 2".into())).unwrap();
    // The call with argument 0 gets a malformed answer naming its id (a
    // response with both result and error); the other its right answer.
    for (id, arg, to) in requests {
        let text = if arg == 0 {
            format!(r#"{{"jsonrpc": "2.0", "id": {id}, "result": 0, "error": 1}}"#)
        } else {
            format!(r#"{{"jsonrpc": "2.0", "id": {id}, "result": {arg}}}"#)
        };
        fake.socket.send_to(to, &response(text)).unwrap();
    }
    let results: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let (first, took) = &results[0];
    assert!(
        matches!(first, Err(CallError::InvalidReply(t)) if t.contains("not a JSON-RPC response")),
        "{first:?}"
    );
    assert!(*took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(results[1].0.as_ref().unwrap(), &json!(1));
    let stats = client.stats();
    assert_eq!((stats.malformed, stats.delivered), (2, 1), "{stats:?}");
}

#[test]
fn a_batch_too_large_for_a_datagram_is_answered_call_by_call() {
    if !netlink_available() {
        return;
    }
    let mut methods = Methods::new();
    methods.add("blob", |p: Params| {
        let n: usize = p.arg(0, "n")?;
        Ok(json!("x".repeat(n)))
    });
    let server = Server::bind_netlink(methods, ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let raw = Raw::new();
    // Answers of 2000 and 2100 characters do not fit in 4096 bytes
    // together, each does alone: the largest are replaced by errors with
    // their ids until the rest fits.
    let batch = br#"[{"jsonrpc": "2.0", "method": "blob", "params": [2000], "id": 1},
        {"jsonrpc": "2.0", "method": "blob", "params": [10], "id": 2},
        {"jsonrpc": "2.0", "method": "blob", "params": [2100], "id": 3},
        {"jsonrpc": "2.0", "method": "blob", "params": [2000], "id": 4},
        {"jsonrpc": "2.0", "method": "blob", "params": [5]}]"#;
    let got = raw.call_text(port, batch).expect("an answer");
    let answers = got.as_array().expect("an array of responses");
    let ids: Vec<_> = answers.iter().map(|a| a["id"].clone()).collect();
    assert_eq!(ids, [json!(1), json!(2), json!(3), json!(4)], "{got}");
    assert_eq!(answers[1]["result"], json!("x".repeat(10)));
    // The 2100 one is replaced, and one of the 2000 ones.
    assert_eq!(answers[2]["error"]["code"], json!(-32603), "{got}");
    let kept = [&answers[0], &answers[3]]
        .iter()
        .filter(|a| a.get("result").is_some())
        .count();
    assert_eq!(kept, 1, "{got}");
    for a in answers.iter().filter(|a| a.get("error").is_some()) {
        let data = a["error"]["data"].as_str().unwrap();
        assert!(
            data.contains("exceed the 4096-byte datagram limit"),
            "{data}"
        );
    }
    // A batch whose errors alone would not fit gets one error, id null.
    let many: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","method":"blob","params":[300],"id":{i}}}"#))
        .collect();
    let text = format!("[{}]", many.join(","));
    let got = raw.call_text(port, text.as_bytes()).expect("an answer");
    assert_eq!(got["id"], Value::Null, "{got}");
    assert_eq!(got["error"]["code"], json!(-32603), "{got}");
    server.stop().unwrap();
}
