//! What one verification cost the process: phase 1 and phase 2 wall time,
//! and the CPU time (user + system, all threads) phase 2 took, from
//! `getrusage(RUSAGE_SELF)`, so that core use is measured (`--stats`), not
//! guessed. The report never carries these: they describe the run, not
//! the file.

use std::time::{Duration, Instant};

/// The timings of one image (or one medium).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Opening and planning (and, for install media, reading the file
    /// system and every WIM's tables).
    pub phase1: Duration,
    /// The main pass: reading, decoding, hashing.
    pub phase2: Duration,
    /// CPU time of the whole process during phase 2; `None` where the
    /// platform gives none.
    pub phase2_cpu: Option<Duration>,
    /// Lanes phase 2 ran on.
    pub lanes: usize,
    /// Large resources whose chunks were split into runs across lanes,
    /// and the runs they became ([`crate::verify::split`]).
    pub split_resources: usize,
    pub split_runs: usize,
    /// Where phase 2 waited, so idle cores can be traced to a stage:
    /// lanes waiting for bytes from the reader (summed over lanes), lanes
    /// waiting for a blob's state from the run before
    /// ([`crate::verify::split`]), and the reader waiting for a lane's
    /// full queue.
    pub waits: Waits,
}

/// Time spent waiting in phase 2 (see [`Stats::waits`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Waits {
    pub lanes_for_bytes: Duration,
    pub lanes_for_states: Duration,
    pub reader_for_lanes: Duration,
}

impl Stats {
    /// Cores used on average during phase 2 (CPU time over wall time).
    pub fn cores(&self) -> Option<f64> {
        let wall = self.phase2.as_secs_f64();
        self.phase2_cpu
            .filter(|_| wall > 0.0)
            .map(|c| c.as_secs_f64() / wall)
    }

    /// One line for stderr.
    pub fn line(&self) -> String {
        let cpu = match (self.phase2_cpu, self.cores()) {
            (Some(c), Some(k)) => {
                format!(", {:.2} s CPU (user+system), {k:.2} cores", c.as_secs_f64())
            }
            _ => String::new(),
        };
        let w = &self.waits;
        format!(
            "phase 1 {:.2} s; phase 2 {:.2} s wall{cpu}; {} lanes; {} resources split into {} runs; \
             waits: lanes for bytes {:.2} s, lanes for states {:.2} s, reader for lanes {:.2} s",
            self.phase1.as_secs_f64(),
            self.phase2.as_secs_f64(),
            self.lanes,
            self.split_resources,
            self.split_runs,
            w.lanes_for_bytes.as_secs_f64(),
            w.lanes_for_states.as_secs_f64(),
            w.reader_for_lanes.as_secs_f64(),
        )
    }
}

/// A stopwatch over wall and CPU time.
pub(crate) struct Clock {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Clock {
    pub(crate) fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: process_cpu(),
        }
    }

    /// Wall and CPU time since [`Clock::start`].
    pub(crate) fn elapsed(&self) -> (Duration, Option<Duration>) {
        let cpu = match (self.cpu, process_cpu()) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        (self.wall.elapsed(), cpu)
    }
}

/// User plus system CPU time of the process so far.
#[cfg(unix)]
fn process_cpu() -> Option<Duration> {
    // SAFETY: `getrusage` only writes the struct it is given, which is
    // plain data that all-zero bytes make valid.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is a valid `who`.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return None;
    }
    let tv = |t: libc::timeval| {
        let secs = u64::try_from(t.tv_sec).ok()?;
        let micros = u32::try_from(t.tv_usec).ok()?;
        Some(Duration::from_secs(secs) + Duration::from_micros(u64::from(micros)))
    };
    Some(tv(u.ru_utime)? + tv(u.ru_stime)?)
}

#[cfg(not(unix))]
fn process_cpu() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_moves_with_work_and_cores_are_cpu_over_wall() {
        let c = Clock::start();
        // Busy work the optimiser cannot drop, until the CPU clock has
        // moved 30 ms (on a loaded machine that takes longer than 30 ms).
        let mut x = 1u64;
        let give_up = Instant::now() + Duration::from_secs(20);
        let (wall, cpu) = loop {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            let (wall, cpu) = c.elapsed();
            let cpu = cpu.expect("getrusage");
            if cpu >= Duration::from_millis(30) || Instant::now() > give_up {
                break (wall, cpu);
            }
        };
        assert!(cpu >= Duration::from_millis(30), "{cpu:?} in {wall:?}");
        // One thread busy: at most one core's worth, give or take the clock.
        assert!(
            cpu <= wall + Duration::from_millis(20),
            "{cpu:?} in {wall:?}"
        );
        let s = Stats {
            phase2: Duration::from_secs(2),
            phase2_cpu: Some(Duration::from_secs(3)),
            ..Default::default()
        };
        assert_eq!(s.cores(), Some(1.5));
        assert!(s.line().contains("1.50 cores"), "{}", s.line());
        let s = Stats {
            waits: Waits {
                lanes_for_bytes: Duration::from_millis(1250),
                ..Default::default()
            },
            ..s
        };
        assert!(s.line().contains("lanes for bytes 1.25 s"), "{}", s.line());
    }
}
