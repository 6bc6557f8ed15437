//! The reader worker's plan for the main pass: which slices of which part
//! to read, in order, and which lanes need each one. Every byte any lane
//! needs is read exactly once; stretches no lane needs are skipped (with
//! the default options lane 0 hashes the whole file, so nothing is).
//!
//! Where the page hashes integrity chunks with WebCrypto (one-shot only, so
//! each chunk must lie whole in one read), the reads of a part are cut at
//! the chunk boundaries of its integrity table ([`Grid`]), and each slice
//! lists the chunks it holds ([`ChunkRef`]).

use serde::Serialize;

/// One read of the main pass: `[start, end)` of `part`, posted to `lanes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SliceSpec {
    pub part: u16,
    pub start: u64,
    pub end: u64,
    pub lanes: Vec<u32>,
    /// Integrity chunks that lie whole in this slice, for WebCrypto.
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

/// The chunk boundaries of a part's integrity table: `origin`,
/// `origin + step`, `origin + 2 * step`, ... up to `end`, and `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub origin: u64,
    pub step: u64,
    pub end: u64,
}

impl Grid {
    /// Where a read from `start` of at most about `slice` bytes should end:
    /// the last boundary in `(start, start + slice]`, or the first one after
    /// `start` if there is none in it (a chunk longer than `slice`). Past
    /// the table's end the grid does not cut: `start + slice`.
    fn cut(&self, start: u64, slice: u64) -> u64 {
        let target = start.saturating_add(slice);
        if start >= self.end || self.step == 0 || self.origin >= self.end {
            return target;
        }
        if target >= self.end {
            return self.end;
        }
        if target < self.origin {
            return target;
        }
        let last = self.origin + (target - self.origin) / self.step * self.step;
        if last > start {
            return last;
        }
        // No boundary in (start, target]: the next one after start.
        let next = self.origin + ((start - self.origin) / self.step + 1) * self.step;
        next.min(self.end)
    }
}

/// Plans the slices for lanes whose merged needs (as from
/// `Lane::needed_ranges`, sorted by part then offset) are `needs`, over
/// parts of `sizes` bytes, reading at most `slice` bytes at a time, cut at
/// the boundaries of `grids[part]` where there is one.
pub fn plan_slices(
    needs: &[Vec<(u16, u64, u64)>],
    sizes: &[u64],
    slice: u64,
    grids: &[Option<Grid>],
) -> Vec<SliceSpec> {
    let slice = slice.max(1);
    let mut out = Vec::new();
    // Per lane, the first range that may still matter.
    let mut cursor = vec![0usize; needs.len()];
    for (pi, &size) in sizes.iter().enumerate() {
        let Ok(pi) = u16::try_from(pi) else { break };
        let mut off = 0u64;
        while off < size {
            // Drop ranges that end at or before `off` (or lie in earlier parts).
            for (k, n) in needs.iter().enumerate() {
                while cursor[k] < n.len()
                    && (n[cursor[k]].0 < pi || (n[cursor[k]].0 == pi && n[cursor[k]].2 <= off))
                {
                    cursor[k] += 1;
                }
            }
            let next = needs
                .iter()
                .zip(&cursor)
                .filter_map(|(n, &c)| n.get(c).filter(|r| r.0 == pi).map(|r| r.1.max(off)))
                .min();
            let Some(start) = next else { break };
            if start >= size {
                break;
            }
            let end = match grids.get(pi as usize).copied().flatten() {
                Some(g) => g.cut(start, slice),
                None => start.saturating_add(slice),
            }
            .min(size);
            let lanes: Vec<u32> = needs
                .iter()
                .zip(&cursor)
                .enumerate()
                .filter(|(_, (n, &c))| {
                    n[c.min(n.len())..]
                        .iter()
                        .take_while(|r| r.0 == pi && r.1 < end)
                        .any(|r| r.2 > start)
                })
                .map(|(k, _)| k as u32)
                .collect();
            // A slice only empty ranges touch feeds no one; skip its read.
            if !lanes.is_empty() {
                out.push(SliceSpec {
                    part: pi,
                    start,
                    end,
                    lanes,
                    chunks: Vec::new(),
                });
            }
            off = end;
        }
    }
    out
}

/// One integrity chunk to place: external task `task`, chunk `chunk`, at
/// `[start, end)` of `part`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkSpan {
    pub task: u32,
    pub chunk: u32,
    pub part: u16,
    pub start: u64,
    pub end: u64,
}

/// Lists each chunk of `spans` in the slice that holds it whole. Returns
/// false if some chunk lies in no slice whole (the caller then hashes the
/// chunks in the lanes instead).
pub fn place_chunks(slices: &mut [SliceSpec], spans: &[ChunkSpan]) -> bool {
    let mut spans: Vec<ChunkSpan> = spans.to_vec();
    spans.sort_by_key(|c| (c.part, c.start, c.end));
    let mut i = 0usize;
    for c in &spans {
        // Slices are in (part, start) order and do not overlap.
        while i < slices.len()
            && (slices[i].part < c.part || (slices[i].part == c.part && slices[i].end <= c.start))
        {
            i += 1;
        }
        let Some(s) = slices.get_mut(i) else {
            return false;
        };
        if s.part != c.part || s.start > c.start || s.end < c.end {
            return false;
        }
        s.chunks.push(ChunkRef {
            task: c.task,
            chunk: c.chunk,
            from: c.start - s.start,
            to: c.end - s.start,
        });
    }
    true
}
