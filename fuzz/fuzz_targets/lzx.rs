//! LZX chunks: the window is the smallest WIM chunk size (32 KiB .. 2 MiB)
//! that holds the output, as for a real resource.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::codec::lzx::LzxDecompressor;
#[path = "decode.rs"]
mod decode;

fuzz_target!(|data: &[u8]| {
    let Some((n, input)) = decode::split(data, 1 << 21) else {
        return;
    };
    let window = (n as u32).next_power_of_two().clamp(1 << 15, 1 << 21);
    let Some(mut d) = LzxDecompressor::new(window) else {
        panic!("no LZX decoder for a valid window {window}");
    };
    decode::check(&mut d, input, n);
});
