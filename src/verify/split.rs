//! Large compressed resources split into runs of chunks, so that several
//! lanes decode one resource at once. The chunks of a chunked or solid
//! resource are independent; only each blob's SHA-1 is sequential.
//!
//! [`split_tasks`] reads the chunk table of each large chunked or solid
//! resource (a few KiB, in phase 1), checks it as the streaming decoder
//! would, and replaces the resource's task by runs of about [`RUN_BYTES`]
//! of uncompressed data, each a task over its own chunks' stored bytes
//! ([`RunSpec`]). A resource whose table the decoder would refuse stays
//! whole, so its findings stay the decoder's.
//!
//! A run hashes the blobs that start in it. A blob that began in an
//! earlier run continues from the SHA-1 state that run hands on through a
//! [`Board`]: until the state is there, the run keeps the bytes of such
//! blobs, up to [`MAX_HELD_BYTES`]; past that it waits for the state
//! (so a lane holds one decoded chunk, not a copy of it). When it ends it
//! takes the state (waiting for it if it must), then hands on the states of the
//! blobs that go on past its end, with the results of every blob finished
//! so far. The resource's last run thus holds what one task over the
//! whole resource would, and reports it the same way (the same findings,
//! counted once, under the resource's task id).
//!
//! Waiting cannot deadlock: a run waits only for the run before it, whose
//! bytes a driver reading in file order has handed out before its own
//! (a run's sink sees data only once a whole chunk has come, so every
//! byte of the run before has been handed out by then);
//! that run waits only for the one before it, and so on back to the first,
//! which waits for nothing. Lanes finish their tasks in file order. A run
//! dropped unfinished (a lane that failed) hands on a lost state, and the
//! runs after it report their blobs unverified.

use super::code::Code;
use super::finding::Finding;
use super::resource::{Failure, Layout, ResourceDecoder, Scratch, Sink};
use super::task::{
    blob_findings, finish_blob, ActiveBlob, BlobSink, BlobState, BlobTarget, TaskKind, TaskResult,
    TaskSpec,
};
use crate::codec::Codec;
use crate::format::resource::{
    chunk_count, chunk_entry_width, chunk_size_problem, solid_codec, MAX_CHUNKS_PER_RESOURCE,
    MAX_CHUNK_SIZE, SOLID_HEADER_SIZE,
};
use crate::read::{ReadAt, ReadError};
use serde::{Deserialize, Serialize};
use sha1::digest::common::hazmat::{SerializableState, SerializedState};
use sha1::{Digest, Sha1};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Uncompressed bytes per run (a run is at least one chunk): small enough
/// that the runs of one resource alternate between lanes well within a
/// lane's queue, large enough that a run is many chunks of 32 KiB.
pub const RUN_BYTES: u64 = 8 << 20;
/// Resources of fewer uncompressed bytes stay whole.
pub const SPLIT_MIN_BYTES: u64 = 2 * RUN_BYTES;
/// The largest chunk table read to split a resource (a 32 GiB resource in
/// 32 KiB chunks); a larger one (forged, or a resource that large) stays
/// whole, so phase 1 never reads more than this per resource.
pub const MAX_SPLIT_TABLE_BYTES: u64 = 4 << 20;
/// The most resources whose tables are read: a forged blob table of a
/// million large solid resources costs a million small reads at most once.
pub const MAX_SPLIT_RESOURCES: usize = 1 << 16;
/// The most blobs that may go on into one run from before it. Blobs of a
/// resource do not overlap, so one does; overlapping ones (a hostile file)
/// would copy their targets into every run, so such a resource stays whole.
pub const MAX_INCOMING_BLOBS: usize = 8;
/// The most bytes a run keeps for the blobs going on into it while the
/// run before has not handed on their states; past this it waits.
/// Two runs of [`RUN_BYTES`]: a run of small chunks never waits mid-run,
/// so a blob spanning many runs (a large file in a chunked resource) is
/// decoded on every lane at once and only hashed in order. With 1 MiB,
/// each such run waited for the one before: on a 5.2 GB LZX image whose
/// 1.8 GB blob spans about 225 runs, phase 2 used 1.40-1.51 cores and
/// 28.7-32.3 s, against 1.80-1.82 cores and 23.1 s now (peak RSS 90 MiB
/// then, 112 MiB now). A run of one larger chunk (64 MiB in a solid ESD)
/// still waits, which saves a copy of up to a whole chunk per lane: with
/// 2 lanes on a 350 MB solid ESD, peak RSS fell from 296 MiB to about
/// 240 MiB.
pub const MAX_HELD_BYTES: usize = (2 * RUN_BYTES) as usize;

