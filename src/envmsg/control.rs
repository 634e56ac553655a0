//! Control messages: `nlmsghdr` (type [`NLMSG_CONTROL`]) +
//! `genlmsghdr` + attributes, alone or inside a transport envelope.

use core::fmt;

use super::envelope::EnvelopeRepr;
use super::header::{IPR_ATTR_CDATA, NLMSG_CONTROL, TransportFlags};
use crate::netlink::{
    Attr, Attrs, Builder, GenlMsgHdr, Message, MessageBuilder, NLA_HDRLEN, NLMSG_HDRLEN, NlMsgHdr,
    flags::Flags,
};
use crate::{Error, ErrorKind};

/// A control command (`genlmsghdr.cmd`); unknown values are kept.
///
/// ```
/// use procslink::envmsg::ControlCommand;
///
/// assert_eq!(ControlCommand::CONNECT.0, 7);
/// assert_eq!(ControlCommand::CONNECT.to_string(), "IPRCMD_CONNECT");
/// assert_eq!(ControlCommand(99).name(), None);
/// assert_eq!(ControlCommand(99).to_string(), "99");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ControlCommand(pub u8);

impl ControlCommand {
    /// `IPRCMD_NOOP`.
    pub const NOOP: Self = Self(0);
    /// `IPRCMD_STOP`.
    pub const STOP: Self = Self(1);
    /// `IPRCMD_ACK`.
    pub const ACK: Self = Self(2);
    /// `IPRCMD_ERR`.
    pub const ERR: Self = Self(3);
    /// `IPRCMD_REGISTER`.
    pub const REGISTER: Self = Self(4);
    /// `IPRCMD_RELOAD`.
    pub const RELOAD: Self = Self(5);
    /// `IPRCMD_ROUTE`.
    pub const ROUTE: Self = Self(6);
    /// `IPRCMD_CONNECT`.
    pub const CONNECT: Self = Self(7);
    /// `IPRCMD_DISCONNECT`.
    pub const DISCONNECT: Self = Self(8);
    /// `IPRCMD_SERVE`.
    pub const SERVE: Self = Self(9);
    /// `IPRCMD_SHUTDOWN`.
    pub const SHUTDOWN: Self = Self(10);
    /// `IPRCMD_SUBSCRIBE`.
    pub const SUBSCRIBE: Self = Self(11);
    /// `IPRCMD_UNSUBSCRIBE`.
    pub const UNSUBSCRIBE: Self = Self(12);
    /// `IPRCMD_PROVIDE`.
    pub const PROVIDE: Self = Self(13);
    /// `IPRCMD_REMOVE`.
    pub const REMOVE: Self = Self(14);
    /// `IPRCMD_DISCOVER`.
    pub const DISCOVER: Self = Self(15);
    /// `IPRCMD_UNREGISTER`.
    pub const UNREGISTER: Self = Self(16);

    /// pyroute2's name for the command, if it is a known one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "IPRCMD_NOOP",
            1 => "IPRCMD_STOP",
            2 => "IPRCMD_ACK",
            3 => "IPRCMD_ERR",
            4 => "IPRCMD_REGISTER",
            5 => "IPRCMD_RELOAD",
            6 => "IPRCMD_ROUTE",
            7 => "IPRCMD_CONNECT",
            8 => "IPRCMD_DISCONNECT",
            9 => "IPRCMD_SERVE",
            10 => "IPRCMD_SHUTDOWN",
            11 => "IPRCMD_SUBSCRIBE",
            12 => "IPRCMD_UNSUBSCRIBE",
            13 => "IPRCMD_PROVIDE",
            14 => "IPRCMD_REMOVE",
            15 => "IPRCMD_DISCOVER",
            16 => "IPRCMD_UNREGISTER",
            _ => return None,
        })
    }
}

impl From<u8> for ControlCommand {
    fn from(v: u8) -> Self {
        ControlCommand(v)
    }
}

impl fmt::Display for ControlCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for ControlCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ControlCommand({})", self.0),
        }
    }
}

