/**
 * Fits the region model of stages/extract/regionmodel.ts on the FIT half of the dev collection
 * (scripts/extraction-devset.ts) and writes stages/extract/region-model.json.
 *
 * For each page, every candidate block (regionCandidates: the best-valued block, its ancestors, the
 * next best blocks) is tried as the region (content.ts as usual from there, run model included) and
 * scored by bag-of-words F1 of the kept runs against the gold text; the target of a candidate is its
 * F1 minus that of the rules' block. Gradient-boosted regression trees (scripts/lib/gbdt.ts) learn
 * the target from regionFeatures, every page weighing the same. The margin (a candidate replaces the
 * rules' block when its predicted gain is above it) is chosen on out-of-fold predictions: the fit half
 * split in two by site, each half predicted by trees fitted on the other. The check half is printed
 * for the log only, never used to choose.
 *
 *   npx tsx scripts/fit-region-model.ts [--trees 200] [--depth 4] [--eta 0.05] [--min-hess 1] [--target better|gain]
 *     [--cache FILE] [--dry-run] [--verbose]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildTree } from '../stages/extract/tree.ts';
import { selectContent } from '../stages/extract/content.ts';
import { extractDefaults } from '../stages/extract/index.ts';
import { NREGION, REGION_FEATURES, regionCandidates, regionFeatures, treeSum, type RegionModel, type Tree } from '../stages/extract/regionmodel.ts';
import { bagOfWords, half, loadCases, prf } from './extraction-devset.ts';
import { sharedCorpus } from './lib/shared-corpus.ts';
import { boost, type BoostParams } from './lib/gbdt.ts';

const { values: args } = parseArgs({
  options: {
    trees: { type: 'string', default: '200' },
    depth: { type: 'string', default: '4' },
    eta: { type: 'string', default: '0.05' },
    lambda: { type: 'string', default: '1' },
    'min-hess': { type: 'string', default: '1' },
    subsample: { type: 'string', default: '0.7' },
    'dry-run': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    /** Keep the scored candidates in this JSON file and read them back next time (to try parameters). */
    cache: { type: 'string' },
    /** gain: regress the F1 gain (squared loss); better: classify gain >= 0.05 (logistic loss). */
    target: { type: 'string', default: 'better' },
  },
});
const params: BoostParams = {
  trees: Number(args.trees),
  depth: Number(args.depth),
  eta: Number(args.eta),
  lambda: Number(args.lambda),
  minHess: Number(args['min-hess']),
  subsample: Number(args.subsample),
  loss: args.target === 'better' ? 'logistic' : 'squared',
};
const BETTER = 0.05;

interface Page {
  set: string;
  site: string;
  half: 'fit' | 'check';
  /** F1 with each candidate as the region (candidate 0: the rules' block). */
  f1: number[];
  x: Float64Array;
}

