/**
 * Scores extraction (the code `corpus extract` runs: extractHtml) against the ground truth in
 * ../shared/corpus/html, per set:
 *   readability  text vs `expected.html` (Readability.js output) + images vs the <img> in it
 *   newspaper4k  text vs `expected.txt`
 *   magic-html   text vs the JSON `content`
 * Text: bag-of-words precision / recall / F1 per page (words are letter/digit runs, and
 * single characters in Chinese, Japanese, Thai, Burmese ...), averaged over the pages of a set.
 * Images: an extracted image matches a ground-truth <img> when its URL path is one of that <img>'s
 * candidates (src, srcset, data-src ...); images are counted once per page however often repeated.
 * Speed: pages/s of extractHtml over all pages, beside the htmlparser2 SAX-parse-only ceiling.
 *
 *   npx tsx scripts/eval-extraction.ts [--corpus DIR] [--set NAME] [--pages] [--passes N]
 *   npx tsx scripts/eval-extraction.ts --page STEM   what one page lost and gained, to study a failure
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { parseDocument } from 'htmlparser2';
import { saxParseOnly } from '../stages/extract/parse.ts';
import type { ChildNode, Element } from 'domhandler';
import parseSrcset from '@prettier/parse-srcset';
import { extractHtml, extractDefaults } from '../stages/extract/index.ts';

const { values: args } = parseArgs({
  options: {
    corpus: { type: 'string', default: new URL('../../../shared/corpus/html', import.meta.url).pathname },
    set: { type: 'string' },
    pages: { type: 'boolean', default: false },
    page: { type: 'string' },
    passes: { type: 'string', default: '5' },
    'no-speed': { type: 'boolean', default: false },
    /** Extract config overrides as JSON, e.g. '{"climbTolerance":0.05}', to try a setting. */
    config: { type: 'string' },
  },
});
const corpus = process.env.CORPUS_HTML ?? args.corpus!;
const cfg = { ...extractDefaults, ...(args.config ? JSON.parse(args.config) : {}) };

interface TruthImage {
  /** File names this <img> may be known by (src, srcset candidates, lazy attributes). */
  names: Set<string>;
}
interface Case {
  set: string;
  stem: string;
  html: string;
  url: string;
  truthText: string;
  truthImages: TruthImage[] | null;
}

/**
 * Decode page bytes: valid UTF-8 is UTF-8 (as the ground-truth tools read these files, even where a
 * page declares another charset, e.g. readability/qq), else the <meta charset>.
 */
