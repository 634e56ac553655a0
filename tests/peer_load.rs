//! A bounded load test: client threads in this process and two client
//! processes, thousands of calls in flight against one server, with no
//! lost and no mismatched responses.
#![cfg(feature = "std")]

mod peer_common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{Client, ClientOptions, Server, ServerOptions, demo};
use serde_json::json;

const CHILD_PORT: &str = "PROCSLINK_PEER_LOAD_CHILD_PORT";
const THREADS: usize = 16;
const CALLS: usize = 1000;
const CHILDREN: usize = 2;

/// Runs `THREADS` threads of `CALLS` calls each over one client, each call
/// echoing a value unique to it; returns how many came back right.
fn hammer(port: u32, tag: &str) -> usize {
    let client = Arc::new(
        Client::netlink_with(
            ClientOptions::new()
                .timeout(Duration::from_secs(15))
                .recv_buffer_size(4 << 20),
        )
        .expect("client"),
    );
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = Arc::clone(&client);
            let tag = tag.to_string();
            std::thread::spawn(move || {
                let mut ok = 0;
                for i in 0..CALLS {
                    let value =
                        json!({"tag": tag, "thread": t, "call": i, "text": format!("\u{e9}{i}")});
                    match client.call(port, "echo", json!([value.clone()])) {
                        Ok(v) if v == value => ok += 1,
                        Ok(v) => panic!("mismatched response: sent {value}, got {v}"),
                        Err(e) => panic!("call {tag}/{t}/{i} failed: {e}"),
                    }
                }
                ok
            })
        })
        .collect();
    let ok = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .sum();
    let stats = client.stats();
    assert_eq!(
        stats.unknown_id + stats.spoofed + stats.malformed + stats.overruns,
        0,
        "{stats:?}"
    );
    assert_eq!(stats.delivered as usize, ok);
    ok
}

#[test]
fn thousands_of_calls_in_flight_from_threads_and_processes() {
    if let Ok(port) = std::env::var(CHILD_PORT) {
        // Child mode: one client process of the load.
        let ok = hammer(
            port.parse().unwrap(),
            &format!("process-{}", std::process::id()),
        );
        println!("CHILD-OK {ok}");
        return;
    }
    if !netlink_available() {
        return;
    }
    let started = Instant::now();
    let server = Server::bind_netlink(
        demo::methods(),
        ServerOptions::new().threads(2).recv_buffer_size(8 << 20),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let port = server.port().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "thousands_of_calls_in_flight_from_threads_and_processes",
                    "--nocapture",
                ])
                .env(CHILD_PORT, port.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start a client process")
        })
        .collect();
    let local = hammer(port, "local");
    assert_eq!(local, THREADS * CALLS);
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "client process failed:\n{stdout}");
        let ok: usize = stdout
            .lines()
            .find_map(|l| l.strip_prefix("CHILD-OK "))
            .unwrap_or_else(|| panic!("no result from the client process:\n{stdout}"))
            .trim()
            .parse()
            .unwrap();
        assert_eq!(ok, THREADS * CALLS);
    }
    let stats = server.stop().unwrap();
    let total = (THREADS * CALLS * (CHILDREN + 1)) as u64;
    assert_eq!(stats.served, total, "{stats:?}");
    assert_eq!(
        stats.malformed + stats.spoofed + stats.send_errors + stats.overruns + stats.panics,
        0,
        "{stats:?}"
    );
    eprintln!("{total} calls in {:?}", started.elapsed());
}
