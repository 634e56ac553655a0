//! A server's time limits: how long a request may have waited in the
//! socket's queue when a serving thread reads it
//! ([`ServerOptions::max_queue_age`](super::ServerOptions::max_queue_age)),
//! and how long a handler may run
//! ([`ServerOptions::handler_timeout`](super::ServerOptions::handler_timeout)).

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::hash::FastMap;
use super::socket::Address;
use super::transport::Socket;
use crate::jsonrpc::Id;

/// The first byte of a marker: a datagram a server sends itself to date
/// what its queue holds.
const MARKER: u8 = 1;

/// How old the requests in a server's queue are, without a timestamp on
/// each: the server sends itself numbered markers, one per quarter of the
/// limit while requests keep coming. The queue is first in, first out, so
/// a request read while a marker sent at `t` is still unread arrived before
/// `t`: it has waited at least `now - t`. A request read while the oldest
/// unread marker is older than the limit is dropped unanswered, its caller
/// having given up (the age is underestimated by at most a quarter of the
/// limit, never overestimated).
#[derive(Debug)]
pub(crate) struct QueueAges {
    max_age: Duration,
    tick: Duration,
    /// Markers sent and not read yet, oldest first: number and time sent.
    unread: Mutex<VecDeque<(u64, Instant)>>,
    next: AtomicU64,
}

impl QueueAges {
    pub(crate) fn new(max_age: Duration) -> Self {
        QueueAges {
            max_age,
            tick: max_age / 4,
            unread: Mutex::new(VecDeque::new()),
            next: AtomicU64::new(0),
        }
    }

    /// Whether `data`, which came from the server itself, is a marker; if
    /// so it is noted as read.
    pub(crate) fn marker_read(&self, data: &[u8]) -> bool {
        let Some((&MARKER, rest)) = data.split_first() else {
            return false;
        };
        let Ok(number) = <[u8; 8]>::try_from(rest) else {
            return false;
        };
        let number = u64::from_be_bytes(number);
        let mut unread = lock(&self.unread);
        while unread.front().is_some_and(|(n, _)| *n <= number) {
            unread.pop_front();
        }
        true
    }

    /// Whether the request just read has waited longer than the limit;
    /// sends a new marker when one is due.
    pub(crate) fn expired(&self, socket: &Socket) -> bool {
        let now = Instant::now();
        let mut unread = lock(&self.unread);
        let expired = unread
            .front()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) > self.max_age);
        self.send_marker_if_older(&mut unread, socket, now, self.tick);
        expired
    }

    /// Sends a marker if one is due, for requests that arrive while every
    /// serving thread is inside a handler (nobody reads, so
    /// [`expired`](Self::expired) sends none). The gap between markers
    /// doubles with each one unread, and at most [`MAX_UNREAD`] are unread:
    /// markers take places in the socket's queue (a Unix datagram socket
    /// holds only `net.unix.max_dgram_qlen` datagrams, 10 by default).
    /// Requests arriving after the last of them pass for younger than they
    /// are (never older).
    pub(crate) fn mark(&self, socket: &Socket) {
        let now = Instant::now();
        let mut unread = lock(&self.unread);
        if unread.len() >= MAX_UNREAD {
            return;
        }
        let doublings = u32::try_from(unread.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let gap = self.tick.saturating_mul(1 << doublings.min(8));
        self.send_marker_if_older(&mut unread, socket, now, gap);
    }

    /// Sends a marker unless the newest unread one is younger than `gap`.
    /// Called with the list locked, so that the marker cannot be read
    /// before it is listed.
    fn send_marker_if_older(
        &self,
        unread: &mut VecDeque<(u64, Instant)>,
        socket: &Socket,
        now: Instant,
        gap: Duration,
    ) {
        let due = unread
            .back()
            .is_none_or(|(_, at)| now.saturating_duration_since(*at) >= gap);
        if !due {
            return;
        }
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [MARKER; 9];
        for (b, n) in bytes.iter_mut().skip(1).zip(number.to_be_bytes()) {
            *b = n;
        }
        // A full queue takes no marker; the next try may succeed.
        if socket.send(&socket.local(), &bytes, &[], true).is_ok() {
            unread.push_back((number, now));
        }
    }

    /// How long the dater waits between looks.
    pub(crate) fn tick(&self) -> Duration {
        self.tick
    }
}

