//! The pyroute2 envelope client over a fuzzer-chosen stream of bytes from
//! its "broker": the hello, the DISCOVER answer, then the answers to a
//! dump and to an acked request (frames, envelopes, control messages,
//! fragments reassembled, the conversation). Never a panic; every message
//! handed over is a reply to the request (its sequence number), and an
//! error ends each exchange.
#![no_main]

use std::io::{Read, Write};

use libfuzzer_sys::fuzz_target;
use procslink::envmsg::EnvelopeFormat;
use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::netlink::{Builder, flags::Flags};
use procslink::peer::pyroute2::{ClientOptions, RemoteClient};

/// The broker's side: the fuzzer's bytes to read, writes discarded.
struct Scripted {
    input: Vec<u8>,
    pos: usize,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        // Short reads too: at most 4 KiB at a time.
        let n = rest.len().min(buf.len()).min(4096);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let format = match mode % 3 {
        0 => EnvelopeFormat::PortsId,
        1 => EnvelopeFormat::Ports,
        _ => EnvelopeFormat::Basic,
    };
    let options = ClientOptions::new().format(format).max_message(1 << 18);
    let stream = Scripted {
        input: rest.to_vec(),
        pos: 0,
    };
    let Ok(mut client) = RemoteClient::over(stream, options) else {
        return;
    };
    let mut buf = [0u8; 32];
    let mut b = Builder::new(&mut buf);
    let Ok(mut m) = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0) else {
        return;
    };
    if m.family_header(&Ifinfomsg::default()).is_err() || m.finish().is_err() {
        return;
    }
    // The client numbers its requests 1, 2, ...: replies carry those.
    let request = b.as_bytes().to_vec();
    let _ = client.dump(&request, |m| assert_eq!(m.seq(), 1));
    let _ = client.request_with(&request, |m| assert_eq!(m.seq(), 2));
});
