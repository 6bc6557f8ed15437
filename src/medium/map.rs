//! The main pass over install media: which bytes of the medium to read, in
//! which slices, and which bytes of which WIM inside (and for which of its
//! lanes) each slice holds. Both drivers walk it (the native reader, and
//! later the page's reader worker); it does no I/O and knows nothing of
//! threads or workers.
//!
//! Given the WIMs found on the medium (each one image: a WIM, or the parts
//! of a split set), each with its files' extents ([`super::MediumFile`])
//! and the byte ranges its lanes need (from [`crate::verify::Verifier`]'s
//! lane plan, in the WIM's own file offsets), [`MediumSchedule::slices`]
//! yields:
//!
//! 1. the **main pass**: slices of the medium in ascending offset, each at
//!    most the slice size, never overlapping, each byte once. With the
//!    medium's digest on, they cover the whole medium `[0, size)` (bytes
//!    outside any WIM are read for the digest only); with it off, only the
//!    bytes some lane needs. Each slice lists its [`Feed`]s: which bytes of
//!    it go to which lane of which WIM part, at which offset of that part.
//!    A byte shared by two files (writers such as `oscdimg` store identical
//!    files once) feeds both.
//! 2. then, for each WIM file that cannot be fed in medium order (its
//!    extents are not ascending on the medium, or it has unrecorded extents
//!    that read as zeros), a **second pass over that file in its own
//!    order**: slices in ascending file offset, each within one extent (so
//!    one read of the medium, or zeros), feeding only that file's lanes.
//!
//! Per lane and WIM part, the fed bytes arrive in ascending file offset,
//! each needed byte exactly once: what [`crate::verify::Lane::feed`] asks.
//! A lane is fed whole runs of what it asked for; the bytes of a run it
//! does not need (between two of its tasks) are not fed.

use super::{check_extents, Extent, MediumError, MediumFile};
use crate::verify::code::Code;
use crate::verify::finding::Finding;
use crate::verify::schedule::Span;
use crate::verify::task::TaskSpec;

/// One WIM inside the medium, as the schedule needs it.
#[derive(Clone, Debug)]
pub struct Inner<'a> {
    /// Its files in the verifier's part order: part `i` is `files[i]`.
    pub files: Vec<&'a MediumFile>,
    /// Per lane, the byte ranges its tasks need (`part` indexes `files`;
    /// offsets are the WIM file's own).
    pub lanes: Vec<Vec<Span>>,
}

