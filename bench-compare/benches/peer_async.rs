//! The async client's round trip beside the blocking client's, on one
//! netlink server in this process (the crate's `Server` with the demo
//! methods): `add(1, 2)` one call at a time through `Client::call_typed`
//! and through `AsyncClient::call_typed` on a current-thread tokio runtime,
//! and 64 calls in flight at once from 64 tasks on one `AsyncClient`
//! (per call). Criterion times each; every contender must give the right
//! answer before anything is timed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use procslink::peer::{AsyncClient, Client, NetlinkSocket, Server, ServerOptions, demo};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn bench(c: &mut Criterion) {
    if NetlinkSocket::open().is_err() {
        eprintln!("NOTICE: skipping: no NETLINK_USERSOCK socket here");
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .expect("bind the server")
        .spawn()
        .expect("start the server");
    let port = server.port().expect("a netlink port");
    let blocking = Client::netlink().expect("a client");
    assert_eq!(
        blocking.call_typed::<_, i64>(port, "add", &(1, 2)).unwrap(),
        3
    );
    let rt = runtime();
    let client = rt.block_on(async { Arc::new(AsyncClient::netlink().expect("an async client")) });
    let sum: i64 = rt
        .block_on(client.call_typed(port, "add", &(1, 2)))
        .unwrap();
    assert_eq!(sum, 3);

    let mut group = c.benchmark_group("peer_async");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("blocking Client, one call", |b| {
        b.iter(|| {
            let sum: i64 = blocking.call_typed(port, "add", &(1, 2)).unwrap();
            black_box(sum)
        })
    });
    group.bench_function("AsyncClient, one call", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let sum: i64 = client.call_typed(port, "add", &(1, 2)).await.unwrap();
                    black_box(sum);
                }
                started.elapsed()
            })
        })
    });
    const TASKS: u64 = 64;
    group.bench_function("AsyncClient, 64 tasks in flight (per call)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_task = iters.div_ceil(TASKS);
                let started = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let client = Arc::clone(&client);
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                let sum: i64 =
                                    client.call_typed(port, "add", &(1, 2)).await.unwrap();
                                black_box(sum);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
                started
                    .elapsed()
                    .mul_f64(iters as f64 / (per_task * TASKS) as f64)
            })
        })
    });
    group.finish();
    drop(rt);
    server.stop().expect("stop the server");
}

criterion_group!(benches, bench);
criterion_main!(benches);
