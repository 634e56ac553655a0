//! `procslink dump`: ask the kernel for a table and print it, one line per
//! object as `ip` prints it, as JSON with `ip -j`'s field names (`-j`), or
//! as the full decoded tree (`-d`, the printer `decode` uses).
//!
//! Everything goes through `procslink::kernel`: the one-line and JSON forms
//! read the dump message by message ([`KernelSocket::dump`]), each object
//! read in place (a borrowed view of its message) and written as it comes
//! into one byte buffer, printed when the dump is complete (a dump the
//! kernel says was interrupted by a change is taken again, up to
//! `DUMP_ATTEMPTS` times, and the text of the broken attempt dropped). The
//! tree, `--summary` and `--raw` keep the exact datagrams, received with
//! [`KernelSocket::recv`] and followed with the crate's `Conversation`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::ValueEnum;
use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
    rt_neigh::{self, Ndmsg},
    rt_route::{self, Rtmsg},
    rt_rule,
};
use procslink::kernel::{KernelError, KernelSocket, Protocol};
use procslink::netlink::conversation::{Conversation, Event, Expect};
use procslink::netlink::display::{self, Escaped};
use procslink::netlink::flags::{Flags, GetFlags};
use procslink::netlink::genl::{CTRL_CMD_GETFAMILY, GENL_ID_CTRL};
use procslink::netlink::{Builder, GenlMsgHdr, Message, Messages, NLMSG_ALIGNTO};
use zerocopy::IntoBytes as _;

use crate::emit::Obj;
use crate::objects::{Addr, Family, Link, Names, Neigh, Object, Route, Rule};
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
        return print(args, &mut socket, Source::Raw { bytes: &raw, seq }, out);
    }
    print(args, &mut socket, Source::Kernel, out)
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

fn parse<'a>(table: Table, msg: &Message<'a>) -> Result<Object<'a>, Failure> {
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

/// What reads a dump's messages as they arrive.
pub trait Sink {
    /// The dump starts, or starts again after the kernel said the table
    /// changed while it was read: whatever an earlier attempt gave is to be
    /// forgotten.
    fn begin(&mut self);
    /// One object's message.
    fn message(&mut self, msg: &Message<'_>) -> Result<(), Failure>;
}

/// Dumps `table` into `sink`, message by message, dumping again when the
/// kernel says the table changed while it was read.
pub fn dump(socket: &mut KernelSocket, table: Table, sink: &mut impl Sink) -> Result<(), Failure> {
    let request = request(table, 0)?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        sink.begin();
        let mut dump = socket.dump(&request).map_err(failed(table))?;
        let mut interrupted = false;
        while let Some(msg) = dump.next() {
            match msg {
                Ok(msg) => sink.message(&msg)?,
                Err(KernelError::DumpInterrupted) if attempts < DUMP_ATTEMPTS => {
                    interrupted = true;
                }
                Err(e) => return Err(failed(table)(e)),
            }
        }
        if !interrupted {
            return Ok(());
        }
    }
}

/// Where the objects to print come from.
#[derive(Copy, Clone)]
enum Source<'r> {
    /// A dump, asked for now.
    Kernel,
    /// The bytes [`collect`] received: the messages of sequence `seq`.
    Raw { bytes: &'r [u8], seq: u32 },
}

