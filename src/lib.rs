//! A zero-copy, allocation-free codec for netlink-framed messages.
//!
//! `procslink` reads and writes netlink messages (`nlmsghdr`, attributes,
//! generic netlink, errors with extended acknowledgements) as borrowed views
//! over the caller's bytes, and builds them into the caller's buffer. The core
//! is `#![no_std]`, uses no allocator and no `unsafe`, and never panics on any
//! input: every parser returns a [`Result`] whose [`Error`] names what went
//! wrong and the byte offset where it did.
//!
//! # Walking a kernel dump
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::rt_link::{IFLA_IFNAME, Ifinfomsg};
//! use procslink::netlink::{Messages, display::Escaped};
//!
//! # let dump = procslink::netlink::doc_example_dump();
//! for message in Messages::new(&dump) {
//!     let message = message?;
//!     if message.header().message_type().is_done() {
//!         break;
//!     }
//!     let (ifinfo, attrs) = message.family_header::<Ifinfomsg>()?;
//!     for attr in attrs {
//!         let attr = attr?;
//!         if attr.kind() == IFLA_IFNAME {
//!             // A name is bytes (the kernel accepts `p\xe9`): print it escaped.
//!             println!("link {}: {}", ifinfo.ifi_index, Escaped(attr.bytes_str()));
//!         }
//!     }
//! }
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```
//!
//! # Building a request
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::rt_link::{IFLA_EXT_MASK, Ifinfomsg, RTM_GETLINK, RtextFilter};
//! use procslink::netlink::{Builder, flags::{Flags, GetFlags}};
//!
//! let mut buf = [0u8; 64];
//! let mut batch = Builder::new(&mut buf);
//! let mut msg = batch.message(RTM_GETLINK, Flags::REQUEST | GetFlags::DUMP.into(), 1, 0)?;
//! msg.family_header(&Ifinfomsg::default())?;
//! msg.put_u32(IFLA_EXT_MASK, RtextFilter::VF.bits())?;
//! msg.finish()?;
//! let len = batch.len();
//! assert_eq!(len, 40);
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```
//!
//! # Modules
//!
//! - [`netlink`]: `nlmsghdr`, flags, the message iterator, errors and acks
//!   with extended-ack attributes, attributes with typed getters, policies
//!   and the index table, builders, generic netlink, display.
//! - [`procslink`]: ProcsLink datagrams, byte-exact with the reference
//!   Python `procslink` 0.1.2.
//! - [`jsonrpc`]: JSON-RPC 2.0 decode and encode without allocation.
//! - [`envmsg`]: pyroute2's envelope transport, control messages and
//!   fragmentation.
//! - [`framing`]: stream framings (netlink over a byte stream, domainsockets
//!   uvarint frames, EZ-IPC delimited JSON, and the Base85 EZ-IPC puts in
//!   its frames).
//! - `kernel` (feature `std`): sockets that talk to the kernel over any
//!   netlink protocol: requests acknowledged or refused with the kernel's
//!   extended ack, dumps read from one reused buffer, multicast
//!   notifications. Built on [`netlink::conversation`], the socket-free core
//!   that embedded users drive over their own transport.
//! - `peer` (feature `std`): the RPC peer over `NETLINK_USERSOCK` and Unix
//!   datagrams, and an EZ-IPC client and server over TCP and Unix streams.
//! - `fuzzing` (features `arbitrary`, `proptest`): structure-aware inputs
//!   and malformations for fuzzing netlink consumers.
//!
//! # Features
//!
//! None is on by default; without them the crate is `no_std` with no
//! allocator.
//!
//! - `serde`: typed decoding of JSON-RPC values through `serde-json-core`.
//! - `std`: the `kernel` and `peer` modules (sockets through `rustix` and
//!   `netlink-sys`, handlers through `serde_json`).
//! - `cli`: the `procslink` command (`serve`, `call`, `notify`, `decode`,
//!   `dump`).
//! - `arbitrary`, `proptest`: the `fuzzing` module (both crates need `std`).
//! - `ezipc-nacl`: EZ-IPC's encrypted mode (`peer::ezipc`).
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub mod envmsg;
mod error;
pub mod families;
pub mod framing;
#[cfg(any(feature = "arbitrary", feature = "proptest"))]
pub mod fuzzing;
pub mod jsonrpc;
#[cfg(feature = "std")]
pub mod kernel;
pub mod netlink;
#[cfg(feature = "std")]
pub mod peer;
pub mod procslink;

/// The `zerocopy` this crate's header types derive from, for callers who
/// define their own family headers.
pub use zerocopy;

#[cfg(all(doctest, feature = "std", feature = "family-rt-link"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use error::{Error, ErrorKind, FragmentViolation, JsonSyntax, PolicyViolation, RpcViolation};
