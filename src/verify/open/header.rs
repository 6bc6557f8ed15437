//! The 208-byte header of each part: read (the real one at the end of a
//! pipable WIM), and checked field by field.

use super::Ctx;
use crate::codec::Codec;
use crate::format::header::at;
use crate::format::header::{self, Header, HEADER_SIZE};
use crate::format::hex;
use crate::format::reshdr::ResHdr;
use crate::format::resource::chunk_size_problem;
use crate::format::xml::MAX_IMAGES;
use crate::read::{ReadAt, ReadError};
use crate::verify::code::Code;
use crate::verify::facts::Facts;
use crate::verify::finding::{remedies, Finding};

pub(super) fn read_header(
    r: &dyn ReadAt,
    size: u64,
    ctx: &mut Ctx,
) -> Result<Option<Header>, ReadError> {
    if size < HEADER_SIZE as u64 {
        ctx.push(
            Finding::corruption(
                Code::HeaderTruncated,
                format!("file is {size} bytes, shorter than the 208-byte WIM header"),
            )
            .at(0)
            .remedy(remedies::RECOPY),
        );
        return Ok(None);
    }
    let mut b = [0u8; HEADER_SIZE];
    r.read_at(0, &mut b)?;
    let mut h = Header::parse(&b);
    if h.is_pipable() {
        // A pipable WIM's leading header has zeroed tables; the real one is
        // the last 208 bytes.
        if size >= 2 * HEADER_SIZE as u64 {
            let mut t = [0u8; HEADER_SIZE];
            r.read_at(size - HEADER_SIZE as u64, &mut t)?;
            let tail = Header::parse(&t);
            if tail.magic == header::PIPABLE_MAGIC {
                h = tail;
            } else {
                ctx.push(Finding::corruption(Code::HeaderPipableTrailer, "pipable WIM: the last 208 bytes are not a WIM header (the file was cut short or the write never finished)").at(size - HEADER_SIZE as u64).remedy(remedies::RECOPY));
                return Ok(None);
            }
        }
    } else if h.magic != header::MAGIC {
        ctx.push(Finding::corruption(Code::HeaderMagic, format!("header at offset 0: magic {} is neither MSWIM nor WLPWM; this is not a WIM file", hex(&h.magic))).at(0));
        return Ok(None);
    }
    if h.hdr_size != HEADER_SIZE as u32 {
        ctx.push(
            Finding::corruption(
                Code::HeaderSize,
                format!("header: header size field is {}, not 208", h.hdr_size),
            )
            .at(at::HDR_SIZE),
        );
    }
    Ok(Some(h))
}

