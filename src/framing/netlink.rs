//! Netlink messages over a byte stream, framed by `nlmsg_len`.
//!
//! Each frame is one netlink message: the 16-byte `nlmsghdr`, then the
//! payload.
//!
//! ```text
//!  0      4      6       8      12     16
//!  +------+------+-------+------+------+----------------+- - - -+
//!  | len  | type | flags | seq  | pid  | payload        |  pad  |
//!  +------+------+-------+------+------+----------------+- - - -+
//!  u32    u16    u16     u32    u32
//! ```
//!
//! Two profiles ([`NetlinkProfile`]) read `len` differently:
//!
//! - **Kernel**: host byte order; `len` counts the whole message, header
//!   included (so `len >= 16`, else [`LengthTooSmall`](ErrorKind::LengthTooSmall)).
//!   Frame = `len` bytes.
//! - **ProcsLink**: big-endian; `len` counts only the payload.
//!   Frame = `16 + len` bytes.
//!
//! [`Padding`] says what lies between frames: nothing
//! ([`Padding::None`], frames back to back) or zero to three bytes so that
//! each frame starts at a stream offset that is a multiple of 4
//! ([`Padding::Align4`], as messages sit in a kernel datagram). Padding
//! bytes are skipped without being checked; a stream may end inside them.
//! The frame size limit counts the frame, not its padding.
//!
//! ```
//! use procslink::framing::{Framing, netlink::{NetlinkFraming, NetlinkFields}};
//!
//! let framing = NetlinkFraming::kernel(); // host order, aligned to 4
//! let mut wire = [0u8; 64];
//! let fields = NetlinkFields { message_type: 0x10, flags: 1, seq: 7, pid: 0 };
//! let mut len = framing.encode(&mut wire, &fields, b"abcde")?; // 21 + 3 pad
//! assert_eq!(len, 24);
//! len += framing.encode(&mut wire[len..], &fields, b"")?;
//!
//! let mut frames = framing.frames(&wire[..len], 4096);
//! let first = frames.next().unwrap()?;
//! assert_eq!((first.bytes().len(), first.payload()), (21, &b"abcde"[..]));
//! assert_eq!(first.fields(), fields);
//! assert_eq!(frames.next().unwrap()?.payload(), b"");
//! assert!(frames.next().is_none());
//! # Ok::<(), procslink::Error>(())
//! ```

use super::{Framing, Step, Writer};
use crate::netlink::{NLMSG_HDRLEN as HEADER_LEN, align};
use crate::{Error, ErrorKind};

/// How `nlmsg_len` is written.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetlinkProfile {
    /// Kernel convention: host byte order, `nlmsg_len` includes the header.
    Kernel,
    /// ProcsLink's: big-endian, `nlmsg_len` counts only the payload.
    ProcsLink,
}

impl NetlinkProfile {
    fn read_u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            NetlinkProfile::Kernel => u16::from_ne_bytes(bytes),
            NetlinkProfile::ProcsLink => u16::from_be_bytes(bytes),
        }
    }

    fn read_u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            NetlinkProfile::Kernel => u32::from_ne_bytes(bytes),
            NetlinkProfile::ProcsLink => u32::from_be_bytes(bytes),
        }
    }

    fn u16_bytes(self, value: u16) -> [u8; 2] {
        match self {
            NetlinkProfile::Kernel => value.to_ne_bytes(),
            NetlinkProfile::ProcsLink => value.to_be_bytes(),
        }
    }

    fn u32_bytes(self, value: u32) -> [u8; 4] {
        match self {
            NetlinkProfile::Kernel => value.to_ne_bytes(),
            NetlinkProfile::ProcsLink => value.to_be_bytes(),
        }
    }
}

/// What lies between frames.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Padding {
    /// Nothing: each frame starts where the previous one ends.
    None,
    /// Each frame is followed by zero bytes up to the next multiple of 4
    /// (`NLMSG_ALIGN`); a decoder skips them without checking them.
    Align4,
}

/// The `nlmsghdr` fields other than the length.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetlinkFields {
    /// `nlmsg_type`.
    pub message_type: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
}

/// Netlink messages framed by `nlmsg_len`; see the [module docs](self).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NetlinkFraming {
    profile: NetlinkProfile,
    padding: Padding,
    pad_left: usize,
}

impl NetlinkFraming {
    /// The kernel profile, frames aligned to 4 ([`Padding::Align4`]).
    pub const fn kernel() -> Self {
        NetlinkFraming {
            profile: NetlinkProfile::Kernel,
            padding: Padding::Align4,
            pad_left: 0,
        }
    }

    /// The ProcsLink profile, frames back to back ([`Padding::None`]).
    pub const fn procslink() -> Self {
        NetlinkFraming {
            profile: NetlinkProfile::ProcsLink,
            padding: Padding::None,
            pad_left: 0,
        }
    }

    /// The same profile with another padding policy.
    #[must_use]
    pub const fn with_padding(self, padding: Padding) -> Self {
        NetlinkFraming { padding, ..self }
    }

    /// The profile.
    pub const fn profile(&self) -> NetlinkProfile {
        self.profile
    }

