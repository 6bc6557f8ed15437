//! Integrity chunks of the WIMs on a medium that a driver hashes outside
//! the lanes (the page: one `crypto.subtle.digest` per chunk, a native
//! SHA-1 several times wasm's), found in the slices of the medium's
//! [`MediumSchedule`](super::map::MediumSchedule).
//!
//! A bare WIM's chunk is a contiguous file range, so the page cuts its
//! reads at chunk boundaries and hashes each chunk in place. A chunk of a
//! WIM inside a medium is contiguous in the WIM, not on the medium: it may
//! straddle two extents that are apart (or in descending order, read in a
//! second pass), and it may straddle two slices. So the schedule is asked
//! for the chunks' bytes as for one more lane of each WIM (the *outside
//! lane*, whose needs are the chunks' ranges, [`ChunkIndex::spans`]), and
//! each feed of that lane is cut here into [`ChunkPiece`]s: which bytes of
//! the slice are which bytes of which chunk. The schedule feeds a lane's
//! bytes once each, in ascending file offset per part, so a chunk's pieces
//! come in order and together are the chunk exactly; a driver copies them
//! into the chunk's buffer (or hashes a piece that is a whole chunk where
//! it lies) and hashes the chunk when it is full.
//!
//! Pure: no I/O, no hashing.

use super::map::Feed;
use crate::verify::schedule::Span;
use serde::Serialize;

/// A chunk hashed outside the lanes: chunk `chunk` of outside task `task`
/// (the driver's numbering), file bytes `[start, end)` of part `part` of
/// WIM `wim` (the schedule's numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideChunk {
    pub wim: u32,
    pub part: u16,
    pub task: u32,
    pub chunk: u32,
    pub start: u64,
    pub end: u64,
}

/// Bytes of a slice that belong to an outside chunk: slice bytes
/// `[from, to)` are the chunk's bytes from `at`; the chunk is `size` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChunkPiece {
    pub task: u32,
    pub chunk: u32,
    pub from: u64,
    pub to: u64,
    pub at: u64,
    pub size: u64,
}

impl ChunkPiece {
    /// Whether the piece is its whole chunk (then it can be hashed where it
    /// lies, without a copy).
    pub fn is_whole(&self) -> bool {
        self.at == 0 && self.to - self.from == self.size
    }
}

/// The outside chunks of a medium's WIMs, sorted by WIM, part and offset.
#[derive(Clone, Debug, Default)]
pub struct ChunkIndex {
    chunks: Vec<OutsideChunk>,
}

