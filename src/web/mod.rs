//! The browser driver: the only code that touches wasm-bindgen, web-sys and
//! js-sys. Like the native driver it moves bytes and messages and checks
//! nothing itself.
//!
//! The page's workers (`www/worker.js`) use two objects:
//! - [`Session`], in the reader worker: phase 1 over the `File`s (random
//!   access through [`BlobReader`]), the lanes' task lists and the slice
//!   plan of the main pass, then the report from the lanes' results;
//! - [`WebLane`], in each lane worker: runs its tasks over the slices the
//!   reader posts, in file order.
//!
//! The page's main thread uses the functions of [`input`] (the core's
//! split-set grouping, checksum lists, digest choice, target titles and
//! verdict order) and of [`report_view`] (the editions table, the findings
//! over files dropped together). The reader worker also asks
//! [`foreign_format`] what a file that is not a WIM is, before opening it.
//!
//! Everything crosses the boundary as JSON strings of the core's serde types
//! (`Options`, `TaskSpec`, `TaskResult`, `Report`), so the page has no second
//! definition of them. File offsets cross as `f64`, exact below 2^53.

mod blob;
#[cfg(feature = "codec-bench")]
mod codec_bench;
mod digest;
pub mod input;
mod medium;
pub mod report_view;
#[cfg(test)]
mod tests;

pub use blob::{f64_to_offset, js_error_text, BlobReader, MAX_SAFE_OFFSET};
pub use digest::Sha256;
pub use medium::{looks_like_medium, MediumSession};

use crate::assess::{self, Request};
use crate::read::{ReadAt, ReadError};
use crate::verify::open::{choose_bases, Opening};
use crate::verify::schedule::{Schedule, Span};
use crate::verify::split::{Board, RelayBoard, SplitCount};
use crate::verify::task::{IntegrityRunner, Runner, TaskKind, TaskResult, TaskSpec};
use crate::verify::{wire, Lane, Verifier};
use serde::Serialize;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Blob;

/// Most lanes one verification is split over; more workers than this only
/// add memory (each holds slices in flight) without adding speed.
pub const MAX_LANES: u32 = 64;
/// Bounds of the main pass's read size: below 64 KiB the per-message cost
/// dominates; above 64 MiB the slices in flight cost too much memory.
const MIN_SLICE: u64 = 64 << 10;
const MAX_SLICE: u64 = 64 << 20;
/// Integrity chunk sizes the page hashes with WebCrypto (one call per
/// chunk, each chunk whole in one read); others are hashed in the lanes.
/// Below the lower bound the per-call cost dominates; the upper bound is
/// the largest read.
const WEBCRYPTO_CHUNKS: std::ops::RangeInclusive<u64> = (256 << 10)..=MAX_SLICE;

thread_local! {
    /// The message of the last panic, for the worker to report: a panic is
    /// a wimproof bug and surfaces as an error state, never as a verdict.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let text = info.to_string();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
    }));
}

/// The message of the panic behind the last `RuntimeError: unreachable`, if any.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// wimproof's version, as in the report's `tool.version`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn error(name: &str, message: impl AsRef<str>) -> JsValue {
    let e = js_sys::Error::new(message.as_ref());
    e.set_name(name);
    e.into()
}

fn read_error(e: &ReadError) -> JsValue {
    error("ReadError", e.to_string())
}

/// A [`BlobReader`] over each element of `blobs` (each must be a `Blob`;
/// `what` names them in the error).
fn blob_readers(blobs: &js_sys::Array, what: &str) -> Result<Vec<BlobReader>, JsValue> {
    blobs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let blob: Blob = v
                .dyn_into()
                .map_err(|_| error("TypeError", format!("{what} {i} is not a Blob")))?;
            BlobReader::new(blob)
        })
        .collect()
}

/// The files as phase 1 takes them: each name with its reader.
fn named<'a>(names: &'a [String], readers: &'a [BlobReader]) -> Vec<(&'a str, &'a dyn ReadAt)> {
    names
        .iter()
        .zip(readers)
        .map(|(n, r)| (n.as_str(), r as &dyn ReadAt))
        .collect()
}

/// The current time as the report's `checked_at` (formatted by the core,
/// as the CLI's).
fn now_iso() -> String {
    // Milliseconds since 1970; `as` saturates (a clock before 1970 is 0).
    crate::report::iso_utc((js_sys::Date::now() / 1000.0).floor() as u64)
}

