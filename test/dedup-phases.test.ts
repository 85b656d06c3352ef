/**
 * `corpus dedup` as a partitioned job (issue #19): real pages of ../shared/corpus with planted
 * duplicates and boilerplate spread over 4 HTML directories, each run through the real pipeline into
 * a shard of its own; then the single-process command against index by 3 tasks -> cluster -> apply
 * by 3 tasks, with the shards given in other orders and the rank taken from Slurm / Kubernetes
 * variables. The removal lists and the deduplicated docs must be the same bytes.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { runCorpus } from '../pipeline/run.ts';
import { dedupCommand } from '../pipeline/commands/dedup.ts';
import { bandShare, parquetGlob } from '../stages/dedup/global.ts';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { edit, paragraphs, writePage } from './helpers/dedup-pages.ts';

const STEMS = ['ars-1', 'bbc-1', 'nytimes-2', 'nytimes-1', 'lemonde-1', 'lwn-1'];
const FOOTER = 'This article was mirrored by Mirror Example; all rights belong to their owners.';


let root: string;
let shards: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dedup-phases-'));
  const inputs = [0, 1, 2, 3].map((i) => join(root, `in${i}`));
  for (const d of inputs) mkdirSync(d);
  STEMS.forEach((stem, i) => {
    const paras = paragraphs(stem);
    // An original, a 1%-edited mirror fetched later (it wins), the original again under a tracking
    // URL, and a second, 3%-edited mirror; each in another shard. The mirrors share a footer.
    writePage(inputs[i % 4]!, `orig-${stem}`, `https://news.example/${stem}`, `2020-01-0${1 + i}T00:00:00Z`, paras);
    writePage(inputs[(i + 1) % 4]!, `mirror-${stem}`, `https://mirror.example/copy/${stem}`, '2021-06-01T00:00:00Z', [...edit(paras, 0.01, i + 1), FOOTER]);
    writePage(inputs[(i + 2) % 4]!, `track-${stem}`, `http://www.news.example/${stem}?utm_source=rss`, '2019-03-01T00:00:00Z', paras);
    writePage(inputs[(i + 3) % 4]!, `again-${stem}`, `https://mirror2.example/${stem}`, '2020-06-01T00:00:00Z', [...edit(paras, 0.03, i + 7), FOOTER]);
  });
  const config = loadConfig();
  shards = [];
  for (let i = 0; i < 4; i++) {
    shards.push(join(root, `shard${i}`));
    await runCorpus({ inputs: [inputs[i]!], out: shards[i]!, config, progress: false, log: () => {} });
  }
}, 600_000);

async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await f();
  } finally {
    process.stderr.write = write;
  }
}

/** Every Parquet file of the lists and the docs, relative path -> bytes. */
function outputs(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const t of ['removals', 'boilerplate', 'image_removals', 'image_clusters', 'docs']) {
    for (const f of readdirSync(join(dir, t), { recursive: true }) as string[]) {
      if (f.endsWith('.parquet')) files.set(join(t, f), readFileSync(join(dir, t, f)));
    }
  }
  return files;
}