/// `IPR_ATTR_SECRET` (NUL-terminated string).
pub const IPR_ATTR_SECRET: u16 = 0;
/// `IPR_ATTR_HOST` (NUL-terminated string, e.g. `tcp://localhost:9824`).
pub const IPR_ATTR_HOST: u16 = 1;
/// `IPR_ATTR_SSL_KEY` (NUL-terminated string).
pub const IPR_ATTR_SSL_KEY: u16 = 2;
/// `IPR_ATTR_SSL_CERT` (NUL-terminated string).
pub const IPR_ATTR_SSL_CERT: u16 = 3;
/// `IPR_ATTR_SSL_CA` (NUL-terminated string).
pub const IPR_ATTR_SSL_CA: u16 = 4;
/// `IPR_ATTR_ADDR` (u32).
pub const IPR_ATTR_ADDR: u16 = 5;
/// `IPR_ATTR_ERROR` (NUL-terminated string).
pub const IPR_ATTR_ERROR: u16 = 6;
/// `IPR_ATTR_CID` (u32).
pub const IPR_ATTR_CID: u16 = 7;
/// `IPR_ATTR_KEY` (three u32: offset, key, mask; 12 bytes).
pub const IPR_ATTR_KEY: u16 = 8;
/// `IPR_ATTR_UUID` (NUL-terminated string).
pub const IPR_ATTR_UUID: u16 = 9;
/// `IPR_ATTR_SOURCE` (u32).
pub const IPR_ATTR_SOURCE: u16 = 10;
/// `IPR_ATTR_PID` (u32).
pub const IPR_ATTR_PID: u16 = 11;

/// The payload size of `IPR_ATTR_KEY`: 12 bytes.
pub const IPR_KEY_LEN: usize = 12;

