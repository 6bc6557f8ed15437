//! `wimproof FILE...`: verifies WIM files and says on which deployment
//! targets they are safe. See `wimproof --help`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;
use wimproof::native::{verify_paths, DriverError};
use wimproof::policy::{TargetId, Verdict};
use wimproof::report::Report;
use wimproof::verify::finding::Severity;
use wimproof::verify::Options;

const USAGE: &str = "\
usage: wimproof [OPTIONS] FILE...

Verifies WIM images (and .swm split sets) and says on which deployment
targets each is safe to multicast.

options:
  --json                  print the report as JSON (an array if several images)
  --target ID|all         configmgr (default), configmgr2007-unpatched,
                          configmgr2007-patched, wds, usb-fat32, or all;
                          repeat or separate with commas
  --digest ALG            sha256 (default), sha1, both or none
  --expect-sha256 HEX     the whole-file SHA-256 the file must have
  --expect-sha1 HEX       the whole-file SHA-1 the file must have
  --check-list FILE       compare with a `sha256sum`/`sha1sum` style list
  --write-list FILE       append `sha256sum` style lines for the files
  --threads N             worker threads (default: all cores)
  --no-progress           no progress bar on the terminal
  -h, --help              this text
  -V, --version           the version

exit status: 0 safe or warning, 1 corrupt, 2 usage or read error,
3 intact but unsafe for the target, 4 not fully verifiable.
";

struct Args {
    json: bool,
    opts: Options,
    check_list: Option<PathBuf>,
    write_list: Option<PathBuf>,
    threads: usize,
    progress: bool,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        json: false,
        opts: Options {
            targets: Vec::new(),
            ..Options::default()
        },
        check_list: None,
        write_list: None,
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        progress: true,
        files: Vec::new(),
    };
    let mut it = std::env::args_os().skip(1);
    let mut only_files = false;
    while let Some(arg) = it.next() {
        let s = arg.to_string_lossy().to_string();
        if only_files || !s.starts_with('-') || s == "-" {
            a.files.push(PathBuf::from(arg));
            continue;
        }
        let (key, inline) = match s.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (s.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .map(|v| v.to_string_lossy().to_string())
                    .ok_or(format!("{name} needs a value")),
            }
        };
        match key.as_str() {
            "--" => only_files = true,
            "--json" => a.json = true,
            "--no-progress" => a.progress = false,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "-V" | "--version" => {
                println!("wimproof {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--target" => {
                for t in value("--target")?.split(',') {
                    if t == "all" {
                        a.opts.targets.extend(TargetId::ALL);
                    } else {
                        a.opts.targets.push(TargetId::parse(t).ok_or(format!("unknown target {t:?}; use one of configmgr, configmgr2007-unpatched, configmgr2007-patched, wds, usb-fat32, all"))?);
                    }
                }
            }
            "--digest" => {
                let (s256, s1) = match value("--digest")?.as_str() {
                    "sha256" => (true, false),
                    "sha1" => (false, true),
                    "both" => (true, true),
                    "none" => (false, false),
                    other => {
                        return Err(format!(
                            "unknown digest {other:?}; use sha256, sha1, both or none"
                        ))
                    }
                };
                a.opts.sha256 = s256;
                a.opts.sha1 = s1;
            }
            "--expect-sha256" => {
                let v = value("--expect-sha256")?;
                wimproof::format::parse_hex::<32>(&v)
                    .ok_or("--expect-sha256 needs 64 hex digits")?;
                a.opts.expect_sha256 = Some(v.to_ascii_lowercase());
            }
            "--expect-sha1" => {
                let v = value("--expect-sha1")?;
                wimproof::format::parse_hex::<20>(&v).ok_or("--expect-sha1 needs 40 hex digits")?;
                a.opts.expect_sha1 = Some(v.to_ascii_lowercase());
            }
            "--check-list" => a.check_list = Some(PathBuf::from(value("--check-list")?)),
            "--write-list" => a.write_list = Some(PathBuf::from(value("--write-list")?)),
            "--threads" => {
                a.threads = value("--threads")?
                    .parse()
                    .ok()
                    .filter(|&n: &usize| (1..=256).contains(&n))
                    .ok_or("--threads needs a number from 1 to 256")?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.files.is_empty() {
        return Err("no FILE given".into());
    }
    a.opts.targets.dedup();
    if a.opts.targets.is_empty() {
        a.opts.targets.push(TargetId::ConfigMgr);
    }
    Ok(a)
}

/// Groups .swm parts into sets: `x.swm` with `x2.swm`, `x3.swm`... given or
/// found beside it (as many as its header's part count).
fn group_sets(files: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut sets: Vec<Vec<PathBuf>> = Vec::new();
    let mut used = vec![false; files.len()];
    for (i, f) in files.iter().enumerate() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let Some(stem) = swm_first_stem(f) else {
            sets.push(vec![f.clone()]);
            continue;
        };
        let mut set = vec![f.clone()];
        let total = total_parts(f).unwrap_or(1);
        for n in 2..=total.max(2) {
            let want = f.with_file_name(format!("{stem}{n}.swm"));
            if let Some(j) = files.iter().position(|g| *g == want) {
                used[j] = true;
                set.push(want);
            } else if n <= total && want.exists() {
                set.push(want);
            }
        }
        sets.push(set);
    }
    sets
}

fn swm_first_stem(p: &Path) -> Option<String> {
    let name = p.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".swm")
        .or_else(|| name.strip_suffix(".SWM"))?;
    // `x2.swm` is a later part; only `x.swm` opens a set.
    if stem.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(stem.to_string())
}

fn total_parts(p: &Path) -> Option<u16> {
    use std::io::Read;
    let mut f = std::fs::File::open(p).ok()?;
    let mut b = [0u8; 0x2C];
    f.read_exact(&mut b).ok()?;
    Some(u16::from_le_bytes([b[0x2A], b[0x2B]]))
}

/// Reads a `sha256sum`/`sha1sum` list: digest, space, optional `*`, name.
fn read_list(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((hash, rest)) = line.split_once(' ') else {
            continue;
        };
        let name = rest.trim_start_matches(' ').trim_start_matches('*');
        out.push((hash.to_ascii_lowercase(), name.to_string()));
    }
    Ok(out)
}

