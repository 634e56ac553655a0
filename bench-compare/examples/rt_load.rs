//! Drives a round-trip server with one client in a loop, for profiling
//! either side with `perf` (see BENCHMARKS.md, "Profiling"):
//!
//! ```text
//! cargo build --release -p procslink-bench --example rt_load --bin rt_server
//! target/release/rt_server peer-netlink         # prints PORT
//! perf record -g target/release/examples/rt_load peer PORT 200000
//! ```
//!
//! Clients: `raw` (the no-codec ping-pong client); `codec`, which builds
//! each request and decodes each response with the codec on a bare
//! [`procslink::peer::NetlinkSocket`] (the peer's wire work without its
//! client machinery: no id table, no reading turn, no clock); and
//! `hello("Rust")` through [`procslink::peer::Client`]'s `call` (`peer`),
//! `call_typed` (`typed`) and `call_raw` (`raw-api`); and `call` from
//! `THREADS` threads sharing one client (`shared`) or with one each
//! (`separate`), `CALLS` calls per thread, against a netlink `PORT` or a
//! Unix server's path:
//!
//! ```text
//! perf record -g target/release/examples/rt_load shared PORT 20000 4
//! ```

use procslink::jsonrpc::{Decoder, Params, RawValue, Request, Style};
use procslink::peer::NetlinkSocket;
use procslink::peer::{Address, Client, UnixAddr};
use procslink::procslink::{DatagramRepr, PROCSLINK_OVERHEAD};
use procslink_bench::roundtrip::{ARG, METHOD, RESULT, RawClient};
use procslink_bench::throughput::{self, Sharing};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(port), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!(
            "usage: rt_load raw|codec|peer|typed|raw-api PORT CALLS | shared|separate PORT|PATH CALLS THREADS"
        );
        std::process::exit(2);
    };
    // `shared` and `separate` also take a Unix server's path.
    let (to, open): (Address, fn() -> std::io::Result<Client>) = match port.parse::<u32>() {
        Ok(port) => (Address::Netlink(port), Client::netlink),
        Err(_) => (Address::Unix(UnixAddr::Path(port.into())), Client::unix),
    };
    let port = to.port().unwrap_or(0);
    let n: u64 = n.parse().expect("calls");
    match what.as_str() {
        "raw" => {
            let mut client = RawClient::new(port).expect("raw client");
            for _ in 0..n {
                client.call().expect("raw call");
            }
        }
        "codec" => {
            let socket = NetlinkSocket::open().expect("netlink socket");
            let mut request = vec![0u8; 512];
            let mut response = vec![0u8; 65536];
            let params = format!("[\"{ARG}\"]");
            let decoder = Decoder::new();
            for id in 1..=n {
                let params = Params::new(RawValue::parse(&params).expect("params"));
                let body = request.get_mut(PROCSLINK_OVERHEAD..).expect("room");
                let len = Request::new(id, METHOD, params)
                    .encode(body, Style::Python)
                    .expect("encode");
                let total = DatagramRepr::request(socket.port())
                    .emit_header(len, &mut request)
                    .expect("header");
                socket.send_to(port, &request[..total]).expect("send");
                let (got, _) = socket.recv_from(&mut response).expect("receive");
                let answer = decoder
                    .parse_response(&response[PROCSLINK_OVERHEAD..got])
                    .expect("response");
                let result = answer.outcome.expect("result");
                assert!(result.as_json_str().is_some_and(|s| s.eq_str(RESULT)));
            }
        }
        "peer" => {
            let client = Client::netlink().expect("netlink client");
            for _ in 0..n {
                let v = client.call(port, METHOD, json!([ARG])).expect("call");
                assert_eq!(v.as_str(), Some(RESULT));
            }
        }
        "typed" => {
            let client = Client::netlink().expect("netlink client");
            for _ in 0..n {
                let v: String = client.call_typed(port, METHOD, &(ARG,)).expect("call");
                assert_eq!(v, RESULT);
            }
        }
        "raw-api" => {
            let client = Client::netlink().expect("netlink client");
            let params = format!("[\"{ARG}\"]");
            for _ in 0..n {
                let params = Params::new(RawValue::parse(&params).expect("params"));
                let ok = client
                    .call_raw(port, METHOD, params, |r| {
                        r.as_json_str().is_some_and(|s| s.eq_str(RESULT))
                    })
                    .expect("call");
                assert!(ok);
            }
        }
        "shared" | "separate" => {
            let threads: usize = args.get(4).map_or(4, |t| t.parse().expect("threads"));
            let sharing = if what == "shared" {
                Sharing::Shared
            } else {
                Sharing::Separate
            };
            let clients = throughput::clients(sharing, threads, open).expect("clients");
            let run = throughput::peer_threads(&clients, &to, threads, n as usize).expect("run");
            let switches = run.switches_per_call();
            let s = run.summary();
            eprintln!(
                "{what} x{threads}: {:.0} calls/s, p50 {:.0} ns, p99 {:.0} ns, {switches:.2} switches/call",
                s.calls_per_s, s.p50_ns, s.p99_ns
            );
        }
        other => panic!("unknown client {other:?}"),
    }
}
