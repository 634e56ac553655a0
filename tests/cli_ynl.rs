//! `procslink decode --json` on the kernel dumps in `tests/data`: one line
//! of JSON per message, printed as the kernel's ynl prints a message
//! (specification names, fixed-header members after the attributes, nests
//! as objects, indexed arrays as `[{"INDEX": {…}}]`, enums and flags by
//! name, display hints applied, binary as hex, unknown attributes as
//! `UnknownAttr(N)`).
#![cfg(feature = "cli")]

#[path = "common/command.rs"]
mod command;
mod common;

use std::process::Output;

use procslink::netlink::Messages;
use serde_json::Value;

/// The kernel dumps and the protocol each was captured on.
const DUMPS: [(&str, &str); 5] = [
    ("rtnl-link-dump.bin", "route"),
    ("rtnl-addr-dump.bin", "route"),
    ("rtnl-route-dump.bin", "route"),
    ("rtnl-neigh-dump.bin", "route"),
    ("genl-ctrl-family-dump.bin", "generic"),
];

fn run(args: &[&str]) -> Output {
    command::run(args, &[])
}

/// `decode --json` of a dump: its lines.
fn json_lines(file: &str, protocol: &str) -> Vec<String> {
    let path = common::corpus_dir().join(file);
    let o = run(&[
        "decode",
        "--json",
        "--protocol",
        protocol,
        path.to_str().expect("a UTF-8 path"),
    ]);
    assert!(
        o.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).expect("JSON output is UTF-8");
    text.lines().map(str::to_string).collect()
}

/// Every `UnknownAttr(N)` key anywhere in `v`.
fn unknown_keys(v: &Value, found: &mut usize) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                if k.starts_with("UnknownAttr(") {
                    *found += 1;
                }
                unknown_keys(v, found);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| unknown_keys(v, found)),
        _ => {}
    }
}