impl<'a> Inner<'a> {
    /// The needs of a verifier's lanes ([`crate::verify::Verifier::take_lanes`]):
    /// each task's part and range.
    pub fn from_tasks(files: Vec<&'a MediumFile>, lanes: &[Vec<TaskSpec>]) -> Inner<'a> {
        Inner {
            files,
            lanes: lanes
                .iter()
                .map(|tasks| {
                    tasks
                        .iter()
                        .map(|t| Span {
                            part: t.part,
                            start: t.start,
                            end: t.end,
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// Which pass a slice belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The pass over the medium in ascending offset.
    Main,
    /// The second pass over one file in its own order: WIM `wim`, part
    /// `part` (indices into the schedule's WIMs and their files).
    Own { wim: u32, part: u16 },
}

/// Where a slice's bytes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Bytes of the medium from this offset.
    Medium { start: u64 },
    /// An unrecorded extent of a file read in its own order: zeros, with
    /// nothing to read.
    Zeros,
}

/// Bytes of a slice for one lane of one WIM part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed {
    pub wim: u32,
    pub part: u16,
    pub lane: u32,
    /// Where in the slice the bytes start, and how many there are.
    pub skip: u64,
    pub len: u64,
    /// Offset in the WIM part of the first of them.
    pub offset: u64,
}

/// One read of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub pass: Pass,
    pub source: Source,
    pub len: u64,
    /// Whether the bytes feed the medium's digest (main pass only: then
    /// the main pass's slices cover the medium, in order).
    pub digest: bool,
    /// The lanes the bytes go to: for each lane and part, ascending file
    /// offsets across the slices.
    pub feeds: Vec<Feed>,
}

/// A lane's run of bytes: `[start, end)` in the pass's coordinates (the
/// medium's in the main pass, the file's in a second pass), fed to `lane`
/// of WIM `wim`'s part `part` from file offset `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Need {
    start: u64,
    end: u64,
    wim: u32,
    part: u16,
    lane: u32,
    offset: u64,
}

/// A file read in its own order.
#[derive(Clone, Debug)]
struct OwnOrder {
    wim: u32,
    part: u16,
    path: String,
    extents: Vec<Extent>,
    /// File offset where each extent starts (same index as `extents`).
    starts: Vec<u64>,
    needs: Vec<Need>,
    read: Vec<(u64, u64)>,
}

/// The reads of a medium's verification; see the module doc.
#[derive(Clone, Debug)]
pub struct MediumSchedule {
    size: u64,
    slice: u64,
    digest: bool,
    /// Main pass: the lanes' runs sorted by start, and the merged ranges
    /// to read.
    needs: Vec<Need>,
    read: Vec<(u64, u64)>,
    own: Vec<OwnOrder>,
}

impl MediumSchedule {
    /// The schedule for `wims` on a medium of `size` bytes, in slices of at
    /// most `slice` bytes (at least one), reading the whole medium for its
    /// digest when `digest`. Fails if a file's extents are impossible
    /// ([`check_extents`]: outside the medium, overlapping, not adding up
    /// to its size). Ranges past a part's end, or in a part the WIM does
    /// not have, are not read (the tasks then report what they missed).
    pub fn new(
        size: u64,
        wims: &[Inner],
        digest: bool,
        slice: u64,
    ) -> Result<MediumSchedule, MediumError> {
        let mut needs = Vec::new();
        let mut own = Vec::new();
        for (w, inner) in wims.iter().enumerate() {
            let w = w as u32;
            for (p, file) in inner.files.iter().enumerate() {
                check_extents(file, size)?;
                let p = p as u16;
                let in_order = file.is_ascending() && file.extents.iter().all(|e| !e.zeros);
                let mut file_needs = Vec::new();
                for (k, spans) in inner.lanes.iter().enumerate() {
                    let runs = runs_of(spans, p, file.size);
                    if in_order {
                        map_onto_medium(&runs, &file.extents, w, p, k as u32, &mut needs);
                    } else {
                        file_needs.extend(runs.iter().map(|&(start, end)| Need {
                            start,
                            end,
                            wim: w,
                            part: p,
                            lane: k as u32,
                            offset: start,
                        }));
                    }
                }
                if !in_order {
                    file_needs.sort_by_key(|n| (n.start, n.lane));
                    let read = merged(file_needs.iter().map(|n| (n.start, n.end)).collect());
                    let mut starts = Vec::with_capacity(file.extents.len());
                    let mut at = 0u64;
                    for e in &file.extents {
                        starts.push(at);
                        // check_extents proved the sum fits.
                        at += e.len;
                    }
                    own.push(OwnOrder {
                        wim: w,
                        part: p,
                        path: file.path.clone(),
                        extents: file.extents.clone(),
                        starts,
                        needs: file_needs,
                        read,
                    });
                }
            }
        }
        needs.sort_by_key(|n| (n.start, n.wim, n.part, n.lane));
        let mut read: Vec<(u64, u64)> = needs.iter().map(|n| (n.start, n.end)).collect();
        if digest && size > 0 {
            read.push((0, size));
        }
        Ok(MediumSchedule {
            size,
            slice: slice.max(1),
            digest: digest && size > 0,
            needs,
            read: merged(read),
            own,
        })
    }

    /// The medium's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the main pass reads the whole medium for its digest.
    pub fn digest(&self) -> bool {
        self.digest
    }

    /// The span the medium's digest covers (`[0, size)`, part 0), if it is
    /// computed.
    pub fn digest_span(&self) -> Option<Span> {
        self.digest.then_some(Span {
            part: 0,
            start: 0,
            end: self.size,
        })
    }

    /// Bytes the main pass reads.
    pub fn main_bytes(&self) -> u64 {
        self.read
            .iter()
            .fold(0u64, |a, r| a.saturating_add(r.1 - r.0))
    }

    /// Bytes read (or zeros made) by the second passes.
    pub fn second_pass_bytes(&self) -> u64 {
        self.own
            .iter()
            .flat_map(|o| o.read.iter())
            .fold(0u64, |a, r| a.saturating_add(r.1 - r.0))
    }

    /// Bytes of all slices (a progress bar's total).
    pub fn total_bytes(&self) -> u64 {
        self.main_bytes().saturating_add(self.second_pass_bytes())
    }

    /// The files read in their own order, as `(wim, part)`, in the order
    /// their second passes come.
    pub fn second_pass_files(&self) -> Vec<(u32, u16)> {
        self.own.iter().map(|o| (o.wim, o.part)).collect()
    }

    /// What the report of WIM `wim` says about how it was read: an info
    /// finding (`medium.second_pass`) per file of it read in its own order.
    pub fn findings_for(&self, wim: u32) -> Vec<Finding> {
        self.own
            .iter()
            .filter(|o| o.wim == wim)
            .map(|o| {
                let zeros = o.extents.iter().filter(|e| e.zeros).count();
                let why = if zeros > 0 {
                    format!(
                        "{} of its {} extents are unrecorded (read as zeros)",
                        zeros,
                        o.extents.len()
                    )
                } else {
                    format!(
                        "its {} extents are not in ascending order on the medium",
                        o.extents.len()
                    )
                };
                let mut f = Finding::info(
                    Code::MediumSecondPass,
                    format!(
                        "{}: {why}; it was read in its own order, in a second pass over its extents after the pass over the medium",
                        o.path
                    ),
                );
                f.part = Some(o.path.clone());
                f
            })
            .collect()
    }

    /// Every read, main pass first; see the module doc.
    pub fn slices(&self) -> Slices<'_> {
        Slices {
            schedule: self,
            pass: None,
            sweep: Sweep::new(&self.read, &self.needs),
            extent: 0,
        }
    }
}

/// `spans` of part `part`, cut at the part's `size`, sorted and merged
/// (touching ones too); empty ones dropped.
fn runs_of(spans: &[Span], part: u16, size: u64) -> Vec<(u64, u64)> {
    merged(
        spans
            .iter()
            .filter(|s| s.part == part)
            .map(|s| (s.start, s.end.min(size)))
            .collect(),
    )
}

/// Ranges sorted and merged (touching ones too), empty ones dropped.
fn merged(mut r: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    r.retain(|x| x.0 < x.1);
    r.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(r.len());
    for x in r {
        match out.last_mut() {
            Some(last) if x.0 <= last.1 => last.1 = last.1.max(x.1),
            _ => out.push(x),
        }
    }
    out
}

/// The runs `[start, end)` of a file (sorted, disjoint) mapped through its
/// extents (in file order, ascending on the medium, none of zeros) onto
/// the medium, as needs of one lane; a run crossing extents that are not
/// adjacent on the medium becomes one need per extent.
fn map_onto_medium(
    runs: &[(u64, u64)],
    extents: &[Extent],
    wim: u32,
    part: u16,
    lane: u32,
    out: &mut Vec<Need>,
) {
    let mut e = 0usize;
    let mut e_start = 0u64; // file offset where extent `e` starts
    let mut last: Option<usize> = None;
    for &(s, t) in runs {
        // Skip the extents that end before the run.
        while let Some(x) = extents.get(e) {
            if e_start + x.len > s {
                break;
            }
            e_start += x.len;
            e += 1;
        }
        let (mut i, mut i_start) = (e, e_start);
        while let Some(x) = extents.get(i) {
            if i_start >= t {
                break;
            }
            let a = s.max(i_start);
            let b = t.min(i_start + x.len);
            if a < b {
                // check_extents proved offset + len fits in the medium.
                let n = Need {
                    start: x.offset + (a - i_start),
                    end: x.offset + (b - i_start),
                    wim,
                    part,
                    lane,
                    offset: a,
                };
                match last.and_then(|l| out.get_mut(l)) {
                    Some(p) if p.end == n.start && p.offset + (p.end - p.start) == n.offset => {
                        p.end = n.end
                    }
                    _ => {
                        last = Some(out.len());
                        out.push(n);
                    }
                }
            }
            if i_start + x.len > t {
                break;
            }
            i_start += x.len;
            i += 1;
        }
    }
}

/// Cuts read ranges into slices and lists the needs each slice holds.
#[derive(Clone, Debug)]
struct Sweep<'a> {
    read: &'a [(u64, u64)],
    needs: &'a [Need],
    range: usize,
    pos: u64,
    next_need: usize,
    /// Needs started and not yet ended, in start order.
    active: Vec<usize>,
}

impl<'a> Sweep<'a> {
    fn new(read: &'a [(u64, u64)], needs: &'a [Need]) -> Sweep<'a> {
        Sweep {
            read,
            needs,
            range: 0,
            pos: read.first().map_or(0, |r| r.0),
            next_need: 0,
            active: Vec::new(),
        }
    }

