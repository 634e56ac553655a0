//! Descriptions of well-formed messages: netlink batches with attribute
//! trees, JSON values, JSON-RPC requests and responses, ProcsLink
//! datagrams.
//!
//! A description borrows its strings and byte payloads (from the fuzzer's
//! input, or from an owned description in the proptest strategies) and
//! keeps trees as bounded flat preorder lists with a depth per node, so no
//! description ever allocates.

use core::fmt;

use heapless::Vec as HVec;

use crate::jsonrpc::{Id, RawValue, Style};
use crate::netlink::{NLA_F_NESTED, NLA_F_NET_BYTEORDER};
use crate::procslink::DatagramRepr;
use crate::{Error, ErrorKind};

/// The most messages a [`NetlinkDesc`] holds.
pub const MAX_MESSAGES: usize = 8;
/// The most attributes (nests included) one [`AttrTree`] holds.
pub const MAX_ATTRS: usize = 32;
/// The deepest an attribute may sit: top-level attributes have depth 0,
/// the children of a top-level nest depth 1, and so on up to this.
pub const MAX_ATTR_DEPTH: u8 = 4;
/// The highest attribute type (flag bits masked off) the generators
/// produce. [`Malformation::UnknownType`](super::Malformation::UnknownType)
/// writes types above it, which [`KNOWN_TYPES`](super::KNOWN_TYPES)
/// rejects.
pub const MAX_ATTR_TYPE: u16 = 63;
/// The most nodes one [`JsonTree`] holds.
pub const MAX_JSON_NODES: usize = 16;
/// The deepest a [`JsonNode`] may sit (the root has depth 0).
pub const MAX_JSON_DEPTH: u8 = 4;

/// Message types the generators favour: NOOP, ERROR, DONE, OVERRUN,
/// pyroute2's CONTROL and TRANSPORT, and rtnetlink's link, address, route
/// and neighbour types (16 is also generic netlink's controller).
pub const MESSAGE_TYPES: [u16; 14] = [1, 2, 3, 4, 0xe, 0xf, 16, 17, 18, 19, 20, 24, 28, 30];
/// Family header sizes the generators favour: none, `genlmsghdr` (4),
/// `ifaddrmsg` (8), `rtmsg` / `ndmsg` (12), `ifinfomsg` (16), and 20.
pub const FAMILY_SIZES: [usize; 6] = [0, 4, 8, 12, 16, 20];

/// The four encoder styles, for choosing one.
pub const STYLES: [Style; 4] = [
    Style::Compact,
    Style::CompactAscii,
    Style::Python,
    Style::PythonUnicode,
];

/// What a description and the bytes parsed back from it disagree on.
///
/// Returned by the `verify` methods, which parse bytes with the crate's
/// own parsers and compare every field with the description.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The crate's parser rejected the bytes.
    Parse(Error),
    /// The bytes parse, but `field` (at byte `offset`) differs from the
    /// description.
    Field {
        /// The offset of the item whose field differs.
        offset: usize,
        /// Which field.
        field: &'static str,
    },
}

impl From<Error> for Mismatch {
    fn from(e: Error) -> Self {
        Mismatch::Parse(e)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Parse(e) => write!(f, "parse error: {e}"),
            Mismatch::Field { offset, field } => {
                write!(f, "{field} differs from the description at byte {offset}")
            }
        }
    }
}

pub(crate) fn differs(offset: usize, field: &'static str) -> Mismatch {
    Mismatch::Field { offset, field }
}

