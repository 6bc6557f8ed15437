//! Canonical-Huffman decode tables, shared by the three codecs.
//!
//! Owns: checking a set of codeword lengths (Kraft sum), ordering the
//! symbols canonically, filling a two-level lookup table, and looking a
//! codeword up in it. How the lengths are sent (XPRESS's nibbles, LZX's
//! pretree deltas, LZMS's adaptive frequencies) stays with each codec.
//!
//! All three formats use the same canonical rule ([MS-XCA] §2.2 for
//! XPRESS, [MS-PATCH] §2.2 for LZX; LZMS follows it too): codewords are
//! handed out in order of (length, symbol), each one the previous plus one,
//! shifted left whenever the length grows, and read most significant bit
//! first. A decoder can therefore fill its table from the sorted symbol
//! list without ever computing the codewords.
//!
//! Table layout (one `u32` per entry):
//!
//! * leaf: `symbol << 16 | len`, bits 5..16 zero. In the first level `len`
//!   is the codeword's length; in a second-level table it is the length
//!   past the first-level index (see [`lookup`], which adds that back).
//!   Because the bits above the length are zero apart from the symbol, a
//!   reader may shift by and subtract the whole entry (see
//!   `bits::WordBits::take`).
//! * pointer to a second-level table: [`SUBTABLE`] `| start << 16 |
//!   width << 8`, for codewords longer than the first-level index. Its
//!   top bit makes it compare above every leaf, so `entry < 256 << 16`
//!   alone tells a literal leaf of the XPRESS or LZX main code.
//!
//! A second-level table is only as wide as the longest codeword under its
//! prefix needs, which keeps the tables small enough to rebuild per block
//! (LZX) or every few hundred symbols (LZMS).

/// Longest codeword any of the codecs allows (LZX; XPRESS and LZMS stop
/// at 15).
pub const MAX_LEN: u32 = 16;

/// Marks a first-level entry that points to a second-level table.
pub const SUBTABLE: u32 = 1 << 31;

/// Why a set of lengths is not a usable prefix code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// More codewords than the code space holds (Kraft sum above 1).
    Oversubscribed,
    /// Part of the code space unused while some codeword exists (Kraft sum
    /// below 1); some bit strings would decode to nothing.
    Incomplete,
    /// The table given is too small for this code (a sizing error in the
    /// caller, never expected for tables sized with [`table_size`]).
    TableTooSmall,
}

/// Entries a table needs for `num_syms` symbols with codewords of at most
/// `max_len` bits and a first level of `table_bits`. A second-level table
/// of width `b` exists only under a prefix whose codewords form a complete
/// subtree of depth `b`, which has at least `b + 1` leaves; the widest
/// (`b = max_len - table_bits`) spends the most entries per symbol.
pub const fn table_size(table_bits: u32, num_syms: usize, max_len: u32) -> usize {
    if max_len <= table_bits {
        return 1 << table_bits;
    }
    let b = max_len - table_bits;
    let per_symbol = (1usize << b).div_ceil(b as usize + 1);
    (1 << table_bits) + per_symbol * num_syms
}

/// How many codewords have each length, indexed by length (`& 31` keeps
/// the loops free of bounds checks; lengths above 16 are counted in their
/// own slots and rejected by [`build`]).
#[inline]
pub fn count_lengths(lens: &[u8]) -> [u16; 32] {
    let mut count = [0u16; 32];
    for &l in lens {
        count[(l & 31) as usize] += 1;
    }
    count
}

/// Builds the decode table of the canonical code with codeword lengths
/// `lens` (0: symbol unused) into `table`, with a first level of
/// `table_bits` bits. `sorted` is scratch space of at least `lens.len()`
/// entries. The code must be complete; the one exception is a code with no
/// codeword at all, which XPRESS and LZX encoders may send for an alphabet
/// they do not use: its table decodes symbol 0 from zero bits (an all-zero
/// first level), as the reference decoder reads it.
pub fn build(
    table: &mut [u32],
    table_bits: u32,
    lens: &[u8],
    sorted: &mut [u16],
) -> Result<(), CodeError> {
    build_counted(table, table_bits, lens, &count_lengths(lens), sorted)
}

