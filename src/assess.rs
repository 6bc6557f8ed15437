//! From an outcome to the report: the one place above both `verify` and
//! `policy`. Verification ends at an [`Outcome`] (what was found); here the
//! deployment policy judges it for every target, the selected targets give
//! the verdict, and the [`Report`] the CLI, the wasm API and the page share
//! is assembled.

use crate::editions::dism_architecture;
use crate::policy::{self, TargetId, Verdict};
use crate::read::{ReadAt, ReadError};
use crate::report::{Container, FileInfo, Report, Tool, SCHEMA};
use crate::verify::code::Code;
use crate::verify::finding::Finding;
use crate::verify::outcome::Outcome;
use crate::verify::setup::{blank, short, xml_says_winpe};
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
        container: None,
    }
}

/// The reports of images verified together (the WIMs of one medium, or
/// the files given to the CLI together): each judged as by [`report`],
/// then the checks across them ([`medium_findings`]) added to the report
/// they name first (the boot.wim's) and that report judged again, so that
/// its verdict counts them.
pub fn reports_together(
    outcomes: Vec<Outcome>,
    selected: &[TargetId],
    checked_at: &str,
) -> Vec<Report> {
    let mut reports: Vec<Report> = outcomes
        .iter()
        .map(|o| report(o.clone(), selected, checked_at.to_string()))
        .collect();
    let extra = medium_findings_of(&reports);
    let mut outcomes = outcomes;
    let mut touched = Vec::new();
    for (i, f) in extra {
        if let Some(o) = outcomes.get_mut(i) {
            o.findings.push(f);
            touched.push(i);
        }
    }
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        let o = &mut outcomes[i];
        o.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        reports[i] = report(o.clone(), selected, checked_at.to_string());
    }
    reports
}

/// What a driver learnt of an install medium, besides its WIMs' outcomes.
#[derive(Clone, Debug, Default)]
pub struct MediumInfo {
    /// The medium's name (the ISO's file name or path).
    pub name: String,
    pub size: u64,
    /// Its digests, as the main pass computed them.
    pub digests: crate::report::Digests,
}

/// The reports of the WIMs of one install medium, `(outcome, path inside)`
/// each: the digests the medium is expected to have (`expect`'s
/// `expect_sha256`/`expect_sha1`: what Microsoft or a checksum list gives
/// for the ISO) compared with the medium's in every WIM's report (a
/// mismatch makes each corrupt: none is on the medium expected), the
/// checks across the medium ([`reports_together`]), and each report's
/// `container`.
pub fn medium_reports(
    medium: &MediumInfo,
    inner: Vec<(Outcome, String)>,
    expect: &Options,
    selected: &[TargetId],
    checked_at: &str,
) -> Vec<Report> {
    let expected =
        crate::verify::expected_digests(expect, &medium.digests, "the medium's", "medium");
    let (outcomes, paths): (Vec<Outcome>, Vec<String>) = inner
        .into_iter()
        .map(|(mut o, path)| {
            o.findings.extend(expected.iter().cloned());
            o.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            (o, path)
        })
        .unzip();
    let mut reports = reports_together(outcomes, selected, checked_at);
    for (r, path) in reports.iter_mut().zip(paths) {
        r.container = Some(Container {
            name: medium.name.clone(),
            size: medium.size,
            sha256: medium.digests.sha256.clone(),
            sha1: medium.digests.sha1.clone(),
            path,
        });
    }
    reports
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

/// The architectures of a report's images of one kind by the XML alone
/// (`INSTALLATIONTYPE` WindowsPE or another value; images without one, or
/// without `ARCH`, are left out): sorted, each once.
fn architectures(r: &Report, winpe: bool) -> Vec<String> {
    let mut a: Vec<String> = r
        .images
        .iter()
        .filter(|x| !blank(&x.installation_type) && xml_says_winpe(x) == winpe)
        .filter_map(|x| x.architecture.clone())
        .filter(|a| !a.trim().is_empty())
        .collect();
    a.sort();
    a.dedup();
    a
}

/// The boot architectures of a boot.wim: its boot image's when the boot
/// index names a WinPE image, else every WinPE image's.
fn boot_architectures(r: &Report) -> Vec<String> {
    let boot = r.wim.as_ref().map(|w| w.boot_index).unwrap_or(0);
    let named = r
        .images
        .iter()
        .find(|x| x.index == boot && xml_says_winpe(x))
        .and_then(|x| x.architecture.clone())
        .filter(|a| !a.trim().is_empty());
    match named {
        Some(a) => vec![a],
        None => architectures(r, true),
    }
}

/// Over the WIMs of one medium (files given or dropped together, or an
/// ISO's): a boot.wim (a WIM with Windows PE images) whose architecture
/// differs from the install images' of the other WIMs. Windows Setup must
/// run on the Windows PE it is started from: "The 64-bit version of
/// Windows Setup does not run on the 32-bit version of Windows PE", a
/// 64-bit Windows PE cannot deploy a 32-bit image, and UEFI firmware boots
/// only a Windows PE of its own width (Microsoft, "Windows Setup Supported
/// Platforms and Cross-Platform Deployments"). By the XML alone
/// (`INSTALLATIONTYPE`, `ARCH`): the reports carry no trees. Each finding
/// names both files; the caller decides which report it goes with.
pub fn medium_findings(reports: &[Report]) -> Vec<Finding> {
    medium_findings_of(reports)
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

/// [`medium_findings`], each with the index of the boot.wim's report it
/// is about.
pub fn medium_findings_of(reports: &[Report]) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    for (bi, boot) in reports.iter().enumerate() {
        let boot_arch = boot_architectures(boot);
        if boot_arch.is_empty() {
            continue;
        }
        for install in reports {
            if std::ptr::eq(boot, install) {
                continue;
            }
            let install_arch = architectures(install, false);
            let other: Vec<&String> = install_arch
                .iter()
                .filter(|a| !boot_arch.contains(a))
                .collect();
            if other.is_empty() {
                continue;
            }
            let list = |v: &[&String]| {
                v.iter()
                    .map(|s| dism_architecture(&short(s)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let boot_list: Vec<&String> = boot_arch.iter().collect();
            out.push((
                bi,
                Finding::warning(
                    Code::MediumBootArchitecture,
                    format!(
                        "{} boots Windows PE for {}, but {} holds install images for {}: 64-bit Windows Setup does not run on a 32-bit Windows PE, a 64-bit Windows PE does not deploy 32-bit images, and UEFI firmware boots only a Windows PE of its own width (Microsoft, \"Windows Setup Supported Platforms and Cross-Platform Deployments\")",
                        boot.file.name,
                        list(&boot_list),
                        install.file.name,
                        list(&other)
                    ),
                )
                .remedy(format!(
                    "Use the boot.wim of the same architecture as the install images ({}), from the same Windows media or the ADK's Windows PE add-on.",
                    list(&other)
                )),
            ));
        }
    }
    out
}
