// The reader role: runs phase 1 (Session.open reads the File's small
// structures through FileReaderSync; when the image's trees name blobs
// its tables lack, the core picks among the other WIMs given with it
// those that hold them, its bases, and the image is opened again with them
// as references: Session.basesAmong), plans the lanes and the main pass,
// then reads the file once, in order, in slices (slice-reader.js; READ_AHEAD
// reads in flight while it works), and posts each slice to the lanes that
// need it (lane-queues.js: transferred to the last one, copied for the
// others). It keeps at most maxInFlight unacknowledged slices per lane
// (IN_FLIGHT_BYTES shared out), and the slices' buffers come back with the
// acknowledgements to be reused (buffer-pool.js), so memory stays flat
// whatever the file size. The reader hashes nothing itself: a worker's
// thread delivers the bytes of its own reads, so a reader busy hashing
// stops reading (README, "Benchmarks"). Where crypto.subtle exists (a
// secure context: https, localhost, file://), it hands the integrity
// table's chunks to WebCrypto (digests.js); elsewhere (plain http) the
// lanes hash them in wasm. At the end it collects the lanes' results and
// builds the report.
//
// The parts read are the image's files, then its references': the plan's
// part numbers count them in that order.
//
// First it asks the core what the file is when it is not a WIM (a VHD, a
// ZIP...: foreignFormat) and, if so, says only that. Install media (an
// ISO) it verifies in place: medium-reader.js.
//
// Messages to the page: 'foreign' ({foreign: {format, what, evidence,
// message, remedy}}: not a WIM, nothing else follows), 'opening' (phase
// 1's progress), 'opened' ({total}:
// the bytes of every part read),
// 'progress' ({done, total}: bytes every lane is done with), then 'done'
// ({report, stats}) or 'error' ({error: {name, message}}, thrown and
// posted by worker.js).

import { Session, foreignFormat } from '../../pkg/wimproof.js';
import { BufferPool } from './buffer-pool.js';
import { ChunkDigests } from './digests.js';
import { LaneQueues } from './lane-queues.js';
import { runMediumReader } from './medium-reader.js';
import { PROGRESS_EVERY_MS, Described, describeError } from './shared.js';
import { sliceReader } from './slice-reader.js';

// Bytes of slices posted to the lanes and not yet acknowledged, at most,
// shared out among the lanes (MIN_IN_FLIGHT to MAX_IN_FLIGHT slices each). Deep
// queues let a lane run ahead while another works through a large
// compressed resource: with 3 slices a lane (and the reader hashing too)
// the lanes took turns waiting for each other; 12 slices of 8 MiB a lane
// made the LZX benchmark image 13-18% faster (README, "Benchmarks").
const IN_FLIGHT_BYTES = 192 << 20;
const MIN_IN_FLIGHT = 3;
const MAX_IN_FLIGHT = 24;
// Reads started ahead of the slice being worked on.
const READ_AHEAD = 2;

/** Verifies msg.files with the lanes on msg.ports; posts the report to the page. */
export async function runReader(msg) {
  const { options, ports, sliceBytes, webcrypto, readMethod } = msg;
  // A split set's first part says what the set is.
  const foreign = foreignFormat(msg.files[0]);
  if (foreign && msg.files.length === 1 && JSON.parse(foreign).format === 'iso') {
    await runMediumReader(msg);
    return;
  }
  if (foreign) {
    self.postMessage({ type: 'foreign', foreign: JSON.parse(foreign) });
    return;
  }
  const { session, files, names } = openWithBases(msg.files, msg.names, msg.bases || [], msg.baseNames || [], options);
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
  // Enough buffers for the reads ahead and every lane's unacknowledged
  // slices (copies included), so that none is allocated in the steady state
  // (a new 8 MiB buffer costs ten times a copy into a used one: its pages
  // are mapped and zeroed on first touch).
  const pool = new BufferPool(bufferBytes, READ_AHEAD + 2 + laneCount * (maxInFlight + 1));
  const lanes = new LaneQueues(ports, pool, maxInFlight, plan.total);
  // Each lane's tasks: a compact binary list (tens of MiB as JSON for a
  // large image), transferred rather than copied.
  const partNames = session.partNames();
  ports.forEach((port, k) => {
    const tasks = session.laneTasks(k);
    port.postMessage({ type: 'tasks', tasks, names: partNames }, [tasks.buffer]);
  });

  // Where the reader's time goes (ms), and the lanes' own figures: posted
  // with the report for benchmarks (verify.js passes them to onStats).
  const stats = {
    readMs: 0, waitMs: 0, postMs: 0, digestWaitMs: 0, passMs: 0, newBuffers: 0,
    slices: plan.slices.length, maxInFlight, bufferBytes, webcrypto: plan.webcrypto, lanes: lanes.stats,
    splitResources: session.splitResources, splitRuns: session.splitRuns, relayed: 0,
  };
  const digests = subtle ? new ChunkDigests(subtle, session) : null;
  const readSlice = sliceReader(files, readMethod, pool);
  const passStart = performance.now();
  await mainPass(plan, files, names, readSlice, lanes, digests, stats);

  // Every part read anew after its last slice: a new read of a File fails
  // (NotReadableError) once the file differs from the one picked, so
  // getting past this means every byte came from the same file.
  for (let part = 0; part < files.length; part++) {
    try {
      await readSlice.unchanged(part);
    } catch (e) {
      throw new Described(readError(names, { part, start: 0, end: Math.min(1, files[part].size) }, e));
    }
  }
  stats.readMethod = readSlice.method();
  stats.newBuffers = pool.made;
  const results = await lanes.finish();
  stats.passMs = performance.now() - passStart;
  stats.relayed = lanes.relayed;
  self.postMessage({ type: 'progress', done: plan.total, total: plan.total });
  const report = session.finish(results);
  session.free();
  self.postMessage({ type: 'done', report, stats });
}