/// [`build`] with the length counts already known (`count[l]` codewords of
/// length `l`, as [`count_lengths`] gives them).
pub fn build_counted(
    table: &mut [u32],
    table_bits: u32,
    lens: &[u8],
    count: &[u16; 32],
    sorted: &mut [u16],
) -> Result<(), CodeError> {
    let tb = table_bits;
    if table.len() < 1 << tb || sorted.len() < lens.len() || lens.len() > u16::MAX as usize {
        return Err(CodeError::TableTooSmall);
    }
    if count[MAX_LEN as usize + 1..].iter().any(|&c| c != 0) {
        return Err(CodeError::Oversubscribed);
    }
    // Kraft sum in units of 2^-16: `left` is the share of the code space
    // still free after all codewords of up to `l` bits.
    let mut left: i32 = 1;
    for &c in &count[1..=MAX_LEN as usize] {
        left = (left << 1) - c as i32;
        if left < 0 {
            return Err(CodeError::Oversubscribed);
        }
    }
    if left != 0 {
        if left == 1 << MAX_LEN {
            table[..1 << tb].fill(0);
            return Ok(());
        }
        return Err(CodeError::Incomplete);
    }

    // Counting sort by (length, symbol). Unused symbols sort first and are
    // skipped afterwards: sorting them too saves a branch per symbol.
    let mut offs = [0u16; 32];
    for l in 1..=MAX_LEN as usize {
        offs[l] = offs[l - 1] + count[l - 1];
    }
    for (sym, &l) in lens.iter().enumerate() {
        let o = &mut offs[(l & 31) as usize];
        if let Some(s) = sorted.get_mut(*o as usize) {
            *s = sym as u16;
        }
        *o += 1;
    }
    let sorted = &sorted[count[0] as usize..lens.len()];

    // Codewords no longer than the first level: in canonical order each
    // owns the next 2^(tb - len) entries, so this is one sweep, length by
    // length (the run is the same for all codewords of one length).
    let mut i = 0;
    let mut fill = 0usize;
    for l in 1..=tb.min(MAX_LEN) {
        let c = count[l as usize] as usize;
        let run = 1usize << (tb - l);
        // Within bounds: `sorted` holds every codeword, and the Kraft sum
        // checked above keeps the runs inside the first level.
        let (Some(syms), Some(entries)) =
            (sorted.get(i..i + c), table.get_mut(fill..fill + c * run))
        else {
            return Err(CodeError::TableTooSmall);
        };
        let entry = |s: u16| ((s as u32) << 16) | l;
        match run {
            1 => {
                for (e, &s) in entries.iter_mut().zip(syms) {
                    *e = entry(s);
                }
            }
            2 => {
                for (e, &s) in entries.chunks_exact_mut(2).zip(syms) {
                    e.copy_from_slice(&[entry(s); 2]);
                }
            }
            _ => {
                // Runs are powers of two: whole 16-byte stores.
                for (e, &s) in entries.chunks_exact_mut(run).zip(syms) {
                    for q in e.chunks_exact_mut(4) {
                        q.copy_from_slice(&[entry(s); 4]);
                    }
                }
            }
        }
        i += c;
        fill += c * run;
    }

    // Longer codewords: the first-level entries left are their prefixes, in
    // increasing order. Each gets a second-level table just wide enough for
    // the codewords under it, placed after the first level.
    let mut remaining = *count;
    let mut next_free = 1usize << tb;
    let mut sub_start = 0usize;
    let mut sub_bits = 0u32;
    let mut sub_fill = 0usize;
    let mut sub_size = 0usize; // 0: no table open
    while i < sorted.len() {
        let sym = sorted[i] as u32;
        let l = lens[sym as usize] as u32;
        if sub_fill == sub_size {
            // Open a table for the next prefix: widen it until the
            // codewords still to place cover it exactly.
            sub_bits = l - tb;
            let mut space = 1i32 << sub_bits;
            loop {
                space -= remaining[((tb + sub_bits) & 31) as usize] as i32;
                if space <= 0 || tb + sub_bits >= MAX_LEN {
                    break;
                }
                sub_bits += 1;
                space <<= 1;
            }
            sub_start = next_free;
            sub_size = 1 << sub_bits;
            sub_fill = 0;
            next_free += sub_size;
            if next_free > table.len() || sub_start >= 1 << 15 || fill >= 1 << tb {
                return Err(CodeError::TableTooSmall);
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

/// The entry for the codeword at the top of `buf` (at least the code's
/// longest codeword must be there), with the full codeword length in its
/// low five bits: a leaf, never a pointer. The first-level index is
/// `TB` bits, so a table of `N >= 2^TB` entries needs no bounds check.
#[inline(always)]
pub fn lookup<const TB: u32, const N: usize>(table: &[u32; N], buf: u64) -> u32 {
    let e = table[(buf >> (64 - TB)) as usize & ((1 << TB) - 1)];
    if e & SUBTABLE == 0 {
        return e;
    }
    second_level(table, TB, buf, e)
}

/// The second-level entry that pointer `e` and the bits after the first
/// `tb` of `buf` select, its length made the full codeword length. Out of
/// line: long codewords are rare, and passing values keeps the caller's
/// bit buffer in registers.
#[inline(never)]
pub fn second_level(table: &[u32], tb: u32, buf: u64, e: u32) -> u32 {
    let width = (e >> 8) & 31;
    let index = ((e >> 16) & 0x7FFF) as usize + ((buf << tb) >> 1 >> (63 - width)) as usize;
    // Only a table not built by `build` could miss; that reads as symbol 0.
    table.get(index).map_or(0, |&s| s + tb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{canonical_codes, Rng};

    /// Every codeword of a random complete code decodes to its symbol with
    /// its length, whatever bits follow it, for several first-level widths.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn random_complete_codes_decode() {
        let mut rng = Rng(0x4855_4646);
        for round in 0..300 {
            let n = 2 + rng.below(300);
            // Split leaves at random until there are n: a complete code.
            let mut lens = vec![1u8, 1];
            while lens.len() < n {
                let k = rng.below(lens.len());
                if lens[k] as u32 >= MAX_LEN {
                    if lens.iter().all(|&l| l as u32 >= MAX_LEN) {
                        break;
                    }
                    continue;
                }
                lens[k] += 1;
                lens.push(lens[k]);
            }
            // Shuffle which symbol has which length, and leave some unused.
            for k in (1..lens.len()).rev() {
                lens.swap(k, rng.below(k + 1));
            }
            for _ in 0..rng.below(20) {
                lens.insert(rng.below(lens.len() + 1), 0);
            }
            let codes = canonical_codes(&lens);
            let tb = 6 + (round % 7) as u32;
            let mut table = vec![0u32; table_size(tb, lens.len(), MAX_LEN)];
            let mut sorted = vec![0u16; lens.len()];
            build(&mut table, tb, &lens, &mut sorted).unwrap();
            let mut t = [0u32; 32768];
            t[..table.len()].copy_from_slice(&table);
            for (sym, &l) in lens.iter().enumerate() {
                if l == 0 {
                    continue;
                }
                let buf = ((codes[sym] as u64) << (64 - l as u32)) | (rng.next() >> l);
                let e = match tb {
                    6 => lookup::<6, 32768>(&t, buf),
                    7 => lookup::<7, 32768>(&t, buf),
                    8 => lookup::<8, 32768>(&t, buf),
                    9 => lookup::<9, 32768>(&t, buf),
                    10 => lookup::<10, 32768>(&t, buf),
                    11 => lookup::<11, 32768>(&t, buf),
                    _ => lookup::<12, 32768>(&t, buf),
                };
                assert_eq!((e >> 16, e & 31), (sym as u32, l as u32), "round {round}");
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bad_codes_are_rejected() {
        let mut table = [0u32; 64];
        let mut sorted = [0u16; 8];
        assert_eq!(
            build(&mut table, 4, &[1, 1, 1], &mut sorted),
            Err(CodeError::Oversubscribed)
        );
        assert_eq!(
            build(&mut table, 4, &[1, 2], &mut sorted),
            Err(CodeError::Incomplete)
        );
        assert_eq!(
            build(&mut table, 4, &[1, 17, 17], &mut sorted),
            Err(CodeError::Oversubscribed)
        );
        // No codeword at all: symbol 0, zero bits.
        table.fill(7);
        assert_eq!(build(&mut table, 4, &[0, 0, 0], &mut sorted), Ok(()));
        assert!(table[..16].iter().all(|&e| e == 0));
        // A first level wider than the table.
        assert_eq!(
            build(&mut table, 7, &[1, 1], &mut sorted),
            Err(CodeError::TableTooSmall)
        );
    }
}
