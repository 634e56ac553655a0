//! One server connection: frames in, requests run, answers out.

use std::prelude::rust_2024::*;

use std::borrow::Cow;
use std::io::Write;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Value, json};

use crate::jsonrpc::{Decoder, ErrorCode, Id, Incoming, Message, Request};
use crate::peer::error::RpcError;
use crate::peer::{Params, bump, to_json_text};

use super::options::Profile;
use super::server::Shared;
use super::session::{self, STYLE, TERM};
use super::wire::{Codec, FrameError, Stream, read_frames};

#[cfg(feature = "ezipc-nacl")]
use super::nacl::{KeyPair, Sealer};

/// The answer to `RSA.EXCH` of a server that does not encrypt: no keys.
/// The reference client then goes on unencrypted at once (its
/// `enable_rsa` returns `False` for empty keys), as it does, after a 10 s
/// timeout, with a reference server without PyNaCl, which never answers.
pub(super) const NO_KEYS: &str = "[null,null]";

/// What to do once the answers to a frame are sent.
#[derive(Default)]
struct After {
    /// Close the connection (a `TERM` notification came).
    close: bool,
    /// Seal every frame from now on (`RSA.CONF` was answered).
    #[cfg(feature = "ezipc-nacl")]
    seal: Option<Sealer>,
}

struct Connection<'s> {
    shared: &'s Shared,
    alias: String,
    codec: Codec,
    /// The JSON text of the frame being served.
    plain: Vec<u8>,
    /// The answers to it, one JSON object each.
    answers: Vec<Vec<u8>>,
    /// What goes out: the answers' JSON text, then the frame.
    json: Vec<u8>,
    frame: Vec<u8>,
    #[cfg(feature = "ezipc-nacl")]
    keys: Option<KeyPair>,
    /// The box agreed in `RSA.EXCH`, used once `RSA.CONF` is answered.
    #[cfg(feature = "ezipc-nacl")]
    agreed: Option<Sealer>,
}

/// Serves one connection until the client closes it, sends `TERM`, the
/// idle timeout passes, or the server stops.
pub(super) fn serve_connection(shared: &Shared, stream: Stream, alias: String) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = stream;
    if reader
        .set_read_timeout(shared.options.idle_timeout)
        .is_err()
    {
        return;
    }
    let mut conn = Connection {
        shared,
        alias,
        codec: Codec::new(shared.options.profile),
        plain: Vec::new(),
        answers: Vec::new(),
        json: Vec::new(),
        frame: Vec::new(),
        #[cfg(feature = "ezipc-nacl")]
        keys: None,
        #[cfg(feature = "ezipc-nacl")]
        agreed: None,
    };
    // A read error (the idle timeout, for one) ends the connection as its
    // end does.
    let _ = read_frames(&mut reader, shared.options.max_frame, |item| {
        conn.on_frame(item, &mut writer)
    });
    // The socket closes when its last descriptor does (the server keeps
    // one to shut it down on stop).
}

