//! The CLI's text report: what a deployment admin reads in ten seconds.
//!
//! A [`Report`] in, lines out; no I/O (the CLI decides colour from the
//! terminal and `NO_COLOR`, and prints). The layout, top to bottom:
//! - the verdict line: file, verdict over the selected targets, intact or not;
//! - what the file is, its digests (and parts), what was checked;
//! - one line per selected target: its verdict and the short reason
//!   ([`Reason::summary`]), `+N more` when there are others;
//! - the editions table, one row per image ([`editions_table`] takes the
//!   rows, [`edition_rows`] makes them from the report's `images[]`);
//! - each finding code once, with its count and at most
//!   [`EXAMPLES_SHOWN`] examples (`--verbose`: every example the report
//!   kept, info findings too, and every reason's full text);
//! - each remedy once.
//!
//! Prose (messages, remedies) is wrapped at [`WIDTH`] columns; paths are
//! never broken, so they can be copied.

use std::collections::HashSet;
use std::fmt::Write as _;
use wimproof::editions::{editions, EditionRow};
use wimproof::policy::{Reason, TargetResult, Verdict};
use wimproof::report::{Digests, Report};
use wimproof::verify::finding::{counted as plural, Code, Finding, Severity, MAX_EXAMPLES};

/// Examples of a finding code shown without `--verbose`.
pub const EXAMPLES_SHOWN: usize = 3;
/// Columns prose is wrapped at (a screenful is 100 columns).
pub const WIDTH: usize = 100;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Every example the report kept, info findings, every reason in full.
    pub verbose: bool,
    /// ANSI colours (the CLI sets it on a terminal without `NO_COLOR`).
    pub colour: bool,
    /// Seconds the verification took, if known.
    pub elapsed: Option<f64>,
}

/// ANSI colour sequences, or nothing.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// A verdict word, padded to `width` before colouring (so columns line
    /// up with colour too).
    fn verdict(self, v: Verdict, s: &str, width: usize) -> String {
        let code = match v {
            Verdict::Safe => "32",
            Verdict::Warning => "33",
            Verdict::Unverified => "35",
            Verdict::Unsafe => "31",
            Verdict::Corrupt => "1;31",
        };
        self.wrap(code, &format!("{s:<width$}"))
    }
    fn severity(self, f: &Finding, width: usize) -> String {
        let (code, name) = if f.unverified {
            ("35", "unverified")
        } else {
            match f.severity {
                Severity::Corruption => ("1;31", "corruption"),
                Severity::Blocker => ("31", "blocker"),
                Severity::Warning => ("33", "warning"),
                Severity::Info => ("2", "info"),
            }
        };
        self.wrap(code, &format!("{name:<width$}"))
    }
}

