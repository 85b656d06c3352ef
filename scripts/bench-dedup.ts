/**
 * Speed and peak memory of the in-run dedup stage on N documents (default 100,000), and of the
 * global pass (`corpus dedup`) over the Parquet those documents make.
 *
 * Documents are built from the paragraphs of the real pages in ../shared/corpus: 1,000 domains, each
 * page 8-25 paragraphs drawn at random plus its domain's footer and logo and 2-4 photos; every 10th
 * page is a 2%-edited later copy of an earlier one, every 50th the same URL with a tracking
 * parameter. They are generated on the fly (never all in memory), so RSS is the stage's own state.
 *
 * Each mode runs in a child process of its own so its peak RSS is its own:
 *   reference  generate the documents and pass them through a no-op stage
 *   minhash    reference + the MinHash signature of each (the arithmetic alone)
 *   stage      the whole in-run dedup stage (URL, MinHash + LSH index, boilerplate, images)
 *   write      stage + docs/rejects Parquet through DuckDB (a shard for the next mode)
 *   global     the global SQL pass (`corpus dedup`) over that shard, alone in its process
 *
 *   npx tsx scripts/bench-dedup.ts [N] [--only global]
 *
 * The partitioned pass (`corpus dedup --phase index|cluster|apply`) on synthetic signatures:
 *
 *   npx tsx scripts/bench-dedup.ts --docs 10000000 --world-size 8 [--shards 16] [--threads 1] [--apply]
 *
 * writes --shards Parquet shards of N documents straight from DuckDB (doc_id, url_norm, fetched_ms,
 * a 112-value minhash, a unique paragraph, its domain's footer and logo; every 10th document an
 * 8%-perturbed signature of one of the 500 before it, every 50th the URL of the third before it,
 * 1,000 domains), then runs each index task, cluster (and with --apply each apply task) in a child
 * process of its own and prints its time and peak RSS, and the same as one task (--world-size 1)
 * unless --no-reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../pipeline/config.ts';
import { standaloneContext, type RunContext } from '../pipeline/context.ts';
import type { ColumnSpec, Doc, Segment } from '../schemas/doc.ts';
import { DOC_BASE_COLUMNS, REJECT_EXTRA_COLUMNS, docRow } from '../schemas/tables.ts';
import { extractHtml } from '../stages/extract/index.ts';
import { DEDUP_COLUMNS, dedupStage, docText } from '../stages/dedup/index.ts';
import { MinHasher } from '../stages/dedup/minhash.ts';
import { applyPhase, clusterPhase, globalDedup, indexPhase } from '../stages/dedup/global.ts';
import { Db, ParquetTableWriter, sqlString } from '../stages/lib/duckdb.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const CORPUS = `${sharedCorpus('html')}/`;
const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const phased = flag('--world-size') !== undefined || process.argv[2] === 'phase';
const N = Number(flag('--docs') ?? (phased ? 1_000_000 : (process.argv[2] ?? 100_000)));
const mode = process.argv[3]?.startsWith('--') ? undefined : process.argv[3];
const shardDir = process.argv[4] ?? '';

function paragraphPool(): string[] {
  const pool: string[] = [];
  for (const set of ['readability', 'newspaper4k', 'magic-html']) {
    for (const f of readdirSync(join(CORPUS, set))) {
      if (!f.endsWith('.html') || f.endsWith('.expected.html')) continue;
      const segs = extractHtml(readFileSync(join(CORPUS, set, f), 'utf8'), 'http://fakehost/p.html').segments;
      for (const s of segs) if (s.kind === 'text' && s.text && s.text.length >= 40) pool.push(s.text);
    }
  }
  return [...new Set(pool)];
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}
const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

function makeDocs(pool: string[]) {
  const page = (i: number): { domain: string; paras: string[]; images: Segment[] } => {
    const r = rng(i * 7919 + 1);
    const d = i % 1000;
    const domain = `site${d}.example`;
    const paras = Array.from({ length: 8 + Math.floor(r() * 18) }, () => pool[Math.floor(r() * pool.length)]!);
    paras.push(`© ${domain} — all rights reserved. Read our privacy policy and terms of service, site number ${d}.`);
    const images: Segment[] = [{ kind: 'image', image_id: `0${hex(rng(d + 1), 63)}`, visual: { phash: hex(rng(d + 2), 16) } }];
    for (let k = 0, n = 2 + Math.floor(r() * 3); k < n; k++) images.push({ kind: 'image', image_id: hex(r, 64), visual: { phash: hex(r, 16) } });
    return { domain, paras, images };
  };
  return function* (): Generator<Doc> {
    for (let i = 0; i < N; i++) {
      let src = i;
      let url = `https://site${i % 1000}.example/page/${i}`;
      let edit = 0;
      let date = `2020-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`;
      if (i % 10 === 9) {
        src = Math.max(0, i - 1 - Math.floor(rng(i)() * 500)); // a later, slightly edited copy
        edit = 0.02;
        date = '2021-01-01T00:00:00Z';
      } else if (i % 50 === 7) {
        src = i - 3;
        url = `https://site${src % 1000}.example/page/${src}?utm_source=feed`;
      }
      const p = page(src);
      const r = rng(i + 99);
      const paras = edit ? p.paras.map((t) => t.replace(/\S+/g, (w) => (r() < edit ? 'edited' : w))) : p.paras;
      const segments: Segment[] = paras.map((text) => ({ kind: 'text', text }));
      segments.splice(2, 0, ...p.images.map((s) => ({ ...s })));
      yield {
        id: String(i).padStart(8, '0'),
        url,
        domain: p.domain,
        title: null,
        fetchedAt: date,
        source: { file: 'bench', offset: i, recordId: null, recordType: 'file' },
        lang: null,
        langScore: null,
        segments,
        signals: {},
      };
    }
  };
}

function ctx(rejects: Doc[]): RunContext {
  return standaloneContext({ config: defaultConfig, unit: 'bench', onReject: (doc) => rejects.push(doc) });
}

async function child(m: string): Promise<void> {
  const pool = m === 'global' ? [] : paragraphPool();
  const gen = makeDocs(pool);
  const t0 = performance.now();
  let out = 0;
  let chars = 0;
  const extra: Record<string, unknown> = {};
  if (m === 'global') {
    const s = await globalDedup({ dirs: [shardDir], out: join(shardDir, '..', 'dedup'), config: defaultConfig.dedup });
    extra.global = { nodes: s.nodes, edges: s.edges, removals: s.removals, boilerplate: s.boilerplateParagraphs, logos: s.logoImages, rounds: s.componentIterations };
  } else if (m === 'reference' || m === 'minhash') {
    const hasher = new MinHasher(defaultConfig.dedup.nearDup);
    for (const d of gen()) {
      const t = docText(d.segments);
      chars += t.length;
      if (m === 'minhash') hasher.signature(t);
      out++;
    }
  } else {
    const rejects: Doc[] = [];
    const c = ctx(rejects);
    await dedupStage.open!(defaultConfig, c.resources);
    let writers: { docs: ParquetTableWriter; rejects: ParquetTableWriter; db: Db } | null = null;
    const docCols: ColumnSpec[] = [...DOC_BASE_COLUMNS, ...DEDUP_COLUMNS];
    const rejCols: ColumnSpec[] = [...docCols, ...REJECT_EXTRA_COLUMNS];
    if (m === 'write') {
      mkdirSync(join(shardDir, 'docs'), { recursive: true });
      mkdirSync(join(shardDir, 'rejects'), { recursive: true });
      const db = await Db.open({ threads: 2 });
      writers = { db, docs: await ParquetTableWriter.create(db, docCols), rejects: await ParquetTableWriter.create(db, rejCols) };
    }
    async function* input() {
      for (const d of gen()) {
        chars += docText(d.segments).length;
        yield d;
      }
    }
    let part = 0;
    const flush = async (force: boolean) => {
      // Shards of 10,000 rows, as the writer does, so the buffer stays small.
      if (writers && (force || writers.docs.size >= 10_000)) {
        await writers.docs.writeTo(join(shardDir, 'docs', `part-${part}.parquet`));
        await writers.rejects.writeTo(join(shardDir, 'rejects', `part-${part}.parquet`));
        part++;
      }
    };
    for await (const d of dedupStage.transform(input(), c)) {
      out++;
      writers?.docs.append(docRow(d, docCols));
      for (const r of rejects.splice(0)) writers?.rejects.append([...docRow(r, docCols), 'dedup', 'dup', null]);
      await flush(false);
    }
    for (const r of rejects.splice(0)) writers?.rejects.append([...docRow(r, docCols), 'dedup', 'dup', null]);
    await flush(true);
    writers?.db.close();
    extra.counters = Object.fromEntries(c.counters.values);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ mode: m, docs: N, out, seconds, mb: chars / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, pool: pool.length, ...extra }));
}

// ---------------------------------------------------------------------------------------------
// The partitioned pass on synthetic signatures

/** One shard of synthetic documents [from, to) written by DuckDB (fast: no JS per row). */
async function writeSyntheticShard(dir: string, from: number, to: number): Promise<void> {
  const db = await Db.open({ threads: 2 });
  try {
    mkdirSync(join(dir, 'docs'), { recursive: true });
    const u32 = (x: string) => `(${x} % 4294967296)::UINTEGER`;
    await db.run(`COPY (
      WITH d AS (
        SELECT i, CASE WHEN i % 10 = 9 THEN greatest(0, i - 1 - (hash(i, 'src') % 500)::BIGINT) ELSE i END AS src,
               CASE WHEN i % 50 = 7 THEN i - 3 ELSE i END AS url_of
        FROM range(${from}, ${to}) t(i))
      SELECT md5(i::VARCHAR) AS doc_id, 'https://site' || (url_of % 1000) || '.example/page/' || url_of AS url,
             'site' || (i % 1000) || '.example' AS domain, 'site' || (url_of % 1000) || '.example/page/' || url_of AS url_norm,
             CASE WHEN i % 10 = 9 THEN 1.6e12 ELSE 1.5e12 + i END::DOUBLE AS fetched_ms,
             CASE WHEN i = src THEN list_transform(range(112), j -> ${u32('hash(src, j)')})
                  ELSE list_transform(range(112), j -> CASE WHEN hash(i, j, 'e') % 100 < 8 THEN ${u32('hash(i, j)')} ELSE ${u32('hash(src, j)')} END) END AS minhash,
             [{'kind': 'text', 'text': 'paragraph of document ' || src, 'image_id': NULL::VARCHAR},
              {'kind': 'text', 'text': 'footer of site ' || (i % 1000), 'image_id': NULL::VARCHAR},
              {'kind': 'image', 'text': NULL::VARCHAR, 'image_id': md5('logo' || (i % 1000))}] AS segments,
             NULL::VARCHAR[] AS boilerplate_md5, NULL::VARCHAR[] AS removed_image_ids
      FROM d) TO ${sqlString(join(dir, 'docs', 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`);
    if (from === 0) {
      mkdirSync(join(dir, 'images'), { recursive: true });
      await db.run(`COPY (SELECT md5('logo' || d) AS image_id, printf('%016x', hash(d)) AS phash FROM range(1000) t(d))
        TO ${sqlString(join(dir, 'images', 'part-0.parquet'))} (FORMAT parquet)`);
    }
  } finally {
    db.close();
  }
}