/// A run of chunks of one resource: the task's `id` is the resource's,
/// and `[start, end)` holds chunks `first_chunk..first_chunk + csizes.len()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Its position among the resource's runs, and whether it is the last.
    pub index: u32,
    pub last: bool,
    /// File offset of the resource (findings name the resource there).
    pub resource_start: u64,
    pub codec: Codec,
    pub chunk_size: u32,
    /// The resource's uncompressed size.
    pub usize: u64,
    pub first_chunk: u64,
    /// Stored sizes of the run's chunks.
    pub csizes: Vec<u32>,
    /// The blobs that start in the run (the last run: also any that start
    /// past the data) and those that go on into it from before.
    pub blobs: Vec<RunBlob>,
}

impl RunSpec {
    /// Where the run's uncompressed data begins and ends.
    pub fn out_range(&self) -> (u64, u64) {
        let cs = u64::from(self.chunk_size);
        let start = self.first_chunk.saturating_mul(cs).min(self.usize);
        let end = self
            .first_chunk
            .saturating_add(self.csizes.len() as u64)
            .saturating_mul(cs)
            .min(self.usize);
        (start, if self.last { self.usize } else { end })
    }
}

/// A blob of a run, with its position in the resource's blob list
/// (sorted by offset, then size).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunBlob {
    pub index: u32,
    pub blob: BlobTarget,
}

/// What one run hands the next: the SHA-1 states of the blobs that go on,
/// and the results so far.
pub struct Handoff {
    carry: Vec<(u32, Sha1, Option<Failure>)>,
    bad: Vec<(u32, BlobTarget, BlobState)>,
    ok: u64,
    /// The resource's first failure so far.
    failure: Option<Failure>,
    /// A run before never handed on (its lane failed).
    lost: bool,
}

impl Handoff {
    /// The state of a run that never handed on.
    pub fn lost() -> Handoff {
        Handoff {
            carry: Vec::new(),
            bad: Vec::new(),
            ok: 0,
            failure: None,
            lost: true,
        }
    }
}

/// Where runs leave and take the state handed from run `run - 1` to run
/// `run` of the resource of task `resource`. The native driver's waits;
/// [`local_board`]'s never does (for one lane running every run in order).
pub trait Board: Send + Sync {
    fn put(&self, resource: u32, run: u32, state: Handoff);
    /// The state, if it is there.
    fn try_take(&self, resource: u32, run: u32) -> Option<Handoff>;
    /// The state, waiting for it if need be.
    fn take(&self, resource: u32, run: u32) -> Handoff;
    /// Whether [`Board::take`] waits for a state not there yet. A board
    /// that cannot (a lane worker in a browser, which must return to its
    /// event loop to receive it: [`RelayBoard`]) makes a run keep every
    /// byte its incoming blobs need until the state comes, and a run that
    /// ends before it is parked by its lane ([`RunRunner::ready`]).
    fn waits(&self) -> bool {
        true
    }
}

/// A board for runs that all run in order on one lane: a state not there
/// when taken is lost.
pub fn local_board() -> Arc<dyn Board> {
    Arc::new(LocalBoard::default())
}

#[derive(Default)]
struct LocalBoard {
    slots: Mutex<HashMap<(u32, u32), Handoff>>,
}

impl Board for LocalBoard {
    fn put(&self, resource: u32, run: u32, state: Handoff) {
        if let Ok(mut s) = self.slots.lock() {
            s.insert((resource, run), state);
        }
    }
    fn try_take(&self, resource: u32, run: u32) -> Option<Handoff> {
        self.slots.lock().ok()?.remove(&(resource, run))
    }
    fn take(&self, resource: u32, run: u32) -> Handoff {
        self.try_take(resource, run).unwrap_or_else(Handoff::lost)
    }
}

