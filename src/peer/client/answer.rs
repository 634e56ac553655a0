//! What comes back: checking a received datagram and delivering its
//! response to the caller waiting for it.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;

use serde_json::Value;

use crate::jsonrpc::{Decoder, ErrorObject, Id, Kind, MAX_DEPTH_LIMIT, RawValue, Response};
use crate::peer::bump_exclusive;
use crate::peer::error::{CallError, RpcError};
use crate::peer::socket::{Address, RecvInfo};
use crate::peer::transport::{Framing, same_peer};
use crate::procslink::{Datagram, PayloadType};

use super::Inner;
use super::turn::Own;

/// A response handed from the reading caller to the one waiting for it:
/// its JSON text (already validated) and descriptors, or why the call
/// failed instead.
pub(super) struct Answer {
    pub(super) payload: Vec<u8>,
    pub(super) fds: Vec<OwnedFd>,
    pub(super) failure: Option<CallError>,
}

/// A response's outcome as it arrived: the raw result or the error object.
pub(super) type Outcome<'r> = Result<RawValue<'r>, ErrorObject<'r>>;

/// The error a call fails with when the server answers `object`.
pub(super) fn rpc_error(object: &ErrorObject<'_>) -> CallError {
    CallError::Rpc(RpcError::from_object(object))
}

/// A result as a [`Value`].
pub(super) fn value_of(outcome: Outcome<'_>) -> Result<Value, CallError> {
    match outcome {
        Ok(raw) => simple_value(raw).map_or_else(
            || {
                serde_json::from_str(raw.as_str())
                    .map_err(|e| CallError::Protocol(format!("result not representable: {e}")))
            },
            Ok,
        ),
        Err(object) => Err(rpc_error(&object)),
    }
}

/// The [`Value`] of a literal or an escape-free string, made without
/// serde's machinery; `None` for anything else.
pub(super) fn simple_value(raw: RawValue<'_>) -> Option<Value> {
    match raw.kind() {
        Kind::Null => Some(Value::Null),
        Kind::Bool => Some(Value::Bool(raw.as_str() == "true")),
        Kind::String => raw
            .as_json_str()
            .and_then(|s| s.as_unescaped())
            .map(|s| Value::String(s.to_owned())),
        Kind::Number | Kind::Array | Kind::Object => None,
    }
}

impl Inner {
    pub(super) fn stopped(&self) -> CallError {
        let why = lock(&self.failure)
            .clone()
            .unwrap_or_else(|| "the client is closed".into());
        CallError::Io(io::Error::new(
            io::ErrorKind::NotConnected,
            format!("client socket failed: {why}"),
        ))
    }

