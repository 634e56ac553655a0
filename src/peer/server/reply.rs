//! Writing and sending responses.

use std::prelude::rust_2024::*;

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde_json::Value;

use crate::ErrorKind;
use crate::jsonrpc::{ErrorCode, ErrorObject, Id, MAX_DEPTH_LIMIT, RawValue, Response, Style};
use crate::peer::bump;
use crate::peer::error::{HANDLER_TIMEOUT, RpcError};
use crate::peer::json::write_raw;
use crate::peer::limits::{InHandler, Watch};
use crate::peer::result::ResultText;
use crate::peer::socket::Address;
use crate::peer::transport::Framing;
use crate::procslink::DatagramRepr;

use super::Shared;

/// The response being built: its JSON text goes straight into `datagram`
/// after the headers.
pub(super) struct Out {
    pub(super) datagram: Vec<u8>,
    /// Where the JSON text starts in `datagram`: after the headers the
    /// framing puts in front of it.
    pub(super) at: usize,
    /// Scratch for a result's or error data's JSON text.
    pub(super) text: String,
    /// What a raw handler wrote.
    pub(super) result: String,
    /// The requests this thread served (only it changes the count).
    pub(super) served: Arc<AtomicU64>,
    /// Descriptors to send with the response.
    pub(super) fds: Vec<OwnedFd>,
    /// What this thread runs, for the watchdog.
    pub(super) watch: Arc<Watch>,
    /// The watchdog gave up on this thread: nothing more is run or sent.
    pub(super) abandoned: bool,
}

impl Out {
    /// Writes the response to `id` as the datagram's payload; its length.
    pub(super) fn response(
        &mut self,
        id: &Id<'_>,
        outcome: Result<&Value, RpcError>,
        style: Style,
    ) -> usize {
        encode_response_at(
            id,
            outcome,
            style,
            &mut self.text,
            &mut self.datagram,
            self.at,
        )
    }

    /// Writes the response to `id` whose result a raw handler wrote into
    /// `self.result`; its length.
    pub(super) fn written_response(&mut self, id: &Id<'_>, style: Style) -> usize {
        let response = Response::result(*id, ResultText::json(&self.result));
        encode_at(&response, style, &mut self.datagram, self.at)
    }

    pub(super) fn payload(&self, len: usize) -> &[u8] {
        self.datagram
            .get(self.at..self.at + len)
            .unwrap_or_default()
    }
}

impl Shared {
    pub(super) fn too_large(&self, len: usize) -> RpcError {
        RpcError::internal(format_args!(
            "response of {} bytes exceeds the {}-byte datagram limit",
            self.socket.framing().overhead() + len,
            self.options.max_datagram
        ))
    }

    /// One response written into `out`, replaced by -32603 if it would not
    /// fit a datagram; its length.
    pub(super) fn single(
        &self,
        id: &Id<'_>,
        outcome: Result<&Value, RpcError>,
        out: &mut Out,
    ) -> usize {
        let n = out.response(id, outcome, self.options.style);
        self.fitting(id, n, out)
    }

    /// `n`, the length of the response to `id` written into `out`, unless
    /// it would not fit a datagram: then that of -32603 written instead.
    pub(super) fn fitting(&self, id: &Id<'_>, n: usize, out: &mut Out) -> usize {
        if out.at + n <= self.options.max_datagram {
            return n;
        }
        out.response(id, Err(self.too_large(n)), self.options.style)
    }

    /// Sends the response of `len` bytes in `out` (and `out.fds`) to `to`.
    pub(super) fn send(&self, to: Option<Address>, len: usize, out: &mut Out) {
        if out.abandoned {
            out.fds.clear();
            return;
        }
        let Some(to) = to else {
            // An unnamed Unix sender cannot be answered.
            bump(&self.counters.send_errors);
            out.fds.clear();
            return;
        };
        let sent = self.frame(len, &mut out.datagram).and_then(|n| {
            let datagram = out.datagram.get(..n).unwrap_or_default();
            // Never waits for room in the client's queue: a client that
            // does not read loses its own replies and delays no one.
            if out.fds.is_empty() {
                return self.socket.send(&to, datagram, &[], true);
            }
            let fds: Vec<_> = out.fds.iter().map(AsFd::as_fd).collect();
            self.socket.send(&to, datagram, &fds, true)
        });
        // Sent or not, the descriptors are closed here.
        out.fds.clear();
        match sent {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                bump(&self.counters.dropped_replies);
            }
            Err(_) => bump(&self.counters.send_errors),
        }
    }
}

