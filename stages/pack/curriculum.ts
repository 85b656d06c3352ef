/**
 * Batch order of the Dataset-Decomposition variable-sequence-length curriculum (paper Algorithm 1,
 * references/v2pe-dd.md §2.4): every step takes one bucket and tokensPerStep / 2^i of its sequences,
 * so each step has the same token budget; within each of `cycles` cycles the bucket of the next step
 * is drawn with probability ∝ its odds among buckets that still have sequences in this cycle
 * (Grow-P2: odds 32,16,8,4,2,1 from the shortest bucket to the longest -> short first, long last).
 */

export interface BucketSize {
  /** Bucket length 2^i. */
  length: number;
  /** Sequences in the bucket, addressed by their index 0..sequences-1 (packed column seq_index). */
  sequences: number;
}

export interface ScheduleOptions {
  tokensPerStep: number;
  cycles: number;
  /** One weight per bucket, in the order of `buckets`. */
  odds: number[];
  seed: number;
}

export interface ScheduleStep {
  step: number;
  cycle: number;
  /** Bucket length of every sequence in the step. */
  bucket: number;
  /** seq_index values of the step's sequences (tokensPerStep / bucket of them; fewer only in the last batch of a bucket). */
  sequences: number[];
}

/** Grow-P2 odds for n buckets, shortest first: 2^(n-1), ..., 2, 1. */
export function growP2Odds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 ** (n - 1 - i));
}

/** Small seeded PRNG (mulberry32): the schedule must be identical on every rank and rerun. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildSchedule(buckets: readonly BucketSize[], opts: ScheduleOptions): ScheduleStep[] {
  const { tokensPerStep, cycles, odds } = opts;
  if (odds.length !== buckets.length) throw new RangeError(`${odds.length} odds for ${buckets.length} buckets`);
  if (!(Number.isInteger(cycles) && cycles >= 1)) throw new RangeError(`cycles must be a positive integer, got ${cycles}`);
  if (odds.some((o) => !(o > 0))) throw new RangeError(`odds must be positive, got ${odds.join(',')}`);
  for (const b of buckets) {
    if (b.sequences > 0 && (tokensPerStep < b.length || tokensPerStep % b.length !== 0)) {
      throw new RangeError(`tokensPerStep ${tokensPerStep} must be a multiple of every bucket length (bucket ${b.length})`);
    }
  }
  const rand = seededRandom(opts.seed);
  // Shuffle each bucket once, cut it into batches of tokensPerStep / length sequences (only the very
  // last batch of a bucket can be short), and deal the batches into `cycles` contiguous, near-equal parts.
  const parts = buckets.map((b) => {
    const idx = Array.from({ length: b.sequences }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [idx[i], idx[k]] = [idx[k]!, idx[i]!];
    }
    const per = tokensPerStep / b.length;
    const batches: number[][] = [];
    for (let s = 0; s < idx.length; s += per) batches.push(idx.slice(s, s + per));
    return Array.from({ length: cycles }, (_, c) =>
      batches.slice(Math.floor((c * batches.length) / cycles), Math.floor(((c + 1) * batches.length) / cycles)),
    );
  });

  const steps: ScheduleStep[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    const pending = parts.map((p) => p[cycle]!);
    const next = buckets.map(() => 0);
    for (;;) {
      let total = 0;
      for (let i = 0; i < buckets.length; i++) if (next[i]! < pending[i]!.length) total += odds[i]!;
      if (total === 0) break;
      let r = rand() * total;
      let pick = -1;
      for (let i = 0; i < buckets.length; i++) {
        if (next[i]! >= pending[i]!.length) continue;
        pick = i;
        r -= odds[i]!;
        if (r < 0) break;
      }
      steps.push({ step: steps.length, cycle, bucket: buckets[pick]!.length, sequences: pending[pick]![next[pick]!++]! });
    }
  }
  return steps;
}
