//! proptest strategies for the descriptions and the malformation plans.
//!
//! proptest needs values it can own, clone and shrink, so the strategies
//! generate owned descriptions (`Owned*`, with `Vec` and `String`), each
//! with a `view` method that lends the borrowed description the writers
//! take. Trees are generated valid (depths normalised into preorder), with
//! the same biases as the `arbitrary` generators.
//!
//! ```
//! use proptest::prelude::*;
//! use procslink::fuzzing::strategy;
//!
//! proptest!(|(desc in strategy::netlink())| {
//!     let mut buf = [0u8; 16384];
//!     let view = desc.view();
//!     if let Ok(len) = view.write(&mut buf) {
//!         prop_assert_eq!(view.verify(&buf[..len]), Ok(()));
//!     }
//! });
//! ```

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::describe::{
    AttrTree, AttrValue, DatagramDesc, FAMILY_SIZES, IdDesc, JsonTree, JsonValue, MAX_ATTR_DEPTH,
    MAX_ATTR_TYPE, MAX_ATTRS, MAX_JSON_DEPTH, MAX_JSON_NODES, MAX_MESSAGES, MESSAGE_TYPES,
    MessageDesc, NetlinkDesc, OutcomeDesc, RequestDesc, ResponseDesc, RpcDesc, STYLES,
};
use super::envmsg::{ControlDesc, EnvBody, EnvelopeDesc, MAX_CONTROL_ATTRS};
use super::malform::{DatagramMutation, DatagramMutationKind, Mutation, MutationKind};
use crate::envmsg::{
    ControlAttr, ControlCommand, ControlRepr, EnvHeader, EnvMsgHdr, EnvMsgHdrId, EnvMsgHdrPorts,
    EnvelopeRepr, IPR_ATTR_ADDR, IPR_ATTR_CID, IPR_ATTR_ERROR, IPR_ATTR_HOST, IPR_ATTR_PID,
    IPR_ATTR_SECRET, IPR_ATTR_SOURCE, IPR_ATTR_SSL_CA, IPR_ATTR_SSL_CERT, IPR_ATTR_SSL_KEY,
    IPR_ATTR_UUID, TransportFlags,
};
use crate::jsonrpc::Style;
use crate::netlink::NLA_F_NET_BYTEORDER;
use crate::procslink::{DatagramRepr, PayloadType};

/// An owned [`AttrValue`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnedAttrValue {
    /// [`AttrValue::Nest`].
    Nest,
    /// [`AttrValue::Flag`].
    Flag,
    /// [`AttrValue::U8`].
    U8(u8),
    /// [`AttrValue::U16`].
    U16(u16),
    /// [`AttrValue::U32`].
    U32(u32),
    /// [`AttrValue::U64`].
    U64(u64),
    /// [`AttrValue::Str`].
    Str(String),
    /// [`AttrValue::Bytes`].
    Bytes(Vec<u8>),
}

impl OwnedAttrValue {
    /// The borrowed value.
    pub fn view(&self) -> AttrValue<'_> {
        match self {
            OwnedAttrValue::Nest => AttrValue::Nest,
            OwnedAttrValue::Flag => AttrValue::Flag,
            OwnedAttrValue::U8(v) => AttrValue::U8(*v),
            OwnedAttrValue::U16(v) => AttrValue::U16(*v),
            OwnedAttrValue::U32(v) => AttrValue::U32(*v),
            OwnedAttrValue::U64(v) => AttrValue::U64(*v),
            OwnedAttrValue::Str(s) => AttrValue::Str(s),
            OwnedAttrValue::Bytes(b) => AttrValue::Bytes(b),
        }
    }
}

/// An owned [`AttrNode`](super::AttrNode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedAttrNode {
    /// The depth.
    pub depth: u8,
    /// `nla_type`.
    pub ty: u16,
    /// The value.
    pub value: OwnedAttrValue,
}

/// An owned [`MessageDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedMessage {
    /// `nlmsg_type`.
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
    /// The family header.
    pub family: Vec<u8>,
    /// The attributes in preorder.
    pub attrs: Vec<OwnedAttrNode>,
}

