//! Tasks: independent units of phase 2, each owning a byte range of one
//! file. A task is fed the bytes of its range in order and then finished;
//! it never reads. The same task runs on a native thread, in a Web Worker
//! and in a unit test over a byte slice.

use super::finding::{remedies, Finding};
use super::resource::{Failure, Layout, ResourceDecoder, Scratch, Sink};
use super::split::{Board, RunRunner, RunSpec};
use crate::format::header::HEADER_SIZE;
use crate::format::hex;
use crate::verify::code::Code;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// Granularity of the all-zero block count (the sparse-file heuristic of
/// KB 2709963): NTFS allocates sparse files in 64 KiB units.
pub const ZERO_BLOCK: u64 = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub id: u32,
    /// Index of the file (split part) in the set.
    pub part: u16,
    pub start: u64,
    pub end: u64,
    pub kind: TaskKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaskKind {
    /// Whole-file digests over `[0, size)` and the all-zero block count.
    FileDigest { sha256: bool, sha1: bool },
    /// Integrity chunks `first..first + expected.len()`, each `chunk_size`
    /// bytes from `208 + i * chunk_size`, the last one ending at `end`.
    Integrity {
        chunk_size: u32,
        first: u64,
        expected: Vec<[u8; 20]>,
    },
    /// A stored resource whose uncompressed data holds `blobs`.
    Resource {
        layout: Layout,
        blobs: Vec<BlobTarget>,
    },
    /// A run of chunks of a large resource split across lanes
    /// ([`super::split`]); `[start, end)` holds its chunks.
    Run(Box<RunSpec>),
}

impl TaskKind {
    /// The same kind without its lists (expected digests, blobs): what is
    /// left of a task once it is handed to a lane.
    pub fn without_lists(&self) -> TaskKind {
        match self {
            TaskKind::FileDigest { sha256, sha1 } => TaskKind::FileDigest {
                sha256: *sha256,
                sha1: *sha1,
            },
            TaskKind::Integrity {
                chunk_size, first, ..
            } => TaskKind::Integrity {
                chunk_size: *chunk_size,
                first: *first,
                expected: Vec::new(),
            },
            TaskKind::Resource { layout, .. } => TaskKind::Resource {
                layout: layout.clone(),
                blobs: Vec::new(),
            },
            TaskKind::Run(r) => TaskKind::Run(Box::new(RunSpec {
                csizes: Vec::new(),
                blobs: Vec::new(),
                ..(**r).clone()
            })),
        }
    }
}

/// A blob to check inside a resource's uncompressed data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobTarget {
    /// Index of its blob table entry.
    pub entry: u32,
    /// Offset within the resource's uncompressed data.
    pub offset: u64,
    pub size: u64,
    pub sha1: [u8; 20],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadChunk {
    pub index: u64,
    pub offset: u64,
    pub length: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    pub id: u32,
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub sha1: Option<String>,
    pub zero_blocks: u64,
    pub integrity_checked: u64,
    pub bad_chunks: Vec<BadChunk>,
    pub blobs_ok: u64,
    pub blobs_bad: u64,
    pub blobs_unverified: u64,
    pub bytes_out: u64,
    /// How many tasks this result stands for (0 counts as 1): a lane sums
    /// the results of its resource tasks into one, so a large image does
    /// not keep (or, in the browser, serialize) one result per resource.
    #[serde(default)]
    pub tasks: u32,
}

impl TaskResult {
    /// Adds `other`'s counts, findings and failures to this result.
    pub fn absorb(&mut self, other: TaskResult) {
        self.findings.extend(other.findings);
        self.zero_blocks = self.zero_blocks.saturating_add(other.zero_blocks);
        self.integrity_checked = self
            .integrity_checked
            .saturating_add(other.integrity_checked);
        self.bad_chunks.extend(other.bad_chunks);
        self.blobs_ok = self.blobs_ok.saturating_add(other.blobs_ok);
        self.blobs_bad = self.blobs_bad.saturating_add(other.blobs_bad);
        self.blobs_unverified = self.blobs_unverified.saturating_add(other.blobs_unverified);
        self.bytes_out = self.bytes_out.saturating_add(other.bytes_out);
        self.tasks = self.tasks.max(1).saturating_add(other.tasks.max(1));
    }
}

/// A running task.
pub enum Runner {
    FileDigest(FileDigestRunner),
    Integrity(IntegrityRunner),
    Resource(Box<ResourceRunner>),
    Run(Box<RunRunner>),
}

