//! Tests of the browser driver in a real browser (a dedicated worker, where
//! `FileReaderSync` exists): `wasm-pack test --headless --chrome --lib`.

use super::*;
use crate::verify::task::TaskKind;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob_of(bytes: &[u8]) -> Blob {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).expect("a Blob")
}

#[wasm_bindgen_test]
fn offsets_convert_exactly_up_to_2_pow_53() {
    assert_eq!(f64_to_offset(0.0), Some(0));
    assert_eq!(f64_to_offset(4_294_967_296.0 + 5.0), Some((1 << 32) + 5));
    assert_eq!(f64_to_offset(MAX_SAFE_OFFSET as f64), Some(MAX_SAFE_OFFSET));
    assert_eq!(f64_to_offset(MAX_SAFE_OFFSET as f64 + 1.0), None);
    assert_eq!(f64_to_offset(-1.0), None);
    assert_eq!(f64_to_offset(1.5), None);
    assert_eq!(f64_to_offset(f64::NAN), None);
}

#[wasm_bindgen_test]
fn blob_reader_reads_by_offset_and_refuses_past_the_end() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let r = BlobReader::new(blob_of(&data)).expect("reader");
    assert_eq!(r.size(), data.len() as u64);
    let mut buf = [0u8; 1000];
    r.read_at(65_000, &mut buf).expect("read");
    assert_eq!(&buf[..], &data[65_000..66_000]);
    assert!(r.read_at(99_500, &mut buf).is_err());
    assert!(r.read_at(u64::MAX - 10, &mut buf).is_err());
}

#[wasm_bindgen_test]
fn session_and_lanes_produce_a_report_for_any_bytes() {
    // Not a WIM: phase 1 reports it, and the whole-file digest is still
    // computed through the lanes.
    let data = vec![0u8; 1 << 20];
    let blobs = js_sys::Array::new();
    blobs.push(&blob_of(&data));
    let opts = r#"{"sha256":true,"sha1":false,"expect_sha256":null,"expect_sha1":null,"targets":["configmgr"]}"#;
    let mut s = Session::open(
        blobs,
        vec!["zeros.wim".into()],
        js_sys::Array::new(),
        Vec::new(),
        opts,
        None,
    )
    .expect("open");
    let plan: serde_json::Value =
        serde_json::from_str(&s.plan(2, 300_000.0, true).expect("plan")).expect("json");
    // The plan moves the tasks out of the session: only once.
    assert!(s.plan(2, 300_000.0, true).is_err(), "a session plans once");
    // No integrity table: nothing for WebCrypto, every byte to the lanes.
    assert_eq!(plan["webcrypto"], false);
    assert_eq!(plan["total"], 1 << 20);
    let mut results = Vec::new();
    for k in 0..2 {
        let wire = s.lane_tasks(k);
        let tasks: Vec<TaskSpec> = crate::verify::wire::decode(&wire).expect("task list");
        // Lane 0 has the whole-file digest.
        assert_eq!(
            k == 0,
            tasks
                .iter()
                .any(|t| matches!(t.kind, TaskKind::FileDigest { .. }))
        );
        // Handed over once: asking again gives an empty list.
        assert_eq!(crate::verify::wire::decode(&s.lane_tasks(k)), Ok(vec![]));
        assert!(WebLane::new(&wire[..wire.len() - 1], s.part_names()).is_err());
        let mut lane = WebLane::new(&wire, s.part_names()).expect("lane");
        for sl in plan["slices"].as_array().expect("slices") {
            let lanes: Vec<u64> = sl["lanes"]
                .as_array()
                .expect("lanes")
                .iter()
                .filter_map(|v| v.as_u64())
                .collect();
            if !lanes.contains(&(k as u64)) {
                continue;
            }
            let (a, b) = (
                sl["start"].as_u64().expect("start") as usize,
                sl["end"].as_u64().expect("end") as usize,
            );
            lane.feed(0, a as f64, &data[a..b]).expect("feed");
        }
        if k == 0 {
            // Going backwards is refused rather than misfed.
            assert!(lane.feed(0, 0.0, &data[..10]).is_err());
        }
        results.push(lane.finish().expect("finish"));
    }
    let report: serde_json::Value =
        serde_json::from_str(&s.finish(results).expect("report")).expect("json");
    assert_eq!(
        report["digests"]["sha256"],
        "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"
    );
    assert_ne!(report["verdict"], "safe");
    assert!(s.finish(Vec::new()).is_err(), "a session finishes once");
}

