// End-to-end tests of the in-browser verifier in headless Chromium: the
// page served from dist/ on 127.0.0.1 and the single file opened from
// file://, compared with the CLI's `--json` for the same files.
//
// Run with tests/browser/run.sh (it builds what is missing first).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import {
  ROOT, DIST, CLI, GENERATED, WIMLIB_FIXTURES, serve, launch, cliReport, intactAttr, fixtureSets,
  xssFixture, largeFixture, XSS_NAME, XSS_DESCRIPTION, basename, SCRATCH,
} from './lib.mjs';

const INPUT = 'wim-verifier input[type=file][multiple]';
let server;
let browser;
// Every URL any page or worker asked for, per origin kind.
const served = [];
const fromFile = [];

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run scripts/build-web.sh');
  assert.ok(existsSync(CLI), 'target/release/wimproof is missing: run cargo build --release');
  server = await serve();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

async function open(url, log, readMethod) {
  const context = await browser.newContext();
  context.on('request', (r) => log.push(r.url()));
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    // verify.js reports where each verification's time went here.
    window.__wimproofStats = [];
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  // How the reader worker reads the file (www/worker/slice-reader.js).
  if (readMethod) await page.addInitScript((m) => { window.__wimproofReadMethod = m; }, readMethod);
  await page.goto(url);
  await page.waitForSelector(INPUT, { state: 'attached' });
  return { page, context, problems };
}

/** Gives the files to the page and waits until no card is running. */
async function verifyOnPage(page, sets, timeout = 150000) {
  const before = await page.locator('[data-wim-result]').count();
  await page.setInputFiles(INPUT, sets.flatMap((s) => s.files));
  await page.waitForFunction((n) => {
    const cards = document.querySelectorAll('[data-wim-result]');
    return cards.length >= n && [...cards].every((c) => c.dataset.state !== 'running');
  }, before + sets.length, { timeout, polling: 100 });
  return page.evaluate(() => {
    const el = document.querySelector('wim-verifier');
    const reports = new Map(el.reports.map((r) => [r.file.name, r]));
    return [...document.querySelectorAll('[data-wim-result]')].map((c) => {
      const r = reports.get(c.dataset.fileName);
      return {
        name: c.dataset.fileName,
        state: c.dataset.state,
        verdict: c.dataset.verdict,
        intact: c.dataset.intact,
        sha256: c.dataset.sha256,
        sha1: c.dataset.sha1,
        targets: r ? r.targets.map((t) => `${t.id}=${t.verdict}`) : null,
        findings: r ? r.findings.map((f) => f.code).sort() : null,
        // The reference WIMs it was verified with (a delta's base).
        refs: r ? (r.parts || []).filter((p) => p.reference).map((p) => p.name) : null,
        text: c.textContent,
      };
    });
  });
}

// Compares each set's card with the CLI's report for it. A card verified
// with references (the page found its base among the files given with it)
// is compared with `wimproof --ref BASE ... FILE`, and must be one the CLI
// finds blobs missing in when verified alone.
function compareWithCli(results, sets) {
  const byName = new Map(results.map((r) => [r.name, r]));
  const byBase = new Map(sets.flatMap((s) => s.files).map((f) => [basename(f), f]));
  const mismatches = [];
  for (const s of sets) {
    const got = byName.get(basename(s.files[0]));
    if (!got) {
      mismatches.push(`${s.name}: no result card`);
      continue;
    }
    const refs = got.refs || [];
    if (refs.length) {
      const alone = cliReport(s.files);
      if (alone.error || !alone.findings.some((f) => f.code === 'metadata.blob_missing')) {
        mismatches.push(`${s.name}: verified with ${refs.join(', ')}, but alone the CLI finds no blob missing`);
      }
    }
    const refFiles = refs.map((n) => byBase.get(n) || n);
    const want = cliReport(s.files, refFiles.flatMap((f) => ['--ref', f]));
    if (want.error) {
      if (got.state !== 'error') mismatches.push(`${s.name}: CLI gave no report (${want.error}), page state ${got.state}`);
      continue;
    }
    const exp = {
      state: 'done',
      verdict: want.verdict,
      intact: intactAttr(want.intact),
      sha256: want.digests.sha256,
      targets: want.targets.map((t) => `${t.id}=${t.verdict}`).join(' '),
      findings: want.findings.map((f) => f.code).sort().join(' '),
      refs: (want.parts || []).filter((p) => p.reference).map((p) => basename(p.name)).join(' '),
    };
    const act = {
      ...got,
      targets: (got.targets || []).join(' '),
      findings: (got.findings || []).join(' '),
      refs: refs.join(' '),
    };
    for (const k of Object.keys(exp)) {
      if (exp[k] !== act[k]) mismatches.push(`${s.name}: ${k} is ${act[k]}, the CLI says ${exp[k]}`);
    }
  }
  return mismatches;
}