impl ChunkIndex {
    /// The index of `chunks`; empty ones are dropped. Chunks of one WIM
    /// part must not overlap (an integrity table's chunks do not).
    pub fn new(mut chunks: Vec<OutsideChunk>) -> ChunkIndex {
        chunks.retain(|c| c.start < c.end);
        chunks.sort_unstable_by_key(|c| (c.wim, c.part, c.start));
        ChunkIndex { chunks }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The byte ranges WIM `wim`'s outside lane needs: its chunks.
    pub fn spans(&self, wim: u32) -> Vec<Span> {
        self.chunks
            .iter()
            .filter(|c| c.wim == wim)
            .map(|c| Span {
                part: c.part,
                start: c.start,
                end: c.end,
            })
            .collect()
    }

    /// Appends to `out` the pieces of the chunks that the feed `f` (of an
    /// outside lane) holds, in file order.
    pub fn pieces(&self, f: &Feed, out: &mut Vec<ChunkPiece>) {
        let end = f.offset.saturating_add(f.len);
        let first = self
            .chunks
            .partition_point(|c| (c.wim, c.part, c.end) <= (f.wim, f.part, f.offset));
        for c in &self.chunks[first..] {
            if (c.wim, c.part) != (f.wim, f.part) || c.start >= end {
                break;
            }
            let a = c.start.max(f.offset);
            let b = c.end.min(end);
            if a < b {
                out.push(ChunkPiece {
                    task: c.task,
                    chunk: c.chunk,
                    from: f.skip + (a - f.offset),
                    to: f.skip + (b - f.offset),
                    at: a - c.start,
                    size: c.end - c.start,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::map::{Inner, MediumSchedule, Source};
    use super::super::{Extent, ExtentReader, MediumFile};
    use super::*;
    use crate::read::ReadAt;
    use std::collections::BTreeMap;

    /// A medium of `size` pattern bytes with one file on `extents`.
    fn medium(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn file(extents: &[(u64, u64)]) -> MediumFile {
        MediumFile {
            path: "sources/install.wim".into(),
            size: extents.iter().map(|e| e.1).sum(),
            extents: extents
                .iter()
                .map(|&(offset, len)| Extent {
                    offset,
                    len,
                    zeros: false,
                })
                .collect(),
        }
    }

    /// Walks the schedule with the outside lane as lane `lanes`, assembles
    /// every chunk from its pieces as the page does, and checks each chunk
    /// is complete once, filled in order, and equal to the file's bytes.
    fn assemble(m: &[u8], f: &MediumFile, chunks: &[(u64, u64)], slice: u64) -> usize {
        let index = ChunkIndex::new(
            chunks
                .iter()
                .enumerate()
                .map(|(k, &(start, end))| OutsideChunk {
                    wim: 0,
                    part: 0,
                    task: 0,
                    chunk: k as u32,
                    start,
                    end,
                })
                .collect(),
        );
        let inner = Inner {
            files: vec![f],
            // Lane 0 needs nothing here; lane 1 is the outside lane.
            lanes: vec![Vec::new(), index.spans(0)],
        };
        let sched = MediumSchedule::new(m.len() as u64, &[inner], true, slice).unwrap();
        let mut bufs: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut done: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut whole = 0;
        for s in sched.slices() {
            let Source::Medium { start } = s.source else {
                panic!("no zeros here")
            };
            let bytes = &m[start as usize..(start + s.len) as usize];
            let mut pieces = Vec::new();
            for feed in s.feeds.iter().filter(|x| x.lane == 1) {
                index.pieces(feed, &mut pieces);
            }
            for p in pieces {
                assert!(p.to <= s.len && p.from < p.to, "{p:?}");
                let part = &bytes[p.from as usize..p.to as usize];
                if p.is_whole() {
                    whole += 1;
                    assert!(done.insert(p.chunk, part.to_vec()).is_none());
                    continue;
                }
                let b = bufs.entry(p.chunk).or_default();
                assert_eq!(b.len() as u64, p.at, "pieces of a chunk come in order");
                b.extend_from_slice(part);
                if b.len() as u64 == p.size {
                    let b = bufs.remove(&p.chunk).unwrap();
                    assert!(done.insert(p.chunk, b).is_none(), "chunk {}", p.chunk);
                }
            }
        }
        assert!(bufs.is_empty(), "chunks left unfinished: {:?}", bufs.keys());
        assert_eq!(done.len(), chunks.len());
        let r = ExtentReader::new(&m, f).unwrap();
        for (k, &(start, end)) in chunks.iter().enumerate() {
            let mut want = vec![0u8; (end - start) as usize];
            r.read_at(start, &mut want).unwrap();
            assert_eq!(done[&(k as u32)], want, "chunk {k}");
        }
        whole
    }

    /// Chunks of 3000 bytes from offset 208 over a file of two extents
    /// apart on the medium, in ascending order: the chunk across the
    /// extents' boundary comes in two pieces; the others lie whole in a
    /// slice where the slices allow.
    #[test]
    fn a_chunk_across_two_extents_apart_is_assembled() {
        let m = medium(40_000);
        let f = file(&[(4096, 8192), (20480, 9000)]);
        let chunks: Vec<(u64, u64)> = (0..5)
            .map(|k| (208 + k * 3000, (208 + (k + 1) * 3000).min(f.size)))
            .collect();
        // Chunk 2 (6208..9208) straddles the extents' boundary at 8192.
        let whole = assemble(&m, &f, &chunks, 1 << 20);
        assert_eq!(
            whole, 4,
            "all but the straddling chunk are whole in one slice"
        );
        // Slices smaller than a chunk: every chunk in pieces.
        assert_eq!(assemble(&m, &f, &chunks, 1000), 0);
    }

    /// The same file with its extents in descending order on the medium:
    /// read in a second pass in file order, the chunks still assemble.
    #[test]
    fn chunks_of_a_file_read_in_its_own_order_are_assembled() {
        let m = medium(40_000);
        let f = file(&[(20480, 8192), (4096, 9000)]);
        let chunks: Vec<(u64, u64)> = (0..6)
            .map(|k| (208 + k * 2900, (208 + (k + 1) * 2900).min(f.size)))
            .collect();
        assemble(&m, &f, &chunks, 4096);
        assemble(&m, &f, &chunks, 1 << 20);
    }

    #[test]
    fn pieces_stay_within_their_wim_and_part() {
        let index = ChunkIndex::new(vec![
            OutsideChunk {
                wim: 1,
                part: 0,
                task: 3,
                chunk: 0,
                start: 0,
                end: 100,
            },
            OutsideChunk {
                wim: 0,
                part: 1,
                task: 2,
                chunk: 0,
                start: 50,
                end: 150,
            },
        ]);
        let feed = |wim, part| Feed {
            wim,
            part,
            lane: 9,
            skip: 10,
            len: 80,
            offset: 40,
        };
        let mut out = Vec::new();
        index.pieces(&feed(0, 0), &mut out);
        assert!(out.is_empty());
        index.pieces(&feed(0, 1), &mut out);
        assert_eq!(
            out,
            vec![ChunkPiece {
                task: 2,
                chunk: 0,
                from: 20,
                to: 90,
                at: 0,
                size: 100
            }]
        );
        out.clear();
        index.pieces(&feed(1, 0), &mut out);
        assert_eq!((out[0].from, out[0].to, out[0].at), (10, 70, 40));
    }
}
