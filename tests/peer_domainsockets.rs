//! The domainsockets peer against the real Go package (golib v1.0.2,
//! built by `scripts/references/domainsockets.sh` into
//! `target/references/domainsockets/`): the Go client calls the crate's
//! server, the crate's client calls the Go server; the captures of the
//! real traffic decode and re-encode byte for byte; bad input to the
//! server. Without the Go tools the interop tests are skipped with a
//! notice (a failure under `CI=true`).
#![cfg(feature = "std")]

mod peer_common;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use peer_common::references::tool;
use peer_common::socket_dir::SocketDir;
use peer_common::{root, spawn_retrying};
use procslink::framing::Framing;
use procslink::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, ServerFrame, ServerFraming, ServerKind,
};
use procslink::peer::CallError;
use procslink::peer::domainsockets::{
    Client, ClientOptions, Server, ServerHandle, ServerOptions, demo_methods,
};
use serde_json::json;

const HOW: &str = "run scripts/references/domainsockets.sh";

fn go_tool(name: &str) -> Option<PathBuf> {
    tool(&format!("domainsockets/{name}"), HOW)
}

/// The Go server (`ds-server NAME`, serving `echo`), killed when dropped.
struct GoServer(Child);

impl GoServer {
    fn start(dir: &Path, name: &str) -> Option<GoServer> {
        let binary = go_tool("ds-server")?;
        let mut child = spawn_retrying(
            Command::new(binary)
                .arg(name)
                .env("TMPDIR", dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .expect("start ds-server");
        let stdout = child.stdout.take().expect("ds-server's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            for _ in lines {} // keep the pipe drained
        });
        let server = GoServer(child);
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(Ok(line))) if line == "ready" => Some(server),
            other => panic!("ds-server did not get ready: {other:?}"),
        }
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `ds-client NAME ARGS...` (each argument one `echo` call), killed
/// after 30 s.
fn go_client(dir: &Path, name: &str, args: &[&str]) -> Option<Output> {
    let binary = go_tool("ds-client")?;
    let mut child = spawn_retrying(
        Command::new(binary)
            .arg(name)
            .args(args)
            .env("TMPDIR", dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .expect("start ds-client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait for ds-client").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(child.wait_with_output().expect("ds-client's output"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn serve(dir: &Path, name: &str) -> ServerHandle {
    Server::bind(name, demo_methods(), ServerOptions::new().dir(dir))
        .expect("bind the server")
        .spawn()
        .expect("spawn the server")
}

fn connect(dir: &Path, name: &str) -> Client {
    Client::connect(name, ClientOptions::new().dir(dir)).expect("connect")
}

const NESTED: &str = r#"{"k":[1,"é",{"n":null,"t":true}],"z":-2.5}"#;

#[test]
fn go_client_gets_from_our_server_what_the_go_server_answers() {
    let dir = SocketDir::new();
    let Some(_go) = GoServer::start(dir.path(), "go") else {
        return;
    };
    let ours = serve(dir.path(), "ours");
    let big = "x".repeat(4000);
    let args = ["héllo wörld ✓", "42", NESTED, "[5]", "true", big.as_str()];
    let from_go = go_client(dir.path(), "go", &args).unwrap();
    let from_ours = go_client(dir.path(), "ours", &args).unwrap();
    assert!(from_go.status.success(), "{}", stdout(&from_go));
    assert!(from_ours.status.success(), "{}", stdout(&from_ours));
    assert_eq!(stdout(&from_ours), stdout(&from_go));
    let text = stdout(&from_ours);
    assert!(
        text.contains(r#"id=0 type=1 data="HÉLLO WÖRLD ✓""#),
        "{text}"
    );
    assert!(text.contains(r#"id=1 type=1 data="42""#), "{text}");
    assert!(
        text.contains(r#"id=2 type=1 data="{\"K\":[1,\"É\",{\"N\":NULL,\"T\":TRUE}],\"Z\":-2.5}""#),
        "{text}"
    );
    let stats = ours.stop();
    assert_eq!((stats.sessions, stats.calls, stats.errors), (1, 6, 0));
}

#[test]
fn the_crate_demo_methods_answer_our_client_and_the_go_client() {
    let dir = SocketDir::new();
    let ours = serve(dir.path(), "demo");
    let client = connect(dir.path(), "demo");
    assert_eq!(
        client.call("hello", json!("é")).unwrap(),
        json!("Hello, é!")
    );
    assert_eq!(
        client.call("add", json!({"a": 2, "b": 40})).unwrap(),
        json!(42)
    );
    assert_eq!(client.call_typed::<_, f64>("add", &(0.5, 2)).unwrap(), 2.5);
    let err = client.call("add", json!([1, "x"])).unwrap_err();
    let rpc = err.rpc().expect("an error frame");
    assert_eq!(rpc.code.0, -32602);
    assert_eq!(rpc.data, Some(json!("add takes two numbers")));
    drop(client);
    // ds-client always calls `echo`. Empty data is no params: the echo of
    // nothing is empty, as from the Go server.
    if let Some(out) = go_client(dir.path(), "demo", &[""]) {
        assert!(out.status.success());
        assert!(stdout(&out).ends_with("data=\"\"\n"), "{}", stdout(&out));
    }
    ours.stop();
}

#[test]
fn go_client_over_the_datagram_limit_gets_an_error_frame_from_our_server() {
    let dir = SocketDir::new();
    let ours = serve(dir.path(), "big");
    let big = "y".repeat(5000);
    let Some(out) = go_client(dir.path(), "big", &[&big, "after"]) else {
        return;
    };
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("id=0 type=0 data=\"call 0 dropped: a datagram of more than 4096 bytes"),
        "{text}"
    );
    // The stream goes on with the next call.
    assert!(text.contains(r#"id=1 type=1 data="AFTER""#), "{text}");
    let stats = ours.stop();
    assert_eq!((stats.oversized, stats.calls), (1, 1));
}

#[test]
fn our_client_calls_the_go_server() {
    let dir = SocketDir::new();
    let Some(_go) = GoServer::start(dir.path(), "go") else {
        return;
    };
    let client = Client::connect(
        "go",
        ClientOptions::new()
            .dir(dir.path())
            .timeout(Duration::from_secs(1)),
    )
    .expect("connect to ds-server");
    assert_eq!(
        client.call_bytes("echo", "héllo ✓".as_bytes()).unwrap(),
        "HÉLLO ✓".as_bytes()
    );
    assert_eq!(client.call("echo", json!("wörld")).unwrap(), json!("WÖRLD"));
    assert_eq!(client.call("echo", json!(42)).unwrap(), json!(42));
    assert_eq!(client.call("echo", json!(-2.5e3)).unwrap(), json!(-2.5e3));
    let nested: serde_json::Value = serde_json::from_str(NESTED).unwrap();
    assert_eq!(
        client.call("echo", nested).unwrap(),
        json!("{\"K\":[1,\"É\",{\"N\":NULL,\"T\":TRUE}],\"Z\":-2.5}")
    );
    assert_eq!(
        client.call("echo", json!({"k": ["é"]})).unwrap(),
        json!({"K": ["É"]})
    );
    // The Go server does not answer an unknown handler.
    let err = client.call("nope", json!("x")).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(client.call("echo", json!("still")).unwrap(), json!("STILL"));
    client.keep_alive().expect("a keep-alive");
    assert_eq!(client.call("echo", json!("alive")).unwrap(), json!("ALIVE"));
}

#[test]
fn our_client_keeps_to_the_go_servers_datagram_limit() {
    let dir = SocketDir::new();
    let Some(_go) = GoServer::start(dir.path(), "go") else {
        return;
    };
    let client = connect(dir.path(), "go");
    // echo + 4085 bytes is a frame of 4096 bytes: the largest one.
    let fits = "z".repeat(4085);
    let reply = client.call_bytes("echo", fits.as_bytes()).unwrap();
    assert_eq!(reply, fits.to_uppercase().as_bytes());
    let over = "z".repeat(4086);
    match client.call_bytes("echo", over.as_bytes()) {
        Err(CallError::Protocol(why)) => {
            assert!(why.contains("4097 bytes, over the limit of 4096"), "{why}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(client.stats().calls, 1, "the oversized call was not sent");
    // With the limit raised the frame is sent, and the Go server loses it.
    let raised = Client::connect(
        "go",
        ClientOptions::new()
            .dir(dir.path())
            .max_datagram(8192)
            .timeout(Duration::from_millis(1500)),
    )
    .unwrap();
    let err = raised.call_bytes("echo", over.as_bytes()).unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[test]
fn our_client_and_server_report_errors_and_limits() {
    let dir = SocketDir::new();
    let server = Server::bind(
        "limits",
        demo_methods(),
        ServerOptions::new().dir(dir.path()),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let client = Client::connect(
        "limits",
        ClientOptions::new().dir(dir.path()).max_datagram(16384),
    )
    .unwrap();
    let err = client.call("nope", json!(null)).unwrap_err();
    assert_eq!(err.rpc().unwrap().code.0, -32601);
    assert_eq!(err.rpc().unwrap().message, "Method not found");
    // A result over the server's 4096-byte limit becomes an error frame.
    let err = client.call_bytes("echo", &[b'q'; 4500]).unwrap_err();
    assert!(
        err.to_string()
            .contains("dropped: a datagram of more than 4096"),
        "{err}"
    );
    // hello + 4084 bytes is a call of 4096 bytes, and a reply of 4098.
    let err = client.call_bytes("hello", &[b'q'; 4084]).unwrap_err();
    let rpc = err.rpc().unwrap();
    assert_eq!(rpc.code.0, -32603);
    assert!(
        rpc.data
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .contains("over the limit of 4096"),
        "{rpc}"
    );
    let err = client.call_bytes("echo", b"\xff\xfe").unwrap_err();
    assert_eq!(err.rpc().unwrap().code.0, -32602);
    // Served in order: the keep-alive is counted before the call is answered.
    client.keep_alive().unwrap();
    assert_eq!(client.call("echo", json!("ok")).unwrap(), json!("OK"));
    drop(client);
    let stats = server.stop();
    assert_eq!(stats.keep_alives, 1);
    assert_eq!(stats.oversized, 1);
    assert_eq!(stats.errors, 4);
}

#[test]
fn no_server_and_silent_server_are_clear_errors() {
    let dir = SocketDir::new();
    let err = Client::connect("absent", ClientOptions::new().dir(dir.path()))
        .err()
        .expect("no server");
    assert!(
        err.to_string().contains("no domainsockets server at"),
        "{err}"
    );
    let _silent = UnixDatagram::bind(dir.path().join("silent")).unwrap();
    let options = ClientOptions::new()
        .dir(dir.path())
        .setup_timeout(Duration::from_millis(200));
    let err = Client::connect("silent", options).err().expect("no answer");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    // Only the setup socket is left: the clients removed theirs.
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, 1);
}

#[test]
fn a_setup_answer_that_is_not_an_id_is_refused() {
    let dir = SocketDir::new();
    let setup = UnixDatagram::bind(dir.path().join("liar")).unwrap();
    let answering = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let n = setup.recv(&mut buf).unwrap();
        let client = std::str::from_utf8(&buf[..n]).unwrap().to_owned();
        (setup, client)
    });
    let dir_path = dir.path().to_owned();
    let connecting = std::thread::spawn(move || {
        Client::connect("liar", ClientOptions::new().dir(dir_path)).err()
    });
    let (setup, client_id) = answering.join().unwrap();
    setup
        .send_to(b"not-an-id", dir.path().join(client_id))
        .unwrap();
    let err = connecting.join().unwrap().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("not a 36-byte UUID text"), "{err}");
}

// ------------------------------------------------------------- captures

fn capture(direction: &str) -> Vec<u8> {
    let path = root().join(format!(
        "tests/data/seed-systems/domainsockets-1.0.2.{direction}.bin"
    ));
    std::fs::read(path).expect("the capture")
}

#[test]
fn captured_calls_decode_across_their_two_datagrams_and_reencode() {
    let wire = capture("client-to-server");
    // The Go client sent each call as its header, then its data: feed the
    // decoder those datagrams (cut where each header ends).
    let cuts = [0, 9, 14, 31, wire.len()];
    let mut buf = [0u8; 64];
    let mut decoder = ClientFraming.decoder(&mut buf, 64).unwrap();
    let mut frames = Vec::new();
    for datagram in cuts.windows(2) {
        decoder.feed(&wire[datagram[0]..datagram[1]]).unwrap();
        while let Some(frame) = decoder.next_frame() {
            let frame = frame.unwrap();
            frames.push((
                frame.id,
                frame.kind,
                frame.handler.to_vec(),
                frame.data.to_vec(),
            ));
        }
    }
    decoder.finish().unwrap();
    assert_eq!(
        frames,
        [
            (0, ClientKind::Data, b"echo".to_vec(), b"hello".to_vec()),
            (
                1,
                ClientKind::Data,
                b"echo".to_vec(),
                "second call é".as_bytes().to_vec()
            ),
        ]
    );
    let mut again = Vec::new();
    for (id, kind, handler, data) in &frames {
        let frame = ClientFrame {
            id: *id,
            kind: *kind,
            handler,
            data,
        };
        let mut out = vec![0u8; frame.encoded_len()];
        frame.encode(&mut out).unwrap();
        again.extend(out);
    }
    assert_eq!(again, wire);
}

#[test]
fn captured_replies_decode_one_per_datagram_and_reencode() {
    let wire = capture("server-to-client");
    let mut again = Vec::new();
    let mut seen = Vec::new();
    for frame in ServerFraming.frames(&wire, 4096) {
        let frame = frame.unwrap();
        seen.push((frame.id, frame.kind, frame.data_str().unwrap().to_owned()));
        let mut out = vec![0u8; frame.encoded_len()];
        ServerFrame { ..frame }.encode(&mut out).unwrap();
        again.extend(out);
    }
    assert_eq!(
        seen,
        [
            (0, ServerKind::Data, "HELLO".to_owned()),
            (1, ServerKind::Data, "SECOND CALL É".to_owned()),
        ]
    );
    assert_eq!(again, wire);
}

#[test]
fn an_idle_client_sends_keep_alives_and_threads_share_a_client() {
    let dir = SocketDir::new();
    let server = serve(dir.path(), "alive");
    let client = Client::connect(
        "alive",
        ClientOptions::new()
            .dir(dir.path())
            .keep_alive(Some(Duration::from_millis(50))),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    std::thread::scope(|s| {
        for t in 0..4 {
            let client = &client;
            s.spawn(move || {
                for n in 0..50 {
                    let word = format!("t{t}n{n}é");
                    let got = client.call("echo", json!(word)).unwrap();
                    assert_eq!(got, json!(word.to_uppercase()));
                }
            });
        }
    });
    let sent = client.stats().keep_alives;
    assert!(sent >= 3, "{sent} keep-alives");
    assert_eq!(client.stats().calls, 200);
    drop(client);
    let stats = server.stop();
    assert_eq!(stats.calls, 200);
    assert!(stats.keep_alives >= 3, "{stats:?}");
}
