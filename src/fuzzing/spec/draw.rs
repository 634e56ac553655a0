//! Drawing attribute values from the fuzzer's bytes, as an attribute's
//! specification allows.

use arbitrary::{Result, Unstructured};
use heapless::Vec as HVec;

use super::MAX_SPEC_VALUE_LEN;
use crate::families::{AttrSet, AttrSpec, AttrType, ByteOrder, DisplayHint, Format, StructSpec};
use crate::fuzzing::describe::{AttrTree, AttrValue, MAX_ATTR_DEPTH, MAX_ATTRS};

/// The payload length of strings and binary values whose checks set no
/// upper bound.
const UNBOUNDED_LEN: usize = 32;
/// The most attributes drawn for one nested run (a message's own run may
/// fill the whole tree).
const MAX_NESTED_RUN: usize = 6;
/// The most times a multi-attribute, or the entries of an array, repeat.
const MAX_REPEATS: usize = 3;

pub(super) static ZEROS: [u8; MAX_SPEC_VALUE_LEN] = [0; MAX_SPEC_VALUE_LEN];
static FILLER: [u8; MAX_SPEC_VALUE_LEN] = [b'a'; MAX_SPEC_VALUE_LEN];

/// A run of `set` drawn from `u`: see [`attr_tree`](super::attr_tree).
pub(super) fn attr_tree<'a>(u: &mut Unstructured<'a>, set: &AttrSet) -> Result<AttrTree<'a>> {
    let mut generator = Generator {
        u,
        tree: AttrTree::new(),
    };
    generator.run(Some(set), 0, MAX_ATTRS)?;
    Ok(generator.tree)
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
pub(super) fn int_value<'a>(bits: u64, width: usize, order: ByteOrder) -> AttrValue<'a> {
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