    /// The next slice `[start, end)` of at most `slice` bytes, also ending
    /// at or before `limit(start)`, with its feeds.
    fn next(&mut self, slice: u64, limit: impl Fn(u64) -> u64) -> Option<(u64, u64, Vec<Feed>)> {
        let mut range = *self.read.get(self.range)?;
        if self.pos >= range.1 {
            self.range += 1;
            range = *self.read.get(self.range)?;
            self.pos = range.0;
        }
        let start = self.pos;
        let end = start
            .saturating_add(slice)
            .min(range.1)
            .min(limit(start))
            .max(start.saturating_add(1).min(range.1));
        while let Some(n) = self.needs.get(self.next_need) {
            if n.start >= end {
                break;
            }
            self.active.push(self.next_need);
            self.next_need += 1;
        }
        let mut feeds = Vec::new();
        for &i in &self.active {
            let n = &self.needs[i];
            let (a, b) = (n.start.max(start), n.end.min(end));
            if a < b {
                feeds.push(Feed {
                    wim: n.wim,
                    part: n.part,
                    lane: n.lane,
                    skip: a - start,
                    len: b - a,
                    offset: n.offset + (a - n.start),
                });
            }
        }
        let needs = self.needs;
        self.active.retain(|&i| needs[i].end > end);
        self.pos = end;
        Some((start, end, feeds))
    }
}

