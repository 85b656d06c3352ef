/**
 * `corpus schedule <out-dir> --tokens-per-step T [--cycles 8] [--odds 32,16,8,4,2,1] [--seed 0]`:
 * the batch order of the Dataset-Decomposition curriculum (Grow-P2 by default) over packed/, written
 * as schedule/part-00000.parquet: one row per optimizer step with its bucket and the seq_index of
 * its sequences (T / bucket of them, so every step has the same token budget).
 */
import { mkdir } from 'node:fs/promises';
import { publishPath } from '../../stages/lib/atomic.ts';
import { join } from 'node:path';
import { parse, UsageError } from '../args.ts';
import { metaPath, readMeta, writeMeta } from '../meta.ts';
import { writeDatasetCard } from '../card.ts';
import { Db, ParquetTableWriter } from '../../stages/lib/duckdb.ts';
import { buildSchedule, growP2Odds, type ScheduleStep } from '../../stages/pack/index.ts';
import type { ColumnSpec } from '../../schemas/doc.ts';
import type { PackManifest } from './pack.ts';

export const scheduleColumns: ColumnSpec[] = [
  { name: 'step', type: 'INTEGER', description: 'optimizer step, 0-based' },
  { name: 'cycle', type: 'INTEGER', description: 'curriculum cycle of the step (short-to-long within each)' },
  { name: 'bucket', type: 'INTEGER', description: 'bucket length N: the step reads packed/len=N' },
  { name: 'num_sequences', type: 'INTEGER', description: 'sequences in the step: tokens_per_step / N (fewer only in the last batch of a bucket)' },
  { name: 'seq_index', type: 'INTEGER[]', description: 'seq_index of the sequences in packed/len=N' },
];

export async function readPackManifest(outDir: string): Promise<PackManifest> {
  const m = await readMeta<PackManifest>(outDir, 'packed');
  if (!m) throw new UsageError(`${metaPath(outDir, 'packed')} not found: run corpus pack ${outDir} first`);
  return m;
}

export interface ScheduleResult {
  steps: ScheduleStep[];
  file: string;
}

export async function writeSchedule(
  outDir: string,
  opts: { tokensPerStep: number; cycles: number; odds?: number[]; seed: number },
): Promise<ScheduleResult> {
  const m = await readPackManifest(outDir);
  const buckets = [];
  for (let k = m.options.minLog2; k <= m.options.maxLog2; k++) {
    buckets.push({ length: 2 ** k, sequences: m.buckets.find((b) => b.bucket === 2 ** k)?.sequences ?? 0 });
  }
  const odds = opts.odds ?? growP2Odds(buckets.length);
  if (odds.length !== buckets.length) {
    throw new UsageError(`--odds needs ${buckets.length} values (buckets ${buckets[0]!.length}…${buckets.at(-1)!.length}), got ${odds.length}`);
  }
  let steps: ScheduleStep[];
  try {
    steps = buildSchedule(buckets, { ...opts, odds });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dir = join(outDir, 'schedule');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${process.pid}.parquet`);
  const file = join(dir, 'part-00000.parquet');
  const db = await Db.open();
  try {
    const w = await ParquetTableWriter.create(db, scheduleColumns);
    for (const s of steps) w.append([s.step, s.cycle, s.bucket, s.sequences.length, s.sequences]);
    await w.writeTo(tmp);
    await w.dispose();
  } finally {
    db.close();
  }
  await publishPath(tmp, file);
  await writeMeta(outDir, 'schedule', {
    tool: 'corpus schedule', created_at: new Date().toISOString(), options: { ...opts, odds }, steps: steps.length,
    cycles: new Set(steps.map((s) => s.cycle)).size,
  });
  await writeDatasetCard(outDir);
  return { steps, file };
}

/** Mean bucket length per tenth of the first cycle: Grow-P2 goes short to long. */
export function curriculumShape(steps: ScheduleStep[]): number[] {
  const first = steps.filter((s) => s.cycle === 0);
  return Array.from({ length: 10 }, (_, i) => {
    const part = first.slice(Math.floor((i * first.length) / 10), Math.floor(((i + 1) * first.length) / 10));
    return part.length ? Math.round(part.reduce((n, s) => n + s.bucket, 0) / part.length) : 0;
  });
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'tokens-per-step': { type: 'string' },
    cycles: { type: 'string' },
    odds: { type: 'string' },
    seed: { type: 'string' },
  });
  const usage = 'usage: corpus schedule <out-dir> --tokens-per-step T [--cycles 8] [--odds 32,16,8,4,2,1] [--seed 0]';
  if (positionals.length !== 1 || !values['tokens-per-step']) throw new UsageError(usage);
  const num = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number, got ${v}`);
    return n;
  };
  const odds = values.odds?.split(',').map((x) => {
    const n = Number(x);
    if (!(n > 0)) throw new UsageError(`--odds takes positive numbers separated by commas, got ${values.odds}`);
    return n;
  });
  const { steps, file } = await writeSchedule(positionals[0]!, {
    tokensPerStep: num(values['tokens-per-step'], 'tokens-per-step'),
    cycles: num(values.cycles ?? '8', 'cycles'),
    odds,
    seed: num(values.seed ?? '0', 'seed'),
  });
  const perBucket = new Map<number, number>();
  for (const s of steps) perBucket.set(s.bucket, (perBucket.get(s.bucket) ?? 0) + 1);
  process.stdout.write(
    `${steps.length} steps in ${new Set(steps.map((s) => s.cycle)).size} cycles -> ${file}\n` +
      `steps per bucket: ${[...perBucket].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}:${n}`).join(' ')}\n` +
      `mean bucket per tenth of cycle 0: ${curriculumShape(steps).join(' ')}\n`,
  );
  return 0;
}
