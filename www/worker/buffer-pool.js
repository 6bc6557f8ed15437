// Buffers for slices, reused: a slice's buffer goes from the reader to the
// lanes and comes back with their acknowledgement, so the main pass
// allocates a few buffers once instead of one per slice, which Chromium
// collected so late that the tab's memory grew with the file size
// (README, "Benchmarks"). Every buffer is `size` bytes: the plan's longest
// slice, so any slice or copy of one fits.

export class BufferPool {
  /** Buffers of `size` bytes; at most `keep` are kept for reuse. */
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
