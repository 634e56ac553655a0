//! The `procslink` command, run as a user runs it: `decode` on the captured
//! traffic in `tests/data` (counts from its manifest, ProcsLink datagrams,
//! hex and stdin input, error exits) and `dump` against the live kernel.
//!
//! The live tests need a netlink socket; where none can be opened they
//! print a notice and pass, unless `CI` is `true`: then they fail, so that
//! CI cannot silently test nothing.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "common/command.rs"]
mod command;
#[path = "common/tree.rs"]
mod tree;

use command::run;
use tree::unnamed_attributes;

/// A file of the captured traffic in `tests/data`.
fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects success, returning stdout.
fn ok(args: &[&str]) -> String {
    let o = run(args, b"");
    assert!(
        o.status.success(),
        "procslink {args:?} failed: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// Checks a failure: the exit code, and one line on stderr that starts
/// with `procslink: ` and contains `needle`, with no panic or backtrace.
fn assert_fails(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("procslink: "), "{err:?}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err:?}");
    assert!(!err.to_lowercase().contains("backtrace"), "{err:?}");
}

/// A unique temporary path for this test.
fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("procslink-cli-{}-{name}", std::process::id()))
}

/// One row of the kernel-dump table in `tests/data/MANIFEST.md`.
struct Row {
    file: String,
    generic: bool,
    messages: usize,
    by_type: Vec<(u16, usize)>,
    attributes: usize,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus("MANIFEST.md")).expect("the manifest is readable");
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".bin"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            let by_type = cols[5]
                .split(", ")
                .map(|pair| {
                    let (ty, n) = pair.split_once(": ").expect("type: count");
                    (ty.parse().expect("type"), n.parse().expect("count"))
                })
                .collect();
            Row {
                file: cols[1].to_string(),
                generic: cols[2].contains("NETLINK_GENERIC"),
                messages: cols[4].parse().expect("messages"),
                by_type,
                attributes: cols[6].parse().expect("attributes"),
            }
        })
        .collect();
    assert_eq!(rows.len(), 5, "the manifest lists five dumps");
    rows
}

fn protocol(row: &Row) -> &'static str {
    if row.generic { "generic" } else { "route" }
}

#[test]
fn summary_counts_match_the_manifest() {
    for row in manifest() {
        let path = corpus(&row.file);
        let out = ok(&[
            "decode",
            "--protocol",
            protocol(&row),
            "--summary",
            path.to_str().expect("a UTF-8 path"),
        ]);
        let head = format!(
            "{} messages, {} top-level attributes",
            row.messages, row.attributes
        );
        assert_eq!(out.lines().next(), Some(head.as_str()), "{}", row.file);
        for (ty, n) in &row.by_type {
            let line = out
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("type {ty} ")))
                .unwrap_or_else(|| panic!("{}: no line for type {ty}:\n{out}", row.file));
            assert!(line.ends_with(&format!(": {n}")), "{}: {line}", row.file);
        }
    }
}

#[test]
fn the_link_dump_has_86_messages_and_3395_attributes() {
    let out = ok(&[
        "decode",
        "--summary",
        corpus("rtnl-link-dump.bin").to_str().expect("a UTF-8 path"),
    ]);
    assert!(
        out.contains("86 messages, 3395 top-level attributes"),
        "{out}"
    );
    assert!(out.contains("type 16 RTM_NEWLINK: 85"), "{out}");
    assert!(out.contains("type 3 NLMSG_DONE: 1"), "{out}");
}

