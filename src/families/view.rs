//! The runtime of the generated typed views and writers: one pass over a
//! run of attributes into a slot per attribute of the set (the kernel's
//! `tb[]` idiom), the few generic accessors every generated getter is a
//! one-line call of, and the [`Key`]s the generated writers write with.
//!
//! A generated view (`rt_link::LinkAttrs`) is a [`View`]: a [`RawView`]
//! whose slot count is its set's attribute count, typed by a marker of its
//! set; a generated writer (`rt_link::LinkAttrsWriter`) is a [`Writer`]
//! around a [`Sink`], whose [`put`](Writer::put) takes the keys generated
//! on the view (`LinkAttrs::MTU`). [`RawView::value`] and
//! [`put_value`] read and write any attribute by its [`AttrSpec`], which is
//! what a table-driven test or a dynamic consumer uses:
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use procslink::families::rt_link;
//! use procslink::families::view::{RawView, Value, put_value};
//! use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
//!
//! let set = &rt_link::SET_LINK_ATTRS;
//! let mtu = set.by_name("mtu").expect("link-attrs has an mtu");
//! let mut buf = [0u8; 64];
//! let mut batch = Builder::new(&mut buf);
//! let mut m = batch.message(rt_link::RTM_NEWLINK, Flags::REQUEST, 1, 0)?;
//! put_value(&mut m, mtu, Value::Unsigned(9000))?;
//! // A value of the wrong kind for its spec is refused.
//! assert!(put_value(&mut m, mtu, Value::Flag).is_err());
//! m.finish()?;
//!
//! let (_, attrs) = Message::parse(batch.as_bytes())?.split_family_header(0)?;
//! // Slots: at least the set's attribute count.
//! let view = RawView::<128>::parse(set, attrs)?;
//! assert_eq!(view.value_of(mtu), Some(Value::Unsigned(9000)));
//! # }
//! # Ok::<(), procslink::Error>(())
//! ```

use core::marker::PhantomData;

use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::{AttrSet, AttrSpec, ByteOrder};
use crate::netlink::{Attr, Attrs, NLA_HDRLEN, align};
use crate::{Error, ErrorKind};

mod check;
mod iter;
mod key;
mod sink;
mod typed;
mod value;

pub use check::{check_attrs, check_attrs_deep};
pub use iter::{Entries, EntryValues, Nests, Strings, Values};
pub use key::{Be, Encode, Flag, Key, Nested, Open, Str, Struct};
pub use sink::Sink;
pub use typed::{Set, View, Writer};
pub use value::{Bitfield32, Put, Scalar, Value, put_value, read_value};

/// The attributes of one run indexed by their set: a slot per attribute of
/// the set (`N` at least the set's attribute count), holding where the
/// last occurrence of that attribute starts (the last one wins, as in the
/// kernel's `nla_parse`).
///
/// # Lazy by default, strict on request
///
/// [`parse`](Self::parse) indexes the way libmnl's `mnl_attr_parse` fills
/// a `tb[]`: one pass over the run that checks its framing (a truncated
/// header, an `nla_len` below 4 or past the end is an `Err`) and records
/// where each attribute starts, nothing more. Each accessor checks what it
/// reads when it reads it: a scalar of the wrong size, an address of the
/// wrong width or a `struct` shorter than its type reads as `None`, never
/// a panic. So `None` from a getter means absent *or* malformed; to tell
/// them apart, [`has`](Self::has) (or [`attr`](Self::attr)) says whether
/// the attribute is there, and [`check`](Self::check) says which
/// attribute breaks its spec's policy and how.
///
/// [`parse_checked`](Self::parse_checked) is the strict path: the same
/// pass also checks every attribute the set knows (every occurrence, not
/// only the last) against its spec's [policy](AttrSpec::policy) (sizes and
/// length limits, not the contents of nests, which
/// [`check_deep`](Self::check_deep) follows; `uint`/`sint` 4 or 8 bytes,
/// addresses by their display hint 4 or 16), as the kernel's `nla_parse`
/// does, so a view it returns reads every attribute it holds by its spec
/// (see [`check`](Self::check), which runs the same check on a view
/// already indexed).
///
/// Attributes the set does not know are no error either way:
/// [`unknown`](Self::unknown) yields them.
#[derive(Copy, Clone)]
pub struct RawView<'a, const N: usize> {
    run: &'a [u8],
    base: usize,
    set: &'static AttrSet,
    /// Position of the attribute's payload in `run` (its header's plus 4);
    /// 0 if absent.
    slots: [u32; N],
}