impl Source<'_> {
    fn feed(
        self,
        socket: &mut KernelSocket,
        table: Table,
        sink: &mut impl Sink,
    ) -> Result<(), Failure> {
        match self {
            Source::Kernel => dump(socket, table, sink),
            Source::Raw { bytes, seq } => {
                sink.begin();
                for msg in Messages::new(bytes).flatten() {
                    if msg.seq() == seq && msg.message_type().is_family() {
                        sink.message(&msg)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A dump's messages kept whole, one after the other as the kernel sends
/// them, to be read again: the links, whose names must all be known before
/// any is printed (a veth names its peer, a port its master).
#[derive(Default)]
pub struct Kept {
    bytes: Vec<u8>,
}

impl Kept {
    /// The messages kept.
    pub fn messages(&self) -> impl Iterator<Item = Message<'_>> {
        Messages::new(&self.bytes).flatten()
    }

    /// The links kept.
    pub fn links(&self) -> impl Iterator<Item = Link<'_>> {
        self.messages().filter_map(|m| Link::parse(&m).ok())
    }

    /// The names of the links kept, by index.
    pub fn names(&self) -> Names {
        let mut names = Names::default();
        for link in self.links() {
            names.learn(&link, false);
        }
        names
    }

    /// Gives the messages kept to `sink`.
    pub fn feed(&self, sink: &mut impl Sink) -> Result<(), Failure> {
        sink.begin();
        self.messages().try_for_each(|m| sink.message(&m))
    }
}

impl Sink for Kept {
    fn begin(&mut self) {
        self.bytes.clear();
    }

    fn message(&mut self, msg: &Message<'_>) -> Result<(), Failure> {
        // Only links are kept; a malformed one is an error now, as it
        // would be when printed.
        parse(Table::Link, msg)?;
        self.bytes.extend_from_slice(msg.header().as_bytes());
        self.bytes.extend_from_slice(msg.payload());
        self.bytes
            .resize(self.bytes.len().next_multiple_of(NLMSG_ALIGNTO), 0);
        Ok(())
    }
}

/// The link table: the links kept whole and their names.
pub fn names(socket: &mut KernelSocket) -> Result<(Names, Kept), Failure> {
    let mut kept = Kept::default();
    dump(socket, Table::Link, &mut kept)?;
    Ok((kept.names(), kept))
}

/// How [`Printer`] writes each object.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Form {
    /// One line each, as `ip` (`ip -br` for links).
    Lines,
    /// One JSON array, with `ip -j`'s field names.
    Json,
    /// `ip monitor`'s lines: `[ROUTE] ` and the object.
    Monitor,
}

/// Writes each object of a dump, as it arrives, into one buffer, printed
/// when the dump is complete (an interrupted dump is taken again, and what
/// it gave forgotten).
pub struct Printer<'n> {
    table: Table,
    names: &'n Names,
    form: Form,
    text: Vec<u8>,
    /// The objects written.
    pub count: usize,
}

impl<'n> Printer<'n> {
    pub fn new(table: Table, names: &'n Names, form: Form) -> Self {
        Printer {
            table,
            names,
            form,
            text: Vec::new(),
            count: 0,
        }
    }

    /// The text, complete.
    pub fn finish(mut self) -> Vec<u8> {
        if self.form == Form::Json {
            self.text.extend_from_slice(b"]\n");
        }
        self.text
    }
}

impl Sink for Printer<'_> {
    fn begin(&mut self) {
        self.text.clear();
        self.count = 0;
        if self.form == Form::Json {
            self.text.push(b'[');
        }
    }

    fn message(&mut self, msg: &Message<'_>) -> Result<(), Failure> {
        let obj = parse(self.table, msg)?;
        if let Object::Neigh(n) = &obj
            && !n.shown_by_ip()
        {
            return Ok(());
        }
        let text = &mut self.text;
        match (self.form, &obj) {
            (Form::Json, _) => {
                if self.count > 0 {
                    text.push(b',');
                }
                obj.json(self.names, text);
            }
            (Form::Lines, Object::Link(l)) => {
                l.brief(self.names, text);
                text.push(b'\n');
            }
            (Form::Lines, _) => {
                obj.line(self.names, text);
                text.push(b'\n');
            }
            (Form::Monitor, _) => {
                text.push(b'[');
                text.extend_from_slice(obj.label().as_bytes());
                text.extend_from_slice(b"] ");
                obj.line(self.names, text);
                text.push(b'\n');
            }
        }
        self.count += 1;
        Ok(())
    }
}

/// Addresses by link, as `ip -br addr` and `ip -j addr` group them: every
/// link, in the link dump's order, with its addresses, which are written as
/// the address dump gives them into the text of their link.
struct Grouped {
    json: bool,
    /// The position of each link in the link dump, by index.
    slot: HashMap<u32, usize>,
    /// The addresses' text, by link.
    text: Vec<Vec<u8>>,
}

impl Grouped {
    fn new(links: &Kept, json: bool) -> Self {
        let slot: HashMap<u32, usize> = links
            .links()
            .enumerate()
            .map(|(i, l)| (l.index, i))
            .collect();
        let text = vec![Vec::new(); slot.len()];
        Grouped { json, slot, text }
    }

