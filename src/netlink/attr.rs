//! Attributes (`struct nlattr`): a checked view, an iterator over a run, and
//! typed getters.
//!
//! Whether an attribute nests is a property of its family's schema, not of
//! its bytes (the kernel sets `NLA_F_NESTED` inconsistently), so descending
//! is the caller's decision: [`Attr::nested`] reads any payload as a run.

use core::fmt;

use super::header::align;
use crate::{Error, ErrorKind};

/// The size of `struct nlattr`: 4 bytes.
pub const NLA_HDRLEN: usize = 4;
/// `NLA_F_NESTED`: the payload is a run of attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// `NLA_F_NET_BYTEORDER`: the payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// The bits of `nla_type` that hold the type.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
/// The largest payload one attribute can carry: `u16::MAX` minus the
/// header, 65531 bytes.
pub const NLA_MAX_PAYLOAD: usize = u16::MAX as usize - NLA_HDRLEN;

/// A checked view of one attribute: its type field and payload.
///
/// Made by [`Attrs`]; the getters check the payload's size and encoding and
/// report errors at the attribute's offset.
// `repr(C)` with the offset first: see `Message`.
#[derive(Copy, Clone, PartialEq, Eq)]
#[repr(C)]
pub struct Attr<'a> {
    offset: usize,
    payload: &'a [u8],
    ty: u16,
}

