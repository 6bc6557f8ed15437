//! Shared driver of the decoder targets. Input: a 4-byte little-endian
//! output size, then one compressed chunk. The decoder is asked for exactly
//! that many bytes. Checked: no panic, and decoding the same chunk again
//! with the same decoder into a buffer of different contents gives the same
//! result and, on success, the same bytes (no state leaks between chunks,
//! every output byte written).
use wimproof::codec::Decompressor;

pub fn split(data: &[u8], max_out: u32) -> Option<(usize, &[u8])> {
    if data.len() < 4 {
        return None;
    }
    let n = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
    Some(((n % (max_out + 1)) as usize, &data[4..]))
}

pub fn check(dec: &mut dyn Decompressor, input: &[u8], out_len: usize) {
    let mut a = vec![0u8; out_len];
    let ra = dec.decompress(input, &mut a);
    let mut b = vec![0xA5u8; out_len];
    let rb = dec.decompress(input, &mut b);
    assert_eq!(
        ra.is_ok(),
        rb.is_ok(),
        "decoding the same chunk twice differs"
    );
    if ra.is_ok() {
        assert!(
            a == b,
            "a successful decode left output bytes unwritten or depends on state"
        );
    }
}
