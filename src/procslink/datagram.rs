//! A whole ProcsLink datagram: parse with the reference's checks, and build.

use core::fmt;

use zerocopy::byteorder::{U16, U32, U64};
use zerocopy::{FromBytes, IntoBytes};

use super::header::{PROCSLINK_HDRLEN, PayloadType, ProcsLinkHdr};
use crate::netlink::{NLMSG_HDRLEN, NlMsgHdrBe};
use crate::{Error, ErrorKind};

/// The reference's datagram size limit (it receives into 4096 bytes).
pub const MAX_DATAGRAM: usize = 4096;
/// Bytes of header before the JSON text: 16 + 24.
pub const PROCSLINK_OVERHEAD: usize = NLMSG_HDRLEN + PROCSLINK_HDRLEN;

/// A checked view of a ProcsLink datagram.
///
/// ```
/// use procslink::procslink::{Datagram, DatagramRepr, PayloadType};
///
/// let json = br#"{"jsonrpc": "2.0", "method": "ping", "id": 3}"#;
/// let mut buf = [0u8; 128];
/// let len = DatagramRepr::request(4242).emit(json, &mut buf)?;
/// assert_eq!(len, 40 + json.len());
///
/// let d = Datagram::parse(&buf[..len])?;
/// assert_eq!(d.pid(), 4242);
/// assert_eq!(d.payload_type(), PayloadType::JSONRPC_REQUEST);
/// assert_eq!(d.payload(), json);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone)]
pub struct Datagram<'a> {
    netlink: &'a NlMsgHdrBe,
    header: &'a ProcsLinkHdr,
    payload: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// Parses a datagram of at most [`MAX_DATAGRAM`] bytes.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with_limit(buf, MAX_DATAGRAM)
    }

    /// Parses a datagram of at most `limit` bytes, with the reference's
    /// checks: `nlmsg_len` must equal the bytes after the `nlmsghdr`, and
    /// `procslinkhdr.length` the bytes after the `procslinkhdr`, exactly.
    #[inline]
    pub fn parse_with_limit(buf: &'a [u8], limit: usize) -> Result<Self, Error> {
        if buf.len() > limit {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: buf.len(),
                    max: limit,
                },
                0,
            ));
        }
        let Ok((netlink, rest)) = NlMsgHdrBe::ref_from_prefix(buf) else {
            return Err(truncated(NLMSG_HDRLEN, buf.len(), 0));
        };
        if netlink.len() as usize != rest.len() {
            return Err(Error::new(
                ErrorKind::LengthMismatch {
                    length: netlink.len() as usize,
                    actual: rest.len(),
                },
                0,
            ));
        }
        let Ok((header, payload)) = ProcsLinkHdr::ref_from_prefix(rest) else {
            let at = if rest.is_empty() { 0 } else { NLMSG_HDRLEN };
            return Err(truncated(PROCSLINK_HDRLEN, rest.len(), at));
        };
        if header.len() as usize != payload.len() {
            return Err(Error::new(
                ErrorKind::LengthMismatch {
                    length: header.len() as usize,
                    actual: payload.len(),
                },
                NLMSG_HDRLEN,
            ));
        }
        Ok(Datagram {
            netlink,
            header,
            payload,
        })
    }

    /// The big-endian `nlmsghdr`.
    pub fn netlink_header(&self) -> &'a NlMsgHdrBe {
        self.netlink
    }

    /// The `procslinkhdr`.
    pub fn header(&self) -> &'a ProcsLinkHdr {
        self.header
    }

    /// `nlmsg_pid`: the port id the sender claims (a server checks it
    /// against the port the kernel reports).
    pub fn pid(&self) -> u32 {
        self.netlink.pid()
    }

    /// `payload_type`.
    pub fn payload_type(&self) -> PayloadType {
        self.header.payload_type()
    }

    /// The payload (the JSON text), as bytes.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The payload as UTF-8 text.
    pub fn text(&self) -> Result<&'a str, Error> {
        core::str::from_utf8(self.payload)
            .map_err(|e| Error::new(ErrorKind::InvalidUtf8, PROCSLINK_OVERHEAD + e.valid_up_to()))
    }

    /// Every header field, for rebuilding the datagram.
    pub fn repr(&self) -> DatagramRepr {
        DatagramRepr {
            nlmsg_type: self.netlink.message_type().0,
            nlmsg_flags: self.netlink.flags().bits(),
            nlmsg_seq: self.netlink.seq(),
            pid: self.netlink.pid(),
            version: self.header.version(),
            flag: self.header.flag(),
            payload_type: self.header.payload_type(),
            reserved: self.header.reserved(),
            seq: self.header.seq(),
            timestamp: self.header.timestamp(),
        }
    }
}

impl fmt::Debug for Datagram<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datagram")
            .field("netlink", self.netlink)
            .field("header", self.header)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

impl fmt::Display for Datagram<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nlmsghdr(BE) {} | {}", self.netlink, self.header)
    }
}

