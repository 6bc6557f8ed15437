//! LZMS chunk decoder.
//!
//! This module owns everything needed to turn one LZMS-compressed WIM chunk
//! back into its bytes: the range decoder and its adaptive bit models, the
//! adaptive Huffman codes and their table builder, the match decoding with
//! its repeat-offset queues, and the x86 post-filter. Nothing is shared with
//! the other codecs.
//!
//! # The format, as this decoder reads it
//!
//! Microsoft never published LZMS. It is the "raw" LZMS of the Windows 8
//! compression API (`COMPRESS_ALGORITHM_LZMS | COMPRESS_RAW`); WIM uses it
//! per chunk, every chunk decoded on its own, for chunk sizes up to 1 GiB.
//!
//! * The chunk is a sequence of little-endian 16-bit words, so its length
//!   must be even, and at least 4 bytes (the range decoder starts with two
//!   words). Two streams share it: a range-coded stream read forwards from
//!   the first word, and a Huffman/verbatim bit stream read backwards from
//!   the last word. Within a word, bits go from the most significant down.
//!   Neither stream may fail by running out: past its end it reads zeros,
//!   and the two are allowed to meet in the middle.
//! * The range decoder keeps a 32-bit range (starting at all ones) and a
//!   32-bit code (starting with the first two words). Before a bit is
//!   decoded, a range of 0xFFFF or less is shifted up by 16 and the next
//!   word enters the code. The split point is `(range >> 6) * p`, where
//!   `p / 64` is the probability of a 0.
//! * Every binary decision has its own family of probability entries,
//!   chosen by the last few bits decoded in that family (4 for
//!   literal-or-match, 5 for LZ-or-delta, 6 for the others). An entry
//!   remembers the last 64 bits it decoded; its probability of a 0 is the
//!   number of zeros among them, kept within 1..=63. All entries start
//!   as if they had seen 48 zeros and 16 ones, alternating at the recent end.
//! * An item is a literal, an LZ match, or a delta match. Matches carry a
//!   length and either an explicit offset or a reference to one of three
//!   recent offsets. LZ offsets and delta (power, offset) pairs each keep a
//!   four-entry queue, initially 1, 2, 3, 4 (delta: power 0 with those
//!   offsets). Using a queued entry takes it out, and a new offset enters
//!   the front only when the next match of the same kind is decoded, and
//!   then only after that match's own repeat choice if no other item came
//!   between the two.
//! * Five adaptive Huffman codes read the backward stream: literals (256
//!   symbols, rebuilt every 1024 uses), LZ offset slots and delta offset
//!   slots (as many as the chunk size needs, up to 799, rebuilt every 1024),
//!   length slots (54, every 512) and delta powers (8, every 512). Each
//!   starts with every frequency 1. A rebuild makes the Huffman code that
//!   the textbook two-queue construction gives when frequency ties go to
//!   leaves, assigns lengths in order of (frequency, symbol), makes it
//!   canonical, and then halves the frequencies (`f / 2 + 1`). Codewords
//!   never exceed 15 bits. Offset and length slots are followed by
//!   verbatim bits from the same backward stream.
//! * A delta match with power `k` and offset `o` rebuilds each byte as
//!   `out[i - o*2^k] + out[i - 2^k] - out[i - o*2^k - 2^k]`, byte-wise.
//! * After all items, relative addresses that the compressor made absolute
//!   in likely x86 code (CALL, and RIP-relative LEA/MOV, CALL [rip], LOCK
//!   ADD) are turned back into relative ones by a filter that guesses where
//!   code is from repeated targets within a 64 KiB window.
//!
//! What is WIM-specific: nothing in the bit format. WIM only decides the
//! chunking (a chunk is stored raw when it would not shrink, which the
//! caller handles) and the 1 GiB limit on chunk size.
//!
//! # Sources
//!
//! * wimlib (github.com/ebiggers/wimlib): the header comment of
//!   `src/lzms_decompress.c`, the de facto specification; `src/lzms_common.c`
//!   (slot tables, x86 filter) and `include/wimlib/lzms_constants.h`;
//!   `src/compress_common.c` for the exact Huffman construction that the
//!   adaptive codes must reproduce.
//! * The Go port in ejfkdev/udf, `wim/lzms`, to cross-check the tables.
//!
//! The code here is our own; the checks against real data are described in
//! the tests at the end of this file.

use super::{DecompressError, Decompressor};

/// Largest chunk accepted. wimlib refuses LZMS chunk sizes above 1 GiB, and
/// the x86 filter's positions are 32-bit signed numbers, so this also keeps
/// its arithmetic in range.
pub const MAX_CHUNK_SIZE: u32 = 1 << 30;

const NUM_LITERAL_SYMS: usize = 256;
const NUM_LENGTH_SYMS: usize = 54;
const NUM_POWER_SYMS: usize = 8;
const MAX_OFFSET_SYMS: usize = 799;
const MAX_SYMS: usize = MAX_OFFSET_SYMS;
const MAX_CODEWORD_LEN: usize = 15;

