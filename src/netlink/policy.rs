//! Attribute policies and the index table: the kernel's `nla_parse` and
//! libmnl's `tb[]` idiom, without allocation.

use core::fmt;

use super::attr::{Attr, Attrs};
use crate::{Error, ErrorKind, PolicyViolation};

/// How deep [`Policy::validate`] and [`AttrTable::parse`] follow nested
/// policies before giving up with [`ErrorKind::NestingTooDeep`].
pub const MAX_NESTING: usize = 32;

/// What kind of value an attribute holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttrKind {
    /// Anything: only the length limits apply.
    Unspec,
    /// No payload; presence is the value.
    Flag,
    /// Exactly 1 byte.
    U8,
    /// Exactly 2 bytes.
    U16,
    /// Exactly 4 bytes.
    U32,
    /// Exactly 8 bytes.
    U64,
    /// Exactly 1 byte, signed.
    S8,
    /// Exactly 2 bytes, signed.
    S16,
    /// Exactly 4 bytes, signed.
    S32,
    /// Exactly 8 bytes, signed.
    S64,
    /// A string, as the kernel's `NLA_STRING`: a non-empty payload whose
    /// NUL terminator is optional. The length limits count the string
    /// without one trailing NUL (`IFLA_IFNAME` is `max_len(15)`, as the
    /// kernel's `IFNAMSIZ - 1`). The bytes need not be UTF-8 (the kernel
    /// accepts an interface named `p\xe9`); ask for that with
    /// [`AttrPolicy::utf8`]. Read it with [`Attr::bytes_str`].
    String,
    /// A string that must be NUL-terminated, as the kernel's
    /// `NLA_NUL_STRING`: like [`AttrKind::String`], and a NUL must be in the
    /// payload ([`PolicyViolation::NotNulTerminated`]). The length limits
    /// exclude the NUL. Read it with [`Attr::cstr`], or [`Attr::str`] with
    /// [`AttrPolicy::utf8`].
    NulString,
    /// Opaque bytes.
    Binary,
    /// A run of attributes (checked against the nested policy if there is
    /// one, else only for well-formed framing).
    Nested,
}

impl AttrKind {
    const fn fixed_size(self) -> Option<usize> {
        match self {
            AttrKind::Flag => Some(0),
            AttrKind::U8 | AttrKind::S8 => Some(1),
            AttrKind::U16 | AttrKind::S16 => Some(2),
            AttrKind::U32 | AttrKind::S32 => Some(4),
            AttrKind::U64 | AttrKind::S64 => Some(8),
            _ => None,
        }
    }
}

/// The policy for one attribute type.
#[derive(Copy, Clone, Debug)]
#[must_use = "a policy does nothing until an attribute is checked against it"]
pub struct AttrPolicy<'p> {
    kind: AttrKind,
    min_len: u16,
    max_len: u16,
    nested: Option<&'p Policy<'p>>,
    required: bool,
    utf8: bool,
}

impl<'p> AttrPolicy<'p> {
    /// No constraint at all: the entry for types a policy does not check.
    pub const UNSPEC: AttrPolicy<'static> = AttrPolicy::new(AttrKind::Unspec);

    /// A policy for `kind` with no length limits beyond the kind's own.
    pub const fn new(kind: AttrKind) -> Self {
        AttrPolicy {
            kind,
            min_len: 0,
            max_len: 0,
            nested: None,
            required: false,
            utf8: false,
        }
    }

    /// The payload must be at least `len` bytes (for the string kinds: the
    /// string without a trailing NUL).
    pub const fn min_len(mut self, len: u16) -> Self {
        self.min_len = len;
        self
    }

    /// The payload may be at most `len` bytes (0: no limit; for the string
    /// kinds: the string without a trailing NUL, as the kernel counts).
    pub const fn max_len(mut self, len: u16) -> Self {
        self.max_len = len;
        self
    }

    /// The payload is a run of attributes following `policy`.
    pub const fn nested(mut self, policy: &'p Policy<'p>) -> Self {
        self.kind = AttrKind::Nested;
        self.nested = Some(policy);
        self
    }

