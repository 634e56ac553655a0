#!/usr/bin/env python3
"""Turns one `cargo bench -p procslink-bench` run into BENCHMARKS.md tables
and an SVG chart. Standard library only.

    python3 bench-compare/report.py                       # plain run
    python3 bench-compare/report.py --target target/lto --section lto --no-chart
    python3 bench-compare/report.py --section kernel   # after the kernel_dump bench
    python3 bench-compare/report.py --callgrind        # count instructions, then report

It reads criterion's estimates (the median of each benchmark and its
confidence interval) under <target>/criterion, the counts, allocation
numbers and load averages the bench wrote to
<target>/criterion/procslink-bench.json, the round-trip loops of
<target>/criterion/procslink-roundtrip.json (if the roundtrip bench ran)
and the instruction counts of <target>/criterion/procslink-callgrind.json
(if `--callgrind` made them), then replaces the text between `<!-- report:SECTION:begin -->` and `<!-- report:SECTION:end -->` in
BENCHMARKS.md (the prose around the markers is left alone) and writes
docs/benchmarks.svg.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUMPS = ["rtnl-link-dump.bin", "rtnl-addr-dump.bin", "rtnl-route-dump.bin",
         "rtnl-neigh-dump.bin", "genl-ctrl-family-dump.bin"]
LINK = DUMPS[0]
CALLGRIND_JSON = "procslink-callgrind.json"


class Time(float):
    """A criterion median (ns) that carries its 95 % confidence interval."""

    def __new__(cls, median, lower, upper):
        t = super().__new__(cls, median)
        t.lower, t.upper = lower, upper
        return t


def load(target):
    crit = target / "criterion"
    meta = json.loads((crit / "procslink-bench.json").read_text())
    rt = crit / "procslink-roundtrip.json"
    meta["roundtrip"] = json.loads(rt.read_text()) if rt.exists() else None
    cg = crit / CALLGRIND_JSON
    meta["callgrind"] = json.loads(cg.read_text()) if cg.exists() else None
    times = {}
    for est in crit.glob("*/*/*/new/estimates.json"):
        group, who, param = est.parts[-5:-2]
        median = json.loads(est.read_text())["median"]
        ci = median["confidence_interval"]
        times[(group, who, param)] = Time(median["point_estimate"], ci["lower_bound"], ci["upper_bound"])
    return meta, times


def fmt_ns(ns):
    if ns >= 100_000:
        return f"{ns / 1000:,.0f} µs"
    if ns >= 10_000:
        return f"{ns / 1000:.1f} µs"
    if ns >= 100:
        return f"{ns:,.0f} ns"
    return f"{ns:.1f} ns"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def spread(a, b):
    """a ÷ b with the interval its medians' confidence intervals allow:
    `1.07× [1.01–1.13]` (the low end is a's lower bound over b's upper)."""
    if not (a and b):
        return "–"
    text = f"{a / b:.2f}×"
    if isinstance(a, Time) and isinstance(b, Time) and b.lower > 0:
        text += f" [{a.lower / b.upper:.2f}–{a.upper / b.lower:.2f}]"
    return text


def fmt_ci(t):
    """A time with its confidence interval: `910 ns [902–921]`."""
    if not t:
        return "–"
    if not isinstance(t, Time):
        return fmt_ns(t)
    unit = fmt_ns(t)
    scale, suffix = (1000, " µs") if unit.endswith("µs") else (1, " ns")
    digits = 1 if (t / scale) < 100 else 0
    return f"{unit} [{t.lower / scale:,.{digits}f}–{t.upper / scale:,.{digits}f}]"


def instr(cg, key):
    """Instructions per call of the benchmark `key` (group/who/param), if
    counted."""
    if not cg:
        return None
    return cg["counts"].get("/".join(key))


def fmt_instr(n):
    return f"{n:,.0f}" if n is not None else "–"


def iratio(cg, a, b):
    x, y = instr(cg, a), instr(cg, b)
    return f"{x / y:.2f}×" if x and y else "–"


def verdict(ok):
    return "**met**" if ok else "**missed**"


WALKERS = [("procslink", "procslink"), ("procslink-try", "procslink with `?`"), ("c", "hand-written C"),
           ("libmnl", "libmnl"), ("netlink-packet-core", "netlink-packet-core"),
           ("netlink-packet-route", "netlink-packet-route (owned parse)")]

VARIANTS = [
    ("compact", "the corpus, compact spelling (`{\"jsonrpc\":\"2.0\",…}`)"),
    ("reordered", "the corpus, members in other orders"),
    ("mixed-1k", "one request, ~1 KB of mixed params"),
    ("mixed-10k", "one request, ~10 KB of mixed params"),
    ("mixed-60k", "one request, ~60 KB of mixed params"),
    ("long-string", "one request, one 60 KB string"),
    ("numbers", "one request, 60 KB of small numbers"),
]


def run_note(meta):
    """The load the run met, and how the instruction counts were made."""
    start, end = meta.get("loadavg_start"), meta.get("loadavg_end")
    out = []
    if start:
        out.append(f"Load average (1, 5, 15 min) when the run started: **{start}**"
                   + (f"; when it ended: **{end}**" if end else "") + ". ")
    out.append("Times are criterion's median with its 95 % confidence interval in brackets; "
               "a ratio's interval runs from the numerator's lower bound over the denominator's upper "
               "bound to the reverse.")
    cg = meta.get("callgrind")
    if cg:
        out.append(f" Instruction counts (callgrind, valgrind {cg['valgrind'].removeprefix('valgrind-')}): {cg['method']}.")
    return "".join(out) + "\n"


def tables(meta, times, lto):
    t = lambda g, w, p: times.get((g, w, p))
    cg = meta.get("callgrind")
    n_ = lambda g, w, p: instr(cg, (g, w, p))
    out = [run_note(meta)]
    dumps = {d["name"]: d for d in meta["dumps"]}
    alloc = meta["allocations"]

    out.append("### Walk: every message and top-level attribute\n")
    out.append("Median time per dump; ns per attribute in brackets. \"procslink\" stops at the first error "
               "as the C loop does; \"with `?`\" is the same walk written as the docs write it, every "
               "error handed to the caller with its offset. C at `-O3`.\n")
    out.append("| dump | msgs | attrs | " + " | ".join(label for _, label in WALKERS) + " |")
    out.append("|---|--:|--:|" + "--:|" * len(WALKERS))
    for name in DUMPS:
        d = dumps[name]
        row = [f"`{name}`", str(d["messages"]), str(d["attrs"])]
        for who, _ in WALKERS:
            v = t("walk", who, name)
            row.append(f"{fmt_ns(v)} ({v / d['attrs']:.2f})" if v else "–")
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append("Ratios (time ÷ time, same run, interval in brackets): ≤ 1 means procslink is faster.\n")
    out.append("| dump | procslink ÷ C | with `?` ÷ C | procslink ÷ libmnl | procslink ÷ netlink-packet-core "
               "| netlink-packet-route ÷ procslink |")
    out.append("|---|--:|--:|--:|--:|--:|")
    for name in DUMPS:
        p = t("walk", "procslink", name)
        out.append(f"| `{name}` | {spread(p, t('walk', 'c', name))} | {spread(t('walk', 'procslink-try', name), t('walk', 'c', name))} "
                   f"| {spread(p, t('walk', 'libmnl', name))} | {spread(p, t('walk', 'netlink-packet-core', name))} "
                   f"| {spread(t('walk', 'netlink-packet-route', name), p)} |")
    out.append("")
    if cg:
        out.append("Instructions per dump (callgrind):\n")
        out.append("| dump | hand-written C | procslink | with `?` | libmnl | procslink ÷ C | with `?` ÷ C |")
        out.append("|---|--:|--:|--:|--:|--:|--:|")
        for name in DUMPS:
            k = lambda who: ("walk", who, name)
            out.append(f"| `{name}` | {fmt_instr(n_(*k('c')))} | {fmt_instr(n_(*k('procslink')))} "
                       f"| {fmt_instr(n_(*k('procslink-try')))} | {fmt_instr(n_(*k('libmnl')))} "
                       f"| {iratio(cg, k('procslink'), k('c'))} | {iratio(cg, k('procslink-try'), k('c'))} |")
        out.append("")

    n = meta["nested"]
    out.append(f"### Walk with descent into nests (`{LINK}`: {n['messages']} messages, {n['attrs']} attributes at all depths)\n")
    out.append("| contender | time | ns/attr | ÷ procslink | instructions | ÷ procslink |")
    out.append("|---|--:|--:|--:|--:|--:|")
    p = t("walk-nested", "procslink", LINK)
    for who, label in [("procslink", "procslink"), ("c", "hand-written C"), ("libmnl", "libmnl")]:
        v = t("walk-nested", who, LINK)
        out.append(f"| {label} | {fmt_ci(v)} | {v / n['attrs']:.2f} | {spread(v, p)} "
                   f"| {fmt_instr(n_('walk-nested', who, LINK))} "
                   f"| {iratio(cg, ('walk-nested', who, LINK), ('walk-nested', 'procslink', LINK))} |")
    out.append("")

    pol = meta["policy"]
    out.append(f"### Policy/index table (`{LINK}`: {pol['tables']} RTM_NEWLINK tables of 64 slots, {pol['slots_filled']} slots filled)\n")
    out.append("| contender | time | ns/table | ÷ procslink | instructions | ÷ procslink |")
    out.append("|---|--:|--:|--:|--:|--:|")
    p = t("policy-table", "procslink", LINK)
    for who, label in [("procslink", "procslink `AttrTable::<64>::parse` + `Policy`"),
                       ("libmnl", "libmnl `mnl_attr_parse` + `mnl_attr_validate` into `tb[64]`")]:
        v = t("policy-table", who, LINK)
        out.append(f"| {label} | {fmt_ci(v)} | {v / pol['tables']:.1f} | {spread(v, p)} "
                   f"| {fmt_instr(n_('policy-table', who, LINK))} "
                   f"| {iratio(cg, ('policy-table', who, LINK), ('policy-table', 'procslink', LINK))} |")
    out.append("")

    b = meta["build"]
    loop = b.get("loop", 1000)
    out.append(f"### Build (RTM_NEWLINK-like, {b['attrs']} attributes incl. 2 nests, {b['bytes']} bytes)\n")
    out.append(f"Each builder timed from a loop of its own language (`build-loop`: {loop:,} messages a call, "
               "a Rust loop for procslink, a C loop for the C builder), so that neither pays a call "
               "across the FFI per message:\n")
    out.append("| contender | ns/message | procslink ÷ it | instructions/message | procslink ÷ it |")
    out.append("|---|--:|--:|--:|--:|")
    pl = t("build-loop", "procslink", "rtm_newlink")
    for who, label in [("procslink", "procslink (checked), Rust loop"), ("c", "hand-written C (checked), C loop")]:
        v = t("build-loop", who, "rtm_newlink")
        ins = n_("build-loop", who, "rtm_newlink")
        out.append(f"| {label} | {fmt_ci(Time(v / loop, v.lower / loop, v.upper / loop)) if v else '–'} "
                   f"| {spread(pl, v)} | {fmt_instr(ins / loop if ins else None)} "
                   f"| {iratio(cg, ('build-loop', 'procslink', 'rtm_newlink'), ('build-loop', who, 'rtm_newlink'))} |")
    out.append("")
    out.append("One message per call from the Rust harness (the C and libmnl builders across the FFI):\n")
    out.append("| contender | ns/message | ns/attr | procslink ÷ it | instructions | procslink ÷ it |")
    out.append("|---|--:|--:|--:|--:|--:|")
    p = t("build", "procslink", "rtm_newlink")
    for who, label in [("procslink", "procslink (checked)"),
                       ("procslink-result", "procslink, whole `Result` black-boxed¹"),
                       ("libmnl", "libmnl `mnl_attr_put*` (unchecked)"),
                       ("libmnl-check", "libmnl `mnl_attr_put*_check`"), ("c", "hand-written C (checked)")]:
        v = t("build", who, "rtm_newlink")
        out.append(f"| {label} | {fmt_ci(v)} | {v / b['attrs']:.2f} | {spread(p, v)} "
                   f"| {fmt_instr(n_('build', who, 'rtm_newlink'))} "
                   f"| {iratio(cg, ('build', 'procslink', 'rtm_newlink'), ('build', who, 'rtm_newlink'))} |")
    out.append("")
    out.append("¹ Every builder hands the harness the message length (0 on failure), as the C ones return it; "
               "this row hands criterion's `black_box` the 40-byte `Result<usize, Error>` instead, whose "
               "stores and reloads cost the difference. Code that uses `?` on the result never pays it.\n")

    j = meta["jsonrpc"]
    out.append(f"### JSON-RPC ({j['requests']} requests, {j['responses']} responses from the corpus)\n")
    out.append("| operation | procslink ns/msg | serde_json ns/msg | procslink ÷ serde_json | instructions/msg procslink | serde_json | ÷ |")
    out.append("|---|--:|--:|--:|--:|--:|--:|")
    for op in ["decode", "encode"]:
        for kind in ["requests", "responses"]:
            p = t(f"jsonrpc-{op}", "procslink", kind)
            s_ = t(f"jsonrpc-{op}", "serde_json", kind)
            k = j[kind]
            ip, is_ = n_(f"jsonrpc-{op}", "procslink", kind), n_(f"jsonrpc-{op}", "serde_json", kind)
            out.append(f"| {op} {kind} | {p / k:.1f} | {s_ / k:.1f} | {spread(p, s_)} "
                       f"| {fmt_instr(ip / k if ip else None)} | {fmt_instr(is_ / k if is_ else None)} "
                       f"| {iratio(cg, (f'jsonrpc-{op}', 'procslink', kind), (f'jsonrpc-{op}', 'serde_json', kind))} |")
    out.append("")
    variants = {v["name"]: v for v in j.get("variants", [])}
    if variants:
        out.append("Decoding other spellings and larger params (`jsonrpc-decode-variants`: both decoders read "
                   "any message in one pass; time per set of messages):\n")
        out.append("| set | msgs | bytes | procslink | serde_json | procslink ÷ serde_json | procslink MB/s "
                   "| instructions procslink | serde_json | ÷ |")
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        g = "jsonrpc-decode-variants"
        for name, label in VARIANTS:
            if name not in variants:
                continue
            v = variants[name]
            p, s_ = t(g, "procslink", name), t(g, "serde_json", name)
            out.append(f"| {label} | {v['messages']} | {v['bytes']:,} | {fmt_ci(p)} | {fmt_ci(s_)} "
                       f"| {spread(p, s_)} | {v['bytes'] / p * 1000:,.0f} "
                       f"| {fmt_instr(n_(g, 'procslink', name))} | {fmt_instr(n_(g, 'serde_json', name))} "
                       f"| {iratio(cg, (g, 'procslink', name), (g, 'serde_json', name))} |")
        out.append("")

    out.append("### Targets\n")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    worst_c = max(t("walk", "procslink", d) / t("walk", "c", d) for d in DUMPS)
    link_c = t("walk", "procslink", LINK) / t("walk", "c", LINK)
    out.append(f"| walk ≤ 1.25× hand-written C | `{LINK}` {link_c:.2f}×, worst dump {worst_c:.2f}× | {verdict(worst_c <= 1.25)} |")
    if cg:
        for who, label in [("procslink", "walk"), ("procslink-try", "walk with `?`")]:
            rs = {d: instr(cg, ("walk", who, d)) / instr(cg, ("walk", "c", d)) for d in DUMPS}
            worst = max(rs, key=rs.get)
            times_ = {d: t("walk", who, d) / t("walk", "c", d) for d in DUMPS}
            out.append(f"| {label} ≤ 1.10× hand-written C (issue 18) | instructions {min(rs.values()):.2f}–{rs[worst]:.2f}× "
                       f"(worst `{worst}`); time {min(times_.values()):.2f}–{max(times_.values()):.2f}× "
                       f"| {verdict(rs[worst] <= 1.10)} by instructions, {verdict(max(times_.values()) <= 1.10)} by time |")
    npr = t("walk", "netlink-packet-route", LINK) / t("walk", "procslink", LINK)
    out.append(f"| walk ≥ 20× faster than netlink-packet-route | {npr:.0f}× (`{LINK}`) | {verdict(npr >= 20)} |")
    pb = t("build", "procslink", "rtm_newlink")
    bm = pb / t("build", "libmnl", "rtm_newlink")
    bmc = pb / t("build", "libmnl-check", "rtm_newlink")
    out.append(f"| build ≤ 1.0× libmnl | {bm:.2f}× (unchecked API), {bmc:.2f}× (`_check` API) | {verdict(bm <= 1.0)} |")
    bl = t("build-loop", "procslink", "rtm_newlink")
    bcl = t("build-loop", "c", "rtm_newlink")
    if bl and bcl:
        ins = iratio(cg, ("build-loop", "procslink", "rtm_newlink"), ("build-loop", "c", "rtm_newlink"))
        out.append(f"| build faster than the hand-written C builder, each from its own loop, C at `-O3` | "
                   f"{spread(bl, bcl)}" + (f", instructions {ins}" if cg else "") + f" | {verdict(bl < bcl)} |")
    for op in ["decode", "encode"]:
        rs = [t(f"jsonrpc-{op}", "procslink", k) / t(f"jsonrpc-{op}", "serde_json", k) for k in ["requests", "responses"]]
        out.append(f"| JSON-RPC {op} ≤ 1.0× serde_json | requests {rs[0]:.2f}×, responses {rs[1]:.2f}× | {verdict(max(rs) <= 1.0)} |")
    if variants:
        g = "jsonrpc-decode-variants"
        rs = {name: t(g, "procslink", name) / t(g, "serde_json", name) for name, _ in VARIANTS if name in variants}
        worst = max(rs, key=rs.get)
        out.append(f"| JSON-RPC decode ≤ 0.8× serde_json in every spelling and size (issue 18) | "
                   f"{min(rs.values()):.2f}–{rs[worst]:.2f}× (worst: {worst}) | {verdict(rs[worst] <= 0.8)} |")
    ours = {k: v for k, v in alloc.items() if "/procslink" in k}
    zero = all(v == 0 for v in ours.values())
    out.append(f"| zero heap allocations in every codec path | {sum(ours.values())} allocations over {len(ours)} procslink paths | {verdict(zero)} |")
    out.append("")

    if not lto:
        out.append("### Heap allocations per call (counting global allocator, second call)\n")
        out.append("| path | procslink | others |")
        out.append("|---|--:|---|")
        rows = {}
        for key, v in sorted(alloc.items()):
            parts = key.split("/")
            group, who, rest = parts[0], parts[1], "/".join(parts[2:])
            if who.startswith("procslink-"):
                # A second procslink contender (the `?` walk): its own row.
                group, rest = group, f"{rest} ({who})"
                who = "procslink"
            rows.setdefault((group, rest), {})[who] = v
        for (group, rest), by in rows.items():
            label = f"{group} {rest}".strip()
            others = ", ".join(f"{w} {v}" for w, v in by.items() if w != "procslink")
            out.append(f"| {label} | {by.get('procslink', '–')} | {others} |")
        per_msg = alloc.get(f"walk/netlink-packet-route/{LINK}", 0) / dumps[LINK]["messages"]
        out.append("")
        out.append(f"netlink-packet-route's owned parse makes {per_msg:.1f} allocations per message of the link dump; "
                   f"libmnl leaves {b['libmnl_padding_unwritten']} padding bytes of the built message unwritten "
                   "(the output is identical on a zeroed buffer).")
        out.append("")
    return "\n".join(out)


def roundtrip_section(rt, t):
    """The round trip's table and targets (`report:roundtrip`), from the
    roundtrip bench's run."""
    out = [roundtrip_table(rt, t)]
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    r = rt["results"]
    raw = t("roundtrip", "raw", "hello")
    apis = [(who, api) for who, api in [("peer-netlink", "`call`"), ("peer-netlink-typed", "`call_typed`"),
                                        ("peer-netlink-raw", "`call_raw`")] if who in r]
    medians = {who: t("roundtrip", who, "hello") / raw for who, _ in apis}
    p50s = {who: r[who]["p50_ns"] / r["raw"]["p50_ns"] for who, _ in apis}
    text = ", ".join(f"{api} {medians[who]:.2f}× ({p50s[who]:.2f}× loop p50)" for who, api in apis)
    # Met only where both measures agree.
    both = min(max(medians[who], p50s[who]) for who, _ in apis)
    out.append(f"| round trip ≤ 1.2× the raw netlink ping-pong | {text} (criterion medians; "
               f"met only if both are) | {verdict(both <= 1.2)} |")
    if "python" in r:
        pys = {who: r["python"]["p50_ns"] / r[who]["p50_ns"] for who, _ in apis}
        text = ", ".join(f"{api} {pys[who]:.1f}×" for who, api in apis)
        out.append(f"| peer ≥ 13× faster than the Python reference | {text} (p50, Python client → Python server "
                   f"÷ Rust client → Rust server) | {verdict(max(pys.values()) >= 13)} |")
    out.append("")
    return "\n".join(out)


