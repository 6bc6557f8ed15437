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
// Usage: node tests/browser/codec-bench.mjs NATIVE_BIN WEB_DIR NAME=CORPUS=WIM...
//   WEB_DIR holds wimproof.js and wimproof_bg.wasm (wasm-bindgen --target web)
//   BENCH_ROUNDS (default 5)

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launch, serve, SCRATCH } from './lib.mjs';

const [bin, webDir, ...sets] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_ROUNDS || 5);
const corpora = sets.map((s) => {
  const [name, corpus, wim] = s.split('=');
  return { name, corpus: resolve(corpus), wim: resolve(wim), native: [], wasm: [], wimlib: [] };
});

const dir = join(SCRATCH, 'codec-bench');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
symlinkSync(resolve(webDir), join(dir, 'pkg'));
for (const c of corpora) symlinkSync(c.corpus, join(dir, `${c.name}.chunks`));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>codec bench</title>');
writeFileSync(join(dir, 'worker.js'), `
import init, { CodecBench } from './pkg/wimproof.js';
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
};`);

function native(c, verify) {
  const r = spawnSync(bin, ['run', c.corpus, ...(verify ? ['--verify'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} run ${c.corpus}: ${r.stderr}`);
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
  await page.evaluate(() => {
    window.w = new Worker('./worker.js', { type: 'module' });
    window.ask = (m) => new Promise((ok) => {
      window.w.onmessage = (e) => ok(e.data);
      window.w.postMessage(m);
    });
  });
  const ask = (m) => page.evaluate((m) => window.ask(m), m);
  for (const c of corpora) {
    const r = await ask({ type: 'load', name: c.name });
    if (r.error) throw new Error(`wasm ${c.name}: ${r.error}`);
    c.bytes = native(c, true).bytes;
    if (r.bytes !== c.bytes) throw new Error(`${c.name}: wasm decoded ${r.bytes} bytes, native ${c.bytes}`);
  }
  for (let i = 0; i < rounds; i++) {
    for (const c of corpora) {
      const n = native(c, false);
      c.native.push(n.bytes / n.cpu_seconds / 2 ** 20);
      const cpu0 = rendererCpu();
      const w = await ask({ type: 'run', name: c.name });
      const cpu = rendererCpu() - cpu0;
      if (w.error) throw new Error(`wasm ${c.name}: ${w.error}`);
      c.wasm.push(w.bytes / cpu / 2 ** 20);
      c.wimlib.push(wimlib(c));
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const pad = (s, n) => String(s).padEnd(n);
const num = (x, n, d = 0) => x.toFixed(d).padStart(n);
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
