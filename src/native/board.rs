//! The board on which the lanes' runs of a split resource hand their blob
//! states on ([`crate::verify::split`]): a map behind a lock, and a wait
//! for a state not there yet. A lane that panics poisons it, so that no
//! other lane waits for a state that will never come (each then gets a
//! lost state, and the driver reports the failure).

use crate::verify::split::{Board, Handoff};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct SharedBoard {
    slots: Mutex<Slots>,
    ready: Condvar,
    /// Nanoseconds lanes spent in [`Board::take`] waiting for a state not
    /// yet put (summed over lanes; `--stats` prints it).
    waited_ns: AtomicU64,
}

#[derive(Default)]
struct Slots {
    states: HashMap<(u32, u32), Handoff>,
    poisoned: bool,
}

impl SharedBoard {
    pub fn new() -> Arc<SharedBoard> {
        Arc::new(SharedBoard::default())
    }

    /// Time lanes spent waiting for states (summed over lanes).
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited_ns.load(Ordering::Relaxed))
    }

    fn poison(&self) {
        if let Ok(mut s) = self.slots.lock() {
            s.poisoned = true;
        }
        self.ready.notify_all();
    }
}

impl Board for SharedBoard {
    fn put(&self, resource: u32, run: u32, state: Handoff) {
        if let Ok(mut s) = self.slots.lock() {
            s.states.insert((resource, run), state);
        }
        self.ready.notify_all();
    }

    fn try_take(&self, resource: u32, run: u32) -> Option<Handoff> {
        self.slots.lock().ok()?.states.remove(&(resource, run))
    }

    fn take(&self, resource: u32, run: u32) -> Handoff {
        let Ok(mut s) = self.slots.lock() else {
            return Handoff::lost();
        };
        if let Some(h) = s.states.remove(&(resource, run)) {
            return h;
        }
        let since = Instant::now();
        let got = loop {
            if s.poisoned {
                break Handoff::lost();
            }
            s = match self.ready.wait(s) {
                Ok(s) => s,
                Err(_) => break Handoff::lost(),
            };
            if let Some(h) = s.states.remove(&(resource, run)) {
                break h;
            }
        };
        let ns = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waited_ns.fetch_add(ns, Ordering::Relaxed);
        got
    }
}

/// Held by a lane's thread: if the thread panics, the board is poisoned
/// as it unwinds.
pub struct PoisonOnPanic(pub Arc<SharedBoard>);

impl Drop for PoisonOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poison();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn take_waits_for_put_and_a_panicking_lane_unblocks_the_waiters() {
        let board = SharedBoard::new();
        // Taken before it is put: the taker waits for it.
        let b = Arc::clone(&board);
        let taker = std::thread::spawn(move || b.take(7, 1));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!taker.is_finished());
        board.put(7, 1, Handoff::lost());
        taker.join().unwrap();
        assert!(
            board.waited() >= Duration::from_millis(40),
            "{:?}",
            board.waited()
        );
        assert!(board.try_take(7, 1).is_none(), "taken once");
        // A state never put: a lane that panics poisons the board, and the
        // waiter gets a lost state instead of waiting for ever.
        let b = Arc::clone(&board);
        let waiter = std::thread::spawn(move || b.take(7, 2));
        let b = Arc::clone(&board);
        let failed = std::thread::spawn(move || {
            let _poison = PoisonOnPanic(b);
            panic!("a lane fails");
        });
        assert!(failed.join().is_err());
        waiter.join().unwrap();
    }
}
