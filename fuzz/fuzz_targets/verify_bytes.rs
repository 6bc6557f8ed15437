//! Whole-image verification of arbitrary bytes: phase 1 (header, blob
//! table, XML, integrity table, metadata and tree walk) and phase 2 (every
//! resource decoded and hashed), digests off. Must never panic; a report or
//! a read error are both fine.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::assess::verify_bytes;
use wimproof::verify::Options;

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    };
    if let Ok(report) = verify_bytes(&[("fuzz.wim", data)], opts, "") {
        // A verdict of intact must never come with a corruption finding.
        if report.intact == Some(true) {
            assert!(report
                .findings
                .iter()
                .all(|f| f.severity != wimproof::verify::finding::Severity::Corruption));
        }
    }
});
