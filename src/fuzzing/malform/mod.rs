//! Breaking well-formed buffers in place, the ways real bugs break them,
//! and saying exactly what was broken and how the crate's parsers see it.

use core::fmt;

use heapless::Vec as HVec;

use super::describe::MAX_ATTR_TYPE;
use crate::jsonrpc::Message as RpcMessage;
use crate::netlink::{
    AttrPolicy, Attrs, Message, Messages, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN, Policy, align,
};
use crate::procslink::{Datagram, MAX_DATAGRAM, PROCSLINK_OVERHEAD};
use crate::{Error, ErrorKind, PolicyViolation};

mod datagram;
mod layout;
mod netlink;
mod report;

use layout::*;

/// The most messages of one buffer the malformation layer can target.
pub const MAX_TARGET_MESSAGES: usize = 32;
/// The most attributes of one buffer the malformation layer can target
/// (later ones are left alone).
pub const MAX_TARGET_ATTRS: usize = 128;
/// How deep the detectors (and the target walk) descend into attributes
/// whose `NLA_F_NESTED` is set.
pub const WALK_DEPTH: usize = 16;

static KNOWN: [AttrPolicy<'static>; MAX_ATTR_TYPE as usize + 1] =
    [AttrPolicy::UNSPEC; MAX_ATTR_TYPE as usize + 1];

/// A policy that knows every type the generators produce (0 to
/// [`MAX_ATTR_TYPE`](super::MAX_ATTR_TYPE)) and rejects all others: the
/// detector of [`Malformation::UnknownType`].
///
/// ```
/// use procslink::fuzzing::KNOWN_TYPES;
/// use procslink::netlink::Attrs;
/// use procslink::{ErrorKind, PolicyViolation};
///
/// let mut run = [0u8; 8];
/// run[..2].copy_from_slice(&4u16.to_ne_bytes());
/// run[2..4].copy_from_slice(&63u16.to_ne_bytes());
/// run[4..6].copy_from_slice(&4u16.to_ne_bytes());
/// run[6..].copy_from_slice(&64u16.to_ne_bytes());
/// let err = KNOWN_TYPES.validate(Attrs::new(&run)).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Policy { attr_type: 64, violation: PolicyViolation::Unknown });
/// assert_eq!(err.offset(), 4);
/// ```
pub static KNOWN_TYPES: Policy<'static> = Policy::new(&KNOWN).reject_unknown();

/// Which of a netlink buffer's malformations to apply: the mutation's
/// "what"; [`Mutation::target`] and [`Mutation::value`] pick "where" and
/// "how much".
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum MutationKind {
    /// [`Malformation::MessageLenZero`].
    MessageLenZero,
    /// [`Malformation::MessageLenTooSmall`].
    MessageLenTooSmall,
    /// [`Malformation::MessageLenPastEnd`].
    MessageLenPastEnd,
    /// [`Malformation::MessageLenTooLarge`].
    MessageLenTooLarge,
    /// [`Malformation::MessageHeaderTruncated`].
    MessageHeaderTruncated,
    /// [`Malformation::MessageBodyTruncated`].
    MessageBodyTruncated,
    /// [`Malformation::FamilyHeaderShort`].
    FamilyHeaderShort,
    /// [`Malformation::AttrLenZero`].
    AttrLenZero,
    /// [`Malformation::AttrLenTooSmall`].
    AttrLenTooSmall,
    /// [`Malformation::AttrLenPastEnd`].
    AttrLenPastEnd,
    /// [`Malformation::AttrLenTooLarge`].
    AttrLenTooLarge,
    /// [`Malformation::NestedOverrunsParent`].
    NestedOverrunsParent,
    /// [`Malformation::AttrHeaderTruncated`].
    AttrHeaderTruncated,
    /// [`Malformation::AttrPayloadTruncated`].
    AttrPayloadTruncated,
    /// [`Malformation::MissingPadding`].
    MissingPadding,
    /// [`Malformation::DuplicateType`].
    DuplicateType,
    /// [`Malformation::UnknownType`].
    UnknownType,
    /// [`Malformation::InvalidUtf8String`].
    InvalidUtf8String,
}

impl MutationKind {
    /// Every kind, in declaration order.
    pub const ALL: [MutationKind; 18] = [
        MutationKind::MessageLenZero,
        MutationKind::MessageLenTooSmall,
        MutationKind::MessageLenPastEnd,
        MutationKind::MessageLenTooLarge,
        MutationKind::MessageHeaderTruncated,
        MutationKind::MessageBodyTruncated,
        MutationKind::FamilyHeaderShort,
        MutationKind::AttrLenZero,
        MutationKind::AttrLenTooSmall,
        MutationKind::AttrLenPastEnd,
        MutationKind::AttrLenTooLarge,
        MutationKind::NestedOverrunsParent,
        MutationKind::AttrHeaderTruncated,
        MutationKind::AttrPayloadTruncated,
        MutationKind::MissingPadding,
        MutationKind::DuplicateType,
        MutationKind::UnknownType,
        MutationKind::InvalidUtf8String,
    ];
}

/// Which of a ProcsLink datagram's malformations to apply.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum DatagramMutationKind {
    /// [`Malformation::DatagramLenMismatch`].
    NlmsgLen,
    /// [`Malformation::PayloadLenMismatch`].
    PayloadLen,
    /// [`Malformation::DatagramTruncated`].
    Truncate,
    /// [`Malformation::JsonInvalidUtf8`].
    InvalidUtf8,
    /// [`Malformation::JsonTruncated`].
    JsonTruncated,
    /// [`Malformation::JsonTrailing`].
    JsonTrailing,
    /// [`Malformation::JsonControlCharacter`].
    JsonControlCharacter,
}