/// A board for lanes that cannot wait for each other (a browser's lane
/// workers, each returning to its event loop between slices): the states
/// its lane's own runs need stay here; every other state put goes out
/// ([`RelayBoard::take_outgoing`]) for the driver to carry to the other
/// lanes, which give it to theirs ([`RelayBoard::give`]). It never waits
/// ([`Board::waits`]), so a run whose state has not come keeps its
/// incoming blobs' bytes, and its lane parks it when it ends
/// ([`Lane::retry_parked`](super::Lane::retry_parked)).
pub struct RelayBoard {
    inner: Mutex<Relay>,
}

#[derive(Default)]
struct Relay {
    /// The (resource, run) states this lane's runs take.
    wanted: HashSet<(u32, u32)>,
    slots: HashMap<(u32, u32), Handoff>,
    outgoing: Vec<(u32, u32, Handoff)>,
}

/// The most states one [`RelayBoard::give`] takes: a resource has at most
/// [`MAX_CHUNKS_PER_RESOURCE`] runs, and the bundle comes from another
/// lane of the same verification, not from the file; the limit only keeps
/// a broken driver from growing the board without end.
pub const MAX_RELAYED_STATES: usize = 1 << 16;

impl RelayBoard {
    /// The board of a lane running `tasks`.
    pub fn for_tasks(tasks: &[TaskSpec]) -> Arc<RelayBoard> {
        let wanted = tasks
            .iter()
            .filter_map(|t| match &t.kind {
                TaskKind::Run(r) if r.index > 0 => Some((t.id, r.index)),
                _ => None,
            })
            .collect();
        Arc::new(RelayBoard {
            inner: Mutex::new(Relay {
                wanted,
                ..Relay::default()
            }),
        })
    }

    /// The states put for other lanes' runs since the last call, as one
    /// bundle of bytes for [`RelayBoard::give`] (empty if there are none).
    pub fn take_outgoing(&self) -> Vec<u8> {
        let Ok(mut r) = self.inner.lock() else {
            return Vec::new();
        };
        if r.outgoing.is_empty() {
            return Vec::new();
        }
        let states: Vec<WireHandoff> = r
            .outgoing
            .drain(..)
            .map(|(resource, run, h)| WireHandoff::from_state(resource, run, h))
            .collect();
        serde_json::to_vec(&states).unwrap_or_default()
    }

    /// Takes a bundle from another lane's [`RelayBoard::take_outgoing`]:
    /// keeps the states this lane's runs need and drops the rest. Returns
    /// how many it kept, or why the bundle is unreadable.
    pub fn give(&self, bundle: &[u8]) -> Result<usize, String> {
        let states: Vec<WireHandoff> =
            serde_json::from_slice(bundle).map_err(|e| format!("bad state bundle: {e}"))?;
        if states.len() > MAX_RELAYED_STATES {
            return Err(format!(
                "bad state bundle: {} states (at most {MAX_RELAYED_STATES})",
                states.len()
            ));
        }
        let mut r = self
            .inner
            .lock()
            .map_err(|_| "state board poisoned".to_string())?;
        let mut kept = 0;
        for w in states {
            let key = (w.resource, w.run);
            if r.wanted.contains(&key) && !r.slots.contains_key(&key) {
                r.slots.insert(key, w.into_state()?);
                kept += 1;
            }
        }
        Ok(kept)
    }
}

impl Board for RelayBoard {
    fn put(&self, resource: u32, run: u32, state: Handoff) {
        if let Ok(mut r) = self.inner.lock() {
            if r.wanted.contains(&(resource, run)) {
                r.slots.insert((resource, run), state);
            } else {
                r.outgoing.push((resource, run, state));
            }
        }
    }
    fn try_take(&self, resource: u32, run: u32) -> Option<Handoff> {
        self.inner.lock().ok()?.slots.remove(&(resource, run))
    }
    fn take(&self, resource: u32, run: u32) -> Handoff {
        self.try_take(resource, run).unwrap_or_else(Handoff::lost)
    }
    fn waits(&self) -> bool {
        false
    }
}

/// A [`Handoff`] as bytes between lane workers: each SHA-1 as its
/// serialized state ([`SerializableState`]).
#[derive(Serialize, Deserialize)]
struct WireHandoff {
    resource: u32,
    run: u32,
    carry: Vec<(u32, Vec<u8>, Option<Failure>)>,
    bad: Vec<(u32, BlobTarget, BlobState)>,
    ok: u64,
    failure: Option<Failure>,
    lost: bool,
}

