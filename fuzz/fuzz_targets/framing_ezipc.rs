//! EZ-IPC stream framing: any bytes, limit and chunking; chunked decoding
//! must give exactly what whole-slice decoding gives, and the texts decoded
//! before any error must re-encode to exactly the bytes they came from.
//!
//! Input: `[slack] [max] [n] [n chunk sizes] [stream…]`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::framing::ezipc::{self, EzIpcFraming};

#[path = "../../tests/framing_support/mod.rs"]
mod framing_support;

fuzz_target!(|data: &[u8]| {
    let Some((&[slack, max, n], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let (sizes, stream) = rest.split_at(usize::from(n % 8).min(rest.len()));
    let sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s) + 1).collect();
    let max = usize::from(max);
    let slack = usize::from(slack % 16);
    let items = framing_support::agree(EzIpcFraming::new(), stream, &sizes, max, slack, |t| {
        t.to_vec()
    });

    let mut rebuilt = Vec::new();
    for text in items.iter().map_while(|item| item.as_ref().ok()) {
        let mut out = vec![0u8; text.len() + ezipc::SEPARATOR.len()];
        let n = ezipc::encode(text, &mut out).expect("a decoded text is framable");
        rebuilt.extend_from_slice(&out[..n]);
    }
    assert!(stream.starts_with(&rebuilt));
    if items.iter().all(Result::is_ok) {
        assert_eq!(rebuilt, stream);
    }
});
