//! What each [`Malformation`] predicts, and how it is shown.

use super::*;

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
