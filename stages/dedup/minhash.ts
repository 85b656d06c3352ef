/**
 * MinHash signatures over word shingles, and LSH banding.
 *
 * Written here rather than taken from npm: the packages that offer MinHash (minhash 0.0.9, unmaintained;
 * bloom-filters' MinHash, which wants integer inputs below a fixed maximum and has no banding) give
 * neither the speed nor a signature layout the global SQL pass can band-join on. The algorithm is
 * the usual one (Broder 1997; datatrove's MinhashConfig: word 5-grams, 14 bands x 8 rows):
 *   1. normalise the text (lower case, no diacritics, digits -> 0, punctuation dropped) and split it
 *      into words; scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar) give one
 *      word per character, so Chinese or Thai pages get shingles too;
 *   2. hash every run of `ngram` consecutive words of a paragraph (a shingle) to 32 bits;
 *   3. for each of k = bands x rows hash functions keep the minimum over the shingles.
 * Two documents agree at a position of their signatures with probability equal to the Jaccard
 * similarity of their shingle sets; they become LSH candidates when all `rows` positions of at least
 * one band agree, which happens with probability 1 - (1 - s^rows)^bands.
 *
 * 32-bit values: collisions of two different minima happen with probability 2^-32 per position, far
 * below the estimator's own noise (std sqrt(s(1-s)/k) ~ 0.04 at s = 0.8, k = 112), and plain JS
 * numbers stay fast (no BigInt).
 */

export interface MinhashParams {
  /** Words per shingle. */
  ngram: number;
  /** LSH bands; bands x rowsPerBand hash functions in all. */
  bands: number;
  rowsPerBand: number;
  /** Seed of the hash family: signatures are comparable only between runs with the same seed. */
  seed: number;
}

// Character classes of the word scanner, precomputed for the Basic Multilingual Plane.
const SEP = 0; // ends a word (space, punctuation, symbols)
const LETTER = 1; // part of a word
const DIGIT = 2; // part of a word; a run of digits counts as one "0" (numbers are normalised away)
const MARK = 3; // combining mark: dropped, does not end the word (so "cafe\u0301" = "cafe")
const NO_SPACE = 4; // script written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar): a word alone

const NO_SPACE_RE = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]/u;

function classify(ch: string): number {
  if (/\p{M}/u.test(ch)) return MARK;
  if (NO_SPACE_RE.test(ch)) return NO_SPACE;
  if (/\p{Nd}/u.test(ch)) return DIGIT;
  if (/[\p{L}\p{N}]/u.test(ch)) return LETTER;
  return SEP;
}

const BMP_CLASS = (() => {
  const t = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) t[c] = classify(String.fromCharCode(c));
  return t;
})();
const ASCII_RE = /^[\x00-\x7f]*$/;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The words MinHash sees, as 32-bit hashes, in order: lower case, diacritics (NFKD marks) and
 * punctuation gone, every digit run is "0". A hand-written scanner over a class table: 10x faster
 * than a Unicode-property regex and it never builds the word strings.
 */
export function wordHashes(text: string): Uint32Array {
  // NFKD is the slow part; ASCII text has nothing to decompose.
  const t = (ASCII_RE.test(text) ? text : text.normalize('NFKD')).toLowerCase();
  let out = new Uint32Array(Math.max(16, t.length >>> 2));
  let n = 0;
  const push = (h: number) => {
    if (n === out.length) {
      const bigger = new Uint32Array(out.length * 2);
      bigger.set(out);
      out = bigger;
    }
    out[n++] = fmix32(h);
  };
  let h = FNV_OFFSET;
  let inWord = false;
  let prevDigit = false;
  for (let i = 0; i < t.length; i++) {
    let c = t.charCodeAt(i);
    let cls: number;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < t.length) {
      // Astral code point (emoji, rare CJK): classify it on the fly.
      const cp = t.codePointAt(i)!;
      cls = classify(String.fromCodePoint(cp));
      c = cp;
      i++;
    } else cls = BMP_CLASS[c]!;
    if (cls === LETTER || (cls === DIGIT && !prevDigit)) {
      if (!inWord) h = FNV_OFFSET;
      h = Math.imul(h ^ (cls === DIGIT ? 48 : c), FNV_PRIME);
      inWord = true;
      prevDigit = cls === DIGIT;
    } else if (cls !== DIGIT && cls !== MARK) {
      // (A digit after a digit, or a combining mark, stays in the word and changes nothing.)
      if (inWord) push(h);
      inWord = false;
      prevDigit = false;
      if (cls === NO_SPACE) push(Math.imul(FNV_OFFSET ^ c, FNV_PRIME));
    }
  }
  if (inWord) push(h);
  return out.subarray(0, n);
}

/** murmur3's 32-bit finaliser: a bijective mix with good avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Number of words MinHash sees in a text. */
export function wordCount(text: string): number {
  return wordHashes(text).length;
}

/**
 * The distinct 32-bit shingle hashes of a text: every run of `ngram` words within a paragraph (lines
 * of the text); a paragraph with fewer words is one shingle. Shingles never span two paragraphs, so
 * reordering paragraphs (a moved sidebar, a shuffled page) does not change the set. Empty when the
 * text has no words.
 */
