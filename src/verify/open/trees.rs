//! The images' directory trees: each image's metadata resource is read,
//! decompressed and its SHA-1 checked, then its tree is walked
//! ([`crate::verify::tree`]), one image at a time; then the reference counts
//! and the boot image's copy in the header.

use super::header::in_file;
use super::{Opened, Opening};
use crate::format::blob_table::BlobEntry;
use crate::format::header::at;
use crate::format::header::{Header, HEADER_SIZE};
use crate::format::hex;
use crate::read::{ReadAt, ReadError};
use crate::verify::code::Code;
use crate::verify::finding::{remedies, Finding};
use crate::verify::resource::{CollectSink, Layout, ResourceDecoder, Scratch};
use sha1::{Digest, Sha1};

/// Largest metadata resource (uncompressed) that is loaded. A full Windows
/// install image's metadata is 50–150 MB; the cap bounds memory for a
/// forged size.
pub const MAX_METADATA_SIZE: u64 = 1 << 30;
/// Metadata is reserved up front up to this many times its stored size
/// (real images compress their metadata about 3-6 to 1).
const METADATA_MAX_RATIO: u64 = 32;
/// Bytes of a metadata resource read (and decoded) at a time.
const METADATA_READ: u64 = 1 << 20;
/// Bytes of decoded metadata given to SHA-1 per call.
const HASH_PIECE: usize = 256 << 10;

/// The metadata entries that are images: those with references, in table
/// order, at most one per image the header counts (readers assign them in
/// that order and ignore entries with no references and any beyond the
/// image count).
pub(super) fn image_entries<'e>(
    h: &Header,
    entries: &'e [(usize, BlobEntry)],
) -> Vec<&'e (usize, BlobEntry)> {
    entries
        .iter()
        .filter(|(_, e)| e.refcount != 0)
        .take(h.image_count as usize)
        .collect()
}

/// Checks that the blob table has one metadata resource per image. Fewer
/// is corruption (an image has no tree: wimlib then refuses the file);
/// more is a warning, since readers use the first ones and ignore the rest.
pub(super) fn check_metadata_count(h: &Header, entries: &[(usize, BlobEntry)], o: &mut Opened) {
    if h.part_number != 1 {
        return;
    }
    let live = entries.iter().filter(|(_, e)| e.refcount != 0).count() as u64;
    let images = h.image_count as u64;
    if live < images {
        o.findings.push(
            Finding::corruption(
                Code::BlobtableMetadataCount,
                format!("blob table: {live} metadata resources for {images} images"),
            )
            .at(h.blob_table.offset),
        );
    } else if live > images {
        o.findings.push(
            Finding::warning(
                Code::BlobtableMetadataExtra,
                format!("blob table: {live} metadata resources for {images} images; readers use the first {images} and ignore the rest"),
            )
            .at(h.blob_table.offset)
            .remedy(remedies::EXPORT),
        );
    }
}

