//! Deployment targets and the rules that turn findings and facts into a
//! verdict per target. The whole rule table is in [`evaluate`] and is
//! mirrored in the README; sources are in `multicast.md`.

use crate::codec::Codec;
use crate::verify::facts::Facts;
use crate::verify::finding::{counted, remedies, Finding, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetId {
    /// ConfigMgr current branch (content hashed with SHA-256).
    #[serde(rename = "configmgr")]
    ConfigMgr,
    /// ConfigMgr 2007 SP1/R2 without KB 971413 or SP2.
    #[serde(rename = "configmgr2007-unpatched")]
    ConfigMgr2007Unpatched,
    /// ConfigMgr 2007 with KB 971413 or SP2.
    #[serde(rename = "configmgr2007-patched")]
    ConfigMgr2007Patched,
    /// Windows Deployment Services multicast.
    #[serde(rename = "wds")]
    Wds,
    /// Standalone media on a FAT32 USB stick.
    #[serde(rename = "usb-fat32")]
    UsbFat32,
}

impl TargetId {
    /// The target when none is chosen.
    pub const DEFAULT: TargetId = TargetId::ConfigMgr;
    /// Every target, in the order the report, the CLI and the page list
    /// them.
    pub const ALL: [TargetId; 5] = [
        TargetId::ConfigMgr,
        TargetId::ConfigMgr2007Unpatched,
        TargetId::ConfigMgr2007Patched,
        TargetId::Wds,
        TargetId::UsbFat32,
    ];
    pub fn id(self) -> &'static str {
        match self {
            TargetId::ConfigMgr => "configmgr",
            TargetId::ConfigMgr2007Unpatched => "configmgr2007-unpatched",
            TargetId::ConfigMgr2007Patched => "configmgr2007-patched",
            TargetId::Wds => "wds",
            TargetId::UsbFat32 => "usb-fat32",
        }
    }
    /// The target's name for people: the one spelling, used by the report,
    /// the CLI's help and the page.
    pub fn title(self) -> &'static str {
        match self {
            TargetId::ConfigMgr => "ConfigMgr (current branch) multicast",
            TargetId::ConfigMgr2007Unpatched => {
                "ConfigMgr 2007 SP1/R2 multicast, without KB 971413"
            }
            TargetId::ConfigMgr2007Patched => "ConfigMgr 2007 multicast, with KB 971413 or SP2",
            TargetId::Wds => "WDS multicast",
            TargetId::UsbFat32 => "FAT32 USB media",
        }
    }
    pub fn parse(s: &str) -> Option<TargetId> {
        TargetId::ALL.into_iter().find(|t| t.id() == s)
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A verdict for one target. Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Intact and nothing stands in the way.
    Safe,
    /// Intact, expected to work, with caveats.
    Warning,
    /// Nothing found wrong, but some part could not be checked.
    Unverified,
    /// Intact, but this target will fail or is endangered.
    Unsafe,
    /// The image is damaged.
    Corrupt,
}

impl Verdict {
    /// Every verdict, best first (the order of `Ord`).
    pub const ALL: [Verdict; 5] = [
        Verdict::Safe,
        Verdict::Warning,
        Verdict::Unverified,
        Verdict::Unsafe,
        Verdict::Corrupt,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Warning => "warning",
            Verdict::Unverified => "unverified",
            Verdict::Unsafe => "unsafe",
            Verdict::Corrupt => "corrupt",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One reason behind a target's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The verdict this reason alone would give.
    pub verdict: Verdict,
    /// Stable code of the rule (or of the finding it comes from).
    pub code: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kb: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remedy: Option<String>,
}

impl Reason {
    /// A few words for a one-line listing (the CLI's target lines), for
    /// the rules of [`evaluate`] and the finding codes (their explanation);
    /// `None` for a code neither knows. `text` says it in full.
    pub fn summary(&self) -> Option<&'static str> {
        reason_summary(&self.code)
    }
}

