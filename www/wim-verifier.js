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
// in the error state, data-error: foreign (not a WIM: data-format names
// it, vhd, vhdx, zip, cab, 7z, ffu or iso), setup (the web server's
// set-up: data-fault, see server-setup.js), internal (a wimproof bug) or
// read (the file could not be read). A fault of the server's set-up is
// also shown once, above the results (or in the element's place when the
// page cannot start), as [data-wim-setup-error] with data-fault, data-role
// (glue, wasm, worker) and data-status. Files given together that are
// wrong together (a boot.wim beside install images of another
// architecture) get a card [data-wim-medium] before theirs, data-codes
// listing the finding codes.
//
// Attributes: target (a target ID, default configmgr), remember (keep the
// user's target choice in localStorage), digests (sha256 default, sha1,
// both, none).
//
// The element fills itself once the wasm core is loaded on the page's
// thread (verify.js ready(): the target list, grouping, checksum lists and
// the report for the selected target are the core's); if this browser
// cannot run it, the element says so instead.

import { verifySet, groupSets, reportForTarget, ready, targets, defaultTarget, checksumList, editionRows, mediumFindings } from './verify.js';
import {
  h, fill, formatBytes, formatDuration, renderHeadline, renderMatrix, renderDetails, renderEditions, renderForeign,
  renderSetupFault, renderMedium, checkedSummary, referenceNote, rich, verdictFor, intactWord,
} from './render.js';
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

/** The 40- or 64-digit hex digest in pasted text (spaces allowed), lowercased. */
function extractHex(text) {
  const s = String(text).trim();
  const compact = s.replace(/[\s:]/g, '');
  if (/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40})$/.test(compact)) return compact.toLowerCase();
  const m = /(?:^|[^0-9a-fA-F])([0-9a-fA-F]{64}|[0-9a-fA-F]{40})(?![0-9a-fA-F])/.exec(s);
  return m ? m[1].toLowerCase() : null;
}

function compareDigest(report, hex) {
  if (!hex) return null;
  const have = hex.length === 64 ? report.digests.sha256 : report.digests.sha1;
  const alg = hex.length === 64 ? 'SHA-256' : 'SHA-1';
  if (!have) return { state: 'none', text: `The ${alg} was not computed for this file.` };
  return have === hex
    ? { state: 'ok', text: `\u2713 ${alg} matches` }
    : { state: 'bad', text: `\u2715 ${alg} differs: this is not the expected file` };
}

async function copyText(text, button) {
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    // No async clipboard on plain-HTTP pages: copy through a selection.
    const ta = h('textarea', { class: 'wp-sr', readonly: true, 'aria-hidden': 'true' });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
  }
  const label = button.textContent;
  button.textContent = ok ? 'Copied' : 'Select and copy by hand';
  setTimeout(() => { button.textContent = label; }, 1600);
}

