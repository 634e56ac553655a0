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

/// Walks every message's attribute runs, depth first, descending where
/// `NLA_F_NESTED` is set.
fn walk<F, R, A>(bytes: &[u8], family_len: F, mut on_run: R, mut on_attr: A) -> Result<(), Error>
where
    F: Fn(usize, &Message<'_>) -> usize,
    R: FnMut(Attrs<'_>) -> Result<(), Error>,
    A: FnMut(&crate::netlink::Attr<'_>) -> Result<(), Error>,
{
    for (i, m) in Messages::new(bytes).enumerate() {
        let m = m?;
        let (_, run) = m.split_family_header(family_len(i, &m))?;
        let mut stack: HVec<Attrs<'_>, WALK_DEPTH> = HVec::new();
        on_run(run.clone())?;
        let _ = stack.push(run);
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(a) => {
                    let a = a?;
                    on_attr(&a)?;
                    if a.is_nested() && !stack.is_full() {
                        on_run(a.nested())?;
                        let _ = stack.push(a.nested());
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(Copy, Clone)]
struct MsgT {
    at: usize,
    len: usize,
    family: usize,
}

#[derive(Copy, Clone)]
struct AttrT {
    msg: usize,
    index: usize,
    at: usize,
    len: usize,
    ty: u16,
    depth: usize,
    parent: Option<usize>,
    run_end: usize,
    first_sibling: usize,
    has_next: bool,
    /// A leaf whose payload is non-empty and ends in NUL.
    strlike: bool,
    /// `strlike`, and [`Attr::str`] accepts it.
    str_ok: bool,
}

struct Layout {
    msgs: HVec<MsgT, MAX_TARGET_MESSAGES>,
    attrs: HVec<AttrT, MAX_TARGET_ATTRS>,
    complete: bool,
}

impl Layout {
    fn new<F>(bytes: &[u8], family_len: F) -> Option<Layout>
    where
        F: Fn(usize, &Message<'_>) -> usize,
    {
        struct Frame<'a> {
            run: Attrs<'a>,
            parent: Option<usize>,
            run_end: usize,
            first: Option<usize>,
            prev: Option<usize>,
        }
        let mut layout = Layout {
            msgs: HVec::new(),
            attrs: HVec::new(),
            complete: true,
        };
        for (i, m) in Messages::new(bytes).enumerate() {
            let m = m.ok()?;
            let family = family_len(i, &m);
            let (_, run) = m.split_family_header(family).ok()?;
            let len = m.header().len() as usize;
            if layout
                .msgs
                .push(MsgT {
                    at: m.offset(),
                    len,
                    family,
                })
                .is_err()
            {
                layout.complete = false;
                break;
            }
            let first_attr = layout.attrs.len();
            let mut stack: HVec<Frame<'_>, WALK_DEPTH> = HVec::new();
            let _ = stack.push(Frame {
                run,
                parent: None,
                run_end: m.offset() + len,
                first: None,
                prev: None,
            });
            while let Some(depth) = stack.len().checked_sub(1) {
                let Some(top) = stack.last_mut() else {
                    break;
                };
                let Some(a) = top.run.next() else {
                    stack.pop();
                    continue;
                };
                let a = a.ok()?;
                let idx = layout.attrs.len();
                if let Some(prev) = top.prev.and_then(|p| layout.attrs.get_mut(p)) {
                    prev.has_next = true;
                }
                let first_sibling = *top.first.get_or_insert(idx);
                top.prev = Some(idx);
                let strlike = !a.is_nested() && a.payload().last() == Some(&0);
                let parent = top.parent;
                let run_end = top.run_end;
                let t = AttrT {
                    msg: i,
                    index: idx - first_attr,
                    at: a.offset(),
                    len: a.len(),
                    ty: a.raw_type(),
                    depth,
                    parent,
                    run_end,
                    first_sibling,
                    has_next: false,
                    strlike,
                    str_ok: strlike && a.str().is_ok(),
                };
                if layout.attrs.push(t).is_err() {
                    layout.complete = false;
                    return Some(layout);
                }
                if a.is_nested() && !stack.is_full() {
                    let _ = stack.push(Frame {
                        run: a.nested(),
                        parent: Some(idx),
                        run_end: a.offset() + a.len(),
                        first: None,
                        prev: None,
                    });
                }
            }
        }
        Some(layout)
    }

    fn loc(&self, a: &AttrT) -> AttrLocation {
        AttrLocation {
            message: a.msg,
            attr: a.index,
            depth: a.depth,
            offset: a.at,
        }
    }

    fn msg_loc(&self, i: usize) -> MessageLocation {
        MessageLocation {
            message: i,
            offset: self.msgs.get(i).map_or(0, |m| m.at),
        }
    }

    /// Adds `delta` (negative: subtracts) to the lengths of every nest
    /// enclosing attribute `idx` and of its message.
    fn adjust_enclosing(
        &self,
        buf: &mut [u8],
        idx: usize,
        set_to_end: Option<usize>,
        delta: usize,
    ) {
        let Some(a) = self.attrs.get(idx) else {
            return;
        };
        let mut parent = a.parent;
        while let Some(p) = parent.and_then(|p| self.attrs.get(p)) {
            let new = match set_to_end {
                Some(end) => end - p.at,
                None => p.len - delta,
            };
            set_u16(buf, p.at, new as u16);
            parent = p.parent;
        }
        if let Some(m) = self.msgs.get(a.msg) {
            let new = match set_to_end {
                Some(end) => end - m.at,
                None => m.len - delta,
            };
            set_u32(buf, m.at, new as u32);
        }
    }
}

fn set_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(dst) = buf.get_mut(at..at + 2) {
        dst.copy_from_slice(&v.to_ne_bytes());
    }
}

fn set_u32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = buf.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_ne_bytes());
    }
}

fn get_u16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at + 2)?;
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

/// Removes `start..end` from `buf[..len]`, returning the new length.
fn remove(buf: &mut [u8], len: usize, start: usize, end: usize) -> usize {
    if start < end && end <= len {
        buf.copy_within(end..len, start);
        len - (end - start)
    } else {
        len
    }
}

fn pick<T: Copy>(items: impl Iterator<Item = T> + Clone, target: u16) -> Option<T> {
    let n = items.clone().count();
    if n == 0 {
        return None;
    }
    items.clone().nth(target as usize % n)
}

impl Mutation {
    /// Breaks the well-formed netlink buffer `buf[..len]` in place, and
    /// says how.
    ///
    /// The buffer is first walked with the crate's parsers to find the
    /// messages and attributes (`family_len(index, message)` gives each
    /// message's family header size; attributes are descended where
    /// `NLA_F_NESTED` is set). [`Mutation::kind`] is tried first, then the
    /// following kinds in turn, until one has a candidate. Truncation
    /// returns a shorter length; nothing grows. `None` when `buf[..len]`
    /// does not parse or no kind applies (an empty buffer).
    ///
    /// ```
    /// use procslink::fuzzing::{Detector, Malformation, Mutation, MutationKind};
    /// use procslink::netlink::{Builder, MessageType, flags::Flags};
    ///
    /// let mut buf = [0u8; 64];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(MessageType(16), Flags::empty(), 1, 0)?;
    /// m.put_u32(4, 1500)?;
    /// m.finish()?;
    /// let len = b.len();
    ///
    /// let plan = Mutation { kind: MutationKind::AttrLenZero, target: 0, value: 0 };
    /// let applied = plan.apply(&mut buf, len, |_, _| 0).unwrap();
    /// assert!(matches!(applied.malformation, Malformation::AttrLenZero { .. }));
    /// let expected = applied.malformation.expected();
    /// let result = expected.detector().run(&buf[..applied.len], |_, _| 0);
    /// assert!(expected.matches(result));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn apply<F>(&self, buf: &mut [u8], len: usize, family_len: F) -> Option<Applied>
    where
        F: Fn(usize, &Message<'_>) -> usize,
    {
        let layout = Layout::new(buf.get(..len)?, family_len)?;
        let start = MutationKind::ALL.iter().position(|k| *k == self.kind)?;
        (0..MutationKind::ALL.len()).find_map(|i| {
            let kind = MutationKind::ALL[(start + i) % MutationKind::ALL.len()];
            apply_netlink(kind, self.target, self.value, &layout, buf, len)
        })
    }
}

fn apply_netlink(
    kind: MutationKind,
    target: u16,
    value: u16,
    layout: &Layout,
    buf: &mut [u8],
    len: usize,
) -> Option<Applied> {
    use MutationKind as K;
    let v = value as usize;
    let msgs = || layout.msgs.iter().copied().enumerate();
    let attrs = || layout.attrs.iter().copied().enumerate();
    let done = |len, malformation| Some(Applied { len, malformation });
    match kind {
        K::MessageLenZero | K::MessageLenTooSmall => {
            let (i, m) = pick(msgs(), target)?;
            let length = if kind == K::MessageLenZero {
                0
            } else {
                1 + (v % 15) as u32
            };
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(
                len,
                if length == 0 {
                    Malformation::MessageLenZero { at }
                } else {
                    Malformation::MessageLenTooSmall { at, length }
                },
            )
        }
        K::MessageLenPastEnd => {
            let (i, m) = pick(msgs(), target)?;
            let available = len - m.at;
            let length = u32::try_from(available).ok()?.checked_add(1)?;
            let length = if value == u16::MAX {
                u32::MAX
            } else {
                length.saturating_add(value as u32)
            };
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(
                len,
                Malformation::MessageLenPastEnd {
                    at,
                    length,
                    available,
                },
            )
        }
        K::MessageLenTooLarge => {
            let (i, m) = pick(msgs().filter(|(_, m)| len - m.at > align(m.len)), target)?;
            let length = u32::try_from(len - m.at).ok()?;
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(len, Malformation::MessageLenTooLarge { at, length })
        }
        K::MessageHeaderTruncated => {
            let (i, m) = pick(msgs(), target)?;
            let available = 1 + v % (NLMSG_HDRLEN - 1);
            let at = layout.msg_loc(i);
            done(
                m.at + available,
                Malformation::MessageHeaderTruncated { at, available },
            )
        }
        K::MessageBodyTruncated => {
            let (i, m) = pick(msgs().filter(|(_, m)| m.len > NLMSG_HDRLEN), target)?;
            let available = NLMSG_HDRLEN + v % (m.len - NLMSG_HDRLEN);
            let at = layout.msg_loc(i);
            done(
                m.at + available,
                Malformation::MessageBodyTruncated {
                    at,
                    length: m.len as u32,
                    available,
                },
            )
        }
        K::FamilyHeaderShort => {
            if !layout.complete {
                return None;
            }
            let (i, m) = pick(msgs().filter(|(_, m)| m.family > 0), target)?;
            let found = v % m.family;
            let new_len = NLMSG_HDRLEN + found;
            let end = (m.at + align(m.len)).min(len);
            set_u32(buf, m.at, new_len as u32);
            let len = remove(buf, len, m.at + align(new_len), end);
            let at = layout.msg_loc(i);
            done(
                len,
                Malformation::FamilyHeaderShort {
                    at,
                    expected: m.family,
                    found,
                },
            )
        }
        K::AttrLenZero | K::AttrLenTooSmall => {
            let (_, a) = pick(attrs(), target)?;
            let length = if kind == K::AttrLenZero {
                0
            } else {
                1 + (v % 3) as u16
            };
            set_u16(buf, a.at, length);
            let at = layout.loc(&a);
            done(
                len,
                if length == 0 {
                    Malformation::AttrLenZero { at }
                } else {
                    Malformation::AttrLenTooSmall { at, length }
                },
            )
        }
        K::AttrLenPastEnd => {
            let max = u16::MAX as usize;
            let (_, a) = pick(attrs().filter(|(_, a)| a.run_end - a.at < max), target)?;
            let available = a.run_end - a.at;
            let length = available + 1 + v % (max - available);
            set_u16(buf, a.at, length as u16);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::AttrLenPastEnd {
                    at,
                    length: length as u16,
                    available,
                },
            )
        }
        K::AttrLenTooLarge => {
            let fits = |a: &AttrT| a.has_next && a.run_end - a.at <= u16::MAX as usize;
            let (_, a) = pick(attrs().filter(|(_, a)| fits(a)), target)?;
            let length = (a.run_end - a.at) as u16;
            set_u16(buf, a.at, length);
            let at = layout.loc(&a);
            done(len, Malformation::AttrLenTooLarge { at, length })
        }
        K::NestedOverrunsParent => {
            let room = |a: &AttrT| (len - a.at).min(u16::MAX as usize);
            let ok = |a: &AttrT| a.depth > 0 && room(a) > a.run_end - a.at;
            let (_, a) = pick(attrs().filter(|(_, a)| ok(a)), target)?;
            let available = a.run_end - a.at;
            let length = available + 1 + v % (room(&a) - available);
            set_u16(buf, a.at, length as u16);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::NestedOverrunsParent {
                    at,
                    length: length as u16,
                    available,
                },
            )
        }
        K::AttrHeaderTruncated => {
            let (idx, a) = pick(attrs(), target)?;
            let available = 1 + v % (NLA_HDRLEN - 1);
            let cut = a.at + available;
            layout.adjust_enclosing(buf, idx, Some(cut), 0);
            let at = layout.loc(&a);
            done(cut, Malformation::AttrHeaderTruncated { at, available })
        }
        K::AttrPayloadTruncated => {
            let (idx, a) = pick(attrs().filter(|(_, a)| a.len > NLA_HDRLEN), target)?;
            let available = NLA_HDRLEN + v % (a.len - NLA_HDRLEN);
            let cut = a.at + available;
            layout.adjust_enclosing(buf, idx, Some(cut), 0);
            let at = layout.loc(&a);
            done(
                cut,
                Malformation::AttrPayloadTruncated {
                    at,
                    length: a.len as u16,
                    available,
                },
            )
        }
        K::MissingPadding => {
            let predict = |a: &AttrT| -> Option<(usize, usize, ErrorKind)> {
                let removed = align(a.len) - a.len;
                if removed == 0 || !a.has_next {
                    return None;
                }
                // In the new layout the parser reads at `next`, which holds
                // what was at `next + removed`.
                let next = a.at + align(a.len);
                let rest = a.run_end - removed - next;
                let kind = if rest < NLA_HDRLEN {
                    ErrorKind::Truncated {
                        needed: NLA_HDRLEN,
                        available: rest,
                    }
                } else {
                    let length = get_u16(buf, next + removed)? as usize;
                    if length < NLA_HDRLEN {
                        ErrorKind::LengthTooSmall {
                            length,
                            min: NLA_HDRLEN,
                        }
                    } else if length > rest {
                        ErrorKind::LengthOverrun {
                            length,
                            available: rest,
                        }
                    } else {
                        return None;
                    }
                };
                Some((removed, next, kind))
            };
            let (idx, a) = pick(attrs().filter(|(_, a)| predict(a).is_some()), target)?;
            let (removed, next, error) = predict(&a)?;
            layout.adjust_enclosing(buf, idx, None, removed);
            let len = remove(buf, len, a.at + a.len, a.at + a.len + removed);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::MissingPadding {
                    at,
                    removed,
                    next,
                    error,
                },
            )
        }
        K::DuplicateType => {
            if !layout.complete {
                return None;
            }
            // The copy must be the last of its type in the run, for the
            // table to keep it.
            let kind_of = |i: usize| layout.attrs.get(i).map(|a| a.ty & NLA_TYPE_MASK);
            let last_of_type = |i: usize, a: &AttrT| {
                let ty = kind_of(a.first_sibling);
                !layout.attrs.iter().skip(i + 1).any(|b| {
                    b.msg == a.msg && b.parent == a.parent && Some(b.ty & NLA_TYPE_MASK) == ty
                })
            };
            let ok = |(i, a): &(usize, AttrT)| a.first_sibling != *i && last_of_type(*i, a);
            let (_, a) = pick(attrs().filter(ok), target)?;
            let first = layout.attrs.get(a.first_sibling)?;
            let attr_type = first.ty & NLA_TYPE_MASK;
            set_u16(buf, a.at + 2, (a.ty & !NLA_TYPE_MASK) | attr_type);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::DuplicateType {
                    at,
                    attr_type,
                    first: first.at,
                },
            )
        }
        K::UnknownType => {
            let known = |a: &AttrT| a.ty & NLA_TYPE_MASK <= MAX_ATTR_TYPE;
            if !layout.complete || !layout.attrs.iter().all(known) {
                return None;
            }
            let (_, a) = pick(attrs(), target)?;
            let span = NLA_TYPE_MASK - MAX_ATTR_TYPE;
            let attr_type = MAX_ATTR_TYPE + 1 + value % span;
            set_u16(buf, a.at + 2, (a.ty & !NLA_TYPE_MASK) | attr_type);
            let at = layout.loc(&a);
            done(len, Malformation::UnknownType { at, attr_type })
        }
        K::InvalidUtf8String => {
            // Only strings before the first one that is already invalid:
            // the detector stops at the first.
            let valid_prefix = layout
                .attrs
                .iter()
                .position(|a| a.strlike && !a.str_ok)
                .unwrap_or(layout.attrs.len());
            let ok = |a: &AttrT| a.str_ok && buf.get(a.at + NLA_HDRLEN).is_some_and(|&b| b != 0);
            let (_, a) = pick(attrs().take(valid_prefix).filter(|(_, a)| ok(a)), target)?;
            *buf.get_mut(a.at + NLA_HDRLEN)? = 0xff;
            let at = layout.loc(&a);
            done(len, Malformation::InvalidUtf8String { at })
        }
    }
}

