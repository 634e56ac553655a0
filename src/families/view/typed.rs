//! The two types every generated view and writer is: [`View`] and
//! [`Writer`], told apart by a marker type naming their set.
//!
//! `rt_link::LinkAttrs<'a>` is `View<'a, rt_link::sets::LinkAttrs, 69>`
//! and `rt_link::LinkAttrsWriter` is `Writer<…, rt_link::sets::LinkAttrs>`:
//! what every view and every writer does (index, `raw`, `unknown`, `new`,
//! `end`, `put`, `Copy`, `Debug`) is written once here, and a family
//! module adds only its getters and keys, one inherent `impl` per set. (A
//! wrapper struct per set carried the same methods and derives 414 times
//! over, a tenth of the families' build time.)

use core::marker::PhantomData;

use super::key::{Encode, Key, Nested, Open};
use super::{RawView, SetView, Sink};
use crate::Error;
use crate::families::AttrSet;
use crate::netlink::{Attr, Attrs};

/// A marker type naming an attribute set in a [`View`]'s and a
/// [`Writer`]'s type: each generated family has one per set, in its
/// `sets` module.
pub trait Set: 'static {
    /// The set's table.
    const SET: &'static AttrSet;
}

/// The typed view of the attribute set `S`: one pass over a run indexes it
/// into `N` slots (the set's attribute count), then the getters generated
/// for `S` read it (`None`: absent or malformed; see [`RawView`]).
///
/// ```
/// # #[cfg(feature = "family-rt-addr")] {
/// use procslink::families::rt_addr::AddrAttrs;
///
/// // IFA_LABEL (3) "lo", then an attribute the set does not know (99).
/// let run = [7u8, 0, 3, 0, b'l', b'o', 0, 0, 4, 0, 99, 0];
/// let view = AddrAttrs::parse(&run)?;
/// assert_eq!(view.label(), Some(&b"lo"[..]));
/// assert_eq!(view.unknown().map(|a| a.kind()).collect::<Vec<_>>(), [99]);
/// // Debug: the set's name, then what it holds by name.
/// assert_eq!(format!("{view:?}"), r#"addr-attrs {"label": Some(String([108, 111]))}"#);
/// # }
/// # Ok::<(), procslink::Error>(())
/// ```
pub struct View<'a, S: Set, const N: usize>(pub(crate) RawView<'a, N>, PhantomData<S>);

impl<S: Set, const N: usize> Clone for View<'_, S, N> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Set, const N: usize> Copy for View<'_, S, N> {}

impl<S: Set, const N: usize> core::fmt::Debug for View<'_, S, N> {
    /// The set's name, then its attributes by name, as [`RawView`] shows
    /// them.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(S::SET.name())?;
        f.write_str(" ")?;
        core::fmt::Debug::fmt(&self.0, f)
    }
}

impl<'a, S: Set, const N: usize> SetView<'a> for View<'a, S, N> {
    const SET: &'static AttrSet = S::SET;

    #[inline]
    fn index_attrs<const CHECKED: bool>(attrs: Attrs<'a>) -> Result<Self, Error> {
        RawView::index::<CHECKED>(S::SET, attrs).map(|raw| View(raw, PhantomData))
    }
}

impl<'a, S: Set, const N: usize> View<'a, S, N> {
    /// Indexes `run`, lazily (see [`RawView::parse`]; the strict parse:
    /// [`from_attrs_checked`](SetView::from_attrs_checked)).
    #[inline]
    pub fn parse(run: &'a [u8]) -> Result<Self, Error> {
        <Self as SetView<'a>>::from_attrs(Attrs::new(run))
    }

    /// The generic view underneath: every attribute by its spec.
    #[inline]
    pub const fn raw(&self) -> &RawView<'a, N> {
        &self.0
    }

    /// The attributes the set does not describe.
    #[inline]
    pub fn unknown(&self) -> impl Iterator<Item = Attr<'a>> + 'a {
        self.0.unknown()
    }
}

/// The typed writer of the attribute set `S`: [`put`](Self::put) appends
/// an attribute of `S` by its [`Key`] (the constants generated on `S`'s
/// view: `rt_link::LinkAttrs::MTU`) to a message's top level or an open
/// nest, in the caller's buffer.
#[must_use = "a nest's writer discards the nest unless closed with end"]
pub struct Writer<'m, 'a, 'b, S: Set>(pub(crate) Sink<'m, 'a, 'b>, PhantomData<S>);

impl<S: Set> core::fmt::Debug for Writer<'_, '_, '_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Writer")
            .field(&S::SET.name())
            .field(&self.0)
            .finish()
    }
}

impl<'m, 'a, 'b, S: Set> Writer<'m, 'a, 'b, S> {
    /// Writes into `sink`: a message's top level or an open nest.
    #[inline]
    pub fn new(sink: impl Into<Sink<'m, 'a, 'b>>) -> Self {
        Writer(sink.into(), PhantomData)
    }

    /// Closes the nest written into (nothing to do at a message's top
    /// level).
    #[inline]
    pub fn end(self) -> Result<(), Error> {
        self.0.end()
    }

    /// Appends the attribute `key` with `value`, as the key's kind says
    /// (a scalar in host or network byte order, a string, a flag, bytes,
    /// a `struct`), and hands the writer back for the next one.
    ///
    /// ```
    /// # #[cfg(feature = "family-rt-link")] {
    /// use procslink::families::rt_link::{LinkAttrs, LinkAttrsWriter};
    /// use procslink::families::view::SetView;
    /// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
    ///
    /// let mut buf = [0u8; 64];
    /// let mut batch = Builder::new(&mut buf);
    /// let mut m = batch.message(MessageType(16), Flags::REQUEST, 1, 0)?;
    /// LinkAttrsWriter::new(&mut m)
    ///     .put(LinkAttrs::IFNAME, b"veth0")?
    ///     .put(LinkAttrs::MTU, 9000)?;
    /// let len = m.finish()?;
    ///
    /// let (_, run) = Message::parse(&buf[..len])?.split_family_header(0)?;
    /// let link = LinkAttrs::from_attrs(run)?;
    /// assert_eq!((link.ifname(), link.mtu()), (Some(&b"veth0"[..]), Some(9000)));
    /// # }
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn put<V: Encode + ?Sized>(
        &mut self,
        key: Key<S, V>,
        value: V::Value<'_>,
    ) -> Result<&mut Self, Error> {
        match V::encode(&mut self.0, key.number(), value) {
            Ok(()) => Ok(self),
            Err(e) => Err(e),
        }
    }

    /// Opens the nest `key` of the set `T`: `T`'s writer of its contents,
    /// closed by [`end`](Self::end) (dropped unclosed, the nest is
    /// discarded with its contents).
    #[inline]
    pub fn nest<T: Set>(&mut self, key: Key<S, Nested<T>>) -> Result<Writer<'_, 'a, 'b, T>, Error> {
        self.0.nest(key.number()).map(Writer::new)
    }

    /// Opens the nest `key` that is written attribute by attribute (an
    /// indexed array, a sub-message's format, a nest of no described set):
    /// the [`Sink`] of its contents, closed by [`Sink::end`].
    #[inline]
    pub fn open(&mut self, key: Key<S, Open>) -> Result<Sink<'_, 'a, 'b>, Error> {
        self.0.nest(key.number())
    }

    /// Where the writer writes, for what the set does not describe: an
    /// attribute by its number (`sink().put(99, &1u32)`).
    #[inline]
    pub fn sink(&mut self) -> &mut Sink<'m, 'a, 'b> {
        &mut self.0
    }
}