const LITERAL_REBUILD: u32 = 1024;
const OFFSET_REBUILD: u32 = 1024;
const LENGTH_REBUILD: u32 = 512;
const POWER_REBUILD: u32 = 512;

/// Primary-table index widths. They change speed only, not the format.
const LITERAL_TABLE_BITS: u32 = 10;
const OFFSET_TABLE_BITS: u32 = 10;
const LENGTH_TABLE_BITS: u32 = 10;
/// Eight symbols never need more than 7 bits, so this table has no
/// second level.
const POWER_TABLE_BITS: u32 = 7;

/// Table sizes: the primary table plus room for second-level tables. A
/// second-level table of `2^b` entries holds at least `b + 1` codewords and
/// `b <= 5`, so it never needs more than 6 entries per symbol.
const fn table_size(table_bits: u32, num_syms: usize) -> usize {
    (1 << table_bits) + 6 * num_syms
}
const LITERAL_TABLE_SIZE: usize = table_size(LITERAL_TABLE_BITS, NUM_LITERAL_SYMS);
const OFFSET_TABLE_SIZE: usize = table_size(OFFSET_TABLE_BITS, MAX_OFFSET_SYMS);
const LENGTH_TABLE_SIZE: usize = table_size(LENGTH_TABLE_BITS, NUM_LENGTH_SYMS);
const POWER_TABLE_SIZE: usize = table_size(POWER_TABLE_BITS, NUM_POWER_SYMS);

// ---------------------------------------------------------------------------
// Slot tables
//
// Offset and length slots are given as runs of equal extra-bit counts; the
// base of each slot is 1 plus the sizes of all slots before it. The last
// offset slot ends at 0x465BE4A5 and the last length slot at 0x400108AB, the
// format's maximum offset and length plus one (checked by a test).

const OFFSET_EXTRA_RUNS: [(u8, u16); 21] = [
    (0, 8),
    (2, 9),
    (3, 7),
    (4, 10),
    (5, 15),
    (6, 15),
    (7, 20),
    (8, 20),
    (9, 30),
    (10, 33),
    (11, 40),
    (12, 42),
    (13, 45),
    (14, 60),
    (15, 73),
    (16, 80),
    (17, 85),
    (18, 95),
    (19, 105),
    (20, 6),
    (30, 1),
];

const LENGTH_EXTRA_RUNS: [(u8, u16); 13] = [
    (0, 26),
    (1, 4),
    (2, 6),
    (3, 4),
    (4, 5),
    (5, 2),
    (6, 1),
    (7, 1),
    (8, 1),
    (9, 1),
    (10, 1),
    (16, 1),
    (30, 1),
];

/// Expands extra-bit runs into `(base, extra_bits)` per slot, plus the end
/// of the last slot in element `N`.
const fn expand_slots<const N: usize, const M: usize>(runs: &[(u8, u16)]) -> ([u32; M], [u8; N]) {
    let mut base = [0u32; M];
    let mut extra = [0u8; N];
    let mut next = 1u32;
    let mut slot = 0;
    let mut r = 0;
    while r < runs.len() {
        let (bits, count) = runs[r];
        let mut k = 0;
        while k < count {
            base[slot] = next;
            extra[slot] = bits;
            next += 1 << bits;
            slot += 1;
            k += 1;
        }
        r += 1;
    }
    assert!(slot == N && M == N + 1);
    base[N] = next;
    (base, extra)
}

const OFFSET_SLOTS: ([u32; MAX_OFFSET_SYMS + 1], [u8; MAX_OFFSET_SYMS]) =
    expand_slots::<MAX_OFFSET_SYMS, { MAX_OFFSET_SYMS + 1 }>(&OFFSET_EXTRA_RUNS);
const LENGTH_SLOTS: ([u32; NUM_LENGTH_SYMS + 1], [u8; NUM_LENGTH_SYMS]) =
    expand_slots::<NUM_LENGTH_SYMS, { NUM_LENGTH_SYMS + 1 }>(&LENGTH_EXTRA_RUNS);
static OFFSET_BASE: [u32; MAX_OFFSET_SYMS + 1] = OFFSET_SLOTS.0;
static OFFSET_EXTRA: [u8; MAX_OFFSET_SYMS] = OFFSET_SLOTS.1;
static LENGTH_BASE: [u32; NUM_LENGTH_SYMS + 1] = LENGTH_SLOTS.0;
static LENGTH_EXTRA: [u8; NUM_LENGTH_SYMS] = LENGTH_SLOTS.1;

/// Number of offset slots the compressor had available for a chunk of
/// `size` bytes: enough to reach offset `size - 1`. The two offset codes
/// have exactly this many symbols, which changes their shape, so it must
/// match. Chunks under 3 bytes would get fewer than two symbols; they cannot
/// hold a match anyway, so two symbols keep the code well formed.
fn num_offset_slots(size: usize) -> usize {
    let largest = size.saturating_sub(1).min(u32::MAX as usize) as u32;
    OFFSET_BASE[..MAX_OFFSET_SYMS]
        .partition_point(|&b| b <= largest)
        .max(2)
}

// ---------------------------------------------------------------------------
// Forward stream: range decoder

