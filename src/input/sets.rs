//! Split sets: which of the files a user gives belong together as the
//! parts of one image, before anything is verified.
//!
//! The rule, the same in the CLI and the page:
//! - a file named `STEM.swm` whose stem does not end in a digit opens a set
//!   (`install.swm`; `install2.swm` is a later part, as DISM and wimlib name
//!   them); every other file is an image of its own;
//! - the set's part count is the header's `total_parts`, read from the
//!   file's first [`HEADER_BYTES`] bytes (if they start with a WIM magic;
//!   otherwise the count is unknown);
//! - parts `STEM2.swm`, `STEM3.swm`, ... up to the count (up to `STEM2.swm`
//!   when the count is unknown or 1) join the set when given, in the same
//!   directory; names and directories are compared without regard to case
//!   (and `/` is `\` in directories), as Windows does
//!   ([`super::same_name`]); a later part looked for keeps the first
//!   part's spelling of `.swm`;
//! - parts up to the count that were not given are named as
//!   [`Part::Beside`]: the CLI looks for them in the first part's
//!   directory; the page, which only has the files it was given, leaves
//!   them out and the verification reports them missing.
//!
//! A later part given before its first part still joins it. Later parts
//! given without their first part (no `STEM.swm` among the files in their
//! directory) form one set of their own, in part order, when their headers
//! agree that they are parts of one split image: the same GUID, and a
//! `total_parts` of at least their number; nothing is looked for beside
//! them, and the verification reports the parts not given (part 1 among
//! them) missing, once for the set. A stem that ends in a digit
//! (`win10.swm`) never opens a set: its parts are verified one by one,
//! each reporting the others missing. That is the naming rule's price; the
//! header's part number is not trusted before the file is verified.

use super::{base_name, same_name};
use crate::format::header::{at, Header, TOTAL_PARTS_END};
use serde::{Deserialize, Serialize};

/// How many bytes of each file's start [`group`] needs.
pub const HEADER_BYTES: usize = TOTAL_PARTS_END;

/// A file given by the user: its name (a path, or a base name) and its
/// first bytes (at least [`HEADER_BYTES`], fewer if the file is shorter or
/// could not be read).
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub header: &'a [u8],
}

/// One part of a set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The given file with this index.
    Given(usize),
    /// Not given: the file name (no directory) to look for beside the
    /// first part.
    Beside(String),
}

/// One image: its parts in part order, the first part first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Set {
    pub parts: Vec<Part>,
}

impl Set {
    /// The indices of the given files, in part order.
    pub fn given(&self) -> Vec<usize> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Given(i) => Some(*i),
                Part::Beside(_) => None,
            })
            .collect()
    }
}

/// `(STEM, EXT)` if `name` opens a set: `STEM.swm`, the stem not ending in
/// a digit, `EXT` the extension as spelled (`swm`, `SWM`, ...).
fn first_part_stem(name: &str) -> Option<(&str, &str)> {
    let dot = name.rfind('.')?;
    let (stem, ext) = (&name[..dot], &name[dot + 1..]);
    if !ext.eq_ignore_ascii_case("swm") || stem.is_empty() {
        return None;
    }
    if stem.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((stem, ext))
}

/// `(STEM, N)` if `name` is a later part's name: `STEM` then `N` (2 or
/// more, without a leading zero) then `.swm`, where `STEM.swm` would open a
/// set. A run of final digits is taken whole: `win102.swm` is part 102 of
/// `win.swm`, never part 2 of `win10.swm` (which opens no set).
fn later_part(name: &str) -> Option<(&str, u16)> {
    let dot = name.rfind('.')?;
    let (stem_n, ext) = (&name[..dot], &name[dot + 1..]);
    if !ext.eq_ignore_ascii_case("swm") {
        return None;
    }
    let stem = stem_n.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &stem_n[stem.len()..];
    if stem.is_empty() || digits.starts_with('0') {
        return None;
    }
    let n: u16 = digits.parse().ok()?;
    (n >= 2).then_some((stem, n))
}

/// The GUID in a header's first bytes, if they hold it and a `total_parts`
/// of at least `n`.
fn guid_of_part(prefix: &[u8], n: u16) -> Option<&[u8]> {
    let total = Header::total_parts_of_prefix(prefix)?;
    let guid = prefix.get(at::GUID as usize..at::GUID as usize + 16)?;
    (total >= n).then_some(guid)
}

