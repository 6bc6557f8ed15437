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
use common::wimproof;

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
        common::fixture_script("media.sh", "media")
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

// ---- the CLI on install media ------------------------------------------------

fn json_array(out: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str(out) {
        Ok(serde_json::Value::Array(a)) => a,
        other => panic!("not a JSON array: {other:?}\n{out}"),
    }
}

/// `path -> wimlib-imagex verify passed` on the files 7-Zip extracted.
fn wimlib_verdicts(name: &str) -> BTreeMap<String, bool> {
    let text = std::fs::read_to_string(media().join(format!("{name}.verify.tsv"))).unwrap();
    text.lines()
        .map(|l| {
            let (p, ok) = l.split_once('\t').unwrap();
            (p.to_string(), ok == "1")
        })
        .collect()
}

/// `sha256sum` of the medium, as media.sh recorded it.
fn sha256sum_of(name: &str) -> String {
    let text = std::fs::read_to_string(media().join(format!("{name}.sha256"))).unwrap();
    let (hex, file) = text.trim().split_once("  ").unwrap();
    assert_eq!(file, format!("{name}.iso"));
    hex.to_string()
}

/// A report's JSON with what differs between runs and between a medium's
/// WIM and its extracted copy masked: the time, the version, the container
/// (checked apart); `prefix` (the extracted copy's directory) cut from
/// every string, so that names read as the paths inside the medium.
fn masked(v: &serde_json::Value, prefix: &str) -> serde_json::Value {
    let mut v = v.clone();
    v["checked_at"] = serde_json::Value::Null;
    v["tool"]["version"] = serde_json::Value::Null;
    if let Some(o) = v.as_object_mut() {
        o.remove("container");
    }
    let text = serde_json::to_string(&v).unwrap().replace(prefix, "");
    serde_json::from_str(&text).unwrap()
}

/// The paths of a split set's parts on the medium, its first part's path given.
fn set_paths(first: &str, listing: &BTreeMap<String, (u64, String)>) -> Vec<String> {
    if !first.to_ascii_lowercase().ends_with(".swm") {
        return vec![first.to_string()];
    }
    let stem = &first[..first.len() - 4];
    let mut parts = vec![first.to_string()];
    for n in 2.. {
        let p = format!("{stem}{n}.swm");
        if !listing.contains_key(&p) {
            break;
        }
        parts.push(p);
    }
    parts
}

/// The CLI on a medium: one report per WIM (a split set one), each equal
/// to the CLI's report on the file 7-Zip extracted (judged for every
/// target; names masked), its `intact` as `wimlib-imagex verify` judged
/// the extracted file, its container the medium with the SHA-256
/// `sha256sum` gives; the exit status the worst. Returns the reports.
fn cli_equals_bare_and_wimlib(name: &str) -> Vec<serde_json::Value> {
    let iso = media().join(format!("{name}.iso"));
    let iso_s = iso.to_str().unwrap();
    let (rc, out, err) = wimproof(&[
        "--json",
        "--target",
        "all",
        "--inner-digest",
        "sha256",
        iso_s,
    ]);
    let reports = json_array(&out);
    let wimlib = wimlib_verdicts(name);
    let listing: BTreeMap<String, (u64, String)> =
        std::fs::read_to_string(media().join(format!("{name}.7z.tsv")))
            .unwrap()
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].to_string(), (f[1].parse().unwrap(), f[2].to_string()))
            })
            .collect();
    let paths: Vec<String> = reports
        .iter()
        .map(|r| r["container"]["path"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        wimlib.keys().cloned().collect::<Vec<_>>(),
        "{name}: the WIMs found are those 7-Zip extracted; stderr {err}"
    );
    let digest = sha256sum_of(name);
    let extracted = media().join(format!("{name}.extracted"));
    let prefix = format!("{}/", extracted.display());
    let mut worst = 0;
    let rank = |rc: i32| [0, 4, 3, 1, 2].iter().position(|&x| x == rc).unwrap();
    for r in &reports {
        let path = r["container"]["path"].as_str().unwrap();
        assert_eq!(r["file"]["name"], path);
        assert_eq!(r["container"]["name"], iso_s);
        assert_eq!(
            r["container"]["size"],
            std::fs::metadata(&iso).unwrap().len()
        );
        assert_eq!(r["container"]["sha256"], digest.as_str(), "{name}: {path}");
        assert!(r["container"].get("sha1").is_none());
        assert_eq!(
            r["intact"] == serde_json::Value::Bool(true),
            wimlib[path],
            "{name}: {path}: intact {} but wimlib verify says {}",
            r["intact"],
            wimlib[path]
        );
        let files: Vec<String> = set_paths(path, &listing)
            .iter()
            .map(|p| extracted.join(p).to_str().unwrap().to_string())
            .collect();
        let mut args = vec!["--json", "--target", "all"];
        args.extend(files.iter().map(String::as_str));
        let (bare_rc, bare, _) = wimproof(&args);
        let bare: serde_json::Value = serde_json::from_str(&bare).unwrap();
        assert_eq!(masked(r, &prefix), masked(&bare, &prefix), "{name}: {path}");
        if rank(bare_rc) > rank(worst) {
            worst = bare_rc;
        }
    }
    assert_eq!(rc, worst, "{name}: exit status is the worst of the WIMs'");
    println!(
        "{name}: {} WIMs equal their extracted copies' reports and wimlib's verdicts; exit {rc}",
        reports.len()
    );
    reports
}