    /// The whole text: each link and its addresses.
    fn finish(self, links: &Kept, names: &Names) -> Vec<u8> {
        let mut out = Vec::new();
        if self.json {
            out.push(b'[');
        }
        for (i, link) in links.links().enumerate() {
            let addrs = self.text.get(i).map_or(&[][..], Vec::as_slice);
            if self.json {
                if i > 0 {
                    out.push(b',');
                }
                let mut o = Obj::begin(&mut out);
                link.json(names, &mut o);
                let buf = o.key("addr_info");
                buf.push(b'[');
                buf.extend_from_slice(addrs);
                buf.push(b']');
                o.end();
            } else {
                link.brief_head(names, &mut out);
                out.extend_from_slice(addrs);
                out.push(b'\n');
            }
        }
        if self.json {
            out.extend_from_slice(b"]\n");
        }
        out
    }
}

impl Sink for Grouped {
    fn begin(&mut self) {
        self.text.iter_mut().for_each(Vec::clear);
    }

    fn message(&mut self, msg: &Message<'_>) -> Result<(), Failure> {
        let Object::Addr(a) = parse(Table::Addr, msg)? else {
            return Ok(());
        };
        let Some(text) = self.slot.get(&a.index).and_then(|&i| self.text.get_mut(i)) else {
            return Ok(());
        };
        if self.json {
            if !text.is_empty() {
                text.push(b',');
            }
            a.json(text);
        } else {
            text.push(b' ');
            a.prefix(text);
        }
        Ok(())
    }
}

fn print(
    args: &Args,
    socket: &mut KernelSocket,
    source: Source<'_>,
    out: &mut Out,
) -> Result<(), Failure> {
    let form = if args.json { Form::Json } else { Form::Lines };
    let text = match args.what {
        Table::Link => {
            let mut links = Kept::default();
            source.feed(socket, Table::Link, &mut links)?;
            let names = links.names();
            let mut printer = Printer::new(Table::Link, &names, form);
            links.feed(&mut printer)?;
            printer.finish()
        }
        Table::Addr => {
            let (names, links) = names(socket)?;
            let mut grouped = Grouped::new(&links, args.json);
            source.feed(socket, Table::Addr, &mut grouped)?;
            grouped.finish(&links, &names)
        }
        table => {
            let names = match table {
                Table::Route | Table::Neigh => names(socket)?.0,
                _ => Names::default(),
            };
            let mut printer = Printer::new(table, &names, form);
            source.feed(socket, table, &mut printer)?;
            printer.finish()
        }
    };
    out.write_bytes(&text)
}

/// The dump request for `what`, with sequence number `seq`.
pub fn request(what: Table, seq: u32) -> Result<Vec<u8>, Failure> {
    let built = |e: procslink::Error| Failure::msg(format!("cannot build the request: {e}"));
    let mut buf = [0u8; 64];
    let mut batch = Builder::new(&mut buf);
    let dump = Flags::REQUEST | GetFlags::DUMP.into();
    let ty = match what {
        Table::Link => rt_link::RTM_GETLINK,
        Table::Addr => rt_addr::RTM_GETADDR,
        Table::Route => rt_route::RTM_GETROUTE,
        Table::Neigh => rt_neigh::RTM_GETNEIGH,
        Table::Rule => rt_rule::RTM_GETRULE,
        Table::Family => GENL_ID_CTRL,
    };
    let mut m = batch.message(ty, dump, seq, 0).map_err(built)?;
    match what {
        Table::Link => {
            m.family_header(&Ifinfomsg::default()).map_err(built)?;
            // As `ip link` asks: IFLA_EXT_MASK = RTEXT_FILTER_VF.
            m.put_u32(rt_link::IFLA_EXT_MASK, rt_link::RtextFilter::VF.bits())
                .map_err(built)?;
        }
        Table::Addr => m.family_header(&Ifaddrmsg::default()).map_err(built)?,
        // `struct fib_rule_hdr` is 12 bytes, like `rtmsg`; all zero asks
        // for every family.
        Table::Route | Table::Rule => m.family_header(&Rtmsg::default()).map_err(built)?,
        Table::Neigh => m.family_header(&Ndmsg::default()).map_err(built)?,
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
