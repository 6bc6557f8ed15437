//! Checksum lists: reading the lines `sha256sum` and `sha1sum` write (GNU
//! form, `HEX  NAME` or `HEX *NAME`) and the tagged lines of BSD tools,
//! `shasum --tag`, OpenSSL and PowerShell scripts (`SHA256 (NAME) = HEX`);
//! looking a file up in a list; writing a GNU line (`--write-list`).
//!
//! One reading for the CLI (`--check-list`) and the page (its list
//! loader):
//! - blank lines and lines starting with `#` are skipped; every other line
//!   that is not one of the forms below is rejected, by line number, so the
//!   driver can say so instead of reporting the file as "not in the list";
//! - GNU form: 40 or 64 hex digits (any case), then spaces or tabs, then an
//!   optional `*` (binary mode), then the name; a line starting with `\`
//!   has its name escaped as GNU tools escape it (`\\` for `\`, `\n` for a
//!   line feed);
//! - BSD form: `SHA1` or `SHA256` (any case), the name in parentheses (it
//!   may itself hold parentheses), `=`, and a digest of the tag's length;
//!   spaces around the parentheses and `=` are optional;
//! - names are trimmed of surrounding spaces and matched by base name
//!   (what follows the last `/` or `\`), without regard to case
//!   ([`super::same_name`]); for each file the first SHA-256 entry and the
//!   first SHA-1 entry count, so a list may give a file both.

use super::{base_name, same_name};
use serde::{Deserialize, Serialize};

/// A digest algorithm a list can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Sha1,
    Sha256,
}

impl Algorithm {
    /// Hex digits of a digest.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 40,
            Algorithm::Sha256 => 64,
        }
    }
    /// The BSD form's tag.
    pub fn tag(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }
    fn of_hex(hex: &str) -> Option<Algorithm> {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        [Algorithm::Sha1, Algorithm::Sha256]
            .into_iter()
            .find(|a| a.hex_len() == hex.len())
    }
}

/// One line of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub algorithm: Algorithm,
    /// Lowercase hex, as the report spells digests.
    pub digest: String,
    /// The name as the list gives it (it may hold a directory).
    pub name: String,
    /// 1-based line number.
    pub line: usize,
}

/// The digests a list expects of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha1: Option<String>,
}

impl Expected {
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.sha1.is_none()
    }
}

/// A parsed list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksumList {
    pub entries: Vec<Entry>,
    /// 1-based numbers of the lines that are neither blank, a comment, nor
    /// an entry.
    pub rejected: Vec<usize>,
}

impl ChecksumList {
    pub fn parse(text: &str) -> ChecksumList {
        let mut list = ChecksumList::default();
        // A UTF-8 byte order mark, as Windows editors write it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_bsd(line).or_else(|| parse_gnu(line)) {
                Some((algorithm, digest, name)) => list.entries.push(Entry {
                    algorithm,
                    digest: digest.to_ascii_lowercase(),
                    name,
                    line: i + 1,
                }),
                None => list.rejected.push(i + 1),
            }
        }
        list
    }

    /// The digests the list gives for `file` (a path or a base name):
    /// the first entry of each algorithm whose base name is the file's.
    pub fn expected(&self, file: &str) -> Expected {
        let want = base_name(file);
        let mut out = Expected::default();
        for e in self
            .entries
            .iter()
            .filter(|e| same_name(base_name(&e.name), want))
        {
            let slot = match e.algorithm {
                Algorithm::Sha256 => &mut out.sha256,
                Algorithm::Sha1 => &mut out.sha1,
            };
            slot.get_or_insert_with(|| e.digest.clone());
        }
        out
    }
}

/// `TAG (NAME) = HEX`.
fn parse_bsd(line: &str) -> Option<(Algorithm, &str, String)> {
    let open = line.find('(')?;
    let tag = line[..open].trim_end();
    let algorithm = [Algorithm::Sha256, Algorithm::Sha1]
        .into_iter()
        .find(|a| a.tag().eq_ignore_ascii_case(tag))?;
    let eq = line.rfind('=')?;
    let digest = line[eq + 1..].trim();
    let inner = line.get(open + 1..eq)?.trim_end().strip_suffix(')')?;
    if Algorithm::of_hex(digest) != Some(algorithm) {
        return None;
    }
    let name = inner.trim();
    (!name.is_empty()).then(|| (algorithm, digest, name.to_string()))
}

