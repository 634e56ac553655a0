//! Base85 (`framing::base85`) round trips on generated input, and Python's
//! rules for texts that are not whole groups.

use procslink::ErrorKind;
use procslink::framing::base85::{ALPHABET, decode, decoded_len, encode, encoded_len};
use proptest::prelude::*;

proptest! {
    #[test]
    fn bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut text = vec![0u8; encoded_len(bytes.len())];
        let n = encode(&bytes, &mut text).unwrap();
        prop_assert_eq!(n, text.len());
        prop_assert!(text.iter().all(|b| ALPHABET.contains(b)));
        let mut back = vec![0u8; decoded_len(n)];
        prop_assert_eq!(decode(&text, &mut back), Ok(bytes.len()));
        prop_assert_eq!(back, bytes);
    }

    /// Texts of digits: whole groups decode and encode back to the same
    /// text unless a group overflows; any text decodes to `decoded_len`
    /// bytes or fails at a group's start with an overflow.
    #[test]
    fn digit_texts(digits in proptest::collection::vec(0usize..85, 0..60)) {
        let text: Vec<u8> = digits.iter().map(|&d| ALPHABET[d]).collect();
        let mut bytes = vec![0u8; decoded_len(text.len())];
        match decode(&text, &mut bytes) {
            Ok(n) => {
                prop_assert_eq!(n, bytes.len());
                if text.len().is_multiple_of(5) {
                    let mut again = vec![0u8; text.len()];
                    prop_assert_eq!(encode(&bytes, &mut again), Ok(text.len()));
                    prop_assert_eq!(again, text);
                }
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Base85Overflow);
                prop_assert!(e.offset().is_multiple_of(5));
            }
        }
    }

    /// A byte outside the alphabet is reported where it is (the first one).
    #[test]
    fn bad_characters_are_found(text in proptest::collection::vec(any::<u8>(), 1..40)) {
        let first_bad = text.iter().position(|b| !ALPHABET.contains(b));
        let mut out = vec![0u8; decoded_len(text.len())];
        if let Err(e) = decode(&text, &mut out)
            && let ErrorKind::UnexpectedByte(b) = e.kind()
        {
            prop_assert_eq!(Some(e.offset()), first_bad);
            prop_assert_eq!(Some(b), first_bad.map(|i| text[i]));
        } else {
            // No bad byte before the first overflowing group, if any.
            if let Some(i) = first_bad {
                let r = decode(&text, &mut out);
                prop_assert!(matches!(r, Err(e) if e.kind() == ErrorKind::Base85Overflow && e.offset() <= i));
            }
        }
    }
}
