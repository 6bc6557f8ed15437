//! Phase 1: read the small structures of every part by random access
//! (header, blob table, XML, integrity table, metadata), check them, and
//! plan the tasks of phase 2.

use super::blob_index::{BlobIndex, Known};
use super::finding::{remedies, Capped, Finding};
use super::resource::{CollectSink, Layout, ResourceDecoder, Scratch};
use super::task::{BlobTarget, TaskKind, TaskSpec};
use super::Options;
use crate::codec::Codec;
use crate::format::blob_table::{parse_table, BlobEntry, BLOB_ENTRY_SIZE, MAX_BLOB_ENTRIES};
use crate::format::header::{self, Header, HEADER_SIZE};
use crate::format::hex;
use crate::format::integrity::{IntegrityLayoutError, IntegrityTable};
use crate::format::reshdr::ResHdr;
use crate::format::resource::{chunk_size_problem, SOLID_HEADER_SIZE};
use crate::format::xml::{self, XmlInfo, MAX_IMAGES, MAX_XML_SIZE};
use crate::read::{read_vec, ReadAt, ReadError};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;

/// Largest metadata resource (uncompressed) that is loaded. A full Windows
/// install image's metadata is 50–150 MB; the cap bounds memory for a
/// forged size.
pub const MAX_METADATA_SIZE: u64 = 1 << 30;
/// Metadata is reserved up front up to this many times its stored size
/// (real images compress their metadata about 3-6 to 1).
const METADATA_MAX_RATIO: u64 = 32;
/// Bytes of a metadata resource read (and decoded) at a time.
const METADATA_READ: u64 = 1 << 20;
/// Bytes of decoded metadata given to SHA-1 per call.
const HASH_PIECE: usize = 256 << 10;
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

/// One file of the set, after phase 1.
#[derive(Clone, Debug)]
pub struct PartState {
    pub name: String,
    pub size: u64,
    pub header: Option<Header>,
    pub integrity: Option<IntegrityTable>,
    /// Integrity covered range end (`blob table end`).
    pub integrity_end: u64,
    /// A reference WIM (`--ref`, the base of a delta): it lends its blobs
    /// to the image's trees and they are verified, but its own images,
    /// facts and counts are not the image's.
    pub reference: bool,
}

/// Facts the policy needs, gathered while opening.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub total_size: u64,
    pub largest_part: u64,
    pub parts: u16,
    pub pipable: bool,
    pub solid: bool,
    pub codec: Option<Codec>,
    pub chunk_size: u32,
    pub lzms: bool,
    pub integrity_present: bool,
    pub write_in_progress: bool,
    pub resources_above_4g: u64,
    pub resources_crossing_4g: u64,
    pub blobs_over_4g: u64,
    pub largest_image_bytes: u64,
    pub boot_images_without_wds_tools: Vec<u32>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ResourceCounts {
    pub blob_entries: u64,
    pub metadata_resources: u64,
    pub solid_resources: u64,
    pub blobs_in_solid_resources: u64,
    pub compressed: u64,
    pub uncompressed: u64,
    pub stored_bytes: u64,
    pub uncompressed_bytes: u64,
    pub above_4gib: u64,
    pub crossing_4gib: u64,
    pub uncompressed_over_4gib: u64,
    pub duplicate_hashes: u64,
    pub zero_hash_entries: u64,
}

/// What phase 1 produced.
pub struct Opened {
    pub parts: Vec<PartState>,
    pub findings: Vec<Finding>,
    pub facts: Facts,
    pub tasks: Vec<TaskSpec>,
    pub xml: Option<XmlInfo>,
    pub resources: ResourceCounts,
    /// Per image, in image order: whether its metadata resource was read
    /// and matched its SHA-1 (each is decompressed, walked and dropped in
    /// turn: only one image's metadata is in memory at a time).
    pub metadata: Vec<bool>,
    /// Blob table across parts, by SHA-1.
    pub blobs: BlobIndex,
    /// Per image, what the tree walk found (None if not walked).
    pub trees: Vec<Option<super::tree::TreeSummary>>,
    /// The first path using each blob.
    pub paths: super::tree::BlobPaths,
    /// Blobs numbered below this are the image's own; the rest come from
    /// reference WIMs (numbers are given in table order, files before refs).
    pub own_blobs: usize,
}

impl Opened {
    /// The first path in the images that uses the blob with this SHA-1.
    pub fn blob_path(&self, sha1: &[u8; 20]) -> Option<String> {
        self.paths.of_blob(&self.blobs, sha1)
    }
}

struct Ctx<'a> {
    findings: &'a mut Vec<Finding>,
    part: Option<String>,
    /// The file is a reference WIM (see [`PartState::reference`]).
    reference: bool,
    /// Shared by all parts: at most MAX_FINDINGS_PER_CODE of each code.
    capped: &'a mut Capped,
}

impl Ctx<'_> {
    fn push(&mut self, f: Finding) {
        self.capped
            .push(self.findings, f.in_part(self.part.as_deref()));
    }
}

/// Runs phase 1 on a set of files (one WIM, or the parts of a split set).
pub fn open(files: &[(&str, &dyn ReadAt)], opts: &Options) -> Result<Opened, ReadError> {
    open_observed(files, &[], opts, &mut |_, _, _| {})
}

/// The steps of phase 1 that report how far they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Planning a part's blob table: entries behind, of the table's.
    BlobTable,
    /// Loading the directory trees, in metadata bytes: each image counts
    /// its uncompressed metadata twice, once as it decompresses and once
    /// as its tree is walked.
    Trees,
}

