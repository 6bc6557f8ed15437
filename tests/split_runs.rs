//! Large resources split into runs of chunks across lanes
//! (`verify::split`), on images wimlib wrote (`tests/fixtures/split.sh`):
//! a 24 MiB LZX blob, a solid LZMS resource in 256 KiB chunks whose
//! blobs cross run boundaries, and one in 32 MiB chunks, more than a run
//! keeps for a blob begun before it (`MAX_HELD_BYTES`), so that a run
//! waits for its state mid-run. The split path must be taken with two
//! lanes and not with one, and give the same report as the unsplit run
//! and the same verdict as `wimlib-imagex verify`, on the intact images
//! and on copies with a damaged chunk at the start of a run, inside a
//! blob that began in the run before (it must be that blob that is named).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use wimproof::native::FileReader;
use wimproof::read::ReadAt;
use wimproof::verify::split::RunSpec;
use wimproof::verify::task::{TaskKind, TaskSpec};
use wimproof::verify::{DigestLane, Options, Verifier};

/// How long one CLI run may take: these images verify in well under a
/// second, so a run still going after this is a lane waiting for ever.
const CLI_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// The CLI's JSON report (without its time) and its --stats line. A run
/// that has not ended by [`CLI_DEADLINE`] is killed and fails the test.
fn cli(image: &Path, threads: u32) -> (i32, serde_json::Value, String) {
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!("wimproof-cli-{}-{run}", std::process::id()));
    let (out_path, err_path) = (tmp.with_extension("out"), tmp.with_extension("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_wimproof"))
        .args(["--no-progress", "--json", "--stats", "--threads"])
        .arg(threads.to_string())
        .arg(image)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run wimproof");
    let since = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if since.elapsed() > CLI_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}: {threads} lanes still running after {CLI_DEADLINE:?}",
                image.display()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = std::fs::read(&out_path).unwrap();
    let err = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
    let _ = (
        std::fs::remove_file(&out_path),
        std::fs::remove_file(&err_path),
    );
    let mut v: serde_json::Value = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {err}", image.display()));
    strip_times(&mut v);
    let stats = err
        .lines()
        .find(|l| l.contains("stats: "))
        .unwrap_or_else(|| panic!("no --stats line: {err}"))
        .to_string();
    (status.code().unwrap_or(-1), v, stats)
}

/// "N resources split into M runs" of a --stats line.
fn split_counts(stats: &str) -> (u64, u64) {
    let tail = stats
        .split("; ")
        .find(|f| f.contains(" resources split into "))
        .unwrap_or_else(|| panic!("no split field: {stats}"));
    let words: Vec<&str> = tail.split(' ').collect();
    assert_eq!(
        (words.get(1), words.get(2), words.get(3)),
        (Some(&"resources"), Some(&"split"), Some(&"into")),
        "{stats}"
    );
    (words[0].parse().unwrap(), words[4].parse().unwrap())
}

/// The runs the core plans for `image` on two lanes.
fn runs(image: &Path) -> Vec<(TaskSpec, RunSpec)> {
    let r = FileReader::open(image).unwrap();
    let name = image.display().to_string();
    let mut v = Verifier::open(&[(&name, &r as &dyn ReadAt)], Options::default()).unwrap();
    let (lanes, count) = v
        .take_lanes_split(2, &[&r as &dyn ReadAt], DigestLane::First)
        .unwrap();
    let mut out: Vec<(TaskSpec, RunSpec)> = lanes
        .into_iter()
        .flatten()
        .filter_map(|t| match &t.kind {
            TaskKind::Run(r) => Some(((*r).as_ref().clone(), t.clone())),
            _ => None,
        })
        .map(|(r, t)| (t, r))
        .collect();
    out.sort_by_key(|(t, _)| t.start);
    assert_eq!(count.runs, out.len());
    out
}

fn wimlib_exit(image: &Path) -> i32 {
    wimlib(&["verify", &image.display().to_string()]).0
}