async function phaseChild(): Promise<void> {
  // argv: phase <phase> <rank> <worldSize> <out> <threads> <shard dirs…>
  const [, , , phase, rank, world, out, threads, ...dirs] = process.argv;
  const opts = { dirs, out: out!, config: defaultConfig.dedup, threads: Number(threads), rank: Number(rank), worldSize: Number(world) };
  const t0 = performance.now();
  let extra: Record<string, unknown> = {};
  if (phase === 'index') extra = { pairs: (await indexPhase({ ...opts, force: true })).pairs };
  else if (phase === 'cluster') {
    const s = await clusterPhase({ ...opts, force: true });
    extra = { nodes: s.nodes, edges: s.edges, removals: s.removals, boilerplate: s.boilerplateParagraphs, logos: s.logoImages };
  } else extra = { shards: (await applyPhase({ ...opts, force: true })).length };
  console.log(JSON.stringify({ phase, rank: opts.rank, seconds: (performance.now() - t0) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024, ...extra }));
}

async function phasedBench(): Promise<void> {
  const W = Number(flag('--world-size') ?? 8);
  const S = Number(flag('--shards') ?? 16);
  const threads = flag('--threads') ?? '1';
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dedup-phases-'));
  const run = (args: string[]) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, 'phase', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop()!);
  try {
    let t = performance.now();
    const shards: string[] = [];
    for (let s = 0; s < S; s++) {
      shards.push(join(dir, `shard${String(s).padStart(3, '0')}`));
      await writeSyntheticShard(shards[s]!, Math.floor((s * N) / S), Math.floor(((s + 1) * N) / S));
    }
    const du = execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0];
    console.log(`bench-dedup phases: ${N} synthetic documents in ${S} shards (${du} MB Parquet, written in ${((performance.now() - t) / 1000).toFixed(0)} s); DuckDB threads per task ${threads}; node ${process.version}; 2-core machine shared with other jobs`);
    const worlds = process.argv.includes('--no-reference') ? [W] : [W, 1];
    for (const w of worlds) {
      const out = join(dir, `dedup-w${w}`);
      const idx: Record<string, number>[] = [];
      for (let r = 0; r < w; r++) {
        const res = run(['index', String(r), String(w), out, threads, ...shards]);
        idx.push(res);
        console.log(`  w=${w} index ${r}: ${res.seconds.toFixed(1)} s, peak RSS ${res.maxRssMB.toFixed(0)} MB, ${res.pairs} pairs`);
      }
      const c = run(['cluster', '0', '1', out, threads, ...shards]);
      console.log(`  w=${w} cluster: ${c.seconds.toFixed(1)} s, peak RSS ${c.maxRssMB.toFixed(0)} MB; ${JSON.stringify({ nodes: c.nodes, edges: c.edges, removals: c.removals, boilerplate: c.boilerplate, logos: c.logos })}`);
      const sum = (k: string) => idx.reduce((n, x) => n + (x[k] ?? 0), 0);
      const max = (k: string) => Math.max(...idx.map((x) => x[k] ?? 0));
      console.log(`  w=${w}: index max ${max('seconds').toFixed(1)} s / ${max('maxRssMB').toFixed(0)} MB per task (sum ${sum('seconds').toFixed(0)} s), ${sum('pairs')} pairs; cluster ${c.seconds.toFixed(1)} s / ${c.maxRssMB.toFixed(0)} MB`);
      if (process.argv.includes('--apply')) {
        for (let r = 0; r < w; r++) {
          const a = run(['apply', String(r), String(w), out, threads, ...shards]);
          console.log(`  w=${w} apply ${r}: ${a.seconds.toFixed(1)} s, peak RSS ${a.maxRssMB.toFixed(0)} MB, ${a.shards} shards`);
        }
      }
      rmSync(out, { recursive: true, force: true });
      t = performance.now();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'phase') {
  await phaseChild();
} else if (phased) {
  await phasedBench();
} else if (mode) {
  await child(mode);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`bench-dedup: ${N} documents built from real paragraphs of shared/corpus; node ${process.version}; 2-core machine shared with other jobs (numbers are noisy)`);
  const only = process.argv.indexOf('--only');
  const modes = only > 0 ? [process.argv[only + 1]!] : ['reference', 'minhash', 'stage', 'write', 'global'];
  const dir = mkdtempSync(join(tmpdir(), 'bench-dedup-'));
  const shard = join(dir, 'shard');
  try {
    for (const m of modes) {
      if (m === 'global' && !modes.includes('write')) {
        execFileSync(process.execPath, ['--import', 'tsx', self, String(N), 'write', shard], { encoding: 'utf8', maxBuffer: 1 << 24 });
      }
      const res = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, String(N), m, shard], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop()!);
      if (m === 'global') {
        console.log(`global     ${(N / res.seconds).toFixed(0).padStart(7)} docs/s  (${res.seconds.toFixed(1)} s, corpus dedup over the written shard)  peak RSS ${res.maxRssMB.toFixed(0).padStart(5)} MB; ${JSON.stringify(res.global)}`);
        continue;
      }
      const line = `${m.padEnd(10)} ${(N / res.seconds).toFixed(0).padStart(7)} docs/s  ${(res.mb / res.seconds).toFixed(1).padStart(5)} MB text/s  peak RSS ${res.maxRssMB.toFixed(0).padStart(5)} MB`;
      console.log(line + (res.counters ? `  kept ${res.out}; ${JSON.stringify(res.counters)}` : ''));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