/// One control attribute, decoded.
///
/// Strings are NUL-terminated UTF-8 (text ends at the first NUL), integers
/// are host order (or big-endian when `NLA_F_NET_BYTEORDER` is set).
/// Attribute types pyroute2 does not define are kept as
/// [`ControlAttr::Unknown`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlAttr<'a> {
    /// `IPR_ATTR_SECRET`.
    Secret(&'a str),
    /// `IPR_ATTR_HOST`.
    Host(&'a str),
    /// `IPR_ATTR_SSL_KEY`.
    SslKey(&'a str),
    /// `IPR_ATTR_SSL_CERT`.
    SslCert(&'a str),
    /// `IPR_ATTR_SSL_CA`.
    SslCa(&'a str),
    /// `IPR_ATTR_ADDR`.
    Addr(u32),
    /// `IPR_ATTR_ERROR`.
    Error(&'a str),
    /// `IPR_ATTR_CID`.
    Cid(u32),
    /// `IPR_ATTR_KEY`.
    Key {
        /// Offset of the keyed field.
        offset: u32,
        /// The key.
        key: u32,
        /// The mask.
        mask: u32,
    },
    /// `IPR_ATTR_UUID`.
    Uuid(&'a str),
    /// `IPR_ATTR_SOURCE`.
    Source(u32),
    /// `IPR_ATTR_PID`.
    Pid(u32),
    /// Any other type, undecoded.
    Unknown(Attr<'a>),
}

impl<'a> ControlAttr<'a> {
    /// Decodes `attr` by its type (flag bits masked off). A string without
    /// NUL is [`ErrorKind::NotNulTerminated`], bad UTF-8
    /// [`ErrorKind::InvalidUtf8`], an integer or key of the wrong size
    /// [`ErrorKind::WrongSize`]; all at the attribute's offset.
    ///
    /// ```
    /// use procslink::envmsg::{ControlAttr, IPR_ATTR_KEY};
    /// use procslink::netlink::Attr;
    ///
    /// let mut payload = [0u8; 12];
    /// payload[..4].copy_from_slice(&1u32.to_ne_bytes());
    /// payload[4..8].copy_from_slice(&2u32.to_ne_bytes());
    /// payload[8..].copy_from_slice(&3u32.to_ne_bytes());
    /// let attr = Attr::from_parts(IPR_ATTR_KEY, &payload, 0);
    /// assert_eq!(ControlAttr::decode(attr)?, ControlAttr::Key { offset: 1, key: 2, mask: 3 });
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn decode(attr: Attr<'a>) -> Result<Self, Error> {
        Ok(match attr.kind() {
            IPR_ATTR_SECRET => ControlAttr::Secret(attr.str()?),
            IPR_ATTR_HOST => ControlAttr::Host(attr.str()?),
            IPR_ATTR_SSL_KEY => ControlAttr::SslKey(attr.str()?),
            IPR_ATTR_SSL_CERT => ControlAttr::SslCert(attr.str()?),
            IPR_ATTR_SSL_CA => ControlAttr::SslCa(attr.str()?),
            IPR_ATTR_ADDR => ControlAttr::Addr(attr.u32()?),
            IPR_ATTR_ERROR => ControlAttr::Error(attr.str()?),
            IPR_ATTR_CID => ControlAttr::Cid(attr.u32()?),
            IPR_ATTR_KEY => {
                let Ok(bytes) = <[u8; IPR_KEY_LEN]>::try_from(attr.payload()) else {
                    return Err(Error::new(
                        ErrorKind::WrongSize {
                            expected: IPR_KEY_LEN,
                            found: attr.payload().len(),
                        },
                        attr.offset(),
                    ));
                };
                let [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3] = bytes;
                let word = |w: [u8; 4]| {
                    if attr.is_net_byteorder() {
                        u32::from_be_bytes(w)
                    } else {
                        u32::from_ne_bytes(w)
                    }
                };
                ControlAttr::Key {
                    offset: word([a0, a1, a2, a3]),
                    key: word([b0, b1, b2, b3]),
                    mask: word([c0, c1, c2, c3]),
                }
            }
            IPR_ATTR_UUID => ControlAttr::Uuid(attr.str()?),
            IPR_ATTR_SOURCE => ControlAttr::Source(attr.u32()?),
            IPR_ATTR_PID => ControlAttr::Pid(attr.u32()?),
            _ => ControlAttr::Unknown(attr),
        })
    }

    /// The attribute type this value is written with (for
    /// [`ControlAttr::Unknown`], the type with its flag bits).
    pub const fn attr_type(&self) -> u16 {
        match self {
            ControlAttr::Secret(_) => IPR_ATTR_SECRET,
            ControlAttr::Host(_) => IPR_ATTR_HOST,
            ControlAttr::SslKey(_) => IPR_ATTR_SSL_KEY,
            ControlAttr::SslCert(_) => IPR_ATTR_SSL_CERT,
            ControlAttr::SslCa(_) => IPR_ATTR_SSL_CA,
            ControlAttr::Addr(_) => IPR_ATTR_ADDR,
            ControlAttr::Error(_) => IPR_ATTR_ERROR,
            ControlAttr::Cid(_) => IPR_ATTR_CID,
            ControlAttr::Key { .. } => IPR_ATTR_KEY,
            ControlAttr::Uuid(_) => IPR_ATTR_UUID,
            ControlAttr::Source(_) => IPR_ATTR_SOURCE,
            ControlAttr::Pid(_) => IPR_ATTR_PID,
            ControlAttr::Unknown(a) => a.raw_type(),
        }
    }
}

/// An iterator over a control message's attributes, decoded.
///
/// Yields `Err` for the first attribute that is malformed or fails to
/// decode, then stops for good.
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ControlAttrs<'a> {
    attrs: Attrs<'a>,
    failed: bool,
}

impl<'a> ControlAttrs<'a> {
    /// Decodes the attributes of `attrs`.
    pub const fn new(attrs: Attrs<'a>) -> Self {
        ControlAttrs {
            attrs,
            failed: false,
        }
    }
}

impl<'a> Iterator for ControlAttrs<'a> {
    type Item = Result<ControlAttr<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.attrs.next()?.and_then(ControlAttr::decode);
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

impl core::iter::FusedIterator for ControlAttrs<'_> {}

/// A checked view of a control message: `nlmsghdr` of type
/// [`NLMSG_CONTROL`] with a `genlmsghdr`, and the run of attributes after
/// it.
///
/// ```
/// use procslink::envmsg::{ControlAttr, ControlCommand, ControlMessage, ControlRepr};
///
/// let mut buf = [0u8; 64];
/// let len = ControlRepr::new(ControlCommand::SUBSCRIBE).emit(&mut buf, |w| w.cid(42))?;
/// let msg = ControlMessage::parse(&buf[..len])?;
/// assert_eq!(msg.command(), ControlCommand::SUBSCRIBE);
/// let attrs: Result<Vec<_>, _> = msg.attrs().collect();
/// assert_eq!(attrs?, [ControlAttr::Cid(42)]);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone)]
pub struct ControlMessage<'a> {
    message: Message<'a>,
    header: &'a GenlMsgHdr,
    attrs: &'a [u8],
    attrs_offset: usize,
}

impl<'a> ControlMessage<'a> {
    /// Views the control message at the start of `buf` (bytes after its
    /// `nlmsg_len` are ignored).
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        Self::parse_at(buf, 0)
    }

    /// As [`ControlMessage::parse`], for `buf` found `offset` bytes into the
    /// caller's buffer.
    pub(crate) fn parse_at(buf: &'a [u8], offset: usize) -> Result<Self, Error> {
        Self::from_message(Message::parse_at(buf, offset)?)
    }

    /// Views a parsed netlink message as a control message: its type must
    /// be [`NLMSG_CONTROL`] ([`ErrorKind::UnexpectedType`]) and its payload
    /// must start with a `genlmsghdr` ([`ErrorKind::Truncated`]). The flags
    /// are not checked (pyroute2 sets 1).
    pub fn from_message(message: Message<'a>) -> Result<Self, Error> {
        let found = message.message_type().0;
        if found != NLMSG_CONTROL.0 {
            return Err(Error::new(
                ErrorKind::UnexpectedType {
                    expected: NLMSG_CONTROL.0,
                    found,
                },
                message.offset(),
            ));
        }
        let (header, attrs) = message.genl()?;
        Ok(ControlMessage {
            message,
            header,
            attrs: attrs.remaining(),
            attrs_offset: attrs.offset(),
        })
    }

    /// The netlink message.
    pub fn message(&self) -> Message<'a> {
        self.message
    }

    /// The `genlmsghdr`.
    pub fn genl_header(&self) -> &'a GenlMsgHdr {
        self.header
    }

    /// The command.
    pub fn command(&self) -> ControlCommand {
        ControlCommand(self.header.cmd)
    }

    /// `genlmsghdr.version`.
    pub fn version(&self) -> u8 {
        self.header.version
    }

    /// `nlmsg_flags` (pyroute2 writes 1).
    pub fn flags(&self) -> Flags {
        self.message.flags()
    }

    /// `nlmsg_seq`.
    pub fn seq(&self) -> u32 {
        self.message.seq()
    }

    /// `nlmsg_pid`.
    pub fn pid(&self) -> u32 {
        self.message.pid()
    }

    /// The attributes, undecoded.
    pub fn raw_attrs(&self) -> Attrs<'a> {
        Attrs::with_offset(self.attrs, self.attrs_offset)
    }

    /// The attributes, decoded.
    pub fn attrs(&self) -> ControlAttrs<'a> {
        ControlAttrs::new(self.raw_attrs())
    }

    /// The header fields, to build a message like this one.
    pub fn repr(&self) -> ControlRepr {
        ControlRepr {
            command: self.command(),
            version: self.version(),
            flags: self.flags().bits(),
            seq: self.seq(),
            pid: self.pid(),
        }
    }
}

impl fmt::Debug for ControlMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlMessage")
            .field("offset", &self.message.offset())
            .field("command", &self.command())
            .field("version", &self.version())
            .field("seq", &self.seq())
            .field("pid", &self.pid())
            .finish()
    }
}

