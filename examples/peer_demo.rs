//! A live demonstration of the RPC peer: a server with the demo methods on
//! a kernel-assigned `NETLINK_USERSOCK` port, called by this crate's client
//! from several threads, and — when the reference Python ProcsLink is
//! installed (`scripts/test-all.sh` puts it in `target/interop-venv`) — by
//! the reference client too.
//!
//! ```sh
//! cargo run --features std --example peer_demo
//! ```

use std::path::Path;
use std::process::{Command, ExitCode};
use std::thread;

use procslink::peer::{CallError, Client, Server, ServerOptions, demo};
use serde_json::{Value, json};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peer_demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::bind_netlink(demo::methods(), ServerOptions::new())
        .map_err(|e| format!("cannot open a NETLINK_USERSOCK socket: {e}"))?
        .spawn()?;
    let port = server.port().ok_or("no port id")?;
    println!("server: serving hello, add, echo on netlink port {port}");

    let client = Client::netlink()?;
    println!("client: port {}", client.port().unwrap_or(0));
    let calls: [(&str, Value); 5] = [
        ("hello", json!(["Rust"])),
        ("hello", json!({"name": "été"})),
        ("add", json!([2, 40])),
        ("echo", json!([{"nested": [1, 2.5, null, {"ok": true}]}])),
        ("add", json!(["two", 2])),
    ];
    for (method, params) in calls {
        match client.call(port, method, params.clone()) {
            Ok(result) => println!("  {method}({params}) = {result}"),
            Err(CallError::Rpc(e)) => {
                println!("  {method}({params}) -> error {} {}", e.code.0, e.message)
            }
            Err(e) => return Err(e.into()),
        }
    }
    match client.call(port, "nosuch", Value::Null) {
        Err(CallError::Rpc(e)) => println!("  nosuch() -> error {} {}", e.code.0, e.message),
        other => return Err(format!("unexpected answer to an unknown method: {other:?}").into()),
    }
    client.notify(port, "hello", json!(["nobody"]))?;
    println!("  notify hello(\"nobody\"): no response expected");

    thread::scope(|scope| -> Result<(), Box<dyn std::error::Error>> {
        let client = &client;
        let threads: Vec<_> = (0..4)
            .map(|t| {
                scope.spawn(move || -> Result<(), CallError> {
                    for i in 0..250 {
                        let sum = client.call(port, "add", json!([t * 1000, i]))?;
                        assert_eq!(
                            sum,
                            json!(t * 1000 + i),
                            "a response reached the wrong caller"
                        );
                    }
                    Ok(())
                })
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "a client thread panicked")??;
        }
        Ok(())
    })?;
    println!("client: 4 threads x 250 calls at once, every response matched to its caller");

    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python");
    if python.exists() {
        let script = format!(
            "from procslink import RPCPeer\n\
             c = RPCPeer()\n\
             print('python reference client:', c.talk_to({port}).hello('Python'), c.talk_to({port}).add(1, 2))"
        );
        let out = Command::new(&python).arg("-c").arg(script).output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            return Err(format!(
                "python client failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
    } else {
        println!("(install the reference with scripts/test-all.sh to see a Python client too)");
    }

    let stats = server.stop()?;
    println!(
        "server: {} served, {} malformed, {} spoofed, {} handler panics",
        stats.served, stats.malformed, stats.spoofed, stats.panics
    );
    Ok(())
}
