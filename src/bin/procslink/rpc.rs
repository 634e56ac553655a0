//! `serve`, `call` and `notify`: the RPC peer over the transport
//! `--transport` names (`NETLINK_USERSOCK` by default, speaking the
//! reference ProcsLink's bytes).

use std::time::Duration;

use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::{Address, CallError, Client, ClientOptions, Server, ServerOptions, demo};
use serde_json::Value;

use crate::transport::Transport;
use crate::{Failure, Out};

/// Arguments of `procslink serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Which wire to serve on: netlink (the default; prints the port id)
    /// or unix:PATH (a path, or @NAME for an abstract name; prints the
    /// address).
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
    /// Which wire to speak: netlink (the default) or unix:PATH (a path, or
    /// @NAME for an abstract name).
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
    to: Address,
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
                (Address::Netlink(port), rest)
            }
            Transport::Unix(addr) => (Address::Unix(addr.clone()), &self.words[..]),
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
/// until killed, after printing where it serves as the first line: the port
/// id over netlink, the address otherwise.
pub fn serve(args: &ServeArgs, out: &mut Out) -> Result<(), Failure> {
    let mut options = ServerOptions::new().admit_overflow_uid(args.admit_overflow_uid);
    for &uid in &args.allow_uid {
        options = options.allow_uid(uid);
    }
    let server = match &args.transport {
        Transport::Netlink => Server::bind_netlink(demo::methods(), options)
            .map_err(|e| Failure::msg(format!("cannot open a NETLINK_USERSOCK socket: {e}")))?,
        Transport::Unix(addr) => Server::bind_unix(addr.clone(), demo::methods(), options)
            .map_err(|e| Failure::msg(format!("cannot bind {addr}: {e}")))?,
    };
    // What a client passes: the port id, or the --transport argument.
    let first_line = match server.address() {
        Address::Netlink(port) => port.to_string(),
        Address::Unix(addr) => Transport::Unix(addr).to_string(),
        other => other.to_string(),
    };
    out.write(&format!("{first_line}\n"))?;
    out.flush()?;
    server
        .serve()
        .map_err(|e| Failure::msg(format!("serving stopped: {e}")))
}

/// Calls a method and prints its result as JSON.
pub fn call(args: &CallArgs, out: &mut Out) -> Result<(), Failure> {
    let target = args.target.resolve()?;
    let params = target.params()?;
    let mut client = client(&args.target.transport, Duration::from_millis(args.timeout))?;
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
    match client.call_raw(target.to, target.method, params, compact) {
        Ok(Ok(text)) => {
            out.write(&text)?;
            out.write("\n")
        }
        Ok(Err(e)) => Err(Failure::msg(format!("cannot print the result: {e}"))),
        Err(CallError::Rpc(e)) => {
            let mut line = format!("error {}: {}", e.code.0, e.message);
            if let Some(data) = &e.data {
                line.push_str(&format!(" ({data})"));
            }
            Err(Failure::msg(line))
        }
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
        Err(e) => Err(Failure::msg(e)),
    }
}

/// Sends a notification (no response is awaited).
pub fn notify(args: &NotifyArgs, _out: &mut Out) -> Result<(), Failure> {
    let target = args.target.resolve()?;
    let params = target.params_value()?;
    let client = client(&args.target.transport, Duration::from_secs(1))?;
    client
        .notify(target.to, target.method, params)
        .map_err(Failure::msg)
}

fn client(transport: &Transport, timeout: Duration) -> Result<Client, Failure> {
    let options = ClientOptions::new().timeout(timeout);
    match transport {
        Transport::Netlink => Client::netlink_with(options)
            .map_err(|e| Failure::msg(format!("cannot open a NETLINK_USERSOCK socket: {e}"))),
        Transport::Unix(_) => Client::unix_with(options)
            .map_err(|e| Failure::msg(format!("cannot open a Unix datagram socket: {e}"))),
    }
}
