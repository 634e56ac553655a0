//! Helpers shared by the `peer_*` integration tests.
#![allow(dead_code)]

pub mod references;
pub mod socket_dir;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use procslink::peer::{NetlinkSocket, SocketOptions};
use procslink::procslink::{Datagram, DatagramRepr, PayloadType};
use serde_json::Value;

/// Whether the environment asks missing prerequisites to be failures.
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A missing prerequisite: a failure under `CI=true`, else a notice.
pub fn missing(what: &str) {
    if strict() {
        panic!("{what} (CI=true: this must be available)");
    }
    eprintln!("NOTICE: skipping: {what}");
}

/// Whether NETLINK_USERSOCK sockets can be opened here.
pub fn netlink_available() -> bool {
    match NetlinkSocket::open() {
        Ok(_) => true,
        Err(e) => {
            missing(&format!("cannot open a NETLINK_USERSOCK socket: {e}"));
            false
        }
    }
}

/// The crate's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter for the interop tests, with `procslink` 0.1.2
/// importable: `PROCSLINK_PYTHON`, else `target/interop-venv/bin/python`.
pub fn python() -> Option<PathBuf> {
    let python = std::env::var_os("PROCSLINK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/interop-venv/bin/python"));
    let check = Command::new(&python)
        .args([
            "-c",
            "import procslink, importlib.metadata as m; assert m.version('procslink') == '0.1.2', m.version('procslink')",
        ])
        .output();
    match check {
        Ok(out) if out.status.success() => Some(python),
        Ok(out) => {
            missing(&format!(
                "{} cannot import procslink 0.1.2 ({}); create it with `python3 -m venv target/interop-venv && target/interop-venv/bin/pip install procslink==0.1.2` or set PROCSLINK_PYTHON",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            None
        }
        Err(e) => {
            missing(&format!(
                "no Python interpreter at {} ({e}); create it with `python3 -m venv target/interop-venv && target/interop-venv/bin/pip install procslink==0.1.2` or set PROCSLINK_PYTHON",
                python.display()
            ));
            None
        }
    }
}

/// A ProcsLink request datagram carrying `json`, claiming port `pid`.
pub fn request_datagram(pid: u32, json: &[u8]) -> Vec<u8> {
    datagram(DatagramRepr::request(pid), json)
}

/// A datagram with the given header fields carrying `json`.
pub fn datagram(repr: DatagramRepr, json: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; DatagramRepr::buffer_len(json.len())];
    let n = repr.emit(json, &mut buf).expect("emit");
    buf.truncate(n);
    buf
}

/// A raw netlink socket for talking to a peer byte by byte.
pub struct Raw {
    pub socket: NetlinkSocket,
}

impl Raw {
    pub fn new() -> Raw {
        let socket = NetlinkSocket::open().expect("open netlink socket");
        socket
            .set_recv_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        Raw { socket }
    }

    pub fn port(&self) -> u32 {
        self.socket.port()
    }

    /// Sends `bytes` to `port` and returns the next datagram that arrives
    /// (with its sender), or `None` if none comes within the timeout.
    pub fn exchange(&self, port: u32, bytes: &[u8]) -> Option<(Vec<u8>, u32)> {
        self.socket.send_to(port, bytes).expect("send");
        self.receive()
    }

    /// The next datagram, or `None` after the timeout.
    pub fn receive(&self) -> Option<(Vec<u8>, u32)> {
        let mut buf = vec![0u8; 65536];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                buf.truncate(n);
                Some((buf, from))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("receive: {e}"),
        }
    }

    /// Sends a request text and returns the response's JSON (checking the
    /// datagram is a well-formed response from `port`).
    pub fn call_text(&self, port: u32, json: &[u8]) -> Option<Value> {
        let (reply, from) = self.exchange(port, &request_datagram(self.port(), json))?;
        Some(response_json(&reply, from))
    }
}

/// Checks a reply datagram and returns its JSON.
pub fn response_json(reply: &[u8], from: u32) -> Value {
    let d = Datagram::parse(reply).expect("reply is a ProcsLink datagram");
    assert_eq!(d.pid(), from, "reply nlmsg_pid is the server's port");
    assert_eq!(d.payload_type(), PayloadType::JSONRPC_RESPONSE);
    serde_json::from_slice(d.payload()).expect("reply is JSON")
}

/// The number of open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// A copy of the running test binary that any uid can execute, in a fresh
/// directory under the system temp dir (the build tree may not be readable
/// by other users). Removed by the caller with the returned directory.
pub fn world_executable_self() -> (PathBuf, PathBuf) {
    world_executable_copy("")
}

/// [`world_executable_self`] in a directory of its own for `tag`, for
/// tests that run at the same time.
pub fn world_executable_copy(tag: &str) -> (PathBuf, PathBuf) {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = std::env::temp_dir().join(format!(
        "procslink-peer-test-{}-{}{tag}",
        std::process::id(),
        exe.file_name().and_then(|n| n.to_str()).unwrap_or("test")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let copy = dir.join("peer-test-child");
    std::fs::copy(&exe, &copy).expect("copy test binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod exe");
    (dir, copy)
}

/// Starts `command`, trying again for a while when the executable is
/// "busy": another test thread's fork may briefly hold open the copy a
/// test just wrote (`ETXTBSY`).
pub fn spawn_retrying(command: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}
