//! An EZ-IPC peer (Yaulendil/ez-ipc, the seed's Python asyncio IPC):
//! JSON-RPC 2.0 over a TCP or Unix stream, each frame's text followed by
//! five `\n` bytes ([`crate::framing::ezipc`]). Needs the `std` feature;
//! the encrypted mode needs `ezipc-nacl`.
//!
//! - [`EzIpcServer`] serves [`Methods`](crate::peer::Methods) to the
//!   reference's `Client` and to [`EzIpcClient`], one thread per connection.
//! - [`EzIpcClient`] calls the reference's `Server` or an [`EzIpcServer`]:
//!   [`call`](EzIpcClient::call), [`call_typed`](EzIpcClient::call_typed),
//!   [`notify`](EzIpcClient::notify), failing with the peer's
//!   [`CallError`](crate::peer::CallError) / [`RpcError`](crate::peer::RpcError).
//!
//! # Wire profiles
//!
//! | [`Profile`] | EZ-IPC version | frame text | setup | answers | ids |
//! |---|---|---|---|---|---|
//! | `Base85` (default) | HEAD, Dec 2019 | Python's `b85encode` of the JSON ([`crate::framing::base85`]) | `ETC.INIT` | a batch array per frame | `7C5/4B507B` |
//! | `Raw` | 31bfe9e and older (to 2019-11-26) | the JSON itself | `TIME` | one object each | 32 hex digits |
//!
//! With [`EzIpcOptions::encrypt`] (Base85 only, `ezipc-nacl` feature) the
//! client runs the key exchange the HEAD client runs when PyNaCl is
//! installed (`RSA.EXCH` with `[X25519 public key, Ed25519 verify key]` in
//! hex, then `RSA.CONF`), after which each frame text is Base85 of
//! `nonce | NaCl box(Ed25519 signature | JSON)`.
//!
//! # The session
//!
//! What the reference runs, and what both sides here run:
//! 1. the client asks `ETC.INIT` (params `[]`, id `000/XXXXXX`); the
//!    server answers `{"startup": SECONDS, "id": "7C5"}`, naming the
//!    session: later ids are `7C5/XXXXXX`;
//! 2. with encryption, `RSA.EXCH` and `RSA.CONF` (their answers in the
//!    clear; sealed frames from the next one on);
//! 3. requests and notifications, params always present (`[]` for none),
//!    in the reference's spelling (compact, non-ASCII as `\uXXXX`); the
//!    server answers every frame's requests with one batch array, and a
//!    null result as `[]`;
//! 4. the client ends with the notification `TERM {"reason": ...}`.
//!
//! Our server also answers `TIME` (the older versions' `ETC.INIT`) and
//! `PING`. Without encryption it answers `RSA.EXCH` with no keys,
//! `[null, null]`: a reference client with PyNaCl then goes on
//! unencrypted at once (warning that the connection is not secure), as it
//! does after a 10 s timeout with a reference server without PyNaCl
//! (which never answers). Our client asking for encryption fails to
//! connect when the server declines.
//!
//! # Bad input
//!
//! A frame longer than [`EzIpcOptions::max_frame`] is answered -32600 and
//! skipped up to its separator; a frame that is not Base85, does not open
//! with the session's keys or whose signature fails is answered -32700
//! with the reason as `data` (id null), and the connection goes on (the
//! reference drops the connection on bad Base85, and logs and skips a
//! frame that does not decrypt); text that is not JSON-RPC is answered as
//! the specification says. A stream that ends inside a frame closes the
//! connection. Every one of these is counted ([`EzIpcStats::bad_frames`]);
//! none stops the server or touches other connections.
//!
//! # Limits of the reference worth knowing
//!
//! The reference reads frames with asyncio's `readuntil`, limited to 64 KiB
//! by default: longer frames break its connection. Its `ETC.INIT` alias is
//! three hex digits drawn at random per connection.

mod client;
mod connection;
#[cfg(feature = "ezipc-nacl")]
mod nacl;
mod options;
mod server;
mod session;
mod wire;

pub use client::EzIpcClient;
pub use options::{DEFAULT_MAX_FRAME, EzIpcOptions, Profile};
pub use server::{EzIpcAddr, EzIpcServer, EzIpcServerHandle, EzIpcStats};
pub use session::TERM;
pub use wire::FrameError;

/// The bytes a sealed frame (encrypted mode) has on top of its JSON text,
/// before Base85: the 24-byte nonce, the 16-byte Poly1305 tag and the
/// 64-byte Ed25519 signature.
pub const SEAL_OVERHEAD: usize = 104;
