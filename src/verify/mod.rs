//! Verification: phase 1 opens the image and plans tasks ([`open`]); phase
//! 2 feeds the file's bytes to the tasks ([`Lane`]); [`Verifier::finish`]
//! merges their results into a [`Report`]. Nothing here does I/O beyond the
//! [`ReadAt`] handed in, or knows about threads, workers or the DOM.

pub mod blob_index;
pub mod code;
pub mod facts;
pub mod finding;
pub mod open;
pub mod outcome;
pub mod resource;
pub mod schedule;
pub mod setup;
pub mod split;
pub mod task;
pub mod tree;
pub mod wire;

use crate::format::hex;
use crate::read::{ReadAt, ReadError};
use crate::verify::code::Code;
use finding::{remedies, Finding};
use outcome::{Checked, Digests, IntegrityInfo, Outcome, PartInfo, WimInfo};
use resource::Scratch;
use serde::{Deserialize, Serialize};
use task::{Runner, TaskKind, TaskResult, TaskSpec};

/// What to compute and how to judge it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Options {
    pub sha256: bool,
    pub sha1: bool,
    pub expect_sha256: Option<String>,
    pub expect_sha1: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sha256: true,
            sha1: false,
            expect_sha256: None,
            expect_sha1: None,
        }
    }
}

/// Where [`Verifier::take_lanes_split`] puts the whole-file digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestLane {
    /// On lane 0, balanced against the other tasks.
    First,
    /// On a lane of their own after the others, and the integrity
    /// table's chunks (ranges of the file too) on one more, the others
    /// balanced without them; no such lanes when neither is there. A
    /// digest needs every byte, so on lane 0 it makes that lane's queue
    /// fill with bytes of the other lanes' tasks, and the reader waits on
    /// it while the other lanes run dry (on a solid ESD, lanes waited
    /// 2.3-2.5 s for bytes with the digest on lane 0, 0.8-1.0 s without
    /// it); integrity chunks on the decoding lanes did the same, each
    /// slice going to the lane decoding it and to another hashing it
    /// (ESD: 0.7-0.9 s waiting for bytes and 0.9-1.0 s for states, 1.76
    /// cores, against 0.07 s, 0.17 s and 1.95 cores with a lane each for
    /// the digest and the chunks). With both on one lane, that lane did
    /// two hashes of every byte and fell behind where the decoding lanes
    /// only hash (chunks stored raw: 1.90 against 1.85 cores on the LZX
    /// image).
    Own,
}

/// A verification in progress: phase 1 done, tasks planned.
pub struct Verifier {
    pub opts: Options,
    pub opened: open::Opened,
    pub name: String,
}

impl Verifier {
    /// Phase 1 over one WIM or all parts of a split set.
    pub fn open(files: &[(&str, &dyn ReadAt)], opts: Options) -> Result<Verifier, ReadError> {
        Self::open_observed(files, &[], opts, &mut |_, _, _| {})
    }

    /// [`Verifier::open`] with reference WIMs (the base of a delta, as
    /// `wimlib-imagex verify --ref` takes it; see [`open::open_observed`]),
    /// telling `progress(step, done, total)` how far phase 1 is (see
    /// [`open::Opening`]). The parts to read in phase 2 are `files`, then
    /// `refs` ([`Verifier::part_sizes`]).
    pub fn open_observed(
        files: &[(&str, &dyn ReadAt)],
        refs: &[(&str, &dyn ReadAt)],
        opts: Options,
        progress: &mut dyn FnMut(open::Opening, u64, u64),
    ) -> Result<Verifier, ReadError> {
        let opened = open::open_observed(files, refs, &opts, progress)?;
        let name = files.first().map(|f| f.0.to_string()).unwrap_or_default();
        Ok(Verifier { opts, opened, name })
    }

    pub fn tasks(&self) -> &[TaskSpec] {
        &self.opened.plan.tasks
    }

    /// The SHA-1s the image's trees name that its tables (and the
    /// references') lack, sorted ([`open::Opened::missing_blobs`]); a
    /// driver asks [`open::holds_any_blob`] whether another WIM has them.
    pub fn missing_blobs(&self) -> &[[u8; 20]] {
        &self.opened.missing_blobs
    }

