//! `procslink nl`: a request of any family a specification describes, as
//! the kernel's ynl CLI makes it:
//!
//! ```text
//! procslink nl --family rt-link --do getlink --json '{"ifname": "veth0"}'
//! procslink nl --family ethtool --do linkinfo-get --json '{"header": {"dev-name": "veth0"}}'
//! procslink nl --family nlctrl --dump getfamily
//! procslink nl --family rt-link --subscribe rtnlgrp-link --count 1
//! ```
//!
//! rtnetlink families (`netlink-raw`, protocol 0) are spoken over
//! `NETLINK_ROUTE` with their message types and fixed headers; generic
//! netlink families are resolved by name through nlctrl (id, version,
//! operations and multicast groups as this kernel has them). The request's
//! attributes come from `--json` (see `nl_encode.rs`; how a family is
//! reached: `nl_reach.rs`); each reply,
//! dump message or notification is printed as one line of JSON, as
//! `decode --json` prints it.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use procslink::families::{self, Family, Operation};
use procslink::kernel::{KernelError, KernelSocket, SocketOptions};
use procslink::netlink::display::Protocol as Decoding;
use procslink::netlink::flags::{Flags, NewFlags};
use procslink::netlink::{Builder, GenlMsgHdr, Message, align};
use serde_json::{Map, Value};

use crate::nl_reach::{Reached, kernel_has, open, reach};
use crate::{Failure, Out, netns, nl_encode, ynl};

/// How long one wait for a notification lasts when no `--timeout` bounds
/// it (the loop waits again).
const WAIT: Duration = Duration::from_secs(3600);

/// The largest request `--json` may make (a netlink message this size is
/// far beyond any request the kernel takes).
const REQUEST_BUFFER: usize = 64 * 1024;

/// `EINVAL`: what nfnetlink answers a change sent outside a batch.
const EINVAL: i32 = 22;

/// Arguments of `procslink nl`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The family, as its specification names it (`rt-link`, `ethtool`,
    /// `nlctrl`, …).
    #[arg(long, value_name = "NAME")]
    pub family: String,
    /// Send one request of operation OP and print its reply.
    #[arg(long = "do", value_name = "OP", conflicts_with = "dump")]
    pub do_op: Option<String>,
    /// Dump with operation OP and print every message.
    #[arg(long, value_name = "OP")]
    pub dump: Option<String>,
    /// The request's attributes (and fixed-header members), a JSON object
    /// by specification name.
    #[arg(long, value_name = "ATTRS")]
    pub json: Option<String>,
    /// Send several requests in one datagram, each an operation done with
    /// its attributes (`--multi OP ATTRS`, repeated), and print every
    /// reply: what a batch of nftables changes needs (`--multi
    /// batch-begin '{"res-id": 10}' --multi newtable '{…}' --multi
    /// batch-end '{"res-id": 10}'`), as the kernel's ynl CLI does it.
    #[arg(
        long,
        num_args = 2,
        value_names = ["OP", "ATTRS"],
        conflicts_with_all = ["do_op", "dump", "json"]
    )]
    pub multi: Vec<String>,
    /// Print the notifications of multicast group GROUP (after the
    /// request, if one is given).
    #[arg(long, value_name = "GROUP")]
    pub subscribe: Option<String>,
    /// Set `NLM_F_CREATE` on the request: create the object if it does
    /// not exist.
    #[arg(long)]
    pub create: bool,
    /// Set `NLM_F_EXCL`: fail if the object exists.
    #[arg(long)]
    pub excl: bool,
    /// Set `NLM_F_REPLACE`: replace an existing object.
    #[arg(long)]
    pub replace: bool,
    /// Set `NLM_F_APPEND`: add to the end of a list.
    #[arg(long)]
    pub append: bool,
    /// Talk to the network namespace NAME (as `ip netns` names it).
    #[arg(long, value_name = "NAME")]
    pub netns: Option<OsString>,
    /// Stop after this many notifications.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop waiting for notifications after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

