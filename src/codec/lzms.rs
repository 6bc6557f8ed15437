//! LZMS chunk decoder.
//!
//! This module owns everything needed to turn one LZMS-compressed WIM chunk
//! back into its bytes: the range decoder and its adaptive bit models, the
//! adaptive Huffman codes (their lengths, rebuilt from symbol frequencies),
//! the match decoding with its repeat-offset queues, the delta matches and
//! the x86 post-filter. Shared with the other codecs: the decode-table
//! builder (`huffman`), the backward bit reader (`bits::BackwardBits`) and
//! the LZ match copy (`lz`).
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
//!   Neither stream fails by running out: past its end it reads zeros, and
//!   nothing stops the two from meeting in the middle.
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
//!   offsets); only the first three can be referenced. Using an entry takes
//!   it out. The offset a match used, explicit or repeated, goes to the
//!   front when the next match of the same kind is decoded: before that
//!   match reads the queue if another item came between them, after it if
//!   not.
//! * Five adaptive Huffman codes read the backward stream: literals (256
//!   symbols, rebuilt every 1024 uses), LZ offset slots and delta offset
//!   slots (as many as the chunk size needs, up to 799, rebuilt every 1024),
//!   length slots (54, every 512) and delta powers (8, every 512). Each
//!   starts with every frequency 1. A rebuild makes the Huffman code that
//!   the textbook two-queue construction gives when frequency ties go to
//!   leaves, hands the longest lengths to the lowest (frequency, symbol),
//!   makes it canonical, and then halves the frequencies (`f / 2 + 1`).
//!   Codewords never exceed 15 bits. Offset and length slots are followed by
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

use super::bits::BackwardBits;
use super::huffman;
use super::lz::copy_match;
use super::{DecompressError, Decompressor};

type BitReader<'a> = BackwardBits<'a>;

/// Largest chunk accepted: WIM allows LZMS chunks of up to 1 GiB (wimlib's
/// limit). The x86 filter's positions are 32-bit signed numbers, which this
/// also keeps in range.
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
const OFFSET_TABLE_BITS: u32 = 9;
const LENGTH_TABLE_BITS: u32 = 8;
/// Eight symbols never need more than 7 bits, so this table has no
/// second level.
const POWER_TABLE_BITS: u32 = 7;

/// Table sizes (see `huffman::table_size`).
const LITERAL_TABLE_SIZE: usize = table_size(LITERAL_TABLE_BITS, NUM_LITERAL_SYMS);
const OFFSET_TABLE_SIZE: usize = table_size(OFFSET_TABLE_BITS, MAX_OFFSET_SYMS);
const LENGTH_TABLE_SIZE: usize = table_size(LENGTH_TABLE_BITS, NUM_LENGTH_SYMS);
const POWER_TABLE_SIZE: usize = table_size(POWER_TABLE_BITS, NUM_POWER_SYMS);
const fn table_size(table_bits: u32, num_syms: usize) -> usize {
    huffman::table_size(table_bits, num_syms, MAX_CODEWORD_LEN as u32)
}

// ---------------------------------------------------------------------------
// Slot tables
//
// Offset and length slots are given as runs of equal extra-bit counts; the
// base of each slot is 1 plus the sizes of all slots before it. The last
// offset slot ends at 0x465BE4A5 and the last length slot at 0x400108AB, the
// format's maximum offset and length plus one (checked by a test).

#[rustfmt::skip]
const OFFSET_EXTRA_RUNS: [(u8, u16); 21] = [
    (0, 8), (2, 9), (3, 7), (4, 10), (5, 15), (6, 15), (7, 20), (8, 20),
    (9, 30), (10, 33), (11, 40), (12, 42), (13, 45), (14, 60), (15, 73),
    (16, 80), (17, 85), (18, 95), (19, 105), (20, 6), (30, 1),
];

