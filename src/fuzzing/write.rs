//! Writing descriptions into the caller's buffer with the crate's own
//! builders and encoder, and checking bytes against a description with
//! the crate's own parsers.

use heapless::Vec as HVec;

use super::describe::{
    AttrNode, AttrTree, DatagramDesc, IdDesc, JsonTree, JsonValue, MAX_ATTR_DEPTH, MAX_JSON_DEPTH,
    MessageDesc, Mismatch, NetlinkDesc, OutcomeDesc, RpcDesc, differs,
};
use crate::jsonrpc::{
    ErrorCode, ErrorObject, Incoming, Message as RpcMessage, Params, RawValue, Request, Response,
    Style, encode_string,
};
use crate::netlink::{Attrs, Builder, MessageBuilder, Messages};
use crate::procslink::{Datagram, MAX_DATAGRAM, PROCSLINK_OVERHEAD};
use crate::{Error, ErrorKind};

fn misuse(at: usize) -> Error {
    Error::new(ErrorKind::Misuse, at)
}

impl AttrTree<'_> {
    /// Appends the tree's attributes to a message being built.
    ///
    /// ```
    /// use procslink::fuzzing::{AttrTree, AttrValue};
    /// use procslink::netlink::{Builder, Message};
    /// use procslink::netlink::flags::Flags;
    ///
    /// let mut tree = AttrTree::new();
    /// tree.push(0, 2, AttrValue::Nest)?;
    /// tree.push(1, 1, AttrValue::U8(7))?;
    /// let mut buf = [0u8; 64];
    /// let mut b = Builder::new(&mut buf);
    /// let mut m = b.message(16u16, Flags::empty(), 0, 0)?;
    /// tree.write_into(&mut m)?;
    /// assert_eq!(m.finish()?, 16 + 4 + 8);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn write_into(&self, m: &mut MessageBuilder<'_, '_>) -> Result<(), Error> {
        let nodes = self.nodes();
        let mut next = 0;
        write_level(nodes, &mut next, 0, m)?;
        if next != nodes.len() {
            return Err(misuse(next));
        }
        Ok(())
    }

    /// Checks the run `attrs` against the tree: same attributes in the
    /// same order, same `nla_type` (flags included) and payloads, nests
    /// descended with [`Attr::nested`](crate::netlink::Attr::nested).
    ///
    /// ```
    /// use procslink::fuzzing::{AttrTree, AttrValue, Mismatch};
    /// use procslink::netlink::Attrs;
    ///
    /// let mut run = [0u8; 8];
    /// run[..2].copy_from_slice(&5u16.to_ne_bytes());
    /// run[2..4].copy_from_slice(&7u16.to_ne_bytes());
    /// run[4] = 9;
    /// let mut tree = AttrTree::new();
    /// tree.push(0, 7, AttrValue::U8(9))?;
    /// assert_eq!(tree.verify(Attrs::new(&run)), Ok(()));
    /// let mut other = AttrTree::new();
    /// other.push(0, 7, AttrValue::U8(8))?;
    /// assert_eq!(
    ///     other.verify(Attrs::new(&run)),
    ///     Err(Mismatch::Field { offset: 0, field: "attribute payload" })
    /// );
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn verify(&self, attrs: Attrs<'_>) -> Result<(), Mismatch> {
        let end_offset = attrs.offset() + attrs.remaining().len();
        // One run per depth, plus the empty run of a nest at the deepest level.
        let mut stack: HVec<Attrs<'_>, { MAX_ATTR_DEPTH as usize + 2 }> = HVec::new();
        let _ = stack.push(attrs);
        for node in self.nodes() {
            while stack.len() > node.depth as usize + 1 {
                if let Some(mut run) = stack.pop() {
                    expect_end(&mut run)?;
                }
            }
            let Some(run) = stack.last_mut() else {
                return Err(differs(end_offset, "attribute depth"));
            };
            let at = run.offset();
            let attr = match run.next() {
                None => return Err(differs(at, "attribute count")),
                Some(attr) => attr?,
            };
            if attr.raw_type() != node.wire_type() {
                return Err(differs(at, "nla_type"));
            }
            if node.value.is_nest() {
                if stack.push(attr.nested()).is_err() {
                    return Err(differs(at, "attribute depth"));
                }
            } else if !node.value.wire_eq(attr.payload(), node.net_order()) {
                return Err(differs(at, "attribute payload"));
            }
        }
        while let Some(mut run) = stack.pop() {
            expect_end(&mut run)?;
        }
        Ok(())
    }
}

