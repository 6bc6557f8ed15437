//! The board on which the lanes' runs of a split resource hand their blob
//! states on ([`crate::verify::split`]): a map behind a lock, and a wait
//! for a state not there yet. A lane that panics poisons it, so that no
//! other lane waits for a state that will never come (each then gets a
//! lost state, and the driver reports the failure).

use crate::verify::split::{Board, Handoff};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Default)]
pub struct SharedBoard {
    slots: Mutex<Slots>,
    ready: Condvar,
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
        loop {
            if let Some(h) = s.states.remove(&(resource, run)) {
                return h;
            }
            if s.poisoned {
                return Handoff::lost();
            }
            s = match self.ready.wait(s) {
                Ok(s) => s,
                Err(_) => return Handoff::lost(),
            };
        }
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
