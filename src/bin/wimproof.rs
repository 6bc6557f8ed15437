//! `wimproof FILE...`: verifies WIM files and says on which deployment
//! targets they are safe. See `wimproof --help`.
//!
//! Argument parsing (clap), the progress bar (indicatif), file and
//! directory access, and printing; what the arguments mean (target lists,
//! split sets, checksum lists, exit statuses) is the library's, and the
//! text report is rendered by [`text`] (no I/O there).

// The crate root is this file, so the module's path is given.
#[path = "wimproof/text.rs"]
mod text;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use wimproof::assess::reports_together;
use wimproof::assess::Request;
use wimproof::input::checksums::{gnu_line, ChecksumList};
use wimproof::input::sets::{self, Candidate, Part};
use wimproof::input::{
    base_name, parse_digest_hex, parse_targets, same_name, DigestChoice, ALL_TARGETS,
};
use wimproof::native::medium::{is_medium, verify_medium, MediumRun};
use wimproof::native::{now_iso, verify_outcome_stats, DriverError};
use wimproof::policy::TargetId;
use wimproof::report::Report;
use wimproof::report::{ErrorKind, ErrorReport, ExitStatus};
use wimproof::verify::outcome::Outcome;
use wimproof::verify::Options;

const AFTER_HELP: &str = "\
A split set is one image: give install.swm (install2.swm, install3.swm, ...
are found beside it) or all its parts.

Install media (an ISO: UDF or ISO 9660) are read once, in place: every
.wim, .esd and .swm set on it is verified, and --digest, --expect-* and
--check-list apply to the ISO itself.

Colour on a terminal only; NO_COLOR turns it off, CLICOLOR_FORCE on.

Exit status: 0 safe or warning, 1 corrupt, 2 usage or read error (never a
verdict), 3 intact but unsafe for the target, 4 not fully verifiable. With
several files the worst wins: 2, then 1, 3, 4, 0.";

/// Verifies WIM images (and .swm split sets) and says on which deployment
/// targets each is safe to multicast.
#[derive(Parser, Debug)]
#[command(
    name = "wimproof",
    version,
    after_help = AFTER_HELP,
    override_usage = "wimproof [OPTIONS] <FILE>...\n       wimproof --completions <SHELL>"
)]
struct Cli {
    /// The WIM files (.wim, .esd, .swm), or install media (.iso)
    #[arg(value_name = "FILE", required_unless_present = "completions")]
    files: Vec<PathBuf>,

    /// Print the report as JSON (an array when several images are given,
    /// or install media)
    #[arg(long)]
    json: bool,

    /// List every example each finding kept (the text shows 3 of a
    /// finding code), info findings, and each rule's reason in full
    #[arg(short, long, conflicts_with = "json")]
    verbose: bool,

    /// Deployment target to judge for; repeat or separate with commas
    #[arg(
        long,
        value_name = "ID|all",
        value_delimiter = ',',
        value_parser = target_values(),
        default_value = TargetId::DEFAULT.id()
    )]
    target: Vec<String>,

    /// Whole-file digests to compute (of an ISO: the ISO's)
    #[arg(long, value_name = "ALG", default_value = "sha256", value_parser = digest_values())]
    digest: DigestChoice,

    /// Whole-file digests of each WIM inside install media (the ISO's own
    /// digest is what publishers give, so these are off by default)
    #[arg(long, value_name = "ALG", default_value = "none", value_parser = digest_values())]
    inner_digest: DigestChoice,

    /// The whole-file SHA-256 the file must have (a mismatch is corrupt)
    #[arg(long, value_name = "HEX", value_parser = hex_digits::<32>)]
    expect_sha256: Option<String>,

    /// The whole-file SHA-1 the file must have (a mismatch is corrupt)
    #[arg(long, value_name = "HEX", value_parser = hex_digits::<20>)]
    expect_sha1: Option<String>,

    /// Compare with a checksum list (sha256sum/sha1sum or BSD style),
    /// matched by file name without case
    #[arg(long, value_name = "FILE")]
    check_list: Option<PathBuf>,

    /// Append sha256sum lines for the files verified
    #[arg(long, value_name = "FILE")]
    write_list: Option<PathBuf>,

    /// A reference WIM whose blobs the images may use (the base a delta
    /// was captured against with --delta-from), as `wimlib-imagex verify
    /// --ref` takes it; verified too. Repeat for several
    #[arg(long = "ref", value_name = "FILE")]
    refs: Vec<PathBuf>,

    /// Worker threads [default: all cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,

    /// No progress bar (it is drawn only when stderr is a terminal)
    #[arg(long)]
    no_progress: bool,

    /// Print what each verification cost to stderr: phase 1 and phase 2
    /// wall time, phase 2's CPU time and the cores it used on average
    #[arg(long)]
    stats: bool,

    /// Print a completion script for SHELL and exit
    #[arg(long, value_name = "SHELL", conflicts_with = "files")]
    completions: Option<clap_complete::Shell>,
}

