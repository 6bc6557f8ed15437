//! XPRESS-Huffman chunk decoder: one WIM chunk of XPRESS data in, the exact
//! uncompressed bytes out.
//!
//! Owns: unpacking the 256-byte code-length header, reading the length
//! escape bytes that sit between the stream's words, and turning symbols
//! into literals and matches in the caller's buffer. The decode table
//! (`huffman`), the word reader (`bits::WordBits`, reading the chunk as
//! stored) and the match copy (`lz`) are shared with the other codecs.
//! Chunk boundaries, the raw-chunk case (compressed size == uncompressed
//! size) and hashing belong to the caller.
//!
//! Format: [MS-XCA] "Xpress Compression Algorithm", the LZ77+Huffman
//! variant (§2.1 compression, §2.2 decompression). In short:
//!
//! * bytes 0..256 hold 512 code lengths, 4 bits each, low nibble first
//!   (symbol 2i in the low nibble of byte i); 0 means "no codeword", 15 is
//!   the longest. The code is canonical, codewords read most significant
//!   bit first.
//! * the rest is a bitstream of little-endian 16-bit words, consumed from
//!   each word's top bit down. Symbols 0..=255 are literal bytes; a symbol
//!   256 + (h << 4) + l is a match with offset `(1 << h) + (h more bits)`
//!   and length `l + 3`. `l == 15` escapes to whole bytes that sit in the
//!   same input, between the 16-bit words (where: see `decompress`): a byte
//!   b < 255 gives length 18 + b; 255 then a little-endian u16 v gives v + 3.
//!
//! What is particular to WIM (and to the reference tool, wimlib 1.13.5,
//! whose verdicts ours must match):
//!
//! * A WIM chunk is at most 64 KiB, so it is exactly one [MS-XCA] block
//!   with one code; we never look for a second table.
//! * The 32-bit length escape of [MS-XCA] (a 16-bit escape value of 0) is
//!   never needed in 64 KiB; like wimlib we take a 16-bit escape `v` as
//!   length `v + 3`, whatever `v` is.
//! * Decoding stops when the output is full. The trailing end-of-data
//!   symbol 256 that WIMGAPI's decoder wants is not required, and input
//!   left over after the last needed bit is not an error (wimlib accepts
//!   both).
//! * Like wimlib, an entirely empty code (all 512 lengths 0) is accepted
//!   and decodes as literal zero bytes without consuming any input; any
//!   other code that does not fill the code space exactly is rejected.
//! * Where wimlib silently reads missing input as zero bits, we reject a
//!   chunk that needs bits or escape bytes beyond its end; a well-formed
//!   chunk never does. Zero bits are only used as look-ahead padding.
use super::bits::WordBits;
use super::huffman::{self, CodeError};
use super::lz::copy_match;
use super::{DecompressError, Decompressor};

/// Symbols in the alphabet: 256 literals, then 256 match headers.
const NUM_SYMBOLS: usize = 512;
/// Longest codeword the 4-bit lengths can express.
const MAX_CODE_LEN: u32 = 15;
/// The largest chunk WIM allows for XPRESS, which is also one [MS-XCA]
/// block; an offset can reach back at most 65535 bytes.
const MAX_CHUNK: usize = 65536;
/// Bytes of code-length header at the start of every chunk.
const HEADER_LEN: usize = NUM_SYMBOLS / 2;

/// Codewords of up to this many bits resolve with one table look-up;
/// longer ones take a second look-up (layout: `huffman`).
const TABLE_BITS: u32 = 12;
const TABLE_LEN: usize = huffman::table_size(TABLE_BITS, NUM_SYMBOLS, MAX_CODE_LEN);
/// Leaf entries below this are literals; match headers and pointers to
/// second-level tables are above.
const LITERAL_LIMIT: u32 = 256 << 16;

const ERR_SHORT_HEADER: DecompressError =
    DecompressError::new("XPRESS chunk shorter than its 256-byte code-length table");
const ERR_OVERSUBSCRIBED: DecompressError =
    DecompressError::new("XPRESS Huffman code is over-subscribed");
const ERR_INCOMPLETE: DecompressError = DecompressError::new("XPRESS Huffman code is incomplete");
const ERR_TOO_LARGE: DecompressError = DecompressError::new("XPRESS chunk larger than 64 KiB");
const ERR_OFFSET: DecompressError =
    DecompressError::new("XPRESS match offset before start of chunk");