impl Connection<'_> {
    fn on_frame(&mut self, item: Result<&[u8], FrameError>, out: &mut Stream) -> ControlFlow<()> {
        self.answers.clear();
        let mut after = After::default();
        let decoded = item.and_then(|frame| self.codec.decode(frame, &mut self.plain));
        match decoded {
            Err(FrameError::Truncated { .. }) => {
                bump(&self.shared.counters.bad_frames);
                return ControlFlow::Break(());
            }
            Err(e) => {
                bump(&self.shared.counters.bad_frames);
                let code = match e {
                    FrameError::TooLarge { .. } => ErrorCode::INVALID_REQUEST,
                    _ => ErrorCode::PARSE_ERROR,
                };
                let error = RpcError::standard(code).with_data(e.to_string());
                self.answer(Id::Null, Err(error));
            }
            Ok(()) => self.dispatch(&mut after),
        }
        if self.send(out).is_err() {
            return ControlFlow::Break(());
        }
        #[cfg(feature = "ezipc-nacl")]
        if let Some(sealer) = after.seal.take() {
            self.codec.sealer = Some(std::sync::Arc::new(sealer));
        }
        if after.close {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn dispatch(&mut self, after: &mut After) {
        let plain = std::mem::take(&mut self.plain);
        match Decoder::new().parse(&plain) {
            Err(e) => {
                bump(&self.shared.counters.bad_frames);
                let error = RpcError::standard(ErrorCode::from_error(&e)).with_data(e.to_string());
                self.answer(Id::Null, Err(error));
            }
            Ok(Incoming::Single(Message::Request(req))) => self.run(&req, after),
            // This server sends no requests, so no response answers one.
            Ok(Incoming::Single(Message::Response(_))) => {}
            Ok(Incoming::Batch(batch)) => {
                for element in batch.iter() {
                    match element {
                        Ok(Message::Request(req)) => self.run(&req, after),
                        Ok(Message::Response(_)) => {}
                        Err(e) => {
                            bump(&self.shared.counters.bad_frames);
                            let error = RpcError::invalid_request().with_data(e.to_string());
                            self.answer(Id::Null, Err(error));
                        }
                    }
                }
            }
        }
        self.plain = plain;
    }

    fn run(&mut self, req: &Request<'_>, after: &mut After) {
        bump(&self.shared.counters.served);
        let method: Cow<'_, str> = match req.method.as_unescaped() {
            Some(m) => m.into(),
            None => req.method.chars().collect::<String>().into(),
        };
        let params = req.params.map(|p| p.as_str());
        let outcome = match &*method {
            TERM if req.is_notification() => {
                after.close = true;
                return;
            }
            "ETC.INIT" | "TIME" => {
                Ok(json!({"startup": self.shared.startup, "id": self.alias}).to_string())
            }
            "PING" => Ok(params.unwrap_or("[]").to_string()),
            "RSA.EXCH" => self.key_exchange(params),
            "RSA.CONF" => self.confirm(after),
            name => self.call_method(name, params),
        };
        if let Some(id) = req.id {
            self.answer(id, outcome);
        }
    }

    fn call_method(&self, name: &str, params: Option<&str>) -> Result<String, RpcError> {
        let params = match params {
            None => Params::from_value(None),
            Some(text) => Params::from_json(text)?,
        };
        let methods = &self.shared.methods;
        match catch_unwind(AssertUnwindSafe(|| methods.call(name, params))) {
            Ok(Ok(reply)) => Ok(match reply.value {
                Value::Null => "[]".to_string(),
                value => to_json_text(&value, STYLE),
            }),
            Ok(Err(e)) => Err(e),
            Err(panic) => {
                bump(&self.shared.counters.panics);
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                Err(RpcError::internal(format_args!("handler panicked: {text}")))
            }
        }
    }

    #[cfg(feature = "ezipc-nacl")]
    fn key_exchange(&mut self, params: Option<&str>) -> Result<String, RpcError> {
        if !self.shared.options.encrypt {
            return Ok(NO_KEYS.to_string());
        }
        let (public, verify): (String, String) = params
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or_else(|| {
                RpcError::invalid_params("RSA.EXCH takes [public key, verify key] in hex")
            })?;
        let keys = self.keys.get_or_insert_with(KeyPair::generate);
        self.agreed = Some(
            Sealer::new(keys, &public, &verify)
                .map_err(|e| RpcError::invalid_params(format_args!("RSA.EXCH: {e}")))?,
        );
        Ok(json!(keys.public_hex()).to_string())
    }

    #[cfg(not(feature = "ezipc-nacl"))]
    fn key_exchange(&mut self, _params: Option<&str>) -> Result<String, RpcError> {
        Ok(NO_KEYS.to_string())
    }

    #[cfg(feature = "ezipc-nacl")]
    fn confirm(&mut self, after: &mut After) -> Result<String, RpcError> {
        match self.agreed.take() {
            Some(sealer) => {
                after.seal = Some(sealer);
                Ok("[true]".to_string())
            }
            None => Err(RpcError::new(1, "Cannot Activate")),
        }
    }

    #[cfg(not(feature = "ezipc-nacl"))]
    fn confirm(&mut self, _after: &mut After) -> Result<String, RpcError> {
        Err(RpcError::new(1, "Cannot Activate"))
    }

    fn answer(&mut self, id: Id<'_>, mut outcome: Result<String, RpcError>) {
        // The older client reads `data` from every error object (a
        // KeyError there otherwise kills its reading task).
        if self.codec.profile == Profile::Raw
            && let Err(e) = &mut outcome
            && e.data.is_none()
        {
            e.data = Some(Value::Null);
        }
        let mut text = Vec::new();
        session::response(id, outcome.as_deref(), &mut text);
        self.answers.push(text);
    }

    /// Sends the answers: one batch array per frame received (Base85), or
    /// one frame each (raw).
    fn send(&mut self, out: &mut Stream) -> std::io::Result<()> {
        if self.answers.is_empty() {
            return Ok(());
        }
        self.frame.clear();
        if self.codec.profile.batches_answers() {
            self.json.clear();
            self.json.push(b'[');
            for (i, answer) in self.answers.iter().enumerate() {
                if i > 0 {
                    self.json.push(b',');
                }
                self.json.extend_from_slice(answer);
            }
            self.json.push(b']');
            self.codec
                .encode(&self.json, &mut self.frame)
                .map_err(std::io::Error::other)?;
        } else {
            for answer in &self.answers {
                self.codec
                    .encode(answer, &mut self.frame)
                    .map_err(std::io::Error::other)?;
            }
        }
        out.write_all(&self.frame)
    }
}