RT_ROWS = [
    ("raw", "raw netlink ping-pong (no codec)", "Rust raw → Rust raw"),
    ("raw-to-peer-server", "raw client → peer server", "Rust raw → Rust peer"),
    ("peer-netlink", "**peer over netlink**, `call` (`serde_json::Value`)", "Rust peer → Rust peer"),
    ("peer-netlink-typed", "peer over netlink, `call_typed` (`(&str,)` → `String`)", "Rust peer → Rust peer"),
    ("peer-netlink-raw", "peer over netlink, `call_raw` (borrowed JSON text)", "Rust peer → Rust peer"),
    ("peer-unix", "peer over Unix datagrams", "Rust peer → Rust peer"),
    ("rust-to-python", "peer client → Python server", "Rust peer → Python"),
    ("python-to-rust", "Python client → peer server", "Python → Rust peer"),
    ("python", "Python reference ProcsLink 0.1.2", "Python → Python"),
]


def roundtrip_table(rt, t):
    r = rt["results"]
    out = []
    out.append(f"### Round trip (`hello(\"Rust\")`, {rt['request_bytes']}-byte request, "
               f"{rt['response_bytes']}-byte response, two processes, pinned: `{rt['pin']}`)\n")
    rounds = rt.get("rounds")
    side = (f"the Rust clients side by side in {rounds} interleaved rounds, " if rounds else "")
    out.append(f"Criterion median of one call per iteration (Rust clients only), and loops of "
               f"{rt['calls']:,} calls per contender, each timed, after {rt['warmup']:,} warm-up calls: "
               f"{side}the Python client timing itself with `time.perf_counter_ns`.\n")
    out.append("| contender | client → server | median | loop p50 | loop p99 | calls/s | ÷ raw (p50) | Python ÷ it (p50) |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|")
    raw = r["raw"]["p50_ns"]
    py = r.get("python", {}).get("p50_ns")
    for who, label, path in RT_ROWS:
        if who not in r:
            continue
        x = r[who]
        med = t("roundtrip", who, "hello")
        out.append(f"| {label} | {path} | {fmt_ns(med) if med else '–'} | {fmt_ns(x['p50_ns'])} | "
                   f"{fmt_ns(x['p99_ns'])} | {x['calls_per_s']:,.0f} | {x['p50_ns'] / raw:.2f}× | "
                   f"{ratio(py, x['p50_ns'])} |")
    a = rt["caller_allocations"]
    out.append("")
    out.append(f"Heap allocations on the calling thread per call: peer client {a['peer-netlink']}, "
               f"raw {a['raw']} (the servers are not counted).")
    out.append("")
    return "\n".join(out)