    /// Counts the all-zero 64 KiB blocks of the image's own files (what
    /// the sparse-file rule of KB 2709963 reads) even where no whole-file
    /// digest is computed: a digest task hashing nothing is added for each
    /// own part that has none. A WIM inside install media is verified this
    /// way, its own digest being off by default. Call before planning the
    /// lanes.
    pub fn count_zero_blocks(&mut self) {
        let tasks = &mut self.opened.plan.tasks;
        for (i, p) in self.opened.parts.iter().enumerate() {
            let has = tasks
                .iter()
                .any(|t| t.part as usize == i && matches!(t.kind, TaskKind::FileDigest { .. }));
            if p.reference || has {
                continue;
            }
            tasks.push(TaskSpec {
                id: tasks.len() as u32,
                part: i as u16,
                start: 0,
                end: p.size,
                kind: TaskKind::FileDigest {
                    sha256: false,
                    sha1: false,
                },
            });
        }
    }

    /// Sizes of the parts, in the order given.
    pub fn part_sizes(&self) -> Vec<u64> {
        self.opened.parts.iter().map(|p| p.size).collect()
    }

    /// The tasks of [`Verifier::lane_indices`] (nothing left out), moved
    /// out rather than copied (a large image has hundreds of thousands): the
    /// verifier keeps only what [`Verifier::finish`] needs of each (id,
    /// part, range and kind, without the blob and digest lists).
    pub fn take_lanes(&mut self, lanes: usize) -> Vec<Vec<TaskSpec>> {
        let plan = self.lane_indices(lanes, |_| false);
        self.take_planned(&plan)
    }

    /// Moves the tasks of a plan from [`Verifier::lane_indices`] out, as
    /// [`Verifier::take_lanes`] does. An index out of range is skipped.
    pub fn take_planned(&mut self, plan: &[Vec<usize>]) -> Vec<Vec<TaskSpec>> {
        plan.iter()
            .map(|l| {
                l.iter()
                    .filter_map(|&i| {
                        let t = self.opened.plan.tasks.get_mut(i)?;
                        let slim = TaskSpec {
                            kind: t.kind.without_lists(),
                            ..*t
                        };
                        Some(std::mem::replace(t, slim))
                    })
                    .collect()
            })
            .collect()
    }

    /// Splits the tasks over `lanes` workers, as indices into
    /// [`Verifier::tasks`], leaving out those for which `elsewhere` is true
    /// (the page hashes integrity chunks with WebCrypto and gives their
    /// digests to the report itself). It balances estimated CPU cost along
    /// the file: the whole-file digests go to lane 0 (one sequential hash
    /// cannot be split; a driver that gives them a thread of their own
    /// leaves them out: [`DigestLane::Own`]), and
    /// each other task, in file order, goes to the
    /// lane with the least work up to that point of the file. Lanes are fed
    /// in file order with bounded queues, so what matters is that their work
    /// stays even at every position, not just in total. A driver that may
    /// plan more than once (the page falls back from WebCrypto) plans with
    /// indices and takes the tasks once ([`Verifier::take_planned`]).
    pub fn lane_indices(
        &self,
        lanes: usize,
        elsewhere: impl Fn(&TaskSpec) -> bool,
    ) -> Vec<Vec<usize>> {
        let tasks: Vec<(usize, &TaskSpec)> = self
            .opened
            .plan
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| !elsewhere(t))
            .collect();
        assign(tasks, &self.part_sizes(), lanes)
    }

    /// [`Verifier::take_lanes`] with each large chunked or solid resource
    /// split into runs of chunks spread over the lanes
    /// ([`split::split_tasks`], which reads their chunk tables from
    /// `files`, the parts in [`Verifier::part_sizes`]'s order). Only for
    /// a driver whose lanes can wait for each other: a run hands its blob
    /// states on through `board`, which the driver gives every lane
    /// ([`Lane::with_board`]). With one lane nothing is split, and the
    /// digests stay on it whatever `digests` says.
    pub fn take_lanes_split(
        &mut self,
        lanes: usize,
        files: &[&dyn ReadAt],
        digests: DigestLane,
    ) -> Result<(Vec<Vec<TaskSpec>>, split::SplitCount), ReadError> {
        if lanes < 2 {
            return Ok((self.take_lanes(lanes), split::SplitCount::default()));
        }
        let count = self.split_resources(files)?;
        if digests == DigestLane::First {
            return Ok((self.take_lanes(lanes), count));
        }
        let is_digest = |t: &TaskSpec| matches!(t.kind, TaskKind::FileDigest { .. });
        let is_integrity = |t: &TaskSpec| matches!(t.kind, TaskKind::Integrity { .. });
        let mut plan = self.lane_indices(lanes, |t| is_digest(t) || is_integrity(t));
        for own in [is_digest, is_integrity] {
            let tasks: Vec<usize> = (0..self.opened.plan.tasks.len())
                .filter(|&i| own(&self.opened.plan.tasks[i]))
                .collect();
            if !tasks.is_empty() {
                plan.push(tasks);
            }
        }
        Ok((self.take_planned(&plan), count))
    }

    /// Replaces each large chunked or solid resource's task by its runs
    /// of chunks ([`split::split_tasks`], reading their chunk tables from
    /// `files`, the parts in [`Verifier::part_sizes`]'s order), for lanes
    /// planned afterwards ([`Verifier::lane_indices`], [`Verifier::take_lanes`]).
    /// Each lane then needs a board its runs hand their blob states on
    /// through: one shared by the lanes' threads, or a
    /// [`split::RelayBoard`] per lane whose states the driver carries.
    pub fn split_resources(
        &mut self,
        files: &[&dyn ReadAt],
    ) -> Result<split::SplitCount, ReadError> {
        let tasks = std::mem::take(&mut self.opened.plan.tasks);
        let (tasks, count) = split::split_tasks(tasks, files)?;
        self.opened.plan.tasks = tasks;
        Ok(count)
    }

    /// Merges the task results into the image's outcome.
    pub fn finish(self, results: Vec<TaskResult>) -> Outcome {
        finish(self, results)
    }
}