impl DatagramMutationKind {
    /// Every kind, in declaration order.
    pub const ALL: [DatagramMutationKind; 7] = [
        DatagramMutationKind::NlmsgLen,
        DatagramMutationKind::PayloadLen,
        DatagramMutationKind::Truncate,
        DatagramMutationKind::InvalidUtf8,
        DatagramMutationKind::JsonTruncated,
        DatagramMutationKind::JsonTrailing,
        DatagramMutationKind::JsonControlCharacter,
    ];
}

/// A plan for breaking a well-formed netlink buffer: which malformation,
/// which target (an index, taken modulo the number of candidates), and a
/// value that sizes it (a length, a cut position, a type).
///
/// With the `arbitrary` feature it is drawn from the fuzzer's bytes; with
/// `proptest`, [`strategy::mutation`](super::strategy::mutation) draws it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mutation {
    /// The malformation to try first.
    pub kind: MutationKind,
    /// Picks the message or attribute among the candidates.
    pub target: u16,
    /// Sizes the malformation.
    pub value: u16,
}

/// A plan for breaking a well-formed ProcsLink datagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DatagramMutation {
    /// The malformation to try first.
    pub kind: DatagramMutationKind,
    /// Picks the byte among the candidates.
    pub target: u16,
    /// Sizes the malformation.
    pub value: u16,
}

// The derive needs `std` at the crate root for structs; these are simple.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Mutation {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Mutation {
            kind: u.arbitrary()?,
            target: u.arbitrary()?,
            value: u.arbitrary()?,
        })
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for DatagramMutation {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(DatagramMutation {
            kind: u.arbitrary()?,
            target: u.arbitrary()?,
            value: u.arbitrary()?,
        })
    }
}

/// Where a malformed message is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageLocation {
    /// The message's index in the buffer.
    pub message: usize,
    /// The offset of its header.
    pub offset: usize,
}

/// Where a malformed attribute is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttrLocation {
    /// The index of the message holding it.
    pub message: usize,
    /// Its index among the message's attributes, in preorder (nested ones
    /// counted).
    pub attr: usize,
    /// Its depth: 0 for the message's own attributes.
    pub depth: usize,
    /// The offset of its header.
    pub offset: usize,
}

