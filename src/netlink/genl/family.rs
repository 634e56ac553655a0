//! Resolving a generic netlink family by name: the controller's
//! (`nlctrl`'s) `CTRL_CMD_GETFAMILY` request and its `CTRL_CMD_NEWFAMILY`
//! answer.
//!
//! Generic netlink families (`ethtool`, `wireguard`, `devlink`, …) get
//! their message type (the family id) and multicast group ids when they
//! register, so a program asks the controller for them by name first:
//! [`family_request`] writes the question, [`Family::parse`] reads the
//! answer, both in the caller's buffers.
//!
//! ```
//! use procslink::netlink::Message;
//! use procslink::netlink::genl::{Family, family_request};
//!
//! let mut request = [0u8; 64];
//! let len = family_request(&mut request, 1, "nlctrl")?;
//! # let answer = procslink::netlink::genl::doc_example_family();
//! // ... send request[..len] on a NETLINK_GENERIC socket; the answer is:
//! let family = Family::parse(&Message::parse(&answer)?)?;
//! assert_eq!((family.name(), family.id()), ("nlctrl", 0x10));
//! assert_eq!(family.group("notify")?, Some(0x10));
//! for op in family.ops() {
//!     let op = op?;
//!     assert!(op.id > 0);
//! }
//! # let _ = len;
//! # Ok::<(), procslink::Error>(())
//! ```

use core::fmt;

use super::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR,
    CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_OPS, CTRL_ATTR_VERSION, CTRL_CMD_GETFAMILY,
    CTRL_CMD_NEWFAMILY, GENL_ID_CTRL, GenlMsgHdr,
};
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::{Attr, Attrs, Builder, Message};
use crate::{Error, ErrorKind, PolicyViolation};

/// `CTRL_ATTR_OP_ID` (u32), in each of [`CTRL_ATTR_OPS`]' nests.
pub const CTRL_ATTR_OP_ID: u16 = 1;
/// `CTRL_ATTR_OP_FLAGS` (u32), in each of [`CTRL_ATTR_OPS`]' nests.
pub const CTRL_ATTR_OP_FLAGS: u16 = 2;
/// `CTRL_ATTR_MCAST_GRP_NAME` (string), in each of
/// [`CTRL_ATTR_MCAST_GROUPS`]' nests.
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
/// `CTRL_ATTR_MCAST_GRP_ID` (u32), in each of [`CTRL_ATTR_MCAST_GROUPS`]'
/// nests.
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

/// The controller's interface version this module speaks.
const CTRL_VERSION: u8 = 1;

/// Writes into `buf` a `CTRL_CMD_GETFAMILY` request for the family named
/// `name`, with sequence number `seq`; its length.
///
/// # Errors
///
/// [`ErrorKind::BufferTooSmall`] when `buf` cannot hold it (20 bytes and
/// the name's, NUL and padding included, suffice).
pub fn family_request(buf: &mut [u8], seq: u32, name: &str) -> Result<usize, Error> {
    let mut b = Builder::new(buf);
    let mut m = b.message(GENL_ID_CTRL, Flags::REQUEST, seq, 0)?;
    m.family_header(&GenlMsgHdr::new(CTRL_CMD_GETFAMILY, CTRL_VERSION))?;
    m.put_str(CTRL_ATTR_FAMILY_NAME, name)?;
    m.finish()
}

/// Writes into `buf` a `CTRL_CMD_GETFAMILY` dump request: one
/// `CTRL_CMD_NEWFAMILY` answer per registered family; its length (20).
///
/// # Errors
///
/// [`ErrorKind::BufferTooSmall`] when `buf` is shorter than 20 bytes.
pub fn families_request(buf: &mut [u8], seq: u32) -> Result<usize, Error> {
    let mut b = Builder::new(buf);
    let mut m = b.message(GENL_ID_CTRL, Flags::REQUEST | GetFlags::DUMP.into(), seq, 0)?;
    m.family_header(&GenlMsgHdr::new(CTRL_CMD_GETFAMILY, CTRL_VERSION))?;
    m.finish()
}