/// What a file that is not a WIM looks like, for the page's error card:
/// `null` for a WIM (even a damaged one) or an unknown file, else the JSON
/// `{"format": id, "what": ..., "evidence": ..., "message": ...,
/// "remedy": ...}` of [`crate::format::foreign::Foreign`] (`format` is
/// `vhd`, `vhdx`, `zip`, `cab`, `7z`, `ffu` or `iso`; `evidence` names the
/// bytes that say so; `message` is the CLI's, evidence and remedy in it). Reads a few hundred bytes through
/// `FileReaderSync`, so only in a worker. Throws `ReadError`.
#[wasm_bindgen(js_name = foreignFormat)]
pub fn foreign_format(blob: Blob) -> Result<Option<String>, JsValue> {
    let r = BlobReader::new(blob)?;
    let found = crate::format::foreign::detect(&r).map_err(|e| read_error(&e))?;
    Ok(found.map(|f| {
        serde_json::json!({
            "format": f.id(),
            "what": f.what(),
            "evidence": f.evidence(),
            "message": f.message(),
            "remedy": f.remedy(),
        })
        .to_string()
    }))
}

/// One read of the main pass, as [`Session::plan`] gives it to the reader
/// worker: bytes `[start, end)` of `part`, posted to `lanes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanSlice {
    pub part: u16,
    pub start: u64,
    pub end: u64,
    pub lanes: Vec<u32>,
    /// The integrity chunks the reader hashes with WebCrypto in this slice.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<ChunkRef>,
}

/// An integrity chunk inside a slice: chunk `chunk` of external task
/// `task`, at bytes `[from, to)` of the slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChunkRef {
    pub task: u32,
    pub chunk: u32,
    pub from: u64,
    pub to: u64,
}

/// Phase 1 and the plan, in the reader worker.
#[wasm_bindgen]
pub struct Session {
    verifier: Option<Verifier>,
    /// The targets the verdict is the worst over (the request's).
    targets: Vec<crate::policy::TargetId>,
    names: Vec<String>,
    sizes: Vec<u64>,
    plans: Vec<Vec<TaskSpec>>,
    /// Whether [`Session::plan`] ran: it moves the tasks out, so only once.
    planned: bool,
    /// Integrity tasks whose chunks the page hashes with WebCrypto, and the
    /// runners that check the digests it gives back.
    external: Vec<(TaskSpec, IntegrityRunner)>,
    /// The resources split into runs of chunks, and the runs.
    split: SplitCount,
}

#[wasm_bindgen]
impl Session {
    /// How many resources were split into runs of chunks across the lanes
    /// (for the benchmark's profile line).
    #[wasm_bindgen(getter, js_name = splitResources)]
    pub fn split_resources(&self) -> u32 {
        u32::try_from(self.split.resources).unwrap_or(u32::MAX)
    }

    /// How many runs of chunks those resources became.
    #[wasm_bindgen(getter, js_name = splitRuns)]
    pub fn split_runs(&self) -> u32 {
        u32::try_from(self.split.runs).unwrap_or(u32::MAX)
    }

