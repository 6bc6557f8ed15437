//! The page hands each lane worker its tasks in the binary form of
//! `verify::wire`. On the plans of every generated fixture (wimlib and
//! 7-Zip; stored, chunked, solid and pipable resources, integrity tables,
//! split sets, corrupted copies) the decoded lists must equal what was
//! encoded, and be far smaller than the JSON they replace.

mod common;
use common::*;
use wimproof::read::ReadAt;
use wimproof::verify::task::TaskKind;
use wimproof::verify::{wire, Options, Verifier};

#[test]
fn every_fixture_plan_survives_the_wire() {
    let rows = manifest();
    assert!(rows.len() >= 50, "fixtures: {}", rows.len());
    let (mut tasks, mut wire_bytes, mut json_bytes) = (0usize, 0usize, 0usize);
    let mut kinds = [0usize; 4];
    for row in &rows {
        let files: Vec<Vec<u8>> = row
            .files
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let names: Vec<String> = row
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let readers: Vec<(&str, &dyn ReadAt)> = names
            .iter()
            .zip(&files)
            .map(|(n, b)| (n.as_str(), b as &dyn ReadAt))
            .collect();
        let Ok(mut v) = Verifier::open(&readers, Options::default()) else {
            continue; // unreadable on purpose: no plan to send
        };
        for lane in v.take_lanes(3) {
            let buf = wire::encode(&lane);
            let back = wire::decode(&buf).unwrap_or_else(|e| panic!("{}: {e}", row.name));
            assert_eq!(back, lane, "{}", row.name);
            tasks += lane.len();
            wire_bytes += buf.len();
            json_bytes += serde_json::to_string(&lane).unwrap().len();
            for t in &lane {
                kinds[match t.kind {
                    TaskKind::FileDigest { .. } => 0,
                    TaskKind::Integrity { .. } => 1,
                    TaskKind::Resource { .. } => 2,
                    // Runs of split resources: tests/split_runs.rs.
                    TaskKind::Run(_) => 3,
                }] += 1;
            }
        }
    }
    println!("{tasks} tasks: {wire_bytes} bytes on the wire, {json_bytes} as JSON");
    assert!(kinds[..3].iter().all(|&k| k > 0), "kinds seen: {kinds:?}");
    assert!(
        wire_bytes * 3 < json_bytes,
        "{wire_bytes} bytes vs {json_bytes} as JSON"
    );
}
