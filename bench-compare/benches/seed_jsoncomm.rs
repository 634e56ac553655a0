//! The jsoncomm round trip (BENCHMARKS.md, "jsoncomm round trip"): one
//! JSON-RPC document per Unix datagram, `echo("Rust")` answered `"Rust"`,
//! one call at a time.
//!
//! - `rust`: the crate's [`Client::jsoncomm`] calling the crate's
//!   [`Server::bind_jsoncomm`] (served on a thread of this process, pinned
//!   as `$PROCSLINK_RT_PIN` places servers);
//! - `rust-raw`: the crate's [`JsoncommSocket`] sending the request
//!   document and reading the answer as a value, to the same server;
//! - `rust-procslink-unix`: for scale, the same crate client and server
//!   with ProcsLink headers over Unix datagrams ([`Server::bind_unix`]);
//! - `rust-to-python`: the crate's client calling the reference's server;
//! - `unix-floor`: the transport's floor, nothing parsed: a plain
//!   `UnixDatagram` sends the request's bytes and reads the answer to the
//!   C echo server of `c/pingpong.c` (on a thread pinned where servers
//!   go), which answers every datagram with the crate server's answer to
//!   that request, byte for byte;
//! - `python`: the real osbuild jsoncomm module (`jsoncomm.py` of the
//!   references, imported as it is by `py/jsoncomm_rt.py`) as client and
//!   as server, in two processes, timed inside Python with
//!   `time.perf_counter_ns`.
//!
//! Every contender must give the right answer before anything is timed.
//! The timed loops print p50, p99 and calls per second and the ratio of
//! the reference's p50 to the crate's; criterion's `seed_jsoncomm` group
//! times one `rust` call per iteration. Without the references (or
//! Python) the Python rows are skipped with a notice.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::peer::{
    Client, ClientOptions, JsoncommSocket, Methods, Params, RpcError, Server, ServerOptions,
    UnixAddr,
};
use procslink_bench::references;
use procslink_bench::roundtrip::{self as rt, Spawned, Summary, timed_rounds};
use procslink_bench::throughput::CEcho;
use serde_json::{Value, json};

const WARMUP: usize = 2_000;
const CALLS: usize = 20_000;
const ROUNDS: usize = 20;

/// The folder of the real `jsoncomm.py`: `$PROCSLINK_REFERENCES/jsoncomm`,
/// else `../shared/references/jsoncomm` beside the workspace.
fn jsoncomm_dir() -> Option<PathBuf> {
    references::reference("jsoncomm/jsoncomm.py").and_then(|p| p.parent().map(PathBuf::from))
}

fn py_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/jsoncomm_rt.py")
}

