//! `procslink decode --json` against the kernel's own ynl library (from
//! Debian's linux-source-6.12, installed by `scripts/references/ynl.sh`)
//! decoding the same kernel dumps in `tests/data` from the same
//! specifications (`../shared/netlink-specs`), through
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

fn specs() -> Option<PathBuf> {
    let dir = root().join("../shared/netlink-specs");
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
