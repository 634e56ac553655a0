//! `serve`, `call` and `notify`: the RPC peer over `NETLINK_USERSOCK`,
//! speaking the reference ProcsLink's bytes.

use std::time::Duration;

use procslink::jsonrpc::{Params, RawValue};
use procslink::peer::{CallError, Client, ClientOptions, Server, ServerOptions, demo};
use serde_json::Value;

use crate::{Failure, Out};

/// Arguments of `procslink serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
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
pub struct NotifyArgs {
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Args, Debug)]
struct Target {
    /// The server's port id, as `serve` prints it.
    port: u32,
    /// The method to call.
    method: String,
    /// The params as JSON: an array (positional), an object (named);
    /// absent for none.
    params: Option<String>,
}

impl Target {
    /// The params' text exactly as given, checked to be a JSON array or
    /// object (any valid JSON: numbers beyond 64 bits or `f64`, `-0`, the
    /// members' order, all sent as they are); `None` when absent.
    fn params(&self) -> Result<Option<Params<'_>>, Failure> {
        let Some(text) = &self.params else {
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
/// until killed, after printing the port id as the first line.
pub fn serve(args: &ServeArgs, out: &mut Out) -> Result<(), Failure> {
    let mut options = ServerOptions::new().admit_overflow_uid(args.admit_overflow_uid);
    for &uid in &args.allow_uid {
        options = options.allow_uid(uid);
    }
    let server = Server::bind_netlink(demo::methods(), options)
        .map_err(|e| Failure::msg(format!("cannot open a NETLINK_USERSOCK socket: {e}")))?;
    let port = server
        .port()
        .ok_or_else(|| Failure::msg("the kernel assigned no port id"))?;
    out.write(&format!("{port}\n"))?;
    out.flush()?;
    server
        .serve()
        .map_err(|e| Failure::msg(format!("serving stopped: {e}")))
}

/// Calls a method and prints its result as JSON.
pub fn call(args: &CallArgs, out: &mut Out) -> Result<(), Failure> {
    let params = args.target.params()?;
    let mut client = client(Duration::from_millis(args.timeout))?;
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
    match client.call_raw(args.target.port, &args.target.method, params, compact) {
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
    let params = args.target.params_value()?;
    let client = client(Duration::from_secs(1))?;
    client
        .notify(args.target.port, &args.target.method, params)
        .map_err(Failure::msg)
}

fn client(timeout: Duration) -> Result<Client, Failure> {
    Client::netlink_with(ClientOptions::new().timeout(timeout))
        .map_err(|e| Failure::msg(format!("cannot open a NETLINK_USERSOCK socket: {e}")))
}
