//! Walks each image's directory tree (from its decoded metadata resource)
//! and checks it: structure (bounded depth, no cycles, no shared child
//! lists), every referenced blob present, names that break extraction on
//! Windows, and the WinPE files WDS multicast needs.

use super::blob_index::BlobIndex;
use super::finding::{agree, counted, remedies, Finding, MAX_EXAMPLES};
use crate::format::hex;
use crate::format::metadata::{parse_dentry, MetadataError, SecurityBlock};
use crate::verify::code::Code;
use std::collections::{BTreeSet, HashSet};

/// Deepest directory nesting accepted (wimlib's limit too).
pub const MAX_DEPTH: u32 = 16384;
/// Distinct missing blobs remembered over all images
/// ([`TreeContext::missing`]): enough to recognise a delta's base, bounded
/// whatever the metadata holds.
pub const MAX_MISSING_BLOBS: usize = 1 << 16;

/// What the walk learned about one image.
#[derive(Clone, Debug, Default)]
pub struct TreeSummary {
    /// Entries that are not directories. A directory that is a reparse
    /// point (a junction, a directory symlink) counts here, as wimlib
    /// counts it (its XML and `dir` treat it as a link, not a directory).
    pub files: u64,
    /// Directories (the root included), reparse points excepted.
    pub dirs: u64,
    /// Of `files`, the directories that are reparse points (counted as
    /// directories by writers that do not follow wimlib's rule).
    pub reparse_dirs: u64,
    /// Streams with data, every entry (so every hard link) counted: each
    /// non-zero SHA-1 an entry carries, its own and its stream entries'.
    /// That is its unnamed data stream, each named data stream and a
    /// reparse point's data, whichever has bytes; each is looked up in the
    /// blob table, whose blobs are all verified. Empty streams (a zero
    /// SHA-1, no blob) are not counted. Equals the streams with a non-zero
    /// hash that `wimlib-imagex dir --detailed` lists for every image,
    /// except streams wimlib does not list: the unnamed data stream of a
    /// reparse point (it lists the reparse data in its place) and unnamed
    /// stream entries beyond the one of each kind it expects.
    pub streams: u64,
    pub has_wds_tools: bool,
    /// `\Windows\System32` is a directory of the tree: a Windows image
    /// (installed Windows or Windows PE), not a data image.
    pub has_system32: bool,
    /// `\Windows\System32\winpeshl.exe` is there: the shell Windows PE
    /// starts (its setup hive's `CmdLine`, Microsoft's Winpeshl.ini docs);
    /// installed Windows has none.
    pub has_winpe_shell: bool,
    /// The walk finished; counts are complete.
    pub complete: bool,
}

/// Shared state across all images of a WIM.
pub struct TreeContext<'a> {
    /// The blob table, by SHA-1.
    pub blobs: &'a BlobIndex,
    /// False when parts of a split set are missing (their blobs are unknown).
    pub all_parts: bool,
    /// References counted per blob number (one per dentry stream); holds
    /// `blobs.len()` counts.
    pub refs: Vec<u32>,
    /// The first path that uses each blob, for naming failures.
    pub paths: BlobPaths,
    /// Told how far the walk is, now and then: (metadata bytes behind, of
    /// all images' metadata). `progress_base` is where this image starts.
    pub progress: Option<&'a mut dyn FnMut(u64, u64)>,
    pub progress_base: u64,
    pub progress_total: u64,
    /// The SHA-1s streams name that no blob table holds (entries readers
    /// skip left out), at most [`MAX_MISSING_BLOBS`] of them: what a
    /// reference WIM would have to lend (a delta's base).
    pub missing: BTreeSet<[u8; 20]>,
}

/// Directory entries between two progress calls (the page throttles what
/// it shows; a call costs about a microsecond).
const PROGRESS_EVERY: u32 = 16;

