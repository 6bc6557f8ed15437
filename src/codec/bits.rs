//! Bit readers, shared by the three codecs.
//!
//! Owns the two ways the WIM codecs lay bits out:
//!
//! * [`WordBits`]: 16-bit little-endian words read forwards, each from its
//!   most significant bit down, from the chunk as stored, with whole bytes
//!   allowed between words (XPRESS, [MS-XCA] §2.2). LZX ([MS-PATCH] §2.1.3)
//!   lays its bits out the same way but keeps its own reader over a
//!   byte-swapped copy of the chunk: moved here, it measured slower in wasm
//!   (see the README's decoder benchmark).
//! * [`BackwardBits`]: the same words read from the end of the chunk
//!   towards its start, as LZMS's Huffman and verbatim stream is.
//!
//! Neither reader fails: past the end of its input it reads zero bits (as
//! the reference decoder does); a codec that must tell a truncated stream
//! can ask [`WordBits::pos`] how far the words it loaded reached.

/// Forward reader of 16-bit little-endian words, most significant bit
/// first.
///
/// `buf` holds the next `count & 63` bits at its top. The bits below them
/// may already hold the start of the next word: the same bits a later
/// refill ORs in, so refills need no masking. Only the low six bits of
/// `count` mean anything: [`take`](Self::take) subtracts whole table
/// entries, whose higher bits never borrow into the low six. The struct is
/// `Copy` so a hot loop can keep it in registers.
#[derive(Clone, Copy)]
pub struct WordBits<'a> {
    data: &'a [u8],
    /// Positions before this one have eight readable bytes.
    fast_end: usize,
    /// Byte position just past the words loaded so far; it goes on
    /// counting past the end of the data, where zero words are loaded.
    pos: usize,
    buf: u64,
    count: u32,
}

impl<'a> WordBits<'a> {
    /// A reader of `data`'s words from byte `pos` on.
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        WordBits {
            data,
            fast_end: data.len().saturating_sub(7),
            pos,
            buf: 0,
            count: 0,
        }
    }

    /// Tops the buffer up, in whole words, to 48..=63 bits: enough for two
    /// 16-bit codewords and 16 more bits. `data` is the chunk as stored.
    #[inline(always)]
    pub fn refill(&mut self) {
        let c = self.count & 63;
        if self.pos < self.fast_end {
            let Some(b) = self.data.get(self.pos..).and_then(|d| d.first_chunk::<8>()) else {
                return; // not reached: pos + 8 <= len
            };
            // Four words w0..w3, wanted as w0:w1:w2:w3 from the top bit
            // down; rotating each little-endian 32-bit half swaps its words.
            let hi = u32::from_le_bytes([b[0], b[1], b[2], b[3]]).rotate_left(16);
            let lo = u32::from_le_bytes([b[4], b[5], b[6], b[7]]).rotate_left(16);
            self.buf |= (((hi as u64) << 32) | lo as u64) >> c;
            // Whole words that fit: 3 - c / 16; afterwards 48 + c % 16 bits.
            self.pos += 6 - ((c >> 3) & 6) as usize;
            self.count = c | 48;
        } else {
            // The last few bytes, word by word, then zero words. Inline, like
            // the rest: a call taking `&mut self` would keep the reader out
            // of registers in the caller's loop.
            let mut c = c;
            while c < 48 {
                let w = match self.data.get(self.pos..).and_then(|r| r.first_chunk::<2>()) {
                    Some(w) => u16::from_le_bytes(*w),
                    None => 0,
                };
                self.buf |= (w as u64) << (48 - c);
                c += 16;
                self.pos += 2;
            }
            self.count = c;
        }
    }

    /// Bits buffered.
    #[inline(always)]
    pub fn avail(&self) -> u32 {
        self.count & 63
    }

    /// The whole buffer, next bit on top (for table look-ups).
    #[inline(always)]
    pub fn buf(&self) -> u64 {
        self.buf
    }

    /// The next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u32 {
        // Two shifts, so that n = 0 gives 0 rather than a 64-bit shift.
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count & 63);
        self.buf <<= n;
        self.count = self.count.wrapping_sub(n);
    }

    /// Reads `n` bits (0..=32); the caller has made sure they are buffered.
    #[inline(always)]
    pub fn read(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Consumes the codeword of leaf entry `e` (see `huffman`) and returns
    /// its symbol. The entry's low five bits are the codeword length and
    /// bits 5..16 are clear, so the entry itself serves as shift and as
    /// subtrahend.
    #[inline(always)]
    pub fn take(&mut self, e: u32) -> usize {
        debug_assert!(e & 31 <= self.count & 63);
        self.buf = self.buf.wrapping_shl(e);
        self.count = self.count.wrapping_sub(e);
        (e >> 16) as usize
    }

    /// Byte position just past the words loaded (it may be past the end).
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Gives back buffered whole words until at most `max_bits` bits are
    /// held, so that `pos` is where a reader holding no more would be, and
    /// returns the bytes from there on. XPRESS needs this for the bytes it
    /// puts between words ([MS-XCA] §2.2: they follow the last word its
    /// reference reader, which holds at most 31 bits, had loaded).
    #[inline(always)]
    pub fn hold_at_most(&mut self, max_bits: u32) -> &'a [u8] {
        let c = self.count & 63;
        let back = (c.saturating_sub(max_bits) + 15) >> 4;
        self.pos -= 2 * back as usize;
        let c = c - 16 * back;
        self.count = c;
        // The bits below `c` came from the words given back.
        self.buf &= !(u64::MAX >> c);
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// Moves `pos` on by `n` bytes read directly (after
    /// [`hold_at_most`](Self::hold_at_most)).
    #[inline(always)]
    pub fn skip_bytes(&mut self, n: usize) {
        self.pos += n;
    }
}

