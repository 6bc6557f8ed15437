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
use wimproof::assess::Request;
use wimproof::input::checksums::{gnu_line, ChecksumList};
use wimproof::input::sets::{self, Candidate, Part};
use wimproof::input::{
    base_name, parse_digest_hex, parse_targets, same_name, DigestChoice, ALL_TARGETS,
};
use wimproof::native::{verify_paths_with_refs, DriverError};
use wimproof::policy::TargetId;
use wimproof::report::{ErrorKind, ErrorReport, ExitStatus};
use wimproof::verify::Options;

const AFTER_HELP: &str = "\
A split set is one image: give install.swm (install2.swm, install3.swm, ...
are found beside it) or all its parts.

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
    /// The WIM files (.wim, .esd, .swm)
    #[arg(value_name = "FILE", required_unless_present = "completions")]
    files: Vec<PathBuf>,

    /// Print the report as JSON (an array when several images are given)
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

    /// Whole-file digests to compute
    #[arg(long, value_name = "ALG", default_value = "sha256", value_parser = digest_values())]
    digest: DigestChoice,

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
    // JSON values in order: reports, or error objects for files that could
    // not be read (never a verdict).
    let mut outputs: Vec<serde_json::Value> = Vec::new();
    let mut worst = ExitStatus::Ok;
    let colour = !args.json && use_colour();
    let mut reports_printed = 0usize;
    for set in group_sets(&args.files) {
        let mut request = base.clone();
        let opts = &mut request.verify;
        let display = set[0].display().to_string();
        if let Some(list) = &list {
            let expected = list.expected(&display);
            if expected.is_empty() {
                eprintln!("wimproof: {display}: not in the check list");
            }
            // A digest the list gives is computed, whatever --digest says.
            if let Some(h) = expected.sha256 {
                opts.expect_sha256 = Some(h);
                opts.sha256 = true;
            }
            if let Some(h) = expected.sha1 {
                opts.expect_sha1 = Some(h);
                opts.sha1 = true;
            }
        }
        let bar = progress_bar(show_progress, base_name(&display), &set);
        let progress = |done: u64, total: u64| {
            if bar.length() != Some(total) {
                bar.set_length(total);
            }
            bar.set_position(done);
        };
        let started = Instant::now();
        let result = verify_paths_with_refs(&set, &args.refs, request, threads, &progress);
        bar.finish_and_clear();
        match result {
            Ok(r) => {
                worst = worst.max(r.exit_status());
                if !args.json {
                    let style = text::Style {
                        verbose: args.verbose,
                        colour,
                        elapsed: Some(started.elapsed().as_secs_f64()),
                    };
                    // A blank line between the reports of several images.
                    if reports_printed > 0 {
                        println!();
                    }
                    print!("{}", text::render(&r, &style));
                    reports_printed += 1;
                }
                if let (Some(p), Some(d)) = (&args.write_list, &r.digests.sha256) {
                    let line = gnu_line(d, base_name(&display));
                    let w = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .and_then(|mut f| f.write_all(line.as_bytes()));
                    if let Err(e) = w {
                        eprintln!("wimproof: {}: {e}", p.display());
                        worst = ExitStatus::Failed;
                    }
                }
                if args.json {
                    match serde_json::to_value(&r) {
                        Ok(v) => outputs.push(v),
                        Err(e) => {
                            eprintln!("wimproof: cannot write JSON: {e}");
                            worst = ExitStatus::Failed;
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("wimproof: {e}");
                let error = ErrorReport::new(&display, error_kind(&e), e.to_string());
                match serde_json::to_value(&error) {
                    Ok(v) => outputs.push(v),
                    Err(e) => eprintln!("wimproof: cannot write JSON: {e}"),
                }
                worst = ExitStatus::Failed;
            }
        }
    }
    if args.json {
        // One image (or split set): its report; several: an array.
        let value = if outputs.len() == 1 {
            outputs.remove(0)
        } else {
            serde_json::Value::Array(outputs)
        };
        match serde_json::to_string_pretty(&value) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("wimproof: cannot write JSON: {e}");
                return exit(ExitStatus::Failed);
            }
        }
    }
    exit(worst)
}
