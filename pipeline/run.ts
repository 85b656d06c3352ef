/**
 * The runner: input units -> read -> extract -> doc stages -> write, one unit at a time.
 *
 * Resume: a finished unit leaves a completion marker `_done/<unit-id>.json` (files, rows, stats);
 * markers are written after the unit's Parquet files are renamed into place, so a unit with a marker
 * is complete, and a unit without one is redone whole (its leftovers removed first). manifest.json
 * and stats.json are rebuilt from the markers, so runs on many machines into one prefix compose.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Doc, RawPage } from '../schemas/doc.ts';
import { expandInputs, readUnit, type Unit } from '../stages/read/index.ts';
import { Db } from '../stages/lib/duckdb.ts';
import { UnitWriter, clearUnitFiles, tableSchemas, type TableSchemas } from '../stages/write/index.ts';
import type { Config } from './config.ts';
import { Progress } from './progress.ts';
import type { Stage, StageContext } from './stage.ts';
import { planStages } from './stages.ts';
import { UnitStats, summarize, type StatsSummary } from './stats.ts';

export const TOOL_VERSION = '0.1.0';

export interface RunOptions {
  inputs: string[];
  out: string;
  config: Config;
  /** Redo every unit, and accept a config different from the one the output dir was made with. */
  force?: boolean;
  /** This process takes units i with i % worldSize === rank (datatrove's convention). */
  rank?: number;
  worldSize?: number;
  /** Progress on stderr (default: true). */
  progress?: boolean;
  log?: (msg: string) => void;
}

export interface UnitMarker {
  unit: string;
  unitId: string;
  files: string[];
  rows: Record<string, number>;
  bytes: number;
  seconds: number;
  stats: { stage: string; counter: string; value: number }[];
  finishedAt: string;
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

export class RunError extends Error {
  override name = 'RunError';
}

export function unitId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function configHash(config: Config): string {
  // `run.limit` changes what is read, everything else changes what is produced: both count.
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value, null, 2));
  await rename(tmp, path);
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

function collectColumns(stages: Stage<any, any>[]): TableSchemas {
  const cols = stages.flatMap((s) => s.columns ?? []);
  const side: TableSchemas['side'] = {};
  for (const s of stages) for (const [t, c] of Object.entries(s.tables ?? {})) side[t] = c;
  return tableSchemas(cols, side);
}

export async function runCorpus(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const { config, out } = opts;
  const rank = opts.rank ?? 0;
  const worldSize = opts.worldSize ?? 1;
  if (!(worldSize >= 1 && rank >= 0 && rank < worldSize)) {
    throw new RunError(`--rank must be in [0, --world-size); got rank ${rank}, world size ${worldSize}`);
  }
  const allUnits = await expandInputs(opts.inputs);
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
  if (!manifest) await writeManifest(out, config);

  const plan = planStages(config);
  const stages: Stage<any, any>[] = [plan.extract, ...plan.docStages];
  const schemas = collectColumns(stages);
  const resources = new Map<string, unknown>([
    ['inputFiles', allUnits.flatMap((u) => u.files)],
    ['outDir', out],
  ]);
  for (const s of stages) await s.open?.(config, resources);

  const db = await Db.open({ threads: 1 });
  const progress = new Progress(units.length, units.reduce((n, u) => n + u.bytes, 0), opts.progress ?? true);
  const result: RunResult = {
    unitsTotal: units.length,
    unitsSkipped: 0,
    unitsDone: 0,
    unitsFailed: [],
    stats: {},
    docs: 0,
    rejects: 0,
  };
  let pagesLeft = config.run.limit > 0 ? config.run.limit : Infinity;
  try {
    for (const unit of units) {
      const id = unitId(unit.key);
      const markerPath = join(out, '_done', `${id}.json`);
      if (!opts.force && (await readJson(markerPath))) {
        result.unitsSkipped++;
        progress.unitDone(unit.bytes, 0, {});
        continue;
      }
      if (pagesLeft <= 0) break;
      const started = Date.now();
      try {
        const { marker, pages } = await runUnit(unit, id, { db, out, config, stages, schemas, resources, pagesLeft, progress, log });
        pagesLeft -= pages;
        await writeJsonAtomic(markerPath, marker);
        result.unitsDone++;
        result.docs += marker.rows.docs ?? 0;
        result.rejects += marker.rows.rejects ?? 0;
        progress.unitDone(unit.bytes, (Date.now() - started) / 1000, summarize(marker.stats));
      } catch (err) {
        // A bug or an I/O failure in one unit must not stop the batch; the unit is retried next run.
        const msg = (err as Error)?.stack ?? String(err);
        result.unitsFailed.push({ unit: unit.key, error: String((err as Error)?.message ?? err) });
        log(`unit failed: ${unit.key}: ${msg}`);
        progress.unitDone(unit.bytes, 0, {});
      }
    }
  } finally {
    progress.end();
    for (const s of stages) await s.close?.();
    db.close();
  }
  result.stats = await writeManifest(out, config);
  return result;
}

