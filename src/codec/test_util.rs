//! Test helpers shared by the codec tests: a seeded generator, canonical
//! codewords for a set of lengths, and a writer of MSB-first 16-bit
//! little-endian words (the bit layout of XPRESS and LZX).

/// Fixed-seed xorshift64 (13, 7, 17), so failures reproduce. LZMS's
/// wimlib-compressed sample was made from data this generator produced, so
/// its sequence must not change.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Canonical codewords for `lens` (0: unused symbol): in order of (length,
/// symbol), each the previous plus one, shifted left as lengths grow.
pub fn canonical_codes(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 33];
    for &l in lens {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 34];
    for l in 1..=32 {
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

/// MSB-first writer of 16-bit little-endian words; `out` is public so a
/// test can put whole bytes between words.
#[derive(Default)]
pub struct WordWriter {
    pub out: Vec<u8>,
    cur: u32,
    n: u32,
    /// Bits written so far.
    pub total: usize,
}

impl WordWriter {
    /// Appends the low `n` bits of `v` (n <= 32), most significant first.
    pub fn put(&mut self, v: u32, n: u32) {
        for i in (0..n).rev() {
            self.cur = (self.cur << 1) | ((v >> i) & 1);
            self.n += 1;
            self.total += 1;
            if self.n == 16 {
                self.out.extend_from_slice(&(self.cur as u16).to_le_bytes());
                self.cur = 0;
                self.n = 0;
            }
        }
    }

    /// The words, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.put(0, 16 - self.n);
        }
        self.out
    }
}
