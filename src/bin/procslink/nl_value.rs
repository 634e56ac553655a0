//! Scalars for `procslink nl --json`: integers (numbers, `0x…` text, enum
//! names, lists of flag names, IPv4 addresses) and bytes (hex, MAC and IP
//! addresses) as a specification types and hints them.

use std::net::{IpAddr, Ipv4Addr};

use procslink::families::{AttrType, ByteOrder, Checks, DisplayHint, EnumSpec};
use serde_json::Value;

use crate::nl_encode::{EncodeError, fail};
use crate::spec::Naming;

/// Bytes from text: an address where the hint says so, else hex.
pub fn bytes_of(value: &Value, hint: DisplayHint, what: &str) -> Result<Vec<u8>, EncodeError> {
    let Value::String(text) = value else {
        return fail(format!("{what} is binary: give hex text, not {value}"));
    };
    match hint {
        DisplayHint::Ipv4 | DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6 => {
            match (text.parse::<IpAddr>(), hint) {
                (Ok(IpAddr::V4(a)), DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6) => Ok(a.octets().to_vec()),
                (Ok(IpAddr::V6(a)), DisplayHint::Ipv6 | DisplayHint::Ipv4OrV6) => Ok(a.octets().to_vec()),
                _ => fail(format!("{what} is an {} address: {text:?} is not one", hint_name(hint))),
            }
        }
        _ => hex(text).ok_or_else(|| {
            EncodeError(format!(
                "{what} is binary: {text:?} is not hex (pairs of digits, optionally separated by ':', '-' or spaces)"
            ))
        }),
    }
}

fn hint_name(hint: DisplayHint) -> &'static str {
    match hint {
        DisplayHint::Ipv4 => "IPv4",
        DisplayHint::Ipv6 => "IPv6",
        _ => "IPv4 or IPv6",
    }
}

/// Hex digits in pairs, optionally after `0x`, optionally separated.
fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b' '))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

pub fn is_int(ty: AttrType) -> bool {
    matches!(
        ty,
        AttrType::U8
            | AttrType::U16
            | AttrType::U32
            | AttrType::U64
            | AttrType::S8
            | AttrType::S16
            | AttrType::S32
            | AttrType::S64
            | AttrType::Uint
            | AttrType::Sint
    )
}

/// An integer's bytes from a number, `0x…` text, an enum entry's name, a
/// list of flag names, or an IPv4 address where the hint says so.
pub fn int(
    ty: AttrType,
    order: ByteOrder,
    naming: Naming,
    checks: &Checks,
    value: &Value,
    what: &str,
) -> Result<Vec<u8>, EncodeError> {
    let v: i128 = match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => i128::from(u),
            (None, Some(s)) => i128::from(s),
            _ => return fail(format!("{what} is an integer, not {n}")),
        },
        Value::String(s) => text_int(s, naming, what)?,
        Value::Array(names) if naming.as_flags => flags(names, naming, what)?,
        _ => return fail(format!("{what} is {}, not {value}", kind_words(ty, naming))),
    };
    let signed = matches!(
        ty,
        AttrType::S8 | AttrType::S16 | AttrType::S32 | AttrType::S64 | AttrType::Sint
    );
    let size = match ty {
        AttrType::Uint => {
            if u32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        }
        AttrType::Sint => {
            if i32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        }
        t if is_int(t) => t.fixed_size().unwrap_or(0),
        t => return fail(format!("{what} is {t}, not an integer")),
    };
    let bits = 8 * size as u32;
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if v < lo || v > hi {
        return fail(format!(
            "{what} is {}: {v} is out of its range {lo}..={hi}",
            ty
        ));
    }
    if !checks.allows(v) {
        return fail(format!(
            "{what}: {v} is outside what the specification allows ({}..={})",
            checks.min().map_or("".into(), |m| m.to_string()),
            checks.max().map_or("".into(), |m| m.to_string())
        ));
    }
    let raw = (v as u64).to_le_bytes();
    let mut bytes = raw.get(..size).unwrap_or(&raw).to_vec();
    let native_little = cfg!(target_endian = "little");
    if (order == ByteOrder::Big) == native_little {
        bytes.reverse();
    }
    Ok(bytes)
}

fn kind_words(ty: AttrType, naming: Naming) -> String {
    match naming.enumeration {
        Some(e) if naming.as_flags => format!("a set of flags of {} (a list of names)", e.name()),
        Some(e) => format!("an entry of enum {} (a name or a number)", e.name()),
        None => format!("an integer ({ty})"),
    }
}

/// An integer given as text: an enum entry, `Unknown(N)`, an IPv4 address
/// (hint), or a decimal or `0x…` number.
fn text_int(s: &str, naming: Naming, what: &str) -> Result<i128, EncodeError> {
    if let Some(e) = naming.enumeration
        && !naming.as_flags
    {
        if let Some(v) = e.value_of(s).or_else(|| unknown(s)) {
            return Ok(i128::from(v));
        }
        if let Some(v) = number(s) {
            return Ok(v);
        }
        return fail(format!(
            "{what}: enum {} has no entry {s:?} (its entries: {})",
            e.name(),
            entries(e)
        ));
    }
    if matches!(naming.hint, DisplayHint::Ipv4 | DisplayHint::Ipv4OrV6)
        && let Ok(a) = s.parse::<Ipv4Addr>()
    {
        return Ok(i128::from(u32::from(a)));
    }
    number(s).ok_or_else(|| EncodeError(format!("{what} is an integer: {s:?} is not a number")))
}

fn number(s: &str) -> Option<i128> {
    match s.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `Unknown(N)`, as decode names a value an enum lacks.
fn unknown(s: &str) -> Option<u64> {
    s.strip_prefix("Unknown(")?.strip_suffix(')')?.parse().ok()
}

fn entries(e: &EnumSpec) -> String {
    let names: Vec<&str> = e.entries().iter().map(|x| x.name()).collect();
    names.join(", ")
}

/// A list of flag names as the value with their bits set: a flag set's
/// entries are masks; in an enum read as flags, entry `N` is bit `N`.
fn flags(names: &[Value], naming: Naming, what: &str) -> Result<i128, EncodeError> {
    let Some(e) = naming.enumeration else {
        return fail(format!("{what} is no set of flags"));
    };
    let mut v = 0u64;
    for name in names {
        let Value::String(name) = name else {
            return fail(format!("{what}: flags are names, not {name}"));
        };
        let bit = match (e.value_of(name), unknown(name)) {
            (Some(entry), _) if e.is_flags() => entry,
            (Some(bit), _) | (None, Some(bit)) => match u32::try_from(bit) {
                Ok(bit) if bit < 64 => 1u64 << bit,
                _ => return fail(format!("{what}: flag {name:?} is bit {bit}, past 64 bits")),
            },
            (None, None) => {
                return fail(format!(
                    "{what}: {} has no flag {name:?} (its flags: {})",
                    e.name(),
                    entries(e)
                ));
            }
        };
        v |= bit;
    }
    Ok(i128::from(v))
}
