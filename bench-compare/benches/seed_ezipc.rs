//! EZ-IPC round trip (BENCHMARKS.md, "EZ-IPC round trip"): `ADD [2, 40]`
//! answered `42`, one call at a time over TCP loopback, Base85 profile,
//! between the crate's `EzIpcClient` and `EzIpcServer` (a server thread in
//! this process), beside the reference client calling the reference
//! server (two Python 3.9 processes, timed inside the client's loop with
//! `time.perf_counter_ns`; `py/ezipc_bench.py`). The two loops alternate
//! for `ROUNDS` rounds, so that the machine's drift falls on both alike;
//! prints each round's means and the medians' ratio. Criterion then times
//! the crate's call.
//!
//! The reference needs `../shared/references/ez-ipc/head` and the venv
//! `scripts/references/ezipc.sh` makes (`target/references/ezipc/venv`,
//! or `$PROCSLINK_REFERENCE_TOOLS/ezipc/venv`); without them the reference
//! row is skipped with a notice.

use std::hint::black_box;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::peer::ezipc::{EzIpcClient, EzIpcOptions, EzIpcServer};
use procslink::peer::{Methods, RpcError};
use procslink_bench::references;
use serde_json::{Value, json};

/// Calls per round of each loop.
const CALLS: usize = 1_000;
/// Rounds of the alternating loops.
const ROUNDS: usize = 5;

fn crate_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The reference tree and the venv's interpreter, if both are there.
fn reference() -> Option<(PathBuf, PathBuf)> {
    let found = references::reference("ez-ipc/head").zip(references::tool("ezipc/venv/bin/python"));
    if found.is_none() {
        references::skipped("seed_ezipc", "EZ-IPC's HEAD tree or its venv");
    }
    found
}

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn script() -> PathBuf {
    crate_root().join("bench-compare/py/ezipc_bench.py")
}

/// The reference server, listening, and its port.
fn reference_server(tree: &Path, python: &Path) -> (Reaped, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = Reaped(
        Command::new(python)
            .arg(script())
            .args(["server", &port.to_string()])
            .env("EZSRC", tree)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the reference server"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the reference server did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

/// The reference client's mean per call against the reference server on
/// `port`, in nanoseconds.
fn reference_mean(tree: &Path, python: &Path, port: u16) -> f64 {
    let out = Command::new(python)
        .arg(script())
        .args(["client", &port.to_string(), &CALLS.to_string()])
        .env("EZSRC", tree)
        .output()
        .expect("run the reference client");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("NS_PER_CALL "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("the reference client printed no timing: {text}"))
}

fn methods() -> Methods {
    let mut m = Methods::new();
    m.add_typed("ADD", |terms: Vec<i64>| -> Result<i64, RpcError> {
        Ok(terms.iter().sum())
    });
    m
}

fn bench(c: &mut Criterion) {
    let server = EzIpcServer::bind_tcp("127.0.0.1:0", methods(), EzIpcOptions::new())
        .expect("bind")
        .spawn()
        .expect("spawn");
    let addr = server.tcp_addr().expect("tcp");
    let client = EzIpcClient::connect_tcp(addr, EzIpcOptions::new()).expect("connect");
    let add = || -> Value { client.call("ADD", json!([2, 40])).expect("ADD") };
    assert_eq!(add(), json!(42));
    for _ in 0..500 {
        black_box(add());
    }
    let our_mean = || {
        let start = Instant::now();
        for _ in 0..CALLS {
            black_box(add());
        }
        start.elapsed().as_nanos() as f64 / CALLS as f64
    };
    let reference = reference();
    let reference_server = reference
        .as_ref()
        .map(|(tree, python)| reference_server(tree, python));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let us = our_mean();
        ours.push(us);
        print!("seed_ezipc: round {round}: procslink {:.1} us", us / 1e3);
        if let (Some((tree, python)), Some((_, port))) = (&reference, &reference_server) {
            let them = reference_mean(tree, python, *port);
            theirs.push(them);
            print!(", reference {:.1} us, {:.1}x", them / 1e3, them / us);
        }
        println!();
    }
    drop(reference_server);
    let ours = median(&mut ours);
    println!(
        "seed_ezipc: procslink EzIpcClient -> EzIpcServer (Base85): median {:.1} us per call",
        ours / 1e3
    );
    if !theirs.is_empty() {
        let theirs = median(&mut theirs);
        println!(
            "seed_ezipc: reference Client -> Server (Base85, Python 3.9): median {:.1} us per call",
            theirs / 1e3
        );
        println!(
            "seed_ezipc: procslink is {:.1}x faster (ratio of the medians)",
            theirs / ours
        );
    }
    let mut group = c.benchmark_group("seed_ezipc");
    group.bench_function("procslink base85 ADD", |b| b.iter(|| black_box(add())));
    group.finish();
    drop(client);
    server.stop();
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

criterion_group!(benches, bench);
criterion_main!(benches);
