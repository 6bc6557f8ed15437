//! What phase 1 learns about an image that the deployment policy and the
//! report need: facts (sizes, codec, layout, flags) and resource counts.
//! Kept apart from [`crate::verify::open`], so that readers of an outcome
//! need not know how it was opened.

/// Facts the policy needs, gathered while opening.
use crate::codec::Codec;

#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub total_size: u64,
    pub largest_part: u64,
    /// The largest resource of the image's own parts as stored, in bytes:
    /// a split puts each resource whole into one part, so no part can be
    /// smaller than it.
    pub largest_resource: u64,
    pub parts: u16,
    pub pipable: bool,
    /// Reference WIMs the image's trees take blobs from (`--ref`: a delta
    /// verified with its base): the image is not self-contained.
    pub references: u16,
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
