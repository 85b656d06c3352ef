/**
 * The images stage with real sharp, a real loopback HTTP server, WARC files of test/fixtures (real
 * ones, and generated equivalents of GPL-licensed ones: scripts/make-fixtures.ts) and (in one test) the real nsfwjs model weights on onnxruntime. Documents are run through the stage's own
 * transform with a hand-built StageContext, as the runner does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { defaultConfig, mergeConfig, type Config } from '../pipeline/config.ts';
import { standaloneContext } from '../pipeline/context.ts';
import { Counters } from '../pipeline/stats.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { buildWarcImageIndex, imagesStage } from '../stages/images/index.ts';
import { colorHistogram, perceptualHash } from '../stages/images/phash.ts';
import { hamming, parsePhash } from '../stages/lib/phash.ts';

const hammingDistance = (a: string, b: string) => hamming(parsePhash(a)!, parsePhash(b)!);
import { corruptJpeg, makeImage, pngPixelBomb, serve, startSite, type Site } from './fetch-site.ts';
import { fixture } from './helpers/fixtures.ts';

const CORPUS = fixture('warc');

function doc(id: string, imageUrls: string[], pageUrl = 'http://example.test/page.html'): Doc {
  const segments: Segment[] = [{ kind: 'text', text: `document ${id}` }];
  for (const url of imageUrls) segments.push({ kind: 'image', tag: 'img', url, alt: null });
  return {
    id,
    url: pageUrl,
    domain: 'example.test',
    title: null,
    fetchedAt: null,
    source: { file: 'test', offset: 0, recordId: null, recordType: 'file' },
    lang: null,
    langScore: null,
    segments,
    signals: {},
  };
}

interface Run {
  docs: Doc[];
  rejects: { doc: Doc; reason: string; detail: string | null }[];
  rows: Record<string, unknown>[];
  counters: Counters;
}

async function runStage(docs: Doc[], config: Config, unit = 'test', resources = new Map<string, unknown>()): Promise<Run> {
  const run: Run = { docs: [], rejects: [], rows: [], counters: new Counters() };
  const ctx = standaloneContext({
    config,
    counters: run.counters,
    resources,
    unit,
    onReject: (d, reason, detail) => run.rejects.push({ doc: d, reason, detail }),
    onEmit: (table, row) => {
      expect(table).toBe('images');
      run.rows.push(row);
    },
  });
  async function* input() {
    yield* docs;
  }
  for await (const d of imagesStage.transform(input(), ctx)) run.docs.push(d);
  return run;
}

function configWith(images: Partial<Config['images']>, fetch: Partial<Config['fetch']> = {}): Config {
  return mergeConfig(defaultConfig, {
    images: { nsfw: false, ...images },
    fetch: {
      allowPrivateNetwork: true,
      headersTimeoutMs: 2_000,
      bodyTimeoutMs: 2_000,
      totalTimeoutMs: 5_000,
      retries: 1,
      backoffMs: 20,
      maxRetryAfterMs: 2_000,
      maxBodyBytes: 1024 * 1024,
      perHostIntervalMs: 0,
      perHostConcurrency: 8,
      ...fetch,
    },
  });
}

const imageSegments = (d: Doc) => d.segments.filter((s) => s.kind === 'image');

let site: Site;
/** The images the test server serves, made in beforeAll. */
const fixtures = {} as Record<'avif' | 'big' | 'bomb' | 'corrupt' | 'gif' | 'photo' | 'photo2' | 'photo3' | 'small' | 'svg' | 'webp' | 'wide', Buffer>;