#[test]
fn udf_medium_through_the_cli() {
    let reports = cli_equals_bare_and_wimlib("udf");
    // The default: no WIM's own digest, the medium's once.
    let iso = media().join("udf.iso");
    let (_, out, _) = wimproof(&["--json", iso.to_str().unwrap()]);
    let plain = json_array(&out);
    assert_eq!(plain.len(), reports.len());
    for (a, b) in plain.iter().zip(&reports) {
        assert_eq!(a["digests"], serde_json::json!({}));
        let mut b = b.clone();
        b["digests"] = serde_json::json!({});
        let mut a = a.clone();
        if let Some(parts) = b.get_mut("parts").and_then(|p| p.as_array_mut()) {
            for p in parts {
                p["digests"] = serde_json::json!({});
            }
        }
        for v in [&mut a, &mut b] {
            v["targets"] = serde_json::Value::Null;
            v["selected"] = serde_json::Value::Null;
            v["verdict"] = serde_json::Value::Null;
        }
        assert_eq!(masked(&a, ""), masked(&b, ""));
    }
}

#[test]
fn iso9660_medium_through_the_cli() {
    cli_equals_bare_and_wimlib("iso");
}

#[test]
fn a_flipped_byte_inside_a_wim_on_the_medium_is_found() {
    let reports = cli_equals_bare_and_wimlib("udf-flip");
    let flip: Vec<u64> = std::fs::read_to_string(media().join("flip.txt"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let install = reports
        .iter()
        .find(|r| r["file"]["name"] == "sources/install.wim")
        .unwrap();
    assert_eq!(install["verdict"], "corrupt");
    let f = install["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "resource.hash_mismatch")
        .expect("the blob's SHA-1 differs");
    // The finding's offset is the WIM's: the resource holding the byte.
    assert!(f["offset"].as_u64().unwrap() <= flip[1], "{f}");
    // The other WIMs are untouched; the medium's digest is not udf.iso's.
    assert_eq!(
        reports.iter().filter(|r| r["verdict"] == "corrupt").count(),
        2,
        "install.wim and boot/corrupt.wim"
    );
    assert_ne!(sha256sum_of("udf-flip"), sha256sum_of("udf"));
}

#[test]
fn boot_wim_of_another_architecture_on_the_medium_and_given_together() {
    let reports = cli_equals_bare_and_wimlib_mixed();
    let boot = reports
        .iter()
        .find(|r| r["file"]["name"] == "sources/boot.wim")
        .unwrap();
    let codes: Vec<&str> = boot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"medium.boot_architecture"), "{codes:?}");
    assert_eq!(boot["verdict"], "warning");
    let install = reports
        .iter()
        .find(|r| r["file"]["name"] == "sources/install.wim")
        .unwrap();
    assert!(!install["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "medium.boot_architecture"));
    // Given together on the CLI as files, the same finding, on boot.wim.
    let x = media().join("mixed.extracted/sources");
    let (rc, out, _) = wimproof(&[
        "--json",
        x.join("install.wim").to_str().unwrap(),
        x.join("boot.wim").to_str().unwrap(),
    ]);
    let both = json_array(&out);
    assert_eq!(rc, 0);
    let msg = both[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "medium.boot_architecture")
        .expect("boot.wim beside an x64 install.wim")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("x86") && msg.contains("x64") && !msg.contains("amd64"),
        "{msg}"
    );
    assert_eq!(both[1]["verdict"], "warning");
    // Alone, boot.wim has no such finding.
    let (_, out, _) = wimproof(&["--json", x.join("boot.wim").to_str().unwrap()]);
    assert!(!out.contains("medium.boot_architecture"));
    // The text names it under the medium.
    let iso = media().join("mixed.iso");
    let (_, text, _) = wimproof(&[iso.to_str().unwrap()]);
    assert!(
        text.contains("install media (UDF)") && text.contains("medium.boot_architecture"),
        "{text}"
    );
}

/// The mixed medium's reports (its WIMs are judged together, so each
/// differs from its extracted copy judged alone by the medium finding:
/// compared with the extracted pair given together instead).
fn cli_equals_bare_and_wimlib_mixed() -> Vec<serde_json::Value> {
    let iso = media().join("mixed.iso");
    let (rc, out, _) = wimproof(&[
        "--json",
        "--target",
        "all",
        "--inner-digest",
        "sha256",
        iso.to_str().unwrap(),
    ]);
    let reports = json_array(&out);
    assert_eq!(reports.len(), 2);
    let x = media().join("mixed.extracted");
    let paths: Vec<String> = reports
        .iter()
        .map(|r| {
            x.join(r["file"]["name"].as_str().unwrap())
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut args = vec!["--json", "--target", "all"];
    args.extend(paths.iter().map(String::as_str));
    let (bare_rc, bare, _) = wimproof(&args);
    let bare = json_array(&bare);
    let prefix = format!("{}/", x.display());
    for (r, b) in reports.iter().zip(&bare) {
        assert_eq!(masked(r, &prefix), masked(b, &prefix));
        assert_eq!(r["container"]["sha256"], sha256sum_of("mixed").as_str());
    }
    let wimlib = wimlib_verdicts("mixed");
    assert!(wimlib.values().all(|&ok| ok));
    assert_eq!(rc, bare_rc);
    reports
}

#[test]
fn expected_digests_are_the_mediums() {
    let iso = media().join("udf.iso");
    let iso_s = iso.to_str().unwrap();
    let good = sha256sum_of("udf");
    let (rc_plain, _, _) = wimproof(&["--json", iso_s]);
    let (rc, out, _) = wimproof(&["--json", "--expect-sha256", &good, iso_s]);
    assert_eq!(rc, rc_plain);
    assert!(!out.contains("digest.mismatch"));
    // Another digest: every WIM on it is then not what was expected.
    let wrong = format!("{}0", &good[..63]).replace(&good[..63], &"ab".repeat(32)[..63]);
    let (rc, out, _) = wimproof(&["--json", "--expect-sha256", &wrong, iso_s]);
    assert_eq!(rc, 1);
    for r in json_array(&out) {
        assert_eq!(r["verdict"], "corrupt");
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "digest.mismatch")
            .expect("digest.mismatch in each report");
        assert!(f["message"].as_str().unwrap().contains(&good), "{f}");
    }
    // A checksum list names the ISO; --write-list writes the ISO's line.
    let dir = media().join("lists");
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("SHA256SUMS");
    std::fs::write(&list, format!("{good}  udf.iso\n")).unwrap();
    let written = dir.join("written.txt");
    let _ = std::fs::remove_file(&written);
    let (rc, out, _) = wimproof(&[
        "--json",
        "--digest",
        "none",
        "--check-list",
        list.to_str().unwrap(),
        "--write-list",
        written.to_str().unwrap(),
        iso_s,
    ]);
    assert_eq!(rc, rc_plain);
    // The list's digest is computed whatever --digest says.
    assert_eq!(json_array(&out)[0]["container"]["sha256"], good.as_str());
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        format!("{good}  udf.iso\n")
    );
    // No digest of the medium: only the WIMs' bytes are read, the expected
    // digest is not computed (unverified), and no container digest.
    let (rc, out, _) = wimproof(&["--json", "--digest", "none", iso_s]);
    assert_eq!(rc, rc_plain);
    assert!(json_array(&out)
        .iter()
        .all(|r| r["container"].get("sha256").is_none()));
    let (_, text, _) = wimproof(&["--digest", "none", iso_s]);
    assert!(text.contains("of it once (no digest"), "{text}");
    let (rc, _, _) = wimproof(&["--digest", "none", "--expect-sha1", &"0".repeat(40), iso_s]);
    assert_eq!(
        rc, 1,
        "a mismatch is worse than not computed: boot/corrupt.wim"
    );
    let (_, out, _) = wimproof(&["--json", "--digest", "sha1", iso_s]);
    let sha1 = json_array(&out)[0]["container"]["sha1"]
        .as_str()
        .unwrap()
        .to_string();
    let want = Command::new("sha1sum").arg(&iso).output().unwrap();
    assert!(String::from_utf8_lossy(&want.stdout).starts_with(&sha1));
}

// ---- media patched by hand (ECMA-167 structures of genisoimage's UDF) ------

const SECTOR: usize = 2048;

/// CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0, not reflected): the
/// descriptor CRC of a UDF tag (ECMA-167 3/7.2.6).
fn crc_itu(data: &[u8]) -> u16 {
    let mut c = 0u16;
    for &b in data {
        c ^= u16::from(b) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            };
        }
    }
    c
}

