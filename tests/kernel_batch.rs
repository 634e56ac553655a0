//! `KernelSocket::request_batch` (and its async twin) against the live
//! kernel: nftables changes sent as one batch (`batch-begin`, the changes,
//! `batch-end` in one datagram), each in a network namespace the test
//! creates (`ip netns add`) and removes at the end; nothing leaves this
//! machine.
//!
//! Without `ip netns`, netlink sockets or nftables each test prints a
//! one-line notice and passes, unless `CI` is `true`: then it fails.
#![cfg(all(feature = "std", feature = "family-nftables"))]

#[path = "common/netns.rs"]
mod netns;

use procslink::families::nftables::{self, Nfgenmsg};
use procslink::families::view::SetView;
use procslink::kernel::{KernelError, KernelSocket, Protocol};
use procslink::netlink::flags::{Flags, NewFlags};
use procslink::netlink::{Builder, Message, MessageType};

use netns::Netns;

/// `NFNL_SUBSYS_NFTABLES`: the subsystem a batch's `res-id` names.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFPROTO_IPV4: u8 = 2;
const EEXIST: i32 = 17;

/// A fresh namespace where nftables answers a table dump, or `None` after
/// a notice (a failure under `CI=true`).
fn netns(test: &str) -> Option<Netns> {
    let probe = Netns::create("pl-batch", test).and_then(|ns| {
        ns.run(|| tables(&mut KernelSocket::open(Protocol::NETFILTER)?).map(drop))
            .map_err(|e| format!("nftables does not answer: {e}"))?;
        Ok(ns)
    });
    match probe {
        Ok(ns) => Some(ns),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but the live batch tests cannot run here: {e}")
        }
        Err(e) => {
            eprintln!("notice: skipping live batch test: {e}");
            None
        }
    }
}

fn header(family: u8, res_id: u16) -> Nfgenmsg {
    Nfgenmsg {
        nfgen_family: family,
        version: 0,
        res_id: res_id.into(),
    }
}

/// `batch-begin`, a `newtable` of each name (with `flags`), `batch-end`.
fn batch(names: &[&str], flags: Flags) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut b = Builder::new(&mut buf);
    let mut add = |ty: MessageType, flags: Flags, family: u8, res_id: u16, name: Option<&str>| {
        let mut m = b.message(ty, flags, 0, 0).unwrap();
        m.family_header(&header(family, res_id)).unwrap();
        if let Some(name) = name {
            m.put_str(nftables::NFTABLES_A_TABLE_ATTRS_NAME, name)
                .unwrap();
        }
        m.finish().unwrap();
    };
    add(
        nftables::NFTABLES_CMD_BATCH_BEGIN,
        Flags::REQUEST,
        0,
        NFNL_SUBSYS_NFTABLES,
        None,
    );
    for name in names {
        add(
            nftables::NFTABLES_CMD_NEWTABLE,
            flags,
            NFPROTO_IPV4,
            0,
            Some(name),
        );
    }
    add(
        nftables::NFTABLES_CMD_BATCH_END,
        Flags::REQUEST,
        0,
        NFNL_SUBSYS_NFTABLES,
        None,
    );
    let n = b.as_bytes().len();
    buf.truncate(n);
    buf
}

/// The names of the tables the namespace has.
fn tables(socket: &mut KernelSocket) -> Result<Vec<String>, KernelError> {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf);
    let mut m = b
        .message(nftables::NFTABLES_CMD_GETTABLE, Flags::REQUEST, 0, 0)
        .unwrap();
    m.family_header(&header(NFPROTO_IPV4, 0)).unwrap();
    let n = m.finish().unwrap();
    let mut names = Vec::new();
    let mut dump = socket.dump(&buf[..n])?;
    while let Some(msg) = dump.next() {
        names.push(table_name(&msg?));
    }
    Ok(names)
}

fn table_name(msg: &Message<'_>) -> String {
    let (_, attrs) = msg.split_family_header(size_of::<Nfgenmsg>()).unwrap();
    let view = nftables::TableAttrs::from_attrs(attrs).unwrap();
    String::from_utf8_lossy(view.name().expect("a table has a name")).into_owned()
}

