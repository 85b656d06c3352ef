/**
 * The runner: input units -> a pool of worker threads, each running whole units
 * (read -> extract -> doc stages -> write, pipeline/unit.ts).
 *
 * Resume: a finished unit leaves a completion marker `_done/<unit-id>.json` (files, rows, stats),
 * written after the unit's Parquet files are renamed into place, so a unit with a marker is complete.
 * A unit without one is redone from its last in-unit checkpoint (large archives), else whole; what
 * an interrupted attempt left behind is removed first. manifest.json and stats.json are rebuilt from
 * the markers, so runs on many machines into one prefix compose. Which worker runs which unit, and
 * in what order, does not change any row.
 */
import { availableParallelism } from 'node:os';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expandInputs, splitArchives, type Unit } from '../stages/read/index.ts';
import type { Config } from './config.ts';
import { Progress } from './progress.ts';
import { summarize, type StatsSummary } from './stats.ts';
import { TOOL_VERSION, configHash, readJson, unitId, writeJsonAtomic, type UnitMarker } from './markers.ts';
import { runPool, type Job } from './workers.ts';
import { writeDatasetCard } from './card.ts';
import { UserError } from '../stages/lib/errors.ts';

export { TOOL_VERSION, configHash, unitId, type UnitMarker };

export interface RunOptions {
  inputs: string[];
  out: string;
  config: Config;
  /** Redo every unit, and accept a config different from the one the output dir was made with. */
  force?: boolean;
  /** This process takes units i with i % worldSize === rank (datatrove's convention). */
  rank?: number;
  worldSize?: number;
  /** Worker threads (default: the cores available to this process). */
  workers?: number;
  /** V8 heap cap of each worker in MB (default 1024): a unit that needs more fails alone, the run goes on. */
  workerHeapMb?: number;
  /** Progress on stderr (default: true). */
  progress?: boolean;
  /** Non-terminal progress: one line this often (default 30 s). */
  progressEveryMs?: number;
  log?: (msg: string) => void;
}

export interface RunResult {
  unitsTotal: number;
  unitsSkipped: number;
  unitsDone: number;
  unitsFailed: { unit: string; error: string }[];
  stats: StatsSummary;
  docs: number;
  rejects: number;
}

export class RunError extends UserError {
  readonly code = 'ERR_RUN';
}

export async function readMarkers(out: string): Promise<UnitMarker[]> {
  let names: string[];
  try {
    names = await readdir(join(out, '_done'));
  } catch {
    return [];
  }
  const markers: UnitMarker[] = [];
  for (const n of names.filter((n) => n.endsWith('.json')).sort()) {
    const m = await readJson<UnitMarker>(join(out, '_done', n));
    if (m) markers.push(m);
  }
  return markers;
}

/** Rebuild manifest.json and stats.json from the completion markers. */
export async function writeManifest(out: string, config: Config): Promise<StatsSummary> {
  const markers = await readMarkers(out);
  const stats = summarize(markers.flatMap((m) => m.stats));
  const rows: Record<string, number> = {};
  for (const m of markers) for (const [t, n] of Object.entries(m.rows)) rows[t] = (rows[t] ?? 0) + n;
  await writeJsonAtomic(join(out, 'manifest.json'), {
    tool: 'interleaved-corpus',
    version: TOOL_VERSION,
    configHash: configHash(config),
    config,
    updatedAt: new Date().toISOString(),
    rows,
    units: markers.map((m) => ({ unit: m.unit, unitId: m.unitId, rows: m.rows, files: m.files, finishedAt: m.finishedAt })),
  });
  await writeJsonAtomic(join(out, 'stats.json'), { rows, stages: stats });
  return stats;
}

/**
 * Files of each unit present in the output dir (`part-<unit-id>-…`, `.tmp-<unit-id>-…` in every table
 * directory), found with one listing per directory rather than one per unit.
 */
async function unitFiles(out: string): Promise<Map<string, string[]>> {
  const byUnit = new Map<string, string[]>();
  let dirs: string[];
  try {
    dirs = await readdir(out);
  } catch {
    return byUnit;
  }
  for (const d of dirs) {
    if (d.startsWith('_')) continue;
    let names: string[];
    try {
      names = await readdir(join(out, d));
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^(?:part|\.tmp)-([0-9a-f]{12})-/.exec(n);
      if (!m) continue;
      if (!byUnit.has(m[1]!)) byUnit.set(m[1]!, []);
      byUnit.get(m[1]!)!.push(join(out, d, n));
    }
  }
  return byUnit;
}

