//! The plan of phase 2: which byte ranges of which part are read, and
//! what each task does with them (integrity chunks, resources decoded and
//! their blobs hashed, whole-file digests), made from the blob and
//! integrity tables of phase 1.

use super::header::in_file;
use super::{Ctx, Opening};
use crate::format::blob_table::{BlobEntry, BLOB_ENTRY_SIZE};
use crate::format::header::{self, Header, HEADER_SIZE};
use crate::format::hex;
use crate::format::integrity::IntegrityTable;
use crate::format::reshdr::ResHdr;
use crate::format::resource::SOLID_HEADER_SIZE;
use crate::read::{ReadAt, ReadError};
use crate::verify::blob_index::{BlobIndex, Known};
use crate::verify::code::Code;
use crate::verify::facts::ResourceCounts;
use crate::verify::finding::{remedies, Finding};
use crate::verify::resource::Layout;
use crate::verify::task::{BlobTarget, TaskKind, TaskSpec};

/// Bytes of integrity chunks per task: tasks of ~80 MiB (8 chunks of the
/// usual 10 MiB) spread evenly over lanes; tiny forged chunk sizes get many
/// chunks per task instead of millions of tasks.
const INTEGRITY_TASK_BYTES: u64 = 80 << 20;
/// Most integrity chunks in one task.
const INTEGRITY_MAX_CHUNKS_PER_TASK: u64 = 1 << 16;
/// Consecutive stored blobs share a task up to this many blobs and bytes.
const MAX_BLOBS_PER_STORED_TASK: usize = 4096;
const STORED_TASK_BYTES: u64 = 16 << 20;
const FOUR_GIB: u64 = 1 << 32;
/// Blob table entries planned between two progress calls.
const PLAN_PROGRESS_EVERY: usize = 4096;

/// Plans the integrity table's chunks as tasks of about
/// [`INTEGRITY_TASK_BYTES`] each, over part `pi`'s bytes `208..end`.
pub(super) fn integrity_tasks(pi: usize, t: &IntegrityTable, end: u64, tasks: &mut Vec<TaskSpec>) {
    let chunks = t.digests.len();
    let per_task =
        (INTEGRITY_TASK_BYTES / t.chunk_size.max(1) as u64).clamp(1, INTEGRITY_MAX_CHUNKS_PER_TASK);
    let mut first = 0usize;
    while first < chunks {
        let n = (per_task as usize).min(chunks - first);
        let start = HEADER_SIZE as u64 + first as u64 * t.chunk_size as u64;
        let stop = (start + n as u64 * t.chunk_size as u64).min(end);
        tasks.push(TaskSpec {
            id: 0,
            part: pi as u16,
            start,
            end: stop,
            kind: TaskKind::Integrity {
                chunk_size: t.chunk_size,
                first: first as u64,
                expected: t.digests[first..first + n].to_vec(),
            },
        });
        first += n;
    }
}

/// The plan of phase 2: the tasks, each over one byte range of one part
/// (a task's `part` indexes the image's files, then its reference WIMs).
/// Task ids are their positions here.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub tasks: Vec<TaskSpec>,
}

impl Plan {
    /// Numbers the tasks by position, once planning is done.
    pub(super) fn number(&mut self) {
        for (i, t) in self.tasks.iter_mut().enumerate() {
            t.id = i as u32;
        }
    }
}

/// Plans one part's blob table: checks each entry and adds a task per
/// resource (consecutive small stored blobs share one) to the plan, the
/// blob to the image's index and the metadata entries to the images'.
pub(super) struct Planner<'a> {
    /// The part's position among the files (and references).
    pub part: usize,
    pub reader: &'a dyn ReadAt,
    pub header: &'a Header,
    /// The part's size in bytes.
    pub size: u64,
    pub plan: &'a mut Plan,
    pub counts: &'a mut ResourceCounts,
    /// The largest resource of the part as stored (metadata included).
    pub largest_resource: &'a mut u64,
    pub blobs: &'a mut BlobIndex,
    /// Metadata entries, with their part, in table order.
    pub metadata: &'a mut Vec<(usize, BlobEntry)>,
}

