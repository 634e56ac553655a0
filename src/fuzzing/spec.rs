//! Messages of any described family, generated from its specification
//! (the [`families`](crate::families) tables).
//!
//! [`SpecMessage::generate`] draws one message of an [`Operation`] from the
//! fuzzer's bytes: `nlmsghdr` with the operation's message type (or, for
//! generic netlink, the family id the caller resolved and a `genlmsghdr`
//! with the command), the fixed header with arbitrary member values, and
//! attributes chosen from the operation's set with values valid for their
//! type and `checks`:
//!
//! - integers within the type's range and the checks' `min`/`max`, enum
//!   entries and flag combinations where the attribute names an enum, in
//!   the attribute's byte order; `uint`/`sint` as 4 or 8 bytes;
//! - strings within `min-len`/`max-len`, UTF-8, NUL-terminated; binary
//!   payloads of the exact length, the struct's size or the address size
//!   of the display hint; flags empty; `bitfield32` 8 bytes;
//! - nests recursing into their nested set, indexed arrays and
//!   type-value nests as entries, up to [`MAX_ATTR_DEPTH`];
//!   multi-attributes repeated, others at most once per run;
//! - sub-messages with their selector written just before them, holding
//!   the chosen format's attributes (formats with both a fixed header and
//!   attributes are left out).
//!
//! The message is a [`MessageDesc`] underneath, so the crate's writer,
//! `verify` and the malformation layer ([`Mutation`](super::Mutation))
//! apply to it unchanged. Sizes are bounded ([`MAX_SPEC_MESSAGE_LEN`]), and
//! nothing here panics, whatever the bytes. [`strategy`] (feature
//! `proptest` too) gives the same messages as a proptest strategy.
//!
//! # Fuzzing your own family consumer
//!
//! A consumer of rt-link link messages, fed well-formed messages of every
//! rt-link operation and then the same messages broken:
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use procslink::families::rt_link;
//! use procslink::fuzzing::Mutation;
//! use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage};
//! use procslink::netlink::Messages;
//!
//! /// The consumer under test: the MTU of each link message.
//! fn mtus(bytes: &[u8]) -> Result<Vec<u32>, procslink::Error> {
//!     let mut mtus = Vec::new();
//!     for message in Messages::new(bytes) {
//!         let (_, attrs) = message?.split_family_header(16)?;
//!         for attr in attrs {
//!             let attr = attr?;
//!             if attr.kind() == rt_link::IFLA_MTU {
//!                 mtus.push(attr.u32()?);
//!             }
//!         }
//!     }
//!     Ok(mtus)
//! }
//!
//! // The body of `fuzz_target!(|data: &[u8]| { ... })`.
//! fn fuzz_one(data: &[u8]) -> arbitrary::Result<()> {
//!     let mut u = Unstructured::new(data);
//!     let link_ops = ["getlink", "newlink", "setlink", "dellink"];
//!     let op = rt_link::FAMILY.operation(u.choose(&link_ops)?).unwrap();
//!     let msg = SpecMessage::generate(&mut u, &rt_link::FAMILY, op, 0)?;
//!     let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
//!     let len = msg.write(&mut buf).expect("fits");
//!     // Well-formed by the specification: the consumer must accept it.
//!     assert!(mtus(&buf[..len]).is_ok());
//!     let plan = Mutation::arbitrary(&mut u)?;
//!     if let Some(applied) = plan.apply(&mut buf, len, |_, _| msg.header_len()) {
//!         // Broken as `applied.malformation` says: an error, never a panic.
//!         let _ = mtus(&buf[..applied.len]);
//!     }
//!     Ok(())
//! }
//!
//! for seed in [&b"one input"[..], &[0xa5; 300], b"\x04\x00\x00\x00 ifname mtu"] {
//!     fuzz_one(seed)?;
//! }
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

use arbitrary::{Error as ArbError, Result, Unstructured};
use heapless::Vec as HVec;
use zerocopy::IntoBytes;

