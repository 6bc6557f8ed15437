//! The checks Windows Setup and the deployment tools depend on, and the
//! editions table, on the fixtures of `tests/fixtures/setup.sh` (small
//! trees shaped like install and Windows PE images, captured by
//! wimlib-imagex with their XML properties set or left out):
//! - the editions table equals what `wimlib-imagex info FILE N` lists;
//! - `xml.install_properties` and `header.boot_not_winpe` appear on their
//!   fixtures and on no other file (every generated, NTFS and peer fixture);
//! - their remedies, run as written, make them go away;
//! - `medium.boot_architecture` comes from boot.wim and install.wim of
//!   different architectures given together, and from no other pair of the
//!   fixtures;
//! - the XML's image numbering that disagrees with the header, which
//!   wimlib refuses, is corruption (`xml.indexes`).

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use wimproof::assess::medium_findings;
use wimproof::native::verify_paths;
use wimproof::report::{editions, Report};
use wimproof::verify::finding::Severity;
use wimproof::verify::Options;

fn fixture(name: &str) -> Row {
    manifest()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no fixture {name} in the manifest"))
}

/// `wimlib-imagex info FILE N` as its `Key: value` lines.
fn wimlib_image(file: &Path, image: u32) -> BTreeMap<String, String> {
    let (rc, out) = wimlib(&["info", file.to_str().unwrap(), &image.to_string()]);
    assert_eq!(
        rc,
        0,
        "wimlib-imagex info {} {image}: {out}",
        file.display()
    );
    out.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn wimlib_boot_index(file: &Path) -> u32 {
    let (rc, out) = wimlib(&["info", file.to_str().unwrap(), "--header"]);
    assert_eq!(rc, 0, "{out}");
    out.lines()
        .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == "Boot Index"))
        .map(|(_, v)| v.trim().parse().unwrap())
        .expect("Boot Index in info --header")
}

/// wimlib's architecture names as DISM's.
fn dism_arch(wimlib: &str) -> String {
    match wimlib {
        "x86_64" => "x64".into(),
        other => other.to_ascii_lowercase(),
    }
}

#[test]
fn the_editions_table_is_what_wimlib_info_lists() {
    let mut bad = Vec::new();
    let mut rows_checked = 0;
    for name in [
        "setup-editions",
        "setup-missing-props",
        "setup-boot-install",
        "setup-boot-x64",
        "setup-boot-x86",
        "multi",
        "boot",
        "7z-multi",
    ] {
        let row = fixture(name);
        let file = &row.files[0];
        let r = verify_row(&row);
        let boot = wimlib_boot_index(file);
        let table = editions(&r);
        assert_eq!(
            table.iter().map(|e| e.index).collect::<Vec<_>>(),
            (1..=r.wim.as_ref().unwrap().image_count).collect::<Vec<_>>(),
            "{name}: one row per image, by index"
        );
        for e in &table {
            rows_checked += 1;
            let w = wimlib_image(file, e.index);
            let get = |k: &str| w.get(k).filter(|v| !v.is_empty()).cloned();
            let mut same = |field: &str, ours: Option<String>, theirs: Option<String>| {
                if ours != theirs {
                    bad.push(format!(
                        "{name} image {}: {field}: ours {ours:?}, wimlib {theirs:?}",
                        e.index
                    ));
                }
            };
            same("name", e.name.clone(), get("Name"));
            same("description", e.description.clone(), get("Description"));
            same("edition", e.edition_id.clone(), get("Edition ID"));
            // wimlib shows x86 (its value 0) for a WINDOWS element without
            // ARCH; the table says the XML has none.
            let arch = get("Architecture").filter(|a| e.architecture.is_some() || a != "x86");
            same(
                "architecture",
                e.architecture.clone(),
                arch.map(|a| dism_arch(&a)),
            );
            same(
                "installation type",
                e.installation_type.clone(),
                get("Installation Type"),
            );
            same(
                "default language",
                e.default_language.clone(),
                get("Default Language"),
            );
            same(
                "languages",
                Some(e.languages.join(" ")).filter(|l| !l.is_empty()),
                get("Languages"),
            );
            let version = get("Major Version").map(|major| {
                format!(
                    "{major}.{}.{}.{}",
                    w["Minor Version"], w["Build"], w["Service Pack Build"]
                )
            });
            same("version", e.version.clone(), version);
            same("files", e.files.map(|n| n.to_string()), get("File Count"));
            same(
                "directories",
                e.directories.map(|n| n.to_string()),
                get("Directory Count"),
            );
            same(
                "total bytes",
                e.total_bytes.map(|n| n.to_string()),
                get("Total Bytes"),
            );
            same(
                "boot",
                Some(e.boot.to_string()),
                Some((e.index == boot).to_string()),
            );
        }
    }
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // What setup.sh made the fixtures with, so that a table of blanks
    // could not pass the comparison above.
    let r = verify_row(&fixture("setup-editions"));
    let t = editions(&r);
    assert_eq!(t[1].edition_id.as_deref(), Some("Enterprise"));
    assert_eq!(t[1].languages, ["de-DE", "en-US"]);
    assert_eq!(t[1].default_language.as_deref(), Some("de-DE"));
    assert_eq!(t[1].version.as_deref(), Some("10.0.19041.1288"));
    assert_eq!(t[0].architecture.as_deref(), Some("x64"));
    assert!(t.iter().all(|e| !e.boot));
    let t = editions(&verify_row(&fixture("setup-boot-x86")));
    assert_eq!(t[0].architecture.as_deref(), Some("x86"));
    assert_eq!(t[0].installation_type.as_deref(), Some("WindowsPE"));
    assert!(t[0].boot);
    println!("{rows_checked} rows equal wimlib-imagex info's");
}