/// Target ids with their titles (from the policy), and `all`.
fn target_values() -> PossibleValuesParser {
    let ids = TargetId::ALL
        .iter()
        .map(|t| PossibleValue::new(t.id()).help(t.title()));
    PossibleValuesParser::new(ids.chain([PossibleValue::new(ALL_TARGETS).help("every target")]))
}

fn digest_values() -> impl TypedValueParser<Value = DigestChoice> {
    PossibleValuesParser::new(
        DigestChoice::ALL
            .iter()
            .map(|d| PossibleValue::new(d.name()).help(d.help())),
    )
    .try_map(|s| s.parse::<DigestChoice>())
}

fn hex_digits<const N: usize>(s: &str) -> Result<String, String> {
    parse_digest_hex::<N>(s).ok_or_else(|| format!("needs {} hex digits", N * 2))
}

/// The first bytes of a file, as many of [`sets::HEADER_BYTES`] as it has
/// (none if it cannot be read: it then opens no set, and its own
/// verification reports why).
fn header_prefix(p: &Path) -> Vec<u8> {
    let mut b = Vec::with_capacity(sets::HEADER_BYTES);
    if let Ok(f) = std::fs::File::open(p) {
        let _ = f.take(sets::HEADER_BYTES as u64).read_to_end(&mut b);
    }
    b
}

/// A part not given, looked for beside the first part: the file of that
/// name, or else one whose name differs only in case (the first in name
/// order), as Windows would find it.
fn find_beside(first: &Path, name: &str) -> Option<PathBuf> {
    let exact = first.with_file_name(name);
    if exact.is_file() {
        return Some(exact);
    }
    let dir = match first.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| same_name(n, name))
        .collect();
    found.sort();
    let p = first.with_file_name(found.first()?);
    p.is_file().then_some(p)
}

/// The files grouped into images, later parts found beside the first.
fn group_sets(files: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let headers: Vec<Vec<u8>> = files.iter().map(|f| header_prefix(f)).collect();
    let candidates: Vec<Candidate> = names
        .iter()
        .zip(&headers)
        .map(|(name, header)| Candidate { name, header })
        .collect();
    sets::group(&candidates)
        .into_iter()
        .filter_map(|set| {
            // A set's first part is always a given file.
            let first = &files[*set.given().first()?];
            let parts = set.parts.iter().filter_map(|p| match p {
                Part::Given(i) => Some(files[*i].clone()),
                Part::Beside(name) => find_beside(first, name),
            });
            Some(parts.collect())
        })
        .collect()
}

/// Whether stdout gets colours: on a terminal, unless `NO_COLOR` is set
/// (to anything but the empty string, as no-color.org asks); with
/// `CLICOLOR_FORCE` set (not `0`), even when it is not a terminal.
fn use_colour() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|s| s != "0") {
        return true;
    }
    std::io::stdout().is_terminal()
}

/// The progress bar of one image's main pass, on stderr; hidden unless
/// stderr is a terminal and `--no-progress` was not given.
fn progress_bar(show: bool, label: &str, files: &[PathBuf]) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    // The length is known before the first update, so the bar does not
    // start at "100% of 0 B".
    let total = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(5));
    // The bar takes the width the rest leaves on the terminal's line.
    let style = ProgressStyle::with_template(
        "{msg} [{wide_bar}] {percent:>3}% {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta} left",
    )
    .map(|s| s.progress_chars("#>."))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label.to_string());
    bar
}

fn error_kind(e: &DriverError) -> ErrorKind {
    match e {
        DriverError::Open { .. } => ErrorKind::Open,
        DriverError::Read { .. } => ErrorKind::Read,
        DriverError::Changed { .. } => ErrorKind::Changed,
        DriverError::Foreign { .. } => ErrorKind::Foreign,
        DriverError::Medium { .. } | DriverError::NoWim { .. } => ErrorKind::Medium,
    }
}

