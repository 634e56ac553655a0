//! `serve`, `call` and `notify`: the RPC peer over the transport
//! `--transport` names (`NETLINK_USERSOCK` by default, speaking the
//! reference ProcsLink's bytes).

use std::time::Duration;

use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::ezipc::{EzIpcClient, EzIpcOptions, EzIpcServer, EzIpcServerHandle};
use procslink::peer::{
    Address, CallError, Client, ClientOptions, SeqpacketServerHandle, Server, ServerHandle,
    ServerOptions, demo, domainsockets,
};
use serde_json::Value;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::transport::Transport;
use crate::{Failure, Out};

/// Arguments of `procslink serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Which wire to serve on: netlink (the default; prints the port id),
    /// unix:PATH, jsoncomm:PATH, jsoncomm-seqpacket:PATH (a path, or @NAME
    /// for an abstract name), domainsockets:NAME or ezipc:HOST:PORT (port 0:
    /// one the system picks); prints the transport a client passes.
    #[arg(long, value_name = "TRANSPORT", default_value = "netlink")]
    transport: Transport,
    /// Serve only senders with this uid (kernel-supplied credentials);
    /// repeat to allow several. Without it, every sender is served.
    #[arg(long = "allow-uid", value_name = "UID")]
    allow_uid: Vec<u32>,
    /// In a user namespace, let --allow-uid admit the overflow uid
    /// (/proc/sys/kernel/overflowuid), which stands for every sender whose
    /// uid has no mapping there.
    #[arg(long = "admit-overflow-uid")]
    admit_overflow_uid: bool,
}

/// Arguments of `procslink call`.
#[derive(clap::Args, Debug)]
#[command(override_usage = "procslink call [OPTIONS] [PORT] METHOD [PARAMS]")]
pub struct CallArgs {
    /// How long to wait for the response, in milliseconds (at least 1).
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Accept the answer only from a server running as this uid, as the
    /// kernel reports it: the defence against another user taking over the
    /// port of a server that died.
    #[arg(long = "expect-uid", value_name = "UID")]
    expect_uid: Option<u32>,
    #[command(flatten)]
    target: Target,
}

/// Arguments of `procslink notify`.
#[derive(clap::Args, Debug)]
#[command(override_usage = "procslink notify [OPTIONS] [PORT] METHOD [PARAMS]")]
pub struct NotifyArgs {
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Args, Debug)]
struct Target {
    /// Which wire to speak: netlink (the default), unix:PATH, jsoncomm:PATH,
    /// jsoncomm-seqpacket:PATH (a path, or @NAME for an abstract name),
    /// domainsockets:NAME or ezipc:HOST:PORT.
    #[arg(long, value_name = "TRANSPORT", default_value = "netlink")]
    transport: Transport,
    /// Over netlink: the server's port id (as `serve` prints it), the
    /// method and its params; over other transports: the method and its
    /// params. The params are JSON: an array (positional) or an object
    /// (named); absent for none.
    #[arg(value_name = "ARGS", num_args = 1..=3, required = true)]
    words: Vec<String>,
}

/// Where a call goes, what it calls and with which params' text.
struct Resolved<'a> {
    /// The server's address, for the transports of [`Client`]; `None` for
    /// domainsockets and EZ-IPC, whose clients connect to their server.
    to: Option<Address>,
    method: &'a str,
    params: Option<&'a str>,
}

