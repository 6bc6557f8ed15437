//! XPRESS (LZ77 + Huffman) decoder. Placeholder until the codec is written:
//! every chunk fails, so a resource that needs it is reported as not verified.
use super::{DecompressError, Decompressor};

pub struct XpressDecompressor;

impl XpressDecompressor {
    pub fn new() -> Self {
        XpressDecompressor
    }
}

impl Default for XpressDecompressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Decompressor for XpressDecompressor {
    fn decompress(&mut self, _input: &[u8], _output: &mut [u8]) -> Result<(), DecompressError> {
        Err(DecompressError::new("XPRESS decoder not built yet"))
    }
}