use super::describe::{
    AttrTree, AttrValue, MAX_ATTR_DEPTH, MAX_ATTRS, MessageDesc, Mismatch, NetlinkDesc,
};
#[cfg(feature = "proptest")]
use super::strategy::{OwnedAttrNode, OwnedAttrValue, OwnedMessage};
use crate::Error;
use crate::families::{
    AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, Family, Format, Operation, Protocol,
    StructSpec,
};
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::genl::GenlMsgHdr;

/// The longest attribute payload generated (a string's NUL included);
/// attributes whose checks need more are left out.
pub const MAX_SPEC_VALUE_LEN: usize = 512;
/// The longest family header (`genlmsghdr` plus the fixed header); an
/// operation whose header is longer is refused.
pub const MAX_SPEC_HEADER: usize = 64;
/// A buffer this long holds any [`SpecMessage`].
pub const MAX_SPEC_MESSAGE_LEN: usize = 16 + MAX_SPEC_HEADER + MAX_ATTRS * (4 + MAX_SPEC_VALUE_LEN);

/// The payload length of strings and binary values whose checks set no
/// upper bound.
const UNBOUNDED_LEN: usize = 32;
/// The most attributes drawn for one nested run (a message's own run may
/// fill the whole tree).
const MAX_NESTED_RUN: usize = 6;
/// The most times a multi-attribute, or the entries of an array, repeat.
const MAX_REPEATS: usize = 3;

static ZEROS: [u8; MAX_SPEC_VALUE_LEN] = [0; MAX_SPEC_VALUE_LEN];
static FILLER: [u8; MAX_SPEC_VALUE_LEN] = [b'a'; MAX_SPEC_VALUE_LEN];

/// One message of a described family, drawn from the fuzzer's bytes.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use arbitrary::Unstructured;
/// use procslink::families::rt_link;
/// use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage};
///
/// let op = rt_link::FAMILY.operation("getlink").unwrap();
/// let mut u = Unstructured::new(b"the fuzzer's bytes, any at all");
/// let msg = SpecMessage::generate(&mut u, &rt_link::FAMILY, op, 0)?;
/// let mut buf = vec![0; MAX_SPEC_MESSAGE_LEN];
/// let len = msg.write(&mut buf)?;
/// assert_eq!(msg.verify(&buf[..len]), Ok(()));
/// assert_eq!(msg.header_len(), 16); // ifinfomsg
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecMessage<'a> {
    ty: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    header: HVec<u8, MAX_SPEC_HEADER>,
    attrs: AttrTree<'a>,
}

impl<'a> SpecMessage<'a> {
    /// Draws a request or a reply of `op` (one of `family`'s operations).
    /// `family_id` is the `nlmsg_type` of a generic netlink family (as
    /// `nlctrl` resolved it); netlink-raw families ignore it.
    ///
    /// # Errors
    ///
    /// [`arbitrary::Error::IncorrectFormat`] for an operation with neither
    /// a request nor a reply, a generic netlink command above 255, or a
    /// family header over [`MAX_SPEC_HEADER`] bytes; otherwise none (bytes
    /// that run out end the message early).
    pub fn generate(
        u: &mut Unstructured<'a>,
        family: &Family,
        op: &Operation,
        family_id: u16,
    ) -> Result<Self> {
        let request = match (op.request(), op.reply()) {
            (Some(_), Some(_)) => u.arbitrary()?,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return Err(ArbError::IncorrectFormat),
        };
        let value = if request { op.request() } else { op.reply() };
        let value = value.ok_or(ArbError::IncorrectFormat)?;
        let mut header = HVec::new();
        let ty = match family.protocol() {
            Protocol::NetlinkRaw { .. } => value,
            Protocol::Genetlink { version, .. } => {
                let cmd = u8::try_from(value).map_err(|_| ArbError::IncorrectFormat)?;
                let genl = GenlMsgHdr::new(cmd, version);
                header
                    .extend_from_slice(genl.as_bytes())
                    .map_err(|_| ArbError::IncorrectFormat)?;
                family_id
            }
        };
        if let Some(fixed) = op.fixed_header() {
            fixed_header(u, fixed, &mut header)?;
        }
        let flags = flags(u, request, op)?;
        let (seq, pid) = (u.arbitrary()?, u.arbitrary()?);
        let attrs = match op.attr_set() {
            Some(set) => attr_tree(u, set)?,
            None => AttrTree::new(),
        };
        Ok(SpecMessage {
            ty,
            flags,
            seq,
            pid,
            header,
            attrs,
        })
    }

