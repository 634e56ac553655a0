//! Applying a [`Mutation`] to a netlink buffer.

use super::*;

impl Mutation {
    /// Breaks the well-formed netlink buffer `buf[..len]` in place, and
    /// says how.
    ///
    /// The buffer is first walked with the crate's parsers to find the
    /// messages and attributes (`family_len(index, message)` gives each
    /// message's family header size; attributes are descended where
    /// `NLA_F_NESTED` is set). [`Mutation::kind`] is tried first, then the
    /// following kinds in turn, until one has a candidate. Truncation
    /// returns a shorter length; nothing grows. `None` when `buf[..len]`
    /// does not parse or no kind applies (an empty buffer).
    ///
    /// ```
    /// use procslink::fuzzing::{Detector, Malformation, Mutation, MutationKind};
    /// use procslink::netlink::{Builder, MessageType, flags::Flags};
    ///
    /// let mut buf = [0u8; 64];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(MessageType(16), Flags::empty(), 1, 0)?;
    /// m.put_u32(4, 1500)?;
    /// m.finish()?;
    /// let len = b.len();
    ///
    /// let plan = Mutation { kind: MutationKind::AttrLenZero, target: 0, value: 0 };
    /// let applied = plan.apply(&mut buf, len, |_, _| 0).unwrap();
    /// assert!(matches!(applied.malformation, Malformation::AttrLenZero { .. }));
    /// let expected = applied.malformation.expected();
    /// let result = expected.detector().run(&buf[..applied.len], |_, _| 0);
    /// assert!(expected.matches(result));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn apply<F>(&self, buf: &mut [u8], len: usize, family_len: F) -> Option<Applied>
    where
        F: Fn(usize, &Message<'_>) -> usize,
    {
        let layout = Layout::new(buf.get(..len)?, family_len)?;
        let start = MutationKind::ALL.iter().position(|k| *k == self.kind)?;
        (0..MutationKind::ALL.len()).find_map(|i| {
            let kind = MutationKind::ALL[(start + i) % MutationKind::ALL.len()];
            apply_netlink(kind, self.target, self.value, &layout, buf, len)
        })
    }
}

pub(super) fn apply_netlink(
    kind: MutationKind,
    target: u16,
    value: u16,
    layout: &Layout,
    buf: &mut [u8],
    len: usize,
) -> Option<Applied> {
    use MutationKind as K;
    let v = value as usize;
    let msgs = || layout.msgs.iter().copied().enumerate();
    let attrs = || layout.attrs.iter().copied().enumerate();
    let done = |len, malformation| Some(Applied { len, malformation });
    match kind {
        K::MessageLenZero | K::MessageLenTooSmall => {
            let (i, m) = pick(msgs(), target)?;
            let length = if kind == K::MessageLenZero {
                0
            } else {
                1 + (v % 15) as u32
            };
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(
                len,
                if length == 0 {
                    Malformation::MessageLenZero { at }
                } else {
                    Malformation::MessageLenTooSmall { at, length }
                },
            )
        }
        K::MessageLenPastEnd => {
            let (i, m) = pick(msgs(), target)?;
            let available = len - m.at;
            let length = u32::try_from(available).ok()?.checked_add(1)?;
            let length = if value == u16::MAX {
                u32::MAX
            } else {
                length.saturating_add(value as u32)
            };
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(
                len,
                Malformation::MessageLenPastEnd {
                    at,
                    length,
                    available,
                },
            )
        }
        K::MessageLenTooLarge => {
            let (i, m) = pick(msgs().filter(|(_, m)| len - m.at > align(m.len)), target)?;
            let length = u32::try_from(len - m.at).ok()?;
            set_u32(buf, m.at, length);
            let at = layout.msg_loc(i);
            done(len, Malformation::MessageLenTooLarge { at, length })
        }
        K::MessageHeaderTruncated => {
            let (i, m) = pick(msgs(), target)?;
            let available = 1 + v % (NLMSG_HDRLEN - 1);
            let at = layout.msg_loc(i);
            done(
                m.at + available,
                Malformation::MessageHeaderTruncated { at, available },
            )
        }
        K::MessageBodyTruncated => {
            let (i, m) = pick(msgs().filter(|(_, m)| m.len > NLMSG_HDRLEN), target)?;
            let available = NLMSG_HDRLEN + v % (m.len - NLMSG_HDRLEN);
            let at = layout.msg_loc(i);
            done(
                m.at + available,
                Malformation::MessageBodyTruncated {
                    at,
                    length: m.len as u32,
                    available,
                },
            )
        }
        K::FamilyHeaderShort => {
            if !layout.complete {
                return None;
            }
            let (i, m) = pick(msgs().filter(|(_, m)| m.family > 0), target)?;
            let found = v % m.family;
            let new_len = NLMSG_HDRLEN + found;
            let end = (m.at + align(m.len)).min(len);
            set_u32(buf, m.at, new_len as u32);
            let len = remove(buf, len, m.at + align(new_len), end);
            let at = layout.msg_loc(i);
            done(
                len,
                Malformation::FamilyHeaderShort {
                    at,
                    expected: m.family,
                    found,
                },
            )
        }
        K::AttrLenZero | K::AttrLenTooSmall => {
            let (_, a) = pick(attrs(), target)?;
            let length = if kind == K::AttrLenZero {
                0
            } else {
                1 + (v % 3) as u16
            };
            set_u16(buf, a.at, length);
            let at = layout.loc(&a);
            done(
                len,
                if length == 0 {
                    Malformation::AttrLenZero { at }
                } else {
                    Malformation::AttrLenTooSmall { at, length }
                },
            )
        }
        K::AttrLenPastEnd => {
            let max = u16::MAX as usize;
            let (_, a) = pick(attrs().filter(|(_, a)| a.run_end - a.at < max), target)?;
            let available = a.run_end - a.at;
            let length = available + 1 + v % (max - available);
            set_u16(buf, a.at, length as u16);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::AttrLenPastEnd {
                    at,
                    length: length as u16,
                    available,
                },
            )
        }
        K::AttrLenTooLarge => {
            let fits = |a: &AttrT| a.has_next && a.run_end - a.at <= u16::MAX as usize;
            let (_, a) = pick(attrs().filter(|(_, a)| fits(a)), target)?;
            let length = (a.run_end - a.at) as u16;
            set_u16(buf, a.at, length);
            let at = layout.loc(&a);
            done(len, Malformation::AttrLenTooLarge { at, length })
        }
        K::NestedOverrunsParent => {
            let room = |a: &AttrT| (len - a.at).min(u16::MAX as usize);
            let ok = |a: &AttrT| a.depth > 0 && room(a) > a.run_end - a.at;
            let (_, a) = pick(attrs().filter(|(_, a)| ok(a)), target)?;
            let available = a.run_end - a.at;
            let length = available + 1 + v % (room(&a) - available);
            set_u16(buf, a.at, length as u16);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::NestedOverrunsParent {
                    at,
                    length: length as u16,
                    available,
                },
            )
        }
        K::AttrHeaderTruncated => {
            let (idx, a) = pick(attrs(), target)?;
            let available = 1 + v % (NLA_HDRLEN - 1);
            let cut = a.at + available;
            layout.adjust_enclosing(buf, idx, Some(cut), 0);
            let at = layout.loc(&a);
            done(cut, Malformation::AttrHeaderTruncated { at, available })
        }
        K::AttrPayloadTruncated => {
            let (idx, a) = pick(attrs().filter(|(_, a)| a.len > NLA_HDRLEN), target)?;
            let available = NLA_HDRLEN + v % (a.len - NLA_HDRLEN);
            let cut = a.at + available;
            layout.adjust_enclosing(buf, idx, Some(cut), 0);
            let at = layout.loc(&a);
            done(
                cut,
                Malformation::AttrPayloadTruncated {
                    at,
                    length: a.len as u16,
                    available,
                },
            )
        }
        K::MissingPadding => {
            let predict = |a: &AttrT| -> Option<(usize, usize, ErrorKind)> {
                let removed = align(a.len) - a.len;
                if removed == 0 || !a.has_next {
                    return None;
                }
                // In the new layout the parser reads at `next`, which holds
                // what was at `next + removed`.
                let next = a.at + align(a.len);
                let rest = a.run_end - removed - next;
                let kind = if rest < NLA_HDRLEN {
                    ErrorKind::Truncated {
                        needed: NLA_HDRLEN,
                        available: rest,
                    }
                } else {
                    let length = get_u16(buf, next + removed)? as usize;
                    if length < NLA_HDRLEN {
                        ErrorKind::LengthTooSmall {
                            length,
                            min: NLA_HDRLEN,
                        }
                    } else if length > rest {
                        ErrorKind::LengthOverrun {
                            length,
                            available: rest,
                        }
                    } else {
                        return None;
                    }
                };
                Some((removed, next, kind))
            };
            let (idx, a) = pick(attrs().filter(|(_, a)| predict(a).is_some()), target)?;
            let (removed, next, error) = predict(&a)?;
            layout.adjust_enclosing(buf, idx, None, removed);
            let len = remove(buf, len, a.at + a.len, a.at + a.len + removed);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::MissingPadding {
                    at,
                    removed,
                    next,
                    error,
                },
            )
        }
        K::DuplicateType => {
            if !layout.complete {
                return None;
            }
            // The copy must be the last of its type in the run, for the
            // table to keep it.
            let kind_of = |i: usize| layout.attrs.get(i).map(|a| a.ty & NLA_TYPE_MASK);
            let last_of_type = |i: usize, a: &AttrT| {
                let ty = kind_of(a.first_sibling);
                !layout.attrs.iter().skip(i + 1).any(|b| {
                    b.msg == a.msg && b.parent == a.parent && Some(b.ty & NLA_TYPE_MASK) == ty
                })
            };
            let ok = |(i, a): &(usize, AttrT)| a.first_sibling != *i && last_of_type(*i, a);
            let (_, a) = pick(attrs().filter(ok), target)?;
            let first = layout.attrs.get(a.first_sibling)?;
            let attr_type = first.ty & NLA_TYPE_MASK;
            set_u16(buf, a.at + 2, (a.ty & !NLA_TYPE_MASK) | attr_type);
            let at = layout.loc(&a);
            done(
                len,
                Malformation::DuplicateType {
                    at,
                    attr_type,
                    first: first.at,
                },
            )
        }
        K::UnknownType => {
            let known = |a: &AttrT| a.ty & NLA_TYPE_MASK <= MAX_ATTR_TYPE;
            if !layout.complete || !layout.attrs.iter().all(known) {
                return None;
            }
            let (_, a) = pick(attrs(), target)?;
            let span = NLA_TYPE_MASK - MAX_ATTR_TYPE;
            let attr_type = MAX_ATTR_TYPE + 1 + value % span;
            set_u16(buf, a.at + 2, (a.ty & !NLA_TYPE_MASK) | attr_type);
            let at = layout.loc(&a);
            done(len, Malformation::UnknownType { at, attr_type })
        }
        K::InvalidUtf8String => {
            // Only strings before the first one that is already invalid:
            // the detector stops at the first.
            let valid_prefix = layout
                .attrs
                .iter()
                .position(|a| a.strlike && !a.str_ok)
                .unwrap_or(layout.attrs.len());
            let ok = |a: &AttrT| a.str_ok && buf.get(a.at + NLA_HDRLEN).is_some_and(|&b| b != 0);
            let (_, a) = pick(attrs().take(valid_prefix).filter(|(_, a)| ok(a)), target)?;
            *buf.get_mut(a.at + NLA_HDRLEN)? = 0xff;
            let at = layout.loc(&a);
            done(len, Malformation::InvalidUtf8String { at })
        }
    }
}
