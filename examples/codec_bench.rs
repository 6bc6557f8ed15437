//! The decoder benchmark's native side (`scripts/bench-codecs.sh` runs it;
//! feature `codec-bench`).
//!
//! ```text
//! codec_bench extract WIM CORPUS   every compressed chunk of WIM's resources
//!                                  (solid or not) into CORPUS (codec::bench);
//!                                  each non-solid resource's SHA-1 is checked
//! codec_bench run CORPUS [--verify]
//!                                  decodes every chunk once and prints
//!                                  `{"bytes":N,"seconds":S,"cpu_seconds":C}`; --verify first
//!                                  checks the output against the corpus SHA-1
//! ```
//! A benchmark tool over trusted, locally made files: it stops on the first
//! problem rather than reporting findings as wimproof does.

use sha1::{Digest, Sha1};
use std::time::Instant;
use wimproof::codec::bench::{self, Bench, Corpus};
use wimproof::codec::{decoder_for, Codec};
use wimproof::format::blob_table::parse_table;
use wimproof::format::header::{Header, HEADER_SIZE};
use wimproof::format::resource::{chunk_count, chunk_entry_width, solid_codec, SOLID_HEADER_SIZE};

type Res<T> = Result<T, String>;

fn slice(b: &[u8], at: u64, len: u64) -> Res<&[u8]> {
    let end = at.checked_add(len).ok_or("offset overflow")?;
    b.get(at as usize..end as usize)
        .ok_or_else(|| format!("range {at}+{len} past the end of the file"))
}

