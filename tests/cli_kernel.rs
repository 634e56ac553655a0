//! `procslink dump` and `procslink monitor` against the live kernel, each
//! test in a network namespace of its own (`ip netns add`, removed at the
//! end even on failure), checked against what `ip` says of the same
//! namespace. Nothing leaves this machine: the links are veth pairs,
//! bridges, vxlan and ifb devices inside the namespace.
//!
//! Without `ip netns` each test prints a one-line notice and passes, unless
//! `CI` is `true`: then it fails, so that CI cannot silently test nothing.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/netns.rs"]
mod netns;
#[path = "common/tree.rs"]
mod tree;

use netns::Netns;
use tree::unnamed_attributes;

impl Netns {
    /// Runs each line of `script` as an `ip -n NAME` command.
    fn script(&self, script: &str) {
        for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let args: Vec<&str> = line.split_whitespace().collect();
            self.ip(&args);
        }
    }

    /// `ip -n NAME -j args…`, parsed.
    fn ip_json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["-j"];
        all.extend_from_slice(args);
        let text = self.ip(&all);
        if text.trim().is_empty() {
            return Vec::new();
        }
        match serde_json::from_str(&text) {
            Ok(Value::Array(v)) => v,
            other => panic!("ip -j {args:?}: {other:?}: {text}"),
        }
    }

    /// `procslink dump WHAT -j --netns NAME`, parsed.
    fn dump_json(&self, what: &str) -> Vec<Value> {
        let out = procslink(&["dump", what, "-j", "--netns", &self.name]);
        let text = ok(&out);
        match serde_json::from_str(&text) {
            Ok(Value::Array(v)) => v,
            other => panic!("dump {what} -j: {other:?}: {text}"),
        }
    }
}

/// A fresh namespace, or `None` after a notice (a failure under `CI=true`).
fn netns(test: &str) -> Option<Netns> {
    match Netns::create("pl-cli", test) {
        Ok(ns) => Some(ns),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but the live command tests cannot run here: {e}")
        }
        Err(e) => {
            eprintln!("notice: skipping live command test: {e}");
            None
        }
    }
}

fn procslink(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_procslink"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the procslink binary runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "procslink failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// Links of every kind the tests look at, addresses, routes (one through
/// a gateway, one in another table), a neighbour and a rule.
fn populate(ns: &Netns) {
    ns.script(
        "link set lo up
         link add veth0 type veth peer name veth1
         link add br0 type bridge
         link set veth1 master br0
         link add vx0 type vxlan id 42 dstport 4789 local 10.1.0.1
         link add ifb7 type ifb
         link set veth0 mtu 1400
         link set veth0 up
         link set veth1 up
         link set br0 up
         addr add 10.1.0.1/24 dev veth0
         addr add 10.2.0.1/24 dev br0
         addr add fd01::1/64 dev veth0 nodad
         addr add 10.9.9.9/32 dev ifb7 label ifb7:x
         route add 10.3.0.0/24 via 10.1.0.2 dev veth0 proto static
         route add default via 10.1.0.254
         route add 10.4.0.0/24 dev br0 table 100
         route add fd02::/64 via fd01::2 dev veth0
         neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent
         rule add from 10.9.0.0/16 lookup 100 priority 100",
    );
}

/// `obj[key]`, or null.
fn field<'a>(obj: &'a Value, key: &str) -> &'a Value {
    obj.get(key).unwrap_or(&Value::Null)
}