/// Runs `procslink nl`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    let usage = |m: String| Failure::Code(2, m);
    let spec = families::family(&args.family).ok_or_else(|| {
        let known: Vec<&str> = families::FAMILIES.iter().map(|f| f.name()).collect();
        usage(format!(
            "no specification of a netlink family named {:?} (known: {})",
            args.family,
            known.join(", ")
        ))
    })?;
    let deadline = match args.timeout {
        Some(s) if s.is_finite() && s >= 0.0 => Some(Instant::now() + Duration::from_secs_f64(s)),
        Some(s) => return Err(usage(format!("invalid --timeout {s}"))),
        None => None,
    };
    let batch = args
        .multi
        .chunks(2)
        .map(|pair| match pair {
            [op, attrs] => Ok((operation(spec, op, false)?, json_object("--multi", attrs)?)),
            _ => Err("--multi takes an operation and its attributes".to_string()),
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(usage)?;
    let request = match (&args.do_op, &args.dump) {
        (Some(op), None) => Some((operation(spec, op, false).map_err(usage)?, false)),
        (None, Some(op)) => Some((operation(spec, op, true).map_err(usage)?, true)),
        _ if args.subscribe.is_some() || !batch.is_empty() => None,
        _ => {
            return Err(usage(
                "say what to do: --do OP, --dump OP, --multi OP ATTRS or --subscribe GROUP".into(),
            ));
        }
    };
    let attrs = match &args.json {
        Some(text) => json_object("--json", text).map_err(usage)?,
        None => Map::new(),
    };
    if request.is_none() && !attrs.is_empty() {
        return Err(usage(
            "--json describes a request: give --do or --dump".into(),
        ));
    }
    netns::enter(args.netns.as_deref())?;
    let mut socket = open(spec)?;
    let reached = reach(spec, &mut socket)?;
    let mut watch = match &args.subscribe {
        Some(group) => Some(subscribe(&reached, group)?),
        None => None,
    };
    let modifiers = [
        (args.create, NewFlags::CREATE),
        (args.excl, NewFlags::EXCL),
        (args.replace, NewFlags::REPLACE),
        (args.append, NewFlags::APPEND),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .fold(NewFlags::empty(), |all, (_, f)| all | f);
    let flags = Flags::REQUEST | modifiers.into();
    if !batch.is_empty() {
        send_batch(&mut socket, &reached, &batch, flags, out)?;
    }
    if let Some((op, dump)) = request {
        kernel_has(&reached, op, dump)?;
        let mut buf = vec![0u8; REQUEST_BUFFER];
        let len = build(&reached, op, &attrs, flags, &mut buf)?;
        send(
            &mut socket,
            &reached,
            op,
            dump,
            buf.get(..len).unwrap_or(&[]),
            out,
        )?;
    }
    if let Some(watch) = &mut watch {
        notifications(&reached, watch, args.count, deadline, out)?;
    }
    Ok(())
}

/// Sends the request and prints every reply (a `--do`'s reply, if any,
/// or every message of a dump).
fn send(
    socket: &mut KernelSocket,
    reached: &Reached,
    op: &Operation,
    dump: bool,
    bytes: &[u8],
    out: &mut Out,
) -> Result<(), Failure> {
    let what = format!("{} {}", if dump { "dump" } else { "do" }, op.name());
    let mut lines = String::new();
    if dump {
        let mut d = socket.dump(bytes).map_err(|e| refused(&what, op, e))?;
        while let Some(msg) = d.next() {
            let msg = msg.map_err(|e| refused(&what, op, e))?;
            line(reached, &msg, &mut lines);
            out.drain(&mut lines)?;
        }
    } else {
        let ack = socket.request_with(bytes, |msg| line(reached, msg, &mut lines));
        out.drain(&mut lines)?;
        let ack = ack.map_err(|e| {
            // A change to a family that takes changes in batches (nftables)
            // is refused alone: say how to send one.
            let batched = reached.spec.operation("batch-begin").is_some()
                && e.refusal().is_some_and(|r| r.errno() == EINVAL);
            match refused(&what, op, e) {
                Failure::Message(text) if batched => Failure::msg(format!(
                    "{text}; family {} takes changes in a batch: --multi batch-begin ATTRS \
                     --multi {} ATTRS --multi batch-end ATTRS",
                    reached.spec.name(),
                    op.name()
                )),
                other => other,
            }
        })?;
        if let Some(warning) = ack.warning() {
            eprintln!("procslink: the kernel warns: {warning}");
        }
    }
    out.flush()
}

/// Builds the requests of `batch` one after another, sends them in one
/// datagram and prints every reply; a refusal names the refused one.
fn send_batch(
    socket: &mut KernelSocket,
    reached: &Reached,
    batch: &[(&'static Operation, Map<String, Value>)],
    flags: Flags,
    out: &mut Out,
) -> Result<(), Failure> {
    let mut buf = vec![0u8; REQUEST_BUFFER];
    let mut len = 0;
    for (op, attrs) in batch {
        kernel_has(reached, op, false)?;
        let rest = buf.get_mut(len..).unwrap_or(&mut []);
        len += align(build(reached, op, attrs, flags, rest)?);
    }
    let mut lines = String::new();
    let acks = socket.request_batch(buf.get(..len).unwrap_or(&[]), |_, msg| {
        line(reached, msg, &mut lines)
    });
    out.drain(&mut lines)?;
    let acks = acks.map_err(|e| {
        let refused_op = e
            .refusal()
            .and_then(|r| Some((r.index(), batch.get(r.index())?.0)));
        match refused_op {
            Some((index, op)) => {
                let what = format!("do {} (request {} of the batch)", op.name(), index + 1);
                refused(&what, op, e)
            }
            None => Failure::msg(format!("the batch failed: {e}")),
        }
    })?;
    for warning in acks.iter().filter_map(|a| a.warning()) {
        eprintln!("procslink: the kernel warns: {warning}");
    }
    out.flush()
}

/// `text` as a JSON object (the attributes of a request given by `what`).
fn json_object(what: &str, text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(format!("{what} takes an object, not {other}")),
        Err(e) => Err(format!("{what} is not valid JSON: {e}")),
    }
}

/// The operation named `name`, if it can be done (or dumped).
fn operation(spec: &'static Family, name: &str, dump: bool) -> Result<&'static Operation, String> {
    let Some(op) = spec.operation(name) else {
        let known: Vec<&str> = spec
            .operations()
            .iter()
            .filter(|o| o.request().is_some())
            .map(Operation::name)
            .collect();
        return Err(format!(
            "family {} has no operation {name:?} (its operations: {})",
            spec.name(),
            known.join(", ")
        ));
    };
    let modes = op.modes();
    if op.request().is_none() || (dump && !modes.dump) || (!dump && !modes.do_) {
        let can: Vec<&str> = [("--do", modes.do_), ("--dump", modes.dump)]
            .into_iter()
            .filter(|(_, ok)| *ok && op.request().is_some())
            .map(|(w, _)| w)
            .collect();
        return Err(format!(
            "operation {name} of family {} cannot be {} (it can be: {})",
            spec.name(),
            if dump { "dumped" } else { "done" },
            if can.is_empty() {
                "neither, it is a notification".to_string()
            } else {
                can.join(", ")
            }
        ));
    }
    Ok(op)
}

/// Writes the request of `op` with the attributes of `attrs`; its length.
fn build(
    reached: &Reached,
    op: &'static Operation,
    attrs: &Map<String, Value>,
    flags: Flags,
    buf: &mut [u8],
) -> Result<usize, Failure> {
    let usage = |e: nl_encode::EncodeError| Failure::Code(2, e.0);
    let request = op.request().unwrap_or(0);
    let (header, rest) =
        nl_encode::fixed_header(op.attr_set(), op.fixed_header(), attrs).map_err(usage)?;
    let mut b = Builder::new(buf);
    let ty = reached.genl.as_ref().map_or(request, |g| g.id);
    let written = (|| {
        let mut m = b.message(ty, flags, 0, 0).map_err(encode_error)?;
        if let Some(g) = &reached.genl {
            let cmd = u8::try_from(request).map_err(|_| {
                nl_encode::EncodeError(format!("command {request} does not fit genlmsghdr"))
            })?;
            m.family_header(&GenlMsgHdr::new(cmd, g.version))
                .map_err(encode_error)?;
        }
        m.put_bytes_raw(&header).map_err(encode_error)?;
        match op.attr_set() {
            Some(set) => nl_encode::attrs(&mut m, set, &rest, 0)?,
            None if !rest.is_empty() => {
                let names: Vec<&String> = rest.keys().collect();
                return Err(nl_encode::EncodeError(format!(
                    "operation {} takes no attributes, but {names:?} were given",
                    op.name()
                )));
            }
            None => {}
        }
        m.finish().map_err(encode_error)
    })();
    let len = written.map_err(usage)?;
    Ok(len)
}

fn encode_error(e: procslink::Error) -> nl_encode::EncodeError {
    nl_encode::EncodeError(format!("the request cannot be written: {e}"))
}

/// A refused request as one line: the operation, the errno and the
/// kernel's extended ack.
fn refused(what: &str, op: &Operation, e: KernelError) -> Failure {
    match e.refusal() {
        Some(r) => {
            let mut text = format!(
                "the kernel refused {what}: errno {} ({})",
                r.errno(),
                r.os_error()
            );
            if let Some(m) = r.message() {
                text.push_str(&format!(": {m}"));
            }
            if let Some(off) = r.bad_attr_offset() {
                text.push_str(&format!(" (attribute at offset {off})"));
            }
            if let Some(t) = r.missing_type() {
                // Named from the request's set when the missing one is at
                // its top level.
                let named = op
                    .attr_set()
                    .filter(|_| r.missing_nest().is_none())
                    .and_then(|s| s.by_number(u16::try_from(t).ok()?));
                match named {
                    Some(a) => {
                        text.push_str(&format!(" (missing attribute {:?}, type {t})", a.name()))
                    }
                    None => text.push_str(&format!(" (missing attribute type {t})")),
                }
            }
            Failure::msg(text)
        }
        None => Failure::msg(format!("{what}: {e}")),
    }
}

/// Appends the ynl-style line of `msg`.
fn line(reached: &Reached, msg: &Message<'_>, lines: &mut String) {
    // rtnetlink's messages name their family by type; every other
    // protocol's are the named family's.
    let family = (reached.decoding != Decoding::Route).then_some(reached.spec);
    let (text, _) = ynl::message(msg, reached.decoding, family);
    lines.push_str(&text);
    lines.push('\n');
}

/// A socket that joined `group`, said on stderr once joined.
fn subscribe(reached: &Reached, group: &str) -> Result<KernelSocket, Failure> {
    let id = match &reached.genl {
        Some(g) => g.groups.iter().find(|(n, _)| n == group).map(|(_, id)| *id),
        None => reached
            .spec
            .mcast_groups()
            .iter()
            .find(|g| g.name() == group)
            .and_then(|g| g.value()),
    };
    let Some(id) = id else {
        let known: Vec<String> = match &reached.genl {
            Some(g) => g.groups.iter().map(|(n, _)| n.clone()).collect(),
            None => reached
                .spec
                .mcast_groups()
                .iter()
                .map(|g| g.name().to_string())
                .collect(),
        };
        return Err(Failure::Code(
            2,
            format!(
                "family {} has no multicast group {group:?} here (its groups: {})",
                reached.spec.name(),
                known.join(", ")
            ),
        ));
    };
    let options = SocketOptions::new().recv_timeout(Some(WAIT));
    let mut socket = KernelSocket::open_with(reached.protocol, options)
        .map_err(|e| Failure::msg(format!("cannot open a netlink socket: {e}")))?;
    socket
        .join(id)
        .map_err(|e| Failure::msg(format!("cannot join multicast group {group} ({id}): {e}")))?;
    eprintln!("procslink: subscribed to {group}");
    Ok(socket)
}

/// Prints notifications until `count` of them or the deadline.
fn notifications(
    reached: &Reached,
    socket: &mut KernelSocket,
    count: Option<u64>,
    deadline: Option<Instant>,
    out: &mut Out,
) -> Result<(), Failure> {
    let mut seen = 0u64;
    let mut lines = String::new();
    while count.is_none_or(|n| seen < n) {
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(WAIT),
                _ => break,
            },
            None => WAIT,
        };
        socket
            .set_recv_timeout(Some(wait))
            .map_err(|e| Failure::msg(e.to_string()))?;
        match socket.notifications().next() {
            Ok(msg) => {
                line(reached, &msg, &mut lines);
                seen += 1;
            }
            Err(KernelError::Timeout) => {}
            Err(KernelError::EventsLost) => {
                lines.push_str("{\"lost\":true}\n");
            }
            Err(e) => return Err(Failure::msg(format!("reading notifications: {e}"))),
        }
        out.drain(&mut lines)?;
        out.flush()?;
    }
    Ok(())
}
