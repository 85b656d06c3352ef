/**
 * Fits the run classifier of stages/extract/runmodel.ts on the FIT half of the dev collection
 * (scripts/extraction-devset.ts) and writes stages/extract/run-model.json.
 *
 * Label of a text run: the share of its words that are in the page's gold text (bag of words) is at
 * least 0.5. Each run is weighted by its words over the page's words, so every page counts about the
 * same (the eval averages F1 per page). Logistic regression, standardised features, L2, Adam,
 * full batch. The two thresholds (drop a run the rules kept below, add one they left above) are the
 * pair with the best macro F1 (per page, per set) of the kept runs' text on the fit half; the check half is printed for the log only, never used to choose.
 *
 *   npx tsx scripts/fit-extract-model.ts [--iters 300] [--l2 1e-4] [--dry-run]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildTree } from '../stages/extract/tree.ts';
import { selectContent } from '../stages/extract/content.ts';
import { extractDefaults } from '../stages/extract/index.ts';
import { FEATURES, NFEAT, runFeatures, runProbabilities, type RunModel } from '../stages/extract/runmodel.ts';
import { bagOfWords, half, loadCases, prf } from './extraction-devset.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';

const { values: args } = parseArgs({
  options: {
    iters: { type: 'string', default: '300' },
    l2: { type: 'string', default: '1e-4' },
    'dry-run': { type: 'boolean', default: false },
  },
});

interface PageRuns {
  set: string;
  half: 'fit' | 'check';
  gold: Map<string, number>;
  texts: string[];
  /** Rows of the text runs only. */
  x: Float32Array;
  y: Uint8Array;
  w: Float32Array;
  ruleKeep: Uint8Array;
}

