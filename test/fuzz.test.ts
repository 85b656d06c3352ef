/**
 * Hostile input: truncated and bit-flipped WARC.gz files grown from the real malformed archives in
 * ../shared/corpus/warc (fast-check picks the cut and the bits), HTML nested 100,000 deep, 50 MB
 * single lines, a record claiming a 10 GB body, images that are pixel bombs or lie about their
 * format. Nothing may crash or hang, workers stay under a 512 MB heap cap, and every loss is counted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { loadConfig } from '../pipeline/config.ts';
import { runCorpus, type RunResult } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { expandInputs, readUnit } from '../stages/read/index.ts';
import { testContext } from './helpers/context.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const W = join(CORPUS, 'warc');
/** gzip seeds: per-record, whole-file, members split across records, already cut, WARC/0.17 with bad lengths. */
const SEEDS = [
  'chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz',
  'chatnoir-eu__chatnoir-resiliparse/clipped.warc.gz',
  'generated/blackbook-truncated.warc.gz',
  'generated/wget-archive-org.warc.gz',
  'generated/transfer_compression_brotli.warc.gz',
  'webrecorder__warcio/example-wrong-chunks.warc.gz',
  'webrecorder__warcio/example-bad-non-chunked.warc.gz',
  'webrecorder__warcio/example.warc.gz',
];

interface ReadOutcome {
  records: number;
  html: number;
  pages: number;
  rejects: number;
  errors: Record<string, number>;
}

async function readArchive(path: string): Promise<ReadOutcome> {
  const ctx = testContext();
  const [unit] = await expandInputs([path]);
  let pages = 0;
  const reading = (async () => {
    for await (const _ of readUnit(unit!, ctx)) pages++;
  })();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reader hangs on ${path}`)), 20_000);
  });
  await Promise.race([reading, hang]).finally(() => clearTimeout(timer));
  const c = [...ctx.counters.values];
  return {
    records: c.filter(([k]) => k.startsWith('records:')).reduce((n, [, v]) => n + v, 0),
    html: ctx.counters.get('html'),
    pages,
    rejects: ctx.rejects.length,
    errors: Object.fromEntries(c.filter(([k]) => k.startsWith('error:'))),
  };
}

function inflates(gz: Buffer): boolean {
  try {
    gunzipSync(gz);
    return true;
  } catch {
    return false;
  }
}

type Mutation = { seed: number; kind: 'truncate' | 'flip'; at: number[]; bit: number };

function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') return bytes.subarray(0, Math.floor(m.at[0]! * bytes.length));
  const out = Buffer.from(bytes);
  for (const a of m.at) {
    const i = Math.min(out.length - 1, Math.floor(a * out.length));
    out[i]! ^= 1 << m.bit;
  }
  return out;
}

const mutation = fc.record({
  seed: fc.nat(SEEDS.length - 1),
  kind: fc.constantFrom<'truncate' | 'flip'>('truncate', 'flip'),
  // Positions as fractions of the file, uniform: fast-check's doubles (and its bias) crowd near 0,
  // which would mostly cut files to nothing.
  at: fc.array(fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((i) => i / 1e6), { minLength: 1, maxLength: 4 }),
  bit: fc.nat(7),
});

let dir: string;
const seedBytes: Buffer[] = [];
const seedOutcome: ReadOutcome[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-fuzz-'));
  for (const s of SEEDS) {
    seedBytes.push(await readFile(join(W, s)));
    seedOutcome.push(await readArchive(join(W, s)));
  }
}, 120_000);

describe('truncated and bit-flipped WARC.gz (fast-check, seeded by the real malformed files)', () => {
  it('the reader never throws or hangs, accounts for every HTML record, and counts every lost record', async () => {
    let n = 0;
    let lossy = 0;
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const path = join(dir, `mutant-${n++}.warc.gz`);
        const bytes = mutate(seedBytes[m.seed]!, m);
        await writeFile(path, bytes);
        const got = await readArchive(path);
        // Every HTML record read became a page or a reject with a reason.
        expect(got.html).toBe(got.pages + got.rejects);
        // Records lost to the damage are never lost silently.
        // A cut exactly between gzip members leaves a valid, shorter archive: no reader can tell.
        const validShorterFile = m.kind === 'truncate' && inflates(bytes);
        if (got.records < seedOutcome[m.seed]!.records && !validShorterFile) {
          lossy++;
          expect(Object.keys(got.errors).length, JSON.stringify(m)).toBeGreaterThan(0);
        }
        for (const k of Object.keys(got.errors)) kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }),
      { numRuns: 200 },
    );
    console.log(`${n} mutants, ${lossy} lost records; error kinds counted: ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect(lossy).toBeGreaterThan(20); // the property was exercised, not vacuous
  }, 120_000);
});

