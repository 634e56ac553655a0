//! Resolves a generic netlink family's id by name through
//! `procslink::kernel`: `CTRL_CMD_GETFAMILY` with `CTRL_ATTR_FAMILY_NAME`
//! to the controller (`nlctrl`).
//!
//! ```text
//! cargo run --features std --example genl_family -- nlctrl
//! cargo run --features std --example genl_family -- no-such-family   # ENOENT
//! ```

use std::process::ExitCode;

use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::genl::{self, GenlMsgHdr};
use procslink::netlink::{Builder, flags::Flags};

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
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(genl::GENL_ID_CTRL, Flags::REQUEST, 0, 0)?;
    m.family_header(&GenlMsgHdr::new(genl::CTRL_CMD_GETFAMILY, 1))?;
    m.put_str(genl::CTRL_ATTR_FAMILY_NAME, &name)?;
    m.finish()?;

    let mut socket = KernelSocket::open(Protocol::GENERIC)?;
    let (mut id, mut version, mut groups) = (None, None, 0);
    let answer = socket.request_with(b.as_bytes(), |reply| {
        let Ok((_, attrs)) = reply.genl() else { return };
        for attr in attrs.flatten() {
            match attr.kind() {
                genl::CTRL_ATTR_FAMILY_ID => id = attr.u16().ok(),
                genl::CTRL_ATTR_VERSION => version = attr.u32().ok(),
                genl::CTRL_ATTR_MCAST_GROUPS => groups = attr.nested().count(),
                _ => {}
            }
        }
    });
    if let Err(e) = answer {
        return Err(format!("family {name:?}: {e}").into());
    }
    match id {
        Some(id) => println!(
            "{name}: id {id}, version {}, {groups} multicast groups",
            version.unwrap_or(0)
        ),
        None => println!("{name}: the controller's reply had no id"),
    }
    Ok(())
}