impl Runner {
    /// The runner of `spec`; a run of chunks ([`TaskKind::Run`]) gets
    /// one that never waits for the state of the run before it, which
    /// suits only a lane that runs every run of the resource in order
    /// ([`Runner::with_board`] for the others).
    pub fn new(spec: &TaskSpec) -> Runner {
        Self::with_board(spec, &super::split::local_board())
    }

    /// The runner of `spec`, handing blob states between the runs of a
    /// split resource through `board`.
    pub fn with_board(spec: &TaskSpec, board: &std::sync::Arc<dyn Board>) -> Runner {
        match &spec.kind {
            TaskKind::FileDigest { sha256, sha1 } => Runner::FileDigest(FileDigestRunner {
                sha256: sha256.then(Sha256::new),
                sha1: sha1.then(Sha1::new),
                pos: spec.start,
                zero_blocks: 0,
                block_all_zero: true,
            }),
            TaskKind::Integrity {
                chunk_size,
                first,
                expected,
            } => Runner::Integrity(IntegrityRunner {
                chunk_size: *chunk_size as u64,
                first: *first,
                expected: expected.clone(),
                end: spec.end,
                current: 0,
                in_chunk: 0,
                hasher: Sha1::new(),
                bad: Vec::new(),
                checked: 0,
                given: vec![false; expected.len()],
            }),
            TaskKind::Resource { layout, blobs } => Runner::Resource(Box::new(ResourceRunner {
                decoder: ResourceDecoder::new(layout.clone(), spec.start, spec.end - spec.start),
                sink: BlobSink::new(blobs.clone()),
                start: spec.start,
                stored: *layout == Layout::Stored,
            })),
            TaskKind::Run(r) => Runner::Run(Box::new(RunRunner::new(spec, r, board.clone()))),
        }
    }

    /// Feeds the next bytes of the task's range, in order.
    pub fn feed(&mut self, data: &[u8], scratch: &mut Scratch) {
        match self {
            Runner::FileDigest(r) => r.feed(data),
            Runner::Integrity(r) => r.feed(data),
            Runner::Resource(r) => r.decoder.feed(data, scratch, &mut r.sink),
            Runner::Run(r) => r.feed(data, scratch),
        }
    }

    /// Whether the task can finish once its input has ended: only a run
    /// of chunks on a board that cannot wait may not be, until the state
    /// of the run before it comes ([`RunRunner::ready`]).
    pub fn ready(&mut self) -> bool {
        match self {
            Runner::Run(r) => r.ready(),
            _ => true,
        }
    }

    pub fn finish(self, spec: &TaskSpec, part_name: Option<&str>) -> TaskResult {
        let mut res = TaskResult {
            id: spec.id,
            ..Default::default()
        };
        match self {
            Runner::FileDigest(r) => r.finish(&mut res),
            Runner::Integrity(r) => r.finish_into(&mut res),
            Runner::Resource(r) => r.finish(&mut res),
            Runner::Run(r) => r.finish(&mut res),
        }
        for f in &mut res.findings {
            if f.part.is_none() {
                f.part = part_name.map(str::to_string);
            }
        }
        res
    }
}

pub struct FileDigestRunner {
    sha256: Option<Sha256>,
    sha1: Option<Sha1>,
    pos: u64,
    zero_blocks: u64,
    block_all_zero: bool,
}

impl FileDigestRunner {
    fn feed(&mut self, data: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(data);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(data);
        }
        // Count 64 KiB-aligned blocks that are entirely zero.
        let mut rest = data;
        while !rest.is_empty() {
            let in_block = self.pos % ZERO_BLOCK;
            let n = ((ZERO_BLOCK - in_block) as usize).min(rest.len());
            let (head, tail) = rest.split_at(n);
            if self.block_all_zero && !is_all_zero(head) {
                self.block_all_zero = false;
            }
            self.pos += n as u64;
            if self.pos.is_multiple_of(ZERO_BLOCK) {
                if self.block_all_zero {
                    self.zero_blocks += 1;
                }
                self.block_all_zero = true;
            }
            rest = tail;
        }
    }

    fn finish(self, res: &mut TaskResult) {
        res.sha256 = self.sha256.map(|h| hex(&h.finalize()));
        res.sha1 = self.sha1.map(|h| hex(&h.finalize()));
        res.zero_blocks = self.zero_blocks;
    }
}

fn is_all_zero(b: &[u8]) -> bool {
    // 16 bytes at a time; the compiler turns this into wide compares.
    let chunks = b.chunks_exact(16);
    let tail = chunks.remainder();
    chunks
        .into_iter()
        .all(|c| <[u8; 16]>::try_from(c).is_ok_and(|a| u128::from_ne_bytes(a) == 0))
        && tail.iter().all(|&x| x == 0)
}

