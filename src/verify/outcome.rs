//! What verification ends at: the [`Outcome`] of one image (findings, facts,
//! counts, digests, parts). Nothing here judges it: `crate::assess` turns an
//! outcome into the report, with a verdict per deployment target. The
//! outcome's parts that the report shows as they are (digests, header
//! summary, integrity, parts, counts) are defined here and serialised as the
//! report's fields.

use super::facts::{Facts, ResourceCounts};
use super::finding::Finding;
use super::task::BadChunk;
use crate::format::xml::XmlImage;
use serde::{Deserialize, Serialize};

/// One image (a WIM, or a split set) after phase 2.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The image's name (its first file's).
    pub name: String,
    /// Every finding, the most severe first.
    pub findings: Vec<Finding>,
    /// What the policy reads: sizes, codec, layout, flags.
    pub facts: Facts,
    /// 64 KiB-aligned all-zero blocks, when the whole file was read.
    pub zero_blocks: Option<u64>,
    /// Whole-file digests of a single file (none for a split set: see parts).
    pub digests: Digests,
    pub wim: Option<WimInfo>,
    pub images: Vec<XmlImage>,
    pub resources: ResourceCounts,
    pub integrity: IntegrityInfo,
    /// For split sets and images with reference WIMs: one per file.
    pub parts: Vec<PartInfo>,
    pub checked: Checked,
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
