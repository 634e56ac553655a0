//! pyroute2's envelope transport, live and byte for byte: the crate's
//! client and broker (`procslink::peer::pyroute2`) against pyroute2 0.2.16
//! (`../shared/references/pyroute2/`, installed by
//! `scripts/references/pyroute2.sh`), and the captured sessions in
//! `tests/data/seed-systems/pyroute2-*.bin`.
#![cfg(all(
    feature = "std",
    feature = "family-rt-addr",
    feature = "family-rt-link"
))]

mod peer_common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use peer_common::references::{reference, tool};
use procslink::envmsg::{ControlAttr, ControlCommand, Envelope, EnvelopeFormat, TransportFlags};
use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
};
use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::{Builder, Message, flags::Flags};
use procslink::peer::pyroute2::{ClientOptions, RemoteClient, RemoteServer, ServerOptions};

/// A subprocess killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The venv's Python with pyroute2 0.2.16 and the shim folder for
/// `PYTHONPATH`, or `None` after a notice.
fn pyroute2_python() -> Option<(PathBuf, PathBuf)> {
    let python = tool(
        "pyroute2/venv/bin/python",
        "run scripts/references/pyroute2.sh",
    )?;
    let shim = reference("pyroute2/shim")?;
    Some((python, shim))
}

/// Runs a 0.2.2 reference script (`server27.py`, `client27.py`) under
/// Python 2.7 with pyroute2 0.2.2, returning it and its stdout lines.
fn run_script_022(script: &str, args: &[&str]) -> Option<(Running, mpsc::Receiver<String>)> {
    let how = "run scripts/references/pyroute2.sh (needs Python 2.7)";
    let python = tool("pyroute2/python27", how)?;
    let site = tool("pyroute2/py27-site", how)?;
    let script = reference(&format!("pyroute2/{script}"))?;
    Some(spawn_lines(python, script, args, site, Stdio::null()))
}

/// Whether rtnetlink can be opened here (else a notice, or a failure under
/// `CI=true`).
fn rtnetlink_available() -> bool {
    match KernelSocket::open(Protocol::ROUTE) {
        Ok(_) => true,
        Err(e) => {
            peer_common::missing(&format!("cannot open a NETLINK_ROUTE socket: {e}"));
            false
        }
    }
}

/// Runs a reference script (`server.py`, `client.py`) and returns it with
/// a channel of its stdout lines.
fn run_script(script: &str, args: &[&str]) -> Option<(Running, mpsc::Receiver<String>)> {
    let script = reference(&format!("pyroute2/{script}"))?;
    run_python(script, args)
}

/// Runs a Python script under pyroute2 0.2.16's venv.
fn run_python(script: PathBuf, args: &[&str]) -> Option<(Running, mpsc::Receiver<String>)> {
    let (python, shim) = pyroute2_python()?;
    Some(spawn_lines(python, script, args, shim, Stdio::piped()))
}

/// Starts `python script args...` with `PYTHONPATH` set, returning it and a
/// channel of its stdout lines.
fn spawn_lines(
    python: PathBuf,
    script: PathBuf,
    args: &[&str],
    pythonpath: PathBuf,
    stderr: Stdio,
) -> (Running, mpsc::Receiver<String>) {
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .env("PYTHONPATH", pythonpath)
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start the reference");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), rx)
}

/// A TCP port free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `RTM_GETLINK` / `RTM_GETADDR` dump requests.
fn link_request() -> Vec<u8> {
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    let n = m.finish().unwrap();
    buf[..n].to_vec()
}

fn addr_request() -> Vec<u8> {
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_addr::RTM_GETADDR, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&Ifaddrmsg::default()).unwrap();
    let n = m.finish().unwrap();
    buf[..n].to_vec()
}

/// Index → name of a link message.
fn link_of(msg: &Message<'_>) -> (i32, String) {
    let (ifi, attrs) = msg.family_header::<Ifinfomsg>().expect("an ifinfomsg");
    let name = attrs
        .lookup(rt_link::IFLA_IFNAME)
        .ok()
        .flatten()
        .map(|a| String::from_utf8_lossy(a.bytes_str()).into_owned())
        .unwrap_or_default();
    (ifi.ifi_index.get(), name)
}

