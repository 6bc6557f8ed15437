//! Regression tests: each input that crashed, hung or exhausted memory in a
//! fuzz target (fuzz/) is kept under tests/regressions/ and fed here the
//! way its target feeds it. Each test is named after the bug it guards.

use std::path::PathBuf;
use wimproof::assess::verify_bytes;
use wimproof::report::Report;
use wimproof::verify::Options;

fn input(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn opts() -> Options {
    Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    }
}

/// What the `blob_table` fuzz target builds from its input: a valid header
/// (codec, version and image count from the first two bytes) whose blob
/// table is the rest of the input, followed by the same bytes as payload.
fn blob_table_wim(data: &[u8]) -> Vec<u8> {
    let (ctl, table) = (data[0], &data[2..]);
    let (flags, chunk): (u32, u32) = match ctl & 3 {
        0 => (0, 0),
        1 => (0x2 | 0x2_0000, 32768),
        2 => (0x2 | 0x4_0000, 32768),
        _ => (0x2 | 0x8_0000, 131072),
    };
    let version: u32 = if ctl & 4 != 0 { 0xE00 } else { 0x10D00 };
    let images = (data[1] & 7) as u32;
    let mut f = vec![0u8; 208];
    f[..8].copy_from_slice(b"MSWIM\0\0\0");
    f[8..12].copy_from_slice(&208u32.to_le_bytes());
    f[12..16].copy_from_slice(&version.to_le_bytes());
    f[16..20].copy_from_slice(&flags.to_le_bytes());
    f[20..24].copy_from_slice(&chunk.to_le_bytes());
    f[0x28..0x2A].copy_from_slice(&1u16.to_le_bytes());
    f[0x2A..0x2C].copy_from_slice(&1u16.to_le_bytes());
    f[0x2C..0x30].copy_from_slice(&images.to_le_bytes());
    let len = table.len() as u64;
    f[0x30..0x37].copy_from_slice(&len.to_le_bytes()[..7]);
    f[0x37] = 0x02;
    f[0x38..0x40].copy_from_slice(&208u64.to_le_bytes());
    f[0x40..0x48].copy_from_slice(&len.to_le_bytes());
    f.extend_from_slice(table);
    f.extend_from_slice(table);
    f
}

fn verify(data: &[u8]) -> Report {
    let r = std::panic::catch_unwind(|| verify_bytes(&[("regression.wim", data)], opts(), ""));
    match r {
        Ok(Ok(rep)) => rep,
        Ok(Err(e)) => panic!("read error from in-memory data: {e}"),
        Err(_) => panic!("verification panicked"),
    }
}

/// Found by `blob_table` (fuzz): blob table entries whose declared sizes
/// add up past 2^64 overflowed the resource totals (a panic with overflow
/// checks, a wrong total without). The totals now saturate.
#[test]
fn blob_table_resource_size_total_overflow() {
    let rep = verify(&blob_table_wim(&input(
        "blob_table-resource-size-total-overflow.bin",
    )));
    assert_eq!(
        rep.intact,
        Some(false),
        "forged sizes must be reported: {:?}",
        rep.findings
    );
    assert_eq!(
        rep.resources.uncompressed_bytes,
        u64::MAX,
        "declared sizes past 2^64 must saturate, not wrap"
    );
}

// ---- found by the mutation test (tests/mutation.rs) ------------------------
//
// Changes that left an image `intact` although `wimlib-imagex verify`
// rejects them. Each is rebuilt here from a fixture by patching one field.

mod common;