/// Every file the project verifies in tests: the generated and NTFS
/// fixtures (as their manifests give them) and the peer files (each alone,
/// split parts left out), with a name each.
fn every_fixture() -> Vec<(String, Report)> {
    let mut out = Vec::new();
    for row in manifest() {
        out.push((row.name.clone(), verify_row(&row)));
    }
    for row in ntfs_manifest() {
        out.push((format!("ntfs/{}", row.name), verify_row(&row)));
    }
    let peer = root().join("../shared/fixtures/peer");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&peer)
        .expect("the peer fixtures (../shared/fixtures/peer)")
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wim" | "bin")))
        .collect();
    names.sort();
    for p in names {
        let r = verify_paths(
            std::slice::from_ref(&p),
            Options::default().into(),
            2,
            &|_, _| {},
        )
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        out.push((
            format!("peer/{}", p.file_name().unwrap().to_string_lossy()),
            r,
        ));
    }
    out
}

#[test]
fn each_setup_finding_is_on_its_fixture_and_no_other() {
    let all = every_fixture();
    assert!(all.len() >= 110 + 50, "only {} fixtures", all.len());
    let mut found: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, r) in &all {
        for f in &r.findings {
            let c = f.code.as_str();
            if c == "xml.install_properties" || c == "header.boot_not_winpe" {
                assert_eq!(f.severity, Severity::Warning, "{name}: {c}");
                assert!(f.remedy.is_some(), "{name}: {c} without a remedy");
                found.entry(c).or_default().insert(name.clone());
            }
        }
    }
    let want = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        found.get("xml.install_properties"),
        Some(&want(&["setup-missing-props"]))
    );
    assert_eq!(
        found.get("header.boot_not_winpe"),
        Some(&want(&["setup-boot-install"]))
    );
    // Image 1 lacks EDITIONID and FLAGS; image 2 every property.
    let r = &all
        .iter()
        .find(|(n, _)| n == "setup-missing-props")
        .unwrap()
        .1;
    let msgs: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "xml.install_properties")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs[0].starts_with("image 1 ") && msgs[0].contains("lacks EDITIONID, FLAGS:"),
        "{}",
        msgs[0]
    );
    assert!(
        msgs[1].starts_with("image 2 ")
            && msgs[1].contains("lacks EDITIONID, FLAGS, INSTALLATIONTYPE, LANGUAGES, ARCH:"),
        "{}",
        msgs[1]
    );
    // A warning, not worse: the image is intact.
    assert_eq!(r.intact, Some(true));

    // Over all of them as one medium: only the x86 boot.wim beside the
    // images whose XML says amd64 install images.
    let reports: Vec<Report> = all.iter().map(|(_, r)| r.clone()).collect();
    let medium = medium_findings(&reports);
    let mut pairs = BTreeSet::new();
    for f in &medium {
        assert_eq!(f.code, "medium.boot_architecture");
        let names: Vec<&str> = all
            .iter()
            .map(|(n, r)| (n.as_str(), r))
            .filter(|(_, r)| f.message.contains(&r.file.name))
            .map(|(n, _)| n)
            .collect();
        pairs.insert(names.join(" + "));
    }
    let expect: BTreeSet<String> = [
        "setup-boot-install",
        "setup-editions",
        "setup-missing-props",
    ]
    .iter()
    .map(|n| format!("{n} + setup-boot-x86"))
    .collect();
    assert_eq!(pairs, expect, "{medium:#?}");
    println!(
        "{} fixtures: the setup findings only on their own; {} medium finding(s)",
        all.len(),
        medium.len()
    );
}

