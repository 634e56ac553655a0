//! `procslink monitor`: print rtnetlink changes as they happen, as
//! `ip monitor` does.
//!
//! One socket joins the multicast groups and reads notifications; a second
//! one answers the questions the printing raises (the name of a link an
//! address or route refers to) and, when notifications were lost (the
//! first socket's receive queue overflowed), dumps the watched tables
//! again so that what is printed after is right.
//!
//! ```text
//! [LINK] 5: veth0@veth1: <BROADCAST,MULTICAST> mtu 1500 state DOWN link/ether 2a:…
//! [ADDR] 5: veth0 inet 10.1.0.1/24 brd 10.1.0.255 scope global veth0
//! [ROUTE] Deleted 10.1.0.0/24 dev veth0 proto kernel scope link src 10.1.0.1
//! [LOST] notifications were lost (the receive queue overflowed): dumping again
//! [SYNC] 4 links, 3 addresses now
//! ```

use std::ffi::OsString;
use std::io::Write as _;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use procslink::families::{rt_addr, rt_link, rt_neigh, rt_route, rt_rule};
use procslink::kernel::{KernelError, KernelSocket, Protocol, SocketOptions, groups};

use crate::dump::{self, Form, Printer, Table};
use crate::objects::{Names, Object};
use crate::{Failure, Out, netns};

/// How long one wait for a notification lasts when no `--timeout` bounds
/// it (the loop waits again).
const WAIT: Duration = Duration::from_secs(3600);

/// Arguments of `procslink monitor`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to watch (any of them; all when none is given).
    #[arg(value_enum)]
    pub what: Vec<Watch>,
    /// Stop after this many changes.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this many seconds (a decimal number).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Watch the network namespace NAME (as `ip netns` names it) instead of
    /// the current one.
    #[arg(long, value_name = "NAME")]
    pub netns: Option<OsString>,
    /// The socket's receive queue, in bytes (`SO_RCVBUF`): a small one
    /// loses notifications under a burst of changes, which the monitor
    /// reports and recovers from.
    #[arg(long, value_name = "BYTES")]
    pub rcvbuf: Option<usize>,
}

/// What `monitor` watches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Watch {
    /// Links appear, change and go.
    Link,
    /// IPv4 and IPv6 addresses.
    Addr,
    /// IPv4 and IPv6 routes.
    Route,
    /// Neighbours (ARP and NDP).
    Neigh,
    /// Routing policy rules.
    Rule,
    /// All of the above.
    All,
}

impl Watch {
    const EACH: [Watch; 5] = [
        Watch::Link,
        Watch::Addr,
        Watch::Route,
        Watch::Neigh,
        Watch::Rule,
    ];

    fn groups(self) -> &'static [u32] {
        match self {
            Watch::Link => &[groups::RTNLGRP_LINK],
            Watch::Addr => &[groups::RTNLGRP_IPV4_IFADDR, groups::RTNLGRP_IPV6_IFADDR],
            Watch::Route => &[groups::RTNLGRP_IPV4_ROUTE, groups::RTNLGRP_IPV6_ROUTE],
            Watch::Neigh => &[groups::RTNLGRP_NEIGH],
            Watch::Rule => &[groups::RTNLGRP_IPV4_RULE, groups::RTNLGRP_IPV6_RULE],
            Watch::All => &[],
        }
    }

    fn table(self) -> Table {
        match self {
            Watch::Link | Watch::All => Table::Link,
            Watch::Addr => Table::Addr,
            Watch::Route => Table::Route,
            Watch::Neigh => Table::Neigh,
            Watch::Rule => Table::Rule,
        }
    }

    /// What a resynchronisation counted, in words.
    fn noun(self) -> &'static str {
        match self {
            Watch::Link | Watch::All => "links",
            Watch::Addr => "addresses",
            Watch::Route => "routes",
            Watch::Neigh => "neighbours",
            Watch::Rule => "rules",
        }
    }
}

