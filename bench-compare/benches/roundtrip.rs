//! The RPC round trip between two processes (BENCHMARKS.md, "Round
//! trip"): `hello("Rust")` answered `"Hello, Rust!"`, one call at a time.
//!
//! The servers run in their own processes (`rt_server`, and the reference
//! ProcsLink through `py/rt_peer.py` when its virtualenv exists); this
//! process is the client. Every contender must give the right answer
//! before anything is timed. Then:
//!
//! - timed loops (warm-up, then `CALLS` calls per contender, each timed)
//!   give p50, p99 and calls per second, printed and written to
//!   `target/criterion/procslink-roundtrip.json` for `report.py`. The
//!   contenders whose client is this process run side by side, in
//!   `ROUNDS` interleaved rounds, so that the machine's drift falls on all
//!   alike; the Python-client rows are timed inside Python with
//!   `time.perf_counter_ns`;
//! - criterion's `roundtrip` group times one call per iteration for the
//!   contenders whose client is this process.
//!
//! The servers are killed when the bench ends (and exit by themselves if
//! it dies: they watch their stdin).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::{Client, UnixAddr};
use procslink_bench::alloc::{Counting, allocations};
use procslink_bench::roundtrip::{
    self as rt, ARG, METHOD, RESULT, RawClient, Spawned, Summary, timed_rounds,
};
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: Counting = Counting;

const WARMUP: usize = 2_000;
const CALLS: usize = 20_000;
/// Rounds of the timed loops (`CALLS / ROUNDS` calls per contender each).
const ROUNDS: usize = 20;

fn hello(client: &Client, to: impl Into<procslink::peer::Address>) -> Value {
    client
        .call(to, METHOD, json!([ARG]))
        .expect("hello(\"Rust\")")
}

fn hello_typed(client: &Client, port: u32) -> String {
    client
        .call_typed(port, METHOD, &(ARG,))
        .expect("typed hello(\"Rust\")")
}

/// `hello` through `call_raw`, the params text validated per call as a
/// caller with its own JSON text would.
fn hello_raw(client: &Client, port: u32, params: &str) -> bool {
    let params = Params::new(RawValue::parse(params).expect("params"));
    client
        .call_raw(port, METHOD, params, |r| {
            r.as_json_str().is_some_and(|s| s.eq_str(RESULT))
        })
        .expect("raw hello(\"Rust\")")
}

fn row(s: &Summary) -> Value {
    json!({
        "calls": s.calls,
        "p50_ns": s.p50_ns,
        "p99_ns": s.p99_ns,
        "calls_per_s": s.calls_per_s,
    })
}

fn print(who: &str, s: &Summary) {
    println!(
        "roundtrip {who:<24} p50 {:>8.0} ns  p99 {:>8.0} ns  {:>8.0} calls/s  ({} calls)",
        s.p50_ns, s.p99_ns, s.calls_per_s, s.calls
    );
}

fn python_client(python: &Path, port: u32, calls: usize, cpu: Option<usize>) -> Summary {
    let mut cmd = Command::new(python);
    rt::on_cpu(&mut cmd, cpu);
    let out = cmd
        .arg(rt::py_script())
        .args(["client", &port.to_string(), &calls.to_string()])
        .output()
        .expect("run the Python client");
    Summary::from_python(&out, "Python client")
}

