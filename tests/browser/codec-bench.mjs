// Decoder benchmark (not a test; scripts/bench-codecs.sh runs it): decodes
// every chunk of each corpus (codec::bench) natively (examples/codec_bench,
// one process per run, timed inside) and in wasm (the same decoder built for
// wasm32, in a dedicated worker of headless Chromium: the page runs there,
// so Chromium's V8 is what counts, not node's), and times
// `wimlib-imagex verify` on the WIM the corpus came from as the reference.
// Runs alternate (native, wasm, wimlib for each corpus, five rounds) and
// the lines print medians of MiB/s of decoded output.
//
// Usage: node tests/browser/codec-bench.mjs NATIVE_BIN WEB_DIR NAME=CORPUS=WIM...
//   WEB_DIR holds wimproof.js and wimproof_bg.wasm (wasm-bindgen --target web)
//   BENCH_ROUNDS (default 5)

import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
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

function wimlib(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('wimlib-imagex', ['verify', c.wim], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`wimlib-imagex verify ${c.wim} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
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
      c.native.push(n.bytes / n.seconds / 2 ** 20);
      const w = await ask({ type: 'run', name: c.name });
      if (w.error) throw new Error(`wasm ${c.name}: ${w.error}`);
      c.wasm.push(w.bytes / w.seconds / 2 ** 20);
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
  ` wasm/native   wimlib_verify_s  wimlib_MiB/s`);
for (const c of corpora) {
  const out = c.bytes / 2 ** 20;
  const n = median(c.native), w = median(c.wasm), v = median(c.wimlib);
  console.log(`${pad(c.name, 8)} ${pad(c.codec || codecOf(c.name), 7)} ${num(out, 7)}` +
    `${num(n, 13, 1)}${num(w, 12, 1)}${num(w / n, 12, 2)}${num(v, 18, 2)}${num(out / v, 14, 1)}`);
}
console.log(`# medians of ${rounds} alternating runs; MiB/s of decoded output of the compressed chunks only;` +
  ' wimlib-imagex verify reads, decodes and SHA-1s the whole WIM (its MiB/s: the same output over its wall time)');
console.log('# native min-max: ' + corpora.map((c) => `${c.name} ${Math.min(...c.native).toFixed(0)}-${Math.max(...c.native).toFixed(0)}`).join(', ') +
  '; wasm: ' + corpora.map((c) => `${c.name} ${Math.min(...c.wasm).toFixed(0)}-${Math.max(...c.wasm).toFixed(0)}`).join(', '));

function codecOf(name) { return name === 'solid' ? 'lzms' : name; }
