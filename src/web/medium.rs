//! Install media in the browser: [`MediumSession`], the reader worker's
//! side of an ISO, as [`super::Session`] is of a WIM. It lists the medium
//! through the core ([`crate::medium::open`], over a [`BlobReader`]), opens
//! every WIM set on it through [`ExtentReader`]s (phase 1 reads only their
//! structures), plans each WIM's lanes and walks the core's
//! [`MediumSchedule`]; the reader worker only reads the ranges the plan
//! names and posts each slice's feeds to the lanes.
//!
//! The lanes are `lanes` lane workers. With the medium's digest on and more
//! than one worker, the last worker hashes the medium alone (as the CLI's
//! digest thread) and the WIMs' tasks are split over the others. Each lane
//! worker runs one `WebLane` per WIM part it has tasks of (a *unit*:
//! `unit = first unit of the WIM + part`, the digest's unit after the
//! WIMs'), fed in that part's own file order.
//!
//! Integrity chunks go to WebCrypto, as for a bare WIM, but a chunk of an
//! inner WIM may straddle extents apart on the medium, or slices: the
//! schedule reads them as one more lane of each WIM and the plan lists the
//! pieces ([`crate::medium::pieces`]); the reader copies a chunk's pieces
//! together (a piece that is a whole chunk it hashes in place).

use super::WEBCRYPTO_CHUNKS;
use super::{
    error, f64_to_offset, now_iso, read_error, BlobReader, MAX_LANES, MAX_SLICE, MIN_SLICE,
};
use crate::assess::{self, MediumInfo, Request};
use crate::medium::map::{Inner, MediumSchedule, Source};
use crate::medium::pieces::{ChunkIndex, OutsideChunk};
use crate::medium::{self, ExtentReader, FileSystemKind, Medium, MediumError};
use crate::read::ReadAt;
use crate::report::Digests;
use crate::verify::split::SplitCount;
use crate::verify::task::{IntegrityRunner, Runner, TaskKind, TaskResult, TaskSpec};
use crate::verify::{wire, Options, Verifier};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::Blob;

/// One read of the medium, as [`MediumSession::plan`] gives it: `len`
/// bytes from medium offset `at` (`null`: zeros, an unrecorded extent),
/// posted to `lanes` with their `feeds`, and the integrity chunks' pieces
/// the reader hashes.
#[derive(Clone, Debug, Serialize)]
struct PlanSlice {
    at: Option<u64>,
    len: u64,
    /// The lanes that get bytes of it, ascending.
    lanes: Vec<u32>,
    /// `[lane, unit, part, skip, len, offset]`: slice bytes
    /// `[skip, skip + len)` go to `unit` in lane worker `lane`, as bytes of
    /// its WIM's part `part` from file offset `offset`.
    feeds: Vec<[u64; 6]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chunks: Vec<crate::medium::pieces::ChunkPiece>,
}

/// The WIMs' own whole-file digests, beside the request in its JSON.
#[derive(Debug, Default, serde::Deserialize)]
struct InnerDigests {
    #[serde(default)]
    inner_sha256: bool,
    #[serde(default)]
    inner_sha1: bool,
}

/// A WIM (or split set) on the medium.
struct Wim {
    verifier: Option<Verifier>,
    /// Its files' paths on the medium, in part order.
    paths: Vec<String>,
    /// Its first unit.
    unit: u32,
}

/// The medium's phase 1 and plan, in the reader worker.
#[wasm_bindgen]
pub struct MediumSession {
    name: String,
    size: u64,
    kind: FileSystemKind,
    medium: Medium,
    sets: Vec<Vec<usize>>,
    wims: Vec<Wim>,
    request: Request,
    /// Per lane worker, per unit: the unit's tasks (taken by `laneUnits`).
    units: Vec<Vec<(u32, Vec<TaskSpec>)>>,
    /// The digest unit (after every WIM's), if the medium's digest is on.
    digest_unit: Option<u32>,
    /// Outside (WebCrypto) integrity tasks: WIM, spec, runner.
    external: Vec<(u32, TaskSpec, IntegrityRunner)>,
    schedule: Option<MediumSchedule>,
    /// The WIMs' resources split into runs of chunks, and the runs.
    split: SplitCount,
}

