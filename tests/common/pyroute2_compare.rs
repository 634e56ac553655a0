//! pyroute2 as an independent decoder (`tests/interop/pyroute2_decode.py`
//! run under the interop venv's Python), and comparing a message decoded
//! with the generated tables
//! ([`spec_tree`](super::spec_tree)) with pyroute2's decoding of the same
//! bytes (`tests/interop/pyroute2_decode.py`, one JSON object per
//! message).
//!
//! Attributes are paired by type number and occurrence in their run (both
//! sides walk the same bytes), so a name either side gets wrong shows up as
//! a disagreement rather than as two lone attributes. `struct` members are
//! paired by offset (pyroute2 names members in its own way).
//!
//! A test binary takes it with `mod peer_common;`,
//! `#[path = "common/spec_tree.rs"] mod spec_tree;` and
//! `#[path = "common/pyroute2_compare.rs"] mod pyroute2_compare;`.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use super::peer_common::{missing, root};
use super::spec_tree::{Field, Node, Value};

/// The interpreter with pyroute2 importable, or `None` after a notice.
pub fn pyroute2_python() -> Option<PathBuf> {
    let python = std::env::var_os("PROCSLINK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/interop-venv/bin/python"));
    let how = "install it with `python3 -m venv target/interop-venv && target/interop-venv/bin/pip install pyroute2` (scripts/test-all.sh does) or set PROCSLINK_PYTHON";
    match Command::new(&python)
        .args(["-c", "import pyroute2"])
        .output()
    {
        Ok(out) if out.status.success() => Some(python),
        Ok(out) => {
            missing(&format!(
                "{} cannot import pyroute2 ({}); {how}",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            None
        }
        Err(e) => {
            missing(&format!("no Python at {} ({e}); {how}", python.display()));
            None
        }
    }
}

/// pyroute2's decoding of `messages`, one JSON object each.
///
/// `class` (a dotted path such as
/// `pyroute2.netlink.generic.ethtool.ethtool_linkinfo_msg`) decodes every
/// message; without it the class is the one pyroute2's rtnetlink marshal
/// picks for the message type.
pub fn pyroute2_decode(python: &Path, class: Option<&str>, messages: &[Vec<u8>]) -> Vec<Json> {
    let script = root().join("tests/interop/pyroute2_decode.py");
    let mut child = Command::new(python)
        .arg(&script)
        .args(class)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pyroute2 driver starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: Vec<u8> = messages.concat();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("the pyroute2 driver ends");
    writer.join().expect("writer").expect("write to the driver");
    assert!(
        out.status.success(),
        "the pyroute2 driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Attribute names pyroute2 spells otherwise than the kernel's headers
/// (the kernel's name, pyroute2's): not a disagreement of the tables.
pub const PYROUTE2_MISSPELLINGS: &[(&str, &str)] = &[(
    "ETHTOOL_A_LINKINFO_TP_MDIX_CTRL",
    "ETHTOOL_A_LINKINFO_TP_MDIX_CTR",
)];

/// What a comparison found.
#[derive(Default, Debug)]
pub struct Tally {
    /// Attributes both sides decode and name.
    pub paired: usize,
    /// Of those, the ones whose C name is pyroute2's name.
    pub names_equal: usize,
    /// `path: ours vs pyroute2's`.
    pub names_differ: Vec<String>,
    /// Names pyroute2 misspells ([`PYROUTE2_MISSPELLINGS`]), paths.
    pub pyroute2_misspelled: Vec<String>,
    /// Leaf values (integers, strings, addresses, struct members, flags)
    /// found equal.
    pub values_equal: usize,
    /// Paths of the values found equal (C names joined by `/`, struct
    /// members after `.`).
    pub equal_paths: BTreeSet<String>,
    /// Values that differ, or attributes one side has and the other not.
    pub mismatches: Vec<String>,
    /// Attributes pyroute2 names and the tables do not describe.
    pub only_pyroute2: Vec<String>,
    /// Attributes the tables name and pyroute2 calls `UNKNOWN`.
    pub only_ours: Vec<String>,
    /// Attributes neither names.
    pub neither: Vec<String>,
    /// Values both decode but in shapes that cannot be compared.
    pub incomparable: Vec<String>,
}

impl Tally {
    /// Adds `other`'s counts and lists to this one.
    pub fn merge(&mut self, other: Tally) {
        self.paired += other.paired;
        self.names_equal += other.names_equal;
        self.names_differ.extend(other.names_differ);
        self.pyroute2_misspelled.extend(other.pyroute2_misspelled);
        self.values_equal += other.values_equal;
        self.equal_paths.extend(other.equal_paths);
        self.mismatches.extend(other.mismatches);
        self.only_pyroute2.extend(other.only_pyroute2);
        self.only_ours.extend(other.only_ours);
        self.neither.extend(other.neither);
        self.incomparable.extend(other.incomparable);
    }

    fn equal(&mut self, path: &str) {
        self.values_equal += 1;
        self.equal_paths.insert(path.to_string());
    }
}

/// Compares our run of attributes with pyroute2's (`theirs`: its `attrs`
/// array) at `path`.
pub fn compare_runs(ours: &[Node], theirs: &[Json], path: &str, tally: &mut Tally) {
    let keyed = |numbers: Vec<u64>| {
        let mut seen = std::collections::HashMap::<u64, usize>::new();
        numbers
            .into_iter()
            .map(|n| {
                let occurrence = seen.entry(n).or_default();
                *occurrence += 1;
                (n, *occurrence)
            })
            .collect::<Vec<_>>()
    };
    let our_keys = keyed(ours.iter().map(|n| u64::from(n.number)).collect());
    let their_keys = keyed(
        theirs
            .iter()
            .map(|t| t["type"].as_u64().unwrap_or(u64::MAX))
            .collect(),
    );
    for (node, key) in ours.iter().zip(&our_keys) {
        let label = node
            .c_name()
            .map_or(format!("#{}", node.number), str::to_string);
        let here = join(path, &label);
        let Some(i) = their_keys.iter().position(|k| k == key) else {
            tally.mismatches.push(format!(
                "{here}: pyroute2 has no attribute of type {} here",
                node.number
            ));
            continue;
        };
        let their = &theirs[i];
        let their_name = their["name"].as_str().unwrap_or("");
        match (node.c_name(), their_name) {
            (Some(_), "UNKNOWN") => tally.only_ours.push(here),
            (None, "UNKNOWN") => tally.neither.push(here),
            (None, name) => {
                tally.only_pyroute2.push(join(path, name));
            }
            (Some(ours_name), name) => {
                tally.paired += 1;
                if ours_name == name {
                    tally.names_equal += 1;
                } else if PYROUTE2_MISSPELLINGS.contains(&(ours_name, name)) {
                    tally.pyroute2_misspelled.push(here.clone());
                } else {
                    tally
                        .names_differ
                        .push(format!("{here}: ours {ours_name}, pyroute2's {name}"));
                }
                compare_value(&node.value, &their["value"], &here, tally);
            }
        }
    }
    for (their, key) in theirs.iter().zip(&their_keys) {
        if !our_keys.contains(key) {
            tally.mismatches.push(format!(
                "{}: only pyroute2 sees an attribute of type {} here",
                join(path, their["name"].as_str().unwrap_or("?")),
                key.0
            ));
        }
    }
}

/// Compares one value with pyroute2's.
pub fn compare_value(ours: &Value, theirs: &Json, path: &str, tally: &mut Tally) {
    match (ours, theirs) {
        (Value::Int(a), Json::Number(n)) => {
            let b = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
            check(tally, path, b == Some(*a), || format!("{a} vs {n}"));
        }
        // An IPv4 address the specification gives as a big-endian u32.
        (Value::Int(a), Json::String(b)) if b.parse::<std::net::Ipv4Addr>().is_ok() => {
            let ip = b
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .map(|ip| i128::from(u32::from(ip)));
            check(tally, path, ip == Some(*a), || format!("{a} vs {b}"));
        }
        // pyroute2 reads some u8 switches as booleans.
        (Value::Int(a), Json::Bool(b)) => {
            check(tally, path, (*a != 0) == *b, || format!("{a} vs {b}"))
        }
        (Value::Flag, Json::Bool(b)) => check(tally, path, *b, || "set vs false".into()),
        (Value::Str(a), Json::String(b)) => {
            check(tally, path, a == b, || format!("{a:?} vs {b:?}"))
        }
        (Value::Mac(bytes), Json::String(b)) => {
            let a = colon_hex(bytes);
            check(tally, path, a.eq_ignore_ascii_case(b), || {
                format!("{a} vs {b}")
            });
        }
        (Value::Ip(a), Json::String(b)) => {
            let parsed = b.parse::<IpAddr>().ok();
            check(tally, path, parsed == Some(*a), || format!("{a} vs {b}"));
        }
        (Value::Bytes(a), Json::Object(o)) if o.contains_key("bytes") => {
            let b = o["bytes"].as_str().unwrap_or("");
            check(tally, path, hex(a) == b, || format!("{} vs {b}", hex(a)));
        }
        // A binary the specification gives no display hint, which pyroute2
        // shows as an address.
        (Value::Bytes(a), Json::String(b)) if b.parse::<IpAddr>().is_ok() => {
            let octets = match b.parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) => ip.octets().to_vec(),
                Ok(IpAddr::V6(ip)) => ip.octets().to_vec(),
                Err(_) => Vec::new(),
            };
            check(tally, path, *a == octets, || format!("{} vs {b}", hex(a)));
        }
        (Value::Bytes(a), Json::String(b)) => {
            let text = String::from_utf8_lossy(a);
            let same = b.replace(':', "") == hex(a) || text.trim_end_matches('\0') == b;
            check(tally, path, same, || format!("{} vs {b}", hex(a)));
        }
        (Value::Struct(fields), Json::Object(o)) if o.contains_key("fields") => {
            let theirs = o["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            compare_fields(fields, theirs, path, tally);
        }
        (Value::Struct(fields), Json::Object(o)) => {
            for field in fields {
                let key = field.name.replace('-', "_");
                match o.get(&key) {
                    Some(v) => compare_value(&field.value, v, &member(path, field), tally),
                    None => tally.only_ours.push(member(path, field)),
                }
            }
        }
        (Value::Ints { size, values }, Json::Object(o)) if o.contains_key("fields") => {
            let theirs = o["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            compare_ints(*size, values, theirs, 0, path, tally);
        }
        (Value::Ints { values, .. }, Json::Array(theirs)) => {
            let entries: Vec<Value> = values.iter().map(|v| Value::Int(*v)).collect();
            compare_value(
                &Value::Array(entries),
                &Json::Array(theirs.clone()),
                path,
                tally,
            );
        }
        // pyroute2 reads some nests holding one binary of integers (rt-link's
        // `af-spec` `inet`) as one struct whose first member is the inner
        // attribute's header.
        (Value::Nest(nodes), Json::Object(o))
            if o["attrs"].as_array().is_some_and(Vec::is_empty)
                && o["fields"].as_array().is_some_and(|f| !f.is_empty()) =>
        {
            let theirs = o["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            match nodes.as_slice() {
                [
                    node @ Node {
                        value: Value::Ints { size, values },
                        ..
                    },
                ] => {
                    let here = join(path, node.c_name().unwrap_or("?"));
                    let header = (4 + size * values.len()) as u64 | (u64::from(node.number) << 16);
                    let first = theirs.first().and_then(|f| f[2].as_u64());
                    check(
                        tally,
                        &format!("{here}.header"),
                        first == Some(header),
                        || format!("attribute header {header:#x} vs {first:?}"),
                    );
                    compare_ints(
                        *size,
                        values,
                        theirs.get(1..).unwrap_or(&[]),
                        4,
                        &here,
                        tally,
                    );
                }
                _ => tally
                    .incomparable
                    .push(format!("{path}: ours {nodes:?}, pyroute2's {theirs:?}")),
            }
        }
        (Value::Nest(nodes), Json::Object(o)) if o.contains_key("attrs") => {
            let theirs = o["attrs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            compare_runs(nodes, theirs, path, tally);
        }
        (Value::Array(entries), Json::Array(theirs)) => {
            if entries.len() != theirs.len() {
                tally.mismatches.push(format!(
                    "{path}: {} entries vs pyroute2's {}",
                    entries.len(),
                    theirs.len()
                ));
            }
            for (i, (a, b)) in entries.iter().zip(theirs).enumerate() {
                compare_value(a, b, &format!("{path}[{i}]"), tally);
            }
        }
        (Value::Undescribed { selector, .. }, Json::Object(o)) => {
            // The specification has no format for this selector value:
            // whatever pyroute2 names in it, only pyroute2 knows.
            for attr in o
                .get("attrs")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let name = attr["name"].as_str().unwrap_or("?");
                if name != "UNKNOWN" {
                    tally
                        .only_pyroute2
                        .push(format!("{} ({selector})", join(path, name)));
                }
            }
        }
        (Value::Bad(reason), _) => tally.mismatches.push(format!(
            "{path}: the tables cannot read it ({reason}); pyroute2: {theirs}"
        )),
        _ => tally
            .incomparable
            .push(format!("{path}: ours {ours:?}, pyroute2's {theirs}")),
    }
}

/// Pairs the integers of a binary with pyroute2's struct members by
/// offset (`skip`: where the integers start in pyroute2's struct).
fn compare_ints(
    size: usize,
    values: &[i128],
    theirs: &[Json],
    skip: usize,
    path: &str,
    tally: &mut Tally,
) {
    let fields: Vec<Field> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Field {
            name: "",
            offset: skip + i * size,
            value: Value::Int(*v),
        })
        .collect();
    let mut beyond = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let here = format!("{path}[{i}]");
        match theirs
            .iter()
            .find(|t| t[1].as_u64() == Some(field.offset as u64))
        {
            Some(t) => compare_value(&field.value, &t[2], &here, tally),
            None => beyond.push(i),
        }
    }
    // Entries newer than pyroute2's layout: one entry for the lot.
    if let (Some(first), Some(last)) = (beyond.first(), beyond.last()) {
        tally.only_ours.push(format!("{path}[{first}..={last}]"));
    }
    for t in theirs {
        if !fields
            .iter()
            .any(|f| Some(f.offset as u64) == t[1].as_u64())
        {
            tally
                .only_pyroute2
                .push(format!("{path}.{}", t[0].as_str().unwrap_or("?")));
        }
    }
}

/// Pairs struct members by offset.
fn compare_fields(fields: &[Field], theirs: &[Json], path: &str, tally: &mut Tally) {
    let offset_of = |t: &Json| t[1].as_u64().unwrap_or(u64::MAX);
    for field in fields {
        match theirs.iter().find(|t| offset_of(t) == field.offset as u64) {
            Some(t) => compare_value(&field.value, &t[2], &member(path, field), tally),
            None => tally.only_ours.push(member(path, field)),
        }
    }
    for t in theirs {
        if !fields.iter().any(|f| f.offset as u64 == offset_of(t)) {
            let name = t[0].as_str().unwrap_or("?");
            tally.only_pyroute2.push(format!("{path}.{name}"));
        }
    }
}

fn check(tally: &mut Tally, path: &str, same: bool, shown: impl FnOnce() -> String) {
    if same {
        tally.equal(path);
    } else {
        tally.mismatches.push(format!("{path}: {}", shown()));
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

fn member(path: &str, field: &Field) -> String {
    format!("{path}.{}", field.name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
