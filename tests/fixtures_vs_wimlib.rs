//! Differential tests: on every generated fixture (wimlib- and 7-Zip-made,
//! intact and corrupted, and made by every wimlib operation that writes
//! WIMs) wimproof agrees with `wimlib-imagex verify` on intact/corrupt, and
//! with `wimlib-imagex info` on the header fields and blob count. A row with
//! refs (a `--delta-from` capture with its base) is verified with them, as
//! `wimlib-imagex verify --ref` verified it.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use wimproof::policy::Verdict;
use wimproof::verify::finding::Severity;

#[test]
fn intact_or_corrupt_agrees_with_wimlib_verify() {
    let rows = manifest();
    assert!(
        rows.len() >= 110,
        "expected the full fixture set, got {} rows",
        rows.len()
    );
    let mut disagree = Vec::new();
    let mut compared = 0;
    for row in &rows {
        let Some(want) = row.wimlib_intact else {
            continue;
        };
        let r = verify_row(row);
        compared += 1;
        // A corrupt image must never come out better than corrupt; an
        // intact one must be intact (not merely "unverified"), with no
        // finding of severity corruption.
        let corruption = r
            .findings
            .iter()
            .any(|f| f.severity == Severity::Corruption);
        if r.intact != Some(want) || (want && corruption) {
            disagree.push(format!(
                "{}{}: wimlib intact={want}, wimproof intact={:?} verdict={} findings={}",
                row.name,
                if row.refs.is_empty() {
                    String::new()
                } else {
                    format!(" (refs {})", file_names(&row.refs))
                },
                r.intact,
                r.verdict,
                described(&r)
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

fn file_names(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy())
        .collect::<Vec<_>>()
        .join(",")
}

/// The findings as `code(severity)`, for the messages of disagreements.
fn described(r: &wimproof::report::Report) -> String {
    let all: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{}({:?})", f.code, f.severity))
        .collect();
    format!("[{}]", all.join(", "))
}

fn info_field<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Lists every mismatch (fixture and field) and fails on any.
fn fail_on(what: &str, bad: &[String]) {
    assert!(
        bad.is_empty(),
        "{} {what} disagreements:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn header_fields_and_blob_counts_agree_with_wimlib_info() {
    let dir = generated();
    let mut checked = 0;
    let mut bad = Vec::new();
    for row in manifest() {
        if row.wimlib_intact != Some(true) {
            continue;
        }
        let Ok(info) = std::fs::read_to_string(dir.join(format!("{}.info.txt", row.name))) else {
            continue;
        };
        let r = verify_row(&row);
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
        let mut same = |field: &str, wimlib: Option<String>, ours: String| {
            if wimlib.as_deref() != Some(ours.as_str()) {
                bad.push(format!(
                    "{}: {field}: wimlib {wimlib:?}, wimproof {ours}",
                    row.name
                ));
            }
        };
        let n = |k: &str| num(k).map(|v| v.to_string());
        same("image count", n("Image Count"), w.image_count.to_string());
        same("chunk size", n("Chunk Size"), w.chunk_size.to_string());
        same("version", n("Version"), w.version.to_string());
        same("boot index", n("Boot Index"), w.boot_index.to_string());
        same("total parts", n("Total Parts"), w.total_parts.to_string());
        same(
            "GUID",
            info_field(&info, "GUID").map(str::to_string),
            w.guid.clone(),
        );
        // Every named flag wimlib reports is one we report.
        for l in info.lines().filter(|l| l.trim().ends_with("is set")) {
            let name = l
                .trim()
                .trim_start_matches("WIM_HDR_FLAG_")
                .trim_end_matches(" is set");
            if !w.flags.iter().any(|f| f == name) {
                bad.push(format!("{}: flag {name} not in {:?}", row.name, w.flags));
            }
        }
        // The blob table compared is the file's own; with refs the report
        // may also count the tables of the refs. wimlib lists every
        // metadata entry (two images may share one SHA-1) and every blob
        // entry except zero-hash ones and repeats of a blob's SHA-1.
        if row.files.len() == 1 && row.refs.is_empty() {
            let blobs = std::fs::read_to_string(dir.join(format!("{}.blobs.txt", row.name)))
                .unwrap_or_default();
            let wimlib_blobs = blobs.lines().filter(|l| l.starts_with("Hash")).count() as u64;
            let ours = r.resources.blob_entries
                - r.resources.zero_hash_entries
                - r.resources.duplicate_hashes;
            if ours != wimlib_blobs {
                bad.push(format!(
                    "{}: blob count: wimlib {wimlib_blobs}, wimproof {ours} ({} entries, {} zero-hash, {} duplicate hashes)",
                    row.name,
                    r.resources.blob_entries,
                    r.resources.zero_hash_entries,
                    r.resources.duplicate_hashes
                ));
            }
        }
        checked += 1;
    }
    println!("compared the header and blob table of {checked} fixtures with wimlib-imagex info");
    fail_on("wimlib-imagex info", &bad);
    assert!(checked >= 60, "only {checked} fixtures compared");
}

#[test]
fn file_and_directory_counts_agree_with_wimlib_dir() {
    let dir = generated();
    let mut checked = 0;
    let mut bad = Vec::new();
    for row in manifest() {
        if row.wimlib_intact != Some(true) || row.files.len() != 1 || row.defect != "-" {
            continue;
        }
        let r = verify_row(&row);
        let path = row.files[0].to_str().unwrap();
        // The images wimlib sees (its header dump), not the ones we found.
        let info = std::fs::read_to_string(dir.join(format!("{}.info.txt", row.name)))
            .unwrap_or_else(|e| panic!("{}.info.txt: {e}", row.name));
        let images: u32 = info_field(&info, "Image Count")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{}: no Image Count", row.name));
        let mut wimlib_entries = 0u64;
        for img in 1..=images {
            let (rc, out) = wimlib(&["dir", path, &img.to_string()]);
            assert_eq!(rc, 0, "{}: wimlib-imagex dir failed: {out}", row.name);
            // `dir` prints one path per line, the root ("/") included.
            wimlib_entries += out.lines().filter(|l| l.starts_with('/')).count() as u64;
        }
        let ours = r.checked.files_in_tree + r.checked.dirs_in_tree;
        if ours != wimlib_entries {
            bad.push(format!(
                "{}: wimlib-imagex dir lists {wimlib_entries} entries in {images} images, wimproof walked {ours}",
                row.name
            ));
        }
        if r.findings.iter().any(|f| f.code == "xml.counts") {
            bad.push(format!(
                "{}: tree counts differ from the XML: {}",
                row.name,
                described(&r)
            ));
        }
        checked += 1;
    }
    println!("compared the directory trees of {checked} fixtures with wimlib-imagex dir");
    fail_on("wimlib-imagex dir", &bad);
    assert!(checked >= 50, "only {checked} fixtures compared");
}

// ---- the fixtures of wimlib's operations have the property they are named for

/// One entry of `wimlib-imagex info --blobs`.
#[derive(Debug)]
struct Blob {
    hash: String,
    refcount: u64,
    metadata: bool,
    /// "Solid resource = USIZE => CSIZE bytes @ offset N": the resource's offset.
    solid_resource: Option<u64>,
    compressed: bool,
}

/// The fixture's `info --blobs` (NAME.blobs.txt, written by generate.sh).
fn blobs_of(dir: &Path, name: &str) -> Vec<Blob> {
    let text = std::fs::read_to_string(dir.join(format!("{name}.blobs.txt")))
        .unwrap_or_else(|e| panic!("{name}.blobs.txt: {e}"));
    let mut out: Vec<Blob> = Vec::new();
    for l in text.lines() {
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k == "Hash" {
            out.push(Blob {
                hash: v.to_string(),
                refcount: u64::MAX,
                metadata: false,
                solid_resource: None,
                compressed: false,
            });
            continue;
        }
        let Some(b) = out.last_mut() else { continue };
        match k {
            "Reference Count" => b.refcount = v.parse().unwrap(),
            "Flags" => {
                b.metadata = v.contains("WIM_RESHDR_FLAG_METADATA");
                b.compressed = v.contains("WIM_RESHDR_FLAG_COMPRESSED");
            }
            "Solid resource" => {
                let off = v.rsplit_once("@ offset ").unwrap().1;
                b.solid_resource = Some(off.trim().parse().unwrap());
            }
            _ => {}
        }
    }
    assert!(
        out.iter().all(|b| b.refcount != u64::MAX),
        "{name}: an entry without a reference count"
    );
    out
}

/// The metadata SHA-1s in image order.
fn metas(b: &[Blob]) -> Vec<&str> {
    b.iter()
        .filter(|b| b.metadata)
        .map(|b| b.hash.as_str())
        .collect()
}

/// The SHA-1s of the other (file data) blobs.
fn data(b: &[Blob]) -> BTreeSet<&str> {
    b.iter()
        .filter(|b| !b.metadata)
        .map(|b| b.hash.as_str())
        .collect()
}

fn solid_resources(b: &[Blob]) -> BTreeSet<u64> {
    b.iter().filter_map(|b| b.solid_resource).collect()
}

/// `wimlib-imagex info --header` of the fixture (NAME.info.txt).
struct Header(String);

impl Header {
    fn of(dir: &Path, name: &str) -> Header {
        Header(
            std::fs::read_to_string(dir.join(format!("{name}.info.txt")))
                .unwrap_or_else(|e| panic!("{name}.info.txt: {e}")),
        )
    }
    fn num(&self, key: &str) -> u64 {
        let v = info_field(&self.0, key).unwrap_or_else(|| panic!("no {key}"));
        match v.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).unwrap(),
            None => v.parse().unwrap(),
        }
    }
    fn flag(&self, flag: &str) -> bool {
        self.0
            .lines()
            .any(|l| l.trim() == format!("WIM_HDR_FLAG_{flag} is set"))
    }
}

/// The paths `wimlib-imagex dir` lists in image 1.
fn dir_paths(dir: &Path, name: &str) -> BTreeSet<String> {
    let wim = dir.join(format!("{name}.wim"));
    let (rc, out) = wimlib(&["dir", wim.to_str().unwrap(), "1"]);
    assert_eq!(rc, 0, "{name}: wimlib-imagex dir: {out}");
    out.lines()
        .filter(|l| l.starts_with('/'))
        .map(str::to_string)
        .collect()
}

fn size_of(dir: &Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(format!("{name}.wim")))
        .unwrap()
        .len()
}

/// Each fixture made by a wimlib operation has the property it is named for,
/// judged from wimlib-imagex's own `info` and `dir` output, so that a new
/// wimlib cannot silently make one of them a copy of another (or of its
/// source) while its row still passes.
#[test]
fn operation_fixtures_have_their_properties() {
    let dir = generated();
    let rows = manifest();
    let row = |n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .unwrap_or_else(|| panic!("no fixture {n} in the manifest"))
    };
    let b = |n: &str| blobs_of(&dir, n);
    let h = |n: &str| Header::of(&dir, n);
    let mut failed: Vec<String> = Vec::new();
    let mut checked = 0;
    let mut check = |name: &str, ok: bool, what: &str| {
        checked += 1;
        if !ok {
            failed.push(format!("{name}: {what}"));
        }
    };

    // The sources.
    let (lzx, multi, boot) = (b("lzx"), b("multi"), b("boot"));
    assert_eq!(metas(&lzx).len(), 1);
    assert_eq!(metas(&multi).len(), 3);
    assert_eq!(metas(&boot).len(), 3);
    let lzx_meta = metas(&lzx)[0];

    // append
    let x = b("append-same");
    check(
        "append-same",
        metas(&x) == [lzx_meta, lzx_meta],
        "two images with lzx.wim's one metadata SHA-1",
    );
    check("append-same", data(&x) == data(&lzx), "no new blob");
    check(
        "append-same",
        h("append-same").num("Image Count") == 2,
        "2 images",
    );
    let x = b("append-changed");
    let m = metas(&x);
    check(
        "append-changed",
        m.len() == 2 && m[0] == lzx_meta && m[1] != lzx_meta,
        "a second, different metadata resource",
    );
    check(
        "append-changed",
        data(&x).is_superset(&data(&lzx)) && data(&x).len() > data(&lzx).len(),
        "new blobs added to lzx.wim's",
    );

    // export
    let x = b("export-twice");
    check(
        "export-twice",
        metas(&x) == [lzx_meta, lzx_meta],
        "two metadata entries with the same SHA-1 (lzx.wim's)",
    );
    check("export-twice", data(&x) == data(&lzx), "no new blob");
    let new = b("export-new");
    check(
        "export-new",
        metas(&new) == [metas(&multi)[1]],
        "one image: multi.wim's image 2",
    );
    check(
        "export-new",
        data(&new).is_subset(&data(&multi)) && data(&new).len() < data(&multi).len(),
        "only image 2's blobs of multi.wim",
    );
    check(
        "export-new",
        h("export-new").flag("COMPRESS_LZX") && solid_resources(&new).is_empty(),
        "LZX, not solid",
    );
    let x = b("export-new-xpress");
    check(
        "export-new-xpress",
        h("export-new-xpress").flag("COMPRESS_XPRESS") && metas(&x) == metas(&new),
        "XPRESS, the image of export-new",
    );
    check(
        "export-new-xpress",
        data(&x) == data(&new),
        "the blobs of export-new",
    );
    let x = b("export-solid");
    check(
        "export-solid",
        h("export-solid").num("Version") == 0xE00
            && metas(&x) == [metas(&multi)[2]]
            && !solid_resources(&x).is_empty()
            && x.iter().all(|b| b.metadata || b.solid_resource.is_some()),
        "version 0xE00, multi.wim's image 3, every data blob in a solid resource",
    );

    // delete (of multi.wim: 3 images, integrity table)
    for (i, pos) in ["first", "middle", "last"].iter().enumerate() {
        let mut left = metas(&multi);
        left.remove(i);
        let hard_name = format!("delete-{pos}");
        let soft_name = format!("delete-soft-{pos}");
        let (hard, soft) = (b(&hard_name), b(&soft_name));
        for (n, x) in [(&hard_name, &hard), (&soft_name, &soft)] {
            check(n, metas(x) == left, "the other two images, in order");
            check(
                n,
                h(n).num("Image Count") == 2 && h(n).num("Integrity Size") > 0,
                "2 images, integrity table kept",
            );
        }
        check(
            &hard_name,
            data(&hard).is_subset(&data(&multi))
                && data(&hard).len() < data(&multi).len()
                && hard.iter().all(|b| b.refcount > 0),
            "the deleted image's own blobs gone",
        );
        check(
            &soft_name,
            data(&soft) == data(&multi) && data(&soft).len() > data(&hard).len(),
            "every blob of multi.wim still in the blob table (more than the hard delete)",
        );
        check(
            &soft_name,
            soft.iter().any(|b| !b.metadata && b.refcount == 0),
            "the deleted image's own blobs kept with reference count 0",
        );
        check(
            &soft_name,
            size_of(&dir, &soft_name) > size_of(&dir, &hard_name),
            "larger than the rebuilt WIM",
        );
    }
    let zero = h("zero-images");
    check(
        "zero-images",
        zero.num("Image Count") == 0
            && zero.num("Blob Table Size") == 0
            && b("zero-images").is_empty(),
        "image count 0, an empty blob table",
    );
    let x = b("empty-dir");
    check(
        "empty-dir",
        metas(&x).len() == 1 && data(&x).is_empty(),
        "one image, no data blob",
    );
    check(
        "empty-dir",
        dir_paths(&dir, "empty-dir") == BTreeSet::from(["/".to_string()]),
        "`dir` lists only the root",
    );

    // update (add src/small as /added, delete /text/small.txt, rename
    // /bin/noise-4k.bin), in place and with --rebuild
    let (upd, rebuilt) = (b("update"), b("update-rebuild"));
    for n in ["update", "update-rebuild"] {
        let p = dir_paths(&dir, n);
        check(
            n,
            p.contains("/added/readme.txt")
                && p.contains("/bin/renamed-4k.bin")
                && !p.contains("/bin/noise-4k.bin")
                && !p.contains("/text/small.txt"),
            "added, renamed and deleted paths",
        );
    }
    check(
        "update",
        metas(&upd).len() == 1 && metas(&upd) == metas(&rebuilt) && metas(&upd) != [lzx_meta],
        "one new metadata resource, the same as update-rebuild's",
    );
    check(
        "update",
        data(&upd).is_superset(&data(&rebuilt)) && data(&upd).len() > data(&rebuilt).len(),
        "in place, the deleted file's blob stays in the table",
    );
    check(
        "update",
        size_of(&dir, "update") > size_of(&dir, "update-rebuild"),
        "in place, larger than rebuilt",
    );
    let p = dir_paths(&dir, "update-command");
    check(
        "update-command",
        p.contains("/texts/big.txt") && !p.iter().any(|x| x.starts_with("/text/")),
        "/text renamed to /texts",
    );

    // optimize
    let x = b("optimize");
    check(
        "optimize",
        metas(&x) == metas(&upd) && data(&x) == data(&rebuilt),
        "update.wim's image without the blobs no image uses",
    );
    check(
        "optimize",
        size_of(&dir, "optimize") < size_of(&dir, "update"),
        "smaller than the in-place updated WIM",
    );
    let x = b("optimize-recompress");
    check(
        "optimize-recompress",
        metas(&x) == metas(&multi)
            && data(&x) == data(&multi)
            && h("optimize-recompress").num("Integrity Size") > 0,
        "multi.wim's images and blobs, integrity table kept",
    );
    check(
        "optimize-recompress",
        std::fs::read(dir.join("optimize-recompress.wim")).unwrap()
            != std::fs::read(dir.join("multi.wim")).unwrap(),
        "rewritten, not a copy of multi.wim",
    );
    let x = b("optimize-xpress");
    check(
        "optimize-xpress",
        h("optimize-xpress").flag("COMPRESS_XPRESS")
            && metas(&x) == [lzx_meta]
            && data(&x) == data(&lzx),
        "XPRESS, lzx.wim's image and blobs",
    );
    let x = b("optimize-solid");
    let hs = h("optimize-solid");
    check(
        "optimize-solid",
        hs.num("Version") == 0xE00
            && hs.num("Boot Index") == 2
            && metas(&x) == metas(&boot)
            && data(&x) == data(&boot)
            && x.iter().all(|b| b.metadata || b.solid_resource.is_some()),
        "boot.wim's 3 images (boot index 2), every data blob in a solid resource",
    );

    // --delta-from lzx.wim: only the blobs lzx.wim lacks; verified with it
    let delta = b("delta-from");
    let all_alt = b("append-changed"); // lzx.wim + the alt tree
    check(
        "delta-from",
        !data(&delta).is_empty() && data(&delta).is_disjoint(&data(&lzx)),
        "no blob of lzx.wim",
    );
    check(
        "delta-from",
        metas(&delta) == [metas(&multi)[1]]
            && data(&delta)
                .union(&data(&lzx))
                .copied()
                .collect::<BTreeSet<_>>()
                .is_superset(&data(&all_alt)),
        "the alt tree, its blobs in the delta and lzx.wim together",
    );
    check(
        "delta-from",
        row("delta-from").wimlib_intact == Some(false) && row("delta-from").refs.is_empty(),
        "fails wimlib verify alone",
    );
    let r = row("delta-from-ref");
    check(
        "delta-from-ref",
        r.wimlib_intact == Some(true)
            && r.files == row("delta-from").files
            && r.refs == row("lzx").files,
        "delta-from.wim with --ref=lzx.wim passes wimlib verify",
    );

    // --wimboot, chunk sizes, several solid resources
    let wb = dir.join("wimboot.wim");
    let (rc, info) = wimlib(&["info", wb.to_str().unwrap()]);
    check(
        "wimboot",
        rc == 0
            && info_field(&info.replace(':', "="), "WIMBoot compatible") == Some("yes")
            && h("wimboot").num("Chunk Size") == 4096
            && h("wimboot").flag("COMPRESS_XPRESS"),
        "WIMBoot compatible: yes, XPRESS with 4 KiB chunks",
    );
    let x = b("lzms-64m");
    check(
        "lzms-64m",
        h("lzms-64m").num("Chunk Size") == 64 << 20
            && h("lzms-64m").flag("COMPRESS_LZMS")
            && solid_resources(&x).is_empty()
            && x.iter().any(|b| !b.metadata && b.compressed),
        "LZMS, not solid, 64 MiB chunks, compressed blobs",
    );
    // The solid resource's chunk size is only in its own 16-byte header
    // (u64 size, u32 chunk size, u32 codec) at the offset wimlib prints.
    let x = b("solid-xpress-4k");
    let res = solid_resources(&x);
    let bytes = std::fs::read(dir.join("solid-xpress-4k.wim")).unwrap();
    let rh = |o: u64| {
        let o = o as usize;
        (
            u32::from_le_bytes(bytes[o + 8..o + 12].try_into().unwrap()),
            u32::from_le_bytes(bytes[o + 12..o + 16].try_into().unwrap()),
        )
    };
    check(
        "solid-xpress-4k",
        res.len() == 1 && rh(*res.first().unwrap()) == (4096, 1),
        "one solid resource, XPRESS (codec 1) with 4 KiB chunks",
    );
    let x = b("solid-runs");
    check(
        "solid-runs",
        solid_resources(&x).len() >= 3 && metas(&x).len() == 3,
        "3 images, 3 or more solid resources",
    );
    let x = b("solid-runs-mixed");
    check(
        "solid-runs-mixed",
        solid_resources(&x).len() >= 2
            && x.iter().any(|b| !b.metadata && b.solid_resource.is_none()),
        "non-solid blobs and 2 or more solid resources",
    );

    println!("{checked} properties of the operation fixtures checked");
    assert!(
        failed.is_empty(),
        "{} fixtures lack their property:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The report does not depend on how many lanes made it: lanes finish their
/// tasks in their own order and each sums its resources' results, so a
/// report that followed them would list findings (and pick the ones a cap
/// keeps) differently on a 2-core and an 8-core machine. A guard over every
/// fixture; `split_runs.rs` has the images on which that order once
/// differed (damage in resources of both lanes).
#[test]
fn every_fixture_reports_the_same_on_one_two_and_three_lanes() {
    let rows = manifest();
    assert!(rows.len() >= 40, "{} fixtures", rows.len());
    assert_same_on_lane_counts(
        rows.iter()
            .map(|r| (r.name.clone(), &r.files[..], &r.refs[..])),
    );
}
