//! Credentials from a sender in a PID namespace the receiver cannot see:
//! the kernel reports its pid as 0 on Unix sockets, which the server must
//! hold as 0 (not in a `NonZero`, which would be undefined behaviour), with
//! its uid intact.
//!
//! The server is this test binary run again by `unshare --pid --fork`
//! (util-linux; needs root or unprivileged user namespaces), as the ignored
//! test `child_serves_in_a_new_pid_namespace`, and the client this
//! process outside: without `unshare`, the tests fail under `CI=true` and
//! are skipped otherwise.

mod peer_common;

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use peer_common::*;
use procslink::peer::{
    CallError, Client, ClientOptions, Methods, Params, RpcError, Server, ServerHandle,
    ServerOptions, UnixAddr,
};
use serde_json::{Value, json};

/// The abstract name the child serves at, in its environment.
const SERVER_VAR: &str = "PROCSLINK_TEST_PIDNS_SERVER";
/// What the child serves: "unix", "jsoncomm" or "seqpacket" ([`Mode`]).
const MODE_VAR: &str = "PROCSLINK_TEST_PIDNS_MODE";

/// The transport of a test: ProcsLink over Unix datagrams, jsoncomm over
/// Unix datagrams, or jsoncomm over `SOCK_SEQPACKET` connections.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Unix,
    Jsoncomm,
    Seqpacket,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Unix => "unix",
            Mode::Jsoncomm => "jsoncomm",
            Mode::Seqpacket => "seqpacket",
        }
    }

    fn from_name(name: &str) -> Mode {
        [Mode::Unix, Mode::Jsoncomm, Mode::Seqpacket]
            .into_iter()
            .find(|m| m.name() == name)
            .unwrap_or(Mode::Unix)
    }
}

/// `whoami`: the caller's credentials as the server sees them, and how
/// many descriptors came with the request.
fn methods() -> Methods {
    let mut methods = Methods::new();
    methods.add("whoami", |p: Params| -> Result<Value, RpcError> {
        let c = p
            .credentials()
            .ok_or_else(|| RpcError::invalid_params("no credentials"))?;
        Ok(json!({"pid": c.pid, "uid": c.uid, "gid": c.gid, "fds": p.fds().len()}))
    });
    methods
}

fn client(mode: Mode, server: &UnixAddr) -> Client {
    let options = ClientOptions::new().timeout(Duration::from_secs(5));
    match mode {
        Mode::Unix => Client::unix_with(options).expect("client"),
        Mode::Jsoncomm => Client::jsoncomm_with(options).expect("client"),
        Mode::Seqpacket => Client::jsoncomm_seqpacket_with(server, options).expect("client"),
    }
}

/// A server with credentials on, in this namespace.
fn server(jsoncomm: bool) -> (UnixAddr, ServerHandle) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let addr = UnixAddr::abstract_name(format!(
        "procslink-test-pidns-local-{}-{n}",
        std::process::id()
    ));
    let options = ServerOptions::new().pass_credentials(true);
    let server = if jsoncomm {
        Server::bind_jsoncomm(addr.clone(), methods(), options)
    } else {
        Server::bind_unix(addr.clone(), methods(), options)
    };
    (addr, server.expect("bind").spawn().expect("spawn"))
}

/// The child test run in new PID namespaces serving at `name`; killed
/// when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server of [`child_serves_in_a_new_pid_namespace`] in new
/// PID namespaces (`None` when `unshare` cannot make them here), once it
/// serves.
fn start_child(name: &str, mode: Mode) -> Option<(Child, impl BufRead)> {
    let exe = std::env::current_exe().expect("current_exe");
    let spawned = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child", "--"])
        .arg(exe)
        .args([
            "--ignored",
            "--exact",
            "child_serves_in_a_new_pid_namespace",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(SERVER_VAR, name)
        .env(MODE_VAR, mode.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => Child(child),
        Err(e) => {
            missing(&format!("cannot run unshare: {e}"));
            return None;
        }
    };
    let mut lines = BufReader::new(child.0.stdout.take().expect("piped"));
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            let mut stderr = String::new();
            let _ = child
                .0
                .stderr
                .take()
                .map(|mut e| e.read_to_string(&mut stderr));
            missing(&format!(
                "unshare --pid cannot start the server: {}",
                stderr.trim()
            ));
            return None;
        }
        // libtest may have begun the line with the test's name.
        if line.trim_end().ends_with("PIDNS ready") {
            return Some((child, lines));
        }
    }
}

