/**
 * One unit of work (a WARC file, an HTML directory): read -> extract -> doc stages -> write, with
 * in-unit checkpoints. Runs inside a worker thread (pipeline/worker.ts); one UnitRunner per worker
 * opens the stages and DuckDB once and then takes units one after another.
 *
 * Checkpoints: an archive is read in segments of `run.checkpointBytes`. Each segment runs the stage
 * chain to the end, commits its Parquet files (`part-<unit>-s<segment>-<seq>.parquet`) and records
 * `_checkpoints/<unit>.json`: the files done so far, the counters so far and the record offset the next
 * segment starts at. A rerun resumes there; files of a later, unfinished segment are removed first.
 * Segment boundaries depend only on the file and the config, so a resumed unit writes the same rows
 * as an uninterrupted one. When the unit ends, its completion marker `_done/<unit>.json` is written
 * and the checkpoint removed. A whole-file gzip has no resume point and is redone whole.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Doc, RawPage } from '../schemas/doc.ts';
import { canResumeAt, readUnit, type Unit } from '../stages/read/index.ts';
import { Db } from '../stages/lib/duckdb.ts';
import { UnitWriter, tableSchemas, type TableSchemas } from '../stages/write/index.ts';
import type { Config } from './config.ts';
import type { RunContext } from './context.ts';
import type { Stage } from './stage.ts';
import { planStages } from './stages.ts';
import { UnitStats } from './stats.ts';
import { checkpointPath, configHash, markerPath, readJson, threadCpuSeconds, unitId, writeJsonAtomic, type StatRow, type UnitMarker } from './markers.ts';

export type { UnitMarker };

/** In-unit checkpoint: `_checkpoints/<unit-id>.json`. */
interface Checkpoint {
  unit: string;
  unitId: string;
  configHash: string;
  /** Size of the input file: a file that changed since is redone whole. */
  bytes: number;
  /** Segments committed; the next one is numbered `segment`. */
  segment: number;
  nextOffset: number;
  files: string[];
  rows: Record<string, number>;
  pages: number;
  stats: StatRow[];
  seconds: number;
  threadCpuSeconds?: number | null;
  resumes: number;
}

/** What the unit runner tells the worker as it goes (for the progress line). */
export interface UnitHooks {
  /** A page was read; `position` is how far into the unit's input bytes reading has got. */
  page(bytes: number, position: number): void;
  doc(): void;
  drop(stage: string, reason: string): void;
  /** Take one page from the run's page budget (`run.limit`); false = stop reading. */
  reservePage(): boolean;
}

export interface UnitResult {
  marker: UnitMarker;
  pages: number;
}

function collectColumns(stages: Stage<unknown, unknown>[]): TableSchemas {
  const cols = stages.flatMap((s) => s.columns ?? []);
  const side: TableSchemas['side'] = {};
  const layouts: NonNullable<TableSchemas['layouts']> = {};
  for (const s of stages) for (const [t, c] of Object.entries(s.tables ?? {})) side[t] = c;
  for (const s of stages) Object.assign(layouts, s.tableLayouts ?? {});
  return { ...tableSchemas(cols, side), layouts };
}

export class UnitRunner {
  private constructor(
    private readonly out: string,
    private readonly config: Config,
    private readonly stages: Stage<unknown, unknown>[],
    private readonly schemas: TableSchemas,
    private readonly resources: Map<string, unknown>,
    private readonly db: Db,
    private readonly log: (msg: string) => void,
  ) {}

  /** Open the stages (models, caches) and DuckDB once, for all the units this worker takes. */
  static async open(opts: { out: string; config: Config; inputFiles: string[]; log: (msg: string) => void }): Promise<UnitRunner> {
    const plan = planStages(opts.config);
    const stages: Stage<unknown, unknown>[] = [plan.extract, ...plan.docStages];
    const resources = new Map<string, unknown>([
      ['inputFiles', opts.inputFiles],
      ['outDir', opts.out],
    ]);
    for (const s of stages) await s.open?.(opts.config, resources);
    // One DuckDB thread per worker: the workers are the parallelism.
    const db = await Db.open({ threads: 1 });
    return new UnitRunner(opts.out, opts.config, stages, collectColumns(stages), resources, db, opts.log);
  }

  async close(): Promise<void> {
    for (const s of this.stages) await s.close?.();
    this.db.close();
  }