pub struct IntegrityRunner {
    chunk_size: u64,
    first: u64,
    expected: Vec<[u8; 20]>,
    end: u64,
    /// Index (relative to `first`) of the chunk being hashed.
    current: usize,
    in_chunk: u64,
    hasher: Sha1,
    bad: Vec<BadChunk>,
    checked: u64,
    /// Chunks whose digest came through `chunk_digest`.
    given: Vec<bool>,
}

impl IntegrityRunner {
    /// The runner of an `Integrity` task; `None` for other kinds.
    pub fn from_spec(spec: &TaskSpec) -> Option<IntegrityRunner> {
        match Runner::new(spec) {
            Runner::Integrity(r) => Some(r),
            _ => None,
        }
    }

    /// How many chunks the task covers.
    pub fn chunks(&self) -> usize {
        self.expected.len()
    }

    /// The chunk size of the table.
    pub fn chunk_size(&self) -> u64 {
        self.chunk_size
    }

    /// File range `[start, end)` of chunk `rel` (counted from the task's
    /// first chunk).
    pub fn chunk_range(&self, rel: usize) -> (u64, u64) {
        // The planner's layout checks keep these in the file; saturating
        // arithmetic keeps a hostile table from wrapping if they did not.
        let start = self
            .first
            .saturating_add(rel as u64)
            .saturating_mul(self.chunk_size)
            .saturating_add(HEADER_SIZE as u64);
        (start, self.end.min(start.saturating_add(self.chunk_size)))
    }

    fn chunk_len(&self, rel: usize) -> u64 {
        let (start, end) = self.chunk_range(rel);
        end.saturating_sub(start)
    }

    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.current < self.expected.len() {
            let len = self.chunk_len(self.current);
            let left = len.saturating_sub(self.in_chunk);
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
            self.hasher.update(&data[..n]);
            self.in_chunk += n as u64;
            data = &data[n..];
            if self.in_chunk == len {
                let got = self.hasher.finalize_reset();
                self.record(self.current, &got);
                self.current += 1;
                self.in_chunk = 0;
            }
        }
    }

    /// Takes the SHA-1 of chunk `rel` computed elsewhere (the page hashes
    /// integrity chunks with WebCrypto). Each chunk counts once: a second
    /// digest for the same chunk, or one for a chunk the task does not
    /// cover, is ignored and returns false.
    pub fn chunk_digest(&mut self, rel: usize, got: &[u8]) -> bool {
        if rel >= self.expected.len() || self.given.get(rel).copied().unwrap_or(true) {
            return false;
        }
        self.given[rel] = true;
        self.record(rel, got);
        true
    }

    fn record(&mut self, rel: usize, got: &[u8]) {
        if got != self.expected[rel] {
            let (offset, end) = self.chunk_range(rel);
            self.bad.push(BadChunk {
                index: self.first + rel as u64,
                offset,
                length: end - offset,
            });
        }
        self.checked += 1;
    }

    pub fn finish_into(mut self, res: &mut TaskResult) {
        res.integrity_checked = self.checked;
        // Every chunk must have been hashed: a verdict never claims more
        // than was checked.
        let total = self.expected.len() as u64;
        if self.checked < total {
            let first_missing = (0..self.expected.len())
                .find(|&i| !self.given[i] && i >= self.current)
                .unwrap_or(self.current);
            let (at, _) = self.chunk_range(first_missing);
            res.findings.push(
                Finding::unverified(
                    Code::IntegrityUnchecked,
                    format!(
                        "integrity table: {} of {} chunks from chunk {} were not hashed",
                        total - self.checked,
                        total,
                        self.first + first_missing as u64
                    ),
                )
                .at(at),
            );
        }
        self.bad.sort_by_key(|b| b.index);
        for b in self.bad.iter().take(MAX_FINDINGS_PER_TASK) {
            res.findings.push(
                Finding::corruption(
                    Code::IntegrityChunkMismatch,
                    format!(
                        "integrity table: chunk {} (file bytes {}..{}) does not match its SHA-1",
                        b.index,
                        b.offset,
                        b.offset + b.length
                    ),
                )
                .at(b.offset)
                .remedy(remedies::RECOPY),
            );
        }
        if self.bad.len() > MAX_FINDINGS_PER_TASK {
            let first = &self.bad[MAX_FINDINGS_PER_TASK];
            res.findings.push(
                Finding::corruption(
                    Code::IntegrityChunkMismatch,
                    format!(
                        "integrity table: {} more chunks from chunk {} (file bytes {}..) do not match their SHA-1 (not listed one by one)",
                        self.bad.len() - MAX_FINDINGS_PER_TASK,
                        first.index,
                        first.offset
                    ),
                )
                .at(first.offset)
                .remedy(remedies::RECOPY),
            );
        }
        res.bad_chunks = self.bad;
    }
}