/// The first path that uses each blob, kept compactly: an install image
/// has hundreds of thousands of blobs, and a `String` per blob cost more
/// memory than the rest of the plan. Each directory keeps its parent and
/// its own name (so memory grows with the number of names, not with the
/// depth of the tree); a blob keeps its directory and its own name.
#[derive(Clone, Debug, Default)]
pub struct BlobPaths {
    /// Names, one after another.
    text: String,
    /// Per directory: its parent (`None` for the root) and its name's range
    /// in `text`. A parent is always registered before its children.
    dirs: Vec<(Option<u32>, u32, u32)>,
    /// Per blob number: (directory, name's range in `text`); `NO_PATH` in
    /// the directory for a blob no entry has used yet.
    blobs: Vec<(u32, u32, u32)>,
}

const NO_PATH: u32 = u32::MAX;

impl BlobPaths {
    /// Registers a directory named `name` under `parent` (`None`: the
    /// root); returns its number (`None` past u32::MAX directories, or
    /// under an unregistered parent: then no path is recorded below it).
    pub fn dir(&mut self, parent: Option<u32>, name: &str, is_root: bool) -> Option<u32> {
        if !is_root && parent.is_none() {
            return None;
        }
        let n = u32::try_from(self.dirs.len())
            .ok()
            .filter(|&n| n != NO_PATH)?;
        let (start, end) = self.push_name(name)?;
        self.dirs.push((parent, start, end));
        Some(n)
    }

    /// Appends `name` to the text; `None` once the text would pass 4 GiB
    /// (names are then no longer recorded: they only decorate findings).
    fn push_name(&mut self, name: &str) -> Option<(u32, u32)> {
        let start = u32::try_from(self.text.len()).ok()?;
        let end = u32::try_from(self.text.len().checked_add(name.len())?).ok()?;
        self.text.push_str(name);
        Some((start, end))
    }

    /// Records `name` in directory `dir` as the path of blob number `id`
    /// unless it has one.
    pub fn record(&mut self, id: u32, dir: Option<u32>, name: &str) {
        let Some(dir) = dir else { return };
        // Sized for every blob number by `for_blobs`.
        if self.blobs.get(id as usize).is_none_or(|b| b.0 != NO_PATH) {
            return;
        }
        if let Some((start, end)) = self.push_name(name) {
            self.blobs[id as usize] = (dir, start, end);
        }
    }

    /// An empty index for blob numbers `0..n`, allocated at once.
    pub fn for_blobs(n: usize) -> BlobPaths {
        BlobPaths {
            blobs: vec![(NO_PATH, 0, 0); n],
            ..Default::default()
        }
    }

    /// The path recorded for blob number `id`, as `\dir\...\name`.
    pub fn get(&self, id: u32) -> Option<String> {
        let &(dir, a, b) = self.blobs.get(id as usize)?;
        if dir == NO_PATH {
            return None;
        }
        let mut names = vec![self.text.get(a as usize..b as usize)?];
        let mut d = Some(dir);
        // Parents have smaller numbers, so this ends; the bound is a guard.
        for _ in 0..self.dirs.len() {
            let Some(k) = d else { break };
            let &(parent, na, nb) = self.dirs.get(k as usize)?;
            if parent.is_some() {
                names.push(self.text.get(na as usize..nb as usize)?);
            }
            d = parent;
        }
        let mut path = String::new();
        for n in names.iter().rev() {
            path.push('\\');
            path.push_str(n);
        }
        Some(path)
    }

    /// The path recorded for the blob with this SHA-1.
    pub fn of_blob(&self, blobs: &BlobIndex, sha1: &[u8; 20]) -> Option<String> {
        self.get(blobs.id(sha1)?)
    }
}

/// Things of one kind found in a walk: how many, and the first
/// [`MAX_EXAMPLES`] of them.
#[derive(Default)]
struct Tally {
    count: usize,
    examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, what: String) {
        self.count += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(what);
        }
    }

    /// The finding carries the count and the examples its message lists.
    fn attach(&self, f: Finding) -> Finding {
        f.examples(self.count as u64, self.examples.clone())
    }
}

const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn windows_name_problem(name: &str) -> Option<&'static str> {
    if name.chars().any(|c| (c as u32) < 0x20 && c != '\0') {
        return Some("control character");
    }
    if name
        .chars()
        .any(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Some("character Windows forbids in names");
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some("trailing dot or space");
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        return Some("reserved device name");
    }
    None
}

