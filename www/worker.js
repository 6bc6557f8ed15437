// One dedicated worker script, two roles, both driven by the wasm core:
//
// - reader: runs phase 1 (Session.open reads the File's small structures
//   through FileReaderSync), plans the lanes and the main pass, then reads
//   the file once, in order, in slices (a stream where the browser has
//   one; READ_AHEAD reads in flight while it works), and posts each slice
//   to the lanes that need it (transferred to the last one, copied for the
//   others). It keeps at most maxInFlight unacknowledged slices per lane
//   (IN_FLIGHT_BYTES shared out), and the slices' buffers come back with
//   the acknowledgements to be reused (BufferPool), so memory stays flat
//   whatever the file size. The reader hashes nothing itself: a worker's
//   thread delivers the bytes of its own reads, so a reader busy hashing
//   stops reading (README, "Benchmarks").
//   Where crypto.subtle exists (a secure context: https, localhost,
//   file://), the reader also hashes the integrity table's chunks
//   with WebCrypto (native SHA-1, several times wasm's speed) and gives the
//   digests to the Session, which checks them; elsewhere (plain http) the
//   lanes hash them in wasm. At the end it collects the lanes' results and
//   builds the report.
// - lane: runs its share of the tasks (WebLane.feed) over the slices it is
//   posted, says how far into a slice it is when a slice takes long (one
//   8 MiB slice of LZX can take a second), acknowledges each slice (handing
//   its buffer back), and returns its results when told to finish.
//
// The page wires the reader to each lane with a MessageChannel, so slices
// never pass through the main thread. Cancel terminates every worker.
//
// This file must stay importable as a module worker (served page) and
// concatenable after the wasm-bindgen glue (single-file build): no
// top-level names the glue uses, and the import below on one line.

import { initSync, Session, WebLane, takePanicMessage } from './pkg/wimproof.js';

// Bytes of slices posted to the lanes and not yet acknowledged, at most,
// shared out among the lanes (MIN_IN_FLIGHT to MAX_IN_FLIGHT slices each). Deep
// queues let a lane run ahead while another works through a large
// compressed resource: with 3 slices a lane (and the reader hashing too)
// the lanes took turns waiting for each other; 12 slices of 8 MiB a lane
// made the LZX benchmark image 13-18% faster (README, "Benchmarks").
const IN_FLIGHT_BYTES = 192 << 20;
const MIN_IN_FLIGHT = 3;
const MAX_IN_FLIGHT = 24;
// Progress messages to the page, at most one per this many ms.
const PROGRESS_EVERY_MS = 100;
// Reads started ahead of the slice being worked on.
const READ_AHEAD = 2;
// A lane feeds a slice in pieces of this size and says how far it is
// between them when PROGRESS_EVERY_MS has passed.
const LANE_PIECE = 1 << 20;
// Bytes of integrity chunks handed to crypto.subtle.digest and not yet
// done, at most (each call holds a copy of its chunk).
const MAX_DIGEST_BYTES = 64 << 20;
// A streamed file is checked for changes after this many bytes (see
// sliceReader).
const CHECK_EVERY = 256 << 20;

const workerScope = self;

function describeError(e) {
  let message = e && e.message ? String(e.message) : String(e);
  let name = e && e.name ? String(e.name) : 'Error';
  if (e instanceof WebAssembly.RuntimeError) {
    // A trap is a panic in wimproof (a bug): say so, with the panic's text.
    const panic = takePanicMessage();
    name = 'InternalError';
    message = 'internal error in wimproof' + (panic ? ': ' + panic : ': ' + message);
  }
  return { name, message };
}

function fail(target, e) {
  target.postMessage({ type: 'error', error: describeError(e) });
}

workerScope.onmessage = (ev) => {
  const msg = ev.data;
  workerScope.onmessage = null;
  try {
    initSync({ module: msg.module });
  } catch (e) {
    fail(workerScope, e);
    return;
  }
  if (msg.role === 'reader') {
    runReader(msg).catch((e) => fail(workerScope, e));
  } else if (msg.role === 'lane') {
    runLane(msg.port);
  }
};

// ---- lane ------------------------------------------------------------------

