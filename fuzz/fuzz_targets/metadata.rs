//! An image's uncompressed metadata resource: security block and the
//! dentry tree walk (depth, cycles, shared lists, names), with an empty blob
//! table.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use wimproof::verify::tree::{check_image, TreeContext};

fuzz_target!(|data: &[u8]| {
    let blobs = HashMap::new();
    let mut ctx = TreeContext {
        blobs: &blobs,
        all_parts: true,
        refs: HashMap::new(),
        paths: Default::default(),
        progress: None,
        progress_base: 0,
        progress_total: 0,
    };
    let mut findings = Vec::new();
    let s = check_image(1, 0, data, &mut ctx, &mut findings);
    // A complete walk visits at most one directory entry per 102 bytes.
    if s.complete {
        assert!(s.files + s.dirs <= data.len() as u64 / 102 + 1);
    }
});
