//! Any bytes as an ethtool attribute set (the first byte picks the set)
//! through the typed views: the named getters of the link-modes reply, then
//! every attribute of every set below it through the generic view, lazily
//! and strictly. Parsing may fail and getters may read `None`, never panic;
//! once a run passes its check, every attribute it holds must read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procslink::families::ethtool::{self, Linkmodes};
use procslink::families::view::SetView;
use procslink::netlink::Attrs;

#[path = "../src/view_walk.rs"]
mod view_walk;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, run)) = data.split_first() else {
        return;
    };
    let strict = Linkmodes::from_attrs_checked(Attrs::new(run));
    if let Ok(modes) = Linkmodes::parse(run) {
        assert_eq!(strict.err(), modes.raw().check().err());
        let _ = (
            modes.speed(),
            modes.duplex(),
            modes.autoneg(),
            modes.lanes(),
        );
        if let Ok(Some(header)) = modes.header() {
            let _ = (header.dev_index(), header.dev_name(), header.flags());
        }
        if let Ok(Some(ours)) = modes.ours() {
            let _ = (ours.nomask(), ours.size());
            if let Ok(Some(bits)) = ours.bits() {
                for bit in bits.bit() {
                    let _ = bit.map(|b| (b.index(), b.name(), b.value()));
                }
            }
        }
    }
    let sets = ethtool::FAMILY.attr_sets();
    if let Some(set) = sets.get(usize::from(pick) % sets.len()) {
        view_walk::walk(set, Attrs::new(run), 0, false);
    }
});