/// A generic netlink family as the controller describes it, borrowed from
/// its `CTRL_CMD_NEWFAMILY` message.
#[derive(Clone)]
pub struct Family<'a> {
    id: u16,
    name: &'a str,
    version: u32,
    header_size: u32,
    max_attr: u32,
    ops: Attrs<'a>,
    groups: Attrs<'a>,
}

impl<'a> Family<'a> {
    /// Reads a `CTRL_CMD_NEWFAMILY` message: the controller's answer to
    /// [`family_request`] and each message of a [`families_request`] dump.
    /// One pass over its attributes; the operations and groups are read
    /// when asked for. Attributes this module does not know are skipped.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnexpectedType`] when the message is not the
    ///   controller's (`expected` 0x10) or not `CTRL_CMD_NEWFAMILY`
    ///   (`expected` 1, `found` the command);
    /// - [`ErrorKind::Policy`] with [`PolicyViolation::Missing`] when the id
    ///   or the name is missing;
    /// - the errors of the attribute walk and of the getters (a wrong size,
    ///   a name without NUL or not UTF-8), at the offending byte.
    pub fn parse(message: &Message<'a>) -> Result<Self, Error> {
        let found = message.message_type().0;
        if found != GENL_ID_CTRL.0 {
            return Err(Error::new(
                ErrorKind::UnexpectedType {
                    expected: GENL_ID_CTRL.0,
                    found,
                },
                message.offset(),
            ));
        }
        let (header, attrs) = message.genl()?;
        if header.cmd != CTRL_CMD_NEWFAMILY {
            return Err(Error::new(
                ErrorKind::UnexpectedType {
                    expected: u16::from(CTRL_CMD_NEWFAMILY),
                    found: u16::from(header.cmd),
                },
                message.payload_offset(),
            ));
        }
        let end = message
            .payload_offset()
            .saturating_add(message.payload().len());
        let (mut id, mut name) = (None, None);
        let mut family = Family {
            id: 0,
            name: "",
            version: 0,
            header_size: 0,
            max_attr: 0,
            ops: Attrs::with_offset(&[], end),
            groups: Attrs::with_offset(&[], end),
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                CTRL_ATTR_FAMILY_ID => id = Some(attr.u16()?),
                CTRL_ATTR_FAMILY_NAME => name = Some(attr.str()?),
                CTRL_ATTR_VERSION => family.version = attr.u32()?,
                CTRL_ATTR_HDRSIZE => family.header_size = attr.u32()?,
                CTRL_ATTR_MAXATTR => family.max_attr = attr.u32()?,
                CTRL_ATTR_OPS => family.ops = attr.nested(),
                CTRL_ATTR_MCAST_GROUPS => family.groups = attr.nested(),
                _ => {}
            }
        }
        let missing = |attr_type| {
            Error::new(
                ErrorKind::Policy {
                    attr_type,
                    violation: PolicyViolation::Missing,
                },
                end,
            )
        };
        family.id = id.ok_or_else(|| missing(CTRL_ATTR_FAMILY_ID))?;
        family.name = name.ok_or_else(|| missing(CTRL_ATTR_FAMILY_NAME))?;
        Ok(family)
    }

    /// The family's id: the message type of its requests and answers.
    pub const fn id(&self) -> u16 {
        self.id
    }

    /// Its name.
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// Its interface version (`CTRL_ATTR_VERSION`; 0 when absent).
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The size of its own fixed header after `genlmsghdr`
    /// (`CTRL_ATTR_HDRSIZE`; 0 when absent).
    pub const fn header_size(&self) -> u32 {
        self.header_size
    }

    /// Its highest attribute type (`CTRL_ATTR_MAXATTR`; 0 when absent).
    pub const fn max_attr(&self) -> u32 {
        self.max_attr
    }

    /// Its operations (`CTRL_ATTR_OPS`), in the controller's order.
    pub fn ops(&self) -> Ops<'a> {
        Ops(self.ops.clone())
    }

    /// Its multicast groups (`CTRL_ATTR_MCAST_GROUPS`), in the controller's
    /// order.
    pub fn groups(&self) -> Groups<'a> {
        Groups(self.groups.clone())
    }

    /// The id of the multicast group named `name`, to join on the socket.
    ///
    /// # Errors
    ///
    /// The first malformed group before it (see [`Groups`]).
    pub fn group(&self, name: &str) -> Result<Option<u32>, Error> {
        for group in self.groups() {
            let group = group?;
            if group.name == name {
                return Ok(Some(group.id));
            }
        }
        Ok(None)
    }
}

