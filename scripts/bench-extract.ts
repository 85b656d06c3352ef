/**
 * Benchmark of the extract path as `corpus extract` runs it (read file, gunzip, charset decode,
 * extract, plain text + JSON line) over real pages, beside the htmlparser2 SAX-parse-only ceiling on
 * the same decoded HTML. Rates are per CPU-second of this one process (process.cpuUsage), so a shared
 * machine does not distort them; wall-clock rates are printed too.
 *
 *   npx tsx scripts/bench-extract.ts [dirs…] [--repeat 3] [--before DIR]   (default: all of ../shared/corpus/html)
 *
 * Prints pages per CPU-second, MB/s of decoded HTML, the ratio to the SAX ceiling (stock htmlparser2, and the
 * parse.ts parse extractHtml runs on) and peak RSS.
 * `--before DIR`: another checkout of the project (e.g. `git archive <rev> | tar -x -C DIR`, with a
 * node_modules link) whose extractHtml runs on the same decoded pages in the same process, alternating
 * with this one, and is printed beside it: a before/after that load on a shared machine does not skew.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Parser } from 'htmlparser2';
import { expandInputs, readUnit } from '../stages/read/index.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { plainText } from '../stages/extract/render.ts';
import { saxParse } from '../stages/extract/parse.ts';
import { loadConfig } from '../pipeline/config.ts';
import { standaloneContext } from '../pipeline/context.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values, positionals } = parseArgs({ options: { repeat: { type: 'string' }, before: { type: 'string' } }, allowPositionals: true });
const repeat = Number(values.repeat ?? 3);
const inputs = positionals.length ? positionals : [`${sharedCorpus('html')}/`];
const config = loadConfig();
const units = await expandInputs(inputs);

const context = (unit: string) => standaloneContext({ config, unit });

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const best = <T extends { cpu: number }>(a: T, b: T): T => (b.cpu < a.cpu ? b : a);

async function measure(f: () => Promise<number>): Promise<{ cpu: number; wall: number; pages: number }> {
  let best = { cpu: Infinity, wall: Infinity, pages: 0 };
  for (let i = 0; i < repeat; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const pages = await f();
    const r = { cpu: cpuSeconds() - c0, wall: (performance.now() - t0) / 1000, pages };
    if (r.cpu < best.cpu) best = r;
  }
  return best;
}

// The extract path of `corpus extract`, output serialised but not written.
let outBytes = 0;
let failed = 0;
const path = await measure(async () => {
  let n = 0;
  outBytes = 0;
  failed = 0;
  for (const unit of units) {
    for await (const page of readUnit(unit, context(unit.key))) {
      n++;
      try {
        const ex = extractHtml(page.html, page.url, config.extract);
        const images = ex.segments.filter((s) => s.kind === 'image').map((s) => ({ url: s.url, alt: s.alt, width: s.width, height: s.height }));
        outBytes += JSON.stringify({ input: page.source.file, url: page.url, title: ex.title, text: plainText(ex.segments), images, segments: ex.segments }).length;
      } catch {
        failed++;
      }
    }
  }
  return n;
});

// Decoded pages in memory for the parse-only rates.
const decoded: { url: string; html: string }[] = [];
for (const unit of units) for await (const p of readUnit(unit, context(unit.key))) decoded.push({ url: p.url, html: p.html });
const mb = decoded.reduce((n, p) => n + Buffer.byteLength(p.html), 0) / 1e6;

const sax = await measure(async () => {
  for (const p of decoded) new Parser({ onopentag() {}, ontext() {}, onclosetag() {} }, { decodeEntities: true }).end(p.html);
  return decoded.length;
});
// The parse extractHtml runs (parse.ts: htmlparser2's Parser with a skip-ahead tokenizer), no-op handlers.
const ownSax = await measure(async () => {
  for (const p of decoded) saxParse(p.html, { onopentag() {}, ontext() {}, onclosetag() {} });
  return decoded.length;
});
type Extract = typeof extractHtml;
const extractWith = (f: Extract) => async () => {
  for (const p of decoded) f(p.html, p.url, config.extract);
  return decoded.length;
};
const before: Extract | null = values.before
  ? ((await import(pathToFileURL(`${resolve(values.before)}/stages/extract/index.ts`).href)) as { extractHtml: Extract }).extractHtml
  : null;
let extractOnly = await measure(extractWith(extractHtml));
let extractBefore = before ? await measure(extractWith(before)) : null;
if (before) {
  // The other order too, best of both: whichever runs first pays the warm-up.
  extractBefore = best(extractBefore!, await measure(extractWith(before)));
  extractOnly = best(extractOnly, await measure(extractWith(extractHtml)));
}

const row = (name: string, r: { cpu: number; wall: number; pages: number }) =>
  `${name.padEnd(52)} ${(r.pages / r.cpu).toFixed(0).padStart(6)} pages/CPU-s ${(mb / r.cpu).toFixed(1).padStart(6)} MB/CPU-s ` +
  `${(sax.cpu / r.cpu).toFixed(2)}× of SAX   (wall ${(r.pages / r.wall).toFixed(0)} pages/s)`;
console.log(`input: ${decoded.length} pages, ${mb.toFixed(1)} MB of decoded HTML (${inputs.join(' ')}); best of ${repeat} by CPU time; 1 process`);
console.log(row('htmlparser2 SAX parse only (ceiling)', sax));
console.log(row('saxParse only (parse.ts: its tokenizer, no handlers)', ownSax));
if (extractBefore) console.log(row(`extractHtml only, before (${values.before})`, extractBefore));
console.log(row('extractHtml only (parse + tree + content)', extractOnly));
console.log(row('corpus extract path (read+gunzip+decode+extract+JSON)', path));
console.log(`pages failed: ${failed}; JSON out ${(outBytes / 1e6).toFixed(1)} MB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
