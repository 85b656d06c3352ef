/**
 * Token columns after `corpus dedup --apply`. The global pass cuts boilerplate paragraphs and
 * repeated images out of `segments`, but `input_ids`, `position_ids` and the per-segment token
 * counts were made by the run from the uncut document: `corpus pack` would train on the cut text,
 * or drop the document when its image spans no longer line up. This reruns the tokenize and
 * positions stages on exactly the documents whose segments changed, with the shard's own config
 * (its manifest), and rewrites the applied docs file; the other rows are copied as they are.
 */
import { rm } from 'node:fs/promises';
import { publishPath } from '../stages/lib/atomic.ts';
import type { ColumnSpec, Doc } from '../schemas/doc.ts';
import { docFromRow, docRow } from '../schemas/tables.ts';
import { Db, ParquetTableWriter, sqlString } from '../stages/lib/duckdb.ts';
import { tokenizeStage } from '../stages/tokenize/index.ts';
import { positionsStage } from '../stages/positions/index.ts';
import type { Config } from './config.ts';
import type { RunContext } from './context.ts';
import type { Stage } from './stage.ts';
import { Counters } from './stats.ts';

export interface RetokenizeResult {
  /** Documents whose segments the pass cut (and that had tokens). */
  changed: number;
  /** ... of which tokenize and positions ran again without error. */
  retokenized: number;
  /** ... whose stages failed: kept, with NULL token and position columns (`corpus pack` counts them). */
  failed: { docId: string; reason: string }[];
}

/** Redone rows buffered before they are written out as one Parquet part (bounded memory). */
const ROWS_PER_PART = 2000;

/**
 * @param applied  the docs file `corpus dedup --apply` wrote for one shard (rewritten in place)
 * @param original Parquet glob of that shard's docs as `corpus run` wrote them
 * @param config   the shard's run config (tokenizer, markers, δ seed)
 * @param opts.rowsPerPart redone rows per temporary Parquet part (default 2000)
 */
export async function retokenizeApplied(applied: string, original: string, config: Config, opts: { rowsPerPart?: number } = {}): Promise<RetokenizeResult> {
  const rowsPerPart = opts.rowsPerPart ?? ROWS_PER_PART;
  const db = await Db.open();
  const result: RetokenizeResult = { changed: 0, retokenized: 0, failed: [] };
  try {
    const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(applied)})`);
    const columns: ColumnSpec[] = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type), description: '' }));
    if (!columns.some((c) => c.name === 'input_ids')) return result; // a run without the tokenize stage: nothing to redo
    // A view, not a table: the shard is streamed from its file, never held in memory whole.
    await db.run(`CREATE VIEW applied AS SELECT * FROM read_parquet(${sqlString(applied)})`);
    await db.run(`CREATE TABLE changed AS
      SELECT a.doc_id FROM applied a
      JOIN (SELECT doc_id, any_value(len(segments)) AS n FROM read_parquet(${sqlString(original)}, union_by_name = true) GROUP BY doc_id) o
        USING (doc_id)
      WHERE a.input_ids IS NOT NULL AND len(a.segments) <> o.n
      ORDER BY a.doc_id`);
    result.changed = Number((await db.all('SELECT count(*)::INTEGER AS n FROM changed'))[0]!.n);
    if (result.changed === 0) return result;

    const stages: Stage<Doc, Doc>[] = [tokenizeStage, positionsStage];
    const resources = new Map<string, unknown>();
    for (const s of stages) await s.open?.(config, resources);
    const tokenColumns = new Set(stages.flatMap((s) => (s.columns ?? []).map((c) => c.name)));
    // Rows are streamed from one database and buffered for writing in another: a streaming result
    // stays valid only while its connection runs nothing else.
    const writerDb = await Db.open();
    const writer = await ParquetTableWriter.create(writerDb, columns);
    const rejected = new Map<string, string>();
    const ctxFor = (stage: string): RunContext => ({
      config,
      counters: new Counters(),
      reject: (doc, reason, detail) => rejected.set(doc.id, `${stage}: ${reason}${detail ? ` (${detail})` : ''}`),
      emit: () => {},
      resources,
      unit: applied,
      segment: `${applied}#retokenize`,
      signal: new AbortController().signal,
      log: () => {},
    });
    const parts: string[] = [];
    const flush = async () => {
      if (writer.size === 0) return;
      const part = `${applied}.retokenized-${parts.length}.parquet`;
      await writer.writeTo(part);
      parts.push(part);
    };
    try {
      // One pass over the shard file (DuckDB chunks of <= 2048 rows); the redone rows go to Parquet
      // parts of at most ROWS_PER_PART rows, so memory stays bounded however many documents were cut.
      for await (const rows of db.batches(`SELECT a.* FROM applied a SEMI JOIN changed USING (doc_id) ORDER BY a.doc_id`)) {
        const docs = rows.map(docFromRow);
        let stream: AsyncIterable<Doc> = (async function* () {
          yield* docs.map((d) => ({ ...d, segments: d.segments.map((s) => ({ ...s })), signals: { ...d.signals } }));
        })();
        for (const s of stages) stream = s.transform(stream, ctxFor(s.name));
        const redone = new Map<string, Doc>();
        for await (const d of stream) redone.set(d.id, d);
        for (const doc of docs) {
          const fresh = redone.get(doc.id);
          if (fresh) {
            writer.append(docRow(fresh, columns));
            result.retokenized++;
          } else {
            // Never lose the document: keep it without tokens rather than with tokens of text that is gone.
            result.failed.push({ docId: doc.id, reason: rejected.get(doc.id) ?? 'not returned by the stages' });
            for (const c of tokenColumns) doc.signals[c] = null;
            for (const seg of doc.segments) seg.tokens = seg.tiles = seg.delta = null;
            writer.append(docRow(doc, columns));
          }
          if (writer.size >= rowsPerPart) await flush();
        }
      }
      await flush();
      const tmp = `${applied}.tmp`;
      await db.run(`COPY (
          SELECT * FROM applied WHERE doc_id NOT IN (SELECT doc_id FROM changed)
          UNION ALL BY NAME SELECT * FROM read_parquet([${parts.map(sqlString).join(', ')}])
          ORDER BY doc_id
        ) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      await publishPath(tmp, applied);
    } finally {
      await writer.dispose();
      writerDb.close();
      for (const p of parts) await rm(p, { force: true });
      for (const s of stages) await s.close?.();
    }
    return result;
  } finally {
    db.close();
  }
}
