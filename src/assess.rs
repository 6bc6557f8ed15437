//! From an outcome to the report: the one place above both `verify` and
//! `policy`. Verification ends at an [`Outcome`] (what was found); here the
//! deployment policy judges it for every target, the selected targets give
//! the verdict, and the [`Report`] the CLI, the wasm API and the page share
//! is assembled.

use crate::policy::{self, TargetId, Verdict};
use crate::read::{ReadAt, ReadError};
use crate::report::{FileInfo, Report, Tool, SCHEMA};
use crate::verify::outcome::Outcome;
use crate::verify::{run_serial, Options, Verifier};
use serde::{Deserialize, Serialize};

/// What a driver is asked to do: how to verify, and for which deployment
/// targets to judge. Its JSON is that of the verification options with a
/// `targets` list beside them (the page sends it as one object).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    #[serde(flatten)]
    pub verify: Options,
    /// The targets whose verdicts make the top-level one (all are judged).
    #[serde(default = "default_targets")]
    pub targets: Vec<TargetId>,
}

fn default_targets() -> Vec<TargetId> {
    vec![TargetId::ConfigMgr]
}

impl Default for Request {
    fn default() -> Self {
        Request {
            verify: Options::default(),
            targets: default_targets(),
        }
    }
}

/// Verification options alone: judged for the default target.
impl From<Options> for Request {
    fn from(verify: Options) -> Request {
        Request {
            verify,
            ..Request::default()
        }
    }
}

/// The report of an outcome: every target judged, the verdict the worst
/// over the `selected` ones (ConfigMgr when none is).
pub fn report(outcome: Outcome, selected: &[TargetId], checked_at: String) -> Report {
    let Outcome {
        name,
        findings,
        facts,
        zero_blocks,
        digests,
        wim,
        images,
        resources,
        integrity,
        parts,
        checked,
    } = outcome;
    let intact = policy::intact(&findings);
    let targets: Vec<_> = TargetId::ALL
        .iter()
        .map(|t| policy::evaluate(*t, &findings, &facts, zero_blocks))
        .collect();
    let selected = if selected.is_empty() {
        default_targets()
    } else {
        selected.to_vec()
    };
    let verdict = targets
        .iter()
        .filter(|t| selected.contains(&t.id))
        .map(|t| t.verdict)
        .max()
        .unwrap_or(Verdict::Unverified);
    Report {
        schema: SCHEMA,
        tool: Tool::default(),
        checked_at,
        file: FileInfo {
            name,
            size: facts.total_size,
        },
        verdict,
        intact,
        digests,
        wim,
        images,
        resources,
        integrity,
        findings,
        targets,
        selected,
        parts,
        checked,
    }
}

/// Convenience: the whole verification of in-memory files on one thread,
/// judged for the request's targets.
pub fn verify_bytes(
    files: &[(&str, &[u8])],
    request: impl Into<Request>,
    checked_at: &str,
) -> Result<Report, ReadError> {
    let request = request.into();
    let readers: Vec<(&str, &dyn ReadAt)> =
        files.iter().map(|(n, b)| (*n, b as &dyn ReadAt)).collect();
    let v = Verifier::open(&readers, request.verify.clone())?;
    let plain: Vec<&dyn ReadAt> = readers.iter().map(|r| r.1).collect();
    let results = run_serial(&v, &plain, 8 << 20)?;
    Ok(report(
        v.finish(results),
        &request.targets,
        checked_at.to_string(),
    ))
}