/// The value of one attribute in an [`AttrTree`].
///
/// Integers are written in host byte order, or big-endian when the node's
/// type carries `NLA_F_NET_BYTEORDER`, so that [`Attr::u32`] and friends
/// read back the value described. Strings are written with their NUL.
///
/// [`Attr::u32`]: crate::netlink::Attr::u32
///
/// ```
/// use procslink::fuzzing::AttrValue;
///
/// assert!(AttrValue::U16(0x0102).wire_eq(&0x0102u16.to_ne_bytes(), false));
/// assert!(AttrValue::U16(0x0102).wire_eq(&[1, 2], true));
/// assert!(AttrValue::Str("lo").wire_eq(b"lo\0", false));
/// assert!(!AttrValue::Str("lo").wire_eq(b"lo", false));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttrValue<'a> {
    /// A nest: the nodes that follow with a greater depth are its
    /// children. Written with `NLA_F_NESTED` set.
    Nest,
    /// No payload.
    Flag,
    /// One byte.
    U8(u8),
    /// Two bytes.
    U16(u16),
    /// Four bytes.
    U32(u32),
    /// Eight bytes.
    U64(u64),
    /// A NUL-terminated string (must not contain NUL; the builder refuses
    /// it with [`ErrorKind::Misuse`]).
    Str(&'a str),
    /// Opaque bytes.
    Bytes(&'a [u8]),
}

impl AttrValue<'_> {
    /// Whether `payload` is exactly what this value writes (`net_order`:
    /// the node's type carries `NLA_F_NET_BYTEORDER`). A nest compares
    /// equal to nothing here: its children are compared node by node.
    pub fn wire_eq(&self, payload: &[u8], net_order: bool) -> bool {
        macro_rules! int {
            ($v:expr) => {
                if net_order {
                    payload == $v.to_be_bytes()
                } else {
                    payload == $v.to_ne_bytes()
                }
            };
        }
        match *self {
            AttrValue::Nest => false,
            AttrValue::Flag => payload.is_empty(),
            AttrValue::U8(v) => payload == [v],
            AttrValue::U16(v) => int!(v),
            AttrValue::U32(v) => int!(v),
            AttrValue::U64(v) => int!(v),
            AttrValue::Str(s) => {
                payload.split_last() == Some((&0, s.as_bytes())) && !s.as_bytes().contains(&0)
            }
            AttrValue::Bytes(b) => payload == b,
        }
    }

    /// Whether this is [`AttrValue::Nest`].
    pub const fn is_nest(&self) -> bool {
        matches!(self, AttrValue::Nest)
    }
}

/// One attribute of an [`AttrTree`], in preorder.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AttrNode<'a> {
    /// How deep the attribute sits: 0 for the message's own attributes.
    pub depth: u8,
    /// `nla_type`: the type, optionally with `NLA_F_NET_BYTEORDER`.
    /// `NLA_F_NESTED` is decided by the value: set for nests, cleared for
    /// leaves.
    pub ty: u16,
    /// The value.
    pub value: AttrValue<'a>,
}

impl AttrNode<'_> {
    /// The `nla_type` written for this node: `ty` with `NLA_F_NESTED` set
    /// for a nest and cleared for a leaf.
    ///
    /// ```
    /// use procslink::fuzzing::{AttrNode, AttrValue};
    /// use procslink::netlink::NLA_F_NESTED;
    ///
    /// let nest = AttrNode { depth: 0, ty: 18, value: AttrValue::Nest };
    /// assert_eq!(nest.wire_type(), 18 | NLA_F_NESTED);
    /// let leaf = AttrNode { depth: 1, ty: 1 | NLA_F_NESTED, value: AttrValue::Flag };
    /// assert_eq!(leaf.wire_type(), 1);
    /// ```
    pub const fn wire_type(&self) -> u16 {
        if self.value.is_nest() {
            self.ty | NLA_F_NESTED
        } else {
            self.ty & !NLA_F_NESTED
        }
    }

    /// Whether integer values are written big-endian.
    pub const fn net_order(&self) -> bool {
        self.ty & NLA_F_NET_BYTEORDER != 0
    }
}

/// A tree of attributes as a flat preorder list with a depth per node,
/// at most [`MAX_ATTRS`] nodes and [`MAX_ATTR_DEPTH`] deep.
///
/// [`AttrTree::push`] keeps the list a valid preorder: the first node has
/// depth 0, and each node is at most one level below the node before it,
/// and only below a nest.
///
/// ```
/// use procslink::fuzzing::{AttrTree, AttrValue};
///
/// // IFLA_IFNAME "eth0", IFLA_LINKINFO { IFLA_INFO_KIND "vxlan" }
/// let mut tree = AttrTree::new();
/// tree.push(0, 3, AttrValue::Str("eth0"))?;
/// tree.push(0, 18, AttrValue::Nest)?;
/// tree.push(1, 1, AttrValue::Str("vxlan"))?;
/// assert_eq!(tree.nodes().len(), 3);
/// assert!(tree.push(3, 1, AttrValue::Flag).is_err()); // skips a level
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrTree<'a> {
    nodes: HVec<AttrNode<'a>, MAX_ATTRS>,
}

impl<'a> AttrTree<'a> {
    /// An empty tree.
    pub const fn new() -> Self {
        AttrTree { nodes: HVec::new() }
    }

