//! Live tests of `procslink::kernel` against the running kernel, each in a
//! network namespace of its own that the test creates (`ip netns add`) and
//! removes at the end, even on failure. The test body runs in a thread that
//! enters the namespace (`setns`), so every socket it opens talks to that
//! namespace only; nothing leaves this machine.
//!
//! Without `ip netns` or netlink sockets each test prints a one-line notice
//! and passes, unless `CI` is `true`: then it fails, so that CI cannot
//! silently test nothing.
#![cfg(all(
    feature = "family-rt-addr",
    feature = "family-rt-link",
    feature = "family-rt-route"
))]

#[path = "common/alloc.rs"]
mod alloc;
#[path = "common/netns.rs"]
mod netns;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
    rt_route::{self, Rtmsg},
};
use procslink::kernel::{KernelError, KernelSocket, Protocol, SocketOptions, groups};
use procslink::netlink::flags::{DeleteFlags, Flags, NewFlags};
use procslink::netlink::route;
use procslink::netlink::{Builder, Message, MessageType, NLA_F_NESTED, NlMsgHdr};
use rustix::net::netlink::SocketAddrNetlink;
use zerocopy::IntoBytes;

use netns::Netns;

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFLA_VXLAN_ID: u16 = 1;
const IFLA_VXLAN_PORT: u16 = 15;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;
const RTPROT_STATIC: u8 = 4;
const RTN_UNICAST: u8 = 1;

/// A fresh namespace where a `NETLINK_ROUTE` socket opens, or `None` after a
/// notice (a failure under `CI=true`).
fn netns(test: &str) -> Option<Netns> {
    let probe = Netns::create("procslink", test).and_then(|ns| {
        ns.run(|| KernelSocket::open(Protocol::ROUTE).map(drop))
            .map_err(|e| format!("cannot open a netlink socket: {e}"))?;
        Ok(ns)
    });
    match probe {
        Ok(ns) => Some(ns),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but the live kernel tests cannot run here: {e}")
        }
        Err(e) => {
            eprintln!("notice: skipping live kernel test: {e}");
            None
        }
    }
}

/// One attribute's bytes (header, payload, padding), for nests built by
/// hand.
fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut out = Vec::with_capacity(len + 3);
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(len.next_multiple_of(4), 0);
    out
}

/// A request of type `ty` with `flags`, a family header and attributes
/// written by `body`.
fn request<T: IntoBytes + zerocopy::Immutable>(
    ty: MessageType,
    flags: Flags,
    header: &T,
    body: impl FnOnce(&mut procslink::netlink::MessageBuilder<'_, '_>) -> Result<(), procslink::Error>,
) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(ty, flags, 0, 0).unwrap();
    m.family_header(header).unwrap();
    body(&mut m).unwrap();
    let n = m.finish().unwrap();
    buf.truncate(n);
    buf
}

fn create() -> Flags {
    Flags::from(NewFlags::CREATE | NewFlags::EXCL)
}

/// `RTM_NEWLINK` of `kind` named `name`, with `data` as `IFLA_INFO_DATA`.
fn new_link(name: &str, kind: &str, data: Option<Vec<u8>>) -> Vec<u8> {
    let mut info = attr(rt_link::IFLA_INFO_KIND, format!("{kind}\0").as_bytes());
    if let Some(data) = data {
        info.extend(attr(IFLA_INFO_DATA | NLA_F_NESTED, &data));
    }
    request(rt_link::RTM_NEWLINK, create(), &Ifinfomsg::default(), |m| {
        m.put_str(rt_link::IFLA_IFNAME, name)?;
        m.put(rt_link::IFLA_LINKINFO | NLA_F_NESTED, &info)
    })
}

fn veth(name: &str, peer: &str) -> Vec<u8> {
    let mut peer_info = Ifinfomsg::default().as_bytes().to_vec();
    peer_info.extend(attr(rt_link::IFLA_IFNAME, format!("{peer}\0").as_bytes()));
    new_link(name, "veth", Some(attr(VETH_INFO_PEER, &peer_info)))
}

