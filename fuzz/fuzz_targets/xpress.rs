//! XPRESS chunks (up to 64 KiB out, the largest XPRESS chunk a WIM has).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::codec::xpress::XpressDecompressor;
#[path = "decode.rs"]
mod decode;

fuzz_target!(|data: &[u8]| {
    let Some((n, input)) = decode::split(data, 1 << 16) else {
        return;
    };
    let mut d = XpressDecompressor::new();
    decode::check(&mut d, input, n);
});
