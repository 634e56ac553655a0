//! The `procslink` command: decode netlink, ProcsLink and pyroute2 envelope
//! bytes into readable trees, and dump live kernel tables.
//!
//! ```text
//! procslink decode [--as netlink|procslink|envmsg] [--protocol route|generic]
//!                  [--envelope basic|ports|ports-id] [--hex] [--summary | --json]
//!                  [--family NAME] [FILE|-]
//! procslink dump link|addr|route|neigh|rule|family [-d|-j|--summary] [--raw FILE]
//!                [--netns NAME]
//! procslink monitor [link|addr|route|neigh|rule|all]... [--count N] [--timeout SECONDS]
//!                   [--netns NAME] [--rcvbuf BYTES]
//! procslink nl --family NAME (--do OP | --dump OP) [--json ATTRS] [--subscribe GROUP]
//!               [--netns NAME] [--count N] [--timeout SECONDS]
//! procslink serve [--allow-uid UID]...
//! procslink call [--timeout MS] PORT METHOD [PARAMS_JSON]
//! procslink notify PORT METHOD [PARAMS_JSON]
//! ```
//!
//! Errors are one line on stderr, `procslink: <message>`, with exit code 1;
//! usage errors and a `call` that times out exit with 2. Nothing here panics on bad input.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[path = "procslink/decode.rs"]
mod decode;
#[path = "procslink/dump.rs"]
mod dump;
#[path = "procslink/emit.rs"]
mod emit;
#[path = "procslink/envmsg.rs"]
mod envmsg;
#[path = "procslink/input.rs"]
mod input;
#[path = "procslink/json.rs"]
mod json;
#[path = "procslink/monitor.rs"]
mod monitor;
#[path = "procslink/names.rs"]
mod names;
#[path = "procslink/netns.rs"]
mod netns;
#[path = "procslink/nl.rs"]
mod nl;
#[path = "procslink/nl_encode.rs"]
mod nl_encode;
#[cfg(test)]
#[path = "procslink/nl_encode_tests.rs"]
mod nl_encode_tests;
#[path = "procslink/nl_reach.rs"]
mod nl_reach;
#[path = "procslink/nl_value.rs"]
mod nl_value;
#[path = "procslink/objects/mod.rs"]
mod objects;
#[path = "procslink/rpc.rs"]
mod rpc;
#[path = "procslink/spec.rs"]
mod spec;
#[path = "procslink/stats.rs"]
mod stats;
#[path = "procslink/transport.rs"]
mod transport;
#[path = "procslink/tree.rs"]
mod tree;
#[path = "procslink/ynl.rs"]
mod ynl;

/// Decode and dump netlink, ProcsLink and pyroute2 envelope messages.
#[derive(Parser, Debug)]
#[command(name = "procslink", version, about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// One variant per subcommand; each module has an `Args` and a `run`.
#[derive(Subcommand, Debug)]
enum Command {
    /// Decode bytes read from a file or stdin and print them as a tree (or,
    /// with --json, netlink messages as ynl prints them).
    Decode(decode::Args),
    /// Ask the kernel for a table and print it: one line per object as `ip`
    /// does, JSON with `ip -j`'s field names (-j) or the decoded tree (-d).
    Dump(dump::Args),
    /// Print rtnetlink changes as they happen, as `ip monitor` does.
    Monitor(monitor::Args),
    /// Send a request of any family a specification describes (or listen
    /// to its notifications) and print the answers as ynl does.
    Nl(nl::Args),
    /// Serve the demo methods hello, add and echo (over NETLINK_USERSOCK
    /// unless --transport says otherwise), printing where first, until
    /// SIGINT or SIGTERM (then it removes the socket files it made).
    Serve(rpc::ServeArgs),
    /// Call a method on a server and print the result as JSON.
    Call(rpc::CallArgs),
    /// Send a notification (no response).
    Notify(rpc::NotifyArgs),
}

impl Command {
    fn run(&self, out: &mut Out) -> Result<(), Failure> {
        match self {
            Command::Decode(args) => decode::run(args, out),
            Command::Dump(args) => dump::run(args, out),
            Command::Monitor(args) => monitor::run(args, out),
            Command::Nl(args) => nl::run(args, out),
            Command::Serve(args) => rpc::serve(args, out),
            Command::Call(args) => rpc::call(args, out),
            Command::Notify(args) => rpc::notify(args, out),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let mut out = Out::new();
    let result = cli.command.run(&mut out).and_then(|()| out.flush());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Quiet) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            // Whatever decoded is printed before the error.
            let _ = out.flush();
            eprintln_safe(&format!("procslink: {message}"));
            ExitCode::FAILURE
        }
        Err(Failure::Code(code, message)) => {
            let _ = out.flush();
            eprintln_safe(&format!("procslink: {message}"));
            ExitCode::from(code)
        }
    }
}

/// Help and version go to stdout with success; other clap errors become one
/// line and exit code 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln_safe(&format!("procslink: {first} (see 'procslink --help')"));
            ExitCode::from(2)
        }
    }
}

fn eprintln_safe(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Print `procslink: <message>` and exit 1.
    Message(String),
    /// Print `procslink: <message>` and exit with this code.
    Code(u8, String),
    /// Stop quietly (the reader of stdout went away).
    Quiet,
}

impl Failure {
    /// A failure with a message.
    pub fn msg(message: impl std::fmt::Display) -> Self {
        Failure::Message(message.to_string())
    }
}

/// Buffered stdout that turns a closed pipe into a quiet stop.
pub struct Out {
    w: io::BufWriter<io::Stdout>,
}

impl Out {
    fn new() -> Self {
        Out {
            w: io::BufWriter::new(io::stdout()),
        }
    }

    /// Writes `text`.
    pub fn write(&mut self, text: &str) -> Result<(), Failure> {
        self.w.write_all(text.as_bytes()).map_err(write_failure)
    }

    /// Writes `bytes`.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.w.write_all(bytes).map_err(write_failure)
    }

    /// Writes `text` and empties it, for printers that build a message's
    /// text in a `String`.
    pub fn drain(&mut self, text: &mut String) -> Result<(), Failure> {
        let r = self.write(text);
        text.clear();
        r
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.w.flush().map_err(write_failure)
    }
}

fn write_failure(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Failure::Quiet
    } else {
        Failure::msg(format!("cannot write the output: {e}"))
    }
}