fn vxlan(name: &str, id: u32) -> Vec<u8> {
    let mut data = attr(IFLA_VXLAN_ID, &id.to_ne_bytes());
    data.extend(attr(IFLA_VXLAN_PORT, &4789u16.to_be_bytes()));
    new_link(name, "vxlan", Some(data))
}

fn del_link(name: &str) -> Vec<u8> {
    request(
        rt_link::RTM_DELLINK,
        Flags::empty(),
        &Ifinfomsg::default(),
        |m| m.put_str(rt_link::IFLA_IFNAME, name),
    )
}

fn set_up(index: u32) -> Vec<u8> {
    let mut ifi = Ifinfomsg::default();
    ifi.ifi_index.set(i32::try_from(index).unwrap());
    ifi.ifi_flags.set(rt_link::IFF_UP);
    ifi.ifi_change.set(rt_link::IFF_UP);
    request(rt_link::RTM_NEWLINK, Flags::empty(), &ifi, |_| Ok(()))
}

/// The index of link `name`, asked with a GET of that one link.
fn index_of(socket: &mut KernelSocket, name: &str) -> u32 {
    let get = request(
        rt_link::RTM_GETLINK,
        Flags::empty(),
        &Ifinfomsg::default(),
        |m| m.put_str(rt_link::IFLA_IFNAME, name),
    );
    let mut index = None;
    let ack = socket
        .request_with(&get, |reply| {
            let (ifi, _) = reply.family_header::<Ifinfomsg>().unwrap();
            index = Some(u32::try_from(ifi.ifi_index.get()).unwrap());
        })
        .unwrap();
    assert_eq!(ack.replies(), 1);
    index.expect("a reply with the link")
}

fn addr_msg(ty: MessageType, flags: Flags, index: u32, addr: &[u8], prefix: u8) -> Vec<u8> {
    let family = if addr.len() == 4 {
        route::AF_INET
    } else {
        route::AF_INET6
    };
    let mut ifa = Ifaddrmsg {
        ifa_family: family,
        ifa_prefixlen: prefix,
        ..Default::default()
    };
    ifa.ifa_index.set(index);
    request(ty, flags, &ifa, |m| {
        if family == route::AF_INET {
            m.put(rt_addr::IFA_LOCAL, addr)?;
        }
        m.put(rt_addr::IFA_ADDRESS, addr)?;
        m.put_u32(IFA_FLAGS, IFA_F_NODAD)
    })
}

fn route_msg(ty: MessageType, flags: Flags, index: u32, dst: &[u8], prefix: u8) -> Vec<u8> {
    let rtm = Rtmsg {
        rtm_family: if dst.len() == 4 {
            route::AF_INET
        } else {
            route::AF_INET6
        },
        rtm_dst_len: prefix,
        rtm_table: route::RT_TABLE_MAIN,
        rtm_protocol: RTPROT_STATIC,
        rtm_type: RTN_UNICAST,
        ..Default::default()
    };
    request(ty, flags, &rtm, |m| {
        m.put(rt_route::RTA_DST, dst)?;
        m.put_u32(rt_route::RTA_OIF, index)
    })
}

fn dump_request<T: IntoBytes + zerocopy::Immutable + Default>(ty: MessageType) -> Vec<u8> {
    request(ty, Flags::empty(), &T::default(), |_| Ok(()))
}

/// The names of the links a dump shows, with their kinds.
fn dump_links(socket: &mut KernelSocket) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut dump = socket
        .dump(&dump_request::<Ifinfomsg>(rt_link::RTM_GETLINK))
        .unwrap();
    while let Some(m) = dump.next() {
        let m = m.unwrap();
        let (_, attrs) = m.family_header::<Ifinfomsg>().unwrap();
        let name = attrs.clone().lookup(rt_link::IFLA_IFNAME).unwrap().unwrap();
        let kind = match attrs.lookup(rt_link::IFLA_LINKINFO).unwrap() {
            Some(info) => match info.nested().lookup(rt_link::IFLA_INFO_KIND).unwrap() {
                Some(k) => k.str().unwrap().to_owned(),
                None => String::new(),
            },
            None => String::new(),
        };
        out.push((name.str().unwrap().to_owned(), kind));
    }
    out
}

