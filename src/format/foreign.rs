//! Files that are not WIMs but something an admin may well drop in their
//! place: a virtual disk, an archive, a flash image, a disc image. Each is
//! recognised by its own magic bytes at a documented offset, so that it is
//! reported as what it is (an error, never a verdict) instead of as a WIM
//! with a damaged header.
//!
//! A file that starts with a WIM magic (`MSWIM\0\0\0` or `WLPWM\0\0\0`) is
//! never foreign. A file with neither a WIM magic nor one of these stays a
//! damaged WIM (`header.magic`, corrupt), as wimlib reports it: 1024 zero
//! bytes are a WIM whose header was lost, not some other format.
//!
//! The detection only reads: at most [`PROBE`] bytes at each of three places
//! (the start, sector 16 of a disc image, the last 512 bytes).

use crate::format::header::{MAGIC, PIPABLE_MAGIC};
use crate::read::{ReadAt, ReadError};

/// Bytes read at each probed place.
pub const PROBE: usize = 512;
/// Sectors of the volume recognition area scanned for a UDF `NSR0x`
/// descriptor (ECMA-167 2/8.3: it follows `BEA01` within a few sectors;
/// Windows media put it at sector 18 or 19).
const VRS_SECTORS: u64 = 16;
/// Offset of sector 16 of a disc image of 2048-byte sectors: the first
/// volume descriptor (ECMA-119 8.1) or volume structure descriptor
/// (ECMA-167 2/9.1); each begins with a type byte and a 5-byte identifier.
const VOLUME_AREA: u64 = 16 * 2048;

/// What a non-WIM file looks like.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Foreign {
    /// A Virtual PC / Hyper-V virtual hard disk (`.vhd`).
    Vhd,
    /// A Hyper-V virtual hard disk, version 2 (`.vhdx`).
    Vhdx,
    /// A ZIP archive.
    Zip,
    /// A Microsoft cabinet (`.cab`).
    Cab,
    /// A 7-Zip archive.
    SevenZip,
    /// A Full Flash Update image (`.ffu`, written by DISM /Capture-FFU).
    Ffu,
    /// A disc image with an ISO 9660 file system (a Windows ISO also has
    /// UDF: see `udf`).
    Iso {
        /// A UDF volume recognition sequence (an `NSR02`/`NSR03`
        /// descriptor) is present.
        udf: bool,
    },
}

impl Foreign {
    /// A stable short name (the JSON's and the page's).
    pub fn id(self) -> &'static str {
        match self {
            Foreign::Vhd => "vhd",
            Foreign::Vhdx => "vhdx",
            Foreign::Zip => "zip",
            Foreign::Cab => "cab",
            Foreign::SevenZip => "7z",
            Foreign::Ffu => "ffu",
            Foreign::Iso { .. } => "iso",
        }
    }

    /// What it is, for a sentence ("it looks like ...").
    pub fn what(self) -> &'static str {
        match self {
            Foreign::Vhd => "a VHD virtual hard disk",
            Foreign::Vhdx => "a VHDX virtual hard disk",
            Foreign::Zip => "a ZIP archive",
            Foreign::Cab => "a Microsoft cabinet (CAB) archive",
            Foreign::SevenZip => "a 7-Zip archive",
            Foreign::Ffu => "an FFU (Full Flash Update) image",
            Foreign::Iso { .. } => "install media (ISO)",
        }
    }

    /// The evidence: which bytes where.
    pub fn evidence(self) -> &'static str {
        match self {
            Foreign::Vhd => "the VHD footer cookie \"conectix\" in its last 512 bytes",
            Foreign::Vhdx => "the VHDX file type identifier \"vhdxfile\" at offset 0",
            Foreign::Zip => "a ZIP signature \"PK\" at offset 0",
            Foreign::Cab => "the cabinet signature \"MSCF\" at offset 0",
            Foreign::SevenZip => "the 7z signature at offset 0",
            Foreign::Ffu => "the FFU security header signature \"SignedImage \" at offset 4",
            Foreign::Iso { .. } => "a volume descriptor at offset 32768 (sector 16)",
        }
    }

    /// What to do instead, one line.
    pub fn remedy(self) -> &'static str {
        match self {
            Foreign::Iso { .. } => "give the ISO on its own (`wimproof FILE.iso`): every WIM on it is then verified in place",
            Foreign::Vhd | Foreign::Vhdx => "a virtual disk is not a WIM: capture the volume into a WIM (`dism /Capture-Image` or `wimlib-imagex capture`) and verify that",
            Foreign::Ffu => "an FFU is applied with `dism /Apply-FFU`, not as a WIM; give wimproof the WIM it was made from, if any",
            Foreign::Zip | Foreign::Cab | Foreign::SevenZip => "extract the archive and verify the WIM inside it",
        }
    }

    /// The whole message: what the file looks like, by which bytes, and
    /// what to do. Install media are named as such: the drivers verify an
    /// ISO given on its own in place (`crate::medium`), so this is said only
    /// of an ISO among the parts of a split set or given as a reference.
    pub fn message(self) -> String {
        match self {
            Foreign::Iso { udf } => format!(
                "install media (ISO; {} file system, {}), not a part of a WIM set or a reference WIM; {}",
                if udf { "UDF and ISO 9660" } else { "ISO 9660" },
                self.evidence(),
                self.remedy()
            ),
            _ => format!(
                "not a WIM file: it looks like {} ({}); {}",
                self.what(),
                self.evidence(),
                self.remedy()
            ),
        }
    }
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what())
    }
}

