//! Links procslink's netlink codec into a `no_std` static library with no
//! allocator and its own panic handler. If procslink (or anything it
//! depends on) pulled in `std` or `alloc`, this crate would fail to build:
//! see `README.md`.
#![no_std]
#![deny(unsafe_code)]

use core::panic::PanicInfo;

use procslink::families::rt_link::{self, Ifinfomsg};
use procslink::netlink::conversation::{Conversation, Event, Expect};
use procslink::netlink::flags::{Flags, NewFlags};
use procslink::netlink::{AttrKind, AttrPolicy, AttrTable, Builder, Messages, Policy};

static LINKINFO: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::String).max_len(64), // IFLA_INFO_KIND
]);
static LINK: Policy = Policy::new(&[
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Binary), // IFLA_ADDRESS
    AttrPolicy::UNSPEC,                // IFLA_BROADCAST
    AttrPolicy::new(AttrKind::String).max_len(16).required(), // IFLA_IFNAME
    AttrPolicy::new(AttrKind::U32),    // IFLA_MTU
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::U8), // IFLA_OPERSTATE
    AttrPolicy::UNSPEC,
    AttrPolicy::new(AttrKind::Nested).nested(&LINKINFO), // IFLA_LINKINFO
]);

/// Parse path: walks the link messages in the first `len` bytes of `buf`
/// (a received datagram), checks each one's attributes against a policy,
/// and returns the sum of their MTUs, or -1 at the first malformed message
/// or attribute (or if `len` exceeds 256).
#[allow(unsafe_code)] // `no_mangle` is an unsafe attribute; no unsafe code runs.
#[unsafe(no_mangle)]
pub extern "C" fn procslink_sum_mtus(buf: &[u8; 256], len: usize) -> i64 {
    let Some(datagram) = buf.get(..len) else {
        return -1;
    };
    let mut sum = 0i64;
    for message in Messages::new(datagram) {
        let Ok(message) = message else { return -1 };
        if message.message_type().is_done() {
            break;
        }
        let Ok((_, attrs)) = message.family_header::<Ifinfomsg>() else {
            return -1;
        };
        if attrs.clone().any(|a| a.is_err()) {
            return -1;
        }
        let Ok(tb) = AttrTable::<32>::parse(attrs, &LINK) else {
            return -1;
        };
        if let Some(mtu) = tb.get(rt_link::IFLA_MTU) {
            let Ok(mtu) = mtu.u32() else { return -1 };
            sum += i64::from(mtu);
        }
    }
    sum
}

/// Build path: writes an `RTM_NEWLINK` request creating a vxlan link (a
/// nest inside a nest) into `out`; returns its length, or -1 if it does
/// not fit.
#[allow(unsafe_code)] // `no_mangle` is an unsafe attribute; no unsafe code runs.
#[unsafe(no_mangle)]
pub extern "C" fn procslink_build_newlink(out: &mut [u8; 256], seq: u32) -> i32 {
    let mut batch = Builder::new(out);
    let built = (|| {
        let mut m = batch.message(
            rt_link::RTM_NEWLINK,
            Flags::REQUEST | (NewFlags::CREATE | NewFlags::EXCL).into(),
            seq,
            0,
        )?;
        m.family_header(&Ifinfomsg::default())?;
        m.put_str(rt_link::IFLA_IFNAME, "vx0")?;
        m.put_u32(rt_link::IFLA_MTU, 1450)?;
        let mut info = m.nest(rt_link::IFLA_LINKINFO)?;
        info.put_str(rt_link::IFLA_INFO_KIND, "vxlan")?;
        let mut data = info.nest(rt_link::IFLA_INFO_DATA)?;
        data.put_u32(1, 42)?; // IFLA_VXLAN_ID
        data.end()?;
        info.end()?;
        m.finish()
    })();
    match built {
        Ok(len) => len as i32,
        Err(_) => -1,
    }
}

/// Conversation path: feeds the first `len` bytes of `buf` (datagrams a
/// transport received) to a dump conversation with sequence number `seq`
/// on port `port`; returns the number of replies, or -1 if the kernel
/// refused the dump, or -2 if the dump has not ended in these bytes.
#[allow(unsafe_code)] // `no_mangle` is an unsafe attribute; no unsafe code runs.
#[unsafe(no_mangle)]
pub extern "C" fn procslink_count_dump(buf: &[u8; 256], len: usize, port: u32, seq: u32) -> i64 {
    let Some(datagram) = buf.get(..len) else {
        return -1;
    };
    let mut conversation = Conversation::new(port);
    conversation.begin_with_seq(seq, Expect::Dump);
    let mut replies = 0i64;
    for event in conversation.feed(datagram) {
        match event {
            Event::Reply(_) => replies += 1,
            Event::Error(_) => return -1,
            _ => {}
        }
    }
    if conversation.is_finished() {
        replies
    } else {
        -2
    }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}
