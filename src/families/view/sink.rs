//! Where the generated writers write.

use zerocopy::{Immutable, IntoBytes};

use super::Put;
use crate::Error;
use crate::netlink::{MessageBuilder, NLA_F_NESTED, Nest};

/// Where a generated writer writes: a message's top level or an open nest
/// (closed by [`end`](Self::end); dropped unclosed, it is discarded with
/// its contents, as a [`Nest`] is).
#[derive(Debug)]
#[must_use = "a nest's sink discards the nest unless closed with end"]
pub enum Sink<'m, 'a, 'b> {
    /// The message's own attributes.
    Message(&'m mut MessageBuilder<'a, 'b>),
    /// The attributes inside a nest.
    Nest(Nest<'m, 'a, 'b>),
}

impl<'a, 'b> Sink<'_, 'a, 'b> {
    /// The message written into.
    #[inline]
    pub fn builder(&mut self) -> &mut MessageBuilder<'a, 'b> {
        match self {
            Sink::Message(msg) => msg,
            Sink::Nest(nest) => nest,
        }
    }

    /// Appends `value` as attribute `ty`, in host byte order.
    #[inline]
    pub fn put<T: Put + ?Sized>(&mut self, ty: u16, value: &T) -> Result<(), Error> {
        value.put(self.builder(), ty)
    }

    /// Appends `value` as attribute `ty`, big-endian.
    #[inline]
    pub fn put_be<T: Put + ?Sized>(&mut self, ty: u16, value: &T) -> Result<(), Error> {
        value.put_be(self.builder(), ty)
    }

    /// Appends a string attribute (any bytes but NUL) with its NUL.
    #[inline]
    pub fn put_string(&mut self, ty: u16, value: &[u8]) -> Result<(), Error> {
        self.builder().put_bytes_str(ty, value)
    }

    /// Appends a flag attribute.
    #[inline]
    pub fn put_flag(&mut self, ty: u16) -> Result<(), Error> {
        self.builder().put_flag(ty)
    }

    /// Appends a binary attribute holding `value`'s bytes (a `struct`).
    #[inline]
    pub fn put_struct<T: IntoBytes + Immutable>(
        &mut self,
        ty: u16,
        value: &T,
    ) -> Result<(), Error> {
        self.builder().put(ty, value.as_bytes())
    }

    /// Opens a nest of type `ty` (with `NLA_F_NESTED`, which the kernel's
    /// strict validation asks of nests): the sink of its attributes.
    #[inline]
    pub fn nest(&mut self, ty: u16) -> Result<Sink<'_, 'a, 'b>, Error> {
        self.builder().nest(ty | NLA_F_NESTED).map(Sink::Nest)
    }

    /// Closes the nest (nothing to do for a message's top level).
    #[inline]
    pub fn end(self) -> Result<(), Error> {
        match self {
            Sink::Message(_) => Ok(()),
            Sink::Nest(nest) => nest.end(),
        }
    }
}

impl<'m, 'a, 'b> From<&'m mut MessageBuilder<'a, 'b>> for Sink<'m, 'a, 'b> {
    fn from(msg: &'m mut MessageBuilder<'a, 'b>) -> Self {
        Sink::Message(msg)
    }
}

impl<'m, 'a, 'b> From<Nest<'m, 'a, 'b>> for Sink<'m, 'a, 'b> {
    fn from(nest: Nest<'m, 'a, 'b>) -> Self {
        Sink::Nest(nest)
    }
}