KD_ROWS = [
    ("raw-c", "raw C receive loop (the floor: the kernel's own cost)", "in process"),
    ("crate", "**procslink** `KernelSocket::dump` + decode every message", "in process"),
    ("procslink-j", "`procslink dump route -j` / `dump link -j`", "whole process"),
    ("ip-j", "`ip -j route show table all` / `ip -j link show` (iproute2)", "whole process"),
    ("pyroute2", "pyroute2 `IPRoute().get_routes()` / `get_links()`", "in Python"),
]


def kernel_tables(kd, times):
    """The kernel dump section, from benches/kernel_dump.rs's JSON and
    criterion's `kernel-dump` group."""
    r, tb = kd["results"], kd["tables"]
    p50 = lambda table, who: (r[table].get(who, {}).get("p50_ns") or r[table].get(who, {}).get("median_ns"))
    crit = lambda table, who: times.get(("kernel-dump", who, table))
    out = []
    out.append(f"### Kernel dumps ({kd['routes']:,} routes over {kd['veths']} veth pairs: "
               f"{tb['route']['objects']:,} route objects, {tb['route']['bytes'] / 1e6:.1f} MB per dump; "
               f"{tb['link']['objects']:,} links, {tb['link']['bytes'] / 1e6:.1f} MB)\n")
    out.append(f"Median of {kd['rounds']} interleaved rounds (one dump of each contender per round; "
               f"pyroute2: {kd['pyroute2_iterations']} dumps timed inside Python), criterion's median beside it; "
               f"÷ floor is time ÷ the raw C loop's time. Load average {kd['loadavg_before']} before, "
               f"{kd['loadavg_after']} after.\n")
    out.append("| contender | timed | route | ÷ floor | criterion | link | ÷ floor | criterion |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|")
    for who, label, how in KD_ROWS:
        if who not in r["route"]:
            continue
        cells = [label, how]
        for table in ["route", "link"]:
            v, c = p50(table, who), crit(table, who)
            cells += [fmt_ms(v), ratio(v, p50(table, "raw-c")), fmt_ms(c)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    rs = {t: p50(t, "crate") / p50(t, "raw-c") for t in ["route", "link"]}
    out.append(f"| crate dump + decode ≤ 1.3× the raw floor | route {rs['route']:.2f}× "
               f"(floor {fmt_ms(p50('route', 'raw-c'))}), link {rs['link']:.2f}× "
               f"(floor {fmt_ms(p50('link', 'raw-c'))}) | {verdict(max(rs.values()) <= 1.3)} |")
    ip = p50("route", "ip-j") / p50("route", "procslink-j")
    out.append(f"| `procslink dump route -j` ≥ 1.5× faster than `ip -j route show` | {ip:.2f}× "
               f"({fmt_ms(p50('route', 'procslink-j'))} against {fmt_ms(p50('route', 'ip-j'))}) "
               f"| {verdict(ip >= 1.5)} |")
    if "pyroute2" in r["route"]:
        py = {t: p50(t, "pyroute2") / p50(t, "crate") for t in ["route", "link"]}
        out.append(f"| ≥ 20× faster than pyroute2 (the crate) | route {py['route']:.0f}×, link {py['link']:.0f}× "
                   f"| {verdict(min(py.values()) >= 20)} |")
    m = kd["memory"]
    sizes = sorted(m, key=int)
    peaks = [m[k]["heap"]["peak_live_bytes"] for k in sizes]
    text = ", ".join(f"{int(k):,} routes: {m[k]['heap']['allocations']} allocations, "
                     f"peak {m[k]['heap']['peak_live_bytes']:,} B" for k in sizes)
    out.append(f"| library memory does not grow with the table | {text} (fresh socket + dump + decode) "
               f"| {verdict(len(set(peaks)) == 1)} |")
    out.append("")
    return "\n".join(out)


def fmt_ms(ns):
    return f"{ns / 1e6:,.1f} ms" if ns else "–"


def chart(meta, times, path):
    t = lambda g, w, p: times.get((g, w, p))
    rows = []  # (section, label, value relative to procslink, (low, high) or None)

    def rel(sec, label, x, base):
        if not (x and base):
            return
        band = None
        if isinstance(x, Time) and isinstance(base, Time) and base.lower > 0:
            band = (x.lower / base.upper, x.upper / base.lower)
        rows.append((sec, label, x / base, band))

    for name, short in [(LINK, "walk link"), ("rtnl-addr-dump.bin", "walk addr"), ("rtnl-route-dump.bin", "walk route")]:
        base = t("walk", "procslink", name)
        for who, label in [("procslink", "procslink"), ("procslink-try", "procslink with ?"), ("c", "hand-written C"),
                           ("libmnl", "libmnl"), ("netlink-packet-core", "netlink-packet-core"),
                           ("netlink-packet-route", "netlink-packet-route")]:
            rel(short, label, t("walk", who, name), base)
    base = t("walk-nested", "procslink", LINK)
    for who, label in [("procslink", "procslink"), ("c", "hand-written C"), ("libmnl", "libmnl")]:
        rel("walk nested", label, t("walk-nested", who, LINK), base)
    base = t("policy-table", "procslink", LINK)
    for who in ["procslink", "libmnl"]:
        rel("policy table", who, t("policy-table", who, LINK), base)
    base = t("build-loop", "procslink", "rtm_newlink")
    for who, label in [("procslink", "procslink"), ("c", "hand-written C")]:
        rel("build (own loops)", label, t("build-loop", who, "rtm_newlink"), base)
    base = t("build", "procslink", "rtm_newlink")
    for who, label in [("procslink", "procslink"), ("c", "hand-written C (FFI)"), ("libmnl", "libmnl"),
                       ("libmnl-check", "libmnl _check")]:
        rel("build (one per call)", label, t("build", who, "rtm_newlink"), base)
    for op in ["decode", "encode"]:
        for kind in ["requests", "responses"]:
            base = t(f"jsonrpc-{op}", "procslink", kind)
            for who in ["procslink", "serde_json"]:
                rel(f"JSON {op} {kind[:-1]}", who, t(f"jsonrpc-{op}", who, kind), base)
    g = "jsonrpc-decode-variants"
    for name, _ in VARIANTS:
        base = t(g, "procslink", name)
        if not base:
            continue
        for who in ["procslink", "serde_json"]:
            rel(f"JSON decode {name}", who, t(g, who, name), base)
    rt = meta.get("roundtrip")
    if rt:
        r = rt["results"]
        base = r["peer-netlink"]["p50_ns"]
        for who, label in [("peer-netlink", "procslink"), ("raw", "raw ping-pong"), ("peer-unix", "procslink unix"),
                           ("rust-to-python", "procslink → Python"), ("python-to-rust", "Python → procslink"),
                           ("python", "Python reference")]:
            if who in r:
                rows.append(("round trip (p50)", label, r[who]["p50_ns"] / base, None))

    import math
    lo = min(0.125, 2 ** math.floor(math.log2(min(r[2] for r in rows))))
    hi = max(64, 2 ** math.ceil(math.log2(max(r[2] for r in rows))))
    left, width, bar, gap = 270, 560, 14, 4
    x = lambda v: left + width * (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))
    y = 60
    body = []
    section = None
    colors = {"procslink": "#2b6cb0"}
    for sec, label, v, band in rows:
        if sec != section:
            y += 10
            body.append(f'<text x="10" y="{y + bar}" font-weight="bold">{sec}</text>')
            section = sec
        color = colors.get(label, "#a0aec0")
        body.append(f'<text x="{left - 8}" y="{y + bar - 3}" text-anchor="end">{label}</text>')
        body.append(f'<rect x="{left}" y="{y}" width="{max(1, x(v) - left):.1f}" height="{bar}" fill="{color}"/>')
        if band:
            # The ratio's interval from criterion's confidence intervals.
            body.append(f'<line x1="{x(band[0]):.1f}" y1="{y + bar / 2}" x2="{x(band[1]):.1f}" '
                        f'y2="{y + bar / 2}" stroke="#1a202c" stroke-width="1.5"/>')
        body.append(f'<text x="{max(x(v), x(band[1]) if band else 0) + 4:.1f}" y="{y + bar - 3}">{v:.2f}×</text>')
        y += bar + gap
    grid = []
    v = lo
    while v <= hi:
        grid.append(f'<line x1="{x(v):.1f}" y1="50" x2="{x(v):.1f}" y2="{y}" stroke="#e2e8f0"/>')
        grid.append(f'<text x="{x(v):.1f}" y="{y + 16}" text-anchor="middle" fill="#4a5568">{v:g}×</text>')
        v *= 2
    h = y + 30
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{h}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">procslink comparison benchmarks: '
           'time relative to procslink (log scale, lower is faster)</text>',
           f'<text x="10" y="40" fill="#4a5568">median of one `cargo bench -p procslink-bench` run '
           f'(lines: the ratio\'s interval from criterion\'s confidence intervals; load average '
           f'{meta.get("loadavg_start", "?")} at the start); see BENCHMARKS.md</text>']
    svg += grid + body + ["</svg>"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(svg) + "\n")


