/** `corpus query <out-dir…> "<sql>"`: SQL over the Parquet output, printed as a table, CSV or JSON. */
import { formatTable, parse, UsageError } from '../args.ts';

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string', short: 'f' } });
  if (positionals.length < 2) throw new UsageError('usage: corpus query <out-dir…> "<sql>"');
  const sql = positionals[positionals.length - 1]!;
  const format = values.format ?? 'table';
  if (!['table', 'csv', 'json'].includes(format)) throw new UsageError(`--format is table, csv or json, got ${format}`);
  const { openCorpus, QueryError } = await import('../query.ts');
  const db = await openCorpus(positionals.slice(0, -1));
  try {
    let res: Awaited<ReturnType<typeof db.table>>;
    try {
      res = await db.table(sql);
    } catch (e) {
      throw new QueryError(`SQL error: ${(e as Error).message.split('\n')[0]}`);
    }
    process.stdout.write(formatTable(res.columns, res.rows, format as 'table' | 'csv' | 'json'));
  } finally {
    db.close();
  }
  return 0;
}
