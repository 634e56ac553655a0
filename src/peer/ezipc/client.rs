//! [`EzIpcClient`]: calls to an EZ-IPC server over one stream connection,
//! from any number of threads; answers are matched to calls by id.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::ControlFlow;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::jsonrpc::{Decoder, Incoming, Message, Request, Response};
use crate::peer::error::{CallError, RpcError};

use super::options::{EzIpcOptions, Profile};
use super::session::{self, Ids, TERM, id_text, params_text};
use super::wire::{Codec, FrameError, Seal, Stream, read_frames};

#[cfg(feature = "ezipc-nacl")]
use super::nacl::{KeyPair, Sealer};

/// What a waiting call gets: the result's JSON text, or why it failed.
type Answer = Result<String, CallError>;

struct Waiter {
    tx: SyncSender<Answer>,
    /// Frames after this call's answer are sealed.
    seal_after: Option<Seal>,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Waiter>,
    /// Why the connection is closed, once it is.
    closed: Option<String>,
}

struct Writer {
    stream: Stream,
    codec: Codec,
    ids: Ids,
    json: Vec<u8>,
    frame: Vec<u8>,
}

impl Writer {
    fn send(&mut self, id: Option<&str>, method: &str, params: &str) -> Result<(), CallError> {
        self.json.clear();
        session::request(id, method, params, &mut self.json)?;
        self.send_json()
    }

    fn send_json(&mut self) -> Result<(), CallError> {
        self.frame.clear();
        self.codec
            .encode(&self.json, &mut self.frame)
            .map_err(|e| CallError::Protocol(e.to_string()))?;
        self.stream.write_all(&self.frame)?;
        Ok(())
    }
}

struct Inner {
    options: EzIpcOptions,
    writer: Mutex<Writer>,
    state: Mutex<State>,
}

impl Inner {
    fn writer(&self) -> MutexGuard<'_, Writer> {
        lock(&self.writer)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Fails the only call in flight with `error` (an answer that names no
    /// call cannot be told to belong to one of several).
    fn fail_only(&self, error: CallError) {
        let mut state = self.state();
        if state.pending.len() == 1
            && let Some(key) = state.pending.keys().next().cloned()
            && let Some(waiter) = state.pending.remove(&key)
        {
            let _ = waiter.tx.send(Err(error));
        }
    }

    /// Marks the connection closed and fails every call in flight.
    fn close_with(&self, why: String) {
        let mut state = self.state();
        state.closed.get_or_insert(why);
        state.pending.clear();
    }

    fn closed_error(why: &str) -> CallError {
        CallError::Io(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            format!("EZ-IPC connection closed: {why}"),
        ))
    }

    /// Delivers a response to its call; `codec` is the reading side's.
    fn deliver(&self, response: &Response<'_>, codec: &mut Codec) {
        let outcome = match response.outcome {
            Ok(raw) => Ok(raw.as_str().to_string()),
            Err(object) => Err(CallError::Rpc(RpcError::from_object(&object))),
        };
        let Some(id) = id_text(&response.id) else {
            // Not tied to a call: the older server answers a notification
            // it has no hook for with an error of id null, so such an
            // error cannot be told to be about a call.
            return;
        };
        let Some(waiter) = self.state().pending.remove(&id) else {
            return; // a call that timed out, or one never made
        };
        if let Some(sealer) = &waiter.seal_after
            && outcome.is_ok()
        {
            codec.seal_with(sealer);
        }
        let _ = waiter.tx.send(outcome);
    }

    /// Answers a request the server sends: `PING` with its params, any
    /// other -32601. A `TERM` notification ends the session.
    fn serve(&self, request: &Request<'_>) -> ControlFlow<String> {
        let method: String = request.method.chars().collect();
        let Some(id) = request.id else {
            if method == TERM {
                let reason = request
                    .params
                    .and_then(|p| p.get("reason"))
                    .and_then(|r| r.as_json_str())
                    .map_or_else(String::new, |r| r.chars().collect());
                return ControlFlow::Break(format!("the server sent TERM ({reason})"));
            }
            return ControlFlow::Continue(());
        };
        let outcome = match method.as_str() {
            "PING" => Ok(request.params.map_or("[]", |p| p.as_str())),
            _ => Err(RpcError::method_not_found()),
        };
        let mut writer = self.writer();
        writer.json.clear();
        session::response(id, outcome.as_ref().copied(), &mut writer.json);
        if self.options.profile.batches_answers() {
            writer.json.insert(0, b'[');
            writer.json.push(b']');
        }
        let _ = writer.send_json();
        ControlFlow::Continue(())
    }
}

