//! Base85 as Python's `base64.b85encode` / `b85decode` write and read it:
//! the RFC 1924 alphabet (`0-9`, `A-Z`, `a-z`, then `` !#$%&()*+-;<=>?@^_`{|}~ ``),
//! no padding on the wire. EZ-IPC (at its Dec-2019 HEAD) sends every frame
//! as this text.
//!
//! ```text
//! 4 bytes, big-endian u32  ──►  5 digits, most significant first
//! last group of k < 4 bytes: padded with 0 bytes, then only k + 1 digits kept
//! last group of j < 5 digits: padded with `~` (84), then only j − 1 bytes kept
//! ```
//!
//! The decoder follows `b85decode` exactly, including its corner cases: a
//! lone trailing digit decodes to nothing, and a group whose value (after
//! padding) exceeds `u32::MAX` is an error
//! ([`Base85Overflow`](ErrorKind::Base85Overflow), at the group's offset).
//! A byte outside the alphabet is
//! [`UnexpectedByte`](ErrorKind::UnexpectedByte) at its offset (Python's
//! "bad base85 character at position N").
//!
//! Written here rather than taken from crates.io: this module is part of
//! the `no_std`, allocation-free codec (it writes into the caller's
//! buffer and never panics), and the Base85 crates there (`base85` 2.0,
//! for one) return allocated `Vec`/`String`s.
//!
//! ```
//! use procslink::framing::base85;
//!
//! let mut text = [0u8; 16];
//! let n = base85::encode(b"[42]", &mut text)?;
//! assert_eq!(&text[..n], b"TQo9V");
//! let mut bytes = [0u8; 16];
//! let m = base85::decode(&text[..n], &mut bytes)?;
//! assert_eq!(&bytes[..m], b"[42]");
//! assert_eq!(base85::decode(b"TQ\"9V", &mut bytes).unwrap_err().offset(), 2);
//! # Ok::<(), procslink::Error>(())
//! ```

use crate::{Error, ErrorKind};

/// The 85 digits, in order of value.
pub const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// `DIGIT_VALUE[b]` is the value of byte `b` as a digit, or `NOT_A_DIGIT`.
const DIGIT_VALUE: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

const NOT_A_DIGIT: u8 = 0xff;

/// The value a missing digit of the last group counts as (`~`).
const PAD_DIGIT: u32 = 84;

/// The length of the Base85 text of `len` bytes.
///
/// ```
/// use procslink::framing::base85::encoded_len;
/// assert_eq!([0, 1, 2, 3, 4, 5].map(encoded_len), [0, 2, 3, 4, 5, 7]);
/// ```
pub const fn encoded_len(len: usize) -> usize {
    let rest = len % 4;
    (len / 4)
        .saturating_mul(5)
        .saturating_add(if rest == 0 { 0 } else { rest + 1 })
}

/// The length of the bytes that `len` digits decode to (a lone last digit
/// decodes to nothing, as in Python).
///
/// ```
/// use procslink::framing::base85::decoded_len;
/// assert_eq!([0, 1, 2, 3, 4, 5, 7].map(decoded_len), [0, 0, 1, 2, 3, 4, 5]);
/// ```
pub const fn decoded_len(len: usize) -> usize {
    let rest = len % 5;
    (len / 5) * 4 + if rest == 0 { 0 } else { rest - 1 }
}

/// Writes the Base85 text of `bytes` into the start of `out`; returns its
/// length ([`encoded_len`]).
///
/// # Errors
///
/// [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the length needed,
/// writing nothing, if `out` is too short.
pub fn encode(bytes: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let needed = encoded_len(bytes.len());
    let Some(out) = out.get_mut(..needed) else {
        return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
    };
    for (group, digits) in bytes.chunks(4).zip(out.chunks_mut(5)) {
        let mut word = [0u8; 4];
        for (w, b) in word.iter_mut().zip(group) {
            *w = *b;
        }
        let mut value = u32::from_be_bytes(word);
        let mut all = [0u8; 5];
        for d in all.iter_mut().rev() {
            *d = ALPHABET.get((value % 85) as usize).copied().unwrap_or(b'0');
            value /= 85;
        }
        for (d, a) in digits.iter_mut().zip(all) {
            *d = a;
        }
    }
    Ok(needed)
}

