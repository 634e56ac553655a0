//! Watches IPv4 and IPv6 route changes through `procslink::kernel`
//! notifications, for a number of seconds (default 30). Lost events (an
//! overflowed receive queue) are reported, and the routes dumped again on
//! a second socket to resynchronise.
//!
//! ```text
//! cargo run --features std,rtnetlink --example watch_routes -- 60
//! # elsewhere: ip route add 10.1.2.0/24 dev lo; ip route del 10.1.2.0/24 dev lo
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use procslink::families::rt_route::{self, Rtmsg};
use procslink::kernel::{KernelError, KernelSocket, Protocol, SocketOptions, groups};
use procslink::netlink::{Builder, Message, flags::Flags};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("watch_routes: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args().nth(1).map_or(Ok(30), |s| s.parse())?;
    let options = SocketOptions::new().recv_timeout(Some(Duration::from_millis(500)));
    let mut watch = KernelSocket::open_with(Protocol::ROUTE, options)?;
    watch.join(groups::RTNLGRP_IPV4_ROUTE)?;
    watch.join(groups::RTNLGRP_IPV6_ROUTE)?;
    let mut requests = KernelSocket::open(Protocol::ROUTE)?;
    println!(
        "{} routes now; watching for {seconds} s",
        count_routes(&mut requests)?
    );

    let end = Instant::now() + Duration::from_secs(seconds);
    let mut notes = watch.notifications();
    while Instant::now() < end {
        match notes.next() {
            Ok(m) => show(&m)?,
            Err(KernelError::Timeout) => {}
            Err(KernelError::EventsLost) => {
                println!("events lost; resynchronising");
                println!("{} routes now", count_routes(&mut requests)?);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn show(m: &Message<'_>) -> Result<(), Box<dyn std::error::Error>> {
    let what = match m.message_type() {
        rt_route::RTM_NEWROUTE => "new",
        rt_route::RTM_DELROUTE => "deleted",
        _ => return Ok(()),
    };
    let (rtm, attrs) = m.family_header::<Rtmsg>()?;
    let mut dst = String::from("default");
    let mut oif = 0;
    for attr in attrs {
        let attr = attr?;
        match attr.kind() {
            rt_route::RTA_DST => dst = format!("{}/{}", ip(attr.bytes()), rtm.rtm_dst_len),
            rt_route::RTA_OIF => oif = attr.u32()?,
            _ => {}
        }
    }
    println!("{what} route {dst} table {} oif {oif}", rtm.rtm_table);
    Ok(())
}

fn ip(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        Ipv6Addr::from(v6).to_string()
    } else {
        format!("{bytes:02x?}")
    }
}

fn count_routes(socket: &mut KernelSocket) -> Result<u32, KernelError> {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let built = (|| {
        let mut m = b.message(rt_route::RTM_GETROUTE, Flags::REQUEST, 0, 0)?;
        m.family_header(&Rtmsg::default())?;
        m.finish()
    })();
    built.map_err(KernelError::InvalidRequest)?;
    let mut dump = socket.dump(b.as_bytes())?;
    while let Some(m) = dump.next() {
        m?;
    }
    Ok(dump.replies())
}