/// The links and the number of addresses, straight from this machine's
/// kernel.
fn local_view() -> (BTreeMap<i32, String>, usize) {
    let mut socket = KernelSocket::open(Protocol::ROUTE).unwrap();
    let mut links = BTreeMap::new();
    let mut dump = socket.dump(&link_request()).unwrap();
    while let Some(m) = dump.next() {
        let (i, n) = link_of(&m.unwrap());
        links.insert(i, n);
    }
    drop(dump);
    let mut addrs = 0;
    let mut dump = socket.dump(&addr_request()).unwrap();
    while let Some(m) = dump.next() {
        m.unwrap();
        addrs += 1;
    }
    (links, addrs)
}

/// The same through a remote client.
fn remote_view(client: &mut RemoteClient) -> (BTreeMap<i32, String>, usize) {
    let mut links = BTreeMap::new();
    let n = client
        .dump(&link_request(), |m| {
            let (i, name) = link_of(m);
            links.insert(i, name);
        })
        .unwrap();
    assert_eq!(n as usize, links.len());
    let addrs = client.dump(&addr_request(), |_| {}).unwrap();
    (links, addrs as usize)
}

/// The crate's client lists links and addresses through pyroute2 0.2.16's
/// broker (`server.py`, `IPRoute().serve("tcp://...")`): the same links,
/// by index and name, as a direct kernel dump.
#[test]
fn crate_client_through_pyroute2_server() {
    if !rtnetlink_available() {
        return;
    }
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let Some((_server, lines)) = run_script("server.py", &[&url, "60"]) else {
        return;
    };
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("server.py says it is serving");
    assert!(line.starts_with("serving"), "{line}");

    let mut client = RemoteClient::connect(&url).expect("connect to pyroute2's broker");
    assert_eq!(client.port(), 255, "pyroute2's first port");
    let (links, addrs) = remote_view(&mut client);
    let (local_links, local_addrs) = local_view();
    assert_eq!(links, local_links);
    assert!(links.values().any(|n| n == "lo"));
    assert_eq!(addrs, local_addrs);

    // A refused request comes back as the remote kernel's errno: a link
    // that does not exist (GETLINK of index 0x7ffffff0 with NLM_F_ACK).
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)
        .unwrap();
    let ifi = Ifinfomsg {
        ifi_index: 0x7fff_fff0.into(),
        ..Default::default()
    };
    m.family_header(&ifi).unwrap();
    let n = m.finish().unwrap();
    let err = client.request(&buf[..n]).unwrap_err();
    assert_eq!(err.refusal().map(|r| r.errno()), Some(19), "{err:?}"); // ENODEV

    // The session goes on after the refusal.
    let (again, _) = remote_view(&mut client);
    assert_eq!(again, local_links);
}

/// pyroute2 0.2.16's client (`client.py`, `IPRoute(host=...)`) lists links
/// and addresses through the crate's broker.
#[test]
fn pyroute2_client_through_crate_server() {
    if !rtnetlink_available() || pyroute2_python().is_none() {
        return;
    }
    let server = RemoteServer::bind("tcp://127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let url = server.url();
    let Some((mut client, lines)) = run_script("client.py", &[&url]) else {
        return;
    };
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        out.push(line);
        if out.len() == 2 {
            break;
        }
    }
    let status = client.0.wait().unwrap();
    let mut stderr = String::new();
    if let Some(mut e) = client.0.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert!(status.success(), "client.py failed: {out:?}\n{stderr}");

    let (local_links, local_addrs) = local_view();
    let names: Vec<String> = local_links.values().map(|n| format!("'{n}'")).collect();
    assert_eq!(
        out,
        [
            format!(
                "CLIENT got {} links: [{}]",
                local_links.len(),
                names.join(", ")
            ),
            format!("CLIENT got {local_addrs} addrs"),
        ],
        "{stderr}"
    );
    let stats = server.stop();
    assert_eq!(stats.requests, 2, "{stats:?}");
    assert_eq!(stats.duplicates, 0, "{stats:?}");
}

