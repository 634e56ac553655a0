//! Talking to the kernel over netlink sockets of any protocol (feature
//! `std`).
//!
//! A [`KernelSocket`] sends requests built with
//! [`Builder`](crate::netlink::Builder) and reads the kernel's answers
//! through the [conversation core](crate::netlink::conversation): replies are
//! matched to the request by sequence number and port id, anything else is
//! skipped and counted ([`Stats`]), and the kernel's refusals come back as a
//! [`KernelError::Refused`] with its errno and extended ack. Sockets open with
//! `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK` and `NETLINK_GET_STRICT_CHK` on
//! ([`SocketOptions`] turns them off).
//!
//! - [`KernelSocket::request`]: one request, acknowledged or refused.
//! - [`KernelSocket::request_with`]: the same, with the replies that come
//!   before the acknowledgement (a GET of one object).
//! - [`KernelSocket::dump`]: a dump, read message by message from one
//!   reused buffer ([`Dump`]): no allocation per message.
//! - [`KernelSocket::join`] and [`KernelSocket::notifications`]: multicast
//!   notifications; a receive queue that overflowed is reported as
//!   [`KernelError::EventsLost`], after which a dump resynchronises.
//! - [`KernelSocket::recv`] and [`KernelSocket::send`]: raw datagrams, for
//!   protocols that are not framed as netlink messages
//!   (`NETLINK_KOBJECT_UEVENT`).
//! - `AsyncKernelSocket` (feature `tokio`): the same operations as futures
//!   on tokio, over a non-blocking socket registered with the reactor
//!   (`tokio::io::unix::AsyncFd`, no thread per socket), with the same
//!   receive logic and conversation core; timeouts are `tokio::time`
//!   deadlines.
//!
//! The receive buffer is sized so that no datagram is ever cut short: each
//! one is first peeked at (`MSG_PEEK | MSG_TRUNC`) and the buffer grown when
//! it is too small. Datagrams from any sender but the kernel (`nl_pid` 0)
//! are ignored and counted.
//!
//! # Example: list the links
//!
//! ```no_run
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::kernel::{KernelSocket, Protocol};
//! use procslink::netlink::display::Escaped;
//! use procslink::families::rt_link::{self, Ifinfomsg};
//! use procslink::netlink::{Builder, flags::Flags};
//!
//! let mut socket = KernelSocket::open(Protocol::ROUTE)?;
//! let mut buf = [0u8; 64];
//! let mut b = Builder::new(&mut buf);
//! let mut m = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)?;
//! m.family_header(&Ifinfomsg::default())?;
//! m.finish()?;
//!
//! let mut dump = socket.dump(b.as_bytes())?;
//! while let Some(link) = dump.next() {
//!     let (ifinfo, attrs) = link?.family_header::<Ifinfomsg>()?;
//!     if let Some(name) = attrs.lookup(rt_link::IFLA_IFNAME)? {
//!         // Names are bytes (the kernel accepts `p\xe9`): shown escaped.
//!         println!("{}: {}", ifinfo.ifi_index, Escaped(name.bytes_str()));
//!     }
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: a refused request
//!
//! ```no_run
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::kernel::{KernelError, KernelSocket, Protocol};
//! use procslink::families::rt_link::{self, Ifinfomsg};
//! use procslink::netlink::{Builder, flags::Flags};
//!
//! let mut socket = KernelSocket::open(Protocol::ROUTE)?;
//! let mut buf = [0u8; 64];
//! let mut b = Builder::new(&mut buf);
//! let mut m = b.message(rt_link::RTM_DELLINK, Flags::REQUEST, 0, 0)?;
//! m.family_header(&Ifinfomsg::default())?;
//! m.put_str(rt_link::IFLA_IFNAME, "no-such-link")?;
//! m.finish()?;
//! match socket.request(b.as_bytes()) {
//!     Ok(ack) => println!("{ack}"),
//!     Err(KernelError::Refused(r)) => println!("errno {}: {}", r.errno(), r),
//!     Err(e) => return Err(e.into()),
//! }
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: watch for changes
//!
//! ```no_run
//! use procslink::kernel::{KernelError, KernelSocket, Protocol, SocketOptions, groups};
//!
//! let mut socket = KernelSocket::open_with(Protocol::ROUTE, SocketOptions::new().recv_timeout(None))?;
//! socket.join(groups::RTNLGRP_LINK)?;
//! loop {
//!     match socket.notifications().next() {
//!         Ok(message) => println!("{message}"),
//!         Err(KernelError::EventsLost) => println!("events lost: dump again to resynchronise"),
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "tokio")]
mod async_socket;
mod error;
mod shared;
mod socket;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use async_socket::{AsyncDump, AsyncKernelSocket, AsyncNotifications};
pub use error::{Ack, KernelError, Refusal};
pub use socket::{Dump, KernelSocket, Notifications, SocketOptions, Stats};

