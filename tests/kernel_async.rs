//! Live tests of `procslink::kernel::AsyncKernelSocket` (feature `tokio`),
//! each in a network namespace of its own that the test creates
//! (`ip netns add`) and removes at the end, even on failure. The test body
//! runs on a current-thread tokio runtime in a thread that entered the
//! namespace (`setns`), so every socket it opens talks to that namespace
//! only; nothing leaves this machine.
//!
//! Without `ip netns` each test prints a one-line notice and passes, unless
//! `CI` is `true`: then it fails, so that CI cannot silently test nothing.
#![cfg(all(
    feature = "tokio",
    feature = "family-rt-addr",
    feature = "family-rt-link"
))]

use std::future::Future;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use procslink::families::{
    rt_addr::{self, Ifaddrmsg},
    rt_link::{self, Ifinfomsg},
};
use procslink::kernel::{AsyncKernelSocket, KernelError, Protocol, SocketOptions, groups};
use procslink::netlink::flags::{Flags, NewFlags};
use procslink::netlink::route;
use procslink::netlink::{Builder, Message, MessageType, NLA_F_NESTED};

#[path = "common/netns.rs"]
mod netns;

use netns::Netns;

impl Netns {
    /// Runs `body` on a current-thread runtime, in a thread inside the
    /// namespace, for at most 30 seconds.
    fn run_async<F: Future<Output = ()>>(&self, body: impl FnOnce() -> F + Send) {
        self.run(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(30), body())
                    .await
                    .expect("the test ends within 30 s");
            });
        });
    }
}

/// A fresh namespace, or `None` after a notice (a failure under `CI=true`).
fn netns(test: &str) -> Option<Netns> {
    match Netns::create("pl-async", test) {
        Ok(ns) => Some(ns),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but the live async kernel tests cannot run here: {e}")
        }
        Err(e) => {
            eprintln!("notice: skipping live async kernel test: {e}");
            None
        }
    }
}

/// A request of type `ty` with `flags` and a family header, attributes
/// written by `body`.
fn request<T: zerocopy::IntoBytes + zerocopy::Immutable>(
    ty: MessageType,
    flags: Flags,
    header: &T,
    body: impl FnOnce(&mut procslink::netlink::MessageBuilder<'_, '_>) -> Result<(), procslink::Error>,
) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf);
    let mut m = b.message(ty, flags, 0, 0).unwrap();
    m.family_header(header).unwrap();
    body(&mut m).unwrap();
    let n = m.finish().unwrap();
    buf.truncate(n);
    buf
}

/// `RTM_NEWLINK` of an ifb link named `name`.
fn new_ifb(name: &str) -> Vec<u8> {
    let mut info = Vec::new();
    info.extend_from_slice(&8u16.to_ne_bytes());
    info.extend_from_slice(&rt_link::IFLA_INFO_KIND.to_ne_bytes());
    info.extend_from_slice(b"ifb\0");
    let flags = Flags::from(NewFlags::CREATE | NewFlags::EXCL);
    request(rt_link::RTM_NEWLINK, flags, &Ifinfomsg::default(), |m| {
        m.put_str(rt_link::IFLA_IFNAME, name)?;
        m.put(rt_link::IFLA_LINKINFO | NLA_F_NESTED, &info)
    })
}

fn get_links() -> Vec<u8> {
    request(
        rt_link::RTM_GETLINK,
        Flags::REQUEST,
        &Ifinfomsg::default(),
        |_| Ok(()),
    )
}

/// The name of a link message.
fn link_name(m: &Message<'_>) -> Vec<u8> {
    let (_, attrs) = m.family_header::<Ifinfomsg>().unwrap();
    attrs
        .lookup(rt_link::IFLA_IFNAME)
        .unwrap()
        .map(|a| a.bytes_str().to_vec())
        .unwrap_or_default()
}

async fn link_names(s: &mut AsyncKernelSocket) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let mut dump = s.dump(&get_links()).await.unwrap();
    while let Some(m) = dump.next().await {
        names.push(link_name(&m.unwrap()));
    }
    assert_eq!(dump.replies() as usize, names.len());
    names
}

#[test]
fn async_dump_reads_every_link() {
    let Some(ns) = netns("dump") else { return };
    ns.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ]);
    ns.ip(&["link", "add", "br0", "type", "bridge"]);
    ns.run_async(|| async {
        let mut s = AsyncKernelSocket::open(Protocol::ROUTE).unwrap();
        let names = link_names(&mut s).await;
        for want in [&b"lo"[..], b"veth0", b"veth1", b"br0"] {
            assert!(names.iter().any(|n| n == want), "{want:?}: {names:?}");
        }
        assert_eq!(names.len(), 4);
        // The socket is reusable after a dump, and after a dump dropped
        // part way.
        let mut dump = s.dump(&get_links()).await.unwrap();
        let first = dump.next().await.unwrap().unwrap();
        assert_eq!(link_name(&first), b"lo");
        drop(dump);
        assert_eq!(link_names(&mut s).await.len(), 4);
    });
}

