//! Install media read in place: the files of a UDF or ISO 9660 image (a
//! Windows ISO) and a [`ReadAt`] over one of them, so that the WIM verifier
//! runs unchanged on `sources/install.wim` inside an ISO without a copy.
//!
//! This module owns the medium's file list and the checks wimproof adds on
//! top of the file-system readers; it does no I/O of its own (everything is
//! read through the caller's [`ReadAt`], the whole ISO).
//!
//! - [`open`] recognises the file system, walks every directory and returns
//!   each regular file with its size and its extents (medium offset, length)
//!   in file order, all `u64`, checked against the medium and against the
//!   file's size. UDF is preferred when its volume recognition sequence
//!   (an `NSR02`/`NSR03` descriptor, ECMA-167 2/9.1 and 3/9.1) is present:
//!   Windows media (`oscdimg` in UDF mode) are UDF 1.02 with an ISO 9660
//!   "bridge" that often holds only `README.TXT`. Otherwise ISO 9660
//!   (ECMA-119) is read, with Joliet or Rock Ridge names where present.
//! - [`ExtentReader`] maps a file offset onto the file's extents; a read
//!   that spans extents is split, nothing is copied beyond the caller's
//!   buffer.
//!
//! The on-disk parsing is done by the `hadris-udf` and `hadris-iso` crates
//! (see README.md, "Install media", for why they and not our own parsers):
//! volume descriptors, tag checksums and CRCs, file entries and extended
//! file entries, short/long/embedded allocation descriptors, allocation
//! extent descriptor chains (bounded by the crate: 4096 continuations and
//! 2^20 descriptors per file), multi-extent ISO 9660 records and Joliet
//! names. A file over 4 GiB is several UDF extents (each under 1 GiB: the
//! extent length's top two bits are its type, ECMA-167 4/14.14.1.1) or
//! several ISO 9660 directory records with the multi-extent flag (bit 7 of
//! the file flags, ECMA-119 9.1.6); either way it is one [`MediumFile`] with
//! several [`Extent`]s here.
//!
//! What this module checks itself, each with a named limit or a typed error
//! naming the file and the medium offset: directory depth (a directory that
//! contains its own ancestor walks into the limit), the number of entries,
//! extents per file and in all, extents outside the medium, extents of one
//! file that overlap each other, and extents whose lengths do not add up to
//! the file's size. Extents of *different* files may share bytes: `oscdimg`
//! stores identical files once and points both entries at the same data.

pub mod map;
pub mod pieces;

use std::fmt;

use hadris_fs::sync::{FileSystem, Walk};
use hadris_fs::{Extent as FsExtent, FileType, MountOptions};
use hadris_storage::{BlockIndex, BlockSize};

use crate::read::{ReadAt, ReadError};

/// Logical block (sector) size of optical media: ECMA-119 6.1.2 and
/// OSTA UDF 1.02 2.1.1 (2048 bytes for CD and DVD media). Install media
/// are always written with it.
pub const SECTOR_SIZE: u64 = 2048;

const SECTOR: BlockSize = match BlockSize::new(SECTOR_SIZE as u32) {
    Some(b) => b,
    None => panic!("a sector size is non-zero"),
};

/// Deepest directory level walked. Windows install media nest about 8
/// levels (`sources/sxs/...`, `efi/microsoft/boot/fonts`); ECMA-119 6.8.2.1
/// itself caps ISO 9660 at 8 levels, Joliet and UDF have no cap. A
/// directory entry pointing back at an ancestor (a cycle) walks into this
/// limit instead of looping.
pub const MAX_DEPTH: u32 = 64;

/// Most directory entries (files and directories) on one medium. A Windows
/// 11 ISO has about 1,000; the cap keeps a forged directory from costing
/// hundreds of MB of paths.
pub const MAX_ENTRIES: u64 = 1 << 18;

/// Most extents one file may have. A UDF extent holds under 1 GiB, so this
/// allows files of 64 TiB written in maximal extents, and 256 MiB files cut
/// into single sectors; 16 bytes each, 1 MiB per file at most.
pub const MAX_EXTENTS_PER_FILE: usize = 1 << 16;