impl<'a, const N: usize> RawView<'a, N> {
    /// Indexes `attrs` (the rest of a run, as [`Attrs`] hands it over)
    /// against `set`, lazily: the framing is checked, the attributes' values
    /// are checked by the accessors that read them (see the
    /// [type's docs](Self#lazy-by-default-strict-on-request)).
    ///
    /// A framing error is an `Err` at the offset of the attribute, counted
    /// as `attrs` counts; a set of more than `N` attributes is
    /// [`ErrorKind::Misuse`], and a run longer than `u32::MAX` bytes (no
    /// netlink message is) [`ErrorKind::TooLarge`].
    ///
    /// ```
    /// # #[cfg(feature = "family-rt-link")] {
    /// use procslink::families::{rt_link, view::RawView};
    /// use procslink::netlink::Attrs;
    ///
    /// // IFLA_MTU (4) with 2 bytes instead of 4, then IFLA_IFNAME (3) "lo".
    /// let run = [6u8, 0, 4, 0, 0xdc, 5, 0, 0, 7, 0, 3, 0, b'l', b'o', 0, 0];
    /// let view = RawView::<69>::parse(&rt_link::SET_LINK_ATTRS, Attrs::new(&run))?;
    /// let mtu = rt_link::SET_LINK_ATTRS.attrs().iter().position(|s| s.name() == "mtu");
    /// let mtu = mtu.expect("link-attrs has an mtu");
    /// assert!(view.has(mtu)); // present,
    /// assert_eq!(view.get::<u32>(mtu), None); // but malformed,
    /// assert_eq!(view.check().unwrap_err().offset(), 0); // and check says where.
    /// // The strict parse refuses the run.
    /// assert!(RawView::<69>::parse_checked(&rt_link::SET_LINK_ATTRS, Attrs::new(&run)).is_err());
    /// # }
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn parse(set: &'static AttrSet, attrs: Attrs<'a>) -> Result<Self, Error> {
        Self::index::<false>(set, attrs)
    }

    /// Indexes `attrs` against `set` as [`parse`](Self::parse) does and, in
    /// the same pass, checks every attribute the set knows against its
    /// spec's policy (what [`check_attrs`] checks): a violation is an `Err`
    /// at the attribute's offset, and a view returned reads every attribute
    /// it holds by its spec (see [`check`](Self::check)).
    #[inline]
    pub fn parse_checked(set: &'static AttrSet, attrs: Attrs<'a>) -> Result<Self, Error> {
        Self::index::<true>(set, attrs)
    }

    /// [`parse`](Self::parse) (`CHECKED` false) or
    /// [`parse_checked`](Self::parse_checked) (`CHECKED` true), chosen at
    /// compile time: what the generated views'
    /// [`SetView::index_attrs`] calls.
    #[inline]
    pub fn index<const CHECKED: bool>(
        set: &'static AttrSet,
        attrs: Attrs<'a>,
    ) -> Result<Self, Error> {
        let mut view = RawView {
            run: attrs.remaining(),
            base: attrs.offset(),
            set,
            slots: [0; N],
        };
        fill::<CHECKED>(set, view.run, &mut view.slots).map_err(|e| e.shifted(view.base))?;
        Ok(view)
    }

