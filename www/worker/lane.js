// The lane role: runs its share of the tasks (WebLane.feed) over the slices
// the reader posts it, in file order; says how far into a slice it is when
// a slice takes long (one 8 MiB slice of LZX can take a second);
// acknowledges each slice, handing its buffer back to the reader's pool;
// and returns its results when told to finish.
//
// For install media the lane runs several units, one WebLane each (a WIM
// part, or the medium's digest: worker/medium-reader.js), and each slice
// comes with its feeds, [unit, part, skip, len, offset]: its bytes
// [skip, skip + len) go to that unit's WebLane as bytes of `part` from file
// offset `offset`. Its results are then [[unit, results]...].
//
// Large compressed resources come split into runs of chunks spread over
// the lanes (src/verify/split.rs); a run continues the blobs of the run
// before it from their SHA-1 states. After each piece the lane posts the
// states its runs handed on ('states', a bundle of bytes; per unit for
// install media, whose resource numbers are each WIM's own), the reader
// gives them to the other lanes, and a lane given one hands it to its
// WebLane, which finishes the runs that waited for it. A run whose state
// has not come keeps its incoming blobs' bytes (up to a chunk of 64 MiB in
// a solid ESD), so states must not wait behind queued slices: slices are
// queued here as they come and fed one piece per task, so that a state
// that came meanwhile is taken before the next piece. A lane told to
// finish while some of its runs still wait (WebLane.parked) finishes when
// their states have come.

import { WebLane } from '../../pkg/wimproof.js';
import { PROGRESS_EVERY_MS, fail } from './shared.js';

// A slice is fed in pieces of this size; between them the lane takes the
// messages that came (states) and says how far it is when
// PROGRESS_EVERY_MS has passed.
const LANE_PIECE = 1 << 20;

/**
 * Serves the reader on `port` (a MessagePort) until it says finish;
 * `memory` is the wasm module's (its size goes into the lane's figures).
 */
export function runLane(port, memory) {
  let lane = null;
  // Install media: unit -> WebLane.
  let units = null;
  // Milliseconds in WebLane.feed (and giveStates), and from the first
  // slice to finish.
  let feedMs = 0;
  let firstAt = null;
  let lastSaid = 0;
  // Told to finish: done once every slice is fed and no run waits.
  let finishAsked = false;
  let finishAskedAt = 0;
  // Milliseconds from being told to finish to finishing.
  let finishWaitMs = 0;
  let done = false;
  // Most runs parked at once.
  let mostParked = 0;

  // Slices received and not yet fed, oldest first: each a list of ranges
  // [into, part, offset, from, to] of its bytes, and how far it is.
  const queue = [];
  // Feeding goes on in tasks of one piece, scheduled through a channel of
  // its own (a message task: no timer clamping).
  const tick = new MessageChannel();
  let scheduled = false;
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      tick.port2.postMessage(0);
    }
  };

  const each = () => (units ? [...units] : lane ? [[undefined, lane]] : []);

  // Posts the states this lane's runs handed on, if any.
  const postStates = () => {
    for (const [unit, l] of each()) {
      const bundle = l.takeStates();
      if (bundle.length) port.postMessage({ type: 'states', unit, bundle }, [bundle.buffer]);
    }
  };
  const parked = () => each().reduce((n, [, l]) => n + l.parked, 0);

  const enqueue = (m) => {
    if (firstAt === null) firstAt = performance.now();
    const bytes = new Uint8Array(m.buffer, 0, m.length);
    const ranges = [];
    if (m.feeds) {
      for (const [unit, part, skip, len, offset] of m.feeds) {
        const into = units.get(unit);
        if (!into) throw new Error(`no unit ${unit} in this lane`);
        ranges.push([into, part, offset, skip, skip + len]);
      }
    } else {
      ranges.push([lane, m.part, m.offset, 0, bytes.length]);
    }
    queue.push({ buffer: m.buffer, bytes, ranges, r: 0, o: ranges.length ? ranges[0][3] : 0 });
    schedule();
  };

  // Feeds the next piece of the oldest slice; acknowledges a slice once
  // it is fed, handing its buffer back to the reader's pool.
  const feedPiece = () => {
    const job = queue[0];
    const t = performance.now();
    if (job.r < job.ranges.length) {
      const [into, part, offset, from, to] = job.ranges[job.r];
      if (job.o > 0 && t - lastSaid >= PROGRESS_EVERY_MS) {
        lastSaid = t;
        port.postMessage({ type: 'fed', bytes: job.o });
      }
      const end = Math.min(job.o + LANE_PIECE, to);
      if (end > job.o) into.feed(part, offset + (job.o - from), job.bytes.subarray(job.o, end));
      job.o = end;
      if (job.o >= to) {
        job.r += 1;
        if (job.r < job.ranges.length) job.o = job.ranges[job.r][3];
      }
    }
    feedMs += performance.now() - t;
    postStates();
    mostParked = Math.max(mostParked, parked());
    if (job.r >= job.ranges.length) {
      queue.shift();
      port.postMessage({ type: 'ack', buffer: job.buffer }, [job.buffer]);
    }
  };

  // State bundles given to this lane, and how many there were when it
  // last said it waits for more.
  let statesReceived = 0;
  let saidWaiting = -1;
  // Told to finish even with runs parked: no state can come any more.
  let forced = false;

  const finishIfDone = () => {
    if (!finishAsked || done || queue.length) return;
    if (parked() > 0 && !forced) {
      // Everything fed and runs still wait: the reader tells the lane to
      // finish anyway once no other lane can hand on a state.
      if (saidWaiting !== statesReceived) {
        saidWaiting = statesReceived;
        port.postMessage({ type: 'waiting', received: statesReceived });
      }
      return;
    }
    done = true;
    finishWaitMs = performance.now() - finishAskedAt;
    let results;
    if (units) {
      results = [];
      for (const [unit, l] of units) {
        results.push([unit, l.finish()]);
        l.free();
      }
      units = null;
    } else {
      results = lane.finish();
      lane.free();
      lane = null;
    }
    const stats = {
      feedMs, finishWaitMs, mostParked,
      spanMs: firstAt === null ? 0 : performance.now() - firstAt,
      wasmBytes: memory ? memory.buffer.byteLength : 0,
    };
    port.postMessage({ type: 'results', results, stats });
  };

  tick.port1.onmessage = () => {
    scheduled = false;
    try {
      if (queue.length) feedPiece();
      if (queue.length) schedule();
      finishIfDone();
    } catch (e) {
      queue.length = 0;
      fail(port, e);
    }
  };

  port.onmessage = (ev) => {
    const m = ev.data;
    try {
      if (m.type === 'tasks') {
        lane = new WebLane(m.tasks, m.names);
      } else if (m.type === 'units') {
        units = new Map(m.units.map((u) => [u.unit, new WebLane(u.tasks, u.names)]));
      } else if (m.type === 'slice') {
        enqueue(m);
      } else if (m.type === 'states') {
        statesReceived += 1;
        const into = units ? units.get(m.unit) : lane;
        if (into) {
          const t = performance.now();
          into.giveStates(new Uint8Array(m.bundle));
          feedMs += performance.now() - t;
        }
        postStates();
        finishIfDone();
      } else if (m.type === 'finish') {
        forced = !!m.force;
        finishAsked = true;
        finishAskedAt = performance.now();
        finishIfDone();
      }
    } catch (e) {
      fail(port, e);
    }
  };
}
