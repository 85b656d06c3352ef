/**
 * The image index's native fast path (stages/images/warc-members.ts: zlib per gzip member) against
 * warcio on the same files: the same entries and the same bytes read back, on every WARC of the
 * corpus (per-record gzip, whole-file gzip, uncompressed, damaged) and on a generated WARC of JPEGs.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WarcImageIndex } from '../stages/images/warc-index.ts';
import { WarcWriter } from '../stages/lib/warc-writer.ts';
import { makeImage } from './fetch-site.ts';
import { CORPUS } from './helpers/context.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'images-warc-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function warcFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.warc(\.gz)?$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Entries (without the fast path's member field) and bytes of every indexed URL. */
async function contents(index: WarcImageIndex, file: string) {
  await index.addFile(file);
  const urls = [...(index as unknown as { byUrl: Map<string, unknown> }).byUrl.keys()].sort();
  const out: Record<string, { offset: number; contentType: string; length: number; bytes: string }> = {};
  for (const u of urls) {
    const ref = index.get(u)!;
    const bytes = await index.read(ref, u).then(
      (b) => b.toString('base64'),
      (e: Error) => `error: ${e.message}`,
    );
    out[u] = { offset: ref.offset, contentType: ref.contentType, length: ref.length, bytes };
  }
  return out;
}

describe('WARC image index: zlib per member = warcio', () => {
  it('same entries and bytes on every corpus WARC and on a generated per-record gzip WARC of JPEGs', async () => {
    const generated = path.join(tmp, 'jpegs.warc.gz');
    const w = await WarcWriter.open(generated);
    for (let i = 0; i < 6; i++) {
      const jpeg = await makeImage(400 + i, 300, 'jpeg', i + 1);
      await w.writeExchange({ url: `https://example.com/p${i}.html`, date: '2026-11-28T00:00:00Z', status: 200, headers: { 'Content-Type': 'text/html' }, body: Buffer.from(`<img src="i${i}.jpg">`) });
      await w.writeExchange({ url: `https://example.com/i${i}.jpg`, date: '2026-11-28T00:00:00Z', status: i === 5 ? 404 : 200, headers: { 'Content-Type': 'image/jpeg' }, body: jpeg });
    }
    await w.close();
    const files = [...warcFiles(path.join(CORPUS, 'warc')), generated];
    let fast = 0;
    let images = 0;
    for (const file of files) {
      const native = new WarcImageIndex();
      const got = await contents(native, file);
      expect(got, file).toEqual(await contents(new WarcImageIndex({ native: false }), file));
      images += Object.keys(got).length;
      if (Object.keys(got).some((u) => native.get(u)?.member)) fast++;
    }
    expect(images).toBeGreaterThan(20);
    expect(fast).toBeGreaterThan(3);
    const gen = new WarcImageIndex();
    await gen.addFile(generated);
    expect(gen.size).toBe(5); // the 404 is not an image
    expect(gen.get('https://example.com/i0.jpg')?.member).toEqual({ end: expect.any(Number), nth: 0 });
  }, 120_000);
});
