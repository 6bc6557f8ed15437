// <wim-verifier target="configmgr" remember>: the drop zone, the target
// selector and one result card per image, in light DOM so that a host page
// can style and query it. Fires `wim-verified` (detail: the report, as
// `wimproof --json --target <selected>` would print it) for each image, and
// `wim-verify-error` (detail: {file, name, message}) when one cannot be read.
//
// Contract for tests and embedders, on each card (one per image, a split
// set being one): data-wim-result, data-file-name, data-state (running,
// done, error, cancelled) and, when done, data-verdict (for the selected
// target), data-intact (true, false, unknown), data-sha256, data-sha1;
// in the error state, data-error: medium (install media with no WIM on
// it, or whose file system cannot be read), foreign (not a WIM: data-format
// names it, vhd, vhdx, zip, cab or ffu), setup (the web server's
// set-up: data-fault, see server-setup.js), internal (a wimproof bug) or
// read (the file could not be read). A fault of the server's set-up is
// also shown once, above the results (or in the element's place when the
// page cannot start), as [data-wim-setup-error] with data-fault, data-role
// (glue, wasm, worker) and data-status. Files given together that are
// wrong together (a boot.wim beside install images of another
// architecture) get a card [data-wim-medium] before theirs, data-codes
// listing the finding codes.
//
// Install media (an ISO) are read in place: the ISO's card becomes the
// medium's section [data-wim-iso] (medium-card.js: data-file-name, the
// ISO's name, data-file-system, data-wims, data-sha256/data-sha1 of the
// ISO) holding one [data-wim-result] card per WIM on it, whose
// data-file-name is the WIM's path on the medium; wim-verified fires for
// each, its report with a `container`.
//
// Attributes: target (a target ID, default configmgr), remember (keep the
// user's target choice in localStorage), digests (sha256 default, sha1,
// both, none).
//
// The element fills itself once the wasm core is loaded on the page's
// thread (verify.js ready(): the target list, grouping, checksum lists and
// the report for the selected target are the core's); if this browser
// cannot run it, the element says so instead.

import { groupSets, reportForTarget, ready, targets, defaultTarget, checksumList, mediumFindings } from './verify.js';
import { h, fill, renderSetupFault, renderMedium } from './render.js';
import { ResultCard } from './result-card.js';
import { renderMediumBody } from './medium-card.js';
import { adoptStyles } from './styles.js';

const TARGET_KEY = 'wimproof.target';
const SHA1_KEY = 'wimproof.sha1';

function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage may be disabled (private mode, policy); the choice then lasts the session.
  }
}

// ---- the element ------------------------------------------------------------

export class WimVerifier extends HTMLElement {
  static get observedAttributes() {
    return ['target'];
  }

  constructor() {
    super();
    this.cards = [];
    this.queue = [];
    this.busy = false;
    this.sums = null;
  }

  connectedCallback() {
    if (this.whenBuilt) return;
    adoptStyles(this.ownerDocument);
    this.replaceChildren(h('p', { class: 'wp-summary', role: 'status' }, 'Loading the verifier\u2026'));
    // Resolves once the element is filled (the core loaded); files given
    // before wait for it.
    this.whenBuilt = (async () => {
      try {
        await ready();
        this.targetList = await targets();
        this.defaultTarget = await defaultTarget();
      } catch (e) {
        this.replaceChildren(e && e.name === 'SetupError'
          ? renderSetupFault(e, 'load')
          : h('div', { class: 'wp-error', role: 'alert' },
            h('strong', null, 'The verifier cannot run in this browser'),
            h('span', null, e && e.message ? e.message : String(e))));
        throw e;
      }
      this.build();
    })();
    this.whenBuilt.catch(() => {});
  }

  attributeChangedCallback(name, _old, value) {
    if (name === 'target' && this.select && value && this.isTarget(value)) {
      this.setTarget(value, false);
    }
  }

  isTarget(id) {
    return !!id && (this.targetList || []).some((t) => t.id === id);
  }

  /** The selected target ID (before the element is filled: its attribute, if any). */
  get target() {
    return this.select ? this.select.value : (this.getAttribute('target') || this.defaultTarget || null);
  }

  get digests() {
    const attr = this.getAttribute('digests');
    if (attr) return attr;
    return this.sha1Box && this.sha1Box.checked ? 'both' : 'sha256';
  }

  /**
   * Reports of the images verified so far, for the selected target; for
   * install media, one per WIM on it (each with its `container`).
   */
  get reports() {
    return this.cards.flatMap((c) => (c.inner ? c.inner : [c]))
      .filter((c) => c.report).map((c) => reportForTarget(c.report, this.target));
  }

