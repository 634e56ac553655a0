//! Messages of any described family, generated from its specification
//! (the [`families`](crate::families) tables).
//!
//! [`SpecMessage::generate`] draws one message of an [`Operation`] from the
//! fuzzer's bytes: `nlmsghdr` with the operation's message type (or, for
//! generic netlink, the family id the caller resolved and a `genlmsghdr`
//! with the command), the fixed header with arbitrary member values, and
//! attributes chosen from the operation's set with values valid for their
//! type and `checks`:
//!
//! - integers within the type's range and the checks' `min`/`max`, enum
//!   entries and flag combinations where the attribute names an enum, in
//!   the attribute's byte order; `uint`/`sint` as 4 or 8 bytes;
//! - strings within `min-len`/`max-len`, UTF-8, NUL-terminated; binary
//!   payloads of the exact length, the struct's size or the address size
//!   of the display hint; flags empty; `bitfield32` 8 bytes;
//! - nests recursing into their nested set, indexed arrays and
//!   type-value nests as entries, up to [`MAX_ATTR_DEPTH`](super::MAX_ATTR_DEPTH);
//!   multi-attributes repeated, others at most once per run;
//! - sub-messages with their selector written just before them, holding
//!   the chosen format's attributes (formats with both a fixed header and
//!   attributes are left out).
//!
//! The message is a [`MessageDesc`] underneath, so the crate's writer,
//! `verify` and the malformation layer ([`Mutation`](super::Mutation))
//! apply to it unchanged. Sizes are bounded ([`MAX_SPEC_MESSAGE_LEN`]), and
//! nothing here panics, whatever the bytes. [`strategy`] (feature
//! `proptest` too) gives the same messages as a proptest strategy.
//!
//! # Fuzzing your own family consumer
//!
//! A consumer of rt-link link messages, fed well-formed messages of every
//! rt-link operation and then the same messages broken:
//!
//! ```
//! # #[cfg(feature = "family-rt-link")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use procslink::families::rt_link;
//! use procslink::fuzzing::Mutation;
//! use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage};
//! use procslink::netlink::Messages;
//!
//! /// The consumer under test: the MTU of each link message.
//! fn mtus(bytes: &[u8]) -> Result<Vec<u32>, procslink::Error> {
//!     let mut mtus = Vec::new();
//!     for message in Messages::new(bytes) {
//!         let (_, attrs) = message?.split_family_header(16)?;
//!         for attr in attrs {
//!             let attr = attr?;
//!             if attr.kind() == rt_link::IFLA_MTU {
//!                 mtus.push(attr.u32()?);
//!             }
//!         }
//!     }
//!     Ok(mtus)
//! }
//!
//! // The body of `fuzz_target!(|data: &[u8]| { ... })`.
//! fn fuzz_one(data: &[u8]) -> arbitrary::Result<()> {
//!     let mut u = Unstructured::new(data);
//!     let link_ops = ["getlink", "newlink", "setlink", "dellink"];
//!     let op = rt_link::FAMILY.operation(u.choose(&link_ops)?).unwrap();
//!     let msg = SpecMessage::generate(&mut u, &rt_link::FAMILY, op, 0)?;
//!     let mut buf = vec![0u8; MAX_SPEC_MESSAGE_LEN];
//!     let len = msg.write(&mut buf).expect("fits");
//!     // Well-formed by the specification: the consumer must accept it.
//!     assert!(mtus(&buf[..len]).is_ok());
//!     let plan = Mutation::arbitrary(&mut u)?;
//!     if let Some(applied) = plan.apply(&mut buf, len, |_, _| msg.header_len()) {
//!         // Broken as `applied.malformation` says: an error, never a panic.
//!         let _ = mtus(&buf[..applied.len]);
//!     }
//!     Ok(())
//! }
//!
//! for seed in [&b"one input"[..], &[0xa5; 300], b"\x04\x00\x00\x00 ifname mtu"] {
//!     fuzz_one(seed)?;
//! }
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

mod draw;

use arbitrary::{Error as ArbError, Result, Unstructured};
use heapless::Vec as HVec;
use zerocopy::IntoBytes;

use super::describe::{AttrTree, MAX_ATTRS, MessageDesc, Mismatch, NetlinkDesc};
#[cfg(feature = "proptest")]
use super::strategy::{OwnedAttrNode, OwnedAttrValue, OwnedMessage};
use crate::Error;
use crate::families::{AttrSet, AttrType, Family, Operation, Protocol, StructSpec};
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::genl::GenlMsgHdr;

