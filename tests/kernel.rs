//! Integration tests over real kernel traffic: dumps of links, addresses and
//! routes on `NETLINK_ROUTE`, an error and an acknowledgement, and the
//! generic netlink controller's family dump, all built and decoded by
//! procslink.
//!
//! If a netlink socket cannot be opened (a sandbox without `AF_NETLINK`),
//! each test prints a notice and passes, unless the environment variable
//! `CI` is `true`: then it fails, so that CI cannot silently test nothing.
//!
//! Extended acks are switched on with `NETLINK_EXT_ACK`, which rustix 1.x
//! cannot set: [`enable_ext_ack`] calls `setsockopt` through libc, the one
//! `unsafe` block of this file.
#![cfg(all(
    feature = "family-rt-addr",
    feature = "family-rt-link",
    feature = "family-rt-route"
))]

use std::os::fd::OwnedFd;
use std::process::Command;
use std::time::Duration;

use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
    rt_route::{self, Rtmsg},
};
use procslink::netlink::flags::{Flags, GetFlags};
use procslink::netlink::genl::{self, GenlMsgHdr};
use procslink::netlink::{
    Attr, AttrKind, AttrPolicy, AttrTable, Attrs, Builder, Message, MessageType, Messages, Policy,
};
use rustix::net::netlink::{self as nl, SocketAddrNetlink};
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{AddressFamily, Protocol, RecvFlags, SendFlags, SocketType};

const IFF_LOOPBACK: u32 = 0x8;
const ENODEV: i32 = 19;

/// A bound netlink socket and the port id the kernel gave it.
struct Netlink {
    fd: OwnedFd,
    port: u32,
}

/// Opens a netlink socket of `protocol` (`None` is `NETLINK_ROUTE`), or
/// returns `None` after a notice when that is impossible outside CI.
fn open(protocol: Option<Protocol>) -> Option<Netlink> {
    match try_open(protocol) {
        Ok(sock) => Some(sock),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but a netlink socket cannot be opened here ({e}); kernel tests cannot run"
            )
        }
        Err(e) => {
            eprintln!("notice: skipping kernel test, cannot open a netlink socket: {e}");
            None
        }
    }
}

fn try_open(protocol: Option<Protocol>) -> rustix::io::Result<Netlink> {
    let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::RAW, protocol)?;
    rustix::net::bind(&fd, &SocketAddrNetlink::new(0, 0))?;
    enable_ext_ack(&fd)?;
    set_socket_timeout(&fd, Timeout::Recv, Some(Duration::from_secs(5)))?;
    let port = SocketAddrNetlink::try_from(rustix::net::getsockname(&fd)?)?.pid();
    Ok(Netlink { fd, port })
}

/// Asks the kernel for extended-ack attributes in errors and acks.
fn enable_ext_ack(fd: &OwnedFd) -> rustix::io::Result<()> {
    use std::os::fd::AsRawFd;
    const SOL_NETLINK: libc::c_int = 270;
    const NETLINK_EXT_ACK: libc::c_int = 11;
    let on: libc::c_int = 1;
    // SAFETY: `fd` is an open socket for the duration of the call, and the
    // option value points at a live c_int whose size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            SOL_NETLINK,
            NETLINK_EXT_ACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(
            rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
                .unwrap_or(rustix::io::Errno::INVAL),
        )
    }
}

impl Netlink {
    fn send(&self, request: &[u8]) {
        let n = rustix::net::sendto(
            &self.fd,
            request,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )
        .expect("sendto the kernel");
        assert_eq!(n, request.len());
    }

    /// Receives datagrams until one holds `DONE` or `ERROR` for `seq`, and
    /// returns them all, each checked to parse and to come from the kernel
    /// to this port.
    fn receive(&self, seq: u32) -> Vec<Vec<u8>> {
        let mut datagrams = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let (n, full) =
                rustix::net::recv(&self.fd, &mut buf[..], RecvFlags::TRUNC).expect("recv");
            assert_eq!(n, full, "datagram truncated");
            let datagram = buf[..n].to_vec();
            let mut last = false;
            for message in Messages::new(&datagram) {
                let message =
                    message.unwrap_or_else(|e| panic!("kernel message does not parse: {e}"));
                assert_eq!(
                    message.header().seq(),
                    seq,
                    "reply to another request: {message}"
                );
                assert_eq!(
                    message.header().pid(),
                    self.port,
                    "reply to another port: {message}"
                );
                let ty = message.message_type();
                last |= ty.is_done() || ty.is_error();
            }
            datagrams.push(datagram);
            if last {
                return datagrams;
            }
        }
    }

    /// Sends a dump request and checks the reply: every message of type
    /// `reply` except a final `DONE` with status 0. Returns the datagrams.
    fn dump(&self, request: &[u8], seq: u32, reply: MessageType) -> Vec<Vec<u8>> {
        self.send(request);
        let datagrams = self.receive(seq);
        let messages: Vec<Message<'_>> = datagrams
            .iter()
            .flat_map(|d| Messages::new(d))
            .map(Result::unwrap)
            .collect();
        let (done, body) = messages.split_last().expect("an empty reply");
        assert!(
            done.message_type().is_done(),
            "dump does not end in DONE: {done}"
        );
        assert_eq!(done.done().expect("DONE decodes").status(), 0);
        for message in body {
            assert_eq!(
                message.message_type(),
                reply,
                "unexpected message {message}"
            );
            assert!(message.flags().contains(Flags::MULTI));
        }
        datagrams
    }
}

