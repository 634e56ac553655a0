//! How a call waits: sending while the server's queue is full, reading
//! the socket for every waiting call while holding the reading turn,
//! waking the tasks whose answers were handed over, and cleaning up when a
//! call ends.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::RecvFlags;
use tokio::time::Instant;

use crate::peer::bump_exclusive;
use crate::peer::error::CallError;
use crate::peer::socket::{Address, is_overrun};

use super::AsyncClient;
use crate::peer::client::answer::{Outcome, finish};
use crate::peer::client::call::Outgoing;
use crate::peer::client::turn::{self, Own, RequestBuffers, Slot, Waiter};

/// How long a sender whose server's queue is full waits before trying
/// again: the kernel reports no readiness for room in another socket's
/// queue, so the send is retried (reading the socket for the waiting calls
/// in between) until the call's deadline.
const SEND_RETRY: Duration = Duration::from_millis(1);

/// A waiting call's slot: its answer is handed to it, and its task's
/// waker is kept in it.
pub(super) type Parked = Arc<Slot>;

#[derive(Default)]
pub(super) struct Spare {
    slots: Vec<Arc<Slot>>,
    buffers: Vec<RequestBuffers>,
}

/// How many spare slots and buffers a client keeps (as many calls in
/// flight at once need no allocation of their own).
const KEEP_SPARE: usize = 256;

/// What reading the socket until it had nothing more came to.
enum Drained<T> {
    /// The reading call's own answer.
    Own(Result<T, CallError>),
    /// The socket is empty.
    Empty,
    /// The socket failed: the client is closed.
    Failed,
}

