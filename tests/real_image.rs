//! Opt-in: verifies a real Microsoft-made install.wim or boot.wim, for
//! anyone who has one:
//!     WIMPROOF_REAL_WIM=/path/install.wim cargo test --test real_image -- --ignored
//! It is ignored by default (no summary counts a test that checked
//! nothing), and run without the variable it fails rather than pass.
//! wimproof must agree with `wimlib-imagex verify` on intact/corrupt and
//! verify every blob.

mod common;
use common::*;
use std::path::PathBuf;

#[test]
#[ignore = "needs a real image: WIMPROOF_REAL_WIM=/path/install.wim, run with --ignored"]
fn a_real_microsoft_image_agrees_with_wimlib() {
    let path = std::env::var("WIMPROOF_REAL_WIM").unwrap_or_else(|_| {
        panic!("WIMPROOF_REAL_WIM is not set: give the path of a real install.wim or boot.wim")
    });
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{}: no such file", path.display());
    let r = verify(std::slice::from_ref(&path));
    let (rc, out) = wimlib(&["verify", path.to_str().unwrap()]);
    println!(
        "{}: wimproof verdict {} intact {:?}; {} blobs verified; wimlib rc {rc}",
        path.display(),
        r.verdict,
        r.intact,
        r.checked.blobs_verified
    );
    assert_eq!(
        r.intact,
        Some(rc == 0),
        "wimlib said: {out}\nwimproof findings: {:?}",
        codes(&r)
    );
    assert_eq!(r.checked.blobs_unverified, 0);
}