    /// Checks every attribute of the run that the set knows against its
    /// spec's policy, as [`parse_checked`](Self::parse_checked) does (a
    /// second pass over the run; see [`check_attrs`]).
    ///
    /// `Ok` means every attribute present reads by its spec
    /// ([`value`](Self::value)): an integer, address, string or flag getter
    /// that returns `None` met an absent attribute. (A binary read as a
    /// `struct` also needs the struct's size, which the policy checks only
    /// where the specification states a length.)
    pub fn check(&self) -> Result<(), Error> {
        check_attrs(self.set, self.attrs())
    }

    /// [`check`](Self::check), and inside every nest the set describes,
    /// recursively (see [`check_attrs_deep`]): `Ok` means every attribute
    /// reachable through the view's getters, nests and sub-messages
    /// included, reads by its spec.
    pub fn check_deep(&self) -> Result<(), Error> {
        check_attrs_deep(self.set, self.attrs())
    }

    /// The set the view reads.
    pub const fn set(&self) -> &'static AttrSet {
        self.set
    }

    /// The whole run, attributes of every type in order.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::with_offset(self.run, self.base)
    }

    /// The attributes whose type the set does not describe, in order.
    pub fn unknown(&self) -> impl Iterator<Item = Attr<'a>> + 'a {
        let set = self.set;
        self.attrs()
            .map_while(Result::ok)
            .filter(move |a| set.by_number(a.kind()).is_none())
    }

    /// The last attribute of the set's `index`-th spec, if present.
    #[inline]
    pub fn attr(&self, index: usize) -> Option<Attr<'a>> {
        let at = (*self.slots.get(index)? as usize).checked_sub(NLA_HDRLEN)?;
        let rest = self.run.get(at..)?;
        let ([l0, l1, t0, t1], _) = rest.split_first_chunk::<NLA_HDRLEN>()?;
        let len = usize::from(u16::from_ne_bytes([*l0, *l1]));
        let payload = rest.get(NLA_HDRLEN..len)?;
        let ty = u16::from_ne_bytes([*t0, *t1]);
        Some(Attr::from_parts(ty, payload, self.base.saturating_add(at)))
    }

    /// Is the attribute of the `index`-th spec present?
    #[inline]
    pub fn has(&self, index: usize) -> bool {
        self.slots.get(index).is_some_and(|&s| s != 0)
    }

    /// The value of the `index`-th spec's attribute, in host byte order.
    #[inline]
    pub fn get<T: Scalar<'a>>(&self, index: usize) -> Option<T> {
        T::read_some(&self.attr(index)?, ByteOrder::Host)
    }

    /// The value of the `index`-th spec's attribute, big-endian.
    #[inline]
    pub fn get_be<T: Scalar<'a>>(&self, index: usize) -> Option<T> {
        T::read_some(&self.attr(index)?, ByteOrder::Big)
    }

    /// A string attribute's bytes without the NUL (any bytes: interface
    /// names need not be UTF-8).
    #[inline]
    pub fn string(&self, index: usize) -> Option<&'a [u8]> {
        Some(self.attr(index)?.bytes_str())
    }

    /// A binary attribute's `struct`, read by value (see [`ReadStruct`]):
    /// `None` when absent or shorter than the struct (a longer payload is a
    /// newer kernel's: its head is read).
    #[inline]
    pub fn structure<T: ReadStruct>(&self, index: usize) -> Option<T> {
        T::read(self.attr(index)?.payload())
    }

    /// A nest read as the view `V` (indexed now by [`SetView::from_attrs`],
    /// lazily: a framing error in it is the `Err`).
    #[inline]
    pub fn nest<V: SetView<'a>>(&self, index: usize) -> Result<Option<V>, Error> {
        self.attr(index)
            .map(|a| V::from_attrs(a.nested()))
            .transpose()
    }

    /// The sub-message of the `index`-th spec, its format chosen by the
    /// spec's selector sibling: a string selector by its text, an integer
    /// one by the name of its enum entry.
    pub fn sub_message<S: SubMessageView<'a>>(&self, index: usize) -> Result<Option<S>, Error> {
        let Some(attr) = self.attr(index) else {
            return Ok(None);
        };
        S::select(self.selector(index), attr).map(Some)
    }

    fn selector(&self, index: usize) -> Option<&'static str> {
        let spec = self.set.attrs().get(index)?;
        let selector = self.set.by_name(spec.selector()?)?;
        let at = self
            .set
            .attrs()
            .binary_search_by_key(&selector.number(), |s| s.number())
            .ok()?;
        let sub = spec.sub_message()?;
        let value = match self.value(at)? {
            Value::String(text) => core::str::from_utf8(text).ok()?,
            Value::Unsigned(v) => selector.enumeration()?.name_of(v)?,
            _ => return None,
        };
        sub.format(value).map(|f| f.value())
    }

    /// Every attribute of the `index`-th spec (a `multi-attr`), read as
    /// `T` in the spec's byte order; values that do not read are skipped.
    pub fn values<T: Scalar<'a>>(&self, index: usize) -> Values<'a, T> {
        let (number, order) = self.number_and_order(index);
        Values {
            attrs: self.attrs(),
            number,
            order,
            _value: PhantomData,
        }
    }

    /// Every attribute of the `index`-th spec (a `multi-attr` string),
    /// each without its NUL.
    pub fn strings(&self, index: usize) -> Strings<'a> {
        Strings {
            attrs: self.attrs(),
            number: self.number_and_order(index).0,
        }
    }

    /// Every attribute of the `index`-th spec (a `multi-attr` nest), each
    /// read as the view `V`.
    pub fn nests<V: SetView<'a>>(&self, index: usize) -> Nests<'a, V> {
        Nests {
            attrs: self.attrs(),
            number: self.number_and_order(index).0,
            _view: PhantomData,
        }
    }

    /// The entries of the `index`-th spec's indexed array or
    /// nest-type-value: `(index or type, entry)`, entries read as `V`.
    pub fn entries<V: SetView<'a>>(&self, index: usize) -> Entries<'a, V> {
        Entries {
            entries: self.attr(index).map(|a| a.nested()),
            _view: PhantomData,
        }
    }

    /// The entries of the `index`-th spec's indexed array of scalars:
    /// `(index, value)`, values read as `T` in the spec's byte order.
    pub fn entry_values<T: Scalar<'a>>(&self, index: usize) -> EntryValues<'a, T> {
        EntryValues {
            entries: self.attr(index).map(|a| a.nested()),
            order: self.number_and_order(index).1,
            _value: PhantomData,
        }
    }

    fn number_and_order(&self, index: usize) -> (u16, ByteOrder) {
        match self.set.attrs().get(index) {
            Some(spec) => (spec.number(), spec.byte_order()),
            // No attribute has this number with the flag bits masked off.
            None => (u16::MAX, ByteOrder::Host),
        }
    }

    /// The value of the `index`-th spec's attribute, read by its spec
    /// (what the typed getters read, as a [`Value`]).
    pub fn value(&self, index: usize) -> Option<Value<'a>> {
        let spec = self.set.attrs().get(index)?;
        read_value(spec, &self.attr(index)?)
    }

    /// The value of the attribute `spec` of the view's set (found by its
    /// number), read by its spec: `None` if absent or not of the set.
    pub fn value_of(&self, spec: &AttrSpec) -> Option<Value<'a>> {
        let index = self
            .set
            .attrs()
            .binary_search_by_key(&spec.number(), |s| s.number())
            .ok()?;
        self.value(index)
    }
}