impl WireHandoff {
    fn from_state(resource: u32, run: u32, h: Handoff) -> WireHandoff {
        WireHandoff {
            resource,
            run,
            carry: h
                .carry
                .into_iter()
                .map(|(i, hasher, f)| (i, hasher.serialize().to_vec(), f))
                .collect(),
            bad: h.bad,
            ok: h.ok,
            failure: h.failure,
            lost: h.lost,
        }
    }

    fn into_state(self) -> Result<Handoff, String> {
        let mut carry = Vec::with_capacity(self.carry.len());
        for (i, bytes, f) in self.carry {
            let state = SerializedState::<Sha1>::try_from(bytes.as_slice())
                .map_err(|_| "bad state bundle: a SHA-1 state of the wrong length".to_string())?;
            let hasher = Sha1::deserialize(&state)
                .map_err(|_| "bad state bundle: an invalid SHA-1 state".to_string())?;
            carry.push((i, hasher, f));
        }
        Ok(Handoff {
            carry,
            bad: self.bad,
            ok: self.ok,
            failure: self.failure,
            lost: self.lost,
        })
    }
}

/// How many resources were split, into how many runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitCount {
    pub resources: usize,
    pub runs: usize,
}

/// `tasks` with each large chunked or solid resource replaced by its runs
/// (see the module doc); `files` are the parts, as the tasks index them.
pub fn split_tasks(
    tasks: Vec<TaskSpec>,
    files: &[&dyn ReadAt],
) -> Result<(Vec<TaskSpec>, SplitCount), ReadError> {
    let mut out = Vec::with_capacity(tasks.len());
    let mut count = SplitCount::default();
    let mut tried = 0usize;
    for t in tasks {
        let candidate = match &t.kind {
            TaskKind::Resource { layout, .. } => match layout {
                Layout::Chunked { usize, .. } => *usize >= SPLIT_MIN_BYTES,
                // Its size is in its header; a small stored size may still
                // hold much data, so every solid resource is looked at.
                Layout::Solid => t.end - t.start > SOLID_HEADER_SIZE,
                Layout::Stored | Layout::Pipable { .. } => false,
            },
            _ => false,
        };
        let file = files.get(t.part as usize);
        let (Some(file), true) = (file, candidate && tried < MAX_SPLIT_RESOURCES) else {
            out.push(t);
            continue;
        };
        tried += 1;
        match runs_of(&t, *file)? {
            Some(runs) => {
                count.resources += 1;
                count.runs += runs.len();
                out.extend(runs);
            }
            None => out.push(t),
        }
    }
    Ok((out, count))
}

/// The chunks of a resource as its table gives them: codec, chunk size,
/// uncompressed size, and per chunk its file offset and stored size.
struct Chunks {
    codec: Codec,
    chunk_size: u32,
    usize: u64,
    offsets: Vec<u64>,
    csizes: Vec<u32>,
}

/// The runs of resource task `t`, or `None` if it stays whole.
fn runs_of(t: &TaskSpec, file: &dyn ReadAt) -> Result<Option<Vec<TaskSpec>>, ReadError> {
    let TaskKind::Resource { layout, blobs } = &t.kind else {
        return Ok(None);
    };
    let Some(c) = read_chunks(layout, t.start, t.end - t.start, file)? else {
        return Ok(None);
    };
    if c.usize < SPLIT_MIN_BYTES || c.csizes.is_empty() {
        return Ok(None);
    }
    let mut blobs: Vec<(u32, BlobTarget)> = {
        let mut b = blobs.clone();
        // The order the whole-resource task gives its blobs.
        b.sort_by_key(|b| (b.offset, b.size));
        b.into_iter()
            .enumerate()
            .map(|(i, b)| (i as u32, b))
            .collect()
    };
    let cs = u64::from(c.chunk_size);
    let per_run = usize::try_from((RUN_BYTES / cs).max(1)).unwrap_or(1);
    let n_runs = c.csizes.len().div_ceil(per_run);
    let mut runs = Vec::with_capacity(n_runs);
    let mut next_blob = 0usize;
    for r in 0..n_runs {
        let first = r * per_run;
        let last = r + 1 == n_runs;
        let upto = (first + per_run).min(c.csizes.len());
        let csizes = c.csizes[first..upto].to_vec();
        let start = c.offsets[first];
        let stored: u64 = csizes.iter().map(|&x| u64::from(x)).sum();
        let mut spec = RunSpec {
            index: r as u32,
            last,
            resource_start: t.start,
            codec: c.codec,
            chunk_size: c.chunk_size,
            usize: c.usize,
            first_chunk: first as u64,
            csizes,
            blobs: Vec::new(),
        };
        let (os, oe) = spec.out_range();
        // Blobs going on into the run from before it; the list is sorted
        // by offset, so they are among those already passed.
        let incoming: Vec<RunBlob> = blobs[..next_blob]
            .iter()
            .filter(|(_, b)| b.offset < os && b.offset.saturating_add(b.size) > os)
            .map(|(i, b)| RunBlob {
                index: *i,
                blob: b.clone(),
            })
            .collect();
        if incoming.len() > MAX_INCOMING_BLOBS {
            return Ok(None);
        }
        spec.blobs = incoming;
        while next_blob < blobs.len() && (last || blobs[next_blob].1.offset < oe) {
            let (i, b) = &blobs[next_blob];
            spec.blobs.push(RunBlob {
                index: *i,
                blob: b.clone(),
            });
            next_blob += 1;
        }
        runs.push(TaskSpec {
            id: t.id,
            part: t.part,
            start,
            end: start + stored,
            kind: TaskKind::Run(Box::new(spec)),
        });
    }
    blobs.clear();
    Ok(Some(runs))
}