impl Target {
    /// The words read as the transport wants them; a usage error (exit 2)
    /// when they do not fit it.
    fn resolve(&self) -> Result<Resolved<'_>, Failure> {
        let usage = |text: String| Failure::Code(2, text);
        let (to, rest) = match &self.transport {
            Transport::Netlink => {
                let Some((port, rest)) = self.words.split_first() else {
                    return Err(usage(
                        "over netlink the server's port id comes first".into(),
                    ));
                };
                let port = port.parse::<u32>().map_err(|_| {
                    usage(format!(
                        "over netlink the first word is the server's port id, not {port:?}"
                    ))
                })?;
                (Some(Address::Netlink(port)), rest)
            }
            Transport::Unix(addr)
            | Transport::Jsoncomm(addr)
            | Transport::JsoncommSeqpacket(addr) => {
                (Some(Address::Unix(addr.clone())), &self.words[..])
            }
            Transport::Domainsockets(_) | Transport::Ezipc(_) => (None, &self.words[..]),
        };
        match rest {
            [method] => Ok(Resolved {
                to,
                method,
                params: None,
            }),
            [method, params] => Ok(Resolved {
                to,
                method,
                params: Some(params),
            }),
            [] => Err(usage("a METHOD is needed after the port id".into())),
            _ => Err(usage(format!(
                "too many words: over {} give METHOD [PARAMS]",
                self.transport
            ))),
        }
    }
}

impl<'a> Resolved<'a> {
    /// The params' text exactly as given, checked to be a JSON array or
    /// object (any valid JSON: numbers beyond 64 bits or `f64`, `-0`, the
    /// members' order, all sent as they are); `None` when absent.
    fn params(&self) -> Result<Option<Params<'a>>, Failure> {
        let Some(text) = self.params else {
            return Ok(None);
        };
        let value = RawValue::parse(text)
            .map_err(|e| Failure::msg(format!("params are not valid JSON: {e}")))?;
        Params::new(value)
            .map(Some)
            .ok_or_else(|| Failure::msg("params must be a JSON array or object"))
    }

    /// The params as a value (which keeps numbers and members' order as
    /// given), for a notification.
    fn params_value(&self) -> Result<Value, Failure> {
        let Some(params) = self.params()? else {
            return Ok(Value::Null);
        };
        serde_json::from_str(params.as_str())
            .map_err(|e| Failure::msg(format!("params are not representable: {e}")))
    }
}

/// Serves the demo methods `hello(name)`, `add(a, b)` and `echo(value)`
/// until `SIGINT` or `SIGTERM`, after printing where it serves as the first
/// line: the port id over netlink, the `--transport` argument that reaches
/// it otherwise. On the signal the server stops as its handle's `stop`
/// does, so a transport bound to a path (a Unix socket, jsoncomm,
/// domainsockets' setup and per-client sockets) removes its files and the
/// same name can be served again at once.
pub fn serve(args: &ServeArgs, out: &mut Out) -> Result<(), Failure> {
    let mut options = ServerOptions::new().admit_overflow_uid(args.admit_overflow_uid);
    for &uid in &args.allow_uid {
        options = options.allow_uid(uid);
    }
    let cannot =
        |e: std::io::Error| Failure::msg(format!("cannot serve on {}: {e}", args.transport));
    // Signals are taken before the server starts, so that one arriving
    // right after the announcement still stops it cleanly.
    let mut signals = Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Failure::msg(format!("cannot watch for SIGINT and SIGTERM: {e}")))?;
    let transport = &args.transport;
    let (running, announced) = match transport {
        Transport::Netlink => {
            let server = Server::bind_netlink(demo::methods(), options)
                .map_err(|e| Failure::msg(format!("cannot open a NETLINK_USERSOCK socket: {e}")))?;
            let port = server
                .port()
                .ok_or_else(|| Failure::msg("the kernel assigned no port id"))?;
            (
                Running::Peer(server.spawn().map_err(cannot)?),
                port.to_string(),
            )
        }
        Transport::Unix(addr) => {
            let server =
                Server::bind_unix(addr.clone(), demo::methods(), options).map_err(cannot)?;
            (
                Running::Peer(server.spawn().map_err(cannot)?),
                transport.to_string(),
            )
        }
        Transport::Jsoncomm(addr) => {
            let server =
                Server::bind_jsoncomm(addr.clone(), demo::methods(), options).map_err(cannot)?;
            (
                Running::Peer(server.spawn().map_err(cannot)?),
                transport.to_string(),
            )
        }
        Transport::JsoncommSeqpacket(addr) => {
            let server = Server::bind_jsoncomm_seqpacket(addr.clone(), demo::methods(), options)
                .map_err(cannot)?;
            (
                Running::Seqpacket(server.spawn().map_err(cannot)?),
                transport.to_string(),
            )
        }
        Transport::Domainsockets(name) => {
            if !args.allow_uid.is_empty() {
                return Err(Failure::Code(
                    2,
                    "--allow-uid needs kernel-supplied credentials, which domainsockets does not pass".into(),
                ));
            }
            let server = domainsockets::Server::bind(
                name,
                domainsockets::demo_methods(),
                domainsockets::ServerOptions::new(),
            )
            .and_then(domainsockets::Server::spawn)
            .map_err(cannot)?;
            (Running::Domainsockets(server), transport.to_string())
        }
        Transport::Ezipc(addr) => {
            if !args.allow_uid.is_empty() {
                return Err(Failure::Code(
                    2,
                    "--allow-uid needs kernel-supplied credentials, which EZ-IPC over TCP does not pass".into(),
                ));
            }
            let server = EzIpcServer::bind_tcp(addr.as_str(), demo::methods(), EzIpcOptions::new())
                .map_err(cannot)?;
            // Port 0 binds one the system picks: print the one it did.
            let bound = server.local_addr().map_err(cannot)?;
            (
                Running::Ezipc(server.spawn().map_err(cannot)?),
                format!("ezipc:{bound}"),
            )
        }
    };
    out.write(&format!("{announced}\n"))?;
    out.flush()?;
    // The first SIGINT or SIGTERM; the iterator ends only if the watch
    // itself is closed, which nothing here does.
    let _ = signals.forever().next();
    running
        .stop()
        .map_err(|e| Failure::msg(format!("serving stopped: {e}")))
}