/// Reader of 16-bit little-endian words from the end of the data towards
/// its start, most significant bit first within a word (LZMS's Huffman and
/// verbatim stream). `buf` holds `avail` unread bits at its top; the bits
/// below them are always zero.
pub struct BackwardBits<'a> {
    data: &'a [u8],
    /// Byte index just past the next word to read (words go downwards).
    pos: usize,
    buf: u64,
    avail: u32,
}

impl<'a> BackwardBits<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BackwardBits {
            data,
            pos: data.len(),
            buf: 0,
            avail: 0,
        }
    }

    /// Makes at least `n` (at most 48) bits available.
    #[inline(always)]
    pub fn ensure(&mut self, n: u32) {
        if self.avail < n {
            self.refill();
        }
    }

    /// Tops the buffer up to more than 48 bits. Requires `avail < 48`.
    #[inline(always)]
    fn refill(&mut self) {
        match self
            .pos
            .checked_sub(8)
            .and_then(|p| self.data.get(p..))
            .and_then(|d| d.first_chunk::<8>())
        {
            Some(&b) => {
                // Eight bytes read as one little-endian u64 put the word
                // nearest the end on top: the order the bits are read in.
                let v = u64::from_le_bytes(b);
                let words = (64 - self.avail) >> 4;
                let bits = words * 16;
                self.buf |= (v >> (64 - bits)) << (64 - self.avail - bits);
                self.avail += bits;
                self.pos -= 2 * words as usize;
            }
            None => self.refill_slow(),
        }
    }

    /// Near the start of the data: word by word, then zeros.
    #[cold]
    #[inline(never)]
    fn refill_slow(&mut self) {
        while self.avail <= 48 {
            let w = match self
                .pos
                .checked_sub(2)
                .and_then(|p| self.data.get(p..))
                .and_then(|d| d.first_chunk::<2>())
            {
                Some(&w) => {
                    self.pos -= 2;
                    u16::from_le_bytes(w)
                }
                None => 0,
            };
            self.buf |= (w as u64) << (48 - self.avail);
            self.avail += 16;
        }
    }

    /// The whole buffer, next bit on top (for table look-ups).
    #[inline(always)]
    pub fn buf(&self) -> u64 {
        self.buf
    }

    /// The next `n` bits (0..=32) without consuming them.
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u32 {
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.avail -= n;
    }

    /// Reads `n` (0..=32) bits that `ensure` already made available.
    #[inline(always)]
    pub fn take(&mut self, n: u32) -> u32 {
        let v = self.peek(n);
        self.consume(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{Rng, WordWriter};

    /// Random fields written MSB-first in 16-bit words read back the same,
    /// up to and across the end of the data.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn forward_words_round_trip() {
        let mut rng = Rng(0xB175);
        for _ in 0..200 {
            let fields: Vec<(u32, u32)> = (0..rng.below(300))
                .map(|_| {
                    let n = rng.below(17) as u32;
                    (rng.next() as u32 & ((1u64 << n) - 1) as u32, n)
                })
                .collect();
            let mut w = WordWriter::default();
            for &(v, n) in &fields {
                w.put(v, n);
            }
            let raw = w.finish();
            let mut a = WordBits::new(&raw, 0);
            for &(v, n) in &fields {
                a.refill();
                assert_eq!(a.read(n), v);
            }
            // Past the end: zeros.
            a.refill();
            let tail = 16 - (fields.iter().map(|f| f.1).sum::<u32>() % 16);
            a.consume(tail % 16);
            assert_eq!(a.read(32), 0);
            assert!(a.pos() >= raw.len());
        }
    }

    /// Giving words back leaves `pos` after the words a reader holding at
    /// most 31 bits would have loaded, and reading goes on from the bytes
    /// after those.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hold_at_most_returns_to_a_word_boundary() {
        let data: Vec<u8> = (0..40).collect();
        let mut r = WordBits::new(&data, 0);
        r.refill();
        assert_eq!((r.avail(), r.pos()), (48, 6));
        r.consume(5);
        // 43 bits held: one word goes back, 27 bits stay (11 of 0x0100,
        // then 0x0302), and the next bytes are those from 4 on.
        let rest = r.hold_at_most(31);
        assert_eq!((r.avail(), r.pos(), rest[0]), (27, 4, 4));
        r.skip_bytes(1);
        r.refill();
        assert_eq!(r.read(11), 0x100);
        assert_eq!(r.read(16), 0x0302);
        assert_eq!(r.read(16), 0x0605);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn backward_words_round_trip() {
        let mut rng = Rng(0xBAC4);
        for _ in 0..200 {
            let fields: Vec<(u32, u32)> = (0..rng.below(300))
                .map(|_| {
                    let n = rng.below(31) as u32;
                    (rng.next() as u32 & ((1u64 << n) - 1) as u32, n)
                })
                .collect();
            let mut w = WordWriter::default();
            for &(v, n) in &fields {
                w.put(v, n);
            }
            // The backward stream's first word is the data's last.
            let words = w.finish();
            let mut data: Vec<u8> = Vec::new();
            for pair in words.chunks(2).rev() {
                data.extend_from_slice(pair);
            }
            let mut r = BackwardBits::new(&data);
            for &(v, n) in &fields {
                r.ensure(n);
                assert_eq!(r.take(n), v);
            }
            r.ensure(32);
            let used = fields.iter().map(|f| f.1).sum::<u32>();
            r.consume((16 - used % 16) % 16);
            r.ensure(32);
            assert_eq!(r.take(32), 0);
        }
    }
}
