//! Files that are not WIMs (virtual disks, archives, an FFU, install media),
//! each made by the real tool for its format (`tests/fixtures/foreign.sh`),
//! are named as what they are: an error, exit status 2, never a verdict.
//! WIMs, and WIMs whose header is damaged, are not taken for one of them.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use wimproof::format::foreign::{detect, Foreign};
use wimproof::native::{verify_paths, DriverError, FileReader};
use wimproof::verify::Options;

fn foreign_dir() -> PathBuf {
    fixture_script("foreign.sh", "foreign")
}

/// Each file of foreign.sh with what it must be recognised as.
fn made_by_tools() -> Vec<(PathBuf, Foreign)> {
    let d = foreign_dir();
    [
        ("vhd-dynamic.vhd", Foreign::Vhd),
        ("vhd-fixed.vhd", Foreign::Vhd),
        ("disk.vhdx", Foreign::Vhdx),
        ("archive.zip", Foreign::Zip),
        ("archive.7z", Foreign::SevenZip),
        ("archive.cab", Foreign::Cab),
        ("iso9660.iso", Foreign::Iso { udf: false }),
        ("udf.iso", Foreign::Iso { udf: true }),
    ]
    .into_iter()
    .map(|(n, f)| (d.join(n), f))
    .collect()
}

/// An FFU's start, from the layout in Microsoft's "FFU image format"
/// (no tool on Linux writes FFUs): SECURITY_HEADER { cbSize u32 = 32,
/// signature "SignedImage ", dwChunkSizeInKb u32, dwAlgId u32 (0x800C,
/// CALG_SHA_256), dwCatalogSize u32, dwHashTableSize u32 }, then the
/// catalog, the hash table and padding to the chunk size, then the
/// IMAGE_HEADER (cbSize u32 = 24, signature "ImageFlash  ", ...).
fn ffu_bytes() -> Vec<u8> {
    let chunk_kb = 128u32;
    let mut b = Vec::new();
    b.extend_from_slice(&32u32.to_le_bytes());
    b.extend_from_slice(b"SignedImage ");
    b.extend_from_slice(&chunk_kb.to_le_bytes());
    b.extend_from_slice(&0x800Cu32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&32u32.to_le_bytes());
    b.extend_from_slice(&[0u8; 32]); // the hash table: one SHA-256
    b.resize(chunk_kb as usize * 1024, 0);
    b.extend_from_slice(&24u32.to_le_bytes());
    b.extend_from_slice(b"ImageFlash  ");
    b.extend_from_slice(&0u32.to_le_bytes()); // ManifestLength
    b.extend_from_slice(&chunk_kb.to_le_bytes());
    b.resize(2 * chunk_kb as usize * 1024, 0);
    b
}

fn ffu_file() -> PathBuf {
    let p = foreign_dir().join("built.ffu");
    std::fs::write(&p, ffu_bytes()).expect("write the FFU");
    p
}