macro_rules! int_getters {
    ($($(#[$doc:meta])* $name:ident $be:ident $t:ty;)*) => {$(
        $(#[$doc])*
        ///
        /// In host byte order, or big-endian if `NLA_F_NET_BYTEORDER` is
        /// set. A payload of any other size is [`ErrorKind::WrongSize`].
        #[inline]
        pub fn $name(&self) -> Result<$t, Error> {
            let bytes = self.fixed::<{ core::mem::size_of::<$t>() }>()?;
            Ok(if self.is_net_byteorder() {
                <$t>::from_be_bytes(bytes)
            } else {
                <$t>::from_ne_bytes(bytes)
            })
        }

        #[doc = concat!("The payload as a big-endian `", stringify!($t), "`, whatever the flags say")]
        /// (some attributes, such as ports, are big-endian without the flag).
        #[inline]
        pub fn $be(&self) -> Result<$t, Error> {
            Ok(<$t>::from_be_bytes(self.fixed::<{ core::mem::size_of::<$t>() }>()?))
        }
    )*};
}

impl<'a> Attr<'a> {
    /// An attribute view from its parts (used by tests and by callers that
    /// hold an attribute's pieces already).
    ///
    /// `offset` is only reported, never used to index: any value is
    /// accepted, and offsets derived from it (for example by
    /// [`Attr::nested`]) saturate at `usize::MAX` instead of overflowing.
    ///
    /// ```
    /// use procslink::netlink::Attr;
    ///
    /// let payload = [4u8, 0, 1, 0, 7, 0, 2, 0];
    /// let attr = Attr::from_parts(1, &payload, usize::MAX - 2);
    /// let inner = attr.nested().next().unwrap().unwrap();
    /// assert_eq!(inner.offset(), usize::MAX);
    /// ```
    #[inline]
    pub const fn from_parts(raw_type: u16, payload: &'a [u8], offset: usize) -> Self {
        Attr {
            ty: raw_type,
            payload,
            offset,
        }
    }

    /// The type with the flag bits masked off.
    #[inline(always)]
    pub const fn kind(&self) -> u16 {
        self.ty & NLA_TYPE_MASK
    }

    /// The whole `nla_type` field, flags included.
    #[inline(always)]
    pub const fn raw_type(&self) -> u16 {
        self.ty
    }

    /// Is `NLA_F_NESTED` set? (Not to be trusted for deciding whether to
    /// descend; see the module docs.)
    #[inline(always)]
    pub const fn is_nested(&self) -> bool {
        self.ty & NLA_F_NESTED != 0
    }

    /// Is `NLA_F_NET_BYTEORDER` set?
    #[inline(always)]
    pub const fn is_net_byteorder(&self) -> bool {
        self.ty & NLA_F_NET_BYTEORDER != 0
    }

    /// The payload bytes.
    #[inline(always)]
    pub const fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// `nla_len`: header plus payload, without padding.
    #[inline(always)]
    #[allow(clippy::len_without_is_empty)]
    pub const fn len(&self) -> usize {
        NLA_HDRLEN + self.payload.len()
    }

    /// The offset of the attribute's header in the caller's buffer.
    #[inline(always)]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The payload read as a run of nested attributes.
    ///
    /// ```
    /// use procslink::netlink::{Attr, Builder, MessageType, Message, flags::Flags};
    ///
    /// let mut buf = [0u8; 64];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(MessageType(16), Flags::REQUEST, 1, 0)?;
    /// let mut nest = m.nest(18)?;
    /// nest.put_str(1, "vxlan")?;
    /// nest.end()?;
    /// m.finish()?;
    ///
    /// let msg = Message::parse(&buf)?;
    /// let (_, mut attrs) = msg.split_family_header(0)?;
    /// let linkinfo = attrs.next().unwrap()?;
    /// let kind = linkinfo.nested().next().unwrap()?;
    /// assert_eq!(kind.str()?, "vxlan");
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::with_offset(self.payload, self.offset.saturating_add(NLA_HDRLEN))
    }

    #[inline(always)]
    fn fixed<const N: usize>(&self) -> Result<[u8; N], Error> {
        match <[u8; N]>::try_from(self.payload) {
            Ok(bytes) => Ok(bytes),
            Err(_) => Err(self.wrong_size(N)),
        }
    }

    #[cold]
    fn wrong_size(&self, expected: usize) -> Error {
        Error::new(
            ErrorKind::WrongSize {
                expected,
                found: self.payload.len(),
            },
            self.offset,
        )
    }

    int_getters! {
        /// The payload as a `u8`.
        u8 u8_be u8;
        /// The payload as a `u16`.
        u16 u16_be u16;
        /// The payload as a `u32`.
        u32 u32_be u32;
        /// The payload as a `u64`.
        u64 u64_be u64;
        /// The payload as an `i8`.
        i8 i8_be i8;
        /// The payload as an `i16`.
        i16 i16_be i16;
        /// The payload as an `i32`.
        i32 i32_be i32;
        /// The payload as an `i64`.
        i64 i64_be i64;
    }

    /// The payload as a NUL-terminated UTF-8 string, without its NUL.
    ///
    /// The text ends at the first NUL; bytes after it (padding some
    /// families leave) are ignored. No NUL is
    /// [`ErrorKind::NotNulTerminated`]; bad UTF-8 is
    /// [`ErrorKind::InvalidUtf8`].
    ///
    /// Netlink strings are bytes, not text: the kernel accepts and dumps an
    /// interface named `p\xe9`. Read names with [`Attr::bytes_str`] or
    /// [`Attr::cstr`], which take any bytes, and use this getter only where
    /// UTF-8 is the caller's requirement.
    #[inline]
    pub fn str(&self) -> Result<&'a str, Error> {
        let Some(end) = self.payload.iter().position(|&b| b == 0) else {
            return Err(Error::new(ErrorKind::NotNulTerminated, self.offset));
        };
        let text = self.payload.get(..end).unwrap_or(&[]);
        core::str::from_utf8(text).map_err(|_| Error::new(ErrorKind::InvalidUtf8, self.offset))
    }

    /// The payload as a byte string, as the kernel reads an `NLA_STRING`:
    /// the bytes up to the first NUL, or the whole payload if it has none.
    ///
    /// Never fails and makes no claim about the encoding: interface names
    /// and other kernel strings may be any bytes but NUL. Show them with
    /// [`Escaped`](super::display::Escaped).
    ///
    /// ```
    /// use procslink::netlink::Attr;
    /// use procslink::netlink::display::Escaped;
    ///
    /// let name = Attr::from_parts(3, b"p\xe9\0\0", 0);
    /// assert_eq!(name.bytes_str(), b"p\xe9");
    /// assert!(name.str().is_err());
    /// assert_eq!(format!("{:?}", Escaped(name.bytes_str())), r#""p\xe9""#);
    ///
    /// // No NUL: the whole payload.
    /// assert_eq!(Attr::from_parts(3, b"eth0", 0).bytes_str(), b"eth0");
    /// ```
    #[inline]
    pub fn bytes_str(&self) -> &'a [u8] {
        match self.payload.iter().position(|&b| b == 0) {
            Some(end) => self.payload.get(..end).unwrap_or(&[]),
            None => self.payload,
        }
    }

    /// The payload as a C string, as the kernel reads an `NLA_NUL_STRING`:
    /// the bytes up to and including the first NUL, which must be in the
    /// payload (else [`ErrorKind::NotNulTerminated`]). Any other bytes are
    /// accepted.
    ///
    /// ```
    /// use procslink::netlink::Attr;
    /// use procslink::ErrorKind;
    ///
    /// let name = Attr::from_parts(3, b"n\xff\xfe\0", 0);
    /// assert_eq!(name.cstr()?.to_bytes(), b"n\xff\xfe");
    /// let bare = Attr::from_parts(3, b"eth0", 8);
    /// assert_eq!(bare.cstr().unwrap_err().kind(), ErrorKind::NotNulTerminated);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub fn cstr(&self) -> Result<&'a core::ffi::CStr, Error> {
        core::ffi::CStr::from_bytes_until_nul(self.payload)
            .map_err(|_| Error::new(ErrorKind::NotNulTerminated, self.offset))
    }

    /// The payload as bytes (an alias of [`Attr::payload`]).
    #[inline(always)]
    pub const fn bytes(&self) -> &'a [u8] {
        self.payload
    }

    /// Checks that this is a well-formed flag attribute: one whose presence
    /// is the value and whose payload is empty.
    #[inline]
    pub fn flag(&self) -> Result<(), Error> {
        if self.payload.is_empty() {
            Ok(())
        } else {
            Err(self.wrong_size(0))
        }
    }
}

