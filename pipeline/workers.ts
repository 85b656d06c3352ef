/**
 * The worker pool of `corpus run`: N worker threads, each running whole units (pipeline/unit.ts),
 * fed one unit at a time from a shared queue. Threads, not processes: a killed run takes every
 * worker with it (nothing keeps writing into the output dir behind a rerun), the V8 heap of each
 * worker is capped (`resourceLimits`), and a worker that runs out of it fails its unit alone: the
 * pool records the unit as failed and starts a fresh worker for the rest.
 */
import { Worker } from 'node:worker_threads';
import type { Unit } from '../stages/read/index.ts';
import type { Config } from './config.ts';
import type { UnitMarker } from './markers.ts';
import { CorpusError } from '../stages/lib/errors.ts';

export interface WorkerInit {
  out: string;
  config: Config;
  inputFiles: string[];
  force: boolean;
  /** Int32[2]: [limited 0|1, pages left] of the run's page budget (run.limit), shared by all workers. */
  pageBudget: SharedArrayBuffer;
}

export type ToWorker = { type: 'unit'; unit: Unit; leftovers: string[] } | { type: 'close' };

export interface ProgressDelta {
  pages: number;
  bytes: number;
  docs: number;
  drops: Record<string, number>;
  /** The unit in progress and how far into its input bytes reading has got. */
  unit: string;
  position: number;
}

export type FromWorker =
  | { type: 'ready' }
  | ({ type: 'progress' } & ProgressDelta)
  | { type: 'done'; unit: string; marker: UnitMarker; pages: number }
  | { type: 'failed'; unit: string; error: string; stack: string }
  | { type: 'log'; msg: string };

export interface Job {
  unit: Unit;
  /** The unit's files already in the output dir (an interrupted attempt). */
  leftovers: string[];
}

export interface PoolOptions {
  workers: number;
  init: WorkerInit;
  /** V8 old-space cap per worker, in MB. */
  heapMb: number;
  /** Stop handing out units (the page budget is spent). */
  exhausted(): boolean;
  onProgress(d: ProgressDelta): void;
  onDone(unit: Unit, marker: UnitMarker, pages: number): void;
  onFailed(unit: Unit, error: string, stack: string): void;
  onLog(msg: string): void;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export class PoolError extends CorpusError {
  readonly code = 'ERR_WORKER_POOL';
}

/** Run every job on a pool of worker threads; resolves when all are done or failed. */
export function runPool(jobs: Job[], opts: PoolOptions): Promise<void> {
  const queue = [...jobs];
  const workers = new Set<Worker>();
  return new Promise((resolve, reject) => {
    let fatal: Error | null = null;
    const finish = () => {
      if (workers.size > 0) return;
      if (fatal) reject(fatal);
      else resolve();
    };
    const spawn = () => {
      const w = new Worker(ENTRY, {
        workerData: opts.init,
        resourceLimits: { maxOldGenerationSizeMb: opts.heapMb },
      });
      workers.add(w);
      let current: Job | null = null;
      let ready = false;
      let lastError: Error | null = null;
      const next = () => {
        current = fatal || opts.exhausted() ? null : (queue.shift() ?? null);
        if (current) w.postMessage({ type: 'unit', unit: current.unit, leftovers: current.leftovers } satisfies ToWorker);
        else w.postMessage({ type: 'close' } satisfies ToWorker);
      };
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            next();
            break;
          case 'progress':
            opts.onProgress(m);
            break;
          case 'log':
            opts.onLog(m.msg);
            break;
          case 'done':
            opts.onDone(current!.unit, m.marker, m.pages);
            next();
            break;
          case 'failed':
            opts.onFailed(current!.unit, m.error, m.stack);
            next();
            break;
        }
      });
      w.on('error', (err) => {
        lastError = err;
      });
      w.on('exit', (code) => {
        workers.delete(w);
        const why = lastError ? `${(lastError as Error & { code?: string }).code ?? ''} ${lastError.message}`.trim() : `exit code ${code}`;
        if (!ready) {
          // Opening the stages failed: every worker would fail the same way.
          fatal ??= new PoolError(`a worker failed to start: ${why}`);
          for (const other of workers) void other.terminate();
        } else if (current) {
          opts.onFailed(current.unit, `worker died: ${why}`, lastError?.stack ?? why);
          current = null;
          if (queue.length > 0 && !fatal) spawn();
        }
        finish();
      });
    };
    const n = Math.min(opts.workers, queue.length);
    for (let i = 0; i < n; i++) spawn();
    finish();
  });
}
