//! The integrity table: SHA-1 digests of fixed-size chunks of the file from
//! the end of the header to the end of the blob table.

use super::bytes::Cursor;
use super::header::HEADER_SIZE;

/// Most chunks an integrity table may list (2^22 chunks of 10 MiB cover
/// 40 TiB); caps the allocation for a forged count.
pub const MAX_INTEGRITY_CHUNKS: u32 = 1 << 22;
/// The chunk size wimlib and WIMGAPI write.
pub const DEFAULT_INTEGRITY_CHUNK: u32 = 10 * 1024 * 1024;

/// A decoded integrity table.
///
/// ```text
/// +0x00  u32        size of the table in bytes (12 + 20 * n)
/// +0x04  u32        n, the number of chunks
/// +0x08  u32        chunk_size
/// +0x0C  u8[20][n]  SHA-1 of each chunk
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityTable {
    pub size: u32,
    pub num_chunks: u32,
    pub chunk_size: u32,
    pub digests: Vec<[u8; 20]>,
}

/// Why a table cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntegrityLayoutError {
    TooShort,
    SizeMismatch { declared: u32, actual: u64 },
    TooManyChunks(u32),
    ZeroChunkSize,
}

impl IntegrityTable {
    pub fn parse(data: &[u8]) -> Result<IntegrityTable, IntegrityLayoutError> {
        let mut c = Cursor::new(data);
        let (size, num_chunks, chunk_size) = match (c.u32(), c.u32(), c.u32()) {
            (Some(a), Some(b), Some(d)) => (a, b, d),
            _ => return Err(IntegrityLayoutError::TooShort),
        };
        if num_chunks > MAX_INTEGRITY_CHUNKS {
            return Err(IntegrityLayoutError::TooManyChunks(num_chunks));
        }
        let expected = 12 + 20 * num_chunks as u64;
        if size as u64 != expected || data.len() as u64 != expected {
            return Err(IntegrityLayoutError::SizeMismatch {
                declared: size,
                actual: data.len() as u64,
            });
        }
        if chunk_size == 0 {
            return Err(IntegrityLayoutError::ZeroChunkSize);
        }
        let mut digests = Vec::with_capacity(num_chunks as usize);
        for _ in 0..num_chunks {
            match c.sha1() {
                Some(d) => digests.push(d),
                None => return Err(IntegrityLayoutError::TooShort),
            }
        }
        Ok(IntegrityTable {
            size,
            num_chunks,
            chunk_size,
            digests,
        })
    }

    /// The number of chunks needed to cover `[208, end)`.
    pub fn chunks_needed(chunk_size: u32, end: u64) -> u64 {
        let bytes = end.saturating_sub(HEADER_SIZE as u64);
        bytes.div_ceil(chunk_size.max(1) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: u32, cs: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(12 + 20 * n).to_le_bytes());
        v.extend_from_slice(&n.to_le_bytes());
        v.extend_from_slice(&cs.to_le_bytes());
        for i in 0..n {
            v.extend_from_slice(&[i as u8; 20]);
        }
        v
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_and_rejects() {
        let t = IntegrityTable::parse(&table(3, 100)).unwrap();
        assert_eq!(t.digests.len(), 3);
        assert_eq!(t.digests[2], [2u8; 20]);
        assert_eq!(
            IntegrityTable::parse(&table(3, 0)),
            Err(IntegrityLayoutError::ZeroChunkSize)
        );
        let mut bad = table(3, 100);
        bad.pop();
        assert!(matches!(
            IntegrityTable::parse(&bad),
            Err(IntegrityLayoutError::SizeMismatch { .. })
        ));
        assert_eq!(
            IntegrityTable::parse(&[1, 2]),
            Err(IntegrityLayoutError::TooShort)
        );
        assert_eq!(IntegrityTable::chunks_needed(10, 208 + 21), 3);
        assert_eq!(IntegrityTable::chunks_needed(10, 100), 0);
    }
}