/// The longest attribute payload generated (a string's NUL included);
/// attributes whose checks need more are left out.
pub const MAX_SPEC_VALUE_LEN: usize = 512;
/// The longest family header (`genlmsghdr` plus the fixed header); an
/// operation whose header is longer is refused.
pub const MAX_SPEC_HEADER: usize = 64;
/// A buffer this long holds any [`SpecMessage`].
pub const MAX_SPEC_MESSAGE_LEN: usize = 16 + MAX_SPEC_HEADER + MAX_ATTRS * (4 + MAX_SPEC_VALUE_LEN);

/// One message of a described family, drawn from the fuzzer's bytes.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use arbitrary::Unstructured;
/// use procslink::families::rt_link;
/// use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, SpecMessage};
///
/// let op = rt_link::FAMILY.operation("getlink").unwrap();
/// let mut u = Unstructured::new(b"the fuzzer's bytes, any at all");
/// let msg = SpecMessage::generate(&mut u, &rt_link::FAMILY, op, 0)?;
/// let mut buf = vec![0; MAX_SPEC_MESSAGE_LEN];
/// let len = msg.write(&mut buf)?;
/// assert_eq!(msg.verify(&buf[..len]), Ok(()));
/// assert_eq!(msg.header_len(), 16); // ifinfomsg
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecMessage<'a> {
    ty: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    header: HVec<u8, MAX_SPEC_HEADER>,
    attrs: AttrTree<'a>,
}

impl<'a> SpecMessage<'a> {
    /// Draws a request or a reply of `op` (one of `family`'s operations).
    /// `family_id` is the `nlmsg_type` of a generic netlink family (as
    /// `nlctrl` resolved it); netlink-raw families ignore it.
    ///
    /// # Errors
    ///
    /// [`arbitrary::Error::IncorrectFormat`] for an operation with neither
    /// a request nor a reply, a generic netlink command above 255, or a
    /// family header over [`MAX_SPEC_HEADER`] bytes; otherwise none (bytes
    /// that run out end the message early).
    pub fn generate(
        u: &mut Unstructured<'a>,
        family: &Family,
        op: &Operation,
        family_id: u16,
    ) -> Result<Self> {
        let request = match (op.request(), op.reply()) {
            (Some(_), Some(_)) => u.arbitrary()?,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return Err(ArbError::IncorrectFormat),
        };
        let value = if request { op.request() } else { op.reply() };
        let value = value.ok_or(ArbError::IncorrectFormat)?;
        let mut header = HVec::new();
        let ty = match family.protocol() {
            Protocol::NetlinkRaw { .. } => value,
            Protocol::Genetlink { version, .. } => {
                let cmd = u8::try_from(value).map_err(|_| ArbError::IncorrectFormat)?;
                let genl = GenlMsgHdr::new(cmd, version);
                header
                    .extend_from_slice(genl.as_bytes())
                    .map_err(|_| ArbError::IncorrectFormat)?;
                family_id
            }
        };
        if let Some(fixed) = op.fixed_header() {
            fixed_header(u, fixed, &mut header)?;
        }
        let flags = flags(u, request, op)?;
        let (seq, pid) = (u.arbitrary()?, u.arbitrary()?);
        let attrs = match op.attr_set() {
            Some(set) => attr_tree(u, set)?,
            None => AttrTree::new(),
        };
        Ok(SpecMessage {
            ty,
            flags,
            seq,
            pid,
            header,
            attrs,
        })
    }

    /// `nlmsg_type`.
    pub fn message_type(&self) -> u16 {
        self.ty
    }

    /// `nlmsg_flags`.
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// The family header: `genlmsghdr` (generic netlink) and the fixed
    /// header.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The family header's length: what `split_family_header` takes, and
    /// what the malformation layer's `family_len` returns for the message.
    pub fn header_len(&self) -> usize {
        self.header.len()
    }

