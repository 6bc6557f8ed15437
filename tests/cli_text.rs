//! The CLI's text report on every generated fixture, read the way an admin
//! reads it: the verdict line first, one line per selected target, each
//! finding code once with at most three examples, each remedy once, the
//! editions table, no colour when stdout is not a terminal; and the noisy
//! fixture (names Windows forbids, case-duplicate names) on one screen.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output};
use wimproof::policy::TargetId;

/// Examples shown per finding code without `--verbose`.
const SHOWN: usize = 3;
/// The column examples start at (under the code of their heading).
const EXAMPLE_INDENT: usize = 13;

fn run(files: &[PathBuf], refs: &[PathBuf], args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wimproof"));
    c.arg("--no-progress").args(args);
    for r in refs {
        c.arg("--ref").arg(r);
    }
    c.args(files)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run wimproof")
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 text")
}

/// The report's lines by section (`""` for the lines before the first
/// heading: the verdict line and what the file is).
fn sections(t: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in t.lines() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') && !out.is_empty() {
            current = line.to_string();
            assert!(!out.contains_key(&current), "section {current} twice:\n{t}");
        }
        out.entry(current.clone())
            .or_default()
            .push(line.to_string());
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The text's rendering of a string from the image (control characters as
/// `<U+XXXX>`).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("<U+{:04X}>", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn shown(f: &Value) -> bool {
    f["severity"] != "info" || f["unverified"] == true
}

/// A finding heading: `  SEVERITY CODE[ (N)]: explanation`; the code and N.
fn heading(line: &str) -> (String, Option<u64>) {
    let mut words = line.split_whitespace();
    words.next();
    let code = words.next().unwrap().trim_end_matches(':').to_string();
    let count = words.next().filter(|w| w.starts_with('(')).map(|w| {
        w.trim_matches(|c| c == '(' || c == ')' || c == ':')
            .parse()
            .unwrap()
    });
    (code, count)
}

/// Checks one text report against the JSON report of the same run.
fn check_text(name: &str, t: &str, json: &Value, selected: &[TargetId]) {
    assert!(!t.contains('\x1b'), "{name}: colour on a pipe:\n{t}");
    let s = sections(t);
    let head = &s[""];
    // The verdict line first: the file, the worst verdict over the selection.
    let targets: Vec<&Value> = json["targets"].as_array().unwrap().iter().collect();
    let verdict_of = |id: TargetId| {
        targets.iter().find(|x| x["id"] == id.id()).unwrap()["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let order = ["safe", "warning", "unverified", "unsafe", "corrupt"];
    let worst = selected
        .iter()
        .map(|&id| verdict_of(id))
        .max_by_key(|v| order.iter().position(|o| o == v))
        .unwrap();
    let file = json["file"]["name"].as_str().unwrap();
    assert!(
        head[0].starts_with(&format!("{file}: {} for ", worst.to_uppercase())),
        "{name}: verdict line {:?}",
        head[0]
    );
    // One line per selected target, with its verdict.
    let lines = &s["Targets"][1..];
    assert_eq!(lines.len(), selected.len(), "{name}: target lines:\n{t}");
    for (line, id) in lines.iter().zip(selected) {
        let w: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (w[0], w[1]),
            (id.id(), verdict_of(*id).as_str()),
            "{name}: {line}"
        );
    }
    // The editions table: a header and a row per image, the boot one marked.
    let images = json["images"].as_array().unwrap();
    let boot = json["wim"]["boot_index"].as_u64().unwrap_or(0);
    match s.get("Images") {
        None => assert!(images.is_empty(), "{name}: no editions table"),
        Some(rows) => {
            assert_eq!(rows.len(), 2 + images.len(), "{name}: {rows:?}");
            assert!(rows[1].trim_start().starts_with("index"), "{name}");
            for (row, img) in rows[2..].iter().zip(images) {
                let i = img["index"].as_u64().unwrap();
                let w: Vec<&str> = row.split_whitespace().collect();
                assert_eq!(w[0], i.to_string(), "{name}: {row}");
                assert_eq!(w[1] == "boot", i == boot, "{name}: {row}");
            }
        }
    }
    // Each finding code shown once, with its count and at most three
    // examples.
    let findings: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| shown(f))
        .collect();
    let want: BTreeSet<String> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    let mut got = BTreeSet::new();
    if let Some(lines) = s.get("Findings") {
        let mut current: Option<String> = None;
        let mut examples = 0;
        for line in &lines[1..] {
            match indent(line) {
                2 => {
                    let (code, count) = heading(line);
                    assert!(got.insert(code.clone()), "{name}: {code} twice:\n{t}");
                    let n: u64 = findings
                        .iter()
                        .filter(|f| f["code"] == code.as_str())
                        .map(|f| f["count"].as_u64().unwrap_or(1))
                        .sum();
                    assert_eq!(count.unwrap_or(1), n, "{name}: {line}");
                    current = Some(code);
                    examples = 0;
                }
                EXAMPLE_INDENT if !line.trim_start().starts_with("... and ") => {
                    examples += 1;
                    assert!(
                        examples <= SHOWN,
                        "{name}: {current:?} shows {examples} examples:\n{t}"
                    );
                }
                _ => {}
            }
        }
    }
    assert_eq!(got, want, "{name}: finding codes in the text:\n{t}");
    // Each remedy once (a remedy is a `  - ` line and its continuations).
    let mut remedies: Vec<String> = Vec::new();
    for line in s.get("Remedies").map(|r| &r[1..]).unwrap_or(&[]) {
        match line.strip_prefix("  - ") {
            Some(first) => remedies.push(first.to_string()),
            None => {
                let last = remedies.last_mut().expect("a remedy starts with `  - `");
                last.push(' ');
                last.push_str(line.trim());
            }
        }
    }
    let distinct: BTreeSet<&String> = remedies.iter().collect();
    assert_eq!(
        distinct.len(),
        remedies.len(),
        "{name}: a remedy twice:\n{t}"
    );
    let known: BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["remedy"].as_str())
        .chain(
            targets
                .iter()
                .flat_map(|x| x["reasons"].as_array().unwrap())
                .filter_map(|r| r["remedy"].as_str()),
        )
        .map(str::to_string)
        .collect();
    for r in &remedies {
        assert!(known.contains(r), "{name}: remedy not in the report: {r}");
    }
}