fn roundtrip(c: &mut Criterion) {
    if rt::RawNetlink::open().is_err() {
        eprintln!("roundtrip: no NETLINK_USERSOCK here, skipped");
        return;
    }
    // `cargo bench` passes --bench; without it (cargo test --benches) each
    // contender is only checked and run briefly.
    let full = std::env::args().any(|a| a == "--bench");
    let (warmup, calls) = if full { (WARMUP, CALLS) } else { (20, 200) };
    let exe = Path::new(env!("CARGO_BIN_EXE_rt_server"));
    let pin = rt::Pin::from_env();
    if let Some(cpu) = pin.client_cpu() {
        rt::pin_to(cpu).expect("pin the bench to its CPU");
    }
    let cpu = pin.server_cpu();

    let raw_server = rt::rt_server(exe, &["raw"], cpu).expect("start rt_server raw");
    let nl_server =
        rt::rt_server(exe, &["peer-netlink"], cpu).expect("start rt_server peer-netlink");
    let sock = std::env::temp_dir().join(format!("procslink-rt-{}.sock", std::process::id()));
    let unix_server = rt::rt_server(exe, &["peer-unix", &sock.to_string_lossy()], cpu)
        .expect("start rt_server peer-unix");
    let python = rt::reference_python();
    let py_server = python.as_ref().map(|py| {
        let mut cmd = Command::new(py);
        cmd.arg(rt::py_script()).arg("server");
        rt::on_cpu(&mut cmd, cpu);
        Spawned::start(cmd).expect("start the Python server")
    });
    if python.is_none() {
        eprintln!(
            "roundtrip: no Python with procslink 0.1.2 (target/interop-venv or $PROCSLINK_PYTHON): Python rows skipped"
        );
    }

    // Correctness first.
    let mut raw = RawClient::new(raw_server.port()).expect("raw client");
    raw.check().expect("raw ping-pong");
    let nl_client = Client::netlink().expect("netlink client");
    let nl_port = nl_server.port();
    assert_eq!(hello(&nl_client, nl_port), json!(RESULT));
    let unix_client = Client::unix().expect("unix client");
    let unix_addr = UnixAddr::Path(PathBuf::from(&unix_server.address));
    assert_eq!(hello(&unix_client, unix_addr.clone()), json!(RESULT));
    let py_port = py_server.as_ref().map(Spawned::port);
    if let Some(port) = py_port {
        assert_eq!(hello(&nl_client, port), json!(RESULT));
    }

    // Timed loops, the contenders whose client is this process side by
    // side (see `timed_rounds`).
    let mut results = BTreeMap::<String, Value>::new();
    let mut record = |who: &str, s: Summary| {
        print(who, &s);
        results.insert(who.to_string(), row(&s));
    };
    let raw_params = format!("[\"{ARG}\"]");
    let mut raw_to_peer = RawClient::new(nl_port).expect("raw client");
    {
        let check = |v: Value| {
            if v.as_str() == Some(RESULT) {
                Ok(())
            } else {
                Err(format!("answered {v}"))
            }
        };
        let ok = |got: bool, what: &str| {
            if got {
                Ok(())
            } else {
                Err(format!("{what}: wrong answer"))
            }
        };
        let mut contenders: Vec<rt::Contender<'_>> = vec![
            ("raw", Box::new(|| raw.call().map_err(|e| e.to_string()))),
            // Diagnostic: the raw client against the peer's server (the
            // response differs from the raw server's fixed bytes, so only
            // its size is checked): how much of the peer's time is the
            // server's.
            (
                "raw-to-peer-server",
                Box::new(|| raw_to_peer.call().map_err(|e| e.to_string())),
            ),
            (
                "peer-netlink",
                Box::new(|| check(hello(&nl_client, nl_port))),
            ),
            (
                "peer-netlink-typed",
                Box::new(|| ok(hello_typed(&nl_client, nl_port) == RESULT, "typed")),
            ),
            (
                "peer-netlink-raw",
                Box::new(|| ok(hello_raw(&nl_client, nl_port, &raw_params), "raw")),
            ),
            (
                "peer-unix",
                Box::new(|| check(hello(&unix_client, unix_addr.clone()))),
            ),
        ];
        if let Some(port) = py_port {
            let client = &nl_client;
            contenders.push((
                "rust-to-python",
                Box::new(move || check(hello(client, port))),
            ));
        }
        for (who, summary) in timed_rounds(warmup, calls, ROUNDS, &mut contenders) {
            record(&who, summary);
        }
    }
    assert_eq!(raw.last_len(), 93, "raw response size");
    assert_eq!(raw_to_peer.last_len(), 93, "peer server's response size");
    if let (Some(py), Some(port)) = (&python, py_port) {
        record("python", python_client(py, port, calls, pin.client_cpu()));
        record(
            "python-to-rust",
            python_client(py, nl_port, calls, pin.client_cpu()),
        );
    }
    // Allocations of one call on the calling thread (the client's receiver
    // thread and the server are not counted).
    let (_, peer_allocs) = allocations(|| hello(&nl_client, nl_port));
    let (_, raw_allocs) = allocations(|| raw.call());
    let meta = json!({
        "request_bytes": raw.request_len(),
        "response_bytes": raw.last_len(),
        "warmup": warmup,
        "rounds": ROUNDS,
        "pin": pin.name(),
        "calls": calls,
        "caller_allocations": {"raw": raw_allocs, "peer-netlink": peer_allocs},
        "results": results,
    });
    if full {
        let path = rt::target_dir()
            .join("criterion")
            .join("procslink-roundtrip.json");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("criterion dir");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&meta).expect("json") + "\n",
        )
        .expect("write procslink-roundtrip.json");
    }

    let mut g = c.benchmark_group("roundtrip");
    g.bench_function(BenchmarkId::new("raw", METHOD), |b| {
        b.iter(|| raw.call().expect("raw"))
    });
    g.bench_function(BenchmarkId::new("peer-netlink", METHOD), |b| {
        b.iter(|| black_box(hello(&nl_client, nl_port)))
    });
    g.bench_function(BenchmarkId::new("peer-netlink-typed", METHOD), |b| {
        b.iter(|| black_box(hello_typed(&nl_client, nl_port)))
    });
    g.bench_function(BenchmarkId::new("peer-netlink-raw", METHOD), |b| {
        b.iter(|| black_box(hello_raw(&nl_client, nl_port, &raw_params)))
    });
    g.bench_function(BenchmarkId::new("peer-unix", METHOD), |b| {
        b.iter(|| black_box(hello(&unix_client, unix_addr.clone())))
    });
    if let Some(port) = py_port {
        g.bench_function(BenchmarkId::new("rust-to-python", METHOD), |b| {
            b.iter(|| black_box(hello(&nl_client, port)))
        });
    }
    g.finish();

    drop((nl_client, unix_client));
    drop((raw_server, nl_server, unix_server, py_server));
    let _ = std::fs::remove_file(&sock);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = roundtrip
}
criterion_main!(benches);
