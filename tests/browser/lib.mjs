// Shared helpers of the browser tests: a static server for dist/, the
// headless Chromium launch, the CLI's reference reports and fixtures.

import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DIST = join(ROOT, 'dist');
export const CLI = join(ROOT, 'target', 'release', 'wimproof');
export const GENERATED = join(ROOT, 'tests', 'fixtures', 'generated');
export const WIMLIB_FIXTURES = process.env.WIMPROOF_WIMLIB_FIXTURES || resolve(ROOT, '..', 'shared', 'fixtures', 'wimlib');
// Scratch files of these tests (target/ is not committed).
export const SCRATCH = join(ROOT, 'target', 'browser-tests');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wim': 'application/octet-stream',
};

/**
 * Serves `dir` on 127.0.0.1 (a free port); records every request path.
 * `answer(path)`, if given, may stand in for a misconfigured server: it
 * returns null (serve the file), `{status, headers, body}` (sent instead
 * of the file) or `{headers}` (the file, with these headers replacing the
 * usual ones).
 */
export async function serve(dir = DIST, { answer } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const instead = answer ? answer(path) : null;
    if (instead && instead.status) {
      res.writeHead(instead.status, { 'cache-control': 'no-store', ...(instead.headers || {}) }).end(instead.body || '');
      return;
    }
    let file = resolve(dir, '.' + path);
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] || 'application/octet-stream',
      'cache-control': 'no-store',
      ...((instead && instead.headers) || {}),
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // http://wimproof.test:PORT/ reaches the test server on 127.0.0.1 but is
  // not a secure context (no crypto.subtle), as a plain-http intranet server.
  '--host-resolver-rules=MAP wimproof.test 127.0.0.1',
  // file:// pages open other file:// pages' blob URLs only with this off;
  // the single file does not need it, so it stays at the default.
];

/** Headless Chromium; `extra`: more command-line arguments. */
export async function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extra],
  });
}

/** The CLI's report for a file or split set, or {error} if it gives none. */
export function cliReport(files, args = []) {
  const r = spawnSync(CLI, ['--json', '--no-progress', ...args, ...files], { maxBuffer: 1 << 28 });
  const text = r.stdout.toString().trim();
  if (!text) return { error: r.stderr.toString().trim(), status: r.status };
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

export function intactAttr(intact) {
  return intact === true ? 'true' : intact === false ? 'false' : 'unknown';
}

/**
 * The fixture images to compare: every generated WIM, the split sets, and
 * wimlib's test images. Returns [{name, files}] (files: absolute paths).
 */
export function fixtureSets() {
  const sets = [];
  if (existsSync(GENERATED)) {
    const names = readdirSync(GENERATED).sort();
    for (const n of names) {
      if (n.endsWith('.wim')) sets.push({ name: n, files: [join(GENERATED, n)] });
      const m = /^(.*[^0-9])\.swm$/.exec(n);
      if (m) {
        const parts = [join(GENERATED, n)];
        for (let i = 2; existsSync(join(GENERATED, `${m[1]}${i}.swm`)); i++) parts.push(join(GENERATED, `${m[1]}${i}.swm`));
        sets.push({ name: n, files: parts });
      }
    }
  }
  if (!sets.some((s) => s.files.length > 1) && existsSync(join(GENERATED, 'lzx.wim'))) {
    sets.push(splitFixture());
  }
  if (existsSync(WIMLIB_FIXTURES)) {
    for (const n of readdirSync(WIMLIB_FIXTURES).sort()) {
      if (n.endsWith('.wim')) sets.push({ name: n, files: [join(WIMLIB_FIXTURES, n)] });
    }
  }
  return sets;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

/**
 * The XSS fixture: a WIM whose image name and description hold markup and
 * script, captured with wimlib. Returns its path (cached in SCRATCH).
 */
export function xssFixture() {
  const out = join(SCRATCH, 'xss', 'x.wim');
  if (existsSync(out)) return out;
  const src = join(SCRATCH, 'xss', 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'readme.txt'), 'wimproof XSS fixture\n');
  run('wimlib-imagex', ['capture', src, out, XSS_NAME, XSS_DESCRIPTION, '--compress=none']);
  return out;
}
export const XSS_NAME = '<img src=x onerror=alert(1)></script>';
export const XSS_DESCRIPTION = '<script>window.__pwned=1</script><b onmouseover=alert(2)>bold</b>';

/**
 * An uncompressed WIM of about `mib` MiB of incompressible data, big enough
 * that a verification can be cancelled mid-way. Cached in SCRATCH.
 */
export function largeFixture(mib = 384) {
  const out = join(SCRATCH, `large-${mib}.wim`);
  if (existsSync(out)) return out;
  const src = join(SCRATCH, `large-${mib}-src`);
  mkdirSync(src, { recursive: true });
  run('sh', ['-c', `head -c ${mib}M /dev/urandom > '${join(src, 'random.bin')}'`]);
  run('wimlib-imagex', ['capture', src, out, 'large', '--compress=none', '--check']);
  spawnSync('rm', ['-rf', src]);
  return out;
}

/**
 * A split set made from lzx.wim when the generated fixtures have none:
 * [{name, files}] of its parts, first part first.
 */
export function splitFixture() {
  const dir = join(SCRATCH, 'split');
  const first = join(dir, 'scratch-split.swm');
  if (!existsSync(first)) {
    mkdirSync(dir, { recursive: true });
    run('wimlib-imagex', ['split', join(GENERATED, 'lzx.wim'), first, '1']);
  }
  const files = [first];
  for (let i = 2; existsSync(join(dir, `scratch-split${i}.swm`)); i++) files.push(join(dir, `scratch-split${i}.swm`));
  return { name: 'scratch-split.swm', files };
}

export { basename };
