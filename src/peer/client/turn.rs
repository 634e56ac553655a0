//! Turn-taking: one waiting caller at a time reads the socket for all,
//! handing each answer to its caller's [`Slot`] and passing the turn on.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::peer::bump_exclusive;
use crate::peer::error::CallError;
use crate::peer::hash::FastMap;
use crate::peer::socket::{Address, is_overrun};
use crate::peer::transport::is_timeout;

use super::Inner;
use super::answer::{Answer, Outcome, finish};

/// Where a waiting caller is handed its answer, or the turn to read the
/// socket for everyone.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) state: Mutex<SlotState>,
    pub(super) wake: Condvar,
    /// Whether `state` holds an answer, so that looking for one needs no
    /// lock.
    pub(super) ready: AtomicBool,
}

#[derive(Default)]
pub(super) struct SlotState {
    /// The call this slot waits for; anything for another id is stale and
    /// dropped.
    pub(super) id: u64,
    pub(super) answer: Option<Answer>,
    pub(super) turn: bool,
    /// The task awaiting the answer (the async client's), woken when it is
    /// given.
    pub(super) waker: Option<Waker>,
}

impl Slot {
    pub(super) fn state(&self) -> MutexGuard<'_, SlotState> {
        lock(&self.state)
    }

    pub(super) fn arm(&self, id: u64) {
        *self.state() = SlotState {
            id,
            answer: None,
            turn: false,
            waker: None,
        };
        self.ready.store(false, Ordering::Relaxed);
    }

    pub(super) fn take_answer(&self) -> Option<Answer> {
        if !self.ready.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.state();
        self.ready.store(false, Ordering::Relaxed);
        state.answer.take()
    }

    pub(super) fn give_answer(&self, id: u64, answer: Answer) {
        let mut state = self.state();
        if state.id == id {
            state.answer = Some(answer);
            self.ready.store(true, Ordering::Release);
            let waker = state.waker.take();
            drop(state);
            self.wake.notify_one();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Records `waker` as the task awaiting the answer, unless the answer
    /// is already there (`false`): checked under the same lock
    /// [`give_answer`](Self::give_answer) takes, so no answer goes unseen.
    #[cfg(feature = "tokio")]
    pub(super) fn await_answer(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        if state.answer.is_some() {
            return false;
        }
        match &mut state.waker {
            Some(w) if w.will_wake(waker) => {}
            Some(w) => w.clone_from(waker),
            None => state.waker = Some(waker.clone()),
        }
        true
    }

    /// Wakes the task awaiting the answer, if one is recorded.
    #[cfg(feature = "tokio")]
    pub(super) fn wake_task(&self) {
        let waker = self.state().waker.clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(super) fn give_turn(&self, id: u64) {
        let mut state = self.state();
        if state.id == id {
            state.turn = true;
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Waits at most `timeout` for an answer or a turn (returning at once
    /// if one is there).
    pub(super) fn wait(&self, timeout: Duration) {
        let mut state = self.state();
        if state.answer.is_none() && !state.turn {
            state = self
                .wake
                .wait_timeout(state, timeout)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.turn = false;
    }
}

/// When a reading caller gives up on its call.
#[derive(Clone, Copy)]
pub(super) enum Deadline {
    At(Instant),
    /// This long after the call was sent, the clock not read yet: a lone
    /// reader reads it only once its first receive brings no answer.
    After(Duration),
}

impl Deadline {
    /// The deadline as an instant, `now` being the first clock reading
    /// after a receive that `timed_out` (and so took [`READ_SLICE`]) or
    /// brought something else (and took at most that).
    pub(super) fn at(self, now: Instant, timed_out: bool) -> Instant {
        match self {
            Deadline::At(at) => at,
            Deadline::After(timeout) => {
                let spent = if timed_out {
                    READ_SLICE
                } else {
                    Duration::ZERO
                };
                deadline_after(now, timeout.saturating_sub(spent))
            }
        }
    }
}

/// `now + timeout`, for any timeout (a century stands in for longer ones).
pub(super) fn deadline_after(now: Instant, timeout: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(timeout)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// The call of the caller reading the socket: in the table of pending
/// calls (so the table checks its sender), or not (a lone reader's call,
/// to the address given).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Own<'a> {
    Registered(u64),
    Unregistered(u64, &'a Address),
}

/// The calls waiting for their answers, by id, and how many there are
/// (which a reader checks without the lock before passing its turn on).
#[derive(Default)]
pub(super) struct Pending {
    pub(super) calls: Mutex<FastMap<u64, Waiter>>,
    pub(super) count: AtomicUsize,
}

/// The locked table of pending calls; updates the count as it unlocks.
pub(super) struct PendingGuard<'a> {
    pub(super) calls: MutexGuard<'a, FastMap<u64, Waiter>>,
    pub(super) count: &'a AtomicUsize,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.count.store(self.calls.len(), Ordering::SeqCst);
    }
}

impl Deref for PendingGuard<'_> {
    type Target = FastMap<u64, Waiter>;

    fn deref(&self) -> &Self::Target {
        &self.calls
    }
}

impl DerefMut for PendingGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.calls
    }
}

pub(super) struct Waiter {
    pub(super) to: Address,
    pub(super) slot: Arc<Slot>,
}

/// What a calling thread keeps from one call to the next, so that a call
/// allocates nothing of its own: its slot and the buffers its request is
/// built in.
pub(super) struct CallerState {
    pub(super) slot: Arc<Slot>,
    pub(super) request: RequestBuffers,
}

/// Where a request is built.
pub(super) struct RequestBuffers {
    /// The params' JSON text, from a value.
    pub(super) text: String,
    /// The params' JSON text, from a serde type.
    pub(super) bytes: Vec<u8>,
    /// The request datagram.
    pub(super) datagram: Vec<u8>,
}

impl RequestBuffers {
    pub(super) fn new() -> Self {
        RequestBuffers {
            text: String::with_capacity(256),
            bytes: Vec::with_capacity(256),
            datagram: vec![0; 512],
        }
    }

    /// Gives back what an unusually large request grew.
    pub(super) fn trim(&mut self) {
        if self.text.capacity() > KEEP_BUFFER {
            self.text = String::with_capacity(256);
        }
        if self.bytes.capacity() > KEEP_BUFFER {
            self.bytes = Vec::with_capacity(256);
        }
        if self.datagram.len() > KEEP_BUFFER {
            self.datagram = vec![0; 512];
        }
    }
}

/// What the caller reading the socket holds: where it receives, and where
/// it builds its request when it took the turn before sending.
pub(super) struct Reader {
    pub(super) recv: Vec<u8>,
    pub(super) request: RequestBuffers,
}

/// Buffers larger than this are not kept for the next call.
pub(super) const KEEP_BUFFER: usize = 64 * 1024;

thread_local! {
    static CALLER: Cell<Option<Box<CallerState>>> = const { Cell::new(None) };
}

impl CallerState {
    /// This thread's state (a new one if a call on this thread is already
    /// using it).
    pub(super) fn take() -> Box<CallerState> {
        CALLER.with(Cell::take).unwrap_or_else(|| {
            Box::new(CallerState {
                slot: Arc::new(Slot::default()),
                request: RequestBuffers::new(),
            })
        })
    }

    pub(super) fn put_back(mut self: Box<Self>) {
        self.request.trim();
        CALLER.with(|c| c.set(Some(self)));
    }
}

/// How long one attempt to send waits for room in the receiver's queue
/// (the socket's send timeout): between attempts a waiting sender reads
/// the socket for the others.
pub(super) const SEND_SLICE: Duration = Duration::from_millis(20);

/// How long a caller that is not reading the socket waits for its answer
/// or its turn before trying to read the socket itself again: a bound on
/// what a lost hand-off can cost.
pub(super) const FOLLOWER_SLICE: Duration = Duration::from_millis(5);
/// The socket's receive timeout: how long past its deadline a reading
/// caller may be held up.
pub(super) const READ_SLICE: Duration = Duration::from_millis(20);

impl Inner {
    pub(super) fn pending(&self) -> PendingGuard<'_> {
        PendingGuard {
            calls: lock(&self.pending.calls),
            count: &self.pending.count,
        }
    }

    /// Sends `datagram` to `to`, waiting for room in the receiver's queue
    /// until `deadline` ([`CallError::Timeout`] then) in slices of
    /// [`SEND_SLICE`]; between slices, reads the socket for the other
    /// callers if no one else does, so that answers keep being taken
    /// however many callers wait to send. Never called holding the turn.
    pub(super) fn send_patiently(
        &self,
        to: &Address,
        datagram: &[u8],
        fds: &[BorrowedFd<'_>],
        deadline: Instant,
    ) -> Result<(), CallError> {
        loop {
            match self.socket.send(to, datagram, fds, false) {
                Ok(()) => return Ok(()),
                Err(e) if is_timeout(&e) => {
                    if self.closed.load(Ordering::Acquire) {
                        return Err(self.stopped());
                    }
                    if Instant::now() >= deadline {
                        return Err(CallError::Timeout);
                    }
                    self.help_read();
                }
                Err(e) => return Err(CallError::Io(e)),
            }
        }
    }

    /// Reads the socket once for the waiting callers, if no one else does.
    pub(super) fn help_read(&self) {
        // Id 0 is never a call's: every answer read goes to its caller.
        const NO_CALL: u64 = 0;
        if let Some(mut turn) = self.reading_turn() {
            let mut none = None::<fn(Outcome<'_>, Vec<OwnedFd>) -> Result<(), CallError>>;
            let now = Deadline::At(Instant::now());
            let own = Own::Registered(NO_CALL);
            // A failure closes the client; the sender learns it next.
            let _ = self.read_until_answered(own, None, &mut turn.recv, now, &mut none);
            drop(turn);
            self.pass_turn(NO_CALL);
        }
    }

    /// The answer a reader is handing over right now, waiting for it at
    /// most a moment past `deadline`.
    pub(super) fn late_answer(&self, slot: &Slot, deadline: Instant) -> Option<Answer> {
        let until = deadline.max(Instant::now()) + FOLLOWER_SLICE;
        loop {
            if let Some(answer) = slot.take_answer() {
                return Some(answer);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            slot.wait(until - now);
        }
    }

    /// Waits for this caller's answer until `deadline` (`Ok(None)` then),
    /// reading the socket for every caller whenever no one else is; the
    /// answer goes through `convert`.
    pub(super) fn wait<T, F>(
        &self,
        id: u64,
        slot: &Slot,
        mut now: Instant,
        deadline: Instant,
        convert: &mut Option<F>,
    ) -> Result<Option<Result<T, CallError>>, CallError>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        // `now` is fresh on the first pass: the call just read the clock.
        let mut fresh = true;
        loop {
            if let Some(answer) = slot.take_answer() {
                return Ok(convert.take().and_then(|f| finish(answer, f)));
            }
            if self.closed.load(Ordering::Acquire) {
                return Err(self.stopped());
            }
            if !fresh {
                now = Instant::now();
            }
            fresh = false;
            if now >= deadline {
                return Ok(None);
            }
            if let Some(mut turn) = self.reading_turn() {
                let own = Own::Registered(id);
                let until = Deadline::At(deadline);
                let recv = &mut turn.recv;
                let answer = self.read_until_answered(own, Some(slot), recv, until, convert);
                drop(turn);
                self.pass_turn(id);
                return answer;
            }
            slot.wait((deadline - now).min(FOLLOWER_SLICE));
        }
    }

    /// Reads and delivers datagrams until this caller's answer has arrived
    /// or `deadline` has passed.
    pub(super) fn read_until_answered<T, F>(
        &self,
        own: Own<'_>,
        slot: Option<&Slot>,
        buf: &mut [u8],
        mut deadline: Deadline,
        convert: &mut Option<F>,
    ) -> Result<Option<Result<T, CallError>>, CallError>
    where
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        // The first receive needs no clock: the caller just read it, or
        // has not needed it yet.
        let mut check_clock = false;
        let mut timed_out = false;
        loop {
            if let Some(answer) = slot.and_then(Slot::take_answer) {
                return Ok(convert.take().and_then(|f| finish(answer, f)));
            }
            if check_clock {
                let now = Instant::now();
                let at = deadline.at(now, timed_out);
                deadline = Deadline::At(at);
                if now >= at {
                    return Ok(None);
                }
            }
            check_clock = true;
            timed_out = false;
            match self.socket.recv_into(buf, self.peer_uid.is_some()) {
                Ok(info) => {
                    if let Some(answer) = self.deliver(info.data(buf), info, own, convert) {
                        return Ok(Some(answer));
                    }
                }
                Err(e) if is_timeout(&e) => timed_out = true,
                Err(e) if is_overrun(&e) => bump_exclusive(&self.counters.overruns),
                Err(e) => {
                    *lock(&self.failure) = Some(e.to_string());
                    self.closed.store(true, Ordering::Release);
                    // Every waiting caller learns it when woken.
                    for (id, w) in self.pending().drain() {
                        w.slot.give_turn(id);
                    }
                    return Err(self.stopped());
                }
            }
        }
    }

    /// The turn to read the socket for everyone, if no one has it.
    #[inline]
    pub(super) fn reading_turn(&self) -> Option<MutexGuard<'_, Reader>> {
        match self.reading.try_lock() {
            Ok(turn) => Some(turn),
            // A reader that panicked left nothing half-done: reading goes
            // on.
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Hands the socket to one other waiting caller (not the caller `own`,
    /// which is done waiting), if any.
    #[inline]
    pub(super) fn pass_turn(&self, own: u64) {
        // A caller that registers after this look finds the turn free (it
        // registers before trying to take the turn, which this caller gave
        // up before looking), or takes it within a follower's slice.
        if self.pending.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let pending = self.pending();
        if let Some((id, w)) = pending.iter().find(|(id, _)| **id != own) {
            w.slot.give_turn(*id);
        }
    }
}
