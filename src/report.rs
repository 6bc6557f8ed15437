//! The report: one serde type shared by the CLI (`--json`), the wasm API and
//! the page. Its JSON is the contract; `schema` changes when it breaks.
//! Also what stands in a report's place when a file could not be read
//! ([`ErrorReport`]), the CLI's exit status ([`ExitStatus`]), and the
//! report's view for other selected targets ([`Report::for_targets`]).

use crate::format::xml::XmlImage;
use crate::policy::{TargetId, TargetResult, Verdict};
use crate::verify::facts::ResourceCounts;
use crate::verify::finding::Finding;
use serde::{Deserialize, Serialize};

pub use crate::verify::outcome::{Checked, Digests, IntegrityInfo, PartInfo, WimInfo};

pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub tool: Tool,
    pub checked_at: String,
    pub file: FileInfo,
    /// The worst verdict over the selected targets.
    pub verdict: Verdict,
    /// `true` intact, `false` corrupt, `null` not fully verifiable.
    pub intact: Option<bool>,
    pub digests: Digests,
    pub wim: Option<WimInfo>,
    pub images: Vec<XmlImage>,
    pub resources: ResourceCounts,
    pub integrity: IntegrityInfo,
    pub findings: Vec<Finding>,
    pub targets: Vec<TargetResult>,
    /// The selected targets (`--target`).
    pub selected: Vec<TargetId>,
    /// For split sets, and images verified with reference WIMs: one entry
    /// per file (the references last, marked `reference`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parts: Vec<PartInfo>,
    /// Counts of what was checked.
    pub checked: Checked,
    /// The install media (ISO) the image was verified inside, read in
    /// place: absent for a file given by itself. Added to schema 1.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub container: Option<Container>,
}

/// The medium a WIM lies on ([`Report::container`]): the ISO's name, size
/// and digests (the same in the report of every WIM on it), and the WIM's
/// path inside it (`sources/install.wim`: `/` separators, as on the
/// medium; `file.name` is the same path).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub name: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha1: Option<String>,
    pub path: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "wimproof".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    /// Total bytes (all parts of a split set).
    pub size: u64,
}

impl Report {
    /// The CLI's exit status for this report.
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::from(self.verdict)
    }

    /// The number of [`Report::exit_status`]: 0 safe or warning, 1 corrupt,
    /// 3 unsafe, 4 unverified.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.exit_status().code())
    }

    /// The same report with `targets` selected: `selected` is them and
    /// `verdict` the worst of their results (every target's result is in
    /// the report; ids it has no result for count as safe).
    pub fn for_targets(&self, targets: &[TargetId]) -> Report {
        let verdict = self
            .targets
            .iter()
            .filter(|t| targets.contains(&t.id))
            .map(|t| t.verdict)
            .max()
            .unwrap_or(Verdict::Safe);
        Report {
            selected: targets.to_vec(),
            verdict,
            ..self.clone()
        }
    }
}

/// The CLI's exit status, declared from best to worst: with several files
/// the worst (the greatest) wins. The numbers ([`ExitStatus::code`]) are
/// the documented interface and are not in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Safe, or safe with warnings: 0.
    Ok,
    /// Not fully verifiable: 4.
    Unverified,
    /// Intact but unsafe for the target: 3.
    Unsafe,
    /// Corrupt: 1.
    Corrupt,
    /// A usage error, or a file that could not be read (never a verdict): 2.
    Failed,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Corrupt => 1,
            ExitStatus::Failed => 2,
            ExitStatus::Unsafe => 3,
            ExitStatus::Unverified => 4,
        }
    }
}

impl From<Verdict> for ExitStatus {
    fn from(v: Verdict) -> ExitStatus {
        match v {
            Verdict::Safe | Verdict::Warning => ExitStatus::Ok,
            Verdict::Unverified => ExitStatus::Unverified,
            Verdict::Unsafe => ExitStatus::Unsafe,
            Verdict::Corrupt => ExitStatus::Corrupt,
        }
    }
}

/// What `--json` gives in a report's place for a file that could not be
/// verified at all: `{"file": {"name"}, "error", "message"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    pub file: ErrorFile,
    pub error: ErrorKind,
    /// What went wrong, for people (the CLI prints the same on stderr).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFile {
    pub name: String,
}