#[test]
fn every_fixture_follows_the_text_rule() {
    let rows = manifest();
    assert!(rows.iter().any(|r| r.name == "noisy"), "no noisy fixture");
    let mut checked = 0;
    let mut lines = 0;
    for row in &rows {
        let json_out = run(&row.files, &row.refs, &["--json", "--target", "all"], &[]);
        let json: Value = serde_json::from_slice(&json_out.stdout)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", row.name));
        let all = run(&row.files, &row.refs, &["--target", "all"], &[]);
        assert_eq!(all.status.code(), json_out.status.code(), "{}", row.name);
        check_text(&row.name, &text(&all), &json, &TargetId::ALL);
        let one = run(&row.files, &row.refs, &[], &[]);
        check_text(&row.name, &text(&one), &json, &[TargetId::DEFAULT]);
        lines = lines.max(text(&all).lines().count());
        checked += 1;
    }
    println!("text of {checked} fixtures checked (default target and all); longest {lines} lines");
}

fn noisy() -> Row {
    manifest()
        .into_iter()
        .find(|r| r.name == "noisy")
        .expect("noisy fixture")
}

#[test]
fn the_noisy_image_fits_a_screen_and_names_each_example_once() {
    let row = noisy();
    let json: Value =
        serde_json::from_slice(&run(&row.files, &[], &["--json", "--target", "all"], &[]).stdout)
            .unwrap();
    let t = text(&run(&row.files, &[], &["--target", "all"], &[]));
    let (n, widest) = (
        t.lines().count(),
        t.lines().map(|l| l.chars().count()).max().unwrap(),
    );
    println!(
        "noisy.wim --target all: {n} lines, at most {widest} columns, {} bytes:\n{t}",
        t.len()
    );
    assert!(
        n <= 40 && widest <= 100,
        "{n} lines, {widest} columns:\n{t}"
    );
    let findings = json["findings"].as_array().unwrap();
    let mut codes = BTreeSet::new();
    for f in findings.iter().filter(|f| shown(f)) {
        let code = f["code"].as_str().unwrap();
        codes.insert(code);
        let count = f["count"].as_u64().expect("a tree finding has a count");
        let examples: Vec<&str> = f["examples"]
            .as_array()
            .expect("and examples")
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(
            count > SHOWN as u64,
            "{code}: {count}: the fixture should have more than it shows"
        );
        // The message is what it was: it lists the same examples.
        let message = f["message"].as_str().unwrap();
        let more = if count > examples.len() as u64 {
            format!(" and {} more", count - examples.len() as u64)
        } else {
            String::new()
        };
        assert!(
            message.ends_with(&format!(": {}{more}", examples.join(", "))),
            "{message}"
        );
        for e in &examples[..SHOWN] {
            let on_lines = t.lines().filter(|l| l.trim() == printable(e)).count();
            assert_eq!(on_lines, 1, "{code}: {e:?} on {on_lines} lines");
            assert_eq!(
                t.matches(printable(e).as_str()).count(),
                1,
                "{e:?} elsewhere too:\n{t}"
            );
        }
        for e in &examples[SHOWN..] {
            assert!(
                !t.lines().any(|l| l.trim() == printable(e)),
                "{e} shown past {SHOWN}"
            );
        }
        let rest = format!("... and {} more", count - SHOWN as u64);
        assert!(
            t.lines().any(|l| l.trim().starts_with(&rest)),
            "{code}: no `{rest}`:\n{t}"
        );
    }
    assert!(
        codes.contains("metadata.windows_name") && codes.contains("metadata.duplicate_name"),
        "{codes:?}"
    );
    // The control character in a name reaches the screen as a code point.
    assert!(!t.contains('\u{1}'));
    let v = text(&run(&row.files, &[], &["--verbose"], &[]));
    assert!(v.contains("ctl<U+0001>x.txt"), "{v}");
    assert!(!v.contains('\u{1}'));
    // --verbose lists every example each finding kept.
    for f in findings.iter().filter(|f| shown(f)) {
        for e in f["examples"].as_array().unwrap() {
            let e = printable(e.as_str().unwrap());
            assert_eq!(v.lines().filter(|l| l.trim() == e).count(), 1, "{e}:\n{v}");
        }
    }
}

