// Decoder benchmark (not a test; scripts/bench-codecs.sh runs it): decodes
// every chunk of each corpus (codec::bench) natively (examples/codec_bench,
// one process per run, timed inside) and in wasm (the same decoder built for
// wasm32, in a dedicated worker of headless Chromium: the page runs there,
// so Chromium's V8 is what counts, not node's), and times
// `wimlib-imagex verify` on the WIM the corpus came from as the reference.
// Runs alternate (native, wasm, wimlib for each corpus, five rounds) and
// the lines print medians of MiB/s of decoded output per CPU second (the
// machine is shared: wall time would measure its load).
//
// Usage: node tests/browser/codec-bench.mjs [--base BASE_BIN BASE_WEB_DIR]
//          NATIVE_BIN WEB_DIR NAME=CORPUS=WIM...
//   WEB_DIR holds wimproof.js and wimproof_bg.wasm (wasm-bindgen --target web)
//   BENCH_ROUNDS (default 5)
//   --base: instead of wimlib, time a second build (the base) on the same
//   corpora, alternating with this one (base first in even rounds, second in
//   odd ones), natively and in a second worker; the lines print both
//   medians and new/base.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launch, serve, SCRATCH } from './lib.mjs';

let args = process.argv.slice(2);
let baseBin = null, baseWeb = null;
if (args[0] === '--base') [, baseBin, baseWeb, ...args] = args;
const [bin, webDir, ...sets] = args;
const rounds = Number(process.env.BENCH_ROUNDS || 5);
const corpora = sets.map((s) => {
  const [name, corpus, wim] = s.split('=');
  return { name, corpus: resolve(corpus), wim: resolve(wim), native: [], wasm: [], wimlib: [],
    baseNative: [], baseWasm: [] };
});

const dir = join(SCRATCH, 'codec-bench');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
symlinkSync(resolve(webDir), join(dir, 'pkg'));
if (baseWeb) symlinkSync(resolve(baseWeb), join(dir, 'pkg-base'));
for (const c of corpora) symlinkSync(c.corpus, join(dir, `${c.name}.chunks`));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>codec bench</title>');
const worker = (pkg) => `
import init, { CodecBench } from './${pkg}/wimproof.js';
const benches = {};
self.onmessage = async ({ data: m }) => {
  try {
    if (m.type === 'load') {
      await init();
      const bytes = new Uint8Array(await (await fetch('./' + m.name + '.chunks')).arrayBuffer());
      benches[m.name] = new CodecBench(bytes);
      const n = benches[m.name].verify();
      self.postMessage({ bytes: n });
    } else {
      const t0 = performance.now();
      const n = benches[m.name].run();
      self.postMessage({ bytes: n, seconds: (performance.now() - t0) / 1000 });
    }
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};`;
writeFileSync(join(dir, 'worker.js'), worker('pkg'));
if (baseWeb) writeFileSync(join(dir, 'worker-base.js'), worker('pkg-base'));

function native(c, verify, exe = bin) {
  const r = spawnSync(exe, ['run', c.corpus, ...(verify ? ['--verify'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${exe} run ${c.corpus}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// wimlib-imagex verify's CPU time (user + system, GNU time).
function wimlib(c) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'wimlib-imagex', 'verify', c.wim],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`wimlib-imagex verify ${c.wim} failed: ${r.stderr}`);
  const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return u + s;
}

// CPU seconds (user + system) of Chromium's renderer processes, where the
// worker runs (/proc/PID/stat, clock ticks of 10 ms). The machine is shared:
// CPU time measures the decoder, wall time the load of the machine.
function rendererCpu() {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').pop().split(' ');
      kids.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch { /* gone */ }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, k] of kids) if (!mine.has(pid) && mine.has(k.ppid)) { mine.add(pid); grew = true; }
  }
  let cpu = 0;
  for (const pid of mine) {
    try {
      if (/--type=renderer/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) cpu += kids.get(pid).cpu;
    } catch { /* gone */ }
  }
  return cpu;
}

