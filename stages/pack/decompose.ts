/**
 * Dataset Decomposition of one document's token sequence into power-of-two length buckets, with
 * images kept whole: the MM-DD rules R1–R4 of references/v2pe-dd.md §4.2.
 *
 * Text-only documents get exactly the paper/OLMo-core binary decomposition (largest piece first,
 * pieces of exactly 2^k, pieces above 2^maxLog2 become several 2^maxLog2 pieces, the remainder
 * below 2^minLog2 is dropped). With images, a cut that would fall inside an image span (or leave
 * fewer than `minFollow` tokens after its `</img>`) moves back to before that `<img>`; when no
 * legal cut exists the piece grows to the next power of two; such chunks land in bucket ⌈log2 len⌉.
 */

export interface DecomposeOptions {
  /** Smallest bucket 2^minLog2; shorter remainders are dropped. DD≥256 setting of the paper: 8. */
  minLog2: number;
  /** Largest bucket 2^maxLog2; longer pieces are split. DD paper: 13 (8192). */
  maxLog2: number;
  /** Tokens after `</img>` that must stay in the image's chunk (R1's f ≥ 1). */
  minFollow: number;
}

/** An image span [start, end): `<img>` … `</img>`. */
export interface ImageRange {
  start: number;
  end: number;
}

export interface Chunk {
  start: number;
  end: number;
  /** Bucket exponent ⌈log2(end − start)⌉ (R4); the bucket length is 2^log2. */
  log2: number;
}

export type DropReason = 'tail' | 'image_no_fit';

export interface DroppedRange {
  start: number;
  end: number;
  reason: DropReason;
}

export interface Decomposition {
  chunks: Chunk[];
  dropped: DroppedRange[];
}

/** ⌊log2 n⌋ for 1 ≤ n < 2^31, exact (no Math.log2 rounding at powers of two). */
export function floorLog2(n: number): number {
  return 31 - Math.clz32(n);
}

/** ⌈log2 n⌉ for 1 ≤ n ≤ 2^31, exact. */
export function ceilLog2(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

export function checkDecomposeOptions(o: DecomposeOptions): void {
  if (!(Number.isInteger(o.minLog2) && Number.isInteger(o.maxLog2) && o.minLog2 >= 0 && o.minLog2 <= o.maxLog2 && o.maxLog2 <= 30)) {
    throw new RangeError(`bucket exponents must satisfy 0 ≤ minLog2 ≤ maxLog2 ≤ 30, got ${o.minLog2}..${o.maxLog2}`);
  }
  if (!(Number.isInteger(o.minFollow) && o.minFollow >= 1 && o.minFollow <= 2 ** o.minLog2)) {
    throw new RangeError(`minFollow must be an integer in 1..2^minLog2, got ${o.minFollow}`);
  }
}

/**
 * Split a sequence of `length` tokens with image spans `images` (ascending, non-overlapping) into
 * chunks. Every token ends up in exactly one chunk or one dropped range.
 */
export function decompose(length: number, images: readonly ImageRange[], opts: DecomposeOptions): Decomposition {
  const { minLog2, maxLog2, minFollow } = opts;
  const minLen = 2 ** minLog2;
  const chunks: Chunk[] = [];
  const dropped: DroppedRange[] = [];

  // The image that forbids a cut at c (R1): the last image starting before c, if c falls inside it or
  // within minFollow tokens after it. Earlier images end before it starts, so they cannot block c when it does not.
  const blocker = (c: number): number => {
    let lo = 0;
    let hi = images.length - 1;
    let j = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (images[mid]!.start < c) {
        j = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (j >= 0 && c < Math.min(images[j]!.end + minFollow, length)) return j;
    return -1;
  };

  let start = 0;
  while (start < length) {
    const remaining = length - start;
    if (remaining < minLen) {
      // R3 would let the tail join the previous chunk if that stays in its bucket, but after R2 it never
      // can: a chunk shorter than its 2^k is cut early only when the document goes on past start + 2^k.
      dropped.push({ start, end: length, reason: 'tail' });
      break;
    }
    // R2: largest legal cut in [start + 2^minLog2, start + 2^k], growing k when there is none.
    const lo = start + minLen;
    let k = Math.min(floorLog2(remaining), maxLog2);
    let end = -1;
    let lastBlocker = -1;
    for (;;) {
      let c = Math.min(start + 2 ** k, length);
      while (c >= lo) {
        const j = blocker(c);
        if (j < 0) break;
        lastBlocker = j;
        c = images[j]!.start;
      }
      if (c >= lo) {
        end = c;
        break;
      }
      if (k >= maxLog2) break;
      k++;
    }
    if (end < 0) {
      // No legal cut even at 2^maxLog2: the image where the snap-back chain stopped starts within the
      // first 2^minLog2 tokens and cannot fit with what follows it. Drop it with the text before it.
      const skipTo = images[lastBlocker]!.end;
      dropped.push({ start, end: skipTo, reason: 'image_no_fit' });
      start = skipTo;
      continue;
    }
    chunks.push({ start, end, log2: ceilLog2(end - start) });
    start = end;
  }
  return { chunks, dropped };
}
