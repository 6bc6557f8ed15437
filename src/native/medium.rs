//! The native driver of install media (an ISO): phase 1 of every WIM on
//! it through an [`ExtentReader`], then one read of the medium along the
//! core's [`MediumSchedule`]: each slice feeds the medium's digest and,
//! mapped through the extents, the lanes of every WIM whose bytes it holds
//! (a WIM whose extents are not in medium order is read after, in its own
//! order). It only moves bytes; what to read and for whom is the core's.
//!
//! Threads: lane `k` of every WIM runs on thread `k` (`threads` of them),
//! one `Lane` per WIM part there (each part is fed in its own file order,
//! whatever order the parts have on the medium); the medium's digest has a
//! thread of its own (on thread 0 with `--threads 1`).

use super::board::{PoisonOnPanic, SharedBoard};
use super::stats::{Clock, Stats};
use super::{
    now_iso, DriverError, FileReader, Progress, LANE_QUEUE_BYTES, LANE_QUEUE_STORED_BYTES, SLICE,
};
use crate::assess::{self, MediumInfo, Request};
use crate::format::foreign::{self, Foreign};
use crate::medium::map::{Feed, Inner, MediumSchedule, Source};
use crate::medium::{self, ExtentReader, FileSystemKind, MediumError};
use crate::read::{ReadAt, ReadError};
use crate::report::{Digests, Report};
use crate::verify::task::{TaskKind, TaskResult, TaskSpec};
use crate::verify::{DigestLane, Lane, Options, Verifier};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

/// What one medium gave: its name, file system, size and digests, and a
/// report per WIM on it (in the listing's order).
#[derive(Debug)]
pub struct MediumRun {
    pub info: MediumInfo,
    pub kind: FileSystemKind,
    pub reports: Vec<Report>,
    /// Bytes read by the main pass, and by the second passes over files
    /// read in their own order (and how many files those are).
    pub main_bytes: u64,
    pub second_pass_bytes: u64,
    pub second_pass_files: usize,
    /// What the run cost (phase 1: the file system and every WIM's tables).
    pub stats: Stats,
}

/// Whether `path` is install media (an ISO 9660 or UDF disc image), by
/// [`foreign::detect`]'s magic bytes.
pub fn is_medium(path: &Path) -> Result<bool, DriverError> {
    let r = FileReader::open(path).map_err(|error| DriverError::Open {
        path: path.to_path_buf(),
        error,
    })?;
    let found = foreign::detect(&r).map_err(|error| DriverError::Read {
        name: r.name().to_string(),
        error,
    })?;
    Ok(matches!(found, Some(Foreign::Iso { .. })))
}