/// The (address, prefix) pairs of a dump of `RTM_GETADDR` or (for routes
/// of the main table, by destination) `RTM_GETROUTE`.
fn dump_addrs(socket: &mut KernelSocket) -> Vec<(Vec<u8>, u8)> {
    let mut out = vec![];
    let mut dump = socket
        .dump(&dump_request::<Ifaddrmsg>(rt_addr::RTM_GETADDR))
        .unwrap();
    while let Some(m) = dump.next() {
        let m = m.unwrap();
        let (ifa, attrs) = m.family_header::<Ifaddrmsg>().unwrap();
        if let Some(a) = attrs.lookup(rt_addr::IFA_ADDRESS).unwrap() {
            out.push((a.bytes().to_vec(), ifa.ifa_prefixlen));
        }
    }
    out
}

fn dump_routes(socket: &mut KernelSocket) -> Vec<(Vec<u8>, u8)> {
    let mut out = vec![];
    for family in [route::AF_INET, route::AF_INET6] {
        let rtm = Rtmsg {
            rtm_family: family,
            ..Default::default()
        };
        let req = request(rt_route::RTM_GETROUTE, Flags::empty(), &rtm, |_| Ok(()));
        let mut dump = socket.dump(&req).unwrap();
        while let Some(m) = dump.next() {
            let m = m.unwrap();
            let (rtm, attrs) = m.family_header::<Rtmsg>().unwrap();
            if rtm.rtm_table != route::RT_TABLE_MAIN {
                continue;
            }
            if let Some(a) = attrs.lookup(rt_route::RTA_DST).unwrap() {
                out.push((a.bytes().to_vec(), rtm.rtm_dst_len));
            }
        }
    }
    out
}

fn has(list: &[(String, String)], name: &str, kind: &str) -> bool {
    list.iter().any(|(n, k)| n == name && k == kind)
}

#[test]
fn links_addresses_and_routes_are_acknowledged_dumped_and_deleted() {
    let Some(ns) = netns("objects") else { return };
    ns.run(|| {
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();
        for req in [
            veth("pl-v0", "pl-v1"),
            new_link("pl-br0", "bridge", None),
            vxlan("pl-vx0", 42),
        ] {
            let ack = s.request(&req).unwrap();
            assert!(ack.seq() > 0);
        }
        let links = dump_links(&mut s);
        for (name, kind) in [
            ("lo", ""),
            ("pl-v0", "veth"),
            ("pl-v1", "veth"),
            ("pl-br0", "bridge"),
            ("pl-vx0", "vxlan"),
        ] {
            assert!(has(&links, name, kind), "{name} ({kind}) not in {links:?}");
        }

        let v0 = index_of(&mut s, "pl-v0");
        s.request(&set_up(v0)).unwrap();
        let v4 = Ipv4Addr::new(10, 77, 0, 1).octets();
        let v6 = "fd00:77::1".parse::<Ipv6Addr>().unwrap().octets();
        let net4 = Ipv4Addr::new(10, 78, 0, 0).octets();
        let net6 = "fd00:78::".parse::<Ipv6Addr>().unwrap().octets();
        s.request(&addr_msg(rt_addr::RTM_NEWADDR, create(), v0, &v4, 24))
            .unwrap();
        s.request(&addr_msg(rt_addr::RTM_NEWADDR, create(), v0, &v6, 64))
            .unwrap();
        let addrs = dump_addrs(&mut s);
        assert!(addrs.contains(&(v4.to_vec(), 24)), "{addrs:?}");
        assert!(addrs.contains(&(v6.to_vec(), 64)), "{addrs:?}");

        s.request(&route_msg(rt_route::RTM_NEWROUTE, create(), v0, &net4, 24))
            .unwrap();
        s.request(&route_msg(rt_route::RTM_NEWROUTE, create(), v0, &net6, 64))
            .unwrap();
        let routes = dump_routes(&mut s);
        assert!(routes.contains(&(net4.to_vec(), 24)), "{routes:?}");
        assert!(routes.contains(&(net6.to_vec(), 64)), "{routes:?}");

        let none = Flags::from(DeleteFlags::empty());
        s.request(&route_msg(rt_route::RTM_DELROUTE, none, v0, &net4, 24))
            .unwrap();
        s.request(&route_msg(rt_route::RTM_DELROUTE, none, v0, &net6, 64))
            .unwrap();
        let routes = dump_routes(&mut s);
        assert!(!routes.contains(&(net4.to_vec(), 24)), "{routes:?}");
        assert!(!routes.contains(&(net6.to_vec(), 64)), "{routes:?}");

        s.request(&addr_msg(rt_addr::RTM_DELADDR, none, v0, &v4, 24))
            .unwrap();
        s.request(&addr_msg(rt_addr::RTM_DELADDR, none, v0, &v6, 64))
            .unwrap();
        let addrs = dump_addrs(&mut s);
        assert!(!addrs.contains(&(v4.to_vec(), 24)), "{addrs:?}");
        assert!(!addrs.contains(&(v6.to_vec(), 64)), "{addrs:?}");

        for name in ["pl-v0", "pl-br0", "pl-vx0"] {
            s.request(&del_link(name)).unwrap();
        }
        let links = dump_links(&mut s);
        assert_eq!(links.len(), 1, "only lo is left: {links:?}");
        assert_eq!(s.stats().foreign_senders, 0);
    });
}