/// Reads and checks the chunk table of a chunked or solid resource at
/// `start` of `stored` bytes, as [`ResourceDecoder`] would check it;
/// `None` if the decoder would refuse it (or it is too large to read here).
fn read_chunks(
    layout: &Layout,
    start: u64,
    stored: u64,
    file: &dyn ReadAt,
) -> Result<Option<Chunks>, ReadError> {
    let (codec, chunk_size, usize, table_at, width, n) = match *layout {
        Layout::Chunked {
            codec,
            chunk_size,
            usize,
        } => {
            if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
                return Ok(None);
            }
            let n = chunk_count(usize, chunk_size);
            (codec, chunk_size, usize, start, chunk_entry_width(usize), n)
        }
        Layout::Solid => {
            if stored < SOLID_HEADER_SIZE {
                return Ok(None);
            }
            let mut h = [0u8; SOLID_HEADER_SIZE as usize];
            file.read_at(start, &mut h)?;
            let usize = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
            let chunk_size = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
            let codec = match solid_codec(u32::from_le_bytes([h[12], h[13], h[14], h[15]])) {
                Some(c) if c != Codec::None => c,
                _ => return Ok(None),
            };
            if chunk_size_problem(codec, chunk_size).is_some()
                || chunk_size == 0
                || chunk_size > MAX_CHUNK_SIZE
            {
                return Ok(None);
            }
            let n = chunk_count(usize, chunk_size);
            (codec, chunk_size, usize, start + SOLID_HEADER_SIZE, 4, n)
        }
        Layout::Stored | Layout::Pipable { .. } => return Ok(None),
    };
    if n == 0 || n > MAX_CHUNKS_PER_RESOURCE || usize < SPLIT_MIN_BYTES {
        return Ok(None);
    }
    // A chunked table lists every chunk's start but the first's; a solid
    // one every chunk's stored size.
    let solid = *layout == Layout::Solid;
    let entries = if solid { n } else { n - 1 };
    let table_len = entries.saturating_mul(width);
    let header = table_at - start;
    if table_len > MAX_SPLIT_TABLE_BYTES || header.saturating_add(table_len) > stored {
        return Ok(None);
    }
    let mut table = vec![0u8; table_len as usize];
    file.read_at(table_at, &mut table)?;
    let value = |e: &[u8]| -> u64 {
        let mut b = [0u8; 8];
        b[..e.len()].copy_from_slice(e);
        u64::from_le_bytes(b)
    };
    let data_at = table_at + table_len;
    let data_len = stored - header - table_len;
    let usz = |i: u64| {
        usize
            .saturating_sub(i.saturating_mul(u64::from(chunk_size)))
            .min(u64::from(chunk_size))
    };
    let mut offsets = Vec::with_capacity(n as usize);
    let mut csizes = Vec::with_capacity(n as usize);
    let mut at = 0u64;
    for i in 0..n {
        let csize = if solid {
            value(&table[(i * 4) as usize..(i * 4 + 4) as usize])
        } else {
            let end = if i + 1 < n {
                let w = width as usize;
                value(&table[i as usize * w..(i as usize + 1) * w])
            } else {
                data_len
            };
            if end < at || end > data_len {
                return Ok(None);
            }
            end - at
        };
        if csize == 0 || csize > usz(i) {
            return Ok(None);
        }
        offsets.push(data_at + at);
        csizes.push(csize as u32);
        at += csize;
    }
    // A solid resource's chunks must all lie in it (else the decoder
    // reports it cut short).
    if at > data_len {
        return Ok(None);
    }
    Ok(Some(Chunks {
        codec,
        chunk_size,
        usize,
        offsets,
        csizes,
    }))
}

