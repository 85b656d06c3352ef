/**
 * A WARC of any size made of the real pages in ../shared/corpus/html (per-record gzip, as crawlers
 * write them): the pages are repeated under new URLs until the file reaches the size asked for.
 * Used by the kill test and scripts/bench-scale.ts.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WarcWriter } from '../../stages/lib/warc-writer.ts';
import { CORPUS } from './context.ts';

export async function corpusPages(): Promise<{ name: string; html: Buffer }[]> {
  const out: { name: string; html: Buffer }[] = [];
  for (const set of ['readability', 'newspaper4k', 'magic-html']) {
    const dir = join(CORPUS, 'html', set);
    for (const f of (await readdir(dir)).sort()) {
      if (f.endsWith('.html') && !f.endsWith('.expected.html')) out.push({ name: `${set}/${f}`, html: await readFile(join(dir, f)) });
    }
  }
  return out;
}

/**
 * Write `path` with pages until it has at least `bytes` bytes (or `records` records); returns the count.
 * URLs are `https://copy<n>.corpus.example/...` from copy `firstCopy` on, so files can be made distinct.
 */
export async function writeCorpusWarc(path: string, limit: { bytes?: number; records?: number; firstCopy?: number }): Promise<number> {
  const pages = await corpusPages();
  const w = await WarcWriter.open(path, { description: 'corpus pages, repeated' });
  let n = 0;
  try {
    for (let copy = limit.firstCopy ?? 0; ; copy++) {
      for (const p of pages) {
        if (limit.records !== undefined && n >= limit.records) return n;
        if (limit.bytes !== undefined && n % 50 === 0 && n > 0 && (await stat(path)).size >= limit.bytes) return n;
        await w.writeExchange({
          url: `https://copy${copy}.corpus.example/${p.name}`,
          date: '2026-11-28T00:00:00Z',
          status: 200,
          headers: { 'Content-Type': 'text/html', 'Content-Length': String(p.html.length) },
          body: p.html,
        });
        n++;
      }
    }
  } finally {
    await w.close();
  }
}
