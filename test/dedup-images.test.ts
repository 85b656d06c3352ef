/**
 * The image part of the global pass, on generated shards (the images stage is another unit's): each
 * shard is run through the real dedup stage, written to Parquet with the real DuckDB writer, with an
 * `images` table of image_id + phash as the images stage writes it.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import type { ColumnSpec, Doc, Segment } from '../schemas/doc.ts';
import { DOC_BASE_COLUMNS, REJECT_EXTRA_COLUMNS, docRow } from '../schemas/tables.ts';
import { DEDUP_COLUMNS, dedupStage } from '../stages/dedup/index.ts';
import { globalDedup } from '../stages/dedup/global.ts';
import { Db, ParquetTableWriter } from '../stages/lib/duckdb.ts';
import { testContext } from './helpers/context.ts';

const LOGO = { id: 'a'.repeat(64), phash: 'f0f0f0f0f0f0f0f0' };
const LOGO_RESAVED = { id: 'b'.repeat(64), phash: 'f0f0f0f0f0f0f0f1' }; // 1 bit away: same picture
const A = { id: 'c'.repeat(64), phash: '00000000000000ff' };
const B = { id: 'd'.repeat(64), phash: '00000000000007ff' }; // 3 bits from A
const C = { id: 'e'.repeat(64), phash: '0000000000003fff' }; // 3 bits from B, 6 from A

const WORDS = 'river stone cloud maple harbor violet copper meadow lantern orchard ember falcon willow canyon'.split(' ');
/** A text of its own for every document (no near duplicates among them). */
function uniqueText(n: number): string {
  return Array.from({ length: 60 }, (_, i) => WORDS[(n * 7 + i * (n + 3)) % WORDS.length] + String.fromCharCode(97 + ((n + i) % 26))).join(' ');
}

const img = (x: { id: string; phash: string }): Segment => ({ kind: 'image', image_id: x.id, url: `https://img.example/${x.id.slice(0, 4)}`, visual: { phash: x.phash } });

let root: string;
const shards: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dedup-images-'));
  const docCols: ColumnSpec[] = [...DOC_BASE_COLUMNS, ...DEDUP_COLUMNS];
  const rejCols: ColumnSpec[] = [...docCols, ...REJECT_EXTRA_COLUMNS];
  const imgCols: ColumnSpec[] = [
    { name: 'image_id', type: 'VARCHAR', description: '' },
    { name: 'phash', type: 'VARCHAR', description: '' },
  ];
  const db = await Db.open({ threads: 1 });
  let n = 0;
  for (let s = 0; s < 3; s++) {
    const docs: Doc[] = [];
    for (let i = 0; i < 5; i++, n++) {
      const segs: Segment[] = [{ kind: 'text', text: uniqueText(n) }, img(n % 4 === 0 ? LOGO_RESAVED : LOGO)];
      if (n === 1) segs.push(img(A), img(C)); // 6 bits apart: both kept in-run
      if (n === 6) segs.push(img(B));
      docs.push({
        id: `doc${String(n).padStart(2, '0')}`,
        url: `https://site${n}.example/p`,
        domain: `site${n}.example`,
        title: null,
        fetchedAt: '2020-01-01T00:00:00Z',
        source: { file: `shard${s}`, offset: i, recordId: null, recordType: 'file' },
        lang: null,
        langScore: null,
        segments: segs,
        signals: {},
      });
    }
    const ctx = testContext(defaultConfig, `shard${s}`);
    async function* gen() {
      yield* docs;
    }
    const out: Doc[] = [];
    for await (const d of dedupStage.transform(gen(), ctx)) out.push(d);
    const dir = join(root, `shard${s}`);
    shards.push(dir);
    const write = async (table: string, cols: ColumnSpec[], rows: unknown[][]) => {
      mkdirSync(join(dir, table), { recursive: true });
      const w = await ParquetTableWriter.create(db, cols);
      for (const r of rows) w.append(r);
      await w.writeTo(join(dir, table, 'part-0.parquet'));
      await w.dispose();
    };
    await write('docs', docCols, out.map((d) => docRow(d, docCols)));
    await write('rejects', rejCols, ctx.rejects.map((r) => [...docRow(r.doc, docCols), 'dedup', r.reason, r.detail]));
    const used = new Map<string, string>();
    for (const d of docs) for (const g of d.segments) if (g.image_id) used.set(g.image_id, g.visual!.phash!);
    await write('images', imgCols, [...used].map(([id, ph]) => [id, ph]));
  }
  db.close();
}, 120_000);

describe('corpus dedup: images', () => {
  it('clusters near pHashes across shards, removes logos used by > 10 docs overall, and repeated clusters within a doc', async () => {
    // In-run, no shard saw the logo in more than 5 documents: nothing was removed.
    const inRun = await queryCorpus(shards, 'SELECT sum(logo_images_removed)::INTEGER AS n, count(*)::INTEGER AS docs FROM docs');
    expect(inRun).toEqual([{ n: 0, docs: 15 }]);

    const out = join(root, 'dedup');
    const summary = await globalDedup({ dirs: shards, out, config: defaultConfig.dedup, apply: true });
    expect(summary.logoImages).toBe(2);
    const removals = await queryCorpus(out, 'SELECT image_id, cluster, docs::INTEGER AS docs FROM image_removals ORDER BY image_id');
    expect(removals).toEqual([
      { image_id: LOGO.id, cluster: LOGO.id, docs: 15 },
      { image_id: LOGO_RESAVED.id, cluster: LOGO.id, docs: 15 },
    ]);
    const clusters = await queryCorpus(out, 'SELECT image_id, cluster FROM image_clusters ORDER BY image_id');
    expect(clusters).toEqual([
      { image_id: LOGO.id, cluster: LOGO.id },
      { image_id: LOGO_RESAVED.id, cluster: LOGO.id },
      { image_id: A.id, cluster: A.id },
      { image_id: B.id, cluster: A.id },
      { image_id: C.id, cluster: A.id },
    ]);
    // Applied: 15 docs, no logo anywhere; doc01 keeps A and loses C (same cluster through B).
    const docs = await queryCorpus(out, `SELECT doc_id, [s.image_id for s in segments if s.kind = 'image'] AS imgs, num_images FROM docs ORDER BY doc_id`);
    expect(docs).toHaveLength(15);
    expect(docs.every((d) => !(d.imgs as string[]).includes(LOGO.id) && !(d.imgs as string[]).includes(LOGO_RESAVED.id))).toBe(true);
    expect(docs.find((d) => d.doc_id === 'doc01')).toEqual({ doc_id: 'doc01', imgs: [A.id], num_images: 1 });
    expect(docs.find((d) => d.doc_id === 'doc06')).toEqual({ doc_id: 'doc06', imgs: [B.id], num_images: 1 });
  });
});
