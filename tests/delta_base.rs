//! A delta's base found among other WIMs, as the page does when WIMs are
//! dropped together: the blobs an image's trees name and its tables lack
//! (`Verifier::missing_blobs`) against what `wimlib-imagex verify` reported
//! missing on every generated fixture, and `choose_bases` picking the base
//! of the `--delta-from` fixture (manifest column `refs`) and nothing else.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use wimproof::native::FileReader;
use wimproof::read::ReadAt;
use wimproof::verify::open::{blobs_held, choose_bases};
use wimproof::verify::{Options, Verifier};

fn reader(p: &Path) -> FileReader {
    FileReader::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The SHA-1s `files` (one image) name and neither they nor `refs` hold.
fn missing(files: &[PathBuf], refs: &[PathBuf]) -> Vec<[u8; 20]> {
    let own: Vec<FileReader> = files.iter().map(|p| reader(p)).collect();
    let lent: Vec<FileReader> = refs.iter().map(|p| reader(p)).collect();
    let v = Verifier::open_observed(
        &named(&own),
        &named(&lent),
        Options::default(),
        &mut |_, _, _| {},
    )
    .expect("phase 1 reads the fixture");
    v.missing_blobs().to_vec()
}

fn named(readers: &[FileReader]) -> Vec<(&str, &dyn ReadAt)> {
    readers
        .iter()
        .map(|r| (r.name(), r as &dyn ReadAt))
        .collect()
}

fn hex(h: &[u8; 20]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// The blob `wimlib-imagex verify` named missing (it stops at the first),
/// from the fixture's recorded output.
fn wimlib_missing(first: &Path) -> Option<String> {
    let stem = first.file_stem()?.to_str()?;
    let text = std::fs::read_to_string(first.with_file_name(format!("{stem}.verify.txt"))).ok()?;
    let at = text.find("SHA-1 message digest of missing blob:")?;
    text[at..].lines().nth(1).map(|l| l.trim().to_string())
}

#[test]
fn the_missing_blobs_are_those_wimlib_finds_missing() {
    let mut with_missing = Vec::new();
    let mut checked = 0;
    for row in manifest().iter().filter(|r| r.refs.is_empty()) {
        let m = missing(&row.files, &[]);
        let names: Vec<String> = m.iter().map(hex).collect();
        if let Some(h) = wimlib_missing(&row.files[0]) {
            assert!(
                names.contains(&h),
                "{}: wimlib finds {h} missing; we list {names:?}",
                row.name
            );
        }
        if !m.is_empty() {
            assert_eq!(
                row.wimlib_intact,
                Some(false),
                "{}: blobs missing, yet wimlib verifies it",
                row.name
            );
            with_missing.push(row.name.clone());
        }
        checked += 1;
    }
    println!(
        "{checked} fixtures; blobs missing in {}: {}",
        with_missing.len(),
        with_missing.join(" ")
    );
    assert!(
        with_missing.iter().any(|n| n == "delta-from"),
        "the delta misses its base's blobs"
    );
}

#[test]
fn a_delta_finds_its_base_and_no_other_wim() {
    let dir = generated();
    let row = manifest()
        .into_iter()
        .find(|r| !r.refs.is_empty())
        .expect("a delta fixture with refs in the manifest");
    let m = missing(&row.files, &[]);
    assert!(!m.is_empty());
    // With its base, nothing is missing (wimlib verifies it with --ref).
    assert_eq!(row.wimlib_intact, Some(true));
    assert_eq!(missing(&row.files, &row.refs), Vec::<[u8; 20]>::new());

    let delta = reader(&row.files[0]);
    let base = reader(&row.refs[0]);
    assert_eq!(
        blobs_held(&base, &m).unwrap(),
        m,
        "the base holds every blob the delta lacks"
    );
    assert_eq!(blobs_held(&delta, &m).unwrap(), Vec::<[u8; 20]>::new());
    // A WIM of another tree, and a file that is no WIM, hold none.
    let other = reader(&dir.join("empty-dir.wim"));
    assert_eq!(blobs_held(&other, &m).unwrap(), Vec::<[u8; 20]>::new());
    let zeros = vec![0u8; 4096];
    assert_eq!(blobs_held(&zeros, &m).unwrap(), Vec::<[u8; 20]>::new());

    // In the order given: the first that holds them, and no more once
    // nothing is missing (a second copy of the base is not used).
    let again = reader(&row.refs[0]);
    let candidates: [&dyn ReadAt; 5] = [&zeros, &other, &delta, &base, &again];
    assert_eq!(choose_bases(&m, &candidates).unwrap(), vec![3]);
    assert_eq!(choose_bases(&[], &candidates).unwrap(), Vec::<usize>::new());
    assert_eq!(
        choose_bases(&m, &candidates[..3]).unwrap(),
        Vec::<usize>::new()
    );
}
