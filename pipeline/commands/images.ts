/**
 * `corpus images <out-dir>`: the images table once per image, findable. The run writes image rows per
 * unit (each unit segment sees its images afresh, so an image on pages of many WARC files has many
 * rows); this rewrites `images/` as one row per `image_id` (the row with bytes when there is one),
 * plus one row per (url, reason) for images never had (image_id NULL), sorted by image_id in small
 * row groups, so a lookup by image_id reads a few row groups (Parquet min/max statistics prune the rest).
 *
 * `corpus run` does it at the end of a complete single-rank run; after many ranks, run it once when
 * every rank is done (like `corpus pack`). Idempotent; crash-safe: the new files are renamed into place
 * before the old ones are removed, so a crash in between leaves duplicate rows that the next
 * compaction removes, never a lost one.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { publishPath } from '../../stages/lib/atomic.ts';
import { join, resolve } from 'node:path';
import { parse, UsageError } from '../args.ts';
import { Db, sqlString } from '../../stages/lib/duckdb.ts';
import { writeMeta } from '../meta.ts';
import { writeDatasetCard } from '../card.ts';

/** Rows per row group: ~100 kB images make ~12 MB groups; a lookup reads one. */
export const IMAGE_ROW_GROUP_ROWS = 128;

export interface ImagesSummary {
  rows_before: number;
  rows_after: number;
  images_with_bytes: number;
  files: string[];
}

export async function compactImages(out: string, opts: { rowGroupRows?: number; fileBytes?: number } = {}): Promise<ImagesSummary | null> {
  const dir = join(out, 'images');
  let old: string[];
  try {
    old = (await readdir(dir)).filter((n) => n.endsWith('.parquet') && !n.startsWith('.')).sort();
  } catch {
    return null;
  }
  if (old.length === 0) return null;
  const inProgress = (await readdir(join(out, '_checkpoints')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  if (inProgress.length > 0) {
    throw new UsageError(`${out} has ${inProgress.length} unit(s) in progress (_checkpoints/): finish the run (rerun it) before compacting images`);
  }
  const gen = `c${Date.now().toString(36)}`;
  const tmp = join(out, `.images-tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const db = await Db.open();
  const src = `read_parquet([${old.map((n) => sqlString(resolve(dir, n))).join(', ')}], union_by_name = true)`;
  let summary: ImagesSummary;
  try {
    const [before] = await db.all(`SELECT count(*)::BIGINT AS n FROM ${src}`);
    // One row per image: the one with bytes, then the smallest url and source (deterministic whatever the file order).
    await db.run(`COPY (
        SELECT * EXCLUDE (rk) FROM (
          SELECT *, row_number() OVER (
            PARTITION BY coalesce(image_id, 'url:' || coalesce(url, '') || chr(10) || coalesce(reason, ''))
            ORDER BY bytes IS NULL, reason NULLS FIRST, url, source) AS rk
          FROM ${src})
        WHERE rk = 1
        ORDER BY image_id NULLS LAST, url, reason
      ) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${opts.rowGroupRows ?? IMAGE_ROW_GROUP_ROWS},
        FILE_SIZE_BYTES ${opts.fileBytes ?? 512 * 1024 * 1024}, FILENAME_PATTERN 'part-images-${gen}-{i}')`);
    const written = (await readdir(tmp)).filter((n) => n.endsWith('.parquet')).sort((a, b) => fileIndex(a) - fileIndex(b));
    const [after] = await db.all(
      `SELECT count(*)::BIGINT AS n, count(bytes)::BIGINT AS b FROM read_parquet(${sqlString(join(resolve(tmp), '*.parquet'))})`,
    );
    summary = { rows_before: Number(before!.n), rows_after: Number(after!.n), images_with_bytes: Number(after!.b), files: [] };
    // Zero-padded names in write order, so a sorted listing (every reader's glob) keeps image_id order.
    for (const [i, n] of written.entries()) {
      const name = `part-images-${gen}-${String(i).padStart(5, '0')}.parquet`;
      await publishPath(join(tmp, n), join(dir, name));
      summary.files.push(name);
    }
  } finally {
    db.close();
    await rm(tmp, { recursive: true, force: true });
  }
  for (const n of old) await rm(join(dir, n), { force: true });
  await writeMeta(out, 'images', { tool: 'corpus images', created_at: new Date().toISOString(), ...summary });
  await writeDatasetCard(out);
  return summary;
}

const fileIndex = (name: string) => Number(/(\d+)\.parquet$/.exec(name)?.[1] ?? 0);

export async function imagesCommand(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError('usage: corpus images <out-dir>');
  const s = await compactImages(positionals[0]!);
  if (!s) throw new UsageError(`${positionals[0]} has no images table (the images stage did not run)`);
  process.stdout.write(`images: ${s.rows_before} rows -> ${s.rows_after} (${s.images_with_bytes} with bytes), sorted by image_id -> ${join(positionals[0]!, 'images')}\n`);
  return 0;
}