/// Most extents over all files of a medium (16 MiB of extent lists).
pub const MAX_EXTENTS_TOTAL: usize = 1 << 20;

/// Most WIM files (`.wim`, `.esd`, `.swm`) of one medium that are
/// verified. Windows media hold two to five; every one is opened (phase 1)
/// before the one read of the medium, so a forged medium of 2^18 tiny
/// `.wim` files must not become 2^18 open verifications.
pub const MAX_WIMS: usize = 1024;

/// Extents asked of the reader at once while listing a file.
const EXTENT_BATCH: usize = 64;

/// Which file system the listing came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSystemKind {
    Udf,
    Iso9660,
}

impl fmt::Display for FileSystemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileSystemKind::Udf => "UDF",
            FileSystemKind::Iso9660 => "ISO 9660",
        })
    }
}

/// A run of a file's bytes on the medium.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    /// Byte offset on the medium (meaningless when `zeros`).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// An allocated but unrecorded UDF extent (ECMA-167 4/14.14.1.1, type
    /// 1 or 2): it reads as zeros and occupies nothing readable.
    pub zeros: bool,
}

/// One regular file of the medium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediumFile {
    /// Path from the root with `/` separators, as the names are on the
    /// medium (no leading `/`).
    pub path: String,
    /// Size in bytes (the information length of the UDF file entry, or the
    /// sum of the ISO 9660 records' data lengths).
    pub size: u64,
    /// The file's bytes in file order; lengths add up to `size`.
    pub extents: Vec<Extent>,
}

impl MediumFile {
    /// True when the extents are in ascending medium order without gaps
    /// between them being read backwards (a sequential read of the medium
    /// meets the file's bytes in file order).
    pub fn is_ascending(&self) -> bool {
        let mut last = 0u64;
        for e in self.extents.iter().filter(|e| !e.zeros) {
            if e.offset < last {
                return false;
            }
            last = e.offset.saturating_add(e.len);
        }
        true
    }
}

/// The files of a medium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Medium {
    pub kind: FileSystemKind,
    /// Every regular file, in directory order (depth first).
    pub files: Vec<MediumFile>,
}

impl Medium {
    /// The file at `path` (as listed: `/` separators, no leading `/`),
    /// compared ASCII-case-insensitively as Windows does.
    pub fn file(&self, path: &str) -> Option<&MediumFile> {
        self.files
            .iter()
            .find(|f| f.path.eq_ignore_ascii_case(path))
    }
}

/// Whether a file of the medium is a WIM by its name: `.wim`, `.esd` (an
/// ESD-style solid WIM) or `.swm` (a split part), without case.
pub fn is_wim_name(path: &str) -> bool {
    let name = crate::input::base_name(path);
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && ["wim", "esd", "swm"]
                .iter()
                .any(|w| ext.eq_ignore_ascii_case(w))
    })
}

/// The WIMs of a medium, each one image: a WIM, or the parts of a split
/// set found on the medium, in part order (indices into
/// [`Medium::files`]), grouped by the rule of [`crate::input::sets`] with
/// the paths as names (parts are looked for in the first part's
/// directory). A part the set's header counts but the medium lacks is left
/// out: its verification reports it missing. Reads each WIM's first
/// [`crate::input::sets::HEADER_BYTES`] through `medium`; in the order of
/// the listing (depth first).
pub fn wim_sets(m: &Medium, medium: &dyn ReadAt) -> Result<Vec<Vec<usize>>, MediumError> {
    use crate::input::sets::{group, Candidate, HEADER_BYTES};
    let wims: Vec<usize> = (0..m.files.len())
        .filter(|&i| is_wim_name(&m.files[i].path))
        .collect();
    if let Some(&past) = wims.get(MAX_WIMS) {
        return Err(MediumError::Limit {
            what: "WIM files (.wim, .esd, .swm)",
            limit: MAX_WIMS as u64,
            path: m.files[past].path.clone(),
        });
    }
    let mut headers = Vec::with_capacity(wims.len());
    for &i in &wims {
        let f = &m.files[i];
        let r = ExtentReader::new(medium, f)?;
        let mut b = vec![0u8; (f.size.min(HEADER_BYTES as u64)) as usize];
        r.read_at(0, &mut b).map_err(MediumError::Read)?;
        headers.push(b);
    }
    let candidates: Vec<Candidate> = wims
        .iter()
        .zip(&headers)
        .map(|(&i, header)| Candidate {
            name: &m.files[i].path,
            header,
        })
        .collect();
    Ok(group(&candidates)
        .into_iter()
        .map(|set| set.given().into_iter().map(|k| wims[k]).collect())
        .collect())
}