#[rustfmt::skip]
const LENGTH_EXTRA_RUNS: [(u8, u16); 13] = [
    (0, 26), (1, 4), (2, 6), (3, 4), (4, 5), (5, 2), (6, 1), (7, 1),
    (8, 1), (9, 1), (10, 1), (16, 1), (30, 1),
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
/// the low bit), how many of them were zeros, and that count kept within
/// 1..=63 (a probability of 0 or 1 would make one outcome impossible). The
/// clamped value is stored at update time, off the decoder's critical path.
#[derive(Clone, Copy)]
struct Prob {
    history: u64,
    zeros: u32,
    prob: u32,
}

/// Every entry starts with 48 zeros in its history (ones and zeros
/// alternating in the newest 32 bits).
const INITIAL_PROB: Prob = Prob {
    history: 0x0000_0000_5555_5555,
    zeros: 48,
    prob: 48,
};

/// A family of probability entries for one kind of decision, indexed by the
/// last `log2(N)` bits decided in this family. That index (the state) lives
/// in a local of the decode loop so it stays in a register.
#[derive(Clone, Copy)]
struct BitModel<const N: usize> {
    probs: [Prob; N],
}

impl<const N: usize> BitModel<N> {
    const INITIAL: Self = BitModel {
        probs: [INITIAL_PROB; N],
    };

    #[inline(always)]
    fn decode(&mut self, state: &mut usize, rd: &mut RangeDecoder) -> u32 {
        let p = &mut self.probs[*state & (N - 1)];
        let bit = rd.decode(p.prob);
        let zeros = p.zeros + (p.history >> 63) as u32 - bit;
        p.zeros = zeros;
        p.prob = zeros.clamp(1, 63);
        p.history = (p.history << 1) | bit as u64;
        *state = ((*state << 1) | bit as usize) & (N - 1);
        bit
    }
}

// ---------------------------------------------------------------------------
// Adaptive Huffman codes

/// Scratch space for rebuilding a code, shared by the five codes.
struct CodeBuilder {
    /// `freq << 10 | symbol`, sorted: the order lengths are handed out in.
    /// Two extra elements for sentinels.
    keys: [u32; MAX_SYMS + 2],
    /// Internal nodes of the Huffman tree: weight, then parent index.
    node_weight: [u32; MAX_SYMS],
    node_parent: [u16; MAX_SYMS],
    node_depth: [u8; MAX_SYMS],
    lens: [u8; MAX_SYMS],
    /// Scratch for the table builder.
    by_len: [u16; MAX_SYMS],
    /// Set if a table could not be built, which the construction above
    /// rules out; checked once per chunk so that it cannot go unnoticed.
    failed: bool,
}

const SYMBOL_BITS: u32 = 10;

impl CodeBuilder {
    fn new() -> Self {
        CodeBuilder {
            keys: [0; MAX_SYMS + 2],
            node_weight: [0; MAX_SYMS],
            node_parent: [0; MAX_SYMS],
            node_depth: [0; MAX_SYMS],
            lens: [0; MAX_SYMS],
            by_len: [0; MAX_SYMS],
            failed: false,
        }
    }

    /// Fills `keys[..n]` with `freq << 10 | symbol` in increasing order.
    /// Most frequencies are small, so a counting sort places those, and
    /// only the few large ones are compared.
    fn sort_symbols(&mut self, freqs: &[u32]) {
        const BUCKETS: usize = 256;
        let mut start = [0u16; BUCKETS];
        for &f in freqs {
            start[(f as usize).min(BUCKETS - 1)] += 1;
        }
        let mut total = 0u16;
        for s in start.iter_mut() {
            let c = *s;
            *s = total;
            total += c;
        }
        let big_from = start[BUCKETS - 1] as usize;
        for (sym, &f) in freqs.iter().enumerate() {
            let b = &mut start[(f as usize).min(BUCKETS - 1)];
            if let Some(k) = self.keys.get_mut(*b as usize) {
                *k = (f << SYMBOL_BITS) | sym as u32;
            }
            *b += 1;
        }
        if let Some(big) = self.keys.get_mut(big_from..freqs.len()) {
            big.sort_unstable();
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
        self.sort_symbols(freqs);

        // Each new node takes the two lightest of the next two leaves and the
        // next two unmerged nodes (both queues are in increasing order), a
        // leaf before a node of equal weight: the choices of two single
        // picks, made at once, so that one node costs one round of loads.
        // Sentinels after the last leaf, heavier than any node (weights stay
        // far below 2^22), and nodes not made yet, heavier than those, leave
        // no special cases. (Forced free of branches with
        // `select_unpredictable`, it measured no faster.)
        self.keys[n] = u32::MAX;
        self.keys[n + 1] = u32::MAX;
        let mut next_leaf = 0;
        let mut next_node = 0;
        for new in 0..n - 1 {
            let (Some(&[k0, k1]), Some(&[w0, w1])) = (
                self.keys
                    .get(next_leaf..)
                    .and_then(|k| k.first_chunk::<2>()),
                self.node_weight
                    .get(next_node..)
                    .and_then(|w| w.first_chunk::<2>()),
            ) else {
                break; // not reached: next_leaf <= n and next_node <= new < n - 1
            };
            let (l0, l1) = (k0 >> SYMBOL_BITS, k1 >> SYMBOL_BITS);
            let n0 = if next_node < new { w0 } else { u32::MAX };
            let n1 = if next_node + 1 < new { w1 } else { u32::MAX };
            let first_leaf = l0 <= n0;
            let second_leaf = if first_leaf { l1 <= n0 } else { l0 <= n1 };
            self.node_weight[new] = match (first_leaf, second_leaf) {
                (true, true) => l0 + l1,
                (false, false) => n0 + n1,
                _ => l0 + n0,
            };
            // Right for the nodes taken; any other is overwritten when it is
            // taken later (only the root never is).
            self.node_parent[next_node] = new as u16;
            self.node_parent[next_node + 1] = new as u16;
            let leaves = first_leaf as usize + second_leaf as usize;
            next_leaf += leaves;
            next_node += 2 - leaves;
        }

        // Depths, from the root down (parents come after children). Nodes
        // are taken in the order they were made, so depth never decreases
        // towards node 0, in steps of at most 1: `lowest[d]` ends as the
        // first node of depth d, and the nodes between give each depth's
        // count. A leaf count per length follows: each internal node at
        // depth d - 1 has two children at depth d, of which the internal
        // nodes at depth d are not leaves.
        let root = n - 2;
        self.node_depth[root] = 0;
        let mut lowest = [root; 32];
        for node in (0..root).rev() {
            let depth = self.node_depth[self.node_parent[node] as usize] + 1;
            self.node_depth[node] = depth;
            lowest[(depth & 31) as usize] = node;
        }
        let mut counts = [0u32; MAX_CODEWORD_LEN + 1];
        let max_depth = self.node_depth[0] as usize;
        if max_depth < MAX_CODEWORD_LEN {
            let mut above = 1; // internal nodes at depth d - 1
            for d in 1..=max_depth + 1 {
                let here = if d <= max_depth {
                    (lowest[d - 1] - lowest[d]) as u32
                } else {
                    0
                };
                counts[d] = 2 * above - here;
                above = here;
            }
        } else {
            // Internal nodes at depth 15 or more: those are moved up to the
            // deepest level that still has a leaf, which keeps the code
            // complete (wimlib's length limit; LZMS's frequencies rarely if
            // ever reach it). Each internal node turns one leaf at its depth
            // into two one level deeper.
            counts[1] = 2;
            for node in (0..root).rev() {
                let mut len = self.node_depth[node] as usize;
                if len >= MAX_CODEWORD_LEN {
                    len = MAX_CODEWORD_LEN - 1;
                    while len > 1 && counts[len] == 0 {
                        len -= 1;
                    }
                }
                counts[len] = counts[len].wrapping_sub(1);
                counts[len + 1] += 2;
            }
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

    /// Builds the code for `freqs` and writes its decode table (layout:
    /// `huffman`), with a first level of `table_bits`.
    fn build(&mut self, freqs: &[u32], table_bits: u32, table: &mut [u32]) {
        let n = freqs.len();
        let counts = self.compute_lengths(freqs);
        let mut count = [0u16; 32];
        for (c, &k) in count.iter_mut().zip(&counts) {
            *c = k as u16;
        }
        count[0] = 0;
        if huffman::build_counted(table, table_bits, &self.lens[..n], &count, &mut self.by_len)
            .is_err()
        {
            self.failed = true;
        }
    }
}

/// Writes the decode table of the code that [`CodeBuilder::build`] makes
/// when all `n` (at least 2) frequencies are 1, as every code starts a
/// chunk, without building it; `false` (and nothing written) if that code
/// needs a second level. With `2^k <= n < 2^(k+1)`, the tree is complete:
/// `2 (n - 2^k)` codewords of `k + 1` bits, which go to the lowest symbols
/// (the first leaves in (frequency, symbol) order), and `k` bits for the
/// rest. Chunks of different sizes have different offset alphabets, so
/// this is most of the per-chunk set-up on small chunks. (A test checks it
/// against the builder for every `n` and width used.)
fn uniform_table(n: usize, table_bits: u32, table: &mut [u32]) -> bool {
    let k = n.ilog2();
    let long = 2 * (n - (1 << k));
    let deepest = if long == 0 { k } else { k + 1 };
    if deepest > table_bits || table.len() < 1 << table_bits {
        return false;
    }
    // Canonical order: the k-bit codewords (symbols long..n), then the
    // (k + 1)-bit ones (0..long); each owns 2^(table_bits - len) entries.
    let run = 1usize << (table_bits - k);
    let (short_part, long_part) = table[..1 << table_bits].split_at_mut((n - long) * run);
    for (entries, sym) in short_part.chunks_exact_mut(run).zip(long..n) {
        entries.fill((sym as u32) << 16 | k);
    }
    let long_run = 1usize << (table_bits - deepest);
    for (entries, sym) in long_part.chunks_exact_mut(long_run).zip(0..long) {
        entries.fill((sym as u32) << 16 | (k + 1));
    }
    true
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
        if !uniform_table(self.num_syms, TABLE_BITS, &mut self.table) {
            builder.build(&self.freqs[..self.num_syms], TABLE_BITS, &mut self.table);
        }
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
        let entry = huffman::lookup::<TABLE_BITS, TSIZE>(&self.table, bits.buf());
        bits.consume(entry & 31);
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

    /// x86 filter memory, kept across chunks; see [`X86Targets`].
    x86: X86Targets,
}

/// Decoder for LZMS chunks of up to the size given to
/// [`LzmsDecompressor::new`]; a larger output is refused as an error.
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
        let last_use: Box<[u32; 1 << 16]> =
            vec![0u32; 1 << 16].into_boxed_slice().try_into().ok()?;
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
            x86: X86Targets {
                last_use,
                base: X86_TARGET_RESET_BASE,
            },
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
        st.builder.failed = false;
        st.reset(output.len());
        st.decode_items(input, output)?;
        if st.builder.failed {
            return Err(DecompressError::new(
                "LZMS Huffman table could not be built",
            ));
        }
        undo_x86_filter(output, &mut st.x86);
        Ok(())
    }
}

impl State {
    /// Out of line: inlined, it changed how the decode loop below was
    /// compiled (3% more instructions on the solid corpus).
    #[inline(never)]
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

        // Bit-model states: the last decisions in each family.
        let mut match_state = 0usize;
        let mut delta_state = 0usize;
        let mut lz_rep_state = 0usize;
        let mut lz_rep_states = [0usize; 2];
        let mut delta_rep_state = 0usize;
        let mut delta_rep_states = [0usize; 2];

        while pos < end {
            // Runs of literals get their own loop, which keeps the match
            // path's index arithmetic out of it.
            while self.is_match.decode(&mut match_state, &mut rd) == 0 {
                bits.ensure(MAX_CODEWORD_LEN as u32);
                let sym = self.literal.decode(&mut bits, &mut self.builder);
                out[pos] = sym as u8;
                pos += 1;
                if pos == end {
                    return Ok(());
                }
            }

            if self.is_delta.decode(&mut delta_state, &mut rd) == 0 {
                // LZ match.
                if lz_pending != 0 && pos != lz_pending_end {
                    queue_push(&mut lz_recent, lz_pending);
                    lz_pending = 0;
                }
                let offset = if self.lz_is_rep.decode(&mut lz_rep_state, &mut rd) == 0 {
                    bits.ensure(MAX_CODEWORD_LEN as u32 + 30);
                    let slot = self.lz_offset.decode(&mut bits, &mut self.builder);
                    OFFSET_BASE[slot] + bits.take(OFFSET_EXTRA[slot] as u32)
                } else if self.lz_rep[0].decode(&mut lz_rep_states[0], &mut rd) == 0 {
                    queue_take(&mut lz_recent, 0)
                } else if self.lz_rep[1].decode(&mut lz_rep_states[1], &mut rd) == 0 {
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
                let pair = if self.delta_is_rep.decode(&mut delta_rep_state, &mut rd) == 0 {
                    bits.ensure(MAX_CODEWORD_LEN as u32);
                    let power = self.delta_power.decode(&mut bits, &mut self.builder) as u64;
                    bits.ensure(MAX_CODEWORD_LEN as u32 + 30);
                    let slot = self.delta_offset.decode(&mut bits, &mut self.builder);
                    let raw = OFFSET_BASE[slot] + bits.take(OFFSET_EXTRA[slot] as u32);
                    (power << 32) | raw as u64
                } else if self.delta_rep[0].decode(&mut delta_rep_states[0], &mut rd) == 0 {
                    queue_take(&mut delta_recent, 0)
                } else if self.delta_rep[1].decode(&mut delta_rep_states[1], &mut rd) == 0 {
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
                copy_delta_match(out, pos, offset as usize, span, length);
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

/// Copies a delta match whose bounds were checked: `offset + span <= pos`
/// and `pos + length <= out.len()`.
#[inline(never)]
fn copy_delta_match(out: &mut [u8], pos: usize, offset: usize, span: usize, length: usize) {
    for i in pos..pos + length {
        out[i] = out[i - offset]
            .wrapping_add(out[i - span])
            .wrapping_sub(out[i - offset - span]);
    }
}

// ---------------------------------------------------------------------------
// x86 filter

/// How far after a likely x86 instruction further translations are trusted.
const X86_MAX_TRANSLATION_OFFSET: i32 = 1023;
/// Two uses of one target within this many bytes mark likely x86 code.
const X86_ID_WINDOW: i32 = 65535;

/// Bytes the candidate scan looks at per step (it reads one more).
const X86_SCAN: usize = 16;

/// A bit for each of the first 16 bytes of `w` (`data[p..p + 17]`) that
/// may start an instruction the filter acts on, judged by the byte and the
/// one after it; the lowest bit set is the first such byte, and 0 says there
/// is none. (Bits above the lowest may be missing or false: the caller
/// looks again after each site.) The bytes are E8 and E9 (CALL, and JMP
/// which is skipped), FF 15, F0 83, and 48 or 4C followed by 8B or 8D. A
/// byte found may still not qualify, which costs only the exact check, but
/// none that qualifies is passed over; most 48 and FF bytes in code do not,
/// so pairing them with the next byte skips them here.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn x86_candidates16(w: &[u8; X86_SCAN + 1]) -> u32 {
    use core::arch::x86_64::*;
    // SAFETY: SSE2 is part of x86-64, so every intrinsic here is available;
    // the two loads read 16 bytes each inside `w`, which has 17 (from byte 0
    // and from byte 1), and `loadu` has no alignment requirement.
    unsafe {
        let p = w.as_ptr();
        let b = _mm_loadu_si128(p.cast::<__m128i>());
        let next = _mm_loadu_si128(p.add(1).cast::<__m128i>());
        let splat = |x: u8| _mm_set1_epi8(x as i8);
        let eq = |x: __m128i, v: u8| _mm_cmpeq_epi8(x, splat(v));
        let masked = |x: __m128i, keep: u8, v: u8| eq(_mm_and_si128(x, splat(keep)), v);
        let call_or_jmp = masked(b, 0xFE, 0xE8);
        let rex = _mm_and_si128(masked(b, 0xFB, 0x48), masked(next, 0xF9, 0x89));
        let call_indirect = _mm_and_si128(eq(b, 0xFF), eq(next, 0x15));
        let lock = _mm_and_si128(eq(b, 0xF0), eq(next, 0x83));
        let any = _mm_or_si128(
            _mm_or_si128(call_or_jmp, rex),
            _mm_or_si128(call_indirect, lock),
        );
        _mm_movemask_epi8(any) as u32
    }
}

/// As the x86-64 version, with wasm's 128-bit SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn x86_candidates16(w: &[u8; X86_SCAN + 1]) -> u32 {
    use core::arch::wasm32::*;
    // SAFETY: both loads read 16 bytes inside `w`, which has 17 (from byte
    // 0 and from byte 1); wasm loads have no alignment requirement.
    let (b, next) = unsafe {
        let p = w.as_ptr();
        (
            v128_load(p.cast::<v128>()),
            v128_load(p.add(1).cast::<v128>()),
        )
    };
    let eq = |x: v128, v: u8| u8x16_eq(x, u8x16_splat(v));
    let masked = |x: v128, keep: u8, v: u8| eq(v128_and(x, u8x16_splat(keep)), v);
    let call_or_jmp = masked(b, 0xFE, 0xE8);
    let rex = v128_and(masked(b, 0xFB, 0x48), masked(next, 0xF9, 0x89));
    let call_indirect = v128_and(eq(b, 0xFF), eq(next, 0x15));
    let lock = v128_and(eq(b, 0xF0), eq(next, 0x83));
    let any = v128_or(v128_or(call_or_jmp, rex), v128_or(call_indirect, lock));
    u8x16_bitmask(any) as u32
}

/// Portable version: the same test on eight bytes at a time in a `u64`.
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
#[inline(always)]
fn x86_candidates16(w: &[u8; X86_SCAN + 1]) -> u32 {
    x86_candidates16_swar(w)
}

/// The scan on eight bytes at a time in a `u64` (SWAR); kept compiled on
/// every target so that the tests compare it with the SIMD versions.
#[cfg_attr(
    any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
#[inline(always)]
fn x86_candidates16_swar(w: &[u8; X86_SCAN + 1]) -> u32 {
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[at..at + 8]);
        u64::from_le_bytes(b)
    };
    // Only the first mark of each half is certain (see `x86_candidates`).
    let first = |marks: u64, half: u32| match marks {
        0 => 0,
        m => 1u32 << (half + m.trailing_zeros() / 8),
    };
    match first(x86_candidates(word(0), word(1)), 0) {
        0 => first(x86_candidates(word(8), word(9)), 8),
        m => m,
    }
}

/// Marks (high bit of each byte) the bytes of `w`, eight little-endian
/// bytes of data, that may start an instruction the filter acts on (see
/// [`x86_candidates16`]), judged by each byte and the one after it
/// (`next` holds the same bytes shifted by one). Marks may be false above a
/// true one (the zero-byte test borrows upwards), never below it.
#[inline(always)]
fn x86_candidates(w: u64, next: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit set in every zero byte (and possibly in bytes above one).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let call_or_jmp = zero_bytes((w & !ONES) ^ (0xE8 * ONES));
    let rex = zero_bytes((w & !(0x04 * ONES)) ^ (0x48 * ONES))
        & zero_bytes((next & !(0x06 * ONES)) ^ (0x89 * ONES));
    let call_indirect = zero_bytes(w ^ (0xFF * ONES)) & zero_bytes(next ^ (0x15 * ONES));
    let lock = zero_bytes(w ^ (0xF0 * ONES)) & zero_bytes(next ^ (0x83 * ONES));
    call_or_jmp | rex | call_indirect | lock
}

/// Where each 16-bit target was last used, for the x86 filter.
///
/// The format starts every chunk with all targets unused. Rather than clear
/// 256 KiB per chunk, positions are stored as `base + position`, and `base`
/// moves past the previous chunk plus a full window, so older entries always
/// look out of the window. The table is cleared only when `base` would
/// overflow.
struct X86Targets {
    last_use: Box<[u32; 1 << 16]>,
    base: u32,
}

/// First base after a clear: zero entries are then a full window away.
const X86_TARGET_RESET_BASE: u32 = X86_ID_WINDOW as u32 + 1;

impl X86Targets {
    /// Returns the base for a chunk of `size` (at most 1 GiB) bytes.
    fn start_chunk(&mut self, size: usize) -> u32 {
        let span = size as u64 + X86_TARGET_RESET_BASE as u64;
        if self.base as u64 + 2 * span > u32::MAX as u64 {
            self.last_use.fill(0);
            self.base = X86_TARGET_RESET_BASE;
        }
        let base = self.base;
        self.base += span as u32;
        base
    }
}

/// Undoes the compressor's x86 translation in place.
///
/// The compressor ran the same scan over the original data, turning each
/// qualifying 32-bit displacement into `displacement + position`; we
/// subtract the position back. Whether a site qualifies depends on earlier
/// sites (positions and 16-bit targets), which are the same on both sides
/// because the target is computed from the relative form here and the
/// absolute form there. No site starts in the first byte or in the last 16,
/// which also keeps every read below inside the buffer.
fn undo_x86_filter(data: &mut [u8], targets: &mut X86Targets) {
    let size = data.len();
    if size <= 17 {
        return;
    }
    let base = targets.start_chunk(size);
    let last_use = &mut *targets.last_use;
    let mut last_x86_pos = -X86_MAX_TRANSLATION_OFFSET - 1;
    let limit = size - 16;
    let mut p = 1usize;
    while p < limit {
        // Skip 16 bytes at a time to the next possible site; p < limit
        // leaves at least 17 bytes to read.
        let Some(w) = data
            .get(p..)
            .and_then(|d| d.first_chunk::<{ X86_SCAN + 1 }>())
        else {
            break; // not reached
        };
        let marks = x86_candidates16(w);
        // Moving on by a constant when there is nothing (most of the time)
        // keeps the next load off this one's result.
        if marks == 0 {
            p += X86_SCAN;
            continue;
        }
        p += marks.trailing_zeros() as usize;
        if p >= limit {
            break;
        }
        // Decide whether this is a translated site with flags rather than
        // branches: candidate bytes are common in code and the outcome is
        // hard to predict.
        let (b, b1, b2) = (data[p], data[p + 1], data[p + 2]);
        // CALL rel32. It is so common in any data that it needs closer
        // evidence of code (half the usual distance).
        let call = b == 0xE8;
        // CALL [rip+disp32].
        let call_indirect = (b == 0xFF) & (b1 == 0x15);
        // LOCK ADD [rip+disp32], imm8.
        let lock_add = (b == 0xF0) & (b1 == 0x83) & (b2 == 0x05);
        // REX.W(R) LEA or MOV with ModR/M r/m = 101 (the format ignores the
        // mod bits); MOV also wants no REX.R and a small reg field.
        let rex_rip = ((b & 0xFB) == 0x48)
            & ((b2 & 0x07) == 0x05)
            & ((b1 == 0x8D) | ((b1 == 0x8B) & (b & 0x04 == 0) & (b2 & 0xF0 == 0)));
        let opcode_len =
            call as usize | ((call_indirect as usize) << 1) | (3 * (lock_add | rex_rip) as usize);
        if opcode_len == 0 {
            // JMP rel32 is skipped with its operand, untranslated.
            p += if b == 0xE9 { 5 } else { 1 };
            continue;
        }
        let max_offset = if call {
            X86_MAX_TRANSLATION_OFFSET >> 1
        } else {
            X86_MAX_TRANSLATION_OFFSET
        };
        let i = p as i32;
        let d = p + opcode_len;
        let mut disp = [0u8; 4];
        disp.copy_from_slice(&data[d..d + 4]);
        let mut value = u32::from_le_bytes(disp);
        if i - last_x86_pos <= max_offset {
            value = value.wrapping_sub(i as u32);
        }
        data[d..d + 4].copy_from_slice(&value.to_le_bytes());
        let target = (i as u32).wrapping_add(value) as u16 as usize;
        let site_end = i + opcode_len as i32 + 3;
        let stamp = base + site_end as u32;
        if stamp - last_use[target] <= X86_ID_WINDOW as u32 {
            last_x86_pos = site_end;
        }
        last_use[target] = stamp;
        p = d + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::Rng;

    // ---- Test helpers

    /// The data behind `SAMPLE_LZMS`: text, x86-like code whose call and
    /// RIP-relative targets repeat (so the compressor's x86 filter rewrites
    /// them), 16- and 32-bit ramps (which it codes with delta matches), and
    /// noise.
    fn sample_data() -> Vec<u8> {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        const WORDS: [&str; 12] = [
            "the", "chunk", "offset", "length", "match", "literal", "range", "code", "window",
            "stream", "symbol", "delta",
        ];
        let mut out = Vec::new();
        while out.len() < 2500 {
            out.extend_from_slice(WORDS[rng.below(12)].as_bytes());
            out.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
        }
        const TARGETS: [u32; 4] = [0x1234, 0x2345, 0x40, 0x7788];
        while out.len() < 5000 {
            let target = TARGETS[rng.below(4)];
            let (opcode, imm): (&[u8], bool) = match rng.next() % 6 {
                0 => (&[0xE8], false),
                1 => (&[0x48, 0x8D, 0x05], false),
                2 => (&[0x48, 0x8B, 0x05], false),
                3 => (&[0xFF, 0x15], false),
                4 => (&[0xF0, 0x83, 0x05], true),
                _ => {
                    let filler = [0x55, 0x48, 0x89, 0xE5, 0x90, 0xC3];
                    out.extend_from_slice(&filler[..rng.below(6) + 1]);
                    continue;
                }
            };
            out.extend_from_slice(opcode);
            let after = out.len() as u32 + 4 + imm as u32;
            out.extend_from_slice(&target.wrapping_sub(after).to_le_bytes());
            if imm {
                out.push(1);
            }
        }
        for i in 0..600u32 {
            out.extend_from_slice(&((i * 5 + 7) as u16).to_le_bytes());
        }
        for i in 0..300u32 {
            out.extend_from_slice(&i.wrapping_mul(0x0102_0305).to_le_bytes());
        }
        for _ in 0..300 {
            out.push(rng.next() as u8);
        }
        out
    }

    /// `sample_data()` (7701 bytes) as compressed by wimlib-imagex 1.13.5
    /// (`capture --compress=lzms --chunk-size=32K`): the one chunk of that
    /// file's resource. It uses literals, LZ and delta matches with explicit
    /// and repeated offsets, and x86 translations of every kind.
    const SAMPLE_LZMS: &str = "
        3300df795c4b9697863b670dc37d3c15f01fe0c5821e3db9d09d5e62f38e464d033e7a6a805c2ab1df020642730ca0db
        30dae2c2a24db2dd138989361e07c9edd6223617334c05ee3ae48250edad85e1f0c49faf62cc9d7233b5de985c432508
        36915acf8d6c8a729ece000000000000ffe426bbb483416105ba5826065a780aadf866d786bd757f7f9636b9117ff49f
        03e222d380b9a47edfdc0436f792fb965850edd8185c5e3c9fa2bd2d2bc29963b8bb8464951719e848dfcc0a9157d2e5
        2f710f8a3c958878ff651994706260f9e478cb4575676fac0e046a68b307793d9ecd178c165a2cc9f2eb5715a2dfecc3
        8e74df57aea79883c4e957e6c57fae9f4f7f962000360462d9a091b0324ead17d6c56de88b5f4db8fd0d27a8384a5666
        56d596bfea369d65a0bf3fee66321e10f1355ff452d9bc8f6f7f80e5e0d5518a50f935b0140ed7cac127e2189fb46c5e
        30dd73ace137f42ea9d46ebdc2f361b44268c157ecbd17118683847a103499299068c79e70a9965656dbacd798423a50
        9f1d61fc0ef3072f11c4d1e21cb5cc4ccd47d6586487fcb15529d48d253fe6193ee3ab7dc68754866ff475e0d2775387
        df9a57cb3e68eef4f9790a1018c059a3b3fb9b7e9b7fd37f334bdfcd20fd008300f018807d9dcf0b03c081e9f020ced0
        b131993a957d79ad83387657634ce3126135a6dbd93fd2de7825f5e4af4a003663c6d979693498b7c30856b46865f6d8
        e51305c3ab59f8ee2cdad2ab26dd2ae608cd59b093de9bc50ab8f1355669c7d14bf32446c7466ea25deb74639919b583
        efa293d7823fa4a35c68314d3bb476c05d3ce9da0c63d3cb393498cb5384fe0131a7d36240af5e8aebbc49f84030520b
        a81d602d21a7d631a23f123f5636c76606d46cbb36cfb92c76e90a38146a16b7b172278d35156df39dc66cabd6c6aeb3
        9aa616c98b2527d414bd246ef3acb355f7e22af7c0b7ef6e4330b4737c8e494c7ef4eea33b6b9e3575ce7d6f76668d82
        b7e56ab81361d08c8f06bdd9b3367283a911ba3175ccab1a09cf82db58bfb782cedbcbe8db5e33901d16639676690533
        b8d6e12fe6c2e1470ba0ab86bfa16e85fcb24d6d118d6fc36d26c66727d96d53d086b7e3eda69be5f01084c193fee9ac
        77b853e751b13935b9cefd091b373b8735ad6641c55ea614b9cc5d09457be69e17237901aa21166b891577d3e02b98cd
        b909b32659ecd10ea628b4bda3627c7a696ab9cdf9d67a9bd427f3e8ceb45e175b1a393eb1e98a22af473b8ad650c3f9
        dd249b656ad5eed4fcaa4dc4808bf9efe65a6cd8cd35832dd62946c41bcb970db1dd4a8ccdcfa918a4199a1f6a3321c6
        96da712f865b488de40b7a25bec9d5af66592ca3e5d202c0d974ab09af375b416c2610ba262916548ece1cefd06d2506
        bc9b5c2f6dd3ebb9195231a8727c768ddc5631de266a92e5546a966a1a53b1a272906e19ab1e56d59f8eab569f3b975d
        477ab29383e8d7cc0cd2aba3440bb8d2123622592a032deb579e7801e458312d09166cce6ce29d20e652f15f49b45880
        225555233e058b48005550a7e2dfba03b4869749212c2382123a6479225295955186516c83450fa88408610583f00000
        197a058d485f4d7fc6150d5be33463df90ae24366f16b70066597b66d6100968c39091434ec60ccdecbac86928d44686
        a15c73e5b1d38331ad49f460b888ca5e63b579eee1561bf4ebebda46f0b8834f1e841912f99a30ccf06173c3b2d6386a
        cdbe0673d3d8d9f89e6cbfcdbe09c103dff530bad5b0a9e09fe72e3becde8fb0bdf90d9ef8106c87fc3c1ce6a015ff68
        fb897277b533a168d73d4c8ed6b202c6e7b7717b0916717089c313ff1957a308aa75dbf83df583664dd14e66c8594fc9
        cf7533ace1360345fa0b6c50857f7776b80d9bbaf7bec1de7e8b82bd5c8b19161755e9ed518f7f3f65cef2aa2d17d464
        d0a237d182077c657a49dc5e5627c3fdcd89d430f58258d4e45c317ba3b5226a9a5e420d21fdd044859e5915bc575600
        1542b7f6b85843e935afe6dccc4d8ea1c142b3a067c619c8ef9d418d6043679f82995b132a7c22c5b6829e5b731393dc
        e12d6b6405f517abe84ca247a95627c659852cb1605a3f3743c76a3337f9cd3acf66836a8a9ad9253d6ac24fa8971b7f
        a0bcd1569b13f3aa56320b6678667d7e20b5e37a070c1e725632c38861976a6facb9a909c337bdd062806a1d43ebdd80
        9b71cc143635438dd85535d56a6c625fdd869c9c994266552da9e29f59b652b3b8e1297615832ee85b8de35629265985
        106686284758052dce32343a6d4e108d6326dc1045a33b732bab86e9488c4d858d235dd99c99d99bc61626574697c6a6
        b5cc2a2ab0bd89b5e55542ccceb98c24da185d581b48181d5b1999165c73ab43d38065646f6320776f646e6977206567
        6e61720a6d6165727473
    ";

    fn sample_chunk() -> Vec<u8> {
        let digits: Vec<u8> = SAMPLE_LZMS.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn decode(
        d: &mut LzmsDecompressor,
        input: &[u8],
        size: usize,
    ) -> Result<Vec<u8>, DecompressError> {
        let mut out = vec![0xAA; size];
        d.decompress(input, &mut out).map(|()| out)
    }

    // ---- Tables

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn slot_tables_end_at_format_limits() {
        // Maximum offset 1180427428 and length 1073809578, each plus one.
        assert_eq!(OFFSET_BASE[MAX_OFFSET_SYMS], 0x465B_E4A5);
        assert_eq!(OFFSET_BASE[MAX_OFFSET_SYMS - 1], 0x065B_E4A5);
        assert_eq!(OFFSET_BASE[9], 0xD);
        assert_eq!(OFFSET_BASE[100], 0x20A5);
        assert_eq!(LENGTH_BASE[NUM_LENGTH_SYMS], 0x4001_08AB);
        assert_eq!(LENGTH_BASE[27], 0x1D);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn offset_slot_counts() {
        assert_eq!(num_offset_slots(0), 2);
        assert_eq!(num_offset_slots(5), 4);
        for size in [32768usize, 131072, 1 << 26, 1 << 30] {
            let n = num_offset_slots(size);
            let largest = size as u32 - 1;
            assert!(OFFSET_BASE[n - 1] <= largest && OFFSET_BASE[n] > largest);
        }
    }

    /// Every code built from positive frequencies must be complete, at most
    /// 15 bits long, give shorter codewords to more frequent symbols, and its
    /// table must decode each canonical codeword to its symbol.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn huffman_codes_are_complete_and_decode() {
        let mut rng = Rng(7);
        let mut builder = CodeBuilder::new();
        let mut table = vec![0u32; table_size(7, MAX_SYMS)];
        for round in 0..400 {
            let n = match round % 4 {
                0 => 2 + rng.below(10),
                1 => NUM_LENGTH_SYMS,
                2 => NUM_LITERAL_SYMS,
                _ => 2 + rng.below(MAX_SYMS - 1),
            };
            // Skewed frequencies in the range adaptive codes reach.
            let freqs: Vec<u32> = (0..n)
                .map(|_| {
                    let r = rng.next();
                    1 + ((r % 2050) >> (r >> 60)) as u32
                })
                .collect();
            let table_bits = if round % 2 == 0 { OFFSET_TABLE_BITS } else { 7 };
            builder.build(&freqs, table_bits, &mut table);
            let lens = &builder.lens[..n];
            let kraft: u64 = lens.iter().map(|&l| 1u64 << (15 - l)).sum();
            assert_eq!(kraft, 1 << 15, "incomplete code, round {round}");
            assert!(lens.iter().all(|&l| (1..=15).contains(&l)));
            for a in 0..n {
                for b in 0..n {
                    if freqs[a] > freqs[b] {
                        assert!(lens[a] <= lens[b]);
                    }
                }
            }
            // Canonical codewords, then look each one up.
            let mut next_code = [0u32; 17];
            let mut count = [0u32; 16];
            for &l in lens {
                count[l as usize] += 1;
            }
            for l in 1..=15 {
                next_code[l + 1] = (next_code[l] + count[l]) << 1;
            }
            for (sym, &l) in lens.iter().enumerate() {
                let code = next_code[l as usize];
                next_code[l as usize] += 1;
                let buf = (code as u64) << (64 - l);
                let tb = table_bits;
                let mut entry = table[(buf >> (64 - tb)) as usize];
                if entry & huffman::SUBTABLE != 0 {
                    entry = huffman::second_level(&table, tb, buf, entry);
                }
                assert_eq!(entry & 31, l as u32);
                assert_eq!((entry >> 16) as usize, sym);
            }
        }
    }

    /// The textbook construction, one pick at a time, with wimlib's length
    /// limit: what `compute_lengths` must give exactly (the decoder's codes
    /// must be the compressor's).
    fn reference_lengths(freqs: &[u32]) -> Vec<u8> {
        let n = freqs.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&s| (freqs[s], s));
        let (mut weight, mut parent) = (vec![0u32; n], vec![0usize; n]);
        let (mut leaf, mut node) = (0, 0);
        for new in 0..n - 1 {
            for _ in 0..2 {
                let take_leaf = leaf < n && (node == new || freqs[order[leaf]] <= weight[node]);
                if take_leaf {
                    weight[new] += freqs[order[leaf]];
                    leaf += 1;
                } else {
                    weight[new] += weight[node];
                    parent[node] = new;
                    node += 1;
                }
            }
        }
        let mut counts = [0u32; 16];
        counts[1] = 2;
        let mut depth = vec![0usize; n];
        for node in (0..n - 2).rev() {
            depth[node] = depth[parent[node]] + 1;
            let mut len = depth[node];
            if len >= 15 {
                len = 14;
                while len > 1 && counts[len] == 0 {
                    len -= 1;
                }
            }
            counts[len] -= 1;
            counts[len + 1] += 2;
        }
        let mut lens = vec![0u8; n];
        let mut at = 0;
        for len in (1..=15).rev() {
            for _ in 0..counts[len] {
                lens[order[at]] = len as u8;
                at += 1;
            }
        }
        lens
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn lengths_match_the_textbook_construction() {
        let mut rng = Rng(0x1E4);
        let mut builder = CodeBuilder::new();
        let mut fib = vec![1u32, 1];
        while fib.len() < 30 {
            fib.push(fib[fib.len() - 1] + fib[fib.len() - 2]);
        }
        let mut limited = 0;
        for round in 0..3000 {
            let n = match round % 5 {
                0 => 2 + rng.below(10),
                1 => NUM_LENGTH_SYMS,
                2 => NUM_LITERAL_SYMS,
                3 => 2 + rng.below(MAX_SYMS - 1),
                _ => 2 + rng.below(40),
            };
            let freqs: Vec<u32> = (0..n)
                .map(|i| match round % 4 {
                    // Few distinct values: many ties between leaves and nodes.
                    0 => 1 + rng.below(3) as u32,
                    // Near-Fibonacci growth: deep trees, the length limit.
                    // (Sums stay under 2^22, as the builder needs.)
                    1 if n <= 41 => fib[i % 30] + rng.below(2) as u32,
                    _ => {
                        let r = rng.next();
                        1 + ((r % 2050) >> (r >> 60)) as u32
                    }
                })
                .collect();
            builder.compute_lengths(&freqs);
            assert_eq!(builder.lens[..n], reference_lengths(&freqs), "{freqs:?}");
            limited += (builder.node_depth[0] as usize >= MAX_CODEWORD_LEN) as u32;
        }
        assert!(limited > 50, "{limited} trees needed the length limit");
    }

    /// The start-of-chunk tables written directly are the builder's.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn uniform_tables_match_the_builder() {
        let mut builder = CodeBuilder::new();
        let size = table_size(7, MAX_SYMS);
        let (mut built, mut direct) = (vec![0u32; size], vec![0u32; size]);
        let ones = [1u32; MAX_SYMS];
        let mut written = 0;
        for tb in [
            POWER_TABLE_BITS,
            LENGTH_TABLE_BITS,
            OFFSET_TABLE_BITS,
            LITERAL_TABLE_BITS,
        ] {
            for n in 2..=MAX_SYMS {
                builder.build(&ones[..n], tb, &mut built);
                direct.fill(0xDEAD);
                if uniform_table(n, tb, &mut direct) {
                    assert_eq!(
                        direct[..1 << tb],
                        built[..1 << tb],
                        "{n} symbols, {tb} bits"
                    );
                    assert!(direct[1 << tb..].iter().all(|&e| e == 0xDEAD));
                    written += 1;
                } else {
                    assert!(direct.iter().all(|&e| e == 0xDEAD));
                    assert!(builder.lens[..n].iter().any(|&l| l as u32 > tb));
                }
            }
        }
        assert!(!builder.failed);
        // A width of b bits covers up to 2^b symbols.
        assert_eq!(written, 127 + 255 + 511 + 798);
    }

    /// Frequencies that grow like Fibonacci numbers make a tree deeper than
    /// 15 levels; the length limit must still give a complete code.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn deep_trees_are_limited_to_15_bits() {
        let mut builder = CodeBuilder::new();
        let mut table = vec![0u32; table_size(LITERAL_TABLE_BITS, NUM_LITERAL_SYMS)];
        let mut freqs = vec![1u32, 1];
        while freqs.len() < 24 {
            let next = freqs[freqs.len() - 1] + freqs[freqs.len() - 2];
            freqs.push(next);
        }
        for n in [16, 17, 18, 20, 24] {
            builder.build(&freqs[..n], LITERAL_TABLE_BITS, &mut table);
            let lens = &builder.lens[..n];
            assert!(lens.iter().all(|&l| (1..=15).contains(&l)));
            let kraft: u64 = lens.iter().map(|&l| 1u64 << (15 - l)).sum();
            assert_eq!(kraft, 1 << 15);
        }
        // 24 such weights would need 23 levels; the limit was reached.
        assert!(builder.lens[..24].iter().filter(|&&l| l == 15).count() >= 2);
    }

    // ---- Real data

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decodes_wimlib_sample() {
        let chunk = sample_chunk();
        let expected = sample_data();
        assert_eq!(chunk.len(), 1738);
        assert_eq!(expected.len(), 7701);
        let mut d = LzmsDecompressor::new(32768).unwrap();
        // Twice, and after a failed chunk: nothing may carry over.
        assert_eq!(decode(&mut d, &chunk, expected.len()).unwrap(), expected);
        let _ = decode(&mut d, &chunk[..1000], 30000);
        assert_eq!(decode(&mut d, &chunk, expected.len()).unwrap(), expected);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn sample_exercises_the_x86_filter() {
        // The filter changes this data, so the decode above checks it.
        let mut data = sample_data();
        let original = data.clone();
        let d = LzmsDecompressor::new(32768).unwrap();
        let mut state = d.state;
        undo_x86_filter(&mut data, &mut state.x86);
        assert_ne!(data, original);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn x86_table_survives_many_chunks() {
        // Enough chunks to wrap the target-table base several times.
        let mut targets = X86Targets {
            last_use: vec![0u32; 1 << 16].into_boxed_slice().try_into().unwrap(),
            base: X86_TARGET_RESET_BASE,
        };
        let reference = {
            let mut data = sample_data();
            let mut fresh = X86Targets {
                last_use: vec![0u32; 1 << 16].into_boxed_slice().try_into().unwrap(),
                base: X86_TARGET_RESET_BASE,
            };
            undo_x86_filter(&mut data, &mut fresh);
            data
        };
        for round in 0..40 {
            // Big chunks push the base towards overflow, quickly.
            let _ = targets.start_chunk(1 << 28);
            let mut data = sample_data();
            undo_x86_filter(&mut data, &mut targets);
            assert_eq!(data, reference, "round {round}");
        }
    }

    /// The scan finds the first byte that the exact test could accept, and
    /// passes over none (the SWAR form may stop early, never late).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn x86_scan_finds_the_first_candidate() {
        let may_start = |b: u8, b1: u8| {
            (b & 0xFE) == 0xE8
                || ((b & 0xFB) == 0x48 && (b1 & 0xF9) == 0x89)
                || (b == 0xFF && b1 == 0x15)
                || (b == 0xF0 && b1 == 0x83)
        };
        let mut rng = Rng(0x86);
        // Bytes from the opcode alphabet, so most windows hold several.
        const ALPHABET: [u8; 16] = [
            0xE8, 0xE9, 0xEA, 0x48, 0x4C, 0x4D, 0x8B, 0x8D, 0x89, 0x8F, 0xFF, 0x15, 0xF0, 0x83,
            0x00, 0x05,
        ];
        for round in 0..20000 {
            let mut w = [0u8; X86_SCAN + 1];
            for b in w.iter_mut() {
                *b = if round % 3 == 0 {
                    rng.next() as u8
                } else {
                    ALPHABET[rng.below(16)]
                };
            }
            // Fewer candidates further on: clear a random prefix.
            let clear = rng.below(X86_SCAN + 1);
            w[..clear].fill(0x90);
            let exact = (0..X86_SCAN)
                .find(|&i| may_start(w[i], w[i + 1]))
                .unwrap_or(X86_SCAN);
            let first = |m: u32| (m | 1 << X86_SCAN).trailing_zeros() as usize;
            assert_eq!(first(x86_candidates16(&w)), exact, "{w:02x?}");
            assert!(first(x86_candidates16_swar(&w)) <= exact, "{w:02x?}");
        }
    }

    // ---- Errors and hostile input

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn sizes_outside_the_limits() {
        assert!(LzmsDecompressor::new(0).is_none());
        assert!(LzmsDecompressor::new(MAX_CHUNK_SIZE + 1).is_none());
        assert!(LzmsDecompressor::new(u32::MAX).is_none());
        assert!(LzmsDecompressor::new(MAX_CHUNK_SIZE).is_some());
        let mut d = LzmsDecompressor::new(1000).unwrap();
        assert!(decode(&mut d, &[0; 100], 1001).is_err());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn malformed_framing_is_rejected() {
        let mut d = LzmsDecompressor::new(65536).unwrap();
        for len in 0..4 {
            assert!(decode(&mut d, &vec![0; len], 10).is_err());
        }
        assert!(decode(&mut d, &[0; 5], 10).is_err());
        let chunk = sample_chunk();
        assert!(decode(&mut d, &chunk[..chunk.len() - 1], 7701).is_err());
        // Nothing to produce: fine, as in wimlib.
        assert!(decode(&mut d, &[0; 4], 0).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn wrong_sizes_and_truncation_do_not_panic() {
        let chunk = sample_chunk();
        let mut d = LzmsDecompressor::new(65536).unwrap();
        // Whatever the result, each call returns.
        for size in [1, 2, 3, 17, 18, 100, 7700, 7702, 8000, 65536] {
            let _ = decode(&mut d, &chunk, size);
        }
        for cut in (4..chunk.len()).step_by(2) {
            let _ = decode(&mut d, &chunk[..cut], 7701);
        }
        // (A shorter output is not a prefix: the offset codes' size follows
        // the chunk size, so the whole decode changes.)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn mutated_chunks_do_not_panic() {
        let chunk = sample_chunk();
        let expected = sample_data();
        let mut rng = Rng(0xC0FFEE);
        let mut d = LzmsDecompressor::new(65536).unwrap();
        let mut failures = 0;
        for _ in 0..3000 {
            let mut input = chunk.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(input.len());
                match rng.below(3) {
                    0 => input[i] ^= 1 << rng.below(8),
                    1 => input[i] = rng.next() as u8,
                    _ => {
                        let j = rng.below(input.len());
                        input.swap(i, j);
                    }
                }
            }
            let size = if rng.below(4) == 0 {
                rng.below(20000)
            } else {
                expected.len()
            };
            if decode(&mut d, &input, size).is_err() {
                failures += 1;
            }
        }
        // Most damage is caught as a bad match (the rest shows as a SHA-1
        // mismatch in the caller).
        assert!(failures > 0);
        assert_eq!(decode(&mut d, &chunk, expected.len()).unwrap(), expected);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn random_input_does_not_panic() {
        let mut rng = Rng(0x5EED_1234_ABCD);
        let mut d = LzmsDecompressor::new(1 << 20).unwrap();
        let mut out = vec![0u8; 1 << 20];
        for round in 0..3000 {
            let len = 4 + 2 * rng.below(if round % 10 == 0 { 20000 } else { 300 });
            let input: Vec<u8> = match round % 4 {
                // Uniform bytes.
                0 | 1 => (0..len).map(|_| rng.next() as u8).collect(),
                // Mostly zeros or ones: long runs of one decision.
                2 => (0..len)
                    .map(|_| {
                        if rng.below(16) == 0 {
                            rng.next() as u8
                        } else {
                            0
                        }
                    })
                    .collect(),
                _ => (0..len)
                    .map(|_| {
                        if rng.below(16) == 0 {
                            rng.next() as u8
                        } else {
                            0xFF
                        }
                    })
                    .collect(),
            };
            let size = match round % 3 {
                0 => rng.below(64),
                1 => rng.below(70000),
                _ => 1 + rng.below(1 << 20),
            };
            let _ = d.decompress(&input, &mut out[..size]);
        }
    }
}
