/**
 * The pixels stage: image segments without bytes are removed before tokenize (their alt text kept as
 * text), counted by reason; the per-document image counts decide on what is left.
 */
import { describe, expect, it } from 'vitest';
import type { Doc, Segment } from '../schemas/doc.ts';
import { loadConfig } from '../pipeline/config.ts';
import { pixelsStage } from '../stages/pixels/index.ts';
import { testContext } from './helpers/context.ts';

const text = (t: string): Segment => ({ kind: 'text', tag: 'p', text: t });
const img = (id: string | null, note: string | null = null, alt: string | null = null): Segment => ({
  kind: 'image', tag: 'img', url: `https://example.org/${id ?? note}.png`, image_id: id, note, alt,
});
const doc = (id: string, segments: Segment[]): Doc => ({
  id, url: `https://example.org/${id}`, domain: 'example.org', title: null, fetchedAt: null, lang: 'eng', langScore: 1,
  source: { file: 'f', offset: 0, recordId: null, recordType: 'response' }, segments, signals: {},
});

async function run(docs: Doc[], overrides: unknown = {}) {
  const ctx = testContext(loadConfig(undefined, { pixels: overrides }));
  const out: Doc[] = [];
  async function* input() {
    yield* docs;
  }
  for await (const d of pixelsStage.transform(input(), ctx)) out.push(d);
  return { out, ctx };
}

describe('pixels stage', () => {
  it('removes images without an image_id, keeps alt text in place, counts by reason', async () => {
    const d = doc('a', [
      text('Intro paragraph about the painting.'),
      img('1'.repeat(64)),
      img(null, 'filter:too_small', '5 out of 5 stars'),
      img(null, 'fetch:offline', 'Archivetime.png'), // a file name is no text
      img(null, 'fetch:offline', 'The Mona Lisa'),
      text('The Mona Lisa, by Leonardo.'), // the caption repeats the alt: not doubled
      img(null, 'decode:format_svg', ''),
    ]);
    const { out, ctx } = await run([d]);
    expect(out).toHaveLength(1);
    const segs = out[0]!.segments;
    expect(segs.map((s) => [s.kind, s.text ?? s.image_id])).toEqual([
      ['text', 'Intro paragraph about the painting.'],
      ['image', '1'.repeat(64)],
      ['text', '5 out of 5 stars'],
      ['text', 'The Mona Lisa, by Leonardo.'],
    ]);
    expect(segs[2]).toMatchObject({ tag: 'img', note: 'no_pixels:filter:too_small' });
    expect(segs.filter((s) => s.kind === 'image').every((s) => s.image_id)).toBe(true);
    expect(out[0]!.signals).toMatchObject({ pixels_images_removed: 4, pixels_alt_texts: 1 });
    expect(Object.fromEntries(ctx.counters.values)).toMatchObject({
      'images_removed:filter:too_small': 1,
      'images_removed:fetch:offline': 2,
      'images_removed:decode:format_svg': 1,
      alt_as_text: 1,
    });
  });

  it('a document left without images stays a text document; min/max images decide on images with pixels', async () => {
    const docs = [
      doc('text-only', [text('Only text here.'), img(null, 'fetch:offline')]),
      doc('one', [text('One picture.'), img('2'.repeat(64))]),
      doc('many', [text('Gallery.'), ...Array.from({ length: 31 }, (_, i) => img(String(i).padStart(64, '0')))]),
    ];
    const dflt = await run(structuredClone(docs));
    expect(dflt.out.map((d) => d.id)).toEqual(['text-only', 'one']); // OBELICS cap: more than 30 images
    expect(dflt.ctx.rejects.map((r) => [r.doc.id, r.reason])).toEqual([['many', 'too_many_images']]);
    expect(dflt.out[0]!.segments).toEqual([text('Only text here.')]);

    const multimodal = await run(structuredClone(docs), { minImagesPerDoc: 1, maxImagesPerDoc: 1000 });
    expect(multimodal.out.map((d) => d.id)).toEqual(['one', 'many']);
    expect(multimodal.ctx.rejects.map((r) => [r.doc.id, r.reason])).toEqual([['text-only', 'too_few_images']]);
  });

  it('the old quality.minImages/maxImages keys are refused with where they moved (one decision, one place)', () => {
    expect(() => loadConfig(undefined, { quality: { maxImages: 30 } })).toThrow(/quality\.maxImages: moved to pixels\.maxImagesPerDoc/);
    expect(() => loadConfig(undefined, { quality: { minImages: 1 } })).toThrow(/quality\.minImages: moved to pixels\.minImagesPerDoc/);
  });

  it('keepPlaceholders leaves them (counted), altAsText false drops the alt', async () => {
    const d = () => doc('a', [text('x'), img(null, 'fetch:offline', 'A photo of a cat')]);
    const keep = await run([d()], { keepPlaceholders: true });
    expect(keep.out[0]!.segments).toHaveLength(2);
    expect(Object.fromEntries(keep.ctx.counters.values)).toMatchObject({ 'placeholder:fetch:offline': 1 });
    const noAlt = await run([d()], { altAsText: false });
    expect(noAlt.out[0]!.segments).toEqual([text('x')]);
  });
});