use core::fmt;

/// A netlink protocol (the third argument of `socket(AF_NETLINK, …)`):
/// the named constants, or any number.
///
/// ```
/// use procslink::kernel::Protocol;
///
/// assert_eq!(Protocol::GENERIC.number(), 16);
/// assert_eq!(Protocol::ROUTE.to_string(), "NETLINK_ROUTE");
/// assert_eq!(Protocol(31).to_string(), "netlink protocol 31");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Protocol(pub u32);

impl Protocol {
    /// `NETLINK_ROUTE`: links, addresses, routes, neighbours, rules, qdiscs.
    pub const ROUTE: Protocol = Protocol(0);
    /// `NETLINK_USERSOCK`: reserved for user-space protocols.
    pub const USERSOCK: Protocol = Protocol(2);
    /// `NETLINK_SOCK_DIAG`: socket monitoring.
    pub const SOCK_DIAG: Protocol = Protocol(4);
    /// `NETLINK_XFRM`: IPsec.
    pub const XFRM: Protocol = Protocol(6);
    /// `NETLINK_AUDIT`: the audit subsystem.
    pub const AUDIT: Protocol = Protocol(9);
    /// `NETLINK_CONNECTOR`: the kernel connector (process events, …).
    pub const CONNECTOR: Protocol = Protocol(11);
    /// `NETLINK_NETFILTER`: nftables, conntrack, queues, logs.
    pub const NETFILTER: Protocol = Protocol(12);
    /// `NETLINK_KOBJECT_UEVENT`: device events (not netlink-framed: read
    /// them with [`KernelSocket::recv`]).
    pub const KOBJECT_UEVENT: Protocol = Protocol(15);
    /// `NETLINK_GENERIC`: generic netlink families (nl80211, devlink, …).
    pub const GENERIC: Protocol = Protocol(16);

    /// The protocol's number.
    pub const fn number(self) -> u32 {
        self.0
    }

    /// The protocol's name, if it is one of the constants.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NETLINK_ROUTE",
            2 => "NETLINK_USERSOCK",
            4 => "NETLINK_SOCK_DIAG",
            6 => "NETLINK_XFRM",
            9 => "NETLINK_AUDIT",
            11 => "NETLINK_CONNECTOR",
            12 => "NETLINK_NETFILTER",
            15 => "NETLINK_KOBJECT_UEVENT",
            16 => "NETLINK_GENERIC",
            _ => return None,
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "netlink protocol {}", self.0),
        }
    }
}

/// Multicast groups of `NETLINK_ROUTE` (`enum rtnetlink_groups`), for
/// [`KernelSocket::join`].
pub mod groups {
    /// Links appear, change and go.
    pub const RTNLGRP_LINK: u32 = 1;
    /// Neighbour table changes.
    pub const RTNLGRP_NEIGH: u32 = 3;
    /// IPv4 addresses.
    pub const RTNLGRP_IPV4_IFADDR: u32 = 5;
    /// IPv4 routes.
    pub const RTNLGRP_IPV4_ROUTE: u32 = 7;
    /// IPv4 routing policy rules.
    pub const RTNLGRP_IPV4_RULE: u32 = 8;
    /// IPv6 addresses.
    pub const RTNLGRP_IPV6_IFADDR: u32 = 9;
    /// IPv6 routes.
    pub const RTNLGRP_IPV6_ROUTE: u32 = 11;
    /// IPv6 routing policy rules.
    pub const RTNLGRP_IPV6_RULE: u32 = 19;
}