/// Cost units per output byte of decoding with `codec` and hashing the
/// output (SHA-1 is 1), for balancing lanes: roughly what each took per
/// CPU second in wasm and natively (`scripts/bench-codecs.sh`: XPRESS and
/// LZX 250-450 MiB/s, LZMS 80-120, SHA-1 about 700 in wasm).
fn decode_cost(codec: crate::codec::Codec) -> u64 {
    use crate::codec::Codec;
    match codec {
        Codec::None => 1,
        Codec::Xpress => 3,
        Codec::Lzx => 4,
        Codec::Lzms => 8,
    }
}

/// What a task costs a lane, in units of SHA-1 per byte (`None` for the
/// whole-file digests, which are not balanced: they cannot be split):
/// hashing its bytes, or decoding and hashing its output
/// ([`decode_cost`]).
fn task_cost(t: &TaskSpec) -> Option<u64> {
    Some(match &t.kind {
        TaskKind::FileDigest { .. } => return None,
        TaskKind::Integrity { .. } => t.end.saturating_sub(t.start),
        TaskKind::Resource { layout, blobs } => {
            let out_bytes = blobs.iter().fold(0u64, |a, b| a.saturating_add(b.size));
            let codec = match *layout {
                resource::Layout::Stored => crate::codec::Codec::None,
                // A solid resource names its codec in its own header;
                // LZMS is what solid resources hold.
                resource::Layout::Solid => crate::codec::Codec::Lzms,
                resource::Layout::Chunked { codec, .. }
                | resource::Layout::Pipable { codec, .. } => codec,
            };
            // A resource stored in as many bytes as it holds is
            // mostly chunks stored raw, which cost only the hash.
            let raw = t.end.saturating_sub(t.start) >= out_bytes;
            out_bytes.saturating_mul(if raw { 1 } else { decode_cost(codec) })
        }
        TaskKind::Run(r) => {
            // Chunks stored raw (as large as their data) cost only
            // the hash.
            let (s, e) = r.out_range();
            let cs = u64::from(r.chunk_size);
            let raw: u64 = r
                .csizes
                .iter()
                .filter(|&&c| u64::from(c) >= cs)
                .map(|&c| u64::from(c))
                .sum::<u64>()
                .min(e - s);
            raw.saturating_add((e - s - raw).saturating_mul(decode_cost(r.codec)))
        }
    })
}