function decode(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    /* not UTF-8 */
  }
  const head = bytes.subarray(0, 4096).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head);
  try {
    return new TextDecoder(m?.[1] ?? 'utf-8').decode(bytes);
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

function textOf(nodes: ChildNode[]): string {
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
function fileName(url: string): string | null {
  if (!url || url.startsWith('data:')) return null;
  try {
    const p = decodeURIComponent(new URL(url, 'http://fakehost/test/page.html').pathname);
    return p.length > 1 ? p : null;
  } catch {
    return null;
  }
}

function srcsetUrls(s: string): string[] {
  try {
    return parseSrcset(s).map((c) => c.source.value);
  } catch {
    return s.split(/,\s+/).map((c) => c.trim().split(/\s+/)[0]!).filter(Boolean);
  }
}

function truthImages(root: ChildNode[]): TruthImage[] {
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

function loadCases(): Case[] {
  const cases: Case[] = [];
  const listing = (set: string) => readdirSync(join(corpus, set)).sort();
  for (const f of listing('readability')) {
    if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
    const stem = f.slice(0, -5);
    const truth = parseDocument(readFileSync(join(corpus, 'readability', `${stem}.expected.html`), 'utf8'));
    cases.push({
      set: 'readability',
      stem,
      html: decode(readFileSync(join(corpus, 'readability', f))),
      url: 'http://fakehost/test/page.html', // the URL readability's test harness gives every page
      truthText: textOf(truth.children),
      truthImages: truthImages(truth.children),
    });
  }
  for (const f of listing('newspaper4k')) {
    if (!f.endsWith('.html')) continue;
    const stem = f.slice(0, -5);
    let url = `https://example.com/${stem}.html`;
    try {
      url = JSON.parse(readFileSync(join(corpus, 'newspaper4k', `${stem}.metadata.json`), 'utf8')).url ?? url;
    } catch {
      /* 3 pages have no metadata file */
    }
    cases.push({
      set: 'newspaper4k',
      stem,
      html: decode(readFileSync(join(corpus, 'newspaper4k', f))),
      url,
      truthText: readFileSync(join(corpus, 'newspaper4k', `${stem}.expected.txt`), 'utf8'),
      truthImages: null,
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
      truthText: truth.content,
      truthImages: null,
    });
  }
  return args.set ? cases.filter((c) => c.set === args.set) : cases;
}

// Words: runs of letters/digits; in scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar)
// every character (with its combining marks) is a token. Intl.Segmenter would give dictionary words but
// measured 10-50 µs per word on this machine, too slow for an eval run in seconds.
const NO_SPACE_SCRIPT = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}`;
const WORD = new RegExp(String.raw`[${NO_SPACE_SCRIPT}]\p{M}*|[[\p{L}\p{N}\p{M}]--[${NO_SPACE_SCRIPT}]]+`, 'gv');
function bagOfWords(text: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(WORD)) bag.set(m[0], (bag.get(m[0]) ?? 0) + 1);
  return bag;
}

function prf(pred: Map<string, number>, truth: Map<string, number>) {
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

interface Score {
  set: string;
  stem: string;
  p: number;
  r: number;
  f: number;
  imgTruth: number;
  imgPred: number;
  imgMatched: number;
  imgTruthFound: number;
  /** The same counted over every <img>, an image repeated on the page counting each time. */
  rawTruth: number;
  rawPred: number;
  rawMatched: number;
  rawTruthFound: number;
}

function score(c: Case): Score {
  const ex = extractHtml(c.html, c.url, cfg);
  const text = ex.segments.filter((s) => s.kind === 'text').map((s) => s.text).join('\n');
  const { p, r, f } = prf(bagOfWords(text), bagOfWords(c.truthText));
  const s: Score = {
    ...{ set: c.set, stem: c.stem, p, r, f },
    ...{ imgTruth: 0, imgPred: 0, imgMatched: 0, imgTruthFound: 0, rawTruth: 0, rawPred: 0, rawMatched: 0, rawTruthFound: 0 },
  };
  if (c.truthImages) {
    // Ground-truth images known only by a data: URI (placeholders) cannot be matched by URL: not counted.
    const truth = c.truthImages.filter((t) => t.names.size > 0);
    const predNames = ex.segments.filter((x) => x.kind === 'image').map((x) => fileName(x.url ?? ''));
    const count = (t: TruthImage[], pn: (string | null)[]) => [
      t.length,
      pn.length,
      pn.filter((n) => n && t.some((x) => x.names.has(n))).length,
      t.filter((x) => pn.some((n) => n && x.names.has(n))).length,
    ];
    [s.rawTruth, s.rawPred, s.rawMatched, s.rawTruthFound] = count(truth, predNames);
    // Distinct images: an icon repeated 110 times in a table is one image (the images table is
    // content-addressed too).
    const distinctTruth = truth.filter((t, i) => !truth.slice(0, i).some((u) => [...t.names].some((n) => u.names.has(n))));
    [s.imgTruth, s.imgPred, s.imgMatched, s.imgTruthFound] = count(distinctTruth, [...new Set(predNames)]);
  }
  return s;
}

/** Print the extracted document and the words it missed or added against the ground truth. */
function explain(c: Case) {
  const ex = extractHtml(c.html, c.url, cfg);
  const s = score(c);
  console.log(`== ${c.set}/${c.stem}  P ${f3(s.p)} R ${f3(s.r)} F1 ${f3(s.f)}  region <${ex.contentTag}>  ` +
    `images truth/ours/matched ${s.imgTruth}/${s.imgPred}/${s.imgMatched}  dropped ${JSON.stringify(ex.imagesDropped)}`);
  for (const seg of ex.segments)
    console.log(seg.kind === 'text' ? `  [${seg.tag}] ${seg.text!.slice(0, 110).replace(/\n/g, ' / ')}` : `  [IMG] ${seg.url}`);
  const text = ex.segments.filter((x) => x.kind === 'text').map((x) => x.text).join('\n');
  const pred = bagOfWords(text);
  const truth = bagOfWords(c.truthText);
  const diff = (a: Map<string, number>, b: Map<string, number>) =>
    [...a].map(([w, n]) => [w, n - (b.get(w) ?? 0)] as const).filter(([, d]) => d > 0).sort((x, y) => y[1] - x[1]);
  const fmt = (d: (readonly [string, number])[]) => `${d.reduce((a, x) => a + x[1], 0)} words: ` + d.slice(0, 40).map(([w, n]) => `${w}×${n}`).join(' ');
  console.log(`  missing ${fmt(diff(truth, pred))}`);
  console.log(`  extra   ${fmt(diff(pred, truth))}`);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');

const cases = loadCases();
if (args.page) {
  for (const c of cases.filter((x) => x.stem.startsWith(args.page!))) explain(c);
  process.exit(0);
}
const scores = cases.map(score);
if (args.pages) {
  console.log('set\tpage\tP\tR\tF1\timg truth/pred/matched');
  for (const s of scores)
    console.log(
      `${s.set}\t${s.stem}\t${f3(s.p)}\t${f3(s.r)}\t${f3(s.f)}` +
        (s.imgTruth || s.imgPred ? `\t${s.imgTruth}/${s.imgPred}/${s.imgMatched}` : ''),
    );
  console.log();
}

console.log('| set | pages | text P | text R | text F1 | img recall | img precision | img pages R / P |');
console.log('|---|---|---|---|---|---|---|---|');
for (const set of [...new Set(scores.map((s) => s.set))]) {
  const ss = scores.filter((s) => s.set === set);
  let imgCols = '| - | - | - |';
  if (set === 'readability') {
    const sum = (k: keyof Score) => ss.reduce((a, s) => a + (s[k] as number), 0);
    const withImgs = ss.filter((s) => s.imgTruth > 0);
    const withPred = ss.filter((s) => s.imgPred > 0);
    imgCols =
      `| ${f3(sum('imgTruthFound') / sum('imgTruth'))} (${sum('imgTruthFound')}/${sum('imgTruth')}) ` +
      `| ${f3(sum('imgMatched') / sum('imgPred'))} (${sum('imgMatched')}/${sum('imgPred')}) ` +
      `| ${f3(mean(withImgs.map((s) => s.imgTruthFound / s.imgTruth)))} / ` +
      `${f3(mean(withPred.map((s) => s.imgMatched / s.imgPred)))} |`;
  }
  console.log(
    `| ${set} | ${ss.length} | ${f3(mean(ss.map((s) => s.p)))} | ${f3(mean(ss.map((s) => s.r)))} ` +
      `| ${f3(mean(ss.map((s) => s.f)))} ${imgCols}`,
  );
}
{
  const rd = scores.filter((x) => x.set === 'readability');
  const sum = (k: keyof Score) => rd.reduce((a, x) => a + (x[k] as number), 0);
  console.log(
    'img recall/precision: distinct images per page (URL path), summed over the set; "img pages": mean per page\n' +
      '(recall over pages with ground-truth images, precision over pages where we emitted images).\n' +
      `Counting every <img> (repeats too): recall ${f3(sum('rawTruthFound') / sum('rawTruth'))} ` +
      `(${sum('rawTruthFound')}/${sum('rawTruth')}), precision ${f3(sum('rawMatched') / sum('rawPred'))} ` +
      `(${sum('rawMatched')}/${sum('rawPred')}).`,
  );
}

if (!args['no-speed']) {
  const passes = Math.max(1, Number(args.passes));
  const htmls = cases.map((c) => c.html);
  const urls = cases.map((c) => c.url);
  const mb = htmls.reduce((a, h) => a + Buffer.byteLength(h), 0) / 1e6;
  // Wall time and CPU time of this process: on a shared machine CPU time is what one core of our
  // own costs (other processes' load inflates wall time, not our CPU seconds).
  const timeIt = (fn: (i: number) => void) => {
    for (let i = 0; i < htmls.length; i++) fn(i); // warm-up
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < passes; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      for (let i = 0; i < htmls.length; i++) fn(i);
      const dc = process.cpuUsage(c);
      wall.push((performance.now() - t) / 1000);
      cpu.push((dc.user + dc.system) / 1e6);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { wall: median(wall), cpu: median(cpu) };
  };
  const tSax = timeIt((i) => saxParseOnly(htmls[i]!));
  const tEx = timeIt((i) => extractHtml(htmls[i]!, urls[i]!, cfg));
  const rate = (t: number) => `${(htmls.length / t).toFixed(0)} pages/s, ${(mb / t).toFixed(1)} MB/s`;
  console.log(`\nspeed on ${htmls.length} pages (${mb.toFixed(1)} MB), one thread, median of ${passes} passes:`);
  console.log(`  extractHtml                      per CPU-second ${rate(tEx.cpu)}; wall clock ${rate(tEx.wall)}`);
  console.log(`  htmlparser2 SAX parse (ceiling)  per CPU-second ${rate(tSax.cpu)}; wall clock ${rate(tSax.wall)}`);
  console.log(`  extract / ceiling = ${(tSax.cpu / tEx.cpu).toFixed(2)} (CPU), ${(tSax.wall / tEx.wall).toFixed(2)} (wall)`);
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