fn base_name(p: &str) -> &str {
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

fn human_size(n: u64) -> String {
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

fn print_human(r: &Report, elapsed: f64) {
    let mut o = String::new();
    let desc = match &r.wim {
        Some(w) => format!(
            "{}{}, {} image(s){}{}",
            w.compression.to_uppercase(),
            if w.chunk_size > 0 {
                format!(" {} KiB chunks", w.chunk_size / 1024)
            } else {
                String::new()
            },
            w.image_count,
            if r.integrity.present {
                format!(", integrity table ({} chunks)", r.integrity.chunks)
            } else {
                ", no integrity table".into()
            },
            if w.total_parts > 1 {
                format!(", part {} of {}", w.part, w.total_parts)
            } else {
                String::new()
            },
        ),
        None => "not a readable WIM".into(),
    };
    o += &format!("{}  ({}, {})\n", r.file.name, human_size(r.file.size), desc);
    let intact = match r.intact {
        Some(true) => "intact",
        Some(false) => "CORRUPT",
        None => "not fully verifiable",
    };
    let sel: Vec<&str> = r.selected.iter().map(|t| t.id()).collect();
    if sel.len() == 1 {
        o += &format!(
            "  verdict: {} for {} ({intact})\n",
            r.verdict.name().to_uppercase(),
            sel[0]
        );
    } else {
        o += &format!(
            "  verdict: {} ({intact}; the worst over {} targets, each below)\n",
            r.verdict.name().to_uppercase(),
            sel.len()
        );
    }
    if let Some(d) = &r.digests.sha256 {
        o += &format!("  sha256:  {d}\n");
    }
    if let Some(d) = &r.digests.sha1 {
        o += &format!("  sha1:    {d}\n");
    }
    for p in &r.parts {
        o += &format!(
            "  part {}: {} ({}) {}\n",
            p.part_number,
            p.name,
            human_size(p.size),
            p.digests
                .sha256
                .as_deref()
                .or(p.digests.sha1.as_deref())
                .unwrap_or("")
        );
    }
    o += &format!(
        "  checked: {} blobs verified, {} corrupt, {} not verified; {} metadata resource(s); {} integrity chunk(s), {} bad; {:.1} s\n",
        r.checked.blobs_verified, r.checked.blobs_corrupt, r.checked.blobs_unverified, r.checked.metadata_resources, r.integrity.checked, r.integrity.bad_chunks.len(), elapsed
    );
    o += "  targets:\n";
    if r.intact == Some(false) {
        o += "    every target: corrupt (a damaged image fails everywhere, after the whole transfer)\n";
        o += &format!(
            "    remedy: {}\n",
            wimproof::verify::finding::remedies::RECOPY
        );
    }
    for t in r.targets.iter().filter(|_| r.intact != Some(false)) {
        let mark = if r.selected.contains(&t.id) { "*" } else { " " };
        o += &format!("   {mark}{:<25} {:<10}", t.id.id(), t.verdict.name());
        let top: Vec<&wimproof::policy::Reason> = t
            .reasons
            .iter()
            .filter(|x| x.verdict > Verdict::Safe)
            .take(1)
            .collect();
        if let Some(x) = top.first() {
            o += &format!(" {}", x.text);
            if let Some(kb) = &x.kb {
                o += &format!(" [{kb}]");
            }
        }
        o += "\n";
        for x in t
            .reasons
            .iter()
            .filter(|x| x.verdict > Verdict::Safe)
            .skip(1)
            .take(3)
        {
            o += &format!("{:39}{}\n", "", x.text);
        }
        if r.selected.contains(&t.id) {
            if let Some(rem) = t
                .reasons
                .iter()
                .filter(|x| x.verdict > Verdict::Safe)
                .find_map(|x| x.remedy.as_ref())
            {
                o += &format!("{:39}remedy: {rem}\n", "");
            }
        }
    }
    let shown: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info || f.unverified)
        .collect();
    if !shown.is_empty() {
        o += "  findings:\n";
        for f in shown.iter().take(30) {
            let sev = if f.unverified {
                "unverified".to_string()
            } else {
                format!("{:?}", f.severity).to_lowercase()
            };
            o += &format!("    [{sev}] {}: {}\n", f.code, f.message);
        }
        if shown.len() > 30 {
            o += &format!(
                "    ... and {} more (use --json for all)\n",
                shown.len() - 30
            );
        }
    }
    print!("{o}");
}

struct Bar {
    start: Instant,
    last: Mutex<Instant>,
    label: String,
}

impl Bar {
    fn draw(&self, done: u64, total: u64) {
        let now = Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if now.duration_since(*last).as_millis() < 200 && done < total {
            return;
        }
        *last = now;
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-3);
        let rate = done as f64 / secs;
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let eta = if rate > 0.0 {
            (total - done.min(total)) as f64 / rate
        } else {
            0.0
        };
        let filled = (frac * 30.0) as usize;
        eprint!(
            "\r{} [{}{}] {:3.0}% {} / {}  {:.0} MiB/s  {:.0} s left   ",
            self.label,
            "#".repeat(filled),
            ".".repeat(30 - filled.min(30)),
            frac * 100.0,
            human_size(done),
            human_size(total),
            rate / 1048576.0,
            eta
        );
        let _ = std::io::stderr().flush();
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wimproof: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let list = match &args.check_list {
        Some(p) => match read_list(p) {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("wimproof: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let tty = std::io::stderr().is_terminal() && args.progress;
    // JSON values in order: reports, or error objects for files that could
    // not be read (never a verdict).
    let mut outputs: Vec<serde_json::Value> = Vec::new();
    let mut worst = 0i32;
    let rank = |c: i32| match c {
        2 => 5,
        1 => 4,
        3 => 3,
        4 => 2,
        _ => 0,
    };
    for set in group_sets(&args.files) {
        let mut opts = args.opts.clone();
        let display = set[0].display().to_string();
        if let Some(list) = &list {
            let base = base_name(&display);
            match list.iter().find(|(_, n)| base_name(n) == base) {
                Some((h, _)) if h.len() == 64 => opts.expect_sha256 = Some(h.clone()),
                Some((h, _)) if h.len() == 40 => {
                    opts.expect_sha1 = Some(h.clone());
                    opts.sha1 = true;
                }
                Some(_) => {
                    eprintln!("wimproof: {display}: the list's digest is neither SHA-256 nor SHA-1")
                }
                None => eprintln!("wimproof: {display}: not in the check list"),
            }
        }
        let bar = Bar {
            start: Instant::now(),
            last: Mutex::new(Instant::now()),
            label: base_name(&display).to_string(),
        };
        let progress = |d: u64, t: u64| {
            if tty {
                bar.draw(d, t)
            }
        };
        let started = Instant::now();
        let result = verify_paths(&set, opts, args.threads, &progress);
        if tty {
            eprint!("\r{:100}\r", "");
        }
        match result {
            Ok(r) => {
                worst = if rank(r.exit_code()) > rank(worst) {
                    r.exit_code()
                } else {
                    worst
                };
                if !args.json {
                    print_human(&r, started.elapsed().as_secs_f64());
                }
                if let Some(p) = &args.write_list {
                    let line = r
                        .digests
                        .sha256
                        .as_ref()
                        .map(|d| format!("{d}  {}\n", base_name(&display)));
                    if let Some(line) = line {
                        let w = std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(p)
                            .and_then(|mut f| f.write_all(line.as_bytes()));
                        if let Err(e) = w {
                            eprintln!("wimproof: {}: {e}", p.display());
                            worst = 2;
                        }
                    }
                }
                if args.json {
                    match serde_json::to_value(&r) {
                        Ok(v) => outputs.push(v),
                        Err(e) => {
                            eprintln!("wimproof: cannot write JSON: {e}");
                            worst = 2;
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("wimproof: {e}");
                let kind = match &e {
                    DriverError::Open { .. } => "open",
                    DriverError::Read { .. } => "read",
                    DriverError::Changed { .. } => "changed",
                    DriverError::Foreign { .. } => "foreign",
                };
                outputs.push(serde_json::json!({"file": {"name": display}, "error": kind, "message": e.to_string()}));
                worst = 2;
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
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::from(worst as u8)
}
