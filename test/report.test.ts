/**
 * corpus report, checked in a real browser: the pipeline runs over real WARCs of ../shared/corpus,
 * `corpus report` writes the page, headless Chromium (test/helpers/browser.ts: $CHROMIUM_PATH, the
 * binary the npm package @sparticuz/chromium ships, or a system one; driven by playwright-core) opens it; the DOM must have SVG charts with bars, documents with paragraphs and
 * images in reading order, no console errors and no request but the page itself and data: URIs.
 *
 * A second output dir is written by hand through the real writer (1 document, 1 reject, an images
 * table with real image bytes, packed buckets, a signal with a configured threshold, hostile text),
 * to cover what the stages on main do not produce yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { defaultConfig, loadConfig } from '../pipeline/config.ts';
import { filterSql } from '../pipeline/commands/filter-sql.ts';
import { runCorpus } from '../pipeline/run.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { packAfterRun } from '../pipeline/commands/pack.ts';
import { writeReport } from '../pipeline/report/build.ts';
import { thresholdsFor } from '../pipeline/report/thresholds.ts';
import { niceStep } from '../pipeline/report/charts.ts';
import { esc } from '../pipeline/report/html.ts';
import type { ColumnSpec, Doc, Segment } from '../schemas/doc.ts';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { UnitWriter, tableSchemas } from '../stages/write/index.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
import { CHROMIUM_ARGS, findChromium } from './helpers/browser.ts';

const run = promisify(execFile);
const BIN = new URL('../pipeline/bin.mjs', import.meta.url).pathname;
const WARC = join(CORPUS, 'warc');
/** Pages with images, rejects (404/302), many languages, a Wikipedia article with its images. */
const INPUTS = [
  'generated/wget-archive-org.warc.gz',
  'generated/wikipedia-article-images.warc.gz',
  'chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz',
  'generated/blackbook-truncated.warc.gz',
].map((f) => join(WARC, f));


let tmp: string;
let browser: BrowserContext;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'corpus-report-'));
  // A fresh profile dir per run (under tmp), so nothing of an earlier run is reused.
  browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
    executablePath: await findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

async function open(file: string): Promise<Opened> {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return { page, consoleErrors, requests };
}

function onlyLocal(o: Opened, file: string): string[] {
  return o.requests.filter((u) => !u.startsWith('data:') && u !== `file://${file}`);
}

