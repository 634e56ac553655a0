//! An [`AsyncClient`] call on netlink allocates nothing once the client is
//! warm: with typed params and result (`call_typed`) or JSON text both ways
//! (`call_raw`), lone calls on a current-thread runtime make no allocation
//! on the calling thread (the server runs on its own threads, which are
//! not counted).
#![cfg(feature = "tokio")]

mod common;
mod peer_common;

use common::alloc::{Counting, allocations};
use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::{AsyncClient, Server, ServerOptions, demo};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn warm_calls_allocate_nothing_per_call() {
    if !peer_common::netlink_available() {
        return;
    }
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .unwrap()
        .spawn()
        .unwrap();
    let port = server.port().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let params = Params::new(RawValue::parse("[20, 22]").unwrap());
    let (typed, raw) = runtime.block_on(async {
        let client = AsyncClient::netlink().unwrap();
        for i in 0..20i64 {
            let sum: i64 = client.call_typed(port, "add", &(i, 1)).await.unwrap();
            assert_eq!(sum, i + 1);
            let len = client.call_raw(port, "add", params, |r| r.as_str().len());
            assert_eq!(len.await.unwrap(), 2);
        }
        let before = allocations();
        for i in 0..100i64 {
            let sum: i64 = client.call_typed(port, "add", &(i, 1)).await.unwrap();
            assert_eq!(sum, i + 1);
        }
        let typed = allocations() - before;
        let before = allocations();
        for _ in 0..100 {
            let len = client.call_raw(port, "add", params, |r| r.as_str().len());
            assert_eq!(len.await.unwrap(), 2);
        }
        (typed, allocations() - before)
    });
    assert_eq!((typed, raw), (0, 0), "allocations in 100 calls each");
    server.stop().unwrap();
}
