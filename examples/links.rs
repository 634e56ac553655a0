//! Dumps the kernel's network interfaces over a live `NETLINK_ROUTE` socket.
//!
//! ```text
//! cargo run --features rtnetlink --example links          # links: index, name, MTU, state, address, kind, flags
//! cargo run --features rtnetlink --example links addr     # addresses (RTM_GETADDR)
//! cargo run --features rtnetlink --example links route    # routes of every table (RTM_GETROUTE)
//! cargo run --features rtnetlink --example links neigh    # neighbours (RTM_GETNEIGH)
//! ```
//!
//! The request is built with procslink's `Builder` and the replies are
//! walked with `Messages` until `NLMSG_DONE`; an `NLMSG_ERROR` is reported
//! with its errno and extended-ack text. The socket is a few lines of
//! `rustix` below. Errors are one line on stderr and exit code 1.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::time::Duration;

use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
    rt_neigh::{self, Ndmsg},
    rt_route::{self, Rtmsg},
};
use procslink::netlink::display::Escaped;
use procslink::netlink::flags::{Flags, GetFlags};
use procslink::netlink::{Attr, Attrs, Builder, Message, MessageType, Messages};
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};
use zerocopy::{Immutable, IntoBytes};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The sequence number of our one request.
const SEQ: u32 = 1;

/// A `NETLINK_ROUTE` socket bound to a port the kernel chooses.
struct RouteSocket(OwnedFd);