fn fixture(name: &str) -> Vec<u8> {
    let p = common::generated().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// File offsets of the blob table entries.
fn entries(d: &[u8]) -> Vec<usize> {
    let mut s = [0u8; 8];
    s[..7].copy_from_slice(&d[0x30..0x37]);
    let size = u64::from_le_bytes(s) as usize;
    let mut o = [0u8; 8];
    o.copy_from_slice(&d[0x38..0x40]);
    let off = u64::from_le_bytes(o) as usize;
    (0..size / 50).map(|i| off + i * 50).collect()
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

/// A blob table entry naming another part was skipped but its blob still
/// counted as present, so its data was never checked and the image came
/// out intact. Readers ignore such an entry: the blob is missing.
#[test]
fn wrong_part_number_blob_counted_as_present() {
    let mut d = fixture("none.wim");
    // The largest stored blob (a file of the tree).
    let e = entries(&d)
        .into_iter()
        .filter(|&e| d[e + 7] == 0)
        .max_by_key(|&e| u32::from_le_bytes([d[e], d[e + 1], d[e + 2], d[e + 3]]))
        .unwrap_or_else(|| panic!("no stored blob"));
    d[e + 24..e + 26].copy_from_slice(&2u16.to_le_bytes());
    let r = verify(&d);
    assert_eq!(r.intact, Some(false), "{:?}", codes(&r));
    assert!(
        codes(&r).contains(&"metadata.blob_missing"),
        "{:?}",
        codes(&r)
    );
}

/// A stored entry whose two sizes differ is refused by readers before its
/// part number is looked at; it was ignored as "another part's" instead.
#[test]
fn stored_size_mismatch_hidden_by_wrong_part_number() {
    let mut d = fixture("none.wim");
    let e = entries(&d)
        .into_iter()
        .find(|&e| d[e + 7] == 0)
        .unwrap_or_else(|| panic!("no stored blob"));
    d[e + 24..e + 26].copy_from_slice(&0u16.to_le_bytes());
    d[e + 16] ^= 1;
    let r = verify(&d);
    assert!(
        codes(&r).contains(&"blobtable.size_mismatch"),
        "{:?}",
        codes(&r)
    );
}

/// The SOLID flag on the header's blob table (or XML) makes readers take
/// it for a solid resource and fail; it was ignored.
#[test]
fn solid_flag_on_header_blob_table_ignored() {
    let mut d = fixture("lzx.wim");
    d[0x37] |= 0x10;
    let r = verify(&d);
    assert_eq!(r.intact, Some(false));
    assert!(
        codes(&r).contains(&"header.solid_resource"),
        "{:?}",
        codes(&r)
    );
    let mut d = fixture("lzx.wim");
    d[0x48 + 7] |= 0x10;
    assert!(codes(&verify(&d)).contains(&"header.solid_resource"));
}

/// A chunk size in an uncompressed WIM was only an info finding, so the
/// image stayed `safe`, though wimlib 1.13 refuses to open it.
#[test]
fn chunk_size_in_uncompressed_wim_left_safe() {
    let mut d = fixture("none.wim");
    d[0x14..0x18].copy_from_slice(&65536u32.to_le_bytes());
    let r = verify(&d);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "header.chunk_size")
        .unwrap_or_else(|| panic!("{:?}", codes(&r)));
    assert_eq!(f.severity, wimproof::verify::finding::Severity::Warning);
    assert_ne!(r.verdict, wimproof::policy::Verdict::Safe);
}

/// A metadata resource flagged inside a solid resource is refused by
/// readers; it was treated as an ordinary solid blob.
#[test]
fn metadata_flag_on_solid_blob_ignored() {
    let mut d = fixture("solid.wim");
    let e = entries(&d)
        .into_iter()
        .find(|&e| {
            d[e + 7] == 0x10 && d[e + 16..e + 24] != (1u64 << 32).to_le_bytes() && d[e + 26] != 0
        })
        .unwrap_or_else(|| panic!("no referenced solid blob"));
    d[e + 7] |= 0x02;
    let r = verify(&d);
    assert_eq!(r.intact, Some(false));
    assert!(
        codes(&r).contains(&"blobtable.solid_metadata"),
        "{:?}",
        codes(&r)
    );
}

/// Only the first part's XML was compared with a header; another part whose
/// header disagrees with its own XML (wimlib refuses it) went unnoticed.
#[test]
fn split_part_header_disagreeing_with_its_xml() {
    let dir = common::generated();
    let mut parts: Vec<Vec<u8>> = ["split.swm", "split2.swm", "split3.swm"]
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect();
    parts[2][0x2C..0x30].copy_from_slice(&0u32.to_le_bytes());
    let files: Vec<(&str, &[u8])> = vec![
        ("split.swm", &parts[0]),
        ("split2.swm", &parts[1]),
        ("split3.swm", &parts[2]),
    ];
    let r = verify_bytes(&files, opts(), "").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.intact, Some(false));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "xml.image_count")
        .unwrap_or_else(|| panic!("{:?}", codes(&r)));
    assert_eq!(f.part.as_deref(), Some("split3.swm"));
}

