//! The fixed-size pieces: message types, transport flags, the three
//! `envmsghdr` layouts and the fragment header.

use core::fmt;

use bitflags::bitflags;
use zerocopy::byteorder::{NativeEndian, U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::netlink::MessageType;

/// `NLMSG_CONTROL` (0xe): a control message between a client and a broker.
pub const NLMSG_CONTROL: MessageType = MessageType(0xe);
/// `NLMSG_TRANSPORT` (0xf): a transport message (an envelope).
pub const NLMSG_TRANSPORT: MessageType = MessageType(0xf);

/// `IPR_ATTR_CDATA` (0): the envelope's attribute that carries the
/// encapsulated message.
pub const IPR_ATTR_CDATA: u16 = 0;
/// `IPR_ATTR_CNAME` (1): pyroute2's optional second envelope attribute, a
/// NUL-terminated ASCII name (`pyroute2.rpc` filters on it). Read by
/// [`Envelope::cname`](super::Envelope::cname).
pub const IPR_ATTR_CNAME: u16 = 1;
/// `IPR_ATTR_FRAGMENT` (0x3f00): the fragment header attribute this crate
/// adds after `IPR_ATTR_CDATA` (see the [module docs](super#fragmentation)).
///
/// pyroute2 numbers its envelope attributes from 0 (`IPR_ATTR_CDATA` 0,
/// `IPR_ATTR_CNAME` 1); this type sits far above them, below the two flag
/// bits of `nla_type`.
pub const IPR_ATTR_FRAGMENT: u16 = 0x3f00;
/// The type the fragment header had before 0.2 of this crate
/// ([`IPR_ATTR_CNAME`]'s number). Readers still take a type-1 attribute as
/// a fragment header when it cannot be a name: see
/// [`Envelope`](super::Envelope).
pub const IPR_ATTR_FRAGMENT_LEGACY: u16 = 1;

bitflags! {
    /// The `nlmsg_flags` of a transport message. Unknown bits are kept.
    ///
    /// ```
    /// use procslink::envmsg::TransportFlags;
    ///
    /// let f = TransportFlags::from_bits_retain(0x41);
    /// assert!(f.contains(TransportFlags::CONTROL));
    /// assert_eq!(f.bits(), 0x41);
    /// ```
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct TransportFlags: u16 {
        /// `NLT_CONTROL`: the data is a control message.
        const CONTROL = 0x1;
        /// `NLT_DGRAM`: datagram (PUSH/PULL) traffic.
        const DGRAM = 0x2;
        /// `NLT_RESPONSE`: a response.
        const RESPONSE = 0x4;
        /// `NLT_NOOP`: nothing to deliver.
        const NOOP = 0x8;
        /// `NLT_EXCEPTION`: the data describes an exception.
        const EXCEPTION = 0x10;
        const _ = !0;
    }
}

/// The seed's `envmsghdr`: `{ u32 dst; u32 src; }`, 8 bytes, host order.
///
/// ```
/// use procslink::envmsg::EnvMsgHdr;
/// use zerocopy::IntoBytes;
///
/// let h = EnvMsgHdr::new(5, 7);
/// assert_eq!(h.as_bytes().len(), 8);
/// assert_eq!(h.as_bytes()[..4], 5u32.to_ne_bytes());
/// ```
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Debug,
)]
#[repr(C)]
pub struct EnvMsgHdr {
    /// Target subsystem address.
    pub dst: U32<NativeEndian>,
    /// Source address.
    pub src: U32<NativeEndian>,
}

impl EnvMsgHdr {
    /// A header with the given addresses.
    pub fn new(dst: u32, src: u32) -> Self {
        EnvMsgHdr {
            dst: U32::new(dst),
            src: U32::new(src),
        }
    }
}

