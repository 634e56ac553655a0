//! Applying a [`DatagramMutation`] to a ProcsLink datagram.

use super::*;

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
pub(super) fn other_than(current: usize, value: u16) -> u32 {
    let current = current as u32;
    let step = (value >> 1) as u32;
    if value & 1 == 0 || current == 0 {
        current.saturating_add(1 + step)
    } else {
        current - 1 - step % current
    }
}

pub(super) fn set_be32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = buf.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_be_bytes());
    }
}

/// The offset of `procslinkhdr.length` in a datagram.
pub(super) const LENGTH_FIELD: usize = NLMSG_HDRLEN + 4;

pub(super) fn apply_datagram(
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
pub(super) struct StringBytes<'a> {
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
