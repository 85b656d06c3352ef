/**
 * What a run leaves in its output dir besides the Parquet files: the completion markers
 * (`_done/<unit-id>.json`), the in-unit checkpoints (`_checkpoints/<unit-id>.json`) and the ids and
 * hashes that name them. Kept apart from pipeline/unit.ts so that the main thread of `corpus run`
 * does not load the stages (only the workers do).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../stages/lib/atomic.ts';
import { join } from 'node:path';
import type { Config } from './config.ts';

export const TOOL_VERSION = '0.1.0';

/** Completion marker of a unit: `_done/<unit-id>.json`. */
export interface UnitMarker {
  unit: string;
  unitId: string;
  /** Output files, relative to the output dir. */
  files: string[];
  rows: Record<string, number>;
  bytes: number;
  seconds: number;
  /**
   * CPU seconds of the worker's JS thread alone while it ran the unit (Linux; null elsewhere): with
   * several workers, process CPU mixes theirs, this does not. Background threads (V8's GC helpers,
   * DuckDB, the libuv pool) are not in it.
   */
  threadCpuSeconds?: number | null;
  /** worker_threads.threadId of the worker that finished the unit (which units shared a worker). */
  worker?: number;
  stats: StatRow[];
  /** Checkpoint segments the unit was written in, and how many times it was resumed from one. */
  segments: number;
  resumes: number;
  finishedAt: string;
}

/** CPU seconds (user + system) of the calling thread so far, from /proc/thread-self/stat; null off Linux. */
export function threadCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

export type StatRow = { stage: string; counter: string; value: number };

export function unitId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function configHash(config: Config): string {
  // `run.limit` changes what is read, everything else changes what is produced: both count.
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

export async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomically(path, JSON.stringify(value, null, 2));
}

export const markerPath = (out: string, id: string) => join(out, '_done', `${id}.json`);
export const checkpointPath = (out: string, id: string) => join(out, '_checkpoints', `${id}.json`);

