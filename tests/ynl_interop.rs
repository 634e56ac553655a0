//! `procslink decode --json` against the kernel's own ynl library (from
//! Debian's linux-source-6.12, installed by `scripts/references/ynl.sh`)
//! decoding the same kernel dumps in `tests/data` from the same
//! specifications (copied into `tests/data/netlink-specs`), through
//! `tests/interop/ynl_decode.py`: every message must give the same object,
//! keys in the same order.
//!
//! Two differences are the library's age, and are allowed where they
//! occur: 6.12's ynl predates the `ipv4-or-v6` display hint, so it gives
//! such an address as hex where newer ynl (and we) give its text; and it
//! stops at a sub-message whose selector value has no format (a link of
//! kind vxlan or macvlan: rt-link's specification describes neither) where
//! we keep going with `UnknownAttr(N)`. Flag sets are Python sets, without
//! order: lists of names are compared sorted.
#![cfg(feature = "cli")]

#[path = "common/netns.rs"]
mod netns;
mod peer_common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use peer_common::references::tool;
use peer_common::{missing, root};
use serde_json::Value;

/// Each dump with its family's specification and protocol.
const DUMPS: [(&str, &str, &str); 5] = [
    ("rtnl-link-dump.bin", "rt-link", "route"),
    ("rtnl-addr-dump.bin", "rt-addr", "route"),
    ("rtnl-route-dump.bin", "rt-route", "route"),
    ("rtnl-neigh-dump.bin", "rt-neigh", "route"),
    ("genl-ctrl-family-dump.bin", "nlctrl", "generic"),
];

/// The specifications ynl reads: copies of the ones `src/families` was
/// generated from (tests/data/netlink-specs/README.md).
fn specs() -> Option<PathBuf> {
    let dir = root().join("tests/data/netlink-specs");
    if dir.join("rt-link.yaml").is_file() {
        Some(dir)
    } else {
        missing(&format!("no netlink specifications at {}", dir.display()));
        None
    }
}

fn lines(command: &mut Command, what: &str) -> Vec<Value> {
    let out = command.output().expect("the decoder runs");
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}: {l}")))
        .collect()
}

/// Sorts lists of strings (ynl's flag sets have no order).
fn normalize(v: &mut Value) {
    match v {
        Value::Object(o) => o.values_mut().for_each(normalize),
        Value::Array(a) => {
            a.iter_mut().for_each(normalize);
            if a.iter().all(Value::is_string) {
                a.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
            }
        }
        _ => {}
    }
}

/// An address we give as text where 6.12's ynl gives its bytes in hex.
fn same_address(ours: &str, theirs: &str) -> bool {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match ours.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => hex(&a.octets()) == theirs,
        Ok(IpAddr::V6(a)) => hex(&a.octets()) == theirs,
        Err(_) => false,
    }
}

/// The paths where `ours` and `theirs` differ (keys in order included).
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let (ka, kb): (Vec<_>, Vec<_>) = (a.keys().collect(), b.keys().collect());
            if ka != kb {
                out.push(format!("{path}: keys {ka:?} / ynl {kb:?}"));
            }
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    differences(&format!("{path}.{k}"), v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), v, w, out);
            }
        }
        (Value::String(a), Value::String(b)) if same_address(a, b) => {}
        _ if ours != theirs => out.push(format!("{path}: {ours} / ynl {theirs}")),
        _ => {}
    }
}

#[test]
fn decode_json_prints_what_the_kernels_ynl_prints() {
    let (Some(ynl), Some(specs)) = (
        tool("ynl/lib/ynl.py", "run scripts/references/ynl.sh"),
        specs(),
    ) else {
        return;
    };
    let ynl_dir = ynl.parent().and_then(Path::parent).expect("ynl/lib/ynl.py");
    let python = ynl_dir.join("venv/bin/python");
    let driver = root().join("tests/interop/ynl_decode.py");
    let mut compared = 0;
    let mut ynl_failed = 0;
    for (file, family, protocol) in DUMPS {
        let dump = root().join("tests/data").join(file);
        let spec = specs.join(format!("{family}.yaml"));
        let theirs = lines(
            Command::new(&python)
                .arg(&driver)
                .arg(ynl_dir)
                .arg(&spec)
                .arg(&dump),
            file,
        );
        let ours = lines(
            Command::new(env!("CARGO_BIN_EXE_procslink"))
                .args(["decode", "--json", "--protocol", protocol])
                .arg(&dump),
            file,
        );
        assert_eq!(ours.len(), theirs.len(), "{file}: one line a message");
        for (i, (mut ours, mut theirs)) in ours.into_iter().zip(theirs).enumerate() {
            if theirs.is_null() {
                assert!(ours.get("done").is_some() || ours.get("error").is_some());
                continue;
            }
            if let Some(error) = theirs.get("ynl-error") {
                // Only the link kinds without a format stop ynl.
                let error = error.as_str().unwrap_or("");
                assert!(
                    error.contains("No message format for 'vxlan'")
                        || error.contains("No message format for 'macvlan'"),
                    "{file} message {i}: {error}"
                );
                assert!(ours["linkinfo"]["data"].is_object(), "{file} message {i}");
                ynl_failed += 1;
                continue;
            }
            normalize(&mut ours);
            normalize(&mut theirs);
            let mut diff = Vec::new();
            differences("", &ours, &theirs, &mut diff);
            assert!(diff.is_empty(), "{file} message {i}:\n{}", diff.join("\n"));
            compared += 1;
        }
    }
    // 85 links less the 19 vxlan/macvlan ones, 120 addresses, 391 routes,
    // 71 neighbours, 8 generic netlink families.
    assert_eq!((compared, ynl_failed), (66 + 120 + 391 + 71 + 8, 19));
}

