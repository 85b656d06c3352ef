import { describe, expect, it } from 'vitest';
import {
  buildSchedule,
  ceilLog2,
  concatVarlen,
  decompose,
  floorLog2,
  growP2Odds,
  IGNORE_INDEX,
  packDefaults,
  packDocument,
  varlenRows,
} from '../stages/pack/index.ts';

const opts = { minLog2: 8, maxLog2: 13, minFollow: 1 };
const lengths = (length: number, images: { start: number; end: number }[] = []) =>
  decompose(length, images, opts).chunks.map((c) => [c.start, c.end, c.log2]);

describe('exact log2', () => {
  it('is exact at and around powers of two', () => {
    for (let k = 0; k <= 30; k++) {
      expect(floorLog2(2 ** k)).toBe(k);
      expect(ceilLog2(2 ** k)).toBe(k);
      if (k >= 2) {
        expect(floorLog2(2 ** k - 1)).toBe(k - 1);
        expect(ceilLog2(2 ** k + 1)).toBe(k + 1);
      }
    }
  });
});

describe('Dataset Decomposition, text only (references/v2pe-dd.md §2.2 b)', () => {
  it('L = 1000 -> [0,512) D_9, [512,768) D_8, 232 dropped', () => {
    const d = decompose(1000, [], opts);
    expect(d.chunks).toEqual([{ start: 0, end: 512, log2: 9 }, { start: 512, end: 768, log2: 8 }]);
    expect(d.dropped).toEqual([{ start: 768, end: 1000, reason: 'tail' }]);
  });

  it('L = 20000 -> 8192, 8192, 2048, 1024, 512; 32 dropped', () => {
    const d = decompose(20000, [], opts);
    expect(d.chunks.map((c) => c.end - c.start)).toEqual([8192, 8192, 2048, 1024, 512]);
    expect(d.dropped).toEqual([{ start: 19968, end: 20000, reason: 'tail' }]);
  });

  it('documents shorter than the smallest bucket are dropped whole', () => {
    expect(decompose(255, [], opts)).toEqual({ chunks: [], dropped: [{ start: 0, end: 255, reason: 'tail' }] });
    expect(lengths(256)).toEqual([[0, 256, 8]]);
  });
});

describe('MM-DD with atomic images (references/v2pe-dd.md §4.3)', () => {
  it('A: [text×10, 13-tile image, text×5] -> one chunk of 3345 in D_12', () => {
    expect(lengths(3345, [{ start: 10, end: 3340 }])).toEqual([[0, 3345, 12]]);
  });

  it('B: snap back to before <img>, then grow to keep the image with its caption', () => {
    expect(lengths(5231, [{ start: 1500, end: 4830 }])).toEqual([[0, 1500, 11], [1500, 5231, 12]]);
  });

  it('C: ideal cut 2048 is legal; tail of 131 cannot be absorbed and is dropped', () => {
    const d = decompose(2179, [{ start: 300, end: 558 }, { start: 1258, end: 2028 }], opts);
    expect(d.chunks).toEqual([{ start: 0, end: 2048, log2: 11 }]);
    expect(d.dropped).toEqual([{ start: 2048, end: 2179, reason: 'tail' }]);
  });

  it('D: text-only L = 1000 is plain DD', () => {
    expect(lengths(1000)).toEqual([[0, 512, 9], [512, 768, 8]]);
  });

  it('snaps back over consecutive images; the tail after a chunk is dropped (R3 never absorbs after R2)', () => {
    // k=9: cut 512 is inside image 2 -> snap to 460 (legal: image 1 ended at 300) -> [0,460) D_9; tail 240 dropped
    const d = decompose(700, [{ start: 0, end: 300 }, { start: 460, end: 520 }], opts);
    expect(d.chunks).toEqual([{ start: 0, end: 460, log2: 9 }]);
    expect(d.dropped).toEqual([{ start: 460, end: 700, reason: 'tail' }]);
    // minFollow: a cut right after </img> is illegal, so 301 snaps to 0 and the chunk grows to L
    expect(lengths(301, [{ start: 0, end: 300 }])).toEqual([[0, 301, 9]]);
    expect(lengths(512, [{ start: 0, end: 256 }])).toEqual([[0, 512, 9]]);
  });

  it('an image that cannot fit in the largest bucket is dropped with the text before it', () => {
    const small = { minLog2: 4, maxLog2: 6, minFollow: 1 }; // buckets 16..64
    // text 5, image of 70 tokens [5,75), text 40
    const d = decompose(115, [{ start: 5, end: 75 }], small);
    expect(d.dropped).toEqual([{ start: 0, end: 75, reason: 'image_no_fit' }, { start: 107, end: 115, reason: 'tail' }]);
    expect(d.chunks).toEqual([{ start: 75, end: 107, log2: 5 }]);
  });
});