impl fmt::Debug for Family<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("header_size", &self.header_size)
            .field("max_attr", &self.max_attr)
            .finish_non_exhaustive()
    }
}

/// One operation of a family: a command it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// The command (`CTRL_ATTR_OP_ID`).
    pub id: u32,
    /// What it allows (`CTRL_ATTR_OP_FLAGS`: `GENL_ADMIN_PERM` 0x1,
    /// `GENL_CMD_CAP_DO` 0x2, `GENL_CMD_CAP_DUMP` 0x4, `GENL_CMD_CAP_HASPOL`
    /// 0x8, `GENL_UNS_ADMIN_PERM` 0x10); 0 when absent.
    pub flags: u32,
}

/// One multicast group of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Group<'a> {
    /// Its name (`CTRL_ATTR_MCAST_GRP_NAME`).
    pub name: &'a str,
    /// Its id, the number to join (`CTRL_ATTR_MCAST_GRP_ID`).
    pub id: u32,
}

/// The operations of a [`Family`]: each nest of `CTRL_ATTR_OPS` read as an
/// [`Op`].
///
/// An item is an error when a nest is malformed or has no id; the walk
/// stops after a framing error.
#[derive(Clone, Debug)]
pub struct Ops<'a>(Attrs<'a>);

impl Iterator for Ops<'_> {
    type Item = Result<Op, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let nest = self.0.next()?;
        Some(nest.and_then(|nest| {
            let (mut id, mut flags) = (None, 0);
            for attr in nest.nested() {
                let attr = attr?;
                match attr.kind() {
                    CTRL_ATTR_OP_ID => id = Some(attr.u32()?),
                    CTRL_ATTR_OP_FLAGS => flags = attr.u32()?,
                    _ => {}
                }
            }
            let id = id.ok_or_else(|| missing_in(&nest, CTRL_ATTR_OP_ID))?;
            Ok(Op { id, flags })
        }))
    }
}

/// The multicast groups of a [`Family`]: each nest of
/// `CTRL_ATTR_MCAST_GROUPS` read as a [`Group`].
///
/// An item is an error when a nest is malformed or lacks its name or id;
/// the walk stops after a framing error.
#[derive(Clone, Debug)]
pub struct Groups<'a>(Attrs<'a>);

impl<'a> Iterator for Groups<'a> {
    type Item = Result<Group<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let nest = self.0.next()?;
        Some(nest.and_then(|nest| {
            let (mut name, mut id) = (None, None);
            for attr in nest.nested() {
                let attr = attr?;
                match attr.kind() {
                    CTRL_ATTR_MCAST_GRP_NAME => name = Some(attr.str()?),
                    CTRL_ATTR_MCAST_GRP_ID => id = Some(attr.u32()?),
                    _ => {}
                }
            }
            let name = name.ok_or_else(|| missing_in(&nest, CTRL_ATTR_MCAST_GRP_NAME))?;
            let id = id.ok_or_else(|| missing_in(&nest, CTRL_ATTR_MCAST_GRP_ID))?;
            Ok(Group { name, id })
        }))
    }
}

/// `attr_type` is missing from `nest` (reported at the nest).
fn missing_in(nest: &Attr<'_>, attr_type: u16) -> Error {
    Error::new(
        ErrorKind::Policy {
            attr_type,
            violation: PolicyViolation::Missing,
        },
        nest.offset(),
    )
}
