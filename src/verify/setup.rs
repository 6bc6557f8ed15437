//! Checks of what Windows Setup and the deployment tools read besides the
//! bytes: the XML's image properties of install images, the boot index, and
//! (over the WIMs of one medium) the architectures of boot.wim and
//! install.wim. Phase 1 runs [`check`] once, after the trees are walked;
//! the drivers run `assess::medium_findings` over the reports of files
//! given together (it judges reports, so it lives above `verify`).
//!
//! What an image is comes from its tree and its XML: a Windows image has a
//! `\Windows\System32` directory; it is Windows PE when its XML's
//! `INSTALLATIONTYPE` says `WindowsPE` (or, with no `INSTALLATIONTYPE`, when
//! its tree has WinPE's shell, `System32\winpeshl.exe`, or its XML names it
//! Windows PE elsewhere), and an install image otherwise. A data image (no `System32`) is checked for none of this.

use super::code::Code;
use super::finding::Finding;
use super::tree::TreeSummary;
use crate::format::header::{at, Header};
use crate::format::xml::{XmlImage, XmlInfo};

/// What an image is, for Setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// No `\Windows\System32`: not a Windows image.
    Data,
    /// Windows PE: what a boot.wim boots.
    WinPe,
    /// An installed Windows (an edition of install.wim, a capture).
    Install,
}

pub(crate) fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// The XML says `INSTALLATIONTYPE` WindowsPE.
pub(crate) fn xml_says_winpe(x: &XmlImage) -> bool {
    x.installation_type
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("WindowsPE"))
}

/// What the image is, from its walked tree and its XML entry (`None` when
/// the tree was not walked to the end: nothing is said about it then).
pub fn image_kind(tree: Option<&TreeSummary>, xml: Option<&XmlImage>) -> Option<ImageKind> {
    let t = tree.filter(|t| t.complete)?;
    if !t.has_system32 {
        return Some(ImageKind::Data);
    }
    let winpe = match xml {
        Some(x) if !blank(&x.installation_type) => xml_says_winpe(x),
        // No INSTALLATIONTYPE: WinPE's shell in the tree, or an XML that
        // names the image Windows PE otherwise (its EDITIONID, FLAGS or
        // NAME, as the WDS rule reads it) make it Windows PE. A warning
        // needs evidence: a bare capture named "Windows PE" is not called
        // an install image.
        x => t.has_winpe_shell || x.is_some_and(XmlImage::is_winpe),
    };
    Some(if winpe {
        ImageKind::WinPe
    } else {
        ImageKind::Install
    })
}

/// The properties an install image's XML must carry, with an example value
/// for the remedy's `--image-property` (Windows 10 Pro x64).
const INSTALL_PROPERTIES: &[(&str, &str)] = &[
    ("EDITIONID", "WINDOWS/EDITIONID=Professional"),
    ("FLAGS", "FLAGS=Professional"),
    ("INSTALLATIONTYPE", "WINDOWS/INSTALLATIONTYPE=Client"),
    ("LANGUAGES", "WINDOWS/LANGUAGES/LANGUAGE=en-US"),
    ("ARCH", "WINDOWS/ARCH=9"),
];

/// The install properties the XML entry lacks (absent or blank).
pub fn missing_install_properties(x: &XmlImage) -> Vec<&'static str> {
    let langs = x.languages.iter().all(|l| l.trim().is_empty());
    let missing = [
        blank(&x.edition),
        blank(&x.flags),
        blank(&x.installation_type),
        langs,
        blank(&x.architecture),
    ];
    INSTALL_PROPERTIES
        .iter()
        .zip(missing)
        .filter(|(_, m)| *m)
        .map(|((p, _), _)| *p)
        .collect()
}

/// The last component of a path, for commands in remedies.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// At most 80 characters of an XML value, for a message (the XML may hold
/// megabytes in one element).
pub(crate) fn short(v: &str) -> String {
    v.chars().take(80).collect()
}

fn quoted_name(x: Option<&XmlImage>) -> String {
    match x.and_then(|x| x.name.as_deref()).filter(|n| !n.is_empty()) {
        Some(n) => format!(" (\"{}\")", short(n)),
        None => String::new(),
    }
}