impl<const N: usize> core::fmt::Debug for RawView<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut list = f.debug_map();
        for (i, spec) in self.set.attrs().iter().enumerate() {
            if self.has(i) {
                list.entry(&spec.name(), &self.value(i));
            }
        }
        list.finish()
    }
}

/// Fills `slots` (relative positions) from `run`: the one pass, which
/// with `CHECKED` also checks each attribute the set knows.
#[inline]
fn fill<const CHECKED: bool>(
    set: &'static AttrSet,
    run: &[u8],
    slots: &mut [u32],
) -> Result<(), Error> {
    let specs = set.attrs();
    let Some(slots) = slots.get_mut(..specs.len()) else {
        return Err(Error::new(ErrorKind::Misuse, 0));
    };
    // A run is at most a message, whose length is a u32: then every
    // position in it, up to its end, is a u32 too.
    if u32::try_from(run.len()).is_err() {
        return Err(Error::new(
            ErrorKind::TooLarge {
                size: run.len(),
                max: u32::MAX as usize,
            },
            0,
        ));
    }
    let index = SlotIndex::of(specs);
    for attr in Attrs::new(run) {
        let attr = attr?;
        // Numbers the set does not describe (past a dense set's last, or
        // in none of a sparse set's slots): unknown.
        let Some(i) = index.get(attr.kind()) else {
            continue;
        };
        let Some(slot) = slots.get_mut(i) else {
            continue;
        };
        if CHECKED && let Some(spec) = specs.get(i) {
            check::check(spec, &attr)?;
        }
        // The offset is below the run's length (checked above), and the
        // payload's, its plus 4, at most the length: neither the cast nor
        // the addition wraps.
        *slot = (attr.offset() as u32).wrapping_add(NLA_HDRLEN as u32);
    }
    Ok(())
}

