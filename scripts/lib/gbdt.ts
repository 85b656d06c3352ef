/**
 * Gradient-boosted regression trees for the extraction models (scripts/fit-region-model.ts):
 * second-order boosting on a weighted squared or logistic loss, features cut into quantile bins,
 * depth-limited trees grown level by level, rows subsampled per tree with a fixed seed (a refit gives
 * the same model). The trees come out in the flat form stages/extract/regionmodel.ts evaluates.
 */
import type { Tree } from '../../stages/extract/regionmodel.ts';
import { seededRandom } from '../../stages/pack/curriculum.ts';

export interface BoostParams {
  trees: number;
  depth: number;
  eta: number;
  /** L2 on leaf values, in units of summed row weight x hessian. */
  lambda: number;
  /** Least summed hessian in a leaf. */
  minHess: number;
  subsample: number;
  loss: 'squared' | 'logistic';
}

/** Rows of `nfeat` features, row-major, with a target and a weight each. */
export interface Rows {
  nfeat: number;
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
}

const NBIN = 64;

/** Quantile bin edges per feature: bin(x) = number of edges <= x. */
function binEdges(d: Rows): Float64Array[] {
  const rows = d.y.length;
  const edges: Float64Array[] = [];
  for (let k = 0; k < d.nfeat; k++) {
    const vals: number[] = [];
    for (let r = 0; r < rows; r++) vals.push(d.x[r * d.nfeat + k]!);
    vals.sort((a, b) => a - b);
    const e: number[] = [];
    for (let q = 1; q < NBIN; q++) {
      const v = vals[Math.floor((q * vals.length) / NBIN)]!;
      if (v > vals[0]! && (e.length === 0 || v > e[e.length - 1]!)) e.push(v);
    }
    edges.push(Float64Array.from(e));
  }
  return edges;
}

function binOf(e: Float64Array, x: number): number {
  let lo = 0;
  let hi = e.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (e[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function boost(d: Rows, params: BoostParams): { bias: number; trees: Tree[] } {
  const nf = d.nfeat;
  const rows = d.y.length;
  const edges = binEdges(d);
  const bins = new Uint8Array(rows * nf);
  for (let r = 0; r < rows; r++) for (let k = 0; k < nf; k++) bins[r * nf + k] = binOf(edges[k]!, d.x[r * nf + k]!);
  let sw = 0;
  let sy = 0;
  for (let r = 0; r < rows; r++) {
    sw += d.w[r]!;
    sy += d.w[r]! * d.y[r]!;
  }
  const logistic = params.loss === 'logistic';
  const bias = logistic ? Math.log((sy + 1e-9) / (sw - sy + 1e-9)) : sy / (sw || 1);
  const z = new Float64Array(rows).fill(bias);
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  const trees: Tree[] = [];
  const rand = seededRandom(12345);
  const hg = new Float64Array(nf * NBIN);
  const hh = new Float64Array(nf * NBIN);
  for (let t = 0; t < params.trees; t++) {
    for (let r = 0; r < rows; r++) {
      const w = d.w[r]!;
      if (logistic) {
        const p = 1 / (1 + Math.exp(-z[r]!));
        g[r] = w * (p - d.y[r]!);
        h[r] = w * Math.max(p * (1 - p), 1e-6);
      } else {
        g[r] = w * (z[r]! - d.y[r]!);
        h[r] = w;
      }
    }
    const sample: number[] = [];
    for (let r = 0; r < rows; r++) if (rand() < params.subsample) sample.push(r);
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const splitBin: number[] = [];
    grow(Int32Array.from(sample), 0);
    trees.push(tree);
    for (let r = 0; r < rows; r++) {
      let k = 0;
      while (tree.feature[k]! >= 0) k = bins[r * nf + tree.feature[k]!]! < splitBin[k]! ? tree.left[k]! : tree.right[k]!;
      z[r]! += tree.value[k]!;
    }

    function grow(idx: Int32Array, depth: number): number {
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      splitBin.push(0);
      let G = 0;
      let H = 0;
      for (const r of idx) {
        G += g[r]!;
        H += h[r]!;
      }
      tree.value[node] = +((-params.eta * G) / (H + params.lambda)).toPrecision(6);
      if (depth >= params.depth || H < 2 * params.minHess) return node;
      hg.fill(0);
      hh.fill(0);
      for (const r of idx) {
        const o = r * nf;
        const gr = g[r]!;
        const hr = h[r]!;
        for (let k = 0; k < nf; k++) {
          const b = k * NBIN + bins[o + k]!;
          hg[b]! += gr;
          hh[b]! += hr;
        }
      }
      const parentScore = (G * G) / (H + params.lambda);
      let bestGain = 1e-9;
      let bestK = -1;
      let bestS = 0;
      for (let k = 0; k < nf; k++) {
        let gl = 0;
        let hl = 0;
        const nb = edges[k]!.length;
        for (let s = 1; s <= nb; s++) {
          gl += hg[k * NBIN + s - 1]!;
          hl += hh[k * NBIN + s - 1]!;
          const gr = G - gl;
          const hr = H - hl;
          if (hl < params.minHess || hr < params.minHess) continue;
          const gain = (gl * gl) / (hl + params.lambda) + (gr * gr) / (hr + params.lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestK = k;
            bestS = s;
          }
        }
      }
      if (bestK < 0) return node;
      const l: number[] = [];
      const rr: number[] = [];
      for (const r of idx) (bins[r * nf + bestK]! < bestS ? l : rr).push(r);
      tree.feature[node] = bestK;
      tree.threshold[node] = edges[bestK]![bestS - 1]!;
      tree.value[node] = 0;
      splitBin[node] = bestS;
      tree.left[node] = grow(Int32Array.from(l), depth + 1);
      tree.right[node] = grow(Int32Array.from(rr), depth + 1);
      return node;
    }
  }
  return { bias: +bias.toPrecision(6), trees };
}