    /// Delivers one received datagram to the caller waiting for it: through
    /// `convert` when that caller is `own`, the one reading (the answer is
    /// returned), else as a copy into its slot.
    ///
    /// A datagram from a call's peer that is not a valid response still
    /// ends that call, as [`CallError::InvalidReply`], when it can be told
    /// which call it answers: it names a pending call's id, or it is the
    /// only call in flight to that peer. An error response with id null
    /// (the server could not read the request's id) goes the same way.
    pub(super) fn deliver<T, F>(
        &self,
        data: &[u8],
        info: RecvInfo,
        own: Own<'_>,
        convert: &mut Option<F>,
    ) -> Option<Result<T, CallError>>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let RecvInfo {
            len,
            from,
            fds,
            credentials,
            ..
        } = info;
        let Some(from) = from else {
            bump_exclusive(&self.counters.malformed);
            return None;
        };
        if self.socket.is_local(&from) {
            return None; // a wake-up
        }
        if let Some(uid) = self.peer_uid
            && credentials.is_none_or(|c| c.uid != uid)
        {
            bump_exclusive(&self.counters.wrong_uid);
            return None;
        }
        let max = self.options.max_datagram;
        if len > data.len() {
            return self.invalid(&from, None, Why::Oversized(len, max), own, convert);
        }
        let payload = match self.socket.framing() {
            Framing::Bare => data,
            Framing::ProcsLink => {
                let datagram = match Datagram::parse_with_limit(data, max) {
                    Ok(datagram) => datagram,
                    Err(e) => return self.invalid(&from, None, Why::Framing(e), own, convert),
                };
                if from.port().is_some_and(|port| datagram.pid() != port) {
                    bump_exclusive(&self.counters.spoofed);
                    return None;
                }
                let payload_type = datagram.payload_type();
                if payload_type != PayloadType::JSONRPC_RESPONSE {
                    let why = Why::PayloadType(payload_type.0);
                    return self.invalid(&from, None, why, own, convert);
                }
                datagram.payload()
            }
        };
        let decoder = Decoder::new().with_max_depth(MAX_DEPTH_LIMIT);
        let response = match decoder.parse_response(payload) {
            Ok(response) => response,
            Err(e) => {
                let id = id_of(payload);
                return self.invalid(&from, id, Why::NotJsonRpc(e), own, convert);
            }
        };
        let Some(id) = response.id.as_u64() else {
            return self.no_call_id(&from, &response, own, convert);
        };
        if let Own::Unregistered(own, to) = own
            && id == own
        {
            if !same_peer(to, &from) {
                bump_exclusive(&self.counters.spoofed);
                return None;
            }
            bump_exclusive(&self.counters.delivered);
            return convert.take().map(|f| f(response.outcome, fds));
        }
        let waiter = {
            let mut pending = self.pending();
            match pending.get(&id) {
                None => {
                    bump_exclusive(&self.counters.unknown_id);
                    return None;
                }
                Some(w) if !same_peer(&w.to, &from) => {
                    bump_exclusive(&self.counters.spoofed);
                    return None;
                }
                Some(_) => pending.remove(&id)?,
            }
        };
        bump_exclusive(&self.counters.delivered);
        if own == Own::Registered(id) {
            return convert.take().map(|f| f(response.outcome, fds));
        }
        let answer = Answer {
            payload: payload.to_vec(),
            fds,
            failure: None,
        };
        waiter.slot.give_answer(id, answer);
        None
    }

    /// A response from `from` whose id is no call's: dropped and counted,
    /// unless it is id null and goes to the only call in flight there.
    #[cold]
    #[inline(never)]
    fn no_call_id<T, F>(
        &self,
        from: &Address,
        response: &Response<'_>,
        own: Own<'_>,
        convert: &mut Option<F>,
    ) -> Option<Result<T, CallError>> {
        if response.id.is_null() {
            let error = match &response.outcome {
                Ok(_) => CallError::InvalidReply(format!(
                    "invalid reply from {from}: a result with id null"
                )),
                Err(object) => CallError::Rpc(RpcError::from_object(object)),
            };
            if let Some(answer) = self.fail(from, None, error, own, convert) {
                bump_exclusive(&self.counters.delivered);
                return answer;
            }
        }
        bump_exclusive(&self.counters.unknown_id);
        None
    }

    /// A datagram from `from` that is not a valid response, `why`, counted
    /// as malformed and failing the call it can be attributed to (see
    /// [`fail`](Self::fail)).
    #[cold]
    #[inline(never)]
    fn invalid<T, F>(
        &self,
        from: &Address,
        id: Option<u64>,
        why: Why,
        own: Own<'_>,
        convert: &mut Option<F>,
    ) -> Option<Result<T, CallError>> {
        bump_exclusive(&self.counters.malformed);
        let error = CallError::InvalidReply(format!("invalid reply from {from}: {why}"));
        self.fail(from, id, error, own, convert).flatten()
    }

    /// Fails with `error` the call from `from`'s answer is for: the call
    /// `id` if one of that id went to `from`, else the only call in flight
    /// to `from`, if there is exactly one; else nothing is failed (`None`).
    /// `Some` of what the reading caller's own call returns.
    #[cold]
    #[inline(never)]
    fn fail<T, F>(
        &self,
        from: &Address,
        id: Option<u64>,
        error: CallError,
        own: Own<'_>,
        convert: &mut Option<F>,
    ) -> Option<Option<Result<T, CallError>>> {
        let own_id = match own {
            Own::Unregistered(own_id, to) => same_peer(to, from).then_some(own_id),
            Own::Registered(_) => None,
        };
        let mut pending = self.pending();
        let target = match id {
            Some(id) if own_id == Some(id) => Some(id),
            Some(id) => pending
                .get(&id)
                .is_some_and(|w| same_peer(&w.to, from))
                .then_some(id),
            None => {
                let mut to_peer = pending
                    .iter()
                    .filter(|(_, w)| same_peer(&w.to, from))
                    .map(|(id, _)| *id)
                    .chain(own_id);
                match (to_peer.next(), to_peer.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        let target = target?;
        if own_id == Some(target) {
            drop(pending);
            return Some(convert.take().map(|_| Err(error)));
        }
        let waiter = pending.remove(&target)?;
        drop(pending);
        if own == Own::Registered(target) {
            return Some(convert.take().map(|_| Err(error)));
        }
        let answer = Answer {
            payload: Vec::new(),
            fds: Vec::new(),
            failure: Some(error),
        };
        waiter.slot.give_answer(target, answer);
        Some(None)
    }
}

/// What was wrong with a datagram that is not a valid response.
enum Why {
    /// Its length, and the limit.
    Oversized(usize, usize),
    Framing(crate::Error),
    PayloadType(u16),
    NotJsonRpc(crate::Error),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Oversized(len, max) => {
                write!(f, "a datagram of {len} bytes, over the {max}-byte limit")
            }
            Why::Framing(e) => write!(f, "bad ProcsLink datagram: {e}"),
            Why::PayloadType(t) => write!(f, "payload type {t} is not a JSON-RPC response"),
            Why::NotJsonRpc(e) => write!(f, "not a JSON-RPC response: {e}"),
        }
    }
}

/// The id a text that is not a valid response names, if it is a JSON
/// object with one numeric `id` member a call of this client could have.
fn id_of(payload: &[u8]) -> Option<u64> {
    Id::recover(payload)?.as_u64()
}

/// Turns a handed-over answer into the caller's `T`.
pub(super) fn finish<T, F>(answer: Answer, convert: F) -> Option<Result<T, CallError>>
where
    F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
{
    if let Some(failure) = answer.failure {
        return Some(Err(failure));
    }
    let decoder = Decoder::new().with_max_depth(MAX_DEPTH_LIMIT);
    // The reader validated this text before handing it over.
    let response = decoder.parse_response(&answer.payload).ok()?;
    Some(convert(response.outcome, answer.fds))
}

#[cfg(test)]
mod tests {
    use super::simple_value;
    use crate::jsonrpc::RawValue;
    use serde_json::Value;

    #[test]
    fn simple_values_are_what_serde_json_reads() {
        for text in [
            "null",
            "true",
            "false",
            r#""""#,
            r#""plain""#,
            r#""caf\u00e9""#,
            r#""a\"b""#,
            "\"\u{e9}\u{1F600}\"",
            "0",
            "-1.5e3",
            "[1]",
            "{}",
        ] {
            let raw = RawValue::parse(text).unwrap();
            let serde: Value = serde_json::from_str(text).unwrap();
            if let Some(v) = simple_value(raw) {
                assert_eq!(v, serde, "{text}");
            }
        }
        for text in ["null", "true", "false", r#""plain""#, "\"\u{e9}\""] {
            assert!(
                simple_value(RawValue::parse(text).unwrap()).is_some(),
                "{text}"
            );
        }
    }
}
