//! The LZ77 match copy, shared by the three codecs.
//!
//! Owns one operation: appending `len` bytes that repeat the output from
//! `offset` bytes back. When the match is longer than its offset the source
//! and destination overlap, and bytes written earlier in the same copy are
//! read again: the last `offset` bytes repeat ([MS-XCA] §2.2 and
//! [MS-PATCH] §2.1 describe matches this way). Delta matches (LZMS) and the
//! checks that a match fits belong to the codecs.

/// Copies `len` bytes from `pos - offset` to `pos` in `out`, LZ77 style.
/// The caller has checked `1 <= offset <= pos` and `pos + len <= out.len()`.
/// Up to 15 bytes after the match may be overwritten with garbage: the
/// codecs write them again with what follows.
#[inline(always)]
pub fn copy_match(out: &mut [u8], pos: usize, offset: usize, len: usize) {
    debug_assert!(offset >= 1 && offset <= pos && pos + len <= out.len());
    // (`offset > pos` was rejected by the caller; testing it again keeps the
    // unsafe block below sound on its own.)
    if offset < 8 || offset > pos || pos + len + 16 > out.len() {
        copy_match_slow(out, pos, offset, len);
        return;
    }
    let p = out.as_mut_ptr();
    // SAFETY: stores cover [pos, pos + max(len, 16) rounded up to 16), which
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

/// `copy_match` for offsets under 8 (short repeating patterns) and for
/// matches that end within 16 bytes of the end of `out`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::Rng;

    /// Every offset and length near the interesting boundaries, at the end
    /// of the buffer and away from it, against a byte-at-a-time copy.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn copies_like_the_byte_loop() {
        let mut rng = Rng(0x1277);
        let start: Vec<u8> = (0..300).map(|_| rng.next() as u8).collect();
        for offset in 1..=40 {
            for len in 0..=70 {
                for room in [0, 1, 15, 16, 17, 40] {
                    let pos = 100;
                    let mut out = start[..pos + len + room].to_vec();
                    let mut want = out.clone();
                    for i in pos..pos + len {
                        want[i] = want[i - offset];
                    }
                    copy_match(&mut out, pos, offset, len);
                    assert_eq!(
                        out[..pos + len],
                        want[..pos + len],
                        "offset {offset} len {len} room {room}"
                    );
                }
            }
        }
    }
}
