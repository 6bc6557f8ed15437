//! Placeholder until the codec is written.
use super::{DecompressError, Decompressor};

pub struct LzxDecompressor;

impl LzxDecompressor {
    pub fn new(_max_chunk_size: u32) -> Option<Self> {
        Some(LzxDecompressor)
    }
}

impl Decompressor for LzxDecompressor {
    fn decompress(&mut self, _input: &[u8], _output: &mut [u8]) -> Result<(), DecompressError> {
        Err(DecompressError::new("decoder not built yet"))
    }
}
