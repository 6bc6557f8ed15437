//! Honest verdicts natively: a file that shrinks while it is verified is an
//! error for that file (exit status 2), never a verdict.

mod common;
use common::*;
use std::process::Command;
use wimproof::read::ReadAt;

#[test]
fn a_file_that_shrinks_after_opening_is_a_read_error() {
    let src = generated().join("none.wim");
    let dir = scratch("shrink");
    let path = dir.join("shrinking.wim");
    std::fs::copy(&src, &path).unwrap();
    let r = wimproof::native::FileReader::open(&path).unwrap();
    let size = r.size();
    // Another program truncates the file while it is being read.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(size / 2)
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let err = r.read_at(size - 8192, &mut buf).unwrap_err();
    assert!(
        err.reason.contains("shorter than when it was opened"),
        "{err}"
    );
    assert_eq!(err.offset, size - 8192);

    // The CLI on a truncated-then-copied file reports corruption (a verdict
    // on what is there), but on a file it cannot read at all, exit 2 and an
    // error object instead of a report.
    let exe = env!("CARGO_BIN_EXE_wimproof");
    let out = Command::new(exe)
        .args(["--json", "--no-progress"])
        .arg(dir.join("missing.wim"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"], "open");
    assert!(v.get("verdict").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
