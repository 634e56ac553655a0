//! The 16-byte `nlmsghdr`, generic over byte order.

use core::fmt;

use zerocopy::byteorder::{BigEndian, ByteOrder, NativeEndian, U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::flags::Flags;
use super::types::MessageType;

/// `struct nlmsghdr`: the header that starts every netlink message.
///
/// `O` is the byte order of its fields: [`NativeEndian`] for kernel traffic
/// (see [`NlMsgHdr`]), [`BigEndian`] for ProcsLink's datagrams (see
/// [`NlMsgHdrBe`]). The struct is `Unaligned`, so it can be viewed at any
/// offset of any buffer.
///
/// ```
/// use procslink::netlink::NlMsgHdr;
/// use zerocopy::FromBytes;
///
/// let bytes = [20, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0];
/// # let bytes = {
/// #     let mut b = [0u8; 16];
/// #     b[..4].copy_from_slice(&20u32.to_ne_bytes());
/// #     b[4..6].copy_from_slice(&3u16.to_ne_bytes());
/// #     b[6..8].copy_from_slice(&2u16.to_ne_bytes());
/// #     b[8..12].copy_from_slice(&1u32.to_ne_bytes());
/// #     b
/// # };
/// let hdr = NlMsgHdr::ref_from_bytes(&bytes).unwrap();
/// assert_eq!(hdr.len(), 20);
/// assert!(hdr.message_type().is_done());
/// assert_eq!(hdr.seq(), 1);
/// ```
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, PartialEq, Eq, Hash,
)]
#[repr(C)]
pub struct NlMsgHdrOf<O: ByteOrder> {
    /// `nlmsg_len`.
    pub len: U32<O>,
    /// `nlmsg_type`.
    pub ty: U16<O>,
    /// `nlmsg_flags`.
    pub flags: U16<O>,
    /// `nlmsg_seq`.
    pub seq: U32<O>,
    /// `nlmsg_pid`.
    pub pid: U32<O>,
}

/// A host-byte-order `nlmsghdr`, as the kernel writes it.
pub type NlMsgHdr = NlMsgHdrOf<NativeEndian>;
/// A big-endian `nlmsghdr`, as ProcsLink writes it.
pub type NlMsgHdrBe = NlMsgHdrOf<BigEndian>;

/// The size of `nlmsghdr`: 16 bytes.
pub const NLMSG_HDRLEN: usize = 16;
/// Netlink's alignment: messages and attributes start on 4-byte boundaries.
pub const NLMSG_ALIGNTO: usize = 4;

/// Rounds `len` up to the next multiple of 4, saturating near `usize::MAX`.
#[inline(always)]
pub const fn align(len: usize) -> usize {
    match len.checked_add(NLMSG_ALIGNTO - 1) {
        Some(l) => l & !(NLMSG_ALIGNTO - 1),
        None => usize::MAX & !(NLMSG_ALIGNTO - 1),
    }
}

impl<O: ByteOrder> NlMsgHdrOf<O> {
    /// A header with every field given.
    #[inline]
    pub fn new(len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Self {
        NlMsgHdrOf {
            len: U32::new(len),
            ty: U16::new(ty),
            flags: U16::new(flags),
            seq: U32::new(seq),
            pid: U32::new(pid),
        }
    }

    /// `nlmsg_len`.
    #[inline(always)]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u32 {
        self.len.get()
    }

    /// `nlmsg_type` as a [`MessageType`].
    #[inline(always)]
    pub fn message_type(&self) -> MessageType {
        MessageType(self.ty.get())
    }

    /// `nlmsg_flags`, every bit kept (see [`Flags`] for the meanings that
    /// depend on the request kind).
    #[inline(always)]
    pub fn flags(&self) -> Flags {
        Flags::from_bits_retain(self.flags.get())
    }

    /// `nlmsg_seq`.
    #[inline(always)]
    pub fn seq(&self) -> u32 {
        self.seq.get()
    }

    /// `nlmsg_pid`: the sender's port id (0 for the kernel).
    #[inline(always)]
    pub fn pid(&self) -> u32 {
        self.pid.get()
    }

    /// Sets `nlmsg_len`.
    #[inline]
    pub fn set_len(&mut self, len: u32) {
        self.len.set(len)
    }

    /// Sets `nlmsg_type`.
    #[inline]
    pub fn set_message_type(&mut self, ty: MessageType) {
        self.ty.set(ty.0)
    }

    /// Sets `nlmsg_flags`.
    #[inline]
    pub fn set_flags(&mut self, flags: Flags) {
        self.flags.set(flags.bits())
    }

    /// Sets `nlmsg_seq`.
    #[inline]
    pub fn set_seq(&mut self, seq: u32) {
        self.seq.set(seq)
    }

    /// Sets `nlmsg_pid`.
    #[inline]
    pub fn set_pid(&mut self, pid: u32) {
        self.pid.set(pid)
    }
}

impl<O: ByteOrder> fmt::Debug for NlMsgHdrOf<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NlMsgHdr")
            .field("len", &self.len())
            .field("type", &self.message_type())
            .field("flags", &self.flags())
            .field("seq", &self.seq())
            .field("pid", &self.pid())
            .finish()
    }
}

impl<O: ByteOrder> fmt::Display for NlMsgHdrOf<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "len {} type {} flags {} seq {} pid {}",
            self.len(),
            self.message_type(),
            self.flags().display_for(self.message_type().ack_kind()),
            self.seq(),
            self.pid()
        )
    }
}
