/**
 * The ARC reader: the real ARC of ../shared/corpus (warcio's example.arc.gz, one gzip member per
 * record), and generated ARC files for what that sample lacks (several pages, non-HTML, a 404,
 * version-2 header lines, bare-LF HTTP heads, a legacy charset, a cut last record, resuming).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canResumeAt, expandInputs, readUnit, type WarcRange } from '../stages/read/index.ts';
import { arcDate, parseArcHeader } from '../stages/lib/arc-parser.ts';
import type { RawPage } from '../schemas/doc.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { runCorpus } from '../pipeline/run.ts';
import { loadConfig } from '../pipeline/config.ts';
import sharp from 'sharp';

async function read(path: string, range: WarcRange = {}) {
  const ctx = testContext();
  const [unit] = await expandInputs([path]);
  const pages: RawPage[] = [];
  const gen = readUnit(unit!, ctx, range);
  let r = await gen.next();
  while (!r.done) {
    pages.push(r.value);
    r = await gen.next();
  }
  return { pages, ctx, next: r.value, count: (k: string) => ctx.counters.get(k) };
}

const enc = (s: string) => Buffer.from(s, 'latin1');

/** One ARC v1 record: header line, the block, a newline. */
function record(url: string, date: string, type: string, block: Buffer, v2 = false): Buffer {
  const head = v2 ? `${url} 192.0.2.1 ${date} ${type} 200 - - 0 test.arc ${block.length}\n` : `${url} 192.0.2.1 ${date} ${type} ${block.length}\n`;
  return Buffer.concat([enc(head), block, enc('\n')]);
}

function fixtureRecords(): Buffer[] {
  const desc = enc('1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n');
  const page = (title: string, extra = '') => enc(`HTTP/1.0 200 OK\r\nContent-Type: text/html${extra}\r\n\r\n<html><head><title>${title}</title></head><body><p>${title} text of the page.</p></body></html>`);
  const cyrillic = Buffer.concat([enc('HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=windows-1251\r\n\r\n<html><body><p>'), Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), enc('</p></body></html>')]);
  return [
    record('filedesc://test.arc', '20010101000000', 'text/plain', desc),
    record('http://a.example/', '20010101000001', 'text/html', page('First')),
    record('http://a.example/logo.gif', '20010101000002', 'image/gif', enc('HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\n\r\nGIF89a')),
    record('http://a.example/missing', '20010101000003', 'text/html', enc('HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>gone</html>')),
    record('http://b.example/', '20010101000004', 'text/html', enc('HTTP/1.0 200 OK\nContent-Type: text/html\n\n<html><body><p>Bare line feeds.</p></body></html>'), true),
    record('http://c.example/', '20010101000005', 'text/html', cyrillic),
  ];
}