/// The iterator of [`MediumSchedule::slices`].
#[derive(Clone, Debug)]
pub struct Slices<'a> {
    schedule: &'a MediumSchedule,
    /// `None` in the main pass, else the index of the file in `own`.
    pass: Option<usize>,
    sweep: Sweep<'a>,
    /// In a second pass: the extent holding the sweep's position.
    extent: usize,
}

impl Iterator for Slices<'_> {
    type Item = Slice;

    fn next(&mut self) -> Option<Slice> {
        let s = self.schedule;
        loop {
            match self.pass {
                None => {
                    if let Some((start, end, feeds)) = self.sweep.next(s.slice, |_| u64::MAX) {
                        return Some(Slice {
                            pass: Pass::Main,
                            source: Source::Medium { start },
                            len: end - start,
                            digest: s.digest,
                            feeds,
                        });
                    }
                    self.pass = Some(0);
                    if let Some(o) = s.own.first() {
                        self.sweep = Sweep::new(&o.read, &o.needs);
                        self.extent = 0;
                    }
                }
                Some(i) => {
                    let o = s.own.get(i)?;
                    // Slices end where the extent holding their start does.
                    let ends = |at: u64| {
                        let k = o.starts.partition_point(|&x| x <= at).saturating_sub(1);
                        o.starts.get(k + 1).copied().unwrap_or(u64::MAX)
                    };
                    if let Some((start, end, feeds)) = self.sweep.next(s.slice, ends) {
                        while o.starts.get(self.extent + 1).is_some_and(|&x| x <= start) {
                            self.extent += 1;
                        }
                        let source = match (o.extents.get(self.extent), o.starts.get(self.extent)) {
                            (Some(e), Some(&at)) if !e.zeros => Source::Medium {
                                start: e.offset + (start - at),
                            },
                            _ => Source::Zeros,
                        };
                        return Some(Slice {
                            pass: Pass::Own {
                                wim: o.wim,
                                part: o.part,
                            },
                            source,
                            len: end - start,
                            digest: false,
                            feeds,
                        });
                    }
                    self.pass = Some(i + 1);
                    if let Some(next) = s.own.get(i + 1) {
                        self.sweep = Sweep::new(&next.read, &next.needs);
                        self.extent = 0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
