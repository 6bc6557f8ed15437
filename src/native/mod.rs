//! The native driver: reads files from disk and runs the verification's
//! tasks on a small thread pool. It only moves bytes: one reader walks the
//! core's [`Schedule`] (each needed byte once, in file order) and hands each
//! slice (shared, not copied) to the lanes that need it. Install media
//! have their own driver, [`medium`], on the same lanes.

pub mod board;
pub mod medium;
pub mod stats;

use crate::assess::{self, Request};
use crate::read::{ReadAt, ReadError};
use crate::report::Report;
use crate::verify::resource::Layout;
use crate::verify::schedule::Schedule;
use crate::verify::split::SplitCount;
use crate::verify::task::TaskKind;
use crate::verify::{DigestLane, Lane, Verifier};
use board::{PoisonOnPanic, SharedBoard};
use stats::{Clock, Stats, Waits};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Bytes per read of the main pass. Small slices keep memory low; the
/// buffers are reused, so their number costs nothing per byte.
pub const SLICE: usize = 256 << 10;
/// Bytes queued per lane before the reader waits, when some lane decodes
/// compressed resources; bounds the buffers to about `lanes *
/// LANE_QUEUE_BYTES` plus two slices. Decoding costs per stored byte vary
/// a lot (compression ratio, chunks stored raw), so lanes take turns being
/// the slow one: with 1 MiB queued they waited for each other about a
/// third of the time on a 5 GB LZX image; with 16 MiB they rarely do
/// (`scripts/bench.sh lzx`: 32-35 s -> 29-30 s). Since the file's hashes
/// have lanes of their own, the decoding lanes' queues hold bytes no
/// other decoding lane needs, and 12 MiB measured as fast as 16 with
/// 6-7 MiB less peak memory (ESD 237 MiB against 243, LZX 112 against 119).
pub const LANE_QUEUE_BYTES: usize = 12 << 20;
/// The same when every resource is stored: hashing costs the same per
/// byte everywhere, so lanes stay in step and a deep queue would only hold
/// memory (the CLI then stays below wimlib's few MiB).
pub const LANE_QUEUE_STORED_BYTES: usize = 1 << 20;

/// A file read by absolute offset.
pub struct FileReader {
    file: File,
    size: u64,
    name: String,
}

impl FileReader {
    pub fn open(path: &Path) -> std::io::Result<FileReader> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        Ok(FileReader {
            file,
            size,
            name: path.display().to_string(),
        })
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(unix)]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_read(buf, offset) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "file ended early",
                ))
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl ReadAt for FileReader {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        if offset.checked_add(len).is_none_or(|e| e > self.size) {
            return Err(ReadError::new(offset, len, "past the end of the file"));
        }
        read_exact_at(&self.file, buf, offset).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the file is shorter than when it was opened (changed or truncated while reading)"
                    .to_string()
            } else {
                e.to_string()
            };
            ReadError::new(offset, len, why)
        })
    }
}

/// Why a file could not be verified at all (never a verdict).
#[derive(Debug)]
pub enum DriverError {
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
    Read {
        name: String,
        error: ReadError,
    },
    Changed {
        name: String,
    },
    /// Not a WIM but a recognised other format (a virtual disk, an archive,
    /// an FFU, install media): an error naming it, never a verdict.
    Foreign {
        name: String,
        format: crate::format::foreign::Foreign,
    },
    /// Install media whose file system cannot be read (never a verdict).
    Medium {
        name: String,
        error: crate::medium::MediumError,
    },
    /// Install media with no WIM (`.wim`, `.esd`, `.swm`) on it.
    NoWim {
        name: String,
        kind: crate::medium::FileSystemKind,
        files: usize,
    },
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverError::Open { path, error } => {
                write!(f, "{}: cannot open: {error}", path.display())
            }
            DriverError::Read { name, error } => write!(f, "{name}: {error}"),
            DriverError::Changed { name } => write!(
                f,
                "{name}: the file changed size while it was being verified"
            ),
            DriverError::Foreign { name, format } => write!(f, "{name}: {}", format.message()),
            DriverError::Medium { name, error } => {
                write!(f, "{name}: install media that cannot be read: {error}")
            }
            DriverError::NoWim { name, kind, files } => write!(
                f,
                "{name}: install media ({kind}, {files} files) with no WIM on it (no .wim, .esd or .swm file): nothing to verify"
            ),
        }
    }
}

impl std::error::Error for DriverError {}

