// The stylesheet of <wim-verifier> and of the page, as a constructed
// stylesheet: it needs no <style> element (so no 'unsafe-inline' in the
// Content-Security-Policy) and no extra request, and an embedding page gets
// it with the element. Everything is scoped to wim-verifier and .wp-page.

const CSS = String.raw`
wim-verifier, .wp-page {
  --wp-bg: #f4f6f8;
  --wp-surface: #ffffff;
  --wp-surface-2: #f7f8fa;
  --wp-text: #1c2128;
  --wp-muted: #57606a;
  --wp-border: #d0d7de;
  --wp-accent: #0a5bb5;
  --wp-accent-text: #ffffff;
  --wp-focus: #0a5bb5;
  --wp-safe: #1a7f37;      --wp-safe-bg: #e7f5ec;
  --wp-warning: #8a5a00;   --wp-warning-bg: #fff5d9;
  --wp-unsafe: #b34700;    --wp-unsafe-bg: #ffeedd;
  --wp-corrupt: #b42318;   --wp-corrupt-bg: #fdecea;
  --wp-unverified: #4d5866; --wp-unverified-bg: #eceff3;
  --wp-radius: 8px;
  --wp-mono: ui-monospace, "Cascadia Mono", "Segoe UI Mono", Consolas, "DejaVu Sans Mono", monospace;
  color-scheme: light;
}
@media screen and (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) wim-verifier, :root:not([data-theme="light"]) .wp-page {
    --wp-bg: #0e1217; --wp-surface: #161b22; --wp-surface-2: #1c222a; --wp-text: #e6edf3;
    --wp-muted: #9aa5b1; --wp-border: #30363d; --wp-accent: #4c9aff; --wp-accent-text: #0b1220;
    --wp-focus: #79b8ff;
    --wp-safe: #56d364; --wp-safe-bg: #12301d;
    --wp-warning: #e3b341; --wp-warning-bg: #352a0e;
    --wp-unsafe: #ffa657; --wp-unsafe-bg: #3a240f;
    --wp-corrupt: #ff7b72; --wp-corrupt-bg: #3c1513;
    --wp-unverified: #b1bac4; --wp-unverified-bg: #242b34;
    color-scheme: dark;
  }
}
@media screen {
:root[data-theme="dark"] wim-verifier, :root[data-theme="dark"] .wp-page {
    --wp-bg: #0e1217; --wp-surface: #161b22; --wp-surface-2: #1c222a; --wp-text: #e6edf3;
    --wp-muted: #9aa5b1; --wp-border: #30363d; --wp-accent: #4c9aff; --wp-accent-text: #0b1220;
    --wp-focus: #79b8ff;
    --wp-safe: #56d364; --wp-safe-bg: #12301d;
    --wp-warning: #e3b341; --wp-warning-bg: #352a0e;
    --wp-unsafe: #ffa657; --wp-unsafe-bg: #3a240f;
    --wp-corrupt: #ff7b72; --wp-corrupt-bg: #3c1513;
    --wp-unverified: #b1bac4; --wp-unverified-bg: #242b34;
    color-scheme: dark;
  }
}

wim-verifier {
  display: block;
  color: var(--wp-text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
}
wim-verifier *, .wp-page * { box-sizing: border-box; }
wim-verifier [hidden], .wp-page [hidden] { display: none !important; }
wim-verifier button, wim-verifier select, wim-verifier input, .wp-page button { font: inherit; color: inherit; }
wim-verifier :focus-visible, .wp-page :focus-visible { outline: 3px solid var(--wp-focus); outline-offset: 2px; }
.wp-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }

/* Buttons and fields */
.wp-btn {
  display: inline-flex; align-items: center; gap: .35em;
  padding: .35em .85em; border: 1px solid var(--wp-border); border-radius: 6px;
  background: var(--wp-surface); cursor: pointer; line-height: 1.4; white-space: nowrap;
}
.wp-btn:hover { background: var(--wp-surface-2); border-color: var(--wp-muted); }
.wp-btn-primary { background: var(--wp-accent); border-color: var(--wp-accent); color: var(--wp-accent-text) !important; font-weight: 600; }
.wp-btn-primary:hover { background: var(--wp-accent); filter: brightness(1.08); }
.wp-btn-small { padding: .1em .55em; font-size: .85em; }
.wp-linkbtn { background: none; border: 0; padding: 0; color: var(--wp-accent); text-decoration: underline; cursor: pointer; }
.wp-field {
  padding: .35em .6em; border: 1px solid var(--wp-border); border-radius: 6px;
  background: var(--wp-surface); min-width: 0;
}
select.wp-field { padding-right: 1.8em; }

/* Toolbar */
.wp-toolbar { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: end; margin-bottom: 1rem; }
.wp-toolbar label { display: flex; flex-direction: column; gap: .25rem; font-size: .9em; color: var(--wp-muted); font-weight: 600; }
.wp-toolbar .wp-check { flex-direction: row; align-items: center; gap: .45rem; font-weight: 500; color: var(--wp-text); padding-bottom: .4em; }
.wp-toolbar select { color: var(--wp-text); font-weight: 500; min-width: 18rem; max-width: 100%; }
.wp-list-status { font-size: .9em; color: var(--wp-muted); padding-bottom: .45em; }

/* Drop zone */
.wp-drop {
  border: 2px dashed var(--wp-border); border-radius: var(--wp-radius);
  background: var(--wp-surface); padding: 2rem 1.25rem; text-align: center;
  transition: border-color .15s, background .15s;
}
.wp-drop.wp-over { border-color: var(--wp-accent); background: var(--wp-surface-2); }
.wp-drop-title { font-size: 1.15em; font-weight: 600; margin: 0 0 .35rem; }
.wp-drop-hint { color: var(--wp-muted); margin: .6rem 0 0; font-size: .9em; }
.wp-drop .wp-btn-primary { margin-top: .6rem; }

/* Results */
.wp-results { list-style: none; padding: 0; margin: 1.25rem 0 0; display: grid; gap: 1rem; }
.wp-card {
  background: var(--wp-surface); border: 1px solid var(--wp-border); border-radius: var(--wp-radius);
  padding: 1rem 1.25rem; min-width: 0;
}
.wp-card-head { display: flex; gap: .75rem; align-items: baseline; flex-wrap: wrap; }
.wp-card-title { margin: 0; font-size: 1.05em; font-weight: 650; overflow-wrap: anywhere; flex: 1 1 16rem; min-width: 0; }
.wp-card-meta { color: var(--wp-muted); font-size: .9em; }
.wp-progress { margin-top: .75rem; }
.wp-bar { height: .55rem; background: var(--wp-surface-2); border: 1px solid var(--wp-border); border-radius: 99px; overflow: hidden; }
/* No transition on the width: updated ten times a second, it kept the bar
   animating throughout, a layout and paint per frame that cost the page
   about a tenth of its speed on two cores (README, "Benchmarks"). */
.wp-bar > div { height: 100%; width: 0; background: var(--wp-accent); border-radius: 99px; }
.wp-bar.wp-indeterminate > div { width: 30%; animation: wp-slide 1.2s ease-in-out infinite; }
@keyframes wp-slide { from { margin-left: -30%; } to { margin-left: 100%; } }
@media (prefers-reduced-motion: reduce) { .wp-bar.wp-indeterminate > div { animation: none; width: 100%; opacity: .4; } }
.wp-progress-text { margin-top: .35rem; font-size: .9em; color: var(--wp-muted); font-variant-numeric: tabular-nums; }

.wp-headline {
  margin-top: .75rem; padding: .8rem 1rem; border-radius: 6px; border-left: 6px solid currentColor;
  display: grid; grid-template-columns: auto 1fr; gap: .1rem .8rem; align-items: start;
}
.wp-headline-icon { grid-row: span 2; font-size: 1.5em; line-height: 1.2; font-weight: 700; }
.wp-headline-text { font-size: 1.2em; font-weight: 700; color: var(--wp-text); }
.wp-headline-sub { color: var(--wp-text); overflow-wrap: anywhere; }
.wp-v-safe { color: var(--wp-safe); background: var(--wp-safe-bg); }
.wp-v-warning { color: var(--wp-warning); background: var(--wp-warning-bg); }
.wp-v-unsafe { color: var(--wp-unsafe); background: var(--wp-unsafe-bg); }
.wp-v-corrupt { color: var(--wp-corrupt); background: var(--wp-corrupt-bg); }
.wp-v-unverified { color: var(--wp-unverified); background: var(--wp-unverified-bg); }
.wp-summary { margin: .5rem 0 0; color: var(--wp-muted); font-size: .9em; }

.wp-badge {
  display: inline-block; padding: .05em .55em; border-radius: 99px; font-size: .82em; font-weight: 650;
  border: 1px solid currentColor; white-space: nowrap;
}
.wp-section-title { font-size: .95em; margin: 1.1rem 0 .4rem; font-weight: 650; }

/* Target matrix */
.wp-matrix { width: 100%; border-collapse: collapse; font-size: .93em; }
.wp-matrix th, .wp-matrix td { text-align: left; vertical-align: top; padding: .5rem .6rem; border-top: 1px solid var(--wp-border); }
.wp-matrix thead th { border-top: 0; color: var(--wp-muted); font-size: .85em; font-weight: 600; }
.wp-matrix tbody th { font-weight: 600; width: 30%; }
.wp-matrix td.wp-verdict-cell { width: 7.5rem; }
.wp-matrix tr.wp-selected { background: var(--wp-surface-2); }
.wp-matrix tr.wp-selected th::before { content: "\25B8\00a0"; color: var(--wp-accent); }
.wp-target-id { display: block; font-family: var(--wp-mono); font-size: .8em; color: var(--wp-muted); font-weight: 400; }
.wp-reasons { margin: 0; padding: 0; list-style: none; display: grid; gap: .4rem; }
.wp-reason { overflow-wrap: anywhere; }
.wp-reason-muted { color: var(--wp-muted); }
.wp-kb { font-size: .8em; font-weight: 650; border: 1px solid var(--wp-border); border-radius: 4px; padding: 0 .35em; margin-left: .3em; white-space: nowrap; }
wim-verifier code { font-family: var(--wp-mono); font-size: .88em; background: var(--wp-surface-2); border: 1px solid var(--wp-border); border-radius: 4px; padding: 0 .25em; overflow-wrap: anywhere; }
.wp-common { margin: 0 0 .6rem; padding: .6rem .8rem; border: 1px solid var(--wp-border); border-radius: 6px; background: var(--wp-surface-2); font-size: .93em; }
.wp-common-title { font-weight: 600; margin: 0 0 .3rem; }
.wp-remedy { display: block; color: var(--wp-muted); font-size: .93em; }
.wp-remedy b { color: var(--wp-text); font-weight: 600; }

/* Digests */
.wp-digests { display: grid; gap: .5rem; }
.wp-digest { display: grid; grid-template-columns: 5.5rem 1fr auto; gap: .5rem; align-items: center; }
.wp-digest dt { font-weight: 600; color: var(--wp-muted); font-size: .9em; }
.wp-digest dd { margin: 0; min-width: 0; }
.wp-hex { font-family: var(--wp-mono); font-size: .88em; overflow-wrap: anywhere; word-break: break-all; }
.wp-compare { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin-top: .4rem; }
.wp-compare input { flex: 1 1 22rem; font-family: var(--wp-mono); font-size: .85em; }
.wp-match { font-weight: 650; }
.wp-match-ok { color: var(--wp-safe); }
.wp-match-bad { color: var(--wp-corrupt); }
.wp-match-none { color: var(--wp-muted); font-weight: 500; }

/* Details */
.wp-details { margin-top: .9rem; border-top: 1px solid var(--wp-border); }
.wp-details > details { border-bottom: 1px solid var(--wp-border); }
.wp-details > details > summary { cursor: pointer; padding: .55rem .1rem; font-weight: 600; }
.wp-details > details > summary .wp-card-meta { font-weight: 400; margin-left: .4em; }
.wp-details .wp-detail-body { padding: 0 .1rem .8rem; overflow-x: auto; }
.wp-kv { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .2rem 1rem; margin: 0; font-size: .92em; }
.wp-kv dt { color: var(--wp-muted); }
.wp-kv dd { margin: 0; overflow-wrap: anywhere; }
.wp-table { border-collapse: collapse; font-size: .9em; width: 100%; }
.wp-table th, .wp-table td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--wp-border); vertical-align: top; overflow-wrap: anywhere; }
.wp-table th { color: var(--wp-muted); font-weight: 600; }
.wp-table.wp-compact { width: auto; min-width: 22rem; }
.wp-table td.wp-num, .wp-table th.wp-num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.wp-findings { list-style: none; margin: 0; padding: 0; display: grid; gap: .55rem; font-size: .92em; }
.wp-finding { display: grid; grid-template-columns: 6.5rem 1fr; gap: .6rem; }
.wp-finding-code { font-family: var(--wp-mono); font-size: .85em; color: var(--wp-muted); }
.wp-sev-corruption { color: var(--wp-corrupt); }
.wp-sev-blocker { color: var(--wp-unsafe); }
.wp-sev-warning { color: var(--wp-warning); }
.wp-sev-info { color: var(--wp-muted); }
.wp-error { margin-top: .75rem; padding: .75rem 1rem; border-radius: 6px; background: var(--wp-unverified-bg); border-left: 6px solid var(--wp-unverified); overflow-wrap: anywhere; }
.wp-error strong { display: block; }
.wp-error p { margin: .4rem 0 0; }
.wp-error .wp-remedy { color: var(--wp-text); }
.wp-setup, .wp-foreign { border-left-color: var(--wp-unsafe); background: var(--wp-unsafe-bg); color: var(--wp-text); }
.wp-setup strong, .wp-foreign strong { font-size: 1.1em; }
.wp-setup { margin: 1rem 0 0; }
.wp-fix-title { font-weight: 600; }
.wp-fix { margin: .25rem 0 0; padding-left: 1.25rem; display: grid; gap: .25rem; }

/* Editions */
.wp-scroll { overflow-x: auto; }
.wp-editions { font-size: .9em; }
.wp-editions thead th { font-size: .92em; white-space: nowrap; }
.wp-editions tbody th { color: var(--wp-text); font-weight: 600; min-width: 10rem; }
.wp-editions td { white-space: nowrap; }
.wp-editions td[data-label="Languages"] { white-space: normal; min-width: 6rem; }
.wp-edition-desc { display: block; font-weight: 400; color: var(--wp-muted); font-size: .92em; }
.wp-blank { color: var(--wp-muted); }
.wp-default { font-weight: 600; white-space: nowrap; }
.wp-lang { white-space: nowrap; }
.wp-boot { color: var(--wp-accent); margin-left: .35em; font-size: .78em; }

/* Findings by code */
.wp-finding-main { min-width: 0; overflow-wrap: anywhere; }
.wp-finding-head { font-weight: 600; }
.wp-finding-text { margin-top: .1rem; }
.wp-examples { margin: .2rem 0 0; padding-left: 1.1rem; }
.wp-path { font-family: var(--wp-mono); font-size: .9em; }
.wp-more summary { cursor: pointer; color: var(--wp-accent); font-size: .92em; padding: .1rem 0; font-weight: 500; }
.wp-see { color: var(--wp-muted); font-size: .92em; }
.wp-medium { border-color: var(--wp-warning); }
.wp-iso { border-left: 4px solid var(--wp-accent); }
.wp-iso-overview:empty { display: none; }
.wp-iso-overview { margin-top: .75rem; }
.wp-iso-summary { margin: 0 0 .4rem; font-weight: 600; }
.wp-iso-narrow { display: none; margin: .3rem 0 0; color: var(--wp-muted); font-size: .9em; }
.wp-iso-wims { margin-top: 1rem; padding-left: .9rem; border-left: 2px solid var(--wp-border); }
.wp-scroll { overflow-x: auto; }
.wp-iso-matrix { width: 100%; border-collapse: collapse; font-size: .93em; }
.wp-iso-matrix th, .wp-iso-matrix td { text-align: left; vertical-align: middle; padding: .45rem .6rem; border-top: 1px solid var(--wp-border); }
.wp-iso-matrix thead th { border-top: 0; color: var(--wp-muted); font-size: .85em; font-weight: 600; }
.wp-iso-matrix tbody th { font-weight: 600; }
.wp-iso-matrix .wp-selected { background: var(--wp-surface-2); }
.wp-iso-matrix thead th.wp-selected { color: var(--wp-text); }
.wp-iso-path { font-family: var(--wp-mono); font-size: .92em; overflow-wrap: anywhere; }
.wp-iso-matrix tbody th .wp-card-meta { display: block; font-weight: 400; font-size: .85em; }
.wp-iso-matrix a { color: inherit; }
.wp-actions { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin-top: .9rem; }
.wp-actions .wp-card-meta { margin-left: auto; }

/* The page around the element */
.wp-page { background: var(--wp-bg); color: var(--wp-text); min-height: 100vh; margin: 0;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
.wp-page-header { background: var(--wp-surface); border-bottom: 1px solid var(--wp-border); }
.wp-page-header-inner, .wp-main, .wp-page-footer-inner { max-width: 68rem; margin: 0 auto; padding: 0 1.25rem; }
.wp-page-header-inner { display: flex; align-items: center; gap: 1rem; padding-top: .9rem; padding-bottom: .9rem; flex-wrap: wrap; }
.wp-brand { display: flex; align-items: center; gap: .6rem; margin: 0; font-size: 1.25rem; font-weight: 700; letter-spacing: -.01em; }
.wp-logo { width: 28px; height: 28px; flex: none; }
.wp-brand small { font-size: .8rem; font-weight: 500; color: var(--wp-muted); letter-spacing: 0; }
.wp-header-spacer { flex: 1; }
.wp-main { padding-top: 1.5rem; padding-bottom: 2rem; }
.wp-intro { margin: 0 0 1.25rem; max-width: 46rem; }
.wp-intro h2 { margin: 0 0 .35rem; font-size: 1.45rem; letter-spacing: -.01em; }
.wp-intro p { margin: 0; color: var(--wp-muted); }
.wp-privacy { display: block; margin: .75rem 0 0; padding: .55rem .8rem; background: var(--wp-surface); border: 1px solid var(--wp-border); border-radius: 6px; font-size: .92em; }
.wp-privacy b { color: var(--wp-safe); margin-right: .3em; }
.wp-samples { margin: .9rem 0 0; font-size: .92em; color: var(--wp-muted); }
.wp-page-footer { border-top: 1px solid var(--wp-border); color: var(--wp-muted); font-size: .85em; }
.wp-page-footer-inner { padding-top: 1rem; padding-bottom: 1.5rem; }
.wp-page-footer p { margin: .2rem 0; }

@media (max-width: 640px) {
  .wp-card { padding: .85rem .8rem; }
  .wp-brand small { display: none; }
  .wp-page-header-inner { flex-wrap: nowrap; }
  .wp-intro h2 { font-size: 1.25rem; }
  .wp-toolbar select { min-width: 0; width: 100%; }
  .wp-toolbar label:first-child { flex: 1 1 100%; }
  .wp-matrix thead { display: none; }
  .wp-matrix, .wp-matrix tbody, .wp-matrix tr, .wp-matrix th, .wp-matrix td { display: block; width: auto !important; }
  .wp-matrix tr { border-top: 1px solid var(--wp-border); padding: .4rem 0; display: grid; grid-template-columns: 1fr auto; align-items: start; }
  .wp-matrix th, .wp-matrix td { border: 0; padding: .2rem .3rem; }
  .wp-matrix td:last-child { grid-column: 1 / -1; }
  .wp-iso-wims { padding-left: .5rem; }
  .wp-iso-matrix thead { display: none; }
  .wp-iso-matrix, .wp-iso-matrix tbody, .wp-iso-matrix tr, .wp-iso-matrix th, .wp-iso-matrix td { display: block; }
  .wp-iso-matrix tr { border-top: 1px solid var(--wp-border); padding: .35rem 0; }
  .wp-iso-matrix th, .wp-iso-matrix td { border: 0; padding: .15rem .3rem; }
  .wp-iso-matrix td { display: flex; justify-content: space-between; gap: .5rem; align-items: center; }
  .wp-iso-matrix td::before { content: attr(data-label); color: var(--wp-muted); font-size: .9em; }
  .wp-iso-matrix td.wp-selected::before { color: var(--wp-text); font-weight: 600; }
  .wp-iso-matrix td:not(.wp-selected) { display: none; }
  .wp-iso-narrow { display: block; }
  .wp-digest { grid-template-columns: 1fr auto; }
  .wp-digest dt { grid-column: 1 / -1; }
  .wp-finding { grid-template-columns: 1fr; gap: .1rem; }
  .wp-finding > div:first-child { justify-self: start; }
  /* The editions table stacks: a row per image, a labelled line per value. */
  .wp-editions thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .wp-editions, .wp-editions tbody { display: block; }
  .wp-editions tr { display: flex; flex-direction: column; padding: .45rem 0; border-top: 1px solid var(--wp-border); }
  .wp-editions tbody th, .wp-editions td { display: grid; grid-template-columns: 8.5rem 1fr; gap: .6rem; border: 0; padding: .05rem .2rem; text-align: left !important; white-space: normal; }
  .wp-editions td::before { content: attr(data-label); color: var(--wp-muted); }
  .wp-editions tbody th { order: -1; display: block; font-size: 1.05em; padding-bottom: .2rem; }
  .wp-kv { grid-template-columns: 1fr; }
  .wp-kv dd { margin-bottom: .3rem; }
  .wp-actions .wp-card-meta { margin-left: 0; }
}

@media print {
  .wp-page { background: #fff; color: #000; }
  wim-verifier, .wp-page { --wp-bg: #fff; --wp-surface: #fff; --wp-surface-2: #f3f3f3; --wp-text: #000; --wp-muted: #444; --wp-border: #bbb; color-scheme: light; }
  .wp-toolbar, .wp-drop, .wp-btn, .wp-linkbtn, .wp-compare, .wp-samples, .wp-intro, .wp-page-header .wp-header-tools, .wp-progress, .wp-page-footer p + p { display: none !important; }
  .wp-main { padding-top: .5rem; }
  .wp-results { margin-top: 0; }
  .wp-page-header { border-bottom: 2px solid #000; }
  .wp-card { break-inside: avoid-page; border-color: #999; }
  .wp-details > details > summary { list-style: none; }
  .wp-more > summary { display: none; }
  .wp-headline { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .wp-hex { font-size: 8pt; }
}
`;

let sheet = null;

/** Adds the stylesheet to a document (once). */
export function adoptStyles(doc = document) {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  if (!doc.adoptedStyleSheets.includes(sheet)) {
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  }
}