/// Why a medium could not be listed. Never a verdict on a WIM inside.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediumError {
    /// Neither a UDF volume recognition sequence nor an ISO 9660 primary
    /// volume descriptor: not install media.
    NotRecognized,
    /// The medium's bytes could not be read.
    Read(ReadError),
    /// The file system is damaged: `structure` names what the reader was
    /// decoding, `offset` the medium offset where known.
    Corrupt {
        kind: FileSystemKind,
        structure: String,
        offset: Option<u64>,
    },
    /// The file system uses something not supported (a UDF virtual,
    /// sparable or metadata partition, an interleaved ISO 9660 file, …).
    Unsupported {
        kind: FileSystemKind,
        structure: String,
        offset: Option<u64>,
    },
    /// A named limit was exceeded (`limit` is its value).
    Limit {
        what: &'static str,
        limit: u64,
        path: String,
    },
    /// A file's extents are impossible: outside the medium, overlapping
    /// each other, or not adding up to the file's size.
    BadExtents {
        path: String,
        /// Medium offset of the offending extent (0 for a size mismatch).
        offset: u64,
        reason: String,
    },
}

impl fmt::Display for MediumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |o: &Option<u64>| match o {
            Some(o) => format!(" at medium offset {o}"),
            None => String::new(),
        };
        match self {
            MediumError::NotRecognized => {
                f.write_str("not install media: no UDF volume recognition sequence and no ISO 9660 volume descriptor")
            }
            MediumError::Read(e) => write!(f, "{e}"),
            MediumError::Corrupt { kind, structure, offset } => {
                write!(f, "{kind} file system damaged: {structure}{}", at(offset))
            }
            MediumError::Unsupported { kind, structure, offset } => {
                write!(f, "{kind} file system not supported: {structure}{}", at(offset))
            }
            MediumError::Limit { what, limit, path } => {
                write!(f, "more than {limit} {what} (at {path:?})")
            }
            MediumError::BadExtents { path, offset, reason } => {
                write!(f, "{path}: {reason} (extent at medium offset {offset})")
            }
        }
    }
}

impl std::error::Error for MediumError {}

/// The medium as a block device of 2048-byte sectors for the readers.
/// A trailing partial sector is not addressable (no structure lives there).
struct Device<'a> {
    medium: &'a dyn ReadAt,
}

impl hadris_io::ErrorType for Device<'_> {
    type Error = ReadError;
}

impl hadris_storage::sync::BlockDevice for Device<'_> {
    fn block_size(&self) -> BlockSize {
        SECTOR
    }
    fn block_count(&self) -> u64 {
        self.medium.size() / SECTOR_SIZE
    }
    fn read_blocks(
        &mut self,
        first: BlockIndex,
        buf: &mut [u8],
    ) -> Result<(), hadris_io::Error<ReadError>> {
        let off = first.get().checked_mul(SECTOR_SIZE);
        match off {
            Some(off) => self
                .medium
                .read_at(off, buf)
                .map_err(|e| hadris_io::Error::device(e, "medium read failed")),
            None => Err(hadris_io::Error::new(
                hadris_io::ErrorKind::InvalidInput,
                "sector number overflows a 64-bit offset",
            )),
        }
    }
}