/// The fields `keys` of each object, as one comparable value each, sorted.
fn project(objects: &[Value], keys: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = objects
        .iter()
        .map(|o| {
            let row: BTreeMap<&str, &Value> = keys.iter().map(|&k| (k, field(o, k))).collect();
            serde_json::to_string(&row).unwrap()
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn link_dump_agrees_with_ip() {
    let Some(ns) = netns("link") else { return };
    populate(&ns);
    let ours = ns.dump_json("link");
    let theirs = ns.ip_json(&["-d", "link", "show"]);
    assert_eq!(ours.len(), theirs.len(), "{ours:?}\n{theirs:?}");
    let keys = [
        "ifindex",
        "ifname",
        "flags",
        "mtu",
        "operstate",
        "link_type",
        "address",
        "broadcast",
        "master",
        "link",
    ];
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));
    let kinds = |v: &[Value]| {
        let mut k: Vec<String> = v
            .iter()
            .map(|o| {
                format!(
                    "{}={}",
                    field(o, "ifname"),
                    field(field(o, "linkinfo"), "info_kind")
                )
            })
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&ours), kinds(&theirs));
    for kind in ["veth", "bridge", "vxlan", "ifb"] {
        assert!(
            kinds(&ours)
                .iter()
                .any(|k| k.ends_with(&format!("\"{kind}\""))),
            "{kind}"
        );
    }

    let text = ok(&procslink(&["dump", "link", "--netns", &ns.name]));
    assert_eq!(text.lines().count(), theirs.len(), "{text}");
    let veth = text
        .lines()
        .find(|l| l.starts_with("veth0@veth1 "))
        .expect(&text);
    assert!(veth.contains(" mtu 1400"), "{veth}");
    assert!(veth.contains("<BROADCAST,MULTICAST,UP,LOWER_UP>"), "{veth}");
    assert!(veth.ends_with(" veth"), "{veth}");
    let veth1 = text
        .lines()
        .find(|l| l.starts_with("veth1@veth0 "))
        .expect(&text);
    assert!(veth1.contains(" master br0"), "{veth1}");
    for name in ["lo ", "br0 ", "vx0 ", "ifb7 "] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name}: {text}");
    }
}

#[test]
fn addr_dump_agrees_with_ip() {
    let Some(ns) = netns("addr") else { return };
    populate(&ns);
    let ours = ns.dump_json("addr");
    let theirs = ns.ip_json(&["addr", "show"]);
    assert_eq!(
        project(&ours, &["ifindex", "ifname", "operstate"]),
        project(&theirs, &["ifindex", "ifname", "operstate"])
    );
    let info_keys = ["family", "local", "prefixlen", "scope", "label"];
    let infos = |v: &[Value]| {
        let mut rows = Vec::new();
        for link in v {
            let info = field(link, "addr_info")
                .as_array()
                .cloned()
                .unwrap_or_default();
            for row in project(&info, &info_keys) {
                rows.push(format!("{} {row}", field(link, "ifname")));
            }
        }
        rows.sort();
        rows
    };
    assert_eq!(infos(&ours), infos(&theirs));
    assert!(infos(&ours).iter().any(|r| r.contains("fd01::1")));

    let text = ok(&procslink(&["dump", "addr", "--netns", &ns.name]));
    let veth = text
        .lines()
        .find(|l| l.starts_with("veth0@veth1 "))
        .expect(&text);
    assert!(veth.contains(" 10.1.0.1/24"), "{veth}");
    assert!(veth.contains(" fd01::1/64"), "{veth}");
    assert!(
        text.contains("ifb7 ") && text.contains("10.9.9.9/32"),
        "{text}"
    );
}

#[test]
fn route_dump_agrees_with_ip() {
    let Some(ns) = netns("route") else { return };
    populate(&ns);
    let ours = ns.dump_json("route");
    let mut theirs = ns.ip_json(&["-4", "route", "show", "table", "all"]);
    theirs.extend(ns.ip_json(&["-6", "route", "show", "table", "all"]));
    let keys = [
        "type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric", "flags",
    ];
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));

    let text = ok(&procslink(&["dump", "route", "--netns", &ns.name]));
    for line in [
        "default via 10.1.0.254 dev veth0",
        "10.3.0.0/24 via 10.1.0.2 dev veth0 proto static",
        "10.1.0.0/24 dev veth0 proto kernel scope link src 10.1.0.1",
        "10.4.0.0/24 dev br0 table 100",
        "fd02::/64 via fd01::2 dev veth0",
        "local 10.1.0.1 dev veth0 table local proto kernel scope host src 10.1.0.1",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
    }
}

