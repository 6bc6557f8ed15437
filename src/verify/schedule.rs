//! The main pass's schedule: which bytes of which part to read, in which
//! slices, and which lanes need each slice. Both drivers walk it (the
//! native reader thread, and the page's reader worker, which gets it from
//! wasm); it does no I/O and knows nothing of threads or workers.
//!
//! Given the tasks as assigned to lanes ([`super::Verifier::lane_indices`]),
//! the parts' sizes and the driver's slice size, [`Schedule::slices`] yields
//! every byte some lane needs exactly once, part by part in file order, in
//! slices of at most the slice size; bytes no lane needs are not read (a
//! whole-file digest, on whichever lane has it, needs every byte of its
//! part, so with the default options nothing is skipped). A slice never
//! spans two parts or a gap, so each slice is one read.
//!
//! A driver that hashes some ranges itself, outside the lanes (the page
//! gives the integrity table's chunks to WebCrypto, which hashes only whole
//! buffers), names them with [`Schedule::whole`]: their bytes are read
//! whether or not a lane needs them, each lies whole in one slice (slices
//! are cut at their boundaries; one longer than the slice size gets a slice
//! of its own), and each slice says which of them it holds.

use super::task::TaskSpec;
use std::ops::Range;

/// Bytes `[start, end)` of part `part` (an index into the parts' sizes:
/// the image's own files, then its reference WIMs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub part: u16,
    pub start: u64,
    pub end: u64,
}

/// One read of the main pass: bytes `[start, end)` of `part`, for `lanes`
/// (in increasing order; empty when only a whole span needs the bytes),
/// holding the whole spans `whole` (indices into [`Schedule::whole`]'s
/// list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub part: u16,
    pub start: u64,
    pub end: u64,
    pub lanes: Vec<u32>,
    pub whole: Range<usize>,
}

impl Slice {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The plan of the main pass; see the module doc.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Per lane, the ranges its tasks need: within the parts, sorted,
    /// merged.
    lanes: Vec<Vec<Span>>,
    /// The ranges to read: the lanes' and the whole spans', merged.
    read: Vec<Span>,
    /// Ranges that must each lie whole in one slice: sorted, disjoint.
    whole: Vec<Span>,
    slice: u64,
}

impl Schedule {
    /// The schedule for `lanes` (each lane's tasks) over parts of `sizes`
    /// bytes, in slices of at most `slice` bytes (at least one). Bytes of a
    /// task past its part's end, or of a part not in `sizes`, are not read
    /// (the task then reports what it missed).
    pub fn new<'a, L, T>(lanes: L, sizes: &[u64], slice: u64) -> Schedule
    where
        L: IntoIterator<Item = T>,
        T: IntoIterator<Item = &'a TaskSpec>,
    {
        let lanes: Vec<Vec<Span>> = lanes
            .into_iter()
            .map(|tasks| {
                merged(
                    tasks
                        .into_iter()
                        .map(|t| Span {
                            part: t.part,
                            start: t.start,
                            end: t.end,
                        })
                        .collect(),
                    sizes,
                )
            })
            .collect();
        let read = merged(lanes.iter().flatten().copied().collect(), sizes);
        Schedule {
            lanes,
            read,
            whole: Vec::new(),
            slice: slice.max(1),
        }
    }

    /// Adds ranges that must each lie whole in one slice, and be read even
    /// if no lane needs them. Fails, giving the span, if one cannot be: it
    /// overlaps another or lies (partly) outside its part.
    pub fn whole(mut self, mut spans: Vec<Span>, sizes: &[u64]) -> Result<Schedule, Span> {
        spans.sort_unstable();
        for (i, s) in spans.iter().enumerate() {
            let inside = sizes
                .get(s.part as usize)
                .is_some_and(|&size| s.start < s.end && s.end <= size);
            let after_previous = i == 0 || {
                let p = spans[i - 1];
                p.part < s.part || p.end <= s.start
            };
            if !inside || !after_previous {
                return Err(*s);
            }
        }
        let mut all = std::mem::take(&mut self.read);
        all.extend_from_slice(&spans);
        self.read = merged(all, sizes);
        self.whole = spans;
        Ok(self)
    }

    /// The whole spans, in the order [`Slice::whole`] indexes them (sorted
    /// by part, then offset).
    pub fn whole_spans(&self) -> &[Span] {
        &self.whole
    }

