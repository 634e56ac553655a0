//! domainsockets stream framing, both directions: any bytes, limit and
//! chunking; chunked decoding must give exactly what whole-slice decoding
//! gives, and every decoded frame must encode to bytes that decode to it.
//!
//! Input: `[slack] [max lo] [max hi] [n] [n chunk sizes] [stream…]`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::framing::Framing;
use procslink::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, ServerFrame, ServerFraming, ServerKind,
};

#[path = "../../tests/framing_support/mod.rs"]
mod framing_support;

fn client(f: ClientFrame<'_>) -> (u64, u64, Vec<u8>, Vec<u8>) {
    (f.id, f.kind.to_u64(), f.handler.to_vec(), f.data.to_vec())
}

fn server(f: ServerFrame<'_>) -> (u64, u64, Vec<u8>) {
    (f.id, f.kind.to_u64(), f.data.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&[slack, lo, hi, n], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let (sizes, stream) = rest.split_at(usize::from(n % 8).min(rest.len()));
    let sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s) + 1).collect();
    let max = usize::from(u16::from_le_bytes([lo, hi])) % 4097;
    let slack = usize::from(slack % 16);

    let calls = framing_support::agree(ClientFraming, stream, &sizes, max, slack, client);
    for call in calls.into_iter().filter_map(Result::ok) {
        let frame = ClientFrame {
            id: call.0,
            kind: ClientKind::from_u64(call.1),
            handler: &call.2,
            data: &call.3,
        };
        let mut out = vec![0u8; frame.encoded_len()];
        let n = frame.encode(&mut out).expect("sized by encoded_len");
        let again = ClientFraming.frames(&out[..n], usize::MAX).next();
        assert_eq!(again, Some(Ok(frame)));
    }

    let replies = framing_support::agree(ServerFraming, stream, &sizes, max, slack, server);
    for reply in replies.into_iter().filter_map(Result::ok) {
        let frame = ServerFrame {
            id: reply.0,
            kind: ServerKind::from_u64(reply.1),
            data: &reply.2,
        };
        let mut out = vec![0u8; frame.encoded_len()];
        let n = frame.encode(&mut out).expect("sized by encoded_len");
        let again = ServerFraming.frames(&out[..n], usize::MAX).next();
        assert_eq!(again, Some(Ok(frame)));
    }
});