const ERR_OVERRUN: DecompressError = DecompressError::new("XPRESS match runs past end of chunk");
const ERR_EXHAUSTED: DecompressError =
    DecompressError::new("XPRESS input exhausted before chunk was complete");

/// Reusable XPRESS decoder. Holds only the decode table and scratch space
/// for building it, so decoding a chunk never allocates.
pub struct XpressDecompressor {
    table: [u32; TABLE_LEN],
    /// The header's 512 code lengths, one a byte.
    lens: [u8; NUM_SYMBOLS],
    /// Scratch for the table builder.
    sorted: [u16; NUM_SYMBOLS],
}

impl XpressDecompressor {
    /// A decoder for chunks of up to 64 KiB (the WIM maximum for XPRESS).
    pub fn new() -> Self {
        XpressDecompressor {
            table: [0; TABLE_LEN],
            lens: [0; NUM_SYMBOLS],
            sorted: [0; NUM_SYMBOLS],
        }
    }

    /// Builds the decode table from the 256-byte header. Fails if the
    /// lengths over-fill the code space, or leave part of it unused while
    /// defining at least one codeword (the empty code is accepted: see the
    /// module docs).
    fn build_table(&mut self, header: &[u8; HEADER_LEN]) -> Result<(), DecompressError> {
        for (pair, &b) in self.lens.chunks_exact_mut(2).zip(header) {
            pair[0] = b & 15;
            pair[1] = b >> 4;
        }
        huffman::build(&mut self.table, TABLE_BITS, &self.lens, &mut self.sorted).map_err(|e| {
            match e {
                CodeError::Oversubscribed => ERR_OVERSUBSCRIBED,
                CodeError::Incomplete | CodeError::TableTooSmall => ERR_INCOMPLETE,
            }
        })
    }
}

impl Default for XpressDecompressor {
    fn default() -> Self {
        Self::new()
    }
}

/// The table entry for the codeword at the top of `buf` (at least 15 bits
/// must be buffered), with the full codeword length.
#[inline(always)]
fn lookup(table: &[u32; TABLE_LEN], buf: u64) -> u32 {
    huffman::lookup::<TABLE_BITS, TABLE_LEN>(table, buf)
}