    /// The deepest a node pushed next may sit.
    pub fn max_next_depth(&self) -> u8 {
        match self.nodes.last() {
            None => 0,
            Some(last) if last.value.is_nest() => (last.depth + 1).min(MAX_ATTR_DEPTH),
            Some(last) => last.depth,
        }
    }

    /// Appends a node. A depth that breaks the preorder (see the type's
    /// docs) is [`ErrorKind::Misuse`], a full tree
    /// [`ErrorKind::TooLarge`]; the offset is the node's index.
    pub fn push(&mut self, depth: u8, ty: u16, value: AttrValue<'a>) -> Result<(), Error> {
        let index = self.nodes.len();
        if depth > self.max_next_depth() {
            return Err(Error::new(ErrorKind::Misuse, index));
        }
        self.nodes.push(AttrNode { depth, ty, value }).map_err(|_| {
            Error::new(
                ErrorKind::TooLarge {
                    size: index + 1,
                    max: MAX_ATTRS,
                },
                index,
            )
        })
    }

    /// The nodes in preorder.
    pub fn nodes(&self) -> &[AttrNode<'a>] {
        &self.nodes
    }
}

/// One netlink message: header fields, family header bytes, attributes.
///
/// `nlmsg_len` is not described: the builder computes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageDesc<'a> {
    /// `nlmsg_type`.
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
    /// The family header (e.g. 16 bytes of `ifinfomsg`, 4 of
    /// `genlmsghdr`, or none), padded to 4 bytes on the wire.
    pub family: &'a [u8],
    /// The attributes after the family header.
    pub attrs: AttrTree<'a>,
}

/// A batch of netlink messages in host byte order, as one datagram or
/// dump carries them.
///
/// Build it into a buffer with [`NetlinkDesc::write`]; check bytes
/// against it with [`NetlinkDesc::verify`].
///
/// ```
/// use procslink::fuzzing::{AttrValue, MessageDesc, NetlinkDesc};
///
/// let mut msg = MessageDesc { ty: 16, seq: 1, family: &[0; 16], ..Default::default() };
/// msg.attrs.push(0, 3, AttrValue::Str("lo"))?;
/// msg.attrs.push(0, 4, AttrValue::U32(65536))?;
/// let mut desc = NetlinkDesc::default();
/// desc.messages.push(msg).unwrap();
///
/// let mut buf = [0u8; 128];
/// let len = desc.write(&mut buf)?;
/// assert_eq!(len, 16 + 16 + 8 + 8);
/// assert_eq!(desc.verify(&buf[..len]), Ok(()));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetlinkDesc<'a> {
    /// The messages, in order.
    pub messages: HVec<MessageDesc<'a>, MAX_MESSAGES>,
}

impl NetlinkDesc<'_> {
    /// The family header length of message `index` (0 past the end), for
    /// the `family_len` arguments of the malformation layer.
    ///
    /// ```
    /// use procslink::fuzzing::{MessageDesc, NetlinkDesc};
    ///
    /// let mut desc = NetlinkDesc::default();
    /// desc.messages.push(MessageDesc { family: &[0; 4], ..Default::default() }).unwrap();
    /// assert_eq!(desc.family_len(0), 4);
    /// assert_eq!(desc.family_len(1), 0);
    /// ```
    pub fn family_len(&self, index: usize) -> usize {
        self.messages.get(index).map_or(0, |m| m.family.len())
    }
}

/// A JSON value in a [`JsonTree`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (any text; the encoder escapes it).
    Str(&'a str),
    /// An array: the nodes that follow one level deeper are its elements.
    Array,
    /// An object: the nodes that follow one level deeper are its members,
    /// named by their keys.
    Object,
}

impl JsonValue<'_> {
    /// Whether this is an array or an object.
    pub const fn is_container(&self) -> bool {
        matches!(self, JsonValue::Array | JsonValue::Object)
    }
}

/// One node of a [`JsonTree`], in preorder.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct JsonNode<'a> {
    /// 0 for the root.
    pub depth: u8,
    /// The member name when the parent is an object (ignored otherwise).
    pub key: &'a str,
    /// The value.
    pub value: JsonValue<'a>,
}

