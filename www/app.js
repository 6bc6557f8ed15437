// The page around <wim-verifier>: theme switch, sample images, drops
// anywhere on the page, and the printed view.

import { isSingleFile } from './verify.js';
import { adoptStyles } from './styles.js';
import './wim-verifier.js';

const THEME_KEY = 'wimproof.theme';
const THEMES = ['auto', 'light', 'dark'];
const THEME_LABEL = { auto: 'Theme: automatic', light: 'Theme: light', dark: 'Theme: dark' };

function readTheme() {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return THEMES.includes(t) ? t : 'auto';
  } catch {
    return 'auto';
  }
}

function applyTheme(t) {
  if (t === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
  const b = document.getElementById('theme');
  if (b) b.textContent = THEME_LABEL[t];
}

function setupTheme() {
  let theme = readTheme();
  applyTheme(theme);
  const b = document.getElementById('theme');
  if (!b) return;
  b.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // The choice lasts this visit.
    }
    applyTheme(theme);
  });
}

function setupSamples(verifier) {
  const p = document.getElementById('samples');
  if (!p) return;
  // From file:// nothing beside the page can be fetched; the single file
  // carries no samples.
  if (location.protocol === 'file:' || isSingleFile()) {
    p.hidden = true;
    return;
  }
  // A page that cannot start (the element says why) offers no samples.
  if (verifier.whenBuilt) verifier.whenBuilt.catch(() => { p.hidden = true; });
  for (const b of p.querySelectorAll('[data-sample]')) {
    b.addEventListener('click', async () => {
      const name = b.getAttribute('data-sample');
      try {
        const res = await fetch(new URL(`samples/${name}`, location.href));
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const file = new File([await res.blob()], name, { type: 'application/octet-stream' });
        await verifier.addFiles([file]);
      } catch (e) {
        verifier.announce(`The sample ${name} could not be loaded: ${e.message}`);
      }
    });
  }
}

function setupPageDrop(verifier) {
  // A file dropped beside the drop zone must not replace the page.
  window.addEventListener('dragover', (e) => {
    if (e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')) e.preventDefault();
  });
  window.addEventListener('drop', (e) => {
    if (!e.dataTransfer || verifier.contains(e.target)) return;
    e.preventDefault();
    const files = Array.from(e.dataTransfer.files || []);
    if (files.length) verifier.addFiles(files);
  });
}

adoptStyles(document);
setupTheme();
const verifier = document.querySelector('wim-verifier');
if (verifier) {
  setupSamples(verifier);
  setupPageDrop(verifier);
}