const server = await serve(dir);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.evaluate((withBase) => {
    window.w = { new: new Worker('./worker.js', { type: 'module' }) };
    if (withBase) window.w.base = new Worker('./worker-base.js', { type: 'module' });
    window.ask = (which, m) => new Promise((ok) => {
      window.w[which].onmessage = (e) => ok(e.data);
      window.w[which].postMessage(m);
    });
  }, Boolean(baseWeb));
  const ask = (which, m) => page.evaluate(([which, m]) => window.ask(which, m), [which, m]);
  const builds = baseBin ? ['base', 'new'] : ['new'];
  for (const c of corpora) {
    c.bytes = native(c, true).bytes;
    for (const b of builds) {
      const r = await ask(b, { type: 'load', name: c.name });
      if (r.error) throw new Error(`wasm ${b} ${c.name}: ${r.error}`);
      if (r.bytes !== c.bytes) throw new Error(`${c.name}: wasm ${b} decoded ${r.bytes} bytes, native ${c.bytes}`);
    }
    if (baseBin && native(c, true, baseBin).bytes !== c.bytes) throw new Error(`${c.name}: base decoded another size`);
  }
  const wasmRun = async (b, c) => {
    const cpu0 = rendererCpu();
    const w = await ask(b, { type: 'run', name: c.name });
    const cpu = rendererCpu() - cpu0;
    if (w.error) throw new Error(`wasm ${b} ${c.name}: ${w.error}`);
    return w.bytes / cpu / 2 ** 20;
  };
  for (let i = 0; i < rounds; i++) {
    for (const c of corpora) {
      if (!baseBin) {
        const n = native(c, false);
        c.native.push(n.bytes / n.cpu_seconds / 2 ** 20);
        c.wasm.push(await wasmRun('new', c));
        c.wimlib.push(wimlib(c));
        continue;
      }
      const order = i % 2 ? ['new', 'base'] : ['base', 'new'];
      for (const b of order) {
        const n = native(c, false, b === 'base' ? baseBin : bin);
        (b === 'base' ? c.baseNative : c.native).push(n.bytes / n.cpu_seconds / 2 ** 20);
      }
      for (const b of order) (b === 'base' ? c.baseWasm : c.wasm).push(await wasmRun(b, c));
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const pad = (s, n) => String(s).padEnd(n);
const num = (x, n, d = 0) => x.toFixed(d).padStart(n);
const range = (a) => `${Math.min(...a).toFixed(0)}-${Math.max(...a).toFixed(0)}`;
if (baseBin) {
  console.log(`${pad('wim', 8)} ${pad('codec', 7)} ${pad('out_MiB', 8)} base_native  new_native  new/base` +
    '   base_wasm    new_wasm  new/base');
  for (const c of corpora) {
    const bn = median(c.baseNative), nn = median(c.native), bw = median(c.baseWasm), nw = median(c.wasm);
    console.log(`${pad(c.name, 8)} ${pad(codecOf(c.name), 7)} ${num(c.bytes / 2 ** 20, 7)}` +
      `${num(bn, 13, 1)}${num(nn, 12, 1)}${num(nn / bn, 10, 3)}${num(bw, 12, 1)}${num(nw, 12, 1)}${num(nw / bw, 10, 3)}`);
  }
  console.log(`# medians of ${rounds} alternating runs (base ${baseBin}, new ${bin}); MiB/s of decoded output of the` +
    ' compressed chunks per CPU second (the native process; Chromium\'s renderer processes, where the workers decode)');
  console.log('# min-max native base/new, wasm base/new: ' + corpora.map((c) =>
    `${c.name} ${range(c.baseNative)}/${range(c.native)}, ${range(c.baseWasm)}/${range(c.wasm)}`).join('; '));
  process.exit(0);
}
console.log(`${pad('wim', 8)} ${pad('codec', 7)} ${pad('out_MiB', 8)}${pad('native_MiB/s', 13)}${pad(' wasm_MiB/s', 12)}` +
  ` wasm/native  wimlib_verify_cpu_s  wimlib_MiB/s`);
for (const c of corpora) {
  const out = c.bytes / 2 ** 20;
  const n = median(c.native), w = median(c.wasm), v = median(c.wimlib);
  console.log(`${pad(c.name, 8)} ${pad(c.codec || codecOf(c.name), 7)} ${num(out, 7)}` +
    `${num(n, 13, 1)}${num(w, 12, 1)}${num(w / n, 12, 2)}${num(v, 21, 2)}${num(out / v, 14, 1)}`);
}
console.log(`# medians of ${rounds} alternating runs; MiB/s of decoded output of the compressed chunks per CPU second` +
  ' (the native process; Chromium\'s renderer processes, where the worker decodes); wimlib-imagex verify reads, decodes' +
  ' and SHA-1s the whole WIM (its MiB/s: the same output over its CPU seconds)');
console.log('# native min-max: ' + corpora.map((c) => `${c.name} ${Math.min(...c.native).toFixed(0)}-${Math.max(...c.native).toFixed(0)}`).join(', ') +
  '; wasm: ' + corpora.map((c) => `${c.name} ${Math.min(...c.wasm).toFixed(0)}-${Math.max(...c.wasm).toFixed(0)}`).join(', '));

function codecOf(name) { return name === 'solid' ? 'lzms' : name; }
