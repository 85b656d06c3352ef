/**
 * The extraction dev collection in ../shared/corpus/html, as scripts/eval-extraction.ts scores it and
 * scripts/fit-extract-model.ts learns from it: pages with their gold text (and images), each in a fixed
 * fit or check half by site.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import parseSrcset from '@prettier/parse-srcset';

export const defaultCorpus = new URL('../../shared/corpus/html', import.meta.url).pathname;

export interface TruthImage {
  /** File names this <img> may be known by (src, srcset candidates, lazy attributes). */
  names: Set<string>;
}
export interface Case {
  set: string;
  stem: string;
  html: string;
  url: string;
  /** What the fit/check split hashes: the registered domain, or set/stem for a page without a URL. */
  site: string;
  truthText: string;
  truthImages: TruthImage[] | null;
  /** fundus: the article's images with their document-order position. */
  goldImages: { url: string; position: number; is_cover?: boolean }[] | null;
}

/**
 * Decode page bytes: valid UTF-8 is UTF-8 (as the ground-truth tools read these files, even where a
 * page declares another charset, e.g. readability/qq), else the <meta charset>.
 */
export function decode(bytes: Buffer, detected?: string | null): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    /* not UTF-8 */
  }
  const head = bytes.subarray(0, 4096).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head);
  try {
    return new TextDecoder(m?.[1] ?? detected ?? 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Block-level tags of the ground-truth HTML: their boundaries separate words, inline tags do not. */
const TRUTH_BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol', 'dl', 'dt', 'dd',
  'blockquote', 'pre', 'table', 'tr', 'td', 'th', 'caption', 'figure', 'figcaption', 'br', 'hr', 'header',
  'footer', 'aside', 'nav', 'main', 'address', 'details', 'summary', 'img',
]);

export function textOf(nodes: ChildNode[]): string {
  let out = '';
  const stack: (ChildNode | null)[] = [...nodes].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (n === null) {
      out += '\n'; // end of a block
      continue;
    }
    if (n.type === 'text') out += (n as unknown as { data: string }).data;
    else if (n.type === 'tag') {
      const el = n as Element;
      if (TRUTH_BLOCKS.has(el.name)) {
        out += '\n';
        stack.push(null);
      }
      for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
    }
  }
  return out;
}

/**
 * What identifies an image: the decoded path of its URL (not the file name alone: the Guardian names
 * every image ".../master/4800.jpg"; not the query: it only picks a size).
 */
export function fileName(url: string): string | null {
  if (!url || url.startsWith('data:')) return null;
  try {
    const p = decodeURIComponent(new URL(url, 'http://fakehost/test/page.html').pathname);
    return p.length > 1 ? p : null;
  } catch {
    return null;
  }
}

export function srcsetUrls(s: string): string[] {
  try {
    return parseSrcset(s).map((c) => c.source.value);
  } catch {
    return s.split(/,\s+/).map((c) => c.trim().split(/\s+/)[0]!).filter(Boolean);
  }
}

export function truthImages(root: ChildNode[]): TruthImage[] {
  const out: TruthImage[] = [];
  const stack = [...root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type !== 'tag') continue;
    const el = n as Element;
    if (el.name === 'img') {
      const names = new Set<string>();
      // In a <picture>, the <source> candidates are the same image.
      const sources = el.parent && (el.parent as Element).name === 'picture' ? (el.parent as Element).children : [];
      const attribs = [el.attribs, ...sources.filter((x): x is Element => x.type === 'tag' && (x as Element).name === 'source').map((x) => x.attribs)];
      for (const [k, v] of attribs.flatMap((a) => Object.entries(a))) {
        const urls = k.includes('srcset') ? srcsetUrls(v) : k === 'src' || k.startsWith('data-') ? [v] : [];
        for (const u of urls) {
          const f = fileName(u.trim());
          if (f && /[./]/.test(u) && !/\s/.test(u.trim())) names.add(f);
        }
      }
      out.push({ names });
    }
    stack.push(...el.children);
  }
  return out;
}

/** The dev collection v2 (html/DEVSETS.md): `<stem>.html.gz`, `<stem>.expected.txt`, `<stem>.json`. */
export const DEV_SETS = [
  'wcxb', 'cleaneval', 'dragnet', 'l3s-gn1', 'fundus', 'googletrends-2017', 'cleanportaleval', 'newspaper4k-extra',
  'readability-php-extra',
];
/** DEVSETS.md: pages whose gold does not match their HTML are left out. */
export const MIN_GOLD_COVERAGE = 0.8;

