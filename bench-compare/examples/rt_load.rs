//! Drives a round-trip server with one client in a loop, for profiling
//! either side with `perf` (see BENCHMARKS.md, "Profiling"):
//!
//! ```text
//! cargo build --release -p procslink-bench --example rt_load --bin rt_server
//! target/release/rt_server peer-netlink         # prints PORT
//! perf record -g target/release/examples/rt_load peer PORT 200000
//! ```
//!
//! Clients: `raw` (the no-codec ping-pong client), and `hello("Rust")`
//! through [`procslink::peer::Client`]'s `call` (`peer`), `call_typed`
//! (`typed`) and `call_raw` (`raw-api`).

use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::Client;
use procslink_bench::roundtrip::{ARG, METHOD, RESULT, RawClient};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(port), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: rt_load raw|peer|typed|raw-api PORT CALLS");
        std::process::exit(2);
    };
    let port: u32 = port.parse().expect("port");
    let n: u64 = n.parse().expect("calls");
    match what.as_str() {
        "raw" => {
            let mut client = RawClient::new(port).expect("raw client");
            for _ in 0..n {
                client.call().expect("raw call");
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
        other => panic!("unknown client {other:?}"),
    }
}
