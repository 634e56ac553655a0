//! Transport messages: a checked view and a builder.

use core::fmt;

use zerocopy::{FromBytes, IntoBytes};

use super::control::ControlMessage;
use super::header::{
    EnvHeader, EnvMsgHdr, EnvMsgHdrId, EnvMsgHdrPorts, EnvelopeFormat, FRAGMENT_HDRLEN,
    FragmentHdr, IPR_ATTR_CDATA, IPR_ATTR_CNAME, IPR_ATTR_FRAGMENT, IPR_ATTR_FRAGMENT_LEGACY,
    NLMSG_TRANSPORT, TransportFlags,
};
use crate::netlink::{
    Attr, Attrs, Builder, Message, NLA_HDRLEN, NLA_MAX_PAYLOAD, NLMSG_HDRLEN, align, flags::Flags,
};
use crate::{Error, ErrorKind, FragmentViolation};

#[derive(Copy, Clone)]
enum HeaderRef<'a> {
    Basic(&'a EnvMsgHdr),
    Ports(&'a EnvMsgHdrPorts),
    PortsId(&'a EnvMsgHdrId),
}

/// A checked view of one transport message: `nlmsghdr` (type
/// [`NLMSG_TRANSPORT`]) + `envmsghdr` + attribute 0 carrying the data, and
/// optionally the [fragment header](super#fragmentation).
///
/// Made by [`Envelope::parse`] or [`Envelope::from_message`], which check:
///
/// - the message type is 0xf ([`ErrorKind::UnexpectedType`]);
/// - the payload holds the `envmsghdr` of the given format
///   ([`ErrorKind::Truncated`], at the message's offset);
/// - an attribute follows, well-formed, of type 0 (flag bits masked off;
///   [`ErrorKind::Truncated`] at the message's offset if there is none, the
///   attribute iterator's
///   length errors, [`ErrorKind::UnexpectedType`] with the attribute types
///   if it is another type);
/// - every later attribute is well-formed; an [`IPR_ATTR_FRAGMENT`] among
///   them is exactly 20 bytes ([`ErrorKind::WrongSize`]) and appears at
///   most once ([`FragmentViolation::Inconsistent`]). Other attribute types
///   are ignored, but for the first [`IPR_ATTR_CNAME`]
///   ([`Envelope::cname`]).
///
/// Type 1 is pyroute2's `IPR_ATTR_CNAME`, and was this crate's fragment
/// header before it moved to [`IPR_ATTR_FRAGMENT`]. So that traffic of
/// the old layout still reads, a type-1 attribute of exactly 20 bytes is
/// taken as a fragment header unless it is shaped like a name: printable
/// ASCII up to a NUL, and only NULs after it. A real fragment header cannot
/// be shaped so unless its total length is at least 0x20202020 bytes (a
/// fragment 0 has offset and index 0 before a non-zero count; any other
/// needs every byte of `total_len` and `offset` printable); such a header
/// reads as a name, the only ambiguity left.
///
/// Whether a fragment header's values make sense is the
/// [`Reassembler`](super::Reassembler)'s business, not the view's. Error
/// offsets count from the start of the caller's buffer.
///
/// ```
/// use procslink::envmsg::{EnvHeader, EnvMsgHdr, EnvMsgHdrId, Envelope, EnvelopeFormat, EnvelopeRepr};
///
/// // pyroute2's layout (the default): addresses, ports, ttl, a unique id.
/// let repr = EnvelopeRepr::new(EnvHeader::PortsId(EnvMsgHdrId::new(3, 255, 4, 0, 16, [9; 16])));
/// let mut buf = [0u8; 96];
/// let len = repr.emit(b"hello", &mut buf)?;
/// assert_eq!(len, 16 + 36 + 12);
///
/// let env = Envelope::parse(&buf[..len], EnvelopeFormat::default())?;
/// assert_eq!((env.dst(), env.src(), env.dport()), (3, 4, Some(255)));
/// assert_eq!(env.id(), Some(&[9; 16]));
/// assert_eq!(env.data(), b"hello");
///
/// // The seed document's 8-byte layout is still there, when asked for.
/// let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(3, 4)));
/// let len = repr.emit(b"hello", &mut buf)?;
/// assert_eq!(len, 16 + 8 + 12);
/// let env = Envelope::parse(&buf[..len], EnvelopeFormat::Basic)?;
/// assert_eq!((env.dst(), env.src(), env.dport()), (3, 4, None));
/// assert!(env.fragment().is_none());
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone)]
pub struct Envelope<'a> {
    message: Message<'a>,
    header: HeaderRef<'a>,
    data: &'a [u8],
    data_offset: usize,
    fragment: Option<(&'a FragmentHdr, usize)>,
    cname: Option<Attr<'a>>,
}

