//! rtnetlink (`NETLINK_ROUTE`) numbers the kernel's specifications do not
//! hold.
//!
//! The message types, family headers, attributes and flags of links,
//! addresses, routes, neighbours and rules are generated from the kernel's
//! specifications into [`families`](crate::families) (`rt_link`, `rt_addr`,
//! `rt_route`, `rt_neigh`, `rt_rule`; features `family-rt-*`): `RTM_NEWLINK`,
//! `Ifinfomsg`, `IFLA_IFNAME`, `IFF_UP` and the rest are there. What stays
//! here are the address families of `linux/socket.h` and the routing tables
//! of `linux/rtnetlink.h`, which the headers' fields carry and no
//! specification numbers, and the next hops of a multipath route
//! (`struct rtnexthop`, `struct rtvia`), which rt-route's specification
//! leaves as binary attributes.

use zerocopy::byteorder::{I32, NativeEndian, U16};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::attr::NLA_HDRLEN;
use super::header::align;
use super::{Attr, Attrs};
use crate::{Error, ErrorKind};

/// `AF_UNSPEC`: any address family (links, and dumps of every family).
pub const AF_UNSPEC: u8 = 0;
/// `AF_INET`: IPv4.
pub const AF_INET: u8 = 2;
/// `AF_INET6`: IPv6.
pub const AF_INET6: u8 = 10;

/// `RT_TABLE_MAIN`: the main routing table.
pub const RT_TABLE_MAIN: u8 = 254;
/// `RT_TABLE_LOCAL`: the local routing table (local and broadcast
/// addresses).
pub const RT_TABLE_LOCAL: u8 = 255;

/// `sizeof(struct rtnexthop)`: 8 bytes.
pub const RTNH_HDRLEN: usize = 8;

/// `struct rtnexthop` (`linux/rtnetlink.h`): the header of one next hop in
/// a multipath route's `RTA_MULTIPATH`, followed by that hop's attributes
/// (`RTA_GATEWAY`, `RTA_VIA`, …). rt-route's specification leaves
/// `RTA_MULTIPATH` binary; [`NextHops`] reads it.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
)]
#[repr(C)]
pub struct RtNexthop {
    /// `rtnh_len`: the hop's length, this header and its attributes
    /// included (written by [`MessageBuilder::nexthop`](super::MessageBuilder::nexthop)'s
    /// [`end`](super::Nest::end)).
    pub rtnh_len: U16<NativeEndian>,
    /// `rtnh_flags`: `RTNH_F_*`.
    pub rtnh_flags: u8,
    /// `rtnh_hops`: the hop's weight less one.
    pub rtnh_hops: u8,
    /// `rtnh_ifindex`: the outgoing interface.
    pub rtnh_ifindex: I32<NativeEndian>,
}

impl RtNexthop {
    /// A header for the hop through interface `ifindex` with `weight`
    /// (1–256; 0 is read as 1) and `flags`; its length is left for the
    /// builder to write.
    ///
    /// ```
    /// use procslink::netlink::route::RtNexthop;
    ///
    /// let hop = RtNexthop::new(3, 2, 0);
    /// assert_eq!(hop.weight(), 2);
    /// assert_eq!(hop.rtnh_ifindex.get(), 3);
    /// ```
    pub fn new(ifindex: i32, weight: u16, flags: u8) -> Self {
        RtNexthop {
            rtnh_len: U16::new(0),
            rtnh_flags: flags,
            rtnh_hops: u8::try_from(weight.saturating_sub(1)).unwrap_or(u8::MAX),
            rtnh_ifindex: I32::new(ifindex),
        }
    }

    /// The hop's weight, as `ip route` shows it: `rtnh_hops + 1`.
    pub fn weight(&self) -> u16 {
        u16::from(self.rtnh_hops) + 1
    }
}

/// One next hop of `RTA_MULTIPATH`: its header and its attributes,
/// borrowed from the caller's bytes.
#[derive(Copy, Clone, Debug)]
pub struct NextHop<'a> {
    header: &'a RtNexthop,
    attrs: &'a [u8],
    offset: usize,
}

impl<'a> NextHop<'a> {
    /// The hop's `struct rtnexthop`.
    pub fn header(&self) -> &'a RtNexthop {
        self.header
    }

    /// The hop's attributes (`RTA_GATEWAY`, `RTA_VIA`, `RTA_FLOW`, …);
    /// their offsets count from the caller's buffer.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs::with_offset(self.attrs, self.offset.saturating_add(RTNH_HDRLEN))
    }

    /// The offset of the hop's header in the caller's buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// An iterator over the next hops of a multipath route: the payload of