/// The header fields of a datagram, to build one with
/// [`DatagramRepr::emit`]. The defaults are what the reference writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DatagramRepr {
    /// `nlmsg_type` (0).
    pub nlmsg_type: u16,
    /// `nlmsg_flags` (0).
    pub nlmsg_flags: u16,
    /// `nlmsg_seq` (0).
    pub nlmsg_seq: u32,
    /// `nlmsg_pid`: the sender's port id.
    pub pid: u32,
    /// `version` (1).
    pub version: u16,
    /// `flag` (0).
    pub flag: u16,
    /// `payload_type`.
    pub payload_type: PayloadType,
    /// `reserved` (0).
    pub reserved: u16,
    /// `seq` (0).
    pub seq: u32,
    /// `timestamp` (0).
    pub timestamp: u64,
}

impl DatagramRepr {
    /// The fields the reference writes for a payload of `payload_type` sent
    /// from port `pid`.
    pub const fn new(pid: u32, payload_type: PayloadType) -> Self {
        DatagramRepr {
            nlmsg_type: 0,
            nlmsg_flags: 0,
            nlmsg_seq: 0,
            pid,
            version: 1,
            flag: 0,
            payload_type,
            reserved: 0,
            seq: 0,
            timestamp: 0,
        }
    }

    /// A request sent from port `pid`.
    pub const fn request(pid: u32) -> Self {
        Self::new(pid, PayloadType::JSONRPC_REQUEST)
    }

    /// A response sent from port `pid`.
    pub const fn response(pid: u32) -> Self {
        Self::new(pid, PayloadType::JSONRPC_RESPONSE)
    }

    /// The size of the datagram carrying `payload_len` bytes.
    pub const fn buffer_len(payload_len: usize) -> usize {
        PROCSLINK_OVERHEAD + payload_len
    }

    /// Writes the datagram carrying `payload` into `buf`, returning its
    /// length. A payload whose length cannot be represented is
    /// [`ErrorKind::TooLarge`]; a short buffer is
    /// [`ErrorKind::BufferTooSmall`] and nothing is written.
    pub fn emit(&self, payload: &[u8], buf: &mut [u8]) -> Result<usize, Error> {
        let total = self.emit_header(payload.len(), buf)?;
        if let Some(body) = buf.get_mut(PROCSLINK_OVERHEAD..total) {
            body.copy_from_slice(payload);
        }
        Ok(total)
    }

    /// Writes only the headers of a datagram whose `payload_len`-byte
    /// payload the caller has written (or will write) at
    /// `buf[PROCSLINK_OVERHEAD..]`, so that a payload can be encoded in
    /// place instead of copied; returns the datagram's length. The payload
    /// bytes are not touched. Errors as [`emit`](Self::emit).
    ///
    /// ```
    /// use procslink::procslink::{Datagram, DatagramRepr, PROCSLINK_OVERHEAD};
    ///
    /// let json = br#"{"jsonrpc": "2.0", "id": 1, "result": 2}"#;
    /// let mut buf = [0u8; 128];
    /// buf[PROCSLINK_OVERHEAD..][..json.len()].copy_from_slice(json);
    /// let len = DatagramRepr::response(7).emit_header(json.len(), &mut buf)?;
    ///
    /// let mut copied = [0u8; 128];
    /// assert_eq!(DatagramRepr::response(7).emit(json, &mut copied)?, len);
    /// assert_eq!(buf[..len], copied[..len]);
    /// assert_eq!(Datagram::parse(&buf[..len])?.payload(), json);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn emit_header(&self, payload_len: usize, buf: &mut [u8]) -> Result<usize, Error> {
        let max = u32::MAX as usize - PROCSLINK_HDRLEN;
        if payload_len > max {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: payload_len,
                    max,
                },
                0,
            ));
        }
        let total = Self::buffer_len(payload_len);
        if buf.len() < total {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed: total }, 0));
        }
        let Some(dst) = buf.get_mut(..PROCSLINK_OVERHEAD) else {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed: total }, 0));
        };
        let (nl, hdr) = dst.split_at_mut(NLMSG_HDRLEN);
        let netlink = NlMsgHdrBe::new(
            (PROCSLINK_HDRLEN + payload_len) as u32,
            self.nlmsg_type,
            self.nlmsg_flags,
            self.nlmsg_seq,
            self.pid,
        );
        nl.copy_from_slice(netlink.as_bytes());
        let header = ProcsLinkHdr {
            version: U16::new(self.version),
            flag: U16::new(self.flag),
            length: U32::new(payload_len as u32),
            payload_type: U16::new(self.payload_type.0),
            reserved: U16::new(self.reserved),
            seq: U32::new(self.seq),
            timestamp: U64::new(self.timestamp),
        };
        hdr.copy_from_slice(header.as_bytes());
        Ok(total)
    }
}

#[cold]
fn truncated(needed: usize, available: usize, offset: usize) -> Error {
    Error::new(ErrorKind::Truncated { needed, available }, offset)
}
