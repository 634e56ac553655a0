//! A small netlink consumer to fuzz: summarise an rtnetlink link dump.
//!
//! For each `RTM_NEWLINK` up to `NLMSG_DONE` it reads the `ifinfomsg` and
//! the attributes through a policy table (name, MTU, operational state,
//! and the link kind inside `IFLA_LINKINFO`), and classifies the link. An
//! `NLMSG_ERROR` ends the dump with its errno.
//!
//! The logic is [`summarise`]; the crate's fuzz crate includes this file
//! (`#[path]`) in two targets, `link_summary_raw` (the fuzzer's bytes as
//! they are) and `link_summary_structured` (bytes built from a
//! `procslink::fuzzing::NetlinkDesc`, then broken by a
//! `procslink::fuzzing::Mutation`); see the `procslink::fuzzing` docs for
//! what each reached.
//!
//! ```text
//! cargo run --features rtnetlink --example link_summary                    # a built-in dump
//! cargo run --features rtnetlink --example link_summary -- links.bin       # a captured dump
//! ```

use procslink::Error;
use procslink::families::rt_link::{
    IFF_LOOPBACK, IFF_UP, IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MTU, IFLA_OPERSTATE,
    Ifinfomsg, RTM_NEWLINK,
};
use procslink::netlink::display::Escaped;
use procslink::netlink::{AttrKind, AttrPolicy, AttrTable, Messages, Policy};

static INFO: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::String).max_len(16), // IFLA_INFO_KIND
]);

static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::String).max_len(15).required(), // IFLA_IFNAME
    AttrPolicy::new(AttrKind::U32),                           // IFLA_MTU
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8), // IFLA_OPERSTATE
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Nested).nested(&INFO), // IFLA_LINKINFO
]);

/// What kind of link it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// `IFF_LOOPBACK`.
    Loopback,
    /// A virtual link with a kind (`IFLA_INFO_KIND`), e.g. `vxlan`.
    Virtual,
    /// A physical link whose MTU allows jumbo frames.
    Jumbo,
    /// Anything else.
    Plain,
}

/// One link of the dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// `ifi_index`.
    pub index: i32,
    /// `IFLA_IFNAME`: any bytes but NUL (the kernel accepts a link named
    /// `p\xe9`), shown as UTF-8 with other bytes escaped as `\xNN`.
    pub name: String,
    /// `IFLA_MTU`, 0 if absent.
    pub mtu: u32,
    /// `IFLA_OPERSTATE` by name (RFC 2863).
    pub operstate: &'static str,
    /// `IFF_UP`.
    pub up: bool,
    /// The classification.
    pub class: Class,
}

/// The links of a dump, and how it ended.
#[derive(Debug, Default)]
pub struct Summary {
    /// The links, at most 64.
    pub links: Vec<Link>,
    /// Links up and running.
    pub up: usize,
    /// The errno of an `NLMSG_ERROR`, or the status of `NLMSG_DONE`.
    pub status: i32,
    /// Whether `NLMSG_DONE` was seen.
    pub done: bool,
}

fn operstate(v: u8) -> &'static str {
    match v {
        0 => "unknown",
        1 => "notpresent",
        2 => "down",
        3 => "lowerlayerdown",
        4 => "testing",
        5 => "dormant",
        6 => "up",
        _ => "invalid",
    }
}

/// Summarises the link dump in `dump` (one or more received datagrams,
/// concatenated). Stops at `NLMSG_DONE` or `NLMSG_ERROR`; the first
/// malformed message or attribute is the error.
pub fn summarise(dump: &[u8]) -> Result<Summary, Error> {
    let mut summary = Summary::default();
    for message in Messages::new(dump) {
        let message = message?;
        let ty = message.message_type();
        if ty.is_done() {
            summary.done = true;
            summary.status = message.done()?.status();
            break;
        }
        if ty.is_error() {
            summary.status = message.error()?.errno();
            break;
        }
        if ty != RTM_NEWLINK {
            continue;
        }
        let (ifinfo, attrs) = message.family_header::<Ifinfomsg>()?;
        let table = AttrTable::<19>::parse(attrs, &LINK)?;
        let Some(name) = table.get(IFLA_IFNAME) else {
            continue; // the policy requires it; unreachable in practice
        };
        let mut link = Link {
            index: ifinfo.ifi_index.get(),
            name: String::new(),
            mtu: match table.get(IFLA_MTU) {
                Some(a) => a.u32()?,
                None => 0,
            },
            operstate: match table.get(IFLA_OPERSTATE) {
                Some(a) => operstate(a.u8()?),
                None => "unknown",
            },
            up: ifinfo.ifi_flags.get() & IFF_UP != 0,
            class: Class::Plain,
        };
        link.name = Escaped(name.bytes_str()).to_string();
        let kind = match table.get(IFLA_LINKINFO) {
            Some(info) => AttrTable::<2>::parse(info.nested(), &INFO)?
                .get(IFLA_INFO_KIND)
                .map(|k| k.bytes_str()),
            None => None,
        };
        link.class = if ifinfo.ifi_flags.get() & IFF_LOOPBACK != 0 {
            Class::Loopback
        } else if kind.is_some_and(|k| !k.is_empty()) {
            Class::Virtual
        } else if link.mtu > 1500 {
            Class::Jumbo
        } else {
            Class::Plain
        };
        if link.up && link.operstate == "up" {
            summary.up += 1;
        }
        summary.links.push(link);
        if summary.links.len() == 64 {
            break;
        }
    }
    Ok(summary)
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dump = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read(path)?,
        None => procslink::netlink::doc_example_dump().to_vec(),
    };
    let summary = summarise(&dump)?;
    for link in &summary.links {
        println!(
            "{:>3} {:<16} mtu {:>5} {:<8} {:?}{}",
            link.index,
            link.name,
            link.mtu,
            link.operstate,
            link.class,
            if link.up { " UP" } else { "" }
        );
    }
    println!(
        "{} links, {} up; {}",
        summary.links.len(),
        summary.up,
        if summary.done {
            "complete"
        } else {
            "incomplete"
        }
    );
    Ok(())
}
