//! Serving one datagram: checking its sender and framing, decoding it,
//! and running its request or batch.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, MutexGuard};

use zerocopy::FromBytes;

use crate::jsonrpc::{Batch, Decoder, ErrorCode, Id, Incoming, Message, Notes, Request};
use crate::netlink::NlMsgHdrBe;
use crate::peer::error::{RpcError, SERVER_BUSY};
use crate::peer::limits::{SenderKey, Watch};
use crate::peer::params::{Params, Reply, RequestContext};
use crate::peer::result::ResultText;
use crate::peer::socket::{Address, RecvInfo};
use crate::peer::transport::Framing;
use crate::peer::{bump, bump_exclusive};
use crate::procslink::{Datagram, PayloadType};

use super::Shared;
use super::methods::Handler;
use super::reply::Out;

/// What a request brings besides its text.
pub(super) struct Context {
    pub(super) request: RequestContext,
    pub(super) denied: bool,
}

/// A serving thread's buffers, allocated once and reused for every
/// datagram.
pub(super) struct Buffers {
    /// Where datagrams are received.
    pub(super) recv: Vec<u8>,
    /// Where the response is built.
    pub(super) out: Out,
}

impl Buffers {
    pub(super) fn new(
        max_datagram: usize,
        framing: Framing,
        served: Arc<AtomicU64>,
        watch: Arc<Watch>,
    ) -> Self {
        Buffers {
            recv: vec![0; max_datagram],
            out: Out {
                datagram: vec![0; max_datagram],
                at: framing.overhead(),
                text: String::with_capacity(256),
                result: String::with_capacity(256),
                fds: Vec::new(),
                served,
                watch,
                abandoned: false,
            },
        }
    }
}