impl fmt::Display for ControlMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "control {} version {} seq {} pid {}",
            self.command(),
            self.version(),
            self.seq(),
            self.pid()
        )
    }
}

/// Appends control attributes to a message being built; handed to the
/// closure of [`ControlRepr::emit`] and [`ControlRepr::emit_in_envelope`].
///
/// Every method refuses what does not fit with
/// [`ErrorKind::BufferTooSmall`] (or [`ErrorKind::TooLarge`] for a payload
/// over 65531 bytes) and leaves the message as it was; a string with a NUL
/// inside is [`ErrorKind::Misuse`].
#[derive(Debug)]
pub struct ControlWriter<'m, 'a, 'b> {
    m: &'m mut MessageBuilder<'a, 'b>,
}

impl ControlWriter<'_, '_, '_> {
    /// Appends `IPR_ATTR_SECRET`.
    pub fn secret(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_SECRET, value)
    }

    /// Appends `IPR_ATTR_HOST`.
    pub fn host(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_HOST, value)
    }

    /// Appends `IPR_ATTR_SSL_KEY`.
    pub fn ssl_key(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_SSL_KEY, value)
    }

    /// Appends `IPR_ATTR_SSL_CERT`.
    pub fn ssl_cert(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_SSL_CERT, value)
    }

    /// Appends `IPR_ATTR_SSL_CA`.
    pub fn ssl_ca(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_SSL_CA, value)
    }

    /// Appends `IPR_ATTR_ADDR`.
    pub fn addr(&mut self, value: u32) -> Result<(), Error> {
        self.m.put_u32(IPR_ATTR_ADDR, value)
    }

    /// Appends `IPR_ATTR_ERROR`.
    pub fn error(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_ERROR, value)
    }

    /// Appends `IPR_ATTR_CID`.
    pub fn cid(&mut self, value: u32) -> Result<(), Error> {
        self.m.put_u32(IPR_ATTR_CID, value)
    }

    /// Appends `IPR_ATTR_KEY`: `offset`, `key`, `mask` as three host-order
    /// u32.
    pub fn key(&mut self, offset: u32, key: u32, mask: u32) -> Result<(), Error> {
        let mut payload = [0u8; IPR_KEY_LEN];
        let (a, rest) = payload.split_at_mut(4);
        let (b, c) = rest.split_at_mut(4);
        a.copy_from_slice(&offset.to_ne_bytes());
        b.copy_from_slice(&key.to_ne_bytes());
        c.copy_from_slice(&mask.to_ne_bytes());
        self.m.put(IPR_ATTR_KEY, &payload)
    }

    /// Appends `IPR_ATTR_UUID`.
    pub fn uuid(&mut self, value: &str) -> Result<(), Error> {
        self.m.put_str(IPR_ATTR_UUID, value)
    }

    /// Appends `IPR_ATTR_SOURCE`.
    pub fn source(&mut self, value: u32) -> Result<(), Error> {
        self.m.put_u32(IPR_ATTR_SOURCE, value)
    }

    /// Appends `IPR_ATTR_PID`.
    pub fn pid(&mut self, value: u32) -> Result<(), Error> {
        self.m.put_u32(IPR_ATTR_PID, value)
    }

    /// Appends an attribute of any type with a raw payload (flag bits of
    /// `ty` kept).
    pub fn raw(&mut self, ty: u16, payload: &[u8]) -> Result<(), Error> {
        self.m.put(ty, payload)
    }

    /// Appends a decoded attribute (an [`ControlAttr::Unknown`] is written
    /// back with its type and payload as they were).
    pub fn attr(&mut self, attr: &ControlAttr<'_>) -> Result<(), Error> {
        match *attr {
            ControlAttr::Secret(s) => self.secret(s),
            ControlAttr::Host(s) => self.host(s),
            ControlAttr::SslKey(s) => self.ssl_key(s),
            ControlAttr::SslCert(s) => self.ssl_cert(s),
            ControlAttr::SslCa(s) => self.ssl_ca(s),
            ControlAttr::Addr(v) => self.addr(v),
            ControlAttr::Error(s) => self.error(s),
            ControlAttr::Cid(v) => self.cid(v),
            ControlAttr::Key { offset, key, mask } => self.key(offset, key, mask),
            ControlAttr::Uuid(s) => self.uuid(s),
            ControlAttr::Source(v) => self.source(v),
            ControlAttr::Pid(v) => self.pid(v),
            ControlAttr::Unknown(a) => self.raw(a.raw_type(), a.payload()),
        }
    }

    /// Bytes written to the message being built so far, its header
    /// included (for [`ControlRepr::emit_in_envelope`], the transport
    /// message's).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.m.len()
    }
}