#[test]
fn neigh_and_rule_dumps_agree_with_ip() {
    let Some(ns) = netns("neigh") else { return };
    populate(&ns);
    let ours = ns.dump_json("neigh");
    let mut theirs = ns.ip_json(&["neigh", "show"]);
    theirs.retain(|n| !n.is_null());
    let keys = ["dst", "dev", "lladdr", "state"];
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));
    let text = ok(&procslink(&["dump", "neigh", "--netns", &ns.name]));
    assert!(
        text.contains("10.1.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT"),
        "{text}"
    );

    let mut ours = ns.dump_json("rule");
    ours.retain(|r| field(r, "family") == "inet");
    let theirs = ns.ip_json(&["rule", "show"]);
    let keys = ["priority", "src", "table"];
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));
    let text = ok(&procslink(&["dump", "rule", "--netns", &ns.name]));
    assert!(text.contains("100:\tfrom 10.9.0.0/16 lookup 100"), "{text}");
    assert!(text.contains("32766:\tfrom all lookup main"), "{text}");
}

/// Multipath routes (`RTA_MULTIPATH`'s next hops, with their weights), a
/// gateway of another family (`RTA_VIA`) and rules with every selector
/// `ip rule` prints, against `ip -j` field by field and `ip`'s text.
#[test]
fn multipath_via_and_rule_selectors_agree_with_ip() {
    let Some(ns) = netns("multipath") else { return };
    ns.script(
        "link set lo up
         link add veth0 type veth peer name veth1
         link add veth2 type veth peer name veth3
         link set veth0 up
         link set veth1 up
         link set veth2 up
         link set veth3 up
         addr add 10.1.0.1/24 dev veth0
         addr add 10.5.0.1/24 dev veth2
         addr add fd01::1/64 dev veth0 nodad
         route add 10.7.0.0/24 nexthop via 10.1.0.2 dev veth0 weight 2 nexthop via 10.5.0.2 dev veth2 weight 1
         route add 10.11.0.0/24 via inet6 fd01::2 dev veth0
         rule add not from 10.8.0.0/16 fwmark 0x10/0xff iif veth0 lookup 100 priority 200
         rule add to 10.6.0.0/24 oif veth2 prohibit priority 202",
    );
    let ours = ns.dump_json("route");
    let theirs = ns.ip_json(&["-4", "route", "show"]);
    let keys = ["dst", "gateway", "via", "dev", "nexthops", "flags"];
    // `ip -4 route show`: the main table's IPv4 routes.
    let ipv6 = |r: &Value| r["dst"].as_str().is_some_and(|d| d.contains(':'));
    let ours: Vec<Value> = ours
        .into_iter()
        .filter(|r| r["table"].is_null() && !ipv6(r))
        .collect();
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));
    let multipath = theirs.iter().find(|r| r["dst"] == "10.7.0.0/24").unwrap();
    assert_eq!(
        multipath["nexthops"].as_array().map(Vec::len),
        Some(2),
        "{multipath}"
    );

    let text = ok(&procslink(&["dump", "route", "--netns", &ns.name]));
    for line in [
        "10.7.0.0/24 nexthop via 10.1.0.2 dev veth0 weight 2 nexthop via 10.5.0.2 dev veth2 weight 1",
        "10.11.0.0/24 via inet6 fd01::2 dev veth0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}: {text}");
    }

    let mut ours = ns.dump_json("rule");
    ours.retain(|r| field(r, "family") == "inet");
    let theirs = ns.ip_json(&["rule", "show"]);
    let keys = [
        "priority", "not", "src", "srclen", "dst", "dstlen", "fwmark", "fwmask", "iif", "oif",
        "table", "action",
    ];
    assert_eq!(project(&ours, &keys), project(&theirs, &keys));
    // `"not":null` reads as an absent key in the projection.
    let inverted = |rules: &[Value]| -> Vec<Value> {
        let not = rules.iter().filter(|r| r.get("not").is_some());
        not.map(|r| r["priority"].clone()).collect()
    };
    assert_eq!(inverted(&ours), [Value::from(200)]);
    assert_eq!(inverted(&ours), inverted(&theirs));
    let text = ok(&procslink(&["dump", "rule", "--netns", &ns.name]));
    for line in [
        "200:\tnot from 10.8.0.0/16 fwmark 0x10/0xff iif veth0 lookup 100",
        "202:\tfrom all to 10.6.0.0/24 oif veth2 prohibit",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}: {text}");
    }
}

