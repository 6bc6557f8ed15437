// Takes screenshots of the page for a human to look at (not a test).
// The tour: empty, running, a safe result, a corrupt result, a narrow
// window, dark, printed, and a delta verified with its base (dropped
// together). The cases, each light and dark, 1280 and 390 px wide: an
// install image with several editions, the noisy image (many findings),
// an ESD, a boot image dropped with an install image of another
// architecture, files that are not WIMs (a ZIP, a virtual disk), install
// media with several WIMs on them and install media with none,
// and the page on a server without the wasm.
// Writes them to OUT_DIR (default screenshots/ at the repository root; not
// committed).
//
// Usage: node tests/browser/screenshots.mjs [OUT_DIR] [--tour | --cases] [--only=iso,esd]

import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ROOT, DIST, SCRATCH, serve, launch, largeFixture, GENERATED } from './lib.mjs';

const args = process.argv.slice(2);
const OUT = resolve(args.find((a) => !a.startsWith('--')) || join(ROOT, 'screenshots'));
const tour = !args.includes('--cases');
const cases = !args.includes('--tour');
// --only=a,b: only these cases.
const only = (args.find((a) => a.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean);
mkdirSync(OUT, { recursive: true });

const server = await serve();
// dist/ without its wasm: a folder copied in part.
const broken = join(SCRATCH, 'shots-dist-no-wasm');
rmSync(broken, { recursive: true, force: true });
cpSync(DIST, broken, { recursive: true });
rmSync(join(broken, 'pkg', 'wimproof_bg.wasm'));
const brokenServer = await serve(broken);
const browser = await launch();
const shot = (page, name, full = true) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: full });

async function fresh(width, height, scheme = 'light', url = server.url, ready = 'wim-verifier input[type=file][multiple]') {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(url);
  // The element fills itself once the wasm core is loaded.
  await page.waitForSelector(ready, { state: 'attached' });
  return page;
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr}`);
}

// An install image of four editions (setup-editions.wim's two, and two
// more exported from them with other properties, as DISM's are), and the
// same as an ESD (solid LZMS, as Microsoft ships install.esd). Cached.
function editionsFixtures() {
  const dir = join(SCRATCH, 'shots');
  const wim = join(dir, 'install.wim');
  const esd = join(dir, 'install.esd');
  if (existsSync(wim) && existsSync(esd)) return { wim, esd };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const src = join(GENERATED, 'setup-editions.wim');
  run('wimlib-imagex', ['export', src, '1', wim, 'Windows 10 Home']);
  const set = (i, props) => run('wimlib-imagex', ['info', wim, String(i), ...props.flatMap((p) => ['--image-property', p])]);
  set(1, ['WINDOWS/EDITIONID=Core', 'FLAGS=Core', 'DISPLAYNAME=Windows 10 Home', 'DESCRIPTION=Windows 10 Home']);
  run('wimlib-imagex', ['export', src, '1', wim, 'Windows 10 Pro']);
  run('wimlib-imagex', ['export', src, '1', wim, 'Windows 10 Education']);
  set(3, ['WINDOWS/EDITIONID=Education', 'FLAGS=Education', 'DISPLAYNAME=Windows 10 Education', 'DESCRIPTION=Windows 10 Education']);
  run('wimlib-imagex', ['export', src, '2', wim, 'Windows 10 Enterprise']);
  run('wimlib-imagex', ['export', wim, 'all', esd, '--solid']);
  return { wim, esd };
}

async function verify(page, files) {
  await page.setInputFiles('wim-verifier input[type=file][multiple]', files);
  await page.waitForFunction((n) => {
    const cards = document.querySelectorAll('[data-wim-result]');
    return cards.length >= n && [...cards].every((c) => c.dataset.state !== 'running');
  }, files.length, { timeout: 120000 });
}

async function tourShots() {
  const large = largeFixture();
  let page = await fresh(1280, 860);
  await shot(page, '1-empty', false);

  await page.setInputFiles('wim-verifier input[type=file][multiple]', [large]);
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-wim-result] [role=progressbar]');
    return b && Number(b.getAttribute('aria-valuenow')) >= 15;
  }, null, { timeout: 60000, polling: 20 });
  await shot(page, '2-running', false);
  await page.click('[data-wim-result] button');
  await page.close();

  page = await fresh(1280, 860);
  await verify(page, [join(GENERATED, 'none-check.wim')]);
  await shot(page, '3-safe');
  await page.close();

  page = await fresh(1280, 860);
  await verify(page, [join(GENERATED, 'none-check--integrity.wim')]);
  await page.evaluate(() => document.querySelectorAll('wim-verifier details').forEach((d) => { d.open = true; }));
  await shot(page, '4-corrupt');
  await page.close();

  page = await fresh(390, 844);
  await verify(page, [join(GENERATED, 'lzx-64k.wim')]);
  await shot(page, '5-narrow');
  await page.close();

  page = await fresh(1280, 860, 'dark');
  await verify(page, [join(GENERATED, 'lzx--blob-data.wim'), join(GENERATED, 'multi.wim')]);
  await shot(page, '6-dark');
  await page.emulateMedia({ media: 'print' });
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  await shot(page, '7-print');
  await page.close();

  page = await fresh(1280, 860);
  await page.selectOption('select[name="target"]', 'wds');
  await verify(page, [join(GENERATED, 'delta-from.wim'), join(GENERATED, 'lzx.wim')]);
  await page.evaluate(() => document.querySelector('[data-wim-result] .wp-details details:nth-of-type(3)').open = true);
  await shot(page, '8-delta-with-base');
  await page.close();
}

async function caseShots() {
  const { wim, esd } = editionsFixtures();
  const foreign = join(GENERATED, 'foreign');
  run('bash', [join(ROOT, 'tests', 'fixtures', 'foreign.sh')]);
  run('bash', [join(ROOT, 'tests', 'fixtures', 'media.sh')]);
  const list = [
    ['editions', [wim]],
    ['noisy', [join(GENERATED, 'noisy.wim')]],
    ['esd', [esd]],
    ['boot', [join(GENERATED, 'setup-boot-x86.wim'), join(GENERATED, 'setup-editions.wim')]],
    ['foreign', [join(foreign, 'archive.zip'), join(foreign, 'disk.vhdx')]],
    // Install media with several WIMs (one corrupt, a split set), read in place.
    ['iso', [join(GENERATED, 'media', 'udf.iso')]],
    ['iso-no-wim', [join(GENERATED, 'media', 'no-wim.iso')]],
    ['no-wasm', null],
  ];
  for (const [name, files] of list) {
    if (only && !only.includes(name)) continue;
    for (const scheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const height = width === 390 ? 844 : 860;
        const page = files
          ? await fresh(width, height, scheme)
          : await fresh(width, height, scheme, brokenServer.url, '[data-wim-setup-error]');
        if (files) await verify(page, files);
        await shot(page, `${name}-${scheme}-${width}`);
        // What an admin sees first of a medium with several WIMs.
        if (name === 'iso') {
          await page.evaluate(() => document.querySelector('[data-wim-iso]').scrollIntoView());
          await shot(page, `${name}-${scheme}-${width}-top`, false);
        }
        await page.context().close();
      }
    }
  }
}

try {
  if (tour) await tourShots();
  if (cases) await caseShots();
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await server.close();
  await brokenServer.close();
}