def callgrind_plan(variants):
    """(profile contender, its argument, criterion key, iterations): every
    benchmark of the compare bench that `examples/profile.rs` runs."""
    plan = []
    for d in DUMPS:
        for who in ["procslink", "procslink-try", "c", "libmnl"]:
            plan.append((f"walk-{who}", d, ("walk", who, d), 200))
    for who in ["procslink", "c", "libmnl"]:
        plan.append((f"nested-{who}", LINK, ("walk-nested", who, LINK), 100))
        plan.append((f"build-{who}", LINK, ("build", who, "rtm_newlink"), 1000))
    plan.append(("build-libmnl-check", LINK, ("build", "libmnl-check", "rtm_newlink"), 1000))
    for who in ["procslink", "libmnl"]:
        plan.append((f"policy-{who}", LINK, ("policy-table", who, LINK), 100))
    for who in ["procslink", "c"]:
        plan.append((f"build-loop-{who}", LINK, ("build-loop", who, "rtm_newlink"), 20))
    for who, crit in [("procslink", "procslink"), ("serde", "serde_json")]:
        for op in ["decode", "encode"]:
            for kind in ["requests", "responses"]:
                plan.append((f"{op}-{who}", kind, (f"jsonrpc-{op}", crit, kind), 1000))
        for name in variants:
            big = name in ("mixed-60k", "long-string", "numbers")
            n = 5 if big else 20 if name == "mixed-10k" else 200
            plan.append((f"json-{who}", name, ("jsonrpc-decode-variants", crit, name), n))
    return plan


