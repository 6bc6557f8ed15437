// Install media on the page: an ISO's card becomes the medium's section
// once the core has listed it (verify.js onMedium): its heading (name,
// size, file system, how many WIMs), the pass's progress, then one result
// card per WIM on it (result-card.js InnerCard, data-file-name the WIM's
// path on the medium), an overview of which WIM is safe for which target,
// and the medium's digests with the expected-hash field (compared with the
// ISO's digest, which is what Microsoft and the volume-licensing portal
// publish) and the checksum list's line for the ISO's name.
//
// Contract, on the medium's element (which then is no [data-wim-result]
// itself): [data-wim-iso], data-file-name (the ISO's name), data-state
// (running, done), data-file-system (UDF, ISO 9660), data-wims (how many),
// and when done data-sha256 / data-sha1 (the medium's). A medium that
// cannot be verified stays a [data-wim-result] card in the error state,
// data-error="medium".

import { h, fill, formatBytes, verdictBadge, verdictFor, rich } from './render.js';
import { InnerCard, compareDigest, copyText, extractHex } from './result-card.js';

/** Turns `card` (an ISO's) into the medium's section with a card per WIM. */
export function becomeMedium(card, info) {
  const el = card.el;
  el.removeAttribute('data-wim-result');
  el.setAttribute('data-wim-iso', '');
  el.setAttribute('data-file-system', info.fileSystem);
  el.setAttribute('data-wims', String(info.wims.length));
  el.classList.add('wp-iso');
  card.medium = { info, digests: null, expected: '' };
  card.meta.textContent = `${formatBytes(info.size)} \u00b7 install media (${info.fileSystem}) \u00b7 ${info.wims.length} ${info.wims.length === 1 ? 'WIM' : 'WIMs'} on it`;
  card.progressText.textContent = `Reading ${info.name} once: its digest and every WIM on it\u2026`;
  card.inner = info.wims.map((path) => new InnerCard(card.owner, info, path));
  card.overview = h('div', { class: 'wp-iso-overview' });
  card.innerList = h('ol', { class: 'wp-results wp-iso-wims', 'aria-label': `The WIMs on ${info.name}` },
    card.inner.map((c) => c.el));
  // The overview (which WIM is safe where) first, then the medium's digest
  // (the body), then the WIMs' cards.
  card.body.before(card.overview);
  el.append(card.innerList);
  card.owner.announce(`${info.name}: install media with ${info.wims.length} ${info.wims.length === 1 ? 'WIM' : 'WIMs'}; verifying them in one pass.`);
}

/** Back to an ordinary card (verified again, cancelled, or failed mid-way). */
export function leaveMedium(card) {
  const el = card.el;
  if (card.innerList) card.innerList.remove();
  if (card.overview) card.overview.remove();
  for (const a of ['data-wim-iso', 'data-file-system', 'data-wims']) el.removeAttribute(a);
  el.setAttribute('data-wim-result', '');
  el.classList.remove('wp-iso');
  card.medium = null;
  card.inner = null;
  card.innerList = null;
  card.overview = null;
}

/** The medium's pass is done: each WIM's report to its card, then the medium's own parts. */
export function mediumDone(card, reports) {
  const el = card.el;
  const m = card.medium;
  const c = reports[0] && reports[0].container;
  m.digests = { sha256: c ? c.sha256 || null : null, sha1: c ? c.sha1 || null : null };
  el.removeAttribute('data-phase');
  el.setAttribute('data-state', 'done');
  if (m.digests.sha256) el.setAttribute('data-sha256', m.digests.sha256);
  if (m.digests.sha1) el.setAttribute('data-sha1', m.digests.sha1);
  card.button.hidden = true;
  card.owner.clearSetupFault();
  // Reports come in the order the WIMs were listed.
  reports.forEach((r, i) => {
    const inner = card.inner[i] || card.inner.find((x) => x.name === r.file.name);
    if (inner) inner.finished(r, card.elapsed);
  });
  renderMediumBody(card);
  card.owner.announce(`${m.info.name}: ${reports.length} ${reports.length === 1 ? 'WIM' : 'WIMs'} verified.`);
}

/** The medium's body: its digests and the overview (again when the target or the checksum list changes). */
export function renderMediumBody(card) {
  const m = card.medium;
  if (!m || !m.digests) return;
  const target = card.owner.target;
  const reports = card.inner.map((x) => x.report).filter(Boolean);
  fill(card.overview, renderOverview(reports, target, m.info));
  fill(card.body, renderMediumDigests(card));
}