/// The family messages of a checked dump (everything but `DONE`).
fn replies(datagrams: &[Vec<u8>]) -> impl Iterator<Item = Message<'_>> {
    datagrams
        .iter()
        .flat_map(|d| Messages::new(d))
        .map(Result::unwrap)
        .filter(|m| !m.message_type().is_done())
}

/// A dump request: `ty` with `header` as the family header.
fn dump_request<T: zerocopy::IntoBytes + zerocopy::Immutable>(
    ty: MessageType,
    header: &T,
    seq: u32,
) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(ty, Flags::REQUEST | GetFlags::DUMP.into(), seq, 0)
        .unwrap();
    m.family_header(header).unwrap();
    m.finish().unwrap();
    b.as_bytes().to_vec()
}

/// Walks a run of attributes, and each nested run below the types listed
/// in `nests` (one level), failing on any framing error. Returns the count
/// of top-level attributes.
fn walk(attrs: Attrs<'_>, nests: &[u16]) -> usize {
    let mut count = 0;
    for attr in attrs {
        let attr: Attr<'_> = attr.unwrap_or_else(|e| panic!("attribute does not parse: {e}"));
        count += 1;
        if nests.contains(&attr.kind()) {
            for inner in attr.nested() {
                inner.unwrap_or_else(|e| {
                    panic!(
                        "nested attribute of type {} does not parse: {e}",
                        attr.kind()
                    )
                });
            }
        }
    }
    assert!(count > 0, "a message without attributes");
    count
}

/// Lines printed by `ip ARGS`, or `None` if `ip` cannot be run.
fn ip_lines(args: &[&str]) -> Option<usize> {
    match Command::new("ip").args(args).output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).lines().count())
        }
        Ok(out) => panic!(
            "ip {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            eprintln!(
                "notice: not cross-checking with `ip {}`: {e}",
                args.join(" ")
            );
            None
        }
    }
}

static LINKINFO: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::String).max_len(64), // IFLA_INFO_KIND
    AttrPolicy::new(AttrKind::Nested),             // IFLA_INFO_DATA
]);
static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Binary), // IFLA_ADDRESS
    AttrPolicy::new(AttrKind::Binary), // IFLA_BROADCAST
    AttrPolicy::new(AttrKind::String).max_len(16).required(), // IFLA_IFNAME
    AttrPolicy::new(AttrKind::U32),    // IFLA_MTU
    AttrPolicy::new(AttrKind::U32),    // IFLA_LINK
    AttrPolicy::new(AttrKind::String), // IFLA_QDISC
    AttrPolicy::new(AttrKind::Binary), // IFLA_STATS
    AttrPolicy::UNSPEC,                // IFLA_COST
    AttrPolicy::UNSPEC,                // IFLA_PRIORITY
    AttrPolicy::new(AttrKind::U32),    // IFLA_MASTER
    AttrPolicy::UNSPEC,                // IFLA_WIRELESS
    AttrPolicy::UNSPEC,                // IFLA_PROTINFO
    AttrPolicy::new(AttrKind::U32),    // IFLA_TXQLEN
    AttrPolicy::new(AttrKind::Binary), // IFLA_MAP
    AttrPolicy::UNSPEC,                // IFLA_WEIGHT
    AttrPolicy::new(AttrKind::U8),     // IFLA_OPERSTATE
    AttrPolicy::new(AttrKind::U8),     // IFLA_LINKMODE
    AttrPolicy::new(AttrKind::Nested).nested(&LINKINFO), // IFLA_LINKINFO
]);