pub(super) fn check_header(h: &Header, size: u64, ctx: &mut Ctx, facts: &mut Facts) {
    facts.pipable |= h.is_pipable();
    if h.version != header::VERSION_DEFAULT && h.version != header::VERSION_SOLID {
        ctx.push(
            Finding::corruption(
                Code::HeaderVersion,
                format!(
                    "header: version {:#x} is neither 0x10d00 nor 0xe00",
                    h.version
                ),
            )
            .at(at::VERSION),
        );
    }
    if h.version == header::VERSION_SOLID {
        facts.solid = true;
    }
    let (_, unknown) = h.flag_names();
    if unknown != 0 {
        ctx.push(
            Finding::warning(
                Code::HeaderUnknownFlags,
                format!("header: unknown flag bits {unknown:#x} are set"),
            )
            .at(at::FLAGS),
        );
    }
    if h.flags & header::FLAG_WRITE_IN_PROGRESS != 0 {
        facts.write_in_progress = true;
        ctx.push(Finding::blocker(Code::HeaderWriteInProgress, "header: the WRITE_IN_PROGRESS flag is set: a program crashed or was stopped while writing this image, so it may be incomplete").at(at::FLAGS).remedy(remedies::EXPORT));
    }
    match h.codec() {
        None => ctx.push(
            Finding::corruption(
                Code::HeaderCompression,
                "header: the COMPRESSION flag is set without a known compression type",
            )
            .at(at::FLAGS),
        ),
        Some(c) => {
            facts.codec = Some(c);
            facts.chunk_size = h.chunk_size;
            if c == Codec::Lzms {
                facts.lzms = true;
            }
            if c == Codec::None {
                if h.flags
                    & (header::FLAG_LZX
                        | header::FLAG_XPRESS
                        | header::FLAG_LZMS
                        | header::FLAG_XPRESS2)
                    != 0
                {
                    ctx.push(
                        Finding::warning(
                            Code::HeaderCompression,
                            "header: a compression type flag is set without the COMPRESSION flag",
                        )
                        .at(at::FLAGS),
                    );
                }
                if h.chunk_size != 0 {
                    // The data is unaffected, but wimlib 1.13 refuses to
                    // open such a file ("compression chunk size was
                    // unrecognized"), so it is not a clean image.
                    ctx.push(
                        Finding::warning(
                            Code::HeaderChunkSize,
                            format!(
                                "header: chunk size is {} in an uncompressed WIM (writers put 0 there); wimlib 1.13 refuses to open it",
                                h.chunk_size
                            ),
                        )
                        .at(at::CHUNK_SIZE),
                    );
                }
            } else if let Some(p) = chunk_size_problem(c, h.chunk_size) {
                ctx.push(
                    Finding::corruption(
                        Code::HeaderChunkSize,
                        format!("header: {c} chunk size {} {p}", h.chunk_size),
                    )
                    .at(at::CHUNK_SIZE),
                );
            }
        }
    }
    if h.part_number == 0 || h.part_number > h.total_parts {
        ctx.push(
            Finding::corruption(
                Code::HeaderPart,
                format!(
                    "header: part {} of {} is impossible",
                    h.part_number, h.total_parts
                ),
            )
            .at(at::PART_NUMBER),
        );
    }
    if h.total_parts > 1 && h.flags & header::FLAG_SPANNED == 0 {
        ctx.push(
            Finding::warning(
                Code::HeaderPart,
                format!(
                    "header: {} parts but the SPANNED flag is not set",
                    h.total_parts
                ),
            )
            .at(at::FLAGS),
        );
    }
    facts.parts = facts.parts.max(h.total_parts);
    if h.image_count > MAX_IMAGES {
        ctx.push(
            Finding::corruption(
                Code::HeaderImageCount,
                format!("header: image count {} exceeds {MAX_IMAGES}", h.image_count),
            )
            .at(at::IMAGE_COUNT),
        );
    }
    if h.boot_index > h.image_count {
        ctx.push(
            Finding::warning(
                Code::HeaderBootIndex,
                format!(
                    "header: boot index {} is above the image count {}",
                    h.boot_index, h.image_count
                ),
            )
            .at(at::BOOT_INDEX),
        );
    }
    if h.guid == [0u8; 16] {
        ctx.push(Finding::info(Code::HeaderGuid, "header: the GUID is all zeros").at(at::GUID));
    }
    for (field, at, r) in [
        ("blob table", at::BLOB_TABLE, &h.blob_table),
        ("XML data", at::XML, &h.xml),
        ("integrity table", at::INTEGRITY, &h.integrity),
        ("boot metadata", at::BOOT_METADATA, &h.boot_metadata),
    ] {
        if r.is_zero() {
            continue;
        }
        match r.end() {
            Some(end) if end <= size => {}
            _ => ctx.push(Finding::corruption(Code::HeaderReshdrOutOfFile, format!("header: the {field} at offset {} with size {} ends past the end of the {size}-byte file", r.offset, r.size_in_wim)).at(at).remedy(remedies::RECOPY)),
        }
    }
    if h.blob_table.is_zero() && h.xml.is_zero() {
        ctx.push(Finding::corruption(Code::HeaderIncomplete, "header: neither a blob table nor XML data is recorded; the image was never finished").at(at::BLOB_TABLE));
    }
}

pub(super) fn in_file(r: &ResHdr, size: u64) -> bool {
    matches!(r.end(), Some(e) if e <= size)
}

/// A header resource (blob table, XML, integrity table) flagged SOLID:
/// readers then take its first bytes for a solid resource header and fail,
/// so it is unreadable. Reports it and returns true.
pub(super) fn solid_header_resource(field: &str, at: u64, r: &ResHdr, ctx: &mut Ctx) -> bool {
    if !r.is_solid() {
        return false;
    }
    ctx.push(Finding::corruption(Code::HeaderSolidResource, format!("header: the {field} at offset {} carries the SOLID resource flag, which only blob table entries may have; readers cannot read it", r.offset)).at(at).remedy(remedies::RECOPY));
    true
}