export function loadCases(corpus: string, only?: string): Case[] {
  skippedLowCoverage = 0;
  const cases: Case[] = [];
  const listing = (set: string) => (existsSync(join(corpus, set)) ? readdirSync(join(corpus, set)).sort() : []);
  for (const f of listing('readability')) {
    if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
    const stem = f.slice(0, -5);
    const truth = parseDocument(readFileSync(join(corpus, 'readability', `${stem}.expected.html`), 'utf8'));
    cases.push({
      set: 'readability',
      stem,
      html: decode(readFileSync(join(corpus, 'readability', f))),
      url: 'http://fakehost/test/page.html', // the URL readability's test harness gives every page
      site: `readability/${stem}`,
      truthText: textOf(truth.children),
      truthImages: truthImages(truth.children),
      goldImages: null,
    });
  }
  for (const f of listing('newspaper4k')) {
    if (!f.endsWith('.html')) continue;
    const stem = f.slice(0, -5);
    let url: string | null = null;
    try {
      url = JSON.parse(readFileSync(join(corpus, 'newspaper4k', `${stem}.metadata.json`), 'utf8')).url ?? null;
    } catch {
      /* 3 pages have no metadata file */
    }
    cases.push({
      set: 'newspaper4k',
      stem,
      html: decode(readFileSync(join(corpus, 'newspaper4k', f))),
      url: url ?? `https://example.com/${stem}.html`,
      site: url ? registeredDomain(url) : `newspaper4k/${stem}`,
      truthText: readFileSync(join(corpus, 'newspaper4k', `${stem}.expected.txt`), 'utf8'),
      truthImages: null,
      goldImages: null,
    });
  }
  for (const f of listing('magic-html')) {
    if (!f.endsWith('.html')) continue;
    const stem = f.slice(0, -5);
    const truth = JSON.parse(readFileSync(join(corpus, 'magic-html', `${stem}.json`), 'utf8'));
    cases.push({
      set: 'magic-html',
      stem: `${stem.slice(0, 8)}(${truth.lang})`,
      html: decode(readFileSync(join(corpus, 'magic-html', f))),
      url: truth.url,
      site: registeredDomain(truth.url),
      truthText: truth.content,
      truthImages: null,
      goldImages: null,
    });
  }
  for (const set of DEV_SETS) {
    if (only && only !== set) continue;
    for (const f of listing(set)) {
      if (!f.endsWith('.html.gz')) continue;
      const stem = f.slice(0, -8);
      const meta = JSON.parse(readFileSync(join(corpus, set, `${stem}.json`), 'utf8'));
      if ((meta.audit?.gold_token_coverage_in_page ?? 1) < MIN_GOLD_COVERAGE) {
        skippedLowCoverage++;
        continue;
      }
      const url: string | null = meta.url || null;
      cases.push({
        set,
        stem,
        html: decode(gunzipSync(readFileSync(join(corpus, set, f))), meta.detected_encoding),
        url: url ?? `https://example.com/${set}/${stem}.html`,
        // Dragnet pages without a URL: by file name.
        site: url ? registeredDomain(url) : `${set}/${stem}`,
        truthText: readFileSync(join(corpus, set, `${stem}.expected.txt`), 'utf8'),
        truthImages: null,
        goldImages: Array.isArray(meta.images) && set === 'fundus' ? meta.images : null,
      });
    }
  }
  return only ? cases.filter((c) => c.set === only) : cases;
}
/** Pages the last loadCases left out for low gold coverage. */
export let skippedLowCoverage = 0;

/**
 * The registered domain (eTLD+1) of a URL, near enough for splitting by site: the last two labels, or
 * three under a short second-level label of a country code ("bbc.co.uk", "abc.net.au").
 */
export function registeredDomain(url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return url;
  }
  const labels = host.replace(/\.$/, '').split('.');
  if (labels.length <= 2 || /^\d+$/.test(labels[labels.length - 1]!)) return host;
  const sld = labels[labels.length - 2]!;
  const cc = labels[labels.length - 1]!.length === 2;
  const n = cc && (sld.length <= 3 || ['gouv', 'govt', 'gob'].includes(sld)) ? 3 : 2;
  return labels.slice(-n).join('.');
}

/** Fixed split by site: FNV-1a of the registered domain, odd = check. Never changes with the data. */
export function half(site: string): 'fit' | 'check' {
  let h = 0x811c9dc5;
  for (let i = 0; i < site.length; i++) {
    h ^= site.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 1 ? 'check' : 'fit';
}

// Words: runs of letters/digits; in scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar)
// every character (with its combining marks) is a token. Intl.Segmenter would give dictionary words but
// measured 10-50 µs per word on this machine, too slow for an eval run in seconds.
const NO_SPACE_SCRIPT = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}`;
const WORD = new RegExp(String.raw`[${NO_SPACE_SCRIPT}]\p{M}*|[[\p{L}\p{N}\p{M}]--[${NO_SPACE_SCRIPT}]]+`, 'gv');
export function bagOfWords(text: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(WORD)) bag.set(m[0], (bag.get(m[0]) ?? 0) + 1);
  return bag;
}

export function prf(pred: Map<string, number>, truth: Map<string, number>) {
  let overlap = 0;
  let np = 0;
  let nt = 0;
  for (const [w, c] of pred) {
    np += c;
    overlap += Math.min(c, truth.get(w) ?? 0);
  }
  for (const c of truth.values()) nt += c;
  if (np === 0 && nt === 0) return { p: 1, r: 1, f: 1 };
  const p = np ? overlap / np : 0;
  const r = nt ? overlap / nt : 0;
  return { p, r, f: p + r ? (2 * p * r) / (p + r) : 0 };
}

