//! Little-endian field access for on-disk structures of fixed size. The
//! callers index fixed offsets inside arrays whose length the type system
//! guarantees, so these never fail.

pub(crate) fn u16_at<const N: usize>(b: &[u8; N], off: usize) -> u16 {
    let mut v = [0u8; 2];
    v.copy_from_slice(&b[off..off + 2]);
    u16::from_le_bytes(v)
}

pub(crate) fn u32_at<const N: usize>(b: &[u8; N], off: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(v)
}

pub(crate) fn u64_at<const N: usize>(b: &[u8; N], off: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(v)
}

pub(crate) fn array_at<const N: usize, const M: usize>(b: &[u8; N], off: usize) -> [u8; M] {
    let mut v = [0u8; M];
    v.copy_from_slice(&b[off..off + M]);
    v
}

/// A cursor over a byte slice for variable-length structures (metadata,
/// integrity table). Every accessor returns `None` instead of reading past
/// the end.
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }
    pub fn at(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_le_bytes([s[0], s[1]]))
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn u64(&mut self) -> Option<u64> {
        let s = self.take(8)?;
        let mut v = [0u8; 8];
        v.copy_from_slice(s);
        Some(u64::from_le_bytes(v))
    }
    pub fn sha1(&mut self) -> Option<[u8; 20]> {
        let s = self.take(20)?;
        let mut v = [0u8; 20];
        v.copy_from_slice(s);
        Some(v)
    }
}

/// Lower-case hex of a digest, for reports.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Parses a hex digest of exactly `N` bytes (either case); `None` otherwise.
pub fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != N * 2 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}
