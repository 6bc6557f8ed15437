// What both worker roles share: how an error is described to the page,
// and how often they say how far they are.

import { takePanicMessage } from '../../pkg/wimproof.js';

// Progress messages, at most one per this many ms (the reader's to the
// page, a lane's to the reader).
export const PROGRESS_EVERY_MS = 100;

/** An error already described for the page ({name, message}), thrown as is. */
export class Described extends Error {
  constructor(described) {
    super(described.message);
    this.described = described;
  }
}

/** {name, message} for the page; a wasm trap becomes an internal error with the panic's text. */
export function describeError(e) {
  if (e instanceof Described) return e.described;
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

/** Posts the error to `target` (the page, or the reader's port). */
export function fail(target, e) {
  target.postMessage({ type: 'error', error: describeError(e) });
}
