//! Crossing 4 GiB for real: a 4.6 GiB uncompressed WIM made by wimlib
//! (`tests/fixtures/big.sh`: an offset marker every MiB, so every 10 MiB
//! integrity chunk differs) and a copy with one byte flipped above 2^32.
//! Integrity chunks above 2^32 are checked, the whole-file SHA-256 matches
//! `sha256sum`, and the corruption is reported at its true offset.

mod common;
use common::*;
use std::process::Command;
use wimproof::policy::{TargetId, Verdict};
use wimproof::verify::Options;

const G4: u64 = 1 << 32;

fn big_dir() -> std::path::PathBuf {
    let out = Command::new("bash")
        .arg(root().join("tests/fixtures/big.sh"))
        .output()
        .expect("run big.sh");
    assert!(
        out.status.success(),
        "big.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    root().join("tests/fixtures/generated/big")
}

#[test]
fn a_wim_above_4_gib_verifies_and_its_corruption_is_found_above_4_gib() {
    let dir = big_dir();
    let good = dir.join("big.wim");
    let bad = dir.join("big-corrupt.wim");
    let flipped: u64 = std::fs::read_to_string(dir.join("corrupt_offset.txt"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(flipped > G4);

    let all = Options {
        targets: TargetId::ALL.to_vec(),
        ..Options::default()
    };
    let r = verify_with(&[good.clone()], all.clone());
    assert!(
        r.file.size > G4 + (G4 >> 3),
        "fixture is {} bytes",
        r.file.size
    );
    assert_eq!(r.intact, Some(true), "{:?}", codes(&r));
    assert!(r.integrity.present);
    assert_eq!(r.integrity.checked, r.integrity.chunks);
    let last_chunk_start = 208 + (r.integrity.chunks - 1) * r.integrity.chunk_size as u64;
    assert!(last_chunk_start > G4, "integrity chunks reach above 2^32");
    // Whole-file SHA-256 over every byte with 64-bit offsets.
    let out = Command::new("sha256sum")
        .arg(&good)
        .output()
        .expect("sha256sum");
    let want = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(r.digests.sha256.as_deref(), Some(want.as_str()));
    // Policy: 4 GiB or more breaks unpatched ConfigMgr 2007 multicast and FAT32.
    let t = |id| r.targets.iter().find(|t| t.id == id).unwrap();
    assert_eq!(t(TargetId::ConfigMgr2007Unpatched).verdict, Verdict::Unsafe);
    assert!(t(TargetId::ConfigMgr2007Unpatched)
        .reasons
        .iter()
        .any(|x| x.kb.as_deref().is_some_and(|k| k.contains("971413"))));
    assert_eq!(t(TargetId::UsbFat32).verdict, Verdict::Unsafe);
    assert!(matches!(
        t(TargetId::ConfigMgr).verdict,
        Verdict::Safe | Verdict::Warning
    ));

    let r = verify(&[bad]);
    assert_eq!(r.intact, Some(false));
    assert_eq!(
        r.integrity.bad_chunks.len(),
        1,
        "{:?}",
        r.integrity.bad_chunks
    );
    let c = &r.integrity.bad_chunks[0];
    assert!(
        c.offset <= flipped && flipped < c.offset + c.length,
        "bad chunk {c:?} does not hold offset {flipped}"
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "integrity.chunk_mismatch")
        .unwrap();
    assert_eq!(f.offset, Some(c.offset));
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "resource.hash_mismatch"),
        "the blob's SHA-1 catches it too"
    );
    let (rc, _) = wimlib(&["verify", dir.join("big-corrupt.wim").to_str().unwrap()]);
    assert_ne!(rc, 0, "wimlib agrees it is corrupt");
}