fn python() -> PathBuf {
    std::env::var_os("PROCSLINK_JSONCOMM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

fn print(who: &str, s: &Summary) {
    println!(
        "seed_jsoncomm {who:<20} p50 {:>8.0} ns  p99 {:>8.0} ns  {:>8.0} calls/s  ({} calls)",
        s.p50_ns, s.p99_ns, s.calls_per_s, s.calls
    );
}

fn python_client(dir: &PathBuf, path: &str, calls: usize, cpu: Option<usize>) -> Summary {
    let mut cmd = Command::new(python());
    rt::on_cpu(&mut cmd, cpu);
    let out = cmd
        .arg(py_script())
        .arg(dir)
        .args(["client", path, &calls.to_string()])
        .output()
        .expect("run the Python jsoncomm client");
    Summary::from_python(&out, "Python jsoncomm client")
}

fn echo_methods() -> Methods {
    let mut methods = Methods::new();
    methods.add("echo", |p: Params| -> Result<Value, RpcError> {
        p.arg::<Value>(0, "value")
    });
    methods
}

fn seed_jsoncomm(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let (warmup, calls) = if full { (WARMUP, CALLS) } else { (20, 200) };
    let pin = rt::Pin::from_env();
    if let Some(cpu) = pin.client_cpu() {
        rt::pin_to(cpu).expect("pin the bench to its CPU");
    }
    let server_cpu = pin.server_cpu();

    // The crate's server, on a thread pinned where servers go.
    let addr = UnixAddr::abstract_name(format!("procslink-bench-jsoncomm-{}", std::process::id()));
    let server = Server::bind_jsoncomm(addr.clone(), echo_methods(), ServerOptions::new())
        .expect("bind the jsoncomm server");
    let procslink_addr =
        UnixAddr::abstract_name(format!("procslink-bench-unix-{}", std::process::id()));
    let procslink_server =
        Server::bind_unix(procslink_addr.clone(), echo_methods(), ServerOptions::new())
            .expect("bind the ProcsLink Unix server");
    let serving: Vec<_> = [server.clone(), procslink_server.clone()]
        .into_iter()
        .map(|server| {
            std::thread::spawn(move || {
                if let Some(cpu) = server_cpu {
                    rt::pin_to(cpu).expect("pin the server");
                }
                server.serve()
            })
        })
        .collect();

    let dir = jsoncomm_dir();
    if dir.is_none() {
        eprintln!(
            "NOTICE: seed_jsoncomm: no jsoncomm.py in the references (set PROCSLINK_REFERENCES): Python rows skipped"
        );
    }
    let py_path = std::env::temp_dir().join(format!(
        "procslink-bench-jsoncomm-{}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&py_path);
    let py_server = dir.as_ref().and_then(|dir| {
        let mut cmd = Command::new(python());
        cmd.arg(py_script()).arg(dir).arg("server").arg(&py_path);
        rt::on_cpu(&mut cmd, server_cpu);
        match Spawned::start(cmd) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("NOTICE: seed_jsoncomm: the Python jsoncomm server did not start ({e}): Python rows skipped");
                None
            }
        }
    });
    let py_addr = UnixAddr::Path(py_path.clone());

    // Correctness first.
    let client = Client::jsoncomm_with(ClientOptions::new().timeout(Duration::from_secs(5)))
        .expect("client");
    let echo = |client: &Client, to: &UnixAddr| -> Result<(), String> {
        match client.call(to.clone(), "echo", json!(["Rust"])) {
            Ok(v) if v == json!("Rust") => Ok(()),
            other => Err(format!("echo answered {other:?}")),
        }
    };
    echo(&client, &addr).expect("rust echo");
    let procslink_client =
        Client::unix_with(ClientOptions::new().timeout(Duration::from_secs(5))).expect("client");
    echo(&procslink_client, &procslink_addr).expect("rust-procslink-unix echo");
    if py_server.is_some() {
        echo(&client, &py_addr).expect("rust-to-python echo");
    }
    let raw = JsoncommSocket::new_client(Some(&addr)).expect("raw client");
    let mut raw_id = 0u64;
    let mut raw_call = || -> Result<(), String> {
        raw_id += 1;
        let request = json!({"jsonrpc": "2.0", "method": "echo", "params": ["Rust"], "id": raw_id});
        raw.send(&request, None, &[]).map_err(|e| e.to_string())?;
        let answer = raw.recv().map_err(|e| e.to_string())?;
        if answer.payload["result"] == "Rust" && answer.payload["id"] == raw_id {
            Ok(())
        } else {
            Err(format!("answered {}", answer.payload))
        }
    };
    raw_call().expect("rust-raw echo");

    // The floor: the same request's bytes, the crate server's answer to
    // them echoed by the C server.
    let floor_request = br#"{"jsonrpc":"2.0","method":"echo","params":["Rust"],"id":1}"#;
    let floor_client = bound_datagram("probe");
    floor_client
        .connect_addr(&abstract_std(&addr))
        .expect("floor socket connects to the crate server");
    let mut answer = [0u8; 512];
    floor_client.send(floor_request).expect("floor request");
    let n = floor_client
        .recv(&mut answer)
        .expect("the crate server's answer");
    let floor_response = answer[..n].to_vec();
    let floor_path = std::env::temp_dir().join(format!(
        "procslink-bench-jsoncomm-floor-{}.sock",
        std::process::id()
    ));
    let floor_echo = CEcho::open_unix(&floor_path).expect("the C echo server");
    {
        let response = floor_response.clone();
        std::thread::spawn(move || {
            if let Some(cpu) = server_cpu {
                rt::pin_to(cpu).expect("pin the C echo server");
            }
            // Serves until the process ends.
            floor_echo.serve(&response)
        });
    }
    let floor = bound_datagram("floor");
    floor
        .connect(&floor_path)
        .expect("connect to the C echo server");
    let mut floor_buf = [0u8; 512];
    let mut floor_call = || -> Result<(), String> {
        floor.send(floor_request).map_err(|e| e.to_string())?;
        let n = floor.recv(&mut floor_buf).map_err(|e| e.to_string())?;
        if floor_buf.get(..n) == Some(&floor_response[..]) {
            Ok(())
        } else {
            Err("the C echo server answered other bytes".to_string())
        }
    };
    floor_call().expect("unix-floor echo");

    let mut contenders: Vec<rt::Contender<'_>> = vec![
        ("unix-floor", Box::new(&mut floor_call)),
        ("rust", Box::new(|| echo(&client, &addr))),
        ("rust-raw", Box::new(&mut raw_call)),
        (
            "rust-procslink-unix",
            Box::new(|| echo(&procslink_client, &procslink_addr)),
        ),
    ];
    if py_server.is_some() {
        contenders.push(("rust-to-python", Box::new(|| echo(&client, &py_addr))));
    }
    let results = timed_rounds(warmup, calls, ROUNDS, &mut contenders);
    drop(contenders);
    for (who, s) in &results {
        print(who, s);
    }
    if let (Some(dir), Some(_)) = (&dir, &py_server) {
        let python = python_client(dir, &py_path.to_string_lossy(), calls, pin.client_cpu());
        print("python", &python);
        if let Some((_, rust)) = results.iter().find(|(who, _)| who == "rust") {
            println!(
                "seed_jsoncomm ratio python/rust: p50 {:.1}x, calls/s {:.1}x (pin {})",
                python.p50_ns / rust.p50_ns,
                rust.calls_per_s / python.calls_per_s,
                pin.name()
            );
        }
    }

    let mut g = c.benchmark_group("seed_jsoncomm");
    g.bench_function("rust", |b| b.iter(|| black_box(echo(&client, &addr))));
    g.finish();

    drop(py_server);
    let _ = std::fs::remove_file(&py_path);
    let _ = std::fs::remove_file(&floor_path);
    server.stopper().stop();
    procslink_server.stopper().stop();
    for thread in serving {
        let _ = thread.join();
    }
}

/// A Unix datagram socket bound to an abstract name of this process (the
/// servers answer the sender's address).
fn bound_datagram(what: &str) -> std::os::unix::net::UnixDatagram {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("procslink-bench-jsoncomm-{what}-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).expect("an abstract name");
    std::os::unix::net::UnixDatagram::bind_addr(&addr).expect("bind a floor socket")
}

/// `addr` (an abstract name) as std spells a socket address.
fn abstract_std(addr: &UnixAddr) -> std::os::unix::net::SocketAddr {
    use std::os::linux::net::SocketAddrExt;
    match addr {
        UnixAddr::Abstract(name) => {
            std::os::unix::net::SocketAddr::from_abstract_name(name).expect("an abstract name")
        }
        other => panic!("not an abstract name: {other}"),
    }
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
    targets = seed_jsoncomm
}
criterion_main!(benches);