impl<'a> Envelope<'a> {
    /// Views the transport message at the start of `buf` (bytes after its
    /// `nlmsg_len` are ignored).
    pub fn parse(buf: &'a [u8], format: EnvelopeFormat) -> Result<Self, Error> {
        Self::from_message(Message::parse(buf)?, format)
    }

    /// Views an already parsed netlink message as a transport message.
    pub fn from_message(message: Message<'a>, format: EnvelopeFormat) -> Result<Self, Error> {
        let found = message.message_type().0;
        if found != NLMSG_TRANSPORT.0 {
            return Err(Error::new(
                ErrorKind::UnexpectedType {
                    expected: NLMSG_TRANSPORT.0,
                    found,
                },
                message.offset(),
            ));
        }
        let payload = message.payload();
        let base = message.payload_offset();
        // A message too short for its headers is reported at its start, as
        // `Message::family_header` does (the missing bytes would lie past
        // the message's end).
        let truncated = || {
            Error::new(
                ErrorKind::Truncated {
                    needed: format.header_len(),
                    available: payload.len(),
                },
                message.offset(),
            )
        };
        let (header, rest) = match format {
            EnvelopeFormat::Basic => EnvMsgHdr::ref_from_prefix(payload)
                .map(|(h, r)| (HeaderRef::Basic(h), r))
                .map_err(|_| truncated())?,
            EnvelopeFormat::Ports => EnvMsgHdrPorts::ref_from_prefix(payload)
                .map(|(h, r)| (HeaderRef::Ports(h), r))
                .map_err(|_| truncated())?,
            EnvelopeFormat::PortsId => EnvMsgHdrId::ref_from_prefix(payload)
                .map(|(h, r)| (HeaderRef::PortsId(h), r))
                .map_err(|_| truncated())?,
        };
        // Every format's header is a multiple of 4 bytes: the attributes
        // follow directly.
        let attrs_offset = base + format.header_len();
        let mut attrs = Attrs::with_offset(rest, attrs_offset);
        let cdata = match attrs.next() {
            Some(Ok(attr)) => attr,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(Error::new(
                    ErrorKind::Truncated {
                        needed: NLA_HDRLEN,
                        available: 0,
                    },
                    message.offset(),
                ));
            }
        };
        if cdata.kind() != IPR_ATTR_CDATA {
            return Err(Error::new(
                ErrorKind::UnexpectedType {
                    expected: IPR_ATTR_CDATA,
                    found: cdata.kind(),
                },
                cdata.offset(),
            ));
        }
        let mut fragment = None;
        let mut cname = None;
        for attr in attrs {
            let attr = attr?;
            let is_fragment = attr.kind() == IPR_ATTR_FRAGMENT
                || (attr.kind() == IPR_ATTR_FRAGMENT_LEGACY
                    && attr.payload().len() == FRAGMENT_HDRLEN
                    && !is_name_shaped(attr.payload()));
            if !is_fragment {
                if attr.kind() == IPR_ATTR_CNAME && cname.is_none() {
                    cname = Some(attr);
                }
                continue;
            }
            if fragment.is_some() {
                return Err(Error::new(
                    ErrorKind::Fragment(FragmentViolation::Inconsistent),
                    attr.offset(),
                ));
            }
            match FragmentHdr::ref_from_bytes(attr.payload()) {
                Ok(h) => fragment = Some((h, attr.offset())),
                Err(_) => {
                    return Err(Error::new(
                        ErrorKind::WrongSize {
                            expected: FRAGMENT_HDRLEN,
                            found: attr.payload().len(),
                        },
                        attr.offset(),
                    ));
                }
            }
        }
        Ok(Envelope {
            message,
            header,
            data: cdata.payload(),
            data_offset: cdata.offset() + NLA_HDRLEN,
            fragment,
            cname,
        })
    }

    /// The netlink message the envelope was read from.
    #[inline]
    pub fn message(&self) -> Message<'a> {
        self.message
    }

    /// The `envmsghdr` layout.
    #[inline]
    pub fn format(&self) -> EnvelopeFormat {
        self.header().format()
    }

    /// A copy of the `envmsghdr`.
    #[inline]
    pub fn header(&self) -> EnvHeader {
        match self.header {
            HeaderRef::Basic(h) => EnvHeader::Basic(*h),
            HeaderRef::Ports(h) => EnvHeader::Ports(*h),
            HeaderRef::PortsId(h) => EnvHeader::PortsId(*h),
        }
    }

    /// The transport flags (`nlmsg_flags`), every bit kept.
    #[inline]
    pub fn flags(&self) -> TransportFlags {
        TransportFlags::from_bits_retain(self.message.header().flags.get())
    }

    /// Is `NLT_CONTROL` set (the data is a control message)?
    #[inline]
    pub fn is_control(&self) -> bool {
        self.flags().contains(TransportFlags::CONTROL)
    }

    /// `nlmsg_seq`.
    #[inline]
    pub fn seq(&self) -> u32 {
        self.message.seq()
    }

    /// `nlmsg_pid`.
    #[inline]
    pub fn pid(&self) -> u32 {
        self.message.pid()
    }

    /// `dst`.
    #[inline]
    pub fn dst(&self) -> u32 {
        match self.header {
            HeaderRef::Basic(h) => h.dst.get(),
            HeaderRef::Ports(h) => h.dst.get(),
            HeaderRef::PortsId(h) => h.dst.get(),
        }
    }

    /// `src`.
    #[inline]
    pub fn src(&self) -> u32 {
        match self.header {
            HeaderRef::Basic(h) => h.src.get(),
            HeaderRef::Ports(h) => h.src.get(),
            HeaderRef::PortsId(h) => h.src.get(),
        }
    }

    /// `dport`, `None` in the basic format.
    #[inline]
    pub fn dport(&self) -> Option<u32> {
        match self.header {
            HeaderRef::Basic(_) => None,
            HeaderRef::Ports(h) => Some(h.dport.get()),
            HeaderRef::PortsId(h) => Some(h.dport.get()),
        }
    }

    /// `sport`, `None` in the basic format.
    #[inline]
    pub fn sport(&self) -> Option<u32> {
        match self.header {
            HeaderRef::Basic(_) => None,
            HeaderRef::Ports(h) => Some(h.sport.get()),
            HeaderRef::PortsId(h) => Some(h.sport.get()),
        }
    }

    /// `ttl`, `None` in the basic format.
    #[inline]
    pub fn ttl(&self) -> Option<u16> {
        match self.header {
            HeaderRef::Basic(_) => None,
            HeaderRef::Ports(h) => Some(h.ttl.get()),
            HeaderRef::PortsId(h) => Some(h.ttl.get()),
        }
    }

    /// The 16-byte id, only in the [`EnvelopeFormat::PortsId`] format.
    #[inline]
    pub fn id(&self) -> Option<&'a [u8; 16]> {
        match self.header {
            HeaderRef::PortsId(h) => Some(&h.id),
            _ => None,
        }
    }

    /// The carried bytes (the payload of attribute 0): a whole message, or
    /// one fragment of one.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The offset of [`Envelope::data`] in the caller's buffer.
    #[inline]
    pub fn data_offset(&self) -> usize {
        self.data_offset
    }

    /// The fragment header, if this envelope carries a fragment.
    #[inline]
    pub fn fragment(&self) -> Option<&'a FragmentHdr> {
        self.fragment.map(|(h, _)| h)
    }

    /// The offset of the fragment attribute in the caller's buffer, if
    /// there is one.
    #[inline]
    pub fn fragment_offset(&self) -> Option<usize> {
        self.fragment.map(|(_, o)| o)
    }

    /// pyroute2's `IPR_ATTR_CNAME`, if the envelope has one: the name, or
    /// the error that it is not NUL-terminated UTF-8.
    ///
    /// ```
    /// use procslink::envmsg::{Envelope, EnvelopeFormat, EnvelopeRepr, IPR_ATTR_CNAME};
    /// use procslink::netlink::{Builder, flags::Flags};
    ///
    /// let mut buf = [0u8; 128];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(procslink::envmsg::NLMSG_TRANSPORT, Flags::empty(), 0, 0)?;
    /// m.put_bytes_raw(EnvelopeRepr::default().header.as_bytes())?;
    /// m.put(0, b"data")?;
    /// m.put_str(IPR_ATTR_CNAME, "ipdb")?;
    /// let len = m.finish()?;
    /// let env = Envelope::parse(&buf[..len], EnvelopeFormat::PortsId)?;
    /// assert_eq!(env.cname(), Some(Ok("ipdb")));
    /// assert!(env.fragment().is_none());
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn cname(&self) -> Option<Result<&'a str, Error>> {
        self.cname.map(|a| a.str())
    }

    /// The header fields, to build an envelope like this one.
    pub fn repr(&self) -> EnvelopeRepr {
        EnvelopeRepr {
            header: self.header(),
            flags: self.flags(),
            seq: self.seq(),
            pid: self.pid(),
        }
    }

    /// Reads the data as a control message (see
    /// [`ControlMessage`]); meaningful when [`Envelope::is_control`]. Error
    /// offsets count from the start of the caller's buffer.
    ///
    /// Empty data is [`ErrorKind::Truncated`] at the data attribute's
    /// offset (there is no message to point into).
    pub fn control(&self) -> Result<ControlMessage<'a>, Error> {
        if self.data.is_empty() {
            return Err(Error::new(
                ErrorKind::Truncated {
                    needed: NLMSG_HDRLEN,
                    available: 0,
                },
                self.data_offset.saturating_sub(NLA_HDRLEN),
            ));
        }
        ControlMessage::parse_at(self.data, self.data_offset)
    }
}

