//! The round-trip contenders of `benches/roundtrip.rs` answer correctly
//! (not a timing test; skipped where netlink is unavailable).

use std::path::{Path, PathBuf};

use procslink::peer::{Client, UnixAddr};
use procslink_bench::roundtrip::{self as rt, ARG, METHOD, RESULT, RawClient};
use serde_json::json;

#[test]
fn every_rust_contender_answers() {
    if rt::RawNetlink::open().is_err() {
        eprintln!("no NETLINK_USERSOCK here: skipped");
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_rt_server"));
    let raw = rt::rt_server(exe, &["raw"], None).expect("rt_server raw");
    let mut client = RawClient::new(raw.port()).expect("raw client");
    for _ in 0..3 {
        client.check().expect("raw ping-pong");
    }

    let peer = rt::rt_server(exe, &["peer-netlink"], None).expect("rt_server peer-netlink");
    let client = Client::netlink().expect("netlink client");
    for _ in 0..3 {
        let v = client
            .call(peer.port(), METHOD, json!([ARG]))
            .expect("call");
        assert_eq!(v, json!(RESULT));
    }

    let sock = std::env::temp_dir().join(format!("procslink-rt-test-{}.sock", std::process::id()));
    let unix = rt::rt_server(exe, &["peer-unix", &sock.to_string_lossy()], None)
        .expect("rt_server peer-unix");
    let client = Client::unix().expect("unix client");
    let addr = UnixAddr::Path(PathBuf::from(&unix.address));
    let v = client.call(addr, METHOD, json!([ARG])).expect("call");
    assert_eq!(v, json!(RESULT));
    drop(unix);
    let _ = std::fs::remove_file(&sock);
}
