// Reads the file's slices, in plan order, into the pool's buffers, and
// checks that the file did not change while it was read.
//
// sliceReader(files, method, pool) returns readSlice(s): a promise of
// { buffer, length }, bytes [s.start, s.end) of files[s.part] in the first
// `length` bytes of `buffer` (from the pool, where it may be given back).
// Calls must come in plan order (each may start before the previous one is
// done; they are served one after another). A file shorter than planned
// gives a short length, which the caller reports as a truncated file.
//
// With 'stream' (the default where Blob.stream exists) the bytes come from
// one ReadableStream per run of adjacent slices, read with a BYOB reader
// straight into the slice's buffer where the browser has one
// ('stream-default': a default reader, copied); in Chromium that takes
// less CPU than one slice().arrayBuffer() per slice (README, "Benchmarks").
// 'slice' reads each slice on its own, into a new buffer.
//
// A stream opened on a File keeps reading after the file changes (an
// append went unnoticed), while every new read of a File checks that it is
// still the file that was chosen (NotReadableError otherwise). So a
// one-byte read checks the part every CHECK_EVERY bytes streamed, and the
// caller checks every part once after the last slice
// (readSlice.unchanged(part)).

// Bytes streamed between two checks that the file is unchanged.
const CHECK_EVERY = 256 << 20;

// The open streams, referenced from the worker's global object. A pending
// read does not keep a Blob's stream alive in Chromium: when nothing but
// the read's own promise chain referenced the stream, a garbage collection
// mid-read dropped it and the read never settled (the page waited forever;
// with gc() every 20 ms the first run hung at once).
const held = (self.wimproofOpenStreams = self.wimproofOpenStreams || new Set());

export function sliceReader(files, method, pool) {
  const unchanged = async (part) => {
    await files[part].slice(0, Math.min(1, files[part].size)).arrayBuffer();
  };
  const readSlice = method !== 'slice' && typeof Blob.prototype.stream === 'function'
    ? streamReader(files, method, pool, unchanged)
    : oneByOne(files);
  readSlice.unchanged = unchanged;
  return readSlice;
}

// 'slice': one slice().arrayBuffer() per slice (no pool: a new buffer each).
function oneByOne(files) {
  const readSlice = (s) => files[s.part].slice(s.start, s.end).arrayBuffer()
    .then((buffer) => ({ buffer, length: buffer.byteLength }));
  readSlice.method = () => 'slice';
  return readSlice;
}

function streamReader(files, method, pool, unchanged) {
  // The open stream: its part, the offset of its next byte, its reader,
  // whether that reader is BYOB, (default reader) bytes read but not yet
  // handed out, and bytes streamed since the last check.
  let open = null;
  let queue = Promise.resolve();
  // The reader used, for the benchmark's profile line and the tests.
  let used = method === 'stream-default' ? 'stream-default' : 'stream-byob';

  const close = () => {
    if (open) {
      held.delete(open);
      open.reader.cancel().catch(() => {});
    }
    open = null;
  };

  const reopen = (s) => {
    close();
    const stream = files[s.part].slice(s.start).stream();
    let reader = null;
    let byob = false;
    if (method !== 'stream-default') {
      try {
        reader = stream.getReader({ mode: 'byob' });
        byob = true;
      } catch {
        reader = null;
      }
    }
    if (!reader) {
      reader = stream.getReader();
      used = 'stream-default';
    }
    open = { part: s.part, pos: s.start, reader, byob, rest: null, sinceCheck: 0 };
    held.add(open);
  };

  // Fills `buffer` up to `len` bytes from the open BYOB reader; returns the
  // buffer (each read transfers it: carry on with the one returned) and the
  // bytes filled.
  const fillByob = async (buffer, len) => {
    let filled = 0;
    while (filled < len) {
      const { value, done } = await open.reader.read(new Uint8Array(buffer, filled, len - filled));
      if (value) buffer = value.buffer;
      if (done) break;
      filled += value.byteLength;
    }
    return [buffer, filled];
  };

  // The same from a default reader: its chunks are copied in, and what is
  // left of the last one waits in open.rest for the next slice.
  const fillCopied = async (buffer, len) => {
    let filled = 0;
    while (filled < len) {
      let chunk = open.rest;
      open.rest = null;
      if (!chunk) {
        const { value, done } = await open.reader.read();
        if (done) break;
        chunk = value;
      }
      const take = Math.min(chunk.length, len - filled);
      new Uint8Array(buffer, filled, take).set(take === chunk.length ? chunk : chunk.subarray(0, take));
      filled += take;
      if (take < chunk.length) open.rest = chunk.subarray(take);
    }
    return [buffer, filled];
  };

  const fill = async (s) => {
    if (!open || open.part !== s.part || open.pos !== s.start) reopen(s);
    const len = s.end - s.start;
    const [buffer, filled] = await (open.byob ? fillByob : fillCopied)(pool.take(), len);
    open.pos += filled;
    if (filled < len) {
      close();
    } else {
      open.sinceCheck += filled;
      if (open.sinceCheck >= CHECK_EVERY) {
        open.sinceCheck = 0;
        await unchanged(s.part);
      }
    }
    return { buffer, length: filled };
  };

  const readSlice = (s) => {
    const p = queue.then(() => fill(s));
    // The next read waits for this one, failed or not; after an error the
    // stream is opened afresh.
    queue = p.then(() => {}, close);
    return p;
  };
  readSlice.method = () => used;
  return readSlice;
}
