//! No deadlock whatever the thread count: one client shared by 1, 16, 64
//! and 512 threads, and many separate clients, on netlink and on Unix
//! datagrams. Every call comes back answered (with its own answer) or
//! timed out; none hangs, none gets another call's answer, none twice.
#![cfg(feature = "std")]

mod peer_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use peer_common::*;
use procslink::peer::{
    Address, CallError, Client, ClientOptions, Server, ServerHandle, ServerOptions, UnixAddr, demo,
};
use serde_json::json;

/// How long each call may wait: short, so that calls whose replies the
/// server dropped (a full client queue) end soon.
const TIMEOUT: Duration = Duration::from_secs(2);
/// The bound on one whole run.
const RUN_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
enum Transport {
    Netlink,
    Unix,
}

fn server(transport: Transport, tag: &str) -> Option<(ServerHandle, Address)> {
    let handle = match transport {
        Transport::Netlink => {
            if !netlink_available() {
                return None;
            }
            Server::bind_netlink(demo::methods(), ServerOptions::new())
        }
        Transport::Unix => {
            let name = format!("procslink-threads-{}-{tag}", std::process::id());
            Server::bind_unix(
                UnixAddr::abstract_name(name),
                demo::methods(),
                ServerOptions::new(),
            )
        }
    }
    .expect("bind the server")
    .spawn()
    .expect("spawn the server");
    let address = handle.address();
    Some((handle, address))
}

fn client(transport: Transport) -> Client {
    let options = ClientOptions::new().timeout(TIMEOUT);
    match transport {
        Transport::Netlink => Client::netlink_with(options),
        Transport::Unix => Client::unix_with(options),
    }
    .expect("client")
}

/// The outcome of `calls` echo calls on `client` from one thread: how many
/// were answered and how many timed out. Any other outcome fails the test.
fn calls(client: &Client, to: &Address, thread: usize, calls: usize) -> (usize, usize) {
    let (mut answered, mut timed_out) = (0, 0);
    for call in 0..calls {
        let value =
            json!({"thread": thread, "call": call, "text": format!("\u{e9}{thread}.{call}")});
        match client.call(to.clone(), "echo", json!([value.clone()])) {
            Ok(v) => {
                assert_eq!(v, value, "call {thread}.{call} got another call's answer");
                answered += 1;
            }
            Err(CallError::Timeout) => timed_out += 1,
            Err(e) => panic!("call {thread}.{call} failed: {e}"),
        }
    }
    (answered, timed_out)
}

/// Runs `threads` threads of `per_thread` calls each, on one shared client
/// (`shared`) or one client per thread; returns (answered, timed out).
fn run(transport: Transport, threads: usize, per_thread: usize, shared: bool) {
    let tag = format!("{transport:?}-{threads}-{shared}");
    let Some((server, to)) = server(transport, &tag) else {
        return;
    };
    let started = Instant::now();
    let one = Arc::new(client(transport));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let one = Arc::clone(&one);
            let to = to.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    if shared {
                        let outcome = calls(&one, &to, t, per_thread);
                        (outcome, None)
                    } else {
                        let own = client(transport);
                        let outcome = calls(&own, &to, t, per_thread);
                        (outcome, Some(own.stats()))
                    }
                })
                .expect("start a calling thread")
        })
        .collect();
    let (mut answered, mut timed_out) = (0, 0);
    let mut delivered = 0;
    let mut strangers = 0;
    for w in workers {
        let ((a, t), stats) = w.join().expect("calling thread");
        answered += a;
        timed_out += t;
        if let Some(s) = stats {
            delivered += s.delivered;
            strangers += s.spoofed + s.malformed;
        }
    }
    let elapsed = started.elapsed();
    if shared {
        let s = one.stats();
        delivered = s.delivered;
        strangers = s.spoofed + s.malformed;
    }
    let stats = server.stop().expect("stop the server");
    eprintln!("{tag}: {answered} answered, {timed_out} timed out in {elapsed:?}; server {stats:?}");
    assert_eq!(
        answered + timed_out,
        threads * per_thread,
        "{tag}: calls lost"
    );
    assert_eq!(
        delivered as usize, answered,
        "{tag}: answers delivered twice or lost"
    );
    assert_eq!(strangers, 0, "{tag}");
    assert!(answered > 0, "{tag}: no call was answered");
    assert!(elapsed < RUN_LIMIT, "{tag}: took {elapsed:?}");
    // Every timed-out call is one whose reply the server could not deliver
    // at once (or one it had not served yet when the caller gave up).
    assert!(
        timed_out as u64 <= stats.dropped_replies + (stats.served - answered as u64),
        "{tag}: {timed_out} timed out; {stats:?}"
    );
}

#[test]
fn one_netlink_client_shared_by_1_16_64_and_512_threads() {
    for (threads, per_thread) in [(1, 300), (16, 60), (64, 15), (512, 2)] {
        run(Transport::Netlink, threads, per_thread, true);
    }
}

#[test]
fn one_unix_client_shared_by_1_16_64_and_512_threads() {
    for (threads, per_thread) in [(1, 300), (16, 60), (64, 15), (512, 2)] {
        run(Transport::Unix, threads, per_thread, true);
    }
}

#[test]
fn many_separate_clients() {
    for transport in [Transport::Netlink, Transport::Unix] {
        run(transport, 64, 10, false);
    }
}