// Phase 1, and again with references when other WIMs given hold blobs the
// image lacks (a delta and its base). Returns the session and every part
// it reads: the image's files, then the references.
function openWithBases(files, names, bases, baseNames, options) {
  const started = Date.now();
  let session = openSession(files, names, [], [], options);
  let refs = [];
  let refNames = [];
  if (bases.length && session.missingBlobs > 0) {
    const chosen = Array.from(session.basesAmong(bases));
    if (chosen.length) {
      session.free();
      refs = chosen.map((i) => bases[i]);
      refNames = chosen.map((i) => baseNames[i]);
      session = openSession(files, names, refs, refNames, options);
    }
  }
  const all = files.concat(refs);
  const total = all.reduce((a, f) => a + f.size, 0);
  self.postMessage({ type: 'opened', ms: Date.now() - started, total });
  return { session, files: all, names: names.concat(refNames) };
}

// Phase 1: runs in wasm without returning; the tree walk reports how far
// it is (metadata bytes), which the page shows.
function openSession(files, names, refs, refNames, options) {
  let lastOpening = 0;
  let lastStep = null;
  const opening = (done, total, step) => {
    const now = Date.now();
    if (now - lastOpening < PROGRESS_EVERY_MS && step === lastStep) return;
    lastOpening = now;
    lastStep = step;
    self.postMessage({ type: 'opening', done, total, step });
  };
  return Session.open(files, names, refs, refNames, JSON.stringify(options), opening);
}

// The main pass: every slice of the plan read once, in order, and posted
// to its lanes as soon as they have room.
async function mainPass(plan, files, names, readSlice, lanes, digests, stats) {
  // Bytes of the parts before each one: progress counts over the whole set.
  const partStart = [];
  let acc = 0;
  for (const f of files) {
    partStart.push(acc);
    acc += f.size;
  }
  // Reads in flight, in plan order: each a promise of [read, error].
  const reads = [];
  let nextRead = 0;
  const startReads = () => {
    while (reads.length < READ_AHEAD + 1 && nextRead < plan.slices.length) {
      reads.push(readSlice(plan.slices[nextRead++]).then((b) => [b, null], (e) => [null, e]));
    }
  };
  startReads();
  for (const s of plan.slices) {
    const tw = performance.now();
    for (const k of s.lanes) await lanes.room(k);
    const tr = performance.now();
    stats.waitMs += tr - tw;
    lanes.check();
    const [read, err] = await reads.shift();
    startReads();
    if (err) throw new Described(readError(names, s, err));
    const { buffer, length } = read;
    if (length !== s.end - s.start) {
      throw new Described({
        name: 'ReadError',
        message: `${names[s.part]}: got ${length} bytes at offset ${s.start} instead of ${s.end - s.start}: the file changed or was truncated while reading`,
      });
    }
    const tp = performance.now();
    stats.readMs += tp - tr;
    if (digests && s.chunks) {
      digests.start(s, buffer);
      const td = performance.now();
      await digests.settle();
      stats.digestWaitMs += performance.now() - td;
    }
    const tq = performance.now();
    lanes.post(s, buffer, length, partStart[s.part] + s.start);
    stats.postMs += performance.now() - tq;
    lanes.dispatched = partStart[s.part] + s.end;
    lanes.progress();
  }
  if (digests) {
    const td = performance.now();
    await digests.settle(0);
    stats.digestWaitMs += performance.now() - td;
  }
}

// A failed read, described for the page: which part, which bytes, and why.
function readError(names, s, e) {
  const d = describeError(e);
  const why = d.name === 'NotReadableError'
    ? 'the file changed, moved or became unreadable after it was chosen'
    : 'the browser could not read it';
  d.message = `${names[s.part]}: could not read ${s.end - s.start} bytes at offset ${s.start} (${why}): ${d.name}: ${d.message}`;
  return d;
}
