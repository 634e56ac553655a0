//! Live generic netlink for the tests of the generated tables: a
//! namespace with a veth pair, a family resolved by name through nlctrl
//! (`netlink::genl`), requests built from the family's tables (command,
//! version, attribute numbers) and sent with `KernelSocket`, and every
//! reply decoded with the tables alone ([`spec_tree`](super::spec_tree)).
//!
//! A test binary takes it with `mod peer_common;`,
//! `#[path = "common/netns.rs"] mod netns;`,
//! `#[path = "common/spec_tree.rs"] mod spec_tree;` and
//! `#[path = "common/genl_tables.rs"] mod genl_tables;`.
#![allow(dead_code)]

use procslink::families::{AttrSet, Family, Protocol as SpecProtocol};
use procslink::kernel::{KernelError, KernelSocket, Protocol};
use procslink::netlink::genl::{self, GenlMsgHdr};
use procslink::netlink::{Builder, Message, MessageBuilder, MessageType, flags::Flags};
use procslink::zerocopy::IntoBytes;

use super::netns::Netns;
use super::peer_common::missing;
use super::spec_tree::{self, Node, Value, decode_run, find};

const ENOENT: i32 = 2;
const EOPNOTSUPP: i32 = 95;

/// A namespace with `veth0`–`veth1`, both up, or `None` after a notice.
pub fn namespace(test: &str) -> Option<Netns> {
    match Netns::create("pl-genl", test) {
        Ok(ns) => {
            ns.ip(&["link", "set", "lo", "up"]);
            ns.ip(&[
                "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
            ]);
            ns.ip(&["link", "set", "veth0", "up"]);
            ns.ip(&["link", "set", "veth1", "up"]);
            Some(ns)
        }
        Err(e) => {
            missing(&format!("cannot make a network namespace: {e}"));
            None
        }
    }
}

/// The ifindex of `name` in the namespace, as `ip` says.
pub fn ifindex(ns: &Netns, name: &str) -> i128 {
    let text = ns.ip(&["-j", "link", "show", name]);
    let links: serde_json::Value = serde_json::from_str(&text).expect("ip -j");
    i128::from(links[0]["ifindex"].as_u64().expect("an ifindex"))
}

/// A generic netlink family of this kernel, and its tables.
pub struct Genl {
    socket: KernelSocket,
    id: u16,
    spec: &'static Family,
}

/// One reply, decoded with the tables.
pub struct Reply {
    /// The operation the tables give the reply's command.
    pub op: &'static str,
    pub nodes: Vec<Node>,
    /// The attributes as the kernel sent them.
    pub raw: Vec<u8>,
    /// The whole message as the kernel sent it.
    pub message: Vec<u8>,
}

impl Genl {
    /// Resolves `spec`'s family by name; `None` (after a notice) when the
    /// kernel has no such family.
    pub fn open(spec: &'static Family) -> Option<Genl> {
        let SpecProtocol::Genetlink { name, .. } = spec.protocol() else {
            panic!("{} is no generic netlink family", spec.name());
        };
        let mut socket = KernelSocket::open(Protocol::GENERIC).expect("a NETLINK_GENERIC socket");
        let mut buf = [0u8; 64];
        let len = genl::family_request(&mut buf, 0, name).expect("room for the lookup");
        let mut id = None;
        let outcome = socket.request_with(&buf[..len], |message| {
            let family = genl::Family::parse(message).expect("nlctrl's answer parses");
            assert_eq!(family.name(), name);
            id = Some(family.id());
        });
        match outcome {
            Ok(_) => Some(Genl {
                socket,
                id: id.expect("nlctrl answered with the family"),
                spec,
            }),
            Err(KernelError::Refused(r)) if r.errno() == ENOENT => {
                eprintln!("notice: skipping: this kernel has no {name} generic netlink family");
                None
            }
            Err(e) => panic!("looking up {name}: {e}"),
        }
    }

