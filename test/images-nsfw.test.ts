/**
 * The NSFW scorer (nsfwjs' MobileNetV2 weights converted to ONNX, run by onnxruntime-node) against
 * nsfwjs itself on tfjs-WASM, on every real image of ../shared/corpus (81 distinct images from its
 * WARC files: archive.org 2008, Wikipedia 2013, iana.org ...), each given to both as the same 224x224
 * thumbnail the images stage decodes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNsfwClassifier, type NsfwClassifier, type NsfwScores } from '../stages/images/nsfw.ts';
import { decodeThumbnail } from '../stages/images/sharp.ts';
import { corpusImages } from './helpers/corpus-images.ts';
import { loadNsfwjsReference } from './helpers/nsfwjs-reference.ts';

const CLASSES = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'] as const;
const maxDiff = (a: NsfwScores, b: NsfwScores) => Math.max(...CLASSES.map((k) => Math.abs(a[k] - b[k])));

let thumbs: { url: string; rgb: Buffer }[];
let reference: NsfwClassifier;

beforeAll(async () => {
  thumbs = [];
  for (const img of await corpusImages()) {
    const rgb = await decodeThumbnail(img.bytes, 224, 50_000_000).catch(() => null);
    if (rgb) thumbs.push({ url: img.url, rgb });
  }
  reference = await loadNsfwjsReference();
});

describe('NSFW scores on onnxruntime = nsfwjs', () => {
  it('within 1e-3 of nsfwjs on every real corpus image that decodes', { timeout: 300_000 }, async () => {
    expect(thumbs.length).toBeGreaterThanOrEqual(60);
    const classify = await loadNsfwClassifier({ threads: 1, batch: 8 });
    // All at once: the batcher groups them, as it does for a page's images in the stage.
    const ours = await Promise.all(thumbs.map((t) => classify(t.rgb)));
    let worst = 0;
    const neutral: number[] = [];
    for (const [i, t] of thumbs.entries()) {
      const ref = await reference(t.rgb);
      const d = maxDiff(ours[i]!, ref);
      if (d > 1e-3) throw new Error(`${t.url}: scores differ by ${d}`);
      worst = Math.max(worst, d);
      expect(CLASSES.reduce((s, k) => s + ours[i]![k], 0)).toBeCloseTo(1, 4);
      neutral.push(ours[i]!.neutral);
    }
    expect(worst).toBeLessThanOrEqual(1e-3);
    // The images are told apart (not one constant answer).
    expect(Math.max(...neutral) - Math.min(...neutral)).toBeGreaterThan(0.3);
  });

  it('batched and one-at-a-time inference give the same scores; a wrong-sized input is refused', async () => {
    const batched = await loadNsfwClassifier({ threads: 1, batch: 8 });
    const some = thumbs.slice(0, 12);
    const together = await Promise.all(some.map((t) => batched(t.rgb)));
    const single = await loadNsfwClassifier({ threads: 1, batch: 1 });
    for (const [i, t] of some.entries()) expect(maxDiff(await single(t.rgb), together[i]!)).toBeLessThan(1e-5);
    await expect(single(new Uint8Array(10))).rejects.toThrow(/224x224 RGB/);
  });
});
