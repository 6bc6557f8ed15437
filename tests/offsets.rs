//! 64-bit offsets without multi-GB files: a synthetic sparse reader holds a
//! WIM whose resources sit across and above 2^32 and near 2^53, so any
//! truncation to 32 bits (or to a JavaScript-safe integer) shows up.

use sha1::{Digest, Sha1};
use wimproof::read::{ReadAt, ReadError};
use wimproof::verify::{run_serial, Options, Verifier};

/// A file of `size` bytes, zero except for the given regions.
struct Sparse {
    size: u64,
    regions: Vec<(u64, Vec<u8>)>,
}

impl ReadAt for Sparse {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.size)
            .ok_or_else(|| ReadError::new(offset, buf.len() as u64, "past end"))?;
        buf.fill(0);
        for (at, data) in &self.regions {
            // Regions may sit at the very top of the u64 range.
            let r_end = at.saturating_add(data.len() as u64);
            let s = offset.max(*at);
            let e = end.min(r_end);
            if s < e {
                buf[(s - offset) as usize..(e - offset) as usize]
                    .copy_from_slice(&data[(s - at) as usize..(e - at) as usize]);
            }
        }
        Ok(())
    }
}

fn reshdr(size: u64, flags: u8, offset: u64, usize: u64) -> Vec<u8> {
    let mut v = size.to_le_bytes()[..7].to_vec();
    v.push(flags);
    v.extend(offset.to_le_bytes());
    v.extend(usize.to_le_bytes());
    v
}

fn utf16(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
    v
}

/// A WIM with no images and two uncompressed blobs at `a` and `b`.
fn wim_with_blobs(a: u64, b: u64, table_at: u64) -> (Sparse, Vec<Vec<u8>>) {
    let blob_a: Vec<u8> = (0..100u32).map(|i| (i * 7 + 1) as u8).collect();
    let blob_b: Vec<u8> = (0..3000u32).map(|i| (i * 13 + 5) as u8).collect();
    let mut table = Vec::new();
    for (at, data) in [(a, &blob_a), (b, &blob_b)] {
        table.extend(reshdr(data.len() as u64, 0, at, data.len() as u64));
        table.extend(1u16.to_le_bytes());
        table.extend(1u32.to_le_bytes());
        table.extend(Sha1::digest(data));
    }
    let xml = utf16("<WIM><TOTALBYTES>0</TOTALBYTES></WIM>");
    let xml_at = table_at + table.len() as u64;
    let mut h = vec![0u8; 208];
    h[..8].copy_from_slice(b"MSWIM\0\0\0");
    h[8..12].copy_from_slice(&208u32.to_le_bytes());
    h[12..16].copy_from_slice(&0x10D00u32.to_le_bytes());
    h[0x18] = 0x42; // a non-zero GUID
    h[0x28..0x2A].copy_from_slice(&1u16.to_le_bytes());
    h[0x2A..0x2C].copy_from_slice(&1u16.to_le_bytes());
    h[0x30..0x48].copy_from_slice(&reshdr(
        table.len() as u64,
        0x2,
        table_at,
        table.len() as u64,
    ));
    h[0x48..0x60].copy_from_slice(&reshdr(xml.len() as u64, 0x2, xml_at, xml.len() as u64));
    let size = xml_at + xml.len() as u64;
    let file = Sparse {
        size,
        regions: vec![
            (0, h),
            (a, blob_a.clone()),
            (b, blob_b.clone()),
            (table_at, table),
            (xml_at, xml),
        ],
    };
    (file, vec![blob_a, blob_b])
}

fn run(file: &Sparse) -> wimproof::report::Report {
    let opts = Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    };
    let v = Verifier::open(&[("synthetic.wim", file as &dyn ReadAt)], opts).expect("open");
    let res = run_serial(&v, &[file as &dyn ReadAt], 1 << 20).expect("run");
    wimproof::assess::report(v.finish(res), &[], "test".into())
}

const G4: u64 = 1 << 32;

#[test]
fn blobs_across_and_above_4_gib_verify() {
    let (file, _) = wim_with_blobs(G4 - 50, G4 + 1000, G4 + 10_000);
    let r = run(&file);
    assert_eq!(r.intact, Some(true), "{:?}", r.findings);
    assert_eq!(r.checked.blobs_verified, 2);
    assert_eq!(r.resources.crossing_4gib, 1);
    assert_eq!(r.resources.above_4gib, 1);
}

#[test]
fn corruption_above_4_gib_is_reported_at_its_resource() {
    let (mut file, _) = wim_with_blobs(G4 - 50, G4 + 1000, G4 + 10_000);
    // Flip a byte of the second blob, which lies wholly above 2^32.
    file.regions[2].1[1234] ^= 0x01;
    let r = run(&file);
    assert_eq!(r.intact, Some(false));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "resource.hash_mismatch")
        .expect("mismatch");
    assert_eq!(f.offset, Some(G4 + 1000));
    assert!(
        f.message.contains(&(G4 + 1000).to_string()),
        "{}",
        f.message
    );
    // The first blob, whose bytes are the same modulo 2^32 elsewhere, is fine.
    assert_eq!(r.checked.blobs_verified, 1);
}

#[test]
fn offsets_near_2_pow_53_verify() {
    let base = 1u64 << 53;
    let (file, _) = wim_with_blobs(base - 50, base + 1000, base + 10_000);
    let r = run(&file);
    assert_eq!(r.intact, Some(true), "{:?}", r.findings);
    assert_eq!(r.checked.blobs_verified, 2);
}

#[test]
fn offsets_that_overflow_are_findings_not_panics() {
    let (file, _) = wim_with_blobs(u64::MAX - 10, G4, G4 + 10_000);
    let r = run(&file);
    assert_eq!(r.intact, Some(false));
    assert!(
        r.findings.iter().any(|f| f.code == "blobtable.out_of_file"),
        "{:?}",
        r.findings
    );
}
