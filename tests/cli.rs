//! The CLI on generated fixtures: checksum lists written by `sha256sum
//! --tag`/`sha1sum` and matched without case, split parts found beside the
//! first part without case, the exit status when several files are given,
//! and usage errors.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};
use wimproof::policy::TargetId;

fn wimproof(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wimproof"))
        .current_dir(dir)
        .arg("--no-progress")
        .args(args)
        .output()
        .expect("run wimproof")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tool(dir: &Path, cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd} failed");
    String::from_utf8(out.stdout).unwrap()
}

fn finding_codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn checks_a_tagged_list_by_name_without_case() {
    let gen = generated();
    let dir = scratch("list");
    std::fs::copy(gen.join("multi.wim"), dir.join("multi.wim")).unwrap();
    // BSD-style lines as coreutils writes them, the name in capitals (as a
    // list made on Windows may spell it), a GNU line for another file and
    // a line that is neither.
    let tagged = tool(&dir, "sha256sum", &["--tag", "multi.wim"])
        + &tool(&dir, "sha1sum", &["--tag", "multi.wim"]);
    assert!(tagged.starts_with("SHA256 (multi.wim) = "), "{tagged}");
    let list = tagged.replace("multi.wim", "sources\\MULTI.WIM")
        + "0000000000000000000000000000000000000000  other.wim\nnot a checksum line\n";
    std::fs::write(dir.join("list.txt"), &list).unwrap();
    let out = wimproof(&dir, &["--json", "--check-list", "list.txt", "multi.wim"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    // The SHA-1 was computed because the list gives one, and both matched.
    let sha1 = tool(&dir, "sha1sum", &["multi.wim"]);
    assert_eq!(v["digests"]["sha1"].as_str(), Some(&sha1[..40]));
    assert!(
        !finding_codes(&v).iter().any(|c| c.starts_with("digest.")),
        "{:?}",
        finding_codes(&v)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("list.txt:4: not a sha256sum/sha1sum or BSD-style line"),
        "{err}"
    );

    // A list whose SHA-256 differs: corrupt, exit 1.
    let first = tagged.lines().next().unwrap();
    let (head, digest) = first.split_at(first.len() - 64);
    let flipped = if digest.starts_with('0') { "1" } else { "0" };
    let wrong = format!("{head}{flipped}{}", &digest[1..]);
    std::fs::write(dir.join("wrong.txt"), wrong + "\n").unwrap();
    let out = wimproof(&dir, &["--json", "--check-list", "wrong.txt", "multi.wim"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(finding_codes(&json(&out)).contains(&"digest.mismatch".to_string()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The names in a report's `parts[]`.
fn part_names(v: &serde_json::Value) -> Vec<&str> {
    let parts = v["parts"].as_array().expect("parts[]");
    parts.iter().map(|p| p["name"].as_str().unwrap()).collect()
}

#[test]
fn finds_later_parts_beside_the_first_without_case() {
    let gen = generated();
    let dir = scratch("split");
    std::fs::copy(gen.join("split.swm"), dir.join("Split.swm")).unwrap();
    std::fs::copy(gen.join("split2.swm"), dir.join("SPLIT2.SWM")).unwrap();
    std::fs::copy(gen.join("split3.swm"), dir.join("split3.swm")).unwrap();
    let out = wimproof(&dir, &["--json", "Split.swm"]);
    let v = json(&out);
    let parts = part_names(&v);
    assert_eq!(parts, ["Split.swm", "SPLIT2.SWM", "split3.swm"]);
    assert_eq!(v["intact"], true, "{:?}", finding_codes(&v));
    // Split sets are unsafe for ConfigMgr (exit 3), fine on USB media.
    assert_eq!(out.status.code(), Some(3));
    let out = wimproof(&dir, &["--json", "--target", "usb-fat32", "Split.swm"]);
    assert_eq!(out.status.code(), Some(0));

    // Given in any order and case, the parts still make one image.
    let out = wimproof(&dir, &["--json", "split3.swm", "SPLIT2.SWM", "Split.swm"]);
    let v = json(&out);
    assert!(v.is_object(), "one report, not an array");
    assert_eq!(v["parts"].as_array().unwrap().len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Later parts given without their first part are one image too: one
/// report over both, which names only part 1 as not given (each on its
/// own named the other one missing as well).
#[test]
fn later_parts_without_the_first_make_one_report() {
    let gen = generated();
    let dir = scratch("later");
    std::fs::copy(gen.join("split2.swm"), dir.join("Split2.swm")).unwrap();
    std::fs::copy(gen.join("split3.swm"), dir.join("SPLIT3.SWM")).unwrap();
    let out = wimproof(&dir, &["--json", "SPLIT3.SWM", "Split2.swm"]);
    let v = json(&out);
    assert!(v.is_object(), "one report, not an array: {v:#}");
    let parts = part_names(&v);
    assert_eq!(parts, ["Split2.swm", "SPLIT3.SWM"]);
    let missing: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "split.missing_part")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("part 1 was not given"), "{missing:?}");
    assert_eq!(v["intact"], serde_json::Value::Null, "not fully verifiable");
    // Unsafe for ConfigMgr (a split set) outranks not fully verifiable.
    assert_eq!(out.status.code(), Some(3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_worst_exit_status_wins() {
    let gen = generated();
    let corrupt = manifest()
        .into_iter()
        .find(|r| r.wimlib_intact == Some(false) && r.files.len() == 1)
        .expect("a corrupt fixture");
    let corrupt = corrupt.files[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let dir = scratch("exit");
    // A first part alone, its other parts not beside it: not verifiable.
    std::fs::copy(gen.join("split.swm"), dir.join("lonely.swm")).unwrap();
    let lonely = dir.join("lonely.swm");
    let lonely = lonely.to_str().unwrap();
    // On USB media a split set is fine and what fails is the format: the
    // pipable fixture is unsafe everywhere.
    let code = |files: &[&str]| {
        let args: Vec<&str> = ["--target", "usb-fat32"]
            .iter()
            .chain(files)
            .copied()
            .collect();
        wimproof(&gen, &args).status.code()
    };
    assert_eq!(code(&["multi.wim"]), Some(0));
    assert_eq!(code(&[lonely]), Some(4));
    assert_eq!(code(&["pipable.wim"]), Some(3));
    assert_eq!(code(&[&corrupt]), Some(1));
    assert_eq!(code(&["missing.wim"]), Some(2));
    // Worst first: 2, then 1, 3, 4, 0; the order of the files is no matter.
    assert_eq!(code(&["multi.wim", lonely]), Some(4));
    assert_eq!(code(&[lonely, "pipable.wim", "multi.wim"]), Some(3));
    assert_eq!(code(&["pipable.wim", &corrupt, lonely]), Some(1));
    assert_eq!(code(&["missing.wim", &corrupt, "multi.wim"]), Some(2));
    assert_eq!(code(&[&corrupt, "missing.wim"]), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2_and_help_names_the_targets() {
    let gen = generated();
    for args in [
        &[][..],
        &["--target", "sccm", "multi.wim"],
        &["--digest", "md5", "multi.wim"],
        &["--threads", "0", "multi.wim"],
        &["--expect-sha256", "abc", "multi.wim"],
        &["--no-such-option", "multi.wim"],
        &["--completions", "bash", "multi.wim"],
    ] {
        let out = wimproof(&gen, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error:"),
            "{args:?}"
        );
    }
    let out = wimproof(&gen, &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for t in TargetId::ALL {
        assert!(
            help.contains(t.id()) && help.contains(t.title()),
            "{t:?} in\n{help}"
        );
    }
    let out = wimproof(&gen, &["--completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--expect-sha256"));
}

#[test]
fn the_readme_shows_the_help_as_printed() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("`wimproof -h`")
        .expect("the README's CLI section");
    let block = &readme[start..];
    let block = &block[block.find("```\n").unwrap() + 4..];
    let block = &block[..block.find("```").unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_wimproof"))
        .arg("-h")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(
        block,
        String::from_utf8_lossy(&out.stdout),
        "update README.md's CLI section"
    );
}

#[test]
fn a_delta_is_verified_with_its_base_given_by_ref() {
    let dir = generated();
    let row = manifest()
        .into_iter()
        .find(|r| !r.refs.is_empty())
        .expect("a delta fixture with refs in the manifest");
    let delta = row.files[0].to_str().unwrap().to_string();
    let base = row.refs[0].to_str().unwrap().to_string();
    // Alone, its trees name blobs it lacks: corrupt, as wimlib says.
    let alone = wimproof(&dir, &["--json", &delta]);
    assert_eq!(
        alone.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&alone.stdout)
    );
    assert!(finding_codes(&json(&alone)).contains(&"metadata.blob_missing".to_string()));
    // With its base, intact; the base is listed as a reference part, and
    // its blobs are verified too. Intact, but not self-contained: no
    // deployment target is given the base, so every target is unsafe (3).
    let with = wimproof(&dir, &["--json", "--ref", &base, &delta]);
    assert_eq!(
        with.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&with.stdout)
    );
    let v = json(&with);
    assert_eq!(v["intact"], true);
    assert_eq!(v["verdict"], "unsafe");
    for t in v["targets"].as_array().unwrap() {
        let reasons = t["reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r["code"] == "format.needs_reference"),
            "{t}"
        );
    }
    let parts = v["parts"].as_array().expect("parts[]");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["reference"], serde_json::Value::Null);
    assert_eq!(parts[1]["reference"], true);
    assert!(parts[1]["name"]
        .as_str()
        .unwrap()
        .ends_with(row.refs[0].file_name().unwrap().to_str().unwrap()));
    let alone_blobs = json(&alone)["checked"]["blobs_verified"].as_u64().unwrap();
    assert!(v["checked"]["blobs_verified"].as_u64().unwrap() > alone_blobs);
    // The top-level digest is the delta's own.
    let own = wimproof(&dir, &["--json", &delta]);
    assert_eq!(v["digests"]["sha256"], json(&own)["digests"]["sha256"]);
}

#[test]
fn stats_go_to_stderr_and_leave_the_report_alone() {
    let gen = generated();
    let plain = wimproof(&gen, &["--json", "lzx.wim"]);
    let with = wimproof(&gen, &["--json", "--stats", "lzx.wim"]);
    assert_eq!(plain.status.code(), with.status.code());
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("checked_at");
        v
    };
    assert_eq!(strip(json(&plain)), strip(json(&with)));
    let err = String::from_utf8_lossy(&with.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("wimproof: stats: lzx.wim: phase 1 "))
        .unwrap_or_else(|| panic!("no stats line in {err}"));
    assert!(
        line.contains(" s CPU (user+system), ") && line.contains(" cores; "),
        "{line}"
    );
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("stats:"));
}
