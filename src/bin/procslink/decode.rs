//! `procslink decode`: bytes from a file or stdin, printed as a tree.

use std::path::PathBuf;

use clap::ValueEnum;
use procslink::Error;
use procslink::netlink::Messages;
use procslink::netlink::display::Protocol;
use procslink::procslink::Datagram;

use crate::envmsg::Layout;
use crate::tree::{self, Stats};
use crate::{Failure, Out, envmsg, input, json};

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

/// Runs `procslink decode`.
pub fn run(args: &Args, out: &mut Out) -> Result<(), Failure> {
    let raw = input::read(&args.input)?;
    let bytes = if args.hex { input::hex(&raw)? } else { raw };
    match args.format {
        Format::Netlink => netlink(&bytes, args.protocol.protocol(), args.summary, out),
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
        } else {
            if let Some(e) = tree::message(&mut text, &msg, protocol) {
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
