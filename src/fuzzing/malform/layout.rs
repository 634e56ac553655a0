//! Where a well-formed buffer's messages and attributes are, found with
//! the crate's parsers, and the byte-level helpers the mutations use.

use super::*;

/// Walks every message's attribute runs, depth first, descending where
/// `NLA_F_NESTED` is set.
pub(super) fn walk<F, R, A>(
    bytes: &[u8],
    family_len: F,
    mut on_run: R,
    mut on_attr: A,
) -> Result<(), Error>
where
    F: Fn(usize, &Message<'_>) -> usize,
    R: FnMut(Attrs<'_>) -> Result<(), Error>,
    A: FnMut(&crate::netlink::Attr<'_>) -> Result<(), Error>,
{
    for (i, m) in Messages::new(bytes).enumerate() {
        let m = m?;
        let (_, run) = m.split_family_header(family_len(i, &m))?;
        let mut stack: HVec<Attrs<'_>, WALK_DEPTH> = HVec::new();
        on_run(run.clone())?;
        let _ = stack.push(run);
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(a) => {
                    let a = a?;
                    on_attr(&a)?;
                    if a.is_nested() && !stack.is_full() {
                        on_run(a.nested())?;
                        let _ = stack.push(a.nested());
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(Copy, Clone)]
pub(super) struct MsgT {
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) family: usize,
}

#[derive(Copy, Clone)]
pub(super) struct AttrT {
    pub(super) msg: usize,
    pub(super) index: usize,
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) ty: u16,
    pub(super) depth: usize,
    pub(super) parent: Option<usize>,
    pub(super) run_end: usize,
    pub(super) first_sibling: usize,
    pub(super) has_next: bool,
    /// A leaf whose payload is non-empty and ends in NUL.
    pub(super) strlike: bool,
    /// `strlike`, and [`Attr::str`] accepts it.
    pub(super) str_ok: bool,
}

pub(super) struct Layout {
    pub(super) msgs: HVec<MsgT, MAX_TARGET_MESSAGES>,
    pub(super) attrs: HVec<AttrT, MAX_TARGET_ATTRS>,
    pub(super) complete: bool,
}

impl Layout {
    pub(super) fn new<F>(bytes: &[u8], family_len: F) -> Option<Layout>
    where
        F: Fn(usize, &Message<'_>) -> usize,
    {
        struct Frame<'a> {
            run: Attrs<'a>,
            parent: Option<usize>,
            run_end: usize,
            first: Option<usize>,
            prev: Option<usize>,
        }
        let mut layout = Layout {
            msgs: HVec::new(),
            attrs: HVec::new(),
            complete: true,
        };
        for (i, m) in Messages::new(bytes).enumerate() {
            let m = m.ok()?;
            let family = family_len(i, &m);
            let (_, run) = m.split_family_header(family).ok()?;
            let len = m.header().len() as usize;
            if layout
                .msgs
                .push(MsgT {
                    at: m.offset(),
                    len,
                    family,
                })
                .is_err()
            {
                layout.complete = false;
                break;
            }
            let first_attr = layout.attrs.len();
            let mut stack: HVec<Frame<'_>, WALK_DEPTH> = HVec::new();
            let _ = stack.push(Frame {
                run,
                parent: None,
                run_end: m.offset() + len,
                first: None,
                prev: None,
            });
            while let Some(depth) = stack.len().checked_sub(1) {
                let Some(top) = stack.last_mut() else {
                    break;
                };
                let Some(a) = top.run.next() else {
                    stack.pop();
                    continue;
                };
                let a = a.ok()?;
                let idx = layout.attrs.len();
                if let Some(prev) = top.prev.and_then(|p| layout.attrs.get_mut(p)) {
                    prev.has_next = true;
                }
                let first_sibling = *top.first.get_or_insert(idx);
                top.prev = Some(idx);
                let strlike = !a.is_nested() && a.payload().last() == Some(&0);
                let parent = top.parent;
                let run_end = top.run_end;
                let t = AttrT {
                    msg: i,
                    index: idx - first_attr,
                    at: a.offset(),
                    len: a.len(),
                    ty: a.raw_type(),
                    depth,
                    parent,
                    run_end,
                    first_sibling,
                    has_next: false,
                    strlike,
                    str_ok: strlike && a.str().is_ok(),
                };
                if layout.attrs.push(t).is_err() {
                    layout.complete = false;
                    return Some(layout);
                }
                if a.is_nested() && !stack.is_full() {
                    let _ = stack.push(Frame {
                        run: a.nested(),
                        parent: Some(idx),
                        run_end: a.offset() + a.len(),
                        first: None,
                        prev: None,
                    });
                }
            }
        }
        Some(layout)
    }

    pub(super) fn loc(&self, a: &AttrT) -> AttrLocation {
        AttrLocation {
            message: a.msg,
            attr: a.index,
            depth: a.depth,
            offset: a.at,
        }
    }

    pub(super) fn msg_loc(&self, i: usize) -> MessageLocation {
        MessageLocation {
            message: i,
            offset: self.msgs.get(i).map_or(0, |m| m.at),
        }
    }

    /// Adds `delta` (negative: subtracts) to the lengths of every nest
    /// enclosing attribute `idx` and of its message.
    pub(super) fn adjust_enclosing(
        &self,
        buf: &mut [u8],
        idx: usize,
        set_to_end: Option<usize>,
        delta: usize,
    ) {
        let Some(a) = self.attrs.get(idx) else {
            return;
        };
        let mut parent = a.parent;
        while let Some(p) = parent.and_then(|p| self.attrs.get(p)) {
            let new = match set_to_end {
                Some(end) => end - p.at,
                None => p.len - delta,
            };
            set_u16(buf, p.at, new as u16);
            parent = p.parent;
        }
        if let Some(m) = self.msgs.get(a.msg) {
            let new = match set_to_end {
                Some(end) => end - m.at,
                None => m.len - delta,
            };
            set_u32(buf, m.at, new as u32);
        }
    }
}

pub(super) fn set_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(dst) = buf.get_mut(at..at + 2) {
        dst.copy_from_slice(&v.to_ne_bytes());
    }
}

pub(super) fn set_u32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = buf.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_ne_bytes());
    }
}

pub(super) fn get_u16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at + 2)?;
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

/// Removes `start..end` from `buf[..len]`, returning the new length.
pub(super) fn remove(buf: &mut [u8], len: usize, start: usize, end: usize) -> usize {
    if start < end && end <= len {
        buf.copy_within(end..len, start);
        len - (end - start)
    } else {
        len
    }
}

pub(super) fn pick<T: Copy>(items: impl Iterator<Item = T> + Clone, target: u16) -> Option<T> {
    let n = items.clone().count();
    if n == 0 {
        return None;
    }
    items.clone().nth(target as usize % n)
}
