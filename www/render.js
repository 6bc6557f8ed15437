// Renders a report (the core's JSON) as DOM. Everything that comes from the
// file (image names, descriptions, paths, finding messages) is attacker-
// controlled: it only ever reaches the page through textContent and
// attribute values set with setAttribute, never through innerHTML.

import { knownTargets, reasonSummary } from './verify.js';

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

// Control characters and bidirectional controls, which a hostile name
// could use to hide or reorder what the page shows.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from the file with control characters as <U+XXXX>, as the CLI prints them. */
export function printable(text) {
  return String(text).replace(UNPRINTABLE, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
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

function capital(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** A message of the core's as a sentence: capitalised when it starts with a plain word (not a file name such as boot.wim). */
function sentence(s) {
  return /^[a-z]+(?=[\s:,;(]|$)/.test(s) ? capital(s) : s;
}

/** How many things the findings of `code` stand for (0 if none has it). */
function codeCount(report, code) {
  return report.findings.filter((f) => f.code === code).reduce((a, f) => a + (f.count || 1), 0);
}

// A reason's text longer than this (a finding's message listing its
// examples) is said in a few words, the findings listing the rest.
const LONG_REASON = 160;

/**
 * A long reason that comes from findings, in the CLI's few words with
 * their count ("Names Windows cannot create (48)"): the findings say the
 * rest below. Null for a short one, or a rule's own reason.
 */
export function shortReason(report, r) {
  if (r.text.length <= LONG_REASON) return null;
  const n = codeCount(report, r.code);
  if (!n) return null;
  const sum = reasonSummary(r.code);
  if (!sum) return null;
  return `${capital(sum)}${n > 1 ? ` (${formatCount(n)})` : ''}`;
}

function otherReasons(report, target, shown) {
  const t = report.targets.find((x) => x.id === target);
  const n = t ? t.reasons.filter((r) => r !== shown && r.verdict !== 'safe').length : 0;
  return n ? `; ${n === 1 ? '1 more reason' : `${n} more reasons`} below` : '';
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
    sub = `${corrupt.length} ${corrupt.length === 1 ? 'problem' : 'problems'} found. First: ${corrupt[0] ? printable(corrupt[0].message) : ''}`;
  } else if (v === 'corrupt') {
    text = 'Corrupt \u2014 do not deploy this image';
    const r = firstReason(report, target, 'corrupt');
    sub = r ? shortReason(report, r) || sentence(printable(r.text)) : null;
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
    if (r) sub = `${shortReason(report, r) || sentence(printable(r.text))}${otherReasons(report, target, r)}`;
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

function renderReason(report, r, said) {
  const short = shortReason(report, r);
  // A remedy already given in a row above is not written out again.
  const again = r.remedy && said ? said.has(r.remedy) : false;
  if (r.remedy && said) said.add(r.remedy);
  return h('li', { class: r.verdict === 'safe' ? 'wp-reason wp-reason-muted' : 'wp-reason', 'data-code': r.code },
    short ? [short, h('span', { class: 'wp-see' }, ' \u2014 listed under Findings')] : rich(sentence(printable(r.text))),
    r.kb ? h('span', { class: 'wp-kb' }, r.kb) : null,
    // Said once: a finding's own remedy is shown with the finding.
    r.remedy && !(short && report.findings.some((f) => f.code === r.code && f.remedy === r.remedy))
      ? h('span', { class: 'wp-remedy' }, h('b', null, 'Remedy: '), again ? 'as above.' : rich(r.remedy)) : null);
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
  const said = new Set(common.map((r) => r.remedy).filter(Boolean));
  for (const t of targets) {
    const own = t.reasons.filter((r) => !commonKeys.has(reasonKey(r)));
    const reasons = h('ul', { class: 'wp-reasons' }, own.map((r) => renderReason(report, r, said)));
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
      h('ul', { class: 'wp-reasons' }, common.map((r) => renderReason(report, r)))),
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

// A blank XML value (DISM shows <undefined>).
function notSet() {
  return h('span', { class: 'wp-blank', title: 'not set in the image\'s XML' },
    h('span', { 'aria-hidden': 'true' }, '\u2014'), h('span', { class: 'wp-sr' }, 'not set'));
}

function languagesCell(row) {
  const langs = row.languages.length ? row.languages : (row.default_language ? [row.default_language] : []);
  if (!langs.length) return notSet();
  const out = [];
  langs.forEach((l, i) => {
    if (i) out.push(', ');
    out.push(l === row.default_language && langs.length > 1
      ? h('span', { class: 'wp-default' }, printable(l), h('span', { class: 'wp-card-meta' }, '\u00a0(default)'))
      : h('span', { class: 'wp-lang' }, printable(l)));
  });
  return out;
}

/**
 * The editions table (the core's rows, editionRows in verify.js): what
 * `dism /Get-WimInfo /Index:N` shows of each image. A table with its
 * header cells; in a narrow card each row stacks into labelled lines
 * (styles.js), the roles set so that it stays a table to screen readers.
 */
export function renderEditions(rows) {
  if (!rows.length) return h('p', { class: 'wp-summary' }, 'The XML data lists no images.');
  const text = (v) => (v === null || v === undefined || v === '' ? notSet() : printable(v));
  const count = (v) => (typeof v === 'number' ? formatCount(v) : '\u2014');
  const cols = ['Index', 'Name', 'Edition ID', 'Architecture', 'Version', 'Languages', 'Installation type', 'Files / folders', 'Size'];
  // Right-aligned: the counts and the size (the index carries the boot mark).
  const numeric = new Set([7, 8]);
  const body = h('tbody', { role: 'rowgroup' });
  for (const r of rows) {
    const cells = [
      [String(r.index), r.boot ? h('span', { class: 'wp-badge wp-boot', title: 'The header\'s boot index: the image Windows PE boots' }, 'boot') : null],
      [h('span', { class: 'wp-edition-name' }, r.name ? printable(r.name) : notSet()),
        r.description && r.description !== r.name ? h('span', { class: 'wp-edition-desc' }, printable(r.description)) : null],
      text(r.edition_id),
      text(r.architecture),
      text(r.version),
      languagesCell(r),
      text(r.installation_type),
      `${count(r.files)} / ${count(r.directories)}`,
      typeof r.total_bytes === 'number' ? h('span', { title: `${formatCount(r.total_bytes)} bytes` }, formatBytes(r.total_bytes)) : notSet(),
    ];
    body.appendChild(h('tr', { role: 'row', 'data-index': r.index, 'data-boot': r.boot ? 'true' : null },
      cells.map((c, i) => i === 1
        ? h('th', { scope: 'row', role: 'rowheader', 'data-label': cols[i] }, c)
        // One child per cell: stacked, a cell is a grid of label and value.
        : h('td', { role: 'cell', class: numeric.has(i) ? 'wp-num' : null, 'data-label': cols[i] }, h('span', null, c)))));
  }
  return h('div', { class: 'wp-scroll' },
    h('table', { class: 'wp-table wp-editions', role: 'table', 'data-wp-editions': '' },
      h('caption', { class: 'wp-sr' }, `Editions: ${rows.length} ${rows.length === 1 ? 'image' : 'images'}`),
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' },
        cols.map((c, i) => h('th', { scope: 'col', role: 'columnheader', class: numeric.has(i) ? 'wp-num' : null }, c)))),
      body));
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
const SEVERITY_RANK = { corruption: 0, blocker: 1, warning: 3, info: 4 };
// Examples shown of a finding code before "show N more" (the CLI's three).
const EXAMPLES_SHOWN = 3;
// A finding's message longer than this is not a heading.
const LONG_MESSAGE = 120;

function severityBadge(f) {
  return h('span', { class: `wp-badge wp-sev-${f.severity}` }, f.unverified ? 'Not checked' : (SEVERITY_LABEL[f.severity] || f.severity));
}

/** The findings by code, worst first (corruption, blocker, not checked, warning, info), as the CLI lists them. */
export function findingGroups(findings) {
  const groups = [];
  for (const f of findings) {
    let g = groups.find((x) => x.code === f.code);
    if (!g) groups.push(g = { code: f.code, findings: [] });
    g.findings.push(f);
  }
  const rank = (g) => Math.min(...g.findings.map((f) => (f.unverified && f.severity !== 'corruption' && f.severity !== 'blocker' ? 2 : SEVERITY_RANK[f.severity] ?? 4)));
  return groups.map((g, i) => ({ ...g, i })).sort((a, b) => rank(a) - rank(b) || a.i - b.i);
}

function findingWhere(f) {
  return [
    typeof f.offset === 'number' ? `offset ${formatOffset(f.offset)}` : '',
    f.part ? `in ${f.part}` : '',
  ].filter(Boolean).join(' \u00b7 ');
}

// One finding code: its few words and count, its examples (paths, or each
// finding's message), the first three shown and the rest behind "show",
// and each remedy once.
function renderGroup(g) {
  const fs = g.findings;
  const worst = fs.slice().sort((a, b) => (SEVERITY_RANK[a.severity] ?? 4) - (SEVERITY_RANK[b.severity] ?? 4))[0];
  const count = fs.reduce((a, f) => a + (f.count || 1), 0);
  const images = new Set(fs.map((f) => f.image));
  const items = [];
  for (const f of fs) {
    if (f.examples && f.examples.length) {
      const prefix = images.size > 1 && f.image ? `image ${f.image}: ` : '';
      for (const e of f.examples) items.push({ text: prefix + printable(e), path: true });
    } else {
      items.push({ text: printable(f.message), where: findingWhere(f) });
    }
  }
  const kept = items.length;
  const sum = reasonSummary(g.code);
  const single = fs.length === 1 && !(fs[0].examples && fs[0].examples.length);
  const li = (it) => h('li', { class: it.path ? 'wp-example wp-path' : 'wp-example' },
    it.path ? it.text : rich(it.text), it.where ? h('span', { class: 'wp-finding-code' }, ` ${it.where}`) : null);
  const list = [];
  if (!single) {
    list.push(h('ul', { class: 'wp-examples' }, items.slice(0, EXAMPLES_SHOWN).map(li)));
    if (kept > EXAMPLES_SHOWN) {
      list.push(h('details', { class: 'wp-more' },
        h('summary', null, `Show ${kept - EXAMPLES_SHOWN} more`),
        h('ul', { class: 'wp-examples' }, items.slice(EXAMPLES_SHOWN).map(li))));
    }
    if (count > kept && fs.some((f) => f.examples && f.examples.length)) {
      list.push(h('p', { class: 'wp-card-meta wp-finding-text' }, `\u2026 and ${formatCount(count - kept)} more: the report lists the first ${formatCount(kept)} of ${formatCount(count)}.`));
    }
  }
  const remedies = [...new Set(fs.map((f) => f.remedy).filter(Boolean))];
  return h('li', { class: 'wp-finding', 'data-code': g.code, 'data-count': String(count) },
    h('div', null, severityBadge(worst)),
    h('div', { class: 'wp-finding-main' },
      // A long message gets the code's few words above it.
      single && (!sum || fs[0].message.length <= LONG_MESSAGE)
        ? h('div', { class: 'wp-finding-head' }, rich(sentence(printable(fs[0].message))))
        : h('div', { class: 'wp-finding-head' }, `${capital(sum || g.code)}${count > 1 ? ` (${formatCount(count)})` : ''}`),
      single && sum && fs[0].message.length > LONG_MESSAGE ? h('div', { class: 'wp-finding-text' }, rich(sentence(printable(fs[0].message)))) : null,
      h('div', { class: 'wp-finding-code' }, g.code, single && findingWhere(fs[0]) ? ` \u00b7 ${findingWhere(fs[0])}` : '',
        !single && fs.length === 1 && fs[0].image ? ` \u00b7 image ${fs[0].image}` : ''),
      list,
      remedies.map((r) => h('span', { class: 'wp-remedy' }, h('b', null, 'Remedy: '), rich(r)))));
}

/** Findings, one entry per code (see renderGroup). */
export function renderFindingList(findings) {
  return h('ul', { class: 'wp-findings' }, findingGroups(findings).map(renderGroup));
}

function renderFindings(report) {
  if (!report.findings.length) return h('p', null, 'No findings.');
  return renderFindingList(report.findings);
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

/** The collapsible details: header, parts, resources, integrity, findings (the editions are on the card). */
export function renderDetails(report) {
  const serious = report.findings.filter((f) => f.severity !== 'info' || f.unverified).length;
  const wrap = h('div', { class: 'wp-details' });
  wrap.appendChild(section('WIM header', report.wim ? `${report.wim.compression}, ${report.wim.image_count} image${report.wim.image_count === 1 ? '' : 's'}` : null, renderHeader(report)));
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

// ---- errors that are not verdicts -------------------------------------------

/**
 * A file that is not a WIM (verify.js: an error named ForeignFormat, its
 * `foreign` the core's {format, what, evidence, message, remedy}): what it
 * looks like, by which bytes, and what to do. (Install media are read in
 * place: medium-card.js.)
 */
export function renderForeign(name, foreign) {
  return h('div', { class: 'wp-error wp-foreign', role: 'alert', 'data-wp-foreign': foreign.format },
    h('strong', null, `Not a WIM file: it looks like ${foreign.what}`),
    h('p', null, `Recognised by ${foreign.evidence}. There is no verdict: wimproof verifies WIM images (.wim, .swm, .esd) and the WIMs on install media (.iso), and judged nothing about ${name}.`),
    h('p', { class: 'wp-remedy' }, h('b', null, 'What to do: '), rich(capital(foreign.remedy)), '.'));
}

// What the server did, in a sentence: "The server answered 404 (not found) for /x/pkg/wimproof_bg.wasm."
function whatHappened(e) {
  const at = h('code', null, e.url || e.file);
  const sent = e.type ? h('code', null, e.type) : 'no type';
  switch (e.fault) {
    case 'not-found': return ['The server answered ', h('b', null, `${e.status} (not found)`), ' for ', at, '.'];
    case 'mime-map': return ['The server answered ', h('b', null, '404.3'), ' (IIS: no MIME type for the file) for ', at, '.'];
    case 'duplicate-mime-map': return ['The server answered ', h('b', null, `${e.status}`), ' for ', at, ': IIS says the MIME map for .wasm is declared twice.'];
    case 'server-error': return ['The server answered ', h('b', null, `${e.status} (server error)`), ' for ', at, '.'];
    case 'http-error': return ['The server answered ', h('b', null, String(e.status)), ' for ', at, '.'];
    case 'wrong-type': return ['The server sends ', at, ' as ', sent, e.nosniff ? [' with ', h('code', null, 'X-Content-Type-Options: nosniff')] : '', ', not as JavaScript, so the browser refuses to run it.'];
    case 'not-wasm': return ['The server sent ', sent, ' in place of ', at, ', which is not WebAssembly: a login page, or a page that stands in for files the server does not have.'];
    case 'unreachable': return ['The server did not answer for ', at, '.'];
    default: return ['The browser did not start ', at, ', although the server sends it as JavaScript.'];
  }
}

// The fix, as steps for the server's admin: the page's files are the
// build's dist/ folder (scripts/build-web.sh), web.config and README.txt in it.
function theFix(e) {
  const c = (t) => h('code', null, t);
  const webConfig = ['Put ', c('dist/web.config'), ' beside index.html: it maps .wasm to ', c('application/wasm')];
  const nginx = ['nginx: add the line from ', c('dist/README.txt'), ': ', c('types { application/wasm wasm; text/javascript js; }')];
  const copyAll = ['Copy the whole ', c('dist/'), ' folder to the server, ', c('pkg/'), ' included.'];
  switch (e.fault) {
    case 'mime-map':
      return [[...webConfig, ' (or add that MIME type for .wasm in IIS Manager, MIME Types).'], ['If ', c(e.file), ' is not on the server at all, copy it with the rest of ', c('dist/'), '.'], nginx];
    case 'not-found':
      if (e.role === 'worker') return [['Copy ', c('worker.js'), ' with the rest of ', c('dist/'), '.']];
      if (e.role === 'glue') return [copyAll];
      return [copyAll, ['If ', c(e.file), ' is there, the server will not serve .wasm files (IIS answers 404.3, and a plain 404 to other computers). ', ...webConfig, '.'], nginx];
    case 'duplicate-mime-map':
    case 'server-error':
      return [
        ['On IIS, a 500 for the page\'s files is most often a MIME map for .wasm declared twice: the server or a parent folder maps .wasm already, and a web.config adds it again.'],
        ['Use ', c('dist/web.config'), ' as it is: it removes the mapping before adding it (', c('<remove fileExtension=".wasm" />'), '), and take any other ', c('mimeMap'), ' for .wasm out of the site\'s web.config files.'],
      ];
    case 'wrong-type':
      return [
        ['Serve .js files as ', c('text/javascript'), ': ', c('dist/web.config'), ' maps them so for IIS.'],
        ['nginx: the ', c('types'), ' line in ', c('dist/README.txt'), ' maps .js and .wasm.'],
      ];
    case 'not-wasm':
      return [copyAll, ['Let the server send the page\'s files as they are, with no sign-in or fallback page in their place.']];
    case 'unreachable':
      return [['Check that the server is running and that this computer reaches it, then reload the page.']];
    case 'blocked':
      return [['A Content-Security-Policy header from the server may forbid workers: allow ', c("worker-src 'self'"), ' for the page, or send none (the page brings its own).']];
    default:
      return [['See ', c('dist/README.txt'), '.']];
  }
}

/**
 * A fault of the web server's set-up (verify.js SetupError): said to be
 * the server's, not the user's file's, with what the server did and the
 * fix. `when`: 'load' (the page cannot start) or 'verify' (a file was
 * given). Carries data-wim-setup-error, data-fault, data-role and
 * data-status for tests and embedders.
 */
export function renderSetupFault(e, when) {
  return h('div', {
    class: 'wp-error wp-setup', role: 'alert', 'data-wim-setup-error': '',
    'data-fault': e.fault, 'data-role': e.role, 'data-status': String(e.status || 0),
  },
  h('strong', null, 'The web server is not set up for this page'),
  h('p', null, when === 'load'
    ? 'The page cannot start: one of its own files does not reach the browser as it should. Nothing is wrong with your files.'
    : 'Nothing was checked, and this says nothing about your files: one of the page\'s own files does not reach the browser as it should.'),
  h('p', null, whatHappened(e)),
  h('p', { class: 'wp-fix-title' }, 'To fix it, on the web server:'),
  h('ul', { class: 'wp-fix' }, theFix(e).map((step) => h('li', null, step))),
  h('p', { class: 'wp-card-meta' }, h('code', null, 'dist/README.txt'), ' has the set-up for IIS, nginx and Apache. Or use ', h('code', null, 'dist/wimproof.html'), ': one file that works from a file share, with no web server.'));
}

/**
 * The findings over files dropped together (verify.js mediumFindings), as
 * one card: which files, and each finding with its remedy.
 */
export function renderMedium(names, findings) {
  return [
    h('div', { class: 'wp-card-head' },
      h('h3', { class: 'wp-card-title' }, 'Dropped together, as one medium'),
      h('span', { class: 'wp-card-meta' }, names.map(printable).join(', '))),
    h('p', { class: 'wp-summary' }, 'These files were given together, so they were also checked as the files of one installation medium:'),
    renderFindingList(findings),
  ];
}
