//! ProcsLink datagrams: `nlmsghdr | procslinkhdr | JSON-RPC text`, exactly as
//! the reference implementation (`procslink` 0.1.2) writes them.
//!
//! ```text
//!  0               16                                      40
//!  +---------------+---------------------------------------+-------------
//!  | nlmsghdr (BE) | procslinkhdr (BE, 24 bytes)           | JSON text
//!  | len = N - 16  | version 1, flag 0, length = N - 40,   |
//!  | type 0 flags 0| payload_type, reserved 0, seq 0,      |
//!  | seq 0 pid     | timestamp 0                           |
//!  +---------------+---------------------------------------+-------------
//! ```
//!
//! Unlike kernel netlink, both headers are big-endian, both lengths exclude
//! their own header, and nothing is padded. The header views are the same
//! generic [`NlMsgHdrOf`](crate::netlink::NlMsgHdrOf) the kernel side uses,
//! in big-endian.
//!
//! # Panic contract
//!
//! Nothing here panics on any input; parsing checks every length the
//! reference checks, and building never writes past the caller's buffer.

mod datagram;
mod header;

pub use datagram::{Datagram, DatagramRepr, MAX_DATAGRAM, PROCSLINK_OVERHEAD};
pub use header::{PROCSLINK_HDRLEN, PayloadType, ProcsLinkHdr};
