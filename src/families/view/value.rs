//! Values: the scalar types the getters read ([`Scalar`]), the writers'
//! ([`Put`]), and any attribute by its spec ([`Value`], [`read_value`],
//! [`put_value`]).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::{AttrSpec, AttrType, ByteOrder};
use crate::netlink::{Attr, MessageBuilder};
use crate::{Error, ErrorKind};

/// A value of an attribute of a scalar type, read from its payload.
pub trait Scalar<'a>: Sized {
    /// Reads the payload in `order` (`NLA_F_NET_BYTEORDER` on the attribute
    /// also means big-endian).
    fn read(attr: &Attr<'a>, order: ByteOrder) -> Result<Self, Error>;

    /// The value [`read`](Self::read) reads, `None` where it fails: what
    /// the views' getters call (the integers build no error for it).
    #[inline]
    fn read_some(attr: &Attr<'a>, order: ByteOrder) -> Option<Self> {
        Self::read(attr, order).ok()
    }
}

fn wrong_size(attr: &Attr<'_>, expected: usize) -> Error {
    Error::new(
        ErrorKind::WrongSize {
            expected,
            found: attr.payload().len(),
        },
        attr.offset(),
    )
}

fn big(attr: &Attr<'_>, order: ByteOrder) -> bool {
    order == ByteOrder::Big || attr.is_net_byteorder()
}

/// The integer scalars. `u64` and `i64` name a narrower type after a colon:
/// they also read a 4-byte payload, as that type widened (a `uint` or
/// `sint` is 4 or 8 bytes).
macro_rules! int_scalars {
    ($($t:ty $(: $narrow:ty)?),*) => {$(
        impl<'a> Scalar<'a> for $t {
            #[inline]
            fn read(attr: &Attr<'a>, order: ByteOrder) -> Result<Self, Error> {
                Self::read_some(attr, order)
                    .ok_or_else(|| wrong_size(attr, core::mem::size_of::<$t>()))
            }

            #[inline]
            fn read_some(attr: &Attr<'a>, order: ByteOrder) -> Option<Self> {
                $(
                    if attr.payload().len() == 4 {
                        return <$narrow>::read_some(attr, order).map(<$t>::from);
                    }
                )?
                let bytes = attr.payload().try_into().ok()?;
                Some(if big(attr, order) {
                    <$t>::from_be_bytes(bytes)
                } else {
                    <$t>::from_ne_bytes(bytes)
                })
            }
        }
    )*};
}

int_scalars!(u8, u16, u32, i8, i16, i32, u64: u32, i64: i32);

#[inline]
fn fixed<const K: usize>(attr: &Attr<'_>) -> Result<[u8; K], Error> {
    <[u8; K]>::try_from(attr.payload()).map_err(|_| wrong_size(attr, K))
}

/// The payload itself (binary attributes without a `struct`).
impl<'a> Scalar<'a> for &'a [u8] {
    #[inline]
    fn read(attr: &Attr<'a>, _: ByteOrder) -> Result<Self, Error> {
        Ok(attr.payload())
    }
}

/// 4 bytes in network order.
impl<'a> Scalar<'a> for Ipv4Addr {
    #[inline]
    fn read(attr: &Attr<'a>, _: ByteOrder) -> Result<Self, Error> {
        fixed::<4>(attr).map(Ipv4Addr::from)
    }
}

/// 16 bytes in network order.
impl<'a> Scalar<'a> for Ipv6Addr {
    #[inline]
    fn read(attr: &Attr<'a>, _: ByteOrder) -> Result<Self, Error> {
        fixed::<16>(attr).map(Ipv6Addr::from)
    }
}

/// 4 bytes (IPv4) or 16 (IPv6).
impl<'a> Scalar<'a> for IpAddr {
    #[inline]
    fn read(attr: &Attr<'a>, order: ByteOrder) -> Result<Self, Error> {
        match attr.payload().len() {
            4 => Ipv4Addr::read(attr, order).map(IpAddr::V4),
            _ => Ipv6Addr::read(attr, order).map(IpAddr::V6),
        }
    }
}

/// `struct nla_bitfield32`: the values of the bits and which bits count.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Bitfield32 {
    /// The bits' values.
    pub value: u32,
    /// The bits that count (`selector`).
    pub selector: u32,
}