fn u16_at(m: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(m[at..at + 2].try_into().unwrap())
}

fn u32_at(m: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(m[at..at + 4].try_into().unwrap())
}

fn put_u32(m: &mut [u8], at: usize, v: u32) {
    m[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Re-seals the descriptor at `at` after an edit (ECMA-167 3/7.2): its
/// CRC over `crc_len` bytes after the 16-byte tag, then the tag checksum
/// (the sum of the tag's bytes but byte 4, modulo 256).
fn reseal(m: &mut [u8], at: usize, crc_len: u16) {
    m[at + 10..at + 12].copy_from_slice(&crc_len.to_le_bytes());
    let crc = crc_itu(&m[at + 16..at + 16 + crc_len as usize]);
    m[at + 8..at + 10].copy_from_slice(&crc.to_le_bytes());
    let sum = m[at..at + 16]
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
    m[at + 4] = sum;
}

/// Whether a valid tag of identifier `id` starts at `at`.
fn tag_is(m: &[u8], at: usize, id: u16) -> bool {
    let sum = m[at..at + 16]
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
    u16_at(m, at) == id && m[at + 4] == sum
}

/// The first sector of the partition: the Partition Descriptor's (tag 5)
/// Partition Starting Location, at +188 (ECMA-167 3/10.5).
fn partition_start(m: &[u8]) -> usize {
    let pd = (16..300)
        .map(|s| s * SECTOR)
        .find(|&at| tag_is(m, at, 5))
        .expect("a partition descriptor");
    u32_at(m, pd + 188) as usize
}

/// The byte offset of the File Entry (tag 261) whose one short_ad
/// (ECMA-167 4/14.14.1) points at medium offset `data`; genisoimage writes
/// File Entries with no extended attributes (L_EA +168 = 0), L_AD at +172
/// and the descriptors from +176.
fn file_entry_at(m: &[u8], data: u64) -> usize {
    let part = partition_start(m);
    let lbn = (data as usize / SECTOR - part) as u32;
    (part..m.len() / SECTOR)
        .map(|s| s * SECTOR)
        .find(|&at| {
            tag_is(m, at, 261)
                && u32_at(m, at + 168) == 0
                && u32_at(m, at + 172) == 8
                && u16_at(m, at + 16 + 18) & 7 == 0
                && u32_at(m, at + 176 + 4) == lbn
        })
        .expect("the file's File Entry")
}

fn write_medium(name: &str, bytes: &[u8]) -> PathBuf {
    let p = media().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// wimproof with a time limit: a hostile medium must end, not hang.
fn wimproof_limited(args: &[&str]) -> (i32, String, String) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(env!("CARGO_BIN_EXE_wimproof"))
        .args(args)
        .output()
        .expect("run wimproof under timeout");
    let rc = out.status.code().unwrap_or(-1);
    assert_ne!(rc, 124, "wimproof {args:?} did not finish in 120 s");
    (
        rc,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `sources/install.wim`'s second half moved before its first on the
/// medium, its File Entry given two extents in file order (so they are
/// descending on the medium): its bytes are unchanged, it is read in a
/// second pass in its own order, and its report is the extracted copy's
/// with one `medium.second_pass` info finding more.
#[test]
fn a_wim_whose_extents_descend_is_read_in_its_own_order() {
    let mut m = std::fs::read(media().join("udf.iso")).unwrap();
    let listed = medium::open(&m).unwrap();
    let f = listed.file("sources/install.wim").unwrap().clone();
    assert_eq!(f.extents.len(), 1);
    let (x, size) = (f.extents[0].offset as usize, f.size as usize);
    let fe = file_entry_at(&m, x as u64);
    let blocks = size.div_ceil(SECTOR);
    let first = blocks / 2 * SECTOR;
    let rest_blocks = blocks - blocks / 2;
    let data = m[x..x + size].to_vec();
    let region = &mut m[x..x + blocks * SECTOR];
    region.fill(0);
    region[..size - first].copy_from_slice(&data[first..]);
    region[rest_blocks * SECTOR..].copy_from_slice(&data[..first]);
    let lbn = (x / SECTOR - partition_start(&m)) as u32;
    put_u32(&mut m, fe + 172, 16);
    put_u32(&mut m, fe + 176, first as u32);
    put_u32(&mut m, fe + 180, lbn + rest_blocks as u32);
    put_u32(&mut m, fe + 184, (size - first) as u32);
    put_u32(&mut m, fe + 188, lbn);
    reseal(&mut m, fe, 176);
    let iso = write_medium("udf-backwards.iso", &m);

    let listed = medium::open(&m).unwrap();
    let g = listed.file("sources/install.wim").unwrap();
    assert_eq!(g.extents.len(), 2);
    assert!(!g.is_ascending(), "{:?}", g.extents);
    let r = ExtentReader::new(&m, g).unwrap();
    assert_eq!(sha256_through(&r), oracle("udf")["sources/install.wim"].1);

    let (rc, out, _) = wimproof(&[
        "--json",
        "--target",
        "all",
        "--inner-digest",
        "sha256",
        iso.to_str().unwrap(),
    ]);
    assert_eq!(rc, 1, "boot/corrupt.wim is still there");
    let reports = json_array(&out);
    let inside = reports
        .iter()
        .find(|r| r["file"]["name"] == "sources/install.wim")
        .unwrap()
        .clone();
    let mut inside = inside;
    let findings = inside["findings"].as_array_mut().unwrap();
    let at = findings
        .iter()
        .position(|f| f["code"] == "medium.second_pass")
        .expect("the report says it was read in a second pass");
    let note = findings.remove(at);
    assert_eq!(note["severity"], "info");
    assert_eq!(note["part"], "sources/install.wim");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("2 extents are not in ascending order"),
        "{note}"
    );
    let extracted = media().join("udf.extracted/sources/install.wim");
    let (_, bare, _) = wimproof(&["--json", "--target", "all", extracted.to_str().unwrap()]);
    let bare: serde_json::Value = serde_json::from_str(&bare).unwrap();
    let prefix = format!("{}/", media().join("udf.extracted").display());
    assert_eq!(masked(&inside, &prefix), masked(&bare, &prefix));
    // The others are read in the pass over the medium and say nothing of it.
    for r in reports
        .iter()
        .filter(|r| r["file"]["name"] != "sources/install.wim")
    {
        assert!(
            !r.to_string().contains("medium.second_pass"),
            "{}",
            r["file"]
        );
    }
    let (_, text, _) = wimproof(&[iso.to_str().unwrap()]);
    assert!(
        text.contains("in a second pass over 1 file in its own order"),
        "{text}"
    );
    std::fs::remove_file(&iso).unwrap();
}

/// README.TXT's allocation continues (extent type 3) into an Allocation
/// Extent Descriptor (tag 258, ECMA-167 4/14.5), written where its data
/// was. First one that holds a recorded extent (the first 41 bytes of
/// `efi/microsoft/boot/bcd`): the chain is followed and README.TXT reads
/// those bytes, so the descriptor is well formed. Then one that continues
/// into itself: an error (the reader's bound on continuations), not a hang.
#[test]
fn an_allocation_extent_chain_that_loops_is_an_error() {
    let orig = std::fs::read(media().join("udf.iso")).unwrap();
    let listed = medium::open(&orig).unwrap();
    let readme = listed.file("README.TXT").unwrap().extents[0].offset as usize;
    let bcd = listed.file("efi/microsoft/boot/bcd").unwrap().extents[0].offset as usize;
    let part = partition_start(&orig);
    let lbn = (readme / SECTOR - part) as u32;
    let chain = |last: (u32, u32)| {
        let mut m = orig.clone();
        let fe = file_entry_at(&m, readme as u64);
        let next_extent = (3u32 << 30) | SECTOR as u32;
        put_u32(&mut m, fe + 176, next_extent);
        put_u32(&mut m, fe + 180, lbn);
        reseal(&mut m, fe, 168);
        // The AED: tag (id 258, the File Entry's version and serial, its
        // own block as location), previous extent 0, L_AD 8, one short_ad.
        let aed = readme;
        m[aed..aed + SECTOR].fill(0);
        m[aed..aed + 2].copy_from_slice(&258u16.to_le_bytes());
        let (version, serial) = (u16_at(&m, fe + 2), u16_at(&m, fe + 6));
        m[aed + 2..aed + 4].copy_from_slice(&version.to_le_bytes());
        m[aed + 6..aed + 8].copy_from_slice(&serial.to_le_bytes());
        put_u32(&mut m, aed + 12, lbn);
        put_u32(&mut m, aed + 20, 8);
        put_u32(&mut m, aed + 24, last.0);
        put_u32(&mut m, aed + 28, last.1);
        reseal(&mut m, aed, 16);
        m
    };
    let good = chain((41, (bcd / SECTOR - part) as u32));
    let listed = medium::open(&good).expect("a chain of one continuation");
    let f = listed.file("README.TXT").unwrap();
    assert_eq!(f.extents.len(), 1);
    assert_eq!(f.extents[0].offset, bcd as u64);
    let mut text = vec![0u8; 41];
    ExtentReader::new(&good, f)
        .unwrap()
        .read_at(0, &mut text)
        .unwrap();
    assert_eq!(text, orig[bcd..bcd + 41]);

    let m = chain(((3u32 << 30) | SECTOR as u32, lbn));
    let err = medium::open(&m).expect_err("a looping chain");
    assert!(
        err.to_string().contains("allocation of \"README.TXT\""),
        "{err}"
    );
    println!("AED loop: {err}");
    let iso = write_medium("udf-aed-loop.iso", &m);
    let (rc, out, err) = wimproof_limited(&["--json", iso.to_str().unwrap()]);
    assert_eq!(rc, 2, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"], "medium", "{v}");
    assert!(err.contains("install media that cannot be read"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_file(&iso).unwrap();
}

/// A directory of the root whose File Identifier Descriptor (tag 257,
/// ECMA-167 4/14.4: its ICB long_ad at +20, the block at +24) points back
/// at the root's File Entry: an error, not a hang (the reader refuses a
/// directory that is its own ancestor; a cycle it did not see would end
/// at `MAX_DEPTH`).
#[test]
fn a_directory_cycle_is_an_error() {
    let mut m = std::fs::read(media().join("udf.iso")).unwrap();
    let part = partition_start(&m);
    // File Set Descriptor (tag 256): the root directory's ICB at +400.
    let fsd = (part..part + 64)
        .map(|s| s * SECTOR)
        .find(|&at| tag_is(&m, at, 256))
        .expect("a file set descriptor");
    let root_lbn = u32_at(&m, fsd + 404);
    let root_fe = (part + root_lbn as usize) * SECTOR;
    assert!(tag_is(&m, root_fe, 261));
    let dir = (part + u32_at(&m, root_fe + 180) as usize) * SECTOR;
    let dir_len = u32_at(&m, root_fe + 176) as usize & 0x3fff_ffff;
    let mut at = dir;
    let mut patched = None;
    while at < dir + dir_len {
        assert!(tag_is(&m, at, 257), "a FID at {at}");
        let (chars, l_fi, l_iu) = (
            m[at + 18],
            m[at + 19] as usize,
            u16_at(&m, at + 36) as usize,
        );
        if chars & 0x02 != 0 && chars & 0x08 == 0 {
            put_u32(&mut m, at + 24, root_lbn);
            let crc_len = u16_at(&m, at + 10);
            reseal(&mut m, at, crc_len);
            patched = Some(at);
            break;
        }
        at += (38 + l_iu + l_fi).div_ceil(4) * 4;
    }
    assert!(patched.is_some(), "a subdirectory in the root");
    let err = medium::open(&m).expect_err("a directory cycle");
    assert!(
        matches!(
            err,
            medium::MediumError::Limit { .. } | medium::MediumError::Corrupt { .. }
        ),
        "{err:?}"
    );
    println!("directory cycle: {err}");
    let iso = write_medium("udf-cycle.iso", &m);
    let (rc, out, err) = wimproof_limited(&["--json", iso.to_str().unwrap()]);
    assert_eq!(rc, 2, "{out}{err}");
    assert!(
        err.contains("install media that cannot be read") && err.contains("directory"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_file(&iso).unwrap();
}

/// A medium cut short (a partial download) and one with no WIM on it are
/// errors that say so, exit status 2, never a verdict.
#[test]
fn truncated_media_and_media_without_a_wim_are_errors() {
    let m = std::fs::read(media().join("udf.iso")).unwrap();
    let iso = write_medium("udf-cut.iso", &m[..m.len() / 2]);
    let (rc, out, err) = wimproof_limited(&["--json", iso.to_str().unwrap()]);
    assert_eq!(rc, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"], "medium");
    assert!(err.contains("past the end of the medium"), "{err}");
    std::fs::remove_file(&iso).unwrap();

    let tree = media().join("nowim-tree");
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(tree.join("sources")).unwrap();
    std::fs::write(tree.join("README.TXT"), b"no image here\r\n").unwrap();
    std::fs::write(tree.join("sources/setup.exe"), b"MZ").unwrap();
    let iso = media().join("nowim.iso");
    let made = Command::new("genisoimage")
        .args(["-quiet", "-udf", "-iso-level", "3", "-J", "-o"])
        .arg(&iso)
        .arg(&tree)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::remove_dir_all(&tree).unwrap();
    let (rc, out, err) = wimproof(&["--json", iso.to_str().unwrap()]);
    assert_eq!(rc, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"], "medium");
    assert!(v.get("verdict").is_none());
    assert!(
        err.contains("with no WIM on it") && err.contains("(UDF, 2 files)"),
        "{err}"
    );
    std::fs::remove_file(&iso).unwrap();
}

// ---- the 4.6 GiB WIM on a medium ------------------------------------------

/// The 4.6 GiB uncompressed WIM of tests/fixtures/big.sh (integrity table,
/// an offset marker every MiB) as `sources/install.wim` of a UDF medium
/// (genisoimage: five extents under 1 GiB each) and of an ISO 9660 one
/// (xorriso: two multi-extent records), made, checked and deleted one at a
/// time: each inner report equals the bare file's (every target; usb-fat32
/// unsafe by the inner file's size), the UDF medium's SHA-256 is
/// `sha256sum`'s, and a byte flipped on the medium above 2^32 of the WIM
/// (where big-corrupt.wim has it) is found at that WIM offset. Only with
/// WIMPROOF_MEDIA_BIG=1: about 4.6 GiB of disk beside the fixture, and
/// several reads of 4.6 GiB.
#[test]
fn big_wim_on_a_medium_gives_the_bare_files_verdict() {
    if std::env::var_os("WIMPROOF_MEDIA_BIG").is_none() {
        println!("skipped: set WIMPROOF_MEDIA_BIG=1 (4.6 GiB medium, several passes)");
        return;
    }
    use wimproof::assess::Request;
    use wimproof::native::medium::verify_medium;
    use wimproof::policy::{TargetId, Verdict};
    let (big, flipped) = common::big_fixture();
    let wim = big.join("big.wim");
    assert!(flipped > 1 << 32);
    let all = Request {
        targets: TargetId::ALL.to_vec(),
        ..Request::default()
    };
    // CPU seconds of this process (user + system, all its threads) so far:
    // fields 14 and 15 of /proc/self/stat (utime, stime, in 1/100 s), the
    // 12th and 13th after the command name (the state is the 1st).
    let cpu = || {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let ticks = |i: usize| f[i].parse::<u64>().unwrap();
        (ticks(11) + ticks(12)) as f64 / 100.0
    };
    let t0 = cpu();
    let bare = common::verify_with(std::slice::from_ref(&wim), all.clone());
    let bare_cpu = cpu() - t0;
    assert_eq!(bare.intact, Some(true));
    let bare_json = masked(&serde_json::to_value(&bare).unwrap(), "");

    let dir = media().join("bigwim");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tree/sources")).unwrap();
    std::fs::hard_link(&wim, dir.join("tree/sources/install.wim")).unwrap();
    std::fs::write(dir.join("tree/README.TXT"), b"big\r\n").unwrap();
    let iso = dir.join("big.iso");
    let inner_report = |iso: &Path, inner: (bool, bool)| {
        let run = verify_medium(iso, &all, inner, 2, &|_, _| {}).unwrap();
        assert_eq!(run.reports.len(), 1);
        assert_eq!(run.second_pass_files, 0);
        (run.info.digests.sha256.clone(), run.reports[0].clone())
    };
    let check = |kind: &str, r: &wimproof::report::Report| {
        let mut v = serde_json::to_value(r).unwrap();
        assert_eq!(v["file"]["name"], "sources/install.wim");
        v["file"]["name"] = serde_json::to_value(&bare.file.name).unwrap();
        assert_eq!(
            masked(&v, ""),
            bare_json,
            "{kind}: the inner report is the bare file's"
        );
        let fat = r
            .targets
            .iter()
            .find(|t| t.id == TargetId::UsbFat32)
            .unwrap();
        assert_eq!(fat.verdict, Verdict::Unsafe, "{kind}");
        assert!(fat.reasons.iter().any(|x| x.code == "size.fat32"), "{kind}");
    };
    let result = std::panic::catch_unwind(|| {
        let made = Command::new("genisoimage")
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
            .arg(dir.join("tree"))
            .status()
            .unwrap();
        assert!(made.success());
        let t0 = cpu();
        let (digest, r) = inner_report(&iso, (true, false));
        let iso_cpu = cpu() - t0;
        println!("CPU seconds: bare big.wim {bare_cpu:.1}, on the UDF medium {iso_cpu:.1} (same digests: SHA-256 of the WIM, plus the medium's)");
        check("UDF", &r);
        let out = Command::new("sha256sum").arg(&iso).output().unwrap();
        let want = String::from_utf8_lossy(&out.stdout);
        assert_eq!(digest.as_deref(), want.split_whitespace().next());
        // Flip the byte on the medium: where the WIM's offset `flipped` lies.
        let f = FileReader::open(&iso).unwrap();
        let m = medium::open(&f).unwrap();
        let file = m.file("sources/install.wim").unwrap();
        assert!(file.extents.len() >= 5, "{:?}", file.extents);
        let mut at = 0u64;
        let medium_offset = file
            .extents
            .iter()
            .find_map(|e| {
                let hit =
                    (flipped >= at && flipped < at + e.len).then(|| e.offset + (flipped - at));
                at += e.len;
                hit
            })
            .unwrap();
        drop(f);
        {
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&iso)
                .unwrap();
            let mut b = [0u8; 1];
            f.read_exact_at(&mut b, medium_offset).unwrap();
            f.write_all_at(&[b[0] ^ 0x01], medium_offset).unwrap();
        }
        // The default: the medium's SHA-256 only (the same hashing as the
        // bare file's default run).
        let t0 = cpu();
        let (_, r) = inner_report(&iso, (false, false));
        println!(
            "CPU seconds: the flipped UDF medium, WIM digest off: {:.1}",
            cpu() - t0
        );
        assert_eq!(r.intact, Some(false));
        let c = &r.integrity.bad_chunks;
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(
            c[0].offset <= flipped && flipped < c[0].offset + c[0].length,
            "{c:?}"
        );
        assert!(r
            .findings
            .iter()
            .any(|f| f.code == "resource.hash_mismatch"));
        println!(
            "UDF: {} extents, report equals the bare file's; flipped byte at medium offset {medium_offset} found in chunk at WIM offset {}",
            file.extents.len(),
            c[0].offset
        );
        std::fs::remove_file(&iso).unwrap();

        let made = Command::new("xorriso")
            .args(["-as", "mkisofs", "-quiet", "-iso-level", "3", "-J", "-o"])
            .arg(&iso)
            .arg(dir.join("tree"))
            .status()
            .unwrap();
        assert!(made.success());
        let f = FileReader::open(&iso).unwrap();
        let n = medium::open(&f)
            .unwrap()
            .file("sources/install.wim")
            .unwrap()
            .extents
            .len();
        assert!(n >= 2, "multi-extent records: {n}");
        drop(f);
        let (_, r) = inner_report(&iso, (true, false));
        check("ISO 9660", &r);
        println!("ISO 9660: {n} extents, report equals the bare file's");
    });
    std::fs::remove_dir_all(&dir).unwrap();
    result.unwrap();
}
