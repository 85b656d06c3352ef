/**
 * Argument handling and output shared by `corpus` commands (pipeline/cli.ts and pipeline/commands/*):
 * its own module so the commands, which cli.ts loads lazily, do not import cli.ts back.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../stages/lib/errors.ts';

export class UsageError extends UserError {
  readonly code = 'ERR_USAGE';
}

/** parseArgs with errors turned into UsageError. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see corpus help)`);
  }
}

export function intOpt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number ≥ 0, got ${v}`);
  return n;
}

/**
 * Rank and world size. The world size is always asked for (`--world-size n`, or `auto` = the Slurm
 * array's SLURM_ARRAY_TASK_COUNT): a job array that is not meant to shard must not shard by surprise.
 * The rank is `--rank`, else the scheduler's index: SLURM_ARRAY_TASK_ID (counted from the array's
 * first index) or a Kubernetes indexed Job's JOB_COMPLETION_INDEX.
 */
export function shardOf(values: { rank?: string; 'world-size'?: string }, env: NodeJS.ProcessEnv = process.env): { rank: number; worldSize: number } {
  const ws = values['world-size'];
  if (ws === undefined) {
    if (values.rank !== undefined) throw new UsageError('--rank needs --world-size (the number of ranks)');
    return { rank: 0, worldSize: 1 };
  }
  if (ws === 'auto' && env.SLURM_ARRAY_TASK_COUNT === undefined) {
    throw new UsageError('--world-size auto needs SLURM_ARRAY_TASK_COUNT (a Slurm job array); elsewhere give the number');
  }
  const worldSize = intOpt(ws === 'auto' ? env.SLURM_ARRAY_TASK_COUNT : ws, 'world-size', 1);
  if (worldSize < 1) throw new UsageError('--world-size must be at least 1');
  let rank: number;
  if (values.rank !== undefined) rank = intOpt(values.rank, 'rank', 0);
  else if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    // Arrays may start at 1 (--array=1-8): the rank counts from the array's first index.
    rank = intOpt(env.SLURM_ARRAY_TASK_ID, 'rank', 0) - intOpt(env.SLURM_ARRAY_TASK_MIN, 'rank', 0);
  } else rank = intOpt(env.JOB_COMPLETION_INDEX, 'rank', 0);
  if (rank >= worldSize) throw new UsageError(`--rank must be below --world-size (${worldSize}), got ${rank}`);
  return { rank, worldSize };
}

export function formatTable(columns: string[], rows: unknown[][], format: 'table' | 'csv' | 'json'): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'json') {
    return rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]])))).join('\n') + '\n';
  }
  if (format === 'csv') {
    const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map(esc).join(','), ...rows.map((r) => r.map((v) => esc(cell(v))).join(','))].join('\n') + '\n';
  }
  const cells = rows.map((r) => r.map((v) => {
    const s = cell(v).replace(/\s+/g, ' ');
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  }));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((s, i) => s.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line), `(${rows.length} rows)`].join('\n') + '\n';
}
