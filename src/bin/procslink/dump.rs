//! `procslink dump`: ask the kernel for a table and print it decoded.
//!
//! The request is built with the crate's `Builder`, sent on a
//! `NETLINK_ROUTE` (or `NETLINK_GENERIC`) socket, and every datagram of the
//! answer is collected until `NLMSG_DONE` (or `NLMSG_ERROR`); the bytes are
//! then printed by the same printer as `decode`, and can be saved with
//! `--raw` for `decode` to read back.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::flags::{Flags, GetFlags};
use procslink::netlink::genl::{CTRL_CMD_GETFAMILY, GENL_ID_CTRL};
use procslink::netlink::route::{self, IfAddrMsg, IfInfoMsg, NdMsg, RtMsg};
use procslink::netlink::{Builder, GenlMsgHdr, MessageType, Messages, NLMSG_ALIGNTO};
use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::sockopt::{Timeout, set_socket_timeout};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};

use crate::tree::errno_text;
use crate::{Failure, Out, decode};

/// The sequence number of our one request.
const SEQ: u32 = 1;
/// How long to wait for each datagram of the answer.
const RECV_TIMEOUT: Duration = Duration::from_secs(5);
/// The receive buffer; a datagram that does not fit is an error.
const RECV_BUF: usize = 1 << 20;

/// Arguments of `procslink dump`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to dump.
    #[arg(value_enum)]
    pub what: Table,
    /// Print counts (messages, top-level attributes, by type) instead of the
    /// tree.
    #[arg(long)]
    pub summary: bool,
    /// Also save the bytes received, as `decode` reads them.
    #[arg(long, value_name = "FILE")]
    pub raw: Option<PathBuf>,
}

/// The tables `dump` asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// Network interfaces (RTM_GETLINK).
    Link,
    /// Interface addresses (RTM_GETADDR).
    Addr,
    /// Routes of every table (RTM_GETROUTE).
    Route,
    /// Neighbours: ARP and NDP entries (RTM_GETNEIGH).
    Neigh,
    /// Generic netlink families (CTRL_CMD_GETFAMILY on NETLINK_GENERIC).
    Family,
}

/// Runs `procslink dump`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    let mut req = [0u8; 64];
    let (protocol, request) = request(args.what, &mut req)?;
    let socket = Socket::open(protocol)?;
    socket.send(request)?;
    let (raw, outcome) = socket.collect()?;
    if let Some(path) = &args.raw {
        std::fs::write(path, &raw)
            .map_err(|e| Failure::msg(format!("cannot write {}: {e}", path.display())))?;
    }
    decode::netlink(&raw, protocol, args.summary, out)?;
    outcome
}

/// Builds the dump request for `what` into `buf`.
fn request(what: Table, buf: &mut [u8]) -> Result<(Protocol, &[u8]), Failure> {
    let built = |e: procslink::Error| Failure::msg(format!("cannot build the request: {e}"));
    let mut batch = Builder::new(buf);
    let dump = Flags::REQUEST | GetFlags::DUMP.into();
    let protocol = if what == Table::Family {
        Protocol::Generic
    } else {
        Protocol::Route
    };
    let ty = match what {
        Table::Link => route::RTM_GETLINK,
        Table::Addr => route::RTM_GETADDR,
        Table::Route => route::RTM_GETROUTE,
        Table::Neigh => route::RTM_GETNEIGH,
        Table::Family => GENL_ID_CTRL,
    };
    let mut m = batch.message(ty, dump, SEQ, 0).map_err(built)?;
    match what {
        Table::Link => {
            m.family_header(&IfInfoMsg::default()).map_err(built)?;
            // As `ip link` asks: IFLA_EXT_MASK = RTEXT_FILTER_VF.
            m.put_u32(route::IFLA_EXT_MASK, route::RTEXT_FILTER_VF)
                .map_err(built)?;
        }
        Table::Addr => m.family_header(&IfAddrMsg::default()).map_err(built)?,
        Table::Route => m.family_header(&RtMsg::default()).map_err(built)?,
        Table::Neigh => m.family_header(&NdMsg::default()).map_err(built)?,
        Table::Family => m
            .family_header(&GenlMsgHdr::new(CTRL_CMD_GETFAMILY, 1))
            .map_err(built)?,
    }
    m.finish().map_err(built)?;
    Ok((protocol, batch.into_bytes()))
}

