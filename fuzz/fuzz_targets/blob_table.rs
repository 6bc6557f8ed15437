//! The blob table: parsed on its own, then opened and verified inside a
//! synthetic WIM: a valid header (codec, version and image count from the
//! first two input bytes) whose blob table is the input, followed by the
//! same bytes again as payload for the entries to point into.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::assess::verify_bytes;
use wimproof::format::blob_table::{parse_table, BLOB_ENTRY_SIZE};
use wimproof::verify::Options;

fuzz_target!(|data: &[u8]| {
    let (entries, rest) = parse_table(data);
    assert_eq!(entries.len() * BLOB_ENTRY_SIZE + rest, data.len());
    if data.len() < 2 {
        return;
    }
    let (ctl, table) = (data[0], &data[2..]);
    // (flags, chunk size) for none, XPRESS, LZX, LZMS.
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
    let opts = Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    };
    let _ = verify_bytes(&[("fuzz.wim", &f)], opts, "");
});
