//! The message iterator over arbitrary bytes, with error/ack and done
//! decoding and a walk of every attribute run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::netlink::{Attrs, Messages, display::Protocol, genl::GenlMsgHdr};

fn walk(run: Attrs<'_>, len: usize, depth: usize) {
    for attr in run {
        match attr {
            Ok(a) => {
                assert!(a.offset() + a.len() <= len);
                let _ = (a.u16(), a.u32(), a.u64_be(), a.str());
                if depth < 8 {
                    walk(a.nested(), len, depth + 1);
                }
            }
            Err(e) => assert!(e.offset() < len),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let len = data.len();
    let mut last_offset = None;
    for msg in Messages::new(data) {
        match msg {
            Ok(m) => {
                assert!(last_offset.is_none_or(|o| m.offset() > o));
                last_offset = Some(m.offset());
                assert!(m.offset() + m.header().len() as usize <= len);
                let _ = format!("{m}");
                for protocol in [Protocol::Route, Protocol::Generic, Protocol::Other] {
                    let _ = format!("{:#}", protocol.display(&m));
                }
                match m.error() {
                    Ok(e) => {
                        let _ = format!("{e}");
                        if let Some(p) = e.ext_ack().policy {
                            walk(p.nested(), len, 0);
                        }
                    }
                    Err(e) => assert!(e.offset() < len),
                }
                match m.done() {
                    Ok(d) => drop(format!("{d}")),
                    Err(e) => assert!(e.offset() < len),
                }
                for hdr in [0, 4, 8, 12, 16] {
                    if let Ok((_, run)) = m.split_family_header(hdr) {
                        walk(run, len, 0);
                    }
                }
                if let Ok((_, run)) = m.family_header::<GenlMsgHdr>() {
                    walk(run, len, 0);
                }
            }
            Err(e) => assert!(e.offset() < len),
        }
    }
});
