//! Locks that survive a panicking holder.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking the data even when a thread panicked while holding it.
///
/// Every critical section of the peer leaves its data whole (it replaces
/// values, never leaves one half-written), so a poisoned lock holds
/// consistent state, and one panicking handler must not stop the callers
/// and servers that share it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
