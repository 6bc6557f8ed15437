//! The iso9660 listing of install media (src/medium.rs, hadris-iso underneath):
//! the input is the whole medium. Whatever is listed must pass the extent
//! checks, and every listed file is read back through ExtentReader at its
//! start, across its first extent boundary and at its end.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wimproof::medium::{check_extents, open_iso9660, ExtentReader};
use wimproof::read::ReadAt;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = open_iso9660(&data) else { return };
    for f in &m.files {
        assert!(check_extents(f, data.len() as u64).is_ok());
        let r = ExtentReader::new(&data, f).expect("a listed file maps");
        let mut buf = [0u8; 64];
        let n = (f.size.min(64)) as usize;
        r.read_at(0, &mut buf[..n]).expect("start reads");
        r.read_at(f.size - n as u64, &mut buf[..n]).expect("end reads");
        if let Some(first) = f.extents.first() {
            let at = first.len.saturating_sub(32).min(f.size - n as u64);
            r.read_at(at, &mut buf[..n]).expect("boundary reads");
        }
    }
});
