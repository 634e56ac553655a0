//! The runtime of the generated typed views and writers: one pass over a
//! run of attributes into a slot per attribute of the set (the kernel's
//! `tb[]` idiom), and the few generic accessors every generated getter and
//! setter is a one-line call of.
//!
//! A generated view (`rt_link::LinkAttrs`) wraps a [`RawView`] whose slot
//! count is its set's attribute count; a generated writer
//! (`rt_link::LinkAttrsWriter`) wraps a [`Sink`]. [`RawView::value`] and
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

use super::{AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint};
use crate::netlink::{Attr, Attrs, NLA_HDRLEN, align};
use crate::{Error, ErrorKind, PolicyViolation};

mod iter;
mod sink;
mod value;

pub use iter::{Entries, EntryValues, Nests, Strings, Values};
pub use sink::{Sink, chained};
pub use value::{Bitfield32, Put, Scalar, Value, put_value, read_value};

/// The attributes of one run indexed by their set: a slot per attribute of
/// the set (`N` at least the set's attribute count), holding where the
/// last occurrence of that attribute starts.
///
/// [`parse`](Self::parse) makes one pass over the run and checks every
/// attribute the set knows against its spec's [policy](AttrSpec::policy)
/// (sizes and length limits, not the contents of nests; `uint`/`sint` 4
/// or 8 bytes, addresses by their display hint 4 or 16), so the scalar
/// accessors cannot fail afterwards. Attributes the set does not know are
/// no error: [`unknown`](Self::unknown) yields them.
#[derive(Copy, Clone)]
pub struct RawView<'a, const N: usize> {
    run: &'a [u8],
    base: usize,
    set: &'static AttrSet,
    /// Position of the attribute's header in `run`, plus one; 0 if absent.
    slots: [u32; N],
}

impl<'a, const N: usize> RawView<'a, N> {
    /// Indexes `attrs` (the rest of a run, as [`Attrs`] hands it over)
    /// against `set`.
    ///
    /// A framing error or an attribute breaking its spec's policy is an
    /// `Err` at the offset of the attribute, counted as `attrs` counts; a
    /// set of more than `N` attributes is [`ErrorKind::Misuse`].
    #[inline]
    pub fn parse(set: &'static AttrSet, attrs: Attrs<'a>) -> Result<Self, Error> {
        Self::parse_with(set, &[], attrs)
    }

    /// [`parse`](Self::parse) with the set's [`quick_codes`] computed
    /// beforehand (the generated views keep them in a constant): most
    /// attributes are then checked by one byte instead of their spec.
    #[inline]
    pub fn parse_with(
        set: &'static AttrSet,
        codes: &[u8],
        attrs: Attrs<'a>,
    ) -> Result<Self, Error> {
        let mut view = RawView {
            run: attrs.remaining(),
            base: attrs.offset(),
            set,
            slots: [0; N],
        };
        fill(set, codes, view.run, &mut view.slots).map_err(|e| e.shifted(view.base))?;
        Ok(view)
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
        let at = (*self.slots.get(index)?).checked_sub(1)? as usize;
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
        T::read(&self.attr(index)?, ByteOrder::Host).ok()
    }

    /// The value of the `index`-th spec's attribute, big-endian.
    #[inline]
    pub fn get_be<T: Scalar<'a>>(&self, index: usize) -> Option<T> {
        T::read(&self.attr(index)?, ByteOrder::Big).ok()
    }

    /// A string attribute's bytes without the NUL (any bytes: interface
    /// names need not be UTF-8).
    #[inline]
    pub fn string(&self, index: usize) -> Option<&'a [u8]> {
        Some(self.attr(index)?.bytes_str())
    }

    /// A binary attribute's `struct`: `None` when absent or shorter than
    /// the struct (a longer payload is a newer kernel's: its head is read).
    #[inline]
    pub fn structure<T>(&self, index: usize) -> Option<&'a T>
    where
        T: FromBytes + KnownLayout + Immutable + Unaligned,
    {
        T::ref_from_prefix(self.attr(index)?.payload())
            .ok()
            .map(|(value, _)| value)
    }

    /// A nest read as the view `V` (parsed now: framing or policy errors
    /// in it are the `Err`).
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