beforeAll(async () => {
  fixtures.photo = await makeImage(400, 300, 'jpeg', 1);
  fixtures.photo2 = await makeImage(320, 320, 'png', 2);
  fixtures.photo3 = await makeImage(500, 400, 'jpeg', 13);
  fixtures.webp = await makeImage(300, 200, 'webp', 3);
  fixtures.gif = await makeImage(200, 200, 'gif', 4);
  fixtures.avif = await makeImage(256, 256, 'avif', 5);
  fixtures.small = await makeImage(100, 80, 'png', 6);
  fixtures.wide = await makeImage(900, 300, 'jpeg', 7);
  fixtures.corrupt = corruptJpeg(await makeImage(800, 600, 'jpeg', 8));
  fixtures.bomb = pngPixelBomb();
  fixtures.big = Buffer.alloc(2 * 1024 * 1024, 1);
  fixtures.svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300"/></svg>');
  let once429 = 0;
  site = await startSite({
    '/robots.txt': serve('User-agent: *\nDisallow: /private/\n', 'text/plain'),
    '/photo.jpg': serve(fixtures.photo, 'image/jpeg'),
    '/a/same.jpg': serve(fixtures.photo, 'image/jpeg'),
    '/b/same-again.jpg': serve(fixtures.photo, 'image/jpeg'),
    '/photo2.png': serve(fixtures.photo2, 'image/png'),
    '/pic.webp': serve(fixtures.webp, 'image/webp'),
    '/anim.gif': serve(fixtures.gif, 'image/gif'),
    '/pic.avif': serve(fixtures.avif, 'image/avif'),
    '/small.png': serve(fixtures.small, 'image/png'),
    '/wide.jpg': serve(fixtures.wide, 'image/jpeg'),
    '/corrupt.jpg': serve(fixtures.corrupt, 'image/jpeg'),
    '/bomb.png': serve(fixtures.bomb, 'image/png'),
    '/logo.svg': serve(fixtures.svg, 'image/svg+xml'),
    '/big.jpg': serve(fixtures.big, 'image/jpeg'),
    '/html.jpg': serve('<html></html>', 'text/html'),
    '/private/secret.jpg': serve(fixtures.photo, 'image/jpeg'),
    '/slow.jpg': async (req, res) => {
      await new Promise((r) => setTimeout(r, 5000));
      if (!res.destroyed) serve(fixtures.photo, 'image/jpeg')(req, res);
    },
    '/500.jpg': (_req, res) => void res.writeHead(500).end(),
    '/429.jpg': (req, res) => {
      if (once429++ === 0) return void res.writeHead(429, { 'retry-after': '1' }).end();
      serve(fixtures.photo3, 'image/jpeg')(req, res);
    },
    '/loop/a': (_req, res) => void res.writeHead(302, { location: '/loop/b' }).end(),
    '/loop/b': (_req, res) => void res.writeHead(302, { location: '/loop/a' }).end(),
    '/to-metadata': (_req, res) => void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam' }).end(),
  });
});

afterAll(async () => {
  await imagesStage.close?.();
  await site?.close();
});

