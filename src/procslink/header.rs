//! `struct procslinkhdr`: 24 big-endian bytes after the `nlmsghdr`.

use core::fmt;

use zerocopy::byteorder::{BigEndian, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The size of `procslinkhdr`: 24 bytes (the reference's comment says 8; its
/// struct format `>HHIHHIQ` is 24).
pub const PROCSLINK_HDRLEN: usize = 24;

/// What a ProcsLink datagram carries. Values without a name are kept as they
/// are, not rejected.
///
/// ```
/// use procslink::procslink::PayloadType;
///
/// assert_eq!(PayloadType::from(2), PayloadType::JSONRPC_RESPONSE);
/// assert_eq!(PayloadType(9).to_string(), "9");
/// assert_eq!(PayloadType::JSONRPC_REQUEST.to_string(), "JSON-RPC request");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct PayloadType(pub u16);

impl PayloadType {
    /// 0: unknown.
    pub const UNKNOWN: PayloadType = PayloadType(0);
    /// 1: a JSON-RPC 2.0 request (or notification, or batch of them).
    pub const JSONRPC_REQUEST: PayloadType = PayloadType(1);
    /// 2: a JSON-RPC 2.0 response (or batch of them).
    pub const JSONRPC_RESPONSE: PayloadType = PayloadType(2);

    /// The name of a known payload type.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("unknown"),
            1 => Some("JSON-RPC request"),
            2 => Some("JSON-RPC response"),
            _ => None,
        }
    }
}

impl From<u16> for PayloadType {
    fn from(v: u16) -> Self {
        PayloadType(v)
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `struct procslinkhdr`, big-endian.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, PartialEq, Eq, Hash,
)]
#[repr(C)]
pub struct ProcsLinkHdr {
    /// Protocol version; 1.
    pub version: U16<BigEndian>,
    /// Reserved; 0.
    pub flag: U16<BigEndian>,
    /// Length of the payload after this header (the reference's comment
    /// says "including this header"; its code excludes it).
    pub length: U32<BigEndian>,
    /// [`PayloadType`].
    pub payload_type: U16<BigEndian>,
    /// Reserved; 0.
    pub reserved: U16<BigEndian>,
    /// Sequence number; the reference always writes 0.
    pub seq: U32<BigEndian>,
    /// Timestamp; the reference always writes 0.
    pub timestamp: U64<BigEndian>,
}

impl ProcsLinkHdr {
    /// `version`.
    pub fn version(&self) -> u16 {
        self.version.get()
    }

    /// `flag`.
    pub fn flag(&self) -> u16 {
        self.flag.get()
    }

    /// `length`: the payload's size in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u32 {
        self.length.get()
    }

    /// `payload_type`.
    pub fn payload_type(&self) -> PayloadType {
        PayloadType(self.payload_type.get())
    }

    /// `reserved`.
    pub fn reserved(&self) -> u16 {
        self.reserved.get()
    }

    /// `seq`.
    pub fn seq(&self) -> u32 {
        self.seq.get()
    }

    /// `timestamp`.
    pub fn timestamp(&self) -> u64 {
        self.timestamp.get()
    }
}

impl fmt::Debug for ProcsLinkHdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcsLinkHdr")
            .field("version", &self.version())
            .field("flag", &self.flag())
            .field("length", &self.len())
            .field("payload_type", &self.payload_type())
            .field("reserved", &self.reserved())
            .field("seq", &self.seq())
            .field("timestamp", &self.timestamp())
            .finish()
    }
}

impl fmt::Display for ProcsLinkHdr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "procslink v{} length {} payload {} seq {} timestamp {}",
            self.version(),
            self.len(),
            self.payload_type(),
            self.seq(),
            self.timestamp()
        )
    }
}