function assertClean(problems, csp) {
  assert.deepEqual(problems, [], 'page errors, dialogs or console errors');
  assert.deepEqual(csp, [], 'Content-Security-Policy violations');
}

test('served page: every fixture gives the CLI\'s verdict, intactness and digests', { timeout: 170000 }, async () => {
  const sets = fixtureSets();
  assert.ok(sets.length >= 10, `too few fixtures (${sets.length}): run tests/fixtures/generate.sh`);
  const { page, context, problems } = await open(server.url, served);
  // The target selector's contract.
  assert.equal(await page.locator('select[name="target"]').inputValue(), 'configmgr');
  const values = await page.locator('select[name="target"] option').evaluateAll((o) => o.map((x) => x.value));
  assert.deepEqual(values, ['configmgr', 'configmgr2007-unpatched', 'configmgr2007-patched', 'wds', 'usb-fat32']);
  const t0 = Date.now();
  const results = await verifyOnPage(page, sets);
  const mismatches = compareWithCli(results, sets);
  assert.deepEqual(mismatches, []);
  // Dropped together, the delta finds a base among the others.
  const withRefs = results.filter((r) => r.refs && r.refs.length);
  assert.ok(withRefs.some((r) => r.name === 'delta-from.wim'), 'delta-from.wim was verified with a base');
  console.log(`# served: ${sets.length} images verified in ${((Date.now() - t0) / 1000).toFixed(1)} s, all equal to the CLI; with a base found among them: ${withRefs.map((r) => `${r.name} (${r.refs.join(', ')})`).join(', ')}`);
  // On 127.0.0.1 (a secure context) the integrity chunks went to WebCrypto.
  const stats = await page.evaluate(() => window.__wimproofStats);
  const withTable = results.filter((r) => r.state === 'done').length;
  assert.ok(stats.filter((s) => s.webcrypto).length >= 20, `verifications that used WebCrypto: ${stats.filter((s) => s.webcrypto).length} of ${withTable}`);
  // Chromium has BYOB stream readers: the page reads with them by default.
  assert.deepEqual([...new Set(stats.map((s) => s.readMethod))], ['stream-byob']);
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

// Resources of 16 MiB or more are split into runs of chunks decoded on
// every lane (src/verify/split.rs); a run continues the blobs of the run
// before from the SHA-1 states the lanes hand on through the reader.
test('split resources: runs decoded on both lanes, states relayed between them; intact and damaged images give the CLI\'s results', { timeout: 120000 }, async () => {
  const made = spawnSync('bash', [join(ROOT, 'tests', 'fixtures', 'split.sh')], { stdio: 'inherit' });
  assert.equal(made.status, 0, 'tests/fixtures/split.sh failed');
  const dir = join(GENERATED, 'split');
  const damaged = join(SCRATCH, 'split-damaged');
  mkdirSync(damaged, { recursive: true });
  const sets = [];
  for (const name of ['lzx.wim', 'solid.esd']) {
    sets.push({ name, files: [join(dir, name)] });
    // 16 bytes flipped 60% into the file: inside the large resource's
    // chunks, past its first run.
    const bytes = readFileSync(join(dir, name));
    const at = Math.floor(bytes.length * 0.6);
    for (let i = 0; i < 16; i++) bytes[at + i] ^= 0x5a;
    const copy = join(damaged, `damaged-${name}`);
    writeFileSync(copy, bytes);
    assert.equal(cliReport([copy]).intact, false, `${copy}: the CLI finds the damage`);
    sets.push({ name: `damaged-${name}`, files: [copy] });
  }
  const { page, context, problems } = await open(server.url, served);
  const results = await verifyOnPage(page, sets);
  assert.deepEqual(compareWithCli(results, sets), []);
  const stats = await page.evaluate(() => window.__wimproofStats);
  assert.equal(stats.length, sets.length);
  for (const st of stats) {
    assert.ok(st.splitRuns >= 3, `split into ${st.splitRuns} runs`);
    assert.ok(st.relayed >= 1, `${st.relayed} state bundles relayed`);
    assert.ok(st.lanes.every((l) => l && l.feedMs > 0), 'every lane decoded');
  }
  console.log(`# split: ${sets.length} images, runs ${stats.map((st) => st.splitRuns).join('/')}, state bundles relayed ${stats.map((st) => st.relayed).join('/')}, all equal to the CLI`);
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

test('single file from file:// gives the CLI\'s results', { timeout: 120000 }, async () => {
  const pick = [
    'none.wim', 'none--blob-data.wim', 'none-check--integrity.wim', 'lzx.wim', 'lzx-check--compressed-chunk.wim',
    'lzms.wim', 'solid.wim', 'solid--blob-data.wim', 'xpress.wim', 'pipable.wim', 'multi.wim', 'split.swm',
    'scratch-split.swm',
  ];
  const sets = fixtureSets().filter((s) => pick.includes(s.name) || s.files[0].startsWith(WIMLIB_FIXTURES));
  assert.ok(sets.length >= 6);
  const url = pathToFileURL(join(DIST, 'wimproof.html')).href;
  const { page, context, problems } = await open(url, fromFile);
  const results = await verifyOnPage(page, sets);
  assert.deepEqual(compareWithCli(results, sets), []);
  assertClean(problems, await page.evaluate(() => window.__csp));
  // Blob-URL workers and inline wasm: nothing but the file itself was loaded.
  const bad = fromFile.filter((u) => !u.startsWith('file://') && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(bad, []);
  console.log(`# file://: ${sets.length} images, all equal to the CLI`);
  await context.close();
});

test('plain http (no crypto.subtle): the lanes hash the integrity chunks and the results equal the CLI\'s', { timeout: 120000 }, async () => {
  const url = `http://wimproof.test:${new URL(server.url).port}/`;
  const log = [];
  const { page, context, problems } = await open(url, log);
  const env = await page.evaluate(() => ({ secure: isSecureContext, subtle: !!(self.crypto && self.crypto.subtle) }));
  assert.deepEqual(env, { secure: false, subtle: false });
  const sets = fixtureSets().filter((s) => /check|multi|split|^boot/.test(s.name));
  assert.ok(sets.length >= 15, `fixtures with integrity tables: ${sets.length}`);
  const results = await verifyOnPage(page, sets);
  assert.deepEqual(compareWithCli(results, sets), []);
  const stats = await page.evaluate(() => window.__wimproofStats);
  assert.ok(stats.length > 0 && stats.every((s) => !s.webcrypto), 'no verification used WebCrypto');
  assertClean(problems, await page.evaluate(() => window.__csp));
  console.log(`# plain http: ${sets.length} images, integrity chunks hashed in wasm, all equal to the CLI`);
  await context.close();
});

for (const method of ['slice', 'stream-default']) {
  test(`reading the file with ${method} gives the CLI's results`, { timeout: 120000 }, async () => {
    // Split sets and integrity tables: reads that stop at part ends and at
    // chunk boundaries; solid and compressed resources across slices.
    const sets = fixtureSets().filter((s) => /split|multi|check|solid|lzx|lzms|xpress/.test(s.name)).slice(0, 30);
    assert.ok(sets.length >= 15, `fixtures: ${sets.length}`);
    const { page, context, problems } = await open(server.url, [], method);
    const results = await verifyOnPage(page, sets);
    assert.deepEqual(compareWithCli(results, sets), []);
    const stats = await page.evaluate(() => window.__wimproofStats);
    assert.ok(stats.length >= 15);
    assert.deepEqual([...new Set(stats.map((s) => s.readMethod))], [method]);
    assertClean(problems, await page.evaluate(() => window.__csp));
    console.log(`# read with ${method}: ${sets.length} images, all equal to the CLI`);
    await context.close();
  });
}

test('cancel mid-way stops every worker; verifying again gives the CLI\'s result', { timeout: 120000 }, async () => {
  const large = largeFixture();
  const { page, context, problems } = await open(server.url, served);
  await page.setInputFiles(INPUT, [large]);
  const card = page.locator('[data-wim-result]').first();
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-wim-result] [role=progressbar]');
    return b && Number(b.getAttribute('aria-valuenow')) >= 5;
  }, null, { timeout: 60000, polling: 20 });
  assert.ok(page.workers().length >= 2, 'workers are running');
  await card.getByRole('button', { name: /Cancel/ }).click();
  assert.equal(await card.getAttribute('data-state'), 'cancelled');
  await page.waitForFunction(() => true);
  const deadline = Date.now() + 5000;
  while (page.workers().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(page.workers().length, 0, 'every worker was terminated');

  await card.getByRole('button', { name: /Verify .* again/ }).click();
  await page.waitForFunction(() => document.querySelector('[data-wim-result]').dataset.state !== 'running', null, { timeout: 90000, polling: 100 });
  const want = cliReport([large]);
  assert.equal(await card.getAttribute('data-state'), 'done');
  assert.equal(await card.getAttribute('data-verdict'), want.verdict);
  assert.equal(await card.getAttribute('data-intact'), intactAttr(want.intact));
  assert.equal(await card.getAttribute('data-sha256'), want.digests.sha256);
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

test('a garbage collection every few thousand allocations does not stall the reads', { timeout: 120000 }, async () => {
  // V8 collects after every 2000 allocations here: a stream that only its
  // pending read referenced was dropped mid-read and the page waited
  // forever (worker/slice-reader.js keeps the open streams referenced).
  const gcBrowser = await launch(['--js-flags=--gc-interval=2000']);
  try {
    const context = await gcBrowser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector(INPUT, { state: 'attached' });
    const sets = [{ name: 'large', files: [largeFixture()] }];
    const results = await verifyOnPage(page, sets, 90000);
    assert.deepEqual(compareWithCli(results, sets), []);
    await context.close();
  } finally {
    await gcBrowser.close();
  }
});

test('a file changed while it is read is an error state, never a verdict', { timeout: 90000 }, async () => {
  const changing = join(SCRATCH, 'changing.wim');
  copyFileSync(largeFixture(), changing);
  const { page, context } = await open(server.url, served);
  await page.evaluate(() => {
    window.__errors = [];
    document.querySelector('wim-verifier').addEventListener('wim-verify-error', (e) => window.__errors.push(e.detail));
  });
  await page.setInputFiles(INPUT, [changing]);
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-wim-result] [role=progressbar]');
    return b && Number(b.getAttribute('aria-valuenow')) >= 5;
  }, null, { timeout: 60000, polling: 20 });
  appendFileSync(changing, 'changed');
  await page.waitForFunction(() => document.querySelector('[data-wim-result]').dataset.state !== 'running', null, { timeout: 60000, polling: 50 });
  const card = page.locator('[data-wim-result]');
  assert.equal(await card.getAttribute('data-state'), 'error');
  assert.equal(await card.getAttribute('data-verdict'), null);
  assert.equal(await card.getAttribute('data-intact'), null);
  const errors = await page.evaluate(() => window.__errors);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /NotReadableError|changed|truncated/);
  assert.ok((await card.innerText()).includes('no verdict'));
  await context.close();
});

for (const mode of ['served', 'file']) {
  test(`markup in image names renders as text and runs nothing (${mode})`, { timeout: 60000 }, async () => {
    const x = xssFixture();
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url, mode === 'served' ? served : fromFile);
    const [r] = await verifyOnPage(page, [{ name: 'x.wim', files: [x] }]);
    assert.equal(r.state, 'done');
    await page.evaluate(() => document.querySelectorAll('wim-verifier details').forEach((d) => { d.open = true; }));
    const text = await page.locator('[data-wim-result]').innerText();
    assert.ok(text.includes(XSS_NAME), 'the image name is shown literally');
    assert.ok(text.includes(XSS_DESCRIPTION), 'the description is shown literally');
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll('wim-verifier img').length,
      script: document.querySelectorAll('wim-verifier script').length,
      b: document.querySelectorAll('wim-verifier b[onmouseover]').length,
      pwned: window.__pwned === 1,
    }));
    assert.deepEqual(injected, { img: 0, script: 0, b: 0, pwned: false });
    // The printed view too.
    await page.emulateMedia({ media: 'print' });
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    assert.equal(await page.evaluate(() => document.querySelectorAll('img, [onerror]').length), 0);
    assertClean(problems, await page.evaluate(() => window.__csp));
    await context.close();
  });
}