impl Opening {
    pub fn as_str(self) -> &'static str {
        match self {
            Opening::BlobTable => "blob table",
            Opening::Trees => "trees",
        }
    }
}

/// Blob table entries planned between two progress calls.
const PLAN_PROGRESS_EVERY: usize = 4096;

/// [`open`], telling `progress(step, done, total)` how far the long steps
/// are (see [`Opening`]): an install image has hundreds of thousands of
/// blobs and tens of MB of metadata per edition.
///
/// `refs` are reference WIMs, as `wimlib-imagex verify --ref` takes them:
/// the base a delta (`--delta-from`) was captured against, whose blobs the
/// delta's trees use. Their blob tables join the image's (a blob both hold
/// is taken from the image, silently, as wimlib does), their blobs and
/// integrity chunks are verified, and they follow `files` in
/// [`Opened::parts`] (so task part numbers index `files` then `refs`).
pub fn open_observed(
    files: &[(&str, &dyn ReadAt)],
    refs: &[(&str, &dyn ReadAt)],
    opts: &Options,
    progress: &mut dyn FnMut(Opening, u64, u64),
) -> Result<Opened, ReadError> {
    let mut o = Opened {
        parts: Vec::new(),
        findings: Vec::new(),
        facts: Facts::default(),
        tasks: Vec::new(),
        xml: None,
        resources: ResourceCounts::default(),
        metadata: Vec::new(),
        blobs: BlobIndex::default(),
        trees: Vec::new(),
        paths: Default::default(),
        own_blobs: 0,
    };
    let split = files.len() > 1;
    let named = split || !refs.is_empty();
    let mut metadata_entries: Vec<(usize, BlobEntry)> = Vec::new();
    let mut first_header: Option<Header> = None;
    let mut seen_parts: BTreeMap<u16, String> = BTreeMap::new();
    let mut capped = Capped::default();
    // What a reference WIM's header and table would add to the image's own
    // facts and counts goes here instead, unused.
    let mut ref_facts = Facts::default();
    let mut ref_counts = ResourceCounts::default();
    let mut ref_metadata: Vec<(usize, BlobEntry)> = Vec::new();

    let all = files
        .iter()
        .map(|f| (f, false))
        .chain(refs.iter().map(|f| (f, true)));
    for (pi, ((name, r), reference)) in all.enumerate() {
        let size = r.size();
        if !reference {
            o.facts.total_size = o.facts.total_size.saturating_add(size);
            o.facts.largest_part = o.facts.largest_part.max(size);
        }
        let mut ctx = Ctx {
            findings: &mut o.findings,
            part: named.then(|| name.to_string()),
            reference,
            capped: &mut capped,
        };
        let mut part = PartState {
            name: name.to_string(),
            size,
            header: None,
            integrity: None,
            integrity_end: 0,
            reference,
        };
        let (facts, counts, metadata) = if reference {
            (&mut ref_facts, &mut ref_counts, &mut ref_metadata)
        } else {
            (&mut o.facts, &mut o.resources, &mut metadata_entries)
        };
        // A reference WIM's own digest is not asked for: its bytes are
        // checked through its blobs and integrity table.
        if (opts.sha256 || opts.sha1) && !reference {
            o.tasks.push(TaskSpec {
                id: 0,
                part: pi as u16,
                start: 0,
                end: size,
                kind: TaskKind::FileDigest {
                    sha256: opts.sha256,
                    sha1: opts.sha1,
                },
            });
        }
        let hdr = match read_header(*r, size, &mut ctx)? {
            Some(h) => h,
            None => {
                o.parts.push(part);
                continue;
            }
        };
        check_header(&hdr, size, &mut ctx, facts);
        if reference {
            // Its GUID and part numbers are its own set's, not the image's.
        } else if let Some(first) = &first_header {
            if first.guid != hdr.guid {
                ctx.push(Finding::corruption(
                    "split.guid_mismatch",
                    format!("header: GUID {} differs from the first part's {}; this file belongs to another split set", hdr.guid_string(), first.guid_string()),
                ).at(0x18));
            }
        } else {
            first_header = Some(hdr.clone());
        }
        if reference {
        } else if let Some(prev) = seen_parts.insert(hdr.part_number, name.to_string()) {
            ctx.push(
                Finding::corruption(
                    "split.duplicate_part",
                    format!(
                        "header: part number {} appears twice ({prev} and {name})",
                        hdr.part_number
                    ),
                )
                .at(0x28),
            );
        }

        // Blob table.
        let entries = read_blob_table(*r, &hdr, size, &mut ctx)?;
        // Integrity table.
        part.integrity_end = hdr.blob_table.end().unwrap_or(0);
        if let Some(t) = read_integrity(*r, &hdr, size, &mut ctx)? {
            let chunks = t.digests.len();
            let mut first = 0usize;
            while first < chunks {
                let per_task = (INTEGRITY_TASK_BYTES / t.chunk_size.max(1) as u64)
                    .clamp(1, INTEGRITY_MAX_CHUNKS_PER_TASK);
                let n = (per_task as usize).min(chunks - first);
                let start = HEADER_SIZE as u64 + first as u64 * t.chunk_size as u64;
                let end = (start + n as u64 * t.chunk_size as u64).min(part.integrity_end);
                o.tasks.push(TaskSpec {
                    id: 0,
                    part: pi as u16,
                    start,
                    end,
                    kind: TaskKind::Integrity {
                        chunk_size: t.chunk_size,
                        first: first as u64,
                        expected: t.digests[first..first + n].to_vec(),
                    },
                });
                first += n;
            }
            part.integrity = Some(t);
            facts.integrity_present = true;
        }
        // XML (every part has one; the first part's is the one reported).
        // Each part's XML must agree with that part's header.
        if let Some(x) = read_xml(*r, &hdr, size, &mut ctx)? {
            let mut mismatch = Vec::new();
            check_xml_vs_header(&hdr, &x, &mut mismatch);
            mismatch.into_iter().for_each(|f| ctx.push(f));
            if o.xml.is_none() && !reference {
                o.xml = Some(x);
            }
        }
        plan_blobs(
            pi,
            *r,
            &hdr,
            size,
            &entries,
            &mut ctx,
            &mut o.tasks,
            counts,
            &mut o.blobs,
            metadata,
            progress,
        )?;
        part.header = Some(hdr);
        o.parts.push(part);
        if !reference {
            o.own_blobs = o.blobs.len();
        }
    }

    o.findings.extend(capped.summaries());
    if let Some(h) = &first_header {
        check_split_set(h, &seen_parts, files.len(), &mut o.findings);
    }
    if let Some(h) = &first_header {
        let all_parts = !o.findings.iter().any(|f| f.code == "split.missing_part");
        check_metadata_count(h, &metadata_entries, &mut o);
        check_trees(files, h, &metadata_entries, all_parts, &mut o, progress)?;
    }
    for (i, t) in o.tasks.iter_mut().enumerate() {
        t.id = i as u32;
    }
    Ok(o)
}

