//! The udf listing of install media (src/medium.rs, hadris-udf
//! underneath): the input is the whole medium; what a listing must satisfy
//! is in shared/medium.rs, common to both file systems.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::medium::open_udf;

#[path = "shared/medium.rs"]
mod medium;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = open_udf(&data) {
        medium::check_listing(data, &m);
    }
});
