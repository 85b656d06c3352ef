/**
 * The stage contract. A stage is a streaming transform over an async iterable of documents.
 * Most stages are per-document and written with `docStage`: the engine does the loop, bounded
 * concurrency (order preserved), counters, timing, error capture and the rejects writer, once for all.
 */
import type { ColumnSpec, Doc } from '../schemas/doc.ts';
import type { Rule } from '../stages/lib/rules.ts';
import type { Counters } from './stats.ts';
import { CorpusError } from '../stages/lib/errors.ts';

/**
 * What the engine gives a stage while it runs one unit of work (one input file).
 * `C` is the part of the run's config the stage reads, declared by the stage itself (e.g.
 * `{ langid: LangidConfig }`): the pipeline passes its whole `Config`, which has every section, and
 * this file never names `Config`, so stages and `pipeline/config.ts` import nothing of each other's
 * in a circle.
 */
export interface StageContext<C = unknown> {
  readonly config: C;
  /** Counters of this stage for this unit: ctx.counters.add('records:revisit'). */
  readonly counters: Counters;
  /** Send a document to the rejects table (the stage then does not yield it). */
  reject(doc: Doc, reason: string, detail?: string | null): void;
  /** Append a row to a side table the stage declared in Stage.tables (e.g. images). */
  emit(table: string, row: Record<string, unknown>): void;
  /** Shared, run-wide resources the pipeline provides (caches, indexes); keyed by name. */
  readonly resources: Map<string, unknown>;
  /** The unit being processed (input file path; `<path>#<start>-<end>` for a part of a large archive). */
  readonly unit: string;
  /** The unit's input files (an archive or a part of it: [path]); absent = [unit]. */
  readonly unitFiles?: readonly string[];
  /**
   * The part of the unit being processed: a large archive is run in checkpoint segments
   * (run.checkpointBytes), each a full pass of the stage chain, and a resumed run starts at a segment
   * with fresh processes. State that changes output rows (seen URLs, dedup indexes) must therefore
   * live for one segment, keyed by this id; caches that do not change the rows may live longer.
   */
  readonly segment: string;
  readonly signal: AbortSignal;
  log(message: string): void;
}

/**
 * The file layout of a side table whose readers select key ranges: rows sorted by `orderBy` in row
 * groups of `rowGroupRows`, so DuckDB skips the row groups outside a range by their min/max
 * statistics; a file holds up to `shardRowsFactor` x write.shardRows rows.
 */
export interface TableLayout {
  orderBy: string;
  rowGroupRows: number;
  shardRowsFactor: number;
}

export interface Stage<I = Doc, O = Doc, C = unknown> {
  readonly name: string;
  /** Signal columns this stage adds to docs (and rejects). */
  readonly columns?: ColumnSpec[];
  /** Side tables this stage writes with ctx.emit: table name -> columns. */
  readonly tables?: Record<string, ColumnSpec[]>;
  /** How some of those tables are laid out in their Parquet files (sorted, small row groups). */
  readonly tableLayouts?: Record<string, TableLayout>;
  /**
   * The stage's document decisions as data (threshold rules over its signal columns), for the config
   * given: what `corpus filter-sql` prints as SQL and the report draws on its histograms. A stage
   * whose drops are all rules can be re-decided in SQL without reprocessing.
   */
  rules?(config: C): Rule[];
  /** Once per process before the first unit (load models, open caches). */
  open?(config: C, resources: Map<string, unknown>): Promise<void>;
  transform(input: AsyncIterable<I>, ctx: StageContext<C>): AsyncIterable<O>;
  /** Once per process after the last unit. */
  close?(): Promise<void>;
}

/** A per-document decision to drop: returned by `process` instead of the document. */
export interface Drop {
  drop: string;
  detail?: string | null;
}

export function drop(reason: string, detail?: string | null): Drop {
  return { drop: reason, detail: detail ?? null };
}

export function isDrop(x: unknown): x is Drop {
  return typeof x === 'object' && x !== null && typeof (x as Drop).drop === 'string';
}

/** An error a stage throws on bad input; `kind` is what the stats count. */
export class StageError extends CorpusError {
  readonly code = 'ERR_STAGE';
  constructor(
    readonly kind: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DocStageSpec<I, O, C = unknown> {
  name: string;
  columns?: ColumnSpec[];
  tables?: Record<string, ColumnSpec[]>;
  tableLayouts?: Record<string, TableLayout>;
  /** Documents in flight in this stage (async work such as image decoding); default 1. */
  concurrency?: number | ((config: C) => number);
  rules?(config: C): Rule[];
  open?(config: C, resources: Map<string, unknown>): Promise<void>;
  close?(): Promise<void>;
  /** The stage's job on one item: return the (updated) item, or drop(reason). */
  process(item: I, ctx: StageContext<C>): O | Drop | Promise<O | Drop>;
  /** Document to put in rejects when `process` drops or throws on a non-Doc input (e.g. RawPage). */
  asDoc?(item: I): Doc;
}

/**
 * Build a streaming stage from a per-item function. Order is preserved; at most `concurrency`
 * items are in flight. An exception on one item rejects that item with reason `error:<kind>`
 * and the run goes on.
 */
export function docStage<I = Doc, O = Doc, C = unknown>(spec: DocStageSpec<I, O, C>): Stage<I, O, C> {
  return {
    name: spec.name,
    columns: spec.columns,
    tables: spec.tables,
    tableLayouts: spec.tableLayouts,
    rules: spec.rules,
    open: spec.open,
    close: spec.close,
    async *transform(input, ctx) {
      const limit = Math.max(
        1,
        typeof spec.concurrency === 'function' ? spec.concurrency(ctx.config) : (spec.concurrency ?? 1),
      );
      const toDoc = (item: I): Doc => (spec.asDoc ? spec.asDoc(item) : (item as unknown as Doc));
      const run = async (item: I): Promise<O | null> => {
        ctx.counters.add('in');
        try {
          const out = await spec.process(item, ctx);
          if (isDrop(out)) {
            ctx.reject(toDoc(item), out.drop, out.detail);
            return null;
          }
          ctx.counters.add('out');
          return out;
        } catch (err) {
          const kind = err instanceof StageError ? err.kind : 'exception';
          ctx.counters.add(`error:${kind}`);
          ctx.reject(toDoc(item), `error:${kind}`, String((err as Error)?.message ?? err).slice(0, 500));
          return null;
        }
      };
      if (limit === 1) {
        for await (const item of input) {
          const out = await run(item);
          if (out !== null) yield out;
        }
        return;
      }
      // Ordered window: start up to `limit` items, always yield the oldest first.
      const window: Promise<O | null>[] = [];
      for await (const item of input) {
        window.push(run(item));
        if (window.length >= limit) {
          const out = await window.shift()!;
          if (out !== null) yield out;
        }
      }
      while (window.length > 0) {
        const out = await window.shift()!;
        if (out !== null) yield out;
      }
    },
  };
}