/// Progress of the main pass: bytes read so far and in total.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Verifies one WIM (or the parts of one split set) on `threads` threads.
pub fn verify_paths(
    paths: &[PathBuf],
    request: Request,
    threads: usize,
    progress: Progress,
) -> Result<Report, DriverError> {
    verify_paths_with_refs(paths, &[], request, threads, progress)
}

/// [`verify_paths`] with reference WIMs (`--ref`: the base a delta was
/// captured against), whose blobs the image's trees may use; they are
/// read and verified too (see [`crate::verify::open::open_observed`]).
pub fn verify_paths_with_refs(
    paths: &[PathBuf],
    refs: &[PathBuf],
    request: Request,
    threads: usize,
    progress: Progress,
) -> Result<Report, DriverError> {
    let targets = request.targets.clone();
    let outcome = verify_outcome(paths, refs, request, threads, progress)?;
    Ok(assess::report(outcome, &targets, now_iso()))
}

/// [`verify_paths_with_refs`] up to the outcome, for a caller that judges
/// several images together ([`assess::reports_together`]).
pub fn verify_outcome(
    paths: &[PathBuf],
    refs: &[PathBuf],
    request: Request,
    threads: usize,
    progress: Progress,
) -> Result<crate::verify::outcome::Outcome, DriverError> {
    verify_outcome_stats(paths, refs, request, threads, progress).map(|(o, _)| o)
}

/// [`verify_outcome`] with what the run cost ([`Stats`]).
pub fn verify_outcome_stats(
    paths: &[PathBuf],
    refs: &[PathBuf],
    request: Request,
    threads: usize,
    progress: Progress,
) -> Result<(crate::verify::outcome::Outcome, Stats), DriverError> {
    let phase1 = Clock::start();
    let mut readers = Vec::new();
    let all: Vec<&PathBuf> = paths.iter().chain(refs).collect();
    for &p in &all {
        readers.push(FileReader::open(p).map_err(|error| DriverError::Open {
            path: p.clone(),
            error,
        })?);
    }
    let names: Vec<String> = readers.iter().map(|r| r.name().to_string()).collect();
    for r in &readers {
        let found = crate::format::foreign::detect(r).map_err(|error| DriverError::Read {
            name: r.name().to_string(),
            error,
        })?;
        if let Some(format) = found {
            return Err(DriverError::Foreign {
                name: r.name().to_string(),
                format,
            });
        }
    }
    let list: Vec<(&str, &dyn ReadAt)> = readers
        .iter()
        .map(|r| (r.name(), r as &dyn ReadAt))
        .collect();
    let (own, refs) = list.split_at(paths.len());
    let mut v =
        Verifier::open_observed(own, refs, request.verify, &mut |_, _, _| {}).map_err(|error| {
            DriverError::Read {
                name: names[0].clone(),
                error,
            }
        })?;
    let mut stats = Stats {
        phase1: phase1.elapsed().0,
        lanes: threads.max(1),
        ..Stats::default()
    };
    let phase2 = Clock::start();
    let (results, split, waits) = run_lanes(&mut v, &readers, &names, threads.max(1), progress)?;
    (stats.phase2, stats.phase2_cpu) = phase2.elapsed();
    (stats.split_resources, stats.split_runs) = (split.resources, split.runs);
    stats.waits = waits;
    for (r, p) in readers.iter().zip(all) {
        let now = std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX);
        if now != r.size {
            return Err(DriverError::Changed {
                name: r.name.clone(),
            });
        }
    }
    Ok((v.finish(results), stats))
}

