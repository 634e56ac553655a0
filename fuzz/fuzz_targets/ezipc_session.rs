//! The EZ-IPC server's session on any byte stream (either profile, frames
//! cut anywhere, Base85 or not, JSON or not): serving never panics and
//! ends when the stream does, and everything it writes back is well-formed
//! frames of Base85 JSON-RPC batches (raw JSON objects for the raw
//! profile), one answer per request at most.
//!
//! Input: `[profile] [stream…]`.
#![no_main]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use libfuzzer_sys::fuzz_target;
use procslink::framing::base85;
use procslink::jsonrpc::{Decoder, Incoming, Message};
use procslink::peer::demo;
use procslink::peer::ezipc::{EzIpcOptions, EzIpcServer, Profile};

fuzz_target!(|data: &[u8]| {
    let Some((&profile, stream)) = data.split_first() else {
        return;
    };
    let profile = if profile & 1 == 0 {
        Profile::Base85
    } else {
        Profile::Raw
    };
    let options = EzIpcOptions::new().profile(profile).max_frame(4096);
    let (mut ours, theirs) = UnixStream::pair().expect("socketpair");
    let input = stream.to_vec();
    let mut writer = ours.try_clone().expect("clone");
    let feeding = std::thread::spawn(move || {
        // The server may close first (a TERM): then writing fails.
        let _ = writer.write_all(&input);
        let _ = writer.shutdown(std::net::Shutdown::Write);
    });
    let reading = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = ours.read_to_end(&mut out);
        out
    });
    let stats = EzIpcServer::serve_unix_stream(theirs, demo::methods(), options);
    feeding.join().expect("feeder");
    let out = reading.join().expect("reader");
    let mut answers = 0u64;
    for text in out.split(|&b| b == b'\n').filter(|t| !t.is_empty()) {
        let json = match profile {
            Profile::Raw => text.to_vec(),
            _ => {
                let mut json = vec![0u8; base85::decoded_len(text.len())];
                let n = base85::decode(text, &mut json).expect("the server writes Base85");
                json.truncate(n);
                json
            }
        };
        match Decoder::new()
            .parse(&json)
            .expect("the server writes JSON-RPC")
        {
            Incoming::Batch(batch) => {
                assert_eq!(profile, Profile::Base85);
                for m in batch.iter() {
                    assert!(matches!(m, Ok(Message::Response(_))), "{m:?}");
                    answers += 1;
                }
            }
            Incoming::Single(m) => {
                assert_eq!(profile, Profile::Raw);
                assert!(matches!(m, Message::Response(_)));
                answers += 1;
            }
        }
    }
    assert!(
        answers <= stats.served + stats.bad_frames,
        "{answers} answers, {stats:?}"
    );
});