/// The keys of each object of a JSON array, in the order written (`null`
/// elements, which `ip -j neigh` may print, as no keys).
fn key_orders(text: &str) -> Vec<Vec<String>> {
    struct Keys(Vec<String>);
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Keys;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
            let mut keys = Vec::new();
            while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                keys.push(k);
            }
            Ok(Keys(keys))
        }
    }
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            d.deserialize_map(Visit)
        }
    }
    let all: Vec<Option<Keys>> = serde_json::from_str(text).expect(text);
    all.into_iter()
        .map(|k| k.map(|k| k.0).unwrap_or_default())
        .collect()
}

/// Checks that every object of `ours` (JSON text) has the keys it shares
/// with the object of `theirs` that agrees with it on `id` in the same
/// order, and that every object found one.
fn assert_ip_key_order(ours: &str, theirs: &[String], id: &[&str]) {
    let mut pool = Vec::new();
    for text in theirs.iter().filter(|t| !t.trim().is_empty()) {
        let values: Vec<Value> = serde_json::from_str(text).expect(text);
        pool.extend(values.into_iter().zip(key_orders(text)));
    }
    let values: Vec<Value> = serde_json::from_str(ours).expect(ours);
    for (value, keys) in values.iter().zip(key_orders(ours)) {
        let Some((twin, their_keys)) = pool
            .iter()
            .find(|(t, _)| id.iter().all(|k| field(t, k) == field(value, k)))
        else {
            panic!("no object of ip's like {value}");
        };
        let shared = |keys: &[String], other: &Value| -> Vec<String> {
            keys.iter()
                .filter(|k| other.get(k.as_str()).is_some())
                .cloned()
                .collect()
        };
        assert_eq!(
            shared(&keys, twin),
            shared(their_keys, value),
            "{value}\n{twin}"
        );
    }
}

#[test]
fn json_keys_are_in_ips_order() {
    let Some(ns) = netns("order") else { return };
    populate(&ns);
    let dump = |what: &str| ok(&procslink(&["dump", what, "-j", "--netns", &ns.name]));
    let routes = [
        ns.ip(&["-j", "-4", "route", "show", "table", "all"]),
        ns.ip(&["-j", "-6", "route", "show", "table", "all"]),
    ];
    let id = ["type", "dst", "table", "dev", "gateway", "metric"];
    assert_ip_key_order(&dump("route"), &routes, &id);
    let links = [ns.ip(&["-j", "-d", "link", "show"])];
    assert_ip_key_order(&dump("link"), &links, &["ifindex"]);
    let addrs = [ns.ip(&["-j", "addr", "show"])];
    assert_ip_key_order(&dump("addr"), &addrs, &["ifindex"]);
    let neighs = [ns.ip(&["-j", "neigh", "show"])];
    assert_ip_key_order(&dump("neigh"), &neighs, &["dst", "dev"]);
    let rules = [
        ns.ip(&["-j", "-4", "rule", "show"]),
        ns.ip(&["-j", "-6", "rule", "show"]),
    ];
    // `family` is ours alone; ip's rules of both families are in the pool.
    assert_ip_key_order(&dump("rule"), &rules, &["priority", "src", "table"]);
}

