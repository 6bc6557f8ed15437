//! Mutation test: every intact fixture (the generated ones and wimlib's
//! hand-made images) mutated many ways and verified in memory with
//! digests off.
//!
//! Asserted for every mutation: no panic, a bounded time, a bounded peak of
//! memory (a counting allocator in this test binary), and a result that is a
//! report, not a read error. Asserted for mutations that change a *covered*
//! byte (inside the integrity table's range `[208, blob table end)` of an
//! image that has one, or inside the stored bytes of an uncompressed blob or
//! metadata resource): the image is reported corrupt (`intact == false`),
//! every time. Asserted for the other mutations: when the image still comes
//! out intact, every changed byte lies where no check can see a difference
//! (XML text, unused or informational header bytes, reference counts,
//! compressed data that decodes to the same bytes, gaps); a sample of those
//! is also checked with `wimlib-imagex verify` when it is installed.
//!
//! Scale with WIMPROOF_MUTATION_SCALE (default 1.0).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wimproof::assess::verify_bytes;
use wimproof::policy::Verdict;
use wimproof::report::Report;
use wimproof::verify::finding::Severity;
use wimproof::verify::Options;

// ---- memory accounting ------------------------------------------------------

/// Counts the live heap bytes of each thread and their peak, so one
/// verification's peak can be read on the thread that ran it.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v)
            }
        });
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            note(l.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            note(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        note(-(l.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            note(new as isize - l.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak heap use of one verification above what the thread held before it.
const MEMORY_CAP: isize = 512 << 20;
/// Longest one verification of a mutated fixture (a few MB) may take.
const TIME_CAP: Duration = Duration::from_secs(10);

// ---- a small, independent WIM layout reader (the map of what is covered) ---

fn u32le(b: &[u8], o: usize) -> u64 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as u64
}
fn u64le(b: &[u8], o: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(v)
}

#[derive(Clone, Copy, Debug)]
struct Res {
    size: u64,
    flags: u8,
    offset: u64,
    usize: u64,
}

fn res(b: &[u8], o: usize) -> Res {
    let mut s = [0u8; 8];
    s[..7].copy_from_slice(&b[o..o + 7]);
    Res {
        size: u64::from_le_bytes(s),
        flags: b[o + 7],
        offset: u64le(b, o + 8),
        usize: u64le(b, o + 16),
    }
}

/// What a byte of the file is, for classifying mutations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Region {
    HeaderField(&'static str),
    BlobEntry(&'static str),
    Xml,
    IntegrityTable,
    Uncompressed,
    ChunkTable,
    ChunkData,
    SolidHeader,
    Gap,
}

impl Region {
    fn label(self) -> String {
        match self {
            Region::HeaderField(f) => format!("header.{f}"),
            Region::BlobEntry(f) => format!("blobtable.{f}"),
            other => format!("{other:?}"),
        }
    }
    /// Regions where a change can leave the image intact by design: no
    /// check reads them, they only feed warnings, or (compressed data) the
    /// decoded bytes are hashed, so passing means they decode the same.
    fn may_pass(self) -> bool {
        matches!(
            self,
            Region::Xml | Region::ChunkData | Region::Gap | Region::HeaderField("guid" | "unused")
        )
    }
}

const HEADER_FIELDS: &[(usize, usize, &str)] = &[
    (0x00, 8, "magic"),
    (0x08, 4, "hdr_size"),
    (0x0C, 4, "version"),
    (0x10, 4, "flags"),
    (0x14, 4, "chunk_size"),
    (0x18, 16, "guid"),
    (0x28, 2, "part_number"),
    (0x2A, 2, "total_parts"),
    (0x2C, 4, "image_count"),
    (0x30, 24, "blob_table"),
    (0x48, 24, "xml"),
    (0x60, 24, "boot_metadata"),
    (0x78, 4, "boot_index"),
    (0x7C, 24, "integrity"),
    (0x94, 60, "unused"),
];

const ENTRY_FIELDS: &[(usize, usize, &str)] = &[
    (0, 7, "size_in_wim"),
    (7, 1, "flags"),
    (8, 8, "offset"),
    (16, 8, "uncompressed_size"),
    (24, 2, "part_number"),
    (26, 4, "refcount"),
    (30, 20, "sha1"),
];
/// The same fields of a solid resource entry (the entry that places a solid
/// resource, not a blob): readers skip its part number, reference count and
/// hash, so a change there is a kind of its own.
const SOLID_RESOURCE_ENTRY_FIELDS: &[(usize, usize, &str)] = &[
    (0, 7, "solid_resource.size_in_wim"),
    (7, 1, "solid_resource.flags"),
    (8, 8, "solid_resource.offset"),
    (16, 8, "solid_resource.uncompressed_size"),
    (24, 2, "solid_resource.part_number"),
    (26, 4, "solid_resource.refcount"),
    (30, 20, "solid_resource.sha1"),
];

struct Map {
    /// Sorted, non-overlapping (start, end, region); bytes in none are gaps.
    regions: Vec<(u64, u64, Region)>,
    /// Covered ranges (sorted, merged).
    covered: Vec<(u64, u64)>,
    header_at: u64,
    table: Option<(u64, u64)>,
    entries: usize,
    /// What each blob table entry describes, for naming mutations.
    entry_kinds: Vec<&'static str>,
}

impl Map {
    fn new(d: &[u8]) -> Map {
        let mut regions = Vec::new();
        let mut covered = Vec::new();
        let len = d.len() as u64;
        let pipable = d.len() >= 416 && &d[..5] == b"WLPWM";
        let header_at = if pipable { len - 208 } else { 0 };
        let h = &d[header_at as usize..header_at as usize + 208];
        for &(o, n, name) in HEADER_FIELDS {
            regions.push((
                header_at + o as u64,
                header_at + (o + n) as u64,
                Region::HeaderField(name),
            ));
            if pipable {
                regions.push((o as u64, (o + n) as u64, Region::HeaderField(name)));
            }
        }
        let chunk = u32le(h, 0x14).max(1);
        let bt = res(h, 0x30);
        let xml = res(h, 0x48);
        let integ = res(h, 0x7C);
        let in_file = |r: &Res| r.offset.checked_add(r.size).is_some_and(|e| e <= len);
        if in_file(&xml) {
            regions.push((xml.offset, xml.offset + xml.size, Region::Xml));
        }
        if in_file(&integ) && integ.size > 0 {
            regions.push((
                integ.offset,
                integ.offset + integ.size,
                Region::IntegrityTable,
            ));
            covered.push((208, bt.offset + bt.size));
        }
        let mut entries = 0;
        let mut entry_kinds = Vec::new();
        let table = in_file(&bt).then_some((bt.offset, bt.offset + bt.size));
        if let Some((ts, te)) = table {
            let t = &d[ts as usize..te as usize];
            entries = t.len() / 50;
            for i in 0..entries {
                let at = ts + i as u64 * 50;
                let r = res(t, i * 50);
                let fields = if r.flags & 0x10 != 0 && r.usize == 1 << 32 {
                    SOLID_RESOURCE_ENTRY_FIELDS
                } else {
                    ENTRY_FIELDS
                };
                for &(o, n, name) in fields {
                    regions.push((at + o as u64, at + (o + n) as u64, Region::BlobEntry(name)));
                }
                entry_kinds.push(match r.flags {
                    f if f & 0x10 != 0 && r.usize == 1 << 32 => "solid resource",
                    f if f & 0x10 != 0 => "solid blob",
                    f if f & 0x02 != 0 => "metadata",
                    f if f & 0x04 != 0 => "compressed",
                    _ => "stored",
                });
                if !in_file(&r) || r.size == 0 {
                    continue;
                }
                let (s, e) = (r.offset, r.offset + r.size);
                if r.flags & 0x10 != 0 {
                    // Solid: the resource's own entry describes the layout.
                    if r.usize == 1 << 32 && r.size >= 16 {
                        let n = u64le(d, s as usize).div_ceil(u32le(d, s as usize + 8).max(1));
                        let hdr = (16 + 4 * n).min(r.size);
                        regions.push((s, s + hdr, Region::SolidHeader));
                        regions.push((s + hdr, e, Region::ChunkData));
                    }
                } else if r.flags & 0x04 != 0 {
                    let n = r.usize.div_ceil(chunk);
                    let w = if r.usize > 0xFFFF_FFFF { 8 } else { 4 };
                    let table = if pipable {
                        0
                    } else {
                        (n.saturating_sub(1) * w).min(r.size)
                    };
                    regions.push((s, s + table, Region::ChunkTable));
                    regions.push((s + table, e, Region::ChunkData));
                } else {
                    regions.push((s, e, Region::Uncompressed));
                    covered.push((s, e));
                }
            }
        }
        regions.sort_by_key(|r| (r.0, r.1));
        covered.sort();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (s, e) in covered {
            match merged.last_mut() {
                Some(l) if s <= l.1 => l.1 = l.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        Map {
            regions,
            covered: merged,
            header_at,
            table,
            entries,
            entry_kinds,
        }
    }

    fn is_covered(&self, at: u64) -> bool {
        self.covered.iter().any(|&(s, e)| at >= s && at < e)
    }

    /// The most specific region of a byte (the last one starting at or
    /// before it that contains it: fields are pushed after their container).
    fn region(&self, at: u64) -> Region {
        let mut best = Region::Gap;
        let mut best_len = u64::MAX;
        for &(s, e, r) in &self.regions {
            if s > at {
                break;
            }
            if at < e && e - s < best_len {
                best = r;
                best_len = e - s;
            }
        }
        best
    }
}

// ---- mutations -------------------------------------------------------------

/// splitmix64: a fixed-seed generator, so every run mutates the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn nonzero_byte(&mut self) -> u8 {
        (self.below(255) + 1) as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Flip,
    Burst,
    Scatter,
    Truncate,
    HeaderExtreme,
    EntryExtreme,
}

/// How a mutation changes the file; applied to a copy when it runs.
enum Edit {
    Xor(Vec<(u64, u8)>),
    Set(u64, Vec<u8>),
    Cut(u64),
}

struct Mutation {
    kind: Kind,
    what: String,
    /// Mutations that change the same kind of field the same way share a
    /// group; one of each group is cross-checked with wimlib-imagex.
    group: String,
    edit: Edit,
}

impl Mutation {
    /// The offsets of the bytes it changes (none for a cut).
    fn changed(&self, orig: &[u8]) -> Vec<u64> {
        match &self.edit {
            Edit::Xor(v) => v.iter().map(|p| p.0).collect(),
            Edit::Set(at, b) => (0..b.len() as u64)
                .filter(|i| orig[(at + i) as usize] != b[*i as usize])
                .map(|i| at + i)
                .collect(),
            Edit::Cut(_) => Vec::new(),
        }
    }
    fn apply(&self, orig: &[u8], buf: &mut Vec<u8>) {
        buf.clear();
        match &self.edit {
            Edit::Cut(n) => buf.extend_from_slice(&orig[..*n as usize]),
            Edit::Xor(v) => {
                buf.extend_from_slice(orig);
                for &(a, x) in v {
                    buf[a as usize] ^= x;
                }
            }
            Edit::Set(at, b) => {
                buf.extend_from_slice(orig);
                buf[*at as usize..*at as usize + b.len()].copy_from_slice(b);
            }
        }
    }
}

/// Values a size, count or offset field of `width` bytes is set to: zero,
/// one, 2^31-1, 2^32-1, 2^50, 2^64-1 (each cut to the width), and offsets
/// at, just past, and 4 GiB beyond the end of the file.
fn extremes(file_len: u64, width: usize) -> Vec<u64> {
    let max = if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    let mut v: Vec<u64> = [
        0,
        1,
        0x7FFF_FFFF,
        0xFFFF_FFFF,
        1 << 50,
        u64::MAX,
        file_len,
        file_len + 1,
        (1 << 32) + 208,
    ]
    .iter()
    .map(|x| x & max)
    .collect();
    v.sort_unstable();
    v.dedup();
    v
}

struct Plan {
    flips: usize,
    bursts: usize,
    scatters: usize,
    cuts: usize,
    /// How many of the header-field extremes to try (all when None).
    header: Option<usize>,
    /// How many of the blob-table-entry extremes to try (all when None).
    entries: Option<usize>,
}

fn sample(mut v: Vec<Mutation>, n: Option<usize>, rng: &mut Rng) -> Vec<Mutation> {
    if let Some(n) = n {
        // Fisher-Yates on a prefix.
        let n = n.min(v.len());
        for i in 0..n {
            let j = i + rng.below((v.len() - i) as u64) as usize;
            v.swap(i, j);
        }
        v.truncate(n);
    }
    v
}

fn mutations(orig: &[u8], map: &Map, plan: &Plan, seed: u64) -> Vec<Mutation> {
    let len = orig.len() as u64;
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let labels = |idx: &[u64]| {
        let mut l: Vec<String> = idx.iter().map(|&a| map.region(a).label()).collect();
        l.sort();
        l.dedup();
        l.join("+")
    };
    // Single bytes: half spread uniformly over the file, half inside the
    // small structures (header, blob table, XML, integrity table, metadata,
    // chunk tables), which uniform picks would rarely hit.
    let small: Vec<(u64, u64)> = map
        .regions
        .iter()
        .filter(|r| {
            r.1 > r.0
                && (!matches!(r.2, Region::Uncompressed | Region::ChunkData) || r.1 - r.0 < 8192)
        })
        .map(|r| (r.0, r.1))
        .collect();
    for i in 0..plan.flips {
        let at = if i % 2 == 0 || small.is_empty() {
            rng.below(len)
        } else {
            let (s, e) = small[rng.below(small.len() as u64) as usize];
            s + rng.below(e - s)
        };
        out.push(Mutation {
            kind: Kind::Flip,
            what: format!("flip byte {at}"),
            group: format!("flip {}", labels(&[at])),
            edit: Edit::Xor(vec![(at, rng.nonzero_byte())]),
        });
    }
    for _ in 0..plan.bursts {
        let n = 2 + rng.below(31);
        let at = rng.below(len.saturating_sub(n).max(1));
        let idx: Vec<u64> = (at..(at + n).min(len)).collect();
        out.push(Mutation {
            kind: Kind::Burst,
            what: format!("flip bytes {at}..{}", at + n),
            group: format!("burst {}", labels(&idx)),
            edit: Edit::Xor(idx.iter().map(|&a| (a, rng.nonzero_byte())).collect()),
        });
    }
    for _ in 0..plan.scatters {
        let n = 2 + rng.below(7);
        let mut idx: Vec<u64> = (0..n).map(|_| 208 + rng.below(len - 208)).collect();
        idx.sort_unstable();
        idx.dedup();
        out.push(Mutation {
            kind: Kind::Scatter,
            what: format!("flip bytes {idx:?}"),
            group: format!("scatter {}", labels(&idx)),
            edit: Edit::Xor(idx.iter().map(|&a| (a, rng.nonzero_byte())).collect()),
        });
    }
    // Truncations: at random points, and around the structures the header
    // points to and some resources.
    let mut cuts: Vec<u64> = (0..plan.cuts).map(|_| rng.below(len)).collect();
    cuts.extend([0, 1, 207, 208, 209, len - 1]);
    let mut bounds: Vec<(u64, u64)> = map
        .regions
        .iter()
        .filter(|r| matches!(r.2, Region::Xml | Region::IntegrityTable))
        .map(|r| (r.0, r.1))
        .collect();
    bounds.extend(map.table);
    let res: Vec<(u64, u64)> = map
        .regions
        .iter()
        .filter(|r| {
            matches!(
                r.2,
                Region::Uncompressed | Region::ChunkTable | Region::SolidHeader
            )
        })
        .map(|r| (r.0, r.1))
        .collect();
    for _ in 0..4.min(res.len()) {
        bounds.push(res[rng.below(res.len() as u64) as usize]);
    }
    for (s, e) in bounds {
        cuts.extend([s.saturating_sub(1), s, s + 1, e.saturating_sub(1)]);
    }
    cuts.retain(|&c| c < len);
    cuts.sort_unstable();
    cuts.dedup();
    for c in cuts {
        out.push(Mutation {
            kind: Kind::Truncate,
            what: format!("truncate to {c} bytes"),
            group: "truncate".into(),
            edit: Edit::Cut(c),
        });
    }
    // Header fields set to extremes.
    let mut ext = Vec::new();
    let h = map.header_at;
    for &(o, n, name) in HEADER_FIELDS {
        let at = h + o as u64;
        let mut push = |v: u64, sub: &str, w: usize, off: u64| {
            ext.push(Mutation {
                kind: Kind::HeaderExtreme,
                what: format!("header {name}{sub} = {v:#x}"),
                group: format!("header {name}{sub} = {v:#x}")
                    .replace(&format!("{len:#x}"), "len")
                    .replace(&format!("{:#x}", len + 1), "len+1"),
                edit: Edit::Set(at + off, v.to_le_bytes()[..w].to_vec()),
            });
        };
        match n {
            24 => {
                for v in extremes(len, 7) {
                    push(v, ".size_in_wim", 7, 0);
                }
                for v in [0u64, 0x04, 0x10, 0xFF] {
                    push(v, ".flags", 1, 7);
                }
                for v in extremes(len, 8) {
                    push(v, ".offset", 8, 8);
                    push(v, ".uncompressed_size", 8, 16);
                }
            }
            2 | 4 => {
                for v in extremes(len, n) {
                    push(v, "", n, 0);
                }
            }
            _ => {
                for v in [0u64, u64::MAX] {
                    push(v, "", 8, 0);
                }
            }
        }
    }
    out.extend(sample(ext, plan.header, &mut rng));
    // Blob table entries' fields set to extremes.
    let mut ext = Vec::new();
    if let Some((ts, _)) = map.table {
        for i in 0..map.entries {
            let at = ts + i as u64 * 50;
            let kind = map.entry_kinds[i];
            for &(o, n, name) in ENTRY_FIELDS {
                let values: Vec<u64> = match name {
                    "flags" => vec![0, 0x01, 0x02, 0x04, 0x10, 0xFF],
                    "sha1" => vec![0, u64::MAX],
                    _ => extremes(len, n.min(8)),
                };
                for v in values {
                    let w = n.min(8);
                    ext.push(Mutation {
                        kind: Kind::EntryExtreme,
                        what: format!("blob table entry {i} ({kind}) {name} = {v:#x}"),
                        group: format!("entry ({kind}) {name} = {v:#x}")
                            .replace(&format!("{len:#x}"), "len")
                            .replace(&format!("{:#x}", len + 1), "len+1"),
                        edit: Edit::Set(at + o as u64, v.to_le_bytes()[..w].to_vec()),
                    });
                }
            }
        }
    }
    out.extend(sample(ext, plan.entries, &mut rng));
    out.retain(|m| !matches!(&m.edit, Edit::Set(..)) || !m.changed(orig).is_empty());
    out
}

// ---- running -----------------------------------------------------------------

struct Fixture {
    name: String,
    files: Vec<PathBuf>,
    /// Relative share of mutations: LZMS decodes several times slower.
    weight: f64,
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for row in common::manifest() {
        // Rows with refs are intact only together with their refs, which
        // these in-memory runs do not pass.
        if row.wimlib_intact == Some(true) && row.defect == "-" && row.refs.is_empty() {
            let weight = match row.compression.as_str() {
                "solid-lzms" => 0.35,
                "lzms" => 0.6,
                _ => 1.0,
            };
            out.push(Fixture {
                name: row.name,
                files: row.files,
                weight,
            });
        }
    }
    let shared = common::shared_fixtures();
    if let Ok(rd) = std::fs::read_dir(&shared) {
        let mut names: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wim"))
            .collect();
        names.sort();
        for p in names {
            out.push(Fixture {
                name: format!(
                    "wimlib:{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ),
                files: vec![p],
                weight: 1.0,
            });
        }
    }
    // Slowest first, so the threads finish together.
    out.sort_by_key(|f| {
        std::cmp::Reverse(
            f.files
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum::<u64>(),
        )
    });
    out
}

fn opts() -> Options {
    Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    }
}

enum Outcome {
    Report(Box<Report>),
    ReadError(String),
    Panic(String),
}

/// Verifies a set of in-memory files; returns the outcome, the time and
/// the peak heap use above the thread's level before.
fn run(names: &[String], datas: &[&[u8]]) -> (Outcome, Duration, isize) {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    let t = Instant::now();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| n.as_str())
        .zip(datas.iter().copied())
        .collect();
    let r = catch_unwind(AssertUnwindSafe(|| verify_bytes(&files, opts(), "")));
    let dt = t.elapsed();
    let peak = PEAK.with(|p| p.get()) - base;
    let o = match r {
        Ok(Ok(rep)) => Outcome::Report(Box::new(rep)),
        Ok(Err(e)) => Outcome::ReadError(e.to_string()),
        Err(p) => Outcome::Panic(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
    };
    (o, dt, peak)
}

#[derive(Default, Clone)]
struct Tally {
    tried: u64,
    detected: u64,
    unverified: u64,
    intact: u64,
    safe: u64,
}

/// What wimlib-imagex verify said of one representative of a group.
#[derive(Clone)]
struct Confirmed {
    wimlib_accepts: Option<bool>,
    example: String,
}

#[derive(Default)]
struct Results {
    /// (covered, kind) -> counts
    table: BTreeMap<(bool, Kind), Tally>,
    /// Uncovered mutations that left the image intact, by region.
    intact_regions: BTreeMap<String, u64>,
    failures: Vec<String>,
    /// Groups of changes left intact with a new warning (or a worse
    /// verdict) where wimlib-imagex verify rejects them.
    warned: Vec<String>,
    peak: isize,
    slowest: (Duration, String),
    verifications: u64,
    per_fixture: Vec<(String, usize, Duration)>,
}

fn scale() -> f64 {
    std::env::var("WIMPROOF_MUTATION_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn plan_for(len: usize, parts: usize, weight: f64) -> Plan {
    let s = scale() * weight;
    let n = |base: f64| ((base * s).round() as usize).max(1);
    if len < 64 * 1024 {
        // wimlib's hand-made images: a few KiB, verified in microseconds.
        Plan {
            flips: n(1500.0),
            bursts: n(300.0),
            scatters: n(200.0),
            cuts: n(200.0),
            header: None,
            entries: None,
        }
    } else {
        // Generated fixtures: megabytes, every mutation decodes them again.
        let p = parts.max(1) as f64;
        Plan {
            flips: n(24.0 / p),
            bursts: n(6.0 / p),
            scatters: n(4.0 / p),
            cuts: n(6.0 / p),
            header: Some(n(24.0 / p)),
            entries: Some(n(16.0 / p)),
        }
    }
}

/// Writes the set (with part `k` replaced) to a temporary directory and
/// runs `wimlib-imagex verify` on it; `None` if wimlib could not be run.
fn wimlib_accepts(names: &[String], set: &[&[u8]], tag: &str) -> Option<bool> {
    let dir = std::env::temp_dir().join(format!("wimproof-mutation-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    for (n, d) in names.iter().zip(set) {
        std::fs::write(dir.join(n), d).ok()?;
    }
    let mut cmd = std::process::Command::new("wimlib-imagex");
    cmd.arg("verify").arg(dir.join(&names[0]));
    if names.len() > 1 {
        let ext = names[0].rsplit('.').next().unwrap_or("swm");
        cmd.arg(format!("--ref={}/*.{ext}", dir.display()));
    }
    let out = cmd.output().ok();
    let _ = std::fs::remove_dir_all(&dir);
    out.map(|o| o.status.success())
}

fn check_fixture(fx: &Fixture, res: &Mutex<Results>, groups: &Mutex<BTreeMap<String, Confirmed>>) {
    let t0 = Instant::now();
    let datas: Vec<Vec<u8>> = fx
        .files
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    let names: Vec<String> = fx
        .files
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let slices: Vec<&[u8]> = datas.iter().map(|d| d.as_slice()).collect();
    let base = match run(&names, &slices).0 {
        Outcome::Report(r) => r,
        Outcome::ReadError(e) => panic!("{}: unmutated: read error {e}", fx.name),
        Outcome::Panic(p) => panic!("{}: unmutated: panic {p}", fx.name),
    };
    let base_intact = base.intact;
    let base_codes: BTreeSet<&str> = base
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| f.code.as_str())
        .collect();
    let mut local = Results::default();
    let mut count = 0;
    let mut buf = Vec::new();
    // Each part of a split set is mutated in turn.
    for (k, orig) in datas.iter().enumerate() {
        let map = Map::new(orig);
        let plan = plan_for(orig.len(), datas.len(), fx.weight);
        let seed = fx.name.bytes().fold(0xC0FFEE_u64, |h, b| {
            h.wrapping_mul(31).wrapping_add(b as u64)
        }) + k as u64;
        for m in mutations(orig, &map, &plan, seed) {
            count += 1;
            m.apply(orig, &mut buf);
            let mut set = slices.clone();
            set[k] = &buf;
            let (o, dt, peak) = run(&names, &set);
            local.verifications += 1;
            let what = format!("{} [{}] {}", fx.name, names[k], m.what);
            local.peak = local.peak.max(peak);
            if dt > local.slowest.0 {
                local.slowest = (dt, what.clone());
            }
            if dt > TIME_CAP {
                local.failures.push(format!("{what}: took {dt:?}"));
            }
            if peak > MEMORY_CAP {
                local
                    .failures
                    .push(format!("{what}: peak memory {} MiB", peak >> 20));
            }
            let changed = m.changed(orig);
            let in_header = |a: u64| a < 208 || (a >= map.header_at && a < map.header_at + 208);
            let covered = match m.kind {
                Kind::Truncate => true,
                _ => {
                    changed.iter().any(|&a| map.is_covered(a))
                        && !changed.iter().any(|&a| in_header(a))
                }
            };
            let t = local.table.entry((covered, m.kind)).or_default();
            t.tried += 1;
            let rep = match o {
                Outcome::Report(r) => r,
                Outcome::ReadError(e) => {
                    local
                        .failures
                        .push(format!("{what}: read error from in-memory data: {e}"));
                    continue;
                }
                Outcome::Panic(p) => {
                    local.failures.push(format!("{what}: PANIC {p}"));
                    continue;
                }
            };
            let safe = rep.verdict == Verdict::Safe;
            match rep.intact {
                Some(false) => t.detected += 1,
                None => t.unverified += 1,
                Some(true) => t.intact += 1,
            }
            t.safe += safe as u64;
            if base_intact == Some(false) {
                continue; // a corrupt original only has to survive
            }
            if covered && rep.intact != Some(false) {
                let codes: Vec<&str> = rep.findings.iter().map(|f| f.code.as_str()).collect();
                local.failures.push(format!("{what}: covered change not detected: intact={:?} verdict={} findings={codes:?}", rep.intact, rep.verdict));
            }
            if covered || rep.intact != Some(true) {
                continue;
            }
            let regions: Vec<Region> = changed.iter().map(|&a| map.region(a)).collect();
            for r in &regions {
                *local.intact_regions.entry(r.label()).or_default() += 1;
            }
            if regions.iter().all(|r| r.may_pass()) {
                continue;
            }
            // Intact although a check reads a changed byte: wimlib-imagex
            // verify must accept that kind of change too (one per group).
            let known = groups
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&m.group)
                .cloned();
            let c = match known {
                Some(c) => c,
                None => {
                    let c = Confirmed {
                        wimlib_accepts: wimlib_accepts(&names, &set, &format!("{k}-{count}")),
                        example: what.clone(),
                    };
                    groups
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(m.group.clone(), c.clone());
                    c
                }
            };
            // When wimlib rejects it, the change must at least show: a worse
            // verdict than the original's, or a new warning (never `safe`).
            let new_warning = rep
                .findings
                .iter()
                .any(|f| f.severity >= Severity::Warning && !base_codes.contains(f.code.as_str()));
            let visible = rep.verdict > base.verdict || new_warning;
            match c.wimlib_accepts {
                Some(true) => {}
                Some(false) if visible && !safe => local.warned.push(m.group.clone()),
                Some(false) => local.failures.push(format!("{what}: intact and verdict {} with no new warning, but wimlib-imagex verify rejects this kind of change ({}; checked on {})", rep.verdict, m.group, c.example)),
                None => local.failures.push(format!("{what}: intact after a change in {}, and wimlib-imagex could not be run to confirm", m.group)),
            }
        }
    }
    local
        .per_fixture
        .push((fx.name.clone(), count, t0.elapsed()));
    let mut r = res.lock().unwrap_or_else(|e| e.into_inner());
    for (key, t) in local.table {
        let e = r.table.entry(key).or_default();
        e.tried += t.tried;
        e.detected += t.detected;
        e.unverified += t.unverified;
        e.intact += t.intact;
        e.safe += t.safe;
    }
    for (k, v) in local.intact_regions {
        *r.intact_regions.entry(k).or_default() += v;
    }
    r.failures.extend(local.failures);
    r.warned.extend(local.warned);
    r.peak = r.peak.max(local.peak);
    r.verifications += local.verifications;
    r.per_fixture.extend(local.per_fixture);
    if local.slowest.0 > r.slowest.0 {
        r.slowest = local.slowest;
    }
}

#[test]
fn mutated_fixtures_never_crash_and_covered_changes_are_always_detected() {
    let t0 = Instant::now();
    let fxs = fixtures();
    assert!(
        fxs.len() >= 30,
        "expected the fixture set, found {}",
        fxs.len()
    );
    let res = Mutex::new(Results::default());
    let groups = Mutex::new(BTreeMap::new());
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(fx) = fxs.get(i) else { break };
                check_fixture(fx, &res, &groups);
            });
        }
    });
    let r = res.into_inner().unwrap_or_else(|e| e.into_inner());
    let groups = groups.into_inner().unwrap_or_else(|e| e.into_inner());

    if std::env::var_os("WIMPROOF_MUTATION_VERBOSE").is_some() {
        for (name, n, dt) in &r.per_fixture {
            println!("  {name:<32} {n:>6} mutations {:>7.2} s", dt.as_secs_f64());
        }
        for (g, c) in &groups {
            println!(
                "  wimlib-imagex verify accepts={:?}: {g} ({})",
                c.wimlib_accepts, c.example
            );
        }
    }
    println!(
        "mutation test: {} fixtures, {} verifications, {:.1} s, {threads} thread(s)",
        fxs.len(),
        r.verifications,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "{:<8} {:<14} {:>7} {:>9} {:>11} {:>7} {:>6}",
        "bytes", "kind", "tried", "detected", "unverified", "intact", "safe"
    );
    let mut tot = Tally::default();
    for ((covered, kind), t) in &r.table {
        let class = match (kind, covered) {
            (Kind::Truncate, _) => "any",
            (_, true) => "covered",
            _ => "other",
        };
        println!(
            "{class:<8} {:<14} {:>7} {:>9} {:>11} {:>7} {:>6}",
            format!("{kind:?}"),
            t.tried,
            t.detected,
            t.unverified,
            t.intact,
            t.safe
        );
        tot.tried += t.tried;
        tot.detected += t.detected;
        tot.unverified += t.unverified;
        tot.intact += t.intact;
        tot.safe += t.safe;
    }
    println!(
        "{:<8} {:<14} {:>7} {:>9} {:>11} {:>7} {:>6}",
        "all", "", tot.tried, tot.detected, tot.unverified, tot.intact, tot.safe
    );
    println!(
        "uncovered changes that left the image intact, by region of the changed bytes: {:?}",
        r.intact_regions
    );
    println!("kinds of intact change in a region a check reads, cross-checked with wimlib-imagex verify: {} ({} accepted by it)", groups.len(), groups.values().filter(|c| c.wimlib_accepts == Some(true)).count());
    // Kinds of change wimlib rejects that wimproof shows as a new warning or
    // a worse verdict (but not as corruption).
    let mut warned: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &r.warned {
        *warned.entry(w.as_str()).or_default() += 1;
    }
    println!("intact with a new warning where wimlib-imagex verify rejects, by kind: {warned:?}");
    println!(
        "peak heap of one verification: {:.1} MiB (cap {} MiB); slowest: {:.2} s ({})",
        r.peak as f64 / (1 << 20) as f64,
        MEMORY_CAP >> 20,
        r.slowest.0.as_secs_f64(),
        r.slowest.1
    );
    let covered_tried: u64 = r
        .table
        .iter()
        .filter(|(k, _)| k.0 && k.1 != Kind::Truncate)
        .map(|(_, t)| t.tried)
        .sum();
    assert!(
        covered_tried >= 1000 * scale().min(1.0) as u64,
        "too few covered mutations ({covered_tried}) to mean anything"
    );
    assert!(
        r.failures.is_empty(),
        "{} failures:\n{}",
        r.failures.len(),
        r.failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