#[test]
fn every_kernel_dump_names_every_attribute_its_specification_describes() {
    let mut named = 0;
    for row in manifest() {
        let path = corpus(&row.file);
        let tree = ok(&[
            "decode",
            "--protocol",
            protocol(&row),
            path.to_str().unwrap(),
        ]);
        let (unnamed, undescribed) = unnamed_attributes(&tree);
        assert_eq!(unnamed, 0, "{}: attributes named by number only", row.file);
        if row.file == "rtnl-link-dump.bin" {
            // rt-link's specification has no format for macvlan's and
            // vxlan's IFLA_INFO_DATA: their attributes stay numbers.
            assert_eq!(tree.matches("(macvlan: undescribed)").count(), 8);
            assert_eq!(tree.matches("(vxlan: undescribed)").count(), 11);
            assert_eq!(undescribed, 304);
        } else {
            assert_eq!(undescribed, 0, "{}", row.file);
        }
        // Attribute lines by C name: `  IFLA_MTU (4): 1500`.
        named += tree
            .lines()
            .filter(|l| {
                l.starts_with("  ") && l.trim_start().starts_with(|c: char| c.is_ascii_uppercase())
            })
            .count();
    }
    assert!(named > 5000, "{named} named lines");
    // The count is not vacuous: an attribute number rt-link does not have
    // (200) in place of the first IFLA_IFNAME is counted.
    let mut dump = std::fs::read(corpus("rtnl-link-dump.bin")).unwrap();
    assert_eq!(dump[34..36], 3u16.to_ne_bytes(), "IFLA_IFNAME comes first");
    dump[34..36].copy_from_slice(&200u16.to_ne_bytes());
    let o = run(&["decode", "-"], &dump);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\n  type 200: \"lo\"\n"));
    assert_eq!(unnamed_attributes(&stdout(&o)), (1, 304));
}

#[test]
fn trees_name_headers_and_descend_into_unflagged_nests() {
    let link = ok(&["decode", corpus("rtnl-link-dump.bin").to_str().unwrap()]);
    assert!(link.starts_with("@0 RTM_NEWLINK len "), "{}", &link[..80]);
    assert!(link.contains("flags MULTI seq 1"));
    assert!(link.contains("  ifinfomsg: ifi-family unspec, ifi-type 772, ifi-index 1, ifi-flags 0x10049 <up,loopback,running,lower-up>"));
    assert!(link.contains("  IFLA_IFNAME (3): \"lo\""));
    assert!(link.contains("  IFLA_MTU (4): 65536"));
    // IFLA_LINKINFO and IFLA_AF_SPEC lack NLA_F_NESTED; the tree goes in.
    assert!(link.contains("  IFLA_LINKINFO (18):\n    IFLA_INFO_KIND (1): \"bridge\""));
    assert!(link.contains("  IFLA_AF_SPEC (26):\n    AF_INET (2):"));
    // rt-link's specification gives the token no display hint: bytes.
    assert!(link.contains("      IFLA_INET6_TOKEN (7): hex 00000000000000000000000000000000"));
    // Sub-messages by their selector: a bridge's IFLA_INFO_DATA.
    assert!(link.contains("    IFLA_INFO_DATA (2) (bridge):\n      IFLA_BR_HELLO_TIMER (16): 0"));
    assert!(link.contains("      IFLA_BR_GROUP_ADDR (20): 01:80:c2:00:00:00"));
    assert!(link.contains("NLMSG_DONE len 20 flags MULTI"));
    assert!(!link.contains("malformed"));

    let addr = ok(&["decode", corpus("rtnl-addr-dump.bin").to_str().unwrap()]);
    assert!(addr.contains("  IFA_LOCAL (2): 127.0.0.1\n  IFA_LABEL (3): \"lo\""));
    // Binary attributes carrying a struct show its members.
    assert!(addr.contains(
        "  IFA_CACHEINFO (6): ifa-prefered 4294967295, ifa-valid 4294967295, cstamp 27807, tstamp 27807\n"
    ));
    assert!(link.contains("  IFLA_STATS64 (23):\n    rx-packets: 0\n    tx-packets: 0\n"));

    let route = ok(&["decode", corpus("rtnl-route-dump.bin").to_str().unwrap()]);
    assert!(
        route.contains("rtm-table main, rtm-protocol kernel, rtm-scope link, rtm-type unicast")
    );
    assert!(route.contains("  RTA_TABLE (15): 254"));

    let neigh = ok(&["decode", corpus("rtnl-neigh-dump.bin").to_str().unwrap()]);
    assert!(neigh.contains("  NDA_LLADDR (2): 01:00:5e:00:00:16"));

    let genl = ok(&[
        "decode",
        "--protocol",
        "generic",
        corpus("genl-ctrl-family-dump.bin").to_str().unwrap(),
    ]);
    assert!(genl.starts_with("@0 GENL_ID_CTRL len 136"));
    // Command 1 is the reply of nlctrl's `getfamily` operation.
    assert!(genl.contains("  genlmsghdr: cmd 1 (getfamily), version 2"));
    assert!(genl.contains("  CTRL_ATTR_FAMILY_NAME (2): \"nlctrl\""));
    assert!(genl.contains(
        "  CTRL_ATTR_OPS (6):\n    [1]:\n      CTRL_ATTR_OP_ID (1): 3\n      CTRL_ATTR_OP_FLAGS (2): 0xe <cmd-cap-do,cmd-cap-dump,cmd-cap-haspol>"
    ));
    assert!(genl.contains("      CTRL_ATTR_MCAST_GRP_NAME (1): \"notify\""));

    // The same bytes read as NETLINK_ROUTE: type 16 is RTM_NEWLINK there,
    // and the attributes after a 16-byte ifinfomsg do not parse.
    let path = corpus("genl-ctrl-family-dump.bin");
    let o = run(&["decode", path.to_str().unwrap()], b"");
    assert_fails(&o, 1, "malformed netlink input");
    assert!(stdout(&o).starts_with("@0 RTM_NEWLINK len 136"));
}

