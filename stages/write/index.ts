/**
 * write: the documents, rejects, stats and side-table rows of ONE unit of work -> Parquet shards.
 *
 * Atomicity: every file is written under a temporary name (`.tmp-<unit>-…`) and renamed to
 * `part-<unit>-<seq>.parquet` only when the whole unit is done. Names are deterministic, so a unit
 * that is redone after a crash overwrites its own files: nothing is duplicated, nothing is lost.
 */
import { mkdir, rm } from 'node:fs/promises';
import { publishPath } from '../lib/atomic.ts';
import { join } from 'node:path';
import type { ColumnSpec, Doc, Rejection } from '../../schemas/doc.ts';
import { DOC_BASE_COLUMNS, REJECT_EXTRA_COLUMNS, STATS_COLUMNS, docRow } from '../../schemas/tables.ts';
import { type Db, ParquetTableWriter, type Row } from '../lib/duckdb.ts';
import type { WriteConfig } from './config.ts';

export { writeDefaults, type WriteConfig } from './config.ts';

export interface TableSchemas {
  docs: ColumnSpec[];
  rejects: ColumnSpec[];
  /** Side tables declared by stages (images, ...). */
  side: Record<string, ColumnSpec[]>;
}

/** Columns of docs and rejects given the signal columns the run's stages declare. */
export function tableSchemas(signalColumns: ColumnSpec[], side: Record<string, ColumnSpec[]>): TableSchemas {
  const seen = new Set(DOC_BASE_COLUMNS.map((c) => c.name));
  const signals = signalColumns.filter((c) => !seen.has(c.name) && seen.add(c.name));
  const docs = [...DOC_BASE_COLUMNS, ...signals];
  return { docs, rejects: [...docs, ...REJECT_EXTRA_COLUMNS], side };
}

const pad = (n: number) => String(n).padStart(5, '0');

/** Rough size of a row's values in bytes: what it costs to hold them until the shard is written. */
export function approxBytes(v: unknown): number {
  if (v === null || v === undefined) return 1;
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return 8;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) {
    // Lists of numbers (token ids, positions, histograms) are common and long: no need to walk them.
    if (v.length > 0 && typeof v[0] === 'number') return 8 * v.length;
    let n = 8;
    for (const x of v) n += approxBytes(x);
    return n;
  }
  if (v instanceof Date) return 8;
  if (typeof v === 'object') {
    let n = 8;
    for (const x of Object.values(v)) n += approxBytes(x);
    return n;
  }
  return 8;
}

class ShardedTable {
  private seq = 0;
  private bufferedBytes = 0;
  readonly tmpFiles: string[] = [];
  rows = 0;
  constructor(
    private readonly buf: ParquetTableWriter,
    private readonly dir: string,
    private readonly unitId: string,
    private readonly limits: { shardRows: number; shardBytes: number },
  ) {}

  async add(values: unknown[]): Promise<void> {
    this.buf.append(values);
    this.rows++;
    this.bufferedBytes += approxBytes(values);
    if (this.buf.size >= this.limits.shardRows || this.bufferedBytes >= this.limits.shardBytes) await this.flush();
  }

  async flush(): Promise<void> {
    this.bufferedBytes = 0;
    if (this.buf.size === 0) return;
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${this.unitId}-${pad(this.seq++)}.parquet`);
    await this.buf.writeTo(tmp);
    this.tmpFiles.push(tmp);
  }

  finalName(tmp: string): string {
    return tmp.replace(/\/\.tmp-([^/]+)\.parquet$/, '/part-$1.parquet');
  }
}

export interface UnitOutput {
  files: string[];
  rows: Record<string, number>;
}


export class UnitWriter {
  private tables = new Map<string, ShardedTable>();
  private buffers: ParquetTableWriter[] = [];

  private constructor(private readonly schemas: TableSchemas) {}

  static async open(db: Db, outDir: string, unitId: string, schemas: TableSchemas, cfg: WriteConfig): Promise<UnitWriter> {
    const w = new UnitWriter(schemas);
    const all: [string, ColumnSpec[]][] = [
      ['docs', schemas.docs],
      ['rejects', schemas.rejects],
      ['stats', STATS_COLUMNS],
      ...Object.entries(schemas.side),
    ];
    for (const [name, cols] of all) {
      const buf = await ParquetTableWriter.create(db, cols, cfg.compression);
      w.buffers.push(buf);
      w.tables.set(name, new ShardedTable(buf, join(outDir, name), unitId, cfg));
    }
    return w;
  }

  async writeDoc(doc: Doc): Promise<void> {
    await this.tables.get('docs')!.add(docRow(doc, this.schemas.docs));
  }

  async writeReject(doc: Doc, why: Rejection): Promise<void> {
    const base = docRow(doc, this.schemas.docs);
    await this.tables.get('rejects')!.add([...base, why.stage, why.reason, why.detail ?? null]);
  }

  async writeRow(table: string, row: Row): Promise<void> {
    const t = this.tables.get(table);
    if (!t) throw new Error(`no table ${table} declared by any stage`);
    const cols = table === 'stats' ? STATS_COLUMNS : this.schemas.side[table]!;
    await t.add(cols.map((c) => row[c.name] ?? null));
  }

  /** Flush everything and move the unit's files into place. */
  async commit(): Promise<UnitOutput> {
    const files: string[] = [];
    const rows: Record<string, number> = {};
    for (const [name, t] of this.tables) {
      await t.flush();
      rows[name] = t.rows;
      for (const tmp of t.tmpFiles) {
        const final = t.finalName(tmp);
        await publishPath(tmp, final);
        files.push(final);
      }
    }
    await this.dispose();
    return { files, rows };
  }

  /** Drop what was buffered and written for this unit. */
  async abort(): Promise<void> {
    for (const t of this.tables.values()) for (const f of t.tmpFiles) await rm(f, { force: true });
    await this.dispose();
  }

  private async dispose(): Promise<void> {
    for (const b of this.buffers) await b.dispose();
    this.buffers = [];
  }
}
