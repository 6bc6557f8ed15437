//! Decoder benchmark corpora (feature `codec-bench`; not in the shipped
//! builds): the compressed chunks of one WIM, in one file, so the native
//! benchmark (`examples/codec_bench.rs`) and the wasm one
//! (`src/web/codec_bench.rs`, run in Chromium by
//! `tests/browser/codec-bench.mjs`) decode exactly the same bytes.
//! `scripts/bench-codecs.sh` makes the corpora and prints the results.
//!
//! ```text
//! +0x00 u8[8] magic "WPCHUNK1"
//! +0x08 u32   codec (1 XPRESS, 2 LZX, 3 LZMS: the solid header's numbers)
//! +0x0C u32   largest uncompressed chunk size
//! +0x10 u64   chunk count
//! +0x18 u8[20] SHA-1 of all the chunks' decoded bytes, in order
//! +0x2C       per chunk: u32 compressed size, u32 uncompressed size, bytes
//! ```
//! Only chunks that need decoding are kept (stored chunks are not).

use super::{decoder_for, Codec, DecompressError, Decompressor};
use crate::format::resource::solid_codec;
use sha1::{Digest, Sha1};

pub const MAGIC: &[u8; 8] = b"WPCHUNK1";
const HEADER_LEN: usize = 0x2C;

/// A parsed corpus; the chunks borrow from the file's bytes.
pub struct Corpus<'a> {
    pub codec: Codec,
    pub max_chunk: u32,
    pub sha1: [u8; 20],
    /// (compressed bytes, uncompressed size)
    pub chunks: Vec<(&'a [u8], u32)>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub fn codec_number(codec: Codec) -> u32 {
    match codec {
        Codec::None => 0,
        Codec::Xpress => 1,
        Codec::Lzx => 2,
        Codec::Lzms => 3,
    }
}

impl<'a> Corpus<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Corpus<'a>, &'static str> {
        if b.get(..8) != Some(&MAGIC[..]) || b.len() < HEADER_LEN {
            return Err("not a codec-bench corpus");
        }
        let codec = u32_at(b, 8)
            .and_then(solid_codec)
            .filter(|&c| c != Codec::None)
            .ok_or("corpus names no codec")?;
        let max_chunk = u32_at(b, 12).ok_or("truncated corpus")?;
        let count = u64::from_le_bytes(b[16..24].try_into().map_err(|_| "truncated corpus")?);
        let sha1: [u8; 20] = b[24..44].try_into().map_err(|_| "truncated corpus")?;
        let mut chunks = Vec::new();
        let mut at = HEADER_LEN;
        for _ in 0..count {
            let clen = u32_at(b, at).ok_or("truncated corpus")? as usize;
            let ulen = u32_at(b, at + 4).ok_or("truncated corpus")?;
            let data = b.get(at + 8..at + 8 + clen).ok_or("truncated corpus")?;
            if ulen > max_chunk {
                return Err("chunk larger than the corpus's largest");
            }
            chunks.push((data, ulen));
            at += 8 + clen;
        }
        Ok(Corpus {
            codec,
            max_chunk,
            sha1,
            chunks,
        })
    }

    /// Total decoded bytes.
    pub fn output_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.1 as u64).sum()
    }
}

/// Writes a corpus file's header; the chunk records follow it.
pub fn header(codec: Codec, max_chunk: u32, count: u64, sha1: [u8; 20]) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&codec_number(codec).to_le_bytes());
    h.extend_from_slice(&max_chunk.to_le_bytes());
    h.extend_from_slice(&count.to_le_bytes());
    h.extend_from_slice(&sha1);
    h
}

/// A decoder and its output buffer, sized for one corpus.
pub struct Bench {
    decoder: Box<dyn Decompressor + Send>,
    out: Vec<u8>,
}

impl Bench {
    pub fn new(codec: Codec, max_chunk: u32) -> Option<Bench> {
        Some(Bench {
            decoder: decoder_for(codec, max_chunk)?,
            out: vec![0; max_chunk as usize],
        })
    }

    /// Decodes every chunk; with `hash`, returns the SHA-1 of the output
    /// too (a separate pass from the timed ones: hashing is not decoding).
    pub fn run(
        &mut self,
        corpus: &Corpus,
        hash: bool,
    ) -> Result<(u64, Option<[u8; 20]>), DecompressError> {
        let mut total = 0u64;
        let mut h = hash.then(Sha1::new);
        for &(data, ulen) in &corpus.chunks {
            let out = &mut self.out[..ulen as usize];
            self.decoder.decompress(data, out)?;
            total += ulen as u64;
            if let Some(h) = h.as_mut() {
                h.update(&*out);
            }
        }
        Ok((total, h.map(|h| h.finalize().into())))
    }
}
