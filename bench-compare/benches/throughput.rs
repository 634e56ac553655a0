//! The RPC round trip under concurrency (BENCHMARKS.md, "Throughput
//! under concurrency"): `hello("Rust")` from 1, 4, 16 and 64 threads
//! against one server, beside the raw C ping-pong with as many threads.
//!
//! Contenders, per thread count (`src/throughput.rs`):
//!
//! - `netlink-c-floor` / `unix-c-floor`: C threads, a socket each, against
//!   the C echo server (`rt_server c-echo` / `c-echo-unix`), the floor of
//!   the peers of the same transport;
//! - `netlink-shared` / `netlink-separate`: threads sharing one
//!   [`Client`] / with a client each, against `rt_server peer-netlink`;
//! - `unix-shared` / `unix-separate`: the same over Unix datagrams against
//!   `rt_server peer-unix`. A Unix socket's queue holds
//!   `net.unix.max_dgram_qlen` datagrams (10 by default), and the server
//!   drops a reply that does not fit at once (see `procslink::peer`,
//!   "Fairness"): a shared Unix client with more callers waiting on its
//!   one socket than that loses answers, whose calls time out. Callers
//!   beyond the first call from the client's extra sockets
//!   ([`ClientOptions::max_extra_sockets`]), so `unix-shared` runs up to
//!   that many threads plus the queue's length (the rest is printed as
//!   skipped).
//!
//! First every contender answers correctly. Then timed runs, each call
//! timed, give calls/s (calls ÷ wall time), p50 and p99, printed with the
//! ratio to the floor's calls/s, p99 ÷ p50 and the client process's
//! context switches per call (`getrusage`), and written to
//! `target/criterion/procslink-throughput.json`: `ROUNDS` rounds in which
//! every contender at every thread count makes `CALLS / ROUNDS` calls, so
//! that the machine's drift falls on all alike. Then criterion's
//! `throughput` group times the same runs (one call an iteration, spread
//! over the threads).
//!
//! With `--test` (or under `cargo test --benches`) each run is short.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use procslink::peer::{Address, Client, ClientOptions, UnixAddr};
use procslink_bench::corpus;
use procslink_bench::roundtrip::{self as rt, REQUEST, Summary};
use procslink_bench::throughput::{self as tp, Run, Sharing};
use serde_json::{Value, json};

const THREADS: [usize; 4] = [1, 4, 16, 64];
/// Calls per contender and thread count in the timed runs (full mode).
const CALLS: usize = 64_000;
/// Rounds of the timed runs.
const ROUNDS: usize = 8;
/// The goals of issue 16.
const FLOOR_RATIO_GOAL: f64 = 0.8;
const P99_OVER_P50_GOAL: f64 = 5.0;

/// Clients with room for every thread's answer in their receive buffer.
fn options() -> ClientOptions {
    ClientOptions::new()
        .timeout(Duration::from_secs(5))
        .recv_buffer_size(1 << 20)
}

/// A peer contender: its transport's server and how its clients are made.
struct Peer {
    name: String,
    to: Address,
    sharing: Sharing,
    open: fn() -> std::io::Result<Client>,
}

fn netlink_client() -> std::io::Result<Client> {
    Client::netlink_with(options())
}

fn unix_client() -> std::io::Result<Client> {
    Client::unix_with(options())
}

/// One contender at one thread count.
enum Contender {
    Floor { to: Address, request: Vec<u8> },
    Peer { to: Address, clients: Vec<Client> },
}

impl Contender {
    fn run(&self, threads: usize, calls_per_thread: usize) -> Result<Run, String> {
        match self {
            Contender::Floor { to, request } => {
                tp::c_clients(to, request, threads, calls_per_thread).map_err(|e| e.to_string())
            }
            Contender::Peer { to, clients } => {
                tp::peer_threads(clients, to, threads, calls_per_thread)
            }
        }
    }
}

