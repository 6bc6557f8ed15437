//! Streaming decoder for one stored resource: fed the resource's stored
//! bytes in order, in pieces of any size, it walks the layout (chunk table,
//! solid header, pipable chunk prefixes), decompresses each chunk and hands
//! the uncompressed bytes to a [`Sink`]. It never reads; whoever feeds it
//! decides where the bytes come from.

use crate::codec::{decoder_for, Codec, Decompressor};
use crate::format::resource::{
    chunk_count, chunk_entry_width, chunk_size_problem, solid_codec, MAX_CHUNKS_PER_RESOURCE,
    MAX_CHUNK_SIZE, PIPABLE_CHUNK_PREFIX, SOLID_HEADER_SIZE,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a resource's stored bytes are laid out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Layout {
    /// The stored bytes are the data.
    Stored,
    /// Non-solid compressed: chunk table, then chunks.
    Chunked {
        codec: Codec,
        chunk_size: u32,
        usize: u64,
    },
    /// Solid: its own header names codec, chunk size and size.
    Solid,
    /// Pipable compressed: each chunk prefixed by its size, table at the end.
    Pipable {
        codec: Codec,
        chunk_size: u32,
        usize: u64,
    },
}

impl Layout {
    /// Codec, chunk size and uncompressed size of a chunked or pipable
    /// resource (a solid one names them in its own header).
    pub fn chunking(&self) -> Option<(Codec, u32, u64)> {
        match *self {
            Layout::Chunked {
                codec,
                chunk_size,
                usize,
            }
            | Layout::Pipable {
                codec,
                chunk_size,
                usize,
            } => Some((codec, chunk_size, usize)),
            Layout::Stored | Layout::Solid => None,
        }
    }

    /// The layout of a non-solid resource `r` in a WIM with header `h`, or
    /// `None` when it is marked compressed but the WIM names no codec.
    pub fn non_solid(
        h: &crate::format::header::Header,
        r: &crate::format::reshdr::ResHdr,
    ) -> Option<Layout> {
        if !r.is_compressed() {
            return Some(Layout::Stored);
        }
        let codec = h.codec().filter(|c| *c != Codec::None)?;
        let (chunk_size, usize) = (h.chunk_size, r.uncompressed_size);
        Some(if h.is_pipable() {
            Layout::Pipable {
                codec,
                chunk_size,
                usize,
            }
        } else {
            Layout::Chunked {
                codec,
                chunk_size,
                usize,
            }
        })
    }
}

/// Why the uncompressed data of a stretch of the resource is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub message: String,
    /// Absolute file offset of the bad structure or chunk.
    pub offset: u64,
    /// Index of the chunk that failed, if a chunk did.
    pub chunk: Option<u64>,
    /// False when the data could not be checked for a reason other than
    /// bad bytes (no decoder for this codec or chunk size here).
    pub corrupt: bool,
}

/// Receives the uncompressed bytes of a resource in order.
pub trait Sink {
    fn data(&mut self, bytes: &[u8]);
    /// `len` uncompressed bytes are missing (undecodable chunk).
    fn gap(&mut self, len: u64, why: &Failure);
}

/// Decoders and buffers reused across resources on one thread, so that
/// decoding a resource allocates nothing per chunk.
#[derive(Default)]
pub struct Scratch {
    decoders: HashMap<(Codec, u32), Box<dyn Decompressor + Send>>,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
}

impl Scratch {
    fn decoder(
        &mut self,
        codec: Codec,
        chunk_size: u32,
    ) -> Option<&mut Box<dyn Decompressor + Send>> {
        use std::collections::hash_map::Entry;
        match self.decoders.entry((codec, chunk_size)) {
            Entry::Occupied(o) => Some(o.into_mut()),
            Entry::Vacant(v) => Some(v.insert(decoder_for(codec, chunk_size)?)),
        }
    }
}

#[derive(Debug)]
enum Stage {
    /// Collecting a fixed-size header (chunk table, solid header, sizes).
    Header {
        need: u64,
    },
    /// Collecting the 4-byte prefix of the next pipable chunk.
    PipablePrefix,
    /// Collecting chunk `index`, of `csize` stored bytes.
    Chunk {
        index: u64,
        csize: u64,
    },
    /// Raw bytes, passed through (stored resources).
    Raw {
        left: u64,
    },
    /// Everything after the data (pipable chunk table), or after a failure.
    Skip,
    Done,
}

