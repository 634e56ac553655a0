//! One client of a [`Server`](super::Server): its socket, the reassembly
//! of its calls from datagrams, the handlers and the replies.

use std::prelude::rust_2024::*;

use std::io;
use std::os::unix::net::UnixDatagram;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rustix::net::{SendFlags, SocketAddrUnix};

use crate::framing::domainsockets::{
    ClientFrame, ClientFraming, ClientKind, ServerFrame, ServerKind,
};
use crate::framing::{StreamDecoder, uvarint};
use crate::peer::bump;
use crate::peer::error::RpcError;

use super::data::{encode_value, error_text, params_from_data};
use super::server::{Shared, is_timeout};

pub(super) struct Session {
    socket: UnixDatagram,
    own_path: PathBuf,
    client_path: PathBuf,
    shared: Arc<Shared>,
    /// Replies are written here.
    out: Vec<u8>,
    /// The result's bytes, before they are framed.
    data: Vec<u8>,
}

impl Session {
    pub(super) fn new(
        socket: UnixDatagram,
        own_path: PathBuf,
        client_path: PathBuf,
        shared: Arc<Shared>,
    ) -> Self {
        shared.live.fetch_add(1, Ordering::Relaxed);
        Session {
            socket,
            own_path,
            client_path,
            shared,
            out: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Sends this socket's id to the client: the setup answer.
    pub(super) fn greet(&self, own_id: &str) -> io::Result<()> {
        self.socket
            .set_read_timeout(Some(self.shared.options.poll_interval))?;
        self.socket.send_to(own_id.as_bytes(), &self.client_path)?;
        Ok(())
    }

    /// Serves the client until it is idle too long or the server stops.
    pub(super) fn serve(mut self) {
        let shared = Arc::clone(&self.shared);
        let options = &shared.options;
        let max_datagram = options.max_datagram;
        // One more byte than the limit, to tell a longer datagram.
        let mut datagram = vec![0u8; max_datagram.saturating_add(1)];
        let mut stream = vec![0u8; options.max_frame];
        let mut last_heard = Instant::now();
        // The id of the call whose frame is being reassembled.
        let mut partial_id = None;
        'stream: loop {
            let Ok(mut decoder) = StreamDecoder::new(&mut stream, ClientFraming, options.max_frame)
            else {
                return;
            };
            loop {
                if shared.stop.load(Ordering::Relaxed)
                    || last_heard.elapsed() > options.idle_timeout
                {
                    return;
                }
                let (n, sender) = match self.socket.recv_from(&mut datagram) {
                    Ok(got) => got,
                    Err(e) if is_timeout(&e) => continue,
                    Err(_) => return,
                };
                if sender.as_pathname().is_some_and(|p| p != self.client_path) {
                    bump(&self.shared.counters.strangers);
                    continue;
                }
                last_heard = Instant::now();
                let bytes = datagram.get(..n).unwrap_or_default();
                let starts_frame = decoder.buffered() == 0;
                if starts_frame {
                    partial_id = frame_id(bytes);
                }
                if n > max_datagram {
                    bump(&self.shared.counters.oversized);
                    if let Some(id) = partial_id.take() {
                        let why = format!(
                            "call {id} dropped: a datagram of more than {max_datagram} bytes arrived (the limit is {max_datagram} bytes)"
                        );
                        self.send(id, ServerKind::Error, why.as_bytes());
                    }
                    continue 'stream;
                }
                let mut rest = bytes;
                while !rest.is_empty() {
                    let Ok(taken) = decoder.feed(rest) else {
                        bump(&self.shared.counters.bad_frames);
                        continue 'stream;
                    };
                    rest = rest.get(taken..).unwrap_or_default();
                    while let Some(frame) = decoder.next_frame() {
                        match frame {
                            Ok(frame) => self.handle(frame),
                            Err(_) => {
                                bump(&self.shared.counters.bad_frames);
                                continue 'stream;
                            }
                        }
                    }
                    if decoder.buffered() == 0 {
                        partial_id = rest.first().and_then(|_| frame_id(rest));
                    }
                }
            }
        }
    }

    fn handle(&mut self, frame: ClientFrame<'_>) {
        let counters = &self.shared.counters;
        match frame.kind {
            ClientKind::KeepAlive => bump(&counters.keep_alives),
            ClientKind::Data => {
                bump(&counters.calls);
                match self.run(frame) {
                    Ok(()) => {
                        let data = std::mem::take(&mut self.data);
                        self.send(frame.id, ServerKind::Data, &data);
                        self.data = data;
                    }
                    Err(e) => self.send(frame.id, ServerKind::Error, error_text(&e).as_bytes()),
                }
            }
            ClientKind::Unknown(kind) => {
                let why = format!("frame type {kind} is neither 0 (keep-alive) nor 1 (call)");
                self.send(frame.id, ServerKind::Error, why.as_bytes());
            }
        }
    }

    /// Runs the handler the frame names; its result's bytes in `data`.
    fn run(&mut self, frame: ClientFrame<'_>) -> Result<(), RpcError> {
        let name = frame.handler_str().map_err(|e| {
            RpcError::invalid_request().with_data(format!("the handler name is not UTF-8: {e}"))
        })?;
        let params = params_from_data(frame.data)?;
        let methods = &self.shared.methods;
        let reply = catch_unwind(AssertUnwindSafe(|| methods.call(name, params))).unwrap_or_else(
            |panic| {
                bump(&self.shared.counters.panics);
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                Err(RpcError::internal(format_args!("handler panicked: {text}")))
            },
        )?;
        self.data.clear();
        encode_value(&reply.value, &mut self.data);
        let frame = ServerFrame {
            id: frame.id,
            kind: ServerKind::Data,
            data: &self.data,
        };
        let (size, max) = (frame.encoded_len(), self.shared.options.max_datagram);
        if size > max {
            return Err(RpcError::internal(format_args!(
                "the reply would be a datagram of {size} bytes, over the limit of {max}"
            )));
        }
        Ok(())
    }

    /// Sends one reply frame, without waiting for room at the client. An
    /// error text too long for a datagram is cut short (at a character's
    /// start) to fit.
    fn send(&mut self, id: u64, kind: ServerKind, data: &[u8]) {
        let counters = &self.shared.counters;
        let mut frame = ServerFrame { id, kind, data };
        if kind == ServerKind::Error {
            bump(&counters.errors);
            let over = frame
                .encoded_len()
                .saturating_sub(self.shared.options.max_datagram);
            if over > 0 {
                frame.data = utf8_prefix(data, data.len().saturating_sub(over));
            }
        }
        self.out.resize(frame.encoded_len(), 0);
        let Ok(len) = frame.encode(&mut self.out) else {
            return;
        };
        let sent = SocketAddrUnix::new(self.client_path.as_path()).and_then(|addr| {
            let bytes = self.out.get(..len).unwrap_or_default();
            rustix::net::sendto(&self.socket, bytes, SendFlags::DONTWAIT, &addr)
        });
        if sent.is_err() {
            bump(&counters.dropped_replies);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.live.fetch_sub(1, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.own_path);
    }
}

/// The longest prefix of `text` of at most `len` bytes that does not end
/// inside a UTF-8 sequence.
fn utf8_prefix(text: &[u8], len: usize) -> &[u8] {
    let mut cut = len.min(text.len());
    while cut > 0 && text.get(cut).is_some_and(|&b| b & 0xc0 == 0x80) {
        cut -= 1;
    }
    text.get(..cut).unwrap_or_default()
}

/// The id of the call frame that `bytes` begins, if its first two
/// varints (`total`, `id`) are there.
fn frame_id(bytes: &[u8]) -> Option<u64> {
    let (_, total_len) = uvarint::decode(bytes).ok()?;
    let (id, _) = uvarint::decode(bytes.get(total_len..)?).ok()?;
    Some(id)
}
