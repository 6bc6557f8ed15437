//! LZX chunk decoder, WIM variant.
//!
//! This module owns the decoding of one LZX-compressed WIM chunk: bitstream
//! reading, the canonical-Huffman decode tables, the verbatim / aligned /
//! uncompressed block decoders and the x86 CALL (E8) post-translation. It
//! knows nothing of resources or chunk tables; the caller hands it one chunk
//! and the exact size that chunk must expand to (and handles chunks stored
//! raw, whose compressed size equals their uncompressed size).
//!
//! The format is LZX as specified by Microsoft's [MS-PATCH] "LZX DELTA
//! Compression and Decompression" (section 2), read together with wimlib's
//! `src/lzx_decompress.c` and `src/lzx_common.c`, which define what WIM files
//! actually contain. What is specific to WIM, compared with [MS-PATCH] LZXD:
//!
//! - There is no leading E8 header bit and no translation-size field: E8
//!   translation is always on, with the fixed size 12,000,000, positions
//!   counted from the start of the chunk, and no E8 byte in the last 10 bytes
//!   of the chunk is translated.
//! - A block header is a 3-bit type and then one bit meaning "block size is
//!   32768"; if that bit is 0, a 16-bit size follows, plus 8 more low-order
//!   bits when the window is 64 KiB or larger (wimlib's layout; [MS-PATCH]
//!   has a 24-bit size instead).
//! - The window is the chunk size (32 KiB to 2 MiB, a power of two), which
//!   also fixes the number of position slots in the main code. Every chunk
//!   is independent: code lengths start at zero and the repeat offsets at
//!   {1, 1, 1}; nothing carries over from the previous chunk.
//! - No LZX DELTA extensions (reference data, longer matches, 32 MiB windows).
//!
//! Where the documents leave the behaviour on odd input open, this decoder
//! follows wimlib, the reference implementation, so that it accepts what
//! wimlib accepts: bits read past the end of the input are zeros (a trailing
//! odd byte is not part of the bitstream); a completely empty Huffman code is
//! allowed (it decodes symbol 0 using no bits) while any other incomplete or
//! over-full code is rejected; a run in the code-length ("pretree") encoding
//! may spill past the lengths it is filling; a match may not cross the end
//! of its block.
//!
//! Speed matters here (this decoder sets the verifier's pace), hence:
//! - the chunk is first copied with its 16-bit words in reverse order, so
//!   the bit reader refills a 64-bit register with one little-endian load
//!   and shifts, without data-dependent branches;
//! - Huffman codes decode with one table lookup (11 bits for the main code,
//!   10 for lengths; a second-level lookup only for rare longer codewords),
//!   and a lone comparison tells a literal entry from everything else;
//! - the main loop takes two literals per refill and copies matches 16 bytes
//!   at a time when the source is at least 8 bytes back;
//! - the E8 pass tests 32 bytes per step (SSE2 on x86-64, SIMD128 in wasm) and is skipped
//!   when no E8 byte can occur in the chunk.
//!
//! `unsafe` is limited to three spots, each with its bounds argument: the
//! 8-byte input load, the word copies of a match, and the SIMD loads.
//!
//! The tests include a small encoder, so every block type, window size and
//! error path is exercised without external files; decoding real
//! wimlib-made WIMs (every chunk size) and comparing with libwim on mutated
//! chunks was done outside the test suite.

use super::{DecompressError, Decompressor};

// ---- Format constants ([MS-PATCH] section 2) -------------------------------

/// Literal symbols at the start of the main code.
const NUM_CHARS: usize = 256;
/// The shortest match; length headers count from here.
const MIN_MATCH: usize = 2;
/// Length headers 0..=6 are the whole length; header 7 means "add a symbol
/// from the length code".
const NUM_PRIMARY_LENS: usize = 7;
/// Length headers per position slot in a main symbol.
const NUM_LEN_HEADERS: usize = 8;
/// Symbols in the length code (match lengths 9..=257).
const LEN_SYMS: usize = 249;
/// Symbols in the pretree, which codes the code lengths.
const PRE_SYMS: usize = 20;
/// Symbols in the aligned-offset code (the low three offset bits).
const ALIGNED_SYMS: usize = 8;
/// Position slots for the largest window (2 MiB).
const MAX_SLOTS: usize = 50;
/// Main-code symbols for the largest window.
const MAX_MAIN_SYMS: usize = NUM_CHARS + MAX_SLOTS * NUM_LEN_HEADERS;
/// Longest codeword any LZX Huffman code may have.
const MAX_CODEWORD_LEN: u32 = 16;
/// A pretree run can write this many lengths beyond the ones requested (a
/// run of 51 zeros when one length was left); the length arrays carry this
/// much slack so the spill stays inside them, as it does in wimlib.
const LENS_OVERRUN: usize = 50;
/// The "file size" parameter of E8 translation in every WIM chunk.
const E8_FILE_SIZE: i32 = 12_000_000;
/// E8 bytes this close to the end of the chunk are never translated.
const E8_TAIL: usize = 10;
/// Block size meant by a set "default size" bit.
const DEFAULT_BLOCK_SIZE: usize = 32_768;

const BLOCK_VERBATIM: u32 = 1;
const BLOCK_ALIGNED: u32 = 2;
const BLOCK_UNCOMPRESSED: u32 = 3;

/// Zero bytes before the mirrored copy of the chunk, so the bit reader can
/// always load eight bytes at a position before the end of the data.
const STREAM_PAD: usize = 8;

/// Smallest and largest WIM LZX chunk (window) sizes.
const MIN_WINDOW: u32 = 1 << 15;
const MAX_WINDOW: u32 = 1 << 21;

/// First match offset (before the -2 adjustment) of each position slot.
const SLOT_BASE: [u32; MAX_SLOTS] = {
    let mut t = [0u32; MAX_SLOTS];
    let mut i = 1;
    while i < MAX_SLOTS {
        t[i] = t[i - 1] + (1 << SLOT_EXTRA_BITS[i - 1]);
        i += 1;
    }
    t
};

/// Verbatim bits following each position slot: 0,0,0,0,1,1,2,2,... growing
/// by one every two slots, capped at 17.
const SLOT_EXTRA_BITS: [u8; MAX_SLOTS] = {
    let mut t = [0u8; MAX_SLOTS];
    let mut i = 4;
    while i < MAX_SLOTS {
        let b = (i / 2 - 1) as u8;
        t[i] = if b > 17 { 17 } else { b };
        i += 1;
    }
    t
};

// ---- Decode-table layout --------------------------------------------------
//
// An entry is a u32. For a symbol: bits 16..31 = symbol, bits 0..4 = number
// of bits to consume, the rest zero. For a pointer to a second-level table
// (codewords longer than the first-level index): bit 31 set, bits 16..30 =
// start of the subtable, bits 8..12 = its index width. Pointers thus compare
// above every symbol entry, so "entry < LITERAL_LIMIT" alone identifies a
// literal in the main table.

const SUBTABLE: u32 = 1 << 31;
const LITERAL_LIMIT: u32 = (NUM_CHARS as u32) << 16;

/// First-level index widths. Main and length codes: 11 and 10 bits cover
/// nearly every codeword real encoders emit, while the tables stay small
/// enough to rebuild cheaply for every block.
const MAIN_TB: u32 = 11;
const LEN_TB: u32 = 10;
const PRE_TB: u32 = 6;
/// Aligned codewords are at most 7 bits, so one level always suffices.
const ALIGNED_TB: u32 = 7;

/// Entries a table needs: the first level, plus second levels. A subtable
/// of `b` bits only exists when at least `b + 1` codewords share its prefix,
/// and is never wider than `16 - tb` bits, so `n` symbols can need at most
/// `ceil(n / (17 - tb))` full-width subtables.
const fn table_size(tb: u32, n: usize) -> usize {
    let per = (MAX_CODEWORD_LEN + 1 - tb) as usize;
    (1 << tb) + n.div_ceil(per) * (1 << (MAX_CODEWORD_LEN - tb))
}
const MAIN_TABLE_SIZE: usize = table_size(MAIN_TB, MAX_MAIN_SYMS);
const LEN_TABLE_SIZE: usize = table_size(LEN_TB, LEN_SYMS);
const PRE_TABLE_SIZE: usize = table_size(PRE_TB, PRE_SYMS);
const ALIGNED_TABLE_SIZE: usize = 1 << ALIGNED_TB;