/// A running run (see the module doc).
pub struct RunRunner {
    resource: u32,
    index: u32,
    last: bool,
    resource_start: u64,
    usize: u64,
    decoder: ResourceDecoder,
    sink: RunSink,
    board: Arc<dyn Board>,
    handed: bool,
    /// The decoder has been told the input ended.
    ended: bool,
}

/// The run's blobs: those that start in it hashed at once, those going on
/// from before kept until their states arrive.
struct RunSink {
    own: BlobSink,
    /// The resource-wide index of each of `own`'s blobs.
    own_index: Vec<u32>,
    incoming: Vec<RunBlob>,
    /// Where the bytes any incoming blob needs end.
    hold_end: u64,
    /// The run's bytes from its start up to `hold_end`, while the state
    /// has not come (a gap is zeros there, its failure in `held_gaps`).
    held: Vec<u8>,
    held_gaps: Vec<(u64, u64, Failure)>,
    /// Once the state has come: the incoming blobs' hashers (by position
    /// in `incoming`), and the rest of the state.
    got: Option<(Vec<ActiveBlob>, Handoff)>,
    out_start: u64,
    pos: u64,
    key: (u32, u32),
    board: Arc<dyn Board>,
}

impl RunRunner {
    pub fn new(spec: &TaskSpec, run: &RunSpec, board: Arc<dyn Board>) -> RunRunner {
        let (out_start, _) = run.out_range();
        let (incoming, own): (Vec<RunBlob>, Vec<RunBlob>) = run
            .blobs
            .iter()
            .cloned()
            .partition(|b| b.blob.offset < out_start);
        let hold_end = incoming
            .iter()
            .map(|b| b.blob.offset.saturating_add(b.blob.size))
            .max()
            .unwrap_or(out_start);
        let own_index = own.iter().map(|b| b.index).collect();
        let own = BlobSink::starting_at(own.into_iter().map(|b| b.blob).collect(), out_start);
        RunRunner {
            resource: spec.id,
            index: run.index,
            last: run.last,
            resource_start: run.resource_start,
            usize: run.usize,
            decoder: ResourceDecoder::run(
                run.codec,
                run.chunk_size,
                run.usize,
                run.first_chunk,
                run.csizes.clone(),
                spec.start,
            ),
            sink: RunSink {
                own,
                own_index,
                incoming,
                hold_end,
                held: Vec::new(),
                held_gaps: Vec::new(),
                got: None,
                out_start,
                pos: out_start,
                key: (spec.id, run.index),
                board: board.clone(),
            },
            board,
            handed: false,
            ended: false,
        }
    }

    pub fn feed(&mut self, data: &[u8], scratch: &mut Scratch) {
        self.decoder.feed(data, scratch, &mut self.sink);
    }

    /// Whether the run can finish now: its input has ended (the decoder
    /// is finished here), and it is the first run, holds the state of the
    /// run before, or its board waits for it. False only on a board that
    /// cannot wait ([`Board::waits`]), while the state has not come: the
    /// lane keeps the run aside and asks again later.
    pub fn ready(&mut self) -> bool {
        self.end_input();
        if self.index == 0 || self.sink.got.is_some() || self.board.waits() {
            return true;
        }
        match self.board.try_take(self.resource, self.index) {
            Some(h) => {
                self.sink.receive(h);
                true
            }
            None => false,
        }
    }

    fn end_input(&mut self) {
        if !self.ended {
            self.ended = true;
            self.decoder.finish(&mut self.sink);
        }
    }

