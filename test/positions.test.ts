import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { v2pePositions, V2PE_DELTAS, segmentImageSpans } from '../stages/lib/v2pe.ts';
import { positionsStage, sampleDelta } from '../stages/positions/index.ts';
import { defaultConfig, type Config } from '../pipeline/config.ts';
import { testContext } from './helpers/context.ts';
import type { Doc, Segment } from '../schemas/doc.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* from<T>(xs: T[]): AsyncIterable<T> {
  yield* xs;
}

function doc(id: string, segments: Segment[], inputIds: number[]): Doc {
  return {
    id,
    url: 'https://example.org/',
    domain: 'example.org',
    title: null,
    fetchedAt: null,
    source: { file: 'x', offset: 0, recordId: null, recordType: 'file' },
    lang: null,
    langScore: null,
    segments,
    signals: { input_ids: inputIds },
  };
}

describe('V2PE positions (references/v2pe-dd.md §1.4 worked example)', () => {
  // [text ×10, image 800×600 = 13 tiles = 3328 visual tokens, text ×5], δ = 1/16
  const span = { offset: 10, length: 3328 + 2, delta: 1 / 16 };
  const pos = v2pePositions(3345, [span]);

  it('matches every check value of §5', () => {
    const expected: [number, number][] = [
      [0, 0], [9, 9], [10, 10], [11, 10.0625], [12, 10.125], [13, 10.1875], [266, 26], [267, 26.0625],
      [3336, 217.875], [3337, 217.9375], [3338, 218], [3339, 219], [3340, 220], [3344, 224],
    ];
    for (const [i, p] of expected) expect(pos[i], `pos[${i}]`).toBe(p);
    expect(pos).toBeInstanceOf(Float32Array);
    expect(pos.length).toBe(3345);
  });

  it('δ = 1 gives position = index', () => {
    const p = v2pePositions(3345, [{ ...span, delta: 1 }]);
    expect(Array.from(p)).toEqual(Array.from({ length: 3345 }, (_, i) => i));
  });

  it('ceil applies when N·δ is not an integer', () => {
    // 3 visual tokens at δ = 1/4: <img> at 0, visual 0.25 0.5 0.75, </img> at ceil(0.75)+1 = 2
    expect(Array.from(v2pePositions(6, [{ offset: 0, length: 5, delta: 0.25 }]))).toEqual([0, 0.25, 0.5, 0.75, 2, 3]);
  });

  it('rejects overlapping or out-of-range spans', () => {
    expect(() => v2pePositions(10, [{ offset: 0, length: 5, delta: 1 }, { offset: 3, length: 4, delta: 1 }])).toThrow(RangeError);
    expect(() => v2pePositions(4, [{ offset: 0, length: 5, delta: 1 }])).toThrow(RangeError);
  });

  it('property: integers outside images, δ spacing inside, non-decreasing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(20), fc.integer({ min: 0, max: 600 }), fc.constantFrom(...V2PE_DELTAS)), { maxLength: 5 }),
        fc.nat(20),
        (parts, tail) => {
          const spans = [];
          let at = 0;
          for (const [text, visual, delta] of parts) {
            at += text;
            spans.push({ offset: at, length: visual + 2, delta });
            at += visual + 2;
          }
          const n = at + tail;
          const p = v2pePositions(n, spans);
          for (let i = 1; i < n; i++) if (!(p[i]! > p[i - 1]!)) return false;
          const inside = new Uint8Array(n);
          for (const s of spans) {
            for (let k = 1; k <= s.length - 2; k++) {
              inside[s.offset + k] = 1;
              if (p[s.offset + k]! - p[s.offset]! !== k * s.delta) return false;
            }
          }
          for (let i = 0; i < n; i++) if (!inside[i] && !Number.isInteger(p[i])) return false;
          return true;
        },
      ),
    );
  });
});

describe('positions stage', () => {
  const segments = (): Segment[] => [
    { kind: 'text', text: 'ten tokens', tokens: 10 },
    { kind: 'image', url: 'https://example.org/a.jpg', width: 800, height: 600, tiles: 13, tokens: 3330 },
    { kind: 'text', text: 'four', tokens: 4 },
  ];
  const ids = Array.from({ length: 3345 }, (_, i) => i); // values do not matter to positions

  it('fixed δ reproduces the worked example and stores δ on the image segment', async () => {
    const config: Config = { ...defaultConfig, positions: { ...defaultConfig.positions, deltaMode: 'fixed', delta: 1 / 16 } };
    const [out] = await collect(positionsStage.transform(from([doc('d1', segments(), ids)]), testContext(config)));
    const pos = out!.signals.position_ids as number[];
    expect(pos[3339]).toBe(219);
    expect(pos[3344]).toBe(224);
    expect(out!.signals.max_position_id).toBe(224);
    expect(out!.segments[1]!.delta).toBe(1 / 16);
  });

  it('sampled δ is deterministic per (seed, doc, image) and covers the V2PE set', async () => {
    const run = async (seed: number) => {
      const config: Config = { ...defaultConfig, positions: { ...defaultConfig.positions, seed } };
      const [out] = await collect(positionsStage.transform(from([doc('d1', segments(), ids)]), testContext(config)));
      return out!;
    };
    const a = await run(7);
    const b = await run(7);
    expect(a.segments[1]!.delta).toBe(b.segments[1]!.delta);
    expect(a.signals.position_ids).toEqual(b.signals.position_ids);
    expect(V2PE_DELTAS).toContain(a.segments[1]!.delta);
    const seen = new Set(Array.from({ length: 400 }, (_, i) => sampleDelta(0, `doc${i}`, 0, V2PE_DELTAS)));
    expect(seen.size).toBe(9);
  });

  it('a document whose segments do not match its tokens goes to rejects, the batch goes on', async () => {
    const ctx = testContext(defaultConfig);
    const bad = doc('bad', segments(), ids.slice(0, 100));
    const good = doc('good', segments(), ids);
    const out = await collect(positionsStage.transform(from([bad, good]), ctx));
    expect(out.map((d) => d.id)).toEqual(['good']);
    expect(ctx.rejects.map((r) => [r.doc.id, r.reason])).toEqual([['bad', 'error:segments_mismatch']]);
  });

  it('segmentImageSpans finds offsets from per-segment token counts', () => {
    expect(segmentImageSpans(segments())).toEqual({ spans: [{ segment: 1, offset: 10, length: 3330 }], covered: 3344 });
  });
});