fn convert(kind: FileSystemKind, e: &hadris_io::Error<ReadError>, doing: &str) -> MediumError {
    if let Some(r) = e.device_error() {
        return MediumError::Read(r.clone());
    }
    let offset = match e.location() {
        Some(hadris_io::Location::Byte(b)) => Some(b),
        Some(hadris_io::Location::Block(b)) => b.checked_mul(SECTOR_SIZE),
        _ => None,
    };
    let detail = match kind {
        FileSystemKind::Udf => hadris_udf::Detail::of(e).map(|d| format!(" ({d:?})")),
        FileSystemKind::Iso9660 => hadris_iso::Detail::of(e).map(|d| format!(" ({d:?})")),
    }
    .unwrap_or_default();
    let structure = format!("{doing}: {}{detail}", e.message());
    match e.kind() {
        hadris_io::ErrorKind::NotRecognized => MediumError::NotRecognized,
        hadris_io::ErrorKind::Unsupported => MediumError::Unsupported {
            kind,
            structure,
            offset,
        },
        hadris_io::ErrorKind::LimitExceeded => MediumError::Limit {
            what: "allocation descriptors or continuation extents (hadris limit)",
            limit: 0,
            path: structure,
        },
        _ => MediumError::Corrupt {
            kind,
            structure,
            offset,
        },
    }
}

/// Lists the files of a medium (the whole ISO, read through `medium`).
pub fn open(medium: &dyn ReadAt) -> Result<Medium, MediumError> {
    // Each opener refuses a medium shorter than 17 sectors (ECMA-119 6.2.1
    // and ECMA-167 2/8.3: 16 sectors of system area, then the first volume
    // descriptor), so a tiny file is `NotRecognized` without a read.
    match open_udf(medium) {
        Err(MediumError::NotRecognized) => open_iso9660(medium),
        other => other,
    }
}

/// Lists the files of the UDF volume of a medium; `NotRecognized` when its
/// volume recognition sequence has no NSR descriptor.
pub fn open_udf(medium: &dyn ReadAt) -> Result<Medium, MediumError> {
    if medium.size() < 17 * SECTOR_SIZE {
        return Err(MediumError::NotRecognized);
    }
    let kind = FileSystemKind::Udf;
    let mut fs = hadris_udf::sync::UdfFs::mount(Device { medium }, MountOptions::new())
        .map_err(|e| convert(kind, e.error(), "mounting the UDF volume"))?;
    let files = walk(&mut fs, medium.size(), kind, |fs, node, from, out| {
        fs.extents(node, from, out)
    })?;
    Ok(Medium { kind, files })
}

/// Lists the files of the ISO 9660 volume of a medium (Joliet or Rock
/// Ridge names where present), ignoring any UDF volume.
pub fn open_iso9660(medium: &dyn ReadAt) -> Result<Medium, MediumError> {
    if medium.size() < 17 * SECTOR_SIZE {
        return Err(MediumError::NotRecognized);
    }
    let kind = FileSystemKind::Iso9660;
    let mut fs = hadris_iso::sync::IsoFs::mount(Device { medium }, MountOptions::new())
        .map_err(|e| convert(kind, e.error(), "mounting the ISO 9660 volume"))?;
    let files = walk(&mut fs, medium.size(), kind, |fs, node, from, out| {
        fs.extents(node, from, out)
    })?;
    Ok(Medium { kind, files })
}

type ExtentsFn<F> = fn(
    &mut F,
    hadris_fs::NodeId,
    u64,
    &mut [FsExtent],
) -> Result<usize, hadris_io::Error<ReadError>>;