/// Requests `procslink nl` and the kernel's ynl library both send, live, in
/// a network namespace of the test's own: the same `--json` attributes,
/// the same family specification.
const REQUESTS: [(&str, &str, &str, &str); 5] = [
    ("rt-link", "dump", "getlink", "{}"),
    ("rt-link", "do", "getlink", r#"{"ifname": "veth0"}"#),
    ("rt-addr", "dump", "getaddr", r#"{"ifa-family": 2}"#),
    ("nlctrl", "dump", "getfamily", "{}"),
    (
        "ethtool",
        "do",
        "linkinfo-get",
        r#"{"header": {"dev-name": "veth0"}}"#,
    ),
];

/// Removes what the kernel may change between the two requests: IPv6's
/// reachable time is drawn at random again from time to time.
fn drop_volatile(v: &mut Value) {
    if let Some(inet6) = v.pointer_mut("/af-spec/inet6/cacheinfo")
        && let Some(o) = inet6.as_object_mut()
    {
        o.remove("reachable-time");
    }
}

#[test]
fn nl_answers_what_the_kernels_ynl_answers() {
    let (Some(ynl), Some(specs)) = (
        tool("ynl/lib/ynl.py", "run scripts/references/ynl.sh"),
        specs(),
    ) else {
        return;
    };
    let ns = match netns::Netns::create("pl-ynl", "nl") {
        Ok(ns) => ns,
        Err(e) => return missing(&format!("no network namespace for the live nl test: {e}")),
    };
    ns.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ]);
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&["addr", "add", "10.7.0.1/24", "dev", "veth0"]);
    let ynl_dir = ynl.parent().and_then(Path::parent).expect("ynl/lib/ynl.py");
    let python = ynl_dir.join("venv/bin/python");
    let driver = root().join("tests/interop/ynl_request.py");
    let has_ethtool = Command::new(env!("CARGO_BIN_EXE_procslink"))
        .args(["nl", "--family", "nlctrl", "--do", "getfamily"])
        .args([
            "--json",
            r#"{"family-name": "ethtool"}"#,
            "--netns",
            &ns.name,
        ])
        .output()
        .expect("procslink runs")
        .status
        .success();
    let mut compared = 0;
    for (family, mode, op, attrs) in REQUESTS {
        if family == "ethtool" && !has_ethtool {
            missing("this kernel has no ethtool netlink family");
            continue;
        }
        let what = format!("{family} {mode} {op} {attrs}");
        let theirs = lines(
            Command::new("ip")
                .args(["netns", "exec", &ns.name])
                .arg(&python)
                .arg(&driver)
                .arg(ynl_dir)
                .arg(specs.join(format!("{family}.yaml")))
                .args([mode, op, attrs]),
            &what,
        );
        let ours = lines(
            Command::new(env!("CARGO_BIN_EXE_procslink"))
                .args(["nl", "--family", family, &format!("--{mode}"), op])
                .args(["--json", attrs, "--netns", &ns.name]),
            &what,
        );
        assert!(!ours.is_empty(), "{what}: answered");
        assert_eq!(ours.len(), theirs.len(), "{what}: one line a message");
        for (i, (mut ours, mut theirs)) in ours.into_iter().zip(theirs).enumerate() {
            for v in [&mut ours, &mut theirs] {
                drop_volatile(v);
                normalize(v);
            }
            let mut diff = Vec::new();
            differences("", &ours, &theirs, &mut diff);
            assert!(diff.is_empty(), "{what} message {i}:\n{}", diff.join("\n"));
            compared += 1;
        }
    }
    // 3 links, 2 IPv4 addresses, at least nlctrl itself, 1 link, and 1
    // ethtool answer where the kernel has ethtool.
    let least = 3 + 2 + 1 + 1 + usize::from(has_ethtool);
    assert!(compared >= least, "{compared}");
}
