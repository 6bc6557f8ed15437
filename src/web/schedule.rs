//! The reader worker's plan for the main pass: which slices of which part
//! to read, in order, and which lanes need each one. Every byte any lane
//! needs is read exactly once; stretches no lane needs are skipped (with
//! the default options lane 0 hashes the whole file, so nothing is).

use serde::Serialize;

/// One read of the main pass: `[start, end)` of `part`, posted to `lanes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SliceSpec {
    pub part: u16,
    pub start: u64,
    pub end: u64,
    pub lanes: Vec<u32>,
}

/// Plans the slices for lanes whose merged needs (as from
/// `Lane::needed_ranges`, sorted by part then offset) are `needs`, over
/// parts of `sizes` bytes, reading at most `slice` bytes at a time.
pub fn plan_slices(needs: &[Vec<(u16, u64, u64)>], sizes: &[u64], slice: u64) -> Vec<SliceSpec> {
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
            let end = start.saturating_add(slice).min(size);
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
                });
            }
            off = end;
        }
    }
    out
}
