//! The walk the typed-view fuzz targets share: a run parsed as a set
//! through the generic view, every attribute it holds read by its spec,
//! nests, arrays and sub-messages followed.

use procslink::families::view::RawView;
use procslink::families::{AttrSet, AttrType};
use procslink::netlink::Attrs;

/// Slots enough for any set of rt-link and ethtool.
const SLOTS: usize = 512;
const MAX_DEPTH: usize = 16;

/// Walks `attrs` as `set`; panics only if a parsed view holds an
/// attribute that does not read.
pub fn walk(set: &'static AttrSet, attrs: Attrs<'_>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(view) = RawView::<SLOTS>::parse(set, attrs.clone()) else {
        return;
    };
    let _ = view.unknown().count();
    for (i, spec) in set.attrs().iter().enumerate() {
        let Some(attr) = view.attr(i) else { continue };
        assert!(view.value(i).is_some(), "{}: {attr:?}", spec.name());
        match (spec.attr_type(), spec.nested()) {
            (AttrType::Nest, Some(nested)) => walk(nested, attr.nested(), depth + 1),
            (AttrType::IndexedArray | AttrType::NestTypeValue, Some(nested)) => {
                for entry in attr.nested().map_while(Result::ok) {
                    walk(nested, entry.nested(), depth + 1);
                }
            }
            (AttrType::SubMessage, _) => {
                if let Some(format) = set.sub_message_format(spec, attrs.clone())
                    && let Some(nested) = format.attr_set()
                {
                    let skip = format.fixed_header().map_or(0, |h| h.size());
                    let run = attr
                        .payload()
                        .get(skip.next_multiple_of(4)..)
                        .unwrap_or(&[]);
                    walk(nested, Attrs::new(run), depth + 1);
                }
            }
            _ => {}
        }
    }
}
