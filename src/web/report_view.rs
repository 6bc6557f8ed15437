//! What the page shows of reports beyond the report itself, on its main
//! thread: the editions table of one report, a reason's few words, and the
//! findings over the reports of files dropped together (one medium). JSON of the core's
//! serde types in and out; the rows and the checks are the core's
//! ([`crate::editions`], [`crate::assess::medium_findings`]), as the CLI
//! renders them.

use super::error;
use crate::report::Report;
use wasm_bindgen::prelude::*;

fn report_from(json: &str) -> Result<Report, JsValue> {
    serde_json::from_str(json).map_err(|e| error("TypeError", format!("not a report: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, JsValue> {
    serde_json::to_string(v).map_err(|e| error("Error", e.to_string()))
}

/// The editions table of a report (the JSON of [`Report`]): the JSON
/// array of [`crate::editions::EditionRow`], one per image, by index.
#[wasm_bindgen]
pub fn editions(report: &str) -> Result<String, JsValue> {
    to_json(&crate::editions::editions(&report_from(report)?))
}

/// A few words for a reason (a target's, or a finding code): the CLI's
/// target lines ([`crate::policy::Reason::summary`]); `None` for a code the
/// core does not know.
#[wasm_bindgen(js_name = reasonSummary)]
pub fn reason_summary(code: &str) -> Option<String> {
    crate::policy::reason_summary(code).map(str::to_string)
}

/// The findings over the reports of files given together, as one medium
/// (each element of `reports` the JSON of a [`Report`]): a boot.wim whose
/// Windows PE is of another architecture than the install images beside
/// it (`medium.boot_architecture`). Returns the JSON array of
/// [`crate::verify::finding::Finding`] (empty when nothing is wrong); each
/// names the files it is about.
#[wasm_bindgen(js_name = mediumFindings)]
pub fn medium_findings(reports: Vec<String>) -> Result<String, JsValue> {
    let reports = reports
        .iter()
        .map(|r| report_from(r))
        .collect::<Result<Vec<Report>, JsValue>>()?;
    to_json(&crate::assess::medium_findings(&reports))
}