/// Why a chunk failed; the phrases end up in the verifier's report.
mod err {
    use super::DecompressError as E;
    pub const BAD_BLOCK_TYPE: E = E::new("LZX: invalid block type");
    pub const BLOCK_TOO_LONG: E = E::new("LZX: block extends past the end of the chunk");
    pub const BAD_CODE: E = E::new("LZX: invalid Huffman code lengths");
    pub const BAD_PRETREE_SYMBOL: E = E::new("LZX: invalid code-length repeat symbol");
    pub const MATCH_TOO_LONG: E = E::new("LZX: match extends past the end of its block");
    pub const OFFSET_TOO_FAR: E = E::new("LZX: match offset before start of chunk");
    pub const TRUNCATED_STORED: E = E::new("LZX: uncompressed block truncated");
    pub const ZERO_REPEAT_OFFSET: E = E::new("LZX: zero repeat offset in uncompressed block");
    pub const CHUNK_TOO_LARGE: E = E::new("LZX: chunk larger than the decoder's window");
    pub const INPUT_TOO_LARGE: E = E::new("LZX: compressed chunk larger than the window");
}

/// The decode tables, boxed so that the decoder itself stays small to move.
struct Tables {
    main: [u32; MAIN_TABLE_SIZE],
    len: [u32; LEN_TABLE_SIZE],
    pre: [u32; PRE_TABLE_SIZE],
    aligned: [u32; ALIGNED_TABLE_SIZE],
    /// Code lengths. The main and length codes are sent as differences from
    /// the previous block's lengths, so these persist across the blocks of a
    /// chunk and are zeroed at its start.
    main_lens: [u8; MAX_MAIN_SYMS + LENS_OVERRUN],
    len_lens: [u8; LEN_SYMS + LENS_OVERRUN],
    pre_lens: [u8; PRE_SYMS],
    aligned_lens: [u8; ALIGNED_SYMS],
    /// Scratch for table building: symbols sorted by codeword length.
    sorted: [u16; MAX_MAIN_SYMS],
}

/// Decoder for LZX-compressed WIM chunks of up to one window size.
pub struct LzxDecompressor {
    window: usize,
    /// Whether block sizes carry the extra 8 bits (windows of 64 KiB and up).
    long_block_sizes: bool,
    num_main_syms: usize,
    t: Box<Tables>,
    /// Zero padding, then the chunk being decoded, its words in reverse
    /// order for the bit reader (`mirror_words`).
    stream: Box<[u8]>,
}

impl LzxDecompressor {
    /// A decoder for chunks of up to `max_chunk_size` bytes, which must be a
    /// power of two from 32 KiB to 2 MiB (the WIM header's chunk size).
    pub fn new(max_chunk_size: u32) -> Option<Self> {
        if !max_chunk_size.is_power_of_two() || !(MIN_WINDOW..=MAX_WINDOW).contains(&max_chunk_size)
        {
            return None;
        }
        let window = max_chunk_size as usize;
        // Enough position slots to reach the largest offset the window
        // allows. A match can't start at position 0, so the farthest is
        // window - 3 back (adjusted by +2 when coded, hence window - 1).
        let max_coded = window as u32 - 1;
        let mut slots = 30;
        while slots < MAX_SLOTS && SLOT_BASE[slots] <= max_coded {
            slots += 1;
        }
        let t = Box::new(Tables {
            main: [0; MAIN_TABLE_SIZE],
            len: [0; LEN_TABLE_SIZE],
            pre: [0; PRE_TABLE_SIZE],
            aligned: [0; ALIGNED_TABLE_SIZE],
            main_lens: [0; MAX_MAIN_SYMS + LENS_OVERRUN],
            len_lens: [0; LEN_SYMS + LENS_OVERRUN],
            pre_lens: [0; PRE_SYMS],
            aligned_lens: [0; ALIGNED_SYMS],
            sorted: [0; MAX_MAIN_SYMS],
        });
        Some(LzxDecompressor {
            window,
            long_block_sizes: window >= 1 << 16,
            num_main_syms: NUM_CHARS + slots * NUM_LEN_HEADERS,
            t,
            stream: vec![0; window + STREAM_PAD].into_boxed_slice(),
        })
    }
}

// ---- Bit reader -------------------------------------------------------------