#[test]
fn the_remedies_as_written_remove_the_findings() {
    let dir = generated().join("setup-remedies");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, code) in [
        ("setup-missing-props", "xml.install_properties"),
        ("setup-boot-install", "header.boot_not_winpe"),
    ] {
        let row = fixture(name);
        let copy = dir.join(row.files[0].file_name().unwrap());
        std::fs::copy(&row.files[0], &copy).unwrap();
        let before = verify(std::slice::from_ref(&copy));
        let remedies: Vec<String> = before
            .findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.remedy.clone().unwrap())
            .collect();
        assert!(!remedies.is_empty(), "{name}: no {code}");
        for remedy in remedies {
            // The first command in backticks, run beside the copy.
            let cmd = remedy
                .split('`')
                .nth(1)
                .unwrap_or_else(|| panic!("no command in {remedy:?}"));
            let args: Vec<&str> = cmd.split_whitespace().collect();
            assert_eq!(args[0], "wimlib-imagex", "{cmd}");
            let out = std::process::Command::new(args[0])
                .args(&args[1..])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{cmd}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let after = verify(std::slice::from_ref(&copy));
        assert!(
            !codes(&after).iter().any(|c| c == code),
            "{name}: {code} is still there after its remedies: {:?}",
            after.findings
        );
        assert_eq!(after.intact, Some(true), "{name}");
    }
}

#[test]
fn boot_and_install_images_of_other_architectures_on_one_medium() {
    let rep = |n: &str| verify_row(&fixture(n));
    let (x86, x64, editions, mixed) = (
        rep("setup-boot-x86"),
        rep("setup-boot-x64"),
        rep("setup-editions"),
        rep("setup-boot-install"),
    );
    for set in [
        vec![x86.clone(), editions.clone()],
        vec![editions.clone(), x86.clone()],
    ] {
        let f = medium_findings(&set);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, "medium.boot_architecture");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message.contains(&x86.file.name) && f[0].message.contains(&editions.file.name)
        );
        assert!(
            // DISM's names, as in the editions table (the XML's 9 is x64).
            f[0].message.contains("for x86") && f[0].message.contains("for x64"),
            "{}",
            f[0].message
        );
        assert!(f[0].remedy.is_some());
    }
    // Same architecture, or no install image beside the boot.wim: nothing.
    for set in [
        vec![x64.clone(), editions.clone()],
        vec![x86.clone(), x64.clone()],
        vec![mixed.clone(), editions.clone()],
        vec![x86.clone()],
        vec![],
    ] {
        assert!(
            medium_findings(&set).is_empty(),
            "{:#?}",
            medium_findings(&set)
        );
    }
    // A WIM holding WinPE x64 and an x64 install image, beside an x86 boot.wim.
    assert_eq!(medium_findings(&[x86, mixed]).len(), 1);
}

/// Image numbering in the XML that disagrees with the header: wimlib
/// refuses the file, so it is corruption (this existed before the Setup
/// checks; checked here on a real WIM whose XML says 1 and 3).
#[test]
fn xml_indexes_that_disagree_with_the_header_are_corruption() {
    let row = fixture("setup-editions");
    let mut bytes = std::fs::read(&row.files[0]).unwrap();
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect::<Vec<u8>>()
    };
    let (from, to) = (utf16("INDEX=\"2\""), utf16("INDEX=\"3\""));
    let at = bytes
        .windows(from.len())
        .rposition(|w| w == from.as_slice())
        .expect("the XML's second IMAGE");
    bytes[at..at + to.len()].copy_from_slice(&to);
    let dir = generated().join("setup-remedies");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("setup-editions--index-3.wim");
    std::fs::write(&p, &bytes).unwrap();
    let (rc, out) = wimlib(&["info", p.to_str().unwrap()]);
    assert_ne!(rc, 0, "wimlib accepted it: {out}");
    let r = verify(&[p]);
    assert_eq!(r.intact, Some(false));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "xml.indexes")
        .expect("xml.indexes");
    assert_eq!(f.severity, Severity::Corruption);
}