/// A malformation that was applied, where, and with which values.
///
/// [`Malformation::expected`] says how the crate's parsers see the result:
/// which [`Detector`] finds it, with which error kind at which offset, or
/// that it is accepted by design.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformation {
    /// `nlmsg_len` set to 0. Detector [`Detector::Messages`]:
    /// [`ErrorKind::LengthTooSmall`] at the message.
    MessageLenZero {
        /// The message.
        at: MessageLocation,
    },
    /// `nlmsg_len` set below 16. [`Detector::Messages`]:
    /// [`ErrorKind::LengthTooSmall`] at the message.
    MessageLenTooSmall {
        /// The message.
        at: MessageLocation,
        /// The new `nlmsg_len`.
        length: u32,
    },
    /// `nlmsg_len` pointing past the end of the buffer.
    /// [`Detector::Messages`]: [`ErrorKind::LengthOverrun`] at the message.
    MessageLenPastEnd {
        /// The message.
        at: MessageLocation,
        /// The new `nlmsg_len`.
        length: u32,
        /// The bytes from the message to the end of the buffer.
        available: usize,
    },
    /// `nlmsg_len` too large but inside the buffer: it swallows every
    /// message after it. Benign by design for framing
    /// ([`Detector::Messages`] accepts it, since lengths are trusted, and
    /// yields this as the last message); a consumer finds the swallowed
    /// messages' bytes in its attributes.
    MessageLenTooLarge {
        /// The message.
        at: MessageLocation,
        /// The new `nlmsg_len`: up to the end of the buffer.
        length: u32,
    },
    /// The buffer cut inside a message's header. [`Detector::Messages`]:
    /// [`ErrorKind::Truncated`] at the message.
    MessageHeaderTruncated {
        /// The message.
        at: MessageLocation,
        /// The bytes of header left.
        available: usize,
    },
    /// The buffer cut inside a message's payload. [`Detector::Messages`]:
    /// [`ErrorKind::LengthOverrun`] at the message.
    MessageBodyTruncated {
        /// The message.
        at: MessageLocation,
        /// Its `nlmsg_len`.
        length: u32,
        /// The bytes of it left.
        available: usize,
    },
    /// A message cut short inside its family header, lengths kept
    /// consistent: its payload is smaller than the family header the
    /// consumer expects. [`Detector::FamilyHeaders`]
    /// (`split_family_header`, or
    /// [`family_header::<T>()`](crate::netlink::Message::family_header)):
    /// [`ErrorKind::Truncated`] at the message.
    FamilyHeaderShort {
        /// The message.
        at: MessageLocation,
        /// The family header's size.
        expected: usize,
        /// The bytes of it left.
        found: usize,
    },
    /// `nla_len` set to 0. [`Detector::Attributes`]:
    /// [`ErrorKind::LengthTooSmall`] at the attribute.
    AttrLenZero {
        /// The attribute.
        at: AttrLocation,
    },
    /// `nla_len` set to 1, 2 or 3. [`Detector::Attributes`]:
    /// [`ErrorKind::LengthTooSmall`] at the attribute.
    AttrLenTooSmall {
        /// The attribute.
        at: AttrLocation,
        /// The new `nla_len`.
        length: u16,
    },
    /// `nla_len` pointing past the end of its run (its parent's payload,
    /// or the message). [`Detector::Attributes`]:
    /// [`ErrorKind::LengthOverrun`] at the attribute.
    AttrLenPastEnd {
        /// The attribute.
        at: AttrLocation,
        /// The new `nla_len`.
        length: u16,
        /// The bytes from the attribute to the end of its run.
        available: usize,
    },
    /// `nla_len` too large but inside its run: it swallows its later
    /// siblings. Benign by design for framing ([`Detector::Attributes`]
    /// accepts it); a consumer reading it as a fixed-size value gets
    /// [`ErrorKind::WrongSize`].
    AttrLenTooLarge {
        /// The attribute.
        at: AttrLocation,
        /// The new `nla_len`: up to the end of its run.
        length: u16,
    },
    /// A nested attribute longer than its parent's payload, while still
    /// inside the buffer (the bug of a consumer that bounds by the buffer,
    /// not the parent). [`Detector::Attributes`]:
    /// [`ErrorKind::LengthOverrun`] at the attribute, `available` counted
    /// to the parent's end.
    NestedOverrunsParent {
        /// The attribute.
        at: AttrLocation,
        /// The new `nla_len`.
        length: u16,
        /// The bytes from the attribute to its parent's end.
        available: usize,
    },
    /// The buffer cut inside an attribute's header, the lengths of the
    /// enclosing nests and message shortened to match.
    /// [`Detector::Attributes`]: [`ErrorKind::Truncated`] at the attribute.
    AttrHeaderTruncated {
        /// The attribute.
        at: AttrLocation,
        /// The bytes of header left.
        available: usize,
    },
    /// The buffer cut inside an attribute's payload, enclosing lengths
    /// shortened to match. [`Detector::Attributes`]:
    /// [`ErrorKind::LengthOverrun`] at the attribute.
    AttrPayloadTruncated {
        /// The attribute.
        at: AttrLocation,
        /// Its `nla_len`.
        length: u16,
        /// The bytes of it left.
        available: usize,
    },
    /// The padding after an attribute removed (enclosing lengths
    /// shortened to match), so that its next sibling starts misaligned and
    /// the parser, stepping to the aligned offset, reads a header from the
    /// middle of it. [`Detector::Attributes`]: the error kind computed
    /// from the bytes found there, at `next`. (Only applied where that
    /// first misread is an error.)
    MissingPadding {
        /// The attribute whose padding went.
        at: AttrLocation,
        /// The padding bytes removed.
        removed: usize,
        /// Where the parser reads the next header.
        next: usize,
        /// What it finds there.
        error: ErrorKind,
    },
    /// An attribute's type changed to that of its run's first attribute
    /// (flag bits kept; chosen so that no later sibling has that type). Benign by design: [`Detector::Attributes`] accepts it, and
    /// an [`AttrTable`](crate::netlink::AttrTable) keeps this later one,
    /// as the kernel's `nla_parse` does.
    DuplicateType {
        /// The attribute.
        at: AttrLocation,
        /// The duplicated type (flags masked off).
        attr_type: u16,
        /// The offset of the earlier sibling of that type.
        first: usize,
    },
    /// An attribute's type changed to one above
    /// [`MAX_ATTR_TYPE`](super::MAX_ATTR_TYPE). Only a policy detects it:
    /// [`Detector::KnownTypes`] ([`KNOWN_TYPES`], which rejects unknown
    /// types): [`ErrorKind::Policy`] with [`PolicyViolation::Unknown`] at
    /// the attribute.
    UnknownType {
        /// The attribute.
        at: AttrLocation,
        /// The new type.
        attr_type: u16,
    },
    /// The first byte of a NUL-terminated string attribute replaced with
    /// 0xFF. [`Detector::Strings`]
    /// ([`Attr::str`](crate::netlink::Attr::str)):
    /// [`ErrorKind::InvalidUtf8`] at the attribute.
    InvalidUtf8String {
        /// The attribute.
        at: AttrLocation,
    },
    /// A ProcsLink `nlmsg_len` that disagrees with the bytes after the
    /// `nlmsghdr`. [`Detector::Datagram`]: [`ErrorKind::LengthMismatch`]
    /// at 0.
    DatagramLenMismatch {
        /// The new `nlmsg_len`.
        length: u32,
        /// The bytes after the `nlmsghdr`.
        actual: usize,
    },
    /// A `procslinkhdr.length` that disagrees with the JSON's size.
    /// [`Detector::Datagram`]: [`ErrorKind::LengthMismatch`] at 16.
    PayloadLenMismatch {
        /// The new `length`.
        length: u32,
        /// The JSON's size.
        actual: usize,
    },
    /// The datagram cut to `len` bytes, headers untouched.
    /// [`Detector::Datagram`]: [`ErrorKind::Truncated`] at 0 inside the
    /// `nlmsghdr`, else [`ErrorKind::LengthMismatch`] at 0.
    DatagramTruncated {
        /// The bytes left.
        len: usize,
        /// The `nlmsg_len` the header still claims.
        length: u32,
    },
    /// A byte of the JSON text replaced with 0xFF.
    /// [`Detector::DatagramText`]: [`ErrorKind::InvalidUtf8`] at it.
    JsonInvalidUtf8 {
        /// The byte's offset in the datagram.
        offset: usize,
    },
    /// The JSON text's last byte removed, both lengths fixed.
    /// [`Detector::JsonRpc`]: [`JsonSyntax::UnexpectedEnd`] at the new
    /// end.
    ///
    /// [`JsonSyntax::UnexpectedEnd`]: crate::JsonSyntax::UnexpectedEnd
    JsonTruncated {
        /// The new end of the datagram.
        offset: usize,
    },
    /// A byte `x` appended after the JSON text (within the buffer's
    /// capacity), both lengths fixed. [`Detector::JsonRpc`]:
    /// [`JsonSyntax::TrailingCharacters`] at it.
    ///
    /// [`JsonSyntax::TrailingCharacters`]: crate::JsonSyntax::TrailingCharacters
    JsonTrailing {
        /// The offset of the added byte.
        offset: usize,
    },
    /// A character inside a JSON string replaced with a raw control
    /// character. [`Detector::JsonRpc`]:
    /// [`JsonSyntax::ControlCharacter`] at it.
    ///
    /// [`JsonSyntax::ControlCharacter`]: crate::JsonSyntax::ControlCharacter
    JsonControlCharacter {
        /// The byte's offset in the datagram.
        offset: usize,
        /// The control character written.
        byte: u8,
    },
}

