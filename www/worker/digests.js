// The integrity table's chunks hashed with WebCrypto (crypto.subtle, a
// native SHA-1 several times wasm's speed), where the page is a secure
// context; the digests go to the Session, which checks them.

// Bytes of chunks handed to crypto.subtle.digest and not yet done, at most
// (each call holds a copy of its chunk).
const MAX_DIGEST_BYTES = 64 << 20;

export class ChunkDigests {
  constructor(subtle, session) {
    this.subtle = subtle;
    this.session = session;
    // Digests under way, oldest first: [promise, bytes].
    this.pending = [];
    this.bytes = 0;
    this.error = null;
  }

  /**
   * Starts hashing the integrity chunks of slice `s` (in `buffer`).
   * WebCrypto copies a chunk when called, so the buffer can be transferred
   * right after.
   */
  start(s, buffer) {
    for (const c of s.chunks || []) {
      const len = c.to - c.from;
      const p = this.subtle.digest('SHA-1', new Uint8Array(buffer, c.from, len)).then(
        (d) => { this.session.integrityDigest(c.task, c.chunk, new Uint8Array(d)); },
        (e) => { this.error = this.error || e; },
      );
      this.pending.push([p, len]);
      this.bytes += len;
    }
  }

  /**
   * Waits until at most `limit` bytes are being hashed (MAX_DIGEST_BYTES by
   * default; 0: all done); throws the first digest's error.
   */
  async settle(limit = MAX_DIGEST_BYTES) {
    while (this.pending.length && this.bytes > limit) {
      const [p, len] = this.pending.shift();
      await p;
      this.bytes -= len;
    }
    if (this.error) throw this.error;
  }
}
