//! Adds an IPv4 address to an interface and removes it again, through
//! `procslink::kernel`, showing the kernel's refusal (errno and extended
//! ack) when there is one. Needs `CAP_NET_ADMIN`; try it in a namespace of
//! its own:
//!
//! ```text
//! ip netns add demo
//! ip netns exec demo cargo run --features std,rtnetlink --example address lo 10.9.8.7/24
//! ip netns exec demo cargo run --features std,rtnetlink --example address nosuchlink 10.9.8.7/24
//! ip netns del demo
//! ```

use std::net::Ipv4Addr;
use std::process::ExitCode;

use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
};
use procslink::kernel::{KernelError, KernelSocket, Protocol};
use procslink::netlink::flags::{Flags, NewFlags};
use procslink::netlink::route;
use procslink::netlink::{Builder, MessageType};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("address: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(link), Some(cidr)) = (args.next(), args.next()) else {
        return Err("usage: address LINK ADDRESS/PREFIX".into());
    };
    let (addr, prefix) = cidr.split_once('/').ok_or("the address needs a /prefix")?;
    let addr: Ipv4Addr = addr.parse()?;
    let prefix: u8 = prefix.parse()?;

    let mut socket = KernelSocket::open(Protocol::ROUTE)?;
    let index = match link_index(&mut socket, &link) {
        Ok(index) => index,
        Err(KernelError::Refused(refusal)) => {
            // The kernel's own words: errno, and its message if it gave one.
            return Err(format!("no link {link:?}: {refusal}").into());
        }
        Err(e) => return Err(e.into()),
    };

    let mut buf = [0u8; 128];
    let create = Flags::from(NewFlags::CREATE | NewFlags::EXCL);
    let add = address(&mut buf, rt_addr::RTM_NEWADDR, create, index, addr, prefix)?;
    match socket.request(add) {
        Ok(ack) => println!("added {addr}/{prefix} to {link} ({ack})"),
        Err(KernelError::Refused(refusal)) => {
            println!("the kernel refused to add {addr}/{prefix}: {refusal}");
            if let Some(offset) = refusal.bad_attr_offset() {
                println!("  (it objects to the attribute at byte {offset} of the request)");
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    // Adding it again is refused: it exists (EEXIST).
    if let Err(e) = socket.request(add) {
        println!("adding it twice: {e}");
    }
    let del = address(
        &mut buf,
        rt_addr::RTM_DELADDR,
        Flags::empty(),
        index,
        addr,
        prefix,
    )?;
    let ack = socket.request(del)?;
    println!("removed {addr}/{prefix} from {link} ({ack})");
    Ok(())
}

/// The index of `name`, from a GET of that one link.
fn link_index(socket: &mut KernelSocket, name: &str) -> std::result::Result<u32, KernelError> {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let built = (|| {
        let mut m = b.message(rt_link::RTM_GETLINK, Flags::REQUEST, 0, 0)?;
        m.family_header(&Ifinfomsg::default())?;
        m.put_str(rt_link::IFLA_IFNAME, name)?;
        m.finish()
    })();
    built.map_err(KernelError::InvalidRequest)?;
    let mut index = 0;
    socket.request_with(b.as_bytes(), |reply| {
        if let Ok((ifi, _)) = reply.family_header::<Ifinfomsg>() {
            index = ifi.ifi_index.get() as u32;
        }
    })?;
    Ok(index)
}

fn address(
    buf: &mut [u8],
    ty: MessageType,
    flags: Flags,
    index: u32,
    addr: Ipv4Addr,
    prefix: u8,
) -> Result<&[u8]> {
    let mut b = Builder::new(buf);
    let mut m = b.message(ty, Flags::REQUEST | flags, 0, 0)?;
    let mut ifa = Ifaddrmsg {
        ifa_family: route::AF_INET,
        ifa_prefixlen: prefix,
        ..Default::default()
    };
    ifa.ifa_index.set(index);
    m.family_header(&ifa)?;
    m.put(rt_addr::IFA_LOCAL, &addr.octets())?;
    m.put(rt_addr::IFA_ADDRESS, &addr.octets())?;
    m.finish()?;
    Ok(b.into_bytes())
}