#[test]
fn a_refusal_carries_the_errno_and_the_extended_ack() {
    let Some(ns) = netns("refused") else { return };
    ns.run(|| {
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();

        // A VXLAN id of 2^24 is out of range: the kernel says so and
        // points at the attribute.
        let bad = vxlan("pl-bad", 1 << 24);
        let err = s.request(&bad).unwrap_err();
        let refusal = err.refusal().unwrap_or_else(|| panic!("{err}"));
        assert_eq!(refusal.errno(), 34, "ERANGE: {err}"); // ERANGE
        let text = refusal.message().expect("an extended-ack message");
        assert!(text.contains("VXLAN ID"), "{text}");
        let offset = refusal.bad_attr_offset().expect("an attribute offset") as usize;
        // The offset is that of IFLA_VXLAN_ID in the request we built.
        let at = &bad[offset..offset + 8];
        assert_eq!(u16::from_ne_bytes([at[2], at[3]]), IFLA_VXLAN_ID);
        assert_eq!(u32::from_ne_bytes(at[4..8].try_into().unwrap()), 1 << 24);
        let shown = err.to_string();
        assert!(
            shown.contains("refused") && shown.contains("VXLAN ID"),
            "{shown}"
        );
        assert!(shown.contains(&format!("byte {offset}")), "{shown}");

        // No such link.
        let err = s.request(&del_link("pl-missing")).unwrap_err();
        assert_eq!(err.errno(), Some(19), "ENODEV: {err}");

        // Twice the same link with NLM_F_EXCL.
        s.request(&new_link("pl-br", "bridge", None)).unwrap();
        let err = s.request(&new_link("pl-br", "bridge", None)).unwrap_err();
        assert_eq!(err.errno(), Some(17), "EEXIST: {err}");
        assert!(!err.refusal().unwrap().in_dump());

        // Strict checking refuses a dump request with a bad header.
        let ifa = Ifaddrmsg {
            ifa_flags: 0xff,
            ..Default::default()
        };
        let bad_dump = request(rt_addr::RTM_GETADDR, Flags::empty(), &ifa, |_| Ok(()));
        let mut dump = s.dump(&bad_dump).unwrap();
        let err = dump.next().unwrap().unwrap_err();
        assert_eq!(err.errno(), Some(22), "EINVAL: {err}");
        drop(dump);

        // The socket goes on working after each refusal.
        s.request(&del_link("pl-br")).unwrap();
    });
}

#[test]
fn datagrams_from_other_senders_are_ignored() {
    let Some(ns) = netns("foreign") else { return };
    ns.run(|| {
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();
        // Another socket forges an error for our next request.
        let forger = rustix::net::socket(
            rustix::net::AddressFamily::NETLINK,
            rustix::net::SocketType::RAW,
            None,
        )
        .unwrap();
        rustix::net::bind(&forger, &SocketAddrNetlink::new(0, 0)).unwrap();
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        let mut m = b
            .message(MessageType::ERROR, Flags::empty(), 1, s.port())
            .unwrap();
        m.put_bytes_raw(&(-1i32).to_ne_bytes()).unwrap();
        m.put_bytes_raw(NlMsgHdr::new(16, 16, 5, 1, s.port()).as_bytes())
            .unwrap();
        let n = m.finish().unwrap();
        let to = SocketAddrNetlink::new(s.port(), 0);
        rustix::net::sendto(&forger, &buf[..n], rustix::net::SendFlags::empty(), &to).unwrap();

        s.request(&new_link("pl-br", "bridge", None))
            .expect("the forged error is ignored");
        assert_eq!(s.stats().foreign_senders, 1);
    });
}

