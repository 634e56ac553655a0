//! Netlink stream framing: any bytes, any profile, limit and chunking;
//! chunked decoding must give exactly what whole-slice decoding gives.
//!
//! Input: `[profile] [max lo] [max hi] [n] [n chunk sizes] [stream…]`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::framing::netlink::{NetlinkFields, NetlinkFrame, NetlinkFraming, Padding};

#[path = "../../tests/framing_support/mod.rs"]
mod framing_support;

fn own(frame: NetlinkFrame<'_>) -> (NetlinkFields, Vec<u8>) {
    (frame.fields(), frame.payload().to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&[profile, lo, hi, n], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let (sizes, stream) = rest.split_at(usize::from(n % 8).min(rest.len()));
    let sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s) + 1).collect();
    let max = usize::from(u16::from_le_bytes([lo, hi])) % 4097;
    let framing = match profile % 4 {
        0 => NetlinkFraming::kernel(),
        1 => NetlinkFraming::kernel().with_padding(Padding::None),
        2 => NetlinkFraming::procslink(),
        _ => NetlinkFraming::procslink().with_padding(Padding::Align4),
    };
    let slack = usize::from(profile >> 4);
    framing_support::agree(framing, stream, &sizes, max, slack, own);
});
