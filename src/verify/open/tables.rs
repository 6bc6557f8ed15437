//! The tables each part's header points at: the blob table and the
//! integrity table (read and their layout checked), the XML (parsed and
//! held against the header), and the parts of a split set against each
//! other.

use super::header::{in_file, solid_header_resource};
use super::Ctx;
use crate::format::blob_table::{parse_table, BlobEntry, BLOB_ENTRY_SIZE, MAX_BLOB_ENTRIES};
use crate::format::header::at;
use crate::format::header::Header;
use crate::format::integrity::{IntegrityLayoutError, IntegrityTable};
use crate::format::xml::{self, XmlInfo, MAX_XML_SIZE};
use crate::read::{read_vec, ReadAt, ReadError};
use crate::verify::code::Code;
use crate::verify::finding::{remedies, Finding};
use std::collections::BTreeMap;

pub(super) fn read_blob_table(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Vec<BlobEntry>, ReadError> {
    let t = &h.blob_table;
    if t.is_zero()
        || !in_file(t, size)
        || solid_header_resource("blob table", at::BLOB_TABLE, t, ctx)
    {
        return Ok(Vec::new());
    }
    if t.is_compressed() || t.size_in_wim != t.uncompressed_size {
        ctx.push(
            Finding::unverified(
                Code::BlobtableCompressed,
                format!(
                    "blob table at offset {}: stored compressed, which wimproof does not read",
                    t.offset
                ),
            )
            .at(at::BLOB_TABLE),
        );
        return Ok(Vec::new());
    }
    let count = t.size_in_wim / BLOB_ENTRY_SIZE as u64;
    if count > MAX_BLOB_ENTRIES {
        ctx.push(Finding::corruption(Code::BlobtableTooLarge, format!("blob table at offset {}: {count} entries exceed the limit of {MAX_BLOB_ENTRIES}", t.offset)).at(t.offset));
        return Ok(Vec::new());
    }
    let data = read_vec(
        r,
        t.offset,
        t.size_in_wim,
        MAX_BLOB_ENTRIES * BLOB_ENTRY_SIZE as u64 + BLOB_ENTRY_SIZE as u64,
    )?;
    let (entries, rest) = parse_table(&data);
    if rest != 0 {
        ctx.push(Finding::corruption(Code::BlobtableSize, format!("blob table at offset {}: its {} bytes are not a whole number of 50-byte entries", t.offset, t.size_in_wim)).at(t.offset));
    }
    Ok(entries)
}

pub(super) fn read_integrity(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Option<IntegrityTable>, ReadError> {
    let t = &h.integrity;
    if t.is_zero() {
        ctx.push(Finding::info(Code::IntegrityAbsent, "the WIM has no integrity table; its data is checked through the blob SHA-1s instead").remedy("Capture or export with `/CheckIntegrity` (DISM) or `--check` (wimlib) to add one."));
        return Ok(None);
    }
    if !in_file(t, size) || solid_header_resource("integrity table", at::INTEGRITY, t, ctx) {
        return Ok(None);
    }
    let limit = 12 + 20 * crate::format::integrity::MAX_INTEGRITY_CHUNKS as u64;
    if t.size_in_wim > limit {
        ctx.push(
            Finding::corruption(
                Code::IntegrityLayout,
                format!(
                    "integrity table at offset {}: {} bytes exceed the limit of {limit}",
                    t.offset, t.size_in_wim
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    let data = read_vec(r, t.offset, t.size_in_wim, limit)?;
    let bad = |ctx: &mut Ctx, why: String| {
        ctx.push(
            Finding::corruption(
                Code::IntegrityLayout,
                format!("integrity table at offset {}: {why}", t.offset),
            )
            .at(t.offset)
            .remedy(remedies::RECOPY),
        );
    };
    if t.uncompressed_size != t.size_in_wim {
        bad(
            ctx,
            format!(
                "stored size {} differs from its size {}",
                t.size_in_wim, t.uncompressed_size
            ),
        );
        return Ok(None);
    }
    let table = match IntegrityTable::parse(&data) {
        Ok(tb) => tb,
        Err(e) => {
            let why = match e {
                IntegrityLayoutError::TooShort => "too short for its header".to_string(),
                IntegrityLayoutError::SizeMismatch { declared, actual } => format!("declares {declared} bytes but holds {actual}, which is not 12 + 20 x its chunk count"),
                IntegrityLayoutError::TooManyChunks(n) => format!("{n} chunks exceed the limit"),
                IntegrityLayoutError::ZeroChunkSize => "chunk size is 0".to_string(),
            };
            bad(ctx, why);
            return Ok(None);
        }
    };
    let end = h.blob_table.end().unwrap_or(0);
    let need = IntegrityTable::chunks_needed(table.chunk_size, end);
    if need != table.num_chunks as u64 || end > size {
        bad(
            ctx,
            format!(
                "lists {} chunks of {} bytes, but bytes 208..{end} need {need}",
                table.num_chunks, table.chunk_size
            ),
        );
        return Ok(None);
    }
    Ok(Some(table))
}

pub(super) fn read_xml(
    r: &dyn ReadAt,
    h: &Header,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Option<XmlInfo>, ReadError> {
    let t = &h.xml;
    if t.is_zero() || !in_file(t, size) || solid_header_resource("XML data", at::XML, t, ctx) {
        return Ok(None);
    }
    if t.is_compressed() || t.size_in_wim != t.uncompressed_size {
        ctx.push(
            Finding::unverified(
                Code::XmlCompressed,
                format!(
                    "XML data at offset {}: stored compressed, which wimproof does not read",
                    t.offset
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    if t.size_in_wim > MAX_XML_SIZE {
        ctx.push(
            Finding::corruption(
                Code::XmlTooLarge,
                format!(
                    "XML data at offset {}: {} bytes exceed the limit of {MAX_XML_SIZE}",
                    t.offset, t.size_in_wim
                ),
            )
            .at(t.offset),
        );
        return Ok(None);
    }
    let data = read_vec(r, t.offset, t.size_in_wim, MAX_XML_SIZE)?;
    match xml::parse(&data) {
        Ok(x) => {
            if x.encrypted_esd {
                ctx.push(
                    Finding::unverified(
                        Code::XmlEncrypted,
                        "XML data: the image is an encrypted ESD; its resources cannot be checked",
                    )
                    .at(t.offset),
                );
            }
            Ok(Some(x))
        }
        Err(e) => {
            ctx.push(
                Finding::corruption(
                    Code::XmlInvalid,
                    format!("XML data at offset {}: {e}", t.offset),
                )
                .at(t.offset)
                .remedy(remedies::EXPORT),
            );
            Ok(None)
        }
    }
}

pub(super) fn check_xml_vs_header(h: &Header, x: &XmlInfo, findings: &mut Vec<Finding>) {
    let n = x.images.len() as u64;
    if n != h.image_count as u64 {
        findings.push(
            Finding::corruption(
                Code::XmlImageCount,
                format!(
                    "XML data describes {n} images but the header says {}",
                    h.image_count
                ),
            )
            .at(h.xml.offset),
        );
    }
    let mut idx: Vec<u32> = x.images.iter().map(|i| i.index).collect();
    idx.sort_unstable();
    if idx.iter().enumerate().any(|(i, &v)| v as usize != i + 1) {
        findings.push(
            Finding::corruption(
                Code::XmlIndexes,
                "XML data: image INDEX attributes are not exactly 1..N, each once",
            )
            .at(h.xml.offset),
        );
    }
}

pub(super) fn check_split_set(
    h: &Header,
    seen: &BTreeMap<u16, String>,
    given: usize,
    findings: &mut Vec<Finding>,
) {
    if h.total_parts <= 1 && given <= 1 {
        return;
    }
    let missing: Vec<String> = (1..=h.total_parts)
        .filter(|p| !seen.contains_key(p))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        let (parts, were) = if missing.len() == 1 {
            ("part", "was")
        } else {
            ("parts", "were")
        };
        findings.push(Finding::unverified(Code::SplitMissingPart, format!("split set of {} parts: {parts} {} {were} not given, so their data is not checked", h.total_parts, missing.join(", "))).remedy("Give all .swm parts together (the CLI looks for name2.swm, name3.swm... beside the first)."));
    }
}