/// Our own driver (`tests/interop/pyroute2_client.py`) through the crate's
/// broker: the links by index and name, a refused request's errno passed
/// back from the kernel, the addresses.
#[test]
fn pyroute2_client_sees_links_and_refusals_through_crate_server() {
    if !rtnetlink_available() || pyroute2_python().is_none() {
        return;
    }
    let server = RemoteServer::bind("tcp://127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let driver = peer_common::root().join("tests/interop/pyroute2_client.py");
    let Some((mut client, lines)) = run_python(driver, &[&server.url()]) else {
        return;
    };
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        out.push(line);
        if out.len() == 3 {
            break;
        }
    }
    let status = client.0.wait().unwrap();
    assert!(status.success(), "{out:?}");
    let (local_links, local_addrs) = local_view();
    let links: Vec<String> = local_links
        .iter()
        .map(|(i, n)| format!("({i}, '{n}')"))
        .collect();
    assert_eq!(
        out,
        [
            format!("links [{}]", links.join(", ")),
            "missing link: errno 19".to_owned(),
            format!("addrs {local_addrs}"),
        ]
    );
    let stats = server.stop();
    assert_eq!(stats.requests, 3, "{stats:?}");
}

/// The crate's client through pyroute2's broker listening on `unix://`
/// (pyroute2 0.2.16's own client cannot connect there: it appends the
/// target to the socket's path).
#[test]
fn crate_client_through_pyroute2_server_over_unix() {
    if !rtnetlink_available() {
        return;
    }
    let path = std::env::temp_dir().join(format!(
        "procslink-pyroute2-ref-{}.sock",
        std::process::id()
    ));
    let url = format!("unix://{}", path.display());
    let Some((server, lines)) = run_script("server.py", &[&url, "60"]) else {
        return;
    };
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("server.py says it is serving");
    assert!(line.starts_with("serving"), "{line}");
    let mut client = RemoteClient::connect(&url).expect("connect over unix://");
    let (links, addrs) = remote_view(&mut client);
    let (local_links, local_addrs) = local_view();
    assert_eq!((links, addrs), (local_links, local_addrs));
    drop(client);
    drop(server);
    let _ = std::fs::remove_file(&path);
}

/// pyroute2 0.2.2's client (Python 2.7, 20-byte `Ports` envelopes,
/// `client27.py`) through the crate's broker set to that layout.
#[test]
fn pyroute2_0_2_2_client_through_crate_server() {
    if !rtnetlink_available() {
        return;
    }
    let options = ServerOptions::new().format(EnvelopeFormat::Ports);
    let server = RemoteServer::bind_with("tcp://127.0.0.1:0", options)
        .unwrap()
        .spawn()
        .unwrap();
    let Some((_client, lines)) = run_script_022("client27.py", &[&server.url()]) else {
        return;
    };
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        out.push(line);
        if out.len() == 2 {
            break;
        }
    }
    // (0.2.2's client then fails in its own release() with EBADF, against
    // its own broker too: not the broker's doing.)
    let (local_links, local_addrs) = local_view();
    let names: Vec<String> = local_links.values().map(|n| format!("'{n}'")).collect();
    assert_eq!(
        out,
        [
            format!(
                "CLIENT got {} links: [{}]",
                local_links.len(),
                names.join(", ")
            ),
            format!("CLIENT got {local_addrs} addrs"),
        ]
    );
    let stats = server.stop();
    assert_eq!(stats.requests, 2, "{stats:?}");
}

/// The crate's client, set to the `Ports` layout and 0.2.2's target name,
/// through pyroute2 0.2.2's broker (`server27.py`).
#[test]
fn crate_client_through_pyroute2_0_2_2_server() {
    if !rtnetlink_available() {
        return;
    }
    let url = format!("tcp://127.0.0.1:{}", free_port());
    let Some((_server, lines)) = run_script_022("server27.py", &[&url, "60"]) else {
        return;
    };
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("server27.py says it is serving");
    assert!(line.starts_with("serving"), "{line}");
    let options = ClientOptions::new()
        .format(EnvelopeFormat::Ports)
        .target("netlink://0:1373");
    let mut client = RemoteClient::connect_with(&url, options).expect("connect to 0.2.2's broker");
    let (links, addrs) = remote_view(&mut client);
    assert_eq!((links, addrs), local_view());
}