impl fmt::Debug for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("offset", &self.message.offset())
            .field("flags", &self.flags())
            .field("seq", &self.seq())
            .field("pid", &self.pid())
            .field("header", &self.header())
            .field("data_len", &self.data.len())
            .field("fragment", &self.fragment())
            .finish()
    }
}

impl fmt::Display for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transport flags {:#x} seq {} pid {} dst {} src {}",
            self.flags().bits(),
            self.seq(),
            self.pid(),
            self.dst(),
            self.src()
        )?;
        if let (Some(dport), Some(sport), Some(ttl)) = (self.dport(), self.sport(), self.ttl()) {
            write!(f, " dport {dport} sport {sport} ttl {ttl}")?;
        }
        write!(f, " data {} bytes", self.data.len())?;
        if let Some(frag) = self.fragment() {
            write!(f, " ({frag})")?;
        }
        Ok(())
    }
}

/// The header fields of a transport message, to build one with
/// [`EnvelopeRepr::emit`].
///
/// ```
/// use procslink::envmsg::{EnvHeader, EnvMsgHdrPorts, EnvelopeRepr, TransportFlags};
///
/// let mut repr = EnvelopeRepr::new(EnvHeader::Ports(EnvMsgHdrPorts::new(1, 2, 3, 4, 16)));
/// repr.flags = TransportFlags::RESPONSE;
/// assert_eq!(repr.buffer_len(5), 16 + 20 + 12);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EnvelopeRepr {
    /// The `envmsghdr` (its variant decides the format).
    pub header: EnvHeader,
    /// `nlmsg_flags`.
    pub flags: TransportFlags,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
}

