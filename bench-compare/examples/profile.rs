//! Runs one contender in a loop, for instruction counts under
//! `valgrind --tool=callgrind` (see BENCHMARKS.md, "Profiling"):
//!
//! ```text
//! cargo build --release -p procslink-bench --example profile
//! valgrind --tool=callgrind target/release/examples/profile walk-procslink genl-ctrl-family-dump.bin 1000
//! ```
//!
//! Contenders: walk-{procslink,c,libmnl}, nested-{procslink,c,libmnl},
//! build-{procslink,c,libmnl}.

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
            "walk-c" => ffi::c_walk(bytes, hdr).sum,
            "walk-libmnl" => ffi::mnl_walk(bytes, hdr).sum,
            "nested-procslink" => nl::procslink_walk_nested(bytes, hdr).sum,
            "nested-c" => ffi::c_walk_nested(bytes, hdr).sum,
            "nested-libmnl" => ffi::mnl_walk_nested(bytes, hdr).sum,
            "build-procslink" => {
                nl::procslink_build_newlink(black_box(&mut buf)).unwrap_or(0) as u64
            }
            "build-c" => ffi::c_build_newlink(black_box(&mut buf)) as u64,
            "build-libmnl" => ffi::mnl_build_newlink(black_box(&mut buf)) as u64,
            other => panic!("unknown contender {other}"),
        };
    }
    println!("{sum}");
}