def count_instructions(target):
    """Builds `examples/profile.rs` and counts, under callgrind, the
    instructions of one call of each benchmark: the difference between a run
    of 2n calls and one of n, over n, so that start-up and set-up cancel out.
    Deterministic for a given build; written to <target>/criterion/CALLGRIND_JSON."""
    build_dir = target / "callgrind"
    # RUSTFLAGS replaces the rustflags of .cargo/config.toml, so this build
    # has no JCC-erratum padding: its no-ops would count as instructions and
    # move from build to build with the code unchanged. Its own target dir
    # keeps the bench's build (with the padding) intact.
    rustflags = "-C debuginfo=0"
    env = dict(os.environ, CARGO_TARGET_DIR=str(build_dir), RUSTFLAGS=rustflags)
    subprocess.run(["cargo", "build", "--release", "-p", "procslink-bench", "--example", "profile"],
                   cwd=ROOT, env=env, check=True)
    exe = build_dir / "release" / "examples" / "profile"
    variants = [name for name, _ in VARIANTS]

    def collected(what, arg, n):
        run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              str(exe), what, arg, str(n)], capture_output=True, text=True, check=True)
        m = re.search(r"Collected : (\d+)", run.stderr)
        if not m:
            raise SystemExit(f"callgrind printed no count for {what} {arg}:\n{run.stderr}")
        return int(m.group(1))

    counts = {}
    for what, arg, key, n in callgrind_plan(variants):
        per_call = (collected(what, arg, 2 * n) - collected(what, arg, n)) / n
        counts["/".join(key)] = round(per_call)
        print(f"{'/'.join(key)}: {round(per_call):,}", file=sys.stderr)
    out = {
        "method": ("instructions per call from the difference between runs of 2n and n calls of "
                   "`bench-compare/examples/profile.rs` (`report.py --callgrind`), in a build with "
                   f"`RUSTFLAGS=\"{rustflags}\"`, i.e. without the JCC padding of the timed build, whose "
                   "no-ops would count; C at `-O3` as in the timed build"),
        "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip(),
        "counts": counts,
    }
    path = target / "criterion" / CALLGRIND_JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    return path