impl OwnedMessage {
    /// The borrowed description. Nodes past [`MAX_ATTRS`], or that break
    /// the preorder, are left out (the strategies never make such nodes).
    pub fn view(&self) -> MessageDesc<'_> {
        let mut attrs = AttrTree::new();
        for n in &self.attrs {
            if attrs.push(n.depth, n.ty, n.value.view()).is_err() {
                break;
            }
        }
        MessageDesc {
            ty: self.ty,
            flags: self.flags,
            seq: self.seq,
            pid: self.pid,
            family: &self.family,
            attrs,
        }
    }
}

/// An owned [`NetlinkDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedNetlink {
    /// The messages.
    pub messages: Vec<OwnedMessage>,
}

impl OwnedNetlink {
    /// The borrowed description (at most [`MAX_MESSAGES`] messages).
    pub fn view(&self) -> NetlinkDesc<'_> {
        let mut desc = NetlinkDesc::default();
        for m in &self.messages {
            if desc.messages.push(m.view()).is_err() {
                break;
            }
        }
        desc
    }
}

/// An owned [`JsonValue`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnedJsonValue {
    /// [`JsonValue::Null`].
    Null,
    /// [`JsonValue::Bool`].
    Bool(bool),
    /// [`JsonValue::Int`].
    Int(i64),
    /// [`JsonValue::Str`].
    Str(String),
    /// [`JsonValue::Array`].
    Array,
    /// [`JsonValue::Object`].
    Object,
}

impl OwnedJsonValue {
    fn view(&self) -> JsonValue<'_> {
        match self {
            OwnedJsonValue::Null => JsonValue::Null,
            OwnedJsonValue::Bool(b) => JsonValue::Bool(*b),
            OwnedJsonValue::Int(n) => JsonValue::Int(*n),
            OwnedJsonValue::Str(s) => JsonValue::Str(s),
            OwnedJsonValue::Array => JsonValue::Array,
            OwnedJsonValue::Object => JsonValue::Object,
        }
    }
}

/// An owned [`JsonTree`]: nodes of (depth, key, value) in preorder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedJsonTree {
    /// The nodes.
    pub nodes: Vec<(u8, String, OwnedJsonValue)>,
}

impl OwnedJsonTree {
    /// The borrowed tree (nodes that break its rules are left out).
    pub fn view(&self) -> JsonTree<'_> {
        let mut tree = JsonTree::new();
        for (depth, key, value) in &self.nodes {
            if tree.push(*depth, key, value.view()).is_err() {
                break;
            }
        }
        tree
    }
}

/// An owned [`IdDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedId {
    /// `null`.
    Null,
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

impl OwnedId {
    fn view(&self) -> IdDesc<'_> {
        match self {
            OwnedId::Null => IdDesc::Null,
            OwnedId::Int(n) => IdDesc::Int(*n),
            OwnedId::Str(s) => IdDesc::Str(s),
        }
    }
}

/// An owned [`RpcDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedRpc {
    /// A request ([`RequestDesc`]).
    Request {
        /// The id.
        id: Option<OwnedId>,
        /// The method.
        method: String,
        /// The params (root an array or an object).
        params: Option<OwnedJsonTree>,
    },
    /// A response with a result.
    Result {
        /// The id.
        id: OwnedId,
        /// The result.
        result: OwnedJsonTree,
    },
    /// A response with an error.
    Error {
        /// The id.
        id: OwnedId,
        /// `code`.
        code: i32,
        /// `message`.
        message: String,
        /// `data`.
        data: Option<OwnedJsonTree>,
    },
}

impl OwnedRpc {
    /// The borrowed description.
    pub fn view(&self) -> RpcDesc<'_> {
        match self {
            OwnedRpc::Request { id, method, params } => RpcDesc::Request(RequestDesc {
                id: id.as_ref().map(OwnedId::view),
                method,
                params: params.as_ref().map(OwnedJsonTree::view),
            }),
            OwnedRpc::Result { id, result } => RpcDesc::Response(ResponseDesc {
                id: id.view(),
                outcome: OutcomeDesc::Result(result.view()),
            }),
            OwnedRpc::Error {
                id,
                code,
                message,
                data,
            } => RpcDesc::Response(ResponseDesc {
                id: id.view(),
                outcome: OutcomeDesc::Error {
                    code: *code,
                    message,
                    data: data.as_ref().map(OwnedJsonTree::view),
                },
            }),
        }
    }
}

/// An owned [`DatagramDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedDatagram {
    /// The header fields.
    pub repr: DatagramRepr,
    /// The JSON spelling.
    pub style: Style,
    /// The message.
    pub rpc: OwnedRpc,
}

