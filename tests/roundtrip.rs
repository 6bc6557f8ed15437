//! Decompressor round trips: every blob of wimlib-made WIMs of each codec
//! and chunk size, decoded by wimproof, equals the bytes of the source file
//! it was captured from (`tests/fixtures/generated/src/main`).

mod common;
use common::*;
use std::collections::HashMap;
use wimproof::codec::Codec;
use wimproof::format::blob_table::{parse_table, BlobEntry};
use wimproof::format::header::{Header, HEADER_SIZE};
use wimproof::read::{read_vec, ReadAt};
use wimproof::verify::resource::{CollectSink, Layout, ResourceDecoder, Scratch};
use wimproof::verify::{Options, Verifier};

fn decode(
    data: &[u8],
    layout: Layout,
    offset: u64,
    stored: u64,
    usize: u64,
    scratch: &mut Scratch,
) -> Vec<u8> {
    let mut dec = ResourceDecoder::new(layout, offset, stored);
    let mut sink = CollectSink {
        bytes: Vec::new(),
        limit: usize.max(1 << 30),
        gap: None,
        overflow: false,
    };
    dec.feed(
        &data[offset as usize..(offset + stored) as usize],
        scratch,
        &mut sink,
    );
    dec.finish(&mut sink);
    assert!(sink.gap.is_none(), "decode failed: {:?}", sink.gap);
    sink.bytes
}

/// Source file bytes by path inside the image, skipping symlinks (their
/// blob is reparse data, not file content).
fn source(path: &str) -> Option<Vec<u8>> {
    let p = generated()
        .join("src/main")
        .join(path.trim_start_matches('\\').replace('\\', "/"));
    let meta = std::fs::symlink_metadata(&p).ok()?;
    if meta.file_type().is_symlink() || !meta.is_file() {
        return None;
    }
    std::fs::read(p).ok()
}

#[test]
fn every_codec_and_chunk_size_decodes_to_the_source_bytes() {
    let names = [
        "xpress-4k",
        "xpress-8k",
        "xpress-16k",
        "xpress",
        "xpress-64k",
        "lzx",
        "lzx-64k",
        "lzx-128k",
        "lzx-256k",
        "lzx-512k",
        "lzx-1m",
        "lzx-2m",
        "lzms-32k",
        "lzms",
        "lzms-1m",
        "solid",
        "solid-256k",
        "solid-lzx",
        "solid-xpress",
        "pipable",
    ];
    let mut scratch = Scratch::default();
    let mut compared_bytes = 0u64;
    let mut compared_files = 0;
    for name in names {
        let path = generated().join(format!("{name}.wim"));
        let data = std::fs::read(&path).unwrap();
        let v = Verifier::open(&[(name, &data as &dyn ReadAt)], Options::default()).unwrap();
        let mut hb = [0u8; HEADER_SIZE];
        let size = data.len() as u64;
        data.read_at(0, &mut hb).unwrap();
        let mut h = Header::parse(&hb);
        if h.is_pipable() {
            data.read_at(size - HEADER_SIZE as u64, &mut hb).unwrap();
            h = Header::parse(&hb);
        }
        let codec = h.codec().unwrap();
        let table = read_vec(
            &data,
            h.blob_table.offset,
            h.blob_table.size_in_wim,
            1 << 30,
        )
        .unwrap();
        let (entries, _) = parse_table(&table);
        // Solid runs: decode each resource once, blobs are slices of the
        // concatenated data.
        let mut solid_data: Vec<u8> = Vec::new();
        let mut blobs: HashMap<[u8; 20], Vec<u8>> = HashMap::new();
        let mut solid_blobs: Vec<&BlobEntry> = Vec::new();
        for e in &entries {
            let r = &e.reshdr;
            if e.is_solid_resource() {
                solid_data.extend(decode(
                    &data,
                    Layout::Solid,
                    r.offset,
                    r.size_in_wim,
                    0,
                    &mut scratch,
                ));
            } else if r.is_solid() {
                solid_blobs.push(e);
            } else if !r.is_metadata() && r.uncompressed_size > 0 {
                let layout = Layout::non_solid(&h, r).expect("a codec for compressed resources");
                blobs.insert(
                    e.sha1,
                    decode(
                        &data,
                        layout,
                        r.offset,
                        r.size_in_wim,
                        r.uncompressed_size,
                        &mut scratch,
                    ),
                );
            }
        }
        for e in solid_blobs {
            let (o, n) = (e.reshdr.offset as usize, e.reshdr.size_in_wim as usize);
            blobs.insert(e.sha1, solid_data[o..o + n].to_vec());
        }
        assert!(codec != Codec::None);
        let mut files_here = 0;
        for (sha, bytes) in &blobs {
            let Some(p) = v.opened.blob_path(sha) else {
                continue;
            };
            let Some(src) = source(&p) else { continue };
            assert!(
                src == *bytes,
                "{name}: {p}: decoded {} bytes differ from the source file's {}",
                bytes.len(),
                src.len()
            );
            compared_bytes += src.len() as u64;
            files_here += 1;
        }
        assert!(files_here >= 10, "{name}: only {files_here} files compared");
        compared_files += files_here;
    }
    println!(
        "{compared_files} files, {compared_bytes} bytes decoded and compared with their sources"
    );
}
