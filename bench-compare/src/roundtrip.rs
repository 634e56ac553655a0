//! The RPC round trip between two processes: what the `rt_server` binary
//! serves and what `benches/roundtrip.rs` calls.
//!
//! - **raw**: a `NETLINK_USERSOCK` ping-pong with no codec, the floor. The
//!   client sends the bytes of the corpus request
//!   `procslink/request-positional.bin` (`hello("Rust")`, 106 bytes) with
//!   its own port in `nlmsg_pid`; the server answers every datagram with
//!   the fixed bytes of `procslink/response-result.bin` (93 bytes) with its
//!   port in `nlmsg_pid`. Plain `sendto`/`recvfrom` through rustix into
//!   buffers allocated once; nothing is parsed.
//! - **peer**: [`procslink::peer::Client::call`] of `hello("Rust")` against
//!   a [`procslink::peer::Server`] serving [`procslink::peer::demo::methods`],
//!   over netlink or a Unix datagram socket.
//! - **Python**: the reference ProcsLink 0.1.2 (`py/rt_peer.py`).

use std::io::{self, BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, bind, getsockname, recvfrom,
    sendto, socket_with,
};

use crate::corpus;

/// The corpus request: `{"jsonrpc": "2.0", "method": "hello", "id": 1,
/// "params": ["Rust"]}` in a ProcsLink datagram.
pub const REQUEST: &str = "procslink/request-positional.bin";
/// The corpus response: `{"jsonrpc": "2.0", "id": 7, "result": "Hello,
/// Rust!"}` in a ProcsLink datagram.
pub const RESPONSE: &str = "procslink/response-result.bin";
/// The method, params and result every contender calls and checks.
pub const METHOD: &str = "hello";
/// The argument of [`METHOD`].
pub const ARG: &str = "Rust";
/// What [`METHOD`] returns for [`ARG`].
pub const RESULT: &str = "Hello, Rust!";

/// `datagram` with `nlmsg_pid` (bytes 12..16, big-endian as the reference
/// writes its headers) set to `pid`.
pub fn with_pid(datagram: &[u8], pid: u32) -> Vec<u8> {
    let mut d = datagram.to_vec();
    d[12..16].copy_from_slice(&pid.to_be_bytes());
    d
}

/// A bare `NETLINK_USERSOCK` socket bound to a kernel-assigned port.
pub struct RawNetlink {
    fd: OwnedFd,
    port: u32,
}

impl RawNetlink {
    /// Opens and binds the socket.
    pub fn open() -> io::Result<Self> {
        let fd = socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            Some(netlink::USERSOCK),
        )?;
        bind(&fd, &SocketAddrNetlink::new(0, 0))?;
        let addr = SocketAddrNetlink::try_from(getsockname(&fd)?)?;
        Ok(RawNetlink {
            fd,
            port: addr.pid(),
        })
    }

    /// The port id the kernel assigned.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Sends one datagram to `port`.
    pub fn send_to(&self, port: u32, bytes: &[u8]) -> io::Result<usize> {
        Ok(sendto(
            &self.fd,
            bytes,
            SendFlags::empty(),
            &SocketAddrNetlink::new(port, 0),
        )?)
    }

    /// Receives one datagram into `buf`: its length and the sender's port.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, u32)> {
        let (n, _, addr) = recvfrom(&self.fd, buf, RecvFlags::empty())?;
        let from = addr
            .and_then(|a| SocketAddrNetlink::try_from(a).ok())
            .map_or(0, |a| a.pid());
        Ok((n, from))
    }

    /// Sets `SO_RCVTIMEO` so that a lost datagram fails instead of hanging.
    pub fn set_recv_timeout(&self, timeout: Duration) -> io::Result<()> {
        Ok(rustix::net::sockopt::set_socket_timeout(
            &self.fd,
            rustix::net::sockopt::Timeout::Recv,
            Some(timeout),
        )?)
    }
}

/// The raw ping-pong client: one [`call`](Self::call) is one `sendto` of
/// the request and one `recvfrom` of the response, compared with the
/// expected bytes only by [`check`](Self::check).
pub struct RawClient {
    socket: RawNetlink,
    server: u32,
    request: Vec<u8>,
    expected: Vec<u8>,
    buf: Vec<u8>,
    len: usize,
}

