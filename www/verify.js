// The embedding API: verifyFiles(files, options) -> Promise<report[]>.
//
// Each image (one .wim, or all parts of a .swm split set) is verified by
// dedicated workers: one reader and navigator.hardwareConcurrency lanes,
// at least two (see worker.js; the reader mostly waits for reads). The
// report is the wasm core's, the same JSON as `wimproof --json`. Nothing
// here judges an image: grouping files into sets, the digest and target
// choices, the target titles and the report for chosen targets are the
// core's (src/input, src/policy, exported by src/web/input.rs), run on this
// thread by the same compiled module the workers get (ready()); this file
// starts and stops workers and relays progress.
//
// Works served over http(s) (the worker by URL, wasm fetched beside this
// file) and from the single-file build (worker source and wasm inlined in
// the page, workers from Blob URLs), including from file://. Served, a
// file of the page's own that does not load (the glue, the wasm, the
// worker script) rejects with a SetupError naming the server's fault
// (server-setup.js), never with anything about the user's file.

import { SetupError, diagnose, faultOf } from './server-setup.js';

export { SetupError };

// The wasm-bindgen glue (pkg/wimproof.js), imported by ready(): a dynamic
// import, so that a server without it gets explained instead of leaving
// the page without its element. (The single file's bundle inlines it.)
let core = null;

// Bytes per read of the main pass.
const SLICE_BYTES = 8 * 1024 * 1024;
// Most lanes per image, whatever the machine reports.
const MAX_LANES = 16;

let modulePromise = null;
let workerUrl = null;

function inlineAsset(id) {
  if (typeof document === 'undefined') return null;
  const el = document.getElementById(id);
  return el ? el.textContent : null;
}

function base64ToBytes(b64) {
  const bin = atob(b64.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** True in the single-file build (everything inlined in the page). */
export function isSingleFile() {
  return inlineAsset('wimproof-wasm') !== null;
}

// A module of one function that uses a 128-bit SIMD instruction
// (i32x4.splat): wimproof's wasm is built with SIMD (faster SHA-256).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11,
]);