/// Verifies every WIM on the medium at `path`: `request.verify` gives the
/// medium's digests and the digests expected of it, `inner` the WIMs' own
/// whole-file digests (`(sha256, sha1)`; off by default), `request.targets`
/// the targets to judge for.
pub fn verify_medium(
    path: &Path,
    request: &Request,
    inner: (bool, bool),
    threads: usize,
    progress: Progress,
) -> Result<MediumRun, DriverError> {
    let phase1 = Clock::start();
    let iso = FileReader::open(path).map_err(|error| DriverError::Open {
        path: path.to_path_buf(),
        error,
    })?;
    let name = iso.name().to_string();
    let medium_err = |error: MediumError| match error {
        MediumError::Read(error) => DriverError::Read {
            name: name.clone(),
            error,
        },
        error => DriverError::Medium {
            name: name.clone(),
            error,
        },
    };
    let m = medium::open(&iso).map_err(medium_err)?;
    let sets = medium::wim_sets(&m, &iso).map_err(medium_err)?;
    if sets.is_empty() {
        return Err(DriverError::NoWim {
            name,
            kind: m.kind,
            files: m.files.len(),
        });
    }
    let lanes = threads.max(1);
    let opts = Options {
        sha256: inner.0,
        sha1: inner.1,
        expect_sha256: None,
        expect_sha1: None,
    };
    // Phase 1 of each WIM, through its extents.
    let mut split = crate::verify::split::SplitCount::default();
    let mut verifiers = Vec::with_capacity(sets.len());
    let mut plans = Vec::with_capacity(sets.len());
    for set in &sets {
        let readers = set
            .iter()
            .map(|&i| ExtentReader::new(&iso, &m.files[i]))
            .collect::<Result<Vec<_>, _>>()
            .map_err(medium_err)?;
        let files: Vec<(&str, &dyn ReadAt)> = set
            .iter()
            .zip(&readers)
            .map(|(&i, r)| (m.files[i].path.as_str(), r as &dyn ReadAt))
            .collect();
        let mut v = Verifier::open(&files, opts.clone()).map_err(|error| DriverError::Read {
            name: format!("{name}: {}", m.files[set[0]].path),
            error,
        })?;
        v.count_zero_blocks();
        let files: Vec<&dyn ReadAt> = readers.iter().map(|r| r as &dyn ReadAt).collect();
        let (plan, count) = v
            .take_lanes_split(lanes, &files, DigestLane::First)
            .map_err(|error| DriverError::Read {
                name: format!("{name}: {}", m.files[set[0]].path),
                error,
            })?;
        split.resources += count.resources;
        split.runs += count.runs;
        plans.push(plan);
        verifiers.push(v);
    }
    let inners: Vec<Inner> = sets
        .iter()
        .zip(&plans)
        .map(|(set, plan)| Inner::from_tasks(set.iter().map(|&i| &m.files[i]).collect(), plan))
        .collect();
    let (sha256, sha1) = (request.verify.sha256, request.verify.sha1);
    let schedule = MediumSchedule::new(iso.size(), &inners, sha256 || sha1, SLICE as u64)
        .map_err(medium_err)?;
    let names: Vec<Vec<String>> = verifiers
        .iter()
        .map(|v| v.opened.parts.iter().map(|p| p.name.clone()).collect())
        .collect();
    let decodes = plans.iter().flatten().flatten().any(super::decodes);
    let digest_task = (sha256 || sha1).then(|| TaskSpec {
        id: 0,
        part: 0,
        start: 0,
        end: iso.size(),
        kind: TaskKind::FileDigest { sha256, sha1 },
    });
    let mut stats = Stats {
        phase1: phase1.elapsed().0,
        lanes,
        split_resources: split.resources,
        split_runs: split.runs,
        ..Stats::default()
    };
    let phase2 = Clock::start();
    let (results, digest) = run(
        &iso,
        &schedule,
        plans,
        &names,
        digest_task,
        lanes,
        if decodes {
            LANE_QUEUE_BYTES
        } else {
            LANE_QUEUE_STORED_BYTES
        },
        progress,
    )?;
    (stats.phase2, stats.phase2_cpu) = phase2.elapsed();
    let now = std::fs::metadata(path).map(|x| x.len()).unwrap_or(u64::MAX);
    if now != iso.size() {
        return Err(DriverError::Changed { name });
    }
    let mut by_wim: Vec<Vec<TaskResult>> = vec![Vec::new(); verifiers.len()];
    for (w, r) in results {
        if let Some(list) = by_wim.get_mut(w as usize) {
            list.extend(r);
        }
    }
    let mut outcomes = Vec::with_capacity(verifiers.len());
    for (w, (v, results)) in verifiers.into_iter().zip(by_wim).enumerate() {
        let mut o = v.finish(results);
        o.findings.extend(schedule.findings_for(w as u32));
        o.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        outcomes.push((o, m.files[sets[w][0]].path.clone()));
    }
    let info = MediumInfo {
        name,
        size: iso.size(),
        digests: Digests {
            sha256: digest.as_ref().and_then(|d| d.sha256.clone()),
            sha1: digest.as_ref().and_then(|d| d.sha1.clone()),
        },
    };
    let reports = assess::medium_reports(
        &info,
        outcomes,
        &request.verify,
        &request.targets,
        &now_iso(),
    );
    Ok(MediumRun {
        info,
        kind: m.kind,
        reports,
        main_bytes: schedule.main_bytes(),
        second_pass_bytes: schedule.second_pass_bytes(),
        second_pass_files: schedule.second_pass_files().len(),
        stats,
    })
}

/// A slice for one thread: the bytes, where they lie on the medium,
/// whether they feed the medium's digest, and the thread's feeds.
type Msg = (Arc<Vec<u8>>, u64, bool, Vec<Feed>);

/// What the threads return: per WIM its task results, and the medium's
/// digest task's result.
type Results = (Vec<(u32, Vec<TaskResult>)>, Option<TaskResult>);

