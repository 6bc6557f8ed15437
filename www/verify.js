// The embedding API: verifyFiles(files, options) -> Promise<report[]>.
//
// Each image (one .wim, or all parts of a .swm split set) is verified by
// dedicated workers: one reader and navigator.hardwareConcurrency lanes,
// at least two (see worker.js; the reader mostly waits for reads). The
// report is the wasm core's, the same JSON as `wimproof --json`. Nothing
// here judges an image; it groups files, starts and stops workers and
// relays progress.
//
// Works served over http(s) (the worker by URL, wasm fetched beside this
// file) and from the single-file build (worker source and wasm inlined in
// the page, workers from Blob URLs), including from file://.

export const TARGETS = [
  { id: 'configmgr', title: 'ConfigMgr (current branch)' },
  { id: 'configmgr2007-unpatched', title: 'ConfigMgr 2007 SP1/R2, without KB 971413' },
  { id: 'configmgr2007-patched', title: 'ConfigMgr 2007 with KB 971413 or SP2' },
  { id: 'wds', title: 'WDS multicast' },
  { id: 'usb-fat32', title: 'FAT32 USB media' },
];
export const DEFAULT_TARGET = 'configmgr';

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
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
      // compileStreaming needs the application/wasm type, which some
      // servers do not send; compiling the bytes works everywhere.
      return WebAssembly.compile(await res.arrayBuffer());
    })();
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
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
 * How many workers one verification uses: a lane per core, at least two
 * (the whole-file hash and the rest: on two cores that measured faster
 * than one lane beside a reader that hashed too), and the reader.
 */
export function workerCount() {
  const n = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  return Math.max(2, Math.min(n, MAX_LANES)) + 1;
}

// ---- split sets ------------------------------------------------------------

function swmStem(name) {
  const m = /^(.*)\.swm$/i.exec(name);
  if (!m) return null;
  // `x2.swm` is a later part; only `x.swm` opens a set.
  return /\d$/.test(m[1]) ? null : m[1];
}

async function totalParts(file) {
  try {
    const b = new Uint8Array(await file.slice(0, 0x2c).arrayBuffer());
    if (b.length < 0x2c) return 1;
    return b[0x2a] | (b[0x2b] << 8);
  } catch {
    return 1;
  }
}

/**
 * Groups files into images: each non-.swm file alone; `x.swm` with the
 * given `x2.swm`, `x3.swm`... up to the part count in its header (as the
 * CLI does). Returns arrays of File, first part first.
 */
export async function groupSets(files) {
  const list = Array.from(files);
  const used = new Array(list.length).fill(false);
  const sets = [];
  for (let i = 0; i < list.length; i++) {
    if (used[i]) continue;
    used[i] = true;
    const f = list[i];
    const stem = swmStem(f.name);
    if (stem === null) {
      sets.push([f]);
      continue;
    }
    const set = [f];
    const total = Math.max(2, await totalParts(f));
    for (let n = 2; n <= total; n++) {
      const want = `${stem}${n}.swm`.toLowerCase();
      const j = list.findIndex((g, k) => !used[k] && g.name.toLowerCase() === want);
      if (j >= 0) {
        used[j] = true;
        set.push(list[j]);
      }
    }
    sets.push(set);
  }
  return sets;
}

// ---- options ---------------------------------------------------------------

function digestFlags(digests) {
  if (digests === undefined || digests === null) return { sha256: true, sha1: false };
  if (typeof digests === 'string') {
    switch (digests) {
      case 'sha256': return { sha256: true, sha1: false };
      case 'sha1': return { sha256: false, sha1: true };
      case 'both': return { sha256: true, sha1: true };
      case 'none': return { sha256: false, sha1: false };
      default: throw new TypeError(`unknown digests ${JSON.stringify(digests)}; use sha256, sha1, both or none`);
    }
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

/** The core's Options JSON from the API's options. */
export function coreOptions(opts = {}) {
  const target = opts.target || DEFAULT_TARGET;
  const targets = (Array.isArray(target) ? target : [target]).map(String);
  for (const t of targets) {
    if (!TARGETS.some((x) => x.id === t)) throw new TypeError(`unknown target ${JSON.stringify(t)}`);
  }
  const d = digestFlags(opts.digests);
  const expect = opts.expect || {};
  return {
    sha256: d.sha256,
    sha1: d.sha1,
    expect_sha256: hexOrNull(expect.sha256, 64, 'expect.sha256'),
    expect_sha1: hexOrNull(expect.sha1, 40, 'expect.sha1'),
    targets,
  };
}

/**
 * The report as the CLI would give it for `--target target`: the verdict
 * is the worst over the selected targets, whose results the report holds
 * for every target anyway.
 */
export function reportForTarget(report, target) {
  const ids = Array.isArray(target) ? target : [target];
  const order = ['safe', 'warning', 'unverified', 'unsafe', 'corrupt'];
  let worst = 0;
  for (const t of report.targets) {
    if (ids.includes(t.id)) worst = Math.max(worst, order.indexOf(t.verdict));
  }
  return { ...report, selected: ids.slice(), verdict: order[worst] };
}

// ---- one image -------------------------------------------------------------

function abortError() {
  return new DOMException('The verification was cancelled.', 'AbortError');
}

/**
 * Verifies one image (a File, or the parts of a split set, first part
 * first). Resolves to the report; rejects with the read error (an error
 * state, never a verdict) or an AbortError when `signal` aborts.
 */
export async function verifySet(files, opts = {}) {
  const parts = Array.isArray(files) ? files : [files];
  const options = coreOptions(opts);
  const { signal, onProgress } = opts;
  if (signal && signal.aborted) throw abortError();
  const module = await wasmModule();
  if (signal && signal.aborted) throw abortError();

  const total = parts.reduce((a, f) => a + f.size, 0);
  const lanes = Math.max(1, (opts.workers || workerCount()) - 1);
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
      const err = new Error(e && e.message ? e.message : String(e));
      err.name = (e && e.name) || 'Error';
      settle(reject, err);
    };

    const reader = newWorker();
    workers.push(reader);
    const ports = [];
    for (let k = 0; k < lanes; k++) {
      const w = newWorker();
      workers.push(w);
      const ch = new MessageChannel();
      w.onerror = (ev) => { ev.preventDefault(); failWith({ name: 'WorkerError', message: ev.message || 'a worker failed to start' }); };
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

    reader.onerror = (ev) => { ev.preventDefault(); failWith({ name: 'WorkerError', message: ev.message || 'the reader worker failed to start' }); };
    reader.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'opened') {
        passStart = performance.now();
        progress('reading', 0);
      } else if (m.type === 'opening') {
        progress('opening', m.done, m.total, m.step);
      } else if (m.type === 'progress') {
        progress('reading', m.done);
      } else if (m.type === 'done') {
        let report;
        try {
          report = JSON.parse(m.report);
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
 * one after another. Options: `target` (an ID, default 'configmgr'),
 * `digests` ('sha256' default, 'sha1', 'both', 'none'), `expect`
 * ({sha256, sha1}), `signal` (an AbortSignal: aborting cancels and rejects
 * with an AbortError), `onProgress` (called with {file, phase ('opening':
 * with step 'blob table', done/total count its entries, with step 'trees'
 * the directory trees' metadata bytes, decoded then walked; 'reading',
 * 'done': the file's bytes), step, done,
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
    reports.push(await verifySet(sets[i], { ...opts, onProgress }));
  }
  return reports;
}
