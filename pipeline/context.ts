/**
 * Stage contexts with the run's whole config. `pipeline/stage.ts` leaves the config type open (each
 * stage names the sections it reads); here it is closed over `Config`, so that the engine, commands,
 * scripts and tests that drive a stage or reader directly build their contexts one way.
 */
import type { Doc } from '../schemas/doc.ts';
import { loadConfig, type Config } from './config.ts';
import type { StageContext } from './stage.ts';
import { Counters } from './stats.ts';

/** The context every stage of a corpus run gets: the whole config. */
export type RunContext = StageContext<Config>;

/** A context outside a run: rejects and side-table rows go to the hooks, or are kept in arrays when there is none. */
export interface StandaloneContext extends RunContext {
  rejects: { doc: Doc; reason: string; detail: string | null }[];
  rows: { table: string; row: Record<string, unknown> }[];
}

export interface StandaloneOptions {
  config?: Config;
  /** The unit (input file) the context stands for; the segment is `<unit>#0`. */
  unit?: string;
  counters?: Counters;
  resources?: Map<string, unknown>;
  /** Receives every reject instead of `rejects` (a long script need not hold them all). */
  onReject?(doc: Doc, reason: string, detail: string | null): void;
  /** Receives every side-table row instead of `rows`. */
  onEmit?(table: string, row: Record<string, unknown>): void;
  /** Where stage messages go; default: nowhere. */
  log?(message: string): void;
}

/**
 * A real StageContext for one unit outside a corpus run. Rejects and rows are kept in `rejects` and
 * `rows` (what tests read), or handed to `onReject` / `onEmit` when given, and then not kept.
 */
export function standaloneContext(opts: StandaloneOptions = {}): StandaloneContext {
  const unit = opts.unit ?? 'standalone';
  const rejects: StandaloneContext['rejects'] = [];
  const rows: StandaloneContext['rows'] = [];
  return {
    config: opts.config ?? loadConfig(),
    counters: opts.counters ?? new Counters(),
    reject: (doc, reason, detail) => {
      if (opts.onReject) opts.onReject(doc, reason, detail ?? null);
      else rejects.push({ doc, reason, detail: detail ?? null });
    },
    emit: (table, row) => {
      if (opts.onEmit) opts.onEmit(table, row);
      else rows.push({ table, row });
    },
    resources: opts.resources ?? new Map(),
    unit,
    segment: `${unit}#0`,
    signal: new AbortController().signal,
    log: opts.log ?? (() => {}),
    rejects,
    rows,
  };
}
