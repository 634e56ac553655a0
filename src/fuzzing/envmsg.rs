//! Descriptions of pyroute2 transport messages: an envelope carrying data
//! or a control message, written with the [`envmsg`](crate::envmsg)
//! builders.
//!
//! To break a written envelope, use the netlink [`Mutation`] with the
//! envelope's header size as the family header
//! (`|_, _| format.header_len()`): a transport message is a netlink message
//! whose family header is the `envmsghdr`.
//!
//! [`Mutation`]: super::Mutation

use heapless::Vec as HVec;

use super::describe::{Mismatch, differs};
use crate::Error;
use crate::envmsg::{ControlAttr, ControlRepr, Envelope, EnvelopeRepr, TransportFlags};

/// The most attributes a [`ControlDesc`] holds.
pub const MAX_CONTROL_ATTRS: usize = 12;

/// A control message: its header fields and attributes (strings without
/// NUL; [`ControlAttr::Unknown`] is not described, as its view carries an
/// offset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlDesc<'a> {
    /// Command, version, sequence number, port id.
    pub repr: ControlRepr,
    /// The attributes, in order.
    pub attrs: HVec<ControlAttr<'a>, MAX_CONTROL_ATTRS>,
}

/// What an envelope carries.
// No allocation, so no `Box`: a description is a stack value.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvBody<'a> {
    /// Opaque data (at most 65531 bytes).
    Data(&'a [u8]),
    /// A control message (written with `NLT_CONTROL` added to the flags).
    Control(ControlDesc<'a>),
}

/// A pyroute2 transport message.
///
/// ```
/// use procslink::envmsg::{ControlAttr, ControlCommand, ControlRepr, EnvelopeRepr};
/// use procslink::fuzzing::{ControlDesc, EnvBody, EnvelopeDesc};
///
/// let mut control = ControlDesc { repr: ControlRepr::new(ControlCommand::CONNECT), ..Default::default() };
/// control.attrs.push(ControlAttr::Host("tcp://localhost:9824")).unwrap();
/// let desc = EnvelopeDesc {
///     repr: EnvelopeRepr::default().with_id([3; 16]),
///     body: EnvBody::Control(control),
/// };
/// let mut buf = [0u8; 256];
/// let len = desc.write(&mut buf)?;
/// assert_eq!(desc.verify(&buf[..len]), Ok(()));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeDesc<'a> {
    /// The envelope's header fields (its `envmsghdr` variant decides the
    /// format).
    pub repr: EnvelopeRepr,
    /// What it carries.
    pub body: EnvBody<'a>,
}