/// Runs of both lanes, the same report with 1, 2 and 3 lanes, and a
/// verdict that agrees with wimlib's exit code.
fn same_on_every_lane_count(image: &Path, wimlib_ok: bool) -> serde_json::Value {
    let (code1, one, stats1) = cli(image, 1);
    assert_eq!(split_counts(&stats1), (0, 0), "{stats1}");
    for threads in [2, 3] {
        let (code, many, stats) = cli(image, threads);
        let (resources, runs) = split_counts(&stats);
        assert!(resources >= 1 && runs >= 3, "{}: {stats}", image.display());
        assert_eq!(code, code1, "{}: exit status", image.display());
        assert_eq!(many, one, "{}: {threads} lanes vs 1", image.display());
    }
    let corrupt = one["checked"]["blobs_corrupt"].as_u64().unwrap();
    let unverified = one["checked"]["blobs_unverified"].as_u64().unwrap();
    assert_eq!(unverified, 0, "{}", image.display());
    assert_eq!(corrupt == 0, wimlib_ok, "{}: {one:#}", image.display());
    assert_eq!(
        one["intact"].as_bool(),
        Some(wimlib_ok),
        "{}",
        image.display()
    );
    one
}

#[test]
fn intact_images_split_and_report_as_unsplit() {
    let dir = split_generated();
    for (name, least_blobs) in [("lzx.wim", 41), ("solid.esd", 41), ("solid-32m.esd", 2)] {
        let image = dir.join(name);
        let runs = runs(&image);
        assert!(runs.len() >= 3, "{name}: {} runs", runs.len());
        // Some run continues a blob from the run before it.
        assert!(
            runs.iter()
                .any(|(_, r)| r.blobs.iter().any(|b| b.blob.offset < r.out_range().0)),
            "{name}: no blob crosses a run boundary"
        );
        assert_eq!(wimlib_exit(&image), 0, "{name}");
        let report = same_on_every_lane_count(&image, true);
        let blobs = report["checked"]["blobs_verified"].as_u64().unwrap();
        assert!(blobs >= least_blobs, "{name}: {blobs} blobs verified");
    }
}