    /// The attribute must be present.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// For [`AttrKind::String`] and [`AttrKind::NulString`]: the string (up
    /// to its first NUL) must also be UTF-8, else
    /// [`PolicyViolation::InvalidUtf8`]. The kernel asks no such thing; this
    /// is the caller's own requirement. Other kinds ignore it.
    ///
    /// ```
    /// use procslink::netlink::{AttrKind, AttrPolicy, Attrs, Policy};
    /// use procslink::{ErrorKind, PolicyViolation};
    ///
    /// static NAMES: Policy = Policy::new(&[
    ///     AttrPolicy::UNSPEC,
    ///     AttrPolicy::new(AttrKind::String).max_len(15),        // any bytes
    ///     AttrPolicy::new(AttrKind::String).max_len(15).utf8(), // UTF-8 only
    /// ]);
    /// let run = |ty: u8| [8, 0, ty, 0, b'p', 0xe9, 0, 0];
    /// assert!(NAMES.validate(Attrs::new(&run(1))).is_ok());
    /// let err = NAMES.validate(Attrs::new(&run(2))).unwrap_err();
    /// assert_eq!(
    ///     err.kind(),
    ///     ErrorKind::Policy { attr_type: 2, violation: PolicyViolation::InvalidUtf8 }
    /// );
    /// ```
    pub const fn utf8(mut self) -> Self {
        self.utf8 = true;
        self
    }

    /// The kind of value.
    pub const fn kind(&self) -> AttrKind {
        self.kind
    }

    /// Checks one attribute against the policy without looking inside a
    /// nest: its size for the fixed-size kinds, the string rules and the
    /// length limits. A nest's run is left to whoever reads it (a typed
    /// view parses it when asked for it). The error is
    /// [`ErrorKind::Policy`] at the attribute's offset.
    ///
    /// ```
    /// use procslink::netlink::{Attr, AttrKind, AttrPolicy};
    ///
    /// let mtu = AttrPolicy::new(AttrKind::U32);
    /// assert!(mtu.check_shallow(&Attr::from_parts(4, &[0xdc, 5, 0, 0], 0)).is_ok());
    /// assert!(mtu.check_shallow(&Attr::from_parts(4, &[0xdc, 5], 8)).is_err());
    /// ```
    pub fn check_shallow(&self, attr: &Attr<'_>) -> Result<(), Error> {
        let len = attr.payload().len();
        let fail = |violation| {
            Err(Error::new(
                ErrorKind::Policy {
                    attr_type: attr.kind(),
                    violation,
                },
                attr.offset(),
            ))
        };
        if let Some(size) = self.kind.fixed_size()
            && len != size
        {
            return fail(PolicyViolation::WrongSize {
                expected: size,
                found: len,
            });
        }
        if matches!(self.kind, AttrKind::String | AttrKind::NulString) {
            return match self.check_string(attr) {
                Some(violation) => fail(violation),
                None => Ok(()),
            };
        }
        if len < self.min_len as usize {
            return fail(PolicyViolation::TooShort {
                length: len,
                min: self.min_len as usize,
            });
        }
        if self.max_len != 0 && len > self.max_len as usize {
            return fail(PolicyViolation::TooLong {
                length: len,
                max: self.max_len as usize,
            });
        }
        Ok(())
    }

    fn check(&self, attr: &Attr<'_>, depth: usize) -> Result<(), Error> {
        self.check_shallow(attr)?;
        match self.kind {
            AttrKind::Nested => {
                if depth >= MAX_NESTING {
                    return Err(Error::new(
                        ErrorKind::NestingTooDeep {
                            max_depth: MAX_NESTING,
                        },
                        attr.offset(),
                    ));
                }
                match self.nested {
                    Some(policy) => policy.validate_at(attr.nested(), depth + 1, Some(attr)),
                    None => attr.nested().try_for_each(|a| a.map(drop)),
                }
            }
            _ => Ok(()),
        }
    }
}

impl AttrPolicy<'_> {
    /// The kernel's `NLA_STRING` / `NLA_NUL_STRING` checks (lib/nlattr.c),
    /// plus the optional UTF-8 check. Accepts exactly what the kernel does:
    /// a non-empty payload; for `NulString` a NUL somewhere in it; the
    /// length without one trailing NUL within the limits.
    fn check_string(&self, attr: &Attr<'_>) -> Option<PolicyViolation> {
        let payload = attr.payload();
        let Some((&last, _)) = payload.split_last() else {
            return Some(PolicyViolation::TooShort {
                length: 0,
                min: (self.min_len as usize).max(1),
            });
        };
        if self.kind == AttrKind::NulString && !payload.contains(&0) {
            return Some(PolicyViolation::NotNulTerminated);
        }
        let length = payload.len() - usize::from(last == 0);
        if length < self.min_len as usize {
            return Some(PolicyViolation::TooShort {
                length,
                min: self.min_len as usize,
            });
        }
        if self.max_len != 0 && length > self.max_len as usize {
            return Some(PolicyViolation::TooLong {
                length,
                max: self.max_len as usize,
            });
        }
        if self.utf8 && core::str::from_utf8(attr.bytes_str()).is_err() {
            return Some(PolicyViolation::InvalidUtf8);
        }
        None
    }
}