    /// Sends operation `op` (a dump when `dump`), its attributes written by
    /// `attrs` with the numbers of the operation's set; the replies.
    /// `None` (after a notice) when the kernel does not support the
    /// operation; any other refusal fails the test.
    pub fn call(
        &mut self,
        op: &str,
        dump: bool,
        attrs: impl FnOnce(&AttrSet, &mut MessageBuilder<'_, '_>),
    ) -> Option<Vec<Reply>> {
        match self.try_call(op, dump, attrs) {
            Ok(replies) => Some(replies),
            Err(KernelError::Refused(r)) if r.errno() == EOPNOTSUPP => {
                eprintln!(
                    "notice: skipping: this kernel's {} has no {op}: {r}",
                    self.spec.name()
                );
                None
            }
            Err(e) => panic!("{} {op}: {e}", self.spec.name()),
        }
    }

    /// [`Genl::call`], with the kernel's refusal returned.
    pub fn try_call(
        &mut self,
        op: &str,
        dump: bool,
        attrs: impl FnOnce(&AttrSet, &mut MessageBuilder<'_, '_>),
    ) -> Result<Vec<Reply>, KernelError> {
        let spec = self.spec;
        let operation = spec
            .operation(op)
            .unwrap_or_else(|| panic!("{} has no operation {op}", spec.name()));
        let SpecProtocol::Genetlink { version, .. } = spec.protocol() else {
            unreachable!("checked in open");
        };
        let cmd = operation.request().expect("a request command") as u8;
        let mut buf = [0u8; 256];
        let mut b = Builder::new(&mut buf);
        let mut m = b
            .message(MessageType(self.id), Flags::REQUEST, 0, 0)
            .expect("room");
        m.family_header(&GenlMsgHdr::new(cmd, version))
            .expect("room");
        if let Some(set) = operation.attr_set() {
            attrs(set, &mut m);
        }
        let len = m.finish().expect("the request");
        let request = buf[..len].to_vec();

        let mut replies = Vec::new();
        let mut on_reply = |message: &Message<'_>| replies.push(decode(spec, op, message));
        let outcome = if dump {
            match self.socket.dump(&request) {
                Ok(mut d) => loop {
                    match d.next() {
                        Some(Ok(message)) => on_reply(&message),
                        Some(Err(e)) => break Err(e),
                        None => break Ok(()),
                    }
                },
                Err(e) => Err(e),
            }
        } else {
            self.socket.request_with(&request, on_reply).map(|_| ())
        };
        outcome.map(|()| replies)
    }
}

/// Decodes a reply with the tables: its command's operation (the one the
/// tables say replies with it, else the one asked), and its attributes.
fn decode(spec: &'static Family, asked: &str, message: &Message<'_>) -> Reply {
    let (header, attrs) = message.genl().expect("a genlmsghdr");
    let op = spec
        .operation_by_reply(u16::from(header.cmd))
        .filter(|o| o.attr_set().is_some())
        .or_else(|| spec.operation(asked))
        .expect("an operation for the reply");
    let skip = op.fixed_header().map_or(0, |h| h.size());
    let attrs = match skip {
        0 => attrs,
        n => {
            message
                .split_family_header(4 + n)
                .expect("the fixed header")
                .1
        }
    };
    Reply {
        op: op.name(),
        nodes: decode_run(attrs.clone(), op.attr_set()),
        raw: attrs.remaining().to_vec(),
        message: [message.header().as_bytes(), message.payload()].concat(),
    }
}

/// Every attribute named and every value readable, else a failure that
/// says which.
pub fn assert_fully_described(family: &Family, replies: &[Reply]) -> usize {
    let mut unnamed = Vec::new();
    let mut bad = Vec::new();
    for reply in replies {
        let path = format!("{}:{}", family.name(), reply.op);
        spec_tree::unnamed(&reply.nodes, &path, &mut unnamed);
        spec_tree::bad(&reply.nodes, &path, &mut bad);
    }
    assert!(
        unnamed.is_empty(),
        "attributes the tables do not name: {unnamed:?}"
    );
    assert!(
        bad.is_empty(),
        "values that break their specification: {bad:?}"
    );
    replies.iter().map(|r| spec_tree::count(&r.nodes)).sum()
}

pub fn int(nodes: &[Node], name: &str) -> Option<i128> {
    match find(nodes, name).map(|n| &n.value) {
        Some(Value::Int(v)) => Some(*v),
        _ => None,
    }
}

pub fn string<'n>(nodes: &'n [Node], name: &str) -> Option<&'n str> {
    match find(nodes, name).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}
