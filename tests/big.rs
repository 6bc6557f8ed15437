//! Crossing 4 GiB for real: a 4.6 GiB uncompressed WIM made by wimlib
//! (`tests/fixtures/big.sh`: an offset marker every MiB, so every 10 MiB
//! integrity chunk differs) and a copy with one byte flipped above 2^32.
//! Integrity chunks above 2^32 are checked, the whole-file SHA-256 matches
//! `sha256sum`, and the corruption is reported at its true offset.

mod common;
use common::*;
use std::process::Command;
use wimproof::assess::Request;
use wimproof::policy::{TargetId, Verdict};

const G4: u64 = 1 << 32;

#[test]
fn a_wim_above_4_gib_verifies_and_its_corruption_is_found_above_4_gib() {
    let (dir, flipped) = common::big_fixture();
    let good = dir.join("big.wim");
    let bad = dir.join("big-corrupt.wim");
    assert!(flipped > G4);

    let all = Request {
        targets: TargetId::ALL.to_vec(),
        ..Request::default()
    };
    let r = verify_with(std::slice::from_ref(&good), all.clone());
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
    // big.bin's blob is one resource over 4 GiB: a split keeps it whole,
    // so the remedy says no split fits and names the size wimlib lists.
    let blobs = std::fs::read_to_string(dir.join("big.blobs.txt")).unwrap();
    let largest = blobs
        .lines()
        .filter_map(|l| l.strip_prefix("Compressed size"))
        .filter_map(|l| {
            l.trim_start_matches([' ', '='])
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap();
    assert!(largest > G4);
    let fat32 = t(TargetId::UsbFat32)
        .reasons
        .iter()
        .find(|x| x.code == "size.fat32")
        .unwrap();
    let remedy = fat32.remedy.as_deref().unwrap_or("");
    assert!(remedy.starts_with("A split cannot help"), "{remedy}");
    assert!(
        remedy.contains(&format!("one resource is {largest} bytes")),
        "{remedy}"
    );
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

/// One blob of 4.7 GB of zeros, LZX-compressed: its uncompressed size is
/// over 4 GiB, so its chunk table has 8-byte entries.
#[test]
fn a_blob_over_4_gib_uses_8_byte_chunk_entries_and_verifies() {
    let path = fixture_script("big-blob.sh", "big").join("zeros-lzx.wim");
    let r = verify(std::slice::from_ref(&path));
    assert_eq!(r.intact, Some(true), "{:?}", codes(&r));
    assert_eq!(r.resources.uncompressed_over_4gib, 1);
    assert!(r.checked.uncompressed_bytes >= 4_700_000_000);
    assert_eq!(r.checked.blobs_corrupt, 0);

    // Shift one 8-byte chunk-table entry three quarters into the table by 3
    // bytes: that chunk then starts mid-stream and cannot decode (wimlib
    // agrees: "invalid compressed data"). The entry lies where a 4-byte
    // reading of the table would not look.
    let mut data = std::fs::read(&path).unwrap();
    let h = wimproof::format::header::Header::parse(data[..208].try_into().unwrap());
    let table = &data
        [h.blob_table.offset as usize..(h.blob_table.offset + h.blob_table.size_in_wim) as usize];
    let (entries, _) = wimproof::format::blob_table::parse_table(table);
    let big = entries
        .iter()
        .find(|e| e.reshdr.uncompressed_size > G4)
        .expect("the big blob")
        .clone();
    let n_chunks = big.reshdr.uncompressed_size.div_ceil(h.chunk_size as u64);
    let at = (big.reshdr.offset + (n_chunks * 3 / 4) * 8) as usize;
    let v = u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    data[at..at + 8].copy_from_slice(&(v + 3).to_le_bytes());
    let opts = wimproof::verify::Options {
        sha256: false,
        ..Default::default()
    };
    let r =
        wimproof::assess::verify_bytes(&[("zeros-lzx-damaged.wim", &data)], opts, "test").unwrap();
    assert_eq!(r.intact, Some(false), "{:?}", codes(&r));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "resource.undecodable")
        .expect("a decode failure");
    assert!(f.offset.unwrap() > big.reshdr.offset, "{}", f.message);
}
