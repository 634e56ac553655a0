//! pyroute2's messaging transport: envelopes, control messages, and
//! fragmentation of messages too large for one envelope.
//!
//! # Transport messages
//!
//! Every packet between pyroute2 clients and brokers travels in a transport
//! message: a netlink message of type [`NLMSG_TRANSPORT`] (0xf) whose
//! `nlmsg_flags` are the [`TransportFlags`], then an `envmsghdr`, then one
//! attribute of type [`IPR_ATTR_CDATA`] (0) carrying the encapsulated
//! message. Everything is in host byte order. The `envmsghdr` has one of
//! three layouts ([`EnvelopeFormat`]), which the bytes do not identify: the
//! peers agree on one. The default is `PortsId`, what pyroute2 0.2.10 and
//! later put on the wire; `Ports` is pyroute2 0.2.2's and `Basic` the seed
//! document's, which no release sends.
//!
//! A pyroute2 broker drops an envelope whose 16-byte id it has seen, so
//! every envelope needs an id of its own: [`EnvelopeIds`] hands them out
//! ([`EnvelopeRepr::with_id`]). An optional second attribute,
//! [`IPR_ATTR_CNAME`] (1), names a target ([`Envelope::cname`]).
//!
//! ```text
//!  offset   size  field
//!  0        4     nlmsg_len    16 + H + align(4 + n)  (+ 24 with a fragment header)
//!  4        2     nlmsg_type   0x000f  NLMSG_TRANSPORT
//!  6        2     nlmsg_flags  NLT_CONTROL 0x1 | NLT_DGRAM 0x2 | NLT_RESPONSE 0x4 | ...
//!  8        4     nlmsg_seq
//!  12       4     nlmsg_pid
//!  16       H     envmsghdr    Basic   (H = 8):  u32 dst, src
//!                              Ports   (H = 20): u32 dst, dport, src, sport; u16 ttl, reserved
//!                              PortsId (H = 36): Ports + u8 id[16]   (the default)
//!  16+H     2     nla_len      4 + n
//!  18+H     2     nla_type     0  IPR_ATTR_CDATA
//!  20+H     n     data         then zeros up to a multiple of 4
//! ```
//!
//! [`Envelope`] is the checked view, [`EnvelopeRepr`] builds one.
//!
//! # Control messages
//!
//! Control messages between clients and brokers are netlink messages of
//! type [`NLMSG_CONTROL`] (0xe), `nlmsg_flags` 1, with a `genlmsghdr` whose
//! `cmd` is a [`ControlCommand`] and attributes [`ControlAttr`]. They
//! travel as the data of a transport message with `NLT_CONTROL` set.
//! [`ControlMessage`] is the view (also reached by [`Envelope::control`]);
//! [`ControlRepr::emit`] builds one alone and
//! [`ControlRepr::emit_in_envelope`] builds one inside its envelope in a
//! single pass over one buffer.
//!
//! ```
//! use procslink::envmsg::*;
//!
//! let envelope = EnvelopeRepr::default().with_id([1; 16]);
//! let mut buf = [0u8; 128];
//! let len = ControlRepr::new(ControlCommand::CONNECT).emit_in_envelope(&envelope, &mut buf, |w| {
//!     w.host("tcp://localhost:9824")?;
//!     w.key(0, 0x1234, 0xffff)
//! })?;
//!
//! let env = Envelope::parse(&buf[..len], EnvelopeFormat::PortsId)?;
//! let ctrl = env.control()?;
//! let mut attrs = ctrl.attrs();
//! assert_eq!(attrs.next(), Some(Ok(ControlAttr::Host("tcp://localhost:9824"))));
//! assert_eq!(attrs.next(), Some(Ok(ControlAttr::Key { offset: 0, key: 0x1234, mask: 0xffff })));
//! assert_eq!(attrs.next(), None);
//! # Ok::<(), procslink::Error>(())
//! ```
//!
//! # Fragmentation
//!
//! `nla_len` is a u16, so one envelope carries at most 65531 bytes
//! ([`NLA_MAX_PAYLOAD`](crate::netlink::NLA_MAX_PAYLOAD)). pyroute2 leaves
//! larger messages to the endpoints; this crate's scheme is:
//!
//! - A message that fits one envelope is sent as a plain transport message,
//!   with no fragment header: unfragmented traffic stays byte-for-byte what
//!   pyroute2 sends and reads.
//! - A larger message is cut into `count` pieces, each sent as a transport
//!   message whose data attribute carries the piece and is followed by a
//!   second attribute, [`IPR_ATTR_FRAGMENT`] (type 0x3f00, far beyond
//!   pyroute2's numbers), holding a 20-byte [`FragmentHdr`]. The data
//!   attribute stays first, where pyroute2 looks for it. Every fragment is
//!   an envelope with an id of its own.
//! - Earlier versions of this crate wrote the fragment header as type 1,
//!   which pyroute2 assigns to `IPR_ATTR_CNAME`; a type-1 attribute of 20
//!   bytes that is not shaped like a name is still read as a fragment
//!   header ([`IPR_ATTR_FRAGMENT_LEGACY`], see [`Envelope`]).
//!
//! ```text
//!  offset   size  field (A = 20 + H + align(n), right after the data attribute)
//!  A        2     nla_len      24
//!  A+2      2     nla_type     0x3f00  IPR_ATTR_FRAGMENT
//!  A+4      4     message_id   names the message; differs between consecutive messages
//!  A+8      4     total_len    length of the whole message
//!  A+12     4     offset       where this piece starts in it
//!  A+16     2     index        0, 1, ... count - 1
//!  A+18     2     count        number of pieces (at least 2 from a Splitter)
//!  A+20     4     checksum     CRC-32 (zlib's) of the whole message, same in every piece
//! ```
//!
//! Why these fields: `index` and `count` say which piece this is and when
//! the last has come; `offset` and `total_len` say where its bytes go and
//! let the receiver size (or refuse) the message on its first piece; each
//! fragment thus carries enough to be checked against itself and against
//! the pieces before it, so loss, duplication and reordering are all
//! detected. The checksum is this crate's addition to the suggested
//! 16-byte header: ids are chosen by each sender, so two senders behind one
//! broker (or one restarted sender) can send same-id, same-size messages
//! whose pieces interleave; every header check passes, and only a
//! checksum over the result catches the mix. It is zlib's CRC-32 so that a
//! Python peer computes it with `zlib.crc32`. All fields are host order,
//! like the rest of pyroute2's headers; `u16` fields keep the header a
//! multiple of 4 and bound a message to 65535 pieces (about 4 GiB at full
//! size, which `total_len` can describe).
//!
//! [`Splitter`] writes the fragments one at a time into the caller's
//! buffers; [`Reassembler`] rebuilds the message in a caller's buffer and
//! reports every fragment that does not continue it.
//!
//! # Panic contract
//!
//! Nothing in this module panics, whatever bytes it is given. Views are
//! made by checked constructors that prove every length they use; their
//! accessors are then infallible. Iterators yield `Result`s and stop for
//! good after the first error. Builders and the splitter never write past
//! the caller's buffer and say how large it must be. The reassembler copies
//! only within the bounds its checks have proven, never allocates, and
//! recovers from any sequence of fragments.