/// What one file or set given on the command line gave, in order.
enum Item {
    /// A WIM or split set (its outcome is in the list of those given
    /// together, in order): judged with the others.
    Image { elapsed: f64 },
    /// Install media: its WIMs' reports, judged together already.
    Medium { run: Box<MediumRun>, elapsed: f64 },
    /// Could not be verified (never a verdict).
    Failed,
}

/// The expected digests a checksum list gives for `display`, set in
/// `opts` (a digest the list gives is computed, whatever --digest says).
fn apply_list(list: Option<&ChecksumList>, display: &str, opts: &mut Options) {
    let Some(list) = list else { return };
    let expected = list.expected(display);
    if expected.is_empty() {
        eprintln!("wimproof: {display}: not in the check list");
    }
    if let Some(h) = expected.sha256 {
        opts.expect_sha256 = Some(h);
        opts.sha256 = true;
    }
    if let Some(h) = expected.sha1 {
        opts.expect_sha1 = Some(h);
        opts.sha1 = true;
    }
}

/// Appends `NAME`'s sha256sum line to the --write-list file.
fn write_list_line(list: &Path, digest: &str, name: &str) -> bool {
    let line = gnu_line(digest, base_name(name));
    let w = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(list)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = w {
        eprintln!("wimproof: {}: {e}", list.display());
        return false;
    }
    true
}

