//! Regression tests: each input that crashed, hung or exhausted memory in a
//! fuzz target (fuzz/) is kept under tests/regressions/ and fed here the
//! way its target feeds it. Each test is named after the bug it guards.

use std::path::PathBuf;
use wimproof::report::Report;
use wimproof::verify::{verify_bytes, Options};

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
