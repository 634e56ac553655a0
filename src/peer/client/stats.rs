//! [`ClientStats`] and the counters behind them.

use std::prelude::rust_2024::*;

use std::sync::atomic::AtomicU64;

/// What a client has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Responses delivered to their callers.
    pub delivered: u64,
    /// Responses dropped because no call in flight has their id (late
    /// answers to timed-out calls, duplicates, strangers' ids; id null
    /// unless it is the only call in flight to that peer's).
    pub unknown_id: u64,
    /// Responses dropped because they did not come from the peer the call
    /// went to (or, on netlink, their `nlmsg_pid` was not the sender's
    /// port).
    pub spoofed: u64,
    /// Datagrams that were not a valid ProcsLink JSON-RPC response (those
    /// that could be attributed to a call failed it with
    /// [`CallError::InvalidReply`](crate::peer::CallError::InvalidReply)).
    pub malformed: u64,
    /// Times the kernel reported dropped datagrams (receive queue full).
    pub overruns: u64,
    /// Responses dropped because the kernel-supplied credentials of their
    /// sender did not show the uid [`Client::expect_peer_uid`](crate::peer::Client::expect_peer_uid) requires
    /// (or showed none).
    pub wrong_uid: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) delivered: AtomicU64,
    pub(super) unknown_id: AtomicU64,
    pub(super) spoofed: AtomicU64,
    pub(super) malformed: AtomicU64,
    pub(super) overruns: AtomicU64,
    pub(super) wrong_uid: AtomicU64,
}
