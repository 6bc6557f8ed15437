//! Image metadata: the security block and the directory-entry ("dentry")
//! tree, as stored in an image's uncompressed metadata resource. This
//! module decodes single structures at given offsets; walking the tree and
//! judging it is `verify::tree`'s job.

use super::bytes::Cursor;

/// Fixed part of a dentry, before its names.
pub const DENTRY_FIXED_SIZE: u64 = 102;
/// Fixed part of an extra stream entry, before its name.
pub const STREAM_ENTRY_FIXED_SIZE: u64 = 38;
/// Most security descriptors a security block may declare (each costs 8
/// bytes of the block, so a larger count cannot fit a real resource).
pub const MAX_SECURITY_DESCRIPTORS: u32 = 1 << 24;

pub const ATTR_DIRECTORY: u32 = 0x10;
pub const ATTR_REPARSE_POINT: u32 = 0x400;

/// The security block at the start of the metadata resource.
///
/// ```text
/// +0x00  u32       total_length (0 means 8)
/// +0x04  u32       count
/// +0x08  u64[n]    size of each descriptor, then the descriptors
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityBlock {
    pub total_length: u64,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataError {
    SecurityBlock(&'static str),
    Dentry { offset: u64, why: &'static str },
}

impl SecurityBlock {
    pub fn parse(data: &[u8]) -> Result<SecurityBlock, MetadataError> {
        let mut c = Cursor::new(data);
        let (Some(len), Some(count)) = (c.u32(), c.u32()) else {
            return Err(MetadataError::SecurityBlock(
                "resource too short for the security block",
            ));
        };
        let total_length = if len == 0 { 8 } else { len as u64 };
        if total_length > data.len() as u64 {
            return Err(MetadataError::SecurityBlock(
                "security block is longer than the resource",
            ));
        }
        if count > MAX_SECURITY_DESCRIPTORS || 8 + count as u64 * 8 > total_length {
            return Err(MetadataError::SecurityBlock(
                "security descriptor count does not fit the block",
            ));
        }
        let mut sum = 8 + count as u64 * 8;
        for _ in 0..count {
            let s = c
                .u64()
                .ok_or(MetadataError::SecurityBlock("truncated descriptor sizes"))?;
            sum = sum.saturating_add(s);
        }
        if sum > total_length {
            return Err(MetadataError::SecurityBlock(
                "security descriptor sizes exceed the block",
            ));
        }
        Ok(SecurityBlock {
            total_length,
            count,
        })
    }

    /// Offset of the root dentry.
    pub fn root_offset(&self) -> u64 {
        self.total_length.div_ceil(8) * 8
    }
}

/// One decoded dentry.
///
/// ```text
/// +0x00  u64      length (<= 8: end of the sibling list)
/// +0x08  u32      attributes
/// +0x0C  u32      security_id (0xFFFFFFFF = none)
/// +0x10  u64      subdir_offset (0 = no children)
/// +0x18  u8[16]   unused
/// +0x28  u64      creation time
/// +0x30  u64      last access time
/// +0x38  u64      last write time
/// +0x40  u8[20]   main stream hash
/// +0x54  u32      unknown
/// +0x58  u32/u64  reparse tag + flags, or hard link group id
/// +0x60  u16      number of extra stream entries
/// +0x62  u16      short name length in bytes
/// +0x64  u16      name length in bytes
/// +0x66           name (UTF-16LE) + NUL, short name + NUL, tagged items
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dentry {
    pub offset: u64,
    pub length: u64,
    pub attributes: u32,
    pub security_id: u32,
    pub subdir_offset: u64,
    pub main_hash: [u8; 20],
    pub reparse_tag: u32,
    pub hard_link_group: u64,
    /// The name's UTF-16 code units.
    pub name: Vec<u16>,
    pub streams: Vec<StreamEntry>,
    /// Offset just past this dentry and its stream entries.
    pub next: u64,
}

/// An extra (alternate or unnamed) stream entry after a dentry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    pub hash: [u8; 20],
    pub name: Vec<u16>,
}

impl Dentry {
    pub fn is_directory(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }
    pub fn is_reparse_point(&self) -> bool {
        self.attributes & ATTR_REPARSE_POINT != 0
    }
    pub fn name_string(&self) -> String {
        String::from_utf16_lossy(&self.name)
    }
}

fn align8(v: u64) -> Option<u64> {
    v.checked_add(7).map(|x| x & !7)
}

/// Decodes the dentry at `offset`; `Ok(None)` for an end-of-list marker.
pub fn parse_dentry(data: &[u8], offset: u64) -> Result<Option<Dentry>, MetadataError> {
    let err = |why| MetadataError::Dentry { offset, why };
    let len_total = data.len() as u64;
    let start = usize::try_from(offset)
        .ok()
        .filter(|_| offset < len_total)
        .ok_or(err("offset is outside the resource"))?;
    let mut c = Cursor::at(data, start);
    let length = c.u64().ok_or(err("truncated length"))?;
    if length <= 8 {
        return Ok(None);
    }
    if length < DENTRY_FIXED_SIZE {
        return Err(err("length is shorter than a dentry"));
    }
    let end = offset
        .checked_add(length)
        .filter(|&e| e <= len_total)
        .ok_or(err("dentry runs past the end of the resource"))?;
    let attributes = c.u32().ok_or(err("truncated"))?;
    let security_id = c.u32().ok_or(err("truncated"))?;
    let subdir_offset = c.u64().ok_or(err("truncated"))?;
    c.take(16 + 24).ok_or(err("truncated"))?;
    let main_hash = c.sha1().ok_or(err("truncated"))?;
    c.take(4).ok_or(err("truncated"))?;
    let tag_or_link = c.u64().ok_or(err("truncated"))?;
    let num_streams = c.u16().ok_or(err("truncated"))?;
    let short_len = c.u16().ok_or(err("truncated"))? as u64;
    let name_len = c.u16().ok_or(err("truncated"))? as u64;
    if !name_len.is_multiple_of(2) || !short_len.is_multiple_of(2) {
        return Err(err("name length is odd"));
    }
    let names_end = DENTRY_FIXED_SIZE
        + name_len
        + if name_len > 0 { 2 } else { 0 }
        + short_len
        + if short_len > 0 { 2 } else { 0 };
    if names_end > length {
        return Err(err("names run past the dentry's length"));
    }
    let raw = c.take(name_len as usize).ok_or(err("truncated name"))?;
    let name: Vec<u16> = raw
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let is_reparse = attributes & ATTR_REPARSE_POINT != 0;
    let mut d = Dentry {
        offset,
        length,
        attributes,
        security_id,
        subdir_offset,
        main_hash,
        reparse_tag: if is_reparse { tag_or_link as u32 } else { 0 },
        hard_link_group: if is_reparse { 0 } else { tag_or_link },
        name,
        streams: Vec::with_capacity(num_streams as usize),
        next: 0,
    };
    let mut p = align8(end).ok_or(err("offset overflow"))?;
    for _ in 0..num_streams {
        let serr = |why| MetadataError::Dentry { offset: p, why };
        let s = usize::try_from(p)
            .ok()
            .filter(|_| p < len_total)
            .ok_or(serr("stream entry is outside the resource"))?;
        let mut sc = Cursor::at(data, s);
        let slen = sc.u64().ok_or(serr("truncated stream entry"))?;
        if slen < STREAM_ENTRY_FIXED_SIZE {
            return Err(serr("stream entry is shorter than its fixed part"));
        }
        let send = p
            .checked_add(slen)
            .filter(|&e| e <= len_total)
            .ok_or(serr("stream entry runs past the end of the resource"))?;
        sc.take(8).ok_or(serr("truncated stream entry"))?;
        let hash = sc.sha1().ok_or(serr("truncated stream entry"))?;
        let nlen = sc.u16().ok_or(serr("truncated stream entry"))? as u64;
        if !nlen.is_multiple_of(2) || STREAM_ENTRY_FIXED_SIZE + nlen > slen {
            return Err(serr("stream name runs past the entry"));
        }
        let raw = sc
            .take(nlen as usize)
            .ok_or(serr("truncated stream name"))?;
        d.streams.push(StreamEntry {
            hash,
            name: raw
                .chunks_exact(2)
                .map(|q| u16::from_le_bytes([q[0], q[1]]))
                .collect(),
        });
        p = align8(send).ok_or(serr("offset overflow"))?;
    }
    d.next = p;
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dentry(name: &str, attrs: u32, subdir: u64, hash: u8) -> Vec<u8> {
        let n: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let len = (DENTRY_FIXED_SIZE + n.len() as u64 + 2).div_ceil(8) * 8;
        let mut v = vec![0u8; len as usize];
        v[0..8].copy_from_slice(&len.to_le_bytes());
        v[8..12].copy_from_slice(&attrs.to_le_bytes());
        v[16..24].copy_from_slice(&subdir.to_le_bytes());
        v[0x40] = hash;
        v[0x64..0x66].copy_from_slice(&(n.len() as u16).to_le_bytes());
        v[0x66..0x66 + n.len()].copy_from_slice(&n);
        v
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decodes_a_dentry_and_the_end_marker() {
        let mut data = vec![0u8; 8];
        data[0] = 8; // security block of 8 bytes, no descriptors
        let sb = SecurityBlock::parse(&data).unwrap();
        assert_eq!(sb.root_offset(), 8);
        data.extend(dentry("hello", 0x20, 0, 7));
        data.extend([0u8; 8]);
        let d = parse_dentry(&data, 8).unwrap().unwrap();
        assert_eq!(d.name_string(), "hello");
        assert_eq!(d.main_hash[0], 7);
        assert!(!d.is_directory());
        assert_eq!(parse_dentry(&data, d.next).unwrap(), None);
        assert!(parse_dentry(&data, 1 << 40).is_err());
        let mut bad = data.clone();
        bad[8] = 200; // length past the end
        assert!(parse_dentry(&bad, 8).is_err());
    }
}
