// Takes screenshots of the page for a human to look at (not a test):
// empty, running, a safe result, a corrupt result, a narrow window, dark,
// printed, and a delta verified with its base (dropped together).
// Writes them to screenshots/ at the repository root (not committed).
//
// Usage: node tests/browser/screenshots.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, serve, launch, largeFixture, GENERATED } from './lib.mjs';

const OUT = join(ROOT, 'screenshots');
mkdirSync(OUT, { recursive: true });

const server = await serve();
const browser = await launch();
const shot = (page, name, full = true) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: full });

async function fresh(width, height, scheme = 'light') {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(server.url);
  // The element fills itself once the wasm core is loaded.
  await page.waitForSelector('wim-verifier input[type=file][multiple]', { state: 'attached' });
  return page;
}

async function verify(page, files) {
  await page.setInputFiles('wim-verifier input[type=file][multiple]', files);
  await page.waitForFunction((n) => {
    const cards = document.querySelectorAll('[data-wim-result]');
    return cards.length >= n && [...cards].every((c) => c.dataset.state !== 'running');
  }, files.length, { timeout: 120000 });
}

const large = largeFixture();
try {
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
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await server.close();
}