impl DatagramMutation {
    /// Breaks the well-formed ProcsLink datagram `buf[..len]` in place, and
    /// says how. [`DatagramMutation::kind`] is tried first, then the
    /// following kinds, until one applies; `JsonTrailing` grows the
    /// datagram by one byte and needs `buf.len() > len`. `None` when
    /// `buf[..len]` is not a datagram [`Datagram::parse`] accepts.
    ///
    /// ```
    /// use procslink::fuzzing::{DatagramMutation, DatagramMutationKind, Malformation};
    /// use procslink::procslink::DatagramRepr;
    /// use procslink::{ErrorKind, JsonSyntax};
    ///
    /// let mut buf = [0u8; 128];
    /// let len = DatagramRepr::request(7).emit(br#"{"jsonrpc": "2.0", "method": "m"}"#, &mut buf)?;
    /// let plan = DatagramMutation { kind: DatagramMutationKind::JsonTrailing, target: 0, value: 0 };
    /// let applied = plan.apply(&mut buf, len).unwrap();
    /// assert_eq!(applied.len, len + 1);
    /// assert_eq!(applied.malformation, Malformation::JsonTrailing { offset: len });
    /// let expected = applied.malformation.expected();
    /// assert!(expected.matches(expected.detector().run(&buf[..applied.len], |_, _| 0)));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn apply(&self, buf: &mut [u8], len: usize) -> Option<Applied> {
        Datagram::parse(buf.get(..len)?).ok()?;
        let start = DatagramMutationKind::ALL
            .iter()
            .position(|k| *k == self.kind)?;
        (0..DatagramMutationKind::ALL.len()).find_map(|i| {
            let kind = DatagramMutationKind::ALL[(start + i) % DatagramMutationKind::ALL.len()];
            apply_datagram(kind, self.target, self.value, buf, len)
        })
    }
}