/// A netlink socket bound to a port the kernel chooses.
struct Socket {
    fd: OwnedFd,
    name: &'static str,
}

impl Socket {
    fn open(protocol: Protocol) -> Result<Self, Failure> {
        let (proto, name) = match protocol {
            // NETLINK_ROUTE is protocol 0, which rustix spells `None`.
            Protocol::Generic => (Some(netlink::GENERIC), "NETLINK_GENERIC"),
            _ => (None, "NETLINK_ROUTE"),
        };
        let cannot =
            |e: rustix::io::Errno| Failure::msg(format!("cannot open a {name} socket: {e}"));
        let fd =
            rustix::net::socket(AddressFamily::NETLINK, SocketType::RAW, proto).map_err(cannot)?;
        rustix::net::bind(&fd, &SocketAddrNetlink::new(0, 0)).map_err(cannot)?;
        set_socket_timeout(&fd, Timeout::Recv, Some(RECV_TIMEOUT)).map_err(cannot)?;
        Ok(Socket { fd, name })
    }

    fn send(&self, request: &[u8]) -> Result<(), Failure> {
        let kernel = SocketAddrNetlink::new(0, 0);
        rustix::net::sendto(&self.fd, request, SendFlags::empty(), &kernel)
            .map_err(|e| Failure::msg(format!("cannot send the {} request: {e}", self.name)))?;
        Ok(())
    }

    /// Receives the answer to our request: every datagram up to and
    /// including the one with `NLMSG_DONE` or `NLMSG_ERROR`, concatenated.
    /// The second value is the dump's outcome: an error if the kernel
    /// reported one (the bytes are still returned, to be printed).
    fn collect(&self) -> Result<(Vec<u8>, Result<(), Failure>), Failure> {
        let mut buf = vec![0u8; RECV_BUF];
        let mut raw = Vec::new();
        loop {
            let (n, full) = rustix::net::recv(&self.fd, &mut buf[..], RecvFlags::TRUNC)
                .map_err(|e| Failure::msg(format!("recv on the {} socket: {e}", self.name)))?;
            if full > n {
                return Err(Failure::msg(format!(
                    "a datagram of {full} bytes was truncated to {n}"
                )));
            }
            let datagram = buf.get(..n).unwrap_or(&[]);
            // Datagrams hold whole aligned messages; keep the concatenation
            // aligned so it reads back as one run of messages.
            raw.resize(raw.len().next_multiple_of(NLMSG_ALIGNTO), 0);
            raw.extend_from_slice(datagram);
            for msg in Messages::new(datagram) {
                let Ok(msg) = msg else {
                    // The printer reports it with its offset.
                    return Ok((raw, Ok(())));
                };
                if msg.seq() != SEQ {
                    continue;
                }
                let ty: MessageType = msg.message_type();
                if ty.is_done() {
                    let outcome = match msg.done() {
                        Ok(d) if d.status() < 0 => Err(Failure::msg(format!(
                            "the dump failed: {} ({})",
                            errno_text(d.status()),
                            d.status()
                        ))),
                        _ => Ok(()),
                    };
                    return Ok((raw, outcome));
                }
                if ty.is_error() {
                    let outcome = match msg.error() {
                        Ok(e) if e.is_ack() => Ok(()),
                        Ok(e) => Err(Failure::msg(format!(
                            "the kernel refused the dump: {} ({}){}",
                            errno_text(e.errno()),
                            e.errno(),
                            e.ext_ack()
                                .message_bytes()
                                .map(|m| format!(": {}", Escaped(m)))
                                .unwrap_or_default()
                        ))),
                        Err(_) => Ok(()),
                    };
                    return Ok((raw, outcome));
                }
            }
        }
    }
}