#[test]
fn async_requests_are_acknowledged_or_refused() {
    let Some(ns) = netns("request") else { return };
    ns.run_async(|| async {
        let mut s = AsyncKernelSocket::open(Protocol::ROUTE).unwrap();
        let ack = s.request(&new_ifb("ifb9")).await.unwrap();
        assert_eq!(ack.replies(), 0);
        assert!(link_names(&mut s).await.iter().any(|n| n == b"ifb9"));

        // An address on it, through the same socket.
        let mut ifa = Ifaddrmsg {
            ifa_family: route::AF_INET,
            ifa_prefixlen: 24,
            ..Ifaddrmsg::default()
        };
        let mut index = 0;
        let get = request(
            rt_link::RTM_GETLINK,
            Flags::empty(),
            &Ifinfomsg::default(),
            |m| m.put_str(rt_link::IFLA_IFNAME, "ifb9"),
        );
        let ack = s
            .request_with(&get, |m| {
                index = m.family_header::<Ifinfomsg>().unwrap().0.ifi_index.get();
            })
            .await
            .unwrap();
        assert_eq!(ack.replies(), 1);
        assert_ne!(index, 0);
        ifa.ifa_index.set(u32::try_from(index).unwrap());
        let flags = Flags::from(NewFlags::CREATE | NewFlags::EXCL);
        let add = request(rt_addr::RTM_NEWADDR, flags, &ifa, |m| {
            m.put(rt_addr::IFA_LOCAL, &[10, 20, 0, 1])
        });
        s.request(&add).await.unwrap();
        // The same again: EEXIST.
        match s.request(&add).await {
            Err(KernelError::Refused(r)) => assert_eq!(r.errno(), 17, "{r}"),
            other => panic!("{other:?}"),
        }
        // No such link: ENODEV, with the kernel's explanation.
        let del = request(
            rt_link::RTM_DELLINK,
            Flags::empty(),
            &Ifinfomsg::default(),
            |m| m.put_str(rt_link::IFLA_IFNAME, "no-such-link"),
        );
        match s.request(&del).await {
            Err(KernelError::Refused(r)) => assert_eq!(r.errno(), 19, "{r}"),
            other => panic!("{other:?}"),
        }
        assert!(s.stats().datagrams >= 6);
    });
}

#[test]
fn async_notifications_arrive_while_other_work_goes_on() {
    let Some(ns) = netns("monitor") else { return };
    ns.run_async(|| async {
        let options = SocketOptions::new().recv_timeout(Some(Duration::from_secs(10)));
        let mut watch = AsyncKernelSocket::open_with(Protocol::ROUTE, options).unwrap();
        watch.join(groups::RTNLGRP_LINK).unwrap();
        let mut s = AsyncKernelSocket::open(Protocol::ROUTE).unwrap();
        // Both on one thread: the watcher waits without blocking the
        // requests that cause what it waits for.
        let watcher = async {
            let mut notes = watch.notifications();
            let mut seen = Vec::new();
            while seen.len() < 2 {
                let m = notes.next().await.unwrap();
                let deleted = m.message_type() == rt_link::RTM_DELLINK;
                let name = link_name(&m);
                if name.starts_with(b"mon") && !seen.contains(&(name.clone(), deleted)) {
                    seen.push((name, deleted));
                }
            }
            seen
        };
        let worker = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(link_names(&mut s).await.len(), 1);
            s.request(&new_ifb("mon0")).await.unwrap();
            let del = request(
                rt_link::RTM_DELLINK,
                Flags::empty(),
                &Ifinfomsg::default(),
                |m| m.put_str(rt_link::IFLA_IFNAME, "mon0"),
            );
            s.request(&del).await.unwrap();
        };
        let (seen, ()) = tokio::join!(watcher, worker);
        assert_eq!(seen, [(b"mon0".to_vec(), false), (b"mon0".to_vec(), true)]);

        // Nothing more: the timeout, as an error, and the socket goes on.
        watch.set_recv_timeout(Some(Duration::from_millis(100)));
        assert!(matches!(
            watch.notifications().next().await,
            Err(KernelError::Timeout)
        ));
    });
}

#[test]
fn async_lost_events_are_reported_once() {
    let Some(ns) = netns("lost") else { return };
    ns.ip(&["link", "add", "burst0", "type", "ifb"]);
    let name = ns.name.clone();
    ns.run_async(|| async move {
        let options = SocketOptions::new()
            .recv_buffer_size(Some(1))
            .recv_timeout(Some(Duration::from_millis(500)));
        let mut watch = AsyncKernelSocket::open_with(Protocol::ROUTE, options).unwrap();
        watch.join(groups::RTNLGRP_IPV4_IFADDR).unwrap();
        // A burst while nobody reads overflows the tiny queue.
        let mut batch = Command::new("ip")
            .args(["-n", &name, "-batch", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut stdin = batch.stdin.take().unwrap();
            for i in 0..200 {
                writeln!(
                    stdin,
                    "addr add 10.7.{}.{}/32 dev burst0",
                    i / 100,
                    i % 100 + 1
                )
                .unwrap();
            }
        }
        assert!(batch.wait().unwrap().success());
        let mut notes = watch.notifications();
        let mut lost = 0;
        let mut read = 0;
        loop {
            match notes.next().await {
                Ok(_) => read += 1,
                Err(KernelError::EventsLost) => lost += 1,
                Err(KernelError::Timeout) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(lost, 1, "read {read}");
        assert!(read < 200, "read {read}");
        assert_eq!(watch.stats().overruns, 1);
    });
}

/// Outside a tokio runtime, opening is an error in words, not tokio's panic.
#[test]
fn opening_outside_a_runtime_is_an_error() {
    let err = AsyncKernelSocket::open(Protocol::ROUTE).expect_err("no runtime here");
    assert!(matches!(err, KernelError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("no tokio runtime"), "{err}");
}
