//! `nlmsg_flags`.
//!
//! The low byte has one meaning for every message ([`Flags`]). The bits from
//! 0x100 up mean different things depending on what kind of request or
//! reply carries them, so each meaning has its own type: [`GetFlags`],
//! [`NewFlags`], [`DeleteFlags`] and [`AckFlags`]. All of them convert into
//! [`Flags`], which keeps every bit, known or not.
//!
//! ```
//! use procslink::netlink::flags::{Flags, GetFlags, NewFlags, RequestKind};
//!
//! let dump = Flags::REQUEST | GetFlags::DUMP.into();
//! assert_eq!(dump.bits(), 0x301);
//! // The same bits read as a NEW request mean something else entirely.
//! assert_eq!(dump.new_flags(), NewFlags::REPLACE | NewFlags::EXCL);
//! assert_eq!(dump.display_for(Some(RequestKind::Get)).to_string(), "REQUEST|DUMP");
//! assert_eq!(dump.display_for(None).to_string(), "REQUEST|0x300");
//! ```

use core::fmt;

use bitflags::bitflags;

bitflags! {
    /// The flags every message may carry, plus whatever other bits are set.
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct Flags: u16 {
        /// `NLM_F_REQUEST`: a request.
        const REQUEST = 0x1;
        /// `NLM_F_MULTI`: part of a multipart reply, ended by `DONE`.
        const MULTI = 0x2;
        /// `NLM_F_ACK`: reply with an acknowledgement.
        const ACK = 0x4;
        /// `NLM_F_ECHO`: echo this request.
        const ECHO = 0x8;
        /// `NLM_F_DUMP_INTR`: the dump was inconsistent because the data
        /// changed while it was being taken.
        const DUMP_INTR = 0x10;
        /// `NLM_F_DUMP_FILTERED`: the dump was filtered as requested.
        const DUMP_FILTERED = 0x20;
        const _ = !0;
    }
}

bitflags! {
    /// Modifiers of a GET request (bits 0x100 and up).
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct GetFlags: u16 {
        /// `NLM_F_ROOT`: return the whole table.
        const ROOT = 0x100;
        /// `NLM_F_MATCH`: return every match.
        const MATCH = 0x200;
        /// `NLM_F_ATOMIC`: return an atomic snapshot.
        const ATOMIC = 0x400;
        /// `NLM_F_DUMP`: `ROOT | MATCH`.
        const DUMP = 0x300;
    }
}

bitflags! {
    /// Modifiers of a NEW request (bits 0x100 and up).
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct NewFlags: u16 {
        /// `NLM_F_REPLACE`: replace an existing object.
        const REPLACE = 0x100;
        /// `NLM_F_EXCL`: do not touch an existing object.
        const EXCL = 0x200;
        /// `NLM_F_CREATE`: create the object if it does not exist.
        const CREATE = 0x400;
        /// `NLM_F_APPEND`: add to the end of the list.
        const APPEND = 0x800;
    }
}

bitflags! {
    /// Modifiers of a DELETE request (bits 0x100 and up).
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct DeleteFlags: u16 {
        /// `NLM_F_NONREC`: do not delete recursively.
        const NONREC = 0x100;
        /// `NLM_F_BULK`: delete several objects.
        const BULK = 0x200;
    }
}

bitflags! {
    /// Flags of an acknowledgement (`NLMSG_ERROR`, and `NLMSG_DONE` with
    /// extended-ack attributes).
    #[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Debug)]
    pub struct AckFlags: u16 {
        /// `NLM_F_CAPPED`: the echoed request's payload was left out.
        const CAPPED = 0x100;
        /// `NLM_F_ACK_TLVS`: extended-ack attributes follow.
        const ACK_TLVS = 0x200;
    }
}

/// The kind of message that decides what the bits from 0x100 up mean.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// A GET (dump or lookup) request: [`GetFlags`].
    Get,
    /// A NEW (create or change) request: [`NewFlags`].
    New,
    /// A DELETE request: [`DeleteFlags`].
    Delete,
    /// An acknowledgement or error: [`AckFlags`].
    Ack,
}

macro_rules! kind_flags {
    ($($ty:ident $get:ident),*) => {$(
        impl From<$ty> for Flags {
            #[inline]
            fn from(f: $ty) -> Flags {
                Flags::from_bits_retain(f.bits())
            }
        }

        impl Flags {
            #[doc = concat!("The bits from 0x100 up read as [`", stringify!($ty), "`] (unknown bits dropped).")]
            #[inline]
            pub const fn $get(self) -> $ty {
                $ty::from_bits_truncate(self.bits())
            }
        }
    )*};
}

kind_flags!(GetFlags get_flags, NewFlags new_flags, DeleteFlags delete_flags, AckFlags ack_flags);

const BASE_NAMES: &[(&str, u16)] = &[
    ("REQUEST", 0x1),
    ("MULTI", 0x2),
    ("ACK", 0x4),
    ("ECHO", 0x8),
    ("DUMP_INTR", 0x10),
    ("DUMP_FILTERED", 0x20),
];
const GET_NAMES: &[(&str, u16)] = &[
    ("DUMP", 0x300),
    ("ROOT", 0x100),
    ("MATCH", 0x200),
    ("ATOMIC", 0x400),
];
const NEW_NAMES: &[(&str, u16)] = &[
    ("REPLACE", 0x100),
    ("EXCL", 0x200),
    ("CREATE", 0x400),
    ("APPEND", 0x800),
];
const DELETE_NAMES: &[(&str, u16)] = &[("NONREC", 0x100), ("BULK", 0x200)];
const ACK_NAMES: &[(&str, u16)] = &[("CAPPED", 0x100), ("ACK_TLVS", 0x200)];

impl Flags {
    /// Shows the flags by name, reading the bits from 0x100 up as `kind`
    /// says; bits without a name are shown in hex.
    pub const fn display_for(self, kind: Option<RequestKind>) -> FlagsDisplay {
        FlagsDisplay { flags: self, kind }
    }
}

/// Shows [`Flags`] by name; made by [`Flags::display_for`].
#[derive(Copy, Clone, Debug)]
pub struct FlagsDisplay {
    flags: Flags,
    kind: Option<RequestKind>,
}

impl fmt::Display for FlagsDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind_names = match self.kind {
            None => &[][..],
            Some(RequestKind::Get) => GET_NAMES,
            Some(RequestKind::New) => NEW_NAMES,
            Some(RequestKind::Delete) => DELETE_NAMES,
            Some(RequestKind::Ack) => ACK_NAMES,
        };
        let mut rest = self.flags.bits();
        let mut first = true;
        for &(name, bits) in BASE_NAMES.iter().chain(kind_names) {
            if rest & bits == bits {
                rest &= !bits;
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{rest:#x}")?;
        } else if first {
            f.write_str("0")?;
        }
        Ok(())
    }
}

impl fmt::Display for Flags {
    /// Shows the common flags by name and the bits from 0x100 up in hex (see
    /// [`Flags::display_for`] to name those too).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_for(None), f)
    }
}