impl<'a> Scalar<'a> for Bitfield32 {
    #[inline]
    fn read(attr: &Attr<'a>, _: ByteOrder) -> Result<Self, Error> {
        let [a, b, c, d, e, f, g, h] = fixed::<8>(attr)?;
        Ok(Bitfield32 {
            value: u32::from_ne_bytes([a, b, c, d]),
            selector: u32::from_ne_bytes([e, f, g, h]),
        })
    }
}

/// A value read by its [`AttrSpec`]: what [`RawView::value`](super::RawView::value) returns and
/// [`put_value`] writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A flag: present.
    Flag,
    /// An unsigned integer of any width (`u8` … `u64`, `uint`).
    Unsigned(u64),
    /// A signed integer of any width (`s8` … `s64`, `sint`).
    Signed(i64),
    /// A string's bytes without the NUL.
    String(&'a [u8]),
    /// A binary payload (a `struct`'s bytes included).
    Bytes(&'a [u8]),
    /// A `bitfield32`.
    Bitfield32(Bitfield32),
    /// The run of a nest, an indexed array, a nest-type-value or a
    /// sub-message.
    Nested(&'a [u8]),
}

/// Reads `attr` by `spec` (`None`: the payload does not have the spec's
/// size).
pub fn read_value<'a>(spec: &AttrSpec, attr: &Attr<'a>) -> Option<Value<'a>> {
    let order = spec.byte_order();
    Some(match spec.attr_type() {
        AttrType::Flag => Value::Flag,
        AttrType::U8 => Value::Unsigned(u8::read(attr, order).ok()?.into()),
        AttrType::U16 => Value::Unsigned(u16::read(attr, order).ok()?.into()),
        AttrType::U32 => Value::Unsigned(u32::read(attr, order).ok()?.into()),
        AttrType::U64 | AttrType::Uint => Value::Unsigned(u64::read(attr, order).ok()?),
        AttrType::S8 => Value::Signed(i8::read(attr, order).ok()?.into()),
        AttrType::S16 => Value::Signed(i16::read(attr, order).ok()?.into()),
        AttrType::S32 => Value::Signed(i32::read(attr, order).ok()?.into()),
        AttrType::S64 | AttrType::Sint => Value::Signed(i64::read(attr, order).ok()?),
        AttrType::String => Value::String(attr.bytes_str()),
        AttrType::Bitfield32 => Value::Bitfield32(Bitfield32::read(attr, order).ok()?),
        AttrType::Nest
        | AttrType::IndexedArray
        | AttrType::NestTypeValue
        | AttrType::SubMessage => Value::Nested(attr.payload()),
        AttrType::Binary | AttrType::Unused | AttrType::Pad => Value::Bytes(attr.payload()),
    })
}

/// Writes `value` as the attribute `spec` (its number, size and byte
/// order). A value of another kind than the spec's, or an integer out of
/// the spec's range, is [`ErrorKind::Misuse`]; the builder's own errors
/// (buffer too small) pass through.
pub fn put_value(
    msg: &mut MessageBuilder<'_, '_>,
    spec: &AttrSpec,
    value: Value<'_>,
) -> Result<(), Error> {
    let ty = spec.number();
    let misuse = || Error::new(ErrorKind::Misuse, msg.len());
    let be = spec.byte_order() == ByteOrder::Big;
    macro_rules! int {
        ($t:ty, $v:expr) => {{
            let v = <$t>::try_from($v).map_err(|_| misuse())?;
            if be {
                msg.put(ty, &v.to_be_bytes())
            } else {
                msg.put(ty, &v.to_ne_bytes())
            }
        }};
    }
    match (spec.attr_type(), value) {
        (AttrType::Flag, Value::Flag) => msg.put_flag(ty),
        (AttrType::U8, Value::Unsigned(v)) => int!(u8, v),
        (AttrType::U16, Value::Unsigned(v)) => int!(u16, v),
        (AttrType::U32, Value::Unsigned(v)) => int!(u32, v),
        (AttrType::U64 | AttrType::Uint, Value::Unsigned(v)) => int!(u64, v),
        (AttrType::S8, Value::Signed(v)) => int!(i8, v),
        (AttrType::S16, Value::Signed(v)) => int!(i16, v),
        (AttrType::S32, Value::Signed(v)) => int!(i32, v),
        (AttrType::S64 | AttrType::Sint, Value::Signed(v)) => int!(i64, v),
        (AttrType::String, Value::String(s)) => msg.put_bytes_str(ty, s),
        (AttrType::Bitfield32, Value::Bitfield32(b)) => b.put(msg, ty),
        (
            AttrType::Nest
            | AttrType::IndexedArray
            | AttrType::NestTypeValue
            | AttrType::SubMessage,
            Value::Nested(run),
        ) => msg.put(ty, run),
        (AttrType::Binary | AttrType::Unused | AttrType::Pad, Value::Bytes(bytes)) => {
            msg.put(ty, bytes)
        }
        _ => Err(misuse()),
    }
}