/// A policy: the [`AttrPolicy`] of each attribute type, indexed by type.
///
/// A [`Policy`] says, per attribute type, what kind of value it holds, how
/// long its payload may be, and which policy its nested run follows. An
/// [`AttrTable`] is filled from a run of attributes in one pass, checking
/// each against the policy, and is then indexed by type.
///
/// - **Unknown types** (at or above the policy's length, or without an
///   entry) are accepted and skipped by default, because the kernel adds
///   attributes over time; [`Policy::reject_unknown`] makes them errors.
/// - **Duplicate types**: every occurrence is validated, and the table keeps
///   the **last** one, as the kernel's `nla_parse` and libmnl's
///   `mnl_attr_parse` do.
/// - **Types at or above the table's size `N`** are validated but not
///   stored.
///
/// ```
/// use procslink::netlink::{Attrs, AttrKind, AttrPolicy, AttrTable, Builder, Message, MessageType, Policy};
/// use procslink::netlink::flags::Flags;
/// use procslink::{ErrorKind, PolicyViolation};
///
/// static INFO: Policy = Policy::new(&[
///     AttrPolicy::UNSPEC,
///     AttrPolicy::new(AttrKind::String).max_len(15), // 1: kind
/// ]);
/// static LINK: Policy = Policy::new(&[
///     AttrPolicy::UNSPEC,
///     AttrPolicy::UNSPEC,
///     AttrPolicy::UNSPEC,
///     AttrPolicy::new(AttrKind::String).max_len(15).required(), // 3: name
///     AttrPolicy::new(AttrKind::U32),                           // 4: mtu
///     AttrPolicy::UNSPEC,
///     AttrPolicy::UNSPEC,
///     AttrPolicy::UNSPEC,
///     AttrPolicy::new(AttrKind::Nested).nested(&INFO),          // 7: info
/// ]);
///
/// let mut buf = [0u8; 64];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0)?;
/// m.put_str(3, "eth0")?;
/// m.put_u32(4, 1500)?;
/// m.put_u16(99, 7)?; // unknown: skipped
/// m.finish()?;
///
/// let (_, attrs) = Message::parse(&buf)?.split_family_header(0)?;
/// let tb = AttrTable::<8>::parse(attrs.clone(), &LINK)?;
/// assert_eq!(tb.get(3).unwrap().str()?, "eth0");
/// assert_eq!(tb.get(4).unwrap().u32()?, 1500);
/// assert!(tb.get(7).is_none());
///
/// // The same run against a stricter policy.
/// static STRICT: Policy = LINK.reject_unknown();
/// let err = AttrTable::<8>::parse(attrs, &STRICT).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Policy { attr_type: 99, violation: PolicyViolation::Unknown });
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Copy, Clone)]
#[must_use = "a policy does nothing until attributes are checked against it"]
pub struct Policy<'p> {
    attrs: &'p [AttrPolicy<'p>],
    reject_unknown: bool,
}