/** Whether this browser runs WebAssembly SIMD (Chrome/Edge 91, Firefox 89, Safari 16.4 and later). */
export function hasWasmSimd() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// The compiled wasm module, compiled once and posted to every worker.
function wasmModule() {
  if (!modulePromise) {
    modulePromise = (async () => {
      if (typeof WebAssembly === 'undefined' || !hasWasmSimd()) {
        throw new Error('this browser cannot run wimproof: it needs WebAssembly with SIMD (Chrome or Edge 91, Firefox 89, Safari 16.4 or later); the wimproof CLI works anywhere');
      }
      const b64 = inlineAsset('wimproof-wasm');
      if (b64 !== null) return WebAssembly.compile(base64ToBytes(b64));
      const url = new URL('./pkg/wimproof_bg.wasm', import.meta.url);
      let res = null;
      try {
        res = await fetch(url);
      } catch {
        res = null;
      }
      if (!res || !res.ok) throw await faultOf('wasm', url, res);
      // compileStreaming needs the application/wasm type, which some
      // servers do not send; compiling the bytes works everywhere.
      const bytes = new Uint8Array(await res.arrayBuffer());
      const fault = await faultOf('wasm', url, res, bytes);
      if (fault) throw fault;
      return WebAssembly.compile(bytes);
    })();
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
}

// The core on this thread: the same compiled module, instantiated once
// (synchronously: it is already compiled), when first needed.
let readyPromise = null;
let loaded = false;

async function loadGlue() {
  try {
    return await import('./pkg/wimproof.js');
  } catch (e) {
    if (isSingleFile()) throw e;
    throw await diagnose('glue', new URL('./pkg/wimproof.js', import.meta.url));
  }
}

/**
 * Loads the wasm core on this thread (once); resolves when the functions
 * that need it (reportForTarget, coreOptions, knownTargets, editionRows,
 * mediumFindings) can run. Rejects if this browser cannot run it (no
 * WebAssembly SIMD), or with a SetupError if the server does not give the
 * page its glue or wasm.
 */
export function ready() {
  if (!readyPromise) {
    readyPromise = (async () => {
      const glue = loadGlue();
      const module = wasmModule();
      // Both asked at once; the glue's fault is named first (without it
      // nothing of the page runs).
      const [g, m] = await Promise.allSettled([glue, module]);
      if (g.status === 'rejected') throw g.reason;
      if (m.status === 'rejected') throw m.reason;
      if (!loaded) {
        core = g.value;
        core.initSync({ module: m.value });
        loaded = true;
      }
    })();
    readyPromise.catch(() => { readyPromise = null; });
  }
  return readyPromise;
}

function loadedCore() {
  if (!loaded) throw new Error('the wimproof core is not loaded yet: await ready() first');
  return core;
}

// The worker is one classic script (worker.js and its modules bundled with
// the wasm glue by scripts/build-web.sh): beside this file, or inlined in
// the single file's page and started from a Blob URL.
function newWorker() {
  const src = inlineAsset('wimproof-worker');
  if (src !== null) {
    if (!workerUrl) {
      workerUrl = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    }
    return new Worker(workerUrl, { name: 'wimproof' });
  }
  return new Worker(new URL('./worker.js', import.meta.url), { name: 'wimproof' });
}

/**
 * What a worker's `error` event means: a script that threw (an ErrorEvent
 * with a message) is an error of wimproof's; one that never started (a
 * plain Event: not loaded, refused) is, served, the server's set-up: the
 * SetupError names it.
 */
async function workerFailure(ev, what) {
  if (ev && ev.message) return { name: 'WorkerError', message: ev.message };
  if (isSingleFile()) return { name: 'WorkerError', message: `${what} failed to start` };
  return diagnose('worker', new URL('./worker.js', import.meta.url));
}

/**
 * How many workers one verification uses: a lane per core, at least two
 * (the whole-file hash and the rest: on two cores that measured faster
 * than one lane beside a reader that hashed too), and the reader.
 */
export function workerCount() {
  const n = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  return Math.max(2, Math.min(n, MAX_LANES)) + 1;
}

// ---- targets -------------------------------------------------------------

let targetList = null;

/** The targets, [{id, title}] in the report's order, once ready() resolved; [] before. */
export function knownTargets() {
  if (!loaded) return [];
  if (!targetList) targetList = JSON.parse(core.targets());
  return targetList;
}

/** The deployment targets, [{id, title}] in the report's order (the core's titles). */
export async function targets() {
  await ready();
  return knownTargets();
}

/** The target used when none is chosen. */
export async function defaultTarget() {
  await ready();
  return core.defaultTarget();
}

// ---- split sets ------------------------------------------------------------

/**
 * Groups files into images by the core's rule (the CLI's): each non-.swm
 * file alone; `x.swm` with the given `x2.swm`, `x3.swm`... up to the part
 * count in its header, names compared without case. Returns arrays of
 * File, first part first.
 */
export async function groupSets(files) {
  const list = Array.from(files);
  await ready();
  const n = core.setHeaderBytes();
  const headers = await Promise.all(list.map(async (f) => {
    try {
      return new Uint8Array(await f.slice(0, n).arrayBuffer());
    } catch {
      // Unreadable: grouped by its name alone (its verification reports it).
      return new Uint8Array(0);
    }
  }));
  const groups = JSON.parse(core.groupSets(list.map((f) => f.name), headers));
  return groups.map((g) => g.map((i) => list[i]));
}

// ---- options ---------------------------------------------------------------

function digestFlags(digests) {
  if (digests === undefined || digests === null || typeof digests === 'string') {
    return JSON.parse(core.digestFlags(digests === null ? undefined : digests));
  }
  const list = Array.from(digests);
  return { sha256: list.includes('sha256'), sha1: list.includes('sha1') };
}

function hexOrNull(v, digits, what) {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v).trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${digits}}$`).test(s)) {
    throw new TypeError(`${what} needs ${digits} hex digits`);
  }
  return s;
}

/** The core's Options JSON from the API's options (after ready()). */
export function coreOptions(opts = {}) {
  loadedCore();
  const target = opts.target;
  const specs = target === undefined || target === null || target === ''
    ? []
    : (Array.isArray(target) ? target : [target]).map(String);
  // The default target if none; a TypeError naming an unknown one.
  const targets = core.parseTargets(specs);
  const d = digestFlags(opts.digests);
  // Install media: the WIMs' own whole-file digests (default none).
  const inner = opts.innerDigests === undefined || opts.innerDigests === null ? { sha256: false, sha1: false } : digestFlags(opts.innerDigests);
  const expect = opts.expect || {};
  return {
    sha256: d.sha256,
    sha1: d.sha1,
    inner_sha256: inner.sha256,
    inner_sha1: inner.sha1,
    expect_sha256: hexOrNull(expect.sha256, 64, 'expect.sha256'),
    expect_sha1: hexOrNull(expect.sha1, 40, 'expect.sha1'),
    targets,
  };
}

/**
 * The report as the CLI would give it for `--target target` (an ID, a
 * list, or 'all'): `selected` set to them and the verdict the worst over
 * them, whose results the report holds for every target anyway. Needs the
 * core loaded (ready(); any report this page made has loaded it).
 */
export function reportForTarget(report, target) {
  const ids = (Array.isArray(target) ? target : [target]).map(String);
  return JSON.parse(loadedCore().reportForTargets(JSON.stringify(report), ids));
}

/**
 * The editions table of a report (the CLI's): one row per image, by
 * index: {index, name, description, edition_id, architecture (as DISM
 * names it), version, languages, default_language, installation_type,
 * files, directories, total_bytes, boot}; blank XML values are null.
 * Needs the core loaded.
 */
export function editionRows(report) {
  return JSON.parse(loadedCore().editions(JSON.stringify(report)));
}

/**
 * The findings over reports of files given together, as one medium (a
 * boot.wim whose Windows PE is of another architecture than the install
 * images beside it): the core's findings, each naming its files; [] when
 * nothing is wrong. Needs the core loaded.
 */
export function mediumFindings(reports) {
  return JSON.parse(loadedCore().mediumFindings(reports.map((r) => JSON.stringify(r))));
}

/** A few words for a reason's or a finding's code (the CLI's target lines); null if unknown. */
export function reasonSummary(code) {
  return loadedCore().reasonSummary(String(code)) || null;
}

/**
 * A checksum list (`sha256sum`/`sha1sum` or BSD-style lines) read by the
 * core's rules: `.size` entries, `.rejected` (the numbers of the lines
 * that are neither), `.expected(name)` (JSON `{sha256?, sha1?}` for a file
 * name, matched by base name without case). Call `.free()` when done.
 */
export async function checksumList(text) {
  await ready();
  return new core.ChecksumList(String(text));
}

// ---- one image -------------------------------------------------------------

function abortError() {
  return new DOMException('The verification was cancelled.', 'AbortError');
}

// Whether a file's first bytes look like install media (the core's rule).
async function looksLikeMedium(file) {
  try {
    return loadedCore().looksLikeMedium(new Uint8Array(await file.slice(0, 65536).arrayBuffer()));
  } catch {
    return false;
  }
}

/**
 * Verifies one image (a File, or the parts of a split set, first part
 * first), or the WIMs on install media (an ISO: one File). Resolves to the
 * report, or for install media to an array of reports, one per WIM on it
 * (a split set being one), each with its `container` ({name, size, sha256,
 * sha1, path}: the medium's name, size and digests, `path` the WIM's path
 * on it, as `file.name`); `opts.onMedium({name, size, fileSystem, wims})`
 * is called when the medium is listed (`fileSystem` 'UDF' or 'ISO 9660',
 * `wims` the paths of its WIMs in the reports' order). The digests asked
 * for and the expected digests are then the medium's; the WIMs' own
 * whole-file digests are not computed (as the CLI's default) unless
 * `opts.innerDigests` asks for them (as `digests`: the CLI's
 * `--inner-digest`). A medium
 * with no WIM on it, or that cannot be read, rejects with an error named
 * `MediumError` (the CLI's error kind `medium`), never a verdict.
 * Otherwise it rejects with the read error (an error
 * state, never a verdict), an error named `ForeignFormat` when the file is
 * not a WIM but a recognised other format (its `foreign`: the core's
 * `{format, what, evidence, message, remedy}`, `format` one of vhd, vhdx,
 * zip, cab, 7z, ffu, iso), a SetupError when the server does not give
 * the page its worker script, or an AbortError when `signal` aborts.
 * `opts.bases`: other WIM files given with it. When the image's trees name
 * blobs its tables lack (a delta, captured with `wimlib-imagex capture
 * --delta-from BASE`), those of them whose blob tables hold the missing
 * blobs are read and verified with it as its references, as
 * `wimlib-imagex verify --ref` does, and listed in the report's `parts[]`
 * with `reference: true`; the others are not read beyond their headers
 * and blob tables. The rest of `opts` is verifyFiles'.
 */
export async function verifySet(files, opts = {}) {
  const parts = Array.isArray(files) ? files : [files];
  const bases = Array.from(opts.bases || []).filter((f) => !parts.includes(f));
  const { signal, onProgress } = opts;
  if (signal && signal.aborted) throw abortError();
  await ready();
  const options = coreOptions(opts);
  const module = await wasmModule();
  if (signal && signal.aborted) throw abortError();

  // The bytes read: the image's, and its references' once they are known.
  let total = parts.reduce((a, f) => a + f.size, 0);
  // Install media get one lane worker more, for the medium's digest (the
  // core's hint from the first bytes; the reader decides on the file).
  const medium = parts.length === 1 && await looksLikeMedium(parts[0]);
  const lanes = Math.max(1, (opts.workers || workerCount()) - 1) + (medium ? 1 : 0);
  const workers = [];
  let finished = false;
  const stop = () => {
    if (finished) return;
    finished = true;
    for (const w of workers) w.terminate();
  };

  return new Promise((resolve, reject) => {
    const onAbort = () => {
      stop();
      reject(abortError());
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    const settle = (fn, value) => {
      if (signal) signal.removeEventListener('abort', onAbort);
      stop();
      fn(value);
    };
    const failWith = (e) => {
      if (e instanceof SetupError) {
        settle(reject, e);
        return;
      }
      const err = new Error(e && e.message ? e.message : String(e));
      err.name = (e && e.name) || 'Error';
      // A file that is not a WIM: what it looks like (the core's words).
      if (e && e.foreign) err.foreign = e.foreign;
      settle(reject, err);
    };
    // A worker that does not start: every worker stops, and the page asks
    // the server once why.
    let workerFailed = false;
    const onWorkerError = (what) => (ev) => {
      ev.preventDefault();
      if (workerFailed || finished) return;
      workerFailed = true;
      for (const w of workers) w.terminate();
      workerFailure(ev, what).then(failWith, failWith);
    };

    const reader = newWorker();
    workers.push(reader);
    const ports = [];
    for (let k = 0; k < lanes; k++) {
      const w = newWorker();
      workers.push(w);
      const ch = new MessageChannel();
      w.onerror = onWorkerError('a lane worker');
      w.onmessage = (ev) => { if (ev.data && ev.data.type === 'error') failWith(ev.data.error); };
      w.postMessage({ role: 'lane', module, port: ch.port2 }, [ch.port2]);
      ports.push(ch.port1);
    }

    const t0 = performance.now();
    let passStart = null;
    let passDone0 = 0;
    // `of`: what `done` counts out of; the file's bytes but while opening
    // (then the directory trees' metadata bytes).
    const progress = (phase, done, of = total, step = undefined) => {
      if (!onProgress) return;
      const now = performance.now();
      let rate = null;
      // No rate (nor time left) until it means something: a second and
      // 16 MiB into the pass (the first reads wait for the lanes to start).
      if (passStart !== null && now - passStart > 1000 && done - passDone0 >= 16 * 1048576) {
        rate = ((done - passDone0) / (now - passStart)) * 1000;
      }
      const left = rate ? (total - done) / rate : null;
      try {
        onProgress({
          file: parts[0].name,
          phase,
          step,
          done,
          total: of,
          bytesPerSecond: rate,
          secondsLeft: left,
          elapsed: (now - t0) / 1000,
        });
      } catch (e) {
        console.error(e);
      }
    };
    progress('opening', 0);

    reader.onerror = onWorkerError('the reader worker');
    reader.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'opened') {
        total = m.total;
        passStart = performance.now();
        progress('reading', 0);
      } else if (m.type === 'opening') {
        progress('opening', m.done, m.total, m.step);
      } else if (m.type === 'progress') {
        progress('reading', m.done);
      } else if (m.type === 'medium') {
        // Install media, listed: its WIMs follow as one report each.
        try {
          if (opts.onMedium) opts.onMedium(m.medium);
        } catch (e) {
          console.error(e);
        }
      } else if (m.type === 'done') {
        let report;
        try {
          report = JSON.parse(m.reports !== undefined ? m.reports : m.report);
        } catch (e) {
          failWith(e);
          return;
        }
        progress('done', total);
        if (m.stats) {
          const stats = { ...m.stats, wallMs: performance.now() - t0, bytes: total };
          try {
            if (opts.onStats) opts.onStats(stats);
            // The benchmark (tests/browser/bench.mjs) collects these too.
            if (Array.isArray(globalThis.__wimproofStats)) globalThis.__wimproofStats.push(stats);
          } catch (e) {
            console.error(e);
          }
        }
        settle(resolve, report);
      } else if (m.type === 'foreign') {
        // Not a WIM: an error naming the format, never a verdict.
        failWith({ name: 'ForeignFormat', message: m.foreign.message, foreign: m.foreign });
      } else if (m.type === 'error') {
        failWith(m.error);
      }
    };
    reader.postMessage(
      {
        role: 'reader',
        module,
        files: parts,
        names: parts.map((f) => f.name),
        bases,
        baseNames: bases.map((f) => f.name),
        options,
        ports,
        sliceBytes: opts.sliceBytes || SLICE_BYTES,
        webcrypto: opts.webcrypto !== false,
        // How the reader reads the file (default: a BYOB stream reader;
        // 'stream-default' or 'slice', see worker/slice-reader.js): for
        // benchmarks and tests, which set it through this global.
        readMethod: globalThis.__wimproofReadMethod,
      },
      ports,
    );
  });
}

/**
 * Verifies files (File[] or a FileList): one report per image, a split set
 * being one image, in the order the images were given. Images are verified
 * one after another, each with the others as its possible bases (see
 * verifySet: a delta dropped with its base is verified with it). Options:
 * `target` (an ID, a list of them or 'all'; default 'configmgr'),
 * `digests` ('sha256' default, 'sha1', 'both', 'none'), `expect`
 * ({sha256, sha1}), `signal` (an AbortSignal: aborting cancels and rejects
 * with an AbortError), `onProgress` (called with {file, phase ('opening':
 * with step 'blob table', done/total count its entries, with step 'trees'
 * the directory trees' metadata bytes, decoded then walked; 'reading',
 * 'done': the file's bytes, and its references'), step, done,
 * total, bytesPerSecond, secondsLeft, elapsed, index, count}),
 * `webcrypto` (default true: hash the integrity table's chunks with
 * `crypto.subtle` where the page is a secure context; false: in wasm, as on
 * plain http), `onStats` (called once per image with where the time went,
 * in ms: the reader's reads, waits for the lanes, for WebCrypto
 * and posting, and each lane's feed time; for benchmarks, not a stable
 * interface).
 * Rejects on the first image that cannot be read.
 */
export async function verifyFiles(files, opts = {}) {
  const sets = await groupSets(files);
  const reports = [];
  for (let i = 0; i < sets.length; i++) {
    const onProgress = opts.onProgress
      ? (p) => opts.onProgress({ ...p, index: i, count: sets.length })
      : undefined;
    const bases = sets.filter((_, j) => j !== i).flat();
    const r = await verifySet(sets[i], { ...opts, bases, onProgress });
    // Install media: one report per WIM on it.
    if (Array.isArray(r)) reports.push(...r);
    else reports.push(r);
  }
  return reports;
}