/// The widened `envmsghdr` of later pyroute2 0.2.x releases:
/// `{ u32 dst, dport, src, sport; u16 ttl, reserved; }`, 20 bytes, host
/// order.
///
/// ```
/// use procslink::envmsg::EnvMsgHdrPorts;
/// use zerocopy::IntoBytes;
///
/// let h = EnvMsgHdrPorts::new(1, 2, 3, 4, 64);
/// assert_eq!(h.as_bytes().len(), 20);
/// assert_eq!(h.ttl.get(), 64);
/// ```
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Debug,
)]
#[repr(C)]
pub struct EnvMsgHdrPorts {
    /// Target address.
    pub dst: U32<NativeEndian>,
    /// Target port.
    pub dport: U32<NativeEndian>,
    /// Source address.
    pub src: U32<NativeEndian>,
    /// Source port.
    pub sport: U32<NativeEndian>,
    /// Hops left.
    pub ttl: U16<NativeEndian>,
    /// Reserved; zero.
    pub reserved: U16<NativeEndian>,
}

impl EnvMsgHdrPorts {
    /// A header with the given addresses, ports and ttl (`reserved` 0).
    pub fn new(dst: u32, dport: u32, src: u32, sport: u32, ttl: u16) -> Self {
        EnvMsgHdrPorts {
            dst: U32::new(dst),
            dport: U32::new(dport),
            src: U32::new(src),
            sport: U32::new(sport),
            ttl: U16::new(ttl),
            reserved: U16::ZERO,
        }
    }
}

/// The widest `envmsghdr`: [`EnvMsgHdrPorts`] followed by a 16-byte message
/// id, 36 bytes, host order.
///
/// ```
/// use procslink::envmsg::EnvMsgHdrId;
/// use zerocopy::IntoBytes;
///
/// let h = EnvMsgHdrId::new(1, 2, 3, 4, 64, [0xab; 16]);
/// assert_eq!(h.as_bytes().len(), 36);
/// assert_eq!(h.as_bytes()[20..], [0xab; 16]);
/// ```
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Debug,
)]
#[repr(C)]
pub struct EnvMsgHdrId {
    /// Target address.
    pub dst: U32<NativeEndian>,
    /// Target port.
    pub dport: U32<NativeEndian>,
    /// Source address.
    pub src: U32<NativeEndian>,
    /// Source port.
    pub sport: U32<NativeEndian>,
    /// Hops left.
    pub ttl: U16<NativeEndian>,
    /// Reserved; zero.
    pub reserved: U16<NativeEndian>,
    /// The message id.
    pub id: [u8; 16],
}

impl EnvMsgHdrId {
    /// A header with the given addresses, ports, ttl and id (`reserved` 0).
    pub fn new(dst: u32, dport: u32, src: u32, sport: u32, ttl: u16, id: [u8; 16]) -> Self {
        EnvMsgHdrId {
            dst: U32::new(dst),
            dport: U32::new(dport),
            src: U32::new(src),
            sport: U32::new(sport),
            ttl: U16::new(ttl),
            reserved: U16::ZERO,
            id,
        }
    }
}

/// Which `envmsghdr` layout the peers use. The bytes do not say, so the
/// reader must be told.
///
/// The default is [`EnvelopeFormat::PortsId`], what pyroute2 0.2.10 to
/// 0.3.1 send (WIRE.md section 3); [`EnvelopeFormat::Ports`] is pyroute2
/// 0.2.2's and [`EnvelopeFormat::Basic`] the seed document's, which no
/// release sends.
///
/// ```
/// use procslink::envmsg::EnvelopeFormat;
///
/// assert_eq!(EnvelopeFormat::default(), EnvelopeFormat::PortsId);
/// assert_eq!(EnvelopeFormat::Basic.header_len(), 8);
/// assert_eq!(EnvelopeFormat::Ports.header_len(), 20);
/// assert_eq!(EnvelopeFormat::PortsId.header_len(), 36);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EnvelopeFormat {
    /// The seed's `{ dst, src }` ([`EnvMsgHdr`]).
    Basic,
    /// `{ dst, dport, src, sport, ttl, reserved }` ([`EnvMsgHdrPorts`]):
    /// pyroute2 0.2.2.
    Ports,
    /// [`EnvMsgHdrPorts`] plus a 16-byte id ([`EnvMsgHdrId`]): pyroute2
    /// 0.2.10 and later; the default.
    #[default]
    PortsId,
}