/// The decoder state for one resource.
pub struct ResourceDecoder {
    layout: Layout,
    /// File offset of the first stored byte.
    start: u64,
    /// Stored bytes consumed so far.
    pos: u64,
    stored_len: u64,
    codec: Codec,
    chunk_size: u32,
    usize: u64,
    n_chunks: u64,
    /// Compressed chunk sizes (chunked/solid), from the table, of chunks
    /// `first_chunk..`.
    csizes: Vec<u32>,
    first_chunk: u64,
    /// A run of chunks ([`ResourceDecoder::run`]): the uncompressed data
    /// ends with its last chunk, not at the resource's end.
    run: bool,
    /// Offsets within the stored data where each chunk starts (chunked).
    header_buf: Vec<u8>,
    /// Bytes of the current chunk collected so far (when split across feeds).
    collected: usize,
    /// Where they are collected: the lane's shared input buffer, taken from
    /// its `Scratch` for as long as this chunk is incomplete, so that no
    /// other decoder of the lane can write into it meanwhile (two resource
    /// tasks of one lane may both have a chunk split across the same feed
    /// boundary: overlapping ranges in a hostile file, or the lane feeding
    /// them in either order).
    partial: Vec<u8>,
    stage: Stage,
    solid_stage: u8,
    emitted: u64,
    failure: Option<Failure>,
}

fn fail(offset: u64, chunk: Option<u64>, msg: impl Into<String>) -> Failure {
    Failure {
        message: msg.into(),
        offset,
        chunk,
        corrupt: true,
    }
}

impl ResourceDecoder {
    pub fn new(layout: Layout, start: u64, stored_len: u64) -> ResourceDecoder {
        let mut d = ResourceDecoder {
            layout: layout.clone(),
            start,
            pos: 0,
            stored_len,
            codec: Codec::None,
            chunk_size: 0,
            usize: 0,
            n_chunks: 0,
            csizes: Vec::new(),
            first_chunk: 0,
            run: false,
            header_buf: Vec::new(),
            collected: 0,
            partial: Vec::new(),
            stage: Stage::Done,
            solid_stage: 0,
            emitted: 0,
            failure: None,
        };
        match layout.chunking() {
            None if layout == Layout::Stored => {
                d.usize = stored_len;
                d.stage = Stage::Raw { left: stored_len };
            }
            // Solid: its header says the rest.
            None => {
                d.stage = Stage::Header {
                    need: SOLID_HEADER_SIZE,
                };
            }
            Some((codec, chunk_size, usize)) => {
                d.codec = codec;
                d.chunk_size = chunk_size;
                d.usize = usize;
                d.n_chunks = chunk_count(usize, chunk_size);
                if let Err(f) = d.check_chunk_params(start) {
                    d.failure = Some(f);
                    d.stage = Stage::Skip;
                } else if matches!(d.layout, Layout::Pipable { .. }) {
                    // Each chunk carries its size; the table comes last.
                    d.stage = if d.n_chunks == 0 {
                        Stage::Skip
                    } else {
                        Stage::PipablePrefix
                    };
                } else {
                    let table = d.n_chunks.saturating_sub(1) * chunk_entry_width(usize);
                    d.stage = Stage::Header { need: table };
                }
            }
        }
        d
    }

    /// The decoder of a run of chunks of a chunked or solid resource, its
    /// chunk table read and checked already ([`crate::verify::split`]):
    /// chunks `first..first + csizes.len()` of a resource of `usize`
    /// uncompressed bytes in `chunk_size`-byte chunks, stored one after
    /// the other from file offset `start` (`csizes` holds their stored
    /// sizes, none of them empty). It emits the uncompressed bytes of
    /// those chunks only.
    pub fn run(
        codec: Codec,
        chunk_size: u32,
        usize: u64,
        first: u64,
        csizes: Vec<u32>,
        start: u64,
    ) -> ResourceDecoder {
        let stored_len = csizes.iter().map(|&c| u64::from(c)).sum();
        let mut d = ResourceDecoder::new(Layout::Stored, start, stored_len);
        d.codec = codec;
        d.chunk_size = chunk_size.max(1);
        d.usize = usize;
        d.run = true;
        d.first_chunk = first;
        d.n_chunks = first.saturating_add(csizes.len() as u64);
        d.emitted = first.saturating_mul(u64::from(d.chunk_size)).min(usize);
        d.stage = match csizes.first() {
            Some(&c) => Stage::Chunk {
                index: first,
                csize: u64::from(c),
            },
            None => Stage::Done,
        };
        d.csizes = csizes;
        d
    }