/// Hashes each blob's stretch of a resource's uncompressed data.
pub struct BlobSink {
    pub(crate) blobs: Vec<BlobTarget>,
    /// Position in the uncompressed data.
    pub(crate) pos: u64,
    /// Next blob (by offset) not yet started.
    pub(crate) next: usize,
    pub(crate) active: Vec<ActiveBlob>,
    pub(crate) done: Vec<(usize, BlobState)>,
}

pub(crate) struct ActiveBlob {
    pub(crate) index: usize,
    pub(crate) hasher: Sha1,
    pub(crate) failure: Option<Failure>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) enum BlobState {
    Ok,
    Mismatch(String),
    Failed(Failure),
}

impl BlobSink {
    pub fn new(mut blobs: Vec<BlobTarget>) -> BlobSink {
        blobs.sort_by_key(|b| (b.offset, b.size));
        BlobSink {
            blobs,
            pos: 0,
            next: 0,
            active: Vec::new(),
            done: Vec::new(),
        }
    }

    /// A sink whose data begins at offset `pos` of the uncompressed data
    /// (a run of chunks: its blobs all start there or later).
    pub(crate) fn starting_at(blobs: Vec<BlobTarget>, pos: u64) -> BlobSink {
        BlobSink {
            pos,
            ..BlobSink::new(blobs)
        }
    }

    pub(crate) fn advance(&mut self, len: u64, data: Option<&[u8]>, why: Option<&Failure>) {
        let end = self.pos + len;
        // Start blobs that begin before `end`.
        while self.next < self.blobs.len() && self.blobs[self.next].offset < end {
            self.active.push(ActiveBlob {
                index: self.next,
                hasher: Sha1::new(),
                failure: None,
            });
            self.next += 1;
        }
        // Zero-size blobs starting exactly at `end` are handled at finish.
        let pos = self.pos;
        let blobs = &self.blobs;
        for a in &mut self.active {
            let b = &blobs[a.index];
            let s = b.offset.max(pos);
            let e = (b.offset + b.size).min(end);
            if s >= e {
                continue;
            }
            match (data, why) {
                (Some(d), _) => a.hasher.update(&d[(s - pos) as usize..(e - pos) as usize]),
                (None, Some(w)) if a.failure.is_none() => a.failure = Some(w.clone()),
                _ => {}
            }
        }
        self.pos = end;
        let mut i = 0;
        while i < self.active.len() {
            let b = &self.blobs[self.active[i].index];
            if b.offset + b.size <= self.pos {
                let a = self.active.swap_remove(i);
                let state = finish_blob(a, &self.blobs);
                self.done.push(state);
            } else {
                i += 1;
            }
        }
    }
}

pub(crate) fn finish_blob(a: ActiveBlob, blobs: &[BlobTarget]) -> (usize, BlobState) {
    let b = &blobs[a.index];
    if let Some(f) = a.failure {
        return (a.index, BlobState::Failed(f));
    }
    let got = a.hasher.finalize();
    if got.as_slice() == b.sha1 {
        (a.index, BlobState::Ok)
    } else {
        (a.index, BlobState::Mismatch(hex(&got)))
    }
}

impl Sink for BlobSink {
    fn data(&mut self, bytes: &[u8]) {
        self.advance(bytes.len() as u64, Some(bytes), None);
    }
    fn gap(&mut self, len: u64, why: &Failure) {
        self.advance(len, None, Some(why));
    }
}

pub struct ResourceRunner {
    decoder: ResourceDecoder,
    sink: BlobSink,
    start: u64,
    /// Stored data: a blob's offset in the data is its offset in the file
    /// (several consecutive stored blobs share one task).
    stored: bool,
}

/// Findings of one kind (hash mismatch, undecodable, not verified) listed
/// per resource task; the rest are counted in one summary finding, so a
/// resource holding thousands of bad blobs cannot flood the report.
pub const MAX_FINDINGS_PER_TASK: usize = 16;

