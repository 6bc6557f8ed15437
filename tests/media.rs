//! Install media read in place (src/medium.rs) against 7-Zip, on ISOs made
//! by genisoimage (UDF + ISO 9660 + Joliet) and xorriso (ISO 9660 + Joliet)
//! by tests/fixtures/media.sh: the listing must equal `7zz l`, the bytes
//! read through `ExtentReader` must hash like the files `7zz x` extracts,
//! and the verifier must report on a WIM inside exactly what it reports on
//! the extracted copy.
//!
//! With WIMPROOF_MEDIA_BIG=1 (scripts/test.sh sets it) a 4.5 GiB sparse file
//! with a known pattern goes into one medium per writer, made, checked and
//! deleted one at a time (about 4.6 GiB of disk each).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use wimproof::assess::{self, verify_bytes};
use wimproof::medium::{self, ExtentReader, FileSystemKind, Medium};
use wimproof::native::FileReader;
use wimproof::read::ReadAt;
use wimproof::verify::{run_serial, Options, Verifier};

fn media() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        common::generated();
        let out = Command::new("bash")
            .arg(common::root().join("tests/fixtures/media.sh"))
            .output()
            .expect("run media.sh");
        assert!(
            out.status.success(),
            "media.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        common::generated().join("media")
    })
    .clone()
}

/// path -> (size, sha256) as 7-Zip listed and extracted them.
fn oracle(name: &str) -> BTreeMap<String, (u64, String)> {
    let text = std::fs::read_to_string(media().join(format!("{name}.7z.tsv"))).unwrap();
    let rows: BTreeMap<_, _> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), (f[1].parse().unwrap(), f[2].to_string()))
        })
        .collect();
    assert!(
        rows.len() >= 14,
        "{name}: 7-Zip listed only {} files",
        rows.len()
    );
    rows
}

fn sha256_through(r: &dyn ReadAt) -> String {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut off = 0u64;
    while off < r.size() {
        let n = (r.size() - off).min(buf.len() as u64) as usize;
        r.read_at(off, &mut buf[..n]).unwrap();
        h.update(&buf[..n]);
        off += n as u64;
    }
    wimproof::format::hex(&h.finalize())
}

fn open(path: &Path) -> (FileReader, Medium) {
    let iso = FileReader::open(path).unwrap();
    let m = medium::open(&iso).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (iso, m)
}

fn listing_equals_7zip(name: &str, kind: FileSystemKind) {
    let (iso, m) = open(&media().join(format!("{name}.iso")));
    assert_eq!(m.kind, kind);
    let want = oracle(name);
    let got: BTreeMap<String, u64> = m.files.iter().map(|f| (f.path.clone(), f.size)).collect();
    let want_sizes: BTreeMap<String, u64> = want.iter().map(|(p, v)| (p.clone(), v.0)).collect();
    assert_eq!(got, want_sizes, "{name}: listing differs from 7-Zip's");
    assert_eq!(got.len(), m.files.len(), "{name}: a path listed twice");
    for f in &m.files {
        let r = ExtentReader::new(&iso, f).unwrap();
        assert_eq!(sha256_through(&r), want[&f.path].1, "{name}: {}", f.path);
        assert!(
            f.is_ascending(),
            "{name}: {} extents {:?}",
            f.path,
            f.extents
        );
    }
    println!(
        "{name}: {} files equal 7-Zip's listing and bytes ({kind})",
        m.files.len()
    );
}

#[test]
fn udf_listing_and_bytes_equal_7zip() {
    listing_equals_7zip("udf", FileSystemKind::Udf);
}

#[test]
fn iso9660_listing_and_bytes_equal_7zip() {
    listing_equals_7zip("iso", FileSystemKind::Iso9660);
}

fn report_json(r: &wimproof::report::Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap();
    v["checked_at"] = serde_json::Value::Null;
    v
}