/// The most markers [`QueueAges::mark`] leaves unread.
const MAX_UNREAD: usize = 4;

/// What a serving thread is running, for the watchdog that enforces
/// [`ServerOptions::handler_timeout`](super::ServerOptions::handler_timeout).
#[derive(Debug, Default)]
pub(crate) struct Watch {
    current: Mutex<Option<InHandler>>,
    /// The watchdog gave up on this thread: it answered its caller, and
    /// started another thread in its place.
    abandoned: AtomicBool,
}

/// A handler running: since when, and where its answer goes.
#[derive(Debug)]
pub(crate) struct InHandler {
    since: Instant,
    pub(crate) to: Option<Address>,
    /// The request's id as JSON text; `None` for a notification.
    pub(crate) id: Option<String>,
}

impl InHandler {
    /// The id to answer, if the request has one.
    pub(crate) fn with_id<R>(&self, f: impl FnOnce(&Id<'_>) -> R) -> Option<R> {
        let text = self.id.as_deref()?;
        let raw = crate::jsonrpc::RawValue::parse(text).ok()?;
        Id::from_value(raw).map(|id| f(&id))
    }
}

/// An id as JSON text.
fn id_text(id: &Id<'_>) -> String {
    match id {
        Id::Number(n) => n.to_string(),
        Id::Str(s) => {
            serde_json::to_string(&s.chars().collect::<String>()).unwrap_or_else(|_| "null".into())
        }
        Id::Null => "null".into(),
    }
}

impl Watch {
    /// A handler starts for the request `id` from `to`.
    pub(crate) fn start(&self, to: Option<Address>, id: Option<&Id<'_>>) {
        *lock(&self.current) = Some(InHandler {
            since: Instant::now(),
            to,
            id: id.map(id_text),
        });
    }

    /// The handler is done; whether the watchdog gave up on it meanwhile
    /// (its answer must not be sent, and the thread must leave).
    pub(crate) fn finish(&self) -> bool {
        lock(&self.current).take();
        self.abandoned.load(Ordering::Acquire)
    }

    /// The handler running longer than `limit`, if any: taken, and the
    /// thread marked abandoned.
    pub(crate) fn overdue(&self, limit: Duration) -> Option<InHandler> {
        let mut current = lock(&self.current);
        if current.as_ref().is_some_and(|h| h.since.elapsed() > limit) {
            self.abandoned.store(true, Ordering::Release);
            return current.take();
        }
        None
    }
}

/// Who a sender is, for [`ServerOptions::max_per_sender`](super::ServerOptions::max_per_sender):
/// its uid when the server receives credentials, else its address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SenderKey {
    Uid(u32),
    Address(Address),
}

/// How many handlers each sender has running.
#[derive(Debug)]
pub(crate) struct PerSender {
    max: usize,
    running: Mutex<FastMap<SenderKey, usize>>,
}

impl PerSender {
    pub(crate) fn new(max: usize) -> Self {
        PerSender {
            max,
            running: Mutex::new(FastMap::default()),
        }
    }

    /// Counts one more handler of `key` running, unless it has as many as
    /// allowed already (`None` then).
    pub(crate) fn enter(&self, key: SenderKey) -> Option<Running<'_>> {
        let mut running = lock(&self.running);
        let n = running.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Running { limits: self, key })
    }
}

/// A handler counted as running for its sender until dropped.
pub(crate) struct Running<'a> {
    limits: &'a PerSender,
    key: SenderKey,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = lock(&self.limits.running);
        if let Some(n) = running.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.key);
            }
        }
    }
}
