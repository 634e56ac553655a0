//! Dumping the kernel's route and link tables (BENCHMARKS.md, "Kernel
//! dumps"): the crate against the raw floor, `ip -j`, the `procslink`
//! command and pyroute2, side by side in one run.
//!
//! The bench makes its own network namespace (`procslink-bench-<pid>-big`),
//! fills it with `PROCSLINK_BENCH_VETHS` veth pairs (default 500) and
//! `PROCSLINK_BENCH_ROUTES` routes (default 100,000) through `ip -batch`,
//! moves its thread into it, and deletes it when done, on panic too (a
//! drop guard; namespaces of bench processes that were killed are deleted
//! by the next run). Nothing leaves the namespace. It needs root (or
//! CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2; without them it says so
//! and skips.
//!
//! Contenders, for the route table (every table and family) and the link
//! table:
//!
//! - `crate`: `KernelSocket::dump` on an open socket, every message
//!   decoded (`rtmsg`/`ifinfomsg`, every attribute, the fields a user
//!   reads), no allocation per message;
//! - `raw-c`: `c/kernel_dump.c`, sending the same request and receiving
//!   until `NLMSG_DONE`, reading only message headers: the kernel's own
//!   cost, the floor;
//! - `ip-j`: `ip -j route show table all` / `ip -j link show`, a process
//!   per dump, output to /dev/null;
//! - `procslink-j`: `procslink dump route -j` / `dump link -j`, likewise;
//! - `pyroute2`: `IPRoute().get_routes()` / `get_links()`, timed inside
//!   Python (`py/kernel_dump.py`), so the interpreter's start-up is not
//!   counted.
//!
//! The process contenders are timed whole (start to exit, as hyperfine
//! does): what a user of the command waits for. Each contender is checked
//! first (same object count as the crate's). Then `ROUNDS` interleaved
//! rounds time one dump of each contender per round (median and p99), and
//! criterion's `kernel-dump` group times every contender but pyroute2.
//! Memory: heap bytes allocated and the peak of live heap bytes of the
//! crate's whole path (socket opened, dump, decode, socket closed) at a
//! tenth of the routes (a second namespace) and at all of them.
//!
//! The `procslink` binary: `$PROCSLINK_BIN` if set, else the bench runs
//! `cargo build --release --features cli --bin procslink` in the workspace
//! with the bench's own target directory and uses `release/procslink`
//! there. pyroute2: `$PROCSLINK_BENCH_PYTHON` if set, else
//! `target/bench-venv/bin/python` or `target/interop-venv/bin/python`
//! (whichever can `import pyroute2`); a full run (`cargo bench`) creates
//! `target/bench-venv` with `pip install pyroute2` when neither can, a
//! `--test` run skips the pyroute2 rows with a notice.
//!
//! With `--test` (`cargo bench ... -- --test`) the sizes default to 200
//! routes and 5 veth pairs and each contender runs a couple of times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use procslink::kernel::{KernelSocket, Protocol};
use procslink_bench::kernel_dump::{self as kd, Netns, RawDump, Table};
use procslink_bench::loadavg;
use procslink_bench::roundtrip::{Contender, Summary, timed_rounds, workspace};
use serde_json::{Value, json};

/// Counts heap allocations, bytes allocated, and the peak of live bytes,
/// on the calling thread.
struct Meter;

thread_local! {
    // (allocations, bytes allocated, live bytes, peak live bytes)
    static METER: Cell<(u64, u64, i64, i64)> = const { Cell::new((0, 0, 0, 0)) };
}

fn note(grow: usize, shrink: usize) {
    METER.with(|m| {
        let (n, bytes, live, peak) = m.get();
        let live = live + grow as i64 - shrink as i64;
        m.set((n + 1, bytes + grow as u64, live, peak.max(live)));
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the counters are
// a const-initialised thread-local without a destructor (no allocation).
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size(), 0);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size(), 0);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size, layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        METER.with(|m| {
            let (n, bytes, live, peak) = m.get();
            m.set((n, bytes, live - layout.size() as i64, peak));
        });
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Meter = Meter;

/// Heap use of `f` on this thread: allocations, bytes allocated, and how
/// far the live bytes rose above where they were.
fn metered<R>(f: impl FnOnce() -> R) -> (R, Value) {
    let (n0, b0, live0, _) = METER.with(Cell::get);
    METER.with(|m| m.set((n0, b0, live0, live0)));
    let r = f();
    let (n1, b1, _, peak) = METER.with(Cell::get);
    let v = json!({"allocations": n1 - n0, "bytes": b1 - b0, "peak_live_bytes": peak - live0});
    (r, v)
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        Err(_) => default,
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // <target>/release/deps/kernel_dump-<hash>
            let exe = std::env::current_exe().ok()?;
            Some(exe.ancestors().nth(3)?.to_path_buf())
        })
        .unwrap_or_else(|| workspace().join("target"))
}