    /// Opens one WIM or the parts of a split set (`blobs[i]` named
    /// `names[i]`, first part first), with reference WIMs (`refs[i]` named
    /// `ref_names[i]`; empty arrays for none): the base a delta was captured
    /// against, as `wimlib-imagex verify --ref` takes it, whose blobs the
    /// image's trees may use; they are read and verified too, after the
    /// image's files (the plan's part numbers count `blobs`, then `refs`).
    /// `options` is the JSON of an [`assess::Request`] (the verification
    /// options and `targets`). `on_progress(done, total, step)`, if given,
    /// is called now and then during the long steps of opening: `step` is
    /// `"blob table"` (entries) or `"trees"` (metadata bytes, decoded then
    /// walked). Throws `ReadError` if a file cannot be read: an error state
    /// for the file, never a verdict.
    pub fn open(
        blobs: js_sys::Array,
        names: Vec<String>,
        refs: js_sys::Array,
        ref_names: Vec<String>,
        options: &str,
        on_progress: Option<js_sys::Function>,
    ) -> Result<Session, JsValue> {
        let request: Request = serde_json::from_str(options)
            .map_err(|e| error("TypeError", format!("bad options: {e}")))?;
        if blobs.length() as usize != names.len() || names.is_empty() {
            return Err(error(
                "TypeError",
                "give one name per file, and at least one file",
            ));
        }
        if refs.length() as usize != ref_names.len() {
            return Err(error("TypeError", "give one name per reference file"));
        }
        let readers = blob_readers(&blobs, "file")?;
        let ref_readers = blob_readers(&refs, "reference")?;
        let own_list = named(&names, &readers);
        let ref_list = named(&ref_names, &ref_readers);
        let mut progress = |step: Opening, done: u64, total: u64| {
            if let Some(f) = &on_progress {
                // A throwing callback only loses a progress message.
                let _ = f.call3(
                    &JsValue::NULL,
                    &(done as f64).into(),
                    &(total as f64).into(),
                    &step.as_str().into(),
                );
            }
        };
        let mut verifier =
            Verifier::open_observed(&own_list, &ref_list, request.verify, &mut progress)
                .map_err(|e| read_error(&e))?;
        // Large compressed resources become runs of chunks, which the
        // lanes decode at once, handing blob states on through the reader
        // (RelayBoard; see WebLane::take_states).
        let parts: Vec<&dyn ReadAt> = readers
            .iter()
            .chain(&ref_readers)
            .map(|r| r as &dyn ReadAt)
            .collect();
        let split = verifier
            .split_resources(&parts)
            .map_err(|e| read_error(&e))?;
        let sizes = verifier.part_sizes();
        let mut all_names = names;
        all_names.extend(ref_names);
        Ok(Session {
            verifier: Some(verifier),
            targets: request.targets,
            names: all_names,
            sizes,
            plans: Vec::new(),
            planned: false,
            external: Vec::new(),
            split,
        })
    }

    /// How many distinct blobs the image's trees name that neither its
    /// tables nor the references' hold (`metadata.blob_missing`; counted up
    /// to [`crate::verify::open::MAX_MISSING_BLOBS`]).
    #[wasm_bindgen(getter, js_name = missingBlobs)]
    pub fn missing_blobs(&self) -> u32 {
        self.verifier
            .as_ref()
            .map_or(0, |v| v.missing_blobs().len() as u32)
    }

    /// Of `candidates` (other WIM files given with this image, as
    /// `Blob`s), the indices of those to open it again with as references
    /// ([`choose_bases`]): in order, each holding a blob the image's trees
    /// name and its tables lack ([`Session::missing_blobs`]) that the ones
    /// before it do not. That is the base a delta was captured against.
    /// Reads only each candidate's header and blob table. Throws
    /// `ReadError` if one cannot be read.
    #[wasm_bindgen(js_name = basesAmong)]
    pub fn bases_among(&self, candidates: js_sys::Array) -> Result<Vec<u32>, JsValue> {
        let v = self
            .verifier
            .as_ref()
            .ok_or_else(|| error("Error", "already finished"))?;
        if v.missing_blobs().is_empty() {
            return Ok(Vec::new());
        }
        let readers = blob_readers(&candidates, "candidate")?;
        let list: Vec<&dyn ReadAt> = readers.iter().map(|r| r as &dyn ReadAt).collect();
        let chosen = choose_bases(v.missing_blobs(), &list).map_err(|e| read_error(&e))?;
        Ok(chosen.into_iter().map(|i| i as u32).collect())
    }

