//! A client shared by threads calls from extra sockets of its own
//! ([`ClientOptions::max_extra_sockets`]): a server sees several
//! addresses, never more than the bound plus the client's own; each
//! caller gets its own answer; the expected uid is checked on every
//! socket; the counters sum them all.
#![cfg(feature = "std")]

mod peer_common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use peer_common::*;
use procslink::peer::{
    Address, Client, ClientOptions, Methods, Params, RpcError, Server, ServerHandle, ServerOptions,
    UnixAddr,
};
use serde_json::{Value, json};

const THREADS: usize = 8;
const CALLS: usize = 3;
/// Calls per thread in the load test.
const CALLS_EACH: usize = 300;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Netlink,
    Unix,
}

/// Answers, after 20 ms (so that the threads' calls overlap), the
/// caller's number and the address the request came from.
fn methods() -> Methods {
    let mut m = Methods::new();
    m.add("whence", |p: Params| -> Result<Value, RpcError> {
        std::thread::sleep(Duration::from_millis(20));
        let n: u64 = p.parse().map(|(n,): (u64,)| n)?;
        let from = p.sender().map(ToString::to_string).unwrap_or_default();
        Ok(json!([n, from]))
    });
    m
}

fn server(transport: Transport, tag: &str) -> Option<(ServerHandle, Address)> {
    let options = ServerOptions::new().threads(4);
    let server = match transport {
        Transport::Netlink => {
            if !netlink_available() {
                return None;
            }
            Server::bind_netlink(methods(), options)
        }
        Transport::Unix => {
            let name = format!("procslink-pool-{}-{tag}", std::process::id());
            Server::bind_unix(UnixAddr::abstract_name(name), methods(), options)
        }
    };
    let handle = server.expect("bind").spawn().expect("spawn");
    let address = handle.address();
    Some((handle, address))
}

fn client(transport: Transport, options: ClientOptions) -> Client {
    let options = options.timeout(Duration::from_secs(5));
    match transport {
        Transport::Netlink => Client::netlink_with(options),
        Transport::Unix => Client::unix_with(options),
    }
    .expect("client")
}