/// The `procslink` command: see the module documentation.
fn procslink_bin(target: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("PROCSLINK_BIN") {
        return PathBuf::from(p);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace())
        .args(["build", "--release", "--quiet", "--features", "cli"])
        .args(["--bin", "procslink", "-p", "procslink"])
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("run cargo build for the procslink command");
    assert!(status.success(), "cargo build --bin procslink failed");
    target.join("release").join("procslink")
}

fn imports_pyroute2(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import pyroute2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python that can `import pyroute2`: see the module documentation.
fn pyroute2_python(full: bool) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROCSLINK_BENCH_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = workspace().join("target/bench-venv");
    let found = [venv.clone(), workspace().join("target/interop-venv")]
        .into_iter()
        .map(|v| v.join("bin/python"))
        .find(|p| imports_pyroute2(p));
    if found.is_some() || !full {
        return found;
    }
    eprintln!("kernel_dump: creating target/bench-venv with pyroute2 from PyPI");
    let ok = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "pyroute2"])
            .status()
            .is_ok_and(|s| s.success());
    let python = venv.join("bin/python");
    (ok && imports_pyroute2(&python)).then_some(python)
}

/// Runs a command to its end with its output thrown away.
fn run_quiet(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?}: {status}"))
    }
}

/// The length of the JSON array a command prints.
fn json_len(cmd: &mut Command) -> usize {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    v.as_array().expect("JSON array").len()
}

fn pyroute2(python: &Path, table: Table, iterations: usize) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/kernel_dump.py");
    let out = Command::new(python)
        .arg(script)
        .args([table.name(), &iterations.to_string()])
        .output()
        .expect("run py/kernel_dump.py");
    assert!(
        out.status.success(),
        "py/kernel_dump.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("py/kernel_dump.py output")
}

fn row(s: &Summary) -> Value {
    json!({"runs": s.calls, "p50_ns": s.p50_ns, "p99_ns": s.p99_ns})
}

