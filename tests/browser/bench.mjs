// Benchmark of the page (not a test; scripts/bench.sh runs it after the CLI
// lines of each image). Prints lines in bench.sh's table format:
//
//   page http             the page served on http://127.0.0.1 (a secure
//                         context: crypto.subtle exists there)
//   page file://          the single file dist/wimproof.html from file://
//   page http no digest   served, with digests="none" on <wim-verifier>
//   page plain http       served as http://wimproof.test:PORT/ (mapped to
//                         127.0.0.1): not a secure context, so no
//                         crypto.subtle and every hash in wasm
//   floor (wasm sha256)   a dedicated worker that reads the file in 8 MiB
//                         slices with one read ahead and hashes it with the
//                         project's wasm SHA-256 (the `Sha256` of src/web)
//
// wall: from the file input's `input` event to data-state="done" on the
// result card, both seen in the page (performance.now()); for the floor,
// from posting the File to the worker to its digest (wasm already loaded).
//
// peak_MiB: the highest sum, sampled every 200 ms, of VmRSS over Chromium's
// renderer (--type=renderer: the page and its dedicated workers, which are
// threads of it) and utility (--type=utility: network and storage
// services, which serve the File's bytes) processes. Left out: the browser
// process, the GPU process and the zygotes. RSS counts shared pages once
// per process, so the sum overstates a little; compare within one run.
// The '#' line gives the same sum just before the file is set (the idle
// page; Chromium keeps a spare renderer or two, counted in both).
// BENCH_DEBUG=1 prints the sum's terms at the peak.
//
// After the table lines, one '#' line per page run: main-thread long tasks
// (PerformanceObserver 'longtask', over 50 ms) during the verification,
// progress text updates per second and the longest gap between them.
//
// Usage: node tests/browser/bench.mjs KIND IMAGE WIMLIB_WALL_S
//   BENCH_MEDIUM=ISO (bench.sh's iso kind): the served page also verifies
//   ISO, install media wrapping IMAGE, with a '#' line of the ISO/bare ratios;
//   BENCH_BROWSER=http,file,nodigest,plain,floor (default: all) picks the runs;
//   BENCH_DIST=DIR measures another build of dist/;
//   BENCH_READ=slice|stream|stream-default makes the page's reader read
//   with one slice().arrayBuffer() per slice, a BYOB stream reader (the
//   default) or a default stream reader (for A/B runs).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST as BUILT, serve, launch } from './lib.mjs';

// BENCH_DIST: another build of dist/ to measure (e.g. a copy from before a
// change, for an A/B comparison within one run).
const DIST = process.env.BENCH_DIST || BUILT;

const [kind, image, wimlibWallArg] = process.argv.slice(2);
if (!kind || !image || !existsSync(image)) {
  console.error('usage: node tests/browser/bench.mjs KIND IMAGE WIMLIB_WALL_S');
  process.exit(2);
}
const wimlibWall = Number(wimlibWallArg) || NaN;
const mib = statSync(image).size / 1048576;
const runs = (process.env.BENCH_BROWSER || 'http,file,nodigest,plain,floor').split(',');
const TIMEOUT_MS = 60 * 60 * 1000;
// BENCH_MEDIUM: install media wrapping IMAGE (bench.sh's iso kind): each
// page run is also made on it, with a line of the ISO/bare ratios.
const MEDIUM = process.env.BENCH_MEDIUM || null;
// The last page run's wall time and peak memory.
let last = null;
const INPUT = 'wim-verifier input[type=file][multiple]';

function line(tool, wall, peakMiB) {
  const f = (v, w, d) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a').padStart(w);
  console.log(
    `${kind.padEnd(10)} ${tool.padEnd(22)} ${f(wall, 9, 2)} ${f(mib / wall, 9, 0)} ${f(wall / wimlibWall, 8, 2)} ${f(peakMiB, 10, 1)}`,
  );
}

// ---- memory ------------------------------------------------------------------

function children() {
  // pid -> ppid over /proc, for the descendants of this node process.
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // gone
    }
  }
  const mine = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid), n = 0; p && n < 64; p = parent.get(p), n++) {
      if (p === process.pid) {
        mine.push(pid);
        break;
      }
    }
  }
  return mine;
}

function sampleKiB(detail) {
  let sum = 0;
  for (const pid of children()) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/--type=(renderer|utility)/.test(cmd)) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
      if (m && detail) detail.push(`${/--type=(\w+)/.exec(cmd)[1]}${/--utility-sub-type=([\w.]+)/.exec(cmd)?.[1] ? ':' + /--utility-sub-type=([\w.]+)/.exec(cmd)[1] : ''}=${(Number(m[1]) / 1024).toFixed(0)}`);
    } catch {
      // gone
    }
  }
  return sum;
}

