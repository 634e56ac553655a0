//! A typed summary of the real link dump (`tests/data/rtnl-link-dump.bin`:
//! 85 links) against the plain attribute walk of the same bytes and against
//! `netlink-packet-route` (BENCHMARKS.md, "Typed views"). Before timing,
//! both typed contenders must read the same values (the same [`LinkFold`])
//! and the crate's summary must allocate nothing.
//!
//! Issue 19's goals, printed after criterion's run: the typed summary at
//! most 1.5× the plain walk, and at least 30× faster than
//! `netlink-packet-route`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use procslink_bench::alloc::{Counting, allocations, installed};
use procslink_bench::corpus::{self, DUMPS};
use procslink_bench::netlink as nl;
use procslink_bench::typed::{self, LinkFold};

#[global_allocator]
static ALLOC: Counting = Counting;

const WALK_GOAL: f64 = 1.5;
const NPR_GOAL: f64 = 30.0;

fn link_dump() -> (Vec<u8>, usize) {
    let dump = DUMPS
        .iter()
        .find(|d| d.name == "rtnl-link-dump.bin")
        .expect("the link dump is in the corpus");
    (corpus::load(dump), dump.family_header)
}

fn check(dump: &[u8]) -> LinkFold {
    assert!(installed(), "the counting allocator is installed");
    let ours = typed::procslink_typed(dump).expect("the dump reads");
    let by_hand = typed::procslink_by_hand(dump).expect("the dump reads");
    let theirs = typed::npr_typed(dump);
    assert_eq!(ours, by_hand, "the view reads what the plain walk reads");
    let strict = typed::procslink_typed_checked(dump).expect("the dump passes the strict parse");
    assert_eq!(
        ours, strict,
        "the strict parse reads what the lazy one reads"
    );
    assert_eq!(ours, theirs, "netlink-packet-route reads the same values");
    assert!(ours.links >= 80 && ours.kinds > 0, "{ours:?}");
    let (_, allocs) = allocations(|| black_box(typed::procslink_typed(black_box(dump))));
    assert_eq!(allocs, 0, "the typed summary allocates nothing");
    ours
}

/// Median nanoseconds per call of `f` over `rounds` rounds of `iters`
/// calls: the same clock for every contender, interleaved by the caller.
fn median_ns(rounds: &mut [Vec<f64>], i: usize, iters: u32, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    rounds[i].push(start.elapsed().as_nanos() as f64 / f64::from(iters));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ratios(dump: &[u8], hdr: usize, quick: bool) {
    let (rounds, iters) = if quick { (3, 20) } else { (21, 2_000) };
    let mut times = vec![Vec::new(); 4];
    for _ in 0..rounds {
        median_ns(&mut times, 0, iters, || {
            black_box(nl::procslink_walk(black_box(dump), hdr));
        });
        median_ns(&mut times, 1, iters, || {
            black_box(typed::procslink_by_hand(black_box(dump)).ok());
        });
        median_ns(&mut times, 2, iters, || {
            black_box(typed::procslink_typed(black_box(dump)).ok());
        });
        median_ns(&mut times, 3, iters / 20 + 1, || {
            black_box(typed::npr_typed(black_box(dump)));
        });
    }
    let [walk, by_hand, ours, npr] = [0, 1, 2, 3].map(|i| median(&mut times[i]));
    println!(
        "typed-summary  plain walk {walk:.0} ns  by hand {by_hand:.0} ns  typed view {ours:.0} ns  \
         netlink-packet-route {npr:.0} ns"
    );
    println!(
        "typed-summary  typed view {:.2}x the plain walk (goal <= {WALK_GOAL}), {:.2}x the summary by hand; \
         netlink-packet-route {:.1}x the typed view (goal >= {NPR_GOAL})",
        ours / walk,
        ours / by_hand,
        npr / ours,
    );
    if !quick {
        if ours / walk > WALK_GOAL {
            println!(
                "typed-summary goal missed: {:.2}x the plain walk",
                ours / walk
            );
        }
        if npr / ours < NPR_GOAL {
            println!(
                "typed-summary goal missed: netlink-packet-route only {:.1}x slower",
                npr / ours
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    let (dump, hdr) = link_dump();
    let fold = check(&dump);
    let quick = std::env::args().any(|a| a == "--test");
    println!(
        "typed-summary  {} links, {} with a kind",
        fold.links, fold.kinds
    );
    ratios(&dump, hdr, quick);

    let mut g = c.benchmark_group("typed-summary");
    g.warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    g.bench_function("plain-walk", |b| {
        b.iter(|| nl::procslink_walk(black_box(&dump), hdr))
    });
    g.bench_function("by-hand", |b| {
        b.iter(|| typed::procslink_by_hand(black_box(&dump)))
    });
    g.bench_function("procslink-typed", |b| {
        b.iter(|| typed::procslink_typed(black_box(&dump)))
    });
    g.bench_function("netlink-packet-route", |b| {
        b.iter(|| typed::npr_typed(black_box(&dump)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
