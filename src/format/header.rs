//! The 208-byte WIM header at the start of every WIM (and, for pipable
//! WIMs, the authoritative copy in the last 208 bytes).

use super::bytes::{array_at, u16_at, u32_at};
use super::reshdr::{ResHdr, RESHDR_SIZE};
use crate::codec::Codec;

/// Size of the header on disk; also the value of its `hdr_size` field.
pub const HEADER_SIZE: usize = 208;
/// Magic of a normal WIM.
pub const MAGIC: [u8; 8] = *b"MSWIM\0\0\0";
/// Magic of a pipable WIM (a wimlib extension).
pub const PIPABLE_MAGIC: [u8; 8] = *b"WLPWM\0\0\0";
/// Version of ordinary WIMs.
pub const VERSION_DEFAULT: u32 = 0x10D00;
/// Version of WIMs that may hold solid resources (ESD style).
pub const VERSION_SOLID: u32 = 0xE00;
/// Offset of `total_parts` (u16): how many parts the split set has. The
/// drivers group `.swm` files by it before anything is verified, from the
/// first [`TOTAL_PARTS_END`] bytes of a file.
pub const TOTAL_PARTS_AT: usize = at::TOTAL_PARTS as usize;
/// Bytes of a header prefix that hold the magic and `total_parts`.
pub const TOTAL_PARTS_END: usize = TOTAL_PARTS_AT + 2;

/// Byte offsets of the header's fields, named once: the parser reads them
/// and findings point at them.
pub mod at {
    pub const MAGIC: u64 = 0x00;
    pub const HDR_SIZE: u64 = 0x08;
    pub const VERSION: u64 = 0x0C;
    pub const FLAGS: u64 = 0x10;
    pub const CHUNK_SIZE: u64 = 0x14;
    pub const GUID: u64 = 0x18;
    pub const PART_NUMBER: u64 = 0x28;
    pub const TOTAL_PARTS: u64 = 0x2A;
    pub const IMAGE_COUNT: u64 = 0x2C;
    pub const BLOB_TABLE: u64 = 0x30;
    pub const XML: u64 = 0x48;
    pub const BOOT_METADATA: u64 = 0x60;
    pub const BOOT_INDEX: u64 = 0x78;
    pub const INTEGRITY: u64 = 0x7C;
}

/// Every header flag with its on-disk name.
pub const FLAGS: &[(u32, &str)] = &[
    (0x0000_0001, "RESERVED"),
    (0x0000_0002, "COMPRESSION"),
    (0x0000_0004, "READONLY"),
    (0x0000_0008, "SPANNED"),
    (0x0000_0010, "RESOURCE_ONLY"),
    (0x0000_0020, "METADATA_ONLY"),
    (0x0000_0040, "WRITE_IN_PROGRESS"),
    (0x0000_0080, "RP_FIX"),
    (0x0001_0000, "COMPRESS_RESERVED"),
    (0x0002_0000, "COMPRESS_XPRESS"),
    (0x0004_0000, "COMPRESS_LZX"),
    (0x0008_0000, "COMPRESS_LZMS"),
    (0x0020_0000, "COMPRESS_XPRESS2"),
];
pub const FLAG_COMPRESSION: u32 = 0x2;
pub const FLAG_SPANNED: u32 = 0x8;
pub const FLAG_WRITE_IN_PROGRESS: u32 = 0x40;
pub const FLAG_XPRESS: u32 = 0x2_0000;
pub const FLAG_LZX: u32 = 0x4_0000;
pub const FLAG_LZMS: u32 = 0x8_0000;
pub const FLAG_XPRESS2: u32 = 0x20_0000;

/// The decoded header.
///
/// ```text
/// +0x00  u8[8]   magic
/// +0x08  u32     hdr_size (208)
/// +0x0C  u32     version
/// +0x10  u32     flags
/// +0x14  u32     chunk_size (non-solid resources)
/// +0x18  u8[16]  guid (same in every part of a split set)
/// +0x28  u16     part_number (1-based)
/// +0x2A  u16     total_parts
/// +0x2C  u32     image_count
/// +0x30  reshdr  blob table
/// +0x48  reshdr  XML data
/// +0x60  reshdr  boot metadata
/// +0x78  u32     boot_index (0 = none)
/// +0x7C  reshdr  integrity table (zero = none)
/// +0x94  u8[60]  unused
/// +0xD0 (208)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub magic: [u8; 8],
    pub hdr_size: u32,
    pub version: u32,
    pub flags: u32,
    pub chunk_size: u32,
    pub guid: [u8; 16],
    pub part_number: u16,
    pub total_parts: u16,
    pub image_count: u32,
    pub blob_table: ResHdr,
    pub xml: ResHdr,
    pub boot_metadata: ResHdr,
    pub boot_index: u32,
    pub integrity: ResHdr,
}

fn reshdr_at(b: &[u8; HEADER_SIZE], off: usize) -> ResHdr {
    ResHdr::parse(&array_at::<HEADER_SIZE, RESHDR_SIZE>(b, off))
}