/// Why a file could not be verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// It could not be opened.
    Open,
    /// A read failed.
    Read,
    /// It changed size while it was read.
    Changed,
    /// It is not a WIM but another recognised format (named in the message).
    Foreign,
    /// Install media that cannot be read as such: its file system cannot
    /// be parsed, or it holds no WIM (said in the message).
    Medium,
}

impl ErrorReport {
    pub fn new(name: impl Into<String>, error: ErrorKind, message: impl Into<String>) -> Self {
        ErrorReport {
            file: ErrorFile { name: name.into() },
            error,
            message: message.into(),
        }
    }
}

/// Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_EPOCH_SECS: u64 = 11_644_473_600;

/// `checked_at`: a time in seconds since 1970 (UTC) as ISO 8601 to the
/// second, `2026-01-02T03:04:05Z`. Each driver gives its own clock.
pub fn iso_utc(unix_secs: u64) -> String {
    let filetime = unix_secs
        .saturating_add(FILETIME_UNIX_EPOCH_SECS)
        .saturating_mul(10_000_000);
    crate::format::xml::filetime_to_iso(filetime)
}

pub use crate::editions::{editions, EditionRow};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::TargetResult;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_worst_exit_status_wins_whatever_its_number() {
        let by_verdict: Vec<u8> = Verdict::ALL
            .iter()
            .map(|&v| ExitStatus::from(v).code())
            .collect();
        assert_eq!(by_verdict, [0, 0, 4, 3, 1]);
        // Best to worst: 0, 4, 3, 1, 2.
        let mut all = [
            ExitStatus::Failed,
            ExitStatus::Unsafe,
            ExitStatus::Ok,
            ExitStatus::Corrupt,
            ExitStatus::Unverified,
        ];
        all.sort();
        let codes: Vec<u8> = all.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 4, 3, 1, 2]);
        assert!(ExitStatus::Failed > ExitStatus::Corrupt);
        assert!(ExitStatus::Unverified > ExitStatus::Ok);
        assert!(ExitStatus::Unsafe > ExitStatus::Unverified);
        assert_eq!(ExitStatus::Failed.code(), 2);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn error_objects_keep_their_fields() {
        let e = ErrorReport::new("x.wim", ErrorKind::Open, "x.wim: cannot open: gone");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"file": {"name": "x.wim"}, "error": "open", "message": "x.wim: cannot open: gone"})
        );
        let kinds: Vec<serde_json::Value> = [
            ErrorKind::Open,
            ErrorKind::Read,
            ErrorKind::Changed,
            ErrorKind::Foreign,
            ErrorKind::Medium,
        ]
        .iter()
        .map(|k| serde_json::to_value(k).unwrap())
        .collect();
        assert_eq!(kinds, ["open", "read", "changed", "foreign", "medium"]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn times_are_iso_utc_to_the_second() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_767_323_045), "2026-01-02T03:04:05Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn another_selection_takes_the_worst_of_its_targets() {
        let result = |id: TargetId, verdict: Verdict| TargetResult {
            id,
            title: id.title().into(),
            verdict,
            reasons: Vec::new(),
        };
        let r = Report {
            schema: SCHEMA,
            tool: Tool::default(),
            checked_at: iso_utc(0),
            file: FileInfo::default(),
            verdict: Verdict::Safe,
            intact: Some(true),
            digests: Digests::default(),
            wim: None,
            images: Vec::new(),
            resources: ResourceCounts::default(),
            integrity: IntegrityInfo::default(),
            findings: Vec::new(),
            targets: vec![
                result(TargetId::ConfigMgr, Verdict::Safe),
                result(TargetId::ConfigMgr2007Unpatched, Verdict::Unsafe),
                result(TargetId::Wds, Verdict::Warning),
            ],
            selected: vec![TargetId::ConfigMgr],
            parts: Vec::new(),
            checked: Checked::default(),
            container: None,
        };
        let v = r.for_targets(&[TargetId::Wds, TargetId::ConfigMgr]);
        assert_eq!(
            (v.verdict, v.selected.clone()),
            (Verdict::Warning, vec![TargetId::Wds, TargetId::ConfigMgr])
        );
        assert_eq!(r.for_targets(&TargetId::ALL).verdict, Verdict::Unsafe);
        assert_eq!(r.for_targets(&[TargetId::UsbFat32]).verdict, Verdict::Safe);
        assert_eq!(v.targets, r.targets);
    }
}
