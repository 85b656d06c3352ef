/**
 * A learned second opinion on each text run: logistic regression over cheap per-run features (its
 * length, link and punctuation density, tag, the class/id hints of its block and ancestors, the text
 * and link density of the blocks around it, its neighbours, its position, and whether the rule-based
 * selection in content.ts kept it). Block classifiers of this kind (Dragnet, ExtractNet, BoilerNet)
 * are what held up on sites their rules were never tuned on. The weights are fitted on the fit half of
 * the dev collection by scripts/fit-extract-model.ts and shipped as run-model.json; nothing is
 * downloaded or trained at run time.
 */
import { shippedModel } from './shipped-model.ts';
import type { Block, PageTree } from './tree.ts';

export interface RunModel {
  /** Feature names, in the order of `weights` (checked against FEATURES at load). */
  features: string[];
  /** Standardisation: x' = (x - mean) / std. */
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  /** A run the rules kept is dropped below this probability; one they left out is added at or above
   * `addAbove` (both chosen on the fit half). */
  dropBelow: number;
  addAbove: number;
}

/** Per-block and per-run results of the rule-based pass that the model reads. */
export interface RuleView {
  /** Weighted text and link text in each block's subtree. */
  text: Float64Array;
  link: Float64Array;
  /** Block is boilerplate (chrome or a boilerplate name, or inside one). */
  strong: Uint8Array;
  /** Items the rules kept, and the region they chose. */
  keep: Uint8Array;
  region: Block;
}

export const FEATURES = [
  'logLen', 'linkDensity', 'punctDensity', 'sentenceEnd', 'heading', 'tagP', 'tagLi', 'tagCell', 'tagDiv',
  'hintPos2', 'hintPos1', 'hintNeg1', 'hintNeg2', 'ancPos', 'ancNegWeak', 'strong', 'inArticle', 'chromeTag',
  'pos', 'posCentre2', 'parentLogText', 'parentLinkDensity', 'grandLogText', 'grandLinkDensity', 'parentShare',
  'siblings', 'depth', 'prevLogLen', 'prevLink', 'nextLogLen', 'nextLink', 'inRegion', 'ruleKeep', 'regionShare',
  'pageLogText', 'shortNoPunct', 'ruleKeepXlink', 'inRegionXlogLen', 'digitShare', 'upperStart',
] as const;
export const NFEAT = FEATURES.length;

const SENTENCE_END = /[.!?。！？؟…"”'’)]\s*$/;
const HEADING = /^h[1-6]$/;

/**
 * Feature rows of the text runs: `out[i * NFEAT + k]` for item i (image items get zeros). Every
 * feature is O(1) per run after one pass over the blocks.
 */
export function runFeatures(tree: PageTree, v: RuleView): Float64Array {
  const { blocks, items } = tree;
  const n = blocks.length;
  const depth = new Uint16Array(n);
  const ancPos = new Uint8Array(n); // an ancestor (not the block itself) has a content hint
  const ancNeg = new Uint8Array(n);
  const chromeAnc = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const b = blocks[i]!;
    const p = b.parent!;
    depth[i] = Math.min(depth[p.index]! + 1, 60);
    ancPos[i] = ancPos[p.index]! || (p.hint > 0 ? 1 : 0);
    ancNeg[i] = ancNeg[p.index]! || (p.hint === -1 ? 1 : 0);
    chromeAnc[i] = chromeAnc[p.index]! || (b.chrome ? 1 : 0);
  }
  const pageText = v.text[0]! || 1;
  const regionText = v.text[v.region.index]! || 1;
  const out = new Float64Array(items.length * NFEAT);
  // Previous and next text run of each run.
  let prev = -1;
  const nextOf = new Int32Array(items.length).fill(-1);
  for (let i = items.length - 1, nx = -1; i >= 0; i--) {
    nextOf[i] = nx;
    if (items[i]!.kind === 'text') nx = i;
  }
  const nItems = items.length || 1;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.kind !== 'text') continue;
    const b = it.block;
    const bi = b.index;
    const p = b.parent ?? b;
    const g = p.parent ?? p;
    const len = it.len || 1;
    const ld = it.link / len;
    const o = i * NFEAT;
    const inRegion = i >= v.region.first && i < v.region.end ? 1 : 0;
    const text = it.text;
    let digits = 0;
    for (let k = 0; k < text.length && k < 200; k++) {
      const c = text.charCodeAt(k);
      if (c >= 48 && c <= 57) digits++;
    }
    const first = text.charCodeAt(0);
    const pv = prev >= 0 ? (items[prev] as { len: number; link: number }) : null;
    const nxi = nextOf[i]!;
    const nx = nxi >= 0 ? (items[nxi] as { len: number; link: number }) : null;
    const pos = i / nItems;
    const f = [
      Math.log1p(it.len),
      ld,
      Math.min(1, (10 * it.punct) / len),
      SENTENCE_END.test(text) ? 1 : 0,
      HEADING.test(b.tag) ? 1 : 0,
      b.tag === 'p' ? 1 : 0,
      b.tag === 'li' ? 1 : 0,
      b.tag === 'td' || b.tag === 'th' ? 1 : 0,
      b.tag === 'div' ? 1 : 0,
      b.hint === 2 ? 1 : 0,
      b.hint === 1 ? 1 : 0,
      b.hint === -1 ? 1 : 0,
      b.hint === -2 ? 1 : 0,
      ancPos[bi]!,
      ancNeg[bi]!,
      v.strong[bi]!,
      b.inArticle ? 1 : 0,
      chromeAnc[bi]!,
      pos,
      (pos - 0.5) * (pos - 0.5),
      Math.log1p(v.text[p.index]!),
      v.text[p.index]! > 0 ? v.link[p.index]! / v.text[p.index]! : 0,
      Math.log1p(v.text[g.index]!),
      v.text[g.index]! > 0 ? v.link[g.index]! / v.text[g.index]! : 0,
      v.text[p.index]! / pageText,
      Math.log1p(p.childBlocks),
      depth[bi]! / 20,
      pv ? Math.log1p(pv.len) : 0,
      pv?.len ? pv.link / pv.len : 0,
      nx ? Math.log1p(nx.len) : 0,
      nx?.len ? nx.link / nx.len : 0,
      inRegion,
      v.keep[i]!,
      inRegion ? regionText / pageText : 0,
      Math.log1p(pageText),
      it.len < 40 && it.punct === 0 ? 1 : 0,
      v.keep[i]! * ld,
      inRegion * Math.log1p(it.len),
      Math.min(text.length, 200) ? digits / Math.min(text.length, 200) : 0,
      first >= 65 && first <= 90 ? 1 : 0,
    ];
    for (let k = 0; k < NFEAT; k++) out[o + k] = f[k]!;
    prev = i;
  }
  return out;
}

/** Probability that each text run is main content (NaN for images). */
export function runProbabilities(model: RunModel, feats: Float64Array, nItems: number): Float64Array {
  const p = new Float64Array(nItems);
  const { mean, std, weights, bias } = model;
  for (let i = 0; i < nItems; i++) {
    const o = i * NFEAT;
    let z = bias;
    for (let k = 0; k < NFEAT; k++) z += weights[k]! * ((feats[o + k]! - mean[k]!) / std[k]!);
    p[i] = 1 / (1 + Math.exp(-z));
  }
  return p;
}

/** The shipped model (run-model.json beside this file), or null when absent or from other features. */
export function shippedRunModel(): RunModel | null {
  return shippedModel<RunModel>('run-model.json', FEATURES);
}