impl EnvelopeRepr {
    /// A repr with `header`, no flags, sequence number and port id 0.
    pub const fn new(header: EnvHeader) -> Self {
        EnvelopeRepr {
            header,
            flags: TransportFlags::empty(),
            seq: 0,
            pid: 0,
        }
    }

    /// The same fields with the 16-byte id `id` (see
    /// [`EnvHeader::set_id`]; the narrower layouts have no id).
    ///
    /// ```
    /// use procslink::envmsg::{EnvelopeIds, EnvelopeRepr};
    ///
    /// let mut ids = EnvelopeIds::new([0; 8]);
    /// let a = EnvelopeRepr::default().with_id(ids.next_id());
    /// let b = EnvelopeRepr::default().with_id(ids.next_id());
    /// assert_ne!(a.header.id(), b.header.id());
    /// ```
    #[must_use]
    pub fn with_id(mut self, id: [u8; 16]) -> Self {
        self.header.set_id(id);
        self
    }

    /// The exact size of the transport message carrying `data_len` bytes
    /// without a fragment header: `16 + header + align(4 + data_len)`.
    pub const fn buffer_len(&self, data_len: usize) -> usize {
        envelope_len(self.header.format(), data_len, false)
    }

    /// The exact size of the transport message carrying a fragment of
    /// `data_len` bytes: [`EnvelopeRepr::buffer_len`] plus 20.
    pub const fn fragment_buffer_len(&self, data_len: usize) -> usize {
        envelope_len(self.header.format(), data_len, true)
    }