/// A server running on its own threads, whatever its transport.
enum Running {
    Peer(ServerHandle),
    Seqpacket(SeqpacketServerHandle),
    Domainsockets(domainsockets::ServerHandle),
    Ezipc(EzIpcServerHandle),
}

impl Running {
    /// Stops serving and waits for the server's threads (its paths are
    /// removed as they go).
    fn stop(self) -> std::io::Result<()> {
        match self {
            Running::Peer(handle) => handle.stop().map(drop),
            Running::Seqpacket(handle) => handle.stop().map(drop),
            Running::Domainsockets(handle) => {
                handle.stop();
                Ok(())
            }
            Running::Ezipc(handle) => {
                handle.stop();
                Ok(())
            }
        }
    }
}

/// Calls a method and prints its result as JSON.
pub fn call(args: &CallArgs, out: &mut Out) -> Result<(), Failure> {
    let target = args.target.resolve()?;
    let timeout = Duration::from_millis(args.timeout);
    let Some(to) = target.to.clone() else {
        return call_by_value(args, &target, out);
    };
    let params = target.params()?;
    let mut client = client(&args.target.transport, timeout)?;
    if let Some(uid) = args.expect_uid {
        client = client
            .expect_peer_uid(uid)
            .map_err(|e| Failure::msg(format!("cannot ask for credentials: {e}")))?;
    }
    // The result printed compactly, its numbers and members' order as
    // they arrived.
    let compact = |result: RawValue<'_>| {
        serde_json::from_str::<Value>(result.as_str()).and_then(|v| serde_json::to_string(&v))
    };
    match client.call_raw(to, target.method, params, compact) {
        Ok(Ok(text)) => {
            out.write(&text)?;
            out.write("\n")
        }
        Ok(Err(e)) => Err(Failure::msg(format!("cannot print the result: {e}"))),
        Err(CallError::Timeout) => {
            let refused = client.stats().wrong_uid;
            let mut line = format!("no response within {} ms", args.timeout);
            if let (Some(uid), 1..) = (args.expect_uid, refused) {
                line.push_str(&format!(
                    " from uid {uid}; refused {refused} from another uid (has someone else taken the port?)"
                ));
            }
            Err(Failure::Code(2, line))
        }
        Err(e) => Err(call_failure(e, args.timeout)),
    }
}

