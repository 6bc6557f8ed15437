//! Phase 1: read the small structures of every part by random access
//! (header, blob table, XML, integrity table, metadata), check them, and
//! plan the tasks of phase 2. One module per job:
//! - [`header`]: the 208-byte header, read and checked;
//! - [`tables`]: the blob table, integrity table and XML read and checked,
//!   and the parts of a split set against each other;
//! - [`plan`]: the [`Plan`] of phase 2, from the blob and integrity tables;
//! - [`trees`]: each image's metadata resource loaded and its tree walked.
//!
//! This module runs them in order over the files of one image.

mod bases;
mod header;
mod plan;
mod tables;
mod trees;

pub use super::tree::MAX_MISSING_BLOBS;
use crate::verify::code::Code;
pub use bases::{blobs_held, choose_bases};
pub use plan::Plan;
use plan::Planner;
pub use trees::MAX_METADATA_SIZE;

use super::blob_index::BlobIndex;
use super::facts::{Facts, ResourceCounts};
use super::finding::{Capped, Finding};
use super::task::{TaskKind, TaskSpec};
use super::Options;
use crate::format::blob_table::BlobEntry;
use crate::format::header::at;
use crate::format::header::Header;
use crate::format::integrity::IntegrityTable;
use crate::format::xml::XmlInfo;
use crate::read::{ReadAt, ReadError};
use header::{check_header, read_header};
use std::collections::BTreeMap;
use tables::{check_split_set, check_xml_vs_header, read_blob_table, read_integrity, read_xml};
use trees::{check_metadata_count, check_trees};

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

/// What phase 1 produced.
pub struct Opened {
    pub parts: Vec<PartState>,
    pub findings: Vec<Finding>,
    pub facts: Facts,
    pub plan: Plan,
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
    /// The SHA-1s the trees' streams name that no blob table given holds
    /// (what `metadata.blob_missing` reports), sorted, at most
    /// [`MAX_MISSING_BLOBS`]: a delta lacks its base's blobs, and
    /// [`choose_bases`] picks the WIMs that have them.
    pub missing_blobs: Vec<[u8; 20]>,
}

impl Opened {
    /// The first path in the images that uses the blob with this SHA-1.
    pub fn blob_path(&self, sha1: &[u8; 20]) -> Option<String> {
        self.paths.of_blob(&self.blobs, sha1)
    }
}

pub(super) struct Ctx<'a> {
    findings: &'a mut Vec<Finding>,
    part: Option<String>,
    /// The file is a reference WIM (see [`PartState::reference`]).
    reference: bool,
    /// Shared by all parts: at most MAX_FINDINGS_PER_CODE of each code.
    capped: &'a mut Capped,
}

impl Ctx<'_> {
    pub(super) fn push(&mut self, f: Finding) {
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
        plan: Plan::default(),
        xml: None,
        resources: ResourceCounts::default(),
        metadata: Vec::new(),
        blobs: BlobIndex::default(),
        trees: Vec::new(),
        paths: Default::default(),
        own_blobs: 0,
        missing_blobs: Vec::new(),
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
        if reference {
            o.facts.references = o.facts.references.saturating_add(1);
        } else {
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
            o.plan.tasks.push(TaskSpec {
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
                    Code::SplitGuidMismatch,
                    format!("header: GUID {} differs from the first part's {}; this file belongs to another split set", hdr.guid_string(), first.guid_string()),
                ).at(at::GUID));
            }
        } else {
            first_header = Some(hdr.clone());
        }
        if reference {
        } else if let Some(prev) = seen_parts.insert(hdr.part_number, name.to_string()) {
            ctx.push(
                Finding::corruption(
                    Code::SplitDuplicatePart,
                    format!(
                        "header: part number {} appears twice ({prev} and {name})",
                        hdr.part_number
                    ),
                )
                .at(at::PART_NUMBER),
            );
        }

        // Blob table.
        let entries = read_blob_table(*r, &hdr, size, &mut ctx)?;
        // Integrity table.
        part.integrity_end = hdr.blob_table.end().unwrap_or(0);
        if let Some(t) = read_integrity(*r, &hdr, size, &mut ctx)? {
            plan::integrity_tasks(pi, &t, part.integrity_end, &mut o.plan.tasks);
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
        Planner {
            part: pi,
            reader: *r,
            header: &hdr,
            size,
            plan: &mut o.plan,
            counts,
            largest_resource: &mut facts.largest_resource,
            blobs: &mut o.blobs,
            metadata,
        }
        .blob_table(&entries, &mut ctx, progress)?;
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
        let all_parts = !o.findings.iter().any(|f| f.code == Code::SplitMissingPart);
        check_metadata_count(h, &metadata_entries, &mut o);
        check_trees(files, h, &metadata_entries, all_parts, &mut o, progress)?;
        let file = files.first().map(|f| f.0).unwrap_or("");
        super::setup::check(h, o.xml.as_ref(), &o.trees, file, &mut o.findings);
    }
    o.plan.number();
    Ok(o)
}