def replace_section(md_path, section, text):
    begin, end = f"<!-- report:{section}:begin -->", f"<!-- report:{section}:end -->"
    md = md_path.read_text() if md_path.exists() else f"{begin}\n{end}\n"
    if begin not in md:
        md += f"\n{begin}\n{end}\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    md = pattern.sub(lambda _: f"{begin}\n{text}\n{end}", md)
    md_path.write_text(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    ap.add_argument("--target", default=default_target, help="cargo target directory of the run")
    ap.add_argument("--section", default="plain", help="marker name in BENCHMARKS.md")
    ap.add_argument("--no-chart", action="store_true")
    ap.add_argument("--stdout", action="store_true", help="print the tables instead of editing BENCHMARKS.md")
    ap.add_argument("--callgrind", action="store_true",
                    help="first count each benchmark's instructions under callgrind (needs valgrind; "
                         "a few minutes), for the tables to show beside the times")
    args = ap.parse_args()
    if args.callgrind:
        print(f"wrote {count_instructions(Path(args.target))}", file=sys.stderr)
    if args.section == "kernel":
        # benches/kernel_dump.rs alone (`cargo bench -p procslink-bench --bench kernel_dump`).
        crit = Path(args.target) / "criterion"
        kd = json.loads((crit / "procslink-kernel-dump.json").read_text())
        times = {tuple(e.parts[-5:-2]): json.loads(e.read_text())["median"]["point_estimate"]
                 for e in crit.glob("kernel-dump/*/*/new/estimates.json")}
        text = kernel_tables(kd, times)
        if args.stdout:
            print(text)
        else:
            replace_section(ROOT / "BENCHMARKS.md", "kernel", text)
        return
    meta, times = load(Path(args.target))
    text = tables(meta, times, lto=args.section != "plain")
    # The round trip has its own bench and section: without a run of it
    # (no procslink-roundtrip.json) the section keeps its last numbers.
    rt = meta.get("roundtrip") if args.section == "plain" else None
    rt_text = roundtrip_section(rt, lambda g, w, p: times.get((g, w, p))) if rt else None
    if args.stdout:
        print(text)
        if rt_text:
            print(rt_text)
    else:
        replace_section(ROOT / "BENCHMARKS.md", args.section, text)
        if rt_text:
            replace_section(ROOT / "BENCHMARKS.md", "roundtrip", rt_text)
    if not args.no_chart:
        chart(meta, times, ROOT / "docs" / "benchmarks.svg")


if __name__ == "__main__":
    sys.exit(main())