#[test]
fn every_message_of_every_dump_is_one_line_of_valid_json() {
    for (file, protocol) in DUMPS {
        let dump = common::read_corpus(file);
        let messages = Messages::new(&dump).count();
        let lines = json_lines(file, protocol);
        assert_eq!(lines.len(), messages, "{file}: one line per message");
        let mut unknown = 0;
        for (i, line) in lines.iter().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{file} message {i}: {e}: {line}"));
            assert!(v.is_object(), "{file} message {i}: {line}");
            unknown_keys(&v, &mut unknown);
        }
        assert_eq!(lines.last().map(String::as_str), Some(r#"{"done":0}"#));
        // Only the link kinds rt-link's specification has no format for
        // (macvlan, vxlan) leave attributes unknown.
        let expected = if file == "rtnl-link-dump.bin" { 304 } else { 0 };
        assert_eq!(unknown, expected, "{file}: UnknownAttr keys");
    }
}

#[test]
fn messages_print_as_ynl_prints_them() {
    let addr = json_lines("rtnl-addr-dump.bin", "route");
    assert_eq!(
        addr[0],
        concat!(
            r#"{"address":"127.0.0.1","local":"127.0.0.1","label":"lo","flags":["permanent"],"#,
            r#""cacheinfo":{"ifa-prefered":4294967295,"ifa-valid":4294967295,"cstamp":27807,"tstamp":27807},"#,
            r#""ifa-family":2,"ifa-prefixlen":8,"ifa-flags":["permanent"],"ifa-scope":254,"ifa-index":1}"#
        )
    );
    let route = json_lines("rtnl-route-dump.bin", "route");
    assert_eq!(
        route[0],
        concat!(
            r#"{"table":254,"dst":"10.0.0.0","prefsrc":"10.0.0.1","oif":4,"#,
            r#""rtm-family":2,"rtm-dst-len":24,"rtm-src-len":0,"rtm-tos":0,"rtm-table":254,"#,
            r#""rtm-protocol":2,"rtm-scope":253,"rtm-type":"unicast","rtm-flags":16}"#
        )
    );
    let neigh = json_lines("rtnl-neigh-dump.bin", "route");
    assert_eq!(
        neigh[0],
        concat!(
            r#"{"dst":"224.0.0.22","lladdr":"01:00:5e:00:00:16","probes":0,"#,
            r#""cacheinfo":{"confirmed":6086,"used":86,"updated":86,"refcnt":0},"#,
            r#""ndm-family":2,"ndm-ifindex":17,"ndm-state":["noarp"],"ndm-flags":[],"ndm-type":"multicast"}"#
        )
    );
    let genl = json_lines("genl-ctrl-family-dump.bin", "generic");
    assert_eq!(
        genl[0],
        concat!(
            r#"{"family-name":"nlctrl","family-id":16,"version":2,"hdrsize":0,"maxattr":0,"#,
            r#""ops":[{"1":{"id":3,"flags":["cmd-cap-do","cmd-cap-dump","cmd-cap-haspol"]}},"#,
            r#"{"2":{"id":10,"flags":["cmd-cap-dump","cmd-cap-haspol"]}}],"#,
            r#""mcast-groups":[{"1":{"id":16,"name":"notify"}}]}"#
        )
    );
}

#[test]
fn links_show_structs_sub_messages_and_macs() {
    let link = json_lines("rtnl-link-dump.bin", "route");
    let br0: Value = serde_json::from_str(&link[1]).unwrap();
    assert_eq!(br0["ifname"], "br0");
    assert_eq!(br0["mtu"], 1500);
    assert_eq!(br0["address"], "0a:3b:c8:db:63:a1");
    assert_eq!(
        br0["ifi-flags"],
        serde_json::json!(["up", "broadcast", "multicast"])
    );
    // A binary carrying a struct: its members.
    assert_eq!(br0["stats64"]["tx-bytes"], 164);
    // IFLA_INFO_DATA by its kind; a struct member with a MAC hint.
    let data = &br0["linkinfo"]["data"];
    assert_eq!(br0["linkinfo"]["kind"], "bridge");
    assert_eq!(data["hello-time"], 200);
    assert_eq!(
        data["bridge-id"],
        serde_json::json!({"prio": 128, "addr": "0a:3b:c8:db:63:a1"})
    );
    assert_eq!(data["group-addr"], "01:80:c2:00:00:00");
    // Fixed-header members come after the attributes, as ynl merges them.
    let keys: Vec<&String> = br0.as_object().unwrap().keys().collect();
    assert_eq!(keys.first().map(|k| k.as_str()), Some("ifname"));
    assert_eq!(keys.last().map(|k| k.as_str()), Some("ifi-change"));
}

#[test]
fn json_refuses_other_formats_and_family_needs_generic() {
    let o = run(&["decode", "--json", "--as", "procslink", "-"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--json prints kernel netlink"));
    let o = run(&["decode", "--json", "--summary", "-"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses the pair");
    let o = run(&["decode", "--family", "ethtool", "-"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("use it with --protocol generic"));
    let o = run(&[
        "decode",
        "--protocol",
        "generic",
        "--family",
        "rt-link",
        "-",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a generic netlink family"));
    let o = run(&["decode", "--protocol", "generic", "--family", "nosuch", "-"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no specification") && err.contains("ethtool"),
        "{err}"
    );
}

/// Appends an attribute, padded.
fn attr(out: &mut Vec<u8>, ty: u16, payload: &[u8]) {
    out.extend_from_slice(&(4 + payload.len() as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// A generic netlink message of family id `id`, command `cmd`.
fn genl_message(id: u16, cmd: u8, version: u8, attrs: &[u8]) -> Vec<u8> {
    let mut msg = Vec::new();
    msg.extend_from_slice(&(16 + 4 + attrs.len() as u32).to_ne_bytes());
    msg.extend_from_slice(&id.to_ne_bytes());
    msg.extend_from_slice(&0u16.to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(&[cmd, version, 0, 0]);
    msg.extend_from_slice(attrs);
    msg
}

/// An ethtool `linkinfo-get` reply as the kernel sends it, with the family
/// id 28 the controller gave ethtool: the header nest (dev-index 5,
/// dev-name "veth0") and the port (239).
fn ethtool_linkinfo_reply() -> Vec<u8> {
    let mut header = Vec::new();
    attr(&mut header, 1, &5u32.to_ne_bytes());
    attr(&mut header, 2, b"veth0\0");
    let mut attrs = Vec::new();
    attr(&mut attrs, 1 | 0x8000, &header);
    attr(&mut attrs, 2, &[239]);
    genl_message(28, 2, 1, &attrs)
}

#[test]
fn a_generic_netlink_family_is_named_by_family() {
    let msg = ethtool_linkinfo_reply();
    let json = command::run(
        &[
            "decode",
            "--json",
            "--protocol",
            "generic",
            "--family",
            "ethtool",
            "-",
        ],
        &msg,
    );
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&json.stdout),
        "{\"header\":{\"dev-index\":5,\"dev-name\":\"veth0\"},\"port\":239}\n"
    );
    let tree = command::run(
        &[
            "decode",
            "--protocol",
            "generic",
            "--family",
            "ethtool",
            "-",
        ],
        &msg,
    );
    let tree = String::from_utf8_lossy(&tree.stdout).into_owned();
    assert!(
        tree.contains("  genlmsghdr: cmd 2 (linkinfo-get), version 1\n"),
        "{tree}"
    );
    assert!(tree.contains(
        "  ETHTOOL_A_LINKINFO_HEADER (1) [N]:\n    ETHTOOL_A_HEADER_DEV_INDEX (1): 5\n    ETHTOOL_A_HEADER_DEV_NAME (2): \"veth0\"\n  ETHTOOL_A_LINKINFO_PORT (2): 239\n"
    ), "{tree}");
    // Without --family the id is no family the command knows: numbers.
    let bare = command::run(&["decode", "--json", "--protocol", "generic", "-"], &msg);
    assert_eq!(
        String::from_utf8_lossy(&bare.stdout),
        "{\"UnknownAttr(1)\":{\"UnknownAttr(1)\":\"05000000\",\"UnknownAttr(2)\":\"766574683000\"},\"UnknownAttr(2)\":\"ef\"}\n"
    );
}

/// An NLMSG_ERROR: `errno` for a capped echo of a 16-byte request, with an
/// extended-ack message when `ext` is given.
fn error_message(errno: i32, ext: Option<&[u8]>) -> Vec<u8> {
    let mut payload = errno.to_ne_bytes().to_vec();
    let request = [
        16u32.to_ne_bytes(),
        [18, 0, 5, 0],
        7u32.to_ne_bytes(),
        [0; 4],
    ];
    payload.extend(request.concat());
    let mut flags = 0x100u16; // NLM_F_CAPPED
    if let Some(text) = ext {
        flags |= 0x200; // NLM_F_ACK_TLVS
        payload.extend_from_slice(&(4 + text.len() as u16).to_ne_bytes());
        payload.extend_from_slice(&1u16.to_ne_bytes()); // NLMSGERR_ATTR_MSG
        payload.extend_from_slice(text);
        payload.resize(payload.len().next_multiple_of(4), 0);
    }
    let mut msg = (16 + payload.len() as u32).to_ne_bytes().to_vec();
    msg.extend_from_slice(&2u16.to_ne_bytes());
    msg.extend_from_slice(&flags.to_ne_bytes());
    msg.extend_from_slice(&7u32.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend(payload);
    msg
}

#[test]
fn control_messages_have_their_lines() {
    let mut input = error_message(0, None);
    input.extend(error_message(-22, Some(b"bad mtu\0")));
    let o = command::run(&["decode", "--json", "-"], &input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "{\"error\":0}\n{\"error\":-22,\"extack\":{\"msg\":\"bad mtu\"}}\n"
    );
    // A message cut short: what decoded, the fault, and a failure.
    let dump = common::read_corpus("rtnl-addr-dump.bin");
    let mut cut = dump[..76].to_vec();
    cut[0] = 80; // nlmsg_len past the end of the attributes it holds
    cut.extend_from_slice(&[8, 0, 200, 0]);
    let o = command::run(&["decode", "--json", "-"], &cut);
    assert_eq!(o.status.code(), Some(1));
    let line = String::from_utf8_lossy(&o.stdout);
    let v: Value = serde_json::from_str(line.trim_end()).expect("valid JSON");
    assert_eq!(v["label"], "lo");
    assert!(v["malformed"].is_string(), "{line}");
}

#[test]
fn mutated_dumps_never_panic_the_tree_or_the_json() {
    // Deterministic byte changes (xorshift positions and values) across
    // the link dump: structs, nests, sub-messages and arrays all get hit.
    let dump = common::read_corpus("rtnl-link-dump.bin");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..24 {
        let mut bytes = dump.clone();
        for _ in 0..16 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        for mode in [&["decode", "-"][..], &["decode", "--json", "-"][..]] {
            let o = command::run(mode, &bytes);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!err.contains("panicked"), "round {round} {mode:?}: {err}");
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "round {round}: {err}"
            );
            if mode.contains(&"--json") {
                for line in String::from_utf8_lossy(&o.stdout).lines() {
                    let v: Result<Value, _> = serde_json::from_str(line);
                    assert!(v.is_ok(), "round {round}: {line}");
                }
            }
        }
    }
}

#[test]
fn an_enum_read_as_flags_names_each_bit_by_its_entry() {
    // devlink's `reload-actions-performed`: a bitfield32 of the enum
    // `reload-action` (driver-reinit = 1, fw-activate = 2) as flags, so
    // bits 1 and 2 (0x6) are those two entries; bit 3 has none.
    let mut bits = 0x6u32.to_ne_bytes().to_vec();
    bits.extend_from_slice(&0xeu32.to_ne_bytes());
    let mut attrs = Vec::new();
    attr(&mut attrs, 154, &bits);
    let msg = genl_message(30, 37, 1, &attrs);
    let o = command::run(
        &[
            "decode",
            "--json",
            "--protocol",
            "generic",
            "--family",
            "devlink",
            "-",
        ],
        &msg,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        concat!(
            r#"{"reload-actions-performed":{"value":["driver-reinit","fw-activate"],"#,
            r#""selector":["driver-reinit","fw-activate","Unknown(3)"]}}"#,
            "\n"
        )
    );
}