/// Writes the nodes from `*next` on that sit at `depth` (nests with their
/// deeper nodes inside them), up to the first node above `depth`.
fn write_level(
    nodes: &[AttrNode<'_>],
    next: &mut usize,
    depth: u8,
    m: &mut MessageBuilder<'_, '_>,
) -> Result<(), Error> {
    while let Some(node) = nodes.get(*next) {
        if node.depth < depth {
            return Ok(());
        }
        let index = *next;
        if node.depth > depth {
            return Err(misuse(index));
        }
        *next += 1;
        let ty = node.wire_type();
        let be = node.net_order();
        match node.value {
            super::AttrValue::Nest => {
                if depth > MAX_ATTR_DEPTH {
                    return Err(misuse(index));
                }
                let mut nest = m.nest(ty)?;
                write_level(nodes, next, depth + 1, &mut nest)?;
                nest.end()?;
            }
            super::AttrValue::Flag => m.put(ty, &[])?,
            super::AttrValue::U8(v) => m.put(ty, &[v])?,
            super::AttrValue::U16(v) => {
                m.put(ty, &if be { v.to_be_bytes() } else { v.to_ne_bytes() })?
            }
            super::AttrValue::U32(v) => {
                m.put(ty, &if be { v.to_be_bytes() } else { v.to_ne_bytes() })?
            }
            super::AttrValue::U64(v) => {
                m.put(ty, &if be { v.to_be_bytes() } else { v.to_ne_bytes() })?
            }
            super::AttrValue::Str(s) => m.put_str(ty, s)?,
            super::AttrValue::Bytes(b) => m.put(ty, b)?,
        }
    }
    Ok(())
}

fn expect_end(run: &mut Attrs<'_>) -> Result<(), Mismatch> {
    let at = run.offset();
    match run.next() {
        None => Ok(()),
        Some(Err(e)) => Err(Mismatch::Parse(e)),
        Some(Ok(_)) => Err(differs(at, "attribute count")),
    }
}

impl MessageDesc<'_> {
    /// Appends the message to a batch being built, returning its length.
    ///
    /// ```
    /// use procslink::fuzzing::MessageDesc;
    /// use procslink::netlink::Builder;
    ///
    /// let mut buf = [0u8; 64];
    /// let mut batch = Builder::new(&mut buf);
    /// let done = MessageDesc { ty: 3, family: &[0; 4], ..Default::default() };
    /// assert_eq!(done.write_into(&mut batch)?, 20);
    /// assert_eq!(done.write_into(&mut batch)?, 20);
    /// assert_eq!(batch.len(), 40);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn write_into(&self, batch: &mut Builder<'_>) -> Result<usize, Error> {
        let mut m = batch.message(
            self.ty,
            crate::netlink::flags::Flags::from_bits_retain(self.flags),
            self.seq,
            self.pid,
        )?;
        if !self.family.is_empty() {
            m.put_bytes_raw(self.family)?;
        }
        self.attrs.write_into(&mut m)?;
        m.finish()
    }
}