/// Every WIM inside (the split set as one image) verified through
/// ExtentReader gives the report the extracted copy gives.
fn inner_wims_report_as_extracted(name: &str) {
    let (iso, m) = open(&media().join(format!("{name}.iso")));
    let extracted = media().join(format!("{name}.extracted"));
    let sets: &[&[&str]] = &[
        &["sources/install.wim"],
        &["sources/boot.wim"],
        &["sources/install.esd"],
        &["split/install.swm", "split/install2.swm", "split/install3.swm"],
        &["support/tools/winre.wim"],
        &["boot/corrupt.wim"],
        &["deep/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/deep.wim"],
        &["unicode/Ünïcødé ρ日本/образ.wim"],
    ];
    let mut verdicts = Vec::new();
    for set in sets {
        let readers: Vec<ExtentReader> = set
            .iter()
            .map(|p| {
                ExtentReader::new(&iso, m.file(p).unwrap_or_else(|| panic!("{name}: no {p}")))
                    .unwrap()
            })
            .collect();
        let files: Vec<(&str, &dyn ReadAt)> = set
            .iter()
            .zip(&readers)
            .map(|(p, r)| (*p, r as &dyn ReadAt))
            .collect();
        let v = Verifier::open(&files, Options::default()).unwrap();
        let plain: Vec<&dyn ReadAt> = files.iter().map(|f| f.1).collect();
        let results = run_serial(&v, &plain, 1 << 20).unwrap();
        let inside = assess::report(v.finish(results), &[], String::new());

        let bytes: Vec<Vec<u8>> = set
            .iter()
            .map(|p| std::fs::read(extracted.join(p)).unwrap())
            .collect();
        let owned: Vec<(&str, &[u8])> = set
            .iter()
            .zip(&bytes)
            .map(|(p, b)| (*p, b.as_slice()))
            .collect();
        let outside = verify_bytes(&owned, Options::default(), "").unwrap();
        assert_eq!(
            report_json(&inside),
            report_json(&outside),
            "{name}: {set:?}"
        );
        verdicts.push(format!("{}={:?}", set[0], inside.verdict));
    }
    // The corrupted copy must not pass: the comparison above is not vacuous.
    assert!(
        verdicts
            .iter()
            .any(|v| v.starts_with("boot/corrupt.wim=") && v.contains("Corrupt")),
        "{verdicts:?}"
    );
    println!("{name}: {}", verdicts.join(" "));
}

#[test]
fn udf_inner_wims_report_as_extracted() {
    inner_wims_report_as_extracted("udf");
}

#[test]
fn iso9660_inner_wims_report_as_extracted() {
    inner_wims_report_as_extracted("iso");
}

/// A truncated medium: the listing fails with an error or lists files whose
/// extents all lie inside what is left; never a panic.
#[test]
fn truncated_media_fail_cleanly() {
    for name in ["udf", "iso"] {
        let data = std::fs::read(media().join(format!("{name}.iso"))).unwrap();
        let mut outcomes = BTreeMap::new();
        for cut in [
            0usize,
            2048,
            16 * 2048,
            17 * 2048,
            100 * 2048,
            257 * 2048,
            300 * 2048,
            data.len() / 2,
        ] {
            let part = data[..cut].to_vec();
            let o = match medium::open(&part) {
                Ok(m) => format!("{} files", m.files.len()),
                Err(e) => format!("{e:?}")
                    .split(['{', '('])
                    .next()
                    .unwrap()
                    .trim()
                    .to_string(),
            };
            outcomes.insert(cut, o);
        }
        println!("{name}: {outcomes:?}");
        assert!(matches!(
            medium::open(&data[..16 * 2048].to_vec()),
            Err(medium::MediumError::NotRecognized)
        ));
    }
}

// ---- > 4 GiB files ---------------------------------------------------------

const BIG: u64 = 4_831_838_208; // 4.5 GiB

