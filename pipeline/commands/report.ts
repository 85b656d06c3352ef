/**
 * `corpus report <out-dir> [--out report.html] [--sample N]`: write one self-contained HTML page
 * (charts, the SQL behind them, sample documents) about an output directory of `corpus run`.
 */
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { parse, UsageError } from '../args.ts';
import { writeReport } from '../report/build.ts';

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    sample: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('usage: corpus report <out-dir> [--out report.html] [--sample N]');
  const outDir = positionals[0]!;
  const sample = values.sample === undefined ? 20 : Number(values.sample);
  if (!Number.isInteger(sample) || sample < 0) throw new UsageError(`--sample takes a whole number ≥ 0, got ${values.sample}`);
  const file = values.out ?? join(outDir, 'report.html');
  const result = await writeReport(outDir, file, { sample });
  const size = (await stat(file)).size;
  const drawn = result.charts.filter((c) => c.svg).length;
  process.stderr.write(
    `report: ${drawn} charts (${result.charts.length - drawn} skipped), ${result.documents} documents, ` +
      `${(size / 1e6).toFixed(1)} MB, built in ${result.seconds.toFixed(1)} s -> ${file}\n`,
  );
  return 0;
}