/// Reads, decompresses and checks the metadata resource of image
/// `image_no` (entry `e` of part `pi`): its bytes, or `None` (with a
/// finding) if it cannot be used.
pub(super) fn load_one(
    files: &[(&str, &dyn ReadAt)],
    h: &Header,
    (pi, e): &(usize, BlobEntry),
    image_no: usize,
    scratch: &mut Scratch,
    findings: &mut Vec<Finding>,
    decoded: &mut dyn FnMut(u64),
) -> Result<Option<Vec<u8>>, ReadError> {
    let (_, r) = files[*pi];
    let size = r.size();
    let rh = &e.reshdr;
    if !in_file(rh, size) || rh.offset < HEADER_SIZE as u64 {
        return Ok(None);
    }
    let limit = MAX_METADATA_SIZE.min(size.saturating_mul(512));
    if rh.uncompressed_size > limit || rh.size_in_wim > MAX_METADATA_SIZE {
        findings.push(Finding::corruption(Code::MetadataTooLarge, format!("image {image_no}: metadata resource at offset {} declares {} bytes, above the limit of {limit}", rh.offset, rh.uncompressed_size)).at(rh.offset));
        return Ok(None);
    }
    let Some(layout) = Layout::non_solid(h, rh) else {
        findings.push(Finding::corruption(Code::MetadataCompressedInUncompressedWim, format!("image {image_no}: metadata resource at offset {} is marked compressed in a WIM whose header names no codec", rh.offset)).at(rh.offset));
        return Ok(None);
    };
    let mut dec = ResourceDecoder::new(layout, rh.offset, rh.size_in_wim);
    // Sized once when the declared size is plausible for the stored size
    // (growing by doubling would hold up to 1.5x the size at a time); a
    // forged declaration only gets what the data actually produces.
    let plausible = rh.size_in_wim.saturating_mul(METADATA_MAX_RATIO);
    let reserve = rh.uncompressed_size.min(plausible).min(MAX_METADATA_SIZE);
    let mut sink = CollectSink {
        bytes: Vec::with_capacity(usize::try_from(reserve).unwrap_or(0)),
        limit: rh.uncompressed_size,
        gap: None,
        overflow: false,
    };
    // Read and decoded a piece at a time: the stored resource is never
    // whole in memory beside its decompressed data, and the page can show
    // progress while a large one decompresses.
    let mut piece = vec![0u8; METADATA_READ.min(rh.size_in_wim) as usize];
    let mut at = 0u64;
    while at < rh.size_in_wim {
        let n = (rh.size_in_wim - at).min(METADATA_READ) as usize;
        let buf = &mut piece[..n];
        // In the file: checked by in_file above.
        r.read_at(rh.offset + at, buf)?;
        dec.feed(buf, scratch, &mut sink);
        at += n as u64;
        decoded(sink.bytes.len() as u64);
        if sink.gap.is_some() {
            break;
        }
    }
    drop(piece);
    dec.finish(&mut sink);
    if let Some(f) = sink.gap {
        if f.corrupt {
            findings.push(
                Finding::corruption(
                    Code::MetadataUndecodable,
                    format!(
                        "image {image_no}: metadata resource at offset {}: {}",
                        rh.offset, f.message
                    ),
                )
                .at(f.offset)
                .remedy(remedies::RECOPY),
            );
        } else {
            findings.push(
                Finding::unverified(
                    Code::MetadataUnverified,
                    format!(
                        "image {image_no}: metadata resource at offset {} not verified: {}",
                        rh.offset, f.message
                    ),
                )
                .at(f.offset),
            );
        }
        return Ok(None);
    }
    // In pieces: V8 runs a wasm function's first calls in its baseline
    // compiler and switches to optimised code only at a later call, so one
    // call over 41 MB of metadata ran at baseline speed, 0.9 s on the page
    // (the CLI does not care).
    let mut hasher = Sha1::new();
    for piece in sink.bytes.chunks(HASH_PIECE) {
        hasher.update(piece);
    }
    let got = hasher.finalize();
    if got.as_slice() != e.sha1 {
        findings.push(Finding::corruption(Code::MetadataHashMismatch, format!("image {image_no}: metadata resource at offset {}: SHA-1 {} does not match the blob table's {}", rh.offset, hex(&got), hex(&e.sha1))).at(rh.offset).remedy(remedies::RECOPY));
        return Ok(None);
    }
    Ok(Some(sink.bytes))
}

/// Walks every loaded image tree; compares counts with the XML.
/// The header keeps a copy of the bootable image's metadata resource
/// header; boot tools read that copy, so it must match the image's entry.
pub(super) fn check_boot_metadata(h: &Header, live: &[&BlobEntry], findings: &mut Vec<Finding>) {
    let b = &h.boot_metadata;
    if h.boot_index == 0 || h.boot_index > h.image_count {
        return;
    }
    let Some(entry) = live.get(h.boot_index as usize - 1) else {
        return;
    };
    let e = &entry.reshdr;
    if b.is_zero() {
        findings.push(
            Finding::warning(
                Code::HeaderBootMetadata,
                format!("header: boot index {} is set but the boot metadata copy at offset 0x60 is empty", h.boot_index),
            )
            .at(at::BOOT_METADATA),
        );
    } else if (b.offset, b.size_in_wim, b.uncompressed_size)
        != (e.offset, e.size_in_wim, e.uncompressed_size)
    {
        findings.push(
            Finding::warning(
                Code::HeaderBootMetadata,
                format!(
                    "header: the boot metadata copy (offset {}, size {}) does not match image {}'s metadata resource (offset {}, size {})",
                    b.offset, b.size_in_wim, h.boot_index, e.offset, e.size_in_wim
                ),
            )
            .at(at::BOOT_METADATA)
            .remedy(remedies::EXPORT),
        );
    }
}