describe('truncated and bit-flipped ARC and WACZ (fast-check)', () => {
  it('the ARC and WACZ readers never throw or hang, and account for every HTML record they see', async () => {
    // Seeds: a per-record-gzip ARC of real pages (grown from the corpus's example.arc.gz records), the
    // same ARC uncompressed, and the corpus's real WACZ.
    const arcGz = await readFile(join(W, 'webrecorder__warcio/example.arc.gz'));
    const arcText = gunzipSync(arcGz);
    const many = Buffer.concat([arcGz, ...Array.from({ length: 5 }, () => gzipSync(arcText.subarray(arcText.indexOf('http://'))))]);
    const seeds = [
      { name: 'a.arc.gz', bytes: many },
      { name: 'a.arc', bytes: gunzipSync(many) },
      { name: 'a.wacz', bytes: await readFile(join(W, 'generated/example.wacz')) },
    ];
    let n = 0;
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutation.map((m) => ({ ...m, seed: m.seed % seeds.length })), async (m) => {
        const seed = seeds[m.seed]!;
        const path = join(dir, `mutant-${n++}-${seed.name}`);
        await writeFile(path, mutate(seed.bytes, m));
        const got = await readArchive(path);
        expect(got.html).toBe(got.pages + got.rejects);
        for (const k of Object.keys(got.errors)) kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }),
      { numRuns: 150 },
    );
    console.log(`${n} ARC/WACZ mutants; error kinds counted: ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect(kinds.size).toBeGreaterThan(1); // damage was met and counted, not only clean files
  }, 120_000);
});

/** A PNG header claiming width x height (no pixel data): what a decompression bomb looks like to a decoder. */
function pngHeader(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const idat = deflateSync(Buffer.alloc(1024)); // far fewer pixels than the header claims
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** One per-record-gzip WARC response record; `claimedLength` lets it lie about its size. */
function responseRecord(url: string, contentType: string, body: Buffer, claimedLength?: number): Buffer {
  const http = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`), body]);
  const head =
    `WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: ${url}\r\nWARC-Date: 2026-11-28T00:00:00Z\r\n` +
    `WARC-Record-ID: <urn:uuid:${url.replace(/\W/g, '').slice(-12).padStart(12, '0')}-0000-0000-0000-000000000000>\r\n` +
    `Content-Type: application/http; msgtype=response\r\nContent-Length: ${claimedLength ?? http.length}\r\n\r\n`;
  return gzipSync(Buffer.concat([Buffer.from(head), http, Buffer.from('\r\n\r\n')]));
}

