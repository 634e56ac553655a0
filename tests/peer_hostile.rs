//! Fairness under abuse: a sender that never reads and sends junk, a
//! denied sender, a flood of slow requests (each from a process running as
//! uid 65534, over netlink and over Unix datagrams), stale requests, and
//! handlers that never return. Meanwhile another client's calls keep
//! succeeding within their normal timeout.
#![cfg(feature = "std")]

mod peer_common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use peer_common::*;

/// [`spawn_retrying`] as a method.
trait SpawnRetrying {
    fn spawn_retrying(&mut self) -> std::io::Result<Child>;
}

impl SpawnRetrying for Command {
    fn spawn_retrying(&mut self) -> std::io::Result<Child> {
        spawn_retrying(self)
    }
}
use procslink::peer::{
    Address, Client, ClientOptions, Methods, NetlinkSocket, Params, RpcError, Server, ServerHandle,
    ServerOptions, SocketOptions, UnixAddr, UnixDatagram, demo,
};
use serde_json::{Value, json};

const ROLE: &str = "PROCSLINK_HOSTILE_ROLE";
const PORT: &str = "PROCSLINK_HOSTILE_PORT";
/// The abstract name of a Unix server, for a hostile child (instead of
/// [`PORT`]).
const UNIX_NAME: &str = "PROCSLINK_HOSTILE_UNIX_NAME";
/// How long a hostile child keeps at it.
const ABUSE: Duration = Duration::from_secs(3);

fn methods() -> Methods {
    let mut m = demo::methods();
    m.add("slow", |_: Params| -> Result<Value, RpcError> {
        std::thread::sleep(Duration::from_millis(300));
        Ok(Value::Null)
    });
    m.add("forever", |_: Params| -> Result<Value, RpcError> {
        loop {
            std::thread::park();
        }
    });
    m
}

fn serve(options: ServerOptions) -> ServerHandle {
    Server::bind_netlink(methods(), options)
        .unwrap()
        .spawn()
        .unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Netlink,
    Unix,
}

/// A server on `transport` and its address. A Unix server gets a unique
/// abstract name, which any uid may send to (a path would be guarded by
/// its file permissions, which is not what these tests are about).
fn serve_on(transport: Transport, options: ServerOptions) -> (ServerHandle, Address) {
    match transport {
        Transport::Netlink => {
            let server = serve(options);
            let port = server.port().unwrap();
            (server, Address::Netlink(port))
        }
        Transport::Unix => {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name =
                UnixAddr::abstract_name(format!("procslink-hostile-{}-{n}", std::process::id()));
            let server = Server::bind_unix(name.clone(), methods(), options)
                .unwrap()
                .spawn()
                .unwrap();
            (server, Address::Unix(name))
        }
    }
}

/// The hostile child's socket, of the server's transport.
enum Sender {
    Netlink(NetlinkSocket),
    Unix(UnixDatagram),
}

impl Sender {
    fn open(to: &Address) -> Sender {
        match to {
            Address::Netlink(_) => Sender::Netlink(NetlinkSocket::open().expect("socket")),
            Address::Unix(_) => {
                Sender::Unix(UnixDatagram::bind(&UnixAddr::Unnamed).expect("socket"))
            }
            other => panic!("no hostile sender for {other}"),
        }
    }

    /// What the sender writes in `nlmsg_pid`: its port on netlink, its
    /// process id on Unix (as the library's client does).
    fn me(&self) -> u32 {
        match self {
            Sender::Netlink(s) => s.port(),
            Sender::Unix(_) => std::process::id(),
        }
    }

    fn send(&self, to: &Address, bytes: &[u8]) -> std::io::Result<()> {
        match (self, to) {
            (Sender::Netlink(s), Address::Netlink(port)) => s.send_to(*port, bytes),
            (Sender::Unix(s), Address::Unix(name)) => s.send_to(name, bytes, &[]),
            _ => panic!("a sender of another transport than {to}"),
        }
    }