fn walk<F: FileSystem<DeviceError = ReadError>>(
    fs: &mut F,
    medium_size: u64,
    kind: FileSystemKind,
    extents_of: ExtentsFn<F>,
) -> Result<Vec<MediumFile>, MediumError> {
    let mut files = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut entries = 0u64;
    let mut total_extents = 0usize;
    let mut w = Walk::new(fs.root());
    loop {
        let e = match w.next(fs) {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                return Err(convert(
                    kind,
                    &e,
                    &format!("reading the directory under {:?}", names.join("/")),
                ))
            }
        };
        entries += 1;
        let depth = e.depth();
        let name = String::from_utf8_lossy(e.entry().name().as_bytes()).into_owned();
        names.truncate(depth.saturating_sub(1) as usize);
        names.push(name);
        let path = names.join("/");
        if entries > MAX_ENTRIES {
            return Err(MediumError::Limit {
                what: "directory entries",
                limit: MAX_ENTRIES,
                path,
            });
        }
        if depth > MAX_DEPTH {
            return Err(MediumError::Limit {
                what: "directory levels (or a directory cycle)",
                limit: MAX_DEPTH as u64,
                path,
            });
        }
        let meta = e.entry().metadata();
        if meta.file_type() != FileType::File {
            continue;
        }
        let size = meta.len();
        let node = e.entry().node();
        let mut extents = Vec::new();
        let mut from = 0u64;
        let mut batch = [FsExtent::new(0, 0); EXTENT_BATCH];
        loop {
            let n = extents_of(fs, node, from, &mut batch)
                .map_err(|e| convert(kind, &e, &format!("reading the allocation of {path:?}")))?;
            if n == 0 {
                break;
            }
            let mut progressed = false;
            for x in batch.iter().take(n.min(EXTENT_BATCH)) {
                if x.is_empty() {
                    continue;
                }
                let end = x.file_offset().checked_add(x.len());
                match end {
                    Some(end) if x.file_offset() == from => {
                        extents.push(Extent { offset: x.offset(), len: x.len(), zeros: x.is_unwritten() });
                        from = end;
                        progressed = true;
                    }
                    _ => {
                        return Err(MediumError::BadExtents {
                            path,
                            offset: x.offset(),
                            reason: format!(
                                "extent for file offset {} does not follow the previous one (expected {from})",
                                x.file_offset()
                            ),
                        })
                    }
                }
                if extents.len() > MAX_EXTENTS_PER_FILE {
                    return Err(MediumError::Limit {
                        what: "extents in one file",
                        limit: MAX_EXTENTS_PER_FILE as u64,
                        path,
                    });
                }
            }
            if !progressed || from >= size {
                break;
            }
        }
        total_extents += extents.len();
        if total_extents > MAX_EXTENTS_TOTAL {
            return Err(MediumError::Limit {
                what: "extents on the medium",
                limit: MAX_EXTENTS_TOTAL as u64,
                path,
            });
        }
        let file = MediumFile {
            path,
            size,
            extents,
        };
        check_extents(&file, medium_size)?;
        files.push(file);
    }
    Ok(files)
}

/// The checks every listed file passes: each recorded extent lies inside
/// the medium, no two of the file's recorded extents share a byte, and the
/// lengths add up to the size.
pub fn check_extents(file: &MediumFile, medium_size: u64) -> Result<(), MediumError> {
    let bad = |offset: u64, reason: String| MediumError::BadExtents {
        path: file.path.clone(),
        offset,
        reason,
    };
    if file.extents.len() > MAX_EXTENTS_PER_FILE {
        return Err(MediumError::Limit {
            what: "extents in one file",
            limit: MAX_EXTENTS_PER_FILE as u64,
            path: file.path.clone(),
        });
    }
    let mut total = 0u64;
    let mut recorded: Vec<(u64, u64)> = Vec::with_capacity(file.extents.len());
    for e in &file.extents {
        total = total
            .checked_add(e.len)
            .ok_or_else(|| bad(e.offset, "extent lengths overflow 64 bits".into()))?;
        if e.zeros {
            continue;
        }
        match e.offset.checked_add(e.len) {
            Some(end) if end <= medium_size => recorded.push((e.offset, end)),
            _ => {
                return Err(bad(
                    e.offset,
                    format!(
                        "extent of {} bytes ends past the end of the medium ({medium_size} bytes)",
                        e.len
                    ),
                ))
            }
        }
    }
    if total != file.size {
        return Err(bad(
            0,
            format!(
                "extents hold {total} bytes but the file's size is {}",
                file.size
            ),
        ));
    }
    recorded.sort_unstable();
    for pair in recorded.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(bad(
                pair[1].0,
                format!(
                    "extent overlaps the file's extent at medium offset {}",
                    pair[0].0
                ),
            ));
        }
    }
    Ok(())
}

