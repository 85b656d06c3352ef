/**
 * One tokenized document -> training rows of the packed table: decompose (decompose.ts), then for
 * each chunk its ids, labels (image spans ignored), V2PE positions restarting at 0 (R6, with the
 * image's stored δ) and its image spans in chunk coordinates.
 */
import { v2pePositions } from '../lib/v2pe.ts';
import { decompose, type DecomposeOptions, type DropReason } from './decompose.ts';

/** Label of a token that is not trained on (visual tokens, image markers). Hugging Face / InternVL: -100. */
export const IGNORE_INDEX = -100;

export interface DocImage {
  /** Offset of `<img>` in the document's sequence; `length` = visual tokens + 2 markers. */
  offset: number;
  length: number;
  imageId: string | null;
  tiles: number;
  delta: number;
}

export interface PackInput {
  docId: string;
  inputIds: ArrayLike<number>;
  images: readonly DocImage[];
}

export interface ImageSpanRow {
  offset: number;
  length: number;
  image_id: string | null;
  tiles: number;
  delta: number;
}

export interface PackedRow {
  /** Bucket length 2^log2: the chunk has at most this many tokens (exactly this many when text-only). */
  bucket: number;
  doc_id: string;
  /** Index of the chunk in its document's decomposition (gaps = chunks dropped by R5). */
  chunk_index: number;
  /** Token offset of the chunk in the document. */
  doc_offset: number;
  input_ids: Int32Array;
  /** input_ids with IGNORE_INDEX on image spans; unshifted (the trainer shifts, as Hugging Face models do). */
  labels: Int32Array;
  position_ids: Float32Array;
  image_spans: ImageSpanRow[];
}

export type PackDropReason = DropReason | 'no_supervised';

export interface PackedDoc {
  rows: PackedRow[];
  /** Tokens not in any row, by reason. */
  droppedTokens: Partial<Record<PackDropReason, number>>;
}

export function packDocument(doc: PackInput, opts: DecomposeOptions): PackedDoc {
  const L = doc.inputIds.length;
  const images = doc.images;
  const { chunks, dropped } = decompose(
    L,
    images.map((im) => ({ start: im.offset, end: im.offset + im.length })),
    opts,
  );
  const droppedTokens: Partial<Record<PackDropReason, number>> = {};
  for (const d of dropped) droppedTokens[d.reason] = (droppedTokens[d.reason] ?? 0) + (d.end - d.start);

  const rows: PackedRow[] = [];
  let j = 0; // first image not before the current chunk
  chunks.forEach((c, chunkIndex) => {
    while (j < images.length && images[j]!.offset < c.start) j++;
    const spans: ImageSpanRow[] = [];
    for (let m = j; m < images.length && images[m]!.offset < c.end; m++) {
      const im = images[m]!;
      spans.push({ offset: im.offset - c.start, length: im.length, image_id: im.imageId, tiles: im.tiles, delta: im.delta });
    }
    const n = c.end - c.start;
    const inputIds = new Int32Array(n);
    for (let t = 0; t < n; t++) inputIds[t] = doc.inputIds[c.start + t]!;
    const labels = Int32Array.from(inputIds);
    for (const s of spans) labels.fill(IGNORE_INDEX, s.offset, s.offset + s.length);
    // R5: the trainer predicts token t from tokens < t, so a chunk needs a supervised token at t >= 1.
    let supervised = false;
    for (let t = 1; t < n && !supervised; t++) supervised = labels[t] !== IGNORE_INDEX;
    if (!supervised) {
      droppedTokens.no_supervised = (droppedTokens.no_supervised ?? 0) + n;
      return;
    }
    rows.push({
      bucket: 2 ** c.log2,
      doc_id: doc.docId,
      chunk_index: chunkIndex,
      doc_offset: c.start,
      input_ids: inputIds,
      labels,
      position_ids: v2pePositions(n, spans),
      image_spans: spans,
    });
  });
  return { rows, droppedTokens };
}
