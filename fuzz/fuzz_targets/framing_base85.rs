//! Base85 (Python's `b85encode`/`b85decode` rules) on any bytes: decoding
//! never panics and writes exactly `decoded_len` bytes; what decodes
//! encodes back to a text that decodes to the same bytes (and, for whole
//! groups, to the same text); any bytes encode and decode back; `validate`
//! agrees with `decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::framing::base85;

fuzz_target!(|data: &[u8]| {
    let mut bytes = vec![0u8; base85::decoded_len(data.len())];
    match base85::decode(data, &mut bytes) {
        Ok(n) => {
            assert_eq!(n, bytes.len());
            assert!(base85::validate(data).is_ok());
            let mut text = vec![0u8; base85::encoded_len(n)];
            let m = base85::encode(&bytes, &mut text).expect("sized");
            let mut again = vec![0u8; n];
            assert_eq!(base85::decode(&text[..m], &mut again), Ok(n));
            assert_eq!(again, bytes);
            if data.len().is_multiple_of(5) {
                assert_eq!(&text[..m], data);
            }
        }
        Err(e) => {
            assert_eq!(base85::validate(data), Err(e));
            assert!(e.offset() < data.len());
        }
    }
    // Any bytes round-trip.
    let mut text = vec![0u8; base85::encoded_len(data.len())];
    let m = base85::encode(data, &mut text).expect("sized");
    let mut back = vec![0u8; data.len()];
    assert_eq!(base85::decode(&text[..m], &mut back), Ok(data.len()));
    assert_eq!(back, data);
});
