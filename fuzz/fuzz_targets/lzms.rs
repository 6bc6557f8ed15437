//! LZMS chunks up to 1 MiB out (larger chunks only cost time per input).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::codec::lzms::LzmsDecompressor;
#[path = "decode.rs"]
mod decode;

fuzz_target!(|data: &[u8]| {
    let Some((n, input)) = decode::split(data, 1 << 20) else {
        return;
    };
    let Some(mut d) = LzmsDecompressor::new((n as u32).max(1)) else {
        panic!("no LZMS decoder for {n}-byte chunks");
    };
    decode::check(&mut d, input, n);
});
