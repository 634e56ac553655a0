//! `procslink nl` against the live kernel: requests of rtnetlink and
//! generic netlink families made from their specifications, each test in a
//! network namespace of its own (`ip netns add`, removed at the end even on
//! failure). The answers are checked against what `ip` made and says.
//!
//! Without `ip netns` each test prints a one-line notice and passes, unless
//! `CI` is `true`: then it fails, so that CI cannot silently test nothing.
//! A generic netlink family this kernel lacks (ethtool) skips the same way.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use procslink::families::{Family, Protocol};
use serde_json::{Value, json};

#[path = "common/netns.rs"]
mod netns;

use netns::Netns;

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A fresh namespace with a veth pair, or `None` after a notice (a
/// failure under `CI=true`).
fn netns(test: &str) -> Option<Netns> {
    match Netns::create("pl-nl", test) {
        Ok(ns) => {
            ns.ip(&[
                "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
            ]);
            Some(ns)
        }
        Err(e) if ci() => panic!("CI=true but the live nl tests cannot run here: {e}"),
        Err(e) => {
            eprintln!("notice: skipping live nl test: {e}");
            None
        }
    }
}

/// `procslink nl ARGS… --netns NAME`.
fn nl(ns: &Netns, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_procslink"))
        .arg("nl")
        .args(args)
        .args(["--netns", &ns.name])
        .stdin(Stdio::null())
        .output()
        .expect("the procslink binary runs")
}

/// Each line of a successful run's output, parsed.
fn lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "procslink nl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A failed run's exit code and stderr.
fn failure(out: &Output) -> (i32, String) {
    assert!(
        !out.status.success(),
        "expected a failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.stdout.is_empty(), "nothing on stdout: {err}");
    (out.status.code().unwrap_or(-1), err)
}

/// The ifindex `ip` gives `name`.
fn ifindex(ns: &Netns, name: &str) -> u64 {
    let text = ns.ip(&["-j", "link", "show", name]);
    let links: Value = serde_json::from_str(&text).expect("ip -j");
    links[0]["ifindex"].as_u64().expect("an ifindex")
}

/// Does this kernel have generic netlink family `name` (asked through
/// `nl` itself, of nlctrl)?
fn has_family(ns: &Netns, name: &str) -> bool {
    let json = json!({ "family-name": name }).to_string();
    nl(
        ns,
        &["--family", "nlctrl", "--do", "getfamily", "--json", &json],
    )
    .status
    .success()
}

#[test]
fn dump_getlink_lists_every_link() {
    let Some(ns) = netns("dump") else { return };
    let links = lines(&nl(&ns, &["--family", "rt-link", "--dump", "getlink"]));
    let names: Vec<&str> = links.iter().filter_map(|l| l["ifname"].as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in ["lo", "veth0", "veth1"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let veth0 = links
        .iter()
        .find(|l| l["ifname"] == "veth0")
        .expect("veth0");
    assert_eq!(veth0["ifi-index"], ifindex(&ns, "veth0"));
    assert_eq!(veth0["linkinfo"]["kind"], "veth");
    assert_eq!(veth0["mtu"], 1500);
}

#[test]
fn do_getlink_by_name_and_by_header() {
    let Some(ns) = netns("do") else { return };
    ns.ip(&[
        "link",
        "set",
        "veth0",
        "mtu",
        "1400",
        "address",
        "02:00:00:00:00:07",
    ]);
    let by_name = lines(&nl(
        &ns,
        &[
            "--family",
            "rt-link",
            "--do",
            "getlink",
            "--json",
            r#"{"ifname":"veth0"}"#,
        ],
    ));
    assert_eq!(by_name.len(), 1, "{by_name:?}");
    assert_eq!(by_name[0]["ifname"], "veth0");
    assert_eq!(by_name[0]["mtu"], 1400);
    assert_eq!(by_name[0]["address"], "02:00:00:00:00:07");
    // The same link by the fixed header's member.
    let index = ifindex(&ns, "veth0").to_string();
    let json = format!(r#"{{"ifi-index":{index}}}"#);
    let by_index = lines(&nl(
        &ns,
        &["--family", "rt-link", "--do", "getlink", "--json", &json],
    ));
    assert_eq!(by_index[0]["ifname"], "veth0");
}

#[test]
fn do_newlink_and_newaddr_change_the_kernel() {
    let Some(ns) = netns("new") else { return };
    // The bridge's own data is a sub-message chosen by the kind.
    let json =
        r#"{"ifname":"br7","mtu":1280,"linkinfo":{"kind":"bridge","data":{"forward-delay":800}}}"#;
    let made = nl(
        &ns,
        &[
            "--family", "rt-link", "--do", "newlink", "--create", "--excl", "--json", json,
        ],
    );
    // A bare ack prints nothing.
    assert!(lines(&made).is_empty());
    let shown: Value =
        serde_json::from_str(&ns.ip(&["-j", "-d", "link", "show", "br7"])).expect("ip -j");
    assert_eq!(shown[0]["mtu"], 1280);
    assert_eq!(shown[0]["linkinfo"]["info_kind"], "bridge");
    assert_eq!(shown[0]["linkinfo"]["info_data"]["forward_delay"], 800);
    let index = ifindex(&ns, "br7");
    let json = json!({"ifa-family": 2, "ifa-prefixlen": 24, "ifa-index": index,
                      "local": "10.5.0.1", "address": "10.5.0.1"})
    .to_string();
    lines(&nl(
        &ns,
        &[
            "--family", "rt-addr", "--do", "newaddr", "--create", "--json", &json,
        ],
    ));
    assert!(ns.ip(&["addr", "show", "br7"]).contains("inet 10.5.0.1/24"));
    let addrs = lines(&nl(
        &ns,
        &[
            "--family",
            "rt-addr",
            "--dump",
            "getaddr",
            "--json",
            r#"{"ifa-family":2}"#,
        ],
    ));
    let ours = addrs
        .iter()
        .find(|a| a["ifa-index"] == index)
        .expect("br7's address");
    assert_eq!(ours["local"], "10.5.0.1");
    // Again, exclusively: refused with the errno.
    let again = nl(
        &ns,
        &[
            "--family",
            "rt-link",
            "--do",
            "newlink",
            "--create",
            "--excl",
            "--json",
            r#"{"ifname":"br7","linkinfo":{"kind":"bridge"}}"#,
        ],
    );
    let (code, err) = failure(&again);
    assert_eq!(code, 1);
    assert!(
        err.contains("the kernel refused do newlink: errno 17"),
        "{err}"
    );
}

#[test]
fn nlctrl_dump_lists_the_families() {
    let Some(ns) = netns("nlctrl") else { return };
    let families = lines(&nl(&ns, &["--family", "nlctrl", "--dump", "getfamily"]));
    let nlctrl = families
        .iter()
        .find(|f| f["family-name"] == "nlctrl")
        .expect("nlctrl itself");
    assert_eq!(nlctrl["family-id"], 16);
    let names: Vec<&str> = families
        .iter()
        .filter_map(|f| f["family-name"].as_str())
        .collect();
    // Every family is listed once, each with an id.
    assert!(
        families.iter().all(|f| f["family-id"].is_u64()),
        "{families:?}"
    );
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
}

#[test]
fn ethtool_linkinfo_of_a_veth() {
    let Some(ns) = netns("ethtool") else { return };
    if !has_family(&ns, "ethtool") {
        assert!(
            !ci(),
            "CI=true but this kernel has no ethtool netlink family"
        );
        eprintln!("notice: skipping: this kernel has no ethtool netlink family");
        return;
    }
    let json = r#"{"header":{"dev-name":"veth0"}}"#;
    let info = lines(&nl(
        &ns,
        &[
            "--family",
            "ethtool",
            "--do",
            "linkinfo-get",
            "--json",
            json,
        ],
    ));
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0]["header"]["dev-name"], "veth0");
    assert_eq!(info[0]["header"]["dev-index"], ifindex(&ns, "veth0"));
    // The kernel's extended ack is shown with the errno.
    let json = r#"{"header":{"dev-name":"nosuch0"}}"#;
    let (code, err) = failure(&nl(
        &ns,
        &[
            "--family",
            "ethtool",
            "--do",
            "linkinfo-get",
            "--json",
            json,
        ],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("errno 19") && err.contains("no device matches name"),
        "{err}"
    );
    // A request without the header the kernel needs: the missing attribute named.
    let (_, err) = failure(&nl(&ns, &["--family", "ethtool", "--do", "linkinfo-get"]));
    assert!(
        err.contains("errno 22") && err.contains("missing attribute \"header\""),
        "{err}"
    );
}

#[test]
fn mistakes_are_clear_errors() {
    let Some(ns) = netns("errors") else { return };
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["--family", "nosuch", "--dump", "getlink"],
            2,
            "no specification of a netlink family named \"nosuch\"",
        ),
        (
            &["--family", "rt-link", "--dump", "nosuch"],
            2,
            "family rt-link has no operation \"nosuch\"",
        ),
        (
            &[
                "--family", "rt-link", "--dump", "getstats", "--do", "getlink",
            ],
            2,
            "cannot be used with",
        ),
        (&["--family", "rt-link"], 2, "say what to do"),
        (
            &[
                "--family",
                "rt-link",
                "--do",
                "getlink",
                "--json",
                r#"{"ifnam":"veth0"}"#,
            ],
            2,
            "attribute set link-attrs has no attribute \"ifnam\"",
        ),
        (
            &[
                "--family",
                "rt-link",
                "--do",
                "getlink",
                "--json",
                r#"{"mtu":"big"}"#,
            ],
            2,
            "attribute \"mtu\" of set link-attrs is an integer: \"big\" is not a number",
        ),
        (
            &[
                "--family",
                "rt-link",
                "--do",
                "getlink",
                "--json",
                r#"{"ifi-index":1e99}"#,
            ],
            2,
            "ifi-index",
        ),
        (
            &["--family", "rt-link", "--do", "getlink", "--json", "[1]"],
            2,
            "--json takes an object",
        ),
        (
            &[
                "--family",
                "rt-link",
                "--do",
                "getlink",
                "--json",
                r#"{"ifname":"nosuch0"}"#,
            ],
            1,
            "the kernel refused do getlink: errno 19",
        ),
        (
            &[
                "--family",
                "rt-link",
                "--do",
                "newlink",
                "--create",
                "--json",
                r#"{"ifname":"x0","linkinfo":{"kind":"nosuchkind"}}"#,
            ],
            1,
            // The extended ack's text after the errno.
            "errno 95 (Operation not supported (os error 95)): Unknown device type",
        ),
        (
            &["--family", "rt-link", "--subscribe", "nosuch"],
            2,
            "family rt-link has no multicast group \"nosuch\"",
        ),
    ];
    for (args, want_code, want) in cases {
        let (code, err) = failure(&nl(&ns, args));
        assert_eq!(code, *want_code, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_family_the_kernel_lacks_is_said_so() {
    let Some(ns) = netns("absent") else { return };
    // A generic netlink family a specification describes and this kernel
    // lacks (in a test machine's kernel, some modules are not loaded).
    let doable = |f: &Family| {
        f.operations()
            .iter()
            .find(|o| o.request().is_some() && o.modes().do_)
    };
    let absent = procslink::families::FAMILIES.iter().find(|f| {
        matches!(f.protocol(), Protocol::Genetlink { .. })
            && doable(f).is_some()
            && !has_family(&ns, f.name())
    });
    let Some((family, Some(op))) = absent.map(|f| (f, doable(f))) else {
        eprintln!("notice: skipping: this kernel has every generic netlink family specified");
        return;
    };
    let (code, err) = failure(&nl(&ns, &["--family", family.name(), "--do", op.name()]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("this kernel has no generic netlink family"),
        "{err}"
    );
}

/// `procslink nl --subscribe …`, killed when dropped.
struct Subscriber(Child);

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn subscribe_sees_a_link_made_during_the_wait() {
    let Some(ns) = netns("subscribe") else { return };
    let child = Command::new(env!("CARGO_BIN_EXE_procslink"))
        .args(["nl", "--family", "rt-link", "--subscribe", "rtnlgrp-link"])
        .args(["--count", "1", "--timeout", "20", "--netns", &ns.name])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("procslink runs");
    let mut sub = Subscriber(child);
    let stderr = sub.0.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stderr).read_line(&mut line);
        let _ = tx.send(line);
    });
    let ready = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("subscribed in time");
    assert_eq!(ready.trim(), "procslink: subscribed to rtnlgrp-link");
    ns.ip(&["link", "add", "br9", "type", "bridge"]);
    let stdout = sub.0.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a notification in time");
    let note: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(note["ifname"], "br9");
    assert_eq!(note["ifi-index"], ifindex(&ns, "br9"));
    let status = sub.0.wait().expect("exits after --count 1");
    assert!(status.success());
}

#[test]
fn subscribe_stops_at_the_timeout() {
    let Some(ns) = netns("timeout") else { return };
    let out = nl(
        &ns,
        &[
            "--family",
            "rt-link",
            "--subscribe",
            "rtnlgrp-link",
            "--timeout",
            "0.3",
        ],
    );
    assert!(lines(&out).is_empty());
}

#[test]
fn an_operation_the_kernel_lacks_is_said_so() {
    let Some(ns) = netns("lacks") else { return };
    if !has_family(&ns, "ethtool") {
        assert!(
            !ci(),
            "CI=true but this kernel has no ethtool netlink family"
        );
        eprintln!("notice: skipping: this kernel has no ethtool netlink family");
        return;
    }
    // The commands this kernel's ethtool accepts, as nlctrl lists them.
    let json = r#"{"family-name":"ethtool"}"#;
    let answer = lines(&nl(
        &ns,
        &["--family", "nlctrl", "--do", "getfamily", "--json", json],
    ));
    let ops = answer[0]["ops"].as_array().expect("ops");
    let kernel: Vec<u64> = ops
        .iter()
        .filter_map(|o| o.as_object()?.values().next()?["id"].as_u64())
        .collect();
    assert!(!kernel.is_empty(), "{answer:?}");
    let spec = &procslink::families::ethtool::FAMILY;
    let missing = spec
        .operations()
        .iter()
        .find(|o| o.modes().do_ && o.request().is_some_and(|r| !kernel.contains(&u64::from(r))));
    let Some(op) = missing else {
        eprintln!("notice: skipping: this kernel has every ethtool operation specified");
        return;
    };
    let json = r#"{"header":{"dev-name":"veth0"}}"#;
    let (code, err) = failure(&nl(
        &ns,
        &["--family", "ethtool", "--do", op.name(), "--json", json],
    ));
    assert_eq!(code, 1, "{err}");
    let want = format!("this kernel's ethtool family lacks operation {}", op.name());
    assert!(err.contains(&want), "{err}");
}

#[test]
fn subscribe_resolves_generic_netlink_groups_through_nlctrl() {
    let Some(ns) = netns("genl-groups") else {
        return;
    };
    // nlctrl's "notify" group: its id comes from the kernel's answer.
    let out = nl(
        &ns,
        &[
            "--family",
            "nlctrl",
            "--subscribe",
            "notify",
            "--timeout",
            "0.2",
        ],
    );
    assert!(lines(&out).is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "procslink: subscribed to notify"
    );
    let (code, err) = failure(&nl(&ns, &["--family", "nlctrl", "--subscribe", "nosuch"]));
    assert_eq!(code, 2);
    assert!(err.contains("(its groups: notify)"), "{err}");
}

/// Whether the netfilter subsystem `family` answers in `ns`: a kernel built
/// without it (or without its netlink module) is said so and skipped, and
/// fails the test under `CI=true`.
fn netfilter_answers(ns: &Netns, family: &str, op: &str) -> Option<Output> {
    let out = nl(ns, &["--family", family, "--dump", op]);
    if out.status.success() {
        return Some(out);
    }
    let (_, err) = failure(&out);
    assert!(
        !ci(),
        "CI=true but {family} (netlink protocol 12) does not answer here: {err}"
    );
    eprintln!("notice: skipping: {family} does not answer on this kernel: {err}");
    None
}

#[test]
fn netfilter_families_speak_netlink_protocol_12() {
    let Some(ns) = netns("netfilter") else { return };
    // conntrack's per-CPU statistics: one message per CPU, nfgenmsg and
    // every counter under its spec name.
    let Some(out) = netfilter_answers(&ns, "conntrack", "get-stats") else {
        return;
    };
    let stats = lines(&out);
    assert!(!stats.is_empty(), "one line per CPU");
    for (cpu, line) in stats.iter().enumerate() {
        assert_eq!(line["res-id"], cpu as u64, "{line}");
        assert_eq!(line["version"], 0, "{line}");
        for counter in ["found", "insert", "drop", "error", "search-restart"] {
            assert!(line[counter].is_u64(), "{counter} in {line}");
        }
        let unnamed: Vec<&String> = line
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.parse::<u32>().is_ok())
            .collect();
        assert!(
            unnamed.is_empty(),
            "unnamed attributes {unnamed:?} in {line}"
        );
    }
    // A fresh namespace has no nftables tables: the dump ends at once.
    let Some(out) = netfilter_answers(&ns, "nftables", "gettable") else {
        return;
    };
    assert!(lines(&out).is_empty(), "{out:?}");
}

#[test]
fn nftables_changes_go_in_one_batch() {
    let Some(ns) = netns("nft-batch") else { return };
    if netfilter_answers(&ns, "nftables", "gettable").is_none() {
        return;
    }
    let table = |name: &str| json!({"nfgen-family": 2, "name": name}).to_string();
    // NFNL_SUBSYS_NFTABLES in the batch messages' res-id.
    let subsystem = json!({"res-id": 10}).to_string();
    let batch = |name: &str, extra: &[&str]| {
        let mut args = vec!["--family", "nftables", "--create"];
        args.extend_from_slice(extra);
        let table = table(name);
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        for (op, attrs) in [
            ("batch-begin", subsystem.as_str()),
            ("newtable", table.as_str()),
            ("batch-end", subsystem.as_str()),
        ] {
            all.extend(["--multi".to_string(), op.to_string(), attrs.to_string()]);
        }
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        nl(&ns, &all)
    };
    // batch-begin, newtable, batch-end in one datagram: each acknowledged,
    // and the table is there.
    let out = batch("filter", &[]);
    assert!(lines(&out).is_empty(), "a change has no reply: {out:?}");
    let tables = lines(&nl(&ns, &["--family", "nftables", "--dump", "gettable"]));
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert_eq!(tables[0]["name"], "filter");
    assert_eq!(tables[0]["nfgen-family"], 2);
    // The same table again with NLM_F_EXCL: the kernel refuses the second
    // request of the batch, and the whole batch is undone.
    let (code, err) = failure(&batch("filter", &["--excl"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("do newtable (request 2 of the batch)"),
        "{err}"
    );
    assert!(err.contains("errno 17"), "{err}");
    // Alone, outside a batch, a change is refused, and the error says how
    // to send it.
    let (_, err) = failure(&nl(
        &ns,
        &[
            "--family",
            "nftables",
            "--do",
            "newtable",
            "--json",
            &table("other"),
        ],
    ));
    assert!(err.contains("errno 22"), "{err}");
    assert!(
        err.contains("takes changes in a batch: --multi batch-begin"),
        "{err}"
    );
    let tables = lines(&nl(&ns, &["--family", "nftables", "--dump", "gettable"]));
    assert_eq!(tables.len(), 1, "only the first batch's table: {tables:?}");
    // --multi takes pairs, and only operations that can be done.
    let (code, err) = failure(&nl(
        &ns,
        &[
            "--family", "nftables", "--multi", "gettable", "{}", "--multi", "nosuch", "{}",
        ],
    ));
    assert_eq!(code, 2);
    assert!(err.contains("no operation \"nosuch\""), "{err}");
    let (code, _) = failure(&nl(
        &ns,
        &["--family", "nftables", "--multi", "batch-begin"],
    ));
    assert_eq!(code, 2);
}