impl OwnedDatagram {
    /// The borrowed description.
    pub fn view(&self) -> DatagramDesc<'_> {
        DatagramDesc {
            repr: self.repr,
            style: self.style,
            rpc: self.rpc.view(),
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

/// A leaf attribute value (never a nest): integers, flags, strings
/// without NUL, bytes.
pub fn attr_value() -> impl Strategy<Value = OwnedAttrValue> {
    prop_oneof![
        Just(OwnedAttrValue::Flag),
        any::<u8>().prop_map(OwnedAttrValue::U8),
        any::<u16>().prop_map(OwnedAttrValue::U16),
        any::<u32>().prop_map(OwnedAttrValue::U32),
        any::<u64>().prop_map(OwnedAttrValue::U64),
        "[^\\x00]{0,16}".prop_map(OwnedAttrValue::Str),
        vec(any::<u8>(), 0..24).prop_map(OwnedAttrValue::Bytes),
    ]
}

/// An attribute tree in preorder: up to [`MAX_ATTRS`] nodes, a quarter of
/// them nests, types 0 to [`MAX_ATTR_TYPE`] (some with
/// `NLA_F_NET_BYTEORDER`).
pub fn attr_tree() -> impl Strategy<Value = Vec<OwnedAttrNode>> {
    let node = (
        0..=MAX_ATTR_DEPTH,
        0..=MAX_ATTR_TYPE,
        proptest::bool::weighted(0.125),
        prop_oneof![1 => Just(OwnedAttrValue::Nest), 3 => attr_value()],
    );
    vec(node, 0..=MAX_ATTRS).prop_map(|nodes| {
        let mut out: Vec<OwnedAttrNode> = Vec::new();
        for (depth, ty, net, value) in nodes {
            let max = match out.last() {
                None => 0,
                Some(l) if l.value == OwnedAttrValue::Nest => (l.depth + 1).min(MAX_ATTR_DEPTH),
                Some(l) => l.depth,
            };
            let ty = if net { ty | NLA_F_NET_BYTEORDER } else { ty };
            out.push(OwnedAttrNode {
                depth: depth.min(max),
                ty,
                value,
            });
        }
        out
    })
}

/// One message: a type (mostly from [`MESSAGE_TYPES`]), any flags,
/// sequence number and port id, a family header of one of
/// [`FAMILY_SIZES`], and an [`attr_tree`].
pub fn message() -> impl Strategy<Value = OwnedMessage> {
    let ty = prop_oneof![7 => select(&MESSAGE_TYPES[..]), 1 => any::<u16>()];
    let family = select(&FAMILY_SIZES[..]).prop_flat_map(|n| vec(any::<u8>(), n));
    (
        ty,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        family,
        attr_tree(),
    )
        .prop_map(|(ty, flags, seq, pid, family, attrs)| OwnedMessage {
            ty,
            flags,
            seq,
            pid,
            family,
            attrs,
        })
}

/// A batch of 1 to [`MAX_MESSAGES`] messages.
pub fn netlink() -> impl Strategy<Value = OwnedNetlink> {
    vec(message(), 1..=MAX_MESSAGES).prop_map(|messages| OwnedNetlink { messages })
}

fn json_value() -> impl Strategy<Value = OwnedJsonValue> {
    prop_oneof![
        Just(OwnedJsonValue::Null),
        any::<bool>().prop_map(OwnedJsonValue::Bool),
        any::<i64>().prop_map(OwnedJsonValue::Int),
        text().prop_map(OwnedJsonValue::Str),
        Just(OwnedJsonValue::Array),
        Just(OwnedJsonValue::Object),
    ]
}

/// A JSON tree of up to [`MAX_JSON_NODES`] nodes; the root is an array or
/// an object when `container`.
pub fn json_tree(container: bool) -> impl Strategy<Value = OwnedJsonTree> {
    let root = if container {
        prop_oneof![Just(OwnedJsonValue::Array), Just(OwnedJsonValue::Object)].boxed()
    } else {
        json_value().boxed()
    };
    let node = (1..=MAX_JSON_DEPTH, text(), json_value());
    (root, vec(node, 0..MAX_JSON_NODES)).prop_map(|(root, rest)| {
        let mut nodes = Vec::new();
        let mut last = (0u8, root.clone());
        nodes.push((0, String::new(), root));
        for (depth, key, value) in rest {
            let max = if matches!(last.1, OwnedJsonValue::Array | OwnedJsonValue::Object) {
                (last.0 + 1).min(MAX_JSON_DEPTH)
            } else {
                last.0
            };
            if max == 0 {
                break;
            }
            let depth = depth.min(max);
            last = (depth, value.clone());
            nodes.push((depth, key, value));
        }
        OwnedJsonTree { nodes }
    })
}

fn id() -> impl Strategy<Value = OwnedId> {
    prop_oneof![
        Just(OwnedId::Null),
        any::<i64>().prop_map(OwnedId::Int),
        text().prop_map(OwnedId::Str),
    ]
}

/// A JSON-RPC request, notification, result or error response.
pub fn rpc() -> impl Strategy<Value = OwnedRpc> {
    prop_oneof![
        (
            proptest::option::of(id()),
            text(),
            proptest::option::of(json_tree(true))
        )
            .prop_map(|(id, method, params)| OwnedRpc::Request { id, method, params }),
        (id(), json_tree(false)).prop_map(|(id, result)| OwnedRpc::Result { id, result }),
        (
            id(),
            any::<i32>(),
            text(),
            proptest::option::of(json_tree(false))
        )
            .prop_map(|(id, code, message, data)| OwnedRpc::Error {
                id,
                code,
                message,
                data
            }),
    ]
}

/// A ProcsLink datagram: any header fields (the payload type mostly
/// matching the message), any style, an [`rpc`] message.
pub fn datagram() -> impl Strategy<Value = OwnedDatagram> {
    let header = (
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u64>(),
        proptest::option::weighted(0.125, any::<u16>()),
    );
    (header, select(&STYLES[..]), rpc()).prop_map(|(h, style, rpc)| {
        let natural = match rpc {
            OwnedRpc::Request { .. } => PayloadType::JSONRPC_REQUEST,
            _ => PayloadType::JSONRPC_RESPONSE,
        };
        let repr = DatagramRepr {
            nlmsg_type: h.0,
            nlmsg_flags: h.1,
            nlmsg_seq: h.2,
            pid: h.3,
            version: h.4,
            flag: h.5,
            payload_type: h.9.map_or(natural, PayloadType),
            reserved: h.6,
            seq: h.7,
            timestamp: h.8,
        };
        OwnedDatagram { repr, style, rpc }
    })
}

/// A netlink malformation plan: any kind, target and value.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    (select(&MutationKind::ALL[..]), any::<u16>(), any::<u16>()).prop_map(
        |(kind, target, value)| Mutation {
            kind,
            target,
            value,
        },
    )
}