fn run_lanes(
    v: &mut Verifier,
    readers: &[FileReader],
    names: &[String],
    threads: usize,
    progress: Progress,
) -> Result<(Vec<crate::verify::task::TaskResult>, SplitCount, Waits), DriverError> {
    // Large resources are split into runs of chunks over the lanes; their
    // chunk tables are read here, before the main pass.
    let files: Vec<&dyn ReadAt> = readers.iter().map(|r| r as &dyn ReadAt).collect();
    // Where lanes decode, the whole-file digest and the integrity chunks
    // run on a thread each (lanes after the others), so that no decoding
    // lane's queue fills with bytes only they need; where every resource
    // is stored, lanes hash at the same pace and they stay on the lanes.
    let decodes = v.tasks().iter().any(decodes);
    let digests = if decodes {
        DigestLane::Own
    } else {
        DigestLane::First
    };
    let (plans, split) = v
        .take_lanes_split(threads, &files, digests)
        .map_err(|error| DriverError::Read {
            name: names[0].clone(),
            error,
        })?;
    // The file's hashing lanes wait for bytes by design: not a stall.
    let hash_lanes = threads..plans.len();
    let board = SharedBoard::new();
    let sizes: Vec<u64> = readers.iter().map(|r| r.size).collect();
    let schedule = Schedule::new(&plans, &sizes, SLICE as u64);
    let queue_bytes = if decodes {
        LANE_QUEUE_BYTES
    } else {
        LANE_QUEUE_STORED_BYTES
    };
    let queue = (queue_bytes / SLICE).max(1);
    // Progress counts over the whole set: the bytes of the parts before
    // each one, then the end of the last slice read in it.
    let mut bases = Vec::with_capacity(sizes.len());
    let mut total = 0u64;
    for s in &sizes {
        bases.push(total);
        total = total.saturating_add(*s);
    }
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for plan in plans {
            let (tx, rx) = sync_channel::<(u16, u64, Arc<Vec<u8>>)>(queue);
            senders.push(tx);
            let names = names.to_vec();
            let board = Arc::clone(&board);
            handles.push(scope.spawn(move || {
                let _poison = PoisonOnPanic(Arc::clone(&board));
                let mut lane = Lane::with_board(plan, names, board);
                let mut starved = Duration::ZERO;
                loop {
                    let since = Instant::now();
                    let Ok((part, off, buf)) = rx.recv() else {
                        break;
                    };
                    starved += since.elapsed();
                    lane.feed(part, off, &buf);
                }
                (lane.finish(), starved)
            }));
        }
        // Buffers come back when every lane has dropped its handle; reusing
        // them avoids a fresh (page-faulting) allocation per slice.
        let mut pool: Vec<Arc<Vec<u8>>> = Vec::new();
        let mut read_result = Ok(());
        let mut waits = Waits::default();
        for s in schedule.slices() {
            let r = &readers[s.part as usize];
            // The schedule has no whole spans here: slices are at most SLICE.
            let len = s.len() as usize;
            let mut buf = match pool.iter().position(|b| Arc::strong_count(b) == 1) {
                Some(i) => pool.swap_remove(i),
                None => Arc::new(vec![0u8; SLICE]),
            };
            let Some(bytes) = Arc::get_mut(&mut buf) else {
                read_result = Err(DriverError::Read {
                    name: r.name.clone(),
                    error: ReadError::new(
                        s.start,
                        s.len(),
                        "internal error: a read buffer is still in use",
                    ),
                });
                break;
            };
            bytes.resize(len, 0);
            if let Err(error) = r.read_at(s.start, bytes) {
                read_result = Err(DriverError::Read {
                    name: r.name.clone(),
                    error,
                });
                break;
            }
            for &k in &s.lanes {
                // A lane that panicked has dropped its receiver; the join
                // below reports it.
                let item = (s.part, s.start, Arc::clone(&buf));
                if let Err(TrySendError::Full(item)) = senders[k as usize].try_send(item) {
                    let since = Instant::now();
                    let _ = senders[k as usize].send(item);
                    waits.reader_for_lanes += since.elapsed();
                }
            }
            pool.push(buf);
            progress(bases[s.part as usize].saturating_add(s.end), total);
        }
        progress(total, total);
        drop(senders);
        let mut results = Vec::new();
        for (k, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok((r, starved)) => {
                    results.extend(r);
                    if !hash_lanes.contains(&k) {
                        waits.lanes_for_bytes += starved;
                    }
                }
                Err(_) => {
                    // A panic is a bug in wimproof; surface it rather than
                    // report a verdict on partial results.
                    return Err(DriverError::Read {
                        name: names[0].clone(),
                        error: ReadError::new(0, 0, "internal error: a verification thread failed"),
                    });
                }
            }
        }
        waits.lanes_for_states = board.waited();
        read_result.map(|_| (results, split, waits))
    })
}

/// Whether a task decodes (and so may be slow per stored byte).
fn decodes(t: &crate::verify::task::TaskSpec) -> bool {
    match &t.kind {
        TaskKind::Resource { layout, .. } => *layout != Layout::Stored,
        TaskKind::Run(_) => true,
        _ => false,
    }
}

/// The current time as ISO 8601 UTC (the report's `checked_at`).
pub fn now_iso() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::report::iso_utc(secs)
}