/// A corrupt blob's finding names the first file that uses it, and that
/// path is one `wimlib-imagex dir` lists (paths are rebuilt from the
/// compact directory index kept after phase 1).
#[test]
fn a_corrupt_blob_is_named_by_a_path_wimlib_lists() {
    for name in ["none--blob-data", "lzx--blob-data"] {
        let row = common::manifest()
            .into_iter()
            .find(|r| r.name == name)
            .expect("fixture");
        let r = common::verify(&row.files);
        let f = r
            .findings
            .iter()
            .find(|f| f.message.contains(", used by "))
            .unwrap_or_else(|| panic!("{name}: no finding names a path: {:?}", r.findings));
        let path = f
            .message
            .split(", used by ")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let file = row.files[0].to_str().unwrap();
        let (code, listing) = common::wimlib(&["dir", file, "1"]);
        assert_eq!(code, 0, "wimlib-imagex dir failed: {listing}");
        let listed: Vec<String> = listing
            .lines()
            .map(|l| l.trim().replace('/', "\\"))
            .collect();
        assert!(
            listed.iter().any(|l| l == path),
            "{name}: {path} not in wimlib-imagex dir"
        );
    }
}

/// Phase 1 tells how far the directory-tree walk is (the page shows it while
/// a large image opens): once per image at least, never backwards, ending at
/// the total, which is the sum of the images' metadata sizes.
#[test]
fn opening_reports_the_blob_table_then_the_tree_walk_up_to_its_total() {
    use wimproof::read::ReadAt;
    let row = common::manifest()
        .into_iter()
        .find(|r| r.name == "multi")
        .expect("fixture");
    let bytes = std::fs::read(&row.files[0]).unwrap();
    use wimproof::verify::open::Opening;
    let mut all: Vec<(Opening, u64, u64)> = Vec::new();
    let v = wimproof::verify::Verifier::open_observed(
        &[("multi.wim", &bytes as &dyn ReadAt)],
        &[],
        Options::default(),
        &mut |s, d, t| all.push((s, d, t)),
    )
    .expect("open");
    assert_eq!(v.opened.trees.len(), 3);
    // The blob table first, from none of its entries to all of them.
    let table: Vec<(u64, u64)> = all
        .iter()
        .take_while(|c| c.0 == Opening::BlobTable)
        .map(|c| (c.1, c.2))
        .collect();
    let entries = v.opened.resources.blob_entries + v.opened.resources.solid_resources;
    assert!(entries > 0);
    assert_eq!(table.first(), Some(&(0, entries)), "{all:?}");
    assert_eq!(table.last(), Some(&(entries, entries)), "{all:?}");
    // Then only the trees.
    let calls: Vec<(u64, u64)> = all[table.len()..]
        .iter()
        .map(|c| {
            assert_eq!(c.0, Opening::Trees, "{all:?}");
            (c.1, c.2)
        })
        .collect();
    // 70 entries per image: calls from inside the walk too, not only
    // between images.
    assert!(calls.len() >= 3 * 4, "{calls:?}");
    assert!(
        calls
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 == w[1].1),
        "{calls:?}"
    );
    let (done, total) = *calls.last().unwrap();
    assert_eq!(done, total);
    assert!(total > 3 * 1000, "{calls:?}");
}
