/**
 * `corpus sample` (npm start): write the embedded sample site into a WARC (pages and generated
 * images, as a crawler would have stored them), run the pipeline on it and show the result.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { formatTable, parse } from '../args.ts';
import { loadConfig } from '../config.ts';
import { formatFunnel } from '../funnel.ts';
import { openCorpus } from '../query.ts';
import { runCorpus } from '../run.ts';
import { WarcWriter } from '../../stages/lib/warc-writer.ts';
import { SAMPLE_IMAGES, SAMPLE_PAGES, pageHtml } from '../sample/pages.ts';

export const SAMPLE_HOST = 'https://allotment-notes.example';

async function drawImage(width: number, height: number, [a, b]: [string, string], gif: boolean): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * 0.35}" cy="${height * 0.45}" r="${Math.min(width, height) * 0.22}" fill="${b}" opacity="0.7"/>
    <rect x="${width * 0.55}" y="${height * 0.3}" width="${width * 0.3}" height="${height * 0.4}" fill="${a}" opacity="0.6"/></svg>`;
  const img = sharp(Buffer.from(svg));
  return gif ? img.gif().toBuffer() : img.jpeg({ quality: 85 }).toBuffer();
}

/** Write the sample WARC to `path`; returns the number of records written (besides warcinfo). */
export async function buildSampleWarc(path: string): Promise<number> {
  const w = await WarcWriter.open(path, { description: 'interleaved-corpus embedded sample' });
  const date = '2026-11-01T12:00:00Z';
  let n = 0;
  for (const p of SAMPLE_PAGES) {
    const body = Buffer.from(pageHtml(p), 'utf8');
    await w.writeExchange({
      url: SAMPLE_HOST + p.path,
      date,
      status: p.status,
      statusText: p.status === 200 ? 'OK' : 'Not Found',
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) },
      body,
      requestHeaders: { Host: new URL(SAMPLE_HOST).host, 'User-Agent': 'interleaved-corpus-sample' },
    });
    n++;
  }
  for (const im of SAMPLE_IMAGES) {
    const gif = im.path.endsWith('.gif');
    const body = await drawImage(im.width, im.height, im.colors, gif);
    await w.writeExchange({
      url: SAMPLE_HOST + im.path,
      date,
      status: 200,
      statusText: 'OK',
      headers: { 'Content-Type': gif ? 'image/gif' : 'image/jpeg', 'Content-Length': String(body.length) },
      body,
    });
    n++;
  }
  await w.close();
  return n;
}

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string', short: 'o' } });
  const out = values.out ?? 'out/sample';
  await mkdir(out, { recursive: true });
  const warc = join(out, 'sample.warc.gz');
  const records = await buildSampleWarc(warc);
  process.stderr.write(`wrote ${warc} (${records} records: ${SAMPLE_PAGES.length} pages, ${SAMPLE_IMAGES.length} images)\n`);
  const result = await runCorpus({ inputs: [warc], out: join(out, 'corpus'), config: loadConfig(), force: true });
  process.stdout.write(formatFunnel(result.stats) + '\n\n');
  const sql = 'SELECT lang, count(*) AS docs, sum(num_images) AS images, sum(num_chars) AS chars, min(title) AS example FROM docs GROUP BY ALL ORDER BY docs DESC';
  const db = await openCorpus(join(out, 'corpus'));
  try {
    const t = await db.table(sql);
    process.stdout.write(`$ npx corpus query ${join(out, 'corpus')} "${sql}"\n`);
    process.stdout.write(formatTable(t.columns, t.rows, 'table'));
    const r = await db.table('SELECT stage, reason, count(*) AS n FROM rejects GROUP BY ALL ORDER BY n DESC');
    process.stdout.write(`\nrejects:\n${formatTable(r.columns, r.rows, 'table')}`);
  } finally {
    db.close();
  }
  return result.unitsFailed.length ? 3 : 0;
}
