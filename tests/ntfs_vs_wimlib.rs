//! Differential tests on images with Windows (NTFS) semantics: named data
//! streams, security descriptors, reparse points (symlinks, junctions),
//! hard links, DOS attributes, captured by wimlib-imagex from an NTFS volume
//! (`tests/fixtures/ntfs.sh`, through ntfs-3g), intact and corrupted.
//! wimproof must agree with `wimlib-imagex verify` on every one, count what
//! `wimlib-imagex dir --detailed` lists, and place its corruption findings
//! in the damaged resource.

mod common;
use common::*;
use std::path::Path;
use wimproof::policy::Verdict;
use wimproof::report::Report;
use wimproof::verify::finding::Severity;

const ZERO_HASH: &str = "0x0000000000000000000000000000000000000000";

fn corruption_findings(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Corruption)
        .map(|f| format!("{}@{:?}", f.code, f.offset))
        .collect()
}

#[test]
fn intact_or_corrupt_agrees_with_wimlib_verify() {
    let rows = ntfs_manifest();
    let corrupted = rows.iter().filter(|r| r.defect != "-").count();
    assert!(
        rows.len() >= 30 && corrupted >= 18,
        "expected the full NTFS fixture set, got {} rows ({corrupted} corrupted)",
        rows.len()
    );
    let mut disagree = Vec::new();
    for row in &rows {
        let want = row
            .wimlib_intact
            .unwrap_or_else(|| panic!("{}: no wimlib verdict in the manifest", row.name));
        let r = verify(&row.files);
        if r.intact != Some(want) {
            disagree.push(format!(
                "{}: wimlib intact={want}, wimproof intact={:?} verdict={} findings={:?}",
                row.name,
                r.intact,
                r.verdict,
                codes(&r)
            ));
        } else if !want && r.verdict != Verdict::Corrupt {
            disagree.push(format!(
                "{}: wimlib fails it, wimproof's verdict is {} (not corrupt)",
                row.name, r.verdict
            ));
        }
        // A file wimlib verifies as good gets no corruption finding at all.
        let bad = corruption_findings(&r);
        if want && !bad.is_empty() {
            disagree.push(format!(
                "{}: wimlib verifies it, wimproof reports corruption {bad:?}",
                row.name
            ));
        }
    }
    println!(
        "compared {} NTFS fixtures ({corrupted} corrupted) with wimlib-imagex verify",
        rows.len()
    );
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

/// What `wimlib-imagex dir WIM N --detailed` lists for one image.
#[derive(Debug, Default)]
struct DirCounts {
    files: u64,
    dirs: u64,
    /// Streams with a non-zero hash.
    streams: u64,
    named_streams: u64,
    reparse_points: u64,
}

/// Parses `dir --detailed`: one block per path, starting at `Full Path`,
/// with the attributes (a directory is one with FILE_ATTRIBUTE_DIRECTORY
/// and without FILE_ATTRIBUTE_REPARSE_POINT, as wimlib counts them), then
/// the streams, each with a `Hash` line.
fn parse_dir_detailed(out: &str) -> DirCounts {
    let mut c = DirCounts::default();
    let mut entry: Option<(bool, bool)> = None; // (directory, reparse point)
    let close = |e: Option<(bool, bool)>, c: &mut DirCounts| {
        if let Some((dir, reparse)) = e {
            if dir && !reparse {
                c.dirs += 1;
            } else {
                c.files += 1;
            }
            if reparse {
                c.reparse_points += 1;
            }
        }
    };
    for line in out.lines() {
        let l = line.trim();
        if l.starts_with("Full Path") {
            close(entry.take(), &mut c);
            entry = Some((false, false));
        } else if let Some(e) = entry.as_mut() {
            if l == "FILE_ATTRIBUTE_DIRECTORY is set" {
                e.0 = true;
            } else if l == "FILE_ATTRIBUTE_REPARSE_POINT is set" {
                e.1 = true;
            } else if l.starts_with("Named data stream") {
                c.named_streams += 1;
            } else if let Some(h) = l.strip_prefix("Hash") {
                let h = h.trim_start().trim_start_matches('=').trim();
                if h != ZERO_HASH {
                    c.streams += 1;
                }
            }
        }
    }
    close(entry.take(), &mut c);
    c
}

#[test]
fn file_directory_and_stream_counts_agree_with_wimlib_dir_detailed() {
    let mut checked = 0;
    let mut disagree = Vec::new();
    let mut named_total = 0;
    let mut reparse_total = 0;
    for row in ntfs_manifest() {
        if row.wimlib_intact != Some(true) || row.files.len() != 1 || row.defect != "-" {
            continue;
        }
        let r = verify(&row.files);
        let path = row.files[0].to_str().unwrap();
        let mut w = DirCounts::default();
        for img in &r.images {
            let (rc, out) = wimlib(&["dir", path, &img.index.to_string(), "--detailed"]);
            assert_eq!(
                rc, 0,
                "{}: wimlib-imagex dir --detailed failed: {out}",
                row.name
            );
            let c = parse_dir_detailed(&out);
            w.files += c.files;
            w.dirs += c.dirs;
            w.streams += c.streams;
            w.named_streams += c.named_streams;
            w.reparse_points += c.reparse_points;
        }
        let ours = &r.checked;
        if (ours.files_in_tree, ours.dirs_in_tree, ours.streams_in_tree)
            != (w.files, w.dirs, w.streams)
        {
            disagree.push(format!(
                "{}: wimlib-imagex dir --detailed lists {} files, {} directories, {} streams with data; wimproof counted {}, {}, {}",
                row.name, w.files, w.dirs, w.streams, ours.files_in_tree, ours.dirs_in_tree, ours.streams_in_tree
            ));
        }
        if r.findings.iter().any(|f| f.code == "xml.counts") {
            disagree.push(format!(
                "{}: tree counts differ from the XML: {:?}",
                row.name,
                codes(&r)
            ));
        }
        named_total += w.named_streams;
        reparse_total += w.reparse_points;
        checked += 1;
    }
    println!(
        "compared the trees of {checked} NTFS fixtures with wimlib-imagex dir --detailed ({named_total} named streams, {reparse_total} reparse points listed)"
    );
    assert!(checked >= 12, "only {checked} fixtures compared");
    // The fixtures carry what they are for: each image of the first volume
    // state lists 19 named streams (hard links counted) and 4 reparse points.
    assert!(
        named_total >= 12 * checked && reparse_total >= 4 * checked,
        "the NTFS fixtures lack named streams or reparse points: {named_total} and {reparse_total} over {checked} images sets"
    );
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

/// Byte ranges `[start, end)` in `blobs` (`wimlib-imagex info --blobs`) of
/// the resource holding the blob with this SHA-1 (for a blob in a solid
/// resource, the solid resource), or of every metadata resource.
fn resource_ranges(blobs: &str, sha1: Option<&str>) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for block in blobs.split("\n\n") {
        let field = |k: &str| {
            block.lines().find_map(|l| {
                let (a, b) = l.split_once('=')?;
                (a.trim() == k).then(|| b.trim().to_string())
            })
        };
        let num = |v: &str| -> u64 { v.split_whitespace().next().unwrap().parse().unwrap() };
        let wanted = match sha1 {
            Some(h) => field("Hash").is_some_and(|x| x.trim_start_matches("0x") == h),
            None => field("Flags").is_some_and(|f| f.contains("WIM_RESHDR_FLAG_METADATA")),
        };
        if !wanted {
            continue;
        }
        if let Some(solid) = field("Solid resource") {
            // "U => C bytes @ offset O"
            let (_, rest) = solid.split_once("=>").unwrap();
            let stored = num(rest);
            let at = num(rest.split("@ offset").nth(1).unwrap());
            out.push((at, at + stored));
        } else if let (Some(at), Some(stored)) = (field("Offset in WIM"), field("Compressed size"))
        {
            out.push((num(&at), num(&at) + num(&stored)));
        }
    }
    out
}

#[test]
fn corrupted_copies_have_a_finding_inside_the_damaged_resource() {
    let dir = ntfs_generated();
    let mut disagree = Vec::new();
    let mut checked = 0;
    let mut kinds = std::collections::BTreeMap::<String, u32>::new();
    for row in ntfs_manifest() {
        if row.defect == "-" {
            continue;
        }
        let kind = row.defect.split(':').next().unwrap().to_string();
        let sha1 = row
            .defect
            .split("sha1 ")
            .nth(1)
            .map(|s| s[..40].to_string());
        match kind.as_str() {
            "named-stream" | "reparse" => {
                assert!(sha1.is_some(), "{}: no sha1 in {}", row.name, row.defect)
            }
            "security" => {}
            _ => panic!("{}: unknown corruption kind {kind}", row.name),
        }
        let blobs = std::fs::read_to_string(dir.join(format!("{}.blobs.txt", row.name)))
            .unwrap_or_else(|e| panic!("{}.blobs.txt: {e}", row.name));
        let ranges = resource_ranges(&blobs, sha1.as_deref());
        assert!(
            !ranges.is_empty(),
            "{}: the damaged resource is not in wimlib's blob list",
            row.name
        );
        let r = verify(&row.files);
        let inside = r.findings.iter().any(|f| {
            f.severity == Severity::Corruption
                && f.offset
                    .is_some_and(|o| ranges.iter().any(|&(a, b)| a <= o && o < b))
        });
        if r.verdict != Verdict::Corrupt || !inside {
            disagree.push(format!(
                "{}: verdict {}, no corruption finding inside {ranges:?} ({}): {:?}",
                row.name,
                r.verdict,
                if sha1.is_some() {
                    "the damaged blob's resource"
                } else {
                    "a metadata resource"
                },
                corruption_findings(&r)
            ));
        }
        *kinds.entry(kind).or_default() += 1;
        checked += 1;
    }
    println!("checked {checked} corrupted NTFS fixtures: {kinds:?}");
    assert!(
        kinds.len() == 3 && kinds.values().all(|&n| n >= 6),
        "expected each corruption kind on 6 bases: {kinds:?}"
    );
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

/// The manifest's files exist and the split set is given as all its parts
/// (the verdict of a split set covers every part).
#[test]
fn split_set_is_listed_with_all_parts() {
    let rows = ntfs_manifest();
    let split = rows
        .iter()
        .find(|r| r.name == "ntfs-split")
        .expect("ntfs-split in the manifest");
    assert!(split.files.len() >= 3, "{:?}", split.files);
    for f in rows.iter().flat_map(|r| r.files.iter()) {
        assert!(Path::new(f).is_file(), "{} is missing", f.display());
    }
    let r = verify(&split.files);
    assert_eq!(r.intact, Some(true), "{:?}", codes(&r));
    assert_eq!(
        r.wim.as_ref().map(|w| w.total_parts as usize),
        Some(split.files.len())
    );
}