impl RawClient {
    /// A client of the raw server at `server`.
    pub fn new(server: u32) -> io::Result<Self> {
        let socket = RawNetlink::open()?;
        socket.set_recv_timeout(Duration::from_secs(5))?;
        let request = with_pid(&corpus::read(REQUEST), socket.port());
        let expected = with_pid(&corpus::read(RESPONSE), server);
        Ok(RawClient {
            socket,
            server,
            request,
            expected,
            buf: vec![0; 4096],
            len: 0,
        })
    }

    /// The request datagram's size.
    pub fn request_len(&self) -> usize {
        self.request.len()
    }

    /// The size of the last response received by [`call`](Self::call).
    pub fn last_len(&self) -> usize {
        self.len
    }

    /// One round trip.
    #[inline]
    pub fn call(&mut self) -> io::Result<()> {
        self.socket.send_to(self.server, &self.request)?;
        let (n, _, _) = recvfrom(&self.socket.fd, &mut self.buf[..], RecvFlags::empty())?;
        self.len = n;
        Ok(())
    }

    /// One round trip, checking that the response is the expected bytes
    /// from the server's port.
    pub fn check(&mut self) -> io::Result<()> {
        self.socket.send_to(self.server, &self.request)?;
        let mut buf = [0u8; 4096];
        let (n, from) = self.socket.recv_from(&mut buf)?;
        if from != self.server || buf[..n] != self.expected[..] {
            return Err(io::Error::other(format!(
                "raw server at {} answered {n} unexpected bytes from port {from}",
                self.server
            )));
        }
        Ok(())
    }
}

/// A child process that is killed (and reaped) when dropped. It is also
/// given a pipe as stdin, which it watches: when the bench dies without
/// dropping this, the pipe closes and the child exits by itself.
pub struct Spawned {
    child: Child,
    _stdin: Option<ChildStdin>,
    /// The first line the child printed: its port or address.
    pub address: String,
}

impl Spawned {
    /// Starts `cmd` and waits for its first line of output.
    pub fn start(mut cmd: Command) -> io::Result<Self> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let mut spawned = Spawned {
            child,
            _stdin: stdin,
            address: String::new(),
        };
        BufReader::new(stdout).read_line(&mut line)?;
        if line.trim().is_empty() {
            return Err(io::Error::other(format!("{cmd:?} printed no address")));
        }
        spawned.address = line.trim().to_string();
        Ok(spawned)
    }

    /// The address as a netlink port.
    pub fn port(&self) -> u32 {
        self.address
            .parse()
            .unwrap_or_else(|_| panic!("not a port: {:?}", self.address))
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `rt_server` binary in `mode` (`raw`, `peer-netlink` or
/// `peer-unix PATH`).
pub fn rt_server(exe: &Path, args: &[&str], cpu: Option<usize>) -> io::Result<Spawned> {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    on_cpu(&mut cmd, cpu);
    Spawned::start(cmd)
}

/// The Python of the virtualenv holding the reference ProcsLink 0.1.2:
/// `$PROCSLINK_PYTHON`, else `target/interop-venv/bin/python` of the
/// workspace (see BENCHMARKS.md). `None` when it is missing or cannot
/// import `procslink`.
pub fn reference_python() -> Option<PathBuf> {
    let python = match std::env::var_os("PROCSLINK_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => workspace().join("target/interop-venv/bin/python"),
    };
    let ok = Command::new(&python)
        .args(["-c", "import procslink"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(python)
}

/// Where cargo builds: `$CARGO_TARGET_DIR`, else three levels above the
/// running bench (`target/<profile>/deps/<bench>-<hash>`), else `target`.
/// The benches write their timed loops under its `criterion/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.ancestors().nth(3)?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `py/rt_peer.py`.
pub fn py_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/rt_peer.py")
}

/// Where the processes run, from `$PROCSLINK_RT_PIN`:
///
/// - `one` (the default): the bench, its client threads and every server
///   on CPU 0, so each wake-up is a context switch on one CPU;
/// - `two`: the bench on CPU 0, the servers on CPU 1, so every request and
///   response crosses CPUs;
/// - `none`: wherever the scheduler puts them.
///
/// On the 2-vCPU KVM guest of BENCHMARKS.md an unpinned or cross-CPU
/// wake-up of an idle vCPU costs tens of microseconds and varies from run
/// to run, which would swamp what is measured; see BENCHMARKS.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pin {
    /// Everything on CPU 0.
    One,
    /// Client on CPU 0, servers on CPU 1.
    Two,
    /// Not pinned.
    None,
}

impl Pin {
    /// `$PROCSLINK_RT_PIN`, default [`Pin::One`].
    pub fn from_env() -> Pin {
        match std::env::var("PROCSLINK_RT_PIN").as_deref() {
            Ok("two") => Pin::Two,
            Ok("none") => Pin::None,
            _ => Pin::One,
        }
    }

    /// The name, as `$PROCSLINK_RT_PIN` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Pin::One => "one",
            Pin::Two => "two",
            Pin::None => "none",
        }
    }

    /// The CPU of the client (this process), if pinned.
    pub fn client_cpu(self) -> Option<usize> {
        (self != Pin::None).then_some(0)
    }

    /// The CPU of the servers, if pinned.
    pub fn server_cpu(self) -> Option<usize> {
        match self {
            Pin::One => Some(0),
            Pin::Two => Some(1),
            Pin::None => None,
        }
    }
}

