//! Lists the network interfaces through `procslink::kernel`: one dump
//! request, the replies read from one reused buffer.
//!
//! ```text
//! cargo run --features std,rtnetlink --example kernel_links
//! ```

use std::process::ExitCode;

use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::kernel::{KernelSocket, Protocol};
use procslink::netlink::display::Escaped;
use procslink::netlink::{Builder, flags::Flags};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kernel_links: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut socket = KernelSocket::open(Protocol::ROUTE)?;
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)?;
    m.family_header(&Ifinfomsg::default())?;
    m.put_u32(rt_link::IFLA_EXT_MASK, rt_link::RtextFilter::VF.bits())?;
    m.finish()?;

    let mut dump = socket.dump(b.as_bytes())?;
    while let Some(link) = dump.next() {
        let link = link?;
        let (ifi, attrs) = link.family_header::<Ifinfomsg>()?;
        // Names are bytes, not text (the kernel accepts `p\xe9`): kept as
        // bytes and printed escaped, never refused.
        let (mut name, mut mtu, mut kind): (&[u8], u32, &[u8]) = (b"?", 0, b"-");
        for attr in attrs {
            let attr = attr?;
            match attr.kind() {
                rt_link::IFLA_IFNAME => name = attr.bytes_str(),
                rt_link::IFLA_MTU => mtu = attr.u32()?,
                rt_link::IFLA_LINKINFO => {
                    if let Some(k) = attr.nested().lookup(rt_link::IFLA_INFO_KIND)? {
                        kind = k.bytes_str();
                    }
                }
                _ => {}
            }
        }
        let up = if ifi.ifi_flags.get() & rt_link::IFF_UP != 0 {
            "UP"
        } else {
            "DOWN"
        };
        let name = Escaped(name).to_string();
        println!(
            "{:>3}: {name:<16} mtu {mtu:<6} {up:<5} kind {}",
            ifi.ifi_index.get(),
            Escaped(kind)
        );
    }
    let links = dump.replies();
    drop(dump);
    let stats = socket.stats();
    println!("{links} links; {} messages skipped", stats.skipped);
    Ok(())
}
