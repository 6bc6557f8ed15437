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
mod tests {
    use super::*;

    fn file(path: &str, extents: &[(u64, u64, bool)]) -> MediumFile {
        MediumFile {
            path: path.into(),
            size: extents.iter().map(|e| e.1).sum(),
            extents: extents
                .iter()
                .map(|&(offset, len, zeros)| Extent { offset, len, zeros })
                .collect(),
        }
    }

    fn span(part: u16, start: u64, end: u64) -> Span {
        Span { part, start, end }
    }

    /// Walks a schedule as a driver does, over `medium`'s bytes, and checks
    /// every rule of the module doc: the main pass ascending, disjoint,
    /// within the medium, slices of at most `slice` bytes, the whole medium
    /// once when `digest`, no byte no lane needs otherwise; second-pass
    /// slices within one extent; every byte each lane needs fed to it
    /// exactly once, in ascending file offset per lane and part, equal to
    /// the file's byte (read through `ExtentReader`), and nothing else fed.
    fn walk(medium: &[u8], wims: &[Inner], digest: bool, slice: u64) -> Vec<Slice> {
        let sched = MediumSchedule::new(medium.len() as u64, wims, digest, slice).unwrap();
        let out: Vec<Slice> = sched.slices().collect();
        let main: Vec<&Slice> = out.iter().filter(|s| s.pass == Pass::Main).collect();
        // The main pass comes first.
        assert!(out.iter().skip(main.len()).all(|s| s.pass != Pass::Main));
        let mut at = 0u64;
        let mut covered = 0u64;
        for s in &main {
            let Source::Medium { start } = s.source else {
                panic!("main pass reads the medium: {s:?}")
            };
            assert!(start >= at, "{s:?} after {at}");
            assert!(s.len >= 1 && s.len <= slice.max(1), "{s:?}");
            assert!(start + s.len <= medium.len() as u64);
            assert_eq!(s.digest, digest && !medium.is_empty());
            if digest {
                assert_eq!(start, at, "the digest needs every byte");
            } else {
                // Every byte of the slice is fed to some lane.
                let mut fed = vec![false; s.len as usize];
                for f in &s.feeds {
                    for b in &mut fed[f.skip as usize..(f.skip + f.len) as usize] {
                        *b = true;
                    }
                }
                assert!(fed.iter().all(|&b| b), "{s:?}: bytes no lane needs");
            }
            at = start + s.len;
            covered += s.len;
        }
        if digest {
            assert_eq!(covered, medium.len() as u64);
        }
        assert_eq!(sched.total_bytes(), out.iter().map(|s| s.len).sum::<u64>());
        // Replay the feeds.
        use std::collections::BTreeMap;
        let mut got: BTreeMap<(u32, u16, u32), Vec<(u64, u8)>> = BTreeMap::new();
        for s in &out {
            let bytes: Vec<u8> = match s.source {
                Source::Medium { start } => {
                    medium[start as usize..(start + s.len) as usize].to_vec()
                }
                Source::Zeros => vec![0; s.len as usize],
            };
            if let Pass::Own { wim, part } = s.pass {
                let f = wims[wim as usize].files[part as usize];
                assert!(s.feeds.iter().all(|x| x.wim == wim && x.part == part));
                // Within one extent: the slice's file range maps to one.
                let first = s.feeds.iter().map(|x| x.offset - x.skip).next();
                if let Some(file_start) = first {
                    let mut e_at = 0u64;
                    let e = f
                        .extents
                        .iter()
                        .find(|e| {
                            let hit = file_start >= e_at && file_start < e_at + e.len;
                            e_at += e.len;
                            hit
                        })
                        .unwrap();
                    let e_start = e_at - e.len;
                    assert!(
                        file_start + s.len <= e_start + e.len,
                        "{s:?} crosses an extent"
                    );
                    assert_eq!(e.zeros, s.source == Source::Zeros);
                }
            }
            for x in &s.feeds {
                assert!(x.len > 0 && x.skip + x.len <= s.len, "{x:?} in {s:?}");
                let v = got.entry((x.wim, x.part, x.lane)).or_default();
                for i in 0..x.len {
                    v.push((x.offset + i, bytes[(x.skip + i) as usize]));
                }
            }
        }
        for (w, inner) in wims.iter().enumerate() {
            for (p, f) in inner.files.iter().enumerate() {
                let r = crate::medium::ExtentReader::new(&medium, f).unwrap();
                let mut content = vec![0u8; f.size as usize];
                crate::read::ReadAt::read_at(&r, 0, &mut content).unwrap();
                for (k, spans) in inner.lanes.iter().enumerate() {
                    let want: Vec<u64> = runs_of(spans, p as u16, f.size)
                        .into_iter()
                        .flat_map(|(a, b)| a..b)
                        .collect();
                    let fed = got
                        .remove(&(w as u32, p as u16, k as u32))
                        .unwrap_or_default();
                    let offsets: Vec<u64> = fed.iter().map(|x| x.0).collect();
                    assert_eq!(offsets, want, "wim {w} part {p} lane {k}");
                    for (o, b) in fed {
                        assert_eq!(b, content[o as usize], "wim {w} part {p} offset {o}");
                    }
                }
            }
        }
        assert!(got.is_empty(), "fed to lanes that need nothing: {got:?}");
        out
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn one_pass_in_medium_order_feeds_each_lane_its_bytes() {
        let medium: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        // A: two extents, adjacent on the medium (one run), then one apart.
        let a = file(
            "sources/install.wim",
            &[(20, 10, false), (30, 10, false), (60, 20, false)],
        );
        // B: a split set of two parts; part 0 lies after part 1 on the medium.
        let b0 = file("split/install.swm", &[(150, 30, false)]);
        let b1 = file("split/install2.swm", &[(100, 16, false)]);
        let wims = [
            Inner {
                files: vec![&a],
                lanes: vec![vec![span(0, 0, 40)], vec![span(0, 5, 12), span(0, 35, 39)]],
            },
            Inner {
                files: vec![&b0, &b1],
                lanes: vec![vec![span(0, 0, 30), span(1, 4, 16)]],
            },
        ];
        let s = walk(&medium, &wims, false, 16);
        let cuts: Vec<(u64, u64, usize)> = s
            .iter()
            .map(|x| match x.source {
                Source::Medium { start } => (start, x.len, x.feeds.len()),
                Source::Zeros => unreachable!(),
            })
            .collect();
        assert_eq!(
            cuts,
            vec![
                // A's file 0..20 at 20..40 (one run: the extents touch),
                // lane 1's 5..12 inside it; then A's 20..40 at 60..80, lane
                // 1's 35..39 there (75..79, across the slice's edge).
                (20, 16, 2),
                (36, 4, 1),
                (60, 16, 2),
                (76, 4, 2),
                (104, 12, 1),
                (150, 16, 1),
                (166, 14, 1),
            ]
        );
        // With the digest: the whole medium, every byte once.
        let s = walk(&medium, &wims, true, 16);
        assert_eq!(s.len(), 13);
        assert!(s.iter().all(|x| x.pass == Pass::Main));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn files_out_of_medium_order_get_a_second_pass_in_their_own_order() {
        let medium: Vec<u8> = (0..256u32).map(|i| (i ^ 0x5a) as u8).collect();
        // Its second half lies before its first on the medium; the other
        // has an unrecorded extent in the middle.
        let back = file("sources/install.wim", &[(100, 20, false), (10, 30, false)]);
        let holes = file(
            "sources/boot.wim",
            &[(200, 8, false), (0, 16, true), (240, 8, false)],
        );
        let wims = [
            Inner {
                files: vec![&back],
                lanes: vec![vec![span(0, 0, 50)], vec![span(0, 15, 25)]],
            },
            Inner {
                files: vec![&holes],
                lanes: vec![vec![span(0, 0, 32)]],
            },
        ];
        let sched = MediumSchedule::new(256, &wims, true, 64).unwrap();
        assert_eq!(sched.second_pass_files(), vec![(0, 0), (1, 0)]);
        let f = sched.findings_for(0);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::MediumSecondPass);
        assert!(
            f[0].message.contains("not in ascending order"),
            "{}",
            f[0].message
        );
        assert!(sched.findings_for(1)[0]
            .message
            .contains("1 of its 3 extents are unrecorded"));
        let s = walk(&medium, &wims, true, 64);
        let own: Vec<(Pass, Source, u64)> = s
            .iter()
            .filter(|x| x.pass != Pass::Main)
            .map(|x| (x.pass, x.source, x.len))
            .collect();
        let back_pass = Pass::Own { wim: 0, part: 0 };
        let holes_pass = Pass::Own { wim: 1, part: 0 };
        assert_eq!(
            own,
            vec![
                (back_pass, Source::Medium { start: 100 }, 20),
                (back_pass, Source::Medium { start: 10 }, 30),
                (holes_pass, Source::Medium { start: 200 }, 8),
                (holes_pass, Source::Zeros, 16),
                (holes_pass, Source::Medium { start: 240 }, 8),
            ]
        );
        // The main pass feeds nothing: only the digest reads it.
        assert!(s
            .iter()
            .filter(|x| x.pass == Pass::Main)
            .all(|x| x.feeds.is_empty()));
        // Without the digest there is no main pass at all.
        let s = walk(&medium, &wims, false, 7);
        assert!(s.iter().all(|x| x.pass != Pass::Main));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn shared_bytes_feed_both_files_and_impossible_extents_are_refused() {
        let medium: Vec<u8> = (0..64u8).collect();
        // Two files stored once (oscdimg's way with identical files).
        let x = file("a.wim", &[(8, 24, false)]);
        let y = file("b.wim", &[(8, 24, false)]);
        let wims = [
            Inner {
                files: vec![&x],
                lanes: vec![vec![span(0, 0, 24)]],
            },
            Inner {
                files: vec![&y],
                lanes: vec![vec![span(0, 0, 24)], vec![span(0, 0, 24)]],
            },
        ];
        let s = walk(&medium, &wims, false, 64);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].feeds.len(), 3);
        // Ranges past the end or in parts that do not exist are not read.
        let odd = [Inner {
            files: vec![&x],
            lanes: vec![vec![span(0, 20, 1000), span(3, 0, 10)]],
        }];
        let s = walk(&medium, &odd, false, 64);
        assert_eq!(s.iter().map(|x| x.len).sum::<u64>(), 4);
        // Extents outside the medium.
        let bad = file("c.wim", &[(60, 8, false)]);
        let wims = [Inner {
            files: vec![&bad],
            lanes: vec![vec![span(0, 0, 8)]],
        }];
        assert!(matches!(
            MediumSchedule::new(64, &wims, true, 8),
            Err(MediumError::BadExtents { offset: 60, .. })
        ));
        // An empty medium: nothing to read.
        assert_eq!(
            MediumSchedule::new(0, &[], true, 8)
                .unwrap()
                .slices()
                .count(),
            0
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn offsets_near_2_pow_64() {
        // The schedule alone (no bytes): a medium of nearly 2^64 bytes with
        // a file at its very end, in two extents, one before the other.
        let max = u64::MAX;
        let f = file("big.wim", &[(max - 100, 50, false), (max - 50, 50, false)]);
        let g = file(
            "back.wim",
            &[(max - 300, 10, false), (max - 400, 10, false)],
        );
        let wims = [
            Inner {
                files: vec![&f],
                lanes: vec![vec![span(0, 0, 100)]],
            },
            Inner {
                files: vec![&g],
                lanes: vec![vec![span(0, 0, max)]],
            },
        ];
        let s: Vec<Slice> = MediumSchedule::new(max, &wims, false, max)
            .unwrap()
            .slices()
            .collect();
        assert_eq!(s[0].source, Source::Medium { start: max - 100 });
        assert_eq!(s[0].len, 100);
        assert_eq!(
            s[1..].iter().map(|x| (x.source, x.len)).collect::<Vec<_>>(),
            vec![
                (Source::Medium { start: max - 300 }, 10),
                (Source::Medium { start: max - 400 }, 10)
            ]
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn random_media_keep_every_rule() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        for round in 0..300 {
            let size = 64 + next(2000);
            let medium: Vec<u8> = (0..size).map(|i| (i * 131 + round) as u8).collect();
            // Files: extents cut from random places of the medium, each
            // file's own disjoint (check_extents), in random order, some
            // of zeros; sometimes two files share bytes.
            let mut files = Vec::new();
            for f in 0..1 + next(5) {
                let n = 1 + next(5);
                let mut cuts: Vec<u64> = (0..2 * n).map(|_| next(size + 1)).collect();
                cuts.sort_unstable();
                cuts.dedup();
                let mut ex: Vec<(u64, u64, bool)> = cuts
                    .chunks_exact(2)
                    .map(|c| (c[0], c[1] - c[0], next(8) == 0))
                    .filter(|e| e.1 > 0)
                    .collect();
                if next(2) == 0 {
                    // Shuffle: out of medium order.
                    for i in (1..ex.len()).rev() {
                        ex.swap(i, next(i as u64 + 1) as usize);
                    }
                }
                files.push(file(&format!("f{f}.wim"), &ex));
            }
            // WIMs: one or two files each (a split set), lanes with random
            // spans, some past the part's end or in no part.
            let mut wims = Vec::new();
            let mut i = 0;
            while i < files.len() {
                let parts = (1 + next(2) as usize).min(files.len() - i);
                let group: Vec<&MediumFile> = files[i..i + parts].iter().collect();
                i += parts;
                let lanes = (0..1 + next(3))
                    .map(|_| {
                        (0..next(6))
                            .map(|_| {
                                let p = next(parts as u64 + 1) as u16;
                                let len = group.get(p as usize).map_or(10, |f| f.size);
                                let a = next(len + 5);
                                span(p, a, a + next(len + 10))
                            })
                            .collect()
                    })
                    .collect();
                wims.push(Inner {
                    files: group,
                    lanes,
                });
            }
            let slice = 1 + next(300);
            walk(&medium, &wims, round % 2 == 0, slice);
        }
    }
}
