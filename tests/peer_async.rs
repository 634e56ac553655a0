//! [`AsyncClient`] on tokio, on a current-thread and a multi-thread
//! runtime, against the crate's blocking [`Server`] over netlink, Unix
//! datagrams (ProcsLink framing) and jsoncomm (bare JSON): the demo
//! methods, an unknown method, a timeout against a socket that never
//! answers, 200 concurrent calls from 50 tasks, a notification, the
//! sender's uid checked, and a dropped call.
#![cfg(feature = "tokio")]

mod peer_common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use peer_common::netlink_available;
use peer_common::socket_dir::SocketDir;
use procslink::peer::{
    Address, AsyncClient, CallError, ClientOptions, Methods, NetlinkSocket, Params, RpcError,
    Server, ServerHandle, ServerOptions, UnixAddr, UnixDatagram, demo,
};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Transport {
    Netlink,
    Unix,
    Jsoncomm,
}

const TRANSPORTS: [Transport; 3] = [Transport::Netlink, Transport::Unix, Transport::Jsoncomm];

/// Runs `test` on a current-thread runtime and on a multi-thread one.
fn on_both_runtimes<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    current.block_on(test());
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    multi.block_on(test());
}

/// The demo methods, plus `bump` (a notification target counting its
/// calls) and `bumps` (that count).
fn methods(bumps: &Arc<AtomicU64>) -> Methods {
    let mut methods = demo::methods();
    let counter = Arc::clone(bumps);
    methods.add("bump", move |_: Params| -> Result<Value, RpcError> {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    });
    let counter = Arc::clone(bumps);
    methods.add("bumps", move |_: Params| -> Result<Value, RpcError> {
        Ok(json!(counter.load(Ordering::SeqCst)))
    });
    methods
}

/// A server of `methods()` on `transport`, its address, and the folder of
/// its socket.
struct Served {
    server: Option<ServerHandle>,
    to: Address,
    bumps: Arc<AtomicU64>,
    _dir: SocketDir,
}

impl Served {
    fn start(transport: Transport) -> Served {
        let dir = SocketDir::new();
        let bumps = Arc::new(AtomicU64::new(0));
        let methods = methods(&bumps);
        let path = UnixAddr::Path(dir.path().join("server.sock"));
        let options = ServerOptions::new();
        let server = match transport {
            Transport::Netlink => Server::bind_netlink(methods, options),
            Transport::Unix => Server::bind_unix(path, methods, options),
            Transport::Jsoncomm => Server::bind_jsoncomm(path, methods, options),
        }
        .expect("bind the server")
        .spawn()
        .expect("start the server");
        Served {
            to: server.address(),
            server: Some(server),
            bumps,
            _dir: dir,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.stop();
        }
    }
}

fn client(transport: Transport, options: ClientOptions) -> AsyncClient {
    match transport {
        Transport::Netlink => AsyncClient::netlink_with(options),
        Transport::Unix => AsyncClient::unix_with(options),
        Transport::Jsoncomm => AsyncClient::jsoncomm_with(options),
    }
    .expect("open the client")
}

/// The transports usable here (netlink may be missing: a notice, or a
/// failure under `CI=true`).
fn transports() -> Vec<Transport> {
    let netlink = netlink_available();
    TRANSPORTS
        .into_iter()
        .filter(|t| netlink || !matches!(t, Transport::Netlink))
        .collect()
}