/// The crate parser (and how it is driven) that detects a malformation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detector {
    /// [`Messages`] over the buffer.
    Messages,
    /// [`Messages`], each message's `split_family_header(family_len)`,
    /// then every attribute run with [`Attrs`], descending with
    /// [`Attr::nested`](crate::netlink::Attr::nested) into attributes
    /// whose `NLA_F_NESTED` is set (up to [`WALK_DEPTH`]).
    Attributes,
    /// [`Detector::Attributes`], with every run also validated by
    /// [`KNOWN_TYPES`].
    KnownTypes,
    /// [`Messages`] and each message's `split_family_header(family_len)`.
    FamilyHeaders,
    /// [`Detector::Attributes`], with
    /// [`Attr::str`](crate::netlink::Attr::str) called on every leaf
    /// whose payload is non-empty and ends in NUL.
    Strings,
    /// [`Datagram::parse`].
    Datagram,
    /// [`Datagram::parse`] and [`Datagram::text`].
    DatagramText,
    /// [`Datagram::parse`] and
    /// [`jsonrpc::Message::parse`](crate::jsonrpc::Message::parse) of its
    /// payload, offsets counted from the datagram's start.
    JsonRpc,
}

/// How the crate's parsers see a malformed buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// `detector` fails with exactly `error` (kind and offset).
    Error {
        /// The detector.
        detector: Detector,
        /// The error.
        error: Error,
    },
    /// The malformation is benign by design: `detector` accepts it.
    Accepted {
        /// The detector.
        detector: Detector,
    },
}