export async function runCorpus(opts: RunOptions): Promise<RunResult> {
  const { config, out } = opts;
  const rank = opts.rank ?? 0;
  const worldSize = opts.worldSize ?? 1;
  if (!(Number.isInteger(worldSize) && worldSize >= 1 && Number.isInteger(rank) && rank >= 0 && rank < worldSize)) {
    throw new RunError(`--rank must be in [0, --world-size); got rank ${rank}, world size ${worldSize}`);
  }
  const workers = opts.workers ?? availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RunError(`--workers must be a whole number ≥ 1, got ${workers}`);
  // Large gzip WARCs are cut into parts (units of their own) so that one big file keeps every worker busy.
  const allUnits = await splitArchives(await expandInputs(opts.inputs), config.run.partBytes);
  const units = allUnits.filter((_, i) => i % worldSize === rank);

  await mkdir(join(out, '_done'), { recursive: true });
  const manifest = await readJson<{ configHash?: string }>(join(out, 'manifest.json'));
  if (manifest?.configHash && manifest.configHash !== configHash(config) && !opts.force) {
    throw new RunError(
      `${out} was written with a different config (manifest ${manifest.configHash}, now ${configHash(config)}); ` +
        'use another --out, or --force to redo every unit with the new config',
    );
  }
  // The manifest is written first so that concurrent ranks agree on the config from the start.
  if (!manifest || opts.force) await writeManifest(out, config);

  const done = new Set((await readdir(join(out, '_done'))).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
  // A checkpoint of a unit that has its marker is stale (killed between the two writes).
  for (const n of await readdir(join(out, '_checkpoints')).catch(() => [] as string[])) {
    if (n.endsWith('.json') && done.has(n.slice(0, -5))) await rm(join(out, '_checkpoints', n), { force: true });
  }
  const pending = units.filter((u) => opts.force || !done.has(unitId(u.key)));
  const existing = await unitFiles(out);
  const progress = new Progress(units.length, units.reduce((n, u) => n + u.bytes, 0), {
    enabled: opts.progress ?? true,
    logEveryMs: opts.progressEveryMs,
  });
  const log = opts.log ?? ((m: string) => progress.log(m));
  progress.skipped(units.length - pending.length, units.filter((u) => !pending.includes(u)).reduce((n, u) => n + u.bytes, 0));
  const result: RunResult = {
    unitsTotal: units.length,
    unitsSkipped: units.length - pending.length,
    unitsDone: 0,
    unitsFailed: [],
    stats: {},
    docs: 0,
    rejects: 0,
  };

  // Biggest units first: the last unit to start is a small one, so workers finish together.
  const jobs: Job[] = [...pending]
    .sort((a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : 1))
    .map((unit) => ({ unit, leftovers: existing.get(unitId(unit.key)) ?? [] }));
  // [limited 0|1, pages left]; pages left goes below 0 once spent (workers take pages concurrently).
  const pageBudget = new SharedArrayBuffer(8);
  const budget = new Int32Array(pageBudget);
  budget[0] = config.run.limit > 0 ? 1 : 0;
  budget[1] = Math.min(config.run.limit, 2 ** 31 - 1);
  try {
    await runPool(jobs, {
      workers,
      heapMb: opts.workerHeapMb ?? 1024, // a 20 MB page (read.maxHtmlBytes) needs well under 1 GB; a lower cap keeps RSS down
      init: { out, config, inputFiles: [...new Set(allUnits.flatMap((u) => u.files))], force: opts.force ?? false, pageBudget },
      exhausted: () => budget[0] === 1 && Atomics.load(budget, 1) <= 0,
      onProgress: (d) => progress.add(d),
      onDone(unit: Unit, marker: UnitMarker) {
        result.unitsDone++;
        result.docs += marker.rows.docs ?? 0;
        result.rejects += marker.rows.rejects ?? 0;
        progress.unitDone(unit.key, unit.bytes);
      },
      onFailed(unit: Unit, error: string, stack: string) {
        result.unitsFailed.push({ unit: unit.key, error });
        log(`unit failed: ${unit.key}: ${stack}`);
        progress.unitDone(unit.key, unit.bytes, true);
      },
      onLog: log,
    });
  } catch (err) {
    throw new RunError((err as Error).message);
  } finally {
    progress.end();
  }
  result.stats = await writeManifest(out, config);
  await writeDatasetCard(out);
  return result;
}