#[test]
fn demo_methods_and_errors() {
    for transport in transports() {
        on_both_runtimes(|| async move {
            let served = Served::start(transport);
            let client = client(transport, ClientOptions::new());
            let to = served.to.clone();
            let hello = client.call(to.clone(), "hello", json!(["Rust"])).await;
            assert_eq!(hello.unwrap(), json!("Hello, Rust!"), "{transport:?}");
            let named = client.call(to.clone(), "hello", json!({"name": "\u{e9}t\u{e9}"}));
            assert_eq!(named.await.unwrap(), json!("Hello, \u{e9}t\u{e9}!"));
            let sum: i64 = client
                .call_typed(to.clone(), "add", &(2, 40))
                .await
                .unwrap();
            assert_eq!(sum, 42);
            let value = json!({"list": [1, 2.5, null, true], "text": "a\"b\u{1F600}"});
            let echoed = client
                .call(to.clone(), "echo", json!([value.clone()]))
                .await;
            assert_eq!(echoed.unwrap(), value);
            let params = procslink::jsonrpc::Params::new(
                procslink::jsonrpc::RawValue::parse("[3, 4]").unwrap(),
            );
            let text = client
                .call_raw(to.clone(), "add", params, |raw| raw.as_str().to_owned())
                .await
                .unwrap();
            assert_eq!(text, "7");

            let unknown = client.call(to.clone(), "nope", Value::Null).await;
            let err = unknown.unwrap_err();
            assert_eq!(err.rpc().expect("an RPC error").code.0, -32601, "{err}");
            let bad = client.call(to.clone(), "add", json!(["x", 1])).await;
            assert_eq!(bad.unwrap_err().rpc().unwrap().code.0, -32602);
            let not_params = client.call(to.clone(), "echo", json!(5)).await;
            assert!(matches!(not_params, Err(CallError::Protocol(_))));

            let stats = client.stats();
            assert_eq!(stats.delivered, 7, "{stats:?}");
            assert_eq!(stats.unknown_id + stats.spoofed + stats.malformed, 0);
        });
    }
}

#[test]
fn a_server_that_never_answers_times_out() {
    for transport in transports() {
        on_both_runtimes(|| async move {
            let dir = SocketDir::new();
            let silent_netlink;
            let silent_unix;
            let to = match transport {
                Transport::Netlink => {
                    silent_netlink = NetlinkSocket::open().unwrap();
                    Address::Netlink(silent_netlink.port())
                }
                Transport::Unix | Transport::Jsoncomm => {
                    let path = UnixAddr::Path(dir.path().join("silent.sock"));
                    silent_unix = UnixDatagram::bind(&path).unwrap();
                    Address::Unix(silent_unix.local_addr().clone())
                }
            };
            let options = ClientOptions::new().timeout(Duration::from_millis(150));
            let client = client(transport, options);
            let started = tokio::time::Instant::now();
            let err = client.call(to.clone(), "hello", json!(["x"])).await;
            assert!(matches!(err, Err(CallError::Timeout)), "{err:?}");
            assert!(started.elapsed() >= Duration::from_millis(150));
            // Several at once, and with a call's own timeout.
            let calls = (0..5).map(|i| client.call(to.clone(), "add", json!([i, 1])));
            for result in futures_join(calls).await {
                assert!(matches!(result, Err(CallError::Timeout)), "{result:?}");
            }
            let short = client.call_timeout(to, "hello", json!(["x"]), Duration::from_millis(5));
            assert!(matches!(short.await, Err(CallError::Timeout)));

            // The client still works with a server that answers.
            let served = Served::start(transport);
            let sum = client.call(served.to.clone(), "add", json!([1, 2])).await;
            assert_eq!(sum.unwrap(), json!(3));
        });
    }
}