/// Range decoder over the forward word stream. Its fields live in locals of
/// the decode loop, so the methods are forced inline.
struct RangeDecoder<'a> {
    input: &'a [u8],
    /// Byte index of the next word to read.
    pos: usize,
    range: u32,
    code: u32,
}

impl<'a> RangeDecoder<'a> {
    /// `input` has at least 4 bytes and an even length.
    fn new(input: &'a [u8]) -> Self {
        let hi = u16::from_le_bytes([input[0], input[1]]) as u32;
        let lo = u16::from_le_bytes([input[2], input[3]]) as u32;
        RangeDecoder {
            input,
            pos: 4,
            range: 0xFFFF_FFFF,
            code: (hi << 16) | lo,
        }
    }

    /// Decodes one bit that is 0 with probability `prob / 64`.
    #[inline(always)]
    fn decode(&mut self, prob: u32) -> u32 {
        if self.range <= 0xFFFF {
            self.range <<= 16;
            self.code <<= 16;
            // Past the end the stream reads as zeros, as wimlib does.
            if let Some(w) = self.input.get(self.pos..self.pos + 2) {
                self.code |= u16::from_le_bytes([w[0], w[1]]) as u32;
                self.pos += 2;
            }
        }
        let bound = (self.range >> 6) * prob;
        if self.code < bound {
            self.range = bound;
            0
        } else {
            self.range -= bound;
            self.code -= bound;
            1
        }
    }
}

/// One adaptive probability: the last 64 bits decoded with it (newest in
/// the low bit) and how many of them were zeros.
#[derive(Clone, Copy)]
struct Prob {
    history: u64,
    zeros: u32,
}

/// Every entry starts with 48 zeros in its history (ones and zeros
/// alternating in the newest 32 bits).
const INITIAL_PROB: Prob = Prob {
    history: 0x0000_0000_5555_5555,
    zeros: 48,
};

/// A family of probability entries for one kind of decision, indexed by the
/// last `log2(N)` bits decided in this family.
#[derive(Clone, Copy)]
struct BitModel<const N: usize> {
    state: usize,
    probs: [Prob; N],
}

impl<const N: usize> BitModel<N> {
    const INITIAL: Self = BitModel {
        state: 0,
        probs: [INITIAL_PROB; N],
    };

    #[inline(always)]
    fn decode(&mut self, rd: &mut RangeDecoder) -> u32 {
        let p = &mut self.probs[self.state & (N - 1)];
        // A probability of 0 or 1 would make one outcome impossible.
        let bit = rd.decode(p.zeros.clamp(1, 63));
        p.zeros = p.zeros + (p.history >> 63) as u32 - bit;
        p.history = (p.history << 1) | bit as u64;
        self.state = ((self.state << 1) | bit as usize) & (N - 1);
        bit
    }
}

// ---------------------------------------------------------------------------
// Backward stream: bits for Huffman symbols and verbatim extra bits

/// Bit reader over the backward word stream. `buf` holds `avail` unread bits
/// at its top; the bits below them are always zero.
struct BitReader<'a> {
    input: &'a [u8],
    /// Byte index just past the next word to read (words are read downwards).
    pos: usize,
    buf: u64,
    avail: u32,
}

impl<'a> BitReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        BitReader {
            input,
            pos: input.len(),
            buf: 0,
            avail: 0,
        }
    }

    /// Makes at least `n` (at most 48) bits available.
    #[inline(always)]
    fn ensure(&mut self, n: u32) {
        if self.avail < n {
            self.refill();
        }
    }

    /// Tops the buffer up to more than 48 bits. Requires `avail < 48`.
    #[inline(always)]
    fn refill(&mut self) {
        if self.pos >= 8 {
            // Eight bytes read as one little-endian u64 put the word nearest
            // the end on top, which is exactly the order the bits are read in.
            let mut b = [0u8; 8];
            b.copy_from_slice(&self.input[self.pos - 8..self.pos]);
            let v = u64::from_le_bytes(b);
            let words = (64 - self.avail) >> 4;
            let bits = words * 16;
            self.buf |= (v >> (64 - bits)) << (64 - self.avail - bits);
            self.avail += bits;
            self.pos -= 2 * words as usize;
        } else {
            self.refill_slow();
        }
    }

    /// Near the start of the chunk: word by word, then zeros, as wimlib
    /// reads past the start of the stream.
    #[cold]
    #[inline(never)]
    fn refill_slow(&mut self) {
        while self.avail <= 48 {
            let w = if self.pos >= 2 {
                self.pos -= 2;
                u16::from_le_bytes([self.input[self.pos], self.input[self.pos + 1]])
            } else {
                0
            };
            self.buf |= (w as u64) << (48 - self.avail);
            self.avail += 16;
        }
    }

    /// The next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        // Two shifts so that n = 0 gives 0 instead of a 64-bit shift.
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.avail -= n;
    }

    /// Reads `n` (0..=32) bits that `ensure` already made available.
    #[inline(always)]
    fn take(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.consume(n);
        v
    }
}

// ---------------------------------------------------------------------------
// Adaptive Huffman codes

