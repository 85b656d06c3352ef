/**
 * A WARC of any size made of real pages (per-record gzip, as crawlers write them): the pages are
 * repeated under new URLs until the file reaches the size asked for. `root` is a corpus folder with
 * html/<set>/ pages: test/fixtures for the tests (the kill test), the development corpus for the
 * benches (scripts/bench-scale.ts passes scripts/lib/shared-corpus.ts's).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WarcWriter } from '../../stages/lib/warc-writer.ts';
import { FIXTURES } from './fixtures.ts';

export async function corpusPages(root = FIXTURES): Promise<{ name: string; html: Buffer }[]> {
  const out: { name: string; html: Buffer }[] = [];
  for (const set of ['readability', 'newspaper4k', 'magic-html']) {
    const dir = join(root, 'html', set);
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
export async function writeCorpusWarc(path: string, limit: { bytes?: number; records?: number; firstCopy?: number }, root = FIXTURES): Promise<number> {
  const pages = await corpusPages(root);
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

/**
 * Every page of a corpus folder's html/ (the development collection for the scripts; .html and .html.gz; not the
 * expected outputs), with its real URL and charset where the page's json records them, in an order
 * that mixes the sets (sha1 of set/stem) so a prefix of it looks like a crawl, not one benchmark.
 */
export async function devPages(root = FIXTURES): Promise<{ name: string; url: string; charset: string | null; lang: string | null; html: Buffer }[]> {
  const { createHash } = await import('node:crypto');
  const { gunzipSync } = await import('node:zlib');
  const out: { name: string; url: string; charset: string | null; lang: string | null; html: Buffer; key: string }[] = [];
  const html = join(root, 'html');
  for (const set of (await readdir(html, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of (await readdir(join(html, set))).sort()) {
      const m = /^(.*)\.html(\.gz)?$/.exec(f);
      if (!m || m[1]!.endsWith('.expected')) continue;
      const stem = m[1]!;
      const raw = await readFile(join(html, set, f));
      const meta = JSON.parse(await readFile(join(html, set, `${stem}.json`), 'utf8').catch(() => '{}')) as { url?: string; detected_encoding?: string; html_lang?: string | null; lang?: string | null };
      const name = `${set}/${stem}`;
      out.push({
        name,
        url: meta.url && /^https?:\/\//.test(meta.url) ? meta.url : `https://${set}.corpus.example/${stem}`,
        charset: meta.detected_encoding ?? null,
        // The page's declared language (<html lang>, or the set's label), not checked by anyone.
        lang: meta.html_lang ?? meta.lang ?? null,
        html: m[2] ? gunzipSync(raw) : raw,
        key: createHash('sha1').update(name).digest('hex'),
      });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1)).map(({ key: _, ...p }) => p);
}

/** Write `path` with the development pages (devPages order, each once) until it has at least `bytes` bytes (or `records` pages); returns the count. */
export async function writeDevWarc(path: string, bytes: number, records = Infinity, root = FIXTURES): Promise<number> {
  const w = await WarcWriter.open(path, { description: 'development collection pages' });
  let n = 0;
  try {
    for (const p of await devPages(root)) {
      if (n >= records || (n % 50 === 0 && n > 0 && (await stat(path)).size >= bytes)) break;
      await w.writeExchange({
        url: p.url,
        date: '2026-11-28T00:00:00Z',
        status: 200,
        headers: { 'Content-Type': p.charset ? `text/html; charset=${p.charset}` : 'text/html', 'Content-Length': String(p.html.length) },
        body: p.html,
      });
      n++;
    }
  } finally {
    await w.close();
  }
  return n;
}