/// A JSON value as a flat preorder list of at most [`MAX_JSON_NODES`]
/// nodes, [`MAX_JSON_DEPTH`] deep: the root first, then its descendants.
///
/// ```
/// use procslink::fuzzing::{JsonTree, JsonValue};
/// use procslink::jsonrpc::Style;
///
/// let mut tree = JsonTree::new();
/// tree.push(0, "", JsonValue::Object)?;
/// tree.push(1, "name", JsonValue::Str("eth0"))?;
/// tree.push(1, "up", JsonValue::Bool(true))?;
/// let mut buf = [0u8; 64];
/// let n = tree.write(&mut buf, Style::Python)?;
/// assert_eq!(&buf[..n], br#"{"name": "eth0", "up": true}"#);
/// assert!(tree.push(0, "", JsonValue::Null).is_err()); // one root only
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonTree<'a> {
    nodes: HVec<JsonNode<'a>, MAX_JSON_NODES>,
}

impl<'a> JsonTree<'a> {
    /// An empty tree (which no writer accepts: push a root first).
    pub const fn new() -> Self {
        JsonTree { nodes: HVec::new() }
    }

    /// A tree of one scalar or empty container.
    ///
    /// ```
    /// use procslink::fuzzing::{JsonTree, JsonValue};
    /// assert_eq!(JsonTree::leaf(JsonValue::Int(3)).nodes().len(), 1);
    /// ```
    pub fn leaf(value: JsonValue<'a>) -> Self {
        let mut t = JsonTree::new();
        let _ = t.nodes.push(JsonNode {
            depth: 0,
            key: "",
            value,
        });
        t
    }

    /// The range of depths a node pushed next may have: `None` when the
    /// tree is complete (a root scalar) or full.
    pub fn next_depths(&self) -> Option<(u8, u8)> {
        if self.nodes.is_full() {
            return None;
        }
        match self.nodes.last() {
            None => Some((0, 0)),
            Some(last) => {
                let max = if last.value.is_container() {
                    (last.depth + 1).min(MAX_JSON_DEPTH)
                } else {
                    last.depth
                };
                (max >= 1).then_some((1, max))
            }
        }
    }

    /// Appends a node. A depth outside [`JsonTree::next_depths`] (a second
    /// root, a child of a scalar, a skipped level) is
    /// [`ErrorKind::Misuse`]; a full tree is [`ErrorKind::TooLarge`].
    pub fn push(&mut self, depth: u8, key: &'a str, value: JsonValue<'a>) -> Result<(), Error> {
        let index = self.nodes.len();
        if self.nodes.is_full() {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: index + 1,
                    max: MAX_JSON_NODES,
                },
                index,
            ));
        }
        match self.next_depths() {
            Some((lo, hi)) if (lo..=hi).contains(&depth) => {}
            _ => return Err(Error::new(ErrorKind::Misuse, index)),
        }
        let _ = self.nodes.push(JsonNode { depth, key, value });
        Ok(())
    }

    /// The nodes in preorder.
    pub fn nodes(&self) -> &[JsonNode<'a>] {
        &self.nodes
    }

    /// The root's value, if there is a root.
    pub fn root(&self) -> Option<JsonValue<'a>> {
        self.nodes.first().map(|n| n.value)
    }

    /// Whether `value` is the JSON this tree describes (strings compared
    /// unescaped, integers by value, members in order).
    ///
    /// ```
    /// use procslink::fuzzing::{JsonTree, JsonValue};
    /// use procslink::jsonrpc::RawValue;
    ///
    /// let mut tree = JsonTree::new();
    /// tree.push(0, "", JsonValue::Array)?;
    /// tree.push(1, "", JsonValue::Str("\u{e9}"))?;
    /// assert!(tree.matches(RawValue::parse(r#"["\u00e9"]"#)?));
    /// assert!(!tree.matches(RawValue::parse(r#"["e"]"#)?));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn matches(&self, value: RawValue<'_>) -> bool {
        let mut i = 0;
        match_json(&self.nodes, &mut i, value) && i == self.nodes.len()
    }
}

/// Compares the node at `*i` (and its descendants) with `value`,
/// advancing `*i` past them. Recursion is bounded by the tree's depth
/// ([`MAX_JSON_DEPTH`]).
fn match_json(nodes: &[JsonNode<'_>], i: &mut usize, value: RawValue<'_>) -> bool {
    let Some(node) = nodes.get(*i) else {
        return false;
    };
    *i += 1;
    let child_depth = node.depth.saturating_add(1);
    let is_child = |i: usize| nodes.get(i).is_some_and(|n| n.depth == child_depth);
    match node.value {
        JsonValue::Null => value.is_null(),
        JsonValue::Bool(b) => value.as_bool() == Some(b),
        JsonValue::Int(n) => value.as_number().and_then(|v| v.as_i64()) == Some(n),
        JsonValue::Str(s) => value.as_json_str().is_some_and(|v| v == s),
        JsonValue::Array => {
            let Some(elements) = value.elements() else {
                return false;
            };
            for element in elements {
                if !is_child(*i) || !match_json(nodes, i, element) {
                    return false;
                }
            }
            !is_child(*i)
        }
        JsonValue::Object => {
            let Some(members) = value.members() else {
                return false;
            };
            for (name, member) in members {
                let key_ok = nodes.get(*i).is_some_and(|n| name == n.key);
                if !is_child(*i) || !key_ok || !match_json(nodes, i, member) {
                    return false;
                }
            }
            !is_child(*i)
        }
    }
}

/// A JSON-RPC id.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdDesc<'a> {
    /// `null`.
    Null,
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'a str),
}