#[wasm_bindgen_test]
fn page_inputs_follow_the_core() {
    use crate::format::header::{HEADER_SIZE, MAGIC, TOTAL_PARTS_AT};
    let mut first = vec![0u8; HEADER_SIZE];
    first[..8].copy_from_slice(&MAGIC);
    first[TOTAL_PARTS_AT..TOTAL_PARTS_AT + 2].copy_from_slice(&2u16.to_le_bytes());
    let headers = js_sys::Array::new();
    for h in [
        &first[..],
        &[][..],
        &first[..input::set_header_bytes() as usize],
    ] {
        headers.push(&js_sys::Uint8Array::from(h));
    }
    let names = vec!["X2.SWM".to_string(), "a.wim".into(), "x.swm".into()];
    assert_eq!(input::group_sets(names, headers).unwrap(), "[[1],[2,0]]");

    let list = input::ChecksumList::new(&format!("SHA1 (X.SWM) = {}\nnoise\n", "ab".repeat(20)));
    assert_eq!((list.size(), list.rejected()), (1, vec![2]));
    assert_eq!(
        list.expected("x.swm").unwrap(),
        format!("{{\"sha1\":\"{}\"}}", "ab".repeat(20))
    );

    let targets: Vec<serde_json::Value> = serde_json::from_str(&input::targets().unwrap()).unwrap();
    assert_eq!(
        targets[0]["title"],
        crate::policy::TargetId::ConfigMgr.title()
    );
    assert_eq!(
        input::verdicts(),
        ["safe", "warning", "unverified", "unsafe", "corrupt"]
    );
    assert_eq!(
        input::digest_flags(Some("sha1".into())).unwrap(),
        r#"{"sha1":true,"sha256":false}"#
    );
    assert_eq!(
        input::digest_flags(None).unwrap(),
        r#"{"sha1":false,"sha256":true}"#
    );
    assert!(input::digest_flags(Some("md5".into())).is_err());
    assert_eq!(
        input::parse_targets_js(vec!["wds,all".into()]).unwrap()[..2],
        ["wds", "configmgr"]
    );
}

#[wasm_bindgen_test]
fn a_session_reads_its_references_after_its_files() {
    let opts = r#"{"sha256":true,"sha1":false,"expect_sha256":null,"expect_sha1":null,"targets":["configmgr"]}"#;
    let blobs = |sizes: &[usize]| {
        let a = js_sys::Array::new();
        for &n in sizes {
            a.push(&blob_of(&vec![0u8; n]));
        }
        a
    };
    let names = || vec!["delta.wim".to_string()];
    // One name per reference.
    assert!(Session::open(
        blobs(&[1000]),
        names(),
        blobs(&[3000]),
        Vec::new(),
        opts,
        None
    )
    .is_err());
    let mut s = Session::open(
        blobs(&[1000]),
        names(),
        blobs(&[3000]),
        vec!["base.wim".into()],
        opts,
        None,
    )
    .expect("open");
    assert_eq!(s.part_names(), ["delta.wim", "base.wim"]);
    // Not a WIM: no tree names a blob, so no other file is a base.
    assert_eq!(s.missing_blobs(), 0);
    assert_eq!(
        s.bases_among(blobs(&[500])).expect("bases"),
        Vec::<u32>::new()
    );
    let plan: serde_json::Value =
        serde_json::from_str(&s.plan(2, 300_000.0, true).expect("plan")).expect("json");
    // The plan covers the image's file, then the reference's.
    assert_eq!(plan["total"], 4000);
    let parts: Vec<u64> = plan["slices"]
        .as_array()
        .expect("slices")
        .iter()
        .filter_map(|s| s["part"].as_u64())
        .collect();
    assert_eq!(parts.first(), Some(&0));
}

#[wasm_bindgen_test]
fn foreign_files_are_named_and_wims_are_not() {
    let named = |bytes: &[u8]| -> Option<String> {
        foreign_format(blob_of(bytes)).expect("read").map(|j| {
            serde_json::from_str::<serde_json::Value>(&j).expect("json")["format"].to_string()
        })
    };
    let mut vhdx = b"vhdxfile".to_vec();
    vhdx.resize(4096, 0);
    assert_eq!(named(&vhdx).as_deref(), Some("\"vhdx\""));
    let mut zip = b"PK\x03\x04".to_vec();
    zip.resize(100, 7);
    assert_eq!(named(&zip).as_deref(), Some("\"zip\""));
    // Sector 16 of a disc image: install media.
    let mut iso = vec![0u8; 40_000];
    iso[32_769..32_774].copy_from_slice(b"CD001");
    let j: serde_json::Value =
        serde_json::from_str(&foreign_format(blob_of(&iso)).unwrap().unwrap()).unwrap();
    assert_eq!(j["format"], "iso");
    assert!(
        j["message"].as_str().unwrap().contains("install media"),
        "{j}"
    );
    assert!(j["remedy"].as_str().unwrap().contains("on its own"), "{j}");
    // A WIM, and a WIM whose magic was damaged, are not foreign.
    let mut wim = crate::format::header::MAGIC.to_vec();
    wim.resize(1024, 0);
    assert_eq!(named(&wim), None);
    wim[4] = b'X';
    assert_eq!(named(&wim), None);
    assert_eq!(named(&[0u8; 2048]), None);
}