/// `HEX  NAME`, `HEX *NAME`, or `\HEX  ESCAPED-NAME`.
fn parse_gnu(line: &str) -> Option<(Algorithm, &str, String)> {
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let end = line.find([' ', '\t'])?;
    let digest = &line[..end];
    let algorithm = Algorithm::of_hex(digest)?;
    let rest = line[end..].trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('*').unwrap_or(rest);
    let name = if escaped {
        unescape(rest)?
    } else {
        rest.to_string()
    };
    let name = name.trim();
    (!name.is_empty()).then(|| (algorithm, digest, name.to_string()))
}

/// GNU's escaping of a name: `\\` and `\n`; any other escape is an error.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            _ => return None,
        }
    }
    Some(out)
}

/// A `sha256sum`/`sha1sum` line (with its line feed) for `digest` of the
/// file named `name`, escaped as GNU tools escape names holding `\` or a
/// line feed.
pub fn gnu_line(digest: &str, name: &str) -> String {
    if name.contains(['\\', '\n']) {
        let escaped = name.replace('\\', "\\\\").replace('\n', "\\n");
        format!("\\{digest}  {escaped}\n")
    } else {
        format!("{digest}  {name}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S256: &str = "8e1db18fbb7cac012392be0ca3cfe903a5f9544b4a2de68a15c2fd10c706e3dc";
    const S1: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";

    fn entry(list: &ChecksumList, i: usize) -> (Algorithm, &str, &str, usize) {
        let e = &list.entries[i];
        (e.algorithm, e.digest.as_str(), e.name.as_str(), e.line)
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reads_gnu_lines_text_and_binary() {
        let text = format!(
            "# made by sha256sum\n\n{S256}  install.wim\n{}  *boot.wim\r\n{S1}\tsources/x.wim\n",
            S256.to_uppercase()
        );
        let l = ChecksumList::parse(&text);
        assert_eq!(l.rejected, Vec::<usize>::new());
        assert_eq!(entry(&l, 0), (Algorithm::Sha256, S256, "install.wim", 3));
        assert_eq!(entry(&l, 1), (Algorithm::Sha256, S256, "boot.wim", 4));
        assert_eq!(entry(&l, 2), (Algorithm::Sha1, S1, "sources/x.wim", 5));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reads_bsd_lines_with_parentheses_in_names() {
        let text = format!(
            "SHA256 (install (copy).wim) = {S256}\nsha1(boot.wim)= {S1}\nSHA1 (x.wim) = {S256}\nMD5 (y.wim) = {}\n",
            &S1[..32]
        );
        let l = ChecksumList::parse(&text);
        assert_eq!(
            entry(&l, 0),
            (Algorithm::Sha256, S256, "install (copy).wim", 1)
        );
        assert_eq!(entry(&l, 1), (Algorithm::Sha1, S1, "boot.wim", 2));
        // A SHA1 tag with a SHA-256-long digest, and an algorithm we do not
        // compute, are rejected rather than guessed at.
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.rejected, vec![3, 4]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_what_is_not_an_entry() {
        let text = format!(
            "\u{feff}{S256}  ok.wim\nabc  short.wim\n{S256}\n{S256}x  long.wim\n   # indented comment\n{}  bad.wim\n\\{S1}  bad\\escape\n",
            S1.replace('a', "g")
        );
        let l = ChecksumList::parse(&text);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(entry(&l, 0).2, "ok.wim");
        assert_eq!(l.rejected, vec![2, 3, 4, 6, 7]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn looks_files_up_by_base_name_without_case() {
        let other = S256.replace('8', "9");
        let text = format!(
            "{S256}  C:\\images\\Install.WIM\n{other}  install.wim\nSHA1 (./x/INSTALL.wim) = {S1}\n{other}  boot.wim\n"
        );
        let l = ChecksumList::parse(&text);
        let e = l.expected("/srv/images/install.wim");
        assert_eq!(
            e.sha256.as_deref(),
            Some(S256),
            "the first SHA-256 entry counts"
        );
        assert_eq!(e.sha1.as_deref(), Some(S1));
        assert_eq!(
            l.expected("boot.wim").sha256.as_deref(),
            Some(other.as_str())
        );
        assert_eq!(l.expected("boot.wim").sha1, None);
        assert!(l.expected("install.swm").is_empty());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn written_lines_read_back() {
        for name in [
            "install.wim",
            "a b.wim",
            "back\\slash.wim",
            "line\nfeed.wim",
        ] {
            let line = gnu_line(S256, name);
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line:?}"
            );
            let l = ChecksumList::parse(&line);
            assert_eq!(l.rejected, Vec::<usize>::new(), "{line:?}");
            assert_eq!(l.entries[0].name, name);
            assert_eq!(l.entries[0].digest, S256);
        }
        assert_eq!(
            gnu_line(S256, "install.wim"),
            format!("{S256}  install.wim\n")
        );
    }
}