/// The error of a medium that cannot be read, as the CLI names it (error
/// kind `medium`), or of a read that failed.
fn medium_error(name: &str, e: MediumError) -> JsValue {
    match e {
        MediumError::Read(e) => read_error(&e),
        e => error(
            "MediumError",
            format!("{name}: install media that cannot be read: {e}"),
        ),
    }
}

#[wasm_bindgen]
impl MediumSession {
    /// Lists the medium `blob` (named `name`) and opens every WIM set on
    /// it (phase 1, through their extents). `options` is the JSON of an
    /// [`assess::Request`]: its digests and expected digests are the
    /// medium's; the WIMs' own whole-file digests are off (as the CLI's
    /// default `--inner-digest none`) unless `inner_sha256`/`inner_sha1`
    /// beside them are true (`--inner-digest`). Throws `MediumError` if the file
    /// system cannot be read or holds no WIM (the CLI's exit 2, error
    /// kind `medium`), `ReadError` if the file cannot be read.
    pub fn open(blob: Blob, name: String, options: &str) -> Result<MediumSession, JsValue> {
        let request: Request = serde_json::from_str(options)
            .map_err(|e| error("TypeError", format!("bad options: {e}")))?;
        let iso = BlobReader::new(blob)?;
        let m = medium::open(&iso).map_err(|e| medium_error(&name, e))?;
        let sets = medium::wim_sets(&m, &iso).map_err(|e| medium_error(&name, e))?;
        if sets.is_empty() {
            return Err(error(
                "MediumError",
                format!(
                    "{name}: install media ({}, {} files) with no WIM on it (no .wim, .esd or .swm file): nothing to verify",
                    m.kind,
                    m.files.len()
                ),
            ));
        }
        let inner: InnerDigests = serde_json::from_str(options)
            .map_err(|e| error("TypeError", format!("bad options: {e}")))?;
        let opts = Options {
            sha256: inner.inner_sha256,
            sha1: inner.inner_sha1,
            expect_sha256: None,
            expect_sha1: None,
        };
        let mut wims = Vec::with_capacity(sets.len());
        let mut split = SplitCount::default();
        let mut unit = 0u32;
        for set in &sets {
            let readers = set
                .iter()
                .map(|&i| ExtentReader::new(&iso, &m.files[i]))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| medium_error(&name, e))?;
            let files: Vec<(&str, &dyn ReadAt)> = set
                .iter()
                .zip(&readers)
                .map(|(&i, r)| (m.files[i].path.as_str(), r as &dyn ReadAt))
                .collect();
            let mut v = Verifier::open(&files, opts.clone()).map_err(|e| {
                error(
                    "ReadError",
                    format!("{name}: {}: {e}", m.files[set[0]].path),
                )
            })?;
            // Large compressed resources become runs of chunks across the
            // lanes (as for a WIM on its own: Session::open).
            let parts: Vec<&dyn ReadAt> = readers.iter().map(|r| r as &dyn ReadAt).collect();
            let count = v.split_resources(&parts).map_err(|e| {
                error(
                    "ReadError",
                    format!("{name}: {}: {e}", m.files[set[0]].path),
                )
            })?;
            split.resources += count.resources;
            split.runs += count.runs;
            v.count_zero_blocks();
            wims.push(Wim {
                verifier: Some(v),
                paths: set.iter().map(|&i| m.files[i].path.clone()).collect(),
                unit,
            });
            unit += set.len() as u32;
        }
        Ok(MediumSession {
            name,
            size: iso.size(),
            kind: m.kind,
            medium: m,
            sets,
            wims,
            request,
            units: Vec::new(),
            digest_unit: None,
            external: Vec::new(),
            schedule: None,
            split,
        })
    }

    /// How many resources of the WIMs were split into runs of chunks
    /// across the lanes (for the benchmark's profile line).
    #[wasm_bindgen(getter, js_name = splitResources)]
    pub fn split_resources(&self) -> u32 {
        u32::try_from(self.split.resources).unwrap_or(u32::MAX)
    }

    /// How many runs of chunks those resources became.
    #[wasm_bindgen(getter, js_name = splitRuns)]
    pub fn split_runs(&self) -> u32 {
        u32::try_from(self.split.runs).unwrap_or(u32::MAX)
    }

    /// The file system read: `UDF` or `ISO 9660`.
    #[wasm_bindgen(getter, js_name = fileSystem)]
    pub fn file_system(&self) -> String {
        self.kind.to_string()
    }

    /// The path on the medium of each WIM (a split set's first part), in
    /// the reports' order.
    #[wasm_bindgen(getter)]
    pub fn wims(&self) -> Vec<String> {
        self.wims
            .iter()
            .filter_map(|w| w.paths.first().cloned())
            .collect()
    }

    /// Plans the reads over `lanes` lane workers in slices of at most
    /// `slice_bytes`; with `webcrypto`, the integrity chunks whose size
    /// WebCrypto suits are listed in the slices for the reader to hash.
    /// Returns JSON: `{"slices": [{"at", "len", "lanes", "feeds",
    /// "chunks": [{"task", "chunk", "from", "to", "at", "size"}]}],
    /// "total": bytes, "webcrypto": bool, "second_pass_files": n}`.
    pub fn plan(
        &mut self,
        lanes: u32,
        slice_bytes: f64,
        webcrypto: bool,
    ) -> Result<String, JsValue> {
        if self.schedule.is_some() {
            return Err(error("Error", "already planned"));
        }
        let lanes = lanes.clamp(1, MAX_LANES);
        let slice = f64_to_offset(slice_bytes)
            .unwrap_or(8 << 20)
            .clamp(MIN_SLICE, MAX_SLICE);
        let digest = self.request.verify.sha256 || self.request.verify.sha1;
        let (wim_lanes, digest_lane) = match (digest, lanes) {
            (false, n) => (n, None),
            (true, 1) => (1, Some(0)),
            (true, n) => (n - 1, Some(n - 1)),
        };
        let outside = |t: &TaskSpec| match &t.kind {
            TaskKind::Integrity { chunk_size, .. } => {
                webcrypto && WEBCRYPTO_CHUNKS.contains(&u64::from(*chunk_size))
            }
            _ => false,
        };
        let mut units: Vec<Vec<(u32, Vec<TaskSpec>)>> = vec![Vec::new(); lanes as usize];
        let mut plans: Vec<Vec<Vec<TaskSpec>>> = Vec::with_capacity(self.wims.len());
        let mut chunks = Vec::new();
        for (w, wim) in self.wims.iter_mut().enumerate() {
            let v = wim
                .verifier
                .as_mut()
                .ok_or_else(|| error("Error", "already finished"))?;
            for t in v.tasks().iter().filter(|t| outside(t)) {
                if let Some(r) = IntegrityRunner::from_spec(t) {
                    let task = self.external.len() as u32;
                    for k in 0..r.chunks() {
                        let (start, end) = r.chunk_range(k);
                        chunks.push(OutsideChunk {
                            wim: w as u32,
                            part: t.part,
                            task,
                            chunk: k as u32,
                            start,
                            end,
                        });
                    }
                    self.external.push((w as u32, t.clone(), r));
                }
            }
            let indices = v.lane_indices(wim_lanes as usize, outside);
            let plan = v.take_planned(&indices);
            for (k, tasks) in plan.iter().enumerate() {
                for p in 0..wim.paths.len() as u16 {
                    let mine: Vec<TaskSpec> =
                        tasks.iter().filter(|t| t.part == p).cloned().collect();
                    if !mine.is_empty() {
                        units[k].push((wim.unit + u32::from(p), mine));
                    }
                }
            }
            plans.push(plan);
        }
        let index = ChunkIndex::new(chunks);
        let inners: Vec<Inner> = self
            .sets
            .iter()
            .zip(&plans)
            .enumerate()
            .map(|(w, (set, plan))| {
                let mut inner =
                    Inner::from_tasks(set.iter().map(|&i| &self.medium.files[i]).collect(), plan);
                // The outside lane: lane `wim_lanes` of every WIM.
                inner.lanes.resize(wim_lanes as usize, Vec::new());
                inner.lanes.push(index.spans(w as u32));
                inner
            })
            .collect();
        let schedule = MediumSchedule::new(self.size, &inners, digest, slice)
            .map_err(|e| medium_error(&self.name, e))?;
        let digest_unit = digest_lane.map(|lane| {
            let unit = self
                .wims
                .last()
                .map_or(0, |w| w.unit + w.paths.len() as u32);
            let task = TaskSpec {
                id: 0,
                part: 0,
                start: 0,
                end: self.size,
                kind: TaskKind::FileDigest {
                    sha256: self.request.verify.sha256,
                    sha1: self.request.verify.sha1,
                },
            };
            units[lane as usize].push((unit, vec![task]));
            (lane, unit)
        });
        let mut slices = Vec::new();
        for s in schedule.slices() {
            let at = match s.source {
                Source::Medium { start } => Some(start),
                Source::Zeros => None,
            };
            let mut feeds = Vec::with_capacity(s.feeds.len() + 1);
            let mut pieces = Vec::new();
            for f in &s.feeds {
                if f.lane == wim_lanes {
                    index.pieces(f, &mut pieces);
                    continue;
                }
                let unit = self.wims.get(f.wim as usize).map_or(0, |w| w.unit) + u32::from(f.part);
                feeds.push([
                    u64::from(f.lane),
                    u64::from(unit),
                    u64::from(f.part),
                    f.skip,
                    f.len,
                    f.offset,
                ]);
            }
            if let (true, Some((lane, unit)), Some(start)) = (s.digest, digest_unit, at) {
                feeds.push([u64::from(lane), u64::from(unit), 0, 0, s.len, start]);
            }
            let mut lanes: Vec<u32> = feeds.iter().map(|f| f[0] as u32).collect();
            lanes.sort_unstable();
            lanes.dedup();
            slices.push(PlanSlice {
                at,
                len: s.len,
                lanes,
                feeds,
                chunks: pieces,
            });
        }
        let total = schedule.total_bytes();
        let second = schedule.second_pass_files().len();
        self.units = units;
        self.digest_unit = digest_unit.map(|d| d.1);
        self.schedule = Some(schedule);
        serde_json::to_string(&serde_json::json!({
            "slices": slices,
            "total": total,
            "webcrypto": !index.is_empty(),
            "second_pass_files": second,
        }))
        .map_err(|e| error("Error", e.to_string()))
    }

    /// Takes the SHA-1 the page computed of chunk `chunk` of outside task
    /// `task` (as the plan's pieces number them). False if there is no such
    /// chunk or it was already given.
    #[wasm_bindgen(js_name = integrityDigest)]
    pub fn integrity_digest(&mut self, task: u32, chunk: u32, digest: &[u8]) -> bool {
        self.external
            .get_mut(task as usize)
            .is_some_and(|(_, _, r)| r.chunk_digest(chunk as usize, digest))
    }

    /// How many units lane worker `lane` runs (after [`MediumSession::plan`]).
    #[wasm_bindgen(js_name = laneUnitCount)]
    pub fn lane_unit_count(&self, lane: u32) -> u32 {
        self.units.get(lane as usize).map_or(0, |u| u.len() as u32)
    }

    /// Unit `i` of lane worker `lane`: its number (the plan's feeds name
    /// it so).
    #[wasm_bindgen(js_name = laneUnit)]
    pub fn lane_unit(&self, lane: u32, i: u32) -> u32 {
        self.units
            .get(lane as usize)
            .and_then(|u| u.get(i as usize))
            .map_or(u32::MAX, |u| u.0)
    }

    /// The tasks of unit `i` of lane worker `lane`, for a `WebLane`, in the
    /// binary form of [`crate::verify::wire`]. They leave the session.
    #[wasm_bindgen(js_name = laneUnitTasks)]
    pub fn lane_unit_tasks(&mut self, lane: u32, i: u32) -> Vec<u8> {
        let tasks = self
            .units
            .get_mut(lane as usize)
            .and_then(|u| u.get_mut(i as usize))
            .map(|u| std::mem::take(&mut u.1))
            .unwrap_or_default();
        wire::encode(&tasks)
    }

    /// The part names of unit `unit`'s WIM (the medium's name for the
    /// digest's unit), for its `WebLane`.
    #[wasm_bindgen(js_name = unitNames)]
    pub fn unit_names(&self, unit: u32) -> Vec<String> {
        if Some(unit) == self.digest_unit {
            return vec![self.name.clone()];
        }
        self.wims
            .iter()
            .find(|w| unit >= w.unit && unit < w.unit + w.paths.len() as u32)
            .map(|w| w.paths.clone())
            .unwrap_or_default()
    }

    /// The reports (a JSON array in the CLI's `--json` schema, one per WIM,
    /// each with its `container`) from the lanes' results: `units[i]`'s
    /// results are the JSON array of `TaskResult`s `results[i]`.
    pub fn finish(&mut self, units: Vec<u32>, results: Vec<String>) -> Result<String, JsValue> {
        let schedule = self
            .schedule
            .take()
            .ok_or_else(|| error("Error", "not planned, or already finished"))?;
        let mut by_wim: Vec<Vec<TaskResult>> = vec![Vec::new(); self.wims.len()];
        let mut digest: Option<TaskResult> = None;
        for (unit, r) in units.iter().zip(&results) {
            let mut list: Vec<TaskResult> = serde_json::from_str(r)
                .map_err(|e| error("Error", format!("bad lane results: {e}")))?;
            if Some(*unit) == self.digest_unit {
                digest = list.pop();
                continue;
            }
            let w = self
                .wims
                .iter()
                .position(|w| *unit >= w.unit && *unit < w.unit + w.paths.len() as u32)
                .ok_or_else(|| error("Error", format!("no unit {unit}")))?;
            by_wim[w].append(&mut list);
        }
        for (w, spec, runner) in self.external.drain(..) {
            let wim = &self.wims[w as usize];
            let part = wim
                .paths
                .get(spec.part as usize)
                .filter(|_| wim.paths.len() > 1);
            by_wim[w as usize]
                .push(Runner::Integrity(runner).finish(&spec, part.map(String::as_str)));
        }
        let mut outcomes = Vec::with_capacity(self.wims.len());
        for (w, (wim, results)) in self.wims.iter_mut().zip(by_wim).enumerate() {
            let v = wim
                .verifier
                .take()
                .ok_or_else(|| error("Error", "already finished"))?;
            let mut o = v.finish(results);
            o.findings.extend(schedule.findings_for(w as u32));
            o.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            outcomes.push((o, wim.paths.first().cloned().unwrap_or_default()));
        }
        let info = MediumInfo {
            name: self.name.clone(),
            size: self.size,
            digests: Digests {
                sha256: digest.as_ref().and_then(|d| d.sha256.clone()),
                sha1: digest.as_ref().and_then(|d| d.sha1.clone()),
            },
        };
        let reports = assess::medium_reports(
            &info,
            outcomes,
            &self.request.verify,
            &self.request.targets,
            &now_iso(),
        );
        serde_json::to_string(&reports).map_err(|e| error("Error", e.to_string()))
    }
}

/// Whether the first bytes of a file (at least the first 40 KiB: the
/// volume descriptors from sector 16) look like install media, by the
/// core's magic bytes ([`crate::format::foreign::detect`] over them). A
/// hint for the page's main thread, which starts one more worker for a
/// medium (its digest's); the reader worker decides on the whole file.
#[wasm_bindgen(js_name = looksLikeMedium)]
pub fn looks_like_medium(head: &[u8]) -> bool {
    matches!(
        crate::format::foreign::detect(&head),
        Ok(Some(crate::format::foreign::Foreign::Iso { .. }))
    )
}
