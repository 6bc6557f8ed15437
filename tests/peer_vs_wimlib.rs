//! Differential test on other projects' WIM files (`../shared/fixtures/peer/`,
//! 33 of them written by Microsoft's ImageX and DISM; see its SOURCES.md):
//! on every one, wimproof's intact/corrupt equals `wimlib-imagex verify`
//! run now, no file wimlib verifies as good gets a finding of severity
//! corruption, and the trees walked hold as many entries as
//! `wimlib-imagex dir` lists. Every disagreement is listed by file name.
//! The files are read in place, never copied into the project.

mod common;
use common::*;
use std::path::PathBuf;
use wimproof::verify::finding::Severity;

fn peer_dir() -> PathBuf {
    let d = root().join("../shared/fixtures/peer");
    assert!(
        d.join("SOURCES.md").is_file(),
        "{}: the peer fixtures are missing (they come with ../shared/)",
        d.display()
    );
    d
}

/// The peer files as images to verify: each file alone, except the parts of
/// a split set (`*.swm`), which form one image per stem (`X.swm`, `X2.swm`).
fn images() -> Vec<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(peer_dir())
        .expect("read the peer folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("wim" | "swm" | "bin")
                )
        })
        .collect();
    names.sort();
    let mut out: Vec<Vec<PathBuf>> = Vec::new();
    let mut sets: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for p in names {
        if p.extension().and_then(|e| e.to_str()) != Some("swm") {
            out.push(vec![p]);
            continue;
        }
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        let base = stem
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        match sets.iter_mut().find(|(b, _)| *b == base) {
            Some((_, v)) => v.push(p),
            None => sets.push((base, vec![p])),
        }
    }
    for (_, mut v) in sets {
        // The first part (no digit) first.
        v.sort_by_key(|p| p.file_stem().unwrap().len());
        out.push(v);
    }
    out
}

fn wimlib_verify(files: &[PathBuf]) -> (bool, String) {
    let first = files[0].to_str().unwrap().to_string();
    let mut args = vec!["verify".to_string(), first];
    for p in &files[1..] {
        args.push(format!("--ref={}", p.to_str().unwrap()));
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (rc, out) = wimlib(&a);
    (rc == 0, out)
}

#[test]
fn peer_files_agree_with_wimlib_verify_and_dir() {
    let sets = images();
    assert!(
        sets.len() >= 50,
        "expected the 55 peer files, found {}",
        sets.len()
    );
    let mut disagree = Vec::new();
    let (mut good, mut bad, mut trees) = (0, 0, 0);
    for files in &sets {
        let name = files[0].file_name().unwrap().to_string_lossy().to_string();
        let (want, out) = wimlib_verify(files);
        let r = verify(files);
        if want {
            good += 1
        } else {
            bad += 1
        }
        if r.intact != Some(want) {
            disagree.push(format!(
                "{name}: wimlib intact={want}, wimproof intact={:?} verdict={} findings={:?}; wimlib: {}",
                r.intact,
                r.verdict,
                codes(&r),
                out.lines().last().unwrap_or("")
            ));
            continue;
        }
        if !want {
            continue;
        }
        let corrupt: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Corruption)
            .map(|f| f.code.as_str())
            .collect();
        if !corrupt.is_empty() {
            disagree.push(format!(
                "{name}: wimlib verifies it, wimproof finds corruption {corrupt:?}"
            ));
        }
        let mut listed = 0u64;
        for img in &r.images {
            let mut args = vec![
                "dir".to_string(),
                files[0].to_str().unwrap().to_string(),
                img.index.to_string(),
            ];
            for p in &files[1..] {
                args.push(format!("--ref={}", p.to_str().unwrap()));
            }
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let (rc, out) = wimlib(&a);
            assert_eq!(rc, 0, "{name}: wimlib-imagex dir failed: {out}");
            listed += out.lines().filter(|l| l.starts_with('/')).count() as u64;
        }
        let walked = r.checked.files_in_tree + r.checked.dirs_in_tree;
        if walked != listed {
            disagree.push(format!(
                "{name}: wimlib-imagex dir lists {listed} entries, wimproof walked {walked}"
            ));
        }
        trees += 1;
    }
    println!(
        "peer files: {} images ({good} verified by wimlib, {bad} failed by it), {trees} trees compared with wimlib-imagex dir, {} disagreements",
        sets.len(),
        disagree.len()
    );
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}

/// The same report on 1, 2 and 3 lanes for every peer file (as for the
/// generated fixtures in `fixtures_vs_wimlib.rs`): images written by
/// Microsoft's tools among them.
#[test]
fn every_peer_file_reports_the_same_on_one_two_and_three_lanes() {
    let images = images();
    assert!(images.len() >= 50, "{} peer images", images.len());
    assert_same_on_lane_counts(images.iter().map(|files| {
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        (name, &files[..], &[][..])
    }));
}
