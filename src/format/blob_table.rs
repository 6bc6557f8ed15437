//! The blob table (also called the lookup table): one 50-byte entry per
//! resource, naming it by the SHA-1 of its uncompressed data.

use super::bytes::{array_at, u16_at, u32_at};
use super::reshdr::{ResHdr, RESHDR_SIZE};

/// Size of one blob table entry on disk.
pub const BLOB_ENTRY_SIZE: usize = 50;

/// Most entries a blob table may have. A multi-edition install image has a
/// few hundred thousand; the cap (4.2 million entries, 210 MB on disk) keeps
/// a forged table size from allocating gigabytes.
pub const MAX_BLOB_ENTRIES: u64 = 1 << 22;

/// The uncompressed size that marks a solid resource's own entry.
pub const SOLID_RESOURCE_MAGIC_SIZE: u64 = 0x1_0000_0000;

/// A decoded blob table entry.
///
/// ```text
/// +0x00  reshdr   where the blob (or solid resource) is stored
/// +0x18  u16      part_number (split sets: the part holding it)
/// +0x1A  u32      reference count
/// +0x1E  u8[20]   SHA-1 of the uncompressed data
/// +0x32 (50)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobEntry {
    pub reshdr: ResHdr,
    pub part_number: u16,
    pub refcount: u32,
    pub sha1: [u8; 20],
}

impl BlobEntry {
    pub fn parse(b: &[u8; BLOB_ENTRY_SIZE]) -> BlobEntry {
        BlobEntry {
            reshdr: ResHdr::parse(&array_at::<BLOB_ENTRY_SIZE, RESHDR_SIZE>(b, 0)),
            part_number: u16_at(b, 0x18),
            refcount: u32_at(b, 0x1A),
            sha1: array_at(b, 0x1E),
        }
    }

    pub fn has_zero_hash(&self) -> bool {
        self.sha1 == [0u8; 20]
    }

    /// The entry of a solid resource itself (not a blob inside it).
    pub fn is_solid_resource(&self) -> bool {
        self.reshdr.is_solid() && self.reshdr.uncompressed_size == SOLID_RESOURCE_MAGIC_SIZE
    }
}

/// Decodes a whole table. Trailing bytes that do not make a full entry are
/// returned as their count so the caller can report them.
pub fn parse_table(data: &[u8]) -> (Vec<BlobEntry>, usize) {
    let mut entries = Vec::with_capacity(data.len() / BLOB_ENTRY_SIZE);
    let mut chunks = data.chunks_exact(BLOB_ENTRY_SIZE);
    for c in &mut chunks {
        let mut raw = [0u8; BLOB_ENTRY_SIZE];
        raw.copy_from_slice(c);
        entries.push(BlobEntry::parse(&raw));
    }
    (entries, chunks.remainder().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn entry_fields_and_remainder() {
        let mut data = vec![0u8; BLOB_ENTRY_SIZE * 2 + 7];
        data[0] = 10; // size_in_wim
        data[7] = 0x10; // SOLID
        data[16..24].copy_from_slice(&SOLID_RESOURCE_MAGIC_SIZE.to_le_bytes());
        data[0x18] = 1;
        data[0x1A] = 5;
        data[0x1E] = 0xAB;
        let (entries, rest) = parse_table(&data);
        assert_eq!(entries.len(), 2);
        assert_eq!(rest, 7);
        assert!(entries[0].is_solid_resource());
        assert_eq!(entries[0].part_number, 1);
        assert_eq!(entries[0].refcount, 5);
        assert_eq!(entries[0].sha1[0], 0xAB);
        assert!(entries[1].has_zero_hash());
    }
}
