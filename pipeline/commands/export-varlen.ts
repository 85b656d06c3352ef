/**
 * `corpus export-varlen <out-dir> [--tokens-per-row B]`: rows for varlen-attention trainers
 * (flash_attn_varlen_func, Megatron THD, InternVL packed training). Within each bucket, chunks are
 * concatenated in seq_index order until the next would exceed B tokens (default: the largest bucket),
 * with `cu_seqlens` boundaries; positions restart in every sub-sequence and the first token of each
 * is ignored by the loss. Written to varlen/part-NNNNN.parquet (its summary: _meta/varlen.json).
 */
import { mkdir, rm } from 'node:fs/promises';
import { publishPath } from '../../stages/lib/atomic.ts';
import { join, resolve } from 'node:path';
import { parse, UsageError } from '../args.ts';
import { Db, ParquetTableWriter, sqlString } from '../../stages/lib/duckdb.ts';
import { IMAGE_SPAN_STRUCT, varlenRows, type VarlenPart } from '../../stages/pack/index.ts';
import type { ColumnSpec } from '../../schemas/doc.ts';
import { readPackManifest } from './schedule.ts';
import { writeMeta } from '../meta.ts';
import { writeDatasetCard } from '../card.ts';

export const varlenColumns: ColumnSpec[] = [
  { name: 'row_index', type: 'INTEGER', description: 'row number over the export' },
  { name: 'bucket', type: 'INTEGER', description: 'bucket of every chunk in the row' },
  { name: 'num_tokens', type: 'INTEGER', description: 'len(input_ids) ≤ tokens-per-row' },
  { name: 'num_sequences', type: 'INTEGER', description: 'chunks concatenated in the row' },
  { name: 'max_seqlen', type: 'INTEGER', description: 'longest chunk (flash-attention max_seqlen)' },
  { name: 'cu_seqlens', type: 'INTEGER[]', description: 'chunk boundaries [0, …, num_tokens] (num_sequences + 1 values)' },
  { name: 'input_ids', type: 'INTEGER[]', description: 'concatenated chunk tokens' },
  { name: 'labels', type: 'INTEGER[]', description: 'packed labels, and -100 at the first token of every chunk; unshifted' },
  { name: 'position_ids', type: 'FLOAT[]', description: 'V2PE positions restarting at 0 in every chunk' },
  { name: 'sequences', type: 'STRUCT(doc_id VARCHAR, chunk_index INTEGER)[]', description: 'the chunks, in order' },
  { name: 'image_spans', type: `${IMAGE_SPAN_STRUCT}[]`, description: 'images with offsets in row coordinates' },
];

const pad = (n: number) => String(n).padStart(5, '0');

export interface VarlenSummary {
  rows: number;
  tokens: number;
  capacity: number;
  files: string[];
}

export async function exportVarlen(outDir: string, tokensPerRow?: number, tokensPerFile = 2 ** 22): Promise<VarlenSummary> {
  const m = await readPackManifest(outDir);
  const budget = tokensPerRow ?? 2 ** m.options.maxLog2;
  if (budget < 2 ** m.options.maxLog2) {
    throw new UsageError(`--tokens-per-row ${budget} is below the largest bucket ${2 ** m.options.maxLog2}`);
  }
  const tmp = join(outDir, `.varlen-tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const reader = await Db.open();
  const writerDb = await Db.open();
  const summary: VarlenSummary = { rows: 0, tokens: 0, capacity: 0, files: [] };
  try {
    const w = await ParquetTableWriter.create(writerDb, varlenColumns);
    let fileTokens = 0;
    const flush = async () => {
      if (w.size === 0) return;
      const name = `part-${pad(summary.files.length)}.parquet`;
      await w.writeTo(join(tmp, name));
      summary.files.push(name);
      fileTokens = 0;
    };
    for (const b of m.buckets) {
      const glob = resolve(outDir, 'packed', `len=${b.bucket}`, 'part-*.parquet');
      const sql = `SELECT doc_id, chunk_index, input_ids, labels, position_ids, image_spans
        FROM read_parquet(${sqlString(glob)}) ORDER BY seq_index`;
      const parts = (async function* (): AsyncGenerator<VarlenPart> {
        for await (const batch of reader.batches(sql)) {
          for (const r of batch) {
            yield {
              doc_id: r.doc_id as string,
              chunk_index: r.chunk_index as number,
              input_ids: r.input_ids as number[],
              labels: r.labels as number[],
              position_ids: r.position_ids as number[],
              image_spans: r.image_spans as VarlenPart['image_spans'],
            };
          }
        }
      })();
      for await (const row of varlenRows(parts, budget)) {
        w.append([
          summary.rows++,
          b.bucket,
          row.input_ids.length,
          row.sequences.length,
          row.max_seqlen,
          Array.from(row.cu_seqlens),
          Array.from(row.input_ids),
          Array.from(row.labels),
          Array.from(row.position_ids),
          row.sequences,
          row.image_spans,
        ]);
        summary.tokens += row.input_ids.length;
        summary.capacity += budget;
        fileTokens += row.input_ids.length;
        if (fileTokens >= tokensPerFile) await flush();
      }
    }
    await flush();
    await w.dispose();
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    reader.close();
    writerDb.close();
  }
  const final = join(outDir, 'varlen');
  await publishPath(tmp, final);
  await writeMeta(outDir, 'varlen', { tool: 'corpus export-varlen', created_at: new Date().toISOString(), tokens_per_row: budget, ...summary });
  await writeDatasetCard(outDir);
  return summary;
}

export async function exportVarlenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'tokens-per-row': { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('usage: corpus export-varlen <out-dir> [--tokens-per-row B]');
  let budget: number | undefined;
  if (values['tokens-per-row'] !== undefined) {
    budget = Number(values['tokens-per-row']);
    if (!Number.isInteger(budget) || budget <= 0) throw new UsageError(`--tokens-per-row takes a whole number, got ${values['tokens-per-row']}`);
  }
  const s = await exportVarlen(positionals[0]!, budget);
  process.stdout.write(
    `${s.rows} rows, ${s.tokens} tokens, fill ${((100 * s.tokens) / Math.max(1, s.capacity)).toFixed(1)}% of ${s.rows} × budget -> ${join(positionals[0]!, 'varlen')} (${s.files.length} files)\n`,
  );
  return 0;
}
