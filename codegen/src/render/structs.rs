//! Structs: their C layout (offsets, padding, alignment) worked out from
//! the specification's members, and each rendered as a Rust struct with
//! its table; fixed headers are viewed in place, the rest read by value.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{Gen, attr_type, display_hint, enum_static, int_type, opt_ref, struct_static};
use crate::model::{Member, Struct, camel, snake};

/// A struct member's C layout and Rust type.
struct Field {
    name: String,
    member: Member,
    ty: String,
    size: usize,
    offset: usize,
}

pub(super) struct Layout {
    fields: Vec<Field>,
    pub(super) size: usize,
    align: usize,
    default: bool,
}

impl Field {
    /// `pad` bytes of the padding C's alignment inserts at `offset`.
    fn padding(offset: usize, pad: usize) -> Field {
        Field {
            name: format!("pad_at_{offset}"),
            member: Member {
                name: String::new(),
                ty: "pad".into(),
                big_endian: false,
                len: Some(pad),
                structure: None,
                enumeration: None,
                display: None,
            },
            ty: format!("[u8; {pad}]"),
            size: pad,
            offset,
        }
    }
}

impl Gen<'_> {
    pub(super) fn layout(&mut self, name: &str, depth: usize) -> Option<&Layout> {
        if !self.layouts.contains_key(name) {
            let s = self.family.structs.iter().find(|s| s.name == name)?;
            if depth > 16 {
                return None;
            }
            let mut fields = Vec::new();
            let (mut offset, mut align_max, mut default) = (0usize, 1usize, true);
            let mut names = BTreeSet::new();
            for m in &s.members {
                let order = if m.big_endian {
                    "BigEndian"
                } else {
                    "NativeEndian"
                };
                let int = |bits: &str, signed: bool| {
                    let t = if signed { "I" } else { "U" };
                    format!("zerocopy::byteorder::{t}{bits}<zerocopy::byteorder::{order}>")
                };
                let (ty, size, align) = match (m.ty.as_str(), &m.structure, m.len) {
                    ("u8", _, _) => ("u8".to_string(), 1, 1),
                    ("s8", _, _) => ("i8".to_string(), 1, 1),
                    ("u16", _, _) => (int("16", false), 2, 2),
                    ("s16", _, _) => (int("16", true), 2, 2),
                    ("u32", _, _) => (int("32", false), 4, 4),
                    ("s32", _, _) => (int("32", true), 4, 4),
                    ("u64", _, _) => (int("64", false), 8, 8),
                    ("s64", _, _) => (int("64", true), 8, 8),
                    (_, Some(inner), _) => {
                        let l = self.layout(inner, depth + 1)?;
                        let (size, align, d) = (l.size, l.align, l.default);
                        default &= d;
                        (camel(inner), size, align)
                    }
                    (_, None, Some(len)) => {
                        default &= len <= 32;
                        (format!("[u8; {len}]"), len, 1)
                    }
                    // A flexible array at the end: no bytes of its own.
                    (_, None, None) => continue,
                };
                let pad = offset.next_multiple_of(align) - offset;
                if pad > 0 {
                    fields.push(Field::padding(offset, pad));
                    offset += pad;
                }
                let mut field = snake(&m.name);
                while !names.insert(field.clone()) {
                    field.push('_');
                }
                fields.push(Field {
                    name: field,
                    member: m.clone(),
                    ty,
                    size,
                    offset,
                });
                offset += size;
                align_max = align_max.max(align);
            }
            let size = offset.next_multiple_of(align_max);
            if size > offset {
                fields.push(Field::padding(offset, size - offset));
            }
            self.layouts.insert(
                name.to_string(),
                Layout {
                    fields,
                    size,
                    align: align_max,
                    default,
                },
            );
        }
        self.layouts.get(name)
    }

    pub(super) fn structure(&mut self, s: &Struct) {
        let fam = self.family.name.clone();
        let enums: Vec<String> = self.family.enums.iter().map(|e| e.name.clone()).collect();
        let viewed_in_place = self.viewed_in_place(&s.name);
        let Some(layout) = self.layout(&s.name, 0) else {
            eprintln!("note: {fam}: struct `{}` left out", s.name);
            return;
        };
        let mut out = String::new();
        let default = if layout.default { ", Default" } else { "" };
        // Headers are viewed in place (`Message::family_header`), so they
        // are `FromBytes`; an attribute's struct is read by value
        // (`ReadStruct`): zerocopy's `FromBytes` derive costs most of
        // what the structs cost to compile.
        let (kind, in_place) = if viewed_in_place {
            (
                "a fixed header, viewed in place",
                "zerocopy::FromBytes, zerocopy::KnownLayout, ",
            )
        } else {
            ("read by value", "")
        };
        let _ = writeln!(
            out,
            "/// `struct {}` ({} bytes) of {fam}, {kind}.\n#[derive({in_place}zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::Unaligned, Clone, Copy, Debug, PartialEq, Eq{default})]\n#[repr(C)]\npub struct {} {{",
            s.name,
            layout.size,
            camel(&s.name)
        );
        let mut reads = String::new();
        let mut values = String::new();
        let fields = &layout.fields;
        for (i, fd) in fields.iter().enumerate() {
            let rest = if i + 1 == fields.len() { "_" } else { "bytes" };
            let size = fd.size;
            let (split, value) = match (fd.ty.as_str(), &fd.member.structure) {
                ("u8", _) => ("bytes.split_first()".to_string(), format!("*f_{}", fd.name)),
                (_, Some(inner)) => (
                    format!("bytes.split_first_chunk::<{size}>()"),
                    format!(
                        "<{} as f::view::ReadStruct>::read(f_{})?",
                        camel(inner),
                        fd.name
                    ),
                ),
                (t, None) if t.starts_with('[') => (
                    format!("bytes.split_first_chunk::<{size}>()"),
                    format!("*f_{}", fd.name),
                ),
                ("i8", None) => (
                    "bytes.split_first_chunk::<1>()".to_string(),
                    format!("i8::from_ne_bytes(*f_{})", fd.name),
                ),
                (_, None) => (
                    format!("bytes.split_first_chunk::<{size}>()"),
                    format!(
                        "zerocopy::byteorder::{}::from_bytes(*f_{})",
                        int_type(&fd.ty),
                        fd.name
                    ),
                ),
            };
            let _ = writeln!(reads, "let (f_{}, {rest}) = {split}?;", fd.name);
            let _ = writeln!(values, "{}: {value},", fd.name);
        }
        // One length check up front: the fields' splits of a slice of a
        // known length then need none.
        let read_impl = format!(
            "impl f::view::ReadStruct for {} {{\n#[inline]\nfn read(bytes: &[u8]) -> Option<Self> {{\nlet bytes = bytes.first_chunk::<{}>()?.as_slice();\n{reads}Some(Self {{\n{values}}})\n}}\n}}\n\n",
            camel(&s.name),
            layout.size
        );
        let mut table = String::new();
        let _ = writeln!(
            table,
            "/// The layout of {fam}'s `struct {}`.\npub static {}: f::StructSpec = f::StructSpec {{ name: {:?}, size: {}, members: &[",
            s.name,
            struct_static(&s.name),
            s.name,
            layout.size
        );
        for fd in &layout.fields {
            let m = &fd.member;
            if m.name.is_empty() {
                let _ = writeln!(
                    out,
                    "/// Padding C's alignment inserts.\npub {}: {},",
                    fd.name, fd.ty
                );
                continue;
            }
            let what = match &m.structure {
                Some(inner) => format!("struct {inner}"),
                None if m.ty == "binary" || m.ty == "pad" || m.ty == "string" => {
                    format!("{}, {} bytes", m.ty, fd.size)
                }
                None if m.big_endian => format!("{}, big-endian", m.ty),
                None => m.ty.clone(),
            };
            let _ = writeln!(
                out,
                "/// `{}` ({what}).\npub {}: {},",
                m.name, fd.name, fd.ty
            );
            let ty = match m.ty.as_str() {
                "pad" => "Pad",
                t if m.structure.is_some() || fd.ty.starts_with('[') || t == "string" => "Binary",
                t => attr_type(t),
            };
            let order = if m.big_endian { "Big" } else { "Host" };
            let enumeration = m.enumeration.clone().filter(|e| enums.contains(e));
            let enumeration = opt_ref(&enumeration, enum_static);
            let display = m
                .display
                .as_deref()
                .and_then(display_hint)
                .unwrap_or("None");
            let _ = writeln!(
                table,
                "f::Member {{ name: {:?}, member_type: f::AttrType::{ty}, byte_order: f::ByteOrder::{order}, offset: {}, len: {}, enumeration: {enumeration}, display: f::DisplayHint::{display} }},",
                m.name, fd.offset, fd.size
            );
        }
        out.push_str("}\n\n");
        out.push_str(&read_impl);
        table.push_str("]};\n");
        self.out.push_str(&out);
        self.out.push_str(&table);
    }

    /// Whether the struct `name` is a fixed header (of an operation or a
    /// sub-message's format), or a member of one: a type viewed in place.
    pub(super) fn viewed_in_place(&self, name: &str) -> bool {
        let f = self.family;
        let mut headers: Vec<&str> = f
            .operations
            .iter()
            .filter_map(|o| o.fixed_header.as_deref())
            .chain(
                f.sub_messages
                    .iter()
                    .flat_map(|s| &s.formats)
                    .filter_map(|fm| fm.fixed_header.as_deref()),
            )
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(h) = headers.pop() {
            if h == name {
                return true;
            }
            if seen.insert(h)
                && let Some(s) = f.structs.iter().find(|s| s.name == h)
            {
                headers.extend(s.members.iter().filter_map(|m| m.structure.as_deref()));
            }
        }
        false
    }
}