function runLane(port) {
  let lane = null;
  // Milliseconds in WebLane.feed, and from the first slice to finish.
  let feedMs = 0;
  let firstAt = null;
  let lastSaid = 0;
  port.onmessage = (ev) => {
    const m = ev.data;
    try {
      if (m.type === 'tasks') {
        lane = new WebLane(m.tasks, m.names);
      } else if (m.type === 'slice') {
        const t = performance.now();
        if (firstAt === null) firstAt = t;
        const bytes = new Uint8Array(m.buffer, 0, m.length);
        for (let o = 0; o < bytes.length; o += LANE_PIECE) {
          if (o > 0) {
            const now = performance.now();
            if (now - lastSaid >= PROGRESS_EVERY_MS) {
              lastSaid = now;
              port.postMessage({ type: 'fed', bytes: o });
            }
          }
          lane.feed(m.part, m.offset + o, bytes.subarray(o, Math.min(o + LANE_PIECE, bytes.length)));
        }
        feedMs += performance.now() - t;
        // The buffer goes back to the reader's pool.
        port.postMessage({ type: 'ack', buffer: m.buffer }, [m.buffer]);
      } else if (m.type === 'finish') {
        const results = lane.finish();
        lane.free();
        lane = null;
        const stats = { feedMs, spanMs: firstAt === null ? 0 : performance.now() - firstAt };
        port.postMessage({ type: 'results', results, stats });
      }
    } catch (e) {
      fail(port, e);
    }
  };
}

// ---- reader ----------------------------------------------------------------

// Buffers for slices, reused: a slice's buffer goes from the reader to the
// lanes and comes back with their acknowledgement, so the main pass
// allocates a few buffers once instead of one per slice, which Chromium
// collected so late that the tab's memory grew with the file size
// (README, "Benchmarks"). Every buffer is `size` bytes: the plan's longest
// slice, so any slice or copy of one fits.
class BufferPool {
  constructor(size, keep) {
    this.size = size;
    this.keep = keep;
    this.free = [];
    // Buffers allocated because none was free (for the benchmark's profile).
    this.made = 0;
  }

  take() {
    if (this.free.length) return this.free.pop();
    this.made += 1;
    return new ArrayBuffer(this.size);
  }

  give(buffer) {
    if (buffer && buffer.byteLength === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}

// Returns readSlice(s): a promise of { buffer, length }, bytes
// [s.start, s.end) of files[s.part] in the first `length` bytes of
// `buffer` (from the pool, where it may be given back). Calls must come in
// plan order (each may start before the previous one is done; they are
// served one after another). With 'stream' (the default where
// Blob.stream exists) the bytes come from one ReadableStream per run of
// adjacent slices, read with a BYOB reader straight into the slice's
// buffer where the browser has one ('stream-default': a default reader,
// copied); in Chromium that takes less CPU than one slice().arrayBuffer()
// per slice (README, "Benchmarks"). 'slice' reads each slice on its own,
// into a new buffer. A file shorter than planned gives a short length,
// which the caller reports as a truncated file.
function sliceReader(files, method, pool) {
  // A stream opened on a File keeps reading after the file changes (an
  // append went unnoticed), while every new read of a File checks that it
  // is still the file that was chosen (NotReadableError otherwise). So a
  // one-byte read checks the part every CHECK_EVERY bytes streamed, and
  // the caller checks every part once after the last slice.
  const unchanged = async (part) => {
    await files[part].slice(0, Math.min(1, files[part].size)).arrayBuffer();
  };
  const useStream = method !== 'slice' && typeof Blob.prototype.stream === 'function';
  if (!useStream) {
    const readSlice = (s) => files[s.part].slice(s.start, s.end).arrayBuffer().then((buffer) => ({ buffer, length: buffer.byteLength }));
    readSlice.method = () => 'slice';
    readSlice.unchanged = unchanged;
    return readSlice;
  }
  // The open stream: its part, the offset of its next byte, its reader,
  // whether that reader is BYOB, and (default reader) bytes read but not
  // yet handed out.
  let open = null;
  let queue = Promise.resolve();
  // The reader used, for the benchmark's profile line and the tests.
  let used = method === 'stream-default' ? 'stream-default' : 'stream-byob';
  const close = () => {
    if (open) open.reader.cancel().catch(() => {});
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
      } catch (e) {
        reader = null;
      }
    }
    if (!reader) {
      reader = stream.getReader();
      used = 'stream-default';
    }
    open = { part: s.part, pos: s.start, reader, byob, rest: null, sinceCheck: 0 };
  };
  const fill = async (s) => {
    if (!open || open.part !== s.part || open.pos !== s.start) reopen(s);
    const len = s.end - s.start;
    let buffer = pool.take();
    let filled = 0;
    while (filled < len) {
      if (open.byob) {
        // The read transfers the buffer: carry on with the one returned.
        const { value, done } = await open.reader.read(new Uint8Array(buffer, filled, len - filled));
        if (value) buffer = value.buffer;
        if (done) break;
        filled += value.byteLength;
      } else {
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
    }
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
  readSlice.unchanged = unchanged;
  return readSlice;
}

async function runReader(msg) {
  const { files, names, options, ports, sliceBytes, webcrypto, readMethod } = msg;
  const started = Date.now();
  let session;
  try {
    // Phase 1 runs in wasm without returning; the tree walk reports how
    // far it is (metadata bytes), which the page shows.
    let lastOpening = 0;
    let lastStep = null;
    const opening = (done, total, step) => {
      const now = Date.now();
      if (now - lastOpening < PROGRESS_EVERY_MS && step === lastStep) return;
      lastOpening = now;
      lastStep = step;
      workerScope.postMessage({ type: 'opening', done, total, step });
    };
    session = Session.open(files, names, JSON.stringify(options), opening);
  } catch (e) {
    fail(workerScope, e);
    return;
  }
  workerScope.postMessage({ type: 'opened', ms: Date.now() - started });
  const laneCount = ports.length;
  const subtle = webcrypto !== false && self.crypto && self.crypto.subtle ? self.crypto.subtle : null;
  const plan = JSON.parse(session.plan(laneCount, sliceBytes, !!subtle));
  // The pool's buffers fit the longest slice: where integrity chunks go to
  // WebCrypto, slices end at chunk boundaries and so are a whole chunk
  // (10 MiB with wimlib's and DISM's default) rather than sliceBytes; a
  // pool of sliceBytes buffers allocated two fresh buffers per slice
  // (1025 for the 5 GiB benchmark image). Slices are at most 64 MiB
  // (MAX_SLICE in src/web).
  const bufferBytes = plan.slices.reduce((m, s) => Math.max(m, s.end - s.start), 1);
  const maxInFlight = Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, Math.floor(IN_FLIGHT_BYTES / bufferBytes / laneCount)));
  const partNames = session.partNames();

