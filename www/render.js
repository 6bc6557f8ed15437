// Renders a report (the core's JSON) as DOM. Everything that comes from the
// file (image names, descriptions, paths, finding messages) is attacker-
// controlled: it only ever reaches the page through textContent and
// attribute values set with setAttribute, never through innerHTML.

import { knownTargets } from './verify.js';

/** Creates an element; string and number children become text nodes. */
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  appendAll(e, children);
  return e;
}

/** Replaces an element's children (null, undefined and false are skipped). */
export function fill(e, ...children) {
  e.replaceChildren();
  appendAll(e, children);
  return e;
}

/**
 * Text from the report with `backtick` spans (commands in remedies) as
 * <code>; the pieces are text nodes, so markup in the text stays text.
 */
export function rich(text) {
  const parts = String(text).split('`');
  if (parts.length < 3) return String(text);
  // With an odd number of backticks the last one is literal.
  const paired = parts.length % 2 === 1 ? parts.length : parts.length - 1;
  const out = [];
  for (let i = 0; i < paired; i++) out.push(i % 2 ? h('code', null, parts[i]) : parts[i]);
  if (paired < parts.length) out.push('`' + parts[paired]);
  return out;
}

function appendAll(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) appendAll(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

// ---- formatting -------------------------------------------------------------

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 4939852464 -> "4.6 GiB". */
export function formatBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '?';
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

/** 4939852464 -> "4,939,852,464". By hand: the first toLocaleString()
 * builds an ICU number formatter, about 30 ms of main thread here. */
export function formatCount(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '?';
  const [whole, frac] = String(Math.abs(n)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** "4.6 GiB (4,939,852,464 bytes)". */
export function formatBytesExact(n) {
  return n < 1024 ? formatBytes(n) : `${formatBytes(n)} (${formatCount(n)} bytes)`;
}

/** "offset 4,298,125,369 (0x100303039)". */
export function formatOffset(n) {
  return `${formatCount(n)} (0x${n.toString(16)})`;
}

export function formatDuration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '';
  if (s < 1) return 'under a second';
  if (s < 90) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 90) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const VERDICT_LABEL = {
  safe: 'Safe',
  warning: 'Caveats',
  unsafe: 'Unsafe',
  corrupt: 'Corrupt',
  unverified: 'Unverified',
};
const VERDICT_ICON = { safe: '\u2713', warning: '!', unsafe: '\u2715', corrupt: '\u2715', unverified: '?' };

export function verdictBadge(v) {
  return h('span', { class: `wp-badge wp-v-${v}` },
    h('span', { 'aria-hidden': 'true' }, `${VERDICT_ICON[v] || ''} `), VERDICT_LABEL[v] || v);
}

function targetTitle(report, id) {
  const t = report.targets.find((x) => x.id === id);
  return t ? t.title : (knownTargets().find((x) => x.id === id) || { title: id }).title;
}

/** The selected target's verdict, from the report's per-target results. */
export function verdictFor(report, target) {
  const t = report.targets.find((x) => x.id === target);
  return t ? t.verdict : report.verdict;
}

export function intactWord(intact) {
  if (intact === true) return 'true';
  if (intact === false) return 'false';
  return 'unknown';
}

// ---- headline ---------------------------------------------------------------

function firstReason(report, target, verdict) {
  const t = report.targets.find((x) => x.id === target);
  if (!t) return null;
  return t.reasons.find((r) => r.verdict === verdict) || null;
}

/** One line that says it all: intact or not, safe or not for the target. */
export function renderHeadline(report, target) {
  const v = verdictFor(report, target);
  const title = targetTitle(report, target);
  let text;
  let sub = null;
  const corrupt = report.findings.filter((f) => f.severity === 'corruption');
  if (report.intact === false) {
    text = 'Corrupt \u2014 do not deploy this image';
    sub = `${corrupt.length} ${corrupt.length === 1 ? 'problem' : 'problems'} found. First: ${corrupt[0] ? corrupt[0].message : ''}`;
  } else if (v === 'corrupt') {
    text = 'Corrupt \u2014 do not deploy this image';
    const r = firstReason(report, target, 'corrupt');
    sub = r ? r.text : null;
  } else {
    const lead = report.intact === true ? 'Intact' : 'Not fully verifiable';
    const what = {
      safe: `safe for ${title}`,
      warning: `works for ${title}, with caveats`,
      unsafe: `not safe for ${title}`,
      unverified: `cannot be confirmed safe for ${title}`,
    }[v] || v;
    text = `${lead} \u2014 ${what}`;
    const r = v === 'safe' ? null : firstReason(report, target, v);
    if (r) sub = r.text;
    else if (v === 'safe') sub = 'Every check passed. Nothing stands in the way of this target.';
  }
  return h('div', { class: `wp-headline wp-v-${v}`, 'data-wp-headline': '' },
    h('div', { class: 'wp-headline-icon', 'aria-hidden': 'true' }, VERDICT_ICON[v] || ''),
    h('div', { class: 'wp-headline-text' }, text),
    sub ? h('div', { class: 'wp-headline-sub' }, rich(sub)) : null);
}

/** "Checked 15 blobs (SHA-1), 1 integrity chunk and the whole-file SHA-256." */
export function checkedSummary(report) {
  const c = report.checked;
  const bits = [];
  const blobs = c.blobs_verified + c.blobs_corrupt + c.blobs_unverified;
  bits.push(`${formatCount(blobs)} ${blobs === 1 ? 'resource' : 'resources'} by SHA-1` +
    (c.blobs_corrupt ? ` (${formatCount(c.blobs_corrupt)} bad)` : '') +
    (c.blobs_unverified ? ` (${formatCount(c.blobs_unverified)} not checkable)` : ''));
  if (report.integrity.present) {
    bits.push(`${formatCount(report.integrity.checked)} of ${formatCount(report.integrity.chunks)} integrity chunks` +
      (report.integrity.bad_chunks.length ? ` (${report.integrity.bad_chunks.length} bad)` : ''));
  }
  const d = [];
  if (report.digests.sha256 || (report.parts || []).some((p) => p.digests.sha256)) d.push('SHA-256');
  if (report.digests.sha1 || (report.parts || []).some((p) => p.digests.sha1)) d.push('SHA-1');
  if (d.length) bits.push(`the whole-file ${d.join(' and ')}`);
  const last = bits.pop();
  return `Checked ${bits.length ? bits.join(', ') + ' and ' : ''}${last}; ${formatBytes(report.checked.uncompressed_bytes)} of data decoded.`;
}

// ---- target matrix ------------------------------------------------------------

function reasonKey(r) {
  return `${r.verdict}\u0000${r.code}\u0000${r.text}`;
}

function renderReason(r) {
  return h('li', { class: r.verdict === 'safe' ? 'wp-reason wp-reason-muted' : 'wp-reason' },
    rich(r.text),
    r.kb ? h('span', { class: 'wp-kb' }, r.kb) : null,
    r.remedy ? h('span', { class: 'wp-remedy' }, h('b', null, 'Remedy: '), rich(r.remedy)) : null);
}

/**
 * The per-target matrix. Reasons that apply to every target (corruption,
 * findings about the file itself) are listed once above it; each row keeps
 * what is particular to its target.
 */
export function renderMatrix(report, target) {
  const targets = report.targets;
  const common = targets.length > 1
    ? (targets[0].reasons || []).filter((r) => targets.every((t) => t.reasons.some((x) => reasonKey(x) === reasonKey(r))))
    : [];
  const commonKeys = new Set(common.map(reasonKey));
  const body = h('tbody');
  for (const t of targets) {
    const own = t.reasons.filter((r) => !commonKeys.has(reasonKey(r)));
    const reasons = h('ul', { class: 'wp-reasons' }, own.map(renderReason));
    if (!own.length) {
      const text = common.some((r) => r.verdict !== 'safe') ? 'As above.' : 'Nothing stands in the way.';
      reasons.appendChild(h('li', { class: 'wp-reason wp-reason-muted' }, text));
    }
    const selected = t.id === target;
    body.appendChild(h('tr', { class: selected ? 'wp-selected' : null, 'data-target': t.id, 'aria-current': selected ? 'true' : null },
      h('th', { scope: 'row' }, t.title, h('span', { class: 'wp-target-id' }, t.id)),
      h('td', { class: 'wp-verdict-cell' }, verdictBadge(t.verdict)),
      h('td', null, reasons)));
  }
  const table = h('table', { class: 'wp-matrix' },
    h('caption', { class: 'wp-sr' }, 'Verdict per deployment target'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Deployment target'),
      h('th', { scope: 'col' }, 'Verdict'),
      h('th', { scope: 'col' }, 'Why, and what to do'))),
    body);
  if (!common.length) return table;
  return [
    h('div', { class: 'wp-common' },
      h('p', { class: 'wp-common-title' }, 'For every target'),
      h('ul', { class: 'wp-reasons' }, common.map(renderReason))),
    table,
  ];
}

// ---- details ----------------------------------------------------------------

function kv(rows) {
  const dl = h('dl', { class: 'wp-kv' });
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === '') continue;
    dl.appendChild(h('dt', null, k));
    dl.appendChild(h('dd', null, v));
  }
  return dl;
}

