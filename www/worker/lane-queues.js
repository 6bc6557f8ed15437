// The reader's side of the lanes: the slices posted to each lane and not
// yet acknowledged, how far into the oldest one the lane said it is, its
// results, and the progress that follows from them.
//
// Progress is what every lane has hashed or decoded, not what was read:
// the start of the oldest slice a lane still works on, plus how far into it
// the lane said it is; a lane with nothing pending is as far as the reader
// has handed out.

import { PROGRESS_EVERY_MS, Described } from './shared.js';

export class LaneQueues {
  /**
   * `ports`: one MessagePort per lane; `pool`: where acknowledged buffers
   * go back; `maxInFlight`: unacknowledged slices a lane may have; `total`:
   * the bytes of the whole set (progress counts over it).
   */
  constructor(ports, pool, maxInFlight, total) {
    this.ports = ports;
    this.pool = pool;
    this.maxInFlight = maxInFlight;
    this.total = total;
    // Per lane: starts (in the whole set) of the slices posted and not yet
    // acknowledged, oldest first; how far into the oldest it said it is;
    // who waits for its acknowledgement; its results and its own figures.
    this.posted = ports.map(() => []);
    this.fedInto = ports.map(() => 0);
    this.waiting = ports.map(() => null);
    this.results = ports.map(() => null);
    this.stats = ports.map(() => null);
    // Bundles of blob states relayed between the lanes (split resources),
    // and per lane: how many it was sent, and how many it had been given
    // when it last said it waits for more (-1: it did not).
    this.relayed = 0;
    this.statesSent = ports.map(() => 0);
    this.waitingWith = ports.map(() => -1);
    // The first error a lane reported ({name, message}).
    this.error = null;
    this.wakeOnResults = null;
    // Bytes handed out so far (the end of the last slice, in the whole set).
    this.dispatched = 0;
    this.lastProgress = 0;
    ports.forEach((port, k) => {
      port.onmessage = (ev) => this.received(k, ev.data);
    });
  }

  received(k, m) {
    if (m.type === 'ack') {
      this.posted[k].shift();
      this.fedInto[k] = 0;
      this.pool.give(m.buffer);
      this.progress();
    } else if (m.type === 'fed') {
      this.fedInto[k] = m.bytes;
      this.progress();
    } else if (m.type === 'results') {
      this.results[k] = m.results;
      this.stats[k] = m.stats || null;
    } else if (m.type === 'states') {
      // Blob states a lane's runs handed on (install media: of one unit):
      // every other lane gets them (each keeps those its own runs need).
      this.relayed += 1;
      this.ports.forEach((port, j) => {
        if (j !== k) {
          port.postMessage({ type: 'states', unit: m.unit, bundle: m.bundle });
          this.statesSent[j] += 1;
        }
      });
    } else if (m.type === 'waiting') {
      // Lane k is fed and waits for states, having been given m.received.
      this.waitingWith[k] = m.received;
    } else if (m.type === 'error') {
      this.error = m.error;
    }
    const w = this.waiting[k];
    this.waiting[k] = null;
    if (w) w();
    if (this.wakeOnResults) this.wakeOnResults();
  }

  /** Throws the lanes' error, if one reported one. */
  check() {
    if (this.error) throw new Described(this.error);
  }

  /** Resolves when lane `k` has room for another slice (or a lane failed). */
  async room(k) {
    while (this.posted[k].length >= this.maxInFlight && !this.error) {
      await new Promise((resolve) => { this.waiting[k] = resolve; });
    }
  }

  /**
   * Posts slice `s` (its bytes: the first `length` of `buffer`; `at`: its
   * start in the whole set) to each of its lanes: every lane but the last
   * gets a copy (into a used buffer), the last one the buffer itself
   * (transferred); with no lane, the buffer goes back to the pool.
   */
  post(s, buffer, length, at) {
    s.lanes.forEach((k, i) => {
      let data = buffer;
      if (i < s.lanes.length - 1) {
        data = this.pool.take();
        new Uint8Array(data, 0, length).set(new Uint8Array(buffer, 0, length));
      }
      this.ports[k].postMessage({ type: 'slice', part: s.part, offset: s.start, buffer: data, length }, [data]);
      this.posted[k].push(at);
    });
    if (!s.lanes.length) this.pool.give(buffer);
  }

  /**
   * Posts slice `s` of a medium's plan (its bytes: the first `length` of
   * `buffer`; `at`: its start in the plan's bytes) to each lane its feeds
   * name, with that lane's feeds ([unit, part, skip, len, offset] each);
   * copied and transferred as post() does.
   */
  postFeeds(s, buffer, length, at) {
    const mine = new Map(s.lanes.map((k) => [k, []]));
    for (const [k, unit, part, skip, len, offset] of s.feeds) mine.get(k).push([unit, part, skip, len, offset]);
    s.lanes.forEach((k, i) => {
      let data = buffer;
      if (i < s.lanes.length - 1) {
        data = this.pool.take();
        new Uint8Array(data, 0, length).set(new Uint8Array(buffer, 0, length));
      }
      this.ports[k].postMessage({ type: 'slice', feeds: mine.get(k), buffer: data, length }, [data]);
      this.posted[k].push(at);
    });
    if (!s.lanes.length) this.pool.give(buffer);
  }

  /** Bytes every lane is done with. */
  done() {
    let d = this.dispatched;
    for (let k = 0; k < this.ports.length; k++) {
      if (this.posted[k].length) d = Math.min(d, this.posted[k][0] + this.fedInto[k]);
    }
    return d;
  }

  /** Tells the page how far the lanes are, at most once per PROGRESS_EVERY_MS. */
  progress() {
    const now = Date.now();
    if (now - this.lastProgress >= PROGRESS_EVERY_MS) {
      this.lastProgress = now;
      self.postMessage({ type: 'progress', done: this.done(), total: this.total });
    }
  }

  /** Tells every lane to finish; resolves to their results (throws a lane's error). */
  async finish() {
    this.ports.forEach((port) => port.postMessage({ type: 'finish' }));
    const forced = this.ports.map(() => false);
    while (this.results.some((r) => r === null) && !this.error) {
      // The lanes not finished all wait for states, each given every one
      // relayed to it: none can come, so they finish without them.
      const open = this.ports.map((_, k) => k).filter((k) => this.results[k] === null);
      if (open.every((k) => this.waitingWith[k] === this.statesSent[k])) {
        for (const k of open) {
          if (!forced[k]) {
            forced[k] = true;
            this.ports[k].postMessage({ type: 'finish', force: true });
          }
        }
      }
      await new Promise((resolve) => { this.wakeOnResults = resolve; });
      this.wakeOnResults = null;
    }
    this.check();
    return this.results;
  }
}
