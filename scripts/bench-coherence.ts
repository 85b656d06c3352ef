/**
 * Throughput of the coherence stage's work (measure + segment drops + decision) on every real HTML page
 * of ../shared/corpus/html, beside the extract stage on the same pages as the reference, plus peak RSS.
 * Single-threaded; the machine is shared, so compare runs made at the same time.
 *
 *   npx tsx scripts/bench-coherence.ts [--seconds 5]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Doc } from '../schemas/doc.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { applyCoherence, coherenceDefaults } from '../stages/coherence/index.ts';

const CORPUS = process.env.CORPUS_DIR ?? new URL('../../shared/corpus', import.meta.url).pathname;
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } });
const budget = Number(args.seconds) * 1000;

const pages: { file: string; html: string }[] = [];
for (const set of ['readability', 'newspaper4k', 'magic-html']) {
  const dir = join(CORPUS, 'html', set);
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.html') && !f.endsWith('.expected.html')) pages.push({ file: f, html: readFileSync(join(dir, f), 'utf8') });
  }
}

function timed(label: string, fn: () => number): void {
  let docs = 0;
  let units = 0;
  const start = performance.now();
  while (performance.now() - start < budget) {
    units += fn();
    docs += pages.length;
  }
  const s = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(34)} ${(docs / s).toFixed(0).padStart(6)} docs/s  ${(units / s).toFixed(0).padStart(8)} segments/s`);
}

const docs: Doc[] = pages.map((p) => {
  const ex = extractHtml(p.html, 'http://fakehost/test/page.html');
  return {
    id: p.file, url: 'http://fakehost/', domain: 'fakehost', title: ex.title, fetchedAt: null,
    source: { file: p.file, offset: 0, recordId: null, recordType: 'file' }, lang: null, langScore: null, segments: ex.segments, signals: {},
  };
});
const segments = docs.reduce((n, d) => n + d.segments.length, 0);
console.log(`${pages.length} real pages (whole pages through the extract walk), ${Math.round(segments / docs.length)} segments/doc on average; ${args.seconds} s per line`);
timed('reference: extract (parse + walk)', () => pages.reduce((n, p) => n + extractHtml(p.html, 'http://fakehost/').segments.length, 0));
timed('coherence (lang = eng)', () => docs.reduce((n, d) => (applyCoherence({ ...d, lang: 'eng', segments: [...d.segments], signals: {} }, coherenceDefaults), n + d.segments.length), 0));
timed('coherence (lang unknown)', () => docs.reduce((n, d) => (applyCoherence({ ...d, segments: [...d.segments], signals: {} }, coherenceDefaults), n + d.segments.length), 0));
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (one core of a shared 2-core machine)`);