/// Awaits all of `futures` on this task, in order of the results.
async fn futures_join<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (f, r) in pinned.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *r = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// 200 calls in flight from 50 tasks (four at once from each), every
/// answer its own call's. On netlink (a queue of bytes, 1 MiB here) every
/// call is answered; a Unix datagram queue holds only
/// `net.unix.max_dgram_qlen` datagrams (10 by default) and the server drops
/// a reply that does not fit at once, so there a call may time out, as
/// many as the server dropped replies.
#[test]
fn two_hundred_calls_from_fifty_tasks_are_all_matched() {
    for transport in transports() {
        on_both_runtimes(|| async move {
            let mut served = Served::start(transport);
            let options = ClientOptions::new()
                .recv_buffer_size(1 << 20)
                .timeout(Duration::from_secs(2));
            let client = Arc::new(client(transport, options));
            let tasks: Vec<_> = (0..50u64)
                .map(|task| {
                    let client = Arc::clone(&client);
                    let to = served.to.clone();
                    tokio::spawn(async move {
                        let calls = (0..4u64).map(|k| {
                            let tag = json!({"task": task, "call": k, "text": format!("\u{e9}{task}.{k}")});
                            let client = &client;
                            let to = to.clone();
                            async move {
                                match client.call(to, "echo", json!([tag.clone()])).await {
                                    Ok(v) => {
                                        assert_eq!(v, tag, "another call's answer");
                                        true
                                    }
                                    Err(CallError::Timeout) => false,
                                    Err(e) => panic!("call {tag} failed: {e}"),
                                }
                            }
                        });
                        futures_join(calls).await
                    })
                })
                .collect();
            let (mut answered, mut timed_out) = (0u64, 0u64);
            for task in tasks {
                for ok in task.await.expect("a calling task failed") {
                    if ok {
                        answered += 1;
                    } else {
                        timed_out += 1;
                    }
                }
            }
            let stats = client.stats();
            let server = served.server.take().unwrap().stop().unwrap();
            eprintln!(
                "{transport:?}: {answered} answered, {timed_out} timed out; {stats:?}; server {server:?}"
            );
            assert_eq!(answered + timed_out, 200);
            assert_eq!(stats.delivered, answered, "{transport:?} {stats:?}");
            assert_eq!(stats.spoofed + stats.malformed, 0);
            if matches!(transport, Transport::Netlink) {
                assert_eq!(answered, 200, "{server:?}");
            } else {
                assert!(answered > 0);
                assert!(timed_out <= server.dropped_replies, "{server:?}");
            }
        });
    }
}

#[test]
fn a_notification_is_served_without_a_response() {
    for transport in transports() {
        on_both_runtimes(|| async move {
            let served = Served::start(transport);
            let client = client(transport, ClientOptions::new());
            client
                .notify(served.to.clone(), "bump", json!([]))
                .await
                .unwrap();
            client
                .notify(served.to.clone(), "bump", Value::Null)
                .await
                .unwrap();
            // One serving thread takes datagrams in order: both
            // notifications were served before this call.
            let count = client.call(served.to.clone(), "bumps", Value::Null).await;
            assert_eq!(count.unwrap(), json!(2), "{transport:?}");
            assert_eq!(served.bumps.load(Ordering::SeqCst), 2);
            // Nothing came back for the notifications.
            let stats = client.stats();
            assert_eq!((stats.delivered, stats.unknown_id), (1, 0), "{stats:?}");
        });
    }
}

#[test]
fn answers_from_another_uid_are_dropped() {
    if !netlink_available() {
        return;
    }
    on_both_runtimes(|| async {
        let served = Served::start(Transport::Netlink);
        let uid = rustix::process::geteuid().as_raw();
        let mine = AsyncClient::netlink()
            .unwrap()
            .expect_peer_uid(uid)
            .unwrap();
        assert_eq!(mine.peer_uid(), Some(uid));
        let sum = mine.call(served.to.clone(), "add", json!([1, 2])).await;
        assert_eq!(sum.unwrap(), json!(3));

        let options = ClientOptions::new().timeout(Duration::from_millis(100));
        let other = AsyncClient::netlink_with(options)
            .unwrap()
            .expect_peer_uid(uid.wrapping_add(1))
            .unwrap();
        let refused = other.call(served.to.clone(), "add", json!([1, 2])).await;
        assert!(matches!(refused, Err(CallError::Timeout)), "{refused:?}");
        assert_eq!(other.stats().wrong_uid, 1);
    });
}