/// The pattern written at a few offsets of the sparse file: 4 KiB of bytes
/// derived from the offset (the rest of the file reads as zeros).
fn pattern(at: u64) -> Vec<u8> {
    (0..4096u64)
        .map(|i| ((at >> 12) as u8).wrapping_mul(31) ^ (i as u8) ^ 0x5A)
        .collect()
}

fn pattern_offsets() -> Vec<u64> {
    let g = 1u64 << 30;
    vec![
        0,
        g - 2048,
        2 * g,
        (1 << 32) - 2048,
        1 << 32,
        4 * g + 12345,
        BIG - 4096,
    ]
}

fn check_big(iso_path: &Path, kind: FileSystemKind, src: &Path) {
    let (iso, m) = open(iso_path);
    assert_eq!(m.kind, kind);
    let f = m.file("sources/install.wim").expect("big file listed");
    assert_eq!(f.size, BIG);
    let (limit, what) = match kind {
        FileSystemKind::Udf => (1u64 << 30, "UDF extents are under 1 GiB"),
        FileSystemKind::Iso9660 => (1u64 << 32, "ISO 9660 records are under 4 GiB"),
    };
    assert!(f.extents.len() >= 2, "{:?}", f.extents);
    assert!(
        f.extents.iter().all(|e| e.len < limit),
        "{what}: {:?}",
        f.extents
    );
    let r = ExtentReader::new(&iso, f).unwrap();
    let orig = FileReader::open(src).unwrap();
    // Every extent boundary, around 2^32, and the pattern offsets.
    let mut probes: Vec<u64> = pattern_offsets();
    let mut pos = 0;
    for e in &f.extents {
        pos += e.len;
        probes.push(pos.saturating_sub(3000));
    }
    probes.extend([(1 << 32) - 100, BIG - 6000]);
    for &at in &probes {
        let len = 6000.min(BIG - at) as usize;
        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
        r.read_at(at, &mut a).unwrap();
        orig.read_at(at, &mut b).unwrap();
        assert_eq!(a, b, "{}: bytes at file offset {at}", iso_path.display());
    }
    // The pattern is really there (the comparison is not of zeros only).
    let mut p = vec![0u8; 4096];
    r.read_at(1 << 32, &mut p).unwrap();
    assert_eq!(p, pattern(1 << 32));
    println!(
        "{kind}: {} bytes in {} extents {:?}, {} probes equal",
        f.size,
        f.extents.len(),
        f.extents.iter().map(|e| e.len).collect::<Vec<_>>(),
        probes.len()
    );
}

#[test]
fn big_file_over_4_gib_in_both_forms() {
    if std::env::var_os("WIMPROOF_MEDIA_BIG").is_none() {
        println!("skipped: set WIMPROOF_MEDIA_BIG=1 (needs about 9.3 GiB of free disk)");
        return;
    }
    let dir = media().join("big");
    let _ = std::fs::remove_dir_all(&dir);
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sources")).unwrap();
    std::fs::write(tree.join("README.TXT"), b"big\n").unwrap();
    let src = tree.join("sources/install.wim");
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::create(&src).unwrap();
        f.set_len(BIG).unwrap();
        for at in pattern_offsets() {
            f.write_all_at(&pattern(at), at).unwrap();
        }
    }
    let iso = dir.join("big.iso");
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("genisoimage")
        .args([
            "-quiet",
            "-udf",
            "-allow-limited-size",
            "-iso-level",
            "3",
            "-J",
            "-o",
        ])
        .arg(&iso)
        .arg(&tree));
    let result = std::panic::catch_unwind(|| check_big(&iso, FileSystemKind::Udf, &src));
    std::fs::remove_file(&iso).unwrap();
    result.unwrap();
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-iso-level", "3", "-J", "-o"])
        .arg(&iso)
        .arg(&tree));
    let result = std::panic::catch_unwind(|| check_big(&iso, FileSystemKind::Iso9660, &src));
    std::fs::remove_dir_all(&dir).unwrap();
    result.unwrap();
}