/// A report (the zeros image's, from a real session) with `images` as
/// the XML's.
fn report_with_images(name: &str, images: serde_json::Value) -> String {
    let data = vec![0u8; 4096];
    let blobs = js_sys::Array::new();
    blobs.push(&blob_of(&data));
    let opts = r#"{"sha256":false,"sha1":false,"expect_sha256":null,"expect_sha1":null,"targets":["configmgr"]}"#;
    let mut s = Session::open(
        blobs,
        vec![name.into()],
        js_sys::Array::new(),
        Vec::new(),
        opts,
        None,
    )
    .expect("open");
    s.plan(1, 300_000.0, false).expect("plan");
    let mut lane = WebLane::new(&s.lane_tasks(0), s.part_names()).expect("lane");
    lane.feed(0, 0.0, &data).expect("feed");
    let mut r: serde_json::Value =
        serde_json::from_str(&s.finish(vec![lane.finish().unwrap()]).unwrap()).unwrap();
    r["images"] = images;
    r.to_string()
}

#[wasm_bindgen_test]
fn the_editions_and_the_medium_findings_are_the_cores() {
    use serde_json::json;
    let image = |index: u32, arch: &str, kind: &str| {
        json!({"index": index, "name": format!("{kind} {arch}"), "architecture": arch,
               "installation_type": kind, "languages": ["en-US", "de-DE"], "default_language": "de-DE",
               "version": "10.0.19041.1288", "file_count": 12})
    };
    let boot = report_with_images("boot.wim", json!([image(1, "x86", "WindowsPE")]));
    let install = report_with_images(
        "install.wim",
        json!([image(2, "amd64", "Client"), image(1, "amd64", "Client")]),
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&report_view::editions(&install).unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["index"].as_u64(), rows[1]["index"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(rows[0]["architecture"], "x64", "DISM's name");
    assert_eq!(rows[0]["default_language"], "de-DE");
    assert!(report_view::editions("{}").is_err());
    assert_eq!(
        report_view::reason_summary("metadata.windows_name").as_deref(),
        Some(
            crate::verify::code::Code::parse("metadata.windows_name")
                .unwrap()
                .explanation()
        )
    );
    assert_eq!(
        report_view::reason_summary("integrity.absent").as_deref(),
        Some("no integrity table")
    );
    assert_eq!(report_view::reason_summary("no.such_code"), None);

    for pair in [
        vec![boot.clone(), install.clone()],
        vec![install.clone(), boot.clone()],
    ] {
        let f: Vec<serde_json::Value> =
            serde_json::from_str(&report_view::medium_findings(pair).unwrap()).unwrap();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0]["code"], "medium.boot_architecture");
        assert_eq!(f[0]["severity"], "warning");
        let m = f[0]["message"].as_str().unwrap();
        assert!(m.contains("boot.wim") && m.contains("install.wim"), "{m}");
    }
    let x64 = report_with_images("boot64.wim", json!([image(1, "amd64", "WindowsPE")]));
    assert_eq!(
        report_view::medium_findings(vec![x64, install]).unwrap(),
        "[]"
    );
    assert_eq!(report_view::medium_findings(vec![boot]).unwrap(), "[]");
    assert!(report_view::medium_findings(vec!["[]".into()]).is_err());
}

#[wasm_bindgen_test]
fn media_are_told_by_their_first_bytes_and_an_unreadable_one_is_a_medium_error() {
    let mut iso = vec![0u8; 40_000];
    iso[32_769..32_774].copy_from_slice(b"CD001");
    assert!(looks_like_medium(&iso));
    let mut wim = crate::format::header::MAGIC.to_vec();
    wim.resize(40_000, 0);
    assert!(!looks_like_medium(&wim));
    assert!(!looks_like_medium(&iso[..1000]));
    // A volume descriptor's identifier and nothing else: no file system to
    // list, so an error of kind medium (the CLI's exit 2), not a verdict.
    let opts = r#"{"sha256":true,"sha1":false,"expect_sha256":null,"expect_sha1":null,"targets":["configmgr"]}"#;
    let e = match MediumSession::open(blob_of(&iso), "x.iso".into(), opts) {
        Ok(_) => panic!("a medium with no file system opened"),
        Err(e) => e.dyn_into::<js_sys::Error>().expect("an Error"),
    };
    assert_eq!(String::from(e.name()), "MediumError");
    assert!(
        String::from(e.message()).starts_with("x.iso: install media that cannot be read"),
        "{}",
        String::from(e.message())
    );
}