/// The balancing of [`Verifier::lane_indices`] over `tasks` (each with
/// the index it is given back by), on parts of `sizes` bytes.
fn assign(mut tasks: Vec<(usize, &TaskSpec)>, sizes: &[u64], lanes: usize) -> Vec<Vec<usize>> {
    {
        let lanes = lanes.max(1);
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); lanes];
        let mut load = vec![0u64; lanes];
        tasks.sort_by_key(|(_, t)| (t.part, t.start, t.id));
        // Cost units per byte: SHA-1 1, SHA-256 2 (see `decode_cost` for
        // decoding).
        let mut digest_rate = 0u64;
        for (i, t) in &tasks {
            if let TaskKind::FileDigest { sha256, sha1 } = t.kind {
                digest_rate = digest_rate.max(2 * sha256 as u64 + sha1 as u64);
                out[0].push(*i);
            }
        }
        let mut bases = Vec::with_capacity(sizes.len());
        let mut acc = 0u64;
        for s in sizes {
            bases.push(acc);
            acc = acc.saturating_add(*s);
        }
        for (i, t) in tasks {
            let Some(cost) = task_cost(t) else {
                continue;
            };
            // Where each lane would finish this task: lane 0 is also busy
            // with the digest up to the task's end, so a big blob early in
            // the file does not land beside the whole-file hash.
            let base = bases.get(t.part as usize).copied().unwrap_or(0);
            let digest_to_end = base.saturating_add(t.end).saturating_mul(digest_rate);
            let finish = |k: usize| {
                load[k]
                    .saturating_add(cost)
                    .saturating_add(if k == 0 { digest_to_end } else { 0 })
            };
            let k = (0..lanes).min_by_key(|&k| finish(k)).unwrap_or(0);
            load[k] = load[k].saturating_add(cost);
            out[k].push(i);
        }
        out
    }
}

/// Runs a set of tasks over the bytes of the files, fed in order per part.
/// One lane lives on one thread (or one worker).
pub struct Lane {
    tasks: Vec<TaskSpec>,
    part_names: Vec<String>,
    /// Runners of tasks that have started and not finished, by task index.
    active: Vec<(usize, Runner)>,
    /// Next task (in `tasks` order) not yet started.
    next: usize,
    results: Vec<TaskResult>,
    /// The sum of the resource tasks' results so far.
    resources: Option<TaskResult>,
    scratch: Scratch,
    /// Where runs of split resources hand their blob states on.
    board: std::sync::Arc<dyn split::Board>,
    /// Runs whose input has ended but whose board had not the state of
    /// the run before yet (a board that cannot wait: [`Lane::retry_parked`]).
    parked: Vec<(usize, Runner)>,
}

impl Lane {
    pub fn new(tasks: Vec<TaskSpec>, part_names: Vec<String>) -> Lane {
        Self::with_board(tasks, part_names, split::local_board())
    }

    /// A lane whose runs of split resources ([`Verifier::take_lanes_split`])
    /// hand their blob states to those of the other lanes through `board`,
    /// shared by all of them.
    pub fn with_board(
        mut tasks: Vec<TaskSpec>,
        part_names: Vec<String>,
        board: std::sync::Arc<dyn split::Board>,
    ) -> Lane {
        tasks.sort_by_key(|t| (t.part, t.start, t.id));
        Lane {
            board,
            tasks,
            part_names,
            active: Vec::new(),
            next: 0,
            results: Vec::new(),
            resources: None,
            scratch: Scratch::default(),
            parked: Vec::new(),
        }
    }

    /// How many runs wait for the state of the run before them (on a
    /// board that cannot wait). A driver gives the lane the states its
    /// board lacked, calls [`Lane::retry_parked`], and finishes the lane
    /// only once none is left (else they report their blobs unverified).
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// Finishes the parked runs whose states have come.
    pub fn retry_parked(&mut self) {
        let mut i = 0;
        while i < self.parked.len() {
            if self.parked[i].1.ready() {
                let (ti, runner) = self.parked.remove(i);
                self.finish_task(ti, runner);
            } else {
                i += 1;
            }
        }
    }