/// Checks one image's metadata; pushes findings and counts references.
pub fn check_image(
    image: usize,
    res_offset: u64,
    data: &[u8],
    ctx: &mut TreeContext,
    findings: &mut Vec<Finding>,
) -> TreeSummary {
    let mut sum = TreeSummary::default();
    let image_no = u32::try_from(image).ok();
    let in_image = |f: Finding| match image_no {
        Some(i) => f.in_image(i),
        None => f,
    };
    let at = |why: String| {
        in_image(
            Finding::corruption(
                Code::MetadataInvalid,
                format!("image {image}: metadata resource at file offset {res_offset}: {why}"),
            )
            .at(res_offset)
            .remedy(remedies::RECOPY),
        )
    };
    let sb = match SecurityBlock::parse(data) {
        Ok(sb) => sb,
        Err(MetadataError::SecurityBlock(why)) => {
            findings.push(at(why.to_string()));
            return sum;
        }
        Err(MetadataError::Dentry { .. }) => return sum,
    };
    let dentry_err = |e: MetadataError| match e {
        MetadataError::Dentry { offset, why } => at(format!(
            "dentry at offset {offset} of the uncompressed metadata: {why}"
        )),
        MetadataError::SecurityBlock(why) => at(why.to_string()),
    };
    let root = match parse_dentry(data, sb.root_offset()) {
        Ok(Some(r)) => r,
        Ok(None) => {
            findings.push(at("the root directory entry is missing".into()));
            return sum;
        }
        Err(e) => {
            findings.push(dentry_err(e));
            return sum;
        }
    };
    if !root.is_directory() {
        findings.push(at("the root entry is not a directory".into()));
        return sum;
    }
    // The XML's DIRCOUNT includes the root directory.
    sum.dirs = 1;
    let mut dotdot = Tally::default();
    let mut bad_names = Tally::default();
    let mut dups = Tally::default();
    let mut missing = Tally::default();
    let mut skipped_missing = Tally::default();
    let mut found_wds = [false; 2];
    let mut visited_lists: HashSet<u64> = HashSet::new();
    // (child list offset, parent path, its number in ctx.paths, depth,
    // inside an entry readers skip)
    let mut stack: Vec<(u64, String, Option<u32>, u32, bool)> = Vec::new();
    if root.subdir_offset != 0 {
        visited_lists.insert(root.subdir_offset);
        let root_dir = ctx.paths.dir(None, "", true);
        stack.push((root.subdir_offset, String::new(), root_dir, 1, false));
    }
    let mut ok = true;
    let mut seen = 0u32;
    let mut walked = 0u64;
    'lists: while let Some((list, parent, parent_dir, depth, skipped_parent)) = stack.pop() {
        if depth > MAX_DEPTH {
            findings.push(at(format!(
                "directories nest deeper than {MAX_DEPTH} levels under {parent}"
            )));
            ok = false;
            break;
        }
        let mut names_here: HashSet<String> = HashSet::new();
        let mut off = list;
        loop {
            seen = seen.wrapping_add(1);
            if seen.is_multiple_of(PROGRESS_EVERY) {
                // Bytes of entries walked (the walk jumps around the
                // resource, so an offset would not grow steadily).
                let (base, total) = (ctx.progress_base, ctx.progress_total);
                if let Some(p) = ctx.progress.as_mut() {
                    p(base.saturating_add(walked.min(data.len() as u64)), total);
                }
            }
            let d = match parse_dentry(data, off) {
                Ok(Some(d)) => d,
                Ok(None) => break,
                Err(e) => {
                    findings.push(dentry_err(e));
                    ok = false;
                    break 'lists;
                }
            };
            walked = walked.saturating_add(d.next.saturating_sub(off));
            off = d.next;
            let name = d.name_string();
            // Built only when needed: most entries have no finding.
            let path = || format!("{parent}\\{name}");
            // Readers (wimlib, WIMGAPI) skip `.`/`..`, empty names and
            // duplicates, so their data is never looked up; a missing blob
            // there is not corruption.
            let mut skipped = skipped_parent;
            if name.is_empty() || name == "." || name == ".." || name.contains('\0') {
                skipped = true;
            }
            if skipped_parent {
                // Below a dangerous entry: already reported with it.
            } else if name.is_empty() {
                dotdot.add(format!("{parent}\\ (an entry with an empty name)"));
            } else if name == "." || name == ".." {
                dotdot.add(path());
            } else if name.contains(['\\', '/']) {
                dotdot.add(format!("{} (a name containing a path separator)", path()));
            } else if name.contains('\0') {
                bad_names.add(format!("{} (embedded NUL)", path()));
            } else if let Some(p) = windows_name_problem(&name) {
                bad_names.add(format!("{} ({p})", path()));
            }
            if !names_here.insert(name.to_lowercase()) {
                dups.add(path());
                skipped = true;
            }
            let hashes = std::iter::once(d.main_hash)
                .chain(d.streams.iter().map(|s| s.hash))
                .filter(|h| *h != [0u8; 20]);
            for h in hashes {
                sum.streams += 1;
                let Some(id) = ctx.blobs.id(&h) else {
                    if skipped {
                        skipped_missing.add(format!("{} (blob {})", path(), hex(&h)));
                    } else {
                        missing.add(format!("{} (blob {})", path(), hex(&h)));
                        if ctx.missing.len() < MAX_MISSING_BLOBS {
                            ctx.missing.insert(h);
                        }
                    }
                    continue;
                };
                if let Some(n) = ctx.refs.get_mut(id as usize) {
                    *n = n.saturating_add(1);
                }
                ctx.paths.record(id, parent_dir, &name);
            }
            if d.is_directory() {
                // A directory reparse point is a file to wimlib; its child
                // list (if any) is still walked and checked.
                if d.is_reparse_point() {
                    sum.files += 1;
                    sum.reparse_dirs += 1;
                } else {
                    sum.dirs += 1;
                    if depth == 2
                        && parent.eq_ignore_ascii_case("\\Windows")
                        && name.eq_ignore_ascii_case("System32")
                    {
                        sum.has_system32 = true;
                    }
                }
                if d.subdir_offset != 0 {
                    if !visited_lists.insert(d.subdir_offset) {
                        findings.push(at(format!("{}: its child list at offset {} is already used by another directory (a cycle or a shared list)", path(), d.subdir_offset)));
                        ok = false;
                        break 'lists;
                    }
                    let dir = ctx.paths.dir(parent_dir, &name, false);
                    stack.push((d.subdir_offset, path(), dir, depth + 1, skipped));
                }
            } else {
                sum.files += 1;
                if depth == 3 && parent.eq_ignore_ascii_case("\\Windows\\System32") {
                    if name.eq_ignore_ascii_case("wdscommonlib.dll") {
                        found_wds[0] = true;
                    } else if name.eq_ignore_ascii_case("imagelib.dll") {
                        found_wds[1] = true;
                    } else if name.eq_ignore_ascii_case("winpeshl.exe") {
                        sum.has_winpe_shell = true;
                    }
                }
            }
        }
    }
    sum.complete = ok;
    sum.has_wds_tools = found_wds[0] && found_wds[1];
    let list = |t: &Tally| {
        let more = if t.count > t.examples.len() {
            format!(" and {} more", t.count - t.examples.len())
        } else {
            String::new()
        };
        format!("{}{more}", t.examples.join(", "))
    };
    // Each finding of the walk carries its count and examples, beside the
    // message that lists them.
    let tallied = |f: Finding, t: &Tally| in_image(t.attach(f));
    if dotdot.count > 0 {
        findings.push(tallied(Finding::blocker(Code::MetadataDangerousPath, format!("image {image}: {} with `..`, `.`, empty or separator-bearing components: {}. WIMGAPI extracts such entries, so applying this image can write outside the target directory", counted(dotdot.count as u64, "path", "paths"), list(&dotdot))).at(res_offset).remedy("Do not deploy this image; rebuild it from a clean capture."), &dotdot));
    }
    if bad_names.count > 0 {
        findings.push(tallied(
            Finding::warning(
                Code::MetadataWindowsName,
                format!(
                    "image {image}: {} Windows cannot create: {}",
                    counted(bad_names.count as u64, "name", "names"),
                    list(&bad_names)
                ),
            )
            .at(res_offset),
            &bad_names,
        ));
    }
    if dups.count > 0 {
        findings.push(tallied(Finding::warning(Code::MetadataDuplicateName, format!("image {image}: {} duplicated within one directory (ignoring case, as Windows does): {}", counted(dups.count as u64, "name", "names"), list(&dups))).at(res_offset), &dups));
    }
    if skipped_missing.count > 0 {
        findings.push(tallied(Finding::warning(Code::MetadataSkippedBlobMissing, format!("image {image}: {} of entries that readers skip (duplicate or dot names) {} to blobs not in the blob table: {}", counted(skipped_missing.count as u64, "stream", "streams"), agree(skipped_missing.count as u64, "refers", "refer"), list(&skipped_missing))).at(res_offset), &skipped_missing));
    }
    if missing.count > 0 {
        let msg = format!(
            "image {image}: {} {} to blobs not in the blob table: {}",
            counted(missing.count as u64, "stream", "streams"),
            agree(missing.count as u64, "refers", "refer"),
            list(&missing)
        );
        if ctx.all_parts {
            findings.push(tallied(
                Finding::corruption(Code::MetadataBlobMissing, msg)
                    .at(res_offset)
                    .remedy(remedies::MISSING_BLOBS),
                &missing,
            ));
        } else {
            findings.push(tallied(
                Finding::unverified(
                    Code::MetadataBlobElsewhere,
                    format!("{msg} (they may be in the split parts not given)"),
                )
                .at(res_offset),
                &missing,
            ));
        }
    }
    sum
}