impl EnvelopeFormat {
    /// The size of this format's `envmsghdr` (8, 20 or 36 bytes; all
    /// multiples of 4, so the data attribute follows without padding).
    pub const fn header_len(self) -> usize {
        match self {
            EnvelopeFormat::Basic => core::mem::size_of::<EnvMsgHdr>(),
            EnvelopeFormat::Ports => core::mem::size_of::<EnvMsgHdrPorts>(),
            EnvelopeFormat::PortsId => core::mem::size_of::<EnvMsgHdrId>(),
        }
    }
}

/// An `envmsghdr` of any of the three layouts, by value.
///
/// ```
/// use procslink::envmsg::{EnvHeader, EnvMsgHdr, EnvelopeFormat};
///
/// let h = EnvHeader::Basic(EnvMsgHdr::new(10, 20));
/// assert_eq!(h.format(), EnvelopeFormat::Basic);
/// assert_eq!((h.dst(), h.src(), h.dport()), (10, 20, None));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvHeader {
    /// The seed's two-field header.
    Basic(EnvMsgHdr),
    /// The header with ports and ttl.
    Ports(EnvMsgHdrPorts),
    /// The header with ports, ttl and id.
    PortsId(EnvMsgHdrId),
}

/// The [`EnvelopeFormat::PortsId`] header, every field 0: give it a
/// unique id ([`EnvHeader::set_id`], [`EnvelopeIds`]) before sending it to
/// a pyroute2 broker, which drops an id it has seen.
impl Default for EnvHeader {
    fn default() -> Self {
        EnvHeader::PortsId(EnvMsgHdrId::default())
    }
}

impl EnvHeader {
    /// The layout.
    pub const fn format(&self) -> EnvelopeFormat {
        match self {
            EnvHeader::Basic(_) => EnvelopeFormat::Basic,
            EnvHeader::Ports(_) => EnvelopeFormat::Ports,
            EnvHeader::PortsId(_) => EnvelopeFormat::PortsId,
        }
    }

    /// The header's bytes as they go on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            EnvHeader::Basic(h) => h.as_bytes(),
            EnvHeader::Ports(h) => h.as_bytes(),
            EnvHeader::PortsId(h) => h.as_bytes(),
        }
    }

    /// `dst`.
    pub fn dst(&self) -> u32 {
        match self {
            EnvHeader::Basic(h) => h.dst.get(),
            EnvHeader::Ports(h) => h.dst.get(),
            EnvHeader::PortsId(h) => h.dst.get(),
        }
    }

    /// `src`.
    pub fn src(&self) -> u32 {
        match self {
            EnvHeader::Basic(h) => h.src.get(),
            EnvHeader::Ports(h) => h.src.get(),
            EnvHeader::PortsId(h) => h.src.get(),
        }
    }

    /// `dport` (not in the basic layout).
    pub fn dport(&self) -> Option<u32> {
        match self {
            EnvHeader::Basic(_) => None,
            EnvHeader::Ports(h) => Some(h.dport.get()),
            EnvHeader::PortsId(h) => Some(h.dport.get()),
        }
    }

    /// `sport` (not in the basic layout).
    pub fn sport(&self) -> Option<u32> {
        match self {
            EnvHeader::Basic(_) => None,
            EnvHeader::Ports(h) => Some(h.sport.get()),
            EnvHeader::PortsId(h) => Some(h.sport.get()),
        }
    }

    /// `ttl` (not in the basic layout).
    pub fn ttl(&self) -> Option<u16> {
        match self {
            EnvHeader::Basic(_) => None,
            EnvHeader::Ports(h) => Some(h.ttl.get()),
            EnvHeader::PortsId(h) => Some(h.ttl.get()),
        }
    }

    /// `reserved` (not in the basic layout).
    pub fn reserved(&self) -> Option<u16> {
        match self {
            EnvHeader::Basic(_) => None,
            EnvHeader::Ports(h) => Some(h.reserved.get()),
            EnvHeader::PortsId(h) => Some(h.reserved.get()),
        }
    }

    /// The 16-byte id (only in the widest layout).
    pub fn id(&self) -> Option<[u8; 16]> {
        match self {
            EnvHeader::PortsId(h) => Some(h.id),
            _ => None,
        }
    }

    /// Sets the 16-byte id; the narrower layouts have none and are left as
    /// they are.
    ///
    /// ```
    /// use procslink::envmsg::EnvHeader;
    ///
    /// let mut h = EnvHeader::default();
    /// h.set_id([7; 16]);
    /// assert_eq!(h.id(), Some([7; 16]));
    /// ```
    pub fn set_id(&mut self, id: [u8; 16]) {
        if let EnvHeader::PortsId(h) = self {
            h.id = id;
        }
    }
}

