/**
 * The writer bounds what it holds in memory by rows and by bytes: large rows (images with their bytes)
 * are written in more shards, and every row arrives, once, in the committed files.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Db } from '../stages/lib/duckdb.ts';
import { UnitWriter, approxBytes, tableSchemas, writeDefaults } from '../stages/write/index.ts';
import type { ColumnSpec } from '../schemas/doc.ts';

const imageCols: ColumnSpec[] = [
  { name: 'image_id', type: 'VARCHAR', description: '' },
  { name: 'bytes', type: 'BLOB', description: '' },
];

describe('UnitWriter shard limits', () => {
  it('approxBytes counts strings, BLOBs and lists', () => {
    expect(approxBytes(['ab', new Uint8Array(1000), [1, 2, 3]])).toBe(8 + 2 + 1000 + 24);
    expect(approxBytes({ a: 'xyz', b: null })).toBe(8 + 3 + 1);
  });

  it('a shard is written when the buffered rows pass shardBytes; every row is committed once', async () => {
    const out = await mkdtemp(join(tmpdir(), 'corpus-write-'));
    const db = await Db.open({ threads: 1 });
    try {
      const cfg = { ...writeDefaults, shardBytes: 3 * 1024 * 1024 };
      const w = await UnitWriter.open(db, out, 'unit', tableSchemas([], { images: imageCols }), cfg);
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push(`img-${i}`);
        await w.writeRow('images', { image_id: `img-${i}`, bytes: new Uint8Array(randomBytes(1024 * 1024)) });
      }
      const { files, rows } = await w.commit();
      expect(rows.images).toBe(10);
      const shards = (await readdir(join(out, 'images'))).filter((f) => f.endsWith('.parquet'));
      expect(shards.length).toBe(4); // 3 + 3 + 3 + 1 rows of 1 MiB under a 3 MiB bound
      expect(files.filter((f) => f.includes('/images/'))).toHaveLength(4);
      const got = await db.all(`SELECT image_id, octet_length(bytes) AS n FROM read_parquet('${out}/images/*.parquet') ORDER BY image_id`);
      expect(got.map((r) => r.image_id)).toEqual(ids.sort());
      expect(got.every((r) => Number(r.n) === 1024 * 1024)).toBe(true);
    } finally {
      db.close();
    }
  });

  it('a written shard frees its rows: what DuckDB holds stays about one shard, not every row of the unit', async () => {
    const out = await mkdtemp(join(tmpdir(), 'corpus-write-'));
    const db = await Db.open({ threads: 1 });
    try {
      const shardBytes = 3 * 1024 * 1024;
      const w = await UnitWriter.open(db, out, 'unit', tableSchemas([], { images: imageCols }), { ...writeDefaults, shardBytes });
      const held = async () => {
        const [r] = await db.all(`SELECT coalesce(sum(memory_usage_bytes), 0) AS n FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`);
        return Number(r!.n);
      };
      // Rows of text (as documents are): 30,000 rows of 1 KiB, 10 shards of ~3 MiB.
      const text = 'x'.repeat(1024);
      let most = 0;
      for (let i = 0; i < 30_000; i++) {
        await w.writeRow('images', { image_id: `${text}${i}`, bytes: null });
        if (i % 1000 === 999) most = Math.max(most, await held());
      }
      // Emptied by DELETE, the buffer table kept the blocks of every row (≈ 30 MiB here).
      expect(most).toBeLessThan(3 * shardBytes);
      const { rows } = await w.commit();
      expect(rows.images).toBe(30_000);
    } finally {
      db.close();
    }
  });
});
