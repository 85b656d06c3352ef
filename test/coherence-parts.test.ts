/**
 * The coherence stage's numeric parts on their own: the Lanczos eigenvector behind coh_text_bisect
 * (stages/coherence/lanczos.ts) and the paragraph style contrast behind coh_text_block_style (style.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leadingEigenvector, topEigenvectorTridiagonal } from '../stages/coherence/lanczos.ts';
import { spectralNormalizedCut } from '../stages/coherence/signals.ts';
import { styleContrast, styleOf } from '../stages/coherence/style.ts';
import { coherenceDefaults } from '../stages/coherence/index.ts';

/** Dense symmetric matrix times vector, and the top eigenvector by many power iterations (the reference). */
const matVec = (A: number[][], v: Float64Array) => Float64Array.from(A.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)));
function powerTop(A: number[][], known: Float64Array | null, iterations = 20000): Float64Array {
  const n = A.length;
  let v = new Float64Array(n).map((_, i) => Math.cos(1 + 2.3 * i));
  for (let it = 0; it < iterations; it++) {
    if (known) {
      const d = v.reduce((s, x, i) => s + x * known[i]!, 0);
      v = v.map((x, i) => x - d * known[i]!);
    }
    // Shifted so that every eigenvalue is positive: the largest is the one that dominates.
    const w = matVec(A, v).map((x, i) => x + 10 * v[i]!);
    const norm = Math.hypot(...w);
    v = w.map((x) => x / norm);
  }
  return v;
}

describe('Lanczos eigenvector', () => {
  it('finds the top eigenvector of small symmetric tridiagonal matrices', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 2, maxLength: 9 }), fc.array(fc.double({ min: 0.05, max: 2, noNaN: true }), { minLength: 8, maxLength: 8 }), (a, bAll) => {
        const b = bAll.slice(0, a.length - 1);
        const A = a.map((_, i) => a.map((__, j) => (i === j ? a[i]! : Math.abs(i - j) === 1 ? b[Math.min(i, j)]! : 0)));
        // An eigenvector (small residual), and of the largest eigenvalue: its Rayleigh quotient is at least what
        // a long power iteration reaches (close eigenvalues make comparing the vectors themselves ill-posed).
        const y = Float64Array.from(topEigenvectorTridiagonal(a, b));
        const rq = (v: Float64Array) => matVec(A, v).reduce((acc, x, i) => acc + x * v[i]!, 0) / v.reduce((acc, x) => acc + x * x, 0);
        const lambda = rq(y);
        const residual = Math.hypot(...matVec(A, y).map((x, i) => x - lambda * y[i]!)) / Math.hypot(...y);
        expect(residual).toBeLessThan(1e-6);
        expect(lambda).toBeGreaterThanOrEqual(rq(powerTop(A, null, 4000)) - 1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it('finds the leading eigenvector orthogonal to a known one, as a long power iteration does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 24 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        let x = seed;
        const rand = () => ((x = (x * 16807) % 2147483647) / 2147483647);
        const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i]![j] = A[j]![i] = rand() - 0.5;
        const known = powerTop(A, null);
        const got = leadingEigenvector(n, (v, out) => out.set(matVec(A, v)), known, new Float64Array(n).map((_, i) => Math.cos(1 + 2.3 * i)), n);
        // The operator it works on: A with `known` projected out on both sides. `got` is an eigenvector of it (small
        // residual), orthogonal to `known`, and of its largest eigenvalue: a Rayleigh quotient at least that of a
        // long power iteration's vector (close eigenvalues make comparing the vectors themselves ill-posed).
        const project = (v: Float64Array) => {
          const d = v.reduce((acc, x, i) => acc + x * known[i]!, 0);
          return v.map((x, i) => x - d * known[i]!);
        };
        const op = (v: Float64Array) => project(matVec(A, project(v)));
        const rq = (v: Float64Array) => op(v).reduce((acc, x, i) => acc + x * v[i]!, 0) / v.reduce((acc, x) => acc + x * x, 0);
        const lambda = rq(got);
        expect(Math.hypot(...op(got).map((x, i) => x - lambda * got[i]!)) / Math.hypot(...got)).toBeLessThan(1e-6);
        expect(Math.abs(got.reduce((acc, x, i) => acc + x * known[i]!, 0)) / Math.hypot(...got)).toBeLessThan(1e-9);
        expect(lambda).toBeGreaterThanOrEqual(rq(powerTop(A, known)) - 1e-9);
      }),
      { numRuns: 10 },
    );
  });

  it('bisects a graph of two cliques at the cliques (coh_text_bisect near 0), not one clique', () => {
    const n = 12;
    const two = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (__, j) => (i !== j && i % 2 === j % 2 ? 0.8 : 0.01)));
    const one = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (__, j) => (i !== j ? 0.8 : 0)));
    expect(spectralNormalizedCut(two, coherenceDefaults)!).toBeLessThan(0.2);
    expect(spectralNormalizedCut(one, coherenceDefaults)!).toBeGreaterThan(0.9);
  });
});

describe('paragraph style', () => {
  const plain = 'The council met on Tuesday and agreed to repair the bridge before winter, said the mayor.';
  const other = '“WE’RE BACK!” 2019 Q3 results: $4,512,000 (up 12%) — CEO J.R. Smith’s “Best-Ever” Year.';
  it('measures a paragraph in one pass: words, capitals, digits, quotes, commas, markup', () => {
    const [logWords, wordLength, caps, digits, curly, commas] = styleOf(plain);
    expect(Math.exp(logWords!) - 1).toBeCloseTo(16, 10);
    expect(wordLength).toBeCloseTo(72 / 16, 10);
    expect(caps).toBeCloseTo(2 / 16, 10);
    expect(digits).toBe(0);
    expect(curly).toBe(0.5); // no quote at all: neither curly nor straight
    expect(commas).toBeCloseTo(1 / 16, 10);
    expect(styleOf(other)[4]!).toBeGreaterThan(0.8);
    expect([styleOf(plain, 'p')[6], styleOf(plain)[6], styleOf(plain, 'li')[6]]).toEqual([0, 0, 1]); // markup: not a <p>
  });

  it('sets a block written another way apart from the rest, and not a block of the same hand', () => {
    const page = (block: string) => [plain, plain, plain, block, block, block, plain, plain].map((t, k) => styleOf(`${t} ${'and more '.repeat(k % 3)}`));
    const foreign = styleContrast(page(other), 3, 6)!;
    const own = styleContrast(page(plain), 3, 6)!;
    expect(foreign).toBeGreaterThan(10 * own);
    expect(styleContrast(page(other), 0, 1)).toBeNull(); // one paragraph is no block
  });
});