fn create() -> Flags {
    Flags::REQUEST | Flags::from(NewFlags::CREATE | NewFlags::EXCL)
}

#[test]
fn a_batch_is_acknowledged_message_by_message() {
    let Some(ns) = netns("acks") else { return };
    ns.run(|| {
        let mut socket = KernelSocket::open(Protocol::NETFILTER).unwrap();
        let mut replies = 0;
        let acks = socket
            .request_batch(&batch(&["one", "two"], create()), |_, _| replies += 1)
            .unwrap();
        assert_eq!(acks.len(), 4, "one acknowledgement per message");
        assert_eq!(replies, 0, "changes have no replies");
        for pair in acks.windows(2) {
            assert_eq!(pair[1].seq(), pair[0].seq() + 1, "numbered in order");
        }
        // The socket's next request numbers itself after the batch.
        let mut names = tables(&mut socket).unwrap();
        names.sort();
        assert_eq!(names, ["one", "two"]);
    });
}

#[test]
fn a_refused_batch_names_the_refused_message_and_changes_nothing() {
    let Some(ns) = netns("refused") else { return };
    ns.run(|| {
        let mut socket = KernelSocket::open(Protocol::NETFILTER).unwrap();
        socket
            .request_batch(&batch(&["kept"], create()), |_, _| {})
            .unwrap();
        // The third message (the second newtable) exists already.
        let err = socket
            .request_batch(&batch(&["new", "kept"], create()), |_, _| {})
            .unwrap_err();
        let refusal = err.refusal().expect("a refusal");
        assert_eq!(refusal.errno(), EEXIST, "{err}");
        assert_eq!(refusal.index(), 2, "{err}");
        // One transaction: "new" was not made either. What the kernel still
        // sends for the aborted batch is not taken for the dump's.
        assert_eq!(tables(&mut socket).unwrap(), ["kept"]);
        // A change alone is refused: nftables takes changes in batches.
        let mut alone = batch(&["alone"], create());
        let begin = usize::try_from(Message::parse(&alone).unwrap().header().len()).unwrap();
        alone.drain(..begin);
        let len = usize::try_from(Message::parse(&alone).unwrap().header().len()).unwrap();
        alone.truncate(len);
        let err = socket.request(&alone).unwrap_err();
        assert!(err.refusal().is_some_and(|r| r.index() == 0), "{err}");
    });
}

#[test]
fn a_batch_that_is_not_messages_is_refused_before_sending() {
    let Some(ns) = netns("invalid") else { return };
    ns.run(|| {
        let mut socket = KernelSocket::open(Protocol::NETFILTER).unwrap();
        let err = socket.request_batch(&[], |_, _| {}).unwrap_err();
        assert!(matches!(err, KernelError::InvalidRequest(_)), "{err}");
        let mut cut = batch(&["cut"], create());
        cut.truncate(cut.len() - 4);
        let err = socket.request_batch(&cut, |_, _| {}).unwrap_err();
        assert!(matches!(err, KernelError::InvalidRequest(_)), "{err}");
        assert!(tables(&mut socket).unwrap().is_empty(), "nothing was sent");
    });
}

#[cfg(feature = "tokio")]
#[test]
fn the_async_socket_sends_batches_too() {
    use procslink::kernel::AsyncKernelSocket;

    let Some(ns) = netns("async") else { return };
    ns.run(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut socket = AsyncKernelSocket::open(Protocol::NETFILTER).unwrap();
            let acks = socket
                .request_batch(&batch(&["async"], create()), |_, _| {})
                .await
                .unwrap();
            assert_eq!(acks.len(), 3);
            let err = socket
                .request_batch(&batch(&["async"], create()), |_, _| {})
                .await
                .unwrap_err();
            assert_eq!(err.refusal().map(|r| r.index()), Some(1), "{err}");
        });
        let mut socket = KernelSocket::open(Protocol::NETFILTER).unwrap();
        assert_eq!(tables(&mut socket).unwrap(), ["async"]);
    });
}