impl ResourceRunner {
    fn finish(mut self, res: &mut TaskResult) {
        self.decoder.finish(&mut self.sink);
        let usize = self.decoder.uncompressed_size();
        let start = self.start;
        // Blobs never reached: past the end of the uncompressed data.
        let sink = &mut self.sink;
        let end_fail = self.decoder.failure().cloned().unwrap_or(Failure {
            message: format!("blob lies beyond the resource's {usize} bytes of uncompressed data"),
            offset: start,
            chunk: None,
            corrupt: true,
        });
        // Flush anything still active or not started (including empty blobs).
        sink.advance(0, None, None);
        while sink.next < sink.blobs.len() {
            sink.active.push(ActiveBlob {
                index: sink.next,
                hasher: Sha1::new(),
                failure: None,
            });
            sink.next += 1;
        }
        for mut a in std::mem::take(&mut sink.active) {
            let b = &sink.blobs[a.index];
            if b.offset + b.size > sink.pos {
                a.failure.get_or_insert(end_fail.clone());
            }
            let st = finish_blob(a, &sink.blobs);
            sink.done.push(st);
        }
        res.bytes_out = usize;
        let mut done = std::mem::take(&mut sink.done);
        done.sort_by_key(|(i, _)| *i);
        let blobs = &sink.blobs;
        blob_findings(
            res,
            done.into_iter().map(|(i, st)| (&blobs[i], st)),
            self.stored,
            self.start,
        );
    }
}

/// The findings and counts of a resource's blobs, each with its final
/// state, in the order of the resource's blob list: at most
/// [`MAX_FINDINGS_PER_TASK`] listed of each kind, the rest counted.
/// `start` is the resource's file offset (a stored task: its first
/// blob's, each blob then named at its own).
pub(crate) fn blob_findings<'a>(
    res: &mut TaskResult,
    done: impl IntoIterator<Item = (&'a BlobTarget, BlobState)>,
    stored: bool,
    start: u64,
) {
    // Per kind: how many were listed, and how many more there are.
    let mut listed = [0usize; 3];
    let mut more = [0u64; 3];
    for (b, state) in done {
        let kind = match &state {
            BlobState::Ok => {
                res.blobs_ok += 1;
                continue;
            }
            BlobState::Mismatch(_) => 0,
            BlobState::Failed(f) if f.corrupt => 1,
            BlobState::Failed(_) => 2,
        };
        if kind < 2 {
            res.blobs_bad += 1;
        } else {
            res.blobs_unverified += 1;
        }
        if listed[kind] >= MAX_FINDINGS_PER_TASK {
            more[kind] += 1;
            continue;
        }
        listed[kind] += 1;
        let start = if stored { start + b.offset } else { start };
        let name = format!("blob {} (blob table entry {})", hex(&b.sha1), b.entry);
        match state {
            BlobState::Ok => {}
            BlobState::Mismatch(got) => {
                res.findings.push(
                    Finding::corruption(
                        Code::ResourceHashMismatch,
                        format!(
                            "{name}, resource at file offset {start}: the SHA-1 of its {} bytes is {got}, not the one in the blob table",
                            b.size
                        ),
                    )
                    .about_blob(b.sha1)
                    .at(start)
                    .remedy(remedies::RECOPY),
                );
            }
            BlobState::Failed(f) if f.corrupt => {
                res.findings.push(
                    Finding::corruption(
                        Code::ResourceUndecodable,
                        format!("{name}, resource at file offset {start}: {}", f.message),
                    )
                    .about_blob(b.sha1)
                    .at(f.offset)
                    .remedy(remedies::RECOPY),
                );
            }
            BlobState::Failed(f) => {
                res.findings.push(
                    Finding::unverified(
                        Code::ResourceUnverified,
                        format!(
                            "{name}, resource at file offset {start}: not verified: {}",
                            f.message
                        ),
                    )
                    .about_blob(b.sha1)
                    .at(f.offset),
                );
            }
        }
    }
    for (kind, n) in more.into_iter().enumerate().filter(|(_, n)| *n > 0) {
        let what = [
            "have the wrong SHA-1",
            "cannot be decoded",
            "were not verified",
        ][kind];
        let msg = format!(
            "{n} more blobs of the resource at file offset {start} {what} (not listed one by one)"
        );
        res.findings.push(
            match kind {
                0 => Finding::corruption(Code::ResourceHashMismatch, msg).remedy(remedies::RECOPY),
                1 => Finding::corruption(Code::ResourceUndecodable, msg).remedy(remedies::RECOPY),
                _ => Finding::unverified(Code::ResourceUnverified, msg),
            }
            .at(start),
        );
    }
}