/// Decode-table entry layout: symbol (or second-level table start) in the
/// high 16 bits, bit count to consume (or second-level index width) in the
/// low 8 bits, and this flag for "go to a second-level table".
const SUBTABLE: u32 = 1 << 8;

/// Scratch space for rebuilding a code, shared by the five codes.
struct CodeBuilder {
    /// `freq << 10 | symbol`, sorted: the order lengths are handed out in.
    keys: [u32; MAX_SYMS],
    /// Internal nodes of the Huffman tree: weight, then parent index.
    node_weight: [u32; MAX_SYMS],
    node_parent: [u16; MAX_SYMS],
    node_depth: [u8; MAX_SYMS],
    lens: [u8; MAX_SYMS],
    /// Symbols ordered by (codeword length, symbol): canonical order.
    by_len: [u16; MAX_SYMS],
}

const SYMBOL_BITS: u32 = 10;

impl CodeBuilder {
    fn new() -> Self {
        CodeBuilder {
            keys: [0; MAX_SYMS],
            node_weight: [0; MAX_SYMS],
            node_parent: [0; MAX_SYMS],
            node_depth: [0; MAX_SYMS],
            lens: [0; MAX_SYMS],
            by_len: [0; MAX_SYMS],
        }
    }

    /// Computes codeword lengths into `self.lens[..freqs.len()]` and returns
    /// how many codewords each length has. Every frequency is at least 1 and
    /// there are at least 2 symbols, so the code is a full binary tree.
    ///
    /// The result must be bit-for-bit the code the compressor built, so this
    /// follows wimlib's construction: leaves sorted by (frequency, symbol);
    /// two queues (leaves, then internal nodes in creation order), taking the
    /// leaf on equal weight; length counts read off the internal nodes; the
    /// longest lengths going to the first leaves in sorted order.
    fn compute_lengths(&mut self, freqs: &[u32]) -> [u32; MAX_CODEWORD_LEN + 1] {
        let n = freqs.len();
        debug_assert!((2..=MAX_SYMS).contains(&n));
        for (sym, &f) in freqs.iter().enumerate() {
            self.keys[sym] = (f << SYMBOL_BITS) | sym as u32;
        }
        self.keys[..n].sort_unstable();

        let leaf_weight = |keys: &[u32; MAX_SYMS], i: usize| keys[i] >> SYMBOL_BITS;
        let mut next_leaf = 0;
        let mut next_node = 0;
        for new in 0..n - 1 {
            let mut weight = 0;
            for _ in 0..2 {
                if next_leaf < n
                    && (next_node == new
                        || leaf_weight(&self.keys, next_leaf) <= self.node_weight[next_node])
                {
                    weight += leaf_weight(&self.keys, next_leaf);
                    next_leaf += 1;
                } else {
                    weight += self.node_weight[next_node];
                    self.node_parent[next_node] = new as u16;
                    next_node += 1;
                }
            }
            self.node_weight[new] = weight;
        }

        // Start from a root with two leaf children; each further internal
        // node (parents come after children, so walk backwards) turns one
        // leaf at its depth into two one level deeper. Nodes at depth 15 or
        // more are moved up to the deepest level that still has a leaf,
        // which keeps the code complete (wimlib's length limit; it never
        // triggers for LZMS frequencies, but costs nothing to mirror).
        let mut counts = [0u32; MAX_CODEWORD_LEN + 1];
        counts[1] = 2;
        let root = n - 2;
        self.node_depth[root] = 0;
        for node in (0..root).rev() {
            let depth = self.node_depth[self.node_parent[node] as usize] + 1;
            self.node_depth[node] = depth;
            let mut len = depth as usize;
            if len >= MAX_CODEWORD_LEN {
                len = MAX_CODEWORD_LEN - 1;
                while len > 1 && counts[len] == 0 {
                    len -= 1;
                }
            }
            counts[len] = counts[len].wrapping_sub(1);
            counts[len + 1] += 2;
        }

        let mut i = 0;
        for len in (1..=MAX_CODEWORD_LEN).rev() {
            for _ in 0..counts[len] {
                if let Some(&key) = self.keys[..n].get(i) {
                    self.lens[(key & ((1 << SYMBOL_BITS) - 1)) as usize] = len as u8;
                }
                i += 1;
            }
        }
        counts
    }

