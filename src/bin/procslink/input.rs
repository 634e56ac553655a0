//! Reading the bytes to decode: a file or stdin, raw or hex text.

use std::io::Read;
use std::path::Path;

use crate::Failure;

/// Reads `path` (`-` is stdin), whole.
pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::msg(format!("cannot read stdin: {e}")))?;
    } else {
        bytes = std::fs::read(path)
            .map_err(|e| Failure::msg(format!("cannot read {}: {e}", path.display())))?;
    }
    Ok(bytes)
}

/// Decodes hex text: pairs of hex digits, with whitespace, `:` and `,`
/// separators and `0x` prefixes ignored.
///
/// Errors name the offending character and its position in the text.
pub fn hex(text: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut high: Option<(u8, usize)> = None;
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        let at_token_start = i == 0
            || text
                .get(i - 1)
                .is_some_and(|&p| p.is_ascii_whitespace() || p == b':' || p == b',');
        if c == b'0' && at_token_start && matches!(text.get(i + 1), Some(b'x' | b'X')) {
            if let Some((_, at)) = high {
                return Err(odd(at));
            }
            i += 2;
            continue;
        }
        if c.is_ascii_whitespace() || c == b':' || c == b',' {
            i += 1;
            continue;
        }
        let Some(digit) = (c as char).to_digit(16) else {
            return Err(Failure::msg(bad_char(text, i)));
        };
        let digit = digit as u8;
        match high.take() {
            None => high = Some((digit, i)),
            Some((h, _)) => bytes.push(h << 4 | digit),
        }
        i += 1;
    }
    match high {
        Some((_, at)) => Err(odd(at)),
        None => Ok(bytes),
    }
}

fn odd(at: usize) -> Failure {
    Failure::msg(format!(
        "bad hex input: odd number of hex digits (a lone digit at character {at})"
    ))
}

fn bad_char(text: &[u8], at: usize) -> String {
    let shown = match std::str::from_utf8(text.get(at..).unwrap_or(&[])) {
        Ok(rest) => rest.chars().next().map(|c| format!("{c:?}")),
        Err(e) if e.valid_up_to() > 0 => text
            .get(at..)
            .and_then(|r| std::str::from_utf8(r.get(..e.valid_up_to())?).ok())
            .and_then(|r| r.chars().next())
            .map(|c| format!("{c:?}")),
        Err(_) => None,
    };
    let shown = shown.unwrap_or_else(|| {
        let b = text.get(at).copied().unwrap_or(0);
        format!("byte 0x{b:02x}")
    });
    format!("bad hex input: {shown} at character {at} is not a hex digit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<u8> {
        match hex(text.as_bytes()) {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn separators_and_prefixes() {
        assert_eq!(ok("0a0B ff"), [0x0a, 0x0b, 0xff]);
        assert_eq!(ok("0x0a, 0x0b\n0xff"), [0x0a, 0x0b, 0xff]);
        assert_eq!(ok("0a:0b:ff"), [0x0a, 0x0b, 0xff]);
        assert_eq!(ok("0x0a0b"), [0x0a, 0x0b]);
        assert_eq!(ok(""), [0u8; 0]);
    }

    #[test]
    fn errors() {
        assert!(hex(b"0a0").is_err());
        assert!(hex(b"0g").is_err());
        assert!(hex(b"0a 0x").is_ok());
        assert!(hex(b"a 0xb").is_err());
        assert!(hex("é".as_bytes()).is_err());
        assert!(hex(&[0xff, 0xfe]).is_err());
    }
}
