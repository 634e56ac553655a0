//! [`ServerStats`] and the counters behind them.

use std::prelude::rust_2024::*;

use std::sync::atomic::AtomicU64;

#[derive(Default)]
pub(super) struct Counters {
    pub(super) served: AtomicU64,
    pub(super) malformed: AtomicU64,
    pub(super) spoofed: AtomicU64,
    pub(super) denied: AtomicU64,
    pub(super) panics: AtomicU64,
    pub(super) ignored: AtomicU64,
    pub(super) send_errors: AtomicU64,
    pub(super) dropped_replies: AtomicU64,
    pub(super) overruns: AtomicU64,
    pub(super) expired: AtomicU64,
    pub(super) busy: AtomicU64,
    pub(super) handler_timeouts: AtomicU64,
    pub(super) detached: AtomicU64,
}

/// What a server has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Requests and notifications dispatched (each batch element counts),
    /// including those answered -32601 or denied.
    pub served: u64,
    /// Datagrams, or batch elements, rejected as malformed: bad framing,
    /// wrong payload type, oversized, not JSON, not a valid request.
    pub malformed: u64,
    /// Netlink datagrams whose `nlmsg_pid` was 0 or not the sender's port.
    pub spoofed: u64,
    /// Datagrams from senders outside the uid allow-list (or without
    /// credentials while there is one).
    pub denied: u64,
    /// Handlers that panicked.
    pub panics: u64,
    /// Datagrams from the kernel (port 0) or from the server itself.
    pub ignored: u64,
    /// Replies that could not be sent for another reason than a full
    /// queue (the client is gone, an unnamed Unix sender).
    pub send_errors: u64,
    /// Replies dropped because the client's receive queue had no room for
    /// them at once: the server never waits for a client to read.
    pub dropped_replies: u64,
    /// Times the kernel reported dropped datagrams (receive queue full).
    pub overruns: u64,
    /// Requests dropped unrun because they waited in the queue longer than
    /// [`ServerOptions::max_queue_age`](crate::peer::ServerOptions::max_queue_age).
    pub expired: u64,
    /// Requests answered [`SERVER_BUSY`](crate::peer::SERVER_BUSY) because their
    /// sender had [`ServerOptions::max_per_sender`](crate::peer::ServerOptions::max_per_sender) handlers running.
    pub busy: u64,
    /// Handlers that ran longer than [`ServerOptions::handler_timeout`](crate::peer::ServerOptions::handler_timeout).
    pub handler_timeouts: u64,
    /// Serving threads a stop left running, stuck in a handler.
    pub detached: u64,
}

impl ServerStats {
    /// Adds `other`'s counts to these.
    pub(super) fn add(&mut self, other: &ServerStats) {
        self.served += other.served;
        self.malformed += other.malformed;
        self.spoofed += other.spoofed;
        self.denied += other.denied;
        self.panics += other.panics;
        self.ignored += other.ignored;
        self.send_errors += other.send_errors;
        self.dropped_replies += other.dropped_replies;
        self.overruns += other.overruns;
        self.expired += other.expired;
        self.busy += other.busy;
        self.handler_timeouts += other.handler_timeouts;
        self.detached += other.detached;
    }
}