    /// The padding policy.
    pub const fn padding(&self) -> Padding {
        self.padding
    }

    /// The bytes [`encode`](Self::encode) writes for a payload of
    /// `payload_len` bytes, padding included.
    pub const fn encoded_len(&self, payload_len: usize) -> usize {
        let frame = HEADER_LEN.saturating_add(payload_len);
        frame.saturating_add(self.pad_after(frame))
    }

    /// Writes one message with `payload` (followed by zeroed padding under
    /// [`Padding::Align4`]) into the start of `out`; returns the bytes
    /// written.
    ///
    /// # Errors
    ///
    /// - [`TooLarge`](ErrorKind::TooLarge) if `nlmsg_len` cannot describe the
    ///   payload (it is a `u32`);
    /// - [`BufferTooSmall`](ErrorKind::BufferTooSmall) with the bytes
    ///   needed, writing nothing, if `out` is too short.
    pub fn encode(
        &self,
        out: &mut [u8],
        fields: &NetlinkFields,
        payload: &[u8],
    ) -> Result<usize, Error> {
        let len_field = match self.profile {
            NetlinkProfile::Kernel => HEADER_LEN.saturating_add(payload.len()),
            NetlinkProfile::ProcsLink => payload.len(),
        };
        let Ok(len_field) = u32::try_from(len_field) else {
            let kind = ErrorKind::TooLarge {
                size: len_field,
                max: super::len_usize(u64::from(u32::MAX)),
            };
            return Err(Error::new(kind, 0));
        };
        let frame = HEADER_LEN.saturating_add(payload.len());
        let mut w = Writer::new(out, self.encoded_len(payload.len()))?;
        let p = self.profile;
        w.put(&p.u32_bytes(len_field))?;
        w.put(&p.u16_bytes(fields.message_type))?;
        w.put(&p.u16_bytes(fields.flags))?;
        w.put(&p.u32_bytes(fields.seq))?;
        w.put(&p.u32_bytes(fields.pid))?;
        w.put(payload)?;
        w.put([0u8; 3].get(..self.pad_after(frame)).unwrap_or_default())?;
        Ok(w.finish())
    }

    const fn pad_after(&self, frame: usize) -> usize {
        match self.padding {
            Padding::None => 0,
            Padding::Align4 => align(frame).saturating_sub(frame),
        }
    }
}

impl Framing for NetlinkFraming {
    type Frame<'a> = NetlinkFrame<'a>;

    fn step<'a>(&mut self, input: &'a [u8], max_frame: usize) -> Step<NetlinkFrame<'a>> {
        if self.pad_left > 0 {
            let n = self.pad_left.min(input.len());
            self.pad_left -= n;
            return Step::Skip(n);
        }
        let Some(&len_bytes) = input.first_chunk::<4>() else {
            return Step::NeedMore(4);
        };
        let len_field = super::len_usize(u64::from(self.profile.read_u32(len_bytes)));
        let size = match self.profile {
            NetlinkProfile::Kernel if len_field < HEADER_LEN => {
                let kind = ErrorKind::LengthTooSmall {
                    length: len_field,
                    min: HEADER_LEN,
                };
                return fatal(kind);
            }
            NetlinkProfile::Kernel => len_field,
            NetlinkProfile::ProcsLink => len_field.saturating_add(HEADER_LEN),
        };
        if size > max_frame {
            return fatal(ErrorKind::TooLarge {
                size,
                max: max_frame,
            });
        }
        let Some(bytes) = input.get(..size) else {
            return Step::NeedMore(size);
        };
        self.pad_left = self.pad_after(size);
        Step::Frame {
            frame: NetlinkFrame {
                bytes,
                profile: self.profile,
            },
            len: size,
        }
    }
}

fn fatal<T>(kind: ErrorKind) -> Step<T> {
    Step::Invalid {
        error: Error::new(kind, 0),
        fatal: true,
    }
}

/// One netlink message cut from a stream: the 16-byte header and exactly
/// the payload its `nlmsg_len` describes under the profile (padding
/// excluded).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NetlinkFrame<'a> {
    bytes: &'a [u8],
    profile: NetlinkProfile,
}

impl<'a> NetlinkFrame<'a> {
    /// The whole message, header included. Under the kernel profile these
    /// are the bytes [`Messages`](crate::netlink::Messages) walks.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes after the 16-byte header.
    pub fn payload(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }

    /// The profile the message was read with.
    pub fn profile(&self) -> NetlinkProfile {
        self.profile
    }

    /// `nlmsg_len` as written (its meaning depends on the profile).
    pub fn len_field(&self) -> u32 {
        self.profile.read_u32(self.array(0))
    }

    /// The other header fields.
    pub fn fields(&self) -> NetlinkFields {
        NetlinkFields {
            message_type: self.profile.read_u16(self.array(4)),
            flags: self.profile.read_u16(self.array(6)),
            seq: self.profile.read_u32(self.array(8)),
            pid: self.profile.read_u32(self.array(12)),
        }
    }

    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        self.bytes
            .get(at..)
            .and_then(<[u8]>::first_chunk::<N>)
            .copied()
            .unwrap_or([0; N])
    }
}