describe('images stage over HTTP (loopback)', () => {
  it('gets, measures and dedupes images; every failure is a note and a counter; the batch finishes', async () => {
    const o = site.origin;
    const expected: Record<string, string | null> = {
      [`${o}/photo.jpg`]: null,
      [`${o}/a/same.jpg`]: null,
      [`${o}/photo2.png`]: null,
      [`${o}/pic.webp`]: null,
      [`${o}/anim.gif`]: null,
      [`${o}/pic.avif`]: null,
      [`${o}/429.jpg`]: null, // 429 + Retry-After, then served
      [`${o}/small.png`]: 'filter:too_small',
      [`${o}/wide.jpg`]: 'filter:aspect',
      [`${o}/corrupt.jpg`]: 'decode:corrupt',
      [`${o}/bomb.png`]: 'decode:pixel_bomb',
      [`${o}/logo.svg`]: 'decode:format_svg',
      [`${o}/big.jpg`]: 'fetch:too_large',
      [`${o}/html.jpg`]: 'fetch:content_type',
      [`${o}/private/secret.jpg`]: 'fetch:robots',
      [`${o}/slow.jpg`]: 'fetch:timeout',
      [`${o}/404.jpg`]: 'fetch:status_404',
      [`${o}/500.jpg`]: 'fetch:status_500',
      [`${o}/loop/a`]: 'fetch:redirect_loop',
      [`${o}/to-metadata`]: 'fetch:private_address',
      'ftp://127.0.0.1/x.jpg': 'fetch:scheme',
    };
    const docs = [
      doc('all', Object.keys(expected)),
      // The same bytes under a second URL, in another document.
      doc('dup', [`${o}/b/same-again.jpg`, `${o}/photo.jpg`]),
      doc('none-usable', [`${o}/404.jpg`, `${o}/small.png`]),
    ];
    const run = await runStage(docs, configWith({}));

    // The batch finished: every document out (image counts are decided by the pixels stage, on the
    // images left once those without bytes are removed).
    expect(run.docs.map((d) => d.id)).toEqual(['all', 'dup', 'none-usable']);
    expect(run.rejects).toEqual([]);
    expect(run.docs[2]!.signals).toMatchObject({ images_total: 2, images_kept: 0 });

    const all = run.docs[0]!;
    const notes = Object.fromEntries(imageSegments(all).map((s) => [s.url, s.note ?? null]));
    expect(notes).toEqual(expected);
    for (const s of imageSegments(all)) {
      if (s.note) expect(s.image_id).toBeNull();
      else {
        expect(s.image_id).toMatch(/^[0-9a-f]{64}$/);
        expect(s.width).toBeGreaterThanOrEqual(150);
        expect(s.visual?.phash).toMatch(/^[0-9a-f]{16}$/);
        expect(s.visual?.colorHist).toHaveLength(64);
      }
    }
    const byUrl = Object.fromEntries(imageSegments(all).map((s) => [s.url, s]));
    expect(byUrl[`${o}/pic.avif`]!.width).toBe(256);
    expect(byUrl[`${o}/wide.jpg`]!.width).toBe(900); // size known even when filtered
    expect(all.signals).toMatchObject({ images_total: 21, images_kept: 7, images_filtered: 3, images_unavailable: 11 });

    // One row per unique image: photo.jpg, a/same.jpg and b/same-again.jpg are the same bytes.
    const photoId = byUrl[`${o}/photo.jpg`]!.image_id!;
    expect(byUrl[`${o}/a/same.jpg`]!.image_id).toBe(photoId);
    expect(imageSegments(run.docs[1]!).map((s) => s.image_id)).toEqual([photoId, photoId]);
    const photoRows = run.rows.filter((r) => r.image_id === photoId);
    expect(photoRows).toHaveLength(1);
    expect(photoRows[0]).toMatchObject({ url: `${o}/photo.jpg`, format: 'jpeg', width: 400, height: 300, source: 'http', reason: null });
    expect(Buffer.compare(photoRows[0]!.bytes as Buffer, fixtures.photo)).toBe(0);
    const ids = run.rows.map((r) => r.image_id).filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
    // Images that could not be had keep URL and reason in the table too.
    expect(run.rows.find((r) => r.url === `${o}/slow.jpg`)).toMatchObject({ image_id: null, reason: 'fetch:timeout' });
    expect(run.rows.find((r) => r.url === `${o}/bomb.png`)).toMatchObject({ reason: 'decode:pixel_bomb', width: 60_000 });

    // Counted per image reference (every image segment of every document, the rejected one too).
    const c = run.counters;
    const refs = new Map<string, number>();
    for (const d of [...run.docs, ...run.rejects.map((r) => r.doc)]) {
      for (const s of imageSegments(d)) refs.set(`image:${s.note ?? 'ok'}`, (refs.get(`image:${s.note ?? 'ok'}`) ?? 0) + 1);
    }
    expect(refs.get('image:ok')).toBe(9); // 7 in 'all', 2 in 'dup'
    for (const [counter, n] of refs) expect(c.get(counter), counter).toBe(n);
    expect(c.get('image_from:http')).toBe(9 + 6); // usable + downloaded then refused: small (twice), wide, corrupt, bomb, svg
    // Work done: each URL once, each distinct image once.
    expect(c.get('work:urls')).toBe(Object.keys(expected).length + 1);
    expect(c.get('work:same_bytes_as_other_url')).toBe(2);
    expect(c.get('work:images_analysed')).toBe(6);
    expect(c.get('error:image_exception')).toBe(0);
  });

  it('reads bytes from a cache directory and writes HTTP fetches back to it', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'images-cache-'));
    try {
      const url = `${site.origin}/photo2.png`;
      const first = await runStage([doc('d', [url])], configWith({ cacheDir }));
      expect(first.rows[0]).toMatchObject({ source: 'http', reason: null });
      const offline = await runStage([doc('d', [url, `${site.origin}/pic.webp`])], configWith({ cacheDir, offline: true }));
      expect(Object.fromEntries(offline.rows.map((r) => [r.url, [r.source, r.reason]]))).toEqual({
        [url]: ['cache', null],
        [`${site.origin}/pic.webp`]: [null, 'fetch:offline'],
      });
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('re-encodes stored bytes above storeMaxSide; image_id stays the hash of the original', async () => {
    const big = await makeImage(1200, 900, 'jpeg', 9);
    const s2 = await startSite({ '/big.jpg': serve(big, 'image/jpeg') });
    try {
      const run = await runStage([doc('d', [`${s2.origin}/big.jpg`])], configWith({ storeMaxSide: 512 }, { robots: false }));
      const row = run.rows[0]!;
      expect(row).toMatchObject({ width: 1200, height: 900, stored_format: 'webp', num_bytes: big.length });
      const stored = await sharp(row.bytes as Buffer).metadata();
      expect([stored.format, stored.width, stored.height]).toEqual(['webp', 512, 384]);
      const { createHash } = await import('node:crypto');
      expect(row.image_id).toBe(createHash('sha256').update(big).digest('hex'));
    } finally {
      await s2.close();
    }
  });
});

