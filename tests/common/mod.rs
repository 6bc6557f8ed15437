//! Shared helpers of the integration tests: the generated fixtures (made by
//! real WIM writers through `tests/fixtures/generate.sh`), their manifest,
//! and running the verifier the way the CLI does.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wimproof::assess::Request;
use wimproof::native::{verify_paths, verify_paths_with_refs};
use wimproof::report::Report;
use wimproof::verify::Options;

/// An empty directory of this test process's own for `tag`'s files
/// (`$TMPDIR/wimproof-TAG-PID`), emptied first.
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wimproof-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The generated fixtures directory, running the generator once per test
/// binary (it is idempotent and locks itself, so parallel binaries are fine).
pub fn generated() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| fixture_script("generate.sh", ""))
        .clone()
}

/// Runs the fixture script `tests/fixtures/SCRIPT` (each is idempotent and
/// locks itself, so parallel test binaries are fine), failing the test
/// with its output if it fails; returns `generated/SUBDIR`.
pub fn fixture_script(script: &str, subdir: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("tests/fixtures").join(script))
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    root().join("tests/fixtures/generated").join(subdir)
}

/// The 4.6 GiB uncompressed WIM of `tests/fixtures/big.sh` (made once,
/// kept) and its corrupted copy's flipped offset (above 4 GiB), from the
/// script's `corrupt_offset.txt`.
pub fn big_fixture() -> (PathBuf, u64) {
    let dir = fixture_script("big.sh", "big");
    let text = std::fs::read_to_string(dir.join("corrupt_offset.txt"))
        .expect("big.sh writes corrupt_offset.txt");
    let flipped = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("corrupt_offset.txt: {text:?}"));
    (dir, flipped)
}

/// Runs the CLI binary: (exit status, stdout, stderr).
pub fn wimproof(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wimproof"))
        .args(args)
        .output()
        .expect("run wimproof");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The images with resources large enough to be split into runs of
/// chunks (`generated/split/`), running `tests/fixtures/split.sh` once per
/// test binary.
pub fn split_generated() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let script = root().join("tests/fixtures/split.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run split.sh");
        assert!(
            out.status.success(),
            "split.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        root().join("tests/fixtures/generated/split")
    })
    .clone()
}

/// The NTFS fixtures directory (`generated/ntfs/`, Windows semantics:
/// named streams, security descriptors, reparse points), running
/// `tests/fixtures/ntfs.sh` once per test binary. It needs FUSE and
/// ntfs-3g and fails (never skips) without them.
pub fn ntfs_generated() -> PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| fixture_script("ntfs.sh", "ntfs"))
        .clone()
}

/// The NTFS fixtures' manifest (files relative to `generated/ntfs/`).
pub fn ntfs_manifest() -> Vec<Row> {
    manifest_at(&ntfs_generated())
}

pub fn shared_fixtures() -> PathBuf {
    root().join("../shared/fixtures/wimlib")
}

#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub files: Vec<PathBuf>,
    pub writer: String,
    pub compression: String,
    pub chunk_size: u32,
    pub integrity: bool,
    /// What `wimlib-imagex verify` said when the fixture was made.
    pub wimlib_intact: Option<bool>,
    pub defect: String,
    /// Other WIMs the fixture needs (the base of a `--delta-from` capture),
    /// given to `wimlib-imagex verify --ref` when the verdict was recorded:
    /// the 9th column, comma-separated, `-` (or no column) for none.
    pub refs: Vec<PathBuf>,
}

pub fn manifest_at(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                name: c[0].to_string(),
                files: c[1].split(',').map(|f| dir.join(f)).collect(),
                writer: c[2].to_string(),
                compression: c[3].to_string(),
                chunk_size: c[4].parse().unwrap_or(0),
                integrity: c[5] == "yes",
                wimlib_intact: match c[6] {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                },
                defect: c.get(7).unwrap_or(&"").to_string(),
                refs: match c.get(8).map(|s| s.trim()) {
                    None | Some("") | Some("-") => Vec::new(),
                    Some(list) => list.split(',').map(|f| dir.join(f)).collect(),
                },
            }
        })
        .collect()
}

pub fn manifest() -> Vec<Row> {
    manifest_at(&generated())
}

pub fn verify_with(files: &[PathBuf], request: impl Into<Request>) -> Report {
    verify_paths(files, request.into(), 2, &|_, _| {})
        .unwrap_or_else(|e| panic!("{}: {e}", files[0].display()))
}

pub fn verify(files: &[PathBuf]) -> Report {
    verify_with(files, Options::default())
}

/// Verifies `files` with `refs` as the other WIMs that may hold their
/// blobs, as `wimlib-imagex verify FILE --ref=REF...` does.
pub fn verify_refs(files: &[PathBuf], refs: &[PathBuf]) -> Report {
    verify_paths_with_refs(files, refs, Request::default(), 2, &|_, _| {})
        .unwrap_or_else(|e| panic!("{}: {e}", files[0].display()))
}

/// Removes the time a report was made (`checked_at`, at any depth: install
/// media give one per report), so that two runs can be compared.
pub fn strip_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.remove("checked_at");
            o.values_mut().for_each(strip_times);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_times),
        _ => {}
    }
}

/// The report of `files` (with `refs`) on `lanes` lanes as JSON, without
/// the time it was made; a driver error as its message.
pub fn report_on_lanes(files: &[PathBuf], refs: &[PathBuf], lanes: usize) -> String {
    match verify_paths_with_refs(files, refs, Request::default(), lanes, &|_, _| {}) {
        Ok(r) => {
            let mut v = serde_json::to_value(&r).expect("a report serializes");
            strip_times(&mut v);
            serde_json::to_string_pretty(&v).unwrap()
        }
        Err(e) => format!("error: {e}"),
    }
}

/// Fails, listing them, if any of `images` (name, files, refs) gives
/// another report on 1 or 3 lanes than on 2; the first line that differs
/// is shown for each.
pub fn assert_same_on_lane_counts<'a>(
    images: impl IntoIterator<Item = (String, &'a [PathBuf], &'a [PathBuf])>,
) {
    let mut count = 0;
    let mut differ = Vec::new();
    for (name, files, refs) in images {
        count += 1;
        let two = report_on_lanes(files, refs, 2);
        for lanes in [1, 3] {
            let other = report_on_lanes(files, refs, lanes);
            if other != two {
                let (a, b) = other
                    .lines()
                    .zip(two.lines())
                    .find(|(a, b)| a != b)
                    .unwrap_or(("(shorter)", "(longer)"));
                differ.push(format!(
                    "{name}, {lanes} lanes: {} / 2 lanes: {}",
                    a.trim(),
                    b.trim()
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {count}:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// Verifies a manifest row the way its verdict was recorded: with its refs
/// when it has any.
pub fn verify_row(row: &Row) -> Report {
    if row.refs.is_empty() {
        verify(&row.files)
    } else {
        verify_refs(&row.files, &row.refs)
    }
}

/// `wimlib-imagex` run now, for what the manifest does not record.
pub fn wimlib(args: &[&str]) -> (i32, String) {
    let out = Command::new("wimlib-imagex")
        .args(args)
        .output()
        .expect("wimlib-imagex is installed (Debian wimtools)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

pub fn codes(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| f.code.to_string()).collect()
}