  // Bytes of the parts before each one: progress counts over the whole set.
  const partStart = [];
  let acc = 0;
  for (const f of files) {
    partStart.push(acc);
    acc += f.size;
  }
  // Per lane: the slices posted and not yet acknowledged (their starts in
  // the whole set, oldest first), how far into the oldest it said it is,
  // and who waits for an acknowledgement.
  const posted = ports.map(() => []);
  const fedInto = ports.map(() => 0);
  const waiting = ports.map(() => null);
  const results = ports.map(() => null);
  // Where the reader's time goes (ms), and the lanes' own figures: posted
  // with the report for benchmarks (verify.js passes them to onStats).
  const stats = {
    readMs: 0, waitMs: 0, postMs: 0, digestWaitMs: 0, passMs: 0, newBuffers: 0,
    slices: plan.slices.length, maxInFlight, bufferBytes, webcrypto: plan.webcrypto, lanes: ports.map(() => null),
  };
  let laneError = null;
  let wakeOnResults = null;
  // Bytes handed out so far (the end of the last slice, in the whole set).
  let dispatched = 0;
  const total = plan.total;
  // Progress is what every lane has hashed or decoded: the start of the
  // oldest slice a lane still works on, plus how far into it it said it
  // is; a lane with nothing pending is as far as the reader.
  const done = () => {
    let d = dispatched;
    for (let k = 0; k < laneCount; k++) {
      if (posted[k].length) d = Math.min(d, posted[k][0] + fedInto[k]);
    }
    return d;
  };
  let lastProgress = 0;
  const progress = () => {
    const now = Date.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      workerScope.postMessage({ type: 'progress', done: done(), total });
    }
  };
  ports.forEach((port, k) => {
    port.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'ack') {
        posted[k].shift();
        fedInto[k] = 0;
        pool.give(m.buffer);
        progress();
      } else if (m.type === 'fed') {
        fedInto[k] = m.bytes;
        progress();
      } else if (m.type === 'results') {
        results[k] = m.results;
        stats.lanes[k] = m.stats || null;
      } else if (m.type === 'error') {
        laneError = m.error;
      }
      const w = waiting[k];
      waiting[k] = null;
      if (w) w();
      if (wakeOnResults) wakeOnResults();
    };
    // A compact binary task list (tens of MiB as JSON for a large image),
    // transferred rather than copied.
    const tasks = session.laneTasks(k);
    port.postMessage({ type: 'tasks', tasks, names: partNames }, [tasks.buffer]);
  });

  // Integrity chunks being hashed by WebCrypto: [promise, bytes].
  const digests = [];
  let digestBytes = 0;
  let digestError = null;
  const digestChunks = (s, buffer) => {
    for (const c of s.chunks || []) {
      const len = c.to - c.from;
      const p = subtle.digest('SHA-1', new Uint8Array(buffer, c.from, len)).then(
        (d) => { session.integrityDigest(c.task, c.chunk, new Uint8Array(d)); },
        (e) => { digestError = digestError || e; },
      );
      digests.push([p, len]);
      digestBytes += len;
    }
  };
  const settleDigests = async (limit) => {
    while (digests.length && digestBytes > limit) {
      const [p, len] = digests.shift();
      await p;
      digestBytes -= len;
    }
  };

  const readError = (s, e) => {
    const d = describeError(e);
    const why = d.name === 'NotReadableError'
      ? 'the file changed, moved or became unreadable after it was chosen'
      : 'the browser could not read it';
    d.message = `${names[s.part]}: could not read ${s.end - s.start} bytes at offset ${s.start} (${why}): ${d.name}: ${d.message}`;
    return d;
  };
  // Reads in flight, in plan order: each a promise of [buffer, error].
  const reads = [];
  let nextRead = 0;
  // Enough buffers for the reads ahead and every lane's unacknowledged
  // slices (copies included), so that none is allocated in the steady state
  // (a new 8 MiB buffer costs ten times a copy into a used one: its pages
  // are mapped and zeroed on first touch).
  const pool = new BufferPool(bufferBytes, READ_AHEAD + 2 + laneCount * (maxInFlight + 1));
  const readSlice = sliceReader(files, readMethod, pool);
  const startReads = () => {
    while (reads.length < READ_AHEAD + 1 && nextRead < plan.slices.length) {
      reads.push(readSlice(plan.slices[nextRead++]).then((b) => [b, null], (e) => [null, e]));
    }
  };
  const passStart = performance.now();
  startReads();
  for (const s of plan.slices) {
    const tw = performance.now();
    for (const k of s.lanes) {
      while (posted[k].length >= maxInFlight && !laneError) {
        await new Promise((resolve) => { waiting[k] = resolve; });
      }
    }
    const tr = performance.now();
    stats.waitMs += tr - tw;
    if (laneError) {
      workerScope.postMessage({ type: 'error', error: laneError });
      return;
    }
    const [read, err] = await reads.shift();
    startReads();
    if (err) {
      workerScope.postMessage({ type: 'error', error: readError(s, err) });
      return;
    }
    const { buffer, length } = read;
    if (length !== s.end - s.start) {
      workerScope.postMessage({
        type: 'error',
        error: {
          name: 'ReadError',
          message: `${names[s.part]}: got ${length} bytes at offset ${s.start} instead of ${s.end - s.start}: the file changed or was truncated while reading`,
        },
      });
      return;
    }
    const tp = performance.now();
    stats.readMs += tp - tr;
    // WebCrypto copies the chunk when called, so the buffer can be
    // transferred right after.
    if (subtle && s.chunks) {
      digestChunks(s, buffer);
      const td = performance.now();
      await settleDigests(MAX_DIGEST_BYTES);
      stats.digestWaitMs += performance.now() - td;
      if (digestError) {
        workerScope.postMessage({ type: 'error', error: describeError(digestError) });
        return;
      }
    }
    // Every lane but the last gets a copy (into a used buffer), the last
    // one the buffer itself (transferred).
    const tq = performance.now();
    const at = partStart[s.part] + s.start;
    s.lanes.forEach((k, i) => {
      let data = buffer;
      if (i < s.lanes.length - 1) {
        data = pool.take();
        new Uint8Array(data, 0, length).set(new Uint8Array(buffer, 0, length));
      }
      ports[k].postMessage({ type: 'slice', part: s.part, offset: s.start, buffer: data, length }, [data]);
      posted[k].push(at);
    });
    if (!s.lanes.length) pool.give(buffer);
    stats.postMs += performance.now() - tq;
    dispatched = partStart[s.part] + s.end;
    progress();
  }
  {
    const td = performance.now();
    await settleDigests(0);
    stats.digestWaitMs += performance.now() - td;
    if (digestError) {
      workerScope.postMessage({ type: 'error', error: describeError(digestError) });
      return;
    }
  }
  for (let part = 0; part < files.length; part++) {
    try {
      await readSlice.unchanged(part);
    } catch (e) {
      workerScope.postMessage({ type: 'error', error: readError({ part, start: 0, end: Math.min(1, files[part].size) }, e) });
      return;
    }
  }
  // A new read of a File fails (NotReadableError) once the file differs
  // from the one picked, and every part was read anew after its last
  // slice: reaching here means every byte came from the same file.
  stats.readMethod = readSlice.method();
  stats.newBuffers = pool.made;
  ports.forEach((port) => port.postMessage({ type: 'finish' }));
  while (results.some((r) => r === null) && !laneError) {
    await new Promise((resolve) => { wakeOnResults = resolve; });
    wakeOnResults = null;
  }
  if (laneError) {
    workerScope.postMessage({ type: 'error', error: laneError });
    return;
  }
  stats.passMs = performance.now() - passStart;
  workerScope.postMessage({ type: 'progress', done: total, total });
  const report = session.finish(results);
  session.free();
  workerScope.postMessage({ type: 'done', report, stats });
}