fn kernel_dump(c: &mut Criterion) {
    // `cargo bench` passes --bench, and --test too for `-- --test`.
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let routes = env_usize("PROCSLINK_BENCH_ROUTES", if full { 100_000 } else { 200 });
    let veths = env_usize("PROCSLINK_BENCH_VETHS", if full { 500 } else { 5 });
    let rounds = env_usize("PROCSLINK_BENCH_ROUNDS", if full { 15 } else { 2 });
    let py_iters = env_usize("PROCSLINK_BENCH_PY_ITERS", if full { 5 } else { 1 });
    let small_routes = (routes / 10).max(1);
    assert!(
        routes <= kd::MAX_ROUTES,
        "PROCSLINK_BENCH_ROUTES: at most {}",
        kd::MAX_ROUTES
    );

    let load_before = loadavg();
    let big = match Netns::create("big") {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!(
                "kernel_dump: cannot make a network namespace ({e}): skipped (needs root and iproute2)"
            );
            return;
        }
    };
    let t = Instant::now();
    big.fill(veths, routes).expect("fill the namespace");
    let fill_s = t.elapsed().as_secs_f64();
    println!(
        "kernel_dump: {} filled with {veths} veth pairs and {routes} routes in {fill_s:.1} s",
        big.name()
    );
    let target = target_dir();
    let bin = procslink_bin(&target);
    let python = pyroute2_python(full);
    if python.is_none() {
        eprintln!(
            "kernel_dump: no Python with pyroute2 (target/bench-venv, target/interop-venv or $PROCSLINK_BENCH_PYTHON): pyroute2 rows skipped"
        );
    }

    let home = File::open("/proc/thread-self/ns/net").expect("this thread's network namespace");
    big.enter().expect("enter the namespace");
    let mut socket = KernelSocket::open(Protocol::ROUTE).expect("NETLINK_ROUTE socket");
    let mut raw = RawDump::open().expect("raw NETLINK_ROUTE socket");

    let mut results = BTreeMap::<String, Value>::new();
    let mut tables = BTreeMap::<String, Value>::new();
    for table in [Table::Route, Table::Link] {
        let request = table.request();
        // Correctness first: every contender sees the same objects.
        let d = kd::crate_dump(&mut socket, table, &request);
        let (messages, bytes) = raw.dump(&request).expect("raw dump");
        assert_eq!(
            d.messages,
            messages,
            "{}: crate and raw C counts",
            table.name()
        );
        assert_eq!(
            kd::crate_dump(&mut socket, table, &request),
            d,
            "stable table"
        );
        let ip_n = json_len(Command::new("ip").args(table.ip_args()));
        let pl_n = json_len(Command::new(&bin).args(["dump", table.name(), "-j"]));
        assert_eq!(
            pl_n as u64,
            messages,
            "{}: procslink -j count",
            table.name()
        );
        assert_eq!(ip_n as u64, messages, "{}: ip -j count", table.name());
        let (_, reuse) = metered(|| kd::crate_dump(&mut socket, table, &request));
        println!(
            "kernel_dump {:<5} {messages} objects, {bytes} bytes per dump; heap on an open socket per dump: {reuse}",
            table.name()
        );
        tables.insert(
            table.name().into(),
            json!({"objects": messages, "bytes": bytes, "heap_per_dump_open_socket": reuse}),
        );

        let mut contenders: Vec<Contender<'_>> = vec![
            (
                "crate",
                Box::new(|| {
                    black_box(kd::crate_dump(&mut socket, table, &request));
                    Ok(())
                }),
            ),
            (
                "raw-c",
                Box::new(|| {
                    raw.dump(&request)
                        .map(|r| {
                            black_box(r);
                        })
                        .map_err(|e| e.to_string())
                }),
            ),
            (
                "ip-j",
                Box::new(|| run_quiet(Command::new("ip").args(table.ip_args()))),
            ),
            (
                "procslink-j",
                Box::new(|| run_quiet(Command::new(&bin).args(["dump", table.name(), "-j"]))),
            ),
        ];
        let mut by_who = BTreeMap::<String, Value>::new();
        for (who, s) in timed_rounds(1, rounds, rounds, &mut contenders) {
            println!(
                "kernel_dump {:<5} {who:<12} p50 {:>9.3} ms  p99 {:>9.3} ms  ({} runs)",
                table.name(),
                s.p50_ns / 1e6,
                s.p99_ns / 1e6,
                s.calls
            );
            by_who.insert(who, row(&s));
        }
        drop(contenders);
        if let Some(py) = &python {
            let v = pyroute2(py, table, py_iters);
            assert_eq!(
                v["count"].as_u64(),
                Some(messages),
                "{}: pyroute2 count",
                table.name()
            );
            println!(
                "kernel_dump {:<5} pyroute2     p50 {:>9.3} ms  ({py_iters} runs, timed in Python)",
                table.name(),
                v["median_ns"].as_f64().unwrap_or(0.0) / 1e6
            );
            by_who.insert("pyroute2".into(), v);
        }
        results.insert(table.name().into(), json!(by_who));
    }

    // Memory of the crate's whole path, at a tenth of the routes and at
    // all of them: a fresh socket, one dump, every message decoded.
    kd::enter_file(&home).expect("back to the bench's namespace");
    let small = Netns::create("small").expect("second namespace");
    small
        .fill(veths, small_routes)
        .expect("fill the second namespace");
    let mut memory = BTreeMap::<String, Value>::new();
    for (ns, n) in [(&small, small_routes), (&big, routes)] {
        ns.enter().expect("enter");
        let request = Table::Route.request();
        let (d, heap) = metered(|| {
            let mut s = KernelSocket::open(Protocol::ROUTE).expect("socket");
            kd::crate_dump(&mut s, Table::Route, &request)
        });
        println!(
            "kernel_dump memory: {n} routes ({} objects): fresh socket + dump + decode: {heap}",
            d.messages
        );
        memory.insert(n.to_string(), json!({"objects": d.messages, "heap": heap}));
    }
    drop(small);
    big.enter().expect("enter");

    let mut g = c.benchmark_group("kernel-dump");
    // Tens to hundreds of milliseconds per iteration: flat sampling, not
    // criterion's linear ramp of 1, 2, … 10 iterations per sample.
    g.sampling_mode(SamplingMode::Flat);
    for table in [Table::Route, Table::Link] {
        let request = table.request();
        let p = table.name();
        g.bench_function(BenchmarkId::new("crate", p), |b| {
            b.iter(|| black_box(kd::crate_dump(&mut socket, table, &request)))
        });
        g.bench_function(BenchmarkId::new("raw-c", p), |b| {
            b.iter(|| black_box(raw.dump(&request).expect("raw dump")))
        });
        g.bench_function(BenchmarkId::new("ip-j", p), |b| {
            b.iter(|| run_quiet(Command::new("ip").args(table.ip_args())).expect("ip"))
        });
        g.bench_function(BenchmarkId::new("procslink-j", p), |b| {
            b.iter(|| {
                run_quiet(Command::new(&bin).args(["dump", table.name(), "-j"])).expect("procslink")
            })
        });
    }
    g.finish();
    kd::enter_file(&home).expect("back to the bench's namespace");
    drop((socket, raw));

    let ip_version = Command::new("ip")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let meta = json!({
        "routes": routes,
        "veths": veths,
        "rounds": rounds,
        "pyroute2_iterations": py_iters,
        "fill_seconds": fill_s,
        "tables": tables,
        "results": results,
        "memory": memory,
        "ip": ip_version,
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "unix_time": SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
    });
    if full {
        let path = target.join("criterion").join("procslink-kernel-dump.json");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("criterion dir");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&meta).expect("json") + "\n",
        )
        .expect("write procslink-kernel-dump.json");
    }
    drop(big);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
}

criterion_group! {
    name = benches;
    config = config();
    targets = kernel_dump
}
criterion_main!(benches);
