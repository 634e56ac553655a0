//! A specification read into plain data, with the kernel's numbering and
//! naming rules applied (`Documentation/userspace-api/netlink/specs.rst`).

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

use crate::errata;

/// `foo-bar` as a C constant: `FOO_BAR`.
pub fn c_upper(s: &str) -> String {
    s.replace('-', "_").to_uppercase()
}

/// `foo-bar` as a Rust type or variant: `FooBar` (`V10g` if it starts with a
/// digit).
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(['-', '_']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// `foo-bar` as a Rust field or module: `foo_bar` (`type_` for keywords).
pub fn snake(s: &str) -> String {
    let mut out = s
        .trim_start_matches(['-', '_'])
        .replace('-', "_")
        .to_lowercase();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'f');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `foo-bar` as a Rust constant: `FOO_BAR` (`_10G` if it starts with a
/// digit).
pub fn screaming(s: &str) -> String {
    let out = c_upper(s.trim_start_matches(['-', '_']));
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    Raw {
        protonum: u16,
    },
    Genl {
        version: u8,
        family_c: String,
        version_c: String,
    },
}

#[derive(Clone, Debug)]
pub struct Const {
    pub name: String,
    pub c_name: String,
    pub value: Yaml,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub c_name: String,
    /// For flags, the mask.
    pub value: u64,
}

#[derive(Clone, Debug)]
pub struct Enum {
    pub name: String,
    pub flags: bool,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub ty: String,
    pub big_endian: bool,
    /// `len` of a binary or pad, or the struct a binary carries.
    pub len: Option<usize>,
    pub structure: Option<String>,
    /// The enum or flag set of an integer (`enum`).
    pub enumeration: Option<String>,
    /// `display-hint`.
    pub display: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Struct {
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default)]
pub struct Checks {
    pub min_len: Option<u32>,
    pub max_len: Option<u32>,
    pub exact_len: Option<u32>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub unterminated_ok: bool,
}

#[derive(Clone, Debug)]
pub struct Attr {
    pub name: String,
    pub c_name: String,
    pub number: u16,
    pub ty: String,
    pub sub_type: Option<String>,
    pub big_endian: bool,
    pub display: Option<String>,
    pub nested: Option<String>,
    pub sub_message: Option<String>,
    pub selector: Option<String>,
    pub enumeration: Option<String>,
    pub structure: Option<String>,
    pub checks: Checks,
    pub multi: bool,
    /// `enum-as-flags`: each bit of the value is an entry of the enum.
    pub enum_as_flags: bool,
}

#[derive(Clone, Debug)]
pub struct AttrSet {
    pub name: String,
    pub subset_of: Option<String>,
    pub attrs: Vec<Attr>,
}

#[derive(Clone, Debug)]
pub struct Format {
    pub value: String,
    pub attr_set: Option<String>,
    pub fixed_header: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SubMessage {
    pub name: String,
    pub formats: Vec<Format>,
}

#[derive(Clone, Debug, Default)]
pub struct Operation {
    pub name: String,
    pub c_name: String,
    pub request: Option<u16>,
    pub reply: Option<u16>,
    pub do_: bool,
    pub dump: bool,
    pub notify: bool,
    pub event: bool,
    pub attr_set: Option<String>,
    pub fixed_header: Option<String>,
}

#[derive(Clone, Debug)]
pub struct McastGroup {
    pub name: String,
    pub c_name: String,
    pub value: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    /// The Rust module (`rt_link`).
    pub module: String,
    /// The cargo feature (`family-rt-link`).
    pub feature: String,
    pub protocol: Protocol,
    pub consts: Vec<Const>,
    pub enums: Vec<Enum>,
    pub structs: Vec<Struct>,
    pub attr_sets: Vec<AttrSet>,
    pub sub_messages: Vec<SubMessage>,
    pub operations: Vec<Operation>,
    pub mcast_groups: Vec<McastGroup>,
    pub warnings: Vec<String>,
}

fn str_of(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list(y: &Yaml) -> &[Yaml] {
    y.as_vec().map_or(&[], Vec::as_slice)
}

fn req<'y>(y: &'y Yaml, key: &str) -> Result<&'y str, String> {
    y[key]
        .as_str()
        .ok_or_else(|| format!("missing `{key}` in {y:?}"))
}

impl Family {
    pub fn parse(text: &str) -> Result<Family, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let doc = docs.first().ok_or("empty file")?;
        let name = req(doc, "name")?.to_string();
        let ident = c_upper(&name);
        let protocol = match doc["protocol"].as_str().unwrap_or("genetlink") {
            "netlink-raw" => Protocol::Raw {
                protonum: doc["protonum"].as_i64().unwrap_or(0) as u16,
            },
            _ => Protocol::Genl {
                version: doc["version"].as_i64().unwrap_or(1) as u8,
                family_c: c_upper(
                    doc["c-family-name"]
                        .as_str()
                        .unwrap_or(&format!("{name}-family-name")),
                ),
                version_c: c_upper(
                    doc["c-version-name"]
                        .as_str()
                        .unwrap_or(&format!("{name}-family-version")),
                ),
            },
        };
        let mut family = Family {
            module: snake(&name),
            feature: format!("family-{}", name.replace('_', "-")),
            name,
            protocol,
            consts: Vec::new(),
            enums: Vec::new(),
            structs: Vec::new(),
            attr_sets: Vec::new(),
            sub_messages: Vec::new(),
            operations: Vec::new(),
            mcast_groups: Vec::new(),
            warnings: Vec::new(),
        };
        for def in list(&doc["definitions"]) {
            let def_name = req(def, "name")?.to_string();
            match def["type"].as_str().unwrap_or("") {
                "const" => {
                    let pfx = def["name-prefix"]
                        .as_str()
                        .map_or_else(|| format!("{ident}-"), str::to_string);
                    family.consts.push(Const {
                        c_name: c_upper(&format!("{pfx}{def_name}")),
                        name: def_name,
                        value: def["value"].clone(),
                    });
                }
                ty @ ("enum" | "flags") => {
                    let flags = ty == "flags";
                    let pfx = def["name-prefix"]
                        .as_str()
                        .map_or_else(|| format!("{ident}-{def_name}-"), str::to_string);
                    let mut value = def["value-start"].as_i64().unwrap_or(0);
                    let mut entries = Vec::new();
                    for e in list(&def["entries"]) {
                        let entry_name = match e {
                            Yaml::String(s) => s.clone(),
                            _ => req(e, "name")?.to_string(),
                        };
                        if let Some(v) = e["value"].as_i64() {
                            value = v;
                        }
                        let stored = if flags {
                            match u32::try_from(value).ok().and_then(|b| 1u64.checked_shl(b)) {
                                Some(mask) => mask,
                                None => return Err(format!("flag bit {value} too large")),
                            }
                        } else {
                            u64::try_from(value)
                                .map_err(|_| format!("negative enum value {value}"))?
                        };
                        entries.push(Entry {
                            c_name: c_upper(&format!("{pfx}{entry_name}")),
                            name: entry_name,
                            value: stored,
                        });
                        value += 1;
                    }
                    family.enums.push(Enum {
                        name: def_name,
                        flags,
                        entries,
                    });
                }
                "struct" => {
                    let mut members = Vec::new();
                    for m in list(&def["members"]) {
                        members.push(Member {
                            name: req(m, "name")?.to_string(),
                            ty: req(m, "type")?.to_string(),
                            big_endian: m["byte-order"].as_str() == Some("big-endian"),
                            len: m["len"].as_i64().map(|l| l as usize),
                            structure: m["struct"].as_str().map(str::to_string),
                            enumeration: m["enum"].as_str().map(str::to_string),
                            display: m["display-hint"].as_str().map(str::to_string),
                        });
                    }
                    family.structs.push(Struct {
                        name: def_name,
                        members,
                    });
                }
                other => family
                    .warnings
                    .push(format!("definition `{def_name}` of type `{other}` skipped")),
            }
        }
        family.parse_attr_sets(doc)?;
        for sub in list(&doc["sub-messages"]) {
            let mut formats = Vec::new();
            for f in list(&sub["formats"]) {
                formats.push(Format {
                    value: str_of(&f["value"]).ok_or("sub-message format without value")?,
                    attr_set: f["attribute-set"].as_str().map(str::to_string),
                    fixed_header: f["fixed-header"].as_str().map(str::to_string),
                });
            }
            formats.sort_by(|a, b| a.value.cmp(&b.value));
            formats.dedup_by(|a, b| a.value == b.value);
            family.sub_messages.push(SubMessage {
                name: req(sub, "name")?.to_string(),
                formats,
            });
        }
        family.parse_operations(doc)?;
        for g in list(&doc["mcast-groups"]["list"]) {
            let group = req(g, "name")?.to_string();
            let value = g["value"].as_i64().map(|v| v as u32);
            let c_name = match (&family.protocol, g["c-define-name"].as_str()) {
                (_, Some(c)) => c_upper(c),
                (Protocol::Raw { .. }, None) => c_upper(&group),
                (Protocol::Genl { .. }, None) => c_upper(&format!("{ident}-mcgrp-{group}")),
            };
            family.mcast_groups.push(McastGroup {
                name: group,
                c_name,
                value,
            });
        }
        family.check_references();
        Ok(family)
    }

    fn const_value(&self, y: &Yaml) -> Option<i64> {
        if let Some(v) = y.as_i64() {
            return Some(v);
        }
        let name = y.as_str()?;
        let known = match name {
            "u8-max" => Some(u8::MAX as i64),
            "u16-max" => Some(u16::MAX as i64),
            "u32-max" => Some(u32::MAX as i64),
            "s8-max" => Some(i8::MAX as i64),
            "s16-max" => Some(i16::MAX as i64),
            "s32-max" => Some(i32::MAX as i64),
            "s64-max" => Some(i64::MAX),
            "s8-min" => Some(i8::MIN as i64),
            "s16-min" => Some(i16::MIN as i64),
            "s32-min" => Some(i32::MIN as i64),
            "s64-min" => Some(i64::MIN),
            _ => None,
        };
        known.or_else(|| {
            self.consts
                .iter()
                .find(|c| c.name == name || c.c_name == c_upper(name))
                // A zero stands in for a value the kernel defines elsewhere
                // (the page size): no bound is better than a wrong one.
                .and_then(|c| c.value.as_i64().filter(|&v| v != 0))
        })
    }

    fn checks(&mut self, y: &Yaml, attr: &str) -> Checks {
        let mut checks = Checks {
            unterminated_ok: y["unterminated-ok"].as_bool().unwrap_or(false),
            ..Checks::default()
        };
        let mut get = |key: &str| {
            let v = &y[key];
            if v.is_badvalue() {
                return None;
            }
            let resolved = self.const_value(v);
            if resolved.is_none() {
                self.warnings.push(format!(
                    "`{attr}`: check `{key}: {}` left out",
                    str_of(v).unwrap_or_default()
                ));
            }
            resolved
        };
        checks.min_len = get("min-len").and_then(|v| u32::try_from(v).ok());
        checks.max_len = get("max-len").and_then(|v| u32::try_from(v).ok());
        checks.exact_len = get("exact-len").and_then(|v| u32::try_from(v).ok());
        checks.min = get("min");
        checks.max = get("max");
        checks
    }

    fn attr(&mut self, a: &Yaml, prefix: &str, number: u16) -> Result<Attr, String> {
        let name = req(a, "name")?.to_string();
        let checks = self.checks(&a["checks"], &name);
        Ok(Attr {
            c_name: c_upper(&format!("{prefix}{name}")),
            number,
            ty: a["type"].as_str().unwrap_or("unused").to_string(),
            sub_type: a["sub-type"].as_str().map(str::to_string),
            big_endian: a["byte-order"].as_str() == Some("big-endian"),
            display: a["display-hint"].as_str().map(str::to_string),
            nested: a["nested-attributes"].as_str().map(str::to_string),
            sub_message: a["sub-message"].as_str().map(str::to_string),
            selector: a["selector"].as_str().map(str::to_string),
            enumeration: a["enum"].as_str().map(str::to_string),
            structure: a["struct"].as_str().map(str::to_string),
            checks,
            multi: a["multi-attr"].as_bool().unwrap_or(false),
            enum_as_flags: a["enum-as-flags"].as_bool().unwrap_or(false),
            name,
        })
    }

    /// Corrects what [`errata::ERRATA`] says the kernel does otherwise, in
    /// the set named and its subsets; warns of an erratum that finds
    /// nothing to correct.
    fn apply_errata(&mut self) {
        for erratum in errata::ERRATA.iter().filter(|e| e.family == self.name) {
            let mut corrected = false;
            let mut already = false;
            for set in &mut self.attr_sets {
                if set.name != erratum.set && set.subset_of.as_deref() != Some(erratum.set) {
                    continue;
                }
                for attr in set.attrs.iter_mut().filter(|a| a.name == erratum.attr) {
                    match erratum.fix {
                        errata::Fix::BigEndian if attr.big_endian => already = true,
                        errata::Fix::BigEndian => {
                            attr.big_endian = true;
                            corrected = true;
                        }
                    }
                }
            }
            if !corrected {
                self.warnings.push(format!(
                    "erratum for `{}` `{}` ({:?}) {}: remove it from codegen/src/errata.rs",
                    erratum.set,
                    erratum.attr,
                    erratum.fix,
                    if already {
                        "is in the specification now"
                    } else {
                        "matches no attribute"
                    }
                ));
            }
        }
    }

    fn parse_attr_sets(&mut self, doc: &Yaml) -> Result<(), String> {
        let ident = c_upper(&self.name);
        // Sets first, then subsets (which refer to their set by name).
        let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
        let mut raw: BTreeMap<String, BTreeMap<String, Yaml>> = BTreeMap::new();
        let sets = list(&doc["attribute-sets"]);
        for set in sets.iter().filter(|s| s["subset-of"].is_badvalue()) {
            let set_name = req(set, "name")?.to_string();
            let prefix = match set["name-prefix"].as_str() {
                Some(p) => p.to_string(),
                None if set_name == self.name => format!("{ident}-a-"),
                None => format!("{ident}-a-{set_name}-"),
            };
            let mut attrs = Vec::new();
            let mut by_name = BTreeMap::new();
            let mut number: i64 = 1;
            for a in list(&set["attributes"]) {
                if let Some(v) = a["value"].as_i64() {
                    number = v;
                }
                let n = u16::try_from(number).map_err(|_| format!("attribute number {number}"))?;
                let attr = self.attr(a, &prefix, n)?;
                by_name.insert(attr.name.clone(), a.clone());
                attrs.push(attr);
                number += 1;
            }
            prefixes.insert(set_name.clone(), prefix);
            raw.insert(set_name.clone(), by_name);
            self.attr_sets.push(AttrSet {
                name: set_name,
                subset_of: None,
                attrs,
            });
        }
        for set in sets.iter().filter(|s| !s["subset-of"].is_badvalue()) {
            let set_name = req(set, "name")?.to_string();
            let parent = req(set, "subset-of")?.to_string();
            let prefix = prefixes.get(&parent).cloned().unwrap_or_default();
            let mut attrs = Vec::new();
            for a in list(&set["attributes"]) {
                let attr_name = req(a, "name")?;
                let Some(parent_attr) = self
                    .attr_sets
                    .iter()
                    .find(|s| s.name == parent)
                    .and_then(|s| s.attrs.iter().find(|x| x.name == attr_name))
                else {
                    self.warnings
                        .push(format!("`{set_name}`: `{attr_name}` is not in `{parent}`"));
                    continue;
                };
                let number = parent_attr.number;
                let mut merged = raw
                    .get(&parent)
                    .and_then(|m| m.get(attr_name))
                    .and_then(Yaml::as_hash)
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in a.as_hash().into_iter().flatten() {
                    merged.insert(k.clone(), v.clone());
                }
                attrs.push(self.attr(&Yaml::Hash(merged), &prefix, number)?);
            }
            self.attr_sets.push(AttrSet {
                name: set_name,
                subset_of: Some(parent),
                attrs,
            });
        }
        self.apply_errata();
        for set in &mut self.attr_sets {
            set.attrs.sort_by_key(|a| a.number);
            let before = set.attrs.len();
            set.attrs.dedup_by_key(|a| a.number);
            if set.attrs.len() != before {
                self.warnings.push(format!(
                    "`{}`: duplicate attribute numbers dropped",
                    set.name
                ));
            }
        }
        self.attr_sets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(())
    }

    fn parse_operations(&mut self, doc: &Yaml) -> Result<(), String> {
        let ops = &doc["operations"];
        let ident = c_upper(&self.name);
        let prefix = ops["name-prefix"]
            .as_str()
            .map_or_else(|| format!("{ident}-cmd-"), str::to_string);
        let async_prefix = ops["async-prefix"]
            .as_str()
            .map_or_else(|| prefix.clone(), str::to_string);
        let default_header = ops["fixed-header"].as_str().map(str::to_string);
        let directional = ops["enum-model"].as_str() == Some("directional");
        let (mut req_val, mut rsp_val) = (1i64, 1i64);
        for op in list(&ops["list"]) {
            let name = req(op, "name")?.to_string();
            let mut o = Operation {
                do_: !op["do"].is_badvalue(),
                dump: !op["dump"].is_badvalue(),
                notify: !op["notify"].is_badvalue(),
                event: !op["event"].is_badvalue(),
                attr_set: op["attribute-set"].as_str().map(str::to_string),
                fixed_header: op["fixed-header"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| default_header.clone()),
                ..Operation::default()
            };
            let u16_of = |v: i64| u16::try_from(v).map_err(|_| format!("operation value {v}"));
            if !directional {
                if let Some(v) = op["value"].as_i64() {
                    req_val = v;
                }
                let v = u16_of(req_val)?;
                if o.do_ || o.dump {
                    o.request = Some(v);
                }
                o.reply = Some(v);
                req_val += 1;
            } else if o.notify || o.event {
                if let Some(v) = op["value"].as_i64() {
                    rsp_val = v;
                }
                o.reply = Some(u16_of(rsp_val)?);
                rsp_val += 1;
            } else {
                let mode = if o.do_ { &op["do"] } else { &op["dump"] };
                let mut has_request = false;
                let mut has_reply = false;
                for m in [&op["do"], &op["dump"]] {
                    has_request |= !m["request"].is_badvalue();
                    has_reply |= !m["reply"].is_badvalue();
                }
                if let Some(v) = mode["request"]["value"].as_i64() {
                    req_val = v;
                }
                if let Some(v) = mode["reply"]["value"].as_i64() {
                    rsp_val = v;
                }
                if has_request {
                    o.request = Some(u16_of(req_val)?);
                }
                if has_reply {
                    o.reply = Some(u16_of(rsp_val)?);
                    rsp_val += 1;
                }
                req_val += 1;
            }
            let pfx = if o.request.is_some() {
                &prefix
            } else {
                &async_prefix
            };
            o.c_name = c_upper(&format!("{pfx}{name}"));
            o.name = name;
            if o.notify
                && let Some(target) = op["notify"].as_str()
            {
                let from = self.operations.iter().find(|x| x.name == target).cloned();
                if let Some(from) = from {
                    o.attr_set = o.attr_set.or(from.attr_set);
                    o.fixed_header = o.fixed_header.or(from.fixed_header);
                }
            }
            self.operations.push(o);
        }
        Ok(())
    }

    fn check_references(&mut self) {
        let sets: Vec<String> = self.attr_sets.iter().map(|s| s.name.clone()).collect();
        let enums: Vec<String> = self.enums.iter().map(|e| e.name.clone()).collect();
        let structs: Vec<String> = self.structs.iter().map(|s| s.name.clone()).collect();
        let subs: Vec<String> = self.sub_messages.iter().map(|s| s.name.clone()).collect();
        let mut warnings = Vec::new();
        let mut keep = |what: &str, known: &[String], r: &mut Option<String>| {
            if let Some(name) = r
                && !known.contains(name)
            {
                warnings.push(format!("{what} `{name}` is not defined here: left out"));
                *r = None;
            }
        };
        for set in &mut self.attr_sets {
            for a in &mut set.attrs {
                keep("attribute set", &sets, &mut a.nested);
                keep("enum", &enums, &mut a.enumeration);
                keep("struct", &structs, &mut a.structure);
                keep("sub-message", &subs, &mut a.sub_message);
            }
        }
        for sub in &mut self.sub_messages {
            for f in &mut sub.formats {
                keep("attribute set", &sets, &mut f.attr_set);
                keep("struct", &structs, &mut f.fixed_header);
            }
        }
        for op in &mut self.operations {
            keep("attribute set", &sets, &mut op.attr_set);
            keep("struct", &structs, &mut op.fixed_header);
        }
        for s in &mut self.structs {
            for m in &mut s.members {
                keep("struct", &structs, &mut m.structure);
            }
        }
        self.warnings.extend(warnings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "
name: demo-fam
protocol: genetlink
definitions:
  - name: max-len
    type: const
    value: 16
  - name: state
    type: enum
    entries: [idle, busy, { name: gone, value: 7 }, back]
  - name: opts
    type: flags
    name-prefix: demo-opt-
    entries: [a, b, { name: c, value: 5 }]
  - name: later
    type: enum
    value-start: 1
    entries: [one, two]
attribute-sets:
  - name: demo-fam
    attributes:
      - { name: unspec, type: unused, value: 0 }
      - { name: id, type: u32 }
      - { name: label, type: string, checks: { max-len: max-len } }
      - { name: nested, type: nest, nested-attributes: inner }
  - name: inner
    attributes:
      - { name: first, type: u8 }
      - { name: jump, type: u16, value: 10 }
      - { name: after, type: u16 }
  - name: custom
    name-prefix: dm-x-
    attributes:
      - { name: only, type: flag }
  - name: small
    subset-of: demo-fam
    attributes:
      - { name: label }
operations:
  list:
    - { name: get, attribute-set: demo-fam, do: { request: { attributes: [id] } } }
    - { name: set, attribute-set: demo-fam, do: { request: { attributes: [id] } } }
    - { name: changed, notify: get, value: 9 }
mcast-groups:
  list:
    - name: watch
";

    fn family() -> Family {
        Family::parse(SPEC).unwrap()
    }

    fn set<'f>(f: &'f Family, name: &str) -> &'f AttrSet {
        f.attr_sets.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn attributes_count_from_one_unless_a_value_says_otherwise() {
        let f = family();
        let numbers: Vec<(&str, u16)> = set(&f, "demo-fam")
            .attrs
            .iter()
            .map(|a| (a.name.as_str(), a.number))
            .collect();
        assert_eq!(
            numbers,
            [("unspec", 0), ("id", 1), ("label", 2), ("nested", 3)]
        );
        let inner: Vec<u16> = set(&f, "inner").attrs.iter().map(|a| a.number).collect();
        assert_eq!(inner, [1, 10, 11]);
    }

    #[test]
    fn attribute_prefixes_follow_the_set() {
        let f = family();
        // The set named as the family: `<family>-a-`.
        assert_eq!(set(&f, "demo-fam").attrs[1].c_name, "DEMO_FAM_A_ID");
        // Another set: `<family>-a-<set>-`.
        assert_eq!(set(&f, "inner").attrs[0].c_name, "DEMO_FAM_A_INNER_FIRST");
        // An explicit `name-prefix`.
        assert_eq!(set(&f, "custom").attrs[0].c_name, "DM_X_ONLY");
        // A subset keeps its set's numbers, names and properties.
        let small = set(&f, "small");
        assert_eq!(small.subset_of.as_deref(), Some("demo-fam"));
        assert_eq!(small.attrs[0].number, 2);
        assert_eq!(small.attrs[0].c_name, "DEMO_FAM_A_LABEL");
        assert_eq!(small.attrs[0].ty, "string");
        assert_eq!(small.attrs[0].checks.max_len, Some(16));
    }

    #[test]
    fn enums_count_from_value_start_and_flags_are_bits() {
        let f = family();
        let state = f.enums.iter().find(|e| e.name == "state").unwrap();
        let values: Vec<(&str, &str, u64)> = state
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.c_name.as_str(), e.value))
            .collect();
        assert_eq!(
            values,
            [
                ("idle", "DEMO_FAM_STATE_IDLE", 0),
                ("busy", "DEMO_FAM_STATE_BUSY", 1),
                ("gone", "DEMO_FAM_STATE_GONE", 7),
                ("back", "DEMO_FAM_STATE_BACK", 8),
            ]
        );
        let later = f.enums.iter().find(|e| e.name == "later").unwrap();
        assert_eq!(later.entries[0].value, 1);
        let opts = f.enums.iter().find(|e| e.name == "opts").unwrap();
        assert!(opts.flags);
        let masks: Vec<(&str, u64)> = opts
            .entries
            .iter()
            .map(|e| (e.c_name.as_str(), e.value))
            .collect();
        assert_eq!(
            masks,
            [("DEMO_OPT_A", 1), ("DEMO_OPT_B", 2), ("DEMO_OPT_C", 1 << 5)]
        );
    }

    #[test]
    fn operations_and_groups_are_numbered_and_named() {
        let f = family();
        let ops: Vec<(&str, Option<u16>, Option<u16>)> = f
            .operations
            .iter()
            .map(|o| (o.c_name.as_str(), o.request, o.reply))
            .collect();
        assert_eq!(
            ops,
            [
                ("DEMO_FAM_CMD_GET", Some(1), Some(1)),
                ("DEMO_FAM_CMD_SET", Some(2), Some(2)),
                ("DEMO_FAM_CMD_CHANGED", None, Some(9)),
            ]
        );
        // A notification takes the attributes of the operation it names.
        assert_eq!(f.operations[2].attr_set.as_deref(), Some("demo-fam"));
        assert_eq!(f.mcast_groups[0].c_name, "DEMO_FAM_MCGRP_WATCH");
        assert_eq!(
            f.protocol,
            Protocol::Genl {
                version: 1,
                family_c: "DEMO_FAM_FAMILY_NAME".into(),
                version_c: "DEMO_FAM_FAMILY_VERSION".into(),
            }
        );
    }

    #[test]
    fn directional_operations_number_requests_and_replies_apart() {
        let spec = "
name: dir
protocol: netlink-raw
protonum: 0
operations:
  enum-model: directional
  name-prefix: rtm-
  list:
    - { name: newthing, do: { request: { value: 16 } } }
    - { name: getthing, do: { request: { value: 18 }, reply: { value: 16 } } }
";
        let f = Family::parse(spec).unwrap();
        assert_eq!(f.operations[0].c_name, "RTM_NEWTHING");
        assert_eq!(f.operations[0].request, Some(16));
        assert_eq!(f.operations[1].request, Some(18));
        assert_eq!(f.operations[1].reply, Some(16));
        assert_eq!(f.protocol, Protocol::Raw { protonum: 0 });
    }

    #[test]
    fn names_become_rust_identifiers() {
        assert_eq!(camel("if-oper-state"), "IfOperState");
        assert_eq!(camel("10g"), "V10g");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("--kernel-timespec"), "kernel_timespec");
        assert_eq!(screaming("100baset-full"), "_100BASET_FULL");
        assert_eq!(c_upper("ifla-info-kind"), "IFLA_INFO_KIND");
    }
}
