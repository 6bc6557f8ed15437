//! Finding a delta's base among other WIMs: a WIM captured with
//! `wimlib-imagex capture --delta-from BASE` holds only the blobs BASE
//! lacks, and its trees name the others, which it does not carry
//! ([`super::Opened::missing_blobs`]). Nothing in the delta names its base,
//! so a driver handed several WIMs at once (the page, when files are
//! dropped together) asks which of the others hold those blobs, and opens
//! the image again with them as references, as `wimlib-imagex verify --ref`
//! takes them. Only each candidate's header and blob table are read.

use super::header::read_header;
use super::tables::read_blob_table;
use super::Ctx;
use crate::read::{ReadAt, ReadError};
use crate::verify::finding::Capped;

/// Of `wanted` (SHA-1s, sorted and distinct, as
/// [`super::Opened::missing_blobs`] is), those that the blob table of the
/// WIM `r` holds as blobs (metadata resources are not lent), in `wanted`'s
/// order. A file that is no WIM, or whose blob table cannot be read,
/// holds none; only a failed read is an error.
pub fn blobs_held(r: &dyn ReadAt, wanted: &[[u8; 20]]) -> Result<Vec<[u8; 20]>, ReadError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // The candidate's findings belong to its own verification, not here.
    let mut findings = Vec::new();
    let mut capped = Capped::default();
    let mut ctx = Ctx {
        findings: &mut findings,
        part: None,
        reference: true,
        capped: &mut capped,
    };
    let size = r.size();
    let Some(header) = read_header(r, size, &mut ctx)? else {
        return Ok(Vec::new());
    };
    let mut held: Vec<[u8; 20]> = read_blob_table(r, &header, size, &mut ctx)?
        .into_iter()
        .filter(|e| !e.reshdr.is_metadata() && wanted.binary_search(&e.sha1).is_ok())
        .map(|e| e.sha1)
        .collect();
    held.sort_unstable();
    held.dedup();
    Ok(held)
}

/// The references to open an image with: of `candidates`, in their order,
/// each that holds one of the `missing` blobs (sorted and distinct) that
/// the ones chosen before it do not, until none is missing. Returns their
/// indices (none when nothing is missing or no candidate helps): the base
/// of a delta, and the base's own base for a delta of a delta.
pub fn choose_bases(
    missing: &[[u8; 20]],
    candidates: &[&dyn ReadAt],
) -> Result<Vec<usize>, ReadError> {
    let mut wanted = missing.to_vec();
    let mut chosen = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if wanted.is_empty() {
            break;
        }
        let held = blobs_held(*c, &wanted)?;
        if !held.is_empty() {
            chosen.push(i);
            // Both sorted: keep what is still missing.
            wanted.retain(|h| held.binary_search(h).is_err());
        }
    }
    Ok(chosen)
}
