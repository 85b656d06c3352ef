/**
 * What this output directory has: its views and their columns, read from DuckDB's
 * information_schema, so every chart can check what it needs and skip with a note otherwise
 * (stages land at different times; an output dir may come from any subset of them).
 */
import type { Db } from '../../stages/lib/duckdb.ts';

/** view -> column -> DuckDB type */
export type Schema = Map<string, Map<string, string>>;

export async function readSchema(db: Db): Promise<Schema> {
  const rows = await db.all(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`,
  );
  const schema: Schema = new Map();
  for (const r of rows) {
    const t = String(r.table_name);
    if (!schema.has(t)) schema.set(t, new Map());
    schema.get(t)!.set(String(r.column_name), String(r.data_type));
  }
  return schema;
}

export function has(schema: Schema, table: string, ...columns: string[]): boolean {
  const t = schema.get(table);
  return !!t && columns.every((c) => t.has(c));
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/;
const INTEGRAL = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|BOOLEAN)$/;
const SCALAR = /^(VARCHAR|DATE|TIMESTAMP.*|TIME)$/;

export function isNumeric(type: string): boolean {
  return NUMERIC.test(type);
}

export function isIntegral(type: string): boolean {
  return INTEGRAL.test(type);
}

/** Columns with one plain value per row (no lists, structs or blobs): what a document card shows. */
export function scalarColumns(schema: Schema, table: string): string[] {
  return [...(schema.get(table) ?? new Map<string, string>())].filter(([, t]) => NUMERIC.test(t) || SCALAR.test(t)).map(([c]) => c);
}