/// `THREADS` threads each make `CALLS` calls through `client` at once;
/// the addresses the server saw them come from.
fn whence_from_threads(client: &Arc<Client>, to: &Address) -> HashSet<String> {
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (client, to, start) = (Arc::clone(client), to.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                (0..CALLS)
                    .map(|i| {
                        let n = (t * CALLS + i) as u64;
                        let answer = client.call(to.clone(), "whence", json!([n])).unwrap();
                        assert_eq!(answer[0], json!(n), "another call's answer");
                        answer[1].as_str().unwrap().to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect()
}

fn several_addresses_up_to_the_bound(transport: Transport, tag: &str) {
    let Some((server, to)) = server(transport, tag) else {
        return;
    };
    let bound = 3;
    let shared = Arc::new(client(
        transport,
        ClientOptions::new().max_extra_sockets(bound),
    ));
    let seen = whence_from_threads(&shared, &to);
    assert!(seen.len() > 1, "one address only: {seen:?}");
    assert!(seen.len() <= bound + 1, "more than the bound: {seen:?}");
    let stats = shared.stats();
    assert_eq!(stats.delivered, (THREADS * CALLS) as u64, "{stats:?}");

    let single = Arc::new(client(transport, ClientOptions::new().max_extra_sockets(0)));
    let seen = whence_from_threads(&single, &to);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen.into_iter().next(), Some(single.address().to_string()));
    assert_eq!(single.stats().delivered, (THREADS * CALLS) as u64);
    server.stop().unwrap();
}

#[test]
fn a_shared_netlink_client_calls_from_several_ports_up_to_its_bound() {
    several_addresses_up_to_the_bound(Transport::Netlink, "ports");
}

#[test]
fn a_shared_unix_client_calls_from_several_names_up_to_its_bound() {
    several_addresses_up_to_the_bound(Transport::Unix, "names");
}

#[test]
fn every_extra_socket_checks_the_servers_uid() {
    let Some((server, to)) = server(Transport::Netlink, "uid") else {
        return;
    };
    let me = rustix::process::geteuid().as_raw();
    let options = ClientOptions::new().timeout(Duration::from_millis(300));
    let wrong = Arc::new(
        Client::netlink_with(options.clone())
            .unwrap()
            .expect_peer_uid(me.wrapping_add(1))
            .unwrap(),
    );
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|n| {
            let (client, to, start) = (Arc::clone(&wrong), to.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                client.call(to, "whence", json!([n])).unwrap_err()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().is_timeout());
    }
    assert_eq!(
        wrong.stats().wrong_uid,
        THREADS as u64,
        "{:?}",
        wrong.stats()
    );
    assert_eq!(wrong.stats().delivered, 0);

    let right = Arc::new(
        Client::netlink_with(options)
            .unwrap()
            .expect_peer_uid(me)
            .unwrap(),
    );
    let seen = whence_from_threads(&right, &to);
    assert!(seen.len() > 1, "{seen:?}");
    assert_eq!(right.stats().wrong_uid, 0);
    server.stop().unwrap();
}

#[test]
fn a_shared_unix_client_with_more_threads_than_the_queue_loses_nothing() {
    let path = std::env::temp_dir().join(format!("procslink-pool-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Server::bind_unix(
        UnixAddr::Path(path.clone()),
        procslink::peer::demo::methods(),
        ServerOptions::new().threads(1),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let to = server.address();
    let client = Arc::new(client(Transport::Unix, ClientOptions::new()));
    let threads = 64;
    let start = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (client, to, start) = (Arc::clone(&client), to.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                for i in 0..CALLS_EACH {
                    let name = format!("{t}-{i}");
                    let answer = client.call(to.clone(), "hello", json!([name]));
                    assert_eq!(answer.unwrap(), json!(format!("Hello, {name}!")));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let stats = server.stop().unwrap();
    assert_eq!(stats.dropped_replies, 0, "{stats:?}");
    assert_eq!(client.stats().delivered, (threads * CALLS_EACH) as u64);
}

/// More single-caller clients than a Unix server's queue holds, against a
/// slow server: their sends find the queue full, so each client waits for
/// room on an extra socket (and, while the server stays busy, goes there
/// straight away). Every call gets its own answer, and the server saw
/// calls come from the extra sockets.
#[test]
fn single_caller_clients_wait_for_room_in_a_full_queue_on_extra_sockets() {
    let name = format!("procslink-pool-{}-busy", std::process::id());
    let to = Address::Unix(UnixAddr::abstract_name(name));
    let Address::Unix(addr) = &to else {
        unreachable!()
    };
    let server = Server::bind_unix(addr.clone(), methods(), ServerOptions::new().threads(1))
        .unwrap()
        .spawn()
        .unwrap();
    let clients = 24;
    let calls = 4;
    let start = Arc::new(Barrier::new(clients));
    let workers: Vec<_> = (0..clients)
        .map(|t| {
            let (to, start) = (to.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                let client = client(
                    Transport::Unix,
                    ClientOptions::new().timeout(Duration::from_secs(30)),
                );
                let own = client.address().to_string();
                start.wait();
                let mut extra = 0;
                for i in 0..calls {
                    let n = (t * calls + i) as u64;
                    let answer = client.call(to.clone(), "whence", json!([n])).unwrap();
                    assert_eq!(answer[0], json!(n));
                    let from = answer[1].as_str().unwrap().to_string();
                    extra += usize::from(from != own);
                }
                (extra, client.stats().delivered)
            })
        })
        .collect();
    let mut from_extra = 0;
    for w in workers {
        let (extra, delivered) = w.join().unwrap();
        assert_eq!(delivered, calls as u64);
        from_extra += extra;
    }
    let stats = server.stop().unwrap();
    assert_eq!(stats.served, (clients * calls) as u64, "{stats:?}");
    assert_eq!(stats.dropped_replies, 0, "{stats:?}");
    // 24 callers and a 10-datagram queue served one request per 20 ms:
    // most found it full.
    assert!(from_extra > 0, "no call came from an extra socket");
}