/// Reads the server's frames until the connection ends.
fn read_answers(inner: &Inner, mut stream: Stream) {
    let mut codec = Codec::new(inner.options.profile);
    let mut plain = Vec::new();
    let mut why = "the server closed the connection".to_string();
    let read = read_frames(&mut stream, inner.options.max_frame, |item| {
        let decoded = item.and_then(|frame| codec.decode(frame, &mut plain));
        match decoded {
            Err(FrameError::Truncated { .. }) => return ControlFlow::Break(()),
            Err(e) => {
                inner.fail_only(CallError::InvalidReply(format!("undecodable frame: {e}")));
                return ControlFlow::Continue(());
            }
            Ok(()) => {}
        }
        let mut flow = ControlFlow::Continue(());
        let mut on_message = |message: Message<'_>, codec: &mut Codec| match message {
            Message::Response(r) => inner.deliver(&r, codec),
            Message::Request(r) => {
                if let ControlFlow::Break(reason) = inner.serve(&r) {
                    why = reason;
                    flow = ControlFlow::Break(());
                }
            }
        };
        match Decoder::new().parse(&plain) {
            Err(e) => inner.fail_only(CallError::InvalidReply(format!(
                "answer is not JSON-RPC: {e}"
            ))),
            Ok(Incoming::Single(message)) => on_message(message, &mut codec),
            Ok(Incoming::Batch(batch)) => {
                for element in batch.iter() {
                    match element {
                        Ok(message) => on_message(message, &mut codec),
                        Err(e) => inner.fail_only(CallError::InvalidReply(format!(
                            "batch element is not JSON-RPC: {e}"
                        ))),
                    }
                }
            }
        }
        flow
    });
    if let Err(e) = read {
        why = format!("reading failed: {e}");
    }
    inner.close_with(why);
}

/// An EZ-IPC client: one connection to a server (the reference's
/// `ezipc.server.Server` or [`EzIpcServer`](super::EzIpcServer)).
///
/// Connecting runs the reference client's setup: the profile's setup
/// request (`ETC.INIT`, or `TIME` for [`Profile::Raw`]), whose result
/// names the session (its alias prefixes every later id: `7C5/4B507B`),
/// then, with [`EzIpcOptions::encrypt`], the key exchange. Calls can be
/// made from any number of threads; a reader thread hands each answer to
/// its caller. Closing (or dropping) sends `TERM`.
///
/// See [`EzIpcServer`](super::EzIpcServer) for an example.
pub struct EzIpcClient {
    inner: Arc<Inner>,
    reader: Option<JoinHandle<()>>,
    alias: String,
    encrypted: bool,
}

