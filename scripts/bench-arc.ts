/**
 * Benchmark: the ARC reader beside the WARC reader on the same HTTP responses. The real pages of
 * ../shared/corpus/html are written `--copies` times into a WARC.gz (the project's WarcWriter, one gzip
 * member per record) and into an ARC.gz (version 1 header lines, one gzip member per record), then each
 * file is read through `readUnit` (decode + charset, what `corpus run` reads) `--repeat` times.
 *
 *   npx tsx scripts/bench-arc.ts [--repeat 3] [--copies 4]
 *
 * Prints pages/s and MB/s (compressed file bytes) of each, their ratio, and peak RSS.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { WarcWriter } from '../stages/lib/warc-writer.ts';
import { expandInputs, readUnit } from '../stages/read/index.ts';
import { loadConfig } from '../pipeline/config.ts';
import { standaloneContext } from '../pipeline/context.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values } = parseArgs({ options: { repeat: { type: 'string' }, copies: { type: 'string' } } });
const repeat = Number(values.repeat ?? 3);
const copies = Number(values.copies ?? 4);
const corpus = `${sharedCorpus('html')}/`;

const src: { name: string; html: Buffer }[] = [];
for (const set of ['readability', 'newspaper4k', 'magic-html']) {
  for (const f of (await readdir(join(corpus, set))).sort()) {
    if (f.endsWith('.html') && !f.endsWith('.expected.html')) src.push({ name: `${set}/${f}`, html: await readFile(join(corpus, set, f)) });
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-arc-'));
const warc = join(dir, 'pages.warc.gz');
const arc = join(dir, 'pages.arc.gz');
const w = await WarcWriter.open(warc);
const a = createWriteStream(arc);
const write = (b: Buffer) => new Promise<void>((resolve, reject) => a.write(b, (e) => (e ? reject(e) : resolve())));
await write(gzipSync(Buffer.from('filedesc://pages.arc 0.0.0.0 20261128000000 text/plain 9\n1 0 bench\n\n', 'latin1')));
for (let c = 0; c < copies; c++) {
  for (const p of src) {
    const url = `https://bench.example/${c}/${p.name}`;
    await w.writeExchange({ url, date: '2026-11-28T00:00:00Z', status: 200, headers: { 'Content-Type': 'text/html' }, body: p.html });
    const block = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${p.html.length}\r\n\r\n`, 'latin1'), p.html]);
    await write(gzipSync(Buffer.concat([Buffer.from(`${url} 192.0.2.1 20261128000000 text/html ${block.length}\n`, 'latin1'), block, Buffer.from('\n')])));
  }
}
await w.close();
await new Promise<void>((resolve) => a.end(resolve));

const config = loadConfig();
const ctx = (unit: string) => standaloneContext({ config, unit });

async function rate(file: string): Promise<{ pages: number; seconds: number; mb: number }> {
  const times: number[] = [];
  let pages = 0;
  for (let i = 0; i < repeat; i++) {
    const [unit] = await expandInputs([file]);
    const t0 = performance.now();
    pages = 0;
    for await (const _p of readUnit(unit!, ctx(file))) pages++;
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((x, y) => x - y);
  return { pages, seconds: times[Math.floor(times.length / 2)]!, mb: (await stat(file)).size / 1e6 };
}

const rw = await rate(warc);
const ra = await rate(arc);
const line = (name: string, r: { pages: number; seconds: number; mb: number }) =>
  `${name.padEnd(6)} ${r.pages} pages, ${r.mb.toFixed(1)} MB: ${(r.pages / r.seconds).toFixed(0).padStart(5)} pages/s ${(r.mb / r.seconds).toFixed(1).padStart(6)} MB/s`;
console.log(`${src.length} real pages x ${copies} copies, median of ${repeat} reads through readUnit`);
console.log(line('WARC', rw));
console.log(line('ARC', ra));
console.log(`ARC / WARC speed: ${(rw.seconds / ra.seconds).toFixed(2)}x; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await rm(dir, { recursive: true, force: true });