/// A value a typed writer writes (see [`Encode`](super::Encode)).
pub trait Put {
    /// Appends the value as attribute `ty`, in host byte order.
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error>;

    /// Appends the value as attribute `ty`, big-endian (integers; other
    /// values are written as [`put`](Self::put) writes them).
    fn put_be(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        self.put(msg, ty)
    }
}

macro_rules! int_puts {
    ($($t:ty)*) => {$(
        impl Put for $t {
            #[inline]
            fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
                msg.put(ty, &self.to_ne_bytes())
            }

            #[inline]
            fn put_be(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
                msg.put(ty, &self.to_be_bytes())
            }
        }
    )*};
}

int_puts!(u8 u16 u32 u64 i8 i16 i32 i64);

impl Put for [u8] {
    #[inline]
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        msg.put(ty, self)
    }
}

impl Put for Ipv4Addr {
    #[inline]
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        msg.put(ty, &self.octets())
    }
}

impl Put for Ipv6Addr {
    #[inline]
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        msg.put(ty, &self.octets())
    }
}

impl Put for IpAddr {
    #[inline]
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        match self {
            IpAddr::V4(a) => a.put(msg, ty),
            IpAddr::V6(a) => a.put(msg, ty),
        }
    }
}

impl Put for Bitfield32 {
    #[inline]
    fn put(&self, msg: &mut MessageBuilder<'_, '_>, ty: u16) -> Result<(), Error> {
        let mut bytes = [0u8; 8];
        let (value, selector) = bytes.split_at_mut(4);
        value.copy_from_slice(&self.value.to_ne_bytes());
        selector.copy_from_slice(&self.selector.to_ne_bytes());
        msg.put(ty, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_some` is `read` without the error, for every integer, byte
    /// order and payload length up to 10; the error names the size.
    #[test]
    fn read_some_is_read_without_the_error() {
        fn agree<'a, T: Scalar<'a> + PartialEq + core::fmt::Debug>(attr: &Attr<'a>) {
            for order in [ByteOrder::Host, ByteOrder::Big] {
                assert_eq!(T::read_some(attr, order), T::read(attr, order).ok());
            }
        }
        let bytes = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        for raw_type in [1, 1 | crate::netlink::NLA_F_NET_BYTEORDER] {
            for len in 0..=bytes.len() {
                let attr = Attr::from_parts(raw_type, &bytes[..len], 12);
                agree::<u8>(&attr);
                agree::<u16>(&attr);
                agree::<u32>(&attr);
                agree::<u64>(&attr);
                agree::<i8>(&attr);
                agree::<i16>(&attr);
                agree::<i32>(&attr);
                agree::<i64>(&attr);
            }
        }
        let short = Attr::from_parts(1, &bytes[..2], 12);
        let err = u32::read(&short, ByteOrder::Host).unwrap_err();
        assert_eq!(err.offset(), 12);
        assert_eq!(
            err.kind(),
            ErrorKind::WrongSize {
                expected: 4,
                found: 2
            }
        );
        let six = Attr::from_parts(1, &bytes[..6], 0);
        assert!(matches!(
            u64::read(&six, ByteOrder::Host).unwrap_err().kind(),
            ErrorKind::WrongSize {
                expected: 8,
                found: 6
            }
        ));
        let four = Attr::from_parts(1, &bytes[..4], 0);
        assert_eq!(u64::read_some(&four, ByteOrder::Big), Some(0x0102_0304));
    }
}
