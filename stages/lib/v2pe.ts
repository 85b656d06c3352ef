/**
 * V2PE position ids (references/v2pe-dd.md §1.3, V2PE's `get_rope_pos_id`). Shared by the positions
 * stage (whole documents) and the packer (each chunk again from 0), so it lives in stages/lib.
 *
 * Text tokens, `<img>` and `</img>` advance the position by 1. The k-th visual token of an image
 * (k = 1..N) sits at pos(<img>) + k·δ, and `</img>` at ceil(pos(<img>) + N·δ) + 1.
 * Computed in float64, stored as float32 (what the V2PE code feeds RoPE); never rounded to integers.
 */

/** An image span in a token sequence: `<img>` at `offset`, `length` = visual tokens + 2 markers. */
export interface PositionSpan {
  offset: number;
  length: number;
  /** Position step of this image's visual tokens (1, 1/2, ..., 1/256 in V2PE). */
  delta: number;
}

/** The V2PE strides of `v2pe_rnd` as δ values: 1, 1/2, ..., 1/256. */
export const V2PE_DELTAS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256].map((s) => s / 256).reverse();

/**
 * Positions of a sequence of `length` tokens whose image spans are `spans` (ascending, non-overlapping,
 * inside the sequence). The first token gets 0.
 */
export function v2pePositions(length: number, spans: readonly PositionSpan[]): Float32Array {
  const out = new Float32Array(length);
  let last = -1; // position of the previous token; always an integer between images
  let t = 0;
  for (const span of spans) {
    const visual = span.length - 2;
    if (span.offset < t || visual < 0 || span.offset + span.length > length || !(span.delta > 0)) {
      throw new RangeError(`bad image span offset=${span.offset} length=${span.length} delta=${span.delta} (sequence ${length}, next free ${t})`);
    }
    for (; t <= span.offset; t++) out[t] = ++last; // text up to and including <img>
    for (let k = 1; k <= visual; k++) out[t++] = last + k * span.delta;
    last = Math.ceil(last + visual * span.delta);
    out[t++] = ++last; // </img>
  }
  for (; t < length; t++) out[t] = ++last;
  return out;
}

/** An image segment's span in its document's token sequence. */
export interface SegmentSpan {
  /** Index of the image in doc.segments. */
  segment: number;
  offset: number;
  length: number;
}

/**
 * Image spans of a tokenized document, from the per-segment token counts the tokenize stage wrote
 * (offsets are running sums of `segment.tokens`). Also returns the tokens the segments cover
 * (the document's sequence is that plus the end-of-document token, when one is appended).
 */
export function segmentImageSpans(segments: readonly { kind: string; tokens?: number | null }[]): {
  spans: SegmentSpan[];
  covered: number;
} {
  const spans: SegmentSpan[] = [];
  let offset = 0;
  segments.forEach((s, i) => {
    const n = s.tokens ?? 0;
    if (s.kind === 'image' && n > 0) spans.push({ segment: i, offset, length: n });
    offset += n;
  });
  return { spans, covered: offset };
}
