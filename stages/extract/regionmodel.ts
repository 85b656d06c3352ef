/**
 * A learned second look at the region choice. content.ts picks the block whose subtree has the best
 * content value; on pages it gets wrong the right block is nearly always among the next best blocks or
 * the ancestors of the chosen one (an article body inside a wrapper that also holds comments or more
 * stories; a listing's container above a short block that won). Each candidate is described by cheap
 * features relative to the chosen block (its value, text and link density, name hint, tag, depth,
 * whether it is an ancestor or a descendant, its punctuation and headings), and gradient-boosted trees
 * predict how much better (bag-of-words F1) the page comes out with that candidate as the region. The
 * best candidate replaces the rules' choice only when the predicted gain passes `margin`. Trees and
 * margin are fitted on the fit half of the dev collection by scripts/fit-region-model.ts and shipped
 * as region-model.json; nothing is trained at run time.
 */
import { shippedModel } from './shipped-model.ts';
import type { Block, PageTree } from './tree.ts';

/**
 * One regression tree as flat arrays over its nodes (node 0 the root): an inner node sends a row whose
 * feature `feature[k]` is below `threshold[k]` to `left[k]`, else to `right[k]`; a leaf has feature -1
 * and adds `value[k]`.
 */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface RegionModel {
  /** Feature names in the order regionFeatures writes them (checked against REGION_FEATURES at load). */
  features: string[];
  bias: number;
  trees: Tree[];
  /** A candidate replaces the rules' region when its predicted F1 gain is above this (fit half). */
  margin: number;
}

/** Per-block results of content.ts's scoring that the candidates are described by. */
export interface RegionView {
  text: Float64Array;
  link: Float64Array;
  value: Float64Array;
  strong: Uint8Array;
  /** Text of the largest content-named block in each subtree. */
  positiveText: Float64Array;
}

export const REGION_FEATURES = [
  'logValue', 'valueRatio', 'logText', 'pageShare', 'textRatio', 'linkDensity', 'valueDensity', 'hint',
  'tagArticle', 'tagMain', 'tagTable', 'tagRoot', 'tagP', 'tagSection', 'tagList', 'depth', 'depthDiff',
  'ancestor', 'descendant', 'isBest', 'logRuns', 'punctDensity', 'headings', 'logImages', 'namedShare',
  'rank', 'inArticle', 'logChildren', 'pageLogText', 'bestValueDensity', 'bestLinkDensity', 'bestPageShare',
  'bestHint', 'sentenceShare', 'posStart', 'posEnd', 'h1', 'strongShare', 'linkRunShare',
] as const;
export const NREGION = REGION_FEATURES.length;

/** How many of the best-valued blocks, and how many ancestors of the chosen one, are candidates. */
const TOP = 10;
const UP = 3;

const SENTENCE_END = new Set('.!?。！？؟…"”\'’)');

/** The text's last non-space character ends a sentence (the run model's sentenceEnd, without a regex scan). */
function endsSentence(t: string): boolean {
  let k = t.length - 1;
  while (k >= 0 && t.charCodeAt(k) <= 32) k--;
  return k >= 0 && SENTENCE_END.has(t[k]!);
}

/** The candidates: the chosen block first, then its ancestors and the other best-valued blocks. */
export function regionCandidates(tree: PageTree, v: RegionView, best: Block): Block[] {
  const { blocks } = tree;
  const out = [best];
  const seen = new Set<number>([best.index]);
  for (let b = best.parent, k = 0; b && k < UP; b = b.parent, k++) {
    if (v.strong[b.index]) break;
    seen.add(b.index);
    out.push(b);
  }
  // The TOP best values outside boilerplate (a small insertion list: one pass over the blocks).
  const top: number[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const val = v.value[i]!;
    if (v.strong[i] || val <= 0 || seen.has(i)) continue;
    if (top.length === TOP && val <= v.value[top[TOP - 1]!]!) continue;
    let j = top.length < TOP ? top.length : TOP - 1;
    top[j] = i;
    while (j > 0 && v.value[top[j - 1]!]! < val) {
      top[j] = top[j - 1]!;
      top[j - 1] = i;
      j--;
    }
  }
  for (const i of top) out.push(blocks[i]!);
  return out;
}

function depthOf(b: Block): number {
  let d = 0;
  for (let x = b.parent; x; x = x.parent) d++;
  return d;
}

function isAncestor(a: Block, b: Block): boolean {
  return a.index < b.index && b.first >= a.first && b.end <= a.end && a.end - a.first > b.end - b.first;
}