/// `call` over domainsockets or EZ-IPC, whose clients take and return
/// values.
fn call_by_value(args: &CallArgs, target: &Resolved<'_>, out: &mut Out) -> Result<(), Failure> {
    if args.expect_uid.is_some() {
        return Err(Failure::Code(
            2,
            format!(
                "--expect-uid needs kernel-supplied credentials, which {} does not pass",
                args.target.transport
            ),
        ));
    }
    let params = target.params_value()?;
    let timeout = Duration::from_millis(args.timeout);
    let result = match &args.target.transport {
        Transport::Domainsockets(name) => domainsockets::Client::connect(
            name,
            domainsockets::ClientOptions::new().timeout(timeout),
        )
        .map_err(|e| Failure::msg(format!("cannot reach domainsockets:{name}: {e}")))?
        .call(target.method, params),
        Transport::Ezipc(addr) => {
            let client =
                EzIpcClient::connect_tcp(addr.as_str(), EzIpcOptions::new().timeout(timeout))
                    .map_err(|e| Failure::msg(format!("cannot reach ezipc:{addr}: {e}")))?;
            let result = client.call(target.method, params);
            // Says goodbye as the reference's client does; the answer is in.
            let _ = client.close("Program Completed");
            result
        }
        other => {
            return Err(Failure::msg(format!(
                "{other} has an address: not a value client"
            )));
        }
    };
    let result = result.map_err(|e| call_failure(e, args.timeout))?;
    let text = serde_json::to_string(&result)
        .map_err(|e| Failure::msg(format!("cannot print the result: {e}")))?;
    out.write(&text)?;
    out.write("\n")
}

/// How a failed call is reported: a JSON-RPC error with its code, a
/// timeout with exit code 2, anything else as it says.
fn call_failure(e: CallError, timeout_ms: u64) -> Failure {
    match e {
        CallError::Rpc(e) => {
            let mut line = format!("error {}: {}", e.code.0, e.message);
            if let Some(data) = &e.data {
                line.push_str(&format!(" ({data})"));
            }
            Failure::msg(line)
        }
        CallError::Timeout => Failure::Code(2, format!("no response within {timeout_ms} ms")),
        e => Failure::msg(e),
    }
}

/// Sends a notification (no response is awaited).
pub fn notify(args: &NotifyArgs, _out: &mut Out) -> Result<(), Failure> {
    let target = args.target.resolve()?;
    let Some(to) = target.to.clone() else {
        let Transport::Ezipc(addr) = &args.target.transport else {
            return Err(Failure::Code(
                2,
                format!(
                    "{} has no notifications: every call is answered",
                    args.target.transport
                ),
            ));
        };
        let params = target.params_value()?;
        let client = EzIpcClient::connect_tcp(addr.as_str(), EzIpcOptions::new())
            .map_err(|e| Failure::msg(format!("cannot reach ezipc:{addr}: {e}")))?;
        client.notify(target.method, params).map_err(Failure::msg)?;
        return client.close("Program Completed").map_err(Failure::msg);
    };
    let params = target.params_value()?;
    let client = client(&args.target.transport, Duration::from_secs(1))?;
    client
        .notify(to, target.method, params)
        .map_err(Failure::msg)
}

/// The client of a transport that has a server address.
fn client(transport: &Transport, timeout: Duration) -> Result<Client, Failure> {
    let options = ClientOptions::new().timeout(timeout);
    let opened = match transport {
        Transport::Netlink => Client::netlink_with(options),
        Transport::Unix(_) => Client::unix_with(options),
        Transport::Jsoncomm(_) => Client::jsoncomm_with(options),
        Transport::JsoncommSeqpacket(addr) => Client::jsoncomm_seqpacket_with(addr, options),
        Transport::Domainsockets(_) | Transport::Ezipc(_) => {
            return Err(Failure::msg(format!("{transport} has a client of its own")));
        }
    };
    opened.map_err(|e| Failure::msg(format!("cannot open a client for {transport}: {e}")))
}