/// `net.unix.max_dgram_qlen`: how many datagrams a Unix socket's queue
/// holds (10, the kernel's default, when unreadable).
fn unix_queue_length() -> usize {
    std::fs::read_to_string("/proc/sys/net/unix/max_dgram_qlen")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(10)
}

fn throughput(c: &mut Criterion) {
    if rt::RawNetlink::open().is_err() {
        eprintln!("throughput: no NETLINK_USERSOCK here, skipped");
        return;
    }
    // `cargo bench` passes --bench, and --test too for `-- --test`.
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let (calls, rounds) = if full { (CALLS, ROUNDS) } else { (640, 2) };
    let exe = Path::new(env!("CARGO_BIN_EXE_rt_server"));
    let pin = rt::Pin::from_env();
    if let Some(cpu) = pin.client_cpu() {
        rt::pin_to(cpu).expect("pin the bench to its CPU");
    }
    let cpu = pin.server_cpu();

    let c_server = rt::rt_server(exe, &["c-echo"], cpu).expect("start rt_server c-echo");
    let c_sock = std::env::temp_dir().join(format!("procslink-tp-c-{}.sock", std::process::id()));
    let c_unix_server = rt::rt_server(exe, &["c-echo-unix", &c_sock.to_string_lossy()], cpu)
        .expect("start rt_server c-echo-unix");
    let nl_server =
        rt::rt_server(exe, &["peer-netlink"], cpu).expect("start rt_server peer-netlink");
    let sock = std::env::temp_dir().join(format!("procslink-tp-{}.sock", std::process::id()));
    let unix_server = rt::rt_server(exe, &["peer-unix", &sock.to_string_lossy()], cpu)
        .expect("start rt_server peer-unix");
    let request = corpus::read(REQUEST);

    let mut peers = Vec::new();
    for sharing in [Sharing::Shared, Sharing::Separate] {
        peers.push(Peer {
            name: format!("netlink-{}", sharing.name()),
            to: Address::Netlink(nl_server.port()),
            sharing,
            open: netlink_client,
        });
        peers.push(Peer {
            name: format!("unix-{}", sharing.name()),
            to: Address::Unix(UnixAddr::Path(PathBuf::from(&unix_server.address))),
            sharing,
            open: unix_client,
        });
    }
    peers.sort_by(|a, b| a.name.cmp(&b.name));

    // Every contender at every thread count, clients made once; correctness
    // first (a run fails at any wrong answer), which is also the warm-up.
    let mut table: Vec<(usize, Vec<(String, Contender)>)> = Vec::new();
    let qlen = unix_queue_length();
    for threads in THREADS {
        let mut row = vec![
            (
                "netlink-c-floor".to_string(),
                Contender::Floor {
                    to: Address::Netlink(c_server.port()),
                    request: request.clone(),
                },
            ),
            (
                "unix-c-floor".to_string(),
                Contender::Floor {
                    to: Address::Unix(UnixAddr::Path(c_sock.clone())),
                    request: request.clone(),
                },
            ),
        ];
        for p in &peers {
            let on_one_socket = threads.saturating_sub(options().get_max_extra_sockets());
            if p.sharing == Sharing::Shared
                && matches!(p.to, Address::Unix(_))
                && on_one_socket > qlen
            {
                println!(
                    "throughput {threads:>2} threads {:<17} skipped: more callers on one socket than net.unix.max_dgram_qlen ({qlen}), answers would be dropped",
                    p.name
                );
                continue;
            }
            let clients = tp::clients(p.sharing, threads, p.open).expect("open the clients");
            row.push((
                p.name.clone(),
                Contender::Peer {
                    to: p.to.clone(),
                    clients,
                },
            ));
        }
        for (name, contender) in &row {
            contender
                .run(threads, (calls / 10 / threads).max(2))
                .unwrap_or_else(|e| panic!("{name}, {threads} threads: {e}"));
        }
        table.push((threads, row));
    }

    let mut runs: BTreeMap<(usize, String), Run> = BTreeMap::new();
    for _ in 0..rounds {
        for (threads, row) in &table {
            let per_thread = (calls / rounds / threads).max(1);
            for (name, contender) in row {
                let run = contender
                    .run(*threads, per_thread)
                    .unwrap_or_else(|e| panic!("{name}, {threads} threads: {e}"));
                runs.entry((*threads, name.clone()))
                    .or_insert_with(Run::empty)
                    .merge(run);
            }
        }
    }
    let summaries: BTreeMap<(usize, String), (Summary, f64)> = runs
        .into_iter()
        .map(|(k, run)| {
            let switches = run.switches_per_call();
            (k, (run.summary(), switches))
        })
        .collect();

    let mut results = Vec::new();
    let mut missed = Vec::new();
    for (threads, row) in &table {
        for (name, _) in row {
            let transport = name.split('-').next().unwrap_or_default();
            let floor = summaries[&(*threads, format!("{transport}-c-floor"))]
                .0
                .calls_per_s;
            let (s, switches) = &summaries[&(*threads, name.clone())];
            let ratio = s.calls_per_s / floor;
            let spread = s.p99_ns / s.p50_ns;
            println!(
                "throughput {threads:>2} threads {name:<17} {:>8.0} calls/s  {ratio:>5.2}x floor  p50 {:>9.0} ns  p99 {:>9.0} ns  p99/p50 {spread:>5.2}  {switches:>4.2} switches/call  ({} calls)",
                s.calls_per_s, s.p50_ns, s.p99_ns, s.calls
            );
            if !name.ends_with("c-floor") {
                if ratio < FLOOR_RATIO_GOAL {
                    missed.push(format!(
                        "{name} at {threads} threads: {ratio:.2}x the floor"
                    ));
                }
                if spread > P99_OVER_P50_GOAL {
                    missed.push(format!("{name} at {threads} threads: p99 {spread:.1}x p50"));
                }
            }
            results.push(json!({
                "threads": threads,
                "contender": name,
                "calls": s.calls,
                "calls_per_s": s.calls_per_s,
                "floor": format!("{transport}-c-floor"),
                "ratio_to_floor": ratio,
                "p50_ns": s.p50_ns,
                "p99_ns": s.p99_ns,
                "p99_over_p50": spread,
                "client_context_switches_per_call": switches,
            }));
        }
    }
    for m in &missed {
        println!("throughput goal missed: {m}");
    }
    if full {
        let meta: Value = json!({
            "pin": pin.name(),
            "calls": calls,
            "rounds": rounds,
            "goals": {"ratio_to_floor_min": FLOOR_RATIO_GOAL, "p99_over_p50_max": P99_OVER_P50_GOAL},
            "missed": missed,
            "results": results,
        });
        let path = rt::target_dir()
            .join("criterion")
            .join("procslink-throughput.json");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("criterion dir");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&meta).expect("json") + "\n",
        )
        .expect("write procslink-throughput.json");
    }

    let mut g = c.benchmark_group("throughput");
    g.throughput(Throughput::Elements(1));
    for (threads, row) in &table {
        for (name, contender) in row {
            g.bench_function(BenchmarkId::new(name.as_str(), threads), |b| {
                b.iter_custom(|iters| {
                    let per_thread = (iters as usize).div_ceil(*threads);
                    let run = contender
                        .run(*threads, per_thread)
                        .unwrap_or_else(|e| panic!("{name}, {threads} threads: {e}"));
                    // Criterion divides by `iters`; the run made
                    // `per_thread * threads` calls.
                    run.wall
                        .mul_f64(iters as f64 / (per_thread * threads) as f64)
                })
            });
        }
    }
    g.finish();

    drop(table);
    drop((c_server, c_unix_server, nl_server, unix_server));
    let _ = std::fs::remove_file(&sock);
    let _ = std::fs::remove_file(&c_sock);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = throughput
}
criterion_main!(benches);
