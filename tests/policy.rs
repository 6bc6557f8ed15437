//! The deployment rule table (README, `src/policy.rs`) on real images: each
//! rule fires on a fixture that has the condition and not on one without.

mod common;
use common::*;
use std::process::Command;
use wimproof::assess::Request;
use wimproof::policy::{TargetId, Verdict};
use wimproof::report::Report;
use wimproof::verify::Options;

fn all_targets(files: &[std::path::PathBuf]) -> Report {
    verify_with(
        files,
        Request {
            targets: TargetId::ALL.to_vec(),
            ..Request::default()
        },
    )
}

fn verdict(r: &Report, t: TargetId) -> Verdict {
    r.targets.iter().find(|x| x.id == t).unwrap().verdict
}

fn has_reason(r: &Report, t: TargetId, code: &str) -> bool {
    r.targets
        .iter()
        .find(|x| x.id == t)
        .unwrap()
        .reasons
        .iter()
        .any(|x| x.code == code)
}

fn fixture(name: &str) -> Vec<std::path::PathBuf> {
    manifest()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .files
}

#[test]
fn pipable_is_unsafe_everywhere() {
    let r = all_targets(&fixture("pipable"));
    assert_eq!(r.intact, Some(true));
    for t in TargetId::ALL {
        assert_eq!(verdict(&r, t), Verdict::Unsafe, "{t}");
        assert!(has_reason(&r, t, "format.pipable"));
    }
    assert_eq!(r.exit_code(), 3);
}

#[test]
fn split_sets_are_unsafe_for_multicast_but_fine_on_usb() {
    let r = all_targets(&fixture("split"));
    assert_eq!(r.intact, Some(true));
    assert_eq!(r.parts.len(), 3);
    for t in [
        TargetId::ConfigMgr,
        TargetId::ConfigMgr2007Patched,
        TargetId::Wds,
    ] {
        assert_eq!(verdict(&r, t), Verdict::Unsafe, "{t}");
    }
    assert_eq!(verdict(&r, TargetId::UsbFat32), Verdict::Safe);
}

#[test]
fn a_missing_split_part_is_unverified_not_safe() {
    let parts = fixture("split");
    let r = verify(&parts[..2]);
    assert_eq!(r.intact, None);
    assert!(codes(&r).iter().any(|c| c == "split.missing_part"));
    let r1 = all_targets(&parts[..2]);
    assert_eq!(verdict(&r1, TargetId::UsbFat32), Verdict::Unverified);
}

#[test]
fn solid_images_need_a_modern_winpe() {
    let r = all_targets(&fixture("solid"));
    assert_eq!(r.intact, Some(true));
    assert_eq!(verdict(&r, TargetId::ConfigMgr), Verdict::Warning);
    assert_eq!(verdict(&r, TargetId::ConfigMgr2007Patched), Verdict::Unsafe);
    assert_eq!(verdict(&r, TargetId::UsbFat32), Verdict::Safe);
}

#[test]
fn lzx_chunks_other_than_32k_are_unsafe_for_microsoft_tools() {
    let r = all_targets(&fixture("lzx-64k"));
    assert_eq!(r.intact, Some(true));
    assert!(has_reason(&r, TargetId::ConfigMgr, "format.lzx_chunk_size"));
    assert_eq!(verdict(&r, TargetId::ConfigMgr), Verdict::Unsafe);
    let ok = all_targets(&fixture("lzx"));
    assert_eq!(verdict(&ok, TargetId::ConfigMgr), Verdict::Safe);
}

#[test]
fn write_in_progress_is_a_blocker() {
    let r = all_targets(&fixture("lzx--write-in-progress"));
    assert_eq!(r.intact, Some(true));
    assert!(r.targets.iter().all(|t| t.verdict == Verdict::Unsafe));
}

/// A boot image needs WinPE-WDS-Tools' DLLs for WDS multicast.
#[test]
fn wds_needs_the_winpe_wds_tools_files_in_boot_images() {
    let dir = scratch("wds");
    let with = dir.join("with");
    let without = dir.join("without");
    for (tree, dlls) in [(&with, true), (&without, false)] {
        let sys = tree.join("Windows/System32");
        std::fs::create_dir_all(&sys).unwrap();
        std::fs::write(sys.join("winload.exe"), b"not really").unwrap();
        if dlls {
            std::fs::write(sys.join("WDSCommonLib.dll"), b"dll one").unwrap();
            std::fs::write(sys.join("imagelib.dll"), b"dll two").unwrap();
        }
    }
    let mut out = Vec::new();
    for tree in [&with, &without] {
        let wim = tree.with_extension("wim");
        let st = Command::new("wimlib-imagex")
            .args([
                "capture",
                tree.to_str().unwrap(),
                wim.to_str().unwrap(),
                "Microsoft Windows PE",
                "--boot",
            ])
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        out.push(all_targets(&[wim]));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out[0].wim.as_ref().unwrap().boot_index, 1);
    assert!(
        !has_reason(&out[0], TargetId::Wds, "boot.no_wds_tools"),
        "found the DLLs (case-insensitively)"
    );
    assert_eq!(verdict(&out[0], TargetId::Wds), Verdict::Safe);
    assert!(has_reason(&out[1], TargetId::Wds, "boot.no_wds_tools"));
    assert_eq!(verdict(&out[1], TargetId::Wds), Verdict::Unsafe);
    // Other targets do not care.
    assert_eq!(verdict(&out[1], TargetId::ConfigMgr), Verdict::Safe);
}

#[test]
fn expected_digest_mismatch_is_corruption() {
    let files = fixture("none");
    let good = verify(&files);
    let sha = good.digests.sha256.clone().unwrap();
    let r = verify_with(
        &files,
        Options {
            expect_sha256: Some(sha.clone()),
            ..Options::default()
        },
    );
    assert_eq!(r.verdict, Verdict::Safe);
    let mut wrong = sha.into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let r = verify_with(
        &files,
        Options {
            expect_sha256: Some(String::from_utf8(wrong).unwrap()),
            ..Options::default()
        },
    );
    assert_eq!(r.verdict, Verdict::Corrupt);
    assert!(codes(&r).iter().any(|c| c == "digest.mismatch"));
}
