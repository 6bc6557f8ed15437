//! The iso9660 listing of install media (src/medium.rs, hadris-iso
//! underneath): the input is the whole medium; what a listing must satisfy
//! is in shared/medium.rs, common to both file systems.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::medium::open_iso9660;

#[path = "shared/medium.rs"]
mod medium;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = open_iso9660(&data) {
        medium::check_listing(data, &m);
    }
});