/// Where an attribute number's slot is in a set's specs (sorted by
/// number): most sets number their attributes from their first without a
/// gap, and then the number less the first is the slot; the others are
/// searched.
#[derive(Copy, Clone)]
struct SlotIndex {
    specs: &'static [AttrSpec],
    first: usize,
    dense: bool,
}

impl SlotIndex {
    #[inline]
    fn of(specs: &'static [AttrSpec]) -> Self {
        let first = specs.first().map_or(0, |s| usize::from(s.number()));
        let last = specs.last().map_or(0, |s| usize::from(s.number()));
        let dense = last.wrapping_sub(first).wrapping_add(1) == specs.len();
        SlotIndex {
            specs,
            first,
            dense,
        }
    }

    /// The slot of `number`: `None` if the set does not describe it; a
    /// dense set's number past its last is a slot past its end, which the
    /// caller's bounds check turns away.
    #[inline]
    fn get(&self, number: u16) -> Option<usize> {
        if self.dense {
            Some(usize::from(number).wrapping_sub(self.first))
        } else {
            self.specs
                .binary_search_by_key(&number, |s| s.number())
                .ok()
        }
    }
}

/// A generated view of an attribute set.
///
/// Every generated view's `raw()` is its [`RawView`], whose
/// [`check`](RawView::check) checks a view already indexed.
pub trait SetView<'a>: Sized {
    /// The set the view reads.
    const SET: &'static AttrSet;

    /// Indexes a run of the set, lazily or (`CHECKED`) strictly: what the
    /// generated views implement ([`RawView::index`]), and
    /// [`from_attrs`](Self::from_attrs) and
    /// [`from_attrs_checked`](Self::from_attrs_checked) call.
    fn index_attrs<const CHECKED: bool>(attrs: Attrs<'a>) -> Result<Self, Error>;

    /// Indexes a run of the set, lazily (see [`RawView::parse`]): only a
    /// framing error is an `Err`; a malformed attribute reads as `None`.
    /// What the generated `parse` and nest getters call.
    #[inline]
    fn from_attrs(attrs: Attrs<'a>) -> Result<Self, Error> {
        Self::index_attrs::<false>(attrs)
    }

    /// Indexes a run of the set, strictly, in the same one pass (see
    /// [`RawView::parse_checked`]): an attribute breaking its spec's policy
    /// is also an `Err`, the one [`RawView::check`] would return.
    ///
    /// ```
    /// # #[cfg(feature = "family-rt-link")] {
    /// use procslink::families::{rt_link::LinkAttrs, view::SetView};
    /// use procslink::netlink::Attrs;
    ///
    /// // IFLA_MTU (4) with 2 bytes instead of 4.
    /// let run = [6u8, 0, 4, 0, 0xdc, 5, 0, 0];
    /// let lazy = LinkAttrs::parse(&run)?;
    /// assert_eq!(lazy.mtu(), None);
    /// assert!(lazy.raw().check().is_err());
    /// assert!(LinkAttrs::from_attrs_checked(Attrs::new(&run)).is_err());
    /// # }
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    fn from_attrs_checked(attrs: Attrs<'a>) -> Result<Self, Error> {
        Self::index_attrs::<true>(attrs)
    }
}

