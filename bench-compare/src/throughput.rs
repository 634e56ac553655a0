//! The RPC round trip under concurrency: what `benches/throughput.rs`
//! runs.
//!
//! - **Floor**: the raw C ping-pong of `c/pingpong.c`. The server (the
//!   `rt_server c-echo` process, or `c-echo-unix PATH`) answers every
//!   `NETLINK_USERSOCK` (or Unix) datagram with the fixed bytes of the
//!   corpus response; `threads` C client threads, each on a socket of its
//!   own, send the corpus request and wait for the answer, timing each
//!   call. Nothing is parsed.
//! - **Peer**: `threads` threads calling `hello("Rust")` through
//!   [`Client::call`], all sharing one client ([`Sharing::Shared`]) or each
//!   with its own ([`Sharing::Separate`]), against one
//!   [`procslink::peer::Server`] (`rt_server peer-netlink` or `peer-unix`).
//!
//! Every run starts its threads together and times the wall clock from the
//! start to the last thread's end; each call is timed too, for the p50 and
//! p99 latencies ([`Summary`]).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use procslink::peer::{Address, Client, UnixAddr};
use serde_json::json;

use crate::roundtrip::{ARG, METHOD, RESULT, Summary};

mod sys {
    unsafe extern "C" {
        pub fn pp_context_switches() -> i64;
        pub fn pp_open(port: *mut u32, timeout_ms: i32) -> i32;
        pub fn pp_unix_open(path: *const std::ffi::c_char) -> i32;
        pub fn pp_unix_clients(
            path: *const std::ffi::c_char,
            request: *const u8,
            len: usize,
            threads: usize,
            calls: usize,
            lat: *mut u64,
            timeout_ms: i32,
        ) -> i64;
        pub fn pp_echo_serve(fd: i32, response: *const u8, len: usize) -> i32;
        pub fn pp_clients(
            server: u32,
            request: *const u8,
            len: usize,
            threads: usize,
            calls: usize,
            lat: *mut u64,
            timeout_ms: i32,
        ) -> i64;
    }
}

/// How long a C client waits for an answer before the run fails.
const C_TIMEOUT_MS: i32 = 5_000;

/// The C echo server's socket: a bound `NETLINK_USERSOCK` socket and its
/// port, or a Unix datagram socket bound to a path (port 0).
pub struct CEcho {
    fd: OwnedFd,
    port: u32,
}

/// A C result: a descriptor or count, or -errno.
fn c_result(r: i64) -> io::Result<i64> {
    if r >= 0 {
        return Ok(r);
    }
    Err(i32::try_from(r.unsigned_abs()).map_or_else(
        |_| io::Error::other(format!("the C floor returned {r}")),
        io::Error::from_raw_os_error,
    ))
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
}

impl CEcho {
    /// Opens and binds the socket.
    pub fn open() -> io::Result<CEcho> {
        let mut port = 0u32;
        // SAFETY: `pp_open` writes only `*port`, a valid u32.
        let fd = c_result(unsafe { sys::pp_open(&mut port, 0) }.into())?;
        // SAFETY: `fd` is a descriptor `pp_open` just opened and nothing
        // else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        Ok(CEcho { fd, port })
    }

    /// Opens a Unix datagram socket bound to `path` (removed first).
    pub fn open_unix(path: &Path) -> io::Result<CEcho> {
        let path = c_path(path)?;
        // SAFETY: `path` is a NUL-terminated string the C code only reads.
        let fd = c_result(unsafe { sys::pp_unix_open(path.as_ptr()) }.into())?;
        // SAFETY: as in `open`.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        Ok(CEcho { fd, port: 0 })
    }

    /// The port the kernel assigned.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Answers every datagram with `response` until a system call fails;
    /// returns that failure.
    pub fn serve(&self, response: &[u8]) -> io::Error {
        // SAFETY: the C loop reads only `response[..len]` and uses the
        // descriptor, which `self` keeps open for the call.
        let e =
            unsafe { sys::pp_echo_serve(self.fd.as_raw_fd(), response.as_ptr(), response.len()) };
        io::Error::from_raw_os_error(-e)
    }
}

/// The context switches of this process so far (all its threads, ended
/// ones too; `getrusage`), 0 if unknown.
pub fn context_switches() -> u64 {
    // SAFETY: no arguments; `getrusage` writes a local struct.
    let n = unsafe { sys::pp_context_switches() };
    n.try_into().unwrap_or(0)
}

