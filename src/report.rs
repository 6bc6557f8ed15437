//! The report: one serde type shared by the CLI (`--json`), the wasm API and
//! the page. Its JSON is the contract; `schema` changes when it breaks.

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
    /// Exit status of the CLI for this report: 0 safe or warning, 1
    /// corrupt, 3 unsafe, 4 unverified.
    pub fn exit_code(&self) -> i32 {
        self.verdict.exit_code()
    }
}
