//! The editions table: one row per image, what `dism /Get-WimInfo
//! /Index:N` shows for each (index, name, edition, architecture, version,
//! languages, installation type, counts, size, whether it is the boot
//! image), taken from a [`Report`] so the CLI and the page render the same
//! rows. Blank XML values are `None` here: the renderers show them as DISM
//! does (`<undefined>`).

use crate::format::xml::XmlImage;
use crate::report::Report;
use serde::{Deserialize, Serialize};

/// One image of the table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionRow {
    pub index: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `WINDOWS/EDITIONID` (Professional, Enterprise, WindowsPE, ...).
    pub edition_id: Option<String>,
    /// As DISM names it: x86, x64, arm, arm64, ia64 (else the raw value).
    pub architecture: Option<String>,
    /// `MAJOR.MINOR.BUILD.SPBUILD`.
    pub version: Option<String>,
    pub languages: Vec<String>,
    pub default_language: Option<String>,
    /// `WINDOWS/INSTALLATIONTYPE` (Client, Server, Server Core, WindowsPE).
    pub installation_type: Option<String>,
    /// The XML's counts and expanded size (DISM shows these too).
    pub files: Option<u64>,
    pub directories: Option<u64>,
    pub total_bytes: Option<u64>,
    /// This image is the header's boot index ("WIM Bootable: Yes").
    pub boot: bool,
}

fn value(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// DISM's architecture names; the XML module names the numbers after
/// wimlib (amd64 for 9). Every text an admin reads uses DISM's.
pub(crate) fn dism_architecture(a: &str) -> String {
    match a {
        "amd64" => "x64".into(),
        other => other.into(),
    }
}

fn row(x: &XmlImage, boot_index: u32) -> EditionRow {
    EditionRow {
        index: x.index,
        name: value(&x.name),
        description: value(&x.description),
        edition_id: value(&x.edition),
        architecture: value(&x.architecture).map(|a| dism_architecture(&a)),
        version: value(&x.version),
        languages: x
            .languages
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        default_language: value(&x.default_language),
        installation_type: value(&x.installation_type),
        files: x.file_count,
        directories: x.dir_count,
        total_bytes: x.total_bytes,
        boot: boot_index != 0 && x.index == boot_index,
    }
}

/// The table's rows, by index, for every image the XML describes.
pub fn editions(report: &Report) -> Vec<EditionRow> {
    let boot = report.wim.as_ref().map(|w| w.boot_index).unwrap_or(0);
    let mut rows: Vec<EditionRow> = report.images.iter().map(|x| row(x, boot)).collect();
    rows.sort_by_key(|r| r.index);
    rows
}
