//! The report: one serde type shared by the CLI (`--json`), the wasm API and
//! the page. Its JSON is the contract; `schema` changes when it breaks.

use crate::format::xml::XmlImage;
use crate::policy::{TargetId, TargetResult, Verdict};
use crate::verify::facts::ResourceCounts;
use crate::verify::finding::Finding;
use crate::verify::task::BadChunk;
use serde::{Deserialize, Serialize};

pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub tool: Tool,
    pub checked_at: String,
    pub file: FileInfo,
    /// The worst verdict over the selected targets.
    pub verdict: Verdict,
    /// `true` intact, `false` corrupt, `null` not fully verifiable.
    pub intact: Option<bool>,
    pub digests: Digests,
    pub wim: Option<WimInfo>,
    pub images: Vec<XmlImage>,
    pub resources: ResourceCounts,
    pub integrity: IntegrityInfo,
    pub findings: Vec<Finding>,
    pub targets: Vec<TargetResult>,
    /// The selected targets (`--target`).
    pub selected: Vec<TargetId>,
    /// For split sets, and images verified with reference WIMs: one entry
    /// per file (the references last, marked `reference`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parts: Vec<PartInfo>,
    /// Counts of what was checked.
    pub checked: Checked,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "wimproof".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    /// Total bytes (all parts of a split set).
    pub size: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha1: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WimInfo {
    pub version: u32,
    pub flags: Vec<String>,
    pub unknown_flags: u32,
    pub compression: String,
    pub chunk_size: u32,
    pub part: u16,
    pub total_parts: u16,
    pub image_count: u32,
    pub boot_index: u32,
    pub guid: String,
    pub pipable: bool,
    pub solid: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IntegrityInfo {
    pub present: bool,
    pub chunks: u64,
    pub chunk_size: u32,
    pub checked: u64,
    pub bad_chunks: Vec<BadChunk>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PartInfo {
    pub name: String,
    pub size: u64,
    /// A reference WIM (`--ref`: the base of a delta), whose blobs the
    /// image's trees use; its own whole-file digest is not computed.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub reference: bool,
    pub part_number: u16,
    pub digests: Digests,
    pub integrity: IntegrityInfo,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Checked {
    pub blobs_verified: u64,
    pub blobs_corrupt: u64,
    pub blobs_unverified: u64,
    pub metadata_resources: u64,
    pub uncompressed_bytes: u64,
    /// 64 KiB-aligned all-zero blocks (sparse-file heuristic, KB 2709963).
    pub zero_blocks: u64,
    /// Files and directories (root included) in all image trees walked.
    pub files_in_tree: u64,
    pub dirs_in_tree: u64,
    /// Streams with data in all image trees walked, every directory entry
    /// (so every hard link) counted: each unnamed data stream, named data
    /// stream and reparse point's data with a non-zero SHA-1, each looked
    /// up in the blob table. Empty streams (zero SHA-1, no data) are not
    /// counted. The streams with a non-zero hash that `wimlib-imagex dir
    /// WIM N --detailed` lists, summed over the images. (Added after
    /// schema 1's first fields: absent in older reports, read as 0.)
    #[serde(default)]
    pub streams_in_tree: u64,
}

impl Report {
    /// Exit status of the CLI for this report: 0 safe or warning, 1
    /// corrupt, 3 unsafe, 4 unverified.
    pub fn exit_code(&self) -> i32 {
        self.verdict.exit_code()
    }
}

pub use crate::editions::{editions, EditionRow};