    /// Feeds bytes of `part` starting at file offset `offset`. Pieces must
    /// arrive in increasing offset order per part.
    pub fn feed(&mut self, part: u16, offset: u64, data: &[u8]) {
        let end = offset + data.len() as u64;
        while self.next < self.tasks.len() {
            let t = &self.tasks[self.next];
            if (t.part, t.start) >= (part, end) {
                break;
            }
            self.active
                .push((self.next, Runner::with_board(t, &self.board)));
            self.next += 1;
        }
        let mut i = 0;
        while i < self.active.len() {
            let ti = self.active[i].0;
            let (tp, ts, te) = (
                self.tasks[ti].part,
                self.tasks[ti].start,
                self.tasks[ti].end,
            );
            if tp == part {
                let s = ts.max(offset);
                let e = te.min(end);
                if s < e {
                    let piece = &data[(s - offset) as usize..(e - offset) as usize];
                    self.active[i].1.feed(piece, &mut self.scratch);
                }
                if te <= end {
                    // `remove`, not `swap_remove`: active tasks stay in file
                    // order, so within one piece a task that started earlier
                    // is fed before one that starts in it.
                    let (ti, mut runner) = self.active.remove(i);
                    if runner.ready() {
                        self.finish_task(ti, runner);
                    } else {
                        self.parked.push((ti, runner));
                    }
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Finishes every task (those not fed to their end report what is missing).
    pub fn finish(mut self) -> Vec<TaskResult> {
        while self.next < self.tasks.len() {
            self.active.push((
                self.next,
                Runner::with_board(&self.tasks[self.next], &self.board),
            ));
            self.next += 1;
        }
        for (ti, runner) in std::mem::take(&mut self.active) {
            self.finish_task(ti, runner);
        }
        // Any still parked finish without their state: their blobs are
        // reported unverified, never passed.
        for (ti, runner) in std::mem::take(&mut self.parked) {
            self.finish_task(ti, runner);
        }
        self.results.extend(self.resources.take());
        self.results
    }

    /// Collects a task's result; split sets name the part in its findings.
    /// Resource results are summed into one (they carry no digests).
    fn finish_task(&mut self, ti: usize, runner: Runner) {
        let spec = &self.tasks[ti];
        let name = self
            .part_names
            .get(spec.part as usize)
            .filter(|_| self.part_names.len() > 1);
        let res = runner.finish(spec, name.map(|s| s.as_str()));
        // A split resource reports once, from its last run.
        if matches!(&spec.kind, TaskKind::Run(r) if !r.last) {
            return;
        }
        if matches!(spec.kind, TaskKind::Resource { .. } | TaskKind::Run(_)) {
            match &mut self.resources {
                Some(sum) => sum.absorb(res),
                None => self.resources = Some(res),
            }
        } else {
            self.results.push(res);
        }
    }
}

/// Runs every task of `v` on one thread over readers (tests, fuzzing, small
/// files). Drivers that want parallelism use [`Verifier::take_lanes`] or
/// [`Verifier::lane_indices`].
pub fn run_serial(
    v: &Verifier,
    files: &[&dyn ReadAt],
    piece: usize,
) -> Result<Vec<TaskResult>, ReadError> {
    let names: Vec<String> = v.opened.parts.iter().map(|p| p.name.clone()).collect();
    let tasks = &v.opened.plan.tasks;
    let sizes: Vec<u64> = files.iter().map(|f| f.size()).collect();
    let schedule = schedule::Schedule::new([tasks], &sizes, piece as u64);
    let mut lane = Lane::new(tasks.clone(), names);
    let mut buf = Vec::new();
    // Only the bytes some task needs are read, each once.
    for s in schedule.slices() {
        let Some(r) = files.get(s.part as usize) else {
            continue;
        };
        // At most `piece` bytes: small inputs get small buffers.
        buf.resize(s.len() as usize, 0);
        r.read_at(s.start, &mut buf)?;
        lane.feed(s.part, s.start, &buf);
    }
    Ok(lane.finish())
}

/// The findings of comparing `got` with the digests `opts` expects (none
/// when none is expected): a mismatch is corruption (`digest.mismatch`:
/// "`what` SHA-256 is ..., not the expected ...: this is not the `thing`
/// you expected"), an expected digest not computed makes the verdict
/// unverified (`digest.not_computed`). Install media compare the medium's
/// digest this way (`what` "the medium's", `thing` "medium").
pub fn expected_digests(opts: &Options, got: &Digests, what: &str, thing: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (want, got, alg) in [
        (&opts.expect_sha256, &got.sha256, "SHA-256"),
        (&opts.expect_sha1, &got.sha1, "SHA-1"),
    ] {
        if let Some(w) = want {
            match got {
                Some(g) if g.eq_ignore_ascii_case(w.trim()) => {}
                Some(g) => findings.push(Finding::corruption(Code::DigestMismatch, format!("{what} {alg} is {g}, not the expected {}: this is not the {thing} you expected", w.trim().to_ascii_lowercase())).remedy(remedies::RECOPY)),
                None => findings.push(Finding::unverified(Code::DigestNotComputed, format!("an expected {alg} was given but the {what} {alg} was not computed"))),
            }
        }
    }
    findings
}

/// Adds the first path that uses the finding's blob to its message (after
/// the blob's name, which ends at the first `)`), so the admin knows which
/// file of the image is damaged; the blob itself leaves the finding.
fn name_blob_user(
    mut f: Finding,
    blobs: &blob_index::BlobIndex,
    paths: &tree::BlobPaths,
) -> Finding {
    let Some(sha) = f.blob.take() else {
        return f;
    };
    if let Some(path) = paths.of_blob(blobs, &sha) {
        if let Some(pos) = f.message.find(')') {
            f.message.insert_str(pos, &format!(", used by {path}"));
        }
    }
    f
}

fn finish(v: Verifier, mut results: Vec<TaskResult>) -> Outcome {
    let Verifier { opts, opened, name } = v;
    let mut findings = opened.findings;
    results.sort_by_key(|r| r.id);
    // By id: a split resource's runs all carry the resource's
    // ([`Verifier::split_resources`]), and they share its part.
    let mut tasks: std::collections::HashMap<u32, &TaskSpec> =
        std::collections::HashMap::with_capacity(opened.plan.tasks.len());
    for t in &opened.plan.tasks {
        tasks.entry(t.id).or_insert(t);
    }
    let split = opened.parts.iter().filter(|p| !p.reference).count() > 1;
    let with_refs = opened.parts.iter().any(|p| p.reference);
    let mut parts: Vec<PartInfo> = opened
        .parts
        .iter()
        .map(|p| PartInfo {
            name: p.name.clone(),
            size: p.size,
            reference: p.reference,
            part_number: p.header.as_ref().map(|h| h.part_number).unwrap_or(0),
            digests: Digests::default(),
            integrity: IntegrityInfo {
                present: p.integrity.is_some(),
                chunks: p
                    .integrity
                    .as_ref()
                    .map(|t| t.num_chunks as u64)
                    .unwrap_or(0),
                chunk_size: p.integrity.as_ref().map(|t| t.chunk_size).unwrap_or(0),
                checked: 0,
                bad_chunks: Vec::new(),
            },
        })
        .collect();
    let mut checked = Checked {
        metadata_resources: opened.metadata.iter().filter(|&&m| m).count() as u64,
        ..Default::default()
    };
    let mut zero_blocks = 0u64;
    let mut have_zero = false;
    // Phase 2's findings, in file order: each lane reports its tasks in
    // its own order and sums its resources' results into one, so the
    // order of results depends on how many lanes there were. Sorted, the
    // report (and which findings the cap below keeps) does not.
    let mut phase2: Vec<(u16, &Finding)> = Vec::new();
    for r in &results {
        let Some(spec) = tasks.get(&r.id).copied() else {
            continue;
        };
        let part = &mut parts[spec.part as usize];
        if r.sha256.is_some() {
            part.digests.sha256 = r.sha256.clone();
        }
        if r.sha1.is_some() {
            part.digests.sha1 = r.sha1.clone();
        }
        if matches!(spec.kind, TaskKind::FileDigest { .. }) {
            zero_blocks += r.zero_blocks;
            have_zero = true;
        }
        part.integrity.checked += r.integrity_checked;
        part.integrity
            .bad_chunks
            .extend(r.bad_chunks.iter().cloned());
        checked.blobs_verified += r.blobs_ok;
        checked.blobs_corrupt += r.blobs_bad;
        checked.blobs_unverified += r.blobs_unverified;
        checked.uncompressed_bytes = checked.uncompressed_bytes.saturating_add(r.bytes_out);
        phase2.extend(r.findings.iter().map(|f| (spec.part, f)));
    }
    phase2.sort_by(|(pa, a), (pb, b)| {
        let key = |f: &Finding| (f.offset.unwrap_or(u64::MAX), f.code);
        (pa, key(a), &a.message).cmp(&(pb, key(b), &b.message))
    });
    // At most MAX_FINDINGS_PER_CODE of each code.
    let mut capped = finding::Capped::default();
    for (_, f) in phase2 {
        capped.push(
            &mut findings,
            name_blob_user(f.clone(), &opened.blobs, &opened.paths),
        );
    }
    findings.extend(capped.summaries());
    // Every task must report back; a missing result is work not done.
    let reported: usize = results.iter().map(|r| r.tasks.max(1) as usize).sum();
    if reported < tasks.len() {
        findings.push(Finding::unverified(
            Code::InternalMissingResults,
            format!(
                "{} of {} tasks reported no result",
                tasks.len() - reported,
                tasks.len()
            ),
        ));
    }
    checked.zero_blocks = zero_blocks;
    for t in opened.trees.iter().flatten() {
        checked.files_in_tree += t.files;
        checked.dirs_in_tree += t.dirs;
        checked.streams_in_tree += t.streams;
    }
    for p in &mut parts {
        p.integrity.bad_chunks.sort_by_key(|b| b.index);
    }

    let digests = if split {
        Digests::default()
    } else {
        parts.first().map(|p| p.digests.clone()).unwrap_or_default()
    };
    // Expected digests: for a single file only.
    findings.extend(expected_digests(&opts, &digests, "whole-file", "file"));

    let mut facts = opened.facts.clone();
    if let Some(x) = &opened.xml {
        facts.largest_image_bytes = x
            .images
            .iter()
            .filter_map(|i| i.total_bytes)
            .max()
            .unwrap_or(0);
    }
    let zero = have_zero.then_some(zero_blocks);
    let first = opened.parts.iter().find_map(|p| p.header.clone());
    let wim = first.map(|h| {
        let (flags, unknown) = h.flag_names();
        WimInfo {
            version: h.version,
            flags: flags.into_iter().map(String::from).collect(),
            unknown_flags: unknown,
            compression: h
                .codec()
                .map(|c| c.name().to_string())
                .unwrap_or_else(|| "invalid".into()),
            chunk_size: h.chunk_size,
            part: h.part_number,
            total_parts: h.total_parts,
            image_count: h.image_count,
            boot_index: h.boot_index,
            guid: hex(&h.guid),
            pipable: h.is_pipable(),
            solid: h.version == crate::format::header::VERSION_SOLID,
        }
    });
    let own = || parts.iter().filter(|p| !p.reference);
    let integrity = if split {
        IntegrityInfo {
            present: own().any(|p| p.integrity.present),
            chunks: own().map(|p| p.integrity.chunks).sum(),
            chunk_size: own().map(|p| p.integrity.chunk_size).max().unwrap_or(0),
            checked: own().map(|p| p.integrity.checked).sum(),
            bad_chunks: own()
                .flat_map(|p| p.integrity.bad_chunks.iter().cloned())
                .collect(),
        }
    } else {
        parts
            .first()
            .map(|p| p.integrity.clone())
            .unwrap_or_default()
    };
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Outcome {
        name,
        findings,
        facts,
        zero_blocks: zero,
        digests,
        wim,
        images: opened.xml.map(|x| x.images).unwrap_or_default(),
        resources: opened.resources,
        integrity,
        parts: if split || with_refs {
            parts
        } else {
            Vec::new()
        },
        checked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use split::RunSpec;

    /// A run of two 32 KiB LZX chunks stored in `csizes` bytes.
    fn run(csizes: [u32; 2]) -> TaskSpec {
        TaskSpec {
            id: 1,
            part: 0,
            start: 1000,
            end: 1000 + u64::from(csizes[0] + csizes[1]),
            kind: TaskKind::Run(Box::new(RunSpec {
                index: 1,
                last: false,
                resource_start: 0,
                codec: Codec::Lzx,
                chunk_size: 32 << 10,
                usize: 1 << 20,
                first_chunk: 2,
                csizes: csizes.to_vec(),
                blobs: Vec::new(),
            })),
        }
    }

    #[test]
    fn chunks_stored_raw_cost_only_their_hash() {
        let k = 32 << 10;
        assert_eq!(
            task_cost(&run([1000, 2000])),
            Some(2 * k * decode_cost(Codec::Lzx))
        );
        assert_eq!(
            task_cost(&run([1000, 32 << 10])),
            Some(k * decode_cost(Codec::Lzx) + k)
        );
        assert_eq!(task_cost(&run([32 << 10, 32 << 10])), Some(2 * k));
        let digest = TaskSpec {
            kind: TaskKind::FileDigest {
                sha256: true,
                sha1: false,
            },
            ..run([1, 1])
        };
        assert_eq!(task_cost(&digest), None);
    }
}
