//! Placeholder until the codec is written.
use super::{DecompressError, Decompressor};

pub struct LzmsDecompressor;

impl LzmsDecompressor {
    pub fn new(_max_chunk_size: u32) -> Option<Self> {
        Some(LzmsDecompressor)
    }
}

impl Decompressor for LzmsDecompressor {
    fn decompress(&mut self, _input: &[u8], _output: &mut [u8]) -> Result<(), DecompressError> {
        Err(DecompressError::new("decoder not built yet"))
    }
}