/// Pins the calling thread (and the threads and processes it starts later)
/// to `cpu`.
pub fn pin_to(cpu: usize) -> io::Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    Ok(rustix::thread::sched_setaffinity(None, &set)?)
}

/// `cmd` pinned to `cpu` (the child pins itself: `rt_server` and
/// `rt_peer.py` read `$PROCSLINK_RT_CPU`).
pub fn on_cpu(cmd: &mut Command, cpu: Option<usize>) {
    match cpu {
        Some(cpu) => cmd.env("PROCSLINK_RT_CPU", cpu.to_string()),
        None => cmd.env_remove("PROCSLINK_RT_CPU"),
    };
}

/// Latencies of a timed loop.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// Calls timed.
    pub calls: usize,
    /// Median, ns.
    pub p50_ns: f64,
    /// 99th percentile, ns.
    pub p99_ns: f64,
    /// Calls per second over the whole loop.
    pub calls_per_s: f64,
}

impl Summary {
    /// From the latencies of `calls` calls that took `total` in all.
    pub fn from_latencies(mut ns: Vec<u64>, total: Duration) -> Self {
        ns.sort_unstable();
        let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q).round() as usize] as f64;
        Summary {
            calls: ns.len(),
            p50_ns: at(0.50),
            p99_ns: at(0.99),
            calls_per_s: ns.len() as f64 / total.as_secs_f64(),
        }
    }

    /// From what a Python client of `py/` printed (one JSON object with
    /// `calls`, `p50_ns`, `p99_ns` and `calls_per_s`); `what` names it in
    /// the panic if it failed.
    pub fn from_python(out: &std::process::Output, what: &str) -> Self {
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("Python client output");
        let f = |k: &str| v[k].as_f64().expect(k);
        Summary {
            calls: f("calls") as usize,
            p50_ns: f("p50_ns"),
            p99_ns: f("p99_ns"),
            calls_per_s: f("calls_per_s"),
        }
    }
}

/// One contender of [`timed_rounds`]: its name and one call.
pub type Contender<'a> = (&'a str, Box<dyn FnMut() -> Result<(), String> + 'a>);

/// Times the contenders side by side: `warmup` calls of each, then
/// `rounds` rounds in which each contender in turn makes `calls / rounds`
/// calls, each timed. Interleaving them so, a drift of the machine's speed
/// during the run (another process waking, the VM's host) falls on all of
/// them alike instead of on whichever ran then.
pub fn timed_rounds(
    warmup: usize,
    calls: usize,
    rounds: usize,
    contenders: &mut [Contender<'_>],
) -> Vec<(String, Summary)> {
    for (name, call) in contenders.iter_mut() {
        for _ in 0..warmup {
            call().unwrap_or_else(|e| panic!("{name}: warm-up call: {e}"));
        }
    }
    let per_round = (calls / rounds.max(1)).max(1);
    let mut ns: Vec<Vec<u64>> = contenders
        .iter()
        .map(|_| Vec::with_capacity(per_round * rounds))
        .collect();
    let mut busy = vec![Duration::ZERO; contenders.len()];
    for _ in 0..rounds {
        for (i, (name, call)) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..per_round {
                let t = Instant::now();
                call().unwrap_or_else(|e| panic!("{name}: timed call: {e}"));
                ns[i].push(t.elapsed().as_nanos() as u64);
            }
            busy[i] += start.elapsed();
        }
    }
    contenders
        .iter()
        .zip(ns.into_iter().zip(busy))
        .map(|((name, _), (ns, busy))| (name.to_string(), Summary::from_latencies(ns, busy)))
        .collect()
}
