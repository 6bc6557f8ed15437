// Install media on the page: every ISO of tests/fixtures/media.sh dropped
// on the served page and on the single file from file://, each giving the
// CLI's `--json` reports (one per WIM on it, with its container; checked_at
// and the tool's version masked, the container's name compared by base
// name: the CLI names the path it was given) and the ISO's SHA-256 equal to
// sha256sum's; a medium with no WIM, or cut short, is an error card as the
// CLI's error kind, never a verdict.
//
// Run with tests/browser/run.sh (it builds what is missing first).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ROOT, DIST, CLI, GENERATED, SCRATCH, serve, launch, basename, largeFixture } from './lib.mjs';

const INPUT = 'wim-verifier input[type=file][multiple]';
const MEDIA = join(GENERATED, 'media');
let server;
let browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run scripts/build-web.sh');
  assert.ok(existsSync(CLI), 'target/release/wimproof is missing: run cargo build --release');
  const r = spawnSync('bash', [join(ROOT, 'tests', 'fixtures', 'media.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `media.sh: ${r.stderr}`);
  server = await serve();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

/** Every medium media.sh makes. */
function media() {
  return readdirSync(MEDIA).filter((n) => n.endsWith('.iso')).sort().map((n) => join(MEDIA, n));
}

/** The CLI's JSON for one medium: an array of reports, or {error, status}. */
function cli(iso, args = []) {
  const r = spawnSync(CLI, ['--json', '--no-progress', ...args, iso], { maxBuffer: 1 << 28 });
  const text = r.stdout.toString().trim();
  if (!text) return { error: r.stderr.toString().trim(), status: r.status };
  return JSON.parse(text);
}

/** Keys sorted, recursively: the CLI and the page order them differently. */
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return v;
}

/** A report with what differs by run or by how the file was named masked. */
function masked(r) {
  const x = JSON.parse(JSON.stringify(r));
  x.checked_at = '-';
  if (x.tool) x.tool.version = '-';
  if (x.container) x.container.name = basename(x.container.name);
  return sorted(x);
}

async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => { window.__wimproofStats = []; });
  await page.goto(url);
  await page.waitForSelector(INPUT, { state: 'attached' });
  return { page, context, problems };
}

/**
 * Gives the files to the page, waits until nothing runs, and returns per
 * file given: the medium's element's attributes (or the error card's), its
 * WIM cards' attributes, and the element's reports whose container is it.
 */
async function dropped(page, files, timeout = 150000) {
  await page.setInputFiles(INPUT, files);
  await page.waitForFunction((n) => {
    const tops = document.querySelectorAll('wim-verifier .wp-results:not(.wp-iso-wims) > li');
    const all = document.querySelectorAll('[data-wim-result], [data-wim-iso]');
    return tops.length >= n && [...all].every((c) => c.dataset.state !== 'running');
  }, files.length, { timeout, polling: 100 });
  return page.evaluate(() => {
    const el = document.querySelector('wim-verifier');
    const reports = el.reports;
    const tops = [...document.querySelectorAll('wim-verifier .wp-results:not(.wp-iso-wims) > li')];
    return tops.map((t) => ({
      name: t.dataset.fileName,
      iso: t.hasAttribute('data-wim-iso'),
      state: t.dataset.state,
      error: t.dataset.error || null,
      fileSystem: t.dataset.fileSystem || null,
      wims: t.dataset.wims ? Number(t.dataset.wims) : null,
      sha256: t.dataset.sha256 || null,
      sha1: t.dataset.sha1 || null,
      text: t.innerText,
      cards: [...t.querySelectorAll('[data-wim-result]')].map((c) => ({
        name: c.dataset.fileName, state: c.dataset.state, verdict: c.dataset.verdict, intact: c.dataset.intact,
      })),
      reports: reports.filter((r) => r.container && r.container.name === t.dataset.fileName),
    }));
  });
}

