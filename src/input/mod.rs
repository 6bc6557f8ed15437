//! What the user hands a driver, turned into what the core verifies: files
//! grouped into images ([`sets`]: a `.swm` split set is one image), a
//! checksum list read into expected digests ([`checksums`]), the digest
//! choice ([`DigestChoice`]) and the target list ([`parse_targets`]).
//!
//! Both drivers (the CLI and the page) call these, so a list, a set of
//! files or an option means the same in both. Plain functions over names
//! and bytes: the drivers read the files and directories themselves.
//!
//! File names are compared the Windows way ([`same_name`]): without regard
//! to case, since the images and their lists come from Windows machines.

pub mod checksums;
pub mod sets;

use crate::policy::TargetId;
use std::fmt;

/// Whether two file names are the same for Windows: compared char by char
/// with each char's simple uppercase (NTFS compares by an uppercase table,
/// one UTF-16 unit to one; a char whose uppercase is several chars, like
/// `ß`, is compared as it is).
pub fn same_name(a: &str, b: &str) -> bool {
    fn fold(c: char) -> char {
        let mut up = c.to_uppercase();
        match (up.next(), up.next()) {
            (Some(u), None) => u,
            _ => c,
        }
    }
    a.chars().map(fold).eq(b.chars().map(fold))
}

/// The part of a path after its last `/` or `\` (both are separators on
/// Windows; lists written there use either).
pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Which whole-file digests to compute: `--digest` on the CLI, `digests`
/// in the page's API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DigestChoice {
    #[default]
    Sha256,
    Sha1,
    Both,
    None,
}

impl DigestChoice {
    pub const ALL: [DigestChoice; 4] = [
        DigestChoice::Sha256,
        DigestChoice::Sha1,
        DigestChoice::Both,
        DigestChoice::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DigestChoice::Sha256 => "sha256",
            DigestChoice::Sha1 => "sha1",
            DigestChoice::Both => "both",
            DigestChoice::None => "none",
        }
    }

    /// What each choice computes, for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            DigestChoice::Sha256 => "the whole file's SHA-256",
            DigestChoice::Sha1 => "the whole file's SHA-1",
            DigestChoice::Both => "SHA-256 and SHA-1",
            DigestChoice::None => "no whole-file digest (faster; the image is still verified)",
        }
    }

    pub fn parse(s: &str) -> Option<DigestChoice> {
        DigestChoice::ALL.into_iter().find(|d| d.name() == s)
    }

    /// `(sha256, sha1)`: whether each digest is computed.
    pub fn flags(self) -> (bool, bool) {
        match self {
            DigestChoice::Sha256 => (true, false),
            DigestChoice::Sha1 => (false, true),
            DigestChoice::Both => (true, true),
            DigestChoice::None => (false, false),
        }
    }
}

impl fmt::Display for DigestChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DigestChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DigestChoice::parse(s)
            .ok_or_else(|| format!("unknown digest {s:?}; use sha256, sha1, both or none"))
    }
}

/// The word that selects every target.
pub const ALL_TARGETS: &str = "all";

/// The targets named by `specs`, each a target id, `all`, or several of
/// them separated by commas; in the order first named, each once. None
/// named: [`TargetId::DEFAULT`].
pub fn parse_targets<'a>(
    specs: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<TargetId>, String> {
    let mut out: Vec<TargetId> = Vec::new();
    for spec in specs {
        for word in spec.split(',').map(str::trim) {
            let named: Vec<TargetId> = if word == ALL_TARGETS {
                TargetId::ALL.to_vec()
            } else {
                let t = TargetId::parse(word).ok_or_else(|| {
                    let ids: Vec<&str> = TargetId::ALL.iter().map(|t| t.id()).collect();
                    format!(
                        "unknown target {word:?}; use one of {}, {ALL_TARGETS}",
                        ids.join(", ")
                    )
                })?;
                vec![t]
            };
            for t in named {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
    if out.is_empty() {
        out.push(TargetId::DEFAULT);
    }
    Ok(out)
}

/// A whole-file digest given by the user (`--expect-sha256`, a list's
/// entry): `N` bytes as hex digits, any case, spaces around allowed.
/// Returns it lowercased, as the report spells digests.
pub fn parse_digest_hex<const N: usize>(s: &str) -> Option<String> {
    crate::format::parse_hex::<N>(s).map(|b| crate::format::hex(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn names_compare_without_case_as_on_windows() {
        assert!(same_name("INSTALL.SWM", "install.swm"));
        assert!(same_name("Ärger.wim", "ärger.WIM"));
        assert!(!same_name("install.swm", "install2.swm"));
        assert!(!same_name("straße", "STRASSE"));
        assert_eq!(base_name("C:\\img\\install.wim"), "install.wim");
        assert_eq!(base_name("./a/b.wim"), "b.wim");
        assert_eq!(base_name("b.wim"), "b.wim");
        assert_eq!(base_name("dir/"), "");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn digest_choice_names_and_flags() {
        let got: Vec<(&str, (bool, bool))> = DigestChoice::ALL
            .iter()
            .map(|d| (d.name(), d.flags()))
            .collect();
        assert_eq!(
            got,
            [
                ("sha256", (true, false)),
                ("sha1", (false, true)),
                ("both", (true, true)),
                ("none", (false, false))
            ]
        );
        assert_eq!("both".parse(), Ok(DigestChoice::Both));
        assert!("SHA256".parse::<DigestChoice>().is_err());
        assert_eq!(DigestChoice::default().flags(), (true, false));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn target_lists_accept_commas_all_and_repeats() {
        use TargetId::*;
        assert_eq!(parse_targets([]), Ok(vec![ConfigMgr]));
        assert_eq!(
            parse_targets(["wds,configmgr", "wds"]),
            Ok(vec![Wds, ConfigMgr])
        );
        assert_eq!(
            parse_targets(["usb-fat32", "all"]),
            Ok(vec![
                UsbFat32,
                ConfigMgr,
                ConfigMgr2007Unpatched,
                ConfigMgr2007Patched,
                Wds
            ])
        );
        let e = parse_targets(["wds,sccm"]).unwrap_err();
        assert!(
            e.contains("\"sccm\"") && e.contains("usb-fat32, all"),
            "{e}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn expected_digests_are_hex_of_the_right_length() {
        let d = "8E1DB18FBB7CAC012392BE0CA3CFE903A5F9544B4A2DE68A15C2FD10C706E3DC";
        assert_eq!(parse_digest_hex::<32>(d), Some(d.to_ascii_lowercase()));
        assert_eq!(
            parse_digest_hex::<32>(&format!(" {d}\n")),
            Some(d.to_ascii_lowercase())
        );
        assert_eq!(parse_digest_hex::<20>(d), None);
        assert_eq!(parse_digest_hex::<32>(&d.replace('E', "g")), None);
    }
}
