//! The one way the core reads a file: by absolute 64-bit offset.
//!
//! Phase 1 (opening a WIM) reads small structures at random offsets through
//! [`ReadAt`]; the bulk of the file is then fed to tasks by a driver (native
//! thread pool or browser workers) that reads sequentially. The core itself
//! never opens files.

use std::fmt;

/// Random-access reading by absolute offset. Implemented for byte slices
/// (tests, fuzzing), native files and, in the browser, `File` objects read
/// with `FileReaderSync` inside a worker.
pub trait ReadAt {
    /// The file's size in bytes.
    fn size(&self) -> u64;
    /// Fills all of `buf` from `offset`. Reading past the end is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError>;
}

/// A read that could not be completed: the bytes are not there or the
/// platform refused. Never a verdict on the image: the caller reports an
/// error state for the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub offset: u64,
    pub len: u64,
    pub reason: String,
}

impl ReadError {
    pub fn new(offset: u64, len: u64, reason: impl Into<String>) -> Self {
        ReadError {
            offset,
            len,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not read {} bytes at offset {}: {}",
            self.len, self.offset, self.reason
        )
    }
}

impl std::error::Error for ReadError {}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        let end = offset.checked_add(len);
        match end {
            Some(end) if end <= self.len() as u64 => {
                // Both bounds are <= self.len(), a usize, so the casts are exact.
                buf.copy_from_slice(&self[offset as usize..end as usize]);
                Ok(())
            }
            _ => Err(ReadError::new(offset, len, "past the end of the data")),
        }
    }
}

impl ReadAt for Vec<u8> {
    fn size(&self) -> u64 {
        self.as_slice().size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        self.as_slice().read_at(offset, buf)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        (**self).read_at(offset, buf)
    }
}

/// Reads `len` bytes at `offset` into a new buffer, refusing lengths above
/// `limit` (a named cap chosen by the caller) before allocating.
pub fn read_vec<R: ReadAt + ?Sized>(
    r: &R,
    offset: u64,
    len: u64,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    if len > limit {
        return Err(ReadError::new(
            offset,
            len,
            format!("longer than the {limit}-byte limit"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_at(offset, &mut buf)?;
    Ok(buf)
}