/** What differs between the page's results for `iso` and the CLI's. */
function differences(got, iso, args = []) {
  const want = cli(iso, args);
  const name = basename(iso);
  const out = [];
  if (!Array.isArray(want)) {
    if (got.state !== 'error' || got.error !== 'medium') out.push(`${name}: the CLI gives no report (${want.error}); the page: ${got.state} ${got.error}`);
    return out;
  }
  if (!got.iso || got.state !== 'done') out.push(`${name}: not a medium's section (${got.state}, ${got.error}: ${got.text.slice(0, 200)})`);
  const sum = spawnSync('sha256sum', [iso]).stdout.toString().split(' ')[0];
  if (got.sha256 !== sum) out.push(`${name}: SHA-256 ${got.sha256}, sha256sum says ${sum}`);
  if (got.wims !== want.length) out.push(`${name}: ${got.wims} WIMs, the CLI ${want.length}`);
  const a = JSON.stringify(got.reports.map(masked), null, 1);
  const b = JSON.stringify(want.map(masked), null, 1);
  if (a !== b) {
    const al = a.split('\n');
    const bl = b.split('\n');
    const i = al.findIndex((l, k) => l !== bl[k]);
    out.push(`${name}: reports differ at line ${i}: page ${al[i]} / CLI ${bl[i]}`);
  }
  const cards = got.cards.map((c) => `${c.name} ${c.state} ${c.verdict} ${c.intact}`);
  const wantCards = want.map((r) => `${r.file.name} done ${r.verdict} ${r.intact === true ? 'true' : r.intact === false ? 'false' : 'unknown'}`);
  if (cards.join('\n') !== wantCards.join('\n')) out.push(`${name}: cards\n${cards.join('\n')}\nCLI\n${wantCards.join('\n')}`);
  return out;
}

for (const mode of ['served', 'file']) {
  test(`every medium gives the CLI's reports and sha256sum's digest (${mode})`, { timeout: 240000 }, async () => {
    const isos = media();
    assert.ok(isos.length >= 7, `media: ${isos.map((f) => basename(f)).join(', ')}`);
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url);
    const got = await dropped(page, isos);
    const diffs = isos.flatMap((iso, i) => differences(got[i], iso));
    assert.deepEqual(diffs, []);
    // The integrity chunk of the WIM in two extents went to WebCrypto
    // (127.0.0.1 and file:// are secure contexts), put together from its
    // pieces; the descending one was read in a second pass.
    const stats = await page.evaluate(() => window.__wimproofStats);
    // One per medium verified (in the order given); none for no-wim.iso.
    const verified = got.filter((g) => g.iso).map((g) => g.name);
    assert.equal(stats.length, verified.length);
    assert.ok(!verified.includes('no-wim.iso'));
    const byName = new Map(verified.map((n, i) => [n, stats[i]]));
    assert.equal(byName.get('extents-gap.iso').webcrypto, true);
    assert.equal(byName.get('extents-descending.iso').webcrypto, true);
    assert.equal(byName.get('extents-descending.iso').secondPassFiles, 1);
    assert.equal(byName.get('extents-gap.iso').secondPassFiles, 0);
    // Their one chunk straddles the two extents: hashed from a copy of its pieces.
    assert.equal(byName.get('extents-gap.iso').assembledChunks, 1);
    assert.equal(byName.get('extents-descending.iso').assembledChunks, 1);
    assert.deepEqual(problems, []);
    console.log(`# ${mode}: ${isos.length} media, ${got.reduce((a, g) => a + g.cards.length, 0)} WIMs, all equal to the CLI`);
    await context.close();
  });
}

test('the WIMs on a medium split their large resources into runs across the lanes, states relayed per WIM: the CLI\'s reports', { timeout: 120000 }, async () => {
  const made = spawnSync('bash', [join(ROOT, 'tests', 'fixtures', 'split.sh')], { stdio: 'inherit' });
  assert.equal(made.status, 0, 'tests/fixtures/split.sh failed');
  // sources/install.esd (one solid resource) and sources/boot.wim (a 24 MiB LZX blob).
  const iso = join(GENERATED, 'split', 'media.iso');
  const { page, context, problems } = await open(server.url);
  const got = await dropped(page, [iso]);
  assert.deepEqual(differences(got[0], iso), []);
  const [st] = await page.evaluate(() => window.__wimproofStats);
  assert.ok(st.splitResources >= 2 && st.splitRuns >= 6, `${st.splitResources} resources split into ${st.splitRuns} runs`);
  assert.ok(st.relayed >= 1, `${st.relayed} state bundles relayed`);
  assert.deepEqual(problems, []);
  console.log(`# split media: ${st.splitResources} resources in ${st.splitRuns} runs, ${st.relayed} state bundles relayed, equal to the CLI`);
  await context.close();
});

