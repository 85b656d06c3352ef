/**
 * Benchmark: the text path end to end. Builds (once, kept in --dir) a Common-Crawl-like WARC of
 * ≈50 MB: the real pages of the development collection (../shared/corpus/html, every set, each page
 * once, real URLs, per-record gzip response records with HTTP headers). Then, on that one file:
 *
 *   - the ceiling: gunzip + htmlparser2 SAX over the whole file, in this process;
 *   - `corpus run --offline` as a child process with 1 worker and with 2 workers: pages/s, the ratio
 *     to the ceiling, peak RSS of the whole process tree, CPU seconds, and core-seconds per GB;
 *   - a profile per stage, OWN time (the stats counters time:cumulative_seconds are cumulative over
 *     the upstream stages; each stage's own time is its cumulative minus the previous stage's), in
 *     wall seconds and in process CPU seconds (time:cumulative_cpu_seconds: steadier on a shared
 *     machine; with several workers each stage's CPU includes the other workers'),
 *     the write time, and what is left outside the stages (start-up, model loading, manifest);
 *   - the fixed cost: `corpus run` on a WARC of one page (start-up + models + one unit).
 *
 *   npx tsx scripts/bench-e2e.ts [--mb 50] [--dir /tmp/bench-e2e] [--workers 1,2] [--repeat 1] [--part-mb 12]
 *       [--old-rev <git rev>] [--keep]
 *
 * --old-rev runs that revision's `corpus run` (its tree unpacked with `git archive` next to this
 * checkout's node_modules) on the same file right before this tree's, for each worker count: both
 * lines, the own time per stage side by side, and row parity of the two outputs (docs and rejects,
 * every column, EXCEPT ALL both ways in DuckDB). --keep leaves the outputs in --dir (out-<label>-<w>).
 *
 * --part-mb sets run.partBytes (default 128 MiB, more than this file): the one file is then cut into
 * parts that the workers share (stages/read/parts.ts), and the wall seconds, pages and JS-thread CPU of
 * each part are printed, so that 1 vs 2 workers on one file can be compared on a file of this size. Every
 * run prints each worker's units, wall and JS-thread CPU (the balance) and the CPU of all other threads
 * (GC helpers, the tokenizer, DuckDB, start-up): what one worker already takes from the other cores.
 *
 * Load average is printed with every run: on a shared machine wall times mean little unless the
 * cores were free; CPU seconds are steadier.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { planStages } from '../pipeline/stages.ts';
import { loadConfig } from '../pipeline/config.ts';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { writeDevWarc } from '../test/helpers/corpus-warc.ts';
import type { UnitMarker } from '../pipeline/markers.ts';
import { runChild } from './lib/child.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values } = parseArgs({
  options: { mb: { type: 'string' }, dir: { type: 'string' }, workers: { type: 'string' }, repeat: { type: 'string' }, 'part-mb': { type: 'string' }, 'old-rev': { type: 'string' }, keep: { type: 'boolean' } },
});
const bytesWanted = Number(values.mb ?? 50) * 1e6;
const dir = values.dir ?? '/tmp/bench-e2e';
const workerCounts = (values.workers ?? '1,2').split(',').map(Number);
const repeat = Number(values.repeat ?? 1);
const partBytes = values['part-mb'] ? Math.round(Number(values['part-mb']) * 1024 * 1024) : null;
const ROOT = new URL('..', import.meta.url).pathname;
const oldRev = values['old-rev'] ?? null;
const keep = values.keep ?? false;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const mbs = (b: number) => `${(b / 1e6).toFixed(0)} MB`;

await mkdir(dir, { recursive: true });
const warc = join(dir, `dev-${bytesWanted / 1e6}mb.warc.gz`);
const one = join(dir, 'one-page-v2.warc.gz');
if (((await stat(warc).catch(() => null))?.size ?? 0) < bytesWanted) {
  const n = await writeDevWarc(warc, bytesWanted, Infinity, sharedCorpus());
  console.log(`built ${warc}: ${n} pages`);
}
if (!(await stat(one).catch(() => null))) await writeDevWarc(one, 1, 1, sharedCorpus());
const fileBytes = (await stat(warc)).size;

/** gunzip + SAX over the whole file (WARC and HTTP headers included): what reading the file costs at least. */
async function ceiling(): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const parser = new Parser({ onopentag() {}, ontext() {}, onclosetag() {} }, { decodeEntities: true });
  const dec = new StringDecoder('utf8');
  for await (const chunk of createReadStream(warc).pipe(createGunzip())) parser.write(dec.write(chunk as Buffer));
  parser.end();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

