//! Opt-in: verifies a real Microsoft-made install.wim or boot.wim, for
//! anyone who has one. Set WIMPROOF_REAL_WIM=/path/to/install.wim; without
//! it the test prints that it was not run. wimproof must agree with
//! `wimlib-imagex verify` on intact/corrupt and verify every blob.

mod common;
use common::*;
use std::path::PathBuf;

#[test]
fn a_real_microsoft_image_agrees_with_wimlib() {
    let Ok(path) = std::env::var("WIMPROOF_REAL_WIM") else {
        println!("WIMPROOF_REAL_WIM is not set: real-image test not run");
        return;
    };
    let path = PathBuf::from(path);
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
