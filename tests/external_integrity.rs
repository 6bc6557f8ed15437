//! The integrity chunks hashed outside the lanes, as the page does with
//! WebCrypto: the lanes get every task but the integrity ones
//! (`Verifier::lane_indices` leaving them out), the schedule reads each
//! chunk whole in one slice, and the chunks' SHA-1s are computed from the
//! slices and given to `IntegrityRunner::chunk_digest`. On every generated fixture
//! with an integrity table (wimlib and 7-Zip, intact and corrupted), the
//! report must equal the one from hashing the chunks in the lanes; a chunk
//! whose digest never comes makes the report unverified, never intact.

mod common;
use common::*;
use sha1::{Digest, Sha1};
use wimproof::assess;
use wimproof::policy::Verdict;
use wimproof::read::ReadAt;
use wimproof::report::Report;
use wimproof::verify::schedule::{Schedule, Span};
use wimproof::verify::task::{IntegrityRunner, TaskKind, TaskResult, TaskSpec};
use wimproof::verify::{Lane, Options, Verifier};

const AT: &str = "2026-01-01T00:00:00Z";

/// What to do with the external chunks' digests.
#[derive(Clone, Copy, PartialEq)]
enum Give {
    All,
    /// Leave out the last chunk of the first task.
    DropLast,
    /// Flip a bit of the first chunk's digest.
    Wrong,
}

fn with_external_integrity(files: &[Vec<u8>], names: &[String], give: Give) -> Report {
    let readers: Vec<(&str, &dyn ReadAt)> = names
        .iter()
        .zip(files)
        .map(|(n, b)| (n.as_str(), b as &dyn ReadAt))
        .collect();
    let mut v = Verifier::open(&readers, Options::default()).expect("open");
    let is_integrity = |t: &TaskSpec| matches!(t.kind, TaskKind::Integrity { .. });
    // As the page does: plan by index, then move the lanes' tasks out (the
    // integrity tasks stay whole in the verifier).
    let plan = v.lane_indices(2, is_integrity);
    let lanes = v.take_planned(&plan);
    assert!(lanes.iter().flatten().all(|t| !is_integrity(t)));
    // The chunks are read whole in one slice each, as WebCrypto needs them,
    // in slices of uneven size, as the page's reads would come.
    let sizes: Vec<u64> = files.iter().map(|f| f.len() as u64).collect();
    let mut runners: Vec<(TaskSpec, IntegrityRunner)> = Vec::new();
    let mut chunks: Vec<(Span, usize, usize)> = Vec::new();
    for spec in v.tasks().iter().filter(|t| is_integrity(t)) {
        let r = IntegrityRunner::from_spec(spec).expect("an integrity task");
        for k in 0..r.chunks() {
            let (start, end) = r.chunk_range(k);
            let span = Span {
                part: spec.part,
                start,
                end,
            };
            chunks.push((span, runners.len(), k));
        }
        runners.push((spec.clone(), r));
    }
    chunks.sort_unstable();
    let schedule = Schedule::new(&lanes, &sizes, 65_537)
        .whole(chunks.iter().map(|c| c.0).collect(), &sizes)
        .expect("every chunk fits one slice");
    let mut running: Vec<Lane> = lanes
        .into_iter()
        .map(|tasks| Lane::new(tasks, names.to_vec()))
        .collect();
    for s in schedule.slices() {
        let bytes = &files[s.part as usize][s.start as usize..s.end as usize];
        for &k in &s.lanes {
            running[k as usize].feed(s.part, s.start, bytes);
        }
        for &(c, task, k) in &chunks[s.whole.clone()] {
            let r = &mut runners[task].1;
            if give == Give::DropLast && task == 0 && k + 1 == r.chunks() {
                continue;
            }
            let chunk = &bytes[(c.start - s.start) as usize..(c.end - s.start) as usize];
            let mut d: [u8; 20] = Sha1::digest(chunk).into();
            if give == Give::Wrong && task == 0 && k == 0 {
                d[0] ^= 1;
            }
            assert!(r.chunk_digest(k, &d));
            // A chunk counts once.
            assert!(!r.chunk_digest(k, &d));
        }
    }
    let mut results: Vec<TaskResult> = running.into_iter().flat_map(Lane::finish).collect();
    for (spec, mut r) in runners {
        assert!(!r.chunk_digest(r.chunks(), &[0; 20]), "no such chunk");
        let mut res = TaskResult {
            id: spec.id,
            ..Default::default()
        };
        r.finish_into(&mut res);
        results.push(res);
    }
    assess::report(v.finish(results), &[], AT.to_string())
}

fn load(row: &Row) -> (Vec<Vec<u8>>, Vec<String>) {
    let files = row
        .files
        .iter()
        .map(|p| std::fs::read(p).expect("read fixture"))
        .collect();
    let names = row
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    (files, names)
}

fn summary(r: &Report) -> String {
    let mut codes: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{} @{:?} {}", f.code, f.offset, f.message))
        .collect();
    codes.sort();
    format!(
        "verdict {:?} intact {:?} integrity {}/{} bad {:?} blobs {}/{}/{} sha256 {:?}\n{}",
        r.verdict,
        r.intact,
        r.integrity.checked,
        r.integrity.chunks,
        r.integrity.bad_chunks,
        r.checked.blobs_verified,
        r.checked.blobs_corrupt,
        r.checked.blobs_unverified,
        r.digests.sha256,
        codes.join("\n")
    )
}

#[test]
fn digests_given_from_outside_give_the_same_report_as_the_lanes() {
    let rows: Vec<Row> = manifest().into_iter().filter(|r| r.integrity).collect();
    assert!(
        rows.len() >= 20,
        "fixtures with integrity tables: {}",
        rows.len()
    );
    let mut chunks = 0u64;
    for row in &rows {
        let (files, names) = load(row);
        let readers: Vec<(&str, &dyn ReadAt)> = names
            .iter()
            .zip(&files)
            .map(|(n, b)| (n.as_str(), b as &dyn ReadAt))
            .collect();
        let v = Verifier::open(&readers, Options::default()).expect("open");
        let plain: Vec<&dyn ReadAt> = readers.iter().map(|r| r.1).collect();
        let lanes = wimproof::verify::run_serial(&v, &plain, 1 << 20).expect("run");
        let want = assess::report(v.finish(lanes), &[], AT.to_string());
        let got = with_external_integrity(&files, &names, Give::All);
        assert_eq!(summary(&got), summary(&want), "{}", row.name);
        chunks += got.integrity.checked;
    }
    println!(
        "{} fixtures, {chunks} integrity chunks given from outside: same reports",
        rows.len()
    );
}

#[test]
fn a_chunk_never_hashed_is_unverified_and_a_wrong_one_corrupt() {
    let row = manifest()
        .into_iter()
        .find(|r| r.name == "multi")
        .expect("multi fixture");
    let (files, names) = load(&row);
    let r = with_external_integrity(&files, &names, Give::DropLast);
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "integrity.unchecked" && f.unverified),
        "{}",
        summary(&r)
    );
    assert_ne!(r.intact, Some(true));
    assert_ne!(r.verdict, Verdict::Safe);
    assert_eq!(r.integrity.checked + 1, r.integrity.chunks);

    let r = with_external_integrity(&files, &names, Give::Wrong);
    assert_eq!(r.intact, Some(false), "{}", summary(&r));
    assert_eq!(r.integrity.bad_chunks.len(), 1);
    assert_eq!(r.integrity.bad_chunks[0].offset, 208);
    assert!(r
        .findings
        .iter()
        .any(|f| f.code == "integrity.chunk_mismatch" && f.offset == Some(208)));
}