#[test]
fn names_that_are_not_utf8_are_printed_escaped() {
    let Some(ns) = netns("bytes") else { return };
    let name = OsStr::from_bytes(b"p\xe9");
    ns.ip(&[
        OsStr::new("link"),
        OsStr::new("add"),
        name,
        OsStr::new("type"),
        OsStr::new("ifb"),
    ]);
    let text = ok(&procslink(&["dump", "link", "--netns", &ns.name]));
    assert!(text.lines().any(|l| l.starts_with(r"p\xe9 ")), "{text}");
    let json = ns.dump_json("link");
    assert!(
        json.iter().any(|l| field(l, "ifname") == r"p\xe9"),
        "{json:?}"
    );
    let tree = ok(&procslink(&["dump", "link", "-d", "--netns", &ns.name]));
    assert!(tree.contains(r"p\xe9"), "{tree}");
}

#[test]
fn trees_and_json_name_every_attribute_the_specifications_describe() {
    let Some(ns) = netns("names") else { return };
    populate(&ns);
    let mut trees = String::new();
    for what in ["link", "addr", "route", "neigh", "rule", "family"] {
        let tree = ok(&procslink(&["dump", what, "-d", "--netns", &ns.name]));
        let (unnamed, _) = unnamed_attributes(&tree);
        assert_eq!(unnamed, 0, "dump {what} -d names by number:\n{tree}");
        trees.push_str(&tree);
        // The raw dump, decoded as ynl prints it: one JSON line a message.
        let raw = std::env::temp_dir().join(format!("pl-cli-names-{}-{what}", std::process::id()));
        let raw_arg = raw.to_str().unwrap();
        ok(&procslink(&[
            "dump", what, "--raw", raw_arg, "--netns", &ns.name,
        ]));
        let protocol = if what == "family" { "generic" } else { "route" };
        let json = procslink(&["decode", "--json", "--protocol", protocol, raw_arg]);
        let _ = std::fs::remove_file(&raw);
        for line in ok(&json).lines() {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(v.is_object(), "{line}");
        }
    }
    // A bridge's data and its port's by their kinds; vxlan has no format
    // in rt-link's specification.
    assert!(trees.contains("IFLA_INFO_DATA (2) (bridge):"), "{trees}");
    assert!(
        trees.contains("IFLA_INFO_SLAVE_DATA (5) (bridge):"),
        "{trees}"
    );
    assert!(
        trees.contains("IFLA_INFO_DATA (2) (vxlan: undescribed):"),
        "{trees}"
    );
    assert!(trees.contains("  IFLA_MTU (4): 1400\n"), "{trees}");
    assert!(trees.contains("  RTA_GATEWAY (5): 10.1.0.2\n"), "{trees}");
    assert!(
        trees.contains("  NDA_LLADDR (2): 02:00:00:00:00:02\n"),
        "{trees}"
    );
    assert!(trees.contains("  FRA_SRC (2): 10.9.0.0\n"), "{trees}");
    assert!(trees.contains("ndm-state 0x80 <permanent>"), "{trees}");
}

