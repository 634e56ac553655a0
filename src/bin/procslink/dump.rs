//! `procslink dump`: ask the kernel for a table and print it, one line per
//! object as `ip` prints it, as JSON with `ip -j`'s field names (`-j`), or
//! as the full decoded tree (`-d`, the printer `decode` uses).
//!
//! Everything goes through `procslink::kernel`: the one-line and JSON forms
//! read the dump message by message ([`KernelSocket::dump`]); the tree,
//! `--summary` and `--raw` keep the exact datagrams, received with
//! [`KernelSocket::recv`] and followed with the crate's `Conversation`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::ValueEnum;
use procslink::kernel::{KernelError, KernelSocket, Protocol};
use procslink::netlink::conversation::{Conversation, Event, Expect};
use procslink::netlink::display::{self, Escaped};
use procslink::netlink::flags::{Flags, GetFlags};
use procslink::netlink::genl::{CTRL_CMD_GETFAMILY, GENL_ID_CTRL};
use procslink::netlink::route::{self, IfAddrMsg, IfInfoMsg, NdMsg, RtMsg};
use procslink::netlink::{Builder, GenlMsgHdr, Message, Messages, NLMSG_ALIGNTO};
use serde_json::Value;

use crate::objects::{self, Addr, Family, Link, Names, Neigh, Object, Route, Rule};
use crate::{Failure, Out, decode, netns};

/// How often a dump the kernel reports as interrupted (the table changed
/// while it was read) is taken again before giving up.
const DUMP_ATTEMPTS: usize = 5;

/// Arguments of `procslink dump`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to dump.
    #[arg(value_enum)]
    pub what: Table,
    /// Print the full decoded tree of every message.
    #[arg(short = 'd', long = "detail", conflicts_with = "json")]
    pub detail: bool,
    /// Print JSON, with the field names of `ip -j`.
    #[arg(short = 'j', long, conflicts_with = "summary")]
    pub json: bool,
    /// Print counts (messages, top-level attributes, by type) instead of the
    /// objects.
    #[arg(long)]
    pub summary: bool,
    /// Also save the bytes received, as `decode` reads them.
    #[arg(long, value_name = "FILE")]
    pub raw: Option<PathBuf>,
    /// Dump the network namespace NAME (as `ip netns` names it) instead of
    /// the current one.
    #[arg(long, value_name = "NAME")]
    pub netns: Option<OsString>,
}

/// The tables `dump` asks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// Network interfaces (RTM_GETLINK).
    Link,
    /// Interface addresses, by link (RTM_GETADDR).
    Addr,
    /// Routes of every table, IPv4 and IPv6 (RTM_GETROUTE).
    Route,
    /// Neighbours: ARP and NDP entries (RTM_GETNEIGH); as with `ip neigh`,
    /// NOARP entries are left out.
    Neigh,
    /// Routing policy rules, IPv4 and IPv6 (RTM_GETRULE).
    Rule,
    /// Generic netlink families (CTRL_CMD_GETFAMILY on NETLINK_GENERIC).
    Family,
}

impl Table {
    fn protocol(self) -> Protocol {
        match self {
            Table::Family => Protocol::GENERIC,
            _ => Protocol::ROUTE,
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Table::Link => "link",
            Table::Addr => "addr",
            Table::Route => "route",
            Table::Neigh => "neigh",
            Table::Rule => "rule",
            Table::Family => "family",
        }
    }

    fn display_protocol(self) -> display::Protocol {
        match self {
            Table::Family => display::Protocol::Generic,
            _ => display::Protocol::Route,
        }
    }
}

/// Runs `procslink dump`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    netns::enter(args.netns.as_deref())?;
    let mut socket = open(args.what.protocol())?;
    if args.detail || args.summary || args.raw.is_some() {
        let Collected { raw, seq, outcome } = collect(&mut socket, args.what)?;
        if let Some(path) = &args.raw {
            std::fs::write(path, &raw)
                .map_err(|e| Failure::msg(format!("cannot write {}: {e}", path.display())))?;
        }
        if args.detail || args.summary {
            decode::netlink(&raw, args.what.display_protocol(), args.summary, out)?;
            return outcome;
        }
        outcome?;
        // The objects, read back from the bytes received.
        let mut objects = Vec::new();
        for msg in Messages::new(&raw).flatten() {
            if msg.seq() == seq && msg.message_type().is_family() {
                objects.push(parse(args.what, &msg)?);
            }
        }
        return print(args, &mut socket, objects, out);
    }
    let objects = dump(&mut socket, args.what)?;
    print(args, &mut socket, objects, out)
}