#[test]
fn notifications_see_each_change_in_order() {
    let Some(ns) = netns("notify") else { return };
    ns.run(|| {
        let options = SocketOptions::new().recv_timeout(Some(Duration::from_secs(5)));
        let mut watch = KernelSocket::open_with(Protocol::ROUTE, options).unwrap();
        watch.join(groups::RTNLGRP_LINK).unwrap();
        watch.join(groups::RTNLGRP_IPV4_IFADDR).unwrap();
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();

        s.request(&new_link("pl-br1", "bridge", None)).unwrap();
        let index = index_of(&mut s, "pl-br1");
        let a = Ipv4Addr::new(10, 79, 0, 1).octets();
        s.request(&addr_msg(rt_addr::RTM_NEWADDR, create(), index, &a, 24))
            .unwrap();
        s.request(&addr_msg(
            rt_addr::RTM_DELADDR,
            Flags::empty(),
            index,
            &a,
            24,
        ))
        .unwrap();
        s.request(&del_link("pl-br1")).unwrap();

        // Our four changes, in order, among whatever else the kernel says
        // about the link.
        let want = [
            rt_link::RTM_NEWLINK,
            rt_addr::RTM_NEWADDR,
            rt_addr::RTM_DELADDR,
            rt_link::RTM_DELLINK,
        ];
        let mut seen = vec![];
        let mut notes = watch.notifications();
        while seen.last() != Some(&rt_link::RTM_DELLINK) {
            let m = notes.next().unwrap();
            let ty = m.message_type();
            let about = if ty == rt_addr::RTM_NEWADDR || ty == rt_addr::RTM_DELADDR {
                m.family_header::<Ifaddrmsg>().unwrap().0.ifa_index.get()
            } else {
                u32::try_from(m.family_header::<Ifinfomsg>().unwrap().0.ifi_index.get()).unwrap()
            };
            if about == index && (seen.last() != Some(&ty) || ty != rt_link::RTM_NEWLINK) {
                seen.push(ty);
            }
        }
        let mut rest = want.iter().peekable();
        for ty in &seen {
            if rest.peek() == Some(&ty) {
                rest.next();
            }
        }
        assert!(rest.next().is_none(), "{want:?} not in order in {seen:?}");
        assert_eq!(seen.first(), Some(&rt_link::RTM_NEWLINK));
        assert_eq!(seen.last(), Some(&rt_link::RTM_DELLINK));
    });
}