impl AsyncClient {
    /// Sends `datagram`, retrying while the server's queue is full, until
    /// `deadline`.
    pub(super) async fn send<P: ?Sized>(
        &self,
        out: &Outgoing<'_, P>,
        datagram: &[u8],
        deadline: Instant,
    ) -> Result<(), CallError> {
        let inner = self.inner();
        loop {
            match inner.socket.send(out.to, datagram, out.fds, true) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CallError::Io(e)),
            }
            if inner.closed.load(Ordering::Acquire) {
                return Err(inner.stopped());
            }
            // The server may be blocked on our full queue: read it for the
            // waiting calls.
            self.read_for_others();
            let now = Instant::now();
            if now >= deadline {
                return Err(CallError::Timeout);
            }
            tokio::time::sleep_until((now + SEND_RETRY).min(deadline)).await;
        }
    }

    /// One poll of a call's wait for its answer: taken from its slot, or
    /// read from the socket when this task holds the reading turn.
    pub(super) fn poll_answer<T, F>(
        &self,
        id: u64,
        slot: &Arc<Slot>,
        cx: &mut Context<'_>,
        convert: &mut Option<F>,
    ) -> Poll<Result<T, CallError>>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let inner = self.inner();
        loop {
            if let Some(answer) = slot.take_answer() {
                let Some(f) = convert.take() else {
                    return Poll::Ready(Err(CallError::Timeout));
                };
                // The reader validated the text before handing it over.
                let lost =
                    || CallError::InvalidReply("a handed-over response no longer parses".into());
                return Poll::Ready(finish(answer, f).unwrap_or_else(|| Err(lost())));
            }
            if inner.closed.load(Ordering::Acquire) {
                return Poll::Ready(Err(inner.stopped()));
            }
            // Parked before trying the turn: a reader that holds it now
            // wakes this task when it hands the answer over, or when it
            // lets go of the turn (see `hand_off`).
            if !slot.await_answer(cx.waker()) {
                continue;
            }
            self.park(id, slot);
            let Some(mut turn) = inner.reading_turn() else {
                return Poll::Pending;
            };
            let mut ready = match self.fd.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(ready)) => ready,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(CallError::Io(e))),
            };
            match self.drain(&mut turn.recv, Own::Registered(id), convert) {
                Drained::Own(answer) => {
                    // Readiness left set would make the next call's first
                    // receive find the socket empty, at the price of an
                    // error value; it is cleared now if nothing waits.
                    if self.nothing_waits() {
                        ready.clear_ready();
                    }
                    drop(turn);
                    return Poll::Ready(answer);
                }
                Drained::Empty => {
                    ready.clear_ready();
                    drop(turn);
                }
                Drained::Failed => return Poll::Ready(Err(inner.stopped())),
            }
        }
    }

    /// Reads the socket once for the waiting calls, if no one else does
    /// (a sender waiting for room in its server's queue does this).
    fn read_for_others(&self) {
        // Id 0 is never a call's: every answer read goes to its caller.
        const NO_CALL: u64 = 0;
        let Some(mut turn) = self.inner().reading_turn() else {
            return;
        };
        let mut none = None::<fn(Outcome<'_>, Vec<OwnedFd>) -> Result<(), CallError>>;
        // A failure closes the client; the waiting calls learn it when
        // woken.
        let _ = self.drain(&mut turn.recv, Own::Registered(NO_CALL), &mut none);
        drop(turn);
        // A call that found the turn taken meanwhile waits to be woken: this
        // sender may be done (a notification) before it ever reads again.
        self.hand_off(NO_CALL);
    }

    /// Receives and delivers datagrams until the socket is empty or the
    /// reading call `own` has its answer.
    fn drain<T, F>(&self, buf: &mut [u8], own: Own<'_>, convert: &mut Option<F>) -> Drained<T>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let inner = self.inner();
        loop {
            match inner.socket.recv_into(buf, inner.peer_uid.is_some()) {
                Ok(info) => {
                    if let Some(answer) = inner.deliver(info.data(buf), info, own, convert) {
                        return Drained::Own(answer);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Drained::Empty,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_overrun(&e) => bump_exclusive(&inner.counters.overruns),
                Err(e) => {
                    *lock(&inner.failure) = Some(e.to_string());
                    inner.closed.store(true, Ordering::Release);
                    inner.pending().clear();
                    for (_, slot) in lock(&self.parked).drain() {
                        slot.wake_task();
                    }
                    return Drained::Failed;
                }
            }
        }
    }

    /// Whether the socket's queue is empty, asked without taking anything
    /// (a zero-length `MSG_PEEK`) and without allocating: `Socket::recv_into`
    /// reports an empty socket as an `io::Error` with a formatted message.
    /// Held with the reading turn: a pending `ENOBUFS`, which the peek
    /// consumes, is counted here.
    fn nothing_waits(&self) -> bool {
        let inner = self.inner();
        let flags = RecvFlags::PEEK | RecvFlags::DONTWAIT;
        let mut nothing: [u8; 0] = [];
        match rustix::net::recv(inner.socket.as_fd(), &mut nothing[..], flags) {
            Err(Errno::AGAIN) => true,
            Err(Errno::NOBUFS) => {
                bump_exclusive(&inner.counters.overruns);
                false
            }
            _ => false,
        }
    }

    /// Lists call `id` among the waiting ones (its slot holds its task's
    /// waker).
    fn park(&self, id: u64, slot: &Arc<Slot>) {
        lock(&self.parked)
            .entry(id)
            .or_insert_with(|| Arc::clone(slot));
    }

    /// After a call is done: wakes one other waiting task, which takes the
    /// reading turn if no one holds it. Only the last task to poll the
    /// socket's readiness is woken by the reactor, and that may have been
    /// the task that is done.
    fn hand_off(&self, done: u64) {
        let parked = lock(&self.parked);
        let waiting = parked
            .iter()
            .find(|(id, slot)| **id != done && !slot.ready.load(Ordering::Acquire));
        if let Some((_, slot)) = waiting {
            slot.wake_task();
        }
    }

    pub(super) fn take_buffers(&self) -> RequestBuffers {
        lock(&self.spare)
            .buffers
            .pop()
            .unwrap_or_else(RequestBuffers::new)
    }

    pub(super) fn put_back_buffers(&self, mut buffers: RequestBuffers) {
        buffers.trim();
        let mut spare = lock(&self.spare);
        if spare.buffers.len() < KEEP_SPARE {
            spare.buffers.push(buffers);
        }
    }
}

/// `timeout` from now, as the blocking client computes it.
pub(super) fn deadline_after(timeout: Duration) -> Instant {
    Instant::from_std(turn::deadline_after(std::time::Instant::now(), timeout))
}

/// Enters the call `id` in the table of pending calls, to `to`, with a
/// slot for its answer.
pub(super) fn register(client: &AsyncClient, id: u64, to: &Address) -> Arc<Slot> {
    let spare = lock(&client.spare).slots.pop();
    let slot = spare.unwrap_or_default();
    slot.arm(id);
    let waiter = Waiter {
        to: to.clone(),
        slot: Arc::clone(&slot),
    };
    client.inner().pending().insert(id, waiter);
    slot
}

/// A call in flight: unregistered, woken out and its slot and buffers kept
/// for the next call when it ends, however it ends (answered, failed,
/// timed out or dropped).
pub(super) struct CallState<'c> {
    pub(super) client: &'c AsyncClient,
    pub(super) id: u64,
    pub(super) slot: Option<Arc<Slot>>,
    pub(super) buffers: Option<RequestBuffers>,
}

impl Drop for CallState<'_> {
    fn drop(&mut self) {
        let client = self.client;
        if let Some(buffers) = self.buffers.take() {
            client.put_back_buffers(buffers);
        }
        let Some(slot) = self.slot.take() else {
            return;
        };
        client.inner().pending().remove(&self.id);
        lock(&client.parked).remove(&self.id);
        client.hand_off(self.id);
        // Whatever a reader still hands to this call's id is dropped.
        slot.arm(0);
        let mut spare = lock(&client.spare);
        if spare.slots.len() < KEEP_SPARE && Arc::strong_count(&slot) == 1 {
            spare.slots.push(slot);
        }
    }
}
