//! Chunk decompressors for the three WIM codecs.
//!
//! Every codec here has the same narrow contract, the one WIM resources need:
//! one compressed chunk in, the exact uncompressed size out. A WIM chunk is
//! always decoded on its own (no state carries from one chunk to the next),
//! so a decoder is a reusable set of tables, allocated once for the largest
//! chunk it will see, and never allocates per chunk.
//!
//! A decoder returns an error only for data that is not a valid encoding of
//! exactly `output.len()` bytes; it never panics, never writes outside
//! `output`, and never reads outside `input`, whatever the bytes.
//!
//! What the codecs share lives beside them: `huffman` (canonical-Huffman
//! decode tables), `bits` (the forward and backward word bit readers) and
//! `lz` (the match copy), used by XPRESS and LZMS; each codec file keeps
//! what is its own format. LZX keeps its own (see `bits`).

#[cfg(feature = "codec-bench")]
pub mod bench;
pub(crate) mod bits;
pub(crate) mod huffman;
pub(crate) mod lz;
pub mod lzms;
pub mod lzx;
#[cfg(test)]
mod test_util;
pub mod xpress;

use std::fmt;

/// The compression formats a WIM resource can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    None,
    Xpress,
    Lzx,
    Lzms,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Xpress => "xpress",
            Codec::Lzx => "lzx",
            Codec::Lzms => "lzms",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a chunk could not be decoded. `detail` is a short static phrase for
/// the report ("match offset before start of chunk", ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecompressError {
    pub detail: &'static str,
}

impl DecompressError {
    pub const fn new(detail: &'static str) -> Self {
        DecompressError { detail }
    }
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail)
    }
}

impl std::error::Error for DecompressError {}

/// One chunk in, exactly `output.len()` bytes out.
pub trait Decompressor {
    /// Decodes `input` into all of `output`. Fails if the data is invalid or
    /// does not produce exactly `output.len()` bytes.
    fn decompress(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), DecompressError>;
}

/// A decoder for `codec`, sized for chunks of up to `max_chunk_size` bytes.
/// Returns `None` for `Codec::None` (stored data needs no decoder) or when
/// the chunk size is beyond what the codec supports.
pub fn decoder_for(codec: Codec, max_chunk_size: u32) -> Option<Box<dyn Decompressor + Send>> {
    match codec {
        Codec::None => None,
        Codec::Xpress => Some(Box::new(xpress::XpressDecompressor::new())),
        Codec::Lzx => lzx::LzxDecompressor::new(max_chunk_size)
            .map(|d| Box::new(d) as Box<dyn Decompressor + Send>),
        Codec::Lzms => lzms::LzmsDecompressor::new(max_chunk_size)
            .map(|d| Box::new(d) as Box<dyn Decompressor + Send>),
    }
}