/// The bytes of `r` at `offset`, up to `PROBE` of them (fewer at the end).
fn probe(r: &dyn ReadAt, offset: u64, len: usize) -> Result<Vec<u8>, ReadError> {
    let n = r.size().saturating_sub(offset).min(len as u64) as usize;
    let mut b = vec![0u8; n];
    if n > 0 {
        r.read_at(offset, &mut b)?;
    }
    Ok(b)
}

/// What `r` looks like if it is not a WIM but a recognised other format;
/// `None` for a WIM (even a damaged one) or an unknown file.
pub fn detect(r: &dyn ReadAt) -> Result<Option<Foreign>, ReadError> {
    let head = probe(r, 0, PROBE)?;
    let size = r.size();
    let tail = probe(r, size.saturating_sub(PROBE as u64), PROBE)?;
    let mut volume = Vec::new();
    if size > VOLUME_AREA {
        volume = probe(r, VOLUME_AREA, 8)?;
    }
    let mut detected = classify(&head, &tail, &volume);
    if let Some(Foreign::Iso { udf }) = &mut detected {
        // ECMA-167 2/9.1: the NSR descriptor is one of the volume structure
        // descriptors in the sectors after sector 16, before a TEA01.
        for s in 0..VRS_SECTORS {
            let off = VOLUME_AREA + s * 2048;
            if off >= size {
                break;
            }
            let d = probe(r, off, 8)?;
            if d.get(1..6)
                .is_some_and(|id| id == b"NSR02" || id == b"NSR03")
            {
                *udf = true;
                break;
            }
            if d.get(1..6) == Some(b"TEA01") {
                break;
            }
        }
    }
    Ok(detected)
}

/// [`detect`] on bytes already read: `head` from offset 0, `tail` the last
/// bytes of the file (up to 512), `volume` from offset 32768 (empty when
/// the file is not longer). A UDF-only disc is reported as `Iso { udf:
/// false }` here: finding its `NSR0x` needs the sectors after 16.
pub fn classify(head: &[u8], tail: &[u8], volume: &[u8]) -> Option<Foreign> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&MAGIC) || starts(&PIPABLE_MAGIC) {
        return None;
    }
    // MS-VHDX 2.2.1: the file type identifier's signature, 8 bytes at 0.
    if starts(b"vhdxfile") {
        return Some(Foreign::Vhdx);
    }
    // Virtual Hard Disk Image Format Specification (Microsoft, 2006),
    // "Hard Disk Footer Format": the footer's cookie is "conectix". A fixed
    // disk has it in the last 512 bytes only (some old writers: the last
    // 511); a dynamic or differencing disk also has a copy at offset 0.
    if starts(b"conectix")
        || tail.len() >= 512 && tail[tail.len() - 512..].starts_with(b"conectix")
        || tail.len() >= 511 && tail[tail.len() - 511..].starts_with(b"conectix")
    {
        return Some(Foreign::Vhd);
    }
    // PKWARE APPNOTE.TXT 4.3.7 (local file header 0x04034b50), 4.3.16 (end
    // of central directory 0x06054b50: an empty archive) and 8.5.3 (the
    // spanning marker 0x08074b50 that starts a split archive's first part).
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return Some(Foreign::Zip);
    }
    // Microsoft Cabinet Format, CFHEADER: signature "MSCF", then a reserved
    // u32 that must be 0.
    if starts(b"MSCF\0\0\0\0") {
        return Some(Foreign::Cab);
    }
    // 7-Zip's 7zFormat.txt, SignatureHeader: '7' 'z' BC AF 27 1C.
    if starts(b"7z\xBC\xAF\x27\x1C") {
        return Some(Foreign::SevenZip);
    }
    // "FFU image format" (Windows hardware docs): SECURITY_HEADER is cbSize
    // (u32) then the 12-byte signature "SignedImage ".
    if head.get(4..16) == Some(b"SignedImage ") {
        return Some(Foreign::Ffu);
    }
    // ECMA-119 8.1 (volume descriptor: type, "CD001") and ECMA-167 2/9.1
    // (volume structure descriptor: type 0, "BEA01" opening the extended
    // area of a UDF disc, or an "NSR02"/"NSR03" descriptor) at sector 16.
    let id = volume.get(1..6);
    if id == Some(b"CD001") {
        return Some(Foreign::Iso { udf: false });
    }
    if matches!(id, Some(b"BEA01" | b"NSR02" | b"NSR03")) {
        return Some(Foreign::Iso { udf: true });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_wim_or_unknown_bytes_are_not_foreign() {
        let mut wim = MAGIC.to_vec();
        wim.resize(208, 0);
        assert_eq!(detect(&wim).unwrap(), None);
        // A WIM whose magic was lost stays a (damaged) WIM.
        assert_eq!(detect(&[0u8; 1024].to_vec()).unwrap(), None);
        assert_eq!(detect(&[].to_vec()).unwrap(), None);
        assert_eq!(detect(&b"PK".to_vec()).unwrap(), None);
        // A WIM magic wins over anything later in the file.
        let mut w = MAGIC.to_vec();
        w.extend_from_slice(b"conectix");
        w.resize(600, 0);
        w[88..96].copy_from_slice(b"conectix");
        assert_eq!(detect(&w).unwrap(), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn short_files_are_probed_without_reading_past_the_end() {
        assert_eq!(
            detect(&b"MSCF\0\0\0\0".to_vec()).unwrap(),
            Some(Foreign::Cab)
        );
        assert_eq!(detect(&b"vhdxfile".to_vec()).unwrap(), Some(Foreign::Vhdx));
        // A VHD footer alone is 512 bytes.
        let mut footer = b"conectix".to_vec();
        footer.resize(512, 0);
        assert_eq!(detect(&footer).unwrap(), Some(Foreign::Vhd));
    }
}