/// [`Reason::summary`] of a reason with this code (the page asks by code).
pub fn reason_summary(code: &str) -> Option<&'static str> {
    rule_summary(code).or_else(|| crate::verify::code::Code::parse(code).map(|c| c.explanation()))
}

/// The few words of each rule code [`evaluate`] gives (finding codes
/// explain themselves).
fn rule_summary(code: &str) -> Option<&'static str> {
    Some(match code {
        "corrupt" => "damaged: fails on every target",
        "unverified" => "parts could not be checked",
        "format.pipable" => "pipable WIM, which Microsoft's tools cannot read",
        "format.lzx_chunk_size" => "LZX chunks other than 32 KiB",
        "format.lzms_chunk_size" => "LZMS chunks over 64 MiB",
        "format.xpress_chunk_size" => "XPRESS chunks other than 32 KiB",
        "format.split" => "split image (.swm); needs one .wim",
        "format.needs_reference" => "not self-contained: needs its base WIM",
        "format.solid" => "solid/LZMS (ESD-style) image: needs WinPE 5.0 or later",
        "size.4gib_hash" => "4 GiB or more: the hash fails without KB 971413",
        "content.zero_runs" => "all-zero blocks a sparse-writing client may fail on",
        "boot.no_wds_tools" => "boot image lacks WinPE-WDS-Tools",
        "size.fat32" => "a file of 4 GiB or more does not fit on FAT32",
        "size.huge_image" => "an image expands to over 60 GB",
        "integrity.absent" => "no integrity table",
        _ => return None,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetResult {
    pub id: TargetId,
    pub title: String,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

const FOUR_GIB: u64 = 1 << 32;
/// The part size the FAT32 remedy proposes (`/FileSize:3800`, in MiB): a
/// part is its resources plus a header, blob table and XML of a few MiB
/// at most, so 3800 MiB parts stay well under FAT32's 4 GiB - 1.
const FAT32_PART_MIB: u64 = 3800;
/// Room a part needs beside its resources (header, blob table, XML) that
/// the remedy allows for when it asks whether a resource fits in a part.
const PART_OVERHEAD: u64 = 64 << 20;

/// How to get an image too large for FAT32 onto a FAT32 stick. A split
/// puts each resource whole into one part, so the parts it would give are
/// estimated from the file's size and said to be approximate; a resource
/// that is itself near 4 GiB cannot be split small enough; a split set is
/// joined and split again; and solid resources must be exported first,
/// since `wimlib-imagex split` refuses them.
fn fat32_remedy(facts: &Facts) -> String {
    let part = FAT32_PART_MIB << 20;
    let split_cmd = format!(
        "`DISM /Split-Image /ImageFile:install.wim /SWMFile:install.swm /FileSize:{FAT32_PART_MIB}` (or `wimlib-imagex split install.wim install.swm {FAT32_PART_MIB}`)"
    );
    if facts.solid {
        return format!("This image has solid resources, which `wimlib-imagex split` refuses: first export each index to a non-solid WIM (`DISM /Export-Image /SourceImageFile:install.esd /SourceIndex:N /DestinationImageFile:install.wim /Compress:max`, once per index N), then split that with {split_cmd}; or use NTFS media.");
    }
    if facts.largest_resource.saturating_add(PART_OVERHEAD) >= FOUR_GIB {
        return format!("A split cannot help: one resource is {} bytes and a split keeps each resource whole in one part. Use NTFS media (or a stick with a FAT32 boot partition and an NTFS partition for `sources`).", facts.largest_resource);
    }
    let join = if facts.parts > 1 {
        "Join the parts first (`wimlib-imagex join install.wim install*.swm`, or `DISM /Export-Image /SourceImageFile:install.swm /SWMFile:install*.swm /SourceIndex:N /DestinationImageFile:install.wim` per index), then split again with "
    } else {
        "Split it for FAT32 media with "
    };
    let n = facts.total_size.div_ceil(part).max(2);
    let last = facts.total_size.saturating_sub((n - 1) * part);
    format!(
        "{join}{split_cmd}: about {n} parts, {} of up to {FAT32_PART_MIB} MiB and the last of about {} MiB (a split keeps each resource whole, so the sizes are approximate); or use NTFS media.",
        n - 1,
        last.div_ceil(1 << 20)
    )
}
/// Images larger than this fail ConfigMgr's single-index extraction.
const HUGE_IMAGE: u64 = 60_000_000_000;
/// All-zero 64 KiB blocks beyond which a sparse-writing client is likely
/// to punch holes (KB 2709963); a heuristic, so it only warns.
const SPARSE_ZERO_BLOCKS: u64 = 16;

fn reason(
    verdict: Verdict,
    code: &str,
    text: impl Into<String>,
    kb: Option<&str>,
    remedy: Option<&str>,
) -> Reason {
    Reason {
        verdict,
        code: code.into(),
        text: text.into(),
        kb: kb.map(Into::into),
        remedy: remedy.map(Into::into),
    }
}

/// Whether the image is intact: `Some(false)` if any corruption was found,
/// `None` if something could not be checked, else `Some(true)`.
pub fn intact(findings: &[Finding]) -> Option<bool> {
    if findings.iter().any(|f| f.severity == Severity::Corruption) {
        Some(false)
    } else if findings.iter().any(|f| f.unverified) {
        None
    } else {
        Some(true)
    }
}

/// The rule table: the verdict of one target.
pub fn evaluate(
    target: TargetId,
    findings: &[Finding],
    facts: &Facts,
    zero_blocks: Option<u64>,
) -> TargetResult {
    use TargetId::*;
    use Verdict::*;
    let mut rs: Vec<Reason> = Vec::new();

    // Any target: what the checks found.
    let corrupt: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Corruption)
        .collect();
    if !corrupt.is_empty() {
        rs.push(reason(
            Corrupt,
            "corrupt",
            format!(
                "{}; first: {}",
                counted(
                    corrupt.len() as u64,
                    "corruption finding",
                    "corruption findings"
                ),
                corrupt[0].message
            ),
            None,
            Some(remedies::RECOPY),
        ));
    }
    for f in findings.iter().filter(|f| f.severity == Severity::Blocker) {
        rs.push(reason(
            Unsafe,
            f.code.as_str(),
            f.message.clone(),
            None,
            f.remedy.as_deref(),
        ));
    }
    let unverified: Vec<&Finding> = findings.iter().filter(|f| f.unverified).collect();
    if !unverified.is_empty() {
        rs.push(reason(
            Unverified,
            "unverified",
            format!(
                "{} of the image could not be checked; first: {}",
                counted(unverified.len() as u64, "part", "parts"),
                unverified[0].message
            ),
            None,
            None,
        ));
    }

    // A delta verified with its base is intact only with that base, which
    // no deployment target is given: ConfigMgr, WDS and DISM take one WIM
    // (or a split set), never a WIM plus the WIMs it takes blobs from.
    if facts.references > 0 {
        rs.push(reason(
            Unsafe,
            "format.needs_reference",
            "the image takes blobs from other WIMs (a delta verified with its base): deployment tools are given this WIM alone",
            None,
            Some("Export it to a self-contained WIM first: `wimlib-imagex export DELTA.wim 1 FULL.wim --ref BASE.wim` (then verify FULL.wim)."),
        ));
    }
    // Formats Microsoft's software does not read (every target uses it).
    if facts.pipable {
        rs.push(reason(
            Unsafe,
            "format.pipable",
            "pipable WIM (a wimlib extension): Microsoft's tools cannot read it",
            None,
            Some(remedies::EXPORT),
        ));
    }
    if let Some(c) = facts.codec {
        if c == Codec::Lzx && facts.chunk_size != 32768 && facts.chunk_size != 0 {
            rs.push(reason(Unsafe, "format.lzx_chunk_size", format!("LZX with {}-byte chunks: Microsoft's WIMGAPI and DISM read only 32 KiB LZX chunks", facts.chunk_size), None, Some(remedies::EXPORT)));
        }
        if c == Codec::Lzms && facts.chunk_size > (1 << 26) {
            rs.push(reason(
                Unsafe,
                "format.lzms_chunk_size",
                format!(
                    "LZMS with {}-byte chunks: Microsoft's tools read at most 64 MiB",
                    facts.chunk_size
                ),
                None,
                Some(remedies::EXPORT),
            ));
        }
        if c == Codec::Xpress && facts.chunk_size != 32768 && facts.chunk_size != 0 {
            rs.push(reason(Warning, "format.xpress_chunk_size", format!("XPRESS with {}-byte chunks: Microsoft's default is 32 KiB and older WIMGAPI support for other sizes is unconfirmed", facts.chunk_size), None, Some(remedies::EXPORT)));
        }
    }
    let esd = facts.solid || facts.lzms;
    let split = facts.parts > 1;
    let size = facts.total_size;

    match target {
        ConfigMgr | ConfigMgr2007Unpatched | ConfigMgr2007Patched | Wds => {
            if split {
                rs.push(reason(Unsafe, "format.split", "split image (.swm): OS images and multicast packages are single .wim files", None, Some("Join the parts with `DISM /Export-Image /SourceImageFile:install.swm /SWMFile:install*.swm ...` or `wimlib-imagex join`.")));
            }
        }
        UsbFat32 => {}
    }
    match target {
        ConfigMgr => {
            if esd {
                rs.push(reason(Warning, "format.solid", "solid/LZMS (ESD-style) image: needs WinPE 5.0 (Windows 8.1) or later to apply, and ConfigMgr documents OS images as WIM", None, Some(remedies::EXPORT)));
            }
        }
        ConfigMgr2007Unpatched | ConfigMgr2007Patched => {
            if esd {
                rs.push(reason(Unsafe, "format.solid", "solid/LZMS (ESD-style) image: the WinPE 2.x/3.x boot images of ConfigMgr 2007 cannot apply it", None, Some(remedies::EXPORT)));
            }
            if target == ConfigMgr2007Unpatched && size >= FOUR_GIB {
                rs.push(reason(Unsafe, "size.4gib_hash", format!("the file is {size} bytes, 4 GiB or more: ConfigMgr 2007 SP1/R2 computes its hash wrongly, so multicast fails right after the download with 0x80091007"), Some("KB 971413, KB 2000470"), Some(remedies::KB971413)));
            }
            if let Some(z) = zero_blocks {
                if z >= SPARSE_ZERO_BLOCKS {
                    rs.push(reason(Warning, "content.zero_runs", format!("{z} all-zero 64 KiB blocks: the ConfigMgr 2007 multicast client may store them sparse and then fail the hash"), Some("KB 2709963"), Some("Deploy this package by unicast.")));
                }
            }
        }
        Wds => {
            if esd {
                rs.push(reason(Warning, "format.solid", "solid/LZMS (ESD-style) image: the WDS boot image must be WinPE 5.0 (Windows 8.1) or later to apply it", None, Some(remedies::EXPORT)));
            }
            if let Some(z) = zero_blocks {
                if z >= SPARSE_ZERO_BLOCKS {
                    rs.push(reason(Warning, "content.zero_runs", format!("{z} all-zero 64 KiB blocks: a WDS multicast client writing sparse files may fail the hash"), Some("KB 2709963"), Some("Run `wdsmcast.exe` with `/usesparsefile:no`.")));
                }
            }
            for idx in &facts.boot_images_without_wds_tools {
                rs.push(reason(Unsafe, "boot.no_wds_tools", format!("boot image {idx} lacks wdscommonlib.dll and imagelib.dll in Windows\\System32: a Windows 11 ADK WinPE without WinPE-WDS-Tools cannot join a multicast session"), None, Some("Add the WinPE-WDS-Tools optional component to the boot image (`DISM /Add-Package ... WinPE-WDS-Tools.cab`).")));
            }
        }
        UsbFat32 => {
            if facts.largest_part >= FOUR_GIB {
                let what = if split {
                    "a part of the split set"
                } else {
                    "the file"
                };
                rs.push(reason(
                    Unsafe,
                    "size.fat32",
                    format!(
                        "{what} is {} bytes: FAT32 files end at 4 GiB - 1",
                        facts.largest_part
                    ),
                    None,
                    Some(&fat32_remedy(facts)),
                ));
            }
        }
    }
    if matches!(
        target,
        ConfigMgr | ConfigMgr2007Patched | ConfigMgr2007Unpatched
    ) && facts.largest_image_bytes > HUGE_IMAGE
    {
        rs.push(reason(Warning, "size.huge_image", format!("an image expands to {} bytes: ConfigMgr's single-index extraction of images over about 60 GB can fail", facts.largest_image_bytes), None, None));
    }
    if !facts.integrity_present {
        rs.push(reason(Safe, "integrity.absent", "no integrity table: `/CheckIntegrity` on the client cannot check it (wimproof checked every blob's SHA-1 instead)", None, Some("Capture or export with `/CheckIntegrity` to add one.")));
    }
    for f in findings.iter().filter(|f| f.severity == Severity::Warning) {
        rs.push(reason(
            Warning,
            f.code.as_str(),
            f.message.clone(),
            None,
            f.remedy.as_deref(),
        ));
    }
    let verdict = rs.iter().map(|r| r.verdict).max().unwrap_or(Safe);
    rs.sort_by_key(|r| std::cmp::Reverse(r.verdict));
    TargetResult {
        id: target,
        title: target.title().into(),
        verdict,
        reasons: rs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn targets_and_verdicts_are_listed_once_in_order() {
        for t in TargetId::ALL {
            assert_eq!(TargetId::parse(t.id()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.id());
        }
        let mut titles: Vec<&str> = TargetId::ALL.iter().map(|t| t.title()).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), TargetId::ALL.len());
        assert!(TargetId::ALL.contains(&TargetId::DEFAULT));
        assert!(Verdict::ALL.windows(2).all(|w| w[0] < w[1]));
        for v in Verdict::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.name());
        }
    }

    /// The summaries of several findings count them in words that agree
    /// with the count: "1 corruption finding", "2 corruption findings".
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn summaries_count_in_agreeing_words() {
        use crate::verify::code::Code;
        let bad = |n: usize| -> Vec<Finding> {
            (0..n)
                .map(|i| Finding::corruption(Code::ResourceHashMismatch, format!("blob {i}")))
                .chain((0..n).map(|i| {
                    Finding::unverified(Code::ResourceUnverified, format!("resource {i}"))
                }))
                .collect()
        };
        for (n, corrupt, unchecked) in [
            (
                1,
                "1 corruption finding; first: blob 0",
                "1 part of the image could not be checked; first: resource 0",
            ),
            (
                2,
                "2 corruption findings; first: blob 0",
                "2 parts of the image could not be checked; first: resource 0",
            ),
        ] {
            let r = evaluate(TargetId::DEFAULT, &bad(n), &Facts::default(), None);
            let text = |code: &str| {
                r.reasons
                    .iter()
                    .find(|x| x.code == code)
                    .map(|x| x.text.clone())
            };
            assert_eq!(text("corrupt").as_deref(), Some(corrupt));
            assert_eq!(text("unverified").as_deref(), Some(unchecked));
        }
    }

    fn fat32_remedy_of(facts: Facts) -> String {
        let r = evaluate(TargetId::UsbFat32, &[], &facts, None);
        let x = r.reasons.iter().find(|r| r.code == "size.fat32");
        x.and_then(|x| x.remedy.clone()).unwrap_or_default()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_fat32_remedy_fits_the_image() {
        const MIB: u64 = 1 << 20;
        // 9000 MiB of small resources: 3800 + 3800 + 1400.
        let plain = Facts {
            total_size: 9000 * MIB,
            largest_part: 9000 * MIB,
            parts: 1,
            largest_resource: 200 * MIB,
            ..Facts::default()
        };
        let r = fat32_remedy_of(plain.clone());
        assert!(r.starts_with("Split it"), "{r}");
        assert!(r.contains("/FileSize:3800"), "{r}");
        assert!(
            r.contains("about 3 parts, 2 of up to 3800 MiB and the last of about 1400 MiB"),
            "{r}"
        );
        // Below 4 GiB nothing is said.
        let small = Facts {
            total_size: FOUR_GIB - 1,
            largest_part: FOUR_GIB - 1,
            ..plain.clone()
        };
        assert_eq!(fat32_remedy_of(small), "");
        // A resource near 4 GiB cannot be split small enough.
        let r = fat32_remedy_of(Facts {
            largest_resource: FOUR_GIB - MIB,
            ..plain.clone()
        });
        assert!(r.starts_with("A split cannot help"), "{r}");
        assert!(r.contains(&(FOUR_GIB - MIB).to_string()), "{r}");
        // Solid resources: export to non-solid first (split refuses them).
        let r = fat32_remedy_of(Facts {
            solid: true,
            ..plain.clone()
        });
        assert!(
            r.contains("/Export-Image") && r.contains("/Compress:max") && r.contains("then split"),
            "{r}"
        );
        // A split set with a part over 4 GiB - 1: join, then split again.
        let set = Facts {
            parts: 2,
            total_size: 6000 * MIB,
            largest_part: 4200 * MIB,
            ..plain
        };
        let r = evaluate(TargetId::UsbFat32, &[], &set, None);
        let x = r
            .reasons
            .iter()
            .find(|r| r.code == "size.fat32")
            .expect("size.fat32");
        assert!(
            x.text.starts_with("a part of the split set is"),
            "{}",
            x.text
        );
        let remedy = x.remedy.as_deref().unwrap_or("");
        assert!(remedy.starts_with("Join the parts first"), "{remedy}");
        assert!(
            remedy.contains("about 2 parts, 1 of up to 3800 MiB and the last of about 2200 MiB"),
            "{remedy}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_reason_has_a_summary() {
        use crate::verify::code::Code;
        // Facts that trip every rule, and findings of every severity.
        let facts = Facts {
            total_size: 5 << 30,
            largest_part: 5 << 30,
            parts: 2,
            pipable: true,
            solid: true,
            codec: Some(Codec::Lzx),
            chunk_size: 1 << 16,
            largest_image_bytes: HUGE_IMAGE + 1,
            boot_images_without_wds_tools: vec![1],
            ..Facts::default()
        };
        let findings = [
            Finding::corruption(Code::ResourceHashMismatch, "x"),
            Finding::blocker(Code::MetadataDangerousPath, "x"),
            Finding::warning(Code::MetadataWindowsName, "x"),
            Finding::unverified(Code::SplitMissingPart, "x"),
        ];
        let mut codes = std::collections::BTreeSet::new();
        for t in TargetId::ALL {
            for r in evaluate(t, &findings, &facts, Some(SPARSE_ZERO_BLOCKS)).reasons {
                assert!(r.summary().is_some(), "{} has no summary", r.code);
                codes.insert(r.code);
            }
        }
        for (xs, codec, size) in [
            ("format.lzms_chunk_size", Codec::Lzms, 1 << 27),
            ("format.xpress_chunk_size", Codec::Xpress, 4096),
        ] {
            let f = Facts {
                codec: Some(codec),
                chunk_size: size,
                ..Facts::default()
            };
            let r = evaluate(TargetId::Wds, &[], &f, None);
            assert!(
                r.reasons
                    .iter()
                    .any(|r| r.code == xs && r.summary().is_some()),
                "{xs}"
            );
            codes.insert(xs.to_string());
        }
        // Every rule of the table was reached (so none lacks a summary).
        for code in [
            "corrupt",
            "unverified",
            "format.pipable",
            "format.lzx_chunk_size",
            "format.split",
            "format.solid",
            "size.4gib_hash",
            "content.zero_runs",
            "boot.no_wds_tools",
            "size.fat32",
            "size.huge_image",
            "integrity.absent",
        ] {
            assert!(codes.contains(code), "{code} not reached");
        }
    }
}
