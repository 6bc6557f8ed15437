//! Finding codes: one enum, each variant with its stable string (the JSON
//! report's `code`, `structure.problem`) and a line of explanation. The
//! README's table of codes is made from [`Code::ALL`] (a test fails when the
//! two drift apart).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $s:literal: $what:literal,)*) => {
        /// What a finding is about. New codes may be added (the JSON
        /// schema changes only by additions), so matches need a wildcard.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in the order of the README's table.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The stable string of the report, `structure.problem`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $s,)*
                }
            }

            /// One line on what the code means, for the README and tools.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$name => $what,)*
                }
            }

            /// The code with this string.
            pub fn parse(s: &str) -> Option<Code> {
                match s {
                    $($s => Some(Code::$name),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    HeaderTruncated = "header.truncated": "the file is shorter than the 208-byte WIM header",
    HeaderMagic = "header.magic": "the file does not start with a WIM magic (MSWIM or WLPWM)",
    HeaderPipableTrailer = "header.pipable_trailer": "a pipable WIM lacks the header copy in its last 208 bytes",
    HeaderSize = "header.size": "the header's size field is not 208",
    HeaderVersion = "header.version": "the version is neither 0x10d00 nor 0xe00",
    HeaderUnknownFlags = "header.unknown_flags": "flag bits no reader knows are set",
    HeaderWriteInProgress = "header.write_in_progress": "the WRITE_IN_PROGRESS flag: a writer stopped before finishing",
    HeaderCompression = "header.compression": "the compression flags name no known codec, or a codec without COMPRESSION",
    HeaderChunkSize = "header.chunk_size": "the chunk size is not one readers accept for the codec",
    HeaderPart = "header.part": "the part number or part count is impossible, or SPANNED is missing",
    HeaderImageCount = "header.image_count": "more images than readers accept",
    HeaderBootIndex = "header.boot_index": "the boot index is above the image count",
    HeaderBootMetadata = "header.boot_metadata": "the header's copy of the boot image's metadata entry differs from it",
    HeaderBootNotWinpe = "header.boot_not_winpe": "the boot index names a Windows install image, not Windows PE",
    HeaderGuid = "header.guid": "the GUID is all zeros",
    HeaderReshdrOutOfFile = "header.reshdr_out_of_file": "a table the header points at ends past the end of the file",
    HeaderSolidResource = "header.solid_resource": "a header table carries the SOLID flag and cannot be read",
    HeaderIncomplete = "header.incomplete": "neither a blob table nor XML is recorded",
    SplitGuidMismatch = "split.guid_mismatch": "a part belongs to another split set",
    SplitDuplicatePart = "split.duplicate_part": "two files claim the same part number",
    SplitMissingPart = "split.missing_part": "parts of the split set were not given",
    MediumBootArchitecture = "medium.boot_architecture": "on one medium, boot.wim's Windows PE is of another architecture than the install images",
    MediumSecondPass = "medium.second_pass": "a WIM on install media whose extents are not in ascending order (or read as zeros) was read in its own order, in a second pass",
    BlobtableCompressed = "blobtable.compressed": "the blob table is stored compressed, which wimproof does not read",
    BlobtableTooLarge = "blobtable.too_large": "the blob table has more entries than the limit",
    BlobtableSize = "blobtable.size": "the blob table is not a whole number of 50-byte entries",
    BlobtableSizeMismatch = "blobtable.size_mismatch": "an uncompressed blob's stored size differs from its size",
    BlobtableWrongPart = "blobtable.wrong_part": "an entry names another part than the one holding it; readers ignore it",
    BlobtableDuplicateHash = "blobtable.duplicate_hash": "two entries hold the same blob; readers use one",
    BlobtableSolidInOldVersion = "blobtable.solid_in_old_version": "a solid entry in a version 0x10d00 WIM",
    BlobtableSolidMetadata = "blobtable.solid_metadata": "image metadata inside a solid resource, which readers refuse",
    BlobtableSolidHeader = "blobtable.solid_header": "a solid resource is too small for its header",
    BlobtableSolidUnassigned = "blobtable.solid_unassigned": "a blob of a solid run lies in no solid resource",
    BlobtableSolidOverlap = "blobtable.solid_overlap": "blobs overlap inside a solid resource",
    BlobtableMetadataInLaterPart = "blobtable.metadata_in_later_part": "a metadata entry outside part 1; readers ignore it",
    BlobtableMetadataRefcount = "blobtable.metadata_refcount": "a metadata entry's reference count is above 1",
    BlobtableMetadataCount = "blobtable.metadata_count": "fewer metadata resources than images",
    BlobtableMetadataExtra = "blobtable.metadata_extra": "more metadata resources than images; readers ignore the rest",
    BlobtableOutOfFile = "blobtable.out_of_file": "a resource ends past the end of the file",
    BlobtableOverlapsHeader = "blobtable.overlaps_header": "a resource starts inside the header",
    BlobtableOverlap = "blobtable.overlap": "two resources overlap in the file",
    BlobtableCompressedInUncompressedWim = "blobtable.compressed_in_uncompressed_wim": "a compressed resource in a WIM whose header names no codec",
    BlobtableRefcount = "blobtable.refcount": "stored reference counts differ from the trees (readers recount them)",
    BlobtableUnreferenced = "blobtable.unreferenced": "blobs no image uses (wasted space)",
    IntegrityAbsent = "integrity.absent": "no integrity table; the data is checked through the blob SHA-1s",
    IntegrityLayout = "integrity.layout": "the integrity table's layout does not fit the file",
    IntegrityChunkMismatch = "integrity.chunk_mismatch": "an integrity chunk's SHA-1 differs from the table's",
    IntegrityUnchecked = "integrity.unchecked": "integrity chunks could not be checked",
    XmlCompressed = "xml.compressed": "the XML is stored compressed, which wimproof does not read",
    XmlTooLarge = "xml.too_large": "the XML is larger than the limit",
    XmlInvalid = "xml.invalid": "the XML cannot be parsed",
    XmlEncrypted = "xml.encrypted": "an encrypted ESD: its resources cannot be checked",
    XmlImageCount = "xml.image_count": "the XML describes another number of images than the header",
    XmlIndexes = "xml.indexes": "the XML's image indexes are not 1..N",
    XmlCounts = "xml.counts": "the XML's file and directory counts differ from the tree",
    XmlInstallProperties = "xml.install_properties": "an install image's XML lacks EDITIONID, FLAGS, INSTALLATIONTYPE, LANGUAGES or ARCH, which Setup reads",
    MetadataTooLarge = "metadata.too_large": "a metadata resource declares more bytes than the limit",
    MetadataCompressedInUncompressedWim = "metadata.compressed_in_uncompressed_wim": "compressed metadata in a WIM whose header names no codec",
    MetadataUndecodable = "metadata.undecodable": "a metadata resource cannot be decompressed",
    MetadataUnverified = "metadata.unverified": "a metadata resource could not be checked",
    MetadataHashMismatch = "metadata.hash_mismatch": "a metadata resource's SHA-1 differs from its entry's",
    MetadataInvalid = "metadata.invalid": "the directory tree or security data is malformed",
    MetadataDangerousPath = "metadata.dangerous_path": "`..`, `.`, empty or separator-bearing names that extract outside the target",
    MetadataWindowsName = "metadata.windows_name": "names Windows cannot create",
    MetadataDuplicateName = "metadata.duplicate_name": "names repeated in one directory, ignoring case",
    MetadataSkippedBlobMissing = "metadata.skipped_blob_missing": "entries readers skip name blobs the WIM lacks",
    MetadataBlobMissing = "metadata.blob_missing": "streams name blobs the WIM lacks (a delta needs its base: --ref)",
    MetadataBlobElsewhere = "metadata.blob_elsewhere": "streams name blobs that may be in split parts not given",
    ResourceHashMismatch = "resource.hash_mismatch": "a blob's SHA-1 differs from its entry's",
    ResourceUndecodable = "resource.undecodable": "a resource cannot be decompressed",
    ResourceUnverified = "resource.unverified": "a resource could not be checked",
    DigestMismatch = "digest.mismatch": "the whole-file digest differs from the expected one",
    DigestNotComputed = "digest.not_computed": "an expected digest was given but not computed",
    InternalMissingResults = "internal.missing_results": "tasks of the plan reported no result",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let s = String::deserialize(d)?;
        Code::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(Code::parse(c.as_str()), Some(c));
            let (structure, problem) = c.as_str().split_once('.').expect("structure.problem");
            assert!(!structure.is_empty() && !problem.is_empty());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), c);
        }
        assert!(serde_json::from_str::<Code>("\"no.such_code\"").is_err());
    }
}