  /** Every card with a report (a medium's WIMs' included), and each medium card. */
  renderAll(digestsOnly) {
    for (const c of this.cards) {
      for (const x of c.inner || [c]) {
        if (x.report && x.el.getAttribute('data-state') === 'done') {
          if (digestsOnly) x.renderDigests();
          else x.render();
        }
      }
      if (c.medium) renderMediumBody(c);
    }
  }

  initialTarget() {
    if (this.hasAttribute('remember')) {
      const saved = storageGet(TARGET_KEY);
      if (this.isTarget(saved)) return saved;
    }
    const attr = this.getAttribute('target');
    return this.isTarget(attr) ? attr : this.defaultTarget;
  }

  build() {
    const uid = Math.random().toString(36).slice(2, 8);
    this.select = h('select', { name: 'target', class: 'wp-field', id: `wp-target-${uid}` },
      this.targetList.map((t) => h('option', { value: t.id }, t.title)));
    this.select.value = this.initialTarget();
    this.select.addEventListener('change', () => this.setTarget(this.select.value, true));

    this.sha1Box = h('input', { type: 'checkbox', name: 'sha1' });
    if (this.hasAttribute('remember') && storageGet(SHA1_KEY) === '1') this.sha1Box.checked = true;
    this.sha1Box.addEventListener('change', () => {
      if (this.hasAttribute('remember')) storageSet(SHA1_KEY, this.sha1Box.checked ? '1' : '0');
    });

    const listInput = h('input', { type: 'file', hidden: true, accept: '.sha256,.sha1,.sha256sum,.sha1sum,.txt,.sums,text/plain' });
    listInput.addEventListener('change', () => {
      if (listInput.files[0]) this.loadChecksumList(listInput.files[0]);
      listInput.value = '';
    });
    const listButton = h('button', { type: 'button', class: 'wp-btn' }, 'Load a checksum list\u2026');
    listButton.addEventListener('click', () => listInput.click());
    this.listStatus = h('span', { class: 'wp-list-status', role: 'status' });

    const toolbar = h('div', { class: 'wp-toolbar' },
      h('label', { for: this.select.id }, 'Deployment target', this.select),
      h('label', { class: 'wp-check' }, this.sha1Box, 'Also compute the SHA-1'),
      h('div', null, listButton, listInput),
      this.listStatus);

    this.fileInput = h('input', { type: 'file', multiple: true, hidden: true, accept: '.wim,.swm,.esd,.iso' });
    this.fileInput.addEventListener('change', () => {
      const files = Array.from(this.fileInput.files);
      this.fileInput.value = '';
      if (files.length) this.addFiles(files);
    });
    const pick = h('button', { type: 'button', class: 'wp-btn wp-btn-primary' }, 'Choose files\u2026');
    pick.addEventListener('click', () => this.fileInput.click());
    this.drop = h('div', { class: 'wp-drop', role: 'group', 'aria-label': 'Add WIM images' },
      h('p', { class: 'wp-drop-title' }, 'Drop .wim, .swm, .esd or .iso files here'),
      h('div', null, pick),
      h('p', { class: 'wp-drop-hint' }, 'Several files at once are fine; the parts of a split image (install.swm, install2.swm\u2026) are checked as one set, and a Windows ISO is read in place: every WIM on it, and the ISO\u2019s own SHA-256.'),
      this.fileInput);

    let depth = 0;
    this.addEventListener('dragenter', (e) => {
      if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
      e.preventDefault();
      depth += 1;
      this.drop.classList.add('wp-over');
    });
    this.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) this.drop.classList.remove('wp-over');
    });
    this.addEventListener('dragover', (e) => {
      if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    this.addEventListener('drop', (e) => {
      if (!e.dataTransfer) return;
      e.preventDefault();
      depth = 0;
      this.drop.classList.remove('wp-over');
      const files = Array.from(e.dataTransfer.files || []);
      if (files.length) this.addFiles(files);
    });

    this.live = h('div', { class: 'wp-sr', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.setupBox = h('div', { hidden: true });
    this.list = h('ol', { class: 'wp-results', 'aria-label': 'Results' });
    this.replaceChildren(toolbar, this.drop, this.live, this.setupBox, this.list);
  }

  /** Shows a fault of the server's set-up once, above the results. */
  showSetupFault(e) {
    fill(this.setupBox, renderSetupFault(e, 'verify'));
    this.setupBox.hidden = false;
  }

  /** Hides it once a verification got through (the server was fixed). */
  clearSetupFault() {
    if (!this.setupBox || this.setupBox.hidden) return;
    this.setupBox.hidden = true;
    this.setupBox.replaceChildren();
  }

  /**
   * Once every card of files given together is settled: the findings
   * over them as one medium (a boot.wim of another architecture than the
   * install images beside it), in a card before theirs; none if nothing is
   * wrong together.
   */
  updateMedium(batch) {
    if (!batch || batch.cards.some((c) => c.el.getAttribute('data-state') === 'running' || !c.el.isConnected)) return;
    const reports = batch.cards.filter((c) => c.report && c.el.getAttribute('data-state') === 'done').map((c) => c.report);
    const findings = reports.length > 1 ? mediumFindings(reports) : [];
    if (!findings.length) {
      if (batch.medium) batch.medium.remove();
      batch.medium = null;
      return;
    }
    const names = batch.cards.filter((c) => c.report).map((c) => c.name);
    const card = h('li', {
      class: 'wp-card wp-medium', 'data-wim-medium': '', 'aria-label': 'Files dropped together',
      'data-codes': [...new Set(findings.map((f) => f.code))].join(' '),
    }, renderMedium(names, findings));
    // Before the files' cards: each of those may say safe on its own.
    if (batch.medium) batch.medium.replaceWith(card);
    else batch.cards[0].el.before(card);
    batch.medium = card;
    this.announce(`The files dropped together: ${findings.length} ${findings.length === 1 ? 'finding' : 'findings'} about them as one medium.`);
  }

  announce(text) {
    // Replace the text so that screen readers read the new message once.
    this.live.textContent = text;
  }

  setTarget(value, byUser) {
    if (this.select.value !== value) this.select.value = value;
    if (byUser && this.hasAttribute('remember')) storageSet(TARGET_KEY, value);
    this.renderAll(false);
  }

  async loadChecksumList(file) {
    this.dropChecksumList();
    try {
      const list = await checksumList(await file.text());
      this.sums = { name: file.name, list };
      const rejected = Array.from(list.rejected);
      const skipped = rejected.length
        ? `; ${rejected.length === 1 ? 'line' : 'lines'} ${rejected.slice(0, 5).join(', ')}${rejected.length > 5 ? '\u2026' : ''} not understood`
        : '';
      fill(this.listStatus,
        `${file.name}: ${list.size} ${list.size === 1 ? 'entry' : 'entries'}${skipped} `,
        h('button', { type: 'button', class: 'wp-linkbtn', onclick: () => this.clearChecksumList() }, 'Clear'));
    } catch (e) {
      this.dropChecksumList();
      this.listStatus.textContent = `Could not read ${file.name}: ${e.message}`;
    }
    this.renderAll(true);
  }

  // Forgets the list (and frees the core's copy of it).
  dropChecksumList() {
    if (this.sums) this.sums.list.free();
    this.sums = null;
  }

  clearChecksumList() {
    this.dropChecksumList();
    this.listStatus.textContent = '';
    this.renderAll(true);
  }

  /**
   * Adds files (File[] or FileList) to verify; returns when they are
   * queued. Files given together may be each other's bases: a delta given
   * with its base is verified with it (verify.js verifySet).
   */
  async addFiles(files) {
    try {
      await this.whenBuilt;
    } catch {
      // The element says why it cannot run (in its own place).
      return;
    }
    const sets = await groupSets(files);
    // Files given together: each other's bases, and one medium.
    const batch = { cards: [], medium: null };
    for (const [i, set] of sets.entries()) {
      const card = new ResultCard(this, set, sets.filter((_, j) => j !== i).flat());
      card.batch = batch;
      batch.cards.push(card);
      this.cards.push(card);
      this.list.appendChild(card.el);
      this.enqueue(card, false);
    }
  }

  enqueue(card, again) {
    if (again) card.queued();
    this.queue.push(card);
    this.pump();
  }

  dequeue(card) {
    this.queue = this.queue.filter((c) => c !== card);
  }

  async pump() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length) {
        const card = this.queue.shift();
        await card.run();
        this.updateMedium(card.batch);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Removes every result (running ones are cancelled). */
  clear() {
    for (const c of this.cards) if (c.controller) c.controller.abort();
    this.queue = [];
    this.cards = [];
    this.list.replaceChildren();
  }
}

if (!customElements.get('wim-verifier')) customElements.define('wim-verifier', WimVerifier);

// The printed view shows every detail: open the closed sections for the
// print and close them again afterwards.
if (typeof window !== 'undefined' && !window.__wimproofPrintHook) {
  window.__wimproofPrintHook = true;
  let opened = [];
  window.addEventListener('beforeprint', () => {
    opened = Array.from(document.querySelectorAll('wim-verifier details:not([open])'));
    for (const d of opened) d.open = true;
  });
  window.addEventListener('afterprint', () => {
    for (const d of opened) d.open = false;
    opened = [];
  });
}