impl NetlinkDesc<'_> {
    /// Writes the batch into `buf` with [`Builder`], returning its length.
    ///
    /// # Errors
    ///
    /// The builder's: [`ErrorKind::BufferTooSmall`] when `buf` is short,
    /// [`ErrorKind::TooLarge`] for a nest over 65531 bytes,
    /// [`ErrorKind::Misuse`] for a string with a NUL inside.
    ///
    /// ```
    /// use procslink::fuzzing::{MessageDesc, NetlinkDesc};
    /// use procslink::ErrorKind;
    ///
    /// let mut desc = NetlinkDesc::default();
    /// desc.messages.push(MessageDesc { ty: 3, family: &[0; 4], ..Default::default() }).unwrap();
    /// let mut buf = [0u8; 16];
    /// assert_eq!(desc.write(&mut buf).unwrap_err().kind(), ErrorKind::BufferTooSmall { needed: 20 });
    /// ```
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut batch = Builder::new(buf);
        for m in &self.messages {
            m.write_into(&mut batch)?;
        }
        Ok(batch.len())
    }

    /// Parses `bytes` with [`Messages`] and checks every message, family
    /// header and attribute against the description.
    ///
    /// ```
    /// use procslink::fuzzing::{MessageDesc, Mismatch, NetlinkDesc};
    ///
    /// let mut desc = NetlinkDesc::default();
    /// desc.messages.push(MessageDesc { ty: 3, seq: 9, ..Default::default() }).unwrap();
    /// let mut buf = [0u8; 16];
    /// let len = desc.write(&mut buf)?;
    /// desc.messages[0].seq = 10;
    /// assert_eq!(desc.verify(&buf[..len]), Err(Mismatch::Field { offset: 0, field: "nlmsg_seq" }));
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Mismatch> {
        let mut messages = Messages::new(bytes);
        for desc in &self.messages {
            let at = bytes.len() - messages.remaining().len();
            let msg = match messages.next() {
                None => return Err(differs(at, "message count")),
                Some(m) => m?,
            };
            let h = msg.header();
            if h.message_type().0 != desc.ty {
                return Err(differs(at, "nlmsg_type"));
            }
            if h.flags().bits() != desc.flags {
                return Err(differs(at, "nlmsg_flags"));
            }
            if h.seq() != desc.seq {
                return Err(differs(at, "nlmsg_seq"));
            }
            if h.pid() != desc.pid {
                return Err(differs(at, "nlmsg_pid"));
            }
            let (family, attrs) = msg.split_family_header(desc.family.len())?;
            if family != desc.family {
                return Err(differs(msg.payload_offset(), "family header"));
            }
            desc.attrs.verify(attrs)?;
        }
        match messages.next() {
            None => Ok(()),
            Some(Err(e)) => Err(Mismatch::Parse(e)),
            Some(Ok(m)) => Err(differs(m.offset(), "message count")),
        }
    }
}

/// Writes bytes into a buffer, counting every byte even past its end.
struct JsonOut<'b> {
    buf: &'b mut [u8],
    pos: usize,
    short: bool,
    style: Style,
}

impl JsonOut<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.saturating_add(bytes.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => self.short = true,
        }
        self.pos = end;
    }

    fn string(&mut self, text: &str) -> Result<(), Error> {
        let dst = self.buf.get_mut(self.pos..).unwrap_or(&mut []);
        match encode_string(text, dst, self.style) {
            Ok(n) => self.pos += n,
            Err(e) => match e.kind() {
                ErrorKind::BufferTooSmall { needed } => {
                    self.short = true;
                    self.pos = self.pos.saturating_add(needed);
                }
                _ => return Err(e.shifted(self.pos)),
            },
        }
        Ok(())
    }

    fn int(&mut self, v: i64) {
        self.put(itoa::Buffer::new().format(v).as_bytes());
    }
}

impl JsonTree<'_> {
    /// Writes the JSON text of the tree into `buf` (separators and string
    /// escapes as `style` spells them, strings through
    /// [`encode_string`]), returning its length.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferTooSmall`] with the exact size needed;
    /// [`ErrorKind::Misuse`] for an empty tree.
    pub fn write(&self, buf: &mut [u8], style: Style) -> Result<usize, Error> {
        let mut out = JsonOut {
            buf,
            pos: 0,
            short: false,
            style,
        };
        // For each open container: is it an object, and has it a member yet?
        let mut open: HVec<(bool, bool), { MAX_JSON_DEPTH as usize + 1 }> = HVec::new();
        if self.nodes().is_empty() {
            return Err(misuse(0));
        }
        for (index, node) in self.nodes().iter().enumerate() {
            while open.len() > node.depth as usize {
                if let Some((object, _)) = open.pop() {
                    out.put(if object { b"}" } else { b"]" });
                }
            }
            if open.len() != node.depth as usize || (index > 0 && node.depth == 0) {
                return Err(misuse(index));
            }
            if let Some((object, any)) = open.last_mut() {
                if *any {
                    out.put(style.separator().as_bytes());
                }
                *any = true;
                if *object {
                    out.string(node.key)?;
                    out.put(style.name_separator().as_bytes());
                }
            }
            match node.value {
                JsonValue::Null => out.put(b"null"),
                JsonValue::Bool(true) => out.put(b"true"),
                JsonValue::Bool(false) => out.put(b"false"),
                JsonValue::Int(v) => out.int(v),
                JsonValue::Str(s) => out.string(s)?,
                JsonValue::Array | JsonValue::Object => {
                    let object = node.value == JsonValue::Object;
                    out.put(if object { b"{" } else { b"[" });
                    if open.push((object, false)).is_err() {
                        return Err(misuse(index));
                    }
                }
            }
        }
        while let Some((object, _)) = open.pop() {
            out.put(if object { b"}" } else { b"]" });
        }
        if out.short {
            Err(Error::new(ErrorKind::BufferTooSmall { needed: out.pos }, 0))
        } else {
            Ok(out.pos)
        }
    }

    /// The length of [`JsonTree::write`]'s output.
    ///
    /// ```
    /// use procslink::fuzzing::{JsonTree, JsonValue};
    /// use procslink::jsonrpc::Style;
    /// assert_eq!(JsonTree::leaf(JsonValue::Str("\u{e9}")).encoded_len(Style::Python)?, 8);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn encoded_len(&self, style: Style) -> Result<usize, Error> {
        match self.write(&mut [], style) {
            Ok(n) => Ok(n),
            Err(e) => match e.kind() {
                ErrorKind::BufferTooSmall { needed } => Ok(needed),
                _ => Err(e),
            },
        }
    }
}