test('plain http (no crypto.subtle): the lanes hash the inner integrity chunks; the SHA-1 on request', { timeout: 120000 }, async () => {
  const url = `http://wimproof.test:${new URL(server.url).port}/`;
  const { page, context, problems } = await open(url);
  assert.equal(await page.evaluate(() => !!(self.crypto && self.crypto.subtle)), false);
  await page.locator('wim-verifier input[name=sha1]').check();
  const isos = ['extents-gap.iso', 'extents-descending.iso', 'mixed.iso'].map((n) => join(MEDIA, n));
  const got = await dropped(page, isos);
  assert.deepEqual(isos.flatMap((iso, i) => differences(got[i], iso, ['--digest', 'both'])), []);
  for (const g of got) assert.match(g.sha1, /^[0-9a-f]{40}$/);
  const stats = await page.evaluate(() => window.__wimproofStats);
  assert.ok(stats.every((s) => !s.webcrypto));
  assert.deepEqual(problems, []);
  await context.close();
});

test('a byte flipped in the second extent of the WIM with an integrity table: the CLI\'s verdicts (served, file)', { timeout: 120000 }, async () => {
  mkdirSync(SCRATCH, { recursive: true });
  const wim = readFileSync(join(GENERATED, 'lzx-check.wim'));
  const out = [];
  for (const name of ['extents-gap.iso', 'extents-descending.iso']) {
    const m = readFileSync(join(MEDIA, name));
    // A byte three quarters into the WIM: in its second extent, found by
    // the 64 bytes from it (on extents-gap.iso the old copy of those bytes
    // stays where genisoimage wrote them, before the extent, in no file's
    // extent now: the last copy is the extent's).
    const at = Math.floor(wim.length * 0.75);
    const where = m.lastIndexOf(wim.subarray(at, at + 64));
    assert.ok(where > 0, name);
    m[where] ^= 0x40;
    const bad = join(SCRATCH, name.replace('.iso', '-flipped.iso'));
    writeFileSync(bad, m);
    out.push(bad);
  }
  for (const mode of ['served', 'file']) {
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url);
    const got = await dropped(page, out);
    for (const [i, f] of out.entries()) {
      const want = cli(f);
      assert.equal(want[0].intact, false, `${basename(f)}: the CLI finds it corrupt`);
      assert.deepEqual(differences(got[i], f), []);
      assert.equal(got[i].cards[0].verdict, 'corrupt');
    }
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the ISO\'s expected digest: pasted, and a wrong one given to the API makes every WIM corrupt as the CLI\'s --expect; the WIMs\' own digests on request', { timeout: 120000 }, async () => {
  const { page, context, problems } = await open(server.url);
  const iso = join(MEDIA, 'mixed.iso');
  const [g] = await dropped(page, [iso]);
  const sum = readFileSync(join(MEDIA, 'mixed.sha256'), 'utf8').split(/\s+/)[0];
  const field = page.getByRole('textbox', { name: 'Expected SHA-256 or SHA-1 of mixed.iso' });
  await field.fill(sum.toUpperCase());
  assert.match(await page.locator('[data-wim-iso] .wp-compare [role=status]').innerText(), /SHA-256 matches/);
  await field.fill('ab'.repeat(32));
  assert.match(await page.locator('[data-wim-iso] .wp-compare [role=status]').innerText(), /differs/);
  assert.equal(g.cards.length, 2);
  // The API: verifyFiles with expect gives the CLI's --expect-sha256 reports.
  const wrong = 'cd'.repeat(32);
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'api-input' })));
  await page.setInputFiles('#api-input', [iso]);
  const reports = await page.evaluate(async ([w]) => {
    const { verifyFiles } = await import('./verify.js');
    const out = await verifyFiles(Array.from(document.getElementById('api-input').files), { expect: { sha256: w } });
    return out;
  }, [wrong]);
  const want = cli(iso, ['--expect-sha256', wrong]);
  assert.deepEqual(reports.map(masked), want.map(masked));
  assert.ok(reports.every((r) => r.intact === false));
  // The WIMs' own digests on request: the CLI's --inner-digest both.
  const inner = await page.evaluate(async () => {
    const { verifyFiles } = await import('./verify.js');
    return verifyFiles(Array.from(document.getElementById('api-input').files), { innerDigests: 'both' });
  });
  assert.deepEqual(inner.map(masked), cli(iso, ['--inner-digest', 'both']).map(masked));
  assert.ok(inner.every((r) => /^[0-9a-f]{64}$/.test(r.digests.sha256) && /^[0-9a-f]{40}$/.test(r.digests.sha1)));
  assert.deepEqual(problems, []);
  await context.close();
});

