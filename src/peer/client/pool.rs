//! Sockets of a client's own beside its main one, for callers that find
//! the reading turn taken: each takes one for a direct ping-pong instead
//! of waiting for the reader to hand its answer over (a wake-up and a
//! context switch more per call).

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::io;
use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::peer::socket::{NetlinkSocket, UnixAddr, UnixDatagram};
use crate::peer::transport::Socket;

use super::Inner;
use super::options::ClientOptions;
use super::stats::Counters;

/// The extra sockets, each a client of its own (without a pool) sharing
/// the main client's options and expected uid.
#[derive(Default)]
pub(super) struct Pool {
    state: Mutex<PoolState>,
    /// How many more calls go straight to an extra socket, waiting there
    /// for room in the server's queue, because a call found it full.
    busy_calls: AtomicU32,
}

/// How many calls after one that found the server's queue full skip the
/// attempt to send without waiting (a failed system call each while the
/// server stays that busy); the one after them tries again.
const BUSY_CALLS: u32 = 32;

#[derive(Default)]
struct PoolState {
    /// Sockets no caller is using.
    idle: Vec<Arc<Inner>>,
    /// Every socket opened, for the counters.
    opened: Vec<Arc<Inner>>,
}

impl Pool {
    fn state(&self) -> MutexGuard<'_, PoolState> {
        lock(&self.state)
    }

    /// An idle socket, or a new one while fewer than
    /// [`ClientOptions::max_extra_sockets`] are open; `None` when none can
    /// be had (the caller then waits its turn on the main socket). It goes
    /// back to the pool when dropped.
    pub(super) fn take(&self, main: &Inner) -> Option<Taken<'_>> {
        if main.options.max_extra_sockets == 0 || main.closed.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.state();
        let side = match state.idle.pop() {
            Some(side) => side,
            None if state.opened.len() >= main.options.max_extra_sockets => return None,
            None => {
                // Opened under the lock: rare, and it keeps the bound exact.
                let side = Arc::new(open_like(main).ok()??);
                state.opened.push(Arc::clone(&side));
                side
            }
        };
        Some(Taken { pool: self, side })
    }

    /// Whether the server's queue was found full a moment ago; counts
    /// one call down.
    pub(super) fn server_was_busy(&self) -> bool {
        self.busy_calls
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// A call found the server's queue full.
    pub(super) fn note_busy_server(&self) {
        self.busy_calls.store(BUSY_CALLS, Ordering::Relaxed);
    }

    /// Adds every extra socket's counters to `total`.
    pub(super) fn add_counters(&self, total: &Counters) {
        for side in &self.state().opened {
            side.add_counters(total);
        }
    }
}

/// A new socket of the main client's kind, as a client without a pool;
/// `Ok(None)` for kinds that have no extra sockets: a connection (one
/// peer), and a Unix socket bound to a path (its name is what makes it
/// reachable, e.g. from another network namespace; an autobound one's
/// would not be).
fn open_like(main: &Inner) -> io::Result<Option<Inner>> {
    let socket = match &main.socket {
        Socket::Netlink(_) => Socket::Netlink(NetlinkSocket::open()?),
        Socket::Unix(s, framing) if !matches!(s.local_addr(), UnixAddr::Path(_)) => {
            Socket::Unix(UnixDatagram::bind(&UnixAddr::Unnamed)?, *framing)
        }
        Socket::Unix(..) | Socket::Seqpacket(_) => return Ok(None),
    };
    let options = ClientOptions {
        max_extra_sockets: 0,
        ..main.options.clone()
    };
    let mut side = Inner::open(socket, options, Arc::clone(&main.next_id))?;
    if let Some(uid) = main.peer_uid {
        side.expect_peer_uid(uid)?;
    }
    Ok(Some(side))
}

/// An extra socket in use by one caller; given back to its pool when
/// dropped (a panicking caller's too), unless it failed.
pub(super) struct Taken<'p> {
    pool: &'p Pool,
    side: Arc<Inner>,
}

impl Deref for Taken<'_> {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.side
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if !self.side.closed.load(Ordering::Acquire) {
            self.pool.state().idle.push(Arc::clone(&self.side));
        }
    }
}