describe('images from WARC records (offline)', () => {
  it('indexes image records by URL and fills images from them', async () => {
    const file = `${CORPUS}/generated/blackbook-truncated.warc.gz`;
    const index = await buildWarcImageIndex([file]);
    expect(index.size).toBe(3);
    const urls = ['http://www.archive.org/images/logoc.jpg', 'http://www.archive.org/images/go-button-gateway.gif', 'http://www.archive.org/images/star.png'];
    // Small logos: keep them to see their metadata (OBELICS would filter them by size).
    const run = await runStage([doc('d', [...urls, 'http://www.archive.org/not-in-warc.jpg'])], configWith({ offline: true, minSide: 1, maxAspect: 100 }), file);
    const rows = Object.fromEntries(run.rows.map((r) => [r.url, r]));
    expect(rows[urls[0]!]).toMatchObject({ source: 'warc', format: 'jpeg', reason: null });
    expect(rows[urls[1]!]).toMatchObject({ source: 'warc', format: 'gif', reason: null });
    expect(rows[urls[2]!]).toMatchObject({ source: 'warc', format: 'png', reason: null });
    expect(rows['http://www.archive.org/not-in-warc.jpg']).toMatchObject({ image_id: null, reason: 'fetch:offline' });
    expect(run.counters.get('image_from:warc')).toBe(3);
  });

  it("warcLookup 'inputs' finds images in another input WARC (runner resource inputFiles)", async () => {
    const file = `${CORPUS}/generated/wget-archive-org.warc.gz`;
    const config = configWith({ offline: true, minSide: 1, maxAspect: 100, warcLookup: 'inputs' });
    const resources = new Map<string, unknown>([['inputFiles', ['/some/html/dir/page.html', file]]]);
    await imagesStage.open!(config, resources);
    try {
      const run = await runStage([doc('d', ['http://archive.org/images/star.png'])], config, '/some/html/dir', resources);
      expect(run.rows).toMatchObject([{ source: 'warc', format: 'png', reason: null }]);
    } finally {
      await imagesStage.close!();
    }
  });

  it('corpus run --offline fills the images table from the records of the WARC it reads', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'images-run-'));
    try {
      const file = `${CORPUS}/generated/blackbook-truncated.warc.gz`;
      await runCorpus({ inputs: [file], out, config: configWith({ offline: true }), progress: false, log: () => {} });
      const rows = await queryCorpus(out, 'SELECT url, source, width, height, reason FROM images ORDER BY url');
      // Every image the kept pages show is either had from the WARC's own records or, not archived,
      // listed with its reason; nothing was fetched.
      const index = await buildWarcImageIndex([file]);
      expect(rows.filter((r) => r.source === 'warc').length).toBeGreaterThan(0);
      for (const r of rows) {
        if (index.get(String(r.url))) expect(r, String(r.url)).toMatchObject({ source: 'warc' });
        else expect(r, String(r.url)).toMatchObject({ source: null, reason: 'fetch:offline' });
      }
      // The 2008 archive.org logo: had from the WARC, refused by OBELICS' 150 px rule.
      expect(rows.find((r) => r.url === 'http://www.archive.org/images/logoc.jpg')).toMatchObject({
        source: 'warc', width: 70, height: 56, reason: 'filter:too_small',
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('finds the Mona Lisa article images in the Wikipedia WARC', async () => {
    const file = `${CORPUS}/generated/wikipedia-article-images.warc.gz`;
    const index = await buildWarcImageIndex([file]);
    expect(index.size).toBe(22);
    const url = 'http://upload.wikimedia.org/wikipedia/en/thumb/6/6e/Marcel_Duchamp_Mona_Lisa_LHOOQ.jpg/100px-Marcel_Duchamp_Mona_Lisa_LHOOQ.jpg';
    const bytes = await index.read(index.get(url)!, url);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(100);
  });

  it('a 2013 page whose srcset names larger images than the crawler archived: the archived src is used', async () => {
    // The article's <img> tags carry srcset 1.5x/2x candidates; the crawl archived only `src`.
    const file = `${CORPUS}/generated/wikipedia-article-images.warc.gz`;
    const out = mkdtempSync(path.join(tmpdir(), 'images-alt-'));
    try {
      // Keep the refused images' segments (pixels stage) so every image had from the WARC is seen in docs.
      const config = configWith({ offline: true });
      config.pixels.keepPlaceholders = true;
      await runCorpus({ inputs: [file], out, config, workers: 1, progress: false, log: () => {} });
      const [c] = await queryCorpus(
        out,
        `SELECT sum(value) FILTER (WHERE counter = 'image_from:warc')::INT AS warc,
                sum(value) FILTER (WHERE counter = 'image_url:alternate')::INT AS alternate,
                sum(value) FILTER (WHERE counter LIKE 'image:%')::INT AS refs
         FROM stats WHERE stage = 'images'`,
      );
      // The generated fixture keeps the article's <img> tags; 11 of them are content images.
      expect(c!.refs).toBe(11);
      expect(c!.warc).toBeGreaterThanOrEqual(10); // 0 when only the largest srcset candidate was tried
      // Every image had from the WARC keeps the URL whose bytes it is, and that URL is in the WARC.
      const index = await buildWarcImageIndex([file]);
      const had = await queryCorpus(out, "SELECT s.url FROM (SELECT unnest(segments) AS s FROM docs) WHERE s.kind = 'image' AND s.width IS NOT NULL AND s.note IS DISTINCT FROM 'fetch:offline'");
      expect(had.length).toBe(c!.warc);
      for (const r of had) expect(index.get(String(r.url)), String(r.url)).toBeDefined();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('visual features', () => {
  async function thumb(bytes: Buffer): Promise<Buffer> {
    return sharp(bytes).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  }

  it('perceptual hash: near for the same picture re-encoded, far for a different one', async () => {
    const a = await makeImage(400, 300, 'jpeg', 11);
    const aSmallPng = await sharp(a).resize(200, 150).png().toBuffer();
    const aLowQ = await sharp(a).jpeg({ quality: 30 }).toBuffer();
    const b = await makeImage(400, 300, 'jpeg', 12);
    const ha = perceptualHash(await thumb(a), 64);
    expect(hammingDistance(ha, perceptualHash(await thumb(aSmallPng), 64))).toBeLessThanOrEqual(6);
    expect(hammingDistance(ha, perceptualHash(await thumb(aLowQ), 64))).toBeLessThanOrEqual(6);
    expect(hammingDistance(ha, perceptualHash(await thumb(b), 64))).toBeGreaterThan(12);
  });

  it('colour histogram: 64 bins summing to 1, mass where the colour is', async () => {
    const red = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).raw().toBuffer();
    const h = colorHistogram(red);
    expect(h).toHaveLength(64);
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(h[3 * 16]).toBe(1); // r bin 3, g 0, b 0
  });
});

describe('NSFW scores (nsfwjs MobileNetV2 on onnxruntime)', () => {
  it('scores every kept image, stores the scores, and the threshold decides', async () => {
    const o = site.origin;
    const urls = [`${o}/photo.jpg`, `${o}/photo2.png`];
    // Default thresholds: synthetic gradients are not flagged.
    const keep = await runStage([doc('d', urls)], configWith({ nsfw: true }));
    expect(keep.docs).toHaveLength(1);
    for (const row of keep.rows) {
      const porn = row.nsfw_porn as number;
      const hentai = row.nsfw_hentai as number;
      expect(porn).toBeGreaterThanOrEqual(0);
      expect(porn).toBeLessThanOrEqual(1);
      expect(row.nsfw_score).toBe(Math.max(porn, hentai));
    }
    const porns = keep.rows.map((r) => r.nsfw_porn as number);
    expect(keep.docs[0]!.signals.images_nsfw_porn_max).toBeCloseTo(Math.max(...porns), 6);
    // Retuned threshold below the observed score: the document goes to rejects with its signals.
    const strict = await runStage([doc('d', urls)], configWith({ nsfw: true, nsfwPornMax: Math.min(...porns) / 2 }));
    expect(strict.docs).toHaveLength(0);
    expect(strict.rejects[0]).toMatchObject({ reason: 'nsfw_image' });
    expect(strict.rejects[0]!.doc.signals.images_nsfw_porn_max).toBeCloseTo(Math.max(...porns), 6);
  });
});