/// Opens a set for the later parts left over whose first part was not
/// given: those of one split image (same directory, stem and GUID), in
/// part order, at the place of the first of them given.
fn join_later_parts(files: &[Candidate], claimed: &mut [bool], opened: &mut [Option<Set>]) {
    let first_given = |dir: &str, stem: &str| {
        files.iter().any(|f| {
            first_part_stem(base_name(f.name)).is_some_and(|(s, _)| same_name(s, stem))
                && same_dir(dir_of(f.name), dir)
        })
    };
    #[derive(Clone, Copy)]
    struct Later<'a> {
        dir: &'a str,
        stem: &'a str,
        n: u16,
        guid: &'a [u8],
    }
    let later: Vec<Option<Later>> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (dir, (stem, n)) = (dir_of(f.name), later_part(base_name(f.name))?);
            // (A later part's name never opens a set: its stem ends in a digit.)
            if claimed[i] || first_given(dir, stem) {
                return None;
            }
            let guid = guid_of_part(f.header, n)?;
            Some(Later { dir, stem, n, guid })
        })
        .collect();
    let same_image = |a: Later, b: Later| {
        a.guid == b.guid && same_dir(a.dir, b.dir) && same_name(a.stem, b.stem)
    };
    for i in 0..files.len() {
        let Some(me) = later[i].filter(|_| !claimed[i]) else {
            continue;
        };
        let mut members: Vec<(u16, usize)> = (i..files.len())
            .filter_map(|j| {
                let other = later[j].filter(|&o| !claimed[j] && same_image(me, o))?;
                Some((other.n, j))
            })
            .collect();
        if members.len() < 2 {
            continue;
        }
        members.sort_unstable();
        for &(_, j) in &members {
            claimed[j] = true;
        }
        opened[i] = Some(Set {
            parts: members.into_iter().map(|(_, j)| Part::Given(j)).collect(),
        });
    }
}

/// The directory part of `name`: all before the base name.
fn dir_of(name: &str) -> &str {
    &name[..name.len() - base_name(name).len()]
}

/// Whether two directory prefixes are the same for Windows: without case,
/// `/` and `\` alike.
fn same_dir(a: &str, b: &str) -> bool {
    let slash = |s: &str| s.replace('\\', "/");
    same_name(&slash(a), &slash(b))
}