/// A copy of `image` with bytes in the middle of the first chunk of the
/// first run that continues a blob from the run before; the blob's SHA-1.
fn damage_a_crossing_blob(image: &Path, out: &Path) -> String {
    let (task, run) = runs(image)
        .into_iter()
        .find(|(_, r)| r.blobs.iter().any(|b| b.blob.offset < r.out_range().0))
        .expect("a run continuing a blob");
    let (out_start, _) = run.out_range();
    let blob = run
        .blobs
        .iter()
        .find(|b| b.blob.offset < out_start)
        .expect("the crossing blob");
    // The first chunk holds the blob's next bytes.
    assert!(blob.blob.offset + blob.blob.size > out_start);
    let mut bytes = std::fs::read(image).unwrap();
    let at = task.start as usize + run.csizes[0] as usize / 2;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(out, &bytes).unwrap();
    blob.blob.sha1.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_damaged_chunk_names_the_blob_that_crosses_into_its_run() {
    let dir = split_generated();
    let tmp = scratch("split");
    for name in ["lzx.wim", "solid.esd", "solid-32m.esd"] {
        let image = dir.join(name);
        let copy: PathBuf = tmp.join(name);
        let sha1 = damage_a_crossing_blob(&image, &copy);
        assert_ne!(wimlib_exit(&copy), 0, "{name}: wimlib finds the damage");
        let report = same_on_every_lane_count(&copy, false);
        let findings = report["findings"].as_array().unwrap();
        let named = findings.iter().any(|f| {
            f["severity"] == "corruption"
                && f["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("resource."))
                && f["message"].as_str().is_some_and(|m| m.contains(&sha1))
        });
        assert!(named, "{name}: blob {sha1} not named in {findings:#?}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A copy of `image` (whose blob table is stored uncompressed) with three
/// entries more, each over the stored bytes of its largest compressed
/// resource, as a hostile file may have them: the same entry with another
/// SHA-1; one claiming 4 MiB fewer uncompressed bytes (so a shorter chunk
/// table, and chunks read from the wrong places); and one starting in the
/// middle of those bytes. The blob table moves to the end of the file and
/// the integrity table is dropped. Returns the resource's uncompressed size.
fn overlap_the_largest_resource(image: &Path, out: &Path) -> u64 {
    use wimproof::format::blob_table::BLOB_ENTRY_SIZE;
    use wimproof::format::header::at;
    use wimproof::format::reshdr::{RESHDR_FLAG_COMPRESSED, RESHDR_FLAG_SOLID, RESHDR_SIZE};
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let mut bytes = std::fs::read(image).unwrap();
    let table_at = at::BLOB_TABLE as usize;
    let size_flags = u64_at(&bytes, table_at);
    let table_flags = (size_flags >> 56) as u8;
    assert_eq!(
        table_flags & RESHDR_FLAG_COMPRESSED,
        0,
        "blob table stored uncompressed"
    );
    let (off, size) = (
        u64_at(&bytes, table_at + 8) as usize,
        (size_flags & ((1 << 56) - 1)) as usize,
    );
    let mut table = bytes[off..off + size].to_vec();
    let big = table
        .chunks_exact(BLOB_ENTRY_SIZE)
        .filter(|e| e[7] & RESHDR_FLAG_COMPRESSED != 0 && e[7] & RESHDR_FLAG_SOLID == 0)
        .max_by_key(|e| u64_at(e, 16))
        .expect("a compressed resource")
        .to_vec();
    let usize = u64_at(&big, 16);
    let stored = u64_at(&big, 0) & ((1 << 56) - 1);
    let mut same = big.clone();
    same[30] ^= 0xFF;
    // 4 MiB fewer: a chunk table of 128 entries fewer, and a stored size
    // that ends with the real chunk it then ends with, so that the table
    // passes the decoder's checks and only the chunks' places are wrong.
    let mut shorter = big.clone();
    let short_usize = usize - (4 << 20);
    let chunks = short_usize.div_ceil(32 << 10) as usize;
    let res = u64_at(&big, 8) as usize;
    let entry =
        |i: usize| u32::from_le_bytes(bytes[res + 4 * i..res + 4 * i + 4].try_into().unwrap());
    let short_stored = (4 * (chunks - 1)) as u64 + u64::from(entry(chunks - 1));
    shorter[0..7].copy_from_slice(&short_stored.to_le_bytes()[..7]);
    shorter[16..24].copy_from_slice(&short_usize.to_le_bytes());
    shorter[31] ^= 0xFF;
    let mut inside = big.clone();
    let middle = u64_at(&big, 8) + stored / 2;
    inside[8..16].copy_from_slice(&middle.to_le_bytes());
    inside[32] ^= 0xFF;
    table.extend_from_slice(&same);
    table.extend_from_slice(&shorter);
    table.extend_from_slice(&inside);
    let new_off = bytes.len() as u64;
    let len = table.len() as u64;
    bytes.extend_from_slice(&table);
    bytes[table_at..table_at + 8]
        .copy_from_slice(&(len | (size_flags & (0xFF << 56))).to_le_bytes());
    bytes[table_at + 8..table_at + 16].copy_from_slice(&new_off.to_le_bytes());
    bytes[table_at + 16..table_at + 24].copy_from_slice(&len.to_le_bytes());
    let integrity = at::INTEGRITY as usize;
    bytes[integrity..integrity + RESHDR_SIZE].fill(0); // no integrity table
    std::fs::write(out, &bytes).unwrap();
    usize
}

/// Hostile blob tables may list resources whose stored bytes overlap. The
/// split path must still end (each lane's runs wait only for runs that
/// start before them, whose bytes the reader has handed out), with 2 and 3
/// lanes, and report what one lane reports: the copies whose SHA-1 or
/// layout is wrong as corrupt, the resource itself as intact.
#[test]
fn overlapping_resources_split_and_end_as_on_one_lane() {
    let dir = split_generated();
    let tmp = scratch("overlap");
    let copy = tmp.join("lzx-overlap.wim");
    let usize = overlap_the_largest_resource(&dir.join("lzx.wim"), &copy);
    assert!(usize >= 20 << 20, "{usize}: too small to split twice");
    let (code1, one, _) = cli(&copy, 1);
    assert_ne!(code1, 0, "{one:#}");
    for threads in [2, 3] {
        let (code, many, stats) = cli(&copy, threads);
        let (resources, _) = split_counts(&stats);
        // The resource and both copies with a valid chunk table.
        assert!(resources >= 3, "{stats}");
        assert_eq!(code, code1, "{threads} lanes: exit status");
        assert_eq!(many, one, "{threads} lanes vs 1");
    }
    let corrupt = one["checked"]["blobs_corrupt"].as_u64().unwrap();
    assert!(corrupt >= 2, "{one:#}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Lanes report their tasks in their own order, and each sums its
/// resources' results into one: an image with damaged resources on
/// different lanes must still list its findings as one lane does (in file
/// order), whatever the number of lanes.
#[test]
fn damage_on_several_lanes_is_reported_as_on_one_lane() {
    let image = split_generated().join("lzx.wim");
    let tmp = scratch("several");
    let copy = tmp.join("lzx.wim");
    // The middle of each of the first six small resources after the big one.
    let (task, _) = runs(&image).pop().expect("the big blob's runs");
    let r = FileReader::open(&image).unwrap();
    let name = image.display().to_string();
    let v = Verifier::open(&[(&name, &r as &dyn ReadAt)], Options::default()).unwrap();
    let mut small: Vec<(u64, u64)> = v
        .tasks()
        .iter()
        .filter(|t| matches!(t.kind, TaskKind::Resource { .. }) && t.start >= task.end)
        .map(|t| (t.start, t.end))
        .collect();
    small.sort_unstable();
    assert!(small.len() >= 6, "{small:?}");
    let mut bytes = std::fs::read(&image).unwrap();
    for &(start, end) in &small[..6] {
        bytes[((start + end) / 2) as usize] ^= 0xFF;
    }
    std::fs::write(&copy, &bytes).unwrap();
    let report = same_on_every_lane_count(&copy, false);
    let offsets: Vec<u64> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "corruption")
        .filter_map(|f| f["offset"].as_u64())
        .collect();
    assert_eq!(offsets.len(), 6, "{report:#}");
    assert!(offsets.is_sorted(), "{offsets:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn wims_on_install_media_split_too() {
    let iso = split_generated().join("media.iso");
    let (code1, one, stats1) = cli(&iso, 1);
    assert_eq!(split_counts(&stats1), (0, 0), "{stats1}");
    let (code2, two, stats2) = cli(&iso, 2);
    // The ESD's solid resource and the boot.wim's 24 MiB blob.
    let (resources, runs) = split_counts(&stats2);
    assert!(resources >= 2 && runs >= 6, "{stats2}");
    assert_eq!(code1, code2);
    assert_eq!(one, two, "install media: 2 lanes vs 1");
    let reports = one.as_array().expect("an array of reports");
    assert_eq!(reports.len(), 2, "{one:#}");
    for r in reports {
        assert_eq!(r["intact"].as_bool(), Some(true), "{r:#}");
        assert!(
            r["checked"]["blobs_verified"].as_u64().unwrap() >= 41,
            "{r:#}"
        );
    }
}

/// The outcome of `image` on two lanes whose boards cannot wait (the
/// page's lane workers: `RelayBoard`), lane 1 fed the whole file before
/// lane 0, so that its runs end before the states they continue from
/// exist; states are carried between the boards after every piece, as
/// the page's reader relays them. Returns the outcome (Debug) and the
/// most runs lane 1 had parked at once.
fn relay_outcome(image: &Path) -> (String, usize) {
    use std::sync::Arc;
    use wimproof::verify::split::{Board, RelayBoard};
    use wimproof::verify::Lane;
    let r = FileReader::open(image).unwrap();
    let name = image.display().to_string();
    let mut v = Verifier::open(&[(&name, &r as &dyn ReadAt)], Options::default()).unwrap();
    let count = v.split_resources(&[&r as &dyn ReadAt]).unwrap();
    assert!(count.runs >= 3, "{name}: {count:?}");
    let planned = v.take_lanes(2);
    let boards: Vec<Arc<RelayBoard>> = planned.iter().map(|t| RelayBoard::for_tasks(t)).collect();
    let mut lanes: Vec<Lane> = planned
        .into_iter()
        .zip(&boards)
        .map(|(t, b)| Lane::with_board(t, vec![name.clone()], b.clone() as Arc<dyn Board>))
        .collect();
    let relay = |lanes: &mut Vec<Lane>| loop {
        let mut moved = false;
        for from in 0..boards.len() {
            let bundle = boards[from].take_outgoing();
            if bundle.is_empty() {
                continue;
            }
            moved = true;
            for to in (0..boards.len()).filter(|&k| k != from) {
                boards[to].give(&bundle).unwrap();
                lanes[to].retry_parked();
            }
        }
        if !moved {
            break;
        }
    };
    let bytes = std::fs::read(image).unwrap();
    let mut most_parked = 0;
    for k in [1, 0] {
        for (i, piece) in bytes.chunks(1 << 20).enumerate() {
            lanes[k].feed(0, (i << 20) as u64, piece);
            relay(&mut lanes);
            most_parked = most_parked.max(lanes[1].parked());
        }
    }
    assert_eq!(
        (lanes[0].parked(), lanes[1].parked()),
        (0, 0),
        "{name}: runs still parked once every state was relayed"
    );
    let results: Vec<_> = lanes.into_iter().flat_map(Lane::finish).collect();
    (format!("{:?}", v.finish(results)), most_parked)
}

/// The unsplit outcome of `image`, one lane (Debug).
fn serial_outcome(image: &Path) -> String {
    let r = FileReader::open(image).unwrap();
    let name = image.display().to_string();
    let v = Verifier::open(&[(&name, &r as &dyn ReadAt)], Options::default()).unwrap();
    let results = wimproof::verify::run_serial(&v, &[&r as &dyn ReadAt], 1 << 20).unwrap();
    format!("{:?}", v.finish(results))
}

#[test]
fn runs_on_lanes_that_cannot_wait_park_and_report_as_unsplit() {
    let dir = split_generated();
    let tmp = scratch("relay");
    for name in ["lzx.wim", "solid.esd"] {
        let image = dir.join(name);
        let copy = tmp.join(name);
        let sha1 = damage_a_crossing_blob(&image, &copy);
        for (img, intact) in [(&image, true), (&copy, false)] {
            let (relayed, parked) = relay_outcome(img);
            assert!(parked >= 1, "{name}: no run of lane 1 was parked");
            let serial = serial_outcome(img);
            assert_eq!(
                relayed,
                serial,
                "{}: relayed lanes vs one lane",
                img.display()
            );
            assert_eq!(serial.contains(&sha1), !intact, "{}", img.display());
            assert!(serial.contains("blobs_unverified: 0"), "{serial}");
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The native driver's plan where lanes decode: the whole-file digest on a
/// lane after the others and the integrity chunks on one more, the others
/// holding every other task once; the same tasks as with the digest on
/// lane 0.
#[test]
fn the_files_hashes_can_have_lanes_of_their_own() {
    let image = split_generated().join("lzx.wim");
    let r = FileReader::open(&image).unwrap();
    let name = image.display().to_string();
    let open = || Verifier::open(&[(&name, &r as &dyn ReadAt)], Options::default()).unwrap();
    let is_digest = |t: &TaskSpec| matches!(t.kind, TaskKind::FileDigest { .. });
    let is_integrity = |t: &TaskSpec| matches!(t.kind, TaskKind::Integrity { .. });
    let hashes_file = |t: &TaskSpec| is_digest(t) || is_integrity(t);
    let key = |t: &TaskSpec| (t.part, t.start, t.end, t.id);
    let (apart, _) = open()
        .take_lanes_split(2, &[&r as &dyn ReadAt], DigestLane::Own)
        .unwrap();
    assert_eq!(
        apart.len(),
        3,
        "two lanes and the digest's (no integrity table)"
    );
    assert!(!apart[2].is_empty() && apart[2].iter().all(is_digest));
    assert!(apart[..2].iter().flatten().all(|t| !hashes_file(t)));
    assert!(apart[..2].iter().all(|l| !l.is_empty()), "both lanes work");
    let (together, _) = open()
        .take_lanes_split(2, &[&r as &dyn ReadAt], DigestLane::First)
        .unwrap();
    assert_eq!(together.len(), 2);
    assert!(together[0].iter().any(is_digest));
    let mut a: Vec<_> = apart.iter().flatten().map(key).collect();
    let mut b: Vec<_> = together.iter().flatten().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same tasks either way");
    // No digest asked for: no lane for it; an integrity table's chunks
    // have a lane of their own, after the digest's when there is one.
    let no_digest = Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    };
    for (image, integrity) in [
        (image.clone(), false),
        (generated().join("lzx-check.wim"), true),
    ] {
        let r = FileReader::open(&image).unwrap();
        let name = image.display().to_string();
        let with = |opts: Options| {
            Verifier::open(&[(&name, &r as &dyn ReadAt)], opts)
                .unwrap()
                .take_lanes_split(2, &[&r as &dyn ReadAt], DigestLane::Own)
                .unwrap()
                .0
        };
        let none = with(no_digest.clone());
        assert_eq!(none.len(), 2 + integrity as usize, "{name}");
        if integrity {
            assert!(!none[2].is_empty() && none[2].iter().all(is_integrity));
            let all = with(Options::default());
            assert_eq!(all.len(), 4);
            assert!(all[2].iter().all(is_digest) && !all[2].is_empty());
            assert!(all[3].iter().all(is_integrity) && !all[3].is_empty());
        }
        assert!(none[..2].iter().flatten().all(|t| !hashes_file(t)));
    }
}