impl RouteSocket {
    fn open() -> Result<Self> {
        // NETLINK_ROUTE is protocol 0, which rustix spells `None`.
        let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::RAW, None)
            .map_err(|e| format!("cannot open a NETLINK_ROUTE socket: {e}"))?;
        rustix::net::bind(&fd, &SocketAddrNetlink::new(0, 0))?;
        set_socket_timeout(&fd, Timeout::Recv, Some(Duration::from_secs(5)))?;
        Ok(RouteSocket(fd))
    }

    fn send(&self, request: &[u8]) -> Result<()> {
        let kernel = SocketAddrNetlink::new(0, 0);
        rustix::net::sendto(&self.0, request, SendFlags::empty(), &kernel)?;
        Ok(())
    }

    /// Receives one datagram, refusing one that did not fit the buffer.
    fn recv<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        let (n, full) = rustix::net::recv(&self.0, &mut *buf, RecvFlags::TRUNC)
            .map_err(|e| format!("recv: {e}"))?;
        if full > n {
            return Err(format!("a datagram of {full} bytes was truncated to {n}").into());
        }
        Ok(&buf[..n])
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("links: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one reply and returns its count of top-level attributes.
type Print = fn(&Message<'_>) -> Result<usize>;

fn run() -> Result<()> {
    let (mut buf, arg) = ([0u8; 64], std::env::args().nth(1));
    let b = &mut buf;
    let (request, print): (_, Print) = match arg.as_deref() {
        // IFLA_EXT_MASK = RTEXT_FILTER_VF, as `ip link` asks.
        None | Some("link") => (
            dump(b, rt_link::RTM_GETLINK, &Ifinfomsg::default(), Some(1))?,
            link,
        ),
        Some("addr") => (
            dump(b, rt_addr::RTM_GETADDR, &Ifaddrmsg::default(), None)?,
            addr,
        ),
        Some("route") => (
            dump(b, rt_route::RTM_GETROUTE, &Rtmsg::default(), None)?,
            rt,
        ),
        Some("neigh") => (
            dump(b, rt_neigh::RTM_GETNEIGH, &Ndmsg::default(), None)?,
            neigh,
        ),
        Some(other) => {
            return Err(format!("unknown {other:?}: use link, addr, route or neigh").into());
        }
    };
    let socket = RouteSocket::open()?;
    socket.send(request)?;

    let mut buf = vec![0u8; 32 * 1024];
    let (mut messages, mut attributes) = (0, 0);
    loop {
        for message in Messages::new(socket.recv(&mut buf)?) {
            let message = message?;
            let ty = message.message_type();
            if message.header().seq() != SEQ || ty.is_noop() {
                continue;
            } else if ty.is_done() {
                let done = message.done()?;
                if done.status() != 0 {
                    return Err(format!("dump failed: {}: {done}", errno(done.status())).into());
                }
                println!("{messages} messages, {attributes} top-level attributes");
                return Ok(());
            } else if ty.is_error() {
                let err = message.error()?;
                return Err(format!("kernel error: {}: {err}", errno(err.errno())).into());
            } else if ty.is_overrun() {
                return Err("the kernel reports an overrun: data was lost".into());
            }
            messages += 1;
            attributes += print(&message)?;
        }
    }
}

/// Builds a dump request for `ty` into `buf`.
fn dump<'b, T>(
    buf: &'b mut [u8],
    ty: MessageType,
    header: &T,
    ext_mask: Option<u32>,
) -> Result<&'b [u8]>
where
    T: IntoBytes + Immutable,
{
    let mut batch = Builder::new(buf);
    let mut m = batch.message(ty, Flags::REQUEST | GetFlags::DUMP.into(), SEQ, 0)?;
    m.family_header(header)?;
    if let Some(mask) = ext_mask {
        m.put_u32(rt_link::IFLA_EXT_MASK, mask)?;
    }
    m.finish()?;
    Ok(batch.into_bytes())
}

fn link(message: &Message<'_>) -> Result<usize> {
    let (ifi, attrs) = message.family_header::<Ifinfomsg>()?;
    // Names are bytes, not text: the kernel accepts a link named `p\xe9`.
    // They are read as byte strings and shown escaped, never refused.
    let (mut name, mut mtu, mut state, mut lladdr, mut kind): (&[u8], _, _, _, &[u8]) =
        (b"?", 0, 0, "-".into(), b"-");
    let count = walk(attrs, |attr| {
        match attr.kind() {
            rt_link::IFLA_IFNAME => name = attr.bytes_str(),
            rt_link::IFLA_MTU => mtu = attr.u32()?,
            rt_link::IFLA_OPERSTATE => state = attr.u8()?,
            rt_link::IFLA_ADDRESS => lladdr = hex(attr.bytes()),
            rt_link::IFLA_LINKINFO => {
                if let Some(k) = attr.nested().lookup(rt_link::IFLA_INFO_KIND)? {
                    kind = k.bytes_str();
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    let state = word(
        "UNKNOWN NOTPRESENT DOWN LOWERLAYERDOWN TESTING DORMANT UP",
        state.into(),
    );
    const IFF: &str = "UP BROADCAST DEBUG LOOPBACK POINTOPOINT NOTRAILERS RUNNING NOARP PROMISC \
                       ALLMULTI MASTER SLAVE MULTICAST PORTSEL AUTOMEDIA DYNAMIC LOWER_UP DORMANT ECHO";
    let flags = bits(IFF, ifi.ifi_flags.get());
    let (name, kind) = (Escaped(name).to_string(), Escaped(kind).to_string());
    println!(
        "{:>3}: {name:<15} mtu {mtu:<5} {state:<14} {lladdr:<17} kind {kind:<8} <{flags}>",
        ifi.ifi_index.get()
    );
    Ok(count)
}

fn addr(message: &Message<'_>) -> Result<usize> {
    let (ifa, attrs) = message.family_header::<Ifaddrmsg>()?;
    // IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's on
    // point-to-point links), but IPv6 sends only IFA_ADDRESS.
    let (mut local, mut address, mut label) = (None, None, &b""[..]);
    let count = walk(attrs, |attr| {
        match attr.kind() {
            rt_addr::IFA_LOCAL => local = Some(ip(ifa.ifa_family, attr.bytes())),
            rt_addr::IFA_ADDRESS => address = Some(ip(ifa.ifa_family, attr.bytes())),
            rt_addr::IFA_LABEL => label = attr.bytes_str(),
            _ => {}
        }
        Ok(())
    })?;
    let shown = local.or(address).unwrap_or_else(|| "-".into());
    let scope = scope(ifa.ifa_scope);
    println!(
        "if {:>3}: {shown}/{} scope {scope} {}",
        ifa.ifa_index.get(),
        ifa.ifa_prefixlen,
        Escaped(label)
    );
    Ok(count)
}

fn rt(message: &Message<'_>) -> Result<usize> {
    let (rtm, attrs) = message.family_header::<Rtmsg>()?;
    let (mut dst, mut table, mut extra) = (
        "default".to_string(),
        u32::from(rtm.rtm_table),
        String::new(),
    );
    let count = walk(attrs, |attr| {
        match attr.kind() {
            rt_route::RTA_DST => {
                dst = format!("{}/{}", ip(rtm.rtm_family, attr.bytes()), rtm.rtm_dst_len)
            }
            rt_route::RTA_TABLE => table = attr.u32()?,
            rt_route::RTA_GATEWAY => extra += &format!(" via {}", ip(rtm.rtm_family, attr.bytes())),
            rt_route::RTA_OIF => extra += &format!(" oif {}", attr.u32()?),
            _ => {}
        }
        Ok(())
    })?;
    let kind = word(
        "unspec unicast local broadcast anycast multicast blackhole unreachable prohibit throw",
        rtm.rtm_type.into(),
    );
    let table = match table {
        254 => "main".into(),
        255 => "local".into(),
        other => other.to_string(),
    };
    let (family, scope) = (family(rtm.rtm_family), scope(rtm.rtm_scope));
    println!("{family:<5} {kind:<9} {dst:<24} table {table:<5} scope {scope}{extra}");
    Ok(count)
}

fn neigh(message: &Message<'_>) -> Result<usize> {
    let (nd, attrs) = message.family_header::<Ndmsg>()?;
    let (mut dst, mut lladdr) = ("-".to_string(), "-".to_string());
    let count = walk(attrs, |attr| {
        match attr.kind() {
            rt_neigh::NDA_DST => dst = ip(nd.ndm_family, attr.bytes()),
            rt_neigh::NDA_LLADDR => lladdr = hex(attr.bytes()),
            _ => {}
        }
        Ok(())
    })?;
    let state = bits(
        "INCOMPLETE REACHABLE STALE DELAY PROBE FAILED NOARP PERMANENT",
        nd.ndm_state.get().into(),
    );
    let family = family(nd.ndm_family);
    println!(
        "{family:<5} {dst:<24} if {:>3} lladdr {lladdr:<17} {state}",
        nd.ndm_ifindex.get()
    );
    Ok(count)
}

/// Calls `each` on every attribute of a run and returns how many there were.
fn walk<'a>(attrs: Attrs<'a>, mut each: impl FnMut(Attr<'a>) -> Result<()>) -> Result<usize> {
    let mut count = 0;
    for attr in attrs {
        each(attr?)?;
        count += 1;
    }
    Ok(count)
}

/// An address of family `family` as text (hex if it is not IPv4 or IPv6).
fn ip(family: u8, bytes: &[u8]) -> String {
    match (
        family,
        <[u8; 4]>::try_from(bytes),
        <[u8; 16]>::try_from(bytes),
    ) {
        (2, Ok(v4), _) => Ipv4Addr::from(v4).to_string(),
        (10, _, Ok(v6)) => Ipv6Addr::from(v6).to_string(),
        _ => hex(bytes),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The `index`th of the space-separated `words`.
fn word(words: &'static str, index: usize) -> &'static str {
    words.split(' ').nth(index).unwrap_or("?")
}

/// The names of the bits set in `value`, bit 0 named by the first word.
fn bits(words: &str, value: u32) -> String {
    let set = words
        .split_whitespace()
        .enumerate()
        .filter(|&(bit, _)| value >> bit & 1 == 1);
    let names: Vec<&str> = set.map(|(_, name)| name).collect();
    if names.is_empty() {
        "NONE".into()
    } else {
        names.join(",")
    }
}

fn family(family: u8) -> String {
    match family {
        2 => "inet".into(),
        10 => "inet6".into(),
        7 => "bridge".into(),
        other => format!("af{other}"),
    }
}

fn scope(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        other => other.to_string(),
    }
}

/// A negative errno as text: `-19` is `No such device (os error 19)`.
fn errno(errno: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno.saturating_neg())
}