describe('corpus report over a pipeline run on test/fixtures WARCs', () => {
  let out: string;
  let file: string;
  let o: Opened;

  beforeAll(async () => {
    out = join(tmp, 'run');
    // Images without pixels stay in docs as placeholders (pixels.keepPlaceholders), so the viewer has both
    // kinds to draw; by default the pixels stage removes them and counts them.
    const config = loadConfig(undefined, { pixels: { keepPlaceholders: true } });
    await runCorpus({ inputs: INPUTS, out, config, progress: false });
    await packAfterRun(out, config); // packed/len=N/ as `corpus run --pack` makes it
    file = join(tmp, 'run-report.html');
    const t0 = performance.now();
    const { stderr } = await run(process.execPath, [BIN, 'report', out, '--out', file, '--sample', '10']);
    console.log(`corpus report: ${((performance.now() - t0) / 1000).toFixed(1)} s wall (CLI) — ${stderr.trim()}`);
    o = await open(file);
  }, 180_000);

  it('draws the funnel, drop reasons, languages and histograms as SVG bars', async () => {
    const bars = (id: string) => o.page.locator(`section[data-chart="${id}"] svg rect.bar`).count();
    const stages = await queryCorpus(out, 'SELECT count(DISTINCT stage)::INT AS n FROM stats');
    // One passed bar per stage, plus a dropped bar where a stage dropped something.
    expect(await bars('funnel')).toBeGreaterThanOrEqual(Number(stages[0]!.n));
    const reasons = await queryCorpus(out, 'SELECT count(DISTINCT (stage, reason))::INT AS n FROM rejects');
    expect(await bars('drop-reasons')).toBe(Number(reasons[0]!.n));
    expect(await bars('languages')).toBeGreaterThan(0);
    expect(await bars('length-chars')).toBeGreaterThan(3);
    expect(await bars('images-per-doc')).toBeGreaterThan(1);
    expect(await bars('length-tokens')).toBeGreaterThan(3);
    const buckets = await queryCorpus(out, 'SELECT count(DISTINCT bucket)::INT AS n FROM packed');
    expect(Number(buckets[0]!.n)).toBeGreaterThan(1);
    expect(await bars('buckets')).toBe(2 * Number(buckets[0]!.n)); // sequences and tokens per bucket
    // Every section either has a chart with bars or says why it was skipped.
    for (const s of await o.page.locator('section.chart-section').all()) {
      if ((await s.getAttribute('data-skipped')) === 'true') await expect(s.locator('.skipped').innerText()).resolves.toMatch(/^Skipped: .+/);
      else expect(await s.locator('svg rect.bar').count()).toBeGreaterThan(0);
    }
  });

  it('shows each chart\'s SQL, which reruns through corpus query with the same rows', async () => {
    const section = o.page.locator('section[data-chart="drop-reasons"]');
    const sql = await section.locator('details.sql pre').first().textContent();
    const shown = await section.locator('details.sql table.data tr').count();
    const rows = await queryCorpus(out, sql!);
    expect(rows.length).toBe(shown - 1); // minus the header row
    const funnelSql = await o.page.locator('section[data-chart="funnel"] details.sql pre').first().textContent();
    const funnel = await queryCorpus(out, funnelSql!);
    expect(funnel.map((r) => r.stage)).toEqual(expect.arrayContaining(['read', 'extract', 'write']));
    expect(funnel[0]!.stage).toBe('read');
  });

  it('renders kept and rejected documents with paragraphs and images in reading order', async () => {
    const kept = o.page.locator('article.doc[data-kind="kept"]');
    const rejected = o.page.locator('article.doc[data-kind="rejected"]');
    expect(await kept.count()).toBeGreaterThan(0);
    expect(await kept.count()).toBeLessThanOrEqual(10);
    expect(await rejected.count()).toBeGreaterThan(0);
    expect(await o.page.locator('article.doc .doc-body p').count()).toBeGreaterThan(10);
    // Images with stored bytes are embedded as thumbnails; the others (not archived, too small) are
    // placeholders that name the reason. Which of the two depends on what the WARCs hold.
    const ids = await kept.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.docId!));
    const { usable, unusable } = (await queryCorpus(
      out,
      `SELECT count(*) FILTER (WHERE s.image_id IS NOT NULL)::INT AS usable, count(*) FILTER (WHERE s.image_id IS NULL)::INT AS unusable
       FROM (SELECT unnest(segments) AS s FROM docs WHERE doc_id IN (${ids.map(sqlString).join(', ')})) WHERE s.kind = 'image'`,
    ))[0]!;
    const embedded = await o.page.locator('article.doc[data-kind="kept"] img[src^="data:image/"]').count();
    const placeholders = await o.page.locator('article.doc[data-kind="kept"] .img-placeholder').count();
    // The viewer shows at most VIEWER_LIMITS (20,000 characters) of a document, so images past that are not drawn.
    expect(embedded).toBeLessThanOrEqual(Number(usable));
    expect(placeholders).toBeLessThanOrEqual(Number(unusable));
    // The inputs were chosen to have both (archived images, and images not archived or too small).
    expect(Number(usable)).toBeGreaterThan(0);
    expect(Number(unusable)).toBeGreaterThan(0);
    expect(embedded).toBeGreaterThan(0);
    expect(placeholders).toBeGreaterThan(0);

    // The kept document with the most images: its blocks in the DOM follow docs.segments exactly.
    const [doc] = await queryCorpus(
      out,
      `SELECT doc_id, [s.kind FOR s IN segments] AS kinds FROM docs WHERE doc_id IN (${ids.map(sqlString).join(', ')}) ORDER BY num_images DESC, doc_id LIMIT 1`,
    );
    const kinds = doc!.kinds as string[];
    const article = o.page.locator(`article.doc[data-doc-id="${doc!.doc_id}"]`);
    const domKinds = await article
      .locator('.doc-body > *:not(.more)')
      .evaluateAll((els) => els.map((e) => (e.tagName === 'FIGURE' ? 'image' : 'text')));
    expect(domKinds).toContain('image');
    expect(domKinds).toContain('text');
    // The same sequence; a long document is cut (with a note) after the viewer's limits.
    expect(domKinds).toEqual(kinds.slice(0, domKinds.length));
    if (domKinds.length < kinds.length) expect(await article.locator('.doc-body > .more').count()).toBe(1);

    // A reject says which stage dropped it and why, as in the rejects table.
    const rid = await rejected.first().getAttribute('data-doc-id');
    const [rej] = await queryCorpus(out, `SELECT stage, reason FROM rejects WHERE doc_id = ${sqlString(rid!)}`);
    await expect(rejected.first().locator('.reason').innerText()).resolves.toContain(`${rej!.stage}: ${rej!.reason}`);
  });

  it('filters the sample in the page, has no console errors and makes no network request', async () => {
    await o.page.selectOption('#f-kind', 'rejected');
    const visible = await o.page.locator('article.doc:visible').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.kind));
    expect(visible.length).toBeGreaterThan(0);
    expect(new Set(visible)).toEqual(new Set(['rejected']));
    await o.page.selectOption('#f-kind', 'all');
    expect(o.consoleErrors).toEqual([]);
    expect(onlyLocal(o, file)).toEqual([]);
    const shot = join(tmp, 'report-corpus.png');
    await o.page.screenshot({ path: shot });
    await o.page.locator('#documents').scrollIntoViewIfNeeded();
    await o.page.evaluate(() => document.getElementById('documents')!.scrollIntoView());
    const shotDocs = join(tmp, 'report-corpus-documents.png');
    await o.page.screenshot({ path: shotDocs });
    console.log(`screenshots: ${shot} ${shotDocs}`);
  });
});