    /// `nlmsg_type`.
    pub fn message_type(&self) -> u16 {
        self.ty
    }

    /// `nlmsg_flags`.
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// The family header: `genlmsghdr` (generic netlink) and the fixed
    /// header.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The family header's length: what `split_family_header` takes, and
    /// what the malformation layer's `family_len` returns for the message.
    pub fn header_len(&self) -> usize {
        self.header.len()
    }

    /// The attributes.
    pub fn attrs(&self) -> &AttrTree<'a> {
        &self.attrs
    }

    /// The message as a description, for the crate's writers and checks.
    pub fn message(&self) -> MessageDesc<'_> {
        MessageDesc {
            ty: self.ty,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            family: &self.header,
            attrs: self.attrs.clone(),
        }
    }

    /// A batch of this one message.
    pub fn netlink(&self) -> NetlinkDesc<'_> {
        let mut desc = NetlinkDesc::default();
        // One message always fits.
        let _ = desc.messages.push(self.message());
        desc
    }

    /// Writes the message into `buf` (at least [`MAX_SPEC_MESSAGE_LEN`]
    /// bytes always suffice), returning its length.
    ///
    /// # Errors
    ///
    /// [`NetlinkDesc::write`]'s.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.netlink().write(buf)
    }

    /// Parses `bytes` with the crate's parser and checks them against the
    /// message, as [`NetlinkDesc::verify`].
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Mismatch> {
        self.netlink().verify(bytes)
    }

    /// The message as an owned description (what [`strategy`] yields).
    #[cfg(feature = "proptest")]
    pub fn to_owned_message(&self) -> OwnedMessage {
        let attrs = self
            .attrs
            .nodes()
            .iter()
            .map(|n| OwnedAttrNode {
                depth: n.depth,
                ty: n.ty,
                value: match n.value {
                    AttrValue::Nest => OwnedAttrValue::Nest,
                    AttrValue::Flag => OwnedAttrValue::Flag,
                    AttrValue::U8(v) => OwnedAttrValue::U8(v),
                    AttrValue::U16(v) => OwnedAttrValue::U16(v),
                    AttrValue::U32(v) => OwnedAttrValue::U32(v),
                    AttrValue::U64(v) => OwnedAttrValue::U64(v),
                    AttrValue::Str(s) => OwnedAttrValue::Str(s.into()),
                    AttrValue::Bytes(b) => OwnedAttrValue::Bytes(b.into()),
                },
            })
            .collect();
        OwnedMessage {
            ty: self.ty,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            family: self.header.to_vec(),
            attrs,
        }
    }
}