fn detect_path(p: &Path) -> Option<Foreign> {
    let r = FileReader::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    detect(&r).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn each_foreign_format_is_named_and_gives_exit_status_2() {
    let mut files = made_by_tools();
    files.push((ffu_file(), Foreign::Ffu));
    let mut wrong = Vec::new();
    for (p, want) in &files {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let got = detect_path(p);
        if got != Some(*want) {
            wrong.push(format!("{name}: detected {got:?}, not {want:?}"));
            continue;
        }
        match verify_paths(
            std::slice::from_ref(p),
            Options::default().into(),
            2,
            &|_, _| {},
        ) {
            Err(DriverError::Foreign { format, .. }) if format == *want => {}
            Err(e) => wrong.push(format!("{name}: driver error {e}, not Foreign({want:?})")),
            Ok(r) => wrong.push(format!("{name}: got a verdict {}", r.verdict)),
        }
        let path = p.to_str().unwrap();
        if let Foreign::Iso { udf } = want {
            // The CLI reads install media in place: the WIM inside is
            // verified (tests/media.rs checks the reports).
            let (rc, out, err) = wimproof(&[path]);
            let fs = if *udf { "(UDF)" } else { "(ISO 9660)" };
            if rc != 0 || !out.contains(&format!("install media {fs}")) {
                wrong.push(format!(
                    "{name}: CLI exit {rc}, stdout {out:?}, stderr {err:?}"
                ));
            }
            let (rc, out, _) = wimproof(&["--json", path]);
            let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            if rc != 0 || v[0]["container"]["path"] != "sources/install.wim" {
                wrong.push(format!("{name}: CLI --json exit {rc}, output {out}"));
            }
            continue;
        }
        let (rc, _, err) = wimproof(&[path]);
        let said = "not a WIM file: it looks like";
        if rc != 2 || !err.contains(want.what()) || !err.contains(said) {
            wrong.push(format!("{name}: CLI exit {rc}, stderr {err:?}"));
        }
        let (rc, out, _) = wimproof(&["--json", path]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        if rc != 2 || v["error"] != "foreign" || v.get("verdict").is_some() {
            wrong.push(format!("{name}: CLI --json exit {rc}, output {out}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!(
        "{} foreign files named, each with exit status 2",
        files.len()
    );
    // An ISO given as a reference (or among a set's parts) is not read in
    // place: exit 2, named as install media, with the way to verify it.
    let iso = files
        .iter()
        .find(|(_, f)| matches!(f, Foreign::Iso { udf: true }))
        .map(|(p, _)| p.to_str().unwrap().to_string())
        .expect("foreign.sh makes a UDF ISO");
    let wim = generated().join("lzx-check.wim");
    let (rc, _, err) = wimproof(&["--ref", &iso, wim.to_str().unwrap()]);
    assert_eq!(rc, 2, "{err}");
    assert!(
        err.contains("install media (ISO;") && err.contains("give the ISO on its own"),
        "{err}"
    );
}

#[test]
fn a_wim_in_a_split_set_or_as_a_reference_is_checked_too() {
    // A foreign file given among the parts of a split set is named as well.
    let rows = manifest();
    let split = rows
        .iter()
        .find(|r| r.name == "split")
        .expect("split fixture");
    let mut files = split.files.clone();
    let zip = foreign_dir().join("archive.zip");
    files.push(zip.clone());
    match verify_paths(&files, Options::default().into(), 2, &|_, _| {}) {
        Err(DriverError::Foreign { name, format }) => {
            assert_eq!(format, Foreign::Zip);
            assert!(name.ends_with("archive.zip"), "{name}");
        }
        other => panic!(
            "expected a foreign-file error, got {:?}",
            other.map(|r| r.verdict)
        ),
    }
}

#[test]
fn wims_and_damaged_wims_are_not_foreign() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for row in manifest() {
        for f in &row.files {
            checked += 1;
            if let Some(x) = detect_path(f) {
                wrong.push(format!("{}: taken for {x:?}", f.display()));
            }
        }
    }
    // A WIM whose header was lost (the peer's 1024 zero bytes) stays a
    // damaged WIM: corrupt, as wimlib says, not some other format.
    let zeros = root().join("../shared/fixtures/peer/DecryptESD__Error-InvalidMagic.wim");
    assert_eq!(detect_path(&zeros), None);
    let r = verify(&[zeros]);
    assert_eq!(r.verdict, wimproof::policy::Verdict::Corrupt);
    assert!(
        codes(&r).iter().any(|c| c == "header.magic"),
        "{:?}",
        codes(&r)
    );
    let (rc, _, _) = wimproof(&[root()
        .join("../shared/fixtures/peer/DecryptESD__Error-InvalidMagic.wim")
        .to_str()
        .unwrap()]);
    assert_eq!(rc, 1, "a damaged WIM exits 1 (corrupt)");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!("{checked} fixture files, none taken for a foreign format");
}
