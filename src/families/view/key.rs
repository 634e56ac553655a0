//! The keys the generated writers write with: a constant per attribute of
//! each set (`rt_link::LinkAttrs::MTU`), typed by the set and by how its
//! value is written, instead of a setter method per attribute.
//!
//! A key is a number and two types, so the thousands of them cost the
//! compiler next to nothing, where a setter per attribute cost it a
//! function each (a tenth of the families' build time); the one
//! [`Writer::put`](super::Writer::put) writes them all.

use core::marker::PhantomData;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use zerocopy::{Immutable, IntoBytes};

use super::{Bitfield32, Sink};
use crate::Error;

/// The key of an attribute of the set `S` (a marker from a family's
/// `sets` module) whose value is written as `V` says: a scalar type,
/// [`Be`], [`Str`], [`Flag`], `[u8]`, [`Struct`], or, for
/// [`Writer::nest`](super::Writer::nest) and
/// [`Writer::open`](super::Writer::open), [`Nested`] and [`Open`].
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use procslink::families::rt_link::{self, LinkAttrs};
///
/// assert_eq!(LinkAttrs::MTU.number(), 4);
/// assert_eq!(LinkAttrs::IFNAME.number(), rt_link::IFLA_IFNAME);
/// # }
/// ```
#[cfg_attr(
    all(feature = "family-rt-link", feature = "family-rt-addr"),
    doc = r#"
A key of another set, or a value of another type, does not compile (the
examples exist where both families are compiled in):

```compile_fail,E0308
use procslink::families::{rt_addr::AddrAttrs, rt_link::LinkAttrsWriter};
use procslink::netlink::{Builder, MessageType, flags::Flags};

let mut buf = [0u8; 64];
let mut batch = Builder::new(&mut buf);
let mut m = batch.message(MessageType(16), Flags::REQUEST, 1, 0)?;
LinkAttrsWriter::new(&mut m).put(AddrAttrs::LABEL, b"lo")?;
# Ok::<(), procslink::Error>(())
```

```compile_fail,E0308
use procslink::families::rt_link::{LinkAttrs, LinkAttrsWriter};
use procslink::netlink::{Builder, MessageType, flags::Flags};

let mut buf = [0u8; 64];
let mut batch = Builder::new(&mut buf);
let mut m = batch.message(MessageType(16), Flags::REQUEST, 1, 0)?;
LinkAttrsWriter::new(&mut m).put(LinkAttrs::MTU, b"9000")?;
# Ok::<(), procslink::Error>(())
```
"#
)]
pub struct Key<S, V: ?Sized> {
    number: u16,
    types: PhantomData<Types<S, V>>,
}

/// A key's two types, as a function pointer's: a key is `Copy`, `Send`
/// and `Sync` whatever they are.
type Types<S, V> = fn() -> (PhantomData<S>, PhantomData<V>);

impl<S, V: ?Sized> Key<S, V> {
    /// The key of attribute number `number`.
    #[inline]
    pub const fn new(number: u16) -> Self {
        Key {
            number,
            types: PhantomData,
        }
    }

    /// The attribute's number (its `nla_type`).
    #[inline]
    pub const fn number(self) -> u16 {
        self.number
    }
}

impl<S, V: ?Sized> Clone for Key<S, V> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, V: ?Sized> Copy for Key<S, V> {}

impl<S, V: ?Sized> core::fmt::Debug for Key<S, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Key").field(&self.number).finish()
    }
}

/// How a key's value is written: what [`Writer::put`](super::Writer::put)
/// takes for it and the bytes it appends.
pub trait Encode {
    /// The value the writer takes.
    type Value<'v>;

    /// Appends `value` to `sink` as attribute `number`.
    fn encode(
        sink: &mut Sink<'_, '_, '_>,
        number: u16,
        value: Self::Value<'_>,
    ) -> Result<(), Error>;
}

macro_rules! host_order {
    ($($t:ty)*) => {$(
        impl Encode for $t {
            type Value<'v> = $t;

            #[inline]
            fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: $t) -> Result<(), Error> {
                sink.put(number, &value)
            }
        }

        impl Encode for Be<$t> {
            type Value<'v> = $t;

            #[inline]
            fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: $t) -> Result<(), Error> {
                sink.put_be(number, &value)
            }
        }
    )*};
}

host_order!(u8 u16 u32 u64 i8 i16 i32 i64 Ipv4Addr Ipv6Addr IpAddr Bitfield32);

/// A scalar written big-endian (the specification's `byte-order:
/// big-endian`), taking `T`.
pub struct Be<T>(PhantomData<T>);

/// A string: the bytes given (any but NUL; interface names need not be
/// UTF-8) and a NUL.
pub enum Str {}

/// A flag: present (`true`) or absent (`false`: nothing is written).
pub enum Flag {}

/// A binary attribute holding the `struct` `T`'s bytes.
pub struct Struct<T>(PhantomData<T>);

/// A nest of the set `S`, opened by [`Writer::nest`](super::Writer::nest)
/// as `S`'s writer.
pub struct Nested<S>(PhantomData<S>);

/// A nest written attribute by attribute (an indexed array, a
/// sub-message, a nest of no described set), opened by
/// [`Writer::open`](super::Writer::open) as a [`Sink`].
pub enum Open {}

impl Encode for [u8] {
    type Value<'v> = &'v [u8];

    #[inline]
    fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: &[u8]) -> Result<(), Error> {
        sink.put(number, value)
    }
}

impl Encode for Str {
    type Value<'v> = &'v [u8];

    #[inline]
    fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: &[u8]) -> Result<(), Error> {
        sink.put_string(number, value)
    }
}

impl Encode for Flag {
    type Value<'v> = bool;

    #[inline]
    fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: bool) -> Result<(), Error> {
        if value { sink.put_flag(number) } else { Ok(()) }
    }
}

impl<T: IntoBytes + Immutable + 'static> Encode for Struct<T> {
    type Value<'v> = &'v T;

    #[inline]
    fn encode(sink: &mut Sink<'_, '_, '_>, number: u16, value: &T) -> Result<(), Error> {
        sink.put_struct(number, value)
    }
}