    /// The lanes the schedule was made for.
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// The slices, in file order.
    pub fn slices(&self) -> Slices<'_> {
        Slices {
            schedule: self,
            range: 0,
            pos: self.read.first().map_or(0, |r| r.start),
            cursors: vec![0; self.lanes.len()],
            whole: 0,
        }
    }
}

/// `spans` within their parts, sorted and merged (touching ones too);
/// empty ones dropped.
fn merged(mut spans: Vec<Span>, sizes: &[u64]) -> Vec<Span> {
    spans.retain_mut(|s| match sizes.get(s.part as usize) {
        Some(&size) => {
            s.end = s.end.min(size);
            s.start < s.end
        }
        None => false,
    });
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if last.part == s.part && s.start <= last.end => {
                last.end = last.end.max(s.end)
            }
            _ => out.push(s),
        }
    }
    out
}

/// The iterator of [`Schedule::slices`].
pub struct Slices<'a> {
    schedule: &'a Schedule,
    /// The range of `read` being cut, and the next byte of it to read.
    range: usize,
    pos: u64,
    /// Per lane, its first range that does not end before `pos`.
    cursors: Vec<usize>,
    /// The first whole span that does not end before `pos`.
    whole: usize,
}

impl Iterator for Slices<'_> {
    type Item = Slice;

    fn next(&mut self) -> Option<Slice> {
        let s = self.schedule;
        let mut range = *s.read.get(self.range)?;
        if self.pos >= range.end {
            self.range += 1;
            range = *s.read.get(self.range)?;
            self.pos = range.start;
        }
        let (part, start) = (range.part, self.pos);
        let before = |r: &Span| r.part < part || (r.part == part && r.end <= start);
        // `range.end` is within the part, so the sum only saturates where
        // `min` takes `range.end` anyway.
        let mut end = start.saturating_add(s.slice).min(range.end);
        while s.whole.get(self.whole).is_some_and(before) {
            self.whole += 1;
        }
        // Whole spans are disjoint and none begins before `start` unread,
        // so only the last one starting before `end` can straddle it: the
        // slice then stops before it, or, if it starts here, holds it all.
        let first_whole = self.whole;
        let mut last_whole = first_whole;
        while s
            .whole
            .get(last_whole)
            .is_some_and(|w| w.part == part && w.start < end)
        {
            last_whole += 1;
        }
        if let Some(w) = last_whole.checked_sub(1).and_then(|i| s.whole.get(i)) {
            if last_whole > first_whole && w.end > end {
                if w.start > start {
                    end = w.start;
                    last_whole -= 1;
                } else {
                    end = w.end;
                }
            }
        }
        let mut lanes = Vec::new();
        for (k, (needs, cursor)) in s.lanes.iter().zip(&mut self.cursors).enumerate() {
            while needs.get(*cursor).is_some_and(before) {
                *cursor += 1;
            }
            if needs
                .get(*cursor)
                .is_some_and(|r| r.part == part && r.start < end)
            {
                lanes.push(k as u32);
            }
        }
        self.pos = end;
        Some(Slice {
            part,
            start,
            end,
            lanes,
            whole: first_whole..last_whole,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::task::TaskKind;

    fn task(part: u16, start: u64, end: u64) -> TaskSpec {
        TaskSpec {
            id: 0,
            part,
            start,
            end,
            kind: TaskKind::FileDigest {
                sha256: false,
                sha1: true,
            },
        }
    }

    fn span(part: u16, start: u64, end: u64) -> Span {
        Span { part, start, end }
    }

    /// Checks what every schedule must be: slices in file order, disjoint,
    /// none empty, none longer than `slice` unless it is one whole span, no
    /// byte outside the needed ranges, every byte a lane needs in a slice
    /// listing that lane (and so fed to it once, slices being disjoint), no
    /// lane listed for a slice it needs nothing of, and every whole span in
    /// exactly the slice that lists it.
    fn check(lanes: &[Vec<TaskSpec>], sizes: &[u64], slice: u64, whole: &[Span]) -> Vec<Slice> {
        let mut sched = Schedule::new(lanes, sizes, slice);
        if !whole.is_empty() {
            sched = sched.whole(whole.to_vec(), sizes).expect("whole spans");
        }
        let out: Vec<Slice> = sched.slices().collect();
        let clip = |s: Span| {
            let end = s.end.min(sizes.get(s.part as usize).copied().unwrap_or(0));
            (s.start < end).then_some(Span { end, ..s })
        };
        for w in out.windows(2) {
            assert!(
                (w[0].part, w[0].end) <= (w[1].part, w[1].start),
                "{:?} then {:?}",
                w[0],
                w[1]
            );
        }
        let wholes = sched.whole_spans();
        for sl in &out {
            assert!(sl.start < sl.end, "{sl:?}");
            assert!(sl.end <= sizes[sl.part as usize]);
            let one_whole =
                sl.whole.len() == 1 && wholes[sl.whole.start] == span(sl.part, sl.start, sl.end);
            assert!(sl.len() <= slice.max(1) || one_whole, "{sl:?} > {slice}");
            for w in &wholes[sl.whole.clone()] {
                assert!(w.part == sl.part && w.start >= sl.start && w.end <= sl.end);
            }
            // Each byte of the slice is needed by a lane or a whole span:
            // walk the slice through the sorted needs.
            let mut needs: Vec<Span> = lanes
                .iter()
                .flatten()
                .map(|t| span(t.part, t.start, t.end))
                .chain(wholes.iter().copied())
                .filter_map(clip)
                .filter(|n| n.part == sl.part && n.start < sl.end && n.end > sl.start)
                .collect();
            needs.sort();
            let mut covered = sl.start;
            for n in needs {
                assert!(
                    n.start <= covered,
                    "{sl:?}: bytes {covered}..{} unneeded",
                    n.start
                );
                covered = covered.max(n.end);
            }
            assert!(covered >= sl.end, "{sl:?}: bytes from {covered} unneeded");
            for (k, tasks) in lanes.iter().enumerate() {
                let needs = tasks.iter().any(|t| {
                    t.part == sl.part && t.start < t.end && t.start < sl.end && t.end > sl.start
                });
                assert_eq!(needs, sl.lanes.contains(&(k as u32)), "lane {k}, {sl:?}");
            }
        }
        for (k, tasks) in lanes.iter().enumerate() {
            for t in tasks {
                let Some(n) = clip(span(t.part, t.start, t.end)) else {
                    continue;
                };
                // The slices of this lane, cut to the task, cover it once.
                let mut at = n.start;
                for sl in out
                    .iter()
                    .filter(|s| s.part == n.part && s.lanes.contains(&(k as u32)))
                {
                    let (a, b) = (sl.start.max(n.start), sl.end.min(n.end));
                    if a < b {
                        assert_eq!(a, at, "lane {k} task {n:?}: gap or overlap at {at}");
                        at = b;
                    }
                }
                assert_eq!(at, n.end, "lane {k} task {n:?} not covered");
            }
        }
        for (i, w) in wholes.iter().enumerate() {
            let holders: Vec<&Slice> = out.iter().filter(|s| s.whole.contains(&i)).collect();
            assert_eq!(holders.len(), 1, "whole span {w:?}");
        }
        out
    }

    fn cuts(slices: &[Slice]) -> Vec<(u16, u64, u64, Vec<u32>)> {
        slices
            .iter()
            .map(|s| (s.part, s.start, s.end, s.lanes.clone()))
            .collect()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_needed_byte_once_in_order_and_gaps_skipped() {
        // Lane 0 needs all of part 0 (a whole-file digest); lane 1 two
        // stretches of it and part of part 1, which only it needs.
        let lanes = vec![
            vec![task(0, 0, 100)],
            vec![
                task(0, 10, 20),
                task(0, 70, 95),
                task(1, 30, 35),
                task(1, 5, 30),
            ],
        ];
        let s = check(&lanes, &[100, 40], 32, &[]);
        assert_eq!(
            cuts(&s),
            vec![
                (0, 0, 32, vec![0, 1]),
                (0, 32, 64, vec![0]),
                (0, 64, 96, vec![0, 1]),
                (0, 96, 100, vec![0]),
                // Touching ranges are one read; it ends where they do.
                (1, 5, 35, vec![1]),
            ]
        );
        // Without the digest, the stretches between lane 1's ranges are not read.
        let s = check(&lanes[1..], &[100, 40], 32, &[]);
        assert_eq!(
            cuts(&s),
            vec![
                (0, 10, 20, vec![0]),
                (0, 70, 95, vec![0]),
                (1, 5, 35, vec![0])
            ]
        );
        // Nothing needed: nothing read.
        let none: Vec<Vec<TaskSpec>> = vec![vec![], vec![]];
        assert_eq!(check(&none, &[1 << 40], 8 << 20, &[]), vec![]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reference_parts_and_parts_past_the_sizes() {
        // Parts 0 and 1 are the set's files; part 2 a reference WIM, whose
        // digest is not asked for: only its blobs are read. A task in a
        // part with no size (not given) and bytes past a part's end are not.
        let lanes = vec![
            vec![task(0, 0, 50), task(1, 0, 60)],
            vec![task(2, 1000, 1500), task(2, 4000, 4096), task(3, 0, 10)],
            vec![task(0, 20, 30), task(2, 1200, 9000)],
        ];
        let s = check(&lanes, &[50, 60, 5000], 256, &[]);
        assert_eq!(
            cuts(&s),
            vec![
                (0, 0, 50, vec![0, 2]),
                (1, 0, 60, vec![0]),
                (2, 1000, 1256, vec![1, 2]),
                (2, 1256, 1512, vec![1, 2]),
                (2, 1512, 1768, vec![2]),
                (2, 1768, 2024, vec![2]),
                (2, 2024, 2280, vec![2]),
                (2, 2280, 2536, vec![2]),
                (2, 2536, 2792, vec![2]),
                (2, 2792, 3048, vec![2]),
                (2, 3048, 3304, vec![2]),
                (2, 3304, 3560, vec![2]),
                (2, 3560, 3816, vec![2]),
                (2, 3816, 4072, vec![1, 2]),
                (2, 4072, 4328, vec![1, 2]),
                (2, 4328, 4584, vec![2]),
                (2, 4584, 4840, vec![2]),
                (2, 4840, 5000, vec![2]),
            ]
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn whole_spans_cut_the_slices_and_each_lies_in_one() {
        // Integrity chunks of 10 bytes from 208 up to 263 (the last one 5),
        // hashed apart; the part is 300 bytes, needed whole by lane 0;
        // slices of at most 25 bytes.
        let chunks: Vec<Span> = (0..6)
            .map(|k| span(0, 208 + 10 * k, (218 + 10 * k).min(263)))
            .collect();
        let lanes = vec![vec![task(0, 0, 300)], vec![task(0, 100, 240)]];
        let s = check(&lanes, &[300], 25, &chunks);
        assert_eq!((s[0].start, s[0].end), (0, 25));
        for sl in &s {
            // Inside the table's span, slices end on chunk boundaries.
            assert!(
                sl.end <= 208 || sl.end >= 263 || (sl.end - 208) % 10 == 0,
                "{sl:?}"
            );
        }
        // A slice stops before a chunk it cannot hold whole: from 200,
        // chunk 0 and not 1; then two chunks a slice (20 of 25 bytes).
        let table: Vec<(u64, u64, Range<usize>)> = s
            .iter()
            .filter(|x| x.end > 200 && x.start < 263)
            .map(|x| (x.start, x.end, x.whole.clone()))
            .collect();
        assert_eq!(
            table,
            vec![(200, 218, 0..1), (218, 238, 1..3), (238, 263, 3..6)]
        );
        // The lanes' needs alone: the chunks are read too, in slices no
        // lane needs (the driver hashes them and recycles the buffer).
        let lane1 = vec![vec![task(0, 100, 200)]];
        let s = check(&lane1, &[300], 25, &chunks);
        let tail: Vec<(u64, u64, Vec<u32>, Range<usize>)> = s
            .iter()
            .filter(|x| x.start >= 200)
            .map(|x| (x.start, x.end, x.lanes.clone(), x.whole.clone()))
            .collect();
        assert_eq!(
            tail,
            vec![
                (208, 228, vec![], 0..2),
                (228, 248, vec![], 2..4),
                (248, 263, vec![], 4..6)
            ]
        );
        // A chunk longer than a slice gets one slice of its own, whole;
        // the slices around it stay within the size.
        let big: Vec<Span> = (0..8)
            .map(|k| span(0, 208 + 100 * k, (308 + 100 * k).min(1000)))
            .collect();
        let s = check(&[vec![task(0, 0, 1000)]], &[1000], 64, &big);
        assert_eq!(
            s.iter().map(|x| (x.start, x.end)).collect::<Vec<_>>(),
            [(0, 64), (64, 128), (128, 192), (192, 208)]
                .into_iter()
                .chain((0..8).map(|k| (208 + 100 * k, (308 + 100 * k).min(1000))))
                .collect::<Vec<_>>()
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn whole_spans_that_cannot_lie_whole_are_refused() {
        let lanes = vec![vec![task(0, 0, 300)]];
        let sched = || Schedule::new(&lanes, &[300, 10], 25);
        // Overlapping, past the part's end, in no part, empty.
        assert!(sched()
            .whole(vec![span(0, 10, 30), span(0, 29, 40)], &[300, 10])
            .is_err());
        assert!(sched().whole(vec![span(1, 5, 11)], &[300, 10]).is_err());
        assert!(sched().whole(vec![span(2, 0, 1)], &[300, 10]).is_err());
        assert!(sched().whole(vec![span(0, 7, 7)], &[300, 10]).is_err());
        // Touching ones and the same range in two parts are fine.
        assert!(sched()
            .whole(
                vec![span(1, 0, 10), span(0, 10, 20), span(0, 0, 10)],
                &[300, 10]
            )
            .is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn offsets_near_2_pow_64() {
        let max = u64::MAX;
        // A part of u64::MAX bytes: needs at its very end, a slice size
        // that overflows any sum, and one that does not.
        let lanes = vec![
            vec![task(0, max - 100, max)],
            vec![task(0, max - 50, max), task(1, max - 3, max)],
        ];
        let s = check(&lanes, &[max, max], max, &[]);
        assert_eq!(
            cuts(&s),
            vec![(0, max - 100, max, vec![0, 1]), (1, max - 3, max, vec![1])]
        );
        let s = check(&lanes, &[max, max], 40, &[span(0, max - 45, max - 5)]);
        assert_eq!(
            cuts(&s),
            vec![
                (0, max - 100, max - 60, vec![0]),
                (0, max - 60, max - 45, vec![0, 1]),
                (0, max - 45, max - 5, vec![0, 1]),
                (0, max - 5, max, vec![0, 1]),
                (1, max - 3, max, vec![1]),
            ]
        );
        // A task that claims to end past the part (u64::MAX in a part of
        // u64::MAX - 1 bytes) reads up to the part's end.
        let s = check(&[vec![task(0, max - 10, max)]], &[max - 1], 4, &[]);
        assert_eq!(s.last().map(|x| x.end), Some(max - 1));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn random_plans_keep_every_rule() {
        // A small xorshift: the same plans every run.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        for round in 0..400 {
            let parts = 1 + next(3) as usize;
            let base = if round % 4 == 0 { u64::MAX - 5010 } else { 0 };
            let sizes: Vec<u64> = (0..parts).map(|_| base + next(5000)).collect();
            let nlanes = 1 + next(4) as usize;
            let mut lanes: Vec<Vec<TaskSpec>> = vec![Vec::new(); nlanes];
            if round % 3 == 0 {
                // The whole-file digests, on lane 0 (from `base`: a part
                // of nearly 2^64 bytes is not walked from 0 here).
                for (p, &size) in sizes.iter().enumerate() {
                    lanes[0].push(task(p as u16, base, size));
                }
            }
            for _ in 0..next(30) {
                let part = next(parts as u64 + 1) as u16; // sometimes no such part
                let size = sizes.get(part as usize).copied().unwrap_or(base + 5000);
                let start = base + next(size - base + 10);
                let end = start.saturating_add(next(900));
                lanes[next(nlanes as u64) as usize].push(task(part, start, end));
            }
            // Integrity-like chunks in some part, past a 208-byte header.
            let mut whole = Vec::new();
            if round % 2 == 0 {
                let part = next(parts as u64) as u16;
                let step = 1 + next(700);
                let end = sizes[part as usize];
                let mut at = (base + 208).min(end);
                while at < end && whole.len() < 20 {
                    whole.push(span(part, at, at.saturating_add(step).min(end)));
                    at = at.saturating_add(step);
                }
            }
            let slice = 1 + next(600);
            check(&lanes, &sizes, slice, &whole);
        }
    }
}
