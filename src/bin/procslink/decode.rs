//! `procslink decode`: bytes from a file or stdin, printed as a tree.

use std::path::PathBuf;

use clap::ValueEnum;
use procslink::Error;
use procslink::netlink::Messages;
use procslink::netlink::display::Protocol;
use procslink::procslink::Datagram;

use procslink::families::Family;

use crate::envmsg::Layout;
use crate::stats::Stats;
use crate::tree;
use crate::{Failure, Out, envmsg, input, json, spec, ynl};

/// Arguments of `procslink decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What the bytes are.
    #[arg(long = "as", value_enum, default_value_t = Format::Netlink)]
    pub format: Format,
    /// The netlink protocol, which decides what message types mean.
    #[arg(long, value_enum, default_value_t = Proto::Route)]
    pub protocol: Proto,
    /// The input is hex text (whitespace, `:`, `,` and `0x` are ignored).
    #[arg(long)]
    pub hex: bool,
    /// Print counts (messages, top-level attributes, by type) instead of the
    /// tree.
    #[arg(long)]
    pub summary: bool,
    /// Print each netlink message as one line of JSON, as the kernel's ynl
    /// prints it (spec names, nests as objects, display hints applied).
    #[arg(long, conflicts_with = "summary")]
    pub json: bool,
    /// With `--protocol generic`: the generic netlink family whose messages
    /// the capture holds (its specification's name: ethtool, wireguard, …),
    /// as family ids are given at run time. The controller's messages are
    /// named without it.
    #[arg(long, value_name = "NAME")]
    pub family: Option<String>,
    /// With `--as envmsg`: the `envmsghdr` layout the peers use
    /// (`ports-id` is pyroute2 0.2.10 and later, `ports` 0.2.2, `basic` the
    /// seed document's).
    #[arg(long, value_enum, default_value_t = Layout::PortsId)]
    pub envelope: Layout,
    /// The file to read; `-` or nothing reads stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// The formats `decode` reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Kernel netlink messages in host byte order (a datagram or a dump).
    Netlink,
    /// ProcsLink datagrams (big-endian headers, JSON-RPC payload).
    Procslink,
    /// pyroute2 envelope transport messages.
    Envmsg,
}

/// The netlink protocols whose message types `decode` names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    /// NETLINK_ROUTE (rtnetlink: links, addresses, routes, neighbours).
    Route,
    /// NETLINK_GENERIC (the controller's families, ops, groups).
    Generic,
}

impl Proto {
    /// The crate's name table for this protocol.
    pub fn protocol(self) -> Protocol {
        match self {
            Proto::Route => Protocol::Route,
            Proto::Generic => Protocol::Generic,
        }
    }
}

/// How `decode` prints netlink messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Print {
    /// The decoded tree.
    Tree,
    /// Counts.
    Summary,
    /// One line of ynl-style JSON per message.
    Json,
}

/// Runs `procslink decode`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    if args.json && args.format != Format::Netlink {
        return Err(Failure::msg(
            "--json prints kernel netlink messages (--as netlink) only",
        ));
    }
    let genl = match &args.family {
        Some(_) if args.protocol != Proto::Generic => {
            return Err(Failure::msg(
                "--family names a generic netlink family: use it with --protocol generic",
            ));
        }
        Some(name) => Some(spec::genl_family(name).map_err(Failure::msg)?),
        None => None,
    };
    let raw = input::read(&args.input)?;
    let bytes = if args.hex { input::hex(&raw)? } else { raw };
    let print = match (args.summary, args.json) {
        (true, _) => Print::Summary,
        (_, true) => Print::Json,
        _ => Print::Tree,
    };
    match args.format {
        Format::Netlink => netlink_as(&bytes, args.protocol.protocol(), print, genl, out),
        Format::Procslink => json::datagrams(&bytes, args.summary, out),
        Format::Envmsg => envmsg::decode(
            &bytes,
            args.envelope,
            args.protocol.protocol(),
            args.summary,
            out,
        ),
    }
}

/// Prints the netlink messages in `buf` (or their counts), then fails with
/// the first structural error, if any, and its offset.
pub fn netlink(
    buf: &[u8],
    protocol: Protocol,
    summary: bool,
    out: &mut Out,
) -> Result<(), Failure> {
    let print = if summary { Print::Summary } else { Print::Tree };
    netlink_as(buf, protocol, print, None, out)
}

/// Prints the netlink messages in `buf` as `print` says, naming the
/// messages of generic netlink ids other than the controller's by the
/// specification of `genl`; then fails as [`netlink`] does.
pub fn netlink_as(
    buf: &[u8],
    protocol: Protocol,
    print: Print,
    genl: Option<&'static Family>,
    out: &mut Out,
) -> Result<(), Failure> {
    let summary = print == Print::Summary;
    let mut text = String::new();
    let mut stats = Stats::default();
    let mut first: Option<Error> = None;
    for msg in Messages::new(buf) {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                first.get_or_insert(e);
                break;
            }
        };
        if summary {
            if let Err(e) = stats.add(&msg, protocol) {
                first.get_or_insert(e);
            }
        } else if print == Print::Json {
            let (line, error) = ynl::message(&msg, protocol, genl);
            if let Some(e) = error {
                first.get_or_insert(e);
            }
            text.push_str(&line);
            text.push('\n');
            out.drain(&mut text)?;
        } else {
            if let Some(e) = tree::message_in(&mut text, &msg, protocol, genl) {
                first.get_or_insert(e);
            }
            out.drain(&mut text)?;
        }
    }
    if summary {
        stats.write(&mut text, protocol);
        out.drain(&mut text)?;
    }
    match first {
        None => Ok(()),
        Some(e) => Err(Failure::msg(format!(
            "malformed netlink input: {e}{}",
            hint(buf, &e)
        ))),
    }
}

/// A hint when the bytes look like another format.
fn hint(buf: &[u8], e: &Error) -> &'static str {
    let procslink = buf
        .first_chunk::<4>()
        .map(|len| u32::from_be_bytes(*len) as usize)
        .and_then(|len| buf.get(..len.saturating_add(16)))
        .is_some_and(|one| Datagram::parse_with_limit(one, usize::MAX).is_ok());
    if e.offset() == 0 && procslink {
        " (this looks like a ProcsLink datagram: try --as procslink)"
    } else {
        ""
    }
}
