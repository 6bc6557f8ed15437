//! The XML data resource reader (UTF-16LE decoding, XML parsing, fields).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = wimproof::format::xml::parse(data) {
        assert!(info.images.len() <= wimproof::format::xml::MAX_IMAGES as usize);
    }
});