impl<'a> IdDesc<'a> {
    /// The id to encode.
    ///
    /// ```
    /// use procslink::fuzzing::IdDesc;
    /// assert_eq!(IdDesc::Int(7).to_id().as_i64(), Some(7));
    /// ```
    pub fn to_id(&self) -> Id<'a> {
        match *self {
            IdDesc::Null => Id::Null,
            IdDesc::Int(n) => Id::from(n),
            IdDesc::Str(s) => Id::from(s),
        }
    }

    /// Whether a decoded id is this one.
    ///
    /// ```
    /// use procslink::fuzzing::IdDesc;
    /// use procslink::jsonrpc::Id;
    /// assert!(IdDesc::Str("a").matches(&Id::from("a")));
    /// assert!(!IdDesc::Null.matches(&Id::from(0)));
    /// ```
    pub fn matches(&self, id: &Id<'_>) -> bool {
        match (*self, id) {
            (IdDesc::Null, Id::Null) => true,
            (IdDesc::Int(n), Id::Number(v)) => v.as_i64() == Some(n),
            (IdDesc::Str(s), Id::Str(v)) => *v == s,
            _ => false,
        }
    }
}

/// A JSON-RPC request, or a notification when `id` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestDesc<'a> {
    /// The id.
    pub id: Option<IdDesc<'a>>,
    /// The method name.
    pub method: &'a str,
    /// The parameters; the root must be an array or an object.
    pub params: Option<JsonTree<'a>>,
}

/// What a JSON-RPC response carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeDesc<'a> {
    /// A result.
    Result(JsonTree<'a>),
    /// An error object.
    Error {
        /// `code`.
        code: i32,
        /// `message`.
        message: &'a str,
        /// `data`, if any.
        data: Option<JsonTree<'a>>,
    },
}

/// A JSON-RPC response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseDesc<'a> {
    /// The id of the request answered.
    pub id: IdDesc<'a>,
    /// The result or the error.
    pub outcome: OutcomeDesc<'a>,
}

/// A JSON-RPC message: a request or a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcDesc<'a> {
    /// A request or notification.
    Request(RequestDesc<'a>),
    /// A response.
    Response(ResponseDesc<'a>),
}

impl<'a> RpcDesc<'a> {
    /// The one JSON tree the message carries (params, result or error
    /// data), if any.
    pub fn tree(&self) -> Option<&JsonTree<'a>> {
        match self {
            RpcDesc::Request(r) => r.params.as_ref(),
            RpcDesc::Response(r) => match &r.outcome {
                OutcomeDesc::Result(t) => Some(t),
                OutcomeDesc::Error { data, .. } => data.as_ref(),
            },
        }
    }
}

/// A ProcsLink datagram: every header field, the JSON-RPC message, and the
/// spelling of its JSON.
///
/// ```
/// use procslink::fuzzing::{DatagramDesc, IdDesc, RequestDesc, RpcDesc};
/// use procslink::jsonrpc::Style;
/// use procslink::procslink::DatagramRepr;
///
/// let desc = DatagramDesc {
///     repr: DatagramRepr::request(4242),
///     style: Style::Python,
///     rpc: RpcDesc::Request(RequestDesc { id: Some(IdDesc::Int(1)), method: "ping", params: None }),
/// };
/// let mut buf = [0u8; 256];
/// let len = desc.write(&mut buf)?;
/// assert_eq!(&buf[40..len], br#"{"jsonrpc": "2.0", "method": "ping", "id": 1}"#);
/// assert_eq!(desc.verify(&buf[..len]), Ok(()));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatagramDesc<'a> {
    /// The header fields (lengths are computed).
    pub repr: DatagramRepr,
    /// How the JSON is spelled.
    pub style: Style,
    /// The message.
    pub rpc: RpcDesc<'a>,
}