/// After all images: blob table reference counts against the trees.
///
/// A blob's count is the number of file streams using it, one per
/// directory entry (each hard link counts), as wimlib writes it. Stored
/// counts are not trusted by readers (wimlib notes that WIMGAPI sometimes
/// writes wrong ones, and recomputes them), so a difference is `info`:
/// worth knowing, never a reason to doubt the image. Blobs numbered from
/// `own_blobs` on belong to reference WIMs and count their own images.
pub fn check_refcounts(ctx: &TreeContext, own_blobs: usize, findings: &mut Vec<Finding>) {
    let mut wrong = Tally::default();
    let mut unreferenced = Tally::default();
    // In blob number order, which is blob table order.
    let mut blobs: Vec<(u32, &[u8; 20])> = ctx
        .blobs
        .iter()
        .map(|(h, id)| (id, h))
        .filter(|&(id, _)| (id as usize) < own_blobs)
        .collect();
    blobs.sort_unstable_by_key(|b| b.0);
    for (id, h) in blobs {
        let Some(known) = ctx.blobs.get(id) else {
            continue;
        };
        let (entry, refcount) = (known.entry, known.refcount);
        let n = ctx.refs.get(id as usize).copied().unwrap_or(0);
        if n == 0 {
            unreferenced.add(format!("entry {entry} ({})", hex(h)));
        } else if n != refcount {
            wrong.add(format!("entry {entry}: {refcount} recorded, {n} found"));
        }
    }
    let list = |t: &Tally| {
        let more = if t.count > t.examples.len() {
            format!(" and {} more", t.count - t.examples.len())
        } else {
            String::new()
        };
        format!("{}{more}", t.examples.join("; "))
    };
    if wrong.count > 0 {
        findings.push(wrong.attach(Finding::info(
            Code::BlobtableRefcount,
            format!(
                "blob table: {} {} from the directory trees (readers recount them; harmless): {}",
                counted(wrong.count as u64, "reference count", "reference counts"),
                agree(wrong.count as u64, "differs", "differ"),
                list(&wrong)
            ),
        )));
    }
    if unreferenced.count > 0 {
        // Space no image uses (left by `delete --soft`, an update without
        // `--rebuild`, or a writer's leftovers): harmless to deploy.
        findings.push(unreferenced.attach(
            Finding::info(
                Code::BlobtableUnreferenced,
                format!(
                    "blob table: {} no image uses (wasted space, harmless): {}",
                    counted(unreferenced.count as u64, "blob", "blobs"),
                    list(&unreferenced)
                ),
            )
            .remedy(
                "`wimlib-imagex optimize` (or DISM /Export-Image) rewrites the WIM without them.",
            ),
        ));
    }
}