impl RpcDesc<'_> {
    /// Encodes the message into `out`, with its JSON tree already written
    /// as `value` (or `None`).
    fn encode(
        &self,
        value: Option<RawValue<'_>>,
        out: &mut [u8],
        style: Style,
    ) -> Result<usize, Error> {
        let msg = self.message(value)?;
        msg.encode(out, style)
    }

    fn encoded_len(&self, value: Option<RawValue<'_>>, style: Style) -> Result<usize, Error> {
        Ok(self.message(value)?.encoded_len(style))
    }

    fn message<'v>(&'v self, value: Option<RawValue<'v>>) -> Result<RpcMessage<'v>, Error> {
        Ok(match self {
            RpcDesc::Request(r) => {
                let params = match value {
                    Some(v) => Some(Params::new(v).ok_or(misuse(0))?),
                    None => None,
                };
                RpcMessage::Request(Request {
                    id: r.id.as_ref().map(IdDesc::to_id),
                    method: r.method.into(),
                    params,
                })
            }
            RpcDesc::Response(r) => {
                let id = r.id.to_id();
                match &r.outcome {
                    OutcomeDesc::Result(_) => {
                        RpcMessage::Response(Response::result(id, value.ok_or(misuse(0))?))
                    }
                    OutcomeDesc::Error { code, message, .. } => {
                        let mut e = ErrorObject::new(ErrorCode(*code), *message);
                        e.data = value;
                        RpcMessage::Response(Response::error(id, e))
                    }
                }
            }
        })
    }

    /// Checks a decoded message against the description.
    fn verify(&self, incoming: Incoming<'_>, at: usize) -> Result<(), Mismatch> {
        let Incoming::Single(msg) = incoming else {
            return Err(differs(at, "JSON-RPC message kind"));
        };
        match (self, msg) {
            (RpcDesc::Request(d), RpcMessage::Request(r)) => {
                let id_ok = match (&d.id, &r.id) {
                    (None, None) => true,
                    (Some(d), Some(r)) => d.matches(r),
                    _ => false,
                };
                if !id_ok {
                    return Err(differs(at, "id"));
                }
                if r.method != d.method {
                    return Err(differs(at, "method"));
                }
                let params_ok = match (&d.params, r.params) {
                    (None, None) => true,
                    (Some(t), Some(p)) => t.matches(p.raw()),
                    _ => false,
                };
                if !params_ok {
                    return Err(differs(at, "params"));
                }
                Ok(())
            }
            (RpcDesc::Response(d), RpcMessage::Response(r)) => {
                if !d.id.matches(&r.id) {
                    return Err(differs(at, "id"));
                }
                let ok = match (&d.outcome, r.outcome) {
                    (OutcomeDesc::Result(t), Ok(v)) => t.matches(v),
                    (
                        OutcomeDesc::Error {
                            code,
                            message,
                            data,
                        },
                        Err(e),
                    ) => {
                        e.code.0 == *code
                            && e.message == *message
                            && match (data, e.data) {
                                (None, None) => true,
                                (Some(t), Some(v)) => t.matches(v),
                                _ => false,
                            }
                    }
                    _ => false,
                };
                if ok {
                    Ok(())
                } else {
                    Err(differs(at, "outcome"))
                }
            }
            _ => Err(differs(at, "JSON-RPC message kind")),
        }
    }
}

