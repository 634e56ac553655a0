//! The builder's exact bytes: every putter writes the attribute header, the
//! payload (with a string's NUL) and zero padding to 4 bytes over whatever
//! the buffer held, and nothing after the attribute.

use proptest::prelude::*;

use procslink::netlink::{Builder, MessageBuilder, MessageType, flags::Flags};

/// The attribute as the kernel's `nla_put` lays it out, written here by
/// hand: `nla_len` (header, payload and `nul` NULs), `nla_type`, the
/// payload, then zeros to the next 4-byte boundary.
fn expected(ty: u16, payload: &[u8], nul: usize) -> Vec<u8> {
    let len = 4 + payload.len() + nul;
    let mut out = Vec::new();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(len.div_ceil(4) * 4, 0);
    out
}

/// Writes one attribute with `put` into a buffer filled with `fill`, and
/// checks the bytes after the message header against `want` and that the
/// rest of the buffer still holds `fill`.
fn check(
    fill: u8,
    want: &[u8],
    put: impl FnOnce(&mut MessageBuilder<'_, '_>) -> Result<(), procslink::Error>,
) -> Result<(), TestCaseError> {
    let mut buf = [fill; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0).unwrap();
    put(&mut m).unwrap();
    let len = m.finish().unwrap();
    prop_assert_eq!(len, 16 + want.len());
    prop_assert_eq!(&buf[16..len], want);
    prop_assert!(buf[len..].iter().all(|&b| b == fill));
    Ok(())
}

proptest! {
    #[test]
    fn byte_payloads_are_padded_with_zeros(
        ty in any::<u16>(),
        payload in prop::collection::vec(any::<u8>(), 0..40),
        fill in any::<u8>(),
    ) {
        check(fill, &expected(ty, &payload, 0), |m| m.put(ty, &payload))?;
        // `put_bytes_raw` writes no attribute header: the payload and its
        // padding alone.
        let mut raw = payload.clone();
        raw.resize(payload.len().div_ceil(4) * 4, 0);
        check(fill, &raw, |m| m.put_bytes_raw(&payload))?;
        let text: Vec<u8> = payload.iter().map(|&b| b.max(1)).collect();
        check(fill, &expected(ty, &text, 1), |m| m.put_bytes_str(ty, &text))?;
    }

    #[test]
    fn integers_are_padded_with_zeros(
        ty in 0u16..0x4000,
        v in any::<u64>(),
        fill in any::<u8>(),
    ) {
        const BE: u16 = procslink::netlink::NLA_F_NET_BYTEORDER;
        check(fill, &expected(ty, &(v as u8).to_ne_bytes(), 0), |m| m.put_u8(ty, v as u8))?;
        check(fill, &expected(ty, &(v as u16).to_ne_bytes(), 0), |m| m.put_u16(ty, v as u16))?;
        check(fill, &expected(ty | BE, &(v as u16).to_be_bytes(), 0), |m| {
            m.put_u16_be(ty, v as u16)
        })?;
        check(fill, &expected(ty, &(v as u32).to_ne_bytes(), 0), |m| m.put_u32(ty, v as u32))?;
        check(fill, &expected(ty | BE, &(v as u32).to_be_bytes(), 0), |m| {
            m.put_u32_be(ty, v as u32)
        })?;
        check(fill, &expected(ty, &v.to_ne_bytes(), 0), |m| m.put_u64(ty, v))?;
        check(fill, &expected(ty, &(v as i8).to_ne_bytes(), 0), |m| m.put_i8(ty, v as i8))?;
        check(fill, &expected(ty, &[], 0), |m| m.put_flag(ty))?;
    }
}
