//! Bad input to the EZ-IPC peer: frames that are cut off, too long, not
//! Base85, not JSON, not sealed with the session's keys, a key exchange
//! that is wrong, a handler that panics, a server that answers garbage.
//! Each gives a clear error, nothing panics, and the server goes on
//! serving (the same connection where the stream allows it, and others).
#![cfg(feature = "std")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use procslink::framing::base85;
use procslink::peer::ezipc::{EzIpcClient, EzIpcOptions, EzIpcServer, EzIpcServerHandle, Profile};
use procslink::peer::{CallError, Methods, Params, RpcError, demo};
use serde_json::{Value, json};

fn server(options: EzIpcOptions) -> (EzIpcServerHandle, SocketAddr) {
    let mut methods = demo::methods();
    methods.add("boom", |_: Params| -> Result<Value, RpcError> {
        panic!("boom on purpose")
    });
    let handle = EzIpcServer::bind_tcp("127.0.0.1:0", methods, options)
        .expect("bind")
        .spawn()
        .expect("spawn");
    let addr = handle.tcp_addr().expect("tcp");
    (handle, addr)
}

fn armor(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; base85::encoded_len(bytes.len())];
    let n = base85::encode(bytes, &mut out).unwrap();
    out.truncate(n);
    out
}

fn unarmor(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; base85::decoded_len(text.len())];
    let n = base85::decode(text, &mut out).expect("the server writes Base85");
    out.truncate(n);
    out
}

/// A connection speaking frames by hand.
struct Raw {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Raw {
            stream,
            pending: Vec::new(),
        }
    }

    fn send_text(&mut self, text: &[u8]) {
        self.stream.write_all(text).unwrap();
        self.stream.write_all(b"\n\n\n\n\n").unwrap();
    }

    fn send_json(&mut self, json: &Value) {
        self.send_text(&armor(json.to_string().as_bytes()));
    }

    /// The next frame's text.
    fn frame(&mut self) -> Vec<u8> {
        loop {
            if let Some(at) = self.pending.windows(5).position(|w| w == b"\n\n\n\n\n") {
                let text = self.pending[..at].to_vec();
                self.pending.drain(..at + 5);
                return text;
            }
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).expect("an answer in time");
            assert!(n > 0, "the server closed the connection");
            self.pending.extend_from_slice(&buf[..n]);
        }
    }

    /// The next answer: a batch of one, as JSON.
    fn answer(&mut self) -> Value {
        let frame = self.frame();
        let batch: Value = serde_json::from_slice(&unarmor(&frame)).expect("JSON");
        let [one] = batch.as_array().expect("a batch").as_slice() else {
            panic!("one answer: {batch}");
        };
        one.clone()
    }

    fn call(&mut self, id: &str, method: &str, params: Value) -> Value {
        self.send_json(&json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}));
        let answer = self.answer();
        assert_eq!(answer["id"], json!(id), "{answer}");
        answer
    }
}