pub fn human_size(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A string from the image (a name, a path, a message quoting them) made
/// harmless on a terminal: control characters (an escape sequence could
/// recolour or rewrite the screen) and the bidirectional overrides (which
/// could show a name reversed) as `<U+XXXX>`.
pub fn printable(s: &str) -> String {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if bad(c) {
                format!("<U+{:04X}>", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Appends `text` wrapped at [`WIDTH`], the first line after `first`
/// (already `lead` columns wide on screen), the others indented by
/// `indent`. Words longer than a line (paths, commands) are kept whole.
fn wrap_into(o: &mut String, first: &str, lead: usize, indent: usize, text: &str) {
    let mut line = first.to_string();
    let mut col = lead;
    let mut empty = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let n = word.chars().count();
        if !empty && col + 1 + n > WIDTH {
            o.push_str(&line);
            o.push('\n');
            line = " ".repeat(indent);
            col = indent;
            empty = true;
        }
        if !empty {
            line.push(' ');
            col += 1;
        }
        line.push_str(word);
        col += n;
        empty = false;
    }
    o.push_str(&line);
    o.push('\n');
}

/// The editions table's lines (a header, then a row per image, columns as
/// wide as their widest cell), or none without rows.
pub fn editions_table(rows: &[EditionRow]) -> Vec<String> {
    if rows.is_empty() {
        return Vec::new();
    }
    let dash = |s: &Option<String>| s.as_deref().map(printable).unwrap_or_else(|| "-".into());
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    let header = [
        "index",
        "name",
        "edition",
        "arch",
        "version",
        "languages",
        "type",
        "files/dirs",
        "size",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let languages = match (&r.default_language, r.languages.len()) {
            (None, 0) => "-".to_string(),
            (None, _) => printable(&r.languages.join(",")),
            (Some(d), n) if n <= 1 => printable(d),
            (Some(d), _) => printable(&format!("{} (default {d})", r.languages.join(","))),
        };
        cells.push(vec![
            if r.boot {
                format!("{} boot", r.index)
            } else {
                r.index.to_string()
            },
            dash(&r.name),
            dash(&r.edition_id),
            dash(&r.architecture),
            dash(&r.version),
            languages,
            dash(&r.installation_type),
            format!("{}/{}", count(r.files), count(r.directories)),
            r.total_bytes.map(human_size).unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// Findings of one code, in the order they came.
struct Group<'a> {
    findings: Vec<&'a Finding>,
}

impl Group<'_> {
    fn first(&self) -> &Finding {
        self.findings[0]
    }
    /// How many things the code stands for over its findings.
    fn count(&self) -> u64 {
        self.findings.iter().map(|f| f.count.unwrap_or(1)).sum()
    }
    /// Its examples, each once: the findings' own, or the message of a
    /// finding without any (prefixed with the image when the code is about
    /// several images).
    fn examples(&self) -> Vec<String> {
        let images: HashSet<Option<u32>> = self.findings.iter().map(|f| f.image).collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for f in &self.findings {
            let prefix = match f.image {
                Some(i) if images.len() > 1 => format!("image {i}: "),
                _ => String::new(),
            };
            if f.examples.is_empty() {
                let m = printable(&f.message);
                if seen.insert(m.clone()) {
                    out.push(m);
                }
            } else {
                for e in &f.examples {
                    let e = format!("{prefix}{}", printable(e));
                    if seen.insert(e.clone()) {
                        out.push(e);
                    }
                }
            }
        }
        out
    }
    fn severity(&self) -> (bool, Severity) {
        let worst = self
            .findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        (self.findings.iter().any(|f| f.unverified), worst)
    }
}

/// The findings shown, grouped by code, worst first (ties in report order).
fn groups(r: &Report, verbose: bool) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    for f in r
        .findings
        .iter()
        .filter(|f| verbose || f.severity > Severity::Info || f.unverified)
    {
        match out.iter_mut().find(|g| g.first().code == f.code) {
            Some(g) => g.findings.push(f),
            None => out.push(Group { findings: vec![f] }),
        }
    }
    // Corruption, blocker, unverified, warning, info.
    let rank = |g: &Group| {
        let (unverified, s) = g.severity();
        match s {
            Severity::Corruption => 0,
            Severity::Blocker => 1,
            _ if unverified => 2,
            Severity::Warning => 3,
            Severity::Info => 4,
        }
    };
    out.sort_by_key(rank);
    out
}

/// How many things the findings of `code` stand for, if any finding has it.
fn code_count(r: &Report, code: &str) -> Option<u64> {
    let n: u64 = r
        .findings
        .iter()
        .filter(|f| f.code.as_str() == code)
        .map(|f| f.count.unwrap_or(1))
        .sum();
    (n > 0).then_some(n)
}

/// A target's short reason: the summary of its first reason at its
/// verdict (with the count of a finding code's things), and how many other
/// reasons are not safe.
fn short_reason(r: &Report, t: &TargetResult) -> String {
    let bad: Vec<&Reason> = t
        .reasons
        .iter()
        .filter(|x| x.verdict > Verdict::Safe)
        .collect();
    let Some(top) = bad.first() else {
        return String::new();
    };
    let mut s = match (top.summary(), code_count(r, &top.code)) {
        (Some(sum), Some(n)) if n > 1 => format!("{sum} ({n})"),
        (Some(sum), _) if top.code == "corrupt" => {
            let n = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Corruption)
                .count() as u64;
            format!(
                "{sum} ({})",
                plural(n, "corruption finding", "corruption findings")
            )
        }
        (Some(sum), _) => sum.to_string(),
        (None, _) => printable(&top.text),
    };
    if let Some(kb) = &top.kb {
        if !s.contains(kb.as_str()) {
            let _ = write!(s, " [{kb}]");
        }
    }
    if bad.len() > 1 {
        let n = bad.len() as u64 - 1;
        let _ = write!(s, "; {}", plural(n, "more reason", "more reasons"));
    }
    s
}

/// What the CLI prints above the reports of the WIMs on one medium.
pub struct MediumHeader<'a> {
    pub name: &'a str,
    /// `UDF` or `ISO 9660`.
    pub file_system: &'a str,
    pub size: u64,
    pub digests: &'a Digests,
    /// Bytes of the pass over the medium; of the second passes over files
    /// read in their own order, and how many files those are.
    pub main_bytes: u64,
    pub second_pass_bytes: u64,
    pub second_pass_files: usize,
    /// The reports of its WIMs (each rendered by [`render`] below it).
    pub reports: &'a [Report],
}

/// The medium's block: its name, file system, size and how many WIMs it
/// holds with their verdicts (worst first); its digests, once; what was
/// read.
pub fn render_medium(m: &MediumHeader, style: &Style) -> String {
    let p = Paint(style.colour);
    let mut o = String::new();
    let mut counts: Vec<(Verdict, u64)> = Vec::new();
    for r in m.reports {
        match counts.iter_mut().find(|c| c.0 == r.verdict) {
            Some(c) => c.1 += 1,
            None => counts.push((r.verdict, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let verdicts: Vec<String> = counts
        .iter()
        .map(|&(v, n)| format!("{n} {}", p.verdict(v, v.name(), 0)))
        .collect();
    let _ = writeln!(
        o,
        "{}: install media ({}), {}, {} on it: {}",
        p.bold(&printable(m.name)),
        m.file_system,
        human_size(m.size),
        plural(m.reports.len() as u64, "image", "images"),
        verdicts.join(", ")
    );
    if let Some(d) = &m.digests.sha256 {
        let _ = writeln!(o, "  sha256  {d}");
    }
    if let Some(d) = &m.digests.sha1 {
        let _ = writeln!(o, "  sha1    {d}");
    }
    let mut read = if m.main_bytes == m.size {
        format!("  read once, {}", human_size(m.main_bytes))
    } else {
        format!(
            "  read {} of it once (no digest: only the images' bytes)",
            human_size(m.main_bytes)
        )
    };
    if m.second_pass_files > 0 {
        let _ = write!(
            read,
            ", then {} in a second pass over {} in its own order",
            human_size(m.second_pass_bytes),
            plural(m.second_pass_files as u64, "file", "files")
        );
    }
    if let Some(s) = style.elapsed {
        let _ = write!(read, "; {s:.1} s");
    }
    let _ = writeln!(o, "{read}");
    o
}

/// The text report of one image (or split set).
pub fn render(r: &Report, style: &Style) -> String {
    let p = Paint(style.colour);
    let mut o = String::new();
    let selected: Vec<&TargetResult> = r
        .targets
        .iter()
        .filter(|t| r.selected.contains(&t.id))
        .collect();

    // The verdict line.
    let verdict = p.verdict(r.verdict, &r.verdict.name().to_uppercase(), 0);
    let whom = match selected.as_slice() {
        [one] => format!("for {}", one.id),
        all => {
            let n = all.iter().filter(|t| t.verdict == r.verdict).count();
            if n == all.len() {
                format!("for all {} targets", all.len())
            } else {
                format!("for {n} of {} targets", all.len())
            }
        }
    };
    let intact = match r.intact {
        Some(true) => "intact",
        Some(false) => "damaged",
        None => "not fully verifiable",
    };
    let _ = writeln!(
        o,
        "{}: {verdict} {whom} ({intact})",
        p.bold(&printable(&r.file.name))
    );

    // What the file is, its digests, what was checked.
    let mut what = vec![human_size(r.file.size)];
    match &r.wim {
        Some(w) => {
            let mut codec = match w.compression.as_str() {
                "none" => "uncompressed".to_string(),
                c => c.to_uppercase(),
            };
            if w.chunk_size > 0 {
                let _ = write!(codec, " {} KiB chunks", w.chunk_size / 1024);
            }
            what.push(codec);
            if w.solid {
                what.push("solid".into());
            }
            what.push(plural(u64::from(w.image_count), "image", "images"));
            if w.boot_index != 0 {
                what.push(format!("boot index {}", w.boot_index));
            }
            what.push(if r.integrity.present {
                format!(
                    "integrity table ({})",
                    plural(r.integrity.chunks, "chunk", "chunks")
                )
            } else {
                "no integrity table".into()
            });
            if w.total_parts > 1 {
                let given = r.parts.iter().filter(|x| !x.reference).count();
                what.push(if given == usize::from(w.total_parts) {
                    format!("{} parts", w.total_parts)
                } else {
                    format!("part {} of {}", w.part, w.total_parts)
                });
            }
        }
        None => what.push("not a readable WIM".into()),
    }
    let _ = writeln!(o, "  {}", what.join(", "));
    if let Some(d) = &r.digests.sha256 {
        let _ = writeln!(o, "  sha256  {d}");
    }
    if let Some(d) = &r.digests.sha1 {
        let _ = writeln!(o, "  sha1    {d}");
    }
    let name_w = r
        .parts
        .iter()
        .map(|x| x.name.chars().count())
        .max()
        .unwrap_or(0);
    for part in &r.parts {
        let role = if part.reference {
            "reference".to_string()
        } else {
            format!("part {}", part.part_number)
        };
        let digest = part
            .digests
            .sha256
            .as_deref()
            .or(part.digests.sha1.as_deref())
            .unwrap_or("");
        let line = format!(
            "  {role:<9} {:<name_w$}  {:>10}  {digest}",
            printable(&part.name),
            human_size(part.size)
        );
        let _ = writeln!(o, "{}", line.trim_end());
    }
    // What was checked; the bad ones named only when there are any.
    let c = &r.checked;
    let mut checked = format!(
        "  checked {}",
        plural(c.blobs_verified + c.blobs_corrupt, "blob", "blobs")
    );
    if c.blobs_corrupt > 0 {
        let _ = write!(checked, " ({} corrupt)", c.blobs_corrupt);
    }
    if c.blobs_unverified > 0 {
        let _ = write!(
            checked,
            ", {} not verified",
            plural(c.blobs_unverified, "blob", "blobs")
        );
    }
    let _ = write!(
        checked,
        ", {}",
        plural(
            c.metadata_resources,
            "metadata resource",
            "metadata resources"
        )
    );
    if r.integrity.present {
        let _ = write!(
            checked,
            ", {}",
            plural(r.integrity.checked, "integrity chunk", "integrity chunks")
        );
        if !r.integrity.bad_chunks.is_empty() {
            let _ = write!(checked, " ({} bad)", r.integrity.bad_chunks.len());
        }
    }
    if let Some(s) = style.elapsed {
        let _ = write!(checked, "; {s:.1} s");
    }
    let _ = writeln!(o, "{checked}");

    // One line per selected target.
    let _ = writeln!(o, "\n{}", p.bold("Targets"));
    let id_w = selected.iter().map(|t| t.id.id().len()).max().unwrap_or(0);
    let verdict_w = Verdict::ALL
        .iter()
        .map(|v| v.name().len())
        .max()
        .unwrap_or(0);
    for t in &selected {
        let line = format!(
            "  {:<id_w$}  {}  {}",
            t.id.id(),
            p.verdict(t.verdict, t.verdict.name(), verdict_w),
            short_reason(r, t)
        );
        let _ = writeln!(o, "{}", line.trim_end());
        if style.verbose {
            let lead = 4 + id_w + verdict_w;
            // The rules' reasons in full; those that come from findings
            // (and the corrupt and unverified ones, which quote the
            // first) are under Findings.
            let from_findings = |x: &Reason| {
                x.code == "corrupt" || x.code == "unverified" || Code::parse(&x.code).is_some()
            };
            for x in t.reasons.iter().filter(|x| !from_findings(x)) {
                let first = format!("{:lead$}{} ", "", x.verdict.name());
                let kb = x.kb.as_ref().map(|k| format!(" [{k}]")).unwrap_or_default();
                let text = printable(&format!("{}{kb}", x.text));
                let cols = lead + x.verdict.name().len() + 1;
                wrap_into(&mut o, &first, cols, cols, &text);
            }
        }
    }

    // The editions.
    let table = editions_table(&editions(r));
    if !table.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("Images"));
        for (i, line) in table.iter().enumerate() {
            let line = format!("  {line}");
            let _ = writeln!(o, "{}", if i == 0 { p.dim(&line) } else { line });
        }
    }

    // Each finding code once.
    let groups = groups(r, style.verbose);
    if !groups.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("Findings"));
        let sev_w = "unverified".len();
        for g in &groups {
            let f = g.first();
            let n = g.count();
            let count = if n > 1 {
                format!(" ({n})")
            } else {
                String::new()
            };
            let head = format!("  {} {}{count}: ", p.severity(f, sev_w), f.code);
            let lead = 3 + sev_w;
            let head_cols = 5 + sev_w + f.code.as_str().len() + count.len();
            // Continuation lines are indented past the examples' column,
            // so each example starts a line of its own at `lead`.
            wrap_into(&mut o, &head, head_cols, lead + 2, f.code.explanation());
            let examples = g.examples();
            let show = if style.verbose {
                examples.len()
            } else {
                examples.len().min(EXAMPLES_SHOWN)
            };
            for e in &examples[..show] {
                if g.findings.iter().any(|f| !f.examples.is_empty()) {
                    // Paths (and entries): whole, as they can be copied.
                    let _ = writeln!(o, "{:lead$}{e}", "");
                } else {
                    wrap_into(&mut o, &format!("{:lead$}", ""), lead, lead + 2, e);
                }
            }
            let shown = show as u64;
            if n > shown && shown > 0 {
                let rest = n - shown;
                let hint = if !style.verbose && examples.len() > show {
                    format!(" (--verbose lists {} of them)", examples.len() - show)
                } else if n > examples.len() as u64 {
                    format!(" (the report keeps {MAX_EXAMPLES} examples a finding)")
                } else {
                    String::new()
                };
                let _ = writeln!(
                    o,
                    "{:lead$}{}",
                    "",
                    p.dim(&format!("... and {rest} more{hint}"))
                );
            }
        }
    }

    // Each remedy once: the selected targets' reasons, then the findings.
    let mut remedies: Vec<&str> = Vec::new();
    let from_reasons = selected
        .iter()
        .flat_map(|t| t.reasons.iter())
        .filter(|x| x.verdict > Verdict::Safe)
        .filter_map(|x| x.remedy.as_deref());
    let from_findings = groups
        .iter()
        .flat_map(|g| g.findings.iter())
        .filter(|f| style.verbose || f.severity > Severity::Info || f.unverified)
        .filter_map(|f| f.remedy.as_deref());
    for rem in from_reasons.chain(from_findings) {
        if !remedies.contains(&rem) {
            remedies.push(rem);
        }
    }
    if !remedies.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("Remedies"));
        for rem in remedies {
            wrap_into(&mut o, "  - ", 4, 4, rem);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_the_width_but_long_words_stay_whole() {
        let mut o = String::new();
        let words = "word ".repeat(60);
        wrap_into(&mut o, "  - ", 4, 4, &words);
        assert!(o.lines().count() > 1);
        assert!(o.lines().all(|l| l.chars().count() <= WIDTH), "{o}");
        assert!(o.lines().skip(1).all(|l| l.starts_with("    word")));
        let mut o = String::new();
        let path = format!("\\{}", "x".repeat(150));
        wrap_into(&mut o, "    ", 4, 6, &format!("see {path} here"));
        assert!(o.lines().any(|l| l.trim() == path), "{o}");
    }

    #[test]
    fn the_table_has_a_column_per_field_and_marks_the_boot_image() {
        let rows = [
            EditionRow {
                index: 1,
                name: Some("Windows 11 Pro".into()),
                description: None,
                edition_id: Some("Professional".into()),
                architecture: Some("x64".into()),
                version: Some("10.0.22621.1".into()),
                languages: vec!["en-US".into(), "de-DE".into()],
                default_language: Some("en-US".into()),
                installation_type: Some("Client".into()),
                files: Some(100),
                directories: Some(20),
                total_bytes: Some(3 << 30),
                boot: false,
            },
            EditionRow {
                index: 2,
                boot: true,
                ..EditionRow::default()
            },
        ];
        let t = editions_table(&rows);
        assert_eq!(t.len(), 3);
        let cells = |s: &str| -> Vec<String> {
            s.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        };
        assert_eq!(
            cells(&t[1]),
            [
                "1",
                "Windows 11 Pro",
                "Professional",
                "x64",
                "10.0.22621.1",
                "en-US,de-DE (default en-US)",
                "Client",
                "100/20",
                "3.0 GiB"
            ],
            "{t:?}"
        );
        assert_eq!(cells(&t[0]).len(), 9);
        assert!(t[2].starts_with("2 boot  -"), "{t:?}");
        // Columns line up: each header word starts where its cells do.
        let at = |s: &str, w: &str| s.find(w).unwrap();
        assert_eq!(at(&t[0], "edition"), at(&t[1], "Professional"));
        assert!(editions_table(&[]).is_empty());
    }

    #[test]
    fn control_characters_and_overrides_are_shown_as_code_points() {
        assert_eq!(printable("\\a\\plain.txt"), "\\a\\plain.txt");
        assert_eq!(printable("x\u{1b}[2Jy"), "x<U+001B>[2Jy");
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(printable("a\nb"), "a<U+000A>b");
    }
}
