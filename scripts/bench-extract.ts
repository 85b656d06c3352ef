/**
 * Benchmark: read + extract (+ write) on a WARC built from the real pages in ../shared/corpus/html,
 * beside the htmlparser2 SAX-parse-only rate on the same pages (the ceiling of any DOM-based extractor).
 *
 *   npx tsx scripts/bench-extract.ts [--repeat 3] [--copies 4]
 *
 * Prints pages/s, MB/s (of decoded HTML), the ratio to the SAX ceiling and peak RSS.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Parser } from 'htmlparser2';
import { WarcWriter } from '../stages/lib/warc-writer.ts';
import { expandInputs, readUnit } from '../stages/read/index.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { loadConfig } from '../pipeline/config.ts';
import { runCorpus } from '../pipeline/run.ts';
import { planStages } from '../pipeline/stages.ts';
import { Counters } from '../pipeline/stats.ts';
import type { StageContext } from '../pipeline/stage.ts';

const { values } = parseArgs({ options: { repeat: { type: 'string' }, copies: { type: 'string' } } });
const repeat = Number(values.repeat ?? 3);
const copies = Number(values.copies ?? 4);
const corpus = new URL('../../shared/corpus/html/', import.meta.url).pathname;

async function pages(): Promise<{ name: string; html: Buffer }[]> {
  const out: { name: string; html: Buffer }[] = [];
  for (const set of ['readability', 'newspaper4k', 'magic-html']) {
    for (const f of (await readdir(join(corpus, set))).sort()) {
      if (f.endsWith('.html') && !f.endsWith('.expected.html')) out.push({ name: `${set}/${f}`, html: await readFile(join(corpus, set, f)) });
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-extract-'));
const src = await pages();
const warc = join(dir, 'pages.warc.gz');
const w = await WarcWriter.open(warc);
for (let c = 0; c < copies; c++) {
  for (const p of src) {
    await w.writeExchange({
      url: `https://bench.example/${c}/${p.name}`,
      date: '2026-11-28T00:00:00Z',
      status: 200,
      headers: { 'Content-Type': 'text/html' },
      body: p.html,
    });
  }
}
await w.close();
const nPages = src.length * copies;

// Decoded HTML as the reader produces it, for the parse-only rates.
const config = loadConfig();
const ctx: StageContext = {
  config,
  counters: new Counters(),
  reject: () => {},
  emit: () => {},
  resources: new Map(),
  unit: warc,
  segment: `${warc}#0`,
  signal: new AbortController().signal,
  log: () => {},
};
const [unit] = await expandInputs([warc]);
const decoded: { url: string; html: string }[] = [];
for await (const p of readUnit(unit!, ctx)) decoded.push({ url: p.url, html: p.html });
const mb = decoded.reduce((n, p) => n + Buffer.byteLength(p.html), 0) / 1e6;

function timeIt(f: () => void | Promise<void>): Promise<number> {
  return (async () => {
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      await f();
      times.push((performance.now() - t0) / 1000);
    }
    return median(times);
  })();
}

const sax = await timeIt(() => {
  for (const p of decoded) {
    const parser = new Parser({ onopentag() {}, ontext() {}, onclosetag() {} }, { decodeEntities: true });
    parser.write(p.html);
    parser.end();
  }
});
const extractOnly = await timeIt(() => {
  for (const p of decoded) extractHtml(p.html, p.url, config.extract);
});
const readExtract = await timeIt(async () => {
  const [u] = await expandInputs([warc]);
  for await (const p of readUnit(u!, ctx)) extractHtml(p.html, p.url, config.extract);
});
const full = await timeIt(async () => {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  await runCorpus({ inputs: [warc], out, config, progress: false });
  await rm(out, { recursive: true, force: true });
});

const row = (name: string, s: number) =>
  `${name.padEnd(44)} ${(nPages / s).toFixed(1).padStart(8)} pages/s ${(mb / s).toFixed(2).padStart(7)} MB/s   ${(sax / s).toFixed(2)}× of SAX rate`;
const stages = planStages(config).docStages.map((s) => s.name);
console.log(`input: ${nPages} pages (${src.length} corpus pages × ${copies}), ${mb.toFixed(1)} MB of HTML; median of ${repeat}; 1 process`);
console.log(row('htmlparser2 SAX parse only (ceiling)', sax));
console.log(row('extract only (parse + walk)', extractOnly));
console.log(row('read WARC + decode + extract', readExtract));
console.log(row(`corpus run: read+extract+[${stages.join(',')}]+write`, full));
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await rm(dir, { recursive: true, force: true });