/// MSB-first bit reader. It reads a mirrored copy of the chunk: its 16-bit
/// words in reverse order after eight zero bytes (see `mirror_words`), so
/// that the eight stream bytes from position `p` on are the eight bytes
/// ending at `len - p` of the copy, and one little-endian load of them is
/// the next 64 bits of the stream in order. (A big-endian load of a
/// byte-swapped copy gives the same, but WebAssembly has no byte swap: it
/// took some twenty instructions per refill there.)
///
/// `buf` holds the next `count & 63` bits left-aligned; the bits below them
/// may already hold the start of the next word (the same bits a later refill
/// ORs in, so refills need no masking). Only the low six bits of `count` are
/// meaningful: decoding subtracts whole table entries from it, whose higher
/// bits never borrow into the low six. The struct is `Copy` so that the hot
/// loop can keep a local copy in registers.
#[derive(Clone, Copy)]
struct Bits<'a> {
    /// Eight zero bytes, then the chunk's words in reverse order.
    data: &'a [u8],
    /// `data.len() - 8`: stream positions up to this have eight readable
    /// bytes, at `last - pos` in `data`; past it the stream has ended and
    /// reads as zeros (as wimlib reads it).
    last: usize,
    /// Stream bytes of whole words loaded so far; may pass the end of the
    /// data.
    pos: usize,
    buf: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader of `data` as `mirror_words` lays it out; data shorter than
    /// eight bytes (never given: the padding alone is eight) reads as an
    /// empty stream.
    fn new(data: &'a [u8]) -> Self {
        let data = if data.len() < 8 { &[0; 8] } else { data };
        Bits {
            data,
            last: data.len() - 8,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Tops the buffer up, in whole words, to at least 48 bits (at most 63):
    /// enough for a main symbol, a length symbol and 16 offset bits.
    #[inline(always)]
    fn refill(&mut self) {
        let w = if self.pos <= self.last {
            // SAFETY: `new` makes len >= 8 and last = len - 8, and pos <=
            // last, so the eight bytes from last - pos end at len - pos <= len.
            u64::from_le_bytes(unsafe {
                self.data
                    .as_ptr()
                    .add(self.last - self.pos)
                    .cast::<[u8; 8]>()
                    .read_unaligned()
            })
        } else {
            0
        };
        let c = self.count & 63;
        self.buf |= w >> c;
        // Whole words that fit: 3 - c / 16. Afterwards 48 + c % 16 bits.
        self.pos += 6 - ((c >> 3) & 6) as usize;
        self.count = c | 48;
    }

    /// Next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    /// The next `n` bits (1..=16) as a table index.
    #[inline(always)]
    fn index(&self, n: u32) -> usize {
        (self.buf >> (64 - n)) as usize
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count & 63);
        self.buf <<= n;
        self.count = self.count.wrapping_sub(n);
    }

    /// Reads `n` bits (0..=32); the caller has ensured they are buffered.
    #[inline(always)]
    fn read(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Decodes one symbol; the caller has ensured 16 bits are buffered.
    #[inline(always)]
    fn decode<const N: usize>(&mut self, table: &[u32; N], tb: u32) -> usize {
        let mut e = table[self.index(tb)];
        if e & SUBTABLE != 0 {
            e = self.subtable_entry(table, tb, e);
        }
        self.take(e)
    }

    /// Second-level lookup for pointer entry `e`: consumes the first-level
    /// `tb` bits and returns the entry for the rest of the codeword.
    #[inline(always)]
    fn subtable_entry(&mut self, table: &[u32], tb: u32, e: u32) -> u32 {
        self.consume(tb);
        subtable_lookup(table, self.buf, e)
    }

    /// Consumes the codeword of symbol entry `e` and returns the symbol.
    #[inline(always)]
    fn take(&mut self, e: u32) -> usize {
        debug_assert!(e & 31 <= self.count & 63);
        // The entry's low five bits are the codeword length and bits 5..15
        // are clear, so the entry itself serves as shift and as subtrahend.
        self.buf = self.buf.wrapping_shl(e);
        self.count = self.count.wrapping_sub(e);
        (e >> 16) as usize
    }

    /// Bits consumed from the start of the input.
    fn bit_position(&self) -> usize {
        self.pos * 8 - (self.count & 63) as usize
    }

    /// Continues reading at byte `pos`, which must be word-aligned.
    fn restart_at(&mut self, pos: usize) {
        self.pos = pos;
        self.buf = 0;
        self.count = 0;
    }
}

/// The subtable entry that pointer `e` and the next bits of `buf` select.
/// Out of line (and taking values, so the bit reader stays in registers):
/// codewords longer than a first-level index are rare.
#[inline(never)]
fn subtable_lookup(table: &[u32], buf: u64, e: u32) -> u32 {
    let sub_bits = (e >> 8) & 31;
    let idx = ((e >> 16) & 0x7FFF) as usize + (buf >> (64 - sub_bits)) as usize;
    table.get(idx).copied().unwrap_or(0)
}

/// Copies the 16-bit words of `src` (an even number of bytes) into `dst`
/// (as long) in reverse order, each word's two bytes kept in order: the
/// last word of `src` first. Four words at a time: a little-endian load of
/// four words with its 16-bit lanes reversed is their reversed copy.
fn mirror_words(src: &[u8], dst: &mut [u8]) {
    debug_assert!(src.len() == dst.len() && src.len().is_multiple_of(2));
    const LANES: u64 = 0x0000_FFFF_0000_FFFF;
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.rchunks_exact(8);
    for (d, s) in (&mut d8).zip(&mut s8) {
        let Some(&w) = s.first_chunk::<8>() else {
            break;
        };
        let x = u64::from_le_bytes(w).rotate_left(32);
        d.copy_from_slice(&(((x >> 16) & LANES) | ((x & LANES) << 16)).to_le_bytes());
    }
    for (d, s) in d8
        .into_remainder()
        .chunks_exact_mut(2)
        .zip(s8.remainder().rchunks_exact(2))
    {
        d.copy_from_slice(s);
    }
}

// ---- Huffman tables -----------------------------------------------------------

/// Builds the decode table for the canonical code with the given lengths
/// (each at most 16). Fails unless the code is complete or entirely empty.
fn build_table(
    table: &mut [u32],
    tb: u32,
    lens: &[u8],
    sorted: &mut [u16],
) -> Result<(), DecompressError> {
    // 32 entries, indexed with `& 31`, so the per-symbol loops need no
    // bounds checks (lengths never exceed 16).
    let mut count = [0u16; 32];
    for &l in lens {
        count[(l & 31) as usize] += 1;
    }
    // Kraft sum, in units of 2^-16.
    let mut left: i32 = 1;
    for &c in &count[1..=MAX_CODEWORD_LEN as usize] {
        left = (left << 1) - c as i32;
        if left < 0 {
            return Err(err::BAD_CODE);
        }
    }
    if left != 0 {
        if left == 1 << MAX_CODEWORD_LEN {
            // No codewords at all. wimlib accepts this (an encoder may send
            // an empty length or aligned code) and then decodes symbol 0
            // from zero bits; entry 0 means exactly that.
            table[..1 << tb].fill(0);
            return Ok(());
        }
        return Err(err::BAD_CODE);
    }

    // Sort symbols by (length, symbol): canonical codeword order. Unused
    // symbols (length 0) sort first and are skipped; sorting them too saves
    // an unpredictable branch per symbol.
    let mut offs = [0u16; 32];
    for l in 1..=MAX_CODEWORD_LEN as usize {
        offs[l] = offs[l - 1] + count[l - 1];
    }
    for (sym, &l) in lens.iter().enumerate() {
        let o = &mut offs[(l & 31) as usize];
        sorted[*o as usize] = sym as u16;
        *o += 1;
    }
    let sorted = &sorted[count[0] as usize..lens.len()];

    // Codewords no longer than `tb` fill the first level in order, each
    // repeated over every index that starts with it.
    let mut i = 0;
    let mut fill = 0usize;
    while i < sorted.len() {
        let l = lens[sorted[i] as usize] as u32;
        if l > tb {
            break;
        }
        let n = 1usize << (tb - l);
        let e = ((sorted[i] as u32) << 16) | l;
        let run = &mut table[fill..fill + n];
        if n >= 4 {
            // Runs are powers of two: whole 16-byte stores.
            for c in run.chunks_exact_mut(4) {
                c.copy_from_slice(&[e; 4]);
            }
        } else {
            run.fill(e);
        }
        fill += n;
        i += 1;
    }

    // Longer codewords: the remaining first-level slots, in order, each point
    // to a subtable just wide enough for the codewords sharing that prefix.
    let mut remaining = count;
    let mut next_free = 1usize << tb;
    let mut sub_start = 0usize;
    let mut sub_bits = 0u32;
    let mut sub_fill = 0usize;
    let mut sub_size = 0usize; // 0: no open subtable
    while i < sorted.len() {
        let sym = sorted[i] as u32;
        let l = lens[sym as usize] as u32;
        if sub_fill == sub_size {
            // Open a subtable for the next prefix: grow it until the
            // codewords still to place fill it exactly.
            sub_bits = l - tb;
            let mut space = 1i32 << sub_bits;
            loop {
                space -= remaining[(tb + sub_bits) as usize] as i32;
                if space <= 0 {
                    break;
                }
                sub_bits += 1;
                space <<= 1;
            }
            sub_start = next_free;
            sub_size = 1 << sub_bits;
            sub_fill = 0;
            next_free += sub_size;
            if next_free > table.len() {
                return Err(err::BAD_CODE); // cannot happen for a complete code
            }
            table[fill] = SUBTABLE | ((sub_start as u32) << 16) | (sub_bits << 8);
            fill += 1;
        }
        let n = 1usize << (tb + sub_bits - l);
        table[sub_start + sub_fill..sub_start + sub_fill + n].fill((sym << 16) | (l - tb));
        sub_fill += n;
        remaining[l as usize] -= 1;
        i += 1;
    }
    Ok(())
}

/// Reads a pretree and, with it, `num` code lengths into `lens` as
/// differences from their old values. `lens` must have `LENS_OVERRUN` spare
/// entries after the `num` requested: a final run may spill into them.
fn read_lens(
    bits: &mut Bits,
    pre_table: &mut [u32; PRE_TABLE_SIZE],
    pre_lens: &mut [u8; PRE_SYMS],
    sorted: &mut [u16],
    lens: &mut [u8],
    num: usize,
) -> Result<(), DecompressError> {
    for (k, l) in pre_lens.iter_mut().enumerate() {
        if k % 8 == 0 {
            bits.refill();
        }
        *l = bits.read(4) as u8;
    }
    build_table(pre_table, PRE_TB, pre_lens, sorted)?;

    // New length = (old - delta) mod 17, with old <= 16 and delta <= 17.
    let delta_len = |old: u8, d: usize| {
        let v = old as usize + 17 - d;
        (if v >= 17 { v - 17 } else { v }) as u8
    };
    let mut i = 0;
    while i < num {
        // One step takes at most 31 bits: a pretree symbol and either 4, 5
        // or 1 + 15 bits after it. Refill only when fewer remain, since most
        // steps take far fewer.
        if bits.count & 63 < 31 {
            bits.refill();
        }
        let presym = bits.decode(pre_table, PRE_TB);
        let (run, value) = match presym {
            0..=16 => {
                lens[i] = delta_len(lens[i], presym);
                i += 1;
                continue;
            }
            17 => (4 + bits.read(4) as usize, 0),
            18 => (20 + bits.read(5) as usize, 0),
            _ => {
                let run = 4 + bits.read(1) as usize;
                let d = bits.decode(pre_table, PRE_TB);
                // wimlib also takes 17 here, as a difference of 17 (= 0).
                if d > 17 {
                    return Err(err::BAD_PRETREE_SYMBOL);
                }
                (run, delta_len(lens[i], d))
            }
        };
        lens[i..i + run].fill(value);
        i += run;
    }
    Ok(())
}

// ---- Block decoding -------------------------------------------------------

impl Tables {
    /// Reads the aligned (if `aligned`), main and length codes of a block
    /// and builds their tables.
    fn read_block_codes(
        &mut self,
        bits: &mut Bits,
        aligned: bool,
        n: usize,
    ) -> Result<(), DecompressError> {
        let t = self;
        if aligned {
            bits.refill();
            for l in t.aligned_lens.iter_mut() {
                *l = bits.read(3) as u8;
            }
            build_table(&mut t.aligned, ALIGNED_TB, &t.aligned_lens, &mut t.sorted)?;
        }
        // The main code's lengths come in two runs, literals then matches;
        // a spill from the first run lands in the second, as in wimlib.
        read_lens(
            bits,
            &mut t.pre,
            &mut t.pre_lens,
            &mut t.sorted,
            &mut t.main_lens,
            NUM_CHARS,
        )?;
        read_lens(
            bits,
            &mut t.pre,
            &mut t.pre_lens,
            &mut t.sorted,
            &mut t.main_lens[NUM_CHARS..],
            n - NUM_CHARS,
        )?;
        build_table(&mut t.main, MAIN_TB, &t.main_lens[..n], &mut t.sorted)?;
        read_lens(
            bits,
            &mut t.pre,
            &mut t.pre_lens,
            &mut t.sorted,
            &mut t.len_lens,
            LEN_SYMS,
        )?;
        build_table(&mut t.len, LEN_TB, &t.len_lens[..LEN_SYMS], &mut t.sorted)?;
        Ok(())
    }

    /// Decodes a verbatim or aligned block into `out[start..end]`. Out of
    /// line: it runs once per block, and each variant keeps its own loop.
    #[inline(never)]
    fn decode_block<const ALIGNED: bool>(
        &self,
        bits_out: &mut Bits,
        out: &mut [u8],
        start: usize,
        end: usize,
        reps: &mut [u32; 3],
    ) -> Result<(), DecompressError> {
        let t = self;
        let mut pos = start;
        let [mut r0, mut r1, mut r2] = *reps;
        let mut b = *bits_out;
        let bits = &mut b;
        // Work on the block only: with `end == out.len()`, the loop bounds
        // prove every literal store in range.
        let Some(out) = out.get_mut(..end) else {
            return Err(err::BLOCK_TOO_LONG); // the caller checked already
        };
        // Fast loop: while two bytes of the block remain, a literal pair can
        // be written without checking for the end in between.
        bits.refill();
        while pos + 1 < out.len() {
            // At least 16 bits are buffered here, so the first lookup need
            // not wait for the refill. After it there are at least 48 bits:
            // enough for two main symbols, or for one main symbol plus a
            // length symbol and 16 verbatim offset bits. Literals dominate,
            // so take two per refill.
            debug_assert!(bits.count & 63 >= 16);
            let first = bits.index(MAIN_TB);
            bits.refill();
            let mut e = t.main[first];
            if e < LITERAL_LIMIT {
                out[pos] = bits.take(e) as u8;
                pos += 1;
                e = t.main[bits.index(MAIN_TB)];
                if e < LITERAL_LIMIT {
                    out[pos] = bits.take(e) as u8;
                    pos += 1;
                    continue;
                }
                bits.refill();
            }
            if e & SUBTABLE != 0 {
                e = bits.subtable_entry(&t.main, MAIN_TB, e);
            }
            let sym = bits.take(e);
            if sym < NUM_CHARS {
                out[pos] = sym as u8;
                pos += 1;
                continue;
            }
            let m = sym - NUM_CHARS;
            let mut len = m % NUM_LEN_HEADERS;
            let slot = m / NUM_LEN_HEADERS;
            if len == NUM_PRIMARY_LENS {
                len += bits.decode(&t.len, LEN_TB);
            }
            len += MIN_MATCH;

            let offset;
            if slot < 3 {
                // Repeat offsets: the chosen one swaps with R0.
                offset = match slot {
                    0 => r0,
                    1 => {
                        core::mem::swap(&mut r0, &mut r1);
                        r0
                    }
                    _ => {
                        core::mem::swap(&mut r0, &mut r2);
                        r0
                    }
                };
            } else {
                let extra = SLOT_EXTRA_BITS[slot] as u32;
                let base = SLOT_BASE[slot];
                let o = if ALIGNED && extra >= 3 {
                    // Up to 14 verbatim bits and a 7-bit aligned codeword may
                    // not both be buffered after the main and length symbols.
                    bits.refill();
                    let hi = bits.read(extra - 3) << 3;
                    hi + bits.decode(&t.aligned, ALIGNED_TB) as u32
                } else {
                    if extra > 16 {
                        // Only in windows of 256 KiB and up.
                        bits.refill();
                    }
                    bits.read(extra)
                };
                offset = base + o - 2;
                r2 = r1;
                r1 = r0;
                r0 = offset;
            }
            // Restore the 16 bits the loop head relies on.
            bits.refill();

            if len > end - pos {
                return Err(err::MATCH_TOO_LONG);
            }
            let offset = offset as usize;
            if offset > pos {
                return Err(err::OFFSET_TOO_FAR);
            }
            copy_match(out, pos, offset, len);
            pos += len;
        }
        if pos < end {
            // One byte left: only a literal fits.
            bits.refill();
            let sym = bits.decode(&t.main, MAIN_TB);
            if sym >= NUM_CHARS {
                return Err(err::MATCH_TOO_LONG);
            }
            out[pos] = sym as u8;
        }
        *reps = [r0, r1, r2];
        *bits_out = b;
        Ok(())
    }
}

/// Copies `len` bytes from `offset` bytes back to `out[pos..]`; the regions
/// overlap when offset < len, which repeats the last `offset` bytes.
/// Requires `1 <= offset <= pos` and `pos + len <= out.len()`.
#[inline(always)]
fn copy_match(out: &mut [u8], pos: usize, offset: usize, len: usize) {
    debug_assert!(offset >= 1 && offset <= pos && pos + len <= out.len());
    // (`offset > pos` was rejected by the caller; testing it again keeps the
    // unsafe block below sound on its own, and costs nothing measurable.)
    if offset < 8 || offset > pos || pos + len + 16 > out.len() {
        copy_match_slow(out, pos, offset, len);
        return;
    }
    let p = out.as_mut_ptr();
    // SAFETY: stores cover [pos, pos + max(len, 16) rounded up to 16) which
    // ends before pos + len + 16 <= out.len(); loads start at pos - offset
    // >= 0 and each ends at most at the start of its own store (offset >= 8),
    // so it is in bounds and reads bytes already written. Bytes stored past
    // the match are overwritten by later output.
    unsafe {
        let mut src = p.add(pos - offset);
        let mut dst = p.add(pos);
        // Most matches are at most 16 bytes: two words, no loop branch.
        dst.cast::<u64>()
            .write_unaligned(src.cast::<u64>().read_unaligned());
        dst.add(8)
            .cast::<u64>()
            .write_unaligned(src.add(8).cast::<u64>().read_unaligned());
        if len > 16 {
            let end = dst.add(len);
            src = src.add(16);
            dst = dst.add(16);
            loop {
                dst.cast::<u64>()
                    .write_unaligned(src.cast::<u64>().read_unaligned());
                dst.add(8)
                    .cast::<u64>()
                    .write_unaligned(src.add(8).cast::<u64>().read_unaligned());
                dst = dst.add(16);
                src = src.add(16);
                if dst >= end {
                    break;
                }
            }
        }
    }
}

/// `copy_match` for offsets under 8 (overlapping patterns) and for matches
/// near the end of the block.
#[inline(never)]
fn copy_match_slow(out: &mut [u8], pos: usize, offset: usize, len: usize) {
    if offset == 1 {
        let b = out[pos - 1];
        out[pos..pos + len].fill(b);
        return;
    }
    if pos + len + 16 > out.len() {
        for i in pos..pos + len {
            out[i] = out[i - offset];
        }
        return;
    }
    // Offsets 2 to 7: copy the first eight bytes one at a time. From there
    // on the output also repeats with any multiple of `offset`, so the rest
    // goes by words from the smallest multiple that is at least 8 back.
    for i in pos..pos + 8 {
        out[i] = out[i - offset];
    }
    if len <= 8 {
        return;
    }
    const STRIDE: [usize; 8] = [0, 0, 8, 9, 8, 10, 12, 14];
    let stride = STRIDE[offset & 7];
    let end = pos + len;
    let mut dst = pos + 8;
    // Room for whole words was checked above; `dst - stride` is at least
    // `pos + 8 - 14 >= pos - 6 >= 1` because `pos >= offset`, and the
    // longest stride (14) goes with offset 7.
    while dst < end {
        let Some(&w) = out.get(dst - stride..).and_then(|s| s.first_chunk::<8>()) else {
            break;
        };
        out[dst..dst + 8].copy_from_slice(&w);
        dst += 8;
    }
}

// ---- E8 translation ---------------------------------------------------------

/// Undoes the encoder's E8 preprocessing: each 0xE8 byte (an x86 CALL) not
/// in the last 10 bytes is followed by a 32-bit target the encoder turned
/// from relative into absolute; turn it back. The four target bytes are
/// skipped whether or not they were translated.
#[inline(never)]
fn undo_e8(data: &mut [u8]) {
    if data.len() <= E8_TAIL {
        return;
    }
    let limit = data.len() - E8_TAIL;
    // `next` is the first position not inside a previous E8's target.
    let mut next = 0;
    let mut base = 0;
    while base < limit {
        // Bit k of `mask`: data[base + k] == 0xE8, for 32 bytes at a time
        // (a form the compiler turns into vector compares). The mask is
        // taken before translating, which is fine: translation only
        // rewrites the four bytes after an E8, and those are skipped.
        let mask = match data.get(base..).and_then(|d| d.first_chunk::<32>()) {
            Some(block) => e8_mask32(block),
            None => {
                let mut m = 0u32;
                for (k, &b) in data[base..].iter().enumerate() {
                    m |= ((b == 0xE8) as u32) << k;
                }
                m
            }
        };
        let mut m = mask;
        while m != 0 {
            let i = base + m.trailing_zeros() as usize;
            m &= m - 1;
            if i < next {
                continue;
            }
            if i >= limit {
                return;
            }
            translate_e8_target(data, i);
            next = i + 5;
        }
        base += 32;
    }
}

/// Bit k set when `block[k] == 0xE8`.
#[inline(always)]
fn e8_mask32(block: &[u8; 32]) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use core::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is enabled for this target; each load reads 16 bytes
        // inside `block` and has no alignment requirement.
        unsafe {
            let e8 = _mm_set1_epi8(0xE8u8 as i8);
            let lo = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let hi = _mm_loadu_si128(block.as_ptr().add(16).cast::<__m128i>());
            let lo = _mm_movemask_epi8(_mm_cmpeq_epi8(lo, e8)) as u32 & 0xFFFF;
            let hi = _mm_movemask_epi8(_mm_cmpeq_epi8(hi, e8)) as u32 & 0xFFFF;
            lo | (hi << 16)
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load};
        // SAFETY: each load reads 16 bytes inside `block`; wasm loads have
        // no alignment requirement.
        let (lo, hi) = unsafe {
            (
                v128_load(block.as_ptr().cast::<v128>()),
                v128_load(block.as_ptr().add(16).cast::<v128>()),
            )
        };
        let e8 = u8x16_splat(0xE8);
        u32::from(u8x16_bitmask(u8x16_eq(lo, e8)))
            | (u32::from(u8x16_bitmask(u8x16_eq(hi, e8))) << 16)
    }
    #[cfg(not(any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    {
        e8_mask32_portable(block)
    }
}