/// The `nlmsg_flags` the seed document gives control messages (1). pyroute2
/// 0.2.x reads any value and writes 0 ([`ControlRepr::new`]'s default);
/// only the outer transport header carries `NLT_CONTROL`.
pub const CONTROL_FLAGS: u16 = 1;

/// The header fields of a control message, to build one.
///
/// ```
/// use procslink::envmsg::{ControlCommand, ControlRepr, Envelope, EnvelopeFormat, EnvelopeRepr};
///
/// // IPRCMD_CONNECT inside a transport envelope, in one buffer.
/// let envelope = EnvelopeRepr::default().with_id([1; 16]);
/// let mut buf = [0u8; 128];
/// let len = ControlRepr::new(ControlCommand::CONNECT).emit_in_envelope(&envelope, &mut buf, |w| {
///     w.host("tcp://localhost:9824")
/// })?;
///
/// let env = Envelope::parse(&buf[..len], EnvelopeFormat::PortsId)?;
/// assert!(env.is_control());
/// let ctrl = env.control()?;
/// assert_eq!(ctrl.command(), ControlCommand::CONNECT);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ControlRepr {
    /// The command (`genlmsghdr.cmd`).
    pub command: ControlCommand,
    /// `genlmsghdr.version`.
    pub version: u8,
    /// The control message's own `nlmsg_flags`: 0 as pyroute2 writes them
    /// (the seed document says [`CONTROL_FLAGS`]).
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
}