/// A ProcsLink malformation plan: any kind, target and value.
pub fn datagram_mutation() -> impl Strategy<Value = DatagramMutation> {
    (
        select(&DatagramMutationKind::ALL[..]),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(kind, target, value)| DatagramMutation {
            kind,
            target,
            value,
        })
}

/// An owned control attribute: the text ones by type, the `u32` ones by
/// type, and the key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnedControlAttr {
    /// `SECRET`, `HOST`, `SSL_KEY`, `SSL_CERT`, `SSL_CA`, `ERROR` or `UUID`
    /// (by attribute type), and its text.
    Text(u16, String),
    /// `ADDR`, `CID`, `SOURCE` or `PID` (by attribute type), and its value.
    U32(u16, u32),
    /// `KEY`: offset, key, mask.
    Key(u32, u32, u32),
}

impl OwnedControlAttr {
    /// The borrowed attribute.
    pub fn view(&self) -> ControlAttr<'_> {
        match self {
            OwnedControlAttr::Text(ty, s) => match *ty {
                IPR_ATTR_SECRET => ControlAttr::Secret(s),
                IPR_ATTR_HOST => ControlAttr::Host(s),
                IPR_ATTR_SSL_KEY => ControlAttr::SslKey(s),
                IPR_ATTR_SSL_CERT => ControlAttr::SslCert(s),
                IPR_ATTR_SSL_CA => ControlAttr::SslCa(s),
                IPR_ATTR_ERROR => ControlAttr::Error(s),
                _ => ControlAttr::Uuid(s),
            },
            OwnedControlAttr::U32(ty, v) => match *ty {
                IPR_ATTR_ADDR => ControlAttr::Addr(*v),
                IPR_ATTR_CID => ControlAttr::Cid(*v),
                IPR_ATTR_SOURCE => ControlAttr::Source(*v),
                _ => ControlAttr::Pid(*v),
            },
            OwnedControlAttr::Key(offset, key, mask) => ControlAttr::Key {
                offset: *offset,
                key: *key,
                mask: *mask,
            },
        }
    }
}

