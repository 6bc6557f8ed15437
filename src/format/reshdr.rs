//! The 24-byte resource header ("reshdr") that locates every resource: in
//! the WIM header (blob table, XML, boot metadata, integrity table) and in
//! each blob table entry.

use super::bytes::u64_at;

/// Size of a resource header on disk.
pub const RESHDR_SIZE: usize = 24;

/// `FREE`: an unused resource (ignored by readers).
pub const RESHDR_FLAG_FREE: u8 = 0x01;
/// `METADATA`: image metadata (wimlib also sets it on the blob table and XML).
pub const RESHDR_FLAG_METADATA: u8 = 0x02;
/// `COMPRESSED`: a non-solid resource in the header's codec and chunk size.
pub const RESHDR_FLAG_COMPRESSED: u8 = 0x04;
/// `SPANNED`: legacy, ignored.
pub const RESHDR_FLAG_SPANNED: u8 = 0x08;
/// `SOLID`: part of a solid run (version 0xE00 files only).
pub const RESHDR_FLAG_SOLID: u8 = 0x10;
const RESHDR_KNOWN_FLAGS: u8 = 0x1F;

/// A decoded resource header.
///
/// ```text
/// +0x00  u8[7]  size_in_wim: stored size, 56-bit little-endian
/// +0x07  u8     flags (RESHDR_FLAG_*)
/// +0x08  u64    offset: absolute file offset of the stored data
/// +0x10  u64    uncompressed_size
/// +0x18 (24)
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResHdr {
    pub size_in_wim: u64,
    pub flags: u8,
    pub offset: u64,
    pub uncompressed_size: u64,
}

impl ResHdr {
    pub fn parse(b: &[u8; RESHDR_SIZE]) -> ResHdr {
        let mut size = [0u8; 8];
        size[..7].copy_from_slice(&b[..7]);
        ResHdr {
            size_in_wim: u64::from_le_bytes(size),
            flags: b[7],
            offset: u64_at(b, 8),
            uncompressed_size: u64_at(b, 16),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.size_in_wim == 0 && self.offset == 0 && self.uncompressed_size == 0
    }
    pub fn is_compressed(&self) -> bool {
        self.flags & RESHDR_FLAG_COMPRESSED != 0
    }
    pub fn is_solid(&self) -> bool {
        self.flags & RESHDR_FLAG_SOLID != 0
    }
    pub fn is_metadata(&self) -> bool {
        self.flags & RESHDR_FLAG_METADATA != 0
    }
    pub fn unknown_flags(&self) -> u8 {
        self.flags & !RESHDR_KNOWN_FLAGS
    }
    /// One past the last stored byte, or `None` if that overflows u64.
    pub fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.size_in_wim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_56_bit_size_and_64_bit_offset() {
        let mut b = [0u8; 24];
        b[..7].copy_from_slice(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        b[7] = RESHDR_FLAG_COMPRESSED | RESHDR_FLAG_METADATA;
        b[8..16].copy_from_slice(&0x1_2345_6789u64.to_le_bytes());
        b[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        let r = ResHdr::parse(&b);
        assert_eq!(r.size_in_wim, 0x07_0605_0403_0201);
        assert!(r.is_compressed() && r.is_metadata() && !r.is_solid());
        assert_eq!(r.offset, 0x1_2345_6789);
        assert_eq!(r.uncompressed_size, u64::MAX);
        assert_eq!(r.end(), Some(0x1_2345_6789 + 0x07_0605_0403_0201));
        let far = ResHdr {
            offset: u64::MAX,
            size_in_wim: 1,
            ..r
        };
        assert_eq!(far.end(), None);
    }
}
