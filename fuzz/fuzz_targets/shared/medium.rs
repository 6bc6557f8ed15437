//! What both medium fuzz targets check once a file system listed the
//! medium `data` (the targets differ only in the reader that lists it):
//! whatever is listed passes the extent checks, and every listed file is
//! read back through ExtentReader at its start, across its first extent
//! boundary and at its end. Then the WIMs found by name are grouped
//! (medium::wim_sets) and the main pass's schedule over them
//! (medium::map) is walked with every file needed whole: each slice within
//! the medium, each feed within its slice and its file.
use wimproof::medium::map::{Inner, MediumSchedule, Source};
use wimproof::medium::{check_extents, wim_sets, ExtentReader, Medium};
use wimproof::read::ReadAt;
use wimproof::verify::schedule::Span;

pub fn check_listing(data: &[u8], m: &Medium) {
    for f in &m.files {
        assert!(check_extents(f, data.len() as u64).is_ok());
        let r = ExtentReader::new(&data, f).expect("a listed file maps");
        let mut buf = [0u8; 64];
        let n = (f.size.min(64)) as usize;
        r.read_at(0, &mut buf[..n]).expect("start reads");
        r.read_at(f.size - n as u64, &mut buf[..n])
            .expect("end reads");
        if let Some(first) = f.extents.first() {
            let at = first.len.saturating_sub(32).min(f.size - n as u64);
            r.read_at(at, &mut buf[..n]).expect("boundary reads");
        }
    }
    let Ok(sets) = wim_sets(m, &data) else { return };
    // Every file of the medium as a WIM of its own (so that a listing
    // without WIM names still feeds the schedule), then the sets found.
    let singles = (0..m.files.len()).map(|i| vec![i]);
    let wims: Vec<Inner> = singles
        .chain(sets)
        .map(|set| Inner {
            files: set.iter().map(|&i| &m.files[i]).collect(),
            lanes: vec![(0..set.len() as u16)
                .map(|p| Span {
                    part: p,
                    start: 0,
                    end: u64::MAX,
                })
                .collect()],
        })
        .collect();
    let size = data.len() as u64;
    let s = MediumSchedule::new(size, &wims, true, 4096).expect("listed files map");
    let mut total = 0u64;
    for slice in s.slices().take(1 << 16) {
        if let Source::Medium { start } = slice.source {
            assert!(start.checked_add(slice.len).is_some_and(|e| e <= size));
        }
        for f in &slice.feeds {
            assert!(f.skip + f.len <= slice.len);
            let file = wims[f.wim as usize].files[f.part as usize];
            assert!(f.offset + f.len <= file.size);
        }
        total += slice.len;
    }
    // With the medium's digest the main pass is the whole medium.
    assert_eq!(s.main_bytes(), size);
    if s.total_bytes() <= 1 << 28 {
        assert_eq!(total, s.total_bytes());
    }
}