/// What an [`OwnedEnvelope`] carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedEnvBody {
    /// Opaque data.
    Data(Vec<u8>),
    /// A control message.
    Control(ControlRepr, Vec<OwnedControlAttr>),
}

/// An owned [`EnvelopeDesc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedEnvelope {
    /// The envelope's header fields.
    pub repr: EnvelopeRepr,
    /// What it carries.
    pub body: OwnedEnvBody,
}

impl OwnedEnvelope {
    /// The borrowed description (at most [`MAX_CONTROL_ATTRS`] control
    /// attributes).
    pub fn view(&self) -> EnvelopeDesc<'_> {
        let body = match &self.body {
            OwnedEnvBody::Data(d) => EnvBody::Data(d),
            OwnedEnvBody::Control(repr, attrs) => {
                let mut c = ControlDesc {
                    repr: *repr,
                    ..Default::default()
                };
                for a in attrs {
                    if c.attrs.push(a.view()).is_err() {
                        break;
                    }
                }
                EnvBody::Control(c)
            }
        };
        EnvelopeDesc {
            repr: self.repr,
            body,
        }
    }
}

fn control_attr() -> impl Strategy<Value = OwnedControlAttr> {
    const TEXT_TYPES: [u16; 7] = [
        IPR_ATTR_SECRET,
        IPR_ATTR_HOST,
        IPR_ATTR_SSL_KEY,
        IPR_ATTR_SSL_CERT,
        IPR_ATTR_SSL_CA,
        IPR_ATTR_ERROR,
        IPR_ATTR_UUID,
    ];
    const INT_TYPES: [u16; 4] = [IPR_ATTR_ADDR, IPR_ATTR_CID, IPR_ATTR_SOURCE, IPR_ATTR_PID];
    prop_oneof![
        (select(&TEXT_TYPES[..]), "[^\\x00]{0,24}").prop_map(|(t, s)| OwnedControlAttr::Text(t, s)),
        (select(&INT_TYPES[..]), any::<u32>()).prop_map(|(t, v)| OwnedControlAttr::U32(t, v)),
        any::<(u32, u32, u32)>().prop_map(|(o, k, m)| OwnedControlAttr::Key(o, k, m)),
    ]
}

/// A transport message in any of the three formats, with any flags,
/// carrying data or a control message (command 0 to 17, up to
/// [`MAX_CONTROL_ATTRS`] attributes).
pub fn envelope() -> impl Strategy<Value = OwnedEnvelope> {
    let header = prop_oneof![
        // pyroute2's layout (the default) first: shrinking goes towards it.
        (any::<(u32, u32, u32, u32, u16)>(), any::<[u8; 16]>()).prop_map(
            |((d, dp, s, sp, t), id)| EnvHeader::PortsId(EnvMsgHdrId::new(d, dp, s, sp, t, id))
        ),
        any::<(u32, u32)>().prop_map(|(d, s)| EnvHeader::Basic(EnvMsgHdr::new(d, s))),
        any::<(u32, u32, u32, u32, u16)>()
            .prop_map(|(d, dp, s, sp, t)| EnvHeader::Ports(EnvMsgHdrPorts::new(d, dp, s, sp, t))),
    ];
    let control = (
        0u8..=17,
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
        vec(control_attr(), 0..=MAX_CONTROL_ATTRS),
    )
        .prop_map(|(command, version, seq, pid, attrs)| {
            let repr = ControlRepr {
                command: ControlCommand(command),
                version,
                flags: 0,
                seq,
                pid,
            };
            OwnedEnvBody::Control(repr, attrs)
        });
    let body = prop_oneof![
        vec(any::<u8>(), 0..64).prop_map(OwnedEnvBody::Data),
        control
    ];
    (header, any::<u16>(), any::<u32>(), any::<u32>(), body).prop_map(
        |(header, flags, seq, pid, body)| OwnedEnvelope {
            repr: EnvelopeRepr {
                header,
                flags: TransportFlags::from_bits_retain(flags),
                seq,
                pid,
            },
            body,
        },
    )
}