#[test]
fn link_dump() {
    let Some(sock) = open(None) else { return };
    let seq = 0x1001;
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(
            rt_link::RTM_GETLINK,
            Flags::REQUEST | GetFlags::DUMP.into(),
            seq,
            0,
        )
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    m.put_u32(rt_link::IFLA_EXT_MASK, 1).unwrap();
    m.finish().unwrap();
    let datagrams = sock.dump(b.as_bytes(), seq, rt_link::RTM_NEWLINK);

    let mut links = 0;
    let mut lo = false;
    for message in replies(&datagrams) {
        let (ifi, attrs) = message.family_header::<Ifinfomsg>().unwrap();
        walk(
            attrs.clone(),
            &[rt_link::IFLA_LINKINFO, rt_link::IFLA_AF_SPEC],
        );
        let tb = AttrTable::<32>::parse(attrs, &LINK)
            .unwrap_or_else(|e| panic!("link {}: {e}", ifi.ifi_index.get()));
        let name = tb.get(rt_link::IFLA_IFNAME).unwrap().str().unwrap();
        if ifi.ifi_index.get() == 1 {
            assert_eq!(name, "lo");
            assert_ne!(
                ifi.ifi_flags.get() & IFF_LOOPBACK,
                0,
                "lo lacks IFF_LOOPBACK"
            );
            lo = true;
        }
        links += 1;
    }
    assert!(lo, "no lo (index 1) in the link dump");
    if let Some(expected) = ip_lines(&["-o", "link", "show"]) {
        assert_eq!(
            links, expected,
            "RTM_NEWLINK messages vs `ip -o link show` lines"
        );
    }
}

#[test]
fn addr_dump() {
    let Some(sock) = open(None) else { return };
    let seq = 0x2002;
    let datagrams = sock.dump(
        &dump_request(rt_addr::RTM_GETADDR, &Ifaddrmsg::default(), seq),
        seq,
        rt_addr::RTM_NEWADDR,
    );
    let mut addrs = 0;
    for message in replies(&datagrams) {
        let (ifa, attrs) = message.family_header::<Ifaddrmsg>().unwrap();
        assert!(
            matches!(ifa.ifa_family, 2 | 10),
            "address family {}",
            ifa.ifa_family
        );
        walk(attrs.clone(), &[]);
        let addr = attrs
            .lookup(rt_addr::IFA_ADDRESS)
            .unwrap()
            .expect("IFA_ADDRESS");
        assert_eq!(addr.bytes().len(), if ifa.ifa_family == 2 { 4 } else { 16 });
        addrs += 1;
    }
    if let Some(expected) = ip_lines(&["-o", "addr", "show"]) {
        assert_eq!(
            addrs, expected,
            "RTM_NEWADDR messages vs `ip -o addr show` lines"
        );
    }
}

#[test]
fn route_dump() {
    let Some(sock) = open(None) else { return };
    let seq = 0x3003;
    let datagrams = sock.dump(
        &dump_request(rt_route::RTM_GETROUTE, &Rtmsg::default(), seq),
        seq,
        rt_route::RTM_NEWROUTE,
    );
    let (mut v4, mut v6) = (0, 0);
    for message in replies(&datagrams) {
        let (rtm, attrs) = message.family_header::<Rtmsg>().unwrap();
        walk(attrs.clone(), &[]);
        let table = attrs
            .lookup(rt_route::RTA_TABLE)
            .unwrap()
            .expect("RTA_TABLE")
            .u32()
            .unwrap();
        assert_eq!(
            table & 0xff,
            u32::from(rtm.rtm_table),
            "RTA_TABLE vs rtm_table"
        );
        match rtm.rtm_family {
            2 => v4 += 1,
            10 => v6 += 1,
            _ => {}
        }
    }
    if let Some(expected) = ip_lines(&["-4", "-o", "route", "show", "table", "all"]) {
        assert_eq!(
            v4, expected,
            "IPv4 RTM_NEWROUTE messages vs `ip -4 route show table all`"
        );
    }
    if let Some(expected) = ip_lines(&["-6", "-o", "route", "show", "table", "all"]) {
        assert_eq!(
            v6, expected,
            "IPv6 RTM_NEWROUTE messages vs `ip -6 route show table all`"
        );
    }
}

/// A request for one link by name, with `NLM_F_ACK`.
fn getlink_by_name(seq: u32, name: &str) -> Vec<u8> {
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST | Flags::ACK, seq, 0)
        .unwrap();
    m.family_header(&Ifinfomsg::default()).unwrap();
    m.put_str(rt_link::IFLA_IFNAME, name).unwrap();
    m.finish().unwrap();
    b.as_bytes().to_vec()
}