/** Feature rows of the candidates: `out[c * NREGION + k]`. */
export function regionFeatures(tree: PageTree, v: RegionView, cands: Block[]): Float64Array {
  const best = cands[0]!;
  const page = v.text[0]! || 1;
  const bi = best.index;
  const bestValue = v.value[bi]! || 1;
  const bestText = v.text[bi]! || 1;
  const bestDepth = depthOf(best);
  const out = new Float64Array(cands.length * NREGION);
  const nItems = tree.items.length || 1;
  // Rank of each candidate among the candidates by value.
  const byValue = cands.map((c) => v.value[c.index]!).sort((a, b) => b - a);
  // Prefix sums over the items (one pass), so each candidate's counts are O(1).
  const items = tree.items;
  const m = items.length;
  const P = new Float64Array((m + 1) * 8); // punct, runs, headings, images, sentences, h1, strong, link runs
  for (let k = 0; k < m; k++) {
    const it = items[k]!;
    const o = k * 8;
    for (let j = 0; j < 8; j++) P[o + 8 + j] = P[o + j]!;
    if (it.kind === 'image') {
      P[o + 8 + 3]!++;
      continue;
    }
    const tag = it.block.tag;
    P[o + 8]! += it.punct;
    P[o + 9]!++;
    if (tag === 'h1' || tag === 'h2') P[o + 10]!++;
    if (endsSentence(it.text)) P[o + 12]! += it.len;
    if (tag === 'h1') P[o + 13]!++;
    if (v.strong[it.block.index]) P[o + 14]! += it.len;
    if (it.link > 0.5 * it.len) P[o + 15]!++;
  }
  cands.forEach((c, ci) => {
    const i = c.index;
    const text = v.text[i]!;
    const sum = (j: number) => P[c.end * 8 + j]! - P[c.first * 8 + j]!;
    const punct = sum(0);
    const runs = sum(1);
    const headings = sum(2);
    const images = sum(3);
    const sentences = sum(4);
    const h1 = sum(5);
    const strongLen = sum(6);
    const linkRuns = sum(7);
    const d = depthOf(c);
    const f = [
      Math.log1p(Math.max(v.value[i]!, 0)),
      v.value[i]! / bestValue,
      Math.log1p(text),
      text / page,
      text / bestText,
      text > 0 ? v.link[i]! / text : 0,
      text > 0 ? v.value[i]! / text : 0,
      c.hint,
      c.tag === 'article' ? 1 : 0,
      c.tag === 'main' ? 1 : 0,
      c.tag === 'table' || c.tag === 'tbody' || c.tag === 'tr' || c.tag === 'td' ? 1 : 0,
      c.tag === 'body' || c.tag === '#root' ? 1 : 0,
      c.tag === 'p' ? 1 : 0,
      c.tag === 'section' ? 1 : 0,
      c.tag === 'ul' || c.tag === 'ol' || c.tag === 'li' || c.tag === 'dl' ? 1 : 0,
      d,
      d - bestDepth,
      isAncestor(c, best) ? 1 : 0,
      isAncestor(best, c) ? 1 : 0,
      ci === 0 ? 1 : 0,
      Math.log1p(runs),
      text > 0 ? (100 * punct) / text : 0,
      headings,
      Math.log1p(images),
      text > 0 ? v.positiveText[i]! / text : 0,
      byValue.indexOf(v.value[i]!),
      c.inArticle ? 1 : 0,
      Math.log1p(c.childBlocks),
      Math.log1p(page),
      v.value[bi]! / bestText,
      v.link[bi]! / bestText,
      bestText / page,
      best.hint,
      text > 0 ? sentences / text : 0,
      c.first / nItems,
      c.end / nItems,
      h1,
      text > 0 ? strongLen / text : 0,
      runs ? linkRuns / runs : 0,
    ];
    for (let k = 0; k < NREGION; k++) out[ci * NREGION + k] = f[k]!;
  });
  return out;
}

export function treeSum(trees: Tree[], bias: number, x: Float64Array, o: number): number {
  let z = bias;
  for (const t of trees) {
    let k = 0;
    let f = t.feature[0]!;
    while (f >= 0) {
      k = x[o + f]! < t.threshold[k]! ? t.left[k]! : t.right[k]!;
      f = t.feature[k]!;
    }
    z += t.value[k]!;
  }
  return z;
}

/** The candidate the model prefers to the chosen block `cands[0]`, or null to keep it. */
export function chooseRegion(model: RegionModel, tree: PageTree, v: RegionView, best: Block): Block | null {
  const cands = regionCandidates(tree, v, best);
  if (cands.length < 2) return null;
  const x = regionFeatures(tree, v, cands);
  let pick = -1;
  let top = model.margin;
  for (let c = 1; c < cands.length; c++) {
    const gain = treeSum(model.trees, model.bias, x, c * NREGION);
    if (gain > top) {
      top = gain;
      pick = c;
    }
  }
  return pick > 0 ? cands[pick]! : null;
}

/** The shipped model (region-model.json beside this file), or null when absent or from other features. */
export function shippedRegionModel(): RegionModel | null {
  return shippedModel<RegionModel>('region-model.json', REGION_FEATURES);
}
