//! The dater: a thread that dates a server's queue
//! ([`ServerOptions::max_queue_age`](super::ServerOptions::max_queue_age))
//! while every serving thread is inside a handler, when no one reads and
//! so no one sends the markers that date what arrives meanwhile.
//!
//! One dater runs while any thread is inside [`Server::serve`] (spawned
//! or on a caller's own thread): the first thread in starts it, the last
//! one out stops and joins it.

use std::prelude::rust_2024::*;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::{Server, Shared, lock};

/// The dater of one server, if running, and the threads relying on it.
#[derive(Debug, Default)]
pub(super) struct Dater {
    users: usize,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    quit: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// A thread inside [`Server::serve`] relying on the dater; the last one
/// dropped stops it.
pub(super) struct Dated<'a> {
    shared: &'a Shared,
}

impl Server {
    /// Counts the calling thread as relying on the dater, starting it if
    /// none runs; `None` when the server does not date its queue.
    pub(super) fn dated(&self) -> io::Result<Option<Dated<'_>>> {
        if self.shared.ages.is_none() {
            return Ok(None);
        }
        let mut dater = lock(&self.shared.dater);
        if dater.running.is_none() {
            let quit = Arc::new(AtomicBool::new(false));
            let server = self.clone();
            let told = Arc::clone(&quit);
            let thread = std::thread::Builder::new()
                .name("procslink-dater".into())
                .spawn(move || server.date(&told))?;
            dater.running = Some(Running { quit, thread });
        }
        dater.users += 1;
        Ok(Some(Dated {
            shared: &self.shared,
        }))
    }

    /// Until told to quit, every quarter of the age limit: a marker if one
    /// is due and every serving thread is inside a handler.
    fn date(&self, quit: &AtomicBool) {
        let shared = &*self.shared;
        let Some(ages) = &shared.ages else {
            return;
        };
        while !quit.load(Ordering::SeqCst) {
            std::thread::park_timeout(ages.tick());
            if quit.load(Ordering::SeqCst) {
                break;
            }
            let serving = shared.serving.load(Ordering::SeqCst);
            if serving > 0 && shared.in_handlers.load(Ordering::SeqCst) >= serving {
                ages.mark(&shared.socket);
            }
        }
    }
}

impl Drop for Dated<'_> {
    fn drop(&mut self) {
        let mut dater = lock(&self.shared.dater);
        dater.users = dater.users.saturating_sub(1);
        let last = if dater.users == 0 {
            dater.running.take()
        } else {
            None
        };
        drop(dater);
        if let Some(Running { quit, thread }) = last {
            quit.store(true, Ordering::SeqCst);
            thread.thread().unpark();
            // The dater never panics; a join error would only say it did.
            let _ = thread.join();
        }
    }
}