    /// Where the uncompressed data this decoder emits ends: the
    /// resource's end, or a run's last chunk's.
    fn out_end(&self) -> u64 {
        if self.run {
            self.n_chunks
                .saturating_mul(u64::from(self.chunk_size))
                .min(self.usize)
        } else {
            self.usize
        }
    }

    fn check_chunk_params(&self, at: u64) -> Result<(), Failure> {
        if self.chunk_size == 0 || self.chunk_size > MAX_CHUNK_SIZE {
            return Err(fail(
                at,
                None,
                format!("chunk size {} is not usable", self.chunk_size),
            ));
        }
        if self.n_chunks > MAX_CHUNKS_PER_RESOURCE {
            return Err(fail(
                at,
                None,
                format!(
                    "{} chunks exceed the limit of {MAX_CHUNKS_PER_RESOURCE} per resource",
                    self.n_chunks
                ),
            ));
        }
        // A resource cannot expand beyond what its chunks can hold; checked
        // before any buffer is sized from the declared size.
        Ok(())
    }

    /// The uncompressed size this resource declares (known after the
    /// solid header for solid resources).
    pub fn uncompressed_size(&self) -> u64 {
        self.usize
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    /// Feeds the next stored bytes.
    pub fn feed(&mut self, mut data: &[u8], scratch: &mut Scratch, sink: &mut dyn Sink) {
        while !data.is_empty() {
            let room = self.stored_len.saturating_sub(self.pos);
            if room == 0 {
                return;
            }
            if (data.len() as u64) > room {
                data = &data[..room as usize];
            }
            let used = self.step(data, scratch, sink);
            self.pos += used as u64;
            data = &data[used..];
        }
    }

    /// Call after the last byte was fed: reports anything the stored data
    /// did not deliver.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        let missing = self.out_end().saturating_sub(self.emitted);
        if self.failure.is_none() && !matches!(self.stage, Stage::Skip | Stage::Done) {
            self.failure = Some(fail(
                self.start.saturating_add(self.pos),
                None,
                "resource data ends before all of it was decoded",
            ));
        }
        if missing > 0 {
            let why = self.failure.clone().unwrap_or_else(|| {
                fail(
                    self.start.saturating_add(self.pos),
                    None,
                    "resource produced less data than declared",
                )
            });
            sink.gap(missing, &why);
            self.emitted = self.usize;
        }
    }

    fn file_pos(&self) -> u64 {
        self.start.saturating_add(self.pos)
    }

    fn abort(&mut self, f: Failure) {
        if self.failure.is_none() {
            self.failure = Some(f);
        }
        self.stage = Stage::Skip;
    }

    /// Consumes a prefix of `data`; returns how many bytes it used.
    fn step(&mut self, data: &[u8], scratch: &mut Scratch, sink: &mut dyn Sink) -> usize {
        match self.stage {
            Stage::Done | Stage::Skip => data.len(),
            Stage::Raw { left } => {
                let n = (left.min(data.len() as u64)) as usize;
                sink.data(&data[..n]);
                self.emitted += n as u64;
                let left = left - n as u64;
                self.stage = if left == 0 {
                    Stage::Done
                } else {
                    Stage::Raw { left }
                };
                n
            }
            Stage::Header { need } => {
                let have = self.header_buf.len() as u64;
                let want = need - have;
                if want > self.stored_len.saturating_sub(self.pos) {
                    self.abort(fail(
                        self.file_pos(),
                        None,
                        "resource too short for its chunk table or header",
                    ));
                    return data.len();
                }
                let n = (want.min(data.len() as u64)) as usize;
                self.header_buf.extend_from_slice(&data[..n]);
                if self.header_buf.len() as u64 == need {
                    self.header_done();
                }
                n
            }
            Stage::PipablePrefix => {
                let want = PIPABLE_CHUNK_PREFIX as usize - self.header_buf.len();
                let n = want.min(data.len());
                self.header_buf.extend_from_slice(&data[..n]);
                if self.header_buf.len() == PIPABLE_CHUNK_PREFIX as usize {
                    let b = &self.header_buf;
                    let csize = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
                    self.header_buf.clear();
                    let index = self.emitted / self.chunk_size as u64;
                    self.stage = Stage::Chunk { index, csize };
                    self.collected = 0;
                    if let Err(f) = self.check_csize(index, csize) {
                        self.abort(f);
                    }
                }
                n
            }
            Stage::Chunk { index, csize } => {
                let csize_us = csize as usize;
                let usz = self.chunk_usize(index);
                // Fast path: the whole chunk is in this piece; decode in place.
                if self.collected == 0 && data.len() >= csize_us {
                    self.decode_chunk(index, &data[..csize_us], usz, scratch, sink);
                    self.next_chunk(index);
                    return csize_us;
                }
                if self.collected == 0 {
                    // Borrow the lane's buffer (empty if another decoder
                    // holds it; then this one grows its own).
                    self.partial = std::mem::take(&mut scratch.inbuf);
                }
                if self.partial.len() < csize_us {
                    self.partial.resize(csize_us, 0);
                }
                let n = (csize_us - self.collected).min(data.len());
                self.partial[self.collected..self.collected + n].copy_from_slice(&data[..n]);
                self.collected += n;
                if self.collected == csize_us {
                    let input = std::mem::take(&mut self.partial);
                    self.decode_chunk(index, &input[..csize_us], usz, scratch, sink);
                    if input.capacity() > scratch.inbuf.capacity() {
                        scratch.inbuf = input;
                    }
                    self.collected = 0;
                    self.next_chunk(index);
                }
                n
            }
        }
    }

