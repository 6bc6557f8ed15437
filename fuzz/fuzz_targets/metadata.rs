//! An image's uncompressed metadata resource: security block and the
//! dentry tree walk (depth, cycles, shared lists, names, reference counts
//! and first paths). The blob table knows one blob, whose SHA-1 is the
//! input's first 20 bytes, so the fuzzer can make streams refer to it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::verify::blob_index::{BlobIndex, Known};
use wimproof::verify::tree::{check_image, BlobPaths, TreeContext};

fuzz_target!(|data: &[u8]| {
    let mut blobs = BlobIndex::default();
    if let Some(h) = data.first_chunk::<20>() {
        let _ = blobs.insert(
            *h,
            Known {
                entry: 0,
                refcount: 1,
            },
        );
    }
    let mut ctx = TreeContext {
        blobs: &blobs,
        all_parts: true,
        refs: vec![0; blobs.len()],
        paths: BlobPaths::for_blobs(blobs.len()),
        progress: None,
        progress_base: 0,
        progress_total: 0,
        missing: Default::default(),
    };
    let mut findings = Vec::new();
    let s = check_image(1, 0, data, &mut ctx, &mut findings);
    // A complete walk visits at most one directory entry per 102 bytes.
    if s.complete {
        assert!(s.files + s.dirs <= data.len() as u64 / 102 + 1);
    }
    assert!(ctx.missing.len() <= wimproof::verify::tree::MAX_MISSING_BLOBS);
    // A path is only recorded for a blob some entry uses.
    if let Some(path) = ctx.paths.get(0) {
        assert!(ctx.refs[0] > 0, "{path}");
        assert!(path.starts_with('\\'));
    }
});
