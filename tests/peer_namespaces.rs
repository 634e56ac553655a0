//! Servers in other namespaces, started with `unshare` (util-linux):
//! one in another network namespace is unreachable and the error says so
//! at once; one in new PID and mount namespaces and a client outside call
//! each other. Needs root (or unprivileged user namespaces) for `unshare`;
//! without it the tests fail under `CI=true` and are skipped otherwise.
#![cfg(feature = "cli")]

mod peer_common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{CallError, Client, ClientOptions};
use serde_json::json;

/// `procslink serve ARGS` run by `unshare UNSHARE_ARGS`, killed when
/// dropped.
struct Unshared {
    child: Child,
    port: u32,
}

impl Unshared {
    /// Starts the server, or returns `None` (after a notice, or failing
    /// under `CI=true`) when `unshare` cannot make the namespaces here.
    fn start(unshare: &[&str], serve: &[&str]) -> Option<Unshared> {
        let spawned = Command::new("unshare")
            .args(unshare)
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_procslink"))
            .arg("serve")
            .args(serve)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                missing(&format!("cannot run unshare: {e}"));
                return None;
            }
        };
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        let _ = BufReader::new(stdout).read_line(&mut line);
        match line.trim().parse() {
            Ok(port) => Some(Unshared { child, port }),
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("wait for unshare");
                missing(&format!(
                    "unshare {unshare:?} cannot start the server: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                None
            }
        }
    }
}

impl Drop for Unshared {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_in_another_network_namespace_is_unreachable_at_once() {
    if !netlink_available() {
        return;
    }
    let Some(server) = Unshared::start(&["--net"], &[]) else {
        return;
    };
    let client =
        Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    let e = client
        .call(server.port, "hello", json!(["there"]))
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1), "{e}");
    let CallError::Io(io) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("no peer at netlink port {}", server.port))
            && text.contains("in another network namespace"),
        "{text}"
    );
}

#[test]
fn a_server_in_new_pid_and_mount_namespaces_serves_a_client_outside() {
    if !netlink_available() {
        return;
    }
    let uid = rustix::process::geteuid().as_raw().to_string();
    // The server checks credentials: the client's pid is not visible in
    // the server's PID namespace, so the kernel reports it as 0.
    let unshare = ["--pid", "--fork", "--kill-child", "--mount"];
    let Some(server) = Unshared::start(&unshare, &["--allow-uid", &uid]) else {
        return;
    };
    let client = Client::netlink_with(ClientOptions::new().timeout(Duration::from_secs(5)))
        .unwrap()
        .expect_peer_uid(rustix::process::geteuid().as_raw())
        .unwrap();
    assert_eq!(
        client
            .call(server.port, "hello", json!(["outside"]))
            .unwrap(),
        json!("Hello, outside!")
    );
    assert_eq!(
        client.call(server.port, "add", json!([2, 40])).unwrap(),
        json!(42)
    );
}

/// Where [`call_as_nobody`] keeps its copy of the binary.
fn nobody_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("procslink-userns-{}", std::process::id()))
}

/// `procslink call PORT hello ["x"]` run as uid and gid 65534 (with
/// `setpriv`), from a copy of the binary that user can run.
fn call_as_nobody(port: u32) -> std::process::Output {
    let dir = nobody_dir();
    let _ = std::fs::create_dir_all(&dir);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("procslink");
    if !copy.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_procslink"), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = Command::new("setpriv");
    command
        .args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--",
        ])
        .arg(&copy)
        .args([
            "call",
            "--timeout",
            "3000",
            &port.to_string(),
            "hello",
            r#"["x"]"#,
        ]);
    spawn_retrying(command.stdout(Stdio::piped()).stderr(Stdio::piped()))
        .and_then(|c| c.wait_with_output())
        .expect("run setpriv")
}

#[test]
fn a_server_in_a_user_namespace_does_not_admit_the_overflow_uid_unless_asked() {
    if !netlink_available() {
        return;
    }
    if !rustix::process::geteuid().is_root() {
        missing("running a client as uid 65534 needs root");
        return;
    }
    // Only root is mapped in the server's user namespace: a sender running
    // as 65534 outside shows up there as the overflow uid.
    let unshare = ["--user", "--map-root-user"];
    let Some(strict) = Unshared::start(&unshare, &["--allow-uid", "65534"]) else {
        return;
    };
    let out = call_as_nobody(strict.port);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error -32001: Permission denied"),
        "{stderr}"
    );
    let admit = ["--allow-uid", "65534", "--admit-overflow-uid"];
    let Some(lenient) = Unshared::start(&unshare, &admit) else {
        return;
    };
    let out = call_as_nobody(lenient.port);
    let _ = std::fs::remove_dir_all(nobody_dir());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"Hello, x!\"\n");
}