function sampler() {
  let peak = 0;
  let peakDetail = null;
  const tick = () => {
    const d = [];
    const v = sampleKiB(d);
    if (v > peak) { peak = v; peakDetail = d; }
  };
  tick();
  const id = setInterval(tick, 200);
  return {
    stop: () => {
      clearInterval(id);
      tick();
      if (process.env.BENCH_DEBUG) console.log(`# peak MiB by process: ${peakDetail.join(' ')}`);
      return peak / 1024;
    },
  };
}

// ---- the page ----------------------------------------------------------------

// Installed before the page's scripts: long tasks, the input event, the
// card's state changes and the progress text's updates, in page time.
function instrument() {
  const b = (window.__bench = { longtasks: [], t0: null, t1: null, state: null, progress: [], texts: [] });
  window.__wimproofStats = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    b.longtasks = null;
  }
  window.addEventListener('input', () => { if (b.t0 === null) b.t0 = performance.now(); }, true);
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      const t = r.target;
      // A WIM's card, or install media's section (done before its WIMs' cards).
      if (r.type === 'attributes' && t.hasAttribute && (t.hasAttribute('data-wim-result') || t.hasAttribute('data-wim-iso'))) {
        const s = t.getAttribute('data-state');
        if (s !== 'running' && b.t1 === null) {
          b.t1 = now;
          b.state = s;
          b.sha256 = t.getAttribute('data-sha256');
        }
      } else if (r.type === 'childList') {
        const el = t.nodeType === 1 ? t : t.parentElement;
        if (el && el.classList && el.classList.contains('wp-progress-text')) {
          b.progress.push(now);
          b.texts.push(el.textContent);
        }
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
}

async function pageRun(tool, url, digests, file = image) {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(instrument);
    if (process.env.BENCH_READ) {
      await page.addInitScript((m) => { globalThis.__wimproofReadMethod = m; }, process.env.BENCH_READ);
    }
    await page.goto(url);
    await page.waitForSelector(INPUT, { state: 'attached' });
    const env = await page.evaluate(() => ({ secure: isSecureContext, subtle: !!(self.crypto && crypto.subtle) }));
    if (digests) await page.evaluate((d) => document.querySelector('wim-verifier').setAttribute('digests', d), digests);
    const idle = sampleKiB() / 1024;
    const mem = sampler();
    await page.setInputFiles(INPUT, file);
    await page.waitForFunction(() => window.__bench.t1 !== null, null, { timeout: TIMEOUT_MS, polling: 200 });
    const peak = mem.stop();
    const b = await page.evaluate(() => window.__bench);
    const wall = (b.t1 - b.t0) / 1000;
    line(tool, b.state === 'done' ? wall : NaN, peak);
    last = { wall: b.state === 'done' ? wall : NaN, peak };
    const lt = b.longtasks === null ? null : b.longtasks.filter(([s]) => s >= b.t0 && s <= b.t1);
    const p = b.progress.filter((t) => t >= b.t0 && t <= b.t1);
    const first = b.progress.indexOf(p[0]);
    let gap = 0;
    let gapAt = '';
    for (let i = 1; i < p.length; i++) {
      if (p[i] - p[i - 1] > gap) {
        gap = p[i] - p[i - 1];
        gapAt = ` at +${((p[i - 1] - b.t0) / 1000).toFixed(1)} s after "${b.texts[first + i - 1]}"`;
      }
    }
    const notes = [
      `state=${b.state}`,
      lt === null
        ? 'longtask observer unavailable'
        : `long tasks >50ms: ${lt.length}${lt.length ? ` (${lt.slice(0, 5).map(([t, d]) => `${d.toFixed(0)} ms at +${((t - b.t0) / 1000).toFixed(1)} s`).join(', ')})` : ''}`,
      `progress updates: ${(p.length / wall).toFixed(1)}/s, longest gap ${gap.toFixed(0)} ms${gapAt}`,
      `memory before the file ${idle.toFixed(0)} MiB`,
      `secure context ${env.secure}, crypto.subtle ${env.subtle}`,
    ];
    if (errors.length) notes.push(`page errors: ${errors.join('; ')}`);
    console.log(`# ${kind} ${tool}: ${notes.join(', ')}`);
    if (process.env.BENCH_DEBUG) {
      const texts = p.slice(0, 40).map((t, i) => `+${((t - b.t0) / 1000).toFixed(2)} s ${b.texts[first + i]}`);
      console.log(`# first progress texts:\n#   ${texts.join('\n#   ')}`);
    }
    const st = await page.evaluate(() => window.__wimproofStats[0]);
    if (st) {
      const sec = (ms) => (ms / 1000).toFixed(1);
      const lanes = st.lanes.map((l, k) => (l ? `lane ${k} feed ${sec(l.feedMs)} s of ${sec(l.spanMs)} s`
        + (l.finishWaitMs >= 50 ? ` (${sec(l.finishWaitMs)} s waiting for states at the end)` : '')
        + (l.mostParked ? `, ${l.mostParked} runs parked at most` : '')
        + (l.wasmBytes ? `, wasm memory ${(l.wasmBytes / 1048576).toFixed(0)} MiB` : '') : `lane ${k} ?`));
      const split = st.splitRuns ? `${st.splitResources} resources split into ${st.splitRuns} runs, ${st.relayed} state bundles relayed; ` : 'nothing split; ';
      console.log(`# ${kind} ${tool} profile: main pass ${sec(st.passMs)} s; reader (${st.readMethod || 'slice'}): read ${sec(st.readMs)} s`
        + ` (${(st.bytes / 1048576 / (st.readMs / 1000)).toFixed(0)} MiB/s), ${st.maxInFlight} slices of ${(st.bufferBytes / 1048576).toFixed(1)} MiB queued per lane at most, ${st.newBuffers} buffers allocated,`
        + ` waiting for lanes ${sec(st.waitMs)} s, for WebCrypto ${sec(st.digestWaitMs || 0)} s (${st.webcrypto ? 'integrity chunks in WebCrypto' : 'no WebCrypto'}),`
        + ` posting ${sec(st.postMs)} s; ${split}${lanes.join(', ')}`);
    }
    return b.sha256;
  } finally {
    await browser.close();
  }
}

