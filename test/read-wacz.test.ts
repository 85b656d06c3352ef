/**
 * The WACZ reader: a WACZ of test/fixtures (warc/generated/example.wacz, written by scripts/make-fixtures.ts), and generated
 * WACZ files (a ZIP written here, byte by byte) for two WARCs in one WACZ, a deflated WARC entry, a
 * WACZ without WARCs and a file that is not a ZIP at all.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canResumeAt, expandInputs, readUnit } from '../stages/read/index.ts';
import { isRecordStartAt } from '../stages/read/warc.ts';
import { WarcWriter } from '../stages/lib/warc-writer.ts';
import type { RawPage } from '../schemas/doc.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import sharp from 'sharp';
import { loadConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { runCorpus } from '../pipeline/run.ts';

async function read(path: string) {
  const ctx = testContext();
  const [unit] = await expandInputs([path]);
  const pages: RawPage[] = [];
  for await (const p of readUnit(unit!, ctx)) pages.push(p);
  return { pages, ctx, unit: unit!, count: (k: string) => ctx.counters.get(k) };
}

/** A ZIP of `files` (stored, or deflated when asked): local headers, data, central directory, end record. */
function zip(files: { name: string; data: Buffer; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const body = f.deflate ? deflateRawSync(f.data) : f.data;
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(f.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBytes, end]);
}

async function warcOf(dir: string, name: string, pages: { url: string; text: string }[]): Promise<Buffer> {
  const file = join(dir, name);
  const w = await WarcWriter.open(file);
  for (const p of pages) {
    await w.writeExchange({ url: p.url, date: '2026-11-28T00:00:00Z', status: 200, headers: { 'Content-Type': 'text/html' }, body: Buffer.from(`<html><body><p>${p.text}</p></body></html>`) });
  }
  await w.close();
  return readFileSync(file);
}

describe('WACZ reader', () => {
  it('offline images come from the WARCs inside the WACZ', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacz-img-'));
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 20, g: 90, b: 200 } } }).png().toBuffer();
    const text = 'A blue rectangle is shown in the picture below; it was painted on the wall of the old harbour office.';
    const warc = join(dir, 'site.warc.gz');
    const w = await WarcWriter.open(warc);
    await w.writeExchange({ url: 'http://e.example/', date: '2026-11-28T00:00:00Z', status: 200, headers: { 'Content-Type': 'text/html' },
      body: Buffer.from(`<html><head><title>Blue</title></head><body><p>${text}</p><img src="/blue.png" alt="blue rectangle"><p>${text}</p></body></html>`) });
    await w.writeExchange({ url: 'http://e.example/blue.png', date: '2026-11-28T00:00:00Z', status: 200, headers: { 'Content-Type': 'image/png' }, body: png });
    await w.close();
    const file = join(dir, 'site.wacz');
    writeFileSync(file, zip([{ name: 'archive/site.warc.gz', data: readFileSync(warc) }, { name: 'datapackage.json', data: Buffer.from('{}') }]));
    const out = join(dir, 'out');
    await runCorpus({ inputs: [file], out, config: loadConfig(undefined, { images: { offline: true, nsfw: false } }), progress: false, log: () => {} });
    const images = await queryCorpus(out, 'SELECT url, width::INTEGER AS width FROM images');
    expect(images).toEqual([{ url: 'http://e.example/blue.png', width: 300 }]);
  });

  it('reads the WARC inside the real WACZ, with offsets in the .wacz file', async () => {
    const file = join(CORPUS, 'warc/generated/example.wacz');
    const { pages, count, unit } = await read(file);
    expect(pages.map((p) => p.url)).toEqual(['http://www.example.com/']);
    expect(pages[0]!.html).toContain('Example Domain');
    expect(count('wacz:warc_entries')).toBe(1);
    expect(count('records:response')).toBe(1);
    // The offset is where the record's gzip member starts in the ZIP, so a reader seeking there finds it.
    expect(await isRecordStartAt(file, pages[0]!.source.offset)).toBe(true);
    expect(await canResumeAt(unit, pages[0]!.source.offset)).toBe(false); // read whole: no checkpoints inside a ZIP
  });

  it('two WARCs in one WACZ; a deflated WARC entry is counted and skipped; no WARC and no ZIP are reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wacz-'));
    const a = await warcOf(dir, 'a.warc.gz', [{ url: 'http://a.example/1', text: 'one' }, { url: 'http://a.example/2', text: 'two' }]);
    const b = await warcOf(dir, 'b.warc.gz', [{ url: 'http://b.example/3', text: 'three' }]);
    const c = await warcOf(dir, 'c.warc.gz', [{ url: 'http://c.example/4', text: 'four' }]);
    const file = join(dir, 'crawl.wacz');
    writeFileSync(file, zip([
      { name: 'datapackage.json', data: Buffer.from('{}'), deflate: true },
      { name: 'archive/a.warc.gz', data: a },
      { name: 'archive/c.warc.gz', data: c, deflate: true },
      { name: 'archive/b.warc.gz', data: b },
      { name: 'pages/pages.jsonl', data: Buffer.from('{}\n') },
    ]));
    const { pages, count, ctx } = await read(file);
    expect(pages.map((p) => p.url)).toEqual(['http://a.example/1', 'http://a.example/2', 'http://b.example/3']);
    for (const p of pages) expect(await isRecordStartAt(file, p.source.offset)).toBe(true);
    expect(count('wacz:warc_entries')).toBe(2);
    expect(count('error:wacz_deflated_entry')).toBe(1);
    expect(ctx.rejects).toHaveLength(0);

    const empty = join(dir, 'empty.wacz');
    writeFileSync(empty, zip([{ name: 'datapackage.json', data: Buffer.from('{}') }]));
    expect((await read(empty)).count('error:wacz_without_warcs')).toBe(1);
    const broken = join(dir, 'broken.wacz');
    writeFileSync(broken, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100)]));
    expect((await read(broken)).count('error:bad_zip')).toBe(1);
  });
});