/// `current` changed to a different value, up or down as `value` says.
fn other_than(current: usize, value: u16) -> u32 {
    let current = current as u32;
    let step = (value >> 1) as u32;
    if value & 1 == 0 || current == 0 {
        current.saturating_add(1 + step)
    } else {
        current - 1 - step % current
    }
}

fn set_be32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = buf.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_be_bytes());
    }
}

/// The offset of `procslinkhdr.length` in a datagram.
const LENGTH_FIELD: usize = NLMSG_HDRLEN + 4;

fn apply_datagram(
    kind: DatagramMutationKind,
    target: u16,
    value: u16,
    buf: &mut [u8],
    len: usize,
) -> Option<Applied> {
    use DatagramMutationKind as K;
    let payload_len = len - PROCSLINK_OVERHEAD;
    let done = |len, malformation| Some(Applied { len, malformation });
    let set_lengths = |buf: &mut [u8], total: usize| {
        set_be32(buf, 0, (total - NLMSG_HDRLEN) as u32);
        set_be32(buf, LENGTH_FIELD, (total - PROCSLINK_OVERHEAD) as u32);
    };
    match kind {
        K::NlmsgLen => {
            let actual = len - NLMSG_HDRLEN;
            let length = other_than(actual, value);
            set_be32(buf, 0, length);
            done(len, Malformation::DatagramLenMismatch { length, actual })
        }
        K::PayloadLen => {
            let length = other_than(payload_len, value);
            set_be32(buf, LENGTH_FIELD, length);
            done(
                len,
                Malformation::PayloadLenMismatch {
                    length,
                    actual: payload_len,
                },
            )
        }
        K::Truncate => {
            let cut = value as usize % len;
            done(
                cut,
                Malformation::DatagramTruncated {
                    len: cut,
                    length: (len - NLMSG_HDRLEN) as u32,
                },
            )
        }
        K::InvalidUtf8 => {
            let json = buf.get(PROCSLINK_OVERHEAD..len)?;
            let (i, _) = pick(
                json.iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, b)| b.is_ascii()),
                target,
            )?;
            let offset = PROCSLINK_OVERHEAD + i;
            *buf.get_mut(offset)? = 0xff;
            done(len, Malformation::JsonInvalidUtf8 { offset })
        }
        K::JsonTruncated => {
            if payload_len == 0 {
                return None;
            }
            set_lengths(buf, len - 1);
            done(len - 1, Malformation::JsonTruncated { offset: len - 1 })
        }
        K::JsonTrailing => {
            if len >= buf.len() || len >= MAX_DATAGRAM {
                return None;
            }
            *buf.get_mut(len)? = b'x';
            set_lengths(buf, len + 1);
            done(len + 1, Malformation::JsonTrailing { offset: len })
        }
        K::JsonControlCharacter => {
            let json = buf.get(PROCSLINK_OVERHEAD..len)?;
            let i = pick(StringBytes::new(json), target)?;
            let offset = PROCSLINK_OVERHEAD + i;
            let byte = (value % 0x20) as u8;
            *buf.get_mut(offset)? = byte;
            done(len, Malformation::JsonControlCharacter { offset, byte })
        }
    }
}