    /// The attributes.
    pub fn attrs(&self) -> &AttrTree<'a> {
        &self.attrs
    }

    /// The message as a description, for the crate's writers and checks.
    pub fn message(&self) -> MessageDesc<'_> {
        MessageDesc {
            ty: self.ty,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            family: &self.header,
            attrs: self.attrs.clone(),
        }
    }

    /// A batch of this one message.
    pub fn netlink(&self) -> NetlinkDesc<'_> {
        let mut desc = NetlinkDesc::default();
        // One message always fits.
        let _ = desc.messages.push(self.message());
        desc
    }

    /// Writes the message into `buf` (at least [`MAX_SPEC_MESSAGE_LEN`]
    /// bytes always suffice), returning its length.
    ///
    /// # Errors
    ///
    /// [`NetlinkDesc::write`]'s.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.netlink().write(buf)
    }

    /// Parses `bytes` with the crate's parser and checks them against the
    /// message, as [`NetlinkDesc::verify`].
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Mismatch> {
        self.netlink().verify(bytes)
    }

    /// The message as an owned description (what [`strategy`] yields).
    #[cfg(feature = "proptest")]
    pub fn to_owned_message(&self) -> OwnedMessage {
        use super::describe::AttrValue;
        let attrs = self
            .attrs
            .nodes()
            .iter()
            .map(|n| OwnedAttrNode {
                depth: n.depth,
                ty: n.ty,
                value: match n.value {
                    AttrValue::Nest => OwnedAttrValue::Nest,
                    AttrValue::Flag => OwnedAttrValue::Flag,
                    AttrValue::U8(v) => OwnedAttrValue::U8(v),
                    AttrValue::U16(v) => OwnedAttrValue::U16(v),
                    AttrValue::U32(v) => OwnedAttrValue::U32(v),
                    AttrValue::U64(v) => OwnedAttrValue::U64(v),
                    AttrValue::Str(s) => OwnedAttrValue::Str(s.into()),
                    AttrValue::Bytes(b) => OwnedAttrValue::Bytes(b.into()),
                },
            })
            .collect();
        OwnedMessage {
            ty: self.ty,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            family: self.header.to_vec(),
            attrs,
        }
    }
}

/// A proptest strategy of `op`'s messages, as [`SpecMessage::generate`]
/// draws them (from bytes proptest draws and shrinks: fewer bytes, fewer
/// and shorter attributes). `view()` on a value gives the description the
/// writers take.
///
/// # Errors
///
/// [`SpecMessage::generate`]'s for an operation it cannot describe.
///
/// ```
/// # #[cfg(feature = "family-nlctrl")] {
/// use procslink::families::nlctrl;
/// use procslink::fuzzing::spec::{MAX_SPEC_MESSAGE_LEN, strategy};
/// use proptest::prelude::*;
///
/// let op = nlctrl::FAMILY.operation("getfamily").unwrap();
/// proptest!(|(msg in strategy(&nlctrl::FAMILY, op, 0x10).unwrap())| {
///     let view = msg.view();
///     let mut buf = vec![0; MAX_SPEC_MESSAGE_LEN];
///     let len = view.write_into(&mut procslink::netlink::Builder::new(&mut buf)).unwrap();
///     prop_assert!(len >= 20);
/// });
/// # }
/// ```
#[cfg(feature = "proptest")]
pub fn strategy(
    family: &'static Family,
    op: &'static Operation,
    family_id: u16,
) -> Result<impl proptest::strategy::Strategy<Value = OwnedMessage>> {
    use proptest::prelude::*;
    // With no bytes every choice takes its first option, so only the
    // operation itself can fail; with any bytes nothing else can.
    SpecMessage::generate(&mut Unstructured::new(&[]), family, op, family_id)?;
    Ok(
        proptest::collection::vec(any::<u8>(), 0..2048).prop_filter_map(
            "the operation generates",
            move |seed| {
                let mut u = Unstructured::new(&seed);
                SpecMessage::generate(&mut u, family, op, family_id)
                    .ok()
                    .map(|m| m.to_owned_message())
            },
        ),
    )
}

/// Draws a run of attributes of `set` (and of the sets its nests and
/// sub-messages name), for a consumer of one attribute set: see
/// [`SpecMessage`] for what values are drawn.
///
/// ```
/// # #[cfg(feature = "family-rt-link")] {
/// use arbitrary::Unstructured;
/// use procslink::families::rt_link;
///
/// let set = rt_link::FAMILY.attr_set("linkinfo-attrs").unwrap();
/// let tree = procslink::fuzzing::spec::attr_tree(&mut Unstructured::new(&[7; 64]), set)?;
/// assert!(tree.nodes().iter().all(|n| n.depth > 0 || set.by_number(n.ty).is_some()));
/// # }
/// # Ok::<(), arbitrary::Error>(())
/// ```
pub fn attr_tree<'a>(u: &mut Unstructured<'a>, set: &AttrSet) -> Result<AttrTree<'a>> {
    draw::attr_tree(u, set)
}