    /// Splits the tasks over `lanes` lane workers and plans the main pass
    /// in reads of at most `slice_bytes` (the core's [`Schedule`]). With
    /// `webcrypto`, integrity chunks of sizes in `WEBCRYPTO_CHUNKS` are
    /// left to the reader, which hashes them with `crypto.subtle` and hands
    /// the digests to [`Session::integrity_digest`]; each chunk then lies
    /// whole in one read (reads are cut at chunk boundaries, and a chunk
    /// longer than `slice_bytes` is one read) and each slice lists its
    /// chunks. Returns JSON: `{"slices": [{"part", "start", "end", "lanes":
    /// [..], "chunks": [{"task", "chunk", "from", "to"}]}], "total": bytes,
    /// "webcrypto": bool}` (see [`PlanSlice`]).
    pub fn plan(
        &mut self,
        lanes: u32,
        slice_bytes: f64,
        webcrypto: bool,
    ) -> Result<String, JsValue> {
        if self.planned {
            return Err(error("Error", "already planned"));
        }
        let v = self
            .verifier
            .as_ref()
            .ok_or_else(|| error("Error", "already finished"))?;
        let lanes = lanes.clamp(1, MAX_LANES) as usize;
        let slice = f64_to_offset(slice_bytes)
            .unwrap_or(8 << 20)
            .clamp(MIN_SLICE, MAX_SLICE);
        let external_ok = |t: &TaskSpec| match &t.kind {
            TaskKind::Integrity { chunk_size, .. } => {
                webcrypto && WEBCRYPTO_CHUNKS.contains(&u64::from(*chunk_size))
            }
            _ => false,
        };
        let mut external: Vec<(TaskSpec, IntegrityRunner)> = v
            .tasks()
            .iter()
            .filter(|t| external_ok(t))
            .filter_map(|t| IntegrityRunner::from_spec(t).map(|r| (t.clone(), r)))
            .collect();
        // Planned by task index: the plan may be made twice, and the tasks
        // are moved (not copied) out of the verifier once it is settled.
        let tasks = v.tasks();
        let sizes = &self.sizes;
        let plan = |external: &[(TaskSpec, IntegrityRunner)]| {
            let plans = v.lane_indices(lanes, |t| !external.is_empty() && external_ok(t));
            let lane_tasks = plans.iter().map(|p| p.iter().filter_map(|&i| tasks.get(i)));
            // The external chunks, sorted as the schedule lists them.
            let mut chunks: Vec<(Span, u32, u32)> = Vec::new();
            for (i, (spec, r)) in external.iter().enumerate() {
                for k in 0..r.chunks() {
                    let (start, end) = r.chunk_range(k);
                    let span = Span {
                        part: spec.part,
                        start,
                        end,
                    };
                    chunks.push((span, i as u32, k as u32));
                }
            }
            chunks.sort_unstable();
            let schedule = Schedule::new(lane_tasks, sizes, slice)
                .whole(chunks.iter().map(|c| c.0).collect(), sizes)
                .ok()?;
            let slices: Vec<PlanSlice> = schedule
                .slices()
                .map(|s| PlanSlice {
                    chunks: chunks[s.whole.clone()]
                        .iter()
                        .map(|&(c, task, chunk)| ChunkRef {
                            task,
                            chunk,
                            from: c.start - s.start,
                            to: c.end - s.start,
                        })
                        .collect(),
                    part: s.part,
                    start: s.start,
                    end: s.end,
                    lanes: s.lanes,
                })
                .collect();
            Some((plans, slices))
        };
        let (plans, slices) = match plan(&external) {
            Some(p) => p,
            None => {
                // Some chunk cannot lie whole in one read: hash them all in
                // the lanes.
                external.clear();
                plan(&external).ok_or_else(|| error("Error", "no plan"))?
            }
        };
        let v = self
            .verifier
            .as_mut()
            .ok_or_else(|| error("Error", "already finished"))?;
        self.plans = v.take_planned(&plans);
        self.planned = true;
        let use_webcrypto = !external.is_empty();
        self.external = external;
        let total: u64 = self.sizes.iter().sum();
        serde_json::to_string(&serde_json::json!({
            "slices": slices,
            "total": total,
            "webcrypto": use_webcrypto,
        }))
        .map_err(|e| error("Error", e.to_string()))
    }

    /// Takes the SHA-1 the page computed (WebCrypto) of chunk `chunk` of
    /// external integrity task `task`, as listed in the plan. Returns false
    /// if there is no such chunk or it was already given.
    #[wasm_bindgen(js_name = integrityDigest)]
    pub fn integrity_digest(&mut self, task: u32, chunk: u32, digest: &[u8]) -> bool {
        self.external
            .get_mut(task as usize)
            .is_some_and(|(_, r)| r.chunk_digest(chunk as usize, digest))
    }

    /// The tasks of lane `lane` (after [`Session::plan`]), in the binary
    /// form of [`crate::verify::wire`], for [`WebLane::new`] in another
    /// worker. They leave the session: ask once per lane.
    #[wasm_bindgen(js_name = laneTasks)]
    pub fn lane_tasks(&mut self, lane: u32) -> Vec<u8> {
        let tasks = self
            .plans
            .get_mut(lane as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        wire::encode(&tasks)
    }

    /// The file names, in part order.
    #[wasm_bindgen(js_name = partNames)]
    pub fn part_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The report's JSON (the CLI's `--json` schema) from every lane's
    /// results (each a JSON array of `TaskResult`).
    pub fn finish(&mut self, results: Vec<String>) -> Result<String, JsValue> {
        let v = self
            .verifier
            .take()
            .ok_or_else(|| error("Error", "already finished"))?;
        let mut all: Vec<TaskResult> = Vec::new();
        for r in &results {
            let mut part: Vec<TaskResult> = serde_json::from_str(r)
                .map_err(|e| error("Error", format!("bad lane results: {e}")))?;
            all.append(&mut part);
        }
        // Finished as a lane finishes its tasks (split sets name the part).
        let split = self.names.len() > 1;
        for (spec, runner) in self.external.drain(..) {
            let part = self.names.get(spec.part as usize).filter(|_| split);
            all.push(Runner::Integrity(runner).finish(&spec, part.map(String::as_str)));
        }
        let report = assess::report(v.finish(all), &self.targets, now_iso());
        serde_json::to_string(&report).map_err(|e| error("Error", e.to_string()))
    }
}