#[test]
fn a_dropped_call_leaves_the_client_working() {
    for transport in transports() {
        on_both_runtimes(|| async move {
            let served = Served::start(transport);
            let client = client(transport, ClientOptions::new());
            // Dropped at once, before it could be answered, and then after
            // its request went out.
            drop(client.call(served.to.clone(), "add", json!([1, 1])));
            let cut = tokio::time::timeout(
                Duration::ZERO,
                client.call(served.to.clone(), "add", json!([1, 1])),
            );
            let _ = cut.await;
            for i in 0..3 {
                let sum = client.call(served.to.clone(), "add", json!([i, 1])).await;
                assert_eq!(sum.unwrap(), json!(i + 1), "{transport:?}");
            }
        });
    }
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let err = AsyncClient::unix().unwrap_err();
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

/// The reference ProcsLink server (`tests/interop/py_server.py`, the
/// `procslink` 0.1.2 Python package), killed when dropped.
struct PyServer {
    child: std::process::Child,
    port: u32,
}

impl PyServer {
    fn start(python: &std::path::Path, log: &std::path::Path) -> PyServer {
        use std::io::BufRead;
        let mut child = std::process::Command::new(python)
            .arg(peer_common::root().join("tests/interop/py_server.py"))
            .arg(log)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start py_server.py");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the server's stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's port");
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
fn against_the_python_reference_server() {
    let Some(python) = peer_common::python() else {
        return;
    };
    if !netlink_available() {
        return;
    }
    let dir = SocketDir::new();
    let log = dir.path().join("notify.log");
    let server = PyServer::start(&python, &log);
    let port = server.port;
    on_both_runtimes(|| {
        let log = log.clone();
        async move {
            let _ = std::fs::remove_file(&log);
            let options = ClientOptions::new().timeout(Duration::from_secs(10));
            let client = Arc::new(AsyncClient::netlink_with(options).unwrap());
            let hello = client.call(port, "hello", json!(["Rust"])).await;
            assert_eq!(hello.unwrap(), json!("Hello, Rust!"));
            let sum: f64 = client
                .call_typed(port, "add", &json!({"a": 0.5, "b": 2}))
                .await
                .unwrap();
            assert_eq!(sum, 2.5);
            let nested = json!({"a": [1, -2, 3.25, null, true], "b": {"c": "\u{e9}\"\\\n\t"}});
            let echoed = client.call(port, "echo", json!([nested.clone()])).await;
            assert_eq!(echoed.unwrap(), nested);
            let err = client.call(port, "nope", json!([])).await.unwrap_err();
            let err = err.rpc().expect("an error response");
            assert_eq!(
                (err.code.0, err.message.as_str()),
                (-32601, "Method not found")
            );
            let err = client.call(port, "fail", json!([1])).await.unwrap_err();
            assert_eq!(err.rpc().unwrap().data, Some(json!("boom: \u{e9}t\u{e9}")));

            // Many calls at once from many tasks (the reference serves one
            // datagram at a time; netlink queues bytes, so none is lost).
            let tasks: Vec<_> = (0..20i64)
                .map(|i| {
                    let client = Arc::clone(&client);
                    tokio::spawn(async move { client.call(port, "add", json!([i, 100])).await })
                })
                .collect();
            for (i, task) in (0i64..).zip(tasks) {
                assert_eq!(task.await.unwrap().unwrap(), json!(i + 100));
            }

            client
                .notify(port, "notify_me", json!([1, "\u{e9}"]))
                .await
                .unwrap();
            // The reference serves datagrams in order: once this call is
            // answered, the notification has been handled.
            let pong = client.call(port, "ping", Value::Null).await;
            assert_eq!(pong.unwrap(), json!("pong"));
            let logged = std::fs::read_to_string(&log).expect("the notification log");
            let lines: Vec<Value> = logged
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines, [json!({"args": [1, "\u{e9}"], "kwargs": {}})]);
            let stats = client.stats();
            assert_eq!(stats.delivered, 26, "{stats:?}");
        }
    });
    drop(server);
}

#[test]
fn descriptors_go_with_a_call_and_come_back() {
    use std::io::{Read, Write};
    use std::os::fd::AsFd;
    on_both_runtimes(|| async {
        let mut methods = Methods::new();
        methods.add(
            "slurp",
            |mut p: Params| -> Result<procslink::peer::Reply, RpcError> {
                let fds = p.take_fds();
                let [fd] = <[_; 1]>::try_from(fds)
                    .map_err(|_| RpcError::invalid_params("one descriptor"))?;
                let mut text = String::new();
                std::fs::File::from(fd)
                    .read_to_string(&mut text)
                    .map_err(RpcError::internal)?;
                let (reader, mut writer) = std::io::pipe().map_err(RpcError::internal)?;
                writer
                    .write_all(text.to_uppercase().as_bytes())
                    .map_err(RpcError::internal)?;
                let reply =
                    procslink::peer::Reply::with_fds(json!(text.len()), vec![reader.into()]);
                Ok(reply)
            },
        );
        let dir = SocketDir::new();
        let addr = UnixAddr::Path(dir.path().join("fds.sock"));
        let server = Server::bind_unix(addr.clone(), methods, ServerOptions::new())
            .unwrap()
            .spawn()
            .unwrap();
        let client = AsyncClient::unix().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"shout").unwrap();
        drop(writer);
        let fds = [reader.as_fd()];
        let (len, fds) = client
            .call_with_fds(addr.clone(), "slurp", json!([]), &fds)
            .await
            .unwrap();
        assert_eq!(len, json!(5));
        let mut back = String::new();
        let [fd] = <[_; 1]>::try_from(fds).expect("one descriptor back");
        std::fs::File::from(fd).read_to_string(&mut back).unwrap();
        assert_eq!(back, "SHOUT");
        // A descriptor with a notification, read by the next call.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(writer);
        let fds = [reader.as_fd()];
        let notified = client.notify_with_fds(addr.clone(), "slurp", json!([]), &fds);
        notified.await.unwrap();
        let none = client
            .call(addr.clone(), "slurp", json!([]))
            .await
            .unwrap_err();
        assert_eq!(none.rpc().unwrap().code.0, -32602);
        server.stop().unwrap();
    });
}

