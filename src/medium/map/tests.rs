//! Tests of the medium schedule: slices, feeds and passes over synthetic
//! extent lists (the media fixtures are tested in tests/media.rs).
use super::*;

fn file(path: &str, extents: &[(u64, u64, bool)]) -> MediumFile {
    MediumFile {
        path: path.into(),
        size: extents.iter().map(|e| e.1).sum(),
        extents: extents
            .iter()
            .map(|&(offset, len, zeros)| Extent { offset, len, zeros })
            .collect(),
    }
}

fn span(part: u16, start: u64, end: u64) -> Span {
    Span { part, start, end }
}

/// Walks a schedule as a driver does, over `medium`'s bytes, and checks
/// every rule of the module doc: the main pass ascending, disjoint,
/// within the medium, slices of at most `slice` bytes, the whole medium
/// once when `digest`, no byte no lane needs otherwise; second-pass
/// slices within one extent; every byte each lane needs fed to it
/// exactly once, in ascending file offset per lane and part, equal to
/// the file's byte (read through `ExtentReader`), and nothing else fed.
fn walk(medium: &[u8], wims: &[Inner], digest: bool, slice: u64) -> Vec<Slice> {
    let sched = MediumSchedule::new(medium.len() as u64, wims, digest, slice).unwrap();
    let out: Vec<Slice> = sched.slices().collect();
    let main: Vec<&Slice> = out.iter().filter(|s| s.pass == Pass::Main).collect();
    // The main pass comes first.
    assert!(out.iter().skip(main.len()).all(|s| s.pass != Pass::Main));
    let mut at = 0u64;
    let mut covered = 0u64;
    for s in &main {
        let Source::Medium { start } = s.source else {
            panic!("main pass reads the medium: {s:?}")
        };
        assert!(start >= at, "{s:?} after {at}");
        assert!(s.len >= 1 && s.len <= slice.max(1), "{s:?}");
        assert!(start + s.len <= medium.len() as u64);
        assert_eq!(s.digest, digest && !medium.is_empty());
        if digest {
            assert_eq!(start, at, "the digest needs every byte");
        } else {
            // Every byte of the slice is fed to some lane.
            let mut fed = vec![false; s.len as usize];
            for f in &s.feeds {
                for b in &mut fed[f.skip as usize..(f.skip + f.len) as usize] {
                    *b = true;
                }
            }
            assert!(fed.iter().all(|&b| b), "{s:?}: bytes no lane needs");
        }
        at = start + s.len;
        covered += s.len;
    }
    if digest {
        assert_eq!(covered, medium.len() as u64);
    }
    assert_eq!(sched.total_bytes(), out.iter().map(|s| s.len).sum::<u64>());
    // Replay the feeds.
    use std::collections::BTreeMap;
    let mut got: BTreeMap<(u32, u16, u32), Vec<(u64, u8)>> = BTreeMap::new();
    for s in &out {
        let bytes: Vec<u8> = match s.source {
            Source::Medium { start } => medium[start as usize..(start + s.len) as usize].to_vec(),
            Source::Zeros => vec![0; s.len as usize],
        };
        if let Pass::Own { wim, part } = s.pass {
            let f = wims[wim as usize].files[part as usize];
            assert!(s.feeds.iter().all(|x| x.wim == wim && x.part == part));
            // Within one extent: the slice's file range maps to one.
            let first = s.feeds.iter().map(|x| x.offset - x.skip).next();
            if let Some(file_start) = first {
                let mut e_at = 0u64;
                let e = f
                    .extents
                    .iter()
                    .find(|e| {
                        let hit = file_start >= e_at && file_start < e_at + e.len;
                        e_at += e.len;
                        hit
                    })
                    .unwrap();
                let e_start = e_at - e.len;
                assert!(
                    file_start + s.len <= e_start + e.len,
                    "{s:?} crosses an extent"
                );
                assert_eq!(e.zeros, s.source == Source::Zeros);
            }
        }
        for x in &s.feeds {
            assert!(x.len > 0 && x.skip + x.len <= s.len, "{x:?} in {s:?}");
            let v = got.entry((x.wim, x.part, x.lane)).or_default();
            for i in 0..x.len {
                v.push((x.offset + i, bytes[(x.skip + i) as usize]));
            }
        }
    }
    for (w, inner) in wims.iter().enumerate() {
        for (p, f) in inner.files.iter().enumerate() {
            let r = crate::medium::ExtentReader::new(&medium, f).unwrap();
            let mut content = vec![0u8; f.size as usize];
            crate::read::ReadAt::read_at(&r, 0, &mut content).unwrap();
            for (k, spans) in inner.lanes.iter().enumerate() {
                let want: Vec<u64> = runs_of(spans, p as u16, f.size)
                    .into_iter()
                    .flat_map(|(a, b)| a..b)
                    .collect();
                let fed = got
                    .remove(&(w as u32, p as u16, k as u32))
                    .unwrap_or_default();
                let offsets: Vec<u64> = fed.iter().map(|x| x.0).collect();
                assert_eq!(offsets, want, "wim {w} part {p} lane {k}");
                for (o, b) in fed {
                    assert_eq!(b, content[o as usize], "wim {w} part {p} offset {o}");
                }
            }
        }
    }
    assert!(got.is_empty(), "fed to lanes that need nothing: {got:?}");
    out
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn one_pass_in_medium_order_feeds_each_lane_its_bytes() {
    let medium: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
    // A: two extents, adjacent on the medium (one run), then one apart.
    let a = file(
        "sources/install.wim",
        &[(20, 10, false), (30, 10, false), (60, 20, false)],
    );
    // B: a split set of two parts; part 0 lies after part 1 on the medium.
    let b0 = file("split/install.swm", &[(150, 30, false)]);
    let b1 = file("split/install2.swm", &[(100, 16, false)]);
    let wims = [
        Inner {
            files: vec![&a],
            lanes: vec![vec![span(0, 0, 40)], vec![span(0, 5, 12), span(0, 35, 39)]],
        },
        Inner {
            files: vec![&b0, &b1],
            lanes: vec![vec![span(0, 0, 30), span(1, 4, 16)]],
        },
    ];
    let s = walk(&medium, &wims, false, 16);
    let cuts: Vec<(u64, u64, usize)> = s
        .iter()
        .map(|x| match x.source {
            Source::Medium { start } => (start, x.len, x.feeds.len()),
            Source::Zeros => unreachable!(),
        })
        .collect();
    assert_eq!(
        cuts,
        vec![
            // A's file 0..20 at 20..40 (one run: the extents touch),
            // lane 1's 5..12 inside it; then A's 20..40 at 60..80, lane
            // 1's 35..39 there (75..79, across the slice's edge).
            (20, 16, 2),
            (36, 4, 1),
            (60, 16, 2),
            (76, 4, 2),
            (104, 12, 1),
            (150, 16, 1),
            (166, 14, 1),
        ]
    );
    // With the digest: the whole medium, every byte once.
    let s = walk(&medium, &wims, true, 16);
    assert_eq!(s.len(), 13);
    assert!(s.iter().all(|x| x.pass == Pass::Main));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn files_out_of_medium_order_get_a_second_pass_in_their_own_order() {
    let medium: Vec<u8> = (0..256u32).map(|i| (i ^ 0x5a) as u8).collect();
    // Its second half lies before its first on the medium; the other
    // has an unrecorded extent in the middle.
    let back = file("sources/install.wim", &[(100, 20, false), (10, 30, false)]);
    let holes = file(
        "sources/boot.wim",
        &[(200, 8, false), (0, 16, true), (240, 8, false)],
    );
    let wims = [
        Inner {
            files: vec![&back],
            lanes: vec![vec![span(0, 0, 50)], vec![span(0, 15, 25)]],
        },
        Inner {
            files: vec![&holes],
            lanes: vec![vec![span(0, 0, 32)]],
        },
    ];
    let sched = MediumSchedule::new(256, &wims, true, 64).unwrap();
    assert_eq!(sched.second_pass_files(), vec![(0, 0), (1, 0)]);
    let f = sched.findings_for(0);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, Code::MediumSecondPass);
    assert!(
        f[0].message.contains("not in ascending order"),
        "{}",
        f[0].message
    );
    assert!(sched.findings_for(1)[0]
        .message
        .contains("1 of its 3 extents are unrecorded"));
    let s = walk(&medium, &wims, true, 64);
    let own: Vec<(Pass, Source, u64)> = s
        .iter()
        .filter(|x| x.pass != Pass::Main)
        .map(|x| (x.pass, x.source, x.len))
        .collect();
    let back_pass = Pass::Own { wim: 0, part: 0 };
    let holes_pass = Pass::Own { wim: 1, part: 0 };
    assert_eq!(
        own,
        vec![
            (back_pass, Source::Medium { start: 100 }, 20),
            (back_pass, Source::Medium { start: 10 }, 30),
            (holes_pass, Source::Medium { start: 200 }, 8),
            (holes_pass, Source::Zeros, 16),
            (holes_pass, Source::Medium { start: 240 }, 8),
        ]
    );
    // The main pass feeds nothing: only the digest reads it.
    assert!(s
        .iter()
        .filter(|x| x.pass == Pass::Main)
        .all(|x| x.feeds.is_empty()));
    // Without the digest there is no main pass at all.
    let s = walk(&medium, &wims, false, 7);
    assert!(s.iter().all(|x| x.pass != Pass::Main));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn shared_bytes_feed_both_files_and_impossible_extents_are_refused() {
    let medium: Vec<u8> = (0..64u8).collect();
    // Two files stored once (oscdimg's way with identical files).
    let x = file("a.wim", &[(8, 24, false)]);
    let y = file("b.wim", &[(8, 24, false)]);
    let wims = [
        Inner {
            files: vec![&x],
            lanes: vec![vec![span(0, 0, 24)]],
        },
        Inner {
            files: vec![&y],
            lanes: vec![vec![span(0, 0, 24)], vec![span(0, 0, 24)]],
        },
    ];
    let s = walk(&medium, &wims, false, 64);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].feeds.len(), 3);
    // Ranges past the end or in parts that do not exist are not read.
    let odd = [Inner {
        files: vec![&x],
        lanes: vec![vec![span(0, 20, 1000), span(3, 0, 10)]],
    }];
    let s = walk(&medium, &odd, false, 64);
    assert_eq!(s.iter().map(|x| x.len).sum::<u64>(), 4);
    // Extents outside the medium.
    let bad = file("c.wim", &[(60, 8, false)]);
    let wims = [Inner {
        files: vec![&bad],
        lanes: vec![vec![span(0, 0, 8)]],
    }];
    assert!(matches!(
        MediumSchedule::new(64, &wims, true, 8),
        Err(MediumError::BadExtents { offset: 60, .. })
    ));
    // An empty medium: nothing to read.
    assert_eq!(
        MediumSchedule::new(0, &[], true, 8)
            .unwrap()
            .slices()
            .count(),
        0
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn offsets_near_2_pow_64() {
    // The schedule alone (no bytes): a medium of nearly 2^64 bytes with
    // a file at its very end, in two extents, one before the other.
    let max = u64::MAX;
    let f = file("big.wim", &[(max - 100, 50, false), (max - 50, 50, false)]);
    let g = file(
        "back.wim",
        &[(max - 300, 10, false), (max - 400, 10, false)],
    );
    let wims = [
        Inner {
            files: vec![&f],
            lanes: vec![vec![span(0, 0, 100)]],
        },
        Inner {
            files: vec![&g],
            lanes: vec![vec![span(0, 0, max)]],
        },
    ];
    let s: Vec<Slice> = MediumSchedule::new(max, &wims, false, max)
        .unwrap()
        .slices()
        .collect();
    assert_eq!(s[0].source, Source::Medium { start: max - 100 });
    assert_eq!(s[0].len, 100);
    assert_eq!(
        s[1..].iter().map(|x| (x.source, x.len)).collect::<Vec<_>>(),
        vec![
            (Source::Medium { start: max - 300 }, 10),
            (Source::Medium { start: max - 400 }, 10)
        ]
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn random_media_keep_every_rule() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n.max(1)
    };
    for round in 0..300 {
        let size = 64 + next(2000);
        let medium: Vec<u8> = (0..size).map(|i| (i * 131 + round) as u8).collect();
        // Files: extents cut from random places of the medium, each
        // file's own disjoint (check_extents), in random order, some
        // of zeros; sometimes two files share bytes.
        let mut files = Vec::new();
        for f in 0..1 + next(5) {
            let n = 1 + next(5);
            let mut cuts: Vec<u64> = (0..2 * n).map(|_| next(size + 1)).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut ex: Vec<(u64, u64, bool)> = cuts
                .chunks_exact(2)
                .map(|c| (c[0], c[1] - c[0], next(8) == 0))
                .filter(|e| e.1 > 0)
                .collect();
            if next(2) == 0 {
                // Shuffle: out of medium order.
                for i in (1..ex.len()).rev() {
                    ex.swap(i, next(i as u64 + 1) as usize);
                }
            }
            files.push(file(&format!("f{f}.wim"), &ex));
        }
        // WIMs: one or two files each (a split set), lanes with random
        // spans, some past the part's end or in no part.
        let mut wims = Vec::new();
        let mut i = 0;
        while i < files.len() {
            let parts = (1 + next(2) as usize).min(files.len() - i);
            let group: Vec<&MediumFile> = files[i..i + parts].iter().collect();
            i += parts;
            let lanes = (0..1 + next(3))
                .map(|_| {
                    (0..next(6))
                        .map(|_| {
                            let p = next(parts as u64 + 1) as u16;
                            let len = group.get(p as usize).map_or(10, |f| f.size);
                            let a = next(len + 5);
                            span(p, a, a + next(len + 10))
                        })
                        .collect()
                })
                .collect();
            wims.push(Inner {
                files: group,
                lanes,
            });
        }
        let slice = 1 + next(300);
        walk(&medium, &wims, round % 2 == 0, slice);
    }
}