export function shingleHashes(text: string, ngram: number): Uint32Array {
  let out = new Uint32Array(64);
  let n = 0;
  for (const para of text.split('\n')) {
    const wh = wordHashes(para);
    if (wh.length === 0) continue;
    const g = Math.min(ngram, wh.length);
    const count = wh.length - g + 1;
    if (n + count > out.length) {
      const bigger = new Uint32Array(Math.max(out.length * 2, n + count));
      bigger.set(out.subarray(0, n));
      out = bigger;
    }
    for (let i = 0; i < count; i++) {
      let h = 0x9747b28c ^ g;
      for (let j = 0; j < g; j++) h = Math.imul((h ^ wh[i + j]!) >>> 0, 0x5bd1e995) ^ (h >>> 15);
      out[n++] = fmix32(h);
    }
  }
  // Distinct values: MinHash works on sets, and repeated shingles cost time for nothing.
  const all = out.subarray(0, n).sort();
  let m = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[m - 1]) all[m++] = all[i]!;
  return all.subarray(0, m);
}

/** splitmix32: the per-function seeds, reproducible from one seed. */
function seedsFor(k: number, seed: number): Uint32Array {
  const out = new Uint32Array(k);
  let s = seed >>> 0;
  for (let i = 0; i < k; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    out[i] = (z ^ (z >>> 15)) >>> 0;
  }
  return out;
}

/** Computes signatures for one parameter set (seeds prepared once). */
export class MinHasher {
  readonly k: number;
  private readonly seeds: Int32Array;
  constructor(readonly params: MinhashParams) {
    this.k = params.bands * params.rowsPerBand;
    this.seeds = new Int32Array(seedsFor(this.k, params.seed).buffer);
  }

  /** Signature of a text; null when the text has no words (nothing to compare). */
  signature(text: string): Uint32Array | null {
    return this.signatureOfShingles(shingleHashes(text, this.params.ngram));
  }

  signatureOfShingles(shingles: Uint32Array): Uint32Array | null {
    if (shingles.length === 0) return null;
    const k = this.k;
    const seeds = this.seeds;
    // Minima are kept as signed int32 of (h xor 2^31), which orders like the unsigned h: the hot
    // loop then stays in int32 arithmetic (3x faster in V8 than comparing unsigned doubles).
    const mins = new Int32Array(k).fill(0x7fffffff);
    for (let i = 0; i < shingles.length; i++) {
      const x = shingles[i]! | 0;
      for (let j = 0; j < k; j++) {
        // h_j(x) = fmix32(x xor seed_j): k different bijections of the 32-bit space.
        let h = x ^ seeds[j]!;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        h ^= 0x80000000;
        if (h < mins[j]!) mins[j] = h;
      }
    }
    const sig = new Uint32Array(k);
    for (let j = 0; j < k; j++) sig[j] = (mins[j]! ^ 0x80000000) >>> 0;
    return sig;
  }
}

/** Positions at which two signatures agree (the Jaccard estimate is this / k). */
export function matchingPositions(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) m++;
  return m;
}

/**
 * Fewest agreeing positions for a pair to count as near duplicates at `threshold`. Integer, so the
 * in-run stage and the SQL pass make the same decision without float rounding differences.
 */
export function minMatches(threshold: number, k: number): number {
  return Math.ceil(threshold * k - 1e-9);
}

/** 31-bit key of band `b` (a small integer, so it is a cheap Map key); collisions are verified. */
export function bandKey(sig: Uint32Array, b: number, rows: number): number {
  let h = 0x3c6ef372 ^ b;
  for (let i = b * rows; i < (b + 1) * rows; i++) h = Math.imul(h ^ sig[i]!, 0x9e3779b1) ^ (h >>> 13);
  return fmix32(h) & 0x7fffffff;
}

/** Two independent 32-bit mixes of positions [from, to) of a signature, as one unsigned 64-bit key. */
function key64(sig: ArrayLike<number>, from: number, to: number, salt: number): bigint {
  let h1 = 0x3c6ef372 ^ salt;
  let h2 = 0x5be0cd19 ^ Math.imul(salt, 0x85ebca6b);
  for (let i = from; i < to; i++) {
    h1 = Math.imul(h1 ^ sig[i]!, 0x9e3779b1) ^ (h1 >>> 13);
    h2 = Math.imul(h2 ^ sig[i]!, 0xc2b2ae35) ^ (h2 >>> 15);
  }
  return (BigInt(fmix32(h1 ^ (to - from)) >>> 0) << 32n) | BigInt(fmix32(h2 ^ (to - from)) >>> 0);
}

/**
 * 64-bit key of band `b` and of the whole signature, as the dedup stage writes them to the
 * `dedup_bands` table for the global pass (which verifies every candidate against the signatures,
 * so a collision costs a comparison, never a wrong pair).
 */
export function bandKey64(sig: ArrayLike<number>, b: number, rows: number): bigint {
  return key64(sig, b * rows, (b + 1) * rows, b + 1);
}

export function signatureKey64(sig: ArrayLike<number>): bigint {
  return key64(sig, 0, sig.length, 0);
}

/** Whether band `b` of two signatures agrees at every row. */
export function bandEqual(a: Uint32Array, b: Uint32Array, band: number, rows: number): boolean {
  for (let i = band * rows; i < (band + 1) * rows; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Probability that two documents of Jaccard similarity `s` share at least one band. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}

/** Similarity where the LSH S-curve is steepest, (1/bands)^(1/rows): the threshold banding implies. */
export function lshThreshold(bands: number, rows: number): number {
  return (1 / bands) ** (1 / rows);
}

/** Exact Jaccard similarity of two sorted distinct arrays (the ground truth of the eval). */
export function jaccardSorted(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      inter++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}
