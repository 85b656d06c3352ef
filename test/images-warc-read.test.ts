/**
 * The image index reads per-record WARC.gz files with native zlib (stages/lib/gzip-member.ts) instead
 * of warcio: it must index the same image records and return the same bytes as warcio's decoded
 * payload, on every WARC of test/fixtures (well-formed, whole-file gzip, damaged and odd ones).
 */
import { describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expandInputs } from '../stages/read/index.ts';
import { WarcImageIndex, urlKey } from '../stages/images/warc-index.ts';
import { WARCParser, records, type WARCRecord } from '../stages/lib/warc-parser.ts';
import { readGzipMember } from '../stages/lib/gzip-member.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

/** warcio's view: first capture of every 2xx image (or octet-stream) response/resource, decoded payload. */
async function warcioImages(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const stream = createReadStream(file);
  try {
    for await (const r of records(new WARCParser(stream))) {
      const image = await warcioImage(r);
      if (image && !out.has(image.key)) out.set(image.key, image.bytes);
      // Drain by iterating: warcio's skipFully() hangs at a truncated gzip member (as in warc-index.ts).
      if (!r.consumed) for await (const _chunk of r) void _chunk;
    }
  } catch {
    // damaged file: what was read before the damage
  } finally {
    stream.destroy();
  }
  return out;
}

async function warcioImage(r: WARCRecord): Promise<{ key: string; bytes: Buffer } | null> {
  const type = r.warcType;
  if (type !== 'response' && type !== 'resource') return null;
  const url = r.warcTargetURI;
  if (!url) return null;
  let ct: string;
  if (type === 'response') {
    const status = Number(r.httpHeaders?.statusCode ?? 0);
    if (status < 200 || status >= 300) return null;
    ct = r.httpHeaders?.headers.get('content-type') ?? '';
  } else ct = r.warcContentType ?? '';
  ct = ct.split(';')[0]!.trim().toLowerCase();
  if (!(ct.startsWith('image/') || ct === 'application/octet-stream')) return null;
  return { key: urlKey(url), bytes: Buffer.from(await r.readFully(true)) };
}

describe('image index: native gzip members vs warcio', () => {
  it('same image records and the same bytes on every corpus WARC', async () => {
    const units = await expandInputs([join(CORPUS, 'warc')]);
    const files = units.map((u) => u.files[0]!).filter((f) => /\.warc(\.gz)?$/i.test(f));
    let compared = 0;
    let native = 0;
    for (const file of files) {
      const reference = await warcioImages(file);
      const index = new WarcImageIndex();
      await index.addFile(file);
      const got = new Map<string, Buffer>();
      for (const key of reference.keys()) {
        const ref = index.get(key);
        if (!ref) continue;
        if (ref.end !== undefined) native++;
        got.set(key, await index.read(ref, key));
      }
      // Every image warcio finds is indexed and reads back byte for byte.
      expect([...got.keys()].sort(), file).toEqual([...reference.keys()].sort());
      for (const [key, bytes] of reference) expect(got.get(key)!.equals(bytes), `${file} ${key}`).toBe(true);
      expect(index.size, file).toBe(reference.size);
      compared += reference.size;
    }
    expect(compared).toBeGreaterThan(20);
    expect(native).toBeGreaterThan(10);
  }, 120_000);

  it('a gzip member: inflated bytes and its end, whatever the read hint; null where none starts', async () => {
    const file = join(CORPUS, 'warc/generated/blackbook-truncated.warc.gz') // 23 gzip members, one per record;
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      let offset = 0;
      let n = 0;
      while (offset < size) {
        const small = await readGzipMember(fh, offset, size, 1 << 26, 1024);
        const big = await readGzipMember(fh, offset, size, 1 << 26, 1 << 20);
        expect(small && big && small.end === big.end && small.data.equals(big.data)).toBe(true);
        expect(small!.data.subarray(0, 5).toString()).toBe('WARC/');
        offset = small!.end;
        n++;
      }
      expect(offset).toBe(size);
      expect(n).toBeGreaterThan(10);
      expect(await readGzipMember(fh, 1, size, 1 << 26)).toBeNull();
    } finally {
      await fh.close();
    }
  });
});
