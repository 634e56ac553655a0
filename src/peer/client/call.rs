//! Sending a call or a notification: building its datagram and choosing
//! how it waits (as the reader, or registered).

use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::ErrorKind;
use crate::jsonrpc::{Id, MAX_DEPTH_LIMIT, Params as RawParams, Request};
use crate::peer::error::CallError;
use crate::peer::json::{serde_text, write_json, write_raw};
use crate::peer::socket::Address;
use crate::peer::transport::Framing;
use crate::procslink::DatagramRepr;

use super::Inner;
use super::answer::{Outcome, finish};
use super::turn::{
    CallerState, Deadline, Own, Reader, RequestBuffers, Slot, Waiter, deadline_after,
};

/// What a request or notification sends: to whom, the method, its params
/// and the descriptors that go with it.
pub(super) struct Outgoing<'c, P: ?Sized> {
    pub(super) to: &'c Address,
    pub(super) method: &'c str,
    pub(super) params: CallParams<'c, P>,
    pub(super) fds: &'c [BorrowedFd<'c>],
}

/// Params as a call passes them.
pub(super) enum CallParams<'p, P: ?Sized> {
    /// A `serde_json` value: array, object or null (absent).
    Value(&'p Value),
    /// A serde type: absent if it serialises to `null`.
    Typed(&'p P),
    /// JSON text.
    Raw(Option<RawParams<'p>>),
}

// By hand: a derive would ask for `P: Copy`, and only references are kept.
impl<P: ?Sized> Clone for CallParams<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ?Sized> Copy for CallParams<'_, P> {}

/// A call whose request the server's queue had no room for: the length
/// of its datagram and what its answer goes through.
pub(super) struct Busy<F> {
    pub(super) len: usize,
    pub(super) convert: F,
}

impl Inner {
    /// A call: the answer through `convert`, or [`CallError::Timeout`].
    pub(super) fn call<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<T, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        self.request(out, Some(timeout), convert)?
            .ok_or(CallError::Timeout)
    }

    /// A notification of `params` (a value): sent, nothing awaited.
    pub(super) fn notify(
        &self,
        to: &Address,
        method: &str,
        params: &Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), CallError> {
        let params = CallParams::<()>::Value(params);
        let out = Outgoing {
            to,
            method,
            params,
            fds,
        };
        self.request(out, None, |_, _| Ok(())).map(drop)
    }

    /// Sends a request (`timeout` given) or a notification (`None`); for a
    /// request, waits for the answer and turns it into `T` with `convert`:
    /// `Ok(None)` on timeout.
    ///
    /// No caller ever waits for room in the server's queue while it holds
    /// the reading turn: holding it, a caller only tries to send
    /// (`MSG_DONTWAIT`); when the server's queue is full it lets go of the
    /// turn and sends as any other caller, so that someone always reads the
    /// answers (a server whose replies cannot be delivered drops them,
    /// which a full client queue would otherwise cause).
    pub(super) fn request<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Option<Duration>,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let Some(timeout) = timeout else {
            let mut caller = CallerState::take();
            let sent = self.build(&mut caller.request, &out, None).and_then(|len| {
                let datagram = caller.request.datagram.get(..len).unwrap_or_default();
                let deadline = deadline_after(Instant::now(), self.options.timeout);
                self.send_patiently(out.to, datagram, out.fds, deadline)
            });
            caller.put_back();
            return sent.map(|()| None);
        };
        if self.pool.server_was_busy()
            && let Some(side) = self.pool.take(self)
        {
            // The server's queue was full a moment ago: rather than try
            // without waiting and find it full again, wait for room on an
            // extra socket straight away.
            return side.request_waiting_for_room(out, timeout, convert);
        }
        if let Some(mut turn) = self.reading_turn() {
            // No one else reads the socket, so no one else can take this
            // call's answer: it need not be registered (nor a slot armed),
            // and it is built in the reader's buffers.
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let Reader { recv, request } = &mut *turn;
            let busy = match self.lone_call(request, recv, id, &out, timeout, convert) {
                Ok(answer) => {
                    request.trim();
                    drop(turn);
                    self.pass_turn(id);
                    return answer;
                }
                Err(busy) => busy,
            };
            // The server's queue is full: the request waits for room
            // without the turn, on an extra socket if there is one (so
            // that this socket's queue never holds more answers than it
            // has callers reading), else as a registered call.
            if let Some(side) = self.pool.take(self) {
                request.trim();
                drop(turn);
                self.pass_turn(id);
                self.pool.note_busy_server();
                return side.request_waiting_for_room(out, timeout, busy.convert);
            }
            let mut caller = CallerState::take();
            let datagram = &mut caller.request.datagram;
            datagram.clear();
            datagram.extend_from_slice(request.datagram.get(..busy.len).unwrap_or_default());
            request.trim();
            drop(turn);
            self.pass_turn(id);
            let datagram = caller.request.datagram.get(..busy.len).unwrap_or_default();
            let answer =
                self.registered_call(&caller.slot, id, &out, datagram, timeout, busy.convert);
            caller.put_back();
            return answer;
        }
        if let Some(side) = self.pool.take(self) {
            // Someone reads this socket: this call reads its own answer on
            // a socket of its own.
            return side.request(out, Some(timeout), convert);
        }
        let mut caller = CallerState::take();
        let result = self.request_with(&mut caller, out, timeout, convert);
        caller.put_back();
        result
    }

    /// A call on an extra socket its caller has to itself, made when the
    /// server's queue was just found full: the request waits for room
    /// (in slices, up to the call's deadline) and its answer is read, both
    /// holding this socket's turn, which no one else needs: no other
    /// caller reads or sends here until the socket goes back to its pool.
    /// One failed send and the registered call's hand-offs fewer than
    /// [`request`](Self::request), which would try without waiting first.
    pub(super) fn request_waiting_for_room<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let Some(mut turn) = self.reading_turn() else {
            return self.request(out, Some(timeout), convert);
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let Reader { recv, request } = &mut *turn;
        let answer = self.build(request, &out, Some(id)).and_then(|len| {
            if self.closed.load(Ordering::Acquire) {
                return Err(self.stopped());
            }
            let datagram = request.datagram.get(..len).unwrap_or_default();
            let deadline = deadline_after(Instant::now(), timeout);
            self.send_patiently(out.to, datagram, out.fds, deadline)?;
            let own = Own::Unregistered(id, out.to);
            self.read_until_answered(own, None, recv, Deadline::At(deadline), &mut Some(convert))
                .and_then(Option::transpose)
        });
        request.trim();
        answer
    }

    /// A call by the caller that holds the reading turn: built in
    /// `request`, its answer read into `recv`; [`Busy`] when the server's
    /// queue had no room for it.
    pub(super) fn lone_call<P, T, F>(
        &self,
        request: &mut RequestBuffers,
        recv: &mut [u8],
        id: u64,
        out: &Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<Result<Option<T>, CallError>, Busy<F>>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let len = match self.build(request, out, Some(id)) {
            Ok(len) => len,
            Err(e) => return Ok(Err(e)),
        };
        if self.closed.load(Ordering::Acquire) {
            return Ok(Err(self.stopped()));
        }
        let datagram = request.datagram.get(..len).unwrap_or_default();
        self.send_and_read_own(recv, id, out, datagram, timeout, convert)
            .map_err(|convert| Busy { len, convert })
    }

    /// Sends `datagram`, the request `id`, without waiting for room in the
    /// server's queue, and reads its answer into `recv` as the caller
    /// holding the reading turn, unregistered. `Err(convert)` when the
    /// queue was full and nothing was sent.
    pub(super) fn send_and_read_own<P, T, F>(
        &self,
        recv: &mut [u8],
        id: u64,
        out: &Outgoing<'_, P>,
        datagram: &[u8],
        timeout: Duration,
        convert: F,
    ) -> Result<Result<Option<T>, CallError>, F>
    where
        P: ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        match self.socket.send(out.to, datagram, out.fds, true) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(convert),
            Err(e) => return Ok(Err(CallError::Io(e))),
        }
        let own = Own::Unregistered(id, out.to);
        let deadline = Deadline::After(timeout);
        Ok(self
            .read_until_answered(own, None, recv, deadline, &mut Some(convert))
            .and_then(Option::transpose))
    }

    /// A call by a caller that does not hold the reading turn (it may take
    /// it after sending), built in `caller`.
    pub(super) fn request_with<P, T, F>(
        &self,
        caller: &mut CallerState,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let len = self.build(&mut caller.request, &out, Some(id))?;
        let datagram = caller.request.datagram.get(..len).unwrap_or_default();
        if self.closed.load(Ordering::Acquire) {
            return Err(self.stopped());
        }
        let convert = match self.reading_turn() {
            Some(mut turn) => {
                // The reader finished after this caller looked: as in
                // `request`, the answer need not be registered.
                let sent =
                    self.send_and_read_own(&mut turn.recv, id, &out, datagram, timeout, convert);
                drop(turn);
                self.pass_turn(id);
                match sent {
                    Ok(answer) => return answer,
                    Err(convert) => convert,
                }
            }
            None => convert,
        };
        self.registered_call(&caller.slot, id, &out, datagram, timeout, convert)
    }

    /// Registers the call `id`, sends its `datagram` (waiting for room in
    /// the server's queue, without the reading turn) and waits for its
    /// answer.
    pub(super) fn registered_call<P, T, F>(
        &self,
        slot: &Arc<Slot>,
        id: u64,
        out: &Outgoing<'_, P>,
        datagram: &[u8],
        timeout: Duration,
        convert: F,
    ) -> Result<Option<T>, CallError>
    where
        P: ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let now = Instant::now();
        let deadline = deadline_after(now, timeout);
        slot.arm(id);
        self.pending().insert(
            id,
            Waiter {
                to: out.to.clone(),
                slot: Arc::clone(slot),
            },
        );
        if let Err(e) = self.send_patiently(out.to, datagram, out.fds, deadline) {
            self.pending().remove(&id);
            return Err(e);
        }
        let mut convert = Some(convert);
        let answer = match self.wait(id, slot, now, deadline, &mut convert) {
            Ok(None) if self.pending().remove(&id).is_none() => {
                // Gone from the table without an answer yet: a reader took
                // it just now and is putting it into the slot.
                Ok(self
                    .late_answer(slot, deadline)
                    .and_then(|answer| convert.take().and_then(|f| finish(answer, f))))
            }
            Err(e) => {
                self.pending().remove(&id);
                Err(e)
            }
            Ok(answer) => Ok(answer),
        };
        answer?.transpose()
    }

    /// Builds the request datagram in `buffers.datagram`; its length.
    pub(super) fn build<P: Serialize + ?Sized>(
        &self,
        buffers: &mut RequestBuffers,
        out: &Outgoing<'_, P>,
        id: Option<u64>,
    ) -> Result<usize, CallError> {
        let Outgoing { method, params, .. } = *out;
        let style = self.options.style;
        let text = &mut buffers.text;
        let not_params = |raw: &dyn fmt::Display| {
            CallError::Protocol(format!(
                "params must be an array, an object or null, not {raw}"
            ))
        };
        let too_deep = || CallError::Protocol("params nest too deeply".into());
        let raw = match params {
            CallParams::Value(Value::Null) => None,
            CallParams::Value(v @ (Value::Array(_) | Value::Object(_))) => {
                Some(write_raw(v, style, MAX_DEPTH_LIMIT, text).ok_or_else(too_deep)?)
            }
            CallParams::Value(other) => return Err(not_params(other)),
            CallParams::Typed(p) => {
                let bytes = &mut buffers.bytes;
                bytes.clear();
                write_json(p, style, bytes)
                    .map_err(|e| CallError::Protocol(format!("params do not serialise: {e}")))?;
                let raw = serde_text(bytes, MAX_DEPTH_LIMIT).ok_or_else(too_deep)?;
                (!raw.is_null()).then_some(raw)
            }
            CallParams::Raw(p) => p.map(|p| p.raw()),
        };
        let raw_params = match raw {
            None => None,
            Some(raw) => Some(RawParams::new(raw).ok_or_else(|| not_params(&raw))?),
        };
        let request = match id {
            Some(id) => Request::new(Id::from(id), method, raw_params),
            None => Request::notification(method, raw_params),
        };
        let datagram = &mut buffers.datagram;
        let framing = self.socket.framing();
        let at = framing.overhead();
        let encode = |d: &mut Vec<u8>| request.encode(d.get_mut(at..).unwrap_or_default(), style);
        let cannot =
            |e: crate::Error| CallError::Protocol(format!("cannot encode the request: {e}"));
        let n = match encode(datagram) {
            Ok(n) => n,
            Err(e) => {
                let ErrorKind::BufferTooSmall { needed } = e.kind() else {
                    return Err(cannot(e));
                };
                datagram.resize(at + needed, 0);
                encode(datagram).map_err(cannot)?
            }
        };
        let total = at + n;
        if total > self.options.max_datagram {
            return Err(CallError::Protocol(format!(
                "request of {total} bytes exceeds the {}-byte datagram limit",
                self.options.max_datagram
            )));
        }
        if framing == Framing::Bare {
            return Ok(n);
        }
        DatagramRepr::request(self.socket.nlmsg_pid())
            .emit_header(n, datagram)
            .map_err(|e| CallError::Protocol(format!("cannot build the datagram: {e}")))
    }
}