    fn chunk_usize(&self, index: u64) -> u64 {
        let before = index.saturating_mul(self.chunk_size as u64);
        self.usize
            .saturating_sub(before)
            .min(self.chunk_size as u64)
    }

    fn check_csize(&self, index: u64, csize: u64) -> Result<(), Failure> {
        let usz = self.chunk_usize(index);
        if csize == 0 || csize > usz {
            return Err(fail(
                self.file_pos(),
                Some(index),
                format!("chunk {index} has invalid compressed size {csize} (uncompressed {usz})"),
            ));
        }
        Ok(())
    }

    fn next_chunk(&mut self, index: u64) {
        let next = index + 1;
        if next >= self.n_chunks {
            self.stage = match self.layout {
                Layout::Pipable { .. } => Stage::Skip,
                _ => Stage::Done,
            };
            return;
        }
        match self.layout {
            Layout::Pipable { .. } => self.stage = Stage::PipablePrefix,
            _ => {
                let at = next.saturating_sub(self.first_chunk);
                let csize = usize::try_from(at)
                    .ok()
                    .and_then(|i| self.csizes.get(i))
                    .copied()
                    .unwrap_or(0) as u64;
                self.stage = Stage::Chunk { index: next, csize };
            }
        }
    }

    fn decode_chunk(
        &mut self,
        index: u64,
        input: &[u8],
        usz: u64,
        scratch: &mut Scratch,
        sink: &mut dyn Sink,
    ) {
        let chunk_offset = self.file_pos();
        let usz_us = usz as usize;
        if input.len() as u64 == usz {
            sink.data(input);
            self.emitted += usz;
            return;
        }
        let mut out = std::mem::take(&mut scratch.outbuf);
        let codec = self.codec;
        let chunk_size = self.chunk_size;
        let result = match scratch.decoder(codec, chunk_size) {
            Some(d) => {
                // Sized only once a decoder exists; a fresh zeroed buffer
                // (not a resize) leaves untouched pages unallocated, so a
                // forged huge chunk that fails early costs little memory.
                if out.len() < usz_us {
                    out = vec![0u8; usz_us];
                }
                d.decompress(input, &mut out[..usz_us])
                    .map_err(|e| (e.detail.to_string(), true))
            }
            None => Err((
                format!("no {codec} decoder for {chunk_size}-byte chunks"),
                false,
            )),
        };
        match result {
            Ok(()) => sink.data(&out[..usz_us]),
            Err((msg, corrupt)) => {
                let f = Failure {
                    message: format!(
                        "chunk {index} at file offset {chunk_offset} failed to decompress: {msg}"
                    ),
                    offset: chunk_offset,
                    chunk: Some(index),
                    corrupt,
                };
                sink.gap(usz, &f);
                if self.failure.is_none() {
                    self.failure = Some(f);
                }
            }
        }
        self.emitted += usz;
        scratch.outbuf = out;
    }

