/**
 * Metadata of an output dir that is not a table: `_meta/<name>.json` (packed.json, varlen.json,
 * schedule.json, images.json). Table folders hold only Parquet, so pandas, polars, HF datasets and
 * DuckDB read every one of them as a plain Parquet directory; `_`-folders are skipped by all of them
 * (and by `corpus query`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from './markers.ts';

export const META_DIR = '_meta';

export const metaPath = (out: string, name: string): string => join(out, META_DIR, `${name}.json`);

export async function writeMeta(out: string, name: string, value: unknown): Promise<string> {
  await mkdir(join(out, META_DIR), { recursive: true });
  const path = metaPath(out, name);
  await writeJsonAtomic(path, value);
  return path;
}

/** The metadata `name` of `out`, or null when it was never written. */
export async function readMeta<T>(out: string, name: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(metaPath(out, name), 'utf8')) as T;
  } catch {
    return null;
  }
}
