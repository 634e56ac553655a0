//! Every comparison of BENCHMARKS.md in one criterion run: the netlink
//! walks, the nested walk, the policy table, the builder, and JSON-RPC
//! decode/encode. Before anything is timed, every contender must reproduce
//! MANIFEST.md's counts and the same checksum (or the same bytes), and the
//! allocations each makes are counted; both go to
//! `target/criterion/procslink-bench.json` for `report.py`, with the
//! machine's load average when the run starts and when it ends.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use procslink_bench::alloc::{Counting, allocations, installed};
use procslink_bench::corpus::{self, DUMPS};
use procslink_bench::ffi;
use procslink_bench::jsonrpc::{self as rpc, SerdeReq, SerdeResp};
use procslink_bench::loadavg;
use procslink_bench::netlink::{self as nl, WalkResult};

#[global_allocator]
static ALLOC: Counting = Counting;

/// The loaded corpus, checked.
struct Setup {
    dumps: Vec<Vec<u8>>,
    requests: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
    variants: Vec<(&'static str, Vec<Vec<u8>>)>,
}

type Walker = fn(&[u8], usize) -> WalkResult;

const WALKERS: [(&str, Walker); 4] = [
    ("procslink", nl::procslink_walk),
    ("libmnl", ffi::mnl_walk),
    ("c", ffi::c_walk),
    ("netlink-packet-core", nl::npc_walk),
];

const NESTED: [(&str, Walker); 3] = [
    ("procslink", nl::procslink_walk_nested),
    ("libmnl", ffi::mnl_walk_nested),
    ("c", ffi::c_walk_nested),
];

/// Messages built per call in the `build-loop` group.
const BUILD_LOOP: usize = 1000;

/// Allocations per call of `f`, after one warm-up call.
fn allocs<R>(mut f: impl FnMut() -> R) -> u64 {
    black_box(f());
    allocations(|| black_box(f())).1
}

fn meta_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // target/<profile>/deps/compare-<hash>
            let exe = std::env::current_exe().ok()?;
            Some(exe.ancestors().nth(3)?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion").join("procslink-bench.json")
}

fn check() -> Setup {
    assert!(installed(), "the counting allocator is installed");
    let dumps: Vec<Vec<u8>> = DUMPS.iter().map(corpus::load).collect();
    let mut meta = BTreeMap::<String, serde_json::Value>::new();
    let mut alloc_meta = BTreeMap::<String, serde_json::Value>::new();
    let mut per_dump = Vec::new();
    meta.insert("loadavg_start".into(), loadavg().into());

    for (d, bytes) in DUMPS.iter().zip(&dumps) {
        let want = nl::procslink_walk(bytes, d.family_header);
        assert_eq!(
            (want.messages, want.attrs),
            (d.messages, d.attrs),
            "{}: procslink reproduces MANIFEST.md",
            d.name
        );
        assert_eq!(
            nl::procslink_walk_try(bytes, d.family_header),
            Ok(want),
            "{}: procslink with `?`",
            d.name
        );
        alloc_meta.insert(
            format!("walk/procslink-try/{}", d.name),
            allocs(|| nl::procslink_walk_try(bytes, d.family_header)).into(),
        );
        for (who, walk) in WALKERS {
            assert_eq!(walk(bytes, d.family_header), want, "{}: {who}", d.name);
            let n = allocs(|| walk(bytes, d.family_header));
            alloc_meta.insert(format!("walk/{who}/{}", d.name), n.into());
        }
        if d.route {
            let shape = nl::procslink_walk_shape(bytes, d.family_header);
            assert_eq!(
                nl::npr_parse(bytes),
                shape,
                "{}: netlink-packet-route (types and lengths)",
                d.name
            );
            let n = allocs(|| nl::npr_parse(bytes));
            alloc_meta.insert(format!("walk/netlink-packet-route/{}", d.name), n.into());
        }
        per_dump.push(serde_json::json!({
            "name": d.name, "bytes": d.bytes, "messages": d.messages, "attrs": d.attrs,
        }));
    }
    meta.insert("dumps".into(), per_dump.into());

    let link = &dumps[0];
    let want = nl::procslink_walk_nested(link, 16);
    for (who, walk) in NESTED {
        assert_eq!(walk(link, 16), want, "nested: {who}");
        alloc_meta.insert(
            format!("walk-nested/{who}"),
            allocs(|| walk(link, 16)).into(),
        );
    }
    meta.insert(
        "nested".into(),
        serde_json::json!({"messages": want.messages, "attrs": want.attrs}),
    );

    let full = nl::procslink_policy(link, true);
    assert_eq!(full.messages, 85, "one table per RTM_NEWLINK");
    assert_eq!(ffi::mnl_policy_parse(link, true), full, "policy: libmnl");
    assert_eq!(
        ffi::mnl_policy_parse(link, false),
        nl::procslink_policy(link, false),
        "policy: what the consumer reads"
    );
    alloc_meta.insert(
        "policy-table/procslink".into(),
        allocs(|| nl::procslink_policy(link, false)).into(),
    );
    alloc_meta.insert(
        "policy-table/libmnl".into(),
        allocs(|| ffi::mnl_policy_parse(link, false)).into(),
    );
    meta.insert(
        "policy".into(),
        serde_json::json!({"tables": full.messages, "slots_filled": full.attrs}),
    );

    // Identical bytes from every builder. Buffers are pre-filled with 0xAA
    // so that a byte left unwritten shows: procslink and the C builder
    // write every byte, padding included. libmnl 1.0.4 does not zero the
    // padding after a payload (later versions do), so it is compared on a
    // zeroed buffer, and the 0xAA run must differ in padding bytes only.
    let mut ours = [0xAAu8; 512];
    let n = nl::procslink_build_newlink(&mut ours).expect("procslink builds");
    let mut c = [0xAAu8; 512];
    assert_eq!(ffi::c_build_newlink(&mut c), n, "C length");
    assert_eq!(ours[..n], c[..n], "C bytes");
    assert_eq!(
        nl::procslink_build_newlink_loop(&mut ours, BUILD_LOOP),
        n * BUILD_LOOP,
        "procslink loop"
    );
    assert_eq!(
        ffi::c_build_newlink_loop(&mut c, BUILD_LOOP),
        n * BUILD_LOOP,
        "C loop"
    );
    assert_eq!(ours[..n], c[..n], "C bytes after the loops");
    let mut unwritten = 0;
    for (name, build) in [
        (
            "libmnl",
            (|b: &mut [u8; 512]| ffi::mnl_build_newlink(b)) as fn(&mut [u8; 512]) -> usize,
        ),
        ("libmnl-check", |b: &mut [u8; 512]| {
            ffi::mnl_build_newlink_check(b)
        }),
    ] {
        let mut zeroed = [0u8; 512];
        assert_eq!(build(&mut zeroed), n, "{name}: length");
        assert_eq!(ours[..n], zeroed[..n], "{name}: bytes");
        let mut filled = [0xAAu8; 512];
        assert_eq!(build(&mut filled), n, "{name}: length");
        unwritten = 0;
        for (i, (a, b)) in ours[..n].iter().zip(&filled[..n]).enumerate() {
            if a != b {
                assert_eq!(
                    (*a, *b),
                    (0, 0xAA),
                    "{name}: byte {i} differs, and is not padding"
                );
                unwritten += 1;
            }
        }
    }
    assert_eq!(
        nl::procslink_walk_nested(&ours[..n], 16).attrs,
        nl::BUILD_ATTRS,
        "attributes in the built message"
    );
    let mut buf = [0u8; 512];
    alloc_meta.insert(
        "build/procslink".into(),
        allocs(|| nl::procslink_build_newlink(&mut buf).is_ok()).into(),
    );
    alloc_meta.insert(
        "build/libmnl".into(),
        allocs(|| ffi::mnl_build_newlink(&mut buf)).into(),
    );
    alloc_meta.insert(
        "build/libmnl-check".into(),
        allocs(|| ffi::mnl_build_newlink_check(&mut buf)).into(),
    );
    alloc_meta.insert(
        "build/c".into(),
        allocs(|| ffi::c_build_newlink(&mut buf)).into(),
    );
    meta.insert(
        "build".into(),
        serde_json::json!({"bytes": n, "attrs": nl::BUILD_ATTRS, "libmnl_padding_unwritten": unwritten, "loop": BUILD_LOOP}),
    );

    let requests = rpc::texts(&rpc::REQUESTS);
    let responses = rpc::texts(&rpc::RESPONSES);
    rpc::check_agreement(&requests, &responses);
    for (kind, texts) in [("requests", &requests), ("responses", &responses)] {
        let ours = allocs(|| {
            texts
                .iter()
                .filter(|t| {
                    if kind == "requests" {
                        rpc::ours_request(t).is_some()
                    } else {
                        rpc::ours_response(t).is_some()
                    }
                })
                .count()
        });
        let theirs = allocs(|| {
            texts
                .iter()
                .filter(|t| {
                    if kind == "requests" {
                        serde_json::from_slice::<SerdeReq>(t).is_ok()
                    } else {
                        serde_json::from_slice::<SerdeResp>(t).is_ok()
                    }
                })
                .count()
        });
        alloc_meta.insert(format!("jsonrpc-decode/procslink/{kind}"), ours.into());
        alloc_meta.insert(format!("jsonrpc-decode/serde_json/{kind}"), theirs.into());
    }
    let ours_req: Vec<_> = requests
        .iter()
        .filter_map(|t| rpc::ours_request(t))
        .collect();
    let ours_resp: Vec<_> = responses
        .iter()
        .filter_map(|t| rpc::ours_response(t))
        .collect();
    let serde_req: Vec<SerdeReq> = requests
        .iter()
        .filter_map(|t| serde_json::from_slice(t).ok())
        .collect();
    let serde_resp: Vec<SerdeResp> = responses
        .iter()
        .filter_map(|t| serde_json::from_slice(t).ok())
        .collect();
    let mut out = [0u8; 256];
    alloc_meta.insert(
        "jsonrpc-encode/procslink/requests".into(),
        allocs(|| {
            ours_req
                .iter()
                .filter_map(|m| rpc::ours_encode_request(m, &mut out))
                .sum::<usize>()
        })
        .into(),
    );
    alloc_meta.insert(
        "jsonrpc-encode/procslink/responses".into(),
        allocs(|| {
            ours_resp
                .iter()
                .filter_map(|m| rpc::ours_encode_response(m, &mut out))
                .sum::<usize>()
        })
        .into(),
    );
    alloc_meta.insert(
        "jsonrpc-encode/serde_json/requests".into(),
        allocs(|| {
            serde_req
                .iter()
                .filter_map(|m| rpc::serde_encode(m, &mut out))
                .sum::<usize>()
        })
        .into(),
    );
    alloc_meta.insert(
        "jsonrpc-encode/serde_json/responses".into(),
        allocs(|| {
            serde_resp
                .iter()
                .filter_map(|m| rpc::serde_encode(m, &mut out))
                .sum::<usize>()
        })
        .into(),
    );
    let variants = rpc::variants(&requests, &responses);
    let mut variant_meta = Vec::new();
    for (name, texts) in &variants {
        for t in texts {
            let ours = rpc::ours_any(t);
            assert!(ours.is_some(), "{name}: procslink decodes it");
            assert_eq!(ours, rpc::serde_any(t), "{name}: the decoders agree");
        }
        variant_meta.push(serde_json::json!({
            "name": name, "messages": texts.len(),
            "bytes": texts.iter().map(Vec::len).sum::<usize>(),
        }));
        alloc_meta.insert(
            format!("jsonrpc-decode/procslink/{name}"),
            allocs(|| texts.iter().filter_map(|t| rpc::ours_any(t)).sum::<usize>()).into(),
        );
        alloc_meta.insert(
            format!("jsonrpc-decode/serde_json/{name}"),
            allocs(|| {
                texts
                    .iter()
                    .filter_map(|t| rpc::serde_any(t))
                    .sum::<usize>()
            })
            .into(),
        );
    }
    meta.insert(
        "jsonrpc".into(),
        serde_json::json!({"requests": requests.len(), "responses": responses.len(), "variants": variant_meta}),
    );
    meta.insert(
        "allocations".into(),
        serde_json::Value::Object(alloc_meta.into_iter().collect()),
    );

    let path = meta_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let text = serde_json::to_string_pretty(&meta).expect("json");
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    Setup {
        dumps,
        requests,
        responses,
        variants,
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(check)
}

fn walk(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("walk");
    for (d, bytes) in DUMPS.iter().zip(&s.dumps) {
        for (who, walk) in WALKERS {
            g.bench_with_input(BenchmarkId::new(who, d.name), bytes, |b, bytes| {
                b.iter(|| walk(black_box(bytes), d.family_header))
            });
        }
        // The walk as the docs write it, `?` on every item; criterion
        // gets the same `WalkResult` as from the others.
        g.bench_with_input(
            BenchmarkId::new("procslink-try", d.name),
            bytes,
            |b, bytes| {
                b.iter(|| {
                    nl::procslink_walk_try(black_box(bytes), d.family_header).unwrap_or_default()
                })
            },
        );
        if d.route {
            g.bench_with_input(
                BenchmarkId::new("netlink-packet-route", d.name),
                bytes,
                |b, bytes| b.iter(|| nl::npr_parse(black_box(bytes))),
            );
        }
    }
    g.finish();
}

fn nested(c: &mut Criterion) {
    let link = &setup().dumps[0];
    let mut g = c.benchmark_group("walk-nested");
    for (who, walk) in NESTED {
        g.bench_with_input(BenchmarkId::new(who, DUMPS[0].name), link, |b, link| {
            b.iter(|| walk(black_box(link), 16))
        });
    }
    g.finish();
}

fn policy(c: &mut Criterion) {
    let link = &setup().dumps[0];
    let mut g = c.benchmark_group("policy-table");
    g.bench_with_input(
        BenchmarkId::new("procslink", DUMPS[0].name),
        link,
        |b, link| b.iter(|| nl::procslink_policy(black_box(link), false)),
    );
    g.bench_with_input(
        BenchmarkId::new("libmnl", DUMPS[0].name),
        link,
        |b, link| b.iter(|| ffi::mnl_policy_parse(black_box(link), false)),
    );
    g.finish();
}

fn build(c: &mut Criterion) {
    setup();
    let mut buf = [0u8; 512];
    let mut g = c.benchmark_group("build");
    // Like the C contenders, the length (0 on failure) is what the
    // harness keeps. Handing criterion the whole 40-byte
    // `Result<usize, Error>` instead costs about 6 ns of stores and reloads
    // around its black box, which code that uses `?` never pays; that
    // variant is timed too.
    g.bench_function(BenchmarkId::new("procslink", "rtm_newlink"), |b| {
        b.iter(|| nl::procslink_build_newlink(black_box(&mut buf)).unwrap_or(0))
    });
    g.bench_function(BenchmarkId::new("procslink-result", "rtm_newlink"), |b| {
        b.iter(|| nl::procslink_build_newlink(black_box(&mut buf)))
    });
    g.bench_function(BenchmarkId::new("libmnl", "rtm_newlink"), |b| {
        b.iter(|| ffi::mnl_build_newlink(black_box(&mut buf)))
    });
    g.bench_function(BenchmarkId::new("libmnl-check", "rtm_newlink"), |b| {
        b.iter(|| ffi::mnl_build_newlink_check(black_box(&mut buf)))
    });
    g.bench_function(BenchmarkId::new("c", "rtm_newlink"), |b| {
        b.iter(|| ffi::c_build_newlink(black_box(&mut buf)))
    });
    g.finish();

    // The same builders each timed from its own language: one call runs
    // BUILD_LOOP messages in a Rust loop or a C loop, so the C builder
    // pays no FFI call per message (what the rows above charge it).
    let mut g = c.benchmark_group("build-loop");
    g.bench_function(BenchmarkId::new("procslink", "rtm_newlink"), |b| {
        b.iter(|| nl::procslink_build_newlink_loop(black_box(&mut buf), BUILD_LOOP))
    });
    g.bench_function(BenchmarkId::new("c", "rtm_newlink"), |b| {
        b.iter(|| ffi::c_build_newlink_loop(black_box(&mut buf), BUILD_LOOP))
    });
    g.finish();
}

fn jsonrpc(c: &mut Criterion) {
    let s = setup();
    let (requests, responses) = (&s.requests, &s.responses);
    let mut g = c.benchmark_group("jsonrpc-decode");
    g.bench_function(BenchmarkId::new("procslink", "requests"), |b| {
        b.iter(|| {
            for text in requests {
                black_box(rpc::ours_request(black_box(text)));
            }
        })
    });
    g.bench_function(BenchmarkId::new("serde_json", "requests"), |b| {
        b.iter(|| {
            for text in requests {
                black_box(serde_json::from_slice::<SerdeReq>(black_box(text)).ok());
            }
        })
    });
    g.bench_function(BenchmarkId::new("procslink", "responses"), |b| {
        b.iter(|| {
            for text in responses {
                black_box(rpc::ours_response(black_box(text)));
            }
        })
    });
    g.bench_function(BenchmarkId::new("serde_json", "responses"), |b| {
        b.iter(|| {
            for text in responses {
                black_box(serde_json::from_slice::<SerdeResp>(black_box(text)).ok());
            }
        })
    });
    g.finish();

    // The corpus in other spellings and with larger params, both decoders
    // reading any message in one pass (`rpc::variants`).
    let mut g = c.benchmark_group("jsonrpc-decode-variants");
    for (name, texts) in &s.variants {
        g.bench_function(BenchmarkId::new("procslink", name), |b| {
            b.iter(|| {
                for text in texts {
                    black_box(rpc::ours_any(black_box(text)));
                }
            })
        });
        g.bench_function(BenchmarkId::new("serde_json", name), |b| {
            b.iter(|| {
                for text in texts {
                    black_box(rpc::serde_any(black_box(text)));
                }
            })
        });
    }
    g.finish();

    let ours_req: Vec<_> = requests
        .iter()
        .filter_map(|t| rpc::ours_request(t))
        .collect();
    let ours_resp: Vec<_> = responses
        .iter()
        .filter_map(|t| rpc::ours_response(t))
        .collect();
    let serde_req: Vec<SerdeReq> = requests
        .iter()
        .filter_map(|t| serde_json::from_slice(t).ok())
        .collect();
    let serde_resp: Vec<SerdeResp> = responses
        .iter()
        .filter_map(|t| serde_json::from_slice(t).ok())
        .collect();
    let mut buf = [0u8; 256];
    let mut g = c.benchmark_group("jsonrpc-encode");
    g.bench_function(BenchmarkId::new("procslink", "requests"), |b| {
        b.iter(|| {
            for m in &ours_req {
                black_box(rpc::ours_encode_request(black_box(m), &mut buf));
            }
        })
    });
    g.bench_function(BenchmarkId::new("serde_json", "requests"), |b| {
        b.iter(|| {
            for m in &serde_req {
                black_box(rpc::serde_encode(black_box(m), &mut buf));
            }
        })
    });
    g.bench_function(BenchmarkId::new("procslink", "responses"), |b| {
        b.iter(|| {
            for m in &ours_resp {
                black_box(rpc::ours_encode_response(black_box(m), &mut buf));
            }
        })
    });
    g.bench_function(BenchmarkId::new("serde_json", "responses"), |b| {
        b.iter(|| {
            for m in &serde_resp {
                black_box(rpc::serde_encode(black_box(m), &mut buf));
            }
        })
    });
    g.finish();
}

/// Adds the load average at the end of the run to the bench's JSON (the
/// last target of the group: criterion runs them in order).
fn record_end(_: &mut Criterion) {
    let path = meta_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(serde_json::Value::Object(mut meta)) = serde_json::from_str(&text) else {
        return;
    };
    meta.insert("loadavg_end".into(), loadavg().into());
    let text = serde_json::to_string_pretty(&meta).expect("json");
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("cannot write {}: {e}", path.display());
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = walk, nested, policy, build, jsonrpc, record_end
}
criterion_main!(benches);