/// Fills `slots` (relative positions) from `run`: the one pass.
fn fill(set: &'static AttrSet, codes: &[u8], run: &[u8], slots: &mut [u32]) -> Result<(), Error> {
    let specs = set.attrs();
    if specs.len() > slots.len() {
        return Err(Error::new(ErrorKind::Misuse, 0));
    }
    let first = specs.first().map_or(0, |s| s.number());
    let last = specs.last().map_or(0, |s| s.number());
    // Most sets number their attributes from `first` without a gap (the
    // specs are sorted by number): then the number is the index.
    let dense = usize::from(last.wrapping_sub(first)).wrapping_add(1) == specs.len();
    for attr in Attrs::new(run) {
        let attr = attr?;
        let number = attr.kind();
        let index = if dense {
            usize::from(number.wrapping_sub(first))
        } else {
            match specs.binary_search_by_key(&number, |s| s.number()) {
                Ok(index) => index,
                Err(_) => continue,
            }
        };
        // Past the specs (numbers after the last of a dense set): unknown.
        let code = match (codes.get(index), specs.get(index)) {
            (Some(&code), _) => code,
            (None, Some(spec)) => code_of(spec),
            (None, None) => continue,
        };
        let Some(slot) = slots.get_mut(index) else {
            continue;
        };
        check(code, || specs.get(index), &attr)?;
        // A run is at most a message, whose length is a u32.
        *slot = u32::try_from(attr.offset()).map_or(0, |at| at.saturating_add(1));
    }
    Ok(())
}

/// Checks `attr` against `spec`'s [policy](AttrSpec::policy) and
/// [`wrong_width`]. The common cases (a fixed-size integer or flag, an
/// address of a fixed width, a `uint`/`sint`, a nest or a binary, without
/// length checks) are decided by their `code` (see [`code_of`]) without
/// building the policy or reading the spec: the same verdict, sooner.
#[inline]
fn check<'s>(
    code: u8,
    spec: impl FnOnce() -> Option<&'s AttrSpec>,
    attr: &Attr<'_>,
) -> Result<(), Error> {
    let len = attr.payload().len();
    // Two-way branches on a table's byte, not a jump on the type: the
    // attributes of a run come in every type.
    let expected = if code <= MAX_EXACT {
        Some(code as usize).filter(|&size| size != len)
    } else if code == ANY || (code == STRING && attr.payload().last() == Some(&0)) {
        None
    } else if code == WIDTH_4_8 {
        (len != 4 && len != 8).then_some(8)
    } else if code == WIDTH_4_16 {
        (len != 4 && len != 16).then_some(16)
    } else if let Some(spec) = spec() {
        spec.policy().check_shallow(attr)?;
        wrong_width(spec, len)
    } else {
        None
    };
    match expected {
        None => Ok(()),
        Some(expected) => Err(Error::new(
            ErrorKind::Policy {
                attr_type: attr.kind(),
                violation: PolicyViolation::WrongSize {
                    expected,
                    found: len,
                },
            },
            attr.offset(),
        )),
    }
}

/// The code [`check`] decides by for `spec` (see [`quick`]).
#[inline]
const fn code_of(spec: &AttrSpec) -> u8 {
    let checks = spec.checks();
    if checks.min_len().is_none() && checks.max_len().is_none() && checks.exact_len().is_none() {
        quick(spec.attr_type(), spec.display_hint())
    } else {
        POLICY
    }
}

/// The check code of each attribute of `set`, in its order: what
/// [`RawView::parse_with`] takes, computed at compile time by the
/// generated views (`N` is the set's attribute count).
pub const fn quick_codes<const N: usize>(set: &AttrSet) -> [u8; N] {
    let mut codes = [POLICY; N];
    let specs = set.attrs();
    let mut i = 0;
    while i < N && i < specs.len() {
        codes[i] = code_of(&specs[i]);
        i += 1;
    }
    codes
}