impl Expected {
    /// The detector.
    ///
    /// ```
    /// use procslink::fuzzing::{Detector, Expected};
    /// assert_eq!(Expected::Accepted { detector: Detector::Messages }.detector(), Detector::Messages);
    /// ```
    pub const fn detector(&self) -> Detector {
        match *self {
            Expected::Error { detector, .. } | Expected::Accepted { detector } => detector,
        }
    }

    /// Whether a detector's result is the one predicted.
    ///
    /// ```
    /// use procslink::fuzzing::{Detector, Expected};
    /// use procslink::{Error, ErrorKind};
    ///
    /// let e = Error::new(ErrorKind::InvalidUtf8, 44);
    /// let expected = Expected::Error { detector: Detector::Strings, error: e };
    /// assert!(expected.matches(Err(e)));
    /// assert!(!expected.matches(Ok(())));
    /// assert!(Expected::Accepted { detector: Detector::Attributes }.matches(Ok(())));
    /// ```
    pub fn matches(&self, result: Result<(), Error>) -> bool {
        match (self, result) {
            (Expected::Error { error, .. }, Err(e)) => *error == e,
            (Expected::Accepted { .. }, Ok(())) => true,
            _ => false,
        }
    }
}

/// What [`Mutation::apply`] and [`DatagramMutation::apply`] did.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Applied {
    /// The buffer's new length (shorter after a truncation, longer after
    /// growth within capacity).
    pub len: usize,
    /// What was broken.
    pub malformation: Malformation,
}

impl Detector {
    /// Runs the detector over `bytes`. `family_len(index, message)` gives
    /// each netlink message's family header size (ignored by the datagram
    /// detectors).
    ///
    /// ```
    /// use procslink::fuzzing::Detector;
    /// use procslink::ErrorKind;
    ///
    /// let mut buf = [0u8; 20];
    /// buf[..4].copy_from_slice(&24u32.to_ne_bytes());
    /// let err = Detector::Messages.run(&buf, |_, _| 0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::LengthOverrun { length: 24, available: 20 });
    /// ```
    pub fn run<F>(self, bytes: &[u8], family_len: F) -> Result<(), Error>
    where
        F: Fn(usize, &Message<'_>) -> usize,
    {
        match self {
            Detector::Messages => Messages::new(bytes).try_for_each(|m| m.map(drop)),
            Detector::FamilyHeaders => {
                for (i, m) in Messages::new(bytes).enumerate() {
                    let m = m?;
                    m.split_family_header(family_len(i, &m))?;
                }
                Ok(())
            }
            Detector::Attributes => walk(bytes, family_len, |_| Ok(()), |_| Ok(())),
            Detector::KnownTypes => walk(
                bytes,
                family_len,
                |run| KNOWN_TYPES.validate(run),
                |_| Ok(()),
            ),
            Detector::Strings => walk(
                bytes,
                family_len,
                |_| Ok(()),
                |a| {
                    if !a.is_nested() && a.payload().last() == Some(&0) {
                        a.str()?;
                    }
                    Ok(())
                },
            ),
            Detector::Datagram => Datagram::parse(bytes).map(drop),
            Detector::DatagramText => Datagram::parse(bytes)?.text().map(drop),
            Detector::JsonRpc => {
                let d = Datagram::parse(bytes)?;
                RpcMessage::parse(d.payload())
                    .map(drop)
                    .map_err(|e| e.shifted(PROCSLINK_OVERHEAD))
            }
        }
    }
}