/// One lane of phase 2, in a lane worker. Its runs of split resources
/// hand their blob states to the other lanes' through the reader: after
/// each feed the worker posts [`WebLane::take_states`] to the reader, which
/// gives them to the other lanes' [`WebLane::give_states`]; a lane whose
/// runs still wait for states ([`WebLane::parked`]) is finished only once
/// they have come.
#[wasm_bindgen]
pub struct WebLane {
    lane: Option<Lane>,
    board: Arc<RelayBoard>,
    /// Per part, the end of the last piece fed: pieces must move forward.
    fed_to: Vec<u64>,
}

#[wasm_bindgen]
impl WebLane {
    /// `tasks` is the buffer from [`Session::lane_tasks`].
    #[wasm_bindgen(constructor)]
    pub fn new(tasks: &[u8], part_names: Vec<String>) -> Result<WebLane, JsValue> {
        let tasks = wire::decode(tasks).map_err(|e| error("TypeError", e.to_string()))?;
        let parts = part_names.len();
        let board = RelayBoard::for_tasks(&tasks);
        Ok(WebLane {
            lane: Some(Lane::with_board(
                tasks,
                part_names,
                board.clone() as Arc<dyn Board>,
            )),
            board,
            fed_to: vec![0; parts],
        })
    }

    /// The blob states this lane's runs handed on for other lanes' runs
    /// since the last call, as one bundle for their
    /// [`WebLane::give_states`]; empty when there are none.
    #[wasm_bindgen(js_name = takeStates)]
    pub fn take_states(&self) -> Vec<u8> {
        self.board.take_outgoing()
    }

    /// Takes a bundle from another lane's [`WebLane::take_states`] (the
    /// states this lane's runs need; the others are dropped) and finishes
    /// the runs that waited for them. Returns how many states it kept.
    #[wasm_bindgen(js_name = giveStates)]
    pub fn give_states(&mut self, bundle: &[u8]) -> Result<u32, JsValue> {
        let kept = self.board.give(bundle).map_err(|e| error("Error", e))?;
        if let Some(lane) = self.lane.as_mut() {
            lane.retry_parked();
        }
        Ok(u32::try_from(kept).unwrap_or(u32::MAX))
    }

    /// How many of its runs wait for the state of the run before them.
    #[wasm_bindgen(getter)]
    pub fn parked(&self) -> u32 {
        self.lane
            .as_ref()
            .map_or(0, |l| u32::try_from(l.parked()).unwrap_or(u32::MAX))
    }

    /// Feeds the bytes of `part` at file offset `offset`; pieces come in
    /// increasing offset order per part.
    pub fn feed(&mut self, part: u16, offset: f64, data: &[u8]) -> Result<(), JsValue> {
        let lane = self
            .lane
            .as_mut()
            .ok_or_else(|| error("Error", "already finished"))?;
        let offset = f64_to_offset(offset)
            .ok_or_else(|| error("RangeError", "offset is not a whole number below 2^53"))?;
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&e| e <= MAX_SAFE_OFFSET)
            .ok_or_else(|| error("RangeError", "slice ends beyond 2^53"))?;
        let fed = self
            .fed_to
            .get_mut(part as usize)
            .ok_or_else(|| error("RangeError", format!("no part {part}")))?;
        if offset < *fed {
            return Err(error(
                "RangeError",
                "slices must come in increasing offset order",
            ));
        }
        *fed = end;
        lane.feed(part, offset, data);
        Ok(())
    }

    /// Finishes every task; returns the JSON array of `TaskResult`s.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let lane = self
            .lane
            .take()
            .ok_or_else(|| error("Error", "already finished"))?;
        serde_json::to_string(&lane.finish()).map_err(|e| error("Error", e.to_string()))
    }
}
