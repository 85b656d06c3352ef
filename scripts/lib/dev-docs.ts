/**
 * The development collection as documents, the way `corpus run` hands them to the document stages:
 * every page of ../shared/corpus/html written to a WARC (per-record gzip), read and extracted by
 * the real reader and extract stage. Cached as JSON in `dir` (extraction of ~3,400 pages takes a while).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Doc } from '../../schemas/doc.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { expandInputs, readUnit } from '../../stages/read/index.ts';
import { extractStage } from '../../stages/extract/index.ts';
import { devPages, writeDevWarc } from '../../test/helpers/corpus-warc.ts';
import { standaloneContext } from '../../pipeline/context.ts';
import { sharedCorpus } from './shared-corpus.ts';

export interface DevDoc {
  doc: Doc;
  /** The page's declared language (html lang attribute or set label), or null. */
  declared: string | null;
}

export async function devDocs(dir = '/tmp/dev-docs'): Promise<DevDoc[]> {
  const cache = join(dir, 'docs.json');
  if (await stat(cache).catch(() => null)) return JSON.parse(await readFile(cache, 'utf8')) as DevDoc[];
  await mkdir(dir, { recursive: true });
  const warc = join(dir, 'all.warc.gz');
  await writeDevWarc(warc, Infinity, Infinity, sharedCorpus());
  const declared = new Map((await devPages(sharedCorpus())).map((p) => [p.url, p.lang]));
  const ctx = standaloneContext({ config: loadConfig(), unit: warc });
  const [unit] = await expandInputs([warc]);
  const out: DevDoc[] = [];
  for await (const doc of extractStage.transform(readUnit(unit!, ctx), ctx)) out.push({ doc, declared: declared.get(doc.url) ?? null });
  await writeFile(cache, JSON.stringify(out));
  return out;
}