/// The Setup-level checks of one WIM, after phase 1 walked its trees:
/// `trees[i]` and the XML's image `i + 1` describe image `i + 1`; `file` is
/// the WIM's name (for the commands in remedies).
pub fn check(
    h: &Header,
    xml: Option<&XmlInfo>,
    trees: &[Option<TreeSummary>],
    file: &str,
    findings: &mut Vec<Finding>,
) {
    // Without the XML, its own finding (xml.invalid, ...) says enough.
    let Some(xml) = xml else { return };
    let entry = |image: usize| xml.images.iter().find(|x| x.index as usize == image);
    let file = base_name(file);
    for (i, tree) in trees.iter().enumerate() {
        let image = i + 1;
        let x = entry(image);
        if image_kind(tree.as_ref(), x) != Some(ImageKind::Install) {
            continue;
        }
        // An image the XML does not describe is xml.image_count's case.
        let Some(x) = x else { continue };
        let missing = missing_install_properties(x);
        if missing.is_empty() {
            continue;
        }
        let props: Vec<&str> = INSTALL_PROPERTIES
            .iter()
            .filter(|(p, _)| missing.contains(p))
            .map(|(_, set)| *set)
            .collect();
        let mut cmd = format!("wimlib-imagex info {file} {image}");
        for p in &props {
            cmd.push_str(" --image-property ");
            cmd.push_str(p);
        }
        // Sources: "Windows Setup Supported Platforms and Cross-Platform
        // Deployments" (Setup picks the image to install by the product
        // key's edition) and the unattend setting Microsoft-Windows-Setup
        // ImageInstall/OSImage/InstallFrom/MetaData (a product key's
        // edition must match the image's); DISM /Get-WimInfo and
        // ConfigMgr's OS image properties show what the XML holds.
        findings.push(
            Finding::warning(
                Code::XmlInstallProperties,
                format!(
                    "image {image}{}: a Windows install image whose XML lacks {}: Windows Setup chooses the edition to install by them (a product key's edition must match the image's EDITIONID), and DISM /Get-WimInfo and ConfigMgr's image properties show <undefined> for them (typical after a tool rewrote the XML)",
                    quoted_name(Some(x)),
                    missing.join(", ")
                ),
            )
            .at(h.xml.offset)
            .remedy(format!(
                "Set them to the edition's real values (these are Windows 10 Pro x64's), e.g. `{cmd}`, or export the image again with DISM, which writes them."
            )),
        );
    }
    // The boot index names the image the Windows boot loader starts when
    // it loads Windows PE from the WIM (wimlib-imagex-info(1), `--boot`):
    // WDS boot images, boot.wim on media.
    let boot = h.boot_index as usize;
    if boot >= 1 && boot <= h.image_count as usize {
        let x = entry(boot);
        if image_kind(trees.get(boot - 1).and_then(Option::as_ref), x) == Some(ImageKind::Install) {
            let why = match x.and_then(|x| x.installation_type.as_deref()) {
                Some(t) if !t.trim().is_empty() => {
                    format!("its INSTALLATIONTYPE is {:?}", short(t.trim()))
                }
                _ => "it has no System32\\winpeshl.exe and no INSTALLATIONTYPE".into(),
            };
            let pe = trees
                .iter()
                .enumerate()
                .find(|(i, t)| image_kind(t.as_ref(), entry(i + 1)) == Some(ImageKind::WinPe))
                .map(|(i, _)| i + 1);
            let remedy = match pe {
                Some(n) => format!("Mark the Windows PE image as the boot image: `wimlib-imagex info {file} {n} --boot`; or clear it: `wimlib-imagex info {file} 0 --boot`."),
                None => format!("Clear the boot index (`wimlib-imagex info {file} 0 --boot`), or use a Windows PE boot.wim as the boot image."),
            };
            findings.push(
                Finding::warning(
                    Code::HeaderBootNotWinpe,
                    format!(
                        "header: the boot index is {boot}, image {boot}{}, a Windows install image, not Windows PE ({why}): booting this WIM (a WDS boot image, boot.wim on media) starts an image that cannot run as Windows PE",
                        quoted_name(x)
                    ),
                )
                .at(at::BOOT_INDEX)
                .remedy(remedy),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(system32: bool, winpe_shell: bool) -> TreeSummary {
        TreeSummary {
            has_system32: system32,
            has_winpe_shell: winpe_shell,
            complete: true,
            ..Default::default()
        }
    }

    fn xml(installation_type: Option<&str>) -> XmlImage {
        XmlImage {
            index: 1,
            installation_type: installation_type.map(str::to_string),
            ..Default::default()
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn what_an_image_is() {
        use ImageKind::*;
        let kind = |t: TreeSummary, x: XmlImage| image_kind(Some(&t), Some(&x));
        assert_eq!(kind(tree(false, true), xml(Some("Client"))), Some(Data));
        assert_eq!(kind(tree(true, false), xml(Some("Client"))), Some(Install));
        assert_eq!(
            kind(tree(true, false), xml(Some("Server Core"))),
            Some(Install)
        );
        assert_eq!(kind(tree(true, false), xml(Some("windowspe"))), Some(WinPe));
        // The XML wins over the tree when it says something...
        assert_eq!(kind(tree(true, true), xml(Some("Client"))), Some(Install));
        // ...and the tree decides when it says nothing.
        assert_eq!(kind(tree(true, true), xml(None)), Some(WinPe));
        assert_eq!(kind(tree(true, true), xml(Some(" "))), Some(WinPe));
        assert_eq!(kind(tree(true, false), xml(None)), Some(Install));
        let named = XmlImage {
            name: Some("Microsoft Windows PE (x64)".into()),
            ..xml(None)
        };
        assert_eq!(kind(tree(true, false), named.clone()), Some(WinPe));
        let named_client = XmlImage {
            installation_type: Some("Client".into()),
            ..named
        };
        assert_eq!(kind(tree(true, false), named_client), Some(Install));
        assert_eq!(image_kind(Some(&tree(true, false)), None), Some(Install));
        // A tree not walked to its end says nothing.
        let partial = TreeSummary {
            complete: false,
            ..tree(true, false)
        };
        assert_eq!(image_kind(Some(&partial), Some(&xml(None))), None);
        assert_eq!(image_kind(None, Some(&xml(Some("Client")))), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn blank_properties_are_missing() {
        let mut x = xml(Some("Client"));
        x.edition = Some("  ".into());
        x.flags = Some("Professional".into());
        x.languages = vec![String::new()];
        x.architecture = Some("amd64".into());
        assert_eq!(missing_install_properties(&x), ["EDITIONID", "LANGUAGES"]);
        x.edition = Some("Professional".into());
        x.languages = vec!["en-US".into()];
        assert!(missing_install_properties(&x).is_empty());
    }
}