#[test]
fn colour_only_on_a_terminal_or_when_forced_and_never_with_no_color() {
    let row = noisy();
    let plain = text(&run(&row.files, &[], &[], &[]));
    assert!(!plain.contains('\x1b'));
    let forced = text(&run(&row.files, &[], &[], &[("CLICOLOR_FORCE", "1")]));
    assert!(forced.contains("\x1b[33mWARNING\x1b[0m"), "{forced}");
    // Without the escape sequences it is the same text.
    let mut stripped = String::new();
    let mut rest = forced.as_str();
    while let Some(i) = rest.find('\x1b') {
        stripped.push_str(&rest[..i]);
        let end = rest[i..].find('m').unwrap();
        rest = &rest[i + end + 1..];
    }
    stripped.push_str(rest);
    let mask = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("  checked "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(mask(&stripped), mask(&plain));
    let no = text(&run(
        &row.files,
        &[],
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    ));
    assert!(!no.contains('\x1b'), "{no}");
}

/// Masks what differs from one generation of the fixtures (or one run) to
/// the next: SHA-256 digests (the captures hold times and a random GUID),
/// the seconds taken, and the file's size on the line after each verdict
/// line and an install medium's sizes on its first line and its `read`
/// line (the XML holds times of varying length and wimlib's compressor
/// output varies by some bytes between captures; the editions table's
/// sizes are the trees' and stay).
fn mask(t: &str) -> String {
    let verdict_line = |l: &str| {
        !l.starts_with(' ')
            && (l.ends_with(" (intact)")
                || l.ends_with(" (damaged)")
                || l.ends_with(" (not fully verifiable)"))
    };
    let mut after_verdict = false;
    t.lines()
        .map(|l| {
            let mut l = l.to_string();
            if after_verdict && l.starts_with("  ") {
                if let Some((_, rest)) = l.split_once(", ") {
                    l = format!("  <size>, {rest}");
                }
            }
            after_verdict = verdict_line(&l);
            if let Some(at) = l.find(": install media (") {
                // `NAME: install media (UDF), SIZE, N images on it: ...`
                let (head, rest) = l.split_at(at);
                let parts: Vec<&str> = rest.splitn(3, ", ").collect();
                if parts.len() == 3 {
                    l = format!("{head}{}, <size>, {}", parts[0], parts[2]);
                }
            }
            if l.starts_with("  read ") {
                // `  read once, SIZE[, then SIZE in a second pass ...]; N.N s`
                if let Some(i) = l.rfind("; ") {
                    if l.ends_with(" s") {
                        l.truncate(i);
                    }
                }
                let words: Vec<&str> = l.split(' ').collect();
                l = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let unit = words.get(i + 1).map(|u| u.trim_end_matches(','));
                        if w.parse::<f64>().is_ok()
                            && matches!(unit, Some("B" | "KiB" | "MiB" | "GiB"))
                        {
                            "<n>"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            if let Some(i) = l.find(" s") {
                if l.starts_with("  checked ") && l.ends_with(" s") {
                    l = l[..l[..i].rfind(';').unwrap_or(i)].to_string();
                }
            }
            l.split(' ')
                .map(|w| {
                    if w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()) {
                        "<sha256>"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readme_samples_are_what_the_cli_prints() {
    let dir = generated();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    if readme.contains("<!-- sample: media/") {
        // Install media samples: made by media.sh into generated/media/.
        fixture_script("media.sh", "media");
    }
    let mut samples = 0;
    for (at, _) in readme.match_indices("<!-- sample: ") {
        let block = &readme[at..];
        let block = &block[block.find("```sh\n").unwrap() + 6..];
        let block = &block[..block.find("```").unwrap()];
        let (command, shown) = block.split_once('\n').unwrap();
        let args: Vec<&str> = command
            .strip_prefix("$ wimproof ")
            .expect("a sample starts with `$ wimproof`")
            .split_whitespace()
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_wimproof"))
            .current_dir(&dir)
            .arg("--no-progress")
            .args(&args)
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        assert_eq!(
            mask(shown),
            mask(&text(&out)),
            "update the README's sample of `{command}` to:\n{}",
            text(&out)
        );
        samples += 1;
    }
    assert!(samples >= 2, "the README's CLI samples: {samples}");
}