/// A proptest strategy of `op`'s messages, as [`SpecMessage::generate`]
/// draws them (from bytes proptest draws and shrinks: fewer bytes, fewer
/// and shorter attributes). `view()` on a value gives the description the
/// writers take.
///
/// # Errors
///
/// [`SpecMessage::generate`]'s for an operation it cannot describe.
///
/// ```
/// # #[cfg(feature = "family-nlctrl")] {
/// use procslink::families::nlctrl;
/// use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, strategy};
/// use proptest::prelude::*;
///
/// let op = nlctrl::FAMILY.operation("getfamily").unwrap();
/// proptest!(|(msg in strategy(&nlctrl::FAMILY, op, 0x10).unwrap())| {
///     let view = msg.view();
///     let mut buf = vec![0; MAX_SPEC_MESSAGE_LEN];
///     let len = view.write_into(&mut procslink::netlink::Builder::new(&mut buf)).unwrap();
///     prop_assert!(len >= 20);
/// });
/// # }
/// ```
#[cfg(feature = "proptest")]
pub fn strategy(
    family: &'static Family,
    op: &'static Operation,
    family_id: u16,
) -> Result<impl proptest::strategy::Strategy<Value = OwnedMessage>> {
    use proptest::prelude::*;
    // With no bytes every choice takes its first option, so only the
    // operation itself can fail; with any bytes nothing else can.
    SpecMessage::generate(&mut Unstructured::new(&[]), family, op, family_id)?;
    Ok(
        proptest::collection::vec(any::<u8>(), 0..2048).prop_filter_map(
            "the operation generates",
            move |seed| {
                let mut u = Unstructured::new(&seed);
                SpecMessage::generate(&mut u, family, op, family_id)
                    .ok()
                    .map(|m| m.to_owned_message())
            },
        ),
    )
}

/// Draws a run of attributes of `set` (and of the sets its nests and
/// sub-messages name), for a consumer of one attribute set: see
/// [`SpecMessage`] for what values are drawn.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use arbitrary::Unstructured;
/// use procslink::families::rt_link;
///
/// let set = rt_link::FAMILY.attr_set("linkinfo-attrs").unwrap();
/// let tree = procslink::fuzzing::spec::attr_tree(&mut Unstructured::new(&[7; 64]), set)?;
/// assert!(tree.nodes().iter().all(|n| n.depth > 0 || set.by_number(n.ty).is_some()));
/// # }
/// # Ok::<(), arbitrary::Error>(())
/// ```
pub fn attr_tree<'a>(u: &mut Unstructured<'a>, set: &AttrSet) -> Result<AttrTree<'a>> {
    let mut generator = Generator {
        u,
        tree: AttrTree::new(),
    };
    generator.run(Some(set), 0, MAX_ATTRS)?;
    Ok(generator.tree)
}

/// Realistic flags for the direction, or (one time in eight) any bits.
fn flags(u: &mut Unstructured<'_>, request: bool, op: &Operation) -> Result<u16> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let mut flags = if request { Flags::REQUEST.bits() } else { 0 };
    if request && u.arbitrary()? {
        flags |= Flags::ACK.bits();
    }
    if op.modes().dump && u.arbitrary()? {
        flags |= if request {
            GetFlags::DUMP.bits()
        } else {
            Flags::MULTI.bits()
        };
    }
    Ok(flags)
}

/// Appends `fixed`'s bytes drawn from `u` (zeros once `u` runs out), its
/// padding members zeroed.
fn fixed_header(
    u: &mut Unstructured<'_>,
    fixed: &StructSpec,
    header: &mut HVec<u8, MAX_SPEC_HEADER>,
) -> Result<()> {
    let start = header.len();
    let size = fixed.size();
    let bytes = u
        .bytes(size)
        .or_else(|_| ZEROS.get(..size).ok_or(ArbError::IncorrectFormat))?;
    header
        .extend_from_slice(bytes)
        .map_err(|_| ArbError::IncorrectFormat)?;
    for member in fixed.members() {
        if member.member_type() == AttrType::Pad {
            let at = start + member.offset();
            if let Some(pad) = header.get_mut(at..at + member.len()) {
                pad.fill(0);
            }
        }
    }
    Ok(())
}

struct Generator<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    tree: AttrTree<'a>,
}