impl Header {
    pub fn parse(b: &[u8; HEADER_SIZE]) -> Header {
        // The offsets are constants below 208, so every read is in bounds.
        let o = |x: u64| x as usize;
        Header {
            magic: array_at(b, o(at::MAGIC)),
            hdr_size: u32_at(b, o(at::HDR_SIZE)),
            version: u32_at(b, o(at::VERSION)),
            flags: u32_at(b, o(at::FLAGS)),
            chunk_size: u32_at(b, o(at::CHUNK_SIZE)),
            guid: array_at(b, o(at::GUID)),
            part_number: u16_at(b, o(at::PART_NUMBER)),
            total_parts: u16_at(b, o(at::TOTAL_PARTS)),
            image_count: u32_at(b, o(at::IMAGE_COUNT)),
            blob_table: reshdr_at(b, o(at::BLOB_TABLE)),
            xml: reshdr_at(b, o(at::XML)),
            boot_metadata: reshdr_at(b, o(at::BOOT_METADATA)),
            boot_index: u32_at(b, o(at::BOOT_INDEX)),
            integrity: reshdr_at(b, o(at::INTEGRITY)),
        }
    }

    /// `total_parts` from the first bytes of a file, if they are enough and
    /// start with a WIM magic (normal or pipable); `None` otherwise. For
    /// grouping split sets before a file is opened: nothing else is checked.
    pub fn total_parts_of_prefix(prefix: &[u8]) -> Option<u16> {
        let magic = prefix.get(..MAGIC.len())?;
        if magic != MAGIC && magic != PIPABLE_MAGIC {
            return None;
        }
        let b = prefix.get(TOTAL_PARTS_AT..TOTAL_PARTS_END)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn is_pipable(&self) -> bool {
        self.magic == PIPABLE_MAGIC
    }

    /// The codec of non-solid compressed resources, in wimlib's order of
    /// preference when several type bits are set; `None` when the
    /// COMPRESSION flag is set without a known type bit.
    pub fn codec(&self) -> Option<Codec> {
        if self.flags & FLAG_COMPRESSION == 0 {
            return Some(Codec::None);
        }
        if self.flags & FLAG_LZX != 0 {
            Some(Codec::Lzx)
        } else if self.flags & (FLAG_XPRESS | FLAG_XPRESS2) != 0 {
            Some(Codec::Xpress)
        } else if self.flags & FLAG_LZMS != 0 {
            Some(Codec::Lzms)
        } else {
            None
        }
    }

    /// Names of the set flags, and the bits that have no name.
    pub fn flag_names(&self) -> (Vec<&'static str>, u32) {
        let mut names = Vec::new();
        let mut rest = self.flags;
        for &(bit, name) in FLAGS {
            if self.flags & bit != 0 {
                names.push(name);
                rest &= !bit;
            }
        }
        (names, rest)
    }

    pub fn guid_string(&self) -> String {
        super::bytes::hex(&self.guid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decodes_fields_at_their_offsets() {
        let mut b = [0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&208u32.to_le_bytes());
        b[0x0C..0x10].copy_from_slice(&VERSION_DEFAULT.to_le_bytes());
        b[0x10..0x14].copy_from_slice(&(FLAG_COMPRESSION | FLAG_LZX | 0x4000_0000).to_le_bytes());
        b[0x14..0x18].copy_from_slice(&32768u32.to_le_bytes());
        b[0x28..0x2A].copy_from_slice(&1u16.to_le_bytes());
        b[TOTAL_PARTS_AT..TOTAL_PARTS_END].copy_from_slice(&3u16.to_le_bytes());
        b[0x2C..0x30].copy_from_slice(&2u32.to_le_bytes());
        b[0x38..0x40].copy_from_slice(&0x1_0000_0000u64.to_le_bytes());
        b[0x78..0x7C].copy_from_slice(&2u32.to_le_bytes());
        b[0x84..0x8C].copy_from_slice(&0x2_0000_0000u64.to_le_bytes());
        let h = Header::parse(&b);
        assert_eq!(h.hdr_size, 208);
        assert_eq!(h.codec(), Some(Codec::Lzx));
        assert_eq!(h.chunk_size, 32768);
        assert_eq!((h.part_number, h.total_parts, h.image_count), (1, 3, 2));
        assert_eq!(h.blob_table.offset, 0x1_0000_0000);
        assert_eq!(h.boot_index, 2);
        assert_eq!(h.integrity.offset, 0x2_0000_0000);
        let (names, unknown) = h.flag_names();
        assert_eq!(names, vec!["COMPRESSION", "COMPRESS_LZX"]);
        assert_eq!(unknown, 0x4000_0000);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn total_parts_of_a_prefix_needs_the_magic_and_the_field() {
        let mut b = [0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC);
        b[TOTAL_PARTS_AT..TOTAL_PARTS_END].copy_from_slice(&4u16.to_le_bytes());
        assert_eq!(Header::parse(&b).total_parts, 4);
        assert_eq!(Header::total_parts_of_prefix(&b), Some(4));
        assert_eq!(
            Header::total_parts_of_prefix(&b[..TOTAL_PARTS_END]),
            Some(4)
        );
        assert_eq!(
            Header::total_parts_of_prefix(&b[..TOTAL_PARTS_END - 1]),
            None
        );
        b[..8].copy_from_slice(&PIPABLE_MAGIC);
        assert_eq!(Header::total_parts_of_prefix(&b), Some(4));
        b[0] = b'X';
        assert_eq!(Header::total_parts_of_prefix(&b), None);
        assert_eq!(Header::total_parts_of_prefix(&[]), None);
    }
}