// ---- the floor ---------------------------------------------------------------

async function floorRun(origin) {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    // A page of dist/ without the verifier's CSP (which allows no blob:
    // workers): same origin, so the worker imports the wasm glue from it.
    await page.goto(origin + '/README.txt');
    await page.evaluate(async (origin) => {
      const input = document.createElement('input');
      input.type = 'file';
      input.id = 'bench-floor';
      document.body.appendChild(input);
      const module = await WebAssembly.compile(await (await fetch(`${origin}/pkg/wimproof_bg.wasm`)).arrayBuffer());
      const src = `
        import { initSync, Sha256 } from '${origin}/pkg/wimproof.js';
        self.onmessage = async (ev) => {
          if (ev.data.module) { initSync({ module: ev.data.module }); self.postMessage('ready'); return; }
          const file = ev.data.file;
          const S = 8 << 20;
          const h = new Sha256();
          const read = (at) => (at < file.size ? file.slice(at, Math.min(at + S, file.size)).arrayBuffer() : null);
          let next = read(0);
          for (let at = 0; at < file.size; at += S) {
            const buf = await next;
            next = read(at + S);
            h.update(new Uint8Array(buf));
          }
          self.postMessage(h.finish());
        };`;
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
      await new Promise((ok, bad) => {
        w.onmessage = ok;
        w.onerror = (e) => bad(new Error(e.message || 'floor worker failed'));
        w.postMessage({ module });
      });
      window.__floor = w;
    }, origin);
    await page.setInputFiles('#bench-floor', image);
    const mem = sampler();
    const r = await page.evaluate(() => new Promise((ok) => {
      const file = document.getElementById('bench-floor').files[0];
      const t0 = performance.now();
      window.__floor.onmessage = (ev) => ok({ hex: ev.data, ms: performance.now() - t0 });
      window.__floor.postMessage({ file });
    }));
    const peak = mem.stop();
    line('floor (wasm sha256)', r.ms / 1000, peak);
    return r.hex;
  } finally {
    await browser.close();
  }
}

// ---- main --------------------------------------------------------------------

if (!existsSync(join(DIST, 'index.html'))) {
  console.error('bench.mjs: dist/ is missing: run scripts/build-web.sh');
  process.exit(2);
}
const server = await serve(DIST);
const digests = {};
try {
  if (runs.includes('http')) {
    digests.http = await pageRun('page http', server.url, null);
    if (MEDIUM) {
      const bare = last;
      await pageRun('page http ISO', server.url, null, MEDIUM);
      console.log(`# ${kind}: page http ISO/bare wall ${(last.wall / bare.wall).toFixed(2)}, peak memory ISO/bare ${(last.peak / bare.peak).toFixed(2)} (target: wall <= 1.10, memory flat)`);
    }
  }
  if (runs.includes('file')) digests.file = await pageRun('page file://', pathToFileURL(join(DIST, 'wimproof.html')).href, null);
  if (runs.includes('nodigest')) await pageRun('page http no digest', server.url, 'none');
  if (runs.includes('plain')) digests.plain = await pageRun('page plain http', `http://wimproof.test:${new URL(server.url).port}/`, null);
  if (runs.includes('floor')) digests.floor = await floorRun(server.origin);
} finally {
  await server.close();
}
const seen = new Set(Object.values(digests).filter(Boolean));
if (seen.size > 1) console.log(`# ${kind}: SHA-256 DIFFERS between runs: ${JSON.stringify(digests)}`);
