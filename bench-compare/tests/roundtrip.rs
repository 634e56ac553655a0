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

/// The contenders of `benches/throughput.rs`: the C echo servers answer
/// the expected bytes from their own address, the C client threads
/// complete their round trips, and the peer threads get the right answer
/// through a shared client and through separate ones.
#[test]
fn every_throughput_contender_answers() {
    use procslink::peer::{Address, SocketOptions, UnixDatagram};
    use procslink_bench::corpus;
    use procslink_bench::throughput::{self as tp, Sharing};

    if rt::RawNetlink::open().is_err() {
        eprintln!("no NETLINK_USERSOCK here: skipped");
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_rt_server"));
    let request = corpus::read(rt::REQUEST);

    let echo = rt::rt_server(exe, &["c-echo"], None).expect("rt_server c-echo");
    RawClient::new(echo.port())
        .expect("raw client")
        .check()
        .expect("the C echo server's answer");
    let to = Address::Netlink(echo.port());
    let run = tp::c_clients(&to, &request, 4, 25).expect("C client threads over netlink");
    assert_eq!(run.latencies_ns.len(), 100);
    assert!(run.latencies_ns.iter().all(|&ns| ns > 0));

    let sock = std::env::temp_dir().join(format!("procslink-tp-test-{}.sock", std::process::id()));
    let unix_echo = rt::rt_server(exe, &["c-echo-unix", &sock.to_string_lossy()], None)
        .expect("rt_server c-echo-unix");
    let me = UnixDatagram::bind(&UnixAddr::Unnamed).expect("unix socket");
    me.set_recv_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    me.send_to(&UnixAddr::Path(sock.clone()), &request, &[])
        .expect("send to the Unix echo");
    let got = me.recv(4096).expect("the Unix echo's answer");
    assert_eq!(got.data, rt::with_pid(&corpus::read(rt::RESPONSE), 0));
    let to = Address::Unix(UnixAddr::Path(sock.clone()));
    let run = tp::c_clients(&to, &request, 4, 25).expect("C client threads over Unix");
    assert_eq!(run.latencies_ns.len(), 100);
    drop(unix_echo);
    let _ = std::fs::remove_file(&sock);

    let peer = rt::rt_server(exe, &["peer-netlink"], None).expect("rt_server peer-netlink");
    let to = Address::Netlink(peer.port());
    for sharing in [Sharing::Shared, Sharing::Separate] {
        let clients = tp::clients(sharing, 4, Client::netlink).expect("clients");
        let run = tp::peer_threads(&clients, &to, 4, 25)
            .unwrap_or_else(|e| panic!("{}: {e}", sharing.name()));
        assert_eq!(run.latencies_ns.len(), 100, "{}", sharing.name());
    }
}
