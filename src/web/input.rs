//! The core's input rules and target list for the page's main thread
//! (`www/verify.js`, `www/wim-verifier.js`, `www/render.js`), so the page
//! groups files, reads checksum lists, names targets and orders verdicts
//! exactly as the CLI does. Plain data in and out: strings, string arrays,
//! and JSON of the core's serde types; every rule lives in
//! [`crate::input`], [`crate::policy`] and [`crate::report`].

use super::error;
use crate::input::checksums::ChecksumList as CoreList;
use crate::input::sets::{self, Candidate};
use crate::input::{parse_targets, DigestChoice};
use crate::policy::{TargetId, Verdict};
use crate::report::Report;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, JsValue> {
    serde_json::to_string(v).map_err(|e| error("Error", e.to_string()))
}

/// Every target as JSON `[{"id", "title"}]`, in the report's order; the
/// titles are the report's (`TargetId::title`).
#[wasm_bindgen]
pub fn targets() -> Result<String, JsValue> {
    let list: Vec<serde_json::Value> = TargetId::ALL
        .iter()
        .map(|t| serde_json::json!({"id": t.id(), "title": t.title()}))
        .collect();
    to_json(&list)
}

/// The target when none is chosen.
#[wasm_bindgen(js_name = defaultTarget)]
pub fn default_target() -> String {
    TargetId::DEFAULT.id().to_string()
}

/// The verdicts, best first: a verdict's index is its rank.
#[wasm_bindgen]
pub fn verdicts() -> Vec<String> {
    Verdict::ALL.iter().map(|v| v.name().to_string()).collect()
}

/// The target ids `specs` name (ids, `all`, or comma-separated lists),
/// each once, in the order first named; the default target if none.
/// Throws `TypeError` naming an unknown id.
#[wasm_bindgen(js_name = parseTargets)]
pub fn parse_targets_js(specs: Vec<String>) -> Result<Vec<String>, JsValue> {
    let ids = parse_targets(specs.iter().map(String::as_str)).map_err(|e| error("TypeError", e))?;
    Ok(ids.iter().map(|t| t.id().to_string()).collect())
}

/// The report (JSON) with `targets` selected: `selected` set to them and
/// `verdict` the worst of their results. Returns JSON.
#[wasm_bindgen(js_name = reportForTargets)]
pub fn report_for_targets(report: &str, targets: Vec<String>) -> Result<String, JsValue> {
    let r: Report =
        serde_json::from_str(report).map_err(|e| error("TypeError", format!("bad report: {e}")))?;
    let ids =
        parse_targets(targets.iter().map(String::as_str)).map_err(|e| error("TypeError", e))?;
    to_json(&r.for_targets(&ids))
}

/// `{"sha256": bool, "sha1": bool}` for `sha256`, `sha1`, `both` or
/// `none`, and for no choice (`undefined` or `null`: the default, as the
/// CLI's `--digest`); throws `TypeError` for anything else.
#[wasm_bindgen(js_name = digestFlags)]
pub fn digest_flags(choice: Option<String>) -> Result<String, JsValue> {
    let d: DigestChoice = match choice {
        None => DigestChoice::default(),
        Some(c) => c.parse().map_err(|e: String| error("TypeError", e))?,
    };
    let (sha256, sha1) = d.flags();
    to_json(&serde_json::json!({"sha256": sha256, "sha1": sha1}))
}

/// How many bytes of each file's start [`group_sets`] needs.
#[wasm_bindgen(js_name = setHeaderBytes)]
pub fn set_header_bytes() -> u32 {
    sets::HEADER_BYTES as u32
}

/// Groups files into images (a split set is one): `names[i]` is file `i`'s
/// name, `headers[i]` a `Uint8Array` of its first [`set_header_bytes`]
/// bytes (fewer if it is shorter or could not be read). Returns JSON: an
/// array of images, each the array of its files' indices, first part
/// first. Parts that were not given are left out (the verification
/// reports them missing).
#[wasm_bindgen(js_name = groupSets)]
pub fn group_sets(names: Vec<String>, headers: js_sys::Array) -> Result<String, JsValue> {
    if headers.length() as usize != names.len() {
        return Err(error("TypeError", "give one header per name"));
    }
    let mut bytes: Vec<Vec<u8>> = Vec::with_capacity(names.len());
    for (i, h) in headers.iter().enumerate() {
        let a: js_sys::Uint8Array = h
            .dyn_into()
            .map_err(|_| error("TypeError", format!("header {i} is not a Uint8Array")))?;
        bytes.push(a.to_vec());
    }
    let candidates: Vec<Candidate> = names
        .iter()
        .zip(&bytes)
        .map(|(name, header)| Candidate { name, header })
        .collect();
    let groups: Vec<Vec<usize>> = sets::group(&candidates).iter().map(|s| s.given()).collect();
    to_json(&groups)
}

/// A checksum list read by the core's rules (GNU and BSD forms; see
/// [`crate::input::checksums`]).
#[wasm_bindgen]
pub struct ChecksumList {
    list: CoreList,
}

#[wasm_bindgen]
impl ChecksumList {
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str) -> ChecksumList {
        ChecksumList {
            list: CoreList::parse(text),
        }
    }

    /// How many entries the list has.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.list.entries.len() as u32
    }

    /// The 1-based numbers of the lines that are not entries (nor blank or
    /// comments).
    #[wasm_bindgen(getter)]
    pub fn rejected(&self) -> Vec<u32> {
        self.list.rejected.iter().map(|&n| n as u32).collect()
    }

    /// What the list expects of the file named `name`: JSON `{"sha256"?,
    /// "sha1"?}` (`{}` when the file is not in the list).
    pub fn expected(&self, name: &str) -> Result<String, JsValue> {
        to_json(&self.list.expected(name))
    }
}
