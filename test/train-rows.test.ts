/**
 * Training rows a trainer can use as they are, on real WARCs (offline): every image span has pixels,
 * every table folder is a plain Parquet directory, the dataset card names every table, images are
 * once per image_id and sorted, and export-wds round-trips through a real tar reader.
 */
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCorpus } from '../pipeline/run.ts';
import { loadConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { packCorpus } from '../pipeline/commands/pack.ts';
import { writeSchedule } from '../pipeline/commands/schedule.ts';
import { exportVarlen } from '../pipeline/commands/export-varlen.ts';
import { compactImages } from '../pipeline/commands/images.ts';
import { exportWds } from '../pipeline/commands/export-wds.ts';
import { Db, sqlString } from '../stages/lib/duckdb.ts';
import { FIXTURES as CORPUS } from './helpers/fixtures.ts';

const WARCS = ['generated/wikipedia-article-images.warc.gz', 'iipc__jwarc/cc.warc.gz', 'generated/wget-archive-org.warc.gz'].map((f) => join(CORPUS, 'warc', f));

let out: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'train-rows-'));
  out = join(root, 'out');
  const config = loadConfig(undefined, { images: { offline: true, nsfw: false } });
  await runCorpus({ inputs: WARCS, out, config, workers: 1, progress: false, log: () => {} });
  await compactImages(out);
  await packCorpus(out, config.pack);
  await writeSchedule(out, { tokensPerStep: 16384, cycles: 2, seed: 0 });
  await exportVarlen(out);
}, 600_000);

