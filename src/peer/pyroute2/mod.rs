//! pyroute2's envelope transport, live: a client that runs rtnetlink
//! requests on a remote host through its pyroute2 broker, and a broker
//! that serves this machine's rtnetlink to pyroute2 clients. Needs the
//! `std` feature.
//!
//! pyroute2 0.2.x (`IPRoute().serve("tcp://…")` on one side,
//! `IPRoute(host="tcp://…")` on the other) speaks netlink-framed
//! [envelopes](crate::envmsg) over a TCP or Unix stream (WIRE.md section
//! 3). A session, as measured against pyroute2 0.2.16:
//!
//! 1. the broker sends a hello: a control `IPRCMD_ACK` carrying its address
//!    (`IPR_ATTR_ADDR`);
//! 2. the client sends `IPRCMD_DISCOVER` for the target `/0/GROUPS`
//!    (rtnetlink, [`IPROUTE_TARGET`]), to the broker's address; the broker
//!    answers `IPRCMD_ACK` with the target's port (`IPR_ATTR_ADDR`, 255
//!    here: [`ROUTE_PORT`]) and `IPR_ATTR_SOURCE` (the command answered);
//! 3. then each rtnetlink request goes in an envelope addressed to that
//!    port, and the kernel's answers come back in envelopes, one per
//!    datagram the kernel sent (NEWLINK batches, `NLMSG_DONE`, acks and
//!    errors).
//!
//! pyroute2 0.2.2 speaks the same session with 20-byte
//! [`EnvelopeFormat::Ports`](crate::envmsg::EnvelopeFormat::Ports)
//! envelopes, names the target `netlink://0:GROUPS` and answers
//! `IPRCMD_DISCOVER` with the port alone: both sides here speak it when
//! set to that layout ([`ClientOptions::format`], [`ServerOptions::format`]).
//!
//! Every envelope has a unique 16-byte id ([`EnvelopeIds`](crate::envmsg::EnvelopeIds)):
//! a pyroute2 broker drops one it has seen. A message over 65531 bytes
//! (which pyroute2 itself cannot send) is fragmented
//! ([`Splitter`](crate::envmsg::Splitter)) and reassembled on the other
//! side; a kernel datagram over that size is cut between its messages, so
//! pyroute2 clients read every answer.
//!
//! - [`RemoteClient`]: [`dump`](RemoteClient::dump) and
//!   [`request`](RemoteClient::request), as on a local
//!   [`KernelSocket`](crate::kernel::KernelSocket).
//! - [`RemoteServer`]: the broker; [`RemoteServer::spawn`] gives a
//!   [`RemoteServerHandle`] that stops it.
//!
//! # Example
//!
//! The crate's client dumping the links of this machine through the
//! crate's broker (a pyroute2 client or broker can take either side):
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::rt_link::{self, Ifinfomsg};
//! use procslink::netlink::{Builder, flags::Flags};
//! use procslink::peer::pyroute2::{RemoteClient, RemoteServer};
//!
//! # if procslink::kernel::KernelSocket::open(procslink::kernel::Protocol::ROUTE).is_err() { return Ok(()) }
//! let server = RemoteServer::bind("tcp://127.0.0.1:0")?.spawn()?;
//! let mut client = RemoteClient::connect(&server.url())?;
//!
//! let mut buf = [0u8; 32];
//! let mut b = Builder::new(&mut buf);
//! let mut m = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)?;
//! m.family_header(&Ifinfomsg::default())?;
//! m.finish()?;
//!
//! let mut names = Vec::new();
//! client.dump(b.as_bytes(), |link| {
//!     if let Ok((_, attrs)) = link.family_header::<Ifinfomsg>() {
//!         if let Ok(Some(name)) = attrs.lookup(rt_link::IFLA_IFNAME) {
//!             names.push(String::from_utf8_lossy(name.bytes_str()).into_owned());
//!         }
//!     }
//! })?;
//! assert!(names.iter().any(|n| n == "lo"));
//! drop(client);
//! let stats = server.stop();
//! assert_eq!(stats.requests, 1);
//! # }
//! # Ok(())
//! # }
//! ```

mod client;
mod endpoint;
mod error;
mod server;
mod session;
mod wire;

pub use client::{ClientOptions, RemoteClient};
pub use endpoint::{ByteStream, Endpoint};
pub use error::RemoteError;
pub use server::{RemoteServer, RemoteServerHandle, ServerOptions, ServerStats};
pub use wire::MAX_ENVELOPE_LEN;

/// The target pyroute2's `IPRoute` discovers: netlink family 0
/// (`NETLINK_ROUTE`) with its default groups (`RTNL_GROUPS`, 1373 in
/// 0.2.16), as `/FAMILY/GROUPS`.
pub const IPROUTE_TARGET: &str = "/0/1373";

/// The port [`RemoteServer`] gives the rtnetlink target (pyroute2's broker
/// hands out ports from 255, and rtnetlink is its first).
pub const ROUTE_PORT: u32 = 255;

/// A random 32-bit value (a broker's or client's address), from the
/// standard library's per-process random hash keys.
pub(crate) fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x7079_726f_7574_6532);
    h.finish() as u32
}