describe('hostile pages and records through corpus run (2 workers, 512 MB heap cap each)', () => {
  let out: string;
  let result: RunResult;
  let peakRss = 0;
  const page = (body: string) => `<html><head><title>t</title></head><body>${body}</body></html>`;

  beforeAll(async () => {
    const html = join(dir, 'hostile-html');
    await mkdir(html, { recursive: true });
    await writeFile(join(html, 'deep-100k.html'), page(`${'<div>'.repeat(100_000)}deep text${'</div>'.repeat(100_000)}`));
    await writeFile(join(html, 'line-50mb.html'), page(`<p>${'word '.repeat(10 * 1024 * 1024)}</p>`));
    await writeFile(join(html, 'line-4mb.html'), page(`<p>${'word '.repeat(800 * 1024)}</p>`));
    const warc = join(dir, 'hostile.warc.gz');
    const fiftyMb = Buffer.from(page(`<p>${'x'.repeat(50 * 1024 * 1024)}</p>`));
    await writeFile(
      warc,
      Buffer.concat([
        responseRecord('http://h.example/ok', 'text/html', Buffer.from(page('<p>fine</p><img src="/bomb.png"><img src="/liar.jpg">'))),
        responseRecord('http://h.example/bomb.png', 'image/png', pngHeader(100_000, 100_000)),
        responseRecord('http://h.example/liar.jpg', 'image/jpeg', Buffer.from('GIF89a this is not a jpeg')),
        responseRecord('http://h.example/line', 'text/html', fiftyMb),
        responseRecord('http://h.example/ten-gb', 'text/html', Buffer.from(page('<p>small</p>')), 10 * 1024 ** 3),
        responseRecord('http://h.example/swallowed', 'text/html', Buffer.from(page('<p>after the liar</p>'))),
      ]),
    );
    out = join(dir, 'out-hostile');
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    try {
      result = await runCorpus({ inputs: [html, warc], out, config: loadConfig(), workers: 2, workerHeapMb: 512, progress: false });
    } finally {
      clearInterval(timer);
    }
    console.log(`hostile run: peak RSS ${(peakRss / 1e6).toFixed(0)} MB (all threads), ${JSON.stringify(result.stats.read)}`);
  }, 240_000);

  it('no unit fails (none crashed, none outgrew its heap cap), memory stays bounded', () => {
    expect(result.unitsFailed).toEqual([]);
    expect(result.unitsDone).toBe(2);
    expect(peakRss).toBeLessThan(2e9);
  });

  it('the deep page and the 4 MB line go through every stage (kept, or dropped by a filter, not by an error); the 50 MB lines are rejected as too large', async () => {
    const rows = await queryCorpus(
      out,
      "SELECT url, 'doc' AS stage, NULL AS reason FROM docs UNION ALL SELECT url, stage, reason FROM rejects ORDER BY url",
    );
    const fate = Object.fromEntries(rows.map((r) => [String(r.url).split('/').pop(), r]));
    console.log(`fates: ${rows.map((r) => `${String(r.url).split('/').pop()} -> ${r.stage}${r.reason ? `:${r.reason}` : ''}`).join(', ')}`);
    for (const name of ['deep-100k.html', 'line-4mb.html', 'ok']) {
      const f = fate[name]!;
      expect(f, name).toBeDefined();
      expect(f.stage, name).not.toBe('read');
      expect(String(f.reason ?? ''), name).not.toMatch(/^error:/);
    }
    expect([fate['line-50mb.html']!.reason, fate.line!.reason]).toEqual(['too_large', 'too_large']);
  });

  it('the record claiming 10 GB is rejected as too large, and the record it swallowed is counted as lost', async () => {
    const r = await queryCorpus(out, "SELECT reason, detail FROM rejects WHERE url = 'http://h.example/ten-gb'");
    expect(r).toEqual([{ reason: 'too_large', detail: `${10 * 1024 ** 3} bytes > read.maxHtmlBytes` }]);
    expect(result.stats.read!['error:truncated_record']).toBe(1);
  });

  it('every page is a doc or a reject with a reason: 3 HTML files + 3 HTML records (the swallowed one is the counted loss)', async () => {
    const { docs } = (await queryCorpus(out, 'SELECT count(*)::INT AS docs FROM docs'))[0]!;
    const { rejects } = (await queryCorpus(out, "SELECT count(*)::INT AS rejects FROM rejects WHERE reason <> ''"))[0]!;
    expect(Number(docs) + Number(rejects)).toBe(6);
  });
});