    /// Builds the code for `freqs` and writes its decode table: a primary
    /// table indexed by the next `table_bits` bits, with second-level tables
    /// after it for the longer codewords, each just wide enough for the
    /// codewords that share its prefix.
    fn build(&mut self, freqs: &[u32], table_bits: u32, table: &mut [u32]) {
        let n = freqs.len();
        let counts = self.compute_lengths(freqs);

        // Canonical order: by length, then by symbol.
        let mut start = [0usize; MAX_CODEWORD_LEN + 2];
        for len in 1..=MAX_CODEWORD_LEN {
            start[len + 1] = start[len] + counts[len] as usize;
        }
        for sym in 0..n {
            let len = self.lens[sym] as usize;
            let slot = &mut start[len];
            if let Some(dst) = self.by_len.get_mut(*slot) {
                *dst = sym as u16;
            }
            *slot += 1;
        }

        // Codewords up to table_bits long each fill a run of primary
        // entries; in canonical order the runs are consecutive.
        let tb = table_bits as usize;
        let primary = 1usize << tb;
        let mut cursor = 0usize;
        let mut next = 0usize; // index into by_len
        for (len, &count) in counts.iter().enumerate().take(tb + 1).skip(1) {
            let span = 1usize << (tb - len);
            for _ in 0..count {
                let sym = self.by_len[next] as u32;
                next += 1;
                let end = (cursor + span).min(primary);
                table[cursor..end].fill((sym << 16) | len as u32);
                cursor = end;
            }
        }

        // The rest of the primary table points to second-level tables.
        let mut remaining = counts;
        let mut len = tb + 1;
        let mut free = primary;
        while cursor < primary && len <= MAX_CODEWORD_LEN {
            while len < MAX_CODEWORD_LEN && remaining[len] == 0 {
                len += 1;
            }
            // Smallest width whose codewords (all at least `len` long, taken
            // in order) exactly cover this prefix.
            let mut width = len - tb;
            let mut covered = remaining[len] as usize;
            while covered < (1 << width) && tb + width < MAX_CODEWORD_LEN {
                width += 1;
                covered = 2 * covered + remaining[tb + width] as usize;
            }
            let size = 1usize << width;
            if free + size > table.len() {
                break; // cannot happen for a complete code
            }
            table[cursor] = ((free as u32) << 16) | SUBTABLE | width as u32;
            cursor += 1;
            let mut fill = 0usize;
            while fill < size && next < n {
                while len < MAX_CODEWORD_LEN && remaining[len] == 0 {
                    len += 1;
                }
                let sym = self.by_len[next] as u32;
                next += 1;
                remaining[len] = remaining[len].saturating_sub(1);
                let span = 1usize << (tb + width).saturating_sub(len);
                let end = (fill + span).min(size);
                table[free + fill..free + end].fill((sym << 16) | (len - tb) as u32);
                fill = end;
            }
            free += size;
        }
    }
}

/// One adaptive Huffman code with its decode table.
struct AdaptiveCode<const NSYM: usize, const TABLE_BITS: u32, const TSIZE: usize> {
    num_syms: usize,
    rebuild_period: u32,
    until_rebuild: u32,
    freqs: [u32; NSYM],
    table: [u32; TSIZE],
}

impl<const NSYM: usize, const TABLE_BITS: u32, const TSIZE: usize>
    AdaptiveCode<NSYM, TABLE_BITS, TSIZE>
{
    fn new(rebuild_period: u32) -> Self {
        AdaptiveCode {
            num_syms: NSYM,
            rebuild_period,
            until_rebuild: rebuild_period,
            freqs: [1; NSYM],
            table: [0; TSIZE],
        }
    }

    /// Back to the start-of-chunk state: all frequencies 1.
    fn reset(&mut self, num_syms: usize, builder: &mut CodeBuilder) {
        self.num_syms = num_syms.clamp(2, NSYM);
        self.freqs[..self.num_syms].fill(1);
        builder.build(&self.freqs[..self.num_syms], TABLE_BITS, &mut self.table);
        self.until_rebuild = self.rebuild_period;
    }

    /// Rebuilds from the current frequencies, then halves them so the code
    /// follows recent data.
    #[inline(never)]
    fn rebuild(&mut self, builder: &mut CodeBuilder) {
        let freqs = &mut self.freqs[..self.num_syms];
        builder.build(freqs, TABLE_BITS, &mut self.table);
        for f in freqs.iter_mut() {
            *f = (*f >> 1) + 1;
        }
        self.until_rebuild = self.rebuild_period;
    }

    /// Decodes one symbol; at least 15 bits must be available in `bits`.
    #[inline(always)]
    fn decode(&mut self, bits: &mut BitReader, builder: &mut CodeBuilder) -> usize {
        let entry = self.table[(bits.buf >> (64 - TABLE_BITS)) as usize & ((1 << TABLE_BITS) - 1)];
        let entry = if entry & SUBTABLE == 0 {
            entry
        } else {
            bits.consume(TABLE_BITS);
            let width = entry & 0xFF;
            let index = (entry >> 16) as usize + bits.peek(width) as usize;
            // Only a corrupted table could miss; treat it as symbol 0.
            self.table.get(index).copied().unwrap_or(0)
        };
        bits.consume(entry & 0xFF);
        let sym = (entry >> 16) as usize;
        if let Some(f) = self.freqs.get_mut(sym) {
            *f += 1;
        }
        self.until_rebuild -= 1;
        if self.until_rebuild == 0 {
            self.rebuild(builder);
        }
        sym
    }
}

// ---------------------------------------------------------------------------
// The decoder

/// Recent-offset queue: three usable entries plus one that catches the entry
/// pushed out, so that taking an entry out can refill from behind.
type Queue<T> = [T; 4];