/// The captured sessions decode as `tests/data/MANIFEST`-adjacent
/// `corpus/MANIFEST.md` says, and every envelope re-encodes to the same
/// bytes with the crate's builders.
#[test]
fn captures_decode_and_re_encode() {
    struct Capture {
        file: &'static str,
        format: EnvelopeFormat,
        messages: usize,
    }
    let captures = [
        Capture {
            file: "pyroute2-0.2.16-tcp.client-to-server.bin",
            format: EnvelopeFormat::PortsId,
            messages: 3,
        },
        Capture {
            file: "pyroute2-0.2.16-tcp.server-to-client.bin",
            format: EnvelopeFormat::PortsId,
            messages: 7,
        },
        Capture {
            file: "pyroute2-0.2.2-tcp.client-to-server.bin",
            format: EnvelopeFormat::Ports,
            messages: 3,
        },
        Capture {
            file: "pyroute2-0.2.2-tcp.server-to-client.bin",
            format: EnvelopeFormat::Ports,
            messages: 7,
        },
    ];
    for capture in &captures {
        let path = peer_common::root()
            .join("tests/data/seed-systems")
            .join(capture.file);
        let bytes = std::fs::read(&path).unwrap();
        let mut at = 0;
        let mut envelopes = Vec::new();
        while at < bytes.len() {
            let env = Envelope::parse(&bytes[at..], capture.format)
                .unwrap_or_else(|e| panic!("{}: {e}", capture.file));
            let len = env.message().header().len() as usize;
            let original = &bytes[at..at + len];
            assert_eq!(re_encode(&env), original, "{} at {at}", capture.file);
            envelopes.push(env);
            at += len;
        }
        assert_eq!(envelopes.len(), capture.messages, "{}", capture.file);
        let ids: std::collections::HashSet<_> = envelopes.iter().filter_map(|e| e.id()).collect();
        if capture.format == EnvelopeFormat::PortsId {
            assert_eq!(ids.len(), capture.messages, "ids are unique per envelope");
        }

        if capture.file.contains("client-to-server") {
            // DISCOVER of rtnetlink, then a GETLINK and a GETADDR dump.
            let ctrl = envelopes[0].control().unwrap();
            assert!(envelopes[0].is_control());
            assert_eq!(ctrl.command(), ControlCommand::DISCOVER);
            let attrs: Vec<_> = ctrl.attrs().map(Result::unwrap).collect();
            // rtnetlink with its groups: "/0/1373" (0.2.16) or
            // "netlink://0:1373" (0.2.2).
            assert!(
                matches!(attrs[..], [ControlAttr::Host(h)] if h.ends_with("0/1373") || h.ends_with("0:1373")),
                "{attrs:?}"
            );
            let types: Vec<u16> = envelopes[1..]
                .iter()
                .map(|e| Message::parse(e.data()).unwrap().message_type().0)
                .collect();
            assert_eq!(types, [18, 22]);
        } else {
            // The hello, the DISCOVER answer, then NEWLINK batches and
            // DONE, NEWADDR and DONE.
            let hello = envelopes[0].control().unwrap();
            assert_eq!(
                envelopes[0].flags(),
                TransportFlags::CONTROL | TransportFlags::RESPONSE
            );
            assert_eq!(hello.command(), ControlCommand::ACK);
            let hello_attrs: Vec<_> = hello.attrs().map(Result::unwrap).collect();
            assert!(matches!(hello_attrs[..], [ControlAttr::Addr(_)]));
            let answer = envelopes[1].control().unwrap();
            let answer_attrs: Vec<_> = answer.attrs().map(Result::unwrap).collect();
            assert_eq!(answer.command(), ControlCommand::ACK);
            // 0.2.16 answers the port and the command answered; 0.2.2 an
            // address alone.
            let expected = match capture.format {
                EnvelopeFormat::PortsId => matches!(
                    answer_attrs[..],
                    [ControlAttr::Addr(255), ControlAttr::Source(15)]
                ),
                _ => matches!(answer_attrs[..], [ControlAttr::Addr(_)]),
            };
            assert!(expected, "{}: {answer_attrs:?}", capture.file);
            let first: Vec<u16> = envelopes[2..]
                .iter()
                .map(|e| Message::parse(e.data()).unwrap().message_type().0)
                .collect();
            assert_eq!(first, [16, 16, 3, 20, 3], "{}", capture.file);
        }
    }
}

/// The envelope `env` built again with the crate's builders.
fn re_encode(env: &Envelope<'_>) -> Vec<u8> {
    let repr = env.repr();
    let mut buf = vec![0u8; env.message().header().len() as usize + 64];
    let n = if env.is_control() {
        let ctrl = env.control().unwrap();
        let attrs: Vec<_> = ctrl.attrs().map(Result::unwrap).collect();
        ctrl.repr()
            .emit_in_envelope(&repr, &mut buf, |w| {
                attrs.iter().try_for_each(|a| w.attr(a))
            })
            .unwrap()
    } else {
        repr.emit(env.data(), &mut buf).unwrap()
    };
    buf.truncate(n);
    buf
}