impl fmt::Debug for Attr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attr")
            .field("type", &self.kind())
            .field("nested", &self.is_nested())
            .field("net_byteorder", &self.is_net_byteorder())
            .field("len", &self.len())
            .field("offset", &self.offset)
            .finish()
    }
}

impl fmt::Display for Attr<'_> {
    /// `type 3 len 8`, with `[N]` and `[B]` for the nested and byte-order
    /// flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "type {} len {}", self.kind(), self.len())?;
        if self.is_nested() {
            f.write_str(" [N]")?;
        }
        if self.is_net_byteorder() {
            f.write_str(" [B]")?;
        }
        Ok(())
    }
}

/// An iterator over a run of attributes.
///
/// Yields `Err` for the first attribute whose header is truncated or whose
/// `nla_len` is below 4 or past the end of the run, and then stops for good.
/// Each attribute starts at the 4-byte boundary after the one before; the
/// last may lack its padding.
#[derive(Clone)]
pub struct Attrs<'a> {
    run: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Attrs<'a> {
    /// Iterates over the attributes in `run`; error offsets count from its
    /// start.
    #[inline]
    pub const fn new(run: &'a [u8]) -> Self {
        Attrs {
            run,
            pos: 0,
            base: 0,
        }
    }

    /// Iterates over `run`, which starts `offset` bytes into the caller's
    /// buffer; error and attribute offsets count from there.
    ///
    /// Any `offset` is accepted: offsets computed from it saturate at
    /// `usize::MAX` instead of overflowing.
    ///
    /// ```
    /// use procslink::netlink::Attrs;
    ///
    /// let run = [4u8, 0, 1, 0, 3, 0];
    /// let mut attrs = Attrs::with_offset(&run, usize::MAX - 1);
    /// assert_eq!(attrs.next().unwrap()?.offset(), usize::MAX - 1);
    /// assert_eq!(attrs.next().unwrap().unwrap_err().offset(), usize::MAX);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    #[inline]
    pub const fn with_offset(run: &'a [u8], offset: usize) -> Self {
        Attrs {
            run,
            pos: 0,
            base: offset,
        }
    }

    /// The bytes not yet read (empty after an error).
    #[inline]
    pub fn remaining(&self) -> &'a [u8] {
        self.run.get(self.pos..).unwrap_or(&[])
    }

    /// The offset of the next attribute in the caller's buffer.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos.min(self.run.len()))
    }

    /// The last attribute of type `kind` (flags masked off) in the rest of
    /// the run, or `None`; the first malformed attribute is an error.
    ///
    /// The last one wins, as in the kernel's `nla_parse`.
    pub fn lookup(self, kind: u16) -> Result<Option<Attr<'a>>, Error> {
        let mut found = None;
        for attr in self {
            let attr = attr?;
            if attr.kind() == kind {
                found = Some(attr);
            }
        }
        Ok(found)
    }

    #[cold]
    fn fail(&mut self, kind: ErrorKind) -> Option<Result<Attr<'a>, Error>> {
        self.base = self.base.saturating_add(self.pos);
        self.run = &[];
        self.pos = 0;
        Some(Err(Error::new(kind, self.base)))
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos;
        // At the end, past it (the last attribute or a family header may
        // lack its padding) or stopped by an error: one comparison, which
        // is all the end of a run costs, and `rest` below is not empty.
        if pos >= self.run.len() {
            return None;
        }
        let rest = self.run.get(pos..).unwrap_or(&[]);
        let Some((header, _)) = rest.split_first_chunk::<NLA_HDRLEN>() else {
            return self.fail(ErrorKind::Truncated {
                needed: NLA_HDRLEN,
                available: rest.len(),
            });
        };
        let len = u16::from_ne_bytes([header[0], header[1]]) as usize;
        let ty = u16::from_ne_bytes([header[2], header[3]]);
        if len < NLA_HDRLEN {
            return self.fail(ErrorKind::LengthTooSmall {
                length: len,
                min: NLA_HDRLEN,
            });
        }
        let Some(payload) = rest.get(NLA_HDRLEN..len) else {
            return self.fail(ErrorKind::LengthOverrun {
                length: len,
                available: rest.len(),
            });
        };
        self.pos = pos + align(len);
        Some(Ok(Attr {
            ty,
            payload,
            offset: self.base.saturating_add(pos),
        }))
    }
}

impl core::iter::FusedIterator for Attrs<'_> {}

impl fmt::Debug for Attrs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attrs")
            .field("offset", &self.offset())
            .field("remaining", &self.remaining().len())
            .finish()
    }
}