/// A specification's `struct` read by value from the head of a binary
/// attribute's payload: what a typed view's getter returns for it.
///
/// Every generated struct implements it, each field read from its bytes
/// in the struct's layout (padding included), so the struct holds exactly
/// the bytes it was read from ([`IntoBytes`](zerocopy::IntoBytes) gives
/// them back). Fixed headers are also `FromBytes`, viewed in place
/// ([`Message::family_header`](crate::netlink::Message::family_header));
/// the structs of attributes are not, which keeps the families' build
/// within twice the bare codec's (zerocopy's `FromBytes` derive was a
/// quarter of it). Their copies are small: 200 bytes at most.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use procslink::families::{rt_link::RtnlLinkStats64, view::ReadStruct};
/// use zerocopy::IntoBytes;
///
/// let bytes: Vec<u8> = (0..=255).cycle().take(size_of::<RtnlLinkStats64>() + 3).collect();
/// let stats = RtnlLinkStats64::read(&bytes).expect("long enough");
/// assert_eq!(stats.as_bytes(), &bytes[..size_of::<RtnlLinkStats64>()]);
/// assert_eq!(stats.rx_packets.get(), u64::from_ne_bytes([0, 1, 2, 3, 4, 5, 6, 7]));
/// // Shorter than the struct: nothing to read.
/// assert!(RtnlLinkStats64::read(&bytes[..10]).is_none());
/// # }
/// ```
pub trait ReadStruct: Sized {
    /// The struct at the head of `bytes`; `None` when `bytes` is shorter
    /// than the struct.
    fn read(bytes: &[u8]) -> Option<Self>;
}

/// A generated enum of the formats of a sub-message.
pub trait SubMessageView<'a>: Sized {
    /// The format named `format` (the selector's value; `None`: the
    /// selector is absent or names no format) read from `attr`.
    fn select(format: Option<&str>, attr: Attr<'a>) -> Result<Self, Error>;
}

/// A format's fixed header at the start of a sub-message attribute.
pub fn header<'a, T>(attr: &Attr<'a>) -> Result<&'a T, Error>
where
    T: FromBytes + KnownLayout + Immutable + Unaligned,
{
    T::ref_from_prefix(attr.payload())
        .map(|(header, _)| header)
        .map_err(|_| {
            Error::new(
                ErrorKind::Truncated {
                    needed: core::mem::size_of::<T>(),
                    available: attr.payload().len(),
                },
                attr.offset(),
            )
        })
}

/// The attributes after a fixed header of `header_size` bytes (padded to
/// 4) in a sub-message attribute, read as the view `V`.
pub fn after_header<'a, V: SetView<'a>>(attr: &Attr<'a>, header_size: usize) -> Result<V, Error> {
    V::from_attrs(attrs_after_header(attr, header_size))
}

/// The run of attributes after a fixed header of `header_size` bytes
/// (padded to 4) in a sub-message attribute, offsets counted as `attr`'s.
fn attrs_after_header<'a>(attr: &Attr<'a>, header_size: usize) -> Attrs<'a> {
    let skip = align(header_size);
    let run = attr.payload().get(skip..).unwrap_or(&[]);
    Attrs::with_offset(run, attr.offset().saturating_add(NLA_HDRLEN + skip))
}