describe('ARC reader', () => {
  it('reads the real ARC sample: the page, its date, its gzip member offset', async () => {
    const { pages, count } = await read(join(CORPUS, 'warc/webrecorder__warcio/example.arc.gz'));
    expect([count('records:arc_filedesc'), count('records:arc_response')]).toEqual([1, 1]);
    expect(pages.map((p) => p.url)).toEqual(['http://example.com/']);
    expect(pages[0]!.html).toContain('Example Domain');
    expect(pages[0]!.fetchedAt).toBe('2014-02-16T05:02:21Z');
    expect(pages[0]!.status).toBe(200);
    // The second gzip member starts at byte 171 (the first is the 171-byte filedesc record).
    expect(pages[0]!.source).toEqual({ file: expect.stringContaining('example.arc.gz'), offset: 171, recordId: null, recordType: 'arc' });
  });

  it.each([['plain', false], ['gzip per record', true]])('%s: pages, rejects and counters; offsets are record starts', async (_name, gz) => {
    const recs = fixtureRecords();
    const parts = gz ? recs.map((r) => gzipSync(r)) : recs;
    const file = join(mkdtempSync(join(tmpdir(), 'arc-')), gz ? 'test.arc.gz' : 'test.arc');
    writeFileSync(file, Buffer.concat(parts));
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
    const { pages, ctx, count } = await read(file);
    expect(pages.map((p) => p.url)).toEqual(['http://a.example/', 'http://b.example/', 'http://c.example/']);
    expect(pages.map((p) => p.source.offset)).toEqual([starts[1], starts[4], starts[5]]);
    expect(pages[1]!.html).toContain('Bare line feeds.');
    expect(pages[2]!.charset).toBe('windows-1251');
    expect(pages[2]!.html).toContain('Привет');
    expect(count('records:arc_response')).toBe(5);
    expect(count('skipped:not_html')).toBe(1);
    expect(ctx.rejects.map((r) => [r.doc.url, r.reason])).toEqual([['http://a.example/missing', 'http_status_404']]);
    // Resume: stop at the first record at or after the 404's start, then read on from there.
    const first = await read(file, { stopAfter: starts[3]! });
    expect(first.pages.map((p) => p.url)).toEqual(['http://a.example/']);
    expect(first.next).toBe(starts[3]);
    const [unit] = await expandInputs([file]);
    expect(await canResumeAt(unit!, starts[3]!)).toBe(true);
    expect(await canResumeAt(unit!, starts[3]! + 1)).toBe(false);
    const rest = await read(file, { start: starts[3]! });
    expect(rest.pages.map((p) => p.url)).toEqual(['http://b.example/', 'http://c.example/']);
  });

  it('a file cut inside its last record: the pages before it are kept, the cut is counted', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'arc-')), 'cut.arc');
    const recs = fixtureRecords();
    writeFileSync(file, Buffer.concat([...recs.slice(0, 2), recs[5]!.subarray(0, 60)]));
    const { pages, ctx, count } = await read(file);
    expect(pages.map((p) => p.url)).toEqual(['http://a.example/']);
    expect(count('error:truncated_record')).toBe(1);
    expect(ctx.rejects).toHaveLength(0);
  });

  it('parses version 1 and 2 header lines and refuses other lines', () => {
    expect(parseArcHeader('http://x/ 1.2.3.4 20080430204826 text/html 5678')).toEqual({ url: 'http://x/', date: '20080430204826', contentType: 'text/html', length: 5678 });
    expect(parseArcHeader('http://x/ 1.2.3.4 20080430204826 text/html 200 abc http://y/ 0 f.arc 12')?.length).toBe(12);
    expect(parseArcHeader('WARC/1.0')).toBeNull();
    expect(parseArcHeader('http://x/ 1.2.3.4 notadate text/html 12')).toBeNull();
    expect(arcDate('20080430204826')).toBe('2008-04-30T20:48:26Z');
  });

  it('offline images come from the image records of the ARC', async () => {
    const png = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const text = 'A red square is shown in the photograph below, taken in the garden on a sunny afternoon last week.';
    const page = enc(`HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>Red</title></head><body><p>${text}</p><img src="/red.png" alt="red square"><p>${text}</p></body></html>`);
    const image = Buffer.concat([enc(`HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: ${png.length}\r\n\r\n`), png]);
    const recs = [
      record('filedesc://img.arc', '20010101000000', 'text/plain', enc('1 0 Test\n')),
      record('http://d.example/page.html', '20010101000001', 'text/html', page),
      record('http://d.example/red.png', '20010101000002', 'image/png', image),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'arc-img-'));
    const file = join(dir, 'img.arc.gz');
    writeFileSync(file, Buffer.concat(recs.map((r) => gzipSync(r))));
    const out = join(dir, 'out');
    const config = loadConfig(undefined, { images: { offline: true, nsfw: false } });
    await runCorpus({ inputs: [file], out, config, progress: false, log: () => {} });
    const images = await queryCorpus(out, 'SELECT url, width::INTEGER AS width, height::INTEGER AS height FROM images');
    expect(images).toEqual([{ url: 'http://d.example/red.png', width: 320, height: 240 }]);
    // The page is short, so a text filter may reject it: its image segment is in docs or rejects either way.
    const [doc] = await queryCorpus(out, `SELECT [s.image_id for s in segments if s.kind = 'image'] AS ids FROM
      (SELECT segments FROM docs UNION ALL SELECT segments FROM rejects WHERE stage <> 'read')`);
    expect((doc!.ids as string[])[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('corpus run reads an ARC end to end into docs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'arc-run-'));
    const config = loadConfig(undefined, { images: { offline: true, nsfw: false } });
    await runCorpus({ inputs: [join(CORPUS, 'warc/webrecorder__warcio/example.arc.gz')], out, config, progress: false, log: () => {} });
    const rows = await queryCorpus(out, `SELECT url, title, source_offset::INTEGER AS source_offset, strftime(fetched_at, '%Y-%m-%dT%H:%M:%SZ') AS fetched_at FROM docs`);
    expect(rows).toEqual([{ url: 'http://example.com/', title: 'Example Domain', source_offset: 171, fetched_at: '2014-02-16T05:02:21Z' }]);
  });
});