// The --delta-from fixture and its base, from the manifest's 9th column.
function deltaFixture() {
  const rows = readFileSync(join(GENERATED, 'manifest.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
  const row = rows.find((c) => c.length > 8 && c[8].trim() !== '' && c[8].trim() !== '-');
  assert.ok(row, 'a fixture with refs in manifest.tsv');
  return { delta: join(GENERATED, row[1]), base: join(GENERATED, row[8].trim().split(',')[0]) };
}

for (const mode of ['served', 'file']) {
  test(`a delta dropped with its base is verified with it as the CLI's --ref does; alone it is corrupt (${mode})`, { timeout: 60000 }, async () => {
    const { delta, base } = deltaFixture();
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url, mode === 'served' ? served : fromFile);
    // Together: the delta's card is the CLI's `--ref BASE DELTA`, the base
    // has its own card, as the CLI gives it alone.
    const results = await verifyOnPage(page, [{ name: 'delta', files: [delta] }, { name: 'base', files: [base] }]);
    const d = results.find((r) => r.name === basename(delta));
    assert.deepEqual(d.refs, [basename(base)]);
    assert.equal(d.intact, 'true');
    assert.deepEqual(compareWithCli(results, [{ name: 'delta', files: [delta] }, { name: 'base', files: [base] }]), []);
    const withRef = cliReport([delta], ['--ref', base]);
    assert.equal(withRef.intact, true);
    const report = await page.evaluate((n) => document.querySelector('wim-verifier').reports.find((r) => r.file.name === n), basename(delta));
    assert.deepEqual(report.checked, withRef.checked, 'the base\'s blobs were verified too');
    assert.deepEqual(report.parts.map((p) => [p.name, !!p.reference, p.size]), withRef.parts.map((p) => [basename(p.name), !!p.reference, p.size]));
    // The reader read the base's bytes after the delta's.
    const stats = await page.evaluate(() => window.__wimproofStats);
    assert.equal(stats[0].bytes, statSync(delta).size + statSync(base).size);
    assert.match(d.text, new RegExp(`Verified with ${basename(base).replace('.', '\\.')}`));
    assertClean(problems, await page.evaluate(() => window.__csp));
    await context.close();

    // Alone: corrupt, as the CLI says (its trees name blobs it lacks).
    const alone = await open(url, mode === 'served' ? served : fromFile);
    const [a] = await verifyOnPage(alone.page, [{ name: 'delta', files: [delta] }]);
    assert.deepEqual(compareWithCli([a], [{ name: 'delta', files: [delta] }]), []);
    assert.equal(a.intact, 'false');
    assert.deepEqual(a.refs, []);
    assert.ok(a.findings.includes('metadata.blob_missing'));
    assertClean(alone.problems, await alone.page.evaluate(() => window.__csp));
    await alone.context.close();
  });
}

test('verifyFiles API, wim-verified event, samples and the target selector', { timeout: 60000 }, async () => {
  const { page, context, problems } = await open(server.url, served);
  const out = await page.evaluate(async () => {
    const { verifyFiles } = await import('./verify.js');
    const get = async (n) => new File([await (await fetch(`samples/${n}`)).blob()], n);
    const files = [await get('sample-intact.wim'), await get('sample-corrupt.wim')];
    const seen = [];
    const reports = await verifyFiles(files, { target: 'wds', digests: 'both', onProgress: (p) => seen.push(p.phase) });
    const ctl = new AbortController();
    ctl.abort();
    let aborted = null;
    try {
      await verifyFiles(files, { signal: ctl.signal });
    } catch (e) {
      aborted = e.name;
    }
    return { reports, phases: [...new Set(seen)], aborted };
  });
  assert.equal(out.reports.length, 2);
  assert.deepEqual(out.reports[0].selected, ['wds']);
  assert.equal(out.reports[0].intact, true);
  assert.equal(out.reports[1].intact, false);
  assert.match(out.reports[0].digests.sha1, /^[0-9a-f]{40}$/);
  assert.ok(out.phases.includes('reading') && out.phases.includes('done'), out.phases.join());
  assert.equal(out.aborted, 'AbortError');
  const cli = cliReport([join(GENERATED, 'none.wim')], ['--target', 'wds', '--digest', 'both']);
  assert.equal(out.reports[0].verdict, cli.verdict);
  assert.equal(out.reports[0].digests.sha256, cli.digests.sha256);
  assert.equal(out.reports[0].digests.sha1, cli.digests.sha1);

  // The page: a sample link, the event, then another target (remembered).
  await page.evaluate(() => {
    window.__events = [];
    document.querySelector('wim-verifier').addEventListener('wim-verified', (e) => window.__events.push(e.detail));
  });
  await page.getByRole('button', { name: 'a corrupted one' }).click();
  await page.waitForSelector('[data-wim-result][data-state="done"]');
  const card = page.locator('[data-wim-result]');
  assert.equal(await card.getAttribute('data-verdict'), 'corrupt');
  assert.equal(await card.getAttribute('data-intact'), 'false');
  assert.equal(await page.evaluate(() => window.__events.length), 1);
  assert.equal(await page.evaluate(() => window.__events[0].verdict), 'corrupt');
  // A sha256sum list and a pasted hash: green or red.
  const corruptSha = cliReport([join(GENERATED, 'none--blob-data.wim')]).digests.sha256;
  mkdirSync(SCRATCH, { recursive: true });
  const list = join(SCRATCH, 'SHA256SUMS');
  writeFileSync(list, `${corruptSha}  sample-corrupt.wim\n${'0'.repeat(64)} *other.wim\n`);
  await page.setInputFiles('wim-verifier .wp-toolbar input[type=file]', [list]);
  await page.waitForSelector('[data-wim-result] .wp-match-ok');
  assert.match(await card.locator('.wp-match-ok').innerText(), /SHA256SUMS: SHA-256 matches/);
  await card.getByRole('textbox', { name: /Expected SHA-256/ }).fill(corruptSha.toUpperCase());
  assert.match(await card.locator('.wp-compare [role=status]').innerText(), /matches/);
  await card.getByRole('textbox', { name: /Expected SHA-256/ }).fill('ab'.repeat(32));
  assert.match(await card.locator('.wp-compare [role=status]').innerText(), /differs/);
  assert.equal(await card.locator('.wp-compare .wp-match-bad').count(), 1);

  await page.selectOption('select[name="target"]', 'usb-fat32');
  await page.reload();
  assert.equal(await page.locator('select[name="target"]').inputValue(), 'usb-fat32');
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

// Files that are not WIMs, each made by the real tool for its format
// (tests/fixtures/foreign.sh), and an FFU's start from its documented
// layout (no tool on Linux writes one; as tests/foreign.rs builds it).
// Install media (foreign.sh's ISOs too) are verified in place: media.test.mjs.
function foreignFixtures() {
  const r = spawnSync('bash', [join(ROOT, 'tests', 'fixtures', 'foreign.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `foreign.sh: ${r.stderr}`);
  const dir = join(GENERATED, 'foreign');
  const ffu = join(SCRATCH, 'flash.ffu');
  mkdirSync(SCRATCH, { recursive: true });
  const b = Buffer.alloc(128 * 1024 + 64);
  b.writeUInt32LE(32, 0);
  b.write('SignedImage ', 4, 'latin1');
  b.writeUInt32LE(128, 16);
  b.writeUInt32LE(0x800c, 20);
  b.writeUInt32LE(32, 28);
  b.writeUInt32LE(24, 128 * 1024);
  b.write('ImageFlash  ', 128 * 1024 + 4, 'latin1');
  writeFileSync(ffu, b);
  return [
    ['vhd-dynamic.vhd', 'vhd'], ['vhd-fixed.vhd', 'vhd'], ['disk.vhdx', 'vhdx'], ['archive.zip', 'zip'],
    ['archive.7z', '7z'], ['archive.cab', 'cab'],
  ].map(([n, f]) => ({ file: join(dir, n), format: f })).concat([{ file: ffu, format: 'ffu' }]);
}

for (const mode of ['served', 'file']) {
  test(`a file that is not a WIM gets an error card naming its format, never a verdict; a WIM with a damaged magic stays corrupt (${mode})`, { timeout: 90000 }, async () => {
    const foreign = foreignFixtures();
    const damaged = join(GENERATED, 'none--bad-magic.wim');
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url, mode === 'served' ? served : fromFile);
    await page.evaluate(() => {
      window.__errors = [];
      document.querySelector('wim-verifier').addEventListener('wim-verify-error', (e) => window.__errors.push(e.detail));
    });
    const sets = foreign.map((f) => ({ name: basename(f.file), files: [f.file] })).concat([{ name: 'damaged', files: [damaged] }]);
    const results = await verifyOnPage(page, sets);
    for (const f of foreign) {
      const name = basename(f.file);
      // The CLI names the same format (exit status 2, `"error": "foreign"`);
      // install media it reads in place: one report per WIM on the medium,
      // each with its container, or an error of kind `medium` (no WIM on it).
      const cli = cliReport([f.file]);
      assert.equal(cli.error, 'foreign', `${name}: the CLI says ${JSON.stringify(cli)}`);
      const card = page.locator(`[data-wim-result][data-file-name="${name}"]`);
      const a = await card.evaluate((c) => ({ ...c.dataset }));
      assert.equal(a.state, 'error', name);
      assert.equal(a.error, 'foreign', name);
      assert.equal(a.format, f.format, name);
      assert.equal(a.verdict, undefined, `${name} has no verdict`);
      assert.equal(a.intact, undefined, `${name} is not judged`);
      const text = results.find((r) => r.name === name).text;
      assert.doesNotMatch(text, /corrupt/i, name);
      assert.match(text, /There is no verdict/, name);
      assert.match(text, /Not a WIM file: it looks like/);
      // The core's words for it, as the CLI's message has them.
      const what = /it looks like (.*?) \(/.exec(cli.message)[1];
      assert.ok(text.includes(what), `${name}: "${what}" in ${text}`);
    }
    const errors = await page.evaluate(() => window.__errors);
    assert.deepEqual(errors.map((e) => e.format).sort(), foreign.map((f) => f.format).sort());
    // The damaged WIM is a WIM: corrupt, as the CLI and wimlib say.
    assert.deepEqual(compareWithCli(results, [{ name: 'damaged', files: [damaged] }]), []);
    assert.equal(results.find((r) => r.name === basename(damaged)).verdict, 'corrupt');
    assertClean(problems, await page.evaluate(() => window.__csp));
    await context.close();
  });
}

test('the editions table shows each image as the XML has it, the boot image marked, and stacks in a narrow window', { timeout: 60000 }, async () => {
  const names = ['setup-editions.wim', 'setup-boot-install.wim', 'setup-missing-props.wim', 'multi.wim'];
  const { page, context, problems } = await open(server.url, served);
  const sets = names.map((n) => ({ name: n, files: [join(GENERATED, n)] }));
  assert.deepEqual(compareWithCli(await verifyOnPage(page, sets), sets), []);
  for (const n of names) {
    const want = cliReport([join(GENERATED, n)]);
    const rows = await page.locator(`[data-wim-result][data-file-name="${n}"] [data-wp-editions] tbody tr`).evaluateAll((trs) => trs.map((tr) => ({
      index: Number(tr.dataset.index),
      boot: tr.dataset.boot === 'true',
      // What is seen (a blank's "not set" is for screen readers).
      cells: Object.fromEntries([...tr.children].map((c) => {
        const seen = c.cloneNode(true);
        seen.querySelectorAll('.wp-sr').forEach((x) => x.remove());
        return [c.dataset.label, seen.textContent.replace(/\s+/g, ' ').trim()];
      })),
      blanks: [...tr.querySelectorAll('.wp-blank .wp-sr')].map((x) => x.textContent),
    })));
    const images = want.images.slice().sort((a, b) => a.index - b.index);
    assert.equal(rows.length, images.length, n);
    rows.forEach((row, i) => {
      const im = images[i];
      const blank = (v) => (v === null || v === undefined || v === '' ? '\u2014' : v);
      assert.equal(row.index, im.index, n);
      assert.equal(row.boot, want.wim.boot_index === im.index, `${n} ${im.index}: boot`);
      assert.match(row.cells.Index, new RegExp(`^${im.index}${row.boot ? '\\s*boot' : ''}$`), `${n} ${im.index}: ${row.cells.Index}`);
      assert.ok(row.cells.Name.startsWith(blank(im.name)), `${n} ${im.index}: ${row.cells.Name}`);
      assert.equal(row.cells['Edition ID'], blank(im.edition), `${n} ${im.index}`);
      assert.equal(row.cells.Architecture, blank(im.architecture === 'amd64' ? 'x64' : im.architecture), `${n} ${im.index}`);
      assert.equal(row.cells.Version, blank(im.version), `${n} ${im.index}`);
      assert.equal(row.cells['Installation type'], blank(im.installation_type), `${n} ${im.index}`);
      assert.equal(row.cells['Files / folders'].replace(/,/g, ''), `${im.file_count} / ${im.dir_count}`, `${n} ${im.index}`);
      const langs = im.languages.length ? im.languages : [];
      for (const l of langs) assert.ok(row.cells.Languages.includes(l), `${n} ${im.index}: ${row.cells.Languages}`);
      if (langs.length > 1) assert.ok(row.cells.Languages.includes(`${im.default_language} (default)`), row.cells.Languages);
      if (!langs.length) assert.equal(row.cells.Languages, '\u2014');
      // Each blank says so to a screen reader.
      const dashes = Object.values(row.cells).filter((v) => v === '\u2014').length;
      assert.deepEqual(row.blanks, Array(dashes).fill('not set'), `${n} ${im.index}`);
    });
  }
  // The boot image of setup-boot-install.wim is image 2 (append --boot).
  const boot = page.locator('[data-wim-result][data-file-name="setup-boot-install.wim"] [data-wp-editions] tr[data-boot="true"]');
  assert.equal(await boot.getAttribute('data-index'), '2');
  assert.match(await boot.innerText(), /boot/);
  // Table markup: column headers, a row header per image.
  const headers = await page.locator('[data-wim-result][data-file-name="setup-editions.wim"] [data-wp-editions] thead th[scope=col]').allInnerTexts();
  assert.deepEqual(headers, ['Index', 'Name', 'Edition ID', 'Architecture', 'Version', 'Languages', 'Installation type', 'Files / folders', 'Size']);
  assert.equal(await page.locator('[data-wim-result][data-file-name="setup-editions.wim"] [data-wp-editions] tbody th[scope=row]').count(), 2);
  // At 390 px the table stacks: nothing wider than the card.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => [...document.querySelectorAll('[data-wim-result]')].map((c) => {
    const t = c.querySelector('[data-wp-editions]');
    return t ? Math.ceil(t.getBoundingClientRect().width) - Math.ceil(c.getBoundingClientRect().width) : -1;
  }));
  assert.ok(overflow.every((d) => d <= 0), `editions wider than their card: ${overflow}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the page scrolls sideways at 390 px');
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

test('a boot.wim of another architecture than the install images dropped with it: the medium\'s finding, in a card of its own', { timeout: 60000 }, async () => {
  const { page, context, problems } = await open(server.url, served);
  const x86 = join(GENERATED, 'setup-boot-x86.wim');
  const x64 = join(GENERATED, 'setup-boot-x64.wim');
  const install = join(GENERATED, 'setup-editions.wim');
  const sets = [{ name: 'x86', files: [x86] }, { name: 'install', files: [install] }];
  assert.deepEqual(compareWithCli(await verifyOnPage(page, sets), sets), []);
  const medium = page.locator('[data-wim-medium]');
  assert.equal(await medium.count(), 1);
  assert.equal(await medium.getAttribute('data-codes'), 'medium.boot_architecture');
  const text = await medium.innerText();
  assert.match(text, /Dropped together, as one medium/);
  assert.match(text, /setup-boot-x86\.wim boots Windows PE for x86, but setup-editions\.wim holds install images for x64/);
  assert.match(text, /Remedy: Use the boot\.wim of the same architecture/);
  assert.match(text, /Warning/);
  // Before the cards of its files (each is safe alone).
  assert.equal(await page.evaluate(() => document.querySelector('[data-wim-medium]').nextElementSibling.dataset.fileName), 'setup-boot-x86.wim');
  // The same architecture together, or the pair dropped one at a time: none.
  const again = [{ name: 'x64', files: [x64] }, { name: 'install', files: [install] }];
  await verifyOnPage(page, again);
  await verifyOnPage(page, [{ name: 'x86', files: [x86] }]);
  await verifyOnPage(page, [{ name: 'install', files: [install] }]);
  assert.equal(await page.locator('[data-wim-medium]').count(), 1);
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

const BIG = join(GENERATED, 'big', 'big-corrupt.wim');
test('the > 4 GiB image with its corruption above 4 GiB', {
  timeout: 600000,
  skip: process.env.WIMPROOF_BROWSER_BIG === '1' && existsSync(BIG) ? false : 'set WIMPROOF_BROWSER_BIG=1 (needs tests/fixtures/big.sh)',
}, async () => {
  const { page, context, problems } = await open(server.url, served);
  const sets = [{ name: 'big-corrupt.wim', files: [BIG] }];
  const results = await verifyOnPage(page, sets, 590000);
  assert.deepEqual(compareWithCli(results, sets), []);
  // The flipped byte lies above 4 GiB: the bad chunk must reach past it.
  const chunks = await page.evaluate(() => document.querySelector('wim-verifier').reports[0].integrity.bad_chunks);
  assert.ok(chunks.some((b) => b.offset + b.length > 2 ** 32), `a bad chunk reaching above 4 GiB: ${JSON.stringify(chunks)}`);
  // The slices' buffers are reused: the pool fits the plan's longest slice
  // (whole 10 MiB integrity chunks here, as WebCrypto hashes them), so a
  // read or a copy for a second lane allocates only until the queues fill.
  const [st] = (await page.evaluate(() => window.__wimproofStats)).slice(-1);
  assert.ok(st.webcrypto && st.slices > 400, `stats: ${JSON.stringify(st)}`);
  assert.ok(st.newBuffers * 10 < st.slices, `${st.newBuffers} buffers allocated for ${st.slices} slices of at most ${st.bufferBytes} bytes`);
  console.log(`# big: ${st.slices} slices, ${st.newBuffers} buffers allocated`);
  assertClean(problems, await page.evaluate(() => window.__csp));
  await context.close();
});

test('no request left the page\'s origin', () => {
  assert.ok(served.length > 0);
  const foreign = served.filter((u) => !u.startsWith(server.origin + '/') && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  const foreignFile = fromFile.filter((u) => !u.startsWith('file://') && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreignFile, []);
  // The server saw only the page's own files.
  const unexpected = server.requests.filter((p) => !/^\/(|index\.html|[\w-]+\.js|favicon\.svg|pkg\/wimproof(_bg\.wasm|\.js)|samples\/sample-(intact|corrupt)\.wim)$/.test(p));
  assert.deepEqual(unexpected, []);
});
