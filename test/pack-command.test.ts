import { FIXTURES as CORPUS } from './helpers/fixtures.ts';
/**
 * End to end on real pages: corpus run (tokenize + positions) -> pack -> schedule -> export-varlen,
 * checked with SQL through the same query views a user has.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCorpus } from '../pipeline/run.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { queryCorpus } from '../pipeline/query.ts';
import { packCorpus, type PackManifest } from '../pipeline/commands/pack.ts';
import { writeSchedule } from '../pipeline/commands/schedule.ts';
import { exportVarlen } from '../pipeline/commands/export-varlen.ts';
import { packDefaults } from '../stages/pack/index.ts';

const PAGES = ['arabic_article', 'chinese_article', 'spanish_article'].map((s) => join(CORPUS, `html/newspaper4k/${s}.html`));

let out: string;
let manifest: PackManifest;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'pack-e2e-'));
  const input = join(root, 'pages');
  mkdirSync(input);
  for (const p of PAGES) copyFileSync(p, join(input, p.split('/').pop()!));
  out = join(root, 'out');
  // These HTML pages come without image bytes: keep their image spans as placeholders so the packing of
  // image spans is exercised (test/train-rows.test.ts checks the default, spans with pixels only).
  const config = structuredClone(defaultConfig);
  config.pixels.keepPlaceholders = true;
  await runCorpus({ inputs: [input], out, config, progress: false, log: () => {} });
  // small files so that a bucket spans several part files
  manifest = await packCorpus(out, { ...packDefaults, tokensPerFile: 512 });
});

describe('corpus pack on real pages', () => {
  it('conserves tokens: packed + counted drops = docs tokens', async () => {
    const [d] = await queryCorpus(out, 'select count(*)::INT n, sum(num_tokens)::INT tokens from docs');
    expect(manifest.docs.read).toBe(d!.n);
    expect(manifest.tokens.input).toBe(d!.tokens);
    const dropped = Object.values(manifest.tokens.dropped).reduce((a, b) => a + (b ?? 0), 0);
    expect(manifest.tokens.packed + dropped).toBe(manifest.tokens.input);
    const [p] = await queryCorpus(out, 'select sum(num_tokens)::INT tokens from packed');
    expect(p!.tokens).toBe(manifest.tokens.packed);
    expect(JSON.parse(readFileSync(join(out, '_meta', 'packed.json'), 'utf8')).tokens.packed).toBe(manifest.tokens.packed);
  });

  it('lengths match the bucket (len=N directory, bucket column, list lengths)', async () => {
    const rows = await queryCorpus(
      out,
      `select bucket, len::INT len, count(*)::INT n,
         bool_and(num_tokens <= bucket and num_tokens * 2 > bucket) in_class,
         bool_and(len(input_ids) = num_tokens and len(labels) = num_tokens and len(position_ids) = num_tokens) same_len,
         bool_and(position_ids[1] = 0) restarts,
         list_sort(list(seq_index)) = range(count(*)::INT) seq_ok
       from packed group by all order by bucket`,
    );
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) expect(r).toMatchObject({ len: r.bucket, in_class: true, same_len: true, restarts: true, seq_ok: true });
    expect(manifest.buckets.map((b) => b.bucket)).toEqual(rows.map((r) => r.bucket));
    expect(manifest.buckets.some((b) => b.files.length > 1)).toBe(true);
  });

  it('rows are slices of the documents; positions = document positions shifted to start at 0 (R6)', async () => {
    const rows = await queryCorpus(
      out,
      `select p.input_ids = d.input_ids[p.doc_offset + 1 : p.doc_offset + p.num_tokens] same_ids,
              p.position_ids::DOUBLE[] pos, d.position_ids[p.doc_offset + 1 : p.doc_offset + p.num_tokens]::DOUBLE[] doc_pos,
              p.image_spans spans, p.labels labels
       from packed p join docs d using (doc_id)`,
    );
    expect(rows.length).toBe(manifest.buckets.reduce((n, b) => n + b.sequences, 0));
    let images = 0;
    for (const r of rows) {
      expect(r.same_ids).toBe(true);
      const pos = r.pos as number[];
      const doc = r.doc_pos as number[];
      expect(Number.isInteger(doc[0])).toBe(true);
      expect(pos).toEqual(doc.map((x) => x - doc[0]!));
      for (const s of r.spans as { offset: number; length: number }[]) {
        images++;
        expect((r.labels as number[]).slice(s.offset, s.offset + s.length).every((l) => l === -100)).toBe(true);
      }
    }
    expect(images).toBeGreaterThan(0);
  });

  it('rerunning pack replaces the output (no duplicate rows)', async () => {
    const again = await packCorpus(out, { ...packDefaults, tokensPerFile: 512 });
    const [p] = await queryCorpus(out, 'select count(*)::INT n from packed');
    expect(p!.n).toBe(again.buckets.reduce((n, b) => n + b.sequences, 0));
    expect(again.tokens).toEqual(manifest.tokens);
  });

  it('schedule uses every packed sequence exactly once per bucket', async () => {
    const { steps } = await writeSchedule(out, { tokensPerStep: 8192 * 2, cycles: 2, seed: 3 });
    expect(steps.length).toBeGreaterThan(0);
    const rows = await queryCorpus(
      out,
      `select bucket, count(*)::INT n, count(distinct i)::INT d from (select bucket, unnest(seq_index) i from schedule) group by 1 order by 1`,
    );
    for (const r of rows) {
      const b = manifest.buckets.find((x) => x.bucket === r.bucket)!;
      expect([r.n, r.d]).toEqual([b.sequences, b.sequences]);
    }
    const [m] = await queryCorpus(out, 'select max(num_sequences * bucket)::INT most from schedule');
    expect(m!.most).toBeLessThanOrEqual(8192 * 2);
  });

  it('export-varlen rows hold every packed token with cu_seqlens boundaries', async () => {
    const s = await exportVarlen(out, 8192 * 2);
    expect(s.tokens).toBe(manifest.tokens.packed);
    const rows = await queryCorpus(
      out,
      `select bool_and(cu_seqlens[-1] = num_tokens and cu_seqlens[1] = 0 and len(cu_seqlens) = num_sequences + 1) ok,
              max(num_tokens)::INT most, sum(num_sequences)::INT seqs from varlen`,
    );
    expect(rows[0]).toMatchObject({ ok: true, seqs: manifest.buckets.reduce((n, b) => n + b.sequences, 0) });
    expect(rows[0]!.most).toBeLessThanOrEqual(8192 * 2);
  });
});