// Which WIM is safe where: a row per WIM, a column per target, the selected
// target's first; each row links to the WIM's card.
function renderOverview(reports, target, info) {
  if (!reports.length) return null;
  const targets = reports[0].targets.slice().sort((a, b) => (b.id === target) - (a.id === target));
  const head = h('tr', null, h('th', { scope: 'col' }, `WIM on ${info.name}`),
    targets.map((t) => h('th', { scope: 'col', class: t.id === target ? 'wp-selected' : null }, t.title)));
  const rows = reports.map((r) => h('tr', { 'data-wim-path': r.file.name },
    h('th', { scope: 'row' }, h('span', { class: 'wp-iso-path' }, r.file.name),
      h('span', { class: 'wp-card-meta' }, `${formatBytes(r.file.size)} \u00b7 ${r.images.length} ${r.images.length === 1 ? 'image' : 'images'} \u00b7 ${r.intact === false ? 'corrupt' : r.intact === true ? 'intact' : 'not fully verifiable'}`)),
    targets.map((t) => h('td', { class: t.id === target ? 'wp-selected' : null, 'data-label': t.title, 'data-target': t.id },
      verdictBadge(verdictFor(r, t.id))))));
  const title = (targets.find((t) => t.id === target) || { title: target }).title;
  const count = (pred) => reports.filter((r) => pred(verdictFor(r, target))).length;
  const corrupt = reports.filter((r) => r.intact === false).length;
  const safe = count((v) => v === 'safe' || v === 'warning');
  const bits = [`${safe} of ${reports.length} ${reports.length === 1 ? 'WIM' : 'WIMs'} can be used for ${title}`];
  if (corrupt) bits.push(`${corrupt} ${corrupt === 1 ? 'is' : 'are'} corrupt: do not deploy ${corrupt === 1 ? 'it' : 'them'}`);
  const summary = `${bits.join('; ')}. Each WIM's card below says why.`;
  return [
    h('p', { class: 'wp-iso-summary' }, summary),
    h('div', { class: 'wp-scroll' }, h('table', { class: 'wp-matrix wp-iso-matrix' },
      h('caption', { class: 'wp-sr' }, 'Verdict of each WIM on the medium per deployment target'),
      h('thead', null, head), h('tbody', null, rows))),
    h('p', { class: 'wp-iso-narrow' }, 'The selected target only; each WIM\u2019s card below has every target.'),
  ];
}

function renderMediumDigests(card) {
  const m = card.medium;
  const rows = h('dl', { class: 'wp-digests' });
  for (const [alg, hex] of [['SHA-256', m.digests.sha256], ['SHA-1', m.digests.sha1]]) {
    if (!hex) continue;
    const copy = h('button', { type: 'button', class: 'wp-btn wp-btn-small', 'aria-label': `Copy the ${alg} of ${m.info.name}` }, 'Copy');
    copy.addEventListener('click', () => copyText(hex, copy));
    rows.appendChild(h('div', { class: 'wp-digest' },
      h('dt', null, alg), h('dd', null, h('span', { class: 'wp-hex' }, hex)), h('dd', null, copy)));
  }
  if (!m.digests.sha256 && !m.digests.sha1) rows.appendChild(h('p', { class: 'wp-summary' }, 'No digest of the medium was computed.'));
  const status = h('span', { class: 'wp-match', role: 'status' });
  const input = h('input', {
    type: 'text', class: 'wp-field', spellcheck: 'false', autocomplete: 'off',
    placeholder: 'Paste the expected SHA-256 or SHA-1 of the ISO', 'aria-label': `Expected SHA-256 or SHA-1 of ${m.info.name}`,
  });
  input.value = m.expected;
  const asReport = { digests: m.digests };
  const update = () => {
    m.expected = input.value;
    const hex = extractHex(input.value);
    const c = input.value.trim() ? (compareDigest(asReport, hex) || { state: 'none', text: 'Not a SHA-256 (64 hex digits) or SHA-1 (40).' }) : null;
    status.className = c ? `wp-match wp-match-${c.state}` : 'wp-match';
    status.textContent = c ? c.text : '';
  };
  input.addEventListener('input', update);
  update();
  let listLine = null;
  const sums = card.owner.sums;
  if (sums) {
    const want = JSON.parse(sums.list.expected(m.info.name));
    const hexes = [want.sha256, want.sha1].filter(Boolean);
    let c;
    if (!hexes.length) {
      c = { state: 'none', text: `Not in ${sums.name}.` };
    } else {
      const each = hexes.map((hex) => compareDigest(asReport, hex));
      const state = each.some((x) => x.state === 'bad') ? 'bad' : each.some((x) => x.state === 'ok') ? 'ok' : 'none';
      c = { state, text: each.map((x) => x.text.replace(/^[\u2713\u2715] /, '')).join('; ') };
    }
    listLine = h('p', { class: `wp-match wp-match-${c.state}` }, `Checksum list ${sums.name}: ${c.text}`);
  }
  return [
    h('h4', { class: 'wp-section-title' }, `Digest of ${m.info.name}`),
    rows, h('div', { class: 'wp-compare' }, input, status), listLine,
  ];
}

/** The error card of install media with no WIM on it, or that the core cannot read. */
export function renderMediumError(name, e) {
  const none = /with no WIM on it/.test(e.message || '');
  return h('div', { class: 'wp-error wp-foreign', role: 'alert' },
    h('strong', null, none ? 'Install media with no WIM on it: nothing to verify' : 'Install media whose file system cannot be read'),
    h('span', null, e.message || String(e)),
    h('p', { class: 'wp-summary' }, none
      ? rich(`There is no verdict: wimproof verifies the WIM images on install media (\`.wim\`, \`.esd\`, \`.swm\` files, anywhere on it) and found none on ${name}.`)
      : `There is no verdict: the UDF or ISO 9660 file system of ${name} could not be read, so no WIM on it was checked. A download that stopped early or a damaged copy reads so; fetch it again.`));
}