fn le(b: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    v[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(v)
}

/// The chunks of one resource: (compressed bytes, uncompressed size).
fn chunks_of(data: &[u8], usize: u64, chunk_size: u32, solid: bool) -> Res<Vec<(&[u8], u32)>> {
    let n = chunk_count(usize, chunk_size);
    let ulen = |i: u64| (usize - i * chunk_size as u64).min(chunk_size as u64) as u32;
    let mut out = Vec::new();
    if solid {
        let table = slice(data, 0, 4 * n)?;
        let mut at = 4 * n;
        for i in 0..n {
            let clen = le(&table[4 * i as usize..4 * i as usize + 4]);
            out.push((slice(data, at, clen)?, ulen(i)));
            at += clen;
        }
    } else {
        let w = chunk_entry_width(usize);
        let tlen = w * n.saturating_sub(1);
        let table = slice(data, 0, tlen)?;
        let start = |i: u64| {
            if i == 0 {
                0
            } else {
                le(&table[((i - 1) * w) as usize..(i * w) as usize])
            }
        };
        let body = &data[tlen as usize..];
        for i in 0..n {
            let s = start(i);
            let e = if i + 1 == n {
                body.len() as u64
            } else {
                start(i + 1)
            };
            out.push((
                slice(body, s, e.checked_sub(s).ok_or("bad chunk table")?)?,
                ulen(i),
            ));
        }
    }
    Ok(out)
}

fn extract(wim: &str, corpus: &str) -> Res<()> {
    let b = std::fs::read(wim).map_err(|e| format!("{wim}: {e}"))?;
    let hb: &[u8; HEADER_SIZE] = b.get(..HEADER_SIZE).ok_or("no header")?.try_into().unwrap();
    let h = Header::parse(hb);
    let bt = h.blob_table;
    if bt.is_compressed() {
        return Err("compressed blob table".into());
    }
    let (entries, _) = parse_table(slice(&b, bt.offset, bt.size_in_wim)?);
    // (codec, chunk size, chunks)
    let mut resources: Vec<(Codec, u32, Vec<(&[u8], u32)>, Option<[u8; 20]>)> = Vec::new();
    for e in &entries {
        let r = e.reshdr;
        if e.is_solid_resource() {
            let data = slice(&b, r.offset, r.size_in_wim)?;
            let usize = le(&data[0..8]);
            let cs = le(&data[8..12]) as u32;
            let codec = solid_codec(le(&data[12..16]) as u32).ok_or("solid codec")?;
            let body = &data[SOLID_HEADER_SIZE as usize..];
            resources.push((codec, cs, chunks_of(body, usize, cs, true)?, None));
        } else if r.is_compressed() && !r.is_solid() {
            let data = slice(&b, r.offset, r.size_in_wim)?;
            let codec = h.codec().ok_or("header names no codec")?;
            let cs = h.chunk_size;
            let chunks = chunks_of(data, r.uncompressed_size, cs, false)?;
            resources.push((codec, cs, chunks, Some(e.sha1)));
        }
    }
    let codec = resources.first().ok_or("no compressed resource")?.0;
    if resources.iter().any(|r| r.0 != codec) {
        return Err("resources of more than one codec".into());
    }
    let max = resources.iter().map(|r| r.1).max().unwrap_or(0);
    let mut dec = decoder_for(codec, max).ok_or("no decoder")?;
    let mut out = vec![0u8; max as usize];
    let mut all = Sha1::new();
    let mut records = Vec::new();
    let mut count = 0u64;
    let mut checked = 0;
    for (_, _, chunks, sha1) in &resources {
        let mut blob = Sha1::new();
        for &(data, ulen) in chunks {
            let o = &mut out[..ulen as usize];
            if data.len() == ulen as usize {
                blob.update(data); // stored raw: nothing to decode
                continue;
            }
            dec.decompress(data, o).map_err(|e| e.detail.to_string())?;
            blob.update(&*o);
            all.update(&*o);
            records.extend_from_slice(&(data.len() as u32).to_le_bytes());
            records.extend_from_slice(&ulen.to_le_bytes());
            records.extend_from_slice(data);
            count += 1;
        }
        if let Some(want) = sha1 {
            if <[u8; 20]>::from(blob.finalize()) != *want {
                return Err("a resource's SHA-1 differs".into());
            }
            checked += 1;
        }
    }
    let mut file = bench::header(codec, max, count, all.finalize().into());
    file.extend_from_slice(&records);
    std::fs::write(corpus, &file).map_err(|e| format!("{corpus}: {e}"))?;
    eprintln!(
        "{corpus}: {codec}, {count} chunks, {} resources ({checked} SHA-1 checked), chunk size {max}",
        resources.len()
    );
    Ok(())
}

fn run(corpus: &str, verify: bool) -> Res<()> {
    let b = std::fs::read(corpus).map_err(|e| format!("{corpus}: {e}"))?;
    let c = Corpus::parse(&b)?;
    let mut bench = Bench::new(c.codec, c.max_chunk).ok_or("no decoder")?;
    if verify {
        let (_, h) = bench.run(&c, true).map_err(|e| e.detail.to_string())?;
        if h != Some(c.sha1) {
            return Err("decoded bytes differ from the corpus's SHA-1".into());
        }
    }
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let (n, _) = bench.run(&c, false).map_err(|e| e.detail.to_string())?;
    let s = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    println!("{{\"bytes\":{n},\"seconds\":{s},\"cpu_seconds\":{cpu}}}");
    Ok(())
}

/// This process's user + system CPU time (Linux `/proc/self/stat`, in
/// clock ticks of 10 ms): on a machine shared with other work, CPU time
/// measures the decoder where wall time measures the machine's load.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is the
    // first (field 3 of the line), utime and stime fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let r = match a.get(1).map(String::as_str) {
        Some("extract") if a.len() == 4 => extract(&a[2], &a[3]),
        Some("run") if a.len() >= 3 => run(&a[2], a.get(3).is_some_and(|s| s == "--verify")),
        _ => Err("usage: codec_bench extract WIM CORPUS | run CORPUS [--verify]".into()),
    };
    if let Err(e) = r {
        eprintln!("codec_bench: {e}");
        std::process::exit(1);
    }
}
