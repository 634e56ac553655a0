//! The walk the typed-view fuzz targets share: a run indexed as a set
//! through the generic view both ways (lazily and strictly), every
//! attribute it holds read by its spec, nests, arrays and sub-messages
//! followed, malformed or not; the deep check agrees with the checks of
//! the runs it covers.

use procslink::families::view::RawView;
use procslink::families::{AttrSet, AttrType};
use procslink::netlink::Attrs;

/// Slots enough for any set of rt-link and ethtool.
const SLOTS: usize = 512;
const MAX_DEPTH: usize = 16;

/// Walks `attrs` as `set`; panics only if the two parses disagree (the
/// strict parse passes what the lazy one refuses, fails elsewhere than the
/// lazy view's `check`, or holds other attributes), if an attribute the
/// lazy view holds does not read although the run passes its check, or if
/// the deep check passed a run above (`checked_above`) or this one and a
/// run it covers fails its check.
pub fn walk(set: &'static AttrSet, attrs: Attrs<'_>, depth: usize, checked_above: bool) {
    if depth > MAX_DEPTH {
        return;
    }
    let checked = RawView::<SLOTS>::parse_checked(set, attrs.clone());
    let view = match RawView::<SLOTS>::parse(set, attrs.clone()) {
        Ok(view) => view,
        Err(framing) => {
            let Err(strict) = checked else {
                panic!("{}: the strict parse passed {framing}", set.name());
            };
            assert!(
                strict.offset() <= framing.offset(),
                "{strict} after {framing}"
            );
            assert!(
                !checked_above,
                "{}: a deep check passed {framing}",
                set.name()
            );
            return;
        }
    };
    let verdict = view.check();
    assert_eq!(verdict, checked.map(|_| ()), "{}", set.name());
    let deep = view.check_deep();
    assert!(
        deep.is_err() || verdict.is_ok(),
        "{}: the deep check passed what the shallow one refuses",
        set.name()
    );
    assert!(
        !checked_above || deep.is_ok(),
        "{}: a deep check above passed {deep:?}",
        set.name()
    );
    let checked_above = deep.is_ok();
    if let Ok(checked) = checked {
        for i in 0..set.attrs().len() {
            assert_eq!(view.attr(i), checked.attr(i), "{} #{i}", set.name());
        }
    }
    let _ = view.unknown().count();
    for (i, spec) in set.attrs().iter().enumerate() {
        let Some(attr) = view.attr(i) else { continue };
        assert!(
            view.value(i).is_some() || verdict.is_err(),
            "{}: {attr:?} does not read, yet the run passes its check",
            spec.name()
        );
        match (spec.attr_type(), spec.nested()) {
            (AttrType::Nest, Some(nested)) => walk(nested, attr.nested(), depth + 1, checked_above),
            (AttrType::IndexedArray | AttrType::NestTypeValue, Some(nested)) => {
                for entry in attr.nested().map_while(Result::ok) {
                    walk(nested, entry.nested(), depth + 1, checked_above);
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
                    walk(nested, Attrs::new(run), depth + 1, checked_above);
                }
            }
            _ => {}
        }
    }
}