impl<'p> Policy<'p> {
    /// A policy whose entry `i` governs attribute type `i`.
    pub const fn new(attrs: &'p [AttrPolicy<'p>]) -> Self {
        Policy {
            attrs,
            reject_unknown: false,
        }
    }

    /// The same policy, but types without an entry are errors
    /// ([`PolicyViolation::Unknown`]).
    pub const fn reject_unknown(mut self) -> Self {
        self.reject_unknown = true;
        self
    }

    /// The entry for `attr_type`, if the policy has one.
    pub fn get(&self, attr_type: u16) -> Option<&AttrPolicy<'p>> {
        self.attrs.get(attr_type as usize)
    }

    /// Checks every attribute of `attrs` (and, where the policy says so,
    /// their nested runs) without storing anything.
    pub fn validate(&self, attrs: Attrs<'_>) -> Result<(), Error> {
        self.validate_at(attrs, 0, None)
    }

    fn validate_at(
        &self,
        attrs: Attrs<'_>,
        depth: usize,
        parent: Option<&Attr<'_>>,
    ) -> Result<(), Error> {
        let start = attrs.offset();
        let run = attrs.clone();
        let mut seen = 0u64;
        for attr in attrs {
            let attr = attr?;
            self.check_one(&attr, depth)?;
            if let Some(bit) = 1u64.checked_shl(attr.kind() as u32) {
                seen |= bit;
            }
        }
        self.check_required(
            |ty| match 1u64.checked_shl(ty as u32) {
                Some(bit) => seen & bit != 0,
                None => contains(&run, ty),
            },
            parent,
            start,
        )
    }

    #[inline]
    fn check_one(&self, attr: &Attr<'_>, depth: usize) -> Result<(), Error> {
        match self.attrs.get(attr.kind() as usize) {
            Some(p) => p.check(attr, depth),
            None if self.reject_unknown => Err(Error::new(
                ErrorKind::Policy {
                    attr_type: attr.kind(),
                    violation: PolicyViolation::Unknown,
                },
                attr.offset(),
            )),
            None => Ok(()),
        }
    }

    fn check_required(
        &self,
        present: impl Fn(u16) -> bool,
        parent: Option<&Attr<'_>>,
        run_start: usize,
    ) -> Result<(), Error> {
        for (ty, p) in self.attrs.iter().enumerate() {
            let ty = ty as u16;
            if p.required && !present(ty) {
                return Err(Error::new(
                    ErrorKind::Policy {
                        attr_type: ty,
                        violation: PolicyViolation::Missing,
                    },
                    parent.map_or(run_start, Attr::offset),
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Policy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("types", &self.attrs.len())
            .field("reject_unknown", &self.reject_unknown)
            .finish()
    }
}

/// Is an attribute of type `ty` in `run` (already checked to be well
/// formed)? For required types the fast paths above cannot see.
fn contains(run: &Attrs<'_>, ty: u16) -> bool {
    run.clone().flatten().any(|a| a.kind() == ty)
}

/// Fills `slots` (all `None`) from `attrs` in one pass, checking each
/// attribute against `policy` if there is one; then checks that the
/// required types are present. Returns the first attribute whose type is
/// beyond the slots.
#[inline]
fn fill<'a>(
    slots: &mut [Option<Attr<'a>>],
    attrs: Attrs<'a>,
    policy: Option<&Policy<'_>>,
) -> Result<Option<Attr<'a>>, Error> {
    let start = attrs.offset();
    let run = attrs.clone();
    let mut unstored = None;
    for attr in attrs {
        let attr = attr?;
        if let Some(policy) = policy {
            policy.check_one(&attr, 0)?;
        }
        match slots.get_mut(attr.kind() as usize) {
            Some(slot) => *slot = Some(attr),
            None => {
                unstored.get_or_insert(attr);
            }
        }
    }
    if let Some(policy) = policy {
        let slots = &*slots;
        policy.check_required(
            |ty| match slots.get(ty as usize) {
                Some(slot) => slot.is_some(),
                None => contains(&run, ty),
            },
            None,
            start,
        )?;
    }
    Ok(unstored)
}

/// A run of attributes indexed by type: `tb[type]` in libmnl and the kernel.
///
/// `N` is the number of slots: types `0..N` are stored, others are checked
/// against the policy but not kept; [`AttrTable::unstored`] tells whether
/// there were any. See [`Policy`] for how unknown and duplicate types are
/// treated.
///
/// # Size
///
/// The table lives where it is made, usually on the stack, and holds `N`
/// slots of `size_of::<Option<Attr>>()` bytes (32 on 64-bit targets):
/// `AttrTable<'_, 0x4000>`, a slot for every possible type, is 512 KiB,
/// more than a default thread's stack in a debug build. Size `N` to the
/// family's highest type plus one (`IFLA_MAX + 1` is under 70), or index
/// into slots the caller provides (a `Vec`, a `static`) with
/// [`AttrIndex`].
#[derive(Copy, Clone, Debug)]
pub struct AttrTable<'a, const N: usize> {
    slots: [Option<Attr<'a>>; N],
    unstored: Option<Attr<'a>>,
}

impl<'a, const N: usize> AttrTable<'a, N> {
    /// Fills a table from `attrs` in one pass, checking each attribute
    /// against `policy`; the first violation is the error.
    pub fn parse(attrs: Attrs<'a>, policy: &Policy<'_>) -> Result<Self, Error> {
        let mut slots = [None; N];
        let unstored = fill(&mut slots, attrs, Some(policy))?;
        Ok(AttrTable { slots, unstored })
    }

    /// Fills a table from `attrs` with no policy: only the framing is
    /// checked.
    pub fn index(attrs: Attrs<'a>) -> Result<Self, Error> {
        let mut slots = [None; N];
        let unstored = fill(&mut slots, attrs, None)?;
        Ok(AttrTable { slots, unstored })
    }

    /// The attribute of type `attr_type`, if present.
    #[inline]
    pub fn get(&self, attr_type: u16) -> Option<Attr<'a>> {
        self.slots.get(attr_type as usize).copied().flatten()
    }

    /// The attributes present, in type order.
    pub fn iter(&self) -> impl Iterator<Item = Attr<'a>> + '_ {
        self.slots.iter().filter_map(|s| *s)
    }

    /// The first attribute whose type was `N` or above, and so was checked
    /// but not stored; `None` if every attribute found a slot.
    ///
    /// ```
    /// use procslink::netlink::{AttrTable, Attrs};
    ///
    /// // Types 1 and 300.
    /// let run = [4u8, 0, 1, 0, 4, 0, 0x2c, 0x01];
    /// let tb = AttrTable::<8>::index(Attrs::new(&run))?;
    /// assert!(tb.get(1).is_some());
    /// assert_eq!(tb.unstored().map(|a| a.kind()), Some(300));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn unstored(&self) -> Option<Attr<'a>> {
        self.unstored
    }
}

