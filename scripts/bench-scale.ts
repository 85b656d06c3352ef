/**
 * Benchmark: `corpus run` at scale. Builds a ≈1 GB crawl from the real pages in ../shared/corpus/html
 * (per-record gzip WARC, stages/lib/warc-writer.ts), as 8 files of ≈128 MB and as one file holding
 * the same records, plus a 50 MB file; then runs the CLI (a real child process) and reports:
 *
 *   - peak RSS of the whole process tree (all worker threads) on the 50 MB file and on the 1 GB
 *     file, one worker each: memory must not grow with the input (flat within 20%);
 *   - throughput with 1 worker (the 1 GB file) and 2 workers (the same records as 8 files; a file is
 *     one unit of work, so parallelism is across files): 2 workers must give ≥ 1.7× one.
 *
 *   npx tsx scripts/bench-scale.ts [--gb 1] [--small-mb 50] [--dir /tmp/bench-scale] [--only small,big,parts]
 *
 * The files are kept in --dir and reused by the next run. Load average is printed with every run:
 * on a shared machine a 2-worker figure means little unless two cores were free.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeCorpusWarc } from '../test/helpers/corpus-warc.ts';
import { runChild } from './lib/child.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values } = parseArgs({
  options: { gb: { type: 'string' }, 'small-mb': { type: 'string' }, dir: { type: 'string' }, only: { type: 'string' } },
});
const totalBytes = Number(values.gb ?? 1) * 1e9;
const smallBytes = Number(values['small-mb'] ?? 50) * 1e6;
const dir = values.dir ?? '/tmp/bench-scale';
const only = new Set((values.only ?? 'small,big,parts').split(','));
const PARTS = 8;
const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;

const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function size(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}

/** Build (or reuse) the inputs. */
async function build(): Promise<{ small: string; big: string; parts: string[] }> {
  await mkdir(join(dir, 'parts'), { recursive: true });
  const small = join(dir, `small-${smallBytes / 1e6}mb.warc.gz`);
  if ((await size(small)) < smallBytes) {
    const t0 = performance.now();
    await writeCorpusWarc(small, { bytes: smallBytes, firstCopy: 1_000_000 }, sharedCorpus());
    console.log(`built ${small}: ${mb(await size(small))} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const parts: string[] = [];
  for (let i = 0; i < PARTS; i++) {
    const p = join(dir, 'parts', `crawl-${String(i).padStart(2, '0')}.warc.gz`);
    parts.push(p);
    if ((await size(p)) >= totalBytes / PARTS) continue;
    const t0 = performance.now();
    // Distinct URLs per part: the same pages, as a crawl revisiting a site would have them.
    await writeCorpusWarc(p, { bytes: totalBytes / PARTS, firstCopy: i * 10_000 }, sharedCorpus());
    console.log(`built ${p}: ${mb(await size(p))} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  // The one-file version: gzip members concatenate, so the parts back to back are one valid WARC.gz.
  const big = join(dir, 'crawl-1gb.warc.gz');
  let partsBytes = 0;
  for (const p of parts) partsBytes += await size(p);
  if ((await size(big)) !== partsBytes) {
    const out = createWriteStream(big);
    for (const p of parts) {
      for await (const chunk of createReadStream(p)) if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    console.log(`built ${big}: ${mb(await size(big))}`);
  }
  return { small, big, parts };
}

interface Measured {
  name: string;
  bytes: number;
  workers: number;
  seconds: number;
  docs: number;
  peakRss: number;
  /** Median and 95th percentile of the RSS samples taken after the first 30 s (models loaded). */
  p50Rss: number;
  p95Rss: number;
  cpuSeconds: number;
  loadBefore: string;
  loadAfter: string;
}

async function measure(name: string, inputs: string[], workers: number): Promise<Measured> {
  const out = join(dir, `out-${name}`);
  await rm(out, { recursive: true, force: true });
  let bytes = 0;
  for (const i of inputs) bytes += await size(i);
  const loadBefore = load();
  const { seconds, peakRss, samples, cpuSeconds, stderr } = await runChild(
    'node',
    [BIN, 'run', ...inputs, '--out', out, '--workers', String(workers), '--quiet', '--offline'],
  );
  const docs = Number(/(\d+) docs, \d+ rejects/.exec(stderr)?.[1] ?? NaN);
  await rm(out, { recursive: true, force: true });
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0;
  const m = { name, bytes, workers, seconds, docs, peakRss, p50Rss: q(0.5), p95Rss: q(0.95), cpuSeconds, loadBefore, loadAfter: load() };
  console.log(
    `${name.padEnd(26)} ${mb(bytes).padStart(8)}  ${workers} worker${workers > 1 ? 's' : ' '}  ${seconds.toFixed(0).padStart(5)} s  ` +
      `${(bytes / 1e6 / seconds).toFixed(2).padStart(6)} MB/s  ${(docs / seconds).toFixed(1).padStart(6)} docs/s  ` +
      `RSS peak ${mb(peakRss).padStart(7)} p95 ${mb(m.p95Rss)} p50 ${mb(m.p50Rss)}  CPU ${cpuSeconds.toFixed(0)} s (${(cpuSeconds / seconds).toFixed(2)} cores)  load ${loadBefore} -> ${m.loadAfter}`,
  );
  return m;
}

const files = await build();
console.log(`\ncorpus run (all stages of pipeline/stages.ts), child process, RSS sampled every 100 ms over the process tree; --offline (images from the WARCs only: no network here)`);
const results: Record<string, Measured> = {};
if (only.has('small')) results.small = await measure(`one ${mb(smallBytes)} file`, [files.small], 1);
if (only.has('big')) results.big = await measure('one 1 GB file', [files.big], 1);
if (only.has('parts')) results.parts = await measure(`${PARTS} files (same records)`, files.parts, 2);

if (results.small && results.big) {
  const ratio = results.big.peakRss / results.small.peakRss;
  console.log(`RSS, 1 GB vs ${mb(smallBytes)} input (1 worker): ${mb(results.big.peakRss)} vs ${mb(results.small.peakRss)} = ${ratio.toFixed(2)}× (flat within 20%: ${ratio <= 1.2 ? 'yes' : 'NO'})`);
  const r95 = results.big.p95Rss / results.small.p95Rss;
  console.log(`RSS p95 after start-up, 1 GB vs ${mb(smallBytes)}: ${mb(results.big.p95Rss)} vs ${mb(results.small.p95Rss)} = ${r95.toFixed(2)}×`);
}
if (results.big && results.parts) {
  const speedup = results.parts.bytes / results.parts.seconds / (results.big.bytes / results.big.seconds);
  console.log(`throughput, 2 workers vs 1 on the same records: ${speedup.toFixed(2)}× (≥ 1.7×: ${speedup >= 1.7 ? 'yes' : 'NO'})`);
  // The CPU the same work took with 1 and 2 workers: what parallelism costs, whatever the machine's load.
  console.log(`CPU for the same records: ${results.big.cpuSeconds.toFixed(0)} s with 1 worker, ${results.parts.cpuSeconds.toFixed(0)} s with 2 (${((results.parts.cpuSeconds / results.big.cpuSeconds - 1) * 100).toFixed(1)}%)`);
}