    /// Writes the transport message carrying `data` into `buf`, returning
    /// its length.
    ///
    /// Data over 65531 bytes is [`ErrorKind::TooLarge`] (split it with a
    /// [`Splitter`](super::Splitter)); a buffer shorter than
    /// [`EnvelopeRepr::buffer_len`] is [`ErrorKind::BufferTooSmall`] with
    /// that length as `needed`, and nothing is written.
    pub fn emit(&self, data: &[u8], buf: &mut [u8]) -> Result<usize, Error> {
        self.emit_inner(data, None, buf)
    }

    /// Writes a transport message carrying `data` and the fragment header
    /// `fragment`, returning its length. Errors as [`EnvelopeRepr::emit`]
    /// (with [`EnvelopeRepr::fragment_buffer_len`]).
    pub fn emit_fragment(
        &self,
        data: &[u8],
        fragment: &FragmentHdr,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        self.emit_inner(data, Some(fragment), buf)
    }

    fn emit_inner(
        &self,
        data: &[u8],
        fragment: Option<&FragmentHdr>,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        if data.len() > NLA_MAX_PAYLOAD {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: data.len(),
                    max: NLA_MAX_PAYLOAD,
                },
                NLMSG_HDRLEN + self.header.format().header_len(),
            ));
        }
        let needed = envelope_len(self.header.format(), data.len(), fragment.is_some());
        if buf.len() < needed {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
        }
        let mut b = Builder::new(buf);
        let mut m = b.message(
            NLMSG_TRANSPORT,
            Flags::from_bits_retain(self.flags.bits()),
            self.seq,
            self.pid,
        )?;
        m.put_bytes_raw(self.header.as_bytes())?;
        m.put(IPR_ATTR_CDATA, data)?;
        if let Some(fragment) = fragment {
            m.put(IPR_ATTR_FRAGMENT, fragment.as_bytes())?;
        }
        m.finish()
    }
}

/// Printable ASCII up to a NUL, and only NULs after it: how an
/// `IPR_ATTR_CNAME` looks.
fn is_name_shaped(payload: &[u8]) -> bool {
    let Some(nul) = payload.iter().position(|&b| b == 0) else {
        return false;
    };
    let (text, rest) = payload.split_at(nul);
    text.iter().all(|b| (0x20..0x7f).contains(b)) && rest.iter().all(|&b| b == 0)
}

/// `16 + header + align(4 + data_len)` (+ 24 with a fragment header),
/// saturating.
pub(crate) const fn envelope_len(format: EnvelopeFormat, data_len: usize, fragment: bool) -> usize {
    let fixed = NLMSG_HDRLEN + format.header_len() + NLA_HDRLEN;
    let frag = if fragment {
        NLA_HDRLEN + FRAGMENT_HDRLEN
    } else {
        0
    };
    align(data_len.saturating_add(fixed)).saturating_add(frag)
}
