/**
 * The leading eigenvector of a symmetric operator on the subspace orthogonal to a known eigenvector,
 * by the Lanczos method with full reorthogonalisation: `steps` products with the operator instead of the
 * 50–60 a power iteration took on the paragraph graphs (its second and third eigenvalues lie close), and
 * then the small tridiagonal matrix's eigenvector (bisection and inverse iteration). Used by spectralNormalizedCut.
 */

/**
 * `apply(v, out)` writes the operator times v into out. `known` (unit norm) is projected out of every
 * vector. Returns the Ritz vector of the largest Ritz value after at most `steps` steps (fewer when the
 * Krylov space is exhausted), from the fixed start `start` (deterministic).
 */
export function leadingEigenvector(
  n: number,
  apply: (v: Float64Array, out: Float64Array) => void,
  known: Float64Array,
  start: Float64Array,
  steps: number,
): Float64Array {
  const project = (v: Float64Array) => {
    let d = 0;
    for (let i = 0; i < n; i++) d += v[i]! * known[i]!;
    for (let i = 0; i < n; i++) v[i] = v[i]! - d * known[i]!;
  };
  const norm = (v: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i]! * v[i]!;
    return Math.sqrt(s);
  };
  const q0 = Float64Array.from(start);
  project(q0);
  const n0 = norm(q0);
  if (n0 === 0) return q0;
  for (let i = 0; i < n; i++) q0[i] = q0[i]! / n0;
  const Q: Float64Array[] = [q0];
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(n);
  for (let j = 0; j < steps; j++) {
    const q = Q[j]!;
    apply(q, w);
    project(w);
    let a = 0;
    for (let i = 0; i < n; i++) a += q[i]! * w[i]!;
    alpha.push(a);
    // Full reorthogonalisation (twice is enough): against every basis vector, the new one's direction included.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of Q) {
        let d = 0;
        for (let i = 0; i < n; i++) d += w[i]! * b[i]!;
        for (let i = 0; i < n; i++) w[i] = w[i]! - d * b[i]!;
      }
      project(w);
    }
    const b = norm(w);
    if (j === steps - 1 || b < 1e-10) break;
    beta.push(b);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = w[i]! / b;
    Q.push(next);
  }
  const y = topEigenvectorTridiagonal(alpha, beta.slice(0, alpha.length - 1));
  const out = new Float64Array(n);
  for (let k = 0; k < y.length; k++) for (let i = 0; i < n; i++) out[i] = out[i]! + y[k]! * Q[k]![i]!;
  return out;
}

/**
 * Eigenvector of the largest eigenvalue of the symmetric tridiagonal matrix (diagonal a, off-diagonal b):
 * the eigenvalue by bisection on Sturm counts, the vector by inverse iteration (tridiagonal solves). O(k)
 * per step: the k x k matrix costs next to nothing beside the products with the operator.
 */
export function topEigenvectorTridiagonal(a: number[], b: number[]): number[] {
  const k = a.length;
  if (k === 1) return [1];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const r = Math.abs(i > 0 ? b[i - 1]! : 0) + Math.abs(i + 1 < k ? b[i]! : 0);
    lo = Math.min(lo, a[i]! - r);
    hi = Math.max(hi, a[i]! + r);
  }
  // Number of eigenvalues below x (Sturm sequence of the LDL^T pivots).
  const below = (x: number) => {
    let count = 0;
    let d = 1;
    for (let i = 0; i < k; i++) {
      d = a[i]! - x - (i > 0 ? b[i - 1]! ** 2 / d : 0);
      if (d === 0) d = -1e-300;
      if (d < 0) count++;
    }
    return count;
  };
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(hi)); it++) {
    const mid = (lo + hi) / 2;
    if (below(mid) === k) hi = mid;
    else lo = mid;
  }
  // Inverse iteration with the shift just above the eigenvalue: three solves of (T - shift I) x = y.
  const shift = hi + 1e-12 * Math.max(1, Math.abs(hi));
  let y = new Array<number>(k).fill(1);
  const c = new Array<number>(k);
  const d = new Array<number>(k);
  for (let round = 0; round < 3; round++) {
    // Thomas algorithm (no pivoting; a zero pivot is nudged).
    let piv = a[0]! - shift || 1e-300;
    c[0] = k > 1 ? b[0]! / piv : 0;
    d[0] = y[0]! / piv;
    for (let i = 1; i < k; i++) {
      piv = a[i]! - shift - b[i - 1]! * c[i - 1]! || 1e-300;
      c[i] = i + 1 < k ? b[i]! / piv : 0;
      d[i] = (y[i]! - b[i - 1]! * d[i - 1]!) / piv;
    }
    const x = new Array<number>(k);
    x[k - 1] = d[k - 1]!;
    for (let i = k - 2; i >= 0; i--) x[i] = d[i]! - c[i]! * x[i + 1]!;
    const norm = Math.hypot(...x) || 1;
    y = x.map((v) => v / norm);
  }
  return y;
}
