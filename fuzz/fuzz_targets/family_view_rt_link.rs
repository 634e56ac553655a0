//! Any bytes as rt-link's `link-attrs` through the typed view: the lazy
//! parse and the strict one (which must agree with the lazy view's
//! `check`), the named getters, then every attribute of every set below it
//! through the generic view both ways (nests, arrays and sub-messages
//! followed). Parsing may fail and getters may read `None`, never panic;
//! once a run passes its check, every attribute it holds must read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::families::rt_link::{self, LinkAttrs, LinkinfoDataMsg};
use procslink::families::view::SetView;
use procslink::netlink::Attrs;

#[path = "../src/view_walk.rs"]
mod view_walk;

fuzz_target!(|data: &[u8]| {
    let strict = LinkAttrs::from_attrs_checked(Attrs::new(data));
    let Ok(link) = LinkAttrs::parse(data) else {
        assert!(strict.is_err(), "the strict parse passed a framing error");
        return;
    };
    assert_eq!(strict.err(), link.raw().check().err());
    let _ = (link.ifname(), link.mtu(), link.address(), link.operstate());
    let _ = (
        link.master(),
        link.stats64(),
        link.stats(),
        link.alt_ifname(),
    );
    if let Ok(Some(info)) = link.linkinfo() {
        let _ = info.kind();
        if let Ok(Some(LinkinfoDataMsg::Bridge(bridge))) = info.data() {
            let _ = bridge.stp_state();
        }
        let _ = info.slave_data();
    }
    if let Ok(Some(af)) = link.af_spec() {
        let _ = af.inet6();
    }
    for entry in link.vfinfo_list().into_iter().flatten() {
        let _ = entry;
    }
    view_walk::walk(LinkAttrs::SET, link.raw().attrs(), 0, false);
    for set in rt_link::FAMILY.attr_sets() {
        view_walk::walk(set, Attrs::new(data), 0, false);
    }
});