function section(title, meta, body, open) {
  return h('details', { open: open ? true : null },
    h('summary', null, title, meta ? h('span', { class: 'wp-card-meta' }, meta) : null),
    h('div', { class: 'wp-detail-body' }, body));
}

function yesNo(b) {
  return b ? 'yes' : 'no';
}

function renderHeader(report) {
  const w = report.wim;
  if (!w) return h('p', null, 'The header could not be read.');
  return kv([
    ['File', report.file.name],
    ['Size', formatBytesExact(report.file.size)],
    ['Format version', `0x${w.version.toString(16)}${w.solid ? ' (solid)' : ''}`],
    ['Compression', w.compression + (w.chunk_size ? `, ${formatBytes(w.chunk_size)} chunks` : '')],
    ['Flags', w.flags.length ? w.flags.join(', ') : 'none'],
    ['Unknown flags', w.unknown_flags ? `0x${w.unknown_flags.toString(16)}` : null],
    ['Part', `${w.part} of ${w.total_parts}`],
    ['Images', String(w.image_count)],
    ['Boot index', w.boot_index ? String(w.boot_index) : 'none'],
    ['GUID', h('span', { class: 'wp-hex' }, w.guid)],
    ['Pipable', yesNo(w.pipable)],
  ]);
}

function renderImages(report) {
  if (!report.images.length) return h('p', null, 'The XML data lists no images.');
  const num = (v) => (typeof v === 'number' ? formatCount(v) : '\u2014');
  const body = h('tbody');
  for (const im of report.images) {
    const names = h('td', null,
      h('div', null, im.name || im.display_name || '(no name)'),
      im.description ? h('div', { class: 'wp-card-meta' }, im.description) : null);
    body.appendChild(h('tr', null,
      h('td', { class: 'wp-num' }, String(im.index)),
      names,
      h('td', null, [im.edition, im.installation_type].filter(Boolean).join(', ') || '\u2014'),
      h('td', null, im.architecture || '\u2014'),
      h('td', null, im.version || '\u2014'),
      h('td', { class: 'wp-num' }, num(im.file_count)),
      h('td', { class: 'wp-num' }, num(im.dir_count)),
      h('td', { class: 'wp-num' }, typeof im.total_bytes === 'number' ? formatBytes(im.total_bytes) : '\u2014')));
  }
  return h('table', { class: 'wp-table' },
    h('thead', null, h('tr', null,
      h('th', { class: 'wp-num', scope: 'col' }, '#'),
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'Edition'),
      h('th', { scope: 'col' }, 'Architecture'),
      h('th', { scope: 'col' }, 'Version'),
      h('th', { class: 'wp-num', scope: 'col' }, 'Files'),
      h('th', { class: 'wp-num', scope: 'col' }, 'Folders'),
      h('th', { class: 'wp-num', scope: 'col' }, 'Size'))),
    body);
}