impl DatagramDesc<'_> {
    /// The buffer [`DatagramDesc::write`] needs: the datagram, plus room
    /// for the JSON text and the JSON tree it builds them from.
    ///
    /// ```
    /// use procslink::fuzzing::{DatagramDesc, IdDesc, RequestDesc, RpcDesc};
    /// use procslink::jsonrpc::Style;
    /// use procslink::procslink::DatagramRepr;
    ///
    /// let desc = DatagramDesc {
    ///     repr: DatagramRepr::request(1),
    ///     style: Style::Compact,
    ///     rpc: RpcDesc::Request(RequestDesc { id: None, method: "m", params: None }),
    /// };
    /// let json = br#"{"jsonrpc":"2.0","method":"m"}"#.len();
    /// assert_eq!(desc.buffer_len()?, 40 + 2 * json);
    /// # Ok::<(), procslink::Error>(())
    /// ```
    pub fn buffer_len(&self) -> Result<usize, Error> {
        let (tree_len, json_len) = self.lens()?;
        Ok(PROCSLINK_OVERHEAD + 2 * json_len + tree_len)
    }

    fn lens(&self) -> Result<(usize, usize), Error> {
        // The encoder copies raw values as they are, so the message around
        // a short placeholder measures the rest exactly.
        let tree_len = match self.rpc.tree() {
            Some(t) => t.encoded_len(self.style)?,
            None => 0,
        };
        let json_len = match self.rpc.tree() {
            None => self.rpc.encoded_len(None, self.style)?,
            Some(t) => {
                let bare = self.rpc.encoded_len(Some(placeholder(t)), self.style)?;
                bare - placeholder(t).as_str().len() + tree_len
            }
        };
        Ok((tree_len, json_len))
    }

    /// Writes the datagram into the front of `buf` with the JSON-RPC
    /// encoder and [`DatagramRepr::emit`](crate::procslink::DatagramRepr::emit),
    /// returning its length.
    ///
    /// The bytes of `buf` after the datagram serve as scratch space (for the
    /// JSON tree's text and the encoded message before it is copied behind
    /// the headers): `buf` must hold [`DatagramDesc::buffer_len`] bytes,
    /// else the error is [`ErrorKind::BufferTooSmall`] with that size.
    ///
    /// # Errors
    ///
    /// Also [`ErrorKind::TooLarge`] when the datagram would exceed
    /// [`MAX_DATAGRAM`] (which [`Datagram::parse`] refuses), and
    /// [`ErrorKind::Misuse`] when request params are not an array or
    /// object, or a tree is empty.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let (tree_len, json_len) = self.lens()?;
        let total = PROCSLINK_OVERHEAD + json_len;
        if total > MAX_DATAGRAM {
            return Err(Error::new(
                ErrorKind::TooLarge {
                    size: total,
                    max: MAX_DATAGRAM,
                },
                0,
            ));
        }
        let needed = total + json_len + tree_len;
        if buf.len() < needed {
            return Err(Error::new(ErrorKind::BufferTooSmall { needed }, 0));
        }
        let (front, tail) = buf.split_at_mut(needed - tree_len);
        let value = match self.rpc.tree() {
            Some(t) => {
                let n = t.write(tail, self.style)?;
                Some(RawValue::from_slice(tail.get(..n).unwrap_or(&[]))?)
            }
            None => None,
        };
        let (datagram, json) = front.split_at_mut(total);
        let n = self.rpc.encode(value, json, self.style)?;
        self.repr.emit(json.get(..n).unwrap_or(&[]), datagram)
    }

    /// Parses `bytes` with [`Datagram::parse`] and
    /// [`jsonrpc::Message::parse`](crate::jsonrpc::Message::parse) and
    /// checks every header field and the message against the description.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Mismatch> {
        let d = Datagram::parse(bytes)?;
        if d.repr() != self.repr {
            return Err(differs(0, "datagram header"));
        }
        let incoming = RpcMessage::parse(d.payload()).map_err(|e| e.shifted(PROCSLINK_OVERHEAD))?;
        self.rpc.verify(incoming, PROCSLINK_OVERHEAD)
    }
}

/// A value of the same kind as the tree's root whose text is as short as
/// possible, for measuring the message around it.
fn placeholder(tree: &JsonTree<'_>) -> RawValue<'static> {
    let text = match tree.root() {
        Some(JsonValue::Object) => "{}",
        Some(JsonValue::Array) => "[]",
        _ => "0",
    };
    RawValue::parse(text).unwrap_or(RawValue::NULL)
}