/// Opens a socket of `protocol`, with the error `procslink`'s tests look
/// for.
pub fn open(protocol: Protocol) -> Result<KernelSocket, Failure> {
    KernelSocket::open(protocol)
        .map_err(|e| Failure::msg(format!("cannot open a {protocol} socket: {e}")))
}

/// The kernel's error, as one line.
pub fn failed(what: Table) -> impl Fn(KernelError) -> Failure {
    move |e| Failure::msg(format!("the {} dump failed: {e}", what.name()))
}

fn parse(table: Table, msg: &Message<'_>) -> Result<Object, Failure> {
    let bad = |e: procslink::Error| Failure::msg(format!("malformed reply from the kernel: {e}"));
    Ok(match table {
        Table::Link => Object::Link(Link::parse(msg).map_err(bad)?),
        Table::Addr => Object::Addr(Addr::parse(msg).map_err(bad)?),
        Table::Route => Object::Route(Route::parse(msg).map_err(bad)?),
        Table::Neigh => Object::Neigh(Neigh::parse(msg).map_err(bad)?),
        Table::Rule => Object::Rule(Rule::parse(msg).map_err(bad)?),
        Table::Family => Object::Family(Family::parse(msg).map_err(bad)?),
    })
}

/// Dumps `table` and reads its objects, dumping again when the kernel says
/// the table changed while it was read.
pub fn dump(socket: &mut KernelSocket, table: Table) -> Result<Vec<Object>, Failure> {
    let request = request(table, 0)?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut objects = Vec::new();
        let mut dump = socket.dump(&request).map_err(failed(table))?;
        let mut interrupted = false;
        while let Some(msg) = dump.next() {
            match msg {
                Ok(msg) => objects.push(parse(table, &msg)?),
                Err(KernelError::DumpInterrupted) if attempts < DUMP_ATTEMPTS => {
                    interrupted = true;
                }
                Err(e) => return Err(failed(table)(e)),
            }
        }
        if !interrupted {
            return Ok(objects);
        }
    }
}

/// The names of the links, by index.
pub fn names(socket: &mut KernelSocket) -> Result<(Names, Vec<Link>), Failure> {
    let mut names = Names::default();
    let mut links = Vec::new();
    for obj in dump(socket, Table::Link)? {
        if let Object::Link(l) = obj {
            names.learn(&l, false);
            links.push(l);
        }
    }
    Ok((names, links))
}

fn print(
    args: &Args,
    socket: &mut KernelSocket,
    objects: Vec<Object>,
    out: &mut Out,
) -> Result<(), Failure> {
    let (names, links) = match args.what {
        Table::Family | Table::Rule => (Names::default(), Vec::new()),
        Table::Link => {
            let mut names = Names::default();
            for o in &objects {
                if let Object::Link(l) = o {
                    names.learn(l, false);
                }
            }
            (names, Vec::new())
        }
        _ => names(socket)?,
    };
    if args.what == Table::Addr {
        return print_addresses(args.json, &links, &objects, &names, out);
    }
    let mut text = String::new();
    let mut json = Vec::new();
    for obj in &objects {
        if args.json {
            json.push(match obj {
                Object::Link(l) => Value::Object(l.json(&names)),
                Object::Route(r) => r.json(&names),
                Object::Neigh(n) if n.shown_by_ip() => n.json(&names),
                Object::Rule(r) => r.json(),
                Object::Family(f) => f.json(),
                Object::Neigh(_) | Object::Addr(_) => continue,
            });
            continue;
        }
        let line = match obj {
            Object::Link(l) => l.brief(&names),
            Object::Route(r) => r.line(&names),
            Object::Neigh(n) if n.shown_by_ip() => n.line(&names),
            Object::Rule(r) => r.line(),
            Object::Family(f) => f.line(),
            Object::Neigh(_) | Object::Addr(_) => continue,
        };
        text.push_str(&line);
        text.push('\n');
        out.drain(&mut text)?;
    }
    if args.json {
        write_json(json, out)?;
    }
    Ok(())
}

fn write_json(values: Vec<Value>, out: &mut Out) -> Result<(), Failure> {
    let mut text = serde_json::to_string(&Value::Array(values))
        .map_err(|e| Failure::msg(format!("cannot write JSON: {e}")))?;
    text.push('\n');
    out.drain(&mut text)
}

