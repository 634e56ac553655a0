//! Runs one contender in a loop, for instruction counts under
//! `valgrind --tool=callgrind` (see BENCHMARKS.md, "Profiling"):
//!
//! ```text
//! cargo build --release -p procslink-bench --example profile
//! valgrind --tool=callgrind target/release/examples/profile walk-procslink genl-ctrl-family-dump.bin 1000
//! ```
//!
//! Contenders: walk-{procslink,procslink-try,c,libmnl}, nested-{procslink,c,libmnl},
//! build-{procslink,c,libmnl}, json-{procslink,serde} (with a variant name of
//! `jsonrpc::variants`, `requests` or `responses` for the dump),
//! build-loop-{procslink,c} (1000 messages a
//! call, so per message divide by 1000 more).

use std::hint::black_box;

use procslink_bench::corpus::{self, DUMPS};
use procslink_bench::{ffi, netlink as nl};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(dump), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: profile <contender> <dump file name> <iterations>");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("iterations");
    if let Some(who) = what.strip_prefix("json-") {
        // json-{procslink,serde} <corpus|variant name> <iterations>
        use procslink_bench::jsonrpc as rpc;
        let requests = rpc::texts(&rpc::REQUESTS);
        let responses = rpc::texts(&rpc::RESPONSES);
        let mut sets = rpc::variants(&requests, &responses);
        sets.push(("requests", requests));
        sets.push(("responses", responses));
        let (_, texts) = sets
            .iter()
            .find(|(name, _)| name == dump)
            .expect("a variant of rpc::variants, requests or responses");
        let decode = match who {
            "procslink" => rpc::ours_any,
            "serde" => rpc::serde_any,
            other => panic!("unknown decoder {other}"),
        };
        let mut sum = 0usize;
        for _ in 0..n {
            for t in texts {
                sum ^= decode(black_box(t)).unwrap_or(0);
            }
        }
        println!("{sum}");
        return;
    }
    let d = DUMPS
        .iter()
        .find(|d| d.name == dump)
        .expect("a dump of MANIFEST.md");
    let bytes = corpus::load(d);
    let hdr = d.family_header;
    let mut buf = [0u8; 512];
    let mut sum = 0u64;
    for _ in 0..n {
        let bytes = black_box(&bytes[..]);
        sum ^= match what.as_str() {
            "walk-procslink" => nl::procslink_walk(bytes, hdr).sum,
            "walk-procslink-try" => nl::procslink_walk_try(bytes, hdr).map_or(0, |w| w.sum),
            "walk-c" => ffi::c_walk(bytes, hdr).sum,
            "walk-libmnl" => ffi::mnl_walk(bytes, hdr).sum,
            "nested-procslink" => nl::procslink_walk_nested(bytes, hdr).sum,
            "nested-c" => ffi::c_walk_nested(bytes, hdr).sum,
            "nested-libmnl" => ffi::mnl_walk_nested(bytes, hdr).sum,
            "build-procslink" => {
                nl::procslink_build_newlink(black_box(&mut buf)).unwrap_or(0) as u64
            }
            "build-c" => ffi::c_build_newlink(black_box(&mut buf)) as u64,
            // One call builds 1000 messages, in a Rust or a C loop.
            "build-loop-procslink" => {
                nl::procslink_build_newlink_loop(black_box(&mut buf), 1000) as u64
            }
            "build-loop-c" => ffi::c_build_newlink_loop(black_box(&mut buf), 1000) as u64,
            "build-libmnl" => ffi::mnl_build_newlink(black_box(&mut buf)) as u64,
            other => panic!("unknown contender {other}"),
        };
    }
    println!("{sum}");
}