/// Runs `procslink monitor`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    let mut watched: Vec<Watch> = if args.what.is_empty() || args.what.contains(&Watch::All) {
        Watch::EACH.to_vec()
    } else {
        Watch::EACH
            .into_iter()
            .filter(|w| args.what.contains(w))
            .collect()
    };
    watched.dedup();
    let deadline = match args.timeout {
        Some(s) if s.is_finite() && s >= 0.0 => Some(Instant::now() + Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(Failure::Code(2, format!("invalid --timeout {s}")));
        }
        None => None,
    };
    netns::enter(args.netns.as_deref())?;
    let options = SocketOptions::new()
        .recv_timeout(Some(WAIT))
        .recv_buffer_size(args.rcvbuf);
    let mut watch = KernelSocket::open_with(Protocol::ROUTE, options)
        .map_err(|e| Failure::msg(format!("cannot open a NETLINK_ROUTE socket: {e}")))?;
    for w in &watched {
        for &group in w.groups() {
            watch
                .join(group)
                .map_err(|e| Failure::msg(format!("cannot join group {group}: {e}")))?;
        }
    }
    let mut requests = dump::open(Protocol::ROUTE)?;
    let (mut names, _) = dump::names(&mut requests)?;
    // Only now are changes seen: say so, for whoever waits to make them.
    let list: Vec<&str> = watched.iter().map(|w| w.table().name()).collect();
    eprintln!("procslink: monitoring {}", list.join(" "));

    let mut seen = 0u64;
    let mut text = Vec::new();
    while args.count.is_none_or(|n| seen < n) {
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(WAIT),
                _ => break,
            },
            None => WAIT,
        };
        watch
            .set_recv_timeout(Some(wait))
            .map_err(|e| Failure::msg(e.to_string()))?;
        let mut notifications = watch.notifications();
        match notifications.next() {
            Ok(msg) => {
                let deleted = matches!(
                    msg.message_type(),
                    rt_link::RTM_DELLINK
                        | rt_addr::RTM_DELADDR
                        | rt_route::RTM_DELROUTE
                        | rt_neigh::RTM_DELNEIGH
                        | rt_rule::RTM_DELRULE
                );
                match Object::route(&msg) {
                    Ok(Some(obj)) => {
                        show(&obj, deleted, &mut names, &mut requests, &mut text)?;
                        seen += 1;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = writeln!(text, "[MALFORMED] {e}");
                    }
                }
            }
            Err(KernelError::Timeout) => {}
            Err(KernelError::EventsLost) => {
                resync(&watched, &mut requests, &mut names, &mut text, out)?;
            }
            Err(e) => return Err(Failure::msg(format!("reading notifications: {e}"))),
        }
        out.write_bytes(&text)?;
        text.clear();
        out.flush()?;
    }
    Ok(())
}

/// Writes one change, `[ROUTE] Deleted …`, learning or forgetting a link's
/// name (and dumping the names again for an object that names a link not
/// known yet).
fn show(
    obj: &Object<'_>,
    deleted: bool,
    names: &mut Names,
    requests: &mut KernelSocket,
    text: &mut Vec<u8>,
) -> Result<(), Failure> {
    if let Object::Link(l) = obj {
        // A link's own name is known from its message.
        names.learn(l, false);
    } else if refers_to_unknown(obj, names) {
        (*names, _) = dump::names(requests)?;
    }
    text.push(b'[');
    text.extend_from_slice(obj.label().as_bytes());
    text.extend_from_slice(b"] ");
    if deleted {
        text.extend_from_slice(b"Deleted ");
    }
    obj.line(names, text);
    text.push(b'\n');
    if let (Object::Link(l), true) = (obj, deleted) {
        names.learn(l, true);
    }
    Ok(())
}

/// Does `obj` name a link by an index not known yet?
fn refers_to_unknown(obj: &Object<'_>, names: &Names) -> bool {
    let index = match obj {
        Object::Addr(a) => Some(a.index),
        Object::Route(r) => r.oif,
        Object::Neigh(n) => Some(n.index),
        _ => None,
    };
    index.is_some_and(|i| !names.knows(i))
}

/// Notifications were lost: says so, dumps every watched table on the
/// second socket and prints what is there now.
fn resync(
    watched: &[Watch],
    requests: &mut KernelSocket,
    names: &mut Names,
    text: &mut Vec<u8>,
    out: &mut Out,
) -> Result<(), Failure> {
    text.extend_from_slice(
        b"[LOST] notifications were lost (the receive queue overflowed): dumping again\n",
    );
    out.write_bytes(text)?;
    text.clear();
    let (fresh, links) = dump::names(requests)?;
    *names = fresh;
    let mut counts = Vec::new();
    for &w in watched {
        let mut printer = Printer::new(w.table(), names, Form::Monitor);
        if w == Watch::Link {
            links.feed(&mut printer)?;
        } else {
            dump::dump(requests, w.table(), &mut printer)?;
        }
        let listed = printer.count;
        out.write_bytes(&printer.finish())?;
        counts.push(format!("{listed} {}", w.noun()));
    }
    let _ = writeln!(text, "[SYNC] {} now", counts.join(", "));
    out.write_bytes(text)?;
    text.clear();
    out.flush()
}