#[test]
fn a_namespace_that_does_not_exist_is_one_error_line() {
    let out = procslink(&["dump", "link", "--netns", "procslink-no-such-namespace"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("procslink: cannot open network namespace procslink-no-such-namespace"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = procslink(&["dump", "link", "--netns", "../x"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A running `procslink monitor`, killed when dropped; its stdout lines
/// arrive on a channel.
struct Monitor {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Monitor {
    fn start(args: &[&str]) -> Monitor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_procslink"))
            .arg("monitor")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the procslink binary runs");
        // It says on stderr when it has joined the groups.
        let mut ready = String::new();
        let stderr = child.stderr.take().expect("stderr is piped");
        BufReader::new(stderr).read_line(&mut ready).unwrap();
        assert!(ready.starts_with("procslink: monitoring "), "{ready}");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Monitor {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to 10 s) for a line that `wanted` accepts, keeping every
    /// line read.
    fn expect(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no {what} line; seen:\n{}", self.seen.join("\n")),
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn monitor_sees_each_change_in_order() {
    let Some(ns) = netns("monitor") else { return };
    let mut m = Monitor::start(&["all", "--netns", &ns.name, "--timeout", "60"]);
    ns.script(
        "link add mon0 type ifb
         link set mon0 up
         addr add 10.5.0.1/24 dev mon0
         route add 10.6.0.0/24 via 10.5.0.2
         neigh add 10.5.0.3 lladdr 02:00:00:00:00:03 dev mon0 nud permanent
         rule add from 10.6.0.0/24 lookup 7 priority 77
         rule del priority 77
         route del 10.6.0.0/24
         addr del 10.5.0.1/24 dev mon0
         link del mon0",
    );
    m.expect("new link", |l| {
        l.starts_with("[LINK] ") && l.contains(": mon0: ")
    });
    m.expect("link up", |l| l.starts_with("[LINK] ") && l.contains(",UP"));
    m.expect("new address", |l| {
        l.starts_with("[ADDR] ")
            && l.contains(" mon0 inet 10.5.0.1/24 ")
            && l.contains("scope global")
    });
    m.expect("new route", |l| {
        l == "[ROUTE] 10.6.0.0/24 via 10.5.0.2 dev mon0"
    });
    m.expect("new neighbour", |l| {
        l == "[NEIGH] 10.5.0.3 dev mon0 lladdr 02:00:00:00:00:03 PERMANENT"
    });
    m.expect("new rule", |l| l == "[RULE] 77:\tfrom 10.6.0.0/24 lookup 7");
    m.expect("deleted rule", |l| {
        l == "[RULE] Deleted 77:\tfrom 10.6.0.0/24 lookup 7"
    });
    m.expect("deleted route", |l| {
        l == "[ROUTE] Deleted 10.6.0.0/24 via 10.5.0.2 dev mon0"
    });
    m.expect("deleted address", |l| {
        l.starts_with("[ADDR] Deleted ") && l.contains(" mon0 inet 10.5.0.1/24 ")
    });
    m.expect("deleted link", |l| {
        l.starts_with("[LINK] Deleted ") && l.contains(": mon0: ")
    });
}

#[test]
fn monitor_stops_after_count_and_timeout() {
    let Some(ns) = netns("count") else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_procslink"))
        .args(["monitor", "link", "--count", "1", "--netns", &ns.name])
        .args(["--timeout", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    ns.ip(&["link", "add", "cnt0", "type", "ifb"]);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains(": cnt0: "), "{text}");

    let start = Instant::now();
    let out = procslink(&["monitor", "--timeout", "0.3", "--netns", &ns.name]);
    assert!(out.status.success());
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(ok(&out), "");
}

#[test]
fn lost_events_are_reported_and_resynchronised() {
    let Some(ns) = netns("lost") else { return };
    ns.ip(&["link", "add", "burst0", "type", "ifb"]);
    let mut m = Monitor::start(&[
        "addr",
        "--rcvbuf",
        "1",
        "--netns",
        &ns.name,
        "--timeout",
        "60",
    ]);
    let pid = m.child.id().to_string();
    // Stopped, the monitor reads nothing while a burst overflows its queue.
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut batch = Command::new("ip")
        .args(["-n", &ns.name, "-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = batch.stdin.take().unwrap();
        for i in 0..200 {
            writeln!(
                stdin,
                "addr add 10.7.{}.{}/32 dev burst0",
                i / 100,
                i % 100 + 1
            )
            .unwrap();
        }
    }
    assert!(batch.wait().unwrap().success());
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    m.expect("lost", |l| l.starts_with("[LOST] notifications were lost"));
    let sync = m.expect("sync", |l| l.starts_with("[SYNC] "));
    // Every address in the namespace is listed again: the 200 and none
    // other (burst0 has no IPv6 address while it is down).
    assert_eq!(sync, "[SYNC] 200 addresses now", "{}", m.seen.join("\n"));
    let listed = m
        .seen
        .iter()
        .filter(|l| l.starts_with("[ADDR] ") && l.contains(" burst0 inet 10.7."))
        .count();
    assert!(listed >= 200, "{}", m.seen.join("\n"));
    // And it reads on.
    ns.ip(&["addr", "add", "10.8.0.1/32", "dev", "burst0"]);
    m.expect("after resync", |l| l.contains(" inet 10.8.0.1/32 "));
}