#[test]
fn a_burst_overflowing_a_tiny_buffer_is_reported_and_a_dump_resyncs() {
    let Some(ns) = netns("burst") else { return };
    ns.run(|| {
        let options = SocketOptions::new()
            .recv_buffer_size(Some(1))
            .recv_timeout(Some(Duration::from_secs(2)));
        let mut watch = KernelSocket::open_with(Protocol::ROUTE, options).unwrap();
        watch.join(groups::RTNLGRP_LINK).unwrap();
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();
        const BURST: usize = 40;
        for i in 0..BURST {
            s.request(&new_link(&format!("pl-b{i}"), "bridge", None))
                .unwrap();
        }

        let mut notes = watch.notifications();
        let mut lost = false;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            match notes.next() {
                Ok(_) => {}
                Err(KernelError::EventsLost) => {
                    lost = true;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(lost, "{BURST} changes did not overflow a tiny buffer");
        assert!(watch.stats().overruns >= 1);

        // Resynchronise with a dump on the request socket: every link is
        // there.
        let links = dump_links(&mut s);
        let bridges = links.iter().filter(|(n, _)| n.starts_with("pl-b")).count();
        assert_eq!(bridges, BURST);

        // The notification socket still works: once what was still queued
        // is read, a new change comes through.
        watch
            .set_recv_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        loop {
            match watch.notifications().next() {
                Ok(_) | Err(KernelError::EventsLost) => {}
                Err(KernelError::Timeout) => break,
                Err(e) => panic!("{e}"),
            }
        }
        watch
            .set_recv_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        s.request(&new_link("pl-after", "bridge", None)).unwrap();
        let index = index_of(&mut s, "pl-after");
        let mut notes = watch.notifications();
        loop {
            match notes.next() {
                Ok(m) => {
                    if m.message_type() == rt_link::RTM_NEWLINK
                        && m.family_header::<Ifinfomsg>().unwrap().0.ifi_index.get()
                            == i32::try_from(index).unwrap()
                    {
                        break;
                    }
                }
                Err(e) => panic!("{e}"),
            }
        }
    });
}

#[test]
fn dumps_and_requests_allocate_nothing_per_message_and_the_buffer_grows() {
    let Some(ns) = netns("alloc") else { return };
    ns.run(|| {
        let mut s = KernelSocket::open(Protocol::ROUTE).unwrap();
        for i in 0..8 {
            s.request(&new_link(&format!("pl-a{i}"), "bridge", None))
                .unwrap();
        }
        let get_links = dump_request::<Ifinfomsg>(rt_link::RTM_GETLINK);
        let create_one = new_link("pl-extra", "bridge", None);
        let delete_one = del_link("pl-extra");
        let walk = |s: &mut KernelSocket| {
            let mut names = 0;
            let mut dump = s.dump(&get_links).unwrap();
            while let Some(m) = dump.next() {
                let (_, attrs) = m.unwrap().family_header::<Ifinfomsg>().unwrap();
                for a in attrs {
                    names += usize::from(a.unwrap().kind() == rt_link::IFLA_IFNAME);
                }
            }
            names
        };
        // Warm up: the buffers reach their size.
        assert_eq!(walk(&mut s), 9);
        s.request(&create_one).unwrap();
        s.request(&delete_one).unwrap();

        let mut names = 0;
        let n = alloc::allocations_during(|| {
            names = walk(&mut s);
            s.request(&create_one).unwrap();
            s.request(&delete_one).unwrap();
        });
        assert_eq!(names, 9);
        assert_eq!(
            n, 0,
            "a dump of 9 links and two requests allocated {n} times"
        );

        // A receive buffer far too small for one link grows to fit.
        let tiny = SocketOptions::new().initial_buffer(64);
        let mut small = KernelSocket::open_with(Protocol::ROUTE, tiny).unwrap();
        assert_eq!(walk(&mut small), 9);
        assert!(small.stats().buffer_grown >= 1);
        assert!(small.buffer_capacity() > 64);
    });
}

#[test]
fn the_generic_netlink_controller_answers_a_family_lookup() {
    let Some(ns) = netns("genl") else { return };
    ns.run(|| {
        use procslink::netlink::genl::{self, GenlMsgHdr};
        let mut s = KernelSocket::open(Protocol::GENERIC).unwrap();
        let get = request(
            genl::GENL_ID_CTRL,
            Flags::empty(),
            &GenlMsgHdr::new(genl::CTRL_CMD_GETFAMILY, 1),
            |m| m.put_str(genl::CTRL_ATTR_FAMILY_NAME, "nlctrl"),
        );
        let mut id = None;
        s.request_with(&get, |reply: &Message<'_>| {
            let (_, attrs) = reply.genl().unwrap();
            id = attrs
                .lookup(genl::CTRL_ATTR_FAMILY_ID)
                .unwrap()
                .map(|a| a.u16().unwrap());
        })
        .unwrap();
        assert_eq!(id, Some(genl::GENL_ID_CTRL.0));

        let missing = request(
            genl::GENL_ID_CTRL,
            Flags::empty(),
            &GenlMsgHdr::new(genl::CTRL_CMD_GETFAMILY, 1),
            |m| m.put_str(genl::CTRL_ATTR_FAMILY_NAME, "no-such-family"),
        );
        let err = s.request(&missing).unwrap_err();
        assert_eq!(err.errno(), Some(2), "ENOENT: {err}");
    });
}