/// `RTA_MULTIPATH`, a run of [`RtNexthop`]s each followed by its
/// attributes.
///
/// Like [`Attrs`], it yields `Err` for the first hop whose header is
/// truncated or whose `rtnh_len` is below 8 or past the end of the run,
/// and then stops for good. Each hop starts at the 4-byte boundary after
/// the one before.
///
/// ```
/// use procslink::netlink::route::{NextHops, RtNexthop};
/// use procslink::netlink::{Builder, Message, MessageType, flags::Flags};
///
/// // `RTM_NEWROUTE`, `RTA_MULTIPATH` and `RTA_GATEWAY` (rt-route's, in
/// // `families::rt_route` with the `family-rt-route` feature).
/// const RTM_NEWROUTE: MessageType = MessageType(24);
/// const RTA_MULTIPATH: u16 = 9;
/// const RTA_GATEWAY: u16 = 5;
///
/// let mut buf = [0u8; 128];
/// let mut b = Builder::new(&mut buf);
/// let mut m = b.message(RTM_NEWROUTE, Flags::REQUEST, 1, 0)?;
/// let mut multipath = m.nest(RTA_MULTIPATH)?;
/// for (ifindex, gateway) in [(2, [10, 0, 0, 1]), (3, [10, 0, 1, 1])] {
///     let mut hop = multipath.nexthop(&RtNexthop::new(ifindex, 1, 0))?;
///     hop.put(RTA_GATEWAY, &gateway)?;
///     hop.end()?;
/// }
/// multipath.end()?;
/// let len = m.finish()?;
///
/// let msg = Message::parse(&buf[..len])?;
/// let (_, mut attrs) = msg.split_family_header(0)?;
/// let multipath = attrs.next().unwrap()?;
/// let mut ifindexes = [0; 2];
/// for (slot, hop) in ifindexes.iter_mut().zip(NextHops::of(&multipath)) {
///     let hop = hop?;
///     *slot = hop.header().rtnh_ifindex.get();
///     assert_eq!(hop.attrs().lookup(RTA_GATEWAY)?.map(|a| a.bytes().len()), Some(4));
/// }
/// assert_eq!(ifindexes, [2, 3]);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NextHops<'a> {
    run: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> NextHops<'a> {
    /// Iterates over the next hops in `run`; error offsets count from its
    /// start.
    pub const fn new(run: &'a [u8]) -> Self {
        Self::with_offset(run, 0)
    }

    /// Iterates over `run`, which starts `offset` bytes into the caller's
    /// buffer; error and hop offsets count from there (saturating at
    /// `usize::MAX`).
    pub const fn with_offset(run: &'a [u8], offset: usize) -> Self {
        NextHops {
            run,
            pos: 0,
            base: offset,
        }
    }

    /// The next hops in an `RTA_MULTIPATH` attribute's payload, with
    /// offsets in the buffer the attribute was read from.
    pub fn of(attr: &Attr<'a>) -> Self {
        Self::with_offset(attr.bytes(), attr.offset().saturating_add(NLA_HDRLEN))
    }

    #[cold]
    fn fail(&mut self, kind: ErrorKind) -> Option<Result<NextHop<'a>, Error>> {
        let offset = self.base.saturating_add(self.pos);
        self.run = &[];
        self.pos = 0;
        Some(Err(Error::new(kind, offset)))
    }
}

impl<'a> Iterator for NextHops<'a> {
    type Item = Result<NextHop<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos;
        if pos >= self.run.len() {
            return None;
        }
        let rest = self.run.get(pos..).unwrap_or(&[]);
        let Some((head, _)) = rest.split_first_chunk::<RTNH_HDRLEN>() else {
            return self.fail(ErrorKind::Truncated {
                needed: RTNH_HDRLEN,
                available: rest.len(),
            });
        };
        let Ok(header) = RtNexthop::ref_from_bytes(head) else {
            return self.fail(ErrorKind::Truncated {
                needed: RTNH_HDRLEN,
                available: rest.len(),
            });
        };
        let len = usize::from(header.rtnh_len.get());
        if len < RTNH_HDRLEN {
            return self.fail(ErrorKind::LengthTooSmall {
                length: len,
                min: RTNH_HDRLEN,
            });
        }
        let Some(attrs) = rest.get(RTNH_HDRLEN..len) else {
            return self.fail(ErrorKind::LengthOverrun {
                length: len,
                available: rest.len(),
            });
        };
        self.pos = pos + align(len);
        Some(Ok(NextHop {
            header,
            attrs,
            offset: self.base.saturating_add(pos),
        }))
    }
}

impl core::iter::FusedIterator for NextHops<'_> {}

/// The address family and the address of `struct rtvia`: the payload of
/// `RTA_VIA`, a gateway of another family than the route's (an IPv4 route
/// through an IPv6 next hop). A payload without its family is an error at
/// the attribute's payload.
///
/// ```
/// use procslink::netlink::Attrs;
/// use procslink::netlink::route::{AF_INET6, rtvia};
///
/// // RTA_VIA (18): AF_INET6, then fe80::1.
/// let mut attr = [0u8; 24];
/// attr[..2].copy_from_slice(&22u16.to_ne_bytes());
/// attr[2..4].copy_from_slice(&18u16.to_ne_bytes());
/// attr[4..6].copy_from_slice(&u16::from(AF_INET6).to_ne_bytes());
/// attr[6] = 0xfe;
/// attr[7] = 0x80;
/// attr[21] = 1;
/// let via = Attrs::new(&attr).next().unwrap()?;
/// let (family, addr) = rtvia(&via)?;
/// assert_eq!((family, addr.len()), (u16::from(AF_INET6), 16));
/// # Ok::<(), procslink::Error>(())
/// ```
pub fn rtvia<'a>(attr: &Attr<'a>) -> Result<(u16, &'a [u8]), Error> {
    let payload = attr.bytes();
    match payload.split_first_chunk::<2>() {
        Some((family, addr)) => Ok((u16::from_ne_bytes(*family), addr)),
        None => Err(Error::new(
            ErrorKind::WrongSize {
                expected: 2,
                found: payload.len(),
            },
            attr.offset().saturating_add(NLA_HDRLEN),
        )),
    }
}
