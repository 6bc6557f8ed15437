//! Findings: what the checks found, each with a stable code, a severity,
//! a message naming the structure and file offset, and a remedy.

pub use super::code::Code;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How bad a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A fact worth knowing; changes no verdict by itself.
    Info,
    /// Intact, but something may cause trouble.
    Warning,
    /// Intact, but deploying it is dangerous or will fail on every target.
    Blocker,
    /// The bytes are not what the image says they should be.
    Corruption,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identifier, `structure.problem` (e.g. `integrity.chunk_mismatch`).
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Absolute file offset the finding is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<u64>,
    /// File name of the split part the offset is in, for split sets.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub part: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remedy: Option<String>,
    /// True when the finding means part of the image could not be checked:
    /// the verdict can then be no better than `unverified`.
    #[serde(skip_serializing_if = "is_false", default)]
    pub unverified: bool,
    /// The image (its 1-based index) the finding is about, when it is
    /// about one image's directory tree.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<u32>,
    /// How many things (entries, streams, blobs, findings) the finding
    /// stands for, when it stands for several: a finding of the tree walk
    /// counts the entries, a summary of findings past
    /// [`MAX_FINDINGS_PER_CODE`] the findings it replaces.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<u64>,
    /// The first of them (at most [`MAX_EXAMPLES`]), each as the message
    /// names it: a path, with what is wrong with it in parentheses when
    /// the code covers several problems (`\a\aux.txt (reserved device
    /// name)`), or a blob table entry. The message lists the same ones.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub examples: Vec<String>,
    /// The blob the finding is about, if one is. It travels with the
    /// finding from a lane to the verifier, which names the first path
    /// using the blob in the message and takes it out of the report.
    #[serde(skip_serializing_if = "Option::is_none", default, with = "blob_hex")]
    pub blob: Option<[u8; 20]>,
}

/// A blob's SHA-1 as 40 hex digits.
mod blob_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<[u8; 20]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => s.serialize_str(&crate::format::hex(h)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 20]>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => crate::format::parse_hex::<20>(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("a blob SHA-1 is 40 hex digits")),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Finding {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity,
            message: message.into(),
            offset: None,
            part: None,
            remedy: None,
            unverified: false,
            image: None,
            count: None,
            examples: Vec::new(),
            blob: None,
        }
    }
    pub fn corruption(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Corruption, message)
    }
    pub fn blocker(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Blocker, message)
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    /// Something that could not be checked.
    pub fn unverified(code: Code, message: impl Into<String>) -> Self {
        Finding {
            unverified: true,
            ..Self::new(code, Severity::Info, message)
        }
    }
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
    /// The blob this finding is about.
    pub fn about_blob(mut self, sha1: [u8; 20]) -> Self {
        self.blob = Some(sha1);
        self
    }
    pub fn in_part(mut self, part: Option<&str>) -> Self {
        self.part = part.map(str::to_string);
        self
    }
    /// The image (1-based) this finding is about.
    pub fn in_image(mut self, image: u32) -> Self {
        self.image = Some(image);
        self
    }
    /// How many things the finding stands for, and the first of them.
    pub fn examples(mut self, count: u64, examples: Vec<String>) -> Self {
        self.count = Some(count);
        self.examples = examples;
        self
    }
}

/// Examples a finding keeps of the things it stands for (paths, entries);
/// beyond that they are only counted, so a tree of a million bad names
/// gives a finding of bounded size.
pub const MAX_EXAMPLES: usize = 20;

/// Findings of one code listed in a report; beyond that they are counted
/// in one summary finding, so a file with millions of bad entries, blobs or
/// chunks gives a report (and a memory footprint) of bounded size.
pub const MAX_FINDINGS_PER_CODE: usize = 200;

/// Collects findings, keeping at most [`MAX_FINDINGS_PER_CODE`] of each code.
#[derive(Default)]
pub struct Capped {
    /// Per code: how many were kept, and the first dropped one with the
    /// number dropped.
    codes: HashMap<Code, (usize, Option<(Finding, u64)>)>,
}

impl Capped {
    pub fn push(&mut self, out: &mut Vec<Finding>, f: Finding) {
        let e = self.codes.entry(f.code).or_insert((0, None));
        if e.0 < MAX_FINDINGS_PER_CODE {
            e.0 += 1;
            out.push(f);
        } else {
            match &mut e.1 {
                Some((_, n)) => *n += 1,
                None => e.1 = Some((f, 1)),
            }
        }
    }

    /// One finding per code that overflowed, saying how many were dropped
    /// (with the severity of the dropped ones).
    pub fn summaries(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .codes
            .into_iter()
            .filter_map(|(code, (kept, dropped))| {
                let (first, n) = dropped?;
                Some(Finding {
                    message: format!("{n} more findings like the {kept} above ({code}) are not listed; the first of them: {}", first.message),
                    count: Some(n),
                    ..first
                })
            })
            .collect();
        out.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        out
    }
}

/// `n thing` or `n things`, for finding messages that count.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `one` when `n` is 1, else `many` (a verb agreeing with a count).
pub fn agree<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Remedies used in several places.
pub mod remedies {
    pub const RECOPY: &str = "Copy the image again from a known-good source (compare its SHA-256 with the source's), or recapture it.";
    pub const EXPORT: &str = "Rebuild the image with `DISM /Export-Image /SourceImageFile:<in> /SourceIndex:<n> /DestinationImageFile:<out> /Compress:max` (or `wimlib-imagex export`).";
    /// A tree names blobs the WIM does not hold: a copy that lost data, or
    /// a delta captured against a base (`--delta-from`) verified alone.
    pub const MISSING_BLOBS: &str = "Copy the image again from a known-good source, or recapture it. If it is a delta WIM (captured with `--delta-from`) or its data lives in other WIMs, verify it with them: `wimproof --ref BASE.wim DELTA.wim` (in the page, drop them together), as `wimlib-imagex verify --ref` does.";
    pub const KB971413: &str = "Install KB 971413 (or ConfigMgr 2007 SP2) on the parent site server of the multicast distribution points, or deploy this image by unicast.";
}