impl Shared {
    /// Puts the framing's headers in front of the response text of `len`
    /// bytes written after them in `datagram`; the datagram's length.
    fn frame(&self, len: usize, datagram: &mut [u8]) -> io::Result<usize> {
        match self.socket.framing() {
            Framing::Bare => Ok(len),
            Framing::ProcsLink => DatagramRepr::response(self.socket.nlmsg_pid())
                .emit_header(len, datagram)
                .map_err(|e| io::Error::other(e.to_string())),
        }
    }

    /// Answers the caller of a handler that ran longer than `limit`
    /// [`HANDLER_TIMEOUT`], without waiting for room in its queue.
    pub(super) fn answer_overdue(&self, overdue: &InHandler, limit: Duration) {
        let Some(to) = &overdue.to else {
            return;
        };
        let error = RpcError::new(HANDLER_TIMEOUT, "Handler timed out").with_data(format!(
            "the handler ran longer than the server's limit of {} ms",
            limit.as_millis()
        ));
        let (mut text, mut datagram) = (String::new(), vec![0; 256]);
        let style = self.options.style;
        let at = self.socket.framing().overhead();
        let Some(n) = overdue
            .with_id(|id| encode_response_at(id, Err(error), style, &mut text, &mut datagram, at))
        else {
            return; // a notification: no one waits
        };
        let Ok(len) = self.frame(n, &mut datagram) else {
            return;
        };
        let bytes = datagram.get(..len).unwrap_or_default();
        match self.socket.send(to, bytes, &[], true) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => bump(&self.counters.dropped_replies),
            Err(_) => bump(&self.counters.send_errors),
        }
    }
}

/// Encodes a response with the codec into `out` from byte `at` on (growing
/// `out` if needed), the result and error data written into `text` first;
/// returns the response's length.
pub(super) fn encode_response_at(
    id: &Id<'_>,
    outcome: Result<&Value, RpcError>,
    style: Style,
    text: &mut String,
    out: &mut Vec<u8>,
    at: usize,
) -> usize {
    let (value, error) = match &outcome {
        Ok(v) => (Some(*v), None),
        Err(e) => (e.data.as_ref(), Some(e)),
    };
    let raw = value.map(|v| write_raw(v, style, MAX_DEPTH_LIMIT, text));
    let response = match (error, raw) {
        (None, Some(Some(raw))) => Response::result(*id, raw),
        (Some(e), raw) => {
            let mut object = ErrorObject::new(e.code, e.message.as_str());
            if let Some(Some(raw)) = raw {
                object = object.with_data(raw);
            }
            Response::error(*id, object)
        }
        (None, _) => Response::error(
            *id,
            ErrorObject::new(ErrorCode::INTERNAL_ERROR, "Internal error").with_data(
                RawValue::parse("\"result nested too deeply\"").unwrap_or(RawValue::NULL),
            ),
        ),
    };
    encode_at(&response, style, out, at)
}

/// Encodes `response` into `out` from byte `at` on, growing `out` if
/// needed; its length.
pub(super) fn encode_at(
    response: &Response<'_>,
    style: Style,
    out: &mut Vec<u8>,
    at: usize,
) -> usize {
    let encode = |out: &mut Vec<u8>| response.encode(out.get_mut(at..).unwrap_or_default(), style);
    match encode(out) {
        Ok(n) => n,
        Err(e) => match e.kind() {
            ErrorKind::BufferTooSmall { needed } => {
                out.resize(at + needed, 0);
                encode(out).unwrap_or(0)
            }
            _ => 0,
        },
    }
}
