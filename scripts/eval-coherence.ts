/**
 * Does coherence_score tell real pages from broken ones it was never fitted on? Pages: the development
 * collection ../shared/corpus/html (extract stage output with >= 8 paragraphs) plus the archived WARC pages
 * with their real images (./coherence-eval-data.ts). Split once by site (hash of the domain): the defaults
 * are fit on the fit half (scripts/fit-coherence.ts), this reports the CHECK half by default. Every page gets
 * one corrupted version per kind (stages/coherence/eval.ts: splice 10/25/50%, alternating, shuffled, images
 * swapped with / without alt, images reordered), donors from another site of the same half.
 *
 * Prints per kind and seed the ROC-AUC of coherence_score (original = positive; a NULL score counts as
 * coherent), the AUC of each perspective, the false-reject rate (originals below minScore), and how many
 * scores are NULL and why (coh_unscored).
 *
 *   npx tsx scripts/eval-coherence.ts [--half check|fit|all] [--seeds 1,2] [--set JSON] [--signals]
 */
import { parseArgs } from 'node:util';
import { coherenceDefaults, type CoherenceConfig } from '../stages/coherence/index.ts';
import { mergeConfig } from '../pipeline/config.ts';
import { aucTable, originalsFor, type Sample } from '../stages/coherence/eval.ts';
import type { CoherenceSignals } from '../stages/coherence/signals.ts';
import { halfSamples, loadEvalPages } from './coherence-eval-data.ts';

const { values: args } = parseArgs({
  options: {
    half: { type: 'string', default: 'check' },
    seeds: { type: 'string', default: '1,2' },
    set: { type: 'string', default: '{}' },
    signals: { type: 'boolean', default: false },
  },
});
const cfg: CoherenceConfig = mergeConfig(coherenceDefaults, JSON.parse(args.set!));

const all = await loadEvalPages();
const pages = all.filter((p) => args.half === 'all' || p.half === args.half);
const withImages = pages.filter((p) => p.doc.segments.some((s) => s.kind === 'image')).length;
console.log(`${pages.length} pages (${args.half} half; ${new Set(pages.map((p) => p.site)).size} sites; ${withImages} with images; ${pages.filter((p) => p.set === 'warc').length} WARC pages with decoded images)`);

type Key = keyof CoherenceSignals;
const tables: Record<string, Record<string, number>>[] = [];
const seeds = args.seeds!.split(',').map(Number);
for (const seed of seeds) {
  const t0 = performance.now();
  const samples = halfSamples(all, args.half as 'fit' | 'check' | 'all', seed, cfg);
  const secs = (performance.now() - t0) / 1000;
  const t: Record<string, Record<string, number>> = {
    coherence_score: aucTable(samples, cfg),
    coh_text_score: aucTable(samples, cfg, 'coh_text_score', 0.5),
    coh_align_score: aucTable(samples, cfg, 'coh_align_score', 0.5),
  };
  if (args.signals) {
    const keys = Object.keys(samples[0]!.signals).filter((k) => typeof samples.find((s) => typeof s.signals[k as Key] === 'number')?.signals[k as Key] === 'number') as Key[];
    for (const k of keys) t[k] = aucTable(samples, cfg, k, NaN);
  }
  tables.push(t);
  const origs = samples.filter((s) => s.kind === 'orig' && s.of === '');
  const rejected = origs.filter((s) => s.signals.coherence_score !== null && s.signals.coherence_score < cfg.minScore).length;
  const nulls = (xs: Sample[]) => {
    const why = new Map<string, number>();
    for (const s of xs) if (s.signals.coherence_score === null) why.set(String((s.signals as unknown as Record<string, unknown>).coh_unscored ?? 'unexplained'), (why.get(String((s.signals as unknown as Record<string, unknown>).coh_unscored ?? 'unexplained')) ?? 0) + 1);
    return [...why].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  };
  console.log(`\nseed ${seed}: ${samples.length} documents measured (or read from the cache) in ${secs.toFixed(1)} s`);
  console.log(`false rejects (untouched pages below minScore ${cfg.minScore}): ${rejected}/${origs.length} = ${((100 * rejected) / origs.length).toFixed(1)}%`);
  console.log(`NULL coherence_score: originals ${nulls(origs)}; all documents ${samples.filter((s) => s.signals.coherence_score === null).length}/${samples.length} (${nulls(samples)})`);
  const kinds = Object.keys(t.coherence_score!);
  console.log(`kind              n     ${Object.keys(t).map((k) => k.replace(/^coh(erence)?_/, '').slice(0, 10).padStart(10)).join(' ')}`);
  for (const k of kinds) {
    const n = samples.filter((s) => s.kind === k).length;
    console.log(`${k.padEnd(17)} ${String(n).padStart(5)} ${Object.values(t).map((v) => (Number.isNaN(v[k]) ? '-' : v[k]!.toFixed(3)).padStart(10)).join(' ')}`);
  }
  void originalsFor;
}
console.log(`\nsummary (coherence_score AUC, ${args.half} half): kind | ${seeds.map((s) => `seed ${s}`).join(' | ')}`);
for (const k of Object.keys(tables[0]!.coherence_score!)) console.log(`| ${k} | ${tables.map((t) => t.coherence_score![k]!.toFixed(3)).join(' | ')} |`);
