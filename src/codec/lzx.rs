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
//! Performance notes: the bit reader keeps up to 64 bits in a register and
//! refills in whole 16-bit words without branches; Huffman decoding is a
//! single table lookup for all but rare long codewords; matches are copied
//! eight bytes at a time when the source is at least eight bytes back; the
//! E8 pass scans eight bytes per step and is skipped when the chunk cannot
//! contain an E8 byte.

use super::{DecompressError, Decompressor};

// ---- Format constants ([MS-PATCH] 2.1–2.2) -------------------------------

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
// An entry is a u32. For a symbol: bits 16.. = symbol, bits 0..5 = number of
// bits to consume. For a pointer to a second-level table (codewords longer
// than the first-level index): bit 15 set, bits 16.. = start of the
// subtable, bits 8..13 = subtable index width, bits 0..5 = first-level width.

const SUBTABLE: u32 = 1 << 15;

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
        })
    }
}

// ---- Bit reader -------------------------------------------------------------

/// MSB-first reader over 16-bit little-endian words. `buf` holds the next
/// `count` bits of the stream left-aligned; bits below them may already hold
/// the start of the next word (they are the same bits a later refill ORs in,
/// so refills need no masking).
struct Bits<'a> {
    input: &'a [u8],
    /// Bytes of whole words loaded so far; may pass the end of the input,
    /// where the stream reads as zeros.
    pos: usize,
    buf: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8]) -> Self {
        Bits {
            input,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Tops the buffer up to at least 49 bits (up to 64), in whole words.
    /// 49 bits cover a main symbol, a length symbol and 17 offset bits.
    #[inline(always)]
    fn refill(&mut self) {
        let w = match self.input.get(self.pos..self.pos + 8) {
            Some(b) => {
                // Four words, first word in the top 16 bits.
                let v = u64::from_le_bytes(b.try_into().unwrap());
                let v = v.rotate_left(32);
                ((v & 0x0000_FFFF_0000_FFFF) << 16) | ((v >> 16) & 0x0000_FFFF_0000_FFFF)
            }
            None => self.tail_words(),
        };
        self.buf |= w.checked_shr(self.count).unwrap_or(0);
        let words = (64 - self.count) >> 4;
        self.pos += 2 * words as usize;
        self.count += 16 * words;
    }

    /// The next four words near the end of the input: whole words only,
    /// zeros past the end (as wimlib reads it).
    #[cold]
    fn tail_words(&self) -> u64 {
        let mut w = 0u64;
        for i in 0..4 {
            let p = self.pos + 2 * i;
            if let Some(b) = self.input.get(p..p + 2) {
                w |= (u16::from_le_bytes([b[0], b[1]]) as u64) << (48 - 16 * i);
            }
        }
        w
    }

    /// Next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count);
        self.buf <<= n;
        self.count -= n;
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
    fn decode(&mut self, table: &[u32], tb: u32) -> usize {
        let mut e = table[(self.buf >> (64 - tb)) as usize];
        if e & SUBTABLE != 0 {
            self.consume(tb);
            let sub_bits = (e >> 8) & 31;
            let idx = (e >> 16) as usize + (self.buf >> (64 - sub_bits)) as usize;
            e = table[idx];
        }
        self.consume(e & 31);
        (e >> 16) as usize
    }

    /// Bits consumed from the start of the input.
    fn bit_position(&self) -> usize {
        self.pos * 8 - self.count as usize
    }

    /// Continues reading at byte `pos`, which must be word-aligned.
    fn restart_at(&mut self, pos: usize) {
        self.pos = pos;
        self.buf = 0;
        self.count = 0;
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
    let mut count = [0u16; MAX_CODEWORD_LEN as usize + 1];
    for &l in lens {
        count[l as usize] += 1;
    }
    // Kraft sum, in units of 2^-16.
    let mut left: i32 = 1;
    for &c in &count[1..] {
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

    // Sort symbols by (length, symbol): canonical codeword order.
    let mut offs = [0u16; MAX_CODEWORD_LEN as usize + 2];
    for l in 1..=MAX_CODEWORD_LEN as usize {
        offs[l + 1] = offs[l] + count[l];
    }
    for (sym, &l) in lens.iter().enumerate() {
        if l != 0 {
            sorted[offs[l as usize] as usize] = sym as u16;
            offs[l as usize] += 1;
        }
    }
    let n_used = offs[MAX_CODEWORD_LEN as usize] as usize;
    let sorted = &sorted[..n_used];

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
        table[fill..fill + n].fill(((sorted[i] as u32) << 16) | l);
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
            table[fill] = ((sub_start as u32) << 16) | SUBTABLE | (sub_bits << 8) | tb;
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
    pre_table: &mut [u32],
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

    let mut i = 0;
    while i < num {
        bits.refill();
        let presym = bits.decode(pre_table, PRE_TB);
        // New length = (old - delta) mod 17.
        let delta_len = |old: u8, d: usize| ((old as usize + 17 - d) % 17) as u8;
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

impl LzxDecompressor {
    /// Reads the aligned (if `aligned`), main and length codes of a block
    /// and builds their tables.
    fn read_block_codes(&mut self, bits: &mut Bits, aligned: bool) -> Result<(), DecompressError> {
        let t = &mut *self.t;
        if aligned {
            bits.refill();
            for l in t.aligned_lens.iter_mut() {
                *l = bits.read(3) as u8;
            }
            build_table(&mut t.aligned, ALIGNED_TB, &t.aligned_lens, &mut t.sorted)?;
        }
        let n = self.num_main_syms;
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

    /// Decodes a verbatim or aligned block into `out[start..end]`.
    #[inline(always)]
    fn decode_block<const ALIGNED: bool>(
        &self,
        bits: &mut Bits,
        out: &mut [u8],
        start: usize,
        end: usize,
        reps: &mut [u32; 3],
    ) -> Result<(), DecompressError> {
        let t = &*self.t;
        let main = &t.main;
        let lens = &t.len;
        let aligned = &t.aligned;
        let mut pos = start;
        let [mut r0, mut r1, mut r2] = *reps;
        while pos < end {
            bits.refill();
            let sym = bits.decode(main, MAIN_TB);
            if sym < NUM_CHARS {
                out[pos] = sym as u8;
                pos += 1;
                continue;
            }
            let m = sym - NUM_CHARS;
            let mut len = m % NUM_LEN_HEADERS;
            let slot = m / NUM_LEN_HEADERS;
            if len == NUM_PRIMARY_LENS {
                len += bits.decode(lens, LEN_TB);
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
                    hi + bits.decode(aligned, ALIGNED_TB) as u32
                } else {
                    bits.read(extra)
                };
                offset = base + o - 2;
                r2 = r1;
                r1 = r0;
                r0 = offset;
            }

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
        *reps = [r0, r1, r2];
        Ok(())
    }
}

/// Copies `len` bytes from `offset` bytes back to `out[pos..]`, where the
/// regions may overlap (offset < len repeats the pattern).
/// The caller guarantees `0 < offset <= pos` and `pos + len <= out.len()`.
#[inline(always)]
fn copy_match(out: &mut [u8], pos: usize, offset: usize, len: usize) {
    let src = pos - offset;
    if offset >= 8 && pos + len + 8 <= out.len() {
        // Eight bytes at a time; the last step may write up to 7 bytes past
        // the match, which later output overwrites. Each source word lies
        // entirely before its destination (offset >= 8), so it is final.
        let mut i = 0;
        while i < len {
            let w: [u8; 8] = out[src + i..src + i + 8].try_into().unwrap();
            out[pos + i..pos + i + 8].copy_from_slice(&w);
            i += 8;
        }
    } else if offset == 1 {
        let b = out[src];
        out[pos..pos + len].fill(b);
    } else {
        for i in 0..len {
            out[pos + i] = out[src + i];
        }
    }
}

// ---- E8 translation ---------------------------------------------------------

/// Undoes the encoder's E8 preprocessing: each 0xE8 byte (an x86 CALL) not
/// in the last 10 bytes is followed by a 32-bit target the encoder turned
/// from relative into absolute; turn it back. The four target bytes are
/// skipped whether or not they were translated.
fn undo_e8(data: &mut [u8]) {
    if data.len() <= E8_TAIL {
        return;
    }
    let limit = data.len() - E8_TAIL;
    let mut i = 0;
    while i < limit {
        // Find the next 0xE8 byte, eight bytes at a time. `limit + 10` bytes
        // exist, so an 8-byte read at any i < limit stays in bounds.
        let w = u64::from_le_bytes(data[i..i + 8].try_into().unwrap());
        let x = w ^ 0xE8E8_E8E8_E8E8_E8E8;
        let found = x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080;
        if found == 0 {
            i += 8;
            continue;
        }
        // The lowest flagged byte is a true 0xE8 (higher ones may not be).
        i += (found.trailing_zeros() / 8) as usize;
        if i >= limit {
            break;
        }
        let t: [u8; 4] = data[i + 1..i + 5].try_into().unwrap();
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
        i += 5;
    }
}

// ---- Chunk decoding -----------------------------------------------------------

impl Decompressor for LzxDecompressor {
    fn decompress(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), DecompressError> {
        if output.len() > self.window {
            return Err(err::CHUNK_TOO_LARGE);
        }
        let n = self.num_main_syms;
        self.t.main_lens[..n].fill(0);
        self.t.len_lens[..LEN_SYMS].fill(0);
        let mut reps = [1u32; 3];
        let mut bits = Bits::new(input);
        // An E8 byte can only enter the output as a literal or inside an
        // uncompressed block; if neither happens the E8 pass can be skipped.
        let mut may_have_e8 = false;
        let mut pos = 0;

        while pos < output.len() {
            bits.refill();
            let block_type = bits.read(3);
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
            match block_type {
                BLOCK_VERBATIM => {
                    self.read_block_codes(&mut bits, false)?;
                    may_have_e8 |= self.t.main_lens[0xE8] != 0;
                    self.decode_block::<false>(&mut bits, output, pos, end, &mut reps)?;
                }
                BLOCK_ALIGNED => {
                    self.read_block_codes(&mut bits, true)?;
                    may_have_e8 |= self.t.main_lens[0xE8] != 0;
                    self.decode_block::<true>(&mut bits, output, pos, end, &mut reps)?;
                }
                BLOCK_UNCOMPRESSED => {
                    // The header is padded to the next 16-bit boundary with
                    // 1 to 16 bits: a full word when already aligned.
                    let bit = bits.bit_position();
                    let start = (bit / 16 + 1) * 2;
                    let r = input.get(start..start + 12).ok_or(err::TRUNCATED_STORED)?;
                    for (k, rep) in reps.iter_mut().enumerate() {
                        *rep = u32::from_le_bytes(r[4 * k..4 * k + 4].try_into().unwrap());
                    }
                    if reps.contains(&0) {
                        return Err(err::ZERO_REPEAT_OFFSET);
                    }
                    let data_start = start + 12;
                    let data = input
                        .get(data_start..data_start + size)
                        .ok_or(err::TRUNCATED_STORED)?;
                    output[pos..end].copy_from_slice(data);
                    // An odd-sized block is followed by one pad byte, which
                    // may be missing at the end of the chunk.
                    bits.restart_at(data_start + size + (size & 1));
                    may_have_e8 = true;
                }
                _ => return Err(err::BAD_BLOCK_TYPE),
            }
            pos = end;
        }
        if may_have_e8 {
            undo_e8(output);
        }
        Ok(())
    }
}