/** The three phases as separate processes would run them: index by 3, cluster, apply by 3. */
async function partitioned(dirs: string[], out: string, rankFrom: 'flag' | 'slurm' | 'k8s'): Promise<void> {
  const env = { ...process.env };
  const rankArgs = (r: number): string[] => {
    delete process.env.SLURM_ARRAY_TASK_ID;
    delete process.env.SLURM_ARRAY_TASK_MIN;
    delete process.env.SLURM_ARRAY_TASK_COUNT;
    delete process.env.JOB_COMPLETION_INDEX;
    if (rankFrom === 'flag') return ['--rank', String(r), '--world-size', '3'];
    if (rankFrom === 'slurm') {
      Object.assign(process.env, { SLURM_ARRAY_TASK_ID: String(r + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' });
      return ['--world-size', 'auto'];
    }
    process.env.JOB_COMPLETION_INDEX = String(r);
    return ['--world-size', '3'];
  };
  try {
    // Index tasks in a scrambled order, as a scheduler may run them.
    for (const r of [2, 0, 1]) expect(await quietly(() => dedupCommand([...dirs, '--out', out, '--phase', 'index', ...rankArgs(r), '-q']))).toBe(0);
    expect(await quietly(() => dedupCommand([...dirs, '--out', out, '--phase', 'cluster', '-q']))).toBe(0);
    for (const r of [1, 2, 0]) expect(await quietly(() => dedupCommand([...dirs, '--out', out, '--phase', 'apply', ...rankArgs(r), '-q']))).toBe(0);
  } finally {
    for (const k of ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_COUNT', 'JOB_COMPLETION_INDEX']) {
      if (env[k] === undefined) delete process.env[k];
      else process.env[k] = env[k];
    }
  }
}

describe('corpus dedup --phase index|cluster|apply', () => {
  it('gives byte-identical removals and deduplicated docs to the single-process command, in any shard order', async () => {
    const single = join(root, 'single');
    expect(await quietly(() => dedupCommand([...shards, '--out', single, '--apply', '-q']))).toBe(0);
    const want = outputs(single);

    // What there is to get right: every kind of removal, boilerplate cut from kept docs, retokenized docs.
    const reasons = await queryCorpus(single, 'SELECT reason, count(*)::INTEGER AS n FROM removals GROUP BY 1 ORDER BY 1');
    expect(reasons.map((r) => r.reason)).toContain('near_dup');
    expect((await queryCorpus(single, 'SELECT count(*)::INTEGER AS n FROM boilerplate'))[0]!.n).toBeGreaterThan(0);
    const summary = JSON.parse(readFileSync(join(single, 'summary.json'), 'utf8'));
    expect(Object.values(summary.retokenized as Record<string, { retokenized: number }>).reduce((n, r) => n + r.retokenized, 0)).toBeGreaterThanOrEqual(STEMS.length);

    const orders: [string[], 'flag' | 'slurm' | 'k8s'][] = [
      [shards, 'flag'],
      [[...shards].reverse(), 'slurm'],
      [[shards[2]!, shards[0]!, shards[3]!, shards[1]!], 'k8s'],
    ];
    for (const [i, [dirs, how]] of orders.entries()) {
      const out = join(root, `job${i}`);
      await partitioned(dirs, out, how);
      const got = outputs(out);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [f, bytes] of want) expect(got.get(f)!.equals(bytes), `${how}: ${f}`).toBe(true);
    }
  }, 600_000);

  it('skips finished tasks, redoes a killed one alone, and says what to run when a phase is missing', async () => {
    const out = join(root, 'job0'); // made by the first test
    const idx = (r: number) => join(out, '_index', `w3-r${r}`, 'meta.json');
    const before = statSync(idx(1)).mtimeMs;
    const args = (phase: string, r?: number) => [...shards, '--out', out, '--phase', phase, ...(r === undefined ? [] : ['--rank', String(r), '--world-size', '3']), '-q'];
    expect(await quietly(() => dedupCommand(args('index', 1)))).toBe(0);
    expect(statSync(idx(1)).mtimeMs).toBe(before); // done already: not redone

    // Index task 2 was killed: its output is gone and a half-written temporary is left behind.
    rmSync(join(out, '_index', 'w3-r2'), { recursive: true });
    mkdirSync(join(out, '_index', 'w3-r2.tmp-999999'));
    await expect(quietly(() => dedupCommand(args('cluster')))).rejects.toThrow(/ranks 2 missing/);
    expect(await quietly(() => dedupCommand(args('index', 2)))).toBe(0);
    const lists = readFileSync(join(out, 'removals', 'part-0.parquet'));
    expect(await quietly(() => dedupCommand([...args('cluster'), '--force']))).toBe(0);
    expect(readFileSync(join(out, 'removals', 'part-0.parquet')).equals(lists)).toBe(true);

    // New lists make the applied docs stale (cluster removes them); an apply task redoes only its shards.
    expect(existsSync(join(out, 'docs'))).toBe(false);
    expect(await quietly(() => dedupCommand(args('apply', 0)))).toBe(0);
    const mine = readdirSync(join(out, 'docs'));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(shards.length);
    for (const r of [1, 2]) expect(await quietly(() => dedupCommand(args('apply', r)))).toBe(0);
    const single = outputs(join(root, 'single'));
    for (const [f, bytes] of outputs(out)) expect(bytes.equals(single.get(f)!), f).toBe(true);

    // Mistakes get one line saying what to do.
    const fresh = join(root, 'fresh');
    await expect(quietly(() => dedupCommand([...shards, '--out', fresh, '--phase', 'cluster', '-q']))).rejects.toThrow(/--phase index for every rank/);
    await expect(quietly(() => dedupCommand([...shards, '--out', fresh, '--phase', 'apply', '--rank', '0', '--world-size', '2', '-q']))).rejects.toThrow(/--phase cluster first/);
    await expect(quietly(() => dedupCommand([...shards, '--out', fresh, '--phase', 'sort']))).rejects.toThrow(/index, cluster or apply/);
    await expect(quietly(() => dedupCommand([...shards, '--out', fresh, '--phase', 'index', '--rank', '3', '--world-size', '3']))).rejects.toThrow(/below --world-size/);
  }, 600_000);
});

describe('bandShare: the LSH buckets dealt to index tasks', () => {
  it('gives every (band, key range) slot to exactly one task, ranges that tile each band, and each task only its own bands', () => {
    const B = 16;
    const span = 1n << 64n;
    for (const n of [1, 2, 3, 8, 16, 17, 40]) {
      const m = Math.ceil(n / B);
      const perBand = new Map<number, { lo: bigint; hi: bigint }[]>();
      let touched = 0;
      for (let i = 0; i < n; i++) {
        const { bands, slots, owns } = bandShare(B, n, i);
        touched += bands.length;
        expect(slots.length).toBeGreaterThan(0);
        expect(owns).toContain(`% ${n} = ${i}`);
        for (const s of slots) perBand.set(s.b, [...(perBand.get(s.b) ?? []), { lo: s.lo, hi: s.hi }]);
      }
      // Each band's key space [0, 2^64) is cut into m ranges with no gap and no overlap.
      expect(perBand.size).toBe(B);
      for (const ranges of perBand.values()) {
        ranges.sort((x, y) => (x.lo < y.lo ? -1 : 1));
        expect(ranges.length).toBe(m);
        expect(ranges[0]!.lo).toBe(0n);
        expect(ranges.at(-1)!.hi).toBe(span - 1n);
        for (let j = 1; j < ranges.length; j++) expect(ranges[j]!.lo).toBe(ranges[j - 1]!.hi + 1n);
      }
      // With n <= B each band is read by one task only: the work is split, not repeated.
      if (n <= B) expect(touched).toBe(B);
    }
  });
});

describe('dedup_bands: the band keys the dedup stage writes for the index tasks', () => {
  it('are sorted by band and key, one row per band of every signature, and give the same lists as keys computed from the signatures', async () => {
    const k = loadConfig().dedup.nearDup.bands;
    for (const d of shards) {
      // Each file in (b, bk) order, as written (one thread: rows come back in file order).
      const files = (readdirSync(join(d, 'dedup_bands')) as string[]).filter((f) => f.endsWith('.parquet'));
      expect(files.length).toBeGreaterThan(0);
      const db = await Db.open({ threads: 1 });
      try {
        for (const f of files) {
          const rows = (await db.all(`SELECT b, bk FROM read_parquet(${sqlString(join(d, 'dedup_bands', f))})`)).map((r) => [Number(r.b), BigInt(r.bk as bigint)] as const);
          const sorted = [...rows].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
          expect(rows).toEqual(sorted);
        }
      } finally {
        db.close();
      }
      const [c] = (await queryCorpus(d, 'SELECT count(*)::INTEGER AS keys FROM dedup_bands')) as { keys: number }[];
      let sigs = 0;
      const db2 = await Db.open({ threads: 1 });
      try {
        for (const t of ['docs', 'rejects']) {
          const g = await parquetGlob(d, t);
          if (g) sigs += Number((await db2.all(`SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(g)}, union_by_name = true) WHERE len(minhash) > 0`))[0]!.n);
        }
      } finally {
        db2.close();
      }
      expect(c!.keys).toBe(sigs * k);
      expect(c!.keys).toBeGreaterThan(0);
    }
    // Shards written before the table existed (here: one of four without it) make every task compute
    // the keys from the signatures; the lists and docs are the same bytes.
    const old = join(root, 'old');
    const copies = shards.map((d) => join(old, d.split('/').pop()!));
    for (const [i, d] of shards.entries()) cpSync(d, copies[i]!, { recursive: true });
    rmSync(join(copies[1]!, 'dedup_bands'), { recursive: true });
    const out = join(root, 'old-out');
    await partitioned(copies, out, 'flag');
    const want = outputs(join(root, 'single'));
    const got = outputs(out);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [f, bytes] of want) expect(got.get(f)!.equals(bytes), f).toBe(true);
  }, 600_000);
});