// ---------------------------------------------------------------- a hand-made output dir

const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

async function drawPng(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#3a7"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#f5c"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function doc(id: string, segments: Segment[], signals: Doc['signals'], url = `https://example.org/${id}`): Doc {
  return {
    id,
    url,
    domain: 'example.org',
    title: `${HOSTILE} title ${id}`,
    fetchedAt: '2026-11-01T00:00:00Z',
    source: { file: 'fixture.warc.gz', offset: 0, recordId: null, recordType: 'response' },
    lang: 'eng',
    langScore: 0.9,
    segments,
    signals,
  };
}

/** One kept document, one reject, an images table and packed buckets, written by the real writer. */
async function writeFixture(out: string): Promise<{ imageId: string }> {
  const signals: ColumnSpec[] = [
    { name: 'quality_words', type: 'INTEGER', description: 'fixture signal (the word count of the quality stage)' },
    { name: 'num_tokens', type: 'INTEGER', description: 'fixture' },
    { name: 'num_text_tokens', type: 'INTEGER', description: 'fixture' },
    { name: 'num_image_tokens', type: 'INTEGER', description: 'fixture' },
  ];
  const imageCols: ColumnSpec[] = [
    { name: 'image_id', type: 'VARCHAR', description: '' },
    { name: 'url', type: 'VARCHAR', description: '' },
    { name: 'format', type: 'VARCHAR', description: '' },
    { name: 'width', type: 'INTEGER', description: '' },
    { name: 'height', type: 'INTEGER', description: '' },
    { name: 'bytes', type: 'BLOB', description: '' },
    { name: 'reason', type: 'VARCHAR', description: '' },
  ];
  const db = await Db.open({ threads: 1 });
  try {
    const w = await UnitWriter.open(db, out, 'fixture', tableSchemas(signals, { images: imageCols }), { shardRows: 100, shardBytes: 1 << 30, compression: 'zstd' });
    const png = await drawPng(900, 600);
    const imageId = 'a'.repeat(64);
    await w.writeRow('images', { image_id: imageId, url: 'https://example.org/big.png', format: 'png', width: 900, height: 600, bytes: new Uint8Array(png), reason: null });
    await w.writeRow('images', { image_id: 'b'.repeat(64), url: 'https://example.org/tiny.gif', format: 'gif', width: 20, height: 20, bytes: null, reason: 'filter:too_small' });
    await w.writeDoc(
      doc(
        'kept1',
        [
          { kind: 'text', tag: 'h1', text: `Heading ${HOSTILE}` },
          { kind: 'text', tag: 'p', text: `First paragraph. ${HOSTILE}` },
          { kind: 'image', url: 'https://example.org/big.png', alt: `alt ${HOSTILE}`, image_id: imageId, width: 900, height: 600 },
          { kind: 'text', tag: 'p', text: 'Second paragraph, after the image.' },
          { kind: 'image', url: 'javascript:alert(1)', alt: null, image_id: null, note: 'fetch:bad_url' },
          { kind: 'text', tag: 'li', text: 'A list item.' },
        ],
        { quality_words: 120, num_tokens: 700, num_text_tokens: 300, num_image_tokens: 400 },
      ),
    );
    await w.writeReject(doc('rej1', [{ kind: 'text', tag: 'p', text: 'Too short.' }], { quality_words: 2, num_tokens: 5, num_text_tokens: 5, num_image_tokens: 0 }, 'javascript:alert(1)'), {
      stage: 'quality',
      reason: 'too_few_words',
      detail: `2 words (min 50) ${HOSTILE}`,
    });
    for (const [stage, counter, value] of [['read', 'html', 2], ['extract', 'in', 2], ['extract', 'out', 2], ['quality', 'in', 2], ['quality', 'out', 1], ['quality', 'dropped:too_few_words', 1], ['write', 'docs', 1]] as const) {
      await w.writeRow('stats', { unit: 'fixture', stage, counter, value });
    }
    await w.commit();
    // packed/len=N/ as `corpus pack` writes it (its own command, outside the run).
    for (const [bucket, n] of [[256, 3], [512, 1]]) {
      const dir = join(out, 'packed', `len=${bucket}`);
      await mkdir(dir, { recursive: true });
      await db.run(
        `COPY (SELECT ${bucket}::INTEGER AS bucket, i::INTEGER AS seq_index, 'kept1' AS doc_id, ${bucket}::INTEGER AS num_tokens FROM range(${n}) t(i)) TO ${sqlString(join(dir, 'part-00000.parquet'))} (FORMAT parquet)`,
      );
    }
    await writeFile(join(out, 'manifest.json'), JSON.stringify({ version: '0.1.0', configHash: 'fixture', config: { quality: { minWords: 50 }, write: { shardRows: 100 } }, units: [] }));
    return { imageId };
  } finally {
    db.close();
  }
}