/** Every file under a table folder, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('training rows', () => {
  it('every image span in docs, packed and varlen names an image whose bytes are in images', async () => {
    const [d] = await queryCorpus(out, `SELECT count(*)::INT n, count(*) FILTER (WHERE s.image_id IS NULL OR s.image_id NOT IN (SELECT image_id FROM images WHERE bytes IS NOT NULL))::INT bad
      FROM (SELECT unnest(segments) s FROM docs) WHERE s.kind = 'image'`);
    expect(d!.n).toBeGreaterThan(0);
    expect(d!.bad).toBe(0);
    for (const t of ['packed', 'varlen']) {
      const [r] = await queryCorpus(out, `SELECT count(*)::INT n, count(*) FILTER (WHERE s.image_id IS NULL OR s.image_id NOT IN (SELECT image_id FROM images WHERE bytes IS NOT NULL))::INT bad
        FROM (SELECT unnest(image_spans) s FROM ${t})`);
      expect(r!.n, t).toBeGreaterThan(0);
      expect(r!.bad, t).toBe(0);
    }
    // The images without pixels were there, and are counted by reason.
    const removed = await queryCorpus(out, `SELECT counter, sum(value)::INT n FROM stats WHERE stage = 'pixels' AND counter LIKE 'images_removed:%' GROUP BY 1`);
    expect(removed.reduce((n, r) => n + Number(r.n), 0)).toBeGreaterThan(0);
  });

  it('every table folder is a plain Parquet directory (DuckDB reads <dir>/**; no other file inside)', async () => {
    const tables = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.')).map((e) => e.name);
    expect(tables).toEqual(expect.arrayContaining(['docs', 'images', 'packed', 'rejects', 'schedule', 'stats', 'varlen']));
    const db = await Db.open();
    try {
      for (const t of tables) {
        const files = await filesUnder(join(out, t));
        expect(files.filter((f) => !f.endsWith('.parquet')), t).toEqual([]);
        const [r] = await db.all(`SELECT count(*)::INT n FROM read_parquet(${sqlString(join(out, t, '**'))})`);
        expect(r!.n, t).toBeGreaterThan(0);
      }
    } finally {
      db.close();
    }
    expect(JSON.parse(readFileSync(join(out, '_meta', 'packed.json'), 'utf8')).tokens.packed).toBeGreaterThan(0);
  });

  it('the dataset card has one config per table with a glob that matches its files', async () => {
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const front = card.split('---')[1]!;
    const configs = [...front.matchAll(/config_name: (\S+)[\s\S]*?path: "([^"]+)"/g)].map((m): [string, string] => [m[1]!, m[2]!]);
    expect(configs.map((c) => c[0])).toEqual(expect.arrayContaining(['docs', 'images', 'packed', 'varlen']));
    const db = await Db.open();
    try {
      for (const [name, glob] of configs) {
        const [r] = await db.all(`SELECT count(*)::INT n FROM read_parquet(${sqlString(join(out, glob))})`);
        const [w] = await db.all(`SELECT count(*)::INT n FROM read_parquet(${sqlString(join(out, name, '**'))})`);
        expect(r!.n, name).toBe(w!.n);
      }
    } finally {
      db.close();
    }
  });

  it('images: one row per image_id, in image_id order', async () => {
    const [r] = await queryCorpus(out, `SELECT count(image_id)::INT n, count(DISTINCT image_id)::INT d,
      bool_and(image_id >= prev OR prev IS NULL) is_sorted FROM (SELECT image_id, lag(image_id) OVER () prev FROM images WHERE image_id IS NOT NULL)`);
    expect(r!.n).toBeGreaterThan(0);
    expect(r!.d).toBe(r!.n);
    expect(r!.is_sorted).toBe(true);
  });

  it('export-wds round trip: texts in order, images byte-identical, one sample per doc / packed row; a rerun replaces', async () => {
    const dest = join(root, 'wds');
    const first = await exportWds(out, dest, { what: 'docs', shardBytes: 64 * 1024 });
    const again = await exportWds(out, dest, { what: 'docs', shardBytes: 1024 ** 3 });
    expect(first.shards.length).toBeGreaterThan(again.shards.length);
    const samples = await readShards(dest);
    const docs = await queryCorpus(out, `SELECT doc_id, segments FROM docs`);
    expect(samples.size).toBe(docs.length);
    const imgs = new Map((await Db.open().then(async (db) => {
      try {
        return await db.allJS(`SELECT image_id, bytes FROM read_parquet(${sqlString(join(out, 'images', '*.parquet'))}) WHERE bytes IS NOT NULL`);
      } finally {
        db.close();
      }
    })).map((r) => [String(r.image_id), Buffer.from(r.bytes as Uint8Array)]));
    let images = 0;
    for (const d of docs) {
      const parts = samples.get(String(d.doc_id))!;
      const meta = JSON.parse(parts.get('json')!.toString('utf8'));
      const segs = d.segments as { kind: string; text: string | null; image_id: string | null }[];
      expect(meta.texts).toEqual(segs.map((s) => (s.kind === 'text' ? s.text : null)));
      segs.forEach((s, i) => {
        if (s.kind !== 'image') return;
        images++;
        expect(parts.get(meta.images[i])!.equals(imgs.get(s.image_id!)!)).toBe(true);
      });
    }
    expect(images).toBeGreaterThan(0);
    const info = readFileSync(join(dest, '.nv-meta', '.info.yaml'), 'utf8');
    expect(info).toContain(`shard-000000.tar: ${docs.length}`);

    const pdest = join(root, 'wds-packed');
    await exportWds(out, pdest, { what: 'packed' });
    const psamples = await readShards(pdest);
    const packed = await queryCorpus(out, `SELECT bucket, seq_index, input_ids, labels, position_ids FROM packed`);
    expect(psamples.size).toBe(packed.length);
    for (const p of packed) {
      const meta = JSON.parse(psamples.get(`${p.bucket}_${String(p.seq_index).padStart(9, '0')}`)!.get('json')!.toString('utf8'));
      expect(meta.input_ids).toEqual(p.input_ids);
      expect(meta.labels).toEqual(p.labels);
      expect(meta.position_ids).toEqual(p.position_ids);
    }
  });
});

/** key -> (part -> bytes) over every shard, read with tar-stream's extractor. */
async function readShards(dir: string): Promise<Map<string, Map<string, Buffer>>> {
  const samples = new Map<string, Map<string, Buffer>>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.tar')).sort()) {
    const ex = tar.extract();
    createReadStream(join(dir, f)).pipe(ex);
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const name = entry.header.name;
      const dot = name.indexOf('.');
      const key = name.slice(0, dot);
      if (!samples.has(key)) samples.set(key, new Map());
      samples.get(key)!.set(name.slice(dot + 1), Buffer.concat(chunks));
    }
  }
  return samples;
}