impl EzIpcClient {
    /// Connects to a server over TCP and runs the setup.
    ///
    /// # Errors
    ///
    /// Connecting fails ([`CallError::Io`]), or the setup does (any
    /// [`CallError`]).
    pub fn connect_tcp(
        addr: impl ToSocketAddrs,
        options: EzIpcOptions,
    ) -> Result<EzIpcClient, CallError> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, options.timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    return EzIpcClient::start(Stream::Tcp(s), options);
                }
                Err(e) => last = e,
            }
        }
        Err(CallError::Io(last))
    }

    /// Connects to a server on a Unix stream socket and runs the setup.
    ///
    /// # Errors
    ///
    /// As [`connect_tcp`](Self::connect_tcp).
    pub fn connect_unix(
        path: impl AsRef<Path>,
        options: EzIpcOptions,
    ) -> Result<EzIpcClient, CallError> {
        let s = UnixStream::connect(path)?;
        EzIpcClient::start(Stream::Unix(s), options)
    }

    fn start(stream: Stream, options: EzIpcOptions) -> Result<EzIpcClient, CallError> {
        if options.encrypt && options.profile != Profile::Base85 {
            return Err(CallError::Protocol(
                "EZ-IPC encryption is defined for the Base85 profile only".to_string(),
            ));
        }
        let reading = stream.try_clone()?;
        let inner = Arc::new(Inner {
            writer: Mutex::new(Writer {
                stream,
                codec: Codec::new(options.profile),
                ids: Ids::new(options.profile),
                json: Vec::new(),
                frame: Vec::new(),
            }),
            state: Mutex::new(State::default()),
            options,
        });
        let for_reader = Arc::clone(&inner);
        let reader = thread::Builder::new()
            .name("ezipc-client-reader".to_string())
            .spawn(move || read_answers(&for_reader, reading))?;
        let mut client = EzIpcClient {
            inner,
            reader: Some(reader),
            alias: String::new(),
            encrypted: false,
        };
        let setup = client.inner.options.profile.setup_method();
        let init = client.call(setup, Value::Null)?;
        if let Some(alias) = init.get("id").and_then(Value::as_str) {
            client.inner.writer().ids.set_alias(alias);
        }
        client.alias = client.inner.writer().ids.alias().to_string();
        if client.inner.options.encrypt {
            client.exchange_keys()?;
            client.encrypted = true;
        }
        Ok(client)
    }

    #[cfg(feature = "ezipc-nacl")]
    fn exchange_keys(&self) -> Result<(), CallError> {
        let keys = KeyPair::generate();
        let theirs = self.call("RSA.EXCH", json!(keys.public_hex()))?;
        if theirs == json!([null, null]) {
            return Err(CallError::Protocol(
                "the server declined encryption (RSA.EXCH answered no keys)".to_string(),
            ));
        }
        let (public, verify): (String, String) = serde_json::from_value(theirs)
            .map_err(|e| CallError::InvalidReply(format!("RSA.EXCH answered no key pair: {e}")))?;
        let sealer = Arc::new(
            Sealer::new(&keys, &public, &verify)
                .map_err(|e| CallError::InvalidReply(format!("RSA.EXCH: {e}")))?,
        );
        self.call_text("RSA.CONF", "[true]", Some(Arc::clone(&sealer)))?;
        self.inner.writer().codec.sealer = Some(sealer);
        Ok(())
    }

    #[cfg(not(feature = "ezipc-nacl"))]
    fn exchange_keys(&self) -> Result<(), CallError> {
        Err(CallError::Protocol(
            "EZ-IPC encryption needs the `ezipc-nacl` feature".to_string(),
        ))
    }

    /// The alias the server gave the session (`000` if it named none).
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// Whether frames are sealed (the key exchange took place).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Calls `method` with `params` (an array, an object, or null for none:
    /// sent as `[]`, as the reference does) and returns the result.
    ///
    /// # Errors
    ///
    /// [`CallError::Rpc`] when the server answers an error,
    /// [`CallError::Timeout`], [`CallError::Io`] when the connection fails
    /// or is closed, [`CallError::InvalidReply`] when the server's answer
    /// cannot be read, [`CallError::Protocol`] for params that are neither
    /// array, object nor null.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, CallError> {
        let text = self.call_text(method, &params_text(&params), None)?;
        serde_json::from_str(&text)
            .map_err(|e| CallError::Protocol(format!("result not representable: {e}")))
    }

    /// Calls with params serialised from `params` (a tuple or `Vec` for
    /// positional params, a struct or map for named ones) and decodes the
    /// result into `R`.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); `Protocol` when `params` does not
    /// serialise or the result does not decode into `R`.
    pub fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, CallError> {
        let params = serde_json::to_value(params)
            .map_err(|e| CallError::Protocol(format!("params do not serialise: {e}")))?;
        let text = self.call_text(method, &params_text(&params), None)?;
        serde_json::from_str(&text)
            .map_err(|e| CallError::Protocol(format!("unexpected result: {e}")))
    }

    /// Sends a notification: no id, no answer.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), except that nothing is awaited.
    pub fn notify(&self, method: &str, params: Value) -> Result<(), CallError> {
        if let Some(why) = &self.inner.state().closed {
            return Err(Inner::closed_error(why));
        }
        self.inner
            .writer()
            .send(None, method, &params_text(&params))
    }

    fn call_text(&self, method: &str, params: &str, seal_after: Option<Seal>) -> Answer {
        let (tx, rx) = mpsc::sync_channel(1);
        let id = {
            let mut writer = self.inner.writer();
            let id = writer.ids.next();
            {
                let mut state = self.inner.state();
                if let Some(why) = &state.closed {
                    return Err(Inner::closed_error(why));
                }
                let waiter = Waiter { tx, seal_after };
                state.pending.insert(id.clone(), waiter);
            }
            if let Err(e) = writer.send(Some(&id), method, params) {
                self.inner.state().pending.remove(&id);
                return Err(e);
            }
            id
        };
        match rx.recv_timeout(self.inner.options.timeout) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => {
                self.inner.state().pending.remove(&id);
                Err(CallError::Timeout)
            }
            Err(RecvTimeoutError::Disconnected) => {
                let why = self.inner.state().closed.clone().unwrap_or_default();
                Err(Inner::closed_error(&why))
            }
        }
    }

    /// Sends `TERM` with `reason` (as the reference client does when it is
    /// done), closes the connection and joins the reader thread.
    ///
    /// # Errors
    ///
    /// Sending `TERM` fails (the connection is closed all the same).
    pub fn close(mut self, reason: &str) -> Result<(), CallError> {
        let sent = self.notify(TERM, json!({ "reason": reason }));
        self.shutdown();
        sent
    }

    fn shutdown(&mut self) {
        let Some(reader) = self.reader.take() else {
            return;
        };
        self.inner.writer().stream.shutdown();
        let _ = reader.join();
        self.inner.close_with("the client closed it".to_string());
    }
}

impl Drop for EzIpcClient {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.notify(TERM, json!({ "reason": "Client closing" }));
            self.shutdown();
        }
    }
}

impl std::fmt::Debug for EzIpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EzIpcClient")
            .field("alias", &self.alias)
            .field("profile", &self.inner.options.profile)
            .field("encrypted", &self.encrypted)
            .finish()
    }
}