interface Run {
  seconds: number;
  cpu: number;
  peakRss: number;
  pages: number;
  docs: number;
  stages: Record<string, Record<string, number>>;
  /** Per unit (part): wall seconds, pages read, CPU of the worker's JS thread and which worker ran it. */
  units: { unit: string; seconds: number; pages: number; threadCpu: number; worker: number }[];
}

interface Tree {
  label: string;
  root: string;
}

async function corpusRun(tree: Tree, input: string, workers: number, keepOut = false): Promise<Run & { out: string }> {
  const out = join(dir, `out-${tree.label.replace(/\W+/g, '-')}-${workers}`);
  await rm(out, { recursive: true, force: true });
  const args = [join(tree.root, 'pipeline/bin.mjs'), 'run', input, '--out', out, '--workers', String(workers), '--quiet', '--offline'];
  if (partBytes !== null) {
    const cfg = join(dir, `parts-${partBytes}.json`);
    await writeFile(cfg, JSON.stringify({ run: { partBytes } }));
    args.push('--config', cfg);
  }
  const r = await runChild('node', args, { settleMs: 0 });
  const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8')) as { rows: Record<string, number>; stages: Record<string, Record<string, number>> };
  const units: Run['units'] = [];
  for (const m of await readdir(join(out, '_done'))) {
    const marker = JSON.parse(await readFile(join(out, '_done', m), 'utf8')) as UnitMarker;
    const pages = marker.stats.find((s) => s.stage === 'read' && s.counter === 'html')?.value ?? 0;
    units.push({ unit: marker.unit.slice(marker.unit.lastIndexOf('#') + 1), seconds: marker.seconds, pages, threadCpu: marker.threadCpuSeconds ?? NaN, worker: marker.worker ?? -1 });
  }
  units.sort((a, b) => (a.unit < b.unit ? -1 : 1));
  if (!keepOut) await rm(out, { recursive: true, force: true });
  return {
    out,
    seconds: r.seconds,
    cpu: r.cpuSeconds,
    peakRss: r.peakRss,
    pages: stats.stages.read?.html ?? NaN,
    docs: stats.rows.docs ?? NaN,
    stages: stats.stages,
    units,
  };
}

/**
 * Own seconds per stage (summed over workers) from the cumulative counters, in pipeline order: wall
 * (time:cumulative_seconds) or process CPU (time:cumulative_cpu_seconds; NaN for a revision without it).
 */
function profile(run: Run, kind: 'wall' | 'cpu' = 'wall'): [string, number][] {
  const plan = planStages(loadConfig());
  const names = [plan.extract.name, ...plan.docStages.map((s) => s.name)];
  const cumKey = kind === 'wall' ? 'time:cumulative_seconds' : 'time:cumulative_cpu_seconds';
  const out: [string, number][] = [];
  let prev = 0;
  for (const n of names) {
    const cum = run.stages[n]?.[cumKey] ?? (kind === 'cpu' && n === plan.extract.name ? NaN : prev);
    out.push([n === plan.extract.name ? `read+${n}` : n, cum - prev]);
    prev = cum;
  }
  const write = run.stages.write?.[kind === 'wall' ? 'time:own_seconds' : 'time:own_cpu_seconds'];
  out.push(['write', write ?? NaN]);
  return out;
}