fn read_header(r: &dyn ReadAt, size: u64, ctx: &mut Ctx) -> Result<Option<Header>, ReadError> {
    if size < HEADER_SIZE as u64 {
        ctx.push(
            Finding::corruption(
                "header.truncated",
                format!("file is {size} bytes, shorter than the 208-byte WIM header"),
            )
            .at(0)
            .remedy(remedies::RECOPY),
        );
        return Ok(None);
    }
    let mut b = [0u8; HEADER_SIZE];
    r.read_at(0, &mut b)?;
    let mut h = Header::parse(&b);
    if h.is_pipable() {
        // A pipable WIM's leading header has zeroed tables; the real one is
        // the last 208 bytes.
        if size >= 2 * HEADER_SIZE as u64 {
            let mut t = [0u8; HEADER_SIZE];
            r.read_at(size - HEADER_SIZE as u64, &mut t)?;
            let tail = Header::parse(&t);
            if tail.magic == header::PIPABLE_MAGIC {
                h = tail;
            } else {
                ctx.push(Finding::corruption("header.pipable_trailer", "pipable WIM: the last 208 bytes are not a WIM header (the file was cut short or the write never finished)").at(size - HEADER_SIZE as u64).remedy(remedies::RECOPY));
                return Ok(None);
            }
        }
    } else if h.magic != header::MAGIC {
        ctx.push(Finding::corruption("header.magic", format!("header at offset 0: magic {} is neither MSWIM nor WLPWM; this is not a WIM file", hex(&h.magic))).at(0));
        return Ok(None);
    }
    if h.hdr_size != HEADER_SIZE as u32 {
        ctx.push(
            Finding::corruption(
                "header.size",
                format!("header: header size field is {}, not 208", h.hdr_size),
            )
            .at(0x08),
        );
    }
    Ok(Some(h))
}

