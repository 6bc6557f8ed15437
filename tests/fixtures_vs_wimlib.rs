//! Differential tests: on every generated fixture (wimlib- and 7-Zip-made,
//! intact and corrupted) wimproof agrees with `wimlib-imagex verify` on
//! intact/corrupt, and with `wimlib-imagex info` on the header fields and
//! blob count.

mod common;
use common::*;
use wimproof::policy::Verdict;

#[test]
fn intact_or_corrupt_agrees_with_wimlib_verify() {
    let rows = manifest();
    assert!(
        rows.len() >= 40,
        "expected the full fixture set, got {} rows",
        rows.len()
    );
    let mut disagree = Vec::new();
    let mut compared = 0;
    for row in &rows {
        let Some(want) = row.wimlib_intact else {
            continue;
        };
        let r = verify(&row.files);
        compared += 1;
        // A corrupt image must never come out better than corrupt; an
        // intact one must be intact (not merely "unverified").
        if r.intact != Some(want) {
            disagree.push(format!(
                "{}: wimlib intact={want}, wimproof intact={:?} verdict={} findings={:?}",
                row.name,
                r.intact,
                r.verdict,
                codes(&r)
            ));
        }
        if !want {
            assert_eq!(
                r.verdict,
                Verdict::Corrupt,
                "{}: corrupt image must get the corrupt verdict",
                row.name
            );
        }
    }
    println!("compared {compared} fixtures with wimlib-imagex verify");
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

fn info_field<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

#[test]
fn header_fields_and_blob_counts_agree_with_wimlib_info() {
    let dir = generated();
    let mut checked = 0;
    for row in manifest() {
        if row.wimlib_intact != Some(true) {
            continue;
        }
        let Ok(info) = std::fs::read_to_string(dir.join(format!("{}.info.txt", row.name))) else {
            continue;
        };
        let r = verify(&row.files);
        let w = r
            .wim
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no header decoded", row.name));
        let num = |k: &str| {
            info_field(&info, k).map(|v| {
                if let Some(h) = v.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).unwrap()
                } else {
                    v.parse::<u64>().unwrap()
                }
            })
        };
        assert_eq!(
            num("Image Count"),
            Some(w.image_count as u64),
            "{}",
            row.name
        );
        assert_eq!(num("Chunk Size"), Some(w.chunk_size as u64), "{}", row.name);
        assert_eq!(num("Version"), Some(w.version as u64), "{}", row.name);
        assert_eq!(num("Boot Index"), Some(w.boot_index as u64), "{}", row.name);
        assert_eq!(
            num("Total Parts"),
            Some(w.total_parts as u64),
            "{}",
            row.name
        );
        assert_eq!(
            info_field(&info, "GUID"),
            Some(w.guid.as_str()),
            "{}",
            row.name
        );
        // Every named flag wimlib reports is one we report.
        for l in info.lines().filter(|l| l.trim().ends_with("is set")) {
            let name = l
                .trim()
                .trim_start_matches("WIM_HDR_FLAG_")
                .trim_end_matches(" is set");
            assert!(
                w.flags.iter().any(|f| f == name),
                "{}: flag {name} not in {:?}",
                row.name,
                w.flags
            );
        }
        if row.files.len() == 1 {
            let blobs = std::fs::read_to_string(dir.join(format!("{}.blobs.txt", row.name)))
                .unwrap_or_default();
            let wimlib_blobs = blobs.lines().filter(|l| l.starts_with("Hash")).count() as u64;
            let ours = r.resources.blob_entries
                - r.resources.zero_hash_entries
                - r.resources.duplicate_hashes;
            assert_eq!(ours, wimlib_blobs, "{}: blob count", row.name);
        }
        checked += 1;
    }
    println!("compared the header and blob table of {checked} fixtures with wimlib-imagex info");
    assert!(checked >= 25);
}

#[test]
fn file_and_directory_counts_agree_with_wimlib_dir() {
    let mut checked = 0;
    for row in manifest() {
        if row.wimlib_intact != Some(true) || row.files.len() != 1 || row.defect != "-" {
            continue;
        }
        let r = verify(&row.files);
        let path = row.files[0].to_str().unwrap();
        let mut wimlib_entries = 0u64;
        for img in &r.images {
            let (rc, out) = wimlib(&["dir", path, &img.index.to_string()]);
            assert_eq!(rc, 0, "{}: wimlib-imagex dir failed: {out}", row.name);
            // `dir` prints one path per line, the root ("/") included.
            wimlib_entries += out.lines().filter(|l| l.starts_with('/')).count() as u64;
        }
        let ours = r.checked.files_in_tree + r.checked.dirs_in_tree;
        assert_eq!(
            ours, wimlib_entries,
            "{}: wimlib-imagex dir lists {wimlib_entries} entries, wimproof walked {ours}",
            row.name
        );
        assert!(
            !r.findings.iter().any(|f| f.code == "xml.counts"),
            "{}: tree counts differ from the XML: {:?}",
            row.name,
            codes(&r)
        );
        checked += 1;
    }
    println!("compared the directory trees of {checked} fixtures with wimlib-imagex dir");
    assert!(checked >= 20, "only {checked} fixtures compared");
}