/// Prints to stdout. A closed pipe (`wimproof --json x.iso | head`) ends
/// the output quietly: the exit status still says what was found.
fn out(s: &str) {
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

/// The report's JSON, in order.
fn push_json(outputs: &mut Vec<serde_json::Value>, r: &Report, worst: &mut ExitStatus) {
    match serde_json::to_value(r) {
        Ok(v) => outputs.push(v),
        Err(e) => {
            eprintln!("wimproof: cannot write JSON: {e}");
            *worst = ExitStatus::Failed;
        }
    }
}

fn exit(status: ExitStatus) -> ExitCode {
    ExitCode::from(status.code())
}

fn main() -> ExitCode {
    let args = match Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // --help and --version print to stdout and succeed; usage
            // errors print to stderr and exit 2.
            let _ = e.print();
            return exit(if e.use_stderr() {
                ExitStatus::Failed
            } else {
                ExitStatus::Ok
            });
        }
    };
    if let Some(shell) = args.completions {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "wimproof",
            &mut std::io::stdout(),
        );
        return exit(ExitStatus::Ok);
    }
    let targets = match parse_targets(args.target.iter().map(String::as_str)) {
        Ok(t) => t,
        Err(e) => {
            let _ = Cli::command()
                .error(clap::error::ErrorKind::InvalidValue, e)
                .print();
            return exit(ExitStatus::Failed);
        }
    };
    let (sha256, sha1) = args.digest.flags();
    let base = Request {
        verify: Options {
            sha256,
            sha1,
            expect_sha256: args.expect_sha256.clone(),
            expect_sha1: args.expect_sha1.clone(),
        },
        targets,
    };
    let threads = args.threads.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let list = match &args.check_list {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(text) => {
                let list = ChecksumList::parse(&text);
                for line in &list.rejected {
                    eprintln!(
                        "wimproof: {}:{line}: not a sha256sum/sha1sum or BSD-style line; ignored",
                        p.display()
                    );
                }
                Some(list)
            }
            Err(e) => {
                eprintln!("wimproof: {}: {e}", p.display());
                return exit(ExitStatus::Failed);
            }
        },
        None => None,
    };
    let show_progress = std::io::stderr().is_terminal() && !args.no_progress;
    let inner = args.inner_digest.flags();
    // JSON values in order: reports, or error objects for files that could
    // not be read (never a verdict).
    let mut outputs: Vec<serde_json::Value> = Vec::new();
    let mut worst = ExitStatus::Ok;
    let colour = !args.json && use_colour();
    let mut items: Vec<Item> = Vec::new();
    let mut images: Vec<Outcome> = Vec::new();
    let mut errors: Vec<ErrorReport> = Vec::new();
    for set in group_sets(&args.files) {
        let mut request = base.clone();
        let display = set[0].display().to_string();
        apply_list(list.as_ref(), &display, &mut request.verify);
        let bar = progress_bar(show_progress, base_name(&display), &set);
        let progress = |done: u64, total: u64| {
            if bar.length() != Some(total) {
                bar.set_length(total);
            }
            bar.set_position(done);
        };
        let started = Instant::now();
        let medium = match set.as_slice() {
            [one] => is_medium(one),
            _ => Ok(false),
        };
        let result = match medium {
            Ok(true) => verify_medium(&set[0], &request, inner, threads, &progress).map(|run| {
                if args.stats {
                    eprintln!("wimproof: stats: {display}: {}", run.stats.line());
                }
                Item::Medium {
                    run: Box::new(run),
                    elapsed: started.elapsed().as_secs_f64(),
                }
            }),
            Ok(false) => verify_outcome_stats(&set, &args.refs, request, threads, &progress).map(
                |(o, stats)| {
                    if args.stats {
                        eprintln!("wimproof: stats: {display}: {}", stats.line());
                    }
                    images.push(o);
                    Item::Image {
                        elapsed: started.elapsed().as_secs_f64(),
                    }
                },
            ),
            Err(e) => Err(e),
        };
        bar.finish_and_clear();
        match result {
            Ok(item) => items.push(item),
            Err(e) => {
                eprintln!("wimproof: {e}");
                errors.push(ErrorReport::new(&display, error_kind(&e), e.to_string()));
                items.push(Item::Failed);
                worst = ExitStatus::Failed;
            }
        }
    }
    // The images given together are judged together (a boot.wim beside
    // install images of another architecture); each medium's WIMs were.
    let mut judged = reports_together(images, &base.targets, &now_iso()).into_iter();
    let mut errors = errors.into_iter();
    let mut blocks_printed = 0usize;
    let mut any_medium = false;
    let style = |elapsed: Option<f64>| text::Style {
        verbose: args.verbose,
        colour,
        elapsed,
    };
    for item in &items {
        let (reports, header): (Vec<&Report>, Option<String>) = match item {
            Item::Failed => {
                if let Some(e) = errors.next() {
                    match serde_json::to_value(&e) {
                        Ok(v) => outputs.push(v),
                        Err(e) => eprintln!("wimproof: cannot write JSON: {e}"),
                    }
                }
                continue;
            }
            Item::Image { elapsed } => {
                let Some(r) = judged.next() else { continue };
                worst = worst.max(r.exit_status());
                if !args.json {
                    if blocks_printed > 0 {
                        out("\n");
                    }
                    out(&text::render(&r, &style(Some(*elapsed))));
                    blocks_printed += 1;
                }
                if let (Some(p), Some(d)) = (&args.write_list, &r.digests.sha256) {
                    if !write_list_line(p, d, &r.file.name) {
                        worst = ExitStatus::Failed;
                    }
                }
                push_json(&mut outputs, &r, &mut worst);
                continue;
            }
            Item::Medium { run, elapsed } => {
                any_medium = true;
                let header = text::render_medium(
                    &text::MediumHeader {
                        name: &run.info.name,
                        file_system: &run.kind.to_string(),
                        size: run.info.size,
                        digests: &run.info.digests,
                        main_bytes: run.main_bytes,
                        second_pass_bytes: run.second_pass_bytes,
                        second_pass_files: run.second_pass_files,
                        reports: &run.reports,
                    },
                    &style(Some(*elapsed)),
                );
                if let (Some(p), Some(d)) = (&args.write_list, &run.info.digests.sha256) {
                    if !write_list_line(p, d, &run.info.name) {
                        worst = ExitStatus::Failed;
                    }
                }
                (run.reports.iter().collect(), Some(header))
            }
        };
        if let Some(h) = header {
            if !args.json {
                if blocks_printed > 0 {
                    out("\n");
                }
                out(&h);
                blocks_printed += 1;
            }
        }
        for r in reports {
            worst = worst.max(r.exit_status());
            if !args.json {
                out("\n");
                out(&text::render(r, &style(None)));
            }
            push_json(&mut outputs, r, &mut worst);
        }
    }
    if args.json {
        // One image (or split set): its report; several, or install
        // media: an array.
        let value = if outputs.len() == 1 && !any_medium {
            outputs.remove(0)
        } else {
            serde_json::Value::Array(outputs)
        };
        match serde_json::to_string_pretty(&value) {
            Ok(s) => out(&format!("{s}\n")),
            Err(e) => {
                eprintln!("wimproof: cannot write JSON: {e}");
                return exit(ExitStatus::Failed);
            }
        }
    }
    exit(worst)
}