/// Groups `files` into images, in the order their first files were given
/// (a later part given before its first part still joins it).
pub fn group(files: &[Candidate]) -> Vec<Set> {
    // First parts never look like later parts (their stems end in a digit)
    // and vice versa, so each set can take its parts from all the files.
    let mut claimed = vec![false; files.len()];
    let mut opened: Vec<Option<Set>> = vec![None; files.len()];
    for (i, f) in files.iter().enumerate() {
        let Some((stem, ext)) = first_part_stem(base_name(f.name)) else {
            continue;
        };
        let dir = dir_of(f.name);
        let total = Header::total_parts_of_prefix(f.header).unwrap_or(1);
        let mut parts = vec![Part::Given(i)];
        for n in 2..=total.max(2) {
            let want = format!("{stem}{n}.{ext}");
            let found = (0..files.len()).find(|&j| {
                !claimed[j]
                    && same_name(base_name(files[j].name), &want)
                    && same_dir(dir_of(files[j].name), dir)
            });
            match found {
                Some(j) => {
                    claimed[j] = true;
                    parts.push(Part::Given(j));
                }
                None if n <= total => parts.push(Part::Beside(want)),
                None => {}
            }
        }
        opened[i] = Some(Set { parts });
    }
    join_later_parts(files, &mut claimed, &mut opened);
    let mut sets = Vec::new();
    for (i, set) in opened.into_iter().enumerate() {
        match set {
            Some(set) => sets.push(set),
            None if !claimed[i] => sets.push(Set {
                parts: vec![Part::Given(i)],
            }),
            None => {}
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::header::{at, HEADER_SIZE, MAGIC, TOTAL_PARTS_AT};
    use Part::{Beside, Given};

    fn header(total: u16) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC);
        b[TOTAL_PARTS_AT..TOTAL_PARTS_AT + 2].copy_from_slice(&total.to_le_bytes());
        b
    }

    fn sets(files: &[(&str, &[u8])]) -> Vec<Vec<Part>> {
        let c: Vec<Candidate> = files
            .iter()
            .map(|&(name, header)| Candidate { name, header })
            .collect();
        group(&c).into_iter().map(|s| s.parts).collect()
    }

    fn beside(name: &str) -> Part {
        Beside(name.to_string())
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parts_join_their_first_part_in_part_order() {
        let (h4, h) = (header(4), header(4));
        let got = sets(&[
            ("install3.swm", &h),
            ("boot.wim", &h),
            ("install.swm", &h4),
            ("install2.swm", &h),
        ]);
        assert_eq!(
            got,
            [
                vec![Given(1)],
                vec![Given(2), Given(3), Given(0), beside("install4.swm")],
            ]
        );
        // The set's extension spelling is kept for parts looked for.
        assert_eq!(
            sets(&[("X.SWM", &header(2))]),
            [vec![Given(0), beside("X2.SWM")]]
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn names_and_directories_match_without_case() {
        let (h3, h) = (header(3), header(3));
        let got = sets(&[
            ("D:\\Images\\Install.swm", &h3),
            ("d:/images/INSTALL3.SWM", &h),
            ("other/install2.swm", &h),
        ]);
        // `other/install2.swm` is in another directory: an image of its own.
        assert_eq!(
            got,
            [
                vec![Given(0), beside("Install2.swm"), Given(1)],
                vec![Given(2)]
            ]
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn without_a_readable_count_only_the_second_part_joins() {
        let h = header(3);
        let not_wim = b"MSWIN\0\0\0".repeat(8);
        for first in [&[][..], &h[..TOTAL_PARTS_AT], &not_wim[..], &header(1)[..]] {
            let got = sets(&[("a.swm", first), ("a2.swm", &h), ("a3.swm", &h)]);
            assert_eq!(got, [vec![Given(0), Given(1)], vec![Given(2)]]);
            // Nothing is looked for beside it.
            assert_eq!(sets(&[("a.swm", first)]), [vec![Given(0)]]);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn later_parts_without_their_first_part_form_one_set() {
        let with_guid = |total: u16, g: u8| {
            let mut b = header(total);
            b[at::GUID as usize..at::GUID as usize + 16].fill(g);
            b
        };
        let (a, b) = (with_guid(3, 0xA1), with_guid(3, 0xB2));
        // In part order, where the first of them was given; nothing looked
        // for beside them.
        let got = sets(&[
            ("img/install3.swm", &a),
            ("boot.wim", &a),
            ("IMG/Install2.SWM", &a),
        ]);
        assert_eq!(got, [vec![Given(2), Given(0)], vec![Given(1)]]);
        // Another image's parts (another GUID), another directory, a count
        // below the part's number, or no header: each on its own.
        for (second, name) in [
            (&b, "install3.swm"),
            (&a, "other/install3.swm"),
            (&with_guid(2, 0xA1), "install3.swm"),
            (&b"MSWIN\0\0\0".repeat(8), "install3.swm"),
        ] {
            let got = sets(&[("install2.swm", &a), (name, second)]);
            assert_eq!(got, [vec![Given(0)], vec![Given(1)]], "{name}");
        }
        // With the first part given (even one whose count cannot be read),
        // the rule of the first part holds.
        let got = sets(&[
            ("a.swm", &[][..]),
            ("a3.swm", &a),
            ("a2.swm", &a),
            ("a4.swm", &a),
        ]);
        assert_eq!(
            got,
            [vec![Given(0), Given(2)], vec![Given(1)], vec![Given(3)]]
        );
        assert_eq!(later_part("install12.swm"), Some(("install", 12)));
        assert_eq!(later_part("win102.SWM"), Some(("win", 102)));
        for name in [
            "install1.swm",
            "install02.swm",
            "install.swm",
            "2.swm",
            "install2.wim",
        ] {
            assert_eq!(later_part(name), None, "{name}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_a_stem_without_a_final_digit_opens_a_set() {
        let h = header(2);
        let got = sets(&[
            ("win10.swm", &h),
            ("win102.swm", &h),
            (".swm", &h),
            ("a.wim", &h),
        ]);
        assert_eq!(
            got,
            [
                vec![Given(0)],
                vec![Given(1)],
                vec![Given(2)],
                vec![Given(3)]
            ]
        );
        // Each part is taken once: the second `x.swm` finds none left.
        let got = sets(&[("x.swm", &h), ("x.swm", &h), ("x2.swm", &h)]);
        assert_eq!(
            got,
            [vec![Given(0), Given(2)], vec![Given(1), beside("x2.swm")]]
        );
    }
}
