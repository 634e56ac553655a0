//! The message iterator over arbitrary bytes, with error/ack and done
//! decoding and a walk of every attribute run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::netlink::display::{Escaped, Protocol};
use procslink::netlink::{Attrs, ExtAck, Messages, genl::GenlMsgHdr};

fn walk(run: Attrs<'_>, len: usize, depth: usize) {
    for attr in run {
        match attr {
            Ok(a) => {
                assert!(a.offset() + a.len() <= len);
                let _ = (a.u16(), a.u32(), a.u64_be(), a.str(), a.cstr());
                let name = a.bytes_str();
                assert!(!name.contains(&0) && name.len() <= a.payload().len());
                let _ = format!("{:?}", Escaped(name));
                if depth < 8 {
                    walk(a.nested(), len, depth + 1);
                }
            }
            Err(e) => assert!(e.offset() < len),
        }
    }
}

/// An extended ack never fails to decode; what it reports lies inside the
/// input.
fn check_ext_ack(ack: &ExtAck<'_>, len: usize) {
    if let Some(e) = ack.malformed() {
        assert!(e.offset() < len);
    }
    if let Some(Err(e)) = ack.message() {
        assert!(e.offset() < len);
    }
    if let Some(text) = ack.message_bytes() {
        assert!(!text.contains(&0));
    }
    let _ = (
        ack.bad_attr_offset(),
        ack.cookie(),
        ack.missing_type(),
        ack.missing_nest(),
    );
    if let Some(p) = ack.policy() {
        walk(p.nested(), len, 0);
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
                        check_ext_ack(e.ext_ack(), len);
                    }
                    Err(e) => assert!(e.offset() < len),
                }
                match m.done() {
                    Ok(d) => {
                        let _ = format!("{d}");
                        check_ext_ack(d.ext_ack(), len);
                    }
                    Err(e) => assert!(e.offset() < len),
                }
                if m.message_type().is_done() && m.payload().is_empty() {
                    assert_eq!(m.done().unwrap().status(), 0);
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
