//! Typed views and writers of the attribute sets: per set, an alias of
//! `procslink::families::view::{View, Writer}` typed by a marker of the
//! set, with a getter per attribute (a one-line call of the generic
//! accessors there) and a key per attribute for the writer (a constant:
//! no logic per attribute here).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Gen, set_static};
use crate::model::{Attr, AttrSet, SubMessage, camel, screaming, snake};

/// Method names every view has (`procslink::families::view::View`), and
/// `new` and `end` (kept from when views had writers' methods: a getter
/// `new` would read as a constructor).
const RESERVED: &[&str] = &["parse", "raw", "unknown", "new", "end"];

/// The Rust names of a family's views, writers and sub-message enums.
pub struct Names {
    views: BTreeMap<String, String>,
    subs: BTreeMap<String, String>,
}

impl Names {
    fn view(&self, set: &str) -> Option<&str> {
        self.views.get(set).map(String::as_str)
    }
}

/// What a getter returns and how: (return type, body).
struct Getter {
    ty: String,
    body: String,
}

impl Gen<'_> {
    /// Names for the views (`LinkAttrs`, else `LinkAttrsView` if a struct
    /// or enum has that name), writers (`…Writer`) and sub-message enums.
    pub(super) fn view_names(&self) -> Names {
        let f = self.family;
        let mut taken: BTreeSet<String> = f.enums.iter().map(|e| camel(&e.name)).collect();
        taken.extend(f.structs.iter().map(|s| camel(&s.name)));
        let mut fresh = |base: String, suffixes: &[&str]| {
            let mut name = base.clone();
            let mut suffix = suffixes.iter();
            while taken.contains(&name) || taken.contains(&format!("{name}Writer")) {
                name = match suffix.next() {
                    Some(s) => format!("{base}{s}"),
                    None => format!("{name}_"),
                };
            }
            taken.insert(format!("{name}Writer"));
            taken.insert(name.clone());
            name
        };
        let views = f
            .attr_sets
            .iter()
            .map(|s| (s.name.clone(), fresh(camel(&s.name), &["Attrs", "View"])))
            .collect();
        let subs = f
            .sub_messages
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    fresh(camel(&s.name), &["Format", "Formats"]),
                )
            })
            .collect();
        Names { views, subs }
    }

    fn struct_type(&mut self, name: &Option<String>) -> Option<String> {
        let name = name.as_deref()?;
        self.layout(name, 0)?;
        Some(super::camel(name))
    }

    fn scalar_type(&mut self, a: &Attr, ty: &str) -> Option<&'static str> {
        let hint = a.display.as_deref().unwrap_or("");
        Some(match (ty, hint) {
            ("u32" | "binary", "ipv4") => "core::net::Ipv4Addr",
            ("binary", "ipv6") => "core::net::Ipv6Addr",
            ("binary", "ipv4-or-v6") => "core::net::IpAddr",
            ("u8", _) => "u8",
            ("u16", _) => "u16",
            ("u32", _) => "u32",
            ("u64" | "uint", _) => "u64",
            ("s8", _) => "i8",
            ("s16", _) => "i16",
            ("s32", _) => "i32",
            ("s64" | "sint", _) => "i64",
            ("bitfield32", _) => "f::view::Bitfield32",
            ("binary", _) => "&'a [u8]",
            _ => return None,
        })
    }

    fn getter(&mut self, names: &Names, a: &Attr, i: usize) -> Option<Getter> {
        let get = if a.big_endian { "get_be" } else { "get" };
        let nested = a.nested.as_deref().and_then(|n| names.view(n));
        let g = |ty: String, body: String| Some(Getter { ty, body });
        match a.ty.as_str() {
            "unused" | "pad" => None,
            "flag" => g("bool".into(), format!("self.0.has({i})")),
            "nest" if a.multi => match nested {
                Some(v) => g(
                    format!("f::view::Nests<'a, {v}<'a>>"),
                    format!("self.0.nests({i})"),
                ),
                None => None,
            },
            "nest" => match nested {
                Some(v) => g(
                    format!("Result<Option<{v}<'a>>, crate::Error>"),
                    format!("self.0.nest({i})"),
                ),
                None => g(
                    "Option<crate::netlink::Attrs<'a>>".into(),
                    format!("self.0.attr({i}).map(|a| a.nested())"),
                ),
            },
            "indexed-array" | "nest-type-value" => {
                let sub = a.sub_type.as_deref().unwrap_or("nest");
                match (sub, nested) {
                    ("nest", Some(v)) => g(
                        format!("f::view::Entries<'a, {v}<'a>>"),
                        format!("self.0.entries({i})"),
                    ),
                    ("nest", None) => None,
                    (sub, _) => {
                        let t = self.scalar_type(a, sub)?;
                        g(
                            format!("f::view::EntryValues<'a, {t}>"),
                            format!("self.0.entry_values({i})"),
                        )
                    }
                }
            }
            "sub-message" => {
                let sub = names.subs.get(a.sub_message.as_deref()?)?;
                g(
                    format!("Result<Option<{sub}<'a>>, crate::Error>"),
                    format!("self.0.sub_message({i})"),
                )
            }
            "string" if a.multi => g(
                "f::view::Strings<'a>".into(),
                format!("self.0.strings({i})"),
            ),
            "string" => g("Option<&'a [u8]>".into(), format!("self.0.string({i})")),
            "binary" if a.display.is_none() && !a.multi => match self.struct_type(&a.structure) {
                Some(s) => g(format!("Option<{s}>"), format!("self.0.structure({i})")),
                None => g("Option<&'a [u8]>".into(), format!("self.0.get({i})")),
            },
            ty => {
                let t = self.scalar_type(a, ty)?;
                if a.multi {
                    g(
                        format!("f::view::Values<'a, {t}>"),
                        format!("self.0.values({i})"),
                    )
                } else {
                    g(format!("Option<{t}>"), format!("self.0.{get}({i})"))
                }
            }
        }
    }

    /// How a writer writes the attribute: its key's value type (see
    /// `procslink::families::view::Key`).
    fn key_kind(&mut self, names: &Names, a: &Attr) -> Option<String> {
        let nested = a.nested.as_deref().and_then(|n| names.view(n));
        Some(match a.ty.as_str() {
            "unused" | "pad" => return None,
            "flag" => "f::view::Flag".into(),
            "nest" => match nested {
                Some(v) => format!("f::view::Nested<sets::{v}>"),
                None => "f::view::Open".into(),
            },
            "indexed-array" | "nest-type-value" | "sub-message" => "f::view::Open".into(),
            "string" => "f::view::Str".into(),
            "binary" if a.display.is_none() => match self.struct_type(&a.structure) {
                Some(s) => format!("f::view::Struct<{s}>"),
                None => "[u8]".into(),
            },
            ty => {
                let t = self.scalar_type(a, ty)?;
                let t = if t == "&'a [u8]" { "[u8]" } else { t };
                if a.big_endian && t != "[u8]" {
                    format!("f::view::Be<{t}>")
                } else {
                    t.to_string()
                }
            }
        })
    }

    fn what(&self, a: &Attr) -> String {
        let mut what = format!("`{}` (`{}`, {}", a.name, a.c_name, a.ty);
        if a.big_endian {
            what.push_str(", big-endian");
        }
        if let Some(h) = &a.display {
            let _ = write!(what, ", display hint {h}");
        }
        if let Some(e) = &a.enumeration {
            let kind = if a.enum_as_flags {
                "bits of"
            } else {
                "a value of"
            };
            let _ = write!(what, ", {kind} `{e}`");
            if let Some(e) = self.family.enums.iter().find(|x| &x.name == e)
                && (e.flags || !e.entries.is_empty())
            {
                let _ = write!(what, ": `{}`", camel(&e.name));
            }
        }
        if a.multi {
            what.push_str(", multi-attr");
        }
        what.push(')');
        what
    }

    pub(super) fn view(&mut self, names: &Names, set: &AttrSet) {
        let fam = self.family.name.clone();
        let Some(view) = names.view(&set.name).map(str::to_string) else {
            return;
        };
        let n = set.attrs.len();
        let mut methods = BTreeSet::new();
        methods.extend(RESERVED.iter().map(|s| s.to_string()));
        let mut getters = String::new();
        let mut keys = String::new();
        let mut key_names = BTreeSet::from(["SET".to_string()]);
        for (i, a) in set.attrs.iter().enumerate() {
            let mut name = snake(&a.name);
            if methods.contains(&name) {
                name.push_str("_attr");
            }
            while !methods.insert(name.clone()) {
                name.push('_');
            }
            let what = self.what(a);
            if let Some(Getter { ty, body }) = self.getter(names, a, i) {
                let _ = writeln!(
                    getters,
                    "/// {what}.\n#[inline]\npub fn {name}(&self) -> {ty} {{\n{body}\n}}\n"
                );
            }
            if let Some(kind) = self.key_kind(names, a) {
                let mut key = screaming(&a.name);
                while !key_names.insert(key.clone()) {
                    key.push('_');
                }
                let how = if kind.starts_with("f::view::Nested") {
                    "opened by the writer's `nest`"
                } else if kind == "f::view::Open" {
                    "opened by the writer's `open`"
                } else {
                    "written by the writer's `put`"
                };
                let _ = writeln!(
                    keys,
                    "/// The key of {what}, {how}.\npub const {key}: f::view::Key<sets::{view}, {kind}> = f::view::Key::new({});\n",
                    a.number
                );
            }
        }
        let _ = writeln!(
            self.out,
            "/// The typed view of {fam}'s attribute set `{0}`: one pass over a run indexes it, then a getter per attribute reads it (`None`: absent or malformed; see [`View`](f::view::View)).\npub type {view}<'a> = f::view::View<'a, sets::{view}, {n}>;\n\n\
impl<'a> {view}<'a> {{\n{keys}{getters}}}\n\n\
/// The typed writer of {fam}'s attribute set `{0}`: it writes an attribute by its key, a constant of [`{view}`](self::{view}) (see [`Writer`](f::view::Writer)).\npub type {view}Writer<'m, 'a, 'b> = f::view::Writer<'m, 'a, 'b, sets::{view}>;\n",
            set.name
        );
    }

    /// The module of the marker types naming each set in its view's and
    /// writer's type.
    pub(super) fn set_markers(&mut self, names: &Names) {
        let fam = self.family.name.clone();
        let mut markers = String::new();
        for set in &self.family.attr_sets {
            let Some(view) = names.view(&set.name) else {
                continue;
            };
            let _ = writeln!(
                markers,
                "/// Names `{}` in [`{view}`](super::{view}) and [`{view}Writer`](super::{view}Writer).\npub enum {view} {{}}\n\nimpl f::view::Set for {view} {{\nconst SET: &'static f::AttrSet = &super::{};\n}}\n",
                set.name,
                set_static(&set.name)
            );
        }
        if !markers.is_empty() {
            let _ = writeln!(
                self.out,
                "/// The marker types naming {fam}'s attribute sets in the types of their views and writers.\npub mod sets {{\nuse crate::families as f;\n\n{markers}}}"
            );
        }
    }

    pub(super) fn sub_message_view(&mut self, names: &Names, sub: &SubMessage) {
        let fam = self.family.name.clone();
        let Some(ty) = names.subs.get(&sub.name).cloned() else {
            return;
        };
        let mut variants = String::new();
        let mut arms = String::new();
        let mut seen = BTreeSet::from(["Other".to_string()]);
        for fm in &sub.formats {
            let mut v = camel(&fm.value);
            while !seen.insert(v.clone()) {
                v.push('_');
            }
            let view = fm.attr_set.as_deref().and_then(|s| names.view(s));
            let header = match &fm.fixed_header {
                Some(h) => match self.layout(h, 0) {
                    Some(l) => Some((camel(h), l.size)),
                    None => continue,
                },
                None => None,
            };
            let (field, arm) = match (header, view) {
                (None, Some(view)) => (
                    format!("({view}<'a>)"),
                    format!("Self::{v}(f::view::after_header(&attr, 0)?)"),
                ),
                (Some((h, _)), None) => (
                    format!("(&'a {h})"),
                    format!("Self::{v}(f::view::header(&attr)?)"),
                ),
                (Some((h, size)), Some(view)) => (
                    format!("(&'a {h}, {view}<'a>)"),
                    format!(
                        "Self::{v}(f::view::header(&attr)?, f::view::after_header(&attr, {size})?)"
                    ),
                ),
                (None, None) => (String::new(), format!("Self::{v}")),
            };
            let _ = writeln!(variants, "/// Format `{}`.\n{v}{field},", fm.value);
            let _ = writeln!(arms, "Some({:?}) => {arm},", fm.value);
        }
        let _ = writeln!(
            self.out,
            "/// {fam}'s sub-message `{}`: the view of each format, chosen by the selector.\n#[derive(Copy, Clone, Debug)]\npub enum {ty}<'a> {{\n{variants}/// A format the specification does not describe, or no selector: the attribute as it is.\nOther(crate::netlink::Attr<'a>),\n}}\n\n\
impl<'a> f::view::SubMessageView<'a> for {ty}<'a> {{\nfn select(format: Option<&str>, attr: crate::netlink::Attr<'a>) -> Result<Self, crate::Error> {{\nOk(match format {{\n{arms}_ => Self::Other(attr),\n}})\n}}\n}}\n",
            sub.name
        );
    }
}