/// Latencies (ns) of every call and the wall time of one run.
pub struct Run {
    /// One entry per call.
    pub latencies_ns: Vec<u64>,
    /// From the start of the threads to the last one's end.
    pub wall: Duration,
    /// Context switches of this process (the clients') during the run.
    pub switches: u64,
}

impl Run {
    /// The run's calls/s, p50 and p99.
    pub fn summary(self) -> Summary {
        Summary::from_latencies(self.latencies_ns, self.wall)
    }

    /// Adds `other`'s calls and wall time to this run's.
    pub fn merge(&mut self, other: Run) {
        self.latencies_ns.extend(other.latencies_ns);
        self.wall += other.wall;
        self.switches += other.switches;
    }

    /// The clients' context switches per call.
    pub fn switches_per_call(&self) -> f64 {
        self.switches as f64 / self.latencies_ns.len().max(1) as f64
    }

    /// No calls yet.
    pub fn empty() -> Run {
        Run {
            latencies_ns: Vec::new(),
            wall: Duration::ZERO,
            switches: 0,
        }
    }
}

/// The C floor: `threads` C threads of `calls` round trips of `request`
/// each against the C echo server at `server` (a netlink port or a Unix
/// path).
pub fn c_clients(
    server: &Address,
    request: &[u8],
    threads: usize,
    calls: usize,
) -> io::Result<Run> {
    let mut lat = vec![0u64; threads * calls];
    let switches = context_switches();
    let (ptr, len, out) = (request.as_ptr(), request.len(), lat.as_mut_ptr());
    let ns = match server {
        // SAFETY: the C code reads `request[..len]` and writes exactly
        // `threads * calls` entries of `lat`, which is that long.
        Address::Netlink(port) => unsafe {
            sys::pp_clients(*port, ptr, len, threads, calls, out, C_TIMEOUT_MS)
        },
        Address::Unix(UnixAddr::Path(path)) => {
            let path = c_path(path)?;
            // SAFETY: as above; `path` is NUL-terminated and only read.
            unsafe {
                sys::pp_unix_clients(path.as_ptr(), ptr, len, threads, calls, out, C_TIMEOUT_MS)
            }
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the C floor serves netlink ports and Unix paths, not {other}"),
            ));
        }
    };
    let ns = c_result(ns)?;
    Ok(Run {
        latencies_ns: lat,
        wall: Duration::from_nanos(ns.unsigned_abs()),
        switches: context_switches().saturating_sub(switches),
    })
}

/// Whether the peer's client threads share one [`Client`] or each have
/// their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// One client for all the threads.
    Shared,
    /// A client per thread.
    Separate,
}

impl Sharing {
    /// `shared` or `separate`.
    pub fn name(self) -> &'static str {
        match self {
            Sharing::Shared => "shared",
            Sharing::Separate => "separate",
        }
    }
}

/// The clients of a peer run: one, or one per thread.
pub fn clients(
    sharing: Sharing,
    threads: usize,
    open: impl Fn() -> io::Result<Client>,
) -> io::Result<Vec<Client>> {
    let n = match sharing {
        Sharing::Shared => 1,
        Sharing::Separate => threads,
    };
    (0..n).map(|_| open()).collect()
}

/// `threads` threads of `calls` calls of `hello("Rust")` each to `to`,
/// thread `i` through `clients[i % clients.len()]`. Fails at the first call
/// that fails or answers something else.
pub fn peer_threads(
    clients: &[Client],
    to: &Address,
    threads: usize,
    calls: usize,
) -> Result<Run, String> {
    if clients.is_empty() || threads == 0 {
        return Err("a run needs at least one client and one thread".into());
    }
    let start = Barrier::new(threads + 1);
    let switches = context_switches();
    let run = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let client = &clients[i % clients.len()];
                let start = &start;
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(calls);
                    start.wait();
                    for _ in 0..calls {
                        let t = Instant::now();
                        let v = client
                            .call(to.clone(), METHOD, json!([ARG]))
                            .map_err(|e| format!("thread {i}: {e}"))?;
                        lat.push(t.elapsed().as_nanos() as u64);
                        if v.as_str() != Some(RESULT) {
                            return Err(format!("thread {i}: answered {v}"));
                        }
                    }
                    Ok(lat)
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        let mut run = Run::empty();
        let mut failure = None;
        for w in workers {
            match w.join() {
                Ok(Ok(lat)) => run.latencies_ns.extend(lat),
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => failure = failure.or(Some("a client thread panicked".into())),
            }
        }
        run.wall = t.elapsed();
        failure.map_or(Ok(run), Err)
    });
    run.map(|mut run| {
        run.switches = context_switches().saturating_sub(switches);
        run
    })
}
