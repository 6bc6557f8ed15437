//! Layouts of stored resources: how a resource's bytes are laid out on disk
//! for each kind (stored, chunked, solid, pipable). The streaming decoder
//! that walks these layouts lives in `verify::resource`.
//!
//! Chunked (non-solid, COMPRESSED flag):
//! ```text
//! [chunk table: n-1 offsets of chunks 1..n, relative to the table's end,
//!  4 bytes each if the uncompressed size is <= 0xFFFFFFFF, else 8]
//! [chunk 0][chunk 1]...[chunk n-1]
//! ```
//! Solid (SOLID flag, version 0xE00):
//! ```text
//! +0x00 u64 uncompressed size   +0x08 u32 chunk size   +0x0C u32 codec
//! [u32 compressed size of each chunk, n of them][chunks]
//! ```
//! Pipable (magic WLPWM): each chunk is prefixed by its u32 compressed size
//! and the chunk table follows the chunks; each blob is preceded by a
//! 40-byte blob header (outside the resource's stored range).
//!
//! A chunk whose compressed size equals its uncompressed size is stored raw.

use crate::codec::Codec;

/// Size of the header of a solid resource.
pub const SOLID_HEADER_SIZE: u64 = 16;
/// Size of the header before each blob in a pipable WIM.
pub const PIPABLE_BLOB_HEADER_SIZE: u64 = 40;
/// Magic of a pipable blob header.
pub const PIPABLE_BLOB_MAGIC: u64 = 0x2b9b_9ba2_443d_b9d8;
/// Size of the prefix before each chunk of a pipable resource.
pub const PIPABLE_CHUNK_PREFIX: u64 = 4;

/// Largest chunk size accepted for any codec (LZMS allows 1 GiB). Larger
/// values are rejected before any buffer is sized from them.
pub const MAX_CHUNK_SIZE: u32 = 1 << 30;
/// Most chunks one resource may have (chunk-table memory: 8 bytes each).
pub const MAX_CHUNKS_PER_RESOURCE: u64 = 1 << 24;

/// The codec numbers in a solid resource header.
pub fn solid_codec(id: u32) -> Option<Codec> {
    match id {
        0 => Some(Codec::None),
        1 => Some(Codec::Xpress),
        2 => Some(Codec::Lzx),
        3 => Some(Codec::Lzms),
        _ => None,
    }
}

/// The number of chunks of a resource of `usize` bytes.
pub fn chunk_count(usize: u64, chunk_size: u32) -> u64 {
    usize.div_ceil(chunk_size.max(1) as u64)
}

/// Width of one chunk-table entry of a non-solid resource.
pub fn chunk_entry_width(usize: u64) -> u64 {
    if usize > 0xFFFF_FFFF {
        8
    } else {
        4
    }
}

/// The chunk sizes each codec accepts (wimlib's rules); `None` when valid.
pub fn chunk_size_problem(codec: Codec, chunk_size: u32) -> Option<&'static str> {
    if codec == Codec::None {
        return None;
    }
    if !chunk_size.is_power_of_two() {
        return Some("is not a power of two");
    }
    let (lo, hi) = match codec {
        Codec::Xpress => (1 << 12, 1 << 16),
        Codec::Lzx => (1 << 15, 1 << 21),
        Codec::Lzms => (1 << 15, 1 << 30),
        Codec::None => return None,
    };
    if chunk_size < lo {
        Some("is below the codec's minimum")
    } else if chunk_size > hi {
        Some("is above the codec's maximum")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn layout_rules() {
        assert_eq!(chunk_count(0, 32768), 0);
        assert_eq!(chunk_count(32769, 32768), 2);
        assert_eq!(chunk_entry_width(0xFFFF_FFFF), 4);
        assert_eq!(chunk_entry_width(0x1_0000_0000), 8);
        assert_eq!(chunk_size_problem(Codec::Lzx, 32768), None);
        assert!(chunk_size_problem(Codec::Lzx, 16384).is_some());
        assert!(chunk_size_problem(Codec::Xpress, 3000).is_some());
        assert_eq!(chunk_size_problem(Codec::Lzms, 1 << 26), None);
        assert_eq!(solid_codec(3), Some(Codec::Lzms));
        assert_eq!(solid_codec(9), None);
    }
}