    fn set_send_timeout(&self, timeout: Duration) {
        match self {
            Sender::Netlink(s) => s.set_send_timeout(Some(timeout)).unwrap(),
            Sender::Unix(s) => s.set_send_timeout(Some(timeout)).unwrap(),
        }
    }
}

/// Child mode: one hostile sender, by role, for [`ABUSE`]; never reads.
fn hostile(role: &str, to: &Address) {
    let socket = Sender::open(to);
    socket.set_send_timeout(Duration::from_millis(50));
    let me = socket.me();
    let started = Instant::now();
    let mut sent = 0u64;
    let mut n = 0u64;
    while started.elapsed() < ABUSE {
        n += 1;
        let text = match role {
            "nonreader" => format!(
                r#"{{"jsonrpc": "2.0", "method": "echo", "id": {n}, "params": ["{}"]}}"#,
                "x".repeat(3000)
            ),
            "denied" => format!(
                r#"{{"jsonrpc": "2.0", "method": "hello", "id": {n}, "params": ["intruder"]}}"#
            ),
            "slow" => format!(r#"{{"jsonrpc": "2.0", "method": "slow", "id": {n}}}"#),
            other => panic!("unknown role {other}"),
        };
        if socket
            .send(to, &request_datagram(me, text.as_bytes()))
            .is_ok()
        {
            sent += 1;
        }
        if role == "nonreader" {
            // Junk: truncated headers, a forged pid, text that is not JSON.
            let mut junk = request_datagram(me, b"{\"jsonrpc\": ");
            let _ = socket.send(to, &junk);
            junk.truncate(20);
            let _ = socket.send(to, &junk);
            let _ = socket.send(to, &request_datagram(me ^ 1, b"{}"));
        }
    }
    println!("HOSTILE-SENT {sent}");
}

/// Starts this test binary as uid 65534 in `role` against `to`; `None`
/// (or a failure under CI) when that is impossible here.
fn start_hostile(test: &str, role: &str, to: &Address) -> Option<(Child, std::path::PathBuf)> {
    if !rustix::process::geteuid().is_root() {
        missing("the hostile-sender tests must run as root to start a sender as uid 65534");
        return None;
    }
    let (dir, exe) = world_executable_copy(&format!("-{test}"));
    let mut command = Command::new(&exe);
    match to {
        Address::Netlink(port) => command.env(PORT, port.to_string()),
        Address::Unix(UnixAddr::Abstract(name)) => command.env(
            UNIX_NAME,
            String::from_utf8(name.clone()).expect("a UTF-8 name"),
        ),
        other => panic!("no hostile sender for {other}"),
    };
    let child = command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .uid(65534)
        .gid(65534)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("start the hostile sender as uid 65534");
    Some((child, dir))
}

fn child_mode() -> bool {
    if std::env::var(TAKEOVER_PORT).is_ok() {
        return true;
    }
    let Ok(role) = std::env::var(ROLE) else {
        return false;
    };
    let to = match (std::env::var(PORT), std::env::var(UNIX_NAME)) {
        (Ok(port), _) => Address::Netlink(port.parse().unwrap()),
        (_, Ok(name)) => Address::Unix(UnixAddr::abstract_name(name)),
        _ => panic!("a hostile child needs {PORT} or {UNIX_NAME}"),
    };
    hostile(&role, &to);
    true
}

/// While a hostile child runs `role` against a server on `transport` with
/// `options`, another client's calls all succeed with the default 5 s
/// timeout.
fn others_keep_being_served(
    transport: Transport,
    test: &str,
    role: &str,
    options: ServerOptions,
) -> Option<Value> {
    if transport == Transport::Netlink && !netlink_available() {
        return None;
    }
    let (server, to) = serve_on(transport, options);
    let (child, dir) = start_hostile(test, role, &to)?;
    // Let the abuse build up.
    std::thread::sleep(Duration::from_millis(300));
    let client = Arc::new(match transport {
        Transport::Netlink => Client::netlink().unwrap(),
        Transport::Unix => Client::unix().unwrap(),
    });
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < ABUSE - Duration::from_millis(500) {
        let name = format!("caller {calls}");
        let got = client
            .call(to.clone(), "hello", json!([name]))
            .unwrap_or_else(|e| panic!("{role}: call {calls} failed during the abuse: {e}"));
        assert_eq!(got, json!(format!("Hello, {name}!")));
        calls += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "hostile child failed: {stdout}");
    let sent: u64 = stdout
        .lines()
        .find_map(|l| {
            l.split_once("HOSTILE-SENT ")
                .map(|(_, n)| n.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no count from the child: {stdout}"))
        .parse()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stats = server.stop().unwrap();
    eprintln!(
        "{transport:?} {role}: {calls} calls served during the abuse; {sent} hostile requests; {stats:?}"
    );
    assert!(calls > 10, "{role}: only {calls} calls");
    assert!(sent > 0);
    Some(json!({
        "dropped_replies": stats.dropped_replies,
        "denied": stats.denied,
        "busy": stats.busy,
        "malformed": stats.malformed,
        "spoofed": stats.spoofed,
    }))
}

fn a_sender_that_never_reads_and_sends_junk(transport: Transport, test: &str) {
    if child_mode() {
        return;
    }
    let Some(stats) = others_keep_being_served(transport, test, "nonreader", ServerOptions::new())
    else {
        return;
    };
    assert!(stats["dropped_replies"].as_u64().unwrap() > 0, "{stats}");
    assert!(stats["malformed"].as_u64().unwrap() > 0, "{stats}");
    if transport == Transport::Netlink {
        // Unix datagrams carry no port id to forge.
        assert!(stats["spoofed"].as_u64().unwrap() > 0, "{stats}");
    }
}

#[test]
fn a_sender_that_never_reads_and_sends_junk_delays_no_one() {
    a_sender_that_never_reads_and_sends_junk(
        Transport::Netlink,
        "a_sender_that_never_reads_and_sends_junk_delays_no_one",
    );
}

#[test]
fn a_sender_that_never_reads_and_sends_junk_delays_no_one_on_unix() {
    a_sender_that_never_reads_and_sends_junk(
        Transport::Unix,
        "a_sender_that_never_reads_and_sends_junk_delays_no_one_on_unix",
    );
}

fn a_denied_sender(transport: Transport, test: &str) {
    if child_mode() {
        return;
    }
    let options = ServerOptions::new().allow_uid(0);
    let Some(stats) = others_keep_being_served(transport, test, "denied", options) else {
        return;
    };
    assert!(stats["denied"].as_u64().unwrap() > 0, "{stats}");
}

#[test]
fn a_denied_sender_delays_no_one() {
    a_denied_sender(Transport::Netlink, "a_denied_sender_delays_no_one");
}

#[test]
fn a_denied_sender_delays_no_one_on_unix() {
    a_denied_sender(Transport::Unix, "a_denied_sender_delays_no_one_on_unix");
}

fn a_flood_of_slow_requests(transport: Transport, test: &str) {
    if child_mode() {
        return;
    }
    let options = ServerOptions::new()
        .threads(2)
        .pass_credentials(true)
        .max_per_sender(1)
        .max_queue_age(Duration::from_secs(4));
    let Some(stats) = others_keep_being_served(transport, test, "slow", options) else {
        return;
    };
    assert!(stats["busy"].as_u64().unwrap() > 0, "{stats}");
}

#[test]
fn a_flood_of_slow_requests_delays_no_one() {
    a_flood_of_slow_requests(Transport::Netlink, "a_flood_of_slow_requests_delays_no_one");
}

#[test]
fn a_flood_of_slow_requests_delays_no_one_on_unix() {
    a_flood_of_slow_requests(
        Transport::Unix,
        "a_flood_of_slow_requests_delays_no_one_on_unix",
    );
}

#[test]
fn requests_older_than_the_queue_limit_are_not_run() {
    if child_mode() || !netlink_available() {
        return;
    }
    let options = ServerOptions::new().max_queue_age(Duration::from_millis(100));
    let server = Server::bind_netlink(methods(), options).unwrap();
    let port = server.port().unwrap();
    let raw = Raw::new();
    // All five are queued before the server reads any.
    for id in 1..=5 {
        let text = format!(r#"{{"jsonrpc": "2.0", "method": "slow", "id": {id}}}"#);
        raw.socket
            .send_to(port, &request_datagram(raw.port(), text.as_bytes()))
            .unwrap();
    }
    let server = server.spawn().unwrap();
    // The first runs for 300 ms; the four behind it have waited longer
    // than 100 ms when they are read: dropped unanswered.
    let (reply, from) = raw.receive().expect("the first request's answer");
    assert_eq!(response_json(&reply, from)["id"], json!(1));
    assert!(raw.receive().is_none(), "a stale request was answered");
    // A fresh call is served.
    let client = Client::netlink().unwrap();
    assert_eq!(
        client.call(port, "hello", json!(["late"])).unwrap(),
        json!("Hello, late!")
    );
    let stats = server.stop().unwrap();
    assert_eq!((stats.expired, stats.served), (4, 2), "{stats:?}");
}

/// One 300 ms request, then four more 30 ms into it: its only serving
/// thread is in the handler then, and the dater dates them; read at
/// 300 ms, they have waited longer than the 100 ms limit.
fn requests_arriving_during_a_handler_are_dated(on_own_thread: bool) {
    if child_mode() || !netlink_available() {
        return;
    }
    let options = ServerOptions::new().max_queue_age(Duration::from_millis(100));
    let server = Server::bind_netlink(methods(), options).unwrap();
    let port = server.port().unwrap();
    let stopper = server.stopper();
    let (handle, serving) = if on_own_thread {
        let server = server.clone();
        (None, Some(std::thread::spawn(move || server.serve())))
    } else {
        (Some(server.clone().spawn().unwrap()), None)
    };
    let raw = Raw::new();
    let send = |id: u32, method: &str| {
        let text = format!(r#"{{"jsonrpc": "2.0", "method": "{method}", "id": {id}}}"#);
        raw.socket
            .send_to(port, &request_datagram(raw.port(), text.as_bytes()))
            .unwrap();
    };
    send(1, "slow");
    std::thread::sleep(Duration::from_millis(30));
    for id in 2..=5 {
        send(id, "hello");
    }
    let (reply, from) = raw.receive().expect("the first request's answer");
    assert_eq!(response_json(&reply, from)["id"], json!(1));
    assert!(raw.receive().is_none(), "a stale request was answered");
    let stats = match handle {
        Some(handle) => handle.stop().unwrap(),
        None => {
            stopper.stop();
            serving.unwrap().join().unwrap().unwrap();
            server.stats()
        }
    };
    assert_eq!((stats.expired, stats.served), (4, 1), "{stats:?}");
}

#[test]
fn requests_arriving_during_a_handler_are_dated_and_not_run() {
    requests_arriving_during_a_handler_are_dated(false);
}

#[test]
fn requests_arriving_during_a_handler_are_dated_when_serving_on_a_callers_thread() {
    requests_arriving_during_a_handler_are_dated(true);
}

#[test]
fn a_handler_that_never_returns_is_timed_out_and_stop_is_bounded() {
    if child_mode() || !netlink_available() {
        return;
    }
    let server = serve(
        ServerOptions::new()
            .handler_timeout(Duration::from_millis(200))
            .stop_timeout(Duration::from_millis(300)),
    );
    let port = server.port().unwrap();
    let client =
        Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(5))).unwrap();
    for round in 0..2 {
        let started = Instant::now();
        let e = client.call(port, "forever", json!([])).unwrap_err();
        let e = e.rpc().unwrap_or_else(|| panic!("round {round}: {e}"));
        assert_eq!(e.code.0, -32002, "{e}");
        assert_eq!(e.message, "Handler timed out");
        assert!(started.elapsed() < Duration::from_secs(2));
        // The server serves on in a new thread.
        assert_eq!(
            client.call(port, "hello", json!(["next"])).unwrap(),
            json!("Hello, next!")
        );
    }
    let started = Instant::now();
    let stats = server.stop().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
    assert_eq!(
        (stats.handler_timeouts, stats.detached),
        (2, 2),
        "{stats:?}"
    );

    // Without a handler limit, a stop still returns, leaving the stuck
    // thread detached.
    let server = serve(ServerOptions::new().stop_timeout(Duration::from_millis(200)));
    let port = server.port().unwrap();
    let quick =
        Client::netlink_with(ClientOptions::new().timeout(Duration::from_millis(300))).unwrap();
    assert!(
        quick
            .call(port, "forever", json!([]))
            .unwrap_err()
            .is_timeout()
    );
    let started = Instant::now();
    let stats = server.stop().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stats.detached, 1, "{stats:?}");
}

const TAKEOVER_PORT: &str = "PROCSLINK_TAKEOVER_PORT";

/// Child mode of the takeover test: binds `port` (a dead server's), then
/// answers every request it gets with a forged result, as the server.
fn impostor(port: u32) {
    use rustix::net::netlink::{self, SocketAddrNetlink};
    use rustix::net::{AddressFamily, RecvFlags, SocketFlags, SocketType};
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        Some(netlink::USERSOCK),
    )
    .expect("socket");
    rustix::net::bind(&fd, &SocketAddrNetlink::new(port, 0)).expect("bind the dead server's port");
    rustix::net::sockopt::set_socket_timeout(
        &fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(Duration::from_secs(3)),
    )
    .unwrap();
    println!("BOUND");
    let mut buf = vec![0u8; 4096];
    while let Ok((_, len, Some(from))) = rustix::net::recvfrom(&fd, &mut buf, RecvFlags::empty()) {
        let from = SocketAddrNetlink::try_from(from).unwrap().pid();
        let Ok(request) = procslink::procslink::Datagram::parse(&buf[..len]) else {
            continue;
        };
        let request: Value = serde_json::from_slice(request.payload()).unwrap();
        let forged = json!({"jsonrpc": "2.0", "result": "forged", "id": request["id"]});
        let reply = datagram(
            procslink::procslink::DatagramRepr::response(port),
            forged.to_string().as_bytes(),
        );
        rustix::net::sendto(
            &fd,
            &reply,
            rustix::net::SendFlags::empty(),
            &SocketAddrNetlink::new(from, 0),
        )
        .unwrap();
    }
}

#[test]
fn a_client_expecting_the_servers_uid_refuses_a_port_takeover() {
    use std::io::BufRead;
    if let Ok(port) = std::env::var(TAKEOVER_PORT) {
        impostor(port.parse().unwrap());
        return;
    }
    if !netlink_available() {
        return;
    }
    if !rustix::process::geteuid().is_root() {
        missing("the takeover test must run as root to start an impostor as uid 65534");
        return;
    }
    let server = serve(ServerOptions::new());
    let port = server.port().unwrap();
    let careful = Client::netlink_with(ClientOptions::new().timeout(Duration::from_millis(700)))
        .unwrap()
        .expect_peer_uid(0)
        .unwrap();
    assert_eq!(careful.peer_uid(), Some(0));
    assert_eq!(careful.call(port, "add", json!([2, 3])).unwrap(), json!(5));
    // The server dies; uid 65534 binds its port.
    server.stop().unwrap();
    let (dir, exe) = world_executable_copy("-impostor");
    let mut child = Command::new(&exe)
        .args([
            "--exact",
            "a_client_expecting_the_servers_uid_refuses_a_port_takeover",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(TAKEOVER_PORT, port.to_string())
        .uid(65534)
        .gid(65534)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("start the impostor as uid 65534");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("BOUND"))),
        "the impostor could not bind port {port}"
    );
    // A client that does not ask is fooled: that is the attack.
    let naive = Client::netlink().unwrap();
    assert_eq!(
        naive.call(port, "add", json!([2, 3])).unwrap(),
        json!("forged")
    );
    // The careful client refuses the forged answer, and says why in its
    // counters.
    let e = careful.call(port, "add", json!([2, 3])).unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(careful.stats().wrong_uid, 1, "{:?}", careful.stats());
    assert_eq!(careful.stats().delivered, 1);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