const t0 = performance.now();
const pages: PageRuns[] = [];
for (const c of loadCases(sharedCorpus('html'))) {
  const tree = buildTree(c.html, c.url);
  const sel = selectContent(tree, { ...extractDefaults, runModel: false });
  const feats = runFeatures(tree, { text: sel.text, link: sel.link, strong: sel.strong, keep: sel.keep, region: sel.region });
  const gold = bagOfWords(c.truthText);
  const idx: number[] = [];
  tree.items.forEach((it, i) => it.kind === 'text' && idx.push(i));
  const x = new Float32Array(idx.length * NFEAT);
  const y = new Uint8Array(idx.length);
  const w = new Float32Array(idx.length);
  const texts: string[] = [];
  const ruleKeep = new Uint8Array(idx.length);
  let pageWords = 0;
  idx.forEach((i, r) => {
    const it = tree.items[i]! as { text: string };
    x.set(feats.subarray(i * NFEAT, (i + 1) * NFEAT), r * NFEAT);
    const bag = bagOfWords(it.text);
    let nw = 0;
    let inGold = 0;
    for (const [word, count] of bag) {
      nw += count;
      inGold += Math.min(count, gold.get(word) ?? 0);
    }
    y[r] = nw > 0 && inGold >= 0.5 * nw ? 1 : 0;
    w[r] = nw;
    pageWords += nw;
    texts.push(it.text);
    ruleKeep[r] = sel.keep[i]!;
  });
  for (let r = 0; r < w.length; r++) w[r] = w[r]! / (pageWords || 1);
  pages.push({ set: c.set, half: half(c.site), gold, texts, x, y, w, ruleKeep });
}
console.log(`features of ${pages.length} pages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const fit = pages.filter((p) => p.half === 'fit');
const rows = fit.reduce((a, p) => a + p.y.length, 0);
const X = new Float32Array(rows * NFEAT);
const Y = new Uint8Array(rows);
const W = new Float32Array(rows);
{
  let r = 0;
  for (const p of fit) {
    X.set(p.x, r * NFEAT);
    Y.set(p.y, r);
    W.set(p.w, r);
    r += p.y.length;
  }
}
// Standardise.
const mean = new Array<number>(NFEAT).fill(0);
const std = new Array<number>(NFEAT).fill(0);
for (let r = 0; r < rows; r++) for (let k = 0; k < NFEAT; k++) mean[k]! += X[r * NFEAT + k]! / rows;
for (let r = 0; r < rows; r++) for (let k = 0; k < NFEAT; k++) std[k]! += (X[r * NFEAT + k]! - mean[k]!) ** 2 / rows;
for (let k = 0; k < NFEAT; k++) std[k] = Math.sqrt(std[k]!) || 1;
const Z = new Float32Array(rows * NFEAT);
for (let r = 0; r < rows; r++) for (let k = 0; k < NFEAT; k++) Z[r * NFEAT + k] = (X[r * NFEAT + k]! - mean[k]!) / std[k]!;
const wsum = W.reduce((a, b) => a + b, 0);

// Logistic regression, Adam on the full batch.
const wts = new Float64Array(NFEAT);
let bias = 0;
const l2 = Number(args.l2);
const m1 = new Float64Array(NFEAT + 1);
const m2 = new Float64Array(NFEAT + 1);
const grad = new Float64Array(NFEAT + 1);
const iters = Number(args.iters);
for (let it = 1; it <= iters; it++) {
  grad.fill(0);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * NFEAT;
    let z = bias;
    for (let k = 0; k < NFEAT; k++) z += wts[k]! * Z[o + k]!;
    const p = 1 / (1 + Math.exp(-z));
    const wr = W[r]! / wsum;
    const g = (p - Y[r]!) * wr;
    for (let k = 0; k < NFEAT; k++) grad[k]! += g * Z[o + k]!;
    grad[NFEAT]! += g;
    loss -= wr * (Y[r] ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
  }
  for (let k = 0; k < NFEAT; k++) grad[k]! += l2 * wts[k]!;
  const lr = 0.05;
  for (let k = 0; k <= NFEAT; k++) {
    m1[k] = 0.9 * m1[k]! + 0.1 * grad[k]!;
    m2[k] = 0.999 * m2[k]! + 0.001 * grad[k]! ** 2;
    const step = (lr * (m1[k]! / (1 - 0.9 ** it))) / (Math.sqrt(m2[k]! / (1 - 0.999 ** it)) + 1e-8);
    if (k < NFEAT) wts[k]! -= step;
    else bias -= step;
  }
  if (it % 50 === 0 || it === 1) console.log(`iter ${it} loss ${loss.toFixed(4)}`);
}

const model: RunModel = {
  features: [...FEATURES],
  mean: mean.map((v) => +v.toPrecision(6)),
  std: std.map((v) => +v.toPrecision(6)),
  weights: [...wts].map((v) => +v.toPrecision(6)),
  bias: +bias.toPrecision(6),
  dropBelow: 0,
  addAbove: 1.01,
};

/** Macro F1 (mean over sets of the mean per page) of the kept runs' text. */
function macroF1(ps: PageRuns[], keepOf: (p: PageRuns) => Uint8Array): { macro: number; per: Record<string, number> } {
  const per: Record<string, number[]> = {};
  for (const p of ps) {
    const keep = keepOf(p);
    const text = p.texts.filter((_, i) => keep[i]).join('\n');
    (per[p.set] ??= []).push(prf(bagOfWords(text), p.gold).f);
  }
  const m: Record<string, number> = {};
  for (const [s, fs] of Object.entries(per)) m[s] = fs.reduce((a, b) => a + b, 0) / fs.length;
  const vals = Object.values(m);
  return { macro: vals.reduce((a, b) => a + b, 0) / vals.length, per: m };
}
const probs = new Map<PageRuns, Float64Array>();
for (const p of pages) probs.set(p, runProbabilities(model, Float64Array.from(p.x), p.y.length));

const check = pages.filter((p) => p.half === 'check');
const rules = { fit: macroF1(fit, (p) => p.ruleKeep), check: macroF1(check, (p) => p.ruleKeep) };
console.log(`rules only (proxy: kept runs' text): fit ${rules.fit.macro.toFixed(4)}  check ${rules.check.macro.toFixed(4)}`);
// Two thresholds: a run the rules kept goes when p < drop; a run they left comes in when p >= add.
// The model corrects the rules where it is sure and defers to them elsewhere.
const keepAt2 = (drop: number, add: number) => (p: PageRuns) =>
  Uint8Array.from(probs.get(p)!, (v, i) => (p.ruleKeep[i] ? (v >= drop ? 1 : 0) : v >= add ? 1 : 0));
let best = { drop: 0, add: 1.01, f: -1 };
for (const drop of [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5])
  for (const add of [0.7, 0.8, 0.85, 0.9, 0.95, 1.01]) {
    const f = macroF1(fit, keepAt2(drop, add)).macro;
    console.log(`drop < ${drop}, add >= ${add}: fit ${f.toFixed(4)}`);
    if (f > best.f) best = { drop, add, f };
  }
model.dropBelow = best.drop;
model.addAbove = best.add;
const chk = macroF1(check, keepAt2(best.drop, best.add));
console.log(`chosen drop < ${best.drop}, add >= ${best.add} (fit ${best.f.toFixed(4)}); check ${chk.macro.toFixed(4)} (for the log only)`);
for (const s of Object.keys(chk.per))
  console.log(`  ${s.padEnd(22)} rules ${rules.check.per[s]!.toFixed(3)}  model ${chk.per[s]!.toFixed(3)}`);
console.log('weights:', FEATURES.map((f, k) => `${f} ${model.weights[k]!.toFixed(2)}`).join(', '));
if (!args['dry-run']) {
  const out = new URL('../stages/extract/run-model.json', import.meta.url);
  writeFileSync(out, JSON.stringify(model, null, 1) + '\n');
  console.log(`wrote ${out.pathname}`);
}
