/**
 * How long `corpus report` takes on a big output directory, and how much memory: generates a
 * synthetic output dir with DuckDB (docs, rejects, stats, images, packed; default 1,000,000 docs),
 * builds the report, and prints its time and peak RSS beside a reference on the same files: one
 * aggregate scan of docs (the least any report must read).
 *
 *   npx tsx scripts/bench-report.ts [--docs 1000000] [--dir /tmp/bench-report] [--keep]
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { openCorpus } from '../pipeline/query.ts';
import { writeReport } from '../pipeline/report/build.ts';
import { SEGMENT_STRUCT } from '../schemas/tables.ts';

const { values } = parseArgs({ options: { docs: { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' }, measure: { type: 'boolean' } } });
const N = Number(values.docs ?? 1_000_000);
const dir = values.dir ?? '/tmp/bench-report';
const SHARD_ROWS = 5000;

async function generate(): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const t of ['stats', 'images']) await mkdir(join(dir, t), { recursive: true });
  const db = await Db.open({ threads: 2 });
  const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#4a8' } }).png().toBuffer();
  // Segments: heading, paragraph, image, paragraph; sizes vary with i so the histograms have shape.
  const segments = (i: string) => `[
    {'kind': 'text', 'tag': 'h1', 'text': 'Title ' || ${i}},
    {'kind': 'text', 'tag': 'p', 'text': repeat('lorem ipsum dolor sit amet ', 1 + (${i} * 7919) % 40)},
    {'kind': 'image', 'url': 'https://img.example/' || ${i} || '.png', 'image_id': md5((${i} % 100000)::VARCHAR), 'width': 640, 'height': 480},
    {'kind': 'text', 'tag': 'p', 'text': repeat('consectetur adipiscing elit ', 1 + (${i} * 104729) % 25)}
  ]::${SEGMENT_STRUCT}[]`;
  const row = (i: string) => `md5(${i}::VARCHAR) AS doc_id, 'https://site' || (${i} % 5000) || '.example/' || ${i} AS url,
    'site' || (${i} % 5000) || '.example' AS domain, 'Doc ' || ${i} AS title,
    ['eng','fra','deu','spa','zho','rus','ara'][1 + (${i} * 31) % 7] AS lang, 0.5 + ((${i} * 13) % 50) / 100.0 AS lang_score,
    '2026-11-01T00:00:00Z' AS fetched_at, 'synthetic.warc.gz' AS source_file, ${i}::BIGINT AS source_offset,
    ${segments(i)} AS segments, 4 AS num_segments, 1 AS num_images,
    (5 + 27 * (1 + (${i} * 7919) % 40) + 28 * (1 + (${i} * 104729) % 25))::INTEGER AS num_chars,
    (10 + (${i} * 7919) % 400)::INTEGER AS num_words, ((${i} * 17) % 1000) / 1000.0 AS quality_score,
    (300 + (${i} * 7919) % 4000)::INTEGER AS num_tokens`;
  // Files of SHARD_ROWS rows, one row group each, as `corpus run` writes them (write.shardRows).
  const shards = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${SHARD_ROWS}, ROW_GROUPS_PER_FILE 1, FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE`;
  await db.run(`COPY (SELECT ${row('i')} FROM range(${N}) t(i)) TO ${sqlString(join(dir, 'docs'))} (${shards})`);
  const rejects = Math.ceil(N / 5);
  await db.run(
    `COPY (SELECT ${row('(i + 100000000)')}, ['quality','quality','langid','dedup','images'][1 + i % 5] AS stage,
       ['too_few_words','low_quality','lang_low_score','near_dup','too_few_images'][1 + i % 5] AS reason, 'synthetic' AS detail
     FROM range(${rejects}) t(i)) TO ${sqlString(join(dir, 'rejects'))} (${shards})`,
  );
  await db.run(
    `COPY (SELECT 'synthetic' AS unit, * FROM (VALUES ('read', 'html', ${N + rejects}.0), ('extract', 'in', ${N + rejects}.0), ('extract', 'out', ${N + rejects}.0),
       ('quality', 'in', ${N + rejects}.0), ('quality', 'dropped:too_few_words', ${rejects / 5}.0), ('write', 'docs', ${N}.0)) v(stage, counter, value))
     TO ${sqlString(join(dir, 'stats', 'part-0.parquet'))} (FORMAT parquet)`,
  );
  await db.run('CREATE TABLE png AS SELECT from_hex(' + sqlString(png.toString('hex')) + ') AS b');
  await db.run(
    `COPY (SELECT md5((i % 100000)::VARCHAR) AS image_id, 'https://img.example/' || i || '.png' AS url, 'png' AS format,
       (64 + i % 1200)::INTEGER AS width, (48 + i % 900)::INTEGER AS height, (SELECT b FROM png) AS bytes,
       CASE WHEN i % 9 = 0 THEN 'filter:too_small' END AS reason
     FROM range(${Math.min(N, 100000)}) t(i)) TO ${sqlString(join(dir, 'images', 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
  );
  for (const b of [256, 512, 1024, 2048, 4096]) {
    await mkdir(join(dir, 'packed', `len=${b}`), { recursive: true });
    await db.run(
      `COPY (SELECT ${b}::INTEGER AS bucket, i::INTEGER AS seq_index, md5(i::VARCHAR) AS doc_id, ${b}::INTEGER AS num_tokens FROM range(${Math.ceil(N / 4)}) t(i))
       TO ${sqlString(join(dir, 'packed', `len=${b}`, 'part-0.parquet'))} (FORMAT parquet)`,
    );
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: 'bench', configHash: 'bench', config: { quality: { minWords: 50, minQualityScore: 0.2 } }, units: [] }));
  db.close();
}

/** In a fresh process (so peak RSS is the report's): the reference scan, then the report. */
async function measure(): Promise<void> {
  const t1 = performance.now();
  const db = await openCorpus(dir);
  await db.all('SELECT count(*), sum(num_chars), sum(len(segments)) FROM docs');
  db.close();
  const reference = (performance.now() - t1) / 1000;
  const rssReference = process.resourceUsage().maxRSS / 1024;
  const file = join(dir, 'report.html');
  const t2 = performance.now();
  const result = await writeReport(dir, file, { sample: 20 });
  const seconds = (performance.now() - t2) / 1000;
  const size = (await stat(file)).size;
  console.log(`reference: one scan of docs (count, sum(num_chars), sum(len(segments))): ${reference.toFixed(1)} s, peak RSS ${rssReference.toFixed(0)} MB`);
  console.log(
    `corpus report: ${seconds.toFixed(1)} s (${Math.round(N / seconds).toLocaleString('en-US')} docs/s), ` +
      `${result.charts.filter((c) => c.svg).length} charts, ${result.documents} documents, ${(size / 1e6).toFixed(1)} MB; ` +
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB — 2-core machine shared with other engineers`,
  );
}

if (values.measure) {
  await measure();
} else {
  const t0 = performance.now();
  await generate();
  console.log(`generated ${N.toLocaleString('en-US')} docs + ${Math.ceil(N / 5).toLocaleString('en-US')} rejects in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${dir}`);
  execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--measure', '--docs', String(N), '--dir', dir], { stdio: 'inherit' });
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
