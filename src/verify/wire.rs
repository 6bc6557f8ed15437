//! Task lists in a compact binary form, for handing a lane its tasks from
//! one Web Worker to another.
//!
//! A large install image plans a few hundred thousand tasks. As JSON (a
//! SHA-1 is twenty numbers there) that was about 300 bytes a task and
//! 54 MiB for a 5 GB LZX image, which the reader wrote and the lane parsed
//! before the first byte of the main pass; here a compressed one-blob task
//! is 81 bytes, written and read by plain copies, and the buffer is transferred,
//! not copied.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! "WPT1"  u32 task count
//! per task:  u32 id  u16 part  u64 start  u64 end  u8 kind
//!   kind 0 (file digest):  u8 bit 0 = SHA-256, bit 1 = SHA-1
//!   kind 1 (integrity):    u32 chunk size  u64 first chunk  u32 n  n x 20-byte SHA-1
//!   kind 2 (resource):     u8 layout (0 stored, 1 chunked, 2 solid, 3 pipable)
//!                          [chunked, pipable: u8 codec  u32 chunk size  u64 size]
//!                          u32 n  n x (u32 entry  u64 offset  u64 size  20-byte SHA-1)
//!   kind 3 (run of chunks of a split resource; the native driver's only):
//!                          u32 index  u8 last  u64 resource offset  u8 codec
//!                          u32 chunk size  u64 size  u64 first chunk
//!                          u32 n  n x u32 stored chunk size
//!                          u32 n  n x (u32 index  blob as in kind 2)
//! ```
//!
//! The decoder checks every length against the bytes that remain before
//! allocating, so a damaged buffer gives an error, never a panic or a huge
//! allocation.

use super::resource::Layout;
use super::split::{RunBlob, RunSpec};
use super::task::{BlobTarget, TaskKind, TaskSpec};
use crate::codec::Codec;

const MAGIC: &[u8; 4] = b"WPT1";
/// Bytes of one blob target and of one integrity digest.
const BLOB_BYTES: usize = 4 + 8 + 8 + 20;
const DIGEST_BYTES: usize = 20;
/// The smallest encoded task (a file-digest task).
const MIN_TASK_BYTES: usize = 4 + 2 + 8 + 8 + 1 + 1;

/// Why a buffer is not a task list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireError(pub &'static str);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad task list: {}", self.0)
    }
}

impl std::error::Error for WireError {}

/// Encodes `tasks`; [`decode`] gives them back.
pub fn encode(tasks: &[TaskSpec]) -> Vec<u8> {
    let size = tasks.iter().fold(8usize, |a, t| {
        a.saturating_add(MIN_TASK_BYTES + 17)
            .saturating_add(match &t.kind {
                TaskKind::Integrity { expected, .. } => expected.len() * DIGEST_BYTES,
                TaskKind::Resource { blobs, .. } => blobs.len() * BLOB_BYTES,
                TaskKind::Run(r) => 42 + r.csizes.len() * 4 + r.blobs.len() * (4 + BLOB_BYTES),
                TaskKind::FileDigest { .. } => 0,
            })
    });
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(MAGIC);
    put_len(&mut out, tasks.len());
    for t in tasks {
        out.extend_from_slice(&t.id.to_le_bytes());
        out.extend_from_slice(&t.part.to_le_bytes());
        out.extend_from_slice(&t.start.to_le_bytes());
        out.extend_from_slice(&t.end.to_le_bytes());
        match &t.kind {
            TaskKind::FileDigest { sha256, sha1 } => {
                out.push(0);
                out.push(u8::from(*sha256) | u8::from(*sha1) << 1);
            }
            TaskKind::Integrity {
                chunk_size,
                first,
                expected,
            } => {
                out.push(1);
                out.extend_from_slice(&chunk_size.to_le_bytes());
                out.extend_from_slice(&first.to_le_bytes());
                put_len(&mut out, expected.len());
                for d in expected {
                    out.extend_from_slice(d);
                }
            }
            TaskKind::Resource { layout, blobs } => {
                out.push(2);
                out.push(match layout {
                    Layout::Stored => 0,
                    Layout::Chunked { .. } => 1,
                    Layout::Solid => 2,
                    Layout::Pipable { .. } => 3,
                });
                if let Some((codec, chunk_size, usize)) = layout.chunking() {
                    out.push(codec_byte(codec));
                    out.extend_from_slice(&chunk_size.to_le_bytes());
                    out.extend_from_slice(&usize.to_le_bytes());
                }
                put_len(&mut out, blobs.len());
                for b in blobs {
                    put_blob(&mut out, b);
                }
            }
            TaskKind::Run(r) => {
                out.push(3);
                out.extend_from_slice(&r.index.to_le_bytes());
                out.push(u8::from(r.last));
                out.extend_from_slice(&r.resource_start.to_le_bytes());
                out.push(codec_byte(r.codec));
                out.extend_from_slice(&r.chunk_size.to_le_bytes());
                out.extend_from_slice(&r.usize.to_le_bytes());
                out.extend_from_slice(&r.first_chunk.to_le_bytes());
                put_len(&mut out, r.csizes.len());
                for c in &r.csizes {
                    out.extend_from_slice(&c.to_le_bytes());
                }
                put_len(&mut out, r.blobs.len());
                for b in &r.blobs {
                    out.extend_from_slice(&b.index.to_le_bytes());
                    put_blob(&mut out, &b.blob);
                }
            }
        }
    }
    out
}