mod control;
mod envelope;
mod fragment;
mod header;

pub use control::{
    CONTROL_FLAGS, ControlAttr, ControlAttrs, ControlCommand, ControlMessage, ControlRepr,
    ControlWriter, IPR_ATTR_ADDR, IPR_ATTR_CID, IPR_ATTR_ERROR, IPR_ATTR_HOST, IPR_ATTR_KEY,
    IPR_ATTR_PID, IPR_ATTR_SECRET, IPR_ATTR_SOURCE, IPR_ATTR_SSL_CA, IPR_ATTR_SSL_CERT,
    IPR_ATTR_SSL_KEY, IPR_ATTR_UUID, IPR_KEY_LEN,
};
pub use envelope::{Envelope, EnvelopeRepr};
pub use fragment::{Reassembler, Splitter};
pub use header::{
    Crc32, EnvHeader, EnvMsgHdr, EnvMsgHdrId, EnvMsgHdrPorts, EnvelopeFormat, EnvelopeIds,
    FRAGMENT_HDRLEN, FragmentHdr, IPR_ATTR_CDATA, IPR_ATTR_CNAME, IPR_ATTR_FRAGMENT,
    IPR_ATTR_FRAGMENT_LEGACY, NLMSG_CONTROL, NLMSG_TRANSPORT, TransportFlags, crc32,
};