impl Shared {
    pub(super) fn served_by(&self) -> MutexGuard<'_, Vec<Arc<AtomicU64>>> {
        lock(&self.served_by)
    }

    /// Sends one wake-up per serving thread; whether all could be sent.
    pub(super) fn wake_serving(&self) -> bool {
        let threads = self.serving.load(Ordering::SeqCst);
        (0..threads).all(|_| self.socket.wake().is_ok())
    }

    pub(super) fn wants_credentials(&self) -> bool {
        self.options.allow_uids.is_some() || self.options.pass_credentials
    }

    pub(super) fn handle(&self, data: &[u8], info: RecvInfo, out: &mut Out) {
        let RecvInfo {
            len,
            from,
            credentials,
            fds,
            control_truncated,
        } = info;
        out.fds.clear();
        if from.as_ref().is_some_and(|f| self.socket.is_local(f)) {
            if !self.ages.as_ref().is_some_and(|a| a.marker_read(data)) {
                bump(&self.counters.ignored);
            }
            return;
        }
        if from == Some(Address::Netlink(0)) {
            bump(&self.counters.ignored);
            return;
        }
        if self.ages.as_ref().is_some_and(|a| a.expired(&self.socket)) {
            // Its caller has given up: running it would only delay others.
            bump(&self.counters.expired);
            return;
        }
        // Checked on the bare header, before the framing is: a datagram
        // whose sender lies about its port is not answered even to say
        // that its framing is bad.
        if self.socket.is_netlink()
            && self.options.check_pid
            && let Ok((header, _)) = NlMsgHdrBe::ref_from_prefix(data)
        {
            let claimed = header.pid();
            if claimed == 0 || from.as_ref().and_then(Address::port) != Some(claimed) {
                bump(&self.counters.spoofed);
                return;
            }
        }
        let denied = self.options.allow_uids.as_ref().is_some_and(|set| {
            !credentials.is_some_and(|c| set.contains(&c.uid) && Some(c.uid) != self.overflow_uid)
        });
        if denied {
            bump(&self.counters.denied);
        }
        let max = self.options.max_datagram;
        if len > data.len() {
            return self.framing_error(
                from,
                format!("datagram of {len} bytes exceeds the {max}-byte limit"),
                out,
            );
        }
        if control_truncated {
            return self.framing_error(
                from,
                "ancillary data truncated (MSG_CTRUNC)".to_string(),
                out,
            );
        }
        let payload = match self.socket.framing() {
            Framing::ProcsLink => match self.procslink_payload(data, &from, out) {
                Some(payload) => payload,
                None => return,
            },
            Framing::Bare if Datagram::parse_with_limit(data, max).is_ok() => {
                // JSON text never starts with a header whose length is the
                // datagram's own.
                return self.framing_error(
                    from,
                    "a ProcsLink-framed datagram (nlmsghdr + procslinkhdr); \
                     this server reads bare JSON documents (jsoncomm)"
                        .to_string(),
                    out,
                );
            }
            Framing::Bare => data,
        };
        let mut ctx = Context {
            request: RequestContext {
                sender: from,
                credentials,
                fds,
            },
            denied,
        };
        if let Some(n) = self.dispatch(payload, &mut ctx, out) {
            self.send(ctx.request.sender, n, out);
        }
    }

    /// The JSON-RPC text of a ProcsLink datagram that carries a request;
    /// `None` when it is not one (answered or dropped here).
    fn procslink_payload<'d>(
        &self,
        data: &'d [u8],
        from: &Option<Address>,
        out: &mut Out,
    ) -> Option<&'d [u8]> {
        let datagram = match Datagram::parse_with_limit(data, self.options.max_datagram) {
            Ok(d) => d,
            Err(e) => {
                let detail = format!("bad ProcsLink datagram: {e}");
                self.framing_error(from.clone(), detail, out);
                return None;
            }
        };
        match datagram.payload_type() {
            PayloadType::JSONRPC_REQUEST => Some(datagram.payload()),
            PayloadType::JSONRPC_RESPONSE => {
                // Never answer a response: two peers would bounce errors
                // forever.
                bump(&self.counters.malformed);
                None
            }
            other => {
                let detail = format!("payload type {} is not a JSON-RPC request", other.0);
                self.framing_error(from.clone(), detail, out);
                None
            }
        }
    }

    pub(super) fn framing_error(&self, to: Option<Address>, detail: String, out: &mut Out) {
        bump(&self.counters.malformed);
        let error = RpcError::invalid_request().with_data(detail);
        let n = out.response(&Id::Null, Err(error), self.options.style);
        self.send(to, n, out);
    }

    /// Serves one request text; the length of the response written into
    /// `out`, unless there is none to send.
    pub(super) fn dispatch(
        &self,
        payload: &[u8],
        ctx: &mut Context,
        out: &mut Out,
    ) -> Option<usize> {
        let mut notes = Notes::default();
        match Decoder::new().parse_noting(payload, &mut notes) {
            Err(e) => {
                bump(&self.counters.malformed);
                let error = RpcError::standard(ErrorCode::from_error(&e));
                Some(self.single(&Id::Null, Err(error), out))
            }
            Ok(Incoming::Single(Message::Request(req))) => self.run(&req, Some(notes), ctx, out),
            Ok(Incoming::Single(Message::Response(_))) => {
                bump(&self.counters.malformed);
                // Without a payload type to tell a response apart, a bare
                // response is never answered: two servers would bounce
                // errors forever.
                (self.socket.framing() == Framing::ProcsLink)
                    .then(|| self.single(&Id::Null, Err(RpcError::invalid_request()), out))
            }
            Ok(Incoming::Batch(batch))
                if self.socket.framing() == Framing::Bare
                    && batch.iter().next().is_some()
                    && batch.iter().all(|m| matches!(m, Ok(Message::Response(_)))) =>
            {
                bump(&self.counters.malformed);
                None
            }
            Ok(Incoming::Batch(batch)) => self.batch(&batch, ctx, out),
        }
    }

    pub(super) fn batch(
        &self,
        batch: &Batch<'_>,
        ctx: &mut Context,
        out: &mut Out,
    ) -> Option<usize> {
        // Each response is written into the datagram, then appended here.
        let mut texts = Vec::new();
        let mut parts = Vec::new();
        for element in batch.iter() {
            let fds_before = out.fds.len();
            let (id, n) = match element {
                Ok(Message::Request(req)) => (req.id, self.run(&req, None, ctx, out)),
                Ok(Message::Response(_)) | Err(_) => {
                    bump(&self.counters.malformed);
                    let n = self.single(&Id::Null, Err(RpcError::invalid_request()), out);
                    (Some(Id::Null), Some(n))
                }
            };
            if let (Some(id), Some(n)) = (id, n) {
                let start = texts.len();
                texts.extend_from_slice(out.payload(n));
                parts.push(Part {
                    id,
                    text: start..texts.len(),
                    fds: fds_before..out.fds.len(),
                    replaced: None,
                });
            }
        }
        if parts.is_empty() {
            return None;
        }
        if !self.fit_batch(&mut parts, out) {
            out.fds.clear();
            let len = self.batch_len(&parts);
            return Some(self.single(&Id::Null, Err(self.too_large(len)), out));
        }
        // The descriptors of responses left out are closed.
        let mut at = 0;
        out.fds.retain(|_| {
            let kept = !parts
                .iter()
                .any(|p| p.replaced.is_some() && p.fds.contains(&at));
            at += 1;
            kept
        });
        let len = self.batch_len(&parts);
        let end = out.at + len;
        if out.datagram.len() < end {
            out.datagram.resize(end, 0);
        }
        let separator = self.options.style.separator().as_bytes();
        let mut at = out.at;
        let mut put = |bytes: &[u8]| {
            if let Some(dst) = out.datagram.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            at += bytes.len();
        };
        put(b"[");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                put(separator);
            }
            put(part.bytes(&texts));
        }
        put(b"]");
        Some(len)
    }

    /// The length of the batch response made of `parts`.
    fn batch_len(&self, parts: &[Part<'_>]) -> usize {
        let separator = self.options.style.separator().len();
        let texts: usize = parts.iter().map(Part::len).sum();
        2 + texts + separator * parts.len().saturating_sub(1)
    }

    /// Makes the batch response fit one datagram by replacing its largest
    /// responses, one by one, by errors with their ids; whether it fits.
    fn fit_batch(&self, parts: &mut [Part<'_>], out: &mut Out) -> bool {
        let max = self.options.max_datagram;
        let mut len = self.batch_len(parts);
        let mut by_size: Vec<usize> = (0..parts.len()).collect();
        by_size.sort_by_key(|&i| std::cmp::Reverse(parts.get(i).map_or(0, Part::len)));
        for i in by_size {
            if out.at + len <= max {
                return true;
            }
            let Some(part) = parts.get_mut(i) else {
                continue;
            };
            let old = part.len();
            let error = RpcError::internal(format_args!(
                "the batch's responses together exceed the {max}-byte datagram limit: \
                 this one's {old} bytes were left out"
            ));
            let n = out.response(&part.id, Err(error), self.options.style);
            if n >= old {
                continue;
            }
            part.replaced = Some(out.payload(n).to_vec());
            len = len - old + n;
        }
        out.at + len <= max
    }

    /// Runs one request, with what decoding it noted about its params
    /// (`None` in a batch); the length of its response written into `out`
    /// (with the handler's descriptors added to `out.fds`), unless it is a
    /// notification.
    pub(super) fn run(
        &self,
        req: &Request<'_>,
        notes: Option<Notes>,
        ctx: &mut Context,
        out: &mut Out,
    ) -> Option<usize> {
        if out.abandoned {
            return None;
        }
        bump_exclusive(&out.served);
        let outcome = if ctx.denied {
            Err(RpcError::permission_denied())
        } else {
            let method: std::borrow::Cow<'_, str> = match req.method.as_unescaped() {
                Some(m) => m.into(),
                None => req.method.chars().collect::<String>().into(),
            };
            let handler = self.methods.get(&method);
            let running = match (&self.per_sender, handler) {
                (Some(limits), Some(_)) => {
                    let key = match (&ctx.request.credentials, &ctx.request.sender) {
                        (Some(c), _) => Some(SenderKey::Uid(c.uid)),
                        (None, Some(a)) => Some(SenderKey::Address(a.clone())),
                        (None, None) => None,
                    };
                    key.map(|key| limits.enter(key))
                }
                _ => None,
            };
            match handler {
                _ if matches!(running, Some(None)) => {
                    bump(&self.counters.busy);
                    Err(RpcError::new(SERVER_BUSY, "Server busy"))
                }
                None => Err(RpcError::method_not_found()),
                Some(handler) if self.options.handler_timeout.is_some() => {
                    out.watch.start(ctx.request.sender.clone(), req.id.as_ref());
                    let inside = self.enter_handler();
                    let outcome = self.invoke(handler, req, notes, ctx, &mut out.result);
                    drop(inside);
                    if out.watch.finish() {
                        out.abandoned = true;
                        return None;
                    }
                    outcome
                }
                Some(handler) => {
                    let _inside = self.enter_handler();
                    self.invoke(handler, req, notes, ctx, &mut out.result)
                }
            }
        };
        let id = req.id?;
        Some(match outcome {
            Ok(Some(reply)) => {
                let n = self.single(&id, Ok(&reply.value), out);
                out.fds.extend(reply.fds);
                n
            }
            Ok(None) => {
                let n = out.written_response(&id, self.options.style);
                self.fitting(&id, n, out)
            }
            Err(e) => self.single(&id, Err(e), out),
        })
    }

    /// Counts the calling thread inside a handler until the guard drops,
    /// for the dater (only when the server dates its queue).
    fn enter_handler(&self) -> Option<InHandlers<'_>> {
        self.ages.as_ref()?;
        self.in_handlers.fetch_add(1, Ordering::SeqCst);
        Some(InHandlers(self))
    }

    pub(super) fn invoke(
        &self,
        handler: &Arc<Handler>,
        req: &Request<'_>,
        notes: Option<Notes>,
        ctx: &mut Context,
        result: &mut String,
    ) -> Result<Option<Reply>, RpcError> {
        let params = match (req.params, notes) {
            (None, _) => Params::from_value(None),
            (Some(p), Some(notes)) => Params::from_noted(p.raw(), notes)?,
            (Some(p), None) => Params::from_raw(p.raw())?,
        };
        let params = params.with_context(&mut ctx.request);
        let mut out = ResultText::new(result, self.options.style);
        let outcome = catch_unwind(AssertUnwindSafe(|| handler(params, &mut out)));
        // The descriptors the handler left are closed now; later requests
        // of a batch get none.
        ctx.request.fds.clear();
        match outcome {
            Ok(r) => r,
            Err(panic) => {
                bump(&self.counters.panics);
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                Err(RpcError::internal(format_args!("handler panicked: {text}")))
            }
        }
    }
}

/// A serving thread counted in `Shared::in_handlers`.
struct InHandlers<'a>(&'a Shared);

impl Drop for InHandlers<'_> {
    fn drop(&mut self) {
        self.0.in_handlers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One response of a batch's: where its text is in the batch's texts, and
/// which of the batch's descriptors its handler returned.
struct Part<'a> {
    id: Id<'a>,
    text: Range<usize>,
    fds: Range<usize>,
    /// The error response that replaces it, when the batch's responses
    /// together would not fit a datagram.
    replaced: Option<Vec<u8>>,
}

impl Part<'_> {
    fn len(&self) -> usize {
        self.replaced.as_ref().map_or(self.text.len(), Vec::len)
    }

    fn bytes<'t>(&'t self, texts: &'t [u8]) -> &'t [u8] {
        match &self.replaced {
            Some(error) => error,
            None => texts.get(self.text.clone()).unwrap_or_default(),
        }
    }
}