    fn header_done(&mut self) {
        let buf = std::mem::take(&mut self.header_buf);
        // Header problems are reported at the resource's own offset.
        let at = self.start;
        match self.layout.clone() {
            Layout::Chunked { .. } => {
                let width = chunk_entry_width(self.usize) as usize;
                let table_len = buf.len() as u64;
                let data_len = self.stored_len.saturating_sub(table_len);
                let mut starts = Vec::with_capacity(self.n_chunks as usize);
                starts.push(0u64);
                for e in buf.chunks_exact(width) {
                    let v = if width == 4 {
                        u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as u64
                    } else {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(e);
                        u64::from_le_bytes(b)
                    };
                    starts.push(v);
                }
                let mut csizes = Vec::with_capacity(starts.len());
                for i in 0..starts.len() {
                    let end = if i + 1 < starts.len() {
                        starts[i + 1]
                    } else {
                        data_len
                    };
                    if end < starts[i] || end > data_len {
                        self.abort(fail(
                            at,
                            Some(i as u64),
                            format!(
                                "chunk table entry {i} is out of order or points past the resource"
                            ),
                        ));
                        return;
                    }
                    let cs = end - starts[i];
                    if let Err(f) = self.check_csize(i as u64, cs) {
                        self.abort(Failure { offset: at, ..f });
                        return;
                    }
                    csizes.push(cs as u32);
                }
                self.csizes = csizes;
                if self.n_chunks == 0 {
                    self.stage = Stage::Done;
                } else {
                    self.stage = Stage::Chunk {
                        index: 0,
                        csize: self.csizes[0] as u64,
                    };
                }
            }
            Layout::Solid if self.solid_stage == 0 => {
                let mut u = [0u8; 8];
                u.copy_from_slice(&buf[0..8]);
                let usize = u64::from_le_bytes(u);
                let chunk_size = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]);
                let codec_id = u32::from_le_bytes([buf[12], buf[13], buf[14], buf[15]]);
                let Some(codec) = solid_codec(codec_id) else {
                    self.abort(fail(
                        at,
                        None,
                        format!("solid resource header names unknown codec {codec_id}"),
                    ));
                    return;
                };
                self.codec = codec;
                self.chunk_size = chunk_size;
                self.usize = usize;
                self.n_chunks = chunk_count(usize, chunk_size.max(1));
                if codec == Codec::None {
                    self.abort(fail(
                        at,
                        None,
                        "solid resource header says uncompressed, which no writer produces",
                    ));
                    return;
                }
                // The codec's own chunk size range (LZX at most 2 MiB,
                // XPRESS 64 KiB): a forged size must not size buffers.
                if let Some(p) = chunk_size_problem(codec, chunk_size) {
                    self.abort(fail(
                        at,
                        None,
                        format!("solid resource header: {codec} chunk size {chunk_size} {p}"),
                    ));
                    return;
                }
                if let Err(f) = self.check_chunk_params(at) {
                    self.abort(f);
                    return;
                }
                self.solid_stage = 1;
                self.stage = Stage::Header {
                    need: self.n_chunks * 4,
                };
                if self.n_chunks == 0 {
                    self.stage = Stage::Done;
                }
            }
            Layout::Solid => {
                let mut csizes = Vec::with_capacity(self.n_chunks as usize);
                for (i, e) in buf.chunks_exact(4).enumerate() {
                    let cs = u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as u64;
                    if let Err(f) = self.check_csize(i as u64, cs) {
                        self.abort(Failure { offset: at, ..f });
                        return;
                    }
                    csizes.push(cs as u32);
                }
                self.csizes = csizes;
                self.stage = Stage::Chunk {
                    index: 0,
                    csize: self.csizes[0] as u64,
                };
            }
            Layout::Stored | Layout::Pipable { .. } => {}
        }
    }
}

/// A sink that keeps the bytes (for metadata resources), refusing more than
/// `limit` bytes. After a gap the data is incomplete and useless, so it
/// stops collecting and frees what it has: a forged size with undecodable
/// chunks must not make it allocate (and zero) up to `limit` bytes.
pub struct CollectSink {
    pub bytes: Vec<u8>,
    pub limit: u64,
    pub gap: Option<Failure>,
    pub overflow: bool,
}

impl Sink for CollectSink {
    fn data(&mut self, b: &[u8]) {
        if self.gap.is_some() {
            return;
        }
        if self.bytes.len() as u64 + b.len() as u64 > self.limit {
            self.overflow = true;
            return;
        }
        self.bytes.extend_from_slice(b);
    }
    fn gap(&mut self, _len: u64, why: &Failure) {
        if self.gap.is_none() {
            self.gap = Some(why.clone());
        }
        self.bytes = Vec::new();
    }
}