function renderResources(report) {
  const r = report.resources;
  const c = report.checked;
  return kv([
    ['Blob table entries', formatCount(r.blob_entries)],
    ['Metadata resources', formatCount(r.metadata_resources)],
    ['Compressed / stored', `${formatCount(r.compressed)} / ${formatCount(r.uncompressed)}`],
    ['Solid resources', r.solid_resources ? `${formatCount(r.solid_resources)} holding ${formatCount(r.blobs_in_solid_resources)} blobs` : 'none'],
    ['Bytes in the file', formatBytesExact(r.stored_bytes)],
    ['Bytes uncompressed', formatBytesExact(r.uncompressed_bytes)],
    ['Above 4 GiB in the file', `${formatCount(r.above_4gib)} resources start above 4 GiB, ${formatCount(r.crossing_4gib)} cross it`],
    ['Larger than 4 GiB uncompressed', formatCount(r.uncompressed_over_4gib)],
    ['Duplicate hashes', formatCount(r.duplicate_hashes)],
    ['All-zero hashes', formatCount(r.zero_hash_entries)],
    ['Blobs verified', `${formatCount(c.blobs_verified)} intact, ${formatCount(c.blobs_corrupt)} bad, ${formatCount(c.blobs_unverified)} not checkable`],
    ['All-zero 64 KiB blocks', formatCount(c.zero_blocks)],
  ]);
}