impl Planner<'_> {
    /// Checks the blob table entries of the part and plans their tasks.
    pub fn blob_table(
        &mut self,
        entries: &[BlobEntry],
        ctx: &mut Ctx,
        progress: &mut dyn FnMut(Opening, u64, u64),
    ) -> Result<(), ReadError> {
        let (pi, r_at, h, size) = (self.part, self.reader, self.header, self.size);
        let tasks = &mut self.plan.tasks;
        let rc = &mut *self.counts;
        let blobs = &mut *self.blobs;
        let metadata_entries = &mut *self.metadata;
        let part_no = h.part_number;
        let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
        // The solid run being collected: its resource and its blob entries.
        let mut solid_res: Vec<(usize, &BlobEntry)> = Vec::new();
        let mut solid_blobs: Vec<(usize, &BlobEntry)> = Vec::new();
        let table_at = h.blob_table.offset;
        let entry_at = |i: usize| table_at.saturating_add(i as u64 * BLOB_ENTRY_SIZE as u64);

        let n = entries.len() as u64;
        progress(Opening::BlobTable, 0, n);
        for (i, e) in entries.iter().enumerate() {
            if i % PLAN_PROGRESS_EVERY == 0 && i > 0 {
                progress(Opening::BlobTable, i as u64, n);
            }
            let r = &e.reshdr;
            let at = entry_at(i);
            if !r.is_solid() && (!solid_res.is_empty() || !solid_blobs.is_empty()) {
                plan_solid_run(pi, r_at, size, &mut solid_res, &mut solid_blobs, ctx, tasks)?;
            }
            if e.is_solid_resource() {
                if h.version != header::VERSION_SOLID {
                    ctx.push(Finding::corruption(Code::BlobtableSolidInOldVersion, format!("blob table entry {i} (offset {at}): a solid resource in a version {:#x} WIM", h.version)).at(at));
                    continue;
                }
                // A solid run is every consecutive SOLID entry, resource and
                // blob entries in any order: a resource entry after blob
                // entries continues the run (blob offsets count from the
                // start of the run's first resource, as readers place them).
                rc.solid_resources += 1;
                rc.stored_bytes = rc.stored_bytes.saturating_add(r.size_in_wim);
                if !in_file(r, size) {
                    ctx.push(Finding::corruption(Code::BlobtableOutOfFile, format!("blob table entry {i} (offset {at}): solid resource at offset {} with size {} ends past the end of the {size}-byte file", r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY));
                    continue;
                }
                note_4g(r, rc);
                ranges.push((r.offset, r.end().unwrap_or(u64::MAX), i));
                solid_res.push((i, e));
                continue;
            }
            rc.blob_entries += 1;
            // Readers reject this before looking at anything else of the entry
            // (hash, part, kind), so it is checked first.
            if !r.is_solid() && !r.is_compressed() && r.size_in_wim != r.uncompressed_size {
                ctx.push(Finding::corruption(Code::BlobtableSizeMismatch, format!("blob table entry {i} (offset {at}): uncompressed blob {} has stored size {} but size {}", hex(&e.sha1), r.size_in_wim, r.uncompressed_size)).at(at));
                continue;
            }
            if e.has_zero_hash() {
                rc.zero_hash_entries += 1;
                continue;
            }
            // An entry of another part is ignored, as readers do, before it can
            // count as present: a blob only listed that way is missing.
            if e.part_number != part_no {
                ctx.push(Finding::warning(Code::BlobtableWrongPart, format!("blob table entry {i} (offset {at}): says part {} but is in part {part_no}'s table; ignored", e.part_number)).at(at));
                continue;
            }
            // Image metadata cannot live in a solid resource: readers refuse
            // it (and ignore such an entry with no references).
            if r.is_solid() && r.is_metadata() && h.version == header::VERSION_SOLID {
                if e.refcount != 0 {
                    ctx.push(Finding::corruption(Code::BlobtableSolidMetadata, format!("blob table entry {i} (offset {at}): a metadata resource inside a solid resource, which readers refuse")).at(at));
                }
                continue;
            }
            // Image metadata is not a blob of the table: readers (wimlib,
            // WIMGAPI) hand the metadata entries to the images in table order
            // and never look one up by SHA-1. Two images with identical trees
            // (an unchanged volume appended again, an image exported twice into
            // the same WIM) thus have entries with the same SHA-1, which is no
            // duplicate, and a file stream naming a metadata SHA-1 finds nothing.
            let metadata = r.is_metadata() && !r.is_solid();
            if metadata {
                if ctx.reference {
                    // A reference WIM lends blobs, not images.
                } else if part_no != 1 {
                    ctx.push(Finding::warning(Code::BlobtableMetadataInLaterPart, format!("blob table entry {i} (offset {at}): a metadata resource in part {part_no} of a split set; only part 1 holds image metadata, so readers ignore it")).at(at));
                } else {
                    rc.metadata_resources += 1;
                    if e.refcount > 1 {
                        ctx.push(Finding::warning(Code::BlobtableMetadataRefcount, format!("blob table entry {i} (offset {at}): metadata resource with reference count {}, not 1 (wimlib refuses to open such a file)", e.refcount)).at(at));
                    }
                    metadata_entries.push((pi, e.clone()));
                }
            } else {
                // One map for the set and for duplicates (a second map would
                // double phase 1's memory for millions of entries).
                let known = Known {
                    entry: i as u32,
                    refcount: e.refcount,
                };
                if let Err(prev) = blobs.insert(e.sha1, known) {
                    // A reference WIM's copy of a blob the image holds is
                    // skipped silently, as `wimlib-imagex verify --ref` does.
                    if !ctx.reference {
                        rc.duplicate_hashes += 1;
                        ctx.push(Finding::warning(Code::BlobtableDuplicateHash, format!("blob table entries {prev} and {i}: both hold blob {}; readers use only one", hex(&e.sha1))).at(at));
                    }
                    continue;
                }
            }
            if r.is_solid() {
                if h.version != header::VERSION_SOLID {
                    ctx.push(Finding::corruption(Code::BlobtableSolidInOldVersion, format!("blob table entry {i} (offset {at}): a solid blob in a version {:#x} WIM", h.version)).at(at));
                    continue;
                }
                rc.blobs_in_solid_resources += 1;
                rc.uncompressed_bytes = rc.uncompressed_bytes.saturating_add(r.size_in_wim);
                if r.size_in_wim > FOUR_GIB {
                    rc.uncompressed_over_4gib += 1;
                }
                solid_blobs.push((i, e));
                continue;
            }
            if r.size_in_wim == 0 && r.uncompressed_size == 0 {
                continue;
            }
            // Sizes are as declared (forged ones included): totals saturate.
            rc.stored_bytes = rc.stored_bytes.saturating_add(r.size_in_wim);
            rc.uncompressed_bytes = rc.uncompressed_bytes.saturating_add(r.uncompressed_size);
            if r.is_compressed() {
                rc.compressed += 1;
            } else {
                rc.uncompressed += 1;
            }
            if r.uncompressed_size > FOUR_GIB {
                rc.uncompressed_over_4gib += 1;
            }
            let Some(end) = r.end().filter(|&e| e <= size) else {
                ctx.push(Finding::corruption(Code::BlobtableOutOfFile, format!("blob table entry {i} (offset {at}): blob {} at offset {} with stored size {} ends past the end of the {size}-byte file", hex(&e.sha1), r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY));
                continue;
            };
            if r.offset < HEADER_SIZE as u64 {
                ctx.push(Finding::corruption(Code::BlobtableOverlapsHeader, format!("blob table entry {i} (offset {at}): blob {} starts at offset {} inside the header", hex(&e.sha1), r.offset)).at(at));
                continue;
            }
            note_4g(r, rc);
            ranges.push((r.offset, end, i));
            if r.is_metadata() {
                continue; // verified in phase 1 with the tree
            }
            let Some(layout) = Layout::non_solid(h, r) else {
                ctx.push(Finding::corruption(Code::BlobtableCompressedInUncompressedWim, format!("blob table entry {i} (offset {at}): compressed resource in a WIM whose header names no codec")).at(at));
                continue;
            };
            // A stored blob right after the previous stored blob joins its task:
            // millions of tiny blobs make a few thousand tasks, not millions.
            if layout == Layout::Stored {
                if let Some(TaskSpec {
                    part,
                    start,
                    end: last_end,
                    kind:
                        TaskKind::Resource {
                            layout: Layout::Stored,
                            blobs,
                        },
                    ..
                }) = tasks.last_mut()
                {
                    if *part == pi as u16
                        && *last_end == r.offset
                        && blobs.len() < MAX_BLOBS_PER_STORED_TASK
                        && end - *start <= STORED_TASK_BYTES
                    {
                        blobs.push(BlobTarget {
                            entry: i as u32,
                            offset: r.offset - *start,
                            size: r.uncompressed_size,
                            sha1: e.sha1,
                        });
                        *last_end = end;
                        continue;
                    }
                }
            }
            tasks.push(TaskSpec {
                id: 0,
                part: pi as u16,
                start: r.offset,
                end,
                kind: TaskKind::Resource {
                    layout,
                    blobs: vec![BlobTarget {
                        entry: i as u32,
                        offset: 0,
                        size: r.uncompressed_size,
                        sha1: e.sha1,
                    }],
                },
            });
        }
        plan_solid_run(pi, r_at, size, &mut solid_res, &mut solid_blobs, ctx, tasks)?;
        check_overlaps(&mut ranges, table_at, ctx);
        let largest = ranges.iter().map(|r| r.1.saturating_sub(r.0)).max();
        *self.largest_resource = (*self.largest_resource).max(largest.unwrap_or(0));
        progress(Opening::BlobTable, n, n);
        Ok(())
    }
}

/// Plans the tasks of one solid run: its resource entries and the blobs
/// addressed inside their concatenated uncompressed data.
fn plan_solid_run(
    pi: usize,
    r: &dyn ReadAt,
    size: u64,
    res: &mut Vec<(usize, &BlobEntry)>,
    blobs: &mut Vec<(usize, &BlobEntry)>,
    ctx: &mut Ctx,
    tasks: &mut Vec<TaskSpec>,
) -> Result<(), ReadError> {
    if res.is_empty() && blobs.is_empty() {
        return Ok(());
    }
    // Each resource's uncompressed size is in its own 16-byte header.
    let mut spans: Vec<(u64, u64)> = Vec::with_capacity(res.len());
    let mut base = 0u64;
    for &(i, e) in res.iter() {
        let rh = &e.reshdr;
        let mut usize = 0u64;
        if rh.size_in_wim >= SOLID_HEADER_SIZE && in_file(rh, size) {
            let mut b = [0u8; 8];
            r.read_at(rh.offset, &mut b)?;
            usize = u64::from_le_bytes(b);
        } else {
            ctx.push(Finding::corruption(Code::BlobtableSolidHeader, format!("blob table entry {i}: solid resource at offset {} is too small for its header", rh.offset)).at(rh.offset));
        }
        spans.push((base, usize));
        base = base.saturating_add(usize);
    }
    let mut targets: Vec<Vec<BlobTarget>> = vec![Vec::new(); res.len()];
    for &(i, e) in blobs.iter() {
        let off = e.reshdr.offset;
        let len = e.reshdr.size_in_wim;
        let end = off.checked_add(len);
        let home = spans
            .iter()
            .position(|&(b, u)| off >= b && end.is_some_and(|x| x <= b.saturating_add(u)));
        match home {
            Some(k) => targets[k].push(BlobTarget { entry: i as u32, offset: off - spans[k].0, size: len, sha1: e.sha1 }),
            None => ctx.push(Finding::corruption(Code::BlobtableSolidUnassigned, format!("blob table entry {i}: blob {} at offset {off} (size {len}) of the solid run's data lies in no solid resource", hex(&e.sha1)))),
        }
    }
    for (k, &(i, e)) in res.iter().enumerate() {
        let mut t = std::mem::take(&mut targets[k]);
        t.sort_by_key(|b| b.offset);
        for w in t.windows(2) {
            if w[1].offset < w[0].offset + w[0].size {
                ctx.push(Finding::corruption(Code::BlobtableSolidOverlap, format!("blob table entries {} and {}: blobs overlap inside the solid resource of entry {i}", w[0].entry, w[1].entry)).at(e.reshdr.offset));
            }
        }
        let rh = &e.reshdr;
        if !in_file(rh, size) || rh.size_in_wim < SOLID_HEADER_SIZE {
            continue;
        }
        tasks.push(TaskSpec {
            id: 0,
            part: pi as u16,
            start: rh.offset,
            end: rh.offset + rh.size_in_wim,
            kind: TaskKind::Resource {
                layout: Layout::Solid,
                blobs: t,
            },
        });
    }
    res.clear();
    blobs.clear();
    Ok(())
}

fn note_4g(r: &ResHdr, rc: &mut ResourceCounts) {
    let end = r.end().unwrap_or(u64::MAX);
    if r.offset >= FOUR_GIB {
        rc.above_4gib += 1;
    } else if end > FOUR_GIB {
        rc.crossing_4gib += 1;
    }
}

fn check_overlaps(ranges: &mut [(u64, u64, usize)], table_at: u64, ctx: &mut Ctx) {
    ranges.sort_unstable();
    let mut reported = 0;
    for w in ranges.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.0 < a.1 && reported < 20 {
            reported += 1;
            ctx.push(Finding::corruption(Code::BlobtableOverlap, format!("blob table entries {} and {}: their resources overlap (offsets {}..{} and {}..{})", a.2, b.2, a.0, a.1, b.0, b.1)).at(table_at + b.2 as u64 * BLOB_ENTRY_SIZE as u64));
        }
    }
}