/// Every ProcsLink datagram: its JSON (escapes decoded) and classification.
#[test]
fn procslink_datagrams_show_json_and_classification() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "request-named.bin",
            "JSON-RPC request: method \"add\", id 2, params named (2)",
            &["\"method\": \"add\"", "\"a\": 2", "\"b\": 40"],
        ),
        (
            "request-no-params.bin",
            "JSON-RPC request: method \"ping\", id 3, no params",
            &["\"method\": \"ping\""],
        ),
        (
            "request-positional.bin",
            "JSON-RPC request: method \"hello\", id 1, params positional (1)",
            &["\"params\": [\n", "\"Rust\""],
        ),
        (
            "response-internal-error.bin",
            "JSON-RPC error response: id 9, code -32603 (Internal error)",
            &["\"data\": \"unsupported operand type(s) for +: 'int' and 'str'\""],
        ),
        (
            "response-invalid-request.bin",
            "JSON-RPC error response: id null, code -32600 (Invalid Request)",
            &["\"id\": null", "\"message\": \"Invalid Request\""],
        ),
        (
            "response-method-not-found.bin",
            "JSON-RPC error response: id 8, code -32601 (Method not found)",
            &["\"code\": -32601"],
        ),
        (
            "response-result.bin",
            "JSON-RPC response: id 7, result string",
            &["\"result\": \"Hello, Rust!\""],
        ),
        (
            "response-string-id.bin",
            "JSON-RPC response: id \"abc\", result string",
            &["\"id\": \"abc\"", "\"result\": \"Hello, été!\""],
        ),
    ];
    for (file, class, json) in cases {
        let path = corpus(&format!("procslink/{file}"));
        let out = ok(&["decode", "--as", "procslink", path.to_str().unwrap()]);
        assert!(out.starts_with("@0 ProcsLink datagram, "), "{file}: {out}");
        assert!(out.contains("nlmsghdr (big-endian): len "), "{file}: {out}");
        assert!(
            out.contains("procslinkhdr: procslink v1 length "),
            "{file}: {out}"
        );
        assert!(out.contains(class), "{file}: {class:?} not in\n{out}");
        for text in *json {
            assert!(out.contains(text), "{file}: {text:?} not in\n{out}");
        }
        assert!(out.contains("\"jsonrpc\": \"2.0\""), "{file}: {out}");
    }
}

#[test]
fn procslink_datagrams_concatenated_and_summarised() {
    let mut all = Vec::new();
    for name in [
        "request-named.bin",
        "response-result.bin",
        "response-method-not-found.bin",
    ] {
        all.extend(std::fs::read(corpus(&format!("procslink/{name}"))).unwrap());
    }
    let o = run(&["decode", "--as", "procslink", "--summary", "-"], &all);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("3 datagrams"), "{out}");
    assert!(out.contains("  request: 1"), "{out}");
    assert!(out.contains("  response: 1"), "{out}");
    assert!(out.contains("  error: 1"), "{out}");

    let o = run(&["decode", "--as", "procslink"], &all);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("@113 ProcsLink datagram, 93 bytes"));
}

#[test]
fn procslink_bad_json_prints_headers_then_fails_with_offset() {
    let mut d = std::fs::read(corpus("procslink/request-no-params.bin")).unwrap();
    let at = d.len() - 1;
    d[at] = b'x'; // the closing brace
    let o = run(&["decode", "--as", "procslink"], &d);
    assert_fails(&o, 1, "invalid JSON");
    assert!(stderr(&o).contains("at byte"), "{}", stderr(&o));
    assert!(stdout(&o).contains("procslinkhdr: "), "{}", stdout(&o));
}

