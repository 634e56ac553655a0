//! The iterators of multi-attributes and arrays.

use core::marker::PhantomData;

use super::{Scalar, SetView};
use crate::Error;
use crate::families::ByteOrder;
use crate::netlink::Attrs;

/// The iterator of [`RawView::values`](super::RawView::values).
#[derive(Clone, Debug)]
pub struct Values<'a, T> {
    pub(super) attrs: Attrs<'a>,
    pub(super) number: u16,
    pub(super) order: ByteOrder,
    pub(super) _value: PhantomData<fn() -> T>,
}

impl<'a, T: Scalar<'a>> Iterator for Values<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        for attr in self.attrs.by_ref().map_while(Result::ok) {
            if attr.kind() == self.number
                && let Ok(value) = T::read(&attr, self.order)
            {
                return Some(value);
            }
        }
        None
    }
}

/// The iterator of [`RawView::nests`](super::RawView::nests).
#[derive(Clone, Debug)]
pub struct Nests<'a, V> {
    pub(super) attrs: Attrs<'a>,
    pub(super) number: u16,
    pub(super) _view: PhantomData<fn() -> V>,
}

impl<'a, V: SetView<'a>> Iterator for Nests<'a, V> {
    type Item = Result<V, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let attr = self
            .attrs
            .by_ref()
            .map_while(Result::ok)
            .find(|a| a.kind() == self.number)?;
        Some(V::from_attrs(attr.nested()))
    }
}

/// The iterator of [`RawView::entries`](super::RawView::entries): `(index or type, entry)`; a
/// framing error ends it with the `Err`.
#[derive(Clone, Debug)]
pub struct Entries<'a, V> {
    pub(super) entries: Option<Attrs<'a>>,
    pub(super) _view: PhantomData<fn() -> V>,
}

impl<'a, V: SetView<'a>> Iterator for Entries<'a, V> {
    type Item = Result<(u16, V), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.entries.as_mut()?.next()?;
        Some(entry.and_then(|e| Ok((e.kind(), V::from_attrs(e.nested())?))))
    }
}

/// The iterator of [`RawView::entry_values`](super::RawView::entry_values): `(index, value)`; an entry
/// of the wrong size or a framing error is an `Err`.
#[derive(Clone, Debug)]
pub struct EntryValues<'a, T> {
    pub(super) entries: Option<Attrs<'a>>,
    pub(super) order: ByteOrder,
    pub(super) _value: PhantomData<fn() -> T>,
}

impl<'a, T: Scalar<'a>> Iterator for EntryValues<'a, T> {
    type Item = Result<(u16, T), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.entries.as_mut()?.next()?;
        let order = self.order;
        Some(entry.and_then(|e| Ok((e.kind(), T::read(&e, order)?))))
    }
}

/// The iterator of [`RawView::strings`](super::RawView::strings).
#[derive(Clone, Debug)]
pub struct Strings<'a> {
    pub(super) attrs: Attrs<'a>,
    pub(super) number: u16,
}

impl<'a> Iterator for Strings<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let number = self.number;
        self.attrs
            .by_ref()
            .map_while(Result::ok)
            .find(|a| a.kind() == number)
            .map(|a| a.bytes_str())
    }
}
