//! Generic netlink family answers over arbitrary bytes: every message read
//! as a `Family`, its operations and groups walked; errors stay inside the
//! message, nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::netlink::Messages;
use procslink::netlink::genl::Family;

fuzz_target!(|data: &[u8]| {
    for message in Messages::new(data).flatten() {
        let end = message.payload_offset() + message.payload().len();
        match Family::parse(&message) {
            Ok(family) => {
                for op in family.ops() {
                    if let Err(e) = op {
                        assert!(e.offset() <= end);
                    }
                }
                for group in family.groups() {
                    match group {
                        // Found, unless a malformed group comes first.
                        Ok(g) => assert!(!matches!(family.group(g.name), Ok(None))),
                        Err(e) => assert!(e.offset() <= end),
                    }
                }
            }
            Err(e) => assert!(e.offset() <= end, "{e} past {end}"),
        }
    }
});
