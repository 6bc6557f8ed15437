// The page served by a misconfigured web server: dist/ from a test server
// that answers as the intranet servers do when they are not set up for it
// (IIS without the .wasm MIME map: 404.3; a duplicate mimeMap: 500.19; a
// folder copied without pkg/ or without the wasm; worker.js sent as
// text/plain with nosniff). Each must be explained as the server's set-up,
// with the fix (web.config, README.txt's nginx line), never as anything
// about the user's file. Runs with page.test.mjs (tests/browser/run.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, GENERATED, SCRATCH, serve, launch, cliReport, intactAttr } from './lib.mjs';

const INPUT = 'wim-verifier input[type=file][multiple]';
const WASM = '/pkg/wimproof_bg.wasm';
const SAMPLE = join(GENERATED, 'lzx.wim');
let browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run scripts/build-web.sh');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

// Stand-ins for IIS's error pages: only what the page looks for in them
// (the substatus, the config error's words).
const IIS = { server: 'Microsoft-IIS/10.0', 'content-type': 'text/html' };
const IIS_404_3 = '<html><head><title>IIS 10.0 Detailed Error - 404.3 - Not Found</title></head><body><h3>HTTP Error 404.3 - Not Found</h3><p>No MIME map for the extension (a test stand-in).</p></body></html>';
const IIS_404_REMOTE = '<html><body><h2>404 - File or directory not found.</h2></body></html>';
const IIS_500_19 = '<html><body><h3>HTTP Error 500.19 - Internal Server Error</h3><p>Config Error: Cannot add duplicate collection entry of type \'mimeMap\' with unique key attribute \'fileExtension\' set to \'.wasm\' (a test stand-in).</p></body></html>';

