//! The binary task lists lane workers receive (`verify::wire`): any bytes
//! decode to tasks or to an error, never a panic or a huge allocation, and
//! whatever decodes encodes back to the same tasks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::verify::wire::{decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(tasks) = decode(data) {
        assert_eq!(decode(&encode(&tasks)).as_ref(), Ok(&tasks));
    }
});
