// The worker's entry. One script, two roles, both driven by the wasm core
// (README, "How it works"):
//
// - reader (worker/reader.js): phase 1, the plan, then reads the file once
//   in slices and posts each to the lanes that need it;
// - lane (worker/lane.js): runs its share of the tasks over the slices it
//   is posted.
//
// The page starts the reader and a lane per core, wires the reader to each
// lane with a MessageChannel (so slices never pass through the main
// thread), and posts each its role with the compiled wasm module. Cancel
// terminates every worker. scripts/build-web.sh bundles this file, the
// modules it imports and the wasm-bindgen glue into one classic script:
// dist/worker.js, and the same code inlined in dist/wimproof.html.

import { initSync } from '../pkg/wimproof.js';
import { runLane } from './worker/lane.js';
import { runReader } from './worker/reader.js';
import { fail } from './worker/shared.js';

self.onmessage = (ev) => {
  const msg = ev.data;
  self.onmessage = null;
  let wasm;
  try {
    wasm = initSync({ module: msg.module });
  } catch (e) {
    fail(self, e);
    return;
  }
  if (msg.role === 'reader') {
    runReader(msg).catch((e) => fail(self, e));
  } else if (msg.role === 'lane') {
    runLane(msg.port, wasm.memory);
  }
};
