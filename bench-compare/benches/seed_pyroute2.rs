//! A link dump through pyroute2's envelope transport (BENCHMARKS.md,
//! "pyroute2 envelope transport"): the crate's client and broker
//! (`procslink::peer::pyroute2`) beside pyroute2 0.2.16's, over TCP on the
//! loopback.
//!
//! Contenders, each one `RTM_GETLINK` dump through a broker into this
//! machine's kernel, every link's name read:
//!
//! - `crate/crate`: `RemoteClient::dump` through a `RemoteServer`;
//! - `crate/pyroute2`: `RemoteClient::dump` through pyroute2's
//!   `IPRoute().serve(url)` (`../shared/references/pyroute2/server.py`);
//! - `pyroute2/crate` and `pyroute2/pyroute2`: pyroute2's
//!   `IPRoute(host=url).get_links()` through either broker, timed inside
//!   Python (`py/pyroute2_envelope_dump.py`), so the interpreter's
//!   start-up and the connection are not counted.
//!
//! criterion times the crate's client; the bench also times `ROUNDS`
//! dumps of every contender by hand and prints the medians and the ratio
//! of `pyroute2/pyroute2` to `crate/crate`.
//!
//! pyroute2 comes from `scripts/references/pyroute2.sh` (a Python 3.7 venv
//! under `target/references/pyroute2/`, or `$PROCSLINK_REFERENCE_TOOLS`)
//! and the references folder (`../shared/references/`, or
//! `$PROCSLINK_REFERENCES`); without them the pyroute2 rows are skipped
//! with a notice. Without a NETLINK_ROUTE socket the bench skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::{Builder, flags::Flags};
use procslink::peer::pyroute2::{RemoteClient, RemoteServer};
use procslink_bench::references;
use serde_json::Value;

/// pyroute2's venv Python, its shim folder and the references folder.
fn pyroute2() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let python = references::tool("pyroute2/venv/bin/python")?;
    let refs = references::reference("pyroute2/server.py")?
        .parent()?
        .to_path_buf();
    Some((python, refs.join("shim"), refs))
}

/// A subprocess killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn link_request() -> Vec<u8> {
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    let n = m.finish().unwrap();
    buf[..n].to_vec()
}

/// One dump, every link's name read; returns the name bytes seen.
fn crate_dump(client: &mut RemoteClient, request: &[u8]) -> usize {
    let mut bytes = 0;
    client
        .dump(request, |m| {
            if let Ok((_, attrs)) = m.family_header::<Ifinfomsg>()
                && let Ok(Some(name)) = attrs.lookup(rt_link::IFLA_IFNAME)
            {
                bytes += name.bytes_str().len();
            }
        })
        .expect("a link dump");
    bytes
}

fn median_ns(mut times: Vec<u128>) -> f64 {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or(0) as f64
}

fn time_crate(url: &str, rounds: usize) -> f64 {
    let mut client = RemoteClient::connect(url).expect("connect");
    let request = link_request();
    crate_dump(&mut client, &request);
    let times = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(crate_dump(&mut client, &request));
            t.elapsed().as_nanos()
        })
        .collect();
    median_ns(times)
}

fn time_python(python: &Path, shim: &Path, url: &str, rounds: usize) -> f64 {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/pyroute2_envelope_dump.py");
    let out = Command::new(python)
        .arg(script)
        .args([url, &rounds.to_string()])
        .env("PYTHONPATH", shim)
        .output()
        .expect("run py/pyroute2_envelope_dump.py");
    assert!(
        out.status.success(),
        "py/pyroute2_envelope_dump.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("its JSON line");
    v["p50_ns"].as_f64().expect("p50_ns")
}

/// Starts pyroute2's broker (`server.py`) on a free port; returns it and
/// its URL once it says it is serving.
fn pyroute2_server(python: &Path, shim: &Path, refs: &Path) -> (Running, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("tcp://127.0.0.1:{port}");
    let mut child = Command::new(python)
        .arg(refs.join("server.py"))
        .args([url.as_str(), "3600"])
        .env("PYTHONPATH", shim)
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server.py");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("server.py starts");
    assert!(line.starts_with("serving"), "server.py: {line}");
    (Running(child), url)
}

fn seed_pyroute2(c: &mut Criterion) {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let rounds = if full { 300 } else { 3 };
    if let Err(e) = KernelSocket::open(Protocol::ROUTE) {
        eprintln!("seed_pyroute2: no NETLINK_ROUTE socket ({e}): skipped");
        return;
    }
    let server = RemoteServer::bind("tcp://127.0.0.1:0")
        .expect("bind")
        .spawn()
        .expect("spawn");
    let crate_url = server.url();
    let references = pyroute2();
    if references.is_none() {
        eprintln!(
            "seed_pyroute2: pyroute2 0.2.16 not installed (scripts/references/pyroute2.sh): pyroute2 rows skipped"
        );
    }
    let reference_server = references
        .as_ref()
        .map(|(python, shim, refs)| pyroute2_server(python, shim, refs));

    let mut group = c.benchmark_group("pyroute2-link-dump");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let request = link_request();
    let mut client = RemoteClient::connect(&crate_url).expect("connect");
    group.bench_function("crate/crate", |b| {
        b.iter(|| crate_dump(&mut client, &request))
    });
    if let Some((_, url)) = &reference_server {
        let mut client = RemoteClient::connect(url).expect("connect to server.py");
        group.bench_function("crate/pyroute2", |b| {
            b.iter(|| crate_dump(&mut client, &request))
        });
    }
    group.finish();

    let crate_crate = time_crate(&crate_url, rounds);
    println!("seed_pyroute2: median link dump, client/broker, {rounds} rounds:");
    println!("  crate/crate        {:>10.1} us", crate_crate / 1e3);
    if let (Some((python, shim, _)), Some((_, url))) = (&references, &reference_server) {
        let crate_py = time_crate(url, rounds);
        let py_crate = time_python(python, shim, &crate_url, rounds);
        let py_py = time_python(python, shim, url, rounds);
        println!("  crate/pyroute2     {:>10.1} us", crate_py / 1e3);
        println!("  pyroute2/crate     {:>10.1} us", py_crate / 1e3);
        println!("  pyroute2/pyroute2  {:>10.1} us", py_py / 1e3);
        println!(
            "  pyroute2/pyroute2 / crate/crate = {:.1}x",
            py_py / crate_crate.max(1.0)
        );
    }
    drop(client);
    let stats = server.stop();
    assert_eq!(stats.broken, 0, "{stats:?}");
}

criterion_group!(benches, seed_pyroute2);
criterion_main!(benches);
