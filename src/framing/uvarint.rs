//! Unsigned LEB128 varints, as Go's `binary.PutUvarint` writes them.
//!
//! Seven bits per byte, least significant group first; the top bit of each
//! byte says another byte follows. A `u64` takes 1 to 10 bytes:
//!
//! ```text
//!   300 = 0b10_0101100
//!   byte 0: 1 0101100   (0xac: low 7 bits, more follows)
//!   byte 1: 0 0000010   (0x02: next 7 bits, last byte)
//! ```
//!
//! [`encode`] always writes the shortest form. [`decode`] accepts exactly
//! what Go's `binary.Uvarint`/`ReadUvarint` accept: non-minimal forms such as
//! `80 00` (zero in two bytes) are **accepted**, because Go accepts them and
//! lengths in the frames that carry varints count bytes actually present;
//! a varint whose tenth byte has its continuation bit set, or whose tenth
//! byte is above 1 (the value would not fit in 64 bits), is rejected.

use crate::{Error, ErrorKind};

/// The longest encoding of a `u64`: 10 bytes.
pub const MAX_LEN: usize = 10;

/// A varint that does not fit in a `u64`: an encoding longer than the 10
/// bytes a `u64` allows.
const fn overflow(offset: usize) -> Error {
    Error::new(ErrorKind::Varint, offset)
}

/// The number of bytes [`encode`] writes for `value`.
///
/// ```
/// use procslink::framing::uvarint::encoded_len;
///
/// assert_eq!(encoded_len(0), 1);
/// assert_eq!(encoded_len(127), 1);
/// assert_eq!(encoded_len(128), 2);
/// assert_eq!(encoded_len(u64::MAX), 10);
/// ```
pub const fn encoded_len(value: u64) -> usize {
    let bits = (u64::BITS - (value | 1).leading_zeros()) as usize;
    bits.div_ceil(7)
}

/// Writes `value` into the start of `out` and returns the bytes written.
///
/// # Errors
///
/// [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the bytes the encoding
/// needs, writing nothing, if `out` is shorter.
///
/// ```
/// use procslink::framing::uvarint;
///
/// let mut out = [0u8; 10];
/// let n = uvarint::encode(300, &mut out)?;
/// assert_eq!(&out[..n], [0xac, 0x02]);
/// # Ok::<(), procslink::Error>(())
/// ```
pub fn encode(value: u64, out: &mut [u8]) -> Result<usize, Error> {
    let len = encoded_len(value);
    let Some(dst) = out.get_mut(..len) else {
        return Err(Error::new(ErrorKind::BufferTooSmall { needed: len }, 0));
    };
    let mut rest = value;
    for byte in dst.iter_mut() {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        *byte = if rest == 0 { low } else { low | 0x80 };
    }
    Ok(len)
}

/// Reads a varint from the start of `input`: the value and the bytes it
/// took.
///
/// # Errors
///
/// - [`Truncated`](ErrorKind::Truncated) `{ needed, available }` if `input`
///   ends inside the varint (`needed` is the bytes read plus one);
/// - [`Varint`](ErrorKind::Varint) if it does
///   not fit in a `u64` (an encoding longer than the 10 bytes a `u64`
///   allows).
///
/// Offsets are 0: the varint's start.
///
/// ```
/// use procslink::framing::uvarint;
/// use procslink::ErrorKind;
///
/// assert_eq!(uvarint::decode(&[0xac, 0x02, 0xff]), Ok((300, 2)));
/// assert_eq!(uvarint::decode(&[0x80, 0x00]), Ok((0, 2))); // non-minimal, as Go
/// let err = uvarint::decode(&[0xac]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 2, available: 1 });
/// ```
pub fn decode(input: &[u8]) -> Result<(u64, usize), Error> {
    let mut value = 0u64;
    for i in 0..MAX_LEN {
        let Some(&byte) = input.get(i) else {
            let kind = ErrorKind::Truncated {
                needed: i + 1,
                available: input.len(),
            };
            return Err(Error::new(kind, 0));
        };
        let shift = 7 * i as u32;
        if byte < 0x80 {
            if i == MAX_LEN - 1 && byte > 1 {
                return Err(overflow(0));
            }
            return Ok((value | u64::from(byte) << shift, i + 1));
        }
        value |= u64::from(byte & 0x7f) << shift;
    }
    Err(overflow(0))
}