impl<'a> Generator<'_, 'a> {
    fn full(&self) -> bool {
        self.tree.nodes().len() >= MAX_ATTRS
    }

    /// Pushes a node; `false` when the tree is full.
    fn push(&mut self, depth: u8, ty: u16, value: AttrValue<'a>) -> bool {
        self.tree.push(depth, ty, value).is_ok()
    }

    /// Up to `most` attributes of `set` at `depth`.
    fn run(&mut self, set: Option<&AttrSet>, depth: u8, most: usize) -> Result<()> {
        let Some(set) = set else { return Ok(()) };
        if set.attrs().is_empty() || depth > MAX_ATTR_DEPTH {
            return Ok(());
        }
        let mut present: HVec<u16, MAX_ATTRS> = HVec::new();
        let count = self.u.int_in_range(0..=most)?;
        for _ in 0..count {
            if self.full() || self.u.is_empty() {
                break;
            }
            let spec = self.u.choose(set.attrs())?;
            if present.contains(&spec.number()) {
                continue;
            }
            let repeats = if spec.multi_attr() {
                self.u.int_in_range(1..=MAX_REPEATS)?
            } else {
                1
            };
            for _ in 0..repeats {
                self.attr(set, spec, depth, &mut present)?;
            }
            if !spec.multi_attr() {
                let _ = present.push(spec.number());
            }
        }
        Ok(())
    }

    fn attr(
        &mut self,
        set: &AttrSet,
        spec: &AttrSpec,
        depth: u8,
        present: &mut HVec<u16, MAX_ATTRS>,
    ) -> Result<()> {
        let number = spec.number();
        match spec.attr_type() {
            AttrType::Unused | AttrType::Pad => {}
            AttrType::Nest => {
                if self.push(depth, number, AttrValue::Nest) && depth < MAX_ATTR_DEPTH {
                    self.run(spec.nested(), depth + 1, MAX_NESTED_RUN)?;
                }
            }
            AttrType::IndexedArray | AttrType::NestTypeValue => {
                if self.push(depth, number, AttrValue::Nest) && depth < MAX_ATTR_DEPTH {
                    self.entries(spec, depth + 1)?;
                }
            }
            AttrType::SubMessage => self.sub_message(set, spec, depth, present)?,
            ty => {
                if let Some(value) = self.leaf(spec, ty)? {
                    self.push(depth, number, value);
                }
            }
        }
        Ok(())
    }

    /// The entries of an indexed array (numbered from 0) or a type-value
    /// nest (numbered by drawn values), each a nest of the nested set or,
    /// for an array of scalars, a value of the sub-type.
    fn entries(&mut self, spec: &AttrSpec, depth: u8) -> Result<()> {
        let count = self.u.int_in_range(0..=MAX_REPEATS)?;
        let scalar = spec
            .sub_type()
            .filter(|t| spec.attr_type() == AttrType::IndexedArray && !t.is_nested());
        for index in 0..count as u16 {
            let ty = if spec.attr_type() == AttrType::NestTypeValue {
                self.u.int_in_range(0..=15)?
            } else {
                index
            };
            match scalar {
                Some(sub) => {
                    if let Some(value) = self.leaf(spec, sub)? {
                        self.push(depth, ty, value);
                    }
                }
                None => {
                    if self.push(depth, ty, AttrValue::Nest) && depth < MAX_ATTR_DEPTH {
                        self.run(spec.nested(), depth + 1, MAX_NESTED_RUN)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The selector (unless the run has one already) with a format's
    /// value, then the sub-message in that format.
    fn sub_message(
        &mut self,
        set: &AttrSet,
        spec: &AttrSpec,
        depth: u8,
        present: &mut HVec<u16, MAX_ATTRS>,
    ) -> Result<()> {
        let (Some(sub), Some(selector)) = (spec.sub_message(), spec.selector()) else {
            return Ok(());
        };
        let Some(selector) = set.by_name(selector) else {
            return Ok(());
        };
        let formats = sub.formats();
        if present.contains(&selector.number()) || formats.is_empty() {
            return Ok(());
        }
        let start = self.u.choose_index(formats.len())?;
        let feasible = |f: &&Format| f.fixed_header().is_none() || f.attr_set().is_none();
        let Some(format) = formats
            .iter()
            .cycle()
            .skip(start)
            .take(formats.len())
            .find(feasible)
        else {
            return Ok(());
        };
        let Some(value) = selector_value(selector, format) else {
            return Ok(());
        };
        if !self.push(depth, selector.number(), value) {
            return Ok(());
        }
        let _ = present.push(selector.number());
        match (format.attr_set(), format.fixed_header()) {
            (Some(inner), _) => {
                if self.push(depth, spec.number(), AttrValue::Nest) && depth < MAX_ATTR_DEPTH {
                    self.run(Some(inner), depth + 1, MAX_NESTED_RUN)?;
                }
            }
            (None, header) => {
                let size = header.map_or(0, StructSpec::size);
                let bytes = self.bytes(size);
                self.push(depth, spec.number(), AttrValue::Bytes(bytes));
            }
        }
        Ok(())
    }

    /// `len` bytes of the input, or zeros once it runs out.
    fn bytes(&mut self, len: usize) -> &'a [u8] {
        let len = len.min(MAX_SPEC_VALUE_LEN);
        match self.u.bytes(len) {
            Ok(bytes) => bytes,
            Err(_) => ZEROS.get(..len).unwrap_or_default(),
        }
    }

    /// A value of type `ty` valid for `spec`'s checks; `None` when the
    /// checks allow none the generator can make.
    fn leaf(&mut self, spec: &AttrSpec, ty: AttrType) -> Result<Option<AttrValue<'a>>> {
        Ok(match ty {
            AttrType::Flag => Some(AttrValue::Flag),
            AttrType::String => self.string(spec)?,
            AttrType::Bitfield32 => Some(AttrValue::Bytes(self.bytes(8))),
            AttrType::Binary => {
                let Some(len) = self.binary_len(spec)? else {
                    return Ok(None);
                };
                Some(AttrValue::Bytes(self.bytes(len)))
            }
            AttrType::Uint | AttrType::Sint => {
                let signed = ty == AttrType::Sint;
                let wide: bool = self.u.arbitrary()?;
                let width = if wide { 8 } else { 4 };
                match self.integer(spec, width, signed)? {
                    Some(v) => Some(int_value(v, width, spec.byte_order())),
                    None if !wide => self
                        .integer(spec, 8, signed)?
                        .map(|v| int_value(v, 8, spec.byte_order())),
                    None => None,
                }
            }
            _ => {
                let (Some(width), signed) = (ty.fixed_size(), is_signed(ty)) else {
                    return Ok(None);
                };
                self.integer(spec, width, signed)?
                    .map(|v| int_value(v, width, spec.byte_order()))
            }
        })
    }

    /// A string within the checks: the input's bytes up to the first that
    /// is not UTF-8 or is a NUL, or ASCII filler of the drawn length.
    fn string(&mut self, spec: &AttrSpec) -> Result<Option<AttrValue<'a>>> {
        let checks = spec.checks();
        let (min, max) = match checks.exact_len() {
            Some(len) => (len as usize, len as usize),
            None => (
                checks.min_len().unwrap_or(0) as usize,
                checks.max_len().map_or(UNBOUNDED_LEN, |m| m as usize),
            ),
        };
        let max = max.min(MAX_SPEC_VALUE_LEN - 1);
        if min > max {
            return Ok(None);
        }
        let len = self.u.int_in_range(min..=max)?;
        let drawn = self.u.bytes(len).unwrap_or_default();
        let text = match core::str::from_utf8(drawn) {
            Ok(text) => text,
            Err(e) => core::str::from_utf8(drawn.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default(),
        };
        let text = text.split('\0').next().unwrap_or_default();
        // The input's text when it is all there (or, half the time, what
        // is usable of it), so that lengths reach their bounds either way.
        if text.len() == len || (text.len() >= min && self.u.arbitrary()?) {
            return Ok(Some(AttrValue::Str(text)));
        }
        let filler = FILLER.get(..len).unwrap_or_default();
        Ok(core::str::from_utf8(filler).ok().map(AttrValue::Str))
    }

    /// The payload length of a binary value: the checks' exact length, the
    /// struct's size, the display hint's address size, or a length within
    /// the checks' bounds.
    fn binary_len(&mut self, spec: &AttrSpec) -> Result<Option<usize>> {
        let checks = spec.checks();
        let min = checks.min_len().unwrap_or(0) as usize;
        let max = checks.max_len().map(|m| m as usize);
        let natural = match (checks.exact_len(), spec.structure(), spec.display_hint()) {
            (Some(len), _, _) => Some(len as usize),
            (None, Some(layout), _) => Some(layout.size()),
            (None, None, DisplayHint::Mac) => Some(6),
            (None, None, DisplayHint::Ipv4) => Some(4),
            (None, None, DisplayHint::Ipv6 | DisplayHint::Uuid) => Some(16),
            (None, None, DisplayHint::Ipv4OrV6) => Some(if self.u.arbitrary()? { 4 } else { 16 }),
            _ => None,
        };
        let within = |len: usize| len >= min && max.is_none_or(|m| len <= m);
        if let Some(len) = natural.filter(|&l| within(l) && l <= MAX_SPEC_VALUE_LEN) {
            return Ok(Some(len));
        }
        let hi = max
            .unwrap_or(min.max(UNBOUNDED_LEN))
            .min(MAX_SPEC_VALUE_LEN);
        if min > hi {
            return Ok(None);
        }
        Ok(Some(self.u.int_in_range(min..=hi)?))
    }

    /// An integer of `width` bytes within the type's range and the checks,
    /// as its bits: an entry (or a set of flags) of the attribute's enum
    /// when it has one that fits, else the bounds or a value between.
    fn integer(&mut self, spec: &AttrSpec, width: usize, signed: bool) -> Result<Option<u64>> {
        let bits = (width * 8) as u32;
        let (type_min, type_max): (i128, i128) = if signed {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        let checks = spec.checks();
        let lo = checks.min().map_or(type_min, |m| type_min.max(m.into()));
        let hi = checks.max().map_or(type_max, |m| type_max.min(m.into()));
        if lo > hi {
            return Ok(None);
        }
        let fits = |v: i128| v >= lo && v <= hi;
        if let Some(e) = spec.enumeration().filter(|e| !e.entries().is_empty())
            && self.u.ratio(3, 4)?
        {
            let candidate = if e.is_flags() || spec.enum_as_flags() {
                let mut mask = 0u64;
                for entry in e.entries() {
                    if self.u.arbitrary()? {
                        mask |= if e.is_flags() {
                            entry.value()
                        } else {
                            1u64.checked_shl(entry.value() as u32).unwrap_or(0)
                        };
                    }
                }
                mask
            } else {
                self.u.choose(e.entries())?.value()
            };
            if fits(candidate.into()) {
                return Ok(Some(candidate));
            }
        }
        let value = match self.u.int_in_range(0..=3u8)? {
            0 => lo,
            1 => hi,
            _ => {
                let span = u64::try_from(hi - lo).unwrap_or(u64::MAX);
                lo + i128::from(self.u.int_in_range(0..=span)?)
            }
        };
        // Two's complement bits of the value, cut to the width by the writer.
        Ok(Some(value as u64))
    }
}

const fn is_signed(ty: AttrType) -> bool {
    matches!(
        ty,
        AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
    )
}

/// The integer `bits` as a value of `width` bytes, written in `order`.
fn int_value<'a>(bits: u64, width: usize, order: ByteOrder) -> AttrValue<'a> {
    let big = order == ByteOrder::Big;
    match width {
        1 => AttrValue::U8(bits as u8),
        2 => {
            let v = bits as u16;
            AttrValue::U16(if big {
                u16::from_ne_bytes(v.to_be_bytes())
            } else {
                v
            })
        }
        4 => {
            let v = bits as u32;
            AttrValue::U32(if big {
                u32::from_ne_bytes(v.to_be_bytes())
            } else {
                v
            })
        }
        _ => AttrValue::U64(if big {
            u64::from_ne_bytes(bits.to_be_bytes())
        } else {
            bits
        }),
    }
}

/// The selector's value that chooses `format`: the format's name for a
/// string selector, the enum entry of that name for an integer one.
fn selector_value<'a>(selector: &AttrSpec, format: &Format) -> Option<AttrValue<'a>> {
    let name: &'static str = format.value();
    match selector.attr_type() {
        AttrType::String if !name.contains('\0') => Some(AttrValue::Str(name)),
        ty => {
            let value = selector.enumeration()?.value_of(name)?;
            let width = ty.fixed_size().filter(|&w| (1..=8).contains(&w))?;
            let fits = width == 8 || value < (1u64 << (width * 8));
            fits.then(|| int_value(value, width, selector.byte_order()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` deterministic inputs of 512 bytes.
    fn inputs(count: usize) -> impl Iterator<Item = [u8; 512]> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..count).map(move |_| {
            let mut bytes = [0u8; 512];
            for b in &mut bytes {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            bytes
        })
    }

    #[test]
    fn integers_are_written_in_the_byte_order_asked() {
        assert_eq!(
            int_value(0x0102, 2, ByteOrder::Big),
            AttrValue::U16(u16::from_ne_bytes([1, 2]))
        );
        assert_eq!(
            int_value(0x0102, 2, ByteOrder::Host),
            AttrValue::U16(0x0102)
        );
        assert_eq!(
            int_value(u64::MAX, 4, ByteOrder::Host),
            AttrValue::U32(u32::MAX)
        );
        assert_eq!(int_value(0x1ff, 1, ByteOrder::Big), AttrValue::U8(0xff));
    }

    #[cfg(feature = "family-rt-link")]
    #[test]
    fn no_input_gives_the_fixed_header_and_no_attributes() {
        use crate::families::rt_link;
        let op = rt_link::FAMILY.operation("getlink").unwrap();
        let msg =
            SpecMessage::generate(&mut Unstructured::new(&[]), &rt_link::FAMILY, op, 0).unwrap();
        assert_eq!(msg.header(), &[0; 16]);
        assert!(msg.attrs().nodes().is_empty());
        assert!([op.request(), op.reply()].contains(&Some(msg.message_type())));
    }

    #[cfg(feature = "family-wireguard")]
    #[test]
    fn strings_keep_to_their_max_len() {
        use crate::families::wireguard;
        let set = wireguard::FAMILY.attr_set("wgdevice").unwrap();
        let ifname = set.by_name("ifname").unwrap();
        let max = ifname.checks().max_len().unwrap() as usize;
        let mut longest = 0;
        for input in inputs(256) {
            let tree = attr_tree(&mut Unstructured::new(&input), set).unwrap();
            for node in tree.nodes().iter().filter(|n| n.depth == 0) {
                if node.ty == ifname.number() {
                    let AttrValue::Str(s) = node.value else {
                        panic!("{node:?}")
                    };
                    assert!(s.len() <= max && !s.contains('\0'), "{s:?}");
                    longest = longest.max(s.len());
                }
            }
        }
        assert_eq!(longest, max);
    }

    #[cfg(feature = "family-netdev")]
    #[test]
    fn integers_keep_to_their_checks_and_reach_the_bounds() {
        use crate::families::netdev;
        let set = netdev::FAMILY.attr_set("napi").unwrap();
        let spec = set.by_name("defer-hard-irqs").unwrap();
        let max = spec.checks().max().unwrap() as u32;
        let mut values = std::vec::Vec::new();
        for input in inputs(256) {
            let tree = attr_tree(&mut Unstructured::new(&input), set).unwrap();
            for node in tree.nodes().iter().filter(|n| n.ty == spec.number()) {
                let AttrValue::U32(v) = node.value else {
                    panic!("{node:?}")
                };
                values.push(v);
            }
        }
        assert!(values.iter().all(|&v| v <= max), "{values:?}");
        assert!(values.contains(&max) && values.contains(&0), "{values:?}");
    }
}