/// Hands out unique 16-byte envelope ids: a caller-chosen 8-byte prefix
/// (pick it at random, so that two senders do not share one) followed by
/// a little-endian 64-bit counter.
///
/// A pyroute2 broker silently drops an envelope whose id it has already
/// seen (WIRE.md section 3), so every envelope needs its own. The codec is
/// `no_std` and has no randomness: the prefix comes from the caller
/// ([`EnvelopeIds::new`]); with the `std` feature
/// `EnvelopeIds::random` seeds it from the standard library's per-process
/// random hash keys.
///
/// ```
/// use procslink::envmsg::EnvelopeIds;
///
/// let mut ids = EnvelopeIds::new([1, 2, 3, 4, 5, 6, 7, 8]);
/// let a = ids.next_id();
/// let b = ids.next_id();
/// assert_ne!(a, b);
/// assert_eq!(a[..8], [1, 2, 3, 4, 5, 6, 7, 8]);
/// // A block of three ids: the first is returned, the next two are kept
/// // for the caller (a Splitter numbers its fragments from the first).
/// let first = ids.reserve(3);
/// assert_eq!(ids.next_id(), EnvelopeIds::offset(first, 3));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvelopeIds {
    prefix: [u8; 8],
    next: u64,
}

impl EnvelopeIds {
    /// Ids `prefix ++ 0`, `prefix ++ 1`, ...
    pub const fn new(prefix: [u8; 8]) -> Self {
        EnvelopeIds { prefix, next: 0 }
    }

