//! Runs one contender in a loop, for instruction counts under
//! `valgrind --tool=callgrind` (see BENCHMARKS.md, "Profiling"):
//!
//! ```text
//! cargo build --release -p procslink-bench --example profile
//! valgrind --tool=callgrind target/release/examples/profile walk-procslink genl-ctrl-family-dump.bin 1000
//! ```
//!
//! Contenders: walk-{procslink,procslink-try,c,libmnl}, nested-{procslink,c,libmnl},
//! policy-{procslink,libmnl}, build-{procslink,c,libmnl,libmnl-check}, json-{procslink,serde}
//! (with a variant name of `jsonrpc::variants`, `requests` or `responses`
//! for the dump), decode-{procslink,serde} and encode-{procslink,serde}
//! (`requests` or `responses`: the bench's `jsonrpc-decode` and
//! `jsonrpc-encode` code), build-loop-{procslink,c} (1000 messages a call,
//! so per message divide by 1000 more), typed-{procslink,procslink-checked,by-hand,npr} (the
//! `typed_summary` bench's link summary; give it `rtnl-link-dump.bin`). Each runs the code of the bench's
//! benchmark of the same name; `report.py --callgrind` counts them all.

use std::hint::black_box;

use procslink_bench::corpus::{self, DUMPS};
use procslink_bench::{ffi, netlink as nl, typed};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(dump), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: profile <contender> <dump file name> <iterations>");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("iterations");
    if let Some((op, who)) = what
        .split_once('-')
        .filter(|(op, _)| ["decode", "encode"].contains(op))
    {
        corpus_codec(op, who, dump, n);
        return;
    }
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
            "typed-procslink" => typed::procslink_typed(bytes).map_or(0, |f| f.sum),
            "typed-procslink-checked" => typed::procslink_typed_checked(bytes).map_or(0, |f| f.sum),
            "typed-by-hand" => typed::procslink_by_hand(bytes).map_or(0, |f| f.sum),
            "typed-npr" => typed::npr_typed(bytes).sum,
            "policy-procslink" => nl::procslink_policy(bytes, false).sum,
            "policy-libmnl" => ffi::mnl_policy_parse(bytes, false).sum,
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
            "build-libmnl-check" => ffi::mnl_build_newlink_check(black_box(&mut buf)) as u64,
            other => panic!("unknown contender {other}"),
        };
    }
    println!("{sum}");
}

/// `decode-*`/`encode-*`: the corpus requests or responses, decoded or
/// encoded as the bench's `jsonrpc-decode` and `jsonrpc-encode` groups do.
fn corpus_codec(op: &str, who: &str, set: &str, n: u64) {
    use procslink_bench::jsonrpc::{self as rpc, SerdeReq, SerdeResp};
    let requests = set == "requests";
    let texts = rpc::texts(if requests {
        &rpc::REQUESTS
    } else {
        &rpc::RESPONSES
    });
    let mut buf = [0u8; 256];
    let mut sum = 0usize;
    let mut add = |v: Option<usize>| sum ^= v.unwrap_or(0);
    match (op, who, requests) {
        ("decode", "procslink", true) => (0..n).for_each(|_| {
            texts
                .iter()
                .for_each(|t| add(black_box(rpc::ours_request(black_box(t))).map(|_| 1)))
        }),
        ("decode", "procslink", false) => (0..n).for_each(|_| {
            texts
                .iter()
                .for_each(|t| add(black_box(rpc::ours_response(black_box(t))).map(|_| 1)))
        }),
        ("decode", "serde", true) => (0..n).for_each(|_| {
            texts.iter().for_each(|t| {
                add(black_box(serde_json::from_slice::<SerdeReq>(black_box(t)).ok()).map(|_| 1))
            })
        }),
        ("decode", "serde", false) => (0..n).for_each(|_| {
            texts.iter().for_each(|t| {
                add(black_box(serde_json::from_slice::<SerdeResp>(black_box(t)).ok()).map(|_| 1))
            })
        }),
        ("encode", "procslink", true) => {
            let msgs: Vec<_> = texts.iter().filter_map(|t| rpc::ours_request(t)).collect();
            (0..n).for_each(|_| {
                msgs.iter()
                    .for_each(|m| add(rpc::ours_encode_request(black_box(m), &mut buf)))
            })
        }
        ("encode", "procslink", false) => {
            let msgs: Vec<_> = texts.iter().filter_map(|t| rpc::ours_response(t)).collect();
            (0..n).for_each(|_| {
                msgs.iter()
                    .for_each(|m| add(rpc::ours_encode_response(black_box(m), &mut buf)))
            })
        }
        ("encode", "serde", true) => {
            let msgs: Vec<SerdeReq> = texts
                .iter()
                .filter_map(|t| serde_json::from_slice(t).ok())
                .collect();
            (0..n).for_each(|_| {
                msgs.iter()
                    .for_each(|m| add(rpc::serde_encode(black_box(m), &mut buf)))
            })
        }
        ("encode", "serde", false) => {
            let msgs: Vec<SerdeResp> = texts
                .iter()
                .filter_map(|t| serde_json::from_slice(t).ok())
                .collect();
            (0..n).for_each(|_| {
                msgs.iter()
                    .for_each(|m| add(rpc::serde_encode(black_box(m), &mut buf)))
            })
        }
        _ => panic!(
            "unknown {op}-{who} {set}: decode-/encode-{{procslink,serde}} requests|responses"
        ),
    }
    println!("{sum}");
}