fn error_of(answer: &Value) -> (i64, String, String) {
    let e = &answer["error"];
    (
        e["code"].as_i64().expect("an error"),
        e["message"].as_str().unwrap_or_default().to_string(),
        e["data"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn bad_frames_are_answered_and_the_connection_goes_on() {
    let (server, addr) = server(EzIpcOptions::new().max_frame(256));
    let mut raw = Raw::connect(addr);
    assert_eq!(raw.call("a", "add", json!([2, 40]))["result"], json!(42));

    // Not Base85 (the reference's words, with the byte).
    raw.send_text(b"{\"jsonrpc\": \"2.0\"}");
    let (code, message, data) = error_of(&raw.answer());
    assert_eq!((code, message.as_str()), (-32700, "Parse error"));
    assert_eq!(data, "bad base85 character 0x22 at position 1");
    // A group over 32 bits.
    raw.send_text(b"~~~~~");
    let (code, _, data) = error_of(&raw.answer());
    assert_eq!(
        (code, data.as_str()),
        (-32700, "base85 overflow in hunk starting at byte 0")
    );
    // Base85, but not JSON; JSON, but not JSON-RPC.
    raw.send_text(&armor(b"nope"));
    assert_eq!(error_of(&raw.answer()).0, -32700);
    raw.send_json(&json!({"jsonrpc": "2.0", "id": "x"}));
    assert_eq!(error_of(&raw.answer()).0, -32600);
    // Longer than the limit: refused before it is all read, then skipped.
    raw.send_text(&[b'0'; 1000]);
    let (code, _, data) = error_of(&raw.answer());
    assert_eq!(
        (code, data.as_str()),
        (-32600, "frame longer than the 256-byte limit")
    );
    // A handler that panics; a key exchange this server does not do; a
    // confirmation without an exchange.
    let (code, _, data) = error_of(&raw.call("b", "boom", json!([])));
    assert_eq!(
        (code, data.as_str()),
        (-32603, "handler panicked: boom on purpose")
    );
    let declined = raw.call("c", "RSA.EXCH", json!(["00", "11"]));
    assert_eq!(
        declined["result"],
        json!([null, null]),
        "no keys: {declined}"
    );
    let (code, message, _) = error_of(&raw.call("d", "RSA.CONF", json!([true])));
    assert_eq!((code, message.as_str()), (1, "Cannot Activate"));
    // And the connection still serves.
    assert_eq!(
        raw.call("e", "echo", json!(["\u{e9}"]))["result"],
        json!("\u{e9}")
    );
    let stats = server.stop();
    assert_eq!((stats.bad_frames, stats.panics), (5, 1), "{stats:?}");
}

#[test]
fn a_cut_off_frame_ends_only_its_own_connection() {
    let (server, addr) = server(EzIpcOptions::new());
    let mut good = Raw::connect(addr);
    assert_eq!(good.call("1", "add", json!([1, 2]))["result"], json!(3));
    {
        let mut cut = Raw::connect(addr);
        let frame = armor(br#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"z"}"#);
        cut.stream.write_all(&frame[..frame.len() / 2]).unwrap();
        cut.stream.write_all(b"\n\n").unwrap();
    } // closed mid-frame
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stats().bad_frames < 1 {
        assert!(Instant::now() < deadline, "the cut frame is counted");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(good.call("2", "add", json!([3, 4]))["result"], json!(7));
    let stats = server.stop();
    assert_eq!((stats.connections, stats.bad_frames), (2, 1));
}

#[test]
fn a_raw_json_server_reads_raw_json() {
    let (server, addr) = server(EzIpcOptions::new().profile(Profile::Raw));
    let mut raw = Raw::connect(addr);
    raw.send_text(br#"{"jsonrpc":"2.0","method":"add","params":[2,40],"id":"r"}"#);
    let answer: Value = serde_json::from_slice(&raw.frame()).unwrap();
    // A single object, not a batch, for the older client.
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": "r", "result": 42}));
    raw.send_text(br#"{"jsonrpc":"2.0","method":"nope","id":"s"}"#);
    let answer: Value = serde_json::from_slice(&raw.frame()).unwrap();
    // The older client reads `data` from every error.
    assert_eq!(
        answer["error"],
        json!({"code": -32601, "message": "Method not found", "data": null})
    );
    server.stop();
}

#[test]
fn our_client_and_server_over_a_unix_stream() {
    let path = std::env::temp_dir().join(format!("procslink-ezipc-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = EzIpcServer::bind_unix(&path, demo::methods(), EzIpcOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let client = EzIpcClient::connect_unix(&path, EzIpcOptions::new()).unwrap();
    assert_eq!(client.call_typed::<_, i64>("add", &(2, 40)).unwrap(), 42);
    let nested = json!({"k": ["\u{e9}t\u{e9}", {"n": null}, 1.5]});
    assert_eq!(client.call("echo", json!([nested])).unwrap(), nested);
    client.notify("echo", json!(["x"])).unwrap();
    let err = client.call("nope", Value::Null).unwrap_err();
    assert_eq!(err.rpc().map(|e| e.code.0), Some(-32601));
    client.close("done").unwrap();
    let stats = server.stop();
    assert!(!path.exists(), "the socket file is removed");
    assert_eq!(stats.connections, 1);
}

/// A fake server that answers the setup with `reply` (a frame's text).
fn fake_server(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(reply);
        let _ = s.write_all(b"\n\n\n\n\n");
        std::thread::sleep(Duration::from_millis(500));
    });
    addr
}

#[test]
fn a_client_reports_what_a_bad_server_sends() {
    let options = EzIpcOptions::new().timeout(Duration::from_secs(3));
    let err = EzIpcClient::connect_tcp(fake_server(b"\"garbage"), options.clone()).unwrap_err();
    let CallError::InvalidReply(text) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        text,
        "undecodable frame: bad base85 character 0x22 at position 0"
    );
    let err = EzIpcClient::connect_tcp(fake_server(b"VPa!sWo~"), options.clone()).unwrap_err();
    assert!(
        matches!(&err, CallError::InvalidReply(t) if t.starts_with("answer is not JSON-RPC")),
        "{err:?}"
    );
    // A server that closes at once.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || drop(listener.accept()));
    let err = EzIpcClient::connect_tcp(addr, options.clone()).unwrap_err();
    assert!(
        matches!(&err, CallError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionAborted),
        "{err:?}"
    );
    // Encryption on the raw profile is refused before connecting further.
    let (server, addr) = server(EzIpcOptions::new());
    let err =
        EzIpcClient::connect_tcp(addr, options.profile(Profile::Raw).encrypt(true)).unwrap_err();
    assert!(matches!(err, CallError::Protocol(_)), "{err:?}");
    server.stop();
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let options = EzIpcOptions::new()
        .max_connections(1)
        .idle_timeout(Some(Duration::from_millis(200)));
    let (server, addr) = server(options);
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    // The server closes it: end of stream, not our own timeout.
    assert_eq!(idle.read(&mut buf).unwrap(), 0);
    let client = EzIpcClient::connect_tcp(addr, EzIpcOptions::new()).unwrap();
    assert_eq!(client.call("add", json!([1, 1])).unwrap(), json!(2));
    drop(client);
    server.stop();
}

#[test]
fn a_full_server_refuses_more_connections() {
    let (server, addr) = server(EzIpcOptions::new().max_connections(1));
    let first = EzIpcClient::connect_tcp(addr, EzIpcOptions::new()).unwrap();
    let second =
        EzIpcClient::connect_tcp(addr, EzIpcOptions::new().timeout(Duration::from_secs(2)));
    assert!(second.is_err());
    assert_eq!(first.call("add", json!([1, 1])).unwrap(), json!(2));
    drop(first);
    let stats = server.stop();
    assert_eq!(stats.refused, 1);
}

/// Serving one stream handed over already connected.
#[test]
fn one_stream_served_on_the_callers_thread() {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let serving = std::thread::spawn(move || {
        EzIpcServer::serve_unix_stream(theirs, Methods::new(), EzIpcOptions::new())
    });
    let mut ours = ours;
    let req = armor(br#"{"jsonrpc":"2.0","method":"ETC.INIT","params":[],"id":"000/000001"}"#);
    ours.write_all(&req).unwrap();
    ours.write_all(b"\n\n\n\n\n").unwrap();
    let term = armor(br#"{"jsonrpc":"2.0","method":"TERM","params":{"reason":"bye"}}"#);
    ours.write_all(&term).unwrap();
    ours.write_all(b"\n\n\n\n\n").unwrap();
    let stats = serving.join().unwrap();
    let mut answer = Vec::new();
    ours.read_to_end(&mut answer).unwrap();
    let text = &answer[..answer.len() - 5];
    let batch: Value = serde_json::from_slice(&unarmor(text)).unwrap();
    assert_eq!(batch[0]["result"]["id"], json!("000"));
    assert_eq!(stats.served, 2);
}

/// Sealed frames that do not open: the answer is sealed too (the server
/// cannot know the sender has no key), and the connection goes on.
#[cfg(feature = "ezipc-nacl")]
#[test]
fn ciphertexts_that_do_not_open_and_bad_keys() {
    use procslink::peer::ezipc::SEAL_OVERHEAD;
    let (server, addr) = server(EzIpcOptions::new().encrypt(true));
    let mut raw = Raw::connect(addr);
    // Keys that are not 32 bytes of hex.
    let (code, _, data) = error_of(&raw.call("k", "RSA.EXCH", json!(["00", "11"])));
    assert_eq!(code, -32602);
    assert!(
        data.contains("public key \"00\" is not 32 bytes in hex"),
        "{data}"
    );
    // A key exchange with keys whose secrets nobody holds (a verify key
    // PyNaCl made, from the capture).
    let verify = "75208d28c34ea36403f24d837a4c2cf4468a2d54f5f1decd0dd21eeceb2b7baf";
    let theirs = raw.call("x", "RSA.EXCH", json!(["11".repeat(32), verify]));
    let keys: Vec<String> = serde_json::from_value(theirs["result"].clone()).unwrap();
    assert!(keys.len() == 2 && keys.iter().all(|k| k.len() == 64));
    assert_eq!(
        raw.call("c", "RSA.CONF", json!([true]))["result"],
        json!([true])
    );
    for garbage in [&[7u8; 150][..], &[1u8; 10][..], &[][..]] {
        raw.send_text(&armor(garbage));
        let sealed = unarmor(&raw.frame());
        assert!(sealed.len() > SEAL_OVERHEAD, "a sealed answer");
        assert!(serde_json::from_slice::<Value>(&sealed).is_err());
    }
    let stats = server.stop();
    assert_eq!(stats.bad_frames, 3, "{stats:?}");
}

#[cfg(feature = "ezipc-nacl")]
#[test]
fn our_encrypted_client_and_server() {
    let (sealing, addr) = server(EzIpcOptions::new().encrypt(true));
    let client = EzIpcClient::connect_tcp(addr, EzIpcOptions::new().encrypt(true)).unwrap();
    assert!(client.is_encrypted());
    assert_eq!(
        client.call("echo", json!(["\u{e9}t\u{e9}"])).unwrap(),
        json!("\u{e9}t\u{e9}")
    );
    client.close("done").unwrap();
    // A server without encryption declines the exchange, and the client
    // says so.
    let (plain, addr) = server(EzIpcOptions::new());
    let err = EzIpcClient::connect_tcp(addr, EzIpcOptions::new().encrypt(true)).unwrap_err();
    assert!(
        matches!(&err, CallError::Protocol(t) if t.contains("declined encryption")),
        "{err:?}"
    );
    plain.stop();
    assert_eq!(sealing.stop().bad_frames, 0);
}