#[test]
fn error_for_missing_link() {
    let Some(sock) = open(None) else { return };
    let seq = 0x4004;
    let request = getlink_by_name(seq, "nosuchlink0");
    sock.send(&request);
    let datagrams = sock.receive(seq);
    let messages: Vec<_> = datagrams
        .iter()
        .flat_map(|d| Messages::new(d))
        .map(Result::unwrap)
        .collect();
    assert_eq!(messages.len(), 1, "expected exactly one NLMSG_ERROR");
    let err = messages[0].error().unwrap();
    assert_eq!(err.errno(), -ENODEV, "{err}");
    assert!(!err.is_ack());
    assert_eq!(err.request().seq(), seq);
    assert_eq!(err.request().message_type(), rt_link::RTM_GETLINK);
    assert_eq!(err.request().len() as usize, request.len());
    if !err.is_capped() {
        assert_eq!(
            err.request_payload(),
            &request[16..],
            "echoed request payload"
        );
    }
    if let Some(text) = err.ext_ack().message_bytes() {
        assert!(!text.is_empty());
    }
}

#[test]
fn error_for_overlong_name() {
    let Some(sock) = open(None) else { return };
    let seq = 0x5005;
    // IFLA_IFNAME is at most IFNAMSIZ - 1 = 15 characters: the kernel's
    // policy check refuses this before looking anything up.
    let request = getlink_by_name(seq, "a-name-much-longer-than-ifnamsiz");
    sock.send(&request);
    let datagrams = sock.receive(seq);
    let message = Messages::new(&datagrams[0]).next().unwrap().unwrap();
    let err = message.error().unwrap();
    assert!(err.errno() < 0, "expected an error, got {err}");
    assert_eq!(err.request().seq(), seq);
    let ext = err.ext_ack();
    assert!(
        message
            .flags()
            .ack_flags()
            .contains(procslink::netlink::flags::AckFlags::ACK_TLVS),
        "{err}"
    );
    // nlmsghdr (16) + ifinfomsg (16): the IFLA_IFNAME attribute.
    assert_eq!(ext.bad_attr_offset(), Some(32), "{err}");
    let text = ext
        .message()
        .expect("the kernel explains a policy failure")
        .unwrap();
    assert!(!text.is_empty());
    assert!(err.to_string().contains(text), "{err}");
}

#[test]
fn ack_for_harmless_request() {
    let Some(sock) = open(None) else { return };
    let seq = 0x6006;
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(rt_link::RTM_GETLINK, Flags::REQUEST | Flags::ACK, seq, 0)
        .unwrap();
    let mut ifi = Ifinfomsg::default();
    ifi.ifi_index.set(1);
    m.family_header(&ifi).unwrap();
    m.finish().unwrap();
    sock.send(b.as_bytes());
    let datagrams = sock.receive(seq);
    let messages: Vec<_> = datagrams
        .iter()
        .flat_map(|d| Messages::new(d))
        .map(Result::unwrap)
        .collect();
    let (ack, body) = messages.split_last().unwrap();
    assert_eq!(body.len(), 1, "one RTM_NEWLINK before the ACK");
    assert_eq!(body[0].message_type(), rt_link::RTM_NEWLINK);
    assert_eq!(
        body[0]
            .family_header::<Ifinfomsg>()
            .unwrap()
            .0
            .ifi_index
            .get(),
        1
    );
    let ack = ack.error().unwrap();
    assert!(ack.is_ack(), "{ack}");
    assert_eq!(ack.errno(), 0);
    assert_eq!(ack.request().seq(), seq);
    assert_eq!(ack.request().message_type(), rt_link::RTM_GETLINK);
}

#[test]
fn genl_family_dump_finds_nlctrl() {
    let Some(sock) = open(Some(nl::GENERIC)) else {
        return;
    };
    let seq = 0x7007;
    let request = dump_request(
        genl::GENL_ID_CTRL,
        &GenlMsgHdr::new(genl::CTRL_CMD_GETFAMILY, 1),
        seq,
    );
    let datagrams = sock.dump(&request, seq, genl::GENL_ID_CTRL);
    let mut nlctrl = None;
    let mut families = 0;
    for message in replies(&datagrams) {
        let (hdr, attrs) = message.genl().unwrap();
        assert_eq!(hdr.cmd, genl::CTRL_CMD_NEWFAMILY);
        walk(
            attrs.clone(),
            &[genl::CTRL_ATTR_OPS, genl::CTRL_ATTR_MCAST_GROUPS],
        );
        let tb = AttrTable::<8>::index(attrs).unwrap();
        let name = tb
            .get(genl::CTRL_ATTR_FAMILY_NAME)
            .expect("family name")
            .str()
            .unwrap();
        let id = tb
            .get(genl::CTRL_ATTR_FAMILY_ID)
            .expect("family id")
            .u16()
            .unwrap();
        if name == "nlctrl" {
            nlctrl = Some(id);
        }
        families += 1;
    }
    assert!(families >= 1);
    assert_eq!(nlctrl, Some(0x10), "family nlctrl with id 0x10");
}
