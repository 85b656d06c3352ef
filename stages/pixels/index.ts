/**
 * pixels: only images with pixels become image tokens. Runs after every stage that removes or refuses
 * images (images, safety, dedup, coherence) and before tokenize: an image segment without an
 * image_id (its bytes were never had, were refused by the format/size filters, could not be decoded,
 * or a later stage marked it) is removed from the document, so no `<img>…</img>` span in docs, packed
 * or varlen ever names an image a trainer cannot load. Then the document-level image-count rules
 * (OBELICS: 1-30 images) decide on the images that are left.
 *
 * The removed image's alt text, the page's own text equivalent of the image (WHATWG HTML, "the alt
 * attribute"), stays in its place as a text segment (tag 'img'), unless it is empty, a file name, or
 * already the text next to it (a caption repeating the alt). Captions are text segments already and
 * are never touched. A document left without images is a text document.
 */
import type { ColumnSpec, Doc, Segment } from '../../schemas/doc.ts';
import { docStage, drop } from '../../pipeline/stage.ts';
import { dropReason, thresholdRules, type Rule } from '../lib/rules.ts';

export interface PixelsThresholds {
  /**
   * Fewest images with pixels a document keeps. null = no minimum, so text documents stay (every page
   * of an offline run over a crawl without image records is one). OBELICS keeps documents with >= 1
   * image: set 1 for a multimodal-only corpus (rejects reason too_few_images).
   */
  minImagesPerDoc: number | null;
  /** Most images per document: OBELICS and MINT-1T drop documents with more than 30 (counted after their image filters, as here). */
  maxImagesPerDoc: number | null;
}

export interface PixelsConfig extends PixelsThresholds {
  /**
   * Keep image segments without pixels as placeholders (tokenized as `<img>…</img>` with nothing behind
   * them). Only for someone who fills them from elsewhere; a trainer cannot.
   */
  keepPlaceholders: boolean;
  /** A removed image's alt text becomes a text segment in its place. */
  altAsText: boolean;
}

export const pixelsDefaults: PixelsConfig = {
  minImagesPerDoc: null, // OBELICS: 1 (multimodal-only); off so text documents stay available
  maxImagesPerDoc: 30, // OBELICS, MINT-1T: <= 30 images per document
  keepPlaceholders: false,
  altAsText: true,
};

export const pixelsColumns: ColumnSpec[] = [
  { name: 'pixels_images_removed', type: 'INTEGER', description: 'pixels: image segments removed because no bytes are stored for them (stats: images_removed:<reason>)' },
  { name: 'pixels_alt_texts', type: 'INTEGER', description: "pixels: alt texts of removed images kept as text segments (tag 'img')" },
];

/** Document-level rules over `num_images` (image segments left, all with pixels), in order. */
export function pixelsRules(cfg: PixelsConfig): Rule[] {
  return thresholdRules<PixelsThresholds>({ minImagesPerDoc: cfg.minImagesPerDoc, maxImagesPerDoc: cfg.maxImagesPerDoc }, [], {
    minImagesPerDoc: ['too_few_images', 'num_images', 'min'],
    maxImagesPerDoc: ['too_many_images', 'num_images', 'max'],
  });
}

const FILE_NAME = /^[^\s/]+\.(?:png|jpe?g|gif|webp|svg|avif|bmp|ico|tiff?)$/i;
const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** The alt text worth keeping in place of a removed image, or null. */
export function altText(seg: Segment, before: Segment | undefined, after: Segment | undefined): string | null {
  const alt = seg.alt?.replace(/\s+/g, ' ').trim();
  if (!alt || FILE_NAME.test(alt)) return null;
  const a = norm(alt);
  for (const n of [before, after]) if (n?.kind === 'text' && n.text && norm(n.text).includes(a)) return null;
  return alt;
}

/** Why a segment has no pixels: the note the images stage (or a later one) left, else 'no_image_id'. */
const missingReason = (seg: Segment) => seg.note || 'no_image_id';

export interface PixelsResult {
  segments: Segment[];
  removed: string[];
  altTexts: number;
}

/** The document's segments with every image without pixels removed (its alt text left in place). */
export function keepImagesWithPixels(segments: Segment[], cfg: Pick<PixelsConfig, 'altAsText'>, bytesStored = true): PixelsResult {
  const out: Segment[] = [];
  const removed: string[] = [];
  let altTexts = 0;
  segments.forEach((seg, i) => {
    if (seg.kind !== 'image' || (seg.image_id && bytesStored)) {
      out.push(seg);
      return;
    }
    const reason = seg.image_id ? 'not_stored' : missingReason(seg);
    removed.push(reason);
    const alt = cfg.altAsText ? altText(seg, out.at(-1), segments[i + 1]) : null;
    if (alt !== null) {
      out.push({ kind: 'text', tag: 'img', text: alt, url: seg.url ?? null, alt: seg.alt, note: `no_pixels:${reason}` });
      altTexts++;
    }
  });
  return { segments: out, removed, altTexts };
}

export const pixelsStage = docStage<Doc, Doc, { pixels: PixelsConfig; images: { storeBytes: boolean } }>({
  name: 'pixels',
  columns: pixelsColumns,
  process(doc, ctx) {
    const cfg = ctx.config.pixels;
    let removed = 0;
    let altTexts = 0;
    if (cfg.keepPlaceholders) {
      for (const s of doc.segments) if (s.kind === 'image' && !s.image_id) ctx.counters.add(`placeholder:${missingReason(s)}`);
    } else {
      // images.storeBytes false keeps hashes and sizes but no bytes: then no image has pixels here.
      const r = keepImagesWithPixels(doc.segments, cfg, ctx.config.images.storeBytes);
      for (const reason of r.removed) ctx.counters.add(`images_removed:${reason}`);
      if (r.altTexts > 0) ctx.counters.add('alt_as_text', r.altTexts);
      doc.segments = r.segments;
      removed = r.removed.length;
      altTexts = r.altTexts;
    }
    doc.signals.pixels_images_removed = removed;
    doc.signals.pixels_alt_texts = altTexts;
    if (doc.segments.length === 0) return drop('empty', 'no segment left once images without pixels were removed');
    const numImages = doc.segments.filter((s) => s.kind === 'image').length;
    const reason = dropReason(pixelsRules(cfg), { num_images: numImages }, doc.lang);
    if (reason) return drop(reason, `${numImages} images with pixels (min ${cfg.minImagesPerDoc ?? 'none'}, max ${cfg.maxImagesPerDoc ?? 'none'})`);
    return doc;
  },
});