#[inline(always)]
fn queue_take<T: Copy>(q: &mut Queue<T>, i: usize) -> T {
    let v = q[i];
    // Entries behind the taken one move up; the last one stays duplicated.
    let mut k = i;
    while k < 3 {
        q[k] = q[k + 1];
        k += 1;
    }
    v
}

#[inline(always)]
fn queue_push<T: Copy>(q: &mut Queue<T>, v: T) {
    q[3] = q[2];
    q[2] = q[1];
    q[1] = q[0];
    q[0] = v;
}

/// All per-chunk state. Boxed: it is a few hundred KiB.
struct State {
    builder: CodeBuilder,
    literal: AdaptiveCode<NUM_LITERAL_SYMS, LITERAL_TABLE_BITS, LITERAL_TABLE_SIZE>,
    lz_offset: AdaptiveCode<MAX_OFFSET_SYMS, OFFSET_TABLE_BITS, OFFSET_TABLE_SIZE>,
    length: AdaptiveCode<NUM_LENGTH_SYMS, LENGTH_TABLE_BITS, LENGTH_TABLE_SIZE>,
    delta_offset: AdaptiveCode<MAX_OFFSET_SYMS, OFFSET_TABLE_BITS, OFFSET_TABLE_SIZE>,
    delta_power: AdaptiveCode<NUM_POWER_SYMS, POWER_TABLE_BITS, POWER_TABLE_SIZE>,

    is_match: BitModel<16>,
    is_delta: BitModel<32>,
    lz_is_rep: BitModel<64>,
    lz_rep: [BitModel<64>; 2],
    delta_is_rep: BitModel<64>,
    delta_rep: [BitModel<64>; 2],

    /// x86 filter: last position at which each 16-bit target was seen.
    last_target_use: Box<[i32; 1 << 16]>,
}

/// Decoder for LZMS chunks of up to the size given to [`LzmsDecompressor::new`].
pub struct LzmsDecompressor {
    max_chunk_size: u32,
    state: Box<State>,
}

impl LzmsDecompressor {
    /// A decoder for chunks of up to `max_chunk_size` bytes; `None` for 0 or
    /// more than 1 GiB. Allocates everything it will use here.
    pub fn new(max_chunk_size: u32) -> Option<Self> {
        if max_chunk_size == 0 || max_chunk_size > MAX_CHUNK_SIZE {
            return None;
        }
        let last_target_use: Box<[i32; 1 << 16]> =
            vec![0i32; 1 << 16].into_boxed_slice().try_into().ok()?;
        let state = Box::new(State {
            builder: CodeBuilder::new(),
            literal: AdaptiveCode::new(LITERAL_REBUILD),
            lz_offset: AdaptiveCode::new(OFFSET_REBUILD),
            length: AdaptiveCode::new(LENGTH_REBUILD),
            delta_offset: AdaptiveCode::new(OFFSET_REBUILD),
            delta_power: AdaptiveCode::new(POWER_REBUILD),
            is_match: BitModel::INITIAL,
            is_delta: BitModel::INITIAL,
            lz_is_rep: BitModel::INITIAL,
            lz_rep: [BitModel::INITIAL; 2],
            delta_is_rep: BitModel::INITIAL,
            delta_rep: [BitModel::INITIAL; 2],
            last_target_use,
        });
        Some(LzmsDecompressor {
            max_chunk_size,
            state,
        })
    }
}

impl Decompressor for LzmsDecompressor {
    fn decompress(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), DecompressError> {
        if output.len() > self.max_chunk_size as usize {
            return Err(DecompressError::new(
                "LZMS chunk larger than the decoder was sized for",
            ));
        }
        if input.len() < 4 {
            return Err(DecompressError::new("LZMS chunk shorter than 4 bytes"));
        }
        if input.len() & 1 != 0 {
            return Err(DecompressError::new(
                "LZMS chunk has an odd number of bytes",
            ));
        }
        let st = &mut *self.state;
        st.reset(output.len());
        st.decode_items(input, output)?;
        undo_x86_filter(output, &mut st.last_target_use);
        Ok(())
    }
}

impl State {
    fn reset(&mut self, out_len: usize) {
        let b = &mut self.builder;
        let offset_syms = num_offset_slots(out_len);
        self.literal.reset(NUM_LITERAL_SYMS, b);
        self.lz_offset.reset(offset_syms, b);
        self.length.reset(NUM_LENGTH_SYMS, b);
        self.delta_offset.reset(offset_syms, b);
        self.delta_power.reset(NUM_POWER_SYMS, b);
        self.is_match = BitModel::INITIAL;
        self.is_delta = BitModel::INITIAL;
        self.lz_is_rep = BitModel::INITIAL;
        self.lz_rep = [BitModel::INITIAL; 2];
        self.delta_is_rep = BitModel::INITIAL;
        self.delta_rep = [BitModel::INITIAL; 2];
    }