  /**
   * Run one unit to completion and write its marker. `leftovers` are the unit's files found in the
   * output dir before the run (an interrupted attempt): those a valid checkpoint names are kept, the
   * rest removed. `force` ignores the checkpoint.
   */
  async run(unit: Unit, leftovers: string[], hooks: UnitHooks, force = false): Promise<UnitResult> {
    const { out, config } = this;
    const id = unitId(unit.key);
    const started = Date.now();
    const cpu0 = threadCpuSeconds();
    const ck = force ? null : await this.loadCheckpoint(unit, id);
    const keep = new Set(ck?.files ?? []);
    for (const f of leftovers) if (!keep.has(relative(out, f))) await rm(f, { force: true });
    if (!ck) await rm(checkpointPath(out, id), { force: true });
    if (ck) this.log(`resuming ${unit.key} at byte ${ck.nextOffset} (segment ${ck.segment})`);

    const stats = new UnitStats();
    for (const r of ck?.stats ?? []) stats.for(r.stage).add(r.counter, r.value);
    const files = [...(ck?.files ?? [])];
    const rows: Record<string, number> = { ...(ck?.rows ?? {}) };
    let pages = ck?.pages ?? 0;
    let segment = ck?.segment ?? 0;
    let start = ck?.nextOffset ?? unit.part?.start ?? 0;
    const every = config.run.checkpointBytes;
    const segmented = unit.kind === 'archive' && every > 0;
    for (;;) {
      const seg = await this.segment(unit, `${id}-s${String(segment).padStart(4, '0')}`, stats, hooks, {
        start,
        stopAfter: segmented ? start + every : undefined,
      });
      pages += seg.pages;
      files.push(...seg.files.map((f) => relative(out, f)));
      for (const [t, n] of Object.entries(seg.rows)) rows[t] = (rows[t] ?? 0) + n;
      segment++;
      if (seg.next === null) break;
      if (seg.next <= start) throw new Error(`reader did not advance past byte ${start} of ${unit.key}`);
      start = seg.next;
      await mkdir(join(out, '_checkpoints'), { recursive: true });
      const checkpoint: Checkpoint = {
        unit: unit.key,
        unitId: id,
        configHash: configHash(config),
        bytes: unit.bytes,
        segment,
        nextOffset: start,
        files,
        rows,
        pages,
        stats: stats.rows(),
        seconds: (ck?.seconds ?? 0) + (Date.now() - started) / 1000,
        threadCpuSeconds: cpu0 === null ? null : (ck?.threadCpuSeconds ?? 0) + threadCpuSeconds()! - cpu0,
        resumes: (ck?.resumes ?? 0) + (ck ? 1 : 0),
      };
      await writeJsonAtomic(checkpointPath(out, id), checkpoint);
    }
    const marker: UnitMarker = {
      unit: unit.key,
      unitId: id,
      files,
      rows,
      bytes: unit.bytes,
      seconds: (ck?.seconds ?? 0) + (Date.now() - started) / 1000,
      threadCpuSeconds: cpu0 === null ? null : (ck?.threadCpuSeconds ?? 0) + threadCpuSeconds()! - cpu0,
      worker: threadId,
      stats: stats.rows(),
      segments: segment,
      resumes: (ck?.resumes ?? 0) + (ck ? 1 : 0),
      finishedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(markerPath(out, id), marker);
    await rm(checkpointPath(out, id), { force: true });
    return { marker, pages };
  }

  /** A checkpoint this unit can resume from, or null (none, other config, changed input, files gone). */
  private async loadCheckpoint(unit: Unit, id: string): Promise<Checkpoint | null> {
    const ck = await readJson<Checkpoint>(checkpointPath(this.out, id));
    if (!ck || ck.unit !== unit.key || ck.configHash !== configHash(this.config) || ck.bytes !== unit.bytes) return null;
    if (!(await canResumeAt(unit, ck.nextOffset))) return null;
    for (const f of ck.files) {
      try {
        await stat(join(this.out, f));
      } catch {
        return null;
      }
    }
    return ck;
  }

  /** One segment: read from `start` until the reader stops (a resume point past stopAfter, or the end). */
  private async segment(
    unit: Unit,
    writerId: string,
    stats: UnitStats,
    hooks: UnitHooks,
    range: { start: number; stopAfter?: number },
  ): Promise<{ files: string[]; rows: Record<string, number>; next: number | null; pages: number }> {
    const { config, stages, schemas } = this;
    const writer = await UnitWriter.open(this.db, this.out, writerId, schemas, config.write);
    // Writes are awaited in order; ctx.reject / ctx.emit are synchronous for stages, so queue them.
    let pending: Promise<void> = Promise.resolve();
    const enqueue = (f: () => Promise<void>) => {
      pending = pending.then(f);
    };
    const abort = new AbortController();
    const ctxFor = (stage: string): RunContext => ({
      config,
      counters: stats.for(stage),
      reject(doc: Doc, reason: string, detail?: string | null) {
        stats.for(stage).add(`dropped:${reason}`);
        hooks.drop(stage, reason);
        enqueue(() => writer.writeReject(doc, { stage, reason, detail }));
      },
      emit(table: string, row: Record<string, unknown>) {
        enqueue(() => writer.writeRow(table, row));
      },
      resources: this.resources,
      unit: unit.key,
      unitFiles: unit.files,
      segment: writerId,
      signal: abort.signal,
      log: (m: string) => this.log(`[${stage}] ${m}`),
    });

    let pages = 0;
    let next: number | null = null;
    const readCtx = ctxFor('read');
    let position = range.start - (unit.part?.start ?? 0);
    async function* source(): AsyncGenerator<RawPage> {
      const pagesOf = readUnit(unit, readCtx, range);
      for (;;) {
        const r = await pagesOf.next();
        if (r.done) {
          next = r.value;
          return;
        }
        if (!hooks.reservePage()) {
          await pagesOf.return(null);
          return;
        }
        pages++;
        position = unit.kind === 'archive' ? r.value.source.offset - (unit.part?.start ?? 0) : position + r.value.bytes;
        hooks.page(r.value.bytes, position);
        yield r.value;
      }
    }
    let stream: AsyncIterable<unknown> = source();
    for (const s of stages) stream = timed(s.name, s.transform(stream, ctxFor(s.name)), stats);
    // Time spent writing (rows, rejects, side rows, commit), for the per-stage profile (time:own_seconds).
    const writeTime = stats.for('write');
    const waitWrites = async () => {
      const t0 = performance.now();
      const u0 = process.cpuUsage();
      await pending;
      writeTime.add('time:own_seconds', (performance.now() - t0) / 1000);
      writeTime.add('time:own_cpu_seconds', cpuSince(u0));
    };
    try {
      for await (const doc of stream as AsyncIterable<Doc>) {
        enqueue(() => writer.writeDoc(doc));
        stats.for('write').add('docs');
        hooks.doc();
        await waitWrites();
      }
      await waitWrites();
      const t0 = performance.now();
      const u0 = process.cpuUsage();
      // The unit's counters go into the stats table once, with its last segment (the commit's own time is not in them).
      if (next === null) for (const r of stats.rows()) await writer.writeRow('stats', { unit: unit.key, ...r });
      const output = await writer.commit();
      writeTime.add('time:own_seconds', (performance.now() - t0) / 1000);
      writeTime.add('time:own_cpu_seconds', cpuSince(u0));
      return { files: output.files, rows: output.rows, next, pages };
    } catch (err) {
      abort.abort();
      await pending.catch(() => {});
      await writer.abort();
      throw err;
    }
  }
}

/** CPU seconds (user + system) of the whole process since `from` (all threads: with one worker, mostly its own). */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/**
 * Wrap a stage's output to count the time spent waiting for its items, upstream stages included: wall
 * (time:cumulative_seconds) and process CPU (time:cumulative_cpu_seconds, steadier on a loaded machine;
 * with several workers it includes the others' CPU).
 */
async function* timed<T>(name: string, it: AsyncIterable<T>, stats: UnitStats): AsyncGenerator<T> {
  const c = stats.for(name);
  const iter = it[Symbol.asyncIterator]();
  for (;;) {
    const t0 = performance.now();
    const u0 = process.cpuUsage();
    const r = await iter.next();
    c.add('time:cumulative_seconds', (performance.now() - t0) / 1000);
    c.add('time:cumulative_cpu_seconds', cpuSince(u0));
    if (r.done) return;
    yield r.value;
  }
}
