/**
 * Property tests (fast-check) of the packer over random documents: text runs and images of 1–13
 * tiles at random δ, random bucket ranges and minFollow.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decompose, IGNORE_INDEX, packDocument, type DocImage } from '../stages/pack/index.ts';
import { V2PE_DELTAS } from '../stages/lib/v2pe.ts';

const TEXT = 7; // any id that is not a marker
const IMG = 1;
const CTX = 2;
const END = 3;

interface RandomDoc {
  ids: Int32Array;
  images: DocImage[];
}

const docArb = fc
  .array(
    fc.oneof(
      fc.record({ text: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ tiles: fc.integer({ min: 1, max: 13 }), tokensPerTile: fc.constantFrom(4, 64, 256), delta: fc.constantFrom(...V2PE_DELTAS) }),
    ),
    { maxLength: 12 },
  )
  .map((parts): RandomDoc => {
    const ids: number[] = [];
    const images: DocImage[] = [];
    for (const p of parts) {
      if ('text' in p) for (let i = 0; i < p.text; i++) ids.push(TEXT);
      else {
        const visual = p.tiles * p.tokensPerTile;
        images.push({ offset: ids.length, length: visual + 2, imageId: `i${images.length}`, tiles: p.tiles, delta: p.delta });
        ids.push(IMG);
        for (let k = 0; k < visual; k++) ids.push(CTX);
        ids.push(END);
      }
    }
    return { ids: Int32Array.from(ids), images };
  });

const optsArb = fc
  .record({ minLog2: fc.integer({ min: 4, max: 9 }), extra: fc.integer({ min: 0, max: 5 }), minFollow: fc.integer({ min: 1, max: 16 }) })
  .map(({ minLog2, extra, minFollow }) => ({ minLog2, maxLog2: minLog2 + extra, minFollow }));

/** Paper / OLMo-core binary decomposition of a text-only document: capped powers of two, largest first. */
function binaryReference(L: number, min: number, max: number): number[] {
  const out: number[] = [];
  for (let k = 30; k >= 0; k--) {
    if (!(L & (2 ** k))) continue;
    if (k > max) for (let n = 0; n < 2 ** (k - max); n++) out.push(2 ** max);
    else if (k >= min) out.push(2 ** k);
    else break;
  }
  return out;
}

describe('packer properties', () => {
  it('chunks: sizes, atomic images, δ spacing, conservation, positions restart and never decrease', () => {
    fc.assert(
      fc.property(docArb, optsArb, ({ ids, images }, opts) => {
        const { rows, droppedTokens } = packDocument({ docId: 'd', inputIds: ids, images }, opts);
        const covered = new Uint8Array(ids.length);
        for (const r of rows) {
          const n = r.input_ids.length;
          // length class: exactly the bucket for text-only documents, else in (bucket/2, bucket]; never above 2^max
          expect(r.bucket).toBeLessThanOrEqual(2 ** opts.maxLog2);
          expect(n).toBeGreaterThanOrEqual(2 ** opts.minLog2);
          expect(n).toBeLessThanOrEqual(r.bucket);
          expect(n * 2).toBeGreaterThan(r.bucket);
          if (images.length === 0) expect(n).toBe(r.bucket);
          // tokens are the document's own, in order
          for (let t = 0; t < n; t++) {
            if (r.input_ids[t] !== ids[r.doc_offset + t]) return false;
            if (covered[r.doc_offset + t]) return false;
            covered[r.doc_offset + t] = 1;
          }
          // positions restart at 0 and never decrease
          if (r.position_ids[0] !== 0) return false;
          for (let t = 1; t < n; t++) if (!(r.position_ids[t]! > r.position_ids[t - 1]!)) return false;
          // every image span lies whole inside the chunk, is ignored by the loss and keeps its δ spacing
          for (const s of r.image_spans) {
            if (s.offset < 0 || s.offset + s.length > n) return false;
            if (r.input_ids[s.offset] !== IMG || r.input_ids[s.offset + s.length - 1] !== END) return false;
            for (let k = 0; k < s.length; k++) if (r.labels[s.offset + k] !== IGNORE_INDEX) return false;
            for (let k = 1; k <= s.length - 2; k++) {
              if (r.position_ids[s.offset + k]! - r.position_ids[s.offset]! !== k * s.delta) return false;
            }
          }
        }
        // no image is split: each is wholly in a chunk or wholly dropped
        for (const im of images) {
          const inside = covered.subarray(im.offset, im.offset + im.length);
          if (!(inside.every((c) => c === 1) || inside.every((c) => c === 0))) return false;
        }
        // conservation: every token is in a row or counted as dropped
        const kept = rows.reduce((n, r) => n + r.input_ids.length, 0);
        const dropped = Object.values(droppedTokens).reduce((n, x) => n + (x ?? 0), 0);
        return kept + dropped === ids.length && covered.reduce((n, c) => n + c, 0) === kept;
      }),
      { numRuns: 150 },
    );
  });

  it('text-only documents get exactly the paper/OLMo binary decomposition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), optsArb, (L, opts) => {
        const d = decompose(L, [], opts);
        const sizes = d.chunks.map((c) => c.end - c.start);
        expect(sizes).toEqual(binaryReference(L, opts.minLog2, opts.maxLog2));
        expect(d.chunks.every((c, i) => c.start === (i === 0 ? 0 : d.chunks[i - 1]!.end))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
