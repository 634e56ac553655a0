//! Resolves a generic netlink family by name through `procslink::kernel`:
//! `netlink::genl::family_request` asks the controller (`nlctrl`),
//! `netlink::genl::Family` reads its answer (id, version, operations,
//! multicast groups).
//!
//! ```text
//! cargo run --features std --example genl_family -- nlctrl
//! cargo run --features std --example genl_family -- no-such-family   # ENOENT
//! ```

use std::process::ExitCode;

use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::genl::{Family, family_request};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genl_family: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "nlctrl".into());
    let mut request = [0u8; 128];
    let len = family_request(&mut request, 0, &name)?;

    let mut socket = KernelSocket::open(Protocol::GENERIC)?;
    let mut described = Ok(String::new());
    let answer = socket.request_with(&request[..len], |reply| {
        described = Family::parse(reply).and_then(|family| {
            let mut text = format!(
                "{}: id {}, version {}",
                family.name(),
                family.id(),
                family.version()
            );
            for op in family.ops() {
                let op = op?;
                text.push_str(&format!("\n  op {} flags {:#x}", op.id, op.flags));
            }
            for group in family.groups() {
                let group = group?;
                text.push_str(&format!("\n  group {} id {}", group.name, group.id));
            }
            Ok(text)
        });
    });
    if let Err(e) = answer {
        return Err(format!("family {name:?}: {e}").into());
    }
    println!("{}", described?);
    Ok(())
}
