/**
 * Readers on the real archive quirks in ../shared/corpus/warc (its README lists what each file has).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { expandInputs, readUnit } from '../stages/read/index.ts';
import chardet from 'chardet';
import { decodeHtml } from '../stages/read/charset.ts';
import { dechunk, decodeHttpBody } from '../stages/lib/http-body.ts';
import type { RawPage } from '../schemas/doc.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const WARC = join(CORPUS, 'warc');

async function read(file: string) {
  const ctx = testContext();
  const [unit] = await expandInputs([join(WARC, file)]);
  const pages: RawPage[] = [];
  for await (const p of readUnit(unit!, ctx)) pages.push(p);
  return { pages, ctx, count: (k: string) => ctx.counters.get(k) };
}

describe('WARC reader on real files', () => {
  it('per-record gzip: counts every record type, reads the one HTML response', async () => {
    const { pages, count } = await read('webrecorder__warcio/example.warc.gz');
    expect([count('records:warcinfo'), count('records:response'), count('records:request'), count('records:revisit')]).toEqual([2, 1, 2, 1]);
    expect(pages.map((p) => p.url)).toEqual(['http://example.com/']);
    expect(pages[0]!.html).toContain('Example Domain');
    expect(pages[0]!.source.recordId).toMatch(/^<urn:uuid:/);
  });

  it('whole-file gzip (one member holding six records)', async () => {
    const { pages, count } = await read('webrecorder__warcio/example-bad-non-chunked.warc.gz');
    expect(count('records:warcinfo') + count('records:response') + count('records:request') + count('records:revisit')).toBe(6);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.html).toContain('Example Domain');
  });

  it('records split across gzip members', async () => {
    const { pages } = await read('webrecorder__warcio/example-wrong-chunks.warc.gz');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.html).toContain('illustrative examples');
  });

  it('wrong (too small) Content-Length: counted, the cut gzip body is salvaged, later records still read', async () => {
    const { pages, count } = await read('webrecorder__warcio.js/example-bad-length.warc');
    expect(count('warning:content_length_mismatch')).toBeGreaterThan(0);
    expect(count('warning:truncated_gzip')).toBe(1);
    expect(pages[0]!.html).toContain('Example Domain');
    expect(count('records:revisit')).toBe(1); // the record after the bad one
  });

  it('Content-Length larger than the data does not hang or crash', async () => {
    const { pages, count } = await read('netarchivesuite__solrwayback/Evil-Warc-Headers.warc');
    expect(count('records:response')).toBe(1);
    expect(pages).toHaveLength(0); // its HTTP body is text/plain (robots.txt)
    expect(count('skipped:not_html')).toBe(1);
  });

  it('chunked transfer coding', async () => {
    const { pages } = await read('webrecorder__warcio/example-iana.org-chunked.warc');
    expect(pages[0]!.html).toContain('Internet Assigned Numbers Authority');
    expect(pages[0]!.html).not.toMatch(/^[0-9a-f]+\r\n/);
  });

  it('gzip + chunked body, and an ISO-8859-2 page declared only in <meta>', async () => {
    const { pages } = await read('netarchivesuite__solrwayback/transfer_compression_gzip_chunked.warc.gz');
    expect(pages[0]!.charset).toBe('iso-8859-2');
    expect(pages[0]!.charsetSource).toBe('meta');
    expect(pages[0]!.html).toContain('Egyszerűsített'); // ű is 0xFB in ISO-8859-2, û in Latin-1
  });

  it('gzip and brotli Content-Encoding', async () => {
    for (const f of ['generated/transfer_compression_gzip.warc.gz', 'generated/transfer_compression_brotli.warc.gz']) {
      const { pages } = await read(f);
      expect(pages).toHaveLength(1);
      expect(pages[0]!.html).toContain('Simple page');
    }
  });

  it('WARC/0.17 (Heritrix): records are typed even after a Content-Length mismatch', async () => {
    const { pages, count } = await read('netarchivesuite__solrwayback/IAH-20080430204825-00000-blackbook.warc.gz');
    // STATS.json: 299 responses, 261 requests, 261 metadata, 140 HTML responses.
    expect(count('records:response')).toBe(299);
    expect(count('records:request')).toBe(261);
    expect(count('records:metadata')).toBe(261);
    expect(count('html')).toBe(140);
    expect(pages.length + 0).toBeGreaterThan(90);
  });

  it('WARC/1.1 and non-2xx responses go to rejects with the status', async () => {
    const { pages, ctx } = await read('webrecorder__warcio.js/redirect.warc');
    expect(pages).toHaveLength(0);
    expect(ctx.rejects.map((r) => r.reason)).toEqual(['http_status_301']);
  });

  it('resource records, and a ".warc" that is really gzip', async () => {
    expect((await read('webrecorder__warcio/example-resource.warc.gz')).pages).toHaveLength(1);
    const { count } = await read('webrecorder__warcio.js/post-test-more.warc');
    expect(count('records:response')).toBe(3);
  });

  it('truncated gzip member and record: what can be read is read, the file ends cleanly', async () => {
    const { pages } = await read('chatnoir-eu__chatnoir-resiliparse/clipped.warc.gz');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.html).toContain('Chance The Rapper');
  });

  it('revisit records are counted and skipped', async () => {
    const { pages, count } = await read('generated/revisits.warc.gz');
    expect(count('records:revisit')).toBe(9);
    expect(pages).toHaveLength(1);
  });


  it('non-UTF-8 pages of a multilingual crawl decode to the right script', async () => {
    const { pages } = await read('chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz');
    const ru = pages.find((p) => p.url.startsWith('http://01spb.ru/'))!;
    expect(ru.html).toContain('О компании');
    const cn = pages.filter((p) => p.url.endsWith('.cn/') || p.url.includes('.cn/'));
    expect(cn.length).toBeGreaterThan(0);
    for (const p of cn) expect(p.html).toMatch(/[\u4e00-\u9fff]{4}/);
  });
});

describe('charset decoding', () => {
  const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
  it('header charset, <meta>, BOM, detection, lying UTF-8 declarations', () => {
    expect(decodeHtml(gbk, { contentType: 'text/html; charset=GBK' }).text).toBe('你好');
    const meta = Buffer.concat([Buffer.from('<meta charset="shift_jis">'), Buffer.from([0x82, 0xb1, 0x82, 0xf1])]);
    expect(decodeHtml(meta).text).toContain('こん');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]);
    expect(decodeHtml(bom, { contentType: 'text/html; charset=iso-8859-1' })).toMatchObject({ text: 'héllo', source: 'bom' });
    const cp1251 = Buffer.from('<p>Привет, как дела? Это пример текста на русском языке для определения кодировки.</p>'.split('').map((c) => {
      const code = c.charCodeAt(0);
      return code >= 0x410 && code <= 0x44f ? code - 0x410 + 0xc0 : code;
    }));
    const d = decodeHtml(cp1251, { contentType: 'text/html; charset=utf-8' });
    expect(d.text).toContain('Привет');
    expect(d.source).toBe('detected');
  });

  it('windows-1252 and every label meaning it give curly quotes, dashes and the euro, not C1 controls (WHATWG)', () => {
    const body = Buffer.from([0x93, 0x51, 0x94, 0x20, 0x96, 0x20, 0x80, 0x35, 0x20, 0x92, 0x20, 0x99, 0x20, 0x81]);
    for (const label of ['windows-1252', 'iso-8859-1', 'latin1', 'us-ascii']) {
      const page = Buffer.concat([Buffer.from(`<meta charset="${label}"><p>`), body]);
      // 0x81 is undefined in windows-1252: WHATWG keeps it as U+0081.
      expect(decodeHtml(page).text, label).toBe(`<meta charset="${label}"><p>\u201cQ\u201d \u2013 \u20ac5 \u2019 \u2122 \u0081`);
    }
    // Other single-byte code pages were right already and stay so.
    expect(decodeHtml(Buffer.concat([Buffer.from('<meta charset="windows-1251"><p>'), Buffer.from([0x80, 0x93])])).text).toContain('\u0402\u201c');
  });

  it('detection on a window of the page names the charset as chardet does on the first 64 KiB', () => {
    // A long ASCII head, a little valid UTF-8 (é), then Windows-1252 text with curly quotes (C1 bytes).
    const head = Buffer.from(`<html><head><script>${'var x = 1;\n'.repeat(2500)}</script></head><body><p>Caf\u00e9 ${'word '.repeat(200)}</p>`);
    const latin = Buffer.from(
      '<p>The \x93quick\x94 brown fox \x96 jumped over the lazy dog\x92s back; na\xefve caf\xe9s and d\xe9j\xe0 vu. </p>'.repeat(60),
      'latin1',
    );
    for (const page of [Buffer.concat([head, latin]), Buffer.concat([latin, head]), latin]) {
      const d = decodeHtml(page);
      expect(d.source).toBe('detected');
      expect(d.charset).toBe(chardet.detect(page.subarray(0, 64 * 1024))!.toLowerCase());
      expect(d.text).toContain('déjà vu');
    }
  });

  it('valid non-ASCII UTF-8 wins over a stale legacy declaration (real page: qq.html says gb2312)', async () => {
    const ctx = testContext();
    const [unit] = await expandInputs([join(CORPUS, 'html/readability/qq.html')]);
    for await (const p of readUnit(unit!, ctx)) {
      expect(p.charset).toBe('utf-8');
      expect(p.html).toContain('人工智能');
    }
  });

  it('lenient body decoding: truncated chunked, not-really-gzip', () => {
    expect(dechunk(Buffer.from('5\r\nhello\r\n3\r\nabc'))).toEqual({ body: Buffer.from('helloabc'), truncated: true });
    const r = decodeHttpBody(Buffer.from('<html>plain</html>'), { 'content-encoding': 'gzip' });
    expect(Buffer.from(r.body).toString()).toBe('<html>plain</html>');
    expect(r.warnings).toEqual(['encoding_not_applied']);
  });
});

describe('HTML file reader', () => {
  it('takes the page URL from <link rel=canonical> or og:url, else the file URL', async () => {
    const ctx = testContext();
    const units = await expandInputs([join(CORPUS, 'html/readability/aclu.html'), join(CORPUS, 'html/readability/001.html')]);
    const urls: string[] = [];
    for (const u of units) for await (const p of readUnit(u, ctx)) urls.push(p.url);
    expect(urls).toHaveLength(2);
    expect(urls.some((u) => u.startsWith('file://'))).toBe(true);
    expect(urls).toContain('https://www.aclu.org/blog/privacy-technology/internet-privacy/facebook-tracking-me-even-though-im-not-facebook');
  });

  it('a missing input is a clear error', async () => {
    await expect(expandInputs(['/no/such/file.warc.gz'])).rejects.toThrow(/input not found/);
  });
});
