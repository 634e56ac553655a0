//! Routing policy rules (`RTM_NEWRULE`), as `ip rule` shows them.

use std::io::Write as _;

use procslink::Error;
use procslink::families::rt_rule::{
    FRA_DST, FRA_FWMARK, FRA_FWMASK, FRA_GOTO, FRA_IIFNAME, FRA_OIFNAME, FRA_PRIORITY, FRA_SRC,
    FRA_TABLE, FibRuleHdr,
};
use procslink::netlink::Message;

use super::{family_name, table_name, u32_of};
use crate::emit::{self, Obj};

/// `FIB_RULE_INVERT` of `linux/fib_rules.h` (`ip rule not …`), which
/// rt-rule's specification leaves out of `fib-rule-hdr`'s plain `flags`.
const FIB_RULE_INVERT: u32 = 0x2;

/// A routing policy rule (`RTM_NEWRULE`).
pub struct Rule<'a> {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub action: u8,
    pub flags: u32,
    pub table: u32,
    pub priority: u32,
    pub src: Option<&'a [u8]>,
    pub dst: Option<&'a [u8]>,
    pub iif: Option<&'a [u8]>,
    pub oif: Option<&'a [u8]>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    pub goto: Option<u32>,
}

impl<'a> Rule<'a> {
    pub fn parse(msg: &Message<'a>) -> Result<Rule<'a>, Error> {
        let (hdr, attrs) = msg.family_header::<FibRuleHdr>()?;
        let mut r = Rule {
            family: hdr.family,
            dst_len: hdr.dst_len,
            src_len: hdr.src_len,
            table: u32::from(hdr.table),
            action: hdr.action,
            flags: hdr.flags.get(),
            priority: 0,
            src: None,
            dst: None,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            goto: None,
        };
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                FRA_SRC => r.src = Some(attr.bytes()),
                FRA_DST => r.dst = Some(attr.bytes()),
                FRA_IIFNAME => r.iif = Some(attr.bytes_str()),
                FRA_OIFNAME => r.oif = Some(attr.bytes_str()),
                FRA_PRIORITY => r.priority = u32_of(&attr).unwrap_or(0),
                FRA_FWMARK => r.fwmark = u32_of(&attr),
                FRA_FWMASK => r.fwmask = u32_of(&attr),
                FRA_TABLE => r.table = u32_of(&attr).unwrap_or(r.table),
                FRA_GOTO => r.goto = u32_of(&attr),
                _ => {}
            }
        }
        Ok(r)
    }

    /// `all`, a host address, or a prefix.
    fn prefix(buf: &mut Vec<u8>, bytes: Option<&[u8]>, len: u8) {
        match bytes {
            None => buf.extend_from_slice(b"all"),
            Some(a) => {
                emit::addr(buf, a);
                if len != 32 && len != 128 {
                    buf.push(b'/');
                    emit::num(buf, len);
                }
            }
        }
    }

    fn write_action(&self, buf: &mut Vec<u8>) {
        let word = match self.action {
            1 => {
                buf.extend_from_slice(b"lookup ");
                table_name(self.table).write(buf);
                return;
            }
            2 => {
                buf.extend_from_slice(b"goto ");
                emit::num(buf, self.goto.unwrap_or(0));
                return;
            }
            3 => "nop",
            6 => "blackhole",
            7 => "unreachable",
            8 => "prohibit",
            a => {
                buf.extend_from_slice(b"action ");
                emit::num(buf, a);
                return;
            }
        };
        buf.extend_from_slice(word.as_bytes());
    }

    /// `ip rule`: `32766:` and a tab, then `from all lookup main`.
    pub fn line(&self, buf: &mut Vec<u8>) {
        emit::num(buf, self.priority);
        buf.extend_from_slice(b":\t");
        if self.flags & FIB_RULE_INVERT != 0 {
            buf.extend_from_slice(b"not ");
        }
        buf.extend_from_slice(b"from ");
        Self::prefix(buf, self.src, self.src_len);
        if let Some(d) = self.dst {
            buf.extend_from_slice(b" to ");
            Self::prefix(buf, Some(d), self.dst_len);
        }
        if let Some(m) = self.fwmark {
            let _ = write!(buf, " fwmark {m:#x}");
            if let Some(mask) = self.fwmask.filter(|&m| m != u32::MAX) {
                let _ = write!(buf, "/{mask:#x}");
            }
        }
        if let Some(i) = self.iif {
            buf.extend_from_slice(b" iif ");
            emit::escaped(buf, i);
        }
        if let Some(o) = self.oif {
            buf.extend_from_slice(b" oif ");
            emit::escaped(buf, o);
        }
        buf.push(b' ');
        self.write_action(buf);
    }

    /// `ip -j rule`'s fields, in `ip`'s order, then the family.
    pub fn json(&self, buf: &mut Vec<u8>) {
        let mut o = Obj::begin(buf);
        o.num("priority", self.priority);
        if self.flags & FIB_RULE_INVERT != 0 {
            o.null("not");
        }
        match self.src {
            Some(s) => {
                o.text("src", |buf| emit::addr(buf, s));
                o.num("srclen", self.src_len);
            }
            None => o.str("src", "all"),
        }
        if let Some(d) = self.dst {
            o.text("dst", |buf| emit::addr(buf, d));
            o.num("dstlen", self.dst_len);
        }
        if let Some(m) = self.fwmark {
            o.display("fwmark", format_args!("{m:#x}"));
            if let Some(mask) = self.fwmask.filter(|&m| m != u32::MAX) {
                o.display("fwmask", format_args!("{mask:#x}"));
            }
        }
        if let Some(i) = self.iif {
            o.escaped("iif", i);
        }
        if let Some(i) = self.oif {
            o.escaped("oif", i);
        }
        match self.action {
            1 => table_name(self.table).member(&mut o, "table"),
            2 => o.num("goto", self.goto.unwrap_or(0)),
            _ => o.text("action", |buf| self.write_action(buf)),
        }
        family_name(self.family).member(&mut o, "family");
        o.end();
    }
}
