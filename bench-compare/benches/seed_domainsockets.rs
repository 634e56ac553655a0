//! The domainsockets round trip (BENCHMARKS.md, "domainsockets"):
//! `echo("hello")` answered `HELLO`, one call at a time, over the Go
//! package's unixgram sockets.
//!
//! - `crate_client/crate_server`: this module's client and server (the
//!   server's threads in this process);
//! - `crate_client/go_server`: the client against the real Go server
//!   (`ds-server`);
//! - `go_client/go_server` and `go_client/crate_server`: the real Go
//!   client (`ds-client NAME ARG...`, one call per argument), timed in its
//!   own process: a run with `iters + 1` calls less the median run with
//!   one call (process start, setup and a first call) is the time of
//!   `iters` calls.
//!
//! The Go tools come from `scripts/references/domainsockets.sh`
//! (`target/references/domainsockets/`, or `PROCSLINK_REFERENCE_TOOLS`);
//! without them only the first row runs. Every contender must answer
//! `HELLO` before it is timed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::peer::domainsockets::{
    Client, ClientOptions, Server, ServerHandle, ServerOptions, demo_methods,
};
use procslink_bench::references;

const DATA: &[u8] = b"hello";
const ANSWER: &[u8] = b"HELLO";

fn tools() -> Option<PathBuf> {
    let dir = references::tool("domainsockets/ds-server")
        .and(references::tool("domainsockets/ds-client"))
        .and_then(|client| client.parent().map(PathBuf::from));
    if dir.is_none() {
        references::skipped("seed_domainsockets", "the Go domainsockets tools");
    }
    dir
}

/// A socket directory of the bench's own, removed at the end.
struct SocketDir(PathBuf);

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Go server (it serves for 20 s), killed when dropped.
struct GoServer(Child);

impl GoServer {
    fn start(tools: &Path, dir: &Path, name: &str) -> GoServer {
        let mut child = Command::new(tools.join("ds-server"))
            .arg(name)
            .env("TMPDIR", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ds-server");
        let setup = dir.join(name);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !setup.exists() {
            assert!(Instant::now() < deadline, "ds-server did not bind");
            if child.try_wait().ok().flatten().is_some() {
                panic!("ds-server exited");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        GoServer(child)
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn crate_server(dir: &Path, name: &str) -> ServerHandle {
    Server::bind(name, demo_methods(), ServerOptions::new().dir(dir))
        .expect("bind")
        .spawn()
        .expect("spawn")
}

fn crate_client(dir: &Path, name: &str) -> Client {
    let client = Client::connect(name, ClientOptions::new().dir(dir)).expect("connect");
    assert_eq!(client.call_bytes("echo", DATA).expect("echo"), ANSWER);
    client
}

/// One run of `ds-client name hello × calls`: its wall time.
fn go_client_run(tools: &Path, dir: &Path, name: &str, calls: u64) -> Duration {
    let args = std::iter::repeat_n("hello", usize::try_from(calls).unwrap_or(usize::MAX));
    let start = Instant::now();
    let out = Command::new(tools.join("ds-client"))
        .arg(name)
        .args(args)
        .env("TMPDIR", dir)
        .stderr(Stdio::null())
        .output()
        .expect("run ds-client");
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ds-client failed: {text}");
    assert_eq!(
        text.matches("type=1 data=\"HELLO\"").count() as u64,
        calls,
        "every call answered HELLO"
    );
    took
}

/// The Go client's time for `iters` calls: a run of `iters + 1` less
/// `start`, the median run of one.
fn go_client_calls(tools: &Path, dir: &Path, name: &str, iters: u64, start: Duration) -> Duration {
    go_client_run(tools, dir, name, iters.saturating_add(1)).saturating_sub(start)
}

/// The median time of a one-call run: start, setup, one call.
fn go_client_start(tools: &Path, dir: &Path, name: &str) -> Duration {
    let mut runs: Vec<Duration> = (0..7).map(|_| go_client_run(tools, dir, name, 1)).collect();
    runs.sort();
    runs[runs.len() / 2]
}

fn bench(c: &mut Criterion) {
    let dir = SocketDir(std::env::temp_dir().join(format!("pl-dsb-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("socket directory");
    let dir = &dir.0;
    let tools = tools();

    let mut group = c.benchmark_group("domainsockets_roundtrip");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    let ours = crate_server(dir, "ours");
    let client = crate_client(dir, "ours");
    group.bench_function("crate_client/crate_server", |b| {
        b.iter(|| black_box(client.call_bytes("echo", black_box(DATA)).unwrap()))
    });
    drop(client);

    if let Some(tools) = &tools {
        let start = go_client_start(tools, dir, "ours");
        group.sample_size(20);
        group.bench_function("go_client/crate_server", |b| {
            b.iter_custom(|iters| go_client_calls(tools, dir, "ours", iters, start))
        });
    }
    ours.stop();

    if let Some(tools) = &tools {
        // The Go server serves for 20 s: one for each contender.
        let go = GoServer::start(tools, dir, "go1");
        let client = crate_client(dir, "go1");
        group.sample_size(100);
        group.bench_function("crate_client/go_server", |b| {
            b.iter(|| black_box(client.call_bytes("echo", black_box(DATA)).unwrap()))
        });
        drop(client);
        drop(go);

        let _go = GoServer::start(tools, dir, "go2");
        let start = go_client_start(tools, dir, "go2");
        group.sample_size(20);
        group.bench_function("go_client/go_server", |b| {
            b.iter_custom(|iters| go_client_calls(tools, dir, "go2", iters, start))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