/// The offsets of the plain ASCII characters inside the strings of a
/// valid JSON text (not quotes, not part of an escape).
#[derive(Clone)]
struct StringBytes<'a> {
    json: &'a [u8],
    pos: usize,
    in_string: bool,
}

impl<'a> StringBytes<'a> {
    fn new(json: &'a [u8]) -> Self {
        StringBytes {
            json,
            pos: 0,
            in_string: false,
        }
    }
}

impl Iterator for StringBytes<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while let Some(&b) = self.json.get(self.pos) {
            let at = self.pos;
            self.pos += 1;
            match (self.in_string, b) {
                (false, b'"') => self.in_string = true,
                (false, _) => {}
                (true, b'"') => self.in_string = false,
                (true, b'\\') => {
                    let skip = if self.json.get(self.pos) == Some(&b'u') {
                        5
                    } else {
                        1
                    };
                    self.pos += skip;
                }
                (true, 0x20..=0x7f) => return Some(at),
                (true, _) => {}
            }
        }
        None
    }
}

impl Malformation {
    /// How the crate's parsers see the malformed buffer: the detector, and
    /// the exact error it reports (or that it accepts the buffer by
    /// design).
    ///
    /// ```
    /// use procslink::fuzzing::{Detector, Expected, Malformation, MessageLocation};
    /// use procslink::{Error, ErrorKind};
    ///
    /// let m = Malformation::MessageLenZero { at: MessageLocation { message: 1, offset: 40 } };
    /// assert_eq!(
    ///     m.expected(),
    ///     Expected::Error {
    ///         detector: Detector::Messages,
    ///         error: Error::new(ErrorKind::LengthTooSmall { length: 0, min: 16 }, 40),
    ///     }
    /// );
    /// ```
    pub fn expected(&self) -> Expected {
        use Detector as D;
        use Malformation as M;
        let err = |detector, kind, offset| Expected::Error {
            detector,
            error: Error::new(kind, offset),
        };
        match *self {
            M::MessageLenZero { at } => err(
                D::Messages,
                ErrorKind::LengthTooSmall {
                    length: 0,
                    min: NLMSG_HDRLEN,
                },
                at.offset,
            ),
            M::MessageLenTooSmall { at, length } => err(
                D::Messages,
                ErrorKind::LengthTooSmall {
                    length: length as usize,
                    min: NLMSG_HDRLEN,
                },
                at.offset,
            ),
            M::MessageLenPastEnd {
                at,
                length,
                available,
            } => err(
                D::Messages,
                ErrorKind::LengthOverrun {
                    length: length as usize,
                    available,
                },
                at.offset,
            ),
            M::MessageLenTooLarge { .. } => Expected::Accepted {
                detector: D::Messages,
            },
            M::MessageHeaderTruncated { at, available } => err(
                D::Messages,
                ErrorKind::Truncated {
                    needed: NLMSG_HDRLEN,
                    available,
                },
                at.offset,
            ),
            M::MessageBodyTruncated {
                at,
                length,
                available,
            } => err(
                D::Messages,
                ErrorKind::LengthOverrun {
                    length: length as usize,
                    available,
                },
                at.offset,
            ),
            M::FamilyHeaderShort {
                at,
                expected,
                found,
            } => err(
                D::FamilyHeaders,
                ErrorKind::Truncated {
                    needed: expected,
                    available: found,
                },
                at.offset,
            ),
            M::AttrLenZero { at } => err(
                D::Attributes,
                ErrorKind::LengthTooSmall {
                    length: 0,
                    min: NLA_HDRLEN,
                },
                at.offset,
            ),
            M::AttrLenTooSmall { at, length } => err(
                D::Attributes,
                ErrorKind::LengthTooSmall {
                    length: length as usize,
                    min: NLA_HDRLEN,
                },
                at.offset,
            ),
            M::AttrLenPastEnd {
                at,
                length,
                available,
            }
            | M::NestedOverrunsParent {
                at,
                length,
                available,
            }
            | M::AttrPayloadTruncated {
                at,
                length,
                available,
            } => err(
                D::Attributes,
                ErrorKind::LengthOverrun {
                    length: length as usize,
                    available,
                },
                at.offset,
            ),
            M::AttrLenTooLarge { .. } | M::DuplicateType { .. } => Expected::Accepted {
                detector: D::Attributes,
            },
            M::AttrHeaderTruncated { at, available } => err(
                D::Attributes,
                ErrorKind::Truncated {
                    needed: NLA_HDRLEN,
                    available,
                },
                at.offset,
            ),
            M::MissingPadding { next, error, .. } => err(D::Attributes, error, next),
            M::UnknownType { at, attr_type } => err(
                D::KnownTypes,
                ErrorKind::Policy {
                    attr_type,
                    violation: PolicyViolation::Unknown,
                },
                at.offset,
            ),
            M::InvalidUtf8String { at } => err(D::Strings, ErrorKind::InvalidUtf8, at.offset),
            M::DatagramLenMismatch { length, actual } => err(
                D::Datagram,
                ErrorKind::LengthMismatch {
                    length: length as usize,
                    actual,
                },
                0,
            ),
            M::PayloadLenMismatch { length, actual } => err(
                D::Datagram,
                ErrorKind::LengthMismatch {
                    length: length as usize,
                    actual,
                },
                NLMSG_HDRLEN,
            ),
            M::DatagramTruncated { len, length } => {
                if len < NLMSG_HDRLEN {
                    err(
                        D::Datagram,
                        ErrorKind::Truncated {
                            needed: NLMSG_HDRLEN,
                            available: len,
                        },
                        0,
                    )
                } else {
                    err(
                        D::Datagram,
                        ErrorKind::LengthMismatch {
                            length: length as usize,
                            actual: len - NLMSG_HDRLEN,
                        },
                        0,
                    )
                }
            }
            M::JsonInvalidUtf8 { offset } => err(D::DatagramText, ErrorKind::InvalidUtf8, offset),
            M::JsonTruncated { offset } => err(
                D::JsonRpc,
                ErrorKind::Json(crate::JsonSyntax::UnexpectedEnd),
                offset,
            ),
            M::JsonTrailing { offset } => err(
                D::JsonRpc,
                ErrorKind::Json(crate::JsonSyntax::TrailingCharacters),
                offset,
            ),
            M::JsonControlCharacter { offset, .. } => err(
                D::JsonRpc,
                ErrorKind::Json(crate::JsonSyntax::ControlCharacter),
                offset,
            ),
        }
    }