fn check_header(h: &Header, size: u64, ctx: &mut Ctx, facts: &mut Facts) {
    facts.pipable |= h.is_pipable();
    if h.version != header::VERSION_DEFAULT && h.version != header::VERSION_SOLID {
        ctx.push(
            Finding::corruption(
                "header.version",
                format!(
                    "header: version {:#x} is neither 0x10d00 nor 0xe00",
                    h.version
                ),
            )
            .at(0x0C),
        );
    }
    if h.version == header::VERSION_SOLID {
        facts.solid = true;
    }
    let (_, unknown) = h.flag_names();
    if unknown != 0 {
        ctx.push(
            Finding::warning(
                "header.unknown_flags",
                format!("header: unknown flag bits {unknown:#x} are set"),
            )
            .at(0x10),
        );
    }
    if h.flags & header::FLAG_WRITE_IN_PROGRESS != 0 {
        facts.write_in_progress = true;
        ctx.push(Finding::blocker("header.write_in_progress", "header: the WRITE_IN_PROGRESS flag is set: a program crashed or was stopped while writing this image, so it may be incomplete").at(0x10).remedy(remedies::EXPORT));
    }
    match h.codec() {
        None => ctx.push(
            Finding::corruption(
                "header.compression",
                "header: the COMPRESSION flag is set without a known compression type",
            )
            .at(0x10),
        ),
        Some(c) => {
            facts.codec = Some(c);
            facts.chunk_size = h.chunk_size;
            if c == Codec::Lzms {
                facts.lzms = true;
            }
            if c == Codec::None {
                if h.flags
                    & (header::FLAG_LZX
                        | header::FLAG_XPRESS
                        | header::FLAG_LZMS
                        | header::FLAG_XPRESS2)
                    != 0
                {
                    ctx.push(
                        Finding::warning(
                            "header.compression",
                            "header: a compression type flag is set without the COMPRESSION flag",
                        )
                        .at(0x10),
                    );
                }
                if h.chunk_size != 0 {
                    // The data is unaffected, but wimlib 1.13 refuses to
                    // open such a file ("compression chunk size was
                    // unrecognized"), so it is not a clean image.
                    ctx.push(
                        Finding::warning(
                            "header.chunk_size",
                            format!(
                                "header: chunk size is {} in an uncompressed WIM (writers put 0 there); wimlib 1.13 refuses to open it",
                                h.chunk_size
                            ),
                        )
                        .at(0x14),
                    );
                }
            } else if let Some(p) = chunk_size_problem(c, h.chunk_size) {
                ctx.push(
                    Finding::corruption(
                        "header.chunk_size",
                        format!("header: {c} chunk size {} {p}", h.chunk_size),
                    )
                    .at(0x14),
                );
            }
        }
    }
    if h.part_number == 0 || h.part_number > h.total_parts {
        ctx.push(
            Finding::corruption(
                "header.part",
                format!(
                    "header: part {} of {} is impossible",
                    h.part_number, h.total_parts
                ),
            )
            .at(0x28),
        );
    }
    if h.total_parts > 1 && h.flags & header::FLAG_SPANNED == 0 {
        ctx.push(
            Finding::warning(
                "header.part",
                format!(
                    "header: {} parts but the SPANNED flag is not set",
                    h.total_parts
                ),
            )
            .at(0x10),
        );
    }
    facts.parts = facts.parts.max(h.total_parts);
    if h.image_count > MAX_IMAGES {
        ctx.push(
            Finding::corruption(
                "header.image_count",
                format!("header: image count {} exceeds {MAX_IMAGES}", h.image_count),
            )
            .at(0x2C),
        );
    }
    if h.boot_index > h.image_count {
        ctx.push(
            Finding::warning(
                "header.boot_index",
                format!(
                    "header: boot index {} is above the image count {}",
                    h.boot_index, h.image_count
                ),
            )
            .at(0x78),
        );
    }
    if h.guid == [0u8; 16] {
        ctx.push(Finding::info("header.guid", "header: the GUID is all zeros").at(0x18));
    }
    for (field, at, r) in [
        ("blob table", 0x30u64, &h.blob_table),
        ("XML data", 0x48, &h.xml),
        ("integrity table", 0x7C, &h.integrity),
        ("boot metadata", 0x60, &h.boot_metadata),
    ] {
        if r.is_zero() {
            continue;
        }
        match r.end() {
            Some(end) if end <= size => {}
            _ => ctx.push(Finding::corruption("header.reshdr_out_of_file", format!("header: the {field} at offset {} with size {} ends past the end of the {size}-byte file", r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY)),
        }
    }
    if h.blob_table.is_zero() && h.xml.is_zero() {
        ctx.push(Finding::corruption("header.incomplete", "header: neither a blob table nor XML data is recorded; the image was never finished").at(0x30));
    }
}

fn in_file(r: &ResHdr, size: u64) -> bool {
    matches!(r.end(), Some(e) if e <= size)
}

/// A header resource (blob table, XML, integrity table) flagged SOLID:
/// readers then take its first bytes for a solid resource header and fail,
/// so it is unreadable. Reports it and returns true.
fn solid_header_resource(field: &str, at: u64, r: &ResHdr, ctx: &mut Ctx) -> bool {
    if !r.is_solid() {
        return false;
    }
    ctx.push(Finding::corruption("header.solid_resource", format!("header: the {field} at offset {} carries the SOLID resource flag, which only blob table entries may have; readers cannot read it", r.offset)).at(at).remedy(remedies::RECOPY));
    true
}

fn read_blob_table(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Vec<BlobEntry>, ReadError> {
    let t = &h.blob_table;
    if t.is_zero() || !in_file(t, size) || solid_header_resource("blob table", 0x30, t, ctx) {
        return Ok(Vec::new());
    }
    if t.is_compressed() || t.size_in_wim != t.uncompressed_size {
        ctx.push(
            Finding::unverified(
                "blobtable.compressed",
                format!(
                    "blob table at offset {}: stored compressed, which wimproof does not read",
                    t.offset
                ),
            )
            .at(0x30),
        );
        return Ok(Vec::new());
    }
    let count = t.size_in_wim / BLOB_ENTRY_SIZE as u64;
    if count > MAX_BLOB_ENTRIES {
        ctx.push(Finding::corruption("blobtable.too_large", format!("blob table at offset {}: {count} entries exceed the limit of {MAX_BLOB_ENTRIES}", t.offset)).at(t.offset));
        return Ok(Vec::new());
    }
    let data = read_vec(
        r,
        t.offset,
        t.size_in_wim,
        MAX_BLOB_ENTRIES * BLOB_ENTRY_SIZE as u64 + BLOB_ENTRY_SIZE as u64,
    )?;
    let (entries, rest) = parse_table(&data);
    if rest != 0 {
        ctx.push(Finding::corruption("blobtable.size", format!("blob table at offset {}: its {} bytes are not a whole number of 50-byte entries", t.offset, t.size_in_wim)).at(t.offset));
    }
    Ok(entries)
}

fn read_integrity(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Option<IntegrityTable>, ReadError> {
    let t = &h.integrity;
    if t.is_zero() {
        ctx.push(Finding::info("integrity.absent", "the WIM has no integrity table; its data is checked through the blob SHA-1s instead").remedy("Capture or export with `/CheckIntegrity` (DISM) or `--check` (wimlib) to add one."));
        return Ok(None);
    }
    if !in_file(t, size) || solid_header_resource("integrity table", 0x7C, t, ctx) {
        return Ok(None);
    }
    let limit = 12 + 20 * crate::format::integrity::MAX_INTEGRITY_CHUNKS as u64;
    if t.size_in_wim > limit {
        ctx.push(
            Finding::corruption(
                "integrity.layout",
                format!(
                    "integrity table at offset {}: {} bytes exceed the limit of {limit}",
                    t.offset, t.size_in_wim
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    let data = read_vec(r, t.offset, t.size_in_wim, limit)?;
    let bad = |ctx: &mut Ctx, why: String| {
        ctx.push(
            Finding::corruption(
                "integrity.layout",
                format!("integrity table at offset {}: {why}", t.offset),
            )
            .at(t.offset)
            .remedy(remedies::RECOPY),
        );
    };
    if t.uncompressed_size != t.size_in_wim {
        bad(
            ctx,
            format!(
                "stored size {} differs from its size {}",
                t.size_in_wim, t.uncompressed_size
            ),
        );
        return Ok(None);
    }
    let table = match IntegrityTable::parse(&data) {
        Ok(tb) => tb,
        Err(e) => {
            let why = match e {
                IntegrityLayoutError::TooShort => "too short for its header".to_string(),
                IntegrityLayoutError::SizeMismatch { declared, actual } => format!("declares {declared} bytes but holds {actual}, which is not 12 + 20 x its chunk count"),
                IntegrityLayoutError::TooManyChunks(n) => format!("{n} chunks exceed the limit"),
                IntegrityLayoutError::ZeroChunkSize => "chunk size is 0".to_string(),
            };
            bad(ctx, why);
            return Ok(None);
        }
    };
    let end = h.blob_table.end().unwrap_or(0);
    let need = IntegrityTable::chunks_needed(table.chunk_size, end);
    if need != table.num_chunks as u64 || end > size {
        bad(
            ctx,
            format!(
                "lists {} chunks of {} bytes, but bytes 208..{end} need {need}",
                table.num_chunks, table.chunk_size
            ),
        );
        return Ok(None);
    }
    Ok(Some(table))
}

fn read_xml(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Option<XmlInfo>, ReadError> {
    let t = &h.xml;
    if t.is_zero() || !in_file(t, size) || solid_header_resource("XML data", 0x48, t, ctx) {
        return Ok(None);
    }
    if t.is_compressed() || t.size_in_wim != t.uncompressed_size {
        ctx.push(
            Finding::unverified(
                "xml.compressed",
                format!(
                    "XML data at offset {}: stored compressed, which wimproof does not read",
                    t.offset
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    if t.size_in_wim > MAX_XML_SIZE {
        ctx.push(
            Finding::corruption(
                "xml.too_large",
                format!(
                    "XML data at offset {}: {} bytes exceed the limit of {MAX_XML_SIZE}",
                    t.offset, t.size_in_wim
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    let data = read_vec(r, t.offset, t.size_in_wim, MAX_XML_SIZE)?;
    match xml::parse(&data) {
        Ok(x) => {
            if x.encrypted_esd {
                ctx.push(
                    Finding::unverified(
                        "xml.encrypted",
                        "XML data: the image is an encrypted ESD; its resources cannot be checked",
                    )
                    .at(t.offset),
                );
            }
            Ok(Some(x))
        }
        Err(e) => {
            ctx.push(
                Finding::corruption(
                    "xml.invalid",
                    format!("XML data at offset {}: {e}", t.offset),
                )
                .at(t.offset)
                .remedy(remedies::EXPORT),
            );
            Ok(None)
        }
    }
}

fn check_xml_vs_header(h: &Header, x: &XmlInfo, findings: &mut Vec<Finding>) {
    let n = x.images.len() as u64;
    if n != h.image_count as u64 {
        findings.push(
            Finding::corruption(
                "xml.image_count",
                format!(
                    "XML data describes {n} images but the header says {}",
                    h.image_count
                ),
            )
            .at(h.xml.offset),
        );
    }
    let mut idx: Vec<u32> = x.images.iter().map(|i| i.index).collect();
    idx.sort_unstable();
    if idx.iter().enumerate().any(|(i, &v)| v as usize != i + 1) {
        findings.push(
            Finding::corruption(
                "xml.indexes",
                "XML data: image INDEX attributes are not exactly 1..N, each once",
            )
            .at(h.xml.offset),
        );
    }
}

fn check_split_set(
    h: &Header,
    seen: &BTreeMap<u16, String>,
    given: usize,
    findings: &mut Vec<Finding>,
) {
    if h.total_parts <= 1 && given <= 1 {
        return;
    }
    let missing: Vec<String> = (1..=h.total_parts)
        .filter(|p| !seen.contains_key(p))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        findings.push(Finding::unverified("split.missing_part", format!("split set of {} parts: part(s) {} were not given, so their data is not checked", h.total_parts, missing.join(", "))).remedy("Give all .swm parts together (the CLI looks for name2.swm, name3.swm... beside the first)."));
    }
}

/// Checks the blob table entries of one part and plans a task per resource.
#[allow(clippy::too_many_arguments)]
fn plan_blobs(
    pi: usize,
    r_at: &dyn ReadAt,
    h: &Header,
    size: u64,
    entries: &[BlobEntry],
    ctx: &mut Ctx,
    tasks: &mut Vec<TaskSpec>,
    rc: &mut ResourceCounts,
    blobs: &mut BlobIndex,
    metadata_entries: &mut Vec<(usize, BlobEntry)>,
    progress: &mut dyn FnMut(Opening, u64, u64),
) -> Result<(), ReadError> {
    let part_no = h.part_number;
    let mut ranges: Vec<(u64, u64, usize)> = Vec::new();
    // Solid run being collected: resource entries, then blob entries.
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
                ctx.push(Finding::corruption("blobtable.solid_in_old_version", format!("blob table entry {i} (offset {at}): a solid resource in a version {:#x} WIM", h.version)).at(at));
                continue;
            }
            if !solid_blobs.is_empty() {
                plan_solid_run(pi, r_at, size, &mut solid_res, &mut solid_blobs, ctx, tasks)?;
            }
            rc.solid_resources += 1;
            rc.stored_bytes = rc.stored_bytes.saturating_add(r.size_in_wim);
            if !in_file(r, size) {
                ctx.push(Finding::corruption("blobtable.out_of_file", format!("blob table entry {i} (offset {at}): solid resource at offset {} with size {} ends past the end of the {size}-byte file", r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY));
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
            ctx.push(Finding::corruption("blobtable.size_mismatch", format!("blob table entry {i} (offset {at}): uncompressed blob {} has stored size {} but size {}", hex(&e.sha1), r.size_in_wim, r.uncompressed_size)).at(at));
            continue;
        }
        if e.has_zero_hash() {
            rc.zero_hash_entries += 1;
            continue;
        }
        // An entry of another part is ignored, as readers do, before it can
        // count as present: a blob only listed that way is missing.
        if e.part_number != part_no {
            ctx.push(Finding::warning("blobtable.wrong_part", format!("blob table entry {i} (offset {at}): says part {} but is in part {part_no}'s table; ignored", e.part_number)).at(at));
            continue;
        }
        // Image metadata cannot live in a solid resource: readers refuse
        // it (and ignore such an entry with no references).
        if r.is_solid() && r.is_metadata() && h.version == header::VERSION_SOLID {
            if e.refcount != 0 {
                ctx.push(Finding::corruption("blobtable.solid_metadata", format!("blob table entry {i} (offset {at}): a metadata resource inside a solid resource, which readers refuse")).at(at));
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
                ctx.push(Finding::warning("blobtable.metadata_in_later_part", format!("blob table entry {i} (offset {at}): a metadata resource in part {part_no} of a split set; only part 1 holds image metadata, so readers ignore it")).at(at));
            } else {
                rc.metadata_resources += 1;
                if e.refcount > 1 {
                    ctx.push(Finding::warning("blobtable.metadata_refcount", format!("blob table entry {i} (offset {at}): metadata resource with reference count {}, not 1 (wimlib refuses to open such a file)", e.refcount)).at(at));
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
                    ctx.push(Finding::warning("blobtable.duplicate_hash", format!("blob table entries {prev} and {i}: both hold blob {}; readers use only one", hex(&e.sha1))).at(at));
                }
                continue;
            }
        }
        if r.is_solid() {
            if h.version != header::VERSION_SOLID {
                ctx.push(Finding::corruption("blobtable.solid_in_old_version", format!("blob table entry {i} (offset {at}): a solid blob in a version {:#x} WIM", h.version)).at(at));
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
            ctx.push(Finding::corruption("blobtable.out_of_file", format!("blob table entry {i} (offset {at}): blob {} at offset {} with stored size {} ends past the end of the {size}-byte file", hex(&e.sha1), r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY));
            continue;
        };
        if r.offset < HEADER_SIZE as u64 {
            ctx.push(Finding::corruption("blobtable.overlaps_header", format!("blob table entry {i} (offset {at}): blob {} starts at offset {} inside the header", hex(&e.sha1), r.offset)).at(at));
            continue;
        }
        note_4g(r, rc);
        ranges.push((r.offset, end, i));
        if r.is_metadata() {
            continue; // verified in phase 1 with the tree
        }
        let Some(layout) = Layout::non_solid(h, r) else {
            ctx.push(Finding::corruption("blobtable.compressed_in_uncompressed_wim", format!("blob table entry {i} (offset {at}): compressed resource in a WIM whose header names no codec")).at(at));
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
    progress(Opening::BlobTable, n, n);
    Ok(())
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
            ctx.push(Finding::corruption("blobtable.solid_header", format!("blob table entry {i}: solid resource at offset {} is too small for its header", rh.offset)).at(rh.offset));
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
            None => ctx.push(Finding::corruption("blobtable.solid_unassigned", format!("blob table entry {i}: blob {} at offset {off} (size {len}) of the solid run's data lies in no solid resource", hex(&e.sha1)))),
        }
    }
    for (k, &(i, e)) in res.iter().enumerate() {
        let mut t = std::mem::take(&mut targets[k]);
        t.sort_by_key(|b| b.offset);
        for w in t.windows(2) {
            if w[1].offset < w[0].offset + w[0].size {
                ctx.push(Finding::corruption("blobtable.solid_overlap", format!("blob table entries {} and {}: blobs overlap inside the solid resource of entry {i}", w[0].entry, w[1].entry)).at(e.reshdr.offset));
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
            ctx.push(Finding::corruption("blobtable.overlap", format!("blob table entries {} and {}: their resources overlap (offsets {}..{} and {}..{})", a.2, b.2, a.0, a.1, b.0, b.1)).at(table_at + b.2 as u64 * BLOB_ENTRY_SIZE as u64));
        }
    }
}

/// The metadata entries that are images: those with references, in table
/// order, at most one per image the header counts (readers assign them in
/// that order and ignore entries with no references and any beyond the
/// image count).
fn image_entries<'e>(h: &Header, entries: &'e [(usize, BlobEntry)]) -> Vec<&'e (usize, BlobEntry)> {
    entries
        .iter()
        .filter(|(_, e)| e.refcount != 0)
        .take(h.image_count as usize)
        .collect()
}

/// Checks that the blob table has one metadata resource per image. Fewer
/// is corruption (an image has no tree: wimlib then refuses the file);
/// more is a warning, since readers use the first ones and ignore the rest.
fn check_metadata_count(h: &Header, entries: &[(usize, BlobEntry)], o: &mut Opened) {
    if h.part_number != 1 {
        return;
    }
    let live = entries.iter().filter(|(_, e)| e.refcount != 0).count() as u64;
    let images = h.image_count as u64;
    if live < images {
        o.findings.push(
            Finding::corruption(
                "blobtable.metadata_count",
                format!("blob table: {live} metadata resources for {images} images"),
            )
            .at(h.blob_table.offset),
        );
    } else if live > images {
        o.findings.push(
            Finding::warning(
                "blobtable.metadata_extra",
                format!("blob table: {live} metadata resources for {images} images; readers use the first {images} and ignore the rest"),
            )
            .at(h.blob_table.offset)
            .remedy(remedies::EXPORT),
        );
    }
}

/// Reads, decompresses and checks the metadata resource of image
/// `image_no` (entry `e` of part `pi`): its bytes, or `None` (with a
/// finding) if it cannot be used.
fn load_one(
    files: &[(&str, &dyn ReadAt)],
    h: &Header,
    (pi, e): &(usize, BlobEntry),
    image_no: usize,
    scratch: &mut Scratch,
    findings: &mut Vec<Finding>,
    decoded: &mut dyn FnMut(u64),
) -> Result<Option<Vec<u8>>, ReadError> {
    let (_, r) = files[*pi];
    let size = r.size();
    let rh = &e.reshdr;
    if !in_file(rh, size) || rh.offset < HEADER_SIZE as u64 {
        return Ok(None);
    }
    let limit = MAX_METADATA_SIZE.min(size.saturating_mul(512));
    if rh.uncompressed_size > limit || rh.size_in_wim > MAX_METADATA_SIZE {
        findings.push(Finding::corruption("metadata.too_large", format!("image {image_no}: metadata resource at offset {} declares {} bytes, above the limit of {limit}", rh.offset, rh.uncompressed_size)).at(rh.offset));
        return Ok(None);
    }
    let Some(layout) = Layout::non_solid(h, rh) else {
        findings.push(Finding::corruption("metadata.compressed_in_uncompressed_wim", format!("image {image_no}: metadata resource at offset {} is marked compressed in a WIM whose header names no codec", rh.offset)).at(rh.offset));
        return Ok(None);
    };
    let mut dec = ResourceDecoder::new(layout, rh.offset, rh.size_in_wim);
    // Sized once when the declared size is plausible for the stored size
    // (growing by doubling would hold up to 1.5x the size at a time); a
    // forged declaration only gets what the data actually produces.
    let plausible = rh.size_in_wim.saturating_mul(METADATA_MAX_RATIO);
    let reserve = rh.uncompressed_size.min(plausible).min(MAX_METADATA_SIZE);
    let mut sink = CollectSink {
        bytes: Vec::with_capacity(usize::try_from(reserve).unwrap_or(0)),
        limit: rh.uncompressed_size,
        gap: None,
        overflow: false,
    };
    // Read and decoded a piece at a time: the stored resource is never
    // whole in memory beside its decompressed data, and the page can show
    // progress while a large one decompresses.
    let mut piece = vec![0u8; METADATA_READ.min(rh.size_in_wim) as usize];
    let mut at = 0u64;
    while at < rh.size_in_wim {
        let n = (rh.size_in_wim - at).min(METADATA_READ) as usize;
        let buf = &mut piece[..n];
        // In the file: checked by in_file above.
        r.read_at(rh.offset + at, buf)?;
        dec.feed(buf, scratch, &mut sink);
        at += n as u64;
        decoded(sink.bytes.len() as u64);
        if sink.gap.is_some() {
            break;
        }
    }
    drop(piece);
    dec.finish(&mut sink);
    if let Some(f) = sink.gap {
        if f.corrupt {
            findings.push(
                Finding::corruption(
                    "metadata.undecodable",
                    format!(
                        "image {image_no}: metadata resource at offset {}: {}",
                        rh.offset, f.message
                    ),
                )
                .at(f.offset)
                .remedy(remedies::RECOPY),
            );
        } else {
            findings.push(
                Finding::unverified(
                    "metadata.unverified",
                    format!(
                        "image {image_no}: metadata resource at offset {} not verified: {}",
                        rh.offset, f.message
                    ),
                )
                .at(f.offset),
            );
        }
        return Ok(None);
    }
    // In pieces: V8 runs a wasm function's first calls in its baseline
    // compiler and switches to optimised code only at a later call, so one
    // call over 41 MB of metadata ran at baseline speed, 0.9 s on the page
    // (the CLI does not care).
    let mut hasher = Sha1::new();
    for piece in sink.bytes.chunks(HASH_PIECE) {
        hasher.update(piece);
    }
    let got = hasher.finalize();
    if got.as_slice() != e.sha1 {
        findings.push(Finding::corruption("metadata.hash_mismatch", format!("image {image_no}: metadata resource at offset {}: SHA-1 {} does not match the blob table's {}", rh.offset, hex(&got), hex(&e.sha1))).at(rh.offset).remedy(remedies::RECOPY));
        return Ok(None);
    }
    Ok(Some(sink.bytes))
}

/// Walks every loaded image tree; compares counts with the XML.
/// The header keeps a copy of the bootable image's metadata resource
/// header; boot tools read that copy, so it must match the image's entry.
fn check_boot_metadata(h: &Header, live: &[&BlobEntry], findings: &mut Vec<Finding>) {
    let b = &h.boot_metadata;
    if h.boot_index == 0 || h.boot_index > h.image_count {
        return;
    }
    let Some(entry) = live.get(h.boot_index as usize - 1) else {
        return;
    };
    let e = &entry.reshdr;
    if b.is_zero() {
        findings.push(
            Finding::warning(
                "header.boot_metadata",
                format!("header: boot index {} is set but the boot metadata copy at offset 0x60 is empty", h.boot_index),
            )
            .at(0x60),
        );
    } else if (b.offset, b.size_in_wim, b.uncompressed_size)
        != (e.offset, e.size_in_wim, e.uncompressed_size)
    {
        findings.push(
            Finding::warning(
                "header.boot_metadata",
                format!(
                    "header: the boot metadata copy (offset {}, size {}) does not match image {}'s metadata resource (offset {}, size {})",
                    b.offset, b.size_in_wim, h.boot_index, e.offset, e.size_in_wim
                ),
            )
            .at(0x60)
            .remedy(remedies::EXPORT),
        );
    }
}

fn check_trees(
    files: &[(&str, &dyn ReadAt)],
    h: &Header,
    metadata_entries: &[(usize, BlobEntry)],
    all_parts: bool,
    o: &mut Opened,
    progress: &mut dyn FnMut(Opening, u64, u64),
) -> Result<(), ReadError> {
    use super::tree::{check_image, check_refcounts, TreeContext};
    let images = image_entries(h, metadata_entries);
    let live: Vec<&BlobEntry> = images.iter().map(|(_, e)| e).collect();
    check_boot_metadata(h, &live, &mut o.findings);
    // Decompressing, then walking, each image's metadata.
    let total: u64 = live
        .iter()
        .map(|e| 2 * e.reshdr.uncompressed_size.min(MAX_METADATA_SIZE))
        .fold(0, u64::saturating_add);
    let mut trees = |done: u64, total: u64| progress(Opening::Trees, done, total);
    let mut ctx = TreeContext {
        blobs: &o.blobs,
        all_parts,
        refs: vec![0; o.blobs.len()],
        paths: super::tree::BlobPaths::for_blobs(o.blobs.len()),
        progress: Some(&mut trees),
        progress_base: 0,
        progress_total: total,
    };
    let mut walked_all = true;
    let mut scratch = Scratch::default();
    for (i, &entry) in images.iter().enumerate() {
        let image = i + 1;
        let offset = entry.1.reshdr.offset;
        let base = ctx.progress_base;
        let declared = entry.1.reshdr.uncompressed_size.min(MAX_METADATA_SIZE);
        let loaded = {
            let mut decoded = |n: u64| {
                if let Some(p) = ctx.progress.as_mut() {
                    p(base.saturating_add(n.min(declared)).min(total), total);
                }
            };
            decoded(0);
            let loaded = load_one(
                files,
                h,
                entry,
                image,
                &mut scratch,
                &mut o.findings,
                &mut decoded,
            )?;
            decoded(declared);
            loaded
        };
        ctx.progress_base = base.saturating_add(declared);
        o.metadata.push(loaded.is_some());
        let walked = loaded
            .as_ref()
            .map(|data| check_image(image, offset, data, &mut ctx, &mut o.findings));
        // Only one image's metadata is held at a time.
        drop(loaded);
        // Walked or not, this image's share of the progress is behind.
        ctx.progress_base = base.saturating_add(2 * declared);
        if let Some(p) = ctx.progress.as_mut() {
            p(ctx.progress_base.min(total), total);
        }
        let Some(s) = walked else {
            walked_all = false;
            o.trees.push(None);
            continue;
        };
        walked_all &= s.complete;
        let is_boot = h.boot_index as usize == image
            || o.xml
                .as_ref()
                .and_then(|x| x.images.iter().find(|im| im.index as usize == image))
                .is_some_and(|im| im.is_winpe());
        if is_boot && s.complete && !s.has_wds_tools {
            o.facts.boot_images_without_wds_tools.push(image as u32);
        }
        if let Some(x) = o
            .xml
            .as_ref()
            .and_then(|x| x.images.iter().find(|im| im.index as usize == image))
        {
            if s.complete {
                if let (Some(xf), Some(xd)) = (x.file_count, x.dir_count) {
                    // wimlib counts the root directory, 7-Zip does not;
                    // both conventions are in use.
                    if xf != s.files || (xd != s.dirs && xd + 1 != s.dirs) {
                        o.findings.push(Finding::warning("xml.counts", format!("image {image}: the XML says {xf} files and {xd} directories, the directory tree holds {} and {}", s.files, s.dirs)).at(h.xml.offset));
                    }
                }
            }
        }
        o.trees.push(Some(s));
    }
    if walked_all && all_parts && !o.metadata.is_empty() {
        check_refcounts(&ctx, o.own_blobs, &mut o.findings);
    }
    o.paths = ctx.paths;
    Ok(())
}