interface UnitEnv {
  db: Db;
  out: string;
  config: Config;
  stages: Stage<any, any>[];
  schemas: TableSchemas;
  resources: Map<string, unknown>;
  pagesLeft: number;
  progress: Progress;
  log: (msg: string) => void;
}

async function runUnit(unit: Unit, id: string, env: UnitEnv): Promise<{ marker: UnitMarker; pages: number }> {
  const { out, config, stages, schemas } = env;
  const started = Date.now();
  await clearUnitFiles(out, id);
  const writer = await UnitWriter.open(env.db, out, id, schemas, config.write);
  const stats = new UnitStats();
  // Writes are awaited in order; ctx.reject / ctx.emit are synchronous for stages, so queue them.
  let pending: Promise<void> = Promise.resolve();
  const enqueue = (f: () => Promise<void>) => {
    pending = pending.then(f);
  };
  const abort = new AbortController();
  const ctxFor = (stage: string): StageContext => ({
    config,
    counters: stats.for(stage),
    reject(doc: Doc, reason: string, detail?: string | null) {
      stats.for(stage).add(`dropped:${reason}`);
      enqueue(() => writer.writeReject(doc, { stage, reason, detail }));
    },
    emit(table: string, row: Record<string, unknown>) {
      enqueue(() => writer.writeRow(table, row));
    },
    resources: env.resources,
    unit: unit.key,
    signal: abort.signal,
    log: (m: string) => env.log(`[${stage}] ${m}`),
  });

  let pages = 0;
  const limit = env.pagesLeft;
  const readCtx = ctxFor('read');
  async function* source(): AsyncGenerator<RawPage> {
    for await (const page of readUnit(unit, readCtx)) {
      if (pages >= limit) return;
      pages++;
      env.progress.page(page.bytes);
      yield page;
    }
  }
  let stream: AsyncIterable<any> = source();
  for (const s of stages) stream = timed(s.name, s.transform(stream, ctxFor(s.name)), stats);
  try {
    for await (const doc of stream as AsyncIterable<Doc>) {
      enqueue(() => writer.writeDoc(doc));
      stats.for('write').add('docs');
      env.progress.doc();
      await pending;
    }
    await pending;
    const seconds = (Date.now() - started) / 1000;
    const statRows = stats.rows();
    for (const r of statRows) await writer.writeRow('stats', { unit: unit.key, ...r });
    const output = await writer.commit();
    return {
      pages,
      marker: {
        unit: unit.key,
        unitId: id,
        files: output.files,
        rows: output.rows,
        bytes: unit.bytes,
        seconds,
        stats: statRows,
        finishedAt: new Date().toISOString(),
      },
    };
  } catch (err) {
    abort.abort();
    await pending.catch(() => {});
    await writer.abort();
    throw err;
  }
}

/** Wrap a stage's output to count the wall time spent waiting for its items, upstream stages included (time:cumulative_seconds). */
async function* timed<T>(name: string, it: AsyncIterable<T>, stats: UnitStats): AsyncGenerator<T> {
  const c = stats.for(name);
  const iter = it[Symbol.asyncIterator]();
  for (;;) {
    const t0 = performance.now();
    const r = await iter.next();
    c.add('time:cumulative_seconds', (performance.now() - t0) / 1000);
    if (r.done) return;
    yield r.value;
  }
}