fn seen_from_another_pid_namespace(mode: Mode) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("procslink-test-pidns-{}-{n}", std::process::id());
    let Some((mut child, mut lines)) = start_child(&name, mode) else {
        return;
    };
    let addr = UnixAddr::abstract_name(&name);
    let me = client(mode, &addr);
    let seen = me.call(addr.clone(), "whoami", json!([])).unwrap();
    // This process is not visible in the server's PID namespace.
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    assert_eq!(seen, json!({"pid": 0, "uid": uid, "gid": gid, "fds": 0}));
    // Its descriptors are closed unread, and the request refused saying so.
    let (reader, _writer) = std::io::pipe().unwrap();
    let e = me
        .call_with_fds(addr, "whoami", json!([]), &[reader.as_fd()])
        .unwrap_err();
    let CallError::Rpc(e) = e else {
        panic!("{e:?}")
    };
    assert_eq!(e.code.0, -32600, "{e:?}");
    let data = e.data.as_ref().and_then(Value::as_str).unwrap_or_default();
    assert!(data.contains("ancillary data"), "{e:?}");
    drop(child.0.stdin.take());
    let mut line = String::new();
    lines.read_line(&mut line).unwrap();
    let stats = line
        .split_once("PIDNS ")
        .and_then(|(_, json)| serde_json::from_str::<Value>(json.trim()).ok());
    let stats = stats.unwrap_or(Value::Null);
    assert_eq!(stats, json!({"served": 1, "malformed": 1}), "{line}");
}

#[test]
fn a_sender_in_a_pid_namespace_the_server_cannot_see_has_pid_0_on_unix_datagrams() {
    seen_from_another_pid_namespace(Mode::Unix);
}

#[test]
fn a_sender_in_a_pid_namespace_the_server_cannot_see_has_pid_0_on_jsoncomm() {
    seen_from_another_pid_namespace(Mode::Jsoncomm);
}

/// On a connection the messages come without an address, which the
/// server must not need to read them.
#[test]
fn a_sender_in_a_pid_namespace_the_server_cannot_see_has_pid_0_on_seqpacket() {
    seen_from_another_pid_namespace(Mode::Seqpacket);
}

#[test]
fn a_visible_sender_has_its_pid_and_passes_descriptors_with_credentials_on() {
    for jsoncomm in [false, true] {
        let mode = if jsoncomm { Mode::Jsoncomm } else { Mode::Unix };
        let (addr, server) = server(jsoncomm);
        let (reader, _writer) = std::io::pipe().unwrap();
        let (seen, _) = client(mode, &addr)
            .call_with_fds(addr, "whoami", json!([]), &[reader.as_fd()])
            .unwrap();
        assert_eq!(seen["pid"], json!(std::process::id()));
        assert_eq!(seen["fds"], json!(1));
        assert_eq!(server.stop().unwrap().served, 1);
    }
}

/// The server's side, run by the tests above in new PID namespaces:
/// serves until its standard input closes (or a minute has passed), then
/// prints its counters.
#[test]
#[ignore = "run by the tests above under unshare --pid"]
fn child_serves_in_a_new_pid_namespace() {
    let name = std::env::var(SERVER_VAR).expect("run by the tests above");
    let mode = Mode::from_name(&std::env::var(MODE_VAR).unwrap_or_default());
    let options = ServerOptions::new().pass_credentials(true);
    let addr = UnixAddr::abstract_name(name);
    let stop: Box<dyn FnOnce() -> (u64, u64)> = match mode {
        Mode::Seqpacket => {
            let server = Server::bind_jsoncomm_seqpacket(addr, methods(), options)
                .expect("bind")
                .spawn()
                .expect("spawn");
            Box::new(move || {
                let stats = server.stop().expect("stop");
                (stats.served, stats.malformed)
            })
        }
        Mode::Unix | Mode::Jsoncomm => {
            let server = if mode == Mode::Jsoncomm {
                Server::bind_jsoncomm(addr, methods(), options)
            } else {
                Server::bind_unix(addr, methods(), options)
            };
            let server = server.expect("bind").spawn().expect("spawn");
            Box::new(move || {
                let stats = server.stop().expect("stop");
                (stats.served, stats.malformed)
            })
        }
    };
    println!("PIDNS ready");
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = done.send(());
    });
    let _ = wait.recv_timeout(Duration::from_secs(60));
    let (served, malformed) = stop();
    println!(
        "PIDNS {}",
        json!({"served": served, "malformed": malformed})
    );
}