    /// The offset of the broken item (message, attribute or byte).
    ///
    /// ```
    /// use procslink::fuzzing::Malformation;
    /// assert_eq!(Malformation::JsonTrailing { offset: 52 }.offset(), 52);
    /// ```
    pub fn offset(&self) -> usize {
        use Malformation as M;
        match *self {
            M::MessageLenZero { at }
            | M::MessageLenTooSmall { at, .. }
            | M::MessageLenPastEnd { at, .. }
            | M::MessageLenTooLarge { at, .. }
            | M::MessageHeaderTruncated { at, .. }
            | M::MessageBodyTruncated { at, .. }
            | M::FamilyHeaderShort { at, .. } => at.offset,
            M::AttrLenZero { at }
            | M::AttrLenTooSmall { at, .. }
            | M::AttrLenPastEnd { at, .. }
            | M::AttrLenTooLarge { at, .. }
            | M::NestedOverrunsParent { at, .. }
            | M::AttrHeaderTruncated { at, .. }
            | M::AttrPayloadTruncated { at, .. }
            | M::MissingPadding { at, .. }
            | M::DuplicateType { at, .. }
            | M::UnknownType { at, .. }
            | M::InvalidUtf8String { at } => at.offset,
            M::DatagramLenMismatch { .. } | M::DatagramTruncated { .. } => 0,
            M::PayloadLenMismatch { .. } => NLMSG_HDRLEN,
            M::JsonInvalidUtf8 { offset }
            | M::JsonTruncated { offset }
            | M::JsonTrailing { offset }
            | M::JsonControlCharacter { offset, .. } => offset,
        }
    }
}

