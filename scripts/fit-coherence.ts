/**
 * Fits what coherence_score stands on, on the FIT half of the eval pages only (./coherence-eval-data.ts:
 * split by a hash of the site), and prints the AUC per corruption kind on the CHECK half:
 *   1. the document frequencies of content words over the fit pages (stages/coherence/term-df.json,
 *      terms in >= 3 pages), which weight the idf signals;
 *   2. the logistic models of the text and alignment perspectives (config `coherence.score`): originals
 *      against their corrupted versions (text: splices, alternating, shuffled; alignment: image swaps and
 *      reorders), L2-regularised, classes balanced, calibrated over the fit originals;
 *   3. how they are joined (`combine`) and the alignment offset: best mean AUC over corruption families
 *      (splice, alternating, shuffled, img) on the fit half;
 *   4. minScore: the 2nd percentile of coherence_score over the fit originals (the false-reject budget).
 *
 *   npx tsx scripts/fit-coherence.ts [--seed 7] [--write]
 * --write writes term-df.json and replaces the FITTED_SCORE_BEGIN/END block of stages/coherence/index.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { aucTable, fitPerspective, sampleSet, type PerspectiveSpec, type Sample } from '../stages/coherence/eval.ts';
import { contentWords, stopwordsFor, useDfTable, type DfTable } from '../stages/coherence/text.ts';
import type { CoherenceSignals } from '../stages/coherence/signals.ts';
import { loadEvalPages, type LoadedPage } from './coherence-eval-data.ts';

const { values: args } = parseArgs({ options: { seed: { type: 'string', default: '7' }, write: { type: 'boolean', default: false } } });
type Key = keyof CoherenceSignals;

export const PERSPECTIVES: Record<'text' | 'image' | 'alignment', PerspectiveSpec> = {
  text: {
    features: (process.env.FIT_TEXT_FEATURES ??
      'coh_text_split,coh_text_order,coh_text_pair,coh_text_pair_low,coh_text_alternation,coh_text_rest,coh_text_rest_low,coh_text_bisect').split(',') as Key[],
    negatives: /^(splice|alternating|shuffled)/,
  },
  // Not fit: HTML pages come without pixels, and the few WARC pages with decoded images are one site
  // (archive.org); a NULL perspective stays out of coherence_score. Set weights by hand or with a model.
  image: { features: [], negatives: /^img/ },
  alignment: {
    features: (process.env.FIT_ALIGN_FEATURES ??
      'coh_align_weighted,coh_align_anchor,coh_align_unanchored,coh_image_sites,coh_align_idf,coh_align_local,coh_image_host').split(',') as Key[],
    negatives: /^img/,
  },
};

const MIN_DF = 3;
function dfTable(pages: LoadedPage[]): DfTable {
  const df = new Map<string, number>();
  for (const p of pages) {
    const stop = stopwordsFor(p.doc.lang);
    const seen = new Set<string>();
    for (const s of p.doc.segments) if (s.kind === 'text' && s.text) for (const w of contentWords(s.text, stop)) seen.add(w);
    for (const w of seen) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const kept = [...df].filter(([, n]) => n >= MIN_DF).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { pages: pages.length, minDf: MIN_DF, df: Object.fromEntries(kept) };
}

const families = (t: Record<string, number>) => {
  const f = new Map<string, number[]>();
  for (const [kind, v] of Object.entries(t)) f.set(kind.split(' ')[0]!, [...(f.get(kind.split(' ')[0]!) ?? []), v]);
  const means = [...f.values()].map((vs) => vs.reduce((a, b) => a + b, 0) / vs.length);
  return means.reduce((a, b) => a + b, 0) / means.length;
};
const fmt = (t: Record<string, number>) => Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');

async function main() {
  const all = await loadEvalPages();
  const fit = all.filter((p) => p.half === 'fit');
  const check = all.filter((p) => p.half === 'check');
  const df = dfTable(fit);
  useDfTable(df);
  console.log(`fit half ${fit.length} pages, check half ${check.length}; df table: ${Object.keys(df.df).length} terms in >= ${MIN_DF} of ${df.pages} fit pages`);
  const cfg: CoherenceConfig = structuredClone(coherenceDefaults);
  const fitSamples = sampleSet(fit, Number(args.seed), cfg);
  const score = {} as CoherenceConfig['score'];
  for (const [name, spec] of Object.entries(PERSPECTIVES) as [keyof typeof PERSPECTIVES, PerspectiveSpec][]) score[name] = fitPerspective(fitSamples, spec);
  const baseBias = score.alignment.bias;
  let best = { combine: 'min' as CoherenceConfig['combine'], offset: 0, auc: -1, table: {} as Record<string, number> };
  for (const combine of ['min', 'product', 'mean'] as const) {
    for (let offset = -1.5; offset <= 1.5 + 1e-9; offset += 0.25) {
      score.alignment.bias = Math.round((baseBias + offset) * 1e4) / 1e4;
      const table = aucTable(fitSamples, { score, combine });
      if (families(table) > best.auc + 1e-9) best = { combine, offset, auc: families(table), table };
    }
  }
  score.alignment.bias = Math.round((baseBias + best.offset) * 1e4) / 1e4;
  const combine = best.combine;
  aucTable(fitSamples, { score, combine });
  const origScores = fitSamples.filter((s: Sample) => s.kind === 'orig' && s.of === '').map((s) => s.signals.coherence_score ?? 1).sort((a, b) => a - b);
  const minScore = Math.floor(origScores[Math.floor(0.02 * origScores.length)]! * 100) / 100;
  const checkSamples = sampleSet(check, Number(args.seed) + 1, cfg);
  const held = aucTable(checkSamples, { score, combine });
  console.log(`fit AUC:   ${fmt(best.table)} (combine ${combine}, alignment offset ${best.offset})`);
  console.log(`check AUC: ${fmt(held)}`);
  for (const k of ['coh_text_score', 'coh_align_score'] as Key[]) console.log(`check AUC of ${k}: ${fmt(aucTable(checkSamples, { score, combine }, k, 0.5))}`);
  console.log(`minScore (2nd percentile of the fit originals): ${minScore}`);
  const block =
    `  // FITTED_SCORE_BEGIN (npx tsx scripts/fit-coherence.ts --seed ${args.seed} --write: logistic regression on the fit half\n` +
    `  // of the eval pages (${fit.length} pages of the ../shared/corpus/html dev collection with >= 8 paragraphs, split by site),\n` +
    `  // one corrupted version per kind; perspectives calibrated over the fit originals; combine and alignment offset\n` +
    `  // (${best.offset}) by the mean AUC over corruption families on the fit half. Check half (seed ${Number(args.seed) + 1}): ${fmt(held)})\n` +
    `  score: ${JSON.stringify(score, null, 2).replace(/\n/g, '\n  ').replace(/"(\w+)":/g, '$1:')},\n  combine: '${combine}',\n` +
    `  // 2nd percentile of coherence_score over the ${origScores.length} fit originals: the false-reject budget (~2%).\n` +
    `  minScore: ${minScore},\n` +
    `  // FITTED_SCORE_END\n`;
  console.log(block);
  if (args.write) {
    writeFileSync(new URL('../stages/coherence/term-df.json', import.meta.url), JSON.stringify(df));
    const file = new URL('../stages/coherence/index.ts', import.meta.url).pathname;
    const src = readFileSync(file, 'utf8');
    const a = src.indexOf('  // FITTED_SCORE_BEGIN');
    const b = src.indexOf('  // FITTED_SCORE_END\n') + '  // FITTED_SCORE_END\n'.length;
    writeFileSync(file, src.slice(0, a) + block + src.slice(b));
    console.log(`wrote ${file} and term-df.json`);
  }
}

await main();
