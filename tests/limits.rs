//! Resource limits: hostile inputs built from real fixtures by patching
//! fields, each of which must end in a clear finding within a bounded time
//! and a bounded peak of memory (measured with a counting allocator in this
//! test binary). The limits named here are the `MAX_*` constants of the
//! crate; SECURITY.md lists them.

mod common;

use sha1::{Digest, Sha1};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};
use wimproof::assess::{self, verify_bytes};
use wimproof::format::blob_table::MAX_BLOB_ENTRIES;
use wimproof::format::resource::MAX_CHUNK_SIZE;
use wimproof::format::xml::{MAX_XML_NODES, MAX_XML_SIZE};
use wimproof::read::{ReadAt, ReadError};
use wimproof::report::Report;
use wimproof::verify::open::MAX_METADATA_SIZE;
use wimproof::verify::tree::MAX_DEPTH;
use wimproof::verify::{run_serial, Options, Verifier};

// ---- measuring ---------------------------------------------------------------

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            note(l.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            note(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        note(-(l.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            note(new as isize - l.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MIB: isize = 1 << 20;

/// Runs `f` on this thread; returns its result, the time it took and the
/// peak of heap bytes it held above what the thread held before.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, isize) {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    let t = Instant::now();
    let r = f();
    (r, t.elapsed(), PEAK.with(|p| p.get()) - base)
}

fn opts() -> Options {
    Options {
        sha256: false,
        sha1: false,
        ..Options::default()
    }
}

/// Verifies in memory and checks the bounds; returns the report.
fn verify_bounded(what: &str, data: &[u8], max_time: Duration, max_heap: isize) -> Report {
    let (r, dt, peak) = measure(|| verify_bytes(&[("limits.wim", data)], opts(), ""));
    let rep = r.unwrap_or_else(|e| panic!("{what}: read error from in-memory data: {e}"));
    report_bounds(what, &rep, dt, peak, max_time, max_heap);
    rep
}

fn report_bounds(
    what: &str,
    rep: &Report,
    dt: Duration,
    peak: isize,
    max_time: Duration,
    max_heap: isize,
) {
    let codes: Vec<&str> = rep.findings.iter().map(|f| f.code.as_str()).collect();
    println!(
        "{what}: {:.2} s, peak heap {:.1} MiB, intact={:?}, {} findings {:?}",
        dt.as_secs_f64(),
        peak as f64 / MIB as f64,
        rep.intact,
        codes.len(),
        &codes[..codes.len().min(8)]
    );
    assert!(
        dt <= max_time,
        "{what}: took {dt:?}, more than {max_time:?}"
    );
    assert!(
        peak <= max_heap,
        "{what}: peak heap {} MiB, more than {} MiB",
        peak / MIB,
        max_heap / MIB
    );
}

/// The finding with `code`, which must exist and be a corruption finding.
fn corruption<'a>(rep: &'a Report, code: &str) -> &'a wimproof::verify::finding::Finding {
    let f = rep
        .findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| {
            panic!(
                "no {code} finding; findings: {:?}",
                rep.findings
                    .iter()
                    .map(|f| (&f.code, &f.message))
                    .collect::<Vec<_>>()
            )
        });
    assert_eq!(
        f.severity,
        wimproof::verify::finding::Severity::Corruption,
        "{code}: {}",
        f.message
    );
    assert_eq!(rep.intact, Some(false));
    f
}

// ---- patching fixtures -------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let p = common::generated().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn u64_at(d: &[u8], o: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[o..o + 8]);
    u64::from_le_bytes(b)
}
fn put_u64(d: &mut [u8], o: usize, v: u64) {
    d[o..o + 8].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(d: &mut [u8], o: usize, v: u32) {
    d[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// A resource header: (stored size, flags, offset, uncompressed size).
fn reshdr(d: &[u8], o: usize) -> (u64, u8, u64, u64) {
    let mut s = [0u8; 8];
    s[..7].copy_from_slice(&d[o..o + 7]);
    (
        u64::from_le_bytes(s),
        d[o + 7],
        u64_at(d, o + 8),
        u64_at(d, o + 16),
    )
}
fn put_reshdr(d: &mut [u8], o: usize, size: u64, flags: u8, offset: u64, usize: u64) {
    d[o..o + 7].copy_from_slice(&size.to_le_bytes()[..7]);
    d[o + 7] = flags;
    put_u64(d, o + 8, offset);
    put_u64(d, o + 16, usize);
}

const HDR_BLOB_TABLE: usize = 0x30;
const HDR_XML: usize = 0x48;

/// Offsets (in the file) of the blob table entries.
fn entries(d: &[u8]) -> Vec<usize> {
    let (size, _, off, _) = reshdr(d, HDR_BLOB_TABLE);
    (0..size as usize / 50)
        .map(|i| off as usize + i * 50)
        .collect()
}

/// The blob table entry of the (first) metadata resource.
fn metadata_entry(d: &[u8]) -> usize {
    entries(d)
        .into_iter()
        .find(|&e| d[e + 7] & 0x02 != 0)
        .unwrap_or_else(|| panic!("no metadata entry"))
}

/// The largest non-metadata, non-solid entry with the given flags.
fn largest_entry(d: &[u8], flags: u8) -> usize {
    entries(d)
        .into_iter()
        .filter(|&e| d[e + 7] == flags)
        .max_by_key(|&e| reshdr(d, e).0)
        .unwrap_or_else(|| panic!("no entry with flags {flags:#x}"))
}

/// Replaces the first image's metadata with `meta` (uncompressed), appended
/// at the end of the file; the entry's size, offset and SHA-1 are fixed so
/// that only the tree walk can object.
fn with_metadata(mut d: Vec<u8>, meta: &[u8]) -> Vec<u8> {
    let e = metadata_entry(&d);
    let at = d.len() as u64;
    d.extend_from_slice(meta);
    put_reshdr(&mut d, e, meta.len() as u64, 0x02, at, meta.len() as u64);
    let h = Sha1::digest(meta);
    d[e + 30..e + 50].copy_from_slice(&h);
    d
}

/// The uncompressed metadata resource of the first image of an
/// uncompressed fixture.
fn metadata_of(d: &[u8]) -> Vec<u8> {
    let (size, flags, off, usize) = reshdr(d, metadata_entry(d));
    assert_eq!(flags & 0x04, 0, "metadata must be stored uncompressed");
    assert_eq!(size, usize);
    d[off as usize..(off + size) as usize].to_vec()
}

/// Offset of the named entry in a sibling list of uncompressed metadata
/// (names are ASCII in the fixture).
fn find_dentry(m: &[u8], list: u64, name: &str) -> usize {
    let mut o = list as usize;
    loop {
        let len = u64_at(m, o);
        assert!(len > 8, "{name} not found");
        let streams = u16::from_le_bytes([m[o + 0x60], m[o + 0x61]]);
        let nlen = u16::from_le_bytes([m[o + 0x64], m[o + 0x65]]) as usize;
        let n: Vec<u16> = m[o + 0x66..o + 0x66 + nlen]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if String::from_utf16_lossy(&n) == name {
            return o;
        }
        let mut next = (o + len as usize).div_ceil(8) * 8;
        for _ in 0..streams {
            next = (next + u64_at(m, next) as usize).div_ceil(8) * 8;
        }
        o = next;
    }
}

fn subdir(m: &[u8], dentry: usize) -> u64 {
    u64_at(m, dentry + 16)
}

fn root_list(m: &[u8]) -> u64 {
    let sec = u32::from_le_bytes([m[0], m[1], m[2], m[3]]).max(8) as usize;
    subdir(m, sec.div_ceil(8) * 8)
}

// ---- decompression bombs -------------------------------------------------------

#[test]
fn decompression_bomb_blob_declares_2_pow_50_bytes() {
    let mut d = fixture("lzx.wim");
    let e = largest_entry(&d, 0x04);
    let (size, flags, off, _) = reshdr(&d, e);
    put_reshdr(&mut d, e, size, flags, off, 1 << 50);
    let rep = verify_bounded("blob of 2^50 bytes", &d, Duration::from_secs(10), 64 * MIB);
    let f = corruption(&rep, "resource.undecodable");
    assert!(f.message.contains("exceed the limit"), "{}", f.message);
}

#[test]
fn decompression_bomb_metadata_declares_2_pow_50_bytes() {
    let mut d = fixture("lzx.wim");
    let e = metadata_entry(&d);
    let (size, flags, off, _) = reshdr(&d, e);
    put_reshdr(&mut d, e, size, flags, off, 1 << 50);
    let rep = verify_bounded(
        "metadata of 2^50 bytes",
        &d,
        Duration::from_secs(10),
        64 * MIB,
    );
    let f = corruption(&rep, "metadata.too_large");
    assert!(f.message.contains("above the limit"), "{}", f.message);
}

#[test]
fn decompression_bomb_metadata_just_under_the_metadata_limit() {
    // Accepted by the size check (MAX_METADATA_SIZE), so it is decoded: its
    // chunks cannot deliver the size, and nothing is allocated for it.
    let mut d = fixture("lzx.wim");
    let e = metadata_entry(&d);
    let (size, flags, off, _) = reshdr(&d, e);
    put_reshdr(&mut d, e, size, flags, off, MAX_METADATA_SIZE - 1);
    let rep = verify_bounded(
        "metadata of MAX_METADATA_SIZE - 1 bytes",
        &d,
        Duration::from_secs(10),
        64 * MIB,
    );
    corruption(&rep, "metadata.undecodable");
}

/// The solid resource's own 16-byte header: (size, chunk size, codec).
fn solid_header_at(d: &[u8]) -> usize {
    let e = entries(d)
        .into_iter()
        .find(|&e| d[e + 7] & 0x10 != 0 && reshdr(d, e).3 == 1 << 32)
        .unwrap_or_else(|| panic!("no solid resource"));
    reshdr(d, e).2 as usize
}

#[test]
fn decompression_bomb_solid_resource_declares_2_pow_50_bytes() {
    let mut d = fixture("solid.wim");
    let h = solid_header_at(&d);
    put_u64(&mut d, h, 1 << 50);
    let rep = verify_bounded(
        "solid resource of 2^50 bytes",
        &d,
        Duration::from_secs(10),
        128 * MIB,
    );
    corruption(&rep, "resource.undecodable");
}

#[test]
fn decompression_bomb_solid_chunk_size_beyond_the_codec() {
    // A 1 GiB chunk size is only valid for LZMS; named LZX, it must be
    // refused before any buffer is sized from it.
    let mut d = fixture("solid.wim");
    let h = solid_header_at(&d);
    put_u64(&mut d, h, 1 << 30);
    put_u32(&mut d, h + 8, 1 << 30);
    put_u32(&mut d, h + 12, 2);
    let rep = verify_bounded(
        "solid LZX chunk of 1 GiB",
        &d,
        Duration::from_secs(10),
        64 * MIB,
    );
    let f = corruption(&rep, "resource.undecodable");
    assert!(f.message.contains("chunk size"), "{}", f.message);
}

#[test]
fn decompression_bomb_one_lzms_chunk_of_1_gib() {
    // LZMS allows chunks of up to MAX_CHUNK_SIZE (1 GiB; 64 MiB of zeros
    // really does compress to 14 bytes), so one chunk buffer of that size is
    // the documented worst case per lane. Garbage in it fails quickly.
    let mut d = fixture("solid.wim");
    let h = solid_header_at(&d);
    put_u64(&mut d, h, MAX_CHUNK_SIZE as u64);
    put_u32(&mut d, h + 8, MAX_CHUNK_SIZE);
    // The only chunk: everything after the header and its size entry.
    let e = entries(&d)
        .into_iter()
        .find(|&e| reshdr(&d, e).2 as usize == h)
        .unwrap_or(0);
    let stored = reshdr(&d, e).0;
    put_u32(&mut d, h + 16, (stored - 20) as u32);
    let rep = verify_bounded(
        "one LZMS chunk of 1 GiB",
        &d,
        Duration::from_secs(20),
        MAX_CHUNK_SIZE as isize + 64 * MIB,
    );
    assert_eq!(rep.intact, Some(false));
}

// ---- huge tables ------------------------------------------------------------

/// A file of `size` bytes whose first bytes are `head` and the rest zeros,
/// without holding the zeros in memory.
struct Sparse {
    head: Vec<u8>,
    size: u64,
}

impl ReadAt for Sparse {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.size)
            .ok_or_else(|| ReadError::new(offset, buf.len() as u64, "past the end"))?;
        for (i, b) in buf.iter_mut().enumerate() {
            let at = offset + i as u64;
            *b = self.head.get(at as usize).copied().unwrap_or(0);
        }
        let _ = end;
        Ok(())
    }
}

fn verify_sparse(what: &str, f: &Sparse, max_time: Duration, max_heap: isize) -> Report {
    let (rep, dt, peak) = measure(|| {
        let v = Verifier::open(&[("sparse.wim", f as &dyn ReadAt)], opts())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let results =
            run_serial(&v, &[f as &dyn ReadAt], 1 << 20).unwrap_or_else(|e| panic!("{what}: {e}"));
        assess::report(v.finish(results), &[], String::new())
    });
    report_bounds(what, &rep, dt, peak, max_time, max_heap);
    rep
}

#[test]
fn huge_blob_table_past_the_end_of_the_file() {
    let mut d = fixture("none.wim");
    let (_, flags, off, _) = reshdr(&d, HDR_BLOB_TABLE);
    put_reshdr(
        &mut d,
        HDR_BLOB_TABLE,
        (1 << 56) - 1,
        flags,
        off,
        (1 << 56) - 1,
    );
    let rep = verify_bounded(
        "blob table of 2^56-1 bytes",
        &d,
        Duration::from_secs(10),
        64 * MIB,
    );
    corruption(&rep, "header.reshdr_out_of_file");
}

#[test]
fn huge_blob_table_above_max_blob_entries() {
    // A 220 MB file (zeros after the real head) whose blob table has one
    // entry more than MAX_BLOB_ENTRIES: refused before it is read.
    let mut head = fixture("none.wim");
    let n = MAX_BLOB_ENTRIES + 1;
    let at = head.len() as u64;
    put_reshdr(&mut head, HDR_BLOB_TABLE, n * 50, 0x02, at, n * 50);
    let f = Sparse {
        size: at + n * 50,
        head,
    };
    let rep = verify_sparse(
        "blob table of MAX_BLOB_ENTRIES + 1 entries",
        &f,
        Duration::from_secs(10),
        64 * MIB,
    );
    let c = corruption(&rep, "blobtable.too_large");
    assert!(
        c.message.contains(&MAX_BLOB_ENTRIES.to_string()),
        "{}",
        c.message
    );
}

#[test]
fn huge_xml_above_max_xml_size() {
    let mut head = fixture("none.wim");
    let n = MAX_XML_SIZE + 2;
    let at = head.len() as u64;
    put_reshdr(&mut head, HDR_XML, n, 0x02, at, n);
    let f = Sparse { size: at + n, head };
    let rep = verify_sparse(
        "XML of MAX_XML_SIZE + 2 bytes",
        &f,
        Duration::from_secs(10),
        64 * MIB,
    );
    corruption(&rep, "xml.too_large");
}

#[test]
fn huge_xml_of_tiny_elements_just_under_the_limit() {
    // Well-formed XML as large as allowed, made of the smallest elements:
    // the worst case for the parser's node count.
    let mut d = fixture("none.wim");
    let mut text = String::from("<WIM>");
    let budget = (MAX_XML_SIZE as usize) / 2 - 16;
    while text.len() + 4 + 6 < budget {
        text.push_str("<a/>");
    }
    text.push_str("</WIM>");
    let mut xml = vec![0xFF, 0xFE];
    xml.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert!(xml.len() as u64 <= MAX_XML_SIZE);
    let at = d.len() as u64;
    d.extend_from_slice(&xml);
    put_reshdr(
        &mut d,
        HDR_XML,
        xml.len() as u64,
        0x02,
        at,
        xml.len() as u64,
    );
    drop(text);
    let rep = verify_bounded(
        "XML of 8 million empty elements",
        &d,
        Duration::from_secs(10),
        128 * MIB,
    );
    // Refused at MAX_XML_NODES nodes, long before the end of the text.
    let f = corruption(&rep, "xml.invalid");
    assert!(
        f.message
            .contains(&format!("more than {MAX_XML_NODES} XML nodes")),
        "{}",
        f.message
    );
}

#[test]
fn huge_xml_of_equals_signs_just_under_the_limit() {
    // Text of 16 million `=`: the parser would size its attribute table
    // from their count before reading a single attribute.
    let mut d = fixture("none.wim");
    let budget = (MAX_XML_SIZE as usize) / 2 - 16;
    let text = format!("<WIM>{}</WIM>", "=".repeat(budget - 11));
    let mut xml = vec![0xFF, 0xFE];
    xml.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    drop(text);
    assert!(xml.len() as u64 <= MAX_XML_SIZE);
    let at = d.len() as u64;
    d.extend_from_slice(&xml);
    put_reshdr(
        &mut d,
        HDR_XML,
        xml.len() as u64,
        0x02,
        at,
        xml.len() as u64,
    );
    let rep = verify_bounded(
        "XML of 16 million `=`",
        &d,
        Duration::from_secs(10),
        128 * MIB,
    );
    let f = corruption(&rep, "xml.invalid");
    assert!(
        f.message.contains("XML nodes or attributes"),
        "{}",
        f.message
    );
}

// ---- trees ---------------------------------------------------------------------

/// One directory-entry of `len` bytes (name "d"), a directory if `dir`.
fn dentry(dir: bool, subdir: u64) -> Vec<u8> {
    let name: Vec<u8> = "d".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let len = (102 + name.len() + 2).div_ceil(8) * 8;
    let mut v = vec![0u8; len];
    put_u64(&mut v, 0, len as u64);
    put_u32(&mut v, 8, if dir { 0x10 } else { 0x80 });
    put_u32(&mut v, 12, u32::MAX);
    put_u64(&mut v, 16, subdir);
    v[0x64..0x66].copy_from_slice(&(name.len() as u16).to_le_bytes());
    v[0x66..0x66 + name.len()].copy_from_slice(&name);
    v
}

#[test]
fn deeply_nested_tree_beyond_max_depth() {
    // root -> d -> d -> ... MAX_DEPTH + 100 levels: each list is one
    // directory and an end marker.
    let levels = MAX_DEPTH as usize + 100;
    let mut m = vec![0u8; 8];
    put_u32(&mut m, 0, 8);
    let entry_len = dentry(true, 0).len();
    let step = (entry_len + 8) as u64;
    let root_at = 8u64;
    m.extend(dentry(true, root_at + entry_len as u64 + 8));
    m.extend([0u8; 8]);
    for i in 0..levels {
        let this = m.len() as u64;
        let child = if i + 1 < levels { this + step } else { 0 };
        m.extend(dentry(true, child));
        m.extend([0u8; 8]);
    }
    let d = with_metadata(fixture("none.wim"), &m);
    let rep = verify_bounded(
        "tree nested MAX_DEPTH + 100 deep",
        &d,
        Duration::from_secs(10),
        128 * MIB,
    );
    let f = corruption(&rep, "metadata.invalid");
    assert!(f.message.contains("deeper than"), "{}", f.message);
}

#[test]
fn cyclic_tree() {
    // deep/a/b/c/d/e/f's child list is set to the root's: a cycle.
    let d = fixture("none.wim");
    let mut m = metadata_of(&d);
    let mut list = root_list(&m);
    let mut at = 0;
    for name in ["deep", "a", "b", "c", "d", "e", "f"] {
        at = find_dentry(&m, list, name);
        list = subdir(&m, at);
    }
    let root = root_list(&m);
    put_u64(&mut m, at + 16, root);
    let d = with_metadata(d, &m);
    let rep = verify_bounded("cyclic tree", &d, Duration::from_secs(10), 64 * MIB);
    let f = corruption(&rep, "metadata.invalid");
    assert!(
        f.message.contains("already used by another directory"),
        "{}",
        f.message
    );
}

#[test]
fn sibling_directories_sharing_one_child_list() {
    // `dup` is given `bin`'s child list: one list, two parents.
    let d = fixture("none.wim");
    let mut m = metadata_of(&d);
    let root = root_list(&m);
    let bin = find_dentry(&m, root, "bin");
    let dup = find_dentry(&m, root, "dup");
    let shared = subdir(&m, bin);
    put_u64(&mut m, dup + 16, shared);
    let d = with_metadata(d, &m);
    let rep = verify_bounded(
        "two directories sharing a child list",
        &d,
        Duration::from_secs(10),
        64 * MIB,
    );
    let f = corruption(&rep, "metadata.invalid");
    assert!(
        f.message.contains("already used by another directory"),
        "{}",
        f.message
    );
}

// ---- many tiny blobs -------------------------------------------------------------

const TINY_BLOBS: u32 = 2_000_000;
/// Heap bytes per blob table entry that a whole verification may use, at
/// most (SECURITY.md quotes it): measured 213 (406.1 MiB for 2 million).
const HEAP_PER_BLOB: isize = 224;
/// What the heap needs besides the entries.
const HEAP_BASE: isize = 8 * MIB;

/// An uncompressed WIM with no image and `n` blobs of 4 bytes each (the
/// counter, so every blob differs); with `bad_hashes` every SHA-1 is wrong.
fn tiny_blobs_wim(n: u32, bad_hashes: bool) -> Vec<u8> {
    let mut d = vec![0u8; 208];
    d[..8].copy_from_slice(b"MSWIM\0\0\0");
    put_u32(&mut d, 8, 208);
    put_u32(&mut d, 12, 0x10D00);
    d[0x28] = 1;
    d[0x2A] = 1;
    for i in 0..n {
        d.extend_from_slice(&i.to_le_bytes());
    }
    let table_at = d.len() as u64;
    for i in 0..n {
        let mut e = [0u8; 50];
        e[..7].copy_from_slice(&4u64.to_le_bytes()[..7]);
        e[8..16].copy_from_slice(&(208 + 4 * i as u64).to_le_bytes());
        e[16..24].copy_from_slice(&4u64.to_le_bytes());
        e[24] = 1;
        e[26] = 1;
        let mut h: [u8; 20] = Sha1::digest(i.to_le_bytes()).into();
        if bad_hashes {
            h[0] ^= 1;
        }
        e[30..].copy_from_slice(&h);
        d.extend_from_slice(&e);
    }
    let table_len = n as u64 * 50;
    put_reshdr(&mut d, HDR_BLOB_TABLE, table_len, 0x02, table_at, table_len);
    let xml: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("<WIM></WIM>".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    let xml_at = d.len() as u64;
    d.extend_from_slice(&xml);
    put_reshdr(
        &mut d,
        HDR_XML,
        xml.len() as u64,
        0x02,
        xml_at,
        xml.len() as u64,
    );
    d
}

#[test]
fn millions_of_tiny_blobs() {
    let d = tiny_blobs_wim(TINY_BLOBS, false);
    let rep = verify_bounded(
        "2 million tiny blobs",
        &d,
        Duration::from_secs(60),
        HEAP_BASE + HEAP_PER_BLOB * TINY_BLOBS as isize,
    );
    assert_eq!(rep.intact, Some(true), "{:?}", rep.findings);
    assert_eq!(rep.checked.blobs_verified, TINY_BLOBS as u64);
}

#[test]
fn millions_of_tiny_blobs_all_corrupt() {
    let d = tiny_blobs_wim(TINY_BLOBS, true);
    let rep = verify_bounded(
        "2 million tiny corrupt blobs",
        &d,
        Duration::from_secs(60),
        HEAP_BASE + HEAP_PER_BLOB * TINY_BLOBS as isize,
    );
    assert_eq!(rep.intact, Some(false));
    assert_eq!(rep.checked.blobs_corrupt, TINY_BLOBS as u64);
    // Every one counted, a bounded number listed, the rest summarised.
    let listed = rep
        .findings
        .iter()
        .filter(|f| f.code == "resource.hash_mismatch")
        .count();
    assert!(
        listed <= wimproof::verify::finding::MAX_FINDINGS_PER_CODE + 1,
        "{listed} findings listed"
    );
    assert!(
        rep.findings
            .iter()
            .any(|f| f.code == "resource.hash_mismatch" && f.message.contains("more")),
        "no summary finding"
    );
}

// ---- integrity table --------------------------------------------------------------

#[test]
fn integrity_table_of_one_byte_chunks_all_wrong() {
    // A chunk size of 1 byte: one SHA-1 per byte of the 3.5 MB covered
    // range (below MAX_INTEGRITY_CHUNKS), every one of them wrong.
    let mut d = fixture("none-check.wim");
    let (bt_size, _, bt_off, _) = reshdr(&d, HDR_BLOB_TABLE);
    let n = bt_off + bt_size - 208;
    assert!(n <= wimproof::format::integrity::MAX_INTEGRITY_CHUNKS as u64);
    let mut table = Vec::with_capacity(12 + 20 * n as usize);
    table.extend_from_slice(&((12 + 20 * n) as u32).to_le_bytes());
    table.extend_from_slice(&(n as u32).to_le_bytes());
    table.extend_from_slice(&1u32.to_le_bytes());
    table.resize(12 + 20 * n as usize, 0);
    let at = d.len() as u64;
    d.extend_from_slice(&table);
    drop(table);
    put_reshdr(&mut d, 0x7C, 12 + 20 * n, 0, at, 12 + 20 * n);
    let rep = verify_bounded(
        "integrity table of 3.5 million 1-byte chunks",
        &d,
        Duration::from_secs(30),
        512 * MIB,
    );
    corruption(&rep, "integrity.chunk_mismatch");
    assert_eq!(rep.integrity.bad_chunks.len() as u64, n);
    let listed = rep
        .findings
        .iter()
        .filter(|f| f.code == "integrity.chunk_mismatch")
        .count();
    assert!(
        listed <= wimproof::verify::finding::MAX_FINDINGS_PER_CODE + 1,
        "{listed} findings listed"
    );
}