    pub fn finish(mut self, res: &mut TaskResult) {
        self.end_input();
        // Every run but the first continues from the state of the one
        // before (results so far, and maybe blobs going on into it).
        if self.index > 0 && self.sink.got.is_none() {
            let h = self.board.take(self.resource, self.index);
            self.sink.receive(h);
        }
        let (incoming_active, prior) = self.sink.got.take().unwrap_or_else(|| {
            (
                Vec::new(),
                Handoff {
                    lost: false,
                    ..Handoff::lost()
                },
            )
        });
        let failure = prior
            .failure
            .clone()
            .or_else(|| self.decoder.failure().cloned());
        if self.last {
            self.handed = true;
            self.report(res, prior, incoming_active, failure);
        } else {
            let state = self.hand_on(prior, incoming_active, failure);
            self.board.put(self.resource, self.index + 1, state);
            self.handed = true;
        }
    }

    /// The state for the next run: blobs still open carried, the finished
    /// ones added to the results so far.
    fn hand_on(
        &mut self,
        mut prior: Handoff,
        incoming_active: Vec<ActiveBlob>,
        failure: Option<Failure>,
    ) -> Handoff {
        let s = &mut self.sink;
        let end = s.pos;
        let mut carry = Vec::new();
        let mut finished: Vec<(u32, BlobTarget, BlobState)> = Vec::new();
        for a in incoming_active {
            let b = &s.incoming[a.index];
            if b.blob.offset.saturating_add(b.blob.size) > end {
                carry.push((b.index, a.hasher, a.failure));
            } else {
                let (i, st) =
                    finish_blob(ActiveBlob { index: 0, ..a }, std::slice::from_ref(&b.blob));
                debug_assert_eq!(i, 0);
                finished.push((b.index, b.blob.clone(), st));
            }
        }
        for a in std::mem::take(&mut s.own.active) {
            carry.push((s.own_index[a.index], a.hasher, a.failure));
        }
        for (i, st) in std::mem::take(&mut s.own.done) {
            finished.push((s.own_index[i], s.own.blobs[i].clone(), st));
        }
        for (i, b, st) in finished {
            match st {
                BlobState::Ok => prior.ok += 1,
                st => prior.bad.push((i, b, st)),
            }
        }
        Handoff {
            carry,
            bad: prior.bad,
            ok: prior.ok,
            failure,
            lost: prior.lost,
        }
    }

    /// The last run: the resource's findings and counts, as one task over
    /// the whole resource gives them.
    fn report(
        &mut self,
        res: &mut TaskResult,
        prior: Handoff,
        incoming_active: Vec<ActiveBlob>,
        failure: Option<Failure>,
    ) {
        let usize = self.usize;
        let start = self.resource_start;
        let end_fail = failure.unwrap_or(Failure {
            message: format!("blob lies beyond the resource's {usize} bytes of uncompressed data"),
            offset: start,
            chunk: None,
            corrupt: true,
        });
        let s = &mut self.sink;
        let own = &mut s.own;
        own.advance(0, None, None);
        while own.next < own.blobs.len() {
            own.active.push(ActiveBlob {
                index: own.next,
                hasher: Sha1::new(),
                failure: None,
            });
            own.next += 1;
        }
        let mut all: Vec<(u32, BlobTarget, BlobState)> = prior.bad;
        for mut a in std::mem::take(&mut own.active) {
            let b = &own.blobs[a.index];
            if b.offset.saturating_add(b.size) > own.pos {
                a.failure.get_or_insert(end_fail.clone());
            }
            let (i, st) = finish_blob(a, &own.blobs);
            own.done.push((i, st));
        }
        for (i, st) in std::mem::take(&mut own.done) {
            all.push((s.own_index[i], own.blobs[i].clone(), st));
        }
        for mut a in incoming_active {
            let b = &s.incoming[a.index];
            if b.blob.offset.saturating_add(b.blob.size) > own.pos {
                a.failure.get_or_insert(end_fail.clone());
            }
            let (_, st) = finish_blob(ActiveBlob { index: 0, ..a }, std::slice::from_ref(&b.blob));
            all.push((b.index, b.blob.clone(), st));
        }
        all.sort_by_key(|(i, _, _)| *i);
        res.bytes_out = usize;
        blob_findings(
            res,
            all.iter().map(|(_, b, st)| (b, st.clone())),
            false,
            start,
        );
        res.blobs_ok = res.blobs_ok.saturating_add(prior.ok);
        if prior.lost {
            res.findings.push(
                Finding::unverified(
                    Code::ResourceUnverified,
                    format!("resource at file offset {start}: the blobs of some of its runs of chunks were not reported (internal error: a lane failed)"),
                )
                .at(start),
            );
        }
    }
}

