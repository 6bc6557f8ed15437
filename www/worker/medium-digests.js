// The integrity chunks of the WIMs on a medium, hashed with WebCrypto as
// digests.js does for a bare WIM, from the pieces the core's plan lists in
// each slice ({task, chunk, from, to, at, size}: slice bytes [from, to) are
// the chunk's bytes from `at`). A chunk of an inner WIM is contiguous in
// the WIM but not always on the medium (two extents apart, a second pass)
// nor in one slice: a piece that is the whole chunk is hashed where it
// lies; the others are copied into the chunk's buffer, which is hashed once
// full. The core gives a chunk's pieces in order, each byte once.

const MAX_DIGEST_BYTES = 64 << 20;

export class PieceDigests {
  constructor(subtle, session) {
    this.subtle = subtle;
    this.session = session;
    this.pending = [];
    this.bytes = 0;
    this.error = null;
    // Chunks being put together: "task:chunk" -> {buf, filled}.
    this.partial = new Map();
    // Chunks hashed from a copy of their pieces (for the stats).
    this.assembled = 0;
  }

  digest(task, chunk, view) {
    const p = this.subtle.digest('SHA-1', view).then(
      (d) => { this.session.integrityDigest(task, chunk, new Uint8Array(d)); },
      (e) => { this.error = this.error || e; },
    );
    this.pending.push([p, view.byteLength]);
    this.bytes += view.byteLength;
  }

  /** Starts hashing (or collects) the chunk pieces of slice `s` in `buffer`. */
  start(s, buffer) {
    for (const c of s.chunks || []) {
      const len = c.to - c.from;
      if (c.at === 0 && len === c.size) {
        // WebCrypto copies its input when called: the buffer can move on.
        this.digest(c.task, c.chunk, new Uint8Array(buffer, c.from, len));
        continue;
      }
      const key = `${c.task}:${c.chunk}`;
      let part = this.partial.get(key);
      if (!part) {
        part = { buf: new Uint8Array(c.size), filled: 0 };
        this.partial.set(key, part);
      }
      part.buf.set(new Uint8Array(buffer, c.from, len), c.at);
      part.filled += len;
      if (part.filled >= c.size) {
        this.partial.delete(key);
        this.assembled += 1;
        this.digest(c.task, c.chunk, part.buf);
      }
    }
  }

  /** Waits until at most `limit` bytes are being hashed; throws a digest's error. */
  async settle(limit = MAX_DIGEST_BYTES) {
    while (this.pending.length && this.bytes > limit) {
      const [p, len] = this.pending.shift();
      await p;
      this.bytes -= len;
    }
    if (this.error) throw this.error;
  }
}
