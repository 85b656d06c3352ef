/**
 * HTML helpers of the report: escaping (page text is hostile: every string from the corpus goes
 * through esc), number formatting, and the page shell with its stylesheet and its one small script.
 *
 * The page pins itself down with a Content-Security-Policy: no network at all (images only from
 * data: URIs), and only our own stylesheet and script run (allowed by hash), so even a bug in
 * escaping could not load or run anything.
 */
import { createHash } from 'node:crypto';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML/SVG element content and quoted attribute values. */
export function esc(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  // Lone surrogates and C0 controls (other than tab/newline) are not valid in HTML text.
  return s
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Counts as 1,234 / 12.3k / 4.5M; fractions with 3 significant digits. */
export function fmtNum(v: unknown): string {
  const n = typeof v === 'number' ? v : Number(v);
  if (v === null || v === undefined || Number.isNaN(n)) return '–';
  const a = Math.abs(n);
  if (Number.isInteger(n) || a >= 100) {
    if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`;
    if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
    if (a >= 1e4) return `${(n / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
    return Math.round(n).toLocaleString('en-US');
  }
  return Number(n.toPrecision(3)).toString();
}

/** An http(s) URL for an href, or null (javascript:, data: and friends are shown as text only). */
export function safeHref(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

const CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#f6f7f9; --card:#fff; --kept:#2f6fb5; --rej:#c8463d; --s2:#8a94a6; --s3:#d49a2a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:#1d2330; color:#fff; padding:14px 24px; }
header.top h1 { margin:0 0 4px; font-size:20px; }
header.top .meta { color:#b9c1d0; font-size:12px; }
nav.toc { padding:8px 24px; background:#fff; border-bottom:1px solid var(--line); position:sticky; top:0; z-index:2; font-size:13px; }
nav.toc a { margin-right:14px; color:var(--kept); text-decoration:none; }
main { padding:16px 24px 48px; max-width:1280px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin-bottom:8px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:8px 14px; min-width:120px; }
.card .v { font-size:20px; font-weight:600; }
.card .k { color:var(--muted); font-size:12px; }
section.chart-section { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px 16px; margin:14px 0; }
section.chart-section h2, section.docs h2 { font-size:16px; margin:0 0 4px; }
h2.group { font-size:18px; margin:26px 0 0; }
.desc { color:var(--muted); margin:0 0 8px; font-size:13px; }
.skipped { color:var(--muted); font-style:italic; }
.row2 { display:flex; flex-wrap:wrap; gap:16px; }
svg.chart { max-width:100%; height:auto; display:block; }
svg.chart text { fill:var(--fg); }
svg.chart .tick, svg.chart .note, svg.chart .axis-label, svg.chart .caption { fill:var(--muted); }
svg.chart .grid { stroke:#eceef2; }
svg.chart .axis { stroke:#9aa3b2; }
.s0 { fill:var(--kept); } .s1 { fill:var(--rej); } .s2 { fill:var(--s2); } .s3 { fill:var(--s3); }
svg.chart .bar:hover { opacity:.8; }
g.threshold line { stroke:#111; stroke-width:1.5; stroke-dasharray:4 3; }
g.threshold text { font-weight:600; }
details.sql { margin-top:6px; font-size:12px; }
details.sql summary { cursor:pointer; color:var(--muted); }
details.sql pre { background:#f1f3f6; padding:8px; overflow:auto; white-space:pre-wrap; }
table.data { border-collapse:collapse; font-size:12px; margin-top:6px; }
table.data th, table.data td { border:1px solid var(--line); padding:2px 6px; text-align:left; max-width:420px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.toolbar { display:flex; gap:10px; align-items:center; flex-wrap:wrap; background:#fff; border:1px solid var(--line); border-radius:6px; padding:8px 12px; margin:8px 0; }
.toolbar .count { color:var(--muted); }
article.doc { background:var(--card); border:1px solid var(--line); border-left:5px solid var(--kept); border-radius:6px; margin:12px 0; padding:10px 14px; }
article.doc[data-kind="rejected"] { border-left-color:var(--rej); }
article.doc header h3 { margin:0; font-size:15px; overflow-wrap:anywhere; }
.badge { display:inline-block; font-size:11px; font-weight:600; padding:1px 7px; border-radius:9px; color:#fff; background:var(--kept); margin-right:6px; vertical-align:1px; }
.badge.rejected { background:var(--rej); }
.url { color:var(--muted); font-size:12px; overflow-wrap:anywhere; }
.url a { color:var(--muted); }
.reason { background:#fbeceb; border:1px solid #efc4c0; border-radius:4px; padding:4px 8px; margin:6px 0; font-size:13px; overflow-wrap:anywhere; }
.signals { display:flex; flex-wrap:wrap; gap:4px 6px; margin:6px 0; font-size:12px; }
.sig { background:#eef1f6; border-radius:4px; padding:1px 6px; }
.sig b { font-weight:600; }
.sig.out { background:#fbeceb; color:#8d2a22; }
.doc-body { max-height:460px; overflow:auto; border-top:1px solid var(--line); margin-top:6px; padding-top:6px; }
.doc-body p { margin:0 0 8px; overflow-wrap:anywhere; }
.doc-body p.h { font-weight:700; font-size:15px; }
.doc-body p.li::before { content:"• "; color:var(--muted); }
.doc-body pre { background:#f1f3f6; padding:6px; white-space:pre-wrap; overflow-wrap:anywhere; margin:0 0 8px; }
.doc-body figure { margin:4px 0 10px; }
.doc-body figure img { max-width:240px; max-height:240px; border:1px solid var(--line); display:block; }
.doc-body figcaption { color:var(--muted); font-size:11px; overflow-wrap:anywhere; max-width:480px; }
.img-placeholder { width:200px; min-height:64px; border:1px dashed #9aa3b2; border-radius:4px; background:#f1f3f6; color:var(--muted); font-size:11px; padding:6px; overflow-wrap:anywhere; }
.more { color:var(--muted); font-style:italic; }
footer { color:var(--muted); font-size:12px; padding:0 24px 24px; }
`;

/** Filters of the document viewer: kind (kept / rejected), reason, and a text search. */
const SCRIPT = `
(() => {
  const docs = Array.from(document.querySelectorAll('article.doc'));
  const kind = document.getElementById('f-kind');
  const reason = document.getElementById('f-reason');
  const text = document.getElementById('f-text');
  const count = document.getElementById('f-count');
  if (!kind) return;
  function apply() {
    const q = text.value.trim().toLowerCase();
    let shown = 0;
    for (const d of docs) {
      const ok = (kind.value === 'all' || d.dataset.kind === kind.value)
        && (reason.value === '' || d.dataset.reason === reason.value)
        && (q === '' || d.textContent.toLowerCase().includes(q));
      d.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + ' of ' + docs.length + ' shown';
  }
  kind.addEventListener('change', apply);
  reason.addEventListener('change', apply);
  text.addEventListener('input', apply);
  apply();
})();
`;

function cspHash(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

/** The whole page around an already-escaped body. */
export function page(title: string, body: string): string {
  const csp = `default-src 'none'; img-src data:; style-src ${cspHash(CSS)}; script-src ${cspHash(SCRIPT)}; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