/// A run of attributes indexed by type in slots the caller provides: the
/// same as [`AttrTable`], for tables too large for the stack.
///
/// Type `t` goes in `slots[t]`; types beyond the slice are checked but not
/// stored, and reported by [`AttrIndex::unstored`]. The slots are cleared
/// first, so one slice serves message after message. A slice of `0x4000`
/// slots (every type an attribute can have) indexes any run.
///
/// ```
/// use procslink::netlink::{AttrIndex, AttrKind, AttrPolicy, Attrs, Policy, NLA_TYPE_MASK};
///
/// static POLICY: Policy = Policy::new(&[AttrPolicy::UNSPEC, AttrPolicy::new(AttrKind::U32)]);
///
/// // Type 1 and type 0x3fff, the highest there is.
/// let mut run = [8u8, 0, 1, 0, 7, 0, 0, 0, 4, 0, 0, 0];
/// run[10..12].copy_from_slice(&NLA_TYPE_MASK.to_ne_bytes());
///
/// let mut slots = vec![None; NLA_TYPE_MASK as usize + 1];
/// let tb = AttrIndex::parse(&mut slots, Attrs::new(&run), &POLICY)?;
/// assert_eq!(tb.get(1).unwrap().u32()?, 7);
/// assert!(tb.get(NLA_TYPE_MASK).is_some());
/// assert!(tb.unstored().is_none());
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Debug)]
pub struct AttrIndex<'t, 'a> {
    slots: &'t mut [Option<Attr<'a>>],
    unstored: Option<Attr<'a>>,
}

impl<'t, 'a> AttrIndex<'t, 'a> {
    /// Fills `slots` from `attrs` in one pass, checking each attribute
    /// against `policy`; the first violation is the error.
    pub fn parse(
        slots: &'t mut [Option<Attr<'a>>],
        attrs: Attrs<'a>,
        policy: &Policy<'_>,
    ) -> Result<Self, Error> {
        slots.fill(None);
        let unstored = fill(slots, attrs, Some(policy))?;
        Ok(AttrIndex { slots, unstored })
    }

    /// Fills `slots` from `attrs` with no policy: only the framing is
    /// checked.
    pub fn index(slots: &'t mut [Option<Attr<'a>>], attrs: Attrs<'a>) -> Result<Self, Error> {
        slots.fill(None);
        let unstored = fill(slots, attrs, None)?;
        Ok(AttrIndex { slots, unstored })
    }

    /// The attribute of type `attr_type`, if present.
    #[inline]
    pub fn get(&self, attr_type: u16) -> Option<Attr<'a>> {
        self.slots.get(attr_type as usize).copied().flatten()
    }

    /// The attributes present, in type order.
    pub fn iter(&self) -> impl Iterator<Item = Attr<'a>> + '_ {
        self.slots.iter().filter_map(|s| *s)
    }

    /// The first attribute whose type was beyond the slots, and so was
    /// checked but not stored; `None` if every attribute found a slot.
    #[inline]
    pub fn unstored(&self) -> Option<Attr<'a>> {
        self.unstored
    }
}
