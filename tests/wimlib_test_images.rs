//! wimlib's own hand-made bad images (`../shared/fixtures/wimlib/`, see its
//! README): wimproof must agree with `wimlib-imagex verify` on
//! intact/corrupt and add the blockers wimlib does not report.

mod common;
use common::*;
use wimproof::policy::Verdict;

fn check(name: &str) -> wimproof::report::Report {
    let p = shared_fixtures().join(name);
    let r = verify(std::slice::from_ref(&p));
    let (rc, out) = wimlib(&["verify", p.to_str().unwrap()]);
    assert_eq!(
        r.intact,
        Some(rc == 0),
        "{name}: wimlib rc={rc} ({out}), wimproof intact={:?} {:?}",
        r.intact,
        codes(&r)
    );
    r
}

#[test]
fn corrupted_file_1_names_the_blob() {
    let r = check("corrupted_file_1.wim");
    assert_eq!(r.verdict, Verdict::Corrupt);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "resource.hash_mismatch")
        .expect("hash mismatch finding");
    assert!(
        f.message
            .contains("blob 22596363b3de40b06f981fb85d82312e8c0ed511"),
        "{}",
        f.message
    );
    assert!(f.offset.is_some());
}

#[test]
fn corrupted_file_2_names_the_chunk() {
    let r = check("corrupted_file_2.wim");
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "resource.undecodable")
        .expect("decompression failure");
    assert!(f.message.contains("chunk 0"), "{}", f.message);
}

#[test]
fn cyclic_tree_is_corrupt() {
    let r = check("cyclic.wim");
    assert!(
        codes(&r).iter().any(|c| c == "metadata.invalid"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn dotdot_is_intact_but_unsafe_everywhere() {
    let r = check("dotdot.wim");
    assert_eq!(r.verdict, Verdict::Unsafe);
    assert!(r.targets.iter().all(|t| t.verdict == Verdict::Unsafe));
    assert!(codes(&r).iter().any(|c| c == "metadata.dangerous_path"));
}

#[test]
fn duplicate_names_is_intact_with_a_warning() {
    let r = check("duplicate_names.wim");
    assert_eq!(r.verdict, Verdict::Warning);
    assert!(codes(&r).iter().any(|c| c == "metadata.duplicate_name"));
}

#[test]
fn valid_oddities_are_intact() {
    for name in ["longpaths.wim", "empty_dacl.wim", "linux_xattrs_old.wim"] {
        let r = check(name);
        assert!(
            matches!(r.verdict, Verdict::Safe | Verdict::Warning),
            "{name}: {} {:?}",
            r.verdict,
            codes(&r)
        );
    }
}
