/**
 * The images of a corpus folder (test/fixtures by default; the scripts pass the development corpus):
 * every 2xx response / resource record with an image/* type in its WARC files (Heritrix's archive.org crawl, the 2013 Wikipedia Mona Lisa article, iana.org, ...),
 * distinct by bytes, in file order.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WARCParser, records } from '../../stages/lib/warc-parser.ts';
import { FIXTURES } from './fixtures.ts';

export interface CorpusImage {
  file: string;
  url: string;
  bytes: Buffer;
}

export async function corpusImages(root = FIXTURES): Promise<CorpusImage[]> {
  const dir = join(root, 'warc');
  const files: string[] = [];
  for (const d of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const f of (await readdir(join(dir, d))).sort()) if (/\.warc(\.gz)?$/.test(f)) files.push(join(dir, d, f));
  }
  const seen = new Set<string>();
  const out: CorpusImage[] = [];
  for (const file of files) {
    const stream = createReadStream(file);
    try {
      for await (const r of records(new WARCParser(stream))) {
        const status = r.warcType === 'response' ? Number(r.httpHeaders?.statusCode ?? 0) : 200;
        const type = (r.warcType === 'response' ? r.httpHeaders?.headers.get('content-type') : r.warcContentType) ?? '';
        const image = (r.warcType === 'response' || r.warcType === 'resource') && status >= 200 && status < 300 && type.toLowerCase().startsWith('image/');
        if (!image) {
          // Drain by iterating: warcio's skip hangs at a truncated gzip member (stages/images/warc-index.ts).
          for await (const _chunk of r) void _chunk;
          continue;
        }
        const bytes = Buffer.from(await r.readFully(true));
        const h = createHash('sha256').update(bytes).digest('hex');
        if (bytes.length === 0 || seen.has(h)) continue;
        seen.add(h);
        out.push({ file, url: r.warcTargetURI ?? '', bytes });
      }
    } catch {
      // damaged sample files (truncated, clipped): keep the images read before the damage
    } finally {
      stream.destroy();
    }
  }
  return out;
}