impl Drop for RunRunner {
    fn drop(&mut self) {
        // A run dropped unfinished must not leave the next one waiting.
        if !self.handed && !self.last {
            self.board
                .put(self.resource, self.index + 1, Handoff::lost());
        }
    }
}

impl RunSink {
    /// Takes the state handed on from the run before: the incoming blobs
    /// continue from it, over the bytes held for them.
    fn receive(&mut self, h: Handoff) {
        let mut h = h;
        let lost = Failure {
            message: "not verified: the run of chunks before this one did not hand on its state (internal error)".into(),
            offset: self.out_start,
            chunk: None,
            corrupt: false,
        };
        let mut active = Vec::with_capacity(self.incoming.len());
        for (k, b) in self.incoming.iter().enumerate() {
            let (hasher, failure) = match h.carry.iter().position(|c| c.0 == b.index) {
                Some(p) => {
                    let (_, hasher, failure) = h.carry.swap_remove(p);
                    (hasher, failure)
                }
                None => (Sha1::new(), Some(lost.clone())),
            };
            active.push(ActiveBlob {
                index: k,
                hasher,
                failure,
            });
        }
        // Gaps first: only the first failure of a blob counts, and a blob
        // with one has no use for its hash, so the zeros in their place
        // do no harm below.
        for (s, e, why) in std::mem::take(&mut self.held_gaps) {
            apply(&mut active, &self.incoming, s, e - s, None, Some(&why));
        }
        let held = std::mem::take(&mut self.held);
        apply(
            &mut active,
            &self.incoming,
            self.out_start,
            held.len() as u64,
            Some(&held),
            None,
        );
        self.got = Some((active, h));
    }

    fn incoming(&mut self, len: u64, data: Option<&[u8]>, why: Option<&Failure>) {
        if self.incoming.is_empty() || self.pos >= self.hold_end {
            return;
        }
        let at = self.pos;
        if self.got.is_none() {
            let n = len.min(self.hold_end - at);
            let fits = (self.held.len() as u64).saturating_add(n) <= MAX_HELD_BYTES as u64;
            match self.board.try_take(self.key.0, self.key.1) {
                Some(h) => self.receive(h),
                // Too much to keep: wait for the run before (see the
                // module doc on why this cannot deadlock).
                None if !fits && self.board.waits() => {
                    let h = self.board.take(self.key.0, self.key.1);
                    self.receive(h);
                }
                None => {}
            }
        }
        match &mut self.got {
            Some((active, _)) => apply(active, &self.incoming, at, len, data, why),
            None => {
                let n = len.min(self.hold_end - at) as usize;
                match (data, why) {
                    (Some(d), _) => self.held.extend_from_slice(&d[..n]),
                    (None, w) => {
                        self.held.resize(self.held.len() + n, 0);
                        if let Some(w) = w {
                            self.held_gaps.push((at, at + n as u64, w.clone()));
                        }
                    }
                }
            }
        }
    }
}

/// Hashes (or marks failed) the incoming blobs' part of `len` bytes at
/// uncompressed offset `at`.
fn apply(
    active: &mut [ActiveBlob],
    incoming: &[RunBlob],
    at: u64,
    len: u64,
    data: Option<&[u8]>,
    why: Option<&Failure>,
) {
    let end = at.saturating_add(len);
    for a in active {
        let b = &incoming[a.index].blob;
        let s = b.offset.max(at);
        let e = b.offset.saturating_add(b.size).min(end);
        if s >= e {
            continue;
        }
        match (data, why) {
            (Some(d), _) => a.hasher.update(&d[(s - at) as usize..(e - at) as usize]),
            (None, Some(w)) if a.failure.is_none() => a.failure = Some(w.clone()),
            _ => {}
        }
    }
}

impl Sink for RunSink {
    fn data(&mut self, bytes: &[u8]) {
        self.own.data(bytes);
        self.incoming(bytes.len() as u64, Some(bytes), None);
        self.pos = self.pos.saturating_add(bytes.len() as u64);
    }
    fn gap(&mut self, len: u64, why: &Failure) {
        self.own.gap(len, why);
        self.incoming(len, None, Some(why));
        self.pos = self.pos.saturating_add(len);
    }
}
