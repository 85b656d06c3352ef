/**
 * The one module that talks to DuckDB (@duckdb/node-api). Everything that writes or reads Parquet
 * goes through here, so an upgrade or a swap touches one file.
 *
 * Write path (measured fastest here, references/node-ecosystem.md §4.3): rows into an in-memory
 * table through an Appender + DataChunkWriter, then `COPY table TO 'x.parquet' (zstd)`.
 */
import {
  type DuckDBConnection,
  DuckDBDataChunkWriter,
  DuckDBInstance,
  JSToDuckDBValueConverter,
  type DuckDBAppender,
  type JS,
} from '@duckdb/node-api';
import type { ColumnSpec } from '../../schemas/doc.ts';
import { createTableSql, quoteIdent } from '../../schemas/tables.ts';

export type Row = Record<string, unknown>;

export class Db {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  /** An in-memory database; `threads` caps DuckDB's own worker threads. */
  static async open(opts: { threads?: number } = {}): Promise<Db> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(opts.threads ?? 2),
    });
    const conn = await instance.connect();
    return new Db(instance, conn);
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  /** Rows as plain JSON-safe objects (BIGINT -> number when safe, else string; lists -> arrays). */
  async all(sql: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Row[];
  }

  /** Rows with JS values (bigint, Date, Uint8Array for BLOB...). */
  async allJS(sql: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Row[];
  }

  /** Rows of a query, a DuckDB chunk (≤ 2048 rows) at a time, with JS values: memory stays bounded by a chunk. */
  async *batches(sql: string): AsyncGenerator<Row[]> {
    const result = await this.conn.stream(sql);
    for await (const rows of result.yieldRowObjectJs()) yield rows as Row[];
  }

  /** Column names and rows of a query, for table/CSV printing. */
  async table(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    const reader = await this.conn.runAndReadAll(sql);
    return { columns: reader.deduplicatedColumnNames(), rows: reader.getRowsJson() as unknown[][] };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Buffers rows of one table in DuckDB and writes them out as Parquet files on demand.
 * Values are plain JS (strings, numbers, arrays, objects for STRUCTs, Uint8Array for BLOB).
 */
export class ParquetTableWriter {
  private appender!: DuckDBAppender;
  private writer!: DuckDBDataChunkWriter<JS>;
  private pending = 0;
  private static seq = 0;

  private constructor(
    private readonly db: Db,
    readonly columns: ColumnSpec[],
    private readonly tableName: string,
    private readonly compression: string,
  ) {}

  static async create(db: Db, columns: ColumnSpec[], compression = 'zstd'): Promise<ParquetTableWriter> {
    const name = `buf_${process.pid}_${ParquetTableWriter.seq++}`;
    const w = new ParquetTableWriter(db, columns, name, compression);
    await db.run(createTableSql(name, columns));
    await w.openAppender();
    return w;
  }

  private async openAppender(): Promise<void> {
    this.appender = await this.db.conn.createAppender(this.tableName);
    // Rows wait in the JS heap until a chunk is full: DuckDB's default (2048 rows of whole documents)
    // doubled a worker's peak RSS on corpus pages (638 -> 338 MB, scripts/bench-scale.ts); 128 costs no speed.
    this.writer = DuckDBDataChunkWriter.forAppender(this.appender, { converter: JSToDuckDBValueConverter, rowsPerDataChunk: 128 });
  }

  /** Rows buffered since the last write. */
  get size(): number {
    return this.pending;
  }

  append(values: unknown[]): void {
    this.writer.appendRow(values as JS[]);
    this.pending++;
  }

  appendObject(row: Row): void {
    this.append(this.columns.map((c) => row[c.name] ?? null));
  }

  /**
   * Write the buffered rows to `path` (Parquet) and start an empty buffer. Returns rows written.
   * With `layout`, sorted by its orderBy in row groups of its rowGroupRows.
   */
  async writeTo(path: string, layout?: { orderBy: string; rowGroupRows: number }): Promise<number> {
    this.writer.flush();
    this.appender.closeSync();
    const n = this.pending;
    const t = quoteIdent(this.tableName);
    await this.db.run(
      layout
        ? `COPY (SELECT * FROM ${t} ORDER BY ${layout.orderBy}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${this.compression}, ROW_GROUP_SIZE ${layout.rowGroupRows})`
        : `COPY ${t} TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${this.compression})`,
    );
    // A fresh table, not DELETE: deleted rows keep their blocks in an in-memory database, so a
    // buffer that was only emptied grew with every row ever appended (write.shardBytes bounded nothing).
    await this.db.run(`DROP TABLE ${t}`);
    await this.db.run(createTableSql(this.tableName, this.columns));
    this.pending = 0;
    await this.openAppender();
    return n;
  }

  /** Drop buffered rows and the buffer table. */
  async dispose(): Promise<void> {
    try {
      this.appender.closeSync();
    } catch {
      /* already closed */
    }
    await this.db.run(`DROP TABLE IF EXISTS ${quoteIdent(this.tableName)}`);
  }
}