/// `e8_mask32` without SIMD (other targets; tested everywhere).
#[cfg_attr(
    any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
fn e8_mask32_portable(block: &[u8; 32]) -> u32 {
    // Eight bytes at a time: set the top bit of each byte equal to 0xE8
    // (exactly: the cheaper zero-byte test has false positives), then gather
    // the eight top bits into one byte with a multiply.
    let mut m = 0u32;
    for (k, c) in block.chunks_exact(8).enumerate() {
        let Some(&w) = c.first_chunk::<8>() else {
            break;
        };
        let x = u64::from_le_bytes(w) ^ 0xE8E8_E8E8_E8E8_E8E8;
        let nonzero = ((x & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | x;
        let flags = (!nonzero & 0x8080_8080_8080_8080) >> 7;
        m |= ((flags.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32) << (8 * k);
    }
    m
}

/// Converts the absolute target after the E8 byte at `i` back to relative.
#[inline(always)]
fn translate_e8_target(data: &mut [u8], i: usize) {
    let Some(&t) = data.get(i + 1..).and_then(|d| d.first_chunk::<4>()) else {
        return;
    };
    let abs = i32::from_le_bytes(t);
    let here = i as i32;
    if abs >= -here && abs < E8_FILE_SIZE {
        let rel = if abs >= 0 {
            abs - here
        } else {
            abs + E8_FILE_SIZE
        };
        data[i + 1..i + 5].copy_from_slice(&rel.to_le_bytes());
    }
}

// ---- Chunk decoding -----------------------------------------------------------

impl Decompressor for LzxDecompressor {
    fn decompress(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), DecompressError> {
        if output.len() > self.window {
            return Err(err::CHUNK_TOO_LARGE);
        }
        // A WIM stores a chunk raw unless compressing made it smaller, so a
        // real compressed chunk is always shorter than the window.
        if input.len() > self.window {
            return Err(err::INPUT_TOO_LARGE);
        }
        let n = self.num_main_syms;
        let t = &mut *self.t;
        t.main_lens[..n].fill(0);
        t.len_lens[..LEN_SYMS].fill(0);
        let mut reps = [1u32; 3];
        let words = input.len() & !1;
        self.stream[..STREAM_PAD].fill(0);
        mirror_words(
            &input[..words],
            &mut self.stream[STREAM_PAD..STREAM_PAD + words],
        );
        let mut bits = Bits::new(&self.stream[..words + STREAM_PAD]);
        // An E8 byte can only enter the output as a literal or inside an
        // uncompressed block; if neither happens the E8 pass can be skipped.
        let mut may_have_e8 = false;
        let mut pos = 0;

        while pos < output.len() {
            bits.refill();
            let block_type = bits.read(3);
            if !(BLOCK_VERBATIM..=BLOCK_UNCOMPRESSED).contains(&block_type) {
                return Err(err::BAD_BLOCK_TYPE);
            }
            let size = if bits.read(1) == 1 {
                DEFAULT_BLOCK_SIZE
            } else {
                let mut s = bits.read(16) as usize;
                if self.long_block_sizes {
                    s = (s << 8) | bits.read(8) as usize;
                }
                s
            };
            if size > output.len() - pos {
                return Err(err::BLOCK_TOO_LONG);
            }
            let end = pos + size;
            if block_type == BLOCK_UNCOMPRESSED {
                // The header is padded to the next 16-bit boundary with 1 to
                // 16 bits: a full word when already aligned.
                let start = (bits.bit_position() / 16 + 1) * 2;
                let r = input
                    .get(start..)
                    .and_then(|d| d.first_chunk::<12>())
                    .ok_or(err::TRUNCATED_STORED)?;
                for (rep, w) in reps.iter_mut().zip(r.chunks_exact(4)) {
                    if let Some(&b) = w.first_chunk::<4>() {
                        *rep = u32::from_le_bytes(b);
                    }
                }
                if reps.contains(&0) {
                    return Err(err::ZERO_REPEAT_OFFSET);
                }
                let data_start = start + 12;
                let data = input
                    .get(data_start..data_start + size)
                    .ok_or(err::TRUNCATED_STORED)?;
                output[pos..end].copy_from_slice(data);
                // An odd-sized block is followed by one pad byte, which may be
                // missing at the end of the chunk.
                bits.restart_at(data_start + size + (size & 1));
                may_have_e8 = true;
            } else {
                let aligned = block_type == BLOCK_ALIGNED;
                t.read_block_codes(&mut bits, aligned, n)?;
                may_have_e8 |= t.main_lens[0xE8] != 0;
                if aligned {
                    t.decode_block::<true>(&mut bits, output, pos, end, &mut reps)?;
                } else {
                    t.decode_block::<false>(&mut bits, output, pos, end, &mut reps)?;
                }
            }
            pos = end;
        }
        if may_have_e8 {
            undo_e8(output);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The tests carry a small LZX encoder of their own (greedy matching,
    //! Huffman codes from symbol counts, every block type) so that they need
    //! no external files; real wimlib-made WIMs were checked separately.
    use super::*;

    /// Fixed-seed xorshift, so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// MSB-first writer of 16-bit little-endian words, with raw bytes
    /// allowed at word boundaries (for uncompressed blocks).
    #[derive(Default)]
    struct BitWriter {
        out: Vec<u8>,
        cur: u32,
        n: u32,
    }
    impl BitWriter {
        fn put(&mut self, v: u32, n: u32) {
            for i in (0..n).rev() {
                self.cur = (self.cur << 1) | ((v >> i) & 1);
                self.n += 1;
                if self.n == 16 {
                    self.out.extend_from_slice(&(self.cur as u16).to_le_bytes());
                    self.cur = 0;
                    self.n = 0;
                }
            }
        }
        /// Pads to a word boundary with 1..=16 zero bits, as an
        /// uncompressed block header requires.
        fn align_1_to_16(&mut self) {
            let pad = 16 - self.n;
            self.put(0, pad);
        }
        fn finish(mut self) -> Vec<u8> {
            if self.n > 0 {
                self.put(0, 16 - self.n);
            }
            self.out
        }
    }

    /// Canonical codewords for the given lengths.
    fn canonical_codes(lens: &[u8]) -> Vec<u32> {
        let mut count = [0u32; 17];
        for &l in lens {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut next = [0u32; 18];
        for l in 1..=16 {
            next[l] = (next[l - 1] + count[l - 1]) << 1;
        }
        lens.iter()
            .map(|&l| {
                let c = next[l as usize];
                next[l as usize] += 1;
                c
            })
            .collect()
    }

    /// Huffman code lengths (at most `max`) for the given symbol counts; every
    /// symbol with a nonzero count gets a codeword. At least two symbols are
    /// always given one, so the code is complete.
    fn huffman_lens(freq: &[u32], max: u8) -> Vec<u8> {
        let mut f: Vec<u64> = freq.iter().map(|&x| x as u64).collect();
        let mut used = f.iter().filter(|&&x| x > 0).count();
        for x in f.iter_mut() {
            if used < 2 && *x == 0 {
                *x = 1;
                used += 1;
            }
        }
        loop {
            // Merge the two lightest nodes until one is left; depths = lengths.
            let mut nodes: Vec<(u64, Vec<usize>)> = f
                .iter()
                .enumerate()
                .filter(|(_, &x)| x > 0)
                .map(|(s, &x)| (x, vec![s]))
                .collect();
            let mut lens = vec![0u8; f.len()];
            while nodes.len() > 1 {
                nodes.sort_by_key(|n| std::cmp::Reverse(n.0));
                let a = nodes.pop().unwrap();
                let b = nodes.pop().unwrap();
                for &s in a.1.iter().chain(b.1.iter()) {
                    lens[s] += 1;
                }
                nodes.push((a.0 + b.0, [a.1, b.1].concat()));
            }
            if lens.iter().all(|&l| l <= max) {
                return lens;
            }
            for x in f.iter_mut() {
                if *x > 0 {
                    *x = x.div_ceil(2);
                }
            }
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Tok {
        Lit(u8),
        Match { len: usize, offset: usize },
    }

    /// Greedy LZ parse of `data[start..end]`, preferring repeat offsets;
    /// matches never cross `end`.
    fn parse(
        data: &[u8],
        start: usize,
        end: usize,
        reps: &mut [usize; 3],
        rng: &mut Rng,
    ) -> Vec<Tok> {
        let mut toks = Vec::new();
        let mut i = start;
        while i < end {
            let max = (end - i).min(257);
            let mlen = |o: usize| {
                (0..max)
                    .take_while(|&k| data[i + k] == data[i + k - o])
                    .count()
            };
            let mut best = (0, 0);
            for &o in reps.iter() {
                if o <= i {
                    let l = mlen(o);
                    if l >= 2 && l > best.0 {
                        best = (l, o);
                    }
                }
            }
            if best.0 < 4 {
                // Try some nearby and some far offsets.
                for _ in 0..24 {
                    let o = 1 + if rng.below(2) == 0 {
                        rng.below(64)
                    } else {
                        rng.below(i.max(1))
                    };
                    if o <= i {
                        let l = mlen(o);
                        if l >= 3 && l > best.0 {
                            best = (l, o);
                        }
                    }
                }
            }
            if best.0 >= 2 {
                let (len, offset) = best;
                // Same queue update as the decoder.
                if let Some(k) = reps.iter().position(|&r| r == offset) {
                    reps.swap(0, k);
                } else {
                    *reps = [offset, reps[0], reps[1]];
                }
                toks.push(Tok::Match { len, offset });
                i += len;
            } else {
                toks.push(Tok::Lit(data[i]));
                i += 1;
            }
        }
        toks
    }

    /// Writes `lens` as differences from `prev` with a pretree. Uses runs of
    /// zeros (17, 18) and of equal lengths (19) when they fit.
    fn write_lens(w: &mut BitWriter, prev: &[u8], lens: &[u8]) {
        // Choose the pretree symbols first: each op is one or two
        // (symbol, extra bits value, extra bit count).
        let mut i = 0;
        let mut ops: Vec<Vec<(usize, u32, u32)>> = Vec::new();
        while i < lens.len() {
            let mut run = 1;
            while i + run < lens.len() && lens[i + run] == lens[i] {
                run += 1;
            }
            let delta = |k: usize| (prev[k] as usize + 17 - lens[k] as usize) % 17;
            if lens[i] == 0 && run >= 20 {
                let r = run.min(51);
                ops.push(vec![(18, (r - 20) as u32, 5)]);
                i += r;
            } else if lens[i] == 0 && run >= 4 {
                let r = run.min(19);
                ops.push(vec![(17, (r - 4) as u32, 4)]);
                i += r;
            } else if run >= 4 && (i..i + 4).all(|k| prev[k] == prev[i]) {
                let r = if run >= 5 && prev[i + 4] == prev[i] {
                    5
                } else {
                    4
                };
                ops.push(vec![(19, (r - 4) as u32, 1), (delta(i), 0, 0)]);
                i += r;
            } else {
                ops.push(vec![(delta(i), 0, 0)]);
                i += 1;
            }
        }
        let mut freq = [0u32; PRE_SYMS];
        for op in &ops {
            for &(s, _, _) in op {
                freq[s] += 1;
            }
        }
        let pre_lens = huffman_lens(&freq, 15);
        let codes = canonical_codes(&pre_lens);
        for &l in &pre_lens {
            w.put(l as u32, 4);
        }
        for op in ops {
            for (s, extra, nbits) in op {
                w.put(codes[s], pre_lens[s] as u32);
                w.put(extra, nbits);
            }
        }
    }

    fn slot_of(formatted: usize) -> usize {
        (0..MAX_SLOTS)
            .rev()
            .find(|&s| SLOT_BASE[s] as usize <= formatted)
            .unwrap()
    }

    /// Forward E8 translation, as an encoder applies it before compressing.
    fn e8_forward(data: &mut [u8]) {
        if data.len() <= E8_TAIL {
            return;
        }
        let mut i = 0;
        while i < data.len() - E8_TAIL {
            if data[i] == 0xE8 {
                let rel = i32::from_le_bytes(data[i + 1..i + 5].try_into().unwrap());
                let here = i as i32;
                if rel >= -here && rel < E8_FILE_SIZE {
                    let abs = if rel < E8_FILE_SIZE - here {
                        rel + here
                    } else {
                        rel - E8_FILE_SIZE
                    };
                    data[i + 1..i + 5].copy_from_slice(&abs.to_le_bytes());
                }
                i += 5;
            } else {
                i += 1;
            }
        }
    }

    /// Compresses `data` as one chunk for a window of `window` bytes, with
    /// blocks of the given types (1, 2, 3) and sizes. `full_alphabet` gives
    /// every main and length symbol a codeword (long codes, subtables).
    fn compress(
        data: &[u8],
        window: usize,
        blocks: &[(u32, usize)],
        full_alphabet: bool,
        seed: u64,
    ) -> Vec<u8> {
        compress_with(data, window, blocks, full_alphabet, seed, None)
    }

    /// `compress`, but with the tokens of the (single compressed) block
    /// given instead of found: for writing invalid matches.
    fn compress_with(
        data: &[u8],
        window: usize,
        blocks: &[(u32, usize)],
        full_alphabet: bool,
        seed: u64,
        forced: Option<&[Tok]>,
    ) -> Vec<u8> {
        let mut rng = Rng(seed | 1);
        let mut pre = data.to_vec();
        e8_forward(&mut pre);
        let long_sizes = window >= 1 << 16;
        let n_main = LzxDecompressor::new(window as u32).unwrap().num_main_syms;
        let mut w = BitWriter::default();
        let mut reps = [1usize; 3];
        let mut prev_main = vec![0u8; n_main];
        let mut prev_len = vec![0u8; LEN_SYMS];
        let mut pos = 0;
        for &(btype, size) in blocks {
            w.put(btype, 3);
            if size == DEFAULT_BLOCK_SIZE {
                w.put(1, 1);
            } else {
                w.put(0, 1);
                if long_sizes {
                    w.put((size >> 8) as u32, 16);
                    w.put((size & 0xFF) as u32, 8);
                } else {
                    w.put(size as u32, 16);
                }
            }
            if btype == BLOCK_UNCOMPRESSED {
                w.align_1_to_16();
                for r in reps {
                    w.out.extend_from_slice(&(r as u32).to_le_bytes());
                }
                w.out.extend_from_slice(&pre[pos..pos + size]);
                if size & 1 == 1 {
                    w.out.push(0);
                }
                pos += size;
                continue;
            }
            let aligned = btype == BLOCK_ALIGNED;
            let start_reps = reps;
            let toks = match forced {
                Some(t) => t.to_vec(),
                None => parse(&pre, pos, pos + size, &mut reps, &mut rng),
            };
            // Symbol statistics, replaying the repeat-offset queue.
            let mut r = start_reps;
            let mut syms = Vec::new(); // (main, len sym, slot, extra)
            for &t in &toks {
                match t {
                    Tok::Lit(b) => syms.push((b as usize, None, 0, 0)),
                    Tok::Match { len, offset } => {
                        let (slot, extra) = if let Some(k) = r.iter().position(|&x| x == offset) {
                            r.swap(0, k);
                            (k, 0)
                        } else {
                            r = [offset, r[0], r[1]];
                            let f = offset + 2;
                            let s = slot_of(f);
                            (s, f - SLOT_BASE[s] as usize)
                        };
                        let hdr = (len - MIN_MATCH).min(NUM_PRIMARY_LENS);
                        let lsym =
                            (hdr == NUM_PRIMARY_LENS).then(|| len - MIN_MATCH - NUM_PRIMARY_LENS);
                        syms.push((NUM_CHARS + slot * NUM_LEN_HEADERS + hdr, lsym, slot, extra));
                    }
                }
            }
            let mut mf = vec![full_alphabet as u32; n_main];
            let mut lf = vec![full_alphabet as u32; LEN_SYMS];
            let mut af = [0u32; ALIGNED_SYMS];
            for &(m, l, slot, extra) in &syms {
                mf[m] += 1 + if full_alphabet { m as u32 * 7 } else { 0 };
                if let Some(l) = l {
                    lf[l] += 1;
                }
                if slot >= 3 && SLOT_EXTRA_BITS[slot] >= 3 {
                    af[extra & 7] += 1;
                }
            }
            let main_lens = huffman_lens(&mf, 16);
            let len_lens = if lf.iter().all(|&x| x == 0) {
                vec![0; LEN_SYMS]
            } else {
                huffman_lens(&lf, 16)
            };
            let al_lens = huffman_lens(&af, 7);
            if aligned {
                for &l in &al_lens {
                    w.put(l as u32, 3);
                }
            }
            write_lens(&mut w, &prev_main[..NUM_CHARS], &main_lens[..NUM_CHARS]);
            write_lens(&mut w, &prev_main[NUM_CHARS..], &main_lens[NUM_CHARS..]);
            write_lens(&mut w, &prev_len, &len_lens);
            let (mc, lc, ac) = (
                canonical_codes(&main_lens),
                canonical_codes(&len_lens),
                canonical_codes(&al_lens),
            );
            for &(m, l, slot, extra) in &syms {
                w.put(mc[m], main_lens[m] as u32);
                if let Some(l) = l {
                    w.put(lc[l], len_lens[l] as u32);
                }
                if slot >= 3 {
                    let eb = SLOT_EXTRA_BITS[slot] as u32;
                    if aligned && eb >= 3 {
                        w.put((extra >> 3) as u32, eb - 3);
                        w.put(ac[extra & 7], al_lens[extra & 7] as u32);
                    } else {
                        w.put(extra as u32, eb);
                    }
                }
            }
            prev_main = main_lens;
            prev_len = len_lens;
            pos += size;
        }
        assert_eq!(pos, data.len());
        w.finish()
    }

    /// Test data mixing text, runs, short periods, random bytes and x86-like
    /// CALL instructions.
    fn sample(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng(seed | 1);
        let mut d = Vec::with_capacity(len);
        let words: [&[u8]; 6] = [
            b"the ",
            b"quick ",
            b"brown ",
            b"fox ",
            b"jumps\n",
            b"\xE8\x10\x00\x00\x00",
        ];
        while d.len() < len {
            match rng.below(6) {
                0 => d.extend_from_slice(words[rng.below(words.len())]),
                1 => {
                    let b = rng.next() as u8;
                    d.extend(std::iter::repeat_n(b, rng.below(300)));
                }
                2 => {
                    let p: Vec<u8> = (0..1 + rng.below(7)).map(|_| rng.next() as u8).collect();
                    for k in 0..rng.below(100) {
                        d.push(p[k % p.len()]);
                    }
                }
                3 => d.extend((0..rng.below(50)).map(|_| rng.next() as u8)),
                4 => {
                    d.push(0xE8);
                    d.extend_from_slice(&(rng.next() as i32 % 100_000).to_le_bytes());
                }
                _ => {
                    if d.len() > 10 {
                        let s = rng.below(d.len() - 5);
                        let n = rng.below(d.len() - s).min(400);
                        d.extend_from_within(s..s + n);
                    }
                }
            }
        }
        d.truncate(len);
        d
    }

    fn roundtrip(window: usize, len: usize, blocks: &[(u32, usize)], full: bool, seed: u64) {
        let data = sample(len, seed);
        let comp = compress(&data, window, blocks, full, seed);
        let mut d = LzxDecompressor::new(window as u32).unwrap();
        let mut out = vec![0u8; len];
        if comp.len() > window {
            // A WIM would store this chunk raw.
            assert_eq!(d.decompress(&comp, &mut out), Err(err::INPUT_TOO_LARGE));
            return;
        }
        d.decompress(&comp, &mut out).unwrap();
        assert!(
            out == data,
            "window {window} len {len} blocks {blocks:?} full {full}"
        );
    }

    /// Splits `len` into blocks of rotating types.
    fn blocks_for(len: usize, rng: &mut Rng) -> Vec<(u32, usize)> {
        let mut v = Vec::new();
        let mut left = len;
        while left > 0 {
            let s = if left >= DEFAULT_BLOCK_SIZE && rng.below(2) == 0 {
                DEFAULT_BLOCK_SIZE
            } else {
                (1 + rng.below(left)).min(left)
            };
            v.push((1 + rng.below(3) as u32, s));
            left -= s;
        }
        v
    }

    /// The bit reader's copy: words in reverse order, bytes within each
    /// kept, for every count of words around the four-word step.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn mirror_words_reverses_the_words() {
        for words in 0..20usize {
            let src: Vec<u8> = (0..2 * words).map(|i| (i * 7 + 1) as u8).collect();
            let mut dst = vec![0u8; src.len()];
            mirror_words(&src, &mut dst);
            let want: Vec<u8> = src.chunks_exact(2).rev().flatten().copied().collect();
            assert_eq!(dst, want, "{words} words");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn window_sizes() {
        for bad in [0, 1, 4096, 16384, 32767, 32769, 49152, 1 << 22, u32::MAX] {
            assert!(LzxDecompressor::new(bad).is_none(), "{bad}");
        }
        let slots = [30, 32, 34, 36, 38, 42, 50];
        for (k, s) in (15..=21).zip(slots) {
            let d = LzxDecompressor::new(1 << k).unwrap();
            assert_eq!(d.num_main_syms, 256 + 8 * s, "window 2^{k}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn slot_tables() {
        assert_eq!(&SLOT_BASE[..10], &[0, 1, 2, 3, 4, 6, 8, 12, 16, 24]);
        assert_eq!(SLOT_BASE[30], 32768);
        assert_eq!(SLOT_BASE[36], 262144);
        assert_eq!(SLOT_BASE[49], 1966080);
        assert_eq!(&SLOT_EXTRA_BITS[..8], &[0, 0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(SLOT_EXTRA_BITS[35], 16);
        assert_eq!(SLOT_EXTRA_BITS[36..], [17; 14]);
    }

    /// A stored block built by hand, bit by bit, including E8 translation
    /// and the tail where it stops.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn handmade_uncompressed_block() {
        let mut w = BitWriter::default();
        w.put(BLOCK_UNCOMPRESSED, 3);
        w.put(0, 1);
        w.put(26, 16);
        w.align_1_to_16(); // 20 bits used: 12 bits of padding
        for r in [1u32, 2, 3] {
            w.out.extend_from_slice(&r.to_le_bytes());
        }
        let mut body = Vec::new();
        body.extend_from_slice(b"ab\xE8\x64\x00\x00\x00"); // at 2: absolute 100 -> relative 98
        body.extend_from_slice(b"\xE8\xFD\xFF\xFF\xFF"); // at 7: -3 -> -3 + 12,000,000
        body.extend_from_slice(b"\xE8\x00\x00\x00\x80"); // at 12: out of range, unchanged
        body.extend_from_slice(b"xyz\xE8\x05\x00\x00\x00"); // at 20: last 10 bytes, unchanged
        body.push(b'!');
        assert_eq!(body.len(), 26);
        w.out.extend_from_slice(&body);
        let input = w.finish();
        assert_eq!(input.len(), 4 + 12 + 26);

        let mut d = LzxDecompressor::new(1 << 15).unwrap();
        let mut out = vec![0u8; 26];
        d.decompress(&input, &mut out).unwrap();
        let mut want = body.clone();
        want[3..7].copy_from_slice(&98i32.to_le_bytes());
        want[8..12].copy_from_slice(&(E8_FILE_SIZE - 3).to_le_bytes());
        assert_eq!(out, want);

        // One byte short of the stored data.
        assert_eq!(
            d.decompress(&input[..input.len() - 1], &mut out),
            Err(err::TRUNCATED_STORED)
        );
        // A zero repeat offset.
        let mut z = input.clone();
        z[4..8].fill(0);
        assert_eq!(d.decompress(&z, &mut out), Err(err::ZERO_REPEAT_OFFSET));
    }

    /// Uncompressed blocks after compressed ones, which leave the bitstream
    /// at every possible bit offset (including exactly on a word boundary,
    /// where a whole padding word follows).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn uncompressed_after_compressed_blocks() {
        let mut rng = Rng(99);
        for _ in 0..40 {
            let len = 1 + rng.below(5000);
            let mut blocks = Vec::new();
            let mut left = len;
            while left > 0 {
                let s = (1 + rng.below(700)).min(left);
                blocks.push((
                    if blocks.len() % 2 == 0 {
                        1 + rng.below(2) as u32
                    } else {
                        3
                    },
                    s,
                ));
                left -= s;
            }
            let window = 1 << (15 + rng.below(7));
            roundtrip(window, len, &blocks, rng.below(2) == 0, rng.next());
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn roundtrip_all_windows_and_block_types() {
        let mut rng = Rng(7);
        for k in 15..=21 {
            let window = 1usize << k;
            for &len in &[1usize, 2, 10, 11, 100, 4097, 32768, 40000, 70001] {
                if len > window {
                    continue;
                }
                for full in [false, true] {
                    let blocks = blocks_for(len, &mut rng);
                    roundtrip(window, len, &blocks, full, rng.next());
                }
            }
        }
        // A whole large window, with matches reaching far back.
        let mut blocks = Vec::new();
        for i in 0..64 {
            blocks.push((1 + (i % 2), DEFAULT_BLOCK_SIZE));
        }
        roundtrip(1 << 21, 1 << 21, &blocks, false, 5);
    }

    /// Decoding one chunk must not depend on the chunk before it.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn chunks_are_independent() {
        let a = sample(20000, 1);
        let b = sample(9000, 2);
        let ca = compress(&a, 1 << 15, &[(2, 20000)], true, 1);
        let cb = compress(&b, 1 << 15, &[(1, 4000), (1, 5000)], false, 2);
        let mut d = LzxDecompressor::new(1 << 15).unwrap();
        let mut oa = vec![0; a.len()];
        let mut ob = vec![0; b.len()];
        d.decompress(&ca, &mut oa).unwrap();
        d.decompress(&cb, &mut ob).unwrap();
        assert!(oa == a && ob == b);
        let _ = d.decompress(&ca[..ca.len() / 2], &mut oa); // leave state dirty
        d.decompress(&cb, &mut ob).unwrap();
        assert!(ob == b);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn invalid_streams() {
        let mut d = LzxDecompressor::new(1 << 15).unwrap();
        let mut out = vec![0u8; 100];
        // Block types 0 and 4..=7.
        for t in [0u32, 4, 5, 6, 7] {
            let mut w = BitWriter::default();
            w.put(t, 3);
            w.put(1, 1);
            assert_eq!(
                d.decompress(&w.finish(), &mut out),
                Err(err::BAD_BLOCK_TYPE)
            );
        }
        // Empty input reads as zero bits: block type 0.
        assert_eq!(d.decompress(&[], &mut out), Err(err::BAD_BLOCK_TYPE));
        // Default block size (32768) exceeds the 100-byte chunk.
        let mut w = BitWriter::default();
        w.put(1, 3);
        w.put(1, 1);
        assert_eq!(
            d.decompress(&w.finish(), &mut out),
            Err(err::BLOCK_TOO_LONG)
        );
        // Chunk larger than the window.
        let mut big = vec![0u8; (1 << 15) + 1];
        assert_eq!(d.decompress(&[0; 16], &mut big), Err(err::CHUNK_TOO_LARGE));
        // An over-full pretree (all twenty lengths 1).
        let mut w = BitWriter::default();
        w.put(1, 3);
        w.put(0, 1);
        w.put(100, 16);
        for _ in 0..PRE_SYMS {
            w.put(1, 4);
        }
        assert_eq!(d.decompress(&w.finish(), &mut out), Err(err::BAD_CODE));
        // An incomplete (but not empty) aligned code.
        let mut w = BitWriter::default();
        w.put(2, 3);
        w.put(0, 1);
        w.put(100, 16);
        w.put(1, 3);
        for _ in 1..ALIGNED_SYMS {
            w.put(0, 3);
        }
        assert_eq!(d.decompress(&w.finish(), &mut out), Err(err::BAD_CODE));
        // Empty output needs no input at all.
        assert_eq!(d.decompress(&[], &mut []), Ok(()));
    }

    /// Matches that reach before the chunk or past their block.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn invalid_matches() {
        let mut d = LzxDecompressor::new(1 << 15).unwrap();
        let too_far = [Tok::Lit(b'a'), Tok::Match { len: 2, offset: 5 }];
        let comp = compress_with(b"abc", 1 << 15, &[(1, 3)], false, 1, Some(&too_far));
        assert_eq!(d.decompress(&comp, &mut [0; 3]), Err(err::OFFSET_TOO_FAR));
        let too_long = [
            Tok::Lit(b'a'),
            Tok::Lit(b'b'),
            Tok::Match { len: 3, offset: 1 },
        ];
        let comp = compress_with(b"abcd", 1 << 15, &[(2, 4)], false, 1, Some(&too_long));
        assert_eq!(d.decompress(&comp, &mut [0; 4]), Err(err::MATCH_TOO_LONG));
        // The same match one byte shorter is fine.
        let ok = [
            Tok::Lit(b'a'),
            Tok::Lit(b'b'),
            Tok::Match { len: 2, offset: 1 },
        ];
        let comp = compress_with(b"abbb", 1 << 15, &[(1, 4)], false, 1, Some(&ok));
        let mut out = [0; 4];
        d.decompress(&comp, &mut out).unwrap();
        assert_eq!(&out, b"abbb");
    }

    /// The E8 scan's byte masks, SIMD and portable, against a plain loop.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn e8_masks() {
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let mut block = [0u8; 32];
            for b in block.iter_mut() {
                *b = match rng.below(4) {
                    0 => 0xE8,
                    1 => 0xE9,
                    2 => 0x68,
                    _ => rng.next() as u8,
                };
            }
            let want = block
                .iter()
                .enumerate()
                .fold(0u32, |m, (k, &b)| m | ((b == 0xE8) as u32) << k);
            assert_eq!(e8_mask32(&block), want);
            assert_eq!(e8_mask32_portable(&block), want);
        }
    }

    /// E8 translation against a straightforward byte-at-a-time version.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn e8_translation_matches_reference() {
        fn reference(data: &mut [u8]) {
            let mut i = 0;
            while i + E8_TAIL < data.len() {
                if data[i] == 0xE8 {
                    translate_e8_target(data, i);
                    i += 5;
                } else {
                    i += 1;
                }
            }
        }
        let mut rng = Rng(7);
        for round in 0..300 {
            let len = rng.below(3000);
            let mut data: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(8) == 0 {
                        0xE8
                    } else {
                        (rng.next() % (1 + round as u64)) as u8
                    }
                })
                .collect();
            let mut want = data.clone();
            reference(&mut want);
            undo_e8(&mut data);
            assert!(data == want, "len {len}");
        }
    }

    /// Random and mutated inputs must never panic, whatever they decode to.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fuzz_never_panics() {
        let mut rng = Rng(0x5eed);
        let mut valid = Vec::new();
        for (i, k) in [15usize, 16, 17, 21].into_iter().enumerate() {
            let len = [5000, 30000, 1000, 3000][i];
            let data = sample(len, i as u64 + 10);
            let blocks = blocks_for(len, &mut rng);
            valid.push((
                1usize << k,
                len,
                compress(&data, 1 << k, &blocks, i % 2 == 0, 3),
            ));
        }
        let mut decs: Vec<LzxDecompressor> = [15, 16, 17, 21]
            .iter()
            .map(|&k| LzxDecompressor::new(1 << k).unwrap())
            .collect();
        let mut out = vec![0u8; 1 << 21];
        for round in 0..4000 {
            let which = rng.below(valid.len());
            let (window, len, ref base) = valid[which];
            let mut input = if round % 4 == 0 {
                (0..rng.below(3000))
                    .map(|_| rng.next() as u8)
                    .collect::<Vec<u8>>()
            } else {
                base.clone()
            };
            if round % 4 != 0 {
                match rng.below(4) {
                    0 => {
                        for _ in 0..1 + rng.below(8) {
                            let p = rng.below(input.len());
                            input[p] ^= 1 << rng.below(8);
                        }
                    }
                    1 => input.truncate(rng.below(input.len() + 1)),
                    2 => {
                        let p = rng.below(input.len());
                        input[p] = rng.next() as u8;
                    }
                    _ => {
                        let p = rng.below(input.len());
                        let q = rng.below(input.len());
                        input.swap(p, q);
                    }
                }
            }
            let out_len = if rng.below(2) == 0 {
                len
            } else {
                rng.below(window + 1)
            };
            let _ = decs[which].decompress(&input, &mut out[..out_len]);
        }
    }
}