/// Decodes the Base85 text `text` into the start of `out`; returns the
/// number of bytes written ([`decoded_len`]).
///
/// # Errors
///
/// - [`UnexpectedByte`](ErrorKind::UnexpectedByte) at the first byte that
///   is not a digit;
/// - [`Base85Overflow`](ErrorKind::Base85Overflow) at the first group
///   whose value exceeds `u32::MAX`;
/// - [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the length needed
///   if `out` is too short (checked first; nothing is written).
pub fn decode(text: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let needed = decoded_len(text.len());
    let Some(out) = out.get_mut(..needed) else {
        return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
    };
    let mut at = 0usize;
    for (i, group) in text.chunks(5).enumerate() {
        let start = i.saturating_mul(5);
        let mut value: u64 = 0;
        for (j, &b) in group.iter().enumerate() {
            let digit = DIGIT_VALUE
                .get(usize::from(b))
                .copied()
                .unwrap_or(NOT_A_DIGIT);
            if digit == NOT_A_DIGIT {
                return Err(Error::new(
                    ErrorKind::UnexpectedByte(b),
                    start.saturating_add(j),
                ));
            }
            value = value * 85 + u64::from(digit);
        }
        for _ in group.len()..5 {
            value = value * 85 + u64::from(PAD_DIGIT);
        }
        let Ok(word) = u32::try_from(value) else {
            return Err(Error::new(ErrorKind::Base85Overflow, start));
        };
        let keep = group.len().saturating_sub(1).min(4);
        let end = at.saturating_add(keep);
        if let (Some(dst), Some(src)) = (out.get_mut(at..end), word.to_be_bytes().get(..keep)) {
            dst.copy_from_slice(src);
        }
        at = end;
    }
    Ok(at)
}

/// Checks that `text` is valid Base85 without decoding it anywhere; the
/// same errors as [`decode`], less the buffer's.
pub fn validate(text: &[u8]) -> Result<(), Error> {
    let mut scratch = [0u8; 4];
    for (i, group) in text.chunks(5).enumerate() {
        decode(group, &mut scratch).map_err(|e| e.shifted(i.saturating_mul(5)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decode, decoded_len, encode, encoded_len};
    use crate::ErrorKind;

    /// Outputs of Python 3.9's `base64.b85encode` for these inputs.
    const VECTORS: &[(&[u8], &[u8])] = &[
        (b"", b""),
        (b"\x00", b"00"),
        (b"\xff", b"{{"),
        (b"\xff\xff\xff\xff", b"|NsC0"),
        (b"hello", b"Xk~0{Zv"),
        (b"[42]", b"TQo9V"),
        (b"\x00\x00\x00\x00\x00", b"0000000"),
    ];

    #[test]
    fn python_vectors_round_trip() {
        for &(bytes, text) in VECTORS {
            let mut out = [0u8; 16];
            let n = encode(bytes, &mut out).unwrap();
            assert_eq!(&out[..n], text, "{bytes:?}");
            assert_eq!(n, encoded_len(bytes.len()));
            let mut back = [0u8; 16];
            let m = decode(text, &mut back).unwrap();
            assert_eq!(&back[..m], bytes);
            assert_eq!(m, decoded_len(text.len()));
        }
    }

    #[test]
    fn python_corner_cases() {
        let mut out = [0u8; 8];
        // A lone digit decodes to nothing; `~` alone overflows.
        assert_eq!(decode(b"0", &mut out), Ok(0));
        let err = decode(b"~", &mut out).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Base85Overflow, 0));
        // `|NsC1` is 2^32.
        let err = decode(b"00000|NsC1", &mut out).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Base85Overflow, 5));
        let err = decode(b"000 0", &mut out).unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::UnexpectedByte(b' '), 3)
        );
        let err = decode(b"0000000", &mut out[..1]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: 5 });
        let err = encode(b"abc", &mut out[..3]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: 4 });
    }
}