impl fmt::Display for MessageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message {} at byte {}", self.message, self.offset)
    }
}

impl fmt::Display for AttrLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attribute {} (depth {}) of message {} at byte {}",
            self.attr, self.depth, self.message, self.offset
        )
    }
}

impl fmt::Display for Malformation {
    /// One line a crash report can carry: what was broken, where.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Malformation as M;
        match self {
            M::MessageLenZero { at } => write!(f, "nlmsg_len 0 in {at}"),
            M::MessageLenTooSmall { at, length } => write!(f, "nlmsg_len {length} in {at}"),
            M::MessageLenPastEnd { at, length, .. } => {
                write!(f, "nlmsg_len {length} past the buffer in {at}")
            }
            M::MessageLenTooLarge { at, length } => {
                write!(f, "nlmsg_len {length} swallowing later messages in {at}")
            }
            M::MessageHeaderTruncated { at, available } => {
                write!(f, "buffer cut {available} bytes into the header of {at}")
            }
            M::MessageBodyTruncated { at, available, .. } => {
                write!(f, "buffer cut {available} bytes into {at}")
            }
            M::FamilyHeaderShort {
                at,
                expected,
                found,
            } => write!(f, "{found} of {expected} family header bytes in {at}"),
            M::AttrLenZero { at } => write!(f, "nla_len 0 in {at}"),
            M::AttrLenTooSmall { at, length } => write!(f, "nla_len {length} in {at}"),
            M::AttrLenPastEnd { at, length, .. } => {
                write!(f, "nla_len {length} past its run in {at}")
            }
            M::AttrLenTooLarge { at, length } => {
                write!(f, "nla_len {length} swallowing later siblings in {at}")
            }
            M::NestedOverrunsParent { at, length, .. } => {
                write!(f, "nla_len {length} longer than the parent of {at}")
            }
            M::AttrHeaderTruncated { at, available } => {
                write!(f, "buffer cut {available} bytes into the header of {at}")
            }
            M::AttrPayloadTruncated { at, available, .. } => {
                write!(f, "buffer cut {available} bytes into {at}")
            }
            M::MissingPadding { at, removed, .. } => {
                write!(f, "{removed} padding bytes missing after {at}")
            }
            M::DuplicateType { at, attr_type, .. } => {
                write!(f, "duplicate type {attr_type} in {at}")
            }
            M::UnknownType { at, attr_type } => write!(f, "unknown type {attr_type} in {at}"),
            M::InvalidUtf8String { at } => write!(f, "invalid UTF-8 in the string {at}"),
            M::DatagramLenMismatch { length, actual } => {
                write!(f, "datagram nlmsg_len {length} for {actual} bytes")
            }
            M::PayloadLenMismatch { length, actual } => {
                write!(f, "procslinkhdr length {length} for {actual} bytes")
            }
            M::DatagramTruncated { len, .. } => write!(f, "datagram cut to {len} bytes"),
            M::JsonInvalidUtf8 { offset } => write!(f, "byte 0xff in the JSON at byte {offset}"),
            M::JsonTruncated { offset } => write!(f, "JSON text cut at byte {offset}"),
            M::JsonTrailing { offset } => write!(f, "junk after the JSON at byte {offset}"),
            M::JsonControlCharacter { offset, byte } => {
                write!(
                    f,
                    "control character 0x{byte:02x} in a JSON string at byte {offset}"
                )
            }
        }
    }
}