fn put_blob(out: &mut Vec<u8>, b: &BlobTarget) {
    out.extend_from_slice(&b.entry.to_le_bytes());
    out.extend_from_slice(&b.offset.to_le_bytes());
    out.extend_from_slice(&b.size.to_le_bytes());
    out.extend_from_slice(&b.sha1);
}

fn codec_of(b: u8) -> Result<Codec, WireError> {
    Ok(match b {
        0 => Codec::None,
        1 => Codec::Xpress,
        2 => Codec::Lzx,
        3 => Codec::Lzms,
        _ => return Err(WireError("unknown codec")),
    })
}

/// Lists are far below 2^32 entries (the blob table's and the integrity
/// table's limits); a longer one is cut at the count written, which the
/// decoder then finds trailing bytes after.
fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn codec_byte(c: Codec) -> u8 {
    match c {
        Codec::None => 0,
        Codec::Xpress => 1,
        Codec::Lzx => 2,
        Codec::Lzms => 3,
    }
}

/// Decodes a buffer made by [`encode`].
pub fn decode(buf: &[u8]) -> Result<Vec<TaskSpec>, WireError> {
    let mut r = Reader { buf };
    if r.take(4)? != MAGIC {
        return Err(WireError("not a wimproof task list"));
    }
    let n = r.u32()? as usize;
    if n > r.buf.len() / MIN_TASK_BYTES {
        return Err(WireError("more tasks than bytes"));
    }
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.u32()?;
        let part = u16::from_le_bytes(r.array()?);
        let start = r.u64()?;
        let end = r.u64()?;
        let kind = match r.u8()? {
            0 => {
                let f = r.u8()?;
                TaskKind::FileDigest {
                    sha256: f & 1 != 0,
                    sha1: f & 2 != 0,
                }
            }
            1 => {
                let chunk_size = r.u32()?;
                let first = r.u64()?;
                let k = r.count(DIGEST_BYTES)?;
                let mut expected = Vec::with_capacity(k);
                for _ in 0..k {
                    expected.push(r.array()?);
                }
                TaskKind::Integrity {
                    chunk_size,
                    first,
                    expected,
                }
            }
            2 => {
                let layout = match r.u8()? {
                    0 => Layout::Stored,
                    2 => Layout::Solid,
                    l @ (1 | 3) => {
                        let codec = codec_of(r.u8()?)?;
                        let chunk_size = r.u32()?;
                        let usize = r.u64()?;
                        if l == 1 {
                            Layout::Chunked {
                                codec,
                                chunk_size,
                                usize,
                            }
                        } else {
                            Layout::Pipable {
                                codec,
                                chunk_size,
                                usize,
                            }
                        }
                    }
                    _ => return Err(WireError("unknown resource layout")),
                };
                let k = r.count(BLOB_BYTES)?;
                let mut blobs = Vec::with_capacity(k);
                for _ in 0..k {
                    blobs.push(r.blob()?);
                }
                TaskKind::Resource { layout, blobs }
            }
            3 => {
                let index = r.u32()?;
                let last = match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(WireError("bad run flag")),
                };
                let resource_start = r.u64()?;
                let codec = codec_of(r.u8()?)?;
                let chunk_size = r.u32()?;
                let usize = r.u64()?;
                let first_chunk = r.u64()?;
                let k = r.count(4)?;
                let mut csizes = Vec::with_capacity(k);
                for _ in 0..k {
                    csizes.push(r.u32()?);
                }
                let k = r.count(4 + BLOB_BYTES)?;
                let mut blobs = Vec::with_capacity(k);
                for _ in 0..k {
                    let index = r.u32()?;
                    blobs.push(RunBlob {
                        index,
                        blob: r.blob()?,
                    });
                }
                TaskKind::Run(Box::new(RunSpec {
                    index,
                    last,
                    resource_start,
                    codec,
                    chunk_size,
                    usize,
                    first_chunk,
                    csizes,
                    blobs,
                }))
            }
            _ => return Err(WireError("unknown task kind")),
        };
        tasks.push(TaskSpec {
            id,
            part,
            start,
            end,
            kind,
        });
    }
    if !r.buf.is_empty() {
        return Err(WireError("bytes after the last task"));
    }
    Ok(tasks)
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.buf.len() {
            return Err(WireError("truncated"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or(WireError("truncated"))?;
        self.buf = rest;
        Ok(*head)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        self.array().map(u64::from_le_bytes)
    }

    fn blob(&mut self) -> Result<BlobTarget, WireError> {
        Ok(BlobTarget {
            entry: self.u32()?,
            offset: self.u64()?,
            size: self.u64()?,
            sha1: self.array()?,
        })
    }

    /// A list length whose items of `item` bytes must fit what remains.
    fn count(&mut self, item: usize) -> Result<usize, WireError> {
        let n = self.u32()? as usize;
        if n > self.buf.len() / item {
            return Err(WireError("list longer than the bytes left"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<TaskSpec> {
        let blob = |i: u8| BlobTarget {
            entry: u32::from(i) * 7,
            offset: u64::from(i) << 33,
            size: (u64::from(i) << 40) + 3,
            sha1: [i; 20],
        };
        let spec = |id, kind| TaskSpec {
            id,
            part: id as u16 % 3,
            start: crate::format::header::HEADER_SIZE as u64 + (u64::from(id) << 32),
            end: 1 << 50,
            kind,
        };
        vec![
            spec(
                0,
                TaskKind::FileDigest {
                    sha256: true,
                    sha1: false,
                },
            ),
            spec(
                1,
                TaskKind::FileDigest {
                    sha256: false,
                    sha1: true,
                },
            ),
            spec(
                2,
                TaskKind::Integrity {
                    chunk_size: 10 << 20,
                    first: 9,
                    expected: vec![[1; 20], [2; 20], [3; 20]],
                },
            ),
            spec(
                3,
                TaskKind::Resource {
                    layout: Layout::Stored,
                    blobs: vec![blob(1), blob(2)],
                },
            ),
            spec(
                4,
                TaskKind::Resource {
                    layout: Layout::Chunked {
                        codec: Codec::Lzx,
                        chunk_size: 32768,
                        usize: 5 << 32,
                    },
                    blobs: vec![blob(3)],
                },
            ),
            spec(
                5,
                TaskKind::Resource {
                    layout: Layout::Pipable {
                        codec: Codec::Xpress,
                        chunk_size: 65536,
                        usize: 77,
                    },
                    blobs: vec![blob(4)],
                },
            ),
            spec(
                6,
                TaskKind::Resource {
                    layout: Layout::Solid,
                    blobs: vec![],
                },
            ),
            spec(
                7,
                TaskKind::Resource {
                    layout: Layout::Chunked {
                        codec: Codec::Lzms,
                        chunk_size: 1 << 26,
                        usize: 1,
                    },
                    blobs: vec![blob(5), blob(6), blob(7)],
                },
            ),
            spec(
                8,
                TaskKind::Run(Box::new(RunSpec {
                    index: 3,
                    last: true,
                    resource_start: 1 << 33,
                    codec: Codec::Lzms,
                    chunk_size: 1 << 26,
                    usize: 9 << 30,
                    first_chunk: 40,
                    csizes: vec![1, 1 << 26, 77],
                    blobs: vec![
                        RunBlob {
                            index: 9,
                            blob: blob(8),
                        },
                        RunBlob {
                            index: 10,
                            blob: blob(9),
                        },
                    ],
                })),
            ),
        ]
    }

    #[test]
    fn every_kind_and_layout_round_trips() {
        let tasks = sample();
        let buf = encode(&tasks);
        assert_eq!(decode(&buf), Ok(tasks));
        assert_eq!(decode(&encode(&[])), Ok(vec![]));
    }

    #[test]
    fn a_compressed_one_blob_task_is_81_bytes() {
        let one = &sample()[4..5];
        assert_eq!(encode(one).len(), 8 + 81);
    }

    #[test]
    fn damaged_buffers_are_errors() {
        let buf = encode(&sample());
        for n in 0..buf.len() {
            assert!(decode(&buf[..n]).is_err(), "prefix of {n} bytes");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(WireError("bytes after the last task")));
        // Every single-byte change either decodes (a value changed) or is
        // an error; none panics or allocates for a forged count.
        for i in 0..buf.len() {
            for v in [0u8, 1, 2, 3, 4, 0x7f, 0xff] {
                let mut b = buf.clone();
                b[i] = v;
                let _ = decode(&b);
            }
        }
        let mut huge = buf;
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge), Err(WireError("more tasks than bytes")));
    }
}