/// Addresses by link, as `ip -br addr` and `ip -j addr` group them: every
/// link, in the link dump's order, with its addresses.
fn print_addresses(
    json: bool,
    links: &[Link],
    objects: &[Object],
    names: &Names,
    out: &mut Out,
) -> Result<(), Failure> {
    let addrs_of = |index: u32| {
        objects.iter().filter_map(move |o| match o {
            Object::Addr(a) if a.index == index => Some(a),
            _ => None,
        })
    };
    if json {
        let mut values = Vec::new();
        for link in links {
            let mut o = link.json(names);
            let info: Vec<Value> = addrs_of(link.index).map(Addr::json).collect();
            o.insert("addr_info".into(), Value::Array(info));
            values.push(Value::Object(o));
        }
        return write_json(values, out);
    }
    let mut text = String::new();
    for link in links {
        text.push_str(&format!(
            "{:<16} {:<14}",
            link.shown_name(names),
            link.state()
        ));
        for a in addrs_of(link.index) {
            text.push(' ');
            text.push_str(&a.prefix());
        }
        text.push('\n');
        out.drain(&mut text)?;
    }
    Ok(())
}

/// The dump request for `what`, with sequence number `seq`.
pub fn request(what: Table, seq: u32) -> Result<Vec<u8>, Failure> {
    let built = |e: procslink::Error| Failure::msg(format!("cannot build the request: {e}"));
    let mut buf = [0u8; 64];
    let mut batch = Builder::new(&mut buf);
    let dump = Flags::REQUEST | GetFlags::DUMP.into();
    let ty = match what {
        Table::Link => route::RTM_GETLINK,
        Table::Addr => route::RTM_GETADDR,
        Table::Route => route::RTM_GETROUTE,
        Table::Neigh => route::RTM_GETNEIGH,
        Table::Rule => objects::RTM_GETRULE,
        Table::Family => GENL_ID_CTRL,
    };
    let mut m = batch.message(ty, dump, seq, 0).map_err(built)?;
    match what {
        Table::Link => {
            m.family_header(&IfInfoMsg::default()).map_err(built)?;
            // As `ip link` asks: IFLA_EXT_MASK = RTEXT_FILTER_VF.
            m.put_u32(route::IFLA_EXT_MASK, route::RTEXT_FILTER_VF)
                .map_err(built)?;
        }
        Table::Addr => m.family_header(&IfAddrMsg::default()).map_err(built)?,
        // `struct fib_rule_hdr` is 12 bytes, like `rtmsg`; all zero asks
        // for every family.
        Table::Route | Table::Rule => m.family_header(&RtMsg::default()).map_err(built)?,
        Table::Neigh => m.family_header(&NdMsg::default()).map_err(built)?,
        Table::Family => m
            .family_header(&GenlMsgHdr::new(CTRL_CMD_GETFAMILY, 1))
            .map_err(built)?,
    }
    m.finish().map_err(built)?;
    Ok(batch.into_bytes().to_vec())
}

/// A dump's bytes, as [`collect`] received them.
struct Collected {
    /// The datagrams, concatenated.
    raw: Vec<u8>,
    /// The request's sequence number.
    seq: u32,
    /// An error if the kernel reported one.
    outcome: Result<(), Failure>,
}

/// Sends the dump request for `what` and receives the answer whole: every
/// datagram up to and including the one that ends the dump, concatenated
/// (each aligned, so that they read back as one run of messages). Returns
/// the bytes, the request's sequence number and the dump's outcome (an
/// error if the kernel reported one: the bytes are still returned, to be
/// printed).
fn collect(socket: &mut KernelSocket, what: Table) -> Result<Collected, Failure> {
    let mut conv = Conversation::new(socket.port());
    let seq = conv.begin(Expect::Dump);
    let request = request(what, seq)?;
    socket.send(&request).map_err(failed(what))?;
    let mut raw = Vec::new();
    let mut outcome = Ok(());
    while !conv.is_finished() {
        let datagram = socket.recv().map_err(failed(what))?;
        raw.resize(raw.len().next_multiple_of(NLMSG_ALIGNTO), 0);
        raw.extend_from_slice(datagram);
        for event in conv.feed(datagram) {
            match event {
                Event::Error(f) => {
                    let text = f
                        .ext_ack()
                        .message_bytes()
                        .map(|m| format!(": {}", Escaped(m)))
                        .unwrap_or_default();
                    let what = if f.is_done() {
                        "the dump failed"
                    } else {
                        "the kernel refused the dump"
                    };
                    outcome = Err(Failure::msg(format!(
                        "{what}: {} ({}){text}",
                        crate::tree::errno_text(f.errno()),
                        f.errno()
                    )));
                }
                Event::Done(d) if d.is_interrupted() => {
                    outcome = Err(Failure::msg(KernelError::DumpInterrupted));
                }
                _ => {}
            }
        }
    }
    Ok(Collected { raw, seq, outcome })
}