describe('corpus report on a one-document output with images, buckets and thresholds', () => {
  let out: string;
  let file: string;
  let o: Opened;

  beforeAll(async () => {
    out = join(tmp, 'fixture');
    await writeFixture(out);
    file = join(tmp, 'fixture-report.html');
    await writeReport(out, file, { sample: 5 });
    o = await open(file);
  }, 60_000);

  it('embeds the stored image downscaled, keeps hostile text as text, links only http(s)', async () => {
    const img = o.page.locator('article.doc img');
    expect(await img.count()).toBe(1);
    const src = (await img.getAttribute('src'))!;
    expect(src.startsWith('data:image/webp;base64,')).toBe(true);
    const meta = await sharp(Buffer.from(src.split(',')[1]!, 'base64')).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(200);
    expect(await img.evaluate((e) => (e as HTMLImageElement).naturalWidth)).toBe(200);
    // The image without bytes is a placeholder with its (unlinked) URL and why it is missing.
    await expect(o.page.locator('article.doc .img-placeholder').innerText()).resolves.toContain('fetch:bad_url');
    expect(await o.page.locator('a[href^="javascript"]').count()).toBe(0);
    // Hostile markup shows up as text, never as elements, and never ran.
    expect(await o.page.locator('article.doc').filter({ hasText: '<script>window.__pwned = 1</script>' }).count()).toBe(2);
    expect(await o.page.locator('article.doc script, article.doc img[src="x"]').count()).toBe(0);
    expect(await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const raw = await readFile(file, 'utf8');
    expect(raw).not.toContain(HOSTILE);
    expect(raw).toContain(esc(HOSTILE));
    // Blocks in reading order: h1, p, image, p, image, li.
    const order = await o.page.locator('article.doc[data-kind="kept"] .doc-body > *').evaluateAll((els) => els.map((e) => e.tagName + (e.className ? `.${e.className}` : '')));
    expect(order).toEqual(['P.h', 'P', 'FIGURE.seg-image', 'P', 'FIGURE.seg-image', 'P.li']);
  });

  it('draws the configured threshold on its signal, buckets, image sizes and tokens per language', async () => {
    const sig = o.page.locator('section[data-chart="signal-quality_words"]');
    // Both rules of the column are drawn: the run's minWords and the default maxWords.
    expect(await sig.locator('g.threshold text').allTextContents()).toEqual(['min 50 (quality.minWords)', 'max 100k (quality.maxWords)']);
    expect(await sig.locator('rect.bar.s0').count()).toBe(1); // the kept document
    expect(await sig.locator('rect.bar.s1').count()).toBe(1); // the reject
    // The reject's signal value is marked as outside the threshold in its card.
    await expect(o.page.locator('article.doc[data-kind="rejected"] .sig.out').innerText()).resolves.toContain('quality_words');
    expect(await o.page.locator('section[data-chart="buckets"] rect.bar').count()).toBe(4); // 2 buckets x (sequences, tokens)
    await expect(o.page.locator('section[data-chart="buckets"]').innerText()).resolves.toContain('len 512');
    expect(await o.page.locator('section[data-chart="image-sizes"] rect.bar').count()).toBe(2);
    expect(await o.page.locator('section[data-chart="languages"] rect.bar').count()).toBe(3); // docs, text and image tokens
    expect(await o.page.locator('section[data-chart="length-tokens"] rect.bar').count()).toBeGreaterThan(0);
    expect(o.consoleErrors).toEqual([]);
    expect(onlyLocal(o, file)).toEqual([]);
    const shot = join(tmp, 'report-fixture.png');
    await o.page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  });
});

describe('thresholds come from the stages\' own rules (Stage.rules)', () => {
  it('maps each min/max rule of the run config to its column, with the setting it comes from', () => {
    const config = { langid: { minScore: 0.5, byLang: [{ lang: 'msa', minScore: 0.3 }] }, images: { nsfwPornMax: 0.85, storeMaxSide: 512 }, quality: { minWords: 50, maxSymbolRatio: 0.1 } };
    expect(thresholdsFor('lang_score', config)).toEqual([{ key: 'langid.minScore', bound: 'min', value: 0.5 }]);
    expect(thresholdsFor('images_nsfw_porn_max', config)).toEqual([{ key: 'images.nsfwPornMax', bound: 'max', value: 0.85 }]);
    expect(thresholdsFor('quality_words', config)).toContainEqual({ key: 'quality.minWords', bound: 'min', value: 50 });
    expect(thresholdsFor('quality_symbol_ratio', config)).toEqual([{ key: 'quality.maxSymbolRatio', bound: 'max', value: 0.1 }]);
    expect(thresholdsFor('coherence_score', config)).toEqual([{ key: 'coherence.minScore', bound: 'min', value: defaultConfig.coherence.minScore }]);
    expect(thresholdsFor('num_images', { pixels: { minImagesPerDoc: 1 } })).toContainEqual({ key: 'pixels.minImagesPerDoc', bound: 'min', value: 1 });
    // Columns no rule decides on have no line; settings that bound one part (an image's tiles) are not document rules.
    expect(thresholdsFor('nsfw_score', config)).toEqual([]);
    expect(thresholdsFor('num_tiles', { tokenize: { image: { minTiles: 1, maxTiles: 12 } } })).toEqual([]);
    // A config from another version (unknown key), or none recorded, draws no line rather than a wrong one.
    expect(thresholdsFor('lang_score', { langid: { retiredKey: 1 } })).toEqual([]);
    expect(thresholdsFor('lang_score', undefined)).toEqual([]);
  });

  it('every rule filter-sql prints is a line the report can draw, for the default config', () => {
    for (const f of filterSql(defaultConfig)) {
      for (const r of f.rules) if ((r.kind === 'min' || r.kind === 'max') && Number.isFinite(r.threshold)) {
        expect(thresholdsFor(r.column, {}).map((t) => t.value), `${f.stage} ${r.reason}`).toContain(r.threshold);
      }
    }
    expect(filterSql(defaultConfig).map((f) => f.stage)).toEqual(['images', 'langid', 'quality', 'safety', 'coherence', 'pixels']);
  });
});

describe('signal bins', () => {
  it('use round widths, whole numbers for integer signals', () => {
    expect(niceStep(0.0495, false)).toBe(0.05);
    expect(niceStep(0.05, true)).toBe(1);
    expect(niceStep(20.5, true)).toBe(25);
    expect(niceStep(3, true)).toBe(5);
    expect(niceStep(0, false)).toBe(1);
  });
});