#[test]
fn a_procslink_datagram_read_as_netlink_gets_a_hint() {
    let path = corpus("procslink/request-named.bin");
    let o = run(&["decode", path.to_str().unwrap()], b"");
    assert_fails(&o, 1, "try --as procslink");
}

#[test]
fn hex_input() {
    let bytes = std::fs::read(corpus("procslink/response-string-id.bin")).unwrap();
    // Mixed separators and prefixes, over several lines.
    let mut text = String::new();
    for (i, b) in bytes.iter().enumerate() {
        match i % 3 {
            0 => text.push_str(&format!("0x{b:02x} ")),
            1 => text.push_str(&format!("{b:02X}:")),
            _ => text.push_str(&format!("{b:02x}\n")),
        }
    }
    let o = run(&["decode", "--hex", "--as", "procslink"], text.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"result\": \"Hello, été!\""));

    let dump = std::fs::read(corpus("rtnl-neigh-dump.bin")).unwrap();
    let hex: String = dump.iter().map(|b| format!("{b:02x}")).collect();
    let path = temp("neigh.hex");
    std::fs::write(&path, hex).unwrap();
    let out = ok(&["decode", "--hex", "--summary", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(
        out.contains("72 messages, 284 top-level attributes"),
        "{out}"
    );
}

/// An `NLMSG_ERROR` with an extended ack, given as hex on stdin.
#[test]
fn errors_show_errno_and_extended_ack() {
    let mut msg = Vec::new();
    let text = b"bad attribute\0\0\0"; // 14 bytes and padding
    let len = 16 + 4 + 16 + 4 + 16;
    msg.extend((len as u32).to_ne_bytes());
    msg.extend(2u16.to_ne_bytes()); // NLMSG_ERROR
    msg.extend(0x300u16.to_ne_bytes()); // CAPPED | ACK_TLVS
    msg.extend(5u32.to_ne_bytes());
    msg.extend(0u32.to_ne_bytes());
    msg.extend((-22i32).to_ne_bytes());
    // The request's header: RTM_NEWLINK, REQUEST | ACK.
    msg.extend(32u32.to_ne_bytes());
    msg.extend(16u16.to_ne_bytes());
    msg.extend(5u16.to_ne_bytes());
    msg.extend(5u32.to_ne_bytes());
    msg.extend(1234u32.to_ne_bytes());
    msg.extend(18u16.to_ne_bytes()); // nla_len: 4 + 14
    msg.extend(1u16.to_ne_bytes()); // NLMSGERR_ATTR_MSG
    msg.extend(&text[..]);
    assert_eq!(msg.len(), len);
    let hex: Vec<String> = msg.iter().map(|b| format!("{b:02x}")).collect();
    let o = run(&["decode", "--hex", "-"], hex.join(" ").as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("@0 NLMSG_ERROR len 56 flags CAPPED|ACK_TLVS seq 5"),
        "{out}"
    );
    assert!(
        out.contains("  error -22 (Invalid argument) for seq 5"),
        "{out}"
    );
    assert!(
        out.contains("  request: RTM_NEWLINK len 32 flags REQUEST|ACK seq 5 pid 1234"),
        "{out}"
    );
    assert!(out.contains("  extended ack: \"bad attribute\""), "{out}");
}

#[test]
fn stdin_input() {
    let dump = std::fs::read(corpus("rtnl-addr-dump.bin")).unwrap();
    for args in [
        &["decode", "--summary", "-"][..],
        &["decode", "--summary"][..],
    ] {
        let o = run(args, &dump);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("121 messages, 481 top-level attributes"));
    }
    // Empty input: nothing to decode, no error.
    let o = run(&["decode", "--summary"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 messages, 0 top-level attributes"));
}

#[test]
fn a_truncated_dump_prints_what_decoded_then_the_error() {
    let dump = std::fs::read(corpus("rtnl-link-dump.bin")).unwrap();
    let o = run(&["decode", "-"], &dump[..5000]);
    assert_fails(&o, 1, "malformed netlink input: length ");
    assert!(stderr(&o).contains("at byte 3348"), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("@0 RTM_NEWLINK"));
    assert!(out.contains("@1468 RTM_NEWLINK"));
    assert!(!out.contains("@3348"));

    let o = run(&["decode", "--summary", "-"], &dump[..5000]);
    assert_fails(&o, 1, "at byte 3348");
    assert!(stdout(&o).starts_with("2 messages, "), "{}", stdout(&o));

    // A header cut short.
    let o = run(&["decode", "-"], &dump[..10]);
    assert_fails(&o, 1, "truncated: needed 16 bytes, 10 left at byte 0");

    // A top-level attribute whose length runs past its message.
    let mut bad = dump[..1468].to_vec();
    bad[32..34].copy_from_slice(&0xfff0u16.to_ne_bytes()); // the first nla_len
    let o = run(&["decode", "-"], &bad);
    assert_fails(&o, 1, "at byte 32");
    assert!(
        stdout(&o).contains("  malformed: length "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_missing_file_is_one_line() {
    let path = temp("does-not-exist.bin");
    let o = run(&["decode", path.to_str().unwrap()], b"");
    assert_fails(&o, 1, "cannot read ");
}

#[test]
fn bad_hex_is_one_line() {
    let o = run(&["decode", "--hex"], b"10 00 00 zz");
    assert_fails(&o, 1, "bad hex input: 'z' at character 9");
    let o = run(&["decode", "--hex"], b"100");
    assert_fails(&o, 1, "odd number of hex digits");
    let o = run(&["decode", "--hex"], &[0xff, 0xfe]);
    assert_fails(&o, 1, "bad hex input");
}

#[test]
fn usage_errors_are_one_line_with_exit_code_2() {
    let o = run(&["decode", "--bogus"], b"");
    assert_fails(&o, 2, "--bogus");
    let o = run(&["decode", "--as", "xml"], b"");
    assert_fails(&o, 2, "xml");
    let o = run(&["frobnicate"], b"");
    assert_fails(&o, 2, "frobnicate");
    let o = run(&["dump", "everything"], b"");
    assert_fails(&o, 2, "everything");
    // Help is not an error.
    let o = run(&["--help"], b"");
    assert!(o.status.success());
    assert!(stdout(&o).contains("decode"));
}

/// A pyroute2 transport message carrying an rtnetlink message, and a
/// control message, built by hand.
#[test]
fn envmsg_envelopes() {
    fn nla(ty: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend((4 + payload.len() as u16).to_ne_bytes());
        a.extend(ty.to_ne_bytes());
        a.extend(payload);
        a.resize(a.len().next_multiple_of(4), 0);
        a
    }
    fn nlmsg(ty: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend((16 + body.len() as u32).to_ne_bytes());
        m.extend(ty.to_ne_bytes());
        m.extend(flags.to_ne_bytes());
        m.extend(seq.to_ne_bytes());
        m.extend(0u32.to_ne_bytes());
        m.extend(body);
        m
    }
    fn envelope(flags: u16, seq: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(3u32.to_ne_bytes()); // dst
        body.extend(4u32.to_ne_bytes()); // src
        body.extend(nla(0, data));
        nlmsg(0xf, flags, seq, &body)
    }
    let addr = std::fs::read(corpus("rtnl-addr-dump.bin")).unwrap();
    let mut ctl = vec![7, 1, 0, 0]; // IPRCMD_CONNECT, version 1
    ctl.extend(nla(1, b"tcp://localhost:9824\0"));
    let ctl = nlmsg(0xe, 1, 0, &ctl);
    let mut input = envelope(0, 1, &addr[..76]);
    input.extend(envelope(1, 2, &ctl));

    // The seed document's 8-byte layout, no longer the default.
    let basic = ["decode", "--as", "envmsg", "--envelope", "basic", "-"];
    let o = run(&basic, &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("@0 NLMSG_TRANSPORT len 104 flags 0 seq 1"),
        "{out}"
    );
    assert!(out.contains("  envmsghdr: dst 3 src 4\n"), "{out}");
    assert!(out.contains("    @0 RTM_NEWADDR len 76"), "{out}");
    assert!(out.contains("      IFA_LABEL (3): \"lo\""), "{out}");
    assert!(out.contains("flags CONTROL seq 2"), "{out}");
    assert!(out.contains("control IPRCMD_CONNECT"), "{out}");
    assert!(out.contains("Host(\"tcp://localhost:9824\")"), "{out}");

    let o = run(
        &[
            "decode",
            "--as",
            "envmsg",
            "--envelope",
            "basic",
            "--summary",
            "-",
        ],
        &input,
    );
    assert!(
        stdout(&o).contains("2 messages\n  transport: 2"),
        "{}",
        stdout(&o)
    );

    // Read as plain netlink: reserved types below 0x10 are shown by number.
    let o = run(&["decode", "-"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("@0 type 15 len 104 flags "),
        "{}",
        stdout(&o)
    );
    let o = run(&["decode", "--summary", "-"], &input);
    assert!(stdout(&o).contains("  type 15 ?: 2"), "{}", stdout(&o));

    // The same bytes under the 20-byte layout, or the default 36-byte one,
    // do not fit.
    let o = run(
        &["decode", "--as", "envmsg", "--envelope", "ports", "-"],
        &input,
    );
    assert_fails(&o, 1, "malformed envelope input");
    let o = run(&["decode", "--as", "envmsg", "-"], &input);
    assert_fails(&o, 1, "malformed envelope input");
}

/// `--as envmsg` reads pyroute2 0.2.16's real traffic (36-byte envelopes)
/// without being told the layout.
#[test]
fn envmsg_default_is_pyroute2_layout() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/seed-systems/pyroute2-0.2.16-tcp.server-to-client.bin");
    let input = std::fs::read(capture).unwrap();
    let o = run(&["decode", "--as", "envmsg", "-"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("control IPRCMD_ACK"), "{out}");
    assert!(out.contains("RTM_NEWLINK"), "{out}");
    assert!(out.contains("NLMSG_DONE"), "{out}");
}

/// Runs a live dump, or returns `None` (after a notice) where no netlink
/// socket can be opened and `CI` is not `true`.
fn live(args: &[&str]) -> Option<String> {
    let o = run(args, b"");
    let err = stderr(&o);
    if !o.status.success() && err.contains("cannot open a NETLINK_") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no netlink socket: {err}"
        );
        eprintln!("notice: skipping live dump test: {err}");
        return None;
    }
    assert!(o.status.success(), "procslink {args:?}: {err}");
    Some(stdout(&o))
}

/// `N messages, M top-level attributes` from a summary.
fn counts(summary: &str) -> (usize, usize) {
    let first = summary.lines().next().unwrap_or_default();
    let words: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(words.get(1), Some(&"messages,"), "{summary}");
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

#[test]
fn live_link_dump_summary() {
    let Some(out) = live(&["dump", "link", "--summary"]) else {
        return;
    };
    let (messages, attributes) = counts(&out);
    assert!(messages >= 2, "at least lo and DONE: {out}");
    assert!(attributes > 0, "{out}");
    assert!(out.contains("type 16 RTM_NEWLINK: "), "{out}");
    assert!(out.contains("type 3 NLMSG_DONE: 1"), "{out}");
}

#[test]
fn live_family_dump() {
    let Some(out) = live(&["dump", "family", "-d"]) else {
        return;
    };
    assert!(out.starts_with("@0 GENL_ID_CTRL len "), "{out}");
    assert!(
        out.contains("  CTRL_ATTR_FAMILY_NAME (2): \"nlctrl\""),
        "{out}"
    );
    assert!(out.contains("  CTRL_ATTR_FAMILY_ID (1): 16"), "{out}");
    assert!(out.contains("NLMSG_DONE"), "{out}");
    assert!(!out.contains("malformed"), "{out}");
}

#[test]
fn live_dumps_round_trip_through_raw_files() {
    for (what, protocol) in [
        ("link", "route"),
        ("addr", "route"),
        ("route", "route"),
        ("neigh", "route"),
        ("family", "generic"),
    ] {
        let path = temp(&format!("{what}.bin"));
        let raw = path.to_str().unwrap();
        let Some(dumped) = live(&["dump", what, "--summary", "--raw", raw]) else {
            return;
        };
        let decoded = ok(&["decode", "--protocol", protocol, "--summary", raw]);
        let tree = ok(&["decode", "--protocol", protocol, raw]);
        let _ = std::fs::remove_file(&path);
        assert_eq!(dumped, decoded, "{what}");
        let (messages, _) = counts(&decoded);
        assert_eq!(
            tree.lines().filter(|l| l.starts_with('@')).count(),
            messages,
            "{what}"
        );
        assert!(!tree.contains("malformed"), "{what}: {tree}");
    }
}

/// A `procslink serve` child, killed when dropped.
struct Served {
    child: std::process::Child,
    port: String,
}

impl Served {
    /// Sends the server `SIGTERM` and waits (5 s at most) for it to exit:
    /// it stops as its handle's `stop` does, and must exit with success.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if let Some(status) = self.child.try_wait().expect("the server can be waited for") {
                assert!(
                    status.success(),
                    "the server exits cleanly on SIGTERM: {status}"
                );
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not stop within 5 s of SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `procslink serve` and reads its port id from its first line, or
/// returns `None` (after a notice) where no netlink socket can be opened
/// and `CI` is not `true`.
fn serve() -> Option<Served> {
    let served = serve_with(&[])?;
    assert!(
        served.port.parse::<u32>().is_ok(),
        "the first line is the port: {:?}",
        served.port
    );
    Some(served)
}

/// Starts `procslink serve ARGS...` and reads the first line it prints
/// (kept in `port`), or returns `None` as [`serve`] does.
fn serve_with(args: &[&str]) -> Option<Served> {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_procslink"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the procslink binary runs");
    let mut first = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap();
    if first.trim().is_empty() {
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(err.contains("cannot open a NETLINK_USERSOCK"), "{err}");
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no netlink socket: {err}"
        );
        eprintln!("notice: skipping serve/call test: {err}");
        return None;
    }
    let port = first.trim().to_string();
    Some(Served { child, port })
}

#[test]
fn serve_call_and_notify_over_every_other_transport() {
    // Unique past this process, should a server be killed and leave its
    // socket file in the temp dir for a later run with the same pid.
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let id = format!("{}-{}", std::process::id(), since_epoch.as_nanos());
    let domainsockets_file = std::env::temp_dir().join(format!("procslink-cli-{id}"));
    let transports = [
        format!("unix:@procslink-cli-{id}"),
        format!("unix:{}", temp("unix-serve").display()),
        format!("jsoncomm:{}", temp("jsoncomm-serve").display()),
        format!("jsoncomm-seqpacket:@procslink-cli-seqpacket-{id}"),
        format!("domainsockets:procslink-cli-{id}"),
        "ezipc:127.0.0.1:0".to_string(),
    ];
    for asked in transports {
        let server = serve_with(&["--transport", &asked]).expect("a server starts");
        // The first line is what --transport takes (an EZ-IPC port 0 made
        // concrete).
        let transport = server.port.clone();
        if asked.ends_with(":0") {
            assert!(transport.starts_with("ezipc:127.0.0.1:"), "{transport}");
        } else {
            assert_eq!(transport, asked);
        }
        let run_on = |command: &str, args: &[&str]| {
            let mut all = vec![command, "--transport", &transport];
            all.extend_from_slice(args);
            run(&all, b"")
        };
        let ok_on = |args: &[&str]| {
            let o = run_on("call", args);
            assert!(o.status.success(), "{transport} {args:?}: {}", stderr(&o));
            stdout(&o)
        };
        assert_eq!(
            ok_on(&["hello", r#"["été"]"#]),
            "\"Hello, été!\"\n",
            "{transport}"
        );
        assert_eq!(ok_on(&["add", "[2, 40]"]), "42\n", "{transport}");
        let echoed = ok_on(&["echo", r#"[{"b":[1,-0,1e400],"a":"x"}]"#]);
        if transport.starts_with("domainsockets:") {
            // The Go reference's echo, which this transport serves,
            // upper-cases the data: the whole params text.
            assert_eq!(echoed, "[{\"B\":[1,-0,1e+400],\"A\":\"X\"}]\n");
        } else {
            assert_eq!(echoed, "{\"b\":[1,-0,1e+400],\"a\":\"x\"}\n", "{transport}");
        }
        assert_fails(
            &run_on("call", &["nosuch"]),
            1,
            "error -32601: Method not found",
        );
        let o = run_on("notify", &["hello", "[]"]);
        if transport.starts_with("domainsockets:") {
            assert_fails(&o, 2, "has no notifications");
        } else {
            assert!(o.status.success(), "{transport}: {}", stderr(&o));
        }
        assert_eq!(ok_on(&["hello", r#"["again"]"#]), "\"Hello, again!\"\n");
        // Stopped by SIGTERM, the server removes the files it made.
        server.terminate();
        if let Some((_, path)) = transport.split_once(":/") {
            assert!(!Path::new(&format!("/{path}")).exists(), "{transport}");
        }
        if transport.starts_with("domainsockets:") {
            assert!(!domainsockets_file.exists(), "{transport}");
        }
    }
}

#[test]
fn options_a_transport_cannot_honour_are_usage_errors() {
    let id = std::process::id();
    let o = run(
        &[
            "serve",
            "--transport",
            &format!("domainsockets:x-{id}"),
            "--allow-uid",
            "0",
        ],
        b"",
    );
    assert_fails(&o, 2, "credentials");
    let o = run(
        &[
            "call",
            "--transport",
            "ezipc:127.0.0.1:1",
            "--expect-uid",
            "0",
            "hello",
        ],
        b"",
    );
    assert_fails(&o, 2, "credentials");
    let o = run(
        &[
            "notify",
            "--transport",
            &format!("domainsockets:x-{id}"),
            "hello",
        ],
        b"",
    );
    assert_fails(&o, 2, "no notifications");
}

#[test]
fn transport_words_that_do_not_fit_are_usage_errors() {
    let o = run(&["call", "--transport", "tcp:1", "hello"], b"");
    assert_fails(&o, 2, "unknown transport");
    let o = run(&["call", "--transport", "unix:", "hello"], b"");
    assert_fails(&o, 2, "needs PATH");
    let o = run(&["call", "hello", "[]"], b"");
    assert_fails(&o, 2, "port id");
    let o = run(&["call", "--transport", "unix:@x", "a", "[]", "extra"], b"");
    assert_fails(&o, 2, "too many words");
    let o = run(&["call", "7"], b"");
    assert_fails(&o, 2, "a METHOD is needed");
}

#[test]
fn serve_call_and_notify() {
    let Some(server) = serve() else { return };
    let port = server.port.as_str();
    assert_eq!(
        ok(&["call", port, "hello", r#"["Rust"]"#]),
        "\"Hello, Rust!\"\n"
    );
    assert_eq!(
        ok(&["call", port, "hello", r#"{"name": "été"}"#]),
        "\"Hello, été!\"\n"
    );
    assert_eq!(ok(&["call", port, "add", "[2, 40]"]), "42\n");
    assert_eq!(ok(&["call", port, "add", r#"{"a": 0.5, "b": 2}"#]), "2.5\n");
    let nested = r#"[{"list":[1,2,{"deep":[null,true,"x"]}]}]"#;
    assert_eq!(
        ok(&["call", port, "echo", nested]),
        "{\"list\":[1,2,{\"deep\":[null,true,\"x\"]}]}\n"
    );

    let o = run(&["call", port, "add", r#"["x", 1]"#], b"");
    assert_fails(&o, 1, "error -32602: Invalid params");
    let o = run(&["call", port, "nosuch"], b"");
    assert_fails(&o, 1, "error -32601: Method not found");
    let o = run(&["call", port, "hello", "not json"], b"");
    assert_fails(&o, 1, "params are not valid JSON");
    let o = run(&["call", port, "hello", "3"], b"");
    assert_fails(&o, 1, "params must be a JSON array or object");

    let o = run(&["notify", port, "hello", r#"["quiet"]"#], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    // The server is still there after all of that.
    assert_eq!(
        ok(&["call", port, "hello", r#"["again"]"#]),
        "\"Hello, again!\"\n"
    );
}

#[test]
fn a_call_without_answer_times_out_with_exit_code_2() {
    // A port whose server is gone refuses at once (exit 1); a live server
    // stopped with SIGSTOP never answers (exit 2).
    let Some(gone) = serve() else { return };
    let gone_port = gone.port.clone();
    drop(gone);
    let Some(server) = serve() else { return };
    let pid = server.child.id().to_string();
    let stopped = Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    assert!(stopped.success());
    let o = run(
        &[
            "call",
            "--timeout",
            "300",
            &server.port,
            "hello",
            r#"["x"]"#,
        ],
        b"",
    );
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    assert_fails(&o, 2, "no response within 300 ms");
    let o = run(
        &["call", "--timeout", "300", &gone_port, "hello", r#"["x"]"#],
        b"",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
