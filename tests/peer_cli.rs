//! `procslink call --expect-uid` and `--timeout` against a live server.
#![cfg(feature = "cli")]

mod peer_common;

use std::process::{Command, Output};

use peer_common::*;
use procslink::peer::{Server, ServerOptions, demo};

fn call(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_procslink"))
        .arg("call")
        .args(args)
        .output()
        .expect("run procslink")
}

#[test]
fn a_zero_timeout_is_a_usage_error() {
    let out = call(&["--timeout", "0", "1", "hello"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timeout"),
        "{out:?}"
    );
}

#[test]
fn expect_uid_accepts_the_servers_uid_and_refuses_others() {
    if !netlink_available() {
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap().to_string();
    let uid = rustix::process::geteuid().as_raw().to_string();
    let out = call(&["--expect-uid", &uid, &port, "add", "[2, 40]"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
    let other = (rustix::process::geteuid().as_raw() ^ 1).to_string();
    let out = call(&[
        "--timeout",
        "300",
        "--expect-uid",
        &other,
        &port,
        "add",
        "[2, 40]",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused 1 from another uid"), "{stderr}");
}