describe('packDocument', () => {
  it('restarts V2PE positions per chunk with the stored δ and ignores image spans in labels', () => {
    // example B with δ = 1/16: text ×1500, 13-tile image [1500,4830), caption ×401
    const ids = new Int32Array(5231);
    for (let i = 0; i < 5231; i++) ids[i] = i < 1500 || i >= 4830 ? 1000 + (i % 7) : i === 1500 ? 1 : i === 4829 ? 2 : 3;
    const r = packDocument(
      { docId: 'b', inputIds: ids, images: [{ offset: 1500, length: 3330, imageId: 'img-1', tiles: 13, delta: 1 / 16 }] },
      opts,
    );
    expect(r.rows.map((x) => [x.bucket, x.input_ids.length, x.chunk_index, x.doc_offset])).toEqual([
      [2048, 1500, 0, 0],
      [4096, 3731, 1, 1500],
    ]);
    const [text, img] = r.rows as [typeof r.rows[0], typeof r.rows[0]];
    expect(text.image_spans).toEqual([]);
    expect(Array.from(text.labels)).toEqual(Array.from(text.input_ids));
    expect(img.image_spans).toEqual([{ offset: 0, length: 3330, image_id: 'img-1', tiles: 13, delta: 1 / 16 }]);
    // Chunk-local positions (§4.3 B): <img> 0, ctx 0.0625 … 208, </img> 209, caption 210 … 610
    const p = img.position_ids;
    expect([p[0], p[1], p[3328], p[3329], p[3330], p[3730]]).toEqual([0, 0.0625, 208, 209, 210, 610]);
    expect(img.labels.slice(0, 3330).every((l) => l === IGNORE_INDEX)).toBe(true);
    expect(img.labels[3330]).toBe(img.input_ids[3330]);
    expect(r.droppedTokens).toEqual({});
  });

  it('drops a chunk with nothing to predict (R5) and counts its tokens', () => {
    // an image-only document: [<img> ... </img>] + 1 token = 260 tokens, label only at the last token
    const ids = new Int32Array(260).fill(3);
    const withText = packDocument({ docId: 'x', inputIds: ids, images: [{ offset: 0, length: 258, imageId: null, tiles: 1, delta: 1 }] }, opts);
    expect(withText.rows.length).toBe(1); // token 259 (after </img>) is supervised
    const none = packDocument({ docId: 'y', inputIds: ids.slice(0, 258), images: [{ offset: 0, length: 258, imageId: null, tiles: 1, delta: 1 }] }, opts);
    expect(none.rows).toEqual([]);
    expect(none.droppedTokens).toEqual({ no_supervised: 258 });
  });
});

describe('Grow-P2 curriculum', () => {
  it('odds formula', () => {
    expect(growP2Odds(6)).toEqual([32, 16, 8, 4, 2, 1]);
  });

  const buckets = [256, 512, 1024, 2048, 4096, 8192].map((length, i) => ({ length, sequences: [3200, 1600, 800, 400, 200, 100][i]! }));
  const opt = { tokensPerStep: 8192 * 4, cycles: 8, odds: growP2Odds(6), seed: 1 };
  const steps = buildSchedule(buckets, opt);

  it('uses every sequence exactly once, one bucket per step, constant tokens per full step', () => {
    for (const b of buckets) {
      const seen = steps.filter((s) => s.bucket === b.length).flatMap((s) => s.sequences);
      expect(seen.length).toBe(b.sequences);
      expect(new Set(seen).size).toBe(b.sequences);
    }
    // only the last batch of each bucket may be short
    const short = steps.filter((s) => s.sequences.length * s.bucket !== opt.tokensPerStep);
    expect(short.length).toBeLessThanOrEqual(buckets.length);
    expect(steps.every((s) => s.sequences.length * s.bucket <= opt.tokensPerStep)).toBe(true);
  });

  it('is seeded and goes short to long within each cycle', () => {
    expect(buildSchedule(buckets, opt)).toEqual(steps);
    expect(buildSchedule(buckets, { ...opt, seed: 2 })).not.toEqual(steps);
    const cycle0 = steps.filter((s) => s.cycle === 0);
    const half = Math.floor(cycle0.length / 2);
    const mean = (xs: typeof steps) => xs.reduce((n, s) => n + s.bucket, 0) / xs.length;
    expect(mean(cycle0.slice(0, half))).toBeLessThan(mean(cycle0.slice(half)));
    expect(new Set(steps.map((s) => s.cycle))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it('rejects a token budget that is not a multiple of every bucket length', () => {
    expect(() => buildSchedule(buckets, { ...opt, tokensPerStep: 5000 })).toThrow(RangeError);
  });
});

describe('varlen rows', () => {
  it('groups greedily under the budget', async () => {
    const parts = [300, 400, 500, 200, 1000].map((n, i) => ({
      doc_id: `d${i}`, chunk_index: 0, input_ids: new Int32Array(n), labels: new Int32Array(n), position_ids: new Float32Array(n), image_spans: [],
    }));
    const rows = [];
    for await (const r of varlenRows(parts, 1000)) rows.push(r);
    expect(rows.map((r) => Array.from(r.cu_seqlens))).toEqual([[0, 300, 700], [0, 500, 700], [0, 1000]]);
    const big = varlenRows([parts[4]!], 999);
    await expect(big.next()).rejects.toThrow(RangeError);
  });

  it('concatenates with cu_seqlens, restarts positions and ignores each first token', () => {
    const part = (n: number, doc: string) => ({
      doc_id: doc,
      chunk_index: 0,
      input_ids: Int32Array.from({ length: n }, (_, i) => 10 + i),
      labels: Int32Array.from({ length: n }, (_, i) => 10 + i),
      position_ids: Float32Array.from({ length: n }, (_, i) => i),
      image_spans: doc === 'b' ? [{ offset: 1, length: 2, image_id: null, tiles: 0, delta: 1 }] : [],
    });
    const row = concatVarlen([part(3, 'a'), part(4, 'b')]);
    expect(Array.from(row.cu_seqlens)).toEqual([0, 3, 7]);
    expect(Array.from(row.position_ids)).toEqual([0, 1, 2, 0, 1, 2, 3]);
    expect(Array.from(row.labels)).toEqual([IGNORE_INDEX, 11, 12, IGNORE_INDEX, 11, 12, 13]);
    expect(row.max_seqlen).toBe(4);
    expect(row.image_spans[0]!.offset).toBe(4);
    expect(packDefaults.minLog2).toBe(8);
  });
});