    fn decode_items(&mut self, input: &[u8], out: &mut [u8]) -> Result<(), DecompressError> {
        let mut rd = RangeDecoder::new(input);
        let mut bits = BitReader::new(input);
        let end = out.len();
        let mut pos = 0usize;

        let mut lz_recent: Queue<u32> = [1, 2, 3, 4];
        // Offset waiting to enter the queue (0: none), and where the match
        // that produced it ended: if the next LZ match starts right there,
        // the entry waits until after that match's repeat choice.
        let mut lz_pending = 0u32;
        let mut lz_pending_end = 0usize;
        // Delta pairs as power << 32 | offset.
        let mut delta_recent: Queue<u64> = [1, 2, 3, 4];
        let mut delta_pending = 0u64;
        let mut delta_pending_end = 0usize;

        while pos < end {
            if self.is_match.decode(&mut rd) == 0 {
                bits.ensure(MAX_CODEWORD_LEN as u32);
                let sym = self.literal.decode(&mut bits, &mut self.builder);
                out[pos] = sym as u8;
                pos += 1;
                continue;
            }

            if self.is_delta.decode(&mut rd) == 0 {
                // LZ match.
                if lz_pending != 0 && pos != lz_pending_end {
                    queue_push(&mut lz_recent, lz_pending);
                    lz_pending = 0;
                }
                let offset = if self.lz_is_rep.decode(&mut rd) == 0 {
                    bits.ensure(MAX_CODEWORD_LEN as u32 + 30);
                    let slot = self.lz_offset.decode(&mut bits, &mut self.builder);
                    OFFSET_BASE[slot] + bits.take(OFFSET_EXTRA[slot] as u32)
                } else if self.lz_rep[0].decode(&mut rd) == 0 {
                    queue_take(&mut lz_recent, 0)
                } else if self.lz_rep[1].decode(&mut rd) == 0 {
                    queue_take(&mut lz_recent, 1)
                } else {
                    queue_take(&mut lz_recent, 2)
                };
                if lz_pending != 0 {
                    queue_push(&mut lz_recent, lz_pending);
                }
                lz_pending = offset;

                let length = self.decode_length(&mut bits);
                let offset = offset as usize;
                if length > end - pos {
                    return Err(DecompressError::new(
                        "LZMS match runs past the end of the chunk",
                    ));
                }
                if offset > pos {
                    return Err(DecompressError::new(
                        "LZMS match offset before start of chunk",
                    ));
                }
                copy_match(out, pos, offset, length);
                pos += length;
                lz_pending_end = pos;
            } else {
                // Delta match.
                if delta_pending != 0 && pos != delta_pending_end {
                    queue_push(&mut delta_recent, delta_pending);
                    delta_pending = 0;
                }
                let pair = if self.delta_is_rep.decode(&mut rd) == 0 {
                    bits.ensure(MAX_CODEWORD_LEN as u32);
                    let power = self.delta_power.decode(&mut bits, &mut self.builder) as u64;
                    bits.ensure(MAX_CODEWORD_LEN as u32 + 30);
                    let slot = self.delta_offset.decode(&mut bits, &mut self.builder);
                    let raw = OFFSET_BASE[slot] + bits.take(OFFSET_EXTRA[slot] as u32);
                    (power << 32) | raw as u64
                } else if self.delta_rep[0].decode(&mut rd) == 0 {
                    queue_take(&mut delta_recent, 0)
                } else if self.delta_rep[1].decode(&mut rd) == 0 {
                    queue_take(&mut delta_recent, 1)
                } else {
                    queue_take(&mut delta_recent, 2)
                };
                if delta_pending != 0 {
                    queue_push(&mut delta_recent, delta_pending);
                }
                delta_pending = pair;

                let length = self.decode_length(&mut bits);
                let power = (pair >> 32) as u32; // 0..=7
                let span = 1usize << power;
                // In u64 nothing overflows; anything reaching before the
                // chunk start (including what would overflow 32 bits in
                // wimlib's arithmetic) is invalid.
                let offset = (pair & 0xFFFF_FFFF) << power;
                if length > end - pos {
                    return Err(DecompressError::new(
                        "LZMS match runs past the end of the chunk",
                    ));
                }
                if offset + span as u64 > pos as u64 {
                    return Err(DecompressError::new(
                        "LZMS delta match reaches before start of chunk",
                    ));
                }
                let offset = offset as usize;
                for i in pos..pos + length {
                    out[i] = out[i - offset]
                        .wrapping_add(out[i - span])
                        .wrapping_sub(out[i - offset - span]);
                }
                pos += length;
                delta_pending_end = pos;
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn decode_length(&mut self, bits: &mut BitReader) -> usize {
        bits.ensure(MAX_CODEWORD_LEN as u32 + 30);
        let slot = self.length.decode(bits, &mut self.builder);
        (LENGTH_BASE[slot] + bits.take(LENGTH_EXTRA[slot] as u32)) as usize
    }
}

/// Copies an LZ match whose bounds were checked: `offset` in 1..=pos and
/// `pos + length <= out.len()`. Overlap repeats the last `offset` bytes.
#[inline(always)]
fn copy_match(out: &mut [u8], pos: usize, offset: usize, length: usize) {
    let src = pos - offset;
    if offset >= length {
        out.copy_within(src..src + length, pos);
    } else if offset == 1 {
        let b = out[src];
        out[pos..pos + length].fill(b);
    } else {
        for i in pos..pos + length {
            out[i] = out[i - offset];
        }
    }
}

// ---------------------------------------------------------------------------
// x86 filter

/// How far after a likely x86 instruction further translations are trusted.
const X86_MAX_TRANSLATION_OFFSET: i32 = 1023;
/// Two uses of one target within this many bytes mark likely x86 code.
const X86_ID_WINDOW: i32 = 65535;

/// Byte values that can start a translated instruction.
static X86_CANDIDATE: [bool; 256] = {
    let mut t = [false; 256];
    t[0x48] = true; // REX.W prefix: LEA / MOV with RIP-relative operand
    t[0x4C] = true; // REX.WR prefix: same
    t[0xE8] = true; // CALL rel32
    t[0xE9] = true; // JMP rel32: recognised only to be skipped
    t[0xF0] = true; // LOCK prefix: LOCK ADD [rip+disp32], imm8
    t[0xFF] = true; // group 5: CALL [rip+disp32]
    t
};

/// Undoes the compressor's x86 translation in place.
///
/// The compressor ran the same scan over the original data, turning each
/// qualifying 32-bit displacement into `displacement + position`; we
/// subtract the position back. Whether a site qualifies depends on earlier
/// sites (positions and 16-bit targets), which are the same on both sides
/// because the target is computed from the relative form here and the
/// absolute form there. No site starts in the first byte or in the last 16,
/// which also keeps every read below inside the buffer.
fn undo_x86_filter(data: &mut [u8], last_target_use: &mut [i32; 1 << 16]) {
    let size = data.len();
    if size <= 17 {
        return;
    }
    last_target_use.fill(-X86_ID_WINDOW - 1);
    let mut last_x86_pos = -X86_MAX_TRANSLATION_OFFSET - 1;
    let limit = size - 16;
    let mut p = 1usize;
    while p < limit {
        let b = data[p];
        if !X86_CANDIDATE[b as usize] {
            p += 1;
            continue;
        }
        // (bytes before the displacement, how far from the last likely
        // instruction a translation is still trusted)
        let (opcode_len, max_offset) = match b {
            // CALL is so common in any data that it needs more evidence.
            0xE8 => (1, X86_MAX_TRANSLATION_OFFSET >> 1),
            0xE9 => {
                // The format skips JMP and its operand without translating.
                p += 5;
                continue;
            }
            0xFF if data[p + 1] == 0x15 => (2, X86_MAX_TRANSLATION_OFFSET),
            0xF0 if data[p + 1] == 0x83 && data[p + 2] == 0x05 => (3, X86_MAX_TRANSLATION_OFFSET),
            // ModR/M with r/m = 101 (the format ignores the mod bits), and
            // LEA, or MOV without REX.R and with a small reg field.
            0x48 | 0x4C
                if data[p + 2] & 0x07 == 0x05
                    && (data[p + 1] == 0x8D
                        || (data[p + 1] == 0x8B && b & 0x04 == 0 && data[p + 2] & 0xF0 == 0)) =>
            {
                (3, X86_MAX_TRANSLATION_OFFSET)
            }
            _ => {
                p += 1;
                continue;
            }
        };
        let i = p as i32;
        let d = p + opcode_len;
        let mut disp = [0u8; 4];
        disp.copy_from_slice(&data[d..d + 4]);
        let mut value = u32::from_le_bytes(disp);
        if i - last_x86_pos <= max_offset {
            value = value.wrapping_sub(i as u32);
            data[d..d + 4].copy_from_slice(&value.to_le_bytes());
        }
        let target = (i as u32).wrapping_add(value) as u16 as usize;
        let site_end = i + opcode_len as i32 + 3;
        if site_end - last_target_use[target] <= X86_ID_WINDOW {
            last_x86_pos = site_end;
        }
        last_target_use[target] = site_end;
        p = d + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_tables_end_at_format_limits() {
        // Maximum offset 1180427428 and length 1073809578, each plus one.
        assert_eq!(OFFSET_BASE[MAX_OFFSET_SYMS], 0x465B_E4A5);
        assert_eq!(OFFSET_BASE[MAX_OFFSET_SYMS - 1], 0x065B_E4A5);
        assert_eq!(OFFSET_BASE[9], 0xD);
        assert_eq!(OFFSET_BASE[100], 0x20A5);
        assert_eq!(LENGTH_BASE[NUM_LENGTH_SYMS], 0x4001_08AB);
        assert_eq!(LENGTH_BASE[27], 0x1D);
    }

    #[test]
    fn offset_slot_counts() {
        assert_eq!(num_offset_slots(0), 2);
        assert_eq!(num_offset_slots(5), 4);
        // 32 KiB: largest offset 32767.
        let n = num_offset_slots(32768);
        assert!(OFFSET_BASE[n - 1] <= 32767 && OFFSET_BASE[n] > 32767);
        assert_eq!(num_offset_slots(1 << 30), num_offset_slots(1 << 30));
        assert!(num_offset_slots(1 << 30) <= MAX_OFFSET_SYMS);
    }
}
