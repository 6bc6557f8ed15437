// One result card: an image's (a WIM, or a split set), or a WIM's on
// install media (medium-card.js groups those under their ISO). It runs the
// verification (verify.js verifySet) and renders the report: the headline
// for the selected target, the target matrix, editions, digests with the
// expected-hash field and the checksum list's line, the details. The
// data-* contract it keeps is wim-verifier.js's.

import { verifySet, reportForTarget, editionRows } from './verify.js';
import {
  h, fill, formatBytes, formatDuration, renderHeadline, renderMatrix, renderDetails, renderEditions, renderForeign,
  checkedSummary, referenceNote, rich, verdictFor, intactWord,
} from './render.js';
import { becomeMedium, leaveMedium, mediumDone, renderMediumError } from './medium-card.js';

/** The 40- or 64-digit hex digest in pasted text (spaces allowed), lowercased. */
export function extractHex(text) {
  const s = String(text).trim();
  const compact = s.replace(/[\s:]/g, '');
  if (/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40})$/.test(compact)) return compact.toLowerCase();
  const m = /(?:^|[^0-9a-fA-F])([0-9a-fA-F]{64}|[0-9a-fA-F]{40})(?![0-9a-fA-F])/.exec(s);
  return m ? m[1].toLowerCase() : null;
}

export function compareDigest(report, hex) {
  if (!hex) return null;
  const have = hex.length === 64 ? report.digests.sha256 : report.digests.sha1;
  const alg = hex.length === 64 ? 'SHA-256' : 'SHA-1';
  if (!have) return { state: 'none', text: `The ${alg} was not computed for this file.` };
  return have === hex
    ? { state: 'ok', text: `\u2713 ${alg} matches` }
    : { state: 'bad', text: `\u2715 ${alg} differs: this is not the expected file` };
}

export async function copyText(text, button) {
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

export function downloadJson(report, fileName) {
  const blob = new Blob([JSON.stringify(report, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `${fileName}.wimproof.json` });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- one image's card -------------------------------------------------------

export class ResultCard {
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
    if (this.medium) leaveMedium(this);
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
    if (this.medium) leaveMedium(this);
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
        // Install media: this card becomes the medium's, one card per WIM.
        onMedium: (info) => becomeMedium(this, info),
      });
      this.controller = null;
      this.elapsed = (performance.now() - t0) / 1000;
      if (Array.isArray(report)) {
        mediumDone(this, report);
        return;
      }
      this.report = report;
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
    if (this.medium) leaveMedium(this);
    this.setState('error');
    this.el.removeAttribute('data-phase');
    this.button.textContent = 'Try again';
    this.button.setAttribute('aria-label', `Verify ${this.name} again`);
    const kind = e && e.name === 'ForeignFormat' && e.foreign ? 'foreign'
      : e && e.name === 'SetupError' ? 'setup'
        : e && e.name === 'MediumError' ? 'medium'
          : e && e.name === 'InternalError' ? 'internal' : 'read';
    this.el.setAttribute('data-error', kind);
    if (kind === 'medium') {
      // Install media with no WIM, or that cannot be read: nothing to try again.
      this.button.hidden = true;
      fill(this.body, renderMediumError(this.name, e));
      this.owner.announce(`${this.name}: install media with nothing wimproof can verify.`);
    } else if (kind === 'foreign') {
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


/**
 * The card of one WIM on install media (`path` on the medium `iso`'s
 * card, medium-card.js): verified by its medium's pass, so it has no
 * button of its own; its digests are the medium's (shown with the ISO).
 */
export class InnerCard extends ResultCard {
  constructor(owner, iso, path) {
    super(owner, [{ name: path, size: 0 }], []);
    this.iso = iso;
    this.batch = null;
    this.meta.textContent = `on ${iso.name}`;
    this.button.hidden = true;
    this.progressText.textContent = `Waiting for the pass over ${iso.name}\u2026`;
  }

  queued() {
    super.queued();
    this.button.hidden = true;
  }

  /** The report, from the medium's pass. */
  finished(report, elapsed) {
    this.report = report;
    this.elapsed = elapsed;
    this.meta.textContent = `${formatBytes(report.file.size)} on ${this.iso.name}`;
    this.done();
  }

  renderDigests() {
    fill(this.digestBox, h('p', { class: 'wp-summary' },
      `A WIM on install media is verified by its blobs and integrity table; its own whole-file digest is not computed (as the CLI's default). Compare the digest of ${this.iso.name} above with the one its publisher gives.`));
  }
}