function downloadJson(report, fileName) {
  const blob = new Blob([JSON.stringify(report, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `${fileName}.wimproof.json` });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- one image's card -------------------------------------------------------

class ResultCard {
  // `bases`: the other files given with these (a delta's base among them
  // is used as its reference; see verify.js verifySet).
  constructor(owner, files, bases) {
    this.owner = owner;
    this.files = files;
    this.bases = bases;
    this.name = files[0].name;
    this.report = null;
    this.controller = null;
    this.expected = '';
    this.lastAnnounced = 0;
    const size = files.reduce((a, f) => a + f.size, 0);
    this.title = h('h3', { class: 'wp-card-title' }, this.name);
    this.meta = h('span', { class: 'wp-card-meta' },
      formatBytes(size) + (files.length > 1 ? ` in ${files.length} parts` : ''));
    this.button = h('button', { type: 'button', class: 'wp-btn' }, 'Cancel');
    this.button.addEventListener('click', () => this.onButton());
    this.body = h('div');
    this.el = h('li', { class: 'wp-card', 'data-wim-result': '', 'data-file-name': this.name, 'aria-label': this.name },
      h('div', { class: 'wp-card-head' }, this.title, this.meta, this.button),
      this.body);
    this.queued();
  }

  setState(state) {
    const el = this.el;
    el.setAttribute('data-state', state);
    if (state !== 'done') {
      for (const a of ['data-verdict', 'data-intact', 'data-sha256', 'data-sha1']) el.removeAttribute(a);
    }
    if (state !== 'error') {
      for (const a of ['data-error', 'data-format', 'data-fault']) el.removeAttribute(a);
    }
  }

  queued() {
    this.setState('running');
    this.el.setAttribute('data-phase', 'queued');
    this.button.textContent = 'Cancel';
    this.button.hidden = false;
    this.button.setAttribute('aria-label', `Cancel verifying ${this.name}`);
    this.bar = h('div', { class: 'wp-bar', role: 'progressbar', 'aria-label': `Progress of ${this.name}`, 'aria-valuemin': '0', 'aria-valuemax': '100' }, h('div'));
    this.progressText = h('div', { class: 'wp-progress-text' }, 'Waiting for the image before it\u2026');
    fill(this.body, h('div', { class: 'wp-progress' }, this.bar, this.progressText));
  }

  onButton() {
    const state = this.el.getAttribute('data-state');
    if (state === 'running') this.cancel();
    else this.owner.enqueue(this, true);
  }

  cancel() {
    if (this.controller) this.controller.abort();
    else this.owner.dequeue(this);
    this.cancelled();
  }

  cancelled() {
    this.controller = null;
    this.setState('cancelled');
    this.el.removeAttribute('data-phase');
    this.button.textContent = 'Verify again';
    this.button.setAttribute('aria-label', `Verify ${this.name} again`);
    fill(this.body, h('p', { class: 'wp-summary' }, 'Cancelled. Nothing was kept in memory.'));
    this.owner.announce(`${this.name}: cancelled.`);
    this.owner.updateMedium(this.batch);
  }

  async run() {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.el.setAttribute('data-phase', 'opening');
    this.bar.classList.add('wp-indeterminate');
    this.progressText.textContent = 'Reading the header, tables and directory trees\u2026';
    this.owner.announce(`Verifying ${this.name}.`);
    const t0 = performance.now();
    try {
      const report = await verifySet(this.files, {
        target: this.owner.target,
        digests: this.owner.digests,
        bases: this.bases,
        signal,
        onProgress: (p) => this.progress(p),
      });
      this.controller = null;
      this.report = report;
      this.elapsed = (performance.now() - t0) / 1000;
      this.done();
    } catch (e) {
      this.controller = null;
      if (e && e.name === 'AbortError') {
        if (this.el.getAttribute('data-state') !== 'cancelled') this.cancelled();
        return;
      }
      this.failed(e);
    }
  }

  progress(p) {
    if (p.phase === 'opening') {
      // Phase 1: the bar stays indeterminate; the text says how far the
      // directory-tree walk is (large install images take seconds).
      if (p.total > 0 && p.step) {
        const pct = Math.min(100, Math.floor((p.done / p.total) * 100));
        const of = p.step === 'blob table' ? 'the blob table' : 'the trees';
        this.progressText.textContent = `Reading the header, tables and directory trees\u2026 ${pct}% of ${of}`;
      }
      return;
    }
    this.el.setAttribute('data-phase', p.phase === 'done' ? 'finishing' : 'reading');
    this.bar.classList.remove('wp-indeterminate');
    const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : 100;
    // In tenths of a percent, for the bar (a write that changes nothing is
    // skipped) and the text, which then moves every 0.1% of the file (10 MiB
    // of a 10 GiB image: twice a second at 20 MiB/s).
    const tenths = `${pct.toFixed(1)}%`;
    if (this.bar.firstChild.style.width !== tenths) this.bar.firstChild.style.width = tenths;
    this.bar.setAttribute('aria-valuenow', String(Math.floor(pct)));
    const bits = [tenths, `${formatBytes(p.done)} of ${formatBytes(p.total)}`];
    if (p.bytesPerSecond) bits.push(`${(p.bytesPerSecond / 1048576).toFixed(0)} MiB/s`);
    if (p.secondsLeft !== null && p.secondsLeft !== undefined && p.done < p.total) {
      bits.push(`about ${formatDuration(p.secondsLeft)} left`);
    }
    const text = bits.join(' \u00b7 ');
    if (this.progressText.textContent !== text) this.progressText.textContent = text;
    const quarter = Math.floor(pct / 25);
    if (quarter > this.lastAnnounced && quarter < 4) {
      this.lastAnnounced = quarter;
      this.owner.announce(`${this.name}: ${quarter * 25} percent.`);
    }
  }

  failed(e) {
    this.setState('error');
    this.el.removeAttribute('data-phase');
    this.button.textContent = 'Try again';
    this.button.setAttribute('aria-label', `Verify ${this.name} again`);
    const kind = e && e.name === 'ForeignFormat' && e.foreign ? 'foreign'
      : e && e.name === 'SetupError' ? 'setup'
        : e && e.name === 'InternalError' ? 'internal' : 'read';
    this.el.setAttribute('data-error', kind);
    if (kind === 'foreign') {
      // Not a WIM: nothing to try again.
      this.el.setAttribute('data-format', e.foreign.format);
      this.button.hidden = true;
      fill(this.body, renderForeign(this.name, e.foreign));
      this.owner.announce(`${this.name}: not a WIM file; it looks like ${e.foreign.what}.`);
    } else if (kind === 'setup') {
      // The server's fault, said once above the results; here, that
      // nothing was checked.
      this.el.setAttribute('data-fault', e.fault);
      this.owner.showSetupFault(e);
      fill(this.body, h('div', { class: 'wp-error', role: 'alert' },
        h('strong', null, 'Not verified: the web server is not set up for this page'),
        h('span', null, 'See above for what to change on the server. This says nothing about the file itself.')));
      this.owner.announce(`${this.name}: not verified, the web server is not set up for this page.`);
    } else {
      const internal = kind === 'internal';
      fill(this.body, h('div', { class: 'wp-error', role: 'alert' },
        h('strong', null, internal ? 'wimproof failed on this file (a bug: please report it)' : 'This file could not be read to the end, so there is no verdict'),
        h('span', null, e && e.message ? e.message : String(e)),
        internal ? null : h('p', { class: 'wp-summary' }, 'If the file is on a network share, check that it is still there and was not changed while it was read, then try again.')));
      this.owner.announce(`${this.name}: could not be verified.`);
    }
    this.owner.dispatchEvent(new CustomEvent('wim-verify-error', {
      bubbles: true, composed: true,
      detail: {
        file: this.name, name: e && e.name, message: e && e.message, kind,
        format: kind === 'foreign' ? e.foreign.format : undefined,
        fault: kind === 'setup' ? e.fault : undefined,
      },
    }));
  }

  done() {
    const r = this.report;
    this.el.removeAttribute('data-phase');
    this.button.hidden = true;
    this.owner.clearSetupFault();
    this.render();
    this.setState('done');
    this.owner.announce(`${this.name}: ${this.headlineText()}`);
    this.owner.dispatchEvent(new CustomEvent('wim-verified', {
      bubbles: true, composed: true, detail: reportForTarget(r, this.owner.target),
    }));
  }

  headlineText() {
    const hl = this.body.querySelector('[data-wp-headline] .wp-headline-text');
    return hl ? hl.textContent : '';
  }

  render() {
    const r = this.report;
    const target = this.owner.target;
    const el = this.el;
    el.setAttribute('data-verdict', verdictFor(r, target));
    el.setAttribute('data-intact', intactWord(r.intact));
    if (r.digests.sha256) el.setAttribute('data-sha256', r.digests.sha256);
    else el.removeAttribute('data-sha256');
    if (r.digests.sha1) el.setAttribute('data-sha1', r.digests.sha1);
    else el.removeAttribute('data-sha1');

    this.digestBox = h('div');
    this.renderDigests();
    const json = h('button', { type: 'button', class: 'wp-btn' }, 'Download report (JSON)');
    json.addEventListener('click', () => downloadJson(reportForTarget(r, this.owner.target), this.name));
    const print = h('button', { type: 'button', class: 'wp-btn' }, 'Print');
    print.addEventListener('click', () => window.print());
    // A re-render (another target chosen) keeps the sections the user opened.
    const wasOpen = [...this.body.querySelectorAll('.wp-details details')].map((d) => d.open);
    fill(this.body,
      renderHeadline(r, target),
      h('p', { class: 'wp-summary' }, checkedSummary(r)),
      referenceNote(r) ? h('p', { class: 'wp-summary', 'data-wp-references': '' }, rich(referenceNote(r))) : null,
      h('h4', { class: 'wp-section-title' }, 'Deployment targets'),
      renderMatrix(r, target),
      h('h4', { class: 'wp-section-title' }, 'Editions'),
      renderEditions(editionRows(r)),
      h('h4', { class: 'wp-section-title' }, 'Digests'),
      this.digestBox,
      renderDetails(r),
      h('div', { class: 'wp-actions' }, json, print,
        h('span', { class: 'wp-card-meta' },
          `Verified in ${formatDuration(this.elapsed) || '0 s'} on ${r.checked_at.replace('T', ' ').replace('Z', ' UTC')} \u00b7 wimproof ${r.tool.version}`)));
    if (wasOpen.length) {
      this.body.querySelectorAll('.wp-details details').forEach((d, i) => {
        if (i < wasOpen.length) d.open = wasOpen[i];
      });
    }
  }

  renderDigests() {
    const r = this.report;
    const rows = h('dl', { class: 'wp-digests' });
    for (const [alg, hex] of [['SHA-256', r.digests.sha256], ['SHA-1', r.digests.sha1]]) {
      if (!hex) continue;
      const copy = h('button', { type: 'button', class: 'wp-btn wp-btn-small', 'aria-label': `Copy the ${alg}` }, 'Copy');
      copy.addEventListener('click', () => copyText(hex, copy));
      rows.appendChild(h('div', { class: 'wp-digest' },
        h('dt', null, alg), h('dd', null, h('span', { class: 'wp-hex' }, hex)), h('dd', null, copy)));
    }
    if (!r.digests.sha256 && !r.digests.sha1) {
      rows.appendChild(h('p', { class: 'wp-summary' },
        r.parts && r.parts.length ? 'A split set has one digest per part (see Split parts below).' : 'No whole-file digest was computed.'));
    }
    const status = h('span', { class: 'wp-match', role: 'status' });
    const input = h('input', {
      type: 'text', class: 'wp-field', spellcheck: 'false', autocomplete: 'off',
      placeholder: 'Paste the expected SHA-256 or SHA-1', 'aria-label': `Expected SHA-256 or SHA-1 of ${this.name}`,
    });
    input.value = this.expected;
    const update = () => {
      this.expected = input.value;
      const hex = extractHex(input.value);
      const c = input.value.trim() ? (compareDigest(r, hex) || { state: 'none', text: 'Not a SHA-256 (64 hex digits) or SHA-1 (40).' }) : null;
      status.className = c ? `wp-match wp-match-${c.state}` : 'wp-match';
      status.textContent = c ? c.text : '';
    };
    input.addEventListener('input', update);
    update();
    const listLine = this.listComparison();
    fill(this.digestBox, rows, h('div', { class: 'wp-compare' }, input, status), listLine);
  }

  listComparison() {
    const sums = this.owner.sums;
    if (!sums) return null;
    // What the list expects of this file ({sha256?, sha1?}), by the core's
    // rule: base name, without case.
    const want = JSON.parse(sums.list.expected(this.name));
    const hexes = [want.sha256, want.sha1].filter(Boolean);
    let c;
    if (!hexes.length) {
      c = { state: 'none', text: `Not in ${sums.name}.` };
    } else {
      const each = hexes.map((hex) => compareDigest(this.report, hex));
      const state = each.some((x) => x.state === 'bad') ? 'bad' : each.some((x) => x.state === 'ok') ? 'ok' : 'none';
      c = { state, text: each.map((x) => x.text.replace(/^[\u2713\u2715] /, '')).join('; ') };
    }
    return h('p', { class: `wp-match wp-match-${c.state}` }, `Checksum list ${sums.name}: ${c.text}`);
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

  /** Reports of the images verified so far, for the selected target. */
  get reports() {
    return this.cards.filter((c) => c.report).map((c) => reportForTarget(c.report, this.target));
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

    this.fileInput = h('input', { type: 'file', multiple: true, hidden: true, accept: '.wim,.swm,.esd' });
    this.fileInput.addEventListener('change', () => {
      const files = Array.from(this.fileInput.files);
      this.fileInput.value = '';
      if (files.length) this.addFiles(files);
    });
    const pick = h('button', { type: 'button', class: 'wp-btn wp-btn-primary' }, 'Choose files\u2026');
    pick.addEventListener('click', () => this.fileInput.click());
    this.drop = h('div', { class: 'wp-drop', role: 'group', 'aria-label': 'Add WIM images' },
      h('p', { class: 'wp-drop-title' }, 'Drop .wim or .swm files here'),
      h('div', null, pick),
      h('p', { class: 'wp-drop-hint' }, 'Several files at once are fine; the parts of a split image (install.swm, install2.swm\u2026) are checked as one set.'),
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
    for (const c of this.cards) {
      if (c.report && c.el.getAttribute('data-state') === 'done') c.render();
    }
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
    for (const c of this.cards) if (c.report) c.renderDigests();
  }

  // Forgets the list (and frees the core's copy of it).
  dropChecksumList() {
    if (this.sums) this.sums.list.free();
    this.sums = null;
  }

  clearChecksumList() {
    this.dropChecksumList();
    this.listStatus.textContent = '';
    for (const c of this.cards) if (c.report) c.renderDigests();
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
