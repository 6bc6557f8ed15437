// The reader role for install media (an ISO): the core lists the medium
// and opens every WIM on it through its extents (MediumSession.open, phase
// 1), plans every WIM's lanes and walks its schedule of the medium
// (MediumSession.plan: which medium ranges to read, in which order, and
// which bytes of each go to which lane as bytes of which WIM part); this
// file only moves bytes. It reads each slice of the plan once (the main
// pass over the medium in ascending offset, then the second passes over
// files whose extents are out of order; slices of unrecorded extents are
// zeros, not read), posts each to the lanes its feeds name, and hands the
// integrity chunks' pieces to WebCrypto (medium-digests.js). The medium's
// digest is one more unit, in the last lane worker.
//
// Messages to the page, besides reader.js's: 'medium' ({medium: {name,
// size, fileSystem, wims}}: listed and opened, wims the paths of its WIMs
// in the reports' order), then 'done' with {reports} (a JSON array, one
// report per WIM). A medium with no WIM, or one the core cannot read, is
// an 'error' named MediumError.

import { MediumSession } from '../../pkg/wimproof.js';
import { BufferPool } from './buffer-pool.js';
import { PieceDigests } from './medium-digests.js';
import { LaneQueues } from './lane-queues.js';
import { Described, describeError } from './shared.js';
import { sliceReader } from './slice-reader.js';

// As reader.js: bytes of unacknowledged slices shared out among the lanes,
// and reads started ahead.
const IN_FLIGHT_BYTES = 192 << 20;
const MIN_IN_FLIGHT = 3;
const MAX_IN_FLIGHT = 24;
const READ_AHEAD = 2;

/** Verifies the medium msg.files[0] with the lanes on msg.ports. */
export async function runMediumReader(msg) {
  const { options, ports, sliceBytes, webcrypto, readMethod } = msg;
  const file = msg.files[0];
  const name = msg.names[0];
  const started = Date.now();
  self.postMessage({ type: 'opening', done: 0, total: 0, step: 'medium' });
  const session = MediumSession.open(file, name, JSON.stringify(options));
  self.postMessage({
    type: 'medium',
    medium: { name, size: file.size, fileSystem: session.fileSystem, wims: Array.from(session.wims) },
  });
  const subtle = webcrypto !== false && self.crypto && self.crypto.subtle ? self.crypto.subtle : null;
  const plan = JSON.parse(session.plan(ports.length, sliceBytes, !!subtle));
  self.postMessage({ type: 'opened', ms: Date.now() - started, total: plan.total });

  const laneCount = ports.length;
  const bufferBytes = plan.slices.reduce((m, s) => Math.max(m, s.len), 1);
  const maxInFlight = Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, Math.floor(IN_FLIGHT_BYTES / bufferBytes / laneCount)));
  const pool = new BufferPool(bufferBytes, READ_AHEAD + 2 + laneCount * (maxInFlight + 1));
  const lanes = new LaneQueues(ports, pool, maxInFlight, plan.total);
  ports.forEach((port, k) => {
    const units = [];
    const transfer = [];
    for (let i = 0; i < session.laneUnitCount(k); i++) {
      const unit = session.laneUnit(k, i);
      const tasks = session.laneUnitTasks(k, i);
      units.push({ unit, tasks, names: Array.from(session.unitNames(unit)) });
      transfer.push(tasks.buffer);
    }
    port.postMessage({ type: 'units', units }, transfer);
  });

  const stats = {
    readMs: 0, waitMs: 0, postMs: 0, digestWaitMs: 0, passMs: 0, newBuffers: 0,
    slices: plan.slices.length, maxInFlight, bufferBytes, webcrypto: plan.webcrypto, lanes: lanes.stats,
    medium: true, secondPassFiles: plan.second_pass_files,
    splitResources: session.splitResources, splitRuns: session.splitRuns, relayed: 0,
  };
  const digests = subtle && plan.webcrypto ? new PieceDigests(subtle, session) : null;
  const readSlice = sliceReader([file], readMethod, pool);
  const passStart = performance.now();
  await pass(plan, name, readSlice, pool, lanes, digests, stats);
  // A new read fails once the file differs from the one picked.
  try {
    await readSlice.unchanged(0);
  } catch (e) {
    throw new Described(readError(name, 0, Math.min(1, file.size), e));
  }
  stats.readMethod = readSlice.method();
  stats.assembledChunks = digests ? digests.assembled : 0;
  stats.newBuffers = pool.made;
  const perLane = await lanes.finish();
  stats.passMs = performance.now() - passStart;
  stats.relayed = lanes.relayed;
  self.postMessage({ type: 'progress', done: plan.total, total: plan.total });
  const units = [];
  const results = [];
  for (const list of perLane) {
    for (const [unit, r] of list) {
      units.push(unit);
      results.push(r);
    }
  }
  const reports = session.finish(new Uint32Array(units), results);
  session.free();
  self.postMessage({ type: 'done', reports, stats });
}

// Every slice of the plan, in order: read (or zeros), its chunk pieces
// handed to WebCrypto, posted to its lanes as soon as they have room.
async function pass(plan, name, readSlice, pool, lanes, digests, stats) {
  const reads = [];
  let nextRead = 0;
  const start = (s) => {
    if (s.at === null) {
      // An unrecorded extent: zeros, nothing to read.
      const buffer = pool.take();
      new Uint8Array(buffer, 0, s.len).fill(0);
      return Promise.resolve([{ buffer, length: s.len }, null]);
    }
    return readSlice({ part: 0, start: s.at, end: s.at + s.len }).then((b) => [b, null], (e) => [null, e]);
  };
  const startReads = () => {
    while (reads.length < READ_AHEAD + 1 && nextRead < plan.slices.length) reads.push(start(plan.slices[nextRead++]));
  };
  startReads();
  let done = 0;
  for (const s of plan.slices) {
    const tw = performance.now();
    for (const k of s.lanes) await lanes.room(k);
    const tr = performance.now();
    stats.waitMs += tr - tw;
    lanes.check();
    const [read, err] = await reads.shift();
    startReads();
    if (err) throw new Described(readError(name, s.at, s.len, err));
    const { buffer, length } = read;
    if (length !== s.len) {
      throw new Described({
        name: 'ReadError',
        message: `${name}: got ${length} bytes at offset ${s.at} instead of ${s.len}: the file changed or was truncated while reading`,
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
    lanes.postFeeds(s, buffer, length, done);
    stats.postMs += performance.now() - tq;
    done += s.len;
    lanes.dispatched = done;
    lanes.progress();
  }
  if (digests) {
    const td = performance.now();
    await digests.settle(0);
    stats.digestWaitMs += performance.now() - td;
  }
}

function readError(name, at, len, e) {
  const d = describeError(e);
  const why = d.name === 'NotReadableError'
    ? 'the file changed, moved or became unreadable after it was chosen'
    : 'the browser could not read it';
  d.message = `${name}: could not read ${len} bytes at offset ${at} (${why}): ${d.name}: ${d.message}`;
  return d;
}