function renderIntegrity(report) {
  const i = report.integrity;
  if (!i.present) {
    return h('p', null, 'This image has no integrity table; every blob was checked by its SHA-1 instead.');
  }
  const out = [kv([
    ['Chunks', `${formatCount(i.chunks)} of ${formatBytes(i.chunk_size)}`],
    ['Checked', formatCount(i.checked)],
    ['Bad chunks', formatCount(i.bad_chunks.length)],
  ])];
  if (i.bad_chunks.length) {
    const body = h('tbody');
    for (const b of i.bad_chunks) {
      body.appendChild(h('tr', null,
        h('td', { class: 'wp-num' }, formatCount(b.index)),
        h('td', { class: 'wp-num' }, formatOffset(b.offset)),
        h('td', { class: 'wp-num' }, formatBytes(b.length))));
    }
    out.push(h('table', { class: 'wp-table wp-compact' },
      h('caption', { class: 'wp-sr' }, 'Integrity chunks that do not match'),
      h('thead', null, h('tr', null,
        h('th', { class: 'wp-num', scope: 'col' }, 'Chunk'),
        h('th', { class: 'wp-num', scope: 'col' }, 'File offset'),
        h('th', { class: 'wp-num', scope: 'col' }, 'Length'))),
      body));
  }
  return out;
}

const SEVERITY_LABEL = { corruption: 'Corruption', blocker: 'Blocker', warning: 'Warning', info: 'Info' };

function renderFindings(report) {
  if (!report.findings.length) return h('p', null, 'No findings.');
  const ul = h('ul', { class: 'wp-findings' });
  for (const f of report.findings) {
    ul.appendChild(h('li', { class: 'wp-finding' },
      h('div', null, h('span', { class: `wp-badge wp-sev-${f.severity}` },
        f.unverified ? 'Not checked' : (SEVERITY_LABEL[f.severity] || f.severity))),
      h('div', null,
        h('div', null, rich(f.message)),
        h('div', { class: 'wp-finding-code' },
          f.code,
          typeof f.offset === 'number' ? ` \u00b7 offset ${formatOffset(f.offset)}` : '',
          f.part ? ` \u00b7 in ${f.part}` : ''),
        f.remedy ? h('span', { class: 'wp-remedy' }, h('b', null, 'Remedy: '), rich(f.remedy)) : null)));
  }
  return ul;
}

function renderParts(report) {
  const body = h('tbody');
  for (const p of report.parts) {
    body.appendChild(h('tr', null,
      h('td', { class: 'wp-num' }, p.reference ? 'base' : String(p.part_number)),
      h('td', null, p.name),
      h('td', { class: 'wp-num' }, formatBytes(p.size)),
      h('td', null, h('span', { class: 'wp-hex' }, p.digests.sha256 || p.digests.sha1 || '\u2014'))));
  }
  return h('table', { class: 'wp-table' },
    h('thead', null, h('tr', null,
      h('th', { class: 'wp-num', scope: 'col' }, 'Part'),
      h('th', { scope: 'col' }, 'File'),
      h('th', { class: 'wp-num', scope: 'col' }, 'Size'),
      h('th', { scope: 'col' }, 'SHA-256'))),
    body);
}

/**
 * The reference WIMs the image was verified with (the base of a delta,
 * found among the files given with it), as a sentence; null if none.
 */
export function referenceNote(report) {
  const refs = (report.parts || []).filter((p) => p.reference).map((p) => p.name);
  if (!refs.length) return null;
  return `Verified with ${refs.join(', ')}, given with it: this image's trees use blobs that ${refs.length === 1 ? 'it holds' : 'they hold'} and this file lacks (a delta and its base), read and verified as \`wimlib-imagex verify --ref\` does. The image needs ${refs.length === 1 ? 'that base' : 'those bases'} wherever it is used.`;
}

/** The collapsible details: header, images, resources, integrity, findings. */
export function renderDetails(report) {
  const serious = report.findings.filter((f) => f.severity !== 'info' || f.unverified).length;
  const wrap = h('div', { class: 'wp-details' });
  wrap.appendChild(section('WIM header', report.wim ? `${report.wim.compression}, ${report.wim.image_count} image${report.wim.image_count === 1 ? '' : 's'}` : null, renderHeader(report)));
  wrap.appendChild(section('Images', String(report.images.length), renderImages(report)));
  if (report.parts && report.parts.length) {
    const withBase = report.parts.some((p) => p.reference);
    wrap.appendChild(section(withBase ? 'Files read' : 'Split parts', String(report.parts.length), renderParts(report)));
  }
  wrap.appendChild(section('Resources', `${formatCount(report.resources.blob_entries)} blob table entries`, renderResources(report)));
  wrap.appendChild(section('Integrity table',
    report.integrity.present ? `${formatCount(report.integrity.chunks)} chunks, ${report.integrity.bad_chunks.length} bad` : 'absent',
    renderIntegrity(report), report.integrity.bad_chunks.length > 0));
  wrap.appendChild(section('Findings', String(report.findings.length), renderFindings(report), serious > 0));
  return wrap;
}