const t0 = performance.now();
let pages: Page[] = [];
const cfg = { ...extractDefaults, regionModel: false };
if (args.cache && existsSync(args.cache)) {
  pages = (JSON.parse(readFileSync(args.cache, 'utf8')) as (Omit<Page, 'x'> & { x: number[] })[]).map((p) => ({ ...p, x: Float64Array.from(p.x) }));
}
for (const c of pages.length ? [] : loadCases(sharedCorpus('html'))) {
  const tree = buildTree(c.html, c.url);
  const sel = selectContent(tree, cfg);
  const gold = bagOfWords(c.truthText);
  const f1Of = (keep: Uint8Array) =>
    prf(bagOfWords(tree.items.map((it, i) => (keep[i] && it.kind === 'text' ? it.text : '')).join('\n')), gold).f;
  if (sel.value[sel.ruleRegion.index]! <= 0) {
    pages.push({ set: c.set, site: c.site, half: half(c.site), f1: [f1Of(sel.keep)], x: new Float64Array(0) });
    continue;
  }
  const view = { text: sel.text, link: sel.link, value: sel.value, strong: sel.strong, positiveText: sel.positiveText };
  const cands = regionCandidates(tree, view, sel.ruleRegion);
  const x = regionFeatures(tree, view, cands);
  const f1 = cands.map((b, k) => (k === 0 ? f1Of(sel.keep) : f1Of(selectContent(tree, cfg, undefined, b).keep)));
  pages.push({ set: c.set, site: c.site, half: half(c.site), f1, x });
}
if (args.cache && !existsSync(args.cache)) writeFileSync(args.cache, JSON.stringify(pages.map((p) => ({ ...p, x: [...p.x] }))));
console.log(`candidates of ${pages.length} pages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

function rowsOf(ps: Page[]) {
  const n = ps.reduce((a, p) => a + p.f1.length - (p.x.length ? 0 : 1), 0);
  const x = new Float64Array(n * NREGION);
  const y = new Float64Array(n);
  const w = new Float64Array(n);
  let r = 0;
  for (const p of ps) {
    if (!p.x.length) continue;
    x.set(p.x, r * NREGION);
    for (let k = 0; k < p.f1.length; k++, r++) {
      y[r] = args.target === 'better' ? (p.f1[k]! - p.f1[0]! >= BETTER ? 1 : 0) : p.f1[k]! - p.f1[0]!;
      w[r] = 1 / p.f1.length;
    }
  }
  return { nfeat: NREGION, x, y, w };
}

/** Predicted gain of every candidate of every page. */
const pred = new Map<Page, Float64Array>();
function predict(m: { bias: number; trees: Tree[] }, ps: Page[]) {
  for (const p of ps) pred.set(p, Float64Array.from(p.f1, (_, k) => (p.x.length ? treeSum(m.trees, m.bias, p.x, k * NREGION) : 0)));
}
/** Macro F1 (mean over sets of the mean per page) with the model's choice at `margin`. */
function macro(ps: Page[], margin: number | null) {
  const per: Record<string, number[]> = {};
  for (const p of ps) {
    let pick = 0;
    if (margin !== null) {
      const g = pred.get(p)!;
      let top = margin;
      for (let k = 1; k < p.f1.length; k++)
        if (g[k]! > top) {
          top = g[k]!;
          pick = k;
        }
    }
    (per[p.set] ??= []).push(p.f1[pick]!);
  }
  const m: Record<string, number> = {};
  for (const [s, fs] of Object.entries(per)) m[s] = fs.reduce((a, b) => a + b, 0) / fs.length;
  const vals = Object.values(m);
  return { macro: vals.reduce((a, b) => a + b, 0) / vals.length, per: m };
}

const fit = pages.filter((p) => p.half === 'fit');
const check = pages.filter((p) => p.half === 'check');
const oracle = (ps: Page[]) => {
  const per: Record<string, number[]> = {};
  for (const p of ps) (per[p.set] ??= []).push(Math.max(...p.f1));
  const v = Object.values(per).map((fs) => fs.reduce((a, b) => a + b, 0) / fs.length);
  return v.reduce((a, b) => a + b, 0) / v.length;
};
console.log(`rules: fit ${macro(fit, null).macro.toFixed(4)} check ${macro(check, null).macro.toFixed(4)}; best candidate (oracle): fit ${oracle(fit).toFixed(4)} check ${oracle(check).toFixed(4)}`);

for (const fold of [0, 1]) {
  const inFold = (p: Page) => ((fnv(p.site) >>> 16) & 1) === fold; // the low bit is the half
  predict(boost(rowsOf(fit.filter((p) => !inFold(p))), params), fit.filter(inFold));
}
let best = { margin: Infinity, f: macro(fit, null).macro };
const margins =
  args.target === 'better'
    ? [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].map((q) => Math.log(q / (1 - q)))
    : [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3];
for (const margin of margins) {
  const f = macro(fit, margin).macro;
  if (args.verbose) console.log(`margin ${margin}: fit out of fold ${f.toFixed(4)}`);
  if (f > best.f) best = { margin, f };
}
console.log(`chosen margin ${best.margin} (fit, out of fold ${best.f.toFixed(4)})`);

const model: RegionModel = { features: [...REGION_FEATURES], ...boost(rowsOf(fit), params), margin: best.margin };
predict(model, check);
const rules = macro(check, null);
const chk = macro(check, Number.isFinite(best.margin) ? best.margin : null);
console.log(`check ${chk.macro.toFixed(4)} (for the log only; rules ${rules.macro.toFixed(4)})`);
for (const s of Object.keys(chk.per)) console.log(`  ${s.padEnd(22)} rules ${rules.per[s]!.toFixed(3)}  model ${chk.per[s]!.toFixed(3)}`);
if (!args['dry-run'] && Number.isFinite(best.margin)) {
  const out = new URL('../stages/extract/region-model.json', import.meta.url);
  writeFileSync(out, JSON.stringify(model) + '\n');
  console.log(`wrote ${out.pathname}`);
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