impl Decompressor for XpressDecompressor {
    /// Bit reading: `bits` tops up to 48..=63 bits with whole words at each
    /// step, enough for one symbol (15 bits) plus one offset (15 bits).
    ///
    /// Escape bytes: [MS-XCA]'s reader keeps between 16 and 31 bits buffered
    /// once it has decoded a symbol (it loads a word whenever it drops below
    /// 16), and takes escape bytes from the input right after the last word
    /// it loaded. Encoders place the bytes accordingly. We buffer more, so
    /// before reading escape bytes we give back the whole words beyond what
    /// that reader would hold; they are re-read after the escape bytes.
    ///
    /// Past the end of the input, words read as zero so that look-ahead
    /// never fails; the reader's position keeps counting as if they were
    /// there. At the end we check that no bit of such a padding word was
    /// actually consumed.
    ///
    /// Each symbol is looked up before the refill that follows it: a refill
    /// only adds bits below those already held, and at least 18 are held at
    /// the top of the loop, so the table load need not wait for it.
    fn decompress(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), DecompressError> {
        if output.len() > MAX_CHUNK {
            return Err(ERR_TOO_LARGE);
        }
        let header: &[u8; HEADER_LEN] = match input.get(..HEADER_LEN) {
            Some(h) => h.try_into().map_err(|_| ERR_SHORT_HEADER)?,
            None => return Err(ERR_SHORT_HEADER),
        };
        self.build_table(header)?;
        let table = &self.table;

        let in_len = input.len();
        let out_len = output.len();
        let mut bits = WordBits::new(input, HEADER_LEN);
        let mut op = 0usize;

        bits.refill();
        while op < out_len {
            // >= 18 bits held: refilled to >= 48 last time, minus at most 15
            // for a symbol and 15 for an offset.
            let entry = lookup(table, bits.buf());
            bits.refill();

            if entry < LITERAL_LIMIT {
                output[op] = bits.take(entry) as u8;
                op += 1;
                // Literals tend to come in runs, and at least 33 bits are
                // left: try a second one before paying for another refill.
                // Anything else is decoded again at the top of the loop.
                let next = lookup(table, bits.buf());
                if next < LITERAL_LIMIT && op < out_len {
                    output[op] = bits.take(next) as u8;
                    op += 1;
                }
                continue;
            }
            let sym = bits.take(entry);

            // Match header: low nibble is the length code, next nibble the
            // bit length of the offset.
            let len_code = sym & 15;
            let offset_bits = ((sym >> 4) & 15) as u32;
            let mut length = len_code + 3;
            if len_code == 15 {
                // At least 33 bits are held here, so a word or two go back.
                let rest = bits.hold_at_most(31);
                let b = *rest.first().ok_or(ERR_EXHAUSTED)?;
                if b != 255 {
                    length = 15 + b as usize + 3;
                    bits.skip_bytes(1);
                } else {
                    let w = rest.get(1..3).ok_or(ERR_EXHAUSTED)?;
                    length = u16::from_le_bytes([w[0], w[1]]) as usize + 3;
                    bits.skip_bytes(3);
                }
                bits.refill();
            }
            // At least 33 bits are held here.
            let offset = (1usize << offset_bits) | bits.read(offset_bits) as usize;

            if offset > op {
                return Err(ERR_OFFSET);
            }
            if length > out_len - op {
                return Err(ERR_OVERRUN);
            }
            copy_match(output, op, offset, length);
            op += length;
        }

        // Words that started at or after in_len - 1 were padding; they are
        // the last ones loaded, so they sit at the bottom of the buffer.
        let padding_words = (bits.pos() + 1).saturating_sub(in_len) / 2;
        if (bits.avail() as usize) < 16 * padding_words {
            return Err(ERR_EXHAUSTED);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{canonical_codes, Rng};

    /// Packs 512 code lengths into the 256-byte header.
    fn pack_lens(lens: &[u8; NUM_SYMBOLS]) -> Vec<u8> {
        (0..HEADER_LEN)
            .map(|i| lens[2 * i] | (lens[2 * i + 1] << 4))
            .collect()
    }

    /// Writes a chunk the way an [MS-XCA] encoder lays it out: bits in
    /// 16-bit little-endian words, escape bytes placed after the words that
    /// the reference reader has loaded when it reaches them.
    struct Writer {
        words: Vec<u16>,
        acc: u32,
        acc_bits: u32,
        total_bits: usize,
        /// (number of words that precede the bytes, bytes)
        bytes: Vec<(usize, Vec<u8>)>,
    }

    impl Writer {
        fn new() -> Self {
            Writer {
                words: vec![],
                acc: 0,
                acc_bits: 0,
                total_bits: 0,
                bytes: vec![],
            }
        }
        fn bits(&mut self, value: u32, n: u32) {
            for i in (0..n).rev() {
                self.acc = (self.acc << 1) | ((value >> i) & 1);
                self.acc_bits += 1;
                self.total_bits += 1;
                if self.acc_bits == 16 {
                    self.words.push(self.acc as u16);
                    self.acc = 0;
                    self.acc_bits = 0;
                }
            }
        }
        fn raw(&mut self, b: &[u8]) {
            // After consuming C bits the reference reader holds at least 16
            // more, so it has loaded ceil((C + 16) / 16) words.
            let words_loaded = (self.total_bits + 31) / 16;
            self.bytes.push((words_loaded, b.to_vec()));
        }
        fn finish(mut self, header: Vec<u8>) -> Vec<u8> {
            if self.acc_bits > 0 {
                let pad = 16 - self.acc_bits;
                self.bits(0, pad);
            }
            let need = self.bytes.iter().map(|b| b.0).max().unwrap_or(0);
            while self.words.len() < need {
                self.words.push(0);
            }
            let mut out = header;
            let mut raw = self.bytes.iter().peekable();
            for (i, w) in self.words.iter().enumerate() {
                while let Some((_, b)) = raw.next_if(|r| r.0 == i) {
                    out.extend_from_slice(b);
                }
                out.extend_from_slice(&w.to_le_bytes());
            }
            for (_, b) in raw {
                out.extend_from_slice(b);
            }
            out
        }
    }

    enum Item {
        Lit(u8),
        Match { len: usize, offset: usize },
    }

    /// Greedy LZ77 parse with a one-entry hash of 3 bytes; good enough to
    /// produce every kind of match (short and long offsets, overlapping,
    /// all three length forms).
    fn parse(data: &[u8]) -> Vec<Item> {
        let mut head = vec![usize::MAX; 1 << 14];
        let mut items = vec![];
        let mut i = 0;
        while i < data.len() {
            if i + 3 <= data.len() {
                let h =
                    ((data[i] as usize) << 6 ^ (data[i + 1] as usize) << 3 ^ data[i + 2] as usize)
                        & ((1 << 14) - 1);
                let cand = head[h];
                head[h] = i;
                if cand != usize::MAX && i - cand <= 65535 {
                    let mut len = 0;
                    while i + len < data.len() && data[cand + len] == data[i + len] {
                        len += 1;
                    }
                    if len >= 3 {
                        items.push(Item::Match {
                            len,
                            offset: i - cand,
                        });
                        i += len;
                        continue;
                    }
                }
            }
            items.push(Item::Lit(data[i]));
            i += 1;
        }
        items
    }

    /// A complete code over all 512 symbols: symbols in `chain` get lengths
    /// 1, 2, 3, ..., the rest share what is left as evenly as possible.
    /// An empty chain gives the flat 9-bit code.
    fn code_lengths(chain: &[usize]) -> [u8; NUM_SYMBOLS] {
        let mut lens = [0u8; NUM_SYMBOLS];
        for (i, &s) in chain.iter().enumerate() {
            lens[s] = i as u8 + 1;
        }
        let t = chain.len() as u32;
        let rest: Vec<usize> = (0..NUM_SYMBOLS).filter(|s| !chain.contains(s)).collect();
        let m = rest.len() as u32;
        let deep = m.next_power_of_two().trailing_zeros();
        let shallow_count = (1u32 << deep) - m;
        for (i, &s) in rest.iter().enumerate() {
            lens[s] = (t + deep - (i < shallow_count as usize) as u32) as u8;
        }
        lens
    }

    fn encode(data: &[u8], lens: &[u8; NUM_SYMBOLS], end_symbol: bool) -> Vec<u8> {
        let codes = canonical_codes(&lens[..]);
        let mut w = Writer::new();
        let put = |w: &mut Writer, sym: usize| {
            assert!(lens[sym] != 0);
            w.bits(codes[sym], lens[sym] as u32);
        };
        for item in parse(data) {
            match item {
                Item::Lit(b) => put(&mut w, b as usize),
                Item::Match { len, offset } => {
                    let log2 = 31 - (offset as u32).leading_zeros();
                    let len_code = (len - 3).min(15);
                    put(&mut w, 256 + ((log2 as usize) << 4) + len_code);
                    if len_code == 15 {
                        if len - 3 - 15 < 255 {
                            w.raw(&[(len - 18) as u8]);
                        } else {
                            let mut b = vec![255];
                            b.extend_from_slice(&((len - 3) as u16).to_le_bytes());
                            w.raw(&b);
                        }
                    }
                    w.bits(offset as u32 - (1 << log2), log2);
                }
            }
        }
        if end_symbol {
            put(&mut w, 256);
        }
        w.finish(pack_lens(lens))
    }

    fn decode(input: &[u8], out_len: usize) -> Result<Vec<u8>, DecompressError> {
        let mut out = vec![0xAA; out_len];
        XpressDecompressor::new().decompress(input, &mut out)?;
        Ok(out)
    }

    /// Test data of several kinds: random, text-like, runs, periodic
    /// patterns with small offsets, and long copies that need the 16-bit
    /// length escape.
    fn sample(rng: &mut Rng, len: usize) -> Vec<u8> {
        let mut d = Vec::with_capacity(len);
        let kind = rng.below(5);
        while d.len() < len {
            match kind {
                0 => d.push(rng.next() as u8),
                1 => d.push(b"etaoin shrdlu\n"[rng.below(14)]),
                2 => {
                    let b = rng.next() as u8;
                    for _ in 0..rng.below(600) {
                        d.push(b);
                    }
                }
                3 => {
                    let period = 1 + rng.below(12);
                    let pat: Vec<u8> = (0..period).map(|_| rng.next() as u8).collect();
                    for i in 0..rng.below(2000) {
                        d.push(pat[i % period]);
                    }
                }
                _ => {
                    if d.len() < 16 || rng.below(3) == 0 {
                        d.push(rng.next() as u8);
                    } else {
                        let start = rng.below(d.len());
                        for i in 0..rng.below(70000) {
                            d.push(d[start + i]);
                        }
                    }
                }
            }
        }
        d.truncate(len);
        d
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hand_built_all_literal_chunk() {
        // Literals 0..=255 with 8-bit codes fill the code space exactly;
        // each codeword is then the byte itself, so the stream is the
        // bytes, paired into little-endian 16-bit words.
        let mut input = vec![0x88u8; 128];
        input.extend_from_slice(&[0u8; 128]);
        let text = b"XPRESS in a WIM!";
        for pair in text.chunks(2) {
            input.push(pair[1]);
            input.push(pair[0]);
        }
        assert_eq!(decode(&input, text.len()).unwrap(), text);
        // One byte short of the data: the last word is missing.
        assert_eq!(
            decode(&input[..input.len() - 2], text.len()),
            Err(ERR_EXHAUSTED)
        );
        // Asking for more output than the stream holds.
        assert_eq!(decode(&input, text.len() + 1), Err(ERR_EXHAUSTED));
        // Asking for less is fine: decoding stops when the output is full.
        assert_eq!(decode(&input, 5).unwrap(), &text[..5]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hand_built_match_with_byte_escape() {
        // 9-bit flat code: codeword == symbol. "ab", then a match of
        // length 3 + 15 + 7 = 25 at offset 2 (symbol 256 + (1 << 4) + 15,
        // escape byte 7, one offset bit 0), then end-of-data symbol 256.
        let mut w = Writer::new();
        w.bits(b'a' as u32, 9);
        w.bits(b'b' as u32, 9);
        w.bits(256 + 16 + 15, 9);
        w.raw(&[7]);
        w.bits(0, 1);
        w.bits(256, 9);
        let input = w.finish(vec![0x99; 256]);
        // 28 bits precede the escape byte, so the reader holds 3 words
        // (48 bits) and the byte follows the third word.
        assert_eq!(input[256 + 6], 7);
        let want: Vec<u8> = b"ab".iter().cycle().take(27).copied().collect();
        assert_eq!(decode(&input, 27).unwrap(), want);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn round_trips() {
        let mut rng = Rng(0x5EED_0001);
        let mut dec = XpressDecompressor::new();
        let sizes = [1, 2, 3, 17, 255, 256, 4095, 4096, 4097, 32768, 65535, 65536];
        for round in 0..120 {
            let len = if round < sizes.len() {
                sizes[round]
            } else {
                let magnitude = 4 + rng.below(13);
                1 + rng.below(1 << magnitude)
            };
            let data = sample(&mut rng, len);
            let chain: Vec<usize> = match rng.below(3) {
                0 => vec![],
                1 => (0..1 + rng.below(6))
                    .map(|_| rng.below(NUM_SYMBOLS))
                    .collect(),
                _ => vec![256, 257, 258, 0x20, 0x65, 0x74],
            };
            let mut chain_dedup = chain.clone();
            chain_dedup.dedup();
            chain_dedup.sort();
            chain_dedup.dedup();
            let lens = code_lengths(&chain_dedup);
            let input = encode(&data, &lens, rng.below(2) == 0);
            let mut out = vec![0u8; len];
            dec.decompress(&input, &mut out)
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(out == data, "round {round}: wrong output");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn long_codes_use_subtables() {
        // Chain of six gives codewords of up to 15 bits, beyond TABLE_BITS.
        let chain = [b'e' as usize, 256, b' ' as usize, 258, b't' as usize, 300];
        let lens = code_lengths(&chain);
        assert_eq!(*lens.iter().max().unwrap(), 15);
        let mut rng = Rng(7);
        let data: Vec<u8> = (0..20000).map(|_| rng.next() as u8).collect();
        assert_eq!(
            decode(&encode(&data, &lens, true), data.len()).unwrap(),
            data
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn longest_match_uses_u16_escape() {
        let data = vec![b'z'; 65536];
        let input = encode(&data, &code_lengths(&[]), true);
        assert_eq!(decode(&input, 65536).unwrap(), data);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bad_tables() {
        assert_eq!(decode(&[0x11; 255], 1), Err(ERR_SHORT_HEADER));
        // 512 one-bit codes.
        assert_eq!(decode(&[0x11; 300], 1), Err(ERR_OVERSUBSCRIBED));
        // Two 2-bit codes fill only half the space.
        let mut t = vec![0u8; 300];
        t[0] = 0x22;
        assert_eq!(decode(&t, 1), Err(ERR_INCOMPLETE));
        // A single 1-bit code is incomplete too (wimlib rejects it as well).
        t[0] = 0x01;
        assert_eq!(decode(&t, 1), Err(ERR_INCOMPLETE));
        // The empty code is accepted and yields zero bytes (wimlib's
        // behaviour), even from a chunk that is only a header.
        assert_eq!(decode(&[0; 256], 100).unwrap(), vec![0; 100]);
        // Over 64 KiB is not a WIM XPRESS chunk.
        let mut big = vec![0u8; MAX_CHUNK + 1];
        assert_eq!(
            XpressDecompressor::new().decompress(&[0; 256], &mut big),
            Err(ERR_TOO_LARGE)
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn match_errors() {
        let lens = code_lengths(&[]);
        // A match as the very first symbol reaches before the chunk.
        let mut w = Writer::new();
        w.bits(256, 9);
        assert_eq!(decode(&w.finish(pack_lens(&lens)), 10), Err(ERR_OFFSET));
        // Offset 4 after three literals.
        let mut w = Writer::new();
        for b in b"abc" {
            w.bits(*b as u32, 9);
        }
        w.bits(256 + (2 << 4), 9);
        w.bits(0, 2);
        assert_eq!(decode(&w.finish(pack_lens(&lens)), 10), Err(ERR_OFFSET));
        // A 20-byte match into a 10-byte output.
        let data = b"abcabcabcabcabcabcabcabc";
        let input = encode(data, &lens, true);
        assert_eq!(decode(&input, 10), Err(ERR_OVERRUN));
        assert_eq!(decode(&input, data.len()).unwrap(), data);
        // Escape byte missing: cut the chunk right after the words the
        // reader holds when it wants the byte.
        let mut w = Writer::new();
        w.bits(b'a' as u32, 9);
        w.bits(256 + 15, 9);
        w.raw(&[200]);
        let input = w.finish(pack_lens(&lens));
        assert_eq!(decode(&input, 219).unwrap(), vec![b'a'; 219]);
        assert_eq!(decode(&input[..256 + 4], 219), Err(ERR_EXHAUSTED));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn truncated_and_padded_streams() {
        let mut rng = Rng(42);
        let lens = code_lengths(&[]);
        for _ in 0..50 {
            let len = 1 + rng.below(5000);
            let data = sample(&mut rng, len);
            let input = encode(&data, &lens, false);
            // Cutting off the last word loses bits the data needs.
            let cut = &input[..input.len() - 2];
            assert!(decode(cut, data.len()).is_err());
            // Trailing bytes after the stream are ignored.
            let mut padded = input.clone();
            padded.extend_from_slice(&[0x5A; 9]);
            assert_eq!(decode(&padded, data.len()).unwrap(), data);
        }
    }

    /// Thousands of damaged chunks: whatever the bytes, the decoder returns
    /// (Ok or Err) without panicking and without touching memory outside
    /// the slices (guaranteed by safe Rust; a panic would be the symptom).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn damaged_input_never_panics() {
        let mut rng = Rng(0xBAD_C0DE);
        let mut dec = XpressDecompressor::new();
        let mut out = vec![0u8; MAX_CHUNK];
        let mut ok = 0;
        for round in 0..4000 {
            let len = 1 + rng.below(if round % 50 == 0 { MAX_CHUNK } else { 3000 });
            let data = sample(&mut rng, len);
            let chain: Vec<usize> = if rng.below(2) == 0 {
                vec![]
            } else {
                vec![256, 300, 65]
            };
            let mut input = encode(&data, &code_lengths(&chain), rng.below(2) == 0);
            match rng.below(6) {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = rng.below(input.len());
                        input[i] ^= 1 << rng.below(8);
                    }
                }
                1 => {
                    let i = HEADER_LEN + rng.below(input.len() - HEADER_LEN);
                    input[i] = rng.next() as u8;
                }
                2 => input.truncate(rng.below(input.len() + 1)),
                3 => {
                    let from = HEADER_LEN + rng.below(input.len() - HEADER_LEN);
                    for b in &mut input[from..] {
                        *b = rng.next() as u8;
                    }
                }
                4 => {
                    // Random stream behind a valid header.
                    input.truncate(HEADER_LEN);
                    for _ in 0..rng.below(4000) {
                        input.push(rng.next() as u8);
                    }
                }
                _ => {
                    // Random header with small lengths, random stream.
                    for b in &mut input[..HEADER_LEN] {
                        *b = (rng.next() as u8) & 0x99;
                    }
                }
            }
            let out_len = match rng.below(4) {
                0 => rng.below(MAX_CHUNK + 1),
                1 => len.saturating_sub(rng.below(10)),
                2 => len + rng.below(10),
                _ => len,
            }
            .min(MAX_CHUNK);
            if dec.decompress(&input, &mut out[..out_len]).is_ok() {
                ok += 1;
            }
        }
        // Some damage is harmless (e.g. flipped padding bits); most is not.
        assert!(ok > 0 && ok < 4000, "{ok}");
    }
}