impl EnvelopeDesc<'_> {
    /// Writes the transport message into `buf` with
    /// [`EnvelopeRepr::emit`] or [`ControlRepr::emit_in_envelope`],
    /// returning its length; their errors (a short buffer is
    /// [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall)).
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        match &self.body {
            EnvBody::Data(data) => self.repr.emit(data, buf),
            EnvBody::Control(c) => c.repr.emit_in_envelope(&self.repr, buf, |w| {
                c.attrs.iter().try_for_each(|a| w.attr(a))
            }),
        }
    }

    /// The flags the written message carries.
    ///
    /// ```
    /// use procslink::envmsg::{EnvelopeRepr, TransportFlags};
    /// use procslink::fuzzing::{ControlDesc, EnvBody, EnvelopeDesc};
    ///
    /// let desc = EnvelopeDesc { repr: EnvelopeRepr::default(), body: EnvBody::Control(ControlDesc::default()) };
    /// assert_eq!(desc.wire_flags(), TransportFlags::CONTROL);
    /// ```
    pub fn wire_flags(&self) -> TransportFlags {
        match self.body {
            EnvBody::Data(_) => self.repr.flags,
            EnvBody::Control(_) => self.repr.flags | TransportFlags::CONTROL,
        }
    }

    /// Parses `bytes` with [`Envelope::parse`] (and
    /// [`Envelope::control`]) and checks every field against the
    /// description.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Mismatch> {
        let env = Envelope::parse(bytes, self.repr.header.format())?;
        let mut expected = self.repr;
        expected.flags = self.wire_flags();
        if env.repr() != expected {
            return Err(differs(0, "envelope header"));
        }
        match &self.body {
            EnvBody::Data(data) => {
                if env.data() != *data {
                    return Err(differs(env.data_offset(), "data"));
                }
            }
            EnvBody::Control(c) => {
                let ctrl = env.control()?;
                if ctrl.repr() != c.repr {
                    return Err(differs(env.data_offset(), "control header"));
                }
                let mut attrs = ctrl.attrs();
                for want in &c.attrs {
                    let at = env.data_offset();
                    match attrs.next() {
                        Some(got) if got? == *want => {}
                        _ => return Err(differs(at, "control attribute")),
                    }
                }
                if attrs.next().is_some() {
                    return Err(differs(env.data_offset(), "control attribute count"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{ControlDesc, EnvBody, EnvelopeDesc, MAX_CONTROL_ATTRS};
    use crate::envmsg::{
        ControlAttr, ControlCommand, ControlRepr, EnvHeader, EnvMsgHdr, EnvMsgHdrId,
        EnvMsgHdrPorts, EnvelopeRepr, TransportFlags,
    };
    use crate::netlink::NLA_MAX_PAYLOAD;

    fn text<'a>(u: &mut Unstructured<'a>) -> Result<&'a str> {
        let s: &str = u.arbitrary()?;
        Ok(s.split('\0').next().unwrap_or_default())
    }

    impl<'a> Arbitrary<'a> for ControlDesc<'a> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let repr = ControlRepr {
                command: ControlCommand(u.int_in_range(0..=17)?),
                version: u.arbitrary()?,
                flags: u.arbitrary()?,
                seq: u.arbitrary()?,
                pid: u.arbitrary()?,
            };
            let mut desc = ControlDesc {
                repr,
                ..Default::default()
            };
            for _ in 0..u.int_in_range(0..=MAX_CONTROL_ATTRS)? {
                let attr = match u.int_in_range(0..=11u8)? {
                    0 => ControlAttr::Secret(text(u)?),
                    1 => ControlAttr::Host(text(u)?),
                    2 => ControlAttr::SslKey(text(u)?),
                    3 => ControlAttr::SslCert(text(u)?),
                    4 => ControlAttr::SslCa(text(u)?),
                    5 => ControlAttr::Addr(u.arbitrary()?),
                    6 => ControlAttr::Error(text(u)?),
                    7 => ControlAttr::Cid(u.arbitrary()?),
                    8 => ControlAttr::Key {
                        offset: u.arbitrary()?,
                        key: u.arbitrary()?,
                        mask: u.arbitrary()?,
                    },
                    9 => ControlAttr::Uuid(text(u)?),
                    10 => ControlAttr::Source(u.arbitrary()?),
                    _ => ControlAttr::Pid(u.arbitrary()?),
                };
                if desc.attrs.push(attr).is_err() {
                    break;
                }
            }
            Ok(desc)
        }
    }

    impl<'a> Arbitrary<'a> for EnvelopeDesc<'a> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let (dst, src): (u32, u32) = u.arbitrary()?;
            let header = match u.int_in_range(0..=2u8)? {
                // pyroute2's layout (the default) first, where
                // `Unstructured` falls when the input runs out.
                1 => EnvHeader::Basic(EnvMsgHdr::new(dst, src)),
                2 => EnvHeader::Ports(EnvMsgHdrPorts::new(
                    dst,
                    u.arbitrary()?,
                    src,
                    u.arbitrary()?,
                    u.arbitrary()?,
                )),
                _ => EnvHeader::PortsId(EnvMsgHdrId::new(
                    dst,
                    u.arbitrary()?,
                    src,
                    u.arbitrary()?,
                    u.arbitrary()?,
                    u.arbitrary()?,
                )),
            };
            let repr = EnvelopeRepr {
                header,
                flags: TransportFlags::from_bits_retain(u.arbitrary()?),
                seq: u.arbitrary()?,
                pid: u.arbitrary()?,
            };
            let body = if u.arbitrary()? {
                let data: &[u8] = u.arbitrary()?;
                EnvBody::Data(data.get(..NLA_MAX_PAYLOAD).unwrap_or(data))
            } else {
                EnvBody::Control(u.arbitrary()?)
            };
            Ok(EnvelopeDesc { repr, body })
        }
    }
}