// dist/ copied without some of its files (the folder copied in part).
function distWithout(name, ...paths) {
  const dir = join(SCRATCH, `dist-${name}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(DIST, dir, { recursive: true });
  for (const p of paths) rmSync(join(dir, p), { recursive: true, force: true });
  return dir;
}

async function withServer(dir, answer, fn) {
  const server = await serve(dir, { answer });
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await page.goto(server.url);
    await fn(page, server);
    assert.deepEqual(pageErrors, [], 'uncaught errors on the page');
  } finally {
    await context.close();
    await server.close();
  }
}

/** The setup error's attributes and text, once the element shows one. */
async function setupError(page) {
  const box = page.locator('[data-wim-setup-error]');
  await box.waitFor({ timeout: 30000 });
  return {
    fault: await box.getAttribute('data-fault'),
    role: await box.getAttribute('data-role'),
    status: await box.getAttribute('data-status'),
    text: await box.innerText(),
  };
}

// What every explanation of the server's set-up says: whose fault it is,
// and where the fix is.
function assertServerFault(text, file) {
  assert.match(text, /The web server is not set up for this page/);
  assert.match(text, /Nothing is wrong with your files|says nothing about your files/);
  assert.ok(text.includes(file), `names ${file}: ${text}`);
  assert.match(text, /README\.txt/);
  assert.doesNotMatch(text, /corrupt/i);
}

const LOAD_FAULTS = [
  {
    name: 'the wasm missing from the copied folder',
    dir: () => distWithout('no-wasm', 'pkg/wimproof_bg.wasm'),
    want: { fault: 'not-found', role: 'wasm', status: '404' },
    says: [/404 \(not found\)/, /pkg\/ included/, /web\.config/, /types \{ application\/wasm wasm;/],
  },
  {
    name: 'pkg/ missing altogether',
    dir: () => distWithout('no-pkg', 'pkg'),
    want: { fault: 'not-found', role: 'glue', status: '404' },
    says: [/pkg\/wimproof\.js/, /pkg\/ included/],
  },
  {
    name: 'IIS without a MIME map for .wasm (404.3, its detailed page)',
    answer: (p) => (p === WASM ? { status: 404, headers: IIS, body: IIS_404_3 } : null),
    want: { fault: 'mime-map', role: 'wasm', status: '404' },
    says: [/404\.3/, /web\.config/, /application\/wasm/, /MIME Types/],
  },
  {
    name: 'IIS without a MIME map for .wasm (404, the page remote clients get)',
    answer: (p) => (p === WASM ? { status: 404, headers: IIS, body: IIS_404_REMOTE } : null),
    want: { fault: 'mime-map', role: 'wasm', status: '404' },
    says: [/web\.config/, /application\/wasm/],
  },
  {
    name: 'IIS with .wasm mapped twice (500.19)',
    answer: (p) => (p === WASM ? { status: 500, headers: IIS, body: IIS_500_19 } : null),
    want: { fault: 'duplicate-mime-map', role: 'wasm', status: '500' },
    says: [/declared twice/, /<remove fileExtension="\.wasm" \/>/, /web\.config/],
  },
  {
    name: 'another server error (500)',
    answer: (p) => (p === WASM ? { status: 500, headers: { 'content-type': 'text/plain' }, body: 'oops' } : null),
    want: { fault: 'server-error', role: 'wasm', status: '500' },
    says: [/500 \(server error\)/, /mimeMap/],
  },
  {
    name: 'a sign-in page sent in the wasm\'s place',
    answer: (p) => (p === WASM ? { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>Sign in</title>' } : null),
    want: { fault: 'not-wasm', role: 'wasm', status: '200' },
    says: [/text\/html/, /not WebAssembly/],
  },
];

for (const c of LOAD_FAULTS) {
  test(`the page cannot start: ${c.name}`, { timeout: 60000 }, async () => {
    await withServer(c.dir ? c.dir() : DIST, c.answer, async (page) => {
      const e = await setupError(page);
      assert.deepEqual({ fault: e.fault, role: e.role, status: e.status }, c.want, e.text);
      assertServerFault(e.text, c.want.role === 'glue' ? 'pkg/wimproof.js' : 'pkg/wimproof_bg.wasm');
      for (const re of c.says) assert.match(e.text, re);
      // No drop zone, no card: nothing can be judged.
      assert.equal(await page.locator(INPUT).count(), 0);
      assert.equal(await page.locator('[data-wim-result]').count(), 0);
    });
  });
}

test('worker.js sent as text/plain with nosniff: the card says the server is not set up, with no verdict', { timeout: 60000 }, async () => {
  const answer = (p) => (p === '/worker.js' ? { headers: { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' } } : null);
  await withServer(DIST, answer, async (page) => {
    await page.waitForSelector(INPUT, { state: 'attached' });
    await page.evaluate(() => {
      window.__errors = [];
      document.querySelector('wim-verifier').addEventListener('wim-verify-error', (e) => window.__errors.push(e.detail));
    });
    await page.setInputFiles(INPUT, [SAMPLE, join(GENERATED, 'none.wim')]);
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('[data-wim-result]')];
      return cards.length === 2 && cards.every((c) => c.dataset.state !== 'running');
    }, null, { timeout: 30000 });
    for (const card of await page.locator('[data-wim-result]').all()) {
      const a = await card.evaluate((c) => ({ ...c.dataset }));
      assert.equal(a.state, 'error');
      assert.equal(a.error, 'setup');
      assert.equal(a.fault, 'wrong-type');
      assert.equal(a.verdict, undefined);
      assert.equal(a.intact, undefined);
      const text = await card.innerText();
      assert.match(text, /Not verified: the web server is not set up/);
      assert.match(text, /says nothing about the file itself/);
    }
    // Said once, above the results.
    assert.equal(await page.locator('[data-wim-setup-error]').count(), 1);
    const e = await setupError(page);
    assert.deepEqual({ fault: e.fault, role: e.role, status: e.status }, { fault: 'wrong-type', role: 'worker', status: '200' });
    assertServerFault(e.text, 'worker.js');
    assert.match(e.text, /text\/plain/);
    assert.match(e.text, /nosniff/);
    assert.match(e.text, /text\/javascript/);
    assert.match(e.text, /web\.config/);
    const errors = await page.evaluate(() => window.__errors);
    assert.deepEqual(errors.map((d) => [d.kind, d.fault]), [['setup', 'wrong-type'], ['setup', 'wrong-type']]);
  });
});

test('worker.js missing (404): named as the server\'s, the fix is to copy it', { timeout: 60000 }, async () => {
  await withServer(distWithout('no-worker', 'worker.js'), null, async (page) => {
    await page.waitForSelector(INPUT, { state: 'attached' });
    await page.setInputFiles(INPUT, [SAMPLE]);
    await page.waitForSelector('[data-wim-result][data-state="error"]', { timeout: 30000 });
    const card = page.locator('[data-wim-result]');
    assert.equal(await card.getAttribute('data-error'), 'setup');
    assert.equal(await card.getAttribute('data-fault'), 'not-found');
    const e = await setupError(page);
    assert.deepEqual({ fault: e.fault, role: e.role, status: e.status }, { fault: 'not-found', role: 'worker', status: '404' });
    assertServerFault(e.text, 'worker.js');
  });
});

test('worker.js sent as text/plain without nosniff: Chromium runs the classic worker, and the result is the CLI\'s', { timeout: 60000 }, async () => {
  // Why the worker is a classic script: a module worker would refuse it.
  const answer = (p) => (p === '/worker.js' ? { headers: { 'content-type': 'text/plain' } } : null);
  await withServer(DIST, answer, async (page) => {
    await page.waitForSelector(INPUT, { state: 'attached' });
    await page.setInputFiles(INPUT, [SAMPLE]);
    await page.waitForSelector('[data-wim-result][data-state="done"]', { timeout: 30000 });
    const card = page.locator('[data-wim-result]');
    const want = cliReport([SAMPLE]);
    assert.equal(await card.getAttribute('data-verdict'), want.verdict);
    assert.equal(await card.getAttribute('data-intact'), intactAttr(want.intact));
    assert.equal(await card.getAttribute('data-sha256'), want.digests.sha256);
    assert.equal(await page.locator('[data-wim-setup-error]').count(), 0);
  });
});

test('dist/ has the fixes the explanations point at', () => {
  const config = readFileSync(join(DIST, 'web.config'), 'utf8');
  for (const ext of ['.wasm', '.js']) {
    // Removed before it is added: a duplicate makes IIS answer 500.
    const remove = config.indexOf(`<remove fileExtension="${ext}" />`);
    const add = config.indexOf(`<mimeMap fileExtension="${ext}"`);
    assert.ok(remove >= 0 && add > remove, `${ext}: remove, then mimeMap`);
  }
  assert.match(config, /mimeType="application\/wasm"/);
  assert.match(config, /<mimeMap fileExtension="\.js" mimeType="text\/javascript" \/>/);
  const readme = readFileSync(join(DIST, 'README.txt'), 'utf8');
  assert.match(readme, /types \{ application\/wasm wasm; text\/javascript js; \}/);
  assert.match(readme, /404\.3/);
});