/// Realistic flags for the direction, or (one time in eight) any bits.
fn flags(u: &mut Unstructured<'_>, request: bool, op: &Operation) -> Result<u16> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let mut flags = if request { Flags::REQUEST.bits() } else { 0 };
    if request && u.arbitrary()? {
        flags |= Flags::ACK.bits();
    }
    if op.modes().dump && u.arbitrary()? {
        flags |= if request {
            GetFlags::DUMP.bits()
        } else {
            Flags::MULTI.bits()
        };
    }
    Ok(flags)
}

/// Appends `fixed`'s bytes drawn from `u` (zeros once `u` runs out), its
/// padding members zeroed.
fn fixed_header(
    u: &mut Unstructured<'_>,
    fixed: &StructSpec,
    header: &mut HVec<u8, MAX_SPEC_HEADER>,
) -> Result<()> {
    let start = header.len();
    let size = fixed.size();
    let bytes = u
        .bytes(size)
        .or_else(|_| draw::ZEROS.get(..size).ok_or(ArbError::IncorrectFormat))?;
    header
        .extend_from_slice(bytes)
        .map_err(|_| ArbError::IncorrectFormat)?;
    for member in fixed.members() {
        if member.member_type() == AttrType::Pad {
            let at = start + member.offset();
            if let Some(pad) = header.get_mut(at..at + member.len()) {
                pad.fill(0);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::draw::int_value;
    use super::*;
    use crate::families::ByteOrder;
    use crate::fuzzing::describe::AttrValue;

    /// `count` deterministic inputs of 512 bytes.
    fn inputs(count: usize) -> impl Iterator<Item = [u8; 512]> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..count).map(move |_| {
            let mut bytes = [0u8; 512];
            for b in &mut bytes {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            bytes
        })
    }

    #[test]
    fn integers_are_written_in_the_byte_order_asked() {
        assert_eq!(
            int_value(0x0102, 2, ByteOrder::Big),
            AttrValue::U16(u16::from_ne_bytes([1, 2]))
        );
        assert_eq!(
            int_value(0x0102, 2, ByteOrder::Host),
            AttrValue::U16(0x0102)
        );
        assert_eq!(
            int_value(u64::MAX, 4, ByteOrder::Host),
            AttrValue::U32(u32::MAX)
        );
        assert_eq!(int_value(0x1ff, 1, ByteOrder::Big), AttrValue::U8(0xff));
    }

    #[cfg(feature = "family-rt-link")]
    #[test]
    fn no_input_gives_the_fixed_header_and_no_attributes() {
        use crate::families::rt_link;
        let op = rt_link::FAMILY.operation("getlink").unwrap();
        let msg =
            SpecMessage::generate(&mut Unstructured::new(&[]), &rt_link::FAMILY, op, 0).unwrap();
        assert_eq!(msg.header(), &[0; 16]);
        assert!(msg.attrs().nodes().is_empty());
        assert!([op.request(), op.reply()].contains(&Some(msg.message_type())));
    }

    #[cfg(feature = "family-wireguard")]
    #[test]
    fn strings_keep_to_their_max_len() {
        use crate::families::wireguard;
        let set = wireguard::FAMILY.attr_set("wgdevice").unwrap();
        let ifname = set.by_name("ifname").unwrap();
        let max = ifname.checks().max_len().unwrap() as usize;
        let mut longest = 0;
        for input in inputs(256) {
            let tree = attr_tree(&mut Unstructured::new(&input), set).unwrap();
            for node in tree.nodes().iter().filter(|n| n.depth == 0) {
                if node.ty == ifname.number() {
                    let AttrValue::Str(s) = node.value else {
                        panic!("{node:?}")
                    };
                    assert!(s.len() <= max && !s.contains('\0'), "{s:?}");
                    longest = longest.max(s.len());
                }
            }
        }
        assert_eq!(longest, max);
    }

    #[cfg(feature = "family-netdev")]
    #[test]
    fn integers_keep_to_their_checks_and_reach_the_bounds() {
        use crate::families::netdev;
        let set = netdev::FAMILY.attr_set("napi").unwrap();
        let spec = set.by_name("defer-hard-irqs").unwrap();
        let max = spec.checks().max().unwrap() as u32;
        let mut values = std::vec::Vec::new();
        for input in inputs(256) {
            let tree = attr_tree(&mut Unstructured::new(&input), set).unwrap();
            for node in tree.nodes().iter().filter(|n| n.ty == spec.number()) {
                let AttrValue::U32(v) = node.value else {
                    panic!("{node:?}")
                };
                values.push(v);
            }
        }
        assert!(values.iter().all(|&v| v <= max), "{values:?}");
        assert!(values.contains(&max) && values.contains(&0), "{values:?}");
    }
}