/// [`check`]'s verdict for a type without length checks: the payload size
/// a fixed-size type or a fixed-width address must have (at most
/// [`MAX_EXACT`]), any payload ([`ANY`]), 4 or 8 bytes for `uint`/`sint`
/// ([`WIDTH_4_8`]) and 4 or 16 for an IPv4-or-IPv6 address
/// ([`WIDTH_4_16`]), a string that ends in its NUL or else the policy
/// ([`STRING`]), or ask the policy ([`POLICY`]). The widths are
/// [`wrong_width`]'s. A `match` of constants: the compiler makes it a table.
const fn quick(ty: AttrType, hint: DisplayHint) -> u8 {
    match (ty, hint) {
        (AttrType::Flag, _) => 0,
        (AttrType::U8 | AttrType::S8, _) => 1,
        (AttrType::U16 | AttrType::S16, _) => 2,
        (AttrType::U32 | AttrType::S32, _) => 4,
        (AttrType::U64 | AttrType::S64, _) => 8,
        (AttrType::Uint | AttrType::Sint, _) => WIDTH_4_8,
        (AttrType::Binary, DisplayHint::Ipv4) => 4,
        (AttrType::Binary, DisplayHint::Ipv6) => 16,
        (AttrType::Binary, DisplayHint::Ipv4OrV6) => WIDTH_4_16,
        (AttrType::Binary, _) => ANY,
        (AttrType::String, _) => STRING,
        (
            AttrType::Unused
            | AttrType::Pad
            | AttrType::Nest
            | AttrType::IndexedArray
            | AttrType::NestTypeValue
            | AttrType::SubMessage,
            _,
        ) => ANY,
        (AttrType::Bitfield32, _) => POLICY,
    }
}
/// The largest exact payload size a code stands for (an IPv6 address).
const MAX_EXACT: u8 = 16;
const WIDTH_4_8: u8 = 0xfa;
const WIDTH_4_16: u8 = 0xfb;
const STRING: u8 = 0xfc;
const ANY: u8 = 0xfd;
const POLICY: u8 = 0xff;

/// The widths the typed getters read beyond the length policy: `uint` and
/// `sint` are 4 or 8 bytes (as the kernel checks `NLA_UINT`), addresses by
/// their display hint 4 or 16. Returns the width expected if `len` is not
/// one.
fn wrong_width(spec: &AttrSpec, len: usize) -> Option<usize> {
    let (a, b) = match (spec.attr_type(), spec.display_hint()) {
        (AttrType::Uint | AttrType::Sint, _) => (4, 8),
        (AttrType::Binary, DisplayHint::Ipv4) => (4, 4),
        (AttrType::Binary, DisplayHint::Ipv6) => (16, 16),
        (AttrType::Binary, DisplayHint::Ipv4OrV6) => (4, 16),
        _ => return None,
    };
    (len != a && len != b).then_some(b)
}

/// A generated view of an attribute set.
pub trait SetView<'a>: Sized {
    /// The set the view reads.
    const SET: &'static AttrSet;

    /// Indexes a run of the set (see [`RawView::parse`]).
    fn from_attrs(attrs: Attrs<'a>) -> Result<Self, Error>;
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
    let skip = align(header_size);
    let run = attr.payload().get(skip..).unwrap_or(&[]);
    let offset = attr.offset().saturating_add(NLA_HDRLEN + skip);
    V::from_attrs(Attrs::with_offset(run, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: [AttrType; 20] = [
        AttrType::Unused,
        AttrType::Pad,
        AttrType::Flag,
        AttrType::U8,
        AttrType::U16,
        AttrType::U32,
        AttrType::U64,
        AttrType::S8,
        AttrType::S16,
        AttrType::S32,
        AttrType::S64,
        AttrType::Uint,
        AttrType::Sint,
        AttrType::String,
        AttrType::Binary,
        AttrType::Nest,
        AttrType::IndexedArray,
        AttrType::NestTypeValue,
        AttrType::SubMessage,
        AttrType::Bitfield32,
    ];

    /// The quick verdict is the policy's, for every type, every display
    /// hint that changes a width, and payload length up to 20 (NULs, no
    /// NUL, a NUL first), without length checks.
    #[test]
    fn the_quick_check_agrees_with_the_policy() {
        let mut nul_first = [b'a'; 20];
        nul_first[0] = 0;
        let hints = [
            DisplayHint::None,
            DisplayHint::Mac,
            DisplayHint::Ipv4,
            DisplayHint::Ipv6,
            DisplayHint::Ipv4OrV6,
        ];
        for payload in [[0u8; 20], [b'a'; 20], nul_first] {
            for ty in TYPES {
                for display in hints {
                    let spec = AttrSpec {
                        attr_type: ty,
                        display,
                        ..AttrSpec::DEFAULT
                    };
                    for len in 0..=payload.len() {
                        let attr = Attr::from_parts(1, &payload[..len], 0);
                        let quick = check(code_of(&spec), || Some(&spec), &attr).is_ok();
                        let policy = spec.policy().check_shallow(&attr).is_ok()
                            && wrong_width(&spec, len).is_none();
                        assert_eq!(quick, policy, "{ty} {display:?} with {:?}", &payload[..len]);
                    }
                }
            }
        }
    }
}