/**
 * Rows of each table (docs, rejects, side tables; not stats, which holds timings) in one output and
 * not the other (EXCEPT ALL both ways, over the columns both have). Columns or tables only one
 * revision writes (a new signal, a new side table) are named, not compared.
 */
async function parity(a: string, b: string): Promise<string> {
  const db = await Db.open();
  try {
    const out: string[] = [];
    const tablesOf = async (d: string) =>
      new Set((await readdir(d, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('_') && e.name !== 'stats').map((e) => e.name));
    const [ta, tb] = [await tablesOf(a), await tablesOf(b)];
    for (const t of [...new Set([...ta, ...tb])].sort()) {
      if (!ta.has(t) || !tb.has(t)) {
        out.push(`${t} only in ${ta.has(t) ? 'old' : 'new'}`);
        continue;
      }
      const src = (d: string) => `read_parquet(${sqlString(`${d}/${t}/**/part-*.parquet`)}, union_by_name = true)`;
      const columns = async (d: string) => (await db.all(`DESCRIBE SELECT * FROM ${src(d)}`)).map((r) => String(r.column_name));
      const [ca, cb] = [await columns(a), await columns(b)];
      const common = ca.filter((c) => cb.includes(c));
      const cols = common.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
      const [r] = await db.all(
        `SELECT (SELECT count(*) FROM ${src(a)}) AS a, (SELECT count(*) FROM ${src(b)}) AS b,
                (SELECT count(*) FROM (SELECT ${cols} FROM ${src(a)} EXCEPT ALL SELECT ${cols} FROM ${src(b)})) AS only_a,
                (SELECT count(*) FROM (SELECT ${cols} FROM ${src(b)} EXCEPT ALL SELECT ${cols} FROM ${src(a)})) AS only_b`,
      );
      const added = cb.filter((c) => !ca.includes(c));
      const removed = ca.filter((c) => !cb.includes(c));
      const diff = [added.length ? `new columns ${added.join(', ')}` : '', removed.length ? `old-only columns ${removed.join(', ')}` : ''].filter(Boolean).join(', ');
      out.push(`${t} ${r!.a} vs ${r!.b} rows, ${r!.only_a} only in old, ${r!.only_b} only in new${diff ? ` (${diff}; compared on the ${common.length} common)` : ''}`);
    }
    return out.join('; ');
  } finally {
    db.close();
  }
}

const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args]).toString().trim();
const dirty = git('status', '--porcelain', '--untracked-files=no') ? '+changes' : '';
const trees: Tree[] = [];
if (oldRev) {
  const root = join(dir, `tree-${oldRev}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${oldRev} | tar -x -C "${root}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  trees.push({ label: `old ${oldRev}`, root });
}
trees.push({ label: `new ${git('rev-parse', '--short', 'HEAD')}${dirty}`, root: ROOT });

console.log(`input: ${warc}, ${mbs(fileBytes)}; load ${load()}`);
const ceil = await ceiling();
const sax = ceil.wall;
console.log(`gunzip + htmlparser2 SAX (ceiling)    ${sax.toFixed(2)} s wall, ${ceil.cpu.toFixed(2)} s CPU   ${(fileBytes / 1e6 / sax).toFixed(1)} MB/s`);
for (const t of trees) {
  const before = load();
  const fixed = await corpusRun(t, one, 1);
  console.log(`fixed cost [${t.label}]: corpus run on a 1-page WARC, 1 worker: ${fixed.seconds.toFixed(1)} s wall, ${fixed.cpu.toFixed(1)} s CPU, peak RSS ${mbs(fixed.peakRss)}  load ${before} -> ${load()}`);
}

for (const w of workerCounts) {
  for (let i = 0; i < repeat; i++) {
    const runs: (Run & { out: string })[] = [];
    for (const t of trees) {
      const before = load();
      const r = await corpusRun(t, warc, w, keep || trees.length > 1);
      runs.push(r);
      const perGb = (r.cpu / fileBytes) * 1e9;
      console.log(
        `corpus run --offline, ${w} worker${w > 1 ? 's' : ' '} [${t.label}]  ${r.seconds.toFixed(1).padStart(6)} s  ${(r.pages / r.seconds).toFixed(1).padStart(6)} pages/s  ` +
          `${(sax / r.seconds).toFixed(3)} of ceiling (wall; ${(ceil.cpu / r.cpu).toFixed(3)} by CPU)  peak RSS ${mbs(r.peakRss)} (${mbs(r.peakRss / w)}/worker)  CPU ${r.cpu.toFixed(1)} s  ` +
          `${perGb.toFixed(0)} core-s/GB  ${r.pages} pages -> ${r.docs} docs  load ${before} -> ${load()}`,
      );
      if (r.units.length > 1) {
        console.log(`  parts (bytes: wall s, JS-thread CPU s, pages): ${r.units.map((u) => `${u.unit}: ${u.seconds.toFixed(1)} s, ${u.threadCpu.toFixed(1)} s, ${u.pages}`).join('; ')}`);
      }
      // Balance and where the CPU went: each worker's JS thread (its units) vs everything else in the
      // process tree (V8's GC helper threads, DuckDB, the libuv pool, start-up, the main thread).
      const perWorker = new Map<number, { cpu: number; wall: number; units: number }>();
      for (const u of r.units) {
        const p = perWorker.get(u.worker) ?? { cpu: 0, wall: 0, units: 0 };
        p.cpu += u.threadCpu;
        p.wall += u.seconds;
        p.units++;
        perWorker.set(u.worker, p);
      }
      const jsCpu = [...perWorker.values()].reduce((s, p) => s + p.cpu, 0);
      console.log(
        `  per worker (units, wall s in units, JS-thread CPU s): ${[...perWorker.values()].map((p) => `${p.units}, ${p.wall.toFixed(1)} s, ${p.cpu.toFixed(1)} s`).join(' | ')}; ` +
          `other threads and start-up ${(r.cpu - jsCpu).toFixed(1)} CPU s (${(((r.cpu - jsCpu) / r.cpu) * 100).toFixed(0)}% of the tree)`,
      );
    }
    // Own time per stage (summed over workers), one column per tree: wall s, then process CPU s while
    // the stage ran (with one worker, its CPU plus the background threads'; NaN for a revision without it).
    const width = Math.max(...trees.map((t) => t.label.length)) + 2;
    const pad = (x: string) => x.padStart(width);
    for (const kind of ['wall', 'cpu'] as const) {
      const profs = runs.map((r) => profile(r, kind));
      const total = runs.map((r) => (kind === 'wall' ? r.seconds * w : r.cpu));
      const outside = runs.map((_, k) => total[k]! - profs[k]!.reduce((s, [, t]) => s + t, 0));
      const title = kind === 'wall' ? 'own time per stage (wall s, all workers)' : 'own CPU per stage (process CPU s)';
      console.log(`  ${title.padEnd(40)}${trees.map((t) => pad(t.label)).join('')}`);
      for (let k = 0; k < profs[0]!.length; k++) {
        const name = profs[0]![k]![0];
        console.log(`    ${name.padEnd(38)}${profs.map((p) => pad((p.find(([n]) => n === name)?.[1] ?? NaN).toFixed(1))).join('')}`);
      }
      const rest = kind === 'wall' ? 'outside (wall × workers − stages)' : 'outside (CPU of the tree − stages)';
      console.log(`    ${rest.padEnd(38)}${outside.map((o) => pad(o.toFixed(1))).join('')}`);
      console.log(`    ${(kind === 'wall' ? 'wall × workers' : 'CPU s of the process tree').padEnd(38)}${total.map((t) => pad(t.toFixed(1))).join('')}`);
    }
    if (runs.length > 1) console.log(`  parity (old vs new): ${await parity(runs[0]!.out, runs[1]!.out)}`);
    if (!keep) for (const r of runs) await rm(r.out, { recursive: true, force: true });
  }
}