pub(super) fn check_trees(
    files: &[(&str, &dyn ReadAt)],
    h: &Header,
    metadata_entries: &[(usize, BlobEntry)],
    all_parts: bool,
    o: &mut Opened,
    progress: &mut dyn FnMut(Opening, u64, u64),
) -> Result<(), ReadError> {
    use crate::verify::tree::{check_image, check_refcounts, TreeContext};
    let images = image_entries(h, metadata_entries);
    let live: Vec<&BlobEntry> = images.iter().map(|(_, e)| e).collect();
    check_boot_metadata(h, &live, &mut o.findings);
    // Decompressing, then walking, each image's metadata.
    let total: u64 = live
        .iter()
        .map(|e| 2 * e.reshdr.uncompressed_size.min(MAX_METADATA_SIZE))
        .fold(0, u64::saturating_add);
    let mut trees = |done: u64, total: u64| progress(Opening::Trees, done, total);
    let mut ctx = TreeContext {
        blobs: &o.blobs,
        all_parts,
        refs: vec![0; o.blobs.len()],
        paths: crate::verify::tree::BlobPaths::for_blobs(o.blobs.len()),
        progress: Some(&mut trees),
        progress_base: 0,
        progress_total: total,
        missing: Default::default(),
    };
    let mut walked_all = true;
    let mut scratch = Scratch::default();
    for (i, &entry) in images.iter().enumerate() {
        let image = i + 1;
        let offset = entry.1.reshdr.offset;
        let base = ctx.progress_base;
        let declared = entry.1.reshdr.uncompressed_size.min(MAX_METADATA_SIZE);
        let loaded = {
            let mut decoded = |n: u64| {
                if let Some(p) = ctx.progress.as_mut() {
                    p(base.saturating_add(n.min(declared)).min(total), total);
                }
            };
            decoded(0);
            let loaded = load_one(
                files,
                h,
                entry,
                image,
                &mut scratch,
                &mut o.findings,
                &mut decoded,
            )?;
            decoded(declared);
            loaded
        };
        ctx.progress_base = base.saturating_add(declared);
        o.metadata.push(loaded.is_some());
        let walked = loaded
            .as_ref()
            .map(|data| check_image(image, offset, data, &mut ctx, &mut o.findings));
        // Only one image's metadata is held at a time.
        drop(loaded);
        // Walked or not, this image's share of the progress is behind.
        ctx.progress_base = base.saturating_add(2 * declared);
        if let Some(p) = ctx.progress.as_mut() {
            p(ctx.progress_base.min(total), total);
        }
        let Some(s) = walked else {
            walked_all = false;
            o.trees.push(None);
            continue;
        };
        walked_all &= s.complete;
        let is_boot = h.boot_index as usize == image
            || o.xml
                .as_ref()
                .and_then(|x| x.images.iter().find(|im| im.index as usize == image))
                .is_some_and(|im| im.is_winpe());
        if is_boot && s.complete && !s.has_wds_tools {
            o.facts.boot_images_without_wds_tools.push(image as u32);
        }
        if let Some(x) = o
            .xml
            .as_ref()
            .and_then(|x| x.images.iter().find(|im| im.index as usize == image))
        {
            if s.complete {
                if let (Some(xf), Some(xd)) = (x.file_count, x.dir_count) {
                    // wimlib counts the root directory, 7-Zip does not;
                    // wimlib counts a directory junction or symlink as a
                    // file, and other writers may count it as a directory:
                    // each convention is in use, so any of them agrees.
                    let rd = s.reparse_dirs;
                    let agrees = |files: u64, dirs: u64| {
                        xf == files && (xd == dirs || xd.checked_add(1) == Some(dirs))
                    };
                    if !agrees(s.files, s.dirs) && !agrees(s.files - rd, s.dirs + rd) {
                        o.findings.push(Finding::warning(Code::XmlCounts, format!("image {image}: the XML says {xf} files and {xd} directories, the directory tree holds {} and {}", s.files, s.dirs)).at(h.xml.offset));
                    }
                }
            }
        }
        o.trees.push(Some(s));
    }
    if walked_all && all_parts && !o.metadata.is_empty() {
        check_refcounts(&ctx, o.own_blobs, &mut o.findings);
    }
    o.paths = ctx.paths;
    o.missing_blobs = ctx.missing.into_iter().collect();
    Ok(())
}