test('a medium with no WIM, and one cut short, are error cards as the CLI\'s error kind medium; never a verdict', { timeout: 120000 }, async () => {
  const noWim = join(MEDIA, 'no-wim.iso');
  mkdirSync(SCRATCH, { recursive: true });
  const short = join(SCRATCH, 'cut-short.iso');
  copyFileSync(join(MEDIA, 'udf.iso'), short);
  truncateSync(short, Math.floor(statSync(short).size / 3));
  for (const mode of ['served', 'file']) {
    const url = mode === 'served' ? server.url : pathToFileURL(join(DIST, 'wimproof.html')).href;
    const { page, context, problems } = await open(url);
    const got = await dropped(page, [noWim, short]);
    for (const [i, f] of [noWim, short].entries()) {
      const want = cli(f);
      assert.equal(Array.isArray(want), false, `${f}: the CLI gives an error`);
      const kind = want.error;
      const g = got[i];
      assert.equal(g.iso, false, `${basename(f)} (${mode}) stays one card`);
      assert.equal(g.state, 'error');
      assert.equal(g.error, kind === 'medium' ? 'medium' : 'read', `${basename(f)}: the CLI's kind is ${kind}`);
      assert.equal(g.cards.length, 0, 'no WIM card');
      assert.equal(g.reports.length, 0);
      assert.match(g.text, /no verdict/i);
    }
    assert.match(got[0].text, /Install media with no WIM on it: nothing to verify/);
    assert.match(got[0].text, /with no WIM on it \(no \.wim, \.esd or \.swm file\)/);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('cancelling a medium mid-way stops every worker and leaves one cancelled card; verifying again gives the CLI\'s reports', { timeout: 180000 }, async () => {
  // The 384 MiB fixture as sources/install.wim of a UDF medium (cached).
  const iso = join(SCRATCH, 'large-medium.iso');
  if (!existsSync(iso)) {
    const tree = join(SCRATCH, 'large-medium-tree');
    mkdirSync(join(tree, 'sources'), { recursive: true });
    copyFileSync(largeFixture(), join(tree, 'sources', 'install.wim'));
    const r = spawnSync('genisoimage', ['-quiet', '-udf', '-allow-limited-size', '-iso-level', '3', '-J', '-o', iso, tree]);
    assert.equal(r.status, 0, r.stderr && r.stderr.toString());
    spawnSync('rm', ['-rf', tree]);
  }
  const { page, context, problems } = await open(server.url);
  await page.setInputFiles(INPUT, [iso]);
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-wim-iso] [role=progressbar]');
    return b && Number(b.getAttribute('aria-valuenow')) >= 5;
  }, null, { timeout: 60000, polling: 20 });
  assert.equal(await page.locator('[data-wim-iso] [data-wim-result]').count(), 1, 'the WIM\'s card while it runs');
  await page.locator('[data-wim-iso]').getByRole('button', { name: /Cancel/ }).first().click();
  const card = page.locator('wim-verifier .wp-results > li').first();
  assert.equal(await card.getAttribute('data-state'), 'cancelled');
  assert.equal(await card.getAttribute('data-wim-result'), '');
  assert.equal(await page.locator('[data-wim-iso]').count(), 0);
  const deadline = Date.now() + 5000;
  while (page.workers().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(page.workers().length, 0, 'every worker was terminated');
  await card.getByRole('button', { name: /Verify .* again/ }).click();
  await page.waitForFunction(() => {
    const m = document.querySelector('[data-wim-iso]');
    return m && m.dataset.state === 'done';
  }, null, { timeout: 120000, polling: 100 });
  const [got] = await page.evaluate(() => [...document.querySelectorAll('wim-verifier .wp-results:not(.wp-iso-wims) > li')].map((t) => ({
    sha256: t.dataset.sha256, wims: Number(t.dataset.wims),
    reports: document.querySelector('wim-verifier').reports,
  })));
  const want = cli(iso);
  assert.deepEqual(got.reports.map(masked), want.map(masked));
  assert.equal(got.sha256, spawnSync('sha256sum', [iso]).stdout.toString().split(' ')[0]);
  assert.deepEqual(problems, []);
  await context.close();
});
