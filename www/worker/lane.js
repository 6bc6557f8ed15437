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
// before it from their SHA-1 states. After each slice the lane posts the
// states its runs handed on ('states', a bundle of bytes), the reader
// gives them to the other lanes, and a lane given one ('states') hands it
// to its WebLane, which finishes the runs that waited for it. A lane told
// to finish while some of its runs still wait (WebLane.parked) finishes
// when their states have come.

import { WebLane } from '../../pkg/wimproof.js';
import { PROGRESS_EVERY_MS, fail } from './shared.js';

// A slice is fed in pieces of this size; between them the lane says how
// far it is when PROGRESS_EVERY_MS has passed.
const LANE_PIECE = 1 << 20;

/** Serves the reader on `port` (a MessagePort) until it says finish. */
export function runLane(port) {
  let lane = null;
  // Install media: unit -> WebLane.
  let units = null;
  // Milliseconds in WebLane.feed, and from the first slice to finish.
  let feedMs = 0;
  let firstAt = null;
  let lastSaid = 0;
  // Told to finish while runs still waited for states.
  let finishAsked = false;
  // Milliseconds from being told to finish to finishing (states awaited).
  let finishWaitMs = 0;
  let finishAskedAt = 0;

  const lanes = () => (units ? [...units.values()] : lane ? [lane] : []);

  // Posts the states this lane's runs handed on, if any.
  const postStates = () => {
    for (const l of lanes()) {
      const bundle = l.takeStates();
      if (bundle.length) port.postMessage({ type: 'states', bundle }, [bundle.buffer]);
    }
  };
  const parked = () => lanes().reduce((n, l) => n + l.parked, 0);

  // Feeds bytes[from, to) to `into` as bytes of `part` from `offset`, in
  // pieces, saying how far into the slice it is now and then.
  const feedRange = (into, part, offset, bytes, from, to) => {
    for (let o = from; o < to; o += LANE_PIECE) {
      if (o > 0) {
        const now = performance.now();
        if (now - lastSaid >= PROGRESS_EVERY_MS) {
          lastSaid = now;
          port.postMessage({ type: 'fed', bytes: o });
        }
      }
      into.feed(part, offset + (o - from), bytes.subarray(o, Math.min(o + LANE_PIECE, to)));
    }
  };

  const feed = (m) => {
    const t = performance.now();
    if (firstAt === null) firstAt = t;
    const bytes = new Uint8Array(m.buffer, 0, m.length);
    if (m.feeds) {
      for (const [unit, part, skip, len, offset] of m.feeds) {
        const into = units.get(unit);
        if (!into) throw new Error(`no unit ${unit} in this lane`);
        feedRange(into, part, offset, bytes, skip, skip + len);
      }
    } else {
      feedRange(lane, m.part, m.offset, bytes, 0, bytes.length);
    }
    feedMs += performance.now() - t;
    postStates();
    // The buffer goes back to the reader's pool.
    port.postMessage({ type: 'ack', buffer: m.buffer }, [m.buffer]);
  };

  const finish = () => {
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
    const stats = { feedMs, finishWaitMs, spanMs: firstAt === null ? 0 : performance.now() - firstAt };
    port.postMessage({ type: 'results', results, stats });
  };

  port.onmessage = (ev) => {
    const m = ev.data;
    try {
      if (m.type === 'tasks') {
        lane = new WebLane(m.tasks, m.names);
      } else if (m.type === 'units') {
        units = new Map(m.units.map((u) => [u.unit, new WebLane(u.tasks, u.names)]));
      } else if (m.type === 'slice') {
        feed(m);
      } else if (m.type === 'states') {
        const t = performance.now();
        for (const l of lanes()) l.giveStates(new Uint8Array(m.bundle));
        feedMs += performance.now() - t;
        postStates();
        if (finishAsked && parked() === 0) {
          finishWaitMs = performance.now() - finishAskedAt;
          finishAsked = false;
          finish();
        }
      } else if (m.type === 'finish') {
        if (parked() > 0) {
          finishAsked = true;
          finishAskedAt = performance.now();
        } else {
          finish();
        }
      }
    } catch (e) {
      fail(port, e);
    }
  };
}