impl ControlRepr {
    /// A repr for `command`; version, flags, sequence number and port id 0,
    /// as pyroute2 0.2.x writes them.
    pub const fn new(command: ControlCommand) -> Self {
        ControlRepr {
            command,
            version: 0,
            flags: 0,
            seq: 0,
            pid: 0,
        }
    }

    /// Writes a control message into `buf`: its headers, then whatever
    /// `attrs` appends. Returns the message's length.
    ///
    /// Errors from the builder (a short buffer is
    /// [`ErrorKind::BufferTooSmall`]) and from `attrs` are passed on; the
    /// bytes in `buf` are then unspecified, but nothing is written past it.
    pub fn emit<F>(&self, buf: &mut [u8], attrs: F) -> Result<usize, Error>
    where
        F: FnOnce(&mut ControlWriter<'_, '_, '_>) -> Result<(), Error>,
    {
        let mut b = Builder::new(buf);
        let mut m = b.message(
            NLMSG_CONTROL,
            Flags::from_bits_retain(self.flags),
            self.seq,
            self.pid,
        )?;
        m.family_header(&GenlMsgHdr::new(self.command.0, self.version))?;
        attrs(&mut ControlWriter { m: &mut m })?;
        m.finish()
    }

    /// Writes a transport message whose data is this control message, in
    /// one pass into `buf`: the envelope's headers from `envelope` (with
    /// `NLT_CONTROL` added to its flags), then the control message, then
    /// both lengths and the data attribute's length are patched. Returns
    /// the transport message's length.
    ///
    /// A control message over 65531 bytes does not fit one attribute and is
    /// [`ErrorKind::TooLarge`]: build it with [`ControlRepr::emit`] into a
    /// scratch buffer and send it through a [`Splitter`](super::Splitter).
    /// Other errors as [`ControlRepr::emit`].
    pub fn emit_in_envelope<F>(
        &self,
        envelope: &EnvelopeRepr,
        buf: &mut [u8],
        attrs: F,
    ) -> Result<usize, Error>
    where
        F: FnOnce(&mut ControlWriter<'_, '_, '_>) -> Result<(), Error>,
    {
        let outer_fixed = NLMSG_HDRLEN + envelope.header.format().header_len() + NLA_HDRLEN;
        let len = {
            let mut b = Builder::new(&mut *buf);
            let flags = envelope.flags | TransportFlags::CONTROL;
            let mut m = b.message(
                super::header::NLMSG_TRANSPORT,
                Flags::from_bits_retain(flags.bits()),
                envelope.seq,
                envelope.pid,
            )?;
            m.put_bytes_raw(envelope.header.as_bytes())?;
            let mut nest = m.nest(IPR_ATTR_CDATA)?;
            // The inner header's length is patched below, once known.
            let inner = NlMsgHdr::new(
                NLMSG_HDRLEN as u32,
                NLMSG_CONTROL.0,
                self.flags,
                self.seq,
                self.pid,
            );
            nest.family_header(&inner)?;
            nest.family_header(&GenlMsgHdr::new(self.command.0, self.version))?;
            attrs(&mut ControlWriter { m: &mut nest })?;
            nest.end()?;
            m.finish()?
        };
        // The nest's contents are the inner message, padded attributes and
        // all, and nothing follows them: its length is the rest.
        let inner_len = len.saturating_sub(outer_fixed);
        let Ok(inner_len) = u32::try_from(inner_len) else {
            return Err(Error::new(ErrorKind::Misuse, outer_fixed));
        };
        match buf.get_mut(outer_fixed..outer_fixed + 4) {
            Some(dst) => dst.copy_from_slice(&inner_len.to_ne_bytes()),
            None => return Err(Error::new(ErrorKind::Misuse, outer_fixed)),
        }
        Ok(len)
    }
}
