//! pyroute2 envelopes and control messages over arbitrary bytes: parsing
//! never panics, errors point inside the input, and whatever parses
//! rebuilds into a message that parses back to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::envmsg::{ControlAttr, ControlMessage, Envelope, EnvelopeFormat};

fn same(a: &ControlAttr<'_>, b: &ControlAttr<'_>) -> bool {
    match (a, b) {
        (ControlAttr::Unknown(x), ControlAttr::Unknown(y)) => {
            x.raw_type() == y.raw_type() && x.payload() == y.payload()
        }
        _ => a == b,
    }
}

fn check_control(ctrl: &ControlMessage<'_>, input_len: usize) {
    let _ = format!("{ctrl} {ctrl:?}");
    let mut decoded = Vec::new();
    for attr in ctrl.attrs() {
        match attr {
            Ok(a) => decoded.push(a),
            Err(e) => {
                assert!(e.offset() < input_len);
                return;
            }
        }
    }
    let mut out = vec![0u8; input_len + 64];
    let n = ctrl
        .repr()
        .emit(&mut out, |w| decoded.iter().try_for_each(|a| w.attr(a)))
        .expect("a decoded control message fits the room it came in");
    let again = ControlMessage::parse(&out[..n]).expect("rebuilt control message parses");
    assert_eq!(again.repr(), ctrl.repr());
    let rebuilt: Vec<_> = again
        .attrs()
        .collect::<Result<_, _>>()
        .expect("rebuilt attrs decode");
    assert_eq!(rebuilt.len(), decoded.len());
    for (x, y) in rebuilt.iter().zip(&decoded) {
        assert!(same(x, y), "{x:?} != {y:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    for format in [
        EnvelopeFormat::Basic,
        EnvelopeFormat::Ports,
        EnvelopeFormat::PortsId,
    ] {
        let env = match Envelope::parse(data, format) {
            Ok(env) => env,
            Err(e) => {
                assert!(e.offset() < data.len().max(1));
                continue;
            }
        };
        let _ = format!("{env} {env:?}");
        let repr = env.repr();
        let mut out = vec![0u8; repr.fragment_buffer_len(env.data().len())];
        let n = match env.fragment() {
            Some(frag) => repr.emit_fragment(env.data(), frag, &mut out).unwrap(),
            None => repr.emit(env.data(), &mut out).unwrap(),
        };
        // Canonical input (nothing but what the view exposes) rebuilds to
        // the identical bytes.
        if n == env.message().header().len() as usize && env.message().payload().len() + 16 == n {
            let raw = &data[..n];
            let canonical_types =
                raw[16 + format.header_len() + 2..16 + format.header_len() + 4] == [0, 0];
            if canonical_types && env.fragment().is_none() {
                let pad_zero = raw[env.data_offset() + env.data().len()..]
                    .iter()
                    .all(|&b| b == 0);
                if pad_zero {
                    assert_eq!(&out[..n], raw);
                }
            }
        }
        let again = Envelope::parse(&out[..n], format).expect("rebuilt envelope parses");
        assert_eq!(again.repr(), repr);
        assert_eq!(again.data(), env.data());
        assert_eq!(again.fragment(), env.fragment());

        match env.control() {
            Ok(ctrl) => check_control(&ctrl, data.len()),
            Err(e) => assert!(e.offset() + 4 >= env.data_offset() && e.offset() < data.len()),
        }
    }
    if let Ok(ctrl) = ControlMessage::parse(data) {
        check_control(&ctrl, data.len());
    }
});