#[allow(clippy::too_many_arguments)]
fn run(
    iso: &FileReader,
    schedule: &MediumSchedule,
    plans: Vec<Vec<Vec<TaskSpec>>>,
    names: &[Vec<String>],
    digest_task: Option<TaskSpec>,
    lanes: usize,
    queue_bytes: usize,
    progress: Progress,
) -> Result<Results, DriverError> {
    // Thread k: lane k of every WIM, one Lane per part. The digest gets a
    // thread of its own beside them, unless there is only one.
    let digest_thread = match (&digest_task, lanes) {
        (None, _) => None,
        (Some(_), 1) => Some(0),
        (Some(_), n) => Some(n),
    };
    let threads = lanes + usize::from(digest_thread == Some(lanes));
    let mut per_thread: Vec<Vec<((u32, u16), Lane)>> = (0..threads).map(|_| Vec::new()).collect();
    // One board per WIM: the runs of its split resources, on every thread.
    let boards: Vec<Arc<SharedBoard>> = plans.iter().map(|_| SharedBoard::new()).collect();
    for (w, plan) in plans.into_iter().enumerate() {
        for (k, tasks) in plan.into_iter().enumerate() {
            let mut by_part: HashMap<u16, Vec<TaskSpec>> = HashMap::new();
            for t in tasks {
                by_part.entry(t.part).or_default().push(t);
            }
            for (p, tasks) in by_part {
                let lane = Lane::with_board(tasks, names[w].clone(), boards[w].clone());
                per_thread[k].push(((w as u32, p), lane));
            }
        }
    }
    let queue = (queue_bytes / SLICE).max(1);
    let total = schedule.total_bytes();
    let name = iso.name().to_string();
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for (j, mine) in per_thread.into_iter().enumerate() {
            let (tx, rx) = sync_channel::<Msg>(queue);
            senders.push(tx);
            let mut digest = (digest_thread == Some(j))
                .then(|| digest_task.clone())
                .flatten()
                .map(|t| Lane::new(vec![t], vec![name.clone()]));
            let boards = boards.clone();
            handles.push(scope.spawn(move || {
                let _poison: Vec<PoisonOnPanic> = boards.into_iter().map(PoisonOnPanic).collect();
                let mut lanes = mine;
                let index: HashMap<(u32, u16), usize> = lanes
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (*k, i))
                    .collect();
                for (buf, at, for_digest, feeds) in rx {
                    if for_digest {
                        if let Some(d) = &mut digest {
                            d.feed(0, at, &buf);
                        }
                    }
                    for f in feeds {
                        let Some(&i) = index.get(&(f.wim, f.part)) else {
                            continue;
                        };
                        // The schedule keeps feeds inside their slice.
                        let bytes = &buf[f.skip as usize..(f.skip + f.len) as usize];
                        lanes[i].1.feed(f.part, f.offset, bytes);
                    }
                }
                let results: Vec<(u32, Vec<TaskResult>)> = lanes
                    .into_iter()
                    .map(|((w, _), lane)| (w, lane.finish()))
                    .collect();
                let digest = digest.map(|d| d.finish()).and_then(|mut r| r.pop());
                (results, digest)
            }));
        }
        let mut pool: Vec<Arc<Vec<u8>>> = Vec::new();
        let mut read_result = Ok(());
        let mut done = 0u64;
        for s in schedule.slices() {
            // Slices are at most SLICE bytes.
            let len = s.len as usize;
            let mut buf = match pool.iter().position(|b| Arc::strong_count(b) == 1) {
                Some(i) => pool.swap_remove(i),
                None => Arc::new(vec![0u8; SLICE]),
            };
            let Some(bytes) = Arc::get_mut(&mut buf) else {
                read_result = Err(DriverError::Read {
                    name: name.clone(),
                    error: ReadError::new(
                        0,
                        s.len,
                        "internal error: a read buffer is still in use",
                    ),
                });
                break;
            };
            bytes.resize(len, 0);
            let at = match s.source {
                Source::Medium { start } => {
                    if let Err(error) = iso.read_at(start, bytes) {
                        read_result = Err(DriverError::Read {
                            name: name.clone(),
                            error,
                        });
                        break;
                    }
                    start
                }
                Source::Zeros => {
                    bytes.fill(0);
                    0
                }
            };
            let mut feeds: Vec<Vec<Feed>> = vec![Vec::new(); threads];
            for f in s.feeds {
                if let Some(v) = feeds.get_mut(f.lane as usize) {
                    v.push(f);
                }
            }
            for (j, f) in feeds.into_iter().enumerate() {
                let for_digest = s.digest && digest_thread == Some(j);
                if f.is_empty() && !for_digest {
                    continue;
                }
                // A thread that panicked has dropped its receiver; the
                // join below reports it.
                let _ = senders[j].send((Arc::clone(&buf), at, for_digest, f));
            }
            pool.push(buf);
            done = done.saturating_add(s.len);
            progress(done, total);
        }
        progress(total, total);
        drop(senders);
        let mut results = Vec::new();
        let mut digest = None;
        for h in handles {
            match h.join() {
                Ok((r, d)) => {
                    results.extend(r);
                    digest = digest.or(d);
                }
                Err(_) => {
                    return Err(DriverError::Read {
                        name: name.clone(),
                        error: ReadError::new(0, 0, "internal error: a verification thread failed"),
                    })
                }
            }
        }
        read_result.map(|_| (results, digest))
    })
}
