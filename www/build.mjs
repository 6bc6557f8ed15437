// Builds the page into OUT_DIR with esbuild (scripts/build-web.sh runs this
// after building pkg/, the wasm and its wasm-bindgen glue):
//
//   index.html, app.js, verify.js, wim-verifier.js, ...
//                   the page's ES modules as written (the embedding API,
//                   verify.js and wim-verifier.js, is imported from them);
//                   verify.js imports the wasm-bindgen glue as
//                   ./pkg/wimproof.js, beside it in dist/ (and bundled from
//                   pkg/ into the single file)
//   worker.js       worker.js, the modules it imports and the wasm-bindgen
//                   glue bundled into one classic script
//   pkg/            the wasm (fetched by verify.js) and its glue
//   wimproof.html   the page as one self-contained file that works from a
//                   file share or file:// (where workers by URL, fetch and
//                   module imports all fail): the page's modules bundled
//                   into one inline module script, the worker bundle in a
//                   non-executed <script type="text/plain"> block (the
//                   page starts it from a Blob URL), the wasm as base64 in
//                   another (the page compiles it once and posts the module
//                   to the workers), and a Content-Security-Policy that
//                   allows the one inline script by its SHA-256.
//
// Usage: node www/build.mjs OUT_DIR VERSION [--no-samples]
//   --no-samples: leave out the "try a sample" links (no samples/ to serve)

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WWW = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(WWW, '..', 'pkg');

function die(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const samples = !args.includes('--no-samples');
const [out, version] = args.filter((a) => !a.startsWith('--'));
if (!out || !version) die('usage: node www/build.mjs OUT_DIR VERSION [--no-samples]');

// Both bundles are readable (not minified): the single file is a security
// tool that an admin may want to read before trusting it.
const common = { bundle: true, write: false, charset: 'utf8', logLevel: 'warning', legalComments: 'inline' };

// The worker: a classic script, so that the served page and the single
// file start the same code (module workers from Blob URLs are newer). The
// glue's import.meta.url only locates the .wasm by URL, which the workers
// never do (they get the compiled module).
const worker = await esbuild.build({
  ...common,
  entryPoints: [join(WWW, 'worker.js')],
  format: 'iife',
  define: { 'import.meta.url': 'self.location.href' },
});
const workerJs = worker.outputFiles[0].text;

// The page's modules import the glue as ./pkg/wimproof.js, where dist/
// serves it; in the source tree it is the repository's pkg/.
const gluePath = join(PKG, 'wimproof.js');
const glue = {
  name: 'wimproof-glue',
  setup(b) {
    b.onResolve({ filter: /^\.\/pkg\/wimproof\.js$/ }, (a) => (a.importer.startsWith(WWW + sep) ? { path: gluePath } : undefined));
  },
};

// The page in one module, for the single file; its inputs are the page's
// modules that dist/ serves as they are, and the glue.
const page = await esbuild.build({
  ...common,
  entryPoints: [join(WWW, 'app.js')],
  format: 'esm',
  metafile: true,
  plugins: [glue],
});
const pageJs = page.outputFiles[0].text;
const pageModules = Object.keys(page.metafile.inputs).map((p) => resolve(p)).filter((p) => p !== gluePath);
for (const p of pageModules) {
  if (!p.startsWith(WWW + sep) || relative(WWW, p).includes(sep)) {
    die(`${p}: the page's modules must all be in www/ itself (dist/ serves them as they are)`);
  }
}

function check(text, what) {
  const low = text.toLowerCase();
  for (const bad of ['</script', '<!--']) {
    if (low.includes(bad)) die(`${what} contains ${JSON.stringify(bad)}; it cannot be inlined in a <script> block`);
  }
}
check(pageJs, 'the page bundle');
check(workerJs, 'the worker bundle');

// Replaces the one occurrence of `from` in `text`, or fails the build.
function replaceOnce(text, from, to, what) {
  const i = text.indexOf(from);
  if (i < 0 || text.indexOf(from, i + 1) >= 0) die(`index.html does not have exactly one ${what}`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

let html = readFileSync(join(WWW, 'index.html'), 'utf8').replaceAll('__WIMPROOF_VERSION__', version);
if (!samples) {
  // No samples: drop the links rather than leave them failing.
  const links = /\s*<p class="wp-samples" id="samples">[\s\S]*?<\/p>/;
  if (!links.test(html)) die('index.html has no sample links to leave out');
  html = html.replace(links, '');
}

// ---- dist/ ------------------------------------------------------------------
mkdirSync(join(out, 'pkg'), { recursive: true });
for (const p of pageModules) copyFileSync(p, join(out, relative(WWW, p)));
copyFileSync(join(WWW, 'favicon.svg'), join(out, 'favicon.svg'));
copyFileSync(join(PKG, 'wimproof.js'), join(out, 'pkg', 'wimproof.js'));
copyFileSync(join(PKG, 'wimproof_bg.wasm'), join(out, 'pkg', 'wimproof_bg.wasm'));
writeFileSync(join(out, 'worker.js'), workerJs);
writeFileSync(join(out, 'index.html'), html);

// ---- wimproof.html ----------------------------------------------------------
// The served page's policy, with only what the single file needs changed:
// scripts are the one inline script (by its hash) and wasm, workers come
// from Blob URLs, the icon is a data: URL.
const CSP = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/;
const served = CSP.exec(html);
if (!served) die('index.html has no Content-Security-Policy');
const scriptHash = createHash('sha256').update(pageJs, 'utf8').digest('base64');
const changed = {
  'script-src': `'sha256-${scriptHash}' 'wasm-unsafe-eval'`,
  'worker-src': 'blob:',
  'img-src': 'data:',
};
const directives = served[1].split(';').map((d) => d.trim()).filter(Boolean);
for (const name of Object.keys(changed)) {
  if (!directives.some((d) => d.split(/\s+/)[0] === name)) die(`index.html's policy has no ${name}`);
}
const csp = directives.map((d) => {
  const name = d.split(/\s+/)[0];
  return name in changed ? `${name} ${changed[name]}` : d;
}).join('; ');
const icon = readFileSync(join(WWW, 'favicon.svg'), 'utf8').trim();
const wasm = readFileSync(join(PKG, 'wimproof_bg.wasm')).toString('base64');

let single = html;
single = replaceOnce(single, served[0], `<meta http-equiv="Content-Security-Policy" content="${csp}">`, 'Content-Security-Policy');
single = replaceOnce(single, '<script type="module" src="app.js"></script>\n', '', 'app.js script tag');
single = replaceOnce(single, '<link rel="icon" href="favicon.svg" type="image/svg+xml">',
  `<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(icon)}" type="image/svg+xml">`, 'icon link');
const blocks = '<script type="text/plain" id="wimproof-worker">\n' + workerJs + '</script>\n'
  // Line-wrapped so editors and diff tools cope with the file.
  + '<script type="application/octet-stream" id="wimproof-wasm">\n' + wasm.replace(/.{120}/g, '$&\n') + '\n</script>\n'
  + '<script type="module">' + pageJs + '</script>\n';
single = replaceOnce(single, '</body>', blocks + '</body>', '</body>');
writeFileSync(join(out, 'wimproof.html'), single);
