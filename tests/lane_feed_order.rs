//! Regression: two compressed resources of one lane with chunks split
//! across the same feed boundaries must not share the bytes collected for
//! those chunks. Found on a 5 GiB LZX capture (`scripts/bench.sh lzx`):
//! with two lanes, blobs next to the 80 MiB ends of integrity tasks were
//! reported undecodable ("invalid Huffman code lengths") in pairs 256 KiB
//! apart, while one lane and `wimlib-imagex verify` found them intact. An
//! integrity task ending inside a piece moved the newest task ahead of an
//! older one in the lane's list, so the newer resource's first chunk was
//! collected into the buffer that still held the older one's split chunk.
//!
//! Here the same situation is built on a real wimlib LZX image: an
//! integrity task that ends inside the piece where resource A ends and
//! resource B (one chunk) begins, with A's last chunk and B's chunk both
//! split by the piece's edges.

mod common;
use common::*;
use wimproof::read::ReadAt;
use wimproof::verify::resource::Layout;
use wimproof::verify::task::{TaskKind, TaskSpec};
use wimproof::verify::{Lane, Options, Verifier};

#[test]
fn resources_split_across_the_same_pieces_decode_independently() {
    let dir = generated();
    let mut tried = 0;
    for name in ["lzx.wim", "lzx-check.wim", "xpress.wim", "lzms.wim"] {
        let bytes = std::fs::read(dir.join(name)).expect("fixture");
        let v = Verifier::open(&[(name, &bytes as &dyn ReadAt)], Options::default()).expect("open");
        // Compressed resources in file order; B must hold a single chunk
        // (its data starts right at its start: no chunk table).
        let mut res: Vec<&TaskSpec> = v
            .tasks()
            .iter()
            .filter(|t| {
                matches!(
                    &t.kind,
                    TaskKind::Resource {
                        layout: Layout::Chunked { .. },
                        ..
                    }
                )
            })
            .collect();
        res.sort_by_key(|t| t.start);
        let pair = res.windows(2).find(|w| {
            let (a, b) = (w[0], w[1]);
            let single = match &b.kind {
                TaskKind::Resource {
                    layout:
                        Layout::Chunked {
                            chunk_size, usize, ..
                        },
                    ..
                } => *usize <= u64::from(*chunk_size),
                _ => false,
            };
            // B compressed (stored size below its size) and long enough to
            // split; A's last bytes belong to a chunk longer than 20 bytes.
            single && b.end - b.start > 40 && a.end == b.start && a.end - a.start > 200
        });
        let Some(w) = pair else { continue };
        let (a, b) = (w[0].clone(), w[1].clone());
        tried += 1;
        // Pieces: [0, cut1), [cut1, cut2), [cut2, end).
        let cut1 = a.end - 20;
        let cut2 = b.start + 20;
        // An integrity task (its digests do not matter here) that started
        // before A and ends inside the middle piece.
        let integrity = TaskSpec {
            id: 1_000_000,
            part: 0,
            start: 208,
            end: cut1 + 5,
            kind: TaskKind::Integrity {
                chunk_size: 10 << 20,
                first: 0,
                expected: vec![[0; 20]],
            },
        };
        let mut lane = Lane::new(
            vec![integrity, a.clone(), b.clone()],
            vec![name.to_string()],
        );
        let size = bytes.len() as u64;
        for (s, e) in [(0, cut1), (cut1, cut2), (cut2, size)] {
            lane.feed(0, s, &bytes[s as usize..e as usize]);
        }
        for r in lane.finish() {
            if r.id == a.id || r.id == b.id {
                assert_eq!(r.blobs_bad, 0, "{name}: task {} {:?}", r.id, r.findings);
                assert!(r.blobs_ok > 0, "{name}: task {} checked no blob", r.id);
                assert!(
                    r.findings
                        .iter()
                        .all(|f| !f.code.as_str().starts_with("resource.")),
                    "{name}: {:?}",
                    r.findings
                );
            }
        }
    }
    assert!(
        tried >= 2,
        "fixtures with two adjacent compressed resources: {tried}"
    );
}