    /// Ids with a random prefix and a random starting counter.
    #[cfg(feature = "std")]
    pub fn random() -> Self {
        use core::hash::{BuildHasher, Hasher};
        let keys = std::collections::hash_map::RandomState::new();
        let mut h = keys.build_hasher();
        h.write_u32(std::process::id());
        let prefix = h.finish().to_le_bytes();
        h.write_u8(1);
        EnvelopeIds {
            prefix,
            next: h.finish(),
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> [u8; 16] {
        self.reserve(1)
    }

    /// Reserves `count` consecutive ids and returns the first; the others
    /// are [`EnvelopeIds::offset`]`(first, 1..count)`.
    pub fn reserve(&mut self, count: u64) -> [u8; 16] {
        let first = self.next;
        self.next = self.next.wrapping_add(count.max(1));
        let mut id = [0u8; 16];
        let (prefix, counter) = id.split_at_mut(8);
        prefix.copy_from_slice(&self.prefix);
        counter.copy_from_slice(&first.to_le_bytes());
        id
    }

    /// `id` with `n` added to its counter (its last 8 bytes, little-endian,
    /// wrapping).
    pub fn offset(id: [u8; 16], n: u64) -> [u8; 16] {
        let mut out = id;
        let (_, counter) = out.split_at_mut(8);
        let mut le = [0u8; 8];
        le.copy_from_slice(counter);
        counter.copy_from_slice(&u64::from_le_bytes(le).wrapping_add(n).to_le_bytes());
        out
    }
}

impl From<EnvMsgHdr> for EnvHeader {
    fn from(h: EnvMsgHdr) -> Self {
        EnvHeader::Basic(h)
    }
}

impl From<EnvMsgHdrPorts> for EnvHeader {
    fn from(h: EnvMsgHdrPorts) -> Self {
        EnvHeader::Ports(h)
    }
}

impl From<EnvMsgHdrId> for EnvHeader {
    fn from(h: EnvMsgHdrId) -> Self {
        EnvHeader::PortsId(h)
    }
}

/// The size of [`FragmentHdr`]: 20 bytes.
pub const FRAGMENT_HDRLEN: usize = 20;

/// The fragment header carried in attribute [`IPR_ATTR_FRAGMENT`]:
/// `{ u32 message_id; u32 total_len; u32 offset; u16 index; u16 count;
/// u32 checksum; }`, 20 bytes, host order (see the
/// [module docs](super#fragmentation)).
///
/// ```
/// use procslink::envmsg::{FragmentHdr, crc32};
/// use zerocopy::IntoBytes;
///
/// let h = FragmentHdr::new(9, 100_000, 65_528, 1, 2, crc32(b"the whole message"));
/// assert_eq!(h.as_bytes().len(), 20);
/// assert_eq!(h.index.get(), 1);
/// ```
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Debug,
)]
#[repr(C)]
pub struct FragmentHdr {
    /// Names the message the fragment belongs to; consecutive fragmented
    /// messages from one sender must have different ids.
    pub message_id: U32<NativeEndian>,
    /// The length of the whole message.
    pub total_len: U32<NativeEndian>,
    /// Where this fragment's data starts in the whole message.
    pub offset: U32<NativeEndian>,
    /// The fragment's position, from 0.
    pub index: U16<NativeEndian>,
    /// How many fragments the message has.
    pub count: U16<NativeEndian>,
    /// CRC-32 (IEEE 802.3, as zlib's `crc32`) of the whole message; the
    /// same in every fragment.
    pub checksum: U32<NativeEndian>,
}

impl FragmentHdr {
    /// A header with every field given.
    pub fn new(
        message_id: u32,
        total_len: u32,
        offset: u32,
        index: u16,
        count: u16,
        checksum: u32,
    ) -> Self {
        FragmentHdr {
            message_id: U32::new(message_id),
            total_len: U32::new(total_len),
            offset: U32::new(offset),
            index: U16::new(index),
            count: U16::new(count),
            checksum: U32::new(checksum),
        }
    }
}

impl fmt::Display for FragmentHdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "message {} fragment {}/{} bytes {}.. of {} crc {:#010x}",
            self.message_id.get(),
            self.index.get(),
            self.count.get(),
            self.offset.get(),
            self.total_len.get(),
            self.checksum.get()
        )
    }
}

/// A running CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320: the
/// checksum of zlib, Python's `zlib.crc32`, Ethernet and PNG), computed by
/// the `crc32fast` crate.
///
/// It keeps only the checksum so far, so it stays `Copy` and `const`
/// constructible (`crc32fast::Hasher` is neither); each [`update`] resumes
/// from it, which costs a few instructions per call, not per byte.
///
/// [`update`]: Crc32::update
///
/// ```
/// use procslink::envmsg::{Crc32, crc32};
///
/// let mut c = Crc32::new();
/// c.update(b"1234");
/// c.update(b"56789");
/// assert_eq!(c.finish(), 0xcbf4_3926);
/// assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Crc32(u32);

impl Crc32 {
    /// The checksum of nothing so far.
    pub const fn new() -> Self {
        Crc32(0)
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut hasher = crc32fast::Hasher::new_with_initial(self.0);
        hasher.update(bytes);
        self.0 = hasher.finalize();
    }

    /// The checksum of everything added.
    #[must_use]
    pub const fn finish(&self) -> u32 {
        self.0
    }
}

/// The CRC-32 of `bytes` (see [`Crc32`]).
#[must_use]
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}