/// A [`ReadAt`] over one file of a medium: file offsets are mapped onto the
/// file's extents, and a read spanning extents reads each part from its
/// place on the medium. Nothing of the file is held in memory.
pub struct ExtentReader<'a> {
    medium: &'a dyn ReadAt,
    extents: &'a [Extent],
    /// File offset where each extent starts (same index as `extents`).
    starts: Vec<u64>,
    size: u64,
}

impl<'a> ExtentReader<'a> {
    /// Checks `file` against the medium ([`check_extents`]) and maps it.
    pub fn new(medium: &'a dyn ReadAt, file: &'a MediumFile) -> Result<Self, MediumError> {
        check_extents(file, medium.size())?;
        let mut starts = Vec::with_capacity(file.extents.len());
        let mut pos = 0u64;
        for e in &file.extents {
            starts.push(pos);
            // check_extents proved the sum fits in u64.
            pos += e.len;
        }
        Ok(ExtentReader {
            medium,
            extents: &file.extents,
            starts,
            size: file.size,
        })
    }
}

impl ReadAt for ExtentReader<'_> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        match offset.checked_add(len) {
            Some(end) if end <= self.size => {}
            _ => {
                return Err(ReadError::new(
                    offset,
                    len,
                    "past the end of the file on the medium",
                ))
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        // The extent holding `offset`: the last one starting at or before it.
        let mut i = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let mut pos = offset;
        let mut done = 0usize;
        while done < buf.len() {
            let (e, start) = match (self.extents.get(i), self.starts.get(i)) {
                (Some(e), Some(&s)) => (e, s),
                _ => return Err(ReadError::new(pos, len, "no extent maps this file offset")),
            };
            let within = pos - start;
            let take = (e.len - within).min((buf.len() - done) as u64) as usize;
            let part = &mut buf[done..done + take];
            if e.zeros {
                part.fill(0);
            } else {
                // Inside the medium: check_extents proved offset + len fits.
                let at = e.offset + within;
                self.medium.read_at(at, part).map_err(|err| {
                    ReadError::new(
                        pos,
                        take as u64,
                        format!("medium offset {at}: {}", err.reason),
                    )
                })?;
            }
            done += take;
            pos += take as u64;
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(extents: &[(u64, u64)], size: u64) -> MediumFile {
        MediumFile {
            path: "sources/install.wim".into(),
            size,
            extents: extents
                .iter()
                .map(|&(offset, len)| Extent {
                    offset,
                    len,
                    zeros: false,
                })
                .collect(),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn extent_past_the_end_of_the_medium() {
        let f = file(&[(0, 2048), (4096, 4096)], 6144);
        assert!(check_extents(&f, 8192).is_ok());
        let err = check_extents(&f, 8191).unwrap_err();
        assert!(
            matches!(err, MediumError::BadExtents { offset: 4096, .. }),
            "{err}"
        );
        let f = file(&[(u64::MAX - 10, 100)], 100);
        assert!(matches!(
            check_extents(&f, u64::MAX),
            Err(MediumError::BadExtents { .. })
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn overlapping_extents_of_one_file() {
        let f = file(&[(8192, 4096), (0, 2048), (10240, 2048)], 8192);
        let err = check_extents(&f, 1 << 20).unwrap_err();
        assert!(
            matches!(err, MediumError::BadExtents { offset: 10240, .. }),
            "{err}"
        );
        // Touching is not overlapping.
        assert!(check_extents(&file(&[(2048, 2048), (0, 2048)], 4096), 1 << 20).is_ok());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn extents_disagreeing_with_the_size() {
        let err = check_extents(&file(&[(0, 2048)], 2049), 1 << 20).unwrap_err();
        assert!(
            err.to_string()
                .contains("2048 bytes but the file's size is 2049"),
            "{err}"
        );
        let err = check_extents(&file(&[(0, u64::MAX), (0, 2)], 1), u64::MAX).unwrap_err();
        assert!(err.to_string().contains("overflow"), "{err}");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn absurd_extent_count() {
        let many: Vec<(u64, u64)> = (0..=MAX_EXTENTS_PER_FILE as u64).map(|i| (i, 1)).collect();
        let f = file(&many, many.len() as u64);
        assert!(matches!(
            check_extents(&f, 1 << 40),
            Err(MediumError::Limit { .. })
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reads_across_extents_out_of_medium_order() {
        let medium: Vec<u8> = (0..64u32).map(|i| i as u8).collect();
        // File = medium[40..50] + zeros(3) + medium[8..20].
        let mut f = file(&[(40, 10), (0, 3), (8, 12)], 25);
        f.extents[1].zeros = true;
        let r = ExtentReader::new(&medium, &f).unwrap();
        let mut all = vec![0u8; 25];
        r.read_at(0, &mut all).unwrap();
        let want: Vec<u8> = (40..50).chain([0, 0, 0]).chain(8..20).collect();
        assert_eq!(all, want);
        for off in 0..25 {
            for len in 0..=(25 - off) {
                let mut b = vec![0xEE; len];
                r.read_at(off as u64, &mut b).unwrap();
                assert_eq!(b, &want[off..off + len], "offset {off} len {len}");
            }
        }
        assert!(r.read_at(20, &mut [0u8; 6]).is_err());
        assert!(r.read_at(u64::MAX, &mut [0u8; 1]).is_err());
        assert!(!f.is_ascending());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn wims_are_found_by_name_and_split_sets_grouped() {
        assert!(is_wim_name("sources/install.wim"));
        assert!(is_wim_name("SOURCES/INSTALL.ESD"));
        assert!(is_wim_name("x/install2.Swm"));
        assert!(!is_wim_name("sources/install.wim.txt"));
        assert!(!is_wim_name("sources/.wim"));
        assert!(!is_wim_name("wim"));
        // A medium of 8 KiB: each file one 1 KiB extent; the split set's
        // first part counts 3 parts (header's total_parts), the third is
        // missing, and a part in another directory stays apart.
        use crate::format::header::{HEADER_SIZE, MAGIC, TOTAL_PARTS_AT};
        let mut medium = vec![0u8; 8192];
        let mut header = vec![0u8; HEADER_SIZE];
        header[..8].copy_from_slice(&MAGIC);
        header[TOTAL_PARTS_AT..TOTAL_PARTS_AT + 2].copy_from_slice(&3u16.to_le_bytes());
        medium[1024..1024 + HEADER_SIZE].copy_from_slice(&header);
        let names = [
            "README.TXT",
            "split/install2.swm",
            "split/install.swm",
            "sources/boot.wim",
            "other/install2.swm",
        ];
        let m = Medium {
            kind: FileSystemKind::Udf,
            files: names
                .iter()
                .enumerate()
                .map(|(i, p)| file_named(p, &[((i as u64) * 1024, 1024)], 1024))
                .collect(),
        };
        // install.swm is file 2, at 2048: give it the header there instead.
        let mut medium2 = medium.clone();
        medium2[1024..1024 + HEADER_SIZE].fill(0);
        medium2[2048..2048 + HEADER_SIZE].copy_from_slice(&header);
        assert_eq!(
            wim_sets(&m, &medium2).unwrap(),
            vec![vec![2, 1], vec![3], vec![4]]
        );
        medium.truncate(4096);
        assert!(matches!(
            wim_sets(&m, &medium),
            Err(MediumError::BadExtents { .. })
        ));
        // More WIMs than MAX_WIMS: refused before any is read.
        let many = Medium {
            kind: FileSystemKind::Iso9660,
            files: (0..=MAX_WIMS)
                .map(|i| file_named(&format!("w/{i}.wim"), &[(0, 0)], 0))
                .collect(),
        };
        assert!(matches!(
            wim_sets(&many, &Vec::new()),
            Err(MediumError::Limit { limit, .. }) if limit == MAX_WIMS as u64
        ));
    }

    fn file_named(path: &str, extents: &[(u64, u64)], size: u64) -> MediumFile {
        MediumFile {
            path: path.into(),
            ..file(extents, size)
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn not_install_media() {
        let zeros = vec![0u8; 300 * 2048];
        assert_eq!(open(&zeros), Err(MediumError::NotRecognized));
        assert_eq!(open(&Vec::new()), Err(MediumError::NotRecognized));
    }
}