/// A hand-driven netlink "server" ([`peer_common::Raw`]) answers each call
/// in its own way while a stranger sends the client forged answers: the
/// forgeries are dropped and counted, a junk answer from the server fails
/// its call as an invalid reply, and the real answer still gets through.
#[test]
fn forged_and_malformed_answers() {
    use peer_common::{Raw, datagram};
    use procslink::procslink::DatagramRepr;
    if !netlink_available() {
        return;
    }
    on_both_runtimes(|| async {
        let client = AsyncClient::netlink().unwrap();
        let me = client.port().unwrap();
        let server = Raw::new();
        let stranger = Raw::new();
        let port = server.port();
        let serving = std::thread::spawn(move || {
            let response = |pid: u32, id: u64, result: &str| {
                let text = format!(r#"{{"jsonrpc": "2.0", "result": {result}, "id": {id}}}"#);
                datagram(DatagramRepr::response(pid), text.as_bytes())
            };
            let id_of = |request: &[u8]| {
                let d = procslink::procslink::Datagram::parse(request).expect("a request");
                let text: Value = serde_json::from_slice(d.payload()).expect("JSON");
                text["id"].as_u64().expect("a call's id")
            };
            // First call: the stranger answers first, with the right id,
            // claiming the server's port and then its own; then the server
            // answers.
            let (request, from) = server.receive().expect("the first request");
            assert_eq!(from, me);
            let id = id_of(&request);
            for pid in [port, stranger.port()] {
                stranger
                    .socket
                    .send_to(me, &response(pid, id, "666"))
                    .unwrap();
            }
            server
                .socket
                .send_to(me, &response(port, id, "42"))
                .unwrap();
            // Second call: not a ProcsLink datagram at all, from the server.
            let (request, _) = server.receive().expect("the second request");
            let _ = id_of(&request);
            server.socket.send_to(me, b"\x01\x02junk").unwrap();
        });
        let first = client.call(port, "answer", Value::Null).await;
        assert_eq!(first.unwrap(), json!(42));
        let second = client.call(port, "junk", Value::Null).await;
        assert!(
            matches!(second, Err(CallError::InvalidReply(_))),
            "{second:?}"
        );
        serving.join().expect("the hand-driven server");
        let stats = client.stats();
        assert_eq!((stats.delivered, stats.spoofed), (1, 2), "{stats:?}");
        assert_eq!(stats.malformed, 1, "{stats:?}");
    });
}
